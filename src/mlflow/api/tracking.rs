//! Experiments, runs, params, metrics and tags: MLflow's tracking routes over mlx's records.
//!
//! Experiment `0` (MLflow's "Default") stands for the whole project: a run created in it is an
//! experiment of its own, as `mlx run -- CMD` makes, and searching it searches every run.

use serde_json::{Map, Value, json};

use super::request::{Args, pair};
use super::{Api, ApiError, Context};
use crate::tracking::RunId;
use crate::tracking::launch::{StartState, git_info, host_name, start_state, user_name};
use crate::tracking::mlflow::{self as records, Creator, ExperimentRow, Pairs, RunRow};
use crate::tracking::runs::{self, NewRun, Point, Status};

/// MLflow's limits on one `log-batch` request and on values.
pub const MAX_METRICS_PER_BATCH: usize = 1000;
pub const MAX_PARAMS_TAGS_PER_BATCH: usize = 100;
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;
pub const MAX_PARAM_VAL_LENGTH: usize = 6000;
pub const MAX_TAG_VAL_LENGTH: usize = 8000;
pub const MAX_ENTITY_KEY_LENGTH: usize = 250;
pub const MAX_EXPERIMENT_NAME_LENGTH: usize = 500;

pub const DEFAULT_EXPERIMENT: &str = "0";
const PARENT_TAG: &str = "mlflow.parentRunId";
const RUN_NAME_TAG: &str = "mlflow.runName";

// ---------------------------------------------------------------------------------------------
// JSON shapes.

pub fn metric_value(v: f64) -> Value {
    if v.is_nan() {
        json!("NaN")
    } else if v == f64::INFINITY {
        json!("Infinity")
    } else if v == f64::NEG_INFINITY {
        json!("-Infinity")
    } else {
        json!(v)
    }
}

fn kv_list(kv: &[(String, String)]) -> Vec<Value> {
    kv.iter().map(|(k, v)| json!({ "key": k, "value": v })).collect()
}

fn experiment_json(e: &ExperimentRow) -> Value {
    json!({
        "experiment_id": e.id,
        "name": e.name,
        "artifact_location": format!("mlflow-artifacts:/{}", e.id),
        "lifecycle_stage": lifecycle(e.deleted),
        "creation_time": e.created,
        "last_update_time": e.created,
        "tags": kv_list(&e.tags),
    })
}

fn default_experiment() -> ExperimentRow {
    ExperimentRow {
        id: DEFAULT_EXPERIMENT.into(),
        name: "Default".into(),
        created: 0,
        deleted: false,
        tags: Vec::new(),
    }
}

fn lifecycle(deleted: bool) -> &'static str {
    if deleted { "deleted" } else { "active" }
}

/// Which runs or experiments a search returns, by their lifecycle stage (MLflow's `ViewType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Active,
    Deleted,
    All,
}

impl View {
    /// From a request's `run_view_type` or `view_type`: the name, or protobuf's number.
    fn of(args: &Args, field: &str) -> Result<View, ApiError> {
        match args.str(field).as_deref() {
            None | Some("ACTIVE_ONLY" | "1" | "") => Ok(View::Active),
            Some("DELETED_ONLY" | "2") => Ok(View::Deleted),
            Some("ALL" | "3") => Ok(View::All),
            Some(other) => {
                Err(ApiError::invalid(format!("Invalid value {other:?} for parameter '{field}'")))
            }
        }
    }

    fn keeps(self, deleted: bool) -> bool {
        match self {
            View::Active => !deleted,
            View::Deleted => deleted,
            View::All => true,
        }
    }
}

pub fn mlflow_status(s: &str) -> &'static str {
    match s {
        "running" => "RUNNING",
        "finished" => "FINISHED",
        "killed" => "KILLED",
        _ => "FAILED",
    }
}

pub fn experiment_of_run(r: &RunRow) -> String {
    r.experiment_id.clone().unwrap_or_else(|| DEFAULT_EXPERIMENT.into())
}

