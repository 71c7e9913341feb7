//! The per-filesystem stanzas (docs/per-filesystem.md): `filesystem:` and `filesystem_node:`.
//!
//! The C tools ignore both stanza names, so every problem here is an
//! [`Severity::ExtensionError`](crate::Severity::ExtensionError): the classic commands keep
//! working on the file, the per-filesystem ones refuse it. Relations that need the slot
//! allocator (capacity, pinned slot conflicts, membership in the cluster) are checked by the
//! `fs-policy` crate's `allocate`, through the `slots` crate; this module checks each stanza
//! and its references.

use std::net::Ipv4Addr;

use bstr::{BString, ByteSlice};
use rustc_hash::FxHashMap;

use crate::damage::Damage;
use crate::diagnostic::{Diagnostic, Sink};
use crate::model::{
    Cluster, Filesystem, FilesystemMember, Lines, StanzaId, FILESYSTEM_KEYS, FILESYSTEM_NODE_KEYS,
};
use crate::syntax::{read_value, Span, SyntaxTree};
use crate::values::{parse_c_ulong, parse_inet_pton, FsUuid};

/// Most node slots an OCFS2 volume can have.
pub const MAX_SLOTS: u16 = 255;
pub const MAX_LABEL_LEN: usize = 64;

struct Attrs<'a> {
    text: &'a [u8],
    tree: &'a SyntaxTree,
    damage: &'a Damage<'a>,
    id: StanzaId,
}

impl Attrs<'_> {
    fn header(&self) -> Span {
        self.tree.header_line(self.text, self.id.0)
    }

    /// Reports that the stanza lacks `key`, unless a rejected line may have been it (that
    /// line's error says what is wrong).
    fn missing(&self, stanza: &str, key: &str, diags: &mut Sink) {
        if !self.damage.may_hide(self.id, key) {
            diags.push(Diagnostic::extension(
                self.header(),
                format!("{stanza} stanza has no `{key}`"),
            ));
        }
    }

    fn get(&self, key: &str) -> Option<(Vec<u8>, Span)> {
        self.tree
            .attributes_of(self.id.0)
            .rev()
            .find(|&a| &self.text[self.tree.attribute_key(self.text, a).range()] == key.as_bytes())
            .map(|a| {
                let a = self.tree.attribute(self.text, a);
                let v = read_value(&self.text[a.value.range()]).into_owned();
                (v, if a.value.is_empty() { a.key } else { a.value })
            })
    }

    fn unknown_keys(&self, known: &[&str], stanza: &str, diags: &mut Sink) {
        for a in self.tree.attributes_of(self.id.0) {
            let key_span = self.tree.attribute_key(self.text, a);
            let key = &self.text[key_span.range()];
            if !known.iter().any(|k| k.as_bytes() == key) {
                diags.push(
                    Diagnostic::extension(
                        key_span,
                        format!("unknown key `{}` in {stanza} stanza", key.as_bstr()),
                    )
                    .with_hint(format!("known keys: {}", known.join(", "))),
                );
            }
        }
    }
}

fn uuid_value(value: &[u8], span: Span, diags: &mut Sink) -> Option<FsUuid> {
    let uuid = FsUuid::parse(value);
    if uuid.is_none() {
        diags.push(
            Diagnostic::extension(
                span,
                format!("`{}` is not a filesystem UUID", value.as_bstr()),
            )
            .with_hint("write the volume's UUID as 32 hexadecimal digits (dashes allowed), as `mounted.ocfs2 -d` shows it"),
        );
    }
    uuid
}

/// A number in `min..=max`; anything else is reported with the range that is allowed.
fn small_number(
    key: &str,
    value: &[u8],
    span: Span,
    (min, max): (u16, u16),
    diags: &mut Sink,
) -> Option<u16> {
    match parse_c_ulong(value, u64::from(max)) {
        Ok(n) if n >= u64::from(min) => Some(n as u16),
        _ => {
            diags.push(Diagnostic::extension(
                span,
                format!(
                    "`{key}` must be a number from {min} to {max}, not `{}`",
                    value.as_bstr()
                ),
            ));
            None
        }
    }
}

