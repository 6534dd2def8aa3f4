//! Experiments: one `mlx run` of the pipeline, or one `mlx run -- CMD`, grouping the runs it
//! made. A pipeline experiment also names, for every stage of the pipeline, the run whose results
//! the stage's `mlx.lock` entry holds after it (`experiment_stages`): the run it made, the run
//! the run cache restored, or for a stage that was up to date the run an earlier experiment (or
//! the run cache) recorded for the same entry. So an experiment shows the params and metrics of
//! every stage even when only one of them ran.
//!
//! This module creates experiments and concludes them (`begin`, `conclude`), names them, marks
//! those whose mlx died as failed (`reap_dead`), turns ids and names into experiments
//! (`resolve`) and offers them for completion (`candidates`), lists them with their values
//! (`list`), finds the runs to read back (`readback`), keeps the commit holding each one's
//! resulting state (`results`), and groups runs recorded before experiments existed
//! (`backfill`). It never prints; SQL about experiments stays here.

mod backfill;
pub mod list;
mod lookup;
mod readback;
mod resolve;
pub mod results;

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::db::Error;
use super::run_id::RunId;
use super::runs::{GitInfo, now_millis, rfc3339};

pub(crate) use backfill::{adopt_run, backfill};
pub use lookup::{
    Excluded, excluded_for, is_command_run, member_runs, of_run, own_runs, stage_names, stage_run,
    stages_with_runs, stages_without_run, standing_for,
};
pub use readback::{Named, ReadBack, StageRun, readback};
pub use resolve::{Candidate, Subject, candidates, closest_name, resolve, resolve_experiment};

/// What an experiment ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `mlx run [STAGE...]`: stages of the pipeline.
    Pipeline,
    /// `mlx run -- CMD`: one command.
    Command,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pipeline => "pipeline",
            Kind::Command => "command",
        }
    }
}

/// Where an experiment stands. A pipeline experiment is `finished` when every stage it covered
/// succeeded, was up to date or was restored from the run cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Running,
    Finished,
    Failed,
    Killed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Finished => "finished",
            Status::Failed => "failed",
            Status::Killed => "killed",
        }
    }

    pub fn is_final(s: &str) -> bool {
        matches!(s, "finished" | "failed" | "killed")
    }
}

impl From<super::runs::Status> for Status {
    fn from(s: super::runs::Status) -> Self {
        match s {
            super::runs::Status::Running => Status::Running,
            super::runs::Status::Finished => Status::Finished,
            super::runs::Status::Failed => Status::Failed,
            super::runs::Status::Killed => Status::Killed,
        }
    }
}

/// Everything known about an experiment when it starts (or is queued).
#[derive(Debug, Clone)]
pub struct NewExperiment {
    /// `None`: a name is made up (`exp-` and five hex digits).
    pub name: Option<String>,
    pub kind: Kind,
    pub git: GitInfo,
    /// The `--set` overrides, as given; empty for the committed setup.
    pub overrides: Vec<String>,
    /// `None` for the user's work tree; the folder of an isolated workspace otherwise.
    pub workspace: Option<String>,
    pub host: String,
    pub user: String,
    /// The recording mlx process (`None` while queued).
    pub pid: Option<u32>,
    /// `queued` instead of `running`.
    pub queued: bool,
}

/// What to do with a name another experiment has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Refuse it (a name the user chose for this experiment).
    Exact,
    /// Add `-2`, `-3`, … (a run's name, which need not be unique, or a merged experiment's).
    Unique,
}

/// An experiment as started: its id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Started {
    pub id: RunId,
    pub name: String,
}

/// The id of the experiment named `name`, if one is.
pub fn taken_by(conn: &Connection, name: &str) -> Result<Option<String>, Error> {
    Ok(conn
        .query_row("SELECT id FROM experiments WHERE name = ?1", [name], |r| r.get(0))
        .optional()?)
}

/// A name no experiment has: `wanted` (refused or numbered when taken, as `naming` says), or
/// `exp-` and five random hex digits.
pub(crate) fn free_name(
    conn: &Connection,
    wanted: Option<&str>,
    naming: Naming,
    id: &str,
) -> Result<String, Error> {
    match wanted.map(str::trim).filter(|w| !w.is_empty()) {
        Some(name) => match (taken_by(conn, name)?, naming) {
            (None, _) => Ok(name.to_owned()),
            (Some(other), Naming::Exact) => {
                Err(Error::NameTaken { name: name.to_owned(), id: other })
            }
            (Some(_), Naming::Unique) => {
                for n in 2.. {
                    let candidate = format!("{name}-{n}");
                    if taken_by(conn, &candidate)?.is_none() {
                        return Ok(candidate);
                    }
                }
                unreachable!("some number is free")
            }
        },
        None => {
            for _ in 0..16 {
                let candidate = format!("exp-{:05x}", fastrand::u32(..1 << 20));
                if taken_by(conn, &candidate)?.is_none() {
                    return Ok(candidate);
                }
            }
            free_name(conn, Some(&format!("exp-{id}")), Naming::Unique, id)
        }
    }
}

