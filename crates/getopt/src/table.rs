//! The option table: what the C tool passes to getopt, plus what a help page needs.

use thiserror::Error;

/// Whether an option takes an argument (`struct option`'s `has_arg`, or the colons after a
/// character in the option string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HasArg {
    /// `no_argument`; no colon in the option string.
    No,
    /// `required_argument`; one colon.
    Required,
    /// `optional_argument`; two colons. The argument must be attached (`-ofoo`,
    /// `--opt=foo`); a separate word is never taken.
    Optional,
}

/// Which glibc entry point the C tool calls. It matters even with no long options at all:
/// under `getopt`, `--foo` is the short option `-` (if the option string lists it) followed
/// by `foo`, while `getopt_long` treats it as an unrecognised long option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `getopt(3)`: short options only.
    Getopt,
    /// `getopt_long(3)`: short options and the long options of the table.
    GetoptLong,
}

/// One option: how it is spelled, what the parser returns for it, and how it is documented.
///
/// An entry with a `short` character answers for that character of the option string; an
/// entry with a `long` name is one row of glibc's `struct option` array (with `flag` NULL and
/// `val` = `id`), in table order. Give one entry both names when `-h` and `--help` mean the
/// same, so the caller gets the same `id` for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec<'a, Id> {
    /// What the parser returns for this option.
    pub id: Id,
    /// The short option character (a byte: glibc compares `char`s, so a multi-byte
    /// character is several options).
    pub short: Option<u8>,
    /// The long option name, without the leading `--`.
    pub long: Option<&'a str>,
    /// Whether the option takes an argument; for the short form it must agree with the
    /// option string.
    pub has_arg: HasArg,
    /// Placeholder for the argument in help text (`PATH`, `<ip>`).
    pub value_name: Option<&'a str>,
    /// One-line help text.
    pub help: &'a str,
}

impl<'a, Id> OptionSpec<'a, Id> {
    /// A short option without help text.
    pub const fn short(id: Id, option: u8, has_arg: HasArg) -> Self {
        Self {
            id,
            short: Some(option),
            long: None,
            has_arg,
            value_name: None,
            help: "",
        }
    }

    /// A long option without help text.
    pub const fn long(id: Id, name: &'a str, has_arg: HasArg) -> Self {
        Self {
            id,
            short: None,
            long: Some(name),
            has_arg,
            value_name: None,
            help: "",
        }
    }
}

/// Builders for constant tables; ids are plain `Copy` enums or integers.
impl<'a, Id: Copy> OptionSpec<'a, Id> {
    /// Adds the short spelling of a long option (or the reverse, with `with_long`).
    pub const fn with_short(self, option: u8) -> Self {
        Self {
            short: Some(option),
            ..self
        }
    }

    pub const fn with_long(self, name: &'a str) -> Self {
        Self {
            long: Some(name),
            ..self
        }
    }

    pub const fn with_value_name(self, value_name: &'a str) -> Self {
        Self {
            value_name: Some(value_name),
            ..self
        }
    }

    pub const fn with_help(self, help: &'a str) -> Self {
        Self { help, ..self }
    }
}

/// Everything one C call site hands to glibc: the option string, which function, and the
/// long options; plus the help metadata of every option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionTable<'a, Id> {
    /// The option string exactly as the C tool passes it, including a leading `+`, `-` or
    /// `:`.
    pub optstring: &'a str,
    /// `getopt` or `getopt_long`.
    pub function: Function,
    /// Every option the string or the long table names.
    pub options: &'a [OptionSpec<'a, Id>],
}

/// One option as help text, man pages and completions see it: an [`OptionSpec`] without
/// the parser's id, so that tables of different id types can be listed side by side (a
/// tool's commands each keep their own table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionHelp<'a> {
    pub short: Option<u8>,
    pub long: Option<&'a str>,
    pub has_arg: HasArg,
    pub value_name: Option<&'a str>,
    pub help: &'a str,
}

/// A table whose options can be documented whatever its id type.
pub trait Documented: Sync + std::fmt::Debug {
    /// Every option of the table, in table order.
    fn option_help(&self) -> Vec<OptionHelp<'_>>;
}

impl<Id: Sync + std::fmt::Debug> Documented for OptionTable<'_, Id> {
    fn option_help(&self) -> Vec<OptionHelp<'_>> {
        self.options
            .iter()
            .map(|o| OptionHelp {
                short: o.short,
                long: o.long,
                has_arg: o.has_arg,
                value_name: o.value_name,
                help: o.help,
            })
            .collect()
    }
}

/// How non-option arguments are handled (glibc's `enum __ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// Stop at the first non-option (`+` prefix, or `POSIXLY_CORRECT`).
    RequireOrder,
    /// Skip non-options, parse the options after them, and move the non-options to the end.
    Permute,
    /// Hand every non-option to the caller in place (`-` prefix).
    ReturnInOrder,
}

