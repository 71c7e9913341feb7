//! Edits that change only the stanzas they must.
//!
//! Every edit is computed as a few byte splices on the document text (insert a stanza, remove
//! a stanza, replace one value, add one attribute line), made in one pass over the text.
//! Everything outside the splices — comments, blank lines, unknown keys and stanzas, the
//! author's indentation — stays byte for byte. New stanzas are written in the canonical form
//! and placed where the C tools' regenerated file would have them, so a file that is already
//! canonical ends byte-identical to what the C tools write for the same edit.
//!
//! Nothing the user wrote is lost: removing a stanza keeps the comments above and inside it
//! (they stay where they were, separated from what follows by the stanza's blank line).
//!
//! Two checks make an edit safe. Before: every value the edit would write is one the file
//! format can carry ([`ValueProblem`]). After: the edited text is read again, and what it
//! means must be exactly the model the edit meant to write — the model before, changed by
//! hand the way the edit says — or the edit is refused and the document left as it was.

use std::net::Ipv4Addr;
use std::ops::Range;

use bstr::{BString, ByteSlice};

use crate::document::Document;
use crate::model::{Config, StanzaId};
use crate::syntax::{LineKind, Span};
use crate::values::{escaped, FsUuid, HeartbeatMode};
use crate::writer::{self, MemberFields};

/// Why a value cannot be written into cluster.conf and read back as itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueProblem {
    /// A NUL byte: the C tools stop reading there (or, after a one-character word, skip it
    /// and the word characters after it).
    Nul,
    /// A line feed: a value is one line. (The C writer turns it into a continuation, which a
    /// backslash before it or blanks around it make read back as another value.)
    LineFeed,
    /// An odd number of backslashes at the end: the last one escapes the line feed that
    /// ends the line, so the next line is read as part of the value.
    TrailingBackslash,
}

impl std::fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValueProblem::Nul => {
                "contains a NUL byte, where the C tools stop reading the file"
            }
            ValueProblem::LineFeed => {
                "contains a line feed; a value must fit on one line of the file"
            }
            ValueProblem::TrailingBackslash => {
                "ends in a backslash, which cluster.conf reads as a line continuation: the next line would become part of the value"
            }
        })
    }
}

/// Why `value` cannot be written as the value of a key, if it cannot. Everything else reads
/// back as [`meaning`] of itself (the property tests hold this for arbitrary bytes).
pub fn value_problem(value: &[u8]) -> Option<ValueProblem> {
    if value.contains(&0) {
        Some(ValueProblem::Nul)
    } else if value.contains(&b'\n') {
        Some(ValueProblem::LineFeed)
    } else if value.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1 {
        Some(ValueProblem::TrailingBackslash)
    } else {
        None
    }
}

/// What a value written as `key = value` means when read back: the blanks after `=` are
/// skipped by the grammar and the end is trimmed by the config layer (the C tools write the
/// value as given, leading blanks included; ours write the same bytes).
pub fn meaning(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(value.len());
    crate::syntax::trim_value(&value[start..])
}

/// Why an edit was refused. Nothing is changed when an edit fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the configuration has errors; fix them before editing it")]
    InvalidDocument,
    /// A value the file format cannot carry (see [`ValueProblem`]).
    #[error("cannot write `{key} = {}`: the value {problem}", escaped(value))]
    Unrepresentable {
        key: &'static str,
        value: BString,
        problem: ValueProblem,
    },
    #[error("cluster `{0}` already exists")]
    ClusterExists(BString),
    #[error("unknown cluster `{0}`")]
    UnknownCluster(BString),
    #[error("node `{node}` already exists in cluster `{cluster}`")]
    NodeExists { cluster: BString, node: BString },
    #[error("unknown node `{node}` in cluster `{cluster}`")]
    UnknownNode { cluster: BString, node: BString },
    #[error("heartbeat region `{region}` already exists in cluster `{cluster}`")]
    RegionExists { cluster: BString, region: BString },
    #[error("unknown heartbeat region `{region}` in cluster `{cluster}`")]
    UnknownRegion { cluster: BString, region: BString },
    #[error("filesystem {0} already exists")]
    FilesystemExists(FsUuid),
    #[error("unknown filesystem {0}")]
    UnknownFilesystem(FsUuid),
    #[error("node `{node}` is already a member of filesystem {filesystem}")]
    MemberExists { filesystem: FsUuid, node: BString },
    #[error("node `{node}` is not a member of filesystem {filesystem}")]
    UnknownMember { filesystem: FsUuid, node: BString },
    /// The change would leave a file the tools refuse, e.g. a cluster added or renamed
    /// under a name that orphan stanzas with errors name: they would become its own.
    #[error("the change would make the configuration invalid: line {line}: {message}")]
    WouldBreak { line: usize, message: String },
    /// The edited text, read again, does not mean what the edit meant to write. A safety
    /// net: no known edit gets here.
    #[error("the edited file would not read back as intended ({0}); nothing was changed")]
    NotReadBack(String),
}

