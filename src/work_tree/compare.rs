//! Comparing one tracked path with its pointer: unchanged, modified (with the files that
//! changed inside a directory) or missing, whether the cache holds its objects, whether its
//! pointer tells the truth about its size, and which cache objects an edit through a hardlink
//! damaged. `mlx status` reports it; restoring builds on it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::tracked;
use crate::error::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath};
use crate::store::manifest::{Entry, EntryKind, Manifest, totals_of};
use crate::store::pointer::Kind;
use crate::store::tree_stamp::{self, TreeStamp};
use crate::store::workspace::{self, Found, PathState};
use crate::store::{self, ObjectId, StatCache};
use crate::watch::{self, Token};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Unchanged,
    Modified,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    /// Project-relative path of the file that changed.
    pub path: String,
    pub change: ChangeKind,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathStatus {
    pub path: String,
    pub kind: Kind,
    pub state: State,
    /// Files added, modified or deleted inside a tracked directory (sorted).
    pub changes: Vec<FileChange>,
    /// Objects the pointer needs that the cache lacks.
    pub missing_objects: u64,
    /// False when a directory's manifest is not in the cache (its file list is unknown).
    pub manifest_in_cache: bool,
    /// Modified files that are hardlinks to the object of their recorded version: the edit
    /// changed the cache object too, so that version is damaged in this cache.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub damaged_objects: Vec<DamagedObject>,
}

/// A cache object changed through a hardlinked workspace file edited in place.
#[derive(Debug, Clone, Serialize)]
pub struct DamagedObject {
    pub path: String,
    pub object: ObjectId,
}

impl PathStatus {
    pub fn is_clean(&self) -> bool {
        self.state == State::Unchanged && self.missing_objects == 0
    }
}

/// The workspace side of one tracked path, as manifest entries (a file is one entry).
pub enum Workspace {
    Missing,
    /// Something that is neither what the pointer says nor comparable (a fifo, a symlink).
    Other,
    Entries(Vec<Entry>),
}

/// Everything `checkout` needs to know about one tracked path.
pub struct Comparison {
    pub status: PathStatus,
    pub workspace: Workspace,
    /// The stored manifest (directories) when it is in the cache.
    pub stored: Option<Manifest>,
}

