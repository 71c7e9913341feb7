//! # slots — which node uses which slot of each OCFS2 filesystem
//!
//! An OCFS2 volume has a fixed number of node slots (journals); every node that mounts it takes
//! one. The classic tools let the kernel hand slots out first come, first served. With
//! per-filesystem membership (`filesystem_node:` stanzas in cluster.conf, docs/per-filesystem.md)
//! each member node gets a slot of its own, decided here:
//!
//! - a slot pinned by the administrator, or written back from an earlier allocation, is
//!   kept;
//! - the other members, in ascending node-number order, take the lowest free slots;
//! - the caller writes the newly allocated slots back as pins ([`SlotMap::new_pins`]), so a
//!   member's slot never moves when other nodes join or leave.
//!
//! A filesystem without members is not allocated: every node of its cluster may mount it
//! and the kernel picks the slot ([`Placement::AnyNode`]).
//!
//! Everything wrong with a filesystem is reported at once, and the other filesystems are
//! still allocated. The crate is pure: plain data in, plain data out, no I/O.
//!
//! ```
//! use slots::{allocate, Cluster, Filesystem, Member, Placement};
//!
//! let web = Cluster {
//!     name: b"web".to_vec(),
//!     nodes: [(b"alpha".to_vec(), 1), (b"beta".to_vec(), 2)].into_iter().collect(),
//! };
//! let fs = Filesystem {
//!     uuid: "7A5B5E0D1A2B4C3D9E8F0011223344AA".into(),
//!     label: None,
//!     cluster: b"web".to_vec(),
//!     slots: 4,
//!     members: vec![
//!         Member { node: b"beta".to_vec(), pinned: None },
//!         Member { node: b"alpha".to_vec(), pinned: Some(0) },
//!     ],
//! };
//! let Ok(Placement::Members(map)) = allocate(&[web], &[fs]).remove(0) else { panic!() };
//! assert_eq!(map.slot_of(b"beta"), Some(1));
//! let to_write_back: Vec<_> = map.new_pins().map(|a| (&a.node[..], a.slot)).collect();
//! assert_eq!(to_write_back, [(&b"beta"[..], 1)]);
//! ```
#![forbid(unsafe_code)]

mod error;

use std::collections::{BTreeMap, HashMap};

pub use error::{FilesystemName, Problem, SlotError};

/// A node number, as in cluster.conf's `node:` stanzas (the kernel accepts 0 to 254).
pub type NodeNumber = u32;
/// A slot index, or a count of slots (`s_max_slots` is a 16-bit field).
pub type Slot = u16;

/// A cluster and its nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    pub name: Vec<u8>,
    /// Node name to node number.
    pub nodes: BTreeMap<Vec<u8>, NodeNumber>,
}

/// A filesystem and its member nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filesystem {
    /// The UUID as it should appear in messages (cluster.conf's upper-case hex).
    pub uuid: String,
    pub label: Option<Vec<u8>>,
    /// The name of the cluster the filesystem belongs to.
    pub cluster: Vec<u8>,
    /// How many slots the filesystem has.
    pub slots: Slot,
    /// In file order. Empty: not restricted to members.
    pub members: Vec<Member>,
}

/// One `filesystem_node:` stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub node: Vec<u8>,
    pub pinned: Option<Slot>,
}

/// Where a member's slot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Pinned in the input; nothing to write back.
    Pinned,
    /// Chosen by this allocation; the caller writes it back as a pin.
    Allocated,
}

/// One member's slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub node: Vec<u8>,
    pub number: NodeNumber,
    pub slot: Slot,
    pub origin: Origin,
}

/// The slot of every member of one filesystem, in node-number order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotMap {
    assignments: Vec<Assignment>,
}

impl SlotMap {
    /// Every member, in ascending node-number order.
    pub fn assignments(&self) -> &[Assignment] {
        &self.assignments
    }

    pub fn slot_of(&self, node: &[u8]) -> Option<Slot> {
        self.assignments
            .iter()
            .find(|a| a.node == node)
            .map(|a| a.slot)
    }

    /// The assignments this allocation made, which the caller must write back as pins.
    pub fn new_pins(&self) -> impl Iterator<Item = &Assignment> {
        self.assignments
            .iter()
            .filter(|a| a.origin == Origin::Allocated)
    }
}

/// How one filesystem may be mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// No members listed: any node of the cluster, in a slot the kernel picks.
    AnyNode,
    /// Only the members, each in its own slot.
    Members(SlotMap),
}

