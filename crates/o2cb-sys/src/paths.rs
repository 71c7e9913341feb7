//! Every system path the tools touch, resolved in one place.
//!
//! The tools read and write fixed places (`/etc/ocfs2/cluster.conf`, `/etc/default/o2cb`,
//! configfs, `/sys`, `/proc`, `/dev`, `/dlm`). All of them are built here from a root
//! directory, which is `/` in production and a temporary directory in tests: setting
//! `O2CB_SYSROOT=/tmp/x` makes every binary look for `/tmp/x/etc/ocfs2/cluster.conf`,
//! `/tmp/x/sys/kernel/config`, and so on. Paths the user names on the command line (a
//! `--config-file`, a device) are taken as given and never re-rooted.
//!
//! Programs the tools run (`modprobe`, `ionice`, `o2hbmonitor`, ...) are found here too, the
//! way the C tools and their init script find them: each directory of `PATH`, then the usual
//! sbin and bin directories, all under the root. A test root without a `modprobe` therefore
//! gets "not found", never the machine's real one.

use std::path::{Path, PathBuf};

/// The environment variable that moves the system root (for tests).
pub const SYSROOT_ENV: &str = "O2CB_SYSROOT";

/// The root all system paths hang from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysRoot {
    root: PathBuf,
}

impl Default for SysRoot {
    fn default() -> Self {
        SysRoot::new("/")
    }
}

impl SysRoot {
    pub fn new(root: impl Into<PathBuf>) -> SysRoot {
        SysRoot { root: root.into() }
    }

    /// `/`, or the directory named by `O2CB_SYSROOT` when it is set and not empty.
    pub fn from_env() -> SysRoot {
        match std::env::var_os(SYSROOT_ENV) {
            Some(r) if !r.is_empty() => SysRoot::new(r),
            _ => SysRoot::default(),
        }
    }

    pub fn is_real_root(&self) -> bool {
        self.root == Path::new("/")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// An absolute system path under this root.
    pub fn path(&self, absolute: &str) -> PathBuf {
        debug_assert!(absolute.starts_with('/'));
        if self.is_real_root() {
            PathBuf::from(absolute)
        } else {
            self.root.join(absolute.trim_start_matches('/'))
        }
    }

    /// The inverse of [`SysRoot::path`]: how a path under this root is spelled on a real
    /// system (for messages and for values written to the kernel, which knows no root).
    pub fn display_path(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.root) {
            Ok(rest) if !self.is_real_root() => Path::new("/").join(rest),
            _ => path.to_path_buf(),
        }
    }

    pub fn cluster_conf(&self) -> PathBuf {
        self.path("/etc/ocfs2/cluster.conf")
    }

    /// Candidate configfs mount points, in the order libo2cb tries them
    /// (docs/ocfs2-tools-reference.md §5.1).
    pub fn configfs_candidates(&self) -> [PathBuf; 2] {
        [self.path("/sys/kernel/config"), self.path("/config")]
    }

    pub fn sysconfig_o2cb(&self) -> PathBuf {
        self.path("/etc/sysconfig/o2cb")
    }

    pub fn default_o2cb(&self) -> PathBuf {
        self.path("/etc/default/o2cb")
    }

    pub fn sysconfig_dir(&self) -> PathBuf {
        self.path("/etc/sysconfig")
    }

    pub fn cluster_stack(&self) -> PathBuf {
        self.path("/sys/fs/ocfs2/cluster_stack")
    }

    /// Present when the kernel's OCFS2 takes DLM recovery callbacks (no control daemon
    /// needed on the user stack).
    pub fn dlm_recover_callback_support(&self) -> PathBuf {
        self.path("/sys/fs/ocfs2/dlm_recover_callback_support")
    }

    /// The cluster name dlm_controld gave the kernel's DLM (corosync's `cluster_name`).
    pub fn dlm_cluster_name(&self) -> PathBuf {
        self.path("/sys/kernel/config/dlm/cluster/cluster_name")
    }

    pub fn loaded_cluster_plugins(&self) -> PathBuf {
        self.path("/sys/fs/ocfs2/loaded_cluster_plugins")
    }

    /// Where the kernel's interface revision may be found, newest kernels first (reference §5.4).
    pub fn interface_revision_candidates(&self) -> [PathBuf; 3] {
        [
            self.path("/sys/fs/o2cb/interface_revision"),
            self.path("/sys/o2cb/interface_revision"),
            self.path("/proc/fs/ocfs2_nodemanager/interface_revision"),
        ]
    }

    pub fn hb_ctl_path(&self) -> PathBuf {
        self.path("/proc/sys/fs/ocfs2/nm/hb_ctl_path")
    }

    pub fn proc_partitions(&self) -> PathBuf {
        self.path("/proc/partitions")
    }

    pub fn proc_mounts(&self) -> PathBuf {
        self.path("/proc/mounts")
    }

    pub fn proc_filesystems(&self) -> PathBuf {
        self.path("/proc/filesystems")
    }

    pub fn proc_modules(&self) -> PathBuf {
        self.path("/proc/modules")
    }

    pub fn proc_devices(&self) -> PathBuf {
        self.path("/proc/devices")
    }

    pub fn dev(&self) -> PathBuf {
        self.path("/dev")
    }

