//! `ionice(1)`, run without a shell: ocfs2_hb_ctl gives a heartbeat thread real-time I/O
//! priority so that a busy disk does not make the node miss its heartbeat and fence itself.

use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::paths::SysRoot;

/// The ionice program, if installed: util-linux puts it in `/usr/bin` (the only place the C
/// tool looks), busybox systems in `/bin`; found as every program is.
pub fn find(root: &SysRoot) -> Option<PathBuf> {
    root.find_program("ionice")
}

/// Runs `ionice -c1 -n<priority> -p<pid>` (real-time class) and returns its exit status
/// (`None` when killed by a signal).
pub fn set_realtime(program: &std::path::Path, priority: u8, pid: u32) -> io::Result<Option<i32>> {
    let status = Command::new(program)
        .arg("-c1")
        .arg(format!("-n{priority}"))
        .arg(format!("-p{pid}"))
        .stdin(Stdio::null())
        .status()?;
    Ok(status.code())
}
