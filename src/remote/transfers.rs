//! Moving many objects between the cache and a remote: transfers run in parallel, a failure of
//! one object does not stop the others (a failure of the remote itself stops new ones), and
//! downloads enter the cache in verified batches. `mlx push` and `mlx fetch` use these, and so
//! does everything else that needs objects the cache lacks (a run's log or artifacts).

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use super::Remote;
use crate::error::{Error, Result};
use crate::progress::Reporter;
use crate::store::{ObjectId, Staged, StatCache};

/// Objects committed to the cache together (one `syncfs` each): what an interrupted download
/// can lose, and how often the parallel downloads wait for each other.
const BATCH: usize = 512;

/// An object a command needs, with its size when the pointer or manifest records it.
#[derive(Debug, Clone, Copy)]
pub struct Needed {
    pub id: ObjectId,
    pub size: Option<u64>,
}

/// An object whose copy on the remote does not hash to its name.
#[derive(Debug, Clone, Serialize)]
pub struct DamagedObject {
    pub id: String,
    /// `truncated` (fewer bytes than the pointer or listing records) or `corrupt`.
    pub problem: &'static str,
    /// The hash of the remote's copy.
    pub actual: String,
    /// Bytes the remote gave, and those expected where a pointer or listing records them.
    pub size: u64,
    pub expected_size: Option<u64>,
}

/// Errors that mean the remote as a whole is not working: stop starting new transfers.
fn is_fatal(e: &Error) -> bool {
    match e {
        Error::Remote(r) => {
            !matches!(r, super::Error::CorruptObject { .. } | super::Error::Missing { .. })
        }
        Error::Store(_) => false,
        _ => true,
    }
}

/// Run `f` on every item with `jobs` threads. Failures are collected, not fatal to the others,
/// except that after a failure of the remote itself (unreachable, access denied) no new
/// transfer starts. Returns the failures, in no particular order.
pub fn run_parallel<T: Sync>(
    jobs: usize,
    items: &[T],
    f: impl Fn(&T) -> Result<()> + Sync,
) -> Result<Vec<Error>> {
    let failures = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .thread_name(|i| format!("mlx-transfer-{i}"))
        .build()
        .map_err(std::io::Error::other)?;
    pool.install(|| {
        items.par_iter().with_max_len(1).for_each(|item| {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if let Err(e) = f(item) {
                if is_fatal(&e) {
                    stop.store(true, Ordering::Relaxed);
                }
                failures.lock().expect("failure list poisoned").push(e);
            }
        });
    });
    Ok(failures.into_inner().expect("failure list poisoned"))
}

/// One error for a batch with failures: the first fatal one (or the first), with counts.
pub fn transfers_error(mut failures: Vec<Error>, total: usize) -> Option<Error> {
    if failures.is_empty() {
        return None;
    }
    let failed = failures.len();
    let pos = failures.iter().position(is_fatal).unwrap_or(0);
    let first = failures.swap_remove(pos);
    if failed == 1 && total == 1 {
        return Some(first);
    }
    Some(Error::Transfers { failed, total, first: Box::new(first) })
}

/// What downloads brought, and what they could not.
#[derive(Debug, Default)]
pub struct Downloaded {
    pub objects: u64,
    pub bytes: u64,
    /// Chunks downloaded for objects stored as chunks on the remote.
    pub chunks: u64,
    /// Objects the remote does not have.
    pub missing: HashSet<ObjectId>,
    /// Objects the remote holds damaged: not downloaded.
    pub damaged: Vec<DamagedObject>,
}

/// Downloads into the cache: the remote, the stat cache that records what arrives, the
/// parallelism and the progress display.
pub struct Downloads<'a> {
    pub cache: &'a crate::store::Cache,
    pub remote: &'a Remote,
    pub stat: &'a StatCache,
    pub jobs: usize,
    pub reporter: &'a dyn Reporter,
}

