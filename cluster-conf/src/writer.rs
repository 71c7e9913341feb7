//! The canonical form: cluster.conf exactly as the C 1.8 tools regenerate it (in the order
//! a current GLib gives; docs/compatibility.md), plus the per-filesystem stanzas after the
//! classic ones.

use std::net::Ipv4Addr;

use crate::model::{Cluster, Config, Filesystem, FilesystemMember, Node};
use crate::values::{FsUuid, HeartbeatMode};

/// Where the writer puts bytes: a buffer, or a comparison with a text that is never copied.
pub(crate) trait Out {
    fn put(&mut self, bytes: &[u8]);
}

impl Out for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Compares what is written with a text, piece by piece.
struct SameAs<'t> {
    rest: &'t [u8],
    same: bool,
}

impl Out for SameAs<'_> {
    fn put(&mut self, bytes: &[u8]) {
        match self.rest.strip_prefix(bytes) {
            Some(rest) if self.same => self.rest = rest,
            _ => self.same = false,
        }
    }
}

/// Whether [`write_canonical`] of `config` is exactly `text`, without making a copy of it.
pub(crate) fn is_canonical_text(config: &Config, text: &[u8]) -> bool {
    let mut out = SameAs {
        rest: text,
        same: true,
    };
    write_canonical_to(config, &mut out);
    out.same && out.rest.is_empty()
}

/// A value as the C writer writes it: every embedded line feed becomes a backslash-newline
/// continuation; nothing else is escaped.
fn encode_value(value: &[u8], out: &mut impl Out) {
    for (i, part) in value.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.put(b"\\\n");
        }
        out.put(part);
    }
}

/// Appends one stanza: `name:`, then `TAB key = value` lines (`TAB key =` for an empty
/// value), then the blank line the C writer puts after every stanza.
pub(crate) fn write_stanza(out: &mut impl Out, name: &str, attrs: &[(&str, &[u8])]) {
    out.put(name.as_bytes());
    out.put(b":\n");
    for (key, value) in attrs {
        write_attribute(out, b"\t", key, value);
    }
    out.put(b"\n");
}

/// Appends one attribute line with the given indentation.
pub(crate) fn write_attribute(out: &mut impl Out, indent: &[u8], key: &str, value: &[u8]) {
    out.put(indent);
    out.put(key.as_bytes());
    if value.is_empty() {
        out.put(b" =\n");
    } else {
        out.put(b" = ");
        encode_value(value, out);
        out.put(b"\n");
    }
}

pub(crate) fn cluster_stanza(
    out: &mut impl Out,
    name: &[u8],
    mode: HeartbeatMode,
    node_count: u32,
) {
    let count = node_count.to_string();
    write_stanza(
        out,
        "cluster",
        &[
            ("name", name),
            ("heartbeat_mode", mode.as_str().as_bytes()),
            ("node_count", count.as_bytes()),
        ],
    );
}

pub(crate) fn node_stanza(
    out: &mut impl Out,
    cluster: &[u8],
    name: &[u8],
    number: u32,
    ip: Ipv4Addr,
    port: u32,
) {
    let number = number.to_string();
    let port = port.to_string();
    let ip = ip.to_string();
    write_stanza(
        out,
        "node",
        &[
            ("cluster", cluster),
            ("number", number.as_bytes()),
            ("ip_port", port.as_bytes()),
            ("ip_address", ip.as_bytes()),
            ("name", name),
        ],
    );
}

pub(crate) fn heartbeat_stanza(out: &mut impl Out, cluster: &[u8], region: &[u8]) {
    write_stanza(
        out,
        "heartbeat",
        &[("cluster", cluster), ("region", region)],
    );
}

pub(crate) fn filesystem_stanza(
    out: &mut impl Out,
    uuid: FsUuid,
    cluster: &[u8],
    label: Option<&[u8]>,
    slots: Option<u16>,
) {
    let uuid = uuid.to_string();
    let slots = slots.map(|s| s.to_string());
    let mut attrs: Vec<(&str, &[u8])> = vec![("uuid", uuid.as_bytes()), ("cluster", cluster)];
    if let Some(label) = label {
        attrs.push(("label", label));
    }
    if let Some(slots) = &slots {
        attrs.push(("slots", slots.as_bytes()));
    }
    write_stanza(out, "filesystem", &attrs);
}