/// Compare one tracked path with the workspace.
pub fn compare(
    project: &Project,
    t: &tracked::Tracked,
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<Comparison> {
    let root = project.root();
    let cache = project.cache();
    let p = &t.pointer;
    let workspace = match (workspace::inspect(root, &t.target, cache)?, p.kind) {
        (PathState::Missing, _) => Workspace::Missing,
        (PathState::Dir(found), Kind::Directory) => {
            Workspace::Entries(workspace::hash_found(root, &t.target, &found, stat, reporter)?)
        }
        (PathState::File(f @ (Found::File { .. } | Found::CacheLink { .. })), Kind::File) => {
            Workspace::Entries(vec![single_file_entry(root, &t.target, &f, stat)?])
        }
        _ => Workspace::Other,
    };
    let (state, stored, changes, manifest_in_cache) = match p.kind {
        Kind::File => {
            let state = match &workspace {
                Workspace::Missing => State::Missing,
                Workspace::Entries(e) if file_hash(e) == Some(p.hash) => State::Unchanged,
                _ => State::Modified,
            };
            (state, None, Vec::new(), true)
        }
        Kind::Directory => {
            // Entries come sorted from the scan, so they encode to the manifest directly.
            let unchanged = match &workspace {
                Workspace::Entries(e) => Manifest::id_of_sorted(e) == p.hash,
                _ => false,
            };
            if unchanged {
                // The workspace lists exactly the stored manifest: no need to read it.
                (State::Unchanged, None, Vec::new(), cache.contains(&p.hash))
            } else {
                let stored = match tracked::manifest_of(project, p.hash) {
                    Ok(m) => Some(m),
                    Err(crate::error::Error::Store(store::Error::MissingObject { .. })) => None,
                    Err(e) => return Err(e),
                };
                let in_cache = stored.is_some();
                let changes = match (&workspace, &stored) {
                    (Workspace::Entries(e), Some(m)) => diff(&t.target, m.entries(), e),
                    _ => Vec::new(),
                };
                let state = if matches!(workspace, Workspace::Missing) {
                    State::Missing
                } else {
                    State::Modified
                };
                (state, stored, changes, in_cache)
            }
        }
    };
    check_totals(project, t, &workspace, stored.as_ref(), state)?;
    let damaged_objects = if state == State::Modified {
        damaged(project, t, &workspace, stored.as_ref(), &changes)
    } else {
        Vec::new()
    };
    let needed: Vec<ObjectId> = match (&stored, &workspace, state) {
        (Some(m), _, _) => std::iter::once(p.hash).chain(file_hashes(m.entries())).collect(),
        (None, Workspace::Entries(e), State::Unchanged) => {
            std::iter::once(p.hash).chain(file_hashes(e)).collect()
        }
        _ => vec![p.hash],
    };
    // Distinct objects: a file pointer's hash is also its one entry's, and identical files
    // inside a directory share one object.
    let mut needed = needed;
    needed.sort_unstable();
    needed.dedup();
    let missing_objects = cache.count_missing(&needed) as u64;
    let status = PathStatus {
        path: t.target.to_string(),
        kind: p.kind,
        state,
        changes,
        missing_objects,
        manifest_in_cache,
        damaged_objects,
    };
    Ok(Comparison { status, workspace, stored })
}

/// What a tree stamp says about a tracked path before any full comparison.
pub enum Quick {
    /// The record proves the directory unchanged, with every object in the cache.
    Clean(PathStatus),
    /// Not proven: what was taken before the full comparison, so that [`remember`] can keep a
    /// record once it is found clean.
    Unknown(Option<Taken>),
}

/// What [`quick`] took before a full comparison: the tree stamp, the cache's shard mtimes and
/// the watcher's token (asked before the walk).
pub struct Taken {
    stamp: TreeStamp,
    shards: Vec<i64>,
    watch: Option<Token>,
}

/// The watcher's answers for the tracked directories (see [`crate::watch`]): whether each may
/// have changed since its record's token, and the token for the records kept now.
pub struct Watched {
    token: Option<Token>,
    unchanged: HashSet<PathBuf>,
}

/// Ask the project's watcher, if one runs, about every tracked directory of `all`; `None` when
/// none runs or it cannot answer (then every tree is walked).
pub fn ask_watcher(project: &Project, all: &[tracked::Tracked]) -> Option<Watched> {
    let mlx_dir = project.mlx_dir();
    let mut dirs = all.iter().filter(|t| t.pointer.kind == Kind::Directory).peekable();
    dirs.peek()?;
    // Only with a watcher to ask are the records read for their tokens.
    let mut client = watch::connect(&mlx_dir)?;
    let dirs: Vec<(PathBuf, Option<Token>)> = dirs
        .map(|t| {
            let dir = project.root().join(t.target.as_path());
            let since = tree_stamp::load(&mlx_dir, &dir).and_then(|r| r.watch);
            (dir, since)
        })
        .collect();
    let answers = match client.query(project.root(), dirs.clone()) {
        Ok(a) => a,
        Err(e) => {
            tracing::debug!("the watcher did not answer: {e}");
            return None;
        }
    };
    let unchanged = dirs
        .into_iter()
        .zip(answers.changed)
        .filter(|(_, changed)| !changed)
        .map(|((dir, _), _)| dir)
        .collect();
    Some(Watched { token: answers.token, unchanged })
}

/// A tracked directory's status from its tree stamp alone, when a record proves it unchanged
/// and complete (see [`store::tree_stamp`]): no file's hash and no object is looked at. When
/// the watcher says nothing changed since the record's walk, not even the tree is walked.
pub fn quick(project: &Project, t: &tracked::Tracked, watched: Option<&Watched>) -> Quick {
    let p = &t.pointer;
    let dir = project.root().join(t.target.as_path());
    if p.kind != Kind::Directory || !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
        return Quick::Unknown(None);
    }
    let mlx_dir = project.mlx_dir();
    let totals = (p.files, p.size);
    let shards = tree_stamp::shard_stamps(project.cache().dir());
    let record = tree_stamp::load(&mlx_dir, &dir);
    let clean = || {
        Quick::Clean(PathStatus {
            path: t.target.to_string(),
            kind: Kind::Directory,
            state: State::Unchanged,
            changes: Vec::new(),
            missing_objects: 0,
            manifest_in_cache: true,
            damaged_objects: Vec::new(),
        })
    };
    let unchanged = watched.is_some_and(|w| w.unchanged.contains(&dir));
    if let Some(r) = record.as_ref().filter(|_| unchanged)
        && !tree_stamp::ignored_above(&dir, project.root())
        && tree_stamp::still_holds(r, p.hash, totals, &shards)
    {
        return clean();
    }
    let token = watched.and_then(|w| w.token.clone());
    let Some(stamp) = tree_stamp::take(&dir, project.root()) else {
        return Quick::Unknown(None);
    };
    match record {
        Some(r) if tree_stamp::proves(&r, &stamp, p.hash, totals, &shards) => {
            // The walk was made after the token was handed out: the record holds from it on.
            if let Some(token) = token.filter(|tk| r.watch.as_ref() != Some(tk))
                && let Err(e) = tree_stamp::renew(&mlx_dir, &dir, &r, &token)
            {
                tracing::debug!("cannot keep the watcher's token for {}: {e}", dir.display());
            }
            clean()
        }
        _ => Quick::Unknown(Some(Taken { stamp, shards, watch: token })),
    }
}

