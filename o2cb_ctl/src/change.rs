//! `-H`: rename a cluster, or bring it online or offline the way the older init scripts did
//! (`o2cb_ctl -H -n C -t cluster -a online=yes`, spec §2.5).

use std::os::unix::ffi::OsStrExt;

use bstr::ByteSlice;
use configfs::{apply, desired_cluster, plan_online, plan_unregister, read_cluster, read_clusters};
use o2cb_runtime::Context;

use crate::{
    cluster_dir_name, configfs_io, infer_type, init_stack, load, message, refused_edit, store,
    unknown_object, validate_attrs, ObjectType, Options, Status,
};

/// What `online=` asks for.
fn online_value(v: Option<&[u8]>) -> Result<bool, ()> {
    match v {
        Some(b"1" | b"t" | b"true" | b"y" | b"yes" | b"on") => Ok(true),
        // An absent or empty value means offline, as in the reference.
        None | Some(b"" | b"0" | b"f" | b"false" | b"n" | b"no" | b"off") => Ok(false),
        Some(_) => Err(()),
    }
}

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), i32> {
    if o.objects.is_empty() && o.object_type.is_none() {
        message(ctx, "Operation '-H' requires an object or object type");
        return Err(Status::Invalid.code());
    }
    validate_attrs(ctx, o)?;
    let online = match o.attr("online") {
        None => None,
        Some(a) => match online_value(a.value.as_ref().map(|v| v.as_bytes())) {
            Ok(v) => Some(v),
            Err(()) => {
                // The reference prints this and then brings the cluster online anyway.
                let v = a
                    .value
                    .as_ref()
                    .map(|v| v.as_bytes().to_str_lossy().into_owned())
                    .unwrap_or_default();
                message(
                    ctx,
                    format_args!("Invalid value for attribute \"online\": {v}"),
                );
                return Err(Status::Invalid.code());
            }
        },
    };
    let stack = if online.is_some() {
        Some(init_stack(ctx)?)
    } else {
        None
    };
    let rename = o.attr("name");
    let mut session = load(ctx, rename.is_some())?;
    let Some(kind) = infer_type(o, session.doc.config()) else {
        return Err(unknown_object(ctx, o));
    };
    if kind == ObjectType::Node {
        message(ctx, "Node changes not yet supported");
        return Err(Status::NotSupported.code());
    }
    let names: Vec<Vec<u8>> = if o.objects.is_empty() {
        session
            .doc
            .config()
            .clusters
            .iter()
            .map(|c| c.name.to_vec())
            .collect()
    } else {
        o.objects.iter().map(|n| n.as_bytes().to_vec()).collect()
    };
    for name in names {
        if session.doc.config().cluster(&name).is_none() {
            message(
                ctx,
                format_args!("Cluster \"{}\" does not exist", name.to_str_lossy()),
            );
            return Err(Status::NotFound.code());
        }
        let mut name = name;
        if let Some(a) = rename {
            let new = a
                .value
                .as_ref()
                .map(|v| v.as_bytes().to_vec())
                .unwrap_or_default();
            if new.is_empty() {
                message(ctx, "Empty name for cluster");
                return Err(Status::Invalid.code());
            }
            if let Err(e) = session.doc.rename_cluster(&name, &new) {
                return Err(refused_edit(ctx, e));
            }
            name = new;
        }
        if let (Some(up), Some(stack)) = (online, &stack) {
            let cluster = session
                .doc
                .config()
                .cluster(&name)
                .cloned()
                .expect("checked above");
            if up {
                go_online(ctx, stack, &cluster)?;
            } else {
                go_offline(ctx, stack, &name)?;
            }
        }
    }
    match store(ctx, &mut session) {
        0 => Ok(()),
        code => Err(code),
    }
}

fn go_online(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    cluster: &cluster_conf::Cluster,
) -> Result<(), i32> {
    let shown = cluster.name.to_str_lossy().into_owned();
    let hostname = o2cb_sys::hostname::hostname().map_err(|e| {
        message(
            ctx,
            format_args!("Could not determine local host name: {e}"),
        );
        Status::Invalid.code()
    })?;
    let desired = desired_cluster(cluster, &hostname).map_err(|errors| {
        for e in errors {
            message(ctx, e);
        }
        Status::Invalid.code()
    })?;
    if desired.local_node().is_none() {
        message(
            ctx,
            format_args!(
                "Configuration error discovered while populating cluster {shown}.  None of its nodes were considered local.  A node is considered local when its node name in the configuration matches this machine's host name ({}).",
                hostname.to_str_lossy()
            ),
        );
        return Err(Status::Invalid.code());
    }
    let mut io = configfs_io(ctx, stack);
    let registered = read_clusters(&mut io).ok().flatten().unwrap_or_default();
    let current = if registered.contains(&desired.name) {
        read_cluster(&mut io, &desired.name).ok()
    } else {
        None
    };
    let (plan, added) = plan_online(&desired, &registered, current.as_ref()).map_err(|e| {
        message(ctx, format_args!("{e} while setting cluster name"));
        Status::Io.code()
    })?;
    if let Err(e) = apply(&mut io, &plan) {
        message(ctx, e);
        return Err(Status::Io.code());
    }
    let mut out = String::new();
    if current.is_none() {
        out.push_str(&format!("Cluster {shown} created\n"));
    }
    for n in added {
        out.push_str(&format!("Node {n} added\n"));
    }
    ctx.print(out.as_bytes());
    Ok(())
}

fn go_offline(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    name: &[u8],
) -> Result<(), i32> {
    let cluster = cluster_dir_name(ctx, name)?;
    let mut io = configfs_io(ctx, stack);
    let registered = read_clusters(&mut io).ok().flatten().unwrap_or_default();
    if !registered.contains(&cluster) {
        return Ok(());
    }
    let state = read_cluster(&mut io, &cluster).map_err(|e| {
        message(ctx, format_args!("{e} while removing cluster '{cluster}'"));
        Status::Io.code()
    })?;
    // plan_unregister wants the cluster first among the registered ones; it is the only one.
    let plan = plan_unregister(&cluster, std::slice::from_ref(&cluster), &state).map_err(|e| {
        message(ctx, e);
        Status::Io.code()
    })?;
    apply(&mut io, &plan).map_err(|e| {
        message(ctx, e);
        Status::Io.code()
    })?;
    Ok(())
}

/// Used by `-D -u` too.
pub(crate) fn offline(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    name: &[u8],
) -> Result<(), i32> {
    go_offline(ctx, stack, name)
}

#[cfg(test)]
mod tests {
    use super::online_value;

    #[test]
    fn online_values_are_the_reference_words() {
        for yes in ["1", "t", "true", "y", "yes", "on"] {
            assert_eq!(online_value(Some(yes.as_bytes())), Ok(true));
        }
        for no in ["0", "f", "false", "n", "no", "off", ""] {
            assert_eq!(online_value(Some(no.as_bytes())), Ok(false));
        }
        assert_eq!(online_value(None), Ok(false));
        assert_eq!(online_value(Some(b"YES")), Err(()));
        assert_eq!(online_value(Some(b"2")), Err(()));
    }
}
