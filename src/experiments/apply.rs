//! Bringing an experiment's result commit (see `result`) into the work tree, file by file: the
//! files that differ between the commit it started on and its result are written (or deleted)
//! as the result has them. Planned first, written after: every path passes the work tree's gate
//! (a result commit may come from a hostile database or repository: nothing may land in `.git`,
//! `.mlx`, outside the work tree or through a symlink, and a symlink it writes may not point out
//! of the work tree), and a file whose work-tree version has changes git has not recorded is
//! not overwritten unless forced. The stages' outputs are the caller's to restore afterwards.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::git::Repo;
use crate::git::trees::{Entry, Mode, WorkEntry, work_entry};
use crate::project::Project;
use crate::project_path::{RelPath, check_symlink_target};
use crate::text::counted;
use crate::work_tree::reserved_owner;
use crate::work_tree::restore::Conflict;

/// Why an experiment cannot be applied (or branched) as asked; all are the user's to resolve
/// (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("experiment {name} has no result to apply: {why}")]
    NoResult { name: String, why: String },
    #[error("the commit holding experiment {name}'s result ({commit}) is not in this repository")]
    ResultMissing { name: String, commit: String },
    #[error("applying experiment {name} would overwrite changes not saved in {}; nothing was changed", counted(files.len(), "file"))]
    LocalChanges { name: String, files: Vec<Conflict> },
    #[error("experiment {name} was made on commit {}, and HEAD ({}) has other versions of {} it changes; nothing was changed", short(base), short(head), counted(files.len(), "file"))]
    HeadMoved { name: String, base: String, head: String, files: Vec<String> },
    #[error("{path}: a folder is in the way of a file that experiment {name} changes")]
    FolderInTheWay { name: String, path: String },
    #[error("experiment {name}'s result has a submodule at {path}; mlx does not apply submodules")]
    Submodule { name: String, path: String },
    #[error("a branch named {branch} exists already (at {})", short(commit))]
    BranchExists { branch: String, commit: String },
    #[error("{branch:?} is not a valid branch name")]
    BadBranchName { branch: String },
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(8)]
}

impl ApplyError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ApplyError::NoResult { .. } => {
                Some("list the experiments and their status with: mlx exp list".into())
            }
            ApplyError::ResultMissing { .. } => Some(
                "its ref refs/mlx/exps/ID was deleted; run the experiment again to record it"
                    .into(),
            ),
            ApplyError::LocalChanges { .. } => Some(
                "commit or stash them first (git stash; mlx add for data), or overwrite them \
                 with --force"
                    .into(),
            ),
            ApplyError::HeadMoved { name, base, .. } => Some(format!(
                "check out its commit first (git checkout {}), make a branch of it (mlx exp \
                 branch {name} NAME), or apply it anyway with --force",
                short(base)
            )),
            ApplyError::FolderInTheWay { .. } => Some("move the folder away first".into()),
            ApplyError::Submodule { .. } => None,
            ApplyError::BranchExists { branch, .. } => Some(format!(
                "choose another name, or delete the branch first: git branch -D {branch}"
            )),
            ApplyError::BadBranchName { .. } => Some(
                "branch names follow git's rules: no spaces, no `..`, `~`, `^`, `:`, `?`, `*`, \
                 `[` or `\\`, not starting with `-`"
                    .into(),
            ),
        }
    }

    /// Lines shown under the message: the files concerned.
    pub fn details(&self) -> Vec<String> {
        match self {
            ApplyError::LocalChanges { files, .. } => {
                files.iter().map(|c| format!("{}  {}", c.path, c.reason)).collect()
            }
            ApplyError::HeadMoved { files, .. } => files.clone(),
            _ => Vec::new(),
        }
    }
}

/// How a file changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

impl Change {
    pub fn of(c: &crate::git::trees::Change) -> Change {
        match (&c.old, &c.new) {
            (None, _) => Change::Added,
            (_, None) => Change::Deleted,
            _ => Change::Modified,
        }
    }

    /// `A`, `M` or `D`, as `git status --short` marks them.
    pub fn letter(self) -> char {
        match self {
            Change::Added => 'A',
            Change::Modified => 'M',
            Change::Deleted => 'D',
        }
    }
}

/// One file the experiment changed.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub path: RelPath,
    pub change: Change,
    /// What the result has there (`None`: deleted).
    pub new: Option<Entry>,
    /// False when the work tree has it as the result does already.
    pub write: bool,
}

/// What applying a result would do, and what stands in its way.
#[derive(Debug, Default)]
pub struct Plan {
    pub files: Vec<FilePlan>,
    /// Files with changes not recorded by git that would be overwritten or deleted.
    pub local_changes: Vec<Conflict>,
    /// When HEAD is not the experiment's commit: files it changes that HEAD has in another
    /// version than that commit (they do not apply cleanly).
    pub changed_since: Vec<String>,
}

