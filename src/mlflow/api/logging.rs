//! Logging into a run: `log-batch`, `log-metric`, `log-parameter`, `set-tag`, `delete-tag` and
//! `metrics/get-history`, with MLflow's checks and limits on keys, values and batch sizes.

use serde_json::{Map, Value, json};

use super::request::{Args, pair};
use super::tracking::{
    MAX_ENTITIES_PER_BATCH, MAX_ENTITY_KEY_LENGTH, MAX_METRICS_PER_BATCH, MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH, MAX_TAG_VAL_LENGTH, RUN_NAME_TAG, find_run, metric_value,
};
use super::{Api, ApiError};
use crate::tracking::RunId;
use crate::tracking::mlflow as records;
use crate::tracking::runs::{self, Point};
pub(super) fn check_key(what: &str, key: &str) -> Result<(), ApiError> {
    if key.is_empty() {
        return Err(ApiError::invalid(format!(
            "Missing value for required parameter 'key' of a {what}."
        )));
    }
    if key.chars().count() > MAX_ENTITY_KEY_LENGTH {
        return Err(ApiError::invalid(format!(
            "'{what}' name exceeds the maximum length of {MAX_ENTITY_KEY_LENGTH}: {key:?}"
        )));
    }
    if key.starts_with('/') || key.split('/').any(|part| part == "..") {
        return Err(ApiError::invalid(format!("Invalid {what} name: {key:?}")));
    }
    Ok(())
}

pub(super) fn check_tags(tags: &[(String, String)]) -> Result<(), ApiError> {
    for (k, v) in tags {
        check_key("tag", k)?;
        if v.chars().count() > MAX_TAG_VAL_LENGTH {
            return Err(ApiError::invalid(format!(
                "Tag value for key '{k}' exceeds the maximum length of {MAX_TAG_VAL_LENGTH}"
            )));
        }
    }
    Ok(())
}

fn check_params(params: &[(String, String)]) -> Result<(), ApiError> {
    for (i, (k, v)) in params.iter().enumerate() {
        check_key("param", k)?;
        if v.chars().count() > MAX_PARAM_VAL_LENGTH {
            return Err(ApiError::invalid(format!(
                "Param value '{}…' had length {}, which exceeded length limit of {MAX_PARAM_VAL_LENGTH}",
                v.chars().take(20).collect::<String>(),
                v.chars().count()
            )));
        }
        if params[..i].iter().any(|(other, _)| other == k) {
            return Err(ApiError::invalid(format!(
                "Duplicate parameter keys have been submitted: ['{k}']. Please ensure the request \
                 contains only one param value per param key."
            )));
        }
    }
    Ok(())
}

/// A metric of a request: key, value (numbers, and `NaN`/`Infinity` as MLflow 3 accepts
/// them), timestamp (now when missing) and step (0 when missing).
fn metric_of(o: &Map<String, Value>, now: i64) -> Result<(String, f64, i64, i64), ApiError> {
    let key = match o.get("key") {
        Some(Value::String(k)) => k.clone(),
        _ => return Err(ApiError::invalid("Missing value for required parameter 'key'.")),
    };
    check_key("metric", &key)?;
    let value = match o.get("value") {
        Some(v @ (Value::Number(_) | Value::String(_))) => {
            crate::tracking::launch::json_metric_value(v)
        }
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(format!(
                "Missing value for required parameter 'value' of metric '{key}'."
            )));
        }
        _ => None,
    };
    let Some(value) = value else {
        return Err(ApiError::invalid(format!(
            "Got invalid value {} for metric '{key}'. Please specify value as a valid double \
             (64-bit floating point)",
            o.get("value").map(ToString::to_string).unwrap_or_default()
        )));
    };
    let int = |name: &str| -> Result<Option<i64>, ApiError> {
        match o.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                ApiError::invalid(format!("Got invalid {name} {n} for metric '{key}'"))
            }),
            Some(Value::String(s)) => s.parse().map(Some).map_err(|_| {
                ApiError::invalid(format!("Got invalid {name} {s:?} for metric '{key}'"))
            }),
            Some(v) => Err(ApiError::invalid(format!("Got invalid {name} {v} for metric '{key}'"))),
        }
    };
    let timestamp = int("timestamp")?.unwrap_or(now);
    if timestamp < 0 {
        return Err(ApiError::invalid(format!(
            "Got invalid timestamp {timestamp} for metric '{key}' (value={value}). Timestamp \
             must be a nonnegative long (64-bit integer)"
        )));
    }
    let step = int("step")?.unwrap_or(0);
    Ok((key, value, timestamp, step))
}

