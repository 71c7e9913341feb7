//! `mounted.ocfs2` (docs/ocfs2-tools-reference.md §7): which OCFS2 volumes this machine
//! sees (`-d`, quick detect: one read per device) and which nodes have each mounted (`-f`,
//! full detect: the slot map, with node names from the running cluster).
//!
//! Command line, output and exit statuses are the reference's, oddities included: no
//! arguments at all print the usage and exit 1, unknown options are complained about and
//! ignored, only the first device argument counts, nothing found still prints the header
//! and exits 0. Differences (docs/compatibility.md): devices are found with libblkid, so
//! NVMe, md and every other device family are seen; a 64-byte label is printed without
//! running into the UUID; nothing is loaded or created on the machine.
#![forbid(unsafe_code)]

pub mod json;
pub mod table;

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use configfs::{paths, read_clusters, ConfigfsIo, ConfigfsName, RealConfigfs};
use getopt::{Function, HasArg, OptionSpec, OptionTable, Parsed};
use o2cb_runtime::{Context, ToolError};
use o2cb_sys::volume::{open_for_detect, FreshReader};
use o2cb_sys::SysRoot;
use ocfs2_disk::{quick_detect, OpenOptions, Volume, VolumeStack};

use table::{Chunk, Columns, FullRow, MountedNode, Nodes, QuickRow};

/// Node numbers the cluster can have; a slot holding another number shows `Unknown`.
pub(crate) const MAX_NODES: u32 = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `-d`: superblocks only.
    Quick,
    /// `-f`: and the nodes in the slot map.
    Full,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub mode: Mode,
    pub verbose: u32,
    /// `--json`: the rows as a JSON document (docs/json.md).
    pub json: bool,
    /// The first operand; `None`: every OCFS2 device of the machine.
    pub device: Option<OsString>,
}

/// The reference's options (getopt "dfv") and our `--json`; a long option makes this
/// getopt_long, whose only visible difference is the wording for unknown `--words`.
pub const OPTIONS: OptionTable<'static, u8> = OptionTable {
    optstring: "dfv",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::short(b'd', b'd', HasArg::No).with_help("Quick detect (the default)."),
        OptionSpec::short(b'f', b'f', HasArg::No).with_help("Full detect: the nodes."),
        OptionSpec::short(b'v', b'v', HasArg::No).with_help("Verbose."),
        OptionSpec::long(b'J', "json", HasArg::No)
            .with_help("Print the volumes as JSON (docs/json.md)."),
    ],
};

/// The usage text, naming the program as it was invoked.
pub fn usage(argv0: &[u8]) -> Vec<u8> {
    let mut u = b"usage: ".to_vec();
    u.extend_from_slice(argv0);
    u.extend_from_slice(b" [-dfv] [device]\n\t-d quick detect\n\t-f full detect\n\t-v verbose\n");
    u
}

/// How `mounted.ocfs2` fails. As in the reference, only a command line without any
/// argument does; a device that cannot be read is left out of the table, and an unknown
/// option is complained about and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountedError {
    /// No arguments at all: the usage, and status 1.
    NoArguments,
}

impl fmt::Display for MountedError {
    /// Nothing: the usage says it all.
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl ToolError for MountedError {
    fn code(&self) -> i32 {
        1
    }

    fn usage(&self) -> bool {
        true
    }
}

/// Shows a failure as [`o2cb_runtime::report`] does, except that the usage goes to stdout,
/// where the reference prints it; returns the exit status.
pub fn report(ctx: &mut Context<'_>, e: &MountedError) -> i32 {
    if e.usage() {
        let text = usage(ctx.argv0.as_bytes());
        ctx.print(&text);
    }
    // The usage is out already: nothing more on stderr.
    o2cb_runtime::report(ctx, e, "")
}

/// Parses the command line.
pub fn parse(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<Request, MountedError> {
    if args.is_empty() {
        return Err(MountedError::NoArguments);
    }
    let mut request = Request {
        mode: Mode::Quick,
        verbose: 0,
        json: false,
        device: None,
    };
    let argv0 = ctx.argv0.clone();
    let mut parser = o2cb_runtime::option_parser(&OPTIONS, args);
    for item in parser.by_ref() {
        match item {
            Parsed::Opt { id: b'd', .. } => request.mode = Mode::Quick,
            Parsed::Opt { id: b'f', .. } => request.mode = Mode::Full,
            Parsed::Opt { id: b'v', .. } => request.verbose += 1,
            Parsed::Opt { id: b'J', .. } => request.json = true,
            Parsed::Opt { .. } => unreachable!("every option of the table is handled"),
            // Complained about and otherwise ignored, as in the reference.
            Parsed::Error(e) => ctx.getopt_error(&argv0, &e),
            Parsed::Operand(_) => {}
        }
    }
    request.device = parser.into_operands().into_iter().next();
    Ok(request)
}

/// Runs `mounted.ocfs2` with `args` (`argv[1..]`); returns the exit status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    match mounted(ctx, args) {
        Ok(()) => 0,
        Err(e) => report(ctx, &e),
    }
}

fn mounted(ctx: &mut Context<'_>, args: Vec<OsString>) -> Result<(), MountedError> {
    let request = parse(ctx, args)?;
    let devices = devices(&ctx.root, &request);
    match request.mode {
        Mode::Quick => {
            let rows = quick_rows(ctx, &devices, request.verbose > 0);
            ctx.print(&if request.json {
                json::quick(&rows)
            } else {
                table::quick(&rows)
            });
        }
        Mode::Full if request.json => {
            let rows = full_rows(&ctx.root, &devices);
            ctx.print(&json::full(&rows));
        }
        Mode::Full => print_full_table(ctx, &full_rows(&ctx.root, &devices)),
    }
    Ok(())
}

