//! The records behind mlx's MLflow endpoint (`mlflow::api`): runs and experiments as MLflow's
//! client sees them, params that may not change once logged, nested runs, logged models, and
//! registered models with their versions. The endpoint turns these into MLflow's JSON; the SQL
//! stays here.

use rusqlite::{Connection, OptionalExtension, params};

use super::db::Error;
use super::experiments::{Kind, Naming, NewExperiment};
use super::run_id::RunId;
use super::runs::{self, GitInfo, parse_rfc3339_millis};

/// A run as MLflow's `RunInfo` needs it.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: String,
    pub name: Option<String>,
    pub experiment_id: Option<String>,
    pub user: String,
    /// mlx's: running, finished, failed, killed.
    pub status: String,
    /// Milliseconds since the Unix epoch.
    pub start: i64,
    pub end: Option<i64>,
    pub parent: Option<String>,
    /// A stage run: its stage.
    pub stage: Option<String>,
    /// Deleted through MLflow's `delete_run` (MLflow's lifecycle stage `deleted`).
    pub deleted: bool,
}

const RUN_COLUMNS: &str = "id, name, experiment_id, user, status, start_time, end_time, \
     parent_id, stage, deleted_at IS NOT NULL";

fn run_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    let start: String = r.get(5)?;
    let end: Option<String> = r.get(6)?;
    Ok(RunRow {
        id: r.get(0)?,
        name: r.get(1)?,
        experiment_id: r.get(2)?,
        user: r.get(3)?,
        status: r.get(4)?,
        start: parse_rfc3339_millis(&start).unwrap_or(0),
        end: end.as_deref().and_then(parse_rfc3339_millis),
        parent: r.get(7)?,
        stage: r.get(8)?,
        deleted: r.get(9)?,
    })
}

/// Run `id`, if there is one.
pub fn run(conn: &Connection, id: &str) -> Result<Option<RunRow>, Error> {
    Ok(conn
        .prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"))?
        .query_row([id], run_of)
        .optional()?)
}

/// The runs of the experiments `ids` (all runs for `None`), newest first.
pub fn runs_of(conn: &Connection, ids: Option<&[String]>) -> Result<Vec<RunRow>, Error> {
    let mut out = Vec::new();
    match ids {
        None => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY start_time DESC, id DESC"
            ))?;
            for r in stmt.query_map([], run_of)? {
                out.push(r?);
            }
        }
        Some(ids) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE id IN
                     (SELECT run_id FROM experiment_runs WHERE experiment_id = ?1)"
            ))?;
            for id in ids {
                for r in stmt.query_map([id], run_of)? {
                    out.push(r?);
                }
            }
            out.sort_by(|a, b| (b.start, &b.id).cmp(&(a.start, &a.id)));
            out.dedup_by(|a, b| a.id == b.id);
        }
    }
    Ok(out)
}

/// Key-value pairs of a run from `table` (`params` or `tags`), by key.
pub fn pairs(conn: &Connection, table: Pairs, id: &str) -> Result<Vec<(String, String)>, Error> {
    let sql = match table {
        Pairs::Params => "SELECT key, value FROM params WHERE run_id = ?1 ORDER BY key",
        Pairs::Tags => "SELECT key, value FROM tags WHERE run_id = ?1 ORDER BY key",
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, Copy)]
pub enum Pairs {
    Params,
    Tags,
}

/// One metric point as read back: NaN where the database holds NULL.
#[derive(Debug, Clone)]
pub struct MetricRow {
    pub key: String,
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
}

fn metric_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<MetricRow> {
    Ok(MetricRow {
        key: r.get(0)?,
        value: r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN),
        timestamp: r.get(2)?,
        step: r.get(3)?,
    })
}

