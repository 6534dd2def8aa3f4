//! `mlx add`

use std::path::PathBuf;

use mlx::fs_util::human_size;
use mlx::ops::add::{self, AddOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted};

/// Track files or directories: cache their content, write PATH.mlx pointers
///
/// Adding an unchanged path again does nothing; adding a changed one updates its pointer.
/// Files matching .mlxignore patterns are left out of tracked directories.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx add data/images\n  mlx add model.bin data/labels.csv")]
pub struct AddArgs {
    /// Files or directories to track
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &AddArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = AddOptions { cwd: ctx.cwd().to_path_buf(), paths: args.paths.clone() };
    let report = add::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = report
        .added
        .iter()
        .map(|a| {
            vec![
                if a.changed { "added" } else { "unchanged" }.to_owned(),
                a.path.clone(),
                a.kind.as_str().to_owned(),
                counted(a.files, "file"),
                human_size(a.size),
                a.hash.short(),
            ]
        })
        .collect();
    out.done_table(&[], &rows)?;
    if !report.git_paths.is_empty() {
        out.hint(&format!("record the change with git: git add {}", report.git_paths.join(" ")));
    }
    Ok(ExitStatus::Success)
}
