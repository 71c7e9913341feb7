//! The meaning of a cluster.conf: clusters, nodes, heartbeat regions and the per-filesystem
//! stanzas, lowered from the syntax tree with the reference's rules
//! (docs/ocfs2-tools-reference.md §1.5) and the extension's (docs/per-filesystem.md).

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::marker::PhantomData;
use std::net::Ipv4Addr;

use bstr::{BStr, BString, ByteSlice};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::damage::Damage;
use crate::diagnostic::{Diagnostic, Sink};
use crate::names::{NameKind, NameRefusal};
use crate::syntax::{read_value, Span, SyntaxTree};
use crate::values::{parse_c_ulong, parse_inet_pton, FsUuid, HeartbeatMode, NumberError};

/// Index of a stanza in the document it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StanzaId(pub usize);

/// Everything cluster.conf says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// In file order.
    pub clusters: Vec<Cluster>,
    /// In file order.
    pub filesystems: Vec<Filesystem>,
}

impl Config {
    pub fn cluster(&self, name: &[u8]) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.name == name)
    }

    pub fn filesystem(&self, uuid: FsUuid) -> Option<&Filesystem> {
        self.filesystems.iter().find(|f| f.uuid == uuid)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub name: BString,
    pub heartbeat_mode: HeartbeatMode,
    /// The stored counter, not the number of nodes: the tools only add or subtract one.
    pub node_count: u32,
    /// In file order.
    pub nodes: Vec<Node>,
    /// In file order.
    pub regions: Vec<HeartbeatRegion>,
    pub stanza: StanzaId,
}

impl Cluster {
    pub fn node(&self, name: &[u8]) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    pub fn region(&self, region: &[u8]) -> Option<&HeartbeatRegion> {
        self.regions.iter().find(|r| r.region == region)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: BString,
    pub number: u32,
    pub ip_address: Ipv4Addr,
    /// Not range-checked by the file format: the kernel refuses 0 and ≥ 65535 later.
    pub ip_port: u32,
    pub stanza: StanzaId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatRegion {
    /// Meant to be a volume UUID in upper-case hex, but any string is accepted.
    pub region: BString,
    pub stanza: StanzaId,
}

/// A `filesystem:` stanza: one OCFS2 volume run as its own cluster (docs/per-filesystem.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filesystem {
    pub uuid: FsUuid,
    pub cluster: BString,
    pub label: Option<BString>,
    /// Number of node slots; when absent it comes from the superblock.
    pub slots: Option<u16>,
    /// The `filesystem_node:` stanzas naming this filesystem, in file order. Empty means
    /// every node of the cluster may mount it.
    pub members: Vec<FilesystemMember>,
    pub stanza: StanzaId,
}

impl Filesystem {
    pub fn member(&self, node: &[u8]) -> Option<&FilesystemMember> {
        self.members.iter().find(|m| m.node == node)
    }
}

/// A `filesystem_node:` stanza: a node's membership in a filesystem and its overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilesystemMember {
    pub node: BString,
    pub slot: Option<u16>,
    pub ip_address: Option<Ipv4Addr>,
    pub ip_port: Option<u16>,
    pub stanza: StanzaId,
}

/// Largest node number the file format accepts (the reference refuses 2147483647 and up).
const MAX_FILE_NODE_NUMBER: u64 = 2_147_483_646;
/// The kernel's limits (reference §5.2, §5.3).
pub const MAX_KERNEL_NODE_NUMBER: u32 = 254;
pub const MAX_GLOBAL_REGIONS: usize = 32;

const KNOWN_STANZAS: [&str; 5] = [
    "cluster",
    "node",
    "heartbeat",
    "filesystem",
    "filesystem_node",
];
pub(crate) const FILESYSTEM_KEYS: [&str; 4] = ["uuid", "cluster", "label", "slots"];
pub(crate) const FILESYSTEM_NODE_KEYS: [&str; 5] =
    ["filesystem", "node", "slot", "ip_address", "ip_port"];

/// The keys a classic stanza knows. Recognising a key is a `match` on its bytes, and looking
/// one up an array index: comparing the key against a list of names (and looking up by name)
/// was a tenth of the lowering.
trait StanzaKey: Copy {
    /// Every key, each at its [`StanzaKey::index`].
    const NAMES: &'static [&'static str];
    /// Which known key `key` is.
    fn find(key: &[u8]) -> Option<Self>;
    fn index(self) -> usize;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClusterKey {
    Name,
    HeartbeatMode,
    NodeCount,
}

