//! `mlx checkout`: make the workspace match the pointers. Missing files are restored, changed
//! ones replaced and files a directory's manifest does not list are removed.
//!
//! Nothing whose content is not in the cache is ever overwritten or deleted without `--force`:
//! such files are listed and the checkout changes nothing at all. Content that *is* in the
//! cache (an older or newer version mlx already stored) is replaced freely, which is what makes
//! `git checkout v1 && mlx checkout` work.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use fs_err as fs;
use rayon::prelude::*;
use serde::Serialize;

use super::status::{self, Comparison, Workspace};
use super::{Result, tracked};
use crate::fs_util::FileStamp;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath, check_symlink_target};
use crate::store::link::LinkType;
use crate::store::manifest::{Entry, EntryKind};
use crate::store::pointer::Kind;
use crate::store::stat_cache::Rows;
use crate::store::{self, ObjectId, StatCache};
use crate::work_tree::check_not_reserved;

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
pub struct PathResult {
    pub path: String,
    /// Files and links written.
    pub restored: u64,
    /// Files, links and folders deleted because the pointer does not list them.
    pub removed: u64,
    /// Objects the cache lacks, so their files could not be restored.
    pub missing_objects: Vec<ObjectId>,
    /// Of those, objects found corrupt when about to be used, now in the quarantine folder.
    pub corrupt_objects: Vec<ObjectId>,
}

