//! The commands that edit cluster.conf (docs/ocfs2-tools-reference.md §3.2), with the reference's
//! checks, in the reference's order, and its messages.

use std::ffi::OsString;
use std::net::Ipv4Addr;

use bstr::{BString, ByteSlice};
use cluster_conf::values::{parse_c_long_base0, parse_inet_pton};
use cluster_conf::{Cluster, HeartbeatMode, NewNode};
use getopt::{Function, HasArg, OptionSpec, OptionTable};

use super::config::{bytes, edit, known_cluster};
use super::{parse_subcommand, CmdResult, Failure, Session};
use crate::context::Context;

/// Longest cluster name `add-cluster` accepts (the kernel's configfs names are not the limit
/// here; the on-disk cluster name field is 16 bytes).
pub const MAX_CLUSTER_NAME_LEN: usize = 16;
/// Default o2net port.
pub const DEFAULT_PORT: u32 = 7777;
/// Node numbers `add-node` hands out or accepts (the kernel's range).
pub const MAX_NODE_NUMBER: u32 = 254;

/// `tools_trim`: white space off both ends, as C's `isspace` sees it.
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    s.trim_with(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
}

/// `add-cluster`'s name rules, in its order; `Err` carries the reason after "Cluster name is
/// invalid ; ".
pub fn validate_cluster_name(name: &[u8]) -> Result<(), &'static str> {
    if name.is_empty() {
        Err("zero length")
    } else if name.len() > MAX_CLUSTER_NAME_LEN {
        Err("max 16 characters")
    } else if !name.iter().all(u8::is_ascii_alphanumeric) {
        Err("only alpha-numeric characters allowed")
    } else {
        Ok(())
    }
}

fn show(name: &[u8]) -> String {
    name.to_str_lossy().into_owned()
}

pub fn add_cluster(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> CmdResult {
    let Some(arg) = args.first() else {
        return Err(Failure::Usage);
    };
    let name = trim(bytes(arg));
    if let Err(reason) = validate_cluster_name(name) {
        return Err(Failure::refused(format!(
            "Cluster name is invalid ; {reason}"
        )));
    }
    if session.doc.config().cluster(name).is_some() {
        // The reference reports this and exits 0; scripts rely on that for idempotent setup.
        ctx.error(format!("Cluster '{}' already exists", show(name)));
        return Ok(());
    }
    edit(session, |doc| doc.add_cluster(name))?;
    ctx.verbose(format!("Added cluster '{}'", show(name)));
    if let Some(note) = o2cb_runtime::session::adoption_note(session.doc.config(), name) {
        ctx.error(note);
    }
    Ok(())
}

pub fn remove_cluster(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let name = match args.first() {
        Some(a) if !trim(bytes(a)).is_empty() => trim(bytes(a)),
        _ => return Err(Failure::Usage),
    };
    known_cluster(session.doc.config(), name)?;
    edit(session, |doc| doc.remove_cluster(name))?;
    ctx.verbose(format!("Removed cluster '{}'", show(name)));
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddNodeOpt {
    Ip,
    Port,
    Number,
}

/// `add-node`'s options: long only (`getopt_long` with an empty option string).
pub const ADD_NODE_OPTIONS: OptionTable<'static, AddNodeOpt> = OptionTable {
    optstring: "",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(AddNodeOpt::Ip, "ip", HasArg::Required)
            .with_value_name("ip")
            .with_help("The node's IPv4 address (default: the node name resolved)."),
        OptionSpec::long(AddNodeOpt::Port, "port", HasArg::Required)
            .with_value_name("port")
            .with_help("The node's o2net port (default 7777)."),
        OptionSpec::long(AddNodeOpt::Number, "number", HasArg::Required)
            .with_value_name("num")
            .with_help("The node number, 0 to 254 (default: the lowest free one)."),
    ],
};

