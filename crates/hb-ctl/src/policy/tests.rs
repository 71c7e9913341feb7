use cluster_conf::Document;
use configfs::{ClusterState, ConfigfsName, NameKind, NodeState, Timeouts};
use ocfs2_disk::image::{ClusterStack, ImageBuilder};
use ocfs2_disk::{OpenOptions, Superblock, Volume};

use super::*;

const UUID: &str = "7A5B5E0D1A2B4C3D9E8F0011223344AA";

fn superblock(label: &str, slots: u16, cluster: &str) -> Superblock {
    let uuid: FsUuid = UUID.parse().unwrap();
    let image = ImageBuilder::new()
        .uuid(uuid.0)
        .label(label)
        .max_slots(slots)
        .stack(ClusterStack::O2cb {
            cluster: cluster.as_bytes().to_vec(),
            global_heartbeat: false,
        })
        .build()
        .unwrap();
    Volume::open(image.bytes, OpenOptions::new())
        .unwrap()
        .superblock()
        .clone()
}

fn node(name: &str, num: u32, local: bool) -> NodeState {
    NodeState {
        name: ConfigfsName::new(NameKind::Node, name.as_bytes()).unwrap(),
        num,
        ipv4_address: format!("10.0.0.{}", num + 1),
        ipv4_port: 7777,
        local,
    }
}

fn cluster() -> ClusterState {
    ClusterState {
        name: ConfigfsName::new(NameKind::Cluster, b"web").unwrap(),
        nodes: vec![node("alpha", 0, false), node("beta", 1, false)],
        regions: Vec::new(),
        heartbeat_mode: "local".into(),
        timeouts: Timeouts::default(),
        dead_threshold_attr: Some("dead_threshold"),
    }
}

/// cluster.conf of cluster `web` (alpha 10.0.0.1, beta 10.0.0.2, gamma 10.0.0.3) and
/// `extra` stanzas after it.
fn policy(extra: &str, layout: Layout) -> ClusterConfPolicy {
    let mut text = String::from("cluster:\n\tname = web\n\tnode_count = 3\n\n");
    for (i, n) in ["alpha", "beta", "gamma"].iter().enumerate() {
        text.push_str(&format!(
            "node:\n\tcluster = web\n\tnumber = {i}\n\tip_port = 7777\n\tip_address = 10.0.0.{}\n\tname = {n}\n\n",
            i + 1
        ));
    }
    text.push_str(extra);
    let doc = Document::parse(text.into_bytes());
    assert!(
        !doc.has_classic_errors(),
        "{}",
        doc.render_diagnostics("t", |_| true)
    );
    ClusterConfPolicy::with_config(doc.config().clone(), layout)
}

fn check(p: &ClusterConfPolicy, host: &str, sb: &Superblock) -> Result<Vec<String>, String> {
    p.check(sb, &cluster(), &node(host, 0, true))
        .map(|o| o.mount_options)
        .map_err(|r| format!("{}: {}", r.text, r.detail.unwrap_or_default()))
}

const PINNED: &str = "filesystem:\n\tuuid = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tcluster = web\n\tlabel = shared\n\tslots = 4\n\n\
filesystem_node:\n\tfilesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tnode = alpha\n\tslot = 3\n\n\
filesystem_node:\n\tfilesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tnode = beta\n\n";

#[test]
fn members_mount_in_their_slot() {
    let sb = superblock("shared", 4, "web");
    let p = policy(PINNED, Layout::Classic);
    assert_eq!(check(&p, "alpha", &sb).unwrap(), ["preferred_slot=3"]);
    // beta has no pin: it gets the lowest free slot, as `o2cb add-filesystem-node` would
    assert_eq!(check(&p, "beta", &sb).unwrap(), ["preferred_slot=0"]);
}

#[test]
fn a_node_that_is_not_a_member_is_refused_with_the_members_named() {
    let sb = superblock("shared", 4, "web");
    let e = check(&policy(PINNED, Layout::Classic), "gamma", &sb).unwrap_err();
    insta::assert_snapshot!(e, @"Not allowed by the filesystem's cluster configuration: filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('shared'): this host (node gamma) is not a member; its members are alpha, beta");
}

