//! Logged models (MLflow 3's `logged-models` routes, used by `mlflow.<flavor>.log_model`) and
//! the model registry's registered models and versions (`registered_model_name=`), kept with
//! the run that logged them.

use serde_json::{Value, json};

use super::request::Args;
use super::search::{Condition, FilterValue};
use super::{Api, ApiError, Context};
use crate::tracking::mlflow::{self as records, LoggedModel, ModelVersion, RegisteredModel};
use crate::tracking::runs;

fn tags_json(text: &str) -> Vec<Value> {
    let map: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
    map.into_iter().map(|(k, v)| json!({ "key": k, "value": v })).collect()
}

fn merge(text: &str, kv: &[(String, String)]) -> String {
    let mut map: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
    for (k, v) in kv {
        map.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(map).to_string()
}

/// Where a logged model's files are served (MLflow's artifact proxy).
fn logged_artifact_uri(m: &LoggedModel) -> String {
    format!("mlflow-artifacts:/{}/models/{}/artifacts", m.experiment_id, m.id)
}

fn model_json(m: &LoggedModel) -> Value {
    json!({
        "info": {
            "model_id": m.id,
            "experiment_id": m.experiment_id,
            "name": m.name,
            "artifact_uri": logged_artifact_uri(m),
            "creation_timestamp_ms": m.created,
            "last_updated_timestamp_ms": m.updated,
            "model_type": m.model_type.clone().unwrap_or_default(),
            "source_run_id": m.run_id.clone().unwrap_or_default(),
            "status": m.status,
            "tags": tags_json(&m.tags),
        },
        "data": { "params": tags_json(&m.params), "metrics": [] },
    })
}

fn new_model_id() -> String {
    let mut id = String::from("m-");
    for _ in 0..32 {
        id.push(char::from_digit(fastrand::u32(..16), 16).expect("a hex digit"));
    }
    id
}

pub fn create_logged_model(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let now = runs::now_millis();
    let tags = args.pairs("tags")?;
    let params = args.pairs("params")?;
    let run = args.str("source_run_id").filter(|r| !r.is_empty());
    api.db(|conn| {
        let experiment = match (&api.context, &run) {
            (Context::Run { experiment, .. }, _) => experiment.to_string(),
            (Context::Serve, Some(r)) => {
                super::tracking::experiment_of_run(&super::tracking::find_run(conn, r)?)
            }
            (Context::Serve, None) => args.required("experiment_id")?,
        };
        if let Some(r) = &run {
            super::tracking::find_run(conn, r)?;
        }
        let m = LoggedModel {
            id: new_model_id(),
            run_id: run.clone(),
            experiment_id: experiment,
            name: args.str("name").filter(|n| !n.is_empty()).unwrap_or_else(|| "model".into()),
            model_type: args.str("model_type"),
            status: "LOGGED_MODEL_PENDING".into(),
            created: now,
            updated: now,
            tags: merge("{}", &tags),
            params: merge("{}", &params),
        };
        records::add_logged_model(conn, &m)?;
        Ok(json!({ "model": model_json(&m) }))
    })
}

fn find_model(conn: &rusqlite::Connection, id: &str) -> Result<LoggedModel, ApiError> {
    records::logged_model(conn, id)?
        .ok_or_else(|| ApiError::missing(format!("Logged model with ID '{id}' not found.")))
}

pub fn get_logged_model(api: &Api, id: &str) -> Result<Value, ApiError> {
    api.db(|conn| Ok(json!({ "model": model_json(&find_model(conn, id)?) })))
}

pub fn finalize_logged_model(api: &Api, id: &str, args: &Args) -> Result<Value, ApiError> {
    let status = args.required("status")?;
    api.db(|conn| {
        let mut m = find_model(conn, id)?;
        m.status = status.clone();
        records::update_logged_model(conn, &m)?;
        Ok(json!({ "model": model_json(&find_model(conn, id)?) }))
    })
}

pub fn set_logged_model_tags(api: &Api, id: &str, args: &Args) -> Result<Value, ApiError> {
    let tags = args.pairs("tags")?;
    api.db(|conn| {
        let mut m = find_model(conn, id)?;
        m.tags = merge(&m.tags, &tags);
        records::update_logged_model(conn, &m)?;
        Ok(json!({}))
    })
}

pub fn log_logged_model_params(api: &Api, id: &str, args: &Args) -> Result<Value, ApiError> {
    let params = args.pairs("params")?;
    api.db(|conn| {
        let mut m = find_model(conn, id)?;
        m.params = merge(&m.params, &params);
        records::update_logged_model(conn, &m)?;
        Ok(json!({}))
    })
}

pub fn search_logged_models(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let ids = args.strings("experiment_ids");
    let filter = name_filter(args)?;
    api.db(|conn| {
        let scope = (!ids.is_empty()
            && !ids.iter().any(|i| i == super::tracking::DEFAULT_EXPERIMENT))
        .then_some(ids.as_slice());
        let mut out = Vec::new();
        for id in records::logged_models_in(conn, scope)? {
            let m = find_model(conn, &id)?;
            if keeps(&filter, &m.name, m.run_id.as_deref(), &m.tags) {
                out.push(model_json(&m));
            }
        }
        Ok(json!({ "models": out }))
    })
}

/// `runs/outputs`: the models a run produced; a model logged without a run joins it.
pub fn log_outputs(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let run = args.run_id()?;
    let models = args.objects("models")?;
    api.db(|conn| {
        super::tracking::find_run(conn, &run)?;
        for o in &models {
            let Some(id) = o.get("model_id").and_then(Value::as_str) else { continue };
            let mut m = find_model(conn, id)?;
            if m.run_id.is_none() {
                m.run_id = Some(run.clone());
                records::update_logged_model(conn, &m)?;
            }
        }
        Ok(json!({}))
    })
}

// ---------------------------------------------------------------------------------------------
// The registry.

/// A version with its aliases.
fn version_json(conn: &rusqlite::Connection, v: &ModelVersion) -> Result<Value, ApiError> {
    let aliases: Vec<String> = records::aliases(conn, &v.name)?
        .into_iter()
        .filter(|(_, n)| *n == v.version)
        .map(|(a, _)| a)
        .collect();
    let mut out = plain_version_json(v);
    out["aliases"] = json!(aliases);
    Ok(out)
}

fn plain_version_json(v: &ModelVersion) -> Value {
    let mut out = json!({
        "name": v.name,
        "version": v.version.to_string(),
        "creation_timestamp": v.created,
        "last_updated_timestamp": v.updated,
        "current_stage": "None",
        "description": v.description.clone().unwrap_or_default(),
        "source": v.source,
        "run_id": v.run_id.clone().unwrap_or_default(),
        "status": "READY",
        "tags": tags_json(&v.tags),
    });
    if let Some(m) = &v.model_id {
        out["model_id"] = json!(m);
    }
    out
}

fn registered_json(conn: &rusqlite::Connection, m: &RegisteredModel) -> Result<Value, ApiError> {
    let latest: Vec<Value> = records::model_versions(conn, Some(&m.name))?
        .first()
        .map(|v| version_json(conn, v))
        .transpose()?
        .into_iter()
        .collect();
    let aliases: Vec<Value> = records::aliases(conn, &m.name)?
        .into_iter()
        .map(|(alias, v)| json!({ "alias": alias, "version": v.to_string() }))
        .collect();
    Ok(json!({
        "name": m.name,
        "creation_timestamp": m.created,
        "last_updated_timestamp": m.updated,
        "description": m.description.clone().unwrap_or_default(),
        "latest_versions": latest,
        "tags": tags_json(&m.tags),
        "aliases": aliases,
    }))
}

fn find_registered(conn: &rusqlite::Connection, name: &str) -> Result<RegisteredModel, ApiError> {
    records::registered_model(conn, name)?
        .ok_or_else(|| ApiError::missing(format!("Registered Model with name={name} not found")))
}

pub fn create_registered_model(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    let tags = args.pairs("tags")?;
    let now = runs::now_millis();
    api.db(|conn| {
        let m = RegisteredModel {
            name: name.clone(),
            description: args.str("description"),
            created: now,
            updated: now,
            tags: merge("{}", &tags),
        };
        if !records::add_registered_model(conn, &m)? {
            return Err(ApiError::exists(format!(
                "Registered Model (name={name}) already exists."
            )));
        }
        Ok(json!({ "registered_model": registered_json(conn, &m)? }))
    })
}

pub fn get_registered_model(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    api.db(|conn| {
        let m = find_registered(conn, &name)?;
        Ok(json!({ "registered_model": registered_json(conn, &m)? }))
    })
}

/// The filter of a search: `name = 'x'`, `name LIKE 'x%'`, `run_id = '…'`, `tags.k != 'v'`,
/// joined by AND (what the client's helpers send).
fn name_filter(args: &Args) -> Result<Vec<Condition>, ApiError> {
    super::search::parse_filter(&args.str("filter").unwrap_or_default())
}

/// Whether a model named `name`, of run `run`, with `tags` (a JSON object), passes `filter`.
fn keeps(filter: &[Condition], name: &str, run: Option<&str>, tags: &str) -> bool {
    let tags: serde_json::Map<String, Value> = serde_json::from_str(tags).unwrap_or_default();
    filter.iter().all(|c| {
        let have = match (c.kind.as_str(), c.key.as_str()) {
            ("attributes", "name") => Some(name.to_owned()),
            ("attributes", "run_id" | "source_run_id") => Some(run.unwrap_or("").to_owned()),
            ("tags", key) => tags.get(key).and_then(Value::as_str).map(str::to_owned),
            _ => return false,
        };
        let want = match &c.value {
            FilterValue::Text(t) => t.clone(),
            FilterValue::Number(n) => n.to_string(),
        };
        match have {
            Some(have) => super::search::compare_text(&c.op, &have, &want),
            // A tag the model lacks differs from any value.
            None => c.op == "!=",
        }
    })
}

pub fn search_registered_models(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let filter = name_filter(args)?;
    api.db(|conn| {
        let mut out = Vec::new();
        for m in records::registered_models(conn)? {
            if keeps(&filter, &m.name, None, &m.tags) {
                out.push(registered_json(conn, &m)?);
            }
        }
        Ok(json!({ "registered_models": out }))
    })
}

pub fn create_model_version(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    let source = args.required("source")?;
    let tags = args.pairs("tags")?;
    let now = runs::now_millis();
    api.db(|conn| {
        find_registered(conn, &name)?;
        let model_id = args.str("model_id").filter(|m| !m.is_empty());
        // MLflow 3 names the logged model; the version is kept with the run that logged it.
        let model_run = match &model_id {
            Some(m) => records::logged_model(conn, m)?.and_then(|m| m.run_id),
            None => None,
        };
        let mut v = ModelVersion {
            name: name.clone(),
            version: 0,
            source: source.clone(),
            run_id: args.str("run_id").filter(|r| !r.is_empty()).or(model_run),
            model_id,
            description: args.str("description"),
            created: now,
            updated: now,
            tags: merge("{}", &tags),
        };
        v.version = records::add_model_version(conn, &v)?;
        Ok(json!({ "model_version": version_json(conn, &v)? }))
    })
}

pub fn get_model_version(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    let version = args.required("version")?;
    let n: i64 = version.parse().map_err(|_| {
        ApiError::invalid(format!("Parameter 'version' must be an integer, got '{version}'."))
    })?;
    api.db(|conn| {
        let v = records::model_version(conn, &name, n)?.ok_or_else(|| {
            ApiError::missing(format!("Model Version (name={name}, version={version}) not found"))
        })?;
        Ok(json!({ "model_version": version_json(conn, &v)? }))
    })
}

pub fn search_model_versions(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let filter = name_filter(args)?;
    api.db(|conn| {
        let out: Vec<Value> = records::model_versions(conn, None)?
            .iter()
            .filter(|v| keeps(&filter, &v.name, v.run_id.as_deref(), &v.tags))
            .map(|v| version_json(conn, v))
            .collect::<Result<_, _>>()?;
        Ok(json!({ "model_versions": out }))
    })
}

/// A version number of a request, or MLflow's error.
fn version_number(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::invalid(format!("Parameter 'version' must be an integer, got '{text}'."))
    })
}

