//! Running our binaries and the C reference side by side.
#![allow(dead_code)]

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian's ocfs2-tools put a reference binary, if installed. In CI the reference is
/// required (a missing one would make the comparison vacuous); elsewhere the caller skips.
pub fn reference(name: &str) -> Option<PathBuf> {
    let found = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists());
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("the C reference `{name}` is not installed; .ci/run installs ocfs2-tools");
    }
    found
}

/// What one run left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit status, or 128 + signal number as a shell reports it.
    pub status: i32,
    /// The configuration file afterwards (None if it does not exist).
    pub file: Option<Vec<u8>>,
}

impl Run {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `bin --config-file=cluster.conf ARGS` in `dir` (a relative path, so both tools print
/// the same name in their messages).
pub fn run_in(bin: &Path, dir: &Path, args: &[OsString]) -> Run {
    let output = Command::new(bin)
        .arg("--config-file=cluster.conf")
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("POSIXLY_CORRECT")
        .output()
        .expect("run the binary");
    let status = output
        .status
        .code()
        .unwrap_or_else(|| 128 + output.status.signal().unwrap_or(0));
    Run {
        stdout: output.stdout,
        stderr: output.stderr,
        status,
        file: std::fs::read(dir.join("cluster.conf")).ok(),
    }
}

/// Splits a command line the simple way: blanks separate words, single quotes group.
pub fn words(line: &str) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(OsString::from(std::mem::take(&mut word)));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(OsString::from(word));
    }
    out
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cluster-conf/tests/fixtures")
}

pub fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_o2cb"))
}

/// The classic part of a file's meaning in the C tools' canonical form: what the C tools
/// would write for it. Two files with the same value mean the same to the C tools.
pub fn classic_meaning(bytes: &[u8]) -> Vec<u8> {
    let doc = cluster_conf::Document::parse(bytes.to_vec());
    let mut config = doc.config().clone();
    config.filesystems.clear();
    cluster_conf::write_canonical(&config)
}
