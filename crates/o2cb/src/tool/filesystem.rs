//! The per-filesystem commands (docs/per-filesystem.md): each OCFS2 filesystem described in
//! cluster.conf as a cluster of its own, with its members, their slots and network overrides.
//!
//! ```text
//! o2cb add-filesystem [--label L] [--slots N] <clustername> <uuid|device>
//! o2cb remove-filesystem <uuid|device>
//! o2cb add-filesystem-node [--slot N] [--ip A] [--port P] <uuid|device> <nodename>
//! o2cb remove-filesystem-node <uuid|device> <nodename>
//! o2cb list-filesystems [--oneline|--json] [<clustername>]
//! ```
//!
//! A device (or image file) argument is read for its UUID, label and slot count. Slots are
//! allocated when a member is added and written back, so a member's slot never moves.

use std::ffi::OsString;
use std::fmt::Write as _;

use bstr::{BString, ByteSlice};
use cluster_conf::values::{parse_c_long_base0, parse_inet_pton};
use cluster_conf::{
    Config, Filesystem, FsUuid, NewFilesystem, NewMember, MAX_LABEL_LEN, MAX_SLOTS,
};
use fs_policy::{allocate_one, Placement};
use getopt::{Function, HasArg, OptionSpec, OptionTable};

use super::config::{bytes, edit, known_cluster};
use super::{parse_subcommand, CmdResult, Failure, Session};
use crate::context::Context;

/// A filesystem named on the command line: by UUID, or by a device or image to read.
#[derive(Debug)]
pub struct Named {
    pub uuid: FsUuid,
    /// The volume, when a device was given.
    pub volume: Option<o2cb_sys::volume::OpenedVolume>,
}

impl Named {
    /// What the volume says, when a device was given.
    pub fn facts(&self) -> Option<fs_policy::VolumeFacts> {
        self.volume
            .as_ref()
            .map(|v| fs_policy::VolumeFacts::of(v.superblock()))
    }
}

/// Reads a `<uuid|device>` argument.
pub fn filesystem_argument(arg: &OsString) -> Result<Named, Failure> {
    if let Some(uuid) = FsUuid::parse(bytes(arg)) {
        return Ok(Named { uuid, volume: None });
    }
    let path = std::path::Path::new(arg);
    if !path.exists() {
        return Err(Failure::refused(format!(
            "'{}' is neither a filesystem UUID (32 hexadecimal digits) nor a device",
            arg.to_string_lossy()
        )));
    }
    let volume = o2cb_sys::volume::OpenedVolume::open(path).map_err(|e| {
        Failure::refused(format!(
            "{e} while reading the superblock of '{}'",
            path.display()
        ))
    })?;
    let uuid =
        FsUuid::parse(volume.uuid_hex().as_bytes()).expect("the superblock gives 32 hex digits");
    Ok(Named {
        uuid,
        volume: Some(volume),
    })
}

