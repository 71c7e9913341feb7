//! Reading and safely replacing configuration files (cluster.conf, the o2cb settings file).
//!
//! An edit holds an exclusive lock from the moment it reads the file until the new content
//! is in place, so concurrent edits serialise instead of losing each other's changes. The
//! new content goes to a temporary file in the same directory, with the old file's mode and
//! owner, is flushed to disk, the old content is kept as `<name>.bak`, and the temporary
//! file is renamed over the old one; the directory is flushed last so the rename survives a
//! crash. A file whose content would not change is not touched at all.
//!
//! The lock is taken on a separate file, `.<name>.lock` beside the target: locking the
//! target itself would not work, because the rename replaces the inode a waiting process
//! has locked. A holder that does not let go is named (pid and command, from the kernel's
//! lock table) after [`LOCK_NOTICE_AFTER`], and the edit gives up after the lock timeout
//! ([`DEFAULT_LOCK_TIMEOUT`], or `O2CB_LOCK_TIMEOUT` seconds).
//!
//! Only regular files are ever replaced. The file (or a symlink's final target), its backup
//! and the lock file must each be a regular file or absent; anything else (a device, a FIFO,
//! a directory, a socket) is refused before anything is written, and the lock file is opened
//! without following a link. A root tool that "replaced" `/dev/null` would destroy it.
//!
//! Symbolic links: when the path is a symlink (for example `/etc/ocfs2/cluster.conf` →
//! `/shared/ocfs2/cluster.conf`), the link is followed and its final target is replaced; the
//! link stays a link. (The C tools replace the link with a regular file, silently detaching
//! the node from the shared copy.) A dangling link's target is created.
//!
//! An edit that changes nothing needs no write access: when the lock file cannot be created
//! or opened because the directory or file system is read-only, the file is still read, and
//! only an attempt to change it fails (with the reason the lock could not be had).
//!
//! A writer killed between creating its temporary file and the rename leaves that file (and
//! possibly its backup staging file) behind; the next writer, holding the lock, removes them:
//! while the lock is held no other writer can be in the middle of an edit, so every file of
//! those exact name patterns is a dead writer's.

use std::fmt;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// Mode of a configuration file the tools create (what the C tools give cluster.conf).
pub const NEW_FILE_MODE: u32 = 0o644;

/// Most symlinks followed before giving up, as the kernel does.
const MAX_SYMLINKS: usize = 40;

/// How long a writer waits for the lock before it names the holder.
pub const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(1);
/// How long a writer waits for the lock before it gives up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// Seconds to wait for the lock instead of [`DEFAULT_LOCK_TIMEOUT`].
pub const LOCK_TIMEOUT_ENV: &str = "O2CB_LOCK_TIMEOUT";
/// How often a waiting writer tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// The temporary file of an edit is `.<name>` + this + six random characters.
const TEMP_INFIX: &str = ".new-";
const TEMP_RANDOM_LEN: usize = 6;
/// The backup is staged as `.<name>` + this + the writer's pid before it is renamed.
const STAGING_INFIX: &str = ".bak.";

/// What a path is, when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
    SymbolicLink,
    Unknown,
}

impl FileKind {
    fn of(ft: fs::FileType) -> Option<FileKind> {
        Some(if ft.is_file() {
            return None;
        } else if ft.is_dir() {
            FileKind::Directory
        } else if ft.is_char_device() {
            FileKind::CharacterDevice
        } else if ft.is_block_device() {
            FileKind::BlockDevice
        } else if ft.is_fifo() {
            FileKind::Fifo
        } else if ft.is_socket() {
            FileKind::Socket
        } else if ft.is_symlink() {
            FileKind::SymbolicLink
        } else {
            FileKind::Unknown
        })
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::CharacterDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Fifo => "a FIFO",
            FileKind::Socket => "a socket",
            FileKind::SymbolicLink => "a symbolic link",
            FileKind::Unknown => "of an unknown kind",
        })
    }
}

/// The process that holds a lock, as the kernel's lock table names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    pub pid: i32,
    /// Its command line (or command name), shortened.
    pub command: String,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} ({})", self.pid, self.command)
    }
}

