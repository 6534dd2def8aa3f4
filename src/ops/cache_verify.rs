//! `mlx cache verify`: re-hash every object; corrupt ones are moved to the quarantine folder
//! so nothing uses them again, and reported.

use rayon::prelude::*;
use serde::Serialize;

use super::Result;
use crate::fs_util::FileStamp;
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::stat_cache::Rows;
use crate::store::{ObjectId, StatCache, hash_file};

#[derive(Debug, Serialize)]
pub struct CorruptObject {
    pub hash: ObjectId,
    /// Where its bytes were moved.
    pub quarantined: String,
}

#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub checked_objects: u64,
    pub checked_bytes: u64,
    pub corrupt: Vec<CorruptObject>,
    /// Objects stored as chunks that lack a chunk (or whose chunks do not make up the file).
    pub incomplete: Vec<ObjectId>,
}

pub fn run(project: &Project, reporter: &dyn Reporter) -> Result<VerifyReport> {
    let _lock = project.lock(reporter)?;
    let cache = project.cache();
    let mut conn = project.open_db()?;
    let stat = StatCache::load(&conn, Rows::Files)?;
    let entries = cache.list_entries()?;
    let objects: Vec<(ObjectId, u64)> =
        entries.iter().filter(|e| !e.2).map(|(id, size, _)| (*id, *size)).collect();
    let lists: Vec<ObjectId> = entries.iter().filter(|e| e.2).map(|(id, _, _)| *id).collect();
    let total: u64 = objects.iter().map(|(_, s)| s).sum();
    reporter.start("verifying", total);
    let bad: Vec<ObjectId> = objects
        .par_iter()
        .map(|(id, size)| {
            let path = cache.object_path(id);
            let before = FileStamp::of(&fs_err::metadata(&path)?);
            let ok = hash_file(&path)? == *id;
            if ok {
                stat.record_object(*id, before);
            }
            reporter.advance(*size);
            Ok((!ok).then_some(*id))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    reporter.finish();
    let mut corrupt = Vec::new();
    for id in &bad {
        let quarantined = cache.quarantine(id)?;
        corrupt.push(CorruptObject { hash: *id, quarantined: quarantined.display().to_string() });
    }
    // Objects stored as chunks (after their chunks were checked above): the list must parse,
    // name chunks the cache has, and put together the file it names.
    let mut incomplete = Vec::new();
    reporter.start("verifying chunk lists", lists.len() as u64);
    for id in &lists {
        let outcome = match cache.read_list(id) {
            Ok(Some(list)) if cache.contains_whole(id) => Ok(list),
            Ok(Some(list)) => cache.assemble(&list, &mut std::io::sink()).map(|()| list),
            Ok(None) => continue,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(list) => {
                let missing = list.distinct().into_iter().any(|c| !cache.contains_whole(&c));
                if missing && !cache.contains_whole(id) {
                    incomplete.push(*id);
                }
            }
            Err(crate::store::Error::MissingObject { .. }) => incomplete.push(*id),
            Err(crate::store::Error::BadChunkList { id, .. }) => corrupt.push(CorruptObject {
                hash: id,
                quarantined: cache.quarantine_dir().display().to_string(),
            }),
            // A chunk found damaged here was quarantined; the object cannot be put together.
            Err(crate::store::Error::CorruptObject { .. }) => incomplete.push(*id),
            Err(e) => return Err(e.into()),
        }
        reporter.advance(1);
    }
    reporter.finish();
    StatCache::forget_objects(&conn, &bad)?;
    stat.save(&mut conn)?;
    Ok(VerifyReport {
        checked_objects: (objects.len() + lists.len()) as u64,
        checked_bytes: total,
        corrupt,
        incomplete,
    })
}
