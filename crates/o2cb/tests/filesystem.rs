//! The per-filesystem commands end to end: editing cluster.conf (slots allocated and pinned,
//! refusals leaving the file untouched), listing in the three formats, and activation under
//! a temporary system root for both kernel layouts (configfs is a plain directory tree
//! there; the kernel's rules are tested in crates/configfs and tests/kernel).

use std::path::{Path, PathBuf};
use std::process::Command;

use ocfs2_disk::image::{ClusterStack, ImageBuilder};

const UUID: &str = "7A5B5E0D1A2B4C3D9E8F0011223344AA";

struct Setup {
    dir: tempfile::TempDir,
    host: String,
}

impl Setup {
    fn new(layout: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let host = String::from_utf8(Command::new("hostname").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let s = Setup { dir, host };
        s.write(
            "/etc/default/o2cb",
            &format!("O2CB_ENABLED=true\nO2CB_BOOTCLUSTER=web\nO2CB_FS_LAYOUT={layout}\n"),
        );
        s.write(
            "/etc/ocfs2/cluster.conf",
            &format!(
                "# the web cluster\ncluster:\n\tname = web\n\theartbeat_mode = local\n\tnode_count = 3\n\n\
                 node:\n\tcluster = web\n\tnumber = 0\n\tip_port = 7777\n\tip_address = 127.0.0.1\n\tname = {}\n\n\
                 node:\n\tcluster = web\n\tnumber = 1\n\tip_port = 7777\n\tip_address = 127.0.0.2\n\tname = beta\n\n\
                 node:\n\tcluster = web\n\tnumber = 2\n\tip_port = 7777\n\tip_address = 127.0.0.3\n\tname = gamma\n\n",
                s.host
            ),
        );
        // What a loaded o2cb stack shows, for registration under the test root.
        s.write("/sys/fs/o2cb/interface_revision", "5\n");
        s.write("/sys/fs/ocfs2/cluster_stack", "o2cb\n");
        // The per-fs layout's default group exists only on such kernels.
        let group = if layout == "per-fs" {
            "/sys/kernel/config/cluster/ocfs2"
        } else {
            "/sys/kernel/config/cluster"
        };
        std::fs::create_dir_all(s.path(group)).unwrap();
        s
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p.trim_start_matches('/'))
    }

