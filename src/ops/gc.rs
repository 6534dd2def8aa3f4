//! `mlx gc`: delete cache objects that no pointer references: in the workspace, and with
//! `--all-branches`, `--all-tags` or `--all-commits` in those commits too. Objects that run
//! records reference (artifacts, logs) are always kept.

use std::collections::HashSet;

use serde::Serialize;

use super::transfer::{self, Scope};
use super::{Result, tracked};
use crate::pipeline::lock::LockFile;
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::{ObjectId, StatCache};

pub struct GcOptions {
    pub dry_run: bool,
    /// Also keep what the tips of local branches reference.
    pub all_branches: bool,
    /// Also keep what tags reference.
    pub all_tags: bool,
    /// Also keep what any commit reachable from a branch, tag or HEAD references.
    pub all_commits: bool,
}

#[derive(Debug, Serialize)]
pub struct GcReport {
    pub dry_run: bool,
    /// Objects kept because something references them.
    pub kept_objects: u64,
    pub kept_bytes: u64,
    /// Objects deleted (or that would be, with --dry-run).
    pub removed_objects: u64,
    pub removed_bytes: u64,
    /// Tracked directories whose manifest is not in the cache: their files could not be
    /// listed, so gc could only keep what other pointers reference.
    pub unknown_manifests: Vec<String>,
    /// Commits whose pointers were kept, besides the workspace.
    pub commits_scanned: u64,
    /// Run artifacts (and logs) whose objects were kept.
    pub run_artifacts: u64,
}

pub fn run(project: &Project, opts: &GcOptions, reporter: &dyn Reporter) -> Result<GcReport> {
    let _lock = project.lock(reporter)?;
    let mut keep: HashSet<ObjectId> = HashSet::new();
    let mut unknown_manifests = Vec::new();
    let mut tracked_sets = tracked::load(project, Vec::new())?;
    tracked_sets.extend(tracked::lock_outs(&LockFile::read(project.root())?));
    let mut commits_scanned = 0;
    if opts.all_branches || opts.all_tags || opts.all_commits {
        let scope = Scope {
            rev: None,
            commits: Vec::new(),
            all_branches: opts.all_branches,
            all_tags: opts.all_tags,
            all_commits: opts.all_commits,
        };
        let (more, n) = transfer::tracked_in_history(project, &scope)?;
        tracked_sets.extend(more);
        commits_scanned = n;
    }
    // Run artifacts and logs are kept as long as their runs exist.
    let conn = project.open_db()?;
    let manifest = |id: &ObjectId| transfer::cached_manifest(project, id);
    let (artifact_objects, _) = transfer::run_artifact_objects(&conn, manifest)?;
    let artifacts = crate::tracking::runs::artifact_objects(&conn)?.len() as u64;
    keep.extend(artifact_objects.iter().map(|n| n.id));
    let mut expanded: HashSet<ObjectId> = HashSet::new();
    for t in tracked_sets {
        if !expanded.insert(t.pointer.hash) {
            continue;
        }
        let (ids, complete) = tracked::objects_of(project, &t)?;
        if !complete && !unknown_manifests.contains(&t.target.to_string()) {
            unknown_manifests.push(t.target.to_string());
        }
        keep.extend(ids);
    }
    let objects = project.cache().list()?;
    let mut report = GcReport {
        dry_run: opts.dry_run,
        kept_objects: 0,
        kept_bytes: 0,
        removed_objects: 0,
        removed_bytes: 0,
        unknown_manifests,
        commits_scanned,
        run_artifacts: artifacts,
    };
    let mut removed = Vec::new();
    reporter.start("collecting garbage", objects.len() as u64);
    for (id, size) in objects {
        if keep.contains(&id) {
            report.kept_objects += 1;
            report.kept_bytes += size;
        } else {
            if !opts.dry_run {
                project.cache().remove(&id)?;
                removed.push(id);
            }
            report.removed_objects += 1;
            report.removed_bytes += size;
        }
        reporter.advance(1);
    }
    reporter.finish();
    if !removed.is_empty() {
        StatCache::forget_objects(&conn, &removed)?;
    }
    Ok(report)
}
