//! Starting and stopping a local heartbeat region with libo2cb's reference counting
//! (docs/ocfs2-tools-reference.md §6.3), so that the C tools and ours can share a node: a
//! region started by our mount.ocfs2 is stopped by the C `ocfs2_hb_ctl -K` the kernel runs
//! at umount, and the reverse.
//!
//! Everything happens under the region's semaphore mutex:
//! - start: read the kernel's heartbeat mode; create the region unless it exists (in global
//!   mode an existing region is someone else's and takes no reference); take a reference;
//!   if that fails, remove what this call created.
//! - stop: drop a reference if there is one; at 0, remove the region and destroy the set.

use std::io;

use configfs::{
    apply, paths, plan_start_region, plan_stop_region, ApplyError, ConfigfsIo, ConfigfsName,
    RegionParams,
};
use o2cb_sys::semaphore::{RefKind, RegionLock, SemaphoreError};

use crate::error::Reported;

/// libo2cb refuses these before touching configfs.
const MAX_BLOCK_BYTES: u32 = 4096;
const MAX_BLOCKS: u32 = 255;

/// Why a region could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    #[error(transparent)]
    Semaphore(#[from] SemaphoreError),
    /// The kernel refused an operation (undone before returning).
    #[error("{}", configfs_text(.0))]
    Configfs(ApplyError),
    /// The heartbeat mode or the region could not be read.
    #[error("Unable to access cluster service")]
    Read { what: String, source: io::Error },
    #[error("Block size is invalid")]
    BlockSize(u32),
    #[error("Block count is invalid")]
    BlockCount(u32),
    /// Removing the region failed (a volume still uses it); the reference this call
    /// dropped was given back.
    #[error("Heartbeat region in use")]
    InUse(ApplyError),
    /// Stopping a region that does not run.
    #[error("Heartbeat region could not be found")]
    NotRunning { region: String, cluster: String },
}

/// libo2cb's word for a configfs errno (reference §5.3 table).
fn configfs_text(e: &ApplyError) -> &'static str {
    let mkdir = e.failure.op.starts_with("mkdir");
    match e.failure.errno {
        Some(libc::EEXIST) if mkdir => "Heartbeat region already exists",
        Some(libc::EIO) => "I/O error on channel",
        Some(libc::EACCES | libc::EPERM | libc::EROFS) => {
            "Insufficient permissions to access cluster service"
        }
        Some(libc::ENOENT | libc::ENOTDIR) => "Unable to access cluster service",
        Some(libc::ENOMEM) => "Memory allocation failed",
        _ => "Internal logic failure",
    }
}

impl Reported for RegionError {
    fn text(&self) -> String {
        self.to_string()
    }

    fn detail(&self) -> Option<String> {
        Some(match self {
            RegionError::Semaphore(e) => e.reason(),
            RegionError::Configfs(e) => e.to_string(),
            RegionError::Read { what, source } => {
                format!("reading {what}: {}", crate::error::io_text(source))
            }
            RegionError::BlockSize(b) => {
                format!("{b}-byte heartbeat blocks; the kernel takes at most {MAX_BLOCK_BYTES}")
            }
            RegionError::BlockCount(b) => {
                format!("{b} heartbeat blocks; the kernel takes 1 to {MAX_BLOCKS}")
            }
            RegionError::InUse(e) => format!("{e}; the reference is kept"),
            RegionError::NotRunning { region, cluster } => {
                format!("cluster {cluster} has no heartbeat region {region}")
            }
        })
    }
}

/// What a start did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// The region was created; this is its first reference.
    Created,
    /// The region was already running; one more reference.
    Joined { refs: u32 },
    /// Global mode and the region exists: it belongs to `o2cb start-heartbeat`, no
    /// reference is taken.
    Global,
}

/// What a stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The last reference went: the region and its semaphore set are gone.
    Removed,
    /// Other references remain.
    StillUsed { refs: u32 },
}

