//! `mlx gc`: delete cache objects that no pointer in the workspace references.

use std::collections::HashSet;

use serde::Serialize;

use super::{Result, tracked};
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::{ObjectId, StatCache};

pub struct GcOptions {
    pub dry_run: bool,
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
}

pub fn run(project: &Project, opts: &GcOptions, reporter: &dyn Reporter) -> Result<GcReport> {
    let _lock = project.lock(reporter)?;
    let mut keep: HashSet<ObjectId> = HashSet::new();
    let mut unknown_manifests = Vec::new();
    for t in tracked::load(project, Vec::new())? {
        let (ids, complete) = tracked::objects_of(project, &t)?;
        if !complete {
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
        let conn = project.open_db()?;
        StatCache::forget_objects(&conn, &removed)?;
    }
    Ok(report)
}
