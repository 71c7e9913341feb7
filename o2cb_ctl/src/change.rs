//! `-H`: rename a cluster, or bring it online or offline the way the older init scripts did
//! (`o2cb_ctl -H -n C -t cluster -a online=yes`, docs/ocfs2-tools-reference.md §2.5).

use std::os::unix::ffi::OsStrExt;

use bstr::ByteSlice;
use configfs::{apply, desired_cluster, plan_online, plan_unregister, read_cluster, read_clusters};
use o2cb_runtime::Context;

use crate::{
    cluster_dir_name, configfs_io, infer_type, init_stack, load, message, missing, refused_edit,
    store, unknown_object, validate_attrs, Attribute, CtlError, ObjectType, Options, Status,
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

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), CtlError> {
    if o.objects.is_empty() && o.object_type.is_none() {
        return Err(CtlError::new(
            Status::Invalid,
            "Operation '-H' requires an object or object type",
        ));
    }
    validate_attrs(o)?;
    let online = online_request(o)?;
    let stack = if online.is_some() {
        Some(init_stack(ctx)?)
    } else {
        None
    };
    let rename = o.attr("name");
    let mut session = load(ctx, rename.is_some())?;
    let kind = infer_type(o, session.doc.config()).ok_or_else(|| unknown_object(o))?;
    if kind == ObjectType::Node {
        return Err(CtlError::new(
            Status::NotSupported,
            "Node changes not yet supported",
        ));
    }
    for name in cluster_names(o, session.doc.config()) {
        let name = rename_cluster(&mut session, name, rename)?;
        if let (Some(up), Some(stack)) = (online, &stack) {
            let cluster = session
                .doc
                .config()
                .cluster(&name)
                .cloned()
                .expect("checked by rename_cluster");
            if up {
                go_online(ctx, stack, &cluster)?;
            } else {
                go_offline(ctx, stack, &name)?;
            }
        }
    }
    store(ctx, &mut session)
}

/// What `-a online=` asks for, if given.
fn online_request(o: &Options) -> Result<Option<bool>, CtlError> {
    let Some(a) = o.attr("online") else {
        return Ok(None);
    };
    let value = a.value.as_ref().map(|v| v.as_bytes());
    // The reference prints this and then brings the cluster online anyway.
    online_value(value).map(Some).map_err(|()| {
        CtlError::new(
            Status::Invalid,
            format_args!(
                "Invalid value for attribute \"online\": {}",
                value.unwrap_or_default().to_str_lossy()
            ),
        )
    })
}

/// The clusters `-n` names, or every cluster of the file.
fn cluster_names(o: &Options, config: &cluster_conf::Config) -> Vec<Vec<u8>> {
    if o.objects.is_empty() {
        config.clusters.iter().map(|c| c.name.to_vec()).collect()
    } else {
        o.objects.iter().map(|n| n.as_bytes().to_vec()).collect()
    }
}

/// Checks that the cluster exists and gives it the `name=` of `rename`, if any; returns its
/// name from now on.
fn rename_cluster(
    session: &mut o2cb_runtime::Session,
    name: Vec<u8>,
    rename: Option<&Attribute>,
) -> Result<Vec<u8>, CtlError> {
    if session.doc.config().cluster(&name).is_none() {
        return Err(missing("Cluster", &name));
    }
    let Some(a) = rename else {
        return Ok(name);
    };
    let new = a
        .value
        .as_ref()
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    if new.is_empty() {
        return Err(CtlError::new(Status::Invalid, "Empty name for cluster"));
    }
    session
        .doc
        .rename_cluster(&name, &new)
        .map_err(refused_edit)?;
    Ok(new)
}

/// `online=yes`: registers the cluster and its nodes in configfs, and says what it added.
fn go_online(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    cluster: &cluster_conf::Cluster,
) -> Result<(), CtlError> {
    let shown = cluster.name.to_str_lossy().into_owned();
    let desired = desired_state(ctx, cluster)?;
    let mut io = configfs_io(ctx, stack);
    let registered = read_clusters(&mut io).ok().flatten().unwrap_or_default();
    let current = if registered.contains(&desired.name) {
        read_cluster(&mut io, &desired.name).ok()
    } else {
        None
    };
    let (plan, added) = plan_online(&desired, &registered, current.as_ref())
        .map_err(|e| CtlError::new(Status::Io, format_args!("{e} while setting cluster name")))?;
    apply(&mut io, &plan).map_err(|e| CtlError::new(Status::Io, e))?;
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

/// What configfs must hold for `cluster` on this machine: every problem of the cluster is
/// reported, and one of its nodes must be this host.
fn desired_state(
    ctx: &mut Context<'_>,
    cluster: &cluster_conf::Cluster,
) -> Result<configfs::DesiredCluster, CtlError> {
    let hostname = o2cb_sys::hostname::hostname().map_err(|e| {
        CtlError::new(
            Status::Invalid,
            format_args!("Could not determine local host name: {e}"),
        )
    })?;
    let desired = desired_cluster(cluster, &hostname).map_err(|errors| {
        // Every problem of the cluster, one line each.
        for e in errors {
            message(ctx, e);
        }
        CtlError::quiet(Status::Invalid)
    })?;
    if desired.local_node().is_none() {
        return Err(CtlError::new(
            Status::Invalid,
            format_args!(
                "Configuration error discovered while populating cluster {}.  None of its nodes were considered local.  A node is considered local when its node name in the configuration matches this machine's host name ({}).",
                cluster.name.to_str_lossy(),
                hostname.to_str_lossy()
            ),
        ));
    }
    Ok(desired)
}

/// `online=no` (and `-D -u`): the cluster out of configfs, if it is registered there.
pub(crate) fn go_offline(
    ctx: &mut Context<'_>,
    stack: &o2cb_sys::stack::StackInfo,
    name: &[u8],
) -> Result<(), CtlError> {
    let cluster = cluster_dir_name(name)?;
    let mut io = configfs_io(ctx, stack);
    let registered = read_clusters(&mut io).ok().flatten().unwrap_or_default();
    if !registered.contains(&cluster) {
        return Ok(());
    }
    let state = read_cluster(&mut io, &cluster).map_err(|e| {
        CtlError::new(
            Status::Io,
            format_args!("{e} while removing cluster '{cluster}'"),
        )
    })?;
    // plan_unregister wants the cluster first among the registered ones; it is the only one.
    let plan = plan_unregister(&cluster, std::slice::from_ref(&cluster), &state)
        .map_err(|e| CtlError::new(Status::Io, e))?;
    apply(&mut io, &plan).map_err(|e| CtlError::new(Status::Io, e))?;
    Ok(())
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
