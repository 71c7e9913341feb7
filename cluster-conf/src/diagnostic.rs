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

/// Maps byte offsets to 1-based line and column numbers (columns count bytes, so a TAB is
/// one column).
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
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
