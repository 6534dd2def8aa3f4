//! `mlx exp list`

use mlx::ops::exp::{self, Column, ColumnOptions, ExperimentList, ListOptions, ListReport};
use mlx::tracking::query::MetricValue;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};
use super::{NONE, fit, human_duration, short_commit, short_time, terminal_width};

/// List experiments with their params and metrics, newest first
///
/// One row per experiment (one `mlx run` of the pipeline, or one `mlx run -- CMD`), with every
/// param its stages declared and every metric they logged, including those of stages that were
/// up to date. --stages lists the stage runs one by one instead. On a terminal the table is cut
/// to its width (COLUMNS when set), cells to 20 characters: --wide shows every column in full.
/// Piped or redirected, it is never cut.
#[derive(clap::Args)]
#[command(after_help = "\
Filters (--filter) read like MLflow's:
  metrics.KEY, params.KEY, tags.KEY     a metric, param or tag of the experiment (of one of its
                                        runs); params by their short name (params.train.lr) or in
                                        full (params.`params.yaml:train.lr`); one stage's value:
                                        metrics.`evaluate:acc`
  name status commit branch start end duration exit_code id user host dirty
  = != < <= > >= like ilike in (...) is null, with and, or, not and parentheses
  quote text with '...'; quote keys with odd characters: metrics.`val acc`
Columns are named short: train.lr, acc; STAGE:KEY where the stages of an experiment disagree.

Examples:
  mlx exp list
  mlx exp list --filter \"metrics.acc > 0.9 and params.train.lr < 0.1\" --sort -metrics.acc
  mlx exp list --only-changed --drop 'prepare.*'
  mlx exp list --stages --filter \"stage = 'train'\" --limit 5
  mlx exp list --commit HEAD~3 --csv > experiments.csv")]
pub struct ListArgs {
    /// Only experiments (runs, with --stages) matching this expression
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Order by this field: metrics.acc (ascending), -metrics.acc or 'metrics.acc desc'
    /// (descending) [default: newest first]
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    sort: Option<String>,
    /// Only experiments recorded on this commit (anything git accepts: HEAD, main~3, a tag);
    /// repeatable
    #[arg(long = "commit", value_name = "REV")]
    commits: Vec<String>,
    /// At most N rows
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// List stage runs (and command runs), one row each, instead of experiments
    #[arg(long)]
    stages: bool,
    /// Only the params and metrics columns whose values differ between the rows shown
    #[arg(long)]
    only_changed: bool,
    /// Only these params and metrics columns: names, keys or globs (`train.*`), comma-separated
    /// or repeated
    #[arg(long, value_name = "GLOBS")]
    columns: Vec<String>,
    /// Leave out these params and metrics columns (names or globs)
    #[arg(long, value_name = "GLOBS")]
    drop: Vec<String>,
    /// Every column in full, however wide the terminal
    #[arg(long)]
    wide: bool,
    /// Kept for scripts written before --only-changed: every column is shown by default
    #[arg(long, hide = true)]
    all_columns: bool,
    /// Print a GitHub-flavoured markdown table (for CI comments)
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    md: bool,
    /// Print CSV (every column, full ids and times) instead of a table
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ListArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = ListOptions {
        filter: args.filter.clone(),
        sort: args.sort.clone(),
        commits: args.commits.clone(),
        limit: args.limit,
        columns: ColumnOptions {
            only_changed: args.only_changed,
            columns: args.columns.clone(),
            drop: args.drop.clone(),
        },
    };
    if args.stages {
        let report = exp::list_runs(project, &opts)?;
        return show_runs(ctx, args, &report);
    }
    let report = exp::list_experiments(project, &opts)?;
    let status = show_experiments(ctx, args, &report);
    // The command ends here: freeing thousands of records one by one would take longer than
    // printing them, and the process is about to give its memory back whole.
    std::mem::forget(report);
    status
}

