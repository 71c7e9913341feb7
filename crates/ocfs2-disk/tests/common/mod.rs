//! Helpers shared by the integration tests: a readable summary of everything the reader decodes
//! (for snapshots), `mounted.ocfs2`'s output layout (docs/ocfs2-tools-reference.md §7.3, §7.4)
//! computed from our reader, and running the C tools.
//!
//! Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ocfs2_disk::{quick_detect, OpenOptions, ReadAt, Volume};

/// Everything the reader decodes from an image, one fact per line.
pub fn describe(image: &[u8]) -> String {
    let mut out = String::new();
    match quick_detect(image) {
        Ok(Some(q)) => {
            let stack = q.stack();
            writeln!(
                out,
                "quick detect: superblock at {}, label {:?}, uuid {}, incompat [{}], \
                 stack {:?}, cluster {:?}, global heartbeat {}",
                q.superblock_offset(),
                q.label().to_string_lossy(),
                ocfs2_disk::uuid_hex(&q.uuid()),
                q.incompat(),
                stack.label(),
                stack.cluster(),
                stack.global_heartbeat()
            )
        }
        Ok(None) => writeln!(out, "quick detect: not OCFS2"),
        Err(e) => writeln!(out, "quick detect: error {e}"),
    }
    .unwrap();
    let volume = match Volume::open(image, OpenOptions::new().allow_heartbeat_device(true)) {
        Ok(volume) => volume,
        Err(e) => {
            writeln!(out, "open: {e} ({})", e.reason()).unwrap();
            return out;
        }
    };
    let sb = volume.superblock();
    writeln!(
        out,
        "open: block {} cluster {} clusters {} rev {} slots {} root {} sysdir {}",
        sb.block_size(),
        sb.cluster_size(),
        sb.clusters(),
        sb.minor_rev(),
        sb.max_slots(),
        sb.root_dir_blkno(),
        sb.system_dir_blkno()
    )
    .unwrap();
    writeln!(
        out,
        "features: compat [{}] incompat [{}] ro_compat [{}]",
        sb.compat(),
        sb.incompat(),
        sb.ro_compat()
    )
    .unwrap();
    writeln!(out, "cluster info: {:?}", sb.cluster_info()).unwrap();
    for sector in [512, 4096] {
        match volume.heartbeat_region(sector) {
            Ok(r) => writeln!(
                out,
                "heartbeat ({sector}-byte sectors): {} block_bytes {} start_block {} blocks {}",
                r.name(),
                r.block_bytes(),
                r.start_block(),
                r.blocks()
            ),
            Err(e) => writeln!(out, "heartbeat ({sector}-byte sectors): {e} [{e:?}]"),
        }
        .unwrap();
    }
    if let Ok(region) = volume.heartbeat_region(512) {
        for node in [3, 12] {
            let slot = volume.read_heartbeat_slot(&region, node).unwrap();
            if slot.is_written() {
                writeln!(out, "heartbeat slot {node}: {slot:?}").unwrap();
            }
        }
    }
    match volume.slot_map() {
        Ok(map) => {
            let occupied: Vec<String> = map.occupied().map(|(s, n)| format!("{s}={n}")).collect();
            writeln!(
                out,
                "slot map: {:?}, {} slots, occupied [{}]",
                map.format(),
                map.len(),
                occupied.join(", ")
            )
        }
        Err(e) => writeln!(out, "slot map: {e} [{e:?}]"),
    }
    .unwrap();
    out
}

/// Where the C tools live, if installed (`/sbin` is not always on a user's PATH).
pub fn c_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/sbin".into(), "/usr/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Runs a C tool and returns its output.
pub fn run(tool: &Path, args: &[&str]) -> Output {
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", tool.display()))
}

/// What `mounted.ocfs2 -d <device>` prints, according to our reader.
pub fn expected_quick<R: ReadAt>(device: &str, image: R) -> String {
    let found = quick_detect(&image).unwrap();
    let rows: Vec<(String, String, String, String)> = found
        .iter()
        .map(|q| {
            let stack = q.stack();
            let tail = format!(
                "{}  {}",
                ocfs2_disk::uuid_hex(&q.uuid()),
                q.label().to_string_lossy()
            );
            (
                stack.label().into(),
                stack.cluster().into(),
                flag(stack.global_heartbeat()),
                tail,
            )
        })
        .collect();
    table(device, &format!("{:<32}  Label", "UUID"), &rows)
}

/// What `mounted.ocfs2 -f <device>` prints on stdout and stderr, according to our reader.
pub fn expected_full<R: ReadAt>(device: &str, image: R) -> (String, String) {
    let Ok(volume) = Volume::open(image, OpenOptions::new().allow_heartbeat_device(true)) else {
        return (table(device, "Nodes", &[]), String::new());
    };
    let sb = volume.superblock();
    let stack = sb.stack();
    let (nodes, stderr) = if sb.is_heartbeat_device() {
        ("Heartbeat device".to_owned(), String::new())
    } else {
        match volume.slot_map() {
            Ok(map) => {
                let nodes: Vec<String> = map
                    .occupied()
                    .map(|(_, node)| {
                        if node < 255 {
                            node.to_string()
                        } else {
                            "Unknown".to_owned()
                        }
                    })
                    .collect();
                if nodes.is_empty() {
                    ("Not mounted".to_owned(), String::new())
                } else {
                    (nodes.join(", "), String::new())
                }
            }
            Err(e) => (String::new(), format!("Unknown: {e}  \n")),
        }
    };
    let row = (
        stack.label().into(),
        stack.cluster().into(),
        flag(stack.global_heartbeat()),
        nodes,
    );
    let mut stdout = table(device, "Nodes", &[row]);
    if !stderr.is_empty() {
        // The C tool prints the row prefix, then the error on stderr, then the newline on
        // stderr too.
        stdout.pop();
    }
    (stdout, stderr)
}

fn flag(global: bool) -> String {
    if global { "G" } else { " " }.to_owned()
}

fn table(device: &str, last_header: &str, rows: &[(String, String, String, String)]) -> String {
    let w1 = if rows.is_empty() {
        7
    } else {
        device.len().max(7)
    };
    let w2 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(7);
    let mut out = format!(
        "{:<w1$}  {:<5}  {:<w2$}  F  {last_header}\n",
        "Device", "Stack", "Cluster"
    );
    for (stack, cluster, flag, tail) in rows {
        writeln!(
            out,
            "{device:<w1$}  {stack:<5}  {cluster:<w2$}  {flag}  {tail}"
        )
        .unwrap();
    }
    out
}
