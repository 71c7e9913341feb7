//! The canonical form: cluster.conf exactly as the C 1.8 tools regenerate it (spec §1.6,
//! current-GLib order), plus the per-filesystem stanzas after the classic ones.

use std::net::Ipv4Addr;

use crate::model::{Cluster, Config, Filesystem, FilesystemMember, Node};
use crate::syntax::encode_value;
use crate::values::{FsUuid, HeartbeatMode};

/// Appends one stanza: `name:`, then `TAB key = value` lines (`TAB key =` for an empty
/// value), then the blank line the C writer puts after every stanza.
pub(crate) fn write_stanza(out: &mut Vec<u8>, name: &str, attrs: &[(&str, &[u8])]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b":\n");
    for (key, value) in attrs {
        write_attribute(out, b"\t", key, value);
    }
    out.push(b'\n');
}

/// Appends one attribute line with the given indentation.
pub(crate) fn write_attribute(out: &mut Vec<u8>, indent: &[u8], key: &str, value: &[u8]) {
    out.extend_from_slice(indent);
    out.extend_from_slice(key.as_bytes());
    if value.is_empty() {
        out.extend_from_slice(b" =\n");
    } else {
        out.extend_from_slice(b" = ");
        encode_value(value, out);
        out.push(b'\n');
    }
}

pub(crate) fn cluster_stanza(out: &mut Vec<u8>, name: &[u8], mode: HeartbeatMode, node_count: u32) {
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
    out: &mut Vec<u8>,
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

pub(crate) fn heartbeat_stanza(out: &mut Vec<u8>, cluster: &[u8], region: &[u8]) {
    write_stanza(
        out,
        "heartbeat",
        &[("cluster", cluster), ("region", region)],
    );
}

pub(crate) fn filesystem_stanza(
    out: &mut Vec<u8>,
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

pub(crate) fn member_stanza(out: &mut Vec<u8>, uuid: FsUuid, member: &MemberFields<'_>) {
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
    for c in &config.clusters {
        cluster_stanza(&mut out, &c.name, c.heartbeat_mode, c.node_count);
    }
    let heartbeat_first = config
        .clusters
        .iter()
        .find(|c| !c.regions.is_empty() || !c.nodes.is_empty())
        .is_some_and(|c| !c.regions.is_empty());
    let regions = |out: &mut Vec<u8>| {
        for c in &config.clusters {
            for r in &c.regions {
                heartbeat_stanza(out, &c.name, &r.region);
            }
        }
    };
    let nodes = |out: &mut Vec<u8>| {
        for c in &config.clusters {
            for n in &c.nodes {
                write_node(out, c, n);
            }
        }
    };
    if heartbeat_first {
        regions(&mut out);
        nodes(&mut out);
    } else {
        nodes(&mut out);
        regions(&mut out);
    }
    for fs in &config.filesystems {
        write_filesystem(&mut out, fs);
    }
    for fs in &config.filesystems {
        for m in &fs.members {
            member_stanza(&mut out, fs.uuid, &m.into());
        }
    }
    out
}

fn write_node(out: &mut Vec<u8>, c: &Cluster, n: &Node) {
    node_stanza(out, &c.name, &n.name, n.number, n.ip_address, n.ip_port);
}

fn write_filesystem(out: &mut Vec<u8>, fs: &Filesystem) {
    filesystem_stanza(
        out,
        fs.uuid,
        &fs.cluster,
        fs.label.as_deref().map(|l| &l[..]),
        fs.slots,
    );
}
