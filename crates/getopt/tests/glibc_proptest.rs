//! Generated command lines, each run through glibc and through our parser: random mixes of
//! known and unknown short and long options, abbreviations, `=`, `--`, `-`, operands and
//! options that need an argument at the end.

mod support;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use proptest::prelude::*;
use proptest::sample::{select, Index};
use support::{glibc, ours, CallSite, ALL_SITES};

/// Characters that are options nowhere, or only somewhere, or special to getopt.
const STRANGERS: &[u8] = b"xZ?:;-W+\xff";
const UNKNOWN_LONG: &[&str] = &["help", "version", "foo", "ip", "portx", "o", ""];
const VALUES: &[&[u8]] = &[b"", b"v", b"-1", b"=x", b"a b", b"\xfe\xff", b"--x"];
const OPERANDS: &[&[u8]] = &[b"node", b"alpha", b"", b"-", b"\xffdev", b"x=y", b"--"];

fn short_cluster(site: &CallSite) -> impl Strategy<Value = Vec<u8>> {
    let mut chars: Vec<u8> = site.shorts().into_iter().map(|(c, _)| c).collect();
    chars.extend_from_slice(STRANGERS);
    (
        prop::collection::vec(select(chars), 1..4),
        prop::option::of(select(VALUES)),
    )
        .prop_map(|(chars, attached)| {
            let mut word = vec![b'-'];
            word.extend(chars);
            word.extend(attached.unwrap_or_default());
            word
        })
}

fn long_option(site: &CallSite) -> impl Strategy<Value = Vec<u8>> {
    let mut names: Vec<&'static str> = site.long.iter().map(|&(name, _, _)| name).collect();
    names.extend_from_slice(UNKNOWN_LONG);
    (
        select(names),
        any::<Index>(),
        any::<bool>(),
        prop::option::of(select(VALUES)),
    )
        .prop_map(|(name, cut, abbreviate, value)| {
            let name = name.as_bytes();
            let name = if abbreviate {
                &name[..cut.index(name.len() + 1)]
            } else {
                name
            };
            let mut word = b"--".to_vec();
            word.extend_from_slice(name);
            if let Some(value) = value {
                word.push(b'=');
                word.extend_from_slice(value);
            }
            word
        })
}

fn argv(site: &CallSite) -> impl Strategy<Value = Vec<OsString>> {
    let word = prop_oneof![
        3 => short_cluster(site),
        3 => long_option(site),
        2 => select(OPERANDS).prop_map(<[u8]>::to_vec),
        1 => select(VALUES).prop_map(<[u8]>::to_vec),
    ];
    prop::collection::vec(word.prop_map(OsString::from_vec), 0..8)
}

fn same_as_glibc(site: &CallSite, args: &[OsString]) -> Result<(), TestCaseError> {
    let Some(expected) = glibc(site, args) else {
        return Ok(());
    };
    let actual = ours(site, args);
    prop_assert_eq!(
        &actual,
        &expected,
        "{} ({:?}) on {:?}\nours:\n{}{}\nglibc:\n{}{}",
        site.name,
        site.optstring,
        args,
        actual.calls,
        String::from_utf8_lossy(&actual.stderr),
        expected.calls,
        String::from_utf8_lossy(&expected.stderr),
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn generated_command_lines_match_glibc(
        (site, args) in select(ALL_SITES.to_vec()).prop_flat_map(|site| (Just(site), argv(&site)))
    ) {
        same_as_glibc(&site, &args)?;
    }
}

/// Every call site gets its own share of cases, whatever `select` above draws.
#[test]
fn every_call_site_matches_glibc_on_generated_command_lines() {
    for site in ALL_SITES {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(100));
        let result = runner.run(&argv(&site), |args| same_as_glibc(&site, &args));
        if let Err(failure) = result {
            panic!("{}: {failure}", site.name);
        }
    }
}
