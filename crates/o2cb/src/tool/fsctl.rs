//! `fs-activate`, `fs-deactivate`, `fs-status`: a filesystem as a resource of an external
//! cluster manager (Pacemaker's OCF agent calls these), one resource per filesystem.
//!
//! Exit statuses an agent can use: 0 success / active; 3 not active (LSB "not running");
//! 2 misconfigured (unknown filesystem, this host not a member, slots that do not fit);
//! 1 any other failure.
//!
//! What activation means depends on the kernel layout, chosen with `O2CB_FS_LAYOUT` in the
//! o2cb settings file (`classic`, the default, or `per-fs`):
//!
//! - classic (mainline kernels): the filesystem's cluster is registered (with the union of
//!   its nodes) if it is not, this host's membership is checked, and the activation is
//!   recorded under `/run/o2cb/filesystems/`; mount.ocfs2 enforces membership and the slot.
//!   Deactivation is refused while the filesystem is mounted here.
//! - per-fs: the filesystem's members are registered under `cluster/ocfs2/<UUID>/` with
//!   their slots and networks, this host's heartbeat region is started, and `active` is
//!   set; deactivation clears `active` and removes the registration.

use std::ffi::OsString;

use bstr::ByteSlice;
use configfs::{
    apply, filesystem_name, plan_fs_active, plan_fs_register, plan_fs_unregister, read_cluster,
    read_clusters, read_filesystem, ConfigfsName, FsDesired, FsMemberDesired, NameKind,
    RealConfigfs, RegionParams,
};
use fs_policy::{mount_policy, registrations, Layout, MountDecision, VolumeFacts};

use o2cb_sys::volume::OpenedVolume;

use super::filesystem::{filesystem_argument, Named};
use super::{CmdResult, Failure, Session};
use crate::context::Context;

pub const EXIT_NOT_ACTIVE: i32 = 3;
pub const EXIT_MISCONFIGURED: i32 = 2;
pub const EXIT_FAILED: i32 = 1;

pub use o2cb_runtime::settings::{read_layout, LayoutError};

/// [`read_layout`] for a command: failures are reported, with the exit status to use.
pub fn layout(ctx: &Context<'_>) -> Result<Layout, Failure> {
    read_layout(&ctx.root).map_err(|e| {
        let status = match e {
            LayoutError::Unreadable(_) => EXIT_FAILED,
            LayoutError::Invalid { .. } => EXIT_MISCONFIGURED,
        };
        Failure::refused(e).with_status(status)
    })
}

fn hostname() -> Result<Vec<u8>, Failure> {
    o2cb_sys::hostname::hostname()
        .map_err(|e| Failure::refused(format!("Could not determine local host name: {e}")))
}

fn configfs(ctx: &Context<'_>) -> Result<RealConfigfs, Failure> {
    let mount = o2cb_sys::stack::configfs_mount(&ctx.root).ok_or_else(|| {
        Failure::refused("Unable to access cluster service: configfs is not mounted")
    })?;
    Ok(RealConfigfs::for_root(mount, ctx.root.is_real_root()))
}

fn argument(session: &Session, args: &[OsString]) -> Result<Named, Failure> {
    let arg = args.first().ok_or(Failure::Usage)?;
    let named = filesystem_argument(arg).map_err(|f| f.with_status(EXIT_MISCONFIGURED))?;
    if session.doc.config().filesystem(named.uuid).is_none() {
        return Err(Failure::refused(format!(
            "filesystem {} is not in {}",
            named.uuid, session.shown
        ))
        .with_status(EXIT_MISCONFIGURED));
    }
    Ok(named)
}

fn facts(named: &Named) -> VolumeFacts {
    named.facts().unwrap_or_default()
}