/// Free `name` for a queued variant that runs again (its runner was killed): an experiment of
/// that name left by the earlier attempt in the same workspace, unfinished, is renamed
/// `NAME-2` (or the next free number). Returns the name it now has, if one was renamed.
pub fn release_name(conn: &Connection, name: &str) -> Result<Option<String>, Error> {
    let Some(id) = conn
        .query_row(
            "SELECT id FROM experiments WHERE name = ?1 AND workspace = ?1 AND status != 'finished'",
            [name],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let renamed = free_name(conn, Some(name), Naming::Unique, &id)?;
    conn.execute("UPDATE experiments SET name = ?1 WHERE id = ?2", params![renamed, id])?;
    Ok(Some(renamed))
}

/// Insert an experiment with a given id (a command run's experiment shares the run's id).
pub(crate) fn insert(
    conn: &Connection,
    id: &RunId,
    new: &NewExperiment,
    naming: Naming,
    millis: i64,
) -> Result<String, Error> {
    let name = free_name(conn, new.name.as_deref(), naming, id.as_str())?;
    let overrides = serde_json::to_string(&new.overrides).expect("strings serialize");
    let now = rfc3339(millis);
    conn.execute(
        "INSERT INTO experiments (id, name, kind, git_commit, git_branch, git_dirty, status,
             created, started, overrides, workspace, host, user, pid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            id.as_str(),
            name,
            new.kind.as_str(),
            new.git.commit,
            new.git.branch,
            new.git.dirty,
            if new.queued { "queued" } else { "running" },
            now,
            (!new.queued).then_some(&now),
            overrides,
            new.workspace,
            new.host,
            new.user,
            new.pid,
        ],
    )?;
    Ok(name)
}

/// Record a new experiment (`running`, or `queued`), with a new id.
pub fn begin(conn: &mut Connection, new: &NewExperiment) -> Result<Started, Error> {
    let millis = now_millis();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut id = RunId::generate(u64::try_from(millis).unwrap_or(0));
    for _ in 0..8 {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM experiments WHERE id = ?1)",
            [id.as_str()],
            |r| r.get(0),
        )?;
        if !exists {
            break;
        }
        id = RunId::generate(u64::try_from(millis).unwrap_or(0));
    }
    let name = insert(&tx, &id, new, Naming::Exact, millis)?;
    tx.commit()?;
    Ok(Started { id, name })
}

/// Mark experiment `id` dirty: it ran on tracked data that differs from its pointers (found
/// only once its first stage starts, after it began).
pub fn mark_dirty(conn: &Connection, id: &RunId) -> Result<(), Error> {
    conn.execute("UPDATE experiments SET git_dirty = 1 WHERE id = ?1", [id.as_str()])?;
    Ok(())
}

/// How a stage of the pipeline ended up in an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageOutcome {
    Ran,
    /// Its outputs came from the run cache.
    Restored,
    UpToDate,
    Failed,
    Killed,
    /// Not started: an upstream stage failed, or the experiment was stopped.
    Skipped,
    /// Not selected (`mlx run train` covers train and what it depends on).
    NotRun,
}

impl StageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StageOutcome::Ran => "ran",
            StageOutcome::Restored => "restored",
            StageOutcome::UpToDate => "up_to_date",
            StageOutcome::Failed => "failed",
            StageOutcome::Killed => "killed",
            StageOutcome::Skipped => "skipped",
            StageOutcome::NotRun => "not_run",
        }
    }
}

/// One stage of the pipeline as an experiment concludes.
#[derive(Debug, Clone)]
pub struct StageEntry {
    pub stage: String,
    pub outcome: StageOutcome,
    /// The run made now, or the one the run cache restored; `None`: look it up.
    pub run: Option<RunId>,
    /// BLAKE3 of the stage's `mlx.lock` entry after the experiment (see [`entry_hash`]).
    pub entry_hash: Option<String>,
    /// The entry's outputs as the run cache stores them (JSON), to find the run that made them
    /// there; `None` when the entry has no outputs.
    pub outs: Option<String>,
}

/// How an experiment ended.
#[derive(Debug, Clone)]
pub struct Conclusion {
    pub status: Status,
    /// BLAKE3 of `mlx.lock` right after the experiment (see [`lock_hash`]).
    pub lock_hash: Option<String>,
    /// Every stage of the pipeline (empty for a command).
    pub stages: Vec<StageEntry>,
    /// Keep it even when nothing ran (the user named it).
    pub keep: bool,
}