pub fn artifact_uri(r: &RunRow) -> String {
    format!("mlflow-artifacts:/{}/{}/artifacts", experiment_of_run(r), r.id)
}

fn run_info(r: &RunRow) -> Value {
    let mut info = json!({
        "run_id": r.id,
        "run_uuid": r.id,
        "run_name": r.name.clone().unwrap_or_default(),
        "experiment_id": experiment_of_run(r),
        "user_id": r.user,
        "status": mlflow_status(&r.status),
        "start_time": r.start,
        "artifact_uri": artifact_uri(r),
        "lifecycle_stage": lifecycle(r.deleted),
    });
    if let Some(end) = r.end {
        info["end_time"] = json!(end);
    }
    info
}

/// A whole run: its info, latest metrics, params and tags.
pub fn run_json(conn: &rusqlite::Connection, r: &RunRow) -> Result<Value, ApiError> {
    let metrics: Vec<Value> = records::latest(conn, &r.id)?
        .iter()
        .map(|m| {
            json!({ "key": m.key, "value": metric_value(m.value), "timestamp": m.timestamp,
                    "step": m.step })
        })
        .collect();
    let params = records::pairs(conn, Pairs::Params, &r.id)?;
    let mut tags = records::pairs(conn, Pairs::Tags, &r.id)?;
    let mut add = |k: &str, v: &str| {
        if !tags.iter().any(|(key, _)| key == k) {
            tags.push((k.to_owned(), v.to_owned()));
        }
    };
    if let Some(name) = &r.name {
        add(RUN_NAME_TAG, name);
    }
    add("mlflow.user", &r.user);
    if let Some(parent) = &r.parent {
        add(PARENT_TAG, parent);
    }
    if let Some(stage) = &r.stage {
        add("mlx.stage", stage);
    }
    let mut outputs = json!({});
    let models = records::logged_models_of(conn, &r.id)?;
    if !models.is_empty() {
        outputs = json!({ "model_outputs": models.iter()
            .map(|m| json!({ "model_id": m, "step": 0 })).collect::<Vec<_>>() });
    }
    let mut inputs = json!({});
    let datasets = records::datasets(conn, &r.id)?;
    if !datasets.is_empty() {
        inputs = json!({ "dataset_inputs": datasets.iter().map(dataset_json).collect::<Vec<_>>() });
    }
    Ok(json!({
        "info": run_info(r),
        "data": { "metrics": metrics, "params": kv_list(&params), "tags": kv_list(&tags) },
        "inputs": inputs,
        "outputs": outputs,
    }))
}

fn dataset_json(d: &records::Dataset) -> Value {
    let tags: Map<String, Value> = serde_json::from_str(&d.tags).unwrap_or_default();
    let mut dataset = json!({
        "name": d.name,
        "digest": d.digest,
        "source_type": d.source_type,
        "source": d.source,
    });
    if let Some(schema) = &d.schema {
        dataset["schema"] = json!(schema);
    }
    if let Some(profile) = &d.profile {
        dataset["profile"] = json!(profile);
    }
    json!({
        "tags": tags.iter().map(|(k, v)| json!({ "key": k, "value": v })).collect::<Vec<_>>(),
        "dataset": dataset,
    })
}

/// MLflow's `log_input(s)`: the datasets a run used, with their tags (`mlflow.data.context`).
/// The models a run read (MLflow 3's model inputs) are accepted and not kept.
pub fn log_inputs(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    let mut datasets = Vec::new();
    for input in args.objects("datasets")? {
        let tags: Vec<(String, String)> = match input.get("tags") {
            Some(Value::Array(a)) => {
                a.iter().filter_map(Value::as_object).map(pair).collect::<Result<_, _>>()?
            }
            _ => Vec::new(),
        };
        check_tags(&tags)?;
        let Some(d) = input.get("dataset").and_then(Value::as_object) else {
            return Err(ApiError::invalid("Missing value for required parameter 'dataset'."));
        };
        let text = |field: &str| d.get(field).and_then(Value::as_str).map(str::to_owned);
        let required = |field: &str| {
            text(field).filter(|t| !t.is_empty()).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Missing value for required parameter 'dataset.{field}'."
                ))
            })
        };
        let tags: Map<String, Value> =
            tags.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        datasets.push(records::Dataset {
            name: required("name")?,
            digest: required("digest")?,
            source_type: required("source_type")?,
            source: required("source")?,
            schema: text("schema"),
            profile: text("profile"),
            tags: Value::Object(tags).to_string(),
        });
    }
    api.db(|conn| {
        find_run(conn, &id)?;
        records::add_datasets(conn, &id, &datasets)?;
        Ok(json!({}))
    })
}

