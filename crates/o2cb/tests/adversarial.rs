//! The configuration files as an attacker or a careless admin leaves them: links to devices,
//! FIFOs and directories, read-only directories, writers killed mid-edit, a lock that is never
//! released. Each case must end with a clear error (or success where nothing changes), the
//! right exit status, and everything as it was.

mod common;

use std::ffi::OsString;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{ours, reference, run_in, Run};

const CONF: &str = "cluster:\n\tname = web\n\theartbeat_mode = local\n\tnode_count = 0\n\n";

fn args(line: &str) -> Vec<OsString> {
    common::words(line)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The kinds of file that are not regular, made in `dir` (a private character device with
/// /dev/null's numbers when we may make one).
fn not_regular(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut v = Vec::new();
    let fifo = dir.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    v.push((fifo, "a FIFO"));
    let d = dir.join("directory");
    std::fs::create_dir(&d).unwrap();
    v.push((d, "a directory"));
    let null = dir.join("null");
    if nix::sys::stat::mknod(
        &null,
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        nix::sys::stat::makedev(1, 3),
    )
    .is_ok()
    {
        v.push((null, "a character device"));
    }
    v
}

/// What a path is now: its type and, for a regular file, its bytes.
fn state(path: &Path) -> String {
    match std::fs::symlink_metadata(path) {
        Err(_) => "absent".into(),
        Ok(m) if m.file_type().is_char_device() => "char device".into(),
        Ok(m) if m.file_type().is_fifo() => "fifo".into(),
        Ok(m) if m.is_dir() => format!("dir {:?}", names(path)),
        Ok(m) if m.file_type().is_symlink() => {
            format!("link -> {}", std::fs::read_link(path).unwrap().display())
        }
        Ok(_) => format!(
            "file {:?}",
            String::from_utf8_lossy(&std::fs::read(path).unwrap())
        ),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Runs our `o2cb --config-file=cluster.conf ARGS` in `dir` without reading the file
/// afterwards (reading a FIFO would block the test): (status, stderr).
fn run_blind(dir: &Path, line: &str) -> (i32, String) {
    let out = Command::new(ours())
        .arg("--config-file=cluster.conf")
        .args(args(line))
        .current_dir(dir)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn redact(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "[DIR]")
}

#[test]
fn an_edit_through_a_link_to_anything_but_a_regular_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut messages = String::new();
    for (target, kind) in not_regular(dir.path()) {
        let link = dir.path().join("cluster.conf");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let before: Vec<String> = names(dir.path())
            .iter()
            .map(|n| state(&dir.path().join(n)))
            .collect();
        for line in [
            "add-cluster other",
            "add-node --ip 10.0.0.1 --number 1 web n1",
        ] {
            let (status, stderr) = run_blind(dir.path(), line);
            assert_eq!(status, 1, "{line} on {kind}: {stderr}");
            let after: Vec<String> = names(dir.path())
                .iter()
                .map(|n| state(&dir.path().join(n)))
                .collect();
            assert_eq!(before, after, "{line} on {kind} changed something");
            if line.starts_with("add-cluster") {
                messages.push_str(&redact(&stderr, dir.path()));
            }
        }
    }
    insta::assert_snapshot!(messages);
}

#[test]
fn the_settings_file_is_never_replaced_through_a_link_to_a_fifo() {
    let root = tempfile::tempdir().unwrap();
    let r = |p: &str| root.path().join(p);
    std::fs::create_dir_all(r("etc/default")).unwrap();
    let fifo = r("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    std::os::unix::fs::symlink(&fifo, r("etc/default/o2cb")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_o2cb_init"))
        .args(["configure", "--enable", "--cluster", "web"])
        .env("O2CB_SYSROOT", root.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a FIFO, not a regular file"), "{err}");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(names(&r("etc/default")), ["o2cb"]);
    assert_eq!(names(root.path()), ["etc", "fifo"]);
}

#[test]
fn reading_through_a_link_to_a_fifo_fails_at_once_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    std::os::unix::fs::symlink(&fifo, dir.path().join("cluster.conf")).unwrap();
    let (status, stderr) = run_blind(dir.path(), "list-clusters");
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("is a FIFO, not a regular file"), "{stderr}");
}

#[test]
fn a_directory_as_config_file_reads_as_empty_as_in_c() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("cluster.conf")).unwrap();
    let mut tools = vec![ours()];
    tools.extend(reference("o2cb"));
    let runs: Vec<Run> = tools
        .iter()
        .map(|t| run_in(t, dir.path(), &args("list-clusters")))
        .collect();
    for r in &runs {
        assert_eq!(
            (r.status, r.stdout_str()),
            (0, String::new()),
            "{}",
            r.stderr_str()
        );
    }
    // An edit cannot replace a directory: refused, the directory left as it is.
    let run = run_in(&ours(), dir.path(), &args("add-cluster web"));
    assert_eq!(run.status, 1);
    assert!(run
        .stderr_str()
        .contains("is a directory, not a regular file"));
    assert_eq!(names(dir.path()), ["cluster.conf"]);
}

/// Runs `o2cb ARGS` in `dir` as user `nobody` (as root) so that the directory cannot be
/// written; `None` when this machine cannot switch users.
fn run_as_nobody(bin: &Path, dir: &Path, line: &str) -> Option<Run> {
    if !is_root() {
        return None;
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin)
        .arg("--config-file=cluster.conf")
        .args(args(line))
        .current_dir(dir)
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    Some(Run {
        stdout: out.stdout,
        stderr: out.stderr,
        status: out.status.code().unwrap_or(-1),
        file: std::fs::read(dir.join("cluster.conf")).ok(),
    })
}