impl StanzaKey for ClusterKey {
    const NAMES: &'static [&'static str] = &["name", "heartbeat_mode", "node_count"];

    fn find(key: &[u8]) -> Option<Self> {
        Some(match key {
            b"name" => ClusterKey::Name,
            b"heartbeat_mode" => ClusterKey::HeartbeatMode,
            b"node_count" => ClusterKey::NodeCount,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeKey {
    Name,
    Cluster,
    Number,
    IpAddress,
    IpPort,
}

impl StanzaKey for NodeKey {
    const NAMES: &'static [&'static str] = &["name", "cluster", "number", "ip_address", "ip_port"];

    fn find(key: &[u8]) -> Option<Self> {
        Some(match key {
            b"name" => NodeKey::Name,
            b"cluster" => NodeKey::Cluster,
            b"number" => NodeKey::Number,
            b"ip_address" => NodeKey::IpAddress,
            b"ip_port" => NodeKey::IpPort,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeartbeatKey {
    Region,
    Cluster,
}

impl StanzaKey for HeartbeatKey {
    const NAMES: &'static [&'static str] = &["region", "cluster"];

    fn find(key: &[u8]) -> Option<Self> {
        Some(match key {
            b"region" => HeartbeatKey::Region,
            b"cluster" => HeartbeatKey::Cluster,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The most keys a classic stanza knows (`node:`).
const MAX_KNOWN_KEYS: usize = 5;

/// A stanza's attributes, looked up the way the reference does: the last duplicate wins and
/// values are read decoded and trimmed.
struct StanzaView<'a, K> {
    text: &'a [u8],
    tree: &'a SyntaxTree,
    id: StanzaId,
    /// The last occurrence of each known key (an attribute index): one pass over the
    /// attributes instead of one per key looked up.
    last: [Option<usize>; MAX_KNOWN_KEYS],
    /// Whether some attribute has a key that is not known.
    has_unknown: bool,
    damage: &'a Damage<'a>,
    keys: PhantomData<K>,
}

/// A value as read, with where it came from.
struct Value<'a> {
    bytes: Cow<'a, [u8]>,
    span: Span,
}

impl<'a, K: StanzaKey> StanzaView<'a, K> {
    fn new(
        text: &'a [u8],
        tree: &'a SyntaxTree,
        damage: &'a Damage<'a>,
        id: StanzaId,
    ) -> StanzaView<'a, K> {
        let mut last = [None; MAX_KNOWN_KEYS];
        let mut has_unknown = false;
        for a in tree.attributes_of(id.0) {
            match K::find(&text[tree.attribute_key(text, a).range()]) {
                Some(k) => last[k.index()] = Some(a),
                None => has_unknown = true,
            }
        }
        StanzaView {
            text,
            tree,
            id,
            last,
            has_unknown,
            damage,
            keys: PhantomData,
        }
    }

    fn header_span(&self) -> Span {
        self.tree.header_line(self.text, self.id.0)
    }

    /// Whether `key` is missing and a rejected line may have been it (see [`Damage`]).
    fn lost(&self, key: K) -> bool {
        self.last[key.index()].is_none() && self.damage.may_hide(self.id, K::NAMES[key.index()])
    }

    /// The value of a key (the last occurrence wins), decoded and trimmed.
    fn get(&self, key: K) -> Option<Value<'a>> {
        self.last[key.index()].map(|a| {
            let value = self.tree.attribute_value(a);
            Value {
                bytes: read_value(&self.text[value.range()]),
                span: self.value_span(a),
            }
        })
    }

    /// Where a key's value is, or the header when the key is missing.
    fn span_of(&self, key: K) -> Span {
        self.last[key.index()].map_or_else(|| self.header_span(), |a| self.value_span(a))
    }

    /// Points at an attribute's value, or at its key when the value is empty.
    fn value_span(&self, a: usize) -> Span {
        let value = self.tree.attribute_value(a);
        if value.is_empty() {
            self.tree.attribute_key(self.text, a)
        } else {
            value
        }
    }

    /// Warns about keys that look like misspellings of known ones (the reference silently
    /// ignores unknown keys, so a typo there simply vanishes).
    fn check_unknown_keys(&self, stanza_name: &str, out: &mut Sink) {
        if !self.has_unknown {
            return;
        }
        for a in self.tree.attributes_of(self.id.0) {
            let key_span = self.tree.attribute_key(self.text, a);
            let key = &self.text[key_span.range()];
            if K::find(key).is_some() {
                continue;
            }
            if let Some(suggestion) = near_miss(key, K::NAMES) {
                out.push(
                    Diagnostic::warning(
                        key_span,
                        format!(
                            "unknown key `{}` in {stanza_name} stanza is ignored",
                            key.as_bstr()
                        ),
                    )
                    .with_hint(format!(
                        "did you mean `{suggestion}`? keys are case-sensitive"
                    )),
                );
            }
        }
    }
}

/// A known word that `word` is probably a misspelling of: equal ignoring case, or one edit
/// away (for words long enough that one edit is not a different word).
fn near_miss<'k>(word: &[u8], known: &[&'k str]) -> Option<&'k str> {
    known.iter().copied().find(|k| {
        let k = k.as_bytes();
        k.eq_ignore_ascii_case(word) || (k.len() >= 4 && edit_distance_at_most_one(k, word))
    })
}

fn edit_distance_at_most_one(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix + 1.min(short.len() - prefix)..] == long[prefix + 1.min(long.len() - prefix)..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

fn number_problem(key: &str, value: &Value<'_>, e: NumberError, limit: &str) -> Diagnostic {
    match e {
        NumberError::Invalid if value.bytes.is_empty() => {
            Diagnostic::error(value.span, format!("`{key}` is empty"))
        }
        NumberError::Invalid => Diagnostic::error(
            value.span,
            format!(
                "`{key}` is not a decimal number: `{}`",
                value.bytes.as_bstr()
            ),
        ),
        NumberError::OutOfRange => Diagnostic::error(
            value.span,
            format!(
                "`{key}` is out of range: {} (at most {limit})",
                value.bytes.as_bstr()
            ),
        ),
    }
}

/// Reports that a stanza lacks `key`, unless a rejected line may have been it (that line's
/// error says what is wrong).
fn missing<K: StanzaKey>(
    view: &StanzaView<'_, K>,
    stanza: &str,
    key: K,
    hint: Option<&str>,
    diags: &mut Sink,
) {
    if view.lost(key) {
        return;
    }
    let mut d = Diagnostic::error(
        view.header_span(),
        format!("{stanza} stanza has no `{}`", K::NAMES[key.index()]),
    );
    if let Some(hint) = hint {
        d = d.with_hint(hint);
    }
    diags.push(d);
}

/// Lowers a syntax tree to the model, appending every problem to `diags`. Stanzas with
/// errors are left out of the model (or, for clusters, kept with defaults so that their
/// nodes are still checked).
///
/// Clusters are lowered as they come; the other stanzas name the cluster they belong to, so
/// they wait until every cluster is known.
pub(crate) fn lower(text: &[u8], tree: &SyntaxTree, diags: &mut Sink) -> (Config, UnreadNodes) {
    let lines = Lines::new(text);
    let damage = Damage::of(text, tree);
    let mut clusters = Clusters::default();
    let mut later = LaterStanzas::default();
    for i in 0..tree.stanza_count() {
        let id = StanzaId(i);
        let name_span = tree.stanza_name(text, i);
        match &text[name_span.range()] {
            b"cluster" => {
                let view = StanzaView::<ClusterKey>::new(text, tree, &damage, id);
                if let Some((cluster, name)) = lower_cluster(&view, diags) {
                    clusters.add(cluster, &name, tree, &lines, diags);
                } else if view.lost(ClusterKey::Name) {
                    clusters.lost = true;
                }
            }
            b"node" => later.nodes.push(id),
            b"heartbeat" => later.heartbeats.push(id),
            b"filesystem" => later.filesystems.push(id),
            b"filesystem_node" => later.filesystem_nodes.push(id),
            // A nameless stanza (`[node]`) may be any stanza: what it says of a node is
            // not known for sure.
            b"" => {
                let view = StanzaView::<NodeKey>::new(text, tree, &damage, id);
                let name = view.get(NodeKey::Name);
                clusters.unread.push(None, name.as_ref());
            }
            name => warn_misspelt_stanza(name, name_span, diags),
        }
    }
    for id in later.nodes {
        add_node(
            &mut clusters,
            &StanzaView::new(text, tree, &damage, id),
            &lines,
            diags,
        );
    }
    for id in later.heartbeats {
        add_region(
            &mut clusters,
            &StanzaView::new(text, tree, &damage, id),
            diags,
        );
    }
    warn_too_many_global_regions(text, tree, &clusters.list, diags);

    let filesystems = crate::extension::lower_filesystems(
        text,
        tree,
        &damage,
        &clusters.list,
        clusters.lost,
        (&later.filesystems, &later.filesystem_nodes),
        &lines,
        diags,
    );
    let config = Config {
        clusters: clusters.list,
        filesystems,
    };
    (config, clusters.unread)
}

/// Nodes a file may define that its model leaves out because their stanzas have errors, so
/// that a relation does not report them missing: by cluster and name, `None` for one that
/// cannot be read (which may be any).
#[derive(Clone, Debug, Default)]
pub(crate) struct UnreadNodes(Vec<(Option<BString>, Option<BString>)>);

impl UnreadNodes {
    fn push(&mut self, cluster: Option<BString>, name: Option<&Value<'_>>) {
        let name = name
            .filter(|v| !v.bytes.is_empty())
            .map(|v| BString::from(v.bytes.as_ref()));
        self.0.push((cluster, name));
    }

    /// Whether cluster `cluster` may have a node `node` the model left out.
    pub(crate) fn may_define(&self, cluster: &[u8], node: &[u8]) -> bool {
        self.0.iter().any(|(c, n)| {
            c.as_ref().is_none_or(|c| c == cluster) && n.as_ref().is_none_or(|n| n == node)
        })
    }
}

/// The stanzas that belong to a cluster or a filesystem, by kind, in file order.
#[derive(Default)]
struct LaterStanzas {
    nodes: Vec<StanzaId>,
    heartbeats: Vec<StanzaId>,
    filesystems: Vec<StanzaId>,
    filesystem_nodes: Vec<StanzaId>,
}

/// The reference ignores stanzas it does not know; one whose name is a near miss of a known
/// one is most likely a typo that silently loses the stanza.
fn warn_misspelt_stanza(name: &[u8], name_span: Span, diags: &mut Sink) {
    if name.is_empty() {
        return;
    }
    if let Some(known) = near_miss(name, &KNOWN_STANZAS) {
        diags.push(
            Diagnostic::warning(
                name_span,
                format!("unknown stanza `{}:` is ignored", name.as_bstr()),
            )
            .with_hint(format!(
                "did you mean `{known}:`? stanza names are case-sensitive"
            )),
        );
    }
}

/// The cluster a `cluster:` stanza describes, with its name as read (for the duplicate
/// check); `None` after reporting a missing name. A bad heartbeat mode or node count is
/// reported and replaced by a default, so that the cluster's nodes are still checked.
fn lower_cluster<'a>(
    view: &StanzaView<'a, ClusterKey>,
    diags: &mut Sink,
) -> Option<(Cluster, Value<'a>)> {
    view.check_unknown_keys("cluster", diags);
    let Some(name) = view.get(ClusterKey::Name) else {
        // The C tools only reach (and crash on) a nameless cluster in a file they parse.
        let syntax_clean = view.tree.problems() == 0;
        let hint = if syntax_clean {
            "add `name = <cluster name>` (the C tools crash on this file)"
        } else {
            "add `name = <cluster name>`"
        };
        missing(view, "cluster", ClusterKey::Name, Some(hint), diags);
        return None;
    };
    let cluster = Cluster {
        heartbeat_mode: heartbeat_mode_of(view, diags),
        node_count: node_count_of(view, diags),
        name: BString::from(name.bytes.as_ref()),
        nodes: Vec::new(),
        regions: Vec::new(),
        stanza: view.id,
    };
    Some((cluster, name))
}

/// The cluster's `heartbeat_mode`; local when it is missing or not a mode.
fn heartbeat_mode_of(view: &StanzaView<'_, ClusterKey>, diags: &mut Sink) -> HeartbeatMode {
    let Some(v) = view.get(ClusterKey::HeartbeatMode) else {
        return HeartbeatMode::Local;
    };
    HeartbeatMode::from_config(&v.bytes).unwrap_or_else(|| {
        diags.push(
            Diagnostic::error(
                v.span,
                format!("unknown heartbeat_mode `{}`", v.bytes.as_bstr()),
            )
            .with_hint("use `local` or `global`"),
        );
        HeartbeatMode::Local
    })
}

/// The cluster's stored `node_count`; 0 when it is missing or not a number.
fn node_count_of(view: &StanzaView<'_, ClusterKey>, diags: &mut Sink) -> u32 {
    match view.get(ClusterKey::NodeCount) {
        None => {
            missing(
                view,
                "cluster",
                ClusterKey::NodeCount,
                Some("add `node_count = <number of nodes>`"),
                diags,
            );
            0
        }
        Some(v) => match parse_c_ulong(&v.bytes, u64::from(u32::MAX)) {
            Ok(n) => n as u32,
            Err(e) => {
                diags.push(number_problem("node_count", &v, e, "4294967295"));
                0
            }
        },
    }
}

/// The clusters lowered so far, found by name, with what each one's stanzas have used.
#[derive(Default)]
struct Clusters<'a> {
    /// In file order.
    list: Vec<Cluster>,
    by_name: FxHashMap<BString, usize>,
    /// At the index of the cluster in `list`.
    seen: Vec<Seen<'a>>,
    /// The cluster found last: stanzas come grouped by cluster, so it is tried before the
    /// table.
    last_found: Option<usize>,
    /// Whether a cluster stanza's name may be on a rejected line: then a stanza naming a
    /// cluster that is not defined may name that one.
    lost: bool,
    /// Nodes left out of the model because their stanza has errors.
    unread: UnreadNodes,
}

impl<'a> Clusters<'a> {
    /// Adds a cluster unless one of its name is already there (reported, with the line of
    /// the first); warns about a name registration will refuse.
    fn add(
        &mut self,
        cluster: Cluster,
        name: &Value<'_>,
        tree: &SyntaxTree,
        lines: &Lines<'_>,
        diags: &mut Sink,
    ) {
        if let Some(&first) = self.by_name.get(&cluster.name) {
            let first_line = lines.of(tree.header_offset(self.list[first].stanza.0));
            diags.push(
                Diagnostic::error(
                    name.span,
                    format!("cluster `{}` is defined twice", cluster.name),
                )
                .with_hint(format!("the first definition starts at line {first_line}")),
            );
            return;
        }
        if let Err(refusal) = NameRefusal::check(NameKind::Cluster, &cluster.name) {
            diags.push(unregistrable(name.span, &refusal));
        }
        self.by_name.insert(cluster.name.clone(), self.list.len());
        self.list.push(cluster);
        self.seen.push(Seen::default());
    }

    /// Finds a cluster by the name a stanza gives.
    fn find(&mut self, name: &[u8]) -> Option<usize> {
        if let Some(last) = self.last_found {
            if self.list[last].name == name {
                return Some(last);
            }
        }
        let found = self.by_name.get(name.as_bstr()).copied();
        if found.is_some() {
            self.last_found = found;
        }
        found
    }

    /// The cluster a `node:` or `heartbeat:` stanza belongs to. A stanza without `cluster`,
    /// or whose `cluster` matches no cluster stanza, is ignored by the reference (and dropped
    /// when it rewrites the file): warned about, and `None`.
    fn owner_of<K: StanzaKey>(
        &mut self,
        view: &StanzaView<'_, K>,
        cluster_key: K,
        stanza: &str,
        diags: &mut Sink,
    ) -> Option<usize> {
        let Some(cluster) = view.get(cluster_key) else {
            if view.lost(cluster_key) {
                return None;
            }
            diags.push(
                Diagnostic::warning(
                    view.header_span(),
                    format!("{stanza} stanza has no `cluster`; it is ignored"),
                )
                .with_hint("the C tools drop such stanzas when they rewrite the file"),
            );
            return None;
        };
        let found = self.find(&cluster.bytes);
        if found.is_none() && !self.lost {
            diags.push(orphan(&cluster, stanza));
        }
        found
    }
}

/// Adds the node a `node:` stanza describes to its cluster, unless it has errors or the
/// cluster already has a node of its name; warns about what registration will refuse.
///
/// A node with errors is still a definition of its name, so that a second stanza of that
/// name is reported; and it is recorded as unread, so that nothing is reported for its
/// absence from the model.
fn add_node<'a>(
    clusters: &mut Clusters<'a>,
    view: &StanzaView<'a, NodeKey>,
    lines: &Lines<'_>,
    diags: &mut Sink,
) {
    view.check_unknown_keys("node", diags);
    let name = view.get(NodeKey::Name).filter(|v| !v.bytes.is_empty());
    let Some(ci) = clusters.owner_of(view, NodeKey::Cluster, "node", diags) else {
        if view.lost(NodeKey::Cluster) {
            clusters.unread.push(None, name.as_ref());
        }
        return;
    };
    let parts = node_parts(view, diags);
    if !parts.complete {
        let cluster = clusters.list[ci].name.clone();
        clusters.unread.push(Some(cluster), name.as_ref());
    }
    let Some(name) = name else {
        return;
    };
    // Cloning borrowed bytes copies a pointer; only a value with continuations is owned.
    let first = match clusters.seen[ci].names.entry(name.bytes.clone()) {
        Entry::Occupied(first) => *first.get(),
        Entry::Vacant(slot) => {
            slot.insert(view.id);
            view.id
        }
    };
    let cluster = &mut clusters.list[ci];
    if first != view.id {
        diags.push(
            Diagnostic::error(
                name.span,
                format!(
                    "node `{}` is defined twice in cluster `{}`",
                    name.bytes.as_bstr(),
                    cluster.name
                ),
            )
            .with_hint(format!(
                "the first definition starts at line {}",
                lines.of(view.tree.header_offset(first.0))
            )),
        );
        return;
    }
    let name = BString::from(name.bytes.as_ref());
    node_warnings(
        view,
        name.as_bstr(),
        &parts,
        cluster.name.as_bstr(),
        &mut clusters.seen[ci],
        diags,
    );
    if let (true, Some(number), Some(ip_address), Some(ip_port)) = (
        parts.complete,
        parts.number,
        parts.ip_address,
        parts.ip_port,
    ) {
        cluster.nodes.push(Node {
            name,
            number,
            ip_address,
            ip_port,
            stanza: view.id,
        });
    }
}