/// The latest point of each metric of run `id`.
pub fn latest(conn: &Connection, id: &str) -> Result<Vec<MetricRow>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value, timestamp, step FROM latest_metrics WHERE run_id = ?1 ORDER BY key",
    )?;
    let rows = stmt.query_map([id], metric_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The whole history of metric `key` of run `id`, by step then time.
pub fn history(conn: &Connection, id: &str, key: &str) -> Result<Vec<MetricRow>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value, timestamp, step FROM metrics WHERE run_id = ?1 AND key = ?2
         ORDER BY step, timestamp",
    )?;
    let rows = stmt.query_map([id, key], metric_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The points of `points` that run `id` does not hold yet: MLflow keeps one copy of a point
/// logged twice with the same key, step, time and value (`log_model` logs the run's latest
/// points again, for the model).
pub fn new_points<'a>(
    conn: &Connection,
    id: &RunId,
    points: &[runs::Point<'a>],
) -> Result<Vec<runs::Point<'a>>, Error> {
    let mut seen = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM metrics WHERE run_id = ?1 AND key = ?2 AND step = ?3
             AND timestamp = ?4 AND (value = ?5 OR (value IS NULL AND ?5 IS NULL)))",
    )?;
    let mut out: Vec<runs::Point<'a>> = Vec::with_capacity(points.len());
    for p in points {
        let same = |q: &runs::Point<'_>| {
            q.key == p.key
                && q.step == p.step
                && q.timestamp == p.timestamp
                && (q.value == p.value || (q.value.is_nan() && p.value.is_nan()))
        };
        if out.iter().rev().take(64).any(same) {
            continue;
        }
        let value = (!p.value.is_nan()).then_some(p.value);
        if !seen.query_row(params![id.as_str(), p.key, p.step, p.timestamp, value], |r| r.get(0))? {
            out.push(*p);
        }
    }
    Ok(out)
}

/// A param logged again with another value: MLflow refuses to change it.
#[derive(Debug, Clone)]
pub struct ParamChanged {
    pub key: String,
    pub old: String,
    pub new: String,
}

