//! DVC projects as input: `dvc.yaml`, `dvc.lock`, `.dvc` files, DVC's cache layouts, its config
//! remotes, and the MD5 names DVC gives data (`md5.rs`). `mlx import dvc` converts them with
//! these pieces, and fetching reads objects from a DVC remote by their MD5 (`index.rs`).
//!
//! Everything read here comes from a repository, which is untrusted input: paths are checked
//! (no `..` above the root, nothing absolute, nothing in `.git` or `.mlx`) before use. Nothing
//! here writes into the work tree or prints.

pub mod cache;
pub mod data;
pub mod files;
pub mod index;
pub mod lock;
pub mod md5;
pub mod pipeline;
pub mod remotes;

use crate::project_path::{PathError, RelPath};

/// The folder DVC keeps its config and cache in.
pub const DVC_DIR: &str = ".dvc";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A DVC file that does not parse.
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error(
        "no DVC project here: {0} is missing (run `mlx import dvc` at the root of a DVC project)"
    )]
    NotDvc(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Io(_))
    }
}

/// A path written in a DVC file, relative to `base` (the folder of the file, or a stage's
/// `wdir`), as a checked project path: absolute paths, `..` above the project root and paths
/// into `.git` or `.mlx` are refused.
pub fn project_path(base: Option<&RelPath>, written: &str) -> Result<RelPath, PathError> {
    let p = std::path::Path::new(written);
    if p.is_absolute() {
        return Err(PathError::Absolute { path: p.to_path_buf() });
    }
    let joined = match base {
        Some(b) => b.as_path().join(p),
        None => p.to_path_buf(),
    };
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    for c in joined.components() {
        match c {
            std::path::Component::Normal(n) => parts.push(n.to_owned()),
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(PathError::ParentDir { path: p.to_path_buf() });
                }
            }
            _ => return Err(PathError::Absolute { path: p.to_path_buf() }),
        }
    }
    let rel = RelPath::new(parts.iter().collect::<std::path::PathBuf>())?;
    crate::work_tree::check_not_reserved(&rel)?;
    Ok(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        let src = RelPath::new("src").unwrap();
        assert_eq!(project_path(Some(&src), "../data/x").unwrap().to_string(), "data/x");
        assert!(project_path(Some(&src), "../../x").is_err());
        assert!(project_path(None, "/etc/passwd").is_err());
        assert!(project_path(None, ".git/config").is_err());
        assert!(project_path(None, ".mlx/cache").is_err());
        assert!(project_path(None, "a/../..").is_err());
    }
}