/// Adds the heartbeat region a `heartbeat:` stanza describes to its cluster, unless it has
/// no region name or the cluster already lists it.
fn add_region<'a>(
    clusters: &mut Clusters<'a>,
    view: &StanzaView<'a, HeartbeatKey>,
    diags: &mut Sink,
) {
    view.check_unknown_keys("heartbeat", diags);
    let Some(ci) = clusters.owner_of(view, HeartbeatKey::Cluster, "heartbeat", diags) else {
        return;
    };
    let region = match view.get(HeartbeatKey::Region) {
        Some(v) if !v.bytes.is_empty() => v,
        Some(v) => {
            diags.push(Diagnostic::error(v.span, "`region` is empty"));
            return;
        }
        None => {
            missing(view, "heartbeat", HeartbeatKey::Region, None, diags);
            return;
        }
    };
    let cluster = &mut clusters.list[ci];
    let seen = &mut clusters.seen[ci];
    let name = region.bytes.as_bstr();
    if seen.regions.contains(&region.bytes) {
        diags.push(Diagnostic::error(
            region.span,
            format!(
                "heartbeat region `{name}` is listed twice in cluster `{}`",
                cluster.name
            ),
        ));
        return;
    }
    check_region_name(name, region.span, diags);
    cluster.regions.push(HeartbeatRegion {
        region: BString::from(name.as_bytes()),
        stanza: view.id,
    });
    seen.regions.insert(region.bytes);
}

