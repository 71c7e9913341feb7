//! A cluster.conf held as its exact bytes, with its syntax tree, model and problems.

use bstr::ByteSlice;

use crate::diagnostic::{Diagnostic, LineIndex, Located, Severity};
use crate::model::{lower, Config};
use crate::syntax::{self, LineKind, Span, SyntaxError, SyntaxTree};

/// One cluster.conf: its bytes (never altered except by an explicit edit), the syntax tree
/// over them, the model they mean, and every problem found.
#[derive(Clone, Debug)]
pub struct Document {
    pub(crate) text: Vec<u8>,
    pub(crate) tree: SyntaxTree,
    pub(crate) config: Config,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Default for Document {
    fn default() -> Self {
        Document::parse(Vec::new())
    }
}

impl Document {
    /// Reads a cluster.conf. Never fails: problems are in [`Document::diagnostics`].
    pub fn parse(text: impl Into<Vec<u8>>) -> Document {
        let text = text.into();
        let tree = syntax::parse(&text);
        let mut diagnostics = syntax_diagnostics(&text, &tree);
        let config = lower(&text, &tree, &mut diagnostics);
        // Sort by position; stable, so problems found on one spot keep their order.
        diagnostics.sort_by_key(|d| d.span.start);
        Document {
            text,
            tree,
            config,
            diagnostics,
        }
    }

    /// The exact bytes (parse then `text()` gives back the input).
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    pub fn into_text(self) -> Vec<u8> {
        self.text
    }

    pub fn tree(&self) -> &SyntaxTree {
        &self.tree
    }

    /// What the file means. When [`Document::has_errors`] is true this is a best effort:
    /// stanzas with errors are missing from it.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every problem, in file order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Whether the C tools would refuse this file too.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Whether the file has any error, including errors in the per-filesystem stanzas.
    pub fn has_any_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity.is_error())
    }

    /// Places a diagnostic in the file for display as `path:line:column: ...`.
    pub fn locate<'a>(
        &self,
        index: &LineIndex,
        path: &'a str,
        diagnostic: &'a Diagnostic,
    ) -> Located<'a> {
        let (line, column) = index.position(diagnostic.span.start as usize);
        Located {
            path,
            line,
            column,
            diagnostic,
        }
    }

    /// A line index for [`Document::locate`].
    pub fn line_index(&self) -> LineIndex {
        LineIndex::new(&self.text)
    }

    /// Renders every diagnostic (of at least the given severities) as text, one per line
    /// (hints on their own indented lines).
    pub fn render_diagnostics(&self, path: &str, include: impl Fn(Severity) -> bool) -> String {
        let index = self.line_index();
        let mut out = String::new();
        for d in self.diagnostics.iter().filter(|d| include(d.severity)) {
            out.push_str(&self.locate(&index, path, d).to_string());
            out.push('\n');
        }
        out
    }

    /// Whether the text is exactly what [`crate::write_canonical`] makes of its meaning: no
    /// comments, no unknown keys or stanzas, the C tools' layout and order.
    pub fn is_canonical(&self) -> bool {
        !self.has_any_errors() && crate::write_canonical(&self.config) == self.text
    }

    /// The 1-based line a stanza's header is on.
    pub fn stanza_line(&self, id: crate::StanzaId) -> usize {
        let offset = self.tree.lines[self.tree.stanzas[id.0].header_line]
            .span
            .start;
        crate::model::line_number(&self.text, offset)
    }

    /// The span of a stanza's header line.
    pub fn stanza_span(&self, id: crate::StanzaId) -> Span {
        self.tree.lines[self.tree.stanzas[id.0].header_line].span
    }
}

const CRLF_HINT: &str =
    "the file has Windows (CRLF) line endings; convert it with `dos2unix` or `sed -i 's/\\r$//'`";

