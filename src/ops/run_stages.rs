//! `mlx run [STAGE...]`: run the pipeline's stale stages in dependency order.
//!
//! A stage is stale when `mlx.lock` has no entry for it, or its commands, a dep's hash, a
//! param's value or an output differ from that entry, or an output is missing. Staleness is
//! decided when a stage becomes ready (its upstream stages are done), because only then are its
//! deps final. A stale stage whose fingerprint matches an earlier successful run has its outputs
//! restored from the cache instead of running. Stages run as tracked runs (one pipeline run id
//! links them), up to `--jobs` at a time within `[resources]` limits; each holds a per-stage lock
//! so two `mlx run` processes never run the same stage at once. `mlx.lock` changes only for
//! stages that succeeded.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::time::Duration;

use fs_err as fs;
use serde::Serialize;

use super::Result;
use crate::pipeline::fingerprint::{self, Inputs};
use crate::pipeline::lock::{LockFile, LockedOut, LockedPath, StageLock, toml_value};
use crate::pipeline::{self, OutKind, ParamRef, Pipeline, Stage, StageName};
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::manifest::Manifest;
use crate::store::pointer::Kind;
use crate::store::stat_cache::Rows;
use crate::store::workspace::{self, Found, PathState};
use crate::store::{self, ObjectId, StatCache};
use crate::tracking::launch::{self, Ended, Launch, Signals, TrackedRun};
use crate::tracking::runs::{self, Point, Status};
use crate::tracking::{self, RunId, run_cache};
use crate::work_tree::gitignore;

/// How long a single running stage is waited on per loop turn (an exit wakes it at once).
const POLL: Duration = Duration::from_millis(50);
const GRACE: Duration = Duration::from_secs(10);

