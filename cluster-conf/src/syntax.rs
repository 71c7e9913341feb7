//! The lossless syntax layer: cluster.conf bytes → lines → stanzas.
//!
//! The C tools read cluster.conf with a GLib scanner configured so that every byte is
//! significant (spec §1.2–1.4). This module reproduces that line grammar exactly, but instead
//! of stopping at the first problem it classifies *every* line, keeps the byte span of each,
//! and records a [`SyntaxError`] for each line the C tools would refuse. Concatenating the
//! spans of all lines gives back the input byte for byte, which is what lets edits touch only
//! the stanzas they must.

use std::ops::Range;

/// The longest text the tree can describe: offsets are `u32`.
pub const MAX_TEXT_LEN: usize = u32::MAX as usize;

/// A byte range in the document text.
///
/// Offsets are `u32`, not `usize`: the tree has an entry per line and per attribute, and
/// with `usize` offsets it was six times the size of the text; filling that much fresh
/// memory cost more than scanning the text. A cluster.conf of 4 GiB is not a configuration
/// anyone has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// # Panics
    ///
    /// If an offset is beyond [`MAX_TEXT_LEN`].
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: offset(start),
            end: offset(end),
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

fn offset(at: usize) -> u32 {
    u32::try_from(at).expect("offsets in a cluster.conf fit in 32 bits")
}

/// Why the C parser rejects a line. The messages are the ones the C parser would print if its
/// diagnostics were switched on; the hints are ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxError {
    /// A column-0 byte that cannot start a header, comment, attribute or blank line.
    InvalidStanzaNameChar,
    /// `cluster` followed by the end of the line.
    MissingColon,
    /// `cluster :` or `cluster-x:` — something between the name and the colon.
    InvalidCharInStanzaDecl,
    /// `cluster: x` — anything but blanks after the colon.
    TrailingGarbageAfterHeader,
    /// An indented line whose first non-blank byte cannot start an attribute name.
    InvalidAttributeNameChar,
    /// `key` followed by the end of the line.
    MissingEquals,
    /// `key x = y` — something other than blanks between the key and `=`.
    ExpectedEquals,
    /// A well-formed attribute line with no stanza open (before any header, or after a blank
    /// line ended the stanza).
    AttributeOutsideStanza,
}

impl SyntaxError {
    /// The reason in one line.
    pub fn message(self) -> &'static str {
        match self {
            SyntaxError::InvalidStanzaNameChar => "invalid character in stanza name",
            SyntaxError::MissingColon => "invalid stanza name declaration: missing ':'",
            SyntaxError::InvalidCharInStanzaDecl => "invalid character in stanza name declaration",
            SyntaxError::TrailingGarbageAfterHeader => {
                "trailing garbage on stanza name declaration"
            }
            SyntaxError::InvalidAttributeNameChar => "invalid character in attribute name",
            SyntaxError::MissingEquals => "invalid attribute: missing '='",
            SyntaxError::ExpectedEquals => "invalid attribute: expecting '='",
            SyntaxError::AttributeOutsideStanza => "attribute outside of any stanza",
        }
    }
}

/// What a line is. Offsets inside are absolute positions in the document text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// Empty or blanks only; ends the current stanza.
    Blank,
    /// `#` in column 0; does not end the current stanza.
    Comment,
    /// `name:` in column 0.
    Header { name: Span },
    /// Indented `key = value`. `value` is the raw text after the blanks that follow `=`, up to
    /// (not including) the line feed that ends the logical line; it may contain
    /// backslash-newline continuations.
    Attribute { key: Span, value: Span },
    /// A line the C tools reject. `at` is the offending byte; `name` is the stanza name or key
    /// when one could be read before the problem.
    Invalid {
        error: SyntaxError,
        at: u32,
        name: Option<Span>,
    },
    /// Everything from the first NUL byte to the end: the C tools stop reading there.
    IgnoredTail,
}

