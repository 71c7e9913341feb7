//! Properties of the engine over generated inputs:
//!
//! - parse then `text()` gives back any bytes, and the syntax tree's lines tile the input;
//! - the same for "almost valid" files (valid stanzas mixed with comments, blank lines, CRLF,
//!   stray bytes, continuation backslashes and NUL bytes), whose diagnostics all point into
//!   the text, and whose meaning survives `write_canonical` and a second parse unchanged;
//! - every edit on generated valid files with comments, unknown stanzas and odd layout keeps
//!   every line outside the stanzas it must change byte for byte, in order, and the result
//!   means what the edit says (checked against the edit applied to the model by hand);
//! - on files in the canonical form, an edit gives exactly `write_canonical` of the expected
//!   model.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use bstr::{BString, ByteSlice};
use cluster_conf::syntax::{LineKind, SyntaxTree};
use cluster_conf::{
    write_canonical, Config, Document, EditError, FsUuid, HeartbeatMode, NewFilesystem, NewMember,
    NewNode, StanzaId,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence, Index};
use proptest::test_runner::{RngAlgorithm, TestRng};

// ----- invariants of every parse ------------------------------------------------------------

/// The lines are non-empty, contiguous, and cover the text from first to last byte; stanzas
/// and attributes stay inside their lines, in order; what the tree stores agrees with the
/// lines read again.
fn assert_tree_tiles(text: &[u8], tree: &SyntaxTree) {
    let lines = SyntaxTree::lines(text);
    let mut pos = 0;
    let mut kinds = std::collections::HashMap::new();
    let mut invalid = 0;
    for line in &lines {
        assert_eq!(line.span.start, pos, "lines are contiguous");
        assert!(line.span.end > line.span.start, "no empty line");
        pos = line.span.end;
        kinds.insert(line.span.start, *line);
        let inside = |s: cluster_conf::syntax::Span| {
            line.span.start <= s.start && s.start <= s.end && s.end <= line.span.end
        };
        match line.kind {
            LineKind::Header { name } => assert!(inside(name)),
            LineKind::Attribute { key, value } => {
                assert!(inside(key) && inside(value) && key.end < value.start)
            }
            LineKind::Invalid { at, name, .. } => {
                invalid += 1;
                assert!(line.span.start <= at && at <= line.span.end);
                assert!(name.is_none_or(inside));
            }
            LineKind::IgnoredTail => assert_eq!(Some(line.span.start), tree.nul_at()),
            LineKind::Blank | LineKind::Comment => {}
        }
    }
    assert_eq!(pos as usize, text.len(), "lines cover the whole text");
    assert_eq!(invalid, tree.problems());
    let mut previous_end = 0;
    let mut attributes = 0;
    for i in 0..tree.stanza_count() {
        let s = tree.stanza(text, i);
        assert!(previous_end <= s.first, "{s:?}");
        assert!(s.first <= s.header.start && s.header.end <= s.end, "{s:?}");
        assert!(matches!(
            kinds[&s.header.start].kind,
            LineKind::Header { .. } | LineKind::Invalid { .. }
        ));
        // Only comments lead into a header.
        for line in lines
            .iter()
            .filter(|l| s.first <= l.span.start && l.span.start < s.header.start)
        {
            assert_eq!(line.kind, LineKind::Comment);
        }
        previous_end = s.end;
        assert_eq!(s.attributes.start, attributes);
        attributes = s.attributes.end;
        for a in s.attributes.clone() {
            let at = tree.attribute(text, a);
            assert!(s.header.end <= at.line.start && at.line.end <= s.end);
            assert_eq!(
                kinds[&at.line.start].kind,
                LineKind::Attribute {
                    key: at.key,
                    value: at.value
                }
            );
            assert_eq!(tree.attribute_key(text, a), at.key);
        }
    }
    assert_eq!(attributes, tree.attribute_count());
    assert_eq!(
        attributes,
        lines
            .iter()
            .filter(|l| matches!(l.kind, LineKind::Attribute { .. }))
            .count(),
        "every attribute line belongs to a stanza"
    );
}

fn assert_parse_invariants(text: &[u8]) -> Document {
    let doc = Document::parse(text.to_vec());
    assert_eq!(doc.text(), text, "parse then text() gives back the input");
    assert_tree_tiles(text, doc.tree());
    for d in doc.diagnostics() {
        assert!(
            d.span.start <= d.span.end && d.span.range().end <= text.len(),
            "{d:?}"
        );
    }
    let rendered = doc.render_all_diagnostics("f", |_| true);
    assert_eq!(
        rendered.lines().filter(|l| l.starts_with("f:")).count(),
        doc.diagnostics().len()
    );
    assert_eq!(doc.diagnostics().len(), doc.counts().total());
    doc
}

// ----- the meaning of a configuration, without the stanza ids ------------------------------

type NodeMeaning = (BString, u32, Ipv4Addr, u32);
type ClusterMeaning = (BString, HeartbeatMode, u32, Vec<NodeMeaning>, Vec<BString>);
type MemberMeaning = (BString, Option<u16>, Option<Ipv4Addr>, Option<u16>);
type FsMeaning = (
    FsUuid,
    BString,
    Option<BString>,
    Option<u16>,
    Vec<MemberMeaning>,
);

fn meaning(c: &Config) -> (Vec<ClusterMeaning>, Vec<FsMeaning>) {
    let clusters = c
        .clusters
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.heartbeat_mode,
                c.node_count,
                c.nodes
                    .iter()
                    .map(|n| (n.name.clone(), n.number, n.ip_address, n.ip_port))
                    .collect(),
                c.regions.iter().map(|r| r.region.clone()).collect(),
            )
        })
        .collect();
    let filesystems = c
        .filesystems
        .iter()
        .map(|f| {
            (
                f.uuid,
                f.cluster.clone(),
                f.label.clone(),
                f.slots,
                f.members
                    .iter()
                    .map(|m| (m.node.clone(), m.slot, m.ip_address, m.ip_port))
                    .collect(),
            )
        })
        .collect();
    (clusters, filesystems)
}

// ----- generated valid files -------------------------------------------------------------------