/// Why a configuration file could not be read or replaced, naming the path.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// An I/O failure, naming what was being done and to which path.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The path (or the target a link leads to) exists and is not a regular file.
    #[error("{}{}is {kind}, not a regular file: refusing to {action} it", path.display(), Via(.link))]
    NotRegular {
        action: &'static str,
        path: PathBuf,
        /// The path the caller named, when a symbolic link led from it to `path`.
        link: Option<PathBuf>,
        kind: FileKind,
    },
    /// Another process kept the lock for longer than the lock timeout.
    #[error("cannot lock {}: {} has held the lock for more than {} s; giving up", path.display(), Holder(.holder), .waited.as_secs())]
    LockTimeout {
        path: PathBuf,
        holder: Option<LockHolder>,
        waited: Duration,
    },
}

struct Via<'a>(&'a Option<PathBuf>);

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(link) => write!(f, " (where the link {} leads) ", link.display()),
            None => f.write_str(" "),
        }
    }
}

struct Holder<'a>(&'a Option<LockHolder>);

impl fmt::Display for Holder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(h) => write!(f, "{h}"),
            None => f.write_str("another process"),
        }
    }
}

impl FileError {
    fn new(action: &'static str, path: &Path, source: io::Error) -> FileError {
        FileError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The errno behind the failure, for tools whose exit status is an errno: a file that is
    /// not a regular one is EPERM (the operation is not permitted on it), a lock that was
    /// not released in time ETIMEDOUT.
    pub fn errno(&self) -> i32 {
        match self {
            FileError::Io { source, .. } => source.raw_os_error().unwrap_or(Errno::EIO as i32),
            FileError::NotRegular { .. } => Errno::EPERM as i32,
            FileError::LockTimeout { .. } => Errno::ETIMEDOUT as i32,
        }
    }
}

/// Whether an error means "you may not write here" (a read-only file system, missing
/// permission) rather than that something is wrong.
fn is_denied(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error().map(Errno::from_raw),
        Some(Errno::EACCES | Errno::EPERM | Errno::EROFS)
    )
}

/// `Err(NotRegular)` when `path` exists and is not a regular file (links not followed).
fn refuse_unless_regular(
    path: &Path,
    action: &'static str,
    link: Option<&Path>,
) -> Result<Option<fs::Metadata>, FileError> {
    match fs::symlink_metadata(path) {
        Ok(m) => match FileKind::of(m.file_type()) {
            None => Ok(Some(m)),
            Some(kind) => Err(FileError::NotRegular {
                action,
                path: path.to_path_buf(),
                link: link.map(Path::to_path_buf),
                kind,
            }),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FileError::new("examine", path, e)),
    }
}

/// Reads a configuration file without locking it. A missing file reads as `None`, which the
/// tools treat as an empty configuration; so does a directory, as for the C tools (which
/// read nothing from it). A device is read as the C tools read it (`--config-file=/dev/null`
/// is an empty configuration), within [`MAX_FILE_LEN`]; a FIFO or a socket is refused, as
/// reading it would hang.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    let named = resolve_symlinks(path)?;
    let link = (named != path).then_some(path);
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Ok(None),
        Ok(m) if m.file_type().is_fifo() || m.file_type().is_socket() => {
            return Err(FileError::NotRegular {
                action: "read",
                path: named,
                link: link.map(Path::to_path_buf),
                kind: FileKind::of(m.file_type()).unwrap_or(FileKind::Unknown),
            })
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::new("read", path, e)),
    }
    // O_NONBLOCK: should the file be swapped for a FIFO after the check, the open does not
    // hang; the descriptor is checked again below. Regular files ignore the flag.
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::new("read", path, e)),
    };
    read_bounded(file, path).map(Some)
}

