//! cluster.conf around a command: loaded (and locked, for commands that change it) before
//! the command runs, written back after it if it changed anything. Shared by `o2cb` and
//! `o2cb_ctl`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use bstr::ByteSlice;
use cluster_conf::{Document, Severity};
use o2cb_sys::conffile::{read_optional, LockHolder, LockWaitNotice, LockedFile};

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
    /// What the warnings of the file as loaded say (`Diagnostic::digest`, sorted), to report
    /// only the warnings an edit introduced.
    original_warnings: Vec<u64>,
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
        if doc.has_classic_errors() {
            return Err(LoadFailure::Invalid(Box::new(doc)));
        }
        let original_warnings = doc.warning_digests().to_vec();
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

    /// Writes the document back if it differs from the file, after telling (on stderr)
    /// about the problems the edit introduced.
    pub fn store(&mut self, ctx: &mut Context<'_>) -> Result<(), o2cb_sys::FileError> {
        let Some(lock) = &mut self.lock else {
            return Ok(());
        };
        // Tell about problems this edit introduced (e.g. a number the kernel refuses): the
        // warnings that say something the file as loaded did not say as often.
        let mut new = introduced(&self.original_warnings, self.doc.warning_digests());
        if !new.is_empty() {
            let index = self.doc.line_index();
            let mut shown = 0;
            self.doc.each_diagnostic(|d| {
                if d.severity == Severity::Warning {
                    if let Some(n) = new.get_mut(&d.digest()).filter(|n| **n > 0) {
                        *n -= 1;
                        shown += 1;
                        ctx.error_line(self.doc.locate(&index, &self.shown, d).to_string());
                    }
                }
                std::ops::ControlFlow::Continue(())
            });
            let unshown: usize = new.values().sum();
            if unshown > 0 {
                ctx.error_line(cluster_conf::more_problems(&self.shown, unshown));
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

/// How many more times each warning (by digest) is in `after` than in `before` (both
/// sorted).
fn introduced(before: &[u64], after: &[u64]) -> std::collections::HashMap<u64, usize> {
    let mut more = std::collections::HashMap::new();
    let mut b = before.iter().peekable();
    for &d in after {
        while b.next_if(|&&x| x < d).is_some() {}
        if b.next_if(|&&x| x == d).is_none() {
            *more.entry(d).or_insert(0) += 1;
        }
    }
    more
}

/// Prints the first errors of a file the tools must refuse (and how many more there are),
/// then one summary line.
pub fn report_load_errors(ctx: &mut Context<'_>, shown: &str, doc: &Document) {
    let text = doc.render_diagnostics(shown, |s| s == Severity::Error);
    ctx.error_bytes(text.as_bytes());
    let n = doc.counts().errors;
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

/// Stanzas that named a cluster before it existed were kept (the C tools drop them on their
/// first rewrite); once the cluster is added they belong to it. The note that says so.
pub fn adoption_note(config: &cluster_conf::Config, name: &[u8]) -> Option<String> {
    let c = config.cluster(name)?;
    if c.nodes.is_empty() && c.regions.is_empty() {
        return None;
    }
    let nodes: Vec<String> = c
        .nodes
        .iter()
        .map(|n| n.name.to_str_lossy().into_owned())
        .collect();
    let regions: Vec<String> = c
        .regions
        .iter()
        .map(|r| r.region.to_str_lossy().into_owned())
        .collect();
    Some(format!(
        "note: cluster '{}' takes over stanzas that already named it: nodes [{}], heartbeat regions [{}]",
        name.to_str_lossy(),
        nodes.join(", "),
        regions.join(", ")
    ))
}
