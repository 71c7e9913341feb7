//! Every diagnostic the engine can produce, pinned as snapshots.
//!
//! Each snapshot shows the input with line numbers (TAB as `␉`, CR as `␍`, other control
//! bytes as their control pictures, so columns line up with the reported ones) and, after
//! `---`, exactly what `Document::render_diagnostics("cluster.conf", |_| true)` prints.
//!
//! - `fixture@…`: one snapshot per file in cluster-conf/tests/fixtures/{valid,invalid}.
//! - the other tests: one case per syntax error, hint branch, semantic error and warning.
//! - at the end: how many problems a document holds and shows, when there are very many.

use std::fmt::Write as _;

use bstr::ByteSlice;
use cluster_conf::{Document, Severity};

/// The input, numbered and made visible, then the rendered diagnostics.
fn report(text: &[u8]) -> String {
    let mut out = String::new();
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let _ = writeln!(out, "{:>3} | {}", i + 1, visible(body));
    }
    if !text.is_empty() && !text.ends_with(b"\n") {
        out.push_str("    [no newline at end of file]\n");
    }
    out.push_str("---\n");
    out.push_str(&Document::parse(text).render_diagnostics("cluster.conf", |_| true));
    out
}

fn visible(bytes: &[u8]) -> String {
    bytes
        .chars()
        .map(|c| match c {
            '\t' => '␉',
            '\x7f' => '␡',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
            c => c,
        })
        .collect()
}

/// One snapshot test per case: the test's name is the snapshot's name.
macro_rules! cases {
    ($($name:ident: $text:expr;)*) => {
        $(
            #[test]
            fn $name() {
                let text = $text;
                insta::assert_snapshot!(stringify!($name), report(text.as_ref()));
            }
        )*
    };
}

#[test]
fn fixture() {
    insta::glob!("fixtures", "{valid,invalid}/*.conf", |path| {
        let text = std::fs::read(path).unwrap();
        let doc = Document::parse(text.clone());
        // The fixtures' directories say what the C tools do with them.
        let valid = path.parent().unwrap().ends_with("valid");
        assert_eq!(
            doc.has_classic_errors(),
            !valid,
            "{}: the C tools {} this file",
            path.display(),
            if valid { "accept" } else { "refuse" }
        );
        insta::assert_snapshot!(report(&text));
    });
}

/// A cluster with one well-formed node, for cases that vary one key of a stanza after it.
const CLUSTER_A: &str = "cluster:\n\tname = a\n\tnode_count = 1\n\n";
/// A node stanza of cluster `a` with one key replaced by `$line` (or removed when empty).
macro_rules! node_with {
    ($key:literal, $line:literal) => {{
        let mut s = String::from(CLUSTER_A);
        s.push_str("node:\n");
        for (key, line) in [
            ("name", "\tname = n1\n"),
            ("cluster", "\tcluster = a\n"),
            ("number", "\tnumber = 0\n"),
            ("ip_address", "\tip_address = 10.0.0.1\n"),
            ("ip_port", "\tip_port = 7777\n"),
        ] {
            s.push_str(if key == $key { $line } else { line });
        }
        s
    }};
}

const UUID: &str = "7A5B5E0D1A2B4C3D9E8F0011223344AA";

// ----- the syntax layer: every SyntaxError and every hint branch ------------------------

