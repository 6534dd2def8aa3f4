//! `mlx cache stats`

use mlx::fs_util::human_size;
use mlx::ops::cache_stats;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;

/// Sizes of the local cache: logical (its objects as files), stored (bytes on disk), saving
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx cache stats\n  mlx cache stats --json")]
pub struct StatsArgs {
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &StatsArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let report = cache_stats::run(project)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        out.line(&format!(
            "logical  {}  ({} bytes)",
            human_size(report.logical_bytes),
            report.logical_bytes
        ))?;
        out.line(&format!(
            "stored   {}  ({} bytes)",
            human_size(report.stored_bytes),
            report.stored_bytes
        ))?;
        out.line(&format!(
            "saving   {}  ({:.1}%)",
            human_size(report.saved_bytes),
            report.saving * 100.0
        ))?;
        out.line(&format!(
            "objects  {} whole, {} chunked ({} of them also whole), {} chunks",
            report.whole_objects, report.chunked_objects, report.chunked_also_whole, report.chunks
        ))?;
    }
    Ok(ExitStatus::Success)
}
