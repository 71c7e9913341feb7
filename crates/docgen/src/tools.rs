//! One `clap::Command` per binary, built from the tables the binary parses with.
//!
//! | binary | options | commands |
//! |---|---|---|
//! | `o2cb` | [`o2cb::tool::GLOBAL_OPTIONS`] | [`o2cb::tool::COMMANDS`] (name, usage line, help), each with its option table |
//! | `o2cb_ctl` | [`o2cb_ctl::OPTIONS`] | — (synopsis: [`o2cb_ctl::USAGE`]) |
//! | `o2cb.init` | — | [`o2cb::init::ACTIONS`] (name, help, operands, options) |
//! | `ocfs2_hb_ctl` | [`hb_ctl::hbctl::OPTIONS`] | — (synopsis: [`hb_ctl::hbctl::USAGE`]) |
//! | `mount.ocfs2` | [`hb_ctl::mount::OPTIONS`] | — (synopsis from the table) |
//! | `mounted.ocfs2` | [`mounted::OPTIONS`] | — (synopsis: [`mounted::usage`]) |

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Command, ValueHint};
use getopt::Documented;

use crate::options::OptionDoc;
use crate::usage::{self, Operand};

/// A binary whose page and completions are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    O2cb,
    O2cbCtl,
    O2cbInit,
    HbCtl,
    MountOcfs2,
    MountedOcfs2,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::O2cb,
        Tool::O2cbCtl,
        Tool::O2cbInit,
        Tool::HbCtl,
        Tool::MountOcfs2,
        Tool::MountedOcfs2,
    ];

    /// The installed name (what the man page and the completions are called).
    pub fn name(self) -> &'static str {
        match self {
            Tool::O2cb => "o2cb",
            Tool::O2cbCtl => "o2cb_ctl",
            Tool::O2cbInit => "o2cb.init",
            Tool::HbCtl => "ocfs2_hb_ctl",
            Tool::MountOcfs2 => "mount.ocfs2",
            Tool::MountedOcfs2 => "mounted.ocfs2",
        }
    }

    pub fn command(self) -> Command {
        match self {
            Tool::O2cb => o2cb(),
            Tool::O2cbCtl => o2cb_ctl(),
            Tool::O2cbInit => o2cb_init(),
            Tool::HbCtl => ocfs2_hb_ctl(),
            Tool::MountOcfs2 => mount_ocfs2(),
            Tool::MountedOcfs2 => mounted_ocfs2(),
        }
    }
}

