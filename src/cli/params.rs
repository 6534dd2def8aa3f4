//! `mlx params diff`

use mlx::ops::params_diff::{self, ParamsDiffOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::metrics::TableFormatArgs;
use super::output::{RevPair, counted};

/// Compare the params that stages declare, across commits
#[derive(clap::Subcommand)]
#[command(after_help = "Examples:\n  mlx params diff\n  mlx params diff main --md")]
pub enum ParamsCommand {
    Diff(DiffArgs),
}

/// Compare the params stages declare between two commits, or a commit and the workspace
///
/// With no revision, compares HEAD with the workspace; with one, that revision with the
/// workspace; with two, the first with the second. Values come from the params files on each
/// side (git objects at a commit); a section (`train`) is shown key by key (`train.lr`). A file
/// or key missing on one side shows `-`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx params diff                  # HEAD vs workspace\n  mlx params diff main --md        # for a pull-request comment\n  mlx params diff v1.0 v2.0 --all --json"
)]
pub struct DiffArgs {
    #[command(flatten)]
    revs: RevPair,
    /// List unchanged params too
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    format: TableFormatArgs,
}

pub fn run(ctx: &Context, cmd: &ParamsCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        ParamsCommand::Diff(args) => diff(ctx, args),
    }
}

fn diff(ctx: &Context, args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let opts = ParamsDiffOptions { a: args.revs.a.clone(), b: args.revs.b.clone(), all: args.all };
    let report = params_diff::diff(ctx.project()?, &opts)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let value = mlx::compare::params::value_text;
    let rows: Vec<Vec<String>> = report
        .params
        .iter()
        .map(|p| vec![p.file.clone(), p.key.clone(), value(&p.old), value(&p.new)])
        .collect();
    let (a, b) = (report.a.label.as_str(), report.b.label.as_str());
    args.format.table(out, &["Path", "Param", a, b], &rows)?;
    out.status(&format!(
        "{a} vs {b}: {} of {} changed",
        report.changed,
        counted(report.compared, "param")
    ));
    Ok(ExitStatus::Success)
}
