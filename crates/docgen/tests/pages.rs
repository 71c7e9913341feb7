//! The man pages and completions against what the binaries print and parse: every option a
//! binary's usage text shows, and every option of its tables, is in its page and its
//! completions.

use docgen::man::{self, Page, PAGES};
use docgen::tools::{self, Tool};

fn page(file: &str) -> &'static Page {
    PAGES
        .iter()
        .find(|p| p.file_name() == file)
        .unwrap_or_else(|| panic!("no page {file}"))
}

/// The page as text a reader sees: font escapes gone, `\-` a dash.
fn page_text(file: &str) -> String {
    let roff = man::render(page(file), "2025-01-01").unwrap();
    roff.replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\fP", "")
        .replace("\\-", "-")
        .replace("\\&", "")
}

/// The options a usage text shows: `-x` and `--name` that start a word (so the `-node` of
/// `add-node` is not one).
fn options_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        let starts_word = at == 0 || b" \t\n[|{(".contains(&bytes[at - 1]);
        if b != b'-' || !starts_word {
            continue;
        }
        let rest = &text[at..];
        let end = rest
            .char_indices()
            .skip(1)
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-'))
            .map_or(rest.len(), |(i, _)| i);
        let option = &rest[..end];
        if option.len() > 1 && option != "--" && !found.iter().any(|f| f == option) {
            found.push(option.to_owned());
        }
    }
    found
}

