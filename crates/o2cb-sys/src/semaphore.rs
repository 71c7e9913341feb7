//! The SysV semaphore set libo2cb keeps for each local heartbeat region
//! (docs/ocfs2-tools-reference.md §6.3): a mutex and a reference count, so that several mounts of
//! one volume share one region, and so that the C tools and ours can start and stop the same region
//! on one node.
//!
//! Interoperability fixes every detail: the key is zlib's CRC-32 of the region name (the
//! UUID text exactly as given) as a signed `key_t`; the set has two semaphores and is created
//! with permission bits 0; semaphore 0 is the mutex, taken by "wait for zero, then +1"
//! in one atomic `semop` (both with `SEM_UNDO`, so a crashed holder releases it), released by
//! −1 with `SEM_UNDO`; semaphore 1 is the reference count, changed with `SEM_UNDO` only for
//! references that must vanish with their process. A stopper that drops the count to 0
//! destroys the whole set (`IPC_RMID`), waking every waiter with `EIDRM`; a waiter then looks
//! the set up afresh.
//!
//! Unlike libo2cb, a query ([`ref_count`]) never creates a set.
//!
//! Soundness: the only `unsafe` code here calls `semget`, `semop` and `semctl`. `semop`
//! reads exactly `nsops` `sembuf`s from a pointer to a local array of that length. `semctl`
//! is variadic; `GETVAL` and `IPC_RMID` take no fourth argument, so none is passed. No
//! memory is shared with the kernel beyond the duration of each call.
#![allow(unsafe_code)]

use std::io;

/// The semaphore set's key for a region name.
pub fn region_key(region: &str) -> libc::key_t {
    // key_t is a signed int: the CRC's bits, reinterpreted, as libo2cb passes them.
    crc32fast::hash(region.as_bytes()) as libc::key_t
}

/// Semaphore numbers within a region's set.
const MUTEX: u16 = 0;
const REFCOUNT: u16 = 1;
/// How often a lookup is retried when the set is destroyed under us; each retry means a
/// stopper removed the region in between, so a handful is already unusual.
const EIDRM_RETRIES: usize = 64;

/// Whether a reference outlives the process that takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// Stays until someone drops it (mount.ocfs2 and ocfs2_hb_ctl: the kernel's umount
    /// callback drops it).
    Persistent,
    /// Vanishes when the process exits (`SEM_UNDO`; fsck and tunefs in the reference).
    Undo,
}

impl RefKind {
    fn flags(self) -> libc::c_short {
        match self {
            RefKind::Persistent => 0,
            RefKind::Undo => libc::SEM_UNDO as libc::c_short,
        }
    }
}

/// A semaphore operation failed. `Display` is libo2cb's text.
#[derive(Debug, thiserror::Error)]
pub enum SemaphoreError {
    #[error("Could not access heartbeat region semaphore set")]
    Access {
        region: String,
        key: libc::key_t,
        /// `semget`, `semop`, `semctl(GETVAL)`, ...
        op: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("Region semaphore set destroyed")]
    Destroyed { region: String },
}

impl SemaphoreError {
    /// What exactly failed, for the part of a message after the reference's words.
    pub fn reason(&self) -> String {
        match self {
            SemaphoreError::Access {
                region,
                key,
                op,
                source,
            } => format!("{op} on the set of region {region} (key {key:#010x}): {source}"),
            SemaphoreError::Destroyed { region } => format!(
                "the set of region {region} was destroyed {EIDRM_RETRIES} times while waiting for it"
            ),
        }
    }
}

fn errno() -> io::Error {
    io::Error::last_os_error()
}

fn is_removed(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EIDRM) | Some(libc::EINVAL))
}

/// The set of one region, looked up (and created if need be).
#[derive(Debug)]
struct SemaphoreSet {
    region: String,
    key: libc::key_t,
    id: libc::c_int,
}

impl SemaphoreSet {
    fn get(region: &str, create: bool) -> Result<Option<SemaphoreSet>, SemaphoreError> {
        let key = region_key(region);
        // Permission bits 0, as libo2cb creates it: only root (CAP_IPC_OWNER) may use it.
        let flags = if create { libc::IPC_CREAT } else { 0 };
        // SAFETY: plain system call with integer arguments.
        let id = unsafe { libc::semget(key, 2, flags) };
        if id < 0 {
            let e = errno();
            if !create && e.raw_os_error() == Some(libc::ENOENT) {
                return Ok(None);
            }
            return Err(SemaphoreError::Access {
                region: region.to_owned(),
                key,
                op: "semget",
                source: e,
            });
        }
        Ok(Some(SemaphoreSet {
            region: region.to_owned(),
            key,
            id,
        }))
    }

