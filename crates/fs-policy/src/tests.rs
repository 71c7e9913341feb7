use super::*;

const UUID: &str = "7A5B5E0D1A2B4C3D9E8F0011223344AA";
const OTHER: &str = "0123456789ABCDEF0123456789ABCDEF";

fn config(extra: &str) -> Config {
    let text = format!(
        "cluster:\n\tname = web\n\tnode_count = 3\n\n\
         node:\n\tname = alpha\n\tcluster = web\n\tnumber = 1\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\n\
         node:\n\tname = beta\n\tcluster = web\n\tnumber = 2\n\tip_address = 10.0.0.2\n\tip_port = 7777\n\n\
         node:\n\tname = gamma\n\tcluster = web\n\tnumber = 3\n\tip_address = 10.0.0.3\n\tip_port = 7777\n\n{extra}"
    );
    let doc = cluster_conf::Document::parse(text);
    assert!(
        !doc.has_classic_or_extension_errors(),
        "{}",
        doc.render_diagnostics("t", |_| true)
    );
    doc.config().clone()
}

fn fs(label: &str, slots: Option<u16>, members: &[(&str, Option<u16>, &str)]) -> String {
    let mut s = format!("filesystem:\n\tuuid = {UUID}\n\tcluster = web\n\tlabel = {label}\n");
    if let Some(n) = slots {
        s.push_str(&format!("\tslots = {n}\n"));
    }
    s.push('\n');
    for (node, slot, extra) in members {
        s.push_str(&format!(
            "filesystem_node:\n\tfilesystem = {UUID}\n\tnode = {node}\n"
        ));
        if let Some(slot) = slot {
            s.push_str(&format!("\tslot = {slot}\n"));
        }
        s.push_str(extra);
        s.push('\n');
    }
    s
}

fn decide(config: &Config, host: &str, volume: &VolumeFacts) -> Result<MountDecision, PolicyError> {
    mount_policy(
        config,
        UUID.parse().unwrap(),
        host.as_bytes(),
        volume,
        Layout::Classic,
    )
}

#[test]
fn unmanaged_and_open_filesystems_mount_as_before() {
    let c = config("");
    assert_eq!(
        decide(&c, "alpha", &VolumeFacts::default()),
        Ok(MountDecision::Unmanaged)
    );
    let c = config(&fs("data", Some(4), &[]));
    assert_eq!(
        decide(&c, "beta", &VolumeFacts::default()),
        Ok(MountDecision::AnyNode)
    );
    let other: FsUuid = OTHER.parse().unwrap();
    assert_eq!(
        mount_policy(
            &c,
            other,
            b"alpha",
            &VolumeFacts::default(),
            Layout::Classic
        ),
        Ok(MountDecision::Unmanaged)
    );
}

#[test]
fn members_get_their_slot_and_others_are_refused_by_name() {
    let c = config(&fs(
        "data",
        Some(4),
        &[("beta", None, ""), ("alpha", Some(2), "")],
    ));
    let alpha = decide(&c, "alpha.example.com", &VolumeFacts::default()).unwrap();
    assert_eq!(
        alpha,
        MountDecision::Member {
            node: "alpha".into(),
            slot: Some(2)
        }
    );
    assert_eq!(alpha.mount_option().as_deref(), Some("preferred_slot=2"));
    // beta takes the lowest free slot.
    let beta = decide(&c, "beta", &VolumeFacts::default()).unwrap();
    assert_eq!(
        beta,
        MountDecision::Member {
            node: "beta".into(),
            slot: Some(0)
        }
    );
    let e = decide(&c, "gamma", &VolumeFacts::default()).unwrap_err();
    insta::assert_snapshot!(e, @"filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('data'): this host (node gamma) is not a member; its members are beta, alpha");
    let e = decide(&c, "delta", &VolumeFacts::default()).unwrap_err();
    insta::assert_snapshot!(e, @"filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('data'): no node of cluster web matches this host's name (delta)");
}

#[test]
fn the_volume_decides_the_slot_count_when_the_file_does_not() {
    let c = config(&fs(
        "data",
        None,
        &[("alpha", None, ""), ("beta", None, "")],
    ));
    // Without a slot count nothing is allocated.
    assert_eq!(
        decide(&c, "beta", &VolumeFacts::default()),
        Ok(MountDecision::Member {
            node: "beta".into(),
            slot: None
        })
    );
    let volume = VolumeFacts {
        max_slots: Some(4),
        ..VolumeFacts::default()
    };
    assert_eq!(
        decide(&c, "beta", &volume),
        Ok(MountDecision::Member {
            node: "beta".into(),
            slot: Some(1)
        })
    );
    let small = VolumeFacts {
        max_slots: Some(1),
        ..VolumeFacts::default()
    };
    let e = decide(&c, "beta", &small).unwrap_err();
    assert!(matches!(e, PolicyError::Slots(_)), "{e}");
}

