//! Hand-written command lines, each run through glibc and through our parser.

mod support;

use support::{
    glibc, ours, words, CallSite, COLON_LONG, HB_CTL, IN_ORDER, MOUNTED, O2CB, O2CB_ADD_NODE,
    O2CB_CTL, O2CB_LIST, POSIXLY_CORRECT, W_SEMICOLON,
};

/// Command lines every call site is tried with: the general shapes of argv.
const COMMON: &[&str] = &[
    "",
    "''",
    "-",
    "--",
    "-- --",
    "-- -",
    "---",
    "--=",
    "--=x",
    "x",
    "x y z",
    "x -- y",
    "-- x -y",
    "x - y",
    "-x",
    "-?",
    "-:",
    "-;",
    "-\\xff",
    "-x\\xffy",
    "\\xffpositional -d",
    "--foo",
    "--foo=bar",
    "--foo= x",
    "--\\xff",
    "a b -- c -d",
    "-W",
    "-W foo",
    "-Wfoo",
];

/// Cases aimed at one call site's options.
const O2CB_CASES: &[&str] = &[
    "-h",
    "-v -v -v list-clusters",
    "-vvV",
    "-hvV cmd",
    "--help",
    "--help=x",
    "--he",
    "--h",
    "--ver",
    "--verb",
    "--vers",
    "--v",
    "--version --verbose",
    "--config-file=/tmp/c list-clusters",
    "--config-file /tmp/c list-clusters",
    "--config-file",
    "--config-file=",
    "--config-file= cmd",
    "--config /tmp/c cmd",
    "--c=/x cmd",
    "--c",
    "--config-filex=/x",
    "list-clusters -v",
    "add-node C N --ip 1.2.3.4",
    "-v add-node --ip 1.2.3.4",
    "-- -v add-node",
    "-x cmd",
    "-vx cmd",
    "-v - cmd",
    "'' -v",
    "--config-file -v cmd",
    "--config-file=a=b cmd",
    "-hh",
];

const O2CB_ADD_NODE_CASES: &[&str] = &[
    "C N",
    "C N --ip 10.0.0.1",
    "--ip 10.0.0.1 C N",
    "C --ip 10.0.0.1 N",
    "C N --ip=10.0.0.1 --port=7777 --number=3",
    "C N --i 10.0.0.1 --p 7777 --n 3",
    "C N --ip",
    "C N --port",
    "C N --number=",
    "C N --number -1",
    "C N --ip --port 1",
    "--ipx 1 C N",
    "C N -x",
    "C N -ip 1",
    "C -- --ip N",
    "C N --port 0x1e61 extra",
    "C N --",
    "-- C N",
    "C N --=1",
    "--ip=1 --ip=2 C N",
    "--pOrt 1 C N",
    "C N --number=3junk",
    "C N - --ip 1",
];

const O2CB_LIST_CASES: &[&str] = &[
    "C",
    "--oneline C",
    "C --oneline",
    "--one C",
    "--o C",
    "--oneline=yes C",
    "--o= C",
    "--onelinex C",
    "-o C",
    "C D --oneline E",
    "C -- --oneline",
    "--oneline --oneline C",
    "--oneline",
];

const O2CB_CTL_CASES: &[&str] = &[
    "-Iot node",
    "-I -o -t node",
    "-C -n node -t node -a number=1 -a ip_address=10.0.0.1 -a ip_port=7777 -a cluster=c -i",
    "-C -n -1",
    "-n",
    "-I -n",
    "-In",
    "-Infoo",
    "-I -t",
    "-H -n c -t cluster -a online=yes",
    "-h",
    "--help",
    "--version",
    "--",
    "--foo",
    "--=x",
    "-I --",
    "-I -- -n x",
    "-x",
    "-Ix",
    "-l manager",
    "-L",
    "-I node -o",
    "node -I -t node",
    "-I - -o",
    "-n '' -t ''",
    "-a =x",
    "-a a=b=c",
    "-Iot",
    "-zuC",
    "-Vh",
    "-:",
    "-I:o",
    "-a",
    "-I -a",
    "-I-",
    "-I-x",
];

const HB_CTL_CASES: &[&str] = &[
    "-S -d /dev/sdb1 /mnt",
    "-K -u 7A5B5E0D1A2B4C3D9E8F0011223344AA",
    "-K -u 7A5B5E0D1A2B4C3D9E8F0011223344AA ocfs2",
    "-I -d /dev/sdb1",
    "-P -d /dev/sdb1 -n 7",
    "-P -u UUID -n",
    "-Sd/dev/sdb1 svc",
    "/mnt -S -d /dev/sdb1",
    "-S /mnt -d /dev/sdb1 extra",
    "-SKIP",
    "-h",
    "-d",
    "-u",
    "-x -S",
    "-S -d",
    "-S -- -d",
    "-S -d -- svc",
    "--help",
    "-n -1 -P -u u",
];

