//! `-I`: print clusters or nodes from cluster.conf (docs/ocfs2-tools-reference.md §2.4).

use std::os::unix::ffi::OsStrExt;

use cluster_conf::{Cluster, Config, Node};
use o2cb_runtime::Context;

use crate::{
    does_not_exist, infer_type, load, unknown_object, validate_attrs, CtlError, ObjectType,
    Options, Status,
};

fn cluster_line(out: &mut Vec<u8>, c: &Cluster, oneline: bool) {
    let count = c.node_count.to_string();
    if oneline {
        for part in [&c.name[..], b":", count.as_bytes(), b":configured\n"] {
            out.extend_from_slice(part);
        }
    } else {
        for part in [
            &b"cluster:\n\tname = "[..],
            &c.name,
            b"\n\tnode_count = ",
            count.as_bytes(),
            b"\n\tstatus = configured\n\n",
        ] {
            out.extend_from_slice(part);
        }
    }
}

fn node_line(out: &mut Vec<u8>, cluster: &Cluster, n: &Node, oneline: bool) {
    let number = n.number.to_string();
    let ip = n.ip_address.to_string();
    // Printed with `%d`, as the reference does: 4294967295 shows as -1.
    let port = (n.ip_port as i32).to_string();
    let parts: Vec<&[u8]> = if oneline {
        vec![
            &n.name,
            b":",
            &cluster.name,
            b":",
            number.as_bytes(),
            b":",
            ip.as_bytes(),
            b":",
            port.as_bytes(),
            b":configured\n",
        ]
    } else {
        vec![
            b"node:\n\tname = ",
            &n.name,
            b"\n\tcluster = ",
            &cluster.name,
            b"\n\tnumber = ",
            number.as_bytes(),
            b"\n\tip_address = ",
            ip.as_bytes(),
            b"\n\tip_port = ",
            port.as_bytes(),
            b"\n\tstatus = configured\n\n",
        ]
    };
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// The first cluster with a node of this name, and the node.
fn find_node<'a>(config: &'a Config, name: &[u8]) -> Option<(&'a Cluster, &'a Node)> {
    config
        .clusters
        .iter()
        .find_map(|c| c.node(name).map(|n| (c, n)))
}

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), CtlError> {
    if o.objects.is_empty() && o.object_type.is_none() {
        return Err(CtlError::new(
            Status::Invalid,
            "Operation '-I' requires an object or object type",
        ));
    }
    validate_attrs(o)?;
    let session = load(ctx, false)?;
    let config = session.doc.config();
    let kind = infer_type(o, config).ok_or_else(|| unknown_object(o))?;
    let mut out = Vec::new();
    let listed = list(&mut out, config, kind, o);
    // What was found is printed before the line about the name that was not.
    ctx.print(&out);
    listed.map_err(|missing| {
        // The reference says this without its name in front.
        ctx.error_line(missing);
        CtlError::quiet(Status::NotFound)
    })
}

/// The objects of `kind` that `-n` names, or all of them, in the `-o` or `-z` format, after
/// the `-o` header; `Err` says which name does not exist.
fn list(out: &mut Vec<u8>, config: &Config, kind: ObjectType, o: &Options) -> Result<(), String> {
    if o.oneline {
        out.extend_from_slice(match kind {
            ObjectType::Cluster => b"#name:count:status\n".as_slice(),
            ObjectType::Node => b"#name:cluster:number:ip_address:ip_port:status\n".as_slice(),
        });
    }
    match (kind, o.objects.is_empty()) {
        (ObjectType::Cluster, true) => {
            config
                .clusters
                .iter()
                .for_each(|c| cluster_line(out, c, o.oneline));
            Ok(())
        }
        (ObjectType::Node, true) => {
            // Every node in file order, each looked up again by name as the reference does:
            // a name used in two clusters shows the first cluster's node both times.
            for n in config.clusters.iter().flat_map(|c| &c.nodes) {
                if let Some((c, n)) = find_node(config, &n.name) {
                    node_line(out, c, n, o.oneline);
                }
            }
            Ok(())
        }
        (ObjectType::Cluster, false) => named_clusters(out, config, o),
        (ObjectType::Node, false) => named_nodes(out, config, o),
    }
}

/// The clusters `-n` names, up to the first that does not exist: `Err` is what to say of it.
fn named_clusters(out: &mut Vec<u8>, config: &Config, o: &Options) -> Result<(), String> {
    for name in &o.objects {
        let name = name.as_bytes();
        let Some(c) = config.cluster(name) else {
            return Err(does_not_exist("Cluster", name));
        };
        cluster_line(out, c, o.oneline);
    }
    Ok(())
}

/// The nodes `-n` names, up to the first that does not exist: `Err` is what to say of it.
fn named_nodes(out: &mut Vec<u8>, config: &Config, o: &Options) -> Result<(), String> {
    for name in &o.objects {
        let name = name.as_bytes();
        let Some((c, n)) = find_node(config, name) else {
            return Err(does_not_exist("Node", name));
        };
        node_line(out, c, n, o.oneline);
    }
    Ok(())
}
