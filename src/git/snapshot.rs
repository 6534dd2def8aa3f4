//! A work tree's state as a commit, made without touching its index, HEAD or any branch: git's
//! index is copied to a temporary one (so unchanged files are not hashed again), the changes of
//! the files git tracks and a few untracked files the caller names are added to the copy by
//! `git add` (git's own ignore rules, filters and stat checks), and its tree is committed on top
//! of a base commit. An experiment's resulting state is kept this way.

use std::ffi::OsStr;
use std::path::Path;

use super::{Error, program};
use crate::project_path::RelPath;

/// Commit the work tree at `root` as git would record it after `git add -u` and `git add` of
/// `extra` (paths that may be untracked: those that exist and git does not ignore are added),
/// with `base` as parent and `message`. `temp_index` is a path for the temporary index, removed
/// afterwards. Returns `base` itself when the tree is `base`'s, else the new commit.
pub fn commit_work_tree(
    root: &Path,
    base: &str,
    extra: &[RelPath],
    message: &str,
    temp_index: &Path,
) -> Result<String, Error> {
    let result = commit_with_index(root, base, extra, message, temp_index);
    let _ = std::fs::remove_file(temp_index);
    result
}

fn commit_with_index(
    root: &Path,
    base: &str,
    extra: &[RelPath],
    message: &str,
    temp_index: &Path,
) -> Result<String, Error> {
    let repo = git2::Repository::open(root)?;
    let base_oid = git2::Oid::from_str(base)?;
    let base_commit = repo.find_commit(base_oid)?;
    let env: [(&str, &OsStr); 2] =
        [("GIT_INDEX_FILE", temp_index.as_os_str()), ("GIT_LITERAL_PATHSPECS", OsStr::new("1"))];
    // The work tree's own index (a linked worktree has its own) carries the stat data that
    // spares `git add` hashing unchanged files.
    let copied = std::fs::copy(repo.path().join("index"), temp_index).is_ok();
    if !copied {
        program::run(root, &["read-tree", base], &env)?;
    }
    program::run(root, &["add", "--update"], &env)?;
    let index = repo.index()?;
    let untracked: Vec<String> = extra
        .iter()
        .filter(|p| index.get_path(p.as_path(), 0).is_none())
        .filter(|p| std::fs::symlink_metadata(root.join(p.as_path())).is_ok())
        .filter(|p| !repo.status_should_ignore(p.as_path()).unwrap_or(true))
        .filter_map(|p| p.to_str().map(str::to_owned))
        .collect();
    if !untracked.is_empty() {
        let mut args = vec!["add", "--"];
        args.extend(untracked.iter().map(String::as_str));
        program::run(root, &args, &env)?;
    }
    let tree = git2::Oid::from_str(&program::run(root, &["write-tree"], &env)?)?;
    if tree == base_commit.tree_id() {
        return Ok(base.to_owned());
    }
    let tree = repo.find_tree(tree)?;
    let author = signature(&repo, "AUTHOR")?;
    let committer = signature(&repo, "COMMITTER")?;
    let oid = repo.commit(None, &author, &committer, message, &tree, &[&base_commit])?;
    Ok(oid.to_string())
}

/// Who a commit mlx makes is by: `GIT_AUTHOR_*`/`GIT_COMMITTER_*` from the environment, else the
/// repository's `user.name` and `user.email`, else mlx itself.
fn signature(repo: &git2::Repository, role: &str) -> Result<git2::Signature<'static>, Error> {
    let config = repo.config().ok();
    let get = |var: &str, key: &str| {
        std::env::var(format!("GIT_{role}_{var}"))
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| config.as_ref().and_then(|c| c.get_string(key).ok()))
    };
    let name = get("NAME", "user.name").unwrap_or_else(|| "mlx".to_owned());
    let email = get("EMAIL", "user.email").unwrap_or_else(|| "mlx@localhost".to_owned());
    Ok(git2::Signature::now(&name, &email)?)
}
