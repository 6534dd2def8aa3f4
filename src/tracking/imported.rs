//! Runs brought over from another tracker (`mlx import mlflow`), inserted in bulk inside the
//! caller's transaction with prepared statements. Each run is keyed by its id in the tracker it
//! came from, kept as a tag (`mlflow.run_id` for MLflow), so importing again finds the runs it
//! brought before and adds nothing twice.
//!
//! A run that is not nested under another becomes an experiment of its own (as `mlx run -- CMD`
//! does, a `command` experiment sharing the run's id and named after it); a nested run joins its
//! parent's experiment. Its metric histories fill `metrics`, `latest_metrics` (with the point
//! counts) and, for long ones, `metric_summaries`, as `runs::log_metrics` keeps them.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::db::Error;
use super::experiments::{Naming, Status as ExpStatus, free_name};
use super::run_id::RunId;
use super::runs::{GitInfo, Point, Status, rfc3339};
use super::summary;

/// A run from another tracker, with everything it logged.
#[derive(Debug)]
pub struct ImportedRun<'a> {
    pub name: Option<String>,
    pub command: Vec<String>,
    pub git: GitInfo,
    /// Never `Running`: a run the other tracker still calls running is imported as failed.
    pub status: Status,
    pub start_millis: i64,
    pub end_millis: Option<i64>,
    pub host: String,
    pub user: String,
    pub params: &'a [(String, String)],
    pub tags: &'a [(String, String)],
    pub metrics: &'a [Point<'a>],
    /// The experiment of the run it is nested under; `None`: an experiment of its own.
    pub experiment: Option<RunId>,
}

/// A run imported before: its id here and its experiment.
#[derive(Debug, Clone)]
pub struct Known {
    pub id: RunId,
    pub experiment: Option<RunId>,
}

/// The runs carrying the tag `key`, by its value (their id in the tracker they came from).
pub fn known(conn: &Connection, key: &str) -> Result<HashMap<String, Known>, Error> {
    let mut stmt = conn.prepare(
        "SELECT t.value, r.id, r.experiment_id FROM tags t JOIN runs r ON r.id = t.run_id
         WHERE t.key = ?1",
    )?;
    let rows = stmt.query_map([key], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Known {
                id: RunId::from_db(r.get(1)?),
                experiment: r.get::<_, Option<String>>(2)?.map(RunId::from_db),
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Insert one run (and its experiment, unless it joins one) with its params, tags and metric
/// points; returns its new id. Call inside a transaction: it runs many statements.
pub fn insert(conn: &Connection, run: &ImportedRun<'_>) -> Result<RunId, Error> {
    let start = u64::try_from(run.start_millis).unwrap_or(0);
    let mut id = RunId::generate(start);
    let mut taken = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)
             OR EXISTS (SELECT 1 FROM experiments WHERE id = ?1)",
    )?;
    while taken.query_row([id.as_str()], |r| r.get::<_, bool>(0))? {
        id = RunId::generate(start);
    }
    let started = rfc3339(run.start_millis);
    let ended = run.end_millis.map(rfc3339);
    #[allow(clippy::cast_precision_loss)]
    let duration = run.end_millis.map(|e| (e - run.start_millis).max(0) as f64 / 1000.0);
    let experiment = match &run.experiment {
        Some(e) => e.clone(),
        None => {
            let name = free_name(conn, run.name.as_deref(), Naming::Unique, id.as_str())?;
            conn.prepare_cached(
                "INSERT INTO experiments (id, name, kind, git_commit, git_branch, git_dirty,
                     status, created, started, ended, host, user)
                 VALUES (?1, ?2, 'command', ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id.as_str(),
                name,
                run.git.commit,
                run.git.branch,
                run.git.dirty,
                ExpStatus::from(run.status).as_str(),
                started,
                ended,
                run.host,
                run.user,
            ])?;
            id.clone()
        }
    };
    let command = serde_json::to_string(&run.command).expect("strings serialize");
    conn.prepare_cached(
        "INSERT INTO runs (id, name, command, cwd, git_commit, git_branch, git_dirty, status,
             start_time, end_time, duration, host, user, mlx_version, experiment_id)
         VALUES (?1, ?2, ?3, '.', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        id.as_str(),
        run.name,
        command,
        run.git.commit,
        run.git.branch,
        run.git.dirty,
        run.status.as_str(),
        started,
        ended,
        duration,
        run.host,
        run.user,
        env!("CARGO_PKG_VERSION"),
        experiment.as_str(),
    ])?;
    {
        let mut put = conn.prepare_cached(
            "INSERT OR REPLACE INTO params (run_id, key, value, value_num) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (k, v) in run.params {
            put.execute(params![id.as_str(), k, v, super::runs::as_number(v)])?;
        }
        let mut put = conn.prepare_cached(
            "INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)",
        )?;
        for (k, v) in run.tags {
            put.execute(params![id.as_str(), k, v])?;
        }
    }
    insert_metrics(conn, &id, run.metrics)?;
    Ok(id)
}

/// The points of a new run, with their `latest_metrics` rows and summaries.
fn insert_metrics(conn: &Connection, id: &RunId, points: &[Point<'_>]) -> Result<(), Error> {
    let latest = super::runs::insert_points(conn, id, points)?;
    let mut put_latest = conn.prepare_cached(
        "INSERT INTO latest_metrics (run_id, key, step, value, timestamp, points)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (p, n) in latest.values() {
        put_latest.execute(params![id.as_str(), p.key, p.step, p.value, p.timestamp, n])?;
        summary::refresh(conn, id, p.key, usize::try_from(*n).unwrap_or(0))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_runs_are_found_again_and_nested_ones_join_their_parent() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let tx = conn.transaction().unwrap();
        let tags = [("mlflow.run_id".to_owned(), "abc".to_owned())];
        let points = [
            Point { key: "loss", value: 0.5, step: 1, timestamp: 10 },
            Point { key: "loss", value: f64::NAN, step: 0, timestamp: 5 },
        ];
        let run = ImportedRun {
            name: Some("base".into()),
            command: vec![],
            git: GitInfo { commit: Some("c".repeat(40)), ..GitInfo::default() },
            status: Status::Finished,
            start_millis: 1_000,
            end_millis: Some(3_500),
            host: String::new(),
            user: "u".into(),
            params: &[("lr".into(), "0.1".into())],
            tags: &tags,
            metrics: &points,
            experiment: None,
        };
        let parent = insert(&tx, &run).unwrap();
        let child_tags = [("mlflow.run_id".to_owned(), "def".to_owned())];
        let child = insert(
            &tx,
            &ImportedRun { tags: &child_tags, experiment: Some(parent.clone()), ..run },
        )
        .unwrap();
        tx.commit().unwrap();
        let known = known(&conn, "mlflow.run_id").unwrap();
        assert_eq!(known["abc"].id, parent);
        assert_eq!(known["def"].id, child);
        assert_eq!(known["def"].experiment.as_ref(), Some(&parent));
        let (value, points, duration): (f64, i64, f64) = conn
            .query_row(
                "SELECT l.value, l.points, r.duration FROM latest_metrics l
                 JOIN runs r ON r.id = l.run_id WHERE r.id = ?1",
                [parent.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((value, points, duration), (0.5, 2, 2.5));
        let experiments: i64 =
            conn.query_row("SELECT count(*) FROM experiments", [], |r| r.get(0)).unwrap();
        assert_eq!(experiments, 1);
    }
}
