//! Our `o2cb_ctl` as a user sees it, run against a temporary system root (`O2CB_SYSROOT`):
//! a fake sysfs that says the o2cb stack is loaded, a plain directory standing in for
//! configfs, and `etc/ocfs2/cluster.conf`. Every action (`-C` of clusters and nodes with and
//! without `-i`, `-D` with and without `-u`, `-I` in every form, `-H -a name=` and
//! `online=yes|no`), every error message and exit status, and what cluster.conf and the fake
//! configfs look like afterwards, as insta snapshots (transcripts: the command, its status,
//! stdout `out|`, stderr `err|`, then the file and the configfs tree when they changed).
//! Temporary paths, the host name and our version are redacted.
//!
//! The C tool is compared in `differential.rs`; these tests pin down our own messages and the
//! parts the C tool cannot be run for (the cluster stack).

mod support;

use std::path::Path;

use support::{conf_fixtures, words, FakeRoot};

/// The machine's host name up to the first dot: a node of that name is "local".
fn host() -> String {
    let full = o2cb_sys::hostname::hostname().expect("gethostname");
    let full = String::from_utf8(full).expect("an ASCII host name");
    full.split('.').next().unwrap().to_string()
}

fn indent(tag: &str, bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| format!("{tag}| {l}\n"))
        .collect()
}

/// A root and the commands run in it, in order, as one transcript.
struct Session {
    root: FakeRoot,
    log: String,
}

impl Session {
    fn new(conf: Option<&str>) -> Session {
        Session::with_root(FakeRoot::new(conf.map(str::as_bytes)))
    }

    fn with_root(root: FakeRoot) -> Session {
        Session {
            root,
            log: String::new(),
        }
    }

    fn fixture(name: &str) -> Session {
        let bytes = std::fs::read(conf_fixtures().join("valid").join(name)).unwrap();
        Session::with_root(FakeRoot::new(Some(&bytes)))
    }

    fn ours_fixture(name: &str) -> Session {
        let bytes = std::fs::read(support::fixtures().join(name)).unwrap();
        Session::with_root(FakeRoot::new(Some(&bytes)))
    }

    /// Runs `o2cb_ctl LINE` and appends what happened to the transcript; returns the status.
    fn run(&mut self, line: &str) -> i32 {
        kernel_view(&self.root);
        let conf = self.root.conf();
        let configfs = self.root.tree("sys/kernel/config");
        let out = self.root.ours(&words(line));
        self.log
            .push_str(&format!("$ o2cb_ctl {line}\nstatus {}\n", out.status));
        self.log.push_str(&indent("out", &out.stdout));
        self.log.push_str(&indent("err", &out.stderr));
        if out.conf != conf {
            match &out.conf {
                Some(c) => {
                    self.log.push_str("cluster.conf now:\n");
                    self.log.push_str(&indent("   ", c));
                }
                None => self.log.push_str("cluster.conf removed\n"),
            }
        }
        kernel_view(&self.root);
        let after = self.root.tree("sys/kernel/config");
        if after != configfs {
            self.log.push_str("configfs now:\n");
            self.log
                .push_str(&indent("   ", host_independent(&after).as_bytes()));
        }
        self.log.push('\n');
        out.status
    }

    /// Runs each line; the transcript, redacted.
    fn script(mut self, lines: &[&str]) -> String {
        for l in lines {
            self.run(l);
        }
        self.transcript()
    }

    fn transcript(&self) -> String {
        redact(&self.log, self.root.path())
    }
}

/// The plain directory standing in for configfs holds only what the tool made in it; the
/// kernel also shows, in every cluster directory, the default groups and attributes it
/// creates with the directory. They are added before and after each command, so that the
/// tool finds what it would find on a kernel and the transcript shows what configfs would.
fn kernel_view(root: &FakeRoot) {
    for configfs in ["sys/kernel/config/cluster", "config/cluster"] {
        let Ok(clusters) = std::fs::read_dir(root.join(configfs)) else {
            continue;
        };
        for c in clusters.flatten() {
            let dir = c.path();
            std::fs::create_dir_all(dir.join("node")).unwrap();
            std::fs::create_dir_all(dir.join("heartbeat")).unwrap();
            for (attr, default) in [
                ("idle_timeout_ms", "30000\n"),
                ("keepalive_delay_ms", "2000\n"),
                ("reconnect_delay_ms", "2000\n"),
                ("fence_method", "reset\n"),
                ("heartbeat/dead_threshold", "31\n"),
                ("heartbeat/mode", "local\n"),
            ] {
                if !dir.join(attr).exists() {
                    std::fs::write(dir.join(attr), default).unwrap();
                }
            }
        }
    }
}

