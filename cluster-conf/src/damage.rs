//! What the rejected lines of a file may have hidden from the stanzas they were meant for.
//!
//! The C tools refuse a file with a rejected line, so every such line is an error of its
//! own; the model is still read from the lines that were understood, so that its problems
//! (duplicate nodes, bad addresses, unknown clusters) are reported alongside. But a stanza
//! one of whose lines was rejected, or whose attributes a stray blank line cut off, may lack
//! a key only because that line was not read: saying "node stanza has no `ip_address`" for
//! `ip address = 10.0.0.1` would blame the stanza for what the syntax error already says.
//! This records, for each such stanza, which keys its rejected lines may have been.

use rustc_hash::FxHashMap;

use crate::model::StanzaId;
use crate::syntax::{self, is_ident, LineKind, Span, SyntaxError, SyntaxTree};

/// Which of a stanza's keys rejected lines may hide.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Hidden {
    /// The keys of rejected lines whose key could be read (`number 3`, `name: a`, or an
    /// attribute a blank line cut off from the stanza).
    Keys(Vec<Span>),
    /// A rejected line whose key cannot be told (`ip address = ...`, `= 3`): any key.
    Any,
}

/// The stanzas rejected lines may have taken keys from. Empty for a file without rejected
/// lines, which is found without scanning it again.
pub(crate) struct Damage<'t> {
    text: &'t [u8],
    hidden: FxHashMap<usize, Hidden>,
}

impl<'t> Damage<'t> {
    pub(crate) fn of(text: &'t [u8], tree: &SyntaxTree) -> Damage<'t> {
        let mut damage = Damage {
            text,
            hidden: FxHashMap::default(),
        };
        if tree.problems() > 0 {
            damage.scan(tree);
        }
        damage
    }

    fn scan(&mut self, tree: &SyntaxTree) {
        let text = self.text;
        // The stanza whose lines these are, and the one a blank line ended last (the
        // attributes after that blank were most likely meant for it).
        let mut open: Option<usize> = None;
        let mut ended: Option<usize> = None;
        syntax::scan(text, false, |line| {
            let start = line.span.start;
            let opened = tree
                .stanza_before(start + 1)
                .filter(|&s| tree.header_offset(s) == start);
            if let Some(s) = opened {
                // A nameless stanza (`;comment`, `[node]`) opened with no blank line before
                // it takes the attributes that follow from the stanza that was open.
                if let Some(previous) = open.filter(|_| tree.stanza_name(text, s).is_empty()) {
                    for a in tree.attributes_of(s) {
                        self.hide(previous, Some(tree.attribute_key(text, a)));
                    }
                }
                open = Some(s);
                ended = None;
                return;
            }
            match line.kind {
                LineKind::Blank => ended = open.take().or(ended),
                LineKind::Invalid {
                    error: SyntaxError::AttributeOutsideStanza,
                    name,
                    ..
                } => {
                    if let Some(s) = ended {
                        self.hide(s, name);
                    }
                }
                LineKind::Invalid { error, at, name } => {
                    let Some(s) = open.or(ended) else {
                        return;
                    };
                    let byte = text.get(at as usize).copied();
                    match (error, byte) {
                        // A CR alone: the blank line of a CRLF file, which ends the stanza.
                        (SyntaxError::InvalidStanzaNameChar, Some(b'\r')) => {
                            ended = open.take().or(ended);
                        }
                        // An indented comment is a comment, not a key.
                        (SyntaxError::InvalidAttributeNameChar, Some(b'#')) => {}
                        (SyntaxError::MissingEquals, _) => self.hide(s, name),
                        (SyntaxError::ExpectedEquals, Some(b)) if !is_ident(b) => {
                            self.hide(s, name);
                        }
                        (
                            SyntaxError::InvalidAttributeNameChar | SyntaxError::ExpectedEquals,
                            _,
                        ) => self.hide(s, None),
                        _ => {}
                    }
                }
                _ => {}
            }
        });
    }

    /// Records that stanza `s` may lack the key `key` (any key when `None`).
    fn hide(&mut self, s: usize, key: Option<Span>) {
        let hidden = self.hidden.entry(s).or_insert(Hidden::Keys(Vec::new()));
        match (hidden, key) {
            (Hidden::Keys(keys), Some(key)) => keys.push(key),
            (hidden, None) => *hidden = Hidden::Any,
            (Hidden::Any, Some(_)) => {}
        }
    }

    /// Whether a rejected line may have been the stanza's `key`: then a missing `key` is the
    /// syntax error's doing, not a problem of its own.
    pub(crate) fn may_hide(&self, stanza: StanzaId, key: &str) -> bool {
        match self.hidden.get(&stanza.0) {
            None => false,
            Some(Hidden::Any) => true,
            Some(Hidden::Keys(keys)) => {
                keys.iter().any(|k| &self.text[k.range()] == key.as_bytes())
            }
        }
    }
}
