//! `mlx checkout`

use std::path::PathBuf;

use mlx::ops::checkout::{self, CheckoutOptions};
use mlx::work_tree::tracked::Source;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted_as, noun_for};

/// Make the workspace match the pointers: restore, replace and remove tracked files
///
/// Files whose content is not in the cache are never overwritten or deleted unless --force is
/// given: they are listed and nothing changes.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  git checkout v1 && mlx checkout\n  mlx checkout data/images --force\n  mlx checkout --rev v1.0 data   # v1.0's data, without moving HEAD"
)]
pub struct CheckoutArgs {
    /// Only these tracked paths (or their .mlx pointers)
    #[arg(value_name = "PATH", add = super::complete::paths())]
    paths: Vec<PathBuf>,
    /// Check out the data as recorded at this commit, branch or tag (pointers are read from
    /// git; the checked-out commit and the pointer files stay as they are)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// Overwrite or delete workspace changes that are not saved in the cache
    #[arg(short, long)]
    force: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &CheckoutArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = CheckoutOptions {
        cwd: ctx.cwd().to_path_buf(),
        paths: args.paths.clone(),
        source: args.rev.clone().map_or(Source::Workspace, Source::Revision),
        force: args.force,
    };
    let report = checkout::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(if report.is_complete() {
            ExitStatus::Success
        } else {
            ExitStatus::CheckFailed
        });
    }
    if !report.conflicts.is_empty() {
        out.error(
            "checkout would lose changes that are not saved in the cache; nothing was changed:",
        );
        let width = report.conflicts.iter().map(|c| c.path.len()).max().unwrap_or(0);
        for c in &report.conflicts {
            out.detail(&format!("{:<width$}  {}", c.path, c.reason));
        }
        out.hint("save them with `mlx add PATH`, or discard them with `mlx checkout --force`");
        return Ok(ExitStatus::CheckFailed);
    }
    let rows: Vec<Vec<String>> = report
        .paths
        .iter()
        .filter(|p| p.restored + p.removed > 0)
        .map(|p| vec![p.path.clone(), format!("{} restored, {} removed", p.restored, p.removed)])
        .collect();
    out.done_table(&[], &rows)?;
    let missing: usize = report.paths.iter().map(|p| p.missing_objects.len()).sum();
    if missing > 0 {
        for p in report.paths.iter().filter(|p| !p.missing_objects.is_empty()) {
            out.warn(&format!(
                "{}: {} not in the cache",
                p.path,
                counted_as(p.missing_objects.len(), "object is", "objects are")
            ));
            for id in &p.missing_objects {
                out.detail(&id.to_string());
            }
            if !p.corrupt_objects.is_empty() {
                out.warn(&format!(
                    "{}: {} of them {} corrupt: moved to the cache's quarantine folder",
                    p.path,
                    p.corrupt_objects.len(),
                    noun_for(p.corrupt_objects.len(), "was", "were")
                ));
            }
        }
        out.hint(&match &args.rev {
            Some(rev) => format!(
                "fetch them from a remote with `mlx fetch --rev {rev}`, then check out again"
            ),
            None => {
                "fetch them from a remote with `mlx pull` (or `mlx add` them where the data exists)"
                    .to_owned()
            }
        });
        return Ok(ExitStatus::CheckFailed);
    }
    if rows.is_empty() {
        out.status("workspace already matches the pointers");
    }
    Ok(ExitStatus::Success)
}
