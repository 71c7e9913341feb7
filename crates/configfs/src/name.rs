//! Names that may become configfs directory names.
//!
//! A name read from cluster.conf or the command line becomes a path component under
//! `/sys/kernel/config/cluster`. It must not be able to point anywhere else (`/`, `.`, `..`),
//! and it must fit the kernel's limits, or the kernel answers with an errno that explains
//! nothing. Once a value is a [`ConfigfsName`], it is safe to join to a path.
//!
//! The rules themselves are `cluster_conf::names`: the same definition gives the warnings of
//! `o2cb check`, so that it finds everything registration refuses, with the same reason.

use std::fmt;

pub use cluster_conf::names::{NameKind, NameProblem};

/// Why a name cannot be a configfs directory name: the name and the reason.
pub type NameError = cluster_conf::names::NameRefusal;

/// A name checked to be one safe path component within the kernel's limits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigfsName(String);

impl ConfigfsName {
    pub fn new(kind: NameKind, name: &[u8]) -> Result<ConfigfsName, NameError> {
        NameError::check(kind, name)?;
        let text = std::str::from_utf8(name).expect("the name rules accept only UTF-8");
        Ok(ConfigfsName(text.to_string()))
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

    /// Every class the name rules refuse is refused here, with the rules' reason.
    #[test]
    fn names_that_escape_or_overflow_are_refused_for_the_rules_reason() {
        assert_eq!(
            ConfigfsName::new(NameKind::Node, b"alpha")
                .unwrap()
                .as_str(),
            "alpha"
        );
        let problem = |kind, name: &[u8]| ConfigfsName::new(kind, name).unwrap_err().problem;
        assert_eq!(problem(NameKind::Node, b""), NameProblem::Empty);
        assert_eq!(problem(NameKind::Node, b"a\0b"), NameProblem::Nul);
        for bad in [&b"a/b"[..], b"../x", b"/"] {
            assert_eq!(problem(NameKind::Node, bad), NameProblem::Slash, "{bad:?}");
        }
        for bad in [&b"."[..], b".."] {
            assert_eq!(problem(NameKind::Cluster, bad), NameProblem::Dot, "{bad:?}");
        }
        assert!(ConfigfsName::new(NameKind::Node, &[b'a'; 64]).is_ok());
        assert_eq!(
            problem(NameKind::Node, &[b'a'; 65]),
            NameProblem::TooLong { len: 65, max: 64 }
        );
        assert_eq!(
            problem(NameKind::Region, &[b'A'; 33]),
            NameProblem::TooLong { len: 33, max: 32 }
        );
        assert!(ConfigfsName::new(NameKind::Cluster, &[b'c'; 255]).is_ok());
        // Not "contains `/`, a NUL byte, or is `.`": the reason is the encoding.
        let e = ConfigfsName::new(NameKind::Node, b"caf\xe9").unwrap_err();
        assert_eq!(e.problem, NameProblem::NotUtf8);
        assert_eq!(
            e.to_string(),
            "node name `caf\\xE9` is not valid UTF-8; these tools register only names that are text (is the file in another encoding?)"
        );
    }

    /// What registration refuses, `o2cb check` (the model's warnings) reports, with the same
    /// words.
    #[test]
    fn check_reports_every_name_registration_refuses() {
        for (name, kind) in [
            (&b"caf\xe9"[..], NameKind::Node),
            (b"a/b", NameKind::Node),
            (b"..", NameKind::Node),
            (&[b'n'; 65], NameKind::Node),
        ] {
            let refusal = ConfigfsName::new(kind, name).unwrap_err().to_string();
            let mut text = b"cluster:\n\tname = c\n\tnode_count = 1\n\nnode:\n\tcluster = c\n\tnumber = 1\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\tname = ".to_vec();
            text.extend_from_slice(name);
            text.push(b'\n');
            let doc = cluster_conf::Document::parse(text);
            assert!(!doc.has_classic_errors());
            let warnings: Vec<String> = doc.diagnostics().into_iter().map(|d| d.message).collect();
            assert!(
                warnings.contains(&format!("{refusal}; registration will fail")),
                "{refusal}: {warnings:?}"
            );
        }
    }
}
