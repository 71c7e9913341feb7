//! `mount.ocfs2` (spec §6.5): the helper mount(8) runs for `-t ocfs2`. It reads the
//! superblock, checks the volume against the running cluster, joins the group (in local
//! heartbeat mode: starts the volume's heartbeat region with a persistent reference),
//! mounts with the heartbeat mode in the data string, and leaves the group if the mount
//! fails. The kernel stops the region at umount through `ocfs2_hb_ctl -K`.
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
use getopt::{Function, Getopt, HasArg, OptionSpec, OptionTable, Parsed};
use o2cb_runtime::Context;

pub use options::{ms, MountOptions};

use crate::error::{line, Reported};
use crate::join::{self, Heartbeat, MountPolicy, RunningCluster};
use crate::policy::OnDemand;
use o2cb_sys::volume::OpenedVolume;

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
    let mut parser = Getopt::new(&OPTIONS, args)
        .expect("the option table is valid")
        .posixly_correct(o2cb_runtime::posixly_correct());
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
        Err(message) => {
            ctx.error_line(message);
            1
        }
    }
}

/// An option the user gave that the per-filesystem policy sets otherwise (a
/// `preferred_slot` other than the member's pinned slot): refused rather than silently
/// overridden, since the kernel would take whichever comes last.
fn policy_conflict(options: &MountOptions, from_policy: &[String]) -> Option<String> {
    from_policy.iter().find_map(|ours| {
        let (key, value) = ours.split_once('=')?;
        options.data.iter().find_map(|theirs| {
            let (k, v) = theirs.split_once('=')?;
            (k == key && v != value).then(|| {
                format!(
                    "-o {theirs} conflicts with cluster.conf, which gives this node {ours} for \
                     this filesystem"
                )
            })
        })
    })
}

/// The question the reference asks before a `nocluster` mount of a clustered volume.
const NOCLUSTER_WARNING: &str = "Warning: to mount a clustered volume without the cluster stack.
Please make sure you only mount the file system from one node.
Otherwise, the file system may be damaged.
Proceed (y/N): ";

fn shown(p: &OsStr) -> String {
    p.to_string_lossy().into_owned()
}

