//! `mount.ocfs2` (docs/ocfs2-tools-reference.md §6.5): the helper mount(8) runs for
//! `-t ocfs2`. It reads the superblock, checks the volume against the running cluster,
//! joins the group (in local heartbeat mode: starts the volume's heartbeat region with a
//! persistent reference), mounts with the heartbeat mode in the data string, and leaves the
//! group if the mount fails. The kernel stops the region at umount through
//! `ocfs2_hb_ctl -K`.
//!
//! Command line: `mount.ocfs2 [-vnfs] [-o options] [-t ocfs2] device dir`, parsed with
//! glibc's getopt as the reference does (options may follow the operands). The exit status
//! is 0 or 1. Differences (docs/compatibility.md): a missing mount point is a failure (the
//! reference exits 0); `-f` (fake) and `-s` (sloppy) from mount(8) are understood; generic
//! options are split as current mount(8) splits them; failures say what differs and what to
//! do.

mod options;

use std::ffi::{OsStr, OsString};
use std::io::BufRead;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use configfs::RealConfigfs;
use getopt::{Function, HasArg, OptionSpec, OptionTable, Parsed};
use o2cb_runtime::Context;

pub use options::{ms, MountOptions};

use crate::error::{HbError, WhileDoing};
use crate::join::{self, Heartbeat, JoinError, Joined, MountPolicy, RunningCluster};
use crate::policy::OnDemand;
use o2cb_sys::volume::OpenedVolume;
use ocfs2_disk::Superblock;

/// The file system type this helper mounts.
const FSTYPE: &str = "ocfs2";

/// The reference's options, plus mount(8)'s `-f` and `-s`.
pub const OPTIONS: OptionTable<'static, u8> = OptionTable {
    optstring: "vno:t:fs",
    function: Function::Getopt,
    options: &[
        OptionSpec::short(b'v', b'v', HasArg::No).with_help("Say what is done."),
        OptionSpec::short(b'n', b'n', HasArg::No).with_help("Do not write /etc/mtab."),
        OptionSpec::short(b'o', b'o', HasArg::Required)
            .with_value_name("options")
            .with_help("Mount options, comma-separated."),
        OptionSpec::short(b't', b't', HasArg::Required)
            .with_value_name("type")
            .with_help("The file system type: ocfs2."),
        OptionSpec::short(b'f', b'f', HasArg::No)
            .with_help("Fake: check everything, mount nothing (mount -f)."),
        OptionSpec::short(b's', b's', HasArg::No)
            .with_help("Sloppy: accepted and ignored (mount -s)."),
    ],
};

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub device: Option<OsString>,
    pub dir: Option<OsString>,
    pub options: String,
    pub fstype: Option<OsString>,
    pub verbose: u32,
    pub no_mtab: bool,
    pub fake: bool,
}

/// Parses the command line. Unknown options get getopt's complaint and are otherwise
/// ignored, as in the reference (mount(8) may pass options a helper does not know).
pub fn parse(ctx: &mut Context<'_>, args: Vec<OsString>) -> Request {
    let mut r = Request::default();
    let argv0 = ctx.argv0.clone();
    let mut parser = o2cb_runtime::option_parser(&OPTIONS, args);
    for item in parser.by_ref() {
        match item {
            Parsed::Opt { id, arg } => match id {
                b'v' => r.verbose += 1,
                b'n' => r.no_mtab = true,
                b'o' => r.options = arg.unwrap_or_default().to_string_lossy().into_owned(),
                b't' => r.fstype = arg,
                b'f' => r.fake = true,
                b's' => {}
                _ => unreachable!("every option of the table is handled"),
            },
            Parsed::Error(e) => ctx.getopt_error(&argv0, &e),
            Parsed::Operand(_) => {}
        }
    }
    let mut operands = parser.into_operands().into_iter();
    r.device = operands.next();
    r.dir = operands.next();
    r
}

/// Runs `mount.ocfs2` with `args` (`argv[1..]`) under the per-filesystem policy of
/// cluster.conf; answers to the `nocluster` question come from stdin. Returns the exit
/// status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    let stdin = std::io::stdin();
    let policy = OnDemand::new(ctx.root.clone());
    run_with_input(ctx, args, &mut stdin.lock(), &policy)
}

