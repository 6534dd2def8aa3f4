//! `mlx exp check`

use mlx::ops::exp::{self, CheckOptions};

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;

/// Check a run against an expression; exit 1 when it does not hold (a CI gate)
///
/// Without --run, checks the latest finished run recorded on HEAD's commit. Prints each
/// comparison with the value the run had on stderr; --json prints them on stdout.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  mlx run -- python train.py && mlx exp check 'metrics.acc >= 0.9 and metrics.loss < 0.3'
  mlx exp check \"status = 'finished' and metrics.f1 > 0.8\" --run 01jd4k")]
pub struct CheckArgs {
    /// The condition, in the filter language of `mlx exp list --filter`
    #[arg(value_name = "EXPR")]
    expr: String,
    /// The run to check (id, unique prefix or name) [default: the latest finished run on HEAD]
    #[arg(long, value_name = "RUN", add = super::super::complete::runs())]
    run: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let report = exp::check(
        ctx.project()?,
        &CheckOptions { expr: args.expr.clone(), run: args.run.clone() },
    )?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        let name = report.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        for c in &report.comparisons {
            let actual =
                c.actual.as_ref().map_or_else(|| "missing".to_owned(), ToString::to_string);
            let verdict = if c.passed { "ok  " } else { "FAIL" };
            let line = format!("{verdict}  {} = {actual} (needs {})", c.field, c.expected);
            if c.passed { out.status(&line) } else { out.problem(&line) }
        }
        let verdict = if report.passed { "passed" } else { "failed" };
        out.status(&format!("check {verdict} for run {}{name}", report.run));
    }
    Ok(if report.passed { ExitStatus::Success } else { ExitStatus::CheckFailed })
}
