//! `mlx exp get`

use std::path::PathBuf;

use mlx::fs_util::human_size;
use mlx::ops::exp_get::{self, GetOptions};

use super::super::complete;
use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted, counted_as};

/// Write a run's artifacts, or those of an experiment's stages, out of the cache into a folder
///
/// Artifacts are the files and directories a run recorded (stage outputs, `mlx log artifact`),
/// written under their recorded names; the run's captured output is the artifact `log`, written
/// only when named. For an experiment, the artifacts of the run behind each of its stages
/// (--stage picks one). Objects the cache lacks are fetched from the remote first. Files already
/// there with other content are not replaced without --force.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp get exp-3fa2c -o /tmp/best     # the outputs of every stage\n  mlx exp get exp-3fa2c --stage train models/\n  mlx exp get baseline model.pkl\n  mlx exp get 01jd4k out/ log -o review --force"
)]
pub struct GetArgs {
    /// The experiment (name, id or unique prefix) or run (id, unique prefix or name)
    #[arg(value_name = "EXP|RUN", add = complete::experiments_and_runs())]
    run: String,
    /// Artifacts to write, by name, or folders holding some (default: all but the log)
    #[arg(value_name = "ARTIFACT")]
    artifacts: Vec<String>,
    /// Of an experiment, only the artifacts of this stage's run
    #[arg(long, value_name = "STAGE", add = complete::stages())]
    stage: Option<String>,
    /// The folder to write into (default: the current folder)
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace files that are there with other content
    #[arg(short, long)]
    force: bool,
    /// The remote to fetch missing objects from (default: `[core] remote`, or the only one)
    #[arg(short, long, value_name = "NAME", add = complete::remotes())]
    remote: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &GetArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = GetOptions {
        run: args.run.clone(),
        stage: args.stage.clone(),
        artifacts: args.artifacts.clone(),
        cwd: ctx.cwd().to_path_buf(),
        out: args.out.clone(),
        force: args.force,
        remote: args.remote.clone(),
    };
    let report = exp_get::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    let status = if report.is_complete() { ExitStatus::Success } else { ExitStatus::CheckFailed };
    if args.format.json {
        out.json(&report)?;
        return Ok(status);
    }
    if !report.conflicts.is_empty() {
        out.error(&format!(
            "files in {} are in the way; nothing was written:",
            report.dir.display()
        ));
        let width = report.conflicts.iter().map(|c| c.path.len()).max().unwrap_or(0);
        for c in &report.conflicts {
            out.detail(&format!("{:<width$}  {}", c.path, c.reason));
        }
        out.hint("write somewhere else with -o DIR, or replace them with --force");
        return Ok(status);
    }
    if report.artifacts.is_empty() {
        let whose = match (&report.run, &report.experiment) {
            (Some(run), _) => format!("run {run}"),
            (None, _) => format!("experiment {}", report.name.as_deref().unwrap_or("-")),
        };
        out.status(&format!("{whose} recorded no artifacts"));
        return Ok(status);
    }
    if report.fetched > 0 {
        out.status(&format!("fetched {} from the remote", counted(report.fetched, "object")));
    }
    let rows: Vec<Vec<String>> = report
        .artifacts
        .iter()
        .map(|a| {
            let what = if a.written == 0 {
                "unchanged".to_owned()
            } else if a.kind == "directory" {
                format!("{}, {}", counted_as(a.written, "entry", "entries"), human_size(a.bytes))
            } else {
                human_size(a.bytes)
            };
            vec![report.dir.join(&a.path).display().to_string(), what]
        })
        .collect();
    out.done_table(&[], &rows)?;
    Ok(status)
}
