//! `o2cb_ctl`, the 2004-era control program (docs/ocfs2-tools-reference.md §2): `-C`
//! create, `-D` delete, `-I` info, `-H` change, with the reference's option parsing, output
//! formats and exit statuses (negated errnos: 234 EINVAL, 254 ENOENT, 239 EEXIST, 251 EIO,
//! 222 ERANGE, 161 ENOTSUP, 249 E2BIG; [`CtlError`] carries them).
//!
//! Differences from the reference, each in docs/compatibility.md: `-I` and file-only
//! operations do not need the cluster stack loaded (the reference initialises it, loading
//! modules, even to print the file); `-D` is implemented; an invalid `online=` value is an
//! error instead of bringing the cluster online; a failed online is undone instead of being
//! left half registered; errors say what the kernel refused.

#![forbid(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use bstr::ByteSlice;
use getopt::{Function, HasArg, OptionSpec, OptionTable, Parsed};
use o2cb_runtime::{report, Context};

mod change;
mod create;
mod delete;
mod error;
mod info;

pub use error::{CtlError, Status};

/// The reference names itself this way whatever its `argv[0]`.
pub const PROG: &str = "o2cb_ctl";

pub const USAGE: &str = "Usage: o2cb_ctl -C -n <object> -t <type> [-i] [-a <attribute> ] ...
       o2cb_ctl -D -n <object> [-u]
       o2cb_ctl -I [-o|-z] [-n <object>] [-t <type>] [-a <attribute>] ...
       o2cb_ctl -H [-n <object>] [-t <type>] [-a <attribute>] ...
       o2cb_ctl -h
       o2cb_ctl -V
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Delete,
    Info,
    Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Cluster,
    Node,
}

/// An `-a key[=value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub key: String,
    /// `None` for `-a key` without `=`.
    pub value: Option<OsString>,
}

/// Everything the command line said.
#[derive(Debug, Default)]
pub struct Options {
    pub op: Option<Operation>,
    pub objects: Vec<OsString>,
    pub object_type: Option<ObjectType>,
    pub attrs: Vec<Attribute>,
    pub install: bool,
    pub uninstall: bool,
    pub oneline: bool,
    pub stanza: bool,
}

impl Options {
    /// The first `-a key...` given for `key`: the reference looks attributes up from the
    /// front of its list, so a repeated key's later values are never seen.
    pub fn attr(&self, key: &str) -> Option<&Attribute> {
        self.attrs.iter().find(|a| a.key == key)
    }

    /// The value of [`Options::attr`], where an empty value counts as none at all (the
    /// reference stores `key=` as an empty string and then tests it as absent).
    pub fn attr_value(&self, key: &str) -> Option<&OsStr> {
        self.attr(key)?.value.as_deref().filter(|v| !v.is_empty())
    }
}

/// The reference's option string: POSIX `getopt` in colon mode, `-` taking an argument so
/// that `--help` arrives as `-` + `help`.
pub const OPTIONS: OptionTable<'static, u8> = OptionTable {
    optstring: ":hVCDIHiuozn:t:a:-:",
    function: Function::Getopt,
    options: &[
        OptionSpec::short(b'h', b'h', HasArg::No).with_help("Show the usage."),
        OptionSpec::short(b'V', b'V', HasArg::No).with_help("Print the version."),
        OptionSpec::short(b'C', b'C', HasArg::No)
            .with_help("Create objects in cluster.conf (with -i, in the running cluster too)."),
        OptionSpec::short(b'D', b'D', HasArg::No)
            .with_help("Delete objects from cluster.conf (with -u, from the running cluster too)."),
        OptionSpec::short(b'I', b'I', HasArg::No).with_help("Show objects."),
        OptionSpec::short(b'H', b'H', HasArg::No)
            .with_help("Change objects (a cluster's name, or online=yes|no)."),
        OptionSpec::short(b'i', b'i', HasArg::No)
            .with_help("With -C: also add to the running cluster."),
        OptionSpec::short(b'u', b'u', HasArg::No)
            .with_help("With -D: also remove from the running cluster."),
        OptionSpec::short(b'o', b'o', HasArg::No).with_help("With -I: colon-separated output."),
        OptionSpec::short(b'z', b'z', HasArg::No)
            .with_help("With -I: cluster.conf stanza output (the default)."),
        OptionSpec::short(b'n', b'n', HasArg::Required)
            .with_value_name("object")
            .with_help("An object name; may be repeated."),
        OptionSpec::short(b't', b't', HasArg::Required)
            .with_value_name("type")
            .with_help("The object type: cluster or node."),
        OptionSpec::short(b'a', b'a', HasArg::Required)
            .with_value_name("attribute")
            .with_help("An attribute, key=value; may be repeated."),
        OptionSpec::short(b'-', b'-', HasArg::Required)
            .with_value_name("long-option")
            .with_help("--help and --version."),
    ],
};

