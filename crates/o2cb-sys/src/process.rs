//! Processes: finding them by name or by the files they hold open, and signalling them.

use std::fs;
use std::path::{Path, PathBuf};

use nix::sys::signal::kill;
pub use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::paths::SysRoot;

/// A process and its command name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    pub comm: String,
}

fn all_pids(root: &SysRoot) -> Vec<i32> {
    fs::read_dir(root.path("/proc"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn comm(root: &SysRoot, pid: i32) -> Option<String> {
    fs::read_to_string(root.path(&format!("/proc/{pid}/comm")))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// Processes whose command name is `name` (as `killall -e` matches).
pub fn by_name(root: &SysRoot, name: &str) -> Vec<Process> {
    all_pids(root)
        .into_iter()
        .filter_map(|pid| {
            comm(root, pid)
                .filter(|c| c == name)
                .map(|comm| Process { pid, comm })
        })
        .collect()
}

/// Processes with a file open, a working directory or a root under `dir` (what `fuser -m`
/// finds for a mount point).
pub fn users_of(root: &SysRoot, dir: &Path) -> Vec<Process> {
    let under = |p: PathBuf| p.starts_with(dir);
    all_pids(root)
        .into_iter()
        .filter(|&pid| {
            let base = root.path(&format!("/proc/{pid}"));
            let links = ["cwd", "root"]
                .iter()
                .filter_map(|l| fs::read_link(base.join(l)).ok());
            let fds = fs::read_dir(base.join("fd"))
                .into_iter()
                .flatten()
                .filter_map(|e| fs::read_link(e.ok()?.path()).ok());
            links.chain(fds).any(under)
        })
        .filter_map(|pid| comm(root, pid).map(|comm| Process { pid, comm }))
        .collect()
}

/// Sends a signal; a process that is already gone is not an error.
pub fn signal(process: &Process, sig: Signal) {
    let _ = kill(Pid::from_raw(process.pid), sig);
}

/// Runs a program with no input and its output discarded, and waits for it (daemons fork
/// themselves into the background). Returns whether it exited successfully.
pub fn run_quietly(program: &Path) -> bool {
    std::process::Command::new(program)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
