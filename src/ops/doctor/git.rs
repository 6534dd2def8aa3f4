//! The `git` section of `mlx doctor`: the repository around the start folder, HEAD, and mlx's
//! hooks. It finds the project root the other sections start from.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{DoctorReport, GitFacts, Status, shown};
use crate::git::{self, Repo, hooks};
use crate::ops::install_hooks::HOOKS;

/// For git failures other than a missing repository.
const GIT_HINT: &str = "check the repository with git status (and git fsck)";

/// Find the repository around `start` and check it; the project root (the work tree) when
/// there is one.
pub(super) fn check(r: &mut DoctorReport, start: &Path) -> Option<PathBuf> {
    let root = match git::discover_workdir(start) {
        Ok(root) => root,
        Err(git::Error::NotARepository { .. }) => {
            r.push_hinted(
                "git",
                "repository",
                Status::Fail,
                format!("{} is not inside a git repository", start.display()),
                "mlx works inside a git repository: run git init, then mlx init",
            );
            return None;
        }
        Err(e @ git::Error::Bare { .. }) => {
            r.push_hinted(
                "git",
                "repository",
                Status::Fail,
                e.to_string(),
                "run mlx in a clone with a work tree",
            );
            return None;
        }
        Err(e) => {
            r.push_hinted("git", "repository", Status::Fail, e.to_string(), GIT_HINT);
            return None;
        }
    };
    r.root = Some(root.display().to_string());
    r.push("git", "repository", Status::Ok, root.display().to_string());
    let repo = match Repo::open(&root) {
        Ok(repo) => repo,
        Err(e) => {
            r.push_hinted("git", "head", Status::Fail, e.to_string(), GIT_HINT);
            return Some(root);
        }
    };
    let head = match repo.head_state() {
        Ok(head) => head,
        Err(e) => {
            r.push_hinted("git", "head", Status::Fail, e.to_string(), GIT_HINT);
            return Some(root);
        }
    };
    let on = head.branch.as_deref().map_or_else(|| "detached HEAD".to_owned(), str::to_owned);
    let detail = match &head.commit {
        Some(c) => format!(
            "{on} at {}{}",
            &c[..8.min(c.len())],
            if head.dirty { " (uncommitted changes)" } else { "" }
        ),
        None => format!("{on} (no commits yet)"),
    };
    r.push("git", "head", Status::Ok, detail);

    let hooks_dir = repo.hooks_dir(&root).unwrap_or_else(|_| root.join(".git").join("hooks"));
    // Each hook: (name, ours, executable), its file read once.
    let found: Vec<(&'static str, bool, bool)> = HOOKS
        .iter()
        .map(|name| {
            let path = hooks_dir.join(name);
            let ours = hooks::is_ours(&path);
            let executable =
                ours && std::fs::metadata(&path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
            (*name, ours, executable)
        })
        .collect();
    let installed: Vec<&'static str> =
        found.iter().filter(|(_, _, executable)| *executable).map(|(n, _, _)| *n).collect();
    let not_executable: Vec<&'static str> = found
        .iter()
        .filter(|(_, ours, executable)| *ours && !*executable)
        .map(|(n, _, _)| *n)
        .collect();
    let shown_dir = shown(&root, &hooks_dir);
    if !not_executable.is_empty() {
        r.push_hinted(
            "git",
            "hooks",
            Status::Warn,
            format!("not executable, so git skips them: {}", not_executable.join(", ")),
            "install them again: mlx install-hooks",
        );
    } else if installed.len() == HOOKS.len() {
        r.push("git", "hooks", Status::Ok, format!("installed in {shown_dir}"));
    } else if installed.is_empty() {
        r.push("git", "hooks", Status::Ok, "not installed (optional: mlx install-hooks)");
    } else {
        let missing: Vec<&str> = HOOKS.iter().copied().filter(|h| !installed.contains(h)).collect();
        r.push_hinted(
            "git",
            "hooks",
            Status::Warn,
            format!("some missing from {shown_dir}: {}", missing.join(", ")),
            "install them all: mlx install-hooks",
        );
    }
    r.git = Some(GitFacts {
        unborn: head.commit.is_none(),
        head: head.commit,
        branch: head.branch,
        dirty: head.dirty,
        hooks_dir: hooks_dir.display().to_string(),
        hooks_installed: installed,
        merge_driver: repo.local_config("merge.mlx.driver").is_some(),
    });
    Some(root)
}