pub(crate) fn member_stanza(out: &mut impl Out, uuid: FsUuid, member: &MemberFields<'_>) {
    let uuid = uuid.to_string();
    let slot = member.slot.map(|s| s.to_string());
    let ip = member.ip_address.map(|a| a.to_string());
    let port = member.ip_port.map(|p| p.to_string());
    let mut attrs: Vec<(&str, &[u8])> =
        vec![("filesystem", uuid.as_bytes()), ("node", member.node)];
    if let Some(slot) = &slot {
        attrs.push(("slot", slot.as_bytes()));
    }
    if let Some(ip) = &ip {
        attrs.push(("ip_address", ip.as_bytes()));
    }
    if let Some(port) = &port {
        attrs.push(("ip_port", port.as_bytes()));
    }
    write_stanza(out, "filesystem_node", &attrs);
}

/// The fields of a `filesystem_node:` stanza.
#[derive(Clone, Copy, Debug)]
pub struct MemberFields<'a> {
    pub node: &'a [u8],
    pub slot: Option<u16>,
    pub ip_address: Option<Ipv4Addr>,
    pub ip_port: Option<u16>,
}

impl<'a> From<&'a FilesystemMember> for MemberFields<'a> {
    fn from(m: &'a FilesystemMember) -> Self {
        MemberFields {
            node: &m.node,
            slot: m.slot,
            ip_address: m.ip_address,
            ip_port: m.ip_port,
        }
    }
}

/// Regenerates the whole file from the model, byte for byte as the C 1.8 tools built against
/// a current GLib write it: all `cluster:` stanzas, then the `heartbeat:` and `node:` groups,
/// each group in model order. Comments, unknown keys and stanzas, and orphan stanzas are not
/// part of the model and therefore not written (exactly the loss the C tools cause;
/// [`crate::Document`]'s edits avoid it). The per-filesystem stanzas, which the C tools do not
/// know, follow in the same style.
///
/// The order of the `heartbeat` and `node` groups is GLib's hash-table order: both names
/// hash to the same bucket of the 8-slot table, so the one inserted first comes first. The C
/// writer inserts, cluster by cluster, the regions and then the nodes; so the heartbeat group
/// leads exactly when the first cluster that has any regions or nodes has regions.
pub fn write_canonical(config: &Config) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical_to(config, &mut out);
    out
}

fn write_canonical_to<O: Out>(config: &Config, out: &mut O) {
    for c in &config.clusters {
        cluster_stanza(out, &c.name, c.heartbeat_mode, c.node_count);
    }
    let heartbeat_first = config
        .clusters
        .iter()
        .find(|c| !c.regions.is_empty() || !c.nodes.is_empty())
        .is_some_and(|c| !c.regions.is_empty());
    let regions = |out: &mut O| {
        for c in &config.clusters {
            for r in &c.regions {
                heartbeat_stanza(out, &c.name, &r.region);
            }
        }
    };
    let nodes = |out: &mut O| {
        for c in &config.clusters {
            for n in &c.nodes {
                write_node(out, c, n);
            }
        }
    };
    if heartbeat_first {
        regions(out);
        nodes(out);
    } else {
        nodes(out);
        regions(out);
    }
    for fs in &config.filesystems {
        write_filesystem(out, fs);
    }
    for fs in &config.filesystems {
        for m in &fs.members {
            member_stanza(out, fs.uuid, &m.into());
        }
    }
}

fn write_node(out: &mut impl Out, c: &Cluster, n: &Node) {
    node_stanza(out, &c.name, &n.name, n.number, n.ip_address, n.ip_port);
}

fn write_filesystem(out: &mut impl Out, fs: &Filesystem) {
    filesystem_stanza(
        out,
        fs.uuid,
        &fs.cluster,
        fs.label.as_deref().map(|l| &l[..]),
        fs.slots,
    );
}
