//! A cluster.conf held as its exact bytes, with its syntax tree, model and problems.

use std::ops::ControlFlow;

use bstr::ByteSlice;

use crate::diagnostic::{Counts, Diagnostic, LineIndex, Located, Severity, Sink};
use crate::model::{lower, Config, UnreadNodes};
use crate::syntax::{self, LineKind, Span, SyntaxError, SyntaxTree};

/// How many problems of the model a document keeps by default (all are counted): far more
/// than anyone reads, and a bound on memory for files with a problem every few bytes.
pub const KEPT_DIAGNOSTICS: usize = 1000;

/// How many problems [`Document::render_diagnostics`] shows before saying how many more
/// there are.
pub const SHOWN_DIAGNOSTICS: usize = 20;

/// One cluster.conf: its bytes (never altered except by an explicit edit), the syntax tree
/// over them, the model they mean, and its problems.
///
/// Problems of the syntax (rejected lines, NUL bytes) are not stored: they are described
/// again from the text when asked for. Problems of the model are counted, and the first
/// [`KEPT_DIAGNOSTICS`] of them in file order are kept ([`Document::parse_keeping_all`] keeps
/// them all).
#[derive(Clone, Debug)]
pub struct Document {
    pub(crate) text: Vec<u8>,
    pub(crate) tree: SyntaxTree,
    pub(crate) config: Config,
    /// The kept problems of the model, in file order.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Every problem, syntax included.
    pub(crate) counts: Counts,
    /// Whether `diagnostics` holds every problem of the model.
    pub(crate) complete: bool,
    /// [`Diagnostic::digest`] of every warning of the model, sorted.
    pub(crate) warning_digests: Vec<u64>,
    /// How many problems of the model it keeps (what an edit reads the result with).
    pub(crate) limit: usize,
    /// Nodes the model leaves out because their stanzas have errors.
    pub(crate) unread_nodes: UnreadNodes,
}

impl Default for Document {
    fn default() -> Self {
        Document::parse(Vec::new())
    }
}

impl Document {
    /// Reads a cluster.conf. Never fails: problems are in [`Document::diagnostics`].
    pub fn parse(text: impl Into<Vec<u8>>) -> Document {
        Document::parse_with_limit(text.into(), KEPT_DIAGNOSTICS)
    }

    /// Reads a cluster.conf and keeps every problem, however many (`o2cb check --all`).
    pub fn parse_keeping_all(text: impl Into<Vec<u8>>) -> Document {
        Document::parse_with_limit(text.into(), usize::MAX)
    }

