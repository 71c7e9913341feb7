//! Differential testing against the system's glibc: the C harness next to this file runs
//! the real `getopt`/`getopt_long`, and [`ours`] writes the same transcript from the Rust
//! parser.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use getopt::{Function, Getopt, HasArg, OptionSpec, OptionTable, Parsed};

/// One C call site: option string, entry point, `struct option` rows as (name, has_arg, val).
#[derive(Debug, Clone, Copy)]
pub struct CallSite {
    pub name: &'static str,
    pub optstring: &'static str,
    pub function: Function,
    pub long: &'static [(&'static str, HasArg, i32)],
    pub posixly_correct: bool,
}

const fn site(
    name: &'static str,
    optstring: &'static str,
    function: Function,
    long: &'static [(&'static str, HasArg, i32)],
) -> CallSite {
    CallSite {
        name,
        optstring,
        function,
        long,
        posixly_correct: false,
    }
}

// Values from ocfs2-tools' o2cbtool.h: CONFIG_FILE_OPTION = CHAR_MAX + 1, and so on.
const CONFIG_FILE_OPTION: i32 = 128;
const IP_OPTION: i32 = 129;
const PORT_OPTION: i32 = 130;
const NODENUM_OPTION: i32 = 131;
const ONELINE_OPTION: i32 = 132;

pub const O2CB: CallSite = site(
    "o2cb",
    "+hvV",
    Function::GetoptLong,
    &[
        ("config-file", HasArg::Required, CONFIG_FILE_OPTION),
        ("help", HasArg::No, b'h' as i32),
        ("verbose", HasArg::No, b'v' as i32),
        ("version", HasArg::No, b'V' as i32),
    ],
);
pub const O2CB_ADD_NODE: CallSite = site(
    "o2cb add-node",
    "",
    Function::GetoptLong,
    &[
        ("ip", HasArg::Required, IP_OPTION),
        ("port", HasArg::Required, PORT_OPTION),
        ("number", HasArg::Required, NODENUM_OPTION),
    ],
);
pub const O2CB_LIST: CallSite = site(
    "o2cb list-*",
    "",
    Function::GetoptLong,
    &[("oneline", HasArg::No, ONELINE_OPTION)],
);
pub const O2CB_CTL: CallSite = site("o2cb_ctl", ":hVCDIHiuozn:t:a:-:", Function::Getopt, &[]);
pub const HB_CTL: CallSite = site("ocfs2_hb_ctl", "ISKPd:u:n:h", Function::Getopt, &[]);
pub const MOUNTED: CallSite = site("mounted.ocfs2", "dfv", Function::Getopt, &[]);
/// glibc features no tool of ours uses, covered so the emulation is whole: operands in
/// order, optional arguments, abbreviations of alike options, colon mode with long options.
pub const IN_ORDER: CallSite = site(
    "return-in-order",
    "-a::b:c",
    Function::GetoptLong,
    &[
        ("alpha", HasArg::Optional, b'a' as i32),
        ("beta", HasArg::Required, b'b' as i32),
        ("verbose", HasArg::No, b'v' as i32),
        ("verb", HasArg::No, b'v' as i32),
        ("version", HasArg::No, b'V' as i32),
    ],
);
pub const COLON_LONG: CallSite = site(
    "colon-long",
    ":ab:-:",
    Function::GetoptLong,
    &[
        ("config", HasArg::Required, 200),
        ("config-file", HasArg::Required, 200),
        ("conf", HasArg::No, 201),
        ("help", HasArg::No, 202),
        ("hex", HasArg::Optional, 203),
    ],
);
pub const W_SEMICOLON: CallSite = site(
    "W;",
    "W;ab:",
    Function::GetoptLong,
    &[
        ("foo", HasArg::No, 300),
        ("file", HasArg::Required, 301),
        ("fuzz", HasArg::Optional, 302),
    ],
);
pub const POSIXLY_CORRECT: CallSite = CallSite {
    posixly_correct: true,
    ..site(
        "POSIXLY_CORRECT",
        "ab:",
        Function::GetoptLong,
        &[("all", HasArg::No, b'a' as i32)],
    )
};