/// A node to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNode {
    pub name: BString,
    pub number: u32,
    pub ip_address: Ipv4Addr,
    pub ip_port: u32,
}

/// A filesystem to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFilesystem {
    pub uuid: FsUuid,
    pub cluster: BString,
    pub label: Option<BString>,
    pub slots: Option<u16>,
}

/// A filesystem member to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMember {
    pub node: BString,
    pub slot: Option<u16>,
    pub ip_address: Option<Ipv4Addr>,
    pub ip_port: Option<u16>,
}

#[derive(Debug)]
struct Splice {
    range: Range<usize>,
    bytes: Vec<u8>,
}

/// Where a new stanza goes, relative to the existing ones.
enum Anchor {
    After(StanzaId),
    Before(StanzaId),
    End,
}

/// What an edit means to write: the model it must read back as. Its values are as given
/// (what the C tools' model would hold, and what a canonical file is written from); they
/// read back as their [`meaning`]. A cluster added (or renamed to) a name that stanzas
/// already name takes those stanzas over; how many there were of each kind is counted
/// before the edit.
struct Intent {
    config: Config,
    adopter: Option<(BString, Orphans)>,
    /// A filesystem added under a UUID that `filesystem_node:` stanzas already name takes
    /// them over as members: how many there were.
    member_orphans: Option<(FsUuid, usize)>,
}

/// Stanzas naming a cluster that does not exist (kept, not read, by the tools).
#[derive(Clone, Copy, Debug, Default)]
struct Orphans {
    nodes: usize,
    regions: usize,
    filesystems: usize,
}

impl Intent {
    fn plain(config: Config) -> Intent {
        Intent {
            config,
            adopter: None,
            member_orphans: None,
        }
    }
}

/// Refuses a value the file cannot carry.
fn representable(key: &'static str, value: &[u8]) -> Result<(), EditError> {
    match value_problem(value) {
        None => Ok(()),
        Some(problem) => Err(EditError::Unrepresentable {
            key,
            value: value.into(),
            problem,
        }),
    }
}

impl Document {
    fn require_valid(&self) -> Result<(), EditError> {
        if self.has_classic_errors() {
            Err(EditError::InvalidDocument)
        } else {
            Ok(())
        }
    }

