//! `-C`: add clusters or a node to cluster.conf, and with `-i` to the running cluster
//! (docs/ocfs2-tools-reference.md §2.2).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use bstr::{BString, ByteSlice};
use cluster_conf::values::{parse_c_long_base10, parse_inet_pton};
use cluster_conf::{Cluster, NewNode};
use configfs::{
    apply, paths, plan_add_node, read_cluster, ConfigfsName, DesiredNode, NameKind, Op, Plan, Undo,
};
use o2cb_runtime::Context;

use crate::{
    cluster_dir_name, configfs_io, init_stack, load, message, missing, refused_edit, store,
    validate_attrs, CtlError, ObjectType, Options, Status,
};

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), CtlError> {
    let Some(kind) = o.object_type.filter(|_| !o.objects.is_empty()) else {
        return Err(CtlError::new(
            Status::Invalid,
            "Operation '-C' requires an object and an object type",
        ));
    };
    validate_attrs(o)?;
    let stack = if o.install {
        Some(init_stack(ctx)?)
    } else {
        None
    };
    let mut session = load(ctx, true)?;
    match kind {
        ObjectType::Cluster => {
            for name in &o.objects {
                create_cluster(ctx, &mut session, stack.as_ref(), name.as_bytes())?;
            }
        }
        ObjectType::Node => create_node(ctx, o, &mut session, stack.as_ref())?,
    }
    store(ctx, &mut session)
}

/// `-C -t cluster`: one cluster in the file, and with `-i` in configfs.
fn create_cluster(
    ctx: &mut Context<'_>,
    session: &mut o2cb_runtime::Session,
    stack: Option<&o2cb_sys::stack::StackInfo>,
    name: &[u8],
) -> Result<(), CtlError> {
    if session.doc.config().cluster(name).is_some() {
        return Err(CtlError::new(
            Status::Exists,
            format_args!("Cluster \"{}\" already exists", name.to_str_lossy()),
        ));
    }
    session.doc.add_cluster(name).map_err(refused_edit)?;
    if let Some(note) = o2cb_runtime::session::adoption_note(session.doc.config(), name) {
        message(ctx, note);
    }
    if let Some(stack) = stack {
        create_cluster_dir(ctx, stack, name)?;
    }
    Ok(())
}

/// `-C -t cluster -i`: the cluster's configfs directory (an existing one is fine).
fn create_cluster_dir(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    name: &[u8],
) -> Result<(), CtlError> {
    let cluster = cluster_dir_name(name)?;
    let mut io = configfs_io(ctx, stack);
    let path = paths::cluster(&cluster);
    if configfs::ConfigfsIo::exists(&mut io, &path) {
        return Ok(());
    }
    let mut plan = Plan::default();
    plan.steps.push(configfs::Step {
        op: Op::Mkdir(path.clone()),
        undo: Undo::Rmdir(path),
        subject: configfs::Subject::Cluster(cluster.clone()),
        may_fail: false,
    });
    apply(&mut io, &plan)
        .map_err(|e| CtlError::new(Status::Io, format_args!("{e} while creating cluster")))?;
    ctx.print(format!("Cluster {cluster} created\n").as_bytes());
    Ok(())
}

/// `-C -t node`: one node, checked in the reference's order (the attributes it requires,
/// the cluster, the name, the address, the port, the number), added to the file and with
/// `-i` to the running cluster.
fn create_node(
    ctx: &mut Context<'_>,
    o: &Options,
    session: &mut o2cb_runtime::Session,
    stack: Option<&o2cb_sys::stack::StackInfo>,
) -> Result<(), CtlError> {
    let [name] = o.objects.as_slice() else {
        return Err(CtlError::new(
            Status::Invalid,
            "Cannot create more than one node at a time",
        ));
    };
    let name = name.as_bytes();
    let [cluster_name, ip_text, port_text] = required_node_attrs(o)?;
    let cluster = cluster_for_new_node(session.doc.config(), cluster_name, name)?;
    let ip_address = ip_address(ip_text)?;
    let ip_port = ip_port(port_text)?;
    let number = node_number(ctx, o, cluster, name)?;
    let node = NewNode {
        name: BString::from(name),
        number,
        ip_address,
        ip_port,
    };
    session
        .doc
        .add_node(cluster_name, &node)
        .map_err(refused_edit)?;
    if let Some(stack) = stack {
        install_node(ctx, stack, cluster_name, &node)?;
    }
    Ok(())
}

/// `cluster=`, `ip_address=` and `ip_port=`, in that order; an empty value is missing.
fn required_node_attrs(o: &Options) -> Result<[&[u8]; 3], CtlError> {
    let required = |key: &str| {
        o.attr_value(key).map(OsStr::as_bytes).ok_or_else(|| {
            CtlError::new(
                Status::Invalid,
                format_args!("\"{key}\" attribute required to create a node"),
            )
        })
    };
    Ok([
        required("cluster")?,
        required("ip_address")?,
        required("ip_port")?,
    ])
}

