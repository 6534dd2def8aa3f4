//! Linked worktrees for experiment workspaces, made by the `git` program (libgit2 cannot add a
//! detached worktree): add one at a commit, carry the user's uncommitted changes of tracked files
//! into it, remove it. Hooks never run here: a post-checkout hook would check data out in the
//! wrong place.

use std::path::Path;

use super::Error;

fn git(dir: &Path, args: &[&str]) -> Result<String, Error> {
    super::program::run(dir, args, &[])
}

/// A commit holding the work tree's uncommitted changes of tracked files (staged or not) on top
/// of HEAD, without touching the work tree, the index or any ref (`git stash create`); `None`
/// when there are none.
pub fn snapshot_changes(root: &Path) -> Result<Option<String>, Error> {
    match git(root, &["stash", "create", "mlx: an experiment's starting point"]) {
        Ok(sha) => Ok((!sha.is_empty()).then_some(sha)),
        // An index whose stat data is stale (a copied or restored repository) makes git look
        // for changes, find none, and fail without a word: there are none to carry.
        Err(Error::Program { message, .. }) if message.is_empty() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Add a linked worktree at `path`, detached at `commit`; with `changes` (from
/// [`snapshot_changes`]) its tracked files are made what they are in that commit, as uncommitted
/// changes, so the worktree is the user's work tree as it was, HEAD included.
pub fn add_detached(
    root: &Path,
    path: &Path,
    commit: &str,
    changes: Option<&str>,
) -> Result<(), Error> {
    let shown = path.to_string_lossy();
    git(root, &["worktree", "add", "--quiet", "--detach", &shown, commit])?;
    if let Some(changes) = changes {
        git(path, &["restore", &format!("--source={changes}"), "--worktree", "--", "."])?;
    }
    Ok(())
}

/// Remove the linked worktree at `path` (whatever it holds) and forget it.
pub fn remove(root: &Path, path: &Path) -> Result<(), Error> {
    if path.exists() {
        git(root, &["worktree", "remove", "--force", "--force", &path.to_string_lossy()])?;
    }
    git(root, &["worktree", "prune"])?;
    Ok(())
}

/// Keep the commit `sha` from git's garbage collection with the ref `name`.
pub fn keep(root: &Path, name: &str, sha: &str) -> Result<(), Error> {
    git(root, &["update-ref", name, sha]).map(|_| ())
}

/// Delete the ref `name` if it exists.
pub fn forget(root: &Path, name: &str) -> Result<(), Error> {
    match git(root, &["rev-parse", "--verify", "--quiet", name]) {
        Ok(_) => git(root, &["update-ref", "-d", name]).map(|_| ()),
        Err(_) => Ok(()),
    }
}
