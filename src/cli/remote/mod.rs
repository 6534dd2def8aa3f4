//! `mlx remote …`: add, list, remove and modify the remotes of `mlx.toml` and
//! `.mlx/config.local.toml`, and choose the default one. URLs are shown redacted, secrets never.

mod add;
mod default;
mod list;
mod modify;
mod remove;

use super::context::Context;
use super::exit::ExitStatus;

/// Configure remotes: where `mlx push` and `mlx fetch` send and find data
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx remote add storage s3://my-bucket/mlx --default\n  mlx remote list"
)]
pub enum RemoteCommand {
    Add(add::AddArgs),
    List(list::ListArgs),
    Remove(remove::RemoveArgs),
    Modify(modify::ModifyArgs),
    Default(default::DefaultArgs),
}

pub fn run(ctx: &Context, cmd: &RemoteCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        RemoteCommand::Add(args) => add::run(ctx, args),
        RemoteCommand::List(args) => list::run(ctx, args),
        RemoteCommand::Remove(args) => remove::run(ctx, args),
        RemoteCommand::Modify(args) => modify::run(ctx, args),
        RemoteCommand::Default(args) => default::run(ctx, args),
    }
}
