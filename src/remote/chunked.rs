//! Objects stored as chunks, moved between the cache and a remote chunk by chunk: a push sends
//! the chunks the remote lacks and then the chunk list; a fetch reads the remote's chunk list,
//! downloads the chunks the cache lacks (each checked against its name) and assembles the whole
//! file once, in the cache's staging area, where it is checked against the object's own hash.

use rayon::prelude::*;

use super::{Error as RemoteError, Remote};
use crate::error::{Error, Result};
use crate::store::chunks::ChunkList;
use crate::store::{Cache, ObjectId, Staged};

/// Chunks fetched at once while assembling a file (about 16 MiB).
const WINDOW: usize = 256;

/// What a chunked push or fetch moved.
#[derive(Debug, Default, Clone, Copy)]
pub struct Moved {
    pub chunks: u64,
    pub bytes: u64,
}

/// Push the object `list` describes: the chunks the remote lacks, `jobs` at a time, then the
/// list. `None` when the remote already has this chunk list (nothing sent); with `repair` a
/// list found there is not trusted: chunks missing under it are sent again.
pub fn upload(
    remote: &Remote,
    cache: &Cache,
    list: &ChunkList,
    jobs: usize,
    repair: bool,
) -> Result<Option<Moved>> {
    let encoded = list.encode();
    let listed = remote.get_list(&list.file)?.is_some_and(|there| there == encoded);
    if listed && !repair {
        return Ok(None);
    }
    let distinct = list.distinct();
    let there = remote.present(&distinct)?;
    let mut first: std::collections::HashMap<ObjectId, usize> = Default::default();
    for (i, (id, _)) in list.chunks.iter().enumerate() {
        first.entry(*id).or_insert(i);
    }
    let todo: Vec<usize> = distinct
        .iter()
        .filter(|id| there.get(id).is_none_or(|size| *size != u64::from(list.chunks[first[id]].1)))
        .map(|id| first[id])
        .collect();
    if listed && todo.is_empty() {
        return Ok(None);
    }
    let moved = std::sync::Mutex::new(Moved::default());
    let failures = super::transfers::run_parallel(jobs, &todo, |&i| {
        let data = cache.chunk_bytes(list, i)?;
        let len = data.len() as u64;
        crate::fault::point("push.chunk");
        remote.put_object_bytes(&list.chunks[i].0, data)?;
        let mut m = moved.lock().expect("counts poisoned");
        m.chunks += 1;
        m.bytes += len;
        Ok(())
    })?;
    if let Some(e) = super::transfers::transfers_error(failures, todo.len()) {
        return Err(e);
    }
    remote.finish_writes()?;
    // The list last: once it is there, every chunk it names is.
    remote.put_list(list)?;
    let mut moved = moved.into_inner().expect("counts poisoned");
    moved.bytes += encoded.len() as u64;
    Ok(Some(moved))
}

/// Fetch `id` from the remote's chunk list, if it has one: the chunks the cache lacks are
/// downloaded (`jobs` at a time, each checked), the file is assembled once into the cache's
/// staging area and checked whole. Returns the staged object and its chunk list (to be stored
/// once the object is committed), or `None` when the remote has no chunk list for `id`.
pub fn download(
    remote: &Remote,
    cache: &Cache,
    id: &ObjectId,
    jobs: usize,
) -> Result<Option<(Staged, ChunkList, Moved)>> {
    let Some(bytes) = remote.get_list(id)? else { return Ok(None) };
    let list = ChunkList::decode(&bytes, id).map_err(|_| RemoteError::CorruptObject {
        remote: remote.name().to_owned(),
        id: *id,
        actual: crate::store::hash_bytes(&bytes),
        size: bytes.len() as u64,
    })?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .thread_name(|i| format!("mlx-chunks-{i}"))
        .build()
        .map_err(std::io::Error::other)?;
    let (tmp, file) = cache.temp_file()?;
    let mut out = std::io::BufWriter::with_capacity(4 << 20, file);
    let mut whole = blake3::Hasher::new();
    let mut moved = Moved::default();
    let result = (|| -> Result<()> {
        use std::io::Write;
        for window in list.chunks.chunks(WINDOW) {
            let got: Vec<(Vec<u8>, bool)> = pool.install(|| {
                window
                    .par_iter()
                    .map(|(chunk, len)| -> Result<(Vec<u8>, bool)> {
                        if let Some(data) = cache.find_chunk(chunk, *len) {
                            return Ok((data, false));
                        }
                        // Checked against its name: a damaged chunk is refused here.
                        let data = remote.read_object(chunk)?;
                        if data.len() != *len as usize {
                            return Err(RemoteError::CorruptObject {
                                remote: remote.name().to_owned(),
                                id: *chunk,
                                actual: crate::store::hash_bytes(&data),
                                size: data.len() as u64,
                            }
                            .into());
                        }
                        Ok((data, true))
                    })
                    .collect::<Result<Vec<_>>>()
            })?;
            let mut buf = Vec::with_capacity(got.iter().map(|(d, _)| d.len()).sum());
            for (data, downloaded) in got {
                if downloaded {
                    moved.chunks += 1;
                    moved.bytes += data.len() as u64;
                }
                buf.extend_from_slice(&data);
            }
            // The whole file's hash on every core, a window at a time.
            whole.update_rayon(&buf);
            out.write_all(&buf)?;
        }
        out.flush()?;
        Ok(())
    })();
    drop(out);
    let fail = |e: Error| {
        let _ = std::fs::remove_file(&tmp);
        Err(e)
    };
    if let Err(e) = result {
        return fail(e);
    }
    let actual = ObjectId::from_bytes(*whole.finalize().as_bytes());
    if actual != *id {
        return fail(
            RemoteError::CorruptObject {
                remote: remote.name().to_owned(),
                id: *id,
                actual,
                size: list.size,
            }
            .into(),
        );
    }
    crate::fault::point("fetch.assemble");
    Ok(Some((cache.stage_verified(*id, tmp), list, moved)))
}

/// The cache's chunk list of `id`, when it stores `id` as chunks (or keeps one beside the
/// whole object).
pub fn local_list(cache: &Cache, id: &ObjectId) -> Result<Option<ChunkList>> {
    Ok(cache.read_list(id)?)
}

/// Whether the remote has `id` as a chunk list (a push need not send it).
pub fn on_remote(remote: &Remote, list: &ChunkList) -> Result<bool> {
    Ok(remote.get_list(&list.file)?.is_some_and(|there| there == list.encode()))
}
