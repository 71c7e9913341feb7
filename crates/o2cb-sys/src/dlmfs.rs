//! ocfs2_dlmfs, the userspace lock filesystem mounted at `/dlm`: its domains.

use std::fs;
use std::io;
use std::path::Path;

/// ocfs2_dlmfs's statfs magic.
pub const DLMFS_MAGIC: i64 = 0x76a9_f425;

/// Whether `dir` is on a dlmfs mount.
pub fn is_dlmfs(dir: &Path) -> bool {
    nix::sys::statfs::statfs(dir).is_ok_and(|s| s.filesystem_type().0 == DLMFS_MAGIC)
}

/// The userdlm domains (directories of the dlmfs mount), sorted; none if `dir` is not dlmfs.
pub fn domains(dir: &Path) -> Vec<String> {
    if !is_dlmfs(dir) {
        return Vec::new();
    }
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Removes a domain: its lock files, then the directory.
pub fn remove_domain(dir: &Path, domain: &str) -> io::Result<()> {
    let path = dir.join(domain);
    for entry in fs::read_dir(&path)? {
        fs::remove_file(entry?.path())?;
    }
    fs::remove_dir(&path)
}

/// Whether ocfs2_dlmfs can serve userspace stacks (its `capabilities` parameter lists
/// `stackglue`).
pub fn supports_user_stacks(module_dir: &Path) -> bool {
    fs::read_to_string(module_dir.join("parameters/capabilities")).is_ok_and(|c| {
        c.split(|ch: char| !ch.is_alphanumeric())
            .any(|w| w == "stackglue")
    })
}
