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
//! has locked.
//!
//! Symbolic links: when the path is a symlink (for example `/etc/ocfs2/cluster.conf` →
//! `/shared/ocfs2/cluster.conf`), the link is followed and its final target is replaced; the
//! link stays a link. (The C tools replace the link with a regular file, silently detaching
//! the node from the shared copy.) A dangling link's target is created.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

/// Mode of a configuration file the tools create (what the C tools give cluster.conf).
pub const NEW_FILE_MODE: u32 = 0o644;

/// Most symlinks followed before giving up, as the kernel does.
const MAX_SYMLINKS: usize = 40;

/// An I/O failure, naming what was being done and to which path.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct FileError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl FileError {
    fn new(action: &'static str, path: &Path, source: io::Error) -> FileError {
        FileError {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The errno behind the failure, for tools whose exit status is an errno.
    pub fn errno(&self) -> i32 {
        self.source.raw_os_error().unwrap_or(libc_eio())
    }
}

fn libc_eio() -> i32 {
    nix::errno::Errno::EIO as i32
}

/// Reads a configuration file without locking it. A missing file reads as `None`, which the
/// tools treat as an empty configuration.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::new("read", path, e)),
    };
    let too_large = || FileError::new("read", path, io::Error::from_raw_os_error(libc::EFBIG));
    let len = file
        .metadata()
        .map_err(|e| FileError::new("read", path, e))?
        .len();
    if len > MAX_FILE_LEN {
        return Err(too_large());
    }
    // The size can change under us (or be 0 for /proc-like files): the limit holds anyway.
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::new("read", path, e))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(too_large());
    }
    Ok(Some(bytes))
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
        io::Error::from_raw_os_error(nix::errno::Errno::ELOOP as i32),
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

/// A configuration file opened for a read-modify-write cycle: locked until dropped.
#[derive(Debug)]
pub struct LockedFile {
    /// The path as the caller named it (for messages).
    path: PathBuf,
    /// The file that holds the content, symlinks resolved.
    target: PathBuf,
    original: Option<Vec<u8>>,
    _lock: Flock<File>,
}

impl LockedFile {
    /// Locks and reads the file. The directory is created (mode 0755) when missing, as the C
    /// tools create `/etc/ocfs2`. Blocks while another process holds the lock.
    pub fn open(path: &Path) -> Result<LockedFile, FileError> {
        let target = resolve_symlinks(path)?;
        let dir = parent_dir(&target);
        if !dir.exists() {
            fs::DirBuilder::new()
                .mode(0o755)
                .recursive(true)
                .create(&dir)
                .map_err(|e| FileError::new("create directory", &dir, e))?;
        }
        let lock_path = lock_path(&target);
        let lock_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| FileError::new("open lock file", &lock_path, e))?;
        let lock = Flock::lock(lock_file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| FileError::new("lock", &lock_path, io::Error::from(errno)))?;
        let original = read_optional(&target)?;
        Ok(LockedFile {
            path: path.to_path_buf(),
            target,
            original,
            _lock: lock,
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
        if self.original.as_deref() == Some(content) {
            return Ok(Replaced::Unchanged);
        }
        let dir = parent_dir(&self.target);
        let old_meta = match fs::metadata(&self.target) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(FileError::new("examine", &self.target, e)),
        };
        let name = file_name(&self.target);
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
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
            self.keep_backup()?;
        }
        temp.persist(&self.target)
            .map_err(|e| FileError::new("replace", &self.target, e.error))?;
        sync_dir(&dir)?;
        self.original = Some(content.to_vec());
        Ok(Replaced::Written)
    }

    /// Makes `<name>.bak` a copy of the current file: a hard link when the filesystem
    /// allows it (cheap, keeps every attribute), else a copy of the bytes read under the lock.
    fn keep_backup(&self) -> Result<(), FileError> {
        let backup = self.backup_path();
        let staging = sibling(&self.target, ".", &format!(".bak.{}", std::process::id()));
        let _ = fs::remove_file(&staging);
        if fs::hard_link(&self.target, &staging).is_err() {
            let mut f =
                File::create(&staging).map_err(|e| FileError::new("create", &staging, e))?;
            f.write_all(self.original.as_deref().unwrap_or_default())
                .and_then(|()| f.sync_all())
                .map_err(|e| FileError::new("write", &staging, e))?;
        }
        fs::rename(&staging, &backup).map_err(|e| {
            let _ = fs::remove_file(&staging);
            FileError::new("keep a backup at", &backup, e)
        })?;
        Ok(())
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
