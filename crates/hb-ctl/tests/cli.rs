//! `ocfs2_hb_ctl` and `mount.ocfs2` as a user sees them: usage texts and exit statuses
//! against the C tools (ocfs2-tools 1.8.7, where installed), and every message of ours in
//! snapshots, run against a temporary system root (`O2CB_SYSROOT`) whose sysfs says the
//! o2cb stack is loaded and whose configfs is a plain directory tree.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ocfs2_disk::image::{ClusterStack, ImageBuilder};

const HB_CTL: &str = env!("CARGO_BIN_EXE_ocfs2_hb_ctl");
const MOUNT: &str = env!("CARGO_BIN_EXE_mount_ocfs2");

/// The C tool: `/sbin/NAME`, or where dpkg diverted it when our package is installed over
/// ocfs2-tools (`NAME.ocfs2-tools`). Only a binary linked with com_err (the C tools are;
/// ours never are) counts, so that ours is never compared with itself.
fn c_tool(name: &str) -> Option<PathBuf> {
    [format!("/sbin/{name}.ocfs2-tools"), format!("/sbin/{name}")]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| {
            std::fs::read(p).is_ok_and(|bytes| {
                bytes
                    .windows(b"libcom_err.so".len())
                    .any(|w| w == b"libcom_err.so")
            })
        })
}

struct Run<'a> {
    program: &'a Path,
    args: Vec<String>,
    root: Option<&'a Path>,
    cwd: Option<&'a Path>,
    input: &'a str,
}

fn run(r: Run<'_>) -> Output {
    let mut cmd = Command::new(r.program);
    cmd.args(&r.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match r.root {
        Some(root) => cmd.env("O2CB_SYSROOT", root),
        None => cmd.env_remove("O2CB_SYSROOT"),
    };
    if let Some(d) = r.cwd {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    let _ = child.stdin.take().unwrap().write_all(r.input.as_bytes());
    child.wait_with_output().unwrap()
}

fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

fn show(cmdline: &str, out: &Output) -> String {
    format!(
        "$ {cmdline}\nstatus {}\n{}{}",
        out.status.code().unwrap(),
        indent("out", &out.stdout),
        indent("err", &out.stderr),
    )
}

fn indent(tag: &str, bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| format!("{tag}| {l}\n"))
        .collect()
}

/// Command lines the reference refuses (or answers) before it looks at the machine: same
/// stdout, same stderr (up to the program path getopt puts first), same status.
const HB_CTL_USAGE_CASES: &[&str] = &[
    "",
    "-h",
    "-I -u X -h",
    "-h -x",
    "-x -y",
    "-d",
    "-I",
    "-S -u X",
    "-K -d a.img",
    "-I -u X -d a.img",
    "-K -d a.img -u X",
    "-P -u X -n 8",
    "-P -u X -n -1",
    "-P -u X -n 010",
    "-P -u X -n 99999999999",
    "svc",
];

#[test]
fn hb_ctl_usage_errors_are_the_references() {
    let Some(c) = c_tool("ocfs2_hb_ctl") else {
        eprintln!("skipping: ocfs2-tools is not installed");
        return;
    };
    for line in HB_CTL_USAGE_CASES {
        let r = |p| {
            run(Run {
                program: p,
                args: args(line),
                root: None,
                cwd: None,
                input: "",
            })
        };
        let (want, got) = (r(&c), r(Path::new(HB_CTL)));
        let norm =
            |o: &Output, prog: &str| String::from_utf8_lossy(&o.stderr).replace(prog, "<argv0>");
        assert_eq!(got.stdout, want.stdout, "{line}: stdout");
        assert_eq!(
            norm(&got, HB_CTL),
            norm(&want, c.to_str().unwrap()),
            "{line}: stderr"
        );
        assert_eq!(got.status.code(), want.status.code(), "{line}: status");
    }
}

#[test]
fn hb_ctl_usage_texts() {
    let mut text = String::new();
    for line in HB_CTL_USAGE_CASES {
        let out = run(Run {
            program: Path::new(HB_CTL),
            args: args(line),
            root: None,
            cwd: None,
            input: "",
        });
        text += &show(&format!("ocfs2_hb_ctl {line}"), &out).replace(HB_CTL, "<argv0>");
    }
    insta::assert_snapshot!(text);
}

/// A system root where the o2cb stack is loaded and cluster `name` is registered in
/// `mode`, with nodes node1 (0) and node2 (1); `local` names the node that is this host.
fn root_with_cluster(name: Option<&str>, mode: &str, local: Option<&str>) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let p = root.path();
    std::fs::create_dir_all(p.join("sys/fs/ocfs2")).unwrap();
    std::fs::write(p.join("sys/fs/ocfs2/cluster_stack"), "o2cb\n").unwrap();
    std::fs::create_dir_all(p.join("sys/fs/o2cb")).unwrap();
    std::fs::write(p.join("sys/fs/o2cb/interface_revision"), "5\n").unwrap();
    let cluster_dir = p.join("sys/kernel/config/cluster");
    std::fs::create_dir_all(&cluster_dir).unwrap();
    std::fs::create_dir_all(p.join("dev")).unwrap();
    std::fs::create_dir_all(p.join("mnt/vol")).unwrap();
    std::fs::create_dir_all(p.join("proc/sys/fs/ocfs2/nm")).unwrap();
    if let Some(name) = name {
        let c = cluster_dir.join(name);
        std::fs::create_dir_all(c.join("heartbeat")).unwrap();
        std::fs::write(c.join("heartbeat/mode"), format!("{mode}\n")).unwrap();
        for (i, node) in ["node1", "node2"].iter().enumerate() {
            let n = c.join("node").join(node);
            std::fs::create_dir_all(&n).unwrap();
            std::fs::write(n.join("num"), format!("{i}\n")).unwrap();
            std::fs::write(n.join("ipv4_address"), format!("10.0.0.{}\n", i + 1)).unwrap();
            std::fs::write(n.join("ipv4_port"), "7777\n").unwrap();
            let is_local = local == Some(*node);
            std::fs::write(n.join("local"), if is_local { "1\n" } else { "0\n" }).unwrap();
        }
    }
    root
}

