//! What glibc complains about, as data, and the exact words it uses.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use thiserror::Error;

/// How the offending long option was introduced; glibc quotes it back with this prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongPrefix {
    /// `--name`.
    DoubleDash,
    /// `-W name` (an option string containing `W;`).
    DashW,
}

impl LongPrefix {
    pub fn as_str(self) -> &'static str {
        match self {
            LongPrefix::DoubleDash => "--",
            LongPrefix::DashW => "-W ",
        }
    }
}

/// One error glibc's getopt reports (returning `?`, or `:` for a missing argument in colon
/// mode). Parsing goes on after an error, as in C.
///
/// `Display` gives glibc's text after the `prog: ` prefix, lossily for non-UTF-8 arguments;
/// [`GetoptError::message`] gives the exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GetoptError {
    /// A short option character the option string does not accept.
    #[error("invalid option -- '{}'", lossy(&[*option]))]
    InvalidOption { option: u8 },
    /// A short option that requires an argument was the last word.
    #[error("option requires an argument -- '{}'", lossy(&[*option]))]
    MissingArgument { option: u8 },
    /// No long option starts with the given name. `text` is everything after the prefix,
    /// `=value` included, as glibc quotes it.
    #[error("unrecognized option '{}{}'", prefix.as_str(), lossy(text.as_bytes()))]
    UnrecognizedOption { prefix: LongPrefix, text: OsString },
    /// An abbreviation that matches several long options that differ in argument or id.
    /// `candidates` are the full names, in table order.
    #[error(
        "option '{}{}' is ambiguous; possibilities:{}",
        prefix.as_str(),
        lossy(text.as_bytes()),
        candidate_list(*prefix, candidates)
    )]
    AmbiguousOption {
        prefix: LongPrefix,
        text: OsString,
        candidates: Vec<String>,
    },
    /// `--name=value` for a long option without argument. `name` is the full name even
    /// when the user abbreviated it.
    #[error("option '{}{name}' doesn't allow an argument", prefix.as_str())]
    ArgumentNotAllowed { prefix: LongPrefix, name: String },
    /// A long option that requires an argument was the last word.
    #[error("option '{}{name}' requires an argument", prefix.as_str())]
    MissingLongArgument { prefix: LongPrefix, name: String },
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

fn candidate_list(prefix: LongPrefix, candidates: &[String]) -> String {
    candidates
        .iter()
        .map(|name| format!(" '{}{name}'", prefix.as_str()))
        .collect()
}

impl GetoptError {
    /// The line glibc 2.36 writes to stderr for this error (C locale), without the
    /// trailing newline. `program` is `argv[0]` exactly as glibc has it: the C tools pass
    /// their full `argv[0]`, or a sub-command name when they restart getopt on a sub-argv.
    ///
    /// glibc prints nothing at all in colon mode; see [`crate::OptionTable::is_silent`].
    pub fn message(&self, program: &OsStr) -> OsString {
        let mut line = program.as_bytes().to_vec();
        line.extend_from_slice(b": ");
        match self {
            GetoptError::InvalidOption { option } => {
                line.extend_from_slice(b"invalid option -- '");
                line.push(*option);
                line.push(b'\'');
            }
            GetoptError::MissingArgument { option } => {
                line.extend_from_slice(b"option requires an argument -- '");
                line.push(*option);
                line.push(b'\'');
            }
            GetoptError::UnrecognizedOption { prefix, text } => {
                line.extend_from_slice(b"unrecognized option '");
                line.extend_from_slice(prefix.as_str().as_bytes());
                line.extend_from_slice(text.as_bytes());
                line.push(b'\'');
            }
            GetoptError::AmbiguousOption {
                prefix,
                text,
                candidates,
            } => {
                line.extend_from_slice(b"option '");
                line.extend_from_slice(prefix.as_str().as_bytes());
                line.extend_from_slice(text.as_bytes());
                line.extend_from_slice(b"' is ambiguous; possibilities:");
                line.extend_from_slice(candidate_list(*prefix, candidates).as_bytes());
            }
            // The remaining messages quote only table names, which are UTF-8.
            GetoptError::ArgumentNotAllowed { .. } | GetoptError::MissingLongArgument { .. } => {
                line.extend_from_slice(self.to_string().as_bytes());
            }
        }
        OsString::from_vec(line)
    }

    /// glibc's `optopt` after this error: the short option character, `0` for an unknown
    /// or ambiguous long option. For the two long-option errors glibc stores the option's
    /// `val`, which is the `id` of the named entry; this returns `None` there.
    pub fn optopt(&self) -> Option<u8> {
        match self {
            GetoptError::InvalidOption { option } | GetoptError::MissingArgument { option } => {
                Some(*option)
            }
            GetoptError::UnrecognizedOption { .. } | GetoptError::AmbiguousOption { .. } => Some(0),
            GetoptError::ArgumentNotAllowed { .. } | GetoptError::MissingLongArgument { .. } => {
                None
            }
        }
    }

    /// Whether glibc returns `:` rather than `?` for this error in colon mode.
    pub fn is_missing_argument(&self) -> bool {
        matches!(
            self,
            GetoptError::MissingArgument { .. } | GetoptError::MissingLongArgument { .. }
        )
    }
}