    fn write(&self, p: &str, content: &str) {
        let path = self.path(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn conf(&self) -> String {
        std::fs::read_to_string(self.path("/etc/ocfs2/cluster.conf")).unwrap()
    }

    /// `o2cb ARGS` under the test root; returns (status, stdout, stderr) with paths and
    /// the host name shown as placeholders.
    fn o2cb(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_o2cb"))
            .arg(format!(
                "--config-file={}",
                self.path("/etc/ocfs2/cluster.conf").display()
            ))
            .args(args)
            .env("O2CB_SYSROOT", self.dir.path())
            .output()
            .unwrap();
        let clean = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .replace(&self.dir.path().display().to_string(), "<root>")
                .replace(&self.host, "<host>")
        };
        (
            out.status.code().unwrap_or(-1),
            clean(&out.stdout),
            clean(&out.stderr),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (status, out, err) = self.o2cb(args);
        assert_eq!(status, 0, "o2cb {args:?}: {err}");
        out
    }

    /// A small OCFS2 image at `<root>/dev/NAME` with this UUID and slot count.
    fn volume(&self, name: &str, slots: u16) -> PathBuf {
        let mut uuid = [0u8; 16];
        for (i, b) in uuid.iter_mut().enumerate() {
            *b = u8::from_str_radix(&UUID[2 * i..2 * i + 2], 16).unwrap();
        }
        let image = ImageBuilder::new()
            .uuid(uuid)
            .label("data")
            .max_slots(slots)
            .stack(ClusterStack::O2cb {
                cluster: b"web".to_vec(),
                global_heartbeat: false,
            })
            .build()
            .unwrap();
        let path = self.path(&format!("/dev/{name}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, image.bytes).unwrap();
        path
    }
}

#[test]
fn filesystems_and_members_are_edited_with_slots_pinned() {
    let s = Setup::new("classic");
    s.ok(&[
        "add-filesystem",
        "--slots",
        "3",
        "--label",
        "data",
        "web",
        "7a5b5e0d-1a2b-4c3d-9e8f-0011223344aa",
    ]);
    s.ok(&["add-filesystem-node", "--slot", "2", UUID, "beta"]);
    s.ok(&["add-filesystem-node", UUID, "gamma"]);
    s.ok(&["add-filesystem-node", UUID, &s.host.clone()]);
    insta::assert_snapshot!(s.conf().replace(&s.host, "<host>"), @r"
    # the web cluster
    cluster:
    	name = web
    	heartbeat_mode = local
    	node_count = 3

    node:
    	cluster = web
    	number = 0
    	ip_port = 7777
    	ip_address = 127.0.0.1
    	name = <host>

    node:
    	cluster = web
    	number = 1
    	ip_port = 7777
    	ip_address = 127.0.0.2
    	name = beta

    node:
    	cluster = web
    	number = 2
    	ip_port = 7777
    	ip_address = 127.0.0.3
    	name = gamma

    filesystem:
    	uuid = 7A5B5E0D1A2B4C3D9E8F0011223344AA
    	cluster = web
    	label = data
    	slots = 3

    filesystem_node:
    	filesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA
    	node = beta
    	slot = 2

    filesystem_node:
    	filesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA
    	node = gamma
    	slot = 0

    filesystem_node:
    	filesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA
    	node = <host>
    	slot = 1

    ");
    insta::assert_snapshot!(s.ok(&["list-filesystems", "--oneline"]), @r"
    filesystem: 7A5B5E0D1A2B4C3D9E8F0011223344AA web 3 data
    filesystem_node: 7A5B5E0D1A2B4C3D9E8F0011223344AA beta 2 -
    filesystem_node: 7A5B5E0D1A2B4C3D9E8F0011223344AA gamma 0 -
    filesystem_node: 7A5B5E0D1A2B4C3D9E8F0011223344AA <host> 1 -
    ");
    // Removing gamma does not move anybody; removing the node removes its membership.
    s.ok(&["remove-filesystem-node", UUID, "gamma"]);
    s.ok(&["remove-node", "web", "beta"]);
    insta::assert_snapshot!(s.ok(&["list-filesystems", "--json", "web"]), @r#"
    {
      "schema": 1,
      "filesystems": [
        {
          "uuid": "7A5B5E0D1A2B4C3D9E8F0011223344AA",
          "cluster": "web",
          "label": "data",
          "slots": 3,
          "members": [
            {
              "node": "<host>",
              "number": 0,
              "slot": 1,
              "ip_address": null,
              "ip_port": null
            }
          ]
        }
      ]
    }
    "#);
    s.ok(&["remove-filesystem", UUID]);
    assert!(!s.conf().contains("filesystem"), "{}", s.conf());
    assert!(s.conf().starts_with("# the web cluster\n"));
}

#[test]
fn refusals_say_why_and_leave_the_file_alone() {
    let s = Setup::new("classic");
    s.ok(&["add-filesystem", "--slots", "2", "web", UUID]);
    s.ok(&["add-filesystem-node", UUID, "beta"]);
    s.ok(&["add-filesystem-node", UUID, "gamma"]);
    let before = s.conf();
    let mut report = String::new();
    for args in [
        &["add-filesystem-node", UUID, &s.host.clone()][..],
        &["add-filesystem-node", UUID, "nobody"],
        &["add-filesystem-node", UUID, "beta"],
        &["add-filesystem-node", "--slot", "300", UUID, "beta"],
        &["add-filesystem-node", "--ip", "10.0.0.01", UUID, "beta"],
        &["add-filesystem", "web", UUID],
        &[
            "add-filesystem",
            "nosuch",
            "0123456789ABCDEF0123456789ABCDEF",
        ],
        &[
            "add-filesystem",
            "--slots",
            "0",
            "web",
            "0123456789ABCDEF0123456789ABCDEF",
        ],
        &["add-filesystem", "web", "not-a-uuid"],
        &["remove-filesystem", "0123456789ABCDEF0123456789ABCDEF"],
        &["remove-filesystem-node", UUID, "nobody"],
        &["list-filesystems", "nosuch"],
    ] {
        let (status, out, err) = s.o2cb(args);
        assert_ne!(status, 0, "{args:?}");
        assert_eq!(out, "", "{args:?}");
        report.push_str(&format!(
            "$ o2cb {}\n{err}",
            args.join(" ").replace(&s.host, "<host>")
        ));
    }
    assert_eq!(s.conf(), before);
    insta::assert_snapshot!(report);
}

#[test]
fn a_device_gives_uuid_label_and_slots() {
    let s = Setup::new("classic");
    let dev = s.volume("vdb", 4);
    s.ok(&["add-filesystem", "web", dev.to_str().unwrap()]);
    s.ok(&["add-filesystem-node", dev.to_str().unwrap(), "beta"]);
    insta::assert_snapshot!(s.ok(&["list-filesystems"]), @r"
    filesystem:
    	uuid = 7A5B5E0D1A2B4C3D9E8F0011223344AA
    	cluster = web
    	label = data
    	slots = 4

    filesystem_node:
    	filesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA
    	node = beta
    	slot = 0

    ");
}

#[test]
fn check_reports_slot_problems_at_the_filesystem() {
    let s = Setup::new("classic");
    s.ok(&["add-filesystem", "--slots", "1", "web", UUID]);
    let mut text = s.conf();
    text.push_str(&format!(
        "filesystem_node:\n\tfilesystem = {UUID}\n\tnode = beta\n\tslot = 0\n\nfilesystem_node:\n\tfilesystem = {UUID}\n\tnode = gamma\n\tslot = 0\n\n"
    ));
    s.write("/etc/ocfs2/cluster.conf", &text);
    let (status, out, _) = s.o2cb(&["check"]);
    assert_eq!(status, 1);
    insta::assert_snapshot!(out);
    // The classic commands still work on this file: the C tools ignore these stanzas.
    assert_eq!(s.o2cb(&["list-clusters"]).0, 0);
}

#[test]
fn classic_activation_registers_the_cluster_and_is_recorded() {
    let s = Setup::new("classic");
    s.ok(&["add-filesystem", "--slots", "4", "web", UUID]);
    s.ok(&["add-filesystem-node", UUID, &s.host.clone()]);
    assert_eq!(
        s.o2cb(&["fs-status", UUID]),
        (3, "inactive\n".into(), String::new())
    );
    s.ok(&["fs-activate", UUID]);
    let local = std::fs::read_to_string(s.path(&format!(
        "/sys/kernel/config/cluster/web/node/{}/local",
        s.host
    )))
    .unwrap();
    assert_eq!(local, "1", "the cluster was registered under the test root");
    assert!(Path::new(&s.path(&format!("/run/o2cb/filesystems/{UUID}"))).exists());
    assert_eq!(
        s.o2cb(&["fs-status", UUID]),
        (0, "active\n".into(), String::new())
    );
    s.ok(&["fs-activate", UUID]);
    s.ok(&["fs-deactivate", UUID]);
    s.ok(&["fs-deactivate", UUID]);
    assert_eq!(s.o2cb(&["fs-status", UUID]).0, 3);
    // A node that is not a member cannot activate: exit 2 (misconfigured), with the members.
    s.ok(&[
        "add-filesystem",
        "--slots",
        "4",
        "web",
        "0123456789ABCDEF0123456789ABCDEF",
    ]);
    s.ok(&[
        "add-filesystem-node",
        "0123456789ABCDEF0123456789ABCDEF",
        "beta",
    ]);
    let (status, _, err) = s.o2cb(&["fs-activate", "0123456789ABCDEF0123456789ABCDEF"]);
    assert_eq!(status, 2);
    insta::assert_snapshot!(err, @"o2cb: filesystem 0123456789ABCDEF0123456789ABCDEF: this host (node <host>) is not a member; its members are beta");
    assert_eq!(
        s.o2cb(&["fs-status", "0123456789ABCDEF0123456789ABCDEF"]).0,
        2
    );
    assert_eq!(
        s.o2cb(&["fs-status", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"]).0,
        2
    );
}

#[test]
fn per_fs_activation_registers_members_and_heartbeat() {
    let s = Setup::new("per-fs");
    let dev = s.volume("vdc", 4);
    s.ok(&["add-filesystem", "web", dev.to_str().unwrap()]);
    s.ok(&["add-filesystem-node", "--slot", "3", UUID, &s.host.clone()]);
    s.ok(&[
        "add-filesystem-node",
        "--ip",
        "192.168.7.2",
        "--port",
        "7800",
        UUID,
        "beta",
    ]);
    s.ok(&["fs-activate", UUID]);
    assert_eq!(
        s.o2cb(&["fs-status", UUID]),
        (0, "active\n".into(), String::new())
    );
    let base = s.path(&format!("/sys/kernel/config/cluster/ocfs2/{UUID}"));
    let read = |p: &str| std::fs::read_to_string(base.join(p)).unwrap();
    assert_eq!(read(&format!("{}/slot", s.host)), "3");
    assert_eq!(read(&format!("{}/active", s.host)), "1");
    assert_eq!(read(&format!("{}/heartbeat/blocks", s.host)), "255");
    assert_eq!(read("beta/ipv4_address"), "192.168.7.2");
    assert_eq!(read("beta/ipv4_port"), "7800");
    assert_eq!(read("beta/slot"), "0");
    s.ok(&["fs-deactivate", UUID]);
    assert!(
        !base.exists(),
        "deactivation removes the filesystem's registration"
    );
    assert_eq!(s.o2cb(&["fs-status", UUID]).0, 3);
}
