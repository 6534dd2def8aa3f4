//! `mlx exp run`

use mlx::ops::exp_run::{self, ExpRunOptions};
use mlx::ops::run_stages::RunStagesOptions;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;
use super::super::run::{exit_status, print_stages};

/// Run the pipeline as a variant, in an isolated workspace
///
/// Makes a linked worktree of HEAD (with your uncommitted changes of tracked files) under
/// .mlx/exps/, links the tracked data into it from the cache, applies the --set overrides there
/// and runs the stale stages. Your work tree is never touched, so you can keep editing and run
/// several variants at once. The runs go into the project's database and the outputs into its
/// cache (the run cache is shared); the workspace is removed afterwards.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp run --set train.lr=0.05\n  mlx exp run --name deeper --set train.depth=12 train\n  mlx exp list"
)]
pub struct RunArgs {
    /// Stages to run, with what they depend on (default: all)
    #[arg(value_name = "STAGE")]
    stages: Vec<String>,
    /// Override a param in the variant (repeatable): KEY=VALUE or FILE:KEY=VALUE
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// A name for the experiment (default: exp-XXXXXX)
    #[arg(long)]
    name: Option<String>,
    /// Run the stages even when nothing changed
    #[arg(short, long)]
    force: bool,
    /// After a stage fails, go on with the stages that do not depend on it
    #[arg(short, long)]
    keep_going: bool,
    /// How many independent stages may run at once [default: 1]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let json = args.format.json;
    let stages = RunStagesOptions {
        targets: args.stages.clone(),
        force: args.force,
        dry_run: false,
        single: false,
        downstream: false,
        keep_going: args.keep_going,
        jobs: args.jobs.map_or(1, usize::from),
        set: args.set.clone(),
        stdout: Box::new(move || {
            if json { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout()) }
        }),
        stderr: Box::new(|| Box::new(std::io::stderr())),
    };
    let opts = ExpRunOptions { name: args.name.clone(), stages };
    let report = exp_run::run(project, opts, ctx.reporter(json).as_ref())?;
    let out = ctx.output();
    if json {
        out.json(&report)?;
    } else {
        print_stages(out, &report.run, false)?;
        out.status(&format!(
            "experiment {} ({} on {})",
            report.name,
            if report.run.succeeded() { "finished" } else { "failed" },
            &report.commit[..report.commit.len().min(8)]
        ));
        out.hint("compare it with the others: mlx exp list");
    }
    Ok(exit_status(&report.run))
}