/// BLAKE3 of the project's `mlx.lock` text, `None` when there is none.
pub fn lock_hash(root: &Path) -> Option<String> {
    let bytes = std::fs::read(root.join(crate::pipeline::lock::FILE)).ok()?;
    Some(lock_hash_of(&bytes))
}

/// BLAKE3 of an `mlx.lock` text (as [`lock_hash`], for a text read from git).
pub fn lock_hash_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// BLAKE3 of one stage's `mlx.lock` entry, given as its canonical TOML text.
pub fn entry_hash(stage: &str, entry_toml: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"mlx-lock-entry-v1\0");
    h.update(stage.as_bytes());
    h.update(b"\0");
    h.update(entry_toml.as_bytes());
    h.finalize().to_hex().to_string()
}

/// The run that made a stage's `mlx.lock` entry, as recorded by an earlier experiment or, for an
/// entry with outputs, by the run cache (which keeps the outputs each run produced).
fn producing_run(conn: &Connection, e: &StageEntry) -> Result<Option<String>, Error> {
    if let Some(hash) = &e.entry_hash {
        let found: Option<String> = conn
            .prepare_cached(
                "SELECT run_id FROM experiment_stages WHERE stage = ?1 AND entry_hash = ?2
                 AND run_id IS NOT NULL ORDER BY experiment_id DESC LIMIT 1",
            )?
            .query_row(params![e.stage, hash], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(outs) = &e.outs {
        return Ok(conn
            .prepare_cached(
                "SELECT run_id FROM run_cache WHERE stage = ?1 AND outs = ?2
                 AND run_id IS NOT NULL ORDER BY created DESC LIMIT 1",
            )?
            .query_row(params![e.stage, outs], |r| r.get(0))
            .optional()?);
    }
    Ok(None)
}

/// Record how an experiment ended: its status, `lock_hash`, and per stage the run behind its
/// results. A pipeline experiment in which nothing ran or was restored is dropped (false) unless
/// `keep`, when it was dirty or had overrides (it cannot stand for a committed setup), when a
/// finished one with the same commit and `mlx.lock` exists: repeating `mlx run` on an up-to-date
/// pipeline adds no rows.
pub fn conclude(conn: &mut Connection, id: &RunId, c: &Conclusion) -> Result<bool, Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    type Row = (String, Option<String>, bool, String, Option<String>);
    let row: Option<Row> = tx
        .query_row(
            "SELECT kind, git_commit, git_dirty, overrides, workspace FROM experiments
             WHERE id = ?1",
            [id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((kind, commit, dirty, overrides, workspace)) = row else {
        return Ok(false);
    };
    let nothing_ran = kind == Kind::Pipeline.as_str()
        && c.stages
            .iter()
            .all(|s| matches!(s.outcome, StageOutcome::UpToDate | StageOutcome::NotRun));
    let mut runs = Vec::with_capacity(c.stages.len());
    for s in &c.stages {
        runs.push(match &s.run {
            Some(r) => Some(r.to_string()),
            None => producing_run(&tx, s)?,
        });
    }
    if nothing_ran && c.status == Status::Finished && !c.keep {
        let twin: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM experiments WHERE id != ?1 AND kind = 'pipeline'
                 AND status = 'finished' AND git_dirty = 0 AND overrides = '[]'
                 AND git_commit IS ?2 AND lock_hash IS ?3 AND workspace IS ?4)",
            params![id.as_str(), commit, c.lock_hash, workspace],
            |r| r.get(0),
        )?;
        if dirty || overrides != "[]" || twin {
            tx.execute("DELETE FROM experiments WHERE id = ?1", [id.as_str()])?;
            tx.commit()?;
            return Ok(false);
        }
    }
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO experiment_stages (experiment_id, stage, outcome, run_id,
                 entry_hash)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (s, run) in c.stages.iter().zip(&runs) {
            put.execute(params![id.as_str(), s.stage, s.outcome.as_str(), run, s.entry_hash])?;
        }
    }
    tx.execute(
        "UPDATE experiments SET status = ?2, ended = ?3, lock_hash = ?4, pid = NULL WHERE id = ?1",
        params![id.as_str(), c.status.as_str(), rfc3339(now_millis()), c.lock_hash],
    )?;
    tx.commit()?;
    Ok(true)
}

/// A command run's experiment follows its run: called when the run ends. A nested run (one
/// MLflow's client started inside it) leaves the experiment to its parent.
pub(crate) fn follow_command_run(
    conn: &Connection,
    run: &RunId,
    status: super::runs::Status,
    end: &str,
) -> Result<(), Error> {
    conn.execute(
        "UPDATE experiments SET status = ?2, ended = ?3, pid = NULL
         WHERE id = (SELECT experiment_id FROM runs WHERE id = ?1 AND parent_id IS NULL)
           AND kind = 'command' AND status IN ('queued', 'running')",
        params![run.as_str(), Status::from(status).as_str(), end],
    )?;
    Ok(())
}

