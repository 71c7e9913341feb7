//! Edits on files whose last line is an attribute ending in a backslash, with no line feed
//! after it. The reader drops that backslash; an edit that appended a line feed turned it
//! into a continuation, and the next line (the new attribute) became part of the value: the
//! file changed meaning and, for `node_count`, became invalid. Found by the property tests.

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
    assert!(!doc.has_any_errors());
    doc.set_heartbeat_mode(b"a", HeartbeatMode::Global).unwrap();
    assert_eq!(
        doc.text().as_bstr(),
        "# c\ncluster:\n\tname = a\n\tnode_count = 0\\\n\n\theartbeat_mode = global\n"
    );
    assert!(
        !doc.has_any_errors(),
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
    assert!(!doc.has_any_errors());
    assert_eq!(doc.config().clusters[0].name, "b");
    assert_eq!(doc.tree().stanza_count(), 2);

    // Here the value that ends in the backslash is replaced by the same edit.
    let mut doc = Document::parse(&b"# c\ncluster:\n\tname = a\n\tnode_count = 0\\"[..]);
    doc.add_node(b"a", &node()).unwrap();
    assert!(
        !doc.has_any_errors(),
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
        !doc.has_any_errors(),
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
    assert!(!doc.has_errors());
    let error = doc.add_cluster(b"b").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the change would make the configuration invalid: line 10: node stanza has no `number`"
    );
    assert_eq!(doc.text(), ORPHAN_WITHOUT_NUMBER);
    assert!(!doc.has_errors());
    assert_eq!(doc.config().clusters.len(), 1);
}

#[test]
fn renaming_a_cluster_onto_broken_orphans_is_refused() {
    let text = b"cluster:\n\tname = a\n\tnode_count = 0\n\nheartbeat:\n\tcluster = b\n\tregion =\n";
    let mut doc = Document::parse(&text[..]);
    assert!(!doc.has_errors());
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
