//! `o2cb.init configure`: the script's questions (docs/ocfs2-tools-reference.md §4.9), or the same
//! answers as options for scripts:
//!
//! ```text
//! o2cb.init configure [--enable|--disable] [--stack NAME] [--cluster NAME|none]
//!                     [--threshold N] [--idle-timeout MS] [--keepalive-delay MS]
//!                     [--reconnect-delay MS]
//! ```
//!
//! Differences from the script: pressing Enter keeps the value shown in brackets (the script
//! shows the default but keeps an empty value and writes `KEY=`), and the idle timeout must
//! be greater than the keepalive delay, as the kernel requires.

use std::ffi::OsString;
use std::io::BufRead;

use getopt::{Function, HasArg, OptionSpec, OptionTable, Parsed};

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigureOpt {
    Enable,
    Disable,
    Stack,
    Cluster,
    Threshold,
    IdleTimeout,
    KeepaliveDelay,
    ReconnectDelay,
}

pub const CONFIGURE_OPTIONS: OptionTable<'static, ConfigureOpt> = OptionTable {
    optstring: "",
    function: Function::GetoptLong,
    options: &[
        OptionSpec::long(ConfigureOpt::Enable, "enable", HasArg::No)
            .with_help("Start the cluster at boot (O2CB_ENABLED=true)."),
        OptionSpec::long(ConfigureOpt::Disable, "disable", HasArg::No)
            .with_help("Do not start the cluster at boot."),
        OptionSpec::long(ConfigureOpt::Stack, "stack", HasArg::Required)
            .with_value_name("NAME")
            .with_help("The cluster stack: o2cb, or a 4-character user stack name."),
        OptionSpec::long(ConfigureOpt::Cluster, "cluster", HasArg::Required)
            .with_value_name("NAME")
            .with_help("The cluster to start at boot, or `none`."),
        OptionSpec::long(ConfigureOpt::Threshold, "threshold", HasArg::Required)
            .with_value_name("N")
            .with_help("Heartbeat dead threshold (>= 7)."),
        OptionSpec::long(ConfigureOpt::IdleTimeout, "idle-timeout", HasArg::Required)
            .with_value_name("MS")
            .with_help("Network idle timeout in ms (>= 5000)."),
        OptionSpec::long(
            ConfigureOpt::KeepaliveDelay,
            "keepalive-delay",
            HasArg::Required,
        )
        .with_value_name("MS")
        .with_help("Network keepalive delay in ms (>= 1000)."),
        OptionSpec::long(
            ConfigureOpt::ReconnectDelay,
            "reconnect-delay",
            HasArg::Required,
        )
        .with_value_name("MS")
        .with_help("Network reconnect delay in ms (>= 2000)."),
    ],
};

/// The answers, as they will be written.
struct Answers {
    enabled: bool,
    stack: String,
    cluster: String,
    threshold: u32,
    idle: u32,
    keepalive: u32,
    reconnect: u32,
}

fn valid_stack(s: &str) -> bool {
    s.chars().count() == 4
}

fn valid_cluster(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric())
}

/// Checks a timeout answer; `Err` is the script's message.
fn timeout_value(what: &str, text: &str, min: u32) -> Result<u32, String> {
    if text.is_empty() || !text.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("Invalid {what} value: {text}"));
    }
    match text.parse::<u32>() {
        Ok(v) if v >= min => Ok(v),
        Ok(_) => Err(format!("{what} cannot be less than {min}")),
        Err(_) => Err(format!("Invalid {what} value: {text}")),
    }
}

const INTRO: &str = "Configuring the O2CB driver.

This will configure the on-boot properties of the O2CB driver.
The following questions will determine whether the driver is loaded on
boot.  The current values will be shown in brackets ('[]').  Hitting
<ENTER> without typing an answer will keep that current value.  Ctrl-C
will abort.

";

const DEBIAN: &str = "Configuring the O2CB driver.

Please configure this service in the Debian way:

 dpkg-reconfigure ocfs2-tools
";

