//! The reference-counting protocol of docs/ocfs2-tools-reference.md §6.3 against a model of
//! the kernel's configfs rules (the configfs crate's, shared by path) and real SysV
//! semaphores. Semaphore sets are created with mode 0, as libo2cb creates them, so these
//! tests need root; they skip otherwise.

#[path = "../../configfs/tests/model/mod.rs"]
mod model;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use configfs::{ConfigfsIo, ConfigfsName, NameKind, RegionParams};
use hb_ctl::region::{self, RegionError, Started, Stopped};
use model::{KernelModel, NodeModel, RegionModel};
use o2cb_sys::semaphore::{ref_count, RefKind};

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A region name unique to this process and call: semaphore sets are machine-wide.
fn region_name() -> ConfigfsName {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let text = format!("{:08X}{:08X}5E5E5E5E5E5E5E5E", std::process::id(), n);
    ConfigfsName::new(NameKind::Region, text.as_bytes()).unwrap()
}

fn cluster() -> ConfigfsName {
    ConfigfsName::new(NameKind::Cluster, b"web").unwrap()
}

/// A registered cluster `web` whose node1 is this host, and a device /dev/vdb.
fn kernel(mode: &str) -> KernelModel {
    let mut m = KernelModel::default();
    let io: &mut dyn ConfigfsIo = &mut m;
    io.mkdir(&PathBuf::from("cluster/web")).unwrap();
    io.write(
        &PathBuf::from("cluster/web/heartbeat/mode"),
        mode.as_bytes(),
    )
    .unwrap();
    m.clusters[0].nodes.push(NodeModel {
        name: "node1".into(),
        port: Some(7777),
        addr: Some("127.0.0.1".parse().unwrap()),
        num: Some(0),
        local: true,
    });
    m.block_devices.push(("/dev/vdb".into(), "vdb".into()));
    m.log.clear();
    m
}

fn params(name: &ConfigfsName) -> RegionParams {
    RegionParams {
        name: name.clone(),
        device: PathBuf::from("/dev/vdb"),
        block_bytes: 512,
        start_block: 128,
        blocks: 255,
    }
}

/// A region already in configfs, running on vdb or (`dev` false) left without a device.
fn existing_region(m: &mut KernelModel, name: &ConfigfsName, dev: bool) {
    m.clusters[0].regions.push(RegionModel {
        name: name.to_string(),
        block_bytes: 512,
        start_block: 128,
        blocks: 255,
        dev: dev.then(|| "vdb".into()),
        in_use: false,
    });
}

fn region<'a>(m: &'a KernelModel, name: &ConfigfsName) -> Option<&'a RegionModel> {
    m.clusters[0]
        .regions
        .iter()
        .find(|r| r.name == name.as_str())
}

macro_rules! needs_root {
    () => {
        if !is_root() {
            eprintln!("skipping: the semaphore sets are mode 0, which only root can use");
            return;
        }
    };
}

#[test]
fn mounts_share_a_region_and_the_last_leave_removes_it() {
    needs_root!();
    let mut m = kernel("local");
    let name = region_name();
    let c = cluster();
    let p = params(&name);
    assert_eq!(
        region::start(&mut m, &c, &p, RefKind::Persistent).unwrap(),
        Started::Created
    );
    assert_eq!(region(&m, &name).unwrap().dev.as_deref(), Some("vdb"));
    assert_eq!(region(&m, &name).unwrap().start_block, 128);
    assert_eq!(ref_count(name.as_str()).unwrap(), 1);

    assert_eq!(
        region::start(&mut m, &c, &p, RefKind::Persistent).unwrap(),
        Started::Joined { refs: 2 }
    );
    assert_eq!(
        region::stop(&mut m, &c, &name, RefKind::Persistent).unwrap(),
        Stopped::StillUsed { refs: 1 }
    );
    assert!(region(&m, &name).is_some());
    assert_eq!(
        region::stop(&mut m, &c, &name, RefKind::Persistent).unwrap(),
        Stopped::Removed
    );
    assert!(region(&m, &name).is_none());
    assert_eq!(ref_count(name.as_str()).unwrap(), 0);
}