fn batch_limit(what: &str, limit: usize, n: usize) -> Result<(), ApiError> {
    if n > limit {
        return Err(ApiError::invalid(format!(
            "A batch logging request can contain at most {limit} {what}. Got {n} {what}. Please \
             split up {what} across multiple requests and try again."
        )));
    }
    Ok(())
}

/// Log metrics, params and tags to run `id` as one request: all checked before any is written.
fn log(
    api: &Api,
    id: &str,
    metrics: &[(String, f64, i64, i64)],
    params: &[(String, String)],
    tags: &[(String, String)],
) -> Result<Value, ApiError> {
    check_params(params)?;
    check_tags(tags)?;
    api.db(|conn| {
        let r = find_run(conn, id)?;
        let rid = RunId::from_db(r.id);
        if !params.is_empty()
            && let Err(c) = records::log_params(conn, &rid, params)?
        {
            return Err(ApiError::invalid(format!(
                "Changing param values is not allowed. Param with key='{}' was already logged \
                 with value='{}' for run ID='{id}'. Attempted logging new value '{}'.",
                c.key, c.old, c.new
            )));
        }
        let points: Vec<Point<'_>> = metrics
            .iter()
            .map(|(key, value, timestamp, step)| Point {
                key,
                value: *value,
                step: *step,
                timestamp: *timestamp,
            })
            .collect();
        let points = records::new_points(conn, &rid, &points)?;
        runs::log_metrics(conn, &rid, &points)?;
        if !tags.is_empty() {
            runs::set_tags(conn, &rid, tags)?;
            if let Some((_, name)) = tags.iter().rev().find(|(k, _)| k == RUN_NAME_TAG) {
                records::set_run_name(conn, &rid, name)?;
            }
        }
        Ok(json!({}))
    })
}

pub fn log_batch(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    let metrics = args.objects("metrics")?;
    let params = args.pairs("params")?;
    let tags = args.pairs("tags")?;
    batch_limit("metrics", MAX_METRICS_PER_BATCH, metrics.len())?;
    batch_limit("params", MAX_PARAMS_TAGS_PER_BATCH, params.len())?;
    batch_limit("tags", MAX_PARAMS_TAGS_PER_BATCH, tags.len())?;
    batch_limit(
        "metrics, params, and tags",
        MAX_ENTITIES_PER_BATCH,
        metrics.len() + params.len() + tags.len(),
    )?;
    let now = runs::now_millis();
    let metrics: Vec<_> =
        metrics.into_iter().map(|m| metric_of(m, now)).collect::<Result<_, _>>()?;
    log(api, &id, &metrics, &params, &tags)
}

pub fn log_metric(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    let mut o = Map::new();
    for k in ["key", "value", "timestamp", "step"] {
        if let Some(v) = args.get(k) {
            o.insert(k.to_owned(), v.clone());
        }
    }
    let m = metric_of(&o, runs::now_millis())?;
    log(api, &id, &[m], &[], &[])
}

fn one_pair(args: &Args) -> Result<(String, String), ApiError> {
    let mut o = Map::new();
    for k in ["key", "value"] {
        if let Some(v) = args.get(k) {
            o.insert(k.to_owned(), v.clone());
        }
    }
    pair(&o)
}

pub fn log_param(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    log(api, &id, &[], &[one_pair(args)?], &[])
}

pub fn set_tag(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    log(api, &id, &[], &[], &[one_pair(args)?])
}

pub fn delete_tag(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    let key = args.required("key")?;
    api.db(|conn| {
        let r = find_run(conn, &id)?;
        if runs::remove_tags(conn, &RunId::from_db(r.id), std::slice::from_ref(&key))? == 0 {
            return Err(ApiError::missing(format!("No tag with name: {key} in run with id {id}")));
        }
        Ok(json!({}))
    })
}

pub fn metric_history(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    let key = args.required("metric_key")?;
    api.db(|conn| {
        let r = find_run(conn, &id)?;
        let points: Vec<Value> = records::history(conn, &r.id, &key)?
            .iter()
            .map(|m| {
                json!({ "key": m.key, "value": metric_value(m.value), "timestamp": m.timestamp,
                        "step": m.step })
            })
            .collect();
        Ok(json!({ "metrics": points }))
    })
}
