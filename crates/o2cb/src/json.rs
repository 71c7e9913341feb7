//! Machine-readable output (`--json`). The schemas are documented in docs/json.md and
//! pinned by snapshot tests: fields are only ever added, never renamed or removed.

use bstr::ByteSlice;
use cluster_conf::{Config, Filesystem};
use serde::Serialize;

/// Version of every JSON document we print; incremented only for incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct FilesystemsDoc {
    schema: u32,
    filesystems: Vec<FilesystemJson>,
}

#[derive(Serialize)]
struct FilesystemJson {
    uuid: String,
    cluster: String,
    label: Option<String>,
    slots: Option<u16>,
    members: Vec<MemberJson>,
}

#[derive(Serialize)]
struct MemberJson {
    node: String,
    number: Option<u32>,
    slot: Option<u16>,
    ip_address: Option<String>,
    ip_port: Option<u16>,
}

/// `o2cb list-filesystems --json`.
pub fn filesystems(config: &Config, filesystems: &[&Filesystem]) -> String {
    let doc = FilesystemsDoc {
        schema: SCHEMA_VERSION,
        filesystems: filesystems
            .iter()
            .map(|fs| {
                let cluster = config.cluster(&fs.cluster);
                FilesystemJson {
                    uuid: fs.uuid.to_string(),
                    cluster: fs.cluster.to_str_lossy().into_owned(),
                    label: fs.label.as_ref().map(|l| l.to_str_lossy().into_owned()),
                    slots: fs.slots,
                    members: fs
                        .members
                        .iter()
                        .map(|m| MemberJson {
                            node: m.node.to_str_lossy().into_owned(),
                            number: cluster.and_then(|c| c.node(&m.node)).map(|n| n.number),
                            slot: m.slot,
                            ip_address: m.ip_address.map(|a| a.to_string()),
                            ip_port: m.ip_port,
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    s.push('\n');
    s
}
