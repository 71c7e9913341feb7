//! Builders shared by the test binaries.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use slots::{Cluster, Filesystem, Member, Placement, Problem, Slot, SlotError, SlotMap};

pub const UUID: &str = "7A5B5E0D1A2B4C3D9E8F0011223344AA";

pub fn cluster(name: &str, nodes: &[(&str, u32)]) -> Cluster {
    Cluster {
        name: name.into(),
        nodes: nodes
            .iter()
            .map(|&(node, number)| (node.into(), number))
            .collect(),
    }
}

pub fn member(node: &str, pinned: Option<Slot>) -> Member {
    Member {
        node: node.into(),
        pinned,
    }
}

pub fn filesystem(cluster: &str, slots: Slot, members: Vec<Member>) -> Filesystem {
    Filesystem {
        uuid: UUID.into(),
        label: Some(b"shared-data".to_vec()),
        cluster: cluster.into(),
        slots,
        members,
    }
}

pub fn slot_map(placement: Result<Placement, Vec<SlotError>>) -> SlotMap {
    match placement {
        Ok(Placement::Members(map)) => map,
        other => panic!("expected slots, got {other:?}"),
    }
}

/// A short name for each kind of problem, to compare sets of problems.
pub fn problem_kind(problem: &Problem) -> &'static str {
    match problem {
        Problem::UnknownCluster { .. } => "unknown cluster",
        Problem::DuplicateMember { .. } => "duplicate",
        Problem::NotInCluster { .. } => "not in cluster",
        Problem::SlotOutOfRange { .. } => "out of range",
        Problem::SharedSlot { .. } => "shared",
        Problem::TooManyMembers { .. } => "too many",
    }
}
