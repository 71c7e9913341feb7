//! `-D`: delete clusters or nodes from cluster.conf, and with `-u` from the running cluster
//! too. The reference prints "Not yet supported"; this is the operation its synopsis
//! describes.

use std::os::unix::ffi::OsStrExt;

use bstr::ByteSlice;
use configfs::{apply, paths, read_cluster, read_clusters, ConfigfsName, NameKind, Op, Plan, Undo};
use o2cb_runtime::Context;

use crate::change::offline;
use crate::{
    configfs_io, infer_type, init_stack, load, message, store, ObjectType, Options, Status,
};

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), i32> {
    if o.objects.is_empty() {
        message(ctx, "Operation '-D' requires an object");
        return Err(Status::Invalid.code());
    }
    if !o.attrs.is_empty() {
        message(
            ctx,
            format_args!("Invalid attribute: \"{}\"", o.attrs[0].key),
        );
        return Err(Status::Invalid.code());
    }
    let stack = if o.uninstall {
        Some(init_stack(ctx)?)
    } else {
        None
    };
    let mut session = load(ctx, true)?;
    let Some(kind) = infer_type(o, session.doc.config()) else {
        let first = o.objects[0].as_bytes().to_str_lossy().into_owned();
        message(
            ctx,
            format_args!("\"{first}\" is neither a cluster nor a node in cluster.conf"),
        );
        return Err(Status::NotFound.code());
    };
    for name in &o.objects {
        let name = name.as_bytes();
        match kind {
            ObjectType::Cluster => {
                if session.doc.config().cluster(name).is_none() {
                    message(
                        ctx,
                        format_args!("Cluster \"{}\" does not exist", name.to_str_lossy()),
                    );
                    return Err(Status::NotFound.code());
                }
                if let Some(stack) = &stack {
                    offline(ctx, stack, name)?;
                }
                if let Err(e) = session.doc.remove_cluster(name) {
                    message(ctx, e);
                    return Err(Status::Io.code());
                }
            }
            ObjectType::Node => {
                let owner = session
                    .doc
                    .config()
                    .clusters
                    .iter()
                    .find(|c| c.node(name).is_some())
                    .map(|c| c.name.to_vec());
                let Some(cluster) = owner else {
                    message(
                        ctx,
                        format_args!("Node \"{}\" does not exist", name.to_str_lossy()),
                    );
                    return Err(Status::NotFound.code());
                };
                if let Some(stack) = &stack {
                    uninstall_node(ctx, stack, &cluster, name)?;
                }
                if let Err(e) = session.doc.remove_node(&cluster, name) {
                    message(ctx, e);
                    return Err(Status::Io.code());
                }
            }
        }
    }
    match store(ctx, &mut session) {
        0 => Ok(()),
        code => Err(code),
    }
}

/// Removes a node from the running cluster, if it is registered there.
fn uninstall_node(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    cluster: &[u8],
    node: &[u8],
) -> Result<(), i32> {
    let fail = |ctx: &mut Context<'_>, e: &dyn std::fmt::Display| {
        message(ctx, format_args!("{e} while deleting node"));
        Status::Io.code()
    };
    let cluster = ConfigfsName::new(NameKind::Cluster, cluster).map_err(|e| fail(ctx, &e))?;
    let node = ConfigfsName::new(NameKind::Node, node).map_err(|e| fail(ctx, &e))?;
    let mut io = configfs_io(ctx, stack);
    let registered = read_clusters(&mut io).ok().flatten().unwrap_or_default();
    if !registered.contains(&cluster) {
        return Ok(());
    }
    let state = read_cluster(&mut io, &cluster).map_err(|e| fail(ctx, &e))?;
    let Some(current) = state.node(node.as_str()).cloned() else {
        return Ok(());
    };
    let mut plan = Plan::default();
    plan.steps.push(configfs::Step {
        op: Op::Rmdir(paths::node(&cluster, &node)),
        undo: Undo::RestoreNode {
            cluster: cluster.clone(),
            node: current,
        },
        subject: configfs::Subject::Node { cluster, node },
        may_fail: false,
    });
    apply(&mut io, &plan).map(|_| ()).map_err(|e| fail(ctx, &e))
}
