//! `mlx exp …`: list, show, compare, delete and gate on recorded runs, and read their output
//! and artifacts back. Shared cell formatting for their tables lives here.

mod check;
mod diff;
mod get;
mod list;
mod log;
mod queue;
mod rm;
mod run;
mod show;

use super::context::Context;
use super::exit::ExitStatus;

/// Query, compare, delete and check recorded runs; read their output and artifacts back
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx exp list --sort -metrics.acc --limit 5\n  mlx exp diff 01jd4k 01jd5m"
)]
pub enum ExpCommand {
    List(list::ListArgs),
    Show(show::ShowArgs),
    Diff(diff::DiffArgs),
    Rm(rm::RmArgs),
    Check(check::CheckArgs),
    Run(run::RunArgs),
    #[command(subcommand)]
    Queue(queue::QueueCommand),
    Log(log::LogArgs),
    Get(get::GetArgs),
}

pub fn run(ctx: &Context, cmd: &ExpCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        ExpCommand::List(args) => list::run(ctx, args),
        ExpCommand::Show(args) => show::run(ctx, args),
        ExpCommand::Diff(args) => diff::run(ctx, args),
        ExpCommand::Rm(args) => rm::run(ctx, args),
        ExpCommand::Check(args) => check::run(ctx, args),
        ExpCommand::Run(args) => run::run(ctx, args),
        ExpCommand::Queue(cmd) => queue::run(ctx, cmd),
        ExpCommand::Log(args) => log::run(ctx, args),
        ExpCommand::Get(args) => get::run(ctx, args),
    }
}

/// What a table shows for a missing value.
const NONE: &str = "-";

/// `2026-11-01T10:00:03.123Z` → `2026-11-01 10:00:03`.
fn short_time(rfc3339: &str) -> String {
    let t = rfc3339.replacen('T', " ", 1);
    t.get(..19).map_or(t.clone(), str::to_owned)
}

/// `0.4s`, `59.0s`, `3m07s`, `2h05m`.
fn human_duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return NONE.into();
    }
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let s = secs.round() as u64;
    if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    }
}

/// The first 8 digits of a commit, with `*` when the tree was dirty.
fn short_commit(commit: Option<&str>, dirty: bool) -> String {
    match commit {
        Some(c) => format!("{}{}", &c[..c.len().min(8)], if dirty { "*" } else { "" }),
        None if dirty => "*".into(),
        None => NONE.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        assert_eq!(short_time("2026-11-01T10:00:03.123Z"), "2026-11-01 10:00:03");
        assert_eq!(human_duration(0.42), "0.4s");
        assert_eq!(human_duration(187.0), "3m07s");
        assert_eq!(human_duration(7500.0), "2h05m");
        assert_eq!(short_commit(Some("0123456789abcdef"), true), "01234567*");
        assert_eq!(short_commit(None, false), "-");
    }
}
