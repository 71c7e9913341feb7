//! What the kernel has now: registered clusters, their nodes, heartbeat regions and tunables.

use std::io;
use std::path::{Path, PathBuf};

use crate::io::ConfigfsIo;
use crate::name::ConfigfsName;

/// Paths inside configfs, built only from checked names.
pub mod paths {
    use super::*;

    pub fn clusters() -> PathBuf {
        PathBuf::from("cluster")
    }

    pub fn cluster(c: &ConfigfsName) -> PathBuf {
        clusters().join(c.as_str())
    }

    pub fn cluster_attr(c: &ConfigfsName, attr: &str) -> PathBuf {
        cluster(c).join(attr)
    }

    pub fn nodes(c: &ConfigfsName) -> PathBuf {
        cluster(c).join("node")
    }

    pub fn node(c: &ConfigfsName, n: &ConfigfsName) -> PathBuf {
        nodes(c).join(n.as_str())
    }

    pub fn node_attr(c: &ConfigfsName, n: &ConfigfsName, attr: &str) -> PathBuf {
        node(c, n).join(attr)
    }

    pub fn heartbeat(c: &ConfigfsName) -> PathBuf {
        cluster(c).join("heartbeat")
    }

    pub fn heartbeat_attr(c: &ConfigfsName, attr: &str) -> PathBuf {
        heartbeat(c).join(attr)
    }

    pub fn region(c: &ConfigfsName, r: &ConfigfsName) -> PathBuf {
        heartbeat(c).join(r.as_str())
    }

    pub fn region_attr(c: &ConfigfsName, r: &ConfigfsName, attr: &str) -> PathBuf {
        region(c, r).join(attr)
    }
}

/// A node as configfs has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub name: ConfigfsName,
    pub num: u32,
    /// As the kernel prints it (dotted quad; `0.0.0.0` when unset).
    pub ipv4_address: String,
    pub ipv4_port: u32,
    pub local: bool,
}

/// A heartbeat region as configfs has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionState {
    pub name: ConfigfsName,
    pub block_bytes: u32,
    pub start_block: u64,
    pub blocks: u32,
    /// The kernel's name of the device (`sdb1`), empty until heartbeat started.
    pub dev: String,
    /// The heartbeat thread's pid, empty when none runs.
    pub pid: String,
}

impl RegionState {
    pub fn is_running(&self) -> bool {
        !self.dev.is_empty()
    }
}

/// The four tunables the init script sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Timeouts {
    pub dead_threshold: Option<u32>,
    pub idle_timeout_ms: Option<u32>,
    pub keepalive_delay_ms: Option<u32>,
    pub reconnect_delay_ms: Option<u32>,
}

/// A registered cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterState {
    pub name: ConfigfsName,
    /// In the order libo2cb lists them (the reverse of readdir: creation order).
    pub nodes: Vec<NodeState>,
    pub regions: Vec<RegionState>,
    /// `local` or `global`, as read.
    pub heartbeat_mode: String,
    pub timeouts: Timeouts,
    /// The name of the dead-threshold attribute on this kernel: `dead_threshold`, or
    /// `threshold` on the 4.4–4.11 kernels that renamed it; `None` if neither exists.
    pub dead_threshold_attr: Option<&'static str>,
}

impl ClusterState {
    pub fn node(&self, name: &str) -> Option<&NodeState> {
        self.nodes.iter().find(|n| n.name.as_str() == name)
    }

    pub fn local_node(&self) -> Option<&NodeState> {
        self.nodes.iter().find(|n| n.local)
    }

    pub fn is_global(&self) -> bool {
        self.heartbeat_mode == "global"
    }
}

/// The registered cluster directories, first the one libo2cb calls "the default cluster".
/// `Ok(None)` when the node manager is not loaded (no `cluster` directory).
pub fn read_clusters(io: &mut dyn ConfigfsIo) -> io::Result<Option<Vec<ConfigfsName>>> {
    let dir = paths::clusters();
    if !io.exists(&dir) {
        return Ok(None);
    }
    let mut names = io.list_dirs(&dir)?;
    names.reverse();
    Ok(Some(
        names.into_iter().map(ConfigfsName::from_kernel).collect(),
    ))
}

fn read_num(io: &mut dyn ConfigfsIo, path: &Path) -> io::Result<u64> {
    let text = io.read(path)?;
    text.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: `{text}` is not a number", path.display()),
        )
    })
}

fn read_optional_u32(io: &mut dyn ConfigfsIo, path: &Path) -> io::Result<Option<u32>> {
    if !io.exists(path) {
        return Ok(None);
    }
    Ok(Some(read_num(io, path)? as u32))
}

/// Reads one node's attributes.
pub fn read_node(
    io: &mut dyn ConfigfsIo,
    cluster: &ConfigfsName,
    node: &ConfigfsName,
) -> io::Result<NodeState> {
    Ok(NodeState {
        name: node.clone(),
        num: read_num(io, &paths::node_attr(cluster, node, "num"))? as u32,
        ipv4_address: io.read(&paths::node_attr(cluster, node, "ipv4_address"))?,
        ipv4_port: read_num(io, &paths::node_attr(cluster, node, "ipv4_port"))? as u32,
        local: read_num(io, &paths::node_attr(cluster, node, "local"))? != 0,
    })
}

/// Reads one heartbeat region's attributes.
pub fn read_region(
    io: &mut dyn ConfigfsIo,
    cluster: &ConfigfsName,
    region: &ConfigfsName,
) -> io::Result<RegionState> {
    Ok(RegionState {
        name: region.clone(),
        block_bytes: read_num(io, &paths::region_attr(cluster, region, "block_bytes"))? as u32,
        start_block: read_num(io, &paths::region_attr(cluster, region, "start_block"))?,
        blocks: read_num(io, &paths::region_attr(cluster, region, "blocks"))? as u32,
        dev: io.read(&paths::region_attr(cluster, region, "dev"))?,
        pid: io.read(&paths::region_attr(cluster, region, "pid"))?,
    })
}

