//! Parse, diagnostics, the canonical writer, and edits chosen by the input.
//!
//! Input: the cluster.conf text, optionally followed by a 0xFF byte and an edit script (the
//! text is everything before the last 0xFF). Each three bytes of the script pick an edit and
//! its arguments, mostly among the names the document already has (including the clusters
//! that orphan stanzas name), so that edits succeed and meet every layout the fuzzer finds.
//!
//! What must hold: parse gives back the input, the lines tile it, diagnostics point into it
//! and render; a canonical rewrite reads back as itself; a refused edit changes nothing; an
//! accepted edit on a file without errors leaves a file without errors (and a canonical file
//! canonical), and reads back as itself.

#![no_main]

use cluster_conf::syntax::{LineKind, SyntaxTree};
use cluster_conf::{
    write_canonical, Config, Document, FsUuid, HeartbeatMode, NewFilesystem, NewMember, NewNode,
};
use libfuzzer_sys::fuzz_target;

/// Names to add, with some the file cannot carry (refused) and some it reads back trimmed.
const NAMES: [&[u8]; 12] = [
    b"alpha", b"beta", b"n1", b"web", b"x", b"zeta", b"q\\", b"a\nb", b"x\0y", b" lead", b"t\\\\",
    b"tail\t",
];
const UUIDS: [&str; 3] = [
    "7A5B5E0D1A2B4C3D9E8F0011223344AA",
    "00000000000000000000000000000001",
    "FEDCBA98765432100123456789ABCDEF",
];

fn check_parse(text: &[u8]) -> Document {
    let doc = Document::parse(text.to_vec());
    assert_eq!(doc.text(), text);
    let mut pos = 0;
    for line in SyntaxTree::lines(text) {
        assert_eq!(line.span.start, pos);
        assert!(line.span.end > pos);
        pos = line.span.end;
        if let LineKind::Attribute { key, value } = line.kind {
            assert!(line.span.start <= key.start && key.end < value.start);
            assert!(value.end <= line.span.end);
        }
    }
    assert_eq!(pos as usize, text.len());
    for d in doc.diagnostics() {
        assert!(d.span.start <= d.span.end && d.span.range().end <= text.len());
    }
    let rendered = doc.render_all_diagnostics("f", |_| true);
    assert!(rendered.lines().count() >= doc.diagnostics().len());
    doc
}

/// Values ending in an unescaped backslash cannot be written (the C writer has the same
/// limit); everything else must read back as written.
fn writable(c: &Config) -> bool {
    let ok = |v: &[u8]| v.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0;
    c.clusters.iter().all(|cl| {
        ok(&cl.name)
            && cl.nodes.iter().all(|n| ok(&n.name))
            && cl.regions.iter().all(|r| ok(&r.region))
    }) && c.filesystems.iter().all(|f| {
        ok(&f.cluster)
            && f.label.as_deref().is_none_or(|l| ok(l))
            && f.members.iter().all(|m| ok(&m.node))
    })
}

fn check_canonical(doc: &Document) {
    if !writable(doc.config()) {
        return;
    }
    let canonical = write_canonical(doc.config());
    let again = Document::parse(canonical.clone());
    assert!(!again.has_classic_or_extension_errors());
    assert_eq!(write_canonical(again.config()), canonical);
}

fn pick<T: Clone>(from: &[T], at: u8) -> Option<T> {
    (!from.is_empty()).then(|| from[usize::from(at) % from.len()].clone())
}

/// Cluster names worth trying: the clusters, the clusters orphan stanzas name, a few others.
fn cluster_names(doc: &Document) -> Vec<Vec<u8>> {
    let text = doc.text();
    let tree = doc.tree();
    let mut names: Vec<Vec<u8>> = (0..tree.attribute_count())
        .filter(|&a| &text[tree.attribute_key(text, a).range()] == b"cluster")
        .map(|a| {
            cluster_conf::syntax::read_value(&text[tree.attribute(text, a).value.range()])
                .into_owned()
        })
        .collect();
    names.extend(doc.config().clusters.iter().map(|c| c.name.to_vec()));
    names.extend(NAMES.iter().map(|n| n.to_vec()));
    names
}