/// The forms of a usage text (`Usage: a -x\n       a -y`), one a line, without the
/// `Usage:` word.
fn usage_forms(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.trim();
            l.strip_prefix("Usage:")
                .or_else(|| l.strip_prefix("usage:"))
                .unwrap_or(l)
                .trim()
        })
        .filter(|l| !l.is_empty() && !l.starts_with('-'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A synopsis from an option table, the way getopt tools write theirs: the flags in one
/// bracket (`[-vn]`), then each option with its argument, then the operands.
fn synopsis_from_table(name: &str, table: &dyn Documented, operands: &str) -> String {
    let docs = OptionDoc::from_table(table);
    let flags: String = docs
        .iter()
        .filter(|o| o.has_arg == getopt::HasArg::No)
        .filter_map(|o| o.short)
        .collect();
    let mut line = name.to_owned();
    if !flags.is_empty() {
        line.push_str(&format!(" [-{flags}]"));
    }
    for o in docs.iter().filter(|o| o.has_arg != getopt::HasArg::No) {
        let value = o.value_name.as_deref().unwrap_or("value");
        line.push_str(&format!(" [{} <{value}>]", o.spelling()));
    }
    if !operands.is_empty() {
        line.push(' ');
        line.push_str(operands);
    }
    line
}

/// A tool with one flat table of short options.
fn flat(name: &'static str, synopsis: String, table: &dyn Documented) -> Command {
    let mut cmd = base(name).override_usage(synopsis);
    for doc in OptionDoc::from_table(table) {
        let mut arg = doc.to_arg(false);
        if matches!(doc.value_name.as_deref(), Some("device")) {
            arg = arg.value_hint(ValueHint::FilePath);
        }
        cmd = cmd.arg(arg);
    }
    cmd
}

/// `ocfs2_hb_ctl`.
pub fn ocfs2_hb_ctl() -> Command {
    flat(
        "ocfs2_hb_ctl",
        usage_forms(hb_ctl::hbctl::USAGE),
        &hb_ctl::hbctl::OPTIONS,
    )
}

/// `mount.ocfs2`: its usage text is part of an error message, so the synopsis is made
/// from the table.
pub fn mount_ocfs2() -> Command {
    let table = &hb_ctl::mount::OPTIONS;
    flat(
        "mount.ocfs2",
        synopsis_from_table("mount.ocfs2", table, "<device> <dir>"),
        table,
    )
    .arg(
        Arg::new("device")
            .value_name("device")
            .required(true)
            .value_hint(ValueHint::FilePath),
    )
    .arg(
        Arg::new("dir")
            .value_name("dir")
            .required(true)
            .value_hint(ValueHint::DirPath),
    )
}

/// `mounted.ocfs2`.
pub fn mounted_ocfs2() -> Command {
    let usage = String::from_utf8_lossy(&mounted::usage(b"mounted.ocfs2")).into_owned();
    flat("mounted.ocfs2", usage_forms(&usage), &mounted::OPTIONS).arg(
        Arg::new("device")
            .value_name("device")
            .required(false)
            .value_hint(ValueHint::FilePath),
    )
}

/// What every generated command shares: the binaries answer `-h`/`-V` themselves, so clap
/// must not add its own flags, and the usage lines are the tools' own.
fn base(name: &'static str) -> Command {
    Command::new(name)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .version(env!("CARGO_PKG_VERSION"))
}

/// Completion hints for operands whose name says what they are.
fn hint(name: &str) -> ValueHint {
    if name.contains("device") || name.contains("file") {
        ValueHint::AnyPath
    } else {
        ValueHint::Other
    }
}

fn operand_arg(index: usize, operand: &Operand) -> Arg {
    let mut arg = Arg::new(operand.name.clone())
        .index(index + 1)
        .value_name(operand.name.clone())
        .required(!operand.optional)
        .action(ArgAction::Set)
        .value_hint(hint(&operand.name));
    if !operand.choices.is_empty() {
        arg = arg.value_parser(PossibleValuesParser::new(operand.choices.clone()));
    }
    arg
}

/// The options an `o2cb` command parses, from the table the command carries.
pub fn o2cb_command_options(command: &o2cb::tool::Command) -> Vec<OptionDoc> {
    command
        .options
        .map(OptionDoc::from_table)
        .unwrap_or_default()
}

fn options_args(table: &dyn Documented, repeatable: &[char]) -> Vec<Arg> {
    OptionDoc::from_table(table)
        .iter()
        .map(|o| o.to_arg(o.short.is_some_and(|c| repeatable.contains(&c))))
        .collect()
}

/// The `o2cb` tool: global options, then one sub-command per entry of the command table.
pub fn o2cb() -> Command {
    let text = o2cb::tool::usage_text("o2cb");
    let synopsis = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("usage: "))
        .unwrap_or("o2cb COMMAND [ARGS]")
        .to_owned();
    let mut cmd = base("o2cb")
        .override_usage(synopsis)
        .subcommand_value_name("COMMAND")
        .subcommand_help_heading("COMMANDS");
    for mut arg in options_args(&o2cb::tool::GLOBAL_OPTIONS, &['v']) {
        if arg.get_long() == Some("config-file") {
            arg = arg.value_hint(ValueHint::FilePath);
        }
        cmd = cmd.arg(arg);
    }
    for command in o2cb::tool::COMMANDS {
        cmd = cmd.subcommand(o2cb_subcommand(command));
    }
    cmd
}

fn o2cb_subcommand(command: &o2cb::tool::Command) -> Command {
    let shown = usage::parse(command.usage);
    let mut options = o2cb_command_options(command);
    // Options the usage line shows that no table describes yet: documented without help
    // rather than left out.
    for o in &shown.options {
        if !options
            .iter()
            .any(|d| d.long.as_deref() == Some(o.long.as_str()))
        {
            options.push(OptionDoc {
                short: None,
                long: Some(o.long.clone()),
                has_arg: if o.value_name.is_some() {
                    getopt::HasArg::Required
                } else {
                    getopt::HasArg::No
                },
                value_name: o.value_name.clone(),
                help: String::new(),
            });
        }
    }
    let mut sub = base(command.name)
        .about(command.help.trim().to_owned())
        .override_usage(
            format!("o2cb {} {}", command.name, command.usage)
                .trim_end()
                .to_owned(),
        );
    for o in &options {
        sub = sub.arg(o.to_arg(false));
    }
    for (index, operand) in shown.operands.iter().enumerate() {
        sub = sub.arg(operand_arg(index, operand));
    }
    sub
}

/// `o2cb_ctl`: one flat table of short options.
pub fn o2cb_ctl() -> Command {
    let mut cmd = base("o2cb_ctl").override_usage(usage_forms(o2cb_ctl::USAGE));
    for doc in OptionDoc::from_table(&o2cb_ctl::OPTIONS) {
        match doc.short {
            // `-` takes an argument so that plain getopt reads `--help` as `-` + `help`:
            // what users type are the long options `--help` and `--version` (the two words
            // o2cb_ctl::parse accepts), so those are what is documented and completed.
            Some('-') => {
                cmd = cmd
                    .arg(
                        Arg::new("long-help")
                            .long("help")
                            .action(ArgAction::SetTrue)
                            .help("Same as -h."),
                    )
                    .arg(
                        Arg::new("long-version")
                            .long("version")
                            .action(ArgAction::SetTrue)
                            .help("Same as -V."),
                    );
            }
            Some('n') | Some('a') => cmd = cmd.arg(doc.to_arg(true)),
            Some('t') => {
                cmd = cmd.arg(
                    doc.to_arg(false)
                        .value_parser(PossibleValuesParser::new(["cluster", "node"])),
                )
            }
            _ => cmd = cmd.arg(doc.to_arg(false)),
        }
    }
    cmd
}

/// `[--opt value] [--flag]` for each option of a table, as a usage line shows them.
fn bracketed(table: &dyn Documented) -> String {
    OptionDoc::from_table(table)
        .iter()
        .map(|o| match &o.value_name {
            Some(v) => format!("[{} {v}]", o.spelling()),
            None => format!("[{}]", o.spelling()),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `o2cb.init ACTION [CLUSTER]`, and each action with its operands or options, all from
/// [`o2cb::init::ACTIONS`].
pub fn o2cb_init() -> Command {
    let mut synopsis = format!("o2cb.init {{{}}} [cluster]", o2cb::init::action_names());
    for action in o2cb::init::ACTIONS {
        if let Some(options) = action.options {
            synopsis.push_str(&format!(
                "\no2cb.init {} {}",
                action.name,
                bracketed(options)
            ));
        }
    }
    let mut cmd = base("o2cb.init")
        .override_usage(synopsis)
        .subcommand_value_name("ACTION")
        .subcommand_help_heading("ACTIONS");
    for action in o2cb::init::ACTIONS {
        let name = action.name;
        let mut sub = base(name).about(action.help);
        if !action.operands.is_empty() {
            sub = sub
                .override_usage(format!("o2cb.init {name} {}", action.operands))
                .arg(Arg::new("cluster").value_name("cluster").required(false));
        } else if let Some(options) = action.options {
            sub = sub.override_usage(format!("o2cb.init {name} {}", bracketed(options)));
            for arg in options_args(options, &[]) {
                sub = sub.arg(arg);
            }
        } else {
            sub = sub.override_usage(format!("o2cb.init {name}"));
        }
        cmd = cmd.subcommand(sub);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_command_is_a_valid_clap_command() {
        for tool in Tool::ALL {
            tool.command().debug_assert();
        }
    }

    #[test]
    fn o2cb_has_every_command_of_the_table() {
        let cmd = o2cb();
        let names: Vec<_> = cmd.get_subcommands().map(|c| c.get_name()).collect();
        let table: Vec<_> = o2cb::tool::COMMANDS.iter().map(|c| c.name).collect();
        assert_eq!(names, table);
        let add_node = cmd.find_subcommand("add-node").unwrap();
        let ip = add_node
            .get_arguments()
            .find(|a| a.get_long() == Some("ip"))
            .unwrap();
        assert!(ip.get_help().is_some(), "help text comes from the table");
        let mode = cmd.find_subcommand("heartbeat-mode").unwrap();
        let choice = mode.get_positionals().nth(1).unwrap();
        let values: Vec<_> = choice
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(values, ["global", "local"]);
    }

    #[test]
    fn o2cb_init_describes_every_action_and_configure_options() {
        let cmd = o2cb_init();
        for action in o2cb::init::ACTIONS {
            let sub = cmd.find_subcommand(action.name).unwrap();
            assert!(
                !action.help.is_empty(),
                "{} has no description",
                action.name
            );
            assert_eq!(sub.get_about().unwrap().to_string(), action.help);
        }
        let configure = cmd.find_subcommand("configure").unwrap();
        assert!(configure
            .get_arguments()
            .any(|a| a.get_long() == Some("idle-timeout")));
    }

    #[test]
    fn o2cb_ctl_documents_long_help_instead_of_the_dash_option() {
        let cmd = o2cb_ctl();
        let longs: Vec<_> = cmd.get_arguments().filter_map(|a| a.get_long()).collect();
        assert_eq!(longs, ["help", "version"]);
        assert!(cmd.get_arguments().all(|a| a.get_short() != Some('-')));
    }
}
