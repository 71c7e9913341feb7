//! What every binary of o2cb-rs shares, the role `uucore` plays for uutils: the command's
//! [`Context`](context::Context) (name, verbosity, system root, output streams), the `main`
//! that runs an entry point with the process's arguments, the cluster.conf
//! [`Session`](session::Session) around a command, the settings file of the init logic
//! (`/etc/default/o2cb`), and the version and schema numbers every tool prints.
//!
//! No binary's crate is another binary's library: `o2cb`, `o2cb.init`, `o2cb_ctl`,
//! `ocfs2_hb_ctl`, `mount.ocfs2` and `mounted.ocfs2` all build on this crate instead.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::Write;

use o2cb_sys::SysRoot;

pub mod context;
pub mod error;
pub mod session;
pub mod settings;

pub use context::Context;
pub use error::{report, ToolError, ToolResult};
pub use session::{LoadFailure, Session};

/// The release of the C ocfs2-tools whose behaviour the tools reproduce (their `-V` prints
/// it before ours).
pub const REFERENCE_VERSION: &str = "1.8.9";

/// The version of every JSON document the tools print (docs/json.md).
pub const SCHEMA_VERSION: u32 = 1;

/// Whether `POSIXLY_CORRECT` is set: glibc's getopt then stops at the first operand, and so
/// do ours.
pub fn posixly_correct() -> bool {
    std::env::var_os("POSIXLY_CORRECT").is_some()
}

/// A getopt parser over `args` for one of the tools' constant option tables, stopping at the
/// first operand when `POSIXLY_CORRECT` is set, as glibc's does.
pub fn option_parser<'a, Id: Clone + PartialEq>(
    table: &getopt::OptionTable<'a, Id>,
    args: Vec<std::ffi::OsString>,
) -> getopt::Getopt<'a, Id> {
    getopt::Getopt::new(table, args)
        .expect("the tools' option tables are valid (their tests parse with them)")
        .posixly_correct(posixly_correct())
}

/// Runs a tool's entry point with the process's arguments and standard streams, and
/// returns its exit status.
pub fn main_with(entry: fn(&mut Context<'_>, Vec<OsString>) -> i32) -> i32 {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| OsString::from("o2cb"));
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let code = {
        let mut ctx = Context::new(argv0, SysRoot::from_env(), &mut out, &mut err);
        entry(&mut ctx, args.collect())
    };
    let _ = out.flush();
    code
}
