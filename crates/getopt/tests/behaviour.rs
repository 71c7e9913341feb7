//! The behaviours the C tools' callers build on, stated plainly.

use std::ffi::OsString;

use getopt::{Function, Getopt, GetoptError, HasArg, OptionSpec, OptionTable, Parsed, TableError};

fn args(line: &str) -> Vec<OsString> {
    line.split_whitespace().map(OsString::from).collect()
}

fn short(c: u8, has_arg: HasArg) -> OptionSpec<'static, u8> {
    OptionSpec::short(c, c, has_arg)
}

fn o2cb_ctl_specs() -> Vec<OptionSpec<'static, u8>> {
    let mut specs: Vec<_> = b"hVCDIHiuoz"
        .iter()
        .map(|&c| short(c, HasArg::No))
        .collect();
    specs.extend(b"nta-".iter().map(|&c| short(c, HasArg::Required)));
    specs
}

fn opt(id: u8, arg: Option<&str>) -> Parsed<u8> {
    Parsed::Opt {
        id,
        arg: arg.map(OsString::from),
    }
}

#[test]
fn options_are_examined_only_when_asked_for() {
    let specs = o2cb_ctl_specs();
    let table = OptionTable {
        optstring: ":hVCDIHiuozn:t:a:-:",
        function: Function::Getopt,
        options: &specs,
    };
    let mut parser = Getopt::new(&table, args("-h -x -n")).unwrap();
    assert_eq!(parser.next(), Some(opt(b'h', None)));
    // A tool that exits on -h never sees the errors further on.
    assert_eq!(parser.optind(), 1);
    assert_eq!(
        parser.next(),
        Some(Parsed::Error(GetoptError::InvalidOption { option: b'x' }))
    );
    assert_eq!(
        parser.next(),
        Some(Parsed::Error(GetoptError::MissingArgument { option: b'n' }))
    );
    assert_eq!(parser.next(), None);
    assert_eq!(parser.next(), None, "the iterator stays finished");
}

#[test]
fn o2cb_ctl_reads_double_dash_words_as_option_dash() {
    let specs = o2cb_ctl_specs();
    let table = OptionTable {
        optstring: ":hVCDIHiuozn:t:a:-:",
        function: Function::Getopt,
        options: &specs,
    };
    let items: Vec<_> = Getopt::new(&table, args("--help -Iot node"))
        .unwrap()
        .collect();
    assert_eq!(
        items,
        [
            opt(b'-', Some("help")),
            opt(b'I', None),
            opt(b'o', None),
            opt(b't', Some("node")),
        ]
    );
}

#[test]
fn operands_are_collected_in_order_after_permutation() {
    let specs = [short(b'd', HasArg::No), short(b'f', HasArg::No)];
    let table = OptionTable {
        optstring: "dfv",
        function: Function::Getopt,
        options: &[specs[0], specs[1], short(b'v', HasArg::No)],
    };
    let mut parser = Getopt::new(&table, args("/dev/a -f /dev/b -- -d")).unwrap();
    assert_eq!(parser.by_ref().collect::<Vec<_>>(), [opt(b'f', None)]);
    assert_eq!(parser.optind(), 2);
    assert_eq!(parser.args(), args("-f -- /dev/a /dev/b -d"));
    assert_eq!(parser.into_operands(), args("/dev/a /dev/b -d"));
}

#[test]
fn require_order_stops_at_the_command() {
    let table = OptionTable {
        optstring: "+v",
        function: Function::GetoptLong,
        options: &[short(b'v', HasArg::No)],
    };
    let mut parser = Getopt::new(&table, args("-v add-node -v")).unwrap();
    assert_eq!(parser.by_ref().collect::<Vec<_>>(), [opt(b'v', None)]);
    assert_eq!(parser.operands(), args("add-node -v"));
}

#[test]
fn posixly_correct_stops_at_the_first_operand_without_a_prefix() {
    let table = OptionTable {
        optstring: "v",
        function: Function::Getopt,
        options: &[short(b'v', HasArg::No)],
    };
    let parser = Getopt::new(&table, args("x -v")).unwrap();
    assert_eq!(parser.posixly_correct(true).count(), 0);
    let parser = Getopt::new(&table, args("x -v")).unwrap();
    assert_eq!(parser.count(), 1);
}

#[test]
fn an_inconsistent_table_is_refused() {
    let table = OptionTable {
        optstring: "n",
        function: Function::Getopt,
        options: &[short(b'n', HasArg::Required)],
    };
    assert!(matches!(
        Getopt::new(&table, args("-n 1")),
        Err(TableError::ShortArgumentMismatch { option: b'n', .. })
    ));
}
