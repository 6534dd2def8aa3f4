//! `mlx data check`

use std::path::PathBuf;

use mlx::ops::data_check::{self, CheckOptions};

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;

/// Check data files against their [checks."PATH"] tables in mlx.toml; exit 1 on a violation
///
/// Every row is read: columns and their types, row count bounds, null rates, ranges, allowed
/// values, uniqueness and regular expressions. Every violation is listed. Without PATH, every
/// file mlx.toml has checks for. `mlx run` runs the same checks on the deps and outs of stages.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx data check\n  mlx data check data/train.csv --json")]
pub struct CheckArgs {
    /// Files to check (default: every [checks] table of mlx.toml)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let opts = CheckOptions { paths: args.paths.clone(), cwd: ctx.cwd().to_path_buf() };
    let report = data_check::run(ctx.project()?, &opts)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        for v in &report.violations {
            let mut line = format!("{}: {}", v.path, v.message);
            if let Some(n) = v.failing {
                line.push_str(&format!(" ({n})"));
            }
            if !v.examples.is_empty() {
                line.push_str(&format!(": {}", v.examples.join(", ")));
            }
            out.line(&line)?;
        }
        for n in &report.notes {
            out.warn(n);
        }
        out.status(&format!(
            "{} checked, {}",
            mlx::text::counted(report.checked.len(), "file"),
            mlx::text::counted(report.violations.len(), "violation")
        ));
    }
    Ok(if report.passed() { ExitStatus::Success } else { ExitStatus::CheckFailed })
}
