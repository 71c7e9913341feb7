//! What can make a filesystem's slots impossible to allocate, in words an administrator
//! can act on: every message names the filesystem and the nodes.

use std::fmt;

use thiserror::Error;

use crate::Slot;

/// How messages name a filesystem: its UUID, and its label when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesystemName {
    pub uuid: String,
    pub label: Option<Vec<u8>>,
}

impl fmt::Display for FilesystemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filesystem {}", self.uuid)?;
        if let Some(label) = &self.label {
            write!(f, " ({})", Quoted(label))?;
        }
        Ok(())
    }
}

/// One problem of one filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{filesystem}: {problem}")]
pub struct SlotError {
    pub filesystem: FilesystemName,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("cluster {} is not defined", Quoted(cluster))]
    UnknownCluster { cluster: Vec<u8> },
    #[error("node {} is listed as a member {times} times", Quoted(node))]
    DuplicateMember { node: Vec<u8>, times: usize },
    #[error("member {} is not a node of cluster {}", Quoted(node), Quoted(cluster))]
    NotInCluster { node: Vec<u8>, cluster: Vec<u8> },
    #[error("node {} is pinned to slot {slot}, but {}", Quoted(node), SlotRange(*slots))]
    SlotOutOfRange {
        node: Vec<u8>,
        slot: Slot,
        slots: Slot,
    },
    /// `nodes` in file order.
    #[error("nodes {} are pinned to the same slot {slot}", NameList(nodes))]
    SharedSlot { slot: Slot, nodes: Vec<Vec<u8>> },
    /// `nodes` are all the members, in file order.
    #[error(
        "{} ({}) but {}",
        Count(nodes.len(), "member node"),
        NameList(nodes),
        SlotCount(*slots)
    )]
    TooManyMembers { slots: Slot, nodes: Vec<Vec<u8>> },
}

/// A name from cluster.conf in single quotes, as the o2cb tools quote names.
struct Quoted<'a>(&'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", String::from_utf8_lossy(self.0))
    }
}

/// `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`.
struct NameList<'a>(&'a [Vec<u8>]);

impl fmt::Display for NameList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        for (at, name) in self.0.iter().enumerate() {
            let separator = match at {
                0 => "",
                _ if at + 1 == count => " and ",
                _ => ", ",
            };
            write!(f, "{separator}{}", Quoted(name))?;
        }
        Ok(())
    }
}

struct SlotRange(Slot);

impl fmt::Display for SlotRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("the filesystem has no slots"),
            1 => f.write_str("the filesystem has only slot 0"),
            slots => write!(f, "the filesystem's slots are 0 to {}", slots - 1),
        }
    }
}

/// `1 member node`, `3 member nodes`.
struct Count(usize, &'static str);

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.0 == 1 { "" } else { "s" };
        write!(f, "{} {}{plural}", self.0, self.1)
    }
}

struct SlotCount(Slot);

impl fmt::Display for SlotCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("no slots"),
            slots => write!(f, "only {}", Count(usize::from(slots), "slot")),
        }
    }
}
