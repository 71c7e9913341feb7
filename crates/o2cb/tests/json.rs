//! `--json` outputs: their schemas are a contract (docs/json.md), pinned here.

use std::process::Command;

fn run(bin: &str, args: &[&str], root: Option<&std::path::Path>) -> (i32, String) {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    if let Some(r) = root {
        cmd.env("O2CB_SYSROOT", r);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn fixture(name: &str) -> String {
    format!(
        "--config-file={}/../../cluster-conf/tests/fixtures/valid/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn list_commands_as_json() {
    let o2cb = env!("CARGO_BIN_EXE_o2cb");
    let conf = fixture("example-c-global.conf");
    let (status, clusters) = run(o2cb, &[&conf, "list-clusters", "--json"], None);
    assert_eq!(status, 0);
    insta::assert_snapshot!("list-clusters", clusters);
    for cmd in ["list-cluster", "list-nodes", "list-heartbeats"] {
        let (status, out) = run(o2cb, &[&conf, cmd, "--json", "webcluster"], None);
        assert_eq!(status, 0, "{cmd}");
        insta::assert_snapshot!(cmd, out);
        // Valid JSON, with the schema version.
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["schema"], 1);
    }
}

/// A registered cluster under a temporary root, as configfs shows it.
fn registered_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
    let host = host.trim();
    let write = |p: &str, c: &str| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    };
    let c = "sys/kernel/config/cluster/web";
    for (name, num, ip, local) in [(host, "0", "10.0.0.1", "1"), ("peer", "1", "10.0.0.2", "0")] {
        write(&format!("{c}/node/{name}/num"), num);
        write(&format!("{c}/node/{name}/ipv4_address"), ip);
        write(&format!("{c}/node/{name}/ipv4_port"), "7777");
        write(&format!("{c}/node/{name}/local"), local);
    }
    write(&format!("{c}/heartbeat/mode"), "global\n");
    write(&format!("{c}/heartbeat/dead_threshold"), "31\n");
    for (r, dev) in [
        ("77D95EF51C0149D2823674FCC162CF8B", "sdb"),
        ("DCDA2845177F4D59A0F2DCD8DE507CC3", "sdc"),
    ] {
        write(&format!("{c}/heartbeat/{r}/dev"), dev);
        write(&format!("{c}/heartbeat/{r}/pid"), "4242");
        write(&format!("{c}/heartbeat/{r}/block_bytes"), "512");
        write(&format!("{c}/heartbeat/{r}/start_block"), "2184");
        write(&format!("{c}/heartbeat/{r}/blocks"), "255");
    }
    write(&format!("{c}/idle_timeout_ms"), "30000");
    write(&format!("{c}/keepalive_delay_ms"), "2000");
    write(&format!("{c}/reconnect_delay_ms"), "2000");
    write("sys/fs/o2cb/interface_revision", "5\n");
    write("sys/fs/ocfs2/cluster_stack", "o2cb\n");
    write("sys/fs/ocfs2/loaded_cluster_plugins", "o2cb\n");
    write("proc/filesystems", "nodev\tconfigfs\nnodev\tocfs2_dlmfs\n");
    write(
        "proc/mounts",
        "configfs /sys/kernel/config configfs rw 0 0\nocfs2_dlmfs /dlm ocfs2_dlmfs rw 0 0\ndebugfs /sys/kernel/debug debugfs rw 0 0\n",
    );
    write("sys/kernel/debug/o2hb/livenodes", "0 1\n");
    write(
        "etc/default/o2cb",
        "O2CB_ENABLED=true\nO2CB_BOOTCLUSTER=web\n",
    );
    dir
}

#[test]
fn status_as_json() {
    let root = registered_root();
    let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
    let clean = |s: String| s.replace(&format!("\"{}\"", host.trim()), "\"<host>\"");
    let o2cb = env!("CARGO_BIN_EXE_o2cb");
    let (status, out) = run(
        o2cb,
        &["--config-file=/dev/null", "cluster-status", "--json"],
        Some(root.path()),
    );
    assert_eq!(status, 0);
    insta::assert_snapshot!("cluster-status", clean(out));
    let (status, out) = run(
        o2cb,
        &[
            "--config-file=/dev/null",
            "cluster-status",
            "--json",
            "other",
        ],
        Some(root.path()),
    );
    assert_eq!(status, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["online"], false);
    let (status, out) = run(
        env!("CARGO_BIN_EXE_o2cb_init"),
        &["status", "--json"],
        Some(root.path()),
    );
    assert_eq!(status, 0);
    insta::assert_snapshot!("o2cb.init-status", clean(out));
}
