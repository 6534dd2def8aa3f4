//! `mlx ls`

use std::path::PathBuf;

use mlx::fs_util::human_size;
use mlx::ops::ls::{self, LsOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// List tracked data, or the files inside a tracked directory
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx ls\n  mlx ls data/images --json")]
pub struct LsArgs {
    /// A tracked path, a folder inside a tracked directory, or a folder holding tracked paths
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &LsArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let report =
        ls::run(project, &LsOptions { cwd: ctx.cwd().to_path_buf(), path: args.path.clone() })?;
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