/// Warns about a region name registration will refuse, or that is not a volume UUID: the
/// kernel matches regions against device UUIDs exactly.
fn check_region_name(name: &BStr, span: Span, diags: &mut Sink) {
    // Exactly how a volume UUID is written: 32 upper-case hex digits, no dashes.
    let volume_uuid =
        name.len() == 32 && name.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'));
    let uuid_hint = "regions are matched against device UUIDs exactly; use `o2cb add-heartbeat CLUSTER /dev/DEVICE`";
    if let Err(refusal) = NameRefusal::check(NameKind::Region, name) {
        let mut d = unregistrable(span, &refusal);
        if !volume_uuid {
            d = d.with_hint(uuid_hint);
        }
        diags.push(d);
    } else if !volume_uuid {
        diags.push(
            Diagnostic::warning(
                span,
                format!("heartbeat region `{name}` is not a volume UUID in upper-case hex"),
            )
            .with_hint(uuid_hint),
        );
    }
}

/// Warns about global-heartbeat clusters with more regions than the kernel runs.
fn warn_too_many_global_regions(
    text: &[u8],
    tree: &SyntaxTree,
    clusters: &[Cluster],
    diags: &mut Sink,
) {
    for c in clusters {
        if c.heartbeat_mode == HeartbeatMode::Global && c.regions.len() > MAX_GLOBAL_REGIONS {
            let span = tree.header_line(text, c.stanza.0);
            diags.push(Diagnostic::warning(
                span,
                format!(
                    "cluster `{}` lists {} heartbeat regions; the kernel runs at most {MAX_GLOBAL_REGIONS} in global mode",
                    c.name,
                    c.regions.len()
                ),
            ));
        }
    }
}