/// [`run`] with the answers read from `input` and a per-filesystem policy.
pub fn run_with_input(
    ctx: &mut Context<'_>,
    args: Vec<OsString>,
    input: &mut dyn BufRead,
    policy: &dyn MountPolicy,
) -> i32 {
    let request = parse(ctx, args);
    match mount(ctx, &request, input, policy) {
        Ok(()) => 0,
        // No usage follows a failure: the messages about the command line carry theirs.
        Err(e) => o2cb_runtime::report(ctx, &e, ""),
    }
}

/// What the reference says it was doing when the group join fails.
const JOINING: &str = "trying to join the group";

/// The mount, step by step as the reference orders it (reference §6.5).
fn mount(
    ctx: &mut Context<'_>,
    request: &Request,
    input: &mut dyn BufRead,
    policy: &dyn MountPolicy,
) -> Result<(), HbError> {
    let target = read_command_line(ctx, request)?;
    let volume = open_volume(&target)?;
    let clustered = is_clustered(ctx, &target, &volume, input)?;
    let mut clustering = Clustering::check_stack(ctx, &volume, clustered, request.fake)?;
    check_mount_point(Path::new(target.dir))?;
    let group = join_group(ctx, request, &target, &volume, &mut clustering, policy)?;
    let mut extra = clustering.mount_data(volume.superblock());
    extra.extend(group.mount_options);
    let data = target.options.data_with(&extra);
    if request.fake {
        ctx.verbose(format!(
            "{}: fake mount of {} on {} (data \"{data}\"): nothing mounted",
            ctx.prog, target.device_shown, target.dir_shown
        ));
        return Ok(());
    }
    let joined = mount_or_leave(ctx, &target, &data, &mut clustering, group.joined)?;
    complete_join(ctx, &target, joined);
    if !request.no_mtab {
        record_in_mtab(ctx, request, &target, clustering.is_clustered());
    }
    Ok(())
}

/// The device and the mount point a mount is about, and its options.
struct Target<'r> {
    device: &'r OsStr,
    dir: &'r OsStr,
    /// How messages name them.
    device_shown: String,
    dir_shown: String,
    options: MountOptions,
}

/// The device, the mount point and the file system type of the command line.
fn read_command_line<'r>(
    ctx: &mut Context<'_>,
    request: &'r Request,
) -> Result<Target<'r>, HbError> {
    let prog = &ctx.prog;
    let usage = format!("(usage: {prog} [-vn] [-o options] device dir)");
    let Some(device) = &request.device else {
        return Err(HbError::new("Illegal or malformed device name")
            .because(format!("no device given {usage}")));
    };
    if request.verbose > 0 {
        ctx.print(format!("device={}\n", shown(device)).as_bytes());
    }
    let Some(dir) = &request.dir else {
        return Err(HbError::new("Invalid argument passed to OCFS2 library")
            .because(format!("no mountpoint specified {usage}")));
    };
    if let Some(t) = request
        .fstype
        .as_ref()
        .filter(|t| t.as_bytes() != FSTYPE.as_bytes())
    {
        return Err(HbError::new(format!("Unknown filesystem {}", shown(t))));
    }
    Ok(Target {
        device,
        dir,
        device_shown: shown(device),
        dir_shown: shown(dir),
        options: MountOptions::parse(&request.options),
    })
}

/// The volume on the device: an OCFS2 file system, not a global heartbeat device.
fn open_volume(target: &Target<'_>) -> Result<OpenedVolume, HbError> {
    let doing = format!("opening device {}", target.device_shown);
    let volume = OpenedVolume::open(Path::new(target.device)).while_doing(&doing)?;
    if volume.superblock().is_heartbeat_device() {
        return Err(HbError::new("Unsupported feature(s) found")
            .while_doing(doing)
            .because("it is a global heartbeat device (mkfs.ocfs2 -H), not a file system"));
    }
    Ok(volume)
}

