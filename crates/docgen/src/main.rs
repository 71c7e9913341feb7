//! `docgen OUTDIR`: writes the man pages and shell completions of the o2cb tools.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = args.as_slice() else {
        eprintln!("usage: docgen OUTDIR\n  writes OUTDIR/man/* and OUTDIR/completions/{{bash,zsh,fish}}/*");
        return ExitCode::from(2);
    };
    match docgen::generate(&PathBuf::from(out), &docgen::man::build_date()) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("docgen: {e}");
            ExitCode::FAILURE
        }
    }
}
