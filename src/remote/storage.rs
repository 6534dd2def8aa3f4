//! One opened remote: a local folder, a folder over SSH, or an OpenDAL operator behind the same
//! blocking calls.
//! The network side runs on a private tokio runtime; callers use plain threads (a rayon pool
//! sized for the network) and block on each request.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use futures::TryStreamExt;
use opendal::Operator;

use super::Error;
use super::dal;
use super::local::LocalDir;
use super::ssh::SshDir;
use super::url::{self, Location, Storage};
use super::webdav::StreamedPut;
use crate::config::RemoteConfig;
use crate::store::{Cache, ObjectId, Staged, hash_bytes};

/// Objects up to this size move in one request; larger ones stream in parts.
const SINGLE_REQUEST: u64 = 16 << 20;
/// Part size of multipart uploads and ranged downloads.
const PART: usize = 16 << 20;
/// Parts of one object in flight at once.
const PARTS_IN_FLIGHT: usize = 4;
/// Objects over [`SINGLE_REQUEST`] moving at once, whatever the number of jobs: each holds up to
/// `PART * PARTS_IN_FLIGHT` bytes of buffers, so this bounds that memory (256 MiB), and a few
/// large objects in parts already fill a link.
const LARGE_AT_ONCE: usize = 4;
/// Default parallel transfers: network latency, not cores, is what they hide (a request to a
/// cloud store takes tens of milliseconds, most of it waiting).
const DEFAULT_JOBS: usize = 32;
/// Default parallel transfers over SSH: one connection carries them all, and the server's SFTP
/// process answers one request at a time.
const DEFAULT_SSH_JOBS: usize = 8;

pub struct Remote {
    name: String,
    shown: String,
    storage: Storage,
    jobs: usize,
    backend: Backend,
    /// MD5s of objects imported from DVC: one missing in mlx's layout is looked for in DVC's
    /// (see `dvc::index`).
    dvc_index: std::sync::RwLock<Option<std::sync::Arc<crate::dvc::index::Md5Index>>>,
}

enum Backend {
    Local(LocalDir),
    Ssh(SshDir),
    Dal {
        op: Operator,
        rt: tokio::runtime::Runtime,
        can_list: bool,
        can_write: bool,
        multi: bool,
        /// WebDAV: large objects are streamed from the file by mlx's own `PUT`.
        streamed: Option<StreamedPut>,
        /// Turns for objects over [`SINGLE_REQUEST`]: [`LARGE_AT_ONCE`] at a time.
        large: tokio::sync::Semaphore,
    },
}