cases! {
    syntax_crlf_blank_line: "\r\ncluster:\n\tname = a\n\tnode_count = 0\n";
    syntax_ini_header: "[cluster]\n\tname = a\n\tnode_count = 0\n";
    syntax_semicolon_comment: "; a comment\ncluster:\n\tname = a\n\tnode_count = 0\n";
    syntax_column0_dash: "-x\ncluster:\n\tname = a\n\tnode_count = 0\n";
    syntax_column0_colon: ":\n";
    syntax_column0_non_ascii: "\u{e9}t\u{e9}:\n\tname = a\n";
    syntax_header_missing_colon: "cluster\n\tname = a\n\tnode_count = 0\n";
    syntax_header_missing_colon_at_eof: "cluster";
    syntax_space_before_colon: "cluster :\n\tname = a\n\tnode_count = 0\n";
    syntax_tab_before_colon: "cluster\t:\n\tname = a\n\tnode_count = 0\n";
    syntax_cr_after_header_name: "cluster\r\n\tname = a\n\tnode_count = 0\n";
    syntax_dash_in_header_name: "my-cluster:\n\tname = a\n";
    syntax_cr_after_header: "cluster:\r\n\tname = a\n\tnode_count = 0\n";
    syntax_comment_after_header: "cluster: # the main one\n\tname = a\n\tnode_count = 0\n";
    syntax_garbage_after_header: "cluster: x\n\tname = a\n\tnode_count = 0\n";
    syntax_indented_comment: "cluster:\n\tname = a\n  # not a comment\n\tnode_count = 0\n";
    syntax_key_missing_before_equals: "cluster:\n\tname = a\n\t= 0\n\tnode_count = 0\n";
    syntax_indented_cr: "cluster:\n\tname = a\n\t\r\n\tnode_count = 0\n";
    syntax_key_starting_with_dash: "cluster:\n\tname = a\n\t-node_count = 0\n";
    syntax_key_missing_equals: "cluster:\n\tname = a\n\tnode_count\n";
    syntax_key_missing_equals_at_eof: "cluster:\n\tname = a\n\tnode_count  ";
    syntax_colon_instead_of_equals: "cluster:\n\tname: a\n\tnode_count = 0\n";
    syntax_blank_in_key: "cluster:\n\tname = a\n\tnode count = 0\n";
    syntax_other_byte_after_key: "cluster:\n\tname = a\n\tnode_count ~ 0\n";
    syntax_cr_after_key: "cluster:\n\tname = a\n\tnode_count\r\n";
    syntax_attribute_before_any_header: "\tname = a\ncluster:\n\tnode_count = 0\n";
    syntax_attribute_after_blank_line: "cluster:\n\tname = a\n\n\tnode_count = 0\n";
    syntax_attribute_after_broken_header_and_blank: "cluster :\n\tname = a\n\n\tnode_count = 0\n";
    syntax_attribute_after_ini_header_and_blank: "[cluster]\n\tname = a\n\n\tnode_count = 0\n";
    syntax_nul_byte: "cluster:\n\tname = a\n\tnode_count = 0\n\0cluster :\n garbage\n";
    syntax_nul_byte_mid_line: "cluster:\n\tname = a\n\tnode_count = 0\x00junk\n";
    // The C scanner reads past a NUL right after the first character of a word (and the
    // word characters after it); any other NUL ends the file for it.
    syntax_nul_byte_after_a_one_character_value: "cluster:\n\tname = a\n\tnode_count = 1\x00\n\tnode_count = 0\n";
    syntax_nul_byte_hides_the_rest_of_a_header: "cluster:\n\tname = a\n\tnode_count = 0\n\nn\x00ode:\n\tcluster = a\n";
    syntax_nul_byte_hides_the_rest_of_a_key: "cluster:\n\tn\x00ame = a\n\tname = b\n\tnode_count = 0\n";
    syntax_nul_byte_after_two_characters_ends_the_file: "cluster:\n\tname = ab\x00cd\n\tnode_count = 0\n";
    syntax_second_nul_byte_of_a_word_ends_the_file: "cluster:\n\tname = a\x00b\x00c\n\tnode_count = 0\n";
    syntax_every_line_reported: "cluster :\n\tname: a\n  # x\n\tnode_count = 0\n\n\tstray = 1\nnode\n[x]\n";
}

// ----- cluster stanzas ------------------------------------------------------------------

cases! {
    cluster_without_name: "cluster:\n\tnode_count = 0\n";
    cluster_bad_heartbeat_mode: "cluster:\n\tname = a\n\theartbeat_mode = both\n\tnode_count = 0\n";
    cluster_heartbeat_mode_any_case: "cluster:\n\tname = a\n\theartbeat_mode = GlObAl\n\tnode_count = 0\n";
    cluster_without_node_count: "cluster:\n\tname = a\n";
    cluster_empty_node_count: "cluster:\n\tname = a\n\tnode_count =\n";
    cluster_node_count_not_a_number: "cluster:\n\tname = a\n\tnode_count = 3 nodes\n";
    cluster_node_count_too_big: "cluster:\n\tname = a\n\tnode_count = 4294967296\n";
    cluster_node_count_negative: "cluster:\n\tname = a\n\tnode_count = -1\n";
    cluster_defined_twice: "cluster:\n\tname = a\n\tnode_count = 0\n\ncluster:\n\tname = a\n\tnode_count = 0\n";
}

