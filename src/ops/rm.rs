//! `mlx rm PATH...`: stop tracking. The pointer and the `.gitignore` line go; the data stays in
//! the workspace as ordinary writable files (hardlinks and symlinks into the cache are replaced
//! by private copies first, so later edits or `mlx gc` cannot affect each other).

use std::path::{Path, PathBuf};

use fs_err as fs;
use serde::Serialize;

use super::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::store::pointer;
use crate::work_tree::{gitignore, tracked};

pub struct RmOptions {
    pub cwd: PathBuf,
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct RmReport {
    /// Paths no longer tracked.
    pub removed: Vec<String>,
    /// Files that were links into the cache and are now private copies.
    pub unlinked_files: u64,
    /// Files git should record, so that `git add` of them works: changed .gitignore files, and
    /// deleted pointers and .gitignore files that git's index has. A pointer never added to git
    /// leaves nothing to record.
    pub git_paths: Vec<String>,
}

pub fn run(project: &Project, opts: &RmOptions, reporter: &dyn Reporter) -> Result<RmReport> {
    let targets = tracked::resolve_args(project, &opts.cwd, &opts.paths)?;
    let _lock = project.lock(reporter)?;
    let mut report = RmReport { removed: Vec::new(), unlinked_files: 0, git_paths: Vec::new() };
    // Files changed, in order, each once; whether they still exist is looked at afterwards.
    let mut changed: Vec<RelPath> = Vec::new();
    for target in targets {
        let abs = project.work_tree().writable(&target)?;
        report.unlinked_files += crate::work_tree::detach::detach(project, &abs)?.len() as u64;
        let pointer_rel = pointer::pointer_path(&target);
        fs::remove_file(project.work_tree().writable(&pointer_rel)?)?;
        changed.push(pointer_rel);
        if let Some(g) = gitignore::remove_entry(project.work_tree(), &target)?
            && !changed.contains(&g)
        {
            changed.push(g);
        }
        report.removed.push(target.to_string());
    }
    // `git add` of a deleted file fails unless the index has it.
    let deleted: Vec<&Path> =
        changed.iter().map(RelPath::as_path).filter(|p| !project.root().join(p).exists()).collect();
    let indexed = crate::git::in_index(project.root(), &deleted)?;
    let untracked: Vec<&Path> =
        deleted.iter().zip(indexed).filter(|(_, i)| !i).map(|(p, _)| *p).collect();
    report.git_paths = changed
        .iter()
        .filter(|p| !untracked.contains(&p.as_path()))
        .map(ToString::to_string)
        .collect();
    Ok(report)
}
