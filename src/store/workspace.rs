//! Reading tracked data in the workspace: walking a tracked directory (honouring `.mlxignore`),
//! and hashing files through the stat cache so unchanged files are never read again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use fs_err as fs;
use rayon::prelude::*;

use super::manifest::{Entry, EntryKind};
use super::{Cache, Error, ObjectId, StatCache, hash_file};
use crate::fs_util::{self, FileStamp};
use crate::progress::Reporter;
use crate::project_path::{ProjectPath, RelPath};

/// The file holding gitignore-syntax patterns of files left out of tracked directories.
pub const IGNORE_FILE: &str = ".mlxignore";

/// One thing found in the workspace under a tracked directory (paths relative to it).
#[derive(Debug, Clone)]
pub enum Found {
    File {
        rel: RelPath,
        stamp: FileStamp,
        executable: bool,
    },
    /// A symlink into the cache (checkout with `type = symlink`): content is the object.
    CacheLink {
        rel: RelPath,
        id: ObjectId,
        size: u64,
    },
    Symlink {
        rel: RelPath,
        target: PathBuf,
    },
    EmptyDir {
        rel: RelPath,
    },
}

impl Found {
    pub fn rel(&self) -> &RelPath {
        match self {
            Found::File { rel, .. }
            | Found::CacheLink { rel, .. }
            | Found::Symlink { rel, .. }
            | Found::EmptyDir { rel } => rel,
        }
    }
}

/// What is at a tracked path right now.
pub enum PathState {
    Missing,
    File(Found),
    Dir(Vec<Found>),
    /// Something mlx cannot track (a socket, a fifo, a device).
    Other,
}

/// Look at `target` without following a final symlink (except symlinks into the cache).
pub fn inspect(root: &Path, target: &ProjectPath, cache: &Cache) -> Result<PathState, Error> {
    let abs = root.join(target.as_path());
    let meta = match std::fs::symlink_metadata(&abs) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PathState::Missing),
        Err(_) => return Ok(PathState::Missing),
    };
    let name = RelPath::new(target.file_name()).expect("file names are valid relative paths");
    if meta.is_dir() {
        return Ok(PathState::Dir(scan_dir(root, target, cache)?));
    }
    classify(&abs, name, &meta, cache).map(|f| f.map_or(PathState::Other, PathState::File))
}

fn classify(
    abs: &Path,
    rel: RelPath,
    meta: &std::fs::Metadata,
    cache: &Cache,
) -> Result<Option<Found>, Error> {
    let ft = meta.file_type();
    if ft.is_file() {
        return Ok(Some(Found::File {
            rel,
            stamp: FileStamp::of(meta),
            executable: fs_util::is_executable(meta),
        }));
    }
    if ft.is_symlink() {
        let target = fs::read_link(abs)?;
        if let Some(id) = cache.id_of_path(&target)
            && let Ok(obj) = std::fs::metadata(&target)
        {
            return Ok(Some(Found::CacheLink { rel, id, size: obj.len() }));
        }
        return Ok(Some(Found::Symlink { rel, target }));
    }
    Ok(None)
}

/// Walk a tracked directory: files, symlinks and empty folders, `.mlxignore` applied, `.git`
/// folders and mlx's temp files skipped. Sorted by path bytes.
pub fn scan_dir(root: &Path, dir: &ProjectPath, cache: &Cache) -> Result<Vec<Found>, Error> {
    let base = root.join(dir.as_path());
    let walker = walker(&base);
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut dirs: Vec<RelPath> = Vec::new();
    let mut non_empty: HashSet<PathBuf> = HashSet::new();
    for entry in walker.build() {
        let entry = entry.map_err(|e| match e.into_io_error() {
            Some(io) => Error::Io(io),
            None => {
                Error::Unsupported { path: base.clone(), what: "cannot read .mlxignore".into() }
            }
        })?;
        if entry.depth() == 0 {
            continue;
        }
        let rel_path = entry.path().strip_prefix(&base).expect("walk stays under its root");
        if let Some(parent) = rel_path.parent() {
            non_empty.insert(parent.to_path_buf());
        }
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            dirs.push(RelPath::new(rel_path)?);
        } else {
            paths.push(entry.into_path());
        }
    }
    // Stat in parallel: on a large tree this is most of the time of a no-op status.
    let mut found = paths
        .par_iter()
        .map(|path| {
            let rel_path = path.strip_prefix(&base).expect("walk stays under its root");
            let rel = RelPath::new(rel_path)?;
            let meta = std::fs::symlink_metadata(path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("failed to stat {}: {e}", path.display()))
            })?;
            classify(path, rel, &meta, cache)?.ok_or_else(|| Error::Unsupported {
                path: dir.as_path().join(rel_path),
                what: "is not a regular file, directory or symlink (list it in .mlxignore)".into(),
            })
        })
        .collect::<Result<Vec<Found>, Error>>()?;
    for d in dirs {
        if !non_empty.contains(d.as_path()) {
            found.push(Found::EmptyDir { rel: d });
        }
    }
    found.sort_unstable_by(|a, b| a.rel().as_bytes().cmp(b.rel().as_bytes()));
    Ok(found)
}

