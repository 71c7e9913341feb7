//! Values cluster.conf cannot carry, given to `o2cb_ctl`: refused with the reason and
//! EINVAL (exit 234, as for its other refused values), the file left as it was (issue 11,
//! item 2). The C `o2cb_ctl` wrote them: `-H -a name=q\` turned the backslash into a line
//! continuation and, on a file in canonical form, lost every node stanza of the cluster.

use std::path::Path;
use std::process::Command;

const START: &[u8] = b"cluster:\n\tname = web\n\theartbeat_mode = local\n\tnode_count = 1\n\nnode:\n\tcluster = web\n\tnumber = 1\n\tip_port = 7777\n\tip_address = 10.0.0.1\n\tname = n1\n\n";

/// Runs `o2cb_ctl ARGS` with a scratch system root holding `START` as its cluster.conf;
/// returns the exit status, stderr and the file afterwards.
fn o2cb_ctl(args: &[&str]) -> (i32, String, Vec<u8>) {
    let root = tempfile::tempdir().unwrap();
    let conf = root.path().join("etc/ocfs2/cluster.conf");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::write(&conf, START).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_o2cb_ctl"))
        .args(args)
        .env("O2CB_SYSROOT", root.path())
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let file = std::fs::read(Path::new(&conf)).unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        file,
    )
}

#[test]
fn values_the_file_cannot_carry_are_refused_with_einval() {
    let einval = 256 - 22;
    for (args, shown) in [
        (&["-C", "-n", "x\\", "-t", "cluster"][..], "name = x\\\\"),
        (
            &["-H", "-n", "web", "-t", "cluster", "-a", "name=q\\"],
            "name = q\\\\",
        ),
        (
            &[
                "-C",
                "-n",
                "a\\",
                "-t",
                "node",
                "-a",
                "number=3",
                "-a",
                "ip_address=10.0.0.3",
                "-a",
                "ip_port=7777",
                "-a",
                "cluster=web",
            ],
            "name = a\\\\",
        ),
        (&["-C", "-n", "a\nb", "-t", "cluster"], "name = a\\nb"),
    ] {
        let (status, stderr, file) = o2cb_ctl(args);
        assert_eq!(status, einval, "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("o2cb_ctl: cannot write `{shown}`: the value ")),
            "{args:?}: {stderr}"
        );
        assert_eq!(file, START, "{args:?}: file touched");
    }
}

/// A leading blank is not a problem: it is written as the C tool writes it (` lead`), and
/// read back without it.
#[test]
fn a_leading_blank_is_written_as_given() {
    let (status, stderr, file) = o2cb_ctl(&["-C", "-n", " lead", "-t", "cluster"]);
    assert_eq!(status, 0, "{stderr}");
    let text = String::from_utf8(file).unwrap();
    assert!(text.contains("cluster:\n\tname =  lead\n"), "{text}");
    let doc = cluster_conf::Document::parse(text);
    assert_eq!(doc.config().clusters[1].name, "lead");
}