    pub(crate) fn parse_with_limit(text: Vec<u8>, limit: usize) -> Document {
        let tree = syntax::parse(&text);
        let mut sink = Sink::new(limit);
        let (config, unread_nodes) = lower(&text, &tree, &mut sink);
        let mut counts = sink.counts;
        counts.add(Severity::Error, tree.problems());
        counts.add(
            Severity::Warning,
            tree.skipped_nuls() + usize::from(tree.nul_at().is_some()),
        );
        let complete = sink.complete();
        let mut warning_digests = std::mem::take(&mut sink.warning_digests);
        warning_digests.sort_unstable();
        Document {
            text,
            tree,
            config,
            diagnostics: sink.into_sorted(),
            counts,
            complete,
            warning_digests,
            limit,
            unread_nodes,
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

    /// What the file means. When [`Document::has_classic_errors`] is true this is a best effort:
    /// stanzas with errors are missing from it.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether cluster `cluster` may have a node `node` that [`Document::config`] leaves out
    /// because its stanza has errors (or cannot be told from another stanza): a relation
    /// that needs the node is then not known to be broken.
    pub fn may_define_node(&self, cluster: &[u8], node: &[u8]) -> bool {
        self.unread_nodes.may_define(cluster, node)
    }

    /// How many problems of each severity the file has.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Every problem the document holds, in file order: all of them, unless the model has
    /// more than [`KEPT_DIAGNOSTICS`] (see [`Document::counts`] for the numbers).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut all = Vec::new();
        self.each_diagnostic(|d| {
            all.push(d.clone());
            ControlFlow::Continue(())
        });
        all
    }

    /// Calls `f` with each problem the document holds, in file order, until it breaks.
    /// Problems of the syntax are described as they come, so this holds one at a time.
    pub fn each_diagnostic(&self, mut f: impl FnMut(&Diagnostic) -> ControlFlow<()>) {
        let mut model = self.diagnostics.iter().peekable();
        let mut stopped = false;
        if self.tree.problems() > 0 || self.tree.nul_at().is_some() || self.tree.skipped_nuls() > 0
        {
            syntax_diagnostics(&self.text, &mut |d: Diagnostic| {
                if stopped {
                    return ControlFlow::Break(());
                }
                // Problems found on one spot keep their order: the syntax's first.
                while let Some(m) = model.next_if(|m| m.span.start < d.span.start) {
                    if f(m).is_break() {
                        stopped = true;
                        return ControlFlow::Break(());
                    }
                }
                if f(&d).is_break() {
                    stopped = true;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
        }
        if stopped {
            return;
        }
        for m in model {
            if f(m).is_break() {
                return;
            }
        }
    }

    /// Whether every problem is held (the model had at most [`KEPT_DIAGNOSTICS`], or the
    /// document was read with [`Document::parse_keeping_all`]).
    pub fn holds_every_diagnostic(&self) -> bool {
        self.complete
    }

    /// [`Diagnostic::digest`] of every warning of the model, sorted: what the warnings say,
    /// to compare two versions of a file.
    pub fn warning_digests(&self) -> &[u64] {
        &self.warning_digests
    }

    /// Whether the file has a [`Severity::Error`]: the C tools would refuse it too, and so
    /// does every command. Errors in the per-filesystem stanzas do not count.
    pub fn has_classic_errors(&self) -> bool {
        self.counts.errors > 0
    }

    /// Whether the file has an error of either kind: a [`Severity::Error`] or a
    /// [`Severity::ExtensionError`] (a per-filesystem stanza is wrong, which the
    /// per-filesystem commands refuse).
    pub fn has_classic_or_extension_errors(&self) -> bool {
        self.counts.errors + self.counts.extension_errors > 0
    }

    /// Places a diagnostic in the file for display as `path:line:column: ...`.
    pub fn locate<'a>(
        &self,
        index: &LineIndex<'_>,
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
    pub fn line_index(&self) -> LineIndex<'_> {
        LineIndex::new(&self.text)
    }

    /// Renders the first [`SHOWN_DIAGNOSTICS`] problems (of the given severities) as text,
    /// one per line (hints on their own indented lines), then, when there are more, a line
    /// saying how many and how to see them all.
    pub fn render_diagnostics(&self, path: &str, include: impl Fn(Severity) -> bool) -> String {
        self.render_first_diagnostics(path, include, SHOWN_DIAGNOSTICS)
    }

    /// Renders every problem held (of the given severities), however many.
    pub fn render_all_diagnostics(&self, path: &str, include: impl Fn(Severity) -> bool) -> String {
        self.render_first_diagnostics(path, include, usize::MAX)
    }

    /// Renders the first `shown` problems (of the given severities), then how many more.
    pub fn render_first_diagnostics(
        &self,
        path: &str,
        include: impl Fn(Severity) -> bool,
        shown: usize,
    ) -> String {
        let index = self.line_index();
        let mut out = String::new();
        let mut n = 0;
        self.each_diagnostic(|d| {
            if include(d.severity) {
                if n == shown {
                    return ControlFlow::Break(());
                }
                out.push_str(&self.locate(&index, path, d).to_string());
                out.push('\n');
                n += 1;
            }
            ControlFlow::Continue(())
        });
        let total: usize = [Severity::Error, Severity::ExtensionError, Severity::Warning]
            .into_iter()
            .filter(|&s| include(s))
            .map(|s| self.counts.of(s))
            .sum();
        if total > n {
            out.push_str(&more_problems(path, total - n));
            out.push('\n');
        }
        out
    }

    /// Whether the text is exactly what [`crate::write_canonical`] makes of its meaning: no
    /// comments, no unknown keys or stanzas, the C tools' layout and order.
    pub fn is_canonical(&self) -> bool {
        !self.has_classic_or_extension_errors()
            && crate::writer::is_canonical_text(&self.config, &self.text)
    }

    /// The 1-based line a stanza's header is on.
    pub fn stanza_line(&self, id: crate::StanzaId) -> usize {
        crate::model::line_number(&self.text, self.tree.header_offset(id.0))
    }

    /// The span of a stanza's header line.
    pub fn stanza_span(&self, id: crate::StanzaId) -> Span {
        self.tree.stanza(&self.text, id.0).header
    }
}

/// The line that follows the problems shown when some are not: `path: N more problems not
/// shown; ...`.
pub fn more_problems(path: &str, n: usize) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{path}: {n} more problem{plural} not shown; `o2cb check --all {path}` lists them all")
}

const CRLF_HINT: &str =
    "the file has Windows (CRLF) line endings; convert it with `dos2unix` or `sed -i 's/\\r$//'`";

/// Describes each rejected line and each NUL byte, in file order, until `emit` breaks.
fn syntax_diagnostics(text: &[u8], emit: &mut dyn FnMut(Diagnostic) -> ControlFlow<()>) {
    // For "attribute outside of any stanza": the blank line that ended the last stanza.
    let mut last_blank_after_stanza: Option<(u32, Span)> = None;
    let mut in_stanza: Option<Span> = None;
    let mut stopped = false;
    let mut batch: Vec<Diagnostic> = Vec::new();
    let mut line_number = LineCounter::default();
    let tree = syntax::scan(text, false, |line| {
        if stopped {
            return;
        }
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
                let blank = last_blank_after_stanza
                    .map(|(offset, name)| (line_number.at(text, offset), name));
                let (span, message, hint) = describe(text, error, at, name, byte, blank);
                let mut d = Diagnostic::error(span, message);
                if let Some(h) = hint {
                    d = d.with_hint(h);
                }
                batch.push(d);
                if matches!(
                    error,
                    SyntaxError::MissingColon
                        | SyntaxError::InvalidCharInStanzaDecl
                        | SyntaxError::TrailingGarbageAfterHeader
                ) {
                    in_stanza = name;
                }
            }
            LineKind::IgnoredTail => {
                let nul = line.span.start;
                batch.push(
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
            LineKind::Attribute { .. } | LineKind::Comment => {}
        }
        if line.kind != LineKind::IgnoredTail {
            let bytes = &text[line.span.range()];
            for i in memchr::memchr_iter(0, bytes) {
                batch.push(skipped_nul(text, line.span.start as usize + i));
            }
        }
        batch.sort_by_key(|d| d.span.start);
        for d in batch.drain(..) {
            if emit(d).is_break() {
                stopped = true;
                return;
            }
        }
    });
    drop(tree);
}

/// The warning for a NUL byte the C tools read past (see [`syntax::nul_is_skipped`]).
fn skipped_nul(text: &[u8], at: usize) -> Diagnostic {
    let hidden_end = at
        + 1
        + text[at + 1..]
            .iter()
            .take_while(|&&b| crate::syntax::is_ident(b))
            .count();
    let hidden = &text[at + 1..hidden_end];
    let message = if hidden.is_empty() {
        format!(
            "NUL byte after `{}`: the C tools skip it and read on",
            char::from(text[at - 1])
        )
    } else {
        format!(
            "NUL byte after `{}`: the C tools skip it and `{}` after it, and read on",
            char::from(text[at - 1]),
            hidden.as_bstr()
        )
    };
    Diagnostic::warning(
        Span {
            start: at as u32,
            end: at as u32 + 1,
        },
        message,
    )
    .with_hint("remove the NUL byte")
}

/// Line numbers of increasing offsets, counted on from the last one.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn at(&mut self, text: &[u8], offset: u32) -> usize {
        let offset = offset as usize;
        if offset < self.offset || self.line == 0 {
            self.offset = 0;
            self.line = 1;
        }
        self.line += memchr::memchr_iter(b'\n', &text[self.offset..offset]).count();
        self.offset = offset;
        self.line
    }
}

fn describe(
    text: &[u8],
    error: SyntaxError,
    at: usize,
    name: Option<Span>,
    byte: Option<u8>,
    blank_after_stanza: Option<(usize, Span)>,
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
            Some((blank_line, stanza)) => format!(
                "the blank line at line {blank_line} ended the `{}:` stanza; blank lines end stanzas, so remove it",
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