// ----- node stanzas ---------------------------------------------------------------------

cases! {
    node_without_cluster: node_with!("cluster", "");
    node_of_undefined_cluster: node_with!("cluster", "\tcluster = b\n");
    node_with_empty_name: node_with!("name", "\tname =\n");
    node_with_only_a_cluster: format!("{CLUSTER_A}node:\n\tcluster = a\n");
    node_number_not_a_number: node_with!("number", "\tnumber = zero\n");
    node_number_empty: node_with!("number", "\tnumber =\n");
    node_number_too_big: node_with!("number", "\tnumber = 2147483647\n");
    node_ip_with_leading_zero: node_with!("ip_address", "\tip_address = 10.0.0.01\n");
    node_ip_is_a_host_name: node_with!("ip_address", "\tip_address = db1.example.com\n");
    node_ip_with_three_parts: node_with!("ip_address", "\tip_address = 10.0.1\n");
    node_ip_is_ipv6: node_with!("ip_address", "\tip_address = fe80::1\n");
    node_port_not_a_number: node_with!("ip_port", "\tip_port = http\n");
    node_port_too_big_for_the_file: node_with!("ip_port", "\tip_port = 4294967296\n");
    node_defined_twice: format!(
        "{}\nnode:\n\tname = n1\n\tcluster = a\n\tnumber = 1\n\tip_address = 10.0.0.2\n\tip_port = 7777\n",
        node_with!("", "")
    );
    node_every_field_wrong: format!(
        "{CLUSTER_A}node:\n\tname =\n\tcluster = a\n\tnumber = -\n\tip_address = 1.2.3.256\n\tip_port = 0x1e61\n"
    );
}

// ----- node warnings: accepted by the C tools, refused by the kernel later ------------------

cases! {
    node_number_above_kernel_limit: node_with!("number", "\tnumber = 255\n");
    node_number_used_twice: format!(
        "{}\nnode:\n\tname = n2\n\tcluster = a\n\tnumber = 0\n\tip_address = 10.0.0.2\n\tip_port = 7777\n",
        node_with!("", "")
    );
    node_address_unspecified: node_with!("ip_address", "\tip_address = 0.0.0.0\n");
    node_address_used_twice: format!(
        "{}\nnode:\n\tname = n2\n\tcluster = a\n\tnumber = 1\n\tip_address = 10.0.0.1\n\tip_port = 7777\n",
        node_with!("", "")
    );
    node_same_number_and_address_in_other_cluster_is_fine: format!(
        "{}\ncluster:\n\tname = b\n\tnode_count = 1\n\nnode:\n\tname = n1\n\tcluster = b\n\tnumber = 0\n\tip_address = 10.0.0.1\n\tip_port = 7777\n",
        node_with!("", "")
    );
    node_port_zero: node_with!("ip_port", "\tip_port = 0\n");
    node_port_65535: node_with!("ip_port", "\tip_port = 65535\n");
    node_port_65534_is_fine: node_with!("ip_port", "\tip_port = 65534\n");
    node_name_too_long: node_with!(
        "name",
        "\tname = n0123456789012345678901234567890123456789012345678901234567890123\n"
    );
    node_name_64_bytes_is_fine: node_with!(
        "name",
        "\tname = n012345678901234567890123456789012345678901234567890123456789012\n"
    );
    node_name_with_slash: node_with!("name", "\tname = a/b\n");
    node_name_dot: node_with!("name", "\tname = .\n");
    node_name_dot_dot: node_with!("name", "\tname = ..\n");
}

// ----- heartbeat stanzas ----------------------------------------------------------------

fn global_cluster_with_regions(mode: &str, count: usize) -> String {
    let mut s = format!("cluster:\n\tname = a\n\theartbeat_mode = {mode}\n\tnode_count = 0\n");
    for i in 0..count {
        let _ = write!(s, "\nheartbeat:\n\tcluster = a\n\tregion = {i:032X}\n");
    }
    s
}

