//! Small questions about experiments: which stand for a commit (`mlx exp check`), the run of a
//! stage, the runs an experiment shows, the stage names recorded.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};

use crate::tracking::db::Error;
use crate::tracking::run_id::RunId;

/// The conditions for an experiment to stand for a committed setup: finished, no `--set`
/// overrides, a clean work tree, the user's own work tree (and [`HAS_RUNS`]).
const COMMITTED: &str = "status = 'finished' AND overrides = '[]' AND git_dirty = 0 \
                         AND workspace IS NULL";

/// Whether some run it shows is recorded here (SQL over `experiments`). An experiment whose
/// stages were all up to date, in a clone that has none of the runs behind them, holds no values
/// to judge.
const HAS_RUNS: &str = concat!(
    "(EXISTS (SELECT 1 FROM runs x WHERE x.experiment_id = experiments.id) ",
    "OR EXISTS (SELECT 1 FROM experiment_stages s JOIN runs x ON x.id = s.run_id ",
    "WHERE s.experiment_id = experiments.id))"
);

/// Experiments that would stand for commit `?1` (whose `mlx.lock` hashes to `?2`), before
/// [`COMMITTED`]: with a lock, pipeline experiments that recorded it or ran on the commit;
/// without, experiments that ran on the commit.
const MATCHES: &str = "(CASE WHEN ?2 IS NULL THEN git_commit = ?1 \
                       ELSE kind = 'pipeline' AND (lock_hash = ?2 OR git_commit = ?1) END)";

/// The newest experiment standing for `commit`, and whether it recorded the `lock` (rather
/// than only running on the commit).
pub fn standing_for(
    conn: &Connection,
    commit: &str,
    lock: Option<&str>,
) -> Result<Option<(RunId, bool)>, Error> {
    let sql = format!(
        "SELECT id, ?2 IS NOT NULL AND lock_hash IS ?2 FROM experiments
         WHERE {COMMITTED} AND {HAS_RUNS} AND {MATCHES}
         ORDER BY id DESC LIMIT 1"
    );
    let found: Option<(String, bool)> =
        conn.query_row(&sql, params![commit, lock], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    Ok(found.map(|(id, by_lock)| (RunId::from_db(id), by_lock)))
}

/// The newest experiment that would stand for a commit but for its state.
#[derive(Debug, Clone)]
pub struct Excluded {
    pub name: String,
    pub status: String,
    pub overrides: Vec<String>,
    pub dirty: bool,
    pub isolated: bool,
    /// Whether any run it shows is recorded here.
    pub has_runs: bool,
}

/// See [`Excluded`]; `None` when no experiment ran on the commit or recorded its lock.
pub fn excluded_for(
    conn: &Connection,
    commit: &str,
    lock: Option<&str>,
) -> Result<Option<Excluded>, Error> {
    let sql = format!(
        "SELECT name, status, overrides, git_dirty, workspace IS NOT NULL, {HAS_RUNS}
         FROM experiments WHERE {MATCHES} ORDER BY id DESC LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params![commit, lock], |r| {
            let overrides: String = r.get(2)?;
            Ok(Excluded {
                name: r.get(0)?,
                status: r.get(1)?,
                overrides: serde_json::from_str(&overrides).unwrap_or_default(),
                dirty: r.get(3)?,
                isolated: r.get(4)?,
                has_runs: r.get(5)?,
            })
        })
        .optional()?)
}

/// The run of `stage` in experiment `id`: the one its stage row names, or the one it ran.
pub fn stage_run(conn: &Connection, id: &RunId, stage: &str) -> Result<Option<RunId>, Error> {
    let found: Option<String> = conn
        .query_row(
            "SELECT run_id FROM experiment_stages WHERE experiment_id = ?1 AND stage = ?2
                 AND run_id IS NOT NULL
             UNION ALL
             SELECT id FROM runs WHERE experiment_id = ?1 AND stage = ?2
             LIMIT 1",
            params![id.as_str(), stage],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.map(RunId::from_db))
}

/// The stages of experiment `id` with no run recorded here behind their results, sorted: up to
/// date or not selected, with the runs that made their `mlx.lock` entries in another clone (or
/// deleted), or never run.
pub fn stages_without_run(conn: &Connection, id: &RunId) -> Result<Vec<String>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT s.stage FROM experiment_stages s WHERE s.experiment_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id)
                 AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = ?1
                     AND r.stage = s.stage)
             ORDER BY s.stage",
        )?
        .query_map([id.as_str()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The stages of experiment `id` that have a run, sorted.
pub fn stages_with_runs(conn: &Connection, id: &RunId) -> Result<Vec<String>, Error> {
    Ok(conn
        .prepare(
            "SELECT stage FROM experiment_stages WHERE experiment_id = ?1 AND run_id IS NOT NULL
             UNION SELECT stage FROM runs WHERE experiment_id = ?1 AND stage IS NOT NULL
             ORDER BY 1",
        )?
        .query_map([id.as_str()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The experiment a run belongs to.
pub fn of_run(conn: &Connection, run: &RunId) -> Result<Option<RunId>, Error> {
    let found: Option<Option<String>> = conn
        .query_row("SELECT experiment_id FROM runs WHERE id = ?1", [run.as_str()], |r| r.get(0))
        .optional()?;
    Ok(found.flatten().map(RunId::from_db))
}

/// The runs experiment `id` shows (its own and those its stages name), by id.
pub fn member_runs(conn: &Connection, id: &RunId) -> Result<Vec<RunId>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM runs WHERE experiment_id = ?1
             UNION SELECT run_id FROM experiment_stages WHERE experiment_id = ?1
                 AND run_id IS NOT NULL
             ORDER BY 1",
        )?
        .query_map([id.as_str()], |r| r.get::<_, String>(0))?
        .map(|r| r.map(RunId::from_db))
        .collect::<rusqlite::Result<_>>()?)
}

/// The runs experiment `id` made itself, by id.
pub fn own_runs(conn: &Connection, id: &RunId) -> Result<Vec<RunId>, Error> {
    Ok(conn
        .prepare_cached("SELECT id FROM runs WHERE experiment_id = ?1 ORDER BY id")?
        .query_map([id.as_str()], |r| r.get::<_, String>(0))?
        .map(|r| r.map(RunId::from_db))
        .collect::<rusqlite::Result<_>>()?)
}

/// Whether `id` is a command's experiment whose run shares its id.
pub fn is_command_run(conn: &Connection, id: &RunId) -> Result<bool, Error> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM experiments e JOIN runs r ON r.id = e.id
             WHERE e.id = ?1 AND e.kind = 'command')",
        [id.as_str()],
        |r| r.get(0),
    )?)
}

/// Every stage name runs or experiments recorded.
pub fn stage_names(conn: &Connection) -> Result<BTreeSet<String>, Error> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT stage FROM runs WHERE stage IS NOT NULL
         UNION SELECT DISTINCT stage FROM experiment_stages",
    )?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(names)
}
