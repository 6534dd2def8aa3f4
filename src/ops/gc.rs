//! `mlx gc`: delete cache objects that no pointer references: in the workspace, and with
//! `--all-branches`, `--all-tags` or `--all-commits` in those commits too. Objects that run
//! records reference (artifacts, logs) are always kept.

use std::collections::HashSet;

use serde::Serialize;

use super::{Result, tracked};
use crate::git::Repo;
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
    let mut tracked_sets = vec![tracked::load(project, Vec::new())?];
    tracked_sets.push(tracked::lock_outs(&LockFile::read(project.root())?));
    let mut commits_scanned = 0;
    if opts.all_branches || opts.all_tags || opts.all_commits {
        let repo = Repo::open(project.root())?;
        let revisions = if opts.all_commits {
            repo.all_commits()?
        } else {
            repo.ref_tips(opts.all_branches, opts.all_tags)?
        };
        // Many commits share pointers: each distinct pointer is expanded once.
        let mut seen_commits = HashSet::new();
        for rev in revisions {
            if seen_commits.insert(rev.commit.clone()) {
                tracked_sets.push(tracked::load_at(&repo, &rev)?);
                let lock_path = crate::project_path::RelPath::new(crate::pipeline::lock::FILE)?;
                if let Some(bytes) = repo.read_file(&rev, &lock_path)?
                    && let Ok(lock) = LockFile::parse(&String::from_utf8_lossy(&bytes))
                {
                    tracked_sets.push(tracked::lock_outs(&lock));
                }
                commits_scanned += 1;
            }
        }
    }
    // Run artifacts and logs are kept as long as their runs exist.
    let conn = project.open_db()?;
    let mut artifacts = 0u64;
    for (hash, kind) in crate::tracking::runs::artifact_objects(&conn)? {
        let Ok(id) = ObjectId::from_hex(&hash) else { continue };
        artifacts += 1;
        if kind == "directory" {
            let pointer =
                crate::store::Pointer::new(crate::store::pointer::Kind::Directory, id, 0, 0);
            let t = tracked::Tracked {
                target: crate::project_path::RelPath::new("artifact")?,
                pointer,
            };
            keep.extend(tracked::objects_of(project, &t)?.0);
        } else {
            keep.insert(id);
        }
    }
    let mut expanded: HashSet<ObjectId> = HashSet::new();
    for t in tracked_sets.into_iter().flatten() {
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
