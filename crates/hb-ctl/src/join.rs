//! The group join of the classic stack (docs/ocfs2-tools-reference.md §6.5): a volume may
//! be mounted on this node when it was formatted for the running stack and cluster and for
//! the kernel's heartbeat mode; in local mode, joining starts the volume's heartbeat region
//! with a persistent reference, and leaving drops it.
//!
//! ```text
//! RunningCluster::read --> join(volume, policy) --> Joined --mount(2) fails--> Joined::abandon
//!                          | checks: stack, cluster name, heartbeat mode, local node
//!                          | policy.check (per-filesystem membership and slot)
//!                          | local heartbeat: region::start (persistent reference)
//! umount: kernel runs `ocfs2_hb_ctl -K -u UUID` --> leave / leave_region
//! ```
//!
//! The per-filesystem membership and slots are described in docs/per-filesystem.md.

use std::io;

use configfs::{
    read_cluster, read_clusters, ClusterState, ConfigfsIo, ConfigfsName, NameKind, NodeState,
};
use o2cb_sys::semaphore::RefKind;
use ocfs2_disk::Superblock;

use crate::error::Reported;
use crate::region::{self, RegionError, Started, Stopped};
use o2cb_sys::volume::{OpenedVolume, VolumeError};

/// The classic stack's label.
const O2CB: &str = "o2cb";

/// The cluster running on this node: the active stack and the first registered cluster
/// (libo2cb's "default cluster").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningCluster {
    pub stack: String,
    pub cluster: Option<ClusterState>,
}

impl RunningCluster {
    /// Reads the registered cluster from configfs. `stack` is the active stack's label.
    pub fn read(io: &mut dyn ConfigfsIo, stack: &str) -> Result<RunningCluster, JoinError> {
        let names = read_clusters(io)
            .map_err(JoinError::Configfs)?
            .unwrap_or_default();
        let cluster = match names.first() {
            Some(name) => Some(read_cluster(io, name).map_err(JoinError::Configfs)?),
            None => None,
        };
        Ok(RunningCluster {
            stack: stack.to_owned(),
            cluster,
        })
    }
}

/// Why a volume cannot join (or leave) the running cluster.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("Cluster stack is invalid")]
    Stack { volume: String, running: String },
    /// No cluster is registered: the cluster is offline. (libo2cb reports this as an
    /// invalid cluster name.)
    #[error("Cluster name is invalid")]
    Offline { volume_cluster: Option<String> },
    #[error("Cluster name is invalid")]
    ClusterName { volume: String, running: String },
    #[error("Heartbeat mode is invalid")]
    HeartbeatMode {
        cluster: String,
        volume_global: bool,
    },
    /// No registered node is this host: the kernel refuses to heartbeat (libo2cb then
    /// reports the refused device write as an internal failure; so do we, then say why).
    #[error("Internal logic failure")]
    NoLocalNode {
        host: String,
        cluster: String,
        nodes: Vec<String>,
    },
    /// The per-filesystem policy refused the mount.
    #[error("{}", .0.text)]
    Policy(PolicyRefusal),
    #[error(transparent)]
    Volume(#[from] VolumeError),
    /// The UUID cannot name a configfs region (never for a real superblock).
    #[error("Internal logic failure")]
    RegionName(configfs::NameError),
    #[error(transparent)]
    Region(#[from] RegionError),
    #[error("Unable to access cluster service")]
    Configfs(io::Error),
}

impl Reported for JoinError {
    fn text(&self) -> String {
        match self {
            JoinError::Volume(e) => e.words(),
            _ => self.to_string(),
        }
    }

    fn detail(&self) -> Option<String> {
        Some(match self {
            JoinError::Stack { volume, running } => format!(
                "the volume was formatted for the {volume} cluster stack, but the {running} \
                 stack is running"
            ),
            JoinError::Offline { volume_cluster } => match volume_cluster {
                Some(c) => format!(
                    "the cluster is offline: no cluster is registered (the volume belongs to \
                     cluster {c}; bring it online with 'o2cb register-cluster {c}' or \
                     'service o2cb online {c}')"
                ),
                None => "the cluster is offline: no cluster is registered (bring it online \
                         with 'o2cb register-cluster <cluster>' or 'service o2cb online')"
                    .to_string(),
            },
            JoinError::ClusterName { volume, running } => format!(
                "the volume belongs to cluster {volume}, but the running cluster is {running}"
            ),
            JoinError::HeartbeatMode {
                cluster,
                volume_global,
            } => {
                let (disk, kernel) = if *volume_global {
                    ("global", "local")
                } else {
                    ("local", "global")
                };
                format!(
                    "the volume was formatted for {disk} heartbeat, but cluster {cluster} runs \
                     {kernel} heartbeat"
                )
            }
            JoinError::NoLocalNode {
                host,
                cluster,
                nodes,
            } => format!(
                "this host's name ({host}) matches none of the nodes of cluster {cluster} ({}); \
                 a node is this host when its name is the host name up to the first dot",
                if nodes.is_empty() {
                    "it has none".to_string()
                } else {
                    nodes.join(", ")
                }
            ),
            JoinError::Policy(p) => return p.detail.clone(),
            JoinError::Volume(e) => e.detail(),
            JoinError::RegionName(e) => e.to_string(),
            JoinError::Region(e) => return e.detail(),
            JoinError::Configfs(e) => format!(
                "reading the registered cluster: {}",
                crate::error::io_text(e)
            ),
        })
    }
}

/// What a per-filesystem policy answers for a volume it lets this node mount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyOutcome {
    /// Options appended to the mount data, such as `preferred_slot=N`.
    pub mount_options: Vec<String>,
}

