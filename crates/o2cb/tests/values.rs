//! Values cluster.conf cannot carry, given to `o2cb` commands that write them: ours against
//! Debian's C `o2cb`. The C tool writes them, and the file then means something else — a
//! node name that ends in a backslash swallows the next line (issue 11, item 2). Ours
//! refuses, with the reason, exit 1, and leaves the file as it was.

mod common;

use std::ffi::OsString;

use common::{classic_meaning, ours, reference, run_in, Run};

const START: &[u8] = b"cluster:\n\tname = web\n\theartbeat_mode = local\n\tnode_count = 2\n\nnode:\n\tcluster = web\n\tnumber = 1\n\tip_port = 7777\n\tip_address = 10.0.0.1\n\tname = n1\n\nnode:\n\tcluster = web\n\tnumber = 2\n\tip_port = 7777\n\tip_address = 10.0.0.2\n\tname = n2\n\n";

fn run(bin: &std::path::Path, args: &[&[u8]]) -> Run {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.conf"), START).unwrap();
    let args: Vec<OsString> = args
        .iter()
        .map(|a| std::ffi::OsStr::from_bytes(a).to_os_string())
        .collect();
    run_in(bin, dir.path(), &args)
}

/// Node names that end in an odd run of backslashes (after the trimming both tools do), and
/// one with a line feed.
#[test]
fn node_names_the_file_cannot_carry_are_refused_where_the_c_tool_corrupts_the_file() {
    let Some(c_bin) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return;
    };
    let cases: &[(&[u8], &str)] = &[
        (b"q\\ ", "ends in a backslash"),
        (b"a\\\\\\", "ends in a backslash"),
        (b"x\\\t", "ends in a backslash"),
        (b"b\nc", "contains a line feed"),
    ];
    for (name, reason) in cases {
        let args: [&[u8]; 6] = [b"add-node", b"--ip", b"10.0.0.3", b"--number", b"3", b"web"];
        let mut args = args.to_vec();
        args.push(name);
        let c = run(&c_bin, &args);
        let rs = run(&ours(), &args);
        let shown = String::from_utf8_lossy(name);
        assert_eq!(c.status, 0, "{shown:?}: the C tool accepts it");
        assert_eq!(rs.status, 1, "{shown:?}: {}", rs.stderr_str());
        assert!(
            rs.stderr_str().contains("cannot write `name = ") && rs.stderr_str().contains(reason),
            "{shown:?}: {}",
            rs.stderr_str()
        );
        assert_eq!(rs.file.as_deref(), Some(START), "{shown:?}: file touched");
        // What the C tool wrote does not hold the node as named: for the backslashes, the
        // line after the name became part of it.
        let theirs = cluster_conf::Document::parse(c.file.clone().unwrap());
        let wanted = cluster_conf::meaning(name.trim_ascii());
        let node = theirs.config().clusters[0]
            .nodes
            .iter()
            .find(|n| n.number == 3);
        if !name.contains(&b'\n') {
            assert!(
                node.is_none_or(|n| n.name != wanted),
                "{shown:?}: {}",
                String::from_utf8_lossy(&classic_meaning(c.file.as_deref().unwrap()))
            );
        }
    }
}

/// What the file can carry is accepted by both and means the same.
#[test]
fn node_names_the_file_can_carry_read_back_alike() {
    let Some(c_bin) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return;
    };
    for name in [
        &b"x\\\\"[..],
        b"a#b",
        b"a=b",
        b"a\\b",
        b"\xc3\xa9t\xc3\xa9",
        b" sp ",
        b"t\t",
    ] {
        let args: [&[u8]; 7] = [
            b"add-node",
            b"--ip",
            b"10.0.0.3",
            b"--number",
            b"3",
            b"web",
            name,
        ];
        let c = run(&c_bin, &args);
        let rs = run(&ours(), &args);
        let shown = String::from_utf8_lossy(name);
        assert_eq!(
            (rs.status, c.status),
            (0, 0),
            "{shown:?}: {}",
            rs.stderr_str()
        );
        assert_eq!(rs.file, c.file, "{shown:?}");
    }
}

/// Values only our commands write (the per-filesystem stanzas).
#[test]
fn labels_and_member_names_the_file_cannot_carry_are_refused() {
    let uuid = b"7A5B5E0D1A2B4C3D9E8F0011223344AA";
    let rs = run(
        &ours(),
        &[b"add-filesystem", b"--label", b"data\\", b"web", uuid],
    );
    assert_eq!(rs.status, 1, "{}", rs.stderr_str());
    assert!(
        rs.stderr_str().contains("cannot write `label = data\\\\`"),
        "{}",
        rs.stderr_str()
    );
    assert_eq!(rs.file.as_deref(), Some(START));
}
