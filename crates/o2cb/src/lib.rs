//! The o2cb tools' commands: the `o2cb` tool and the init logic (`o2cb.init`). The binaries are
//! thin wrappers that hand `argv` and the real stdout/stderr to [`tool::run`].

pub mod context;
pub mod init;
pub mod json;
pub mod tool;

use std::ffi::OsString;
use std::io::Write;

use o2cb_sys::SysRoot;

/// Runs a tool's entry point with the process's arguments and standard streams, and
/// returns its exit status.
pub fn main_with(entry: fn(&mut context::Context<'_>, Vec<OsString>) -> i32) -> i32 {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| OsString::from("o2cb"));
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let code = {
        let mut ctx = context::Context::new(argv0, SysRoot::from_env(), &mut out, &mut err);
        entry(&mut ctx, args.collect())
    };
    let _ = out.flush();
    code
}
