//! `mlx exp branch`

use mlx::ops::exp_apply::{self, BranchOptions};

use super::super::complete;
use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};

/// Make a git branch holding an experiment's result
///
/// The branch points at the commit mlx kept when the experiment ended: the commit it started
/// on plus the files it changed (params files with its --set overrides, mlx.lock, code a variant
/// started from). Your work tree, index and HEAD are not touched. Check it out and restore its
/// outputs with `git checkout NAME && mlx checkout` (`mlx pull` on another clone).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp branch exp-3fa2c1 lr-0.5\n  mlx exp branch fast try/fast && git checkout try/fast && mlx checkout"
)]
pub struct BranchArgs {
    /// The experiment: its name, its id or a unique prefix of it
    #[arg(value_name = "EXP", add = complete::runs())]
    experiment: String,
    /// The new branch's name
    #[arg(value_name = "NAME")]
    branch: String,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &BranchArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = BranchOptions { experiment: args.experiment.clone(), branch: args.branch.clone() };
    let report = exp_apply::branch(project, &opts)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let short = |sha: &str| sha[..sha.len().min(8)].to_owned();
    out.done_line(&format!("{} {}", report.branch, short(&report.commit)))?;
    let what = if report.files.is_empty() {
        "it changed no file".to_owned()
    } else {
        let names: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
        format!("{} changed: {}", counted(report.files.len(), "file"), names.join(", "))
    };
    out.status(&format!(
        "branch {} holds experiment {} on top of {} ({what})",
        report.branch,
        report.name,
        short(&report.base)
    ));
    out.hint(&format!("check it out with: git checkout {} && mlx checkout", report.branch));
    Ok(ExitStatus::Success)
}
