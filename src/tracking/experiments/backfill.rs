//! Experiments for runs recorded before experiments existed: the migration that introduced them
//! (`backfill`) and run records from an older mlx merged later (`adopt_run`) group runs the same
//! way, so two clones that each upgraded agree: the stage runs of one pipeline run form one
//! experiment whose id is their `pipeline_run`, and a command run is an experiment of its own
//! with the run's id.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Naming, free_name};
use crate::tracking::db::Error;

/// The id of the experiment a run without one belongs to.
fn derived_id(run_id: &str, pipeline_run: Option<&str>) -> String {
    pipeline_run.unwrap_or(run_id).to_owned()
}

/// A name for a derived experiment: the command run's own name, or `exp-` and five hex digits of
/// the BLAKE3 of its id (the same in every clone).
fn derived_name(id: &str, run_name: Option<&str>, pipeline: bool) -> String {
    match run_name {
        Some(n) if !pipeline && !n.trim().is_empty() => n.to_owned(),
        _ => format!("exp-{}", &blake3::hash(id.as_bytes()).to_hex()[..5]),
    }
}

/// Group every run that has no experiment (the migration to schema version 6).
pub(crate) fn backfill(conn: &Connection) -> Result<(), Error> {
    let runs: Vec<String> = conn
        .prepare("SELECT id FROM runs WHERE experiment_id IS NULL ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in runs {
        adopt_run(conn, &id)?;
    }
    Ok(())
}

/// Give a run that has none its derived experiment (created when missing), name it in the
/// experiment's stages, and bring the experiment's status and times up to date with its runs.
pub(crate) fn adopt_run(conn: &Connection, run_id: &str) -> Result<(), Error> {
    type Row = (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
    let row: Option<Row> = conn
        .query_row(
            "SELECT experiment_id, name, stage, pipeline_run, status FROM runs WHERE id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((None, name, stage, pipeline_run, status)) = row else { return Ok(()) };
    let eid = derived_id(run_id, pipeline_run.as_deref());
    let exists: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM experiments WHERE id = ?1)", [&eid], |r| {
            r.get(0)
        })?;
    if !exists {
        let pipeline = stage.is_some() || pipeline_run.is_some();
        let name = free_name(
            conn,
            Some(&derived_name(&eid, name.as_deref(), pipeline)),
            Naming::Unique,
            &eid,
        )?;
        conn.execute(
            "INSERT INTO experiments (id, name, kind, git_commit, git_branch, git_dirty, status,
                 created, started, ended, host, user, pid)
             SELECT ?1, ?2, ?3, git_commit, git_branch, git_dirty, status, start_time, start_time,
                 end_time, host, user, pid
             FROM runs WHERE id = ?4",
            params![eid, name, if pipeline { "pipeline" } else { "command" }, run_id],
        )?;
    }
    conn.execute("UPDATE runs SET experiment_id = ?2 WHERE id = ?1", params![run_id, eid])?;
    if let Some(stage) = &stage {
        let outcome = match status.as_deref() {
            Some("failed") => "failed",
            Some("killed") => "killed",
            _ => "ran",
        };
        // The newest run of a stage within the pipeline run stands for it.
        conn.execute(
            "INSERT INTO experiment_stages (experiment_id, stage, outcome, run_id) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (experiment_id, stage) DO UPDATE SET outcome = excluded.outcome,
                 run_id = excluded.run_id
             WHERE excluded.run_id > experiment_stages.run_id",
            params![eid, stage, outcome, run_id],
        )?;
    }
    refresh(conn, &eid)
}

/// Status and times of a derived experiment from its runs: running while one runs, else killed,
/// failed or finished as the worst of them; started at the first run, ended at the last.
fn refresh(conn: &Connection, eid: &str) -> Result<(), Error> {
    conn.execute(
        "UPDATE experiments SET
             status = (SELECT CASE
                 WHEN sum(status = 'running') > 0 THEN 'running'
                 WHEN sum(status = 'killed') > 0 THEN 'killed'
                 WHEN sum(status = 'failed') > 0 THEN 'failed'
                 ELSE 'finished' END FROM runs WHERE experiment_id = ?1),
             created = (SELECT min(start_time) FROM runs WHERE experiment_id = ?1),
             started = (SELECT min(start_time) FROM runs WHERE experiment_id = ?1),
             ended = (SELECT CASE WHEN sum(status = 'running') > 0 THEN NULL ELSE max(end_time) END
                      FROM runs WHERE experiment_id = ?1),
             pid = (SELECT max(pid) FROM runs WHERE experiment_id = ?1 AND status = 'running')
         WHERE id = ?1 AND EXISTS (SELECT 1 FROM runs WHERE experiment_id = ?1)",
        [eid],
    )?;
    Ok(())
}
