//! `mlx push`: upload the objects that tracked data (in the workspace or chosen commits) needs
//! and the remote lacks; with `--runs`, also run records and the objects they reference. With
//! `--repair`, also those the remote holds damaged: every copy it has is read back and hashed.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::pipeline::shared_cache;
use crate::progress::Reporter;
use crate::project::Project;
use crate::remote::Remote;
use crate::store::pointer::Kind;
use crate::store::stat_cache::Rows;
use crate::store::{ObjectId, StatCache};
use crate::tracking::records;
use crate::work_tree::tracked::Tracked;

pub use super::transfer::TransferOptions as PushOptions;

#[derive(Debug, Default, Serialize)]
pub struct PushReport {
    pub remote: String,
    pub url: String,
    /// Objects the chosen data needs.
    pub objects: u64,
    /// Of those, already on the remote.
    pub already_there: u64,
    pub uploaded: u64,
    pub uploaded_bytes: u64,
    /// Chunks sent for objects stored as chunks (counted in `uploaded_bytes`, with their
    /// chunk lists; the chunks the remote had already are not sent).
    pub chunks_uploaded: u64,
    /// Tracked paths whose objects this cache lacks, so they could not be pushed.
    pub missing_locally: Vec<String>,
    pub missing_objects: u64,
    /// Commits read besides the workspace.
    pub commits_scanned: u64,
    /// With --runs: run records uploaded, and those the remote had.
    pub runs_uploaded: u64,
    pub runs_already_there: u64,
    /// Profiles of the chosen data versions (`mlx data profile`) uploaded.
    pub profiles_uploaded: u64,
    /// With --repair: the remote's copies read back and hashed, and those of them whose bytes
    /// were wrong (replaced by this push).
    pub verified: u64,
    pub damaged: Vec<String>,
    /// Stage results (the run cache of this clone's runs) published to the remote's stage
    /// cache, and those it had; a result is published when this push carries its outputs.
    pub stage_results_uploaded: u64,
    pub stage_results_already_there: u64,
}

pub fn run(project: &Project, opts: &PushOptions, reporter: &dyn Reporter) -> Result<PushReport> {
    let remote = transfer::open_remote(project, opts.remote.as_deref())?;
    push_to(project, &remote, opts, reporter)
}