#[derive(Debug, Serialize)]
pub struct Conflict {
    pub path: String,
    pub reason: &'static str,
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

/// One change to make in the workspace, relative to the project root.
enum Action {
    /// Delete a file or symlink.
    Remove(ProjectPath),
    /// Remove a folder that the pointer does not list (only if empty once its files are gone).
    RemoveDirIfEmpty(ProjectPath),
    Place {
        path: ProjectPath,
        hash: ObjectId,
        executable: bool,
    },
    Symlink {
        path: ProjectPath,
        target: PathBuf,
    },
    MakeDir(ProjectPath),
}

struct Plan {
    target: ProjectPath,
    actions: Vec<Action>,
    missing: Vec<ObjectId>,
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
    let stat = StatCache::load(&conn, Rows::FilesAndObjects)?;
    let mut plans = Vec::new();
    let mut conflicts = Vec::new();
    for t in &all {
        project.work_tree().writable(&t.target)?;
        let cmp = status::compare(project, t, &stat, reporter)?;
        plans.push(plan(project, t, cmp, opts.force, &mut conflicts)?);
    }
    let link_types = project.linker().types().to_vec();
    let commit = rev.map(|r| r.commit);
    if !conflicts.is_empty() {
        return Ok(CheckoutReport { commit, paths: Vec::new(), conflicts, link_types });
    }
    let mut paths = Vec::new();
    let result = plans.into_iter().try_for_each(|p| {
        paths.push(apply(project, p, &stat, reporter)?);
        Ok::<_, super::Error>(())
    });
    stat.save(&mut conn)?;
    result?;
    Ok(CheckoutReport { commit, paths, conflicts, link_types })
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

/// Make one path exactly what `t`'s pointer says, overwriting what is there (the caller has
/// made sure nothing unsaved is lost). Used to restore stage outputs from the run cache.
pub fn restore_one(
    project: &Project,
    t: &tracked::Tracked,
    stat: &StatCache,
) -> Result<PathResult> {
    let reporter = crate::progress::NoProgress;
    project.work_tree().writable(&t.target)?;
    let cmp = status::compare(project, t, stat, &reporter)?;
    let mut conflicts = Vec::new();
    let plan = plan(project, t, cmp, true, &mut conflicts)?;
    apply(project, plan, stat, &reporter)
}

fn plan(
    project: &Project,
    t: &tracked::Tracked,
    cmp: Comparison,
    force: bool,
    conflicts: &mut Vec<Conflict>,
) -> Result<Plan> {
    let cache = project.cache();
    let mut actions = Vec::new();
    let mut missing = Vec::new();
    // A workspace file may be replaced when forced or when the cache keeps its content.
    let replaceable = |conflicts: &mut Vec<Conflict>,
                       path: &ProjectPath,
                       kind: &EntryKind,
                       reason: &'static str| match kind {
        EntryKind::File { hash, .. } if !force && !cache.contains(hash) => {
            conflicts.push(Conflict { path: path.to_string(), reason });
            false
        }
        _ => true,
    };
    if cmp.status.state == status::State::Unchanged {
        return Ok(Plan { target: t.target.clone(), actions, missing });
    }
    let wanted: Vec<Entry> = match t.pointer.kind {
        Kind::File => vec![Entry {
            path: RelPath::new(t.target.file_name()).expect("valid name"),
            kind: EntryKind::File { hash: t.pointer.hash, size: t.pointer.size, executable: false },
        }],
        Kind::Directory => match cmp.stored {
            Some(m) => m.into_entries(),
            None => {
                missing.push(t.pointer.hash);
                return Ok(Plan { target: t.target.clone(), actions, missing });
            }
        },
    };
    // Paths of entries are relative to `base`: the tracked folder, or the file's parent.
    let base: Option<ProjectPath> = match t.pointer.kind {
        Kind::Directory => Some(t.target.clone()),
        Kind::File => t.target.parent(),
    };
    let full = |rel: &RelPath| base.as_ref().map_or_else(|| rel.clone(), |b| b.join(rel));
    let have: Vec<Entry> = match cmp.workspace {
        Workspace::Missing => Vec::new(),
        Workspace::Entries(e) => e,
        Workspace::Other => {
            // A fifo, a symlink or a file where a folder belongs (or the reverse).
            let abs = project.root().join(t.target.as_path());
            let meta = fs::symlink_metadata(&abs)?;
            if meta.is_dir() {
                if !force {
                    conflicts.push(Conflict {
                        path: t.target.to_string(),
                        reason: "a folder is where a tracked file belongs",
                    });
                    return Ok(Plan { target: t.target.clone(), actions, missing });
                }
                actions.push(Action::RemoveDirIfEmpty(t.target.clone()));
            } else if meta.is_file() {
                let hash = store::hash_file(&abs)?;
                let kind = EntryKind::File { hash, size: meta.len(), executable: false };
                if !replaceable(
                    conflicts,
                    &t.target,
                    &kind,
                    "a file is where a tracked folder belongs",
                ) {
                    return Ok(Plan { target: t.target.clone(), actions, missing });
                }
                actions.push(Action::Remove(t.target.clone()));
            } else {
                actions.push(Action::Remove(t.target.clone()));
            }
            Vec::new()
        }
    };
    let wanted_by_path: HashMap<&[u8], &Entry> =
        wanted.iter().map(|e| (e.path.as_bytes(), e)).collect();
    // Folders that must exist: ancestors of wanted entries.
    let mut needed_dirs: BTreeSet<Vec<u8>> = BTreeSet::new();
    for e in &wanted {
        let mut p = e.path.parent();
        while let Some(d) = p {
            needed_dirs.insert(d.as_bytes().to_vec());
            p = d.parent();
        }
    }
    let mut removed_dirs: BTreeSet<RelPath> = BTreeSet::new();
    for h in &have {
        match wanted_by_path.get(h.path.as_bytes()) {
            Some(w) if w.kind == h.kind => {}
            Some(w) => {
                if !replaceable(
                    conflicts,
                    &full(&h.path),
                    &h.kind,
                    "modified, and not in the cache",
                ) {
                    continue;
                }
                // Files and symlinks are replaced by an atomic rename over them; folders and
                // what replaces a folder need the old one gone first.
                if h.kind == EntryKind::EmptyDir {
                    actions.push(Action::RemoveDirIfEmpty(full(&h.path)));
                } else if w.kind == EntryKind::EmptyDir {
                    actions.push(Action::Remove(full(&h.path)));
                }
            }
            None if needed_dirs.contains(h.path.as_bytes()) && h.kind == EntryKind::EmptyDir => {}
            None => {
                if !replaceable(
                    conflicts,
                    &full(&h.path),
                    &h.kind,
                    "not in the pointer, and not in the cache",
                ) {
                    continue;
                }
                if h.kind == EntryKind::EmptyDir {
                    actions.push(Action::RemoveDirIfEmpty(full(&h.path)));
                } else {
                    actions.push(Action::Remove(full(&h.path)));
                }
                let mut p = h.path.parent();
                while let Some(d) = p {
                    if !needed_dirs.contains(d.as_bytes()) {
                        removed_dirs.insert(d.clone());
                    }
                    p = d.parent();
                }
            }
        }
    }
    // Deepest first, so a folder is emptied before its parent is tried.
    let mut removed_dirs: Vec<RelPath> = removed_dirs.into_iter().collect();
    removed_dirs.sort_by_key(|d| std::cmp::Reverse(d.as_path().components().count()));
    actions.extend(removed_dirs.into_iter().map(|d| Action::RemoveDirIfEmpty(full(&d))));
    let have_by_path: HashMap<&[u8], &Entry> =
        have.iter().map(|e| (e.path.as_bytes(), e)).collect();
    // Folders already checked (by one path below each): what exists of them resolves inside.
    let mut checked: HashSet<Option<RelPath>> = HashSet::new();
    for w in &wanted {
        if have_by_path.get(w.path.as_bytes()).is_some_and(|h| h.kind == w.kind) {
            continue;
        }
        let path = full(&w.path);
        // Refused before anything is written; the folders above are checked again on disk as
        // they are made.
        check_not_reserved(&path)?;
        if checked.insert(path.parent()) {
            project.work_tree().writable(&path)?;
        }
        match &w.kind {
            EntryKind::File { hash, executable, .. } => {
                if cache.contains(hash) {
                    actions.push(Action::Place { path, hash: *hash, executable: *executable });
                } else {
                    missing.push(*hash);
                }
            }
            EntryKind::Symlink { target } => {
                check_symlink_target(&path, target)?;
                actions.push(Action::Symlink { path, target: target.clone() });
            }
            EntryKind::EmptyDir => actions.push(Action::MakeDir(path)),
        }
    }
    Ok(Plan { target: t.target.clone(), actions, missing })
}

fn apply(
    project: &Project,
    plan: Plan,
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<PathResult> {
    let root = project.root();
    let work_tree = project.work_tree();
    let mut removed = 0u64;
    let mut places = Vec::new();
    let mut links = Vec::new();
    for action in plan.actions {
        match action {
            Action::Remove(p) => {
                crate::fault::point("checkout.remove");
                crate::fs_util::remove_file_if_exists(&work_tree.writable(&p)?)?;
                removed += 1;
            }
            Action::RemoveDirIfEmpty(p) => {
                if std::fs::remove_dir(work_tree.writable(&p)?).is_ok() {
                    removed += 1;
                }
            }
            Action::MakeDir(p) => {
                work_tree.create_dir_all(&p)?;
            }
            Action::Place { path, hash, executable } => places.push((path, hash, executable)),
            Action::Symlink { path, target } => links.push((path, target)),
        }
    }
    // Folders first, one thread, each through the work tree's checks: parallel placement below
    // only creates files in folders checked here.
    let mut parents: Vec<RelPath> = places
        .iter()
        .map(|(p, _, _)| p)
        .chain(links.iter().map(|(p, _)| p))
        .filter_map(RelPath::parent)
        .collect();
    parents.sort();
    parents.dedup();
    for dir in parents {
        let abs = work_tree.writable(&dir)?;
        if std::fs::symlink_metadata(&abs).is_ok_and(|m| !m.is_dir()) {
            fs::remove_file(&abs)?;
        }
        work_tree.create_dir_all(&dir)?;
    }
    reporter.start("checking out", places.len() as u64);
    let cache = project.cache();
    let linker = project.linker();
    let outcomes: Vec<Placed> = places
        .par_iter()
        .map(|(path, hash, executable)| {
            let dest = root.join(path.as_path());
            let res = (|| -> Result<Placed> {
                match cache.verify_before_use(hash, stat) {
                    Ok(_) => {}
                    Err(store::Error::MissingObject { id }) => return Ok(Placed::Missing(id)),
                    // Quarantined, never placed: the file is restored like a missing one would be.
                    Err(store::Error::CorruptObject { id, .. }) => return Ok(Placed::Corrupt(id)),
                    Err(e) => return Err(e.into()),
                }
                let used = linker.place(&cache.object_path(hash), &dest, *executable)?;
                if used != LinkType::Symlink {
                    stat.record(path, FileStamp::of(&fs::symlink_metadata(&dest)?), *hash);
                }
                Ok(Placed::Done)
            })();
            reporter.advance(1);
            res
        })
        .collect::<Result<Vec<_>>>()?;
    reporter.finish();
    let mut missing = plan.missing;
    let mut corrupt = Vec::new();
    let mut restored = 0;
    for outcome in outcomes {
        match outcome {
            Placed::Done => restored += 1,
            Placed::Missing(id) => missing.push(id),
            Placed::Corrupt(id) => {
                missing.push(id);
                corrupt.push(id);
            }
        }
    }
    for (path, target) in links {
        let dest = work_tree.writable(&path)?;
        let tmp = crate::fs_util::temp_path(&dest);
        fs::os::unix::fs::symlink(&target, &tmp)?;
        fs::rename(&tmp, &dest)?;
        restored += 1;
    }
    missing.sort_unstable();
    missing.dedup();
    corrupt.sort_unstable();
    corrupt.dedup();
    Ok(PathResult {
        path: plan.target.to_string(),
        restored,
        removed,
        missing_objects: missing,
        corrupt_objects: corrupt,
    })
}

/// What happened to one file to place.
enum Placed {
    Done,
    Missing(ObjectId),
    /// Found corrupt before use and quarantined.
    Corrupt(ObjectId),
}
