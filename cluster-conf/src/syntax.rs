//! The lossless syntax layer: cluster.conf bytes → stanzas and attributes.
//!
//! The C tools read cluster.conf with a GLib scanner configured so that every byte is
//! significant. This module reproduces that line grammar exactly, but instead of stopping at
//! the first problem it classifies *every* line, and tells for each line the C tools would
//! refuse why ([`SyntaxError`]). The lines tile the input byte for byte
//! ([`SyntaxTree::lines`]), which is what lets edits touch only the stanzas they must.

use std::borrow::Cow;
use std::ops::Range;

/// The longest text the tree can describe: offsets are `u32`, with the top bit free for a
/// flag.
pub const MAX_TEXT_LEN: usize = (u32::MAX >> 1) as usize;

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
    /// Everything from the NUL byte where the C tools stop reading to the end.
    IgnoredTail,
}

/// One logical line: a physical line, or several joined by backslash-newline continuations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The whole line including its terminating line feed, if any.
    pub span: Span,
    pub kind: LineKind,
}

/// An attribute line of a stanza, as read back from the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The whole line including its line feed, if any.
    pub line: Span,
    pub key: Span,
    /// The raw value (see [`LineKind::Attribute`]).
    pub value: Span,
}

/// A stanza: its header, its attribute and comment lines, and the comments that lead into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    /// The stanza name (empty for a line that cannot start a header but opened a nameless
    /// stanza, such as `[cluster]`).
    pub name: Span,
    /// The header line, line feed included.
    pub header: Span,
    /// Where the stanza's text starts: the first of the comment lines that directly precede
    /// the header (no blank line between), or the header itself.
    pub first: u32,
    /// Where the stanza's text ends: after its last attribute, comment or rejected line up to
    /// the blank line, header or end of file that ends it (comments that directly precede
    /// the next header belong to that header instead).
    pub end: u32,
    /// Indices of its attributes, for [`SyntaxTree::attribute`].
    pub attributes: Range<usize>,
    /// The header itself was rejected (e.g. `cluster :`).
    pub broken_header: bool,
}

/// An attribute as the tree stores it: where its key starts and where its raw value starts
/// and ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AttributeEntry {
    key: u32,
    value: Span,
}

/// Marks a stanza entry whose header line was rejected.
const BROKEN: u32 = 1 << 31;

/// A stanza as the tree stores it: three offsets. Everything else is read again from the
/// text when asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StanzaEntry {
    /// Offset of the header line, with [`BROKEN`] set for a rejected header.
    header: u32,
    /// See [`Stanza::first`].
    first: u32,
    /// Index of its first attribute.
    attributes: u32,
}

/// The stanzas and attributes of a cluster.conf text, as offsets into it.
///
/// Only what cannot be read again cheaply is stored: twelve bytes per stanza and twelve per
/// attribute line (where its key starts, where its value starts and ends: finding a value
/// again meant scanning its line again, and made reading a file half as fast). Blank lines,
/// comments and rejected lines are not stored at all. A tree with an entry per line was 28
/// bytes for every line; a file of blank lines took 30 times its own size, two copies of it
/// during an edit more than 80 times. Stanza ends and lines are found again by scanning the
/// few lines concerned ([`SyntaxTree::stanza`], [`SyntaxTree::lines`]).
#[derive(Clone, Debug, Default)]
pub struct SyntaxTree {
    stanzas: Vec<StanzaEntry>,
    /// Every attribute line inside a stanza, in file order.
    attributes: Vec<AttributeEntry>,
    /// How many lines were rejected.
    problems: usize,
    /// How many NUL bytes the C tools skip rather than stop at (see [`nul_is_skipped`]).
    skipped_nuls: usize,
    /// Offset of the NUL byte where the C tools stop reading.
    nul_at: Option<u32>,
}

impl SyntaxTree {
    /// Offset of the NUL byte where the C tools stop reading, if any.
    pub fn nul_at(&self) -> Option<u32> {
        self.nul_at
    }

