//! `o2cb_ctl`, the 2004-era control program (spec §2): `-C` create, `-D` delete, `-I` info,
//! `-H` change, with the reference's option parsing, output formats and exit statuses
//! (negated errnos: 234 EINVAL, 254 ENOENT, 239 EEXIST, 251 EIO, 222 ERANGE, 161 ENOTSUP,
//! 249 E2BIG).
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
use getopt::{Function, Getopt, HasArg, OptionSpec, OptionTable, Parsed};
use o2cb_runtime::Context;

mod change;
mod create;
mod delete;
mod info;

/// The reference names itself this way whatever its `argv[0]`.
pub const PROG: &str = "o2cb_ctl";

pub const USAGE: &str = "Usage: o2cb_ctl -C -n <object> -t <type> [-i] [-a <attribute> ] ...
       o2cb_ctl -D -n <object> [-u]
       o2cb_ctl -I [-o|-z] [-n <object>] [-t <type>] [-a <attribute>] ...
       o2cb_ctl -H [-n <object>] [-t <type>] [-a <attribute>] ...
       o2cb_ctl -h
       o2cb_ctl -V
";

/// The errnos the reference exits with (as `256 - errno`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Invalid,
    NotFound,
    Exists,
    Io,
    Range,
    NotSupported,
    TooBig,
    /// A raw errno (from writing the file).
    Errno(i32),
}

impl Status {
    pub fn code(self) -> i32 {
        let errno = match self {
            Status::Ok => return 0,
            Status::Invalid => 22,
            Status::NotFound => 2,
            Status::Exists => 17,
            Status::Io => 5,
            Status::Range => 34,
            Status::NotSupported => 95,
            Status::TooBig => 7,
            Status::Errno(e) => e,
        };
        (256 - errno) & 0xff
    }
}

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

/// Prints the usage to stderr and returns the status.
fn usage_error(ctx: &mut Context<'_>, status: Status) -> i32 {
    ctx.error_bytes(USAGE.as_bytes());
    status.code()
}

fn message(ctx: &mut Context<'_>, text: impl std::fmt::Display) {
    ctx.error_line(format_args!("{PROG}: {text}"));
}

