//! Edits in the corners of the format, each once a bug:
//!
//! - files whose last line is an attribute ending in a backslash, with no line feed after
//!   it. The reader drops that backslash; an edit that appended a line feed turned it into a
//!   continuation, and the next line (the new attribute) became part of the value: the file
//!   changed meaning and, for `node_count`, became invalid. Found by the property tests;
//! - orphan stanzas adopted by a cluster added or renamed to their cluster's name;
//! - values the format cannot carry (a final backslash, a line feed, a NUL byte), which
//!   edits wrote (issue 11, item 2), and a value replaced right before a NUL byte;
//! - comments above and inside a removed stanza, which went with it (item 19).

use bstr::ByteSlice;
use cluster_conf::{Document, HeartbeatMode, NewNode};

fn node() -> NewNode {
    NewNode {
        name: "n1".into(),
        number: 1,
        ip_address: "10.0.0.1".parse().unwrap(),
        ip_port: 7777,
    }
}

#[test]
fn attribute_added_after_a_final_backslash_stays_an_attribute() {
    let mut doc = Document::parse(&b"# c\ncluster:\n\tname = a\n\tnode_count = 0\\"[..]);
    assert!(!doc.has_classic_or_extension_errors());
    doc.set_heartbeat_mode(b"a", HeartbeatMode::Global).unwrap();
    assert_eq!(
        doc.text().as_bstr(),
        "# c\ncluster:\n\tname = a\n\tnode_count = 0\\\n\n\theartbeat_mode = global\n"
    );
    assert!(
        !doc.has_classic_or_extension_errors(),
        "{}",
        doc.render_diagnostics("f", |_| true)
    );
    let c = &doc.config().clusters[0];
    assert_eq!((c.node_count, c.heartbeat_mode), (0, HeartbeatMode::Global));
}

#[test]
fn attribute_added_before_a_nul_after_a_backslash_stays_an_attribute() {
    let mut doc = Document::parse(&b"# c\ncluster:\n\tname = a\n\tnode_count = 3\\\0tail"[..]);
    doc.set_heartbeat_mode(b"a", HeartbeatMode::Global).unwrap();
    assert!(doc.text().ends_with(b"\theartbeat_mode = global\n\0tail"));
    let c = &doc.config().clusters[0];
    assert_eq!((c.node_count, c.heartbeat_mode), (3, HeartbeatMode::Global));
}

#[test]
fn stanza_added_after_a_final_backslash_keeps_the_value_and_the_new_stanza() {
    let text = &b"# c\ncluster:\n\tname = a\n\tnode_count = 0\n\nowner:\n\tx = y\\"[..];
    let mut doc = Document::parse(text);
    doc.add_cluster(b"b").unwrap();
    // The first line feed continues `x`'s value, the second ends it, and the header that
    // follows ends the `owner:` stanza.
    assert_eq!(
        doc.text().as_bstr(),
        "# c\ncluster:\n\tname = a\n\tnode_count = 0\n\ncluster:\n\tname = b\n\theartbeat_mode = local\n\tnode_count = 0\n\nowner:\n\tx = y\\"
    );
    let mut doc = Document::parse(&b"# c\nowner:\n\tx = y\\"[..]);
    doc.add_cluster(b"b").unwrap();
    assert_eq!(
        doc.text().as_bstr(),
        "# c\nowner:\n\tx = y\\\n\ncluster:\n\tname = b\n\theartbeat_mode = local\n\tnode_count = 0\n\n"
    );
    assert!(!doc.has_classic_or_extension_errors());
    assert_eq!(doc.config().clusters[0].name, "b");
    assert_eq!(doc.tree().stanza_count(), 2);

    // Here the value that ends in the backslash is replaced by the same edit.
    let mut doc = Document::parse(&b"# c\ncluster:\n\tname = a\n\tnode_count = 0\\"[..]);
    doc.add_node(b"a", &node()).unwrap();
    assert!(
        !doc.has_classic_or_extension_errors(),
        "{}",
        doc.render_diagnostics("f", |_| true)
    );
    assert_eq!(
        doc.text().as_bstr(),
        "# c\ncluster:\n\tname = a\n\tnode_count = 1\n\nnode:\n\tcluster = a\n\tnumber = 1\n\tip_port = 7777\n\tip_address = 10.0.0.1\n\tname = n1\n\n"
    );
}

