//! Per-step metric histories of runs, for plots: every key a run logged at more than one step,
//! with its points in step order.

use rusqlite::{Connection, OptionalExtension};

use crate::tracking::db::Error;
use crate::tracking::run_id::RunId;

/// One metric of one run over its steps.
#[derive(Debug, Clone)]
pub struct History {
    pub run: RunId,
    /// The run's stage, else its name, else its id.
    pub run_label: String,
    pub key: String,
    /// `(step, value)`; `None` stands for NaN.
    pub points: Vec<(i64, Option<f64>)>,
}

/// The newest experiment that is not waiting in the queue, if any.
pub fn newest_experiment(conn: &Connection) -> Result<Option<RunId>, Error> {
    Ok(conn
        .query_row(
            "SELECT id FROM experiments WHERE status != 'queued' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .map(RunId::from_db))
}

/// The histories of `runs` with more than one step, by run then key.
pub fn of_runs(conn: &Connection, runs: &[RunId]) -> Result<Vec<History>, Error> {
    let mut out = Vec::new();
    let mut label =
        conn.prepare_cached("SELECT COALESCE(stage, name, id) FROM runs WHERE id = ?1")?;
    let mut keys = conn.prepare_cached(
        "SELECT key FROM metrics WHERE run_id = ?1 GROUP BY key
         HAVING COUNT(DISTINCT step) > 1 ORDER BY key",
    )?;
    let mut points = conn.prepare_cached(
        "SELECT step, value FROM metrics WHERE run_id = ?1 AND key = ?2 ORDER BY step, rowid",
    )?;
    for run in runs {
        let run_label: String = label
            .query_row([run.as_str()], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| run.to_string());
        let found: Vec<String> =
            keys.query_map([run.as_str()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        for key in found {
            let pts = points
                .query_map([run.as_str(), key.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            out.push(History { run: run.clone(), run_label: run_label.clone(), key, points: pts });
        }
    }
    Ok(out)
}