/// Experiments recorded as `running` on this host whose mlx process is gone: mark them failed.
pub fn reap_dead(
    conn: &Connection,
    host: &str,
    alive: impl Fn(u32) -> bool,
) -> Result<Vec<RunId>, Error> {
    let candidates: Vec<(String, Option<u32>)> = conn
        .prepare_cached("SELECT id, pid FROM experiments WHERE status = 'running' AND host = ?1")?
        .query_map([host], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut reaped = Vec::new();
    for (id, pid) in candidates {
        if pid.is_some_and(&alive) {
            continue;
        }
        conn.execute(
            "UPDATE experiments SET status = 'failed', ended = ?2, pid = NULL
             WHERE id = ?1 AND status = 'running'",
            params![id, rfc3339(now_millis())],
        )?;
        reaped.push(RunId::from_db(id));
    }
    Ok(reaped)
}

/// An experiment as deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deleted {
    pub id: RunId,
    pub name: String,
    pub status: String,
}

/// Delete experiments with the runs they made, and single runs, in one transaction; an
/// experiment left with no run to show (a command's, once its run is gone) goes too. Runs that
/// other experiments name for their stages go from those as well. Returns the experiments
/// deleted.
pub fn delete(
    conn: &mut Connection,
    experiments: &[RunId],
    runs: &[RunId],
) -> Result<Vec<Deleted>, Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut touched: Vec<String> = experiments.iter().map(ToString::to_string).collect();
    {
        let mut owner = tx.prepare_cached("SELECT experiment_id FROM runs WHERE id = ?1")?;
        for run in runs {
            if let Some(Some(e)) =
                owner.query_row([run.as_str()], |r| r.get::<_, Option<String>>(0)).optional()?
                && !touched.contains(&e)
            {
                touched.push(e);
            }
        }
        let mut del = tx.prepare_cached("DELETE FROM runs WHERE id = ?1")?;
        for run in runs {
            del.execute([run.as_str()])?;
        }
        let mut del = tx.prepare_cached("DELETE FROM runs WHERE experiment_id = ?1")?;
        for e in experiments {
            del.execute([e.as_str()])?;
        }
    }
    let mut deleted = Vec::new();
    {
        let mut del = tx.prepare_cached(
            "DELETE FROM experiments WHERE id = ?1 AND (?2 OR NOT (
                 EXISTS (SELECT 1 FROM runs x WHERE x.experiment_id = ?1)
                 OR EXISTS (SELECT 1 FROM experiment_stages s JOIN runs x ON x.id = s.run_id
                     WHERE s.experiment_id = ?1)))
             RETURNING name, status",
        )?;
        for e in touched {
            let named = experiments.iter().any(|x| x.as_str() == e);
            let gone: Option<(String, String)> =
                del.query_row(params![e, named], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            if let Some((name, status)) = gone {
                deleted.push(Deleted { id: RunId::from_db(e), name, status });
            }
        }
    }
    tx.commit()?;
    Ok(deleted)
}

/// One stage row of an experiment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageRow {
    pub stage: String,
    pub outcome: String,
    /// The run behind the stage's results; absent when none is known here.
    pub run: Option<RunId>,
    /// Whether that run belongs to this experiment (it ran in it).
    pub own: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_hash: Option<String>,
}

/// The stage rows of experiments, by experiment id, in stage order of the table (by name: the
/// order of its primary key, which the lookup by experiment follows).
pub fn stages_of(
    conn: &Connection,
    ids: &[&RunId],
) -> Result<HashMap<String, Vec<StageRow>>, Error> {
    let mut out: HashMap<String, Vec<StageRow>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let json = serde_json::to_string(&ids.iter().map(|i| i.as_str()).collect::<Vec<_>>())
        .expect("strings serialize");
    let mut stmt = conn.prepare_cached(
        "SELECT s.experiment_id, s.stage, s.outcome, s.run_id, s.entry_hash,
                r.experiment_id IS s.experiment_id
         FROM json_each(?1) j JOIN experiment_stages s ON s.experiment_id = j.value
         LEFT JOIN runs r ON r.id = s.run_id",
    )?;
    let rows = stmt.query_map([json], |r| {
        Ok((
            r.get::<_, String>(0)?,
            StageRow {
                stage: r.get(1)?,
                outcome: r.get(2)?,
                run: r.get::<_, Option<String>>(3)?.map(RunId::from_db),
                entry_hash: r.get(4)?,
                own: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
            },
        ))
    })?;
    for row in rows {
        let (id, stage) = row?;
        out.entry(id).or_default().push(stage);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
