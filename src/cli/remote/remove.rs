//! `mlx remote remove`

use mlx::ops::remote_config::{self, RemoveOptions};

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;

/// Remove a remote from mlx.toml and .mlx/config.local.toml
///
/// The data on the remote stays. If it was the default, no remote is the default afterwards.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx remote remove old-bucket\n  mlx remote remove storage --local   # drop only this clone's settings and credentials"
)]
pub struct RemoveArgs {
    /// The remote
    #[arg(add = super::super::complete::remotes())]
    name: String,
    /// Remove only its settings in .mlx/config.local.toml (e.g. credentials)
    #[arg(long)]
    local: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &RemoveArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = RemoveOptions { name: args.name.clone(), local: args.local };
    let report = remote_config::remove(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    if !report.removed_from.is_empty() {
        out.status(&format!(
            "removed remote '{}' from {}",
            report.name,
            report.removed_from.join(" and ")
        ));
    }
    if !report.default_cleared_in.is_empty() {
        out.status(&format!(
            "'{}' is no longer the default remote ([core] remote cleared in {})",
            report.name,
            report.default_cleared_in.join(" and ")
        ));
    }
    Ok(ExitStatus::Success)
}