/// Lowers the `filesystem:` stanzas, then the `filesystem_node:` stanzas that make their
/// member lists. `lost_cluster`: whether a cluster stanza's name may be on a rejected line
/// (then a filesystem of an unknown cluster may be of that one).
#[allow(clippy::too_many_arguments)]
pub(crate) fn lower_filesystems(
    text: &[u8],
    tree: &SyntaxTree,
    damage: &Damage<'_>,
    clusters: &[Cluster],
    lost_cluster: bool,
    (fs_stanzas, member_stanzas): (&[StanzaId], &[StanzaId]),
    lines: &Lines<'_>,
    diags: &mut Sink,
) -> Vec<Filesystem> {
    let mut filesystems = Filesystems::default();
    for &id in fs_stanzas {
        let attrs = Attrs {
            text,
            tree,
            damage,
            id,
        };
        filesystems.add(&attrs, (clusters, lost_cluster), lines, diags);
    }
    for &id in member_stanzas {
        let attrs = Attrs {
            text,
            tree,
            damage,
            id,
        };
        filesystems.add_member(&attrs, lines, diags);
    }
    filesystems.list
}

/// The filesystems lowered so far, found by UUID.
#[derive(Default)]
struct Filesystems {
    /// In file order.
    list: Vec<Filesystem>,
    by_uuid: FxHashMap<FsUuid, usize>,
    /// UUIDs of filesystem stanzas that were rejected: their members are not reported again
    /// as pointing at an unknown filesystem.
    rejected: Vec<FsUuid>,
}

impl Filesystems {
    /// Adds the filesystem a `filesystem:` stanza describes, unless it has errors or its
    /// UUID is already defined.
    fn add(
        &mut self,
        attrs: &Attrs<'_>,
        clusters: (&[Cluster], bool),
        lines: &Lines<'_>,
        diags: &mut Sink,
    ) {
        attrs.unknown_keys(&FILESYSTEM_KEYS, "filesystem", diags);
        let before = diags.len();
        let uuid = filesystem_uuid(attrs, diags);
        let cluster = filesystem_cluster(attrs, clusters, diags);
        let label = filesystem_label(attrs, diags);
        let slots = attrs
            .get("slots")
            .and_then(|(v, span)| small_number("slots", &v, span, (1, MAX_SLOTS), diags));
        if let Some(uuid) = uuid {
            if let Some(&first) = self.by_uuid.get(&uuid) {
                let first_line = lines.of(attrs.tree.header_offset(self.list[first].stanza.0));
                diags.push(
                    Diagnostic::extension(
                        attrs.get("uuid").map_or(attrs.header(), |(_, s)| s),
                        format!("filesystem {uuid} is defined twice"),
                    )
                    .with_hint(format!("the first definition starts at line {first_line}")),
                );
                return;
            }
        }
        if diags.len() != before {
            self.rejected.extend(uuid);
            return;
        }
        let (Some(uuid), Some(cluster)) = (uuid, cluster) else {
            // A part was on a rejected line: the members are not reported again.
            self.rejected.extend(uuid);
            return;
        };
        self.by_uuid.insert(uuid, self.list.len());
        self.list.push(Filesystem {
            uuid,
            cluster,
            label,
            slots,
            members: Vec::new(),
            stanza: attrs.id,
        });
    }

    /// Adds the member a `filesystem_node:` stanza describes to its filesystem, unless it
    /// has errors or the filesystem already lists the node.
    fn add_member(&mut self, attrs: &Attrs<'_>, lines: &Lines<'_>, diags: &mut Sink) {
        attrs.unknown_keys(&FILESYSTEM_NODE_KEYS, "filesystem_node", diags);
        let before = diags.len();
        let fs = self.member_filesystem(attrs, diags);
        let node = member_node(attrs, diags);
        let slot = attrs
            .get("slot")
            .and_then(|(v, span)| small_number("slot", &v, span, (0, MAX_SLOTS - 1), diags));
        let ip_address = member_ip_address(attrs, diags);
        let ip_port = attrs
            .get("ip_port")
            .and_then(|(v, span)| small_number("ip_port", &v, span, (1, 65534), diags));
        if diags.len() != before {
            return;
        }
        let (Some(fs), Some(node)) = (fs, node) else {
            return;
        };
        let filesystem = &mut self.list[fs];
        if let Some(first) = filesystem.members.iter().find(|m| m.node == node) {
            let first_line = lines.of(attrs.tree.header_offset(first.stanza.0));
            diags.push(
                Diagnostic::extension(
                    attrs.get("node").map_or(attrs.header(), |(_, s)| s),
                    format!(
                        "node `{node}` is listed twice as a member of filesystem {}",
                        filesystem.uuid
                    ),
                )
                .with_hint(format!("the first listing starts at line {first_line}")),
            );
            return;
        }
        filesystem.members.push(FilesystemMember {
            node,
            slot,
            ip_address,
            ip_port,
            stanza: attrs.id,
        });
    }