cases! {
    heartbeat_without_cluster: format!("{CLUSTER_A}heartbeat:\n\tregion = {UUID}\n");
    heartbeat_of_undefined_cluster: format!("{CLUSTER_A}heartbeat:\n\tcluster = b\n\tregion = {UUID}\n");
    heartbeat_with_empty_region: format!("{CLUSTER_A}heartbeat:\n\tcluster = a\n\tregion =\n");
    heartbeat_without_region: format!("{CLUSTER_A}heartbeat:\n\tcluster = a\n");
    heartbeat_region_listed_twice: format!(
        "{CLUSTER_A}heartbeat:\n\tcluster = a\n\tregion = {UUID}\n\nheartbeat:\n\tcluster = a\n\tregion = {UUID}\n"
    );
    heartbeat_region_lower_case: format!(
        "{CLUSTER_A}heartbeat:\n\tcluster = a\n\tregion = {}\n",
        UUID.to_lowercase()
    );
    heartbeat_region_a_path: format!("{CLUSTER_A}heartbeat:\n\tcluster = a\n\tregion = /dev/sdb1\n");
    heartbeat_33_regions_in_global_mode: global_cluster_with_regions("global", 33);
    heartbeat_33_regions_in_local_mode_are_fine: global_cluster_with_regions("local", 33);
    heartbeat_32_regions_in_global_mode_are_fine: global_cluster_with_regions("global", 32);
}

// ----- near misses: unknown names the C tools silently ignore -------------------------------

cases! {
    near_miss_stanza_case: "Cluster:\n\tname = a\n\tnode_count = 0\n";
    near_miss_stanza_one_letter_more: "nodes:\n\tname = n1\n";
    near_miss_stanza_one_letter_less: "hearbeat:\n\tcluster = a\n";
    near_miss_stanza_one_letter_changed: "filesystem_mode:\n\tnode = a\n";
    near_miss_stanza_short_name: "nod:\n\tx = 1\n";
    unknown_stanza_far_from_known_is_quiet: "owner:\n\tteam = ops\n\nclstr:\n\tx = 1\n\nno:\n\tx = 1\n";
    near_miss_cluster_keys: "cluster:\n\tname = a\n\tnode_count = 0\n\tName = b\n\tnode_cout = 1\n\theartbeat_modes = global\n\tcolor = blue\n";
    near_miss_node_keys: format!(
        "{}\tip_adress = 10.0.0.2\n\tIP_PORT = 1\n\tnumbr = 1\n\tclusterr = b\n\towner = ops\n",
        node_with!("", "")
    );
    near_miss_heartbeat_keys: format!(
        "{CLUSTER_A}heartbeat:\n\tcluster = a\n\tregion = {UUID}\n\tregions = x\n\tCluster = b\n"
    );
}

// ----- filesystem: and filesystem_node: stanzas (docs/per-filesystem.md) ---------------------

fn fs(body: &str) -> String {
    format!("{CLUSTER_A}filesystem:\n{body}")
}

fn fs_and_member(member: &str) -> String {
    format!("{CLUSTER_A}filesystem:\n\tuuid = {UUID}\n\tcluster = a\n\tslots = 4\n\nfilesystem_node:\n{member}")
}