impl Downloads<'_> {
    /// Download `items` into the cache in batches, adding to `done`. Objects the remote lacks
    /// or holds damaged are recorded there and the others go on; any other failure ends the
    /// downloads with an error once the finished batch is committed.
    pub fn run(&self, items: &[Needed], done: &mut Downloaded) -> Result<()> {
        let Downloads { cache, remote, stat, jobs, reporter } = *self;
        if items.is_empty() {
            return Ok(());
        }
        // Sizes come from pointers and manifests, which may claim anything.
        let total_bytes = items.iter().filter_map(|n| n.size).fold(0_u64, u64::saturating_add);
        reporter.start(
            &format!("fetching {}", crate::text::counted(items.len(), "object")),
            total_bytes,
        );
        let got = AtomicU64::new(0);
        let got_bytes = AtomicU64::new(0);
        let got_chunks = AtomicU64::new(0);
        let absent = Mutex::new(Vec::new());
        let damaged = Mutex::new(Vec::new());
        let mut outcome = Ok(());
        for batch in items.chunks(BATCH) {
            let staged: Mutex<Vec<Staged>> = Mutex::new(Vec::new());
            let lists: Mutex<Vec<crate::store::chunks::ChunkList>> = Mutex::new(Vec::new());
            let failures =
                run_parallel(jobs, batch, |n| match remote.download(&n.id, n.size, cache) {
                    Ok(s) => {
                        crate::fault::point("fetch.download");
                        got.fetch_add(1, Ordering::Relaxed);
                        let size = n.size.unwrap_or(0);
                        got_bytes.fetch_add(size, Ordering::Relaxed);
                        reporter.advance(size);
                        staged.lock().expect("staged list poisoned").push(s);
                        Ok(())
                    }
                    Err(super::Error::Missing { .. }) if remote.has_list(&n.id).unwrap_or(true) => {
                        let progress = |bytes| reporter.advance(bytes);
                        match super::chunked::download(remote, cache, &n.id, jobs, &progress) {
                            Ok(Some((s, list, moved))) => {
                                got.fetch_add(1, Ordering::Relaxed);
                                got_bytes.fetch_add(moved.bytes, Ordering::Relaxed);
                                got_chunks.fetch_add(moved.chunks, Ordering::Relaxed);
                                staged.lock().expect("staged list poisoned").push(s);
                                lists.lock().expect("chunk lists poisoned").push(list);
                                Ok(())
                            }
                            Ok(None) => {
                                absent.lock().expect("absent list poisoned").push(n.id);
                                Ok(())
                            }
                            // A damaged chunk (or list) makes the object damaged on the remote.
                            Err(Error::Remote(super::Error::CorruptObject {
                                actual,
                                size,
                                ..
                            })) => {
                                damaged.lock().expect("damaged list poisoned").push(
                                    DamagedObject {
                                        id: n.id.to_hex(),
                                        problem: "corrupt",
                                        actual: actual.to_hex(),
                                        size,
                                        expected_size: n.size,
                                    },
                                );
                                Ok(())
                            }
                            Err(e) => Err(e),
                        }
                    }
                    Err(super::Error::Missing { .. }) => match remote
                        .download_from_dvc(&n.id, cache)?
                    {
                        Some(crate::dvc::index::Found::Staged(s)) => {
                            got.fetch_add(s.len() as u64, Ordering::Relaxed);
                            let size = n.size.unwrap_or(0);
                            got_bytes.fetch_add(size, Ordering::Relaxed);
                            reporter.advance(size);
                            staged.lock().expect("staged list poisoned").extend(s);
                            Ok(())
                        }
                        Some(crate::dvc::index::Found::Corrupt { actual, size }) => {
                            damaged.lock().expect("damaged list poisoned").push(DamagedObject {
                                id: n.id.to_hex(),
                                problem: "corrupt",
                                actual: actual.to_hex(),
                                size,
                                expected_size: n.size,
                            });
                            Ok(())
                        }
                        Some(crate::dvc::index::Found::Missing) | None => {
                            absent.lock().expect("absent list poisoned").push(n.id);
                            Ok(())
                        }
                    },
                    Err(super::Error::CorruptObject { actual, size, .. }) => {
                        let truncated = n.size.is_some_and(|expected| size < expected);
                        damaged.lock().expect("damaged list poisoned").push(DamagedObject {
                            id: n.id.to_hex(),
                            problem: if truncated { "truncated" } else { "corrupt" },
                            actual: actual.to_hex(),
                            size,
                            expected_size: n.size,
                        });
                        Ok(())
                    }
                    Err(e) => Err(e.into()),
                })?;
            cache.commit(staged.into_inner().expect("staged list poisoned"), stat)?;
            // Kept beside the whole objects (committed first): a later push of a changed
            // version sends only the chunks that changed.
            for list in lists.into_inner().expect("chunk lists poisoned") {
                cache.put_list(&list, stat)?;
            }
            if let Some(e) = transfers_error(failures, items.len()) {
                outcome = Err(e);
                break;
            }
        }
        reporter.finish();
        done.objects += got.into_inner();
        done.bytes += got_bytes.into_inner();
        done.chunks += got_chunks.into_inner();
        done.missing.extend(absent.into_inner().expect("absent list poisoned"));
        done.damaged.extend(damaged.into_inner().expect("damaged list poisoned"));
        outcome
    }
}
