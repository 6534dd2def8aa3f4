//! `mlx exp …`: list, show, compare, delete and gate on experiments and their runs, run
//! variants, and apply or branch an experiment's result. Shared cell
//! formatting for their tables, and fitting a table to the terminal, live here.

mod apply;
mod branch;
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

/// Query, compare, delete and check experiments and their runs
///
/// An experiment is one `mlx run` of the pipeline (its stage runs, and for stages that were up
/// to date the runs behind their results) or one `mlx run -- CMD`.
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx exp list --sort -metrics.acc --limit 5\n  mlx exp diff exp-3fa2c exp-9d01e\n  mlx exp check 'metrics.acc >= 0.9'"
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
    Apply(apply::ApplyArgs),
    Branch(branch::BranchArgs),
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
        ExpCommand::Apply(args) => apply::run(ctx, args),
        ExpCommand::Branch(args) => branch::run(ctx, args),
    }
}

/// What a table shows for a missing value.
const NONE: &str = "-";

/// The most characters a params or metrics cell shows in a table fitted to the terminal.
const CELL_MAX: usize = 20;

/// The width to fit tables to: the terminal's when stdout is one (`COLUMNS` wins when set);
/// `None` (no limit) when stdout is a file or pipe.
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(n) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()) {
        return Some(n.max(20));
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0).max(20))
}

/// Cut a cell to `max` characters, ending with `…` when it was longer.
fn cut_cell(cell: &str, max: usize) -> String {
    if cell.chars().count() <= max {
        return cell.to_owned();
    }
    let mut s: String = cell.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Fit a table to `width` characters: the first `fixed` columns stay; the others have their
/// cells cut to [`CELL_MAX`], and those that would pass the width are left out. Returns how many
/// were left out.
fn fit(headers: &mut Vec<String>, rows: &mut [Vec<String>], fixed: usize, width: usize) -> usize {
    for h in headers.iter_mut().skip(fixed) {
        *h = cut_cell(h, CELL_MAX);
    }
    for row in rows.iter_mut() {
        for cell in row.iter_mut().skip(fixed) {
            *cell = cut_cell(cell, CELL_MAX);
        }
    }
    let col_width = |i: usize| {
        rows.iter()
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .chain(std::iter::once(headers[i].chars().count()))
            .max()
            .unwrap_or(0)
    };
    let mut used = 0;
    let mut keep = headers.len();
    for i in 0..headers.len() {
        let w = col_width(i) + if i == 0 { 0 } else { 2 };
        if i >= fixed && used + w > width {
            keep = i;
            break;
        }
        used += w;
    }
    let cut = headers.len() - keep;
    headers.truncate(keep);
    for row in rows.iter_mut() {
        row.truncate(keep);
    }
    cut
}

/// `2026-11-01T10:00:03.123Z` → `2026-11-01 10:00:03`.
fn short_time(rfc3339: &str) -> String {
    let head = rfc3339.get(..19).unwrap_or(rfc3339);
    head.replacen('T', " ", 1)
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
        Some(c) => {
            let mut s = String::with_capacity(9);
            s.push_str(c.get(..8).unwrap_or(c));
            if dirty {
                s.push('*');
            }
            s
        }
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

    #[test]
    fn tables_fit_the_width() {
        let mut headers: Vec<String> =
            ["ID", "NAME", "a_rather_long_param_name_indeed", "acc"].map(str::to_owned).to_vec();
        let mut rows = vec![vec!["1".into(), "exp-1".into(), "x".repeat(30), "0.9".into()]];
        assert_eq!(fit(&mut headers.clone(), &mut rows.clone(), 2, 200), 0);
        assert_eq!(fit(&mut headers, &mut rows, 2, 32), 1);
        assert_eq!(headers, ["ID", "NAME", "a_rather_long_param…"]);
        assert_eq!(rows[0][2], format!("{}…", "x".repeat(19)));
    }
}