#[test]
fn what_the_volume_says_must_agree_with_the_file() {
    let c = config(&fs("data", Some(4), &[("alpha", None, "")]));
    let mut report = String::new();
    for volume in [
        VolumeFacts {
            max_slots: Some(8),
            ..VolumeFacts::default()
        },
        VolumeFacts {
            label: Some("other".into()),
            ..VolumeFacts::default()
        },
        VolumeFacts {
            cluster: Some("prod".into()),
            ..VolumeFacts::default()
        },
    ] {
        report.push_str(&decide(&c, "alpha", &volume).unwrap_err().to_string());
        report.push('\n');
    }
    insta::assert_snapshot!(report, @r#"
    filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('data'): cluster.conf says 4 slots, the volume has 8
    filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('data'): cluster.conf says label "data", the volume's is "other"
    filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('data'): cluster.conf puts it in cluster web, the volume says prod
    "#);
}

#[test]
fn network_overrides_are_refused_on_classic_kernels_only() {
    let c = config(&fs(
        "data",
        Some(4),
        &[("alpha", Some(0), "\tip_address = 192.168.5.1\n")],
    ));
    let e = decide(&c, "alpha", &VolumeFacts::default()).unwrap_err();
    insta::assert_snapshot!(e, @"filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('data'): node alpha is to use 192.168.5.1:7777 for this filesystem, but the classic o2cb kernel gives a node one address for all filesystems (10.0.0.1:7777); remove the override or use the per-fs layout");
    let per_fs = mount_policy(
        &c,
        UUID.parse().unwrap(),
        b"alpha",
        &VolumeFacts::default(),
        Layout::PerFs,
    );
    assert_eq!(
        per_fs,
        Ok(MountDecision::Member {
            node: "alpha".into(),
            slot: Some(0)
        })
    );
    // An override equal to the node's own address is no override.
    let same = config(&fs(
        "data",
        Some(4),
        &[(
            "alpha",
            Some(0),
            "\tip_address = 10.0.0.1\n\tip_port = 7777\n",
        )],
    ));
    assert!(decide(&same, "alpha", &VolumeFacts::default()).is_ok());
}

#[test]
fn allocation_reports_new_pins_per_filesystem() {
    let c = config(&fs(
        "data",
        Some(4),
        &[
            ("gamma", None, ""),
            ("alpha", Some(3), ""),
            ("beta", None, ""),
        ],
    ));
    let all = allocate(&c);
    assert_eq!(all.len(), 1);
    let Some(Ok(Placement::Members(map))) = &all[0].result else {
        panic!("{:?}", all[0]);
    };
    let pins: Vec<(String, u16)> = map
        .new_pins()
        .map(|a| (String::from_utf8_lossy(&a.node).into_owned(), a.slot))
        .collect();
    assert_eq!(pins, [("beta".to_string(), 0), ("gamma".to_string(), 1)]);
}

#[test]
fn layouts_are_named() {
    assert_eq!(Layout::parse(""), Some(Layout::Classic));
    assert_eq!(Layout::parse("per-fs"), Some(Layout::PerFs));
    assert_eq!(Layout::parse("perfs"), None);
    assert_eq!(Layout::PerFs.as_str(), "per-fs");
}

#[test]
fn per_fs_registrations_carry_overrides_slots_and_the_local_flag() {
    let c = config(&fs(
        "data",
        Some(4),
        &[
            (
                "beta",
                None,
                "\tip_address = 192.168.5.2\n\tip_port = 7800\n",
            ),
            ("alpha", Some(3), ""),
        ],
    ));
    let regs = registrations(&c, UUID.parse().unwrap(), b"alpha", None).unwrap();
    let shown: Vec<String> = regs
        .iter()
        .map(|r| {
            format!(
                "{} {}:{} slot {} local {}",
                r.node, r.ip_address, r.ip_port, r.slot, r.local
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "beta 192.168.5.2:7800 slot 0 local false",
            "alpha 10.0.0.1:7777 slot 3 local true"
        ]
    );
    // No members: the whole cluster, in node-number order of slots.
    let open = config(&fs("data", None, &[]));
    let regs = registrations(&open, UUID.parse().unwrap(), b"gamma", Some(3)).unwrap();
    let slots: Vec<(String, u16, bool)> = regs
        .iter()
        .map(|r| (r.node.to_string(), r.slot, r.local))
        .collect();
    assert_eq!(
        slots,
        [
            ("alpha".into(), 0, false),
            ("beta".into(), 1, false),
            ("gamma".into(), 2, true)
        ]
    );
    let e = registrations(&open, UUID.parse().unwrap(), b"gamma", None).unwrap_err();
    insta::assert_snapshot!(e, @"filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA ('data'): the slot count is not known (add `slots = N` to its stanza, or give the device)");
    let e = registrations(&open, OTHER.parse().unwrap(), b"gamma", None).unwrap_err();
    insta::assert_snapshot!(e, @"filesystem 0123456789ABCDEF0123456789ABCDEF is not in cluster.conf");
}