pub fn fs_activate(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> CmdResult {
    let named = argument(session, &args)?;
    let layout = layout(ctx)?;
    let host = hostname()?;
    match layout {
        Layout::Classic => activate_classic(ctx, session, &named, &host),
        Layout::PerFs => {
            let mut found = None;
            let volume = volume_of(ctx, &named, &mut found)?;
            activate_per_fs(ctx, session, &named, &host, volume)
        }
    }
}

fn activate_classic(
    ctx: &mut Context<'_>,
    session: &mut Session,
    named: &Named,
    host: &[u8],
) -> CmdResult {
    let config = session.doc.config().clone();
    let decision = mount_policy(&config, named.uuid, host, &facts(named), Layout::Classic)
        .map_err(|e| Failure::refused(e).with_status(EXIT_MISCONFIGURED))?;
    let fs = config
        .filesystem(named.uuid)
        .expect("checked by argument()");
    // The filesystem's cluster must be up: register it (the union of its nodes) when it is
    // not, exactly as register-cluster does.
    let cluster = fs.cluster.to_str_lossy().into_owned();
    let online = {
        let mut io = configfs(ctx)?;
        let name = ConfigfsName::new(NameKind::Cluster, cluster.as_bytes())
            .map_err(|e| Failure::refused(e).with_status(EXIT_MISCONFIGURED))?;
        read_clusters(&mut io)
            .ok()
            .flatten()
            .is_some_and(|c| c.contains(&name))
            && read_cluster(&mut io, &name).is_ok_and(|s| super::cluster::is_online(&s))
    };
    if !online {
        super::cluster::register_cluster(ctx, session, vec![OsString::from(&cluster)])?;
    }
    let (node, slot) = match &decision {
        MountDecision::Member { node, slot } => (
            node.to_str_lossy().into_owned(),
            slot.map(|s| s.to_string()),
        ),
        _ => (String::from_utf8_lossy(host).into_owned(), None),
    };
    let record = format!(
        "cluster={cluster}\nnode={node}\nslot={}\n",
        slot.unwrap_or_default()
    );
    let uuid = named.uuid.to_string();
    o2cb_sys::runstate::record_activation(&ctx.root, &uuid, &record).map_err(|e| {
        let path = o2cb_sys::runstate::activation_path(&ctx.root, &uuid);
        Failure::refused(format!(
            "cannot record the activation in {}: {e}",
            path.display()
        ))
    })?;
    ctx.verbose(format!(
        "Activated filesystem {} on node {node}",
        named.uuid
    ));
    Ok(())
}

/// The volume of a filesystem: the device given, or the one found by UUID (into `found`).
fn volume_of<'v>(
    ctx: &Context<'_>,
    named: &'v Named,
    found: &'v mut Option<OpenedVolume>,
) -> Result<&'v OpenedVolume, Failure> {
    if let Some(v) = &named.volume {
        return Ok(v);
    }
    let uuid = named.uuid.to_string();
    let volume = o2cb_sys::volume::find_by_uuid(&ctx.root, None, &uuid)
        .map_err(|_| Failure::refused(format!("no block device holds filesystem {uuid}")))?;
    Ok(found.insert(volume))
}

fn activate_per_fs(
    ctx: &mut Context<'_>,
    session: &mut Session,
    named: &Named,
    host: &[u8],
    volume: &OpenedVolume,
) -> CmdResult {
    let config = session.doc.config();
    let region = volume.region().map_err(|e| {
        Failure::refused(format!(
            "{e} while reading the heartbeat area of {}",
            volume.path().display()
        ))
    })?;
    let slot_count = Some(volume.superblock().max_slots());
    let members = registrations(config, named.uuid, host, slot_count)
        .map_err(|e| Failure::refused(e).with_status(EXIT_MISCONFIGURED))?;
    let uuid = filesystem_name(&named.uuid.to_string())
        .map_err(|e| Failure::refused(e).with_status(EXIT_MISCONFIGURED))?;
    let mut desired_members = Vec::new();
    for m in &members {
        let name = ConfigfsName::new(NameKind::Node, &m.node)
            .map_err(|e| Failure::refused(e).with_status(EXIT_MISCONFIGURED))?;
        desired_members.push(FsMemberDesired {
            name,
            ip_address: m.ip_address,
            ip_port: m.ip_port,
            slot: m.slot,
            local: m.local,
        });
    }
    let Some(local) = desired_members
        .iter()
        .find(|m| m.local)
        .map(|m| m.name.clone())
    else {
        return Err(Failure::refused(format!(
            "filesystem {}: this host ({}) is not one of its members",
            named.uuid,
            host.to_str_lossy()
        ))
        .with_status(EXIT_MISCONFIGURED));
    };
    let desired = FsDesired {
        uuid: uuid.clone(),
        members: desired_members,
        heartbeat: Some(RegionParams {
            name: uuid.clone(),
            device: region.device,
            block_bytes: region.block_bytes,
            start_block: region.start_block,
            blocks: region.blocks,
        }),
    };
    let mut io = configfs(ctx)?;
    let current = read_filesystem(&mut io, &uuid)
        .map_err(|e| Failure::refused(format!("{e} while reading filesystem {uuid}")))?;
    let mut plan = plan_fs_register(&desired, current.as_ref());
    if !current
        .as_ref()
        .and_then(|c| c.local())
        .is_some_and(|l| l.active)
    {
        plan.steps.extend(plan_fs_active(&uuid, &local, true).steps);
    }
    apply(&mut io, &plan).map_err(Failure::refused)?;
    Ok(())
}

