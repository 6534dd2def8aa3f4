//! `mlx import …`: bring a project made with another tool into mlx (`mlx import dvc`), or the
//! history another tracker kept (`mlx import mlflow`).

use mlx::fs_util::human_size;
use mlx::ops::import_dvc::{self, ImportOptions};
use mlx::ops::import_mlflow::{self, ImportMlflowOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted};

/// Bring in what another tool made: a DVC project, MLflow's runs
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx import dvc --dry-run\n  mlx import dvc\n  mlx import mlflow --from mlruns"
)]
pub enum ImportCommand {
    Dvc(DvcArgs),
    Mlflow(MlflowArgs),
}

/// Convert the DVC project in this repository: dvc.yaml, dvc.lock, .dvc files, cache, remotes
///
/// dvc.yaml becomes stages in mlx.toml (foreach, matrix, vars and ${…} kept as written),
/// dvc.lock becomes mlx.lock (a stage DVC sees as up to date is up to date for `mlx run`),
/// each `.dvc` file a `PATH.mlx` pointer, .dvcignore .mlxignore, and the remotes of
/// .dvc/config (and config.local) mlx remotes, secrets only in .mlx/config.local.toml. Data in
/// DVC's cache is copied into mlx's, each file checked against the MD5 DVC named it by; the MD5
/// stays in the pointers and mlx.lock, so `mlx fetch` reads the DVC remote as it is.
///
/// DVC's files stay in place and running it again changes nothing. What could not be converted
/// is listed with why, and the exit status is then 1.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx import dvc --dry-run   # what would be converted; writes nothing\n  mlx import dvc && mlx status && mlx run   # clean, and nothing to run"
)]
pub struct DvcArgs {
    /// Only report what would be converted and written
    #[arg(short = 'n', long)]
    dry_run: bool,
    #[command(flatten)]
    format: FormatArgs,
}

/// Import the runs of an MLflow tracking store: a file store (mlruns/) or a SQLite database
///
/// Experiments, runs with their status, start and end times, params, tags and full metric
/// histories (steps and timestamps), the git commit MLflow recorded (mlflow.source.git.commit)
/// as the run's commit, and the artifacts (with MLflow 3's logged models, as models/NAME) into
/// the cache as the run's artifacts. Each MLflow run becomes a run tagged mlflow.run_id and
/// mlflow.experiment (its MLflow experiment's name), listed by `mlx exp list`; a nested run joins
/// its parent's experiment.
///
/// The store is only read. Running it again imports only the runs not imported yet. Deleted
/// runs and experiments are left out and counted. Artifacts are read from local folders inside
/// the store's own folder only; remote ones (s3://, mlflow-artifacts:, ...) are listed as not
/// read, never fetched. A run that could not be read is listed with why, and the exit status is
/// then 1; a database of an MLflow schema this mlx does not know is refused (exit 2).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx import mlflow --from mlruns\n  mlx import mlflow --from sqlite:///mlflow.db --dry-run\n  mlx import mlflow --from mlflow.db && mlx exp list --filter \"tags.mlflow.experiment = 'train'\""
)]
pub struct MlflowArgs {
    /// The store: an mlruns/ folder, a SQLite file, or sqlite:///PATH
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    from: String,
    /// Only report what would be imported; write nothing
    #[arg(short = 'n', long)]
    dry_run: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, cmd: &ImportCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        ImportCommand::Dvc(args) => dvc(ctx, args),
        ImportCommand::Mlflow(args) => mlflow(ctx, args),
    }
}

