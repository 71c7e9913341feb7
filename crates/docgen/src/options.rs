//! getopt option tables as clap arguments.
//!
//! The tables ([`getopt::OptionTable`]) are what the binaries parse with; clap is only the
//! vehicle that `clap_mangen` and `clap_complete` understand. Nothing here parses a command
//! line.

use clap::{Arg, ArgAction};
use getopt::{Documented, HasArg, OptionHelp};

/// One option of a table without its parser id, so that tables with different id types can
/// be documented alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionDoc {
    pub short: Option<char>,
    pub long: Option<String>,
    pub has_arg: HasArg,
    pub value_name: Option<String>,
    pub help: String,
}

impl OptionDoc {
    /// Every documented option of `table`, in table order.
    pub fn from_table(table: &dyn Documented) -> Vec<OptionDoc> {
        table
            .option_help()
            .iter()
            .map(OptionDoc::from_help)
            .collect()
    }

    pub fn from_help(help: &OptionHelp<'_>) -> OptionDoc {
        OptionDoc {
            short: help.short.map(char::from),
            long: help.long.map(str::to_owned),
            has_arg: help.has_arg,
            value_name: help.value_name.map(str::to_owned),
            help: help.help.to_owned(),
        }
    }

    /// How the option is written on a command line: `--ip`, or `-n` when it has no long
    /// name.
    pub fn spelling(&self) -> String {
        match (&self.long, self.short) {
            (Some(long), _) => format!("--{long}"),
            (None, Some(short)) => format!("-{short}"),
            (None, None) => String::new(),
        }
    }

    /// The clap argument that documents this option. `repeatable` options (`-n`, `-a` of
    /// o2cb_ctl, `-v`) may be given more than once.
    pub fn to_arg(&self, repeatable: bool) -> Arg {
        let id = self
            .long
            .clone()
            .or_else(|| self.short.map(String::from))
            .unwrap_or_default();
        let mut arg = Arg::new(id);
        if let Some(short) = self.short {
            arg = arg.short(short);
        }
        if let Some(long) = &self.long {
            arg = arg.long(long.clone());
        }
        if !self.help.is_empty() {
            arg = arg.help(self.help.clone());
        }
        arg = match self.has_arg {
            HasArg::No if repeatable => arg.action(ArgAction::Count),
            HasArg::No => arg.action(ArgAction::SetTrue),
            HasArg::Required | HasArg::Optional => {
                let arg = arg
                    .action(if repeatable {
                        ArgAction::Append
                    } else {
                        ArgAction::Set
                    })
                    .value_name(self.value_name.clone().unwrap_or_else(|| "value".into()));
                if self.has_arg == HasArg::Optional {
                    // glibc takes an optional argument only when attached (`--opt=x`).
                    arg.num_args(0..=1).require_equals(true)
                } else {
                    arg.num_args(1)
                }
            }
        };
        arg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use getopt::{Function, OptionSpec, OptionTable};

    const TABLE: OptionTable<'static, u8> = OptionTable {
        optstring: "hn:o::",
        function: Function::GetoptLong,
        options: &[
            OptionSpec::short(b'h', b'h', HasArg::No)
                .with_long("help")
                .with_help("Show the usage."),
            OptionSpec::short(b'n', b'n', HasArg::Required)
                .with_value_name("object")
                .with_help("An object."),
            OptionSpec::short(b'o', b'o', HasArg::Optional),
        ],
    };

    #[test]
    fn a_table_keeps_names_arguments_and_help() {
        let docs = OptionDoc::from_table(&TABLE);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].spelling(), "--help");
        assert_eq!(docs[1].spelling(), "-n");
        assert_eq!(docs[1].value_name.as_deref(), Some("object"));
        assert_eq!(docs[2].has_arg, HasArg::Optional);
    }

    #[test]
    fn an_optional_argument_must_be_attached_in_clap_too() {
        let arg = OptionDoc::from_table(&TABLE)[2].to_arg(false);
        assert!(arg.is_require_equals_set());
        let arg = OptionDoc::from_table(&TABLE)[1].to_arg(true);
        assert!(matches!(arg.get_action(), ArgAction::Append));
    }
}
