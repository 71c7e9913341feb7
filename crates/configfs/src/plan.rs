//! From what cluster.conf wants and what the kernel has, the list of configfs operations that
//! makes the kernel match, in the order the kernel demands (docs/ocfs2-tools-reference.md
//! §5.3), each with the operation that undoes it.
//!
//! Planning is pure: it reads nothing and writes nothing. A dry run is printing the plan.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use bstr::ByteSlice;
use cluster_conf::HeartbeatMode;

use crate::name::{ConfigfsName, NameError, NameKind};
use crate::state::{paths, ClusterState, NodeState, Timeouts};
use crate::value;

/// The kernel's node number range.
pub const MAX_NODE_NUMBER: u32 = 254;
/// The kernel's port range.
pub const MIN_PORT: u32 = 1;
pub const MAX_PORT: u32 = 65534;

/// One configfs operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Mkdir(PathBuf),
    Rmdir(PathBuf),
    Write {
        path: PathBuf,
        value: Vec<u8>,
    },
    /// Open the device and write the descriptor's number (a heartbeat region's `dev`).
    WriteDeviceFd {
        path: PathBuf,
        device: PathBuf,
    },
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Mkdir(p) => write!(f, "mkdir {}", p.display()),
            Op::Rmdir(p) => write!(f, "rmdir {}", p.display()),
            Op::Write { path, value } => {
                write!(f, "write {} = {}", path.display(), value.as_bstr())
            }
            Op::WriteDeviceFd { path, device } => {
                write!(f, "write {} = <fd of {}>", path.display(), device.display())
            }
        }
    }
}

/// How to take a step back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undo {
    /// Nothing to undo (an attribute of an object this run created goes with the object).
    Nothing,
    /// Remove what was created.
    Rmdir(PathBuf),
    /// Re-create what was removed (an empty cluster directory).
    Mkdir(PathBuf),
    /// Put back a node that was removed, with its old attributes.
    RestoreNode {
        cluster: ConfigfsName,
        node: NodeState,
    },
    /// Write back an attribute's old value.
    Write { path: PathBuf, value: Vec<u8> },
    /// Put back a filesystem member (per-fs layout) that was removed.
    RestoreFsMember {
        member: crate::perfs::FsMemberState,
        filesystem: ConfigfsName,
    },
}

/// What a step is about, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Cluster(ConfigfsName),
    Node {
        cluster: ConfigfsName,
        node: ConfigfsName,
    },
    Region {
        cluster: ConfigfsName,
        region: ConfigfsName,
    },
    /// A filesystem's directory in the per-fs layout.
    Filesystem(ConfigfsName),
    /// A member of a filesystem in the per-fs layout.
    FsMember {
        filesystem: ConfigfsName,
        node: ConfigfsName,
    },
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Cluster(c) => write!(f, "cluster {c}"),
            Subject::Node { node, .. } => write!(f, "node {node}"),
            Subject::Region { region, .. } => write!(f, "heartbeat region {region}"),
            Subject::Filesystem(uuid) => write!(f, "filesystem {uuid}"),
            Subject::FsMember { filesystem, node } => {
                write!(f, "filesystem {filesystem}, node {node}")
            }
        }
    }
}

/// One operation with its undo and its subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub op: Op,
    pub undo: Undo,
    pub subject: Subject,
    /// The reference ignores a failure of this step (the heartbeat mode write in local mode,
    /// on kernels without global heartbeat).
    pub may_fail: bool,
}

/// Operations in the order they must run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Number of configfs mkdir/rmdir/write operations.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    fn push(&mut self, op: Op, undo: Undo, subject: Subject) {
        self.steps.push(Step {
            op,
            undo,
            subject,
            may_fail: false,
        });
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            writeln!(f, "{}", s.op)?;
        }
        Ok(())
    }
}

/// A node as the kernel should have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNode {
    pub name: ConfigfsName,
    pub number: u32,
    pub ip_address: Ipv4Addr,
    pub ip_port: u32,
    pub local: bool,
}

/// A cluster as the kernel should have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredCluster {
    pub name: ConfigfsName,
    pub heartbeat_mode: HeartbeatMode,
    /// In cluster.conf order (the order nodes are registered in).
    pub nodes: Vec<DesiredNode>,
}

impl DesiredCluster {
    pub fn local_node(&self) -> Option<&DesiredNode> {
        self.nodes.iter().find(|n| n.local)
    }
}