/// The gate for a symlink the result would write: its target stays inside the work tree and
/// out of `.git` and `.mlx`.
fn check_link(path: &RelPath, target: &[u8]) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let target = Path::new(std::ffi::OsStr::from_bytes(target));
    check_symlink_target(path, target)?;
    // Where it lands, lexically (the walk above never rises above the root).
    let mut landing = PathBuf::new();
    if let Some(parent) = path.parent() {
        landing.push(parent.as_path());
    }
    for c in target.components() {
        match c {
            std::path::Component::ParentDir => {
                landing.pop();
            }
            std::path::Component::Normal(n) => landing.push(n),
            _ => {}
        }
    }
    if let Some(owner) = reserved_owner(&landing) {
        return Err(crate::project_path::PathError::SymlinkIntoReserved {
            path: path.as_path().to_path_buf(),
            folder: owner.folder(),
        }
        .into());
    }
    Ok(())
}

/// Plan bringing the files that differ between `base` and `result` into `project`'s work tree,
/// with HEAD at `head`. `name` is the experiment's, for messages. Every path is checked by the
/// gate here; nothing is written.
pub fn plan(
    project: &Project,
    repo: &Repo,
    name: &str,
    base: &str,
    result: &str,
    head: Option<&str>,
) -> Result<Plan> {
    let root = project.root();
    let lock_file = RelPath::new(crate::pipeline::lock::FILE).expect("a valid name");
    let mut plan = Plan::default();
    for c in repo.changes_between(base, result)? {
        let shown = c.path.to_string();
        project.work_tree().writable(&c.path)?;
        let submodule = |e: &Option<Entry>| e.as_ref().is_some_and(|e| e.mode == Mode::Submodule);
        if submodule(&c.new) || submodule(&c.old) {
            return Err(ApplyError::Submodule { name: name.to_owned(), path: shown }.into());
        }
        if let Some(e) = &c.new
            && e.mode == Mode::Symlink
        {
            check_link(&c.path, &repo.blob(e.blob)?)?;
        }
        let work = work_entry(root, &c.path)?;
        let at_head = match head {
            Some(h) if h == base => c.old.clone(),
            Some(h) => repo.entry_in(h, &c.path)?,
            None => None,
        };
        let change = Change::of(&c);
        let as_result = match (&work, &c.new) {
            (WorkEntry::Absent, None) => true,
            (WorkEntry::Entry(w), Some(n)) => w == n,
            _ => false,
        };
        if as_result {
            plan.files.push(FilePlan { path: c.path, change, new: c.new, write: false });
            continue;
        }
        if work == WorkEntry::Folder {
            return Err(ApplyError::FolderInTheWay { name: name.to_owned(), path: shown }.into());
        }
        let recorded = match (&work, &at_head) {
            (WorkEntry::Absent, None) => true,
            (WorkEntry::Entry(w), Some(h)) => w == h,
            _ => false,
        };
        // mlx.lock is mlx's own record: a version some commit or experiment holds is not lost.
        let saved = match &work {
            WorkEntry::Entry(w) => c.path == lock_file && repo.has_blob(w.blob),
            _ => false,
        };
        if !recorded && !saved {
            let reason = if at_head.is_none() {
                "is not tracked by git and differs"
            } else {
                "has uncommitted changes"
            };
            plan.local_changes.push(Conflict { path: shown.clone(), reason });
        }
        if head.is_some_and(|h| h != base) && at_head != c.old {
            plan.changed_since.push(shown);
        }
        plan.files.push(FilePlan { path: c.path, change, new: c.new, write: true });
    }
    Ok(plan)
}

/// Write the planned files into the work tree, each through the gate at write time: deletions
/// first (and the folders they leave empty), then the rest.
pub fn write(project: &Project, repo: &Repo, plan: &Plan) -> Result<()> {
    let gate = project.work_tree();
    for f in plan.files.iter().filter(|f| f.write && f.new.is_none()) {
        let abs = gate.writable(&f.path)?;
        crate::fs_util::remove_file_if_exists(&abs)?;
        let mut up = f.path.parent();
        while let Some(dir) = up {
            let Ok(abs) = gate.writable(&dir) else { break };
            if std::fs::remove_dir(&abs).is_err() {
                break;
            }
            up = dir.parent();
        }
    }
    for f in plan.files.iter().filter(|f| f.write) {
        let Some(entry) = &f.new else { continue };
        if let Some(parent) = f.path.parent() {
            gate.create_dir_all(&parent)?;
        }
        let abs = gate.writable(&f.path)?;
        let bytes = repo.blob(entry.blob)?;
        match entry.mode {
            Mode::File => crate::fs_util::write_atomic_with_mode(&abs, &bytes, 0o644)?,
            Mode::Executable => crate::fs_util::write_atomic_with_mode(&abs, &bytes, 0o755)?,
            Mode::Symlink => {
                use std::os::unix::ffi::OsStrExt;
                check_link(&f.path, &bytes)?;
                let tmp = crate::fs_util::temp_sibling(&abs);
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&bytes), &tmp)?;
                if let Err(e) = std::fs::rename(&tmp, &abs) {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
            }
            Mode::Submodule => unreachable!("refused when planned"),
        }
    }
    Ok(())
}
