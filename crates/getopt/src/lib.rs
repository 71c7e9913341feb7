//! # getopt — glibc's `getopt` and `getopt_long`, quirk for quirk
//!
//! The C ocfs2-tools parse their command lines with glibc's `getopt(3)` and
//! `getopt_long(3)`, and administrators' scripts rely on what those accept: clustered
//! short options (`o2cb_ctl -Iot node`), arguments that begin with `-` (`-n -1`),
//! options after operands (`o2cb add-node C N --ip A`), abbreviated long options
//! (`--conf=path`), `--help` read by plain `getopt` as the option `-` with argument `help`.
//! A Rust replacement has to accept exactly the same command lines and reject exactly the
//! same ones, so this crate re-implements glibc 2.36's algorithm rather than a look-alike:
//!
//! - ordering: permutation by default, a `+` prefix (or `POSIXLY_CORRECT`, passed in by the
//!   caller, never read here) stops at the first operand, a `-` prefix returns operands in
//!   place; `--` ends the options; a lone `-` is an operand;
//! - short options: clusters, attached and separate arguments, optional arguments (`::`),
//!   any byte as an option character, `W;`;
//! - long options: exact match first, then unambiguous prefixes, where prefixes of options
//!   with the same argument kind and id are not ambiguous; `--name=value` and
//!   `--name value`;
//! - the argument vector is permuted exactly as glibc permutes `argv`, so `optind` and the
//!   operand order are the same;
//! - a leading `:` selects colon mode: glibc prints nothing, and the caller reports errors.
//!
//! Errors are data ([`GetoptError`]); [`GetoptError::message`] renders the line glibc
//! would print, byte for byte. The crate never prints, exits or reads the environment.
//! Arguments are [`OsString`](std::ffi::OsString)s and are compared as bytes, as C does.
//!
//! Each [`OptionSpec`] also carries a value name and help text, so a binary can build its
//! `clap::Command` (for `--help`, man pages and shell completions) from the very table it
//! parses with.
//!
//! `getopt_long_only` and long options with a `flag` pointer are not emulated: no tool of
//! ours uses them.
//!
//! The tests compile a small C program against the system's glibc and compare every
//! returned option, argument, `optind`, the final argument order and the stderr text.
//!
//! ```
//! use getopt::{Function, Getopt, HasArg, OptionSpec, OptionTable, Parsed};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//! enum Opt { Help, Node }
//!
//! const TABLE: OptionTable<'static, Opt> = OptionTable {
//!     optstring: "hn:",
//!     function: Function::GetoptLong,
//!     options: &[
//!         OptionSpec::long(Opt::Help, "help", HasArg::No)
//!             .with_short(b'h')
//!             .with_help("show this help"),
//!         OptionSpec::long(Opt::Node, "node", HasArg::Required)
//!             .with_short(b'n')
//!             .with_value_name("NAME")
//!             .with_help("the node to act on"),
//!     ],
//! };
//!
//! let args = ["alpha", "-n", "-1", "--he"].map(Into::into).to_vec();
//! let mut parser = Getopt::new(&TABLE, args).unwrap();
//! assert_eq!(parser.next(), Some(Parsed::Opt { id: Opt::Node, arg: Some("-1".into()) }));
//! assert_eq!(parser.next(), Some(Parsed::Opt { id: Opt::Help, arg: None }));
//! assert_eq!(parser.next(), None);
//! assert_eq!(parser.operands(), ["alpha"]);
//! ```
#![forbid(unsafe_code)]

mod error;
mod parser;
mod table;

pub use error::{GetoptError, LongPrefix};
pub use parser::{Getopt, Parsed};
pub use table::{
    Documented, Function, HasArg, OptionHelp, OptionSpec, OptionTable, Ordering, TableError,
};