/// A per-filesystem policy's refusal, in the same two parts as every other failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRefusal {
    pub text: String,
    pub detail: Option<String>,
}

/// The per-filesystem check of a mount. The join consults it once the volume matches the
/// running cluster and this host is one of its nodes, and before heartbeat starts, so a
/// refusal leaves nothing behind. Per-filesystem membership and `preferred_slot=N`
/// (cluster.conf `filesystem:` stanzas, docs/per-filesystem.md) plug in here; the classic
/// tools have no such policy ([`NoPolicy`]).
pub trait MountPolicy {
    fn check(
        &self,
        volume: &Superblock,
        cluster: &ClusterState,
        local_node: &NodeState,
    ) -> Result<PolicyOutcome, PolicyRefusal>;
}

/// Every node of the cluster may mount every volume of the cluster, in the slot the kernel
/// picks: the classic behaviour.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPolicy;

impl MountPolicy for NoPolicy {
    fn check(
        &self,
        _: &Superblock,
        _: &ClusterState,
        _: &NodeState,
    ) -> Result<PolicyOutcome, PolicyRefusal> {
        Ok(PolicyOutcome::default())
    }
}

/// Checks a volume against the running cluster, in libo2cb's order: stack, cluster name,
/// heartbeat mode. Returns the cluster it belongs to.
pub fn check_volume<'a>(
    sb: &Superblock,
    running: &'a RunningCluster,
) -> Result<&'a ClusterState, JoinError> {
    let info = sb.cluster_info();
    // libo2cb compares all four bytes of ci_stack with the running stack's label; a volume
    // without cluster information belongs to the classic stack.
    let volume_stack = match info {
        Some(i) => String::from_utf8_lossy(i.stack_raw()).into_owned(),
        None => O2CB.to_owned(),
    };
    if volume_stack != running.stack {
        return Err(JoinError::Stack {
            volume: info.map_or_else(|| O2CB.to_owned(), |i| i.stack_lossy().into_owned()),
            running: running.stack.clone(),
        });
    }
    let volume_cluster = info.map(|i| i.cluster_lossy().into_owned());
    let Some(cluster) = &running.cluster else {
        return Err(JoinError::Offline { volume_cluster });
    };
    if let Some(i) = info {
        if i.cluster() != cluster.name.as_str().as_bytes() {
            return Err(JoinError::ClusterName {
                volume: i.cluster_lossy().into_owned(),
                running: cluster.name.to_string(),
            });
        }
    }
    let volume_global = info.is_some_and(|i| i.global_heartbeat());
    if volume_global != cluster.is_global() {
        return Err(JoinError::HeartbeatMode {
            cluster: cluster.name.to_string(),
            volume_global,
        });
    }
    Ok(cluster)
}

/// This host's node in the cluster, or why there is none.
fn local_node(cluster: &ClusterState) -> Result<&NodeState, JoinError> {
    cluster.local_node().ok_or_else(|| {
        let host = o2cb_sys::hostname::hostname()
            .map(|h| String::from_utf8_lossy(&h).into_owned())
            .unwrap_or_else(|e| format!("unknown: {e}"));
        JoinError::NoLocalNode {
            host,
            cluster: cluster.name.to_string(),
            nodes: cluster.nodes.iter().map(|n| n.name.to_string()).collect(),
        }
    })
}

