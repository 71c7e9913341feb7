//! What `o2cb` says about how to call it, and what `o2cb check` reports, pinned as
//! snapshots: the global usage text, `-V`, an unknown command or option, every sub-command's
//! usage line, and `check` on broken, clean, warning-only and missing files.
//!
//! Each snapshot records the command line, stdout, stderr and exit status of one or more
//! runs of the real binary in a scratch directory (so paths in messages are relative and
//! stable).

mod common;

use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use common::{fixtures, reference, run_in, words};

/// Runs our `o2cb` with `args` in `dir` (no `--config-file` added), named `o2cb` in
/// `argv[0]` as when it is found on `PATH` (glibc's option complaints quote `argv[0]`).
fn o2cb(dir: &Path, args: &str) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_o2cb"))
        .arg0("o2cb")
        .args(words(args))
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("POSIXLY_CORRECT")
        .output()
        .expect("run o2cb");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().expect("o2cb exits, it is not killed"),
    )
}

/// `$ o2cb ARGS`, then stdout and stderr (each only when not empty), then the exit status.
fn transcript(dir: &Path, runs: &[&str]) -> String {
    let mut s = String::new();
    for args in runs {
        let (stdout, stderr, status) = o2cb(dir, args);
        let _ = writeln!(s, "$ o2cb {args}");
        if !stdout.is_empty() {
            let _ = write!(s, "[stdout]\n{stdout}");
        }
        if !stderr.is_empty() {
            let _ = write!(s, "[stderr]\n{stderr}");
        }
        let _ = writeln!(s, "[exit {status}]\n");
    }
    s
}

fn scratch(conf: Option<&[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(bytes) = conf {
        std::fs::write(dir.path().join("cluster.conf"), bytes).unwrap();
    }
    dir
}

#[test]
fn usage_text() {
    let dir = scratch(Some(b""));
    let (stdout, stderr, status) = o2cb(dir.path(), "-h");
    assert_eq!(stdout, "");
    assert_eq!(status, 1);
    insta::assert_snapshot!(stderr);
    // Every way of asking for it, or of calling the tool wrongly, prints the same text.
    for args in [
        "--help",
        "",
        "--config-file=cluster.conf",
        "-v -h",
        "-h list-clusters",
    ] {
        assert_eq!(
            o2cb(dir.path(), args),
            (String::new(), stderr.clone(), 1),
            "{args:?}"
        );
    }
}

/// The C tool, and a scratch directory with an empty cluster.conf; `None` (the test is
/// skipped) where the C tool is not installed.
fn c_tool_and_scratch() -> Option<(std::path::PathBuf, tempfile::TempDir)> {
    let Some(c) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return None;
    };
    Some((c, scratch(Some(b""))))
}

#[test]
fn usage_text_lists_the_reference_commands_exactly_as_the_c_tool() {
    let Some((c, dir)) = c_tool_and_scratch() else {
        return;
    };
    let theirs = run_in(&c, dir.path(), &words("-h"));
    let (_, ours, _) = o2cb(dir.path(), "-h");
    // Ours adds its own commands after the reference's list (and its blank line).
    let theirs = theirs.stderr_str();
    assert!(
        ours.starts_with(&theirs),
        "ours:\n{ours}\ntheirs:\n{theirs}"
    );
    assert!(ours[theirs.len()..].starts_with("Commands of this implementation:\n"));
}

#[test]
fn version_unknown_command_and_unknown_option() {
    let dir = scratch(Some(b""));
    let mut s = transcript(dir.path(), &["-V", "--version"]);
    // The usage text that follows these is the one pinned above; keep only what precedes it.
    for args in ["frobnicate", "-x list-clusters", "--config-file"] {
        let (stdout, stderr, status) = o2cb(dir.path(), args);
        let (before, usage) = stderr
            .split_once("usage: o2cb ")
            .expect("the usage text follows");
        assert!(usage.contains("The commands are:"));
        assert_eq!(stdout, "", "{args}");
        let _ = writeln!(
            s,
            "$ o2cb {args}\n[stderr before the usage text]\n{before}[exit {status}]\n"
        );
    }
    insta::assert_snapshot!(s);
}

