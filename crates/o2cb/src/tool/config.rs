//! Editing the loaded cluster.conf from a command of the `o2cb` tool.

use bstr::ByteSlice;
use cluster_conf::{Cluster, Config, Document};
pub use o2cb_runtime::session::bytes;

use super::{Outcome, Session};
use crate::context::Context;

/// Applies an edit to the loaded document; a refused edit is reported and the document left
/// as it was.
pub(super) fn edit(
    ctx: &mut Context<'_>,
    session: &mut Session,
    f: impl FnOnce(&mut Document) -> Result<(), cluster_conf::EditError>,
) -> Result<(), Outcome> {
    f(&mut session.doc).map_err(|e| {
        ctx.error(e);
        Outcome::Failed
    })
}

/// The cluster `name` of the configuration, or the reference's "Unknown cluster" message.
pub(super) fn known_cluster<'c>(
    ctx: &mut Context<'_>,
    config: &'c Config,
    name: &[u8],
) -> Option<&'c Cluster> {
    let cluster = config.cluster(name);
    if cluster.is_none() {
        ctx.error(format!("Unknown cluster '{}'", name.to_str_lossy()));
    }
    cluster
}
