//! Running a plan against configfs, and taking it back when the kernel refuses a step.
//!
//! Every step that succeeded is remembered; when one fails, the remembered steps are undone
//! in reverse order, so configfs ends as it was before the run. The failure is explained in
//! words, naming the object and, for the kernel's uniqueness checks, the object it clashes
//! with (the kernel itself only says EEXIST or EBUSY).

use std::fmt;
use std::io;
use std::path::Path;

use nix::errno::Errno;

use crate::io::ConfigfsIo;
use crate::name::ConfigfsName;
use crate::plan::{Op, Plan, Step, Subject, Undo};
use crate::state::{paths, read_cluster, read_clusters};
use crate::value;

/// Why a step failed, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFailure {
    pub subject: Subject,
    /// The operation, as `Op`'s `Display` shows it.
    pub op: String,
    pub errno: Option<i32>,
    /// `"ip 10.0.0.2 is already used by node alpha"`.
    pub reason: String,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.reason)?;
        if let Some(e) = self.errno {
            write!(f, " (kernel: {})", errno_name(e))?;
        }
        Ok(())
    }
}

/// A failed run: what failed, and whether everything done before it could be undone.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ApplyError {
    pub failure: Box<StepFailure>,
    /// Undo steps that failed themselves (empty when configfs is back as it was).
    pub undo_failures: Vec<String>,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.failure)?;
        for u in &self.undo_failures {
            write!(f, "\n  and could not undo: {u}")?;
        }
        Ok(())
    }
}

/// `EEXIST` for 17, and so on.
pub fn errno_name(errno: i32) -> String {
    format!("{:?}", Errno::from_raw(errno))
}

fn run_op(io: &mut dyn ConfigfsIo, op: &Op) -> io::Result<()> {
    match op {
        Op::Mkdir(p) => io.mkdir(p),
        Op::Rmdir(p) => io.rmdir(p),
        Op::Write { path, value } => io.write(path, value),
        Op::WriteDeviceFd { path, device } => io.write_device_fd(path, device),
    }
}

/// Runs the plan. Returns the number of operations done; on failure, undoes them all and
/// explains the failure.
pub fn apply(io: &mut dyn ConfigfsIo, plan: &Plan) -> Result<usize, ApplyError> {
    let mut done: Vec<&Step> = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        match run_op(io, &step.op) {
            Ok(()) => done.push(step),
            Err(_) if step.may_fail => {}
            Err(e) => {
                let failure = Box::new(explain(io, step, &e));
                let undo_failures = undo(io, &done);
                return Err(ApplyError {
                    failure,
                    undo_failures,
                });
            }
        }
    }
    Ok(done.len())
}

