//! `mlx exp queue list | start | remove`

use mlx::ops::exp_queue::{self, StartOptions};

use super::super::context::Context;
use super::super::exit::{ExitStatus, UsageError};
use super::super::output::FormatArgs;
use mlx::text::counted;

/// List, run or remove the variants queued with `mlx exp run --queue`
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx exp run --queue --set train.lr=0.1\n  mlx exp queue list\n  mlx exp queue start -j 2\n  mlx exp queue remove exp-1a2b3c"
)]
pub enum QueueCommand {
    List(ListArgs),
    Start(StartArgs),
    Remove(RemoveArgs),
}

/// List the queued variants, oldest first (those being run last)
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx exp queue list\n  mlx exp queue list --json")]
pub struct ListArgs {
    #[command(flatten)]
    format: FormatArgs,
}

/// Run the queued variants, oldest first, each in its own isolated workspace
///
/// A variant that fails is recorded failed and the queue goes on. Ctrl-C stops the variants
/// that run (recorded killed) and leaves the others queued.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx exp queue start\n  mlx exp queue start -j 2")]
pub struct StartArgs {
    /// How many variants run at once
    #[arg(short, long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
    #[command(flatten)]
    format: FormatArgs,
}

/// Remove queued variants (not yet started) by name
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx exp queue remove exp-1a2b3c exp-4d5e6f")]
pub struct RemoveArgs {
    /// Names of queued variants
    #[arg(value_name = "NAME", required = true)]
    names: Vec<String>,
}

pub fn run(ctx: &Context, cmd: &QueueCommand) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let out = ctx.output();
    match cmd {
        QueueCommand::List(args) => {
            let entries = exp_queue::list(project)?;
            if args.format.json {
                out.json(&serde_json::json!({ "queue": entries }))?;
                return Ok(ExitStatus::Success);
            }
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|e| {
                    let state = if e.runner.is_some() { "running" } else { "queued" };
                    let from = format!(
                        "{}{}",
                        &e.commit[..e.commit.len().min(8)],
                        if e.changes.is_some() { "*" } else { "" }
                    );
                    let set = if e.set.is_empty() { "-".to_owned() } else { e.set.join(" ") };
                    vec![
                        e.name.clone(),
                        state.to_owned(),
                        from,
                        super::short_time(&e.queued_at),
                        set,
                    ]
                })
                .collect();
            if !rows.is_empty() {
                out.table(&["NAME", "STATE", "FROM", "QUEUED", "SET"], &rows)?;
            }
            out.status(&format!("{} queued", counted(entries.len(), "variant")));
            Ok(ExitStatus::Success)
        }
        QueueCommand::Start(args) => {
            let program = std::env::current_exe()
                .map_err(|e| UsageError(format!("cannot find the mlx program: {e}")))?;
            let opts = StartOptions { jobs: usize::from(args.jobs), program };
            let report = exp_queue::start(project, &opts)?;
            let failed = report.ran.iter().filter(|r| r.exit_code != 0).count();
            if args.format.json {
                out.json(&report)?;
            } else {
                out.status(&format!(
                    "{} run, {failed} failed, {} left in the queue",
                    counted(report.ran.len(), "variant"),
                    report.left
                ));
                for r in report.ran.iter().filter(|r| r.exit_code != 0) {
                    out.problem(&format!("{}: exit code {}", r.name, r.exit_code));
                }
                if report.ran.is_empty() && report.interrupted.is_none() {
                    out.hint("queue variants with: mlx exp run --queue --set KEY=VALUE");
                }
            }
            Ok(match report.interrupted {
                Some(sig) => ExitStatus::Code(u8::try_from(128 + sig).unwrap_or(130)),
                None if failed > 0 => ExitStatus::CheckFailed,
                None => ExitStatus::Success,
            })
        }
        QueueCommand::Remove(args) => {
            let removed = exp_queue::remove(project, &args.names)?;
            out.done_line(&format!("removed {}", counted(removed.len(), "queued variant")))?;
            Ok(ExitStatus::Success)
        }
    }
}
