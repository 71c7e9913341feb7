//! `ocfs2_hb_ctl` (docs/ocfs2-tools-reference.md §6.4): start (`-S`) or stop (`-K`) a
//! volume's local heartbeat with a persistent reference, show its reference count (`-I`),
//! give its heartbeat thread real-time I/O priority (`-P`). The kernel runs
//! `ocfs2_hb_ctl -K -u <UUID>` at umount.
//!
//! Options, usage text and exit statuses (0 success, 1 any failure) are the reference's.
//! Differences (docs/compatibility.md): `-I` needs no cluster stack and creates no
//! semaphore set; devices are found with libblkid (the device the region runs on first);
//! `-K` stops the region of a device that disappeared; failures say what exactly is wrong.

use std::ffi::OsString;
use std::path::PathBuf;

use configfs::{paths, ConfigfsIo, ConfigfsName, NameKind, RealConfigfs};
use getopt::{Function, HasArg, OptionSpec, OptionTable, Parsed};
use o2cb_runtime::Context;

use crate::error::{HbError, WhileDoing};
use crate::join::{self, Left, RunningCluster};
use crate::policy::ClusterConfPolicy;
use crate::region::{Started, Stopped};
use o2cb_sys::volume::{find_by_uuid, NotFound, OpenedVolume};

/// The reference names itself this way whatever its `argv[0]`.
pub const PROG: &str = "ocfs2_hb_ctl";

pub const USAGE: &str = "Usage: ocfs2_hb_ctl -S -d <device> <service>
       ocfs2_hb_ctl -S -u <uuid> <service>
       ocfs2_hb_ctl -K -d <device> <service>
       ocfs2_hb_ctl -K -u <uuid> <service>
       ocfs2_hb_ctl -I -d <device>
       ocfs2_hb_ctl -I -u <uuid>
       ocfs2_hb_ctl -P -d <device> [-n <io_priority>]
       ocfs2_hb_ctl -P -u <uuid> [-n <io_priority>]
       ocfs2_hb_ctl -h
";

/// The service the kernel's `-K -u` call stands for when it names none.
const DEFAULT_SERVICE: &str = "ocfs2";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Kill,
    Info,
    Priority,
}

/// The reference's option string.
pub const OPTIONS: OptionTable<'static, u8> = OptionTable {
    optstring: "ISKPd:u:n:h",
    function: Function::Getopt,
    options: &[
        OptionSpec::short(b'I', b'I', HasArg::No).with_help("Show the reference count."),
        OptionSpec::short(b'S', b'S', HasArg::No).with_help("Start heartbeat."),
        OptionSpec::short(b'K', b'K', HasArg::No).with_help("Stop heartbeat."),
        OptionSpec::short(b'P', b'P', HasArg::No)
            .with_help("Give the heartbeat thread real-time I/O priority."),
        OptionSpec::short(b'd', b'd', HasArg::Required)
            .with_value_name("device")
            .with_help("The volume's device."),
        OptionSpec::short(b'u', b'u', HasArg::Required)
            .with_value_name("uuid")
            .with_help("The volume's UUID (32 upper-case hex digits)."),
        OptionSpec::short(b'n', b'n', HasArg::Required)
            .with_value_name("io_priority")
            .with_help("With -P: the priority, 0 (highest) to 7."),
        OptionSpec::short(b'h', b'h', HasArg::No).with_help("Show the usage."),
    ],
};

/// Which volume: a device, or a UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Device(PathBuf),
    Uuid(String),
}

/// A valid command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub action: Action,
    pub target: Target,
    pub service: Option<OsString>,
    pub priority: u8,
}

/// `strtol(s, NULL, 0)` truncated to an `int`, as the reference reads `-n`: what strtol
/// reads is the longest prefix that parses (junk after it is no error, nothing parses as 0),
/// saturated at the `long` range, then cut to its low 32 bits.
pub fn c_atoi_base0(s: &str) -> i32 {
    let long = (0..=s.len())
        .rev()
        .filter_map(|k| s.get(..k))
        .find_map(cluster_conf::values::parse_c_long_base0)
        .unwrap_or(0);
    long as i32
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `-h`: the usage on stdout, status 0.
    Help,
    Run(Request),
}

/// What the options said, before they are checked against each other.
#[derive(Debug, Default)]
struct Given {
    /// The last of `-S -K -I -P -h`; `None` inside for `-h`.
    action: Option<Option<Action>>,
    device: Option<OsString>,
    uuid: Option<OsString>,
    priority: Option<OsString>,
    service: Option<OsString>,
}

