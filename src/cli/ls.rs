//! `mlx ls`

use std::path::PathBuf;

use mlx::fs_util::human_size;
use mlx::ops::ls::{self, LsOptions};
use mlx::work_tree::tracked::Source;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// List tracked data, or the files inside a tracked directory
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx ls\n  mlx ls data/images --json\n  mlx ls --rev v1.0 data"
)]
pub struct LsArgs {
    /// A tracked path, a folder inside a tracked directory, or a folder holding tracked paths
    #[arg(value_name = "PATH", add = super::complete::paths())]
    path: Option<PathBuf>,
    /// List what was tracked at this commit, branch or tag instead of the work tree
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &LsArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let source = args.rev.clone().map_or(Source::Workspace, Source::Revision);
    let report = ls::run(
        project,
        &LsOptions { cwd: ctx.cwd().to_path_buf(), path: args.path.clone(), source },
    )?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = report
        .entries
        .iter()
        .map(|e| {
            let path = match &e.symlink_target {
                Some(t) => format!("{} -> {t}", e.path),
                None => e.path.clone(),
            };
            vec![
                e.kind.to_owned(),
                human_size(e.size),
                e.files.to_string(),
                e.hash.map(|h| h.short()).unwrap_or_else(|| "-".into()),
                path,
            ]
        })
        .collect();
    out.table(&["KIND", "SIZE", "FILES", "HASH", "PATH"], &rows)?;
    Ok(ExitStatus::Success)
}
