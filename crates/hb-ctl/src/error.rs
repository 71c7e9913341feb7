//! How failures are worded and how they end the command. The C tools print
//! `<prog>: <table text> while <doing>`, with the text from libo2cb's or libocfs2's com_err
//! tables; scripts and people search for those words, so ours start the same way and then
//! say what exactly happened:
//! `mount.ocfs2: Cluster name is invalid while trying to join the group: volume /dev/vdb
//! belongs to cluster 'prod', but the running cluster is 'web'`.
//!
//! The libraries' errors say their part ([`Reported`]: the reference's words and our
//! detail); a command wraps one in an [`HbError`] with what it was doing
//! ([`WhileDoing::while_doing`]) and returns it, and the tool's `run` shows it once with
//! [`o2cb_runtime::report`].

use std::fmt;

use o2cb_runtime::ToolError;

/// The exit status of every failure of `ocfs2_hb_ctl` and `mount.ocfs2`.
pub const FAILURE: i32 = 1;

/// A failure with the reference's words and our detail.
pub trait Reported {
    /// The words the reference prints for this failure (its com_err table text).
    fn text(&self) -> String;
    /// What exactly happened and, where it helps, what to do; `None` when the text says all.
    fn detail(&self) -> Option<String>;
}

/// A failure of `ocfs2_hb_ctl` or `mount.ocfs2`, shown after the program name as
/// `<text>[ while <doing>][: <detail>]`, then the usage if asked for; the status is
/// [`FAILURE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HbError {
    /// The reference's words (its com_err table text), or our whole sentence where the
    /// reference has no table text for the case.
    text: String,
    /// What the tool was doing, in the reference's words.
    doing: Option<String>,
    /// What exactly happened, in ours.
    detail: Option<String>,
    usage: bool,
}

impl HbError {
    /// A failure in the reference's `words`.
    pub fn new(words: impl Into<String>) -> HbError {
        HbError {
            text: words.into(),
            doing: None,
            detail: None,
            usage: false,
        }
    }

    /// A library's failure: its words and detail.
    pub fn from_failure(failure: &dyn Reported) -> HbError {
        HbError {
            detail: failure.detail(),
            ..HbError::new(failure.text())
        }
    }

    /// A command line the tool refuses: nothing but the usage (after whatever getopt
    /// complained about).
    pub fn usage() -> HbError {
        HbError {
            usage: true,
            ..HbError::new("")
        }
    }

    /// What the tool was doing when it failed.
    pub fn while_doing(self, doing: impl Into<String>) -> HbError {
        HbError {
            doing: Some(doing.into()),
            ..self
        }
    }

    /// What exactly happened.
    pub fn because(self, detail: impl Into<String>) -> HbError {
        HbError {
            detail: Some(detail.into()),
            ..self
        }
    }
}

impl fmt::Display for HbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        if let Some(doing) = &self.doing {
            write!(f, " while {doing}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl ToolError for HbError {
    /// Every failure, usage errors included, exits 1, as in the reference.
    fn code(&self) -> i32 {
        FAILURE
    }

    fn usage(&self) -> bool {
        self.usage
    }
}

/// `.while_doing("...")` on a library result: its failure as the tool shows it.
pub trait WhileDoing<T> {
    fn while_doing(self, doing: &str) -> Result<T, HbError>;
}

impl<T, E: Reported> WhileDoing<T> for Result<T, E> {
    fn while_doing(self, doing: &str) -> Result<T, HbError> {
        self.map_err(|e| HbError::from_failure(&e).while_doing(doing))
    }
}

impl Reported for o2cb_sys::semaphore::SemaphoreError {
    fn text(&self) -> String {
        self.to_string()
    }

