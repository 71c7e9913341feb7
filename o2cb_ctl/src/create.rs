//! `-C`: add clusters or a node to cluster.conf, and with `-i` to the running cluster
//! (spec §2.2).

use std::os::unix::ffi::OsStrExt;

use bstr::{BString, ByteSlice};
use cluster_conf::values::{parse_c_long_base10, parse_inet_pton};
use cluster_conf::NewNode;
use configfs::{
    apply, paths, plan_add_node, read_cluster, ConfigfsName, DesiredNode, NameKind, Op, Plan, Undo,
};
use o2cb_runtime::Context;

use crate::{
    cluster_dir_name, configfs_io, init_stack, load, message, refused_edit, store, validate_attrs,
    ObjectType, Options, Status,
};

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), i32> {
    let Some(kind) = o.object_type.filter(|_| !o.objects.is_empty()) else {
        message(ctx, "Operation '-C' requires an object and an object type");
        return Err(Status::Invalid.code());
    };
    validate_attrs(ctx, o)?;
    let stack = if o.install {
        Some(init_stack(ctx)?)
    } else {
        None
    };
    let mut session = load(ctx, true)?;
    match kind {
        ObjectType::Cluster => {
            for name in &o.objects {
                let name = name.as_bytes();
                if session.doc.config().cluster(name).is_some() {
                    message(
                        ctx,
                        format_args!("Cluster \"{}\" already exists", name.to_str_lossy()),
                    );
                    return Err(Status::Exists.code());
                }
                if let Err(e) = session.doc.add_cluster(name) {
                    return Err(refused_edit(ctx, e));
                }
                if let Some(note) = o2cb_runtime::session::adoption_note(session.doc.config(), name)
                {
                    message(ctx, note);
                }
                if let Some(stack) = &stack {
                    create_cluster_dir(ctx, stack, name)?;
                }
            }
        }
        ObjectType::Node => create_node(ctx, o, &mut session, stack.as_ref())?,
    }
    match store(ctx, &mut session) {
        0 => Ok(()),
        code => Err(code),
    }
}

/// `-C -t cluster -i`: the cluster's configfs directory (an existing one is fine).
fn create_cluster_dir(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    name: &[u8],
) -> Result<(), i32> {
    let cluster = cluster_dir_name(ctx, name)?;
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
    if let Err(e) = apply(&mut io, &plan) {
        message(ctx, format_args!("{e} while creating cluster"));
        return Err(Status::Io.code());
    }
    ctx.print(format!("Cluster {cluster} created\n").as_bytes());
    Ok(())
}

fn create_node(
    ctx: &mut Context<'_>,
    o: &Options,
    session: &mut o2cb_runtime::Session,
    stack: Option<&o2cb_sys::stack::StackInfo>,
) -> Result<(), i32> {
    if o.objects.len() != 1 {
        message(ctx, "Cannot create more than one node at a time");
        return Err(Status::Invalid.code());
    }
    let name = o.objects[0].as_bytes();
    let mut required = Vec::new();
    for key in ["cluster", "ip_address", "ip_port"] {
        match o.attr_value(key) {
            Some(v) => required.push(v.as_bytes().to_vec()),
            None => {
                message(
                    ctx,
                    format_args!("\"{key}\" attribute required to create a node"),
                );
                return Err(Status::Invalid.code());
            }
        }
    }
    let (cluster_name, ip_text, port_text) = (&required[0], &required[1], &required[2]);
    let config = session.doc.config();
    let Some(cluster) = config.cluster(cluster_name) else {
        message(
            ctx,
            format_args!("Cluster \"{}\" does not exist", cluster_name.to_str_lossy()),
        );
        return Err(Status::NotFound.code());
    };
    if cluster.node(name).is_some() {
        message(
            ctx,
            format_args!("Node \"{}\" already exists", name.to_str_lossy()),
        );
        return Err(Status::Exists.code());
    }
    let Some(ip_address) = parse_inet_pton(ip_text) else {
        message(
            ctx,
            format_args!("IP address \"{}\" is invalid", ip_text.to_str_lossy()),
        );
        return Err(Status::Invalid.code());
    };
    let ip_port = match parse_c_long_base10(&ip_text_lossy(port_text)) {
        Some(p) if (0..=65535).contains(&p) => p as u32,
        _ => {
            message(
                ctx,
                format_args!("Port number \"{}\" is invalid", port_text.to_str_lossy()),
            );
            return Err(Status::Range.code());
        }
    };
    let used = |n: u32| cluster.nodes.iter().find(|x| x.number == n);
    // Unlike the required attributes, an empty `number=` is a number: strtol's 0.
    let number = match o.attr("number").and_then(|a| a.value.as_deref()) {
        Some(text) => {
            let t = text.as_bytes();
            let n = match parse_c_long_base10(&ip_text_lossy(t)) {
                Some(n) if (0..=2_147_483_647).contains(&n) => n as u32,
                _ => {
                    message(
                        ctx,
                        format_args!("Node number \"{}\" is invalid", t.to_str_lossy()),
                    );
                    return Err(Status::Range.code());
                }
            };
            if used(n).is_some() {
                message(ctx, format_args!("Node number \"{n}\" already exists"));
                return Err(Status::Exists.code());
            }
            n
        }
        None => {
            // The reference gives the new node the cluster's node_count, even when another
            // node already has that number; then the lowest free number is taken instead.
            let n = cluster.node_count;
            match used(n) {
                None => n,
                Some(other) => {
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
            }
        }
    };
    let node = NewNode {
        name: BString::from(name),
        number,
        ip_address,
        ip_port,
    };
    let cluster_name = cluster_name.clone();
    if let Err(e) = session.doc.add_node(&cluster_name, &node) {
        return Err(refused_edit(ctx, e));
    }
    if let Some(stack) = stack {
        install_node(ctx, stack, &cluster_name, &node)?;
    }
    Ok(())
}

fn ip_text_lossy(b: &[u8]) -> String {
    b.to_str_lossy().into_owned()
}

/// `-C -t node -i`: the node in the running cluster (already there is fine).
fn install_node(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    cluster: &[u8],
    node: &NewNode,
) -> Result<(), i32> {
    let fail = |ctx: &mut Context<'_>, e: &dyn std::fmt::Display| {
        message(ctx, format_args!("{e} while creating node"));
        Status::Io.code()
    };
    let cluster_name = ConfigfsName::new(NameKind::Cluster, cluster).map_err(|e| fail(ctx, &e))?;
    let node_name = ConfigfsName::new(NameKind::Node, &node.name).map_err(|e| fail(ctx, &e))?;
    let hostname = o2cb_sys::hostname::hostname().unwrap_or_default();
    let desired = DesiredNode {
        name: node_name.clone(),
        number: node.number,
        ip_address: node.ip_address,
        ip_port: node.ip_port,
        local: cluster_conf::node_is_local(&node.name, &hostname),
    };
    let mut io = configfs_io(ctx, stack);
    let current = read_cluster(&mut io, &cluster_name).map_err(|e| fail(ctx, &e))?;
    if let Err(e) = apply(&mut io, &plan_add_node(&cluster_name, &desired, &current)) {
        return Err(fail(ctx, &e));
    }
    ctx.print(format!("Node {node_name} created\n").as_bytes());
    Ok(())
}
