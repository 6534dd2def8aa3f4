//! The model registry, kept in git as annotated tags in GTO's grammar (`tag`): reading them
//! into each artifact's versions, stage assignments and history (`state`), and resolving a
//! version to its artifact — the tracked path at the tagged commit and its content hash
//! (`artifact`), with GTO's `artifacts.yaml` read and written compatibly. Tags are read and
//! made through `crate::git`; this module never prints and never pushes. MLflow's registry,
//! kept in the project's database by mlx's MLflow endpoint, is read beside it (`mlflow`).

pub mod artifact;
pub mod mlflow;
pub mod state;
pub mod tag;

pub use state::{ArtifactState, Event, EventKind, Registry, VersionState};
pub use tag::{Action, Bump, SemVer, TagName};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid {what} {name:?}: {}", tag::name_rule())]
    InvalidName { what: &'static str, name: String },
    #[error("invalid version {version:?}: write it as vMAJOR.MINOR.PATCH, e.g. v1.0.0")]
    InvalidVersion { version: String },
    #[error("model {artifact} has no version {version}")]
    UnknownVersion { artifact: String, version: String },
    #[error("no model {name} is registered{}", if .known.is_empty() { String::new() } else { format!(" (registered: {})", .known.join(", ")) })]
    UnknownArtifact { name: String, known: Vec<String> },
    #[error("model {artifact} already has version {version}")]
    VersionExists { artifact: String, version: String },
    #[error("model {artifact} already has version {version} at commit {}", &.commit[..8.min(.commit.len())])]
    VersionAtCommit { artifact: String, version: String, commit: String },
    #[error("version {version} of model {artifact} was deregistered")]
    Deregistered { artifact: String, version: String },
    #[error("--bump needs an earlier version of model {artifact}; this is its first")]
    BumpFirst { artifact: String },
    #[error("no version of model {artifact} is in stage {stage}")]
    EmptyStage { artifact: String, stage: String },
    #[error("version {version} of model {artifact} already holds stage {stage}")]
    AlreadyInStage { artifact: String, version: String, stage: String },
    #[error(
        "stage {stage} of model {artifact} has had no version before {version} to roll back to"
    )]
    NothingToRollBack { artifact: String, stage: String, version: String },
    #[error("model {artifact} is deprecated already")]
    AlreadyDeprecated { artifact: String },
    #[error("{path} is not tracked by mlx at commit {}", &.commit[..8.min(.commit.len())])]
    NotTracked { path: String, commit: String },
    #[error(
        "no path for model {artifact}: name one (mlx model register {artifact} PATH), or use --run RUN"
    )]
    NoPath { artifact: String },
    #[error(
        "invalid model reference {text:?}: write NAME, NAME@VERSION, NAME#STAGE, NAME@latest or NAME@greatest"
    )]
    BadReference { text: String },
    #[error("{file}: {message}")]
    BadArtifactsFile { file: String, message: String },
    #[error("{what} of model {artifact} is damaged: {why}")]
    BadRecord { artifact: String, what: String, why: String },
    #[error(transparent)]
    Git(#[from] crate::git::Error),
}

impl Error {
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Git(e) => e.is_input_error(),
            _ => true,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NotTracked { path, .. } => Some(format!(
                "track it with `mlx add {path}` and commit the pointer, or declare it as a \
                 stage's output in mlx.toml and commit mlx.lock after `mlx run`"
            )),
            Error::InvalidName { what: "stage", name } if name.contains(' ') => Some(format!(
                "stage names have no spaces; e.g. {}",
                name.split_whitespace().collect::<Vec<_>>().join("-")
            )),
            Error::VersionExists { artifact, .. } => Some(format!(
                "see its versions with `mlx model show {artifact}`, or let mlx pick the next \
                 with --bump major|minor|patch"
            )),
            Error::UnknownArtifact { .. } => Some("list models with: mlx model list".into()),
            Error::UnknownVersion { artifact, .. } | Error::EmptyStage { artifact, .. } => {
                Some(format!("see its versions and stages with: mlx model show {artifact}"))
            }
            Error::NothingToRollBack { artifact, .. } => {
                Some(format!("see who held it when with: mlx model history {artifact}"))
            }
            _ => None,
        }
    }
}

/// Check a name against GTO's rules.
pub fn check_name(what: &'static str, name: &str) -> Result<(), Error> {
    let ok = match what {
        "model name" => tag::is_valid_artifact(name),
        _ => tag::is_valid_name(name),
    };
    if ok { Ok(()) } else { Err(Error::InvalidName { what, name: name.to_owned() }) }
}