fn read_only_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.conf"), CONF).unwrap();
    // Readable and searchable by everyone, writable by its owner (root) only.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn edits_that_change_nothing_need_no_write_access_as_in_c() {
    let dir = read_only_dir();
    let cases = [
        ("add-cluster web", 0),
        ("list-clusters", 0),
        ("add-cluster other", 1),
        ("add-node --ip 10.0.0.1 web n1", 1),
    ];
    let mut checked = 0;
    for (line, expected) in cases {
        let Some(ours) = run_as_nobody(&ours(), dir.path(), line) else {
            eprintln!("not root: the user cannot be switched, skipped");
            return;
        };
        assert_eq!(ours.status, expected, "{line}: {}", ours.stderr_str());
        if let Some(c) = reference("o2cb").and_then(|c| run_as_nobody(&c, dir.path(), line)) {
            assert_eq!((c.status, &c.stdout), (ours.status, &ours.stdout), "{line}");
            checked += 1;
        }
        if expected != 0 {
            assert!(
                ours.stderr_str().contains("Permission denied"),
                "{}",
                ours.stderr_str()
            );
        }
        assert_eq!(ours.file.as_deref(), Some(CONF.as_bytes()));
        assert_eq!(
            names(dir.path()),
            ["cluster.conf"],
            "{line} left files behind"
        );
    }
    eprintln!("{checked} cases compared with the C tool");
}

#[test]
fn on_a_read_only_file_system_a_change_fails_and_a_no_op_succeeds() {
    let dir = read_only_dir();
    let ours = ours();
    // A private mount namespace with the directory bound read-only over itself.
    let script = format!(
        "mount --bind {d} {d} && mount -o remount,bind,ro {d} && cd {d} && \
         {o} --config-file=cluster.conf add-cluster web; echo \"status $?\"; \
         {o} --config-file=cluster.conf add-cluster other; echo \"status $?\"",
        d = dir.path().display(),
        o = ours.display()
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .unwrap();
    if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains("status") {
        eprintln!("cannot make a read-only mount here, skipped: {out:?}");
        return;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "status 0\nstatus 1\n", "{stderr}");
    assert!(stderr.contains("Cluster 'web' already exists"), "{stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.path().join("cluster.conf")).unwrap(),
        CONF.as_bytes()
    );
}

#[test]
fn writers_killed_at_any_moment_leave_no_debris_after_the_next_edit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.conf"), CONF).unwrap();
    let mut seen_debris = 0;
    for i in 0..300u32 {
        let n = i % 200 + 1;
        let mut child = Command::new(ours())
            .arg("--config-file=cluster.conf")
            .args([
                "add-node",
                "--ip",
                &format!("10.0.{}.{}", n / 250, n % 250 + 1),
            ])
            .args(["--number", &(n % 250).to_string(), "web", &format!("n{i}")])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over a run's life (a run takes a few milliseconds).
        std::thread::sleep(Duration::from_micros(u64::from((i * 7919) % 4000)));
        let _ = child.kill();
        let _ = child.wait();
        if names(dir.path())
            .iter()
            .any(|n| n.contains(".new-") || n.contains(".bak."))
        {
            seen_debris += 1;
            // The next edit (which changes nothing) removes what the dead writer left.
            let run = run_in(&ours(), dir.path(), &args("add-cluster web"));
            assert_eq!(run.status, 0, "{}", run.stderr_str());
            let left = names(dir.path());
            assert!(
                left.iter()
                    .all(|n| !n.contains(".new-") && !n.contains(".bak.")),
                "{left:?}"
            );
        }
        // Never torn: the file always parses.
        let text = std::fs::read(dir.path().join("cluster.conf")).unwrap();
        let doc = cluster_conf::Document::parse(text);
        assert!(
            !doc.has_classic_errors(),
            "{}",
            doc.render_diagnostics("cluster.conf", |_| true)
        );
    }
    eprintln!("300 kills, {seen_debris} left debris behind, all removed by the next edit");
}

#[test]
fn a_stuck_lock_holder_is_named_and_the_edit_gives_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.conf"), CONF).unwrap();
    let lock = dir.path().join(".cluster.conf.lock");
    let mut holder = Command::new("flock")
        .arg(&lock)
        .args(["sleep", "120"])
        .spawn()
        .unwrap();
    // Wait until flock has the lock.
    for _ in 0..500 {
        if std::fs::read_to_string("/proc/locks")
            .unwrap()
            .contains(&format!(" {} ", holder.id()))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = Command::new(ours())
        .args(["--config-file=cluster.conf", "add-cluster", "other"])
        .current_dir(dir.path())
        .env("O2CB_LOCK_TIMEOUT", "2")
        .output()
        .unwrap();
    let _ = holder.kill();
    let _ = holder.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let pid = holder.id();
    assert!(
        err.contains(&format!(
            "waiting for the lock ./.cluster.conf.lock, held by pid {pid} (flock {} sleep 120)",
            lock.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "cannot lock ./.cluster.conf.lock: pid {pid} (flock "
        )),
        "{err}"
    );
    assert!(err.contains("giving up"), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("cluster.conf")).unwrap(),
        CONF.as_bytes()
    );
}