/// Why a cluster cannot be registered as configured. Found before anything is written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(
        "node {node}: number {number} is out of range; the kernel accepts 0 to {MAX_NODE_NUMBER}"
    )]
    NumberOutOfRange { node: String, number: u32 },
    #[error(
        "node {node}: port {port} is out of range; the kernel accepts {MIN_PORT} to {MAX_PORT}"
    )]
    PortOutOfRange { node: String, port: u32 },
    #[error("node {node}: address 0.0.0.0 is refused (the kernel mishandles it and can hang)")]
    UnspecifiedAddress { node: String },
    #[error("node {node}: ip {ip} is already used by node {other}")]
    DuplicateAddress {
        node: String,
        other: String,
        ip: Ipv4Addr,
    },
    #[error("node {node}: number {number} is already used by node {other}")]
    DuplicateNumber {
        node: String,
        other: String,
        number: u32,
    },
    #[error(
        "nodes {first} and {second} both match this host's name ({hostname}); only one node can be local"
    )]
    SeveralLocalNodes {
        first: String,
        second: String,
        hostname: String,
    },
    #[error("cluster {cluster}: cluster {active} is already registered; the kernel runs one cluster at a time")]
    OtherClusterActive { cluster: String, active: String },
    #[error("cluster {cluster} is not registered")]
    NotRegistered { cluster: String },
    #[error("cluster {cluster}: heartbeat region {region} is still active")]
    RegionActive { cluster: String, region: String },
    #[error("idle timeout ({idle} ms) must be greater than the keepalive delay ({keepalive} ms)")]
    IdleNotAboveKeepalive { idle: u32, keepalive: u32 },
    #[error("{what} must be from {min} to {max}, not {value}")]
    TunableOutOfRange {
        what: &'static str,
        value: u32,
        min: u32,
        max: u32,
    },
}

/// How much to check before the kernel sees anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checks {
    /// Everything the kernel would refuse is refused first (the default).
    Full,
    /// Only what keeps names inside configfs (`/`, `..`). Used by the kernel test suite
    /// (`O2CB_KERNEL_CHECKS_ONLY=1`) to drive refusals into the real kernel and prove that
    /// they are explained and undone there too.
    PathsOnly,
}

impl Checks {
    /// `PathsOnly` when the test hook is set in the environment.
    pub fn from_env() -> Checks {
        if std::env::var_os("O2CB_KERNEL_CHECKS_ONLY").is_some_and(|v| v == "1") {
            Checks::PathsOnly
        } else {
            Checks::Full
        }
    }
}

/// The kernel's view of a cluster.conf cluster on this host: names checked, the local node
/// found by host name (reference §2.6), and everything the kernel would refuse refused now, with
/// the node named. All problems are returned, not the first.
pub fn desired_cluster(
    cluster: &cluster_conf::Cluster,
    hostname: &[u8],
) -> Result<DesiredCluster, Vec<PlanError>> {
    desired_cluster_with(cluster, hostname, Checks::Full)
}

/// [`desired_cluster`] with a choice of [`Checks`].
pub fn desired_cluster_with(
    cluster: &cluster_conf::Cluster,
    hostname: &[u8],
    checks: Checks,
) -> Result<DesiredCluster, Vec<PlanError>> {
    let mut errors = Vec::new();
    // With paths-only checks a node name may exceed the kernel's 64 bytes (up to the VFS's
    // 255), so that the kernel's own refusal can be observed.
    let name_kind = |k| {
        if checks == Checks::Full {
            k
        } else {
            NameKind::Cluster
        }
    };
    let name = ConfigfsName::new(NameKind::Cluster, &cluster.name).map_err(|e| vec![e.into()])?;
    let mut nodes: Vec<DesiredNode> = Vec::with_capacity(cluster.nodes.len());
    for n in &cluster.nodes {
        let shown = n.name.to_str_lossy().into_owned();
        let node_name = match ConfigfsName::new(name_kind(NameKind::Node), &n.name) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e.into());
                continue;
            }
        };
        if n.number > MAX_NODE_NUMBER {
            errors.push(PlanError::NumberOutOfRange {
                node: shown.clone(),
                number: n.number,
            });
        }
        if !(MIN_PORT..=MAX_PORT).contains(&n.ip_port) {
            errors.push(PlanError::PortOutOfRange {
                node: shown.clone(),
                port: n.ip_port,
            });
        }
        if n.ip_address.is_unspecified() {
            errors.push(PlanError::UnspecifiedAddress {
                node: shown.clone(),
            });
        }
        if let Some(other) = nodes.iter().find(|o| o.ip_address == n.ip_address) {
            errors.push(PlanError::DuplicateAddress {
                node: shown.clone(),
                other: other.name.to_string(),
                ip: n.ip_address,
            });
        }
        if let Some(other) = nodes.iter().find(|o| o.number == n.number) {
            errors.push(PlanError::DuplicateNumber {
                node: shown.clone(),
                other: other.name.to_string(),
                number: n.number,
            });
        }
        let local = cluster_conf::node_is_local(&n.name, hostname);
        if local {
            if let Some(other) = nodes.iter().find(|o| o.local) {
                errors.push(PlanError::SeveralLocalNodes {
                    first: other.name.to_string(),
                    second: shown.clone(),
                    hostname: hostname.to_str_lossy().into_owned(),
                });
            }
        }
        nodes.push(DesiredNode {
            name: node_name,
            number: n.number,
            ip_address: n.ip_address,
            ip_port: n.ip_port,
            local,
        });
    }
    if checks == Checks::PathsOnly {
        errors.retain(|e| matches!(e, PlanError::Name(_)));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DesiredCluster {
        name,
        heartbeat_mode: cluster.heartbeat_mode,
        nodes,
    })
}