/// Whether the mount takes part in the cluster: a clustered volume does, unless the user
/// confirms `-o nocluster`; then its device must be writable.
fn is_clustered(
    ctx: &mut Context<'_>,
    target: &Target<'_>,
    volume: &OpenedVolume,
    input: &mut dyn BufRead,
) -> Result<bool, HbError> {
    let clustered = !volume.superblock().is_local();
    if clustered && target.options.nocluster() {
        confirm_nocluster(ctx, target, input)?;
        return Ok(false);
    }
    if clustered && volume.is_read_only_device() {
        return Err(HbError::new("I/O error on channel")
            .while_doing("mounting read-only device in clustered mode")
            .because(format!(
                "{} is read-only, and a clustered mount writes its heartbeat and journal (on \
                 one node only: -o nocluster,ro)",
                target.device_shown
            )));
    }
    Ok(clustered)
}

/// The question the reference asks before a `nocluster` mount of a clustered volume.
const NOCLUSTER_WARNING: &str = "Warning: to mount a clustered volume without the cluster stack.
Please make sure you only mount the file system from one node.
Otherwise, the file system may be damaged.
Proceed (y/N): ";

/// Asks before a clustered volume is mounted without the cluster; anything but yes aborts.
fn confirm_nocluster(
    ctx: &mut Context<'_>,
    target: &Target<'_>,
    input: &mut dyn BufRead,
) -> Result<(), HbError> {
    ctx.print(NOCLUSTER_WARNING.as_bytes());
    let _ = ctx.out.flush();
    let mut answer = String::new();
    let _ = input.read_line(&mut answer);
    if matches!(answer.trim_start().as_bytes().first(), Some(b'y' | b'Y')) {
        return Ok(());
    }
    ctx.print(b"Aborting operation.\n");
    Err(HbError::new(format!(
        "nocluster mount of {} not confirmed",
        target.device_shown
    )))
}

/// How a mount takes part in the cluster: the reference sets up the stack the volume was
/// formatted for.
enum Clustering {
    /// A local volume, or `-o nocluster`: no stack, no heartbeat.
    Standalone,
    /// A user stack (`pcmk`): corosync's membership and a DLM lockspace of the volume's own;
    /// nothing to join before mount(2) and nothing to leave after it.
    User(o2cb_sys::userstack::UserStack),
    /// The classic o2cb stack, and the cluster running on it.
    Classic {
        running: RunningCluster,
        io: RealConfigfs,
    },
}

impl Clustering {
    /// For a clustered mount: the stack the volume was formatted for, ready (its modules
    /// loaded unless the mount is fake), and for the classic stack the cluster registered
    /// on it.
    fn check_stack(
        ctx: &Context<'_>,
        volume: &OpenedVolume,
        clustered: bool,
        fake: bool,
    ) -> Result<Clustering, HbError> {
        if !clustered {
            return Ok(Clustering::Standalone);
        }
        if let Some(info) = volume
            .superblock()
            .cluster_info()
            .filter(|i| i.stack() != o2cb_sys::stack::CLASSIC_STACK.as_bytes())
        {
            let stack = o2cb_sys::userstack::prepare(
                &ctx.root,
                &info.stack_lossy(),
                &info.cluster_lossy(),
                !fake,
            )
            .while_doing(JOINING)?;
            return Ok(Clustering::User(stack));
        }
        let info = o2cb_sys::stack::init_classic(&ctx.root, !fake)
            .while_doing("trying to initialize the cluster")?;
        let mut io = RealConfigfs::new(info.configfs);
        let running = RunningCluster::read(&mut io, &info.stack).while_doing(JOINING)?;
        Ok(Clustering::Classic { running, io })
    }

    fn is_clustered(&self) -> bool {
        !matches!(self, Clustering::Standalone)
    }

    /// What the mount data tells the kernel about the cluster: how the volume heartbeats.
    fn mount_data(&self, sb: &Superblock) -> Vec<String> {
        let heartbeat = match self {
            // The kernel takes the cluster name from the superblock.
            Clustering::User(stack) => return vec![format!("cluster_stack={}", stack.label)],
            Clustering::Standalone => "none",
            Clustering::Classic { .. }
                if sb.cluster_info().is_some_and(|i| i.global_heartbeat()) =>
            {
                "global"
            }
            Clustering::Classic { .. } => "local",
        };
        vec![format!("heartbeat={heartbeat}")]
    }
}

/// A mount's place in the group: the join to complete or abandon after mount(2), and the
/// options the per-filesystem policy adds.
#[derive(Debug, Default)]
struct Group {
    joined: Option<Joined>,
    mount_options: Vec<String>,
}

