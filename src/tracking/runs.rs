//! Run records: starting and finishing runs, finding runs whose recording process died, turning
//! id prefixes into ids, and logging params, tags, metrics and artifacts. All SQL about runs
//! lives here and in `query`; user input only ever reaches SQLite as `?` parameters.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::db::Error;
use super::run_id::RunId;
use super::summary;

/// What the run was started from, in git terms.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GitInfo {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
    pub diff_hash: Option<String>,
}

/// Everything known about a run when it starts.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub name: Option<String>,
    pub command: Vec<String>,
    pub cwd: String,
    pub git: GitInfo,
    pub host: String,
    pub user: String,
    pub pid: u32,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    /// The experiment it belongs to (a stage run: its pipeline's); `None`: the run is an
    /// experiment of its own (`mlx run -- CMD`), with the run's id, named after the run.
    pub experiment: Option<RunId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    Finished,
    Failed,
    Killed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Finished => "finished",
            Status::Failed => "failed",
            Status::Killed => "killed",
        }
    }
}

/// One metric point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point<'a> {
    pub key: &'a str,
    pub value: f64,
    pub step: i64,
    pub timestamp: i64,
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(millis: i64) -> String {
    let t = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

pub(crate) fn parse_rfc3339_millis(s: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(s).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_millis()).ok()
}

/// A number, if the text is one (params keep their text and gain a numeric twin).
pub fn as_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Insert a new run with status `running` (and, unless it belongs to one, its experiment);
/// returns its id.
pub fn start(conn: &mut Connection, run: &NewRun, start_millis: i64) -> Result<RunId, Error> {
    let command = serde_json::to_string(&run.command).unwrap_or_else(|_| "[]".into());
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut id = RunId::generate(u64::try_from(start_millis).unwrap_or(0));
    for _ in 0..8 {
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)
                 OR EXISTS (SELECT 1 FROM experiments WHERE id = ?1)",
            [id.as_str()],
            |r| r.get(0),
        )?;
        if taken {
            id = RunId::generate(u64::try_from(start_millis).unwrap_or(0));
            continue;
        }
        let experiment = match &run.experiment {
            Some(e) => e.clone(),
            None => {
                let new = super::experiments::NewExperiment {
                    name: run.name.clone(),
                    kind: super::experiments::Kind::Command,
                    git: run.git.clone(),
                    overrides: Vec::new(),
                    workspace: None,
                    host: run.host.clone(),
                    user: run.user.clone(),
                    pid: Some(run.pid),
                    queued: false,
                };
                let naming = super::experiments::Naming::Unique;
                super::experiments::insert(&tx, &id, &new, naming, start_millis)?;
                id.clone()
            }
        };
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO runs (id, name, command, cwd, git_commit, git_branch, git_dirty,
                 git_diff_hash, status, start_time, host, user, pid, mlx_version, experiment_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                id.as_str(),
                run.name,
                command,
                run.cwd,
                run.git.commit,
                run.git.branch,
                run.git.dirty,
                run.git.diff_hash,
                rfc3339(start_millis),
                run.host,
                run.user,
                run.pid,
                env!("CARGO_PKG_VERSION"),
                experiment.as_str(),
            ],
        )?;
        if inserted == 1 {
            break;
        }
        id = RunId::generate(u64::try_from(start_millis).unwrap_or(0));
    }
    set_params_tx(&tx, &id, &run.params)?;
    set_tags_tx(&tx, &id, &run.tags)?;
    tx.commit()?;
    Ok(id)
}

/// Record the end of a run.
pub fn finish(
    conn: &Connection,
    id: &RunId,
    status: Status,
    exit_code: Option<i32>,
    end_millis: i64,
) -> Result<(), Error> {
    let start: Option<String> = conn
        .query_row("SELECT start_time FROM runs WHERE id = ?1", [id.as_str()], |r| r.get(0))
        .optional()?;
    #[allow(clippy::cast_precision_loss)]
    let duration = start
        .and_then(|s| parse_rfc3339_millis(&s))
        .map(|s| (end_millis - s).max(0) as f64 / 1000.0);
    let end = rfc3339(end_millis);
    conn.execute(
        "UPDATE runs SET status = ?2, exit_code = ?3, end_time = ?4, duration = ?5, pid = NULL,
             pgid = NULL, pgid_start = NULL
         WHERE id = ?1",
        params![id.as_str(), status.as_str(), exit_code, end, duration],
    )?;
    super::experiments::follow_command_run(conn, id, status, &end)?;
    Ok(())
}

