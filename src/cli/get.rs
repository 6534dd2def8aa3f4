//! `mlx get`

use std::path::PathBuf;

use mlx::ops::get::{self, GetOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted};

/// Download data from another mlx repository (a data registry) without tracking it
///
/// REPO is a git URL or a folder; PATH is a file or folder it tracks with mlx (or one inside a
/// tracked folder, or a stage output), or plain git files. Data comes from REPO's default
/// remote; only the one commit needed is fetched from git, into a temporary folder. Credentials
/// come from this machine only (the environment, the standard credential files, or a remote of
/// the current project with the same URL). Works outside any mlx project; inside one, the
/// objects stay in its cache. To track the data with its origin, use `mlx add --from`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx get https://github.com/acme/datasets images/train\n  mlx get ../registry data/labels.csv --rev v2 -o labels.csv\n  mlx get git@github.com:acme/models.git models/resnet.pt --rev 3f2a9c1"
)]
pub struct GetArgs {
    /// The repository: a git URL or a folder
    #[arg(value_name = "REPO")]
    repo: String,
    /// The path in that repository
    #[arg(value_name = "PATH")]
    path: String,
    /// A branch, tag or commit of REPO (default: its default branch)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// Where to write it; an existing folder: inside it (default: the path's file name, here)
    #[arg(short, long, value_name = "OUT")]
    out: Option<PathBuf>,
    /// Replace what is at OUT
    #[arg(short, long)]
    force: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &GetArgs) -> anyhow::Result<ExitStatus> {
    let project = optional_project(ctx)?;
    let opts = GetOptions {
        repo: args.repo.clone(),
        path: args.path.clone(),
        rev: args.rev.clone(),
        out: args.out.clone(),
        cwd: ctx.cwd().to_path_buf(),
        force: args.force,
    };
    let report = get::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let from = match &report.remote {
        Some(r) => {
            format!(", {} downloaded from {r}", counted(report.downloaded as usize, "object"))
        }
        None => String::new(),
    };
    out.done_line(&format!(
        "{} {}: {} of {} at {}{from}",
        report.kind,
        report.out,
        counted(report.files as usize, "file"),
        report.path,
        &report.commit[..8.min(report.commit.len())],
    ))?;
    Ok(ExitStatus::Success)
}

/// The project enclosing the working folder, if there is one (none is fine).
pub fn optional_project(ctx: &Context) -> anyhow::Result<Option<&mlx::project::Project>> {
    let Ok(root) = mlx::git::discover_workdir(ctx.cwd()) else { return Ok(None) };
    let is_project =
        root.join(mlx::project::MLX_DIR).is_dir() || root.join(mlx::config::PROJECT_FILE).is_file();
    Ok(if is_project { Some(ctx.project()?) } else { None })
}
