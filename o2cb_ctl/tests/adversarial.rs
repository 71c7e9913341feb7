//! o2cb_ctl against files that are not what they seem (a temporary root, `O2CB_SYSROOT`).

use std::os::unix::fs::FileTypeExt;
use std::process::Command;

#[test]
fn cluster_conf_is_never_replaced_through_a_link_to_a_fifo() {
    let root = tempfile::tempdir().unwrap();
    let r = |p: &str| root.path().join(p);
    std::fs::create_dir_all(r("etc/ocfs2")).unwrap();
    let fifo = r("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    std::os::unix::fs::symlink(&fifo, r("etc/ocfs2/cluster.conf")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_o2cb_ctl"))
        .args(["-C", "-n", "web", "-t", "cluster"])
        .env("O2CB_SYSROOT", root.path())
        .output()
        .unwrap();
    // A file that cannot be read is o2cb_ctl's load failure: EIO, negated.
    assert_eq!(out.status.code(), Some(251), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a FIFO, not a regular file"), "{err}");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let mut names: Vec<_> = std::fs::read_dir(r("etc/ocfs2"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["cluster.conf"]);
}
