//! `mlx exp run`

use mlx::ops::exp_run::{self, ExpRunOptions, What};
use mlx::ops::run_stages::RunStagesOptions;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;
use super::super::run::{exit_status, print_stages};

/// Run the pipeline as a variant, in an isolated workspace (now, or later from the queue)
///
/// Makes a linked worktree of HEAD (with your uncommitted changes of tracked files) under
/// .mlx/exps/, links the tracked data into it from the cache, applies the --set overrides there
/// and runs the stale stages. Your work tree is never touched, so you can keep editing and run
/// several variants at once. The runs go into the project's database and the outputs into its
/// cache (the run cache is shared); the workspace is removed afterwards. With --queue, the
/// variant (and the work tree as it is now) is queued for `mlx exp queue start`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp run --set train.lr=0.05\n  mlx exp run --name deeper --set train.depth=12 train\n  mlx exp run --queue --set train.lr=0.1 && mlx exp run --queue --set train.lr=0.2\n  mlx exp queue start -j 2"
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
    /// Restore a stale stage from the default remote's stage cache when any machine pushed a
    /// result for the same inputs, instead of running it
    #[arg(long, conflicts_with_all = ["queue", "queued"])]
    pull: bool,
    /// Queue the variant instead of running it (run the queue with `mlx exp queue start`)
    #[arg(long, conflicts_with_all = ["jobs", "keep_going", "queued"])]
    queue: bool,
    /// Run the queue entry NAME (what `mlx exp queue start` runs for each entry)
    #[arg(long, hide = true, value_name = "NAME", conflicts_with_all = ["name", "set", "stages", "force"])]
    queued: Option<String>,
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
        name: None,
        workspace: None,
        pull: if args.pull { Some(mlx::ops::run_stages::pull_remote(project)?) } else { None },
        stdout: Box::new(move || {
            if json { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout()) }
        }),
        stderr: Box::new(|| Box::new(std::io::stderr())),
    };
    let what = match (&args.queued, args.queue) {
        (Some(name), _) => What::Queued(name.clone()),
        (None, true) => What::Queue,
        (None, false) => What::Now,
    };
    let opts = ExpRunOptions { name: args.name.clone(), stages, what };
    let report = exp_run::run(project, opts, ctx.reporter(json).as_ref())?;
    let out = ctx.output();
    let commit = &report.commit[..report.commit.len().min(8)];
    if json {
        out.json(&report)?;
    }
    let Some(run) = &report.run else {
        if !json {
            out.done_line(&format!("queued {} (from {commit})", report.name))?;
            out.hint("run the queue with: mlx exp queue start");
        }
        return Ok(ExitStatus::Success);
    };
    if !json {
        print_stages(out, run, false)?;
        let state = if run.succeeded() { "finished" } else { "failed" };
        out.status(&format!("experiment {} ({state} on {commit})", report.name));
        if args.queued.is_none() {
            out.hint("compare it with the others: mlx exp list");
        }
    }
    Ok(exit_status(run))
}
