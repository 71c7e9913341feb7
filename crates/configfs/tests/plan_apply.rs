//! The planner and the undo log against the model of the kernel's rules (tests/model).

mod model;

use std::net::Ipv4Addr;
use std::path::PathBuf;

use configfs::*;
use model::KernelModel;

fn cluster_conf(text: &str) -> cluster_conf::Cluster {
    let doc = cluster_conf::Document::parse(text);
    assert!(
        !doc.has_classic_errors(),
        "{}",
        doc.render_diagnostics("t", |_| true)
    );
    doc.config().clusters[0].clone()
}

/// A cluster `web` with nodes `node1` (127.0.0.1, this host) and more nodes at 10.0.0.N.
fn conf_text(nodes: &[(&str, u32, &str, u32)]) -> String {
    let mut s = format!("cluster:\n\tname = web\n\tnode_count = {}\n\n", nodes.len());
    for (name, number, ip, port) in nodes {
        s.push_str(&format!(
            "node:\n\tname = {name}\n\tcluster = web\n\tnumber = {number}\n\tip_address = {ip}\n\tip_port = {port}\n\n"
        ));
    }
    s
}

const HOST: &[u8] = b"node1";

fn two_nodes() -> cluster_conf::Cluster {
    cluster_conf(&conf_text(&[
        ("node1", 0, "127.0.0.1", 7777),
        ("node2", 1, "10.0.0.2", 7777),
    ]))
}

fn register(model: &mut KernelModel, cluster: &cluster_conf::Cluster) -> Result<usize, String> {
    let desired = desired_cluster(cluster, HOST).map_err(|e| format!("{e:?}"))?;
    let registered = read_clusters(model).unwrap().unwrap();
    let current = if registered.contains(&desired.name) {
        Some(read_cluster(model, &desired.name).unwrap())
    } else {
        None
    };
    let plan = plan_register(&desired, &registered, current.as_ref()).map_err(|e| e.to_string())?;
    apply(model, &plan).map_err(|e| e.to_string())
}

fn node<'a>(m: &'a KernelModel, name: &str) -> &'a model::NodeModel {
    m.cluster("web")
        .unwrap()
        .nodes
        .iter()
        .find(|n| n.name == name)
        .unwrap()
}

#[test]
fn fresh_registration_writes_each_node_in_kernel_order() {
    let mut m = KernelModel::default();
    let cluster = two_nodes();
    let desired = desired_cluster(&cluster, HOST).unwrap();
    let plan = plan_register(&desired, &[], None).unwrap();
    insta::assert_snapshot!(plan.to_string(), @r"
    mkdir cluster/web
    write cluster/web/heartbeat/mode = local
    mkdir cluster/web/node/node1
    write cluster/web/node/node1/ipv4_port = 7777
    write cluster/web/node/node1/ipv4_address = 127.0.0.1
    write cluster/web/node/node1/num = 0
    write cluster/web/node/node1/local = 1
    mkdir cluster/web/node/node2
    write cluster/web/node/node2/ipv4_port = 7777
    write cluster/web/node/node2/ipv4_address = 10.0.0.2
    write cluster/web/node/node2/num = 1
    write cluster/web/node/node2/local = 0
    ");
    assert_eq!(apply(&mut m, &plan).unwrap(), 12);
    assert!(node(&m, "node1").local);
    assert_eq!(node(&m, "node2").addr, Some(Ipv4Addr::new(10, 0, 0, 2)));
}

#[test]
fn registering_again_skips_registered_nodes() {
    let mut m = KernelModel::default();
    register(&mut m, &two_nodes()).unwrap();
    m.log.clear();
    // Only the heartbeat mode is written again, as the reference does.
    assert_eq!(register(&mut m, &two_nodes()).unwrap(), 1);
    assert_eq!(m.changes(), 1);
}

#[test]
fn changed_nodes_are_replaced_and_removed_nodes_removed() {
    let mut m = KernelModel::default();
    let three = cluster_conf(&conf_text(&[
        ("node1", 0, "127.0.0.1", 7777),
        ("node2", 1, "10.0.0.2", 7777),
        ("node3", 2, "10.0.0.3", 7777),
    ]));
    register(&mut m, &three).unwrap();
    let changed = cluster_conf(&conf_text(&[
        ("node1", 0, "127.0.0.1", 7777),
        ("node2", 1, "10.0.0.22", 7777),
        ("node4", 3, "10.0.0.4", 7777),
    ]));
    let desired = desired_cluster(&changed, HOST).unwrap();
    let registered = read_clusters(&mut m).unwrap().unwrap();
    let current = read_cluster(&mut m, &desired.name).unwrap();
    let plan = plan_register(&desired, &registered, Some(&current)).unwrap();
    insta::assert_snapshot!(plan.to_string(), @r"
    write cluster/web/heartbeat/mode = local
    rmdir cluster/web/node/node2
    rmdir cluster/web/node/node3
    mkdir cluster/web/node/node2
    write cluster/web/node/node2/ipv4_port = 7777
    write cluster/web/node/node2/ipv4_address = 10.0.0.22
    write cluster/web/node/node2/num = 1
    write cluster/web/node/node2/local = 0
    mkdir cluster/web/node/node4
    write cluster/web/node/node4/ipv4_port = 7777
    write cluster/web/node/node4/ipv4_address = 10.0.0.4
    write cluster/web/node/node4/num = 3
    write cluster/web/node/node4/local = 0
    ");
    apply(&mut m, &plan).unwrap();
    let names: Vec<_> = m
        .cluster("web")
        .unwrap()
        .nodes
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, ["node1", "node2", "node4"]);
    assert_eq!(node(&m, "node2").addr, Some(Ipv4Addr::new(10, 0, 0, 22)));
}

#[test]
fn sixty_four_nodes_take_one_mkdir_and_four_writes_each() {
    let nodes: Vec<(String, u32, String, u32)> = (0..64)
        .map(|i| {
            let name = if i == 0 {
                "node1".to_string()
            } else {
                format!("n{i}")
            };
            let ip = if i == 0 {
                "127.0.0.1".to_string()
            } else {
                format!("10.0.1.{i}")
            };
            (name, i, ip, 7777)
        })
        .collect();
    let refs: Vec<(&str, u32, &str, u32)> = nodes
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), *b, c.as_str(), *d))
        .collect();
    let mut m = KernelModel::default();
    assert_eq!(
        register(&mut m, &cluster_conf(&conf_text(&refs))).unwrap(),
        2 + 64 * 5
    );
}

