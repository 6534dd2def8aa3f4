//! `mlx diff [REV_A [REV_B]]`: data changes between two commits, or between a commit and the
//! workspace (default: HEAD against the workspace). Tracked directories are compared file by
//! file through their manifests; a file deleted in one place and added with the same content
//! elsewhere is reported as renamed.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Result;
use crate::compare::side::SideInfo;
use crate::git::Repo;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::manifest::{Entry, EntryKind, Manifest};
use crate::store::pointer::Kind;
use crate::store::stat_cache::Rows;
use crate::store::{self, ObjectId, StatCache, hash_bytes};
use crate::work_tree::compare::{self as status, Workspace};
use crate::work_tree::tracked::{self, Tracked};

pub struct DiffOptions {
    /// The old side: a revision (default `HEAD`).
    pub a: Option<String>,
    /// The new side: a revision, or the workspace when absent.
    pub b: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Deleted,
    Modified,
    Renamed,
}

#[derive(Debug, Serialize)]
pub struct Change {
    /// The new path (the old one for deletions).
    pub path: String,
    pub change: ChangeKind,
    /// The tracked path (pointer target) this file belongs to.
    pub tracked: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_hash: Option<ObjectId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_hash: Option<ObjectId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_size: Option<u64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub added: u64,
    pub deleted: u64,
    pub modified: u64,
    pub renamed: u64,
    /// Bytes of the new side minus bytes of the old side, over changed files.
    pub size_delta: i64,
}

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub a: SideInfo,
    pub b: SideInfo,
    pub changes: Vec<Change>,
    pub totals: Totals,
    /// Tracked directories whose file list is not in the cache: compared as a whole only.
    pub unknown_manifests: Vec<String>,
}

/// One file on one side: its tracked root, hash and size.
#[derive(Clone)]
struct FileInfo {
    tracked: ProjectPath,
    hash: ObjectId,
    size: u64,
}

type Files = BTreeMap<ProjectPath, FileInfo>;

pub fn run(project: &Project, opts: &DiffOptions, reporter: &dyn Reporter) -> Result<DiffReport> {
    let repo = Repo::open(project.root())?;
    let rev_a = repo.resolve(opts.a.as_deref().unwrap_or("HEAD"))?;
    let old = tracked::load_at(&repo, &rev_a)?;
    let (new, b) = match &opts.b {
        Some(spec) => {
            let rev = repo.resolve(spec)?;
            (
                tracked::load_at(&repo, &rev)?,
                SideInfo { label: spec.clone(), commit: Some(rev.commit) },
            )
        }
        None => (
            tracked::load(project, Vec::new())?,
            SideInfo { label: "workspace".into(), commit: None },
        ),
    };
    let a = SideInfo { label: rev_a.spec.clone(), commit: Some(rev_a.commit.clone()) };
    let workspace = opts.b.is_none();
    let mut conn = None;
    let stat = if workspace {
        let c = project.open_db()?;
        let s = StatCache::load(&c, Rows::Files)?;
        conn = Some(c);
        s
    } else {
        StatCache::default()
    };
    let old_by_target: HashMap<&ProjectPath, &Tracked> =
        old.iter().map(|t| (&t.target, t)).collect();
    let mut old_files = Files::new();
    let mut new_files = Files::new();
    let mut unknown = Vec::new();
    // Tracked paths equal on both sides are skipped without reading their manifests.
    let mut same: std::collections::HashSet<&ProjectPath> = std::collections::HashSet::new();
    // Directories with a side whose file list is not in the cache: both sides compared whole.
    let mut whole: std::collections::HashSet<&ProjectPath> = std::collections::HashSet::new();
    let manifest_missing = |t: &Tracked| {
        t.pointer.kind == Kind::Directory && !project.cache().contains(&t.pointer.hash)
    };
    for t in &new {
        let old_t = old_by_target.get(&t.target);
        let same_pointer = old_t.is_some_and(|o| o.pointer == t.pointer);
        let as_whole = !same_pointer
            && old_t.is_some_and(|o| manifest_missing(o) || (!workspace && manifest_missing(t)));
        if workspace {
            let cmp = status::compare(project, t, &stat, reporter)?;
            if same_pointer && cmp.status.state == status::State::Unchanged {
                same.insert(&t.target);
                continue;
            }
            if as_whole && t.pointer.kind == Kind::Directory {
                whole.insert(&t.target);
                if let Workspace::Entries(entries) = cmp.workspace {
                    let m = Manifest::new(entries);
                    let size = m.totals().1;
                    new_files.insert(
                        t.target.clone(),
                        FileInfo { tracked: t.target.clone(), hash: m.id(), size },
                    );
                }
                continue;
            }
            flatten_workspace(t, cmp.workspace, &mut new_files);
        } else if same_pointer {
            same.insert(&t.target);
        } else if as_whole {
            whole.insert(&t.target);
            new_files.insert(t.target.clone(), whole_info(t));
        } else {
            flatten(project, t, &mut new_files, &mut unknown)?;
        }
    }
    for t in old.iter().filter(|t| !same.contains(&t.target)) {
        if whole.contains(&t.target) {
            unknown.push(t.target.to_string());
            old_files.insert(t.target.clone(), whole_info(t));
        } else {
            flatten(project, t, &mut old_files, &mut unknown)?;
        }
    }
    if let Some(mut c) = conn {
        stat.save(&mut c)?;
    }
    unknown.sort();
    unknown.dedup();
    let (changes, totals) = compare(&old_files, &new_files);
    Ok(DiffReport { a, b, changes, totals, unknown_manifests: unknown })
}