fn image(root: &Path, name: &str, builder: ImageBuilder) {
    std::fs::write(root.join("dev").join(name), builder.build().unwrap().bytes).unwrap();
}

fn o2cb(cluster: &str, global: bool) -> ClusterStack {
    ClusterStack::O2cb {
        cluster: cluster.as_bytes().to_vec(),
        global_heartbeat: global,
    }
}

/// Runs ours in `root` with the cwd at the root, so devices are `dev/...` and messages do
/// not carry the temporary path.
fn ours_in(program: &str, root: &Path, line: &str, input: &str) -> String {
    let out = run(Run {
        program: Path::new(program),
        args: args(line),
        root: Some(root),
        cwd: Some(root),
        input,
    });
    let name = if program == MOUNT {
        "mount.ocfs2"
    } else {
        "ocfs2_hb_ctl"
    };
    let host = String::from_utf8(o2cb_sys::hostname::hostname().unwrap()).unwrap();
    show(&format!("{name} {line}"), &out)
        .replace(program, "<argv0>")
        .replace("mount_ocfs2", "mount.ocfs2")
        .replace(&format!("({host})"), "(<host>)")
}

fn all_images(root: &Path) {
    image(root, "web", ImageBuilder::new().stack(o2cb("web", false)));
    image(root, "prod", ImageBuilder::new().stack(o2cb("prod", false)));
    image(
        root,
        "global",
        ImageBuilder::new()
            .stack(o2cb("web", true))
            .uuid([0x61; 16]),
    );
    image(
        root,
        "pcmk",
        ImageBuilder::new().stack(ClusterStack::Userspace {
            stack: *b"pcmk",
            cluster: b"web".to_vec(),
        }),
    );
    image(
        root,
        "local",
        ImageBuilder::new().stack(ClusterStack::Local),
    );
    image(
        root,
        "hbdev",
        ImageBuilder::new()
            .heartbeat_device(true)
            .stack(o2cb("web", true))
            .max_slots(0),
    );
    std::fs::write(root.join("dev/zero"), vec![0u8; 1 << 20]).unwrap();
}

