//! The git commit holding an experiment's resulting state (`result_commit`): set when a pipeline
//! experiment concludes with a stage that succeeded, read by `mlx exp apply` and `mlx exp
//! branch`, and listed so that refs no experiment needs can go.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use crate::tracking::db::Error;
use crate::tracking::run_id::RunId;

/// Record the commit holding experiment `id`'s resulting state.
pub fn set_result_commit(conn: &Connection, id: &RunId, sha: &str) -> Result<(), Error> {
    conn.execute(
        "UPDATE experiments SET result_commit = ?2 WHERE id = ?1",
        params![id.as_str(), sha],
    )?;
    Ok(())
}

/// What `mlx exp apply` and `mlx exp branch` need to know of an experiment.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: RunId,
    pub name: String,
    /// `pipeline` or `command`.
    pub kind: String,
    pub status: String,
    /// HEAD when it started: the commit its result is made on.
    pub commit: Option<String>,
    pub result_commit: Option<String>,
    /// The `--set` overrides.
    pub overrides: Vec<String>,
    /// How many of its stages ran or were restored, and succeeded.
    pub stages_ok: i64,
}

/// The outcome of experiment `id`, if it exists.
pub fn outcome(conn: &Connection, id: &RunId) -> Result<Option<Outcome>, Error> {
    let row = conn
        .query_row(
            "SELECT e.name, e.kind, e.status, e.git_commit, e.result_commit, e.overrides,
                (SELECT COUNT(*) FROM experiment_stages s WHERE s.experiment_id = e.id
                   AND s.outcome IN ('ran', 'restored'))
             FROM experiments e WHERE e.id = ?1",
            [id.as_str()],
            |r| {
                Ok(Outcome {
                    id: id.clone(),
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    status: r.get(2)?,
                    commit: r.get(3)?,
                    result_commit: r.get(4)?,
                    overrides: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
                    stages_ok: r.get(6)?,
                })
            },
        )
        .optional()?;
    Ok(row)
}

/// The ids of the experiments that have a result commit.
pub fn with_result(conn: &Connection) -> Result<HashSet<String>, Error> {
    let ids = conn
        .prepare("SELECT id FROM experiments WHERE result_commit IS NOT NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}