/// What `-V` and `--version` print: the reference release, then ours.
fn version() -> String {
    format!(
        "{PROG} version {} (o2cb-rs {})\n",
        o2cb_runtime::REFERENCE_VERSION,
        env!("CARGO_PKG_VERSION")
    )
}

/// A line on stderr with the program's name in front (`o2cb_ctl: text`): a note, or one of
/// several problems a failure lists itself. A failure's own message is its [`CtlError`].
fn message(ctx: &mut Context<'_>, text: impl std::fmt::Display) {
    ctx.error_line(format_args!("{PROG}: {text}"));
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    /// `-h` or `--help`: the usage on stdout.
    Help,
    /// `-V` or `--version`.
    Version,
    /// An operation (or none, which [`run`] refuses).
    Run(Options),
}

/// Parses the command line as the reference does: the first `-h`/`-V` wins over anything
/// after it, an error stops at the option that caused it.
pub fn parse(args: Vec<OsString>) -> Result<Action, CtlError> {
    let mut o = Options::default();
    let mut parser = o2cb_runtime::option_parser(&OPTIONS, args);
    for item in parser.by_ref() {
        let (c, arg) = match item {
            Parsed::Opt { id, arg } => (id, arg.unwrap_or_default()),
            Parsed::Error(e) => return Err(option_error(&e)),
            Parsed::Operand(_) => continue,
        };
        match c {
            b'h' => return Ok(Action::Help),
            b'V' => return Ok(Action::Version),
            b'-' => return long_option(&arg),
            _ => o.take_option(c, arg)?,
        }
    }
    no_operands(&parser.into_operands())?;
    o.check_combination()?;
    Ok(Action::Run(o))
}

/// An option getopt refused: unknown, or without its argument.
fn option_error(e: &getopt::GetoptError) -> CtlError {
    let c = e.optopt().unwrap_or(b'?') as char;
    let text = if e.is_missing_argument() {
        format!("Option '-{c}' requires an argument")
    } else {
        format!("Invalid option: '-{c}'")
    };
    CtlError::new(Status::Invalid, text).with_usage()
}

/// `--help` and `--version`, the only long options (`-` takes the rest as its argument).
fn long_option(name: &OsStr) -> Result<Action, CtlError> {
    match name.as_bytes() {
        b"help" => Ok(Action::Help),
        b"version" => Ok(Action::Version),
        other => Err(CtlError::new(
            Status::Invalid,
            format_args!("Invalid option: '--{}'", other.to_str_lossy()),
        )
        .with_usage()),
    }
}

/// The reference takes no operands; any left after the options are E2BIG.
fn no_operands(extra: &[OsString]) -> Result<(), CtlError> {
    if extra.is_empty() {
        return Ok(());
    }
    let words: Vec<String> = extra
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Err(CtlError::new(
        Status::TooBig,
        format_args!("Extraneous arguments: \"{}\"", words.join(" ")),
    )
    .with_usage())
}

/// A wrong command line: the message, then the usage, EINVAL.
fn misused(text: impl std::fmt::Display) -> CtlError {
    CtlError::new(Status::Invalid, text).with_usage()
}

impl Options {
    /// Records one option of the command line.
    fn take_option(&mut self, c: u8, arg: OsString) -> Result<(), CtlError> {
        match c {
            b'C' | b'D' | b'I' | b'H' => self.set_operation(c)?,
            b'n' => {
                if arg.is_empty() {
                    return Err(misused("Argument to '-n' cannot be \"\""));
                }
                self.objects.push(arg);
            }
            b't' => self.object_type = Some(object_type(&arg)?),
            b'a' => self.attrs.push(attribute(&arg)?),
            b'i' => self.install = true,
            b'u' => self.uninstall = true,
            b'o' => self.oneline = true,
            b'z' => self.stanza = true,
            _ => unreachable!("every option of the table is handled"),
        }
        Ok(())
    }