/// Joins the group of the volume's stack. A fake mount and a remount only check.
fn join_group(
    ctx: &mut Context<'_>,
    request: &Request,
    target: &Target<'_>,
    volume: &OpenedVolume,
    clustering: &mut Clustering,
    policy: &dyn MountPolicy,
) -> Result<Group, HbError> {
    let Clustering::Classic { running, io } = clustering else {
        return Ok(Group::default());
    };
    let remount = target.options.has(ms::REMOUNT);
    if request.fake || remount {
        check_classic(running, target, volume, policy, request.fake && !remount)
    } else {
        join_classic(ctx, io, running, target, volume, policy)
    }
}

/// Nothing starts: a fake mount changes nothing, and a remount is already in the group.
/// The checks still say whether the volume belongs here, and a fake mount (`with_policy`)
/// whether the real one would be allowed, policy included.
fn check_classic(
    running: &RunningCluster,
    target: &Target<'_>,
    volume: &OpenedVolume,
    policy: &dyn MountPolicy,
    with_policy: bool,
) -> Result<Group, HbError> {
    let sb = volume.superblock();
    let cluster = join::check_volume(sb, running).while_doing(JOINING)?;
    let (true, Some(local)) = (with_policy, cluster.local_node()) else {
        return Ok(Group::default());
    };
    let outcome = policy
        .check(sb, cluster, local)
        .map_err(JoinError::Policy)
        .while_doing(JOINING)?;
    if let Some(conflict) = policy_conflict(target, &outcome.mount_options) {
        return Err(conflict);
    }
    Ok(Group {
        joined: None,
        mount_options: outcome.mount_options,
    })
}

/// The classic join: the checks, the policy, and in local heartbeat mode the region
/// started with a persistent reference.
fn join_classic(
    ctx: &mut Context<'_>,
    io: &mut RealConfigfs,
    running: &RunningCluster,
    target: &Target<'_>,
    volume: &OpenedVolume,
    policy: &dyn MountPolicy,
) -> Result<Group, HbError> {
    let _held = o2cb_sys::signals::block_all();
    let joined = join::join(io, running, volume, policy).while_doing(JOINING)?;
    if let Some(conflict) = policy_conflict(target, joined.mount_options()) {
        leave_group(ctx, joined, io, "leaving the group");
        return Err(conflict);
    }
    Ok(Group {
        mount_options: joined.mount_options().to_vec(),
        joined: Some(joined),
    })
}

/// An option the user gave that the per-filesystem policy sets otherwise (a
/// `preferred_slot` other than the member's pinned slot): refused rather than silently
/// overridden, since the kernel would take whichever comes last.
fn policy_conflict(target: &Target<'_>, from_policy: &[String]) -> Option<HbError> {
    from_policy.iter().find_map(|ours| {
        let (key, value) = ours.split_once('=')?;
        target.options.data.iter().find_map(|theirs| {
            let (k, v) = theirs.split_once('=')?;
            (k == key && v != value).then(|| {
                HbError::new(format!(
                    "-o {theirs} conflicts with cluster.conf, which gives this node {ours} for \
                     this filesystem ({})",
                    target.device_shown
                ))
            })
        })
    })
}

/// Drops the reference a join took, after a step that followed it failed. That failure is
/// the command's; a failure to leave is shown on its own line.
fn leave_group(ctx: &mut Context<'_>, joined: Joined, io: &mut RealConfigfs, doing: &str) {
    if let Err(e) = joined.abandon(io) {
        ctx.error(HbError::from_failure(&e).while_doing(doing));
    }
}

/// mount(2), with the group left if it fails; returns the join to complete.
fn mount_or_leave(
    ctx: &mut Context<'_>,
    target: &Target<'_>,
    data: &str,
    clustering: &mut Clustering,
    joined: Option<Joined>,
) -> Result<Option<Joined>, HbError> {
    let flags = target.options.flags;
    ctx.verbose(format!(
        "{}: mount(2) {} on {}, flags {flags:#x}, data \"{data}\"",
        ctx.prog, target.device_shown, target.dir_shown
    ));
    // The kernel gets the device's full path, as the reference passes it.
    let source =
        std::fs::canonicalize(target.device).unwrap_or_else(|_| PathBuf::from(target.device));
    let _held = o2cb_sys::signals::block_all();
    let mounted =
        o2cb_sys::fsmount::mount_volume(&source, Path::new(target.dir), FSTYPE, flags, data);
    if let Err(e) = mounted {
        if let (Some(j), Clustering::Classic { io, .. }) = (joined, clustering) {
            leave_group(ctx, j, io, "leaving the group after the failed mount");
        }
        return Err(mount_failure(target, &e));
    }
    Ok(joined)
}