    fn cluster_index(&self, name: &[u8]) -> Result<usize, EditError> {
        self.config
            .clusters
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| EditError::UnknownCluster(name.into()))
    }

    fn filesystem_index(&self, uuid: FsUuid) -> Result<usize, EditError> {
        self.config
            .filesystems
            .iter()
            .position(|f| f.uuid == uuid)
            .ok_or(EditError::UnknownFilesystem(uuid))
    }

    /// Adds a cluster with local heartbeat and a node count of 0.
    pub fn add_cluster(&mut self, name: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        representable("name", name)?;
        let read = meaning(name);
        if self.config.cluster(read).is_some() {
            return Err(EditError::ClusterExists(name.into()));
        }
        let mut stanza = Vec::new();
        writer::cluster_stanza(&mut stanza, name, HeartbeatMode::Local, 0);
        let anchor = match self.config.clusters.last() {
            Some(c) => Anchor::After(c.stanza),
            // The cluster group comes first in the canonical order.
            None => {
                self.first_stanza_of(&[b"heartbeat", b"node", b"filesystem", b"filesystem_node"])
            }
        };
        let splice = self.insert(anchor, stanza);
        let mut config = self.config.clone();
        config.clusters.push(crate::Cluster {
            name: name.into(),
            heartbeat_mode: HeartbeatMode::Local,
            node_count: 0,
            nodes: Vec::new(),
            regions: Vec::new(),
            stanza: StanzaId(usize::MAX),
        });
        let orphans = self.orphans(read);
        self.apply(
            vec![splice],
            Intent {
                config,
                adopter: Some((read.into(), orphans)),
                member_orphans: None,
            },
        )
    }

    /// Removes a cluster with its nodes, heartbeat regions and filesystems.
    pub fn remove_cluster(&mut self, name: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        let ci = self.cluster_index(name)?;
        let c = &self.config.clusters[ci];
        let mut ids = vec![c.stanza];
        ids.extend(c.nodes.iter().map(|n| n.stanza));
        ids.extend(c.regions.iter().map(|r| r.stanza));
        for fs in self.config.filesystems.iter().filter(|f| f.cluster == name) {
            ids.push(fs.stanza);
            ids.extend(fs.members.iter().map(|m| m.stanza));
        }
        let splices = ids.into_iter().flat_map(|id| self.removal(id)).collect();
        let mut config = self.config.clone();
        config.clusters.remove(ci);
        config.filesystems.retain(|f| f.cluster != name);
        self.apply(splices, Intent::plain(config))
    }

    /// Renames a cluster; its nodes, regions and filesystems follow.
    pub fn rename_cluster(&mut self, old: &[u8], new: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        if old == new {
            return Ok(());
        }
        representable("name", new)?;
        let read = meaning(new);
        if self.config.cluster(read).is_some() {
            return Err(EditError::ClusterExists(new.into()));
        }
        let ci = self.cluster_index(old)?;
        let c = &self.config.clusters[ci];
        let mut splices = vec![self.set_attribute(c.stanza, "name", new)];
        for id in c
            .nodes
            .iter()
            .map(|n| n.stanza)
            .chain(c.regions.iter().map(|r| r.stanza))
            .chain(
                self.config
                    .filesystems
                    .iter()
                    .filter(|f| f.cluster == old)
                    .map(|f| f.stanza),
            )
        {
            splices.push(self.set_attribute(id, "cluster", new));
        }
        let mut config = self.config.clone();
        config.clusters[ci].name = new.into();
        for f in config.filesystems.iter_mut().filter(|f| f.cluster == old) {
            f.cluster = new.into();
        }
        let orphans = self.orphans(read);
        self.apply(
            splices,
            Intent {
                config,
                adopter: Some((read.into(), orphans)),
                member_orphans: None,
            },
        )
    }

    /// Sets a cluster's heartbeat mode. Writes nothing when the file already says so.
    pub fn set_heartbeat_mode(
        &mut self,
        cluster: &[u8],
        mode: HeartbeatMode,
    ) -> Result<(), EditError> {
        self.require_valid()?;
        let ci = self.cluster_index(cluster)?;
        let c = &self.config.clusters[ci];
        let current = self.attribute_value(c.stanza, "heartbeat_mode");
        if current.as_deref() == Some(mode.as_str().as_bytes()) {
            return Ok(());
        }
        let splice = self.set_attribute(c.stanza, "heartbeat_mode", mode.as_str().as_bytes());
        let mut config = self.config.clone();
        config.clusters[ci].heartbeat_mode = mode;
        self.apply(vec![splice], Intent::plain(config))
    }

    /// Adds a node and counts it in the cluster's `node_count`.
    pub fn add_node(&mut self, cluster: &[u8], node: &NewNode) -> Result<(), EditError> {
        self.require_valid()?;
        representable("name", &node.name)?;
        let read = meaning(&node.name);
        let ci = self.cluster_index(cluster)?;
        let c = &self.config.clusters[ci];
        if c.node(read).is_some() {
            return Err(EditError::NodeExists {
                cluster: cluster.into(),
                node: node.name.clone(),
            });
        }
        let mut stanza = Vec::new();
        writer::node_stanza(
            &mut stanza,
            &c.name,
            &node.name,
            node.number,
            node.ip_address,
            node.ip_port,
        );
        let anchor = self.group_anchor(
            ci,
            |c| c.nodes.iter().map(|n| n.stanza).max(),
            |c| c.nodes.iter().map(|n| n.stanza).min(),
            |d| {
                d.config
                    .clusters
                    .iter()
                    .filter_map(|c| c.regions.iter().map(|r| r.stanza).max())
                    .max()
                    .or_else(|| d.config.clusters.iter().map(|c| c.stanza).max())
            },
        );
        // The C tools count in 32 bits and wrap: 4294967295 + 1 is 0 (kept for
        // compatibility; removing stops at 0 instead, docs/compatibility.md).
        let count = c.node_count.wrapping_add(1);
        let splices = vec![
            self.insert(anchor, stanza),
            self.set_attribute(c.stanza, "node_count", count.to_string().as_bytes()),
        ];
        let mut config = self.config.clone();
        let c = &mut config.clusters[ci];
        c.node_count = count;
        c.nodes.push(crate::Node {
            name: node.name.clone(),
            number: node.number,
            ip_address: node.ip_address,
            ip_port: node.ip_port,
            stanza: StanzaId(usize::MAX),
        });
        self.apply(splices, Intent::plain(config))
    }

    /// Removes a node (and its filesystem memberships) and uncounts it. The count stops at 0
    /// where the C tools wrap it to 4294967295.
    pub fn remove_node(&mut self, cluster: &[u8], name: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        let ci = self.cluster_index(cluster)?;
        let c = &self.config.clusters[ci];
        let ni =
            c.nodes
                .iter()
                .position(|n| n.name == name)
                .ok_or_else(|| EditError::UnknownNode {
                    cluster: cluster.into(),
                    node: name.into(),
                })?;
        let mut splices = self.removal(c.nodes[ni].stanza);
        for fs in self
            .config
            .filesystems
            .iter()
            .filter(|f| f.cluster == cluster)
        {
            if let Some(m) = fs.member(name) {
                splices.extend(self.removal(m.stanza));
            }
        }
        let count = c.node_count.saturating_sub(1);
        splices.push(self.set_attribute(c.stanza, "node_count", count.to_string().as_bytes()));
        let mut config = self.config.clone();
        config.clusters[ci].nodes.remove(ni);
        config.clusters[ci].node_count = count;
        for f in config
            .filesystems
            .iter_mut()
            .filter(|f| f.cluster == cluster)
        {
            f.members.retain(|m| m.node != name);
        }
        self.apply(splices, Intent::plain(config))
    }

    /// Adds a heartbeat region to a cluster.
    pub fn add_heartbeat_region(&mut self, cluster: &[u8], region: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        representable("region", region)?;
        let read = meaning(region);
        let ci = self.cluster_index(cluster)?;
        let c = &self.config.clusters[ci];
        if c.region(read).is_some() {
            return Err(EditError::RegionExists {
                cluster: cluster.into(),
                region: region.into(),
            });
        }
        let mut stanza = Vec::new();
        writer::heartbeat_stanza(&mut stanza, &c.name, region);
        let anchor = self.group_anchor(
            ci,
            |c| c.regions.iter().map(|r| r.stanza).max(),
            |c| c.regions.iter().map(|r| r.stanza).min(),
            |d| d.config.clusters.iter().map(|c| c.stanza).max(),
        );
        let splice = self.insert(anchor, stanza);
        let mut config = self.config.clone();
        config.clusters[ci].regions.push(crate::HeartbeatRegion {
            region: region.into(),
            stanza: StanzaId(usize::MAX),
        });
        self.apply(vec![splice], Intent::plain(config))
    }

    /// Removes a heartbeat region from a cluster.
    pub fn remove_heartbeat_region(
        &mut self,
        cluster: &[u8],
        region: &[u8],
    ) -> Result<(), EditError> {
        self.require_valid()?;
        let ci = self.cluster_index(cluster)?;
        let c = &self.config.clusters[ci];
        let ri = c
            .regions
            .iter()
            .position(|r| r.region == region)
            .ok_or_else(|| EditError::UnknownRegion {
                cluster: cluster.into(),
                region: region.into(),
            })?;
        let splices = self.removal(c.regions[ri].stanza);
        let mut config = self.config.clone();
        config.clusters[ci].regions.remove(ri);
        self.apply(splices, Intent::plain(config))
    }

    /// Adds a `filesystem:` stanza. The cluster must exist.
    pub fn add_filesystem(&mut self, fs: &NewFilesystem) -> Result<(), EditError> {
        self.require_valid()?;
        if let Some(label) = &fs.label {
            representable("label", label)?;
        }
        self.cluster_index(&fs.cluster)?;
        if self.config.filesystem(fs.uuid).is_some() {
            return Err(EditError::FilesystemExists(fs.uuid));
        }
        let mut stanza = Vec::new();
        writer::filesystem_stanza(
            &mut stanza,
            fs.uuid,
            &fs.cluster,
            fs.label.as_deref().map(|l| &l[..]),
            fs.slots,
        );
        let anchor = match self.config.filesystems.iter().map(|f| f.stanza).max() {
            Some(last) => Anchor::After(last),
            None => match self.classic_stanzas().max() {
                Some(last) => Anchor::After(last),
                None => Anchor::End,
            },
        };
        let splice = self.insert(anchor, stanza);
        let mut config = self.config.clone();
        config.filesystems.push(crate::Filesystem {
            uuid: fs.uuid,
            cluster: fs.cluster.clone(),
            label: fs.label.clone(),
            slots: fs.slots,
            members: Vec::new(),
            stanza: StanzaId(usize::MAX),
        });
        let members = self.orphan_members(fs.uuid);
        self.apply(
            vec![splice],
            Intent {
                member_orphans: Some((fs.uuid, members)),
                ..Intent::plain(config)
            },
        )
    }

    /// Removes a filesystem and its member stanzas.
    pub fn remove_filesystem(&mut self, uuid: FsUuid) -> Result<(), EditError> {
        self.require_valid()?;
        let fi = self.filesystem_index(uuid)?;
        let fs = &self.config.filesystems[fi];
        let mut splices = self.removal(fs.stanza);
        for m in &fs.members {
            splices.extend(self.removal(m.stanza));
        }
        let mut config = self.config.clone();
        config.filesystems.remove(fi);
        self.apply(splices, Intent::plain(config))
    }

    /// Adds a member to a filesystem.
    pub fn add_filesystem_member(
        &mut self,
        uuid: FsUuid,
        member: &NewMember,
    ) -> Result<(), EditError> {
        self.require_valid()?;
        representable("node", &member.node)?;
        let read = meaning(&member.node);
        let fi = self.filesystem_index(uuid)?;
        let fs = &self.config.filesystems[fi];
        if fs.member(read).is_some() {
            return Err(EditError::MemberExists {
                filesystem: uuid,
                node: member.node.clone(),
            });
        }
        let mut stanza = Vec::new();
        let fields = MemberFields {
            node: &member.node,
            slot: member.slot,
            ip_address: member.ip_address,
            ip_port: member.ip_port,
        };
        writer::member_stanza(&mut stanza, uuid, &fields);
        let members = |fss: &[crate::Filesystem]| {
            fss.iter()
                .flat_map(|f| f.members.iter().map(|m| m.stanza))
                .collect::<Vec<_>>()
        };
        let before = members(&self.config.filesystems[..=fi]);
        let after = members(&self.config.filesystems[fi + 1..]);
        let anchor = if let Some(&last) = before.iter().max() {
            Anchor::After(last)
        } else if let Some(&first) = after.iter().min() {
            Anchor::Before(first)
        } else {
            match self.config.filesystems.iter().map(|f| f.stanza).max() {
                Some(last) => Anchor::After(last),
                None => Anchor::End,
            }
        };
        let splice = self.insert(anchor, stanza);
        let mut config = self.config.clone();
        config.filesystems[fi]
            .members
            .push(crate::FilesystemMember {
                node: member.node.clone(),
                slot: member.slot,
                ip_address: member.ip_address,
                ip_port: member.ip_port,
                stanza: StanzaId(usize::MAX),
            });
        self.apply(vec![splice], Intent::plain(config))
    }

    /// Removes a member from a filesystem.
    pub fn remove_filesystem_member(&mut self, uuid: FsUuid, node: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        let fi = self.filesystem_index(uuid)?;
        let fs = &self.config.filesystems[fi];
        let mi = fs
            .members
            .iter()
            .position(|m| m.node == node)
            .ok_or_else(|| EditError::UnknownMember {
                filesystem: uuid,
                node: node.into(),
            })?;
        let splices = self.removal(fs.members[mi].stanza);
        let mut config = self.config.clone();
        config.filesystems[fi].members.remove(mi);
        self.apply(splices, Intent::plain(config))
    }

    /// Pins members to slots (how the slot allocator's assignments are written back).
    /// Members already pinned to the given slot are left untouched.
    pub fn set_member_slots(
        &mut self,
        uuid: FsUuid,
        slots: &[(BString, u16)],
    ) -> Result<(), EditError> {
        self.require_valid()?;
        let fi = self.filesystem_index(uuid)?;
        let fs = &self.config.filesystems[fi];
        let mut splices = Vec::new();
        let mut config = self.config.clone();
        for (node, slot) in slots {
            let mi = fs
                .members
                .iter()
                .position(|m| m.node == *node)
                .ok_or_else(|| EditError::UnknownMember {
                    filesystem: uuid,
                    node: node.clone(),
                })?;
            let m = &fs.members[mi];
            if m.slot != Some(*slot) {
                splices.push(self.set_attribute(m.stanza, "slot", slot.to_string().as_bytes()));
                config.filesystems[fi].members[mi].slot = Some(*slot);
            }
        }
        if !splices.is_empty() {
            self.apply(splices, Intent::plain(config))?;
        }
        Ok(())
    }

    // ----- placement -------------------------------------------------------------------

    /// Where a new node or region of cluster `ci` goes: after the last such stanza of this
    /// or an earlier cluster, else before the first of a later cluster, else after what
    /// `fallback` names (the group before it in the canonical order).
    fn group_anchor(
        &self,
        ci: usize,
        last: impl Fn(&crate::Cluster) -> Option<StanzaId>,
        first: impl Fn(&crate::Cluster) -> Option<StanzaId>,
        fallback: impl Fn(&Document) -> Option<StanzaId>,
    ) -> Anchor {
        let clusters = &self.config.clusters;
        if let Some(id) = clusters[..=ci].iter().filter_map(&last).max() {
            return Anchor::After(id);
        }
        if let Some(id) = clusters[ci + 1..].iter().filter_map(&first).min() {
            return Anchor::Before(id);
        }
        fallback(self).map_or(Anchor::End, Anchor::After)
    }

    fn classic_stanzas(&self) -> impl Iterator<Item = StanzaId> + '_ {
        self.config.clusters.iter().flat_map(|c| {
            std::iter::once(c.stanza)
                .chain(c.nodes.iter().map(|n| n.stanza))
                .chain(c.regions.iter().map(|r| r.stanza))
        })
    }

    fn first_stanza_of(&self, names: &[&[u8]]) -> Anchor {
        (0..self.tree.stanza_count())
            .find(|&i| names.contains(&&self.text[self.tree.stanza_name(&self.text, i).range()]))
            .map_or(Anchor::End, |i| Anchor::Before(StanzaId(i)))
    }

    /// The node, heartbeat and filesystem stanzas that name cluster `name`, which does not
    /// exist (the tools keep them and do not read them).
    fn orphans(&self, name: &[u8]) -> Orphans {
        let mut o = Orphans::default();
        for i in 0..self.tree.stanza_count() {
            let counter = match &self.text[self.tree.stanza_name(&self.text, i).range()] {
                b"node" => &mut o.nodes,
                b"heartbeat" => &mut o.regions,
                b"filesystem" => &mut o.filesystems,
                _ => continue,
            };
            if self.attribute_value(StanzaId(i), "cluster").as_deref() == Some(name) {
                *counter += 1;
            }
        }
        o
    }

    /// How many `filesystem_node:` stanzas name filesystem `uuid`, which does not exist.
    fn orphan_members(&self, uuid: FsUuid) -> usize {
        (0..self.tree.stanza_count())
            .filter(|&i| {
                &self.text[self.tree.stanza_name(&self.text, i).range()] == b"filesystem_node"
            })
            .filter(|&i| {
                self.attribute_value(StanzaId(i), "filesystem")
                    .and_then(|v| FsUuid::parse(&v))
                    == Some(uuid)
            })
            .count()
    }

    // ----- splices ---------------------------------------------------------------------

    /// End of the text the C tools read (the NUL byte where they stop, if any, ends it).
    fn body_end(&self) -> usize {
        self.tree.nul_at().map_or(self.text.len(), |at| at as usize)
    }

    /// The line (as classified in context) that ends exactly at `pos`, if one does. Found
    /// by reading on from the last stanza header before it, where a line is known to start.
    fn line_ending_at(&self, pos: usize) -> Option<crate::syntax::Line> {
        let from = self
            .tree
            .stanza_before(pos as u32)
            .map_or(0, |i| self.tree.header_offset(i) as usize);
        crate::syntax::lines_from(&self.text[..self.body_end()], from, pos)
            .into_iter()
            .find(|l| l.span.end as usize == pos)
    }

    /// A splice inserting a canonical stanza (ending in a line feed) at the anchor, with one
    /// blank line after it and a blank line before it when the line above is not blank.
    fn insert(&self, anchor: Anchor, stanza: Vec<u8>) -> Splice {
        let pos = match anchor {
            Anchor::After(id) => {
                let s = self.tree.stanza(&self.text, id.0);
                match self.line_at(s.end as usize) {
                    Some(l) if l.kind == LineKind::Blank => l.span.end as usize,
                    _ => s.end as usize,
                }
            }
            Anchor::Before(id) => self.tree.stanza(&self.text, id.0).first as usize,
            Anchor::End => self.body_end(),
        };
        let mut bytes = Vec::with_capacity(stanza.len() + 3);
        if pos > 0 {
            // After a value that ends in a lone backslash, the first line feed continues the
            // value and the second ends it; the new header then ends that stanza.
            if self.text[pos - 1] != b'\n' {
                bytes.extend_from_slice(b"\n\n");
            } else if !matches!(self.line_ending_at(pos), Some(l) if l.kind == LineKind::Blank) {
                bytes.push(b'\n');
            }
        }
        bytes.extend_from_slice(&stanza);
        // `stanza` already ends with its own blank line; nothing more is needed.
        Splice {
            range: pos..pos,
            bytes,
        }
    }

    /// The line that starts at `pos`, read without context (enough to tell a blank line).
    fn line_at(&self, pos: usize) -> Option<crate::syntax::Line> {
        let body = &self.text[..self.body_end()];
        (pos < body.len()).then(|| crate::syntax::lines_from(body, pos, pos + 1)[0])
    }

    /// What must follow the text before `pos` for a new attribute line to start at `pos`:
    /// nothing after a line feed; else (the last line has none) a line feed, or two when the
    /// line is an attribute whose value ends in a lone backslash. The reader drops such a
    /// backslash at the end of the text, but before a line feed it is a continuation: the
    /// first line feed joins the (empty) next line to the value, the second ends it, and the
    /// value means what it meant.
    fn end_of_line(&self, pos: usize) -> &'static [u8] {
        if pos == 0 || self.text[pos - 1] == b'\n' {
            return b"";
        }
        let attribute = matches!(
            self.line_ending_at(pos),
            Some(l) if matches!(l.kind, LineKind::Attribute { .. })
        );
        let backslashes = self.text[..pos]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if attribute && backslashes % 2 == 1 {
            b"\n\n"
        } else {
            b"\n"
        }
    }

    /// Splices removing a stanza: its header, attribute and other non-comment lines, and
    /// the blank line after it. Its comment lines — those leading into it and those inside
    /// it — are kept where they are, and then so is the blank line, which keeps them apart
    /// from what follows.
    fn removal(&self, id: StanzaId) -> Vec<Splice> {
        let s = self.tree.stanza(&self.text, id.0);
        let body = &self.text[..self.body_end()];
        let mut kept_comment = s.first < s.header.start;
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for line in crate::syntax::lines_from(body, s.header.start as usize, s.end as usize) {
            if line.kind == LineKind::Comment {
                kept_comment = true;
                continue;
            }
            match ranges.last_mut() {
                Some(r) if r.end == line.span.start as usize => r.end = line.span.end as usize,
                _ => ranges.push(line.span.range()),
            }
        }
        if !kept_comment {
            if let Some(l) = self.line_at(s.end as usize) {
                if l.kind == LineKind::Blank {
                    match ranges.last_mut() {
                        Some(r) if r.end == s.end as usize => r.end = l.span.end as usize,
                        _ => ranges.push(l.span.range()),
                    }
                }
            }
        }
        ranges
            .into_iter()
            .map(|range| Splice {
                range,
                bytes: Vec::new(),
            })
            .collect()
    }

    /// The effective (last) value of a key in a stanza, as read.
    fn attribute_value(&self, id: StanzaId, key: &str) -> Option<Vec<u8>> {
        self.tree
            .attributes_of(id.0)
            .rev()
            .find(|&a| &self.text[self.tree.attribute_key(&self.text, a).range()] == key.as_bytes())
            .map(|a| {
                let value = self.tree.attribute(&self.text, a).value;
                crate::syntax::read_value(&self.text[value.range()]).into_owned()
            })
    }

    /// A splice giving `key` the value `value` in a stanza: the effective (last) occurrence's
    /// value is replaced in place; a missing key gets a new line after the stanza's last
    /// attribute, indented like it.
    fn set_attribute(&self, id: StanzaId, key: &str, value: &[u8]) -> Splice {
        let attrs = self.tree.attributes_of(id.0);
        let found = attrs.clone().rev().find(|&a| {
            &self.text[self.tree.attribute_key(&self.text, a).range()] == key.as_bytes()
        });
        if let Some(a) = found {
            let a = self.tree.attribute(&self.text, a);
            let eq = self.equals_sign(a.key.end as usize, a.value.start as usize);
            let mut bytes = Vec::with_capacity(value.len() + 2);
            let range = if value.is_empty() {
                // `key =` with nothing after it, as the C writer spells an empty value.
                eq + 1..a.value.end as usize
            } else {
                if a.value.start as usize == eq + 1 && a.value.is_empty() {
                    bytes.push(b' ');
                }
                bytes.extend_from_slice(value);
                a.value.range()
            };
            if range.end == self.body_end() && range.end < self.text.len() {
                // The value ran up to the NUL byte where the C tools stop: end the line, or
                // a NUL right after a one-character value would be read past.
                bytes.push(b'\n');
            }
            return Splice { range, bytes };
        }
        let (indent, pos) = match attrs.last() {
            Some(a) => {
                let a = self.tree.attribute(&self.text, a);
                (
                    Span {
                        start: a.line.start,
                        end: a.key.start,
                    },
                    a.line.end as usize,
                )
            }
            None => {
                let header = self.tree.header_line(&self.text, id.0);
                (Span::default(), header.end as usize)
            }
        };
        let indent: &[u8] = if indent.is_empty() {
            b"\t"
        } else {
            &self.text[indent.range()]
        };
        let mut bytes = self.end_of_line(pos).to_vec();
        writer::write_attribute(&mut bytes, indent, key, value);
        Splice {
            range: pos..pos,
            bytes,
        }
    }

    /// The offset of the `=` between a key ending at `key_end` and a value starting at
    /// `value_start`.
    fn equals_sign(&self, key_end: usize, value_start: usize) -> usize {
        key_end
            + self.text[key_end..value_start]
                .find_byte(b'=')
                .expect("an attribute line has '=' between key and value")
    }

    /// Makes the edit: the splices (non-overlapping) in one pass over the text, then the
    /// result read again and compared with what the edit means to write. A result with
    /// errors (every edit starts from a file without), or one that reads back as anything
    /// else, is refused and the document left as it was.
    ///
    /// A file that was in the canonical form holds nothing but the model, so it is written
    /// in the canonical form of the intended model instead: an edit can change the C tools'
    /// group order (adding the first node to an early cluster puts the node group before the
    /// heartbeat group), and regenerating is the one way to follow every such rule exactly.
    ///
    /// The old document's tree and model are dropped before the new text is read: only one
    /// tree is alive at a time. A refused edit reads the old text again.
    fn apply(&mut self, mut splices: Vec<Splice>, intent: Intent) -> Result<(), EditError> {
        let text = if self.is_canonical() {
            crate::write_canonical(&intent.config)
        } else {
            splices.sort_by_key(|s| (s.range.start, s.range.end));
            let added: usize = splices.iter().map(|s| s.bytes.len()).sum();
            let mut text = Vec::with_capacity(self.text.len() + added);
            let mut pos = 0;
            for s in splices {
                debug_assert!(pos <= s.range.start, "splices overlap");
                text.extend_from_slice(&self.text[pos..s.range.start]);
                text.extend_from_slice(&s.bytes);
                pos = s.range.end;
            }
            text.extend_from_slice(&self.text[pos..]);
            text
        };
        let limit = self.limit;
        let extension_errors = self.counts.extension_errors;
        let old = std::mem::take(&mut self.text);
        *self = Document::default();
        let new = Document::parse_with_limit(text, limit);
        // Errors in the per-filesystem stanzas may be there before the edit; it must not
        // add any.
        let broken = |s| {
            s == crate::Severity::Error
                || (s == crate::Severity::ExtensionError
                    && new.counts.extension_errors > extension_errors)
        };
        let refusal = if new.has_classic_errors() || new.counts.extension_errors > extension_errors
        {
            let mut first = None;
            new.each_diagnostic(|d| {
                if broken(d.severity) {
                    first = Some(EditError::WouldBreak {
                        line: crate::model::line_number(&new.text, d.span.start),
                        message: d.message.clone(),
                    });
                    return std::ops::ControlFlow::Break(());
                }
                std::ops::ControlFlow::Continue(())
            });
            Some(first.unwrap_or_else(|| EditError::NotReadBack("it has errors".to_string())))
        } else {
            differences(&intent, &new.config).map(EditError::NotReadBack)
        };
        match refusal {
            Some(error) => {
                *self = Document::parse_with_limit(old, limit);
                Err(error)
            }
            None => {
                *self = new;
                Ok(())
            }
        }
    }
}