/// Parses the command line. A refused one is an [`HbError::usage`], after getopt's
/// complaints were printed.
pub fn parse(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<Command, HbError> {
    let given = read_options(ctx, args)?;
    let Some(action) = given.action.ok_or_else(HbError::usage)? else {
        return Ok(Command::Help);
    };
    let target = match (given.device, given.uuid) {
        (Some(d), None) => Target::Device(PathBuf::from(d)),
        (None, Some(u)) => Target::Uuid(u.to_string_lossy().into_owned()),
        _ => return Err(HbError::usage()),
    };
    let service = match (action, given.service) {
        (Action::Start, None) => return Err(HbError::usage()),
        (Action::Kill, None) => match target {
            Target::Uuid(_) => Some(OsString::from(DEFAULT_SERVICE)),
            Target::Device(_) => return Err(HbError::usage()),
        },
        (_, s) => s,
    };
    let priority = match (action, given.priority) {
        (Action::Priority, Some(p)) => match u8::try_from(c_atoi_base0(&p.to_string_lossy())) {
            Ok(p) if p <= 7 => p,
            _ => return Err(HbError::usage()),
        },
        _ => 0,
    };
    Ok(Command::Run(Request {
        action,
        target,
        service,
        priority,
    }))
}

/// Runs getopt over the command line; every complaint is printed, then the whole command
/// line is refused (even with `-h`).
fn read_options(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<Given, HbError> {
    let mut given = Given::default();
    let mut bad_option = false;
    let argv0 = ctx.argv0.clone();
    let mut parser = o2cb_runtime::option_parser(&OPTIONS, args);
    for item in parser.by_ref() {
        match item {
            Parsed::Opt { id, arg } => match id {
                b'S' => given.action = Some(Some(Action::Start)),
                b'K' => given.action = Some(Some(Action::Kill)),
                b'I' => given.action = Some(Some(Action::Info)),
                b'P' => given.action = Some(Some(Action::Priority)),
                b'h' => given.action = Some(None),
                b'd' => given.device = arg,
                b'u' => given.uuid = arg,
                b'n' => given.priority = arg,
                _ => unreachable!("every option of the table is handled"),
            },
            Parsed::Error(e) => {
                ctx.getopt_error(&argv0, &e);
                bad_option = true;
            }
            Parsed::Operand(_) => {}
        }
    }
    if bad_option {
        return Err(HbError::usage());
    }
    given.service = parser.into_operands().into_iter().next();
    Ok(given)
}

/// Runs `ocfs2_hb_ctl` with `args` (`argv[1..]`); returns the exit status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    ctx.prog = PROG.to_string();
    match hb_ctl(ctx, args) {
        Ok(()) => 0,
        Err(e) => o2cb_runtime::report(ctx, &e, USAGE),
    }
}

fn hb_ctl(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<(), HbError> {
    let request = match parse(ctx, args)? {
        Command::Help => {
            ctx.print(USAGE.as_bytes());
            return Ok(());
        }
        Command::Run(request) => request,
    };
    match request.action {
        Action::Info => info(ctx, &request),
        Action::Start | Action::Kill => {
            // An interrupted start leaves a region without its reference, an interrupted
            // stop a reference without its region.
            let _held = o2cb_sys::signals::block_all();
            start_or_stop(ctx, &request)
        }
        Action::Priority => priority(ctx, &request),
    }
}

/// The UUID of the target: as given, or read from the device.
fn target_uuid(target: &Target) -> Result<String, HbError> {
    match target {
        Target::Uuid(u) => Ok(u.clone()),
        Target::Device(d) => OpenedVolume::open(d)
            .map(|v| v.uuid_hex())
            .while_doing("reading uuid"),
    }
}

/// `-I`: `<UUID>: <N> refs`. A query: it needs no cluster stack and creates nothing.
fn info(ctx: &mut Context<'_>, request: &Request) -> Result<(), HbError> {
    let uuid = target_uuid(&request.target)?;
    let refs = o2cb_sys::semaphore::ref_count(&uuid).while_doing("reading reference counts")?;
    ctx.print(format!("{uuid}: {refs} refs\n").as_bytes());
    Ok(())
}

/// The stack and configfs, as libo2cb's start-up finds them.
fn init(ctx: &Context<'_>, load_modules: bool) -> Result<(String, RealConfigfs), HbError> {
    o2cb_sys::stack::init_classic(&ctx.root, load_modules)
        .map(|info| (info.stack, RealConfigfs::new(info.configfs)))
        .while_doing("initializing the cluster")
}

/// `-S` and `-K`: the volume's group joined for good, or left.
fn start_or_stop(ctx: &mut Context<'_>, request: &Request) -> Result<(), HbError> {
    let start = request.action == Action::Start;
    let doing = if start {
        "starting heartbeat"
    } else {
        "stopping heartbeat"
    };
    if let Some(label) =
        o2cb_sys::stack::active_stack(&ctx.root).filter(|s| s != o2cb_sys::stack::CLASSIC_STACK)
    {
        return user_stack_group(ctx, request, &label, doing);
    }
    let (stack, mut io) = init(ctx, start)?;
    let running = RunningCluster::read(&mut io, &stack).while_doing(doing)?;
    let volume = match &request.target {
        Target::Device(d) => OpenedVolume::open(d).while_doing("reading uuid")?,
        Target::Uuid(uuid) => match volume_by_uuid(ctx, &running, uuid) {
            Ok(volume) => volume,
            Err(gone) if !start => return stop_by_name(ctx, &mut io, &running, uuid, &gone),
            Err(not_found) => return Err(not_found).while_doing(doing),
        },
    };
    if start {
        start_heartbeat(ctx, &mut io, &running, &volume)
    } else {
        stop_heartbeat(ctx, &mut io, &running, &volume)
    }
}

/// `-S` and `-K` while a user stack runs: membership is corosync's and each volume's DLM
/// lockspace comes and goes with its mount, so there is no group to join or leave (the
/// kernel runs `-K -u UUID` at every umount). As the reference: the volume must be found,
/// and the kernel must take DLM recovery callbacks (else a control daemon would be needed).
fn user_stack_group(
    ctx: &mut Context<'_>,
    request: &Request,
    label: &str,
    doing: &str,
) -> Result<(), HbError> {
    let uuid = match &request.target {
        Target::Device(d) => OpenedVolume::open(d)
            .while_doing("reading uuid")?
            .uuid_hex(),
        Target::Uuid(uuid) => find_by_uuid(&ctx.root, None, uuid)
            .while_doing(doing)?
            .uuid_hex(),
    };
    o2cb_sys::userstack::check_callbacks(&ctx.root).while_doing(doing)?;
    ctx.verbose(format!(
        "the {label} stack runs: volume {uuid} has no heartbeat to {}",
        if request.action == Action::Start {
            "start"
        } else {
            "stop"
        }
    ));
    Ok(())
}

/// The volume named by `uuid`, looked for first on the device its region runs on.
fn volume_by_uuid(
    ctx: &Context<'_>,
    running: &RunningCluster,
    uuid: &str,
) -> Result<OpenedVolume, NotFound> {
    let running_dev = running.cluster.as_ref().and_then(|c| {
        c.regions
            .iter()
            .find(|r| r.name.as_str() == uuid)
            .map(|r| r.dev.clone())
    });
    find_by_uuid(&ctx.root, running_dev.as_deref(), uuid)
}

/// `-K` for a volume whose device is gone: its region is stopped by name rather than left
/// heartbeating forever.
fn stop_by_name(
    ctx: &mut Context<'_>,
    io: &mut RealConfigfs,
    running: &RunningCluster,
    uuid: &str,
    gone: &NotFound,
) -> Result<(), HbError> {
    let doing = "stopping heartbeat";
    match join::leave_region(io, running, uuid).while_doing(doing)? {
        Some(left) => {
            ctx.verbose(format!(
                "{}; left region {uuid} by name: {left:?}",
                gone.detail()
            ));
            Ok(())
        }
        None => Err(HbError::from_failure(gone).while_doing(doing)),
    }
}

/// `-S`: the volume joins the group, and its reference stays until `-K`.
fn start_heartbeat(
    ctx: &mut Context<'_>,
    io: &mut RealConfigfs,
    running: &RunningCluster,
    volume: &OpenedVolume,
) -> Result<(), HbError> {
    // A node that may not mount the filesystem has no business heartbeating on it
    // either; stopping (-K) is never refused.
    let policy = ClusterConfPolicy::load(&ctx.root);
    let joined = join::join(io, running, volume, &policy).while_doing("starting heartbeat")?;
    let uuid = volume.uuid_hex();
    ctx.verbose(match joined.heartbeat() {
        join::Heartbeat::Local(Started::Created) => {
            format!("heartbeat region {uuid} started")
        }
        join::Heartbeat::Local(Started::Joined { refs }) => {
            format!("heartbeat region {uuid} already running; {refs} refs")
        }
        join::Heartbeat::Local(Started::Global) | join::Heartbeat::Global => {
            "global heartbeat: nothing to start".to_string()
        }
    });
    // ocfs2_hb_ctl's join is complete at once: the reference stays until -K.
    joined.complete();
    Ok(())
}

/// `-K`: the volume leaves the group, dropping one reference.
fn stop_heartbeat(
    ctx: &mut Context<'_>,
    io: &mut RealConfigfs,
    running: &RunningCluster,
    volume: &OpenedVolume,
) -> Result<(), HbError> {
    let left = join::leave(io, running, volume).while_doing("stopping heartbeat")?;
    let uuid = volume.uuid_hex();
    ctx.verbose(match left {
        Left::Local(Stopped::Removed) => format!("heartbeat region {uuid} stopped"),
        Left::Local(Stopped::StillUsed { refs }) => {
            format!("heartbeat region {uuid} still used; {refs} refs")
        }
        Left::Global => "global heartbeat: nothing to stop".to_string(),
    });
    Ok(())
}

/// `-P`: real-time I/O priority for the region's heartbeat thread.
fn priority(ctx: &mut Context<'_>, request: &Request) -> Result<(), HbError> {
    let doing = "setting the heartbeat I/O priority";
    let uuid = target_uuid(&request.target)?;
    let (_, mut io) = init(ctx, false)?;
    let pid = heartbeat_thread(&mut io, &uuid).map_err(|e| e.while_doing(doing))?;
    let program = o2cb_sys::ionice::find(&ctx.root).ok_or_else(|| {
        HbError::new("Unable to find ionice(1)")
            .while_doing(doing)
            .because("neither /usr/bin/ionice nor /bin/ionice exists")
    })?;
    let failed = |detail: String| {
        HbError::new("Internal logic failure")
            .while_doing(doing)
            .because(detail)
    };
    match o2cb_sys::ionice::set_realtime(&program, request.priority, pid) {
        Ok(Some(0)) => Ok(()),
        Ok(status) => Err(failed(format!(
            "{} -c1 -n{} -p{pid} exited with {}",
            program.display(),
            request.priority,
            status.map_or_else(|| "a signal".to_string(), |s| format!("status {s}"))
        ))),
        Err(e) => Err(failed(format!("cannot run {}: {e}", program.display()))),
    }
}

/// The pid of the heartbeat thread of region `uuid` in the running cluster.
fn heartbeat_thread(io: &mut RealConfigfs, uuid: &str) -> Result<u32, HbError> {
    let not_found = HbError::new("Heartbeat region could not be found");
    let cluster = configfs::read_clusters(io)
        .ok()
        .flatten()
        .and_then(|c| c.into_iter().next())
        .ok_or_else(|| {
            HbError::new("Cluster name is invalid").because("no cluster is registered")
        })?;
    let region = ConfigfsName::new(NameKind::Region, uuid.as_bytes())
        .map_err(|e| not_found.clone().because(e.to_string()))?;
    let pid_text = io
        .read(&paths::region_attr(&cluster, &region, "pid"))
        .map_err(|e| {
            not_found.clone().because(format!(
                "cluster {cluster} has no heartbeat region {uuid} ({})",
                crate::error::io_text(&e)
            ))
        })?;
    pid_text
        .trim()
        .parse()
        .map_err(|_| not_found.because(format!("region {uuid} has no heartbeat thread")))
}

#[cfg(test)]
mod tests {
    use super::c_atoi_base0;

    #[test]
    fn priorities_read_as_the_reference_reads_them() {
        // Observed with ocfs2_hb_ctl 1.8.7: which -n values pass the 0..7 check.
        for (text, value) in [
            ("7x", 7),
            ("0x7", 7),
            ("010", 8),
            ("011", 9),
            ("", 0),
            (" 3", 3),
            ("abc", 0),
            ("-0", 0),
            ("+3", 3),
            ("-1", -1),
            (" -1", -1),
            ("4294967296", 0),
            ("4294967303", 7),
            ("99999999999", 1_215_752_191),
            ("0x", 0),
            ("99999999999999999999999", -1),
        ] {
            assert_eq!(c_atoi_base0(text), value, "{text:?}");
        }
    }
}
