//! The allocator's invariants over generated clusters and filesystems.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::{filesystem, problem_kind, slot_map};
use proptest::prelude::*;
use proptest::sample::subsequence;
use slots::{place, Cluster, Filesystem, Member, Origin, Placement, Slot, SlotMap};

/// A cluster of 1 to 12 nodes `n0`, `n1`, ... with distinct numbers in no particular order.
fn cluster() -> impl Strategy<Value = Cluster> {
    (1usize..=12)
        .prop_flat_map(|n| subsequence((0u32..255).collect::<Vec<_>>(), n).prop_shuffle())
        .prop_map(|numbers| Cluster {
            name: b"web".to_vec(),
            nodes: numbers
                .into_iter()
                .enumerate()
                .map(|(i, number)| (format!("n{i}").into_bytes(), number))
                .collect(),
        })
}

fn node_names(cluster: &Cluster) -> Vec<Vec<u8>> {
    cluster.nodes.keys().cloned().collect()
}

/// A cluster and a filesystem whose slots can be allocated: members are distinct nodes of
/// the cluster, there are enough slots, and the pins are distinct and in range.
fn feasible() -> impl Strategy<Value = (Cluster, Filesystem)> {
    cluster()
        .prop_flat_map(|cluster| {
            let names = node_names(&cluster);
            let count = names.len();
            (Just(cluster), subsequence(names, 1..=count).prop_shuffle())
        })
        .prop_flat_map(|(cluster, members)| {
            let count = members.len();
            (
                Just(cluster),
                Just(members),
                (count as Slot)..=(count as Slot + 4),
            )
        })
        .prop_flat_map(|(cluster, members, slots)| {
            let count = members.len();
            let free_slots = (0..slots).collect::<Vec<_>>();
            (
                Just(cluster),
                Just(members),
                Just(slots),
                subsequence(free_slots, 0..=count).prop_shuffle(),
            )
        })
        .prop_map(|(cluster, members, slots, pins)| {
            let members = members
                .into_iter()
                .enumerate()
                .map(|(i, node)| Member {
                    node,
                    pinned: pins.get(i).copied(),
                })
                .collect();
            let fs = Filesystem {
                members,
                ..filesystem("web", slots, vec![])
            };
            (cluster, fs)
        })
}

/// Anything: strangers, members listed twice, pins anywhere, too few slots, a cluster
/// that may not exist.
fn arbitrary() -> impl Strategy<Value = (Option<Cluster>, Filesystem)> {
    (cluster(), any::<bool>())
        .prop_flat_map(|(cluster, known)| {
            let mut names = node_names(&cluster);
            names.push(b"stranger".to_vec());
            let member = (prop::sample::select(names), prop::option::of(0 as Slot..10))
                .prop_map(|(node, pinned)| Member { node, pinned });
            (
                Just(known.then_some(cluster)),
                prop::collection::vec(member, 0..10),
                0 as Slot..10,
            )
        })
        .prop_map(|(cluster, members, slots)| {
            let fs = Filesystem {
                members,
                ..filesystem("web", slots, vec![])
            };
            (cluster, fs)
        })
}

/// The same filesystem with every assignment written back as a pin.
fn pinned_as_allocated(fs: &Filesystem, map: &SlotMap) -> Filesystem {
    Filesystem {
        members: map
            .assignments()
            .iter()
            .map(|a| Member {
                node: a.node.clone(),
                pinned: Some(a.slot),
            })
            .collect(),
        ..fs.clone()
    }
}

