//! Which names can become configfs directory names: the one definition, used both by the
//! model's warnings (what `o2cb check` reports) and by registration (the `configfs` crate's
//! `ConfigfsName`), so that `check` finds exactly what registration will refuse, for the
//! same reason.
//!
//! A cluster, node or heartbeat region name becomes a directory under
//! `/sys/kernel/config/cluster`. It must be one path component (no `/`, no NUL, not `.` or
//! `..`), within the kernel's length limit for its kind, and — our own rule — text: names
//! are printed, compared with host names and written into JSON, and one that is not UTF-8
//! is a file in another encoding, not a name anyone chose.

use std::fmt;

/// What a name names, with the kernel's length limit for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// Why a name cannot be a configfs directory name. Each class has its own reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameProblem {
    Empty,
    /// A NUL byte ends a C string: the kernel would see a shorter name.
    Nul,
    Slash,
    /// `.` or `..`.
    Dot,
    TooLong {
        len: usize,
        max: usize,
    },
    NotUtf8,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::Nul => f.write_str("contains a NUL byte, which a directory name cannot hold"),
            NameProblem::Slash => f.write_str("contains `/`, which a directory name cannot hold"),
            NameProblem::Dot => f.write_str(
                "cannot be a directory name (`.` and `..` are a directory itself and its parent)",
            ),
            NameProblem::TooLong { len, max } => {
                write!(f, "is {len} bytes long; the kernel accepts at most {max}")
            }
            NameProblem::NotUtf8 => f.write_str(
                "is not valid UTF-8; these tools register only names that are text (is the file in another encoding?)",
            ),
        }
    }
}

/// The first reason, in the order of [`NameProblem`]'s variants, why `name` cannot be a
/// configfs directory name of this kind; `None` when it can.
pub fn name_problem(kind: NameKind, name: &[u8]) -> Option<NameProblem> {
    // One pass over the name (every node of a file is checked as it is read).
    let (mut nul, mut slash, mut ascii) = (false, false, true);
    for &b in name {
        nul |= b == 0;
        slash |= b == b'/';
        ascii &= b.is_ascii();
    }
    if name.is_empty() {
        Some(NameProblem::Empty)
    } else if nul {
        Some(NameProblem::Nul)
    } else if slash {
        Some(NameProblem::Slash)
    } else if name == b"." || name == b".." {
        Some(NameProblem::Dot)
    } else if name.len() > kind.max_len() {
        Some(NameProblem::TooLong {
            len: name.len(),
            max: kind.max_len(),
        })
    } else if !ascii && std::str::from_utf8(name).is_err() {
        Some(NameProblem::NotUtf8)
    } else {
        None
    }
}

/// A name and why it cannot be a configfs directory name, as one sentence:
/// ``node name `a/b` contains `/`, ...``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameRefusal {
    pub kind: NameKind,
    /// The name as shown: bytes that are not printable text escaped (see
    /// [`crate::values::escaped`]).
    pub shown: String,
    pub problem: NameProblem,
}

impl NameRefusal {
    /// Checks a name; `Err` says why it cannot be used.
    pub fn check(kind: NameKind, name: &[u8]) -> Result<(), NameRefusal> {
        match name_problem(kind, name) {
            None => Ok(()),
            Some(problem) => Err(NameRefusal {
                kind,
                shown: crate::values::escaped(name),
                problem,
            }),
        }
    }
}

impl fmt::Display for NameRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            NameProblem::Empty => write!(f, "{} name is empty", self.kind.what()),
            problem => write!(f, "{} name `{}` {problem}", self.kind.what(), self.shown),
        }
    }
}

impl std::error::Error for NameRefusal {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each class of refused name, with its own reason, for each kind.
    #[test]
    fn each_class_is_refused_with_its_reason() {
        let cases: &[(NameKind, &[u8], Option<NameProblem>)] = &[
            (NameKind::Node, b"alpha", None),
            (NameKind::Node, b"\xc3\xa9t\xc3\xa9", None),
            (NameKind::Node, b"", Some(NameProblem::Empty)),
            (NameKind::Cluster, b"", Some(NameProblem::Empty)),
            (NameKind::Node, b"a\0b", Some(NameProblem::Nul)),
            (NameKind::Node, b"a/b", Some(NameProblem::Slash)),
            (NameKind::Region, b"/", Some(NameProblem::Slash)),
            (NameKind::Node, b"../x", Some(NameProblem::Slash)),
            (NameKind::Node, b".", Some(NameProblem::Dot)),
            (NameKind::Cluster, b"..", Some(NameProblem::Dot)),
            (NameKind::Node, b"...", None),
            (NameKind::Node, &[b'a'; 64], None),
            (
                NameKind::Node,
                &[b'a'; 65],
                Some(NameProblem::TooLong { len: 65, max: 64 }),
            ),
            (NameKind::Region, &[b'A'; 32], None),
            (
                NameKind::Region,
                &[b'A'; 33],
                Some(NameProblem::TooLong { len: 33, max: 32 }),
            ),
            (NameKind::Cluster, &[b'c'; 255], None),
            (
                NameKind::Cluster,
                &[b'c'; 256],
                Some(NameProblem::TooLong { len: 256, max: 255 }),
            ),
            (NameKind::Node, b"caf\xe9", Some(NameProblem::NotUtf8)),
            (NameKind::Node, b"\xff", Some(NameProblem::NotUtf8)),
        ];
        for (kind, name, want) in cases {
            assert_eq!(name_problem(*kind, name), *want, "{kind:?} {name:?}");
        }
        let shown: Vec<String> = [
            (NameKind::Node, &b""[..]),
            (NameKind::Node, b"a\0b"),
            (NameKind::Node, b"a/b"),
            (NameKind::Node, b".."),
            (NameKind::Node, &[b'a'; 65]),
            (NameKind::Region, b"caf\xe9"),
        ]
        .iter()
        .map(|(k, n)| NameRefusal::check(*k, n).unwrap_err().to_string())
        .collect();
        assert_eq!(
            shown,
            [
                "node name is empty",
                "node name `a\\0b` contains a NUL byte, which a directory name cannot hold",
                "node name `a/b` contains `/`, which a directory name cannot hold",
                "node name `..` cannot be a directory name (`.` and `..` are a directory itself and its parent)",
                "node name `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` is 65 bytes long; the kernel accepts at most 64",
                "heartbeat region name `caf\\xE9` is not valid UTF-8; these tools register only names that are text (is the file in another encoding?)",
            ]
        );
    }
}
