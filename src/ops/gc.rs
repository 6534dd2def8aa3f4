//! `mlx gc`: delete cache objects that no pointer references: in the workspace, and with
//! `--all-branches`, `--all-tags` or `--all-commits` in those commits too (remote-tracking
//! branches count as branches). Objects that run records reference (artifacts, logs) are always
//! kept. The profile of a data version (`mlx data profile`) is kept while that version is, and
//! removed with it. Refs keeping the results of experiments the database no longer has are
//! deleted.

use std::collections::HashSet;

use serde::Serialize;

use super::Result;
use super::transfer::{self, Scope};
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::{ObjectId, StatCache};

pub struct GcOptions {
    pub dry_run: bool,
    /// What to keep besides the workspace's data (`all_*`; remote-tracking branches always
    /// count as branches here).
    pub scope: Scope,
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
    /// Profiles of data versions kept, kept with them.
    pub kept_profiles: u64,
    /// Profiles of data versions nothing references any more, deleted (or that would be).
    pub removed_profiles: u64,
    /// Refs under `refs/mlx/exps/` deleted (or that would be) because the database has no
    /// experiment whose result they keep.
    pub removed_experiment_refs: u64,
}

pub fn run(project: &Project, opts: &GcOptions, reporter: &dyn Reporter) -> Result<GcReport> {
    let _lock = project.lock(reporter)?;
    let scope = Scope { remote_branches: true, ..opts.scope.clone() };
    let (tracked, commits_scanned) =
        transfer::tracked_in_scope(project, project.root(), &[], &scope)?;
    let manifest = |id: &ObjectId| transfer::cached_manifest(project, id);
    let (needed, unknown) = transfer::objects_needed(&tracked, manifest)?;
    let mut unknown_manifests: Vec<String> = Vec::new();
    for target in unknown {
        if !unknown_manifests.contains(&target) {
            unknown_manifests.push(target);
        }
    }
    let mut keep: HashSet<ObjectId> = needed.iter().map(|n| n.id).collect();
    // Run artifacts and logs are kept as long as their runs exist.
    let conn = project.open_db()?;
    let artifacts = transfer::run_artifacts(&conn)?;
    let (artifact_objects, _) = transfer::objects_needed(&artifacts, manifest)?;
    keep.extend(artifact_objects.iter().map(|n| n.id));
    // A profile goes with its data: kept while the data version is referenced (whether or not
    // this cache holds its bytes), its object and its row removed once nothing references it.
    let mut kept_profiles = 0;
    let mut stale_profiles = Vec::new();
    for (data, profile) in crate::tracking::profiles::all(&conn)? {
        let referenced = ObjectId::from_hex(&data).is_ok_and(|id| keep.contains(&id));
        match ObjectId::from_hex(&profile) {
            Ok(id) if referenced => {
                keep.insert(id);
                kept_profiles += 1;
            }
            _ if referenced => kept_profiles += 1,
            _ => stale_profiles.push(data),
        }
    }
    // Objects stored as chunks keep every chunk their lists name.
    project.cache().keep_chunks(&mut keep)?;
    let objects = project.cache().list()?;
    let mut report = GcReport {
        dry_run: opts.dry_run,
        kept_objects: 0,
        kept_bytes: 0,
        removed_objects: 0,
        removed_bytes: 0,
        unknown_manifests,
        commits_scanned,
        run_artifacts: artifacts.len() as u64,
        kept_profiles,
        removed_profiles: stale_profiles.len() as u64,
        removed_experiment_refs: 0,
    };
    let mut removed = Vec::new();
    reporter.start("collecting garbage", objects.len() as u64);
    for (id, size) in objects {
        if keep.contains(&id) {
            report.kept_objects += 1;
            report.kept_bytes += size;
        } else {
            if !opts.dry_run {
                crate::fault::point("gc.remove");
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
        // The indexes of removed listings name files nothing keeps any more.
        let cache = project.cache();
        crate::store::listing_index::prune(&project.mlx_dir(), |id| cache.contains_whole(id))?;
    }
    if !opts.dry_run && !stale_profiles.is_empty() {
        crate::tracking::profiles::forget(&conn, &stale_profiles)?;
    }
    let refs = crate::experiments::result::prune_refs(project, &conn, opts.dry_run)?;
    report.removed_experiment_refs = refs.len() as u64;
    Ok(report)
}
