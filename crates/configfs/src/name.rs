//! Names that may become configfs directory names.
//!
//! A name read from cluster.conf or the command line becomes a path component under
//! `/sys/kernel/config/cluster`. It must not be able to point anywhere else (`/`, `.`, `..`),
//! and it must fit the kernel's limits, or the kernel answers with an errno that explains
//! nothing. Once a value is a [`ConfigfsName`], it is safe to join to a path.

use std::fmt;

use bstr::ByteSlice;

/// What a name names, with the kernel's length limit for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A cluster directory: the VFS limit (255 bytes) is the only one the kernel has.
    Cluster,
    /// A node directory: o2nm refuses names longer than 64 bytes (ENAMETOOLONG).
    Node,
    /// A heartbeat region directory: o2hb refuses names longer than 32 bytes.
    Region,
}

impl NameKind {
    pub fn max_len(self) -> usize {
        match self {
            NameKind::Cluster => 255,
            NameKind::Node => 64,
            NameKind::Region => 32,
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            NameKind::Cluster => "cluster",
            NameKind::Node => "node",
            NameKind::Region => "heartbeat region",
        }
    }
}

/// Why a name cannot be a configfs directory name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{} name is empty", kind.what())]
    Empty { kind: NameKind },
    #[error("{} name `{name}` is {len} bytes long; the kernel accepts at most {max}", kind.what())]
    TooLong {
        kind: NameKind,
        name: String,
        len: usize,
        max: usize,
    },
    #[error("{} name `{name}` cannot be a directory name (it contains `/`, a NUL byte, or is `.` or `..`)", kind.what())]
    NotAPathComponent { kind: NameKind, name: String },
}

/// A name checked to be one safe path component within the kernel's limits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigfsName(String);

impl ConfigfsName {
    pub fn new(kind: NameKind, name: &[u8]) -> Result<ConfigfsName, NameError> {
        let shown = || name.to_str_lossy().into_owned();
        if name.is_empty() {
            return Err(NameError::Empty { kind });
        }
        if name.contains(&b'/') || name.contains(&0) || name == b"." || name == b".." {
            return Err(NameError::NotAPathComponent {
                kind,
                name: shown(),
            });
        }
        if name.len() > kind.max_len() {
            return Err(NameError::TooLong {
                kind,
                name: shown(),
                len: name.len(),
                max: kind.max_len(),
            });
        }
        // configfs names live in a Rust String here; bytes that are not UTF-8 are
        // refused as not-a-path-component rather than mangled.
        match std::str::from_utf8(name) {
            Ok(s) => Ok(ConfigfsName(s.to_string())),
            Err(_) => Err(NameError::NotAPathComponent {
                kind,
                name: shown(),
            }),
        }
    }

    /// A name read back from configfs itself (already a directory name there).
    pub(crate) fn from_kernel(name: String) -> ConfigfsName {
        ConfigfsName(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConfigfsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ConfigfsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_or_overflow_are_refused() {
        assert!(ConfigfsName::new(NameKind::Node, b"alpha").is_ok());
        assert!(matches!(
            ConfigfsName::new(NameKind::Node, b""),
            Err(NameError::Empty { .. })
        ));
        for bad in [&b".."[..], b".", b"a/b", b"../x", b"a\0b"] {
            assert!(
                matches!(
                    ConfigfsName::new(NameKind::Node, bad),
                    Err(NameError::NotAPathComponent { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(ConfigfsName::new(NameKind::Node, &[b'a'; 64]).is_ok());
        assert!(matches!(
            ConfigfsName::new(NameKind::Node, &[b'a'; 65]),
            Err(NameError::TooLong {
                len: 65,
                max: 64,
                ..
            })
        ));
        assert!(ConfigfsName::new(NameKind::Region, &[b'A'; 33]).is_err());
        assert!(ConfigfsName::new(NameKind::Cluster, &[b'c'; 255]).is_ok());
    }
}