    fn error(&self, op: &'static str, source: io::Error) -> SemaphoreError {
        SemaphoreError::Access {
            region: self.region.clone(),
            key: self.key,
            op,
            source,
        }
    }

    /// One atomic `semop`, retried when a signal interrupts it.
    fn op(&self, ops: &mut [libc::sembuf]) -> io::Result<()> {
        loop {
            // SAFETY: `ops` is a valid, exclusively borrowed array of `ops.len()` sembufs
            // for the duration of the call.
            let rc = unsafe { libc::semop(self.id, ops.as_mut_ptr(), ops.len()) };
            if rc == 0 {
                return Ok(());
            }
            let e = errno();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    fn value(&self, num: u16) -> io::Result<u32> {
        // SAFETY: GETVAL takes no fourth argument.
        let rc = unsafe { libc::semctl(self.id, libc::c_int::from(num), libc::GETVAL) };
        if rc < 0 {
            Err(errno())
        } else {
            Ok(rc as u32)
        }
    }

    fn remove(&self) -> io::Result<()> {
        // SAFETY: IPC_RMID takes no fourth argument.
        let rc = unsafe { libc::semctl(self.id, 0, libc::IPC_RMID) };
        if rc < 0 {
            Err(errno())
        } else {
            Ok(())
        }
    }
}

fn sembuf(num: u16, op: libc::c_short, flags: libc::c_short) -> libc::sembuf {
    libc::sembuf {
        sem_num: num,
        sem_op: op,
        sem_flg: flags,
    }
}

/// The reference count of a region, without creating its set: a region nobody took a
/// reference on has none (libo2cb's query creates an empty set as a side effect).
pub fn ref_count(region: &str) -> Result<u32, SemaphoreError> {
    let Some(set) = SemaphoreSet::get(region, false)? else {
        return Ok(0);
    };
    match set.value(REFCOUNT) {
        Ok(n) => Ok(n),
        // Destroyed between semget and semctl: the count went to 0 meanwhile.
        Err(e) if is_removed(&e) => Ok(0),
        Err(e) => Err(set.error("semctl(GETVAL)", e)),
    }
}

/// A region's mutex, held. Dropping it releases the mutex (unless the set was destroyed).
#[derive(Debug)]
pub struct RegionLock {
    set: SemaphoreSet,
    held: bool,
}

impl RegionLock {
    /// Takes the region's mutex, creating the set if it does not exist, and waiting while
    /// another process holds it. When the set is destroyed while waiting (the holder stopped
    /// the region), the set is looked up again.
    pub fn acquire(region: &str) -> Result<RegionLock, SemaphoreError> {
        for _ in 0..EIDRM_RETRIES {
            let set = SemaphoreSet::get(region, true)?.expect("created when absent");
            let undo = libc::SEM_UNDO as libc::c_short;
            match set.op(&mut [sembuf(MUTEX, 0, undo), sembuf(MUTEX, 1, undo)]) {
                Ok(()) => return Ok(RegionLock { set, held: true }),
                Err(e) if is_removed(&e) => continue,
                Err(e) => return Err(set.error("semop(lock)", e)),
            }
        }
        Err(SemaphoreError::Destroyed {
            region: region.to_owned(),
        })
    }

    /// The semaphore key (for messages).
    pub fn key(&self) -> libc::key_t {
        self.set.key
    }

    /// The current reference count.
    pub fn count(&self) -> Result<u32, SemaphoreError> {
        self.set
            .value(REFCOUNT)
            .map_err(|e| self.set.error("semctl(GETVAL)", e))
    }

    /// Takes one reference.
    pub fn take_ref(&self, kind: RefKind) -> Result<(), SemaphoreError> {
        self.set
            .op(&mut [sembuf(REFCOUNT, 1, kind.flags())])
            .map_err(|e| self.set.error("semop(+1 reference)", e))
    }

    /// Drops one reference. The caller checks that the count is positive: the operation
    /// would otherwise wait for it to become so.
    pub fn drop_ref(&self, kind: RefKind) -> Result<(), SemaphoreError> {
        self.set
            .op(&mut [sembuf(REFCOUNT, -1, kind.flags())])
            .map_err(|e| self.set.error("semop(-1 reference)", e))
    }

    /// Destroys the set, mutex included: what a stopper does once the count is 0.
    pub fn destroy(mut self) -> Result<(), SemaphoreError> {
        self.held = false;
        self.set
            .remove()
            .map_err(|e| self.set.error("semctl(IPC_RMID)", e))
    }

    /// Releases the mutex.
    pub fn release(mut self) -> Result<(), SemaphoreError> {
        self.held = false;
        self.unlock()
    }

    fn unlock(&self) -> Result<(), SemaphoreError> {
        let undo = libc::SEM_UNDO as libc::c_short;
        self.set
            .op(&mut [sembuf(MUTEX, -1, undo)])
            .map_err(|e| self.set.error("semop(unlock)", e))
    }
}

impl Drop for RegionLock {
    fn drop(&mut self) {
        if self.held {
            // An error path left early; the mutex must not stay taken (SEM_UNDO would
            // release it at exit anyway, but the process may go on).
            let _ = self.unlock();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_zlib_crc32_of_the_name() {
        // Test vectors of reference §6.3.
        assert_eq!(region_key("77D95EF51C0149D2823674FCC162CF8B"), 0x2370_9DF7);
        assert_eq!(region_key("77D95EF51C0149D2823674FCC162CF8B"), 594_583_031);
        assert_eq!(
            region_key("DCDA2845177F4D59A0F2DCD8DE507CC3"),
            2_144_347_208
        );
        // Bit 31 set: a negative key_t, the same bits C passes.
        assert_eq!(
            region_key("0123456789ABCDEF0123456789ABCDEF"),
            0xD76B_6946_u32 as i32
        );
        // A lower-case spelling is another key: the sets are per exact string.
        assert_ne!(
            region_key("dcda2845177f4d59a0f2dcd8de507cc3"),
            region_key("DCDA2845177F4D59A0F2DCD8DE507CC3")
        );
    }

    fn is_root() -> bool {
        nix::unistd::geteuid().is_root()
    }

    /// A region name no real volume has, unique to this test run.
    fn scratch_region(tag: &str) -> String {
        format!("O2CBRSTEST{tag}{:08X}", std::process::id())
    }

    #[test]
    fn references_count_up_and_the_last_stopper_destroys_the_set() {
        if !is_root() {
            eprintln!("skipping: sets are created with mode 0, which only root can use");
            return;
        }
        let region = scratch_region("A");
        assert_eq!(ref_count(&region).unwrap(), 0);
        // A query creates nothing.
        assert!(SemaphoreSet::get(&region, false).unwrap().is_none());

        let lock = RegionLock::acquire(&region).unwrap();
        assert_eq!(lock.key(), region_key(&region));
        lock.take_ref(RefKind::Persistent).unwrap();
        lock.take_ref(RefKind::Persistent).unwrap();
        assert_eq!(lock.count().unwrap(), 2);
        lock.release().unwrap();
        assert_eq!(ref_count(&region).unwrap(), 2);

        let lock = RegionLock::acquire(&region).unwrap();
        lock.drop_ref(RefKind::Persistent).unwrap();
        lock.drop_ref(RefKind::Persistent).unwrap();
        assert_eq!(lock.count().unwrap(), 0);
        lock.destroy().unwrap();
        assert!(SemaphoreSet::get(&region, false).unwrap().is_none());
        assert_eq!(ref_count(&region).unwrap(), 0);
    }

    #[test]
    fn a_dropped_lock_is_released() {
        if !is_root() {
            eprintln!("skipping: needs root");
            return;
        }
        let region = scratch_region("B");
        {
            let _lock = RegionLock::acquire(&region).unwrap();
        }
        // Would wait forever if the mutex were still held.
        let lock = RegionLock::acquire(&region).unwrap();
        let set = SemaphoreSet::get(&region, false).unwrap().unwrap();
        assert_eq!(set.value(MUTEX).unwrap(), 1);
        lock.destroy().unwrap();
    }

    #[test]
    fn a_waiter_takes_the_set_over_after_the_holder_destroys_it() {
        if !is_root() {
            eprintln!("skipping: needs root");
            return;
        }
        let region = scratch_region("C");
        let lock = RegionLock::acquire(&region).unwrap();
        let waiter = {
            let region = region.clone();
            std::thread::spawn(move || {
                // Blocks on the mutex until the set disappears, then creates a new one.
                let lock = RegionLock::acquire(&region).unwrap();
                let count = lock.count().unwrap();
                lock.destroy().unwrap();
                count
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        lock.take_ref(RefKind::Persistent).unwrap();
        lock.drop_ref(RefKind::Persistent).unwrap();
        lock.destroy().unwrap();
        assert_eq!(waiter.join().unwrap(), 0);
    }
}