fn show_experiments(
    ctx: &Context,
    args: &ListArgs,
    report: &ExperimentList,
) -> anyhow::Result<ExitStatus> {
    let out = ctx.output();
    if args.format.json {
        out.json(report)?;
        return Ok(ExitStatus::Success);
    }
    if report.experiments.is_empty() {
        nothing_listed(ctx, args, "experiments");
        return Ok(ExitStatus::Success);
    }
    if args.csv {
        experiments_csv(ctx, report)?;
        return Ok(ExitStatus::Success);
    }
    let fixed = ["ID", "NAME", "COMMIT", "STATUS", "TIME"];
    let rows: Vec<Vec<String>> = report
        .experiments
        .iter()
        .map(|e| {
            let mut row = vec![
                e.id.as_str()[..report.short_id_len.min(e.id.as_str().len())].to_owned(),
                e.name.clone(),
                short_commit(e.commit.as_deref(), e.dirty),
                e.status.clone(),
                short_time(e.started.as_deref().unwrap_or(&e.created)),
            ];
            row.extend(values(&report.columns, &e.params, &e.metrics));
            row
        })
        .collect();
    print_table(ctx, args, &fixed, &report.columns, rows, report.hidden_columns, "experiment")
}

/// Every value cell of a row, in column order.
fn values(
    columns: &[Column],
    params: &std::collections::BTreeMap<mlx::tracking::query::Key, String>,
    metrics: &std::collections::BTreeMap<mlx::tracking::query::Key, MetricValue>,
) -> Vec<String> {
    columns
        .iter()
        .map(|c| match c.kind {
            exp::ColumnKind::Param => params.get(c.key.as_str()).map_or(NONE, |v| v).to_owned(),
            exp::ColumnKind::Metric => {
                metrics.get(c.key.as_str()).map_or(NONE.into(), MetricValue::short)
            }
        })
        .collect()
}

fn nothing_listed(ctx: &Context, args: &ListArgs, what: &str) {
    let out = ctx.output();
    let filtered = args.filter.is_some() || !args.commits.is_empty();
    if filtered {
        out.status(&format!("no {what} match"));
    } else {
        out.status(&format!("no {what} recorded yet"));
        out.hint("record one with: mlx run (the pipeline), or mlx run -- CMD");
    }
}

/// The table (fitted to the terminal unless --wide or --md) and its summary line.
fn print_table(
    ctx: &Context,
    args: &ListArgs,
    fixed: &[&str],
    columns: &[Column],
    mut rows: Vec<Vec<String>>,
    hidden: usize,
    noun: &str,
) -> anyhow::Result<ExitStatus> {
    let out = ctx.output();
    let mut headers: Vec<String> = fixed.iter().map(|h| (*h).to_owned()).collect();
    headers.extend(columns.iter().map(|c| c.name.clone()));
    if args.md {
        let h: Vec<&str> = headers.iter().map(String::as_str).collect();
        out.markdown(&h, &rows)?;
        return Ok(ExitStatus::Success);
    }
    let cut = match (args.wide, terminal_width()) {
        (false, Some(width)) => fit(&mut headers, &mut rows, fixed.len(), width),
        _ => 0,
    };
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    out.table(&h, &rows)?;
    let mut summary = counted(rows.len(), noun);
    if hidden > 0 {
        let why = if args.only_changed && args.columns.is_empty() && args.drop.is_empty() {
            " with the same value in every row"
        } else {
            ""
        };
        summary.push_str(&format!("; {}{why} left out", counted(hidden, "column")));
    }
    if cut > 0 {
        summary.push_str(&format!(
            "; {} not shown for the terminal's width (--wide shows them, --columns picks)",
            counted(cut, "more column")
        ));
    }
    out.status(&summary);
    Ok(ExitStatus::Success)
}

/// Every column, full values: for spreadsheets and pandas.
fn experiments_csv(ctx: &Context, report: &ExperimentList) -> anyhow::Result<()> {
    let fixed = [
        "id",
        "name",
        "kind",
        "status",
        "commit",
        "branch",
        "dirty",
        "created",
        "started",
        "ended",
        "duration",
        "overrides",
    ];
    let names: Vec<String> = report.columns.iter().map(csv_name).collect();
    let headers: Vec<&str> =
        fixed.iter().copied().chain(names.iter().map(String::as_str)).collect();
    let opt = |v: Option<String>| v.unwrap_or_default();
    let rows: Vec<Vec<String>> = report
        .experiments
        .iter()
        .map(|e| {
            let mut row = vec![
                e.id.to_string(),
                e.name.clone(),
                e.kind.clone(),
                e.status.clone(),
                opt(e.commit.clone()),
                opt(e.branch.clone()),
                e.dirty.to_string(),
                e.created.clone(),
                opt(e.started.clone()),
                opt(e.ended.clone()),
                opt(e.duration.map(|d| d.to_string())),
                e.overrides.join(" "),
            ];
            row.extend(full_values(&report.columns, &e.params, &e.metrics));
            row
        })
        .collect();
    ctx.output().csv(&headers, &rows)?;
    Ok(())
}

