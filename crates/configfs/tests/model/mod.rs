//! A model of the Linux 6.1 o2nm/o2hb configfs rules, for tests only.
//!
//! It models what was measured on the real kernel (docs/ocfs2-tools-reference.md §5.2, §5.3),
//! errno by errno: one cluster at a time (ENOSPC), name limits (ENAMETOOLONG), write-once node
//! attributes (EBUSY; the same value again is EEXIST for address and number), the attribute
//! order (`num` needs address and port, `local` needs all three: EINVAL), ranges (ERANGE /
//! EINVAL), unique addresses and numbers (EEXIST), one local node (EBUSY), `local` needing the
//! address on a host interface (EADDRNOTAVAIL), the idle/keepalive cross-check, heartbeat
//! mode prefix matching, region geometry rules and the `dev` write, rmdir refusals (ENOTEMPTY,
//! EBUSY for the local node while heartbeat runs and for regions in use), and configfs's
//! readdir order (newest first). It does not model timing, networking or module loading.
//! Every operation is logged so tests can count and compare them.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io;
use std::net::Ipv4Addr;
use std::path::Path;

use configfs::ConfigfsIo;
use nix::errno::Errno;

fn err(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeModel {
    pub name: String,
    pub port: Option<u32>,
    pub addr: Option<Ipv4Addr>,
    pub num: Option<u32>,
    pub local: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionModel {
    pub name: String,
    pub block_bytes: u32,
    pub start_block: u64,
    pub blocks: u32,
    pub dev: Option<String>,
    /// A volume is mounted on it (rmdir → EBUSY).
    pub in_use: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterModel {
    pub name: String,
    pub idle_timeout_ms: u32,
    pub keepalive_delay_ms: u32,
    pub reconnect_delay_ms: u32,
    pub mode: String,
    pub dead_threshold: u32,
    /// Creation order.
    pub nodes: Vec<NodeModel>,
    pub regions: Vec<RegionModel>,
}

impl ClusterModel {
    fn new(name: &str) -> Self {
        ClusterModel {
            name: name.to_string(),
            idle_timeout_ms: 30000,
            keepalive_delay_ms: 2000,
            reconnect_delay_ms: 2000,
            mode: "local".to_string(),
            dead_threshold: 31,
            nodes: Vec::new(),
            regions: Vec::new(),
        }
    }
}

/// The kernel's state plus the host's facts the kernel consults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelModel {
    /// Whether the node manager module is loaded (`cluster/` exists).
    pub loaded: bool,
    pub clusters: Vec<ClusterModel>,
    /// Addresses configured on the host's interfaces.
    pub host_addresses: BTreeSet<Ipv4Addr>,
    /// Block devices that exist (path → kernel name).
    pub block_devices: Vec<(String, String)>,
    /// Every operation that reached the model, as `mkdir PATH`, `write PATH=VALUE`, ...
    pub log: Vec<String>,
}

impl Default for KernelModel {
    fn default() -> Self {
        KernelModel {
            loaded: true,
            clusters: Vec::new(),
            host_addresses: [Ipv4Addr::LOCALHOST].into_iter().collect(),
            block_devices: Vec::new(),
            log: Vec::new(),
        }
    }
}

/// `simple_strtoul` with base 0 and an optional trailing newline, as the o2nm stores parse.
fn parse_ulong(value: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(value).ok()?;
    let s = s.strip_suffix('\n').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    u64::from_str_radix(digits, radix).ok()
}

/// `sscanf("%3u.%3u.%3u.%3u")`: leading blanks allowed, trailing garbage ignored.
fn parse_ip(value: &[u8]) -> Result<Ipv4Addr, Errno> {
    let s = std::str::from_utf8(value)
        .map_err(|_| Errno::EINVAL)?
        .trim_start();
    let mut octets = [0u32; 4];
    let mut rest = s;
    for (i, o) in octets.iter_mut().enumerate() {
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .take(3)
            .collect();
        if digits.is_empty() {
            return Err(Errno::EINVAL);
        }
        *o = digits.parse().unwrap();
        rest = &rest[digits.len()..];
        if i < 3 {
            rest = rest.strip_prefix('.').ok_or(Errno::EINVAL)?;
        }
    }
    if octets.iter().any(|&o| o > 255) {
        return Err(Errno::ERANGE);
    }
    Ok(Ipv4Addr::new(
        octets[0] as u8,
        octets[1] as u8,
        octets[2] as u8,
        octets[3] as u8,
    ))
}

enum Target<'a> {
    Clusters,
    Cluster(&'a str),
    ClusterAttr(&'a str, &'a str),
    NodeGroup(&'a str),
    Node(&'a str, &'a str),
    NodeAttr(&'a str, &'a str, &'a str),
    HeartbeatGroup(&'a str),
    HeartbeatAttr(&'a str, &'a str),
    Region(&'a str, &'a str),
    RegionAttr(&'a str, &'a str, &'a str),
    Other,
}

fn target(path: &Path) -> Target<'_> {
    let parts: Vec<&str> = path.iter().map(|p| p.to_str().unwrap()).collect();
    match parts.as_slice() {
        ["cluster"] => Target::Clusters,
        ["cluster", c] => Target::Cluster(c),
        ["cluster", c, "node"] => Target::NodeGroup(c),
        ["cluster", c, "heartbeat"] => Target::HeartbeatGroup(c),
        ["cluster", c, a] => Target::ClusterAttr(c, a),
        ["cluster", c, "node", n] => Target::Node(c, n),
        ["cluster", c, "node", n, a] => Target::NodeAttr(c, n, a),
        ["cluster", c, "heartbeat", "dead_threshold" | "mode"] => {
            Target::HeartbeatAttr(c, parts[3])
        }
        ["cluster", c, "heartbeat", r] => Target::Region(c, r),
        ["cluster", c, "heartbeat", r, a] => Target::RegionAttr(c, r, a),
        _ => Target::Other,
    }
}

impl KernelModel {
    pub fn cluster(&self, name: &str) -> Option<&ClusterModel> {
        self.clusters.iter().find(|c| c.name == name)
    }

    fn cluster_mut(&mut self, name: &str) -> io::Result<&mut ClusterModel> {
        self.clusters
            .iter_mut()
            .find(|c| c.name == name)
            .ok_or_else(|| err(Errno::ENOENT))
    }

    /// The state without the log and without creation order (which only shows as listing
    /// order), to compare "before" and "after".
    pub fn snapshot(&self) -> KernelModel {
        let mut s = KernelModel {
            log: Vec::new(),
            ..self.clone()
        };
        for c in &mut s.clusters {
            c.nodes.sort_by(|a, b| a.name.cmp(&b.name));
            c.regions.sort_by(|a, b| a.name.cmp(&b.name));
        }
        s
    }

    /// Count of the logged operations that changed something (mkdir, rmdir, write).
    pub fn changes(&self) -> usize {
        self.log
            .iter()
            .filter(|l| !l.starts_with("read") && !l.starts_with("list"))
            .count()
    }

    fn write_node_attr(&mut self, c: &str, n: &str, attr: &str, value: &[u8]) -> io::Result<()> {
        let host = self.host_addresses.clone();
        let cluster = self.cluster_mut(c)?;
        let idx = cluster
            .nodes
            .iter()
            .position(|x| x.name == n)
            .ok_or_else(|| err(Errno::ENOENT))?;
        match attr {
            "ipv4_port" => {
                let v = parse_ulong(value).ok_or_else(|| err(Errno::EINVAL))?;
                if v == 0 {
                    return Err(err(Errno::EINVAL));
                }
                if v >= 65535 {
                    return Err(err(Errno::ERANGE));
                }
                if cluster.nodes[idx].port.is_some() {
                    return Err(err(Errno::EBUSY));
                }
                cluster.nodes[idx].port = Some(v as u32);
            }
            "ipv4_address" => {
                let ip = parse_ip(value).map_err(err)?;
                if cluster.nodes.iter().any(|x| x.addr == Some(ip)) {
                    return Err(err(Errno::EEXIST));
                }
                if cluster.nodes[idx].addr.is_some() {
                    return Err(err(Errno::EBUSY));
                }
                cluster.nodes[idx].addr = Some(ip);
            }
            "num" => {
                if cluster.nodes[idx].addr.is_none() || cluster.nodes[idx].port.is_none() {
                    return Err(err(Errno::EINVAL));
                }
                let v = parse_ulong(value).ok_or_else(|| err(Errno::EINVAL))?;
                if v >= 255 {
                    return Err(err(Errno::ERANGE));
                }
                if cluster.nodes.iter().any(|x| x.num == Some(v as u32)) {
                    return Err(err(Errno::EEXIST));
                }
                if cluster.nodes[idx].num.is_some() {
                    return Err(err(Errno::EBUSY));
                }
                cluster.nodes[idx].num = Some(v as u32);
            }
            "local" => {
                let node = &cluster.nodes[idx];
                if node.addr.is_none() || node.port.is_none() || node.num.is_none() {
                    return Err(err(Errno::EINVAL));
                }
                let v = parse_ulong(value).ok_or_else(|| err(Errno::EINVAL))? != 0;
                if v && !node.local {
                    if cluster.nodes.iter().any(|x| x.local) {
                        return Err(err(Errno::EBUSY));
                    }
                    if !host.contains(&node.addr.unwrap()) {
                        return Err(err(Errno::EADDRNOTAVAIL));
                    }
                }
                cluster.nodes[idx].local = v;
            }
            _ => return Err(err(Errno::EACCES)),
        }
        Ok(())
    }

    fn write_cluster_attr(&mut self, c: &str, attr: &str, value: &[u8]) -> io::Result<()> {
        let cluster = self.cluster_mut(c)?;
        let number = || -> io::Result<u32> {
            let v = parse_ulong(value).ok_or_else(|| err(Errno::EINVAL))?;
            if v == 0 {
                return Err(err(Errno::EINVAL));
            }
            if v >= u64::from(u32::MAX) {
                return Err(err(Errno::ERANGE));
            }
            Ok(v as u32)
        };
        match attr {
            "idle_timeout_ms" => {
                let v = number()?;
                if v <= cluster.keepalive_delay_ms {
                    return Err(err(Errno::EINVAL));
                }
                cluster.idle_timeout_ms = v;
            }
            "keepalive_delay_ms" => {
                let v = number()?;
                if v >= cluster.idle_timeout_ms {
                    return Err(err(Errno::EINVAL));
                }
                cluster.keepalive_delay_ms = v;
            }
            "reconnect_delay_ms" => cluster.reconnect_delay_ms = number()?,
            _ => return Err(err(Errno::EACCES)),
        }
        Ok(())
    }

    fn write_heartbeat_attr(&mut self, c: &str, attr: &str, value: &[u8]) -> io::Result<()> {
        let cluster = self.cluster_mut(c)?;
        match attr {
            "mode" => {
                let s = String::from_utf8_lossy(value)
                    .trim_end_matches('\n')
                    .to_ascii_lowercase();
                if s.is_empty() {
                    return Err(err(Errno::EINVAL));
                }
                let mode = ["local", "global"]
                    .into_iter()
                    .find(|m| m.starts_with(&s))
                    .ok_or_else(|| err(Errno::EINVAL))?;
                cluster.mode = mode.to_string();
            }
            "dead_threshold" => {
                let v = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.trim_end_matches('\n').parse::<u32>().ok())
                    .ok_or_else(|| err(Errno::EINVAL))?;
                if v > 2 && cluster.regions.is_empty() {
                    cluster.dead_threshold = v;
                }
            }
            _ => return Err(err(Errno::EACCES)),
        }
        Ok(())
    }

    fn write_region_attr(
        &mut self,
        c: &str,
        r: &str,
        attr: &str,
        value: &[u8],
        device: Option<&Path>,
    ) -> io::Result<()> {
        let devices = self.block_devices.clone();
        let cluster = self.cluster_mut(c)?;
        let has_local = cluster.nodes.iter().any(|n| n.local);
        let region = cluster
            .regions
            .iter_mut()
            .find(|x| x.name == r)
            .ok_or_else(|| err(Errno::ENOENT))?;
        if region.dev.is_some() {
            return Err(err(Errno::EINVAL));
        }
        match attr {
            "block_bytes" => {
                let v = parse_ulong(value).ok_or_else(|| err(Errno::EINVAL))?;
                if !v.is_power_of_two() {
                    return Err(err(Errno::EINVAL));
                }
                if !(512..=4096).contains(&v) {
                    return Err(err(Errno::ERANGE));
                }
                region.block_bytes = v as u32;
            }
            "start_block" => {
                region.start_block = parse_ulong(value).ok_or_else(|| err(Errno::EINVAL))?
            }
            "blocks" => {
                let v = parse_ulong(value).ok_or_else(|| err(Errno::EINVAL))?;
                if v == 0 || v > 255 {
                    return Err(err(Errno::ERANGE));
                }
                region.blocks = v as u32;
            }
            "dev" => {
                let Some(device) = device else {
                    return Err(err(Errno::EINVAL));
                };
                if region.block_bytes == 0
                    || region.start_block == 0
                    || region.blocks == 0
                    || !has_local
                {
                    return Err(err(Errno::EINVAL));
                }
                let (_, kname) = devices
                    .iter()
                    .find(|(p, _)| Path::new(p) == device)
                    .ok_or_else(|| err(Errno::EINVAL))?;
                region.dev = Some(kname.clone());
            }
            "pid" => return Err(err(Errno::EACCES)),
            _ => return Err(err(Errno::EACCES)),
        }
        Ok(())
    }
}

impl ConfigfsIo for KernelModel {
    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        self.log.push(format!("mkdir {}", path.display()));
        if !self.loaded {
            return Err(err(Errno::ENOENT));
        }
        match target(path) {
            Target::Cluster(c) => {
                if self.cluster(c).is_some() {
                    return Err(err(Errno::EEXIST));
                }
                if c.len() > 255 {
                    return Err(err(Errno::ENAMETOOLONG));
                }
                if !self.clusters.is_empty() {
                    return Err(err(Errno::ENOSPC));
                }
                self.clusters.push(ClusterModel::new(c));
                Ok(())
            }
            Target::Node(c, n) => {
                let cluster = self.cluster_mut(c)?;
                if n.len() > 64 {
                    return Err(err(Errno::ENAMETOOLONG));
                }
                if cluster.nodes.iter().any(|x| x.name == n) {
                    return Err(err(Errno::EEXIST));
                }
                cluster.nodes.push(NodeModel {
                    name: n.to_string(),
                    port: None,
                    addr: None,
                    num: None,
                    local: false,
                });
                Ok(())
            }
            Target::Region(c, r) => {
                let cluster = self.cluster_mut(c)?;
                if r.len() > 32 {
                    return Err(err(Errno::ENAMETOOLONG));
                }
                if cluster.regions.iter().any(|x| x.name == r) {
                    return Err(err(Errno::EEXIST));
                }
                if cluster.mode == "global" && cluster.regions.len() >= 32 {
                    return Err(err(Errno::EFBIG));
                }
                cluster.regions.push(RegionModel {
                    name: r.to_string(),
                    block_bytes: 0,
                    start_block: 0,
                    blocks: 0,
                    dev: None,
                    in_use: false,
                });
                Ok(())
            }
            Target::Clusters | Target::NodeGroup(_) | Target::HeartbeatGroup(_) => {
                Err(err(Errno::EEXIST))
            }
            _ => Err(err(Errno::EPERM)),
        }
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        self.log.push(format!("rmdir {}", path.display()));
        match target(path) {
            Target::Cluster(c) => {
                let cluster = self.cluster(c).ok_or_else(|| err(Errno::ENOENT))?;
                if !cluster.nodes.is_empty() || !cluster.regions.is_empty() {
                    return Err(err(Errno::ENOTEMPTY));
                }
                self.clusters.retain(|x| x.name != c);
                Ok(())
            }
            Target::Node(c, n) => {
                let cluster = self.cluster_mut(c)?;
                let idx = cluster
                    .nodes
                    .iter()
                    .position(|x| x.name == n)
                    .ok_or_else(|| err(Errno::ENOENT))?;
                if cluster.nodes[idx].local && cluster.regions.iter().any(|r| r.dev.is_some()) {
                    return Err(err(Errno::EBUSY));
                }
                cluster.nodes.remove(idx);
                Ok(())
            }
            Target::Region(c, r) => {
                let cluster = self.cluster_mut(c)?;
                let idx = cluster
                    .regions
                    .iter()
                    .position(|x| x.name == r)
                    .ok_or_else(|| err(Errno::ENOENT))?;
                if cluster.regions[idx].in_use {
                    return Err(err(Errno::EBUSY));
                }
                cluster.regions.remove(idx);
                Ok(())
            }
            Target::NodeGroup(_) | Target::HeartbeatGroup(_) => Err(err(Errno::EPERM)),
            _ => Err(err(Errno::ENOENT)),
        }
    }

    fn write(&mut self, path: &Path, value: &[u8]) -> io::Result<()> {
        self.log.push(format!(
            "write {}={}",
            path.display(),
            String::from_utf8_lossy(value)
        ));
        match target(path) {
            Target::NodeAttr(c, n, a) => self.write_node_attr(c, n, a, value),
            Target::ClusterAttr(c, a) => self.write_cluster_attr(c, a, value),
            Target::HeartbeatAttr(c, a) => self.write_heartbeat_attr(c, a, value),
            Target::RegionAttr(c, r, a) => self.write_region_attr(c, r, a, value, None),
            _ => Err(err(Errno::ENOENT)),
        }
    }

    fn write_device_fd(&mut self, path: &Path, device: &Path) -> io::Result<()> {
        self.log.push(format!(
            "write {}=<fd of {}>",
            path.display(),
            device.display()
        ));
        match target(path) {
            Target::RegionAttr(c, r, "dev") => {
                self.write_region_attr(c, r, "dev", b"", Some(device))
            }
            _ => Err(err(Errno::EINVAL)),
        }
    }

    fn read(&mut self, path: &Path) -> io::Result<String> {
        self.log.push(format!("read {}", path.display()));
        let cluster =
            |m: &KernelModel, c: &str| m.cluster(c).cloned().ok_or_else(|| err(Errno::ENOENT));
        match target(path) {
            Target::NodeAttr(c, n, a) => {
                let cl = cluster(self, c)?;
                let node = cl
                    .nodes
                    .iter()
                    .find(|x| x.name == n)
                    .ok_or_else(|| err(Errno::ENOENT))?;
                Ok(match a {
                    "num" => node.num.unwrap_or(0).to_string(),
                    "ipv4_port" => node.port.unwrap_or(0).to_string(),
                    "ipv4_address" => node.addr.unwrap_or(Ipv4Addr::UNSPECIFIED).to_string(),
                    "local" => u8::from(node.local).to_string(),
                    _ => return Err(err(Errno::ENOENT)),
                })
            }
            Target::ClusterAttr(c, a) => {
                let cl = cluster(self, c)?;
                Ok(match a {
                    "idle_timeout_ms" => cl.idle_timeout_ms.to_string(),
                    "keepalive_delay_ms" => cl.keepalive_delay_ms.to_string(),
                    "reconnect_delay_ms" => cl.reconnect_delay_ms.to_string(),
                    "fence_method" => "reset".to_string(),
                    _ => return Err(err(Errno::ENOENT)),
                })
            }
            Target::HeartbeatAttr(c, a) => {
                let cl = cluster(self, c)?;
                Ok(if a == "mode" {
                    cl.mode
                } else {
                    cl.dead_threshold.to_string()
                })
            }
            Target::RegionAttr(c, r, a) => {
                let cl = cluster(self, c)?;
                let region = cl
                    .regions
                    .iter()
                    .find(|x| x.name == r)
                    .ok_or_else(|| err(Errno::ENOENT))?;
                Ok(match a {
                    "block_bytes" => region.block_bytes.to_string(),
                    "start_block" => region.start_block.to_string(),
                    "blocks" => region.blocks.to_string(),
                    "dev" => region.dev.clone().unwrap_or_default(),
                    "pid" => {
                        if region.dev.is_some() {
                            "4242".to_string()
                        } else {
                            String::new()
                        }
                    }
                    _ => return Err(err(Errno::ENOENT)),
                })
            }
            _ => Err(err(Errno::ENOENT)),
        }
    }

    fn list_dirs(&mut self, path: &Path) -> io::Result<Vec<String>> {
        self.log.push(format!("list {}", path.display()));
        // configfs lists the newest entry first.
        let mut names: Vec<String> = match target(path) {
            Target::Clusters if self.loaded => {
                self.clusters.iter().map(|c| c.name.clone()).collect()
            }
            Target::NodeGroup(c) => self
                .cluster_mut(c)?
                .nodes
                .iter()
                .map(|n| n.name.clone())
                .collect(),
            Target::HeartbeatGroup(c) => self
                .cluster_mut(c)?
                .regions
                .iter()
                .map(|r| r.name.clone())
                .collect(),
            _ => return Err(err(Errno::ENOENT)),
        };
        names.reverse();
        Ok(names)
    }

    fn exists(&mut self, path: &Path) -> bool {
        match target(path) {
            Target::Clusters => self.loaded,
            Target::Cluster(c) => self.cluster(c).is_some(),
            Target::NodeGroup(c) | Target::HeartbeatGroup(c) => self.cluster(c).is_some(),
            Target::HeartbeatAttr(c, a) => {
                self.cluster(c).is_some() && matches!(a, "mode" | "dead_threshold")
            }
            Target::ClusterAttr(c, a) => {
                self.cluster(c).is_some()
                    && matches!(
                        a,
                        "idle_timeout_ms"
                            | "keepalive_delay_ms"
                            | "reconnect_delay_ms"
                            | "fence_method"
                    )
            }
            Target::Node(c, n) => self
                .cluster(c)
                .is_some_and(|cl| cl.nodes.iter().any(|x| x.name == n)),
            Target::Region(c, r) => self
                .cluster(c)
                .is_some_and(|cl| cl.regions.iter().any(|x| x.name == r)),
            _ => false,
        }
    }
}
