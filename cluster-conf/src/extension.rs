//! The per-filesystem stanzas (DESIGN §4): `filesystem:` and `filesystem_node:`.
//!
//! The C tools ignore both stanza names, so every problem here is an
//! [`Severity::ExtensionError`](crate::Severity::ExtensionError): the classic commands keep
//! working on the file, the per-filesystem ones refuse it. Relations that need the slot
//! allocator (capacity, pinned slot conflicts, membership in the cluster) are checked by
//! [`crate::Document::check_slots`]-style callers through the `slots` crate; this module checks
//! each stanza and its references.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use bstr::{BString, ByteSlice};

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
    id: StanzaId,
}

impl Attrs<'_> {
    fn header(&self) -> Span {
        self.tree.header_line(self.text, self.id.0)
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

pub(crate) fn lower_filesystems(
    text: &[u8],
    tree: &SyntaxTree,
    clusters: &[Cluster],
    fs_stanzas: &[StanzaId],
    member_stanzas: &[StanzaId],
    lines: &Lines<'_>,
    diags: &mut Sink,
) -> Vec<Filesystem> {
    let mut filesystems: Vec<Filesystem> = Vec::new();
    let mut by_uuid: HashMap<FsUuid, usize> = HashMap::new();
    // UUIDs of filesystem stanzas that were rejected: their members are not reported again
    // as pointing at an unknown filesystem.
    let mut rejected: Vec<FsUuid> = Vec::new();

    for &id in fs_stanzas {
        let attrs = Attrs { text, tree, id };
        attrs.unknown_keys(&FILESYSTEM_KEYS, "filesystem", diags);
        let before = diags.len();
        let uuid = match attrs.get("uuid") {
            Some((v, span)) => uuid_value(&v, span, diags),
            None => {
                diags.push(Diagnostic::extension(
                    attrs.header(),
                    "filesystem stanza has no `uuid`",
                ));
                None
            }
        };
        let cluster = match attrs.get("cluster") {
            Some((v, span)) => {
                if !clusters.iter().any(|c| c.name == v) {
                    diags.push(
                        Diagnostic::extension(
                            span,
                            format!(
                                "filesystem belongs to cluster `{}`, which is not defined",
                                v.as_bstr()
                            ),
                        )
                        .with_hint(
                            "add the cluster first, or fix the name (names are case-sensitive)",
                        ),
                    );
                }
                Some(BString::from(v))
            }
            None => {
                diags.push(Diagnostic::extension(
                    attrs.header(),
                    "filesystem stanza has no `cluster`",
                ));
                None
            }
        };
        let label = attrs.get("label").and_then(|(v, span)| {
            if v.len() > MAX_LABEL_LEN {
                diags.push(Diagnostic::extension(
                    span,
                    format!(
                        "label is {} bytes long; OCFS2 labels hold at most {MAX_LABEL_LEN}",
                        v.len()
                    ),
                ));
                None
            } else {
                Some(BString::from(v))
            }
        });
        let slots = attrs
            .get("slots")
            .and_then(|(v, span)| small_number("slots", &v, span, (1, MAX_SLOTS), diags));
        if let Some(uuid) = uuid {
            if let Some(&first) = by_uuid.get(&uuid) {
                let first_line = lines.of(tree.header_offset(filesystems[first].stanza.0));
                diags.push(
                    Diagnostic::extension(
                        attrs.get("uuid").map_or(attrs.header(), |(_, s)| s),
                        format!("filesystem {uuid} is defined twice"),
                    )
                    .with_hint(format!("the first definition starts at line {first_line}")),
                );
                continue;
            }
        }
        if diags.len() != before {
            rejected.extend(uuid);
            continue;
        }
        let (Some(uuid), Some(cluster)) = (uuid, cluster) else {
            continue;
        };
        by_uuid.insert(uuid, filesystems.len());
        filesystems.push(Filesystem {
            uuid,
            cluster,
            label,
            slots,
            members: Vec::new(),
            stanza: id,
        });
    }

    for &id in member_stanzas {
        let attrs = Attrs { text, tree, id };
        attrs.unknown_keys(&FILESYSTEM_NODE_KEYS, "filesystem_node", diags);
        let before = diags.len();
        let fs = match attrs.get("filesystem") {
            Some((v, span)) => uuid_value(&v, span, diags).and_then(|uuid| {
                let found = by_uuid.get(&uuid).copied();
                if found.is_none() && !rejected.contains(&uuid) {
                    diags.push(
                        Diagnostic::extension(span, format!("filesystem {uuid} is not defined"))
                            .with_hint("add a `filesystem:` stanza with this uuid"),
                    );
                }
                found
            }),
            None => {
                diags.push(Diagnostic::extension(
                    attrs.header(),
                    "filesystem_node stanza has no `filesystem`",
                ));
                None
            }
        };
        let node = match attrs.get("node") {
            Some((v, _)) if !v.is_empty() => Some(BString::from(v)),
            Some((_, span)) => {
                diags.push(Diagnostic::extension(span, "`node` is empty"));
                None
            }
            None => {
                diags.push(Diagnostic::extension(
                    attrs.header(),
                    "filesystem_node stanza has no `node`",
                ));
                None
            }
        };
        let slot = attrs
            .get("slot")
            .and_then(|(v, span)| small_number("slot", &v, span, (0, MAX_SLOTS - 1), diags));
        let ip_address: Option<Ipv4Addr> = attrs.get("ip_address").and_then(|(v, span)| {
            let ip = parse_inet_pton(&v);
            if ip.is_none() {
                diags.push(
                    Diagnostic::extension(
                        span,
                        format!("`{}` is not an IPv4 address", v.as_bstr()),
                    )
                    .with_hint(crate::model::ip_hint(&v)),
                );
            }
            ip
        });
        let ip_port = attrs
            .get("ip_port")
            .and_then(|(v, span)| small_number("ip_port", &v, span, (1, 65534), diags));
        if diags.len() != before {
            continue;
        }
        let (Some(fs), Some(node)) = (fs, node) else {
            continue;
        };
        let filesystem = &mut filesystems[fs];
        if let Some(first) = filesystem.members.iter().find(|m| m.node == node) {
            let first_line = lines.of(tree.header_offset(first.stanza.0));
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
            continue;
        }
        filesystem.members.push(FilesystemMember {
            node,
            slot,
            ip_address,
            ip_port,
            stanza: id,
        });
    }
    filesystems
}
