//! `mlx run -- CMD`

use std::ffi::OsString;

use mlx::ops::run::{self, RunOptions};
use mlx::tracking::runs::Status;

use super::context::Context;
use super::exit::ExitStatus;
use super::log::parse_key_value;

/// Run a command as a tracked experiment run
///
/// Records the command, git commit, branch and dirty state, timing, exit code, host and user in
/// .mlx/mlx.db; passes its output through and saves it as the run's log. The command sees
/// MLX_RUN_ID, MLX_PROJECT and MLX_METRICS_FILE (append {"key":"loss","value":0.3,"step":1}
/// lines to log metrics fast). mlx exits with the command's exit code.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx run --name baseline --param lr=0.01 -- python train.py\n  mlx run -- sh -c 'mlx log metric acc=0.93'"
)]
pub struct RunArgs {
    /// A name for the run
    #[arg(long)]
    name: Option<String>,
    /// A tag to record (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    tags: Vec<(String, String)>,
    /// A parameter to record (repeatable)
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    params: Vec<(String, String)>,
    /// The command to run, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = RunOptions {
        command: args.command.clone(),
        cwd: ctx.cwd().to_path_buf(),
        name: args.name.clone(),
        params: args.params.clone(),
        tags: args.tags.clone(),
        stdout: Box::new(std::io::stdout()),
        stderr: Box::new(std::io::stderr()),
    };
    let report = run::run(project, opts, ctx.reporter(false).as_ref())?;
    let out = ctx.output();
    for id in &report.reaped {
        out.warn(&format!(
            "run {id} was still marked running but its mlx process is gone: marked failed"
        ));
    }
    for bad in report.bad_metric_lines.iter().take(5) {
        out.warn(&format!("$MLX_METRICS_FILE line {}: {}", bad.line, bad.error));
    }
    if report.bad_metric_lines.len() > 5 {
        out.warn(&format!(
            "… and {} more unreadable metric lines",
            report.bad_metric_lines.len() - 5
        ));
    }
    let verb = match report.status {
        Status::Finished => "finished",
        Status::Failed => "failed",
        Status::Killed => "was killed",
        Status::Running => "is running",
    };
    out.status(&format!(
        "mlx: run {} {verb} in {:.1} s (exit {}, {} metric points)",
        report.id, report.duration, report.exit_code, report.metric_points
    ));
    Ok(ExitStatus::Code(u8::try_from(report.exit_code).unwrap_or(1)))
}