/// The mount succeeded: the join's reference stays until the kernel's umount callback, and
/// a local region's heartbeat thread gets real-time I/O priority.
fn complete_join(ctx: &mut Context<'_>, target: &Target<'_>, joined: Option<Joined>) {
    let Some(j) = joined else {
        return;
    };
    let local = matches!(j.heartbeat(), Heartbeat::Local(_));
    j.complete();
    if local {
        raise_heartbeat_priority(ctx, target.device);
    }
}

/// The /etc/mtab line of the new mount (`_netdev` marks a clustered one); a failure to
/// write it is shown, and the mount stands.
fn record_in_mtab(ctx: &mut Context<'_>, request: &Request, target: &Target<'_>, clustered: bool) {
    let mut mtab_options = if request.options.is_empty() {
        "rw".to_string()
    } else {
        request.options.clone()
    };
    if clustered {
        mtab_options.push_str(",_netdev");
    }
    if let Err(e) = o2cb_sys::fsmount::add_mtab_entry(
        &ctx.root,
        &target.device_shown,
        &target.dir_shown,
        FSTYPE,
        &mtab_options,
    ) {
        ctx.error(format!(
            "could not add {} to /etc/mtab: {e}",
            target.device_shown
        ));
    }
}

/// The mount point must be an existing directory, checked before anything joins the group.
/// The reference says so too but exits 0 (docs/compatibility.md); ours fails.
fn check_mount_point(dir: &Path) -> Result<(), HbError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(HbError::new(format!(
            "mount directory {} is not a directory",
            dir.display()
        ))),
        Err(_) => Err(HbError::new(format!(
            "mount directory {} does not exist",
            dir.display()
        ))),
    }
}

/// The reference's line for a failed mount(2), with the errno in words and, for the usual
/// causes, what to do. The reference's own sentence goes on after what it was doing, so
/// ours does too, with the hint before its full stop.
fn mount_failure(target: &Target<'_>, e: &std::io::Error) -> HbError {
    let errno = e.raw_os_error().unwrap_or(0);
    let hint = match errno {
        libc::ENODEV => " (the kernel has no ocfs2 file system: load the ocfs2 module)",
        libc::EROFS => " (the volume needs recovery or is read-only: run fsck.ocfs2 on it)",
        libc::EBUSY => " (it is already mounted, or the device is in use)",
        libc::EINVAL => " (the kernel refused the mount options or the volume; dmesg says which)",
        libc::ENOENT => " (the device or the mount point vanished)",
        _ => "",
    };
    HbError::new(nix::errno::Errno::from_raw(errno).desc()).while_doing(format!(
        "mounting {} on {}{hint}. Check 'dmesg' for more information on this error {errno}.",
        target.device_shown, target.dir_shown
    ))
}

/// A device or directory as messages name it.
fn shown(p: &OsStr) -> String {
    p.to_string_lossy().into_owned()
}

/// Gives the new region's heartbeat thread real-time I/O priority through the kernel's
/// helper (`<hb_ctl_path> -P -d <device>`), as the reference does after a local-heartbeat
/// mount. Best effort: the mount has succeeded; a failure is shown with `-v` only.
fn raise_heartbeat_priority(ctx: &mut Context<'_>, device: &OsStr) {
    let helper = std::fs::read_to_string(ctx.root.hb_ctl_path())
        .map(|s| s.trim_end_matches('\n').to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/sbin/ocfs2_hb_ctl".to_string());
    // The kernel's path names the real system; under a test root, the root's copy.
    let out = std::process::Command::new(ctx.root.path(&helper))
        .arg("-P")
        .arg("-d")
        .arg(device)
        .stdin(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => ctx.verbose(format!(
            "{helper} -P -d {}: {} {}",
            shown(device),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim_end()
        )),
        Err(e) => ctx.verbose(format!("{helper}: {e}")),
    }
}
