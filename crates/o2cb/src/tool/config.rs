//! cluster.conf around a command: loaded (and locked, for commands that change it) before
//! the command runs, written back after it if it changed anything.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use bstr::ByteSlice;
use cluster_conf::{Cluster, Config, Document, Severity};
use o2cb_sys::conffile::{read_optional, LockHolder, LockWaitNotice, LockedFile};

use super::Outcome;
use crate::context::Context;

/// Why a configuration could not be used.
#[derive(Debug)]
pub enum LoadFailure {
    Io(o2cb_sys::FileError),
    /// The file has errors (the C tools refuse it too); the document holds the diagnostics.
    Invalid(Box<Document>),
}

/// The configuration a command works on.
#[derive(Debug)]
pub struct Session {
    /// The path as the user gave it (or the default), for messages.
    pub shown: String,
    pub path: PathBuf,
    pub doc: Document,
    lock: Option<LockedFile>,
    /// The document as loaded, to report only the warnings an edit introduced.
    original_warnings: Vec<String>,
}

impl Session {
    /// A session for commands that load files themselves.
    pub fn unloaded(path: &OsStr) -> Session {
        Session {
            shown: path.to_string_lossy().into_owned(),
            path: PathBuf::from(path),
            doc: Document::default(),
            lock: None,
            original_warnings: Vec::new(),
        }
    }

    /// Reads (and with `modify`, locks) the file, for the `o2cb` tool: failures are printed
    /// in its words; `None` means the command must not run.
    pub fn load(ctx: &mut Context<'_>, path: &OsStr, modify: bool) -> Option<Session> {
        let shown = path.to_string_lossy().into_owned();
        ctx.verbose(format!("Using config file '{shown}'"));
        let opened = Session::open(path, modify, &mut lock_wait_notice(ctx));
        match opened {
            Ok(s) => Some(s),
            Err(LoadFailure::Io(e)) => {
                ctx.error(e);
                None
            }
            Err(LoadFailure::Invalid(doc)) => {
                report_load_errors(ctx, &shown, &doc);
                None
            }
        }
    }

    /// Reads (and with `modify`, locks) the file. A missing file is an empty configuration,
    /// as for the reference. A file with errors is refused (the caller prints them).
    /// `notice` is told who holds the lock when an edit has to wait for it.
    pub fn open(
        path: &OsStr,
        modify: bool,
        notice: LockWaitNotice<'_>,
    ) -> Result<Session, LoadFailure> {
        let shown = path.to_string_lossy().into_owned();
        let path_buf = PathBuf::from(path);
        let (bytes, lock) = if modify {
            let lock = LockedFile::open_with(&path_buf, notice).map_err(LoadFailure::Io)?;
            (lock.contents().map(<[u8]>::to_vec), Some(lock))
        } else {
            (read_optional(&path_buf).map_err(LoadFailure::Io)?, None)
        };
        let doc = Document::parse(bytes.unwrap_or_default());
        if doc.has_errors() {
            return Err(LoadFailure::Invalid(Box::new(doc)));
        }
        let original_warnings = warnings(&doc);
        Ok(Session {
            shown,
            path: path_buf,
            doc,
            lock,
            original_warnings,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the document back if it differs from the file. Returns false after printing
    /// the error when that fails.
    pub fn save(&mut self, ctx: &mut Context<'_>) -> bool {
        let shown = self.shown.clone();
        match self.store(ctx) {
            Ok(()) => true,
            Err(e) => {
                ctx.error(format!(
                    "{e} while storing the cluster configuration in file '{shown}'"
                ));
                false
            }
        }
    }

    /// Writes the document back if it differs from the file, after telling (on stderr)
    /// about the problems the edit introduced.
    pub fn store(&mut self, ctx: &mut Context<'_>) -> Result<(), o2cb_sys::FileError> {
        let Some(lock) = &mut self.lock else {
            return Ok(());
        };
        // Tell about problems this edit introduced (e.g. a number the kernel refuses).
        let index = self.doc.line_index();
        for d in self.doc.diagnostics() {
            if d.severity == Severity::Warning && !self.original_warnings.contains(&d.message) {
                let located = self.doc.locate(&index, &self.shown, d).to_string();
                ctx.error_line(located);
            }
        }
        lock.replace(self.doc.text()).map(|_| ())
    }
}

/// What an edit says while it waits for another writer's lock: which file, and who holds it.
pub fn lock_wait_notice<'a, 'io>(
    ctx: &'a mut Context<'io>,
) -> impl FnMut(&Path, Option<&LockHolder>) + use<'a, 'io> {
    move |lock, holder| {
        let who = holder.map_or_else(|| "another process".to_string(), ToString::to_string);
        ctx.error(format!(
            "waiting for the lock {}, held by {who}",
            lock.display()
        ));
    }
}

fn warnings(doc: &Document) -> Vec<String> {
    doc.diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.clone())
        .collect()
}

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

/// Prints every error of a file the tools must refuse, then one summary line.
pub fn report_load_errors(ctx: &mut Context<'_>, shown: &str, doc: &Document) {
    let text = doc.render_diagnostics(shown, |s| s == Severity::Error);
    ctx.error_bytes(text.as_bytes());
    let n = doc
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let plural = if n == 1 { "" } else { "s" };
    ctx.error(format!(
        "{n} error{plural} while loading cluster configuration file '{shown}'"
    ));
}

/// Bytes of an OS string (names on the command line are bytes, as in C).
pub fn bytes(s: &OsString) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes()
}
