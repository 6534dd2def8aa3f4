//! Planning a pipeline run: what a stage's inputs are now (dep hashes, param values), its
//! fingerprint (the run-cache key), and why it is stale compared with its `mlx.lock` entry. The
//! executor decides each stage with it when its turn comes; `mlx status` lists the stale stages.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::Result;
use crate::pipeline::fingerprint::{self, Inputs};
use crate::pipeline::lock::{LockFile, LockedOut, LockedPath, StageLock, toml_value};
use crate::pipeline::params::{ParamsFiles, WorkTreeFiles};
use crate::pipeline::{self, ParamRef, Stage, StageName};
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::manifest::Manifest;
use crate::store::workspace::{self, Found, PathState};
use crate::store::{self, ObjectId, StatCache};

/// Why a stage is (or would be) run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    NeverRun,
    Forced,
    AlwaysChanged,
    CommandChanged,
    DepChanged { path: String },
    DepMissing { path: String },
    ParamChanged { name: String },
    ToolChanged { tool: String },
    OutMissing { path: String },
    OutChanged { path: String },
    UpstreamWillRun { stage: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::NeverRun => write!(f, "never run"),
            Reason::Forced => write!(f, "forced"),
            Reason::AlwaysChanged => write!(f, "always_changed"),
            Reason::CommandChanged => write!(f, "command changed"),
            Reason::DepChanged { path } => write!(f, "dep {path} changed"),
            Reason::DepMissing { path } => write!(f, "dep {path} is missing"),
            Reason::ParamChanged { name } => write!(f, "param {name} changed"),
            Reason::ToolChanged { tool } => write!(f, "tool {tool} changed"),
            Reason::OutMissing { path } => write!(f, "out {path} is missing"),
            Reason::OutChanged { path } => write!(f, "out {path} changed"),
            Reason::UpstreamWillRun { stage } => write!(f, "upstream stage {stage} will run"),
        }
    }
}

/// The hash, size and file count of a workspace path, or `None` when it does not exist.
pub fn hash_path(
    project: &Project,
    stat: &StatCache,
    path: &ProjectPath,
) -> Result<Option<LockedPath>> {
    let root = project.root();
    let locked = |hash, size, files| LockedPath { path: path.to_string(), hash, size, files };
    Ok(match workspace::inspect(root, path, project.cache())? {
        PathState::Missing => None,
        PathState::File(Found::File { stamp, .. }) => {
            let hash = workspace::hash_tracked_file(root, path, stamp, stat)?;
            Some(locked(hash, stamp.size, None))
        }
        PathState::File(Found::CacheLink { id, size, .. }) => Some(locked(id, size, None)),
        PathState::Dir(found) => {
            let entries =
                workspace::hash_found(root, path, &found, stat, &crate::progress::NoProgress)?;
            let manifest = Manifest::new(entries);
            let (files, size) = manifest.totals();
            Some(locked(manifest.id(), size, Some(files)))
        }
        PathState::File(Found::Symlink { .. } | Found::EmptyDir { .. }) | PathState::Other => {
            return Err(store::Error::Unsupported {
                path: path.as_path().to_path_buf(),
                what: "is not a regular file or directory".into(),
            }
            .into());
        }
    })
}

/// Parameter values of a stage, as canonical JSON, each file read once.
pub(crate) fn param_values(
    files: &dyn ParamsFiles,
    stage: &Stage,
) -> Result<Vec<(ParamRef, serde_json::Value)>> {
    let mut values = pipeline::params::read_values(files, &stage.params)?;
    Ok(stage.params.iter().filter_map(|p| values.remove_entry(p)).collect())
}

/// What a stage's inputs are right now.
pub(crate) struct StageInputs {
    pub(crate) deps: Vec<Option<LockedPath>>,
    pub(crate) params: Vec<(ParamRef, serde_json::Value)>,
    /// (tool, version) in the stage's order.
    pub(crate) tools: Vec<(String, String)>,
}

