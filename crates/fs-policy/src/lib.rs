//! # fs-policy — each OCFS2 filesystem as a cluster of its own
//!
//! cluster.conf may describe, beside the classic `cluster:`/`node:`/`heartbeat:` stanzas,
//! `filesystem:` stanzas (a volume by UUID, its cluster, label and slot count) and
//! `filesystem_node:` stanzas (a node's membership in one filesystem, with an optional slot
//! and network override; docs/per-filesystem.md). This crate says what that means:
//!
//! - [`allocate`]: the slot of every member of every filesystem (through the `slots`
//!   crate), and which new assignments must be written back so they never move;
//! - [`mount_policy`]: whether this host may mount a filesystem, in which slot, and whether
//!   a network override can be honoured by the running kernel layout.
//!
//! Pure: configuration and facts (host name, superblock values) in, decisions out.

#![forbid(unsafe_code)]

use std::fmt;
use std::net::Ipv4Addr;

use bstr::{BString, ByteSlice};
use cluster_conf::{node_is_local, Config, Filesystem, FsUuid, StanzaId};

pub use slots::{Placement, Problem, SlotError, SlotMap};

/// The slot allocation of one filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsAllocation {
    pub uuid: FsUuid,
    pub stanza: StanzaId,
    /// `None` when the slot count is not known yet (no `slots` key and no device at hand):
    /// nothing can be allocated, pinned slots are only checked for conflicts later.
    pub result: Option<Result<Placement, Vec<SlotError>>>,
}

fn slots_cluster(config: &Config, name: &[u8]) -> Option<slots::Cluster> {
    config.cluster(name).map(|c| slots::Cluster {
        name: c.name.to_vec(),
        nodes: c
            .nodes
            .iter()
            .map(|n| (n.name.to_vec(), n.number))
            .collect(),
    })
}

fn slots_filesystem(fs: &Filesystem, count: u16) -> slots::Filesystem {
    slots::Filesystem {
        uuid: fs.uuid.to_string(),
        label: fs.label.as_ref().map(|l| l.to_vec()),
        cluster: fs.cluster.to_vec(),
        slots: count,
        members: fs
            .members
            .iter()
            .map(|m| slots::Member {
                node: m.node.to_vec(),
                pinned: m.slot,
            })
            .collect(),
    }
}

/// Allocates the slots of one filesystem; `slot_count` overrides the configured count
/// (the superblock's, when the device is at hand).
pub fn allocate_one(config: &Config, fs: &Filesystem, slot_count: Option<u16>) -> FsAllocation {
    let count = slot_count.or(fs.slots);
    let result = count.map(|count| {
        let cluster = slots_cluster(config, &fs.cluster);
        slots::place(cluster.as_ref(), &slots_filesystem(fs, count))
    });
    FsAllocation {
        uuid: fs.uuid,
        stanza: fs.stanza,
        result,
    }
}

/// The allocation of every filesystem of the configuration, in file order.
pub fn allocate(config: &Config) -> Vec<FsAllocation> {
    config
        .filesystems
        .iter()
        .map(|fs| allocate_one(config, fs, None))
        .collect()
}

/// What the mount helper may do with a filesystem on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountDecision {
    /// cluster.conf says nothing about this filesystem: classic behaviour.
    Unmanaged,
    /// The filesystem lists no members: every node of its cluster may mount it, in the slot
    /// the kernel picks.
    AnyNode,
    /// This host is a member, as node `node`; the slot to ask the kernel for.
    Member { node: BString, slot: Option<u16> },
}

impl MountDecision {
    /// The `preferred_slot=N` mount option, when there is a slot to ask for.
    pub fn mount_option(&self) -> Option<String> {
        match self {
            MountDecision::Member { slot: Some(s), .. } => Some(format!("preferred_slot={s}")),
            _ => None,
        }
    }
}

/// What the volume itself says, when it is at hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeFacts {
    pub max_slots: Option<u16>,
    pub label: Option<BString>,
    /// The on-disk cluster name (for volumes that carry cluster information).
    pub cluster: Option<BString>,
}

impl VolumeFacts {
    /// What a superblock says.
    pub fn of(sb: &ocfs2_disk::Superblock) -> VolumeFacts {
        VolumeFacts {
            max_slots: Some(sb.max_slots()),
            label: Some(sb.label().as_bytes().into()),
            cluster: sb.cluster_info().map(|ci| ci.cluster().into()),
        }
    }
}

