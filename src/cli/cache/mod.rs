//! `mlx cache …`: commands about the local cache itself.

mod verify;

use super::context::Context;
use super::exit::ExitStatus;

/// Inspect and repair the local cache
#[derive(clap::Subcommand)]
#[command(after_help = "Examples:\n  mlx cache verify")]
pub enum CacheCommand {
    Verify(verify::VerifyArgs),
}

pub fn run(ctx: &Context, cmd: &CacheCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        CacheCommand::Verify(args) => verify::run(ctx, args),
    }
}
