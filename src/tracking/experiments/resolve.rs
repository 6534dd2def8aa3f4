//! Turning what a user typed (an experiment's name, an experiment or run id, or a unique prefix
//! of one) into an experiment or a run.

use rusqlite::{Connection, OptionalExtension};

use crate::tracking::db::Error;
use crate::tracking::run_id::RunId;

/// What an argument names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Experiment(RunId),
    Run(RunId),
}

fn ids_with_prefix(conn: &Connection, table: &str, prefix: &str) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id FROM {table} WHERE id >= ?1 AND id < ?1 || 'zzzzzzzzzzzz' ORDER BY id LIMIT 6"
    ))?;
    let found = stmt
        .query_map([prefix], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|id| id.starts_with(prefix))
        .collect();
    Ok(found)
}

/// The experiment name closest to `text`, for "did you mean".
pub fn closest_name(conn: &Connection, text: &str) -> Result<Option<String>, Error> {
    let names: Vec<String> = conn
        .prepare_cached("SELECT name FROM experiments ORDER BY id DESC LIMIT 10000")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(crate::text::closest(text, names.iter().map(String::as_str)).map(str::to_owned))
}

fn unknown(conn: &Connection, text: &str) -> Error {
    let closest = closest_name(conn, text.trim()).ok().flatten().or_else(|| {
        crate::tracking::lookup::closest(conn, text.trim()).ok().and_then(|c| c.into_iter().next())
    });
    Error::UnknownExperiment { text: text.to_owned(), closest }
}

/// An experiment (by name, id or unique id prefix) or a run (by id or unique id prefix). A
/// command's experiment shares its run's id: such an id names the experiment.
pub fn resolve(conn: &Connection, text: &str) -> Result<Subject, Error> {
    let trimmed = text.trim();
    if let Some(id) = conn
        .query_row("SELECT id FROM experiments WHERE name = ?1", [trimmed], |r| r.get(0))
        .optional()?
    {
        return Ok(Subject::Experiment(RunId::from_db(id)));
    }
    // A run's name (`mlx run --name` of a command, a stage run named by hand).
    let named: Vec<String> = conn
        .prepare_cached("SELECT id FROM runs WHERE name = ?1 ORDER BY id DESC LIMIT 6")?
        .query_map([trimmed], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    match named.len() {
        0 => {}
        1 => return Ok(Subject::Run(RunId::from_db(named[0].clone()))),
        _ => {
            return Err(Error::AmbiguousExperiment {
                text: text.to_owned(),
                candidates: named.iter().map(|r| format!("run {r}")).collect(),
            });
        }
    }
    let prefix = trimmed.to_ascii_lowercase();
    if !RunId::is_valid_prefix(&prefix) {
        return Err(unknown(conn, text));
    }
    let exps = ids_with_prefix(conn, "experiments", &prefix)?;
    let runs: Vec<String> =
        ids_with_prefix(conn, "runs", &prefix)?.into_iter().filter(|r| !exps.contains(r)).collect();
    let mut all: Vec<Subject> = exps
        .iter()
        .map(|e| Subject::Experiment(RunId::from_db(e.clone())))
        .chain(runs.iter().map(|r| Subject::Run(RunId::from_db(r.clone()))))
        .collect();
    let exact = all.iter().position(|s| match s {
        Subject::Experiment(id) | Subject::Run(id) => id.as_str() == prefix,
    });
    match (all.len(), exact) {
        (0, _) => Err(unknown(conn, text)),
        (1, _) => Ok(all.remove(0)),
        (_, Some(i)) => Ok(all.remove(i)),
        _ => Err(Error::AmbiguousExperiment {
            text: text.to_owned(),
            candidates: exps
                .iter()
                .map(|e| format!("experiment {e}"))
                .chain(runs.iter().map(|r| format!("run {r}")))
                .collect(),
        }),
    }
}

/// An experiment, named directly or through one of its runs.
pub fn resolve_experiment(conn: &Connection, text: &str) -> Result<RunId, Error> {
    match resolve(conn, text)? {
        Subject::Experiment(id) => Ok(id),
        Subject::Run(run) => conn
            .query_row("SELECT experiment_id FROM runs WHERE id = ?1", [run.as_str()], |r| {
                r.get::<_, Option<String>>(0)
            })?
            .map(RunId::from_db)
            .ok_or_else(|| unknown(conn, text)),
    }
}

/// An experiment as completion offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: RunId,
    pub name: String,
    pub status: String,
    /// RFC 3339 UTC: when it started (or was queued).
    pub when: String,
}

/// How many experiments completion offers at most: the newest.
const LISTED: i64 = 2000;

/// The newest experiments, newest first.
pub fn candidates(conn: &Connection) -> Result<Vec<Candidate>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, status, coalesce(started, created) FROM experiments
         ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([LISTED], |r| {
        Ok(Candidate {
            id: RunId::from_db(r.get(0)?),
            name: r.get(1)?,
            status: r.get(2)?,
            when: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