    /// How many lines the C tools reject.
    pub fn problems(&self) -> usize {
        self.problems
    }

    /// How many NUL bytes the C tools read past (each hides the identifier characters after
    /// it; see [`nul_is_skipped`]).
    pub fn skipped_nuls(&self) -> usize {
        self.skipped_nuls
    }

    pub fn stanza_count(&self) -> usize {
        self.stanzas.len()
    }

    /// The offset of a stanza's header line.
    pub fn header_offset(&self, i: usize) -> u32 {
        self.stanzas[i].header & !BROKEN
    }

    /// The indices of a stanza's attributes.
    pub fn attributes_of(&self, i: usize) -> Range<usize> {
        let start = self.stanzas[i].attributes as usize;
        let end = self
            .stanzas
            .get(i + 1)
            .map_or(self.attributes.len(), |s| s.attributes as usize);
        start..end
    }

    /// A stanza's name.
    pub fn stanza_name(&self, text: &[u8], i: usize) -> Span {
        let h = self.header_offset(i) as usize;
        let body = body(text, self.nul_at);
        span(h, ident_token(body, h).0)
    }

    /// The last stanza whose header line starts before `pos`.
    pub fn stanza_before(&self, pos: u32) -> Option<usize> {
        let n = self.stanzas.partition_point(|s| s.header & !BROKEN < pos);
        n.checked_sub(1)
    }

    /// A stanza's header line, line feed included.
    pub fn header_line(&self, text: &[u8], i: usize) -> Span {
        scan_line(body(text, self.nul_at), self.header_offset(i) as usize)
            .0
            .span
    }

    /// Everything about a stanza. Its end is found by scanning its lines.
    pub fn stanza(&self, text: &[u8], i: usize) -> Stanza {
        let e = self.stanzas[i];
        let body = body(text, self.nul_at);
        let h = (e.header & !BROKEN) as usize;
        let (header, _) = scan_line(body, h);
        Stanza {
            name: span(h, ident_token(body, h).0),
            header: header.span,
            first: e.first,
            end: stanza_end(body, h),
            attributes: self.attributes_of(i),
            broken_header: e.header & BROKEN != 0,
        }
    }

    pub fn attribute_count(&self) -> usize {
        self.attributes.len()
    }

    /// The key of an attribute.
    pub fn attribute_key(&self, text: &[u8], a: usize) -> Span {
        let k = self.attributes[a].key as usize;
        span(k, ident_token(body(text, self.nul_at), k).0)
    }

    /// The raw value of an attribute (see [`LineKind::Attribute`]).
    pub fn attribute_value(&self, a: usize) -> Span {
        self.attributes[a].value
    }

    /// An attribute line.
    pub fn attribute(&self, text: &[u8], a: usize) -> Attribute {
        let body = body(text, self.nul_at);
        let AttributeEntry { key, value } = self.attributes[a];
        let k = key as usize;
        // An attribute line is blanks then its key: the line starts after the blanks.
        let start = k - body[..k]
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        // The value ends at the line feed that ends the line, or at the end of the text.
        let end = (value.end as usize + 1).min(body.len());
        Attribute {
            line: span(start, end),
            key: span(k, ident_token(body, k).0),
            value,
        }
    }

    /// Every line of the text, as classified (an attribute line outside any stanza is
    /// [`SyntaxError::AttributeOutsideStanza`]). The lines tile the text. Made by scanning
    /// the text again; meant for tests and tools, not for hot paths.
    pub fn lines(text: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        scan(text, false, |line| lines.push(*line));
        lines
    }
}

/// The logical lines that start in `from..to`, read from `from`, which must start one. No
/// stanza context is applied: an attribute line outside any stanza reads as an attribute.
pub(crate) fn lines_from(body: &[u8], from: usize, to: usize) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut pos = from;
    while pos < to.min(body.len()) {
        let (line, next) = scan_line(body, pos);
        lines.push(line);
        pos = next;
    }
    lines
}