/// The walk of a tracked directory: everything but `.git` folders and what `.mlxignore` files
/// leave out, symlinks not followed.
fn walker(base: &Path) -> ignore::WalkBuilder {
    let mut walker = ignore::WalkBuilder::new(base);
    walker
        .standard_filters(false)
        .hidden(false)
        .parents(true)
        .follow_links(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        // Temp files of mlx processes (running, or killed mid-write) are never the user's.
        .filter_entry(|e| e.file_name() != ".git" && !fs_util::is_temp_name(e.file_name()));
    walker
}

/// How many files (and symlinks) tracking directory `dir` would take in, `.mlxignore` applied:
/// the walk of [`scan_dir`] without reading any file's metadata.
pub fn count_files(root: &Path, dir: &ProjectPath) -> Result<u64, Error> {
    let base = root.join(dir.as_path());
    let mut n = 0;
    for entry in walker(&base).build() {
        let entry = entry.map_err(|e| match e.into_io_error() {
            Some(io) => Error::Io(io),
            None => {
                Error::Unsupported { path: base.clone(), what: "cannot read .mlxignore".into() }
            }
        })?;
        if entry.depth() > 0 && !entry.file_type().is_some_and(|t| t.is_dir()) {
            n += 1;
        }
    }
    Ok(n)
}

/// Hash one workspace file (project-relative `key`), using and feeding the stat cache.
pub fn hash_tracked_file(
    root: &Path,
    key: &RelPath,
    stamp: FileStamp,
    stat: &StatCache,
) -> Result<ObjectId, Error> {
    if let Some(id) = stat.lookup(key, &stamp) {
        return Ok(id);
    }
    let abs = root.join(key.as_path());
    let hashed_at = SystemTime::now();
    let id = hash_file(&abs)?;
    let after = FileStamp::of(&fs::symlink_metadata(&abs)?);
    if after != stamp {
        return Err(Error::ChangedWhileReading { path: key.as_path().to_path_buf() });
    }
    if !stamp.is_racy(hashed_at) {
        stat.record(key, stamp, id);
    }
    Ok(id)
}

/// Turn scanned entries into manifest entries, hashing files in parallel.
pub fn hash_found(
    root: &Path,
    dir: &ProjectPath,
    found: &[Found],
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<Vec<Entry>, Error> {
    reporter.start("hashing", found.len() as u64);
    let entries = found
        .par_iter()
        .map(|f| {
            let entry = match f {
                Found::File { rel, stamp, executable } => {
                    let hash = hash_tracked_file(root, &dir.join(rel), *stamp, stat)?;
                    Entry {
                        path: rel.clone(),
                        kind: EntryKind::File { hash, size: stamp.size, executable: *executable },
                    }
                }
                Found::CacheLink { rel, id, size } => Entry {
                    path: rel.clone(),
                    kind: EntryKind::File { hash: *id, size: *size, executable: false },
                },
                Found::Symlink { rel, target } => {
                    Entry { path: rel.clone(), kind: EntryKind::Symlink { target: target.clone() } }
                }
                Found::EmptyDir { rel } => Entry { path: rel.clone(), kind: EntryKind::EmptyDir },
            };
            reporter.advance(1);
            Ok(entry)
        })
        .collect::<Result<Vec<_>, Error>>();
    reporter.finish();
    entries
}
