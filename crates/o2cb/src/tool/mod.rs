//! The `o2cb` tool (ocfs2-tools 1.8's `o2cb`, docs/ocfs2-tools-reference.md §3): global options,
//! the command table, loading and saving cluster.conf around each command, and exit statuses.
//!
//! Exit status is 0 or 1, as the reference's: 1 for usage errors, `-h`, `-V`, and any
//! failure; 0 on success. The reference's "error but exit 0" cases (`add-cluster` of an
//! existing cluster, `list-*` of an unknown one) are kept: scripts use the first for
//! idempotent setup (docs/compatibility.md).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use getopt::{Function, HasArg, OptionSpec, OptionTable, Parsed};

use crate::context::Context;

mod check;
pub mod cluster;
mod commands;
mod config;
pub mod filesystem;
pub mod fsctl;
mod list;

pub use o2cb_runtime::session::{lock_wait_notice, LoadFailure, Session};

pub use o2cb_runtime::{posixly_correct, REFERENCE_VERSION};

/// Why a command did not succeed, with its exit status. Success (`Ok`) exits 0, after the
/// file is saved if the command changed it; a failure saves nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `o2cb: <reason>`, then exit `status`: 1, but for the `fs-*` commands, whose statuses
    /// an OCF agent reads (2 misconfigured, 3 not active).
    Refused { reason: String, status: i32 },
    /// The command's usage line, exit 1.
    Usage,
    /// `o2cb: <reason>`, then the command's usage line, exit 1.
    Misused(String),
    /// What there was to say has been said (a list of problems, a report): exit with this
    /// status (`check`'s 1 and 2, `cluster-status`'s 1, `fs-status`'s 3).
    Status(i32),
}

impl Failure {
    /// `o2cb: <reason>`, exit 1.
    pub fn refused(reason: impl std::fmt::Display) -> Failure {
        Failure::Refused {
            reason: reason.to_string(),
            status: 1,
        }
    }

    /// The same failure with another exit status.
    pub fn with_status(self, status: i32) -> Failure {
        match self {
            Failure::Refused { reason, .. } => Failure::Refused { reason, status },
            Failure::Status(_) => Failure::Status(status),
            usage => usage,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused { reason, .. } | Failure::Misused(reason) => f.write_str(reason),
            Failure::Usage | Failure::Status(_) => Ok(()),
        }
    }
}

impl o2cb_runtime::ToolError for Failure {
    fn code(&self) -> i32 {
        match self {
            Failure::Refused { status, .. } => *status,
            Failure::Usage | Failure::Misused(_) => 1,
            Failure::Status(status) => *status,
        }
    }
}

/// What a command returns.
pub type CmdResult = Result<(), Failure>;

/// How a command uses cluster.conf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads it.
    Read,
    /// Reads, may change, and writes it back: the file stays locked throughout.
    Modify,
    /// Does its own loading (`check`).
    Own,
}

