//! The messages glibc prints, as our parser renders them; the glibc differential tests
//! prove they are glibc's, these snapshots make every wording change visible in review.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use getopt::{Function, Getopt, GetoptError, HasArg, LongPrefix, OptionSpec, OptionTable, Parsed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum O2cbOpt {
    ConfigFile,
    Help,
    Verbose,
    Version,
}

const O2CB: OptionTable<'static, O2cbOpt> = OptionTable {
    optstring: "+hvV",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(O2cbOpt::ConfigFile, "config-file", HasArg::Required)
            .with_value_name("path")
            .with_help("the cluster configuration file"),
        OptionSpec::long(O2cbOpt::Help, "help", HasArg::No).with_short(b'h'),
        OptionSpec::long(O2cbOpt::Verbose, "verbose", HasArg::No).with_short(b'v'),
        OptionSpec::long(O2cbOpt::Version, "version", HasArg::No).with_short(b'V'),
    ],
};

fn errors(table: &OptionTable<'static, O2cbOpt>, line: &[&str]) -> Vec<GetoptError> {
    let args = line.iter().map(OsString::from).collect();
    Getopt::new(table, args)
        .unwrap()
        .filter_map(|item| match item {
            Parsed::Error(error) => Some(error),
            _ => None,
        })
        .collect()
}

#[test]
fn o2cb_option_errors_render_as_glibc_prints_them() {
    let lines: &[&[&str]] = &[
        &["-x"],
        &["--foo=bar"],
        &["--ver"],
        &["--help=yes"],
        &["--h=yes"],
        &["--config-file"],
        &["--conf"],
    ];
    let mut rendered = String::new();
    for line in lines {
        for error in errors(&O2CB, line) {
            let message = error.message(OsStr::new("/sbin/o2cb"));
            rendered.push_str(&format!("{line:?}\n  {}\n", message.to_str().unwrap()));
        }
    }
    insta::assert_snapshot!(rendered);
}

fn short(c: u8, has_arg: HasArg) -> OptionSpec<'static, u8> {
    OptionSpec::short(c, c, has_arg)
}

#[test]
fn short_option_errors_render_as_glibc_prints_them() {
    let mut specs: Vec<_> = b"ISKPh".iter().map(|&c| short(c, HasArg::No)).collect();
    specs.extend(b"dun".iter().map(|&c| short(c, HasArg::Required)));
    let table = OptionTable {
        optstring: "ISKPd:u:n:h",
        function: Function::Getopt,
        options: &specs,
    };
    let args = ["-Sx", "--help", "-n"].map(OsString::from).to_vec();
    let rendered: Vec<String> = Getopt::new(&table, args)
        .unwrap()
        .filter_map(|item| match item {
            Parsed::Error(error) => Some(
                error
                    .message(OsStr::new("ocfs2_hb_ctl"))
                    .into_string()
                    .unwrap(),
            ),
            _ => None,
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn display_leaves_out_the_program_name() {
    let error = GetoptError::AmbiguousOption {
        prefix: LongPrefix::DoubleDash,
        text: "ver".into(),
        candidates: vec!["verbose".into(), "version".into()],
    };
    insta::assert_snapshot!("display_ambiguous", error.to_string());
    let error = GetoptError::ArgumentNotAllowed {
        prefix: LongPrefix::DashW,
        name: "foo".into(),
    };
    insta::assert_snapshot!("display_dash_w_argument_not_allowed", error.to_string());
}

#[test]
fn messages_keep_non_utf8_bytes_exactly() {
    let error = GetoptError::UnrecognizedOption {
        prefix: LongPrefix::DoubleDash,
        text: OsStr::from_bytes(b"\xffoo=\xfe").to_owned(),
    };
    assert_eq!(
        error.message(OsStr::from_bytes(b"pr\xf0g")).as_bytes(),
        b"pr\xf0g: unrecognized option '--\xffoo=\xfe'"
    );
    let error = GetoptError::InvalidOption { option: 0xc3 };
    assert_eq!(
        error.message(OsStr::new("p")).as_bytes(),
        b"p: invalid option -- '\xc3'"
    );
}