/// An alias as MLflow accepts it: not `latest`, not `v` and a number (those name versions).
fn check_alias(alias: &str) -> Result<(), ApiError> {
    let lower = alias.to_ascii_lowercase();
    let versionlike = lower
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if lower == "latest" || versionlike || alias.chars().count() > 255 {
        return Err(ApiError::invalid(format!(
            "Invalid alias name: '{alias}'. Aliases cannot be 'latest' or of the form 'v<number>', \
             and have at most 255 characters."
        )));
    }
    Ok(())
}

/// `set_registered_model_alias`: the alias names the version from now on.
pub fn set_alias(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    let alias = args.required("alias")?;
    let version = version_number(&args.required("version")?)?;
    check_alias(&alias)?;
    api.db(|conn| {
        find_registered(conn, &name)?;
        records::model_version(conn, &name, version)?.ok_or_else(|| {
            ApiError::missing(format!("Model Version (name={name}, version={version}) not found"))
        })?;
        records::set_alias(conn, &name, &alias, Some(version))?;
        Ok(json!({}))
    })
}

/// `delete_registered_model_alias`.
pub fn delete_alias(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    let alias = args.required("alias")?;
    api.db(|conn| {
        find_registered(conn, &name)?;
        records::set_alias(conn, &name, &alias, None)?;
        Ok(json!({}))
    })
}

/// `get_model_version_by_alias`.
pub fn version_by_alias(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    let alias = args.required("alias")?;
    api.db(|conn| {
        find_registered(conn, &name)?;
        let missing = || ApiError::missing(format!("Registered model alias {alias} not found."));
        let version = records::alias(conn, &name, &alias)?.ok_or_else(missing)?;
        let v = records::model_version(conn, &name, version)?.ok_or_else(missing)?;
        Ok(json!({ "model_version": version_json(conn, &v)? }))
    })
}

/// `get_model_version_download_uri` (what `models:/NAME/N` and `models:/NAME@ALIAS` load): the
/// logged model's files, or the source the version was registered from.
pub fn version_download_uri(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    let version = version_number(&args.required("version")?)?;
    api.db(|conn| {
        let v = records::model_version(conn, &name, version)?.ok_or_else(|| {
            ApiError::missing(format!("Model Version (name={name}, version={version}) not found"))
        })?;
        let logged = match &v.model_id {
            Some(id) => records::logged_model(conn, id)?,
            None => None,
        };
        let uri = logged.as_ref().map_or_else(|| v.source.clone(), logged_artifact_uri);
        Ok(json!({ "artifact_uri": uri }))
    })
}
