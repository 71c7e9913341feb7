//! The parser: glibc 2.36's `_getopt_internal_r`, one call per `next()`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::error::{GetoptError, LongPrefix};
use crate::table::{Function, HasArg, OptionSpec, OptionTable, Ordering, ShortOptions, TableError};

/// One result of the parser, in the order glibc's getopt returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<Id> {
    /// An option, with its argument if it took one.
    Opt { id: Id, arg: Option<OsString> },
    /// A non-option argument, handed over in place; only with a `-` option string prefix
    /// (glibc returns `1` with `optarg` set).
    Operand(OsString),
    /// An error; glibc returned `?` (or `:`), and parsing goes on with the next character.
    Error(GetoptError),
}

/// A getopt run over one argument vector, as an iterator of [`Parsed`] items.
///
/// Arguments are `argv[1..]`: index 0 here is glibc's `optind == 1`. When the iterator
/// has returned `None`, [`Getopt::operands`] are the non-option arguments in order and
/// [`Getopt::optind`] is where they start in the (permuted) [`Getopt::args`].
#[derive(Debug)]
pub struct Getopt<'a, Id> {
    table: OptionTable<'a, Id>,
    short: ShortOptions<'a>,
    args: Vec<OsString>,
    optind: usize,
    /// The non-options skipped so far are `args[first_nonopt..last_nonopt]`.
    first_nonopt: usize,
    last_nonopt: usize,
    /// The next short option character to look at: (argument index, byte offset); `None`
    /// when the next call starts a new argument.
    nextchar: Option<(usize, usize)>,
    finished: bool,
}

enum Advance<Id> {
    Finished,
    Item(Parsed<Id>),
    ShortCluster(usize),
}

impl<'a, Id: Clone + PartialEq> Getopt<'a, Id> {
    /// Starts parsing `args` (`argv[1..]`) with `table`, in GNU mode (as if
    /// `POSIXLY_CORRECT` were unset).
    pub fn new(table: &OptionTable<'a, Id>, args: Vec<OsString>) -> Result<Self, TableError> {
        table.validate()?;
        Ok(Self {
            table: OptionTable {
                optstring: table.optstring,
                function: table.function,
                options: table.options,
            },
            short: ShortOptions::new(table.optstring, false),
            args,
            optind: 0,
            first_nonopt: 0,
            last_nonopt: 0,
            nextchar: None,
            finished: false,
        })
    }

    /// Behaves as glibc does when `POSIXLY_CORRECT` is set in the environment: stop at
    /// the first non-option unless the option string has a `+` or `-` prefix. The caller
    /// reads the environment; call this before iterating.
    pub fn posixly_correct(mut self, posixly_correct: bool) -> Self {
        self.short = ShortOptions::new(self.table.optstring, posixly_correct);
        self
    }

    /// glibc's `optind` minus one: the index of the next argument to examine, and after
    /// the end, of the first operand.
    pub fn optind(&self) -> usize {
        self.optind
    }

    /// The arguments in their current order; glibc permutes them as it goes.
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// The operands (non-option arguments), in order, once the iterator is exhausted.
    pub fn operands(&self) -> &[OsString] {
        &self.args[self.optind..]
    }

    /// Like [`Getopt::operands`], by value.
    pub fn into_operands(mut self) -> Vec<OsString> {
        self.args.split_off(self.optind)
    }

