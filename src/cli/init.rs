//! `mlx init`

use mlx::ops::init;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Make the enclosing git repository an mlx project (safe to run again)
///
/// Creates .mlx/ (cache, local settings, database), mlx.toml if absent, and the .gitignore line
/// that keeps .mlx/ out of git.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  git init && mlx init && git add mlx.toml .gitignore\n  mlx init --json   # safe to run again: lists what it created"
)]
pub struct InitArgs {
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &InitArgs) -> anyhow::Result<ExitStatus> {
    let report = init::run(ctx.cwd())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else if report.created.is_empty() {
        out.status(&format!("mlx project at {} is already initialized", report.root));
    } else {
        out.status(&format!("initialized mlx project at {}", report.root));
        out.hint("commit the project files: git add mlx.toml .gitignore");
    }
    Ok(ExitStatus::Success)
}
