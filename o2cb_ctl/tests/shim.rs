//! The LD_PRELOAD shim (`tests/support/sysroot_shim.c`) that lets the differential tests run
//! the C `o2cb_ctl` against a fake system root. These tests prove that it redirects: the C
//! tool reads a sentinel file from the fake root and writes its result there; under strace
//! no system call of the C tool names the real `/etc/ocfs2`, `/sys/fs/ocfs2`,
//! `/sys/fs/o2cb`, `/sys/kernel/config` or `/config`; the real `/etc/ocfs2` is the same
//! before and after; a run without a root is refused rather than reaching the real paths;
//! `statfs`/`fstatfs` of the fake configfs report configfs's magic; `/sbin/modprobe` runs
//! the root's own modprobe (or `/bin/true`). The shim's redirection log of one `-C` is a
//! snapshot: it is the list of what the C tool touches.

mod support;

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{reference, skip, words, FakeRoot};

/// Names, sizes and modification times of everything in a directory (recursively): what a
/// test must leave exactly as it found it. The directory's own entry is left out: the C
/// `o2cb` of other tests running beside these creates `/etc/ocfs2` when it is missing (a
/// `mkdir` of it by the shimmed C tool is caught by the strace test instead).
fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, u64, i64, i64)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if let Ok(meta) = e.metadata() {
                out.push((e.path(), meta.size(), meta.mtime(), meta.mtime_nsec()));
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(snapshot_dir(&e.path()));
            }
        }
    }
    out.sort();
    out
}

const SENTINEL: &[u8] =
    b"cluster:\n\tname = sentinel\n\theartbeat_mode = local\n\tnode_count = 0\n\n";

#[test]
fn the_c_tool_reads_and_writes_the_fake_root_only() {
    let Some(reference) = reference() else { return };
    let real = snapshot_dir(Path::new("/etc/ocfs2"));
    let root = FakeRoot::new(Some(SENTINEL));
    let listed = root.c(&reference, &words("-I -o -t cluster"));
    assert_eq!(listed.status, 0, "{}", listed.stderr_str());
    assert_eq!(
        listed.stdout_str(),
        "#name:count:status\nsentinel:0:configured\n"
    );
    let created = root.c(&reference, &words("-C -n added -t cluster"));
    assert_eq!(created.status, 0, "{}", created.stderr_str());
    assert_eq!(
        String::from_utf8(root.conf().unwrap()).unwrap(),
        "cluster:\n\tname = sentinel\n\theartbeat_mode = local\n\tnode_count = 0\n\n\
         cluster:\n\tname = added\n\theartbeat_mode = local\n\tnode_count = 0\n\n"
    );
    // The temporary file went where the file is, and was renamed over it.
    assert_eq!(root.etc_files(), ["cluster.conf"]);
    assert_eq!(snapshot_dir(Path::new("/etc/ocfs2")), real);
}

#[test]
fn the_redirection_log_of_a_create_lists_every_path_the_c_tool_touches() {
    let Some(reference) = reference() else { return };
    let root = FakeRoot::new(Some(SENTINEL));
    let log = root.join("shim.log");
    let output = Command::new(&reference.0)
        .args(words("-C -n added -t cluster"))
        .env("LD_PRELOAD", &reference.1)
        .env("O2CB_SHIM_ROOT", root.path())
        .env("O2CB_SHIM_LOG", &log)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&log)
        .unwrap()
        .replace(&root.path().display().to_string(), "<root>");
    insta::assert_snapshot!(mask_temp_names(&text));
}

