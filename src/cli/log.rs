//! `mlx log param|metric|tag|artifact`

use std::path::PathBuf;

use mlx::ops::log::{self, LogOptions, What};
use mlx::ops::run::parse_metric_value;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Log params, metrics, tags or artifacts to a run
///
/// Inside `mlx run`, values go to the run being recorded ($MLX_RUN_ID); elsewhere name a run
/// with --run (its id, a unique prefix of it, or its name). For many metric points, appending JSON lines to
/// $MLX_METRICS_FILE is faster.
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx log metric loss=0.31 --step 12   # inside `mlx run`\n  mlx log tag reviewed=yes --run 01jd4k"
)]
pub enum LogCommand {
    /// Record parameters: `mlx log param lr=0.01 optimizer=adam`
    #[command(
        after_help = "Examples:\n  mlx log param lr=0.01 optimizer=adam\n  mlx log param dataset=v2 --run 01jd4k"
    )]
    Param(KeyValueArgs),
    /// Record metric values: `mlx log metric loss=0.31 acc=0.9 --step 12`
    #[command(
        after_help = "Examples:\n  mlx log metric loss=0.31 acc=0.9 --step 12\n  mlx log metric test_acc=0.87 --run 01jd4k"
    )]
    Metric(MetricArgs),
    /// Record tags: `mlx log tag dataset=v2`
    #[command(
        after_help = "Examples:\n  mlx log tag dataset=v2\n  mlx log tag reviewed=yes --run 01jd4k"
    )]
    Tag(KeyValueArgs),
    /// Store files or directories in the cache and attach them: `mlx log artifact model.pkl`
    #[command(
        after_help = "Examples:\n  mlx log artifact model.pkl\n  mlx log artifact plots/ --run 01jd4k"
    )]
    Artifact(ArtifactArgs),
}

#[derive(clap::Args)]
pub struct RunArg {
    /// The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID
    #[arg(long, value_name = "ID", add = super::complete::runs())]
    run: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

#[derive(clap::Args)]
pub struct KeyValueArgs {
    /// KEY=VALUE pairs
    #[arg(required = true, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    values: Vec<(String, String)>,
    #[command(flatten)]
    run: RunArg,
}

#[derive(clap::Args)]
pub struct MetricArgs {
    /// KEY=NUMBER pairs (`nan`, `inf` and `-inf` are numbers too)
    #[arg(required = true, value_name = "KEY=VALUE", value_parser = parse_metric)]
    values: Vec<(String, f64)>,
    /// The step (iteration, epoch) these values belong to; default 0
    #[arg(long, allow_negative_numbers = true)]
    step: Option<i64>,
    #[command(flatten)]
    run: RunArg,
}

#[derive(clap::Args)]
pub struct ArtifactArgs {
    /// Files or directories inside the project
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    run: RunArg,
}

/// `KEY=VALUE`, split at the first `=`; the key must not be empty.
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

fn parse_metric(s: &str) -> Result<(String, f64), String> {
    let (k, v) = parse_key_value(s)?;
    let value =
        parse_metric_value(&v).ok_or_else(|| format!("{v:?} is not a number (in {s:?})"))?;
    Ok((k, value))
}

pub fn run(ctx: &Context, cmd: &LogCommand) -> anyhow::Result<ExitStatus> {
    // A command inside `mlx run` may have left the project folder: $MLX_PROJECT finds it.
    let fallback;
    let project = match ctx.project() {
        Ok(p) => p,
        Err(e) => match std::env::var_os("MLX_PROJECT") {
            Some(root) => {
                fallback = mlx::project::Project::open(PathBuf::from(root))
                    .map_err(mlx::ops::Error::from)?;
                &fallback
            }
            None => return Err(e),
        },
    };
    let (what, run) = match cmd {
        LogCommand::Param(a) => (What::Params(a.values.clone()), &a.run),
        LogCommand::Tag(a) => (What::Tags(a.values.clone()), &a.run),
        LogCommand::Metric(a) => (What::Metrics { values: a.values.clone(), step: a.step }, &a.run),
        LogCommand::Artifact(a) => {
            (What::Artifacts { cwd: ctx.cwd().to_path_buf(), paths: a.paths.clone() }, &a.run)
        }
    };
    let opts = LogOptions { run: run.run.clone(), what };
    let report = log::run(project, opts, ctx.reporter(run.format.json).as_ref())?;
    let out = ctx.output();
    if run.format.json {
        out.json(&report)?;
    } else {
        for a in &report.artifacts {
            out.done_line(&format!("{}  {}  {}", a.kind, &a.hash[..8], a.path))?;
        }
    }
    Ok(ExitStatus::Success)
}