/// The device named on the command line, or every OCFS2 device of the machine.
fn devices(root: &SysRoot, request: &Request) -> Vec<Device> {
    match &request.device {
        Some(d) => vec![Device {
            path: PathBuf::from(d),
            shown: PathBuf::from(d),
        }],
        None => o2cb_sys::volume::ocfs2_devices(root)
            .into_iter()
            .map(|c| Device {
                // Under a test root, /dev/x rather than /tmp/root/dev/x.
                shown: root.display_path(&c.path),
                path: c.path,
            })
            .collect(),
    }
}

/// The `-f` table, with a slot map that cannot be read told on stderr in mid-row, as the
/// reference tells it.
fn print_full_table(ctx: &mut Context<'_>, rows: &[FullRow]) {
    for chunk in table::full(rows) {
        match chunk {
            Chunk::Out(b) => ctx.print(&b),
            Chunk::Err(b) => {
                // The row's start must reach the terminal before the error.
                let _ = ctx.out.flush();
                ctx.error_bytes(&b);
            }
        }
    }
}

/// A device to examine, and how the table names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub path: PathBuf,
    pub shown: PathBuf,
}

fn columns(device: &Path, stack: VolumeStack) -> Columns {
    Columns {
        device: device.as_os_str().as_bytes().to_vec(),
        stack: stack.label().as_bytes().to_vec(),
        cluster: match stack {
            VolumeStack::Declared(info) => info.cluster().to_vec(),
            _ => Vec::new(),
        },
        global_heartbeat: stack.global_heartbeat(),
    }
}

/// Quick detect on each device: one read of the first 8.5 KiB after dropping them from the
/// page cache. Devices that cannot be read or carry no signature are left out.
pub fn quick_rows(ctx: &mut Context<'_>, devices: &[Device], verbose: bool) -> Vec<QuickRow> {
    let mut rows = Vec::new();
    for Device { path, shown } in devices {
        if verbose {
            ctx.error_line(format_args!("Probing device {}", shown.display()));
        }
        let Ok(file) = open_for_detect(path) else {
            continue;
        };
        let Ok(Some(found)) = quick_detect(&file) else {
            continue;
        };
        rows.push(QuickRow {
            columns: columns(shown, found.stack()),
            uuid: ocfs2_disk::uuid_hex(&found.uuid()),
            label: found.label().as_bytes().to_vec(),
        });
    }
    rows
}

/// Full detect on each device: a validated open, then the slot map. Devices that fail the
/// open are left out.
pub fn full_rows(root: &SysRoot, devices: &[Device]) -> Vec<FullRow> {
    let mut names: Option<HashMap<u32, Vec<u8>>> = None;
    let mut rows = Vec::new();
    for Device { path, shown } in devices {
        let Ok(reader) = FreshReader::open(path) else {
            continue;
        };
        let Ok(volume) = Volume::open(reader, OpenOptions::new().allow_heartbeat_device(true))
        else {
            continue;
        };
        let sb = volume.superblock();
        let nodes = if sb.is_heartbeat_device() {
            Nodes::HeartbeatDevice
        } else {
            mounted_nodes(&volume, || names.get_or_insert_with(|| node_names(root)))
        };
        rows.push(FullRow {
            columns: columns(shown, sb.stack()),
            uuid: ocfs2_disk::uuid_hex(&sb.uuid()),
            label: sb.label().as_bytes().to_vec(),
            nodes,
        });
    }
    rows
}

/// The nodes the volume's slot map says have it mounted, named from `names` (read only
/// when some slot is in use).
fn mounted_nodes<'n>(
    volume: &Volume<FreshReader>,
    names: impl FnOnce() -> &'n HashMap<u32, Vec<u8>>,
) -> Nodes {
    let map = match volume.slot_map() {
        Err(e) => return Nodes::Unknown(e.to_string()),
        Ok(map) => map,
    };
    let used: Vec<(u16, u32)> = map.occupied().collect();
    if used.is_empty() {
        return Nodes::NotMounted;
    }
    let names = names();
    Nodes::Mounted(
        used.iter()
            .map(|&(slot, number)| MountedNode {
                slot,
                number,
                name: (number < MAX_NODES)
                    .then(|| names.get(&number))
                    .flatten()
                    .filter(|n| !n.is_empty())
                    .cloned(),
            })
            .collect(),
    )
}

/// Node number → name in the running cluster (the first registered one), read from
/// configfs without loading anything; empty without a running cluster. A node that cannot
/// be read is skipped (the reference stops at it).
pub fn node_names(root: &SysRoot) -> HashMap<u32, Vec<u8>> {
    let Some(mount) = o2cb_sys::stack::configfs_mount(root) else {
        return HashMap::new();
    };
    let mut io = RealConfigfs::new(mount);
    let Some(cluster) = read_clusters(&mut io)
        .ok()
        .flatten()
        .and_then(|c| c.into_iter().next())
    else {
        return HashMap::new();
    };
    let nodes = io.list_dirs(&paths::nodes(&cluster)).unwrap_or_default();
    nodes
        .into_iter()
        .filter_map(|name| {
            let node = ConfigfsName::new(configfs::NameKind::Node, name.as_bytes()).ok()?;
            let num = io.read(&paths::node_attr(&cluster, &node, "num")).ok()?;
            Some((num.trim().parse().ok()?, name.into_bytes()))
        })
        .collect()
}
