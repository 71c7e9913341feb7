//! Shell completions (bash, zsh, fish) from the same commands as the man pages.

use clap_complete::Shell;

use crate::tools::Tool;

/// The shells the packages install completions for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// The file name each shell looks the completion up by (`o2cb`, `_o2cb`, `o2cb.fish`).
pub fn file_name(shell: Shell, tool: Tool) -> String {
    match shell {
        Shell::Zsh => format!("_{}", tool.name()),
        Shell::Fish => format!("{}.fish", tool.name()),
        _ => tool.name().to_owned(),
    }
}

/// The completion script of `tool` for `shell`.
pub fn render(shell: Shell, tool: Tool) -> String {
    let mut cmd = tool.command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, tool.name(), &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}