pub const ALL_SITES: [CallSite; 10] = [
    O2CB,
    O2CB_ADD_NODE,
    O2CB_LIST,
    O2CB_CTL,
    HB_CTL,
    MOUNTED,
    IN_ORDER,
    COLON_LONG,
    W_SEMICOLON,
    POSIXLY_CORRECT,
];

impl CallSite {
    /// The short option characters the option string accepts, with their argument kind,
    /// the first occurrence of each, as glibc's strchr finds them.
    pub fn shorts(&self) -> Vec<(u8, HasArg)> {
        let bytes = self.optstring.as_bytes();
        let body = match bytes.first() {
            Some(b'+' | b'-') => &bytes[1..],
            _ => bytes,
        };
        let mut shorts: Vec<(u8, HasArg)> = Vec::new();
        for (at, &c) in body.iter().enumerate() {
            if c == b':' || c == b';' || shorts.iter().any(|&(seen, _)| seen == c) {
                continue;
            }
            if self.function == Function::GetoptLong
                && body[at + 1..].starts_with(b";")
                && c == b'W'
            {
                continue;
            }
            let has_arg = match (body.get(at + 1), body.get(at + 2)) {
                (Some(b':'), Some(b':')) => HasArg::Optional,
                (Some(b':'), _) => HasArg::Required,
                _ => HasArg::No,
            };
            shorts.push((c, has_arg));
        }
        shorts
    }

    /// The Rust table for this call site; ids are what the C function returns.
    pub fn specs(&self) -> Vec<OptionSpec<'static, i32>> {
        let short = self
            .shorts()
            .into_iter()
            .map(|(c, has_arg)| OptionSpec::short(i32::from(c), c, has_arg));
        let long = self
            .long
            .iter()
            .map(|&(name, has_arg, val)| OptionSpec::long(val, name, has_arg));
        short.chain(long).collect()
    }

    fn long_val(&self, name: &str) -> i32 {
        self.long
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, _, val)| val)
            .expect("error names a long option of the table")
    }
}

/// What the caller of getopt observes: stdout of the harness, and glibc's stderr.
#[derive(Debug, PartialEq, Eq)]
pub struct Transcript {
    pub calls: String,
    pub stderr: Vec<u8>,
}

const PROGRAM: &str = "prog";

fn word(out: &mut String, word: Option<&OsStr>) {
    match word {
        None => out.push('-'),
        Some(word) => {
            out.push('x');
            for b in word.as_bytes() {
                write!(out, "{b:02x}").unwrap();
            }
        }
    }
}

/// The transcript the Rust parser produces for the same call.
pub fn ours(site: &CallSite, args: &[OsString]) -> Transcript {
    let specs = site.specs();
    let table = OptionTable {
        optstring: site.optstring,
        function: site.function,
        options: &specs,
    };
    let mut parser = Getopt::new(&table, args.to_vec())
        .expect("call site table is valid")
        .posixly_correct(site.posixly_correct);
    let mut calls = String::new();
    let mut stderr = Vec::new();
    // glibc copies its internal optopt, zero until the first error, after every call.
    let mut optopt = 0;
    while let Some(item) = parser.next() {
        let (code, arg) = match item {
            Parsed::Opt { id, arg } => (id, arg),
            Parsed::Operand(operand) => (1, Some(operand)),
            Parsed::Error(error) => {
                optopt = match error.optopt() {
                    // C stores the option in a signed `char`.
                    Some(c) => i32::from(c as i8),
                    None => match &error {
                        getopt::GetoptError::ArgumentNotAllowed { name, .. }
                        | getopt::GetoptError::MissingLongArgument { name, .. } => {
                            site.long_val(name)
                        }
                        _ => unreachable!("only long-option errors lack an optopt byte"),
                    },
                };
                if !table.is_silent() {
                    stderr.extend_from_slice(error.message(OsStr::new(PROGRAM)).as_bytes());
                    stderr.push(b'\n');
                }
                let code = if table.is_silent() && error.is_missing_argument() {
                    b':'
                } else {
                    b'?'
                };
                (i32::from(code), None)
            }
        };
        write!(calls, "opt {code} {} {optopt} ", parser.optind() + 1).unwrap();
        word(&mut calls, arg.as_deref());
        calls.push('\n');
    }
    write!(calls, "end {}\nargv", parser.optind() + 1).unwrap();
    for arg in parser.args() {
        calls.push(' ');
        word(&mut calls, Some(arg));
    }
    calls.push('\n');
    Transcript { calls, stderr }
}

