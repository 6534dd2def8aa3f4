//! SSH remotes: a folder on a server reached over SFTP (`ssh://[user@]host[:port]/path`), laid
//! out as the cache is. A pure-Rust client (russh, russh-sftp) reads the user's `~/.ssh`
//! itself (see [`connect`]); nothing runs the system `ssh`.
//!
//! One SSH connection and one SFTP channel per command carry every request, many in flight at
//! once. Objects are written to a temp file in their shard folder, synced, then renamed under
//! their name, so nothing half-written shows under a hash; an interrupted push leaves only
//! `.tmp-*` files, which later pushes ignore and `gc` removes once they are a day old. A broken
//! connection is opened again and the request retried, with backoff; a refused host key or login
//! is not retried. Every path is built from the remote's folder and a name this module checks,
//! so nothing is read or written outside that folder.

pub mod config;
pub mod connect;
mod failures;
pub mod known_hosts;

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use russh_sftp::protocol::{FileAttributes, OpenFlags};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use self::connect::{Conn, Failed, Names, Target};
use self::failures::{OpError, OpResult, is_missing, until_closed};
use super::Error;
use super::url::Location;
use crate::config::RemoteConfig;
use crate::store::{Cache, ObjectId, Staged};

/// SFTP channels on the one connection (OpenSSH allows 10 sessions per connection).
const MAX_CHANNELS: usize = 4;
/// Tries of a request whose connection broke (each on a new connection), after the first.
const RETRIES: u32 = 4;
/// Bytes read or written per SFTP request round.
const CHUNK: usize = 256 << 10;
/// Objects are read-only, as in the cache and a folder remote (the server's umask applies).
const OBJECT_MODE: u32 = 0o444;
/// Run records.
const FILE_MODE: u32 = 0o644;
/// Temp files older than this are leftovers of an interrupted upload.
const STALE: Duration = Duration::from_secs(24 * 3600);

pub struct SshDir {
    names: Names,
    target: Arc<Target>,
    /// SFTP channels to open: a few, never more than the transfers at once.
    channels: usize,
    rt: tokio::runtime::Runtime,
    conn: tokio::sync::Mutex<Option<Arc<Conn>>>,
}

impl SshDir {
    /// Resolve where and how to connect; the connection opens with the first request.
    pub fn new(
        remote: &str,
        shown: &str,
        location: &Location,
        cfg: &RemoteConfig,
        jobs: usize,
    ) -> Result<SshDir, Error> {
        let Location::Ssh { host, port, user, path } = location else {
            unreachable!("only ssh:// and sftp:// URLs are SSH remotes")
        };
        let names = Names { remote: remote.to_owned(), url: shown.to_owned() };
        let target = Target::resolve(&names, host, *port, user.as_deref(), path, cfg)?;
        let rt =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        Ok(SshDir {
            names,
            target: Arc::new(target),
            channels: jobs.clamp(1, MAX_CHANNELS),
            rt,
            conn: tokio::sync::Mutex::new(None),
        })
    }

