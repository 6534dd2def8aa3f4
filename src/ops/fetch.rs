//! `mlx fetch`: download the objects tracked data needs and the cache lacks. Every object is
//! hashed on arrival and enters the cache only when it matches its name; downloads are
//! committed in batches, so an interrupted fetch keeps what it finished. An object the remote
//! lacks or holds damaged does not stop the others: all are reported at the end. With
//! `--runs`, run records are merged into the local database first (and their artifacts
//! fetched).

use std::collections::HashSet;

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::progress::Reporter;
use crate::project::Project;
use crate::registry;
use crate::remote::Remote;
use crate::remote::transfers::{Downloaded, Downloads};
use crate::store::stat_cache::Rows;
use crate::store::{ObjectId, StatCache};
use crate::tracking::records;

pub use crate::registry::import::OriginFailure;
pub use crate::remote::transfers::DamagedObject;

pub use super::transfer::TransferOptions as FetchOptions;

#[derive(Debug, Default, Serialize)]
pub struct FetchReport {
    pub remote: String,
    pub url: String,
    /// Objects the chosen data needs.
    pub objects: u64,
    /// Of those, already in the cache.
    pub already_cached: u64,
    pub downloaded: u64,
    pub downloaded_bytes: u64,
    /// Objects the remote does not have (nobody pushed them).
    pub missing_on_remote: Vec<String>,
    /// Objects the remote holds damaged (corrupt or truncated): not fetched.
    pub corrupt_on_remote: Vec<DamagedObject>,
    /// Tracked directories whose listing (manifest) is neither cached nor on the remote.
    pub unknown_directories: Vec<String>,
    pub commits_scanned: u64,
    /// With --runs: records merged, of which runs new to this clone.
    pub runs_merged: u64,
    pub runs_new: u64,
    /// Run records that could not be read, with why; skipped.
    pub invalid_run_records: Vec<String>,
    /// Profiles of the chosen data versions (`mlx data profile`) fetched.
    pub profiles_fetched: u64,
    /// Of `downloaded`, objects of imported data (`mlx add --from`) that came from the remote
    /// of the repository it was imported from, since the project's own remote lacks them.
    pub from_origins: u64,
    /// Imported data that could not be fetched from its origin, with why.
    pub origin_failures: Vec<OriginFailure>,
}

impl FetchReport {
    /// Everything asked for is now in the cache.
    pub fn is_complete(&self) -> bool {
        self.missing_on_remote.is_empty()
            && self.corrupt_on_remote.is_empty()
            && self.unknown_directories.is_empty()
            && self.origin_failures.is_empty()
    }
}

