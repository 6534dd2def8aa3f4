//! What push, fetch, `status --remote` and `gc --remote` share: opening the remote a command
//! names, choosing the commits whose data they move, listing the objects those need, and
//! running transfers in parallel.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{Result, remote_config};
use crate::git::Repo;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::remote::{self, Remote};
use crate::store::manifest::{EntryKind, Manifest};
use crate::store::pointer::Kind;
use crate::store::{self, ObjectId, listing_index};
use crate::work_tree::tracked::{self, Source, Tracked};

pub use crate::remote::transfers::{Needed, run_parallel, transfers_error};

/// Open the remote named on the command line, else the default one.
pub fn open_remote(project: &Project, name: Option<&str>) -> Result<Remote> {
    let (name, cfg) = remote_config::resolve(project.config(), name)?;
    Ok(Remote::open(project.root(), &name, cfg)?)
}

/// What `mlx push` and `mlx fetch` move, and how.
pub struct TransferOptions {
    /// Where relative `paths` start.
    pub cwd: PathBuf,
    /// Only these tracked paths (all when empty).
    pub paths: Vec<PathBuf>,
    /// The remote's name (default: `[core] remote`, or the only one).
    pub remote: Option<String>,
    pub scope: Scope,
    /// Parallel transfers (default: the remote's `jobs`, else 32).
    pub jobs: Option<usize>,
    /// Run records too, and the objects their artifacts reference.
    pub runs: bool,
    /// Push only: re-read the remote's copy of every object it has, and replace those whose
    /// bytes are wrong (and the files of directories whose listing it has but not the files).
    pub repair: bool,
}

/// Which commits' data a command moves.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only this commit, branch or tag (not the workspace).
    pub rev: Option<String>,
    /// Only these commits (not the workspace): what a `git push` sends.
    pub commits: Vec<String>,
    /// The workspace plus the tips of all local branches.
    pub all_branches: bool,
    /// The workspace plus all tags.
    pub all_tags: bool,
    /// The workspace plus every commit reachable from a branch, tag or HEAD.
    pub all_commits: bool,
    /// With `all_branches` or `all_commits`, remote-tracking branches (`refs/remotes/*`) count
    /// as branches too: what gc keeps, so that a teammate's branch known only from `git fetch`
    /// keeps its data.
    pub remote_branches: bool,
}

/// Tracked paths in scope (pointers and `mlx.lock` outputs), limited to `paths` when given,
/// each distinct pointer once; and the number of commits read besides the workspace.
pub fn tracked_in_scope(
    project: &Project,
    cwd: &Path,
    paths: &[PathBuf],
    scope: &Scope,
) -> Result<(Vec<Tracked>, u64)> {
    if let Some(rev) = &scope.rev {
        let (tracked, _) =
            tracked::load_source(project, &Source::Revision(rev.clone()), cwd, paths)?;
        return Ok((dedup(tracked), 1));
    }
    if !scope.commits.is_empty() {
        let all = tracked::load_revisions(project, &scope.commits, cwd, paths)?;
        return Ok((dedup(all), scope.commits.len() as u64));
    }
    let (mut all, _) = tracked::load_source(project, &Source::Workspace, cwd, paths)?;
    let mut commits = 0;
    if scope.all_branches || scope.all_tags || scope.all_commits {
        let (more, n) = tracked_in_history(project, scope)?;
        commits = n;
        let wanted: Vec<_> = all.iter().map(|t| t.target.clone()).collect();
        all.extend(more.into_iter().filter(|t| paths.is_empty() || wanted.contains(&t.target)));
    }
    Ok((dedup(all), commits))
}