/// `params.train.lr`, `metrics.acc`: a CSV header says which kind a column is.
fn csv_name(c: &Column) -> String {
    let prefix = match c.kind {
        exp::ColumnKind::Param => "params.",
        exp::ColumnKind::Metric => "metrics.",
    };
    let name = c.name.strip_prefix(prefix).unwrap_or(&c.name);
    format!("{prefix}{name}")
}

/// Values in full (metrics exact, not shortened), empty when missing.
fn full_values(
    columns: &[Column],
    params: &std::collections::BTreeMap<mlx::tracking::query::Key, String>,
    metrics: &std::collections::BTreeMap<mlx::tracking::query::Key, MetricValue>,
) -> Vec<String> {
    columns
        .iter()
        .map(|c| match c.kind {
            exp::ColumnKind::Param => params.get(c.key.as_str()).cloned().unwrap_or_default(),
            exp::ColumnKind::Metric => {
                metrics.get(c.key.as_str()).map(ToString::to_string).unwrap_or_default()
            }
        })
        .collect()
}

fn show_runs(ctx: &Context, args: &ListArgs, report: &ListReport) -> anyhow::Result<ExitStatus> {
    let out = ctx.output();
    if args.format.json {
        out.json(report)?;
        return Ok(ExitStatus::Success);
    }
    if report.runs.is_empty() {
        nothing_listed(ctx, args, "runs");
        return Ok(ExitStatus::Success);
    }
    if args.csv {
        runs_csv(ctx, report)?;
        return Ok(ExitStatus::Success);
    }
    let fixed = ["RUN", "NAME", "STATUS", "COMMIT", "START", "DURATION"];
    let rows: Vec<Vec<String>> = report
        .runs
        .iter()
        .map(|r| {
            let mut row = vec![
                r.id.as_str()[..report.short_id_len.min(r.id.as_str().len())].to_owned(),
                r.name.clone().unwrap_or_else(|| NONE.into()),
                r.status.clone(),
                short_commit(r.commit.as_deref(), r.dirty),
                short_time(&r.start),
                r.duration.map_or_else(|| NONE.into(), human_duration),
            ];
            row.extend(values(&report.columns, &r.params, &r.metrics));
            row
        })
        .collect();
    print_table(ctx, args, &fixed, &report.columns, rows, report.hidden_columns, "run")
}

/// Every column, full values: for spreadsheets and pandas.
fn runs_csv(ctx: &Context, report: &ListReport) -> anyhow::Result<()> {
    let tags: std::collections::BTreeSet<&mlx::tracking::query::Key> =
        report.runs.iter().flat_map(|r| r.tags.keys()).collect();
    let fixed = [
        "id",
        "name",
        "status",
        "commit",
        "branch",
        "dirty",
        "start",
        "end",
        "duration",
        "exit_code",
        "stage",
    ];
    let names: Vec<String> = report
        .columns
        .iter()
        .map(csv_name)
        .chain(tags.iter().map(|k| format!("tags.{k}")))
        .collect();
    let headers: Vec<&str> =
        fixed.iter().copied().chain(names.iter().map(String::as_str)).collect();
    let opt = |v: Option<String>| v.unwrap_or_default();
    let rows: Vec<Vec<String>> = report
        .runs
        .iter()
        .map(|r| {
            let mut row = vec![
                r.id.to_string(),
                opt(r.name.clone()),
                r.status.clone(),
                opt(r.commit.clone()),
                opt(r.branch.clone()),
                r.dirty.to_string(),
                r.start.clone(),
                opt(r.end.clone()),
                opt(r.duration.map(|d| d.to_string())),
                opt(r.exit_code.map(|c| c.to_string())),
                opt(r.stage.clone()),
            ];
            row.extend(full_values(&report.columns, &r.params, &r.metrics));
            row.extend(tags.iter().map(|k| opt(r.tags.get(*k).cloned())));
            row
        })
        .collect();
    ctx.output().csv(&headers, &rows)?;
    Ok(())
}
