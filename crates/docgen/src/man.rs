//! Man pages: the hand-written roff of `man/*.in`, with the parts the tables can say
//! generated into it.
//!
//! A template is ordinary roff with marker lines, each a roff comment of its own:
//!
//! | marker | replaced by |
//! |---|---|
//! | `.\" @title` | the `.TH` line: name, section, date, `o2cb-rs VERSION` |
//! | `.\" @synopsis` | `.SH SYNOPSIS` from the tool's usage lines |
//! | `.\" @options` | `.SH OPTIONS` from the tool's option table (`clap_mangen`) |
//! | `.\" @commands` | one entry per command or action: its usage, its help, its options |
//!
//! Every page needs `@title` (so version and date are the same on all of them); the others
//! need a tool. A page with only `@title` is prose (o2cb(7), the file formats).

use std::fmt;

use clap::Command;
use clap_mangen::roff::{bold, italic, roman, Inline, Roff};
use clap_mangen::Man;

use crate::tools::Tool;

/// One installed man page.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// The page name, as in `name(section)`.
    pub name: &'static str,
    pub section: &'static str,
    /// The binary whose tables feed the page.
    pub tool: Option<Tool>,
    template: &'static str,
}

impl Page {
    /// The installed file name, `o2cb.8`.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.name, self.section)
    }

    pub fn template(&self) -> &'static str {
        self.template
    }
}

macro_rules! page {
    ($name:literal, $section:literal, $tool:expr) => {
        Page {
            name: $name,
            section: $section,
            tool: $tool,
            template: include_str!(concat!("../../../man/", $name, ".", $section, ".in")),
        }
    };
}

/// Every page the packages install.
pub const PAGES: &[Page] = &[
    page!("o2cb", "8", Some(Tool::O2cb)),
    page!("o2cb", "7", None),
    page!("o2cb_ctl", "8", Some(Tool::O2cbCtl)),
    page!("o2cb.init", "8", Some(Tool::O2cbInit)),
    page!("ocfs2_hb_ctl", "8", Some(Tool::HbCtl)),
    page!("mount.ocfs2", "8", Some(Tool::MountOcfs2)),
    page!("mounted.ocfs2", "8", Some(Tool::MountedOcfs2)),
    page!("ocfs2.cluster.conf", "5", None),
    page!("o2cb.sysconfig", "5", None),
];

/// A template that cannot be rendered: a programming error in `man/`, reported with the
/// page and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub page: String,
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "man/{}.in:{}: {}", self.page, self.line, self.reason)
    }
}

impl std::error::Error for TemplateError {}

