//! # docgen — the o2cb tools' man pages and shell completions
//!
//! The binaries parse their command lines with `getopt` tables ([`getopt::OptionTable`]:
//! names, arguments, value names, help) and command tables (`o2cb::tool::COMMANDS`,
//! `o2cb::init::ACTIONS`). This crate turns those very tables into one `clap::Command` per
//! binary ([`tools`]) and hands it to `clap_mangen` and `clap_complete`, so that the pages
//! and completions list exactly the options the binaries accept. Prose that no table can
//! hold (the cluster stack, file formats, exit statuses, examples, compatibility notes) is
//! hand-written roff under `man/`, merged at marker lines ([`man`]).
//!
//! `cargo run -p docgen -- OUTDIR` writes `OUTDIR/man/NAME.SECTION` and
//! `OUTDIR/completions/{bash,zsh,fish}/...`; the packages (`debian/rules`, `rpm/`) install
//! from there, and `scripts/man-check.sh` lints the result.

#![forbid(unsafe_code)]

pub mod completions;
pub mod man;
pub mod options;
pub mod tools;
pub mod usage;

use std::path::{Path, PathBuf};

/// Writes every page and completion under `out`; returns the files written.
pub fn generate(out: &Path, date: &str) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let mut written = Vec::new();
    let man_dir = out.join("man");
    std::fs::create_dir_all(&man_dir).map_err(|e| format!("{}: {e}", man_dir.display()))?;
    for page in man::PAGES {
        let path = man_dir.join(page.file_name());
        let text = man::render(page, date)?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    for shell in completions::SHELLS {
        let dir = out.join("completions").join(shell.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for tool in tools::Tool::ALL {
            let path = dir.join(completions::file_name(shell, tool));
            std::fs::write(&path, completions::render(shell, tool))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}