#[test]
fn mount_messages() {
    let mut text = String::new();
    let mut case = |root: &Path, line: &str, input: &str| {
        text += &ours_in(MOUNT, root, line, input);
        text += "\n";
    };
    let web = root_with_cluster(Some("web"), "local", Some("node1"));
    let r = web.path();
    all_images(r);
    std::fs::write(r.join("mnt/file"), "").unwrap();
    // The command line.
    case(r, "", "");
    case(r, "-v", "");
    case(r, "dev/web", "");
    case(r, "-t ext4 dev/web mnt/vol", "");
    case(r, "-x dev/missing mnt/vol", "");
    // The device.
    case(r, "dev/missing mnt/vol", "");
    case(r, "dev/zero mnt/vol", "");
    case(r, "dev mnt/vol", "");
    case(r, "dev/hbdev mnt/vol", "");
    // The mount point (the reference exits 0 for these).
    case(r, "-f dev/web mnt/missing", "");
    case(r, "-f dev/web mnt/file", "");
    // The volume against the running cluster.
    case(r, "-f dev/prod mnt/vol", "");
    case(r, "-f dev/global mnt/vol", "");
    case(r, "-f dev/pcmk mnt/vol", "");
    case(r, "-v -f -t ocfs2 -o noatime,_netdev dev/web mnt/vol", "");
    // nocluster asks first; a local volume needs no cluster at all.
    case(r, "-f -o nocluster dev/web mnt/vol", "n\n");
    case(r, "-f -o nocluster dev/web mnt/vol", "y\n");
    case(r, "-f dev/local mnt/vol", "");
    let global = root_with_cluster(Some("web"), "global", Some("node2"));
    all_images(global.path());
    case(global.path(), "-f dev/web mnt/vol", "");
    case(global.path(), "-v -f dev/global mnt/vol", "");
    let offline = root_with_cluster(None, "local", None);
    all_images(offline.path());
    case(offline.path(), "-f dev/web mnt/vol", "");
    case(offline.path(), "-f dev/local mnt/vol", "");
    let stranger = root_with_cluster(Some("web"), "local", None);
    all_images(stranger.path());
    case(stranger.path(), "dev/web mnt/vol", "");
    let unloaded = root_with_cluster(None, "local", None);
    all_images(unloaded.path());
    std::fs::remove_file(unloaded.path().join("sys/fs/o2cb/interface_revision")).unwrap();
    case(unloaded.path(), "dev/web mnt/vol", "");
    insta::assert_snapshot!(text);
}

/// A node on the user stack: the stack glue on `stack`, DLM recovery callbacks, corosync
/// and dlm_controld running, the DLM in cluster `cluster`; the images of `all_images` and a
/// `cman` one.
fn user_stack_root(stack: &str, cluster: &str) -> tempfile::TempDir {
    let root = root_with_cluster(None, "local", None);
    let p = root.path();
    std::fs::write(p.join("sys/fs/ocfs2/cluster_stack"), stack).unwrap();
    std::fs::write(p.join("sys/fs/ocfs2/dlm_recover_callback_support"), "1\n").unwrap();
    for (pid, comm) in [(101, "corosync"), (102, "dlm_controld")] {
        std::fs::create_dir_all(p.join(format!("proc/{pid}"))).unwrap();
        std::fs::write(p.join(format!("proc/{pid}/comm")), format!("{comm}\n")).unwrap();
    }
    let dlm = p.join("sys/kernel/config/dlm/cluster");
    std::fs::create_dir_all(&dlm).unwrap();
    std::fs::write(dlm.join("cluster_name"), format!("{cluster}\n")).unwrap();
    all_images(p);
    image(
        p,
        "cman",
        ImageBuilder::new().stack(ClusterStack::Userspace {
            stack: *b"cman",
            cluster: b"web".to_vec(),
        }),
    );
    root
}