type Handler = fn(&mut Context<'_>, &mut Session, Vec<OsString>) -> CmdResult;

/// One command of the table.
#[derive(Debug)]
pub struct Command {
    pub name: &'static str,
    /// The usage line after the command name.
    pub usage: &'static str,
    pub help: &'static str,
    pub access: Access,
    /// Part of the reference's command list (shown in its usage text).
    pub reference: bool,
    /// The options the command parses (the same table its handler hands to getopt), for
    /// `--help`, the man page and completions; `None` when every argument is an operand.
    pub options: Option<&'static dyn getopt::Documented>,
    run: Handler,
}

impl Command {
    /// The command with the option table its handler parses with.
    const fn with_options(self, table: &'static dyn getopt::Documented) -> Command {
        Command {
            options: Some(table),
            ..self
        }
    }
}

const fn cmd(
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    access: Access,
    run: Handler,
) -> Command {
    Command {
        name,
        usage,
        help,
        access,
        reference: true,
        options: None,
        run,
    }
}

/// A command of this implementation, not of the reference.
const fn ours(
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    access: Access,
    run: Handler,
) -> Command {
    Command {
        reference: false,
        ..cmd(name, usage, help, access, run)
    }
}

/// Every command, in the reference's order, then ours.
pub static COMMANDS: &[Command] = &[
    cmd(
        "add-cluster",
        "<clustername>",
        "Add cluster to the config file.",
        Access::Modify,
        commands::add_cluster,
    ),
    cmd(
        "remove-cluster",
        "<clustername>",
        "Removes cluster from the config file.",
        Access::Modify,
        commands::remove_cluster,
    ),
    cmd(
        "add-node",
        "[--ip <ip>] [--port <port>] [--number <num>] <clustername> <nodename>",
        "Adds a node to the cluster in the config file.",
        Access::Modify,
        commands::add_node,
    )
    .with_options(&commands::ADD_NODE_OPTIONS),
    cmd(
        "remove-node",
        "<clustername> <nodename>",
        "Removes a node from the cluster in the config file.",
        Access::Modify,
        commands::remove_node,
    ),
    cmd(
        "add-heartbeat",
        "<clustername> [<uuid>|<device>]",
        "Adds a heartbeat region to the cluster in the config file.",
        Access::Modify,
        commands::add_heartbeat,
    ),
    cmd(
        "remove-heartbeat",
        "<clustername> [<uuid>|<device>]",
        "Removes a heartbeat region from the cluster in the config file.",
        Access::Modify,
        commands::remove_heartbeat,
    ),
    cmd(
        "heartbeat-mode",
        "<clustername> {global|local}",
        "Toggles the heartbeat mode between global and local.",
        Access::Modify,
        commands::heartbeat_mode,
    ),
    cmd(
        "list-clusters",
        "",
        "Lists all the cluster names in the config file.",
        Access::Read,
        list::list_clusters,
    ),
    cmd(
        "list-cluster",
        "[--oneline] <clustername>",
        "Lists all the nodes and heartbeat regions associated with the cluster in the config file.",
        Access::Read,
        list::list_cluster,
    )
    .with_options(&list::LIST_OPTIONS),
    cmd(
        "list-nodes",
        "[--oneline] <clustername>",
        "Lists all the nodes associated with the cluster in the config file. ",
        Access::Read,
        list::list_nodes,
    )
    .with_options(&list::LIST_OPTIONS),
    cmd(
        "list-heartbeats",
        "[--oneline] <clustername>",
        "Lists all the heartbeat regions associated with the cluster in the config file.",
        Access::Read,
        list::list_heartbeats,
    )
    .with_options(&list::LIST_OPTIONS),
    cmd(
        "register-cluster",
        "<clustername>",
        "Registers the cluster with configfs.",
        Access::Read,
        cluster::register_cluster,
    ),
    cmd(
        "unregister-cluster",
        "<clustername>",
        "Unregisters the cluster from configfs.",
        Access::Read,
        cluster::unregister_cluster,
    ),
    cmd(
        "start-heartbeat",
        "<clustername>",
        "Starts global heartbeat.",
        Access::Read,
        cluster::start_heartbeat,
    ),
    cmd(
        "stop-heartbeat",
        "<clustername>",
        "Stops global heartbeat.",
        Access::Read,
        cluster::stop_heartbeat,
    ),
    cmd(
        "cluster-status",
        "[<clustername>]",
        "Returns 0 if cluster online, 1 otherwise.",
        Access::Read,
        cluster::cluster_status,
    ),
    ours(
        "check",
        "[--all] [<file>]",
        "Checks a cluster configuration file and reports its problems.",
        Access::Own,
        check::check,
    )
    .with_options(&check::CHECK_OPTIONS),
    ours(
        "add-filesystem",
        "[--label <label>] [--slots <n>] <clustername> <uuid>|<device>",
        "Adds a filesystem, run as a cluster of its own, to the config file.",
        Access::Modify,
        filesystem::add_filesystem,
    )
    .with_options(&filesystem::ADD_FILESYSTEM_OPTIONS),
    ours(
        "remove-filesystem",
        "<uuid>|<device>",
        "Removes a filesystem and its members from the config file.",
        Access::Modify,
        filesystem::remove_filesystem,
    ),
    ours(
        "add-filesystem-node",
        "[--slot <n>] [--ip <ip>] [--port <port>] <uuid>|<device> <nodename>",
        "Makes a node a member of a filesystem; allocates and records its slot.",
        Access::Modify,
        filesystem::add_filesystem_node,
    )
    .with_options(&filesystem::ADD_FILESYSTEM_NODE_OPTIONS),
    ours(
        "remove-filesystem-node",
        "<uuid>|<device> <nodename>",
        "Removes a node from a filesystem's members.",
        Access::Modify,
        filesystem::remove_filesystem_node,
    ),
    ours(
        "list-filesystems",
        "[--oneline|--json] [<clustername>]",
        "Lists the filesystems and their members in the config file.",
        Access::Read,
        filesystem::list_filesystems,
    )
    .with_options(&filesystem::LIST_FILESYSTEMS_OPTIONS),
    ours(
        "fs-activate",
        "<uuid>|<device>",
        "Makes this node active for a filesystem (for cluster managers; exit 2 if misconfigured).",
        Access::Read,
        fsctl::fs_activate,
    ),
    ours(
        "fs-deactivate",
        "<uuid>|<device>",
        "Makes this node inactive for a filesystem (refused while it is mounted here).",
        Access::Read,
        fsctl::fs_deactivate,
    ),
    ours(
        "fs-status",
        "<uuid>|<device>",
        "Exits 0 if this node is active for the filesystem, 3 if not, 2 if misconfigured.",
        Access::Read,
        fsctl::fs_status,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalOpt {
    ConfigFile,
    Help,
    Verbose,
    Version,
}

/// The reference's global options: `getopt_long(argc, argv, "+hvV", ...)`.
pub const GLOBAL_OPTIONS: OptionTable<'static, GlobalOpt> = OptionTable {
    optstring: "+hvV",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(GlobalOpt::ConfigFile, "config-file", HasArg::Required)
            .with_value_name("path")
            .with_help("Use this cluster configuration file instead of /etc/ocfs2/cluster.conf."),
        OptionSpec::short(GlobalOpt::Help, b'h', HasArg::No)
            .with_long("help")
            .with_help("Show the usage and the commands."),
        OptionSpec::short(GlobalOpt::Verbose, b'v', HasArg::No)
            .with_long("verbose")
            .with_help("Say more; repeat for debugging output."),
        OptionSpec::short(GlobalOpt::Version, b'V', HasArg::No)
            .with_long("version")
            .with_help("Print the version."),
    ],
};

/// The usage text (on stderr, like the reference).
pub fn usage_text(prog: &str) -> String {
    let mut s = format!(
        "usage: {prog} [--config-file=path] [-h|--help] [-v|--verbose] [-V|--version] COMMAND [ARGS]\n\nThe commands are:\n"
    );
    for c in COMMANDS.iter().filter(|c| c.reference) {
        s.push_str(&format!("  {:<18}  {}\n", c.name, c.help));
    }
    s.push_str("\nCommands of this implementation:\n");
    let width = COMMANDS
        .iter()
        .filter(|c| !c.reference)
        .map(|c| c.name.len())
        .max()
        .unwrap_or(18)
        .max(18);
    for c in COMMANDS.iter().filter(|c| !c.reference) {
        s.push_str(&format!("  {:<width$}  {}\n", c.name, c.help));
    }
    s.push('\n');
    s
}

/// Runs `o2cb` with `args` (`argv[1..]`) and returns the exit status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    let mut config_file: Option<OsString> = None;
    let mut parser = o2cb_runtime::option_parser(&GLOBAL_OPTIONS, args);
    for item in parser.by_ref() {
        match item {
            Parsed::Opt {
                id: GlobalOpt::ConfigFile,
                arg,
            } => config_file = arg,
            Parsed::Opt {
                id: GlobalOpt::Verbose,
                ..
            } => ctx.verbosity += 1,
            Parsed::Opt {
                id: GlobalOpt::Version,
                ..
            } => {
                let line = format!(
                    "{} {REFERENCE_VERSION} (o2cb-rs {})",
                    ctx.prog,
                    env!("CARGO_PKG_VERSION")
                );
                ctx.error_line(line);
                return 1;
            }
            Parsed::Opt {
                id: GlobalOpt::Help,
                ..
            } => return usage(ctx),
            Parsed::Error(e) => {
                let argv0 = ctx.argv0.clone();
                ctx.getopt_error(&argv0, &e);
                return usage(ctx);
            }
            Parsed::Operand(_) => {}
        }
    }
    let mut operands = parser.into_operands();
    if operands.is_empty() {
        return usage(ctx);
    }
    let name = operands.remove(0);
    let Some(command) = COMMANDS
        .iter()
        .find(|c| c.name.as_bytes() == name.as_bytes())
    else {
        ctx.error(format!("Unknown command '{}'", name.to_string_lossy()));
        return usage(ctx);
    };
    let path = config_file.unwrap_or_else(|| ctx.root.cluster_conf().into_os_string());
    run_command(ctx, command, &path, operands)
}

