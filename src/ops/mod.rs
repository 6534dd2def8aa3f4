//! One module per user-visible operation: an options struct in, a serializable report out.
//! Operations never print; progress goes through a `Reporter`.

pub mod add;
pub mod cache_verify;
pub mod checkout;
pub mod diff;
pub mod gc;
pub mod gitignore;
pub mod init;
pub mod install_hooks;
pub mod log;
pub mod ls;
pub mod merge;
pub mod rm;
pub mod run;
pub mod status;
pub mod tracked;

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
            Error::Git(e) => e.is_input_error(),
            Error::Db(e) => e.is_input_error(),
            Error::Lock(_) | Error::Io(_) => false,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Store(e) => e.hint(),
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
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