/// Every command that takes arguments, called without them: `o2cb: usage: CMD USAGE`, exit 1,
/// and the file untouched.
#[test]
fn sub_command_usage_lines() {
    let dir = scratch(Some(b"cluster:\n\tname = c\n\tnode_count = 0\n"));
    let before = std::fs::read(dir.path().join("cluster.conf")).unwrap();
    let runs: Vec<String> = [
        "add-cluster",
        "remove-cluster",
        "remove-cluster ' '",
        "add-node",
        "add-node c",
        "add-node --ip 10.0.0.1 c",
        "add-node --port 77x c n",
        "add-node --number 1y c n",
        "add-node --bogus c n",
        "add-node c ' '",
        "remove-node",
        "remove-node c",
        "add-heartbeat",
        "add-heartbeat c",
        "add-heartbeat c ' '",
        "remove-heartbeat c",
        "heartbeat-mode",
        "heartbeat-mode c",
        "heartbeat-mode c Global",
        "list-cluster",
        "list-cluster --oneline",
        "list-cluster --online c",
        "list-nodes",
        "list-heartbeats",
    ]
    .iter()
    .map(|args| format!("--config-file=cluster.conf {args}"))
    .collect();
    let runs: Vec<&str> = runs.iter().map(String::as_str).collect();
    let s = transcript(dir.path(), &runs);
    assert_eq!(
        std::fs::read(dir.path().join("cluster.conf")).unwrap(),
        before
    );
    insta::assert_snapshot!(s);
}

/// The usage lines of the commands that take arguments are the C tool's, byte for byte.
#[test]
fn sub_command_usage_lines_match_the_c_tool() {
    let Some((c, dir)) = c_tool_and_scratch() else {
        return;
    };
    for command in [
        "add-cluster",
        "remove-cluster",
        "add-node",
        "remove-node",
        "add-heartbeat",
        "remove-heartbeat",
        "heartbeat-mode",
        "list-cluster",
        "list-nodes",
        "list-heartbeats",
    ] {
        let theirs = run_in(&c, dir.path(), &words(command));
        let (stdout, stderr, status) =
            o2cb(dir.path(), &format!("--config-file=cluster.conf {command}"));
        assert_eq!(
            (stdout.as_str(), stderr.as_str(), status),
            (
                theirs.stdout_str().as_str(),
                theirs.stderr_str().as_str(),
                theirs.status
            ),
            "{command}"
        );
    }
}

#[test]
fn check_reports_every_problem_of_a_broken_file() {
    let broken = b"# a file with one of everything\ncluster :\n\tname = a\n\tnode_count = 1\n\nnode:\n\tname = n1\n\tcluster = a\n\tnumber = 300\n\tip_address = 10.0.0.01\n\tip_port = 7777\n  # indented\n\nnodes:\n\tname = n2\n";
    let dir = scratch(Some(broken));
    std::fs::write(dir.path().join("other.conf"), b"cluster:\r\n\tname = a\r\n").unwrap();
    insta::assert_snapshot!(transcript(
        dir.path(),
        &[
            "--config-file=cluster.conf check",
            "check other.conf",
            // Loading for any other command refuses the file with the errors only.
            "--config-file=cluster.conf list-clusters",
        ]
    ));
}

/// A node stanza of cluster `a`.
fn node_of_a(name: &str, number: u32, ip: &str) -> String {
    format!("node:\n\tname = {name}\n\tcluster = a\n\tnumber = {number}\n\tip_address = {ip}\n\tip_port = 7777\n\n")
}