/// Why this host may not mount the filesystem as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "{fs}: this host ({host}) is not a member; its members are {}",
        list(members)
    )]
    NotAMember {
        fs: FsName,
        host: String,
        members: Vec<String>,
    },
    #[error("{fs}: no node of cluster {cluster} matches this host's name ({host})")]
    NoLocalNode {
        fs: FsName,
        cluster: String,
        host: String,
    },
    #[error(
        "{fs}: node {node} is to use {wanted} for this filesystem, but the classic o2cb kernel gives a node one address for all filesystems ({registered}); remove the override or use the per-fs layout"
    )]
    NetworkOverride {
        fs: FsName,
        node: String,
        wanted: String,
        registered: String,
    },
    #[error("{fs}: cluster.conf says {configured} slots, the volume has {on_disk}")]
    SlotCountMismatch {
        fs: FsName,
        configured: u16,
        on_disk: u16,
    },
    #[error("{fs}: cluster.conf says label {configured:?}, the volume's is {on_disk:?}")]
    LabelMismatch {
        fs: FsName,
        configured: String,
        on_disk: String,
    },
    #[error("{fs}: cluster.conf puts it in cluster {configured}, the volume says {on_disk}")]
    ClusterMismatch {
        fs: FsName,
        configured: String,
        on_disk: String,
    },
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Slots(Vec<SlotError>),
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// A filesystem as messages name it: `filesystem 7A5B…44AA ('shared-data')`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsName {
    pub uuid: FsUuid,
    pub label: Option<String>,
}

impl FsName {
    pub fn of(fs: &Filesystem) -> FsName {
        FsName {
            uuid: fs.uuid,
            label: fs.label.as_ref().map(|l| l.to_str_lossy().into_owned()),
        }
    }
}

impl fmt::Display for FsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filesystem {}", self.uuid)?;
        if let Some(l) = &self.label {
            write!(f, " ('{l}')")?;
        }
        Ok(())
    }
}

/// How the kernel is configured for filesystems (set in the o2cb settings file,
/// `O2CB_FS_LAYOUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Mainline kernels: one o2nm cluster with the union of the nodes; membership and slots
    /// are enforced by the mount helper.
    #[default]
    Classic,
    /// The per-filesystem configfs layout (`cluster/ocfs2/<UUID>/<node>/...`).
    PerFs,
}

impl Layout {
    pub fn parse(value: &str) -> Option<Layout> {
        match value {
            "" | "classic" => Some(Layout::Classic),
            "per-fs" => Some(Layout::PerFs),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Classic => "classic",
            Layout::PerFs => "per-fs",
        }
    }
}

