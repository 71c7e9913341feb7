//! The user stack as a mount sees it (docs/compatibility.md, "The user stack"): corosync decides membership, dlm_controld gives the
//! kernel's DLM its cluster, and every mounted volume is a DLM lockspace of its own. No
//! control daemon, no heartbeat region, no o2cb configfs tree.
//!
//! Everything a mount needs is checked here before mount(2), because the kernel's failures
//! come late and say little: a mount whose DLM join cannot finish would wait, and a
//! refusal arrives as a bare errno (EBADR, EUNATCH, ENOTCONN).

use std::fs;
use std::io;

use crate::modules::modprobe;
use crate::paths::SysRoot;
use crate::process;

/// The label of the one user stack that runs without a control daemon.
pub const PCMK: &str = "pcmk";

/// Why a user-stack mount cannot go ahead. Each says what is missing or what differs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserStackError {
    #[error(
        "the volume is formatted for the {0} stack, which needs ocfs2_controld; these tools \
         run the o2cb and pcmk stacks (tunefs.ocfs2 --update-cluster-stack changes a volume's \
         stack)"
    )]
    Unsupported(String),
    #[error("the kernel has no OCFS2 stack glue (no {0}): load the ocfs2 module")]
    NoStackGlue(String),
    #[error(
        "the {active} stack is in use on this node (volumes of it are mounted), and a node runs \
         one stack at a time: unmount them to mount a {wanted} volume"
    )]
    OtherStackBusy { active: String, wanted: String },
    #[error("cannot select the {wanted} stack in {file}: {reason}")]
    SelectFailed {
        wanted: String,
        file: String,
        reason: String,
    },
    #[error(
        "the kernel's OCFS2 takes no DLM recovery callbacks (no {0}), so it would need \
         ocfs2_controld, which these tools do not run: use a kernel of 3.14 or later"
    )]
    NoRecoveryCallbacks(String),
    #[error("{0} is not running: the cluster manager starts it before OCFS2 volumes are mounted")]
    NotRunning(&'static str),
    #[error(
        "dlm_controld has given the kernel no cluster (no {0}): it is starting, or it stopped \
         and left its configuration behind"
    )]
    NoDlmCluster(String),
    #[error(
        "the volume belongs to cluster '{volume}', but this node's corosync runs cluster \
         '{running}' (the DLM would refuse the mount: EBADR)"
    )]
    OtherCluster { volume: String, running: String },
}

/// What the user stack looks like on this node: the cluster name dlm_controld gave the
/// kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStack {
    pub label: String,
    pub cluster_name: String,
}

/// Whether `label` names a user stack these tools run (`pcmk`); `cman` and anything else
/// need a control daemon.
pub fn check_label(label: &str) -> Result<(), UserStackError> {
    if label == PCMK {
        Ok(())
    } else {
        Err(UserStackError::Unsupported(shown(label)))
    }
}

/// A name read from a volume, as messages show it: control characters escaped, so that a
/// damaged or hostile superblock cannot write to the terminal.
fn shown(name: &str) -> String {
    name.escape_debug().to_string()
}

/// Makes the node ready to mount a `label` volume of cluster `volume_cluster`, as the C
/// mount.ocfs2 does and with the checks it leaves to the kernel: loads the stack glue and the
/// user-stack plugin when they are missing, checks what the kernel would answer late (DLM
/// recovery callbacks, corosync and dlm_controld running, the DLM's cluster being the
/// volume's), and only then selects the stack (the label written without a newline), so that
/// a refusal leaves the stack file as it was. With `change` false (a fake mount) nothing on
/// the machine changes. A node that runs the other stack keeps it: the kernel refuses the
/// write with EBUSY while volumes of that stack are mounted.
pub fn prepare(
    root: &SysRoot,
    label: &str,
    volume_cluster: &str,
    change: bool,
) -> Result<UserStack, UserStackError> {
    check_label(label)?;
    let file = root.cluster_stack();
    if change && !file.exists() {
        let _ = modprobe(root, "ocfs2", true);
        let _ = modprobe(root, "ocfs2_stack_user", true);
    }
    let shown = root.display_path(&file).display().to_string();
    let Ok(active) = fs::read_to_string(&file) else {
        return Err(UserStackError::NoStackGlue(shown));
    };
    let active = active.trim_end_matches('\n').to_string();
    let ready = check_ready(root, label, volume_cluster)?;
    if !change {
        return Ok(ready);
    }
    match fs::write(&file, label) {
        Ok(()) => Ok(ready),
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Err(UserStackError::OtherStackBusy {
            active,
            wanted: label.to_string(),
        }),
        Err(e) => Err(UserStackError::SelectFailed {
            wanted: label.to_string(),
            file: shown,
            reason: io_reason(&e),
        }),
    }
}