    /// The table being parsed with.
    pub fn table(&self) -> &OptionTable<'a, Id> {
        &self.table
    }

    fn is_nonoption(&self, index: usize) -> bool {
        let word = self.args[index].as_bytes();
        word.first() != Some(&b'-') || word.len() == 1
    }

    /// Moves the options parsed since the skipped non-options in front of them.
    fn exchange(&mut self) {
        let (bottom, middle, top) = (self.first_nonopt, self.last_nonopt, self.optind);
        self.args[bottom..top].rotate_left(middle - bottom);
        self.first_nonopt += self.optind - self.last_nonopt;
        self.last_nonopt = self.optind;
    }

    /// Steps to the next argument that holds options, as glibc does when `nextchar` is
    /// used up.
    fn advance(&mut self) -> Advance<Id> {
        let argc = self.args.len();
        if self.short.ordering == Ordering::Permute {
            if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                self.exchange();
            } else if self.last_nonopt != self.optind {
                self.first_nonopt = self.optind;
            }
            while self.optind < argc && self.is_nonoption(self.optind) {
                self.optind += 1;
            }
            self.last_nonopt = self.optind;
        }

        // `--` is treated like an option for the permutation, then ends the scan.
        if self.optind != argc && self.args[self.optind].as_bytes() == b"--" {
            self.optind += 1;
            if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                self.exchange();
            } else if self.first_nonopt == self.last_nonopt {
                self.first_nonopt = self.optind;
            }
            self.last_nonopt = argc;
            self.optind = argc;
        }

        if self.optind == argc {
            if self.first_nonopt != self.last_nonopt {
                self.optind = self.first_nonopt;
            }
            return Advance::Finished;
        }

        if self.is_nonoption(self.optind) {
            if self.short.ordering == Ordering::RequireOrder {
                return Advance::Finished;
            }
            let operand = self.args[self.optind].clone();
            self.optind += 1;
            return Advance::Item(Parsed::Operand(operand));
        }

        if self.table.function == Function::GetoptLong
            && self.args[self.optind].as_bytes()[1] == b'-'
        {
            return Advance::Item(self.long_option(self.optind, 2, LongPrefix::DoubleDash));
        }
        Advance::ShortCluster(self.optind)
    }

    fn short_option(&mut self, index: usize, offset: usize) -> Parsed<Id> {
        let word = self.args[index].as_bytes();
        let c = word[offset];
        let rest = word[offset + 1..].to_vec();
        let argc = self.args.len();

        // glibc moves optind past the argument as soon as its last character is taken.
        let at_end = rest.is_empty();
        if at_end {
            self.optind += 1;
            self.nextchar = None;
        } else {
            self.nextchar = Some((index, offset + 1));
        }

        let Some(found) = self.short.lookup(c) else {
            return Parsed::Error(GetoptError::InvalidOption { option: c });
        };

        if ShortOptions::is_w_semicolon(found, self.table.function) {
            self.nextchar = None;
            return if !at_end {
                self.long_option(index, offset + 1, LongPrefix::DashW)
            } else if self.optind == argc {
                Parsed::Error(GetoptError::MissingArgument { option: c })
            } else {
                self.long_option(self.optind, 0, LongPrefix::DashW)
            };
        }

        let has_arg = ShortOptions::has_arg(found);
        let arg = match has_arg {
            HasArg::No => None,
            HasArg::Optional | HasArg::Required if !at_end => {
                self.optind += 1;
                Some(OsString::from(std::ffi::OsStr::from_bytes(&rest)))
            }
            HasArg::Optional => None,
            HasArg::Required if self.optind == argc => {
                return Parsed::Error(GetoptError::MissingArgument { option: c });
            }
            HasArg::Required => {
                self.optind += 1;
                Some(self.args[self.optind - 1].clone())
            }
        };
        if has_arg != HasArg::No {
            self.nextchar = None;
        }
        let spec = self
            .table
            .short_option(c)
            .expect("validate() found an entry for every short option");
        Parsed::Opt {
            id: spec.id.clone(),
            arg,
        }
    }

    /// glibc's `process_long_option` (never long-only): the name starts at `offset` of
    /// argument `index`.
    fn long_option(&mut self, index: usize, offset: usize, prefix: LongPrefix) -> Parsed<Id> {
        let text = self.args[index].as_bytes()[offset..].to_vec();
        let name_end = text.iter().position(|&b| b == b'=').unwrap_or(text.len());
        let name = &text[..name_end];
        let long: Vec<(&'a str, &'a OptionSpec<'a, Id>)> = self.table.long_options().collect();

        // Whatever happens, this argument is used up.
        self.optind += 1;
        self.nextchar = None;

        let exact = long.iter().position(|(n, _)| n.as_bytes() == name);
        let found = match exact {
            Some(found) => found,
            None => {
                let mut first = None;
                let mut ambiguous: Vec<usize> = Vec::new();
                for (at, (n, spec)) in long.iter().enumerate() {
                    if !n.as_bytes().starts_with(name) {
                        continue;
                    }
                    let Some(earliest) = first else {
                        first = Some(at);
                        continue;
                    };
                    // Abbreviations of options that behave alike are not ambiguous.
                    let earliest_spec = long[earliest].1;
                    if earliest_spec.has_arg != spec.has_arg || earliest_spec.id != spec.id {
                        if ambiguous.is_empty() {
                            ambiguous.push(earliest);
                        }
                        ambiguous.push(at);
                    }
                }
                if !ambiguous.is_empty() {
                    return Parsed::Error(GetoptError::AmbiguousOption {
                        prefix,
                        text: OsString::from(std::ffi::OsStr::from_bytes(&text)),
                        candidates: ambiguous.iter().map(|&at| long[at].0.to_owned()).collect(),
                    });
                }
                match first {
                    Some(first) => first,
                    None => {
                        return Parsed::Error(GetoptError::UnrecognizedOption {
                            prefix,
                            text: OsString::from(std::ffi::OsStr::from_bytes(&text)),
                        })
                    }
                }
            }
        };

        let (long_name, spec) = long[found];
        let arg = if name_end < text.len() {
            if spec.has_arg == HasArg::No {
                return Parsed::Error(GetoptError::ArgumentNotAllowed {
                    prefix,
                    name: long_name.to_owned(),
                });
            }
            Some(OsString::from(std::ffi::OsStr::from_bytes(
                &text[name_end + 1..],
            )))
        } else if spec.has_arg == HasArg::Required {
            if self.optind == self.args.len() {
                return Parsed::Error(GetoptError::MissingLongArgument {
                    prefix,
                    name: long_name.to_owned(),
                });
            }
            self.optind += 1;
            Some(self.args[self.optind - 1].clone())
        } else {
            None
        };
        Parsed::Opt {
            id: spec.id.clone(),
            arg,
        }
    }
}

impl<Id: Clone + PartialEq> Iterator for Getopt<'_, Id> {
    type Item = Parsed<Id>;

    fn next(&mut self) -> Option<Parsed<Id>> {
        if self.finished {
            return None;
        }
        let (index, offset) = match self.nextchar {
            Some(position) => position,
            None => match self.advance() {
                Advance::Finished => {
                    self.finished = true;
                    return None;
                }
                Advance::Item(item) => return Some(item),
                Advance::ShortCluster(index) => (index, 1),
            },
        };
        Some(self.short_option(index, offset))
    }
}

impl<Id: Clone + PartialEq> std::iter::FusedIterator for Getopt<'_, Id> {}
