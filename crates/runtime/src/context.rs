//! What every command runs with: its name, how talkative to be, the system root, and
//! where its output goes (the real stdout/stderr, or buffers in tests).

use std::ffi::{OsStr, OsString};
use std::fmt::Display;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use o2cb_sys::SysRoot;

/// The program's name as the C tools show it: the last component of `argv[0]`.
pub fn program_name(argv0: &OsStr) -> String {
    let name = Path::new(argv0)
        .file_name()
        .map_or_else(|| argv0.to_os_string(), OsStr::to_os_string);
    name.to_string_lossy().into_owned()
}

/// Verbosity levels of the C tools: 1 by default, each `-v` adds one; "application"
/// messages appear from 2 on, debug traces from 4 on.
pub const VERBOSE_APP: u32 = 2;

/// A command's environment.
pub struct Context<'io> {
    /// `basename(argv[0])`, the prefix of every message.
    pub prog: String,
    /// `argv[0]` as given (glibc's getopt quotes it in its complaints).
    pub argv0: OsString,
    pub verbosity: u32,
    pub root: SysRoot,
    pub out: &'io mut dyn Write,
    pub err: &'io mut dyn Write,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("prog", &self.prog)
            .field("verbosity", &self.verbosity)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl<'io> Context<'io> {
    pub fn new(
        argv0: OsString,
        root: SysRoot,
        out: &'io mut dyn Write,
        err: &'io mut dyn Write,
    ) -> Self {
        Context {
            prog: program_name(&argv0),
            argv0,
            verbosity: 1,
            root,
            out,
            err,
        }
    }

    /// `prog: message` on stderr. Output errors are ignored, as the C tools ignore them.
    pub fn error(&mut self, message: impl Display) {
        let _ = writeln!(self.err, "{}: {message}", self.prog);
    }

    /// A line on stderr without the program prefix.
    pub fn error_line(&mut self, line: impl Display) {
        let _ = writeln!(self.err, "{line}");
    }

    /// Raw bytes on stderr.
    pub fn error_bytes(&mut self, bytes: &[u8]) {
        let _ = self.err.write_all(bytes);
    }

    /// An "application" message on stderr, shown with `-v`.
    pub fn verbose(&mut self, message: impl Display) {
        if self.verbosity >= VERBOSE_APP {
            let _ = writeln!(self.err, "{message}");
        }
    }

    /// Bytes on stdout.
    pub fn print(&mut self, bytes: &[u8]) {
        let _ = self.out.write_all(bytes);
    }

    /// glibc's complaint about a bad option, exactly as getopt would have printed it.
    pub fn getopt_error(&mut self, program: &OsStr, error: &getopt::GetoptError) {
        let mut line = error.message(program).as_bytes().to_vec();
        line.push(b'\n');
        let _ = self.err.write_all(&line);
    }
}