#[test]
fn a_start_the_kernel_refuses_leaves_no_region_and_no_semaphore_set() {
    needs_root!();
    let mut m = kernel("local");
    // Without a local node the kernel refuses the device write (EINVAL).
    m.clusters[0].nodes[0].local = false;
    let name = region_name();
    let e = region::start(&mut m, &cluster(), &params(&name), RefKind::Persistent).unwrap_err();
    assert!(matches!(e, RegionError::Configfs(_)), "{e:?}");
    assert_eq!(e.to_string(), "Internal logic failure");
    assert!(region(&m, &name).is_none(), "the region was not removed");
    assert_eq!(ref_count(name.as_str()).unwrap(), 0);
    // The set is gone, not merely at 0: a fresh lock starts from scratch.
    let lock = o2cb_sys::semaphore::RegionLock::acquire(name.as_str()).unwrap();
    assert_eq!(lock.count().unwrap(), 0);
    lock.destroy().unwrap();
}

#[test]
fn in_global_mode_an_existing_region_takes_no_reference() {
    needs_root!();
    let mut m = kernel("global");
    let name = region_name();
    existing_region(&mut m, &name, true);
    assert_eq!(
        region::start(&mut m, &cluster(), &params(&name), RefKind::Persistent).unwrap(),
        Started::Global
    );
    assert_eq!(ref_count(name.as_str()).unwrap(), 0);
    assert_eq!(m.changes(), 0);
}

#[test]
fn a_region_left_without_device_and_references_is_started_afresh() {
    needs_root!();
    let mut m = kernel("local");
    let name = region_name();
    existing_region(&mut m, &name, false);
    assert_eq!(
        region::start(&mut m, &cluster(), &params(&name), RefKind::Persistent).unwrap(),
        Started::Created
    );
    assert_eq!(region(&m, &name).unwrap().dev.as_deref(), Some("vdb"));
    region::stop(&mut m, &cluster(), &name, RefKind::Persistent).unwrap();
}

#[test]
fn stopping_a_region_that_is_gone_fails_but_cleans_its_semaphore_set() {
    needs_root!();
    let mut m = kernel("local");
    let name = region_name();
    region::start(&mut m, &cluster(), &params(&name), RefKind::Persistent).unwrap();
    m.clusters[0].regions.clear();
    let e = region::stop(&mut m, &cluster(), &name, RefKind::Persistent).unwrap_err();
    assert!(matches!(e, RegionError::NotRunning { .. }), "{e:?}");
    assert_eq!(e.to_string(), "Heartbeat region could not be found");
    assert_eq!(ref_count(name.as_str()).unwrap(), 0);
}

#[test]
fn a_region_in_use_keeps_its_reference() {
    needs_root!();
    let mut m = kernel("local");
    let name = region_name();
    region::start(&mut m, &cluster(), &params(&name), RefKind::Persistent).unwrap();
    m.clusters[0].regions[0].in_use = true;
    let e = region::stop(&mut m, &cluster(), &name, RefKind::Persistent).unwrap_err();
    assert_eq!(e.to_string(), "Heartbeat region in use");
    assert_eq!(ref_count(name.as_str()).unwrap(), 1);
    m.clusters[0].regions[0].in_use = false;
    assert_eq!(
        region::stop(&mut m, &cluster(), &name, RefKind::Persistent).unwrap(),
        Stopped::Removed
    );
}

#[test]
fn undo_references_vanish_with_their_process_persistent_ones_stay() {
    needs_root!();
    // A child process takes one of each kind and exits: only the persistent one remains.
    let name = region_name();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "take_one_of_each_kind_and_exit", "--nocapture"])
        .env("HB_CTL_TEST_REGION", name.as_str())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(ref_count(name.as_str()).unwrap(), 1);
    let lock = o2cb_sys::semaphore::RegionLock::acquire(name.as_str()).unwrap();
    lock.destroy().unwrap();
}

/// Helper for the test above; does nothing unless run by it.
#[test]
fn take_one_of_each_kind_and_exit() {
    let Ok(name) = std::env::var("HB_CTL_TEST_REGION") else {
        return;
    };
    let lock = o2cb_sys::semaphore::RegionLock::acquire(&name).unwrap();
    lock.take_ref(RefKind::Persistent).unwrap();
    lock.take_ref(RefKind::Undo).unwrap();
    assert_eq!(lock.count().unwrap(), 2);
    lock.release().unwrap();
}

#[test]
fn geometry_libo2cb_refuses_never_reaches_the_kernel() {
    let mut m = kernel("local");
    let name = region_name();
    let mut p = params(&name);
    p.block_bytes = 8192;
    let e = region::start(&mut m, &cluster(), &p, RefKind::Persistent).unwrap_err();
    assert_eq!(e.to_string(), "Block size is invalid");
    p.block_bytes = 512;
    p.blocks = 256;
    let e = region::start(&mut m, &cluster(), &p, RefKind::Persistent).unwrap_err();
    assert_eq!(e.to_string(), "Block count is invalid");
    assert_eq!(m.changes(), 0);
}