fn known_filesystem(config: &Config, uuid: FsUuid) -> Result<&Filesystem, Failure> {
    config
        .filesystem(uuid)
        .ok_or_else(|| Failure::refused(format!("Unknown filesystem {uuid}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddFsOpt {
    Label,
    Slots,
}

pub const ADD_FILESYSTEM_OPTIONS: OptionTable<'static, AddFsOpt> = OptionTable {
    optstring: "",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(AddFsOpt::Label, "label", HasArg::Required)
            .with_value_name("label")
            .with_help("The volume's label (checked against the superblock at mount)."),
        OptionSpec::long(AddFsOpt::Slots, "slots", HasArg::Required)
            .with_value_name("n")
            .with_help(
                "The number of node slots (default: the superblock's, when a device is given).",
            ),
    ],
};

pub fn add_filesystem(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let Some((opts, operands)) =
        parse_subcommand(ctx, "add-filesystem", &ADD_FILESYSTEM_OPTIONS, args)
    else {
        return Err(Failure::Usage);
    };
    if operands.len() < 2 {
        return Err(Failure::Usage);
    }
    let mut label: Option<BString> = None;
    let mut slots: Option<u16> = None;
    for (opt, arg) in opts {
        let arg = arg.unwrap_or_default();
        match opt {
            AddFsOpt::Label => {
                if bytes(&arg).len() > MAX_LABEL_LEN {
                    return Err(Failure::refused(format!(
                        "Label is longer than {MAX_LABEL_LEN} bytes"
                    )));
                }
                label = Some(BString::from(bytes(&arg)));
            }
            AddFsOpt::Slots => match parse_c_long_base0(&arg.to_string_lossy()) {
                Some(n) if (1..=i64::from(MAX_SLOTS)).contains(&n) => slots = Some(n as u16),
                _ => {
                    return Err(Failure::Misused(format!(
                        "Invalid slot count '{}' (1 to {MAX_SLOTS})",
                        arg.to_string_lossy()
                    )));
                }
            },
        }
    }
    let cluster = bytes(&operands[0]).to_vec();
    known_cluster(session.doc.config(), &cluster)?;
    let named = filesystem_argument(&operands[1])?;
    if let Some(v) = named.facts() {
        if label.is_none() {
            label = v.label.clone().filter(|l| !l.is_empty());
        }
        slots = slots.or(v.max_slots);
        if let Some(on_disk) = v.cluster.as_deref().filter(|c| !c.is_empty()) {
            if on_disk != cluster.as_slice() {
                return Err(Failure::refused(format!(
                    "the volume belongs to cluster '{}' (on disk), not '{}'",
                    on_disk.to_str_lossy(),
                    cluster.to_str_lossy()
                )));
            }
        }
    }
    if session.doc.config().filesystem(named.uuid).is_some() {
        return Err(Failure::refused(format!(
            "Filesystem {} already exists",
            named.uuid
        )));
    }
    let fs = NewFilesystem {
        uuid: named.uuid,
        cluster: BString::from(cluster.clone()),
        label,
        slots,
    };
    edit(session, |doc| doc.add_filesystem(&fs))?;
    ctx.verbose(format!(
        "Added filesystem {} to cluster '{}'",
        named.uuid,
        cluster.to_str_lossy()
    ));
    Ok(())
}

pub fn remove_filesystem(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let Some(arg) = args.first() else {
        return Err(Failure::Usage);
    };
    let named = filesystem_argument(arg)?;
    known_filesystem(session.doc.config(), named.uuid)?;
    edit(session, |doc| doc.remove_filesystem(named.uuid))?;
    ctx.verbose(format!("Removed filesystem {}", named.uuid));
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddMemberOpt {
    Slot,
    Ip,
    Port,
}

pub const ADD_FILESYSTEM_NODE_OPTIONS: OptionTable<'static, AddMemberOpt> = OptionTable {
    optstring: "",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(AddMemberOpt::Slot, "slot", HasArg::Required)
            .with_value_name("n")
            .with_help("Pin the node to this slot (default: the lowest free one, then kept)."),
        OptionSpec::long(AddMemberOpt::Ip, "ip", HasArg::Required)
            .with_value_name("ip")
            .with_help("The node's address for this filesystem (per-fs layout only)."),
        OptionSpec::long(AddMemberOpt::Port, "port", HasArg::Required)
            .with_value_name("port")
            .with_help("The node's port for this filesystem (per-fs layout only)."),
    ],
};

pub fn add_filesystem_node(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let Some((opts, operands)) = parse_subcommand(
        ctx,
        "add-filesystem-node",
        &ADD_FILESYSTEM_NODE_OPTIONS,
        args,
    ) else {
        return Err(Failure::Usage);
    };
    if operands.len() < 2 {
        return Err(Failure::Usage);
    }
    let mut member = NewMember {
        node: BString::from(bytes(&operands[1])),
        slot: None,
        ip_address: None,
        ip_port: None,
    };
    for (opt, arg) in opts {
        let arg = arg.unwrap_or_default();
        let text = arg.to_string_lossy().into_owned();
        match opt {
            AddMemberOpt::Slot => match parse_c_long_base0(&text) {
                Some(n) if (0..i64::from(MAX_SLOTS)).contains(&n) => member.slot = Some(n as u16),
                _ => {
                    return Err(Failure::Misused(
                        format!("Invalid slot '{text}' (0 to {})", MAX_SLOTS - 1).to_string(),
                    ));
                }
            },
            AddMemberOpt::Ip => match parse_inet_pton(bytes(&arg)) {
                Some(ip) => member.ip_address = Some(ip),
                None => {
                    return Err(Failure::refused(format!("Bad IP Address '{text}'")));
                }
            },
            AddMemberOpt::Port => match parse_c_long_base0(&text) {
                Some(p) if (1..=65534).contains(&p) => member.ip_port = Some(p as u16),
                _ => {
                    return Err(Failure::Misused(
                        format!("Invalid port number '{text}' (1 to 65534)").to_string(),
                    ));
                }
            },
        }
    }
    let named = filesystem_argument(&operands[0])?;
    let config = session.doc.config();
    let fs = known_filesystem(config, named.uuid)?;
    let cluster = known_cluster(config, &fs.cluster)?;
    if cluster.node(&member.node).is_none() {
        return Err(Failure::refused(format!(
            "Node '{}' is not a node of cluster '{}' (add it with add-node first)",
            member.node, cluster.name
        )));
    }
    if fs.member(&member.node).is_some() {
        return Err(Failure::refused(format!(
            "Node '{}' is already a member of filesystem {}",
            member.node, fs.uuid
        )));
    }
    edit(session, |doc| {
        doc.add_filesystem_member(named.uuid, &member)
    })?;
    write_back_slots(
        ctx,
        session,
        named.uuid,
        named.facts().and_then(|v| v.max_slots),
    )?;
    ctx.verbose(format!(
        "Added node '{}' to filesystem {}",
        member.node, named.uuid
    ));
    Ok(())
}

