//! `mlx model …`: the model registry in git tags (GTO's grammar): register, list, show,
//! history, assign, rollback, deprecate, get.

use std::path::PathBuf;

use mlx::fs_util::human_size;
use mlx::models::Bump;
use mlx::models::mlflow::MlflowModel;
use mlx::ops::model::{self, RegisterOptions, TagReport};
use mlx::ops::model_get;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, Output};

/// Register model versions, assign them to stages and roll back, in git tags GTO reads
///
/// The registry lives in git as annotated tags in GTO's grammar: `NAME@v1.2.3` registers a
/// version, `NAME#STAGE#N` assigns a stage, `NAME@v1.2.3!` deregisters a version,
/// `NAME@deprecated` deprecates the model. Each version resolves to its artifact: the tracked
/// path at the tagged commit (a `PATH.mlx` pointer or a stage output in mlx.lock), its hash,
/// the run that produced it, the data that run read and its metrics. Tags are made locally;
/// `git push origin TAG` (or `git push --tags`) publishes them.
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx model register churn models/churn.pkl\n  mlx model register churn --run 01jd4k model.pkl --bump minor\n  mlx model assign churn v0.1.0 production\n  mlx model rollback churn production\n  mlx model show churn#production\n  mlx model get churn@v0.1.0 -o /tmp/model"
)]
pub enum ModelCommand {
    Register(RegisterArgs),
    List(ListArgs),
    Show(ShowArgs),
    History(HistoryArgs),
    Assign(AssignArgs),
    Rollback(RollbackArgs),
    Deprecate(DeprecateArgs),
    Get(GetArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BumpArg {
    Major,
    Minor,
    Patch,
}

/// Register a version of a model: an annotated tag NAME@vX.Y.Z on a commit
///
/// The artifact is PATH as tracked at the commit (its `PATH.mlx` pointer, or a stage output in
/// mlx.lock), or a run's artifact with --run. Without PATH or --run, the path GTO's
/// artifacts.yaml gives the model. The version is --version, or the greatest one bumped
/// (--bump, patch by default), or v0.0.1 for the first.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx model register churn models/churn.pkl\n  mlx model register churn models/churn.pkl --bump minor -m \"retrained on March data\"\n  mlx model register churn --run 01jd4k model.pkl --version v1.0.0"
)]
pub struct RegisterArgs {
    /// The model's name (letters, digits, `_`, `-`, `/`)
    name: String,
    /// The artifact's path (tracked by mlx at the commit); with --run, which of the run's
    /// artifacts (needed when it has several)
    #[arg(value_name = "PATH|ARTIFACT")]
    path: Option<PathBuf>,
    /// Register an artifact of this run (id, unique prefix or name)
    #[arg(long, value_name = "RUN")]
    run: Option<String>,
    /// The version to register, e.g. v1.2.0
    #[arg(long, value_name = "X.Y.Z", conflicts_with = "bump")]
    version: Option<String>,
    /// Which part of the greatest version to bump
    #[arg(long, value_enum, value_name = "PART")]
    bump: Option<BumpArg>,
    /// The tag's message (default: GTO's)
    #[arg(short, long, value_name = "MSG")]
    message: Option<String>,
    /// The commit to tag (default: HEAD, or the run's commit with --run)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

/// List the registered models: latest version and who holds each stage
///
/// The git registry's models (tags), then those registered through MLflow's client, kept in
/// the project's database (REGISTRY "mlflow").
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx model list\n  mlx model list --json")]
pub struct ListArgs {
    #[command(flatten)]
    format: FormatArgs,
}

/// Show a model's versions and stages, or one version with its artifact, run, data and metrics
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx model show churn              # its versions and stages\n  mlx model show churn#production   # the version in production, its run, data and metrics\n  mlx model show churn@v0.1.0 --json"
)]
pub struct ShowArgs {
    /// NAME, NAME@VERSION, NAME#STAGE, NAME@latest or NAME@greatest; NAME@N (a number) is
    /// version N of MLflow's registry
    #[arg(value_name = "NAME[@VERSION|#STAGE]")]
    reference: String,
    #[command(flatten)]
    format: FormatArgs,
}

/// Every registration, assignment, deregistration and deprecation of a model, newest first
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx model history churn\n  mlx model history churn --json")]
pub struct HistoryArgs {
    name: String,
    #[command(flatten)]
    format: FormatArgs,
}