/// One logical line: a physical line, or several joined by backslash-newline continuations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The whole line including its terminating line feed, if any.
    pub span: Span,
    pub kind: LineKind,
}

/// An attribute of a stanza.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Index of the line in [`SyntaxTree::lines`].
    pub line: usize,
    pub key: Span,
    pub value: Span,
}

/// A stanza: its header, its attribute and comment lines, and the comments that lead into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    pub name: Span,
    /// Index of the header line.
    pub header_line: usize,
    /// First line that belongs to the stanza: the first of the comment lines that directly
    /// precede the header (no blank line between), or the header itself.
    pub first_line: usize,
    /// One past the last line of the stanza's body (attributes, comments and rejected lines
    /// up to the blank line, header or end of file that ends it; comments that directly
    /// precede the next header belong to that header instead).
    pub end_line: usize,
    /// Range into [`SyntaxTree::attributes`].
    pub attributes: Range<usize>,
    /// The header itself was rejected (e.g. `cluster :`) but its name could be read.
    pub broken_header: bool,
}

/// The lossless tree of a cluster.conf text.
#[derive(Clone, Debug, Default)]
pub struct SyntaxTree {
    pub lines: Vec<Line>,
    pub stanzas: Vec<Stanza>,
    pub attributes: Vec<Attribute>,
    /// Offset of the first NUL byte, where the C tools stop reading.
    pub nul_at: Option<u32>,
}

/// `\r` or `\r\n`: what is left of a blank line in a file with Windows line endings.
fn is_cr_line(rest: &[u8]) -> bool {
    rest == b"\r" || rest == b"\r\n"
}

/// Byte classes, looked up in [`CLASS`]: one load per byte in the scanner's loops instead of
/// a chain of range comparisons.
const IDENT: u8 = 1;
const BLANK: u8 = 2;

static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            table[b] = IDENT;
        } else if c == b' ' || c == b'\t' {
            table[b] = BLANK;
        }
        b += 1;
    }
    table
};

fn is_ident(b: u8) -> bool {
    CLASS[usize::from(b)] & IDENT != 0
}

/// The first offset at or after `p` whose byte is not of `class` (or the end of the text).
fn skip(text: &[u8], mut p: usize, class: u8) -> usize {
    while let Some(&b) = text.get(p) {
        if CLASS[usize::from(b)] & class == 0 {
            break;
        }
        p += 1;
    }
    p
}

/// Eight bytes, the first in the low bits.
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

/// A byte repeated in each byte of a word.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// A high bit for each zero byte of `x`. Bits above the first zero byte may be wrong
/// (borrows); the lowest one is exact, and there is one exactly when `x` has a zero byte.
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(splat(0x01)) & !x & splat(0x80)
}

/// The offset of the first line feed at or after `from`, or the end of the text.
fn line_end(text: &[u8], from: usize) -> usize {
    // Lines of cluster.conf are short: a few eight-byte words, each tested for a line feed
    // with integer arithmetic, find most of them before memchr has finished setting up.
    let mut p = from;
    for _ in 0..4 {
        let Some(bytes) = text.get(p..p + 8) else {
            break;
        };
        let zeros = zero_bytes(word(bytes) ^ splat(b'\n'));
        if zeros != 0 {
            return p + (zeros.trailing_zeros() / 8) as usize;
        }
        p += 8;
    }
    memchr::memchr(b'\n', &text[p..]).map_or(text.len(), |i| p + i)
}

/// A span of offsets that [`parse`] has checked to fit.
fn span(start: usize, end: usize) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
    }
}

