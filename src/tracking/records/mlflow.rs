//! What MLflow's client logged with a run, carried by its record: the models it logged
//! (`logged_models` rows whose run is the record's) and the versions of registered models made
//! from it (`model_versions` rows naming the run, each with its `registered_models` row), so a
//! clone that fetches the runs sees the models as the origin did. Both lists are left out of a
//! record when empty, so the records of runs that logged no model keep their bytes.
//!
//! Merging adds what the clone lacks and never changes what it has: a logged model is known by
//! its id; a version by its model's name, run, source and creation time. A version whose number
//! is taken here by another version (two clones registered the same name apart) gets the next
//! free number.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::tracking::db::Error;

/// A `logged_models` row, but its run (the record's). Field order is the key order of the JSON:
/// do not reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct LoggedModel {
    id: String,
    experiment_id: String,
    name: String,
    model_type: Option<String>,
    status: String,
    created: i64,
    updated: i64,
    /// JSON object, as stored.
    tags: String,
    params: String,
}

/// A `model_versions` row, but its run (the record's), with its registered model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ModelVersion {
    name: String,
    version: i64,
    source: String,
    model_id: Option<String>,
    description: Option<String>,
    created: i64,
    updated: i64,
    tags: String,
    registered: RegisteredModel,
}

/// The `registered_models` row of a version's model, but its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RegisteredModel {
    description: Option<String>,
    created: i64,
    updated: i64,
    tags: String,
}

/// Every logged model with a run, by run id, sorted by id.
pub(super) fn export_logged(conn: &Connection) -> Result<HashMap<String, Vec<LoggedModel>>, Error> {
    let mut out: HashMap<String, Vec<LoggedModel>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT run_id, id, experiment_id, name, model_type, status, created, updated, tags,
             params
         FROM logged_models WHERE run_id IS NOT NULL ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            LoggedModel {
                id: r.get(1)?,
                experiment_id: r.get(2)?,
                name: r.get(3)?,
                model_type: r.get(4)?,
                status: r.get(5)?,
                created: r.get(6)?,
                updated: r.get(7)?,
                tags: r.get(8)?,
                params: r.get(9)?,
            },
        ))
    })?;
    for row in rows {
        let (run, m) = row?;
        out.entry(run).or_default().push(m);
    }
    Ok(out)
}

/// Every model version with a run, by run id, sorted by name and version.
pub(super) fn export_versions(
    conn: &Connection,
) -> Result<HashMap<String, Vec<ModelVersion>>, Error> {
    let mut out: HashMap<String, Vec<ModelVersion>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT v.run_id, v.name, v.version, v.source, v.model_id, v.description, v.created,
             v.updated, v.tags, m.description, m.created, m.updated, m.tags
         FROM model_versions v JOIN registered_models m ON m.name = v.name
         WHERE v.run_id IS NOT NULL ORDER BY v.name, v.version",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            ModelVersion {
                name: r.get(1)?,
                version: r.get(2)?,
                source: r.get(3)?,
                model_id: r.get(4)?,
                description: r.get(5)?,
                created: r.get(6)?,
                updated: r.get(7)?,
                tags: r.get(8)?,
                registered: RegisteredModel {
                    description: r.get(9)?,
                    created: r.get(10)?,
                    updated: r.get(11)?,
                    tags: r.get(12)?,
                },
            },
        ))
    })?;
    for row in rows {
        let (run, v) = row?;
        out.entry(run).or_default().push(v);
    }
    Ok(out)
}

/// The canonical order of both lists.
pub(super) fn sort(logged: &mut [LoggedModel], versions: &mut [ModelVersion]) {
    logged.sort_by(|a, b| a.id.cmp(&b.id));
    versions.sort_by(|a, b| a.name.cmp(&b.name).then(a.version.cmp(&b.version)));
}

/// A JSON object of strings, as MLflow's tags and params are kept.
fn is_string_object(text: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
        .is_ok_and(|m| m.values().all(serde_json::Value::is_string))
}

pub(super) fn validate(logged: &[LoggedModel], versions: &[ModelVersion]) -> Result<(), String> {
    super::unique("logged model", logged.iter().map(|m| m.id.as_str()))?;
    for m in logged {
        if m.id.is_empty()
            || m.id.len() > 100
            || !m.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!("invalid logged model id {:?}", m.id));
        }
        if m.name.is_empty() {
            return Err(format!("logged model {:?} has an empty name", m.id));
        }
        for (what, text) in [("tags", &m.tags), ("params", &m.params)] {
            if !is_string_object(text) {
                return Err(format!("logged model {:?} has invalid {what} {text:?}", m.id));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for v in versions {
        if v.name.is_empty() {
            return Err("a model version has an empty model name".into());
        }
        if v.version < 1 {
            return Err(format!("model {:?} has invalid version {}", v.name, v.version));
        }
        if !seen.insert((v.name.as_str(), v.version)) {
            return Err(format!("version {} of model {:?} appears twice", v.version, v.name));
        }
        for text in [&v.tags, &v.registered.tags] {
            if !is_string_object(text) {
                return Err(format!("model {:?} has invalid tags {text:?}", v.name));
            }
        }
    }
    Ok(())
}

/// Add the logged models and model versions of run `run` that this database lacks; how many
/// were added.
pub(super) fn merge(
    conn: &Connection,
    run: &str,
    logged: &[LoggedModel],
    versions: &[ModelVersion],
) -> Result<usize, Error> {
    let mut added = 0;
    {
        let mut insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO logged_models (id, run_id, experiment_id, name, model_type,
                 status, created, updated, tags, params)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for m in logged {
            added += insert.execute(params![
                m.id,
                run,
                m.experiment_id,
                m.name,
                m.model_type,
                m.status,
                m.created,
                m.updated,
                m.tags,
                m.params
            ])?;
        }
    }
    for v in versions {
        let r = &v.registered;
        conn.prepare_cached(
            "INSERT OR IGNORE INTO registered_models (name, description, created, updated, tags)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![v.name, r.description, r.created, r.updated, r.tags])?;
        let known: bool = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM model_versions WHERE name = ?1 AND run_id = ?2
                     AND source = ?3 AND created = ?4)",
            )?
            .query_row(params![v.name, run, v.source, v.created], |r| r.get(0))?;
        if known {
            continue;
        }
        let taken = conn
            .prepare_cached("SELECT 1 FROM model_versions WHERE name = ?1 AND version = ?2")?
            .query_row(params![v.name, v.version], |_| Ok(()))
            .optional()?
            .is_some();
        let number = if taken {
            conn.prepare_cached(
                "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?1",
            )?
            .query_row([&v.name], |r| r.get(0))?
        } else {
            v.version
        };
        conn.prepare_cached(
            "INSERT INTO model_versions (name, version, source, run_id, model_id, description,
                 created, updated, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            v.name,
            number,
            v.source,
            run,
            v.model_id,
            v.description,
            v.created,
            v.updated,
            v.tags
        ])?;
        conn.prepare_cached(
            "UPDATE registered_models SET updated = max(updated, ?2) WHERE name = ?1",
        )?
        .execute(params![v.name, v.created])?;
        added += 1;
    }
    Ok(added)
}