/// Mount points where this host has the filesystem mounted.
fn mounted_at(ctx: &Context<'_>, named: &Named) -> Vec<String> {
    let uuid = named.uuid.to_string();
    o2cb_sys::mounts::mounts(&ctx.root)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.fstype == "ocfs2")
        .filter(|m| {
            o2cb_sys::volume::OpenedVolume::open(std::path::Path::new(&m.source))
                .is_ok_and(|v| v.uuid_hex() == uuid)
        })
        .map(|m| m.target)
        .collect()
}

pub fn fs_deactivate(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let named = argument(session, &args)?;
    let mounts = mounted_at(ctx, &named);
    if !mounts.is_empty() {
        return Err(Failure::refused(format!(
            "filesystem {} is still mounted at {}; unmount it first",
            named.uuid,
            mounts.join(", ")
        )));
    }
    match layout(ctx)? {
        Layout::Classic => o2cb_sys::runstate::clear_activation(&ctx.root, &named.uuid.to_string())
            .map_err(|e| {
                Failure::refused(format!(
                    "cannot forget the activation of {}: {e}",
                    named.uuid
                ))
            }),
        Layout::PerFs => {
            let uuid = filesystem_name(&named.uuid.to_string())
                .map_err(|_| Failure::Status(EXIT_MISCONFIGURED))?;
            let mut io = configfs(ctx)?;
            let Some(state) = read_filesystem(&mut io, &uuid).ok().flatten() else {
                return Ok(());
            };
            let mut plan = configfs::Plan::default();
            if let Some(local) = state.local().filter(|l| l.active) {
                plan.steps
                    .extend(plan_fs_active(&uuid, &local.name, false).steps);
            }
            plan.steps.extend(plan_fs_unregister(&state).steps);
            apply(&mut io, &plan).map(|_| ()).map_err(Failure::refused)
        }
    }
}

pub fn fs_status(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> CmdResult {
    let named = argument(session, &args)?;
    let active = match layout(ctx)? {
        Layout::Classic => {
            let host = hostname()?;
            let config = session.doc.config().clone();
            if let Err(e) =
                mount_policy(&config, named.uuid, &host, &facts(&named), Layout::Classic)
            {
                return Err(Failure::refused(e).with_status(EXIT_MISCONFIGURED));
            }
            let fs = config
                .filesystem(named.uuid)
                .expect("checked by argument()");
            let recorded = o2cb_sys::runstate::is_activated(&ctx.root, &named.uuid.to_string());
            let online = o2cb_sys::stack::configfs_mount(&ctx.root).is_some_and(|p| {
                let mut io = RealConfigfs::for_root(p, ctx.root.is_real_root());
                ConfigfsName::new(NameKind::Cluster, &fs.cluster)
                    .ok()
                    .and_then(|n| read_cluster(&mut io, &n).ok())
                    .is_some_and(|s| super::cluster::is_online(&s))
            });
            if recorded && !online {
                ctx.error(format!(
                    "filesystem {} was activated, but cluster '{}' is not online",
                    named.uuid, fs.cluster
                ));
            }
            recorded && online
        }
        Layout::PerFs => {
            let uuid = filesystem_name(&named.uuid.to_string())
                .map_err(|_| Failure::Status(EXIT_MISCONFIGURED))?;
            match o2cb_sys::stack::configfs_mount(&ctx.root) {
                Some(p) => {
                    let mut io = RealConfigfs::for_root(p, ctx.root.is_real_root());
                    read_filesystem(&mut io, &uuid)
                        .ok()
                        .flatten()
                        .and_then(|s| s.local().map(|l| l.active))
                        .unwrap_or(false)
                }
                None => false,
            }
        }
    };
    ctx.print(if active { b"active\n" } else { b"inactive\n" });
    if active {
        Ok(())
    } else {
        Err(Failure::Status(EXIT_NOT_ACTIVE))
    }
}
