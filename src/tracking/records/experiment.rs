//! The experiment a run record carries: the `experiments` row of the run's experiment (but
//! `pid`) and its `experiment_stages` rows, so a clone that merges the record knows which runs
//! one `mlx run` made and which run stands behind each stage's results. Records written before
//! experiments existed have none: merging one groups its run as the migration did.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::unique;
use crate::tracking::db::Error;
use crate::tracking::experiments::{self, Naming};
use crate::tracking::run_id::{self, RunId};

/// The columns of `experiments` but `pid`, as stored, with the experiment's stage rows. Field
/// order is the key order of the JSON: do not reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ExperimentRow {
    id: String,
    name: String,
    kind: String,
    git_commit: Option<String>,
    git_branch: Option<String>,
    git_dirty: i64,
    status: String,
    created: String,
    started: Option<String>,
    ended: Option<String>,
    /// JSON list of the `--set` overrides, as stored.
    overrides: String,
    lock_hash: Option<String>,
    workspace: Option<String>,
    host: String,
    user: String,
    stages: Vec<StageRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StageRow {
    stage: String,
    outcome: String,
    run_id: Option<String>,
    entry_hash: Option<String>,
}

impl ExperimentRow {
    pub(super) fn id(&self) -> &str {
        &self.id
    }
}

/// Every experiment, with its stages, by id.
pub(super) fn export_all(conn: &Connection) -> Result<HashMap<String, ExperimentRow>, Error> {
    let mut out: HashMap<String, ExperimentRow> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT id, name, kind, git_commit, git_branch, git_dirty, status, created, started,
             ended, overrides, lock_hash, workspace, host, user
         FROM experiments",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ExperimentRow {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            git_commit: r.get(3)?,
            git_branch: r.get(4)?,
            git_dirty: r.get(5)?,
            status: r.get(6)?,
            created: r.get(7)?,
            started: r.get(8)?,
            ended: r.get(9)?,
            overrides: r.get(10)?,
            lock_hash: r.get(11)?,
            workspace: r.get(12)?,
            host: r.get(13)?,
            user: r.get(14)?,
            stages: Vec::new(),
        })
    })?;
    for row in rows {
        let row = row?;
        out.insert(row.id.clone(), row);
    }
    let mut stmt = conn.prepare(
        "SELECT experiment_id, stage, outcome, run_id, entry_hash FROM experiment_stages
         ORDER BY experiment_id, stage",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            StageRow {
                stage: r.get(1)?,
                outcome: r.get(2)?,
                run_id: r.get(3)?,
                entry_hash: r.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (id, stage) = row?;
        if let Some(e) = out.get_mut(&id) {
            e.stages.push(stage);
        }
    }
    Ok(out)
}

fn valid_id(id: &str) -> bool {
    id.len() == run_id::LEN && RunId::is_valid_prefix(id)
}

/// What is wrong with an experiment in a record, if anything.
pub(super) fn validate(e: &ExperimentRow, run_experiment: Option<&str>) -> Result<(), String> {
    if !valid_id(&e.id) {
        return Err(format!("invalid experiment id {:?}", e.id));
    }
    if run_experiment.is_some_and(|id| id != e.id) {
        return Err(format!("the run belongs to experiment {run_experiment:?}, not {:?}", e.id));
    }
    if e.name.trim().is_empty() {
        return Err("the experiment has an empty name".into());
    }
    if !matches!(e.kind.as_str(), "pipeline" | "command") {
        return Err(format!("experiment kind {:?} is not pipeline or command", e.kind));
    }
    if !matches!(e.status.as_str(), "queued" | "running" | "finished" | "failed" | "killed") {
        return Err(format!("experiment status {:?} is unknown", e.status));
    }
    if !matches!(e.git_dirty, 0 | 1) {
        return Err(format!("experiment git_dirty is {}, not 0 or 1", e.git_dirty));
    }
    if serde_json::from_str::<Vec<String>>(&e.overrides).is_err() {
        return Err(format!(
            "experiment overrides {:?} are not a JSON list of strings",
            e.overrides
        ));
    }
    for (field, time) in [
        ("created", Some(&e.created)),
        ("started", e.started.as_ref()),
        ("ended", e.ended.as_ref()),
    ] {
        if let Some(t) = time
            && humantime::parse_rfc3339_weak(t).is_err()
        {
            return Err(format!("experiment {field} {t:?} is not an RFC 3339 time"));
        }
    }
    unique("experiment stage", e.stages.iter().map(|s| s.stage.as_str()))?;
    for s in &e.stages {
        if s.run_id.as_deref().is_some_and(|r| !valid_id(r)) {
            return Err(format!("experiment stage {:?} names an invalid run id", s.stage));
        }
    }
    Ok(())
}

/// Merge an experiment into the database: inserted when unknown (its name numbered if another
/// experiment here has it); otherwise it gains the stage rows and runs it lacks, its `mlx.lock`
/// hash when it has none, and a final status when it is still queued or running here (a record
/// is only written once its run ended, elsewhere). True when it was inserted.
pub(super) fn merge(conn: &Connection, e: &ExperimentRow) -> Result<bool, Error> {
    let local: Option<String> = conn
        .query_row("SELECT status FROM experiments WHERE id = ?1", [&e.id], |r| r.get(0))
        .optional()?;
    let inserted = local.is_none();
    match local {
        None => {
            let name = experiments::free_name(conn, Some(&e.name), Naming::Unique, &e.id)?;
            conn.execute(
                "INSERT INTO experiments (id, name, kind, git_commit, git_branch, git_dirty,
                     status, created, started, ended, overrides, lock_hash, workspace, host,
                     user, pid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, NULL)",
                params![
                    e.id,
                    name,
                    e.kind,
                    e.git_commit,
                    e.git_branch,
                    e.git_dirty,
                    e.status,
                    e.created,
                    e.started,
                    e.ended,
                    e.overrides,
                    e.lock_hash,
                    e.workspace,
                    e.host,
                    e.user,
                ],
            )?;
        }
        Some(status) => {
            if !experiments::Status::is_final(&status) && experiments::Status::is_final(&e.status) {
                conn.execute(
                    "UPDATE experiments SET status = ?2, ended = ?3, pid = NULL WHERE id = ?1",
                    params![e.id, e.status, e.ended],
                )?;
            }
            conn.execute(
                "UPDATE experiments SET lock_hash = ?2 WHERE id = ?1 AND lock_hash IS NULL",
                params![e.id, e.lock_hash],
            )?;
        }
    }
    let mut put = conn.prepare_cached(
        "INSERT INTO experiment_stages (experiment_id, stage, outcome, run_id, entry_hash)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (experiment_id, stage) DO UPDATE SET run_id = excluded.run_id
         WHERE experiment_stages.run_id IS NULL",
    )?;
    for s in &e.stages {
        put.execute(params![e.id, s.stage, s.outcome, s.run_id, s.entry_hash])?;
    }
    Ok(inserted)
}