/// Scans the bytes of one cluster.conf into lines and stanzas. Never fails: rejected lines
/// are kept as [`LineKind::Invalid`].
///
/// # Panics
///
/// If the text is longer than [`MAX_TEXT_LEN`].
pub fn parse(text: &[u8]) -> SyntaxTree {
    assert!(
        text.len() <= MAX_TEXT_LEN,
        "a cluster.conf of {} bytes is beyond the {MAX_TEXT_LEN} that spans can address",
        text.len()
    );
    let nul_at = memchr::memchr(0, text);
    let end = nul_at.unwrap_or(text.len());
    let body = &text[..end];

    // Growing the tables as lines are found copied them over and over: on big files that
    // was a fifth of the time. Counting the line feeds first (memchr, a small fraction of
    // the scan) gives the most lines there can be, and the most attributes.
    let most_lines = memchr::memchr_iter(b'\n', body).count() + 2;
    let mut tree = SyntaxTree {
        nul_at: nul_at.map(|at| at as u32),
        lines: Vec::with_capacity(most_lines),
        attributes: Vec::with_capacity(most_lines),
        ..SyntaxTree::default()
    };
    let mut builder = StanzaBuilder::default();

    let mut pos = 0;
    while pos < end {
        let (line, next) = scan_line(body, pos);
        let index = tree.lines.len();
        let line = builder.feed(&mut tree, body, index, line);
        tree.lines.push(line);
        pos = next;
    }
    builder.finish(&mut tree);
    if let Some(nul) = nul_at {
        tree.lines.push(Line {
            span: span(nul, text.len()),
            kind: LineKind::IgnoredTail,
        });
    }
    tree
}

/// Scans one logical line starting at `start`; returns it and the offset of the next line.
fn scan_line(text: &[u8], start: usize) -> (Line, usize) {
    let end = text.len();
    let finish = |kind: LineKind, lf: usize| {
        let next = if lf < end { lf + 1 } else { end };
        (
            Line {
                span: span(start, next),
                kind,
            },
            next,
        )
    };
    let invalid = |error: SyntaxError, at: usize, name: Option<Span>| LineKind::Invalid {
        error,
        at: at as u32,
        name,
    };

    let first = text[start];
    if first == b'\n' {
        return finish(LineKind::Blank, start);
    }
    if first == b'#' {
        return finish(LineKind::Comment, line_end(text, start));
    }
    let class = CLASS[usize::from(first)];
    if class & BLANK != 0 {
        let mut p = skip(text, start, BLANK);
        if p == end || text[p] == b'\n' {
            return finish(LineKind::Blank, p);
        }
        if !is_ident(text[p]) {
            let kind = invalid(SyntaxError::InvalidAttributeNameChar, p, None);
            return finish(kind, line_end(text, p));
        }
        let key_start = p;
        p = skip(text, p, IDENT);
        let key = span(key_start, p);
        p = skip(text, p, BLANK);
        match text.get(p) {
            None | Some(b'\n') => {
                let kind = invalid(SyntaxError::MissingEquals, p, Some(key));
                return finish(kind, p);
            }
            Some(b'=') => {}
            Some(_) => {
                let kind = invalid(SyntaxError::ExpectedEquals, p, Some(key));
                return finish(kind, line_end(text, p));
            }
        }
        let value_start = skip(text, p + 1, BLANK);
        // The value runs to the first line feed that is not escaped by a backslash.
        let mut q = value_start;
        let value_end = loop {
            let lf = line_end(text, q);
            if lf == end {
                break end;
            }
            if lf > value_start
                && text[lf - 1] == b'\\'
                && !escaped_backslash(text, value_start, lf - 1)
            {
                q = lf + 1;
                if q >= end {
                    break end;
                }
            } else {
                break lf;
            }
        };
        let kind = LineKind::Attribute {
            key,
            value: span(value_start, value_end),
        };
        return finish(kind, value_end);
    }
    if class & IDENT != 0 {
        let mut p = skip(text, start, IDENT);
        let name = span(start, p);
        match text.get(p) {
            None | Some(b'\n') => {
                let kind = invalid(SyntaxError::MissingColon, p, Some(name));
                return finish(kind, p);
            }
            Some(b':') => {}
            Some(_) => {
                let kind = invalid(SyntaxError::InvalidCharInStanzaDecl, p, Some(name));
                return finish(kind, line_end(text, p));
            }
        }
        p = skip(text, p + 1, BLANK);
        if p == end || text[p] == b'\n' {
            return finish(LineKind::Header { name }, p);
        }
        let kind = invalid(SyntaxError::TrailingGarbageAfterHeader, p, Some(name));
        return finish(kind, line_end(text, p));
    }
    let kind = invalid(SyntaxError::InvalidStanzaNameChar, start, None);
    finish(kind, line_end(text, start))
}

