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
    assert_eq!(doc.tree().stanzas.len(), 2);

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
