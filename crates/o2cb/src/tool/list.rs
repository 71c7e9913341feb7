//! `list-clusters`, `list-cluster`, `list-nodes`, `list-heartbeats` (docs/ocfs2-tools-reference.md
//! §3.2).
//!
//! The reference prints numbers with `%d`, so a port or node count stored above 2^31 shows
//! as a negative number; kept, since the output is what scripts parse.

use std::ffi::OsString;

use cluster_conf::{Cluster, HeartbeatRegion, Node};
use getopt::{Function, HasArg, OptionSpec, OptionTable};

use super::config::{bytes, known_cluster};
use super::{parse_subcommand, CmdResult, Failure, Session};
use crate::context::Context;

pub fn list_clusters(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    // The reference parses no options here (extra words are ignored); `--json` is ours.
    if args.iter().any(|a| a == "--json") {
        let clusters: Vec<&Cluster> = session.doc.config().clusters.iter().collect();
        ctx.print(crate::json::clusters(&clusters).as_bytes());
        return Ok(());
    }
    let mut out = Vec::new();
    for c in &session.doc.config().clusters {
        out.extend_from_slice(&c.name);
        out.push(b'\n');
    }
    ctx.print(&out);
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOpt {
    Oneline,
    Json,
}

pub const LIST_OPTIONS: OptionTable<'static, ListOpt> = OptionTable {
    optstring: "",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(ListOpt::Oneline, "oneline", HasArg::No)
            .with_help("One line per object instead of cluster.conf stanzas."),
        OptionSpec::long(ListOpt::Json, "json", HasArg::No)
            .with_help("JSON (schema in docs/json.md)."),
    ],
};

#[derive(Clone, Copy)]
struct What {
    regions: bool,
    nodes: bool,
    cluster: bool,
}

pub fn list_cluster(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    list(
        ctx,
        session,
        args,
        "list-cluster",
        What {
            regions: true,
            nodes: true,
            cluster: true,
        },
    )
}

pub fn list_nodes(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> CmdResult {
    list(
        ctx,
        session,
        args,
        "list-nodes",
        What {
            regions: false,
            nodes: true,
            cluster: false,
        },
    )
}

pub fn list_heartbeats(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    list(
        ctx,
        session,
        args,
        "list-heartbeats",
        What {
            regions: true,
            nodes: false,
            cluster: false,
        },
    )
}

fn list(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
    command: &str,
    what: What,
) -> CmdResult {
    let Some((opts, operands)) = parse_subcommand(ctx, command, &LIST_OPTIONS, args) else {
        return Err(Failure::Usage);
    };
    let oneline = opts.iter().any(|(o, _)| *o == ListOpt::Oneline);
    let json = opts.iter().any(|(o, _)| *o == ListOpt::Json);
    let Some(name) = operands.first() else {
        return Err(Failure::Usage);
    };
    let name = bytes(name);
    let cluster = match known_cluster(session.doc.config(), name) {
        Ok(c) => c,
        Err(unknown) => {
            // An error, but the reference exits 0 here.
            ctx.error(unknown);
            return Ok(());
        }
    };
    if json {
        let text = crate::json::cluster_listing(cluster, what.regions, what.nodes, what.cluster);
        ctx.print(text.as_bytes());
        return Ok(());
    }
    let mut out = Vec::new();
    if what.regions {
        for r in &cluster.regions {
            write_region(&mut out, r, name, oneline);
        }
    }
    if what.nodes {
        for n in &cluster.nodes {
            write_node(&mut out, n, name, oneline);
        }
    }
    if what.cluster {
        write_cluster(&mut out, cluster, name, oneline);
    }
    ctx.print(&out);
    Ok(())
}

fn push(out: &mut Vec<u8>, parts: &[&[u8]]) {
    for p in parts {
        out.extend_from_slice(p);
    }
}

fn write_region(out: &mut Vec<u8>, r: &HeartbeatRegion, cluster: &[u8], oneline: bool) {
    if oneline {
        push(out, &[b"heartbeat: ", &r.region, b" ", cluster, b"\n"]);
    } else {
        push(
            out,
            &[
                b"heartbeat:\n\tregion = ",
                &r.region,
                b"\n\tcluster = ",
                cluster,
                b"\n\n",
            ],
        );
    }
}

fn write_node(out: &mut Vec<u8>, n: &Node, cluster: &[u8], oneline: bool) {
    let number = n.number.to_string();
    let ip = n.ip_address.to_string();
    let port = (n.ip_port as i32).to_string();
    if oneline {
        push(
            out,
            &[
                b"node: ",
                number.as_bytes(),
                b" ",
                &n.name,
                b" ",
                ip.as_bytes(),
                b":",
                port.as_bytes(),
                b" ",
                cluster,
                b"\n",
            ],
        );
    } else {
        push(
            out,
            &[
                b"node:\n\tnumber = ",
                number.as_bytes(),
                b"\n\tname = ",
                &n.name,
                b"\n\tip_address = ",
                ip.as_bytes(),
                b"\n\tip_port = ",
                port.as_bytes(),
                b"\n\tcluster = ",
                cluster,
                b"\n\n",
            ],
        );
    }
}

fn write_cluster(out: &mut Vec<u8>, c: &Cluster, name: &[u8], oneline: bool) {
    let count = (c.node_count as i32).to_string();
    let mode = c.heartbeat_mode.as_str().as_bytes();
    if oneline {
        push(
            out,
            &[
                b"cluster: ",
                count.as_bytes(),
                b" ",
                mode,
                b" ",
                name,
                b"\n",
            ],
        );
    } else {
        push(
            out,
            &[
                b"cluster:\n\tnode_count = ",
                count.as_bytes(),
                b"\n\theartbeat_mode = ",
                mode,
                b"\n\tname = ",
                name,
                b"\n\n",
            ],
        );
    }
}
