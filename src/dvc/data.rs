//! DVC's data into mlx's cache: a file or folder named by its DVC MD5 becomes an mlx object (a
//! file) or manifest (a folder). Each file is read once from the DVC cache (or, when the cache
//! lacks it, from the work tree), hashed with MD5 and BLAKE3 together, and stored only when its
//! MD5 is the one DVC recorded; a folder with any such bad file is not imported at all. Also the
//! MD5 of what the work tree holds now, computed the way DVC does, to tell whether DVC would see
//! a path as changed.

use std::path::Path;

use rayon::prelude::*;

use super::cache::DvcCache;
use super::files::Entry as DvcEntry;
use super::md5::{self, DirEntry};
use crate::error::Result;
use crate::fs_util;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::store::cache::Staged;
use crate::store::manifest::{Entry, EntryKind, Manifest};
use crate::store::pointer::Kind;
use crate::store::workspace::{self, Found, PathState};
use crate::store::{ObjectId, StatCache};

/// Data taken in from DVC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub kind: Kind,
    /// The object, or the manifest of a folder.
    pub hash: ObjectId,
    pub size: u64,
    pub files: u64,
    pub md5: String,
    /// Objects newly put in the mlx cache (in a dry run: that would be), and their bytes.
    pub new_objects: u64,
    pub new_bytes: u64,
}

/// A file checked and staged: its hash and size, whether the cache lacks it, and its staged
/// copy (none in a dry run or when the cache has it).
struct Took {
    hash: ObjectId,
    size: u64,
    new: bool,
    staged: Option<Staged>,
}

/// A file of a folder taken in: its manifest entry and how it was taken; or why not.
type Taken = std::result::Result<(Entry, Took), String>;

/// A work-tree file hashed both ways (`None` for an entry DVC would not list).
type Hashed = Option<(Entry, Option<DirEntry>)>;

/// Where the import takes data from and puts it.
pub struct Source<'a> {
    pub project: &'a Project,
    pub dvc: &'a DvcCache,
    pub stat: &'a StatCache,
    /// Hash and check only: write nothing into the mlx cache (`--dry-run`).
    pub dry_run: bool,
}

/// One file of a folder (or a file) to take in.
struct Wanted<'a> {
    md5: &'a str,
    /// The work-tree copy, used when the DVC cache lacks the object.
    workspace: std::path::PathBuf,
    /// Its project path, checked before it is read (no folder above it may lead out of the
    /// work tree).
    rel: RelPath,
}