#[test]
fn an_escaped_final_backslash_needs_one_line_feed() {
    let mut doc =
        Document::parse(&b"cluster:\n\tname = a\\\\\n\tnode_count = 0\n\nowner:\n\tx = y\\\\"[..]);
    doc.set_heartbeat_mode(b"a\\\\", HeartbeatMode::Global)
        .unwrap();
    doc.add_cluster(b"b").unwrap();
    assert!(
        !doc.has_classic_or_extension_errors(),
        "{}",
        doc.render_diagnostics("f", |_| true)
    );
    assert!(doc.text().starts_with(b"cluster:\n\tname = a\\\\\n\tnode_count = 0\n\theartbeat_mode = global\n\ncluster:\n\tname = b\n"));
}

// Orphan stanzas (naming a cluster that does not exist) are not checked, as the C tools do
// not read them. A cluster added or renamed under their cluster's name adopts them; when one
// of them had errors, the edit produced a file that no command could load again. Found by
// the fuzz target. Such an edit is now refused, and the document left as it was.

const ORPHAN_WITHOUT_NUMBER: &[u8] =
    b"cluster:\n\tname = a\n\tnode_count = 0\n\nnode:\n\tcluster = b\n\tname = x\n\tip_address = 10.0.0.1\n\tip_port = 7777\n";

#[test]
fn adding_a_cluster_that_would_adopt_a_broken_orphan_is_refused() {
    let mut doc = Document::parse(ORPHAN_WITHOUT_NUMBER);
    assert!(!doc.has_classic_errors());
    let error = doc.add_cluster(b"b").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the change would make the configuration invalid: line 10: node stanza has no `number`"
    );
    assert_eq!(doc.text(), ORPHAN_WITHOUT_NUMBER);
    assert!(!doc.has_classic_errors());
    assert_eq!(doc.config().clusters.len(), 1);
}

#[test]
fn renaming_a_cluster_onto_broken_orphans_is_refused() {
    let text = b"cluster:\n\tname = a\n\tnode_count = 0\n\nheartbeat:\n\tcluster = b\n\tregion =\n";
    let mut doc = Document::parse(&text[..]);
    assert!(!doc.has_classic_errors());
    assert!(matches!(
        doc.rename_cluster(b"a", b"b"),
        Err(cluster_conf::EditError::WouldBreak { line: 7, .. })
    ));
    assert_eq!(doc.text(), &text[..]);
}

#[test]
fn adopting_a_sound_orphan_still_works() {
    let text = b"cluster:\n\tname = a\n\tnode_count = 0\n\nnode:\n\tcluster = b\n\tname = x\n\tnumber = 1\n\tip_address = 10.0.0.1\n\tip_port = 7777\n";
    let mut doc = Document::parse(&text[..]);
    doc.add_cluster(b"b").unwrap();
    assert_eq!(doc.config().cluster(b"b").unwrap().nodes.len(), 1);
}

#[test]
fn values_the_file_cannot_hold_are_refused() {
    let mut doc = Document::parse(&b"cluster:\n\tname = a\n\tnode_count = 0\n"[..]);
    let before = doc.text().to_vec();
    // An empty region, or a node without a name, would be written as `region =`/`name =`,
    // which the reader (like the C tools') refuses.
    assert!(doc.add_heartbeat_region(b"a", b"").is_err());
    let nameless = NewNode {
        name: "".into(),
        ..node()
    };
    assert!(doc.add_node(b"a", &nameless).is_err());
    assert_eq!(doc.text(), &before[..]);
}

// ----- values the format cannot carry (issue 11, item 2) ------------------------------------