#[test]
fn every_precheck_problem_is_reported_with_the_node() {
    let bad = cluster_conf(&conf_text(&[
        ("node1", 0, "127.0.0.1", 7777),
        ("dupip", 1, "127.0.0.1", 7777),
        ("dupnum", 0, "10.0.0.3", 7777),
        ("bignum", 300, "10.0.0.4", 7777),
        ("port0", 5, "10.0.0.5", 0),
        ("port65535", 6, "10.0.0.6", 65535),
        ("zero", 7, "0.0.0.0", 7777),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            8,
            "10.0.0.8",
            7777,
        ),
        ("NODE1.example.com", 9, "10.0.0.9", 7777),
    ]));
    let errors = desired_cluster(&bad, b"node1.example.com").unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(text.join("\n"), @r"
    node dupip: ip 127.0.0.1 is already used by node node1
    node dupnum: number 0 is already used by node node1
    node bignum: number 300 is out of range; the kernel accepts 0 to 254
    node port0: port 0 is out of range; the kernel accepts 1 to 65534
    node port65535: port 65535 is out of range; the kernel accepts 1 to 65534
    node zero: address 0.0.0.0 is refused (the kernel mishandles it and can hang)
    node name `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` is 65 bytes long; the kernel accepts at most 64
    nodes node1 and NODE1.example.com both match this host's name (node1.example.com); only one node can be local
    ");
}

#[test]
fn a_second_cluster_is_refused_before_any_write() {
    let mut m = KernelModel::default();
    register(&mut m, &two_nodes()).unwrap();
    let before = m.snapshot();
    let other = cluster_conf("cluster:\n\tname = other\n\tnode_count = 0\n");
    let e = register(&mut m, &other).unwrap_err();
    insta::assert_snapshot!(e, @"cluster other: cluster web is already registered; the kernel runs one cluster at a time");
    assert_eq!(m.snapshot(), before);
}

/// Builds a desired cluster by hand, bypassing the prechecks, so the kernel model itself
/// refuses and the undo log has to put everything back.
fn unchecked(nodes: &[(&str, u32, [u8; 4], bool)]) -> DesiredCluster {
    DesiredCluster {
        name: ConfigfsName::new(NameKind::Cluster, b"web").unwrap(),
        heartbeat_mode: cluster_conf::HeartbeatMode::Local,
        nodes: nodes
            .iter()
            .map(|(n, num, ip, local)| DesiredNode {
                name: ConfigfsName::new(NameKind::Node, n.as_bytes()).unwrap(),
                number: *num,
                ip_address: Ipv4Addr::from(*ip),
                ip_port: 7777,
                local: *local,
            })
            .collect(),
    }
}

