//! Editing the loaded cluster.conf from a command of the `o2cb` tool.

use bstr::ByteSlice;
use cluster_conf::{Cluster, Config, Document};
pub use o2cb_runtime::session::bytes;

use super::{CmdResult, Failure, Session};

/// Applies an edit to the loaded document; a refused edit leaves the document as it was.
pub(super) fn edit(
    session: &mut Session,
    f: impl FnOnce(&mut Document) -> Result<(), cluster_conf::EditError>,
) -> CmdResult {
    f(&mut session.doc).map_err(Failure::refused)
}

/// The cluster `name` of the configuration, or the reference's "Unknown cluster" message.
pub(super) fn known_cluster<'c>(config: &'c Config, name: &[u8]) -> Result<&'c Cluster, Failure> {
    config
        .cluster(name)
        .ok_or_else(|| Failure::refused(format!("Unknown cluster '{}'", name.to_str_lossy())))
}
