//! `-D`: delete clusters or nodes from cluster.conf, and with `-u` from the running cluster
//! too. The reference prints "Not yet supported"; this is the operation its synopsis
//! describes.

use std::os::unix::ffi::OsStrExt;

use configfs::{apply, paths, read_cluster, read_clusters, ConfigfsName, NameKind, Op, Plan, Undo};
use o2cb_runtime::Context;

use crate::change::go_offline;
use crate::{
    configfs_io, infer_type, init_stack, invalid_attribute, load, missing, store, unknown_object,
    CtlError, ObjectType, Options, Status,
};

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), CtlError> {
    if o.objects.is_empty() {
        return Err(CtlError::new(
            Status::Invalid,
            "Operation '-D' requires an object",
        ));
    }
    if let Some(a) = o.attrs.first() {
        return Err(invalid_attribute(a));
    }
    let stack = if o.uninstall {
        Some(init_stack(ctx)?)
    } else {
        None
    };
    let mut session = load(ctx, true)?;
    let kind = infer_type(o, session.doc.config()).ok_or_else(|| unknown_object(o))?;
    for name in &o.objects {
        let name = name.as_bytes();
        match kind {
            ObjectType::Cluster => delete_cluster(ctx, &mut session, stack.as_ref(), name)?,
            ObjectType::Node => delete_node(ctx, &mut session, stack.as_ref(), name)?,
        }
    }
    store(ctx, &mut session)
}

/// One cluster out of the file, and with `-u` out of configfs first.
fn delete_cluster(
    ctx: &mut Context<'_>,
    session: &mut o2cb_runtime::Session,
    stack: Option<&o2cb_sys::stack::StackInfo>,
    name: &[u8],
) -> Result<(), CtlError> {
    if session.doc.config().cluster(name).is_none() {
        return Err(missing("Cluster", name));
    }
    if let Some(stack) = stack {
        go_offline(ctx, stack, name)?;
    }
    session
        .doc
        .remove_cluster(name)
        .map_err(|e| CtlError::new(Status::Io, e))
}

/// One node (of the first cluster that has it) out of the file, and with `-u` out of
/// configfs first.
fn delete_node(
    ctx: &mut Context<'_>,
    session: &mut o2cb_runtime::Session,
    stack: Option<&o2cb_sys::stack::StackInfo>,
    name: &[u8],
) -> Result<(), CtlError> {
    let owner = session
        .doc
        .config()
        .clusters
        .iter()
        .find(|c| c.node(name).is_some())
        .map(|c| c.name.to_vec());
    let Some(cluster) = owner else {
        return Err(missing("Node", name));
    };
    if let Some(stack) = stack {
        uninstall_node(ctx, stack, &cluster, name)?;
    }
    session
        .doc
        .remove_node(&cluster, name)
        .map_err(|e| CtlError::new(Status::Io, e))
}

/// Removes a node from the running cluster, if it is registered there.
fn uninstall_node(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    cluster: &[u8],
    node: &[u8],
) -> Result<(), CtlError> {
    let fail = |e: &dyn std::fmt::Display| {
        CtlError::new(Status::Io, format_args!("{e} while deleting node"))
    };
    let cluster = ConfigfsName::new(NameKind::Cluster, cluster).map_err(|e| fail(&e))?;
    let node = ConfigfsName::new(NameKind::Node, node).map_err(|e| fail(&e))?;
    let mut io = configfs_io(ctx, stack);
    let registered = read_clusters(&mut io).ok().flatten().unwrap_or_default();
    if !registered.contains(&cluster) {
        return Ok(());
    }
    let state = read_cluster(&mut io, &cluster).map_err(|e| fail(&e))?;
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
    apply(&mut io, &plan).map(|_| ()).map_err(|e| fail(&e))
}