#[test]
fn user_stack_messages() {
    let mut text = String::new();
    let mut case = |program: &str, root: &Path, line: &str| {
        text += &ours_in(program, root, line, "");
        text += "\n";
    };
    let ready = user_stack_root("o2cb\n", "web");
    let r = ready.path();
    // Ready: the mount data names the stack; a fake mount leaves the stack file alone.
    case(MOUNT, r, "-v -f dev/pcmk mnt/vol");
    assert_eq!(
        std::fs::read_to_string(r.join("sys/fs/ocfs2/cluster_stack")).unwrap(),
        "o2cb\n"
    );
    case(MOUNT, r, "-f dev/cman mnt/vol");
    let other = user_stack_root("o2cb\n", "prod");
    case(MOUNT, other.path(), "-f dev/pcmk mnt/vol");
    let no_dlm = user_stack_root("o2cb\n", "web");
    std::fs::remove_file(no_dlm.path().join("proc/102/comm")).unwrap();
    case(MOUNT, no_dlm.path(), "-f dev/pcmk mnt/vol");
    let stale = user_stack_root("o2cb\n", "web");
    std::fs::remove_dir_all(stale.path().join("sys/kernel/config/dlm")).unwrap();
    case(MOUNT, stale.path(), "-f dev/pcmk mnt/vol");
    // ocfs2_hb_ctl while the pcmk stack runs: nothing to start or stop.
    let running = user_stack_root("pcmk", "web");
    let r = running.path();
    case(HB_CTL, r, "-S -d dev/pcmk ocfs2");
    case(HB_CTL, r, "-K -d dev/pcmk ocfs2");
    case(HB_CTL, r, "-K -d dev/missing ocfs2");
    std::fs::remove_file(r.join("sys/fs/ocfs2/dlm_recover_callback_support")).unwrap();
    case(HB_CTL, r, "-K -d dev/pcmk ocfs2");
    insta::assert_snapshot!(text);
}

#[test]
fn a_join_the_kernel_refuses_leaves_no_region_and_no_reference() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipping: semaphore sets are mode 0 (root only)");
        return;
    }
    // A plain directory stands in for configfs: the region directory is created, but it
    // has no attributes, so the start fails at its first write and must be undone.
    let root = root_with_cluster(Some("web"), "local", Some("node1"));
    let r = root.path();
    let uuid = format!("{:08X}5E5E5E5E5E5E5E5E5E5E5E5E", std::process::id());
    let mut raw = [0u8; 16];
    for (i, b) in raw.iter_mut().enumerate() {
        *b = u8::from_str_radix(&uuid[2 * i..2 * i + 2], 16).unwrap();
    }
    image(
        r,
        "web",
        ImageBuilder::new().stack(o2cb("web", false)).uuid(raw),
    );
    let text = ours_in(MOUNT, r, "dev/web mnt/vol", "").replace(&uuid, "<UUID>");
    insta::assert_snapshot!(text);
    let heartbeat = r.join("sys/kernel/config/cluster/web/heartbeat");
    assert!(
        !heartbeat.join(&uuid).exists(),
        "the region was left behind"
    );
    assert_eq!(o2cb_sys::semaphore::ref_count(&uuid).unwrap(), 0);
    let text = ours_in(HB_CTL, r, "-S -d dev/web svc", "").replace(&uuid, "<UUID>");
    assert!(text.contains("while starting heartbeat"), "{text}");
    assert!(!heartbeat.join(&uuid).exists());
}