/// What should be wrong with a filesystem, worked out independently of the allocator.
fn expected_problems(cluster: Option<&Cluster>, fs: &Filesystem) -> BTreeSet<&'static str> {
    let mut problems = BTreeSet::new();
    if cluster.is_none() {
        problems.insert("unknown cluster");
    }
    if fs.members.is_empty() {
        return problems;
    }
    let mut seen = HashSet::new();
    let mut distinct = Vec::new();
    for m in &fs.members {
        if seen.insert(&m.node) {
            distinct.push(m);
        } else {
            problems.insert("duplicate");
        }
    }
    if let Some(cluster) = cluster {
        if distinct
            .iter()
            .any(|m| !cluster.nodes.contains_key(&m.node))
        {
            problems.insert("not in cluster");
        }
    }
    let pins: Vec<Slot> = distinct.iter().filter_map(|m| m.pinned).collect();
    if pins.iter().any(|&slot| slot >= fs.slots) {
        problems.insert("out of range");
    }
    let in_range: Vec<Slot> = pins.into_iter().filter(|&slot| slot < fs.slots).collect();
    if in_range.iter().collect::<HashSet<_>>().len() != in_range.len() {
        problems.insert("shared");
    }
    if distinct.len() > usize::from(fs.slots) {
        problems.insert("too many");
    }
    problems
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_member_gets_its_own_slot_in_range((cluster, fs) in feasible()) {
        let map = slot_map(place(Some(&cluster), &fs));
        let assigned: Vec<&[u8]> = map.assignments().iter().map(|a| a.node.as_slice()).collect();
        let mut expected: Vec<&[u8]> = fs.members.iter().map(|m| m.node.as_slice()).collect();
        expected.sort_by_key(|node| cluster.nodes[*node]);
        prop_assert_eq!(assigned, expected, "one assignment per member, in node-number order");

        let mut used = HashSet::new();
        for a in map.assignments() {
            prop_assert!(a.slot < fs.slots);
            prop_assert!(used.insert(a.slot), "slot {} given twice", a.slot);
            prop_assert_eq!(a.number, cluster.nodes[&a.node]);
        }
    }

    #[test]
    fn pinned_members_keep_their_pins((cluster, fs) in feasible()) {
        let map = slot_map(place(Some(&cluster), &fs));
        for m in &fs.members {
            let a = map.assignments().iter().find(|a| a.node == m.node).unwrap();
            match m.pinned {
                Some(slot) => {
                    prop_assert_eq!(a.slot, slot);
                    prop_assert_eq!(a.origin, Origin::Pinned);
                }
                None => prop_assert_eq!(a.origin, Origin::Allocated),
            }
        }
        prop_assert_eq!(
            map.new_pins().count(),
            fs.members.iter().filter(|m| m.pinned.is_none()).count()
        );
    }

    #[test]
    fn unpinned_members_take_the_lowest_free_slots_in_node_number_order(
        (cluster, fs) in feasible()
    ) {
        let map = slot_map(place(Some(&cluster), &fs));
        let pins: HashSet<Slot> = fs.members.iter().filter_map(|m| m.pinned).collect();
        let lowest_free: Vec<Slot> = (0..fs.slots).filter(|s| !pins.contains(s)).collect();
        let allocated: Vec<Slot> = map.new_pins().map(|a| a.slot).collect();
        prop_assert_eq!(&allocated[..], &lowest_free[..allocated.len()]);
    }

    #[test]
    fn a_member_leaving_moves_no_other_slot(
        (cluster, fs) in feasible(),
        leaver in any::<prop::sample::Index>(),
    ) {
        let before = slot_map(place(Some(&cluster), &fs));
        let mut next = pinned_as_allocated(&fs, &before);
        let gone = next.members.remove(leaver.index(next.members.len())).node;
        if next.members.is_empty() {
            // The last member leaving lifts the restriction altogether.
            prop_assert_eq!(place(Some(&cluster), &next), Ok(Placement::AnyNode));
            return Ok(());
        }
        let after = slot_map(place(Some(&cluster), &next));
        for a in before.assignments().iter().filter(|a| a.node != gone) {
            prop_assert_eq!(after.slot_of(&a.node), Some(a.slot));
        }
        prop_assert_eq!(after.new_pins().count(), 0);
    }

    #[test]
    fn a_node_joining_moves_no_other_slot((cluster, fs) in feasible()) {
        let before = slot_map(place(Some(&cluster), &fs));
        let mut next = pinned_as_allocated(&fs, &before);
        let outsider = cluster
            .nodes
            .keys()
            .find(|node| before.slot_of(node).is_none())
            .cloned();
        // Room for one more: the joiner takes the lowest free slot, nobody else moves.
        next.slots = next.slots.max(next.members.len() as Slot + 1);
        if let Some(joiner) = outsider {
            next.members.push(Member { node: joiner.clone(), pinned: None });
            let after = slot_map(place(Some(&cluster), &next));
            for a in before.assignments() {
                prop_assert_eq!(after.slot_of(&a.node), Some(a.slot));
            }
            let lowest_free = (0..next.slots).find(|&s| before.assignments().iter().all(|a| a.slot != s));
            prop_assert_eq!(after.slot_of(&joiner), lowest_free);
        }
    }

    #[test]
    fn errors_exactly_when_the_invariants_cannot_be_met((cluster, fs) in arbitrary()) {
        let expected = expected_problems(cluster.as_ref(), &fs);
        match place(cluster.as_ref(), &fs) {
            Ok(placement) => {
                prop_assert!(expected.is_empty(), "allocated despite {:?}", expected);
                prop_assert_eq!(placement == Placement::AnyNode, fs.members.is_empty());
            }
            Err(errors) => {
                let found: BTreeSet<&str> = errors.iter().map(|e| problem_kind(&e.problem)).collect();
                prop_assert_eq!(found, expected);
                for error in &errors {
                    let prefix = format!("filesystem {} (", fs.uuid);
                    prop_assert!(error.to_string().starts_with(&prefix));
                }
            }
        }
    }
}
