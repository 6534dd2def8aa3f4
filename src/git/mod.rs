//! Everything mlx asks of git, through git2 (the only user of it): finding the enclosing
//! repository and asking whether git already tracks a path.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path} is not inside a git repository")]
    NotARepository { path: PathBuf },
    #[error("{path} is a bare git repository; mlx needs a work tree")]
    Bare { path: PathBuf },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// The canonical work-tree root of the git repository enclosing `start`.
pub fn discover_workdir(start: &Path) -> Result<PathBuf, Error> {
    let repo = git2::Repository::discover(start).map_err(|e| match e.code() {
        git2::ErrorCode::NotFound => Error::NotARepository { path: start.to_path_buf() },
        _ => Error::Git(e),
    })?;
    let workdir = repo.workdir().ok_or_else(|| Error::Bare { path: repo.path().to_path_buf() })?;
    Ok(workdir.canonicalize().unwrap_or_else(|_| workdir.to_path_buf()))
}

/// The first path in git's index at or below `rel` (project-relative), if any.
pub fn tracked_under(root: &Path, rel: &Path) -> Result<Option<PathBuf>, Error> {
    let repo = git2::Repository::open(root)?;
    let index = repo.index()?;
    let want = rel.as_os_str().as_encoded_bytes();
    for entry in index.iter() {
        let p = entry.path.as_slice();
        if p == want || (p.starts_with(want) && p.get(want.len()) == Some(&b'/')) {
            use std::os::unix::ffi::OsStrExt;
            return Ok(Some(PathBuf::from(std::ffi::OsStr::from_bytes(p))));
        }
    }
    Ok(None)
}