#[test]
fn hb_ctl_messages() {
    let mut text = String::new();
    let mut case = |root: &Path, line: &str| {
        text += &ours_in(HB_CTL, root, line, "");
        text += "\n";
    };
    let web = root_with_cluster(Some("web"), "local", Some("node1"));
    let r = web.path();
    all_images(r);
    // -I needs neither the stack nor the device's presence for -u, and creates nothing.
    case(r, "-I -u 7A5B5E0D1A2B4C3D9E8F0011223344AA");
    case(r, "-I -u 7a5b5e0d1a2b4c3d9e8f0011223344aa");
    case(r, "-I -d dev/web");
    case(r, "-I -d dev/zero");
    case(r, "-I -d dev/missing");
    // Devices by UUID: matched exactly.
    case(r, "-S -u 0123456789ABCDEF0123456789ABCDEF svc");
    case(r, "-K -u 0123456789ABCDEF0123456789ABCDEF");
    case(r, "-K -u 61616161616161616161616161616161");
    case(r, "-S -u 7a5b5e0d1a2b4c3d9e8f0011223344aa svc");
    // The volume against the running cluster.
    case(r, "-S -d dev/prod svc");
    case(r, "-K -d dev/global svc");
    // -P: the region's heartbeat thread.
    case(r, "-P -u 7A5B5E0D1A2B4C3D9E8F0011223344AA");
    let unloaded = root_with_cluster(None, "local", None);
    std::fs::remove_file(unloaded.path().join("sys/fs/o2cb/interface_revision")).unwrap();
    case(unloaded.path(), "-S -u X svc");
    insta::assert_snapshot!(text);
}

#[test]
fn mount_follows_the_per_filesystem_policy_of_cluster_conf() {
    // node1 is this host; "pinned" has node1 in slot 3 and node2 in slot 0, "solo" has
    // node2 alone.
    let root = root_with_cluster(Some("web"), "local", Some("node1"));
    let r = root.path();
    image(
        r,
        "pinned",
        ImageBuilder::new()
            .stack(o2cb("web", false))
            .uuid([0x11; 16])
            .label("pinned"),
    );
    image(
        r,
        "solo",
        ImageBuilder::new()
            .stack(o2cb("web", false))
            .uuid([0x22; 16])
            .label("solo"),
    );
    image(
        r,
        "free",
        ImageBuilder::new()
            .stack(o2cb("web", false))
            .uuid([0x33; 16]),
    );
    std::fs::create_dir_all(r.join("etc/ocfs2")).unwrap();
    let mut conf = String::from("cluster:\n\tname = web\n\tnode_count = 2\n\n");
    for (i, n) in ["node1", "node2"].iter().enumerate() {
        conf += &format!(
            "node:\n\tcluster = web\n\tnumber = {i}\n\tip_port = 7777\n\tip_address = 10.0.0.{}\n\tname = {n}\n\n",
            i + 1
        );
    }
    let fs = |uuid: &str, label: &str, members: &[(&str, Option<u16>)]| {
        let mut s = format!(
            "filesystem:\n\tuuid = {uuid}\n\tcluster = web\n\tlabel = {label}\n\tslots = 4\n\n"
        );
        for (node, slot) in members {
            s += &format!("filesystem_node:\n\tfilesystem = {uuid}\n\tnode = {node}\n");
            if let Some(slot) = slot {
                s += &format!("\tslot = {slot}\n");
            }
            s += "\n";
        }
        s
    };
    conf += &fs(
        "11".repeat(16).as_str(),
        "pinned",
        &[("node1", Some(3)), ("node2", Some(0))],
    );
    conf += &fs("22".repeat(16).as_str(), "solo", &[("node2", None)]);
    std::fs::write(r.join("etc/ocfs2/cluster.conf"), &conf).unwrap();

    let mut text = String::new();
    for line in [
        "-f dev/pinned mnt/vol",
        "-f -o preferred_slot=3 dev/pinned mnt/vol",
        "-f -o preferred_slot=1 dev/pinned mnt/vol",
        "-f dev/solo mnt/vol",
        "dev/solo mnt/vol",
        "-f dev/free mnt/vol",
    ] {
        text += &ours_in(MOUNT, r, line, "");
        text += "\n";
    }
    // nor may it heartbeat on it; stopping is never refused
    text += &ours_in(HB_CTL, r, "-S -d dev/solo svc", "");
    text += "\n";
    // a refused mount starts nothing
    let heartbeat = r.join("sys/kernel/config/cluster/web/heartbeat");
    assert!(!heartbeat.join("22".repeat(16)).exists());

    // cluster.conf that cannot be read refuses the mount and says where it is wrong
    std::fs::write(
        r.join("etc/ocfs2/cluster.conf"),
        "cluster:\n\tname = web\nnode\n",
    )
    .unwrap();
    text += &ours_in(MOUNT, r, "-f dev/free mnt/vol", "");
    insta::assert_snapshot!(text);
}

