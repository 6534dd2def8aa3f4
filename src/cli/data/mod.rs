//! `mlx data …`: profiles, checks and drift of data files.

mod check;
mod drift;
mod profile;

use super::context::Context;
use super::exit::ExitStatus;

/// Profile data files, check them against mlx.toml, and measure drift between versions
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx data profile data/train.csv\n  mlx data check\n  mlx data drift data/train.csv --from main"
)]
pub enum DataCommand {
    Profile(profile::ProfileArgs),
    Check(check::CheckArgs),
    Drift(drift::DriftArgs),
}

pub fn run(ctx: &Context, cmd: &DataCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        DataCommand::Profile(args) => profile::run(ctx, args),
        DataCommand::Check(args) => check::run(ctx, args),
        DataCommand::Drift(args) => drift::run(ctx, args),
    }
}

/// A number for a table: integers as they are, others to 4 significant digits.
pub(super) fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        let digits = (4 - v.abs().log10().floor() as i32 - 1).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    }
}
