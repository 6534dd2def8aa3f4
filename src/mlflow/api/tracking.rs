//! Experiments, runs, params, metrics and tags: MLflow's tracking routes over mlx's records.
//!
//! Experiment `0` (MLflow's "Default") stands for the whole project: a run created in it is an
//! experiment of its own, as `mlx run -- CMD` makes, and searching it searches every run.

use serde_json::{Map, Value, json};

use super::logging::{check_key, check_tags};
use super::request::{Args, pair};
use super::{Api, ApiError, Context};
use crate::tracking::RunId;
use crate::tracking::launch::{StartState, git_info, host_name, start_state, user_name};
use crate::tracking::mlflow::{self as records, Creator, ExperimentRow, Pairs, RunRow};
use crate::tracking::runs::{self, NewRun, Status};

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
pub(super) const RUN_NAME_TAG: &str = "mlflow.runName";

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
pub(super) enum View {
    Active,
    Deleted,
    All,
}

impl View {
    /// From a request's `run_view_type` or `view_type`: the name, or protobuf's number.
    pub(super) fn of(args: &Args, field: &str) -> Result<View, ApiError> {
        match args.str(field).as_deref() {
            None | Some("ACTIVE_ONLY" | "1" | "") => Ok(View::Active),
            Some("DELETED_ONLY" | "2") => Ok(View::Deleted),
            Some("ALL" | "3") => Ok(View::All),
            Some(other) => {
                Err(ApiError::invalid(format!("Invalid value {other:?} for parameter '{field}'")))
            }
        }
    }

    pub(super) fn keeps(self, deleted: bool) -> bool {
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
