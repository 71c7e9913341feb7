//! `o2cb check [--all] [FILE]`: the problems of a cluster configuration file, in one pass.
//!
//! Prints each problem as `FILE:LINE:COLUMN: error|warning: reason` with a hint line where
//! one helps — the first [`cluster_conf::SHOWN_DIAGNOSTICS`] of them, then how many more
//! there are (`--all` prints every one) — then a summary with the counts. Exit status: 0
//! when the file has no errors (warnings allowed), 1 when it has errors — including errors
//! in the per-filesystem stanzas, which the C tools would ignore — 2 when it cannot be read.
//!
//! A file can have a problem on every line: 3 MB of broken lines made 190 MB of report.
//! Without `--all`, what is held and printed stays small whatever the file; with it, the
//! report is written as it is made.

use std::ffi::OsString;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use cluster_conf::{Diagnostic, Document};
use fs_policy::Problem;
use getopt::{Function, HasArg, OptionSpec, OptionTable};
use o2cb_sys::conffile::read_optional;

use super::{parse_subcommand, CmdResult, Failure, Session};
use crate::context::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOpt {
    All,
}

pub const CHECK_OPTIONS: OptionTable<'static, CheckOpt> = OptionTable {
    optstring: "",
    function: Function::GetoptLong,
    options: &[OptionSpec::long(CheckOpt::All, "all", HasArg::No)
        .with_help("Print every problem, not only the first ones.")],
};

/// Output is passed on in pieces of this size.
const FLUSH_AT: usize = 64 * 1024;

pub fn check(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> CmdResult {
    let Some((opts, operands)) = parse_subcommand(ctx, "check", &CHECK_OPTIONS, args) else {
        return Err(Failure::Usage);
    };
    let all = opts.iter().any(|(o, _)| *o == CheckOpt::All);
    let (path, shown) = match operands.first() {
        Some(file) => (PathBuf::from(file), file.to_string_lossy().into_owned()),
        None => (session.path.clone(), session.shown.clone()),
    };
    let bytes = read_checked(&path, &shown)?;
    let doc = if all {
        Document::parse_keeping_all(bytes)
    } else {
        Document::parse(bytes)
    };
    let relations = relations(&doc);
    let limit = if all {
        usize::MAX
    } else {
        cluster_conf::SHOWN_DIAGNOSTICS
    };
    let printed = print_in_order(ctx, &doc, &relations, &shown, limit);

    let counts = doc.counts();
    let errors = counts.errors + counts.extension_errors + relations.len();
    let total = errors + counts.warnings;
    if total > printed {
        let more = cluster_conf::more_problems(&shown, total - printed);
        ctx.print(format!("{more}\n").as_bytes());
    }
    if total > 0 {
        let line = format!(
            "{shown}: {}, {}\n",
            count(errors, "error"),
            count(counts.warnings, "warning")
        );
        ctx.print(line.as_bytes());
    } else {
        ctx.verbose(format!("{shown}: no problems found"));
    }
    if errors > 0 {
        Err(Failure::Status(1))
    } else {
        Ok(())
    }
}

/// The file's bytes; a missing or unreadable file is status 2 (the check could not run).
fn read_checked(path: &Path, shown: &str) -> Result<Vec<u8>, Failure> {
    match read_optional(path) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(Failure::refused(format!("{shown}: no such file")).with_status(2)),
        Err(e) => Err(Failure::refused(e).with_status(2)),
    }
}

/// The per-filesystem stanzas' relations: capacity, pinned slot conflicts, members that
/// are not nodes of the cluster (a few per filesystem), in file order.
///
/// They are found in a file with errors too, among the stanzas that were read: the model
/// leaves out stanzas with errors, which can only hide a relation's problem, except a
/// member whose node's stanza was left out — that one is not reported.
fn relations(doc: &Document) -> Vec<Diagnostic> {
    let mut relations: Vec<Diagnostic> = Vec::new();
    for allocation in fs_policy::allocate(doc.config()) {
        if let Some(Err(problems)) = allocation.result {
            for p in problems {
                if let Problem::NotInCluster { node, cluster } = &p.problem {
                    if doc.may_define_node(cluster, node) {
                        continue;
                    }
                }
                relations.push(Diagnostic::extension(
                    doc.stanza_span(allocation.stanza),
                    p.to_string(),
                ));
            }
        }
    }
    relations.sort_by_key(|d| d.span.start);
    relations
}

/// Prints the parser's diagnostics and the relations merged in file order, at most `limit`
/// of them, passing output on in pieces; returns how many were printed.
fn print_in_order(
    ctx: &mut Context<'_>,
    doc: &Document,
    relations: &[Diagnostic],
    shown: &str,
    limit: usize,
) -> usize {
    let index = doc.line_index();
    let mut report = Vec::new();
    let mut printed = 0;
    let mut extra = relations.iter().peekable();
    let mut print = |ctx: &mut Context<'_>, d: &Diagnostic| {
        if printed == limit {
            return ControlFlow::Break(());
        }
        report.extend_from_slice(doc.locate(&index, shown, d).to_string().as_bytes());
        report.push(b'\n');
        printed += 1;
        if report.len() >= FLUSH_AT {
            ctx.print(&report);
            report.clear();
        }
        ControlFlow::Continue(())
    };
    doc.each_diagnostic(|d| {
        while let Some(r) = extra.next_if(|r| r.span.start < d.span.start) {
            print(ctx, r)?;
        }
        print(ctx, d)
    });
    for r in extra {
        if print(ctx, r).is_break() {
            break;
        }
    }
    ctx.print(&report);
    printed
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