const MOUNTED_CASES: &[&str] = &[
    "-d",
    "-f",
    "-df",
    "-fv /dev/sda",
    "/dev/sda -f",
    "/dev/sda /dev/sdb -d",
    "-v -v -v",
    "-x",
    "-fx /dev/sda",
    "-q -f",
    "--full",
    "-- -f",
    "-d -",
    "-vvvx -d",
];

const IN_ORDER_CASES: &[&str] = &[
    "x -a y",
    "-a",
    "-afoo",
    "-a foo",
    "-b",
    "-b foo",
    "-bfoo x -c",
    "--alpha",
    "--alpha=",
    "--alpha=x",
    "--alpha x",
    "--al=1",
    "--beta",
    "--beta x",
    "--be=x",
    "--verb",
    "--ver",
    "--ve",
    "--v",
    "--version",
    "--verbose=1",
    "x -- y",
    "-- x y",
    "x y -c -- -c",
    "-ca",
    "-cab",
    "-cbx",
];

const COLON_LONG_CASES: &[&str] = &[
    "--conf",
    "--con",
    "--co x",
    "--config",
    "--config x",
    "--config-f x",
    "--config-",
    "--conf=1",
    "--help",
    "--h",
    "--he",
    "--hel=x",
    "--hex",
    "--hex=1",
    "--hex 1",
    "--he=1",
    "-b",
    "-a -b",
    "-x",
    "-ab1",
    "-",
    "--",
    "-- -a",
    "---x",
    "-a-x",
    "-a-",
    "--help=",
];

const W_SEMICOLON_CASES: &[&str] = &[
    "-W foo",
    "-Wfoo",
    "-W",
    "-a -W",
    "-aW foo",
    "-aWfoo",
    "-W f",
    "-W fo",
    "-W fi x",
    "-W file",
    "-W file=x",
    "-W foo=x",
    "-W fuzz",
    "-W fuzz=1",
    "-W bar",
    "-W -a",
    "-W --foo",
    "-W=foo",
    "--foo",
    "--f",
    "-b x -W fuzz x",
];

const POSIXLY_CORRECT_CASES: &[&str] = &[
    "-a x -b y",
    "x -a",
    "-a -- x",
    "--all x --all",
    "-b",
    "- -a",
    "-ab x y",
];

fn check(site: &CallSite, cases: &[&str]) -> usize {
    let mut compared = 0;
    for line in cases {
        let args = words(line);
        let Some(expected) = glibc(site, &args) else {
            return 0;
        };
        let actual = ours(site, &args);
        assert_eq!(
            actual,
            expected,
            "{} ({:?}) on {line:?}\nours:\n{}{}\nglibc:\n{}{}",
            site.name,
            site.optstring,
            actual.calls,
            String::from_utf8_lossy(&actual.stderr),
            expected.calls,
            String::from_utf8_lossy(&expected.stderr),
        );
        compared += 1;
    }
    compared
}

fn check_site(site: &CallSite, cases: &[&str]) {
    let compared = check(site, COMMON) + check(site, cases);
    eprintln!("{}: {compared} command lines identical to glibc", site.name);
}

#[test]
fn o2cb_global_options_match_glibc() {
    check_site(&O2CB, O2CB_CASES);
}

#[test]
fn o2cb_add_node_options_match_glibc() {
    check_site(&O2CB_ADD_NODE, O2CB_ADD_NODE_CASES);
}

#[test]
fn o2cb_list_options_match_glibc() {
    check_site(&O2CB_LIST, O2CB_LIST_CASES);
}

#[test]
fn o2cb_ctl_options_match_glibc() {
    check_site(&O2CB_CTL, O2CB_CTL_CASES);
}

#[test]
fn ocfs2_hb_ctl_options_match_glibc() {
    check_site(&HB_CTL, HB_CTL_CASES);
}

#[test]
fn mounted_ocfs2_options_match_glibc() {
    check_site(&MOUNTED, MOUNTED_CASES);
}

#[test]
fn return_in_order_and_optional_arguments_match_glibc() {
    check_site(&IN_ORDER, IN_ORDER_CASES);
}

#[test]
fn colon_mode_with_long_options_matches_glibc() {
    check_site(&COLON_LONG, COLON_LONG_CASES);
}

#[test]
fn w_semicolon_matches_glibc() {
    check_site(&W_SEMICOLON, W_SEMICOLON_CASES);
}

#[test]
fn posixly_correct_matches_glibc() {
    check_site(&POSIXLY_CORRECT, POSIXLY_CORRECT_CASES);
}