    /// `-C`, `-D`, `-I` or `-H`; a second one is a usage error without a message.
    fn set_operation(&mut self, c: u8) -> Result<(), CtlError> {
        if self.op.is_some() {
            return Err(CtlError::quiet(Status::Invalid).with_usage());
        }
        self.op = Some(match c {
            b'C' => Operation::Create,
            b'D' => Operation::Delete,
            b'I' => Operation::Info,
            _ => Operation::Change,
        });
        Ok(())
    }

    /// The flags that belong to one operation, and `-z` against `-o`.
    fn check_combination(&self) -> Result<(), CtlError> {
        for (flag, op, c) in [
            (self.uninstall, Operation::Delete, 'u'),
            (self.install, Operation::Create, 'i'),
            (self.stanza, Operation::Info, 'z'),
            (self.oneline, Operation::Info, 'o'),
        ] {
            if flag && self.op != Some(op) {
                return Err(misused(format_args!(
                    "Argument '-{c}' is not valid for this operation"
                )));
            }
        }
        if self.stanza && self.oneline {
            return Err(misused("Cannot specify '-z' and '-o' at the same time"));
        }
        Ok(())
    }
}

/// `-t cluster` or `-t node`.
fn object_type(arg: &OsStr) -> Result<ObjectType, CtlError> {
    match arg.as_bytes() {
        b"" => Err(misused("Argument to '-t' cannot be \"\"")),
        b"cluster" => Ok(ObjectType::Cluster),
        b"node" => Ok(ObjectType::Node),
        other => Err(misused(format_args!(
            "Object type \"{}\" is invalid",
            other.to_str_lossy()
        ))),
    }
}

/// `-a key[=value]`; an empty key (`-a =x`) is a usage error without a message.
fn attribute(arg: &OsStr) -> Result<Attribute, CtlError> {
    if arg.is_empty() {
        return Err(misused("Argument to '-a' cannot be \"\""));
    }
    let bytes = arg.as_bytes();
    let (key, value) = match bytes.find_byte(b'=') {
        Some(i) => (
            &bytes[..i],
            Some(OsStr::from_bytes(&bytes[i + 1..]).to_os_string()),
        ),
        None => (bytes, None),
    };
    if key.is_empty() {
        return Err(CtlError::quiet(Status::Invalid).with_usage());
    }
    Ok(Attribute {
        key: key.to_str_lossy().into_owned(),
        value,
    })
}

/// The attributes each type takes (the reference's `validate_attrs`).
fn validate_attrs(o: &Options) -> Result<(), CtlError> {
    let allowed: &[&str] = match o.object_type {
        Some(ObjectType::Cluster) => &["name", "online"],
        Some(ObjectType::Node) => &["name", "cluster", "number", "ip_address", "ip_port"],
        None => &[],
    };
    match o.attrs.iter().find(|a| !allowed.contains(&a.key.as_str())) {
        Some(a) => Err(invalid_attribute(a)),
        None => Ok(()),
    }
}

fn invalid_attribute(a: &Attribute) -> CtlError {
    CtlError::new(
        Status::Invalid,
        format_args!("Invalid attribute: \"{}\"", a.key),
    )
}

/// Brings up the stack for operations that touch the kernel.
fn init_stack(ctx: &Context<'_>) -> Result<o2cb_sys::stack::StackInfo, CtlError> {
    o2cb_sys::stack::init_classic(&ctx.root, true).map_err(|e| {
        CtlError::new(
            Status::Invalid,
            format_args!("{e}; cannot initialize cluster\n"),
        )
    })
}

/// The stack's configfs, under the test root when there is one.
fn configfs_io(ctx: &Context<'_>, stack: &o2cb_sys::stack::StackInfo) -> configfs::RealConfigfs {
    configfs::RealConfigfs::for_root(stack.configfs.clone(), ctx.root.is_real_root())
}

/// A cluster name as a configfs directory name.
fn cluster_dir_name(name: &[u8]) -> Result<configfs::ConfigfsName, CtlError> {
    configfs::ConfigfsName::new(configfs::NameKind::Cluster, name)
        .map_err(|e| CtlError::new(Status::Invalid, e))
}