/// After a full comparison that found a directory clean, keep the record that lets the next
/// [`quick`] skip it (`taken` comes from that [`quick`], made before the comparison).
pub fn remember(
    project: &Project,
    t: &tracked::Tracked,
    taken: Option<Taken>,
    status: &PathStatus,
) -> Result<()> {
    let Some(Taken { stamp, shards, watch }) = taken else { return Ok(()) };
    if t.pointer.kind != Kind::Directory || !status.is_clean() || !status.manifest_in_cache {
        return Ok(());
    }
    let dir = project.root().join(t.target.as_path());
    let p = &t.pointer;
    let totals = (p.files, p.size);
    tree_stamp::save(&project.mlx_dir(), &dir, stamp, p.hash, totals, &shards, watch.as_ref())?;
    Ok(())
}

/// Modified files that share their inode with the object of the version recorded for them.
fn damaged(
    project: &Project,
    t: &tracked::Tracked,
    workspace: &Workspace,
    stored: Option<&Manifest>,
    changes: &[FileChange],
) -> Vec<DamagedObject> {
    use std::os::unix::fs::MetadataExt;
    let shares = |path: &Path, id: &ObjectId| {
        let (Ok(a), Ok(b)) =
            (std::fs::symlink_metadata(path), std::fs::metadata(project.cache().object_path(id)))
        else {
            return false;
        };
        a.is_file() && a.ino() == b.ino() && a.dev() == b.dev()
    };
    let root = project.root();
    let mut out = Vec::new();
    match (t.pointer.kind, workspace, stored) {
        (Kind::File, Workspace::Entries(_), _)
            if shares(&root.join(t.target.as_path()), &t.pointer.hash) =>
        {
            out.push(DamagedObject { path: t.target.to_string(), object: t.pointer.hash });
        }
        (Kind::Directory, _, Some(m))
            if changes.iter().any(|c| c.change == ChangeKind::Modified) =>
        {
            let old: std::collections::HashMap<String, ObjectId> = m
                .entries()
                .iter()
                .filter_map(|e| match e.kind {
                    EntryKind::File { hash, .. } => {
                        Some((t.target.join(&e.path).to_string(), hash))
                    }
                    _ => None,
                })
                .collect();
            for c in changes.iter().filter(|c| c.change == ChangeKind::Modified) {
                if let Some(id) = old.get(&c.path)
                    && shares(&root.join(&c.path), id)
                {
                    out.push(DamagedObject { path: c.path.clone(), object: *id });
                }
            }
        }
        _ => {}
    }
    out
}