fn mount(
    ctx: &mut Context<'_>,
    request: &Request,
    input: &mut dyn BufRead,
    policy: &dyn MountPolicy,
) -> Result<(), String> {
    let prog = ctx.prog.clone();
    let report = |failure: &dyn Reported, doing: &str| line(&prog, failure, doing);
    let Some(device) = &request.device else {
        return Err(format!(
            "{prog}: Illegal or malformed device name: no device given (usage: {prog} [-vn] \
             [-o options] device dir)"
        ));
    };
    if request.verbose > 0 {
        ctx.print(format!("device={}\n", shown(device)).as_bytes());
    }
    let Some(dir) = &request.dir else {
        return Err(format!(
            "{prog}: Invalid argument passed to OCFS2 library: no mountpoint specified (usage: \
             {prog} [-vn] [-o options] device dir)"
        ));
    };
    if let Some(t) = request
        .fstype
        .as_ref()
        .filter(|t| t.as_bytes() != FSTYPE.as_bytes())
    {
        return Err(format!("{prog}: Unknown filesystem {}", shown(t)));
    }
    let options = MountOptions::parse(&request.options);
    let dev_shown = shown(device);
    let dir_shown = shown(dir);
    let volume = OpenedVolume::open(Path::new(device))
        .map_err(|e| report(&e, &format!("opening device {dev_shown}")))?;
    let sb = volume.superblock();
    if sb.is_heartbeat_device() {
        return Err(format!(
            "{prog}: Unsupported feature(s) found while opening device {dev_shown}: it is a \
             global heartbeat device (mkfs.ocfs2 -H), not a file system"
        ));
    }
    let mut clustered = !sb.is_local();
    if clustered && options.nocluster() {
        ctx.print(NOCLUSTER_WARNING.as_bytes());
        let _ = ctx.out.flush();
        let mut answer = String::new();
        let _ = input.read_line(&mut answer);
        if !matches!(answer.trim_start().as_bytes().first(), Some(b'y' | b'Y')) {
            ctx.print(b"Aborting operation.\n");
            return Err(format!(
                "{prog}: nocluster mount of {dev_shown} not confirmed"
            ));
        }
        clustered = false;
    }
    if clustered && volume.is_read_only_device() {
        return Err(format!(
            "{prog}: I/O error on channel while mounting read-only device in clustered mode: \
             {dev_shown} is read-only, and a clustered mount writes its heartbeat and journal \
             (on one node only: -o nocluster,ro)"
        ));
    }
    let remount = options.has(ms::REMOUNT);
    let global = sb.cluster_info().is_some_and(|i| i.global_heartbeat());
    let mut extra = vec![if !clustered {
        "heartbeat=none".to_string()
    } else if global {
        "heartbeat=global".to_string()
    } else {
        "heartbeat=local".to_string()
    }];
    // The running cluster, for clustered mounts.
    let mut cluster_io: Option<(RunningCluster, RealConfigfs)> = None;
    if clustered {
        let info = o2cb_sys::stack::init_classic(&ctx.root, !request.fake)
            .map_err(|e| report(&e, "trying to initialize the cluster"))?;
        let mut io = RealConfigfs::new(info.configfs);
        let running = RunningCluster::read(&mut io, &info.stack)
            .map_err(|e| report(&e, "trying to join the group"))?;
        cluster_io = Some((running, io));
    }
    check_mount_point(&prog, Path::new(dir))?;
    let mut joined = None;
    if let Some((running, io)) = &mut cluster_io {
        if request.fake || remount {
            // Nothing starts: a fake mount changes nothing, and a remount is already in
            // the group. The checks still say whether the volume belongs here.
            let cluster = join::check_volume(sb, running)
                .map_err(|e| report(&e, "trying to join the group"))?;
            // A fake mount answers whether the real one would be allowed, policy included.
            if let (true, false, Some(local)) = (request.fake, remount, cluster.local_node()) {
                let outcome = policy
                    .check(sb, cluster, local)
                    .map_err(|r| report(&join::JoinError::Policy(r), "trying to join the group"))?;
                if let Some(message) = policy_conflict(&options, &outcome.mount_options) {
                    return Err(format!("{prog}: {message} ({dev_shown})"));
                }
                extra.extend(outcome.mount_options);
            }
        } else {
            let _held = o2cb_sys::signals::block_all();
            let j = join::join(io, running, &volume, policy)
                .map_err(|e| report(&e, "trying to join the group"))?;
            match policy_conflict(&options, j.mount_options()) {
                None => extra.extend(j.mount_options().iter().cloned()),
                Some(message) => {
                    if let Err(e) = j.abandon(io) {
                        ctx.error_line(report(&e, "leaving the group"));
                    }
                    return Err(format!("{prog}: {message} ({dev_shown})"));
                }
            }
            joined = Some(j);
        }
    }
    let data = options.data_with(&extra);
    if request.fake {
        ctx.verbose(format!(
            "{prog}: fake mount of {dev_shown} on {dir_shown} (data \"{data}\"): nothing mounted"
        ));
        return Ok(());
    }
    ctx.verbose(format!(
        "{prog}: mount(2) {dev_shown} on {dir_shown}, flags {:#x}, data \"{data}\"",
        options.flags
    ));
    // The kernel gets the device's full path, as the reference passes it.
    let source = std::fs::canonicalize(device).unwrap_or_else(|_| PathBuf::from(device));
    let mounted = {
        let _held = o2cb_sys::signals::block_all();
        let result =
            o2cb_sys::fsmount::mount_volume(&source, Path::new(dir), FSTYPE, options.flags, &data);
        if result.is_err() {
            if let (Some(j), Some((_, io))) = (joined.take(), &mut cluster_io) {
                if let Err(e) = j.abandon(io) {
                    ctx.error_line(report(&e, "leaving the group after the failed mount"));
                }
            }
        }
        result
    };
    if let Err(e) = mounted {
        return Err(mount_failure(&prog, &dev_shown, &dir_shown, &e));
    }
    if let Some(j) = joined {
        let local = matches!(j.heartbeat(), Heartbeat::Local(_));
        j.complete();
        if local {
            raise_heartbeat_priority(ctx, device);
        }
    }
    if !request.no_mtab {
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
            &dev_shown,
            &dir_shown,
            FSTYPE,
            &mtab_options,
        ) {
            ctx.error(format!("could not add {dev_shown} to /etc/mtab: {e}"));
        }
    }
    Ok(())
}

fn check_mount_point(prog: &str, dir: &Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(format!(
            "{prog}: mount directory {} is not a directory",
            dir.display()
        )),
        Err(_) => Err(format!(
            "{prog}: mount directory {} does not exist",
            dir.display()
        )),
    }
}

/// The reference's line for a failed mount(2), with the errno in words and, for the usual
/// causes, what to do.
fn mount_failure(prog: &str, dev: &str, dir: &str, e: &std::io::Error) -> String {
    let errno = e.raw_os_error().unwrap_or(0);
    let text = nix::errno::Errno::from_raw(errno).desc();
    let hint = match errno {
        libc::ENODEV => " (the kernel has no ocfs2 file system: load the ocfs2 module)",
        libc::EROFS => " (the volume needs recovery or is read-only: run fsck.ocfs2 on it)",
        libc::EBUSY => " (it is already mounted, or the device is in use)",
        libc::EINVAL => " (the kernel refused the mount options or the volume; dmesg says which)",
        libc::ENOENT => " (the device or the mount point vanished)",
        _ => "",
    };
    format!(
        "{prog}: {text} while mounting {dev} on {dir}{hint}. Check 'dmesg' for more \
         information on this error {errno}."
    )
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