/// Pointers and `mlx.lock` outputs recorded in branch tips, tags or all commits.
pub fn tracked_in_history(project: &Project, scope: &Scope) -> Result<(Vec<Tracked>, u64)> {
    let repo = Repo::open(project.root())?;
    let revisions = if scope.all_commits {
        repo.all_commits(scope.remote_branches)?
    } else {
        repo.ref_tips(scope.all_branches, scope.all_tags, scope.remote_branches)?
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for rev in revisions {
        if !seen.insert(rev.commit.clone()) {
            continue;
        }
        out.extend(tracked::load_history_commit(&repo, &rev)?);
    }
    Ok((out, seen.len() as u64))
}

fn dedup(tracked: Vec<Tracked>) -> Vec<Tracked> {
    let mut seen = HashSet::new();
    tracked.into_iter().filter(|t| seen.insert((t.pointer.hash, t.pointer.kind))).collect()
}

/// The objects of tracked paths: each pointer's object, and for a directory its manifest's
/// files. `manifest` reads a manifest (from the cache, or the remote when fetching); `None`
/// means it is nowhere to be had, and the directory's path is returned in the second list.
pub fn objects_needed(
    tracked: &[Tracked],
    mut manifest: impl FnMut(&ObjectId) -> Result<Option<Manifest>>,
) -> Result<(Vec<Needed>, Vec<String>)> {
    let mut out: HashMap<ObjectId, Option<u64>> = HashMap::new();
    let mut unknown = Vec::new();
    // Commits share most pointers: each distinct directory is read once.
    let mut expanded: HashSet<ObjectId> = HashSet::new();
    for t in tracked {
        match t.pointer.kind {
            Kind::File => {
                out.insert(t.pointer.hash, Some(t.pointer.size));
            }
            Kind::Directory => {
                if !expanded.insert(t.pointer.hash) {
                    continue;
                }
                out.entry(t.pointer.hash).or_insert(None);
                match manifest(&t.pointer.hash)? {
                    Some(m) => {
                        for e in m.entries() {
                            if let EntryKind::File { hash, size, .. } = e.kind {
                                out.insert(hash, Some(size));
                            }
                        }
                    }
                    None => unknown.push(t.target.to_string()),
                }
            }
        }
    }
    let mut needed: Vec<Needed> = out.into_iter().map(|(id, size)| Needed { id, size }).collect();
    needed.sort_by_key(|n| n.id);
    Ok((needed, unknown))
}

/// A directory manifest from the local cache, `None` when the cache lacks it.
pub fn cached_manifest(project: &Project, id: &ObjectId) -> Result<Option<Manifest>> {
    match tracked::manifest_of(project, *id) {
        Ok(m) => Ok(Some(m)),
        Err(super::Error::Store(store::Error::MissingObject { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The distinct file objects (sorted) of the directory listing `id` this cache holds: from
/// its listing index, else decoded from the manifest (and the index kept for next time).
/// `None` when the cache lacks the manifest.
pub fn listing_files(project: &Project, id: &ObjectId) -> Result<Option<Vec<ObjectId>>> {
    if let Some(files) = listing_index::load(&project.mlx_dir(), id) {
        return Ok(Some(files));
    }
    let Some(m) = cached_manifest(project, id)? else { return Ok(None) };
    let files = listing_index::files_of(&m);
    // A cache: failing to keep it costs the next push time, nothing else.
    let _ = listing_index::save(&project.mlx_dir(), id, &files);
    Ok(Some(files))
}

/// Keep the listing index of the manifest `m` (named `id`) unless one is kept already.
pub fn keep_listing_index(project: &Project, id: &ObjectId, m: &Manifest) {
    if !listing_index::is_kept(&project.mlx_dir(), id) {
        let _ = listing_index::save(&project.mlx_dir(), id, &listing_index::files_of(m));
    }
}

/// A directory manifest from the cache, else read from the remote (verified, not cached);
/// `None` when neither has it.
pub fn manifest_anywhere(
    project: &Project,
    remote: &Remote,
    id: &ObjectId,
) -> Result<Option<Manifest>> {
    if let Some(m) = cached_manifest(project, id)? {
        return Ok(Some(m));
    }
    match remote.read_object(id) {
        Ok(bytes) => Ok(Some(Manifest::decode(*id, &bytes)?)),
        Err(remote::Error::Missing { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Run artifacts and logs as tracked paths (a directory artifact is its manifest), for
/// [`objects_needed`]: the objects that run records reference.
pub fn run_artifacts(conn: &rusqlite::Connection) -> Result<Vec<Tracked>> {
    artifacts_as_tracked(crate::tracking::runs::artifact_objects(conn)?)
}

/// Artifact rows `(hash, kind, size)` as tracked paths; rows with a bad hash are skipped.
pub fn artifacts_as_tracked(rows: Vec<(String, String, u64)>) -> Result<Vec<Tracked>> {
    let mut out = Vec::new();
    for (hash, kind, size) in rows {
        let Ok(id) = ObjectId::from_hex(&hash) else { continue };
        // A directory artifact's size is its files' total; its manifest's own is unknown.
        let (kind, size) =
            if kind == "directory" { (Kind::Directory, 0) } else { (Kind::File, size) };
        let pointer = store::Pointer::new(kind, id, size, 0);
        out.push(Tracked { target: RelPath::new("run-artifact")?, pointer });
    }
    Ok(out)
}

/// Make sure the cache has `needed`, downloading what it lacks from the remote named (else
/// the default one) under the project lock. Returns how many objects were downloaded. What
/// neither has is [`super::Error::Unavailable`], naming `what` (exit 3, with a hint): with no
/// remote set up at all, that is said instead of asking for one.
pub fn fetch_missing(
    project: &Project,
    remote: Option<&str>,
    needed: &[Needed],
    what: &str,
    reporter: &dyn crate::progress::Reporter,
) -> Result<u64> {
    let ids: Vec<ObjectId> = needed.iter().map(|n| n.id).collect();
    let absent: HashSet<ObjectId> = project.cache().missing(&ids).into_iter().collect();
    if absent.is_empty() {
        return Ok(0);
    }
    let unavailable = |remote: Option<String>| super::Error::Unavailable {
        what: what.to_owned(),
        missing: absent.len(),
        remote,
    };
    if remote.is_none() && project.config().remotes.is_empty() {
        return Err(unavailable(None));
    }
    let remote = open_remote(project, remote)?;
    let _lock = project.lock(reporter)?;
    remote.check()?;
    // Data imported from DVC may still be only in DVC's layout of the remote.
    if let Ok((tracked, _)) =
        tracked::load_source(project, &tracked::Source::Workspace, project.root(), &[])
    {
        remote.use_dvc_index(crate::dvc::index::Md5Index::from_tracked(&tracked));
    }
    let to_get: Vec<Needed> = needed.iter().filter(|n| absent.contains(&n.id)).copied().collect();
    let mut conn = project.open_db()?;
    let stat = store::StatCache::load(&conn, store::stat_cache::Rows::FilesAndObjects)?;
    let mut done = crate::remote::transfers::Downloaded::default();
    let downloads = crate::remote::transfers::Downloads {
        cache: project.cache(),
        remote: &remote,
        stat: &stat,
        jobs: remote.jobs(),
        reporter,
    };
    downloads.run(&to_get, &mut done)?;
    stat.save(&mut conn)?;
    let left = project.cache().count_missing(&ids);
    if left > 0 {
        return Err(super::Error::Unavailable {
            what: what.to_owned(),
            missing: left,
            remote: Some(remote.name().to_owned()),
        });
    }
    Ok(done.objects)
}

/// [`fetch_missing`], then check each object before use: one found damaged in the cache is
/// quarantined and fetched again, like one that was never there.
pub fn fetch_verified(
    project: &Project,
    remote: Option<&str>,
    needed: &[Needed],
    what: &str,
    reporter: &dyn crate::progress::Reporter,
) -> Result<u64> {
    let mut fetched = fetch_missing(project, remote, needed, what, reporter)?;
    let mut conn = project.open_db()?;
    let stat = store::StatCache::load(&conn, store::stat_cache::Rows::FilesAndObjects)?;
    let mut again = Vec::new();
    for n in needed {
        match project.cache().verify_before_use(&n.id, &stat) {
            Ok(_) => {}
            Err(store::Error::CorruptObject { .. } | store::Error::MissingObject { .. }) => {
                again.push(*n);
            }
            Err(e) => return Err(e.into()),
        }
    }
    stat.save(&mut conn)?;
    if !again.is_empty() {
        fetched += fetch_missing(project, remote, &again, what, reporter)?;
    }
    Ok(fetched)
}