/// The text the C tools read: up to the NUL byte where they stop.
fn body(text: &[u8], nul_at: Option<u32>) -> &[u8] {
    &text[..nul_at.map_or(text.len(), |n| n as usize)]
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

pub(crate) fn is_ident(b: u8) -> bool {
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

/// Whether the C tools read past the NUL byte at `at` instead of stopping there.
///
/// Found by experiment (docs/compatibility.md, `crates/o2cb/tests/nul_bytes.rs`): the C
/// scanner stops at a NUL byte, except right after the first character of an identifier
/// (a run of letters, digits and `_`). Its test for "does the identifier go on?" looks the
/// next byte up in the set of identifier characters with a C string search, which also
/// finds the string's own terminating NUL; so the NUL is taken into the identifier, and then
/// the identifier characters after it. The identifier's text, a C string, ends at the NUL:
/// what the NUL and the characters after it spelled is lost, and reading goes on after them.
/// `number = 1` NUL `0` reads as `number = 1`; `c` NUL `luster:` is a stanza called `c`.
///
/// The byte before `at` must start its identifier: it is an identifier character and the
/// byte before it is not, nor a NUL (a NUL skipped there would make it part of that NUL's
/// hidden run, and the identifier ends at the next NUL).
pub fn nul_is_skipped(text: &[u8], at: usize) -> bool {
    at >= 1 && is_ident(text[at - 1]) && (at < 2 || (!is_ident(text[at - 2]) && text[at - 2] != 0))
}

/// Where the C tools stop reading: the first NUL byte they do not skip.
fn stopping_nul(text: &[u8]) -> (Option<usize>, usize) {
    let mut skipped = 0;
    for at in memchr::memchr_iter(0, text) {
        if !nul_is_skipped(text, at) {
            return (Some(at), skipped);
        }
        skipped += 1;
    }
    (None, skipped)
}

/// An identifier token starting at `p`: where its visible text ends, and where the token
/// ends. They differ when a skipped NUL follows its first character: the NUL and the
/// identifier characters after it belong to the token but not to its text.
fn ident_token(body: &[u8], p: usize) -> (usize, usize) {
    if body.get(p).is_some_and(|&b| is_ident(b)) && body.get(p + 1) == Some(&0) {
        (p + 1, skip(body, p + 2, IDENT))
    } else {
        let end = skip(body, p, IDENT);
        (end, end)
    }
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

/// Scans the bytes of one cluster.conf into stanzas and attributes. Never fails: rejected
/// lines are counted, and described again by [`SyntaxTree::lines`] and the document's
/// diagnostics.
///
/// # Panics
///
/// If the text is longer than [`MAX_TEXT_LEN`].
pub fn parse(text: &[u8]) -> SyntaxTree {
    scan(text, true, |_| {})
}

/// Scans `text`, calling `visit` with every line as classified, and builds the stanza and
/// attribute tables when `build` is set.
pub(crate) fn scan(text: &[u8], build: bool, mut visit: impl FnMut(&Line)) -> SyntaxTree {
    assert!(
        text.len() <= MAX_TEXT_LEN,
        "a cluster.conf of {} bytes is beyond the {MAX_TEXT_LEN} that spans can address",
        text.len()
    );
    let (nul_at, skipped_nuls) = stopping_nul(text);
    let end = nul_at.unwrap_or(text.len());
    let body = &text[..end];

    let mut tree = SyntaxTree {
        nul_at: nul_at.map(|at| at as u32),
        skipped_nuls,
        ..SyntaxTree::default()
    };
    let mut builder = StanzaBuilder {
        build,
        ..StanzaBuilder::default()
    };

    let mut pos = 0;
    while pos < end {
        let (line, next) = scan_line(body, pos);
        let line = builder.feed(&mut tree, body, line);
        if matches!(line.kind, LineKind::Invalid { .. }) {
            tree.problems += 1;
        }
        visit(&line);
        pos = next;
    }
    if let Some(nul) = nul_at {
        visit(&Line {
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
        let (key_end, token_end) = ident_token(text, p);
        let key = span(key_start, key_end);
        p = skip(text, token_end, BLANK);
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
        let value_end = value_end(text, value_start);
        let kind = LineKind::Attribute {
            key,
            value: span(value_start, value_end),
        };
        return finish(kind, value_end);
    }
    if class & IDENT != 0 {
        let (name_end, token_end) = ident_token(text, start);
        let name = span(start, name_end);
        let mut p = token_end;
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

/// Where a value starting at `value_start` ends: at the first line feed that is not escaped
/// by a backslash, or at the end of the text.
fn value_end(text: &[u8], value_start: usize) -> usize {
    let end = text.len();
    let mut q = value_start;
    loop {
        let lf = line_end(text, q);
        if lf == end {
            return end;
        }
        if lf > value_start
            && text[lf - 1] == b'\\'
            && !escaped_backslash(text, value_start, lf - 1)
        {
            q = lf + 1;
            if q >= end {
                return end;
            }
        } else {
            return lf;
        }
    }
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

/// Where the stanza whose header line starts at `header` ends (see [`Stanza::end`]), found
/// by reading its lines with the rules [`StanzaBuilder`] applies while scanning.
fn stanza_end(body: &[u8], header: usize) -> u32 {
    let (_, mut pos) = scan_line(body, header);
    // Opened by a line that cannot start a header (`[cluster]`): such lines merge until an
    // attribute comes.
    let nameless = !is_ident(body[header]);
    let mut attributes = false;
    let mut end = pos;
    while pos < body.len() {
        let (line, next) = scan_line(body, pos);
        match line.kind {
            LineKind::Comment => {}
            LineKind::Blank => return pos as u32,
            LineKind::Header { .. }
            | LineKind::Invalid {
                error:
                    SyntaxError::MissingColon
                    | SyntaxError::InvalidCharInStanzaDecl
                    | SyntaxError::TrailingGarbageAfterHeader,
                ..
            } => return end as u32,
            LineKind::Invalid {
                error: SyntaxError::InvalidStanzaNameChar,
                at,
                ..
            } => {
                if is_cr_line(&body[at as usize..line.span.end as usize]) {
                    return pos as u32;
                }
                if !nameless || attributes {
                    return end as u32;
                }
                end = next;
            }
            LineKind::Attribute { .. } => {
                attributes = true;
                end = next;
            }
            LineKind::Invalid { .. } | LineKind::IgnoredTail => end = next,
        }
        pos = next;
    }
    body.len() as u32
}

/// Groups lines into stanzas while they are scanned, mirroring the C parser's single
/// "current stanza" pointer.
#[derive(Default)]
struct StanzaBuilder {
    /// Whether to record stanzas and attributes (a scan only for diagnostics does not).
    build: bool,
    /// Whether a stanza is open for attribute lines.
    open: bool,
    /// The open stanza was opened by a line that cannot start a header and has no attributes
    /// yet: more such lines join it instead of opening one stanza each.
    open_nameless_empty: bool,
    /// The first of the comment lines seen since the last non-comment line (where the next
    /// header's stanza starts).
    comment_run: Option<u32>,
}

impl StanzaBuilder {
    #[inline(always)]
    fn feed(&mut self, tree: &mut SyntaxTree, text: &[u8], mut line: Line) -> Line {
        match line.kind {
            LineKind::Comment => {
                self.comment_run.get_or_insert(line.span.start);
                return line;
            }
            LineKind::Blank => self.open = false,
            LineKind::Header { .. } => self.open(tree, line.span.start, false),
            LineKind::Invalid {
                error:
                    SyntaxError::MissingColon
                    | SyntaxError::InvalidCharInStanzaDecl
                    | SyntaxError::TrailingGarbageAfterHeader,
                ..
            } => {
                // A header we could read the name of: keep the attributes that follow with
                // it so that one bad header does not cascade into errors on every line below.
                self.open(tree, line.span.start, true);
            }
            LineKind::Invalid {
                error: SyntaxError::InvalidStanzaNameChar,
                at,
                ..
            } => {
                if is_cr_line(&text[at as usize..line.span.end as usize]) {
                    // The CR of a CRLF blank line: the author meant a blank line.
                    self.open = false;
                } else if !(self.open && self.open_nameless_empty) {
                    // Most likely a header in another syntax (`[cluster]`): group what
                    // follows under a nameless stanza instead of reporting every attribute
                    // below it as homeless.
                    self.open(tree, line.span.start, true);
                    self.open_nameless_empty = true;
                }
            }
            LineKind::Attribute { key, value } => {
                if self.open {
                    if self.build {
                        tree.attributes.push(AttributeEntry {
                            key: key.start,
                            value,
                        });
                    }
                    self.open_nameless_empty = false;
                } else {
                    line.kind = LineKind::Invalid {
                        error: SyntaxError::AttributeOutsideStanza,
                        at: key.start,
                        name: Some(key),
                    };
                }
            }
            LineKind::Invalid { .. } | LineKind::IgnoredTail => {}
        }
        self.comment_run = None;
        line
    }

    fn open(&mut self, tree: &mut SyntaxTree, header: u32, broken: bool) {
        self.open = true;
        self.open_nameless_empty = false;
        if self.build {
            tree.stanzas.push(StanzaEntry {
                header: header | if broken { BROKEN } else { 0 },
                first: self.comment_run.unwrap_or(header),
                attributes: tree.attributes.len() as u32,
            });
        }
    }
}

/// Decodes a raw attribute value: a backslash followed by a line feed becomes a line feed,
/// a backslash right before the end of the text is dropped, any other backslash is kept with
/// the byte after it.
pub fn decode_value(raw: &[u8]) -> Cow<'_, [u8]> {
    if !contains_byte(raw, b'\\') {
        return Cow::Borrowed(raw);
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
    Cow::Owned(out)
}

/// Drops what the C tools skip in a raw value: each NUL byte (inside the text they read,
/// every NUL is one they skip; see [`nul_is_skipped`]) and the identifier characters after
/// it.
pub fn strip_skipped(raw: &[u8]) -> Cow<'_, [u8]> {
    if !contains_byte(raw, 0) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == 0 {
            i = skip(raw, i + 1, IDENT);
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Whether a short string (a value, a name) has a byte. Eight bytes at a time with integer
/// arithmetic beats memchr's set-up (`<[u8]>::contains` is memchr) and a loop over bytes.
pub(crate) fn contains_byte(raw: &[u8], needle: u8) -> bool {
    contains_either(raw, needle, needle)
}

/// Whether a short string has either of two bytes, in one pass.
fn contains_either(raw: &[u8], a: u8, b: u8) -> bool {
    if raw.len() < 8 {
        return raw.iter().any(|&c| c == a || c == b);
    }
    let found = |bytes: &[u8]| {
        let w = word(bytes);
        zero_bytes(w ^ splat(a)) | zero_bytes(w ^ splat(b)) != 0
    };
    // The last word overlaps the one before it rather than leaving up to 7 bytes over.
    raw.chunks_exact(8).any(found) || found(&raw[raw.len() - 8..])
}

/// A raw value as the C config layer reads it: skipped NUL bytes and what they hide dropped,
/// continuations decoded, then trimmed.
pub fn read_value(raw: &[u8]) -> Cow<'_, [u8]> {
    if !contains_either(raw, b'\\', 0) {
        return Cow::Borrowed(trim_value(raw));
    }
    let stripped = strip_skipped(raw);
    let mut value = decode_value(&stripped).into_owned();
    value.truncate(trim_value(&value).len());
    Cow::Owned(value)
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
