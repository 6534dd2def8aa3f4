//! `Error`: any failure of the core, classified for exit codes by [`Error::is_input_error`],
//! with the hint and details the command line shows under it. Each core module keeps its own
//! error type; this one wraps them for the operations and the engine that call several.

use crate::ops::{exp, remote_config};
use crate::{git, lock, project, store, tracking};

/// Any failure of an operation, classified for exit codes by [`Error::is_input_error`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Lock(#[from] lock::Error),
    #[error(transparent)]
    Db(#[from] tracking::Error),
    #[error(transparent)]
    Project(#[from] project::Error),
    #[error(transparent)]
    Git(#[from] git::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Pipeline(#[from] crate::pipeline::Error),
    #[error(transparent)]
    LockFile(#[from] crate::pipeline::lock::Error),
    #[error(transparent)]
    Remote(#[from] crate::remote::Error),
    #[error(transparent)]
    Dvc(#[from] crate::dvc::Error),
    /// An MLflow tracking store that cannot be read (`mlx import mlflow`).
    #[error(transparent)]
    Mlflow(#[from] crate::mlflow::store::Error),
    #[error(transparent)]
    Ui(#[from] crate::ui::Error),
    #[error(transparent)]
    RemoteConfig(#[from] remote_config::RemoteConfigError),
    /// Some transfers failed (after retries); once the remote itself failed, no new one
    /// started. Those that finished are kept, and a rerun continues.
    #[error("{} (of {total} to do); the first: {first}", crate::text::counted(*.failed, "failed transfer"))]
    Transfers { failed: usize, total: usize, first: Box<Error> },
    /// A filter expression or sort key that does not parse; `details` draws a caret under it.
    #[error("invalid {what} at column {}: {}", .error.column, .error.message)]
    Filter { what: &'static str, text: String, error: tracking::filter::FilterError },
    /// A filter, sort key or check names a metric or param that no recorded run has: a typo
    /// would otherwise read as "no runs match", or pass a gate.
    #[error(transparent)]
    UnknownKey(Box<exp::UnknownKey>),
    /// A short name (`params.train.lr`) that several recorded keys end with.
    #[error("{field} is ambiguous: runs have {}", candidates.join(", "))]
    AmbiguousKey { field: String, candidates: Vec<String> },
    /// `exp check` on an experiment whose stages hold different values for one key.
    #[error("{field} differs between the stages of experiment {experiment}: {}", values.join(", "))]
    KeyDiffersByStage { field: String, experiment: String, values: Vec<String>, example: String },
    /// `exp check` found no experiment standing for HEAD's committed setup.
    #[error("no finished experiment matches HEAD's commit {}{}", &commit[..commit.len().min(8)], match (*ancestors, why.is_empty()) { (false, true) => String::new(), (false, false) => format!(" ({why})"), (true, _) => format!(" nor any of its nearest first-parent ancestors{}", if why.is_empty() { String::new() } else { format!(" (at HEAD: {why})") }) })]
    NoExperiment { commit: String, why: String, ancestors: bool },
    /// `exp check` compares a key no run here has, and the judged experiment's runs of some
    /// stages are not here (recorded in another clone).
    #[error("no recorded run has {field}, and no run of {} {} of experiment {experiment} is recorded here", if stages.len() == 1 { "stage" } else { "stages" }, stages.join(", "))]
    NoStageValues { field: String, experiment: String, stages: Vec<String> },
    /// `exp check --stage` named a stage the experiment has no run for.
    #[error("experiment {experiment} has no run of stage {stage}{}", if stages.is_empty() { String::new() } else { format!(" (its stages: {})", stages.join(", ")) })]
    NoStageRun { experiment: String, stage: String, stages: Vec<String> },
    #[error("run {id} is still running")]
    RunStillRunning { id: tracking::RunId },
    #[error("experiment {name} is still {status}")]
    ExperimentStillRunning { name: String, status: String },
    /// A run named on the command line that no id, name or prefix matches.
    #[error(transparent)]
    RunLookup(#[from] tracking::lookup::LookupError),
    /// A run's artifact that cannot be written out as its record names it.
    #[error(transparent)]
    Artifact(#[from] tracking::artifacts::ArtifactError),
    /// Objects a command needs (a run's log or artifacts) are neither in the cache nor to be
    /// had from a remote.
    #[error(
        "{what}: {} not in the cache{}",
        crate::text::counted_as(*.missing, "object is", "objects are"),
        match .remote {
            Some(r) => format!(", nor on the remote {r}"),
            None => ", and no remote is set up to fetch from".to_owned(),
        }
    )]
    Unavailable { what: String, missing: usize, remote: Option<String> },
    /// An experiment that cannot be applied or branched as asked (`mlx exp apply`, `exp branch`).
    #[error(transparent)]
    Apply(#[from] crate::experiments::apply::ApplyError),
    /// Plots that cannot be shown as asked (`mlx plots`).
    #[error(transparent)]
    Plots(#[from] crate::compare::plots::PlotsError),
    /// A lineage that cannot be drawn as asked (`mlx lineage`).
    #[error(transparent)]
    Lineage(#[from] crate::lineage::LineageError),
    #[error(transparent)]
    Quality(#[from] crate::quality::Error),
    /// A data registry, or a path asked of it, that cannot be used (`mlx get`, `add --from`).
    #[error(transparent)]
    Registry(#[from] crate::registry::Error),
    /// SQLite refused or failed the user's own SQL (`mlx sql`).
    #[error("sql: {message}")]
    Sql { message: String },
    /// The model registry (`mlx model`): a name, version or stage it cannot take.
    #[error(transparent)]
    Models(#[from] crate::models::Error),
    /// An attestation, or a key, that cannot be made or read (`mlx attest`, `mlx verify`).
    #[error(transparent)]
    Provenance(#[from] crate::provenance::Error),
    /// The file watcher (`mlx watch`).
    #[error(transparent)]
    Watch(#[from] crate::watch::Error),
}

impl From<crate::remote::url::UrlError> for Error {
    fn from(e: crate::remote::url::UrlError) -> Self {
        Error::RemoteConfig(e.into())
    }
}

impl From<crate::project_path::PathError> for Error {
    fn from(e: crate::project_path::PathError) -> Self {
        Error::Store(store::Error::Path(e))
    }
}

impl Error {
    /// True for mistakes in the user's input or project files (exit 2); false for IO (exit 3).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Store(e) => e.is_input_error(),
            Error::Project(_) => true,
            Error::Dvc(e) => e.is_input_error(),
            Error::Mlflow(e) => e.is_input_error(),
            Error::Git(e) => e.is_input_error(),
            Error::Db(e) => e.is_input_error(),
            Error::Pipeline(e) => e.is_input_error(),
            Error::LockFile(e) => matches!(e, crate::pipeline::lock::Error::Parse { .. }),
            Error::Filter { .. }
            | Error::UnknownKey(_)
            | Error::AmbiguousKey { .. }
            | Error::KeyDiffersByStage { .. }
            | Error::NoExperiment { .. }
            | Error::NoStageRun { .. }
            | Error::NoStageValues { .. }
            | Error::RunStillRunning { .. }
            | Error::ExperimentStillRunning { .. }
            | Error::Sql { .. }
            | Error::Plots(_)
            | Error::Registry(_)
            | Error::Lineage(_)
            | Error::Apply(_) => true,
            Error::Remote(e) => e.is_input_error(),
            Error::Quality(e) => e.is_input_error(),
            Error::Ui(e) => e.is_input_error(),
            Error::RemoteConfig(_) => true,
            Error::RunLookup(e) => e.is_input_error(),
            Error::Artifact(_) => true,
            Error::Unavailable { .. } => false,
            Error::Models(e) => e.is_input_error(),
            Error::Provenance(e) => e.is_input_error(),
            Error::Watch(e) => e.is_input_error(),
            Error::Lock(_) | Error::Io(_) | Error::Transfers { .. } => false,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Pipeline(e) => e.hint(),
            Error::Models(e) => e.hint(),
            Error::Provenance(e) => e.hint(),
            Error::Watch(e) => e.hint(),
            Error::Apply(e) => e.hint(),
            Error::Plots(e) => e.hint(),
            Error::Registry(e) => e.hint(),
            Error::Store(e) => e.hint(),
            Error::Remote(e) => e.hint(),
            Error::RemoteConfig(e) => e.hint(),
            Error::Project(project::Error::Config(crate::config::Error::SecretInProjectFile {
                remote,
                ..
            })) => Some(format!(
                "move the line under [remotes.{remote}] in .mlx/config.local.toml, or use the \
                 environment; if it was ever committed, rotate the credential"
            )),
            Error::Project(project::Error::Config(crate::config::Error::Parse {
                message, ..
            })) if message.starts_with("unknown field `vars`") => Some(
                "`vars` is a top-level key of mlx.toml: move it above the first [table], or write \
                 it as a [vars] table"
                    .into(),
            ),
            Error::Project(project::Error::Config(
                crate::config::Error::CacheDirInProjectFile { .. },
            )) => Some(
                "move `dir = …` under [cache] in .mlx/config.local.toml (each clone chooses its \
                 own cache folder)"
                    .into(),
            ),
            Error::Transfers { first, .. } => first.hint(),
            Error::Project(project::Error::NotInitialized { .. }) => {
                Some("start one with: mlx init".into())
            }
            Error::Git(git::Error::NotARepository { .. })
            | Error::Project(project::Error::Git(git::Error::NotARepository { .. })) => {
                Some("mlx works inside a git repository: run git init, then mlx init".into())
            }
            Error::Lock(lock::Error::Timeout { .. }) => Some(
                "wait for it to finish, or raise the wait with MLX_LOCK_TIMEOUT=SECONDS".into(),
            ),
            Error::Filter { what: "filter", .. } => Some(
                "filters read like: metrics.acc > 0.9 and params.opt = 'adam' (see mlx exp list --help)"
                    .into(),
            ),
            Error::Filter { .. } => Some("sort keys read like: metrics.acc, -metrics.acc, start".into()),
            Error::UnknownKey(e) => Some(format!(
                "list every {what} key runs have: mlx sql \"SELECT DISTINCT key FROM {}\"",
                if e.what == "param" { "params" } else { "latest_metrics" },
                what = e.what
            )),
            Error::AmbiguousKey { candidates, .. } => {
                Some(format!("name one in full, e.g. {}", candidates.first().map_or("", |c| c.as_str())))
            }
            Error::KeyDiffersByStage { example, .. } => {
                Some(format!("name the stage's value, e.g. {example}, or choose a stage with --stage"))
            }
            Error::NoExperiment { ancestors: false, .. } => Some(
                "record HEAD's committed setup with `mlx run` on a clean work tree (stages whose \
                 mlx.lock entries are current do not rerun), judge an ancestor's experiment with \
                 --ancestors, or name one with --exp EXP"
                    .into(),
            ),
            Error::NoExperiment { ancestors: true, .. } => Some(
                "record HEAD's committed setup with `mlx run` on a clean work tree, or name an \
                 experiment with --exp EXP"
                    .into(),
            ),
            Error::NoStageValues { .. } => Some(
                "fetch the team's runs with `mlx fetch --runs`, or rerun those stages with \
                 `mlx run STAGE --force`"
                    .into(),
            ),
            Error::NoStageRun { .. } => {
                Some("list its stages and their runs with: mlx exp show EXP".into())
            }
            Error::Ui(e) if e.is_input_error() => {
                Some("choose another port with --port N, or leave it out for a free one".into())
            }
            Error::RunStillRunning { .. } | Error::ExperimentStillRunning { .. } => {
                Some("wait for it to end, or delete it anyway with --force".into())
            }
            Error::Git(git::Error::UnknownRevision { .. }) => {
                Some("list the branches and tags with: git branch --all && git tag".into())
            }
            Error::Git(git::Error::NoCommits { .. }) => {
                Some("make a first commit: git add -A && git commit".into())
            }
            Error::Git(git::Error::Bare { path })
            | Error::Project(project::Error::Git(git::Error::Bare { path })) => Some(format!(
                "run mlx in a clone with a work tree: git clone {} DIR",
                path.display()
            )),
            Error::Db(tracking::Error::UnknownRun { .. })
            | Error::RunLookup(tracking::lookup::LookupError::NoSuchRun { .. }) => {
                Some("list the runs with: mlx exp list --stages".into())
            }
            Error::Db(
                tracking::Error::UnknownExperiment { .. } | tracking::Error::AmbiguousExperiment { .. },
            ) => Some("list the experiments with: mlx exp list (their runs: --stages)".into()),
            Error::Db(tracking::Error::NameTaken { .. }) => {
                Some("choose another name with --name, or leave it out for a made-up one".into())
            }
            Error::Unavailable { remote: None, .. } => Some(
                "add the remote the run was pushed to (mlx remote add NAME URL), or push it from \
                 the clone that recorded the run: mlx push --runs"
                    .into(),
            ),
            Error::Unavailable { remote: Some(r), .. } => Some(format!(
                "push it from the clone that recorded the run: mlx push --runs -r {r}"
            )),
            Error::LockFile(crate::pipeline::lock::Error::Parse { .. }) => Some(
                "restore it with `git checkout -- mlx.lock`, or delete it and `mlx run` writes it \
                 again"
                    .into(),
            ),
            Error::Sql { message } if message.starts_with("no such table") => {
                Some("list the tables with: mlx sql 'PRAGMA table_list'".into())
            }
            Error::Sql { message } if message.starts_with("no such column") => {
                Some("list a table's columns with: mlx sql 'PRAGMA table_info(runs)'".into())
            }
            _ => None,
        }
    }

    /// Lines shown under the error message: for a bad expression, the expression with a caret
    /// under the column where it goes wrong.
    pub fn details(&self) -> Vec<String> {
        match self {
            Error::Filter { text, error, .. } => caret(text, error.column),
            Error::UnknownKey(e) => e.column.map(|c| caret(&e.text, c)).unwrap_or_default(),
            Error::Apply(e) => e.details(),
            _ => Vec::new(),
        }
    }
}

/// An expression and a caret under one of its columns (1-based).
fn caret(text: &str, column: usize) -> Vec<String> {
    let shown: String = text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect();
    vec![shown, format!("{}^", " ".repeat(column.saturating_sub(1)))]
}

pub type Result<T> = std::result::Result<T, Error>;