/// A pointer's `size` and `files` must agree with the data it names (where that is known
/// without reading more): a pointer edited by hand or by someone else is refused, not trusted.
fn check_totals(
    project: &Project,
    t: &tracked::Tracked,
    workspace: &Workspace,
    stored: Option<&Manifest>,
    state: State,
) -> Result<()> {
    let p = &t.pointer;
    let actual: Option<(u64, u64)> = match (p.kind, workspace, stored) {
        (Kind::File, Workspace::Entries(e), _) if file_hash(e) == Some(p.hash) => {
            Some(totals_of(e))
        }
        (Kind::File, _, _) => {
            let object = project.cache().object_path(&p.hash);
            match std::fs::metadata(&object) {
                Ok(m) if m.len() == p.size => None,
                // Either the pointer lies or the object is damaged: only an intact object
                // proves the pointer wrong (a damaged one is set aside when it is used).
                Ok(m) => {
                    store::hash_file(&object).ok().filter(|h| *h == p.hash).map(|_| (1, m.len()))
                }
                Err(_) => None,
            }
        }
        (Kind::Directory, _, Some(m)) => Some(m.totals()),
        (Kind::Directory, Workspace::Entries(e), None) if state == State::Unchanged => {
            Some(totals_of(e))
        }
        (Kind::Directory, _, None) => None,
    };
    match actual {
        Some((files, size)) if (files, size) != (p.files, p.size) => {
            Err(store::Error::PointerDisagrees {
                file: store::pointer::pointer_path(&t.target).as_path().to_path_buf(),
                message: format!(
                    "it says {} bytes in {} files, but its data has {size} bytes in {files} files",
                    p.size, p.files
                ),
            }
            .into())
        }
        _ => Ok(()),
    }
}

fn single_file_entry(root: &Path, key: &ProjectPath, f: &Found, stat: &StatCache) -> Result<Entry> {
    let name = RelPath::new(key.file_name()).expect("valid name");
    let kind = match f {
        Found::File { stamp, executable, .. } => EntryKind::File {
            hash: workspace::hash_tracked_file(root, key, *stamp, stat)?,
            size: stamp.size,
            executable: *executable,
        },
        Found::CacheLink { id, size, .. } => {
            EntryKind::File { hash: *id, size: *size, executable: false }
        }
        Found::Symlink { .. } | Found::EmptyDir { .. } => {
            return Err(store::Error::Unsupported {
                path: key.as_path().to_path_buf(),
                what: "is not a regular file".into(),
            }
            .into());
        }
    };
    Ok(Entry { path: name, kind })
}

pub(super) fn file_hash(entries: &[Entry]) -> Option<ObjectId> {
    match entries {
        [Entry { kind: EntryKind::File { hash, .. }, .. }] => Some(*hash),
        _ => None,
    }
}

fn file_hashes(entries: &[Entry]) -> impl Iterator<Item = ObjectId> + '_ {
    entries.iter().filter_map(|e| match e.kind {
        EntryKind::File { hash, .. } => Some(hash),
        _ => None,
    })
}

/// Added / modified / deleted entries between two sorted entry lists.
pub fn diff(dir: &ProjectPath, old: &[Entry], new: &[Entry]) -> Vec<FileChange> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    // Empty folders show with a trailing slash, so they do not read as files.
    let change = |e: &Entry, change| {
        let mut path = dir.join(&e.path).to_string();
        if e.kind == EntryKind::EmptyDir {
            path.push('/');
        }
        FileChange { path, change }
    };
    while i < old.len() || j < new.len() {
        let ord = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.path.as_bytes().cmp(b.path.as_bytes()),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                out.push(change(&old[i], ChangeKind::Deleted));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                // A folder left empty because its files were deleted is not news.
                if !(new[j].kind == EntryKind::EmptyDir && had_files_below(old, &new[j].path)) {
                    out.push(change(&new[j], ChangeKind::Added));
                }
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if old[i].kind != new[j].kind {
                    out.push(change(&new[j], ChangeKind::Modified));
                }
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Whether sorted `entries` hold anything strictly below the folder `dir`.
fn had_files_below(entries: &[Entry], dir: &RelPath) -> bool {
    let mut prefix = dir.as_bytes().to_vec();
    prefix.push(b'/');
    let start = entries.partition_point(|e| e.path.as_bytes() < prefix.as_slice());
    entries.get(start).is_some_and(|e| e.path.as_bytes().starts_with(&prefix))
}
