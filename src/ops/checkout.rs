//! `mlx checkout`: make the workspace match the pointers. Missing files are restored, changed
//! ones replaced and files a directory's manifest does not list are removed.
//!
//! Nothing whose content is not in the cache is ever overwritten or deleted without `--force`:
//! such files are listed and the checkout changes nothing at all. Content that *is* in the
//! cache (an older or newer version mlx already stored) is replaced freely, which is what makes
//! `git checkout v1 && mlx checkout` work.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::StatCache;
use crate::store::link::LinkType;
use crate::store::stat_cache::Rows;
use crate::work_tree::compare as status;
use crate::work_tree::restore::{self, Conflict, PathResult};
use crate::work_tree::tracked;

pub struct CheckoutOptions {
    pub cwd: PathBuf,
    /// Tracked paths (or their pointers) to check out; all when empty.
    pub paths: Vec<PathBuf>,
    /// Where the pointers come from: the work tree, or a commit (`--rev`).
    pub source: tracked::Source,
    /// Overwrite and delete workspace content even when the cache does not have it.
    pub force: bool,
}

#[derive(Debug, Serialize)]
pub struct CheckoutReport {
    /// The commit whose pointers were checked out (`--rev`), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub paths: Vec<PathResult>,
    /// Unsaved workspace changes that blocked the checkout (nothing was changed).
    pub conflicts: Vec<Conflict>,
    pub link_types: Vec<LinkType>,
}

impl CheckoutReport {
    pub fn is_complete(&self) -> bool {
        self.conflicts.is_empty() && self.paths.iter().all(|p| p.missing_objects.is_empty())
    }
}

pub fn run(
    project: &Project,
    opts: &CheckoutOptions,
    reporter: &dyn Reporter,
) -> Result<CheckoutReport> {
    let _lock = project.lock(reporter)?;
    let (all, rev) = tracked::load_source(project, &opts.source, &opts.cwd, &opts.paths)?;
    sweep_leftovers(project, &all)?;
    let mut conn = project.open_db()?;
    // Read only when some path is not settled by its tree stamp alone.
    let mut stat: Option<StatCache> = None;
    let mut steps = Vec::new();
    let mut conflicts = Vec::new();
    let watched = status::ask_watcher(project, &all);
    for t in &all {
        project.work_tree().writable(&t.target)?;
        // A directory its tree stamp proves unchanged and complete needs nothing.
        let taken = match status::quick(project, t, watched.as_ref()) {
            status::Quick::Clean(s) => {
                steps.push(Step::Done(PathResult {
                    path: s.path,
                    restored: 0,
                    removed: 0,
                    missing_objects: Vec::new(),
                    corrupt_objects: Vec::new(),
                }));
                continue;
            }
            status::Quick::Unknown(taken) => taken,
        };
        let stat = match &mut stat {
            Some(s) => &*s,
            None => &*stat.insert(StatCache::load(&conn, Rows::FilesAndObjects)?),
        };
        let cmp = status::compare(project, t, stat, reporter)?;
        status::remember(project, t, taken, &cmp.status)?;
        steps.push(Step::Plan(restore::plan(project, t, cmp, opts.force, &mut conflicts)?));
    }
    let link_types = project.linker().types().to_vec();
    let commit = rev.map(|r| r.commit);
    if !conflicts.is_empty() {
        return Ok(CheckoutReport { commit, paths: Vec::new(), conflicts, link_types });
    }
    let Some(stat) = stat else {
        let paths = steps
            .into_iter()
            .filter_map(|s| match s {
                Step::Done(r) => Some(r),
                Step::Plan(_) => None,
            })
            .collect();
        return Ok(CheckoutReport { commit, paths, conflicts, link_types });
    };
    let mut paths = Vec::new();
    let result = steps.into_iter().try_for_each(|s| {
        paths.push(match s {
            Step::Done(r) => r,
            Step::Plan(p) => restore::apply(project, p, &stat, reporter)?,
        });
        Ok::<_, super::Error>(())
    });
    stat.save(&mut conn)?;
    result?;
    Ok(CheckoutReport { commit, paths, conflicts, link_types })
}

/// What one tracked path needs: nothing (settled by its tree stamp), or a plan to apply.
enum Step {
    Done(PathResult),
    Plan(restore::Plan),
}

/// Remove temp files that killed processes left inside and beside the tracked paths (an mlx
/// before the staging folder wrote them there), so they are not in the way. Under the lock.
fn sweep_leftovers(project: &Project, all: &[tracked::Tracked]) -> Result<()> {
    let root = project.root();
    let mut dirs = vec![root.to_path_buf()];
    let mut trees = Vec::new();
    for t in all {
        let abs = root.join(t.target.as_path());
        if let Some(parent) = t.target.parent() {
            dirs.push(root.join(parent.as_path()));
        }
        if std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_dir()) {
            trees.push(abs);
        }
    }
    dirs.sort();
    dirs.dedup();
    crate::leftovers::sweep(&dirs, &trees)?;
    Ok(())
}
