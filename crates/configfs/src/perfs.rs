//! The per-filesystem configfs layout (docs/per-filesystem.md, "Kernel layouts"), for kernels
//! that give each OCFS2 filesystem a cluster of its own:
//!
//! ```text
//! <configfs>/cluster/ocfs2/<UUID>/                 one directory per filesystem
//!     <node>/ipv4_address ipv4_port slot local active
//!     <node>/heartbeat/block_bytes start_block blocks dev     (the local node's region)
//! ```
//!
//! No released kernel has it; its rules (write-once attributes, the order address and port,
//! then slot, then local; heartbeat geometry before `dev`; `active` last, written by the
//! cluster manager) are the ones the test model in `tests/perfs_model` enforces, and they
//! mirror o2nm's. Plans are built and applied exactly as for the classic layout.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::io::ConfigfsIo;
use crate::name::{ConfigfsName, NameKind};
use crate::plan::{Op, Plan, PlanError, RegionParams, Step, Subject, Undo};
use crate::value;

/// Paths of the per-fs layout.
pub mod perfs_paths {
    use super::*;

    pub fn root() -> PathBuf {
        PathBuf::from("cluster/ocfs2")
    }

    pub fn filesystem(uuid: &ConfigfsName) -> PathBuf {
        root().join(uuid.as_str())
    }

    pub fn node(uuid: &ConfigfsName, node: &ConfigfsName) -> PathBuf {
        filesystem(uuid).join(node.as_str())
    }

    pub fn node_attr(uuid: &ConfigfsName, member: &ConfigfsName, attr: &str) -> PathBuf {
        node(uuid, member).join(attr)
    }

    pub fn heartbeat_attr(uuid: &ConfigfsName, member: &ConfigfsName, attr: &str) -> PathBuf {
        node(uuid, member).join("heartbeat").join(attr)
    }
}

/// A member of a filesystem as the kernel should have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsMemberDesired {
    pub name: ConfigfsName,
    pub ip_address: Ipv4Addr,
    pub ip_port: u32,
    pub slot: u16,
    pub local: bool,
}

/// A filesystem as the kernel should have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsDesired {
    /// The volume UUID (32 upper-case hex digits).
    pub uuid: ConfigfsName,
    pub members: Vec<FsMemberDesired>,
    /// The local member's heartbeat region on the volume.
    pub heartbeat: Option<RegionParams>,
}

/// A member as configfs has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsMemberState {
    pub name: ConfigfsName,
    pub ip_address: String,
    pub ip_port: u32,
    pub slot: u32,
    pub local: bool,
    pub active: bool,
}

/// A filesystem as configfs has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsState {
    pub uuid: ConfigfsName,
    pub members: Vec<FsMemberState>,
}

impl FsState {
    pub fn local(&self) -> Option<&FsMemberState> {
        self.members.iter().find(|m| m.local)
    }
}

/// The filesystem's directory, checked: a volume UUID is exactly 32 hex digits.
pub fn filesystem_name(uuid: &str) -> Result<ConfigfsName, PlanError> {
    let name = ConfigfsName::new(NameKind::Region, uuid.as_bytes())?;
    Ok(name)
}

fn read_u32(io: &mut dyn ConfigfsIo, path: &std::path::Path) -> std::io::Result<u32> {
    let t = io.read(path)?;
    t.trim().parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: `{t}`", path.display()),
        )
    })
}

/// Reads a filesystem's registration; `Ok(None)` when it is not registered.
pub fn read_filesystem(
    io: &mut dyn ConfigfsIo,
    uuid: &ConfigfsName,
) -> std::io::Result<Option<FsState>> {
    let dir = perfs_paths::filesystem(uuid);
    if !io.exists(&dir) {
        return Ok(None);
    }
    let mut names = io.list_dirs(&dir)?;
    names.reverse();
    let mut members = Vec::with_capacity(names.len());
    for n in names {
        let name = ConfigfsName::from_kernel(n);
        members.push(FsMemberState {
            ip_address: io.read(&perfs_paths::node_attr(uuid, &name, "ipv4_address"))?,
            ip_port: read_u32(io, &perfs_paths::node_attr(uuid, &name, "ipv4_port"))?,
            slot: read_u32(io, &perfs_paths::node_attr(uuid, &name, "slot"))?,
            local: read_u32(io, &perfs_paths::node_attr(uuid, &name, "local"))? != 0,
            // `active` is the cluster manager's; a member it never touched is inactive.
            active: {
                let path = perfs_paths::node_attr(uuid, &name, "active");
                io.exists(&path) && read_u32(io, &path)? != 0
            },
            name,
        });
    }
    Ok(Some(FsState {
        uuid: uuid.clone(),
        members,
    }))
}

fn same(d: &FsMemberDesired, c: &FsMemberState) -> bool {
    c.ip_address == d.ip_address.to_string()
        && c.ip_port == d.ip_port
        && c.slot == u32::from(d.slot)
        && c.local == d.local
}

