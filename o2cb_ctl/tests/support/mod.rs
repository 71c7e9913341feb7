//! Shared by the o2cb_ctl tests: a fake system root (sysfs saying the o2cb stack is loaded,
//! a plain directory standing in for configfs, `etc/ocfs2/cluster.conf`), our `o2cb_ctl` run
//! in it through `O2CB_SYSROOT`, and the C `o2cb_ctl` run in it through the LD_PRELOAD shim
//! next to this file (`sysroot_shim.c`, built with gcc on first use).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Our binary.
pub const OURS: &str = env!("CARGO_BIN_EXE_o2cb_ctl");

/// The cluster.conf fixtures of the `cluster-conf` crate (valid and invalid files), shared rather than
/// copied.
pub fn conf_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cluster-conf/tests/fixtures")
}

/// This crate's fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true" || v == "1")
}

/// Skips a test (with a message that says so) when a tool it needs is missing; in CI a
/// missing tool fails instead, since the comparison would silently not happen.
pub fn skip(what: &str) {
    if in_ci() {
        panic!("{what} (CI=true: .ci/run installs everything the tests need)");
    }
    eprintln!("SKIPPED: {what}");
}

/// The C tool: `/sbin/o2cb_ctl`, or where dpkg diverted it when our package is installed
/// over ocfs2-tools. Only a binary linked with com_err (the C tools are; ours never are)
/// counts, so that ours is never compared with itself.
pub fn c_tool() -> Option<PathBuf> {
    let found = ["/sbin/o2cb_ctl.ocfs2-tools", "/sbin/o2cb_ctl"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| {
            std::fs::read(p).is_ok_and(|bytes| {
                bytes
                    .windows(b"libcom_err.so".len())
                    .any(|w| w == b"libcom_err.so")
            })
        });
    if found.is_none() {
        skip("the C o2cb_ctl (Debian's ocfs2-tools) is not installed");
    }
    found
}

/// The shim, compiled once per test binary into cargo's scratch directory.
pub fn shim() -> Option<&'static PathBuf> {
    static SHIM: OnceLock<Option<PathBuf>> = OnceLock::new();
    SHIM.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/sysroot_shim.c");
        let library = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("o2cb_ctl-sysroot-shim-{}.so", std::process::id()));
        let status = Command::new("gcc")
            .args([
                "-std=gnu11",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-O1",
                "-shared",
                "-fPIC",
                "-o",
            ])
            .arg(&library)
            .arg(&source)
            .arg("-ldl")
            .status();
        match status {
            Ok(status) if status.success() => Some(library),
            Ok(status) => panic!("gcc failed to build the sysroot shim: {status}"),
            Err(error) => {
                skip(&format!(
                    "the C o2cb_ctl runs need gcc to build the shim ({error})"
                ));
                None
            }
        }
    })
    .as_ref()
}

/// The C tool and the shim, or `None` after saying what is missing.
pub fn reference() -> Option<(PathBuf, PathBuf)> {
    let c = c_tool()?;
    let shim = shim()?.clone();
    Some((c, shim))
}

/// A temporary system root.
#[derive(Debug)]
pub struct FakeRoot {
    dir: tempfile::TempDir,
}

impl FakeRoot {
    /// A machine with the o2cb stack loaded and configfs mounted, and `conf` (if any) as
    /// `/etc/ocfs2/cluster.conf`.
    pub fn new(conf: Option<&[u8]>) -> FakeRoot {
        let root = FakeRoot::bare();
        root.write("sys/fs/ocfs2/cluster_stack", b"o2cb\n");
        root.write("sys/fs/o2cb/interface_revision", b"5\n");
        root.mkdir("sys/kernel/config/cluster");
        root.mkdir("etc/ocfs2");
        if let Some(bytes) = conf {
            root.write("etc/ocfs2/cluster.conf", bytes);
        }
        root
    }

