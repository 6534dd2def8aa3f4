//! `mlx cache verify`

use mlx::fs_util::human_size;
use mlx::ops::cache_verify;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};

/// Re-hash every cache object; quarantine and report corrupt ones (exit 1 if any)
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx cache verify\n  mlx cache verify || mlx status   # which tracked data lost its content"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let report = cache_verify::run(project, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        for c in &report.corrupt {
            out.line(&format!("corrupt  {}  moved to {}", c.hash, c.quarantined))?;
        }
        for id in &report.incomplete {
            out.line(&format!("incomplete  {id}  (stored as chunks; one is missing or damaged)"))?;
        }
        // Objects stored as chunks that cannot be put together are named only when there are any.
        let incomplete = match report.incomplete.len() {
            0 => String::new(),
            n => format!(", {n} incomplete"),
        };
        out.status(&format!(
            "checked {} ({}): {} corrupt{incomplete}",
            counted(report.checked_objects, "object"),
            human_size(report.checked_bytes),
            report.corrupt.len()
        ));
        if !report.corrupt.is_empty() || !report.incomplete.is_empty() {
            out.hint(
                "re-add the data with `mlx add`, then `mlx status` shows what is still missing",
            );
        }
    }
    let ok = report.corrupt.is_empty() && report.incomplete.is_empty();
    Ok(if ok { ExitStatus::Success } else { ExitStatus::CheckFailed })
}