/// A file as the C tools write it, with two nodes.
const CANONICAL_WEB: &[u8] = b"cluster:\n\tname = web\n\theartbeat_mode = local\n\tnode_count = 2\n\nnode:\n\tcluster = web\n\tnumber = 1\n\tip_port = 7777\n\tip_address = 10.0.0.1\n\tname = n1\n\nnode:\n\tcluster = web\n\tnumber = 2\n\tip_port = 7777\n\tip_address = 10.0.0.2\n\tname = n2\n\n";

/// `o2cb_ctl -H -n web -t cluster -a 'name=q\'` turned the backslash into a continuation:
/// the next line joined the name, `heartbeat_mode` appeared twice and, the file being
/// canonical, every node stanza was lost. Now refused, naming key, value and reason.
#[test]
fn a_name_ending_in_a_backslash_is_refused_and_nothing_changes() {
    let mut doc = Document::parse(CANONICAL_WEB);
    assert!(doc.is_canonical());
    let e = doc.rename_cluster(b"web", b"q\\").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot write `name = q\\\\`: the value ends in a backslash, which cluster.conf reads as a line continuation: the next line would become part of the value"
    );
    assert!(matches!(
        e,
        cluster_conf::EditError::Unrepresentable {
            key: "name",
            problem: cluster_conf::ValueProblem::TrailingBackslash,
            ..
        }
    ));
    assert_eq!(doc.text(), CANONICAL_WEB);
    assert_eq!(doc.config().clusters[0].nodes.len(), 2);
    // `o2cb_ctl -C -n 'x\' -t cluster`
    assert!(doc.add_cluster(b"x\\").is_err());
    // An escaped backslash is a backslash.
    doc.rename_cluster(b"web", b"q\\\\").unwrap();
    assert_eq!(doc.config().clusters[0].name, "q\\\\");
    assert_eq!(doc.config().clusters[0].nodes.len(), 2);
}

#[test]
fn line_feeds_and_nul_bytes_are_refused_in_every_value_an_edit_writes() {
    let mut doc = Document::parse(CANONICAL_WEB);
    let uuid: cluster_conf::FsUuid = "7A5B5E0D1A2B4C3D9E8F0011223344AA".parse().unwrap();
    let messages: Vec<String> = [
        doc.clone().add_cluster(b"a\nb"),
        doc.clone().add_node(
            b"web",
            &NewNode {
                name: "x\0y".into(),
                ..node()
            },
        ),
        doc.clone().add_heartbeat_region(b"web", b"A\nB"),
        doc.clone().add_filesystem(&cluster_conf::NewFilesystem {
            uuid,
            cluster: "web".into(),
            label: Some("l\\".into()),
            slots: None,
        }),
    ]
    .into_iter()
    .map(|r| r.unwrap_err().to_string())
    .collect();
    assert_eq!(
        messages,
        [
            "cannot write `name = a\\nb`: the value contains a line feed; a value must fit on one line of the file",
            "cannot write `name = x\\0y`: the value contains a NUL byte, where the C tools stop reading the file",
            "cannot write `region = A\\nB`: the value contains a line feed; a value must fit on one line of the file",
            "cannot write `label = l\\\\`: the value ends in a backslash, which cluster.conf reads as a line continuation: the next line would become part of the value",
        ]
    );
    doc.add_filesystem(&cluster_conf::NewFilesystem {
        uuid,
        cluster: "web".into(),
        label: None,
        slots: None,
    })
    .unwrap();
    let before = doc.text().to_vec();
    let e = doc
        .add_filesystem_member(
            uuid,
            &cluster_conf::NewMember {
                node: "n\n1".into(),
                slot: None,
                ip_address: None,
                ip_port: None,
            },
        )
        .unwrap_err();
    assert!(
        e.to_string().starts_with("cannot write `node = n\\n1`"),
        "{e}"
    );
    assert_eq!(doc.text(), &before[..]);
}

