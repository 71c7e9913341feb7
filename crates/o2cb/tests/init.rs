//! `o2cb.init` against a temporary system root (`O2CB_SYSROOT`): its usage, the settings
//! file (reading, refusing, editing), `configure` by options, `status` and `online-status`
//! over a registered cluster laid out as configfs shows it. What needs a real kernel (module
//! loading, mounts, registration) is in tests/kernel/cases/init-*.sh.

use std::path::Path;
use std::process::Command;

struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn new() -> Root {
        Root {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, p: &str) -> std::path::PathBuf {
        self.dir.path().join(p.trim_start_matches('/'))
    }

    fn write(&self, p: &str, content: &str) {
        let path = self.path(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap()
    }

    /// Runs `o2cb.init ARGS` with stdin from `input`; returns (status, stdout, stderr).
    fn init(&self, args: &[&str], input: &str) -> (i32, String, String) {
        use std::io::Write;
        // Installed as o2cb.init: the name the binary shows in its messages.
        let bin = self.path("/usr/sbin/o2cb.init");
        if !bin.exists() {
            std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_o2cb_init"), &bin).unwrap();
        }
        let mut child = Command::new(&bin)
            .args(args)
            .env("O2CB_SYSROOT", self.dir.path())
            .env("O2CB_INIT_SCRIPT", "/etc/init.d/o2cb")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let root = self.dir.path().display().to_string();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).replace(&root, "<root>"),
            String::from_utf8_lossy(&out.stderr).replace(&root, "<root>"),
        )
    }

    /// A registered cluster `web` with this host's node, as configfs shows it.
    fn registered_cluster(&self) {
        let c = "/sys/kernel/config/cluster/web";
        let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
        let host = host.trim();
        for (name, num, ip, local) in [
            (host, "0", "10.0.0.1", "1"),
            ("other", "1", "10.0.0.2", "0"),
        ] {
            self.write(&format!("{c}/node/{name}/num"), &format!("{num}\n"));
            self.write(&format!("{c}/node/{name}/ipv4_address"), &format!("{ip}\n"));
            self.write(&format!("{c}/node/{name}/ipv4_port"), "7777\n");
            self.write(&format!("{c}/node/{name}/local"), &format!("{local}\n"));
        }
        self.write(&format!("{c}/heartbeat/mode"), "local\n");
        self.write(&format!("{c}/heartbeat/dead_threshold"), "62\n");
        self.write(&format!("{c}/idle_timeout_ms"), "60000\n");
        self.write(&format!("{c}/keepalive_delay_ms"), "2000\n");
        self.write(&format!("{c}/reconnect_delay_ms"), "2000\n");
        self.write("/proc/filesystems", "nodev\tconfigfs\nnodev\tocfs2_dlmfs\n");
        self.write(
            "/proc/mounts",
            "configfs /sys/kernel/config configfs rw 0 0\nocfs2_dlmfs /dlm ocfs2_dlmfs rw 0 0\ndebugfs /sys/kernel/debug debugfs rw 0 0\n",
        );
        self.write("/sys/fs/ocfs2/loaded_cluster_plugins", "o2cb\n");
        self.write("/sys/fs/ocfs2/cluster_stack", "o2cb\n");
    }
}

#[test]
fn usage_for_no_or_an_unknown_action() {
    let root = Root::new();
    let (status, out, err) = root.init(&[], "");
    assert_eq!(status, 1);
    assert_eq!(err, "");
    insta::assert_snapshot!(out, @"Usage: /etc/init.d/o2cb {start|stop|restart|force-reload|enable|disable|configure|load|unload|online|offline|force-offline|status|online-status}");
    assert_eq!(root.init(&["bogus"], ""), (1, out, String::new()));
}