const CLUSTERS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "web1"];
const NODES: [&str; 8] = ["n0", "n1", "db1", "db2", "web", "x", "node_7", "n-9"];
const REGIONS: [&str; 4] = [
    "77D95EF51C0149D2823674FCC162CF8B",
    "DCDA2845177F4D59A0F2DCD8DE507CC3",
    "BBA1DBD0F73F449384CE75197D9B7098",
    "0123456789ABCDEF0123456789ABCDEF",
];
const FS_UUIDS: [&str; 4] = [
    "7A5B5E0D1A2B4C3D9E8F0011223344AA",
    "00000000000000000000000000000001",
    "FEDCBA98765432100123456789ABCDEF",
    "11111111222233334444555555555555",
];
/// A cluster name no generated stanza belongs to: orphan stanzas name it.
const GHOST: &str = "ghost";

/// One stanza to write: its name and its attributes in their canonical order.
#[derive(Clone, Debug)]
struct StanzaSpec {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
}

fn ip() -> impl Strategy<Value = Ipv4Addr> {
    (0u8..3, any::<u8>()).prop_map(|(c, d)| Ipv4Addr::new(10, 0, c, d))
}

fn node_specs(cluster: &'static str) -> impl Strategy<Value = Vec<StanzaSpec>> {
    subsequence(NODES.to_vec(), 0..=4).prop_flat_map(move |names| {
        let n = names.len();
        (
            Just(names),
            prop::collection::vec(
                (0u32..300, ip(), prop_oneof![Just(7777u32), 1u32..70000]),
                n,
            ),
        )
            .prop_map(move |(names, fields)| {
                names
                    .into_iter()
                    .zip(fields)
                    .map(|(name, (number, ip, port))| StanzaSpec {
                        name: "node",
                        attrs: vec![
                            ("cluster", cluster.to_string()),
                            ("number", number.to_string()),
                            ("ip_port", port.to_string()),
                            ("ip_address", ip.to_string()),
                            ("name", name.to_string()),
                        ],
                    })
                    .collect()
            })
    })
}

fn cluster_specs(name: &'static str) -> impl Strategy<Value = Vec<StanzaSpec>> {
    (
        prop::option::of(select(vec!["local", "global", "GLOBAL", "Local"])),
        0u32..10,
        node_specs(name),
        subsequence(REGIONS.to_vec(), 0..=3),
    )
        .prop_map(move |(mode, count, nodes, regions)| {
            let mut attrs = vec![("name", name.to_string())];
            if let Some(mode) = mode {
                attrs.push(("heartbeat_mode", mode.to_string()));
            }
            attrs.push(("node_count", count.to_string()));
            let mut out = vec![StanzaSpec {
                name: "cluster",
                attrs,
            }];
            out.extend(nodes);
            out.extend(regions.into_iter().map(|r| StanzaSpec {
                name: "heartbeat",
                attrs: vec![("cluster", name.to_string()), ("region", r.to_string())],
            }));
            out
        })
}

/// A UUID as people may write it: any case, dashes or not.
fn spelled_uuid(uuid: &str, style: u8) -> String {
    match style % 3 {
        0 => uuid.to_string(),
        1 => uuid.to_lowercase(),
        _ => format!(
            "{}-{}-{}-{}-{}",
            &uuid[..8],
            &uuid[8..12],
            &uuid[12..16],
            &uuid[16..20],
            &uuid[20..]
        ),
    }
}

fn filesystem_specs(clusters: Vec<&'static str>) -> impl Strategy<Value = Vec<StanzaSpec>> {
    let member = || {
        (
            prop::option::of(0u16..=254),
            prop::option::of(ip()),
            prop::option::of(1u16..=65534),
            any::<u8>(),
        )
    };
    let fs = move || {
        (
            any::<Index>(),
            prop::option::of(select(vec!["data", "shared data", "x"])),
            prop::option::of(1u16..=255),
            any::<u8>(),
            subsequence(NODES.to_vec(), 0..=3).prop_flat_map(move |names| {
                let n = names.len();
                (Just(names), prop::collection::vec(member(), n))
            }),
        )
    };
    subsequence(FS_UUIDS.to_vec(), 0..=3).prop_flat_map(move |uuids| {
        let clusters = clusters.clone();
        prop::collection::vec(fs(), uuids.len()).prop_map(move |specs| {
            let mut out = Vec::new();
            for (uuid, (cluster, label, slots, style, (names, members))) in uuids.iter().zip(specs)
            {
                let mut attrs = vec![
                    ("uuid", spelled_uuid(uuid, style)),
                    ("cluster", cluster.get(&clusters).to_string()),
                ];
                if let Some(label) = label {
                    attrs.push(("label", label.to_string()));
                }
                if let Some(slots) = slots {
                    attrs.push(("slots", slots.to_string()));
                }
                out.push(StanzaSpec {
                    name: "filesystem",
                    attrs,
                });
                for (node, (slot, ip, port, style)) in names.into_iter().zip(members) {
                    let mut attrs = vec![
                        ("filesystem", spelled_uuid(uuid, style)),
                        ("node", node.to_string()),
                    ];
                    attrs.extend(slot.map(|s| ("slot", s.to_string())));
                    attrs.extend(ip.map(|a| ("ip_address", a.to_string())));
                    attrs.extend(port.map(|p| ("ip_port", p.to_string())));
                    out.push(StanzaSpec {
                        name: "filesystem_node",
                        attrs,
                    });
                }
            }
            out
        })
    })
}

/// Stanzas the model does not hold: unknown ones, and nodes and regions of a cluster that
/// does not exist.
fn foreign_specs() -> impl Strategy<Value = Vec<StanzaSpec>> {
    let one = prop_oneof![
        Just(StanzaSpec {
            name: "owner",
            attrs: vec![("team", "ops".into()), ("pager", "+1 555 0100".into())],
        }),
        Just(StanzaSpec {
            name: "site_notes",
            attrs: vec![("text", "rack 4 \\\n  shelf 2".into())],
        }),
        Just(StanzaSpec {
            name: "node",
            attrs: vec![
                ("cluster", GHOST.into()),
                ("name", "old".into()),
                ("number", "3".into()),
                ("ip_address", "10.9.9.9".into()),
                ("ip_port", "7777".into()),
            ],
        }),
        Just(StanzaSpec {
            name: "heartbeat",
            attrs: vec![("cluster", GHOST.into()), ("region", REGIONS[0].into())],
        }),
    ];
    prop::collection::vec(one, 0..=3)
}

/// Layout choices, drawn from a seed that proptest generates (and shrinks).
struct Layout(TestRng);