/// What a cluster's stanzas have used so far, for the duplicate checks: node names and
/// region names as read (borrowed from the text unless a continuation had to be decoded), and
/// which node stanza (its index) first used a number or an address.
///
/// A set of tables per cluster, not one for all clusters: a cluster's stanzas come together,
/// and one cluster's tables stay in the cache while they are filled, where a table for all
/// of a big file took a cache miss for every node. The tables use rustc's "Fx" hash: the
/// default SipHash was a quarter of the lowering time on big files, and its resistance to
/// chosen collisions buys nothing here, since whoever writes the file can make it as large as
/// they like anyway.
#[derive(Default)]
struct Seen<'a> {
    names: FxHashMap<Cow<'a, [u8]>, StanzaId>,
    numbers: FxHashMap<u32, u32>,
    addresses: FxHashMap<u32, u32>,
    regions: FxHashSet<Cow<'a, [u8]>>,
}

/// Records `node` as the user of `value` unless a node already is; gives that node.
fn first_user(table: &mut FxHashMap<u32, u32>, value: u32, node: usize) -> Option<usize> {
    match table.entry(value) {
        Entry::Occupied(first) => Some(*first.get() as usize),
        Entry::Vacant(slot) => {
            slot.insert(node as u32);
            None
        }
    }
}