/// Assign a version to a stage (production, staging, any name): a tag NAME#STAGE#N
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx model assign churn v0.1.0 production\n\nThe tag is local: `git push origin TAG` publishes it."
)]
pub struct AssignArgs {
    name: String,
    /// The version, e.g. v1.2.0
    version: String,
    stage: String,
    #[command(flatten)]
    format: FormatArgs,
}

/// Give a stage back to the version that held it before the current one (a new assignment tag)
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  mlx model rollback churn production")]
pub struct RollbackArgs {
    name: String,
    stage: String,
    #[command(flatten)]
    format: FormatArgs,
}

/// Deprecate a model (NAME@deprecated), or deregister one version (NAME@vX.Y.Z!)
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx model deprecate churn v0.0.1   # deregister one version\n  mlx model deprecate churn          # the whole model"
)]
pub struct DeprecateArgs {
    name: String,
    /// Deregister only this version
    version: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

/// Write a version's artifact out of the cache, fetching it from the remote when missing
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx model get churn#production -o deploy/model.pkl\n  mlx model get churn@v0.1.0      # to its own path under the current folder"
)]
pub struct GetArgs {
    /// NAME, NAME@VERSION, NAME#STAGE, NAME@latest or NAME@greatest
    #[arg(value_name = "NAME[@VERSION|#STAGE]")]
    reference: String,
    /// Where to write it (default: its path, under the current folder)
    #[arg(short, long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Replace files that are there with other content
    #[arg(short, long)]
    force: bool,
    /// The remote to fetch from (default: `[core] remote`, or the only one)
    #[arg(short, long, value_name = "NAME")]
    remote: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, cmd: &ModelCommand) -> anyhow::Result<ExitStatus> {
    let (root, maybe_project) = ctx.repository()?;
    let out = ctx.output();
    match cmd {
        ModelCommand::Register(args) => {
            let project = ctx.project()?;
            let opts = RegisterOptions {
                name: args.name.clone(),
                path: args.path.clone().filter(|_| args.run.is_none()),
                run: args.run.clone(),
                run_artifact: args
                    .path
                    .as_ref()
                    .filter(|_| args.run.is_some())
                    .map(|p| p.to_string_lossy().into_owned()),
                version: args.version.clone(),
                bump: args.bump.map(|b| match b {
                    BumpArg::Major => Bump::Major,
                    BumpArg::Minor => Bump::Minor,
                    BumpArg::Patch => Bump::Patch,
                }),
                message: args.message.clone(),
                rev: args.rev.clone(),
                cwd: ctx.cwd().to_path_buf(),
            };
            let report = model::register(project, &opts)?;
            tag_made(out, &report, args.format.json)?;
        }
        ModelCommand::List(args) => {
            let report = model::list(&root, maybe_project)?;
            if args.format.json {
                out.json(&report)?;
            } else if report.models.is_empty() {
                out.status(
                    "no models are registered; register one with: mlx model register NAME PATH",
                );
            } else {
                let rows: Vec<Vec<String>> = report
                    .models
                    .iter()
                    .map(|m| {
                        let stages = m
                            .stages
                            .iter()
                            .map(|(s, v)| format!("{s}={v}"))
                            .collect::<Vec<_>>()
                            .join(" ");
                        vec![
                            m.name.clone(),
                            m.registry.into(),
                            m.latest.clone().unwrap_or_else(|| "-".into()),
                            m.versions.to_string(),
                            if stages.is_empty() { "-".into() } else { stages },
                            if m.deprecated { "deprecated" } else { "" }.into(),
                        ]
                    })
                    .collect();
                out.table(&["MODEL", "REGISTRY", "LATEST", "VERSIONS", "STAGES", ""], &rows)?;
            }
        }
        ModelCommand::Show(args) => {
            let report = model::show(&root, maybe_project, &args.reference)?;
            if args.format.json {
                out.json(&report)?;
                return Ok(ExitStatus::Success);
            }
            if let Some(v) = &report.mlflow_version {
                show_mlflow_version(out, &report.model, v)?;
                return Ok(ExitStatus::Success);
            }
            if report.registry == "mlflow" {
                if let Some(m) = &report.mlflow {
                    mlflow_versions(out, m)?;
                }
                return Ok(ExitStatus::Success);
            }
            if !report.picked {
                let rows: Vec<Vec<String>> = report
                    .versions
                    .iter()
                    .map(|v| {
                        let state = if v.deregistered {
                            "deregistered"
                        } else if v.registered {
                            ""
                        } else {
                            "unregistered"
                        };
                        vec![
                            v.version.clone(),
                            v.commit[..8.min(v.commit.len())].to_owned(),
                            if v.stages.is_empty() { "-".into() } else { v.stages.join(" ") },
                            v.created_at.clone(),
                            v.author.clone(),
                            state.into(),
                        ]
                    })
                    .collect();
                out.table(&["VERSION", "COMMIT", "STAGES", "CREATED", "AUTHOR", ""], &rows)?;
                if report.deprecated {
                    out.status(&format!("model {} is deprecated", report.model));
                }
                if let Some(m) = &report.mlflow {
                    out.line("")?;
                    out.line(&format!("MLflow's registry also has a model {}:", m.name))?;
                    mlflow_versions(out, m)?;
                }
                return Ok(ExitStatus::Success);
            }
            if let Some(v) = &report.version {
                show_version(out, &report.model, v)?;
            }
        }
        ModelCommand::History(args) => {
            let report = model::history(&root, &args.name)?;
            if args.format.json {
                out.json(&report)?;
            } else {
                let rows: Vec<Vec<String>> = report
                    .events
                    .iter()
                    .map(|e| {
                        vec![
                            e.timestamp.clone(),
                            e.event.as_str().into(),
                            e.version.clone().unwrap_or_else(|| "-".into()),
                            e.stage.clone().unwrap_or_else(|| "-".into()),
                            format!("{} <{}>", e.author, e.author_email),
                            e.tag.clone(),
                        ]
                    })
                    .collect();
                out.table(&["TIME", "EVENT", "VERSION", "STAGE", "BY", "TAG"], &rows)?;
            }
        }
        ModelCommand::Assign(args) => {
            let report = model::assign(&root, &args.name, &args.version, &args.stage)?;
            tag_made(out, &report, args.format.json)?;
        }
        ModelCommand::Rollback(args) => {
            let report = model::rollback(&root, &args.name, &args.stage)?;
            tag_made(out, &report, args.format.json)?;
        }
        ModelCommand::Deprecate(args) => {
            let report = model::deprecate(&root, &args.name, args.version.as_deref())?;
            tag_made(out, &report, args.format.json)?;
        }
        ModelCommand::Get(args) => {
            let opts = model_get::GetOptions {
                reference: args.reference.clone(),
                cwd: ctx.cwd().to_path_buf(),
                out: args.out.clone(),
                force: args.force,
                remote: args.remote.clone(),
            };
            let report =
                model_get::get(ctx.project()?, &opts, ctx.reporter(args.format.json).as_ref())?;
            if args.format.json {
                out.json(&report)?;
            } else if !report.conflicts.is_empty() {
                out.error(&format!(
                    "files in {} are in the way; nothing was written:",
                    report.dir.display()
                ));
                for c in &report.conflicts {
                    out.detail(&format!("{}  {}", c.path, c.reason));
                }
                out.hint("write somewhere else with -o PATH, or replace them with --force");
                return Ok(ExitStatus::CheckFailed);
            } else {
                if report.fetched > 0 {
                    out.status(&format!("fetched {} objects from the remote", report.fetched));
                }
                let what = if report.written == 0 {
                    "unchanged".to_owned()
                } else {
                    human_size(report.bytes)
                };
                out.done_line(&format!(
                    "{}@{}  {}  {what}",
                    report.model,
                    report.version,
                    report.dir.join(&report.path).display()
                ))?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// What a command that made a tag prints: the tag, and how to publish it.
fn tag_made(out: &Output, report: &TagReport, json: bool) -> anyhow::Result<()> {
    if json {
        out.json(report)?;
        return Ok(());
    }
    let what = match (report.event, &report.version, &report.stage) {
        ("assignment", Some(v), Some(s)) => match &report.replaced {
            Some(r) => format!("{} {v} is now in {s} (was {r})", report.model),
            None => format!("{} {v} is now in {s}", report.model),
        },
        ("registration", Some(v), _) => format!("registered {} {v}", report.model),
        ("deregistration", Some(v), _) => format!("deregistered {} {v}", report.model),
        _ => format!("deprecated {}", report.model),
    };
    out.done_line(&format!("{what}  (tag {})", report.tag))?;
    if let Some(a) = &report.artifact {
        out.status(&format!(
            "artifact {} ({}, {})",
            a.path,
            a.kind,
            &a.hash[..12.min(a.hash.len())]
        ));
    }
    if report.annotated {
        out.status("added the model's path to artifacts.yaml; commit it");
    }
    out.hint(&format!("the tag is local; publish it with: {}", report.push));
    Ok(())
}

/// The versions of a model in MLflow's registry, newest first.
fn mlflow_versions(out: &Output, m: &MlflowModel) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = m
        .versions
        .iter()
        .map(|v| {
            vec![
                v.version.to_string(),
                v.run_id.clone().unwrap_or_else(|| "-".into()),
                v.artifact.as_ref().map_or_else(|| v.source.clone(), |a| a.path.clone()),
                v.created_at.clone(),
                if v.aliases.is_empty() { "-".into() } else { v.aliases.join(" ") },
            ]
        })
        .collect();
    out.table(&["VERSION", "RUN", "ARTIFACT", "CREATED", "ALIASES"], &rows)?;
    out.status(&format!(
        "model {} is in MLflow's registry (the project's database); one version in full: mlx \
         model show {}@N",
        m.name, m.name
    ));
    Ok(())
}

fn show_mlflow_version(
    out: &Output,
    model: &str,
    v: &model::MlflowVersionDetail,
) -> anyhow::Result<()> {
    let mut lines = vec![
        format!("model:    {model} (MLflow's registry)"),
        format!("version:  {}", v.version.version),
        format!("created:  {}", v.version.created_at),
        format!("source:   {}", v.version.source),
    ];
    if let Some(m) = &v.version.model_id {
        lines.push(format!("logged:   {m}"));
    }
    if !v.version.aliases.is_empty() {
        lines.push(format!("aliases:  {}", v.version.aliases.join(", ")));
    }
    match &v.version.artifact {
        Some(a) => lines.push(format!(
            "artifact: {} ({} files, {}, artifacts of the run)",
            a.path,
            a.files,
            human_size(a.size)
        )),
        None => lines.push("artifact: - (no artifact of its run holds it)".into()),
    }
    lines.extend(run_lines(v.run.as_ref()));
    for l in lines {
        out.line(&l)?;
    }
    if let (Some(a), Some(r)) = (&v.version.artifact, &v.version.run_id) {
        out.hint(&format!("write its files out with: mlx exp get {r} {} -o DIR", a.path));
    }
    Ok(())
}

/// A version's run: its name, stage, inputs, metrics and params.
fn run_lines(run: Option<&model::VersionRun>) -> Vec<String> {
    let mut lines = Vec::new();
    match run {
        Some(r) => {
            let label = match &r.record.name {
                Some(n) => format!("{} ({n})", r.record.id),
                None => r.record.id.to_string(),
            };
            let stage =
                r.record.stage.as_deref().map(|s| format!(", stage {s}")).unwrap_or_default();
            lines.push(format!("run:      {label}{stage}"));
            for input in &r.inputs {
                let hash = input.hash.as_deref().map_or("-", |h| &h[..12.min(h.len())]);
                lines.push(format!("  input   {}  {hash}", input.path));
            }
            for (k, m) in &r.record.metrics {
                lines.push(format!("  metric  {}  {}", k.as_str(), m.0));
            }
            for (k, p) in &r.record.params {
                lines.push(format!("  param   {}  {p}", k.as_str()));
            }
        }
        None => lines.push("run:      - (no run recorded here produced it)".into()),
    }
    lines
}

fn show_version(out: &Output, model: &str, v: &model::VersionDetail) -> anyhow::Result<()> {
    let mut lines = vec![
        format!("model:    {model}"),
        format!("version:  {}", v.version),
        format!("commit:   {}", v.commit),
        format!(
            "stages:   {}",
            if v.stages.is_empty() { "-".to_owned() } else { v.stages.join(", ") }
        ),
        format!("created:  {} by {}", v.created_at, v.author),
    ];
    match (&v.artifact, &v.unresolved) {
        (Some(a), _) => {
            let size = a.size.map(human_size).unwrap_or_else(|| "-".into());
            let via = match &a.stage {
                Some(s) => format!("output of stage {s}"),
                None if a.source == "pointer" => "tracked with mlx add".into(),
                None => "artifact of a run".into(),
            };
            lines.push(format!("artifact: {} ({}, {size}, {via})", a.path, a.kind));
            lines.push(format!("hash:     {}", a.hash));
        }
        (None, why) => {
            lines.push(format!("artifact: unresolved ({})", why.as_deref().unwrap_or("-")));
        }
    }
    lines.extend(run_lines(v.run.as_ref()));
    for l in lines {
        out.line(&l)?;
    }
    Ok(())
}
