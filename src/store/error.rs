//! Errors of the object store, pointers, manifests and workspace scanning.

use std::path::PathBuf;

use crate::project_path::PathError;

use super::ObjectId;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("{file}:{line}:{column}: {message}")]
    BadPointer { file: PathBuf, line: usize, column: usize, message: String },
    /// A pointer whose size or file count contradicts the data it names.
    #[error("{file}: {message}")]
    PointerDisagrees { file: PathBuf, message: String },
    #[error("manifest {id} is not valid: {message}")]
    BadManifest { id: ObjectId, message: String },
    #[error("the chunk list of {id} is not valid: {message}")]
    BadChunkList { id: ObjectId, message: String },
    #[error("object {id} is not in the cache")]
    MissingObject { id: ObjectId },
    #[error(
        "cache object {id} is corrupt (its content no longer matches its hash); moved to {quarantined}"
    )]
    CorruptObject { id: ObjectId, quarantined: PathBuf },
    #[error("{path} changed while mlx was reading it; run the command again")]
    ChangedWhileReading { path: PathBuf },
    #[error("{path} is not tracked by mlx (no {path}.mlx pointer)")]
    NotTracked { path: PathBuf },
    #[error("{path} is inside {parent}, which mlx already tracks")]
    InsideTracked { path: PathBuf, parent: PathBuf },
    #[error("{path} contains {inner}, which mlx already tracks on its own")]
    ContainsTracked { path: PathBuf, inner: PathBuf },
    #[error("{path} is tracked by git, so mlx cannot track it too")]
    TrackedByGit { path: PathBuf },
    #[error("{path} does not exist")]
    NotFound { path: PathBuf },
    #[error("{path}: {what}")]
    Unsupported { path: PathBuf, what: String },
    #[error("stat cache database error: {0}")]
    Db(#[from] crate::tracking::Error),
}

impl Error {
    /// Whether the user can fix this by changing their input (exit 2) or it is an IO fault (3).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Error::Path(e) if !matches!(e, PathError::Io { .. })
        ) || matches!(
            self,
            Error::BadPointer { .. }
                | Error::PointerDisagrees { .. }
                | Error::BadManifest { .. }
                | Error::NotTracked { .. }
                | Error::InsideTracked { .. }
                | Error::ContainsTracked { .. }
                | Error::TrackedByGit { .. }
                | Error::NotFound { .. }
                | Error::Unsupported { .. }
        )
    }

    /// A next step for the user, where one is obvious.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::TrackedByGit { path } => Some(format!(
                "stop tracking it with git first: git rm -r --cached {}",
                path.display()
            )),
            Error::NotTracked { .. } => Some("list tracked data with: mlx ls".into()),
            Error::CorruptObject { .. } => {
                Some("check the whole cache with: mlx cache verify".into())
            }
            Error::BadPointer { file, .. } | Error::PointerDisagrees { file, .. } => Some(format!(
                "restore the pointer from git (git checkout -- {}) or re-add the data with mlx add",
                file.display()
            )),
            Error::MissingObject { .. } => {
                Some("download it from the remote with: mlx fetch".into())
            }
            Error::InsideTracked { parent, .. } => {
                Some(format!("add the whole directory instead: mlx add {}", parent.display()))
            }
            Error::ContainsTracked { inner, .. } => {
                Some(format!("stop tracking it on its own first: mlx rm {}", inner.display()))
            }
            Error::Path(PathError::SymlinkEscapes { .. }) => {
                Some("list the symlink in .mlxignore, or make it point inside the project".into())
            }
            Error::Path(PathError::Reserved { .. } | PathError::SymlinkIntoReserved { .. }) => {
                Some(
                    "mlx never tracks or writes data there; if a pointer, a stage output or an \
                 mlx.lock entry names this path, remove it"
                        .into(),
                )
            }
            _ => None,
        }
    }
}

/// Line and column (1-based) of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.len(), |nl| before.len() - nl - 1) + 1;
    (line, column)
}