    pub fn sys_block(&self) -> PathBuf {
        self.path("/sys/block")
    }

    pub fn sys_dev_block(&self) -> PathBuf {
        self.path("/sys/dev/block")
    }

    pub fn sys_module(&self, module: &str) -> PathBuf {
        self.path(&format!("/sys/module/{module}"))
    }

    pub fn dlmfs_mount_point(&self) -> PathBuf {
        self.path("/dlm")
    }

    pub fn debugfs(&self) -> PathBuf {
        self.path("/sys/kernel/debug")
    }

    pub fn o2hb_livenodes(&self) -> PathBuf {
        self.path("/sys/kernel/debug/o2hb/livenodes")
    }

    pub fn lock_subsys_dir(&self) -> PathBuf {
        self.path("/var/lock/subsys")
    }

    /// The executable `name` (a bare program name), found through `PATH` and then
    /// [`PROGRAM_DIRS`], every directory under this root. Relative and empty `PATH` entries
    /// are skipped: a root tool must not run what happens to be in its working directory.
    pub fn find_program(&self, name: &str) -> Option<PathBuf> {
        self.find_program_in(name, &std::env::var_os("PATH").unwrap_or_default())
    }

    /// [`SysRoot::find_program`] with `search_path` in place of `PATH`.
    pub fn find_program_in(&self, name: &str, search_path: &std::ffi::OsStr) -> Option<PathBuf> {
        debug_assert!(!name.contains('/'));
        let from_path: Vec<PathBuf> = std::env::split_paths(search_path)
            .filter(|d| d.is_absolute())
            .collect();
        from_path
            .iter()
            .map(|d| self.path(&d.to_string_lossy()))
            .chain(PROGRAM_DIRS.iter().map(|d| self.path(d)))
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    }

    /// [`SysRoot::find_program`], or an error that names the program and where it was
    /// looked for.
    pub fn program(&self, name: &str) -> std::io::Result<PathBuf> {
        self.find_program(name).ok_or_else(|| {
            let under = if self.is_real_root() {
                String::new()
            } else {
                format!(" under {}", self.root.display())
            };
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{name}: program not found on PATH or in {}{under}",
                    PROGRAM_DIRS.join(", ")
                ),
            )
        })
    }
}

/// Where programs are looked for after `PATH`: the system directories of every
/// distribution the tools run on (merged-/usr or not).
pub const PROGRAM_DIRS: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_root_paths_are_unchanged() {
        let r = SysRoot::default();
        assert_eq!(r.cluster_conf(), PathBuf::from("/etc/ocfs2/cluster.conf"));
        assert_eq!(r.display_path(Path::new("/dlm")), PathBuf::from("/dlm"));
    }

    #[test]
    fn test_root_moves_every_system_path() {
        let r = SysRoot::new("/tmp/root");
        assert_eq!(
            r.cluster_conf(),
            PathBuf::from("/tmp/root/etc/ocfs2/cluster.conf")
        );
        assert_eq!(
            r.configfs_candidates()[1],
            PathBuf::from("/tmp/root/config")
        );
        assert_eq!(
            r.display_path(&r.path("/sys/kernel/config/cluster")),
            PathBuf::from("/sys/kernel/config/cluster")
        );
    }

    fn executable(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn programs_are_found_only_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let r = SysRoot::new(dir.path());
        // The machine has a modprobe (or not): a test root without one finds none.
        assert_eq!(r.find_program("modprobe"), None);
        let e = r.program("modprobe").unwrap_err();
        assert!(e.to_string().contains("modprobe: program not found"), "{e}");
        assert!(
            e.to_string().contains(&dir.path().display().to_string()),
            "{e}"
        );
        executable(&dir.path().join("sbin/modprobe"));
        assert_eq!(
            r.find_program("modprobe"),
            Some(dir.path().join("sbin/modprobe"))
        );
        // A file that is not executable is not a program.
        std::fs::create_dir_all(dir.path().join("usr/sbin")).unwrap();
        std::fs::write(dir.path().join("usr/sbin/o2hbmonitor"), "").unwrap();
        assert_eq!(r.find_program("o2hbmonitor"), None);
    }

    #[test]
    fn path_comes_before_the_system_directories() {
        let dir = tempfile::tempdir().unwrap();
        let r = SysRoot::new(dir.path());
        executable(&dir.path().join("sbin/o2hbmonitor"));
        executable(&dir.path().join("opt/ha/bin/o2hbmonitor"));
        executable(&dir.path().join("relative/bin/o2hbmonitor"));
        let found = |path: &str| r.find_program_in("o2hbmonitor", std::ffi::OsStr::new(path));
        assert_eq!(
            found("relative/bin::/opt/ha/bin:/usr/bin"),
            Some(dir.path().join("opt/ha/bin/o2hbmonitor"))
        );
        // Debian's init scripts run with /usr/sbin before /sbin; without PATH, the fixed list.
        assert_eq!(found(""), Some(dir.path().join("sbin/o2hbmonitor")));
        executable(&dir.path().join("usr/sbin/o2hbmonitor"));
        assert_eq!(
            found("/usr/bin"),
            Some(dir.path().join("usr/sbin/o2hbmonitor"))
        );
    }
}