/// Loads /etc/ocfs2/cluster.conf; a file we refuse shows our diagnostics, then the
/// reference's failure line.
fn load(ctx: &mut Context<'_>, modify: bool) -> Result<o2cb_runtime::Session, CtlError> {
    let path = ctx.root.cluster_conf();
    let shown = ctx.root.display_path(&path).display().to_string();
    let opened = o2cb_runtime::Session::open(
        path.as_os_str(),
        modify,
        &mut o2cb_runtime::session::lock_wait_notice(ctx),
    );
    let unable = format!("Unable to load cluster configuration file \"{shown}\"");
    match opened {
        Ok(mut s) => {
            s.shown = shown;
            Ok(s)
        }
        Err(o2cb_runtime::LoadFailure::Invalid(doc)) => {
            let text = doc.render_diagnostics(&shown, |s| s == cluster_conf::Severity::Error);
            ctx.error_bytes(text.as_bytes());
            Err(CtlError::new(Status::Io, unable))
        }
        Err(o2cb_runtime::LoadFailure::Io(e)) => {
            Err(CtlError::new(Status::Io, format_args!("{unable}: {e}")))
        }
    }
}

/// Writes the file back if the operation changed it.
fn store(ctx: &mut Context<'_>, session: &mut o2cb_runtime::Session) -> Result<(), CtlError> {
    session.store(ctx).map_err(|e| {
        CtlError::new(
            Status::Errno(e.errno()),
            format_args!(
                "Unable to store cluster configuration file \"{}\": {e}",
                session.shown
            ),
        )
    })
}

/// Runs `o2cb_ctl` with `args` (`argv[1..]`); returns the exit status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    ctx.prog = PROG.to_string();
    match execute(ctx, args) {
        Ok(()) => 0,
        Err(e) => report(ctx, &e, USAGE),
    }
}

/// What the command line asks for, done.
fn execute(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<(), CtlError> {
    match parse(args)? {
        Action::Help => ctx.print(USAGE.as_bytes()),
        Action::Version => ctx.print(version().as_bytes()),
        Action::Run(options) => operate(ctx, &options)?,
    }
    Ok(())
}

/// The operation the options name.
fn operate(ctx: &mut Context<'_>, o: &Options) -> Result<(), CtlError> {
    match o.op {
        None => Err(misused("You must specify an operation")),
        Some(Operation::Info) => info::run(ctx, o),
        Some(Operation::Create) => create::run(ctx, o),
        Some(Operation::Change) => change::run(ctx, o),
        Some(Operation::Delete) => delete::run(ctx, o),
    }
}

/// A change cluster-conf refused (the file is left as it was), with the status for its kind:
/// a name that is taken is EEXIST, a name that is not there ENOENT, and anything else (a
/// value the file cannot carry, an edit that would leave a file the tools refuse) EINVAL,
/// o2cb_ctl's status for input it refuses.
pub(crate) fn refused_edit(e: cluster_conf::EditError) -> CtlError {
    use cluster_conf::EditError as E;
    let status = match &e {
        E::ClusterExists(_) | E::NodeExists { .. } | E::RegionExists { .. } => Status::Exists,
        E::UnknownCluster(_) | E::UnknownNode { .. } => Status::NotFound,
        _ => Status::Invalid,
    };
    CtlError::new(status, e)
}

/// The line for a cluster or node the file does not have: `Cluster "name" does not exist`.
pub(crate) fn does_not_exist(what: &str, name: &[u8]) -> String {
    format!("{what} \"{}\" does not exist", name.to_str_lossy())
}

/// A cluster or node the file does not have: ENOENT.
pub(crate) fn missing(what: &str, name: &[u8]) -> CtlError {
    CtlError::new(Status::NotFound, does_not_exist(what, name))
}

/// `-n` names nothing in cluster.conf: the reference exits ENOENT without a word; we say why.
pub(crate) fn unknown_object(o: &Options) -> CtlError {
    let first = o
        .objects
        .first()
        .map_or_else(String::new, |f| f.as_bytes().to_str_lossy().into_owned());
    CtlError::new(
        Status::NotFound,
        format_args!("\"{first}\" is neither a cluster nor a node in cluster.conf"),
    )
}

/// What `-n` names, once the type is known (the reference infers it from the first name).
pub(crate) fn infer_type(o: &Options, config: &cluster_conf::Config) -> Option<ObjectType> {
    if let Some(t) = o.object_type {
        return Some(t);
    }
    let first = o.objects.first()?.as_bytes();
    if config.cluster(first).is_some() {
        return Some(ObjectType::Cluster);
    }
    let number: Option<u32> = std::str::from_utf8(first).ok().and_then(|s| s.parse().ok());
    let is_node = config
        .clusters
        .iter()
        .flat_map(|c| &c.nodes)
        .any(|n| n.name == first || Some(n.number) == number);
    is_node.then_some(ObjectType::Node)
}
