//! `mlx unprotect`

use std::path::PathBuf;

use mlx::ops::unprotect::{self, UnprotectOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Make tracked files that are read-only links into the cache private, writable copies
#[derive(clap::Args)]
#[command(
    after_help = "Big files are placed as read-only hardlinks of the cache where no reflink can be made (see [cache] protect_big_files); unprotect one before editing it in place. The pointer does not change until you `mlx add` it again.\n\nExamples:\n  mlx unprotect data/big.bin && python edit.py data/big.bin && mlx add data/big.bin\n  mlx unprotect data/images"
)]
pub struct UnprotectArgs {
    /// Tracked paths (files or folders)
    #[arg(required = true, value_name = "PATH", add = super::complete::paths())]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &UnprotectArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = UnprotectOptions { cwd: ctx.cwd().to_path_buf(), paths: args.paths.clone() };
    let report = unprotect::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    for path in &report.unprotected {
        out.done_line(&format!("unprotected  {path}"))?;
    }
    if report.unprotected.is_empty() {
        out.status("nothing to unprotect: the files are private copies already");
    }
    Ok(ExitStatus::Success)
}