fn push_to(
    project: &Project,
    remote: &Remote,
    opts: &PushOptions,
    reporter: &dyn Reporter,
) -> Result<PushReport> {
    remote.prepare_writes()?;
    let (tracked, commits) =
        transfer::tracked_in_scope(project, &opts.cwd, &opts.paths, &opts.scope)?;
    let cache = project.cache();
    // A directory's listing (manifest) goes up only after all its files, so one found on the
    // remote stands for the whole directory: a push with nothing new asks one question per
    // directory instead of one per file, looks at none of its objects here, and reads its files
    // from the listing's index instead of decoding the listing.
    let mut dir_ids: Vec<ObjectId> = tracked
        .iter()
        .filter(|t| t.pointer.kind == Kind::Directory)
        .map(|t| t.pointer.hash)
        .collect();
    dir_ids.sort_unstable();
    dir_ids.dedup();
    dir_ids.retain(|id| cache.contains_whole(id));
    // Both questions to the remote are answered by one listing when it is worth listing.
    let mut listed = None;
    let dirs_there = remote.present_with(&dir_ids, &mut listed)?;
    // What the remote has for sure: those directories and their files, sorted. A repair trusts
    // no listing: each file is looked at on its own.
    let mut covered: Vec<ObjectId> = Vec::new();
    let mut covered_dirs: HashSet<ObjectId> = HashSet::new();
    for id in dir_ids.iter().filter(|id| dirs_there.contains_key(*id) && !opts.repair) {
        if let Some(files) = transfer::listing_files(project, id)? {
            // One directory's files come sorted and distinct: kept as they are, not copied.
            if covered_dirs.is_empty() {
                covered = files;
            } else {
                covered.extend(files);
            }
            covered_dirs.insert(*id);
        }
    }
    if covered_dirs.len() > 1 {
        covered.sort_unstable();
        covered.dedup();
    }
    // The listings themselves, unless one is also a file's content.
    let mut covered_listings: Vec<ObjectId> =
        covered_dirs.iter().filter(|id| covered.binary_search(id).is_err()).copied().collect();
    covered_listings.sort_unstable();
    let is_covered = |id: &ObjectId| {
        covered.binary_search(id).is_ok() || covered_listings.binary_search(id).is_ok()
    };
    let covered_count = covered.len() + covered_listings.len();
    let rest_tracked: Vec<Tracked> = tracked
        .iter()
        .filter(|t| !(t.pointer.kind == Kind::Directory && covered_dirs.contains(&t.pointer.hash)))
        .cloned()
        .collect();
    let mut manifest = |id: &ObjectId| {
        let m = transfer::cached_manifest(project, id)?;
        if let Some(m) = &m {
            transfer::keep_listing_index(project, id, m);
        }
        Ok(m)
    };
    let (mut needed, unknown) = transfer::objects_needed(&rest_tracked, &mut manifest)?;
    drop(rest_tracked);
    let conn = project.open_db()?;
    if opts.runs {
        let (more, _) = transfer::objects_needed(&transfer::run_artifacts(&conn)?, &mut manifest)?;
        let have: HashSet<ObjectId> = needed.iter().map(|n| n.id).collect();
        needed.extend(more.into_iter().filter(|n| !have.contains(&n.id)));
    }
    needed.retain(|n| !is_covered(&n.id));
    let mut report = PushReport {
        remote: remote.name().to_owned(),
        url: remote.url().to_owned(),
        commits_scanned: commits,
        ..PushReport::default()
    };
    reporter.start("checking the remote", (needed.len() + covered_count) as u64);
    // Which tracked paths this clone cannot push in full (what the remote has is no loss).
    let rest: Vec<ObjectId> = needed.iter().map(|n| n.id).collect();
    let missing: HashSet<ObjectId> = cache.missing(&rest).into_iter().collect();
    drop(rest);
    report.missing_locally = unknown;
    for t in &tracked {
        if missing.contains(&t.pointer.hash)
            && !report.missing_locally.contains(&t.target.to_string())
        {
            report.missing_locally.push(t.target.to_string());
        }
    }
    report.missing_objects = missing.len() as u64;
    let local: Vec<Needed> = needed.into_iter().filter(|n| !missing.contains(&n.id)).collect();
    // Directory listings (a tracked directory's, or a run artifact's: no size recorded) always
    // travel whole: they are read from remotes as one object.
    let mut whole_only: Vec<ObjectId> = local
        .iter()
        .filter(|n| n.size.is_none())
        .map(|n| n.id)
        .chain(dir_ids.iter().copied())
        .collect();
    whole_only.sort_unstable();
    report.objects = (local.len() + covered_count) as u64;
    report.already_there = covered_count as u64;
    // Stage results whose outputs this push carries: published once the objects are there.
    let mut results = shared_cache::local_entries(&conn)?;
    if !results.is_empty() {
        let carried: HashSet<ObjectId> = local.iter().map(|n| n.id).collect();
        results.retain(|e| e.objects().all(|id| carried.contains(&id) || is_covered(&id)));
    }
    let ids: Vec<ObjectId> = local.iter().map(|n| n.id).collect();
    let present = remote.present_with(&ids, &mut listed)?;
    reporter.finish();
    // An object of the wrong size on the remote (a write cut short) is sent again; with
    // --repair, one of the right size is read back first.
    let mut files = Vec::new();
    let mut listings = Vec::new();
    let mut to_verify = Vec::new();
    for n in &local {
        // Pointers and manifests record file sizes; a manifest's own size is looked up.
        let size = match n.size {
            Some(size) => size,
            None => std::fs::metadata(project.cache().object_path(&n.id))?.len(),
        };
        match present.get(&n.id) {
            Some(s) if *s == size && opts.repair => to_verify.push((n.id, size)),
            Some(s) if *s == size => report.already_there += 1,
            _ if dir_ids.binary_search(&n.id).is_ok() => listings.push((n.id, size)),
            _ => files.push((n.id, size)),
        }
    }
    let jobs = opts.jobs.unwrap_or_else(|| remote.jobs());
    if opts.repair {
        let damaged = damaged_on_remote(remote, &to_verify, jobs, reporter)?;
        report.verified = to_verify.len() as u64;
        report.already_there += (to_verify.len() - damaged.len()) as u64;
        for (id, size) in damaged {
            report.damaged.push(id.to_hex());
            let list = if dir_ids.binary_search(&id).is_ok() { &mut listings } else { &mut files };
            list.push((id, size));
        }
        report.damaged.sort();
    }
    let to_send: Vec<(ObjectId, u64)> = files.iter().chain(&listings).copied().collect();

    report.profiles_uploaded = push_profiles(
        remote,
        &conn,
        local
            .iter()
            .map(|n| n.id)
            .chain(missing.iter().copied())
            .chain(covered.iter().chain(&covered_listings).copied()),
        project,
    )?;
    if to_send.is_empty() && !opts.runs {
        publish_results(remote, &results, &mut report)?;
        return Ok(report);
    }
    let stat = StatCache::load(&conn, Rows::FilesAndObjects)?;
    let total_bytes: u64 = to_send.iter().map(|(_, s)| s).sum();
    reporter
        .start(&format!("pushing {}", crate::text::counted(to_send.len(), "object")), total_bytes);
    let sent = AtomicU64::new(0);
    let sent_bytes = AtomicU64::new(0);
    let chunks_sent = AtomicU64::new(0);
    let chunked_there = AtomicU64::new(0);
    let send = |(id, size): &(ObjectId, u64)| {
        // A big file stored as chunks (or held whole, and split now): only the chunks the
        // remote lacks, then its list.
        let list = match project.cache().read_list(id)? {
            Some(list) => Some(list),
            None if whole_only.binary_search(id).is_err() => {
                project.cache().list_whole_object(id, *size, &stat)?
            }
            None => None,
        };
        if let Some(list) = list {
            match crate::remote::chunked::upload(remote, project.cache(), &list, jobs, opts.repair)?
            {
                None => {
                    chunked_there.fetch_add(1, Ordering::Relaxed);
                }
                Some(moved) => {
                    sent.fetch_add(1, Ordering::Relaxed);
                    sent_bytes.fetch_add(moved.bytes, Ordering::Relaxed);
                    chunks_sent.fetch_add(moved.chunks, Ordering::Relaxed);
                }
            }
            reporter.advance(*size);
            return Ok(());
        }
        // Never spread a damaged object: check it first (free when the stat cache vouches).
        project.cache().verify_before_use(id, &stat)?;
        crate::fault::point("push.upload");
        remote.upload(id, &project.cache().object_path(id), *size)?;
        sent.fetch_add(1, Ordering::Relaxed);
        sent_bytes.fetch_add(*size, Ordering::Relaxed);
        reporter.advance(*size);
        Ok(())
    };
    // The files first; the listings only once every file is there.
    let mut failures = transfer::run_parallel(jobs, &files, send)?;
    if failures.is_empty() {
        failures = transfer::run_parallel(jobs, &listings, send)?;
    }
    reporter.finish();
    report.uploaded = sent.into_inner();
    report.uploaded_bytes = sent_bytes.into_inner();
    report.chunks_uploaded = chunks_sent.into_inner();
    report.already_there += chunked_there.into_inner();
    let synced = remote.finish_writes();
    let mut conn = conn;
    let _ = stat.save(&mut conn);
    if let Some(e) = transfer::transfers_error(failures, to_send.len()) {
        return Err(e);
    }
    synced?;
    publish_results(remote, &results, &mut report)?;

    if opts.runs {
        let known = records::known_names(&conn)?;
        let on_remote: HashSet<String> = remote.list_names("runs/")?.into_iter().collect();
        let mut pushed = Vec::new();
        for rec in records::export(&conn)? {
            if on_remote.contains(&rec.name) {
                report.runs_already_there += 1;
            } else {
                remote.put_named(&rec.name, rec.bytes)?;
                report.runs_uploaded += 1;
            }
            if !known.contains(&rec.name) {
                pushed.push((rec.name, rec.run_id));
            }
        }
        records::mark_known(&conn, &pushed)?;
    }
    Ok(report)
}