// ---------------------------------------------------------------------------------------------
// Experiments.

pub fn experiment_by_name(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("experiment_name")?;
    api.db(|conn| {
        let found = match &api.context {
            Context::Run { experiment, .. } => records::experiment(conn, experiment.as_str())?,
            Context::Serve if name == "Default" => Some(default_experiment()),
            Context::Serve => records::experiment_named(conn, &name)?,
        };
        match found {
            Some(e) => Ok(json!({ "experiment": experiment_json(&e) })),
            None => Err(ApiError::missing(format!("Could not find experiment with name '{name}'"))),
        }
    })
}

pub fn get_experiment(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.required("experiment_id")?;
    api.db(|conn| Ok(json!({ "experiment": experiment_json(&find_experiment(conn, &id)?) })))
}

fn find_experiment(conn: &rusqlite::Connection, id: &str) -> Result<ExperimentRow, ApiError> {
    if id == DEFAULT_EXPERIMENT {
        return Ok(default_experiment());
    }
    records::experiment(conn, id)?
        .ok_or_else(|| ApiError::missing(format!("No Experiment with id={id} exists")))
}

pub fn create_experiment(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let name = args.required("name")?;
    if name.chars().count() > MAX_EXPERIMENT_NAME_LENGTH {
        return Err(ApiError::invalid(format!(
            "Experiment name exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH} characters"
        )));
    }
    if let Context::Run { experiment, .. } = &api.context {
        return Ok(json!({ "experiment_id": experiment.as_str() }));
    }
    api.db(|conn| {
        if name == "Default" || records::experiment_named(conn, &name)?.is_some() {
            return Err(ApiError::exists(format!("Experiment(name={name}) already exists.")));
        }
        let who = creator(api, conn)?;
        let id = records::create_experiment(conn, &name, &who)?;
        Ok(json!({ "experiment_id": id.as_str() }))
    })
}

pub fn search_experiments(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let view = View::of(args, "view_type")?;
    api.db(|conn| {
        let mut all: Vec<Value> = Vec::new();
        if view.keeps(false) {
            all.push(experiment_json(&default_experiment()));
        }
        all.extend(
            records::experiments(conn)?
                .iter()
                .filter(|e| view.keeps(e.deleted))
                .map(experiment_json),
        );
        Ok(json!({ "experiments": all }))
    })
}

/// MLflow's `set_experiment_tag` (`delete`: `delete_experiment_tag`). Experiment `0` stands
/// for the whole project and keeps no tags.
pub fn experiment_tag(api: &Api, args: &Args, delete: bool) -> Result<Value, ApiError> {
    let id = args.required("experiment_id")?;
    let key = args.required("key")?;
    let value = if delete { None } else { Some(args.str("value").unwrap_or_default()) };
    check_key("tag", &key)?;
    if let Some(v) = &value {
        check_tags(&[(key.clone(), v.clone())])?;
    }
    if id == DEFAULT_EXPERIMENT {
        return Err(ApiError::invalid(
            "mlx keeps no tags on experiment 0 (the whole project): name an experiment with \
             mlflow.set_experiment",
        ));
    }
    api.db(|conn| {
        let e = find_experiment(conn, &id)?;
        if e.deleted {
            return Err(ApiError::invalid(format!(
                "The experiment {id} must be in the 'active' state. Current state is deleted."
            )));
        }
        records::set_experiment_tag(conn, &id, &key, value.as_deref())?;
        Ok(json!({}))
    })
}

