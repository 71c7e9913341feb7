//! The allocator's rules on small, readable cases, and every error message as a snapshot.

mod common;

use common::{cluster, filesystem, member, problem_kind, slot_map, UUID};
use slots::{allocate, place, Cluster, Origin, Placement, SlotError, SlotMap};

fn web() -> Cluster {
    cluster(
        "web",
        &[
            ("alpha", 1),
            ("beta", 2),
            ("gamma", 3),
            ("delta", 0),
            ("omega", 9),
        ],
    )
}

fn slots_by_node(map: &SlotMap) -> Vec<(String, u16, Origin)> {
    map.assignments()
        .iter()
        .map(|a| (String::from_utf8(a.node.clone()).unwrap(), a.slot, a.origin))
        .collect()
}

fn messages(placement: Result<Placement, Vec<SlotError>>) -> String {
    let errors = placement.expect_err("expected errors");
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn unpinned_members_take_the_lowest_free_slots_in_node_number_order() {
    let fs = filesystem(
        "web",
        4,
        vec![
            member("gamma", None),
            member("alpha", None),
            member("beta", Some(0)),
        ],
    );
    let map = slot_map(place(Some(&web()), &fs));
    assert_eq!(
        slots_by_node(&map),
        [
            ("alpha".into(), 1, Origin::Allocated),
            ("beta".into(), 0, Origin::Pinned),
            ("gamma".into(), 2, Origin::Allocated),
        ]
    );
    let new: Vec<_> = map.new_pins().map(|a| (a.node.clone(), a.slot)).collect();
    assert_eq!(new, [(b"alpha".to_vec(), 1), (b"gamma".to_vec(), 2)]);
    assert_eq!(map.slot_of(b"gamma"), Some(2));
    assert_eq!(map.slot_of(b"delta"), None);
}

#[test]
fn a_pinned_slot_stays_when_a_lower_node_joins() {
    let cluster = web();
    let first = slot_map(place(
        Some(&cluster),
        &filesystem("web", 4, vec![member("gamma", None)]),
    ));
    assert_eq!(first.slot_of(b"gamma"), Some(0));
    // gamma's slot written back as a pin; delta (node 0) joins.
    let second = slot_map(place(
        Some(&cluster),
        &filesystem(
            "web",
            4,
            vec![member("gamma", Some(0)), member("delta", None)],
        ),
    ));
    assert_eq!(second.slot_of(b"gamma"), Some(0));
    assert_eq!(second.slot_of(b"delta"), Some(1));
}

#[test]
fn a_filesystem_without_members_is_left_to_the_kernel() {
    let fs = filesystem("web", 4, vec![]);
    assert_eq!(place(Some(&web()), &fs), Ok(Placement::AnyNode));
}

#[test]
fn a_filesystem_of_an_unknown_cluster_is_an_error_even_without_members() {
    let fs = filesystem("db", 4, vec![]);
    insta::assert_snapshot!(messages(place(None, &fs)));
}

#[test]
fn members_fill_every_slot() {
    let fs = filesystem("web", 2, vec![member("omega", None), member("delta", None)]);
    let map = slot_map(place(Some(&web()), &fs));
    assert_eq!(map.slot_of(b"delta"), Some(0));
    assert_eq!(map.slot_of(b"omega"), Some(1));
}

#[test]
fn more_members_than_slots() {
    let fs = filesystem(
        "web",
        2,
        vec![
            member("alpha", None),
            member("beta", None),
            member("gamma", None),
        ],
    );
    insta::assert_snapshot!(messages(place(Some(&web()), &fs)));
}

#[test]
fn two_nodes_pinned_to_one_slot() {
    let fs = filesystem(
        "web",
        4,
        vec![member("alpha", Some(2)), member("beta", Some(2))],
    );
    insta::assert_snapshot!(messages(place(Some(&web()), &fs)));
}

#[test]
fn three_nodes_pinned_to_one_slot() {
    let fs = filesystem(
        "web",
        4,
        vec![
            member("gamma", Some(1)),
            member("alpha", Some(1)),
            member("beta", Some(1)),
        ],
    );
    insta::assert_snapshot!(messages(place(Some(&web()), &fs)));
}

#[test]
fn slot_out_of_range() {
    let cases = [(4, 4), (1, 1), (0, 0)];
    let rendered: Vec<String> = cases
        .iter()
        .map(|&(slots, pinned)| {
            let fs = filesystem("web", slots, vec![member("alpha", Some(pinned))]);
            messages(place(Some(&web()), &fs))
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn member_that_is_not_a_node_of_the_cluster() {
    let fs = filesystem("web", 4, vec![member("zeta", None)]);
    insta::assert_snapshot!(messages(place(Some(&web()), &fs)));
}

#[test]
fn member_listed_twice() {
    let fs = filesystem(
        "web",
        4,
        vec![
            member("alpha", Some(1)),
            member("beta", None),
            member("alpha", Some(1)),
        ],
    );
    insta::assert_snapshot!(messages(place(Some(&web()), &fs)));
}

#[test]
fn every_problem_of_a_filesystem_is_reported() {
    let mut fs = filesystem(
        "db",
        2,
        vec![
            member("alpha", Some(5)),
            member("beta", Some(0)),
            member("gamma", Some(0)),
            member("beta", None),
        ],
    );
    fs.label = None;
    let errors = place(None, &fs).unwrap_err();
    let kinds: Vec<_> = errors.iter().map(|e| problem_kind(&e.problem)).collect();
    assert_eq!(
        kinds,
        [
            "unknown cluster",
            "duplicate",
            "out of range",
            "shared",
            "too many"
        ]
    );
    insta::assert_snapshot!(messages(Err(errors)));
}

#[test]
fn non_utf8_names_are_shown_lossily() {
    let cluster = web();
    let fs = slots::Filesystem {
        label: Some(b"d\xffta".to_vec()),
        members: vec![slots::Member {
            node: b"n\xfe".to_vec(),
            pinned: None,
        }],
        ..filesystem("web", 4, vec![])
    };
    assert_eq!(
        messages(place(Some(&cluster), &fs)),
        format!(
            "filesystem {UUID} ('d\u{fffd}ta'): member 'n\u{fffd}' is not a node of cluster 'web'"
        )
    );
}

#[test]
fn other_filesystems_are_allocated_when_one_fails() {
    let clusters = [web(), cluster("db", &[("db1", 4), ("db2", 5)])];
    let mut broken = filesystem("nowhere", 1, vec![member("alpha", None)]);
    broken.uuid = "00000000000000000000000000000001".into();
    let filesystems = [
        filesystem("db", 2, vec![member("db2", None), member("db1", None)]),
        broken,
        filesystem("web", 8, vec![]),
    ];
    let results = allocate(&clusters, &filesystems);
    assert_eq!(results.len(), 3);
    let db = slot_map(results[0].clone());
    assert_eq!(db.slot_of(b"db1"), Some(0));
    assert_eq!(db.slot_of(b"db2"), Some(1));
    insta::assert_snapshot!(messages(results[1].clone()));
    assert_eq!(results[2], Ok(Placement::AnyNode));
}

#[test]
fn a_cluster_named_twice_resolves_to_the_first() {
    let clusters = [
        cluster("web", &[("alpha", 7)]),
        cluster("web", &[("beta", 1)]),
    ];
    let fs = filesystem("web", 2, vec![member("alpha", None)]);
    let map = slot_map(allocate(&clusters, &[fs]).remove(0));
    assert_eq!(map.assignments()[0].number, 7);
}
