//! Mounted filesystems and the filesystems the kernel knows (`/proc/mounts`,
//! `/proc/filesystems`), and mounting and unmounting through `mount(2)` (no `mount(8)`).

use std::fs;
use std::io;
use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};

use crate::kernel_file;
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
    Ok(parse_mounts(&kernel_file::read_to_string(
        &root.proc_mounts(),
    )?))
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
    mounts(root).is_ok_and(|m| mounted_in(&m, root, fstype, target))
}

/// Whether `entries` has a filesystem of `fstype` mounted at `target` (under `root`).
fn mounted_in(entries: &[MountEntry], root: &SysRoot, fstype: &str, target: &Path) -> bool {
    let shown = root.display_path(target);
    entries
        .iter()
        .any(|e| e.fstype == fstype && Path::new(&e.target) == shown)
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
    kernel_file::read_to_string(&root.proc_filesystems())
        .is_ok_and(|t| filesystem_listed(&t, fstype))
}

/// Whether the text of `/proc/filesystems` lists `fstype`.
fn filesystem_listed(text: &str, fstype: &str) -> bool {
    text.lines()
        .any(|l| l.split_whitespace().last() == Some(fstype))
}

/// `/proc/filesystems` and `/proc/mounts` as they were at one moment, each read at most once
/// and only when first asked: for reports such as `o2cb.init status`, which ask several
/// questions of both and are called every few seconds by monitors. Answers as
/// [`filesystem_known`] and [`is_mounted`] give them; a file that cannot be read answers
/// "no" to every question.
#[derive(Debug, Default)]
pub struct MountView {
    filesystems: std::cell::OnceCell<Option<String>>,
    mounts: std::cell::OnceCell<Vec<MountEntry>>,
}

impl MountView {
    pub fn new() -> MountView {
        MountView::default()
    }

    /// [`filesystem_known`], from the view.
    pub fn filesystem_known(&self, root: &SysRoot, fstype: &str) -> bool {
        self.filesystems
            .get_or_init(|| kernel_file::read_to_string(&root.proc_filesystems()).ok())
            .as_deref()
            .is_some_and(|t| filesystem_listed(t, fstype))
    }

    /// [`is_mounted`], from the view.
    pub fn is_mounted(&self, root: &SysRoot, fstype: &str, target: &Path) -> bool {
        let entries = self.mounts.get_or_init(|| mounts(root).unwrap_or_default());
        mounted_in(entries, root, fstype, target)
    }
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

    #[test]
    fn a_view_reads_each_file_once_and_answers_as_the_functions_do() {
        let dir = tempfile::tempdir().unwrap();
        let root = SysRoot::new(dir.path());
        std::fs::create_dir_all(dir.path().join("proc")).unwrap();
        std::fs::write(
            root.proc_filesystems(),
            "nodev\tconfigfs\nnodev\tocfs2_dlmfs\n",
        )
        .unwrap();
        std::fs::write(
            root.proc_mounts(),
            "configfs /sys/kernel/config configfs rw 0 0\n",
        )
        .unwrap();
        let config = root.path("/sys/kernel/config");
        let dlm = root.path("/dlm");
        let view = MountView::new();
        for fs in ["configfs", "ocfs2_dlmfs", "ocfs2"] {
            assert_eq!(
                view.filesystem_known(&root, fs),
                filesystem_known(&root, fs),
                "{fs}"
            );
        }
        assert!(view.is_mounted(&root, "configfs", &config));
        assert!(!view.is_mounted(&root, "ocfs2_dlmfs", &dlm));
        assert!(!view.is_mounted(&root, "debugfs", &config));
        // Later changes are not seen: the view is one moment.
        std::fs::write(root.proc_filesystems(), "nodev\tocfs2\n").unwrap();
        std::fs::write(root.proc_mounts(), "ocfs2_dlmfs /dlm ocfs2_dlmfs rw 0 0\n").unwrap();
        assert!(view.filesystem_known(&root, "configfs"));
        assert!(!view.is_mounted(&root, "ocfs2_dlmfs", &dlm));
        assert!(is_mounted(&root, "ocfs2_dlmfs", &dlm));
        // Unreadable files answer "no".
        let empty = tempfile::tempdir().unwrap();
        let none = SysRoot::new(empty.path());
        let view = MountView::new();
        assert!(!view.filesystem_known(&none, "configfs"));
        assert!(!view.is_mounted(&none, "configfs", &config));
    }
}