impl Init<'_, '_> {
    fn current_answers(&self) -> Answers {
        let s = &self.settings;
        Answers {
            enabled: s.enabled,
            stack: s.stack.clone(),
            cluster: s.boot_cluster.clone().unwrap_or_default(),
            threshold: s.heartbeat_threshold.unwrap_or(DEFAULT_HEARTBEAT_THRESHOLD),
            idle: s.idle_timeout_ms.unwrap_or(DEFAULT_IDLE_TIMEOUT_MS),
            keepalive: s.keepalive_delay_ms.unwrap_or(DEFAULT_KEEPALIVE_DELAY_MS),
            reconnect: s.reconnect_delay_ms.unwrap_or(DEFAULT_RECONNECT_DELAY_MS),
        }
    }

    /// One answer from stdin; the end of input is an empty answer (keep the value).
    fn ask(&mut self, prompt: &str, input: &mut dyn BufRead) -> String {
        self.begin(prompt);
        let mut line = String::new();
        let _ = input.read_line(&mut line);
        line.trim_end_matches(['\n', '\r']).to_string()
    }

    fn ask_timeout(&mut self, what: &str, current: u32, min: u32, input: &mut dyn BufRead) -> u32 {
        loop {
            let answer = self.ask(&format!("Specify {what} (>={min}) [{current}]: "), input);
            if answer.is_empty() {
                return current;
            }
            match timeout_value(what, &answer, min) {
                Ok(v) => return v,
                Err(e) => self.reason(&e),
            }
        }
    }

    fn interview(&mut self, input: &mut dyn BufRead) -> Answers {
        let mut a = self.current_answers();
        self.begin(INTRO);
        loop {
            let cur = if a.enabled { "y" } else { "n" };
            match self
                .ask(&format!("Load O2CB driver on boot (y/n) [{cur}]: "), input)
                .as_str()
            {
                "" => break,
                "y" | "Y" => {
                    a.enabled = true;
                    break;
                }
                "n" | "N" => {
                    a.enabled = false;
                    break;
                }
                other => self.reason(&format!("Invalid answer: {other}")),
            }
        }
        loop {
            let answer = self.ask(
                &format!("Cluster stack backing O2CB [{}]: ", a.stack),
                input,
            );
            if answer.is_empty() {
                break;
            }
            if valid_stack(&answer) {
                a.stack = answer;
                break;
            }
            self.reason(&format!("Invalid answer: {answer}"));
        }
        loop {
            let answer = self.ask(
                &format!(
                    "Cluster to start on boot (Enter \"none\" to clear) [{}]: ",
                    a.cluster
                ),
                input,
            );
            match answer.as_str() {
                "" => break,
                "none" => {
                    a.cluster.clear();
                    break;
                }
                c if valid_cluster(c) => {
                    a.cluster = c.to_string();
                    break;
                }
                c => self.reason(&format!("Invalid cluster name: {c}")),
            }
        }
        a.threshold = self.ask_timeout(
            "heartbeat dead threshold",
            a.threshold,
            MIN_HEARTBEAT_THRESHOLD,
            input,
        );
        a.idle = self.ask_timeout(
            "network idle timeout in ms",
            a.idle,
            MIN_IDLE_TIMEOUT_MS,
            input,
        );
        loop {
            a.keepalive = self.ask_timeout(
                "network keepalive delay in ms",
                a.keepalive,
                MIN_KEEPALIVE_DELAY_MS,
                input,
            );
            if a.keepalive < a.idle {
                break;
            }
            self.reason(&format!(
                "network keepalive delay in ms must be less than the network idle timeout ({} ms)",
                a.idle
            ));
        }
        a.reconnect = self.ask_timeout(
            "network reconnect delay in ms",
            a.reconnect,
            MIN_RECONNECT_DELAY_MS,
            input,
        );
        a
    }