    fn detail(&self) -> Option<String> {
        Some(self.reason())
    }
}

impl Reported for o2cb_sys::stack::StackError {
    fn text(&self) -> String {
        use o2cb_sys::stack::StackError as E;
        match self {
            E::Unavailable(_) => "Unable to access cluster service",
            E::BadVersion(_) => "Revision of OCFS2-Tools is out of date.",
            E::Internal(_) => "Internal logic failure",
            E::OtherStack(_) => "Cluster stack is invalid",
        }
        .to_string()
    }

    fn detail(&self) -> Option<String> {
        use o2cb_sys::stack::StackError as E;
        Some(match self {
            E::Unavailable(d) | E::Internal(d) => d.clone(),
            E::BadVersion(n) => format!(
                "the kernel speaks interface revision {n}, this tool {}",
                o2cb_sys::stack::INTERFACE_REVISION
            ),
            E::OtherStack(s) => {
                format!("this tool runs the o2cb stack, but the {s} stack is in use")
            }
        })
    }
}

impl Reported for o2cb_sys::userstack::UserStackError {
    fn text(&self) -> String {
        use o2cb_sys::userstack::UserStackError as E;
        match self {
            E::OtherCluster { .. } => "Cluster name is invalid",
            E::OtherStackBusy { .. } | E::Unsupported(_) => "Cluster stack is invalid",
            E::SelectFailed { .. } => "Internal logic failure",
            E::NoStackGlue(_)
            | E::NoRecoveryCallbacks(_)
            | E::NotRunning(_)
            | E::NoDlmCluster(_) => "Unable to access cluster service",
        }
        .to_string()
    }

    fn detail(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Reported for o2cb_sys::volume::VolumeError {
    fn text(&self) -> String {
        self.words()
    }

    fn detail(&self) -> Option<String> {
        Some(self.detail())
    }
}

impl Reported for o2cb_sys::volume::NotFound {
    fn text(&self) -> String {
        self.to_string()
    }

    fn detail(&self) -> Option<String> {
        Some(self.detail())
    }
}

/// An I/O error in words, without Rust's `(os error N)` suffix.
pub fn io_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// `<prog>: <text> while <doing>[: <detail>]`, without the newline: the line
/// [`o2cb_runtime::report`] shows for a library's failure.
pub fn line(prog: &str, failure: &dyn Reported, doing: &str) -> String {
    format!(
        "{prog}: {}",
        HbError::from_failure(failure).while_doing(doing)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    impl Reported for Plain {
        fn text(&self) -> String {
            "Cluster name is invalid".into()
        }
        fn detail(&self) -> Option<String> {
            None
        }
    }

    #[test]
    fn the_reference_words_come_first() {
        assert_eq!(
            line("mount.ocfs2", &Plain, "trying to join the group"),
            "mount.ocfs2: Cluster name is invalid while trying to join the group"
        );
    }

    fn shown(e: HbError, usage: &str) -> (i32, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut ctx = o2cb_runtime::Context::new(
            "/sbin/mount.ocfs2".into(),
            o2cb_sys::SysRoot::default(),
            &mut out,
            &mut err,
        );
        let code = o2cb_runtime::report(&mut ctx, &e, usage);
        assert!(out.is_empty());
        (code, String::from_utf8(err).unwrap())
    }

    #[test]
    fn a_failure_is_its_words_what_was_being_done_and_why() {
        let failed: Result<(), Plain> = Err(Plain);
        let e = failed.while_doing("trying to join the group").unwrap_err();
        assert_eq!(
            shown(e.because("no cluster is registered"), "usage\n"),
            (
                1,
                "mount.ocfs2: Cluster name is invalid while trying to join the group: no \
                 cluster is registered\n"
                    .to_string()
            )
        );
        assert_eq!(
            shown(HbError::new("Unknown filesystem ext4"), "usage\n"),
            (1, "mount.ocfs2: Unknown filesystem ext4\n".to_string())
        );
    }

    #[test]
    fn a_refused_command_line_is_the_usage_alone() {
        assert_eq!(
            shown(HbError::usage(), "usage\n"),
            (1, "usage\n".to_string())
        );
    }
}
