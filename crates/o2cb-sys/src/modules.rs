//! Kernel modules, loaded with `modprobe` (never through a shell).

use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::paths::SysRoot;

/// `/sbin/modprobe` if the root has it, else `modprobe` from `PATH` (merged-/usr systems and
/// containers may lack the `/sbin` path; the C tools then fork-loop, spec §5.5).
fn modprobe_program(root: &SysRoot) -> PathBuf {
    let p = root.modprobe();
    if p.exists() {
        p
    } else {
        PathBuf::from("modprobe")
    }
}

/// Runs `modprobe [-q] MODULE`; returns whether it succeeded. A missing `modprobe` is an
/// error, not a crash.
pub fn modprobe(root: &SysRoot, module: &str, quiet: bool) -> io::Result<bool> {
    let mut cmd = Command::new(modprobe_program(root));
    if quiet {
        cmd.arg("-q");
    }
    cmd.arg(module).stdin(Stdio::null());
    Ok(cmd.status()?.success())
}

/// `modprobe -r MODULE`.
pub fn modprobe_remove(root: &SysRoot, module: &str) -> io::Result<bool> {
    Ok(Command::new(modprobe_program(root))
        .args(["-r", module])
        .stdin(Stdio::null())
        .status()?
        .success())
}