impl Layout {
    fn new(seed: [u8; 32]) -> Layout {
        Layout(TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
    }

    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// Writes a stanza the way people write them: any indentation, any spacing around `=`,
/// keys in any order, comments before, inside and after it, unknown keys, an earlier
/// duplicate of a key (the last one counts), trailing blanks after values.
fn write_styled(out: &mut String, spec: &StanzaSpec, rng: &mut Layout) {
    for _ in 0..rng.below(3).saturating_sub(1) {
        let _ = writeln!(out, "# about this {}", spec.name);
    }
    out.push_str(spec.name);
    out.push(':');
    if rng.chance(10) {
        out.push_str(rng.pick(&[" ", "\t", " \t "]));
    }
    out.push('\n');
    let mut attrs: Vec<(&str, String)> = spec.attrs.iter().map(|(k, v)| (*k, v.clone())).collect();
    if rng.chance(40) {
        for i in (1..attrs.len()).rev() {
            attrs.swap(i, rng.below(i + 1));
        }
    }
    if rng.chance(15) {
        // An earlier, overridden value of some key.
        let (key, _) = attrs[rng.below(attrs.len())].clone();
        attrs.insert(0, (key, "overridden".to_string()));
    }
    // Unknown keys: ignored in the classic stanzas, refused in the per-filesystem ones.
    if !spec.name.starts_with("filesystem") && rng.chance(20) {
        let at = rng.below(attrs.len() + 1);
        attrs.insert(at, ("comment_key", "kept \\\nverbatim".to_string()));
    }
    let indent = rng.pick(&["\t", "\t", "    ", "  ", " \t"]);
    for (i, (key, value)) in attrs.iter().enumerate() {
        if i > 0 && rng.chance(8) {
            out.push_str("# a comment inside the stanza\n");
        }
        let indent = if rng.chance(10) { "\t\t" } else { indent };
        let eq = rng.pick(&[" = ", " = ", "=", " =", "= ", "\t=\t"]);
        out.push_str(indent);
        out.push_str(key);
        out.push_str(eq.trim_end_matches([' ', '\t']));
        if !value.is_empty() {
            out.push_str(&eq[eq.trim_end_matches([' ', '\t']).len()..]);
            out.push_str(value);
        }
        if rng.chance(10) {
            out.push_str(rng.pick(&[" ", "\t", "  \t"]));
        }
        out.push('\n');
    }
    if rng.chance(10) {
        out.push_str("# trailing comment of the stanza\n");
    }
}

/// A valid cluster.conf with comments, unknown stanzas and the layout people use. Always
/// has at least one comment, so it is never in the canonical form.
fn valid_file() -> impl Strategy<Value = String> {
    subsequence(CLUSTERS.to_vec(), 1..=4)
        .prop_flat_map(|names| {
            let clusters: Vec<_> = names.iter().map(|&n| cluster_specs(n)).collect();
            (clusters, filesystem_specs(names), foreign_specs())
        })
        .prop_flat_map(|(clusters, filesystems, foreign)| {
            let stanzas: Vec<StanzaSpec> = clusters
                .into_iter()
                .flatten()
                .chain(filesystems)
                .chain(foreign)
                .collect();
            (Just(stanzas).prop_shuffle(), any::<[u8; 32]>())
        })
        .prop_map(|(stanzas, seed)| {
            let mut rng = Layout::new(seed);
            let mut out = String::from("# cluster.conf, edited by hand\n");
            if rng.chance(70) {
                out.push('\n');
            }
            for spec in &stanzas {
                write_styled(&mut out, spec, &mut rng);
                // What ends the stanza: a blank line (or more, or blanks only), or the next
                // header right away.
                out.push_str(rng.pick(&["\n", "\n", "\n", "\n\n", " \t\n", ""]));
                if rng.chance(5) {
                    out.push_str("# a comment between stanzas\n\n");
                }
            }
            if rng.chance(10) {
                while out.ends_with(['\n', ' ', '\t']) {
                    out.pop();
                }
                // A backslash right before the end of the text: the reader drops it.
                if rng.chance(30) {
                    out.push('\\');
                }
            } else if rng.chance(5) {
                out.push_str("\0ignored by the C tools\n");
            }
            out
        })
}

// ----- edits ------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Edit {
    AddCluster(&'static str),
    RemoveCluster(&'static str),
    RenameCluster(&'static str, &'static str),
    SetMode(&'static str, HeartbeatMode),
    AddNode(&'static str, NewNode),
    RemoveNode(&'static str, &'static str),
    AddRegion(&'static str, &'static str),
    RemoveRegion(&'static str, &'static str),
    AddFilesystem(NewFilesystem),
    RemoveFilesystem(FsUuid),
    AddMember(FsUuid, NewMember),
    RemoveMember(FsUuid, &'static str),
}

fn uuid(i: usize) -> FsUuid {
    FS_UUIDS[i].parse().unwrap()
}

fn edit() -> impl Strategy<Value = Edit> {
    // One cluster name more than the files use, so that some additions succeed.
    let cluster = || select(vec!["alpha", "beta", "gamma", "delta", "web1", "zeta"]);
    let node = || select(NODES.to_vec());
    let region = || select(REGIONS.to_vec());
    let fs = || (0..FS_UUIDS.len()).prop_map(uuid);
    let mode = || prop_oneof![Just(HeartbeatMode::Local), Just(HeartbeatMode::Global)];
    prop_oneof![
        cluster().prop_map(Edit::AddCluster),
        cluster().prop_map(Edit::RemoveCluster),
        (cluster(), cluster()).prop_map(|(a, b)| Edit::RenameCluster(a, b)),
        (cluster(), mode()).prop_map(|(c, m)| Edit::SetMode(c, m)),
        (cluster(), node(), 0u32..255, ip(), 1u32..65535).prop_map(|(c, n, number, ip, port)| {
            Edit::AddNode(
                c,
                NewNode {
                    name: n.into(),
                    number,
                    ip_address: ip,
                    ip_port: port,
                },
            )
        }),
        (cluster(), node()).prop_map(|(c, n)| Edit::RemoveNode(c, n)),
        (cluster(), region()).prop_map(|(c, r)| Edit::AddRegion(c, r)),
        (cluster(), region()).prop_map(|(c, r)| Edit::RemoveRegion(c, r)),
        (
            fs(),
            cluster(),
            prop::option::of(select(vec!["data", "logs"])),
            prop::option::of(1u16..=255)
        )
            .prop_map(
                |(uuid, c, label, slots)| Edit::AddFilesystem(NewFilesystem {
                    uuid,
                    cluster: c.into(),
                    label: label.map(BString::from),
                    slots,
                })
            ),
        fs().prop_map(Edit::RemoveFilesystem),
        (
            fs(),
            node(),
            prop::option::of(0u16..=254),
            prop::option::of(ip()),
            prop::option::of(1u16..=65534)
        )
            .prop_map(|(f, n, slot, ip, port)| Edit::AddMember(
                f,
                NewMember {
                    node: n.into(),
                    slot,
                    ip_address: ip,
                    ip_port: port,
                }
            )),
        (fs(), node()).prop_map(|(f, n)| Edit::RemoveMember(f, n)),
    ]
}

/// The pool entry spelled `name` (every generated name comes from a pool).
fn pooled(pool: &[&'static str], name: &[u8]) -> &'static str {
    pool.iter()
        .find(|p| p.as_bytes() == name)
        .expect("generated names come from the pools")
}

/// The edit retargeted at things the configuration has, picked by `at`, so that most edits
/// succeed (an edit built from the pools alone mostly names things that do not exist).
fn aimed(edit: &Edit, c: &Config, at: Index) -> Edit {
    let cluster_pool = ["alpha", "beta", "gamma", "delta", "web1", "zeta"];
    let Some(cl) = (!c.clusters.is_empty()).then(|| at.get(&c.clusters)) else {
        return edit.clone();
    };
    let cname = pooled(&cluster_pool, &cl.name);
    let fs = (!c.filesystems.is_empty()).then(|| at.get(&c.filesystems));
    let node = (!cl.nodes.is_empty()).then(|| pooled(&NODES, &at.get(&cl.nodes).name));
    let region = (!cl.regions.is_empty()).then(|| pooled(&REGIONS, &at.get(&cl.regions).region));
    match edit.clone() {
        Edit::RemoveCluster(_) => Edit::RemoveCluster(cname),
        Edit::RenameCluster(_, new) => Edit::RenameCluster(cname, new),
        Edit::SetMode(_, m) => Edit::SetMode(cname, m),
        Edit::AddNode(_, n) => Edit::AddNode(cname, n),
        Edit::RemoveNode(_, n) => Edit::RemoveNode(cname, node.unwrap_or(n)),
        Edit::AddRegion(_, r) => Edit::AddRegion(cname, r),
        Edit::RemoveRegion(_, r) => Edit::RemoveRegion(cname, region.unwrap_or(r)),
        Edit::AddFilesystem(mut f) => {
            f.cluster = cname.into();
            Edit::AddFilesystem(f)
        }
        Edit::RemoveFilesystem(u) => Edit::RemoveFilesystem(fs.map_or(u, |f| f.uuid)),
        Edit::AddMember(u, m) => Edit::AddMember(fs.map_or(u, |f| f.uuid), m),
        Edit::RemoveMember(u, n) => match fs {
            Some(f) if !f.members.is_empty() => {
                Edit::RemoveMember(f.uuid, pooled(&NODES, &at.get(&f.members).node))
            }
            _ => Edit::RemoveMember(u, n),
        },
        other => other,
    }
}

/// Edits, four in five of them aimed at what the file has when they are applied.
fn edits() -> impl Strategy<Value = Vec<(Edit, Option<Index>)>> {
    prop::collection::vec((edit(), prop::option::weighted(0.8, any::<Index>())), 1..5)
}

fn apply(doc: &mut Document, edit: &Edit) -> Result<(), EditError> {
    match edit {
        Edit::AddCluster(c) => doc.add_cluster(c.as_bytes()),
        Edit::RemoveCluster(c) => doc.remove_cluster(c.as_bytes()),
        Edit::RenameCluster(a, b) => doc.rename_cluster(a.as_bytes(), b.as_bytes()),
        Edit::SetMode(c, m) => doc.set_heartbeat_mode(c.as_bytes(), *m),
        Edit::AddNode(c, n) => doc.add_node(c.as_bytes(), n),
        Edit::RemoveNode(c, n) => doc.remove_node(c.as_bytes(), n.as_bytes()),
        Edit::AddRegion(c, r) => doc.add_heartbeat_region(c.as_bytes(), r.as_bytes()),
        Edit::RemoveRegion(c, r) => doc.remove_heartbeat_region(c.as_bytes(), r.as_bytes()),
        Edit::AddFilesystem(f) => doc.add_filesystem(f),
        Edit::RemoveFilesystem(u) => doc.remove_filesystem(*u),
        Edit::AddMember(u, m) => doc.add_filesystem_member(*u, m),
        Edit::RemoveMember(u, n) => doc.remove_filesystem_member(*u, n.as_bytes()),
    }
}

/// The edit applied to the model by hand: what the edited file must mean, or `None` when
/// the edit must be refused.
fn expected(before: &Config, edit: &Edit) -> Option<Config> {
    let mut c = before.clone();
    let new_id = StanzaId(usize::MAX);
    let ci = |c: &Config, name: &str| c.clusters.iter().position(|x| x.name == name);
    let fi = |c: &Config, u: FsUuid| c.filesystems.iter().position(|f| f.uuid == u);
    match edit {
        Edit::AddCluster(name) => {
            if ci(&c, name).is_some() {
                return None;
            }
            c.clusters.push(cluster_conf::Cluster {
                name: (*name).into(),
                heartbeat_mode: HeartbeatMode::Local,
                node_count: 0,
                nodes: Vec::new(),
                regions: Vec::new(),
                stanza: new_id,
            });
        }
        Edit::RemoveCluster(name) => {
            c.clusters.remove(ci(&c, name)?);
            c.filesystems.retain(|f| f.cluster != *name);
        }
        Edit::RenameCluster(old, new) => {
            if old == new {
                return Some(c);
            }
            if ci(&c, new).is_some() {
                return None;
            }
            let i = ci(&c, old)?;
            c.clusters[i].name = (*new).into();
            for f in &mut c.filesystems {
                if f.cluster == *old {
                    f.cluster = (*new).into();
                }
            }
        }
        Edit::SetMode(name, mode) => {
            let i = ci(&c, name)?;
            c.clusters[i].heartbeat_mode = *mode;
        }
        Edit::AddNode(name, node) => {
            let i = ci(&c, name)?;
            let cl = &mut c.clusters[i];
            if cl.node(&node.name).is_some() {
                return None;
            }
            cl.nodes.push(cluster_conf::Node {
                name: node.name.clone(),
                number: node.number,
                ip_address: node.ip_address,
                ip_port: node.ip_port,
                stanza: new_id,
            });
            cl.node_count = cl.node_count.saturating_add(1);
        }
        Edit::RemoveNode(name, node) => {
            let i = ci(&c, name)?;
            let cl = &mut c.clusters[i];
            let at = cl.nodes.iter().position(|n| n.name == *node)?;
            cl.nodes.remove(at);
            cl.node_count = cl.node_count.saturating_sub(1);
            for f in c.filesystems.iter_mut().filter(|f| f.cluster == *name) {
                f.members.retain(|m| m.node != *node);
            }
        }
        Edit::AddRegion(name, region) => {
            let i = ci(&c, name)?;
            let cl = &mut c.clusters[i];
            if cl.region(region.as_bytes()).is_some() {
                return None;
            }
            cl.regions.push(cluster_conf::HeartbeatRegion {
                region: (*region).into(),
                stanza: new_id,
            });
        }
        Edit::RemoveRegion(name, region) => {
            let i = ci(&c, name)?;
            let cl = &mut c.clusters[i];
            let at = cl.regions.iter().position(|r| r.region == *region)?;
            cl.regions.remove(at);
        }
        Edit::AddFilesystem(fs) => {
            ci(&c, fs.cluster.to_str().unwrap())?;
            if fi(&c, fs.uuid).is_some() {
                return None;
            }
            c.filesystems.push(cluster_conf::Filesystem {
                uuid: fs.uuid,
                cluster: fs.cluster.clone(),
                label: fs.label.clone(),
                slots: fs.slots,
                members: Vec::new(),
                stanza: new_id,
            });
        }
        Edit::RemoveFilesystem(u) => {
            c.filesystems.remove(fi(&c, *u)?);
        }
        Edit::AddMember(u, m) => {
            let i = fi(&c, *u)?;
            let f = &mut c.filesystems[i];
            if f.member(&m.node).is_some() {
                return None;
            }
            f.members.push(cluster_conf::FilesystemMember {
                node: m.node.clone(),
                slot: m.slot,
                ip_address: m.ip_address,
                ip_port: m.ip_port,
                stanza: new_id,
            });
        }
        Edit::RemoveMember(u, node) => {
            let i = fi(&c, *u)?;
            let f = &mut c.filesystems[i];
            let at = f.members.iter().position(|m| m.node == *node)?;
            f.members.remove(at);
        }
    }
    Some(c)
}

/// The stanzas an edit may change in one version of the document: those it removes or
/// inserts whole, and the keys it sets in others.
#[derive(Debug, Default)]
struct Touched {
    whole: Vec<StanzaId>,
    keys: Vec<(StanzaId, &'static str)>,
}

/// What the edit touches in the document before it (`after == false`) or after it.
fn touched(doc: &Document, edit: &Edit, after: bool) -> Touched {
    let c = doc.config();
    let cluster = |name: &str| c.cluster(name.as_bytes()).expect("the cluster exists");
    let mut t = Touched::default();
    match edit {
        Edit::AddCluster(name) if after => t.whole.push(cluster(name).stanza),
        Edit::RemoveCluster(name) if !after => {
            let cl = cluster(name);
            t.whole.push(cl.stanza);
            t.whole.extend(cl.nodes.iter().map(|n| n.stanza));
            t.whole.extend(cl.regions.iter().map(|r| r.stanza));
            for f in c.filesystems.iter().filter(|f| f.cluster == *name) {
                t.whole.push(f.stanza);
                t.whole.extend(f.members.iter().map(|m| m.stanza));
            }
        }
        Edit::RenameCluster(old, new) if old != new => {
            let name = if after { new } else { old };
            let cl = cluster(name);
            t.keys.push((cl.stanza, "name"));
            for id in cl
                .nodes
                .iter()
                .map(|n| n.stanza)
                .chain(cl.regions.iter().map(|r| r.stanza))
                .chain(
                    c.filesystems
                        .iter()
                        .filter(|f| f.cluster == **name)
                        .map(|f| f.stanza),
                )
            {
                t.keys.push((id, "cluster"));
            }
        }
        Edit::SetMode(name, _) => t.keys.push((cluster(name).stanza, "heartbeat_mode")),
        Edit::AddNode(name, node) => {
            let cl = cluster(name);
            t.keys.push((cl.stanza, "node_count"));
            if after {
                t.whole.push(cl.node(&node.name).unwrap().stanza);
            }
        }
        Edit::RemoveNode(name, node) => {
            let cl = cluster(name);
            t.keys.push((cl.stanza, "node_count"));
            if !after {
                t.whole.push(cl.node(node.as_bytes()).unwrap().stanza);
                for f in c.filesystems.iter().filter(|f| f.cluster == *name) {
                    t.whole.extend(f.member(node.as_bytes()).map(|m| m.stanza));
                }
            }
        }
        Edit::AddRegion(name, region) if after => t
            .whole
            .push(cluster(name).region(region.as_bytes()).unwrap().stanza),
        Edit::RemoveRegion(name, region) if !after => t
            .whole
            .push(cluster(name).region(region.as_bytes()).unwrap().stanza),
        Edit::AddFilesystem(fs) if after => t.whole.push(c.filesystem(fs.uuid).unwrap().stanza),
        Edit::RemoveFilesystem(u) if !after => {
            let f = c.filesystem(*u).unwrap();
            t.whole.push(f.stanza);
            t.whole.extend(f.members.iter().map(|m| m.stanza));
        }
        Edit::AddMember(u, m) if after => t
            .whole
            .push(c.filesystem(*u).unwrap().member(&m.node).unwrap().stanza),
        Edit::RemoveMember(u, node) if !after => t.whole.push(
            c.filesystem(*u)
                .unwrap()
                .member(node.as_bytes())
                .unwrap()
                .stanza,
        ),
        _ => {}
    }
    t
}

/// The lines of a document outside what an edit touches: every line except those of whole
/// stanzas (with the blank line right after each), and the line holding the effective value
/// of each key that is set. A removed stanza (`removed`) keeps its comment lines, and then
/// its blank line. With `drop_blank_before`, also the blank line right before each whole
/// stanza (an inserted stanza brings one when the line above it is not blank).
fn untouched_lines<'a>(
    doc: &'a Document,
    t: &Touched,
    drop_blank_before: bool,
    removed: bool,
) -> Vec<&'a [u8]> {
    let text = doc.text();
    let tree = doc.tree();
    let lines = SyntaxTree::lines(text);
    let mut skip = vec![false; lines.len()];
    let index_of = |offset: u32| lines.iter().position(|l| l.span.start == offset);
    for id in &t.whole {
        let s = tree.stanza(text, id.0);
        let inside: Vec<usize> = (0..lines.len())
            .filter(|&i| s.first <= lines[i].span.start && lines[i].span.start < s.end)
            .collect();
        let comments = inside.iter().any(|&i| lines[i].kind == LineKind::Comment);
        for &i in &inside {
            if !(removed && lines[i].kind == LineKind::Comment) {
                skip[i] = true;
            }
        }
        if !(removed && comments) {
            if let Some(i) = index_of(s.end).filter(|&i| lines[i].kind == LineKind::Blank) {
                skip[i] = true;
            }
        }
        if drop_blank_before {
            if let Some(i) = lines.iter().position(|l| l.span.end == s.first) {
                if lines[i].kind == LineKind::Blank {
                    skip[i] = true;
                }
            }
        }
    }
    for (id, key) in &t.keys {
        let last = tree
            .stanza(text, id.0)
            .attributes
            .rev()
            .find(|&a| &text[tree.attribute_key(text, a).range()] == key.as_bytes());
        if let Some(a) = last {
            skip[index_of(tree.attribute(text, a).line.start).unwrap()] = true;
        }
    }
    lines
        .iter()
        .zip(skip)
        .filter(|(_, skip)| !skip)
        .map(|(l, _)| &text[l.span.range()])
        .collect()
}

/// Whether two runs of lines are the same, allowing a line that ended the old text without
/// a line feed to have gained one (something was appended after it), or two when it ends in
/// a backslash (the first line feed continues the value, the second ends it).
fn same_lines(old: &[&[u8]], new: &[&[u8]]) -> bool {
    old.len() == new.len()
        && old.iter().zip(new).all(|(o, n)| {
            let gained = |ending: &[u8]| n.strip_suffix(ending) == Some(o);
            o == n || (!o.ends_with(b"\n") && (gained(b"\n") || gained(b"\n\n")))
        })
}

/// Applies an edit to a copy of `before` and checks it against the model and against the
/// bytes of `before`. Returns the edited document.
fn check_edit(before: &Document, edit: &Edit) -> Result<Document, TestCaseError> {
    let want = expected(before.config(), edit);
    let mut after = before.clone();
    let result = apply(&mut after, edit);
    let Some(want) = want else {
        prop_assert!(result.is_err(), "{edit:?} must be refused");
        prop_assert_eq!(
            after.text(),
            before.text(),
            "a refused edit changes nothing"
        );
        return Ok(after);
    };
    prop_assert!(result.is_ok(), "{:?} refused: {:?}", edit, result);
    prop_assert_eq!(
        meaning(after.config()),
        meaning(&want),
        "the file means what the edit says"
    );
    prop_assert!(
        !after.has_classic_or_extension_errors(),
        "the edit made the file invalid:\n{}",
        after.render_diagnostics("after", |s| s.is_error())
    );
    let old = untouched_lines(before, &touched(before, edit, false), false, true);
    let t_new = touched(&after, edit, true);
    let kept = same_lines(&old, &untouched_lines(&after, &t_new, false, false))
        || same_lines(&old, &untouched_lines(&after, &t_new, true, false));
    prop_assert!(
        kept,
        "{:?} changed bytes outside its stanzas:\n--- before\n{}\n--- after\n{}",
        edit,
        before.text().as_bstr(),
        after.text().as_bstr()
    );
    Ok(after)
}

// ----- "almost valid" files -----------------------------------------------------------------

/// Pieces of a cluster.conf, most of them valid, some of them broken in the ways people and
/// tools break these files.
fn almost_valid_file() -> impl Strategy<Value = Vec<u8>> {
    let stanza = (valid_file(), any::<bool>()).prop_map(|(text, crlf)| {
        if crlf {
            text.replace('\n', "\r\n").into_bytes()
        } else {
            text.into_bytes()
        }
    });
    let piece = prop_oneof![
        4 => stanza,
        2 => "#[ -~]{0,20}\n".prop_map(String::into_bytes),
        2 => prop_oneof![Just("\n"), Just("  \n"), Just("\t\n"), Just("\r\n")]
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..12)
            .prop_map(|mut v| { v.push(b'\n'); v }),
        1 => "[ \t]{1,3}(#|=|-)[ -~]{0,10}\n".prop_map(String::into_bytes),
        1 => "[ \t][a-z_]{1,8}[ \t]*= ?[a-z0-9 ]{0,6}(\\\\\n[ \t]?[a-z]{0,4}){1,3}\n"
            .prop_map(String::into_bytes),
        1 => "[ \t][a-z_]{1,8}[ \t]*(:|[ \t][a-z]+)?[ -~]{0,5}\n".prop_map(String::into_bytes),
        1 => "(cluster|node|heartbeat|filesystem|[a-z]{1,6})( :|:[ \t]*x| |\r)?\n"
            .prop_map(String::into_bytes),
        1 => Just(b"\tname = a\\".to_vec()),
        // Values the model holds with line feeds in them (continuations) and odd spacing.
        1 => "cluster:\n\tname = [a-c](\\\\\n[ \t]?[a-c]{0,2}){0,2}[ \t]*\n\tnode_count = [0-9]\n"
            .prop_map(String::into_bytes),
        1 => "cluster:\n\tname = a\n\tnode_count = 1\n".prop_map(String::into_bytes),
        2 => "node:\n\tcluster = a\n\tname = [a-z]{1,3}(\\\\\n[a-z #]{0,3}){0,2}\n\tnumber = [0-9]{1,3}\n\tip_address = 10\\.0\\.0\\.[1-9]\n\tip_port = 7777\n"
            .prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(|mut v| { v.insert(0, 0); v }),
    ];
    (prop::collection::vec(piece, 0..8), any::<bool>()).prop_map(|(pieces, trim)| {
        let mut text = pieces.concat();
        if trim && text.ends_with(b"\n") {
            text.pop();
        }
        text
    })
}

/// Bytes drawn mostly from the ones the grammar cares about.
fn grammar_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => select(b"\n\t :=#\\\r\0_".to_vec()),
        3 => b'a'..=b'z',
        1 => b'0'..=b'9',
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..400)
}

// ----- the properties ---------------------------------------------------------------------

/// `n` cases, or as many as `PROPTEST_CASES` says (for long runs outside CI).
fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig::with_cases(n)
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_bytes_round_trip(text in prop::collection::vec(any::<u8>(), 0..600)) {
        assert_parse_invariants(&text);
    }

    #[test]
    fn grammar_bytes_round_trip(text in grammar_bytes()) {
        assert_parse_invariants(&text);
    }

    #[test]
    fn almost_valid_files_round_trip(text in almost_valid_file()) {
        assert_parse_invariants(&text);
    }
}

proptest! {
    #![proptest_config(cases(2048))]

    /// `inet_pton(AF_INET)` accepts exactly what Rust's own parser does: four decimal octets
    /// up to 255, no leading zeros, nothing else.
    #[test]
    fn inet_pton_agrees_with_std(text in "[0-9.]{0,16}|[0-9]{1,3}(\\.[0-9]{1,4}){3}|.{0,16}") {
        prop_assert_eq!(
            cluster_conf::values::parse_inet_pton(text.as_bytes()),
            text.parse::<Ipv4Addr>().ok()
        );
    }
}

/// Whether `write_canonical` can say this configuration at all: the C writer escapes only
/// line feeds, so a value that ends in an unescaped backslash turns the line feed after it
/// into a continuation (the C tools corrupt such a value the same way when they rewrite the
/// file; see `value_ending_in_a_backslash_is_rewritten_as_the_c_tools_do`).
fn writable(c: &Config) -> bool {
    let odd_backslashes = |v: &[u8]| v.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1;
    c.clusters.iter().all(|cl| {
        !odd_backslashes(&cl.name)
            && cl.nodes.iter().all(|n| !odd_backslashes(&n.name))
            && cl.regions.iter().all(|r| !odd_backslashes(&r.region))
    }) && c.filesystems.iter().all(|f| {
        !odd_backslashes(&f.cluster)
            && f.label.as_deref().is_none_or(|l| !odd_backslashes(l))
            && f.members.iter().all(|m| !odd_backslashes(&m.node))
    })
}

fn assert_canonical_fixed_point(text: &[u8]) {
    let doc = Document::parse(text.to_vec());
    if !writable(doc.config()) {
        return;
    }
    let canonical = write_canonical(doc.config());
    let again = Document::parse(canonical.clone());
    assert_eq!(
        meaning(again.config()),
        meaning(doc.config()),
        "{:?}",
        text.as_bstr()
    );
    assert!(
        !again.has_classic_or_extension_errors(),
        "{}",
        again.render_diagnostics("canonical", |_| true)
    );
    assert!(again.is_canonical());
    assert_eq!(write_canonical(again.config()), canonical);
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn parse_write_canonical_parse_is_a_fixed_point(text in almost_valid_file()) {
        assert_canonical_fixed_point(&text);
    }

    #[test]
    fn parse_write_canonical_parse_is_a_fixed_point_for_grammar_bytes(text in grammar_bytes()) {
        assert_canonical_fixed_point(&text);
    }
}

proptest! {
    #![proptest_config(cases(384))]

    #[test]
    fn generated_files_are_valid_and_not_canonical(text in valid_file()) {
        let doc = assert_parse_invariants(text.as_bytes());
        prop_assert!(!doc.has_classic_or_extension_errors(), "{}\n{}", text, doc.render_diagnostics("gen", |_| true));
        prop_assert!(!doc.is_canonical());
    }

    #[test]
    fn edits_keep_every_byte_outside_the_stanzas_they_change(
        text in valid_file(),
        edits in edits(),
    ) {
        let mut doc = Document::parse(text);
        for (edit, aim) in &edits {
            let edit = aim.map_or_else(|| edit.clone(), |at| aimed(edit, doc.config(), at));
            doc = check_edit(&doc, &edit)?;
            assert_parse_invariants(doc.text());
        }
    }

    #[test]
    fn edits_of_canonical_files_give_the_canonical_file_of_the_result(
        text in valid_file(),
        edits in edits(),
    ) {
        let mut doc = Document::parse(write_canonical(Document::parse(text).config()));
        prop_assert!(doc.is_canonical());
        for (edit, aim) in &edits {
            let edit = &aim.map_or_else(|| edit.clone(), |at| aimed(edit, doc.config(), at));
            let want = expected(doc.config(), edit);
            let result = apply(&mut doc, edit);
            prop_assert_eq!(result.is_ok(), want.is_some(), "{:?}", edit);
            if let Some(want) = want {
                let canonical = write_canonical(&want);
                prop_assert_eq!(doc.text().as_bstr(), canonical.as_bstr(), "{:?}", edit);
                prop_assert!(doc.is_canonical());
            }
        }
    }
}

/// The one thing the canonical writer cannot say: a value ending in a backslash (possible
/// when a backslash was followed by blanks that the reader trims). The C writer escapes only
/// line feeds, so its `name = a\` line continues into the next one. We write the same bytes
/// (the canonical form must be byte-identical to the C tools'), and the next read joins the
/// two lines, as it would for the C tools.
#[test]
fn value_ending_in_a_backslash_is_rewritten_as_the_c_tools_do() {
    let doc = Document::parse(&b"cluster:\n\tname = a\\ \n\tnode_count = 0\n"[..]);
    assert_eq!(doc.config().clusters[0].name, "a\\");
    let canonical = write_canonical(doc.config());
    assert_eq!(
        canonical.as_bstr(),
        "cluster:\n\tname = a\\\n\theartbeat_mode = local\n\tnode_count = 0\n\n"
    );
    let again = Document::parse(canonical);
    assert_eq!(
        again.config().clusters[0].name,
        "a\n\theartbeat_mode = local"
    );
    assert!(!writable(doc.config()));
}

// ----- values the file format can and cannot carry -------------------------------------------

/// Value bytes, mostly the ones the grammar gives a meaning to.
fn value_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => select(b"\\\n\0 \t\r\x0b\x0c#=:".to_vec()),
        4 => b'a'..=b'z',
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..12)
}

/// Which edit writes the value, and where the value must then be read.
#[derive(Clone, Copy, Debug)]
enum Writes {
    AddCluster,
    RenameCluster,
    AddNode,
    AddRegion,
    AddLabel,
    AddMember,
}

fn writes() -> impl Strategy<Value = Writes> {
    select(vec![
        Writes::AddCluster,
        Writes::RenameCluster,
        Writes::AddNode,
        Writes::AddRegion,
        Writes::AddLabel,
        Writes::AddMember,
    ])
}

/// Writes `value` with one edit; returns the edit's result and the value as it must read
/// back, found in the edited model where that edit puts it.
fn write_value(doc: &mut Document, what: Writes, value: &[u8]) -> Result<Vec<u8>, EditError> {
    let uuid = uuid(3);
    let read = |doc: &Document, f: &dyn Fn(&Config) -> Option<Vec<u8>>| {
        f(doc.config()).expect("the value is where the edit put it")
    };
    match what {
        Writes::AddCluster => {
            doc.add_cluster(value)?;
            Ok(read(doc, &|c| c.clusters.last().map(|c| c.name.to_vec())))
        }
        Writes::RenameCluster => {
            let first = doc.config().clusters[0].name.clone();
            doc.rename_cluster(&first, value)?;
            Ok(read(doc, &|c| c.clusters.first().map(|c| c.name.to_vec())))
        }
        Writes::AddNode => {
            let node = NewNode {
                name: value.into(),
                number: 200,
                ip_address: Ipv4Addr::new(10, 9, 9, 9),
                ip_port: 7777,
            };
            let cluster = doc.config().clusters[0].name.clone();
            doc.add_node(&cluster, &node)?;
            Ok(read(doc, &|c| {
                c.clusters[0].nodes.last().map(|n| n.name.to_vec())
            }))
        }
        Writes::AddRegion => {
            let cluster = doc.config().clusters[0].name.clone();
            doc.add_heartbeat_region(&cluster, value)?;
            Ok(read(doc, &|c| {
                c.clusters[0].regions.last().map(|r| r.region.to_vec())
            }))
        }
        Writes::AddLabel => {
            let cluster = doc.config().clusters[0].name.clone();
            doc.add_filesystem(&NewFilesystem {
                uuid,
                cluster,
                label: Some(value.into()),
                slots: None,
            })?;
            Ok(read(doc, &|c| {
                c.filesystem(uuid)
                    .and_then(|f| f.label.as_ref().map(|l| l.to_vec()))
            }))
        }
        Writes::AddMember => {
            // The filesystem was added by `check_value_edit` beforehand.
            doc.add_filesystem_member(
                uuid,
                &NewMember {
                    node: value.into(),
                    slot: None,
                    ip_address: None,
                    ip_port: None,
                },
            )?;
            Ok(read(doc, &|c| {
                c.filesystem(uuid)
                    .and_then(|f| f.members.last().map(|m| m.node.to_vec()))
            }))
        }
    }
}

/// For any bytes: an edit that writes them either refuses them — as unrepresentable exactly
/// when `value_problem` says so, or for a reason of the model (an empty name, a name in
/// use), leaving the text as it was — or the edited file reads back as the value's meaning,
/// where the edit put it, with nothing else changed (the edit's own check) and no error.
fn check_value_edit(text: &[u8], what: Writes, value: &[u8]) -> Result<(), TestCaseError> {
    let mut before = Document::parse(text.to_vec());
    prop_assume!(!before.has_classic_or_extension_errors() && !before.config().clusters.is_empty());
    if let Writes::AddMember = what {
        let cluster = before.config().clusters[0].name.clone();
        let added = before.add_filesystem(&NewFilesystem {
            uuid: uuid(3),
            cluster,
            label: None,
            slots: None,
        });
        prop_assume!(added.is_ok());
    }
    let mut doc = before.clone();
    let problem = cluster_conf::value_problem(value);
    match write_value(&mut doc, what, value) {
        Ok(read) => {
            prop_assert!(
                problem.is_none(),
                "{:?} accepted: {:?}",
                value.as_bstr(),
                problem
            );
            prop_assert_eq!(read.as_bstr(), cluster_conf::meaning(value).as_bstr());
            prop_assert!(!doc.has_classic_or_extension_errors());
            // What is read back is what a fresh read of the bytes gives.
            let again = Document::parse(doc.text().to_vec());
            prop_assert_eq!(meaning_of(again.config()), meaning_of(doc.config()));
        }
        Err(e) => {
            prop_assert_eq!(doc.text(), before.text(), "a refused edit changes nothing");
            match e {
                EditError::Unrepresentable { problem: p, .. } => {
                    prop_assert_eq!(Some(p), problem)
                }
                EditError::NotReadBack(why) => {
                    return Err(TestCaseError::fail(format!(
                        "{:?} did not read back: {why}",
                        value.as_bstr()
                    )))
                }
                _ => prop_assert!(
                    problem.is_none(),
                    "{:?} refused with {} instead of {:?}",
                    value.as_bstr(),
                    e,
                    problem
                ),
            }
        }
    }
    Ok(())
}

fn meaning_of(c: &Config) -> (Vec<ClusterMeaning>, Vec<FsMeaning>) {
    meaning(c)
}

proptest! {
    #![proptest_config(cases(1024))]

    /// Any bytes written as a value: refused exactly when the format cannot carry them,
    /// otherwise read back as their meaning.
    #[test]
    fn any_value_is_refused_or_reads_back_as_its_meaning(
        text in valid_file(),
        canonical in any::<bool>(),
        what in writes(),
        value in value_bytes(),
    ) {
        let text = if canonical {
            write_canonical(Document::parse(text).config())
        } else {
            text.into_bytes()
        };
        check_value_edit(&text, what, &value)?;
    }

    /// The reader's side of the same contract: `key = value` as the writer spells it reads
    /// back as the value's meaning, for any value `value_problem` accepts, at the end of the
    /// text or before more lines.
    #[test]
    fn representable_values_read_back_as_their_meaning(
        value in value_bytes().prop_map(|mut v| {
            // Made representable: no line feed or NUL, an even run of final backslashes.
            v.retain(|&b| b != b'\n' && b != 0);
            if v.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1 {
                v.push(b'\\');
            }
            v
        }),
        at_end in any::<bool>(),
    ) {
        prop_assert!(cluster_conf::value_problem(&value).is_none());
        let mut text = b"x:\n\tk = ".to_vec();
        text.extend_from_slice(&value);
        if !at_end {
            text.extend_from_slice(b"\n\tother = 1\n");
        }
        let doc = Document::parse(text.clone());
        let tree = doc.tree();
        prop_assert_eq!(tree.attribute_count(), if at_end { 1 } else { 2 });
        let raw = &text[tree.attribute(&text, 0).value.range()];
        let read = cluster_conf::syntax::read_value(raw).into_owned();
        prop_assert_eq!(read.as_bstr(), cluster_conf::meaning(&value).as_bstr());
    }
}
