//! `mlx exp rm`

use mlx::ops::exp::{self, RmOptions};

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};

/// Delete runs with their params, metrics, tags and artifact references
///
/// Artifact objects stay in the cache until `mlx gc` finds nothing else uses them.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp rm 01jd4k 01jd5m\n  mlx exp rm 01jd6p --force   # a run left marked running"
)]
pub struct RmArgs {
    /// Runs to delete: ids, unique prefixes or names
    #[arg(required = true, value_name = "RUN", add = super::super::complete::runs())]
    runs: Vec<String>,
    /// Also delete runs that are still marked running
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &RmArgs) -> anyhow::Result<ExitStatus> {
    let report =
        exp::rm(ctx.project()?, &RmOptions { runs: args.runs.clone(), force: args.force })?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    for r in &report.deleted {
        match &r.name {
            Some(name) => out.done_line(&format!("deleted  {}  {name}", r.id))?,
            None => out.done_line(&format!("deleted  {}", r.id))?,
        }
    }
    let n = report.deleted.len();
    out.status(&format!("deleted {}", counted(n, "run")));
    Ok(ExitStatus::Success)
}