fn orphan(cluster: &Value<'_>, what: &str) -> Diagnostic {
    Diagnostic::warning(
        cluster.span,
        format!(
            "{what} stanza belongs to cluster `{}`, which is not defined; it is ignored",
            cluster.bytes.as_bstr()
        ),
    )
    .with_hint("the C tools drop such stanzas when they rewrite the file")
}

/// The parts of the node a stanza describes, after reporting each that is missing or wrong.
fn node_parts(view: &StanzaView<'_, NodeKey>, diags: &mut Sink) -> NodeParts {
    let before = diags.len();
    let name = match view.get(NodeKey::Name) {
        Some(v) if !v.bytes.is_empty() => Some(v),
        Some(v) => {
            diags.push(Diagnostic::error(v.span, "node `name` is empty"));
            None
        }
        None => {
            missing(view, "node", NodeKey::Name, None, diags);
            None
        }
    };
    let number = match view.get(NodeKey::Number) {
        None => {
            missing(view, "node", NodeKey::Number, None, diags);
            None
        }
        Some(v) => match parse_c_ulong(&v.bytes, MAX_FILE_NODE_NUMBER) {
            Ok(n) => Some(n as u32),
            Err(e) => {
                diags.push(number_problem("number", &v, e, "2147483646"));
                None
            }
        },
    };
    let ip_address = match view.get(NodeKey::IpAddress) {
        None => {
            missing(view, "node", NodeKey::IpAddress, None, diags);
            None
        }
        Some(v) => match parse_inet_pton(&v.bytes) {
            Some(ip) => Some(ip),
            None => {
                let mut d = Diagnostic::error(
                    v.span,
                    format!("`{}` is not an IPv4 address", v.bytes.as_bstr()),
                );
                d = d.with_hint(ip_hint(&v.bytes));
                diags.push(d);
                None
            }
        },
    };
    let ip_port = match view.get(NodeKey::IpPort) {
        None => {
            missing(view, "node", NodeKey::IpPort, None, diags);
            None
        }
        Some(v) => match parse_c_ulong(&v.bytes, u64::from(u32::MAX)) {
            Ok(n) => Some(n as u32),
            Err(e) => {
                diags.push(number_problem("ip_port", &v, e, "4294967295"));
                None
            }
        },
    };
    NodeParts {
        complete: diags.len() == before && name.is_some(),
        number,
        ip_address,
        ip_port,
    }
}

