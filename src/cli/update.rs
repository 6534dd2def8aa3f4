//! `mlx update`

use std::path::PathBuf;

use mlx::ops::update::{self, UpdateOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Move data imported with `mlx add --from` to a newer revision of its origin
///
/// The revision the pointer records (a branch or tag follows its repository; a commit stays)
/// or the one given with --rev is resolved again; when it names another commit, the data is
/// downloaded through the origin's default remote, put in place and the pointer rewritten.
/// Nothing changes when the commit is the same. Data changed here since it was imported is
/// not replaced without --force.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx update data/train\n  mlx update data/train --rev v3   # follow another branch or tag from now on"
)]
pub struct UpdateArgs {
    /// Imported paths (or their .mlx pointers)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// A branch, tag or commit of the origin to move to (recorded for later updates)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// Replace data changed in the work tree since it was imported
    #[arg(short, long)]
    force: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &UpdateArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = UpdateOptions {
        cwd: ctx.cwd().to_path_buf(),
        paths: args.paths.clone(),
        rev: args.rev.clone(),
        force: args.force,
    };
    let report = update::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = report
        .paths
        .iter()
        .map(|u| {
            let short = |c: &str| c[..8.min(c.len())].to_owned();
            let what = match (u.updated, u.data_changed) {
                (false, _) => "up to date",
                (true, true) => "updated",
                (true, false) => "same data",
            };
            let commits = if u.updated {
                format!("{} -> {}", short(&u.old_commit), short(&u.new_commit))
            } else {
                short(&u.new_commit)
            };
            vec![what.to_owned(), u.path.clone(), commits]
        })
        .collect();
    out.done_table(&[], &rows)?;
    if !report.git_paths.is_empty() {
        out.hint(&format!("record the change with git: git add {}", report.git_paths.join(" ")));
    }
    Ok(ExitStatus::Success)
}