#[test]
fn check_reports_the_per_filesystem_relations_beside_syntax_errors() {
    const UUID: &str = "7A5B5E0D1A2B4C3D9E8F0011223344AA";
    let member = |node: &str, slot: &str| {
        format!("filesystem_node:\n\tfilesystem = {UUID}\n\tnode = {node}\n{slot}\n")
    };
    // An indented comment (a syntax error), then: two members pinned to one slot, more
    // members than slots, a member that is no node of the cluster (`n4`) and one whose
    // node stanza has an error (`n3`: its bad address is reported, its membership is not).
    let text = format!(
        "cluster:\n\tname = a\n\tnode_count = 3\n  # nodes below\n\n{}{}{}filesystem:\n\tuuid = {UUID}\n\tcluster = a\n\tslots = 2\n\n{}{}{}{}",
        node_of_a("n1", 1, "10.0.0.1"),
        node_of_a("n2", 2, "10.0.0.2"),
        node_of_a("n3", 3, "10.0.0.03"),
        member("n1", "\tslot = 0\n"),
        member("n2", "\tslot = 0\n"),
        member("n3", ""),
        member("n4", ""),
    );
    let dir = scratch(Some(text.as_bytes()));
    insta::assert_snapshot!(transcript(
        dir.path(),
        &["--config-file=cluster.conf check"]
    ));
}

#[test]
fn check_clean_warning_only_and_missing_files() {
    let dir = scratch(None);
    let valid = fixtures().join("valid");
    for name in [
        "example-a-canonical.conf",
        "duplicate-number-and-ip-accepted.conf",
        "with-filesystem-stanzas.conf",
    ] {
        std::fs::copy(valid.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(
        dir.path().join("extension-error.conf"),
        b"cluster:\n\tname = a\n\tnode_count = 0\n\nfilesystem:\n\tuuid = 42\n\tcluster = a\n",
    )
    .unwrap();
    insta::assert_snapshot!(transcript(
        dir.path(),
        &[
            "check example-a-canonical.conf",
            "-v check example-a-canonical.conf",
            "check duplicate-number-and-ip-accepted.conf",
            "check with-filesystem-stanzas.conf",
            "check extension-error.conf",
            // The classic commands still accept a file whose only errors are in the
            // per-filesystem stanzas, as the C tools (which ignore them) do.
            "--config-file=extension-error.conf list-clusters",
            "check missing.conf",
            "--config-file=missing.conf check",
        ]
    ));
}

/// 3 MB of bad lines made 190 MB of report (issue 11, item 8). `check` prints the first
/// problems, then how many more; `--all` prints every one. Loading for any other command
/// shows the first errors the same way.
#[test]
fn check_prints_the_first_problems_then_how_many_more() {
    let mut text = String::from("cluster:\n\tname = a\n\tnode_count = 0\n\n");
    for i in 0..3000 {
        text.push_str(&format!("-{i}\n"));
    }
    let dir = scratch(Some(text.as_bytes()));
    insta::assert_snapshot!(transcript(
        dir.path(),
        &[
            "check cluster.conf",
            "--config-file=cluster.conf list-clusters"
        ]
    ));
    let (stdout, stderr, status) = o2cb(dir.path(), "check --all cluster.conf");
    assert_eq!((status, stderr.as_str()), (1, ""));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.contains(": error: ")).count(),
        3000
    );
    assert_eq!(lines.last(), Some(&"cluster.conf: 3000 errors, 0 warnings"));
    assert!(!stdout.contains("not shown"));
}

/// Everything registration refuses about a name, `check` reports, with registration's
/// reason (issue 11, item 18): a name that is not UTF-8 was reported by neither, and then
/// refused by registration as containing `/`.
#[test]
fn check_reports_the_names_registration_refuses() {
    let mut text = b"cluster:\n\tname = web\n\tnode_count = 3\n\n".to_vec();
    for (n, name) in [&b"caf\xe9"[..], b"a/b", b".."].iter().enumerate() {
        text.extend_from_slice(
            format!("node:\n\tcluster = web\n\tnumber = {n}\n\tip_address = 10.0.0.{}\n\tip_port = 7777\n\tname = ", n + 1)
                .as_bytes(),
        );
        text.extend_from_slice(name);
        text.extend_from_slice(b"\n\n");
    }
    text.extend_from_slice(b"cluster:\n\tname =\n\tnode_count = 0\n");
    let dir = scratch(Some(&text));
    insta::assert_snapshot!(transcript(dir.path(), &["check cluster.conf"]));
}