pub struct RunStagesOptions {
    pub targets: Vec<String>,
    pub force: bool,
    pub dry_run: bool,
    pub single: bool,
    pub downstream: bool,
    pub keep_going: bool,
    pub jobs: usize,
    /// `--set` overrides: `key=value` or `file:key=value`.
    pub set: Vec<String>,
    pub stdout: Box<dyn Fn() -> Box<dyn Write + Send>>,
    pub stderr: Box<dyn Fn() -> Box<dyn Write + Send>>,
}

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
            Reason::OutMissing { path } => write!(f, "out {path} is missing"),
            Reason::OutChanged { path } => write!(f, "out {path} changed"),
            Reason::UpstreamWillRun { stage } => write!(f, "upstream stage {stage} will run"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    UpToDate,
    /// `--dry-run`: would run for these reasons.
    WouldRun,
    Ran,
    /// Outputs restored from the run cache.
    Restored,
    Failed,
    Killed,
    /// Not started because an upstream stage failed or the run was interrupted.
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    pub stage: String,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why it failed or was skipped, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RunStagesReport {
    pub pipeline_run: String,
    pub stages: Vec<StageReport>,
    /// The signal (2 = SIGINT, 15 = SIGTERM) that stopped the run, if one did.
    pub interrupted: Option<i32>,
}

impl RunStagesReport {
    pub fn succeeded(&self) -> bool {
        self.interrupted.is_none()
            && self.stages.iter().all(|s| {
                matches!(
                    s.outcome,
                    Outcome::UpToDate | Outcome::WouldRun | Outcome::Ran | Outcome::Restored
                )
            })
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

/// Parameter values of a stage, by display name, as canonical JSON.
fn param_values(project: &Project, stage: &Stage) -> Result<Vec<(ParamRef, serde_json::Value)>> {
    stage
        .params
        .iter()
        .map(|p| Ok((p.clone(), pipeline::params::read_value(project.root(), p)?)))
        .collect()
}

/// What a stage's inputs are right now.
struct StageInputs {
    deps: Vec<Option<LockedPath>>,
    params: Vec<(ParamRef, serde_json::Value)>,
}

fn current_inputs(project: &Project, stat: &StatCache, stage: &Stage) -> Result<StageInputs> {
    let deps =
        stage.deps.iter().map(|d| hash_path(project, stat, d)).collect::<Result<Vec<_>>>()?;
    Ok(StageInputs { deps, params: param_values(project, stage)? })
}

fn wdir_of(stage: &Stage) -> String {
    stage.wdir.as_ref().map_or_else(|| ".".to_owned(), ToString::to_string)
}

/// The fingerprint of a stage given its current inputs (`None` when a dep is missing).
fn fingerprint_of(stage: &Stage, inputs: &StageInputs) -> Option<ObjectId> {
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
    let mut outs: Vec<String> = stage.outs.iter().map(|o| o.path.to_string()).collect();
    outs.sort();
    let env: Vec<(String, String)> =
        stage.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    Some(fingerprint::fingerprint(&Inputs {
        cmd: &stage.cmd,
        wdir: &wdir_of(stage),
        env: &env,
        deps: &deps,
        params: &params,
        outs: &outs,
    }))
}

/// Why `stage` must run, compared with its `mlx.lock` entry; empty when it is up to date.
fn reasons(
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
    let locked_outs: HashMap<&str, &LockedOut> =
        locked.outs.iter().map(|o| (o.path.as_str(), o)).collect();
    for out in &stage.outs {
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

/// Make the outputs recorded in the run cache appear in the workspace. False when an object
/// is missing (then the stage runs).
fn restore_outs(project: &Project, stat: &StatCache, outs: &[LockedOut]) -> Result<bool> {
    for o in outs.iter().filter(|o| o.cache) {
        if !project.cache().contains(&o.hash) {
            return Ok(false);
        }
        if o.files.is_some() && crate::work_tree::tracked::manifest_of(project, o.hash).is_err() {
            return Ok(false);
        }
    }
    for o in outs.iter().filter(|o| o.cache) {
        let target = ProjectPath::new(&o.path)?;
        let kind = if o.files.is_some() { Kind::Directory } else { Kind::File };
        let t = crate::work_tree::tracked::Tracked {
            target,
            pointer: store::Pointer::new(kind, o.hash, o.size, o.files.unwrap_or(1)),
        };
        crate::work_tree::restore::restore_one(project, &t, stat)?;
    }
    Ok(outs.iter().all(|o| o.cache))
}

/// Store a finished stage's outputs: cache them (or only hash `cache = false` ones).
fn collect_outs(
    project: &Project,
    stat: &StatCache,
    stage: &Stage,
    reporter: &dyn Reporter,
) -> Result<std::result::Result<Vec<LockedOut>, String>> {
    let mut outs = Vec::new();
    for out in &stage.outs {
        let path = out.path.to_string();
        if std::fs::symlink_metadata(project.root().join(out.path.as_path())).is_err() {
            return Ok(Err(format!("stage {} did not produce its output {path}", stage.name)));
        }
        if out.cache {
            let (pointer, _) =
                crate::work_tree::snapshot::snapshot(project, &out.path, stat, reporter)?;
            gitignore::add_entry(project.work_tree(), &out.path)?;
            let files = (pointer.kind == Kind::Directory).then_some(pointer.files);
            outs.push(LockedOut {
                path,
                hash: pointer.hash,
                size: pointer.size,
                files,
                cache: true,
            });
        } else {
            let h = hash_path(project, stat, &out.path)?.expect("checked above");
            outs.push(LockedOut { path, hash: h.hash, size: h.size, files: h.files, cache: false });
        }
    }
    Ok(Ok(outs))
}

/// Before a stage runs: its non-persistent outputs go, so a stale file cannot pass for a new
/// one. Content not in the cache is stored first, so nothing is lost.
fn clear_outs(
    project: &Project,
    stat: &StatCache,
    stage: &Stage,
    reporter: &dyn Reporter,
) -> Result<()> {
    for out in stage.outs.iter().filter(|o| !o.persist) {
        let abs = project.work_tree().writable(&out.path)?;
        let Ok(meta) = std::fs::symlink_metadata(&abs) else { continue };
        let known = match hash_path(project, stat, &out.path) {
            Ok(Some(h)) => project.cache().contains(&h.hash),
            _ => false,
        };
        if !known && out.cache {
            crate::work_tree::snapshot::snapshot(project, &out.path, stat, reporter)?;
        }
        if meta.is_dir() {
            fs::remove_dir_all(&abs)?;
        } else {
            fs::remove_file(&abs)?;
        }
    }
    for out in stage.outs.iter().filter(|o| o.persist) {
        unprotect(project, &project.work_tree().writable(&out.path)?)?;
    }
    Ok(())
}

/// A persistent output stays for the stage to update, so it must be the stage's own file: one
/// linked to a cache object (a hardlink, a symlink into the cache, a read-only copy) is replaced
/// by a writable copy first, or the stage would write into the object.
fn unprotect(project: &Project, abs: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(abs) else { return Ok(()) };
    if meta.is_dir() {
        for entry in fs::read_dir(abs)? {
            unprotect(project, &entry?.path())?;
        }
        return Ok(());
    }
    let linked = if meta.file_type().is_symlink() {
        project.cache().id_of_path(&fs::read_link(abs)?).is_some()
    } else {
        meta.is_file() && (meta.nlink() > 1 || meta.permissions().readonly())
    };
    if linked {
        let executable = crate::fs_util::is_executable(&fs::metadata(abs)?);
        let tmp = crate::fs_util::temp_path(abs);
        crate::fs_util::copy_new(abs, &tmp, executable)?;
        fs::rename(&tmp, abs)?;
    }
    Ok(())
}

/// Log a stage's declared metrics files on its run.
fn log_metric_files(
    project: &Project,
    conn: &mut rusqlite::Connection,
    stage: &Stage,
    run: &RunId,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let now = runs::now_millis();
    for out in stage.outs.iter().filter(|o| o.kind == OutKind::Metrics) {
        let abs = project.root().join(out.path.as_path());
        match pipeline::metrics_file::read(&abs, &out.path.to_string()) {
            Ok(points) => {
                let pts: Vec<Point<'_>> = points
                    .iter()
                    .map(|(k, v, step)| Point { key: k, value: *v, step: *step, timestamp: now })
                    .collect();
                runs::log_metrics(conn, run, &pts)?;
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    Ok(problems)
}

/// A stage's params as run params: a param naming a whole section (`train`) becomes one entry
/// per value inside it (`train.lr`, `train.epochs`), so filters and tables can use them.
fn run_params(params: &[(ParamRef, serde_json::Value)]) -> Vec<(String, String)> {
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

/// A stage waiting, running or done.
enum State {
    Pending,
    Running(Box<Running>),
    Done(StageReport),
}

struct Running {
    run: TrackedRun,
    fingerprint: Option<ObjectId>,
    inputs: StageInputs,
    reasons: Vec<Reason>,
    _stage_lock: fs::File,
}

/// Per-stage lock: two `mlx run` processes never run the same stage at once. True when it had
/// to wait for another process (which may have brought the stage up to date meanwhile).
fn lock_stage(project: &Project, name: &str, reporter: &dyn Reporter) -> Result<(fs::File, bool)> {
    let dir = project.mlx_dir().join("locks");
    fs::create_dir_all(&dir)?;
    let safe: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("stage-{safe}.lock")))?;
    let waited = match file.file().try_lock() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => {
            reporter.note(&format!("mlx: waiting for another mlx run to finish stage {name}"));
            file.file().lock()?;
            true
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    };
    Ok((file, waited))
}

pub fn run(
    project: &Project,
    opts: RunStagesOptions,
    reporter: &dyn Reporter,
) -> Result<RunStagesReport> {
    // A previous run that died while `--set` was in effect left the params files changed.
    ParamsRestore::recover(project)?;
    let pipeline = pipeline::spec::load(project.root())?.ok_or_else(|| {
        tracking::Error::Invalid(
            "mlx.toml declares no stages: add [stages.NAME] tables, or run one command with \
             `mlx run -- CMD`"
                .into(),
        )
    })?;
    let names: Vec<StageName> = pipeline
        .select(&opts.targets, opts.single, opts.downstream)?
        .iter()
        .map(|s| s.name.clone())
        .collect();
    pipeline.check_deps_exist(project.root(), &names)?;
    check_outs_free(project, names.iter().filter_map(|n| pipeline.stage(n)))?;
    let index: HashMap<&StageName, usize> =
        pipeline.stages.iter().enumerate().map(|(i, s)| (&s.name, i)).collect();
    let selected: Vec<usize> = names.iter().filter_map(|n| index.get(n).copied()).collect();
    let dag = pipeline.dag()?;
    let upstream: Vec<Vec<usize>> = pipeline
        .stages
        .iter()
        .map(|s| dag.upstream_of(&s.name).iter().filter_map(|n| index.get(n).copied()).collect())
        .collect();
    let restore = if opts.dry_run {
        // Nothing is written, but a bad override is still an error.
        ParamsRestore::check(project, &opts.set)?;
        ParamsRestore::default()
    } else {
        ParamsRestore::apply(project, &opts.set)?
    };
    let result = execute(project, &pipeline, &selected, &upstream, &opts, reporter);
    restore.restore(project)?;
    result
}

/// Before anything runs: every output of the selected stages passes the work tree's gate, and
/// none lies over data that `mlx add` tracks (a pointer at or above it) or, for cached outputs,
/// files that git tracks (running the stage would delete them and keep its own in the cache).
fn check_outs_free<'a>(project: &Project, stages: impl Iterator<Item = &'a Stage>) -> Result<()> {
    let mut cached: Vec<(&Stage, &ProjectPath)> = Vec::new();
    for stage in stages {
        for out in &stage.outs {
            project.work_tree().writable(&out.path)?;
            let mut up = Some(out.path.clone());
            while let Some(p) = up {
                if project.root().join(store::pointer::pointer_path(&p).as_path()).is_file() {
                    let reason = if p == out.path {
                        format!("is tracked with mlx add (its pointer {p}.mlx exists)")
                    } else {
                        format!("is inside {p}, which is tracked with mlx add")
                    };
                    return Err(over_tracked(stage, &out.path, reason));
                }
                up = p.parent();
            }
            if out.cache {
                cached.push((stage, &out.path));
            }
        }
    }
    let paths: Vec<&std::path::Path> = cached.iter().map(|(_, p)| p.as_path()).collect();
    if let Some((i, file)) = crate::git::tracked_under_any(project.root(), &paths)? {
        let (stage, path) = cached[i];
        let reason = format!("holds {}, which git tracks", file.display());
        return Err(over_tracked(stage, path, reason));
    }
    Ok(())
}

fn over_tracked(stage: &Stage, path: &ProjectPath, reason: String) -> super::Error {
    pipeline::Error::OutOverTracked { stage: stage.name.clone(), path: path.clone(), reason }.into()
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
    let Some(pipeline) = pipeline::spec::load(project.root())? else { return Ok(Vec::new()) };
    let dag = pipeline.dag()?;
    let lock = LockFile::read(project.root())?;
    let mut will_run: std::collections::HashSet<&StageName> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for stage in &pipeline.stages {
        let inputs = current_inputs(project, stat, stage)?;
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

/// `--set`: params files rewritten for this run, and their original texts to put back. The
/// originals are also saved in `.mlx/params-backup.json` first, so a run that dies cannot leave
/// the committed params changed: the next `mlx run` restores them.
#[derive(Default, Serialize, serde::Deserialize)]
struct ParamsRestore {
    /// (project-relative file, original text or `None` when the file did not exist)
    files: Vec<(String, Option<String>)>,
}

impl ParamsRestore {
    fn backup_path(project: &Project) -> std::path::PathBuf {
        project.mlx_dir().join("params-backup.json")
    }

    fn check(project: &Project, set: &[String]) -> Result<()> {
        let overrides = set
            .iter()
            .map(|s| pipeline::params::Override::parse(s))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        pipeline::params::apply_overrides(project.root(), &overrides, false)?;
        Ok(())
    }

    fn apply(project: &Project, set: &[String]) -> Result<Self> {
        if set.is_empty() {
            return Ok(ParamsRestore::default());
        }
        let overrides = set
            .iter()
            .map(|s| pipeline::params::Override::parse(s))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let edits = pipeline::params::apply_overrides(project.root(), &overrides, false)?;
        // A params file that is a symlink keeps its link: the file it points to is edited.
        let paths = edits
            .iter()
            .map(|e| project.work_tree().writable_through_link(&e.file))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let restore = ParamsRestore {
            files: edits.iter().map(|e| (e.file.to_string(), e.original.clone())).collect(),
        };
        let json = serde_json::to_vec(&restore).expect("serializable");
        crate::fs_util::write_atomic(&Self::backup_path(project), &json)?;
        for (e, path) in edits.iter().zip(&paths) {
            crate::fs_util::write_atomic(path, e.text.as_bytes())?;
        }
        Ok(restore)
    }

    fn restore(&self, project: &Project) -> Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        for (file, original) in &self.files {
            let path = project.work_tree().writable_through_link(&ProjectPath::new(file)?)?;
            match original {
                Some(text) => crate::fs_util::write_atomic(&path, text.as_bytes())?,
                None => crate::fs_util::remove_file_if_exists(&path)?,
            }
        }
        crate::fs_util::remove_file_if_exists(&Self::backup_path(project))?;
        Ok(())
    }

    fn recover(project: &Project) -> Result<()> {
        let Ok(bytes) = std::fs::read(Self::backup_path(project)) else { return Ok(()) };
        match serde_json::from_slice::<ParamsRestore>(&bytes) {
            Ok(r) => r.restore(project),
            Err(_) => Ok(crate::fs_util::remove_file_if_exists(&Self::backup_path(project))?),
        }
    }
}

fn execute(
    project: &Project,
    pipeline: &Pipeline,
    selected: &[usize],
    upstream: &[Vec<usize>],
    opts: &RunStagesOptions,
    reporter: &dyn Reporter,
) -> Result<RunStagesReport> {
    let mut conn = project.open_db()?;
    crate::tracking::launch::reap(project, &conn)?;
    let stat = StatCache::load(&conn, Rows::FilesAndObjects)?;
    let lock = LockFile::read(project.root())?;
    let pipeline_run = RunId::generate(u64::try_from(runs::now_millis()).unwrap_or(0)).to_string();
    let signals = Signals::install()?;
    let git = crate::tracking::launch::git_info(project.root());
    let (host, user) = (crate::tracking::launch::host_name(), crate::tracking::launch::user_name());
    let in_selection: Vec<bool> =
        (0..pipeline.stages.len()).map(|i| selected.contains(&i)).collect();
    let mut states: Vec<State> = (0..pipeline.stages.len()).map(|_| State::Pending).collect();
    let mut held: BTreeMap<String, u32> = BTreeMap::new();
    let mut stop = false;
    let mut interrupted: Option<i32> = None;
    let jobs = opts.jobs.max(1);
    loop {
        if let Some(sig) = signals.take() {
            interrupted.get_or_insert(sig as i32);
            stop = true;
            for s in &mut states {
                if let State::Running(r) = s {
                    r.run.signal(sig);
                }
            }
        }
        // Start what is ready.
        let mut running = states.iter().filter(|s| matches!(s, State::Running(_))).count();
        for i in selected.iter().copied() {
            if !matches!(states[i], State::Pending) {
                continue;
            }
            let stage = &pipeline.stages[i];
            // Upstream stages outside the selection count as done.
            let ups: Vec<usize> =
                upstream[i].iter().copied().filter(|u| in_selection[*u]).collect();
            if ups.iter().any(|u| !matches!(states[*u], State::Done(_))) {
                continue;
            }
            let failed_up = ups.iter().find_map(|u| match &states[*u] {
                State::Done(r)
                    if !matches!(
                        r.outcome,
                        Outcome::UpToDate | Outcome::Ran | Outcome::Restored | Outcome::WouldRun
                    ) =>
                {
                    Some(r.stage.clone())
                }
                _ => None,
            });
            if stop || failed_up.is_some() {
                let message = match failed_up {
                    Some(up) => format!("upstream stage {up} did not succeed"),
                    None => "the run was stopped".into(),
                };
                states[i] = State::Done(StageReport {
                    stage: stage.name.to_string(),
                    outcome: Outcome::Skipped,
                    reasons: Vec::new(),
                    run: None,
                    exit_code: None,
                    message: Some(message),
                });
                continue;
            }
            let inputs = current_inputs(project, &stat, stage)?;
            let mut why =
                reasons(project, &stat, stage, &inputs, lock.stages.get(stage.name.as_str()))?;
            if opts.dry_run {
                for u in &ups {
                    if let State::Done(r) = &states[*u]
                        && matches!(r.outcome, Outcome::WouldRun)
                    {
                        why.push(Reason::UpstreamWillRun { stage: r.stage.clone() });
                    }
                }
            }
            if opts.force && why.is_empty() {
                why.push(Reason::Forced);
            }
            if why.is_empty() {
                states[i] = State::Done(StageReport {
                    stage: stage.name.to_string(),
                    outcome: Outcome::UpToDate,
                    reasons: why,
                    run: None,
                    exit_code: None,
                    message: None,
                });
                continue;
            }
            if opts.dry_run {
                states[i] = State::Done(StageReport {
                    stage: stage.name.to_string(),
                    outcome: Outcome::WouldRun,
                    reasons: why,
                    run: None,
                    exit_code: None,
                    message: None,
                });
                continue;
            }
            if running >= jobs || !fits(&pipeline.resources, &held, &stage.resources) {
                continue;
            }
            let (stage_lock, waited) = lock_stage(project, stage.name.as_str(), reporter)?;
            if waited && !opts.force {
                // The other process ran this stage: judge it again against what it recorded.
                let fresh = LockFile::read(project.root())?;
                let now = current_inputs(project, &stat, stage)?;
                if reasons(project, &stat, stage, &now, fresh.stages.get(stage.name.as_str()))?
                    .is_empty()
                {
                    states[i] = State::Done(StageReport {
                        stage: stage.name.to_string(),
                        outcome: Outcome::UpToDate,
                        reasons: Vec::new(),
                        run: None,
                        exit_code: None,
                        message: None,
                    });
                    continue;
                }
            }
            let fp = fingerprint_of(stage, &inputs);
            // The run cache: the same inputs ran before, so the outputs are known.
            if !opts.force
                && !stage.always_changed
                && let Some(fp) = fp
                && let Some((outs_json, run_id)) = run_cache::lookup(&conn, &fp.to_hex())?
                && let Ok(outs) = serde_json::from_str::<Vec<LockedOut>>(&outs_json)
            {
                let _lock = project.lock(reporter)?;
                clear_outs(project, &stat, stage, reporter)?;
                if restore_outs(project, &stat, &outs)? {
                    let entry = lock_entry(stage, &inputs, outs);
                    LockFile::update_stage(project.root(), stage.name.as_str(), entry)?;
                    reporter
                        .note(&format!("mlx: stage {} restored from the run cache", stage.name));
                    states[i] = State::Done(StageReport {
                        stage: stage.name.to_string(),
                        outcome: Outcome::Restored,
                        reasons: why,
                        run: run_id.map(RunId::from_db),
                        exit_code: None,
                        message: None,
                    });
                    continue;
                }
            }
            {
                let _lock = project.lock(reporter)?;
                clear_outs(project, &stat, stage, reporter)?;
            }
            let why_text: Vec<String> = why.iter().map(ToString::to_string).collect();
            reporter.note(&format!("mlx: running stage {} ({})", stage.name, why_text.join(", ")));
            let record = runs::NewRun {
                name: Some(stage.name.to_string()),
                command: stage.cmd.clone(),
                cwd: wdir_of(stage),
                git: git.clone(),
                host: host.clone(),
                user: user.clone(),
                pid: std::process::id(),
                params: run_params(&inputs.params),
                tags: if opts.set.is_empty() {
                    Vec::new()
                } else {
                    vec![("mlx.set".to_owned(), opts.set.join(" "))]
                },
            };
            let script = format!("set -e\n{}", stage.cmd.join("\n"));
            let launch = Launch {
                record,
                program: "sh".into(),
                args: vec!["-c".into(), script.into()],
                cwd: project
                    .root()
                    .join(stage.wdir.as_ref().map_or(std::path::Path::new(""), |w| w.as_path())),
                env: stage.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                stdout: (opts.stdout)(),
                stderr: (opts.stderr)(),
                prefix: (jobs > 1).then(|| format!("[{}] ", stage.name)),
                take_terminal: jobs == 1,
            };
            let run = TrackedRun::start(project, &mut conn, launch, reporter)?;
            run_cache::set_stage(&conn, &run.id, stage.name.as_str(), &pipeline_run)?;
            for (k, v) in &stage.resources {
                *held.entry(k.clone()).or_default() += v;
            }
            states[i] = State::Running(Box::new(Running {
                run,
                fingerprint: fp,
                inputs,
                reasons: why,
                _stage_lock: stage_lock,
            }));
            running += 1;
        }
        // Poll what runs.
        let wait = if running == 1 { POLL } else { Duration::ZERO };
        let mut progressed = false;
        #[allow(clippy::needless_range_loop)] // the slot is replaced below, by index
        for i in 0..states.len() {
            let State::Running(r) = &mut states[i] else { continue };
            r.run.escalate(GRACE);
            if !r.run.poll(&mut conn, wait)? {
                continue;
            }
            progressed = true;
            let State::Running(r) = std::mem::replace(&mut states[i], State::Pending) else {
                unreachable!("matched above")
            };
            let stage = &pipeline.stages[i];
            for (k, v) in &stage.resources {
                if let Some(h) = held.get_mut(k) {
                    *h = h.saturating_sub(*v);
                }
            }
            let Running { run, fingerprint, inputs, reasons, _stage_lock } = *r;
            let ended = run.finish(project, &mut conn, reporter)?;
            let report = finish_stage(
                project,
                &mut conn,
                &stat,
                stage,
                ended,
                fingerprint,
                &inputs,
                reasons,
                reporter,
            )?;
            if !matches!(report.outcome, Outcome::Ran) && !opts.keep_going {
                stop = true;
            }
            states[i] = State::Done(report);
        }
        let any_running = states.iter().any(|s| matches!(s, State::Running(_)));
        let any_pending = selected.iter().any(|i| matches!(states[*i], State::Pending));
        if !any_running && !any_pending {
            break;
        }
        if !any_running && !progressed {
            // Pending stages wait only for running ones; none run, so none can start.
            break;
        }
        if running != 1 && !progressed {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let mut conn = conn;
    stat.save(&mut conn)?;
    let stages = selected
        .iter()
        .filter_map(|i| match std::mem::replace(&mut states[*i], State::Pending) {
            State::Done(r) => Some(r),
            _ => None,
        })
        .collect();
    Ok(RunStagesReport { pipeline_run, stages, interrupted })
}

fn fits(
    limits: &BTreeMap<String, u32>,
    held: &BTreeMap<String, u32>,
    wants: &BTreeMap<String, u32>,
) -> bool {
    wants.iter().all(|(k, v)| match limits.get(k) {
        Some(limit) => held.get(k).copied().unwrap_or(0) + v <= *limit,
        None => true,
    })
}

fn lock_entry(stage: &Stage, inputs: &StageInputs, outs: Vec<LockedOut>) -> StageLock {
    StageLock {
        cmd: stage.cmd.clone(),
        deps: inputs.deps.iter().flatten().cloned().collect(),
        params: inputs.params.iter().map(|(p, v)| (p.display_name(), toml_value(v))).collect(),
        outs,
    }
}

#[allow(clippy::too_many_arguments)]
fn finish_stage(
    project: &Project,
    conn: &mut rusqlite::Connection,
    stat: &StatCache,
    stage: &Stage,
    ended: Ended,
    fingerprint: Option<ObjectId>,
    inputs: &StageInputs,
    reasons: Vec<Reason>,
    reporter: &dyn Reporter,
) -> Result<StageReport> {
    let mut report = StageReport {
        stage: stage.name.to_string(),
        outcome: Outcome::Failed,
        reasons,
        run: Some(ended.id.clone()),
        exit_code: Some(ended.exit_code),
        message: None,
    };
    if let Some(why) = &ended.store_error
        && ended.status != Status::Killed
    {
        report.message = Some(format!("stage {}: {why}", stage.name));
        return Ok(report);
    }
    match ended.status {
        Status::Killed => {
            report.outcome = Outcome::Killed;
            report.message = Some("stopped by a signal".into());
            return Ok(report);
        }
        Status::Failed | Status::Running => {
            report.message =
                Some(format!("stage {} failed with exit code {}", stage.name, ended.exit_code));
            return Ok(report);
        }
        Status::Finished => {}
    }
    let _lock = match project.lock(reporter) {
        Ok(lock) => lock,
        Err(e) => return store_failed(conn, stage, &ended, report, &e.to_string()),
    };
    crate::fault::point("run.outs");
    let outs = match collect_outs(project, stat, stage, reporter) {
        Err(e) => return store_failed(conn, stage, &ended, report, &e.to_string()),
        Ok(Ok(outs)) => outs,
        Ok(Err(message)) => {
            runs::finish(
                conn,
                &ended.id,
                Status::Failed,
                Some(ended.exit_code),
                runs::now_millis(),
            )?;
            report.message = Some(message);
            return Ok(report);
        }
    };
    for problem in log_metric_files(project, conn, stage, &ended.id)? {
        reporter.note(&format!("mlx: warning: {problem}"));
    }
    for o in &outs {
        let kind = if o.files.is_some() { "directory" } else { "file" };
        if o.cache {
            runs::add_artifact(conn, &ended.id, &o.path, kind, &o.hash.to_hex(), o.size)?;
        }
    }
    if let Some(fp) = fingerprint {
        let json = serde_json::to_string(&outs).unwrap_or_else(|_| "[]".into());
        run_cache::store(conn, &fp.to_hex(), stage.name.as_str(), &json, Some(&ended.id))?;
    }
    let entry = lock_entry(stage, inputs, outs);
    if let Err(e) = LockFile::update_stage(project.root(), stage.name.as_str(), entry) {
        return store_failed(conn, stage, &ended, report, &e.to_string());
    }
    report.outcome = Outcome::Ran;
    Ok(report)
}

/// A stage's command succeeded but what it made could not be stored (an output unreadable or
/// gone, the cache failing, mlx.lock unwritable): the run is recorded `failed` with the
/// command's own exit code and the reason, and the stage counts as failed.
fn store_failed(
    conn: &mut rusqlite::Connection,
    stage: &Stage,
    ended: &Ended,
    mut report: StageReport,
    error: &str,
) -> Result<StageReport> {
    let why = format!("its outputs could not be stored: {error}");
    launch::record_store_failure(conn, &ended.id, Status::Failed, ended.exit_code, &why)?;
    report.message = Some(format!("stage {} ran, but {why}", stage.name));
    Ok(report)
}