impl Source<'_> {
    /// Take in the data a DVC entry names at `target`. `Err(reason)` when it cannot be: no MD5,
    /// objects corrupt or nowhere to be found (nothing is stored for a folder then).
    pub fn import(
        &self,
        target: &RelPath,
        entry: &DvcEntry,
    ) -> Result<std::result::Result<Imported, String>> {
        let Some(md5_name) = entry.md5.as_deref().filter(|m| md5::is_md5(m)) else {
            return Ok(Err("its DVC entry has no MD5 (DVC has not recorded this data)".into()));
        };
        let legacy = entry.legacy();
        let abs = self.project.root().join(target.as_path());
        if !md5_name.ends_with(md5::DIR_SUFFIX) {
            let wanted = Wanted { md5: md5_name, workspace: abs, rel: target.clone() };
            return Ok(match self.take_file(&wanted, legacy)? {
                Ok(took) => {
                    self.project.cache().commit(took.staged.into_iter().collect(), self.stat)?;
                    Ok(Imported {
                        kind: Kind::File,
                        hash: took.hash,
                        size: took.size,
                        files: 1,
                        md5: md5_name.to_owned(),
                        new_objects: u64::from(took.new),
                        new_bytes: if took.new { took.size } else { 0 },
                    })
                }
                Err(why) => Err(why),
            });
        }
        let listing = match self.dvc.listing(md5_name, legacy) {
            Ok(Some(listing)) => listing,
            Ok(None) => match self.workspace_listing(target)? {
                Some(w) if w.md5 == md5_name => w.listing,
                Some(_) => {
                    return Ok(Err(format!(
                        "the DVC cache lacks the folder listing {md5_name}, and the work tree holds other content"
                    )));
                }
                None => {
                    return Ok(Err(format!(
                        "the folder listing {md5_name} is neither in the DVC cache nor in the work tree"
                    )));
                }
            },
            Err(e) => return Ok(Err(e.to_string())),
        };
        let results: Vec<Result<Taken>> = listing
            .par_iter()
            .map(|de| {
                let rel = RelPath::new(&de.relpath).expect("listings are checked when parsed");
                let file_abs = abs.join(rel.as_path());
                let wanted =
                    Wanted { md5: &de.md5, workspace: file_abs.clone(), rel: target.join(&rel) };
                Ok(self.take_file(&wanted, legacy)?.map(|took| {
                    let executable = std::fs::symlink_metadata(&file_abs)
                        .is_ok_and(|m| m.is_file() && fs_util::is_executable(&m));
                    let kind = EntryKind::File { hash: took.hash, size: took.size, executable };
                    (Entry { path: rel, kind }, took)
                }))
            })
            .collect();
        let mut entries = Vec::with_capacity(results.len());
        let mut staged = Vec::new();
        let mut bad = Vec::new();
        let mut failed = None;
        let (mut new_objects, mut new_bytes) = (0, 0);
        for r in results {
            match r {
                Ok(Ok((e, took))) => {
                    if took.new {
                        new_objects += 1;
                        new_bytes += took.size;
                    }
                    staged.extend(took.staged);
                    entries.push(e);
                }
                Ok(Err(why)) => bad.push(why),
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        let cache = self.project.cache();
        if let Some(e) = failed {
            staged.into_iter().for_each(|s| cache.discard(s));
            return Err(e);
        }
        if !bad.is_empty() {
            staged.into_iter().for_each(|s| cache.discard(s));
            bad.sort();
            let more = if bad.len() > 1 {
                format!(" (and {} more)", bad.len() - 1)
            } else {
                String::new()
            };
            return Ok(Err(format!("{}{more}", bad[0])));
        }
        // One durable commit for the folder's files (one `syncfs` for a large folder).
        cache.commit(staged, self.stat)?;
        let manifest = Manifest::new(entries);
        let bytes = manifest.encode();
        let hash = crate::store::hash_bytes(&bytes);
        if !self.project.cache().contains(&hash) {
            if !self.dry_run {
                self.project.cache().put_bytes(&bytes, self.stat)?;
            }
            new_objects += 1;
        }
        let (files, size) = manifest.totals();
        Ok(Ok(Imported {
            kind: Kind::Directory,
            hash,
            size,
            files,
            md5: md5_name.to_owned(),
            new_objects,
            new_bytes,
        }))
    }

    /// One file: from the DVC cache, else the work tree; checked against its MD5 while hashed
    /// with BLAKE3, then staged for the cache (the caller commits it).
    fn take_file(
        &self,
        wanted: &Wanted<'_>,
        legacy: bool,
    ) -> Result<std::result::Result<Took, String>> {
        let from_cache = self.dvc.object_path(wanted.md5, legacy);
        let src = match &from_cache {
            Some(p) => p.clone(),
            None if std::fs::symlink_metadata(&wanted.workspace).is_ok_and(|m| m.is_file()) => {
                if let Err(e) = self.project.work_tree().writable(&wanted.rel) {
                    return Ok(Err(format!(
                        "the work-tree copy of {} is not read: {e}",
                        wanted.md5
                    )));
                }
                wanted.workspace.clone()
            }
            None => {
                return Ok(Err(format!(
                    "object {} is neither in the DVC cache nor in the work tree",
                    wanted.md5
                )));
            }
        };
        let both = md5::hash_file(&src)?;
        if !matches_md5(&src, &both, wanted.md5, legacy)? {
            let whose = if from_cache.is_some() { "DVC cache object" } else { "work-tree copy of" };
            return Ok(Err(format!(
                "{whose} {} is corrupt: its content hashes to {}",
                wanted.md5,
                both.md5_hex()
            )));
        }
        let cache = self.project.cache();
        let took = |new, staged| Took { hash: both.blake3, size: both.size, new, staged };
        if cache.contains(&both.blake3) {
            return Ok(Ok(took(false, None)));
        }
        if self.dry_run {
            return Ok(Ok(took(true, None)));
        }
        let staged = cache.stage_copy(&src)?;
        if staged.id != both.blake3 {
            cache.discard(staged);
            return Ok(Err(format!("{} changed while it was read", src.display())));
        }
        Ok(Ok(took(true, Some(staged))))
    }

    /// The DVC MD5 of what the work tree holds at `target` now, with the mlx hash of the same
    /// content; `None` when nothing is there (or something DVC would not hash, such as a
    /// symlink out of a folder).
    pub fn workspace_listing(&self, target: &RelPath) -> Result<Option<WorkspaceData>> {
        workspace_data(self.project, target, self.stat)
    }
}

fn matches_md5(src: &Path, both: &md5::BothHashes, want: &str, legacy: bool) -> Result<bool> {
    if both.md5_hex() == want {
        return Ok(true);
    }
    if legacy {
        let data = fs_err::read(src)?;
        return Ok(md5::hex(&md5::dos2unix_md5(&data)) == want);
    }
    Ok(false)
}

/// What the work tree holds at a path: DVC's MD5 of it and mlx's hash.
#[derive(Debug, Clone)]
pub struct WorkspaceData {
    pub md5: String,
    pub kind: Kind,
    pub hash: ObjectId,
    pub size: u64,
    pub files: u64,
    /// For a folder: its files as DVC lists them.
    pub listing: Vec<DirEntry>,
}

/// See [`Source::workspace_listing`].
pub fn workspace_data(
    project: &Project,
    target: &RelPath,
    _stat: &StatCache,
) -> Result<Option<WorkspaceData>> {
    let root = project.root();
    let abs = root.join(target.as_path());
    match workspace::inspect(root, target, project.cache())? {
        PathState::Missing | PathState::Other => Ok(None),
        PathState::File(Found::File { .. } | Found::CacheLink { .. }) => {
            let both = md5::hash_file(&abs)?;
            Ok(Some(WorkspaceData {
                md5: both.md5_hex(),
                kind: Kind::File,
                hash: both.blake3,
                size: both.size,
                files: 1,
                listing: Vec::new(),
            }))
        }
        PathState::File(_) => Ok(None),
        PathState::Dir(found) => {
            let hashed: Vec<Result<Hashed>> = found
                .par_iter()
                .map(|f| {
                    Ok(match f {
                        Found::File { rel, executable, .. } => {
                            let both = md5::hash_file(&abs.join(rel.as_path()))?;
                            let relpath = rel.to_str().map(str::to_owned);
                            let Some(relpath) = relpath else { return Ok(None) };
                            Some((
                                Entry {
                                    path: rel.clone(),
                                    kind: EntryKind::File {
                                        hash: both.blake3,
                                        size: both.size,
                                        executable: *executable,
                                    },
                                },
                                Some(DirEntry { md5: both.md5_hex(), relpath }),
                            ))
                        }
                        Found::CacheLink { rel, .. } => {
                            let both = md5::hash_file(&abs.join(rel.as_path()))?;
                            let Some(relpath) = rel.to_str().map(str::to_owned) else {
                                return Ok(None);
                            };
                            Some((
                                Entry {
                                    path: rel.clone(),
                                    kind: EntryKind::File {
                                        hash: both.blake3,
                                        size: both.size,
                                        executable: false,
                                    },
                                },
                                Some(DirEntry { md5: both.md5_hex(), relpath }),
                            ))
                        }
                        Found::EmptyDir { rel } => {
                            Some((Entry { path: rel.clone(), kind: EntryKind::EmptyDir }, None))
                        }
                        Found::Symlink { .. } => None,
                    })
                })
                .collect();
            let mut entries = Vec::new();
            let mut listing = Vec::new();
            for h in hashed {
                let Some((e, d)) = h? else { return Ok(None) };
                entries.push(e);
                listing.extend(d);
            }
            let manifest = Manifest::new(entries);
            let (files, size) = manifest.totals();
            Ok(Some(WorkspaceData {
                md5: md5::dir_md5(&listing),
                kind: Kind::Directory,
                hash: manifest.id(),
                size,
                files,
                listing,
            }))
        }
    }
}