/// Registering a filesystem: its directory, then every member in the kernel's order
/// (address and port, slot, local), the local member's heartbeat geometry and device.
/// Registered members that differ from the configuration are removed first (an active one
/// must be deactivated before: the kernel refuses).
pub fn plan_fs_register(desired: &FsDesired, current: Option<&FsState>) -> Plan {
    let uuid = &desired.uuid;
    let subject = |n: &ConfigfsName| Subject::FsMember {
        filesystem: uuid.clone(),
        node: n.clone(),
    };
    let mut plan = Plan::default();
    let push = |plan: &mut Plan, op: Op, undo: Undo, s: Subject| {
        plan.steps.push(Step {
            op,
            undo,
            subject: s,
            may_fail: false,
        })
    };
    if current.is_none() {
        let dir = perfs_paths::filesystem(uuid);
        push(
            &mut plan,
            Op::Mkdir(dir.clone()),
            Undo::Rmdir(dir),
            Subject::Cluster(uuid.clone()),
        );
    }
    let mut kept = Vec::new();
    if let Some(current) = current {
        for m in &current.members {
            match desired.members.iter().find(|d| d.name == m.name) {
                Some(d) if same(d, m) => kept.push(m.name.clone()),
                _ => push(
                    &mut plan,
                    Op::Rmdir(perfs_paths::node(uuid, &m.name)),
                    Undo::RestoreFsMember {
                        member: m.clone(),
                        filesystem: uuid.clone(),
                    },
                    subject(&m.name),
                ),
            }
        }
    }
    for m in &desired.members {
        if kept.contains(&m.name) {
            continue;
        }
        let dir = perfs_paths::node(uuid, &m.name);
        push(
            &mut plan,
            Op::Mkdir(dir.clone()),
            Undo::Rmdir(dir),
            subject(&m.name),
        );
        let attrs = value::node_attrs(
            m.ip_port,
            &m.ip_address.to_string(),
            ("slot", u32::from(m.slot)),
            m.local,
        );
        for (attr, value) in attrs {
            push(
                &mut plan,
                Op::Write {
                    path: perfs_paths::node_attr(uuid, &m.name, attr),
                    value,
                },
                Undo::Nothing,
                subject(&m.name),
            );
        }
        if let (true, Some(hb)) = (m.local, &desired.heartbeat) {
            for (attr, value) in [
                ("block_bytes", value::number(hb.block_bytes)),
                ("start_block", value::number(hb.start_block)),
                ("blocks", value::number(hb.blocks)),
            ] {
                push(
                    &mut plan,
                    Op::Write {
                        path: perfs_paths::heartbeat_attr(uuid, &m.name, attr),
                        value,
                    },
                    Undo::Nothing,
                    subject(&m.name),
                );
            }
            push(
                &mut plan,
                Op::WriteDeviceFd {
                    path: perfs_paths::heartbeat_attr(uuid, &m.name, "dev"),
                    device: hb.device.clone(),
                },
                Undo::Nothing,
                subject(&m.name),
            );
        }
    }
    plan
}

/// Setting this node's `active` flag for a filesystem (what the cluster manager does).
pub fn plan_fs_active(uuid: &ConfigfsName, node: &ConfigfsName, active: bool) -> Plan {
    let mut plan = Plan::default();
    plan.steps.push(Step {
        op: Op::Write {
            path: perfs_paths::node_attr(uuid, node, "active"),
            value: value::flag(active),
        },
        undo: Undo::Write {
            path: perfs_paths::node_attr(uuid, node, "active"),
            value: value::flag(!active),
        },
        subject: Subject::FsMember {
            filesystem: uuid.clone(),
            node: node.clone(),
        },
        may_fail: false,
    });
    plan
}

/// Removing a filesystem's registration: its members, then its directory.
pub fn plan_fs_unregister(current: &FsState) -> Plan {
    let mut plan = Plan::default();
    for m in &current.members {
        plan.steps.push(Step {
            op: Op::Rmdir(perfs_paths::node(&current.uuid, &m.name)),
            undo: Undo::RestoreFsMember {
                member: m.clone(),
                filesystem: current.uuid.clone(),
            },
            subject: Subject::FsMember {
                filesystem: current.uuid.clone(),
                node: m.name.clone(),
            },
            may_fail: false,
        });
    }
    plan.steps.push(Step {
        op: Op::Rmdir(perfs_paths::filesystem(&current.uuid)),
        undo: Undo::Mkdir(perfs_paths::filesystem(&current.uuid)),
        subject: Subject::Filesystem(current.uuid.clone()),
        may_fail: false,
    });
    plan
}

/// Re-creates a removed member with its old attributes (its heartbeat device, if it had
/// one, cannot be given back: the device is opened by the run that registers it).
pub(crate) fn restore_member(
    io: &mut dyn ConfigfsIo,
    filesystem: &ConfigfsName,
    m: &FsMemberState,
) -> std::io::Result<()> {
    io.mkdir(&perfs_paths::node(filesystem, &m.name))?;
    let attrs = value::node_attrs(m.ip_port, &m.ip_address, ("slot", m.slot), m.local);
    for (attr, value) in attrs {
        io.write(&perfs_paths::node_attr(filesystem, &m.name, attr), &value)?;
    }
    Ok(())
}