/// The cluster `cluster=` names, which must not have a node called `name` yet.
fn cluster_for_new_node<'a>(
    config: &'a cluster_conf::Config,
    cluster_name: &[u8],
    name: &[u8],
) -> Result<&'a Cluster, CtlError> {
    let cluster = config
        .cluster(cluster_name)
        .ok_or_else(|| missing("Cluster", cluster_name))?;
    if cluster.node(name).is_some() {
        return Err(CtlError::new(
            Status::Exists,
            format_args!("Node \"{}\" already exists", name.to_str_lossy()),
        ));
    }
    Ok(cluster)
}

/// `ip_address=`: a dotted IPv4 address as `inet_pton` reads it.
fn ip_address(text: &[u8]) -> Result<std::net::Ipv4Addr, CtlError> {
    parse_inet_pton(text).ok_or_else(|| {
        CtlError::new(
            Status::Invalid,
            format_args!("IP address \"{}\" is invalid", text.to_str_lossy()),
        )
    })
}

/// A port is read as `strtol` reads it and must fit 16 bits; anything else is ERANGE.
fn ip_port(text: &[u8]) -> Result<u32, CtlError> {
    match parse_c_long_base10(&text.to_str_lossy()) {
        Some(p) if (0..=65535).contains(&p) => Ok(p as u32),
        _ => Err(CtlError::new(
            Status::Range,
            format_args!("Port number \"{}\" is invalid", text.to_str_lossy()),
        )),
    }
}

/// The number `number=` gives, or else the one the reference picks.
fn node_number(
    ctx: &mut Context<'_>,
    o: &Options,
    cluster: &Cluster,
    name: &[u8],
) -> Result<u32, CtlError> {
    // Unlike the required attributes, an empty `number=` is a number: strtol's 0.
    match o.attr("number").and_then(|a| a.value.as_deref()) {
        Some(text) => given_number(cluster, text.as_bytes()),
        None => Ok(default_number(ctx, cluster, name)),
    }
}

/// `number=`: a non-negative `int`, not yet taken in the cluster.
fn given_number(cluster: &Cluster, text: &[u8]) -> Result<u32, CtlError> {
    let n = match parse_c_long_base10(&text.to_str_lossy()) {
        Some(n) if (0..=2_147_483_647).contains(&n) => n as u32,
        _ => {
            return Err(CtlError::new(
                Status::Range,
                format_args!("Node number \"{}\" is invalid", text.to_str_lossy()),
            ))
        }
    };
    if cluster.nodes.iter().any(|x| x.number == n) {
        return Err(CtlError::new(
            Status::Exists,
            format_args!("Node number \"{n}\" already exists"),
        ));
    }
    Ok(n)
}

/// The reference gives the new node the cluster's node_count, even when another node
/// already has that number; then the lowest free number is taken instead, with a note.
fn default_number(ctx: &mut Context<'_>, cluster: &Cluster, name: &[u8]) -> u32 {
    let used = |n: u32| cluster.nodes.iter().find(|x| x.number == n);
    let n = cluster.node_count;
    let Some(other) = used(n) else {
        return n;
    };
    let free = (0..=configfs::MAX_NODE_NUMBER)
        .find(|&k| used(k).is_none())
        .unwrap_or(n);
    message(
        ctx,
        format_args!(
            "note: node_count {n} is already the number of node \"{}\"; giving \"{}\" number {free}",
            other.name,
            name.to_str_lossy()
        ),
    );
    free
}

/// `-C -t node -i`: the node in the running cluster (already there is fine).
fn install_node(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    cluster: &[u8],
    node: &NewNode,
) -> Result<(), CtlError> {
    let fail = |e: &dyn std::fmt::Display| {
        CtlError::new(Status::Io, format_args!("{e} while creating node"))
    };
    let cluster_name = ConfigfsName::new(NameKind::Cluster, cluster).map_err(|e| fail(&e))?;
    let node_name = ConfigfsName::new(NameKind::Node, &node.name).map_err(|e| fail(&e))?;
    let hostname = o2cb_sys::hostname::hostname().unwrap_or_default();
    let desired = DesiredNode {
        name: node_name.clone(),
        number: node.number,
        ip_address: node.ip_address,
        ip_port: node.ip_port,
        local: cluster_conf::node_is_local(&node.name, &hostname),
    };
    let mut io = configfs_io(ctx, stack);
    let current = read_cluster(&mut io, &cluster_name).map_err(|e| fail(&e))?;
    apply(&mut io, &plan_add_node(&cluster_name, &desired, &current)).map_err(|e| fail(&e))?;
    ctx.print(format!("Node {node_name} created\n").as_bytes());
    Ok(())
}