fn usage(ctx: &mut Context<'_>) -> i32 {
    let text = usage_text(&ctx.prog);
    ctx.error_bytes(text.as_bytes());
    1
}

fn run_command(ctx: &mut Context<'_>, command: &Command, path: &OsStr, args: Vec<OsString>) -> i32 {
    let mut session = match command.access {
        Access::Own => Session::unloaded(path),
        access => match Session::load(ctx, path, access == Access::Modify) {
            Some(s) => s,
            None => return 1,
        },
    };
    let done = (command.run)(ctx, &mut session, args).and_then(|()| {
        let shown = session.shown.clone();
        session.store(ctx).map_err(|e| {
            Failure::refused(format!(
                "{e} while storing the cluster configuration in file '{shown}'"
            ))
        })
    });
    match done {
        Ok(()) => 0,
        Err(e @ (Failure::Usage | Failure::Misused(_))) => {
            o2cb_runtime::report(ctx, &e, "");
            ctx.error(format!("usage: {} {}", command.name, command.usage));
            1
        }
        Err(e) => o2cb_runtime::report(ctx, &e, ""),
    }
}

/// A sub-command's options in order (with their arguments) and its operands.
pub(crate) type SubcommandArgs<Id> = (Vec<(Id, Option<OsString>)>, Vec<OsString>);

/// Parses a sub-command's options the way the reference does: `getopt_long` restarted on
/// the sub-argv, whose `argv[0]` is the command name (which is what glibc then quotes in its
/// complaints). Returns the options in order and the operands, or `None` after printing
/// glibc's complaint.
pub(crate) fn parse_subcommand<Id: Copy + PartialEq>(
    ctx: &mut Context<'_>,
    command: &str,
    table: &OptionTable<'static, Id>,
    args: Vec<OsString>,
) -> Option<SubcommandArgs<Id>> {
    let mut parser = o2cb_runtime::option_parser(table, args);
    let mut opts = Vec::new();
    for item in parser.by_ref() {
        match item {
            Parsed::Opt { id, arg } => opts.push((id, arg)),
            Parsed::Error(e) => {
                ctx.getopt_error(OsStr::new(command), &e);
                return None;
            }
            Parsed::Operand(_) => {}
        }
    }
    Some((opts, parser.into_operands()))
}
