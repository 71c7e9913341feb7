//! What the tools record about the running system under `/run/o2cb` (a tmpfs: gone at
//! reboot, as the state it describes is).

use std::fs;
use std::io;
use std::path::PathBuf;

use crate::paths::SysRoot;

/// Where a filesystem's activation is recorded (classic kernels have no place for it).
pub fn activation_path(root: &SysRoot, uuid: &str) -> PathBuf {
    root.path("/run/o2cb/filesystems").join(uuid)
}

/// Records an activation; `text` says what was activated (cluster, node, slot).
pub fn record_activation(root: &SysRoot, uuid: &str, text: &str) -> io::Result<()> {
    let path = activation_path(root, uuid);
    fs::create_dir_all(path.parent().expect("a file under /run/o2cb"))?;
    fs::write(path, text)
}

/// Forgets an activation; forgetting one that is not recorded is fine.
pub fn clear_activation(root: &SysRoot, uuid: &str) -> io::Result<()> {
    match fs::remove_file(activation_path(root, uuid)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

pub fn is_activated(root: &SysRoot, uuid: &str) -> bool {
    activation_path(root, uuid).exists()
}
