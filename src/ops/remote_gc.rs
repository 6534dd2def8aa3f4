//! `mlx gc --remote NAME`: delete remote objects that nothing references. Kept: what the
//! workspace's pointers and `mlx.lock` reference (and, with `--all-*`, those commits', where
//! remote-tracking branches count as branches), the
//! artifacts of local runs, and the artifacts of every run record on the remote (teammates'
//! runs included). A directory whose listing can be read from neither the cache nor the remote
//! stops the command: deleting without knowing what it needs could lose data. Profiles of data
//! versions (`profiles/<hash>.json`) are kept while their data version is, deleted with it.

use std::collections::HashSet;

use serde::Serialize;

use super::Result;
use super::transfer::{self, Scope};
use crate::progress::Reporter;
use crate::project::Project;
use crate::remote::{self, Remote};
use crate::store::ObjectId;
use crate::store::chunks::ChunkList;
use crate::tracking::records;

pub struct RemoteGcOptions {
    pub remote: Option<String>,
    pub scope: Scope,
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct RemoteGcReport {
    pub remote: String,
    pub url: String,
    pub dry_run: bool,
    pub kept_objects: u64,
    pub kept_bytes: u64,
    pub removed_objects: u64,
    pub removed_bytes: u64,
    pub commits_scanned: u64,
    /// Run records on the remote whose artifacts were kept.
    pub run_records: u64,
    /// Temp files of uploads interrupted over a day ago, deleted (folder remotes).
    pub stale_temp_files: u64,
    /// Profiles (`profiles/<hash>.json`) of data versions kept.
    pub kept_profiles: u64,
    /// Profiles of data versions nothing keeps, deleted (or that would be).
    pub removed_profiles: u64,
}

pub fn run(
    project: &Project,
    opts: &RemoteGcOptions,
    reporter: &dyn Reporter,
) -> Result<RemoteGcReport> {
    let remote = transfer::open_remote(project, opts.remote.as_deref())?;
    remote.check()?;
    let cwd = project.root().to_path_buf();
    let scope = Scope { remote_branches: true, ..opts.scope.clone() };
    let (tracked, commits) = transfer::tracked_in_scope(project, &cwd, &[], &scope)?;
    let manifest = |id: &ObjectId| transfer::manifest_anywhere(project, &remote, id);
    let (needed, unknown) = transfer::objects_needed(&tracked, manifest)?;
    refuse_unknown(&remote, &unknown)?;
    let mut keep: HashSet<ObjectId> = needed.iter().map(|n| n.id).collect();

    // Artifacts of local runs, and of every run record on the remote (teammates' included).
    let conn = project.open_db()?;
    let mut artifacts = transfer::run_artifacts(&conn)?;
    let names: Vec<String> =
        remote.list_names("runs/")?.into_iter().filter(|n| n.ends_with(".json")).collect();
    for name in &names {
        // An unreadable record names nothing that could be kept.
        if let Ok(rows) = records::artifacts_of(name, &remote.get_named(name)?) {
            artifacts.extend(transfer::artifacts_as_tracked(rows)?);
        }
    }
    let (artifact_objects, unknown) = transfer::objects_needed(&artifacts, manifest)?;
    refuse_unknown(&remote, &unknown)?;
    keep.extend(artifact_objects.iter().map(|n| n.id));

    reporter.start("listing the remote", 0);
    let objects = remote.list_objects()?;
    // Objects stored as chunks keep every chunk their lists name; unkept lists go.
    let lists = remote.list_chunk_lists()?;
    reporter.finish();
    let mut doomed_lists = Vec::new();
    for id in lists {
        if !keep.contains(&id) {
            doomed_lists.push(id);
            continue;
        }
        let Some(bytes) = remote.get_list(&id)? else { continue };
        match ChunkList::decode(&bytes, &id) {
            Ok(list) => keep.extend(list.chunks.iter().map(|(c, _)| *c)),
            Err(message) => {
                return Err(remote::Error::Config {
                    remote: remote.name().to_owned(),
                    message: format!(
                        "the chunk list of {id} is damaged ({message}); nothing was deleted"
                    ),
                }
                .into());
            }
        }
    }
    let mut report = RemoteGcReport {
        remote: remote.name().to_owned(),
        url: remote.url().to_owned(),
        dry_run: opts.dry_run,
        kept_objects: 0,
        kept_bytes: 0,
        removed_objects: 0,
        removed_bytes: 0,
        commits_scanned: commits,
        run_records: names.len() as u64,
        stale_temp_files: 0,
        kept_profiles: 0,
        removed_profiles: 0,
    };
    let mut doomed = Vec::new();
    for (id, size) in objects {
        if keep.contains(&id) {
            report.kept_objects += 1;
            report.kept_bytes += size;
        } else {
            report.removed_objects += 1;
            report.removed_bytes += size;
            doomed.push(id);
        }
    }
    // A profile stays while its data version is kept (whether or not the remote holds the
    // data's bytes: a clone may have pushed the profile alone).
    let mut stale_profiles = Vec::new();
    for name in remote.list_names("profiles/")? {
        let data = name
            .strip_prefix("profiles/")
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|h| ObjectId::from_hex(h).ok());
        match data {
            Some(id) if keep.contains(&id) => report.kept_profiles += 1,
            Some(_) => stale_profiles.push(name),
            // Not a name mlx writes: left alone.
            None => {}
        }
    }
    report.removed_profiles = stale_profiles.len() as u64;
    if !opts.dry_run && !stale_profiles.is_empty() {
        for chunk in stale_profiles.chunks(1000) {
            remote.delete_named(chunk)?;
        }
    }
    if !opts.dry_run {
        report.stale_temp_files = remote.clean_stale_temp()?;
    }
    report.removed_objects += doomed_lists.len() as u64;
    if !opts.dry_run && !doomed_lists.is_empty() {
        remote.delete_lists(&doomed_lists)?;
    }
    if !opts.dry_run && !doomed.is_empty() {
        reporter.start("deleting", doomed.len() as u64);
        for chunk in doomed.chunks(1000) {
            remote.delete(chunk)?;
            reporter.advance(chunk.len() as u64);
        }
        reporter.finish();
    }
    Ok(report)
}

fn refuse_unknown(remote: &Remote, unknown: &[String]) -> Result<()> {
    match unknown.first() {
        None => Ok(()),
        Some(first) => Err(remote::Error::Config {
            remote: remote.name().to_owned(),
            message: format!(
                "cannot tell which objects {first} needs: its directory listing is neither in the cache nor on the remote; nothing was deleted"
            ),
        }
        .into()),
    }
}