fn read_attr(
    io: &mut dyn ConfigfsIo,
    path: &std::path::Path,
    what: impl Fn() -> String,
) -> Result<String, RegionError> {
    io.read(path).map_err(|source| RegionError::Read {
        what: what(),
        source,
    })
}

/// Whether the kernel runs global heartbeat (kernels without the `mode` attribute are
/// local).
pub fn is_global(io: &mut dyn ConfigfsIo, cluster: &ConfigfsName) -> Result<bool, RegionError> {
    let path = paths::heartbeat_attr(cluster, "mode");
    if !io.exists(&path) {
        return Ok(false);
    }
    Ok(read_attr(io, &path, || {
        format!("the heartbeat mode of cluster {cluster}")
    })? == "global")
}

/// Starts `region` (or joins it if it runs) and takes a reference of `kind`.
pub fn start(
    io: &mut dyn ConfigfsIo,
    cluster: &ConfigfsName,
    region: &RegionParams,
    kind: RefKind,
) -> Result<Started, RegionError> {
    if region.block_bytes > MAX_BLOCK_BYTES {
        return Err(RegionError::BlockSize(region.block_bytes));
    }
    if region.blocks == 0 || region.blocks > MAX_BLOCKS {
        return Err(RegionError::BlockCount(region.blocks));
    }
    let name = &region.name;
    let lock = RegionLock::acquire(name.as_str())?;
    let global = is_global(io, cluster)?;
    let dir = paths::region(cluster, name);
    let mut created = false;
    if io.exists(&dir) {
        if global {
            lock.release()?;
            return Ok(Started::Global);
        }
        // A region directory without a device and without references was left by a start
        // that died between mkdir and the device write; nobody can be using it (every
        // user holds a reference, and we hold the mutex), so start it afresh.
        let dev = read_attr(io, &paths::region_attr(cluster, name, "dev"), || {
            format!("heartbeat region {name}")
        })?;
        if dev.is_empty() && lock.count()? == 0 {
            apply(io, &plan_stop_region(cluster, name)).map_err(RegionError::Configfs)?;
        }
    }
    if !io.exists(&dir) {
        if let Err(e) = apply(io, &plan_start_region(cluster, region)) {
            // Nothing holds a reference: the set goes too, as a stop would remove it.
            if lock.count()? == 0 {
                lock.destroy()?;
            }
            return Err(RegionError::Configfs(e));
        }
        created = true;
    }
    if let Err(e) = lock.take_ref(kind) {
        if created {
            let _ = apply(io, &plan_stop_region(cluster, name));
        }
        return Err(e.into());
    }
    let refs = lock.count()?;
    lock.release()?;
    Ok(if created {
        Started::Created
    } else {
        Started::Joined { refs }
    })
}

/// Drops a reference of `kind` on `region`; at 0 removes the region and its semaphore
/// set. A region that does not exist is an error (as in the reference), but its semaphore
/// set is cleaned up all the same.
pub fn stop(
    io: &mut dyn ConfigfsIo,
    cluster: &ConfigfsName,
    region: &ConfigfsName,
    kind: RefKind,
) -> Result<Stopped, RegionError> {
    let lock = RegionLock::acquire(region.as_str())?;
    let before = lock.count()?;
    if before > 0 {
        lock.drop_ref(kind)?;
    }
    let refs = lock.count()?;
    if refs > 0 {
        lock.release()?;
        return Ok(Stopped::StillUsed { refs });
    }
    if !io.exists(&paths::region(cluster, region)) {
        lock.destroy()?;
        return Err(RegionError::NotRunning {
            region: region.to_string(),
            cluster: cluster.to_string(),
        });
    }
    if let Err(e) = apply(io, &plan_stop_region(cluster, region)) {
        if before > 0 {
            lock.take_ref(kind)?;
        }
        let busy = matches!(e.failure.errno, Some(libc::EBUSY | libc::ENOTEMPTY));
        return Err(if busy {
            RegionError::InUse(e)
        } else {
            RegionError::Configfs(e)
        });
    }
    lock.destroy()?;
    Ok(Stopped::Removed)
}
