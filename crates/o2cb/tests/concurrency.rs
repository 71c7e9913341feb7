//! 32 `o2cb add-node` processes started together on one cluster.conf: the lock serialises
//! their read-modify-write cycles, so none loses another's node.
//!
//! After each round: all 32 nodes are there exactly once, `node_count` is 32, the file has
//! no problem at all, its comment survived, and the directory holds what
//! `o2cb_sys::conffile` documents: the file, its backup `cluster.conf.bak` (the version before
//! the last write: 31 of the nodes), the lock file `.cluster.conf.lock`, and no temporary
//! files.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Barrier};

use cluster_conf::Document;

const WRITERS: u32 = 32;
const ROUNDS: usize = 3;
const START: &[u8] = b"# shared by every node of C\ncluster:\n\tname = C\n\tnode_count = 0\n";

fn add_node(dir: &Path, n: u32) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_o2cb"))
        .arg("--config-file=cluster.conf")
        .args(["add-node", "--ip", &format!("10.0.0.{n}")])
        .args(["--number", &n.to_string(), "C", &format!("n{n}")])
        .current_dir(dir)
        .env("LC_ALL", "C")
        .output()
        .expect("run o2cb")
}

/// The nodes of cluster `C` as (name, number, address), sorted, and its node_count.
fn nodes_of_c(text: &[u8]) -> (Vec<(String, u32, String)>, u32) {
    let doc = Document::parse(text.to_vec());
    assert!(
        doc.diagnostics().is_empty(),
        "{}",
        doc.render_diagnostics("cluster.conf", |_| true)
    );
    let c = doc
        .config()
        .cluster(b"C")
        .expect("cluster C is still there");
    let mut nodes: Vec<_> = c
        .nodes
        .iter()
        .map(|n| (n.name.to_string(), n.number, n.ip_address.to_string()))
        .collect();
    nodes.sort();
    (nodes, c.node_count)
}

fn expected_node(n: u32) -> (String, u32, String) {
    (format!("n{n}"), n, format!("10.0.0.{n}"))
}

#[test]
fn concurrent_add_node_loses_no_node() {
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cluster.conf"), START).unwrap();
        let barrier = Arc::new(Barrier::new(WRITERS as usize));
        let writers: Vec<_> = (1..=WRITERS)
            .map(|n| {
                let barrier = Arc::clone(&barrier);
                let dir = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    barrier.wait();
                    add_node(&dir, n)
                })
            })
            .collect();
        for (n, writer) in (1..=WRITERS).zip(writers) {
            let out = writer.join().unwrap();
            // A writer that waited over a second for the lock says so (how long depends on
            // the machine's load); nothing else may be on stderr.
            let stderr = String::from_utf8_lossy(&out.stderr);
            let only_notices = stderr.lines().all(|l| {
                l.starts_with("o2cb: waiting for the lock ./.cluster.conf.lock, held by ")
            });
            assert!(
                out.status.success() && out.stdout.is_empty() && only_notices,
                "round {round}, add-node n{n}: {:?}\n{}",
                out.status,
                stderr
            );
        }

        let text = std::fs::read(dir.path().join("cluster.conf")).unwrap();
        let (nodes, count) = nodes_of_c(&text);
        let all: Vec<_> = {
            let mut v: Vec<_> = (1..=WRITERS).map(expected_node).collect();
            v.sort();
            v
        };
        assert_eq!(nodes, all, "round {round}: every node exactly once");
        assert_eq!(count, WRITERS, "round {round}");
        assert!(text.starts_with(b"# shared by every node of C\n"));

        // The backup is the version the last writer replaced: one node fewer.
        let backup = std::fs::read(dir.path().join("cluster.conf.bak")).unwrap();
        let (before_last, count) = nodes_of_c(&backup);
        assert_eq!(count, WRITERS - 1, "round {round}");
        assert_eq!(before_last.len(), WRITERS as usize - 1);
        assert!(before_last.iter().all(|n| all.contains(n)));

        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [".cluster.conf.lock", "cluster.conf", "cluster.conf.bak"],
            "round {round}: no temporary or staging files are left"
        );
    }
}