/// Decides whether this host (`hostname`) may mount the filesystem `uuid`, and in which
/// slot. `volume` are the superblock's facts; `layout` says whether network overrides can
/// be honoured.
pub fn mount_policy(
    config: &Config,
    uuid: FsUuid,
    hostname: &[u8],
    volume: &VolumeFacts,
    layout: Layout,
) -> Result<MountDecision, PolicyError> {
    let Some(fs) = config.filesystem(uuid) else {
        return Ok(MountDecision::Unmanaged);
    };
    let name = FsName::of(fs);
    let host = hostname.to_str_lossy().into_owned();
    if let (Some(configured), Some(on_disk)) = (fs.slots, volume.max_slots) {
        if configured != on_disk {
            return Err(PolicyError::SlotCountMismatch {
                fs: name,
                configured,
                on_disk,
            });
        }
    }
    if let (Some(configured), Some(on_disk)) = (&fs.label, &volume.label) {
        if configured != on_disk {
            return Err(PolicyError::LabelMismatch {
                fs: name,
                configured: configured.to_str_lossy().into_owned(),
                on_disk: on_disk.to_str_lossy().into_owned(),
            });
        }
    }
    if let Some(on_disk) = &volume.cluster {
        if !on_disk.is_empty() && *on_disk != fs.cluster {
            return Err(PolicyError::ClusterMismatch {
                fs: name,
                configured: fs.cluster.to_str_lossy().into_owned(),
                on_disk: on_disk.to_str_lossy().into_owned(),
            });
        }
    }
    if fs.members.is_empty() {
        return Ok(MountDecision::AnyNode);
    }
    let cluster = config.cluster(&fs.cluster);
    let local = cluster.and_then(|c| c.nodes.iter().find(|n| node_is_local(&n.name, hostname)));
    let Some(local) = local else {
        return Err(PolicyError::NoLocalNode {
            fs: name,
            cluster: fs.cluster.to_str_lossy().into_owned(),
            host,
        });
    };
    let Some(member) = fs.member(&local.name) else {
        return Err(PolicyError::NotAMember {
            fs: name,
            host: format!("node {}", local.name.to_str_lossy()),
            members: fs
                .members
                .iter()
                .map(|m| m.node.to_str_lossy().into_owned())
                .collect(),
        });
    };
    if layout == Layout::Classic {
        let wanted_ip: Ipv4Addr = member.ip_address.unwrap_or(local.ip_address);
        let wanted_port = member.ip_port.map_or(local.ip_port, u32::from);
        if wanted_ip != local.ip_address || wanted_port != local.ip_port {
            return Err(PolicyError::NetworkOverride {
                fs: name,
                node: local.name.to_str_lossy().into_owned(),
                wanted: format!("{wanted_ip}:{wanted_port}"),
                registered: format!("{}:{}", local.ip_address, local.ip_port),
            });
        }
    }
    let slot = match allocate_one(config, fs, volume.max_slots).result {
        None => member.slot,
        Some(Ok(Placement::Members(map))) => map.slot_of(&local.name),
        Some(Ok(Placement::AnyNode)) => None,
        Some(Err(errors)) => return Err(PolicyError::Slots(errors)),
    };
    Ok(MountDecision::Member {
        node: local.name.clone(),
        slot,
    })
}

/// A member of a filesystem as the per-fs kernel layout registers it: its network for
/// this filesystem (the override, else the node's own), its slot, and whether it is this
/// host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRegistration {
    pub node: BString,
    pub ip_address: Ipv4Addr,
    pub ip_port: u32,
    pub slot: u16,
    pub local: bool,
}

/// Why a filesystem cannot be registered in the per-fs layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error("filesystem {0} is not in cluster.conf")]
    Unknown(FsUuid),
    #[error(
        "{0}: the slot count is not known (add `slots = N` to its stanza, or give the device)"
    )]
    NoSlotCount(FsName),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// Every member of a filesystem with its slot (allocated if needed) and network, for the
/// per-fs layout. A filesystem without `filesystem_node:` stanzas has every node of its
/// cluster as a member.
pub fn registrations(
    config: &Config,
    uuid: FsUuid,
    hostname: &[u8],
    slot_count: Option<u16>,
) -> Result<Vec<MemberRegistration>, RegistrationError> {
    let fs = config
        .filesystem(uuid)
        .ok_or(RegistrationError::Unknown(uuid))?;
    let name = FsName::of(fs);
    let count = slot_count
        .or(fs.slots)
        .ok_or_else(|| RegistrationError::NoSlotCount(name.clone()))?;
    // Without members every node of the cluster is one, placed like pinned-free members.
    let mut fs = fs.clone();
    let cluster = config.cluster(&fs.cluster);
    if fs.members.is_empty() {
        if let Some(c) = cluster {
            fs.members = c
                .nodes
                .iter()
                .map(|n| cluster_conf::FilesystemMember {
                    node: n.name.clone(),
                    slot: None,
                    ip_address: None,
                    ip_port: None,
                    stanza: fs.stanza,
                })
                .collect();
        }
    }
    let map = match allocate_one(config, &fs, Some(count)).result {
        Some(Ok(Placement::Members(map))) => map,
        Some(Ok(Placement::AnyNode)) | None => return Ok(Vec::new()),
        Some(Err(errors)) => return Err(PolicyError::Slots(errors).into()),
    };
    let cluster = cluster.expect("allocation succeeded, so the cluster exists");
    Ok(fs
        .members
        .iter()
        .filter_map(|m| {
            let node = cluster.node(&m.node)?;
            Some(MemberRegistration {
                node: m.node.clone(),
                ip_address: m.ip_address.unwrap_or(node.ip_address),
                ip_port: m.ip_port.map_or(node.ip_port, u32::from),
                slot: map.slot_of(&m.node)?,
                local: node_is_local(&m.node, hostname),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests;
