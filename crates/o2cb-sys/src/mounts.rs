//! Mounted filesystems and the filesystems the kernel knows (`/proc/mounts`,
//! `/proc/filesystems`), and mounting and unmounting through `mount(2)` (no `mount(8)`).

use std::fs;
use std::io;
use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};

use crate::paths::SysRoot;

/// One line of `/proc/mounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub source: String,
    pub target: String,
    pub fstype: String,
    pub options: String,
}

/// `/proc/mounts`, octal escapes in paths decoded.
pub fn mounts(root: &SysRoot) -> io::Result<Vec<MountEntry>> {
    Ok(parse_mounts(&fs::read_to_string(root.proc_mounts())?))
}

fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_mounts(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some(MountEntry {
                source: unescape(f.next()?),
                target: unescape(f.next()?),
                fstype: f.next()?.to_string(),
                options: f.next().unwrap_or("").to_string(),
            })
        })
        .collect()
}

/// Whether a filesystem of `fstype` is mounted at `target` (a path as the kernel shows it).
pub fn is_mounted(root: &SysRoot, fstype: &str, target: &Path) -> bool {
    let shown = root.display_path(target);
    mounts(root).is_ok_and(|m| {
        m.iter()
            .any(|e| e.fstype == fstype && Path::new(&e.target) == shown)
    })
}

/// Mount points of every filesystem of `fstype`.
pub fn mount_points(root: &SysRoot, fstype: &str) -> Vec<String> {
    mounts(root)
        .map(|m| {
            m.into_iter()
                .filter(|e| e.fstype == fstype)
                .map(|e| e.target)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the kernel knows the filesystem type (`/proc/filesystems`), i.e. its driver is
/// loaded or built in.
pub fn filesystem_known(root: &SysRoot, fstype: &str) -> bool {
    fs::read_to_string(root.proc_filesystems()).is_ok_and(|t| {
        t.lines()
            .any(|l| l.split_whitespace().last() == Some(fstype))
    })
}

/// `mount -t FSTYPE FSTYPE TARGET` as the init script does it (the source is the type name).
pub fn mount_pseudo(fstype: &str, target: &Path) -> io::Result<()> {
    mount(
        Some(fstype),
        target,
        Some(fstype),
        MsFlags::empty(),
        None::<&str>,
    )
    .map_err(io::Error::from)
}

/// `umount TARGET`.
pub fn unmount(target: &Path) -> io::Result<()> {
    umount2(target, MntFlags::empty()).map_err(io::Error::from)
}

/// Whether a directory exists and has no entries.
pub fn is_empty_dir(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
}

/// `mkdir -p`.
pub fn make_dir_all(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_are_parsed_with_escapes() {
        let m = parse_mounts("configfs /sys/kernel/config configfs rw,relatime 0 0\nocfs2_dlmfs /dlm ocfs2_dlmfs rw 0 0\n/dev/vda /mnt/with\\040space ocfs2 rw 0 0\n");
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].target, "/dlm");
        assert_eq!(m[2].target, "/mnt/with space");
        assert_eq!(m[2].fstype, "ocfs2");
    }
}
