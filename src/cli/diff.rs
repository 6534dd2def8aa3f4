//! `mlx diff`

use mlx::fs_util::human_size;
use mlx::ops::diff::{self, ChangeKind, DiffOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;
use super::output::RevPair;

/// Show data changes between two commits, or between a commit and the workspace
///
/// With no revision, compares HEAD with the workspace; with one, that revision with the
/// workspace; with two, the first with the second. Tracked directories are compared file by
/// file; a file moved without changing its content is shown as renamed.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx diff                 # HEAD vs workspace\n  mlx diff v1.0            # v1.0 vs workspace\n  mlx diff main~1 main --json"
)]
pub struct DiffArgs {
    #[command(flatten)]
    revs: RevPair,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = DiffOptions { a: args.revs.a.clone(), b: args.revs.b.clone() };
    let report = diff::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut current: Option<&str> = None;
    for c in &report.changes {
        if current != Some(c.tracked.as_str()) {
            rows.push(vec![c.tracked.clone(), String::new(), String::new()]);
            current = Some(c.tracked.as_str());
        }
        let inside = |p: &str| -> String {
            p.strip_prefix(c.tracked.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(p)
                .to_owned()
        };
        let (kind, path, size) = match c.change {
            ChangeKind::Added => ("added", inside(&c.path), human_size(c.new_size.unwrap_or(0))),
            ChangeKind::Deleted => {
                ("deleted", inside(&c.path), human_size(c.old_size.unwrap_or(0)))
            }
            ChangeKind::Modified => (
                "modified",
                inside(&c.path),
                format!(
                    "{} -> {}",
                    human_size(c.old_size.unwrap_or(0)),
                    human_size(c.new_size.unwrap_or(0))
                ),
            ),
            ChangeKind::Renamed => (
                "renamed",
                format!("{} -> {}", inside(c.old_path.as_deref().unwrap_or("")), inside(&c.path)),
                human_size(c.new_size.unwrap_or(0)),
            ),
        };
        let path = if !path.is_empty() && path != c.tracked {
            path
        } else if report.unknown_manifests.contains(&c.tracked) {
            "(the whole directory)".into()
        } else {
            "(the file itself)".into()
        };
        rows.push(vec![format!("  {kind}"), path, size]);
    }
    out.table(&[], &rows)?;
    for t in &report.unknown_manifests {
        out.warn(&format!("{t}: its file list is not in the cache, so it is compared as a whole"));
    }
    let t = &report.totals;
    let sign = if t.size_delta < 0 { "-" } else { "+" };
    out.status(&format!(
        "{} vs {}: {} added, {} deleted, {} modified, {} renamed ({sign}{})",
        report.a.label,
        report.b.label,
        t.added,
        t.deleted,
        t.modified,
        t.renamed,
        human_size(t.size_delta.unsigned_abs())
    ));
    Ok(ExitStatus::Success)
}