/// A table that cannot describe what the C tool does; a programming error in the caller's
/// constant table, reported rather than guessed around.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TableError {
    /// The option string accepts a character that no entry describes.
    #[error("option character '{}' of the option string has no entry in the table", char::from(*.0))]
    UndescribedShort(u8),
    /// An entry names a short option the option string does not accept.
    #[error("option '-{}' of the table is not in the option string", char::from(*.0))]
    ShortNotInOptstring(u8),
    /// The entry and the option string disagree about the argument.
    #[error(
        "option '-{}' takes {optstring:?} argument in the option string but {table:?} in the table",
        char::from(*option)
    )]
    ShortArgumentMismatch {
        option: u8,
        optstring: HasArg,
        table: HasArg,
    },
    /// Long options given to plain `getopt`, which never looks at them.
    #[error("long option '--{0}' in a table for getopt, which has no long options")]
    LongWithoutGetoptLong(String),
    /// A long name glibc could never match (empty, or containing `=`).
    #[error("long option name {0:?} can never be matched")]
    UnmatchableLongName(String),
    /// An entry with neither a short nor a long name.
    #[error("table entry {0} has neither a short nor a long name")]
    Nameless(usize),
}

/// The option string with its ordering prefix taken off, as glibc keeps it between calls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShortOptions<'a> {
    /// What glibc searches with `strchr`; still starts with `:` in colon mode.
    pub(crate) chars: &'a [u8],
    pub(crate) ordering: Ordering,
}

impl<'a> ShortOptions<'a> {
    /// Only one `+` or `-` is an ordering prefix; a second one, or one after `:`, is an
    /// ordinary option character. `POSIXLY_CORRECT` matters only without a prefix.
    pub(crate) fn new(optstring: &'a str, posixly_correct: bool) -> Self {
        let bytes = optstring.as_bytes();
        match bytes.first() {
            Some(b'-') => Self {
                chars: &bytes[1..],
                ordering: Ordering::ReturnInOrder,
            },
            Some(b'+') => Self {
                chars: &bytes[1..],
                ordering: Ordering::RequireOrder,
            },
            _ => Self {
                chars: bytes,
                ordering: if posixly_correct {
                    Ordering::RequireOrder
                } else {
                    Ordering::Permute
                },
            },
        }
    }

    /// A leading `:` silences glibc's messages and makes a missing argument return `:`.
    pub(crate) fn colon_mode(&self) -> bool {
        self.chars.first() == Some(&b':')
    }

    /// What glibc's `strchr` lookup finds for `c`: `None` for an invalid option, else the
    /// rest of the string from `c` on (the colons after it say whether it takes an argument).
    pub(crate) fn lookup(&self, c: u8) -> Option<&'a [u8]> {
        if c == b':' || c == b';' {
            return None;
        }
        let at = self.chars.iter().position(|&b| b == c)?;
        Some(&self.chars[at..])
    }

    /// `W;` with long options: `-W foo` means `--foo`.
    pub(crate) fn is_w_semicolon(found: &[u8], function: Function) -> bool {
        function == Function::GetoptLong && found.starts_with(b"W;")
    }

    pub(crate) fn has_arg(found: &[u8]) -> HasArg {
        match (found.get(1), found.get(2)) {
            (Some(b':'), Some(b':')) => HasArg::Optional,
            (Some(b':'), _) => HasArg::Required,
            _ => HasArg::No,
        }
    }
}

impl<'a, Id> OptionTable<'a, Id> {
    /// The ordering glibc chooses for this table: the option string's prefix, else
    /// `POSIXLY_CORRECT` (which the caller reads from the environment, not this crate).
    pub fn ordering(&self, posixly_correct: bool) -> Ordering {
        ShortOptions::new(self.optstring, posixly_correct).ordering
    }

    /// Whether glibc stays silent on errors for this table (option string starting with
    /// `:` after any ordering prefix); the caller then reports errors itself.
    pub fn is_silent(&self) -> bool {
        ShortOptions::new(self.optstring, false).colon_mode()
    }

    /// The long options in table order: glibc's `struct option` array.
    pub fn long_options(&self) -> impl Iterator<Item = (&'a str, &'a OptionSpec<'a, Id>)> {
        self.options
            .iter()
            .filter_map(|spec| spec.long.map(|name| (name, spec)))
    }

    /// The first entry for short option `c`, as the parser resolves it.
    pub fn short_option(&self, c: u8) -> Option<&'a OptionSpec<'a, Id>> {
        self.options.iter().find(|spec| spec.short == Some(c))
    }