/// MLflow's `delete_experiment` (`deleted`) and `restore_experiment`: the experiment is marked,
/// and hidden from `mlx exp list` while deleted; its runs are kept.
pub fn mark_experiment(api: &Api, args: &Args, deleted: bool) -> Result<Value, ApiError> {
    let id = args.required("experiment_id")?;
    if id == DEFAULT_EXPERIMENT {
        return Err(ApiError::invalid(
            "Cannot delete the default experiment '0'. This is an internally reserved experiment.",
        ));
    }
    if let Context::Run { experiment, .. } = &api.context
        && experiment.as_str() == id
    {
        return Err(ApiError::invalid(format!(
            "experiment {id} is the one `mlx run` records into; delete it with `mlx exp rm` once \
             it ended"
        )));
    }
    api.db(|conn| {
        find_experiment(conn, &id)?;
        records::set_experiment_deleted(conn, &id, deleted)?;
        Ok(json!({}))
    })
}

/// Who creates a run or an experiment, and the state it starts on, as `mlx run -- CMD` records
/// it: the commit, and the dirty flag of git's files and of the tracked data.
///
/// Inside `mlx run`, the runs the client creates are part of the command `mlx run` launched,
/// which recorded that state when it started: they take its commit and dirty flag rather than
/// walking the tracked data again for each (a sweep of nested runs stays cheap).
fn starting(api: &Api, conn: &mut rusqlite::Connection) -> Result<(Creator, StartState), ApiError> {
    let state = match &api.context {
        Context::Run { run, .. } => {
            let mut git = git_info(api.project.root());
            if let Some(launched) = runs::brief(conn, run)? {
                git.dirty |= launched.dirty;
                if launched.commit.is_some() {
                    git.commit = launched.commit;
                }
            }
            StartState { git, inputs: Vec::new() }
        }
        Context::Serve => start_state(&api.project, conn)?,
    };
    let who = Creator {
        git: state.git.clone(),
        host: host_name(),
        user: user_name(),
        pid: std::process::id(),
    };
    Ok((who, state))
}

fn creator(api: &Api, conn: &mut rusqlite::Connection) -> Result<Creator, ApiError> {
    Ok(starting(api, conn)?.0)
}

// ---------------------------------------------------------------------------------------------
// Runs.

/// Run `id`, or MLflow's 404.
pub fn find_run(conn: &rusqlite::Connection, id: &str) -> Result<RunRow, ApiError> {
    records::run(conn, id)?.ok_or_else(|| ApiError::missing(format!("Run with id={id} not found")))
}

pub fn create_run(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let tags = args.pairs("tags")?;
    check_tags(&tags)?;
    let name = args
        .str("run_name")
        .filter(|n| !n.is_empty())
        .or_else(|| tags.iter().find(|(k, _)| k == RUN_NAME_TAG).map(|(_, v)| v.clone()));
    let start = args.int("start_time")?.unwrap_or_else(runs::now_millis);
    let wanted = args.str("experiment_id").filter(|e| !e.is_empty());
    let tagged_parent = tags.iter().find(|(k, _)| k == PARENT_TAG).map(|(_, v)| v.clone());
    api.db(|conn| {
        let (who, state) = starting(api, conn)?;
        let (experiment, parent) = match &api.context {
            // Every run made inside `mlx run` belongs to its experiment, under its run.
            Context::Run { run, experiment } => {
                (Some(experiment.clone()), Some(tagged_parent.unwrap_or_else(|| run.to_string())))
            }
            Context::Serve => {
                let experiment = match wanted.as_deref() {
                    None | Some(DEFAULT_EXPERIMENT) => None,
                    Some(id) => {
                        let e = find_experiment(conn, id)?;
                        if e.deleted {
                            return Err(ApiError::invalid(format!(
                                "The experiment {id} must be in the 'active' state. Current \
                                 state is deleted."
                            )));
                        }
                        Some(RunId::from_db(e.id))
                    }
                };
                (experiment, tagged_parent)
            }
        };
        let parent = match parent {
            Some(p) => Some(find_run(conn, &p)?),
            None => None,
        };
        // A nested run joins its parent's experiment.
        let experiment = match (&parent, experiment) {
            (Some(p), _) if p.experiment_id.is_some() => {
                p.experiment_id.clone().map(RunId::from_db)
            }
            (_, e) => e,
        };
        let record = NewRun {
            name: name.clone(),
            command: Vec::new(),
            cwd: ".".into(),
            git: who.git.clone(),
            host: who.host.clone(),
            user: args.str("user_id").filter(|u| !u.is_empty()).unwrap_or(who.user.clone()),
            pid: who.pid,
            params: Vec::new(),
            tags: tags.clone(),
            experiment,
        };
        let id = runs::start(conn, &record, start)?;
        if let Some(p) = &parent {
            records::set_parent(conn, &id, &p.id)?;
        }
        crate::tracking::inputs::record(conn, &id, &state.inputs)?;
        let r = find_run(conn, id.as_str())?;
        Ok(json!({ "run": run_json(conn, &r)? }))
    })
}