fn same_node(desired: &DesiredNode, current: &NodeState) -> bool {
    current.ipv4_address == desired.ip_address.to_string()
        && current.ipv4_port == desired.ip_port
        && current.num == desired.number
        && current.local == desired.local
}

/// The writes that create a node, in the only order the kernel accepts: port and address
/// before the number, all three before `local`.
fn create_node(plan: &mut Plan, cluster: &ConfigfsName, node: &DesiredNode) {
    let subject = Subject::Node {
        cluster: cluster.clone(),
        node: node.name.clone(),
    };
    plan.push(
        Op::Mkdir(paths::node(cluster, &node.name)),
        Undo::Rmdir(paths::node(cluster, &node.name)),
        subject.clone(),
    );
    let attrs = value::node_attrs(
        node.ip_port,
        &node.ip_address.to_string(),
        ("num", node.number),
        node.local,
    );
    for (attr, value) in attrs {
        plan.push(
            Op::Write {
                path: paths::node_attr(cluster, &node.name, attr),
                value,
            },
            Undo::Nothing,
            subject.clone(),
        );
    }
}

/// Registering a cluster (reference §3.3): create the cluster if needed, write the heartbeat
/// mode, remove the registered nodes that differ from the configuration, create the missing
/// ones. `registered` are the cluster directories present; `current` is the state of
/// `desired.name` if it is one of them.
pub fn plan_register(
    desired: &DesiredCluster,
    registered: &[ConfigfsName],
    current: Option<&ClusterState>,
) -> Result<Plan, PlanError> {
    plan_register_with(desired, registered, current, Checks::Full)
}

/// [`plan_register`] with a choice of [`Checks`].
pub fn plan_register_with(
    desired: &DesiredCluster,
    registered: &[ConfigfsName],
    current: Option<&ClusterState>,
    checks: Checks,
) -> Result<Plan, PlanError> {
    if let Some(other) = registered
        .iter()
        .find(|c| **c != desired.name && checks == Checks::Full)
    {
        return Err(PlanError::OtherClusterActive {
            cluster: desired.name.to_string(),
            active: other.to_string(),
        });
    }
    let cluster = &desired.name;
    let subject = Subject::Cluster(cluster.clone());
    let mut plan = Plan::default();
    if current.is_none() {
        plan.push(
            Op::Mkdir(paths::cluster(cluster)),
            Undo::Rmdir(paths::cluster(cluster)),
            subject.clone(),
        );
    }
    let mode_path = paths::heartbeat_attr(cluster, "mode");
    let undo_mode = match current {
        Some(c) => Undo::Write {
            path: mode_path.clone(),
            value: c.heartbeat_mode.clone().into_bytes(),
        },
        None => Undo::Nothing,
    };
    plan.steps.push(Step {
        op: Op::Write {
            path: mode_path,
            value: desired.heartbeat_mode.as_str().as_bytes().to_vec(),
        },
        undo: undo_mode,
        subject,
        // As the reference: only global mode needs the attribute to exist.
        may_fail: desired.heartbeat_mode == HeartbeatMode::Local,
    });
    let mut kept: Vec<&ConfigfsName> = Vec::new();
    if let Some(current) = current {
        for node in &current.nodes {
            match desired.nodes.iter().find(|d| d.name == node.name) {
                Some(d) if same_node(d, node) => kept.push(&node.name),
                _ => plan.push(
                    Op::Rmdir(paths::node(cluster, &node.name)),
                    Undo::RestoreNode {
                        cluster: cluster.clone(),
                        node: node.clone(),
                    },
                    Subject::Node {
                        cluster: cluster.clone(),
                        node: node.name.clone(),
                    },
                ),
            }
        }
    }
    for node in &desired.nodes {
        if !kept.contains(&&node.name) {
            create_node(&mut plan, cluster, node);
        }
    }
    Ok(plan)
}