/// Allocates every filesystem; one result per filesystem, in input order. A cluster name
/// listed twice resolves to the first.
pub fn allocate(
    clusters: &[Cluster],
    filesystems: &[Filesystem],
) -> Vec<Result<Placement, Vec<SlotError>>> {
    let mut by_name: HashMap<&[u8], &Cluster> = HashMap::with_capacity(clusters.len());
    for cluster in clusters {
        by_name.entry(cluster.name.as_slice()).or_insert(cluster);
    }
    filesystems
        .iter()
        .map(|fs| place(by_name.get(fs.cluster.as_slice()).copied(), fs))
        .collect()
}

/// Allocates one filesystem; `cluster` is the cluster `filesystem.cluster` names, `None` if
/// there is no such cluster.
pub fn place(
    cluster: Option<&Cluster>,
    filesystem: &Filesystem,
) -> Result<Placement, Vec<SlotError>> {
    let mut problems = Vec::new();
    if cluster.is_none() {
        problems.push(Problem::UnknownCluster {
            cluster: filesystem.cluster.clone(),
        });
    }
    if filesystem.members.is_empty() {
        return if problems.is_empty() {
            Ok(Placement::AnyNode)
        } else {
            Err(name_filesystem(filesystem, problems))
        };
    }

    let members = distinct_members(filesystem, &mut problems);

    let mut numbered: Vec<(NodeNumber, &Member)> = Vec::with_capacity(members.len());
    if let Some(cluster) = cluster {
        for member in &members {
            match cluster.nodes.get(&member.node) {
                Some(&number) => numbered.push((number, member)),
                None => problems.push(Problem::NotInCluster {
                    node: member.node.clone(),
                    cluster: cluster.name.clone(),
                }),
            }
        }
    }

    let mut pins: Vec<(Slot, &Member)> = Vec::with_capacity(members.len());
    for member in &members {
        match member.pinned {
            Some(slot) if slot >= filesystem.slots => problems.push(Problem::SlotOutOfRange {
                node: member.node.clone(),
                slot,
                slots: filesystem.slots,
            }),
            Some(slot) => pins.push((slot, member)),
            None => {}
        }
    }
    // A stable sort keeps the holders of one slot in file order.
    pins.sort_by_key(|&(slot, _)| slot);
    for holders in pins.chunk_by(|(a, _), (b, _)| a == b) {
        if holders.len() > 1 {
            problems.push(Problem::SharedSlot {
                slot: holders[0].0,
                nodes: holders.iter().map(|(_, m)| m.node.clone()).collect(),
            });
        }
    }

    if members.len() > usize::from(filesystem.slots) {
        problems.push(Problem::TooManyMembers {
            slots: filesystem.slots,
            nodes: members.iter().map(|m| m.node.clone()).collect(),
        });
    }

    if !problems.is_empty() {
        return Err(name_filesystem(filesystem, problems));
    }

    // Ties cannot happen in a valid cluster.conf; the name keeps the order total anyway.
    numbered.sort_by(|(a, ma), (b, mb)| a.cmp(b).then_with(|| ma.node.cmp(&mb.node)));
    let mut taken = vec![false; usize::from(filesystem.slots)];
    for &(slot, _) in &pins {
        taken[usize::from(slot)] = true;
    }
    let mut free = (0..filesystem.slots).filter(|&slot| !taken[usize::from(slot)]);
    let assignments = numbered
        .into_iter()
        .map(|(number, member)| {
            let (slot, origin) = match member.pinned {
                Some(slot) => (slot, Origin::Pinned),
                None => (
                    free.next()
                        .expect("no more members than slots, so enough free slots"),
                    Origin::Allocated,
                ),
            };
            Assignment {
                node: member.node.clone(),
                number,
                slot,
                origin,
            }
        })
        .collect();
    Ok(Placement::Members(SlotMap { assignments }))
}

/// The first stanza of each member node, in file order; a node listed again is a problem,
/// reported once.
fn distinct_members<'f>(
    filesystem: &'f Filesystem,
    problems: &mut Vec<Problem>,
) -> Vec<&'f Member> {
    let mut times_listed: HashMap<&[u8], usize> = HashMap::with_capacity(filesystem.members.len());
    let mut members = Vec::with_capacity(filesystem.members.len());
    for member in &filesystem.members {
        let times = times_listed.entry(member.node.as_slice()).or_insert(0);
        *times += 1;
        if *times == 1 {
            members.push(member);
        }
    }
    for member in &members {
        let times = times_listed[member.node.as_slice()];
        if times > 1 {
            problems.push(Problem::DuplicateMember {
                node: member.node.clone(),
                times,
            });
        }
    }
    members
}

fn name_filesystem(filesystem: &Filesystem, problems: Vec<Problem>) -> Vec<SlotError> {
    let name = FilesystemName {
        uuid: filesystem.uuid.clone(),
        label: filesystem.label.clone(),
    };
    problems
        .into_iter()
        .map(|problem| SlotError {
            filesystem: name.clone(),
            problem,
        })
        .collect()
}