/// Log params: new keys are added, a key logged with the same value is left alone, and a key
/// logged with another value refuses the whole batch.
pub fn log_params(
    conn: &mut Connection,
    id: &RunId,
    kv: &[(String, String)],
) -> Result<Result<(), ParamChanged>, Error> {
    let tx = conn.transaction()?;
    {
        let mut get =
            tx.prepare_cached("SELECT value FROM params WHERE run_id = ?1 AND key = ?2")?;
        let mut put = tx.prepare_cached(
            "INSERT INTO params (run_id, key, value, value_num) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (k, v) in kv {
            let old: Option<String> =
                get.query_row(params![id.as_str(), k], |r| r.get(0)).optional()?;
            match old {
                Some(old) if old == *v => {}
                Some(old) => {
                    return Ok(Err(ParamChanged { key: k.clone(), old, new: v.clone() }));
                }
                None => {
                    put.execute(params![id.as_str(), k, v, runs::as_number(v)])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(Ok(()))
}

/// Mark run `id` deleted (MLflow's `delete_run`), or not deleted (`restore_run`); whether it
/// exists.
pub fn set_run_deleted(conn: &Connection, id: &str, deleted: bool) -> Result<bool, Error> {
    let n = conn.execute(
        "UPDATE runs SET deleted_at = CASE WHEN ?2 THEN coalesce(deleted_at, ?3) END
         WHERE id = ?1",
        params![id, deleted, runs::rfc3339(runs::now_millis())],
    )?;
    Ok(n == 1)
}

/// Mark experiment `id` deleted (MLflow's `delete_experiment`), or not (`restore_experiment`).
pub fn set_experiment_deleted(conn: &Connection, id: &str, deleted: bool) -> Result<bool, Error> {
    let n = conn.execute(
        "UPDATE experiments SET deleted_at = CASE WHEN ?2 THEN coalesce(deleted_at, ?3) END
         WHERE id = ?1",
        params![id, deleted, runs::rfc3339(runs::now_millis())],
    )?;
    Ok(n == 1)
}

/// Set tag `key` of experiment `id` to `value` (`None`: delete it).
pub fn set_experiment_tag(
    conn: &Connection,
    id: &str,
    key: &str,
    value: Option<&str>,
) -> Result<(), Error> {
    match value {
        Some(v) => conn.execute(
            "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
            params![id, key, v],
        )?,
        None => conn.execute(
            "DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2",
            params![id, key],
        )?,
    };
    Ok(())
}

/// Point alias `alias` of registered model `name` at `version` (`None`: delete it).
pub fn set_alias(
    conn: &Connection,
    name: &str,
    alias: &str,
    version: Option<i64>,
) -> Result<(), Error> {
    match version {
        Some(v) => conn.execute(
            "INSERT INTO model_aliases (name, alias, version) VALUES (?1, ?2, ?3)
             ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
            params![name, alias, v],
        )?,
        None => conn.execute(
            "DELETE FROM model_aliases WHERE name = ?1 AND alias = ?2",
            params![name, alias],
        )?,
    };
    Ok(())
}

/// The version alias `alias` of registered model `name` points at.
pub fn alias(conn: &Connection, name: &str, alias: &str) -> Result<Option<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT version FROM model_aliases WHERE name = ?1 AND alias = ?2")?
        .query_row(params![name, alias], |r| r.get(0))
        .optional()?)
}

/// The aliases of registered model `name`, as (alias, version), by alias.
pub fn aliases(conn: &Connection, name: &str) -> Result<Vec<(String, i64)>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT alias, version FROM model_aliases WHERE name = ?1 ORDER BY alias",
    )?;
    let rows = stmt.query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A dataset a run used (MLflow's `log_input`), with the input's tags (a JSON object).
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub digest: String,
    pub source_type: String,
    pub source: String,
    pub schema: Option<String>,
    pub profile: Option<String>,
    pub tags: String,
}

/// Record the datasets run `id` used; one it has already (same name and digest) keeps its row.
pub fn add_datasets(conn: &Connection, id: &str, datasets: &[Dataset]) -> Result<(), Error> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO run_datasets (run_id, name, digest, source_type, source, schema,
             profile, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for d in datasets {
        insert.execute(params![
            id,
            d.name,
            d.digest,
            d.source_type,
            d.source,
            d.schema,
            d.profile,
            d.tags
        ])?;
    }
    Ok(())
}

/// The datasets run `id` used, by name and digest.
pub fn datasets(conn: &Connection, id: &str) -> Result<Vec<Dataset>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, digest, source_type, source, schema, profile, tags FROM run_datasets
         WHERE run_id = ?1 ORDER BY name, digest",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(Dataset {
            name: r.get(0)?,
            digest: r.get(1)?,
            source_type: r.get(2)?,
            source: r.get(3)?,
            schema: r.get(4)?,
            profile: r.get(5)?,
            tags: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Record `parent` as the run nested run `id` was started in.
pub fn set_parent(conn: &Connection, id: &RunId, parent: &str) -> Result<(), Error> {
    conn.execute("UPDATE runs SET parent_id = ?2 WHERE id = ?1", params![id.as_str(), parent])?;
    Ok(())
}

/// Rename run `id`.
pub fn set_run_name(conn: &Connection, id: &RunId, name: &str) -> Result<(), Error> {
    conn.execute("UPDATE runs SET name = ?2 WHERE id = ?1", params![id.as_str(), name])?;
    Ok(())
}

/// End the nested runs of `parent` still running, as it ended (their client never ended them).
pub fn finish_children(
    conn: &Connection,
    parent: &RunId,
    status: runs::Status,
    end_millis: i64,
) -> Result<(), Error> {
    let children: Vec<String> = conn
        .prepare_cached("SELECT id FROM runs WHERE parent_id = ?1 AND status = 'running'")?
        .query_map([parent.as_str()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for child in children {
        let child = RunId::from_db(child);
        finish_children(conn, &child, status, end_millis)?;
        runs::finish(conn, &child, status, None, end_millis)?;
    }
    Ok(())
}

/// An experiment as MLflow's client sees it.
#[derive(Debug, Clone)]
pub struct ExperimentRow {
    pub id: String,
    pub name: String,
    pub created: i64,
    /// Deleted through MLflow's `delete_experiment`.
    pub deleted: bool,
    /// Its tags (`set_experiment_tag`), by key.
    pub tags: Vec<(String, String)>,
}

const EXPERIMENT_COLUMNS: &str = "id, name, created, deleted_at IS NOT NULL,
     (SELECT json_group_array(json_array(t.key, t.value)) FROM
         (SELECT key, value FROM experiment_tags WHERE experiment_id = experiments.id
          ORDER BY key) t)";

/// Experiment `id`, if there is one.
pub fn experiment(conn: &Connection, id: &str) -> Result<Option<ExperimentRow>, Error> {
    Ok(conn
        .prepare_cached(&format!("SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE id = ?1"))?
        .query_row([id], experiment_of)
        .optional()?)
}

/// The experiment named `name`, if there is one.
pub fn experiment_named(conn: &Connection, name: &str) -> Result<Option<ExperimentRow>, Error> {
    Ok(conn
        .prepare_cached(&format!("SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE name = ?1"))?
        .query_row([name], experiment_of)
        .optional()?)
}

/// Every experiment, newest first.
pub fn experiments(conn: &Connection) -> Result<Vec<ExperimentRow>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EXPERIMENT_COLUMNS} FROM experiments ORDER BY created DESC"
    ))?;
    let rows = stmt.query_map([], experiment_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn experiment_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExperimentRow> {
    let created: String = r.get(2)?;
    Ok(ExperimentRow {
        id: r.get(0)?,
        name: r.get(1)?,
        created: parse_rfc3339_millis(&created).unwrap_or(0),
        deleted: r.get(3)?,
        tags: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
    })
}

/// Who creates an experiment or a run through the endpoint.
#[derive(Debug, Clone)]
pub struct Creator {
    pub git: GitInfo,
    pub host: String,
    pub user: String,
    pub pid: u32,
}

/// Create an experiment named `name` that runs are added to (MLflow's `create_experiment`);
/// it holds no command of its own, so it is `finished` from the start.
pub fn create_experiment(conn: &mut Connection, name: &str, who: &Creator) -> Result<RunId, Error> {
    let millis = runs::now_millis();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut id = RunId::generate(u64::try_from(millis).unwrap_or(0));
    while tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM experiments WHERE id = ?1)
             OR EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
        [id.as_str()],
        |r| r.get::<_, bool>(0),
    )? {
        id = RunId::generate(u64::try_from(millis).unwrap_or(0));
    }
    let new = NewExperiment {
        name: Some(name.to_owned()),
        kind: Kind::Command,
        git: who.git.clone(),
        overrides: Vec::new(),
        workspace: None,
        host: who.host.clone(),
        user: who.user.clone(),
        pid: None,
        queued: false,
    };
    super::experiments::insert(&tx, &id, &new, Naming::Exact, millis)?;
    tx.execute(
        "UPDATE experiments SET status = 'finished', ended = started WHERE id = ?1",
        [id.as_str()],
    )?;
    tx.commit()?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Logged models (MLflow 3).