/// Record the process group that a running run's command leads, with the leader's start time
/// (clock ticks since boot), so the group can be stopped if mlx dies ([`reap_dead`]).
pub fn set_group(
    conn: &Connection,
    id: &RunId,
    pgid: i32,
    leader_start: Option<u64>,
) -> Result<(), Error> {
    let start = leader_start.and_then(|s| i64::try_from(s).ok());
    conn.execute(
        "UPDATE runs SET pgid = ?2, pgid_start = ?3 WHERE id = ?1 AND status = 'running'",
        params![id.as_str(), pgid, start],
    )?;
    Ok(())
}

/// A run that [`reap_dead`] marked failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadRun {
    pub id: RunId,
    /// The process group its command led, and the leader's start time, when recorded.
    pub group: Option<(i32, Option<u64>)>,
}

/// Runs recorded as `running` on this host whose mlx process is gone (killed with -9, machine
/// crash): mark them failed, so no run stays "running" forever. Returns them, with the process
/// group their command led (the caller stops what is left of it).
pub fn reap_dead(
    conn: &Connection,
    host: &str,
    alive: impl Fn(u32) -> bool,
) -> Result<Vec<DeadRun>, Error> {
    type Row = (String, Option<u32>, Option<i32>, Option<i64>);
    let candidates: Vec<Row> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, pid, pgid, pgid_start FROM runs WHERE status = 'running' AND host = ?1",
        )?;
        stmt.query_map([host], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut reaped = Vec::new();
    for (id, pid, pgid, pgid_start) in candidates {
        if pid.is_some_and(&alive) {
            continue;
        }
        let id = RunId::from_db(id);
        conn.execute(
            "UPDATE runs SET status = 'failed', end_time = ?2, pid = NULL, pgid = NULL,
                 pgid_start = NULL
             WHERE id = ?1 AND status = 'running'",
            params![id.as_str(), rfc3339(now_millis())],
        )?;
        let start = pgid_start.and_then(|s| u64::try_from(s).ok());
        reaped.push(DeadRun { id, group: pgid.map(|g| (g, start)) });
    }
    Ok(reaped)
}

/// The run whose id is `prefix` or starts with it.
pub fn resolve(conn: &Connection, prefix: &str) -> Result<RunId, Error> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if !RunId::is_valid_prefix(&prefix) {
        return Err(Error::UnknownRun { prefix });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM runs WHERE id >= ?1 AND id < ?1 || 'zzzzzzzzzzzz' ORDER BY id LIMIT 6",
    )?;
    let found: Vec<String> = stmt
        .query_map([&prefix], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?
        .into_iter()
        .filter(|id| id.starts_with(&prefix))
        .collect();
    match found.as_slice() {
        [] => Err(Error::UnknownRun { prefix }),
        [one] => Ok(RunId::from_db(one.clone())),
        _ if found.contains(&prefix) => Ok(RunId::from_db(prefix)),
        _ => Err(Error::AmbiguousRun { prefix, candidates: found }),
    }
}

/// The newest run, optionally only finished ones on `commit`.
pub fn latest(
    conn: &Connection,
    commit: Option<&str>,
    finished_only: bool,
) -> Result<Option<RunId>, Error> {
    let sql = format!(
        "SELECT id FROM runs WHERE (?1 IS NULL OR git_commit = ?1) {} ORDER BY id DESC LIMIT 1",
        if finished_only { "AND status = 'finished'" } else { "" }
    );
    let id: Option<String> = conn.query_row(&sql, [commit], |r| r.get(0)).optional()?;
    Ok(id.map(RunId::from_db))
}

fn set_params_tx(conn: &Connection, id: &RunId, kv: &[(String, String)]) -> Result<(), Error> {
    let mut put = conn.prepare_cached(
        "INSERT OR REPLACE INTO params (run_id, key, value, value_num) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (k, v) in kv {
        put.execute(params![id.as_str(), k, v, as_number(v)])?;
    }
    Ok(())
}

fn set_tags_tx(conn: &Connection, id: &RunId, kv: &[(String, String)]) -> Result<(), Error> {
    let mut put = conn
        .prepare_cached("INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)")?;
    for (k, v) in kv {
        put.execute(params![id.as_str(), k, v])?;
    }
    Ok(())
}

pub fn set_params(conn: &mut Connection, id: &RunId, kv: &[(String, String)]) -> Result<(), Error> {
    let tx = conn.transaction()?;
    set_params_tx(&tx, id, kv)?;
    tx.commit()?;
    Ok(())
}

