//! `mounted.ocfs2 --json` (docs/json.md): the same rows as the tables, with what the
//! tables leave out (the UUID and label in full detect, each node's slot and number).

use serde::Serialize;

use crate::table::{Columns, FullRow, Nodes, QuickRow};

#[derive(Serialize)]
struct Doc {
    schema: u32,
    volumes: Vec<VolumeJson>,
}

#[derive(Serialize)]
struct VolumeJson {
    device: String,
    /// `null` for a local (non-clustered) volume.
    stack: Option<String>,
    cluster: Option<String>,
    global_heartbeat: bool,
    uuid: String,
    label: String,
    /// Full detect only (`null` in quick detect), as are the next three.
    heartbeat_device: Option<bool>,
    mounted: Option<bool>,
    nodes: Option<Vec<NodeJson>>,
    error: Option<String>,
}

#[derive(Serialize)]
struct NodeJson {
    slot: u16,
    number: u32,
    name: Option<String>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn volume(c: &Columns, uuid: &str, label: &[u8]) -> VolumeJson {
    VolumeJson {
        device: text(&c.device),
        stack: (c.stack != b"None").then(|| text(&c.stack)),
        cluster: (!c.cluster.is_empty()).then(|| text(&c.cluster)),
        global_heartbeat: c.global_heartbeat,
        uuid: uuid.to_string(),
        label: text(label),
        heartbeat_device: None,
        mounted: None,
        nodes: None,
        error: None,
    }
}

fn render(volumes: Vec<VolumeJson>) -> Vec<u8> {
    let doc = Doc {
        schema: o2cb_runtime::SCHEMA_VERSION,
        volumes,
    };
    let mut out = serde_json::to_vec_pretty(&doc).expect("plain data serializes");
    out.push(b'\n');
    out
}

/// `mounted.ocfs2 -d --json`.
pub fn quick(rows: &[QuickRow]) -> Vec<u8> {
    render(
        rows.iter()
            .map(|r| volume(&r.columns, &r.uuid, &r.label))
            .collect(),
    )
}

/// `mounted.ocfs2 -f --json`.
pub fn full(rows: &[FullRow]) -> Vec<u8> {
    render(
        rows.iter()
            .map(|r| {
                let mut v = volume(&r.columns, &r.uuid, &r.label);
                v.heartbeat_device = Some(matches!(r.nodes, Nodes::HeartbeatDevice));
                match &r.nodes {
                    Nodes::HeartbeatDevice => {}
                    Nodes::NotMounted => {
                        v.mounted = Some(false);
                        v.nodes = Some(Vec::new());
                    }
                    Nodes::Mounted(nodes) => {
                        v.mounted = Some(true);
                        v.nodes = Some(
                            nodes
                                .iter()
                                .map(|n| NodeJson {
                                    slot: n.slot,
                                    number: n.number,
                                    name: n.name.as_deref().map(text),
                                })
                                .collect(),
                        );
                    }
                    Nodes::Unknown(e) => v.error = Some(e.clone()),
                }
                v
            })
            .collect(),
    )
}
