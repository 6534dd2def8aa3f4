//! Metrics' recorded points for plotting: the history of one run and key, thinned on the way out
//! to a point budget (for `mlx ui`; long histories from their summary, `summary`), every history of several runs with more than
//! one step (for plots), the metric keys a run has, and a cursor that tells a page what changed
//! since it last asked (new points, experiments started or ended).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::RunId;
use super::db::Error;
use super::summary;

/// One point of a metric's history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub step: i64,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// `None` for NaN (the database stores NaN as NULL).
    pub value: Option<f64>,
}

/// The fewest points a budget may ask for: one bucket's first, lowest, highest and last.
pub const MIN_BUDGET: usize = 4;

/// A metric history as served: at most the budget's points.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub run: RunId,
    pub key: String,
    /// How many points the run recorded for the key.
    pub total: usize,
    /// Whether `points` is a thinned selection of them (min and max per bucket).
    pub downsampled: bool,
    pub points: Vec<Point>,
}

/// The points of `key` in run `id`, in step order (then in the order logged), thinned to at most
/// `budget` of them (per step bucket the first, lowest, highest and last point; long histories
/// from their summary, see `summary`).
pub fn history(conn: &Connection, id: &RunId, key: &str, budget: usize) -> Result<History, Error> {
    let counted: Option<i64> = conn
        .prepare_cached("SELECT points FROM latest_metrics WHERE run_id = ?1 AND key = ?2")?
        .query_row(params![id.as_str(), key], |r| r.get(0))
        .optional()?;
    let counted = usize::try_from(counted.unwrap_or(0)).unwrap_or(0);
    let (total, points) = summary::read(conn, id, key, counted, budget.max(MIN_BUDGET))?;
    Ok(History {
        run: id.clone(),
        key: key.to_owned(),
        total,
        downsampled: points.len() < total,
        points,
    })
}

/// The last metric point logged in the whole database: histories read when it was the same are
/// still whole (points are only ever added, or deleted with their run).
pub fn last_point(conn: &Connection) -> Result<i64, Error> {
    Ok(conn.query_row("SELECT coalesce(max(rowid), 0) FROM metrics", [], |r| r.get(0))?)
}

/// The metric keys run `id` logged points for, sorted.
pub fn metric_keys(conn: &Connection, id: &RunId) -> Result<Vec<String>, Error> {
    let mut stmt =
        conn.prepare_cached("SELECT key FROM latest_metrics WHERE run_id = ?1 ORDER BY key")?;
    let keys = stmt.query_map([id.as_str()], |r| r.get(0))?;
    Ok(keys.collect::<Result<_, _>>()?)
}

/// Where the database stands, for asking later what changed: the last metric point, and a
/// digest of the experiments' states. Opaque to callers; written as text in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub last_point: i64,
    pub experiments: u64,
}

impl Cursor {
    pub fn parse(text: &str) -> Option<Cursor> {
        let (a, b) = text.split_once('-')?;
        Some(Cursor { last_point: a.parse().ok()?, experiments: u64::from_str_radix(b, 16).ok()? })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:x}", self.last_point, self.experiments)
    }
}

/// What changed since a cursor.
#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    /// Pass it back next time.
    pub cursor: String,
    /// Whether anything changed: points logged, experiments added, removed, started or ended.
    pub changed: bool,
    /// Experiments whose runs logged points since the cursor.
    pub experiments: Vec<RunId>,
    /// Runs that logged points since the cursor.
    pub runs: Vec<RunId>,
    /// Experiments still queued or running.
    pub running: Vec<RunId>,
}

/// The cursor for the database as it is now.
pub fn cursor(conn: &Connection) -> Result<Cursor, Error> {
    let last_point = last_point(conn)?;
    // A digest of every experiment's id, status and end: cheap next to reading the rows.
    let mut stmt =
        conn.prepare_cached("SELECT id, status, coalesce(ended, '') FROM experiments ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut hasher = blake3::Hasher::new();
    while let Some(r) = rows.next()? {
        for i in 0..3 {
            let text: String = r.get(i)?;
            hasher.update(text.as_bytes());
            hasher.update(&[0]);
        }
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    Ok(Cursor { last_point, experiments: u64::from_le_bytes(first) })
}

/// What changed since `since` (everything counts as changed for no cursor).
pub fn changes(conn: &Connection, since: Option<Cursor>) -> Result<Changes, Error> {
    let now = cursor(conn)?;
    let mut experiments = Vec::new();
    let mut runs = Vec::new();
    if let Some(since) = since
        && now.last_point > since.last_point
    {
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT m.run_id, r.experiment_id FROM metrics m
             JOIN runs r ON r.id = m.run_id WHERE m.rowid > ?1",
        )?;
        let mut rows = stmt.query([since.last_point])?;
        while let Some(r) = rows.next()? {
            let run = RunId::from_db(r.get(0)?);
            let exp: Option<String> = r.get(1)?;
            if !runs.contains(&run) {
                runs.push(run);
            }
            if let Some(exp) = exp.map(RunId::from_db)
                && !experiments.contains(&exp)
            {
                experiments.push(exp);
            }
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM experiments WHERE status IN ('queued', 'running') ORDER BY id",
    )?;
    let running = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .filter_map(|id| id.ok().map(RunId::from_db))
        .collect();
    Ok(Changes { cursor: now.to_string(), changed: since != Some(now), experiments, runs, running })
}

/// Whether run `id` exists.
pub fn run_exists(conn: &Connection, id: &RunId) -> Result<bool, Error> {
    Ok(conn
        .query_row("SELECT 1 FROM runs WHERE id = ?1", [id.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// One metric of one run over its steps, whole (for plots).
#[derive(Debug, Clone)]
pub struct RunHistory {
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
pub fn of_runs(conn: &Connection, runs: &[RunId]) -> Result<Vec<RunHistory>, Error> {
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
            out.push(RunHistory {
                run: run.clone(),
                run_label: run_label.clone(),
                key,
                points: pts,
            });
        }
    }
    Ok(out)
}
