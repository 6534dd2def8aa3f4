//! Restoring tracked paths from the cache: the plan of what to write, replace and delete to
//! make a path exactly what its pointer says (refusing to lose content the cache does not have,
//! unless forced), and applying it through the work tree's gate. `mlx checkout`, `mlx pull` and
//! the restore of stage outputs from the run cache share it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use fs_err as fs;
use rayon::prelude::*;
use serde::Serialize;

use super::compare::{self as status, Comparison, Workspace};
use super::{check_not_reserved, tracked};
use crate::error::Result;
use crate::fs_util::FileStamp;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath, check_symlink_target};
use crate::store::link::LinkType;
use crate::store::manifest::{Entry, EntryKind};
use crate::store::pointer::Kind;
use crate::store::{self, ObjectId, StatCache};

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
        /// Nothing was at `path` when the plan was made.
        fresh: bool,
    },
    Symlink {
        path: ProjectPath,
        target: PathBuf,
    },
    MakeDir(ProjectPath),
}

pub struct Plan {
    target: ProjectPath,
    actions: Vec<Action>,
    missing: Vec<ObjectId>,
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

/// What to do to make `t` what its pointer says, given how it compares; content that the cache
/// lacks blocks the plan (listed in `conflicts`) unless `force`.
pub fn plan(
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
    // Which objects the cache lacks, asked once for all (a folder read per shard holding many
    // of them, not a stat per file).
    let to_place: Vec<ObjectId> = wanted
        .iter()
        .filter(|w| !have_by_path.get(w.path.as_bytes()).is_some_and(|h| h.kind == w.kind))
        .filter_map(|w| match w.kind {
            EntryKind::File { hash, .. } => Some(hash),
            _ => None,
        })
        .collect();
    let lacking: HashSet<ObjectId> = cache.missing(&to_place).into_iter().collect();
    drop(to_place);
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
                if lacking.contains(hash) {
                    missing.push(*hash);
                } else {
                    let fresh = !have_by_path.contains_key(w.path.as_bytes());
                    let executable = *executable;
                    actions.push(Action::Place { path, hash: *hash, executable, fresh });
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

/// Carry out a plan: removals, folders, files (in parallel), symlinks, each through the gate.
pub fn apply(
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
            Action::Place { path, hash, executable, fresh } => {
                places.push((path, hash, executable, fresh));
            }
            Action::Symlink { path, target } => links.push((path, target)),
        }
    }
    // Folders first, one thread, each through the work tree's checks: parallel placement below
    // only creates files in folders checked here.
    let mut parents: Vec<RelPath> = places
        .iter()
        .map(|(p, _, _, _)| p)
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
    let outcomes: Vec<Placed> = places
        .par_iter()
        .map(|(path, hash, executable, fresh)| {
            let dest = root.join(path.as_path());
            let res = (|| -> Result<Placed> {
                // Stored only as chunks: put together straight into its place.
                if !cache.contains_whole(hash) && cache.has_list(hash) {
                    return place_chunked(cache, hash, &dest, *executable, path, stat);
                }
                let size = match cache.verify_before_use(hash, stat) {
                    Ok(stamp) => stamp.size,
                    Err(store::Error::MissingObject { id }) => return Ok(Placed::Missing(id)),
                    // Quarantined, never placed: the file is restored like a missing one would be.
                    Err(store::Error::CorruptObject { id, .. }) => return Ok(Placed::Corrupt(id)),
                    Err(e) => return Err(e.into()),
                };
                let linker = project.linker_for(size);
                let object = cache.object_path(hash);
                let used = if *fresh {
                    linker.place_new(&object, &dest, *executable)?
                } else {
                    linker.place(&object, &dest, *executable)?
                };
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

/// Place an object the cache holds as chunks: assembled into a temp file beside `dest`, each
/// chunk and the whole checked, then renamed into place (one write of the bytes).
fn place_chunked(
    cache: &store::Cache,
    hash: &ObjectId,
    dest: &std::path::Path,
    executable: bool,
    path: &RelPath,
    stat: &StatCache,
) -> Result<Placed> {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(list) = (match cache.read_list(hash) {
        Ok(list) => list,
        Err(store::Error::BadChunkList { .. }) => return Ok(Placed::Corrupt(*hash)),
        Err(e) => return Err(e.into()),
    }) else {
        return Ok(Placed::Missing(*hash));
    };
    // Staged under `.mlx/tmp/PID/` (never a stray file in the work tree after a kill).
    let tmp = crate::fs_util::temp_path(dest);
    let mode = if executable { 0o777 } else { 0o666 };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(store::Error::Io)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let assembled = cache.assemble(&list, &mut out);
    let flushed = out.into_inner().map_err(std::io::IntoInnerError::into_error);
    let outcome = match (assembled, flushed) {
        (Ok(()), Ok(_)) => {
            crate::fault::point("checkout.assemble");
            let renamed = std::fs::rename(&tmp, dest).or_else(|e| {
                if !crate::fs_util::crosses_devices(&e) {
                    return Err(e);
                }
                // The work tree is on another mount: copied beside the file, then renamed.
                let sibling = crate::fs_util::temp_sibling(dest);
                std::fs::copy(&tmp, &sibling)?;
                std::fs::rename(&sibling, dest).inspect_err(|_| {
                    let _ = std::fs::remove_file(&sibling);
                })
            });
            match renamed {
                Ok(()) => {
                    stat.record(path, FileStamp::of(&fs::symlink_metadata(dest)?), *hash);
                    return Ok(Placed::Done);
                }
                Err(e) => Err(store::Error::Io(e).into()),
            }
        }
        (Err(store::Error::MissingObject { .. }), _) => Ok(Placed::Missing(*hash)),
        (Err(store::Error::CorruptObject { .. } | store::Error::BadChunkList { .. }), _) => {
            Ok(Placed::Corrupt(*hash))
        }
        (Err(e), _) => Err(e.into()),
        (_, Err(e)) => Err(store::Error::Io(e).into()),
    };
    let _ = std::fs::remove_file(&tmp);
    outcome
}