    /// Checks that the entries describe exactly the options the option string accepts.
    pub fn validate(&self) -> Result<(), TableError> {
        let short = ShortOptions::new(self.optstring, false);
        for (at, &c) in short.chars.iter().enumerate() {
            let Some(found) = short.lookup(c) else {
                continue;
            };
            // Only the first occurrence counts, as with strchr.
            if found.len() != short.chars.len() - at {
                continue;
            }
            if ShortOptions::is_w_semicolon(found, self.function) {
                continue;
            }
            let Some(spec) = self.short_option(c) else {
                return Err(TableError::UndescribedShort(c));
            };
            let optstring = ShortOptions::has_arg(found);
            if spec.has_arg != optstring {
                return Err(TableError::ShortArgumentMismatch {
                    option: c,
                    optstring,
                    table: spec.has_arg,
                });
            }
        }
        for (index, spec) in self.options.iter().enumerate() {
            if let Some(c) = spec.short {
                let accepted = short
                    .lookup(c)
                    .is_some_and(|found| !ShortOptions::is_w_semicolon(found, self.function));
                if !accepted {
                    return Err(TableError::ShortNotInOptstring(c));
                }
            }
            if let Some(name) = spec.long {
                if self.function == Function::Getopt {
                    return Err(TableError::LongWithoutGetoptLong(name.to_owned()));
                }
                if name.is_empty() || name.contains('=') {
                    return Err(TableError::UnmatchableLongName(name.to_owned()));
                }
            }
            if spec.short.is_none() && spec.long.is_none() {
                return Err(TableError::Nameless(index));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn short(c: u8, has_arg: HasArg) -> OptionSpec<'static, u8> {
        OptionSpec::short(c, c, has_arg)
    }

    #[test]
    fn only_the_first_prefix_character_sets_the_ordering() {
        let cases = [
            ("+hvV", false, Ordering::RequireOrder),
            ("-ab", false, Ordering::ReturnInOrder),
            ("ab", false, Ordering::Permute),
            ("ab", true, Ordering::RequireOrder),
            ("+ab", true, Ordering::RequireOrder),
            ("-ab", true, Ordering::ReturnInOrder),
            (":+a", false, Ordering::Permute),
        ];
        for (optstring, posixly_correct, ordering) in cases {
            let table = OptionTable::<u8> {
                optstring,
                function: Function::Getopt,
                options: &[],
            };
            assert_eq!(
                table.ordering(posixly_correct),
                ordering,
                "{optstring} {posixly_correct}"
            );
        }
    }

    #[test]
    fn colon_mode_is_read_after_the_ordering_prefix() {
        let silent = |optstring| {
            OptionTable::<u8> {
                optstring,
                function: Function::Getopt,
                options: &[],
            }
            .is_silent()
        };
        assert!(silent(":hV"));
        assert!(silent("+:hV"));
        assert!(!silent("hV:"));
        assert!(!silent("+hV"));
    }

    #[test]
    fn a_described_table_validates() {
        let table = OptionTable {
            optstring: ":n:o::-:",
            function: Function::Getopt,
            options: &[
                short(b'n', HasArg::Required),
                short(b'o', HasArg::Optional),
                short(b'-', HasArg::Required),
            ],
        };
        assert_eq!(table.validate(), Ok(()));
    }

    #[test]
    fn an_undescribed_short_option_is_reported() {
        let table = OptionTable {
            optstring: "ab",
            function: Function::Getopt,
            options: &[short(b'a', HasArg::No)],
        };
        assert_eq!(table.validate(), Err(TableError::UndescribedShort(b'b')));
    }

    #[test]
    fn a_short_option_missing_from_the_string_is_reported() {
        let table = OptionTable {
            optstring: "a",
            function: Function::Getopt,
            options: &[short(b'a', HasArg::No), short(b'z', HasArg::No)],
        };
        assert_eq!(table.validate(), Err(TableError::ShortNotInOptstring(b'z')));
    }

    #[test]
    fn an_argument_mismatch_is_reported() {
        let table = OptionTable {
            optstring: "n",
            function: Function::Getopt,
            options: &[short(b'n', HasArg::Required)],
        };
        assert_eq!(
            table.validate(),
            Err(TableError::ShortArgumentMismatch {
                option: b'n',
                optstring: HasArg::No,
                table: HasArg::Required
            })
        );
    }

    #[test]
    fn long_names_need_getopt_long_and_a_matchable_name() {
        let spec = short(b'a', HasArg::No).with_long("all");
        let specs = [spec];
        let mut table = OptionTable {
            optstring: "a",
            function: Function::Getopt,
            options: &specs,
        };
        assert_eq!(
            table.validate(),
            Err(TableError::LongWithoutGetoptLong("all".into()))
        );
        table.function = Function::GetoptLong;
        assert_eq!(table.validate(), Ok(()));

        let bad = [spec, OptionSpec::long(b'a', "a=b", HasArg::No)];
        table.options = &bad;
        assert_eq!(
            table.validate(),
            Err(TableError::UnmatchableLongName("a=b".into()))
        );
    }

    #[test]
    fn w_semicolon_needs_no_entry_under_getopt_long_only() {
        let mut table = OptionTable::<u8> {
            optstring: "W;",
            function: Function::GetoptLong,
            options: &[],
        };
        assert_eq!(table.validate(), Ok(()));
        table.function = Function::Getopt;
        assert_eq!(table.validate(), Err(TableError::UndescribedShort(b'W')));
    }

    #[test]
    fn colon_and_semicolon_are_never_options() {
        let table = OptionTable {
            optstring: ":a;",
            function: Function::Getopt,
            options: &[short(b'a', HasArg::No)],
        };
        assert_eq!(table.validate(), Ok(()));
    }
}
