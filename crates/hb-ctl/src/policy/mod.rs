//! The per-filesystem policy of cluster.conf at mount time (docs/per-filesystem.md): a
//! filesystem with members may be mounted only by them, each in the slot cluster.conf
//! gives it (`preferred_slot=N`), and, on the classic kernel layout, only over the node's
//! own network.
//!
//! The configuration is read once, before the join: a refusal leaves nothing behind. A
//! missing cluster.conf means no policy (the classic behaviour); a cluster.conf with
//! errors refuses the mount, since the members of a filesystem cannot then be known.

use std::cell::OnceCell;

use cluster_conf::{Config, Document, FsUuid, Severity};
use configfs::{ClusterState, NodeState};
use fs_policy::{mount_policy, Layout, MountDecision, VolumeFacts};
use o2cb_runtime::settings::read_layout;
use o2cb_sys::SysRoot;
use ocfs2_disk::Superblock;

use crate::join::{MountPolicy, PolicyOutcome, PolicyRefusal};

/// cluster.conf's filesystems, as loaded for one mount.
#[derive(Debug, Clone)]
pub struct ClusterConfPolicy {
    state: State,
    layout: Layout,
}

#[derive(Debug, Clone)]
enum State {
    /// No cluster.conf: nothing is managed.
    Absent,
    Loaded(Box<Config>),
    /// cluster.conf could not be used; every mount is refused with this.
    Unusable(PolicyRefusal),
}

impl ClusterConfPolicy {
    /// Reads cluster.conf and the layout of the o2cb settings file under `root`.
    pub fn load(root: &SysRoot) -> ClusterConfPolicy {
        let path = root.cluster_conf();
        let shown = root.display_path(&path).display().to_string();
        let state = match o2cb_sys::conffile::read_optional(&path) {
            Ok(None) => State::Absent,
            Ok(Some(bytes)) => from_document(&Document::parse(bytes), &shown),
            Err(e) => State::Unusable(unusable(format!("{shown}: {e}"))),
        };
        let layout = match read_layout(root) {
            Ok(l) => l,
            Err(e) => {
                return ClusterConfPolicy {
                    state: State::Unusable(PolicyRefusal {
                        text: "Invalid o2cb settings".to_string(),
                        detail: Some(e.to_string()),
                    }),
                    layout: Layout::Classic,
                }
            }
        };
        ClusterConfPolicy { state, layout }
    }

    /// A policy over an already parsed configuration (tests, callers that hold one).
    pub fn with_config(config: Config, layout: Layout) -> ClusterConfPolicy {
        ClusterConfPolicy {
            state: State::Loaded(Box::new(config)),
            layout,
        }
    }
}

/// [`ClusterConfPolicy`] read from `root` the first time a mount asks: mounts that never
/// join a cluster (local volumes, `nocluster`) do not read cluster.conf at all.
#[derive(Debug)]
pub struct OnDemand {
    root: SysRoot,
    policy: OnceCell<ClusterConfPolicy>,
}

impl OnDemand {
    pub fn new(root: SysRoot) -> OnDemand {
        OnDemand {
            root,
            policy: OnceCell::new(),
        }
    }
}

impl MountPolicy for OnDemand {
    fn check(
        &self,
        volume: &Superblock,
        cluster: &ClusterState,
        local_node: &NodeState,
    ) -> Result<PolicyOutcome, PolicyRefusal> {
        self.policy
            .get_or_init(|| ClusterConfPolicy::load(&self.root))
            .check(volume, cluster, local_node)
    }
}

fn from_document(doc: &Document, shown: &str) -> State {
    if doc.has_classic_errors() {
        let text = doc.render_diagnostics(shown, |s| s == Severity::Error);
        return State::Unusable(unusable(text.trim_end().to_string()));
    }
    State::Loaded(Box::new(doc.config().clone()))
}

fn unusable(why: String) -> PolicyRefusal {
    PolicyRefusal {
        text: "Cluster configuration is unusable".to_string(),
        detail: Some(format!(
            "who may mount which filesystem cannot be known: {why}"
        )),
    }
}

impl MountPolicy for ClusterConfPolicy {
    fn check(
        &self,
        volume: &Superblock,
        _cluster: &ClusterState,
        local_node: &NodeState,
    ) -> Result<PolicyOutcome, PolicyRefusal> {
        let config = match &self.state {
            State::Absent => return Ok(PolicyOutcome::default()),
            State::Unusable(refusal) => return Err(refusal.clone()),
            State::Loaded(config) => config,
        };
        let uuid = FsUuid(*volume.uuid().as_bytes());
        // The node the kernel knows as local is the one this host registered from
        // cluster.conf; its name stands for the host name.
        let local = local_node.name.to_string();
        match mount_policy(
            config,
            uuid,
            local.as_bytes(),
            &VolumeFacts::of(volume),
            self.layout,
        ) {
            Ok(decision @ MountDecision::Member { .. }) => Ok(PolicyOutcome {
                mount_options: decision.mount_option().into_iter().collect(),
            }),
            Ok(MountDecision::Unmanaged | MountDecision::AnyNode) => Ok(PolicyOutcome::default()),
            Err(e) => Err(PolicyRefusal {
                text: "Not allowed by the filesystem's cluster configuration".to_string(),
                detail: Some(e.to_string()),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