cases! {
    filesystem_complete_is_fine: fs_and_member(&format!(
        "\tfilesystem = {}\n\tnode = n1\n\tslot = 3\n\tip_address = 10.1.0.1\n\tip_port = 7778\n",
        UUID.to_lowercase()
    ));
    filesystem_unknown_key: fs(&format!("\tuuid = {UUID}\n\tcluster = a\n\tslot = 4\n"));
    filesystem_without_uuid_and_cluster: fs("\tlabel = data\n");
    filesystem_bad_uuid_too_short: fs("\tuuid = 7A5B5E0D1A2B4C3D9E8F0011223344A\n\tcluster = a\n");
    filesystem_bad_uuid_not_hex: fs("\tuuid = 7A5B5E0D1A2B4C3D9E8F0011223344AG\n\tcluster = a\n");
    filesystem_of_undefined_cluster: fs(&format!("\tuuid = {UUID}\n\tcluster = A\n"));
    filesystem_label_too_long: fs(&format!("\tuuid = {UUID}\n\tcluster = a\n\tlabel = {}\n", "x".repeat(65)));
    filesystem_label_64_bytes_is_fine: fs(&format!("\tuuid = {UUID}\n\tcluster = a\n\tlabel = {}\n", "x".repeat(64)));
    filesystem_slots_not_a_number: fs(&format!("\tuuid = {UUID}\n\tcluster = a\n\tslots = four\n"));
    filesystem_slots_too_many: fs(&format!("\tuuid = {UUID}\n\tcluster = a\n\tslots = 256\n"));
    filesystem_slots_zero: fs(&format!("\tuuid = {UUID}\n\tcluster = a\n\tslots = 0\n"));
    filesystem_defined_twice: fs(&format!(
        "\tuuid = {UUID}\n\tcluster = a\n\nfilesystem:\n\tuuid = 7a5b5e0d-1a2b-4c3d-9e8f-0011223344aa\n\tcluster = a\n"
    ));
    member_unknown_key: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode = n1\n\tslots = 1\n"));
    member_without_filesystem_and_node: fs_and_member("\tslot = 1\n");
    member_bad_filesystem_uuid: fs_and_member("\tfilesystem = 42\n\tnode = n1\n");
    member_of_undefined_filesystem: fs_and_member("\tfilesystem = 00000000000000000000000000000001\n\tnode = n1\n");
    member_of_rejected_filesystem_is_not_reported_again: format!(
        "{CLUSTER_A}filesystem:\n\tuuid = {UUID}\n\tcluster = nosuch\n\nfilesystem_node:\n\tfilesystem = {UUID}\n\tnode = n1\n"
    );
    member_with_empty_node: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode =\n"));
    member_slot_out_of_range: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode = n1\n\tslot = 255\n"));
    member_bad_ip: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode = n1\n\tip_address = 10.1.0.01\n"));
    member_ip_is_a_host_name: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode = n1\n\tip_address = n1.example.com\n"));
    member_port_zero: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode = n1\n\tip_port = 0\n"));
    member_port_65535: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode = n1\n\tip_port = 65535\n"));
    member_port_not_a_number: fs_and_member(&format!("\tfilesystem = {UUID}\n\tnode = n1\n\tip_port = -1\n"));
    member_listed_twice: fs_and_member(&format!(
        "\tfilesystem = {UUID}\n\tnode = n1\n\nfilesystem_node:\n\tfilesystem = {UUID}\n\tnode = n1\n\tslot = 2\n"
    ));
}

// ----- the model beside syntax errors: what can still be known is reported -----------------

/// A node stanza of cluster `a`.
fn node(name: &str, number: u32, ip: &str) -> String {
    format!("node:\n\tname = {name}\n\tcluster = a\n\tnumber = {number}\n\tip_address = {ip}\n\tip_port = 7777\n\n")
}

cases! {
    with_syntax_error_duplicate_node_name: format!(
        "{CLUSTER_A}{}{}  # stray\n",
        node("n1", 0, "10.0.0.1"),
        node("n1", 1, "10.0.0.2")
    );
    with_syntax_error_duplicate_node_number: format!(
        "cluster :\n\tname = a\n\tnode_count = 2\n\n{}{}",
        node("n1", 0, "10.0.0.1"),
        node("n2", 0, "10.0.0.2")
    );
    with_syntax_error_bad_ip: format!("[a]\n\n{CLUSTER_A}{}", node("n1", 0, "10.0.0.01"));
    with_syntax_error_node_of_unknown_cluster: format!(
        "{CLUSTER_A}node:\n\tname = n1\n\tcluster = b\n\tnumber = 0\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\tip port = 7777\n"
    );
    // The rejected `number` line is reported, not also a missing `number`; the bad address
    // beside it and the later stanza of the same name are reported too.
    syntax_error_inside_a_stanza_with_a_semantic_problem: format!(
        "{CLUSTER_A}node:\n\tname = n1\n\tcluster = a\n\tnumber 0\n\tip_address = 10.0.0.01\n\tip_port = 7777\n\n{}",
        node("n1", 1, "10.0.0.2")
    );
    // A node whose address line is rejected is left out of the model, but what it says of
    // its number and port is still checked against the other nodes and the kernel's limits.
    syntax_error_in_a_node_hides_not_its_other_parts: format!(
        "{CLUSTER_A}{}node:\n\tname = n2\n\tcluster = a\n\tnumber = 0\n\tip address = 10.0.0.2\n\tip_port = 65535\n\nnode:\n\tname = n3\n\tcluster = a\n\tnumber = 300\n\tip_address = 10.0.0.1\n\tip_port = x\n",
        node("n1", 0, "10.0.0.1")
    );
    // A key a stray blank line cut off is not missing; a key that is nowhere is.
    syntax_error_cut_off_key_is_not_missing_but_others_are: format!(
        "{CLUSTER_A}node:\n\tname = n1\n\tcluster = a\n\n\tnumber = 0\n\tip_address = 10.0.0.1\n"
    );
    // With the cluster's name on a rejected line, its nodes are not said to belong to a
    // cluster that is not defined, nor its filesystems.
    syntax_error_in_cluster_name_hides_no_orphans: format!(
        "cluster:\n\tname: a\n\tnode_count = 1\n\n{}filesystem:\n\tuuid = {UUID}\n\tcluster = a\n\nfilesystem_node:\n\tfilesystem = {UUID}\n\tnode = n1\n",
        node("n1", 0, "10.0.0.1")
    );
    syntax_error_in_filesystem_stanzas_hides_only_what_it_may_be: format!(
        "{CLUSTER_A}filesystem:\n\tuuid = {UUID}\n\tcluster a\n\nfilesystem_node:\n\tfilesystem = {UUID}\n\tnode = n1\n\nfilesystem_node:\n\tnode = n2\n\t=x\n"
    );
}

