//! `mlx watch …`: the file watcher that lets a no-op `mlx status` skip walking big trees.

use mlx::ops::watch::{self, Ended, StartOptions};

use super::context::Context;
use super::exit::{ExitStatus, UsageError};
use super::output::FormatArgs;

/// Watch the tracked folders so that `mlx status` need not stat every file
///
/// A watcher holds inotify watches on the tracked folders. While it runs, `mlx status` (and
/// `mlx checkout`) ask it whether anything changed since they last walked a tree, and skip the
/// walk when nothing did: on a million files, the difference between a second and a few
/// milliseconds. Without a watcher, or when it cannot answer, every tree is walked as before.
/// It does not see writes through a shared mmap or changes made from another machine on a
/// network filesystem. With `[core] watch = true` (mlx.toml or .mlx/config.local.toml), `mlx
/// status` starts it when none runs.
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx watch start\n  mlx status\n  mlx watch status\n  mlx watch stop"
)]
pub enum WatchCommand {
    Start(StartArgs),
    Run(RunArgs),
    Stop(StopArgs),
    Status(StatusArgs),
}

/// Start the watcher in the background (nothing happens when one runs)
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx watch start\n  mlx watch start --json   # its pid, and whether one ran already"
)]
pub struct StartArgs {
    #[command(flatten)]
    format: FormatArgs,
}

/// Run the watcher in the foreground until it is stopped (Ctrl-C, or `mlx watch stop`)
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx watch run      # in a terminal, or as a user service\n  mlx -v watch run   # log what it does"
)]
pub struct RunArgs {
    /// Leave the terminal's session first (how `mlx watch start` runs it)
    #[arg(long, hide = true)]
    detach: bool,
}

/// Stop the watcher
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx watch stop")]
pub struct StopArgs {
    #[command(flatten)]
    format: FormatArgs,
}

/// Show whether a watcher runs, what it watches and how many walks it saved
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx watch status\n  mlx watch status --json | jq .unchanged_answers"
)]
pub struct StatusArgs {
    #[command(flatten)]
    format: FormatArgs,
}

/// With `[core] watch = true`: start the watcher when none runs (its first answers are
/// "changed", so the command calling this walks as it would have). A watcher that cannot be
/// started is a warning, never a failure of the command.
pub fn ensure_running(ctx: &Context) {
    let Ok(project) = ctx.project() else { return };
    let out = ctx.output();
    let started = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find the mlx program: {e}"))
        .and_then(|program| Ok(watch::start(project, &StartOptions { program })?));
    match started {
        Ok(report) if !report.already_running => {
            out.status(&format!("started the watcher ([core] watch = true; pid {})", report.pid));
        }
        Ok(_) => {}
        Err(e) => out.warn(&format!("[core] watch = true, but the watcher did not start: {e:#}")),
    }
}

pub fn run(ctx: &Context, cmd: &WatchCommand) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let out = ctx.output();
    match cmd {
        WatchCommand::Start(args) => {
            let program = std::env::current_exe()
                .map_err(|e| UsageError(format!("cannot find the mlx program: {e}")))?;
            let report = watch::start(project, &StartOptions { program })?;
            if args.format.json {
                out.json(&report)?;
            } else if report.already_running {
                out.done_line(&format!("a watcher already runs (pid {})", report.pid))?;
            } else {
                out.done_line(&format!(
                    "watching {} (pid {})",
                    project.root().display(),
                    report.pid
                ))?;
            }
        }
        WatchCommand::Run(args) => {
            let ended = watch::run(project, args.detach, &mut |ready| {
                out.status(&format!(
                    "watching {} (pid {}); stop with Ctrl-C or: mlx watch stop",
                    ready.root.display(),
                    ready.pid
                ));
            })?;
            out.status(match ended {
                Ended::Stopped => "stopped",
                Ended::TreeGone => "stopped: the work tree or its .mlx/watch folder went away",
            });
        }
        WatchCommand::Stop(args) => {
            let report = watch::stop(project)?;
            if args.format.json {
                out.json(&report)?;
            } else {
                match report.pid {
                    Some(pid) => out.done_line(&format!("stopped the watcher (pid {pid})"))?,
                    None => out.done_line("no watcher runs here")?,
                }
            }
        }
        WatchCommand::Status(args) => {
            let report = watch::status(project)?;
            if args.format.json {
                out.json(&report)?;
                return Ok(ExitStatus::Success);
            }
            let Some(info) = &report.info else {
                out.line("no watcher runs here")?;
                out.hint("start one with: mlx watch start");
                return Ok(ExitStatus::Success);
            };
            out.line(&format!("watcher    pid {}, watching {}", info.pid, info.root.display()))?;
            out.line(&format!("folders    {} inotify watches", info.watches))?;
            out.line(&format!(
                "questions  {}, {} tree(s) answered unchanged (a walk saved each)",
                info.queries, info.unchanged_answers
            ))?;
            if info.overflows > 0 {
                out.line(&format!("overflows  {} (every tree counted changed)", info.overflows))?;
            }
            let rows: Vec<Vec<String>> = info
                .dirs
                .iter()
                .map(|d| {
                    let rel = d.path.strip_prefix(&info.root).unwrap_or(&d.path);
                    vec![
                        rel.display().to_string(),
                        d.problem.clone().unwrap_or_else(|| "watched".into()),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                out.table(&["TRACKED FOLDER", "STATE"], &rows)?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