/// What a status report shows of a registered cluster (`o2cb.init status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSummary {
    /// Whether one of its nodes is this one (`local` is 1).
    pub has_local_node: bool,
    /// `local` or `global`, as read.
    pub heartbeat_mode: String,
    pub timeouts: Timeouts,
    /// The heartbeat regions, in libo2cb's order.
    pub regions: Vec<RegionSummary>,
}

/// A heartbeat region in a [`ClusterSummary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionSummary {
    pub name: ConfigfsName,
    /// Its `dev`; read in global heartbeat mode only, where the report shows it.
    pub dev: Option<String>,
}

impl ClusterSummary {
    pub fn is_global(&self) -> bool {
        self.heartbeat_mode == "global"
    }
}

/// The attribute's value, `None` if it does not exist: one read, no separate check.
fn read_u32_if_present(io: &mut dyn ConfigfsIo, path: &Path) -> io::Result<Option<u32>> {
    match read_num(io, path) {
        Ok(n) => Ok(Some(n as u32)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a status report of the cluster needs and nothing else, for the monitors that call
/// `o2cb.init status` every few seconds: the nodes' `local` attributes up to the first that
/// is set, the heartbeat mode, the four tunables, the regions' names and, in global mode,
/// their devices. [`read_cluster`] reads every attribute of every node and region.
pub fn read_cluster_summary(
    io: &mut dyn ConfigfsIo,
    name: &ConfigfsName,
) -> io::Result<ClusterSummary> {
    let mut has_local_node = false;
    for n in io.list_dirs(&paths::nodes(name))? {
        let node = ConfigfsName::from_kernel(n);
        if read_num(io, &paths::node_attr(name, &node, "local"))? != 0 {
            has_local_node = true;
            break;
        }
    }
    let heartbeat_mode = match io.read(&paths::heartbeat_attr(name, "mode")) {
        Ok(m) => m,
        // Kernels before global heartbeat have no mode: they are local.
        Err(e) if e.kind() == io::ErrorKind::NotFound => "local".to_string(),
        Err(e) => return Err(e),
    };
    let global = heartbeat_mode == "global";
    let mut region_names = io.list_dirs(&paths::heartbeat(name))?;
    region_names.reverse();
    let mut regions = Vec::with_capacity(region_names.len());
    for r in region_names {
        let region = ConfigfsName::from_kernel(r);
        let dev = if global {
            Some(io.read(&paths::region_attr(name, &region, "dev"))?)
        } else {
            None
        };
        regions.push(RegionSummary { name: region, dev });
    }
    let dead_threshold =
        match read_u32_if_present(io, &paths::heartbeat_attr(name, "dead_threshold"))? {
            Some(t) => Some(t),
            // The name on the 4.4–4.11 kernels.
            None => read_u32_if_present(io, &paths::heartbeat_attr(name, "threshold"))?,
        };
    let mut tunable = |attr| read_u32_if_present(io, &paths::cluster_attr(name, attr));
    let timeouts = Timeouts {
        dead_threshold,
        idle_timeout_ms: tunable("idle_timeout_ms")?,
        keepalive_delay_ms: tunable("keepalive_delay_ms")?,
        reconnect_delay_ms: tunable("reconnect_delay_ms")?,
    };
    Ok(ClusterSummary {
        has_local_node,
        heartbeat_mode,
        timeouts,
        regions,
    })
}

/// Reads a registered cluster entirely.
pub fn read_cluster(io: &mut dyn ConfigfsIo, name: &ConfigfsName) -> io::Result<ClusterState> {
    let mut node_names = io.list_dirs(&paths::nodes(name))?;
    node_names.reverse();
    let mut nodes = Vec::with_capacity(node_names.len());
    for n in node_names {
        nodes.push(read_node(io, name, &ConfigfsName::from_kernel(n))?);
    }
    let mut region_names = io.list_dirs(&paths::heartbeat(name))?;
    region_names.reverse();
    let mut regions = Vec::with_capacity(region_names.len());
    for r in region_names {
        regions.push(read_region(io, name, &ConfigfsName::from_kernel(r))?);
    }
    let heartbeat_mode = match io.read(&paths::heartbeat_attr(name, "mode")) {
        Ok(m) => m,
        // Kernels before global heartbeat have no mode: they are local.
        Err(e) if e.kind() == io::ErrorKind::NotFound => "local".to_string(),
        Err(e) => return Err(e),
    };
    let dead_threshold_attr = ["dead_threshold", "threshold"]
        .into_iter()
        .find(|a| io.exists(&paths::heartbeat_attr(name, a)));
    let timeouts = Timeouts {
        dead_threshold: match dead_threshold_attr {
            Some(a) => read_optional_u32(io, &paths::heartbeat_attr(name, a))?,
            None => None,
        },
        idle_timeout_ms: read_optional_u32(io, &paths::cluster_attr(name, "idle_timeout_ms"))?,
        keepalive_delay_ms: read_optional_u32(
            io,
            &paths::cluster_attr(name, "keepalive_delay_ms"),
        )?,
        reconnect_delay_ms: read_optional_u32(
            io,
            &paths::cluster_attr(name, "reconnect_delay_ms"),
        )?,
    };
    Ok(ClusterState {
        name: name.clone(),
        nodes,
        regions,
        heartbeat_mode,
        timeouts,
        dead_threshold_attr,
    })
}
