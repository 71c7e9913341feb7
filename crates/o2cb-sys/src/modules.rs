//! Kernel modules, loaded with `modprobe` (never through a shell).

use std::io;
use std::process::{Command, Stdio};

use crate::paths::SysRoot;

/// Runs `modprobe [-q] MODULE`; returns whether it succeeded. A missing `modprobe` is an
/// error, not a crash.
pub fn modprobe(root: &SysRoot, module: &str, quiet: bool) -> io::Result<bool> {
    let mut cmd = Command::new(root.program("modprobe")?);
    if quiet {
        cmd.arg("-q");
    }
    cmd.arg(module).stdin(Stdio::null());
    Ok(cmd.status()?.success())
}

/// `modprobe -r MODULE`.
pub fn modprobe_remove(root: &SysRoot, module: &str) -> io::Result<bool> {
    Ok(Command::new(root.program("modprobe")?)
        .args(["-r", module])
        .stdin(Stdio::null())
        .status()?
        .success())
}

/// A loaded module and how many users it has (`/proc/modules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedModule {
    pub name: String,
    pub users: u32,
}

/// The modules `/proc/modules` lists.
pub fn loaded_modules(root: &SysRoot) -> Vec<LoadedModule> {
    std::fs::read_to_string(root.proc_modules())
        .map(|t| {
            t.lines()
                .filter_map(|l| {
                    let mut f = l.split_whitespace();
                    let name = f.next()?.to_string();
                    let _size = f.next()?;
                    let users = f.next()?.parse().ok()?;
                    Some(LoadedModule { name, users })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The loaded module of that name, if any.
pub fn loaded_module(root: &SysRoot, name: &str) -> Option<LoadedModule> {
    loaded_modules(root).into_iter().find(|m| m.name == name)
}