/// What a node stanza says: each part `None` when it is missing or wrong (and reported).
struct NodeParts {
    /// Whether the stanza has no errors: every part is there.
    complete: bool,
    number: Option<u32>,
    ip_address: Option<Ipv4Addr>,
    ip_port: Option<u32>,
}

/// Why an address the reference refuses was refused, for the common cases.
pub(crate) fn ip_hint(value: &[u8]) -> String {
    let parts: Vec<&[u8]> = value.split(|&b| b == b'.').collect();
    if parts.len() == 4
        && parts
            .iter()
            .any(|p| p.len() > 1 && p[0] == b'0' && p.iter().all(u8::is_ascii_digit))
    {
        "write each number without leading zeros (e.g. 10.0.0.1, not 10.0.0.01)".to_string()
    } else if value.iter().any(u8::is_ascii_alphabetic) && !value.contains(&b':') {
        "write the address as four decimal numbers; host names are not resolved here".to_string()
    } else {
        "write the address as four decimal numbers from 0 to 255, e.g. 192.168.1.10".to_string()
    }
}

/// Problems the reference accepts in the file but the kernel refuses at registration (or
/// mishandles), reported early: of every part that could be read, even when another part of
/// the stanza has errors.
fn node_warnings(
    view: &StanzaView<'_, NodeKey>,
    name: &BStr,
    parts: &NodeParts,
    cluster: &BStr,
    seen: &mut Seen<'_>,
    diags: &mut Sink,
) {
    // The tables hold the stanza of the first user; its name is read again for the message
    // (only a duplicate needs it).
    let index = view.id.0;
    let name_of = |stanza: usize| {
        let other = StanzaView::<NodeKey>::new(view.text, view.tree, view.damage, StanzaId(stanza));
        other
            .get(NodeKey::Name)
            .map(|v| BString::from(v.bytes.as_ref()))
            .unwrap_or_default()
    };
    if let Some(number) = parts.number {
        if number > MAX_KERNEL_NODE_NUMBER {
            diags.push(Diagnostic::warning(
                view.span_of(NodeKey::Number),
                format!(
                    "node `{name}` has number {number}; the kernel accepts 0 to {MAX_KERNEL_NODE_NUMBER}, so registration will fail"
                ),
            ));
        }
        if let Some(other) = first_user(&mut seen.numbers, number, index) {
            diags.push(Diagnostic::warning(
                view.span_of(NodeKey::Number),
                format!(
                    "node `{name}` has number {number}, already used by node `{}` in cluster `{cluster}`; registration will fail",
                    name_of(other)
                ),
            ));
        }
    }
    match parts.ip_address {
        Some(ip) if ip.is_unspecified() => diags.push(
            Diagnostic::warning(
                view.span_of(NodeKey::IpAddress),
                format!("node `{name}` has address 0.0.0.0, which the kernel mishandles"),
            )
            .with_hint("registering it can hang the kernel; use the node's real address"),
        ),
        Some(ip) => {
            if let Some(other) = first_user(&mut seen.addresses, u32::from(ip), index) {
                diags.push(Diagnostic::warning(
                    view.span_of(NodeKey::IpAddress),
                    format!(
                        "node `{name}` has address {ip}, already used by node `{}` in cluster `{cluster}`; registration will fail",
                        name_of(other)
                    ),
                ));
            }
        }
        None => {}
    }
    if let Some(port) = parts.ip_port.filter(|&p| p == 0 || p >= 65535) {
        diags.push(Diagnostic::warning(
            view.span_of(NodeKey::IpPort),
            format!(
                "node `{name}` has port {port}; the kernel accepts 1 to 65534, so registration will fail"
            ),
        ));
    }
    if let Err(refusal) = NameRefusal::check(NameKind::Node, name) {
        diags.push(unregistrable(view.span_of(NodeKey::Name), &refusal));
    }
}