/// The content of an open file that is no FIFO or socket, within [`MAX_FILE_LEN`].
fn read_bounded(file: File, path: &Path) -> Result<Vec<u8>, FileError> {
    let meta = file
        .metadata()
        .map_err(|e| FileError::new("read", path, e))?;
    if let Some(kind @ (FileKind::Fifo | FileKind::Socket)) = FileKind::of(meta.file_type()) {
        return Err(FileError::NotRegular {
            action: "read",
            path: path.to_path_buf(),
            link: None,
            kind,
        });
    }
    let too_large = || FileError::new("read", path, io::Error::from_raw_os_error(libc::EFBIG));
    let len = meta.len();
    if len > MAX_FILE_LEN {
        return Err(too_large());
    }
    // The size can change under us: the limit holds anyway.
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::new("read", path, e))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The largest configuration file read: far beyond any real cluster.conf (1 GiB is some
/// 10 million nodes), and within what the parser's 32-bit offsets address.
pub const MAX_FILE_LEN: u64 = 1 << 30;

/// Follows symbolic links to the file that holds the content. Unlike `canonicalize`, the
/// final target does not need to exist.
pub fn resolve_symlinks(path: &Path) -> Result<PathBuf, FileError> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&current)
                    .map_err(|e| FileError::new("read link", &current, e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(FileError::new("examine", &current, e)),
        }
    }
    Err(FileError::new(
        "resolve",
        path,
        io::Error::from_raw_os_error(Errno::ELOOP as i32),
    ))
}

/// What [`LockedFile::replace`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replaced {
    /// The content was already the same; the file was not touched.
    Unchanged,
    /// The file now has the new content.
    Written,
}

/// Told once while an edit waits for the lock: the lock file and who holds it, if known.
pub type LockWaitNotice<'a> = &'a mut dyn FnMut(&Path, Option<&LockHolder>);

/// The lock of an edit, or why there is none.
#[derive(Debug)]
enum Lock {
    Held(#[allow(dead_code)] Flock<File>),
    /// The directory does not exist yet: it and the lock are made by the first write.
    Deferred,
    /// The lock file could not be created or opened for lack of write access: the file can
    /// be read, and an edit that changes nothing succeeds, but no change can be written.
    Unavailable(Option<FileError>),
}

/// A configuration file opened for a read-modify-write cycle: locked until dropped.
#[derive(Debug)]
pub struct LockedFile {
    /// The path as the caller named it (for messages).
    path: PathBuf,
    /// The file that holds the content, symlinks resolved.
    target: PathBuf,
    original: Option<Vec<u8>>,
    lock: Lock,
}

impl LockedFile {
    /// Locks and reads the file (see [`LockedFile::open_with`]); waits silently.
    pub fn open(path: &Path) -> Result<LockedFile, FileError> {
        LockedFile::open_with(path, &mut |_, _| {})
    }

    /// Locks and reads the file. A missing directory is created (mode 0755, as the C tools
    /// create `/etc/ocfs2`) when the file is first written. While another process holds the
    /// lock, waits: after
    /// [`LOCK_NOTICE_AFTER`] `notice` is told who holds it, and after the lock timeout the
    /// open fails with [`FileError::LockTimeout`]. Files of dead writers are removed.
    pub fn open_with(path: &Path, notice: LockWaitNotice<'_>) -> Result<LockedFile, FileError> {
        LockedFile::open_waiting(path, notice, lock_timeout())
    }

    fn open_waiting(
        path: &Path,
        notice: LockWaitNotice<'_>,
        timeout: Duration,
    ) -> Result<LockedFile, FileError> {
        let target = resolve_symlinks(path)?;
        let link = (target != path).then_some(path);
        refuse_unless_regular(&target, "replace", link)?;
        // Without its directory the file does not exist either: the directory (and the lock)
        // are made only if the edit writes something.
        let lock = if parent_dir(&target).is_dir() {
            take_lock(&lock_path(&target), notice, timeout)?
        } else {
            Lock::Deferred
        };
        if matches!(lock, Lock::Held(_)) {
            remove_debris(&target);
        }
        // Checked again under the lock: the first check ran before another writer finished.
        refuse_unless_regular(&target, "replace", link)?;
        let original = read_optional(&target)?;
        Ok(LockedFile {
            path: path.to_path_buf(),
            target,
            original,
            lock,
        })
    }