/// The C scanner reads a value byte by byte: a backslash consumes the byte after it, so in
/// `a\\` + LF the second backslash is the escaped byte and the line feed ends the value.
/// Returns whether the backslash at `at` is itself consumed by a backslash before it.
fn escaped_backslash(text: &[u8], value_start: usize, at: usize) -> bool {
    let mut run = 0;
    let mut p = at;
    while p > value_start && text[p - 1] == b'\\' {
        run += 1;
        p -= 1;
    }
    run % 2 == 1
}

/// Groups lines into stanzas while they are scanned, mirroring the C parser's single
/// "current stanza" pointer.
#[derive(Default)]
struct StanzaBuilder {
    /// The stanza that attribute lines go into, if any.
    current: Option<Stanza>,
    /// Comment lines seen since the last non-comment line (candidates for leading comments
    /// of the next header).
    comment_run: Option<usize>,
}

impl StanzaBuilder {
    fn feed(&mut self, tree: &mut SyntaxTree, text: &[u8], index: usize, mut line: Line) -> Line {
        match line.kind {
            LineKind::Comment => {
                self.comment_run.get_or_insert(index);
                return line;
            }
            LineKind::Blank => {
                self.close(tree, index);
            }
            LineKind::Header { name } => {
                self.open(tree, index, name, false);
            }
            LineKind::Invalid {
                error:
                    SyntaxError::MissingColon
                    | SyntaxError::InvalidCharInStanzaDecl
                    | SyntaxError::TrailingGarbageAfterHeader,
                name: Some(name),
                ..
            } => {
                // A header we could read the name of: keep the attributes that follow with
                // it so that one bad header does not cascade into errors on every line below.
                self.open(tree, index, name, true);
            }
            LineKind::Invalid {
                error: SyntaxError::InvalidStanzaNameChar,
                at,
                ..
            } => {
                if is_cr_line(&text[at as usize..line.span.end as usize]) {
                    // The CR of a CRLF blank line: the author meant a blank line.
                    self.close(tree, index);
                } else {
                    // Most likely a header in another syntax (`[cluster]`): group what
                    // follows under a nameless stanza instead of reporting every attribute
                    // below it as homeless.
                    self.open(tree, index, Span { start: at, end: at }, true);
                }
            }
            LineKind::Attribute { key, value } => match &mut self.current {
                Some(stanza) => {
                    tree.attributes.push(Attribute {
                        line: index,
                        key,
                        value,
                    });
                    stanza.attributes.end = tree.attributes.len();
                    stanza.end_line = index + 1;
                }
                None => {
                    line.kind = LineKind::Invalid {
                        error: SyntaxError::AttributeOutsideStanza,
                        at: key.start,
                        name: Some(key),
                    };
                }
            },
            LineKind::Invalid { .. } => {
                if let Some(stanza) = &mut self.current {
                    stanza.end_line = index + 1;
                }
            }
            LineKind::IgnoredTail => {}
        }
        self.comment_run = None;
        line
    }

    fn open(&mut self, tree: &mut SyntaxTree, index: usize, name: Span, broken: bool) {
        let leading = self.comment_run.unwrap_or(index);
        self.close(tree, leading);
        self.current = Some(Stanza {
            name,
            header_line: index,
            first_line: leading,
            end_line: index + 1,
            attributes: tree.attributes.len()..tree.attributes.len(),
            broken_header: broken,
        });
    }