/// Applies the edit that `op`, `a`, `b` choose, and says which name it wrote, if any.
/// `None` when there was nothing to edit.
fn edit(
    doc: &mut Document,
    ops: [u8; 3],
    wrote: &mut Vec<u8>,
) -> Option<Result<(), cluster_conf::EditError>> {
    let [op, a, b] = ops;
    let config = doc.config().clone();
    let cluster = pick(&config.clusters, a);
    let fs = pick(&config.filesystems, a);
    let name = pick(&NAMES, b).unwrap();
    let uuid: FsUuid = pick(&UUIDS, a).unwrap().parse().unwrap();
    *wrote = name.to_vec();
    Some(match op % 13 {
        0 => {
            *wrote = pick(&cluster_names(doc), b)?;
            doc.add_cluster(wrote)
        }
        1 => doc.remove_cluster(&cluster?.name),
        2 => {
            *wrote = pick(&cluster_names(doc), b)?;
            doc.rename_cluster(&cluster?.name, wrote)
        }
        3 => {
            let mode = if b & 1 == 0 {
                HeartbeatMode::Local
            } else {
                HeartbeatMode::Global
            };
            doc.set_heartbeat_mode(&cluster?.name, mode)
        }
        4 => doc.add_node(
            &cluster?.name,
            &NewNode {
                name: name.into(),
                number: u32::from(b),
                ip_address: [10, 0, a, b].into(),
                ip_port: 7777,
            },
        ),
        5 => {
            let c = cluster?;
            doc.remove_node(&c.name, &pick(&c.nodes, b)?.name)
        }
        6 => doc.add_heartbeat_region(&cluster?.name, pick(&UUIDS, b).unwrap().as_bytes()),
        7 => {
            let c = cluster?;
            doc.remove_heartbeat_region(&c.name, &pick(&c.regions, b)?.region)
        }
        8 => doc.add_filesystem(&NewFilesystem {
            uuid,
            cluster: pick(&config.clusters, b)?.name,
            label: (b & 1 == 1).then(|| "data".into()),
            slots: (b & 2 == 2).then_some(u16::from(b % 8) + 1),
        }),
        9 => doc.remove_filesystem(fs?.uuid),
        10 => doc.add_filesystem_member(
            fs?.uuid,
            &NewMember {
                node: name.into(),
                slot: (b & 1 == 1).then_some(u16::from(a)),
                ip_address: (b & 2 == 2).then(|| [10, 1, a, b].into()),
                ip_port: (b & 4 == 4).then_some(7000 + u16::from(b)),
            },
        ),
        11 => {
            let f = fs?;
            doc.remove_filesystem_member(f.uuid, &pick(&f.members, b)?.node)
        }
        _ => {
            let f = fs?;
            let m = pick(&f.members, b)?;
            doc.set_member_slots(f.uuid, &[(m.node, u16::from(b))])
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let (text, script) = match data.iter().rposition(|&b| b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut doc = check_parse(text);
    check_canonical(&doc);
    for chunk in script.chunks_exact(3).take(8) {
        let before = doc.clone();
        let mut wrote = Vec::new();
        let Some(result) = edit(&mut doc, [chunk[0], chunk[1], chunk[2]], &mut wrote) else {
            continue;
        };
        match result {
            Err(e) => {
                assert!(
                    !matches!(e, cluster_conf::EditError::NotReadBack(_)),
                    "an edit did not read back as intended: {e}"
                );
                assert_eq!(doc.text(), before.text(), "a refused edit changes nothing");
            }
            Ok(()) => {
                let again = check_parse(doc.text());
                assert_eq!(again.diagnostics(), doc.diagnostics());
                if !before.has_classic_errors() {
                    assert!(
                        !doc.has_classic_errors(),
                        "an edit made a valid file invalid:\n{}",
                        doc.render_diagnostics("after", |s| s.is_error())
                    );
                }
                // A value with leading blanks is written as given (as the C tools do) and
                // read back without them: not the canonical spelling.
                if before.is_canonical() && cluster_conf::meaning(&wrote) == wrote {
                    assert!(
                        doc.is_canonical(),
                        "an edit made a canonical file non-canonical"
                    );
                }
                check_canonical(&doc);
            }
        }
    }
});