/// Parses the command line, acting on `-h`/`-V` and option errors as the reference does.
/// `Err` is the exit status after the message and usage were printed (or 0 for `-h`/`-V`).
pub fn parse(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<Options, i32> {
    let mut o = Options::default();
    let mut parser = Getopt::new(&OPTIONS, args)
        .expect("the option table is valid")
        .posixly_correct(o2cb_runtime::posixly_correct());
    for item in parser.by_ref() {
        let (c, arg) = match item {
            Parsed::Opt { id, arg } => (id, arg),
            Parsed::Error(e) => {
                let c = e.optopt().unwrap_or(b'?') as char;
                if e.is_missing_argument() {
                    message(ctx, format_args!("Option '-{c}' requires an argument"));
                } else {
                    message(ctx, format_args!("Invalid option: '-{c}'"));
                }
                return Err(usage_error(ctx, Status::Invalid));
            }
            Parsed::Operand(_) => continue,
        };
        let arg = arg.unwrap_or_default();
        match c {
            b'h' => {
                ctx.print(USAGE.as_bytes());
                return Err(0);
            }
            b'V' => {
                ctx.print(version().as_bytes());
                return Err(0);
            }
            b'-' => match arg.as_bytes() {
                b"help" => {
                    ctx.print(USAGE.as_bytes());
                    return Err(0);
                }
                b"version" => {
                    ctx.print(version().as_bytes());
                    return Err(0);
                }
                other => {
                    message(
                        ctx,
                        format_args!("Invalid option: '--{}'", other.to_str_lossy()),
                    );
                    return Err(usage_error(ctx, Status::Invalid));
                }
            },
            b'C' | b'D' | b'I' | b'H' => {
                if o.op.is_some() {
                    return Err(usage_error(ctx, Status::Invalid));
                }
                o.op = Some(match c {
                    b'C' => Operation::Create,
                    b'D' => Operation::Delete,
                    b'I' => Operation::Info,
                    _ => Operation::Change,
                });
            }
            b'n' => {
                if arg.is_empty() {
                    message(ctx, "Argument to '-n' cannot be \"\"");
                    return Err(usage_error(ctx, Status::Invalid));
                }
                o.objects.push(arg);
            }
            b't' => {
                o.object_type = Some(match arg.as_bytes() {
                    b"" => {
                        message(ctx, "Argument to '-t' cannot be \"\"");
                        return Err(usage_error(ctx, Status::Invalid));
                    }
                    b"cluster" => ObjectType::Cluster,
                    b"node" => ObjectType::Node,
                    other => {
                        message(
                            ctx,
                            format_args!("Object type \"{}\" is invalid", other.to_str_lossy()),
                        );
                        return Err(usage_error(ctx, Status::Invalid));
                    }
                });
            }
            b'a' => {
                if arg.is_empty() {
                    message(ctx, "Argument to '-a' cannot be \"\"");
                    return Err(usage_error(ctx, Status::Invalid));
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
                    return Err(usage_error(ctx, Status::Invalid));
                }
                o.attrs.push(Attribute {
                    key: key.to_str_lossy().into_owned(),
                    value,
                });
            }
            b'i' => o.install = true,
            b'u' => o.uninstall = true,
            b'o' => o.oneline = true,
            b'z' => o.stanza = true,
            _ => unreachable!("every option of the table is handled"),
        }
    }
    let extra = parser.into_operands();
    if !extra.is_empty() {
        let words: Vec<String> = extra
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        message(
            ctx,
            format_args!("Extraneous arguments: \"{}\"", words.join(" ")),
        );
        return Err(usage_error(ctx, Status::TooBig));
    }
    for (flag, op, c) in [
        (o.uninstall, Operation::Delete, 'u'),
        (o.install, Operation::Create, 'i'),
        (o.stanza, Operation::Info, 'z'),
        (o.oneline, Operation::Info, 'o'),
    ] {
        if flag && o.op != Some(op) {
            message(
                ctx,
                format_args!("Argument '-{c}' is not valid for this operation"),
            );
            return Err(usage_error(ctx, Status::Invalid));
        }
    }
    if o.stanza && o.oneline {
        message(ctx, "Cannot specify '-z' and '-o' at the same time");
        return Err(usage_error(ctx, Status::Invalid));
    }
    Ok(o)
}

/// The attributes each type takes (the reference's `validate_attrs`).
fn validate_attrs(ctx: &mut Context<'_>, o: &Options) -> Result<(), i32> {
    let allowed: &[&str] = match o.object_type {
        Some(ObjectType::Cluster) => &["name", "online"],
        Some(ObjectType::Node) => &["name", "cluster", "number", "ip_address", "ip_port"],
        None => &[],
    };
    for a in &o.attrs {
        if !allowed.contains(&a.key.as_str()) {
            message(ctx, format_args!("Invalid attribute: \"{}\"", a.key));
            return Err(Status::Invalid.code());
        }
    }
    Ok(())
}

/// Brings up the stack for operations that touch the kernel.
fn init_stack(ctx: &mut Context<'_>) -> Result<o2cb_sys::stack::StackInfo, i32> {
    o2cb_sys::stack::init_classic(&ctx.root, true).map_err(|e| {
        message(ctx, format_args!("{e}; cannot initialize cluster\n"));
        Status::Invalid.code()
    })
}

/// The stack's configfs, under the test root when there is one.
fn configfs_io(ctx: &Context<'_>, stack: &o2cb_sys::stack::StackInfo) -> configfs::RealConfigfs {
    configfs::RealConfigfs::for_root(stack.configfs.clone(), ctx.root.is_real_root())
}

/// A cluster name as a configfs directory name; an unusable one is reported.
fn cluster_dir_name(ctx: &mut Context<'_>, name: &[u8]) -> Result<configfs::ConfigfsName, i32> {
    configfs::ConfigfsName::new(configfs::NameKind::Cluster, name).map_err(|e| {
        message(ctx, e);
        Status::Invalid.code()
    })
}

/// Loads /etc/ocfs2/cluster.conf, printing the reference's failure line after our
/// diagnostics.
fn load(ctx: &mut Context<'_>, modify: bool) -> Result<o2cb_runtime::Session, i32> {
    let path = ctx.root.cluster_conf();
    let shown = ctx.root.display_path(&path).display().to_string();
    let opened = o2cb_runtime::Session::open(
        path.as_os_str(),
        modify,
        &mut o2cb_runtime::session::lock_wait_notice(ctx),
    );
    match opened {
        Ok(mut s) => {
            s.shown = shown;
            Ok(s)
        }
        Err(o2cb_runtime::LoadFailure::Invalid(doc)) => {
            let text = doc.render_diagnostics(&shown, |s| s == cluster_conf::Severity::Error);
            ctx.error_bytes(text.as_bytes());
            message(
                ctx,
                format_args!("Unable to load cluster configuration file \"{shown}\""),
            );
            Err(Status::Io.code())
        }
        Err(o2cb_runtime::LoadFailure::Io(e)) => {
            message(
                ctx,
                format_args!("Unable to load cluster configuration file \"{shown}\": {e}"),
            );
            Err(Status::Io.code())
        }
    }
}

/// Writes the file back if the operation changed it.
fn store(ctx: &mut Context<'_>, session: &mut o2cb_runtime::Session) -> i32 {
    let shown = session.shown.clone();
    match session.store(ctx) {
        Ok(()) => 0,
        Err(e) => {
            message(
                ctx,
                format_args!("Unable to store cluster configuration file \"{shown}\": {e}"),
            );
            Status::Errno(e.errno()).code()
        }
    }
}

/// Runs `o2cb_ctl` with `args` (`argv[1..]`); returns the exit status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    ctx.prog = PROG.to_string();
    let options = match parse(ctx, args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let result = match options.op {
        None => {
            message(ctx, "You must specify an operation");
            Err(usage_error(ctx, Status::Invalid))
        }
        Some(Operation::Info) => info::run(ctx, &options),
        Some(Operation::Create) => create::run(ctx, &options),
        Some(Operation::Change) => change::run(ctx, &options),
        Some(Operation::Delete) => delete::run(ctx, &options),
    };
    match result {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// A change cluster-conf refused (the file is left as it was), with the status for its kind:
/// a name that is taken is EEXIST, a name that is not there ENOENT, and anything else (a
/// value the file cannot carry, an edit that would leave a file the tools refuse) EINVAL,
/// o2cb_ctl's status for input it refuses.
pub(crate) fn refused_edit(ctx: &mut Context<'_>, e: cluster_conf::EditError) -> i32 {
    use cluster_conf::EditError as E;
    let status = match &e {
        E::ClusterExists(_) | E::NodeExists { .. } | E::RegionExists { .. } => Status::Exists,
        E::UnknownCluster(_) | E::UnknownNode { .. } => Status::NotFound,
        _ => Status::Invalid,
    };
    message(ctx, e);
    status.code()
}

/// `-n` names nothing in cluster.conf: the reference exits ENOENT without a word; we say why.
pub(crate) fn unknown_object(ctx: &mut Context<'_>, o: &Options) -> i32 {
    let first = o
        .objects
        .first()
        .map_or_else(String::new, |f| f.as_bytes().to_str_lossy().into_owned());
    message(
        ctx,
        format_args!("\"{first}\" is neither a cluster nor a node in cluster.conf"),
    );
    Status::NotFound.code()
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