/// Turns each rejected line into a diagnostic with a hint.
fn syntax_diagnostics(text: &[u8], tree: &SyntaxTree) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // For "attribute outside of any stanza": the blank line that ended the last stanza.
    let mut last_blank_after_stanza: Option<(u32, Span)> = None;
    let mut in_stanza: Option<Span> = None;
    for line in &tree.lines {
        match line.kind {
            LineKind::Header { name } => in_stanza = Some(name),
            LineKind::Blank => {
                if let Some(name) = in_stanza.take() {
                    last_blank_after_stanza = Some((line.span.start, name));
                }
            }
            LineKind::Invalid { error, at, name } => {
                let at = at as usize;
                let byte = text.get(at).copied();
                let (span, message, hint) =
                    describe(text, error, at, name, byte, last_blank_after_stanza);
                let mut d = Diagnostic::error(span, message);
                if let Some(h) = hint {
                    d = d.with_hint(h);
                }
                out.push(d);
                if matches!(
                    error,
                    SyntaxError::MissingColon
                        | SyntaxError::InvalidCharInStanzaDecl
                        | SyntaxError::TrailingGarbageAfterHeader
                ) {
                    in_stanza = name;
                }
            }
            LineKind::Attribute { .. } | LineKind::Comment | LineKind::IgnoredTail => {}
        }
    }
    if let Some(nul) = tree.nul_at {
        out.push(
            Diagnostic::warning(
                Span {
                    start: nul,
                    end: nul + 1,
                },
                "NUL byte: the C tools ignore everything from here to the end of the file",
            )
            .with_hint("remove the NUL byte and check what follows it"),
        );
    }
    out
}

fn describe(
    text: &[u8],
    error: SyntaxError,
    at: usize,
    name: Option<Span>,
    byte: Option<u8>,
    blank_after_stanza: Option<(u32, Span)>,
) -> (Span, String, Option<String>) {
    let here = Span::new(at, (at + 1).min(text.len()).max(at));
    let name_str = name
        .map(|n| text[n.range()].as_bstr().to_string())
        .unwrap_or_default();
    let message = error.message().to_string();
    let hint: Option<String> = match error {
        SyntaxError::InvalidStanzaNameChar => Some(match byte {
            Some(b'\r') => CRLF_HINT.to_string(),
            Some(b'[') => "stanza headers are written `name:` in column 0, e.g. `cluster:`".to_string(),
            Some(b';') => "comments start with `#` in column 0".to_string(),
            _ => "a line must be a stanza header (`name:` in column 0), an indented `key = value`, a `#` comment in column 0, or blank".to_string(),
        }),
        SyntaxError::MissingColon => Some(format!("write `{name_str}:`")),
        SyntaxError::InvalidCharInStanzaDecl => Some(match byte {
            Some(b' ' | b'\t') => "remove the blank before ':'".to_string(),
            Some(b'\r') => CRLF_HINT.to_string(),
            _ => "stanza names may contain only letters, digits and `_`, followed directly by ':'".to_string(),
        }),
        SyntaxError::TrailingGarbageAfterHeader => Some(match byte {
            Some(b'\r') => CRLF_HINT.to_string(),
            Some(b'#') => "comments must start in column 0, on a line of their own".to_string(),
            _ => "nothing may follow the ':' of a stanza header".to_string(),
        }),
        SyntaxError::InvalidAttributeNameChar => Some(match byte {
            Some(b'#') => "comments must start in column 0".to_string(),
            Some(b'=') => "the key is missing before '='".to_string(),
            Some(b'\r') => CRLF_HINT.to_string(),
            _ => "keys may contain only letters, digits and `_`".to_string(),
        }),
        SyntaxError::MissingEquals => Some(format!("write `{name_str} = <value>`")),
        SyntaxError::ExpectedEquals => Some(match byte {
            Some(b':') => "use '=' between key and value, not ':'".to_string(),
            Some(b) if b.is_ascii_alphanumeric() || b == b'_' => {
                "keys cannot contain blanks (did you mean `_`?)".to_string()
            }
            _ => format!("write `{name_str} = <value>`"),
        }),
        SyntaxError::AttributeOutsideStanza => Some(match blank_after_stanza {
            Some((blank, stanza)) => format!(
                "the blank line at line {} ended the `{}:` stanza; blank lines end stanzas, so remove it",
                crate::model::line_number(text, blank),
                text[stanza.range()].as_bstr()
            ),
            None => "put a stanza header such as `cluster:` or `node:` before it".to_string(),
        }),
    };
    let span = match error {
        SyntaxError::AttributeOutsideStanza => name.unwrap_or(here),
        _ => here,
    };
    (span, message, hint)
}