pub fn run(project: &Project, opts: &FetchOptions, reporter: &dyn Reporter) -> Result<FetchReport> {
    let (tracked, commits) =
        transfer::tracked_in_scope(project, &opts.cwd, &opts.paths, &opts.scope)?;
    let imports = tracked.iter().any(|t| t.pointer.origin.is_some());
    // A project whose data all comes from registries needs no remote of its own.
    let remote = match transfer::open_remote(project, opts.remote.as_deref()) {
        Ok(remote) => Some(remote),
        Err(_)
            if imports
                && !opts.runs
                && opts.remote.is_none()
                && project.config().remotes.is_empty() =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    let _lock = project.lock(reporter)?;
    let mut report = FetchReport { commits_scanned: commits, ..FetchReport::default() };
    let mut conn = project.open_db()?;
    let stat = StatCache::load(&conn, Rows::FilesAndObjects)?;
    if let Some(remote) = &remote {
        remote.check()?;
        report.remote = remote.name().to_owned();
        report.url = remote.url().to_owned();
        from_own_remote(project, opts, remote, &tracked, &mut conn, &stat, &mut report, reporter)?;
        report.profiles_fetched = fetch_profiles(project, remote, &tracked)?;
    }
    if imports {
        // Imported data the project's remote lacks comes from its origin's remote.
        let got = registry::import::fetch_from_origins(project, &tracked, &stat, reporter)?;
        report.downloaded += got.downloaded;
        report.from_origins = got.downloaded;
        report.origin_failures = got.failures;
        let cache = project.cache();
        report
            .missing_on_remote
            .retain(|id| ObjectId::from_hex(id).map_or(true, |id| !cache.contains(&id)));
        report.unknown_directories.retain(|d| {
            tracked
                .iter()
                .filter(|t| t.target.to_string() == *d)
                .all(|t| !cache.contains(&t.pointer.hash))
        });
    }
    stat.save(&mut conn)?;
    Ok(report)
}

/// Fetch what `tracked` (and with `--runs` the run records and their artifacts) need from the
/// project's own remote.
#[allow(clippy::too_many_arguments)]
fn from_own_remote(
    project: &Project,
    opts: &FetchOptions,
    remote: &Remote,
    tracked: &[crate::work_tree::tracked::Tracked],
    conn: &mut rusqlite::Connection,
    stat: &StatCache,
    report: &mut FetchReport,
    reporter: &dyn Reporter,
) -> Result<()> {
    if opts.runs {
        merge_records(remote, conn, report)?;
    }
    let jobs = opts.jobs.unwrap_or_else(|| remote.jobs());

    let artifacts = if opts.runs { transfer::run_artifacts(conn)? } else { Vec::new() };

    // Directory listings first (of tracked paths and of run artifacts): the files to fetch are
    // named in them.
    let mut seen_manifests = HashSet::new();
    let manifests: Vec<Needed> = tracked
        .iter()
        .chain(&artifacts)
        .filter(|t| t.pointer.kind == crate::store::pointer::Kind::Directory)
        .filter(|t| seen_manifests.insert(t.pointer.hash))
        .filter(|t| !project.cache().contains(&t.pointer.hash))
        .map(|t| Needed { id: t.pointer.hash, size: None })
        .collect();
    let mut done = Downloaded::default();
    // Data imported from DVC may still be only in DVC's layout of the remote.
    remote.use_dvc_index(crate::dvc::index::Md5Index::from_tracked(tracked));
    let downloads = Downloads { cache: project.cache(), remote, stat, jobs, reporter };
    let outcome = downloads.run(&manifests, &mut done);
    report.downloaded = done.objects;
    outcome?;

    let manifest = |id: &ObjectId| transfer::cached_manifest(project, id);
    let (mut needed, unknown): (Vec<Needed>, Vec<String>) =
        transfer::objects_needed(tracked, manifest)?;
    report.unknown_directories = unknown;
    if opts.runs {
        let (more, _) = transfer::objects_needed(&artifacts, manifest)?;
        let have: HashSet<ObjectId> = needed.iter().map(|n| n.id).collect();
        needed.extend(more.into_iter().filter(|n| !have.contains(&n.id)));
    }
    report.objects = needed.len() as u64;
    let ids: Vec<ObjectId> = needed.iter().map(|n| n.id).collect();
    let absent: HashSet<ObjectId> = project.cache().missing(&ids).into_iter().collect();
    let to_get: Vec<Needed> = needed.into_iter().filter(|n| absent.contains(&n.id)).collect();
    // The listings fetched above are in the cache now, but were not there before.
    report.already_cached =
        (report.objects - to_get.len() as u64).saturating_sub(report.downloaded);
    let outcome = downloads.run(&to_get, &mut done);
    report.downloaded = done.objects;
    report.downloaded_bytes = done.bytes;
    report.corrupt_on_remote = std::mem::take(&mut done.damaged);
    outcome?;
    let missing_ids = done.missing;

    // A directory whose listing is missing or damaged on the remote is reported as such.
    let damaged: HashSet<String> = report.corrupt_on_remote.iter().map(|d| d.id.clone()).collect();
    for t in tracked {
        if missing_ids.contains(&t.pointer.hash) || damaged.contains(&t.pointer.hash.to_hex()) {
            let target = t.target.to_string();
            report.unknown_directories.retain(|d| *d != target);
        }
    }
    report.corrupt_on_remote.sort_by(|a, b| a.id.cmp(&b.id));
    let mut missing: Vec<String> = missing_ids.iter().map(ObjectId::to_hex).collect();
    missing.sort();
    report.missing_on_remote = missing;
    Ok(())
}

/// Download the remote's profiles of the file versions `tracked` names (directly or through a
/// cached folder listing) that this clone has none of. A profile that does not decode, or is
/// of other data than its name says, is skipped. A storage that cannot list its files (a plain
/// HTTP server) brings none: profiles are made again from the data when asked for.
fn fetch_profiles(
    project: &Project,
    remote: &Remote,
    tracked: &[crate::work_tree::tracked::Tracked],
) -> Result<u64> {
    if !remote.can_list() {
        return Ok(0);
    }
    let mut wanted: HashSet<String> = HashSet::new();
    for t in tracked {
        match t.pointer.kind {
            crate::store::pointer::Kind::File => {
                wanted.insert(t.pointer.hash.to_hex());
            }
            crate::store::pointer::Kind::Directory => {
                if let Some(m) = transfer::cached_manifest(project, &t.pointer.hash)? {
                    wanted.extend(m.file_hashes().map(|h| h.to_hex()));
                }
            }
        }
    }
    let conn = project.open_db()?;
    let mut got = 0;
    for name in remote.list_names("profiles/")? {
        let Some(hash) = name.strip_prefix("profiles/").and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        if !wanted.contains(hash) || crate::tracking::profiles::lookup(&conn, hash)?.is_some() {
            continue;
        }
        let bytes = remote.get_named(&name)?;
        let Ok(profile) = crate::quality::store::decode(&bytes, Some(hash)) else { continue };
        crate::quality::store::save(project, &profile)?;
        got += 1;
    }
    Ok(got)
}

/// Download the run records this database has not seen and merge them by run id.
fn merge_records(
    remote: &Remote,
    conn: &mut rusqlite::Connection,
    report: &mut FetchReport,
) -> Result<()> {
    let known = records::known_names(conn)?;
    let names: Vec<String> = remote
        .list_names("runs/")?
        .into_iter()
        .filter(|n| n.ends_with(".json") && !known.contains(n))
        .collect();
    let mut merged = Vec::new();
    for name in names {
        let bytes = remote.get_named(&name)?;
        // A damaged or foreign record is reported and skipped: it must not keep the team's
        // other runs out. It changed nothing, and is looked at again next time.
        let outcome = match records::merge(conn, &name, &bytes) {
            Ok(outcome) => outcome,
            Err(crate::tracking::Error::Invalid(why)) => {
                report.invalid_run_records.push(why);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        report.runs_merged += 1;
        if outcome.new_run {
            report.runs_new += 1;
        }
        merged.push((name, outcome.run_id.to_string()));
    }
    records::mark_known(conn, &merged)?;
    Ok(())
}