fn status_of(text: &str) -> Result<Option<Status>, ApiError> {
    match text {
        "RUNNING" | "SCHEDULED" => Ok(None),
        "FINISHED" => Ok(Some(Status::Finished)),
        "FAILED" => Ok(Some(Status::Failed)),
        "KILLED" => Ok(Some(Status::Killed)),
        other => Err(ApiError::invalid(format!("Invalid value {other:?} for parameter 'status'"))),
    }
}

/// Whether `id` is the run `mlx run` launched: its status is mlx's to set, from the exit.
fn is_launched_run(api: &Api, id: &str) -> bool {
    matches!(&api.context, Context::Run { run, .. } if run.as_str() == id)
}

pub fn update_run(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    let status = args.str("status").map(|s| status_of(&s)).transpose()?.flatten();
    let end = args.int("end_time")?.unwrap_or_else(runs::now_millis);
    let name = args.str("run_name").filter(|n| !n.is_empty());
    api.db(|conn| {
        let r = find_run(conn, &id)?;
        let rid = RunId::from_db(r.id.clone());
        if let Some(name) = &name {
            records::set_run_name(conn, &rid, name)?;
        }
        if let Some(status) = status
            && !is_launched_run(api, &id)
            && r.status == "running"
        {
            records::finish_children(conn, &rid, status, end)?;
            runs::finish(conn, &rid, status, None, end)?;
        }
        let r = find_run(conn, &id)?;
        Ok(json!({ "run_info": run_info(&r) }))
    })
}

pub fn get_run(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    api.db(|conn| {
        let r = find_run(conn, &id)?;
        Ok(json!({ "run": run_json(conn, &r)? }))
    })
}

/// MLflow's `delete_run` (`deleted`) and `restore_run`: the run is marked, not removed, so it
/// can be restored; `mlx exp list` hides it while deleted (`mlx exp rm` removes runs for good).
pub fn mark_run(api: &Api, args: &Args, deleted: bool) -> Result<Value, ApiError> {
    let id = args.run_id()?;
    if is_launched_run(api, &id) {
        return Err(ApiError::invalid(format!(
            "run {id} is the run `mlx run` records; delete it with `mlx exp rm` once it ended"
        )));
    }
    api.db(|conn| {
        find_run(conn, &id)?;
        records::set_run_deleted(conn, &id, deleted)?;
        Ok(json!({}))
    })
}