/// A `META_ECC` volume of cluster `web` with `bits` flipped in block `blkno` (4 KiB blocks).
fn meta_ecc_image(root: &Path, name: &str, flips: &[(u64, usize)]) {
    let mut bytes = ImageBuilder::new()
        .stack(o2cb("web", false))
        .meta_ecc(true)
        .build()
        .unwrap()
        .bytes;
    for &(blkno, bit) in flips {
        ocfs2_disk::block_check::flip(&mut bytes[blkno as usize * 4096..], bit);
    }
    std::fs::write(root.join("dev").join(name), bytes).unwrap();
}

/// Volumes with metadata checks: one flipped bit is repaired and the volume used; a
/// superblock or heartbeat inode no ECC repairs is refused with libocfs2's words, then the
/// device, the block and its kind. The reference (where installed) refuses a bad
/// superblock the same way before it looks at the cluster: same status, same stdout.
#[test]
fn block_check_failures_name_the_block() {
    let web = root_with_cluster(Some("web"), "local", Some("node1"));
    let r = web.path();
    // Block 2 is the superblock, block 7 the heartbeat inode; byte 0x40 is out of the way
    // of every signature.
    meta_ecc_image(r, "bad_sb", &[(2, 0x40 * 8), (2, 0x40 * 8 + 1)]);
    meta_ecc_image(r, "bad_hb", &[(7, 0x40 * 8), (7, 0x40 * 8 + 1)]);
    meta_ecc_image(r, "crc_sb", &[(2, 0x80 * 8 + 5)]);
    meta_ecc_image(r, "repaired", &[(2, 0x110 * 8 + 1), (7, 0x300 * 8)]);
    let mut text = String::new();
    // A fake mount (-f) starts no heartbeat, so only a real one reads the heartbeat inode;
    // here it fails on it, before any configfs write or mount(2).
    for (program, line) in [
        (HB_CTL, "-I -d dev/bad_sb"),
        (HB_CTL, "-I -d dev/crc_sb"),
        (HB_CTL, "-S -d dev/bad_hb svc"),
        (HB_CTL, "-K -d dev/bad_hb svc"),
        (MOUNT, "-f dev/bad_sb mnt/vol"),
        (MOUNT, "-f dev/repaired mnt/vol"),
        (MOUNT, "dev/bad_hb mnt/vol"),
    ] {
        text += &ours_in(program, r, line, "");
        text += "\n";
    }
    insta::assert_snapshot!(text);

    let Some(c) = c_tool("mount.ocfs2") else {
        eprintln!("skipping the comparison: mount.ocfs2 (ocfs2-tools) is not installed");
        return;
    };
    for device in ["dev/bad_sb", "dev/crc_sb"] {
        let line = format!("{device} mnt/vol");
        let want = run(Run {
            program: &c,
            args: args(&line),
            root: None,
            cwd: Some(r),
            input: "",
        });
        let got = run(Run {
            program: Path::new(MOUNT),
            args: args(&line),
            root: Some(r),
            cwd: Some(r),
            input: "",
        });
        assert_eq!(got.status.code(), want.status.code(), "{line}");
        assert_eq!(got.stdout, want.stdout, "{line}");
        let (want, got) = (
            String::from_utf8_lossy(&want.stderr),
            String::from_utf8_lossy(&got.stderr),
        );
        let words = format!("Bad CRC32 while opening device {device}");
        assert!(want.contains(&words), "{want}");
        assert!(got.contains(&words), "{got}");
    }
}