/// A name registration will refuse (see [`crate::names`]): the same words registration
/// uses, so `o2cb check` gives the reason the later failure will give.
fn unregistrable(span: Span, refusal: &NameRefusal) -> Diagnostic {
    Diagnostic::warning(span, format!("{refusal}; registration will fail"))
}

/// 1-based line of a byte offset.
pub(crate) fn line_number(text: &[u8], offset: u32) -> usize {
    memchr::memchr_iter(b'\n', &text[..offset as usize]).count() + 1
}

/// Line numbers for "first defined at line N" hints: a [`LineIndex`](crate::LineIndex) made when the first
/// is asked for. Counting from the start for each hint made a file of many duplicates
/// quadratic.
pub(crate) struct Lines<'t> {
    text: &'t [u8],
    index: std::cell::OnceCell<crate::diagnostic::LineIndex<'t>>,
}

impl<'t> Lines<'t> {
    pub(crate) fn new(text: &'t [u8]) -> Lines<'t> {
        Lines {
            text,
            index: std::cell::OnceCell::new(),
        }
    }

    pub(crate) fn of(&self, offset: u32) -> usize {
        self.index
            .get_or_init(|| crate::diagnostic::LineIndex::new(self.text))
            .position(offset as usize)
            .0
    }
}

/// Whether the configured node name `node` designates the host called `host` (reference §2.6):
/// the host name starts with the node name, compared without regard to ASCII case, and
/// ends there or continues with a `.` (so `db1` is local on `db1.example.com` but not on
/// `db10`).
pub fn node_is_local(node: &[u8], host: &[u8]) -> bool {
    host.len() >= node.len()
        && host[..node.len()].eq_ignore_ascii_case(node)
        && matches!(host.get(node.len()), None | Some(b'.'))
}

#[cfg(test)]
mod tests {
    use super::{node_is_local, ClusterKey, HeartbeatKey, NodeKey, StanzaKey, MAX_KNOWN_KEYS};

    #[test]
    fn each_known_key_is_recognised_as_the_one_at_its_index() {
        fn check<K: StanzaKey>() {
            assert!(K::NAMES.len() <= MAX_KNOWN_KEYS);
            for (i, name) in K::NAMES.iter().enumerate() {
                assert_eq!(K::find(name.as_bytes()).map(K::index), Some(i), "{name}");
            }
            assert!(K::find(b"Name").is_none());
        }
        check::<ClusterKey>();
        check::<NodeKey>();
        check::<HeartbeatKey>();
    }

    #[test]
    fn node_names_match_host_name_prefixes_up_to_a_dot() {
        assert!(node_is_local(b"db1", b"db1"));
        assert!(node_is_local(b"db1", b"DB1"));
        assert!(node_is_local(b"db1", b"db1.example.com"));
        assert!(!node_is_local(b"db1", b"db10"));
        assert!(!node_is_local(b"db1", b"db1-a"));
        assert!(node_is_local(b"db1.example.com", b"db1.example.com"));
        assert!(!node_is_local(b"db1.example.com", b"db1"));
        assert!(!node_is_local(b"db1.example.com", b"db1.example.org"));
    }
}
