//! The run cache: stage fingerprint → the outputs a successful run produced. A stage whose
//! fingerprint is found gets its outputs restored from the object cache instead of running.
//! Also links stage runs to their stage and pipeline run.

use rusqlite::{Connection, OptionalExtension, params};

use super::db::Error;
use super::run_id::RunId;
use super::runs::{now_millis, rfc3339};

/// Record which stage of which pipeline run a run executed.
pub fn set_stage(
    conn: &Connection,
    id: &RunId,
    stage: &str,
    pipeline_run: &str,
) -> Result<(), Error> {
    conn.execute(
        "UPDATE runs SET stage = ?2, pipeline_run = ?3 WHERE id = ?1",
        params![id.as_str(), stage, pipeline_run],
    )?;
    Ok(())
}

/// The outputs recorded for `fingerprint` (JSON) and the run that made them.
pub fn lookup(
    conn: &Connection,
    fingerprint: &str,
) -> Result<Option<(String, Option<String>)>, Error> {
    Ok(conn
        .query_row(
            "SELECT outs, run_id FROM run_cache WHERE fingerprint = ?1",
            [fingerprint],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub fn store(
    conn: &Connection,
    fingerprint: &str,
    stage: &str,
    outs_json: &str,
    run_id: Option<&RunId>,
) -> Result<(), Error> {
    conn.execute(
        "INSERT OR REPLACE INTO run_cache (fingerprint, stage, outs, run_id, created)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![fingerprint, stage, outs_json, run_id.map(RunId::as_str), rfc3339(now_millis())],
    )?;
    Ok(())
}

/// Record outputs restored from a remote's stage cache: made by `run_id` (of another
/// machine, usually) at `created`.
pub fn store_restored(
    conn: &Connection,
    fingerprint: &str,
    stage: &str,
    outs_json: &str,
    run_id: Option<&str>,
    created: &str,
) -> Result<(), Error> {
    conn.execute(
        "INSERT OR REPLACE INTO run_cache (fingerprint, stage, outs, run_id, created)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![fingerprint, stage, outs_json, run_id, created],
    )?;
    Ok(())
}

/// Every object hash the run cache refers to (kept by `mlx gc`), from its JSON.
pub fn object_hashes(conn: &Connection) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare("SELECT outs FROM run_cache")?;
    let mut out = Vec::new();
    for json in stmt.query_map([], |r| r.get::<_, String>(0))? {
        let json = json?;
        if let Ok(serde_json::Value::Array(items)) = serde_json::from_str(&json) {
            for item in items {
                if let Some(h) = item.get("hash").and_then(serde_json::Value::as_str) {
                    out.push(h.to_owned());
                }
            }
        }
    }
    Ok(out)
}

/// A run cache entry made by a run this database records (not one restored from elsewhere).
pub struct OwnResult {
    pub fingerprint: String,
    pub stage: String,
    pub outs: String,
    pub run_id: String,
    pub host: String,
    pub created: String,
}

/// The run cache's entries whose run is in this database, by fingerprint: what `mlx push`
/// publishes to the remote's stage cache.
pub fn own_results(conn: &Connection) -> Result<Vec<OwnResult>, Error> {
    let mut stmt = conn.prepare(
        "SELECT c.fingerprint, c.stage, c.outs, c.run_id, r.host, c.created
         FROM run_cache c JOIN runs r ON r.id = c.run_id ORDER BY c.fingerprint",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(OwnResult {
            fingerprint: r.get(0)?,
            stage: r.get(1)?,
            outs: r.get(2)?,
            run_id: r.get(3)?,
            host: r.get(4)?,
            created: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
