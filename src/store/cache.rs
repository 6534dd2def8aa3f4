//! The content-addressed cache: `<cache>/<2 hex>/<62 hex>` objects, read-only once written.
//!
//! Objects are staged in a per-process temp folder inside the cache (same filesystem), made
//! durable (fsync, or one `syncfs` for large batches), marked read-only and only then renamed
//! under their hash. A kill at any point leaves at most stray temp files, which the next
//! mutating command removes: the process's temp folder, and the temp files of small objects in
//! the shard folders that its journal (`tmp/PID/shards`) names. Objects read back for use are verified against the stat cache or
//! re-hashed; a corrupt one is moved to `<cache>/quarantine/` and never used.

use fs_err::os::unix::fs::OpenOptionsExt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use fs_err as fs;

use super::chunks::{self, ChunkList};
use super::{Error, ObjectId, StatCache, hash_bytes, hash_file};
use crate::fs_util::{self, FileStamp};

/// An object written to a temp file, not yet visible under its hash.
#[derive(Debug)]
pub struct Staged {
    pub id: ObjectId,
    tmp: PathBuf,
    /// Created writable (a hardlink of a workspace file): needs its mode set to read-only.
    needs_readonly: bool,
    /// Size, mtime and inode taken from the open file when staged (a rename keeps them).
    stamp: Option<FileStamp>,
    /// A chunk list (published as `ID.chunks`), not the object itself.
    list: bool,
}

pub struct Cache {
    dir: PathBuf,
    tmp: PathBuf,
    tmp_ready: OnceLock<()>,
    /// Shard folders (`ab/`) known to exist.
    shards: [std::sync::atomic::AtomicBool; 256],
    /// Shard folders this process has put temp files in, each written to the journal
    /// `tmp/PID/shards` before its first temp file: what a dead process left is found by
    /// listing those shards only.
    journaled: [std::sync::atomic::AtomicBool; 256],
    journal: std::sync::Mutex<Option<fs::File>>,
    /// Temp files in shard folders not yet published or discarded.
    in_shards: AtomicU64,
    /// Files at or above this size are stored as chunks (`None`: never).
    chunk_threshold: Option<u64>,
    /// Chunks readable from whole objects kept beside their chunk lists (built on first use).
    chunks_in_whole: OnceLock<ChunkIndex>,
}

/// Chunk id → the whole object holding it, its offset there and its length.
type ChunkIndex = std::collections::HashMap<ObjectId, (ObjectId, u64, u32)>;

/// The journal of shard folders holding a process's temp files, in its temp folder.
const SHARD_JOURNAL: &str = "shards";

/// Batches larger than this are made durable with one `syncfs` instead of one fsync per file.
const SYNCFS_BATCH: usize = 16;

impl Cache {
    pub fn new(dir: PathBuf) -> Self {
        let tmp = dir.join("tmp").join(std::process::id().to_string());
        Cache {
            dir,
            tmp,
            tmp_ready: OnceLock::new(),
            shards: [const { std::sync::atomic::AtomicBool::new(false) }; 256],
            journaled: [const { std::sync::atomic::AtomicBool::new(false) }; 256],
            journal: std::sync::Mutex::new(None),
            in_shards: AtomicU64::new(0),
            chunk_threshold: None,
            chunks_in_whole: OnceLock::new(),
        }
    }

    /// Store files of `threshold` bytes or more as chunks (`None`: store every file whole).
    pub fn set_chunking(&mut self, threshold: Option<u64>) {
        self.chunk_threshold = threshold;
    }

    /// Whether a file of `size` bytes is stored as chunks.
    pub fn chunks_file(&self, size: u64) -> bool {
        self.chunk_threshold.is_some_and(|t| size >= t)
    }