fn apply_unchecked(m: &mut KernelModel, desired: &DesiredCluster) -> Result<usize, ApplyError> {
    let registered = read_clusters(m).unwrap().unwrap();
    let current = if registered.contains(&desired.name) {
        Some(read_cluster(m, &desired.name).unwrap())
    } else {
        None
    };
    let plan = plan_register(desired, &registered, current.as_ref()).unwrap();
    apply(m, &plan)
}

#[test]
fn kernel_refusals_are_explained_and_everything_is_undone() {
    let cases: &[(&str, DesiredCluster)] = &[
        (
            "duplicate ip",
            unchecked(&[
                ("alpha", 0, [127, 0, 0, 1], true),
                ("beta", 1, [127, 0, 0, 1], false),
            ]),
        ),
        (
            "duplicate number",
            unchecked(&[
                ("alpha", 0, [127, 0, 0, 1], true),
                ("beta", 0, [10, 0, 0, 2], false),
            ]),
        ),
        (
            "second local node",
            unchecked(&[
                ("alpha", 0, [127, 0, 0, 1], true),
                ("beta", 1, [127, 0, 0, 2], true),
            ]),
        ),
        (
            "address not on this host",
            unchecked(&[("alpha", 0, [192, 0, 2, 10], true)]),
        ),
        (
            "number out of range",
            unchecked(&[("alpha", 300, [127, 0, 0, 1], true)]),
        ),
    ];
    let mut report = String::new();
    for (what, desired) in cases {
        let mut m = KernelModel::default();
        m.host_addresses.insert(Ipv4Addr::new(127, 0, 0, 2));
        let before = m.snapshot();
        let e = apply_unchecked(&mut m, desired).unwrap_err();
        assert!(e.undo_failures.is_empty(), "{what}: {e}");
        assert_eq!(m.snapshot(), before, "{what}: configfs not restored");
        report.push_str(&format!("{what}: {e}\n"));
    }
    insta::assert_snapshot!(report, @r"
    duplicate ip: node beta: ip 127.0.0.1 is already used by node alpha (kernel: EEXIST)
    duplicate number: node beta: number 0 is already used by node alpha (kernel: EEXIST)
    second local node: node beta: cannot be this host's node: node alpha already is (kernel: EBUSY)
    address not on this host: node alpha: it is this host's node, but its address 192.0.2.10 is not configured on any interface here, so the kernel cannot listen on it (kernel: EADDRNOTAVAIL)
    number out of range: node alpha: number 300 is out of range; the kernel accepts 0 to 254 (kernel: ERANGE)
    ");
}

#[test]
fn a_failed_reregistration_restores_the_nodes_it_removed() {
    let mut m = KernelModel::default();
    register(&mut m, &two_nodes()).unwrap();
    let before = m.snapshot();
    // node2 changes address (so it is removed and re-created), and a new node's address is
    // not on this host while it claims to be local after node1 stops being local.
    let desired = unchecked(&[
        ("node1", 0, [127, 0, 0, 1], false),
        ("node2", 1, [10, 0, 0, 22], false),
        ("node3", 2, [192, 0, 2, 3], true),
    ]);
    let e = apply_unchecked(&mut m, &desired).unwrap_err();
    assert!(e.to_string().contains("node node3"), "{e}");
    assert!(e.undo_failures.is_empty(), "{e}");
    assert_eq!(m.snapshot(), before);
}

#[test]
fn unregistering_removes_nodes_then_the_cluster_and_refuses_with_a_region() {
    let mut m = KernelModel::default();
    register(&mut m, &two_nodes()).unwrap();
    let name = ConfigfsName::new(NameKind::Cluster, b"web").unwrap();
    let registered = read_clusters(&mut m).unwrap().unwrap();
    let state = read_cluster(&mut m, &name).unwrap();
    let plan = plan_unregister(&name, &registered, &state).unwrap();
    insta::assert_snapshot!(plan.to_string(), @r"
    rmdir cluster/web/node/node1
    rmdir cluster/web/node/node2
    rmdir cluster/web
    ");
    m.clusters[0].regions.push(model::RegionModel {
        name: "ABCD".into(),
        block_bytes: 512,
        start_block: 10,
        blocks: 255,
        dev: Some("vda".into()),
        in_use: false,
    });
    let state = read_cluster(&mut m, &name).unwrap();
    let e = plan_unregister(&name, &registered, &state).unwrap_err();
    insta::assert_snapshot!(e, @"cluster web: heartbeat region ABCD is still active");
    m.clusters[0].regions.clear();
    apply(&mut m, &plan).unwrap();
    assert!(m.clusters.is_empty());
    let other = ConfigfsName::new(NameKind::Cluster, b"other").unwrap();
    let e = plan_unregister(&other, &[], &state).unwrap_err();
    insta::assert_snapshot!(e, @"cluster other is not registered");
}

#[test]
fn timeouts_are_written_in_an_order_the_kernel_accepts() {
    let mut m = KernelModel::default();
    register(&mut m, &two_nodes()).unwrap();
    let name = ConfigfsName::new(NameKind::Cluster, b"web").unwrap();
    // From idle 30000 / keepalive 2000 to idle 1500 / keepalive 1000: the keepalive delay
    // must go first (idle 1500 is not above the current keepalive 2000).
    let state = read_cluster(&mut m, &name).unwrap();
    let wanted = Timeouts {
        dead_threshold: Some(62),
        idle_timeout_ms: Some(1500),
        keepalive_delay_ms: Some(1000),
        reconnect_delay_ms: Some(2000),
    };
    let plan = plan_timeouts(&state, &wanted).unwrap();
    insta::assert_snapshot!(plan.to_string(), @r"
    write cluster/web/heartbeat/dead_threshold = 62
    write cluster/web/keepalive_delay_ms = 1000
    write cluster/web/idle_timeout_ms = 1500
    ");
    apply(&mut m, &plan).unwrap();
    // Back up: idle first.
    let state = read_cluster(&mut m, &name).unwrap();
    let wanted = Timeouts {
        idle_timeout_ms: Some(60000),
        keepalive_delay_ms: Some(5000),
        ..Timeouts::default()
    };
    let plan = plan_timeouts(&state, &wanted).unwrap();
    assert!(plan
        .to_string()
        .starts_with("write cluster/web/idle_timeout_ms"));
    apply(&mut m, &plan).unwrap();
    let c = m.cluster("web").unwrap();
    assert_eq!(
        (c.idle_timeout_ms, c.keepalive_delay_ms, c.dead_threshold),
        (60000, 5000, 62)
    );

    let state = read_cluster(&mut m, &name).unwrap();
    let bad = Timeouts {
        idle_timeout_ms: Some(4000),
        ..Timeouts::default()
    };
    insta::assert_snapshot!(plan_timeouts(&state, &bad).unwrap_err(), @"idle timeout (4000 ms) must be greater than the keepalive delay (5000 ms)");
    let bad = Timeouts {
        dead_threshold: Some(2),
        ..Timeouts::default()
    };
    insta::assert_snapshot!(plan_timeouts(&state, &bad).unwrap_err(), @"the heartbeat dead threshold must be from 3 to 4294967295, not 2");
}

#[test]
fn heartbeat_regions_start_and_stop() {
    let mut m = KernelModel::default();
    m.block_devices.push(("/dev/vda".into(), "vda".into()));
    register(&mut m, &two_nodes()).unwrap();
    let name = ConfigfsName::new(NameKind::Cluster, b"web").unwrap();
    let region = RegionParams {
        name: ConfigfsName::new(NameKind::Region, b"A2FA71FEE7B211F18458D320C8AA2688").unwrap(),
        device: PathBuf::from("/dev/vda"),
        block_bytes: 512,
        start_block: 2184,
        blocks: 255,
    };
    apply(&mut m, &plan_start_region(&name, &region)).unwrap();
    let state = read_cluster(&mut m, &name).unwrap();
    assert_eq!(state.regions[0].dev, "vda");
    assert!(state.regions[0].is_running());
    // The local node cannot go while heartbeat runs.
    let before = m.snapshot();
    let desired = unchecked(&[("node1", 0, [127, 0, 0, 1], false)]);
    let e = apply_unchecked(&mut m, &desired).unwrap_err();
    insta::assert_snapshot!(e, @"node node1: cannot remove node node1: it is this host's node and a heartbeat region is active (umount the volumes or stop heartbeat first) (kernel: EBUSY)");
    assert_eq!(m.snapshot(), before);
    // A device the kernel refuses: the region directory goes away again.
    let bad = RegionParams {
        name: ConfigfsName::new(NameKind::Region, b"BBBB").unwrap(),
        device: PathBuf::from("/dev/null"),
        ..region.clone()
    };
    let e = apply(&mut m, &plan_start_region(&name, &bad)).unwrap_err();
    assert!(e.to_string().contains("refused device /dev/null"), "{e}");
    assert_eq!(m.snapshot(), before);
    apply(&mut m, &plan_stop_region(&name, &region.name)).unwrap();
    assert!(m.cluster("web").unwrap().regions.is_empty());
}
