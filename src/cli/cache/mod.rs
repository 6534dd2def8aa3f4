//! `mlx cache …`: commands about the local cache itself.

mod stats;
mod verify;

use super::context::Context;
use super::exit::ExitStatus;

/// Inspect and repair the local cache
#[derive(clap::Subcommand)]
#[command(after_help = "Examples:\n  mlx cache verify\n  mlx cache stats")]
pub enum CacheCommand {
    Verify(verify::VerifyArgs),
    Stats(stats::StatsArgs),
}

pub fn run(ctx: &Context, cmd: &CacheCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        CacheCommand::Verify(args) => verify::run(ctx, args),
        CacheCommand::Stats(args) => stats::run(ctx, args),
    }
}