/// A tree listing with the host name redacted and then sorted, so that the order of the
/// local node's directory among the others does not depend on the machine's name.
fn host_independent(tree: &str) -> String {
    let mut lines: Vec<String> = tree.lines().map(redact_host).collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn redact(text: &str, root: &Path) -> String {
    redact_host(
        &text.replace(&root.display().to_string(), "<root>").replace(
            concat!("(o2cb-rs ", env!("CARGO_PKG_VERSION"), ")"),
            "(o2cb-rs <version>)",
        ),
    )
}

/// The host name as `<host>`, where it is a whole word (a short host name could be part of
/// other words).
fn redact_host(text: &str) -> String {
    let host = host();
    if host.is_empty() {
        return text.to_string();
    }
    let mut t = text.to_string();
    let mut out = String::new();
    while let Some(i) = t.find(&host) {
        let before = t[..i].chars().last();
        let after = t[i + host.len()..].chars().next();
        let word =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        out.push_str(&t[..i]);
        if word(before) || word(after) {
            out.push_str(&host);
        } else {
            out.push_str("<host>");
        }
        t = t[i + host.len()..].to_string();
    }
    out.push_str(&t);
    out
}

const EXAMPLE_A: &str = "example-a-canonical.conf";
const TWO: &str = "two-clusters-canonical.conf";

#[test]
fn options_and_usage() {
    let s = Session::fixture(EXAMPLE_A).script(&[
        "",
        "-h",
        "--help",
        "-V",
        "--version",
        "-hV",
        "--foo",
        "-x",
        "-l",
        "-n",
        "-t",
        "-a",
        "-C -D",
        "-I -H",
        "-I -n ''",
        "-I -t ''",
        "-I -t heartbeat",
        "-I -a ''",
        "-I -a =x",
        "-I extra words",
        "-I -t node -- more",
        "-C -u",
        "-I -i",
        "-C -z",
        "-H -o",
        "-I -o -z",
        "-I",
        "-C",
        "-H",
        "-D",
        "-n x",
    ]);
    insta::assert_snapshot!("options_and_usage", s);
}

#[test]
fn info_in_every_form() {
    let s = Session::fixture(TWO).script(&[
        "-I -t cluster",
        "-I -o -t cluster",
        "-I -z -t cluster",
        "-I -t node",
        "-I -o -t node",
        "-Iot node",
        "-I -n one",
        "-I -o -n two -n one",
        "-I -n a1",
        "-I -o -n b1 -n a1",
        "-I -t node -n a1",
        "-I -t cluster -n one",
        "-I -n 0",
        "-I -n nosuch",
        "-I -o -n one -n nosuch -n two",
        "-I -o -n a1 -n nosuch",
        "-I -t node -n one",
        "-I -t cluster -n a1",
        "-I -t cluster -a name=x -a online=yes",
        "-I -t node -a online=yes",
        "-I -n one -a name",
    ]);
    insta::assert_snapshot!("info_in_every_form", s);
}

#[test]
fn info_of_same_named_nodes_and_no_file() {
    let mut s = Session::ours_fixture("same-named-nodes.conf");
    for l in ["-I -n shared", "-I -o -n shared -n m0", "-I -n 5"] {
        s.run(l);
    }
    let same = s.transcript();
    let empty = Session::new(None).script(&["-I -t cluster", "-I -o -t node", "-I -n x"]);
    insta::assert_snapshot!(
        "info_of_same_named_nodes_and_no_file",
        format!("{same}---- no cluster.conf\n{empty}")
    );
}

/// `-I` and file-only `-C` need no cluster stack (docs/compatibility.md).
#[test]
fn file_operations_need_no_stack() {
    let root = FakeRoot::bare();
    root.write(
        "etc/ocfs2/cluster.conf",
        &std::fs::read(conf_fixtures().join("valid").join(EXAMPLE_A)).unwrap(),
    );
    let s = Session::with_root(root).script(&[
        "-I -o -t node",
        "-C -n extra -t cluster",
        "-C -n n3 -t node -a cluster=extra -a ip_address=10.0.0.3 -a ip_port=7777",
        "-H -n extra -t cluster -a name=renamed",
        "-D -n n3",
        "-C -n x -t cluster -i",
    ]);
    insta::assert_snapshot!("file_operations_need_no_stack", s);
}

#[test]
fn create_clusters() {
    let root = FakeRoot::new(None);
    std::fs::remove_dir(root.join("etc/ocfs2")).unwrap();
    let s = Session::with_root(root).script(&[
        "-C -n alpha -t cluster",
        "-C -n beta -n gamma -t cluster",
        "-C -n alpha -t cluster",
        "-C -n delta -n alpha -t cluster",
        "-C -n ' alpha' -t cluster",
        "-C -n ' padded ' -t cluster",
        "-C -n x",
        "-C -t cluster",
        "-C -n x -t cluster -a ip_port=1",
        "-C -n x -t cluster -a online=yes -a name=y",
        "-I -o -t cluster",
    ]);
    insta::assert_snapshot!("create_clusters", s);
}

const NODE: &str = "-C -n db3 -t node";

#[test]
fn create_nodes() {
    let ok = "-a cluster=ocfs2 -a ip_address=10.0.0.4 -a ip_port=7777";
    let s = Session::fixture(EXAMPLE_A).script(&[
        &format!("{NODE} -a cluster=ocfs2 -a ip_address=10.0.0.3 -a ip_port=7777"),
        &format!("{NODE} -a cluster=ocfs2 -a ip_address=10.0.0.3 -a ip_port=7777"),
        "-C -n db4 -t node -a cluster=nosuch -a ip_address=10.0.0.4 -a ip_port=7777",
        "-C -n db4 -t node -a ip_address=10.0.0.4 -a ip_port=7777",
        "-C -n db4 -t node -a cluster=ocfs2 -a ip_port=7777",
        "-C -n db4 -t node -a cluster=ocfs2 -a ip_address=10.0.0.4",
        "-C -n db4 -t node -a cluster -a ip_address=10.0.0.4 -a ip_port=7777",
        "-C -n db4 -t node -a cluster=ocfs2 -a ip_address=10.0.0.04 -a ip_port=7777",
        "-C -n db4 -t node -a cluster=ocfs2 -a ip_address=node4 -a ip_port=7777",
        "-C -n db4 -t node -a cluster=ocfs2 -a ip_address=10.0.0.4 -a ip_port=-1",
        "-C -n db4 -t node -a cluster=ocfs2 -a ip_address=10.0.0.4 -a ip_port=65536",
        "-C -n db4 -t node -a cluster=ocfs2 -a ip_address=10.0.0.4 -a ip_port=77x",
        &format!("-C -n db4 -t node {ok} -a number=-1"),
        &format!("-C -n db4 -t node {ok} -a number=2147483648"),
        &format!("-C -n db4 -t node {ok} -a number=x"),
        &format!("-C -n db4 -t node {ok} -a number=1"),
        &format!("-C -n db4 -t node {ok} -a number=2147483647"),
        &format!("-C -n db4 -t node {ok} -a foo=1"),
        &format!("-C -n db4 -t node {ok} -a online=yes"),
        &format!("-C -n a -n b -t node {ok}"),
        &format!("-C -n db4 {ok}"),
        "-C -n db5 -t node -a cluster=ocfs2 -a ip_address=10.0.0.5 -a ip_port=0 -a number=' 9'",
        "-C -n db6 -t node -a cluster=ocfs2 -a ip_address=10.0.0.1 -a ip_port=+7777 -a number=007",
        "-I -o -t node",
    ]);
    insta::assert_snapshot!("create_nodes", s);
}

/// The default number is node_count, unless a node has it: then the lowest free one, with
/// a note (docs/compatibility.md).
#[test]
fn create_node_default_number() {
    let s = Session::ours_fixture("node-count-collides.conf").script(&[
        &format!("{NODE} -a cluster=busy -a ip_address=10.0.3.3 -a ip_port=7777"),
        "-C -n db4 -t node -a cluster=busy -a ip_address=10.0.3.5 -a ip_port=7777",
        "-I -o -t node",
    ]);
    insta::assert_snapshot!("create_node_default_number", s);
}

#[test]
fn change_cluster_names() {
    let s = Session::fixture(TWO).script(&[
        "-H -n one -t cluster -a name=uno",
        "-H -n uno -a name=x",
        "-H -n uno -t cluster -a name=",
        "-H -n uno -t cluster -a name",
        "-H -n nosuch -t cluster -a name=x",
        "-H -n uno -t cluster -a name=two",
        "-H -n uno -t cluster -a name=uno",
        "-H -n uno -t cluster",
        "-H -n a1",
        "-H -n a1 -t node -a name=x",
        "-H -n nosuch",
        "-H -n uno -t cluster -a name=x -a foo=1",
        "-H -t cluster -a name=all",
        "-H -n uno -n two -t cluster -a name=' padded '",
        "-I -o -t node",
    ]);
    insta::assert_snapshot!("change_cluster_names", s);
}

/// Clusters for the stack operations: `c` with this host and a peer, `spare` with this
/// host, `elsewhere` without it.
fn local_clusters() -> String {
    let node = |cluster: &str, number: u32, ip: &str, name: &str| {
        format!(
            "node:\n\tcluster = {cluster}\n\tnumber = {number}\n\tip_port = 7777\n\tip_address = {ip}\n\tname = {name}\n\n"
        )
    };
    let host = host();
    let mut text = String::new();
    for (name, count) in [("c", 2), ("spare", 1), ("elsewhere", 1)] {
        text.push_str(&format!(
            "cluster:\n\tname = {name}\n\theartbeat_mode = local\n\tnode_count = {count}\n\n"
        ));
    }
    text.push_str(&node("c", 0, "10.0.0.1", &host));
    text.push_str(&node("c", 1, "10.0.0.2", "peer"));
    text.push_str(&node("spare", 0, "10.0.5.1", &host));
    text.push_str(&node("elsewhere", 0, "10.0.9.1", "stranger"));
    text
}

#[test]
fn online_and_offline() {
    let s = Session::new(Some(&local_clusters())).script(&[
        "-H -n c -t cluster -a online=yes",
        "-H -n c -t cluster -a online=yes",
        "-H -n spare -t cluster -a online=yes",
        "-H -n c -t cluster -a online=no",
        "-H -n c -t cluster -a online=no",
        "-H -n c -t cluster -a online=1",
        "-H -n c -t cluster -a online",
        "-H -n c -t cluster -a online=on",
        "-H -n c -t cluster -a online=",
        "-H -n c -t cluster -a online=maybe",
        "-H -n c -t cluster -a online=YES",
        "-H -n elsewhere -t cluster -a online=yes",
        "-H -n nosuch -t cluster -a online=yes",
        "-H -n c -t cluster -a name=d -a online=yes",
        "-H -n d -t cluster -a online=off",
        "-H -n peer -t node -a online=yes",
        "-H -t cluster -a online=no",
    ]);
    insta::assert_snapshot!("online_and_offline", s);
}

#[test]
fn install_with_create() {
    let root = FakeRoot::new(Some(local_clusters().as_bytes()));
    let mut s = Session::with_root(root);
    for l in [
        "-C -n fresh -t cluster -i",
        "-C -n n1 -t node -a cluster=fresh -a ip_address=10.1.0.1 -a ip_port=7777 -i",
        "-C -n n1 -t node -a cluster=fresh -a ip_address=10.1.0.1 -a ip_port=7777 -i",
        "-C -n fresh -t cluster -i",
        "-C -n n2 -t node -a cluster=c -a ip_address=10.0.0.3 -a ip_port=7777 -a number=2 -i",
        "-C -n a/b -t cluster -i",
    ] {
        s.run(l);
    }
    // A cluster registered before cluster.conf knew it.
    s.root.mkdir("sys/kernel/config/cluster/pre");
    s.run("-C -n pre -t cluster -i");
    s.run("-I -o -t cluster");
    insta::assert_snapshot!("install_with_create", s.transcript());
}

#[test]
fn delete_from_the_file_and_the_cluster() {
    let file = Session::fixture(TWO).script(&[
        "-D -n 0",
        "-D -n a1",
        "-D -n a1",
        "-D -n two -t cluster",
        "-D -n nosuch",
        "-D -n one -a name=x",
        "-D -n one",
    ]);
    let stack = Session::new(Some(&local_clusters())).script(&[
        "-H -n c -t cluster -a online=yes",
        "-D -n peer -u",
        "-D -n stranger -u",
        "-D -n c -u",
        "-D -n elsewhere -t cluster -u",
        "-I -o -t node",
    ]);
    insta::assert_snapshot!(
        "delete_from_the_file_and_the_cluster",
        format!("{file}---- with -u\n{stack}")
    );
}

/// What a case does to the standard root before it runs.
type Setup = fn(&FakeRoot);

/// How the stack is found for `-C -i` (and `-H online=`, `-D -u`): each broken piece of
/// sysfs/configfs, and the module loading when no stack is selected yet.
#[test]
fn stack_start_up() {
    let mut out = String::new();
    let cases: [(&str, Setup); 8] = [
        ("no stack selected: modprobe, then o2cb", |r| {
            std::fs::remove_file(r.join("sys/fs/ocfs2/cluster_stack")).unwrap();
            r.logging_modprobe();
        }),
        ("no stack glue at all (modprobe loads nothing)", |r| {
            std::fs::remove_dir_all(r.join("sys/fs/ocfs2")).unwrap();
            std::fs::remove_dir_all(r.join("sys/fs/o2cb")).unwrap();
            r.logging_modprobe();
        }),
        ("another stack", |r| {
            r.write("sys/fs/ocfs2/cluster_stack", b"pcmk\n")
        }),
        ("a stack label of 3 characters", |r| {
            r.write("sys/fs/ocfs2/cluster_stack", b"o2c\n")
        }),
        ("a newer interface", |r| {
            r.write("sys/fs/o2cb/interface_revision", b"6\n")
        }),
        ("an unreadable interface revision", |r| {
            r.write("sys/fs/o2cb/interface_revision", b"five\n")
        }),
        ("configfs not mounted", |r| {
            std::fs::remove_dir_all(r.join("sys/kernel/config")).unwrap()
        }),
        ("configfs at /config", |r| {
            std::fs::remove_dir_all(r.join("sys/kernel/config")).unwrap();
            r.mkdir("config/cluster");
        }),
    ];
    for (title, setup) in cases {
        let root = FakeRoot::new(Some(
            b"cluster:\n\tname = c\n\theartbeat_mode = local\n\tnode_count = 0\n\n",
        ));
        setup(&root);
        let mut s = Session::with_root(root);
        s.run("-C -n fresh -t cluster -i");
        s.run("-I -o -t cluster");
        out.push_str(&format!("---- {title}\n{}", s.transcript()));
        if s.root.join("config").exists() {
            out.push_str(&format!("/config now:\n{}", s.root.tree("config")));
        }
        if let Some(log) = s.root.read("modprobe.log") {
            out.push_str(&format!(
                "modprobe ran: {:?}\n",
                String::from_utf8_lossy(&log)
            ));
        }
        out.push_str(&format!(
            "cluster_stack: {:?}\n\n",
            s.root
                .read("sys/fs/ocfs2/cluster_stack")
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        ));
    }
    insta::assert_snapshot!("stack_start_up", out);
}

/// Files the tool cannot read or write: the diagnostics, the exit status, nothing written.
#[test]
fn unusable_files() {
    let mut out = String::new();
    for fixture in [
        "crlf.conf",
        "cluster-without-name.conf",
        "duplicate-node-name.conf",
        "node-number-too-big.conf",
    ] {
        let bytes = std::fs::read(conf_fixtures().join("invalid").join(fixture)).unwrap();
        let s = Session::with_root(FakeRoot::new(Some(&bytes)))
            .script(&["-I -t cluster", "-C -n x -t cluster"]);
        out.push_str(&format!("---- invalid/{fixture}\n{s}"));
    }
    let root = FakeRoot::new(None);
    root.mkdir("etc/ocfs2/cluster.conf");
    let s = Session::with_root(root).script(&["-I -t cluster", "-C -n x -t cluster"]);
    out.push_str(&format!("---- cluster.conf is a directory\n{s}"));

    let bytes = std::fs::read(conf_fixtures().join("valid").join(EXAMPLE_A)).unwrap();
    let root = FakeRoot::new(Some(&bytes));
    root.mkdir("etc/ocfs2/cluster.conf.bak/in-the-way");
    let mut s = Session::with_root(root);
    s.run("-C -n x -t cluster");
    out.push_str(&format!(
        "---- the backup cannot be kept\n{}files: {:?}\n\n",
        s.transcript(),
        s.root.etc_files()
    ));

    let root = FakeRoot::new(Some(&bytes));
    let mut s = Session::with_root(root);
    s.run("-C -n x -t cluster");
    let backup = s.root.read("etc/ocfs2/cluster.conf.bak").unwrap();
    assert_eq!(backup, bytes, "the backup is the file before the edit");
    out.push_str(&format!(
        "---- the backup after an edit\nfiles: {:?}\n",
        s.root.etc_files()
    ));
    insta::assert_snapshot!("unusable_files", out);
}