#[test]
fn settings_the_shell_would_misread_are_refused_with_their_lines() {
    let root = Root::new();
    root.write(
        "/etc/default/o2cb",
        "O2CB_ENABLED=true\nO2CB_BOOTCLUSTER = web\nO2CB_STACK=$STACK\n",
    );
    let (status, out, err) = root.init(&["start"], "");
    assert_eq!((status, out.as_str()), (1, ""));
    insta::assert_snapshot!(err, @r"
    /etc/default/o2cb:2:17: no blanks are allowed around `=` (the shell would run a command)
    /etc/default/o2cb:3:12: `$` is not supported here (only plain values and quotes are)
    o2cb.init: cannot read the settings in /etc/default/o2cb
    ");
}

#[test]
fn start_does_nothing_when_not_enabled() {
    let root = Root::new();
    root.write(
        "/etc/default/o2cb",
        "O2CB_ENABLED=false\nO2CB_BOOTCLUSTER=web\n",
    );
    assert_eq!(root.init(&["start"], ""), (0, String::new(), String::new()));
}

#[test]
fn configure_in_debian_mode_points_at_dpkg_reconfigure() {
    let root = Root::new();
    root.write("/etc/default/o2cb", "O2CB_ENABLED=false\n");
    let (status, out, _) = root.init(&["configure"], "");
    assert_eq!(status, 0);
    insta::assert_snapshot!(out, @r"
    Configuring the O2CB driver.

    Please configure this service in the Debian way:

     dpkg-reconfigure ocfs2-tools
    ");
}

#[test]
fn configure_by_options_edits_only_the_values() {
    let root = Root::new();
    root.write(
        "/etc/default/o2cb",
        "# my notes\nO2CB_ENABLED=false   # off for now\nO2CB_BOOTCLUSTER=ocfs2\nSITE_KEY=kept\n",
    );
    let (status, out, err) = root.init(
        &[
            "configure",
            "--disable",
            "--cluster",
            "web",
            "--threshold",
            "62",
            "--idle-timeout=60000",
        ],
        "",
    );
    assert_eq!((status, err.as_str()), (0, ""), "{out}");
    assert_eq!(out, "Writing O2CB configuration: OK\n");
    insta::assert_snapshot!(root.read("/etc/default/o2cb"), @r"
    # my notes
    O2CB_ENABLED=false   # off for now
    O2CB_BOOTCLUSTER=web
    SITE_KEY=kept

    # O2CB_STACK: The name of the cluster stack backing O2CB.
    O2CB_STACK=o2cb

    # O2CB_HEARTBEAT_THRESHOLD: Iterations before a node is considered dead.
    O2CB_HEARTBEAT_THRESHOLD=62

    # O2CB_IDLE_TIMEOUT_MS: Time in ms before a network connection is considered dead.
    O2CB_IDLE_TIMEOUT_MS=60000

    # O2CB_KEEPALIVE_DELAY_MS: Max time in ms before a keepalive packet is sent
    O2CB_KEEPALIVE_DELAY_MS=2000

    # O2CB_RECONNECT_DELAY_MS: Min time in ms between connection attempts
    O2CB_RECONNECT_DELAY_MS=2000
    ");
    // The previous file is kept.
    assert!(root.path("/etc/default/o2cb.bak").exists());
}

#[test]
fn configure_refuses_bad_answers_and_writes_nothing() {
    let root = Root::new();
    root.write("/etc/default/o2cb", "O2CB_ENABLED=false\n");
    let mut report = String::new();
    for args in [
        &[
            "configure",
            "--idle-timeout",
            "3000",
            "--keepalive-delay",
            "2000",
        ][..],
        &[
            "configure",
            "--idle-timeout",
            "10000",
            "--keepalive-delay",
            "20000",
        ],
        &["configure", "--cluster", "web-1"],
        &["configure", "--stack", "pacemaker"],
        &["configure", "--threshold", "3x"],
        &["configure", "--bogus"],
    ] {
        let (status, out, err) = root.init(args, "");
        assert_eq!((status, out.as_str()), (1, ""), "{args:?}");
        report.push_str(&format!("{}: {err}", args[1..].join(" ")));
    }
    insta::assert_snapshot!(report, @r"
    --idle-timeout 3000 --keepalive-delay 2000: o2cb.init: network idle timeout in ms cannot be less than 5000
    --idle-timeout 10000 --keepalive-delay 20000: o2cb.init: the network idle timeout (10000 ms) must be greater than the keepalive delay (20000 ms)
    --cluster web-1: o2cb.init: Invalid cluster name: web-1
    --stack pacemaker: o2cb.init: Invalid cluster stack name: pacemaker (4 characters, e.g. o2cb)
    --threshold 3x: o2cb.init: Invalid heartbeat dead threshold value: 3x
    --bogus: configure: unrecognized option '--bogus'
    ");
    assert_eq!(root.read("/etc/default/o2cb"), "O2CB_ENABLED=false\n");
}

#[test]
fn interactive_configure_asks_the_scripts_questions() {
    let root = Root::new();
    root.write(
        "/etc/sysconfig/o2cb",
        "O2CB_ENABLED=false\nO2CB_BOOTCLUSTER=\n",
    );
    // Enter keeps the shown value; bad answers are asked again.
    let answers = "maybe\nn\n\nweb!\nweb\n5\n\n\n40000\n1000\n\n";
    let (status, out, err) = root.init(&["configure"], answers);
    assert_eq!(status, 0, "{err}");
    insta::assert_snapshot!(out, @r#"
    Configuring the O2CB driver.

    This will configure the on-boot properties of the O2CB driver.
    The following questions will determine whether the driver is loaded on
    boot.  The current values will be shown in brackets ('[]').  Hitting
    <ENTER> without typing an answer will keep that current value.  Ctrl-C
    will abort.

    Load O2CB driver on boot (y/n) [n]: Load O2CB driver on boot (y/n) [n]: Cluster stack backing O2CB [o2cb]: Cluster to start on boot (Enter "none" to clear) []: Cluster to start on boot (Enter "none" to clear) []: Specify heartbeat dead threshold (>=7) [31]: Specify heartbeat dead threshold (>=7) [31]: Specify network idle timeout in ms (>=5000) [30000]: Specify network keepalive delay in ms (>=1000) [2000]: Specify network keepalive delay in ms (>=1000) [40000]: Specify network reconnect delay in ms (>=2000) [2000]: Writing O2CB configuration: OK
    "#);
    insta::assert_snapshot!(err, @r"
    Invalid answer: maybe
    Invalid cluster name: web!
    heartbeat dead threshold cannot be less than 7
    network keepalive delay in ms must be less than the network idle timeout (30000 ms)
    ");
    let file = root.read("/etc/sysconfig/o2cb");
    assert!(file.contains("O2CB_BOOTCLUSTER=web\n"), "{file}");
    assert!(file.contains("O2CB_KEEPALIVE_DELAY_MS=1000\n"), "{file}");
}

#[test]
fn status_reports_a_registered_cluster_and_follows_lsb() {
    let root = Root::new();
    root.write(
        "/etc/default/o2cb",
        "O2CB_ENABLED=true\nO2CB_BOOTCLUSTER=web\n",
    );
    let (status, out, _) = root.init(&["status"], "");
    assert_eq!(status, 3, "not running is LSB status 3: {out}");
    root.registered_cluster();
    let (status, out, err) = root.init(&["status"], "");
    assert_eq!((status, err.as_str()), (0, ""));
    insta::assert_snapshot!(out, @r#"
    Driver for "configfs": Loaded
    Filesystem "configfs": Mounted
    Stack glue driver: Loaded
    Stack plugin "o2cb": Loaded
    Driver for "ocfs2_dlmfs": Loaded
    Filesystem "ocfs2_dlmfs": Mounted
    Checking O2CB cluster "web": Online
      Heartbeat dead threshold: 62
      Network idle timeout: 60000
      Network keepalive delay: 2000
      Network reconnect delay: 2000
      Heartbeat mode: Local
    Checking O2CB heartbeat: Not active
    Debug file system at /sys/kernel/debug: mounted
    "#);
    assert_eq!(
        root.init(&["online-status"], ""),
        (0, "online\n".into(), String::new())
    );
    assert_eq!(
        root.init(&["online-status", "other"], ""),
        (1, "offline\n".into(), String::new())
    );
}

#[test]
fn online_status_without_a_cluster_is_an_error() {
    let root = Root::new();
    root.write("/etc/default/o2cb", "O2CB_ENABLED=true\n");
    let (status, out, err) = root.init(&["online-status"], "");
    assert_eq!((status, out.as_str()), (2, ""));
    assert!(err.contains("Cluster not known"), "{err}");
    assert!(!Path::new(&root.path("/etc/default/o2cb.bak")).exists());
}

/// A value the settings file cannot carry is refused with the reason, the file untouched;
/// one with quotes and `$`, which used to abort the program, is written so that it reads
/// back (and is sourced by a shell) as given.
#[test]
fn configure_refuses_values_the_settings_file_cannot_carry() {
    let root = Root::new();
    root.write("/etc/default/o2cb", "O2CB_ENABLED=false\n");
    let (status, out, err) = root.init(&["configure", "--stack", "ab\nc"], "");
    assert_eq!(status, 1, "{out}{err}");
    assert_eq!(out, "Writing O2CB configuration: Failed\n");
    assert!(
        err.contains("cannot write O2CB_STACK=ab\\nc: the value contains a line feed"),
        "{err}"
    );
    assert_eq!(root.read("/etc/default/o2cb"), "O2CB_ENABLED=false\n");

    let (status, out, err) = root.init(&["configure", "--disable", "--stack", "a'$b"], "");
    assert_eq!((status, err.as_str()), (0, ""), "{out}");
    let text = root.read("/etc/default/o2cb");
    assert!(text.contains("\nO2CB_STACK='a'\"'\"'$b'\n"), "{text}");
    let sourced = Command::new("bash")
        .arg("-c")
        .arg(". ./etc/default/o2cb; printf %s \"$O2CB_STACK\"")
        .current_dir(root.dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&sourced.stdout), "a'$b");
}