fn harness() -> Option<&'static PathBuf> {
    static HARNESS: OnceLock<Option<PathBuf>> = OnceLock::new();
    HARNESS
        .get_or_init(|| {
            let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/harness.c");
            let binary = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("getopt-harness-{}", std::process::id()));
            let status = Command::new("gcc")
                .args(["-std=gnu11", "-Wall", "-Werror", "-O1", "-o"])
                .arg(&binary)
                .arg(&source)
                .status();
            match status {
                Ok(status) if status.success() => Some(binary),
                Ok(status) => panic!("gcc failed to build the glibc harness: {status}"),
                Err(error) => {
                    eprintln!("SKIPPED: glibc differential tests need gcc ({error})");
                    None
                }
            }
        })
        .as_ref()
}

/// The transcript glibc produces, or `None` (after saying so) when gcc is missing.
pub fn glibc(site: &CallSite, args: &[OsString]) -> Option<Transcript> {
    let harness = harness()?;
    let long: Vec<String> = site
        .long
        .iter()
        .map(|&(name, has_arg, val)| {
            let has_arg = match has_arg {
                HasArg::No => 0,
                HasArg::Required => 1,
                HasArg::Optional => 2,
            };
            format!("{name}:{has_arg}:{val}")
        })
        .collect();
    let mut command = Command::new(harness);
    command
        .arg(match site.function {
            Function::Getopt => "getopt",
            Function::GetoptLong => "getopt_long",
        })
        .arg(site.optstring)
        .arg(long.join(","))
        .arg(PROGRAM)
        .args(args)
        .env("LC_ALL", "C");
    if site.posixly_correct {
        command.env("POSIXLY_CORRECT", "1");
    } else {
        command.env_remove("POSIXLY_CORRECT");
    }
    let output = command.output().expect("run the glibc harness");
    assert!(output.status.success(), "harness failed: {output:?}");
    Some(Transcript {
        calls: String::from_utf8(output.stdout).expect("harness prints ASCII"),
        stderr: output.stderr,
    })
}

/// Splits a hand-written command line: words are separated by spaces; `''` is an empty
/// word, `\s` a space inside a word and `\xHH` a raw byte.
pub fn words(line: &str) -> Vec<OsString> {
    line.split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w == "''" {
                return OsString::new();
            }
            let mut bytes = Vec::new();
            let mut rest = w.as_bytes();
            while let Some((&b, tail)) = rest.split_first() {
                match (b, tail) {
                    (b'\\', [b's', tail @ ..]) => {
                        bytes.push(b' ');
                        rest = tail;
                    }
                    (b'\\', [b'x', hi, lo, tail @ ..]) => {
                        let hex = std::str::from_utf8(&[*hi, *lo]).unwrap().to_owned();
                        bytes.push(u8::from_str_radix(&hex, 16).unwrap());
                        rest = tail;
                    }
                    _ => {
                        bytes.push(b);
                        rest = tail;
                    }
                }
            }
            OsStr::from_bytes(&bytes).to_owned()
        })
        .collect()
}