/// A symlink compares by its target text.
fn symlink_hash(target: &std::path::Path) -> ObjectId {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = b"symlink\0".to_vec();
    bytes.extend_from_slice(target.as_os_str().as_bytes());
    hash_bytes(&bytes)
}

fn add_entries(
    tracked: &ProjectPath,
    base: Option<&ProjectPath>,
    entries: &[Entry],
    out: &mut Files,
) {
    for e in entries {
        let (hash, size) = match &e.kind {
            EntryKind::File { hash, size, .. } => (*hash, *size),
            EntryKind::Symlink { target } => (symlink_hash(target), 0),
            EntryKind::EmptyDir => continue,
        };
        let path = base.map_or_else(|| e.path.clone(), |b| b.join(&e.path));
        out.insert(path, FileInfo { tracked: tracked.clone(), hash, size });
    }
}

/// A tracked path as one entry: its pointer's hash and size.
fn whole_info(t: &Tracked) -> FileInfo {
    FileInfo { tracked: t.target.clone(), hash: t.pointer.hash, size: t.pointer.size }
}

/// The files a pointer records, through its manifest for directories.
fn flatten(
    project: &Project,
    t: &Tracked,
    out: &mut Files,
    unknown: &mut Vec<String>,
) -> Result<()> {
    let whole = whole_info(t);
    match t.pointer.kind {
        Kind::File => {
            out.insert(t.target.clone(), whole);
        }
        Kind::Directory => match tracked::manifest_of(project, t.pointer.hash) {
            Ok(m) => add_entries(&t.target, Some(&t.target), m.entries(), out),
            Err(super::Error::Store(store::Error::MissingObject { .. })) => {
                unknown.push(t.target.to_string());
                out.insert(t.target.clone(), whole);
            }
            Err(e) => return Err(e),
        },
    }
    Ok(())
}

/// The files the workspace holds for a tracked path.
fn flatten_workspace(t: &Tracked, ws: Workspace, out: &mut Files) {
    let Workspace::Entries(entries) = ws else { return };
    match t.pointer.kind {
        Kind::Directory => add_entries(&t.target, Some(&t.target), &entries, out),
        Kind::File => add_entries(&t.target, t.target.parent().as_ref(), &entries, out),
    }
}

fn compare(old: &Files, new: &Files) -> (Vec<Change>, Totals) {
    let mut changes = Vec::new();
    let mut deleted: Vec<(&ProjectPath, &FileInfo)> = Vec::new();
    let mut added: Vec<(&ProjectPath, &FileInfo)> = Vec::new();
    for (path, o) in old {
        match new.get(path) {
            Some(n) if n.hash == o.hash => {}
            Some(n) => changes.push(Change {
                path: path.to_string(),
                change: ChangeKind::Modified,
                tracked: n.tracked.to_string(),
                old_path: None,
                old_hash: Some(o.hash),
                new_hash: Some(n.hash),
                old_size: Some(o.size),
                new_size: Some(n.size),
            }),
            None => deleted.push((path, o)),
        }
    }
    for (path, n) in new {
        if !old.contains_key(path) {
            added.push((path, n));
        }
    }
    // Pair deletions with additions of the same content: renames.
    let mut added_by_hash: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (i, (_, n)) in added.iter().enumerate() {
        added_by_hash.entry(n.hash).or_default().push(i);
    }
    let mut taken = vec![false; added.len()];
    for (path, o) in deleted {
        let partner = added_by_hash
            .get_mut(&o.hash)
            .and_then(|v| if v.is_empty() { None } else { Some(v.remove(0)) });
        match partner {
            Some(i) => {
                taken[i] = true;
                let (new_path, n) = added[i];
                changes.push(Change {
                    path: new_path.to_string(),
                    change: ChangeKind::Renamed,
                    tracked: n.tracked.to_string(),
                    old_path: Some(path.to_string()),
                    old_hash: Some(o.hash),
                    new_hash: Some(n.hash),
                    old_size: Some(o.size),
                    new_size: Some(n.size),
                });
            }
            None => changes.push(Change {
                path: path.to_string(),
                change: ChangeKind::Deleted,
                tracked: o.tracked.to_string(),
                old_path: None,
                old_hash: Some(o.hash),
                new_hash: None,
                old_size: Some(o.size),
                new_size: None,
            }),
        }
    }
    for (i, (path, n)) in added.iter().enumerate() {
        if !taken[i] {
            changes.push(Change {
                path: path.to_string(),
                change: ChangeKind::Added,
                tracked: n.tracked.to_string(),
                old_path: None,
                old_hash: None,
                new_hash: Some(n.hash),
                old_size: None,
                new_size: Some(n.size),
            });
        }
    }
    changes.sort_by(|a, b| a.tracked.cmp(&b.tracked).then_with(|| a.path.cmp(&b.path)));
    let mut totals = Totals::default();
    for c in &changes {
        match c.change {
            ChangeKind::Added => totals.added += 1,
            ChangeKind::Deleted => totals.deleted += 1,
            ChangeKind::Modified => totals.modified += 1,
            ChangeKind::Renamed => totals.renamed += 1,
        }
        let signed = |v: Option<u64>| i64::try_from(v.unwrap_or(0)).unwrap_or(i64::MAX);
        totals.size_delta += signed(c.new_size) - signed(c.old_size);
    }
    (changes, totals)
}