    pub fn chunk_threshold(&self) -> Option<u64> {
        self.chunk_threshold
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn quarantine_dir(&self) -> PathBuf {
        self.dir.join("quarantine")
    }

    pub fn object_path(&self, id: &ObjectId) -> PathBuf {
        self.dir.join(id.rel_path())
    }

    /// Whether the cache holds `id`: whole, or as a chunk list (whose chunks it holds).
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.contains_whole(id) || self.has_list(id)
    }

    /// Whether the cache holds `id` as one file.
    pub fn contains_whole(&self, id: &ObjectId) -> bool {
        std::fs::symlink_metadata(self.object_path(id)).is_ok()
    }

    /// Where the chunk list of `id` is (or would be).
    pub fn list_path(&self, id: &ObjectId) -> PathBuf {
        let mut p = self.object_path(id).into_os_string();
        p.push(chunks::LIST_SUFFIX);
        PathBuf::from(p)
    }

    pub fn has_list(&self, id: &ObjectId) -> bool {
        std::fs::symlink_metadata(self.list_path(id)).is_ok()
    }

    /// The chunk list of `id`, if the cache has one. A damaged one is quarantined.
    pub fn read_list(&self, id: &ObjectId) -> Result<Option<ChunkList>, Error> {
        let path = self.list_path(id);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fs::read(&path).map(|_| ()).err().unwrap_or(e).into()),
        };
        match ChunkList::decode(&data, id) {
            Ok(list) => Ok(Some(list)),
            Err(message) => {
                let _ = self.quarantine_file(&path, &format!("{id}.chunks"));
                Err(Error::BadChunkList { id: *id, message })
            }
        }
    }

    /// Stage a chunk list (published as `ID.chunks` by [`Cache::commit`]). Commit it only
    /// after the chunks it names: a published list promises them.
    pub fn stage_list(&self, list: &ChunkList) -> io::Result<Staged> {
        let mut staged = self.stage_bytes(list.file, &list.encode())?;
        staged.list = true;
        staged.stamp = None;
        Ok(staged)
    }

    /// The chunk list of a big object the cache holds whole without one (added by hardlink or
    /// reflink, fetched from a remote that stores it whole, or kept by a run killed before its
    /// list was written): the object is split and checked against its hash, and the list is
    /// stored beside it (its chunks are ranges of the whole object). `None` when chunking is
    /// off or the object is below the threshold, or not held whole.
    pub fn list_whole_object(
        &self,
        id: &ObjectId,
        size: u64,
        stat: &StatCache,
    ) -> Result<Option<ChunkList>, Error> {
        if !self.chunks_file(size) || !self.contains_whole(id) {
            return Ok(None);
        }
        let mut chunks = Vec::new();
        let (whole, size) = chunks::split(fs::File::open(self.object_path(id))?, |batch| {
            use rayon::prelude::*;
            let ids: Vec<ObjectId> = batch.par_iter().map(|c| hash_bytes(c)).collect();
            chunks.extend(
                batch.iter().zip(ids).map(|(c, id)| (id, u32::try_from(c.len()).expect("small"))),
            );
            Ok(())
        })?;
        if whole != *id {
            return Err(self.quarantine_corrupt(id));
        }
        let list = ChunkList { file: *id, size, chunks };
        self.put_list(&list, stat)?;
        Ok(Some(list))
    }

    /// Store a chunk list durably (its chunks must be in the cache already).
    pub fn put_list(&self, list: &ChunkList, stat: &StatCache) -> io::Result<()> {
        let staged = self.stage_list(list)?;
        self.commit(vec![staged], stat)
    }

    /// The bytes of chunk `index` of `list`, which starts `offset` bytes into the file: its own
    /// object, or its range of the whole object. Checked against the chunk's hash; a damaged
    /// chunk object is quarantined.
    pub fn chunk_bytes(
        &self,
        list: &ChunkList,
        index: usize,
        offset: u64,
    ) -> Result<Vec<u8>, Error> {
        let (id, len) = list.chunks[index];
        if self.contains_whole(&id) {
            return self.read_verified(&id);
        }
        let path = self.object_path(&list.file);
        let mut buf = vec![0u8; len as usize];
        match std::fs::File::open(&path) {
            Ok(f) => {
                use std::os::unix::fs::FileExt;
                f.read_exact_at(&mut buf, offset)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::MissingObject { id });
            }
            Err(e) => return Err(e.into()),
        }
        if hash_bytes(&buf) != id {
            return Err(self.quarantine_corrupt(&list.file));
        }
        Ok(buf)
    }

    /// A chunk's bytes from the cache: its own object, or its range of a whole object kept
    /// beside its chunk list (a file fetched before, whose chunks are not stored apart).
    /// Checked against `id`; `None` when the cache has it nowhere intact.
    pub fn find_chunk(&self, id: &ObjectId, len: u32) -> Option<Vec<u8>> {
        if self.contains_whole(id)
            && let Ok(data) = self.read_verified(id)
        {
            return Some(data);
        }
        let index = self.chunks_in_whole.get_or_init(|| self.index_chunks_in_whole());
        let (object, offset, l) = index.get(id).copied()?;
        if l != len {
            return None;
        }
        let f = std::fs::File::open(self.object_path(&object)).ok()?;
        let mut buf = vec![0u8; len as usize];
        use std::os::unix::fs::FileExt;
        f.read_exact_at(&mut buf, offset).ok()?;
        (hash_bytes(&buf) == *id).then_some(buf)
    }

    fn index_chunks_in_whole(&self) -> ChunkIndex {
        let mut index = ChunkIndex::new();
        let Ok(entries) = self.list_entries() else { return index };
        for (id, _, is_list) in entries {
            if !is_list || !self.contains_whole(&id) {
                continue;
            }
            let Ok(Some(list)) = self.read_list(&id) else { continue };
            let mut offset = 0u64;
            for (chunk, len) in list.chunks {
                index.entry(chunk).or_insert((id, offset, len));
                offset += u64::from(len);
            }
        }
        index
    }

    /// Write the file `list` describes to `out` from its chunks, each checked, and check the
    /// whole. A damaged chunk is quarantined and reported as corrupt.
    pub fn assemble(&self, list: &ChunkList, out: &mut impl Write) -> Result<(), Error> {
        let mut whole = blake3::Hasher::new();
        for (id, len) in &list.chunks {
            let data = self.read_verified(id)?;
            if data.len() != *len as usize {
                return Err(self.quarantine_corrupt(id));
            }
            whole.update(&data);
            out.write_all(&data)?;
        }
        if ObjectId::from_bytes(*whole.finalize().as_bytes()) != list.file {
            return Err(Error::BadChunkList {
                id: list.file,
                message: "its chunks do not make up the file it names".into(),
            });
        }
        Ok(())
    }

    /// How many of `ids` the cache lacks.
    pub fn count_missing(&self, ids: &[ObjectId]) -> usize {
        self.missing(ids).len()
    }

    /// Those of `ids` the cache lacks, sorted. Shards holding many of them are listed with one
    /// directory read instead of one stat per object.
    pub fn missing(&self, ids: &[ObjectId]) -> Vec<ObjectId> {
        use rayon::prelude::*;
        let mut by_shard: std::collections::HashMap<u8, Vec<&ObjectId>> = Default::default();
        for id in ids {
            by_shard.entry(id.as_bytes()[0]).or_default().push(id);
        }
        let mut out: Vec<ObjectId> = by_shard
            .into_par_iter()
            .flat_map_iter(|(shard, wanted)| {
                let present: Option<std::collections::HashSet<std::ffi::OsString>> = (wanted.len()
                    >= 8)
                    .then(|| match std::fs::read_dir(self.dir.join(format!("{shard:02x}"))) {
                        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect(),
                        Err(_) => Default::default(),
                    });
                let lacks = move |id: &&ObjectId| match &present {
                    Some(p) => {
                        let name = &id.to_hex()[2..];
                        !p.contains(std::ffi::OsStr::new(name))
                            && !p.contains(std::ffi::OsStr::new(
                                &(name.to_owned() + chunks::LIST_SUFFIX),
                            ))
                    }
                    None => !self.contains(id),
                };
                wanted.into_iter().filter(lacks).copied().collect::<Vec<_>>()
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// If `path` is an object path in this cache, its id.
    pub fn id_of_path(&self, path: &Path) -> Option<ObjectId> {
        let rel = path.strip_prefix(&self.dir).ok()?;
        let mut parts = rel.iter();
        let (a, b) = (parts.next()?.to_str()?, parts.next()?.to_str()?);
        if parts.next().is_some() || a.len() != 2 {
            return None;
        }
        ObjectId::from_hex(&format!("{a}{b}")).ok()
    }

    fn tmp_file(&self) -> io::Result<PathBuf> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        self.ensure_tmp()?;
        Ok(self.tmp.join(COUNTER.fetch_add(1, Ordering::Relaxed).to_string()))
    }

    fn ensure_tmp(&self) -> io::Result<()> {
        if self.tmp_ready.get().is_none() {
            fs::create_dir_all(&self.tmp)?;
            let _ = self.tmp_ready.set(());
        }
        Ok(())
    }

    /// Write shard `b` to the journal before the first temp file goes there (see `journaled`).
    fn journal_shard(&self, b: usize) -> io::Result<()> {
        if self.journaled[b].load(Ordering::Acquire) {
            return Ok(());
        }
        let mut journal = self.journal.lock().expect("shard journal poisoned");
        if self.journaled[b].load(Ordering::Acquire) {
            return Ok(());
        }
        if journal.is_none() {
            self.ensure_tmp()?;
            let path = self.tmp.join(SHARD_JOURNAL);
            *journal = Some(fs::OpenOptions::new().create(true).append(true).open(path)?);
        }
        let file = journal.as_mut().expect("opened above");
        file.write_all(&[u8::try_from(b).expect("a shard is one byte")])?;
        self.journaled[b].store(true, Ordering::Release);
        Ok(())
    }

    /// The shard folder of `id`, created if needed.
    fn shard_dir(&self, id: &ObjectId) -> io::Result<PathBuf> {
        let b = usize::from(id.as_bytes()[0]);
        let dir = self.dir.join(format!("{b:02x}"));
        if !self.shards[b].load(Ordering::Relaxed) {
            fs::create_dir_all(&dir)?;
            self.shards[b].store(true, Ordering::Relaxed);
        }
        Ok(dir)
    }

    /// Stage bytes already hashed by the caller as `id`. The temp file sits in the object's own
    /// shard folder (named `.tmp-PID-N`, never a valid object name), so publishing it is a
    /// rename within one folder, which the filesystem does not serialize.
    pub fn stage_bytes(&self, id: ObjectId, data: &[u8]) -> io::Result<Staged> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        self.journal_shard(usize::from(id.as_bytes()[0]))?;
        let tmp = self.shard_dir(&id)?.join(format!(".tmp-{}-{n}", std::process::id()));
        // Created read-only: the open descriptor may still write it.
        self.in_shards.fetch_add(1, Ordering::Relaxed);
        let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o444).open(&tmp)?;
        f.write_all(data)?;
        let stamp = FileStamp::of(&f.metadata()?);
        Ok(Staged { id, tmp, needs_readonly: false, stamp: Some(stamp), list: false })
    }

    /// Stage a copy of `src`; the id is the hash of the staged copy itself, so the object is
    /// verified by construction.
    pub fn stage_copy(&self, src: &Path) -> io::Result<Staged> {
        let tmp = self.tmp_file()?;
        fs_util::copy_new_with_mode(src, &tmp, 0o444)?;
        let id = hash_file(&tmp)?;
        Ok(Staged { id, tmp, needs_readonly: false, stamp: None, list: false })
    }

    /// Stage a copy-on-write clone of `src`, hashed like `stage_copy`. Fails with the OS error
    /// when the filesystem cannot clone (the caller then stops trying).
    pub fn stage_reflink(&self, src: &Path) -> io::Result<Staged> {
        let tmp = self.tmp_file()?;
        if let Err(e) = reflink_copy::reflink(src, &tmp) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let id = hash_file(&tmp)?;
        Ok(Staged { id, tmp, needs_readonly: true, stamp: None, list: false })
    }

    /// Stage `src` by hardlinking it (no bytes copied): the workspace file becomes the object.
    /// Fails with the OS error when the filesystem refuses (caller falls back to a copy).
    pub fn stage_hardlink(&self, src: &Path, id: ObjectId) -> io::Result<Staged> {
        let tmp = self.tmp_file()?;
        std::fs::hard_link(src, &tmp)?;
        Ok(Staged { id, tmp, needs_readonly: true, stamp: None, list: false })
    }

    /// A new temp file in the staging area, for bytes that arrive in pieces (a download).
    pub fn temp_file(&self) -> io::Result<(PathBuf, fs::File)> {
        let tmp = self.tmp_file()?;
        let f = fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&tmp)?;
        Ok((tmp, f))
    }

    /// Stage a temp file from [`Cache::temp_file`] whose bytes the caller verified hash to `id`.
    pub fn stage_verified(&self, id: ObjectId, tmp: PathBuf) -> Staged {
        Staged { id, tmp, needs_readonly: true, stamp: None, list: false }
    }

    /// Drop a staged object without publishing it.
    pub fn discard(&self, staged: Staged) {
        if std::fs::remove_file(&staged.tmp).is_ok() && self.in_a_shard(&staged.tmp) {
            self.in_shards.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Whether a temp file sits in a shard folder (not in this process's temp folder).
    fn in_a_shard(&self, tmp: &Path) -> bool {
        !tmp.starts_with(&self.tmp)
    }

    /// Make staged objects durable and visible under their hashes, and record their stamps.
    pub fn commit(&self, staged: Vec<Staged>, stat: &StatCache) -> io::Result<()> {
        use rayon::prelude::*;
        if staged.is_empty() {
            return Ok(());
        }
        crate::fault::point("cache.commit");
        if staged.len() > SYNCFS_BATCH {
            rustix::fs::syncfs(fs::File::open(&self.dir)?.file())?;
        } else {
            for s in &staged {
                fs::File::open(&s.tmp)?.sync_all()?;
            }
        }
        let publish = |s: &Staged| -> io::Result<()> {
            // A hardlinked workspace file must not replace an object others may share; plain
            // staged bytes may (an existing object has the same content).
            if s.needs_readonly {
                if self.contains_whole(&s.id) {
                    let _ = std::fs::remove_file(&s.tmp);
                    return Ok(());
                }
                fs_util::set_readonly(&s.tmp)?;
            }
            let name = &s.id.to_hex()[2..];
            let name = if s.list { format!("{name}{}", chunks::LIST_SUFFIX) } else { name.into() };
            let dest = self.shard_dir(&s.id)?.join(name);
            crate::fault::point(if s.list { "cache.publish_list" } else { "cache.publish" });
            fs::rename(&s.tmp, &dest)?;
            if self.in_a_shard(&s.tmp) {
                self.in_shards.fetch_sub(1, Ordering::Relaxed);
            }
            if s.list {
                return Ok(());
            }
            let stamp = match s.stamp {
                Some(stamp) => stamp,
                None => FileStamp::of(&fs::metadata(&dest)?),
            };
            stat.record_object(s.id, stamp);
            Ok(())
        };
        staged.par_iter().try_for_each(publish)?;
        // The renames (directory entries) must be durable too.
        if staged.len() > SYNCFS_BATCH {
            rustix::fs::syncfs(fs::File::open(&self.dir)?.file())?;
        } else {
            let mut dirs: Vec<PathBuf> = staged
                .iter()
                .filter_map(|s| self.object_path(&s.id).parent().map(Path::to_path_buf))
                .collect();
            dirs.sort();
            dirs.dedup();
            for d in dirs {
                fs::File::open(&d)?.sync_all()?;
                fs_util::sync_parent(&d)?;
            }
        }
        Ok(())
    }

    /// Store bytes (a manifest) as an object, durably.
    pub fn put_bytes(&self, data: &[u8], stat: &StatCache) -> io::Result<ObjectId> {
        let id = hash_bytes(data);
        if !self.contains_whole(&id) {
            let staged = self.stage_bytes(id, data)?;
            self.commit(vec![staged], stat)?;
        }
        Ok(id)
    }

    /// Check an object before it is used: trusted when its stamp matches the one recorded at
    /// verification, else re-hashed. A mismatch quarantines it and returns `CorruptObject`.
    pub fn verify_before_use(&self, id: &ObjectId, stat: &StatCache) -> Result<FileStamp, Error> {
        let path = self.object_path(id);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            // Stored as chunks: put together and kept whole for the caller, which reads the
            // object's file (checkout places such files straight from their chunks instead).
            Err(e) if e.kind() == io::ErrorKind::NotFound && self.has_list(id) => {
                return self.store_whole(id, stat);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::MissingObject { id: *id });
            }
            Err(e) => return Err(fs::metadata(&path).map(|_| ()).err().unwrap_or(e).into()),
        };
        let stamp = FileStamp::of(&meta);
        if stat.object_verified(id, &stamp) {
            return Ok(stamp);
        }
        if hash_file(&path)? != *id {
            return Err(self.quarantine_corrupt(id));
        }
        stat.record_object(*id, stamp);
        Ok(stamp)
    }

    /// The path of `id` as one file, for readers that open it: an object stored only as chunks
    /// is put together first (every chunk and the whole checked) and kept whole beside its
    /// list. A missing object gives a path that does not exist, as before.
    pub fn whole_path(&self, id: &ObjectId) -> Result<PathBuf, Error> {
        if !self.contains_whole(id) && self.has_list(id) {
            self.store_whole(id, &StatCache::default())?;
        }
        Ok(self.object_path(id))
    }

    /// The size of object `id` as a file, whether it is stored whole or as chunks.
    pub fn object_size(&self, id: &ObjectId) -> Result<u64, Error> {
        match std::fs::metadata(self.object_path(id)) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match self.read_list(id)? {
                Some(list) => Ok(list.size),
                None => Err(Error::MissingObject { id: *id }),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Put an object stored as chunks together into the staging area (every chunk and the
    /// whole checked) and publish it whole beside its chunk list.
    fn store_whole(&self, id: &ObjectId, stat: &StatCache) -> Result<FileStamp, Error> {
        let Some(list) = self.read_list(id)? else { return Err(Error::MissingObject { id: *id }) };
        let (tmp, file) = self.temp_file()?;
        let mut out = io::BufWriter::with_capacity(1 << 20, file);
        let written = self
            .assemble(&list, &mut out)
            .and_then(|()| out.into_inner().map_err(|e| Error::Io(e.into_error())).map(drop));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        self.commit(vec![self.stage_verified(*id, tmp)], stat)?;
        Ok(FileStamp::of(&fs::metadata(self.object_path(id))?))
    }

    /// Read a (small) object fully and check its hash.
    pub fn read_verified(&self, id: &ObjectId) -> Result<Vec<u8>, Error> {
        let path = self.object_path(id);
        let mut buf = Vec::new();
        match std::fs::File::open(&path) {
            Ok(mut f) => f.read_to_end(&mut buf).map_err(|e| {
                io::Error::new(e.kind(), format!("failed to read {}: {e}", path.display()))
            })?,
            // Stored as chunks: put together in memory, every chunk and the whole checked.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let Some(list) = self.read_list(id)? else {
                    return Err(Error::MissingObject { id: *id });
                };
                self.assemble(&list, &mut buf)?;
                return Ok(buf);
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("failed to open {}: {e}", path.display()),
                )
                .into());
            }
        };
        if hash_bytes(&buf) != *id {
            return Err(self.quarantine_corrupt(id));
        }
        Ok(buf)
    }

    /// Quarantine an object found corrupt. Another thread may have moved it already; either
    /// way it is gone from the cache, which the error says.
    fn quarantine_corrupt(&self, id: &ObjectId) -> Error {
        match self.quarantine(id) {
            Ok(quarantined) => Error::CorruptObject { id: *id, quarantined },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Error::CorruptObject { id: *id, quarantined: self.quarantine_dir() }
            }
            Err(e) => Error::Io(e),
        }
    }

    /// Move an object out of the way, keeping its bytes for inspection.
    pub fn quarantine(&self, id: &ObjectId) -> io::Result<PathBuf> {
        self.quarantine_file(&self.object_path(id), &id.to_string())
    }

    fn quarantine_file(&self, path: &Path, name: &str) -> io::Result<PathBuf> {
        let dir = self.quarantine_dir();
        fs::create_dir_all(&dir)?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let dest = dir.join(format!("{name}.{stamp}"));
        fs::rename(path, &dest)?;
        Ok(dest)
    }

    /// Every object in the cache with its size. Stray files that are not objects are skipped;
    /// temp files of processes killed while writing are removed.
    /// An object stored as chunks is listed once, with the size of its chunk list (plus that
    /// of its whole copy, if the cache keeps one too); its chunks are objects of their own.
    pub fn list(&self) -> io::Result<Vec<(ObjectId, u64)>> {
        let mut sizes: std::collections::HashMap<ObjectId, u64> = Default::default();
        self.walk(
            |id, size, _| *sizes.entry(id).or_default() += size,
            // Never an object, safe to drop.
            |path| {
                let _ = std::fs::remove_file(path);
            },
        )?;
        let mut out: Vec<(ObjectId, u64)> = sizes.into_iter().collect();
        out.sort_unstable();
        Ok(out)
    }

    /// Every object and chunk list in the cache: id, size, and whether it is a chunk list.
    pub fn list_entries(&self) -> io::Result<Vec<(ObjectId, u64, bool)>> {
        let mut out = Vec::new();
        self.walk(|id, size, list| out.push((id, size, list)), |_| {})?;
        out.sort_unstable();
        Ok(out)
    }

    /// What the cache holds and what dead processes left in it, counted without changing
    /// anything (`mlx doctor`).
    pub fn survey(&self) -> io::Result<Survey> {
        let (mut objects, mut bytes, mut stray_temp) = (0, 0, 0);
        self.walk(
            |_, size, list| {
                objects += u64::from(!list);
                bytes += size;
            },
            |_| stray_temp += 1,
        )?;
        stray_temp += self.stale_tmp_dirs().len() as u64;
        let quarantined = match fs::read_dir(self.quarantine_dir()) {
            Ok(entries) => entries.count() as u64,
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        Ok(Survey { objects, bytes, stray_temp, quarantined })
    }

    /// Every object (`object` gets its id and size) and every temp file of a dead process in
    /// the shard folders (`stale` gets its path).
    fn walk(
        &self,
        mut object: impl FnMut(ObjectId, u64, bool),
        mut stale: impl FnMut(PathBuf),
    ) -> io::Result<()> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for shard in entries {
            let shard = shard?;
            let name = shard.file_name();
            let Some(prefix) = name.to_str().filter(|n| n.len() == 2) else { continue };
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for obj in fs::read_dir(shard.path())? {
                let obj = obj?;
                let Some(rest) = obj.file_name().to_str().map(str::to_owned) else { continue };
                if let Ok(id) = ObjectId::from_hex(&format!("{prefix}{rest}")) {
                    object(id, obj.metadata()?.len(), false);
                } else if let Some(id) = rest
                    .strip_suffix(chunks::LIST_SUFFIX)
                    .and_then(|r| ObjectId::from_hex(&format!("{prefix}{r}")).ok())
                {
                    object(id, obj.metadata()?.len(), true);
                } else if let Some(pid) = stale_tmp_pid(&rest)
                    && !process_alive(pid)
                {
                    stale(obj.path());
                }
            }
        }
        Ok(())
    }

    /// Delete an object (gc), whole and its chunk list (not its chunks: they are objects of
    /// their own). The read-only mode does not stop unlinking.
    pub fn remove(&self, id: &ObjectId) -> io::Result<()> {
        fs_util::remove_file_if_exists(&self.list_path(id))?;
        fs_util::remove_file_if_exists(&self.object_path(id))
    }

    /// Add to `keep` the chunks of every kept object stored as chunks (gc).
    pub fn keep_chunks(&self, keep: &mut std::collections::HashSet<ObjectId>) -> Result<(), Error> {
        let listed: Vec<ObjectId> = keep.iter().filter(|id| self.has_list(id)).copied().collect();
        for id in listed {
            if let Some(list) = self.read_list(&id)? {
                keep.extend(list.chunks.iter().map(|(c, _)| *c));
            }
        }
        Ok(())
    }

    /// Remove temp folders left by processes that no longer run (killed mid-write), and the
    /// temp files in the shard folders their journals name.
    pub fn clean_stale_tmp(&self) -> io::Result<usize> {
        let stale = self.stale_tmp_dirs();
        for dir in &stale {
            let pid = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let prefix = format!(".tmp-{pid}-");
            let shards = std::fs::read(dir.join(SHARD_JOURNAL)).unwrap_or_default();
            for shard in shards {
                let Ok(entries) = std::fs::read_dir(self.dir.join(format!("{shard:02x}"))) else {
                    continue;
                };
                for entry in entries.flatten() {
                    if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
                        fs_util::remove_file_if_exists(&entry.path())?;
                    }
                }
            }
            fs::remove_dir_all(dir)?;
        }
        Ok(stale.len())
    }

    /// The per-process temp folders (`tmp/<pid>`) of processes that no longer run.
    fn stale_tmp_dirs(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("tmp")) else { return Vec::new() };
        entries
            .flatten()
            .filter(|entry| {
                !entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<i32>().ok())
                    .is_some_and(process_alive)
            })
            .map(|entry| entry.path())
            .collect()
    }
}

/// What [`Cache::survey`] counts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Survey {
    pub objects: u64,
    pub bytes: u64,
    /// Temp files and folders of processes that no longer run.
    pub stray_temp: u64,
    /// Objects moved aside as corrupt.
    pub quarantined: u64,
}

impl Drop for Cache {
    /// This process's temp folder goes when it is empty (a successful run leaves nothing).
    /// Its shard journal goes first unless temp files it names are still in shard folders.
    fn drop(&mut self) {
        if self.tmp_ready.get().is_some() {
            if *self.in_shards.get_mut() == 0 {
                let _ = std::fs::remove_file(self.tmp.join(SHARD_JOURNAL));
            }
            let _ = std::fs::remove_dir(&self.tmp);
        }
    }
}

/// The pid in a shard temp file name `.tmp-PID-N`.
fn stale_tmp_pid(name: &str) -> Option<i32> {
    name.strip_prefix(".tmp-")?.split('-').next()?.parse().ok()
}

fn process_alive(pid: i32) -> bool {
    if pid == i32::try_from(std::process::id()).unwrap_or(-1) {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}
