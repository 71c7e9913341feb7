//! `mounted.ocfs2` as a user sees it, against a temporary system root (`O2CB_SYSROOT`):
//! the usage text, node names from a running cluster's configfs, the device scan. Snapshots
//! hold the exact output.

use std::path::Path;
use std::process::{Command, Output};

use ocfs2_disk::image::{variants, ClusterStack, ImageBuilder};

fn ours() -> &'static str {
    env!("CARGO_BIN_EXE_mounted_ocfs2")
}

fn run(root: Option<&Path>, args: &[&str]) -> Output {
    run_in(None, root, args)
}

fn run_in(cwd: Option<&Path>, root: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(ours());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    cmd.args(args);
    match root {
        Some(r) => cmd.env("O2CB_SYSROOT", r),
        None => cmd.env_remove("O2CB_SYSROOT"),
    };
    cmd.output().unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn no_arguments_at_all_print_the_usage_with_argv0_as_typed() {
    let out = run(None, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replace(ours(), "<argv0>");
    insta::assert_snapshot!(text);
    assert!(out.stderr.is_empty());
}

#[test]
fn unknown_options_are_complained_about_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.img");
    std::fs::write(&path, ImageBuilder::new().build().unwrap().bytes).unwrap();
    let out = run_in(
        Some(dir.path()),
        None,
        &["-x", "-d", "x.img", "ignored.img"],
    );
    let text = show(&out).replace(ours(), "<argv0>");
    insta::assert_snapshot!(text);
}

/// A system root whose configfs has cluster `web` with nodes alpha (3), beta (12) and a
/// node whose `num` cannot be read, and whose /dev holds the images.
fn root_with_cluster() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let nodes = root.path().join("sys/kernel/config/cluster/web/node");
    for (name, num) in [("alpha", Some("3")), ("beta", Some("12")), ("gamma", None)] {
        let n = nodes.join(name);
        std::fs::create_dir_all(&n).unwrap();
        if let Some(num) = num {
            std::fs::write(n.join("num"), format!("{num}\n")).unwrap();
        }
    }
    let dev = root.path().join("dev");
    std::fs::create_dir_all(&dev).unwrap();
    root
}

#[test]
fn full_detect_names_the_nodes_of_the_running_cluster() {
    let root = root_with_cluster();
    let dev = root.path().join("dev");
    for (name, builder) in variants() {
        std::fs::write(dev.join(name), builder.build().unwrap().bytes).unwrap();
    }
    std::fs::write(
        dev.join("zz_every_node"),
        ImageBuilder::new()
            .stack(ClusterStack::O2cb {
                cluster: b"web".to_vec(),
                global_heartbeat: false,
            })
            .slot(0, 12)
            .slot(1, 0)
            .slot(2, 3)
            .slot(3, 255)
            .build()
            .unwrap()
            .bytes,
    )
    .unwrap();
    let shown = |out: &Output| show(out);
    let full = run(Some(root.path()), &["-f"]);
    insta::assert_snapshot!("scan_full", shown(&full));
    let quick = run(Some(root.path()), &["-d"]);
    insta::assert_snapshot!("scan_quick", shown(&quick));
    // Without a registered cluster: numbers.
    std::fs::remove_dir_all(root.path().join("sys/kernel/config/cluster/web")).unwrap();
    let bare = run_in(Some(&dev), Some(root.path()), &["-f", "zz_every_node"]);
    insta::assert_snapshot!("numbers_without_cluster", shown(&bare));
}

#[test]
fn json_has_the_rows_with_slots_numbers_and_names() {
    let root = root_with_cluster();
    let dev = root.path().join("dev");
    let o2cb = |cluster: &[u8], global| ClusterStack::O2cb {
        cluster: cluster.to_vec(),
        global_heartbeat: global,
    };
    let images = [
        (
            "a_mounted",
            ImageBuilder::new()
                .stack(o2cb(b"web", false))
                .label("data")
                .uuid([0xA1; 16])
                .slot(0, 12)
                .slot(2, 3)
                .slot(3, 77),
        ),
        (
            "b_idle",
            ImageBuilder::new()
                .stack(o2cb(b"web", true))
                .uuid([0xB2; 16]),
        ),
        (
            "c_local",
            ImageBuilder::new()
                .stack(ClusterStack::Local)
                .label("scratch")
                .uuid([0xC3; 16]),
        ),
        (
            "d_hbdev",
            ImageBuilder::new()
                .heartbeat_device(true)
                .stack(o2cb(b"web", true))
                .max_slots(0)
                .uuid([0xD4; 16]),
        ),
    ];
    for (name, builder) in images {
        std::fs::write(dev.join(name), builder.build().unwrap().bytes).unwrap();
    }
    let full = run(Some(root.path()), &["-f", "--json"]);
    let quick = run(Some(root.path()), &["--json"]);
    for out in [&full, &quick] {
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stderr.is_empty(), "{}", show(out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["schema"], 1);
    }
    insta::assert_snapshot!("json_full", String::from_utf8(full.stdout).unwrap());
    insta::assert_snapshot!("json_quick", String::from_utf8(quick.stdout).unwrap());
}