    fn answers_from_options(
        &mut self,
        opts: &[(ConfigureOpt, Option<OsString>)],
    ) -> Result<Answers, InitExit> {
        let mut a = self.current_answers();
        for (opt, arg) in opts {
            let v = arg
                .as_ref()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bad = |init: &mut Self, msg: String| {
                init.ctx.error(msg);
                Err(InitExit::FAILED)
            };
            match opt {
                ConfigureOpt::Enable => a.enabled = true,
                ConfigureOpt::Disable => a.enabled = false,
                ConfigureOpt::Stack if valid_stack(&v) => a.stack = v,
                ConfigureOpt::Stack => {
                    return bad(
                        self,
                        format!("Invalid cluster stack name: {v} (4 characters, e.g. o2cb)"),
                    )
                }
                ConfigureOpt::Cluster if v == "none" => a.cluster.clear(),
                ConfigureOpt::Cluster if valid_cluster(&v) => a.cluster = v,
                ConfigureOpt::Cluster => return bad(self, format!("Invalid cluster name: {v}")),
                ConfigureOpt::Threshold => {
                    match timeout_value("heartbeat dead threshold", &v, MIN_HEARTBEAT_THRESHOLD) {
                        Ok(n) => a.threshold = n,
                        Err(e) => return bad(self, e),
                    }
                }
                ConfigureOpt::IdleTimeout => {
                    match timeout_value("network idle timeout in ms", &v, MIN_IDLE_TIMEOUT_MS) {
                        Ok(n) => a.idle = n,
                        Err(e) => return bad(self, e),
                    }
                }
                ConfigureOpt::KeepaliveDelay => {
                    match timeout_value("network keepalive delay in ms", &v, MIN_KEEPALIVE_DELAY_MS)
                    {
                        Ok(n) => a.keepalive = n,
                        Err(e) => return bad(self, e),
                    }
                }
                ConfigureOpt::ReconnectDelay => {
                    match timeout_value("network reconnect delay in ms", &v, MIN_RECONNECT_DELAY_MS)
                    {
                        Ok(n) => a.reconnect = n,
                        Err(e) => return bad(self, e),
                    }
                }
            }
        }
        if a.idle <= a.keepalive {
            self.ctx.error(format!(
                "the network idle timeout ({} ms) must be greater than the keepalive delay ({} ms)",
                a.idle, a.keepalive
            ));
            return Err(InitExit::FAILED);
        }
        Ok(a)
    }
}

pub(super) fn configure(init: &mut Init<'_, '_>, args: &[String]) -> Flow {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let interactive = args.is_empty();
    let answers = if interactive {
        if init.debian {
            init.begin(DEBIAN);
            return Ok(());
        }
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        init.interview(&mut lock)
    } else {
        let mut parser = o2cb_runtime::option_parser(&CONFIGURE_OPTIONS, args);
        let mut opts = Vec::new();
        for item in parser.by_ref() {
            match item {
                Parsed::Opt { id, arg } => opts.push((id, arg)),
                Parsed::Error(e) => {
                    init.ctx.getopt_error(std::ffi::OsStr::new("configure"), &e);
                    return Err(InitExit::FAILED);
                }
                Parsed::Operand(_) => {}
            }
        }
        if let Some(extra) = parser.operands().first() {
            init.ctx.error(format!(
                "configure: unexpected argument `{}`",
                extra.to_string_lossy()
            ));
            return Err(InitExit::FAILED);
        }
        init.answers_from_options(&opts)?
    };
    let values = [
        (
            "O2CB_ENABLED",
            if answers.enabled { "true" } else { "false" }.to_string(),
        ),
        ("O2CB_STACK", answers.stack.clone()),
        ("O2CB_BOOTCLUSTER", answers.cluster.clone()),
        ("O2CB_HEARTBEAT_THRESHOLD", answers.threshold.to_string()),
        ("O2CB_IDLE_TIMEOUT_MS", answers.idle.to_string()),
        ("O2CB_KEEPALIVE_DELAY_MS", answers.keepalive.to_string()),
        ("O2CB_RECONNECT_DELAY_MS", answers.reconnect.to_string()),
    ];
    init.write_settings(&values)?;
    init.settings = O2cbSettings::from_file(&init.settings_file).map_err(|e| {
        init.ctx.error(e);
        InitExit::FAILED
    })?;
    if init.settings.enabled {
        init.start(None)
    } else {
        init.stop(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_like_the_script() {
        assert_eq!(timeout_value("x", "31", 7), Ok(31));
        assert_eq!(
            timeout_value("x", "6", 7),
            Err("x cannot be less than 7".into())
        );
        assert_eq!(
            timeout_value("x", "3a", 7),
            Err("Invalid x value: 3a".into())
        );
        assert!(valid_stack("pcmk") && !valid_stack("o2") && !valid_stack("toolong"));
        assert!(valid_cluster("web1") && !valid_cluster("web-1") && !valid_cluster(""));
    }
}
