//! `mlx exp log`

use mlx::ops::exp_log::{self, Chunk, LogOptions, LogSource};
use mlx::tracking::experiments::StageRun;

use super::super::complete;
use super::super::context::Context;
use super::super::exit::ExitStatus;

/// Print the output a run captured, or that of each stage of an experiment
///
/// The output is stdout and stderr as the commands wrote them, byte for byte. For an
/// experiment, the output of the run behind each stage, in pipeline order, each under a header
/// line `==> STAGE: run ID <==` (--stage picks one, printed without a header). A finished run's
/// output is stored in the cache (and fetched from the remote when this clone lacks it); a run
/// still running shows what it has written so far, and --follow keeps printing until it ends.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp log exp-3fa2c                  # every stage, in pipeline order\n  mlx exp log exp-3fa2c --stage train --tail 20\n  mlx exp log 01jd4k --follow            # a run still running, until it ends"
)]
pub struct LogArgs {
    /// The experiment (name, id or unique prefix) or run (id, unique prefix or name)
    #[arg(value_name = "EXP|RUN", add = complete::experiments_and_runs())]
    run: String,
    /// Of an experiment, only the run of this stage
    #[arg(long, value_name = "STAGE", add = complete::stages())]
    stage: Option<String>,
    /// Only the last N lines (of each run's output)
    #[arg(long, value_name = "N")]
    tail: Option<usize>,
    /// For a run still running: keep printing what it writes until it ends
    #[arg(long)]
    follow: bool,
    /// The remote to fetch the log from when the cache lacks it (default: `[core] remote`, or
    /// the only one)
    #[arg(short, long, value_name = "NAME", add = complete::remotes())]
    remote: Option<String>,
}

pub fn run(ctx: &Context, args: &LogArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = LogOptions {
        run: args.run.clone(),
        stage: args.stage.clone(),
        remote: args.remote.clone(),
        tail: args.tail,
        follow: args.follow,
    };
    let found = exp_log::runs(project, &opts)?;
    let out = ctx.output();
    let Some(experiment) = &found.experiment else {
        // A run, printed as it always was.
        for r in &found.runs {
            print_log(ctx, r, &opts)?;
        }
        return Ok(ExitStatus::Success);
    };
    if found.runs.is_empty() {
        out.status(&format!(
            "experiment {} ({}) has no stage runs to show yet",
            experiment.name, experiment.id
        ));
        return Ok(ExitStatus::Success);
    }
    if let [one] = found.runs.as_slice() {
        // One stage picked: its output alone, as for a run.
        out.status(&format!(
            "experiment {}: stage {}, run {}{}",
            experiment.name,
            one.stage.as_deref().unwrap_or("-"),
            one.run,
            if one.own { "" } else { " (an earlier run, whose results it holds)" }
        ));
        print_log(ctx, one, &opts)?;
        return Ok(ExitStatus::Success);
    }
    for r in &found.runs {
        let from = match (r.own, r.outcome.as_deref()) {
            (true, _) => "",
            (false, Some("restored")) => " (restored from the run cache: an earlier run)",
            (false, _) => " (up to date: an earlier run)",
        };
        out.line(&format!("==> {}: run {}{from} <==", r.stage.as_deref().unwrap_or("-"), r.run))?;
        let ended_line = print_log(ctx, r, &opts)?;
        if !ended_line {
            out.raw(b"\n")?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Print one run's log. True when what it printed ends a line (or it printed nothing).
fn print_log(ctx: &Context, r: &StageRun, opts: &LogOptions) -> anyhow::Result<bool> {
    let project = ctx.project()?;
    let out = ctx.output();
    let mut log = exp_log::open(project, &r.run, opts, ctx.reporter(false).as_ref())?;
    if log.fetched > 0 {
        out.status(&format!("fetched the log of run {} from the remote", log.run));
    }
    match log.source {
        LogSource::None => {
            out.status(&format!("run {} ({}) recorded no output", log.run, log.status));
            return Ok(true);
        }
        LogSource::Live if !opts.follow => {
            out.status(&format!(
                "run {} is still running: its output so far (--follow for the rest)",
                log.run
            ));
        }
        _ => {}
    }
    let mut ends_line = true;
    loop {
        match log.next(project)? {
            Chunk::Data(bytes) => {
                if let Some(last) = bytes.last() {
                    ends_line = *last == b'\n';
                }
                out.raw(&bytes)?;
            }
            Chunk::Wait => std::thread::sleep(std::time::Duration::from_millis(100)),
            Chunk::End => break,
        }
    }
    Ok(ends_line)
}