/// Every diagnostic of `text` as (offset, severity, message).
fn all_problems(text: &[u8]) -> Vec<(u32, Severity, String)> {
    Document::parse_keeping_all(text)
        .diagnostics()
        .into_iter()
        .map(|d| (d.span.start, d.severity, d.message))
        .collect()
}

#[test]
fn a_stray_syntax_error_at_the_end_hides_no_other_problem() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    for dir in ["invalid", "valid"] {
        for entry in std::fs::read_dir(fixtures.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read(&path).unwrap();
            if text.contains(&0) {
                // The C tools read nothing after a NUL byte: an appended line is no error.
                continue;
            }
            let before = all_problems(&text);
            // Lines that take no key from any stanza: an indented comment, a `;` comment, a
            // header in another syntax after a blank line.
            for stray in ["  # stray\n", "; stray\n", "\n[stray]\n\tx = 1\n"] {
                let mut broken = text.clone();
                if !broken.is_empty() && !broken.ends_with(b"\n") {
                    broken.push(b'\n');
                }
                broken.extend_from_slice(stray.as_bytes());
                let after = all_problems(&broken);
                let doc = Document::parse(broken.as_slice());
                assert!(doc.has_classic_errors(), "{}: {stray:?}", path.display());
                for problem in &before {
                    assert!(
                        after.contains(problem),
                        "{} with {stray:?} appended no longer reports {problem:?}; it reports {after:?}",
                        path.display()
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} fixtures");
}

// ----- not snapshots: facts about the diagnostics as a whole ----------------------------------

#[test]
fn extension_problems_do_not_make_the_file_unusable_for_the_classic_tools() {
    let doc = Document::parse(fs("\tuuid = nope\n\tcluster = nosuch\n"));
    assert!(!doc.diagnostics().is_empty());
    assert!(doc
        .diagnostics()
        .iter()
        .all(|d| d.severity == Severity::ExtensionError));
    assert!(!doc.has_classic_errors());
    assert!(doc.has_classic_or_extension_errors());
    assert!(doc.config().filesystems.is_empty());
    assert_eq!(doc.config().clusters.len(), 1);
}

#[test]
fn range_errors_name_the_range_that_is_allowed() {
    // `slots = 0` and `ip_port = 0` are refused: the message must not offer 0.
    for (text, expected) in [
        (
            fs(&format!("\tuuid = {UUID}\n\tcluster = a\n\tslots = 0\n")),
            "`slots` must be a number from 1 to 255, not `0`",
        ),
        (
            fs_and_member(&format!(
                "\tfilesystem = {UUID}\n\tnode = n1\n\tip_port = 0\n"
            )),
            "`ip_port` must be a number from 1 to 65534, not `0`",
        ),
        (
            fs_and_member(&format!(
                "\tfilesystem = {UUID}\n\tnode = n1\n\tslot = 255\n"
            )),
            "`slot` must be a number from 0 to 254, not `255`",
        ),
    ] {
        let doc = Document::parse(text);
        let diagnostics = doc.diagnostics();
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, [expected]);
    }
}

#[test]
fn nameless_cluster_is_said_to_crash_the_c_tools_only_when_they_would_parse_the_file() {
    let hint = |text: &str| {
        let doc = Document::parse(text);
        let d = doc
            .diagnostics()
            .iter()
            .find(|d| d.message == "cluster stanza has no `name`")
            .expect("the missing name is reported")
            .clone();
        d.hint.unwrap()
    };
    assert!(hint("cluster:\n\tnode_count = 0\n").contains("crash"));
    // A syntax error anywhere makes the C tools refuse the file before they look for names.
    assert!(!hint("cluster:\n  # x\n\tnode_count = 0\n").contains("crash"));
    assert!(!hint("cluster:\n\tnode_count = 0\n\n[x]\n").contains("crash"));
}

#[test]
fn diagnostics_are_in_file_order() {
    let text = fs_and_member(&format!(
        "\tfilesystem = {UUID}\n\tnode = n1\n\tip_port = 0\n\tslot = x\n"
    )) + "\nnode:\n\tname = z\n\tcluster = a\n\tnumber = 1\n\tip_address = 1.1.1.01\n\tip_port = 1\n";
    let doc = Document::parse(text);
    assert!(doc.diagnostics().len() >= 3);
    let starts: Vec<u32> = doc.diagnostics().iter().map(|d| d.span.start).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted);
}

#[test]
fn every_diagnostic_points_inside_the_text() {
    for text in [
        &b"cluster"[..],
        b"cluster:\n\tname = a\n\tnode_count\n",
        b"\tx = 1",
        b"cluster:\n\tname = a\n\tnode_count = 0\n\0",
        b"[",
        b"cluster:\n\tname = a\n\tnode_count =",
    ] {
        let doc = Document::parse(text);
        for d in doc.diagnostics() {
            assert!(d.span.start <= d.span.end, "{d:?}");
            assert!(
                d.span.range().end <= text.len(),
                "{:?}: {d:?}",
                text.as_bstr()
            );
        }
        assert!(!doc.diagnostics().is_empty(), "{:?}", text.as_bstr());
    }
}

// ----- many problems ----------------------------------------------------------------------

/// A file with thousands of problems: all are counted, the first 1000 of the model kept
/// (those of the syntax are described again when asked for), 20 shown, and a line says how
/// many more there are.
#[test]
fn many_problems_are_counted_and_the_first_shown() {
    let mut text = String::from("cluster:\n\tname = a\n\tnode_count = 0\n\n");
    for i in 0..3000 {
        // Each: an unknown stanza that looks like a known one (a warning), and a rejected
        // line (an error).
        text.push_str(&format!("Node:\n\tx = {i}\n\n-{i}\n\n"));
    }
    let doc = Document::parse(text.as_bytes());
    let counts = doc.counts();
    assert_eq!((counts.errors, counts.warnings), (3000, 3000));
    assert!(!doc.holds_every_diagnostic());
    let held = doc.diagnostics();
    assert_eq!(held.len(), 3000 + cluster_conf::KEPT_DIAGNOSTICS);
    // The held ones are the first ones.
    assert!(held.windows(2).all(|w| w[0].span.start <= w[1].span.start));
    assert_eq!(held[1].message, "invalid character in stanza name");
    let shown = doc.render_diagnostics("f", |_| true);
    let lines: Vec<&str> = shown.lines().filter(|l| l.starts_with("f:")).collect();
    assert_eq!(lines.len(), cluster_conf::SHOWN_DIAGNOSTICS + 1);
    assert_eq!(
        lines.last().unwrap(),
        &"f: 5980 more problems not shown; `o2cb check --all f` lists them all"
    );
    let errors_only = doc.render_diagnostics("f", |s| s == Severity::Error);
    assert!(errors_only
        .ends_with("f: 2980 more problems not shown; `o2cb check --all f` lists them all\n"));

    let all = Document::parse_keeping_all(text.as_bytes());
    assert!(all.holds_every_diagnostic());
    assert_eq!(all.diagnostics().len(), 6000);
    let rendered = all.render_all_diagnostics("f", |_| true);
    assert_eq!(
        rendered.lines().filter(|l| l.starts_with("f:")).count(),
        6000
    );
}