/// mkstemp's six random letters after `cluster.conf` vary from run to run.
fn mask_temp_names(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("cluster.conf") {
        let (head, tail) = rest.split_at(i + "cluster.conf".len());
        out.push_str(head);
        let suffix: String = tail.chars().take(6).collect();
        let ends = tail[suffix.len()..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\n');
        if suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric()) && ends {
            out.push_str("??????");
            rest = &tail[6..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Every path-taking system call of the C tool, as strace shows them, stays under the root.
#[test]
fn strace_shows_no_system_call_on_the_real_paths() {
    let Some(reference) = reference() else { return };
    if Command::new("strace").arg("-V").output().is_err() {
        skip("the shim's strace check needs strace");
        return;
    }
    let protected = [
        "\"/etc/ocfs2",
        "\"/sys/fs/ocfs2",
        "\"/sys/fs/o2cb",
        "\"/sys/o2cb",
        "\"/proc/fs/ocfs2_nodemanager",
        "\"/sys/kernel/config",
        "\"/config",
        "\"/sbin/modprobe",
    ];
    for (line, start) in [
        ("-I -t node", Some(SENTINEL)),
        ("-C -n added -t cluster", Some(SENTINEL)),
        ("-C -n first -t cluster", None),
        ("-H -n sentinel -t cluster -a name=renamed", Some(SENTINEL)),
    ] {
        let root = FakeRoot::new(start);
        // Without a stack label libo2cb loads modules: that path is traced too.
        std::fs::remove_file(root.join("sys/fs/ocfs2/cluster_stack")).unwrap();
        let trace = root.join("strace.log");
        let output = Command::new("strace")
            .arg("-f")
            .arg("-o")
            .arg(&trace)
            .arg("-e")
            .arg("trace=%file,%process,%desc")
            .arg("-E")
            .arg(format!("LD_PRELOAD={}", reference.1.display()))
            .arg("-E")
            .arg(format!("O2CB_SHIM_ROOT={}", root.path().display()))
            .arg(&reference.0)
            .args(words(line))
            .output()
            .unwrap();
        assert!(output.status.success(), "{line}: {output:?}");
        let log = std::fs::read_to_string(&trace).unwrap();
        let root_text = root.path().display().to_string();
        assert!(
            log.contains(&format!("\"{root_text}/etc/ocfs2/cluster.conf\"")),
            "{line}: the trace shows no access to the fake cluster.conf:\n{log}"
        );
        for l in log.lines() {
            // An exec's argument vector keeps `/sbin/modprobe` as argv[0]; only its path
            // counts.
            let paths = match l.find("execve(") {
                Some(_) => l.split(", [").next().unwrap(),
                None => l,
            };
            for p in protected {
                assert!(!paths.contains(p), "{line}: reached a real path: {l}");
            }
        }
    }
}

/// A run that forgot `O2CB_SHIM_ROOT` is refused at the protected paths, never sent to the
/// real ones.
#[test]
fn without_a_root_the_protected_paths_are_refused() {
    let Some(reference) = reference() else { return };
    let real = snapshot_dir(Path::new("/etc/ocfs2"));
    let cat = Command::new("cat")
        .arg("/etc/ocfs2/cluster.conf")
        .env("LD_PRELOAD", &reference.1)
        .env_remove("O2CB_SHIM_ROOT")
        .output()
        .unwrap();
    assert!(!cat.status.success());
    assert_eq!(
        String::from_utf8_lossy(&cat.stderr),
        "cat: /etc/ocfs2/cluster.conf: Permission denied\n"
    );
    let c = Command::new(&reference.0)
        .args(words("-C -n x -t cluster"))
        .env("LD_PRELOAD", &reference.1)
        .env_remove("O2CB_SHIM_ROOT")
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(234), "{c:?}");
    assert!(c.stdout.is_empty());
    assert_eq!(snapshot_dir(Path::new("/etc/ocfs2")), real);
}

const PROBE: &str = r#"
#include <fcntl.h>
#include <stdio.h>
#include <sys/statfs.h>
int main(int argc, char **argv)
{
	struct statfs a, b;
	int fd;
	for (int i = 1; i < argc; i++) {
		fd = open(argv[i], O_RDONLY);
		if (statfs(argv[i], &a) != 0 || fd < 0 || fstatfs(fd, &b) != 0) {
			printf("%s: error\n", argv[i]);
			continue;
		}
		printf("%s: statfs %s fstatfs %s\n", argv[i],
		       a.f_type == 0x62656570 ? "configfs" : "other",
		       b.f_type == 0x62656570 ? "configfs" : "other");
	}
	return 0;
}
"#;

#[test]
fn the_fake_configfs_reports_the_configfs_magic() {
    let Some(reference) = reference() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let source = dir.join(format!("statfs-probe-{}.c", std::process::id()));
    let probe = dir.join(format!("statfs-probe-{}", std::process::id()));
    std::fs::write(&source, PROBE).unwrap();
    let built = Command::new("gcc")
        .args(["-std=gnu11", "-Wall", "-Werror", "-o"])
        .arg(&probe)
        .arg(&source)
        .status()
        .unwrap();
    assert!(built.success());
    let root = FakeRoot::new(None);
    root.mkdir("config/cluster");
    let out = Command::new(&probe)
        .args([
            "/sys/kernel/config",
            "/sys/kernel/config/cluster",
            "/config",
            "/etc/ocfs2",
            "/sys/fs/ocfs2",
            "/",
        ])
        .env("LD_PRELOAD", &reference.1)
        .env("O2CB_SHIM_ROOT", root.path())
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout), @r"
    /sys/kernel/config: statfs configfs fstatfs configfs
    /sys/kernel/config/cluster: statfs configfs fstatfs configfs
    /config: statfs configfs fstatfs configfs
    /etc/ocfs2: statfs other fstatfs other
    /sys/fs/ocfs2: statfs other fstatfs other
    /: statfs other fstatfs other
    ");
    let _ = std::fs::remove_file(source);
    let _ = std::fs::remove_file(probe);
}

/// With no stack label the C tool loads the modules itself: it runs the root's modprobe
/// (here one that logs), then writes the label into the fake sysfs. Without a modprobe in
/// the root it runs `/bin/true`, and prints its answer once (no fork loop).
#[test]
fn module_loading_runs_the_roots_modprobe_or_nothing() {
    let Some(reference) = reference() else { return };
    let root = FakeRoot::new(Some(SENTINEL));
    std::fs::remove_file(root.join("sys/fs/ocfs2/cluster_stack")).unwrap();
    root.logging_modprobe();
    let args: Vec<OsString> = words("-I -o -t cluster");
    let run = root.c(&reference, &args);
    assert_eq!(run.status, 0, "{}", run.stderr_str());
    assert_eq!(
        String::from_utf8(root.read("modprobe.log").unwrap()).unwrap(),
        "ocfs2 -q\nocfs2_stack_o2cb -q\n"
    );
    assert_eq!(root.read("sys/fs/ocfs2/cluster_stack").unwrap(), b"o2cb");

    let root = FakeRoot::new(Some(SENTINEL));
    std::fs::remove_file(root.join("sys/fs/ocfs2/cluster_stack")).unwrap();
    let run = root.c(&reference, &args);
    assert_eq!(run.status, 0, "{}", run.stderr_str());
    assert_eq!(
        run.stdout_str(),
        "#name:count:status\nsentinel:0:configured\n"
    );
}