fn mlflow(ctx: &Context, args: &MlflowArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let report = import_mlflow::run(
        project,
        &ImportMlflowOptions { from: args.from.clone(), dry_run: args.dry_run },
        ctx.reporter(args.format.json).as_ref(),
    )?;
    let status = if report.is_complete() { ExitStatus::Success } else { ExitStatus::CheckFailed };
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(status);
    }
    let rows: Vec<Vec<String>> = report
        .experiments
        .iter()
        .map(|e| {
            vec![
                e.name.clone(),
                e.mlflow_id.clone(),
                e.imported.to_string(),
                e.already_imported.to_string(),
                e.deleted.to_string(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let imported = if report.dry_run { "to import" } else { "imported" };
        out.table(&["experiment", "mlflow id", imported, "imported before", "deleted"], &rows)?;
    }
    for n in &report.notes {
        out.warn(&format!("{}: {}", n.place, n.reason));
    }
    for p in &report.not_imported {
        out.problem(&format!("not imported: {}: {}", p.place, p.reason));
    }
    let verb = if report.dry_run { "would import" } else { "imported" };
    let mut line = format!(
        "{verb} {} from the MLflow {}{} ({}, {}, {} of {})",
        counted(report.runs_imported, "run"),
        report.store,
        report.revision.as_ref().map(|r| format!(" (revision {r})")).unwrap_or_default(),
        counted(report.metric_points, "metric point"),
        counted(report.artifacts, "artifact"),
        counted(report.artifact_files, "file"),
        human_size(report.artifact_bytes),
    );
    if report.runs_already_imported > 0 {
        line.push_str(&format!(
            "; {} imported before",
            counted(report.runs_already_imported, "run")
        ));
    }
    if report.runs_deleted > 0 || report.experiments_deleted > 0 {
        line.push_str(&format!(
            "; left out as deleted: {} and {}",
            counted(report.runs_deleted, "run"),
            counted(report.experiments_deleted, "experiment")
        ));
    }
    out.status(&line);
    if !report.is_complete() {
        out.problem(&format!(
            "{} not imported",
            counted(report.not_imported.len() as u64, "thing")
        ));
    }
    Ok(status)
}

fn dvc(ctx: &Context, args: &DvcArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let report = import_dvc::run(
        project,
        &ImportOptions { dry_run: args.dry_run },
        ctx.reporter(args.format.json).as_ref(),
    )?;
    let status = if report.is_complete() { ExitStatus::Success } else { ExitStatus::CheckFailed };
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(status);
    }
    let mut rows = Vec::new();
    for d in &report.data {
        let what = match d.kind {
            mlx::store::pointer::Kind::File => human_size(d.size),
            mlx::store::pointer::Kind::Directory => {
                format!("{}, {}", counted(d.files, "file"), human_size(d.size))
            }
        };
        rows.push(vec!["data".to_owned(), d.path.clone(), format!("{what} (from {})", d.from)]);
    }
    if !report.stages.is_empty() {
        rows.push(vec!["stages".into(), "mlx.toml".into(), report.stages.join(", ")]);
    }
    for s in &report.locked_stages {
        let state = if s.differences.is_empty() {
            "up to date".to_owned()
        } else {
            format!("will run: {}", s.differences.join("; "))
        };
        rows.push(vec!["lock".into(), s.stage.clone(), state]);
    }
    for r in &report.remotes {
        let mut what = r.url.clone();
        if r.default {
            what.push_str(" (default)");
        }
        if !r.local_settings.is_empty() {
            what.push_str(&format!("; {} in .mlx/config.local.toml", r.local_settings.join(", ")));
        }
        rows.push(vec!["remote".into(), r.name.clone(), what]);
    }
    if !rows.is_empty() {
        out.table(&["kind", "name", "converted"], &rows)?;
    }
    for n in &report.notes {
        out.warn(&format!("{}: {}", n.place, n.reason));
    }
    for p in &report.not_converted {
        out.problem(&format!("not converted: {}: {}", p.place, p.reason));
    }
    let verb = if report.dry_run { "would write" } else { "wrote" };
    let objects = if report.dry_run { "checked" } else { "imported" };
    let files = if report.written.is_empty() {
        "nothing to write".to_owned()
    } else {
        format!("{verb} {}", report.written.join(", "))
    };
    out.status(&format!(
        "{} {} ({}); {files}",
        counted(report.objects_imported, "object"),
        objects,
        human_size(report.bytes_imported)
    ));
    if !report.is_complete() {
        out.problem(&format!(
            "{} not converted",
            counted(report.not_converted.len() as u64, "thing")
        ));
    }
    Ok(status)
}
