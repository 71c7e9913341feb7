//! Machine-readable output (`--json`). The schemas are documented in docs/json.md and
//! pinned by snapshot tests: fields are only ever added, never renamed or removed.

use bstr::ByteSlice;
use cluster_conf::{Cluster, Config, Filesystem};
use serde::Serialize;

/// Version of every JSON document we print; incremented only for incompatible changes.
pub use o2cb_runtime::SCHEMA_VERSION;

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
    pretty(&doc)
}

#[derive(Serialize)]
struct NodeJson {
    name: String,
    number: u32,
    ip_address: String,
    ip_port: u32,
}

#[derive(Serialize)]
struct ClusterJson {
    name: String,
    heartbeat_mode: &'static str,
    node_count: u32,
    nodes: Vec<NodeJson>,
    heartbeat_regions: Vec<String>,
}

fn cluster_json(c: &Cluster) -> ClusterJson {
    ClusterJson {
        name: c.name.to_str_lossy().into_owned(),
        heartbeat_mode: c.heartbeat_mode.as_str(),
        node_count: c.node_count,
        nodes: c
            .nodes
            .iter()
            .map(|n| NodeJson {
                name: n.name.to_str_lossy().into_owned(),
                number: n.number,
                ip_address: n.ip_address.to_string(),
                ip_port: n.ip_port,
            })
            .collect(),
        heartbeat_regions: c
            .regions
            .iter()
            .map(|r| r.region.to_str_lossy().into_owned())
            .collect(),
    }
}

fn pretty(value: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("plain data serializes");
    s.push('\n');
    s
}

/// `o2cb list-clusters --json`.
pub fn clusters(clusters: &[&Cluster]) -> String {
    #[derive(Serialize)]
    struct Doc {
        schema: u32,
        clusters: Vec<ClusterJson>,
    }
    pretty(&Doc {
        schema: SCHEMA_VERSION,
        clusters: clusters.iter().map(|c| cluster_json(c)).collect(),
    })
}

/// `o2cb list-cluster|list-nodes|list-heartbeats --json C`: the cluster with the parts the
/// command lists (the others are left out of the object).
pub fn cluster_listing(c: &Cluster, regions: bool, nodes: bool, whole: bool) -> String {
    #[derive(Serialize)]
    struct Doc {
        schema: u32,
        cluster: serde_json::Value,
    }
    let full = serde_json::to_value(cluster_json(c)).expect("plain data serializes");
    let mut object = serde_json::Map::new();
    object.insert("name".into(), full["name"].clone());
    if whole {
        object.insert("heartbeat_mode".into(), full["heartbeat_mode"].clone());
        object.insert("node_count".into(), full["node_count"].clone());
    }
    if nodes {
        object.insert("nodes".into(), full["nodes"].clone());
    }
    if regions {
        object.insert(
            "heartbeat_regions".into(),
            full["heartbeat_regions"].clone(),
        );
    }
    pretty(&Doc {
        schema: SCHEMA_VERSION,
        cluster: serde_json::Value::Object(object),
    })
}

/// What `o2cb cluster-status --json` reports.
#[derive(Serialize, Debug, Default)]
pub struct ClusterStatus {
    pub schema: u32,
    /// The registered (active) cluster, if any.
    pub cluster: Option<String>,
    pub online: bool,
    /// This host's node is registered (`local` = 1).
    pub registered: bool,
    pub heartbeat_mode: Option<String>,
    pub local_node: Option<String>,
    pub heartbeat_regions: Vec<String>,
    /// Why the stack could not be examined, when it could not.
    pub error: Option<String>,
}

impl ClusterStatus {
    pub fn render(&self) -> String {
        pretty(self)
    }
}

/// What `o2cb.init status --json` reports.
#[derive(Serialize, Debug, Default)]
pub struct InitStatus {
    pub schema: u32,
    pub configfs: DriverStatus,
    pub stack_glue_loaded: bool,
    pub stack_plugin: String,
    pub stack_plugin_loaded: bool,
    pub dlmfs: DriverStatus,
    pub cluster: Option<InitCluster>,
    pub userdlm_domains: Vec<String>,
    pub debugfs_mounted: bool,
    /// A user stack without a control daemon (`O2CB_STACK=pcmk`): what corosync and
    /// dlm_controld show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_stack: Option<UserStackStatus>,
}

#[derive(Serialize, Debug, Default)]
pub struct UserStackStatus {
    pub stack: String,
    /// The stack file selects it.
    pub selected: bool,
    pub corosync_running: bool,
    pub dlm_controld_running: bool,
    /// The cluster dlm_controld gave the kernel (corosync's `cluster_name`).
    pub cluster_name: Option<String>,
    /// corosync node ids of the DLM's cluster.
    pub members: Vec<u32>,
    /// DLM lockspaces of OCFS2 volumes (named by the volume UUID), one per mounted volume.
    pub lockspaces: Vec<String>,
}

#[derive(Serialize, Debug, Default)]
pub struct DriverStatus {
    pub loaded: bool,
    pub mounted: bool,
}

#[derive(Serialize, Debug, Default)]
pub struct InitCluster {
    pub name: String,
    pub online: bool,
    pub heartbeat_dead_threshold: Option<u32>,
    pub idle_timeout_ms: Option<u32>,
    pub keepalive_delay_ms: Option<u32>,
    pub reconnect_delay_ms: Option<u32>,
    pub heartbeat_mode: Option<String>,
    pub heartbeat_active: bool,
    /// Global mode: each region and the device it runs on.
    pub heartbeat_regions: Vec<RegionStatus>,
    pub live_nodes: Option<Vec<u32>>,
}

#[derive(Serialize, Debug, Default)]
pub struct RegionStatus {
    pub uuid: String,
    pub device: String,
}

impl InitStatus {
    pub fn render(&self) -> String {
        pretty(self)
    }
}