/// `--port` and `--number` as the reference reads them: `strtol(s, &end, 0)` (saturating at
/// the `long` range), stored in a 32-bit `int` before any check, so the value wraps:
/// `4294967301` is 5 and `4294967295` is -1, the reference's "not given".
fn parse_c_int_base0(s: &str) -> Option<i64> {
    parse_c_long_base0(s).map(|v| i64::from(v as i32))
}

/// What `add-node` was asked for, before the cluster is looked at.
struct AddNodeRequest {
    ip: Option<OsString>,
    /// -1 is the reference's "not given" for both numbers.
    port: i64,
    number: i64,
    cluster: OsString,
    node: OsString,
}

impl AddNodeRequest {
    fn parse(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<Self, Failure> {
        let Some((opts, mut operands)) = parse_subcommand(ctx, "add-node", &ADD_NODE_OPTIONS, args)
        else {
            return Err(Failure::Usage);
        };
        let (mut ip, mut port, mut number) = (None, -1, -1);
        for (opt, arg) in opts {
            let arg = arg.unwrap_or_default();
            match opt {
                AddNodeOpt::Ip => ip = Some(arg),
                AddNodeOpt::Port => {
                    port = parse_c_int_base0(&arg.to_string_lossy())
                        .ok_or_else(|| Failure::Misused("Invalid port number".to_string()))?
                }
                AddNodeOpt::Number => {
                    number = parse_c_int_base0(&arg.to_string_lossy())
                        .ok_or_else(|| Failure::Misused("Invalid node number".to_string()))?
                }
            }
        }
        if operands.len() < 2 {
            return Err(Failure::Usage);
        }
        operands.truncate(2);
        let node = operands.pop().unwrap_or_default();
        let cluster = operands.pop().unwrap_or_default();
        Ok(AddNodeRequest {
            ip,
            port,
            number,
            cluster,
            node,
        })
    }
}

/// The node's address: `--ip` as `inet_pton` reads it, else the node name resolved.
fn node_address(ip: Option<&OsString>, node_name: &[u8]) -> Result<Ipv4Addr, Failure> {
    match ip {
        Some(ip) => parse_inet_pton(bytes(ip))
            .ok_or_else(|| Failure::refused(format!("Bad IP Address '{}'", ip.to_string_lossy()))),
        None => o2cb_sys::resolve::resolve_ipv4(node_name).map_err(|e| {
            Failure::refused(format!(
                "{e}, while looking up the IP address for '{}'",
                show(node_name)
            ))
        }),
    }
}

/// The node number: the lowest free one when not given, else the one given if it is in
/// range and free.
fn node_number(cluster: &Cluster, number: i64) -> Result<u32, Failure> {
    let used = |n: u32| cluster.nodes.iter().any(|node| node.number == n);
    if number == -1 {
        return (0..=MAX_NODE_NUMBER)
            .find(|&n| !used(n))
            .ok_or_else(|| Failure::refused("Cluster is full - No more nodes can be added to it"));
    }
    if !(0..=i64::from(MAX_NODE_NUMBER)).contains(&number) {
        return Err(Failure::refused(format!(
            "Nodenum should be >=0 and < 255 but is {number}"
        )));
    }
    if used(number as u32) {
        return Err(Failure::refused(format!(
            "Choose another node number as '{number}' is in use"
        )));
    }
    Ok(number as u32)
}

pub fn add_node(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> CmdResult {
    let request = AddNodeRequest::parse(ctx, args)?;
    let cluster_name = bytes(&request.cluster);
    let node_name = trim(bytes(&request.node));
    if node_name.is_empty() {
        return Err(Failure::Misused(
            "Node name cannot be zero length".to_string(),
        ));
    }
    let cluster = known_cluster(session.doc.config(), cluster_name)?;
    let ip_address = node_address(request.ip.as_ref(), node_name)?;
    let number = node_number(cluster, request.number)?;
    // The reference stores the port as a C int without a range check: -1 means the default,
    // other negative values wrap.
    let ip_port = if request.port == -1 {
        DEFAULT_PORT
    } else {
        request.port as u32
    };
    if cluster.node(node_name).is_some() {
        return Err(Failure::refused(format!(
            "Node '{}' already exists",
            show(node_name)
        )));
    }
    let node = NewNode {
        name: BString::from(node_name),
        number,
        ip_address,
        ip_port,
    };
    edit(session, |doc| doc.add_node(cluster_name, &node))?;
    ctx.verbose(format!(
        "Added node '{}' in cluster '{}' having ip '{ip_address}', port '{}' and number '{number}'",
        show(node_name),
        show(cluster_name),
        ip_port as i32
    ));
    Ok(())
}

pub fn remove_node(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> CmdResult {
    if args.len() < 2 {
        return Err(Failure::Usage);
    }
    let (cluster_name, node_name) = (bytes(&args[0]), bytes(&args[1]));
    let cluster = known_cluster(session.doc.config(), cluster_name)?;
    if cluster.node(node_name).is_none() {
        return Err(Failure::refused(format!(
            "Unknown node '{}'",
            show(node_name)
        )));
    }
    edit(session, |doc| doc.remove_node(cluster_name, node_name))?;
    ctx.verbose(format!(
        "Removed node '{}' from cluster '{}'",
        show(node_name),
        show(cluster_name)
    ));
    Ok(())
}

/// The region named by a heartbeat command's second argument: a block device's volume
/// UUID, or the text itself.
fn region_argument(arg: &[u8]) -> Result<BString, Failure> {
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(arg));
    if !o2cb_sys::device::is_block_device(path) {
        return Ok(BString::from(arg));
    }
    let volume = o2cb_sys::volume::OpenedVolume::open(path).map_err(|e| {
        Failure::refused(format!(
            "{e} while reading region on device '{}'",
            path.display()
        ))
    })?;
    Ok(BString::from(volume.uuid_hex()))
}

use std::os::unix::ffi::OsStrExt;

pub fn add_heartbeat(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    if args.len() < 2 {
        return Err(Failure::Usage);
    }
    let cluster_name = bytes(&args[0]);
    let region = region_argument(trim(bytes(&args[1])))?;
    // The reference writes an empty region, which it then refuses to read back.
    if region.is_empty() {
        return Err(Failure::Usage);
    }
    let cluster = known_cluster(session.doc.config(), cluster_name)?;
    if cluster.region(&region).is_some() {
        return Err(Failure::refused(format!(
            "Heartbeat region '{region}' already exists"
        )));
    }
    edit(session, |doc| {
        doc.add_heartbeat_region(cluster_name, &region)
    })?;
    ctx.verbose(format!(
        "Added heartbeat region '{region}' to cluster '{}'",
        show(cluster_name)
    ));
    Ok(())
}

pub fn remove_heartbeat(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    if args.len() < 2 {
        return Err(Failure::Usage);
    }
    let cluster_name = bytes(&args[0]);
    // Unlike add-heartbeat, the reference does not trim this argument.
    let region = region_argument(bytes(&args[1]))?;
    let cluster = known_cluster(session.doc.config(), cluster_name)?;
    if cluster.region(&region).is_none() {
        return Err(Failure::refused(format!(
            "Unknown heartbeat region '{region}'"
        )));
    }
    edit(session, |doc| {
        doc.remove_heartbeat_region(cluster_name, &region)
    })?;
    ctx.verbose(format!(
        "Removed heartbeat region '{region}' from cluster '{}'",
        show(cluster_name)
    ));
    Ok(())
}

pub fn heartbeat_mode(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    if args.len() < 2 {
        return Err(Failure::Usage);
    }
    let cluster_name = bytes(&args[0]);
    let mode = match bytes(&args[1]) {
        b"global" => HeartbeatMode::Global,
        b"local" => HeartbeatMode::Local,
        _ => return Err(Failure::Usage),
    };
    known_cluster(session.doc.config(), cluster_name)?;
    edit(session, |doc| doc.set_heartbeat_mode(cluster_name, mode))?;
    ctx.verbose(format!(
        "Changed heartbeat mode in cluster '{}' to '{mode}'",
        show(cluster_name)
    ));
    Ok(())
}