fn io_reason(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// The checks the kernel would otherwise answer late: recovery callbacks, corosync and
/// dlm_controld running, and the cluster the DLM runs being the volume's.
pub fn check_ready(
    root: &SysRoot,
    label: &str,
    volume_cluster: &str,
) -> Result<UserStack, UserStackError> {
    check_callbacks(root)?;
    if let Some(daemon) = missing_daemon(root) {
        return Err(UserStackError::NotRunning(daemon));
    }
    let name_file = root.dlm_cluster_name();
    let running = fs::read_to_string(&name_file)
        .map(|s| s.trim_end_matches('\n').to_string())
        .map_err(|_| {
            UserStackError::NoDlmCluster(root.display_path(&name_file).display().to_string())
        })?;
    if running != volume_cluster {
        return Err(UserStackError::OtherCluster {
            volume: shown(volume_cluster),
            running: shown(&running),
        });
    }
    Ok(UserStack {
        label: label.to_string(),
        cluster_name: running,
    })
}

/// Whether the kernel's OCFS2 takes DLM recovery callbacks: without them a user stack needs
/// ocfs2_controld, which these tools do not run.
pub fn check_callbacks(root: &SysRoot) -> Result<(), UserStackError> {
    let callbacks = root.dlm_recover_callback_support();
    if callbacks.exists() {
        Ok(())
    } else {
        Err(UserStackError::NoRecoveryCallbacks(
            root.display_path(&callbacks).display().to_string(),
        ))
    }
}

/// The cluster daemons a user-stack node needs, in the order they start.
pub const DAEMONS: [&str; 2] = ["corosync", "dlm_controld"];

/// The first of [`DAEMONS`] that is not running.
pub fn missing_daemon(root: &SysRoot) -> Option<&'static str> {
    DAEMONS
        .into_iter()
        .find(|d| process::by_name(root, d).is_empty())
}

/// What `o2cb.init status` reports of the user stack: the stack the node runs, which
/// daemons run, the cluster dlm_controld gave the kernel (corosync's name), its members
/// (corosync node ids, from the DLM's configfs tree), and the DLM lockspaces of OCFS2
/// volumes (one per mounted volume).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserStackState {
    pub active_stack: Option<String>,
    pub corosync_running: bool,
    pub dlm_controld_running: bool,
    pub cluster_name: Option<String>,
    pub members: Vec<u32>,
    pub lockspaces: Vec<String>,
}

impl UserStackState {
    /// The stack `label` is up: selected, with corosync and dlm_controld running.
    pub fn online(&self, label: &str) -> bool {
        self.active_stack.as_deref() == Some(label)
            && self.corosync_running
            && self.dlm_controld_running
    }
}