#[derive(Debug, Clone)]
pub struct LoggedModel {
    pub id: String,
    pub run_id: Option<String>,
    pub experiment_id: String,
    pub name: String,
    pub model_type: Option<String>,
    pub status: String,
    pub created: i64,
    pub updated: i64,
    /// JSON objects of strings.
    pub tags: String,
    pub params: String,
}

pub fn add_logged_model(conn: &Connection, m: &LoggedModel) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO logged_models (id, run_id, experiment_id, name, model_type, status, created,
             updated, tags, params)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            m.id,
            m.run_id,
            m.experiment_id,
            m.name,
            m.model_type,
            m.status,
            m.created,
            m.updated,
            m.tags,
            m.params
        ],
    )?;
    Ok(())
}

pub fn logged_model(conn: &Connection, id: &str) -> Result<Option<LoggedModel>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT id, run_id, experiment_id, name, model_type, status, created, updated, tags,
                 params FROM logged_models WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(LoggedModel {
                id: r.get(0)?,
                run_id: r.get(1)?,
                experiment_id: r.get(2)?,
                name: r.get(3)?,
                model_type: r.get(4)?,
                status: r.get(5)?,
                created: r.get(6)?,
                updated: r.get(7)?,
                tags: r.get(8)?,
                params: r.get(9)?,
            })
        })
        .optional()?)
}

/// The ids of the logged models of the experiments `ids` (all for `None`), oldest first.
pub fn logged_models_in(conn: &Connection, ids: Option<&[String]>) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM logged_models WHERE ?1 IS NULL OR experiment_id = ?1 ORDER BY created",
    )?;
    let mut out = Vec::new();
    let scopes: Vec<Option<&str>> = match ids {
        None => vec![None],
        Some(ids) => ids.iter().map(|i| Some(i.as_str())).collect(),
    };
    for scope in scopes {
        for id in stmt.query_map([scope], |r| r.get::<_, String>(0))? {
            out.push(id?);
        }
    }
    Ok(out)
}

