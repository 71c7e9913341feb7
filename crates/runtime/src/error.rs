//! Errors that carry their exit status, as uutils' `UError` does: a command returns
//! `Err(e)` with `?`, and the tool's `run` turns it into the message, the usage when asked
//! for, and the exit status, in one place.
//!
//! Each family of binaries has its own error type (its exit statuses differ: `o2cb` exits 0
//! or 1, `o2cb_ctl` with negated errnos, `o2cb.init` with LSB codes, `mount.ocfs2` with
//! mount's); they all implement [`ToolError`].

use std::fmt;

use crate::context::Context;

/// A failure a command returns instead of printing it itself.
pub trait ToolError: fmt::Display + fmt::Debug {
    /// The exit status of the tool.
    fn code(&self) -> i32;

    /// Whether the tool's usage follows the message.
    fn usage(&self) -> bool {
        false
    }

    /// Whether the message is already on stderr (a command that printed several lines
    /// itself), so that only the status remains.
    fn printed(&self) -> bool {
        false
    }
}

/// A command's result.
pub type ToolResult<T = ()> = Result<T, Box<dyn ToolError>>;

impl<E: ToolError + 'static> From<E> for Box<dyn ToolError> {
    fn from(e: E) -> Self {
        Box::new(e)
    }
}

/// Shows a failure the way every tool does (`prog: message`, then the usage if asked for)
/// and returns the exit status. An empty message prints nothing.
pub fn report(ctx: &mut Context<'_>, e: &dyn ToolError, usage: &str) -> i32 {
    if !e.printed() {
        let text = e.to_string();
        if !text.is_empty() {
            ctx.error(text);
        }
    }
    if e.usage() {
        ctx.error_bytes(usage.as_bytes());
    }
    e.code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Refused(&'static str, bool);

    impl fmt::Display for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl ToolError for Refused {
        fn code(&self) -> i32 {
            7
        }
        fn usage(&self) -> bool {
            self.1
        }
    }

    fn shown(e: Refused) -> (i32, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut ctx = Context::new(
            "/sbin/tool".into(),
            o2cb_sys::SysRoot::default(),
            &mut out,
            &mut err,
        );
        let failed: Box<dyn ToolError> = e.into();
        let code = report(&mut ctx, failed.as_ref(), "usage: tool\n");
        (code, String::from_utf8(err).unwrap())
    }

    #[test]
    fn the_message_then_the_usage_then_the_status() {
        assert_eq!(
            shown(Refused("bad", true)),
            (7, "tool: bad\nusage: tool\n".to_string())
        );
        assert_eq!(shown(Refused("", false)), (7, String::new()));
    }
}