/// Whether `option` appears in `text` as a word of its own.
fn mentions(text: &str, option: &str) -> bool {
    text.match_indices(option).any(|(at, _)| {
        let after = text[at + option.len()..].chars().next();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

fn assert_documented(file: &str, options: &[String]) {
    assert!(!options.is_empty(), "{file}: no options found to check");
    let text = page_text(file);
    let missing: Vec<_> = options.iter().filter(|o| !mentions(&text, o)).collect();
    assert!(missing.is_empty(), "{file} does not mention {missing:?}");
}

#[test]
fn options_are_read_from_usage_text_as_words() {
    assert_eq!(
        options_in("usage: add-node [--ip <ip>] [-h|--help] -C -n x"),
        ["--ip", "-h", "--help", "-C", "-n"]
    );
}

#[test]
fn o2cb_page_has_every_option_of_its_usage_texts() {
    // What `o2cb -h` prints, and each command's `usage:` line (printed on a usage error).
    let mut text = o2cb::tool::usage_text("o2cb");
    for c in o2cb::tool::COMMANDS {
        text.push_str(&format!("usage: {} {}\n", c.name, c.usage));
    }
    assert_documented("o2cb.8", &options_in(&text));
    let page = page_text("o2cb.8");
    for c in o2cb::tool::COMMANDS {
        assert!(mentions(&page, c.name), "o2cb.8 does not list {}", c.name);
    }
}

#[test]
fn every_option_an_o2cb_usage_line_shows_has_help_from_a_table() {
    let cmd = tools::o2cb();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_arguments().filter(|a| !a.is_positional()) {
            assert!(
                arg.get_help().is_some(),
                "o2cb {}: --{} is in the usage line but in no option table; give the command \
                 its table in o2cb::tool::COMMANDS (with_options)",
                sub.get_name(),
                arg.get_long().unwrap_or_default()
            );
        }
    }
}

#[test]
fn every_option_of_an_o2cb_commands_table_is_in_its_usage_line() {
    for command in o2cb::tool::COMMANDS {
        let shown = options_in(command.usage);
        for option in tools::o2cb_command_options(command) {
            // The reference's commands keep its usage lines byte for byte; an option of ours
            // (`list-cluster --json`) is documented by its help text instead.
            let extension = command.reference && !option.help.is_empty();
            assert!(
                extension || shown.contains(&option.spelling()),
                "o2cb {}: {} is in its option table but not in its usage line {:?}",
                command.name,
                option.spelling(),
                command.usage
            );
        }
    }
}

#[test]
fn o2cb_ctl_page_has_every_option_of_its_usage_and_table() {
    let mut options = options_in(o2cb_ctl::USAGE);
    // `--help` and `--version` are accepted through the table's `-` option.
    options.extend(["--help".to_owned(), "--version".to_owned()]);
    for spec in o2cb_ctl::OPTIONS.options.iter() {
        if let Some(c) = spec.short.filter(|&c| c != b'-') {
            options.push(format!("-{}", char::from(c)));
        }
    }
    assert_documented("o2cb_ctl.8", &options);
}

/// `-x` for every short option of a table, `--name` for every long one.
fn table_options<Id>(table: &getopt::OptionTable<'_, Id>) -> Vec<String> {
    let mut out = Vec::new();
    for spec in table.options {
        if let Some(c) = spec.short {
            out.push(format!("-{}", char::from(c)));
        }
        if let Some(l) = spec.long {
            out.push(format!("--{l}"));
        }
    }
    out
}

#[test]
fn ocfs2_hb_ctl_page_has_every_option_of_its_usage_and_table() {
    let mut options = options_in(hb_ctl::hbctl::USAGE);
    options.extend(table_options(&hb_ctl::hbctl::OPTIONS));
    assert_documented("ocfs2_hb_ctl.8", &options);
}

#[test]
fn mount_ocfs2_page_has_every_option_of_its_table() {
    assert_documented("mount.ocfs2.8", &table_options(&hb_ctl::mount::OPTIONS));
}

#[test]
fn mounted_ocfs2_page_has_every_option_of_its_usage_and_table() {
    let usage = String::from_utf8(mounted::usage(b"mounted.ocfs2")).unwrap();
    // `[-dfv]` is three options clustered, as getopt reads it.
    let mut options: Vec<String> = options_in(&usage)
        .iter()
        .flat_map(|o| {
            o.chars()
                .skip(1)
                .map(|c| format!("-{c}"))
                .collect::<Vec<_>>()
        })
        .collect();
    options.extend(table_options(&mounted::OPTIONS));
    assert_documented("mounted.ocfs2.8", &options);
}

#[test]
fn o2cb_init_page_has_every_action_and_configure_option() {
    let page = page_text("o2cb.init.8");
    for action in o2cb::init::ACTIONS.iter().map(|a| a.name) {
        assert!(
            mentions(&page, action),
            "o2cb.init.8 does not list {action}"
        );
    }
    let options: Vec<String> = o2cb::init::ACTIONS
        .iter()
        .filter_map(|a| a.options)
        .flat_map(|table| table.option_help())
        .filter_map(|o| o.long.map(|l| format!("--{l}")))
        .collect();
    assert_documented("o2cb.init.8", &options);
}

#[test]
fn global_option_table_is_documented_with_its_help() {
    let page = page_text("o2cb.8");
    for spec in o2cb::tool::GLOBAL_OPTIONS.options {
        assert!(
            page.contains(spec.help),
            "o2cb.8 lacks the help of {:?}",
            spec.long
        );
    }
}

#[test]
fn completions_offer_every_command_and_option() {
    let bash = docgen::completions::render(clap_complete::Shell::Bash, Tool::O2cb);
    for c in o2cb::tool::COMMANDS {
        assert!(bash.contains(c.name), "bash completion lacks {}", c.name);
    }
    for option in ["--config-file", "--ip", "--port", "--number", "--oneline"] {
        assert!(bash.contains(option), "bash completion lacks {option}");
    }
    let zsh = docgen::completions::render(clap_complete::Shell::Zsh, Tool::O2cbInit);
    for action in o2cb::init::ACTIONS.iter().map(|a| a.name) {
        assert!(zsh.contains(action), "zsh completion lacks {action}");
    }
    let fish = docgen::completions::render(clap_complete::Shell::Fish, Tool::O2cbCtl);
    assert!(fish.contains("-s I"), "fish completion lacks -I: {fish}");
}

#[test]
fn generate_writes_every_page_and_completion() {
    let dir = std::env::temp_dir().join(format!("docgen-test-{}", std::process::id()));
    let files = docgen::generate(&dir, "2025-01-01").unwrap();
    assert_eq!(files.len(), PAGES.len() + 3 * Tool::ALL.len());
    for name in [
        "man/o2cb.8",
        "man/ocfs2.cluster.conf.5",
        "completions/zsh/_o2cb",
    ] {
        assert!(dir.join(name).is_file(), "{name} not written");
    }
    assert!(dir.join("completions/fish/o2cb.init.fish").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}
