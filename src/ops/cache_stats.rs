//! `mlx cache stats`: how much the cache holds as files (logical size), how much it takes on
//! disk (stored size) and the saving that chunking brings; counts of whole objects, objects
//! stored as chunks and chunks. Reads only; takes no lock.

use std::collections::HashSet;

use serde::Serialize;

use super::Result;
use crate::project::Project;
use crate::store::ObjectId;

#[derive(Debug, Default, Serialize)]
pub struct StatsReport {
    /// The sum of every object's size as a file (an object stored as chunks counts its file
    /// size once; chunks are not counted on their own).
    pub logical_bytes: u64,
    /// Bytes of the cache's files: whole objects, chunks and chunk lists (a whole copy kept
    /// beside a chunk list counts too).
    pub stored_bytes: u64,
    /// `logical_bytes - stored_bytes` (0 when the cache stores more than it holds).
    pub saved_bytes: u64,
    /// `saved_bytes / logical_bytes` (0 for an empty cache).
    pub saving: f64,
    /// Objects stored as one file (chunks not counted).
    pub whole_objects: u64,
    /// Objects with a chunk list.
    pub chunked_objects: u64,
    /// Of those, objects the cache also keeps whole (assembled by a fetch, to be linked).
    pub chunked_also_whole: u64,
    /// Distinct chunks named by chunk lists and present in the cache.
    pub chunks: u64,
    pub chunk_bytes: u64,
}

pub fn run(project: &Project) -> Result<StatsReport> {
    let cache = project.cache();
    let entries = cache.list_entries()?;
    let mut report = StatsReport::default();
    let whole: std::collections::HashMap<ObjectId, u64> =
        entries.iter().filter(|e| !e.2).map(|(id, size, _)| (*id, *size)).collect();
    let mut chunks: HashSet<ObjectId> = HashSet::new();
    let mut lists = Vec::new();
    for (id, size, list) in &entries {
        report.stored_bytes += size;
        if *list {
            lists.push(*id);
        }
    }
    for id in &lists {
        let Some(list) = cache.read_list(id)? else { continue };
        report.chunked_objects += 1;
        report.logical_bytes += list.size;
        if whole.contains_key(id) {
            report.chunked_also_whole += 1;
        }
        for (c, _) in &list.chunks {
            if whole.contains_key(c) {
                chunks.insert(*c);
            }
        }
    }
    for (id, size) in &whole {
        if chunks.contains(id) || lists.binary_search(id).is_ok() {
            continue;
        }
        report.whole_objects += 1;
        report.logical_bytes += size;
    }
    report.chunks = chunks.len() as u64;
    report.chunk_bytes = chunks.iter().map(|c| whole[c]).sum();
    report.saved_bytes = report.logical_bytes.saturating_sub(report.stored_bytes);
    if report.logical_bytes > 0 {
        report.saving = report.saved_bytes as f64 / report.logical_bytes as f64;
    }
    Ok(report)
}
