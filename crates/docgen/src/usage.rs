//! The usage lines of the command tables (`[--ip <ip>] <clustername> <nodename>`) read back
//! into options and operands.
//!
//! The `o2cb` command table carries each command's usage line (what the tool prints after
//! `usage:`), but not a link to the option table the command parses with. Reading the line
//! gives the operands for the synopsis and the completions, and it is the safety net for
//! options: an option that a usage line shows is documented even when no option table is
//! known for the command yet.

/// An option shown in a usage line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageOption {
    /// Without the leading `--`.
    pub long: String,
    pub value_name: Option<String>,
}

/// An operand shown in a usage line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    /// `clustername`, `uuid|device`, `global|local`.
    pub name: String,
    pub optional: bool,
    /// The words of a `{a|b}` choice; empty for a free operand.
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub options: Vec<UsageOption>,
    pub operands: Vec<Operand>,
}

/// Splits at blanks outside brackets: `[--ip <ip>]` is one word.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    for (at, c) in line.char_indices() {
        match c {
            '[' | '{' | '<' => depth += 1,
            ']' | '}' | '>' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c.is_whitespace() && depth == 0 {
            if let Some(s) = start.take() {
                out.push(&line[s..at]);
            }
        } else if start.is_none() {
            start = Some(at);
        }
    }
    if let Some(s) = start {
        out.push(&line[s..]);
    }
    out
}

fn strip_outer(word: &str, open: char, close: char) -> Option<&str> {
    word.strip_prefix(open)?.strip_suffix(close)
}

/// Reads a usage line (the part after the command name).
pub fn parse(line: &str) -> Usage {
    let mut usage = Usage::default();
    for word in words(line) {
        let (optional, inner) = match strip_outer(word, '[', ']') {
            Some(inner) => (true, inner),
            None => (false, word),
        };
        if inner.starts_with("--") {
            for alternative in inner.split('|') {
                let mut parts = alternative.split_whitespace();
                let Some(long) = parts.next().and_then(|p| p.strip_prefix("--")) else {
                    continue;
                };
                let (long, attached) = match long.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (long, None),
                };
                let value_name = parts
                    .next()
                    .or(attached)
                    .map(|v| v.trim_matches(|c| c == '<' || c == '>').to_owned());
                usage.options.push(UsageOption {
                    long: long.to_owned(),
                    value_name,
                });
            }
        } else if let Some(choices) = strip_outer(inner, '{', '}') {
            let choices: Vec<String> = choices.split('|').map(str::to_owned).collect();
            usage.operands.push(Operand {
                name: choices.join("|"),
                optional,
                choices,
            });
        } else {
            usage.operands.push(Operand {
                name: inner.replace(['<', '>'], ""),
                optional,
                choices: Vec::new(),
            });
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operand(name: &str, optional: bool) -> Operand {
        Operand {
            name: name.into(),
            optional,
            choices: vec![],
        }
    }

    #[test]
    fn options_with_values_then_operands() {
        let u = parse("[--ip <ip>] [--port <port>] [--number <num>] <clustername> <nodename>");
        let longs: Vec<_> = u.options.iter().map(|o| o.long.as_str()).collect();
        assert_eq!(longs, ["ip", "port", "number"]);
        assert_eq!(u.options[2].value_name.as_deref(), Some("num"));
        assert_eq!(
            u.operands,
            [operand("clustername", false), operand("nodename", false)]
        );
    }

    #[test]
    fn alternatives_and_optional_operands() {
        let u = parse("[--oneline|--json] [<clustername>]");
        let longs: Vec<_> = u.options.iter().map(|o| o.long.as_str()).collect();
        assert_eq!(longs, ["oneline", "json"]);
        assert_eq!(u.options[0].value_name, None);
        assert_eq!(u.operands, [operand("clustername", true)]);

        let u = parse("<clustername> [<uuid>|<device>]");
        assert_eq!(
            u.operands,
            [operand("clustername", false), operand("uuid|device", true)]
        );
    }

    #[test]
    fn a_choice_lists_its_words() {
        let u = parse("<clustername> {global|local}");
        assert_eq!(u.operands[1].choices, ["global", "local"]);
        assert!(!u.operands[1].optional);
    }

    #[test]
    fn an_attached_value_and_an_empty_line() {
        let u = parse("[--config-file=path] COMMAND");
        assert_eq!(u.options[0].long, "config-file");
        assert_eq!(u.options[0].value_name.as_deref(), Some("path"));
        assert_eq!(u.operands, [operand("COMMAND", false)]);
        assert_eq!(parse(""), Usage::default());
    }
}
