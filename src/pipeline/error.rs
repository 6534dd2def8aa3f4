//! `pipeline::Error`: everything that can be wrong with a pipeline, its graph or its params files.
//! Variants carry the stage, path, file and position concerned; nothing here prints.

use std::fmt;
use std::path::PathBuf;

use crate::project_path::ProjectPath;

use super::spec::StageName;

/// A place in a text file, shown as `FILE:LINE:COLUMN` (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A syntax or meaning error in `mlx.toml` (unknown key, wrong type, bad interpolation, …).
    #[error("{location}: {message}")]
    Spec { location: Location, message: String },

    /// A graph error found after parsing, with the place in `mlx.toml` that causes it.
    #[error("{location}: {source}")]
    At {
        location: Location,
        #[source]
        source: Box<Error>,
    },

    #[error("cycle between stages: {}", join_cycle(.stages))]
    Cycle { stages: Vec<StageName> },

    #[error("stages {first} and {second} both write {path}")]
    DuplicateOut { path: ProjectPath, first: StageName, second: StageName },

    #[error(
        "output {inner} of stage {inner_stage} is inside output {outer} of stage {outer_stage}"
    )]
    NestedOut {
        inner: ProjectPath,
        inner_stage: StageName,
        outer: ProjectPath,
        outer_stage: StageName,
    },

    #[error("stage {stage} lists {path} both as a dependency and as an output")]
    DepIsOwnOut { stage: StageName, path: ProjectPath },

    #[error("stage {stage}: dependency {path} does not exist and no stage produces it")]
    MissingDep { stage: StageName, path: ProjectPath },

    #[error("unknown stage {name}{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownStage { name: String, suggestion: Option<StageName> },

    #[error("two stages are named {name}")]
    DuplicateStage { name: StageName },

    /// A params file that a stage or an override names does not exist.
    #[error("params file {file} does not exist")]
    MissingParamsFile { file: ProjectPath },

    #[error("params file {file} has no key {key}")]
    MissingParam { file: ProjectPath, key: String },

    /// A params file that does not parse; line and column where the format gives them.
    #[error("{}: {message}", position(.file, *.line_column))]
    BadParamsFile { file: ProjectPath, line_column: Option<(usize, usize)>, message: String },

    #[error("params file {file}: only .toml, .json, .yaml and .yml files can hold params")]
    UnsupportedParamsFile { file: ProjectPath },

    #[error("params file {file}: cannot set {key}: {reason}")]
    BadOverride { file: ProjectPath, key: String, reason: String },

    /// A `--set KEY=VALUE` whose key no params file of the pipeline defines.
    #[error("--set {key}: no params file defines {key} (searched {})", join_files(.searched))]
    UnknownOverrideKey { key: String, searched: Vec<ProjectPath> },

    /// A `--set KEY=VALUE` whose key (or its leading part `defined`) several params files
    /// define.
    #[error("--set {key}: {defined} is defined in {}", join_files(.files))]
    AmbiguousOverrideKey { key: String, defined: String, files: Vec<ProjectPath> },

    /// A `--set` argument that is not `KEY=VALUE` or `FILE:KEY=VALUE`.
    #[error("--set {arg:?}: {reason}")]
    BadOverrideSyntax { arg: String, reason: String },

    /// An output over data that `mlx add` or git already tracks: running the stage would
    /// delete and replace it.
    #[error("output {path} of stage {stage} {reason}")]
    OutOverTracked { stage: StageName, path: ProjectPath, reason: String },

    /// A program a stage names in `tools` cannot be asked its version.
    #[error(transparent)]
    Tool(#[from] super::tools::ToolError),

    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn join_cycle(stages: &[StageName]) -> String {
    let mut names: Vec<&str> = stages.iter().map(StageName::as_str).collect();
    if let Some(first) = names.first().copied() {
        names.push(first);
    }
    names.join(" -> ")
}

fn join_files(files: &[ProjectPath]) -> String {
    if files.is_empty() {
        return "no file: the pipeline names no params file".into();
    }
    let names: Vec<String> = files.iter().map(ToString::to_string).collect();
    match names.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => unreachable!("not empty"),
    }
}

fn position(file: &ProjectPath, line_column: Option<(usize, usize)>) -> String {
    match line_column {
        Some((line, column)) => format!("{file}:{line}:{column}"),
        None => file.to_string(),
    }
}

impl Error {
    /// True for mistakes in `mlx.toml`, params files or arguments (exit 2); false for IO (exit 3).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Io(_))
    }

    /// A next step for the user, where one is obvious.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::At { source, .. } => source.hint(),
            Error::UnknownStage { .. } => Some("list the stages with: mlx dag".into()),
            Error::MissingDep { path, .. } => Some(format!(
                "create {path}, track it with `mlx add {path}`, or add a stage whose outs include it"
            )),
            Error::MissingParamsFile { file } => {
                Some(format!("create {file}, or fix the name where a stage or --set gives it"))
            }
            Error::MissingParam { file, key } => {
                Some(format!("add {key} to {file}, or fix the key where a stage or --set names it"))
            }
            Error::UnknownOverrideKey { key, .. } => Some(format!(
                "name the file: --set FILE:{key}=VALUE, or declare the param in a stage's `params`"
            )),
            Error::AmbiguousOverrideKey { key, files, .. } => Some(format!(
                "name the file: --set {}:{key}=VALUE",
                files.first().map_or_else(|| "FILE".to_owned(), ToString::to_string)
            )),
            Error::BadOverrideSyntax { .. } => Some(
                "write it as --set train.lr=0.1, or --set FILE:KEY=VALUE for another params file"
                    .into(),
            ),
            Error::OutOverTracked { path, .. } => Some(format!(
                "give the stage an output of its own, or stop tracking the data there first \
                 (mlx rm, or git rm -r --cached {path})"
            )),
            Error::Tool(super::tools::ToolError::InsideWorkTree { .. }) => {
                Some("install the program outside the project, or take its folder off PATH".into())
            }
            Error::DuplicateOut { .. } | Error::NestedOut { .. } => {
                Some("each output belongs to exactly one stage; split or rename the outputs".into())
            }
            _ => None,
        }
    }

    /// The error without the `mlx.toml` position wrapped around it.
    pub fn inner(&self) -> &Error {
        match self {
            Error::At { source, .. } => source.inner(),
            other => other,
        }
    }
}