    /// The content read under the lock; `None` if the file did not exist.
    pub fn contents(&self) -> Option<&[u8]> {
        self.original.as_deref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file actually written (symlinks resolved).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The path of the backup that [`LockedFile::replace`] keeps.
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.target, "", ".bak")
    }

    /// Replaces the content atomically (see the module documentation). On failure the old
    /// file is untouched and no temporary file is left behind.
    pub fn replace(&mut self, content: &[u8]) -> Result<Replaced, FileError> {
        // An empty configuration is what a missing file means: nothing to create.
        if self.original.as_deref().unwrap_or_default() == content
            && (self.original.is_some() || content.is_empty())
        {
            return Ok(Replaced::Unchanged);
        }
        if matches!(self.lock, Lock::Deferred) {
            self.lock = self.lock_new_directory()?;
        }
        if let Lock::Unavailable(why) = &mut self.lock {
            return Err(why.take().unwrap_or_else(|| {
                FileError::new(
                    "lock",
                    &lock_path(&self.target),
                    io::Error::from_raw_os_error(Errno::EROFS as i32),
                )
            }));
        }
        let link = (self.target != self.path).then_some(self.path.as_path());
        let old_meta = refuse_unless_regular(&self.target, "replace", link)?;
        let backup = self.backup_path();
        if old_meta.is_some() {
            refuse_unless_regular(&backup, "replace", None)?;
        }
        let dir = parent_dir(&self.target);
        let name = file_name(&self.target);
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}{TEMP_INFIX}"))
            .rand_bytes(TEMP_RANDOM_LEN)
            .tempfile_in(&dir)
            .map_err(|e| FileError::new("create a temporary file in", &dir, e))?;
        let mode = old_meta
            .as_ref()
            .map_or(NEW_FILE_MODE, |m| m.mode() & 0o7777);
        temp.as_file()
            .set_permissions(Permissions::from_mode(mode))
            .map_err(|e| FileError::new("set the mode of", temp.path(), e))?;
        if let Some(m) = &old_meta {
            // Keep the owner; a user who is not root cannot give files away, and then the
            // new file is simply theirs, as any editor would leave it.
            let _ = nix::unistd::fchown(
                temp.as_file(),
                Some(nix::unistd::Uid::from_raw(m.uid())),
                Some(nix::unistd::Gid::from_raw(m.gid())),
            );
        }
        temp.write_all(content)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| FileError::new("write", temp.path(), e))?;
        if old_meta.is_some() {
            self.keep_backup(&backup)?;
        }
        temp.persist(&self.target)
            .map_err(|e| FileError::new("replace", &self.target, e.error))?;
        sync_dir(&dir)?;
        self.original = Some(content.to_vec());
        Ok(Replaced::Written)
    }

    /// Creates the missing directory and takes the lock for the first write of a file that
    /// did not exist. Should another writer have created the file meanwhile, this edit was
    /// made on stale (empty) content and is refused.
    fn lock_new_directory(&self) -> Result<Lock, FileError> {
        let dir = parent_dir(&self.target);
        ensure_dir(&dir).map_err(|e| FileError::new("create directory", &dir, e))?;
        let lock = take_lock(&lock_path(&self.target), &mut |_, _| {}, lock_timeout())?;
        if fs::symlink_metadata(&self.target).is_ok() {
            return Err(FileError::new(
                "create",
                &self.target,
                io::Error::from_raw_os_error(Errno::EEXIST as i32),
            ));
        }
        Ok(lock)
    }

    /// Makes `<name>.bak` a copy of the current file: a hard link when the filesystem
    /// allows it (cheap, keeps every attribute), else a copy of the bytes read under the
    /// lock. The copy is created exclusively and without following links, so nothing but a
    /// new regular file is ever written.
    fn keep_backup(&self, backup: &Path) -> Result<(), FileError> {
        let staging = sibling(
            &self.target,
            ".",
            &format!("{STAGING_INFIX}{}", std::process::id()),
        );
        remove_regular(&staging);
        if fs::hard_link(&self.target, &staging).is_err() {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(NEW_FILE_MODE)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&staging)
                .map_err(|e| FileError::new("create", &staging, e))?;
            f.write_all(self.original.as_deref().unwrap_or_default())
                .and_then(|()| f.sync_all())
                .map_err(|e| FileError::new("write", &staging, e))?;
        }
        fs::rename(&staging, backup).map_err(|e| {
            remove_regular(&staging);
            FileError::new("keep a backup at", backup, e)
        })?;
        Ok(())
    }
}