fn check_key(what: &str, key: &str) -> Result<(), ApiError> {
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

fn check_tags(tags: &[(String, String)]) -> Result<(), ApiError> {
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

// ---------------------------------------------------------------------------------------------
// Search.

/// One condition of a search filter: `metrics.acc > 0.9`, `params.lr = '0.1'`, `status = 'X'`.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    pub kind: String,
    pub key: String,
    pub op: String,
    pub value: FilterValue,
}

#[derive(Debug, Clone)]
pub(super) enum FilterValue {
    Text(String),
    Number(f64),
}

pub(super) fn parse_filter(text: &str) -> Result<Vec<Condition>, ApiError> {
    let bad = |why: &str| ApiError::invalid(format!("Invalid filter {text:?}: {why}"));
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        // The identifier: `kind.key`, `kind.\`key with spaces\``, or an attribute alone.
        let (ident, after) = match rest.find(|c: char| c.is_whitespace() || "=!<>".contains(c)) {
            Some(i) => rest.split_at(i),
            None => return Err(bad("a condition lacks its comparison")),
        };
        let (kind, key) = match ident.split_once('.') {
            Some((k, key)) => (k.to_ascii_lowercase(), key.trim_matches(['`', '"']).to_owned()),
            None => ("attributes".to_owned(), ident.to_owned()),
        };
        let kind = match kind.as_str() {
            "metric" | "metrics" => "metrics",
            "param" | "params" | "parameter" | "parameters" => "params",
            "tag" | "tags" => "tags",
            "attribute" | "attributes" | "attr" | "run" => "attributes",
            other => return Err(bad(&format!("unknown entity {other:?}"))),
        };
        let after = after.trim_start();
        let op_len = ["!=", ">=", "<=", "=", ">", "<"]
            .iter()
            .find(|op| after.starts_with(**op))
            .map(|op| op.len())
            .or_else(|| {
                let upper = after.get(..5).unwrap_or("").to_ascii_uppercase();
                if upper.starts_with("ILIKE") {
                    Some(5)
                } else if upper.starts_with("LIKE") {
                    Some(4)
                } else {
                    None
                }
            })
            .ok_or_else(|| bad("expected a comparison (=, !=, >, >=, <, <=, LIKE)"))?;
        let op = after[..op_len].to_ascii_uppercase();
        let after = after[op_len..].trim_start();
        let (value, after) =
            if let Some(q) = after.chars().next().filter(|c| *c == '\'' || *c == '"') {
                let end = after[1..].find(q).ok_or_else(|| bad("a quoted value is not closed"))?;
                (FilterValue::Text(after[1..1 + end].to_owned()), &after[end + 2..])
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                let n = after[..end]
                    .parse::<f64>()
                    .map_err(|_| bad("expected a number or a quoted value"))?;
                (FilterValue::Number(n), &after[end..])
            };
        out.push(Condition { kind: kind.to_owned(), key, op, value });
        rest = after.trim_start();
        if rest.is_empty() {
            break;
        }
        match rest.get(..3) {
            Some(and) if and.eq_ignore_ascii_case("and") => rest = rest[3..].trim_start(),
            _ => return Err(bad("conditions are joined by AND")),
        }
    }
    Ok(out)
}

fn like(pattern: &str, text: &str, fold: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if fold {
        (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect())
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(&p, &t)
}

pub(super) fn compare_text(op: &str, have: &str, want: &str) -> bool {
    match op {
        "=" => have == want,
        "!=" => have != want,
        "LIKE" => like(want, have, false),
        "ILIKE" => like(want, have, true),
        ">" => have > want,
        ">=" => have >= want,
        "<" => have < want,
        "<=" => have <= want,
        _ => false,
    }
}

fn compare_number(op: &str, have: f64, want: f64) -> bool {
    match op {
        "=" => have == want,
        "!=" => have != want,
        ">" => have > want,
        ">=" => have >= want,
        "<" => have < want,
        "<=" => have <= want,
        _ => false,
    }
}

fn matches(run: &Value, c: &Condition) -> bool {
    let find = |list: &str| -> Option<Value> {
        run["data"][list]
            .as_array()?
            .iter()
            .find(|e| e["key"] == c.key.as_str())
            .map(|e| e["value"].clone())
    };
    let have = match c.kind.as_str() {
        "metrics" => find("metrics"),
        "params" => find("params"),
        "tags" => find("tags"),
        _ => {
            let field = match c.key.as_str() {
                "run_name" | "name" => "run_name",
                "run_id" | "id" => "run_id",
                "user_id" | "user" => "user_id",
                k => k,
            };
            run["info"].get(field).cloned()
        }
    };
    let Some(have) = have else { return false };
    match (&c.value, &have) {
        (FilterValue::Number(w), Value::Number(h)) => {
            h.as_f64().is_some_and(|h| compare_number(&c.op, h, *w))
        }
        (FilterValue::Number(w), Value::String(h)) => {
            h.parse::<f64>().is_ok_and(|h| compare_number(&c.op, h, *w))
        }
        (FilterValue::Text(w), Value::String(h)) => compare_text(&c.op, h, w),
        (FilterValue::Text(w), Value::Number(h)) => compare_text(&c.op, &h.to_string(), w),
        _ => false,
    }
}

fn sort_value(run: &Value, key: &str) -> Value {
    let (kind, name) = match key.split_once('.') {
        Some((k, n)) => (k.to_ascii_lowercase(), n.trim_matches('`').to_owned()),
        None => ("attributes".to_owned(), key.to_owned()),
    };
    let list = match kind.as_str() {
        "metric" | "metrics" => "metrics",
        "param" | "params" => "params",
        "tag" | "tags" => "tags",
        _ => return run["info"].get(name.as_str()).cloned().unwrap_or(Value::Null),
    };
    run["data"][list]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["key"] == name.as_str()))
        .map_or(Value::Null, |e| e["value"].clone())
}

fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        // Runs without the value come last either way.
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0))
        }
        _ => a.to_string().cmp(&b.to_string()),
    }
}

pub fn search_runs(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let ids = args.strings("experiment_ids");
    let filter = args.str("filter").unwrap_or_default();
    let conditions = parse_filter(&filter)?;
    let max = args.int("max_results")?.unwrap_or(1000);
    if !(1..=50_000).contains(&max) {
        return Err(ApiError::invalid(format!(
            "Invalid value {max} for parameter 'max_results' supplied. It must be at most 50000."
        )));
    }
    let offset = match args.str("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| ApiError::invalid("Invalid page token"))?,
    };
    let order = args.strings("order_by");
    let view = View::of(args, "run_view_type")?;
    let scope: Option<Vec<String>> = match &api.context {
        _ if ids.is_empty() || ids.iter().any(|i| i == DEFAULT_EXPERIMENT) => None,
        _ => Some(ids),
    };
    api.db(|conn| {
        let mut found = Vec::new();
        for r in records::runs_of(conn, scope.as_deref())? {
            if !view.keeps(r.deleted) {
                continue;
            }
            let run = run_json(conn, &r)?;
            if conditions.iter().all(|c| matches(&run, c)) {
                found.push(run);
            }
        }
        for clause in order.iter().rev() {
            let mut words = clause.split_whitespace();
            let key = words.next().unwrap_or("start_time").to_owned();
            let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
            found.sort_by(|a, b| {
                let (x, y) = (sort_value(a, &key), sort_value(b, &key));
                match (&x, &y, desc) {
                    (Value::Null, _, _) | (_, Value::Null, _) | (_, _, false) => cmp_values(&x, &y),
                    (_, _, true) => cmp_values(&y, &x),
                }
            });
        }
        let max = usize::try_from(max).unwrap_or(1000);
        let total = found.len();
        let page: Vec<Value> = found.into_iter().skip(offset).take(max).collect();
        let mut out = json!({ "runs": page });
        if offset + max < total {
            out["next_page_token"] = json!((offset + max).to_string());
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_as_the_client_writes_them() {
        let c = parse_filter("metrics.acc > 0.9 and params.lr = '0.1' AND status = 'FINISHED'")
            .expect("parses");
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].kind.as_str(), c[0].key.as_str(), c[0].op.as_str()),
            ("metrics", "acc", ">")
        );
        assert!(matches!(c[1].value, FilterValue::Text(ref v) if v == "0.1"));
        assert_eq!(c[2].kind, "attributes");
        assert!(parse_filter("metrics.acc >").is_err());
        assert!(parse_filter("bogus.x = 1").is_err());
        assert!(parse_filter("").expect("empty").is_empty());
        assert!(like("tr%n", "train", false));
        assert!(like("TR_IN", "train", true));
    }
}