/// What the older tools did to bring a cluster online (`o2cb_ctl -H -t cluster -a online=yes`,
/// reference §2.5): create the cluster if needed and every node not yet registered; nodes that
/// are registered are left as they are, whatever their attributes; the heartbeat mode is not
/// written. Returns the plan and the nodes it creates, in order.
pub fn plan_online(
    desired: &DesiredCluster,
    registered: &[ConfigfsName],
    current: Option<&ClusterState>,
) -> Result<(Plan, Vec<ConfigfsName>), PlanError> {
    if let Some(other) = registered.iter().find(|c| **c != desired.name) {
        return Err(PlanError::OtherClusterActive {
            cluster: desired.name.to_string(),
            active: other.to_string(),
        });
    }
    let cluster = &desired.name;
    let mut plan = Plan::default();
    if current.is_none() {
        plan.push(
            Op::Mkdir(paths::cluster(cluster)),
            Undo::Rmdir(paths::cluster(cluster)),
            Subject::Cluster(cluster.clone()),
        );
    }
    let mut added = Vec::new();
    for node in &desired.nodes {
        if current.is_some_and(|c| c.node(node.name.as_str()).is_some()) {
            continue;
        }
        create_node(&mut plan, cluster, node);
        added.push(node.name.clone());
    }
    Ok((plan, added))
}

/// Adding one node to a registered cluster (`o2cb_ctl -C -t node -i`): nothing when a node
/// of that name is already registered.
pub fn plan_add_node(cluster: &ConfigfsName, node: &DesiredNode, current: &ClusterState) -> Plan {
    let mut plan = Plan::default();
    if current.node(node.name.as_str()).is_none() {
        create_node(&mut plan, cluster, node);
    }
    plan
}

/// Unregistering (reference §3.3): refused while a heartbeat region exists; removes every node,
/// then the cluster.
pub fn plan_unregister(
    name: &ConfigfsName,
    registered: &[ConfigfsName],
    current: &ClusterState,
) -> Result<Plan, PlanError> {
    if registered.first() != Some(name) {
        return Err(PlanError::NotRegistered {
            cluster: name.to_string(),
        });
    }
    if let Some(r) = current.regions.first() {
        return Err(PlanError::RegionActive {
            cluster: name.to_string(),
            region: r.name.to_string(),
        });
    }
    let mut plan = Plan::default();
    for node in &current.nodes {
        plan.push(
            Op::Rmdir(paths::node(name, &node.name)),
            Undo::RestoreNode {
                cluster: name.clone(),
                node: node.clone(),
            },
            Subject::Node {
                cluster: name.clone(),
                node: node.name.clone(),
            },
        );
    }
    plan.push(
        Op::Rmdir(paths::cluster(name)),
        Undo::Mkdir(paths::cluster(name)),
        Subject::Cluster(name.clone()),
    );
    Ok(plan)
}

/// The kernel's ranges for the tunables (o2nm refuses 0 and 0xFFFFFFFF).
const MAX_MS: u32 = u32::MAX - 1;

