//! `mlx metrics show|diff`

use mlx::ops::metrics::{self, MetricsDiffOptions, MetricsShowOptions};
use mlx::tracking::query::MetricValue;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{Output, RevPair, counted};

/// Show and compare the metrics files that stages declare, across commits
#[derive(clap::Subcommand)]
#[command(after_help = "Examples:\n  mlx metrics show\n  mlx metrics diff main --md")]
pub enum MetricsCommand {
    Show(ShowArgs),
    Diff(DiffArgs),
}

/// `--json` or `--md`, for the commands that print a comparison table.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct TableFormatArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Print a GitHub-flavoured markdown table (for CI comments)
    #[arg(long, conflicts_with = "json")]
    pub md: bool,
}

impl TableFormatArgs {
    /// Print rows as a markdown or aligned table.
    pub fn table(
        &self,
        out: &Output,
        headers: &[&str],
        rows: &[Vec<String>],
    ) -> anyhow::Result<()> {
        if self.md {
            out.markdown(headers, rows)?;
        } else if !rows.is_empty() {
            let upper: Vec<String> = headers.iter().map(|h| h.to_uppercase()).collect();
            let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
            out.table(&upper, rows)?;
        }
        Ok(())
    }
}

/// Show the values in every declared metrics file, in the workspace or at a revision
///
/// Files are the `metrics` outs of the stages in `mlx.toml` and its top-level `metrics` list (at
/// that revision); values are flattened to dotted keys (`eval.auc`). At a revision, a cached
/// metrics file is read through its hash in that revision's `mlx.lock` (or its folder's) and the
/// cache; an uncached one from git.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx metrics show\n  mlx metrics show main~1 --json\n  mlx metrics show --md"
)]
pub struct ShowArgs {
    /// Read the metrics at this revision (default: the workspace)
    #[arg(value_name = "REV")]
    rev: Option<String>,
    #[command(flatten)]
    format: TableFormatArgs,
}

/// Compare the declared metrics files between two commits, or a commit and the workspace
///
/// With no revision, compares HEAD with the workspace; with one, that revision with the
/// workspace; with two, the first with the second. Shows each changed metric's old and new
/// value and the change (absolute, and relative to the old value). A file or key missing on
/// one side shows `-`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx metrics diff                 # HEAD vs workspace\n  mlx metrics diff main --md       # for a pull-request comment\n  mlx metrics diff v1.0 v2.0 --all --json"
)]
pub struct DiffArgs {
    #[command(flatten)]
    revs: RevPair,
    /// List unchanged metrics too
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    format: TableFormatArgs,
}

pub fn run(ctx: &Context, cmd: &MetricsCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        MetricsCommand::Show(args) => show(ctx, args),
        MetricsCommand::Diff(args) => diff(ctx, args),
    }
}

/// What a table shows for a missing value.
const NONE: &str = "-";

fn show(ctx: &Context, args: &ShowArgs) -> anyhow::Result<ExitStatus> {
    let report = metrics::show(ctx.project()?, &MetricsShowOptions { rev: args.rev.clone() })?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let mut rows = Vec::new();
    for f in &report.files {
        if let Some(e) = &f.error {
            out.warn(&format!("{}: {e}", shown(&report.rev.label, &f.path)));
            rows.push(vec![f.path.clone(), NONE.into(), NONE.into()]);
        }
        for (key, value) in &f.metrics {
            rows.push(vec![f.path.clone(), key.clone(), value.short()]);
        }
    }
    args.format.table(out, &["Path", "Metric", "Value"], &rows)?;
    if report.files.is_empty() {
        out.status("no metrics files: declare them with `metrics = [...]` in a stage of mlx.toml");
    }
    Ok(ExitStatus::Success)
}

/// `eval/m.json` in the workspace, `HEAD:eval/m.json` at a revision.
fn shown(label: &str, path: &str) -> String {
    if label == "workspace" { path.to_owned() } else { format!("{label}:{path}") }
}

fn diff(ctx: &Context, args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let opts = MetricsDiffOptions { a: args.revs.a.clone(), b: args.revs.b.clone(), all: args.all };
    let report = metrics::diff(ctx.project()?, &opts)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    for e in &report.errors {
        out.warn(&format!("{}: {}", shown(&e.rev, &e.path), e.error));
    }
    let value = |v: Option<MetricValue>| v.map_or_else(|| NONE.into(), |v| v.short());
    let rows: Vec<Vec<String>> = report
        .metrics
        .iter()
        .map(|m| vec![m.path.clone(), m.key.clone(), value(m.old), value(m.new), m.change_text()])
        .collect();
    let (a, b) = (report.a.label.as_str(), report.b.label.as_str());
    args.format.table(out, &["Path", "Metric", a, b, "Change"], &rows)?;
    out.status(&format!(
        "{a} vs {b}: {} of {} changed",
        report.changed,
        counted(report.compared, "metric")
    ));
    Ok(ExitStatus::Success)
}
