//! Problems found in a cluster.conf, with their place in the file.

use std::fmt;

use crate::syntax::Span;

/// How bad a problem is, measured against what the C tools do with the same file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The C tools refuse (or crash on) this file too; no command may use it.
    Error,
    /// Only a per-filesystem stanza is wrong. The C tools ignore those stanzas, so the
    /// classic commands still work; the per-filesystem ones refuse.
    ExtensionError,
    /// Accepted by the C tools, but almost certainly not what the author meant, or bound to
    /// fail later (the kernel refuses it at registration).
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error | Severity::ExtensionError => "error",
            Severity::Warning => "warning",
        }
    }

    pub fn is_error(self) -> bool {
        !matches!(self, Severity::Warning)
    }
}

/// One problem: where, what, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The bytes the problem is about; its start gives the line and column.
    pub span: Span,
    /// The reason, in one line.
    pub message: String,
    /// What to do about it, when we can tell.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn extension(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::ExtensionError,
            ..Diagnostic::error(span, message)
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }
}

impl Diagnostic {
    /// A fingerprint of what the diagnostic says (severity and message, not where): two
    /// versions of a file can be compared by the multiset of these without holding every
    /// message ([`crate::Document::warning_digests`]).
    pub fn digest(&self) -> u64 {
        use std::hash::Hasher;
        let mut h = rustc_hash::FxHasher::default();
        h.write_u8(self.severity as u8);
        h.write(self.message.as_bytes());
        h.finish()
    }
}

/// How many problems of each severity a document has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub extension_errors: usize,
    pub warnings: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.errors + self.extension_errors + self.warnings
    }

    pub fn of(&self, severity: Severity) -> usize {
        match severity {
            Severity::Error => self.errors,
            Severity::ExtensionError => self.extension_errors,
            Severity::Warning => self.warnings,
        }
    }

    pub(crate) fn add(&mut self, severity: Severity, n: usize) {
        match severity {
            Severity::Error => self.errors += n,
            Severity::ExtensionError => self.extension_errors += n,
            Severity::Warning => self.warnings += n,
        }
    }
}

/// Where the lowering puts problems: all of them are counted, the first `limit` of them in
/// file order are kept. A file can hold a problem every few bytes (six for `Node:` and a line
/// feed), and a kept diagnostic costs a hundred bytes or more: keeping them all would make
/// memory a large multiple of the file.
#[derive(Debug)]
pub(crate) struct Sink {
    /// A max-heap on (position, arrival): the last kept one is evicted first.
    kept: std::collections::BinaryHeap<Keyed>,
    limit: usize,
    arrived: usize,
    pub(crate) counts: Counts,
    /// [`Diagnostic::digest`] of every warning.
    pub(crate) warning_digests: Vec<u64>,
}

#[derive(Debug)]
struct Keyed(u32, usize, Diagnostic);

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

impl Sink {
    pub(crate) fn new(limit: usize) -> Sink {
        Sink {
            kept: std::collections::BinaryHeap::new(),
            limit,
            arrived: 0,
            counts: Counts::default(),
            warning_digests: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.counts.add(d.severity, 1);
        if d.severity == Severity::Warning {
            self.warning_digests.push(d.digest());
        }
        let keyed = Keyed(d.span.start, self.arrived, d);
        self.arrived += 1;
        if self.kept.len() < self.limit {
            self.kept.push(keyed);
        } else if self.kept.peek().is_some_and(|last| keyed < *last) {
            self.kept.pop();
            self.kept.push(keyed);
        }
    }

    /// How many diagnostics arrived (kept or not): a stanza's lowering compares it before
    /// and after to learn whether it found problems.
    pub(crate) fn len(&self) -> usize {
        self.arrived
    }

    /// Whether every diagnostic that arrived was kept.
    pub(crate) fn complete(&self) -> bool {
        self.kept.len() == self.arrived
    }

    /// The kept diagnostics in file order (arrival order among those at one place).
    pub(crate) fn into_sorted(self) -> Vec<Diagnostic> {
        self.kept
            .into_sorted_vec()
            .into_iter()
            .map(|k| k.2)
            .collect()
    }
}

/// Maps byte offsets to 1-based line and column numbers (columns count bytes, so a TAB is
/// one column).
///
/// It holds a line count per 4 KiB of text and remembers the last position asked for:
/// diagnostics are placed in file order, each by counting on from the one before. A table of
/// every line start was eight bytes per line — eight times a file of blank lines.
#[derive(Clone, Debug)]
pub struct LineIndex<'t> {
    text: &'t [u8],
    /// Line feeds before each block of [`BLOCK`] bytes.
    blocks: Vec<u32>,
    /// (offset, line, start of that line) of the last position found.
    last: std::cell::Cell<(usize, usize, usize)>,
}

const BLOCK: usize = 4096;

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t [u8]) -> LineIndex<'t> {
        let mut blocks = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut count = 0u32;
        for chunk in text.chunks(BLOCK) {
            blocks.push(count);
            count += memchr::memchr_iter(b'\n', chunk).count() as u32;
        }
        LineIndex {
            text,
            blocks,
            last: std::cell::Cell::new((0, 1, 0)),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let (mut from, mut line, mut start) = self.last.get();
        if offset < from {
            // Backwards: count from the start of the offset's block.
            let block = offset / BLOCK;
            from = block * BLOCK;
            line = self.blocks.get(block).map_or(0, |&n| n as usize) + 1;
            start = memchr::memrchr(b'\n', &self.text[..from]).map_or(0, |p| p + 1);
        }
        for lf in memchr::memchr_iter(b'\n', &self.text[from..offset]) {
            line += 1;
            start = from + lf + 1;
        }
        self.last.set((offset, line, start));
        (line, offset - start + 1)
    }
}

/// A diagnostic rendered against its file: `path:line:column: error: reason`, and the hint on
/// the next line.
#[derive(Debug)]
pub struct Located<'a> {
    pub path: &'a str,
    pub line: usize,
    pub column: usize,
    pub diagnostic: &'a Diagnostic,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path,
            self.line,
            self.column,
            self.diagnostic.severity.label(),
            self.diagnostic.message
        )?;
        if let Some(hint) = &self.diagnostic.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}
