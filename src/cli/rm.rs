//! `mlx rm`

use std::path::PathBuf;

use mlx::ops::rm::{self, RmOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Stop tracking paths: drop their pointers and .gitignore lines, keep the data
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx rm data/scratch && git add -A data\n  mlx rm data/raw.csv.mlx   # a pointer names its data too"
)]
pub struct RmArgs {
    /// Tracked paths (or their .mlx pointers)
    #[arg(required = true, value_name = "PATH", add = super::complete::paths())]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &RmArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = RmOptions { cwd: ctx.cwd().to_path_buf(), paths: args.paths.clone() };
    let report = rm::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    for path in &report.removed {
        out.done_line(&format!("untracked  {path}"))?;
    }
    // Pointers never added to git leave nothing to record.
    if !report.git_paths.is_empty() {
        out.hint(&format!("record the change with git: git add {}", report.git_paths.join(" ")));
    }
    Ok(ExitStatus::Success)
}