/// A leading blank is written as the C tools write it, in a canonical file too; the file
/// reads it back without the blank, as theirs does.
#[test]
fn a_leading_blank_is_written_as_given_and_read_back_trimmed() {
    for start in [
        CANONICAL_WEB,
        b"# mine\ncluster:\n\tname = web\n\tnode_count = 0\n",
    ] {
        let mut doc = Document::parse(start);
        doc.add_cluster(b" lead").unwrap();
        assert!(
            doc.text().windows(13).any(|w| w == b"\tname =  lead"),
            "{}",
            doc.text().as_bstr()
        );
        assert_eq!(doc.config().clusters[1].name, "lead");
        assert!(!doc.has_classic_or_extension_errors());
    }
}

/// A value that ran up to a NUL byte is replaced with a line feed after it: a NUL right
/// after a one-character value is one the C tools read past.
#[test]
fn a_value_replaced_before_a_nul_byte_ends_its_line() {
    let text = b"node:\n\tcluster = a\n\tnumber = 1\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\tname = n1\n\ncluster:\n\tname = a\n\tnode_count = 10\0\tnode_count = 7\n";
    let mut doc = Document::parse(&text[..]);
    assert_eq!(doc.config().clusters[0].node_count, 10);
    doc.remove_node(b"a", b"n1").unwrap();
    assert!(doc
        .text()
        .ends_with(b"\tnode_count = 9\n\0\tnode_count = 7\n"));
    assert_eq!(doc.config().clusters[0].node_count, 9);
}

// ----- comments are kept (issue 11, item 19) ------------------------------------------------

#[test]
fn removing_a_stanza_keeps_its_comments_and_separates_them_from_what_follows() {
    let text = b"cluster:\n\tname = web\n\tnode_count = 2\n\n# alpha: rack 3, replaced in 2021\nnode:\n\tcluster = web\n\tnumber = 1\n# the old address was 10.0.9.1\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\tname = alpha\n\nnode:\n\tcluster = web\n\tnumber = 2\n\tip_address = 10.0.0.2\n\tip_port = 7777\n\tname = beta\n\n# end\n";
    let mut doc = Document::parse(&text[..]);
    doc.remove_node(b"web", b"alpha").unwrap();
    assert_eq!(
        doc.text().as_bstr(),
        "cluster:\n\tname = web\n\tnode_count = 1\n\n# alpha: rack 3, replaced in 2021\n# the old address was 10.0.9.1\n\nnode:\n\tcluster = web\n\tnumber = 2\n\tip_address = 10.0.0.2\n\tip_port = 7777\n\tname = beta\n\n# end\n"
    );
    // A stanza without comments goes with its blank line, as the C tools' files expect.
    doc.remove_node(b"web", b"beta").unwrap();
    assert_eq!(
        doc.text().as_bstr(),
        "cluster:\n\tname = web\n\tnode_count = 0\n\n# alpha: rack 3, replaced in 2021\n# the old address was 10.0.9.1\n\n# end\n"
    );
    doc.remove_cluster(b"web").unwrap();
    assert_eq!(
        doc.text().as_bstr(),
        "# alpha: rack 3, replaced in 2021\n# the old address was 10.0.9.1\n\n# end\n"
    );
}

/// `filesystem_node:` stanzas that name a filesystem not (yet) in the file are kept; adding
/// that filesystem takes them over as its members, as adding a cluster takes over the stanzas
/// that name it. The read-back check knew only the second. Found by the fuzz target.
#[test]
fn adding_a_filesystem_takes_over_the_members_that_named_it() {
    let text = b"cluster:\n\tname = a\n\tnode_count = 0\n\nfilesystem_node:\n\tfilesystem = 7A5B5E0D1A2B4C3D9E8F0011223344AA\n\tnode = nobody\n";
    let mut doc = Document::parse(&text[..]);
    let uuid: cluster_conf::FsUuid = "7A5B5E0D1A2B4C3D9E8F0011223344AA".parse().unwrap();
    doc.add_filesystem(&cluster_conf::NewFilesystem {
        uuid,
        cluster: "a".into(),
        label: None,
        slots: None,
    })
    .unwrap();
    let fs = doc.config().filesystem(uuid).unwrap();
    assert_eq!(fs.members.len(), 1);
    assert_eq!(fs.members[0].node, "nobody");
    assert!(!doc.has_classic_or_extension_errors());
}
