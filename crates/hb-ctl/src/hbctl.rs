//! `ocfs2_hb_ctl` (spec §6.4): start (`-S`) or stop (`-K`) a volume's local heartbeat with a
//! persistent reference, show its reference count (`-I`), give its heartbeat thread
//! real-time I/O priority (`-P`). The kernel runs `ocfs2_hb_ctl -K -u <UUID>` at umount.
//!
//! Options, usage text and exit statuses (0 success, 1 any failure) are the reference's.
//! Differences (docs/compatibility.md): `-I` needs no cluster stack and creates no
//! semaphore set; devices are found with libblkid (the device the region runs on first);
//! `-K` stops the region of a device that disappeared; failures say what exactly is wrong.

use std::ffi::OsString;
use std::path::PathBuf;

use configfs::{paths, ConfigfsIo, ConfigfsName, NameKind, RealConfigfs};
use getopt::{Function, Getopt, HasArg, OptionSpec, OptionTable, Parsed};
use o2cb_runtime::Context;

use crate::error::{line, Reported};
use crate::join::{self, JoinError, Left, RunningCluster};
use crate::policy::ClusterConfPolicy;
use crate::region::{Started, Stopped};
use o2cb_sys::volume::{find_by_uuid, OpenedVolume};

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
    Help,
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

/// Parses the command line. `Err` carries the exit status after the usage (and getopt's
/// complaint) was printed, or 0 after `-h`.
pub fn parse(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<Request, i32> {
    let mut action = None;
    let mut device: Option<OsString> = None;
    let mut uuid: Option<OsString> = None;
    let mut priority: Option<OsString> = None;
    let mut bad_option = false;
    let argv0 = ctx.argv0.clone();
    let mut parser = Getopt::new(&OPTIONS, args)
        .expect("the option table is valid")
        .posixly_correct(o2cb_runtime::posixly_correct());
    for item in parser.by_ref() {
        match item {
            Parsed::Opt { id, arg } => match id {
                b'S' => action = Some(Action::Start),
                b'K' => action = Some(Action::Kill),
                b'I' => action = Some(Action::Info),
                b'P' => action = Some(Action::Priority),
                b'h' => action = Some(Action::Help),
                b'd' => device = arg,
                b'u' => uuid = arg,
                b'n' => priority = arg,
                _ => unreachable!("every option of the table is handled"),
            },
            // Every complaint is printed, then the usage (even after -h).
            Parsed::Error(e) => {
                ctx.getopt_error(&argv0, &e);
                bad_option = true;
            }
            Parsed::Operand(_) => {}
        }
    }
    if bad_option {
        return Err(usage_error(ctx));
    }
    let service = parser.into_operands().into_iter().next();
    let Some(action) = action else {
        return Err(usage_error(ctx));
    };
    if action == Action::Help {
        ctx.print(USAGE.as_bytes());
        return Err(0);
    }
    let target = match (device, uuid) {
        (Some(d), None) => Target::Device(PathBuf::from(d)),
        (None, Some(u)) => Target::Uuid(u.to_string_lossy().into_owned()),
        _ => return Err(usage_error(ctx)),
    };
    let service = match (action, service) {
        (Action::Start, None) => return Err(usage_error(ctx)),
        (Action::Kill, None) => match target {
            Target::Uuid(_) => Some(OsString::from(DEFAULT_SERVICE)),
            Target::Device(_) => return Err(usage_error(ctx)),
        },
        (_, s) => s,
    };
    let priority = match (action, priority) {
        (Action::Priority, Some(p)) => match u8::try_from(c_atoi_base0(&p.to_string_lossy())) {
            Ok(p) if p <= 7 => p,
            _ => return Err(usage_error(ctx)),
        },
        _ => 0,
    };
    Ok(Request {
        action,
        target,
        service,
        priority,
    })
}

fn usage_error(ctx: &mut Context<'_>) -> i32 {
    ctx.error_bytes(USAGE.as_bytes());
    1
}

/// Runs `ocfs2_hb_ctl` with `args` (`argv[1..]`); returns the exit status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    ctx.prog = PROG.to_string();
    let request = match parse(ctx, args) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = match request.action {
        Action::Info => info(ctx, &request),
        Action::Start | Action::Kill => {
            // An interrupted start leaves a region without its reference, an interrupted
            // stop a reference without its region.
            let _held = o2cb_sys::signals::block_all();
            start_or_stop(ctx, &request)
        }
        Action::Priority => priority(ctx, &request),
        Action::Help => unreachable!("handled by parse"),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            ctx.error_line(message);
            1
        }
    }
}

fn report(failure: &dyn Reported, doing: &str) -> String {
    line(PROG, failure, doing)
}

/// The UUID of the target: as given, or read from the device.
fn target_uuid(target: &Target) -> Result<String, String> {
    match target {
        Target::Uuid(u) => Ok(u.clone()),
        Target::Device(d) => OpenedVolume::open(d)
            .map(|v| v.uuid_hex())
            .map_err(|e| report(&e, "reading uuid")),
    }
}

/// `-I`: `<UUID>: <N> refs`. A query: it needs no cluster stack and creates nothing.
fn info(ctx: &mut Context<'_>, request: &Request) -> Result<(), String> {
    let uuid = target_uuid(&request.target)?;
    let refs = o2cb_sys::semaphore::ref_count(&uuid)
        .map_err(|e| report(&e, "reading reference counts"))?;
    ctx.print(format!("{uuid}: {refs} refs\n").as_bytes());
    Ok(())
}

