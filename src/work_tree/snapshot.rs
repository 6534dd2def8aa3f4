//! Taking content into the cache: a file, or a directory and its manifest, hashed in parallel
//! and stored once, without doubling disk use where the filesystem allows (a reflink clone, or a
//! hardlink of the workspace file itself, which then becomes the read-only object). With `copy`
//! small files are read once, hashed from memory and written from the same buffer; large ones
//! are copied first and the copy is hashed, so every object is verified by construction.
//! `mlx add`, stage outputs and run artifacts share it.

use std::path::Path;
use std::time::SystemTime;

use rayon::prelude::*;

use crate::error::Result;
use crate::fs_util::FileStamp;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, check_symlink_target};
use crate::store::cache::Staged;
use crate::store::link::LinkType;
use crate::store::manifest::{Entry, EntryKind, Manifest};
use crate::store::pointer::{self, Kind, Pointer};
use crate::store::workspace::{self, Found, PathState};
use crate::store::{self, Error, ObjectId, StatCache, hash::LARGE_FILE, hash_bytes};

/// Store the content at `target` in the cache (a file, or a directory and its manifest) and
/// return the pointer that would describe it, with the number of new objects. Writes no
/// pointer: `add` does that; run artifacts only record the result. The caller holds the lock.
pub fn snapshot(
    project: &Project,
    target: &ProjectPath,
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<(Pointer, u64)> {
    let root = project.root();
    let unsupported = |what: &str| Error::Unsupported {
        path: target.as_path().to_path_buf(),
        what: what.to_owned(),
    };
    let (pointer, new_objects) = match workspace::inspect(root, target, project.cache())? {
        PathState::Missing => {
            return Err(Error::NotFound { path: target.as_path().to_path_buf() }.into());
        }
        PathState::Other => return Err(unsupported("is not a regular file or directory").into()),
        PathState::File(Found::Symlink { target: to, .. }) => {
            return Err(unsupported(&format!(
                "is a symlink (to {}); add the file or directory it points to instead",
                to.display()
            ))
            .into());
        }
        PathState::File(Found::CacheLink { id, size, .. }) => {
            (Pointer::new(Kind::File, id, size, 1), 0)
        }
        PathState::File(Found::File { stamp, executable, .. }) => {
            reporter.start("adding", 1);
            let (id, staged) = ingest(project, target, stamp, executable, stat)?;
            let new = u64::from(staged.is_some());
            project.cache().commit(staged.into_iter().collect(), stat)?;
            link_back(project, target, id, executable, stat)?;
            reporter.finish();
            (Pointer::new(Kind::File, id, stamp.size, 1), new)
        }
        PathState::File(Found::EmptyDir { .. }) => {
            return Err(unsupported("is not a regular file or directory").into());
        }
        PathState::Dir(found) => add_dir(project, target, &found, stat, reporter)?,
    };
    Ok((pointer, new_objects))
}

fn add_dir(
    project: &Project,
    target: &ProjectPath,
    found: &[Found],
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<(Pointer, u64)> {
    let root = project.root();
    for f in found {
        match f {
            Found::Symlink { rel, target: to } => {
                check_symlink_target(&target.join(rel), to)?;
            }
            Found::File { rel, .. } if rel.file_name().as_encoded_bytes().ends_with(b".mlx") => {
                let inner = target.join(rel);
                if let Some(t) = pointer::target_of(&inner)
                    && Pointer::read(root, &t).is_ok()
                {
                    return Err(Error::ContainsTracked {
                        path: target.as_path().to_path_buf(),
                        inner: t.as_path().to_path_buf(),
                    }
                    .into());
                }
            }
            _ => {}
        }
    }
    reporter.start("adding", found.len() as u64);
    let ingested = found
        .par_iter()
        .map(|f| {
            let out = match f {
                Found::File { rel, stamp, executable } => {
                    let key = target.join(rel);
                    let (hash, staged) = ingest(project, &key, *stamp, *executable, stat)?;
                    let kind = EntryKind::File { hash, size: stamp.size, executable: *executable };
                    (Entry { path: rel.clone(), kind }, staged)
                }
                Found::CacheLink { rel, id, size } => {
                    let kind = EntryKind::File { hash: *id, size: *size, executable: false };
                    (Entry { path: rel.clone(), kind }, None)
                }
                Found::Symlink { rel, target: to } => {
                    let kind = EntryKind::Symlink { target: to.clone() };
                    (Entry { path: rel.clone(), kind }, None)
                }
                Found::EmptyDir { rel } => {
                    (Entry { path: rel.clone(), kind: EntryKind::EmptyDir }, None)
                }
            };
            reporter.advance(1);
            Ok(out)
        })
        .collect::<Result<Vec<(Entry, Option<Staged>)>>>();
    reporter.finish();
    let (entries, staged): (Vec<Entry>, Vec<Option<Staged>>) = ingested?.into_iter().unzip();
    let staged: Vec<Staged> = staged.into_iter().flatten().collect();
    let new_objects = staged.len() as u64;
    project.cache().commit(staged, stat)?;
    if project.linker().preferred().shares_object() {
        entries.par_iter().try_for_each(|e| match e.kind {
            EntryKind::File { hash, executable, .. } => {
                link_back(project, &target.join(&e.path), hash, executable, stat)
            }
            _ => Ok(()),
        })?;
    }
    let manifest = Manifest::new(entries);
    let (files, size) = manifest.totals();
    let bytes = manifest.encode();
    let id = hash_bytes(&bytes);
    let new_manifest = !project.cache().contains(&id);
    project.cache().put_bytes(&bytes, stat)?;
    Ok((Pointer::new(Kind::Directory, id, size, files), new_objects + u64::from(new_manifest)))
}

/// Put one workspace file's content into the cache (staged, not yet visible).
/// Returns its hash and the staged object, or `None` when the cache already has it.
fn ingest(
    project: &Project,
    key: &ProjectPath,
    stamp: FileStamp,
    executable: bool,
    stat: &StatCache,
) -> Result<(ObjectId, Option<Staged>)> {
    let cache = project.cache();
    let linker = project.linker();
    let abs = project.root().join(key.as_path());
    if let Some(id) = stat.lookup(key, &stamp)
        && cache.contains(&id)
    {
        return Ok((id, None));
    }
    let unchanged = |abs: &Path| -> Result<()> {
        let now = FileStamp::of(&fs_err::symlink_metadata(abs)?);
        if now.size != stamp.size || now.mtime_ns != stamp.mtime_ns {
            return Err(Error::ChangedWhileReading { path: key.as_path().to_path_buf() }.into());
        }
        Ok(())
    };
    loop {
        let mode = linker.preferred();
        let hashed_at = SystemTime::now();
        match mode {
            LinkType::Hardlink | LinkType::Symlink if !executable => {
                let id = workspace::hash_tracked_file(project.root(), key, stamp, stat)?;
                if cache.contains(&id) {
                    return Ok((id, None));
                }
                match cache.stage_hardlink(&abs, id) {
                    Ok(staged) => {
                        unchanged(&abs)?;
                        return Ok((id, Some(staged)));
                    }
                    Err(e) if store::link::refused_by_filesystem(&e) => {
                        if mode == LinkType::Hardlink {
                            linker.refuse(LinkType::Hardlink);
                            continue;
                        }
                        // Symlink mode on a filesystem without hardlinks: copy in.
                        let staged = cache.stage_copy(&abs)?;
                        unchanged(&abs)?;
                        return Ok((staged.id, Some(staged)));
                    }
                    Err(e) => return Err(Error::Io(e).into()),
                }
            }
            LinkType::Reflink => match cache.stage_reflink(&abs) {
                Ok(staged) => {
                    unchanged(&abs)?;
                    if !stamp.is_racy(hashed_at) {
                        stat.record(key, stamp, staged.id);
                    }
                    return Ok(finish_staged(project, staged));
                }
                Err(e) if store::link::refused_by_filesystem(&e) => {
                    linker.refuse(LinkType::Reflink);
                }
                Err(e) => return Err(Error::Io(e).into()),
            },
            _ if cache.chunks_file(stamp.size) => {
                return ingest_chunked(project, &abs, key, stamp, hashed_at, stat, unchanged);
            }
            _ => {
                let staged = if stamp.size < LARGE_FILE {
                    let data = fs_err::read(&abs)?;
                    unchanged(&abs)?;
                    let id = hash_bytes(&data);
                    if !stamp.is_racy(hashed_at) {
                        stat.record(key, stamp, id);
                    }
                    if cache.contains(&id) {
                        return Ok((id, None));
                    }
                    // Just asked: no need to ask the cache again (as `finish_staged` does).
                    return Ok((id, Some(cache.stage_bytes(id, &data)?)));
                } else {
                    let staged = cache.stage_copy(&abs)?;
                    unchanged(&abs)?;
                    if !stamp.is_racy(hashed_at) {
                        stat.record(key, stamp, staged.id);
                    }
                    staged
                };
                return Ok(finish_staged(project, staged));
            }
        }
    }
}

/// Store a big file as content-defined chunks: only the chunks the cache lacks are written
/// (and made durable here, before anything names them); the chunk list comes back staged.
fn ingest_chunked(
    project: &Project,
    abs: &Path,
    key: &ProjectPath,
    stamp: FileStamp,
    hashed_at: SystemTime,
    stat: &StatCache,
    unchanged: impl Fn(&Path) -> Result<()>,
) -> Result<(ObjectId, Option<Staged>)> {
    let cache = project.cache();
    let mut chunks = Vec::new();
    let mut staged: Vec<Staged> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let file = fs_err::File::open(abs)?;
    let split = store::chunks::split(file, |batch| {
        let ids: Vec<ObjectId> = batch.par_iter().map(|c| hash_bytes(c)).collect();
        for (data, id) in batch.iter().zip(ids) {
            chunks.push((id, u32::try_from(data.len()).expect("chunks are small")));
            if seen.insert(id) && !cache.contains_whole(&id) {
                staged.push(cache.stage_bytes(id, data)?);
            }
        }
        Ok(())
    });
    let discard = |staged: Vec<Staged>| staged.into_iter().for_each(|s| cache.discard(s));
    let (id, size) = match split.map_err(Error::from).map(|r| (r, unchanged(abs))) {
        Ok((r, Ok(()))) => r,
        Ok((_, Err(e))) => {
            discard(staged);
            return Err(e);
        }
        Err(e) => {
            discard(staged);
            return Err(e.into());
        }
    };
    if !stamp.is_racy(hashed_at) {
        stat.record(key, stamp, id);
    }
    if cache.contains(&id) {
        discard(staged);
        return Ok((id, None));
    }
    cache.commit(staged, stat)?;
    let list = store::chunks::ChunkList { file: id, size, chunks };
    Ok((id, Some(cache.stage_list(&list)?)))
}

fn finish_staged(project: &Project, staged: Staged) -> (ObjectId, Option<Staged>) {
    let id = staged.id;
    if project.cache().contains(&id) {
        project.cache().discard(staged);
        (id, None)
    } else {
        (id, Some(staged))
    }
}

/// With hardlink or symlink placement, make the workspace file share the cache object.
fn link_back(
    project: &Project,
    key: &ProjectPath,
    id: ObjectId,
    executable: bool,
    stat: &StatCache,
) -> Result<()> {
    let linker = project.linker();
    if executable || !linker.preferred().shares_object() {
        return Ok(());
    }
    let abs = project.root().join(key.as_path());
    let object = project.cache().object_path(&id);
    let ws = fs_err::symlink_metadata(&abs)?;
    if ws.file_type().is_symlink() {
        return Ok(());
    }
    let obj = fs_err::metadata(&object)?;
    use std::os::unix::fs::MetadataExt;
    if linker.preferred() == LinkType::Hardlink && ws.ino() == obj.ino() && ws.dev() == obj.dev() {
        stat.record(key, FileStamp::of(&ws), id);
        return Ok(());
    }
    let used = linker.place(&object, &abs, false)?;
    if used != LinkType::Symlink {
        stat.record(key, FileStamp::of(&fs_err::symlink_metadata(&abs)?), id);
    }
    Ok(())
}
