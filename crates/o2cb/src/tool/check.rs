//! `o2cb check [FILE]`: every problem of a cluster configuration file, in one pass.
//!
//! Prints each problem as `FILE:LINE:COLUMN: error|warning: reason` with a hint line where
//! one helps, then a summary. Exit status: 0 when the file has no errors (warnings allowed),
//! 1 when it has errors — including errors in the per-filesystem stanzas, which the C tools
//! would ignore — 2 when it cannot be read.

use std::ffi::OsString;
use std::path::PathBuf;

use cluster_conf::{Diagnostic, Document, Severity};
use o2cb_sys::conffile::read_optional;

use super::{Outcome, Session};
use crate::context::Context;

pub fn check(ctx: &mut Context<'_>, session: &mut Session, args: Vec<OsString>) -> Outcome {
    let (path, shown) = match args.first() {
        Some(file) => (PathBuf::from(file), file.to_string_lossy().into_owned()),
        None => (session.path.clone(), session.shown.clone()),
    };
    let bytes = match read_optional(&path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            ctx.error(format!("{shown}: no such file"));
            return Outcome::Exit(2);
        }
        Err(e) => {
            ctx.error(e);
            return Outcome::Exit(2);
        }
    };
    let doc = Document::parse(bytes);
    let mut all: Vec<Diagnostic> = doc.diagnostics().to_vec();
    // The per-filesystem stanzas' relations: capacity, pinned slot conflicts, members that
    // are not nodes of the cluster.
    if !doc.has_any_errors() {
        for allocation in fs_policy::allocate(doc.config()) {
            if let Some(Err(problems)) = allocation.result {
                for p in problems {
                    all.push(Diagnostic::extension(
                        doc.stanza_span(allocation.stanza),
                        p.to_string(),
                    ));
                }
            }
        }
    }
    all.sort_by_key(|d| d.span.start);
    let index = doc.line_index();
    let mut report = String::new();
    for d in &all {
        report.push_str(&doc.locate(&index, &shown, d).to_string());
        report.push('\n');
    }
    ctx.print(report.as_bytes());
    let errors = all.iter().filter(|d| d.severity.is_error()).count();
    let warnings = all
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    if errors + warnings > 0 {
        let line = format!(
            "{shown}: {} , {}\n",
            count(errors, "error"),
            count(warnings, "warning")
        )
        .replace(" ,", ",");
        ctx.print(line.as_bytes());
    } else {
        ctx.verbose(format!("{shown}: no problems found"));
    }
    if errors > 0 {
        Outcome::Exit(1)
    } else {
        Outcome::Exit(0)
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