/// The stack and configfs, as libo2cb's start-up finds them.
fn init(ctx: &Context<'_>, load_modules: bool) -> Result<(String, RealConfigfs), String> {
    o2cb_sys::stack::init_classic(&ctx.root, load_modules)
        .map(|info| (info.stack, RealConfigfs::new(info.configfs)))
        .map_err(|e| report(&e, "initializing the cluster"))
}

fn start_or_stop(ctx: &mut Context<'_>, request: &Request) -> Result<(), String> {
    let start = request.action == Action::Start;
    let doing = if start {
        "starting heartbeat"
    } else {
        "stopping heartbeat"
    };
    let (stack, mut io) = init(ctx, start)?;
    let running = RunningCluster::read(&mut io, &stack).map_err(|e| report(&e, doing))?;
    let volume = match &request.target {
        Target::Device(d) => OpenedVolume::open(d).map_err(|e| report(&e, "reading uuid"))?,
        Target::Uuid(uuid) => {
            let running_dev = running.cluster.as_ref().and_then(|c| {
                c.regions
                    .iter()
                    .find(|r| r.name.as_str() == uuid)
                    .map(|r| r.dev.clone())
            });
            match find_by_uuid(&ctx.root, running_dev.as_deref(), uuid) {
                Ok(v) => v,
                Err(not_found) if !start => {
                    // The device is gone; stop its region by name rather than leave it
                    // heartbeating forever.
                    return match join::leave_region(&mut io, &running, uuid) {
                        Ok(Some(left)) => {
                            ctx.verbose(format!(
                                "{}; left region {uuid} by name: {left:?}",
                                not_found.detail()
                            ));
                            Ok(())
                        }
                        Ok(None) => Err(report(&not_found, doing)),
                        Err(e) => Err(report(&e, doing)),
                    };
                }
                Err(not_found) => return Err(report(&not_found, doing)),
            }
        }
    };
    if start {
        // A node that may not mount the filesystem has no business heartbeating on it
        // either; stopping (-K) is never refused.
        let policy = ClusterConfPolicy::load(&ctx.root);
        let joined = join::join(&mut io, &running, &volume, &policy)
            .map_err(|e: JoinError| report(&e, doing))?;
        ctx.verbose(match joined.heartbeat() {
            join::Heartbeat::Local(Started::Created) => {
                format!("heartbeat region {} started", volume.uuid_hex())
            }
            join::Heartbeat::Local(Started::Joined { refs }) => {
                format!(
                    "heartbeat region {} already running; {refs} refs",
                    volume.uuid_hex()
                )
            }
            join::Heartbeat::Local(Started::Global) | join::Heartbeat::Global => {
                "global heartbeat: nothing to start".to_string()
            }
        });
        // ocfs2_hb_ctl's join is complete at once: the reference stays until -K.
        joined.complete();
    } else {
        let left = join::leave(&mut io, &running, &volume).map_err(|e| report(&e, doing))?;
        ctx.verbose(match left {
            Left::Local(Stopped::Removed) => {
                format!("heartbeat region {} stopped", volume.uuid_hex())
            }
            Left::Local(Stopped::StillUsed { refs }) => {
                format!(
                    "heartbeat region {} still used; {refs} refs",
                    volume.uuid_hex()
                )
            }
            Left::Global => "global heartbeat: nothing to stop".to_string(),
        });
    }
    Ok(())
}

/// `-P`: real-time I/O priority for the region's heartbeat thread.
fn priority(ctx: &mut Context<'_>, request: &Request) -> Result<(), String> {
    let doing = "setting the heartbeat I/O priority";
    let uuid = target_uuid(&request.target)?;
    let (_, mut io) = init(ctx, false)?;
    let cluster = configfs::read_clusters(&mut io)
        .ok()
        .flatten()
        .and_then(|c| c.into_iter().next())
        .ok_or_else(|| {
            format!("{PROG}: Cluster name is invalid while {doing}: no cluster is registered")
        })?;
    let region = ConfigfsName::new(NameKind::Region, uuid.as_bytes())
        .map_err(|e| format!("{PROG}: Heartbeat region could not be found while {doing}: {e}"))?;
    let pid_text = io
        .read(&paths::region_attr(&cluster, &region, "pid"))
        .map_err(|e| {
            format!(
                "{PROG}: Heartbeat region could not be found while {doing}: cluster {cluster} \
                 has no heartbeat region {uuid} ({})",
                crate::error::io_text(&e)
            )
        })?;
    let pid: u32 = pid_text.trim().parse().map_err(|_| {
        format!("{PROG}: Heartbeat region could not be found while {doing}: region {uuid} has no heartbeat thread")
    })?;
    let program = o2cb_sys::ionice::find(&ctx.root).ok_or_else(|| {
        format!("{PROG}: Unable to find ionice(1) while {doing}: neither /usr/bin/ionice nor /bin/ionice exists")
    })?;
    match o2cb_sys::ionice::set_realtime(&program, request.priority, pid) {
        Ok(Some(0)) => Ok(()),
        Ok(status) => Err(format!(
            "{PROG}: Internal logic failure while {doing}: {} -c1 -n{} -p{pid} exited with {}",
            program.display(),
            request.priority,
            status.map_or_else(|| "a signal".to_string(), |s| format!("status {s}"))
        )),
        Err(e) => Err(format!(
            "{PROG}: Internal logic failure while {doing}: cannot run {}: {e}",
            program.display()
        )),
    }
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
