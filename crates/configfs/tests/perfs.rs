//! The per-filesystem layout's planner against the model of its rules (tests/perfs_model).

mod perfs_model;

use std::net::Ipv4Addr;
use std::path::PathBuf;

use configfs::*;
use perfs_model::PerFsModel;

const UUID: &str = "7A5B5E0D1A2B4C3D9E8F0011223344AA";

fn member(name: &str, ip: [u8; 4], slot: u16, local: bool) -> FsMemberDesired {
    FsMemberDesired {
        name: ConfigfsName::new(NameKind::Node, name.as_bytes()).unwrap(),
        ip_address: Ipv4Addr::from(ip),
        ip_port: 7777,
        slot,
        local,
    }
}

fn desired(members: Vec<FsMemberDesired>) -> FsDesired {
    FsDesired {
        uuid: filesystem_name(UUID).unwrap(),
        members,
        heartbeat: Some(RegionParams {
            name: filesystem_name(UUID).unwrap(),
            device: PathBuf::from("/dev/vdb"),
            block_bytes: 512,
            start_block: 2184,
            blocks: 255,
        }),
    }
}

fn model() -> PerFsModel {
    PerFsModel {
        block_devices: vec![("/dev/vdb".into(), "vdb".into())],
        ..PerFsModel::default()
    }
}

fn register(m: &mut PerFsModel, d: &FsDesired) -> Result<usize, ApplyError> {
    let current = read_filesystem(m, &d.uuid).unwrap();
    apply(m, &plan_fs_register(d, current.as_ref()))
}

#[test]
fn a_filesystem_registers_its_members_in_order_and_activates() {
    let mut m = model();
    let d = desired(vec![
        member("alpha", [10, 0, 0, 1], 2, true),
        member("beta", [10, 0, 0, 2], 0, false),
    ]);
    let plan = plan_fs_register(&d, None);
    insta::assert_snapshot!(plan.to_string(), @r"
    mkdir cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA
    mkdir cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/ipv4_port = 7777
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/ipv4_address = 10.0.0.1
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/slot = 2
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/local = 1
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/heartbeat/block_bytes = 512
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/heartbeat/start_block = 2184
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/heartbeat/blocks = 255
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/alpha/heartbeat/dev = <fd of /dev/vdb>
    mkdir cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/beta
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/beta/ipv4_port = 7777
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/beta/ipv4_address = 10.0.0.2
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/beta/slot = 0
    write cluster/ocfs2/7A5B5E0D1A2B4C3D9E8F0011223344AA/beta/local = 0
    ");
    apply(&mut m, &plan).unwrap();
    let name = filesystem_name(UUID).unwrap();
    let alpha = ConfigfsName::new(NameKind::Node, b"alpha").unwrap();
    apply(&mut m, &plan_fs_active(&name, &alpha, true)).unwrap();
    let state = read_filesystem(&mut m, &name).unwrap().unwrap();
    let local = state.local().unwrap();
    assert_eq!(
        (local.name.as_str(), local.slot, local.active),
        ("alpha", 2, true)
    );
    // Registering the same again changes nothing.
    m.log.clear();
    assert_eq!(register(&mut m, &d).unwrap(), 0);
    // An active member cannot go; deactivated, the filesystem unregisters.
    assert!(apply(&mut m, &plan_fs_unregister(&state)).is_err());
    apply(&mut m, &plan_fs_active(&name, &alpha, false)).unwrap();
    let state = read_filesystem(&mut m, &name).unwrap().unwrap();
    apply(&mut m, &plan_fs_unregister(&state)).unwrap();
    assert!(m.filesystems.is_empty());
}

#[test]
fn a_changed_member_is_replaced_and_refusals_are_undone() {
    let mut m = model();
    register(
        &mut m,
        &desired(vec![
            member("alpha", [10, 0, 0, 1], 2, false),
            member("beta", [10, 0, 0, 2], 0, false),
        ]),
    )
    .unwrap();
    let before = m.snapshot();
    // beta moves to slot 1 and a new member gamma claims alpha's address: the kernel model
    // refuses gamma, and beta is put back as it was.
    let bad = desired(vec![
        member("alpha", [10, 0, 0, 1], 2, false),
        member("beta", [10, 0, 0, 2], 1, false),
        member("gamma", [10, 0, 0, 1], 3, false),
    ]);
    let current = read_filesystem(&mut m, &bad.uuid).unwrap();
    let e = apply(&mut m, &plan_fs_register(&bad, current.as_ref())).unwrap_err();
    insta::assert_snapshot!(e, @"filesystem 7A5B5E0D1A2B4C3D9E8F0011223344AA, node gamma: ip 10.0.0.1 is already used by member alpha of this filesystem (kernel: EEXIST)");
    assert!(e.undo_failures.is_empty(), "{e}");
    assert_eq!(
        m.snapshot(),
        before,
        "the removed member is put back, the new one is gone"
    );
}