/// Creates the directory (mode 0755) when missing.
fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .mode(0o755)
        .recursive(true)
        .create(dir)
}

/// The lock timeout: [`LOCK_TIMEOUT_ENV`] seconds when set to a number, else the default.
fn lock_timeout() -> Duration {
    std::env::var(LOCK_TIMEOUT_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_LOCK_TIMEOUT, Duration::from_secs_f64)
}

/// Opens the lock file (never through a link, never anything but a regular file) and takes
/// an exclusive lock on it, waiting at most `timeout`.
fn take_lock(
    lock_path: &Path,
    notice: LockWaitNotice<'_>,
    timeout: Duration,
) -> Result<Lock, FileError> {
    // Refused before opening: opening a device node can have effects of its own.
    refuse_unless_regular(lock_path, "lock", None)?;
    let open = |write: bool| {
        OpenOptions::new()
            .read(true)
            .write(write)
            .create(write)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(lock_path)
    };
    let mut file = match open(true) {
        Ok(f) => f,
        // A lock file that cannot be written can still be locked (flock needs no write
        // access), and one that cannot even be created means nobody can write here.
        Err(e) if is_denied(&e) => match open(false) {
            Ok(f) => f,
            Err(_) => {
                return Ok(Lock::Unavailable(Some(FileError::new(
                    "create", lock_path, e,
                ))))
            }
        },
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(FileError::NotRegular {
                action: "lock",
                path: lock_path.to_path_buf(),
                link: None,
                kind: FileKind::SymbolicLink,
            })
        }
        Err(e) => return Err(FileError::new("open lock file", lock_path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| FileError::new("examine", lock_path, e))?;
    if let Some(kind) = FileKind::of(meta.file_type()) {
        return Err(FileError::NotRegular {
            action: "lock",
            path: lock_path.to_path_buf(),
            link: None,
            kind,
        });
    }
    let start = Instant::now();
    let mut noticed = false;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(Lock::Held(lock)),
            Err((f, Errno::EWOULDBLOCK)) => file = f,
            Err((_, errno)) => {
                return Err(FileError::new("lock", lock_path, io::Error::from(errno)))
            }
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(FileError::LockTimeout {
                path: lock_path.to_path_buf(),
                holder: lock_holder(&meta),
                waited,
            });
        }
        if !noticed && waited >= LOCK_NOTICE_AFTER {
            noticed = true;
            notice(lock_path, lock_holder(&meta).as_ref());
        }
        std::thread::sleep(LOCK_POLL);
    }
}

/// Who holds a lock on the file, from the kernel's lock table. The lock is a real kernel
/// object whatever root the tools run under, so this reads the running kernel's `/proc`.
fn lock_holder(meta: &fs::Metadata) -> Option<LockHolder> {
    let table = fs::read_to_string("/proc/locks").ok()?;
    let dev = meta.dev();
    let id = format!(
        "{:02x}:{:02x}:{}",
        libc::major(dev),
        libc::minor(dev),
        meta.ino()
    );
    // `1: FLOCK  ADVISORY  WRITE 1234 08:01:56789 0 EOF`; waiters' lines have a `->`.
    let pid: i32 = table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&"FLOCK") && fields.get(5) == Some(&id.as_str()))
            .then(|| fields.get(4)?.parse().ok())
            .flatten()
    })?;
    let command = fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .filter(|c| !c.is_empty())
        .map(|c| {
            let words: Vec<String> = c
                .split(|&b| b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            words.join(" ")
        })
        .or_else(|| {
            fs::read_to_string(format!("/proc/{pid}/comm"))
                .ok()
                .map(|s| s.trim_end().to_string())
        })
        .unwrap_or_else(|| "?".to_string());
    Some(LockHolder {
        pid,
        command: shorten(command, 120),
    })
}

