//! Mounting a volume with `mount(2)` as a mount helper does: the flags and the file system's
//! own option string already separated, and the `/etc/mtab` line for systems where that
//! file is still a real file.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use nix::mount::{mount, MsFlags};

use crate::paths::SysRoot;

/// `mount(2)`. `flags` are `MS_*` bits; `data` goes to the file system as is.
pub fn mount_volume(
    source: &Path,
    target: &Path,
    fstype: &str,
    flags: u64,
    data: &str,
) -> io::Result<()> {
    mount(
        Some(source),
        target,
        Some(fstype),
        MsFlags::from_bits_retain(flags),
        Some(data),
    )
    .map_err(io::Error::from)
}

/// Appends a mount to `/etc/mtab` when that is a regular file (old systems); where it is
/// the usual link to `/proc/self/mounts`, or missing, the kernel's table is the only one and
/// nothing is written. Returns whether a line was added.
pub fn add_mtab_entry(
    root: &SysRoot,
    source: &str,
    target: &str,
    fstype: &str,
    options: &str,
) -> io::Result<bool> {
    let mtab = root.path("/etc/mtab");
    match std::fs::symlink_metadata(&mtab) {
        Ok(m) if m.file_type().is_file() => {}
        _ => return Ok(false),
    }
    let field = |s: &str| mtab_escape(s);
    let line = format!(
        "{} {} {} {} 0 0\n",
        field(source),
        field(target),
        field(fstype),
        field(options)
    );
    let mut f = OpenOptions::new().append(true).open(&mtab)?;
    // One write of the whole line: O_APPEND keeps concurrent writers' lines whole.
    f.write_all(line.as_bytes())?;
    Ok(true)
}

/// mtab's escapes for the characters that separate its fields.
fn mtab_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' => out.push_str("\\040"),
            '\t' => out.push_str("\\011"),
            '\n' => out.push_str("\\012"),
            '\\' => out.push_str("\\134"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtab_gets_a_line_only_when_it_is_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = SysRoot::new(dir.path());
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        assert!(!add_mtab_entry(&root, "/dev/vda", "/mnt", "ocfs2", "rw").unwrap());
        std::os::unix::fs::symlink("/proc/self/mounts", dir.path().join("etc/mtab")).unwrap();
        assert!(!add_mtab_entry(&root, "/dev/vda", "/mnt", "ocfs2", "rw").unwrap());
        std::fs::remove_file(dir.path().join("etc/mtab")).unwrap();
        std::fs::write(dir.path().join("etc/mtab"), "proc /proc proc rw 0 0\n").unwrap();
        assert!(add_mtab_entry(&root, "/dev/vda", "/mnt/a b", "ocfs2", "rw,_netdev").unwrap());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("etc/mtab")).unwrap(),
            "proc /proc proc rw 0 0\n/dev/vda /mnt/a\\040b ocfs2 rw,_netdev 0 0\n"
        );
    }
}
