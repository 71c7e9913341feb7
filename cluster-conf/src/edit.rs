//! Edits that change only the stanzas they must.
//!
//! Every edit is computed as a few byte splices on the document text (insert a stanza, remove
//! a stanza, replace one value, add one attribute line) and the text is then read again.
//! Everything outside the splices — comments, blank lines, unknown keys and stanzas, the
//! author's indentation — stays byte for byte. New stanzas are written in the canonical form
//! and placed where the C tools' regenerated file would have them, so a file that is already
//! canonical ends byte-identical to what the C tools write for the same edit.
//!
//! Where a removed stanza is preceded directly (no blank line between) by comment lines,
//! those comments are taken to describe it and go with it.

use std::net::Ipv4Addr;
use std::ops::Range;

use bstr::{BString, ByteSlice};

use crate::document::Document;
use crate::model::StanzaId;
use crate::syntax::{LineKind, Span};
use crate::values::{FsUuid, HeartbeatMode};
use crate::writer::{self, MemberFields};

/// Why an edit was refused. Nothing is changed when an edit fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the configuration has errors; fix them before editing it")]
    InvalidDocument,
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

impl Document {
    fn require_valid(&self) -> Result<(), EditError> {
        if self.has_errors() {
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
        if self.config.cluster(name).is_some() {
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
        self.apply(vec![splice])
    }

    /// Removes a cluster with its nodes, heartbeat regions and filesystems.
    pub fn remove_cluster(&mut self, name: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        let c = &self.config.clusters[self.cluster_index(name)?];
        let mut ids = vec![c.stanza];
        ids.extend(c.nodes.iter().map(|n| n.stanza));
        ids.extend(c.regions.iter().map(|r| r.stanza));
        for fs in self.config.filesystems.iter().filter(|f| f.cluster == name) {
            ids.push(fs.stanza);
            ids.extend(fs.members.iter().map(|m| m.stanza));
        }
        let splices = ids.into_iter().map(|id| self.removal(id)).collect();
        self.apply(splices)
    }

    /// Renames a cluster; its nodes, regions and filesystems follow.
    pub fn rename_cluster(&mut self, old: &[u8], new: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        if old == new {
            return Ok(());
        }
        if self.config.cluster(new).is_some() {
            return Err(EditError::ClusterExists(new.into()));
        }
        let c = &self.config.clusters[self.cluster_index(old)?];
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
        self.apply(splices)
    }

    /// Sets a cluster's heartbeat mode. Writes nothing when the file already says so.
    pub fn set_heartbeat_mode(
        &mut self,
        cluster: &[u8],
        mode: HeartbeatMode,
    ) -> Result<(), EditError> {
        self.require_valid()?;
        let c = &self.config.clusters[self.cluster_index(cluster)?];
        let current = self.attribute_value(c.stanza, "heartbeat_mode");
        if current.as_deref() == Some(mode.as_str().as_bytes()) {
            return Ok(());
        }
        let splice = self.set_attribute(c.stanza, "heartbeat_mode", mode.as_str().as_bytes());
        self.apply(vec![splice])
    }

    /// Adds a node and counts it in the cluster's `node_count`.
    pub fn add_node(&mut self, cluster: &[u8], node: &NewNode) -> Result<(), EditError> {
        self.require_valid()?;
        let ci = self.cluster_index(cluster)?;
        let c = &self.config.clusters[ci];
        if c.node(&node.name).is_some() {
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
            |c| c.nodes.iter().map(|n| n.stanza).collect(),
            |d| {
                d.last_of(|c| c.regions.iter().map(|r| r.stanza).collect())
                    .or_else(|| d.config.clusters.iter().map(|c| c.stanza).max())
            },
        );
        let count = c.node_count.saturating_add(1).to_string();
        let splices = vec![
            self.insert(anchor, stanza),
            self.set_attribute(c.stanza, "node_count", count.as_bytes()),
        ];
        self.apply(splices)
    }

    /// Removes a node (and its filesystem memberships) and uncounts it. The count stops at 0
    /// where the C tools wrap it to 4294967295.
    pub fn remove_node(&mut self, cluster: &[u8], name: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        let c = &self.config.clusters[self.cluster_index(cluster)?];
        let node = c.node(name).ok_or_else(|| EditError::UnknownNode {
            cluster: cluster.into(),
            node: name.into(),
        })?;
        let mut splices = vec![self.removal(node.stanza)];
        for fs in self
            .config
            .filesystems
            .iter()
            .filter(|f| f.cluster == cluster)
        {
            if let Some(m) = fs.member(name) {
                splices.push(self.removal(m.stanza));
            }
        }
        let count = c.node_count.saturating_sub(1).to_string();
        splices.push(self.set_attribute(c.stanza, "node_count", count.as_bytes()));
        self.apply(splices)
    }

    /// Adds a heartbeat region to a cluster.
    pub fn add_heartbeat_region(&mut self, cluster: &[u8], region: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        let ci = self.cluster_index(cluster)?;
        let c = &self.config.clusters[ci];
        if c.region(region).is_some() {
            return Err(EditError::RegionExists {
                cluster: cluster.into(),
                region: region.into(),
            });
        }
        let mut stanza = Vec::new();
        writer::heartbeat_stanza(&mut stanza, &c.name, region);
        let anchor = self.group_anchor(
            ci,
            |c| c.regions.iter().map(|r| r.stanza).collect(),
            |d| d.config.clusters.iter().map(|c| c.stanza).max(),
        );
        let splice = self.insert(anchor, stanza);
        self.apply(vec![splice])
    }

    /// Removes a heartbeat region from a cluster.
    pub fn remove_heartbeat_region(
        &mut self,
        cluster: &[u8],
        region: &[u8],
    ) -> Result<(), EditError> {
        self.require_valid()?;
        let c = &self.config.clusters[self.cluster_index(cluster)?];
        let r = c.region(region).ok_or_else(|| EditError::UnknownRegion {
            cluster: cluster.into(),
            region: region.into(),
        })?;
        let splice = self.removal(r.stanza);
        self.apply(vec![splice])
    }

    /// Adds a `filesystem:` stanza. The cluster must exist.
    pub fn add_filesystem(&mut self, fs: &NewFilesystem) -> Result<(), EditError> {
        self.require_valid()?;
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
        self.apply(vec![splice])
    }

    /// Removes a filesystem and its member stanzas.
    pub fn remove_filesystem(&mut self, uuid: FsUuid) -> Result<(), EditError> {
        self.require_valid()?;
        let fs = &self.config.filesystems[self.filesystem_index(uuid)?];
        let mut splices = vec![self.removal(fs.stanza)];
        splices.extend(fs.members.iter().map(|m| self.removal(m.stanza)));
        self.apply(splices)
    }

    /// Adds a member to a filesystem.
    pub fn add_filesystem_member(
        &mut self,
        uuid: FsUuid,
        member: &NewMember,
    ) -> Result<(), EditError> {
        self.require_valid()?;
        let fi = self.filesystem_index(uuid)?;
        let fs = &self.config.filesystems[fi];
        if fs.member(&member.node).is_some() {
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
        let before: Vec<StanzaId> = self.config.filesystems[..=fi]
            .iter()
            .flat_map(|f| f.members.iter().map(|m| m.stanza))
            .collect();
        let after: Vec<StanzaId> = self.config.filesystems[fi + 1..]
            .iter()
            .flat_map(|f| f.members.iter().map(|m| m.stanza))
            .collect();
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
        self.apply(vec![splice])
    }

    /// Removes a member from a filesystem.
    pub fn remove_filesystem_member(&mut self, uuid: FsUuid, node: &[u8]) -> Result<(), EditError> {
        self.require_valid()?;
        let fs = &self.config.filesystems[self.filesystem_index(uuid)?];
        let m = fs.member(node).ok_or_else(|| EditError::UnknownMember {
            filesystem: uuid,
            node: node.into(),
        })?;
        let splice = self.removal(m.stanza);
        self.apply(vec![splice])
    }

    /// Pins members to slots (how the slot allocator's assignments are written back).
    /// Members already pinned to the given slot are left untouched.
    pub fn set_member_slots(
        &mut self,
        uuid: FsUuid,
        slots: &[(BString, u16)],
    ) -> Result<(), EditError> {
        self.require_valid()?;
        let fs = &self.config.filesystems[self.filesystem_index(uuid)?];
        let mut splices = Vec::new();
        for (node, slot) in slots {
            let m = fs.member(node).ok_or_else(|| EditError::UnknownMember {
                filesystem: uuid,
                node: node.clone(),
            })?;
            if m.slot != Some(*slot) {
                splices.push(self.set_attribute(m.stanza, "slot", slot.to_string().as_bytes()));
            }
        }
        if !splices.is_empty() {
            self.apply(splices)?;
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
        members: impl Fn(&crate::Cluster) -> Vec<StanzaId>,
        fallback: impl Fn(&Document) -> Option<StanzaId>,
    ) -> Anchor {
        let clusters = &self.config.clusters;
        if let Some(last) = clusters[..=ci].iter().flat_map(&members).max() {
            return Anchor::After(last);
        }
        if let Some(first) = clusters[ci + 1..].iter().flat_map(&members).min() {
            return Anchor::Before(first);
        }
        fallback(self).map_or(Anchor::End, Anchor::After)
    }

    fn last_of(&self, members: impl Fn(&crate::Cluster) -> Vec<StanzaId>) -> Option<StanzaId> {
        self.config.clusters.iter().flat_map(members).max()
    }

    fn classic_stanzas(&self) -> impl Iterator<Item = StanzaId> + '_ {
        self.config.clusters.iter().flat_map(|c| {
            std::iter::once(c.stanza)
                .chain(c.nodes.iter().map(|n| n.stanza))
                .chain(c.regions.iter().map(|r| r.stanza))
        })
    }

    fn first_stanza_of(&self, names: &[&[u8]]) -> Anchor {
        self.tree
            .stanzas
            .iter()
            .position(|s| names.contains(&&self.text[s.name.range()]))
            .map_or(Anchor::End, |i| Anchor::Before(StanzaId(i)))
    }

    // ----- splices ---------------------------------------------------------------------

    /// End of the text the C tools read (the first NUL byte, if any, ends it).
    fn body_end(&self) -> usize {
        self.tree.nul_at.map_or(self.text.len(), |at| at as usize)
    }

    fn line_ending_at(&self, pos: usize) -> Option<&crate::syntax::Line> {
        let lines = &self.tree.lines;
        let i = lines.partition_point(|l| (l.span.end as usize) < pos);
        lines.get(i).filter(|l| l.span.end as usize == pos)
    }

    /// A splice inserting a canonical stanza (ending in a line feed) at the anchor, with one
    /// blank line after it and a blank line before it when the line above is not blank.
    fn insert(&self, anchor: Anchor, stanza: Vec<u8>) -> Splice {
        let lines = &self.tree.lines;
        let pos = match anchor {
            Anchor::After(id) => {
                let s = &self.tree.stanzas[id.0];
                let body_end = lines[s.end_line - 1].span.end;
                let end = match lines.get(s.end_line) {
                    Some(l) if l.kind == LineKind::Blank && l.span.start == body_end => l.span.end,
                    _ => body_end,
                };
                end as usize
            }
            Anchor::Before(id) => lines[self.tree.stanzas[id.0].first_line].span.start as usize,
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

    /// A splice removing a stanza, the comments that lead into it, and one blank line after
    /// it.
    fn removal(&self, id: StanzaId) -> Splice {
        let lines = &self.tree.lines;
        let s = &self.tree.stanzas[id.0];
        let start = lines[s.first_line].span.start;
        let mut end = lines[s.end_line - 1].span.end;
        if let Some(l) = lines.get(s.end_line) {
            if l.kind == LineKind::Blank && l.span.start == end {
                end = l.span.end;
            }
        }
        Splice {
            range: start as usize..end as usize,
            bytes: Vec::new(),
        }
    }

    /// The effective (last) value of a key in a stanza, decoded and trimmed.
    fn attribute_value(&self, id: StanzaId, key: &str) -> Option<Vec<u8>> {
        let s = &self.tree.stanzas[id.0];
        self.tree.attributes[s.attributes.clone()]
            .iter()
            .rev()
            .find(|a| &self.text[a.key.range()] == key.as_bytes())
            .map(|a| {
                crate::syntax::trim_value(&crate::syntax::decode_value(&self.text[a.value.range()]))
                    .to_vec()
            })
    }

    /// A splice giving `key` the value `value` in a stanza: the effective (last) occurrence's
    /// value is replaced in place; a missing key gets a new line after the stanza's last
    /// attribute, indented like it.
    fn set_attribute(&self, id: StanzaId, key: &str, value: &[u8]) -> Splice {
        let s = &self.tree.stanzas[id.0];
        let attrs = &self.tree.attributes[s.attributes.clone()];
        let mut encoded = Vec::new();
        crate::syntax::encode_value(value, &mut encoded);
        if let Some(a) = attrs
            .iter()
            .rev()
            .find(|a| &self.text[a.key.range()] == key.as_bytes())
        {
            let eq = self.equals_sign(a.key.end as usize, a.value.start as usize);
            if value.is_empty() {
                // `key =` with nothing after it, as the C writer spells an empty value.
                return Splice {
                    range: eq + 1..a.value.end as usize,
                    bytes: Vec::new(),
                };
            }
            if a.value.start as usize == eq + 1 && a.value.is_empty() {
                let mut bytes = vec![b' '];
                bytes.extend_from_slice(&encoded);
                return Splice {
                    range: a.value.range(),
                    bytes,
                };
            }
            return Splice {
                range: a.value.range(),
                bytes: encoded,
            };
        }
        let (indent, pos) = match attrs.last() {
            Some(a) => {
                let line = self.tree.lines[a.line];
                let indent = Span {
                    start: line.span.start,
                    end: a.key.start,
                };
                (indent, line.span.end as usize)
            }
            None => {
                let line = self.tree.lines[s.header_line];
                (Span::default(), line.span.end as usize)
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

    /// Applies splices (non-overlapping) and reads the result again. A result with errors
    /// (every edit starts from a file without) is refused and the document left as it was.
    ///
    /// A file that was in the canonical form holds nothing but the model, so it is written
    /// in the canonical form again: an edit can change the C tools' group order (adding the
    /// first node to an early cluster puts the node group before the heartbeat group), and
    /// regenerating is the one way to follow every such rule exactly.
    fn apply(&mut self, mut splices: Vec<Splice>) -> Result<(), EditError> {
        let before = self.clone();
        let was_canonical = self.is_canonical();
        splices.sort_by_key(|s| std::cmp::Reverse((s.range.start, s.range.end)));
        let mut text = std::mem::take(&mut self.text);
        for s in splices {
            text.splice(s.range, s.bytes);
        }
        *self = Document::parse(text);
        if was_canonical && !self.has_any_errors() {
            let canonical = crate::write_canonical(&self.config);
            if canonical != self.text {
                *self = Document::parse(canonical);
            }
        }
        if let Some(d) = self
            .diagnostics
            .iter()
            .find(|d| d.severity == crate::Severity::Error)
        {
            let error = EditError::WouldBreak {
                line: crate::model::line_number(&self.text, d.span.start),
                message: d.message.clone(),
            };
            *self = before;
            return Err(error);
        }
        Ok(())
    }
}