/// How a configuration read back differs from the intended one, if it does (stanza ids
/// aside). Stanzas that a cluster takes over by its new name may add to that cluster's nodes
/// and regions and to the filesystems, up to how many there were.
fn differences(intent: &Intent, got: &Config) -> Option<String> {
    let want = &intent.config;
    let adopter = intent.adopter.as_ref().map(|(name, o)| (meaning(name), o));
    let read = |v: &BString| BString::from(meaning(v));
    if want.clusters.len() != got.clusters.len() {
        return Some(format!(
            "{} clusters instead of {}",
            got.clusters.len(),
            want.clusters.len()
        ));
    }
    for (w, g) in want.clusters.iter().zip(&got.clusters) {
        let what = format!("cluster `{}`", escaped(&w.name));
        if (meaning(&w.name), w.heartbeat_mode, w.node_count)
            != (&g.name[..], g.heartbeat_mode, g.node_count)
        {
            return Some(format!(
                "{what} reads back as `{}` ({}, node_count {}) instead of ({}, node_count {})",
                escaped(&g.name),
                g.heartbeat_mode,
                g.node_count,
                w.heartbeat_mode,
                w.node_count
            ));
        }
        let wn: Vec<_> = w
            .nodes
            .iter()
            .map(|n| (read(&n.name), n.number, n.ip_address, n.ip_port))
            .collect();
        let gn: Vec<_> = g
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.number, n.ip_address, n.ip_port))
            .collect();
        let wr: Vec<_> = w.regions.iter().map(|r| read(&r.region)).collect();
        let gr: Vec<_> = g.regions.iter().map(|r| r.region.clone()).collect();
        match adopter {
            Some((name, orphans)) if name == &g.name[..] => {
                if !within(&wn, &gn, orphans.nodes) || !within(&wr, &gr, orphans.regions) {
                    return Some(format!("{what} reads back with other nodes or regions"));
                }
            }
            _ => {
                if wn != gn {
                    return Some(format!("{what} reads back with other nodes"));
                }
                if wr != gr {
                    return Some(format!("{what} reads back with other heartbeat regions"));
                }
            }
        }
    }
    let fs = |f: &crate::Filesystem, read: &dyn Fn(&BString) -> BString| {
        (
            f.uuid,
            read(&f.cluster),
            f.label.as_ref().map(read),
            f.slots,
            f.members
                .iter()
                .map(|m| (read(&m.node), m.slot, m.ip_address, m.ip_port))
                .collect::<Vec<_>>(),
        )
    };
    let wf: Vec<_> = want.filesystems.iter().map(|f| fs(f, &read)).collect();
    let mut adopted = 0;
    let mut gf: Vec<_> = got
        .filesystems
        .iter()
        .filter(|f| {
            let taken_over = adopter.is_some_and(|(name, _)| name == &f.cluster[..])
                && want.filesystem(f.uuid).is_none();
            adopted += usize::from(taken_over);
            !taken_over
        })
        .map(|f| fs(f, &|v: &BString| v.clone()))
        .collect();
    // Members taken over by a filesystem added under their UUID: the intended ones must be
    // among them, in order, with at most as many others as there were such stanzas.
    if let Some((uuid, orphans)) = intent.member_orphans {
        let w = wf.iter().find(|f| f.0 == uuid);
        if let (Some(w), Some(g)) = (w, gf.iter_mut().find(|f| f.0 == uuid)) {
            if !within(&w.4, &g.4, orphans) {
                return Some("the filesystem added reads back with other members".to_string());
            }
            g.4.clone_from(&w.4);
        }
    }
    if wf != gf || adopter.is_some_and(|(_, o)| adopted > o.filesystems) {
        return Some("the filesystems read back differently".to_string());
    }
    None
}

/// Whether `got` is `want` with at most `extra` more items in between.
fn within<T: PartialEq>(want: &[T], got: &[T], extra: usize) -> bool {
    if got.len() < want.len() || got.len() - want.len() > extra {
        return false;
    }
    let mut w = want.iter().peekable();
    for g in got {
        if w.peek() == Some(&g) {
            w.next();
        }
    }
    w.peek().is_none()
}
