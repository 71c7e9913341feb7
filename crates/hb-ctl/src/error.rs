//! How failures are worded. The C tools print `<prog>: <table text> while <doing>`, with
//! the text from libo2cb's or libocfs2's com_err tables; scripts and people search for those
//! words, so ours start the same way and then say what exactly happened:
//! `mount.ocfs2: Cluster name is invalid while trying to join the group: volume /dev/vdb
//! belongs to cluster 'prod', but the running cluster is 'web'`.

/// A failure with the reference's words and our detail.
pub trait Reported {
    /// The words the reference prints for this failure (its com_err table text).
    fn text(&self) -> String;
    /// What exactly happened and, where it helps, what to do; `None` when the text says all.
    fn detail(&self) -> Option<String>;
}

/// `<prog>: <text> while <doing>[: <detail>]`, without the newline.
pub fn line(prog: &str, failure: &dyn Reported, doing: &str) -> String {
    let mut s = format!("{prog}: {} while {doing}", failure.text());
    if let Some(detail) = failure.detail() {
        s.push_str(": ");
        s.push_str(&detail);
    }
    s
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
}
