//! `mlx sql`

use mlx::ops;
use mlx::tracking::sql::Cell;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted};

/// Run one read-only SQL statement over the project database
///
/// The database is opened read-only: no statement can change it. The schema is documented in
/// docs/database.md (runs, params, metrics, latest_metrics, tags, artifacts).
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  mlx sql 'SELECT status, count(*) FROM runs GROUP BY status'
  mlx sql \"SELECT run_id, max(value) FROM metrics WHERE key = 'acc' GROUP BY run_id\" --csv")]
pub struct SqlArgs {
    /// The statement (SELECT, WITH, EXPLAIN or a read-only PRAGMA)
    #[arg(value_name = "QUERY")]
    query: String,
    /// Print CSV instead of a table
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &SqlArgs) -> anyhow::Result<ExitStatus> {
    let result = ops::sql::run(ctx.project()?, &args.query)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&result)?;
        return Ok(ExitStatus::Success);
    }
    let headers: Vec<&str> = result.columns.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> =
        result.rows.iter().map(|r| r.iter().map(Cell::display).collect()).collect();
    if args.csv {
        out.csv(&headers, &rows)?;
    } else if !headers.is_empty() {
        out.table(&headers, &rows)?;
    }
    let n = rows.len();
    out.status(&counted(n, "row"));
    Ok(ExitStatus::Success)
}
