//! The group join (docs/ocfs2-tools-reference.md §6.5) on images from ocfs2-disk's builder,
//! against the configfs crate's model of the kernel: which volumes may join which running
//! cluster, what a join starts, what a failed mount's abandon and the umount's leave undo,
//! and where the per-filesystem policy plugs in.

#[path = "../../configfs/tests/model/mod.rs"]
mod model;

use std::path::{Path, PathBuf};

use configfs::{ClusterState, ConfigfsIo, NodeState};
use hb_ctl::error::line;
use hb_ctl::join::{
    self, Heartbeat, JoinError, Left, MountPolicy, NoPolicy, PolicyOutcome, PolicyRefusal,
    RunningCluster,
};
use hb_ctl::region::{Started, Stopped};
use model::{KernelModel, NodeModel};
use o2cb_sys::volume::OpenedVolume;
use ocfs2_disk::image::{ClusterStack, ImageBuilder};
use ocfs2_disk::Superblock;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A registered cluster `name` in `mode` whose first node is this host (unless `local` is
/// false), with the image at `device` as a block device.
fn kernel(name: &str, mode: &str, local: bool, device: &Path) -> KernelModel {
    let mut m = KernelModel::default();
    let io: &mut dyn ConfigfsIo = &mut m;
    io.mkdir(&PathBuf::from(format!("cluster/{name}"))).unwrap();
    io.write(
        &PathBuf::from(format!("cluster/{name}/heartbeat/mode")),
        mode.as_bytes(),
    )
    .unwrap();
    for (i, node) in ["node1", "node2"].iter().enumerate() {
        m.clusters[0].nodes.push(NodeModel {
            name: (*node).into(),
            port: Some(7777),
            addr: Some(format!("127.0.0.{}", i + 1).parse().unwrap()),
            num: Some(i as u32),
            local: local && i == 0,
        });
    }
    m.block_devices
        .push((device.display().to_string(), "vdb".into()));
    m.log.clear();
    m
}

/// An image on disk with a UUID unique to this test (semaphore sets are machine-wide).
fn volume(dir: &Path, tag: u8, builder: ImageBuilder) -> OpenedVolume {
    let mut uuid = [0u8; 16];
    uuid[..4].copy_from_slice(&std::process::id().to_be_bytes());
    uuid[4] = tag;
    uuid[5..].copy_from_slice(&[0x5E; 11]);
    let image = builder.uuid(uuid).build().unwrap();
    let path = dir.join(format!("vol{tag}.img"));
    std::fs::write(&path, &image.bytes).unwrap();
    OpenedVolume::open(&path).unwrap()
}

fn o2cb(cluster: &str, global: bool) -> ClusterStack {
    ClusterStack::O2cb {
        cluster: cluster.as_bytes().to_vec(),
        global_heartbeat: global,
    }
}

fn refusal(m: &mut KernelModel, v: &OpenedVolume) -> String {
    let running = RunningCluster::read(m, "o2cb").unwrap();
    let e = join::join(m, &running, v, &NoPolicy).unwrap_err();
    let host = String::from_utf8(o2cb_sys::hostname::hostname().unwrap()).unwrap();
    line("mount.ocfs2", &e, "trying to join the group").replace(&host, "<host>")
}

#[test]
fn volumes_that_do_not_belong_to_the_running_cluster_are_refused_with_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let prod = volume(
        dir.path(),
        1,
        ImageBuilder::new().stack(o2cb("prod", false)),
    );
    let global = volume(dir.path(), 2, ImageBuilder::new().stack(o2cb("web", true)));
    let local = volume(dir.path(), 3, ImageBuilder::new().stack(o2cb("web", false)));
    let pcmk = volume(
        dir.path(),
        4,
        ImageBuilder::new().stack(ClusterStack::Userspace {
            stack: *b"pcmk",
            cluster: b"web".to_vec(),
        }),
    );
    let mut lines = Vec::new();

    let mut offline = kernel("web", "local", true, prod.path());
    offline.clusters.clear();
    lines.push(refusal(&mut offline, &prod));
    let classic = volume(
        dir.path(),
        5,
        ImageBuilder::new().stack(ClusterStack::Classic),
    );
    lines.push(refusal(&mut offline, &classic));
    lines.push(refusal(
        &mut kernel("web", "local", true, prod.path()),
        &prod,
    ));
    lines.push(refusal(
        &mut kernel("web", "local", true, global.path()),
        &global,
    ));
    lines.push(refusal(
        &mut kernel("web", "global", true, local.path()),
        &local,
    ));
    lines.push(refusal(
        &mut kernel("web", "local", true, pcmk.path()),
        &pcmk,
    ));
    lines.push(refusal(
        &mut kernel("web", "local", false, local.path()),
        &local,
    ));
    let mut nobody = kernel("web", "local", false, local.path());
    nobody.clusters[0].nodes.clear();
    lines.push(refusal(&mut nobody, &local));
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn the_checks_run_in_the_references_order() {
    // A pcmk volume of another cluster with global heartbeat: the stack is named first.
    let dir = tempfile::tempdir().unwrap();
    let v = volume(
        dir.path(),
        6,
        ImageBuilder::new().stack(ClusterStack::Userspace {
            stack: *b"pcmk",
            cluster: b"other".to_vec(),
        }),
    );
    let mut m = kernel("web", "global", false, v.path());
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    assert!(matches!(
        join::check_volume(v.superblock(), &running),
        Err(JoinError::Stack { .. })
    ));
    let v = volume(
        dir.path(),
        7,
        ImageBuilder::new().stack(o2cb("other", true)),
    );
    assert!(matches!(
        join::check_volume(v.superblock(), &running),
        Err(JoinError::ClusterName { .. })
    ));
}

#[test]
fn a_classic_volume_belongs_to_whatever_cluster_runs() {
    let dir = tempfile::tempdir().unwrap();
    let v = volume(
        dir.path(),
        8,
        ImageBuilder::new().stack(ClusterStack::Classic),
    );
    let mut m = kernel("anything", "local", true, v.path());
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    let cluster = join::check_volume(v.superblock(), &running).unwrap();
    assert_eq!(cluster.name.as_str(), "anything");
}

#[test]
fn a_join_starts_the_volumes_region_and_an_abandon_stops_it() {
    if !is_root() {
        eprintln!("skipping: semaphore sets are mode 0 (root only)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = volume(dir.path(), 9, ImageBuilder::new().stack(o2cb("web", false)));
    let mut m = kernel("web", "local", true, v.path());
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    let joined = join::join(&mut m, &running, &v, &NoPolicy).unwrap();
    assert_eq!(joined.heartbeat(), Heartbeat::Local(Started::Created));
    assert!(joined.mount_options().is_empty());
    let r = &m.clusters[0].regions[0];
    assert_eq!(r.name, v.uuid_hex());
    // The recipe's heartbeat area for a 512-byte-sector file (reference §8.9).
    assert_eq!((r.block_bytes, r.start_block, r.blocks), (512, 128, 255));
    assert_eq!(o2cb_sys::semaphore::ref_count(&v.uuid_hex()).unwrap(), 1);
    joined.abandon(&mut m).unwrap();
    assert!(m.clusters[0].regions.is_empty());
    assert_eq!(o2cb_sys::semaphore::ref_count(&v.uuid_hex()).unwrap(), 0);
}

#[test]
fn leave_drops_the_reference_and_a_gone_device_is_left_by_name() {
    if !is_root() {
        eprintln!("skipping: semaphore sets are mode 0 (root only)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = volume(
        dir.path(),
        10,
        ImageBuilder::new().stack(o2cb("web", false)),
    );
    let mut m = kernel("web", "local", true, v.path());
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    join::join(&mut m, &running, &v, &NoPolicy)
        .unwrap()
        .complete();
    join::join(&mut m, &running, &v, &NoPolicy)
        .unwrap()
        .complete();
    assert_eq!(
        join::leave(&mut m, &running, &v).unwrap(),
        Left::Local(Stopped::StillUsed { refs: 1 })
    );
    // The device disappears; the kernel's umount callback names the region by UUID.
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    assert_eq!(
        join::leave_region(&mut m, &running, &v.uuid_hex()).unwrap(),
        Some(Left::Local(Stopped::Removed))
    );
    assert!(m.clusters[0].regions.is_empty());
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    assert_eq!(
        join::leave_region(&mut m, &running, &v.uuid_hex()).unwrap(),
        None
    );
}

#[test]
fn in_global_mode_joining_and_leaving_start_and_stop_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let v = volume(dir.path(), 11, ImageBuilder::new().stack(o2cb("web", true)));
    let mut m = kernel("web", "global", true, v.path());
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    let joined = join::join(&mut m, &running, &v, &NoPolicy).unwrap();
    assert_eq!(joined.heartbeat(), Heartbeat::Global);
    joined.complete();
    assert_eq!(join::leave(&mut m, &running, &v).unwrap(), Left::Global);
    assert_eq!(m.changes(), 0);
}

/// A stand-in for the per-filesystem policy (docs/per-filesystem.md).
struct Members {
    allow: &'static str,
    slot: u16,
}

impl MountPolicy for Members {
    fn check(
        &self,
        volume: &Superblock,
        cluster: &ClusterState,
        local: &NodeState,
    ) -> Result<PolicyOutcome, PolicyRefusal> {
        if local.name.as_str() == self.allow {
            Ok(PolicyOutcome {
                mount_options: vec![format!("preferred_slot={}", self.slot)],
            })
        } else {
            Err(PolicyRefusal {
                text: "Insufficient permissions to access cluster service".into(),
                detail: Some(format!(
                    "filesystem {} of cluster {}: this host ({}) is not a member",
                    ocfs2_disk::uuid_hex(&volume.uuid()),
                    cluster.name,
                    local.name
                )),
            })
        }
    }
}

#[test]
fn the_policy_is_asked_before_heartbeat_starts() {
    let dir = tempfile::tempdir().unwrap();
    let v = volume(
        dir.path(),
        12,
        ImageBuilder::new().stack(o2cb("web", false)),
    );
    let mut m = kernel("web", "local", true, v.path());
    let running = RunningCluster::read(&mut m, "o2cb").unwrap();
    let refused = Members {
        allow: "node2",
        slot: 1,
    };
    let e = join::join(&mut m, &running, &v, &refused).unwrap_err();
    assert_eq!(
        line("mount.ocfs2", &e, "trying to join the group"),
        format!(
            "mount.ocfs2: Insufficient permissions to access cluster service while trying to \
             join the group: filesystem {} of cluster web: this host (node1) is not a member",
            v.uuid_hex()
        )
    );
    assert_eq!(m.changes(), 0, "a refused join must start nothing");

    if !is_root() {
        return;
    }
    let allowed = Members {
        allow: "node1",
        slot: 3,
    };
    let joined = join::join(&mut m, &running, &v, &allowed).unwrap();
    assert_eq!(joined.mount_options(), ["preferred_slot=3"]);
    joined.abandon(&mut m).unwrap();
}