impl Remote {
    /// Open a configured remote. `root` resolves relative folder URLs.
    pub fn open(root: &Path, name: &str, cfg: &RemoteConfig) -> Result<Remote, Error> {
        let raw = cfg.url.as_deref().ok_or_else(|| Error::Config {
            remote: name.to_owned(),
            message: "has no url: mlx remote modify NAME url URL".into(),
        })?;
        let shown = url::redact(raw);
        let location = url::parse(raw)
            .map_err(|e| Error::Config { remote: name.to_owned(), message: e.to_string() })?;
        // Whatever this remote logs in with never shows in a log line or a message.
        cfg.remember_secrets();
        if let Location::Webdav { user, password, .. } | Location::Http { user, password, .. } =
            &location
            && let (user, Some(password)) = dal::user_and_password(cfg, user, password)
        {
            crate::secrets::remember_login(user, password);
        }
        let default_jobs =
            if matches!(location, Location::Ssh { .. }) { DEFAULT_SSH_JOBS } else { DEFAULT_JOBS };
        let jobs = cfg.jobs.filter(|j| *j > 0).unwrap_or(default_jobs);
        // A folder remote inside the work tree (a committed `url = ".git/hooks"`, say) would have
        // push and gc write and delete among the project's own files.
        if let Location::Local { path } = &location
            && super::local::inside_work_tree(root, path)
        {
            return Err(Error::Config {
                remote: name.to_owned(),
                message: format!(
                    "{shown} is a folder inside this project's work tree; a folder remote must be \
                     outside it"
                ),
            });
        }
        let backend = match &location {
            Location::Local { path } => Backend::Local(LocalDir::new(root.join(path))),
            Location::Ssh { .. } => Backend::Ssh(SshDir::new(name, &shown, &location, cfg, jobs)?),
            _ => {
                // The process-wide HTTP client (reqwest, rustls): installed once, first use.
                opendal::install_default();
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                let op = {
                    let _guard = rt.enter();
                    dal::build(name, &shown, &location, cfg)?
                };
                let cap = op.info().capability();
                let streamed = match &location {
                    Location::Webdav { endpoint, root, user, password } => {
                        let (user, password) = dal::user_and_password(cfg, user, password);
                        Some(StreamedPut::new(
                            name,
                            &shown,
                            endpoint,
                            root,
                            user.map(str::to_owned),
                            password.map(str::to_owned),
                        )?)
                    }
                    _ => None,
                };
                Backend::Dal {
                    streamed,
                    large: tokio::sync::Semaphore::new(LARGE_AT_ONCE),
                    // Services without recursive listing get it walked for them.
                    can_list: cap.list,
                    can_write: cap.write,
                    multi: cap.write_can_multi,
                    op,
                    rt,
                }
            }
        };
        Ok(Remote {
            name: name.to_owned(),
            shown,
            storage: location.storage(),
            jobs,
            backend,
            dvc_index: std::sync::RwLock::new(None),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL with any password redacted.
    pub fn url(&self) -> &str {
        &self.shown
    }

    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// Whether this is a folder on this machine (or a mounted share).
    pub fn is_local(&self) -> bool {
        matches!(self.backend, Backend::Local(_))
    }

    /// Whether the storage can list its files (a plain HTTP server cannot).
    pub fn can_list(&self) -> bool {
        !matches!(self.backend, Backend::Dal { can_list: false, .. })
    }

    /// Whether this is a folder, here or on a server over SSH (not an object store).
    pub fn is_folder(&self) -> bool {
        matches!(self.backend, Backend::Local(_) | Backend::Ssh(_))
    }

    fn io_err(&self, path: &Path, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::NotFound && !path.exists() {
            return Error::Missing {
                remote: self.name.clone(),
                url: self.shown.clone(),
                storage: self.storage,
                detail: format!("{} does not exist", path.display()),
            };
        }
        Error::LocalIo { path: path.to_path_buf(), source: e }
    }

    fn dal_err(&self, e: &opendal::Error) -> Error {
        dal::classify(&self.name, &self.shown, self.storage, e)
    }

    fn cannot_list(&self) -> Error {
        Error::Config {
            remote: self.name.clone(),
            message: format!("{}: this storage cannot list its files", self.shown),
        }
    }

    fn read_only(&self) -> Error {
        Error::ReadOnly { remote: self.name.clone(), url: self.shown.clone() }
    }

    /// A cheap request that fails the way real work would: unreachable server, refused
    /// credentials, missing bucket.
    pub fn check(&self) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(l) => {
                if l.exists() {
                    Ok(())
                } else {
                    Err(self.io_err(l.root(), std::io::ErrorKind::NotFound.into()))
                }
            }
            Backend::Ssh(s) => s.check(),
            // Listing one folder reaches the server the way real work does (S3 answers a
            // missing bucket only to a listing); an HTTP remote gets a request for an object.
            // A folder or object that does not exist yet is fine: nothing was pushed.
            Backend::Dal { op, rt, can_list, .. } => {
                let probe = if *can_list {
                    rt.block_on(async { op.lister_with("00/").await?.try_next().await.map(|_| ()) })
                } else {
                    rt.block_on(op.stat(&key_of(&ObjectId::from_bytes([0; 32])))).map(|_| ())
                };
                match probe {
                    Ok(()) => Ok(()),
                    Err(e) if *can_list => self.listing_err(&e).map_or(Ok(()), Err),
                    Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(self.dal_err(&e)),
                }
            }
        }
    }

    /// Get ready to write: a local folder is created, other storage is checked for access.
    pub fn prepare_writes(&self) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(l) => {
                std::fs::create_dir_all(l.root()).map_err(|e| self.io_err(l.root(), e))
            }
            Backend::Ssh(s) => s.prepare_writes(),
            Backend::Dal { can_write: false, .. } => Err(self.read_only()),
            Backend::Dal { .. } => self.check(),
        }
    }

    /// Every object on the remote, with its size.
    pub fn list_objects(&self) -> Result<HashMap<ObjectId, u64>, Error> {
        match &self.backend {
            Backend::Local(l) => l.list_objects().map_err(|e| self.io_err(l.root(), e)),
            Backend::Ssh(s) => s.list_objects(),
            Backend::Dal { can_list: false, .. } => Err(self.cannot_list()),
            Backend::Dal { op, rt, .. } => rt.block_on(self.dal_list(op, "")),
        }
    }

    async fn dal_list(&self, op: &Operator, dir: &str) -> Result<HashMap<ObjectId, u64>, Error> {
        let mut out = HashMap::new();
        self.dal_walk(op, dir, |entry| {
            if let Some(id) = id_of_key(entry.path()) {
                out.insert(id, entry.metadata().content_length());
            }
        })
        .await?;
        Ok(out)
    }

    /// Every entry under `dir`, recursively. A folder that does not exist (WebDAV and HTTP
    /// answer 404 where S3 lists nothing) has no entries.
    async fn dal_walk(
        &self,
        op: &Operator,
        dir: &str,
        mut each: impl FnMut(&opendal::Entry),
    ) -> Result<(), Error> {
        let mut lister = match op.lister_with(dir).recursive(true).await {
            Ok(l) => l,
            Err(e) => return self.listing_err(&e).map_or(Ok(()), Err),
        };
        loop {
            match lister.try_next().await {
                Ok(Some(entry)) => each(&entry),
                Ok(None) => return Ok(()),
                Err(e) => return self.listing_err(&e).map_or(Ok(()), Err),
            }
        }
    }

    /// A failed listing as our error, or `None` when it only says that the folder does not
    /// exist yet (WebDAV and HTTP answer 404 for it). GCS and Azure list a prefix with nothing
    /// under it as empty, so their 404 says that the bucket or container is missing.
    fn listing_err(&self, e: &opendal::Error) -> Option<Error> {
        if e.kind() != opendal::ErrorKind::NotFound {
            return Some(self.dal_err(e));
        }
        matches!(self.storage, Storage::Gcs | Storage::Azure)
            .then(|| dal::no_bucket(&self.name, &self.shown, self.storage, e))
    }

    /// Which of `wanted` the remote has, with their sizes. Many objects are checked by
    /// listing (about 1,000 names per request); few by one request each, in parallel.
    pub fn present(&self, wanted: &[ObjectId]) -> Result<HashMap<ObjectId, u64>, Error> {
        self.present_with(wanted, &mut None)
    }

    /// [`present`](Self::present) for a command that asks more than once: a whole listing of
    /// the remote, once made, is kept in `listed` and answers the later questions.
    pub fn present_with(
        &self,
        wanted: &[ObjectId],
        listed: &mut Option<HashMap<ObjectId, u64>>,
    ) -> Result<HashMap<ObjectId, u64>, Error> {
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let pick = |all: &HashMap<ObjectId, u64>| {
            wanted.iter().filter_map(|id| all.get(id).map(|size| (*id, *size))).collect()
        };
        if let Some(all) = listed {
            return Ok(pick(all));
        }
        match &self.backend {
            Backend::Local(l) => l.present(wanted).map_err(|e| self.io_err(l.root(), e)),
            // Listing a folder over SFTP takes one request per 100 or so names: list it all
            // when many are asked, and keep that for later questions.
            Backend::Ssh(s) if wanted.len() > 64 => Ok(pick(listed.insert(s.list_objects()?))),
            Backend::Ssh(s) => s.present(wanted, self.jobs),
            Backend::Dal { op, rt, can_list, .. } => {
                if *can_list && wanted.len() > 64 {
                    // Estimate the remote's size from one shard: list it all when that takes
                    // fewer requests than asking for each object.
                    let shard = format!("{:02x}/", wanted[0].as_bytes()[0]);
                    let sample = rt.block_on(self.dal_list(op, &shard))?;
                    let pages = (sample.len() * 256) / 1000 + 1;
                    if pages <= wanted.len() {
                        let all = listed.insert(rt.block_on(self.dal_list(op, ""))?);
                        return Ok(pick(all));
                    }
                }
                self.stat_each(op, rt, wanted)
            }
        }
    }

    fn stat_each(
        &self,
        op: &Operator,
        rt: &tokio::runtime::Runtime,
        wanted: &[ObjectId],
    ) -> Result<HashMap<ObjectId, u64>, Error> {
        use futures::StreamExt;
        rt.block_on(async {
            // The first failure ends it: the remote itself is not answering.
            let found: Vec<Option<(ObjectId, u64)>> = futures::stream::iter(wanted.iter().copied())
                .map(|id| async move {
                    match op.stat(&key_of(&id)).await {
                        Ok(m) => Ok(Some((id, m.content_length()))),
                        Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(None),
                        Err(e) => Err(self.dal_err(&e)),
                    }
                })
                .buffer_unordered(self.jobs.max(1))
                .try_collect()
                .await?;
            Ok(found.into_iter().flatten().collect())
        })
    }

    /// Upload one cache object (`path`, `size` bytes) under its id.
    pub fn upload(&self, id: &ObjectId, path: &Path, size: u64) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(l) => l.upload(id, path).map_err(|e| self.io_err(path, e)),
            Backend::Ssh(s) => s.upload(id, path),
            Backend::Dal { can_write: false, .. } => Err(self.read_only()),
            Backend::Dal { op, rt, multi, streamed, large, .. } => {
                let key = key_of(id);
                let read_err = |e| Error::LocalIo { path: path.to_path_buf(), source: e };
                // Waiting for a turn first, then holding it to the end of the upload.
                let _turn = (size > SINGLE_REQUEST).then(|| rt.block_on(large.acquire()));
                if let Some(put) = streamed
                    && size > SINGLE_REQUEST
                {
                    let parent = &key[..=key.find('/').unwrap_or(0)];
                    return rt.block_on(async {
                        op.create_dir(parent).await.map_err(|e| self.dal_err(&e))?;
                        put.put(&key, path, size).await
                    });
                }
                if size <= SINGLE_REQUEST || !*multi {
                    // One request, from memory.
                    let data = std::fs::read(path).map_err(read_err)?;
                    return rt
                        .block_on(op.write_options(&key, data, write_options(self.storage)))
                        .map(|_| ())
                        .map_err(|e| self.dal_err(&e));
                }
                let mut file = std::fs::File::open(path).map_err(read_err)?;
                rt.block_on(async {
                    let opts = opendal::options::WriteOptions {
                        chunk: Some(PART),
                        concurrent: PARTS_IN_FLIGHT,
                        ..write_options(self.storage)
                    };
                    let mut w =
                        op.writer_options(&key, opts).await.map_err(|e| self.dal_err(&e))?;
                    loop {
                        let mut buf = vec![0u8; PART];
                        let n =
                            crate::fs_util::read_up_to(&mut file, &mut buf).map_err(read_err)?;
                        if n == 0 {
                            break;
                        }
                        buf.truncate(n);
                        if let Err(e) = w.write(buf).await {
                            let _ = w.abort().await;
                            return Err(self.dal_err(&e));
                        }
                    }
                    w.close().await.map(|_| ()).map_err(|e| self.dal_err(&e))
                })
            }
        }
    }

    /// Let downloads of objects this remote lacks look for them in DVC's layout of the same
    /// remote, by the MD5s `index` holds (a repository imported with `mlx import dvc`).
    pub fn use_dvc_index(&self, index: crate::dvc::index::Md5Index) {
        if !index.is_empty() {
            *self.dvc_index.write().expect("dvc index lock poisoned") =
                Some(std::sync::Arc::new(index));
        }
    }

    /// The object `id` from DVC's layout, when the DVC index names it (see
    /// [`Remote::use_dvc_index`]); `Ok(None)` when it does not.
    pub fn download_from_dvc(
        &self,
        id: &ObjectId,
        cache: &Cache,
    ) -> Result<Option<crate::dvc::index::Found>, Error> {
        let index = self.dvc_index.read().expect("dvc index lock poisoned").clone();
        let Some(md5) = index.as_ref().and_then(|i| i.get(id).map(str::to_owned)) else {
            return Ok(None);
        };
        crate::dvc::index::fetch(self, cache, id, &md5).map(Some)
    }

    /// Download one object into the cache's staging area, hashing it on the way. A body that
    /// does not hash to `id` is `CorruptObject` and never staged. `size` (when known) picks
    /// between one request and a ranged, streamed download.
    pub fn download(
        &self,
        id: &ObjectId,
        size: Option<u64>,
        cache: &Cache,
    ) -> Result<Staged, Error> {
        match &self.backend {
            Backend::Local(l) => {
                let src = l.object_path(id);
                // Hashed as it is copied: a damaged copy is refused here.
                let staged = l.download(id, cache).map_err(|e| self.io_err(&src, e))?;
                if staged.id != *id {
                    let actual = staged.id;
                    cache.discard(staged);
                    let size = std::fs::metadata(&src).map_or(0, |m| m.len());
                    return Err(self.corrupt(id, actual, size));
                }
                Ok(staged)
            }
            Backend::Ssh(s) => s.download(id, cache),
            Backend::Dal { op, rt, large, .. } => {
                if size.is_none_or(|s| s <= SINGLE_REQUEST) {
                    Ok(cache.stage_bytes(*id, &self.read_object(id)?)?)
                } else {
                    let _turn = rt.block_on(large.acquire());
                    self.download_streamed(op, rt, id, &key_of(id), cache)
                }
            }
        }
    }

    /// The hash of the remote's copy of `id` (`size` bytes as listed), read whole and streamed
    /// through the hasher, never stored; `None` when the remote does not have it.
    pub fn hash_object(&self, id: &ObjectId, size: u64) -> Result<Option<ObjectId>, Error> {
        match &self.backend {
            Backend::Local(l) => {
                let path = l.object_path(id);
                match crate::store::hash_file(&path) {
                    Ok(actual) => Ok(Some(actual)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(self.io_err(&path, e)),
                }
            }
            Backend::Ssh(s) => s.hash_object(id),
            Backend::Dal { op, rt, large, .. } => {
                let key = key_of(id);
                let absent = |e: opendal::Error| {
                    if e.kind() == opendal::ErrorKind::NotFound {
                        Ok(None)
                    } else {
                        Err(self.dal_err(&e))
                    }
                };
                if size <= SINGLE_REQUEST {
                    return rt
                        .block_on(op.read(&key))
                        .map(|b| Some(hash_bytes(&b.to_bytes())))
                        .or_else(absent);
                }
                let _turn = rt.block_on(large.acquire());
                rt.block_on(async {
                    let reader =
                        match op.reader_with(&key).chunk(PART).concurrent(PARTS_IN_FLIGHT).await {
                            Ok(r) => r,
                            Err(e) => return absent(e),
                        };
                    let mut stream = match reader.into_bytes_stream(..).await {
                        Ok(s) => s,
                        Err(e) => return absent(e),
                    };
                    let mut hasher = blake3::Hasher::new();
                    while let Some(chunk) =
                        stream.try_next().await.map_err(|e| Error::Unreachable {
                            remote: self.name.clone(),
                            url: self.shown.clone(),
                            detail: format!("reading back {id} broke off: {e}"),
                        })?
                    {
                        hasher.update(&chunk);
                    }
                    Ok(Some(ObjectId::from_bytes(*hasher.finalize().as_bytes())))
                })
            }
        }
    }

    fn download_streamed(
        &self,
        op: &Operator,
        rt: &tokio::runtime::Runtime,
        id: &ObjectId,
        key: &str,
        cache: &Cache,
    ) -> Result<Staged, Error> {
        let (tmp, mut file) = cache.temp_file()?;
        let mut size = 0u64;
        let result: Result<ObjectId, Error> = rt.block_on(async {
            let reader = op
                .reader_with(key)
                .chunk(PART)
                .concurrent(PARTS_IN_FLIGHT)
                .await
                .map_err(|e| self.dal_err(&e))?;
            let mut stream = reader.into_bytes_stream(..).await.map_err(|e| self.dal_err(&e))?;
            let mut hasher = blake3::Hasher::new();
            while let Some(chunk) = stream.try_next().await.map_err(|e| {
                let kind = e.kind();
                Error::Unreachable {
                    remote: self.name.clone(),
                    url: self.shown.clone(),
                    detail: format!("download of {id} broke off: {kind}: {e}"),
                }
            })? {
                hasher.update(&chunk);
                size += chunk.len() as u64;
                file.write_all(&chunk)?;
            }
            Ok(ObjectId::from_bytes(*hasher.finalize().as_bytes()))
        });
        drop(file);
        match result {
            Ok(actual) if actual == *id => Ok(cache.stage_verified(*id, tmp)),
            Ok(actual) => {
                let _ = std::fs::remove_file(&tmp);
                Err(self.corrupt(id, actual, size))
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    fn corrupt(&self, id: &ObjectId, actual: ObjectId, size: u64) -> Error {
        Error::CorruptObject { remote: self.name.clone(), id: *id, actual, size }
    }

    /// Delete objects (gc). Missing ones are not an error.
    pub fn delete(&self, ids: &[ObjectId]) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(l) => {
                for id in ids {
                    l.delete(id).map_err(|e| self.io_err(&l.object_path(id), e))?;
                }
                Ok(())
            }
            Backend::Ssh(s) => s.delete(ids, self.jobs),
            Backend::Dal { can_write: false, .. } => Err(self.read_only()),
            Backend::Dal { op, rt, .. } => {
                rt.block_on(op.delete_iter(ids.iter().map(key_of))).map_err(|e| self.dal_err(&e))
            }
        }
    }

    /// Names of the files under `dir` (e.g. `runs/`), relative to the remote's root.
    pub fn list_names(&self, dir: &str) -> Result<Vec<String>, Error> {
        match &self.backend {
            Backend::Local(l) => l.list_names(dir).map_err(|e| self.io_err(l.root(), e)),
            Backend::Ssh(s) => s.list_names(dir),
            Backend::Dal { can_list: false, .. } => Err(self.cannot_list()),
            Backend::Dal { op, rt, .. } => rt.block_on(async {
                let mut out = Vec::new();
                self.dal_walk(op, dir, |entry| {
                    if entry.metadata().mode().is_file() {
                        out.push(entry.path().trim_start_matches('/').to_owned());
                    }
                })
                .await?;
                out.sort();
                Ok(out)
            }),
        }
    }

    /// Delete named files (profiles and chunk lists gc no longer keeps). Missing ones are not an
    /// error.
    pub fn delete_named(&self, names: &[String]) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(l) => {
                for name in names {
                    l.delete_named(name).map_err(|e| self.io_err(&l.root().join(name), e))?;
                }
                Ok(())
            }
            Backend::Ssh(s) => s.delete_names(names, self.jobs),
            Backend::Dal { can_write: false, .. } => Err(self.read_only()),
            Backend::Dal { op, rt, .. } => rt
                .block_on(op.delete_iter(names.iter().map(String::as_str)))
                .map_err(|e| self.dal_err(&e)),
        }
    }

    pub fn put_named(&self, name: &str, bytes: Vec<u8>) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(l) => l.put_named(name, &bytes).map_err(|e| self.io_err(l.root(), e)),
            Backend::Ssh(s) => s.put_named(name, &bytes),
            Backend::Dal { can_write: false, .. } => Err(self.read_only()),
            Backend::Dal { op, rt, .. } => rt
                .block_on(op.write_options(name, bytes, write_options(self.storage)))
                .map(|_| ())
                .map_err(|e| self.dal_err(&e)),
        }
    }

    /// One object's bytes, read whole and checked against its hash (for small objects: a
    /// directory listing, say).
    pub fn read_object(&self, id: &ObjectId) -> Result<Vec<u8>, Error> {
        let data = self.get_named(&key_of(id))?;
        let actual = hash_bytes(&data);
        if actual != *id {
            return Err(self.corrupt(id, actual, data.len() as u64));
        }
        Ok(data)
    }

    /// Read object `id` into `buf`, unchecked: `Ok(false)` when its size is not `buf`'s (the
    /// caller checks the bytes, here a whole file's hash over many chunks). A folder remote reads
    /// straight into `buf`; the others read the object and copy it.
    pub fn read_into(&self, id: &ObjectId, buf: &mut [u8]) -> Result<bool, Error> {
        let name = key_of(id);
        match &self.backend {
            Backend::Local(l) => {
                use std::io::Read;
                let path = l.root().join(&name);
                let mut read = || -> std::io::Result<bool> {
                    let mut f = std::fs::File::open(&path)?;
                    match f.read_exact(buf) {
                        Ok(()) => Ok(f.read(&mut [0u8; 1])? == 0),
                        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
                        Err(e) => Err(e),
                    }
                };
                read().map_err(|e| self.io_err(&path, e))
            }
            _ => {
                let data = self.get_named(&name)?;
                if data.len() != buf.len() {
                    return Ok(false);
                }
                buf.copy_from_slice(&data);
                Ok(true)
            }
        }
    }

    pub fn get_named(&self, name: &str) -> Result<Vec<u8>, Error> {
        match &self.backend {
            Backend::Local(l) => {
                l.get_named(name).map_err(|e| self.io_err(&l.root().join(name), e))
            }
            Backend::Ssh(s) => s.get_named(name),
            Backend::Dal { op, rt, .. } => {
                rt.block_on(op.read(name)).map(|b| b.to_vec()).map_err(|e| self.dal_err(&e))
            }
        }
    }

    /// The chunk list stored for `id` on the remote (its bytes, unchecked), if there is one.
    pub fn get_list(&self, id: &ObjectId) -> Result<Option<Vec<u8>>, Error> {
        match self.get_named(&list_key(id)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(Error::Missing { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the remote holds a chunk list for `id`.
    pub fn has_list(&self, id: &ObjectId) -> Result<bool, Error> {
        match &self.backend {
            Backend::Local(l) => Ok(l.root().join(list_key(id)).is_file()),
            Backend::Dal { op, rt, .. } => match rt.block_on(op.stat(&list_key(id))) {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(self.dal_err(&e)),
            },
            Backend::Ssh(_) => self.get_list(id).map(|l| l.is_some()),
        }
    }

    /// Store the chunk list of `list.file` (after the chunks it names).
    pub fn put_list(&self, list: &crate::store::chunks::ChunkList) -> Result<(), Error> {
        self.put_named(&list_key(&list.file), list.encode())
    }

    /// Upload one object from memory (a chunk) under its id.
    pub fn put_object_bytes(&self, id: &ObjectId, bytes: Vec<u8>) -> Result<(), Error> {
        self.put_named(&key_of(id), bytes)
    }

    /// Every object the remote holds a chunk list for (gc).
    pub fn list_chunk_lists(&self) -> Result<std::collections::HashSet<ObjectId>, Error> {
        let names = match &self.backend {
            Backend::Dal { can_list: false, .. } => return Err(self.cannot_list()),
            Backend::Dal { op, rt, .. } => rt.block_on(async {
                let mut out = Vec::new();
                self.dal_walk(op, "", |entry| out.push(entry.path().to_owned())).await?;
                Ok::<_, Error>(out)
            })?,
            _ => {
                let mut out = Vec::new();
                for shard in 0..=255u8 {
                    out.extend(self.list_names(&format!("{shard:02x}/"))?);
                }
                out
            }
        };
        Ok(names
            .iter()
            .filter_map(|n| n.strip_suffix(crate::store::chunks::LIST_SUFFIX))
            .filter_map(id_of_key)
            .collect())
    }

    /// Delete the chunk lists of `ids` (gc); missing ones are not an error.
    pub fn delete_lists(&self, ids: &[ObjectId]) -> Result<(), Error> {
        let names: Vec<String> = ids.iter().map(list_key).collect();
        self.delete_named(&names)
    }

    /// Remove what interrupted uploads left behind, where the storage can hold such leftovers
    /// (temp files in a folder, local or over SSH; object stores never show half an object).
    pub fn clean_stale_temp(&self) -> Result<u64, Error> {
        match &self.backend {
            Backend::Local(l) => l.clean_stale_temp().map_err(|e| self.io_err(l.root(), e)),
            Backend::Ssh(s) => s.clean_stale_temp(),
            Backend::Dal { .. } => Ok(0),
        }
    }

    /// Make finished uploads durable where the storage needs telling (a local folder).
    pub fn finish_writes(&self) -> Result<(), Error> {
        match &self.backend {
            Backend::Local(l) if l.exists() => l.sync().map_err(|e| self.io_err(l.root(), e)),
            _ => Ok(()),
        }
    }
}

/// How objects are written. GCS is told their type, `application/octet-stream` (what it gives
/// an object written without one): then every description of an object (a listing, a stat, the
/// answer to an upload) carries that type, where some GCS emulators would answer `null`, which
/// the client cannot read.
fn write_options(storage: Storage) -> opendal::options::WriteOptions {
    let content_type = (storage == Storage::Gcs).then(|| "application/octet-stream".into());
    opendal::options::WriteOptions { content_type, ..Default::default() }
}

/// The key of an object: the cache layout, `ab/cdef…`.
fn key_of(id: &ObjectId) -> String {
    let hex = id.to_hex();
    format!("{}/{}", &hex[..2], &hex[2..])
}

/// The key of an object's chunk list, beside the object's own: `ab/cdef….chunks`.
pub(super) fn list_key(id: &ObjectId) -> String {
    key_of(id) + crate::store::chunks::LIST_SUFFIX
}

/// The object a listed key names, if it is one (run records and folders are not).
pub(super) fn id_of_key(key: &str) -> Option<ObjectId> {
    let mut parts = key.trim_start_matches('/').rsplitn(3, '/');
    let (rest, shard) = (parts.next()?, parts.next()?);
    if shard.len() != 2 || rest.len() != 62 {
        return None;
    }
    ObjectId::from_hex(&format!("{shard}{rest}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_cache_layout() {
        let id = hash_bytes(b"x");
        let key = key_of(&id);
        assert_eq!(key.len(), 65);
        assert_eq!(id_of_key(&key), Some(id));
        assert_eq!(id_of_key(&format!("prefix/deeper/{key}")), Some(id));
        assert_eq!(id_of_key("runs/ABC/0123.json"), None);
        assert_eq!(id_of_key(&format!("{}/", &key[..2])), None);
    }
}
