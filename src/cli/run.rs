//! `mlx run [STAGE...]` (the pipeline) and `mlx run -- CMD` (one tracked command)

use std::ffi::OsString;

use mlx::ops::run::{self, RunOptions};
use mlx::ops::run_stages::{self, Outcome, RunStagesOptions};
use mlx::tracking::runs::Status;

use super::context::Context;
use super::exit::{ExitStatus, UsageError};
use super::log::parse_key_value;
use super::output::{FormatArgs, counted};

/// Run the pipeline's stale stages, or one command as a tracked run
///
/// Without `--`, runs the stages declared in mlx.toml whose command, deps, params or outputs
/// changed since mlx.lock recorded them, and whatever they feed; each stage run is a tracked
/// run, and together they make one experiment (see `mlx exp list`). With `-- CMD`, runs CMD as a tracked run (its exit code becomes mlx's). Commands see
/// MLX_RUN_ID, MLX_PROJECT and MLX_METRICS_FILE.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx run                       # every stale stage\n  mlx run train --dry-run       # what would run, and why\n  mlx run --set train.lr=0.1    # one run with an override\n  mlx run --name baseline       # name the experiment\n  mlx run --name baseline --param lr=0.01 -- python train.py"
)]
pub struct RunArgs {
    /// Stages to run, with what they depend on (default: all)
    #[arg(value_name = "STAGE", add = super::complete::stages())]
    stages: Vec<String>,
    /// Run the stages even when nothing changed
    #[arg(short, long)]
    force: bool,
    /// Show what would run and why, without running anything
    #[arg(short = 'n', long, conflicts_with_all = ["keep_going", "jobs"])]
    dry_run: bool,
    /// Only the named stages, not what they depend on
    #[arg(short, long, conflicts_with = "downstream", requires = "stages")]
    single: bool,
    /// The named stages and everything that depends on them
    #[arg(long, requires = "stages")]
    downstream: bool,
    /// After a stage fails, go on with the stages that do not depend on it
    #[arg(short, long)]
    keep_going: bool,
    /// How many independent stages may run at once [default: 1]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Override a param for this run only (the params file is restored afterwards)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Restore a stale stage from the default remote's stage cache when any machine pushed a
    /// result for the same inputs, instead of running it
    #[arg(long, conflicts_with = "dry_run")]
    pull: bool,
    /// A name for the experiment (unique; made up when left out), or for the run with `-- CMD`
    #[arg(long)]
    name: Option<String>,
    /// A tag to record (with `-- CMD`; repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    tags: Vec<(String, String)>,
    /// A parameter to record (with `-- CMD`; repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    params: Vec<(String, String)>,
    #[command(flatten)]
    format: FormatArgs,
    /// A command to run as one tracked run, after `--`
    #[arg(last = true, value_name = "CMD")]
    command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    if args.command.is_empty() {
        if !args.tags.is_empty() || !args.params.is_empty() {
            return Err(UsageError(
                "--tag and --param go with a command: mlx run --param K=V -- CMD".into(),
            )
            .into());
        }
        return run_pipeline(ctx, args);
    }
    let pipeline_flags = !args.stages.is_empty()
        || args.force
        || args.dry_run
        || args.single
        || args.downstream
        || args.keep_going
        || args.jobs.is_some()
        || args.pull
        || !args.set.is_empty();
    if pipeline_flags {
        return Err(UsageError(
            "stage names and pipeline options (--force, --dry-run, --set, ...) do not go with `-- CMD`"
                .into(),
        )
        .into());
    }
    if args.format.json {
        // stdout is the command's own; a JSON report after it would be neither its output nor
        // valid JSON.
        return Err(UsageError(
            "--json does not go with `-- CMD`: stdout is the command's; read the run afterwards \
             with `mlx exp list --limit 1 --json` or `mlx exp show RUN --json`"
                .into(),
        )
        .into());
    }
    run_command(ctx, args)
}

