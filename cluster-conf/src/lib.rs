//! cluster.conf for OCFS2's o2cb cluster stack: read, check, edit and write it exactly as the
//! C ocfs2-tools do — and explain every problem they would only call "Unable to load".
//!
//! The layers, each usable on its own:
//!
//! - [`syntax`]: the stanzas and attributes as offsets into the text, which is kept whole,
//!   so `Document::parse(x).text() == x` for all inputs; the lines it is made of tile the
//!   text, and each rejected line has the reason the C parser rejects it.
//! - [`model`]: what the file means — clusters, nodes, heartbeat regions, and the
//!   per-filesystem `filesystem:` / `filesystem_node:` stanzas — with the reference's
//!   acceptance rules and every problem as a [`Diagnostic`] (all of them, not the first),
//!   including the names registration will refuse ([`names`]).
//! - [`writer`]: the canonical form, byte-identical to what the C 1.8 tools write.
//! - [`Document`]'s edit methods: changes that touch only the stanzas they must, so comments,
//!   blank lines, unknown keys and stanzas survive; values the format cannot carry are
//!   refused, and every edit is read back and compared with the model it meant to write.
//!
//! This crate does no I/O: it takes and gives bytes. Reading, locking and replacing the file
//! belong to the caller.
//!
//! The parser is a hand-written byte scanner rather than a combinator grammar: the grammar is
//! line-oriented with byte-exact error recovery on every line, and the scanner's hot loop is
//! a table lookup per byte of a line's key and an eight-bytes-at-a-time search for the line
//! feed that ends it.

#![forbid(unsafe_code)]

mod damage;
mod diagnostic;
mod document;
mod edit;
mod extension;
pub mod model;
pub mod names;
pub mod syntax;
pub mod values;
pub mod writer;

pub use diagnostic::{Counts, Diagnostic, LineIndex, Located, Severity};
pub use document::{more_problems, Document, KEPT_DIAGNOSTICS, SHOWN_DIAGNOSTICS};
pub use edit::{
    meaning, value_problem, EditError, NewFilesystem, NewMember, NewNode, ValueProblem,
};
pub use extension::{MAX_LABEL_LEN, MAX_SLOTS};
pub use model::{
    node_is_local, Cluster, Config, Filesystem, FilesystemMember, HeartbeatRegion, Node, StanzaId,
};
pub use values::{FsUuid, HeartbeatMode};
pub use writer::write_canonical;

/// Where o2cb_ctl and the init script always look, and where `o2cb` looks by default.
pub const DEFAULT_PATH: &str = "/etc/ocfs2/cluster.conf";