/// Set the params of `kv` that run `id` does not have yet (those it has keep their value).
pub fn add_missing_params(
    conn: &mut Connection,
    id: &RunId,
    kv: &[(String, String)],
) -> Result<(), Error> {
    let tx = conn.transaction()?;
    {
        let mut put = tx.prepare_cached(
            "INSERT OR IGNORE INTO params (run_id, key, value, value_num) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (k, v) in kv {
            put.execute(params![id.as_str(), k, v, as_number(v)])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub fn set_tags(conn: &mut Connection, id: &RunId, kv: &[(String, String)]) -> Result<(), Error> {
    let tx = conn.transaction()?;
    set_tags_tx(&tx, id, kv)?;
    tx.commit()?;
    Ok(())
}

/// Remove the tags `keys` of run `id` (those it lacks are ignored); how many went.
pub fn remove_tags(conn: &mut Connection, id: &RunId, keys: &[String]) -> Result<usize, Error> {
    let tx = conn.transaction()?;
    let mut gone = 0;
    {
        let mut del = tx.prepare_cached("DELETE FROM tags WHERE run_id = ?1 AND key = ?2")?;
        for k in keys {
            gone += del.execute(params![id.as_str(), k])?;
        }
    }
    tx.commit()?;
    Ok(gone)
}

/// Insert metric points in one transaction and keep `latest_metrics` (and the summaries of
/// long histories, `summary`) current.
/// Insert `points` into `metrics`; per key, the latest point (highest step, then latest time)
/// among them and how many points it brings.
pub(crate) fn insert_points<'a>(
    conn: &Connection,
    id: &RunId,
    points: &[Point<'a>],
) -> Result<HashMap<&'a str, (Point<'a>, i64)>, Error> {
    let mut put = conn.prepare_cached(
        "INSERT INTO metrics (run_id, key, step, value, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut latest: HashMap<&'a str, (Point<'a>, i64)> = HashMap::new();
    for p in points {
        put.execute(params![id.as_str(), p.key, p.step, p.value, p.timestamp])?;
        match latest.get_mut(p.key) {
            Some((l, n)) => {
                *n += 1;
                if (p.step, p.timestamp) >= (l.step, l.timestamp) {
                    *l = *p;
                }
            }
            None => {
                latest.insert(p.key, (*p, 1));
            }
        }
    }
    Ok(latest)
}

pub fn log_metrics(conn: &mut Connection, id: &RunId, points: &[Point<'_>]) -> Result<(), Error> {
    if points.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    {
        let latest = insert_points(&tx, id, points)?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO latest_metrics (run_id, key, step, value, timestamp)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (run_id, key) DO UPDATE SET
                 step = excluded.step, value = excluded.value, timestamp = excluded.timestamp
             WHERE excluded.step > latest_metrics.step
                OR (excluded.step = latest_metrics.step
                    AND excluded.timestamp >= latest_metrics.timestamp)",
        )?;
        let mut count = tx.prepare_cached(
            "UPDATE latest_metrics SET points = points + ?3 WHERE run_id = ?1 AND key = ?2
             RETURNING points",
        )?;
        for (p, n) in latest.values() {
            upsert.execute(params![id.as_str(), p.key, p.step, p.value, p.timestamp])?;
            let total: i64 = count.query_row(params![id.as_str(), p.key, n], |r| r.get(0))?;
            summary::refresh(&tx, id, p.key, usize::try_from(total).unwrap_or(0))?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Attach a stored object to a run as an artifact.
pub fn add_artifact(
    conn: &Connection,
    id: &RunId,
    path: &str,
    kind: &str,
    hash: &str,
    size: u64,
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO artifacts (run_id, path, kind, hash, size) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.as_str(), path, kind, hash, i64::try_from(size).unwrap_or(i64::MAX)])?;
    Ok(())
}

/// Every object run records reference: (hash, kind), kind `file`, `directory` or `log`.
pub fn artifact_objects(conn: &Connection) -> Result<Vec<(String, String, u64)>, Error> {
    let mut stmt = conn.prepare("SELECT DISTINCT hash, kind, size FROM artifacts")?;
    let rows =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether a run exists and is still recording.
pub fn status_of(conn: &Connection, id: &RunId) -> Result<Option<String>, Error> {
    Ok(conn
        .query_row("SELECT status FROM runs WHERE id = ?1", [id.as_str()], |r| r.get(0))
        .optional()?)
}

/// Delete runs (params, tags, metrics and artifact references go with them).
pub fn delete(conn: &mut Connection, ids: &[RunId]) -> Result<usize, Error> {
    let tx = conn.transaction()?;
    let mut n = 0;
    {
        let mut del = tx.prepare_cached("DELETE FROM runs WHERE id = ?1")?;
        for id in ids {
            n += del.execute([id.as_str()])?;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// The run that produced the content `hash`, if this database has one: the newest finished
/// run that recorded an output (an artifact, not a log) with that hash — of `stage`, and at
/// `path`, when given. The newest, because when several runs produced the same bytes (a stage
/// forced to run again, a clone's runs fetched), the latest is the one whose commit, params and
/// environment the work tree most likely still matches; `mlx lineage`, `mlx model show` and
/// `mlx attest` all name this one.
pub fn producer(
    conn: &Connection,
    hash: &str,
    stage: Option<&str>,
    path: Option<&str>,
) -> Result<Option<RunId>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT r.id FROM artifacts a JOIN runs r ON r.id = a.run_id
             WHERE a.hash = ?1 AND a.kind != 'log' AND r.status = 'finished'
               AND (?2 IS NULL OR r.stage = ?2) AND (?3 IS NULL OR a.path = ?3)
             ORDER BY r.start_time DESC, r.id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![hash, stage, path], |r| r.get::<_, String>(0))
        .optional()?
        .map(RunId::from_db))
}

/// A run in brief: its commit, whether the work tree was dirty, its start and status.
#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    pub commit: Option<String>,
    pub dirty: bool,
    pub start: String,
    pub status: String,
}

pub fn brief(conn: &Connection, id: &RunId) -> Result<Option<Brief>, Error> {
    Ok(conn
        .prepare_cached("SELECT git_commit, git_dirty, start_time, status FROM runs WHERE id = ?1")?
        .query_row([id.as_str()], |r| {
            Ok(Brief {
                commit: r.get(0)?,
                dirty: r.get::<_, i64>(1)? != 0,
                start: r.get(2)?,
                status: r.get(3)?,
            })
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        (dir, conn)
    }

    fn new_run() -> NewRun {
        NewRun {
            name: Some("r".into()),
            command: vec!["true".into()],
            cwd: ".".into(),
            git: GitInfo::default(),
            host: "h".into(),
            user: "u".into(),
            pid: 1,
            params: vec![("lr".into(), "0.1".into()), ("opt".into(), "adam".into())],
            tags: vec![],
            experiment: None,
        }
    }

    #[test]
    fn latest_metric_is_highest_step() {
        let (_d, mut conn) = db();
        let id = start(&mut conn, &new_run(), 1_000).unwrap();
        let pts = [
            Point { key: "loss", value: 0.5, step: 2, timestamp: 10 },
            Point { key: "loss", value: 0.9, step: 1, timestamp: 20 },
        ];
        log_metrics(&mut conn, &id, &pts).unwrap();
        log_metrics(&mut conn, &id, &[Point { key: "loss", value: 0.7, step: 1, timestamp: 30 }])
            .unwrap();
        let v: f64 = conn
            .query_row("SELECT value FROM latest_metrics WHERE run_id = ?1", [id.as_str()], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(v, 0.5);
        let n: i64 = conn.query_row("SELECT count(*) FROM metrics", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn prefixes_resolve_uniquely() {
        let (_d, mut conn) = db();
        let a = start(&mut conn, &new_run(), 1_000).unwrap();
        assert_eq!(resolve(&conn, &a.as_str()[..6]).unwrap(), a);
        assert!(matches!(resolve(&conn, "zzzz"), Err(Error::UnknownRun { .. })));
        let b = start(&mut conn, &new_run(), 1_000).unwrap();
        assert!(matches!(resolve(&conn, &a.as_str()[..3]), Err(Error::AmbiguousRun { .. })));
        assert_eq!(resolve(&conn, b.as_str()).unwrap(), b);
    }

    #[test]
    fn dead_runs_are_reaped_and_params_get_numbers() {
        let (_d, mut conn) = db();
        let id = start(&mut conn, &new_run(), 1_000).unwrap();
        set_group(&conn, &id, 4321, Some(99)).unwrap();
        assert!(reap_dead(&conn, "h", |_| true).unwrap().is_empty());
        assert_eq!(
            reap_dead(&conn, "h", |_| false).unwrap(),
            vec![DeadRun { id: id.clone(), group: Some((4321, Some(99))) }]
        );
        assert_eq!(status_of(&conn, &id).unwrap().as_deref(), Some("failed"));
        let left: Option<i64> = conn.query_row("SELECT pgid FROM runs", [], |r| r.get(0)).unwrap();
        assert_eq!(left, None);
        let n: Option<f64> = conn
            .query_row("SELECT value_num FROM params WHERE key = 'lr'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, Some(0.1));
    }
}