    /// Ends the current stanza; comment lines before `limit` that came after its last body
    /// line still belong to it.
    fn close(&mut self, tree: &mut SyntaxTree, limit: usize) {
        if let Some(mut stanza) = self.current.take() {
            // Trailing comments belong to the stanza unless they lead into the next header.
            stanza.end_line = stanza.end_line.max(limit);
            tree.stanzas.push(stanza);
        }
    }

    fn finish(mut self, tree: &mut SyntaxTree) {
        let limit = tree.lines.len();
        self.close(tree, limit);
    }
}

/// Decodes a raw attribute value: a backslash followed by a line feed becomes a line feed,
/// a backslash right before the end of the text is dropped, any other backslash is kept with
/// the byte after it.
pub fn decode_value(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !contains_byte(raw, b'\\') {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'\\' {
            match raw.get(i + 1) {
                None => {}
                Some(b'\n') => out.push(b'\n'),
                Some(&next) => {
                    out.push(b'\\');
                    out.push(next);
                }
            }
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Whether a short string (a value, a name) has a byte. Eight bytes at a time with integer
/// arithmetic beats memchr's set-up (`<[u8]>::contains` is memchr) and a loop over bytes.
pub(crate) fn contains_byte(raw: &[u8], needle: u8) -> bool {
    if raw.len() < 8 {
        for &b in raw {
            if b == needle {
                return true;
            }
        }
        return false;
    }
    let found = |bytes: &[u8]| zero_bytes(word(bytes) ^ splat(needle)) != 0;
    // The last word overlaps the one before it rather than leaving up to 7 bytes over.
    raw.chunks_exact(8).any(found) || found(&raw[raw.len() - 8..])
}

/// A value as the C config layer reads it: decoded, then trimmed.
pub(crate) fn read_value(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !contains_byte(raw, b'\\') {
        return std::borrow::Cow::Borrowed(trim_value(raw));
    }
    let mut value = decode_value(raw).into_owned();
    value.truncate(trim_value(&value).len());
    std::borrow::Cow::Owned(value)
}

/// Strips what the C config layer strips from the end of every value it reads: space, TAB,
/// LF, VT, FF and CR.
pub fn trim_value(value: &[u8]) -> &[u8] {
    let mut end = value.len();
    while end > 0 && matches!(value[end - 1], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        end -= 1;
    }
    &value[..end]
}

/// Encodes a value for writing: every embedded line feed becomes a backslash-newline
/// continuation, as the C writer does; nothing else is escaped.
pub fn encode_value(value: &[u8], out: &mut Vec<u8>) {
    for &b in value {
        if b == b'\n' {
            out.push(b'\\');
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::{contains_byte, line_end};

    /// The word-at-a-time searches against a byte-by-byte one, at every length and place, on
    /// fillers that include the bytes next to the one searched for and high bytes.
    #[test]
    fn word_searches_find_what_a_byte_search_finds() {
        for filler in [
            b'a',
            b'\\' + 1,
            b'\\' - 1,
            b'\n' + 1,
            b'\n' - 1,
            0x80,
            0xdc,
            0xff,
            0,
        ] {
            for len in 0..40 {
                let plain = vec![filler; len];
                assert!(!contains_byte(&plain, b'\\'));
                assert_eq!(line_end(&plain, 0), len);
                for at in 0..len {
                    let mut text = plain.clone();
                    text[at] = b'\\';
                    assert!(contains_byte(&text, b'\\'), "{text:?}");
                    text[at] = b'\n';
                    for from in 0..=at {
                        assert_eq!(line_end(&text, from), at, "{text:?} from {from}");
                    }
                    assert_eq!(line_end(&text, at + 1), len);
                }
            }
        }
    }
}