/// How the volume heartbeats once joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// Its own region, started (or joined) by this join.
    Local(Started),
    /// The cluster's global regions; the join started nothing.
    Global,
}

/// A volume that joined the group, before its mount.
#[derive(Debug)]
#[must_use = "a failed mount must abandon the join, or the heartbeat keeps a reference"]
pub struct Joined {
    cluster: ConfigfsName,
    region: Option<ConfigfsName>,
    heartbeat: Heartbeat,
    mount_options: Vec<String>,
}

impl Joined {
    pub fn heartbeat(&self) -> Heartbeat {
        self.heartbeat
    }

    /// Mount options the policy asked for.
    pub fn mount_options(&self) -> &[String] {
        &self.mount_options
    }

    /// The mount succeeded (or, for `ocfs2_hb_ctl -S`, there is none): the reference stays
    /// until the kernel's umount callback (`ocfs2_hb_ctl -K`) drops it.
    pub fn complete(self) {}

    /// Leaves the group after a failed mount: drops the reference the join took (and so
    /// stops the region if nobody else uses it).
    pub fn abandon(self, io: &mut dyn ConfigfsIo) -> Result<(), RegionError> {
        match (&self.region, self.heartbeat) {
            (Some(region), Heartbeat::Local(_)) => {
                region::stop(io, &self.cluster, region, RefKind::Persistent).map(|_| ())
            }
            _ => Ok(()),
        }
    }
}

/// Joins `volume` to the running cluster: the checks, the policy, and in local mode the
/// heartbeat start with a persistent reference.
pub fn join(
    io: &mut dyn ConfigfsIo,
    running: &RunningCluster,
    volume: &OpenedVolume,
    policy: &dyn MountPolicy,
) -> Result<Joined, JoinError> {
    let sb = volume.superblock();
    let cluster = check_volume(sb, running)?;
    let node = local_node(cluster)?;
    let outcome = policy.check(sb, cluster, node).map_err(JoinError::Policy)?;
    if cluster.is_global() {
        return Ok(Joined {
            cluster: cluster.name.clone(),
            region: None,
            heartbeat: Heartbeat::Global,
            mount_options: outcome.mount_options,
        });
    }
    let params =
        configfs::RegionParams::from_device(&volume.region()?).map_err(JoinError::RegionName)?;
    let started = region::start(io, &cluster.name, &params, RefKind::Persistent)?;
    Ok(Joined {
        cluster: cluster.name.clone(),
        region: Some(params.name),
        heartbeat: Heartbeat::Local(started),
        mount_options: outcome.mount_options,
    })
}

/// What leaving did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    Local(Stopped),
    /// Global heartbeat: regions belong to the cluster, nothing to do.
    Global,
}

/// Leaves the group for `volume` (`ocfs2_hb_ctl -K`): the same checks as a join, then in
/// local mode one reference dropped.
pub fn leave(
    io: &mut dyn ConfigfsIo,
    running: &RunningCluster,
    volume: &OpenedVolume,
) -> Result<Left, JoinError> {
    let cluster = check_volume(volume.superblock(), running)?;
    if cluster.is_global() {
        return Ok(Left::Global);
    }
    let name = ConfigfsName::new(NameKind::Region, volume.uuid_hex().as_bytes())
        .map_err(JoinError::RegionName)?;
    Ok(Left::Local(region::stop(
        io,
        &cluster.name,
        &name,
        RefKind::Persistent,
    )?))
}

/// Leaves by region name alone, when the volume's device is gone (a LUN that disappeared
/// before umount): nothing can be checked against the superblock, but the region runs in
/// the running cluster under that name, and leaving it running would keep heartbeating on
/// a device that is no longer there. `None` when there is no such region (or in global
/// mode, where regions belong to the cluster).
pub fn leave_region(
    io: &mut dyn ConfigfsIo,
    running: &RunningCluster,
    uuid: &str,
) -> Result<Option<Left>, JoinError> {
    let Some(cluster) = &running.cluster else {
        return Ok(None);
    };
    if cluster.is_global() {
        return Ok(cluster
            .regions
            .iter()
            .any(|r| r.name.as_str() == uuid)
            .then_some(Left::Global));
    }
    let Some(region) = cluster.regions.iter().find(|r| r.name.as_str() == uuid) else {
        return Ok(None);
    };
    Ok(Some(Left::Local(region::stop(
        io,
        &cluster.name,
        &region.name,
        RefKind::Persistent,
    )?)))
}