fn shorten(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// Removes the temporary and backup-staging files of writers that died mid-edit. Called
/// with the lock held: no live writer has such files then.
fn remove_debris(target: &Path) {
    let dir = parent_dir(target);
    let name = file_name(target);
    let temp_prefix = format!(".{name}{TEMP_INFIX}");
    let staging_prefix = format!(".{name}{STAGING_INFIX}");
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let dead_temp = file.strip_prefix(&temp_prefix).is_some_and(|rest| {
            rest.len() == TEMP_RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        let dead_staging = file
            .strip_prefix(&staging_prefix)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
        if dead_temp || dead_staging {
            remove_regular(&entry.path());
        }
    }
}

/// Removes `path` if it is a regular file (never a link's target, never anything else).
fn remove_regular(path: &Path) {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file()) {
        let _ = fs::remove_file(path);
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || "config".to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `dir/<prefix><name><suffix>` for a file `dir/<name>`.
fn sibling(path: &Path, prefix: &str, suffix: &str) -> PathBuf {
    parent_dir(path).join(format!("{prefix}{}{suffix}", file_name(path)))
}

fn lock_path(target: &Path) -> PathBuf {
    sibling(target, ".", ".lock")
}

fn sync_dir(dir: &Path) -> Result<(), FileError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| FileError::new("flush directory", dir, e))
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_file_beyond_the_limit_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.conf");
        // sparse: costs nothing on disk
        File::create(&path)
            .unwrap()
            .set_len(MAX_FILE_LEN + 1)
            .unwrap();
        let e = read_optional(&path).unwrap_err();
        assert_eq!(e.errno(), libc::EFBIG);
        assert!(e.to_string().contains("cluster.conf"), "{e}");
        File::create(&path).unwrap().set_len(3).unwrap();
        assert_eq!(read_optional(&path).unwrap().unwrap(), [0, 0, 0]);
    }

    use super::*;

    #[test]
    fn new_file_is_created_with_mode_0644_and_no_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/cluster.conf");
        let mut f = LockedFile::open(&path).unwrap();
        assert_eq!(f.contents(), None);
        assert_eq!(f.replace(b"x\n").unwrap(), Replaced::Written);
        drop(f);
        assert_eq!(fs::read(&path).unwrap(), b"x\n");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o644);
        assert!(!dir.path().join("sub/cluster.conf.bak").exists());
    }

    #[test]
    fn replacement_keeps_mode_and_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.conf");
        fs::write(&path, b"old\n").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        let mut f = LockedFile::open(&path).unwrap();
        assert_eq!(f.contents(), Some(&b"old\n"[..]));
        f.replace(b"new\n").unwrap();
        drop(f);
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        assert_eq!(
            fs::read(dir.path().join("cluster.conf.bak")).unwrap(),
            b"old\n"
        );
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        // Only the file, its backup and the lock file remain: no temporary files.
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [".cluster.conf.lock", "cluster.conf", "cluster.conf.bak"]
        );
    }

    #[test]
    fn nothing_is_created_for_an_edit_that_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etc/ocfs2/cluster.conf");
        let mut f = LockedFile::open(&path).unwrap();
        assert_eq!(f.replace(b"").unwrap(), Replaced::Unchanged);
        drop(f);
        assert_eq!(names_in(dir.path()), Vec::<String>::new());
        // The first real write makes the directory, the lock and the file.
        let mut f = LockedFile::open(&path).unwrap();
        assert_eq!(f.replace(b"x\n").unwrap(), Replaced::Written);
        assert_eq!(
            names_in(&dir.path().join("etc/ocfs2")),
            [".cluster.conf.lock", "cluster.conf"]
        );
    }

    #[test]
    fn unchanged_content_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.conf");
        fs::write(&path, b"same\n").unwrap();
        let inode = fs::metadata(&path).unwrap().ino();
        let mut f = LockedFile::open(&path).unwrap();
        assert_eq!(f.replace(b"same\n").unwrap(), Replaced::Unchanged);
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode);
        assert!(!dir.path().join("cluster.conf.bak").exists());
    }

    #[test]
    fn symlink_target_is_replaced_and_link_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("shared")).unwrap();
        let real = dir.path().join("shared/cluster.conf");
        fs::write(&real, b"old\n").unwrap();
        let link = dir.path().join("cluster.conf");
        std::os::unix::fs::symlink("shared/cluster.conf", &link).unwrap();
        let mut f = LockedFile::open(&link).unwrap();
        assert_eq!(f.contents(), Some(&b"old\n"[..]));
        f.replace(b"new\n").unwrap();
        drop(f);
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new\n");
        assert_eq!(
            fs::read(dir.path().join("shared/cluster.conf.bak")).unwrap(),
            b"old\n"
        );
    }

    #[test]
    fn dangling_symlink_target_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("cluster.conf");
        std::os::unix::fs::symlink("elsewhere.conf", &link).unwrap();
        let mut f = LockedFile::open(&link).unwrap();
        f.replace(b"x\n").unwrap();
        assert_eq!(fs::read(dir.path().join("elsewhere.conf")).unwrap(), b"x\n");
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn mkfifo(path: &Path) {
        nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    }

    /// Every kind of file that is not a regular one, made in `dir`: a FIFO, a directory, a
    /// socket and (as root) a character device.
    fn not_regular_files(dir: &Path) -> Vec<(PathBuf, FileKind)> {
        let mut v = Vec::new();
        let fifo = dir.join("fifo");
        mkfifo(&fifo);
        v.push((fifo, FileKind::Fifo));
        let d = dir.join("dir");
        fs::create_dir(&d).unwrap();
        v.push((d, FileKind::Directory));
        let sock = dir.join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        v.push((sock, FileKind::Socket));
        let null = dir.join("null");
        // A private copy of /dev/null's device number: if the code wrote through it, the
        // test machine's own /dev/null would be safe.
        if nix::sys::stat::mknod(
            &null,
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::from_bits_truncate(0o666),
            nix::sys::stat::makedev(1, 3),
        )
        .is_ok()
        {
            v.push((null, FileKind::CharacterDevice));
        }
        v
    }

    fn kind_of(path: &Path) -> Option<FileKind> {
        FileKind::of(fs::symlink_metadata(path).unwrap().file_type())
    }

    #[test]
    fn a_link_to_something_not_regular_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        for (target, kind) in not_regular_files(dir.path()) {
            let link = dir.path().join("cluster.conf");
            let _ = fs::remove_file(&link);
            std::os::unix::fs::symlink(&target, &link).unwrap();
            let e = LockedFile::open(&link).unwrap_err();
            match &e {
                FileError::NotRegular {
                    kind: k, link: l, ..
                } => {
                    assert_eq!(*k, kind);
                    assert_eq!(l.as_deref(), Some(link.as_path()));
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(e.errno(), libc::EPERM);
            assert!(e.to_string().contains("not a regular file"), "{e}");
            // The thing is what it was, and nothing was created beside it.
            assert_eq!(kind_of(&target), Some(kind));
            assert!(!dir.path().join("cluster.conf.bak").exists());
            assert!(!dir.path().join(".fifo.lock").exists());
        }
    }

    #[test]
    fn the_file_itself_not_regular_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        for (target, kind) in not_regular_files(dir.path()) {
            let before = names_in(dir.path());
            assert!(matches!(
                LockedFile::open(&target),
                Err(FileError::NotRegular { link: None, .. })
            ));
            assert_eq!(kind_of(&target), Some(kind));
            assert_eq!(names_in(dir.path()), before);
        }
    }

    #[test]
    fn a_lock_or_backup_path_that_is_not_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.conf");
        fs::write(&path, b"old\n").unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::write(&elsewhere, b"precious\n").unwrap();
        // The lock file a link (to a regular file, even): refused, the link's target intact.
        let lock = dir.path().join(".cluster.conf.lock");
        std::os::unix::fs::symlink(&elsewhere, &lock).unwrap();
        let e = LockedFile::open(&path).unwrap_err();
        assert!(
            matches!(
                e,
                FileError::NotRegular {
                    kind: FileKind::SymbolicLink,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(fs::read(&elsewhere).unwrap(), b"precious\n");
        fs::remove_file(&lock).unwrap();
        mkfifo(&lock);
        assert!(matches!(
            LockedFile::open(&path),
            Err(FileError::NotRegular {
                kind: FileKind::Fifo,
                ..
            })
        ));
        fs::remove_file(&lock).unwrap();
        // The backup a FIFO: the edit is refused before anything is written.
        let backup = dir.path().join("cluster.conf.bak");
        mkfifo(&backup);
        let mut f = LockedFile::open(&path).unwrap();
        assert!(matches!(
            f.replace(b"new\n"),
            Err(FileError::NotRegular {
                kind: FileKind::Fifo,
                ..
            })
        ));
        drop(f);
        assert_eq!(fs::read(&path).unwrap(), b"old\n");
        assert_eq!(kind_of(&backup), Some(FileKind::Fifo));
        assert_eq!(
            names_in(dir.path()),
            [
                ".cluster.conf.lock",
                "cluster.conf",
                "cluster.conf.bak",
                "elsewhere"
            ]
        );
    }

    #[test]
    fn reading_refuses_fifos_without_hanging_and_reads_a_directory_or_dev_null_as_empty() {
        assert_eq!(
            read_optional(Path::new("/dev/null")).unwrap(),
            Some(Vec::new())
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        assert!(matches!(
            read_optional(&fifo),
            Err(FileError::NotRegular {
                kind: FileKind::Fifo,
                action: "read",
                ..
            })
        ));
        assert_eq!(read_optional(dir.path()).unwrap(), None);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        assert!(matches!(
            read_optional(&link),
            Err(FileError::NotRegular { link: Some(_), .. })
        ));
    }

    #[test]
    fn files_of_dead_writers_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.conf");
        fs::write(&path, b"x\n").unwrap();
        let debris = [".cluster.conf.new-a1B2c3", ".cluster.conf.bak.4242"];
        let keep = [
            ".cluster.conf.new-toolong1",
            ".cluster.conf.bak.12a",
            ".cluster.conf.backup",
            ".other.conf.new-a1B2c3",
            "cluster.confXYZ123",
        ];
        for n in debris.iter().chain(&keep) {
            fs::write(dir.path().join(n), b"?").unwrap();
        }
        // A link with a debris name is not followed, and not removed either.
        let victim = dir.path().join("victim");
        fs::write(&victim, b"v").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".cluster.conf.new-zzzzzz")).unwrap();
        let f = LockedFile::open(&path).unwrap();
        drop(f);
        let names = names_in(dir.path());
        for n in debris {
            assert!(!names.contains(&n.to_string()), "{n} left: {names:?}");
        }
        for n in keep.iter().chain(&[".cluster.conf.new-zzzzzz", "victim"]) {
            assert!(names.contains(&n.to_string()), "{n} removed: {names:?}");
        }
        assert_eq!(fs::read(&victim).unwrap(), b"v");
    }

    #[test]
    fn a_held_lock_is_waited_for_then_its_holder_named_and_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.conf");
        fs::write(&path, b"x\n").unwrap();
        let holder = LockedFile::open(&path).unwrap();
        let mut told = Vec::new();
        let e = LockedFile::open_waiting(
            &path,
            &mut |lock, who| told.push((lock.to_path_buf(), who.cloned())),
            LOCK_NOTICE_AFTER + Duration::from_millis(300),
        )
        .unwrap_err();
        let me = std::process::id() as i32;
        let FileError::LockTimeout { holder: who, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(who.as_ref().map(|h| h.pid), Some(me));
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].0, dir.path().join(".cluster.conf.lock"));
        assert_eq!(told[0].1.as_ref().map(|h| h.pid), Some(me));
        assert!(e.to_string().contains(&format!("pid {me} (")), "{e}");
        assert_eq!(e.errno(), libc::ETIMEDOUT);
        drop(holder);
        assert!(LockedFile::open_waiting(&path, &mut |_, _| {}, Duration::ZERO).is_ok());
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let e = LockedFile::open(&a).unwrap_err();
        assert_eq!(e.errno(), nix::errno::Errno::ELOOP as i32);
    }
}
