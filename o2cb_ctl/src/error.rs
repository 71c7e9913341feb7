//! How `o2cb_ctl` fails: a message, the usage when the command line was wrong, and the
//! negated errno the reference exits with (docs/ocfs2-tools-reference.md §2.7). Operations
//! return a [`CtlError`] with `?`; [`crate::run`] shows it through [`o2cb_runtime::report`].

use std::fmt;

use o2cb_runtime::ToolError;

/// The errnos the reference exits with (as `256 - errno`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Invalid,
    NotFound,
    Exists,
    Io,
    Range,
    NotSupported,
    TooBig,
    /// A raw errno (from writing the file).
    Errno(i32),
}

impl Status {
    pub fn code(self) -> i32 {
        let errno = match self {
            Status::Ok => return 0,
            Status::Invalid => 22,
            Status::NotFound => 2,
            Status::Exists => 17,
            Status::Io => 5,
            Status::Range => 34,
            Status::NotSupported => 95,
            Status::TooBig => 7,
            Status::Errno(e) => e,
        };
        (256 - errno) & 0xff
    }
}

/// A failed `o2cb_ctl`: what it says (`o2cb_ctl: message`), whether the usage follows, and
/// the status it exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtlError {
    pub status: Status,
    /// `None` when there is nothing more to say: the reference exits without a word, or the
    /// operation already wrote its lines (several, or without the program's prefix).
    pub message: Option<String>,
    /// The command line was wrong: the usage follows the message.
    pub usage: bool,
}

impl CtlError {
    /// `o2cb_ctl: message`, then exit with `status`.
    pub fn new(status: Status, message: impl fmt::Display) -> Self {
        CtlError {
            status,
            message: Some(message.to_string()),
            usage: false,
        }
    }

    /// Exit with `status` and nothing more on stderr.
    pub fn quiet(status: Status) -> Self {
        CtlError {
            status,
            message: None,
            usage: false,
        }
    }

    /// The same failure with the usage after its message.
    pub fn with_usage(self) -> Self {
        CtlError {
            usage: true,
            ..self
        }
    }
}

impl fmt::Display for CtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message.as_deref().unwrap_or_default())
    }
}

impl ToolError for CtlError {
    fn code(&self) -> i32 {
        self.status.code()
    }

    fn usage(&self) -> bool {
        self.usage
    }

    fn printed(&self) -> bool {
        self.message.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_negated_errnos() {
        let codes = [
            (Status::Ok, 0),
            (Status::Invalid, 234),
            (Status::NotFound, 254),
            (Status::Exists, 239),
            (Status::Io, 251),
            (Status::Range, 222),
            (Status::NotSupported, 161),
            (Status::TooBig, 249),
            (Status::Errno(1), 255),
        ];
        for (status, code) in codes {
            assert_eq!(CtlError::quiet(status).code(), code, "{status:?}");
        }
    }

    #[test]
    fn a_quiet_error_says_nothing_and_a_usage_error_asks_for_the_usage() {
        let quiet = CtlError::quiet(Status::NotFound);
        assert!(quiet.printed());
        assert_eq!(quiet.to_string(), "");
        let wrong = CtlError::new(Status::TooBig, "Extraneous arguments: \"x\"").with_usage();
        assert!(!wrong.printed() && wrong.usage());
        assert_eq!(wrong.to_string(), "Extraneous arguments: \"x\"");
    }
}
