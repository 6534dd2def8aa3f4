//! `mlx doctor`

use std::time::Duration;

use mlx::ops::doctor::{self, DoctorOptions, Status};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted};

/// Check the project and its setup: git, config, cache, link types, database, remotes
///
/// Prints a checklist, one line per check: `ok`, `warn` or `FAIL`, with a hint under what needs
/// attention. Link types are tried for real in a temp folder inside the cache; the database is
/// opened read-only; every remote is contacted with the credentials found (all at once, given up
/// after --timeout). Secrets are never printed: URLs are redacted and credentials are named by
/// where they come from. Exits with 1 when a check fails (warnings do not count), also outside a
/// git repository or mlx project.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx doctor\n  mlx doctor --no-remotes        # offline: skip the network checks\n  mlx doctor --json | jq '.checks[] | select(.status != \"ok\")'"
)]
pub struct DoctorArgs {
    /// Do not contact the remotes (their settings are still checked)
    #[arg(long)]
    no_remotes: bool,
    /// Seconds to wait for the remotes to answer, all together
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..),
        conflicts_with = "no_remotes"
    )]
    timeout: u64,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &DoctorArgs) -> anyhow::Result<ExitStatus> {
    let report = doctor::run(&DoctorOptions {
        start: ctx.cwd().to_path_buf(),
        check_remotes: !args.no_remotes,
        remote_timeout: Duration::from_secs(args.timeout),
    });
    let out = ctx.output();
    let status = if report.ok { ExitStatus::Success } else { ExitStatus::CheckFailed };
    if args.format.json {
        out.json(&report)?;
        return Ok(status);
    }
    let mut rows = Vec::new();
    let mut marked = Vec::new();
    // With -q, only the problems: the exit code says the rest.
    let shown = report.checks.iter().filter(|c| !out.is_quiet() || c.status != Status::Ok);
    for check in shown {
        // Fixed widths for the first two columns, so every report lines up the same way.
        rows.push(vec![
            format!("{:<4}", check.status.label()),
            format!("{:<8}", check.section),
            check.name.clone(),
            check.detail.clone(),
        ]);
        marked.push(check.status != Status::Ok);
        if let Some(hint) = &check.hint
            && check.status != Status::Ok
        {
            rows.push(vec![String::new(), String::new(), String::new(), format!("hint: {hint}")]);
            marked.push(false);
        }
    }
    out.table_marked(&[], &rows, &marked)?;
    let (warn, fail) = (report.count(Status::Warn), report.count(Status::Fail));
    out.status(&format!(
        "{}: {} ok, {}, {fail} failed",
        counted(report.checks.len(), "check"),
        report.count(Status::Ok),
        counted(warn, "warning"),
    ));
    Ok(status)
}
