//! `mlx completions`

use clap::CommandFactory;

use super::context::Context;
use super::exit::ExitStatus;

/// Print a static shell completion script (commands and flags)
///
/// For completion that also offers names from the project (stages, runs, remotes, tracked
/// paths), have the shell ask mlx itself instead: `source <(COMPLETE=bash mlx)` in ~/.bashrc
/// (`COMPLETE=zsh`, `fish`, `elvish` and `powershell` work the same way).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx completions bash > ~/.local/share/bash-completion/completions/mlx\n  mlx completions fish > ~/.config/fish/completions/mlx.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete for
    shell: clap_complete::Shell,
}

pub fn run(_ctx: &Context, args: &CompletionsArgs) -> anyhow::Result<ExitStatus> {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "mlx", &mut buf);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &buf)?;
    Ok(ExitStatus::Success)
}