    /// An empty directory: in `/dev/shm` where there is one, since ours fsyncs every file
    /// it writes (and its directory), which on a disk costs more than the whole run.
    pub fn bare() -> FakeRoot {
        let builder = tempfile::Builder::new().prefix("o2cb_ctl-root.").clone();
        let shm = Path::new("/dev/shm");
        let dir = match builder.tempdir_in(shm) {
            Ok(dir) => dir,
            Err(_) => builder.tempdir().unwrap(),
        };
        FakeRoot { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn mkdir(&self, rel: &str) {
        std::fs::create_dir_all(self.join(rel)).unwrap();
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.join(rel)).ok()
    }

    pub fn conf(&self) -> Option<Vec<u8>> {
        self.read("etc/ocfs2/cluster.conf")
    }

    /// A fake `/sbin/modprobe` that appends its arguments to `modprobe.log` at the root.
    pub fn logging_modprobe(&self) {
        let log = self.join("modprobe.log");
        self.write(
            "sbin/modprobe",
            format!("#!/bin/sh\necho \"$*\" >> '{}'\n", log.display()).as_bytes(),
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            self.join("sbin/modprobe"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }

    /// Everything under `rel`, one line per entry in name order: directories end with `/`,
    /// files show their content.
    pub fn tree(&self, rel: &str) -> String {
        let mut out = String::new();
        let base = self.join(rel);
        if base.exists() {
            walk(&base, &base, &mut out);
        } else {
            out.push_str("(absent)\n");
        }
        out
    }

    /// The names in `/etc/ocfs2`.
    pub fn etc_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.join("etc/ocfs2"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Runs our `o2cb_ctl ARGS` with this root.
    pub fn ours(&self, args: &[OsString]) -> Outcome {
        let mut cmd = Command::new(OURS);
        cmd.env("O2CB_SYSROOT", self.path())
            .env_remove("O2CB_SHIM_ROOT")
            .env_remove("LD_PRELOAD");
        self.finish(cmd, args)
    }

    /// Runs the C `o2cb_ctl ARGS` with this root, through the shim.
    pub fn c(&self, reference: &(PathBuf, PathBuf), args: &[OsString]) -> Outcome {
        let mut cmd = Command::new(&reference.0);
        cmd.env("LD_PRELOAD", &reference.1)
            .env("O2CB_SHIM_ROOT", self.path())
            .env_remove("O2CB_SYSROOT");
        self.finish(cmd, args)
    }

    fn finish(&self, mut cmd: Command, args: &[OsString]) -> Outcome {
        let output = cmd
            .args(args)
            .current_dir(self.path())
            .env("LC_ALL", "C")
            .env_remove("POSIXLY_CORRECT")
            .env_remove("O2CB_SHIM_LOG")
            .output()
            .expect("run o2cb_ctl");
        let status = output
            .status
            .code()
            .unwrap_or_else(|| 128 + output.status.signal().unwrap_or(0));
        Outcome {
            stdout: output.stdout,
            stderr: output.stderr,
            status,
            conf: self.conf(),
            backup: self.read("etc/ocfs2/cluster.conf.bak"),
            etc_files: self.etc_files(),
        }
    }
}

fn walk(base: &Path, dir: &Path, out: &mut String) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let rel = path.strip_prefix(base).unwrap().display().to_string();
        if e.file_type().unwrap().is_dir() {
            writeln!(out, "{rel}/").unwrap();
            walk(base, &path, out);
        } else {
            let content = std::fs::read(&path).unwrap();
            writeln!(out, "{rel} = {:?}", String::from_utf8_lossy(&content)).unwrap();
        }
    }
}

/// What one run left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit status, or 128 + signal number as a shell reports it.
    pub status: i32,
    /// `/etc/ocfs2/cluster.conf` afterwards.
    pub conf: Option<Vec<u8>>,
    /// `/etc/ocfs2/cluster.conf.bak` afterwards.
    pub backup: Option<Vec<u8>>,
    /// The names in `/etc/ocfs2` afterwards.
    pub etc_files: Vec<String>,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Splits a hand-written command line: blanks separate words, single quotes group (so `''`
/// is an empty word), and `\t` stands for a tab.
pub fn words(line: &str) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if chars.peek() == Some(&'t') => {
                chars.next();
                word.push('\t');
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

/// A command line as a shell would need it typed (for messages and snapshots).
pub fn shell_line(args: &[OsString]) -> String {
    let mut line = String::from("o2cb_ctl");
    for a in args {
        let a = a.to_string_lossy();
        line.push(' ');
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=.,:/+@%".contains(c))
        {
            line.push_str(&a);
        } else {
            line.push('\'');
            line.push_str(&a.replace('\t', "\\t").replace('\'', "'\\''"));
            line.push('\'');
        }
    }
    line
}

/// The classic part of a file's meaning in the C tools' canonical form: what the C tools
/// would write for it. Two files with the same value mean the same to the C tools.
pub fn classic_meaning(bytes: &[u8]) -> Vec<u8> {
    let doc = cluster_conf::Document::parse(bytes.to_vec());
    let mut config = doc.config().clone();
    config.filesystems.clear();
    cluster_conf::write_canonical(&config)
}
