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
}

pub fn run(project: &Project, reporter: &dyn Reporter) -> Result<VerifyReport> {
    let _lock = project.lock(reporter)?;
    let cache = project.cache();
    let mut conn = project.open_db()?;
    let stat = StatCache::load(&conn, Rows::Files)?;
    let objects = cache.list()?;
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
    StatCache::forget_objects(&conn, &bad)?;
    stat.save(&mut conn)?;
    Ok(VerifyReport { checked_objects: objects.len() as u64, checked_bytes: total, corrupt })
}