/// `YYYY-MM-DD` of a Unix time (UTC), for the `.TH` date.
pub fn date_of(unix_seconds: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm: no date crate for one line of output.
    let days = (unix_seconds / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The date the pages carry: `SOURCE_DATE_EPOCH` when set (package builds, so that they
/// are reproducible), else today.
pub fn build_date() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    date_of(seconds)
}

fn man_for(page: &Page, cmd: Command, date: &str) -> Man {
    Man::new(cmd)
        .title(page.name.to_uppercase())
        .section(page.section)
        .date(date)
        .source(format!("o2cb-rs {}", env!("CARGO_PKG_VERSION")))
        .manual("OCFS2 Manual Pages")
}

fn rendered(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("roff output is UTF-8")
}

/// A usage line in roff: option names bold, `<operand>` italic, the rest roman.
fn styled_usage(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut chars = text.chars().peekable();
    let mut at_word_start = true;
    while let Some(c) = chars.next() {
        if c == '<' {
            let mut name = String::new();
            for n in chars.by_ref() {
                if n == '>' {
                    break;
                }
                name.push(n);
            }
            out.push(roman(std::mem::take(&mut plain)));
            out.push(italic(name));
            at_word_start = false;
        } else if c == '-' && at_word_start {
            let mut name = String::from(c);
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphanumeric() || n == '-' {
                    name.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(roman(std::mem::take(&mut plain)));
            out.push(bold(name));
            at_word_start = false;
        } else {
            at_word_start = matches!(c, ' ' | '[' | '|' | '{');
            plain.push(c);
        }
    }
    out.push(roman(plain));
    out.retain(|i| !matches!(i, Inline::Roman(s) if s.is_empty()));
    out
}

/// The string definition `roff` puts before every rendered fragment; a page needs it once,
/// before `.TH`.
const PREAMBLE: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];

/// Longest text line `mandoc -T lint` accepts without a style warning (it counts the end
/// of a sentence as one more byte).
const MAX_LINE: usize = 79;

/// Cleans a generated fragment for `mandoc -T lint`: no repeated preamble, no blank lines
/// (clap_mangen leaves one before "Possible values"), no `.br` twice in a row, and text
/// lines wrapped at blanks (roff fills them again).
fn tidy(fragment: &str) -> String {
    let mut out = String::new();
    let mut previous = "";
    for line in fragment.lines() {
        if PREAMBLE.contains(&line) || line.trim().is_empty() {
            continue;
        }
        if line == ".br" && previous == ".br" {
            continue;
        }
        // The line after `.TP` is the tag, one input line: its pieces are joined with `\c`.
        let tag = previous == ".TP";
        previous = line;
        if line.starts_with('.') || line.len() <= MAX_LINE {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let (budget, join) = if tag {
            (MAX_LINE - 3, " \\c\n")
        } else {
            (MAX_LINE, "\n")
        };
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.len() + 1 + word.len() > budget {
                out.push_str(&current);
                out.push_str(join);
                current.clear();
            }
            if current.is_empty() {
                // A continuation line starting with `.` or `'` would be read as a request.
                if word.starts_with(['.', '\'']) {
                    current.push_str("\\&");
                }
            } else {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}

/// `.SH SYNOPSIS`: one line per form of the tool's usage, the tool's name bold.
fn synopsis(cmd: &Command) -> String {
    let usage = cmd
        .get_overridden_usage()
        .map(|u| u.to_string())
        .unwrap_or_default();
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    // No hyphenation inside option and operand names.
    roff.control("nh", []);
    for (index, form) in usage.lines().enumerate() {
        if index > 0 {
            roff.control("br", []);
        }
        let rest = form.strip_prefix(cmd.get_name()).unwrap_or(form);
        let mut line = vec![bold(cmd.get_name())];
        line.extend(styled_usage(rest));
        roff.text(line);
    }
    roff.control("hy", []);
    // `{start|stop|...}` is one word to roff; `\:` lets a line break after each bar.
    roff.to_roff()
        .lines()
        .map(|l| {
            if l.starts_with('.') {
                format!("{l}\n")
            } else {
                format!("{}\n", l.replace('|', "|\\:"))
            }
        })
        .collect()
}

/// The options of `cmd` as `.TP` entries (clap_mangen's rendering without its heading).
fn option_entries(page: &Page, cmd: &Command, date: &str) -> String {
    let options = Command::new(cmd.get_name().to_owned())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(cmd.get_arguments().filter(|a| !a.is_positional()).cloned());
    let text = rendered(|w| man_for(page, options, date).render_options_section(w));
    text.lines()
        .filter(|l| !l.starts_with(".SH "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `@commands`: every sub-command with its usage, help and options.
fn commands(page: &Page, cmd: &Command, date: &str) -> String {
    let mut out = String::new();
    for sub in cmd.get_subcommands() {
        let usage = sub
            .get_overridden_usage()
            .map(|u| u.to_string())
            .unwrap_or_default();
        // The entry starts at the command name: `add-node [--ip <ip>] ...`.
        let rest = usage
            .split_once(sub.get_name())
            .map_or("", |(_, rest)| rest)
            .to_owned();
        let mut head = vec![bold(sub.get_name())];
        head.extend(styled_usage(&rest));
        let mut roff = Roff::new();
        roff.control("TP", []).text(head);
        if let Some(about) = sub.get_about() {
            roff.text([roman(about.to_string())]);
        }
        out.push_str(&roff.to_roff());
        if sub.get_arguments().any(|a| !a.is_positional()) {
            out.push_str(".RS\n");
            out.push_str(&option_entries(page, sub, date));
            out.push_str(".RE\n");
        }
    }
    out
}

/// Renders one page.
pub fn render(page: &Page, date: &str) -> Result<String, TemplateError> {
    let error = |line: usize, reason: &str| TemplateError {
        page: page.file_name(),
        line,
        reason: reason.to_owned(),
    };
    let mut out = String::new();
    let mut titled = false;
    for (index, line) in page.template.lines().enumerate() {
        let number = index + 1;
        let Some(marker) = line.strip_prefix(".\\\" @") else {
            if !titled && !line.starts_with(".\\\"") {
                return Err(error(number, "roff before the @title marker"));
            }
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let marker = marker.trim();
        if marker == "title" {
            if titled {
                return Err(error(number, "a second @title"));
            }
            titled = true;
            let cmd = page
                .tool
                .map_or_else(|| Command::new(page.name), Tool::command);
            out.push_str(&rendered(|w| man_for(page, cmd, date).render_title(w)));
            continue;
        }
        let Some(tool) = page.tool else {
            return Err(error(number, &format!("@{marker} needs a tool")));
        };
        let cmd = tool.command();
        match marker {
            "synopsis" => out.push_str(&tidy(&synopsis(&cmd))),
            "options" => {
                out.push_str(".SH OPTIONS\n");
                out.push_str(&tidy(&option_entries(page, &cmd, date)));
            }
            "commands" => out.push_str(&tidy(&commands(page, &cmd, date))),
            other => return Err(error(number, &format!("unknown marker @{other}"))),
        }
    }
    if !titled {
        return Err(error(1, "no @title marker"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(951_782_400), "2000-02-29");
        assert_eq!(date_of(1_700_000_000), "2023-11-14");
    }

    #[test]
    fn usage_lines_are_styled_by_kind() {
        let inlines = styled_usage(" [--ip <ip>] <clustername>");
        assert_eq!(
            inlines,
            [
                roman(" ["),
                bold("--ip"),
                roman(" "),
                italic("ip"),
                roman("] "),
                italic("clustername"),
            ]
        );
        // A dash inside a word is not an option.
        assert_eq!(styled_usage("force-offline"), [roman("force-offline")]);
    }

    #[test]
    fn every_page_renders_with_one_title_first() {
        for page in PAGES {
            let text = render(page, "2025-01-01").unwrap_or_else(|e| panic!("{e}"));
            let first = text
                .lines()
                .find(|l| !l.starts_with(".\\\"") && !PREAMBLE.contains(l))
                .unwrap();
            assert!(first.starts_with(".TH "), "{}: {first}", page.file_name());
            assert!(first.contains("2025-01-01"));
            let titles = text.lines().filter(|l| l.starts_with(".TH ")).count();
            assert_eq!(titles, 1, "{}", page.file_name());
            assert!(
                !text.contains(".\\\" @"),
                "{}: marker left",
                page.file_name()
            );
        }
    }

    #[test]
    fn tidy_leaves_lines_mandoc_accepts() {
        let long = format!("{} .starts-with-a-dot", "word ".repeat(16));
        let text = tidy(&format!(
            "{}\n.TP\n\n.br\n.br\n{long}\n",
            PREAMBLE.join("\n")
        ));
        assert_eq!(
            text,
            ".TP\n.br\nword word word word word word word word word word word word word word word word\n\\&.starts-with-a-dot\n"
        );
        assert!(text.lines().all(|l| l.len() <= MAX_LINE));

        // A tag stays one line for roff: `\c` joins its pieces.
        let text = tidy(&format!(".TP\n{long}\nbody\n"));
        assert_eq!(
            text,
            ".TP\nword word word word word word word word word word word word word word word \\c\nword  .starts-with-a-dot\nbody\n"
        );
    }

    #[test]
    fn a_marker_without_a_tool_is_refused_with_its_line() {
        let page = Page {
            name: "x",
            section: "5",
            tool: None,
            template: ".\\\" @title\n.SH NAME\n.\\\" @options\n",
        };
        let e = render(&page, "2025-01-01").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.to_string(), "man/x.5.in:3: @options needs a tool");
    }
}