/// Upload the stored profiles of the data versions among `ids` that the remote lacks, under
/// [`crate::quality::store::remote_name`]. Returns how many went up.
fn push_profiles(
    remote: &Remote,
    conn: &rusqlite::Connection,
    ids: impl Iterator<Item = ObjectId>,
    project: &Project,
) -> Result<u64> {
    let mut ours: Vec<(String, String)> = crate::tracking::profiles::all(conn)?;
    if ours.is_empty() {
        return Ok(0);
    }
    let profiled: HashSet<ObjectId> =
        ours.iter().filter_map(|(data, _)| ObjectId::from_hex(data).ok()).collect();
    let wanted: HashSet<String> =
        ids.filter(|id| profiled.contains(id)).map(|id| id.to_hex()).collect();
    ours.retain(|(data, _)| wanted.contains(data));
    if ours.is_empty() {
        return Ok(0);
    }
    let there: HashSet<String> = remote.list_names("profiles/")?.into_iter().collect();
    let mut sent = 0;
    for (data, profile) in ours {
        let name = crate::quality::store::remote_name(&data);
        if there.contains(&name) {
            continue;
        }
        let Ok(id) = ObjectId::from_hex(&profile) else { continue };
        // A profile lost from the cache is made again by whoever needs it.
        let Ok(bytes) = project.cache().read_verified(&id) else { continue };
        remote.put_named(&name, bytes)?;
        sent += 1;
    }
    Ok(sent)
}

/// Publish stage results to the remote's stage cache (after the objects they name).
fn publish_results(
    remote: &Remote,
    results: &[shared_cache::Entry],
    report: &mut PushReport,
) -> Result<()> {
    let done = shared_cache::publish(remote, results)?;
    report.stage_results_uploaded = done.uploaded;
    report.stage_results_already_there = done.already_there;
    Ok(())
}

/// Of `objects` (id, size) on the remote, those whose copy there does not hash to its name (or
/// that went missing since the listing): each is read back whole, `jobs` at a time.
fn damaged_on_remote(
    remote: &Remote,
    objects: &[(ObjectId, u64)],
    jobs: usize,
    reporter: &dyn Reporter,
) -> Result<Vec<(ObjectId, u64)>> {
    let total: u64 = objects.iter().map(|(_, size)| size).sum();
    reporter.start(&format!("reading back {} objects", objects.len()), total);
    let damaged = std::sync::Mutex::new(Vec::new());
    let failures = transfer::run_parallel(jobs, objects, |&(id, size)| {
        if remote.hash_object(&id, size)? != Some(id) {
            damaged.lock().expect("damaged list poisoned").push((id, size));
        }
        reporter.advance(size);
        Ok(())
    })?;
    reporter.finish();
    if let Some(e) = transfer::transfers_error(failures, objects.len()) {
        return Err(e);
    }
    let mut damaged = damaged.into_inner().expect("damaged list poisoned");
    damaged.sort_unstable();
    Ok(damaged)
}
