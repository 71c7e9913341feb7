//! The file the `parse` benchmark and the `parse_once` example read: a big, valid,
//! hand-edited-looking cluster.conf.

use std::fmt::Write as _;

/// Target size of the generated file.
pub const TARGET_BYTES: usize = 10 * 1024 * 1024;
pub const NODES_PER_CLUSTER: usize = 200;
pub const REGIONS_PER_CLUSTER: usize = 16;

/// A big, valid, hand-edited-looking cluster.conf of about `TARGET_BYTES`.
pub fn generate() -> String {
    let mut s = String::with_capacity(TARGET_BYTES + 64 * 1024);
    let mut c = 0;
    while s.len() < TARGET_BYTES {
        let _ = writeln!(
            s,
            "# cluster {c}: {NODES_PER_CLUSTER} nodes, global heartbeat"
        );
        let _ = write!(
            s,
            "cluster:\n\tname = c{c}\n\theartbeat_mode = global\n\tnode_count = {NODES_PER_CLUSTER}\n\n"
        );
        for r in 0..REGIONS_PER_CLUSTER {
            let _ = write!(
                s,
                "heartbeat:\n\tcluster = c{c}\n\tregion = {:016X}{:016X}\n\n",
                c as u64 * 0x9E37_79B9,
                r as u64 + 1
            );
        }
        for n in 0..NODES_PER_CLUSTER {
            if n % 50 == 0 {
                let _ = writeln!(s, "# rack {}", n / 50);
            }
            if n % 2 == 0 {
                let _ = write!(
                    s,
                    "node:\n\tcluster = c{c}\n\tnumber = {n}\n\tip_port = 7777\n\tip_address = 10.{}.{}.{}\n\tname = c{c}-node{n}\n\n",
                    c % 250,
                    n / 250,
                    n % 250 + 1
                );
            } else {
                let _ = write!(
                    s,
                    "node:\n    name = c{c}-node{n}\n    cluster = c{c}\n    number = {n}\n    ip_address = 10.{}.{}.{}\n    ip_port = 7777\n\n",
                    c % 250,
                    n / 250,
                    n % 250 + 1
                );
            }
        }
        c += 1;
    }
    s
}