/// What a stage's inputs are right now: its deps in the work tree, its params as `files` has
/// them (the work tree, with `--set` edits laid over it in a dry run).
pub(crate) fn current_inputs(
    project: &Project,
    files: &dyn ParamsFiles,
    stat: &StatCache,
    stage: &Stage,
) -> Result<StageInputs> {
    let deps =
        stage.deps.iter().map(|d| hash_path(project, stat, d)).collect::<Result<Vec<_>>>()?;
    let tools = stage
        .tools
        .iter()
        .map(|t| pipeline::tools::version(t, project.root()).map(|v| (t.clone(), v)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(pipeline::Error::from)?;
    Ok(StageInputs { deps, params: param_values(files, stage)?, tools })
}

pub(crate) fn wdir_of(stage: &Stage) -> String {
    stage.wdir.as_ref().map_or_else(|| ".".to_owned(), ToString::to_string)
}

/// The fingerprint of a stage given its current inputs (`None` when a dep is missing).
pub(crate) fn fingerprint_of(stage: &Stage, inputs: &StageInputs) -> Option<ObjectId> {
    let mut deps: Vec<(String, ObjectId)> = Vec::new();
    for d in &inputs.deps {
        let d = d.as_ref()?;
        deps.push((d.path.clone(), d.hash));
    }
    deps.sort();
    let mut params: Vec<(String, String)> = inputs
        .params
        .iter()
        .map(|(p, v)| (p.display_name(), serde_json::to_string(v).unwrap_or_default()))
        .collect();
    params.sort();
    let mut outs: Vec<String> = stage.stored_outs().map(|o| o.path.to_string()).collect();
    outs.sort();
    let env: Vec<(String, String)> =
        stage.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut tools = inputs.tools.clone();
    tools.sort();
    Some(fingerprint::fingerprint(&Inputs {
        cmd: &stage.cmd,
        wdir: &wdir_of(stage),
        env: &env,
        deps: &deps,
        params: &params,
        outs: &outs,
        tools: &tools,
    }))
}

/// Why `stage` must run, compared with its `mlx.lock` entry; empty when it is up to date.
pub(crate) fn reasons(
    project: &Project,
    stat: &StatCache,
    stage: &Stage,
    inputs: &StageInputs,
    locked: Option<&StageLock>,
) -> Result<Vec<Reason>> {
    let mut why = Vec::new();
    for (d, h) in stage.deps.iter().zip(&inputs.deps) {
        if h.is_none() {
            why.push(Reason::DepMissing { path: d.to_string() });
        }
    }
    let Some(locked) = locked else {
        why.push(Reason::NeverRun);
        return Ok(why);
    };
    if stage.always_changed {
        why.push(Reason::AlwaysChanged);
    }
    if locked.cmd != stage.cmd {
        why.push(Reason::CommandChanged);
    }
    let locked_deps: HashMap<&str, &LockedPath> =
        locked.deps.iter().map(|d| (d.path.as_str(), d)).collect();
    for h in inputs.deps.iter().flatten() {
        if locked_deps.get(h.path.as_str()).is_none_or(|l| l.hash != h.hash) {
            why.push(Reason::DepChanged { path: h.path.clone() });
        }
    }
    if locked.deps.len() != inputs.deps.len() && why.is_empty() {
        why.push(Reason::CommandChanged);
    }
    for (p, v) in &inputs.params {
        let name = p.display_name();
        if locked.params.get(&name) != Some(&toml_value(v)) {
            why.push(Reason::ParamChanged { name });
        }
    }
    for (tool, version) in &inputs.tools {
        if locked.tools.get(tool) != Some(version) {
            why.push(Reason::ToolChanged { tool: tool.clone() });
        }
    }
    let locked_outs: HashMap<&str, &LockedOut> =
        locked.outs.iter().map(|o| (o.path.as_str(), o)).collect();
    for out in stage.stored_outs() {
        let path = out.path.to_string();
        match hash_path(project, stat, &out.path)? {
            None => why.push(Reason::OutMissing { path }),
            Some(h) => {
                if locked_outs.get(path.as_str()).is_none_or(|l| l.hash != h.hash) {
                    why.push(Reason::OutChanged { path });
                }
            }
        }
    }
    Ok(why)
}

/// A stage's params as run params: a param naming a whole section (`train`) becomes one entry
/// per value inside it (`train.lr`, `train.epochs`), so filters and tables can use them.
pub(crate) fn run_params(params: &[(ParamRef, serde_json::Value)]) -> Vec<(String, String)> {
    fn walk(name: String, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match v {
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    walk(format!("{name}.{k}"), v, out);
                }
            }
            serde_json::Value::String(s) => out.push((name, s.clone())),
            other => out.push((name, other.to_string())),
        }
    }
    let mut out = Vec::new();
    for (p, v) in params {
        walk(p.display_name(), v, &mut out);
    }
    out
}

/// The params a stage's run records: its params ([`run_params`]), and the `foreach`/`matrix`
/// values it was expanded with (`item`, `item.model`) unless a param has that name.
pub(crate) fn stage_run_params(
    stage: &Stage,
    params: &[(ParamRef, serde_json::Value)],
) -> Vec<(String, String)> {
    let mut out = run_params(params);
    for (k, v) in &stage.expansion {
        if !out.iter().any(|(name, _)| name == k) {
            out.push((k.clone(), v.clone()));
        }
    }
    out
}

/// A stage that would run, and why.
#[derive(Debug, Clone, Serialize)]
pub struct StaleStage {
    pub stage: String,
    pub reasons: Vec<Reason>,
}

/// Which stages `mlx run` would run now, in order, and why (what `mlx status` shows). A stage
/// downstream of a stale one is stale too.
pub fn stale_stages(project: &Project, stat: &StatCache) -> Result<Vec<StaleStage>> {
    let files = WorkTreeFiles::new(project.root());
    let Some(pipeline) = pipeline::spec::load_using(project.root(), &files)? else {
        return Ok(Vec::new());
    };
    let dag = pipeline.dag()?;
    let lock = LockFile::read(project.root())?;
    let mut will_run: std::collections::HashSet<&StageName> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for stage in &pipeline.stages {
        if stage.frozen {
            // Never run: nothing about it is stale, and nothing downstream waits on it.
            continue;
        }
        let inputs = current_inputs(project, &files, stat, stage)?;
        let mut why = reasons(project, stat, stage, &inputs, lock.stages.get(stage.name.as_str()))?;
        for up in dag.upstream_of(&stage.name) {
            if will_run.contains(&up) {
                why.push(Reason::UpstreamWillRun { stage: up.to_string() });
            }
        }
        if !why.is_empty() {
            will_run.insert(&stage.name);
            out.push(StaleStage { stage: stage.name.to_string(), reasons: why });
        }
    }
    Ok(out)
}

pub(crate) fn lock_entry(stage: &Stage, inputs: &StageInputs, outs: Vec<LockedOut>) -> StageLock {
    StageLock {
        cmd: stage.cmd.clone(),
        deps: inputs.deps.iter().flatten().cloned().collect(),
        params: inputs.params.iter().map(|(p, v)| (p.display_name(), toml_value(v))).collect(),
        outs,
        tools: inputs.tools.iter().cloned().collect(),
    }
}