#[test]
fn unmanaged_and_memberless_filesystems_mount_as_ever() {
    let sb = superblock("shared", 4, "web");
    assert_eq!(
        check(&policy("", Layout::Classic), "gamma", &sb).unwrap(),
        Vec::<String>::new()
    );
    let open = "filesystem:\n\tuuid = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tcluster = web\n\n";
    assert_eq!(
        check(&policy(open, Layout::Classic), "gamma", &sb).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn what_the_volume_says_must_agree_with_cluster_conf() {
    let p = policy(PINNED, Layout::Classic);
    let lines = [
        check(&p, "alpha", &superblock("shared", 8, "web")).unwrap_err(),
        check(&p, "alpha", &superblock("other", 4, "web")).unwrap_err(),
        check(&p, "alpha", &superblock("shared", 4, "prod")).unwrap_err(),
    ];
    insta::assert_snapshot!(lines.join("\n"), @r#"
    Not allowed by the filesystem's cluster configuration: filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('shared'): cluster.conf says 4 slots, the volume has 8
    Not allowed by the filesystem's cluster configuration: filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('shared'): cluster.conf says label "shared", the volume's is "other"
    Not allowed by the filesystem's cluster configuration: filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('shared'): cluster.conf puts it in cluster web, the volume says prod
    "#);
}

#[test]
fn a_network_override_is_refused_on_the_classic_layout_only() {
    let sb = superblock("shared", 4, "web");
    let over = "filesystem:\n\tuuid = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tcluster = web\n\n\
filesystem_node:\n\tfilesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tnode = alpha\n\tip_address = 192.168.9.1\n\n";
    let e = check(&policy(over, Layout::Classic), "alpha", &sb).unwrap_err();
    insta::assert_snapshot!(e, @"Not allowed by the filesystem's cluster configuration: filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA: node alpha is to use 192.168.9.1:7777 for this filesystem, but the classic o2cb kernel gives a node one address for all filesystems (10.0.0.1:7777); remove the override or use the per-fs layout");
    assert_eq!(
        check(&policy(over, Layout::PerFs), "alpha", &sb).unwrap(),
        ["preferred_slot=0"]
    );
}

#[test]
fn a_broken_cluster_conf_refuses_every_mount_and_says_where() {
    let doc = Document::parse(b"cluster:\n\tname = web\n\tnode_count = x\nnode\n".to_vec());
    let state = from_document(&doc, "/etc/ocfs2/cluster.conf");
    let p = ClusterConfPolicy {
        state,
        layout: Layout::Classic,
    };
    let e = check(&p, "alpha", &superblock("shared", 4, "web")).unwrap_err();
    insta::assert_snapshot!(e);
}

#[test]
fn load_reads_cluster_conf_and_the_layout_under_a_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = SysRoot::new(dir.path());
    let sb = superblock("shared", 4, "web");
    // no cluster.conf: no policy at all
    let p = ClusterConfPolicy::load(&root);
    assert_eq!(check(&p, "gamma", &sb).unwrap(), Vec::<String>::new());

    let conf = root.cluster_conf();
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let mut text = String::from("cluster:\n\tname = web\n\tnode_count = 1\n\n");
    text.push_str("node:\n\tcluster = web\n\tnumber = 0\n\tip_port = 7777\n\tip_address = 10.0.0.1\n\tname = alpha\n\n");
    text.push_str(
        PINNED
            .split(
                "filesystem_node:\n\tfilesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tnode = beta",
            )
            .next()
            .unwrap(),
    );
    std::fs::write(&conf, text).unwrap();
    let p = ClusterConfPolicy::load(&root);
    assert_eq!(check(&p, "alpha", &sb).unwrap(), ["preferred_slot=3"]);

    let (settings, _) = o2cb_runtime::settings::settings_path(&root);
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "O2CB_FS_LAYOUT=sideways\n").unwrap();
    let e = check(&ClusterConfPolicy::load(&root), "alpha", &sb).unwrap_err();
    assert!(e.contains("O2CB_FS_LAYOUT=sideways"), "{e}");
}
