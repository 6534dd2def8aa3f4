//! `mlx exp log`

use mlx::ops::exp_log::{self, Chunk, LogOptions, LogSource};

use super::super::complete;
use super::super::context::Context;
use super::super::exit::ExitStatus;

/// Print a run's captured output: stdout and stderr as its command wrote them, byte for byte
///
/// A finished run's output is stored in the cache (and fetched from the remote when this clone
/// lacks it); a run still running shows what it has written so far, and --follow keeps
/// printing until it ends.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp log 01jd4k\n  mlx exp log baseline --tail 20\n  mlx exp log 01jd4k --follow   # a run still running, until it ends"
)]
pub struct LogArgs {
    /// The run: its id, a unique prefix of it, or its name
    #[arg(value_name = "RUN", add = complete::runs())]
    run: String,
    /// Only the last N lines
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
        remote: args.remote.clone(),
        tail: args.tail,
        follow: args.follow,
    };
    let mut log = exp_log::open(project, &opts, ctx.reporter(false).as_ref())?;
    let out = ctx.output();
    if log.fetched > 0 {
        out.status(&format!("fetched the log of run {} from the remote", log.run));
    }
    match log.source {
        LogSource::None => {
            out.status(&format!("run {} ({}) recorded no output", log.run, log.status));
            return Ok(ExitStatus::Success);
        }
        LogSource::Live if !args.follow => {
            out.status(&format!(
                "run {} is still running: its output so far (--follow for the rest)",
                log.run
            ));
        }
        _ => {}
    }
    loop {
        match log.next(project)? {
            Chunk::Data(bytes) => out.raw(&bytes)?,
            Chunk::Wait => std::thread::sleep(std::time::Duration::from_millis(100)),
            Chunk::End => break,
        }
    }
    Ok(ExitStatus::Success)
}