/// The logged models of run `id`.
pub fn logged_models_of(conn: &Connection, run: &str) -> Result<Vec<String>, Error> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM logged_models WHERE run_id = ?1 ORDER BY created")?;
    let rows = stmt.query_map([run], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Change a logged model's status, tags or params (JSON objects), and its run.
pub fn update_logged_model(conn: &Connection, m: &LoggedModel) -> Result<(), Error> {
    conn.execute(
        "UPDATE logged_models SET status = ?2, tags = ?3, params = ?4, updated = ?5, run_id = ?6
         WHERE id = ?1",
        params![m.id, m.status, m.tags, m.params, runs::now_millis(), m.run_id],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Registered models and their versions.

#[derive(Debug, Clone)]
pub struct RegisteredModel {
    pub name: String,
    pub description: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub tags: String,
}

#[derive(Debug, Clone)]
pub struct ModelVersion {
    pub name: String,
    pub version: i64,
    pub source: String,
    pub run_id: Option<String>,
    pub model_id: Option<String>,
    pub description: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub tags: String,
}

/// Create registered model `name`; false when one has that name already.
pub fn add_registered_model(conn: &Connection, m: &RegisteredModel) -> Result<bool, Error> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO registered_models (name, description, created, updated, tags)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![m.name, m.description, m.created, m.updated, m.tags],
    )?;
    Ok(n == 1)
}

fn registered_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegisteredModel> {
    Ok(RegisteredModel {
        name: r.get(0)?,
        description: r.get(1)?,
        created: r.get(2)?,
        updated: r.get(3)?,
        tags: r.get(4)?,
    })
}

pub fn registered_model(conn: &Connection, name: &str) -> Result<Option<RegisteredModel>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT name, description, created, updated, tags FROM registered_models
             WHERE name = ?1",
        )?
        .query_row([name], registered_of)
        .optional()?)
}

pub fn registered_models(conn: &Connection) -> Result<Vec<RegisteredModel>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, description, created, updated, tags FROM registered_models ORDER BY name",
    )?;
    let rows = stmt.query_map([], registered_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Add the next version of registered model `v.name` (`v.version` is ignored); returns it.
pub fn add_model_version(conn: &mut Connection, v: &ModelVersion) -> Result<i64, Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?1",
        [&v.name],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO model_versions (name, version, source, run_id, model_id, description,
             created, updated, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            v.name,
            version,
            v.source,
            v.run_id,
            v.model_id,
            v.description,
            v.created,
            v.updated,
            v.tags
        ],
    )?;
    tx.execute(
        "UPDATE registered_models SET updated = ?2 WHERE name = ?1",
        params![v.name, v.created],
    )?;
    tx.commit()?;
    Ok(version)
}

fn version_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ModelVersion> {
    Ok(ModelVersion {
        name: r.get(0)?,
        version: r.get(1)?,
        source: r.get(2)?,
        run_id: r.get(3)?,
        model_id: r.get(4)?,
        description: r.get(5)?,
        created: r.get(6)?,
        updated: r.get(7)?,
        tags: r.get(8)?,
    })
}

const VERSION_COLUMNS: &str =
    "name, version, source, run_id, model_id, description, created, updated, tags";

pub fn model_version(
    conn: &Connection,
    name: &str,
    version: i64,
) -> Result<Option<ModelVersion>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM model_versions WHERE name = ?1 AND version = ?2"
        ))?
        .query_row(params![name, version], version_of)
        .optional()?)
}

/// The versions of registered model `name` (every version for `None`), newest first.
pub fn model_versions(conn: &Connection, name: Option<&str>) -> Result<Vec<ModelVersion>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM model_versions WHERE ?1 IS NULL OR name = ?1
         ORDER BY name, version DESC"
    ))?;
    let rows = stmt.query_map([name], version_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many artifacts run `run` holds at `path` or under it (`path/…`), and their total size.
pub fn artifacts_under(conn: &Connection, run: &str, path: &str) -> Result<(u64, u64), Error> {
    let (files, size): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(size), 0) FROM artifacts
             WHERE run_id = ?1 AND kind != 'log'
               AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')",
        )?
        .query_row(params![run, path], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((u64::try_from(files).unwrap_or(0), u64::try_from(size).unwrap_or(0)))
}
