//! Every system path the tools touch, resolved in one place.
//!
//! The tools read and write fixed places (`/etc/ocfs2/cluster.conf`, `/etc/default/o2cb`,
//! configfs, `/sys`, `/proc`, `/dev`, `/dlm`). All of them are built here from a root
//! directory, which is `/` in production and a temporary directory in tests: setting
//! `O2CB_SYSROOT=/tmp/x` makes every binary look for `/tmp/x/etc/ocfs2/cluster.conf`,
//! `/tmp/x/sys/kernel/config`, and so on. Paths the user names on the command line (a
//! `--config-file`, a device) are taken as given and never re-rooted.

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

    /// Candidate configfs mount points, in the order libo2cb tries them (spec §5.1).
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

    pub fn loaded_cluster_plugins(&self) -> PathBuf {
        self.path("/sys/fs/ocfs2/loaded_cluster_plugins")
    }

    /// Where the kernel's interface revision may be found, newest kernels first (spec §5.4).
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

    pub fn modprobe(&self) -> PathBuf {
        self.path("/sbin/modprobe")
    }
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
}