fn run_command(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = RunOptions {
        command: args.command.clone(),
        cwd: ctx.cwd().to_path_buf(),
        name: args.name.clone(),
        params: args.params.clone(),
        tags: args.tags.clone(),
        stdout: Box::new(std::io::stdout()),
        stderr: Box::new(std::io::stderr()),
    };
    let report = run::run(project, opts, ctx.reporter(false).as_ref())?;
    let reaped = &report.reaped;
    let report = &report.ended;
    let out = ctx.output();
    for id in reaped {
        out.warn(&format!(
            "run {id} was still marked running but its mlx process is gone: marked failed"
        ));
    }
    for bad in report.bad_metric_lines.iter().take(5) {
        out.warn(&format!("$MLX_METRICS_FILE line {}: {}", bad.line, bad.error));
    }
    if report.bad_metric_lines.len() > 5 {
        out.warn(&format!(
            "… and {} more",
            counted(report.bad_metric_lines.len() - 5, "unreadable metric line")
        ));
    }
    let verb = match report.status {
        Status::Finished => "finished",
        Status::Failed => "failed",
        Status::Killed => "was killed",
        Status::Running => "is running",
    };
    out.status(&format!(
        "mlx: run {} {verb} in {:.1} s (exit {}, {})",
        report.id,
        report.duration,
        report.exit_code,
        counted(report.metric_points, "metric point")
    ));
    if let Some(why) = &report.store_error {
        // The command's own failure says more than ours; a success that mlx could not
        // record is an IO error.
        out.error(&format!("run {}: {why}", report.id));
        if report.exit_code == 0 {
            return Ok(ExitStatus::Code(3));
        }
    }
    Ok(ExitStatus::Code(u8::try_from(report.exit_code).unwrap_or(1)))
}

fn run_pipeline(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let json = args.format.json;
    let opts = RunStagesOptions {
        targets: args.stages.clone(),
        force: args.force,
        dry_run: args.dry_run,
        single: args.single,
        downstream: args.downstream,
        keep_going: args.keep_going,
        jobs: args.jobs.map_or(1, usize::from),
        set: args.set.clone(),
        workspace: None,
        pull: if args.pull { Some(run_stages::pull_remote(project)?) } else { None },
        name: args.name.clone(),
        // With --json, stdout is for the report: the stages' output goes to stderr.
        stdout: Box::new(move || {
            if json { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout()) }
        }),
        stderr: Box::new(|| Box::new(std::io::stderr())),
    };
    let report = run_stages::run(project, opts, ctx.reporter(json).as_ref())?;
    if json {
        ctx.output().json(&report)?;
    } else {
        print_stages(ctx.output(), &report, args.dry_run)?;
        if !report.succeeded() {
            ctx.output().hint(
                "fix the failing stage and run `mlx run` again: stages that succeeded are not rerun",
            );
        }
    }
    Ok(exit_status(&report))
}

/// One line per stage: what happened to it (the plan, with `dry_run`).
pub(super) fn print_stages(
    out: &super::output::Output,
    report: &run_stages::RunStagesReport,
    dry_run: bool,
) -> anyhow::Result<()> {
    if dry_run {
        let rows: Vec<Vec<String>> = report
            .stages
            .iter()
            .map(|s| {
                let what =
                    if matches!(s.outcome, Outcome::WouldRun) { "would run" } else { "up to date" };
                let why: Vec<String> = s.reasons.iter().map(ToString::to_string).collect();
                vec![s.stage.clone(), what.to_owned(), why.join(", ")]
            })
            .collect();
        out.table(&[], &rows)?;
        return Ok(());
    }
    for s in &report.stages {
        let problem = matches!(s.outcome, Outcome::Failed | Outcome::Killed | Outcome::Skipped);
        let line = match s.outcome {
            Outcome::UpToDate => format!("{}: up to date", s.stage),
            Outcome::WouldRun => format!("{}: would run", s.stage),
            Outcome::Ran => {
                format!("{}: ran (run {})", s.stage, s.run.as_ref().map_or("?", |r| r.as_str()))
            }
            Outcome::Restored => match &s.message {
                Some(from) => format!("{}: {from}", s.stage),
                None => format!("{}: restored from the run cache", s.stage),
            },
            Outcome::Failed => {
                format!("{}: FAILED: {}", s.stage, s.message.as_deref().unwrap_or(""))
            }
            Outcome::Killed => format!("{}: killed", s.stage),
            Outcome::Skipped => {
                format!("{}: not run: {}", s.stage, s.message.as_deref().unwrap_or(""))
            }
        };
        if problem { out.problem(&line) } else { out.status(&line) }
    }
    Ok(())
}

/// 128 + the signal that stopped the run, 1 when a stage failed, else 0.
pub(super) fn exit_status(report: &run_stages::RunStagesReport) -> ExitStatus {
    if let Some(sig) = report.interrupted {
        ExitStatus::Code(u8::try_from(128 + sig).unwrap_or(130))
    } else if report.succeeded() {
        ExitStatus::Success
    } else {
        ExitStatus::CheckFailed
    }
}