/// Undoes steps in reverse order; returns what could not be undone. Nodes the run removed
/// are put back last, in the order they were removed (their creation order), once the nodes
/// the run created are gone and no longer hold their addresses and numbers.
fn undo(io: &mut dyn ConfigfsIo, done: &[&Step]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut restore = Vec::new();
    for step in done.iter().rev() {
        let result = match &step.undo {
            Undo::Nothing => Ok(()),
            Undo::Rmdir(p) => io.rmdir(p),
            Undo::Mkdir(p) => io.mkdir(p),
            Undo::Write { path, value } => io.write(path, value),
            Undo::RestoreNode { .. } | Undo::RestoreFsMember { .. } => {
                restore.push(*step);
                Ok(())
            }
        };
        if let Err(e) = result {
            problems.push(format!("{:?} of `{}`: {e}", step.undo, step.op));
        }
    }
    for step in restore.into_iter().rev() {
        if let Undo::RestoreFsMember { member, filesystem } = &step.undo {
            if let Err(e) = crate::perfs::restore_member(io, filesystem, member) {
                problems.push(format!(
                    "restoring member {} of filesystem {filesystem}: {e}",
                    member.name
                ));
            }
            continue;
        }
        let Undo::RestoreNode { cluster, node } = &step.undo else {
            continue;
        };
        let result = (|| -> io::Result<()> {
            io.mkdir(&paths::node(cluster, &node.name))?;
            let attrs = value::node_attrs(
                node.ipv4_port,
                &node.ipv4_address,
                ("num", node.num),
                node.local,
            );
            for (attr, value) in attrs {
                io.write(&paths::node_attr(cluster, &node.name, attr), &value)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            problems.push(format!("restoring node {}: {e}", node.name));
        }
    }
    problems
}

fn attr_of(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Puts a kernel refusal into words, looking at configfs for the object a uniqueness check
/// clashed with.
fn explain(io: &mut dyn ConfigfsIo, step: &Step, error: &io::Error) -> StepFailure {
    let errno = error.raw_os_error();
    let refusal = Refusal {
        errno: errno.map(Errno::from_raw),
        error,
    };
    let reason = match (&step.op, &step.subject) {
        (Op::Mkdir(_), subject) => refusal.of_mkdir(io, subject),
        (Op::Rmdir(_), subject) => refusal.of_rmdir(subject),
        (Op::Write { path, value }, Subject::Node { cluster, node }) => {
            refusal.of_node_write(io, cluster, node, attr_of(path), &lossy(value))
        }
        (Op::Write { path, value }, Subject::FsMember { filesystem, node }) => {
            refusal.of_member_write(io, filesystem, node, attr_of(path), &lossy(value))
        }
        (Op::Write { path, value }, _) => refusal.of_write(attr_of(path), &lossy(value)),
        (Op::WriteDeviceFd { device, .. }, _) => refusal.of_heartbeat_start(device),
    };
    StepFailure {
        subject: step.subject.clone(),
        op: step.op.to_string(),
        errno,
        reason,
    }
}

fn lossy(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

/// A kernel refusal of one step: the errno, and the error to show when it says nothing more
/// specific.
struct Refusal<'e> {
    errno: Option<Errno>,
    error: &'e io::Error,
}

impl Refusal<'_> {
    fn of_mkdir(&self, io: &mut dyn ConfigfsIo, subject: &Subject) -> String {
        let error = self.error;
        match (subject, self.errno) {
            (Subject::Cluster(c), Some(Errno::ENOSPC)) => {
                let others = read_clusters(io).ok().flatten().unwrap_or_default();
                match others.iter().find(|o| *o != c) {
                    Some(o) => format!("cluster {o} is already registered; the kernel runs one cluster at a time"),
                    None => "another cluster is already registered; the kernel runs one cluster at a time".to_string(),
                }
            }
            (Subject::Cluster(_), Some(Errno::ENOENT | Errno::ENOTDIR)) => {
                "the cluster directory is missing from configfs: is the ocfs2_nodemanager module loaded?".to_string()
            }
            (Subject::Cluster(_), Some(Errno::ENAMETOOLONG)) => "the name is too long for the kernel".to_string(),
            (Subject::Node { .. } | Subject::FsMember { .. }, Some(Errno::ENAMETOOLONG)) => {
                "the name is too long; the kernel accepts at most 64 bytes".to_string()
            }
            (Subject::Node { .. } | Subject::Filesystem(_), Some(Errno::EEXIST)) => "it is already registered".to_string(),
            (Subject::Region { .. }, Some(Errno::EEXIST)) => "it already exists".to_string(),
            (Subject::Region { .. }, Some(Errno::EFBIG)) => "the kernel runs at most 32 heartbeat regions in global mode".to_string(),
            (Subject::Region { .. }, Some(Errno::ENAMETOOLONG)) => "the name is too long; the kernel accepts at most 32 bytes".to_string(),
            (Subject::Filesystem(_), Some(Errno::ENOENT | Errno::ENOTDIR | Errno::EPERM)) => "this kernel has no per-filesystem layout (no cluster/ocfs2 in configfs); set O2CB_FS_LAYOUT=classic in the o2cb settings file".to_string(),
            _ => format!("cannot create it: {error}"),
        }
    }

    fn of_rmdir(&self, subject: &Subject) -> String {
        let error = self.error;
        match (subject, self.errno) {
            (Subject::Node { node, .. }, Some(Errno::EBUSY)) => format!(
                "cannot remove node {node}: it is this host's node and a heartbeat region is active (umount the volumes or stop heartbeat first)"
            ),
            (Subject::Region { .. }, Some(Errno::EBUSY | Errno::ENOTEMPTY)) => "it is in use (a volume is mounted with it)".to_string(),
            (Subject::Cluster(_), Some(Errno::ENOTEMPTY | Errno::EBUSY)) => "it still has nodes or heartbeat regions".to_string(),
            (Subject::Filesystem(_), Some(Errno::ENOTEMPTY | Errno::EBUSY)) => "it still has members".to_string(),
            (Subject::FsMember { node, .. }, Some(Errno::EBUSY)) => format!("cannot remove member {node}: it is active (deactivate it first)"),
            _ => format!("cannot remove it: {error}"),
        }
    }

    /// A node attribute refused; for a clash, names the node that already has the value.
    fn of_node_write(
        &self,
        io: &mut dyn ConfigfsIo,
        cluster: &ConfigfsName,
        node: &ConfigfsName,
        attr: &str,
        value: &str,
    ) -> String {
        let error = self.error;
        let other = |io: &mut dyn ConfigfsIo, attr: &str| -> Option<String> {
            let state = read_cluster(io, cluster).ok()?;
            state
                .nodes
                .iter()
                .find(|n| {
                    n.name != *node
                        && match attr {
                            "ipv4_address" => n.ipv4_address == value,
                            "num" => n.num.to_string() == value,
                            "local" => n.local,
                            _ => false,
                        }
                })
                .map(|n| n.name.to_string())
        };
        match (attr, self.errno) {
            ("ipv4_address", Some(Errno::EEXIST)) => match other(io, "ipv4_address") {
                Some(o) => format!("ip {value} is already used by node {o}"),
                None => format!("ip {value} is already used by another node"),
            },
            ("ipv4_address", Some(Errno::ERANGE | Errno::EINVAL)) => {
                format!("{value} is not an address the kernel accepts")
            }
            ("num", Some(Errno::EEXIST)) => match other(io, "num") {
                Some(o) => format!("number {value} is already used by node {o}"),
                None => format!("number {value} is already used by another node"),
            },
            ("num", Some(Errno::ERANGE)) => {
                format!("number {value} is out of range; the kernel accepts 0 to 254")
            }
            ("ipv4_port", Some(Errno::ERANGE | Errno::EINVAL)) => {
                format!("port {value} is out of range; the kernel accepts 1 to 65534")
            }
            ("local", Some(Errno::EBUSY)) => match other(io, "local") {
                Some(o) => format!("cannot be this host's node: node {o} already is"),
                None => "cannot be this host's node: another node already is".to_string(),
            },
            ("local", Some(Errno::EADDRNOTAVAIL)) => {
                let ip = io
                    .read(&paths::node_attr(cluster, node, "ipv4_address"))
                    .unwrap_or_default();
                format!("it is this host's node, but its address {ip} is not configured on any interface here, so the kernel cannot listen on it")
            }
            ("local", Some(Errno::EADDRINUSE)) => {
                let port = io
                    .read(&paths::node_attr(cluster, node, "ipv4_port"))
                    .unwrap_or_default();
                format!("it is this host's node, but its port {port} is already in use")
            }
            (attr, Some(Errno::EBUSY)) => format!("{attr} is already set and cannot change"),
            (attr, _) => format!("cannot set {attr} to {value}: {error}"),
        }
    }

    /// A filesystem member's attribute refused; for a clash, names the member that already
    /// has the value.
    fn of_member_write(
        &self,
        io: &mut dyn ConfigfsIo,
        filesystem: &ConfigfsName,
        node: &ConfigfsName,
        attr: &str,
        value: &str,
    ) -> String {
        let error = self.error;
        let clash = |io: &mut dyn ConfigfsIo, attr: &str| -> Option<String> {
            let state = crate::perfs::read_filesystem(io, filesystem).ok()??;
            state
                .members
                .iter()
                .find(|m| {
                    m.name != *node
                        && match attr {
                            "ipv4_address" => m.ip_address == value,
                            "slot" => m.slot.to_string() == value,
                            "local" => m.local,
                            _ => false,
                        }
                })
                .map(|m| m.name.to_string())
        };
        match (attr, self.errno) {
            ("ipv4_address", Some(Errno::EEXIST)) => match clash(io, "ipv4_address") {
                Some(o) => format!("ip {value} is already used by member {o} of this filesystem"),
                None => format!("ip {value} is already used by another member"),
            },
            ("slot", Some(Errno::EEXIST)) => match clash(io, "slot") {
                Some(o) => format!("slot {value} is already used by member {o}"),
                None => format!("slot {value} is already used by another member"),
            },
            ("slot", Some(Errno::ERANGE)) => format!("slot {value} is out of range"),
            ("local", Some(Errno::EBUSY)) => match clash(io, "local") {
                Some(o) => format!("cannot be this host's member: {o} already is"),
                None => "cannot be this host's member: another member already is".to_string(),
            },
            ("active", Some(Errno::EINVAL)) => {
                "cannot be activated: it is not this host's member, or its heartbeat is not running"
                    .to_string()
            }
            (attr, Some(Errno::EBUSY)) => format!("{attr} is already set and cannot change"),
            (attr, _) => format!("cannot set {attr} to {value}: {error}"),
        }
    }

    /// An attribute of a cluster or a heartbeat region refused.
    fn of_write(&self, attr: &str, value: &str) -> String {
        let error = self.error;
        match (attr, self.errno) {
            ("mode", _) => format!("cannot set heartbeat mode {value}: {error}"),
            ("idle_timeout_ms" | "keepalive_delay_ms", Some(Errno::EINVAL)) => format!(
                "cannot set {attr} to {value}: the idle timeout must stay above the keepalive delay, and neither can change while a peer is connected"
            ),
            ("block_bytes", Some(Errno::ERANGE | Errno::EINVAL)) => {
                format!("block size {value} is not a power of two from 512 to 4096")
            }
            ("blocks", Some(Errno::ERANGE)) => format!("block count {value} is not from 1 to 255"),
            (attr, _) => format!("cannot set {attr} to {value}: {error}"),
        }
    }

    fn of_heartbeat_start(&self, device: &Path) -> String {
        let error = self.error;
        match self.errno {
            Some(Errno::EINVAL) => format!(
                "the kernel refused device {} (not a block device, its sector size differs from the region's block size, or no local node is registered)",
                device.display()
            ),
            _ => format!("cannot start heartbeat on {}: {error}", device.display()),
        }
    }
}
