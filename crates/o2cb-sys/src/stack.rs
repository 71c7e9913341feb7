//! The kernel side of the cluster stack as libo2cb's start-up sees it
//! (docs/ocfs2-tools-reference.md §5.5): which stack is active, whether the node manager's
//! interface is one we speak, and where configfs is.

use std::fs;
use std::path::PathBuf;

use crate::kernel_file;
use crate::modules::modprobe;
use crate::paths::SysRoot;

/// The interface revision this implementation speaks (as libo2cb 1.8).
pub const INTERFACE_REVISION: u32 = 5;

/// The classic stack's label in `/sys/fs/ocfs2/cluster_stack`.
pub const CLASSIC_STACK: &str = "o2cb";

/// Why the cluster stack cannot be used. The first words of each message are libo2cb's
/// (scripts grep for them); the rest says what exactly is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StackError {
    #[error("Unable to access cluster service: {0}")]
    Unavailable(String),
    #[error("Revision of OCFS2-Tools is out of date. (the kernel speaks interface revision {0}, this tool {INTERFACE_REVISION})")]
    BadVersion(u32),
    #[error("Internal logic failure: {0}")]
    Internal(String),
    #[error("This tool supports the 'o2cb' stack, but the '{0}' stack is in use.")]
    OtherStack(String),
}

/// What start-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInfo {
    /// The active stack's label (`o2cb` when the kernel has no stack glue).
    pub stack: String,
    pub interface_revision: u32,
    /// Where configfs is mounted.
    pub configfs: PathBuf,
}

/// The active stack label, if the stack glue is loaded.
pub fn active_stack(root: &SysRoot) -> Option<String> {
    fs::read_to_string(root.cluster_stack())
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string())
}

/// libo2cb's `o2cb_init`, with the classic stack required. With `load_modules`, a missing
/// stack glue is set up the way libo2cb does it (modprobe `ocfs2` and `ocfs2_stack_o2cb`,
/// then select `o2cb`); without, nothing on the machine changes (for queries).
pub fn init_classic(root: &SysRoot, load_modules: bool) -> Result<StackInfo, StackError> {
    let mut stack = active_stack(root);
    if stack.is_none() && load_modules {
        let _ = modprobe(root, "ocfs2", true);
        let _ = modprobe(root, "ocfs2_stack_o2cb", true);
        let _ = fs::write(root.cluster_stack(), CLASSIC_STACK);
        stack = active_stack(root);
    }
    let stack = stack.unwrap_or_else(|| CLASSIC_STACK.to_string());
    if stack.len() != 4 {
        return Err(StackError::Internal(format!(
            "the active cluster stack label `{stack}` is not 4 characters"
        )));
    }
    if stack != CLASSIC_STACK {
        return Err(StackError::OtherStack(stack));
    }
    let revision_path = root
        .interface_revision_candidates()
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| {
            StackError::Unavailable(
                "the o2cb node manager is not loaded (no interface_revision in /sys/fs/o2cb)"
                    .into(),
            )
        })?;
    let text = fs::read_to_string(&revision_path).map_err(|e| {
        StackError::Unavailable(format!("cannot read {}: {e}", revision_path.display()))
    })?;
    let interface_revision: u32 = text.trim().parse().map_err(|_| {
        StackError::Internal(format!(
            "{} holds `{}`",
            revision_path.display(),
            text.trim()
        ))
    })?;
    if interface_revision > INTERFACE_REVISION {
        return Err(StackError::BadVersion(interface_revision));
    }
    let configfs = configfs_mount(root).ok_or_else(|| {
        StackError::Unavailable("configfs is not mounted at /sys/kernel/config or /config".into())
    })?;
    Ok(StackInfo {
        stack,
        interface_revision,
        configfs,
    })
}

/// The configfs magic number `statfs` reports.
pub const CONFIGFS_MAGIC: i64 = 0x6265_6570;

/// Where configfs is mounted (reference §5.1): `/sys/kernel/config`, else `/config`, each only
/// if it is a directory on a configfs mount. Under a test root any directory is accepted.
pub fn configfs_mount(root: &SysRoot) -> Option<PathBuf> {
    root.configfs_candidates().into_iter().find(|dir| {
        dir.is_dir()
            && (!root.is_real_root()
                || nix::sys::statfs::statfs(dir.as_path())
                    .is_ok_and(|s| s.filesystem_type().0 == CONFIGFS_MAGIC))
    })
}

/// Selects the active stack (`/sys/fs/ocfs2/cluster_stack`), as the init script does:
/// the label and a newline.
pub fn set_cluster_stack(root: &SysRoot, label: &str) -> std::io::Result<()> {
    fs::write(root.cluster_stack(), format!("{label}\n"))
}

/// The stack plugins the stack glue has loaded (`loaded_cluster_plugins`).
pub fn loaded_plugins(root: &SysRoot) -> Vec<String> {
    stack_glue_plugins(root).unwrap_or_default()
}

/// The loaded stack plugins, `None` when the stack glue is not loaded: [`stack_glue_loaded`]
/// and [`loaded_plugins`] in one read.
/// A plugin counts as loaded when the file names it or its module is loaded: with both
/// plugins loaded, Linux 6.1's file shows only one of them (found on the kernel,
/// `init-pcmk`).
pub fn stack_glue_plugins(root: &SysRoot) -> Option<Vec<String>> {
    let text = kernel_file::read_to_string(&root.loaded_cluster_plugins()).ok()?;
    let mut plugins: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    for name in ["o2cb", "user"] {
        if !plugins.iter().any(|p| p == name)
            && root.sys_module(&format!("ocfs2_stack_{name}")).exists()
        {
            plugins.push(name.to_string());
        }
    }
    Some(plugins)
}

/// Whether the stack glue is loaded (its sysfs files exist).
pub fn stack_glue_loaded(root: &SysRoot) -> bool {
    root.loaded_cluster_plugins().exists()
}

/// The node numbers o2hb sees alive (`/sys/kernel/debug/o2hb/livenodes`), as it prints them.
pub fn live_nodes(root: &SysRoot) -> Option<String> {
    kernel_file::read_to_string(&root.o2hb_livenodes())
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string())
}

/// `/var/lock/subsys/o2cb`, kept where the system has `/var/lock/subsys` (Red Hat style init).
pub fn touch_subsys_lock(root: &SysRoot) {
    let dir = root.lock_subsys_dir();
    if dir.is_dir() {
        let _ = fs::File::create(dir.join("o2cb"));
    }
}

pub fn remove_subsys_lock(root: &SysRoot) {
    let _ = fs::remove_file(root.lock_subsys_dir().join("o2cb"));
}