/// Allocates the filesystem's slots and pins the new assignments in the file. Refuses (and
/// nothing is written) when the members do not fit.
fn write_back_slots(
    ctx: &mut Context<'_>,
    session: &mut Session,
    uuid: FsUuid,
    slot_count: Option<u16>,
) -> CmdResult {
    let config = session.doc.config();
    let fs = config.filesystem(uuid).expect("the member was just added");
    let allocation = allocate_one(config, fs, slot_count);
    let pins: Vec<(BString, u16)> = match allocation.result {
        None | Some(Ok(Placement::AnyNode)) => return Ok(()),
        Some(Ok(Placement::Members(map))) => map
            .new_pins()
            .map(|a| (BString::from(a.node.clone()), a.slot))
            .collect(),
        Some(Err(errors)) => {
            // Each problem on a line of its own; the last is the failure.
            let mut errors = errors
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>();
            let last = errors.pop().unwrap_or_default();
            for e in errors {
                ctx.error(e);
            }
            return Err(Failure::refused(last));
        }
    };
    edit(session, |doc| doc.set_member_slots(uuid, &pins))
}

pub fn remove_filesystem_node(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    if args.len() < 2 {
        return Err(Failure::Usage);
    }
    let named = filesystem_argument(&args[0])?;
    let node = bytes(&args[1]);
    let fs = known_filesystem(session.doc.config(), named.uuid)?;
    if fs.member(node).is_none() {
        return Err(Failure::refused(format!(
            "Node '{}' is not a member of filesystem {}",
            node.to_str_lossy(),
            fs.uuid
        )));
    }
    edit(session, |doc| {
        doc.remove_filesystem_member(named.uuid, node)
    })?;
    ctx.verbose(format!(
        "Removed node '{}' from filesystem {}",
        node.to_str_lossy(),
        named.uuid
    ));
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFsOpt {
    Oneline,
    Json,
}

pub const LIST_FILESYSTEMS_OPTIONS: OptionTable<'static, ListFsOpt> = OptionTable {
    optstring: "",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(ListFsOpt::Oneline, "oneline", HasArg::No)
            .with_help("One line per filesystem and member."),
        OptionSpec::long(ListFsOpt::Json, "json", HasArg::No)
            .with_help("JSON (the schema is in docs/json.md)."),
    ],
};

fn opt_text(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_string())
}

pub fn list_filesystems(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let Some((opts, operands)) =
        parse_subcommand(ctx, "list-filesystems", &LIST_FILESYSTEMS_OPTIONS, args)
    else {
        return Err(Failure::Usage);
    };
    let oneline = opts.iter().any(|(o, _)| *o == ListFsOpt::Oneline);
    let json = opts.iter().any(|(o, _)| *o == ListFsOpt::Json);
    let config = session.doc.config();
    let cluster = operands.first().map(bytes);
    if let Some(c) = cluster {
        known_cluster(config, c)?;
    }
    let filesystems: Vec<&Filesystem> = config
        .filesystems
        .iter()
        .filter(|f| cluster.is_none_or(|c| f.cluster == c))
        .collect();
    let mut out = String::new();
    if json {
        out = crate::json::filesystems(config, &filesystems);
    } else {
        for fs in &filesystems {
            let label = fs.label.as_ref().map(|l| l.to_str_lossy().into_owned());
            let slots = fs.slots.map(|s| s.to_string());
            if oneline {
                let _ = writeln!(
                    out,
                    "filesystem: {} {} {} {}",
                    fs.uuid,
                    fs.cluster,
                    opt_text(slots),
                    opt_text(label)
                );
                for m in &fs.members {
                    let net = match (m.ip_address, m.ip_port) {
                        (None, None) => "-".to_string(),
                        (ip, port) => format!(
                            "{}:{}",
                            opt_text(ip.map(|i| i.to_string())),
                            opt_text(port.map(|p| p.to_string()))
                        ),
                    };
                    let _ = writeln!(
                        out,
                        "filesystem_node: {} {} {} {net}",
                        fs.uuid,
                        m.node,
                        opt_text(m.slot.map(|s| s.to_string()))
                    );
                }
            } else {
                let _ = write!(
                    out,
                    "filesystem:\n\tuuid = {}\n\tcluster = {}\n",
                    fs.uuid, fs.cluster
                );
                if let Some(l) = label {
                    let _ = writeln!(out, "\tlabel = {l}");
                }
                if let Some(s) = slots {
                    let _ = writeln!(out, "\tslots = {s}");
                }
                out.push('\n');
                for m in &fs.members {
                    let _ = write!(
                        out,
                        "filesystem_node:\n\tfilesystem = {}\n\tnode = {}\n",
                        fs.uuid, m.node
                    );
                    if let Some(s) = m.slot {
                        let _ = writeln!(out, "\tslot = {s}");
                    }
                    if let Some(ip) = m.ip_address {
                        let _ = writeln!(out, "\tip_address = {ip}");
                    }
                    if let Some(p) = m.ip_port {
                        let _ = writeln!(out, "\tip_port = {p}");
                    }
                    out.push('\n');
                }
            }
        }
    }
    ctx.print(out.as_bytes());
    Ok(())
}
