//! `-I`: print clusters or nodes from cluster.conf (spec §2.4).

use std::os::unix::ffi::OsStrExt;

use bstr::ByteSlice;
use cluster_conf::{Cluster, Config, Node};
use o2cb_runtime::Context;

use crate::{
    infer_type, load, message, unknown_object, validate_attrs, ObjectType, Options, Status,
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

pub fn run(ctx: &mut Context<'_>, o: &Options) -> Result<(), i32> {
    if o.objects.is_empty() && o.object_type.is_none() {
        message(ctx, "Operation '-I' requires an object or object type");
        return Err(Status::Invalid.code());
    }
    validate_attrs(ctx, o)?;
    let session = load(ctx, false)?;
    let config = session.doc.config();
    let Some(kind) = infer_type(o, config) else {
        return Err(unknown_object(ctx, o));
    };
    let mut out = Vec::new();
    if o.oneline {
        out.extend_from_slice(match kind {
            ObjectType::Cluster => b"#name:count:status\n".as_slice(),
            ObjectType::Node => b"#name:cluster:number:ip_address:ip_port:status\n".as_slice(),
        });
    }
    let mut status = Ok(());
    match (kind, o.objects.is_empty()) {
        (ObjectType::Cluster, true) => config
            .clusters
            .iter()
            .for_each(|c| cluster_line(&mut out, c, o.oneline)),
        (ObjectType::Node, true) => {
            // Every node in file order, each looked up again by name as the reference does:
            // a name used in two clusters shows the first cluster's node both times.
            for n in config.clusters.iter().flat_map(|c| &c.nodes) {
                if let Some((c, n)) = find_node(config, &n.name) {
                    node_line(&mut out, c, n, o.oneline);
                }
            }
        }
        (ObjectType::Cluster, false) => {
            for name in &o.objects {
                match config.cluster(name.as_bytes()) {
                    Some(c) => cluster_line(&mut out, c, o.oneline),
                    None => {
                        ctx.print(&std::mem::take(&mut out));
                        ctx.error_line(format_args!(
                            "Cluster \"{}\" does not exist",
                            name.as_bytes().to_str_lossy()
                        ));
                        status = Err(Status::NotFound.code());
                        break;
                    }
                }
            }
        }
        (ObjectType::Node, false) => {
            for name in &o.objects {
                match find_node(config, name.as_bytes()) {
                    Some((c, n)) => node_line(&mut out, c, n, o.oneline),
                    None => {
                        ctx.print(&std::mem::take(&mut out));
                        ctx.error_line(format_args!(
                            "Node \"{}\" does not exist",
                            name.as_bytes().to_str_lossy()
                        ));
                        status = Err(Status::NotFound.code());
                        break;
                    }
                }
            }
        }
    }
    ctx.print(&out);
    status
}