    /// The open connection, or a new one.
    async fn conn(&self) -> Result<Arc<Conn>, Failed> {
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_ref()
            && !conn.handle.is_closed()
        {
            return Ok(conn.clone());
        }
        *slot = None;
        let conn = Arc::new(connect::connect(&self.names, &self.target, self.channels).await?);
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Run `op` on the connection; when the connection breaks (or cannot be made), wait and try
    /// again on a new one, [`RETRIES`] times.
    fn run<T, F, Fut>(&self, op: F) -> Result<T, Error>
    where
        F: Fn(Arc<Conn>) -> Fut,
        Fut: Future<Output = OpResult<T>>,
    {
        self.rt.block_on(async {
            let mut attempt = 0;
            loop {
                let failure = match self.conn().await {
                    Ok(conn) => match until_closed(&conn, op(conn.clone())).await {
                        Ok(v) => return Ok(v),
                        Err(OpError::Final(e)) => return Err(e),
                        Err(OpError::Lost(detail)) => {
                            let mut slot = self.conn.lock().await;
                            if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, &conn)) {
                                *slot = None;
                            }
                            self.names.unreachable(format!(
                                "the connection to {} broke: {detail}",
                                self.target.server()
                            ))
                        }
                    },
                    Err(Failed { error, transient: false }) => return Err(error),
                    Err(Failed { error, transient: true }) => error,
                };
                if attempt >= RETRIES {
                    return Err(failure);
                }
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                attempt += 1;
            }
        })
    }

    /// A cheap request that fails the way real work would: unreachable server, refused host key
    /// or login, missing folder.
    pub fn check(&self) -> Result<(), Error> {
        self.run(|conn| async move {
            match conn.sftp().metadata(dir_path(&conn.root)).await {
                Ok(meta) if meta.file_type().is_dir() => Ok(()),
                Ok(_) => Err(OpError::Final(self.names.config(format!(
                    "{} on {} is not a folder",
                    dir_path(&conn.root),
                    self.target.server()
                )))),
                Err(e) if is_missing(&e) => Err(OpError::Final(self.names.missing(format!(
                    "the folder {} does not exist on {}",
                    dir_path(&conn.root),
                    self.target.server()
                )))),
                Err(e) => Err(self.op_err(&conn.root, e)),
            }
        })
    }

    /// Create the remote's folder (and its parents) when missing.
    pub fn prepare_writes(&self) -> Result<(), Error> {
        self.run(|conn| async move {
            let root = conn.root.clone();
            self.make_dirs(&conn, &root).await
        })
    }

    /// Every object in the folder, with its size.
    pub fn list_objects(&self) -> Result<HashMap<ObjectId, u64>, Error> {
        self.run(|conn| async move { self.list_all(&conn).await })
    }

    async fn list_all(&self, conn: &Conn) -> OpResult<HashMap<ObjectId, u64>> {
        let shards: Vec<String> = self
            .read_dir(conn, &conn.root)
            .await?
            .into_iter()
            .filter(|(name, meta)| {
                meta.file_type().is_dir()
                    && name.len() == 2
                    && name.bytes().all(|b| b.is_ascii_hexdigit())
            })
            .map(|(name, _)| name)
            .collect();
        let listed: Vec<Vec<(ObjectId, u64)>> = futures::stream::iter(shards)
            .map(|shard| async move {
                let dir = format!("{}/{shard}", conn.root);
                let entries = self.read_dir(conn, &dir).await?;
                Ok::<_, OpError>(
                    entries
                        .into_iter()
                        .filter(|(_, meta)| meta.file_type().is_file())
                        .filter_map(|(name, meta)| {
                            let id = super::storage::id_of_key(&format!("{shard}/{name}"))?;
                            Some((id, meta.size.unwrap_or(0)))
                        })
                        .collect(),
                )
            })
            .buffer_unordered(16)
            .try_collect()
            .await?;
        Ok(listed.into_iter().flatten().collect())
    }

    /// The entries of a folder (`.` and `..` left out); a missing folder has none.
    async fn read_dir(
        &self,
        conn: &Conn,
        dir: &str,
    ) -> OpResult<Vec<(String, russh_sftp::protocol::FileAttributes)>> {
        match conn.sftp().read_dir(dir_path(dir)).await {
            Ok(entries) => Ok(entries
                .map(|e| (e.file_name(), e.metadata()))
                .filter(|(name, _)| name != "." && name != "..")
                .collect()),
            Err(e) if is_missing(&e) => Ok(Vec::new()),
            Err(e) => Err(self.op_err(dir, e)),
        }
    }

    /// Which of `wanted` the folder has, with their sizes: one request each, `jobs` in flight.
    pub fn present(
        &self,
        wanted: &[ObjectId],
        jobs: usize,
    ) -> Result<HashMap<ObjectId, u64>, Error> {
        self.run(|conn| async move {
            let found: Vec<Option<(ObjectId, u64)>> = futures::stream::iter(wanted.iter().copied())
                .map(|id| {
                    let conn = &conn;
                    async move {
                        let path = format!("{}/{}", conn.root, key_of(&id));
                        match conn.sftp().metadata(path.clone()).await {
                            Ok(meta) if meta.file_type().is_file() => {
                                Ok(Some((id, meta.size.unwrap_or(0))))
                            }
                            Ok(_) => Ok(None),
                            Err(e) if is_missing(&e) => Ok(None),
                            Err(e) => Err(self.op_err(&path, e)),
                        }
                    }
                })
                .buffer_unordered(jobs.max(1))
                .try_collect()
                .await?;
            Ok(found.into_iter().flatten().collect())
        })
    }

    /// Upload a cache object: into a temp file beside its place, synced, then renamed there.
    pub fn upload(&self, id: &ObjectId, src: &Path) -> Result<(), Error> {
        let key = key_of(id);
        self.run(|conn| {
            let key = key.clone();
            async move {
                let shard = format!("{}/{}", conn.root, &key[..2]);
                self.make_dirs(&conn, &shard).await?;
                let mut file = std::fs::File::open(src).map_err(|e| {
                    OpError::Final(Error::LocalIo { path: src.to_path_buf(), source: e })
                })?;
                let dest = format!("{}/{key}", conn.root);
                self.write_via_temp(&conn, &shard, &dest, OBJECT_MODE, |buf| {
                    crate::fs_util::read_up_to(&mut file, buf)
                        .map_err(|e| Error::LocalIo { path: src.to_path_buf(), source: e })
                })
                .await
            }
        })
    }

    /// Write a file through a temp file in `dir`, then rename it to `dest` (replacing what is
    /// there), with permissions `mode`. `fill` gives the bytes, a buffer at a time; 0 ends them.
    async fn write_via_temp(
        &self,
        conn: &Conn,
        dir: &str,
        dest: &str,
        mode: u32,
        mut fill: impl FnMut(&mut [u8]) -> Result<usize, Error>,
    ) -> OpResult<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = format!("{dir}/.tmp-{}-{n}", std::process::id());
        let written: OpResult<()> = async {
            let flags = OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE;
            let attrs = FileAttributes { permissions: Some(mode), ..FileAttributes::empty() };
            let mut file = conn
                .sftp()
                .open_with_flags_and_attributes(tmp.clone(), flags, attrs)
                .await
                .map_err(|e| self.op_err(&tmp, e))?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let got = fill(&mut buf).map_err(OpError::Final)?;
                if got == 0 {
                    break;
                }
                file.write_all(&buf[..got]).await.map_err(|e| self.io_err(&tmp, &e))?;
            }
            file.flush().await.map_err(|e| self.io_err(&tmp, &e))?;
            // Durable before it shows under its name (servers without fsync@openssh.com skip it).
            let _ = file.sync_all().await;
            file.shutdown().await.map_err(|e| self.io_err(&tmp, &e))?;
            Ok(())
        }
        .await;
        if let Err(e) = written {
            let _ = conn.sftp().remove_file(tmp.clone()).await;
            return Err(e);
        }
        // SFTP's rename does not replace an existing file: move the old one away first.
        if let Err(first) = conn.sftp().rename(tmp.clone(), dest.to_owned()).await {
            let replaced = match conn.sftp().metadata(dest.to_owned()).await {
                Ok(_) => match conn.sftp().remove_file(dest.to_owned()).await {
                    Ok(()) => conn.sftp().rename(tmp.clone(), dest.to_owned()).await,
                    Err(e) => Err(e),
                },
                Err(_) => Err(first),
            };
            if let Err(e) = replaced {
                let _ = conn.sftp().remove_file(tmp.clone()).await;
                return Err(self.op_err(dest, e));
            }
        }
        Ok(())
    }

    /// Download an object into the cache's staging area, hashing it on the way. A body that does
    /// not hash to `id` is `CorruptObject` and never staged.
    pub fn download(&self, id: &ObjectId, cache: &Cache) -> Result<Staged, Error> {
        let key = key_of(id);
        let (actual, size, tmp) = self.run(|conn| {
            let key = key.clone();
            async move {
                let (tmp, mut out) = cache.temp_file().map_err(|e| OpError::Final(e.into()))?;
                let path = format!("{}/{key}", conn.root);
                let hashed = self
                    .read_each(&conn, &path, |chunk| {
                        out.write_all(chunk)
                            .map_err(|e| Error::LocalIo { path: tmp.clone(), source: e })
                    })
                    .await;
                drop(out);
                match hashed {
                    Ok((actual, size)) => Ok((actual, size, tmp)),
                    Err(e) => {
                        let _ = std::fs::remove_file(&tmp);
                        Err(e)
                    }
                }
            }
        })?;
        if actual == *id {
            return Ok(cache.stage_verified(*id, tmp));
        }
        let _ = std::fs::remove_file(&tmp);
        Err(Error::CorruptObject { remote: self.names.remote.clone(), id: *id, actual, size })
    }

    /// The hash of the remote's copy of `id`, streamed, never stored; `None` when it has none.
    pub fn hash_object(&self, id: &ObjectId) -> Result<Option<ObjectId>, Error> {
        let key = key_of(id);
        self.run(|conn| {
            let key = key.clone();
            async move {
                let path = format!("{}/{key}", conn.root);
                match self.read_each(&conn, &path, |_| Ok(())).await {
                    Ok((actual, _)) => Ok(Some(actual)),
                    Err(OpError::Final(Error::Missing { .. })) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        })
    }

    /// Read a file a chunk at a time into `each`, hashing it; returns its hash and size.
    async fn read_each(
        &self,
        conn: &Conn,
        path: &str,
        mut each: impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> OpResult<(ObjectId, u64)> {
        let mut file = conn.sftp().open(path.to_owned()).await.map_err(|e| self.op_err(path, e))?;
        let mut hasher = blake3::Hasher::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buf).await.map_err(|e| self.io_err(path, &e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            each(&buf[..n]).map_err(OpError::Final)?;
        }
        let _ = file.shutdown().await;
        Ok((ObjectId::from_bytes(*hasher.finalize().as_bytes()), size))
    }

    /// Delete objects (gc); missing ones are not an error.
    pub fn delete(&self, ids: &[ObjectId], jobs: usize) -> Result<(), Error> {
        self.run(|conn| async move {
            futures::stream::iter(ids.iter())
                .map(|id| {
                    let conn = &conn;
                    async move {
                        let path = format!("{}/{}", conn.root, key_of(id));
                        match conn.sftp().remove_file(path.clone()).await {
                            Ok(()) => Ok(()),
                            Err(e) if is_missing(&e) => Ok(()),
                            Err(e) => Err(self.op_err(&path, e)),
                        }
                    }
                })
                .buffer_unordered(jobs.max(1))
                .try_collect::<Vec<()>>()
                .await
                .map(|_| ())
        })
    }

    /// Delete named files (chunk lists and profiles gc no longer keeps); missing ones are not an error.
    pub fn delete_names(&self, names: &[String], jobs: usize) -> Result<(), Error> {
        let names: Vec<String> =
            names.iter().map(|n| checked_name(&self.names, n)).collect::<Result<_, _>>()?;
        let names = &names;
        self.run(|conn| async move {
            futures::stream::iter(names.iter())
                .map(|name| {
                    let conn = &conn;
                    async move {
                        let path = format!("{}/{name}", conn.root);
                        match conn.sftp().remove_file(path.clone()).await {
                            Ok(()) => Ok(()),
                            Err(e) if is_missing(&e) => Ok(()),
                            Err(e) => Err(self.op_err(&path, e)),
                        }
                    }
                })
                .buffer_unordered(jobs.max(1))
                .try_collect::<Vec<()>>()
                .await
                .map(|_| ())
        })
    }

    /// Names of the files under `dir` (e.g. `runs/`), relative to the folder, sorted; names
    /// starting with `.` (temp files) left out.
    pub fn list_names(&self, dir: &str) -> Result<Vec<String>, Error> {
        let dir = checked_name(&self.names, dir.trim_end_matches('/'))?;
        self.run(|conn| {
            let dir = dir.clone();
            async move {
                let mut out = Vec::new();
                let mut pending = vec![dir];
                while let Some(rel) = pending.pop() {
                    let full = format!("{}/{rel}", conn.root);
                    for (name, meta) in self.read_dir(&conn, &full).await? {
                        if name.starts_with('.') || name.contains('/') {
                            continue;
                        }
                        let child = format!("{rel}/{name}");
                        if meta.file_type().is_dir() {
                            pending.push(child);
                        } else if meta.file_type().is_file() {
                            out.push(child);
                        }
                    }
                }
                out.sort();
                Ok(out)
            }
        })
    }

    /// Write a named file (a run record), replacing what is there.
    pub fn put_named(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let name = checked_name(&self.names, name)?;
        self.run(|conn| {
            let name = name.clone();
            async move {
                let dest = format!("{}/{name}", conn.root);
                let dir = match dest.rsplit_once('/') {
                    Some((dir, _)) => dir.to_owned(),
                    None => conn.root.clone(),
                };
                self.make_dirs(&conn, &dir).await?;
                let mut rest = bytes;
                self.write_via_temp(&conn, &dir, &dest, FILE_MODE, |buf| {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    Ok(n)
                })
                .await
            }
        })
    }

    /// A named file's bytes.
    pub fn get_named(&self, name: &str) -> Result<Vec<u8>, Error> {
        let name = checked_name(&self.names, name)?;
        self.run(|conn| {
            let name = name.clone();
            async move {
                let path = format!("{}/{name}", conn.root);
                let mut file =
                    conn.sftp().open(path.clone()).await.map_err(|e| self.op_err(&path, e))?;
                let mut out = Vec::new();
                file.read_to_end(&mut out).await.map_err(|e| self.io_err(&path, &e))?;
                let _ = file.shutdown().await;
                Ok(out)
            }
        })
    }

    /// Delete temp files that interrupted uploads left in shard folders more than a day ago
    /// (another machine may be writing the recent ones). Returns how many.
    pub fn clean_stale_temp(&self) -> Result<u64, Error> {
        self.run(|conn| async move {
            let mut removed = 0;
            for (shard, meta) in self.read_dir(&conn, &conn.root).await? {
                if !meta.file_type().is_dir() || shard.len() != 2 {
                    continue;
                }
                let dir = format!("{}/{shard}", conn.root);
                for (name, meta) in self.read_dir(&conn, &dir).await? {
                    let stale = meta
                        .modified()
                        .ok()
                        .and_then(|m| m.elapsed().ok())
                        .is_some_and(|age| age > STALE);
                    if name.starts_with(".tmp-") && stale {
                        let path = format!("{dir}/{name}");
                        match conn.sftp().remove_file(path.clone()).await {
                            Ok(()) => removed += 1,
                            Err(e) if is_missing(&e) => {}
                            Err(e) => return Err(self.op_err(&path, e)),
                        }
                    }
                }
            }
            Ok(removed)
        })
    }

    /// `dir` and its missing parents (`mkdir -p`).
    async fn make_dirs(&self, conn: &Conn, dir: &str) -> OpResult<()> {
        if matches!(conn.sftp().metadata(dir_path(dir)).await, Ok(m) if m.file_type().is_dir()) {
            return Ok(());
        }
        let mut path = String::new();
        for part in dir.split('/') {
            if part.is_empty() {
                continue;
            }
            path.push('/');
            path.push_str(part);
            if let Err(e) = conn.sftp().create_dir(path.clone()).await {
                // It may exist already (or be made meanwhile by another upload).
                match conn.sftp().metadata(path.clone()).await {
                    Ok(m) if m.file_type().is_dir() => {}
                    _ => return Err(self.op_err(&path, e)),
                }
            }
        }
        Ok(())
    }
}

impl Drop for SshDir {
    fn drop(&mut self) {
        // Say goodbye to the server rather than drop the connection.
        if let Ok(mut slot) = self.conn.try_lock()
            && let Some(conn) = slot.take()
        {
            let _ = self.rt.block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(2),
                    conn.handle.disconnect(russh::Disconnect::ByApplication, "", "en"),
                )
                .await
            });
        }
    }
}

/// `path`, or `/` for the root folder (whose path is kept as "").
fn dir_path(path: &str) -> String {
    if path.is_empty() { "/".to_owned() } else { path.to_owned() }
}

/// The key of an object: the cache layout, `ab/cdef…`.
fn key_of(id: &ObjectId) -> String {
    let hex = id.to_hex();
    format!("{}/{}", &hex[..2], &hex[2..])
}

/// A name below the remote's folder (`runs/ID/x.json`): relative, without empty, `.` or `..`
/// segments, so that joined to the folder it stays inside it.
fn checked_name(names: &Names, name: &str) -> Result<String, Error> {
    let ok = !name.is_empty()
        && name
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(names.config(format!("refusing the name `{name}`: it would leave the remote's folder")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_folder() {
        let names = Names { remote: "r".into(), url: "ssh://h/x".into() };
        assert_eq!(checked_name(&names, "runs/a/b.json").unwrap(), "runs/a/b.json");
        for bad in ["", "/etc/passwd", "runs/../../x", "runs//x", "./x", "runs/.."] {
            let e = checked_name(&names, bad).unwrap_err().to_string();
            assert!(e.contains("would leave the remote's folder"), "{bad}: {e}");
        }
    }
}
