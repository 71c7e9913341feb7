//! The five things the tools do to configfs, behind a trait so that the planner and the
//! undo logic can be tested against a model of the kernel's rules.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// configfs operations on paths relative to the configfs mount point (e.g.
/// `cluster/web/node/alpha/num`).
pub trait ConfigfsIo {
    fn mkdir(&mut self, path: &Path) -> io::Result<()>;
    fn rmdir(&mut self, path: &Path) -> io::Result<()>;
    /// One `write(2)` of exactly `value` (no newline added), as libo2cb does.
    fn write(&mut self, path: &Path, value: &[u8]) -> io::Result<()>;
    /// Opens `device` read-write and writes the number of that file descriptor to `path`
    /// (how a heartbeat region is given its device); the descriptor is closed afterwards.
    fn write_device_fd(&mut self, path: &Path, device: &Path) -> io::Result<()>;
    /// The attribute's content, without the kernel's trailing newline.
    fn read(&mut self, path: &Path) -> io::Result<String>;
    /// Names of the sub-directories, in readdir order (configfs lists the newest first).
    fn list_dirs(&mut self, path: &Path) -> io::Result<Vec<String>>;
    fn exists(&mut self, path: &Path) -> bool;
}

/// The real configfs — or, under a test root (`O2CB_SYSROOT`), a plain directory tree
/// standing in for it: there attribute files are created by their first write (with their
/// directory) and removed with their directory, as configfs shows them. The kernel's rules
/// are not emulated; tests of those use the models in `tests/`.
#[derive(Debug, Clone)]
pub struct RealConfigfs {
    root: PathBuf,
    plain_tree: bool,
}

impl RealConfigfs {
    pub fn new(root: PathBuf) -> RealConfigfs {
        RealConfigfs {
            root,
            plain_tree: false,
        }
    }

    /// The configfs of a system root: the real one for `/`, a plain tree otherwise.
    pub fn for_root(root: PathBuf, real_system: bool) -> RealConfigfs {
        RealConfigfs {
            root,
            plain_tree: !real_system,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn full(&self, path: &Path) -> PathBuf {
        self.root.join(path)
    }
}

impl ConfigfsIo for RealConfigfs {
    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        let full = self.full(path);
        if self.plain_tree && full.exists() {
            return Err(io::Error::from_raw_os_error(
                nix::errno::Errno::EEXIST as i32,
            ));
        }
        fs::DirBuilder::new()
            .mode(0o755)
            .recursive(self.plain_tree)
            .create(full)
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        let full = self.full(path);
        if self.plain_tree {
            for entry in fs::read_dir(&full)? {
                let entry = entry?;
                if entry.file_type()?.is_file() {
                    fs::remove_file(entry.path())?;
                } else if entry.file_name() != "heartbeat" && entry.file_name() != "node" {
                    return Err(io::Error::from_raw_os_error(
                        nix::errno::Errno::ENOTEMPTY as i32,
                    ));
                } else {
                    // Default groups go with their parent, as in configfs, once empty of items.
                    let sub = entry.path();
                    if fs::read_dir(&sub)?
                        .flatten()
                        .any(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    {
                        return Err(io::Error::from_raw_os_error(
                            nix::errno::Errno::ENOTEMPTY as i32,
                        ));
                    }
                    fs::remove_dir_all(sub)?;
                }
            }
        }
        fs::remove_dir(full)
    }

    fn write(&mut self, path: &Path, value: &[u8]) -> io::Result<()> {
        let full = self.full(path);
        if self.plain_tree {
            if let Some(dir) = full.parent() {
                fs::create_dir_all(dir)?;
            }
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create(self.plain_tree)
            .truncate(self.plain_tree)
            .open(full)?;
        // configfs takes one store per write call: a short write would be a second store.
        let n = f.write(value)?;
        if n != value.len() {
            return Err(io::Error::from_raw_os_error(nix::errno::Errno::EIO as i32));
        }
        Ok(())
    }

    fn write_device_fd(&mut self, path: &Path, device: &Path) -> io::Result<()> {
        let dev = OpenOptions::new().read(true).write(true).open(device)?;
        let fd = dev.as_raw_fd().to_string();
        let result = self.write(path, fd.as_bytes());
        drop(dev);
        result
    }

    fn read(&mut self, path: &Path) -> io::Result<String> {
        let mut s = o2cb_sys::kernel_file::read_to_string(&self.full(path))?;
        if s.ends_with('\n') {
            s.pop();
        }
        Ok(s)
    }

    fn list_dirs(&mut self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(self.full(path))? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(names)
    }

    fn exists(&mut self, path: &Path) -> bool {
        self.full(path).exists()
    }
}
