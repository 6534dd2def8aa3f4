//! `mlx exp list`

use mlx::ops::exp::{self, ListOptions, ListReport};
use mlx::tracking::query::MetricValue;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};
use super::{NONE, human_duration, short_commit, short_time};

/// List runs with their params and latest metrics, newest first
///
/// By default the table shows only the params and metrics columns whose values differ between
/// the listed runs; --all-columns shows all of them.
#[derive(clap::Args)]
#[command(after_help = "\
Filters (--filter) read like MLflow's:
  metrics.KEY, params.KEY, tags.KEY     a run's latest metric value, a param, a tag
  name status commit branch start end duration exit_code id user host dirty
  = != < <= > >= like ilike in (...) is null, with and, or, not and parentheses
  quote text with '...'; quote keys with odd characters: metrics.`val acc`

Examples:
  mlx exp list
  mlx exp list --filter \"metrics.acc > 0.9 and params.opt = 'adam'\" --sort -metrics.acc
  mlx exp list --filter \"status = 'finished' and start >= '2026-11-01'\" --limit 5
  mlx exp list --commit HEAD~3 --csv > runs.csv")]
pub struct ListArgs {
    /// Only runs matching this expression
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Order by this field: metrics.acc (ascending), -metrics.acc or 'metrics.acc desc'
    /// (descending) [default: newest first]
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    sort: Option<String>,
    /// Only runs recorded on this commit (anything git accepts: HEAD, main~3, a tag);
    /// repeatable
    #[arg(long = "commit", value_name = "REV")]
    commits: Vec<String>,
    /// At most N runs
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Show every params and metrics column, not only those that differ between runs
    #[arg(long)]
    all_columns: bool,
    /// Print CSV (every column, full ids and times) instead of a table
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ListArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let report = exp::list(
        project,
        &ListOptions {
            filter: args.filter.clone(),
            sort: args.sort.clone(),
            commits: args.commits.clone(),
            limit: args.limit,
        },
    )?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    if report.runs.is_empty() {
        let filtered = args.filter.is_some() || !args.commits.is_empty();
        out.status(if filtered { "no runs match" } else { "no runs recorded yet" });
        if !filtered {
            out.hint("record one with: mlx run -- CMD");
        }
        return Ok(ExitStatus::Success);
    }
    if args.csv {
        csv(ctx, &report)?;
        return Ok(ExitStatus::Success);
    }
    let cols = report.columns(args.all_columns);
    let mut headers = vec!["RUN", "NAME", "STATUS", "COMMIT", "START", "DURATION"];
    let names: Vec<String> = cols
        .params
        .iter()
        .map(|k| format!("params.{k}"))
        .chain(cols.metrics.iter().map(|k| format!("metrics.{k}")))
        .collect();
    headers.extend(names.iter().map(String::as_str));
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
            row.extend(
                cols.params.iter().map(|k| r.params.get(k.as_str()).map_or(NONE, |v| v).to_owned()),
            );
            row.extend(
                cols.metrics
                    .iter()
                    .map(|k| r.metrics.get(k.as_str()).map_or(NONE.into(), MetricValue::short)),
            );
            row
        })
        .collect();
    out.table(&headers, &rows)?;
    let n = report.runs.len();
    let mut summary = counted(n, "run");
    if cols.hidden > 0 {
        summary.push_str(&format!(
            "; {} with the same value in every run not shown (--all-columns shows them)",
            counted(cols.hidden, "column")
        ));
    }
    out.status(&summary);
    Ok(ExitStatus::Success)
}

/// Every column, full values: for spreadsheets and pandas.
fn csv(ctx: &Context, report: &ListReport) -> anyhow::Result<()> {
    let cols = report.columns(true);
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
    let names: Vec<String> = cols
        .params
        .iter()
        .map(|k| format!("params.{k}"))
        .chain(cols.metrics.iter().map(|k| format!("metrics.{k}")))
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
            row.extend(cols.params.iter().map(|k| opt(r.params.get(k.as_str()).cloned())));
            row.extend(
                cols.metrics
                    .iter()
                    .map(|k| opt(r.metrics.get(k.as_str()).map(ToString::to_string))),
            );
            row.extend(tags.iter().map(|k| opt(r.tags.get(*k).cloned())));
            row
        })
        .collect();
    ctx.output().csv(&headers, &rows)?;
    Ok(())
}
