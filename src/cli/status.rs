//! `mlx status`

use std::path::PathBuf;

use mlx::ops::status::{self, State, StatusOptions};
use mlx::ops::tracked;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Show tracked data that is modified, missing or not in the cache
///
/// Lists only what is not clean; --json lists every tracked path.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx status\n  mlx status --check   # exit 1 unless clean (git hooks, CI)"
)]
pub struct StatusArgs {
    /// Only these tracked paths (or their .mlx pointers)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Exit with 1 when anything is not clean
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &StatusArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let targets = tracked::resolve_args(project, ctx.cwd(), &args.paths)?;
    let report =
        status::run(project, &StatusOptions { targets }, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        let mut rows = Vec::new();
        for p in report.paths.iter().filter(|p| !p.is_clean()) {
            let state = match p.state {
                State::Unchanged => "unchanged",
                State::Modified => "modified",
                State::Missing => "missing",
            };
            let mut note = Vec::new();
            if !p.changes.is_empty() {
                note.push(format!("{} files changed", p.changes.len()));
            }
            if !p.manifest_in_cache {
                note.push("file list not in cache".to_owned());
            } else if p.missing_objects > 0 {
                note.push(format!("{} objects not in cache", p.missing_objects));
            }
            rows.push(vec![state.to_owned(), p.path.clone(), note.join(", ")]);
            for c in &p.changes {
                let kind = serde_json::to_value(c.change)?.as_str().unwrap_or_default().to_owned();
                rows.push(vec![String::new(), format!("  {kind}: {}", c.path), String::new()]);
            }
        }
        out.table(&[], &rows)?;
        let count = |s: State| report.paths.iter().filter(|p| p.state == s).count();
        let summary = format!(
            "{} tracked: {} unchanged, {} modified, {} missing",
            report.paths.len(),
            count(State::Unchanged),
            count(State::Modified),
            count(State::Missing)
        );
        out.status(&summary);
        if report.paths.iter().any(|p| p.state == State::Modified) {
            out.hint("record changes with `mlx add PATH`, or discard them with `mlx checkout --force PATH`");
        } else if report.paths.iter().any(|p| p.state == State::Missing) {
            out.hint("restore missing data with `mlx checkout`");
        }
    }
    Ok(if args.check && !report.is_clean() { ExitStatus::CheckFailed } else { ExitStatus::Success })
}