    /// The filesystem a member stanza names (index in `list`); a UUID that no filesystem
    /// stanza defines is reported unless its stanza was rejected.
    fn member_filesystem(&self, attrs: &Attrs<'_>, diags: &mut Sink) -> Option<usize> {
        let Some((v, span)) = attrs.get("filesystem") else {
            attrs.missing("filesystem_node", "filesystem", diags);
            return None;
        };
        let uuid = uuid_value(&v, span, diags)?;
        let found = self.by_uuid.get(&uuid).copied();
        if found.is_none() && !self.rejected.contains(&uuid) {
            diags.push(
                Diagnostic::extension(span, format!("filesystem {uuid} is not defined"))
                    .with_hint("add a `filesystem:` stanza with this uuid"),
            );
        }
        found
    }
}

fn filesystem_uuid(attrs: &Attrs<'_>, diags: &mut Sink) -> Option<FsUuid> {
    match attrs.get("uuid") {
        Some((v, span)) => uuid_value(&v, span, diags),
        None => {
            attrs.missing("filesystem", "uuid", diags);
            None
        }
    }
}

/// The cluster a filesystem stanza names; one that no cluster stanza defines is reported
/// (unless a cluster's name is on a rejected line: then it is `None`, as not known).
fn filesystem_cluster(
    attrs: &Attrs<'_>,
    (clusters, lost_cluster): (&[Cluster], bool),
    diags: &mut Sink,
) -> Option<BString> {
    let Some((v, span)) = attrs.get("cluster") else {
        attrs.missing("filesystem", "cluster", diags);
        return None;
    };
    if !clusters.iter().any(|c| c.name == v) {
        if lost_cluster {
            return None;
        }
        diags.push(
            Diagnostic::extension(
                span,
                format!(
                    "filesystem belongs to cluster `{}`, which is not defined",
                    v.as_bstr()
                ),
            )
            .with_hint("add the cluster first, or fix the name (names are case-sensitive)"),
        );
    }
    Some(BString::from(v))
}

fn filesystem_label(attrs: &Attrs<'_>, diags: &mut Sink) -> Option<BString> {
    let (v, span) = attrs.get("label")?;
    if v.len() > MAX_LABEL_LEN {
        diags.push(Diagnostic::extension(
            span,
            format!(
                "label is {} bytes long; OCFS2 labels hold at most {MAX_LABEL_LEN}",
                v.len()
            ),
        ));
        return None;
    }
    Some(BString::from(v))
}

fn member_node(attrs: &Attrs<'_>, diags: &mut Sink) -> Option<BString> {
    match attrs.get("node") {
        Some((v, _)) if !v.is_empty() => Some(BString::from(v)),
        Some((_, span)) => {
            diags.push(Diagnostic::extension(span, "`node` is empty"));
            None
        }
        None => {
            attrs.missing("filesystem_node", "node", diags);
            None
        }
    }
}

fn member_ip_address(attrs: &Attrs<'_>, diags: &mut Sink) -> Option<Ipv4Addr> {
    let (v, span) = attrs.get("ip_address")?;
    let ip = parse_inet_pton(&v);
    if ip.is_none() {
        diags.push(
            Diagnostic::extension(span, format!("`{}` is not an IPv4 address", v.as_bstr()))
                .with_hint(crate::model::ip_hint(&v)),
        );
    }
    ip
}
