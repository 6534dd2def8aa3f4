//! Objects stored as chunks, moved between the cache and a remote chunk by chunk: a push sends
//! the chunks the remote lacks and then the chunk list; a fetch reads the remote's chunk list,
//! downloads the chunks the cache lacks (each checked against its name) and assembles the whole
//! file once, in the cache's staging area, where it is checked against the object's own hash.

use rayon::prelude::*;

use super::{Error as RemoteError, Remote};
use crate::error::{Error, Result};
use crate::store::chunks::ChunkList;
use crate::store::{Cache, ObjectId, Staged};

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
    // A list is written only after every chunk it names: one found there is trusted (a plain
    // push trusts objects it finds), unless repairing, when it must be this list.
    if !repair && remote.has_list(&list.file)? {
        return Ok(None);
    }
    let listed = repair && remote.get_list(&list.file)?.is_some_and(|there| there == encoded);
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
    // Where each chunk starts in the file (read from the whole object when not stored apart).
    let offsets: Vec<u64> = list
        .chunks
        .iter()
        .scan(0u64, |at, (_, len)| {
            let start = *at;
            *at += u64::from(*len);
            Some(start)
        })
        .collect();
    let moved = std::sync::Mutex::new(Moved::default());
    let failures = super::transfers::run_parallel(jobs, &todo, |&i| {
        let data = cache.chunk_bytes(list, i, offsets[i])?;
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
/// downloaded (`jobs` at a time) and the file is assembled once into the cache's staging area,
/// hashed whole as it is written, while what is written goes on to the disk. The whole file's
/// hash is what proves it: a chunk is checked against its own name only when that fails, to
/// say which one is damaged. `progress` hears of each window's bytes as they are assembled.
/// Returns the staged object and its chunk list (to be stored once the object is committed),
/// or `None` when the remote has no chunk list for `id`.
pub fn download(
    remote: &Remote,
    cache: &Cache,
    id: &ObjectId,
    jobs: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<(Staged, ChunkList, Moved)>> {
    let Some(bytes) = remote.get_list(id)? else { return Ok(None) };
    let list = ChunkList::decode(&bytes, id).map_err(|_| RemoteError::CorruptObject {
        remote: remote.name().to_owned(),
        id: *id,
        actual: crate::store::hash_bytes(&bytes),
        size: bytes.len() as u64,
    })?;
    // A folder remote is read from memory or a local disk: more readers than cores only
    // contend for them.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let readers = if remote.is_local() { jobs.clamp(1, 2 * cores) } else { jobs.max(1) };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(readers)
        .thread_name(|i| format!("mlx-chunks-{i}"))
        .build()
        .map_err(std::io::Error::other)?;
    let (tmp, file) = cache.temp_file()?;
    let fail = |e: Error| {
        let _ = std::fs::remove_file(&tmp);
        Err(e)
    };
    let (whole, moved) = match assemble(remote, cache, &list, &pool, file.file(), progress) {
        Ok(done) => done,
        Err(e) => return fail(e),
    };
    drop(file);
    if whole != Some(*id) {
        // Say which chunk is damaged when one is; else the list does not make up the file.
        let e = damaged_chunk(remote, cache, &list, &pool).unwrap_or_else(|| {
            RemoteError::CorruptObject {
                remote: remote.name().to_owned(),
                id: *id,
                actual: whole.unwrap_or_else(|| crate::store::hash_bytes(&bytes)),
                size: list.size,
            }
            .into()
        });
        return fail(e);
    }
    crate::fault::point("fetch.assemble");
    Ok(Some((cache.stage_verified(*id, tmp), list, moved)))
}

/// Bytes assembled at a time: whole chunks adding up to at least this much.
const WINDOW_BYTES: u64 = 16 << 20;
/// Windows in flight: one being filled, one being hashed and written, one spare.
const BUFFERS: usize = 3;

/// Assemble the file `list` describes into `file`. Readers on `pool` fill a window's buffer
/// chunk by chunk (from the cache when it has a chunk, else from the remote); one thread hashes
/// filled windows in order, another writes them, and a third asks the disk to take what is
/// written (`fdatasync`) as it goes, so the final sync has little left to wait for. Returns
/// the whole content's hash, or `None` when a remote chunk had the wrong size.
fn assemble(
    remote: &Remote,
    cache: &Cache,
    list: &ChunkList,
    pool: &rayon::ThreadPool,
    file: &std::fs::File,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Option<ObjectId>, Moved)> {
    use std::sync::{Arc, mpsc};
    let windows = windows(&list.chunks);
    let capacity = windows.iter().map(|w| w.1).max().unwrap_or(0) as usize;
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS.min(windows.len()) {
        free_tx.send(vec![0u8; capacity]).expect("the receiver is here");
    }
    // A buffer goes back to the free list once both the hasher and the writer are done with it.
    let give_back = |tx: &mpsc::Sender<Vec<u8>>, buf: Arc<Vec<u8>>| {
        if let Some(buf) = Arc::into_inner(buf) {
            let _ = tx.send(buf);
        }
    };
    let mut moved = Moved::default();
    std::thread::scope(|scope| -> Result<(Option<ObjectId>, Moved)> {
        let (hash_tx, hash_rx) = mpsc::sync_channel::<(Arc<Vec<u8>>, usize)>(BUFFERS);
        let (write_tx, write_rx) = mpsc::sync_channel::<(Arc<Vec<u8>>, usize)>(BUFFERS);
        let (sync_tx, sync_rx) = mpsc::channel::<()>();
        let free = free_tx.clone();
        let hasher = scope.spawn(move || {
            let mut whole = blake3::Hasher::new();
            for (buf, n) in hash_rx {
                whole.update(&buf[..n]);
                give_back(&free, buf);
            }
            ObjectId::from_bytes(*whole.finalize().as_bytes())
        });
        let free = free_tx.clone();
        let writer = scope.spawn(move || -> std::io::Result<()> {
            use std::io::Write;
            let mut out = file;
            let mut result = Ok(());
            for (buf, n) in write_rx {
                if result.is_ok() {
                    result = out.write_all(&buf[..n]);
                    let _ = sync_tx.send(());
                }
                // After a failure, buffers still go back so the readers never wait on them.
                give_back(&free, buf);
            }
            result
        });
        let syncer = scope.spawn(move || -> std::io::Result<()> {
            while sync_rx.recv().is_ok() {
                while sync_rx.try_recv().is_ok() {}
                file.sync_data()?;
            }
            Ok(())
        });
        let mut filled = Ok(true);
        for &(ref range, bytes) in &windows {
            let mut buf = free_rx.recv().expect("buffers come back");
            let n = bytes as usize;
            match fill(remote, cache, &list.chunks[range.clone()], &mut buf[..n], pool) {
                Ok(Some(got)) => {
                    moved.chunks += got.chunks;
                    moved.bytes += got.bytes;
                }
                Ok(None) => {
                    filled = Ok(false);
                    break;
                }
                Err(e) => {
                    filled = Err(e);
                    break;
                }
            }
            progress(bytes);
            let buf = Arc::new(buf);
            if hash_tx.send((buf.clone(), n)).is_err() || write_tx.send((buf, n)).is_err() {
                break;
            }
        }
        drop((hash_tx, write_tx));
        let whole = hasher.join().expect("the hasher does not panic");
        let written = writer.join().expect("the writer does not panic");
        let synced = syncer.join().expect("the syncer does not panic");
        if !filled? {
            return Ok((None, moved));
        }
        written?;
        synced?;
        Ok((Some(whole), moved))
    })
}

/// The windows of a chunk list: ranges of chunk indices adding up to at least
/// [`WINDOW_BYTES`] (the last one less), with their byte counts.
fn windows(chunks: &[(ObjectId, u32)]) -> Vec<(std::ops::Range<usize>, u64)> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, (_, len)) in chunks.iter().enumerate() {
        bytes += u64::from(*len);
        if bytes >= WINDOW_BYTES {
            out.push((start..i + 1, bytes));
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < chunks.len() {
        out.push((start..chunks.len(), bytes));
    }
    out
}

/// Fill `buf` with `chunks`, in order, `pool`'s threads reading them at once: from the cache
/// when it holds a chunk intact, else from the remote, unchecked. `None` when a remote chunk
/// is not the length the list gives it.
fn fill(
    remote: &Remote,
    cache: &Cache,
    chunks: &[(ObjectId, u32)],
    buf: &mut [u8],
    pool: &rayon::ThreadPool,
) -> Result<Option<Moved>> {
    let mut slots = Vec::with_capacity(chunks.len());
    let mut rest = buf;
    for (_, len) in chunks {
        let (slot, tail) = rest.split_at_mut(*len as usize);
        slots.push(slot);
        rest = tail;
    }
    let got: Vec<Option<bool>> = pool.install(|| {
        chunks
            .par_iter()
            .zip(slots.into_par_iter())
            .map(|((chunk, len), slot)| -> Result<Option<bool>> {
                if let Some(data) = cache.find_chunk(chunk, *len) {
                    slot.copy_from_slice(&data);
                    return Ok(Some(false));
                }
                Ok(remote.read_into(chunk, slot)?.then_some(true))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut moved = Moved::default();
    for (downloaded, (_, len)) in got.into_iter().zip(chunks) {
        match downloaded {
            None => return Ok(None),
            Some(true) => {
                moved.chunks += 1;
                moved.bytes += u64::from(*len);
            }
            Some(false) => {}
        }
    }
    Ok(Some(moved))
}

/// After a whole-file hash failed: a chunk the cache lacks whose remote copy is damaged or
/// missing (each read again and checked against its name; the lowest id when several are).
fn damaged_chunk(
    remote: &Remote,
    cache: &Cache,
    list: &ChunkList,
    pool: &rayon::ThreadPool,
) -> Option<Error> {
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<(ObjectId, u32)> =
        list.chunks.iter().filter(|(id, _)| seen.insert(*id)).copied().collect();
    let mut errors: Vec<(ObjectId, Error)> = pool.install(|| {
        distinct
            .par_iter()
            .filter_map(|&(ref chunk, len)| {
                if cache.find_chunk(chunk, len).is_some() {
                    return None;
                }
                match remote.read_object(chunk) {
                    Ok(data) if data.len() == len as usize => None,
                    Ok(data) => Some(
                        RemoteError::CorruptObject {
                            remote: remote.name().to_owned(),
                            id: *chunk,
                            actual: crate::store::hash_bytes(&data),
                            size: data.len() as u64,
                        }
                        .into(),
                    ),
                    Err(e) => Some(e.into()),
                }
                .map(|e| (*chunk, e))
            })
            .collect()
    });
    errors.sort_by_key(|(id, _)| *id);
    errors.into_iter().next().map(|(_, e)| e)
}

/// The cache's chunk list of `id`, when it stores `id` as chunks (or keeps one beside the
/// whole object).
pub fn local_list(cache: &Cache, id: &ObjectId) -> Result<Option<ChunkList>> {
    Ok(cache.read_list(id)?)
}
