//! `mlx exp rm`

use mlx::ops::exp::{self, RmOptions};

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};

/// Delete experiments and runs with their params, metrics, tags and artifact references
///
/// An experiment goes with the runs it made (also from later experiments whose up-to-date stages
/// name them); a run alone takes its experiment along when that has no other run to show (a
/// command's experiment is its run). Artifact objects stay in the cache until `mlx gc` finds
/// nothing else uses them.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp rm exp-3fa2c\n  mlx exp rm 01jd4k 01jd5m\n  mlx exp rm 01jd6p --force   # a run left marked running"
)]
pub struct RmArgs {
    /// Experiments (names, ids or unique prefixes) and runs (ids, unique prefixes or names)
    #[arg(required = true, value_name = "EXP|RUN", add = super::super::complete::runs())]
    runs: Vec<String>,
    /// Also delete experiments and runs that are still marked running
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
    // A command's experiment shares its run's id: one line says both.
    let mut experiments = 0;
    for e in &report.experiments {
        if report.deleted.iter().any(|r| r.id == e.id) {
            continue;
        }
        experiments += 1;
        out.done_line(&format!("deleted  {}  {}  (experiment)", e.id, e.name))?;
    }
    for r in &report.deleted {
        match &r.name {
            Some(name) => out.done_line(&format!("deleted  {}  {name}", r.id))?,
            None => out.done_line(&format!("deleted  {}", r.id))?,
        }
    }
    let n = report.deleted.len();
    let summary = if experiments > 0 {
        format!("deleted {} and {}", counted(experiments, "experiment"), counted(n, "run"))
    } else {
        format!("deleted {}", counted(n, "run"))
    };
    out.status(&summary);
    Ok(ExitStatus::Success)
}