/// Reads [`UserStackState`]; missing pieces are empty (nothing runs).
pub fn state(root: &SysRoot) -> UserStackState {
    let cluster_name = fs::read_to_string(root.dlm_cluster_name())
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string());
    let names = |dir: std::path::PathBuf| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut members: Vec<u32> = names(root.path("/sys/kernel/config/dlm/cluster/comms"))
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect();
    members.sort_unstable();
    let running = |d: &str| !process::by_name(root, d).is_empty();
    UserStackState {
        active_stack: crate::stack::active_stack(root),
        corosync_running: running("corosync"),
        dlm_controld_running: running("dlm_controld"),
        cluster_name,
        members,
        // OCFS2 names a volume's lockspace by its UUID: 32 hex digits.
        lockspaces: names(root.path("/sys/kernel/dlm"))
            .into_iter()
            .filter(|l| l.len() == 32 && l.bytes().all(|b| b.is_ascii_hexdigit()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A node with the stack glue loaded on `stack`, callbacks supported, corosync and
    /// dlm_controld running and the DLM in cluster `web`.
    fn node(dir: &Path, stack: &str) -> SysRoot {
        let put = |p: &str, text: &str| {
            let path = dir.join(p.trim_start_matches('/'));
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        put("/sys/fs/ocfs2/cluster_stack", stack);
        put("/sys/fs/ocfs2/dlm_recover_callback_support", "1\n");
        put("/proc/101/comm", "corosync\n");
        put("/proc/102/comm", "dlm_controld\n");
        put("/sys/kernel/config/dlm/cluster/cluster_name", "web\n");
        SysRoot::new(dir)
    }

    fn stack_file(root: &SysRoot) -> String {
        fs::read_to_string(root.cluster_stack()).unwrap()
    }

    #[test]
    fn a_ready_node_selects_the_label_without_a_newline() {
        let dir = tempfile::tempdir().unwrap();
        let root = node(dir.path(), "o2cb\n");
        let stack = prepare(&root, "pcmk", "web", true).unwrap();
        assert_eq!(stack.cluster_name, "web");
        assert_eq!(stack_file(&root), "pcmk");
    }

    #[test]
    fn a_fake_mount_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = node(dir.path(), "o2cb\n");
        prepare(&root, "pcmk", "web", false).unwrap();
        assert_eq!(stack_file(&root), "o2cb\n");
    }

    /// (volume stack, volume cluster, what is wrong with the node, the words of the refusal)
    type Refusal<'a> = (&'a str, &'a str, &'a dyn Fn(&Path), &'a str);

    #[test]
    fn every_refusal_names_what_differs_and_leaves_the_stack_file() {
        let cases: &[Refusal<'_>] = &[
            ("cman", "web", &|_| {}, "needs ocfs2_controld"),
            ("pc\nk", "web", &|_| {}, "formatted for the pc\\nk stack"),
            ("pcmk", "we\u{1b}b", &|_| {}, "cluster 'we\\u{1b}b'"),
            (
                "pcmk",
                "prod",
                &|_| {},
                "cluster 'prod', but this node's corosync runs cluster 'web'",
            ),
            (
                "pcmk",
                "web",
                &|d| fs::remove_file(d.join("proc/102/comm")).unwrap(),
                "dlm_controld is not running",
            ),
            (
                "pcmk",
                "web",
                &|d| fs::remove_file(d.join("proc/101/comm")).unwrap(),
                "corosync is not running",
            ),
            (
                "pcmk",
                "web",
                &|d| fs::remove_file(d.join("sys/kernel/config/dlm/cluster/cluster_name")).unwrap(),
                "dlm_controld has given the kernel no cluster",
            ),
            (
                "pcmk",
                "web",
                &|d| fs::remove_file(d.join("sys/fs/ocfs2/dlm_recover_callback_support")).unwrap(),
                "no DLM recovery callbacks",
            ),
        ];
        for (label, cluster, damage, words) in cases {
            let dir = tempfile::tempdir().unwrap();
            let root = node(dir.path(), "o2cb\n");
            damage(dir.path());
            let e = prepare(&root, label, cluster, true)
                .unwrap_err()
                .to_string();
            assert!(e.contains(words), "{label}/{cluster}: {e}");
            assert_eq!(stack_file(&root), "o2cb\n", "{label}/{cluster}: {e}");
        }
    }
}