/// Writing the tunables the init script sets (reference §4.5 step 5), checked as the kernel
/// checks them and ordered so that the idle timeout stays above the keepalive delay at every
/// step. Unset values are left alone; values equal to the current ones are not rewritten.
pub fn plan_timeouts(current: &ClusterState, wanted: &Timeouts) -> Result<Plan, PlanError> {
    let cur = &current.timeouts;
    let idle = wanted.idle_timeout_ms.or(cur.idle_timeout_ms);
    let keepalive = wanted.keepalive_delay_ms.or(cur.keepalive_delay_ms);
    for (what, value) in [
        ("the idle timeout", wanted.idle_timeout_ms),
        ("the keepalive delay", wanted.keepalive_delay_ms),
        ("the reconnect delay", wanted.reconnect_delay_ms),
    ] {
        if let Some(v) = value {
            if v == 0 || v > MAX_MS {
                return Err(PlanError::TunableOutOfRange {
                    what,
                    value: v,
                    min: 1,
                    max: MAX_MS,
                });
            }
        }
    }
    if let Some(t) = wanted.dead_threshold {
        if t < 3 {
            // The kernel "accepts" 0–2 and silently keeps the old value.
            return Err(PlanError::TunableOutOfRange {
                what: "the heartbeat dead threshold",
                value: t,
                min: 3,
                max: u32::MAX,
            });
        }
    }
    if let (Some(i), Some(k)) = (idle, keepalive) {
        if i <= k {
            return Err(PlanError::IdleNotAboveKeepalive {
                idle: i,
                keepalive: k,
            });
        }
    }
    let name = &current.name;
    let subject = Subject::Cluster(name.clone());
    let mut plan = Plan::default();
    let write = |plan: &mut Plan, path: PathBuf, new: Option<u32>, old: Option<u32>| {
        if let Some(v) = new {
            if Some(v) != old {
                let undo = old.map_or(Undo::Nothing, |o| Undo::Write {
                    path: path.clone(),
                    value: value::number(o),
                });
                plan.push(
                    Op::Write {
                        path,
                        value: value::number(v),
                    },
                    undo,
                    subject.clone(),
                );
            }
        }
    };
    if let Some(attr) = current.dead_threshold_attr {
        write(
            &mut plan,
            paths::heartbeat_attr(name, attr),
            wanted.dead_threshold,
            cur.dead_threshold,
        );
    }
    let idle_path = paths::cluster_attr(name, "idle_timeout_ms");
    let keepalive_path = paths::cluster_attr(name, "keepalive_delay_ms");
    // Raising the idle timeout first keeps it above the old keepalive delay unless the new
    // idle timeout is not above the old keepalive delay; then the keepalive delay goes first
    // (it is below the new idle timeout, which is below the old idle timeout).
    let idle_first = match (wanted.idle_timeout_ms, cur.keepalive_delay_ms) {
        (Some(i), Some(k)) => i > k,
        _ => true,
    };
    let idle = (idle_path, wanted.idle_timeout_ms, cur.idle_timeout_ms);
    let keepalive = (
        keepalive_path,
        wanted.keepalive_delay_ms,
        cur.keepalive_delay_ms,
    );
    let order = if idle_first {
        [idle, keepalive]
    } else {
        [keepalive, idle]
    };
    for (path, wanted, current) in order {
        write(&mut plan, path, wanted, current);
    }
    write(
        &mut plan,
        paths::cluster_attr(name, "reconnect_delay_ms"),
        wanted.reconnect_delay_ms,
        cur.reconnect_delay_ms,
    );
    Ok(plan)
}

/// Parameters of a heartbeat region on a device (reference §6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionParams {
    pub name: ConfigfsName,
    pub device: PathBuf,
    pub block_bytes: u32,
    pub start_block: u64,
    pub blocks: u32,
}

impl RegionParams {
    /// The region of a volume's device, named by its UUID (which a real superblock always
    /// makes a valid configfs name).
    pub fn from_device(region: &o2cb_sys::volume::DeviceRegion) -> Result<RegionParams, NameError> {
        Ok(RegionParams {
            name: ConfigfsName::new(NameKind::Region, region.name.as_bytes())?,
            device: region.device.clone(),
            block_bytes: region.block_bytes,
            start_block: region.start_block,
            blocks: region.blocks,
        })
    }
}

/// Starting a heartbeat region: create it, write its geometry, then hand it the device
/// (which starts the heartbeat thread; the write returns when heartbeat is steady).
pub fn plan_start_region(cluster: &ConfigfsName, region: &RegionParams) -> Plan {
    let subject = Subject::Region {
        cluster: cluster.clone(),
        region: region.name.clone(),
    };
    let mut plan = Plan::default();
    let dir = paths::region(cluster, &region.name);
    plan.push(Op::Mkdir(dir.clone()), Undo::Rmdir(dir), subject.clone());
    for (attr, value) in [
        ("block_bytes", value::number(region.block_bytes)),
        ("start_block", value::number(region.start_block)),
        ("blocks", value::number(region.blocks)),
    ] {
        plan.push(
            Op::Write {
                path: paths::region_attr(cluster, &region.name, attr),
                value,
            },
            Undo::Nothing,
            subject.clone(),
        );
    }
    plan.push(
        Op::WriteDeviceFd {
            path: paths::region_attr(cluster, &region.name, "dev"),
            device: region.device.clone(),
        },
        Undo::Nothing,
        subject,
    );
    plan
}

/// Stopping a heartbeat region: removing its directory stops the thread.
pub fn plan_stop_region(cluster: &ConfigfsName, region: &ConfigfsName) -> Plan {
    let mut plan = Plan::default();
    plan.push(
        Op::Rmdir(paths::region(cluster, region)),
        Undo::Nothing,
        Subject::Region {
            cluster: cluster.clone(),
            region: region.clone(),
        },
    );
    plan
}
