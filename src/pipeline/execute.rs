//! Running a pipeline: the stale stages in dependency order, each when its upstream stages are
//! done (only then are its deps final). A stale stage whose fingerprint matches an earlier
//! successful run has its outputs restored from the run cache instead of running. Stages run as
//! tracked runs (one pipeline run id links them), up to `jobs` at a time within `[resources]`
//! limits; each holds a per-stage lock so two `mlx run` processes never run the same stage at
//! once. `mlx.lock` changes only for stages that succeeded. `--set` overrides are applied to the
//! params files for the run and put back after it, even when mlx dies; such a run holds the run
//! lock alone, so it never interleaves with another `mlx run`.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use fs_err as fs;
use serde::Serialize;

use super::outputs::{check_outs_free, clear_outs, collect_outs, log_metric_files, restore_outs};
use super::plan::{
    Reason, StageInputs, current_inputs, fingerprint_of, lock_entry, reasons, stage_run_params,
    wdir_of,
};
use crate::error::Result;
use crate::pipeline::lock::{LockFile, LockedOut};
use crate::pipeline::params::{ParamsEdit, ParamsFiles, WorkTreeFiles};
use crate::pipeline::{self, Pipeline, Stage, StageName};
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::stat_cache::Rows;
use crate::store::{ObjectId, StatCache};
use crate::tracking::inputs::{InputKind, RunInput};
use crate::tracking::launch::{self, Ended, Launch, Signals, TrackedRun};
use crate::tracking::runs::{self, Status};
use crate::tracking::{self, RunId, run_cache};
use crate::work_tree::versions::{DataVersion, data_versions};

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
    /// The experiment's name (`--name`); made up when `None`.
    pub name: Option<String>,
    /// The isolated workspace this runs in (`mlx exp run`), by name; `None` in the work tree.
    pub workspace: Option<String>,
    /// `--pull`: a stale stage that no local run matches is looked up in this remote's stage
    /// cache, and restored from it when a machine already ran it.
    pub pull: Option<crate::remote::Remote>,
    pub stdout: Box<dyn Fn() -> Box<dyn Write + Send>>,
    pub stderr: Box<dyn Fn() -> Box<dyn Write + Send>>,
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
    /// The experiment this run recorded; absent for a dry run, and when nothing ran and an
    /// experiment with the same commit and `mlx.lock` already stands for it.
    pub experiment: Option<crate::tracking::experiments::Started>,
    pub stages: Vec<StageReport>,
    /// The signal (2 = SIGINT, 15 = SIGTERM) that stopped the run, if one did.
    pub interrupted: Option<i32>,
    /// Tracked data differed from its pointers when a stage ran or was restored: the runs,
    /// and the experiment, are dirty.
    #[serde(skip)]
    pub data_modified: bool,
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
    /// `[resources]` units it holds until it ends.
    _units: super::resources::Held,
}

/// Per-stage lock: two `mlx run` processes never run the same stage at once. True when it had
/// to wait for another process (which may have brought the stage up to date meanwhile).
pub(crate) fn lock_stage(
    project: &Project,
    name: &str,
    reporter: &dyn Reporter,
) -> Result<(fs::File, bool)> {
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
    // A run that changes params files runs alone: before it touches any file, it waits for
    // every other `mlx run` of this project to end, and they wait for it. Other runs share.
    let changes_params = !opts.set.is_empty() && !opts.dry_run;
    let _run_lock = project.run_lock(changes_params, reporter)?;
    // A previous run that died while `--set` was in effect left the params files changed.
    ParamsRestore::recover(project)?;
    let mut overrides = opts
        .set
        .iter()
        .map(|s| pipeline::params::Override::parse(s))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let no_stages = || {
        tracking::Error::Invalid(
            "mlx.toml declares no stages: add [stages.NAME] tables, or run one command with \
             `mlx run -- CMD`"
                .into(),
        )
    };
    let mut pipeline = pipeline::spec::load(project.root())?.ok_or_else(no_stages)?;
    // `--set KEY=VALUE` edits the params file that defines KEY; the pipeline is then read again
    // as it will be with the edits (`${…}` may use the values).
    let edits = if overrides.is_empty() {
        Vec::new()
    } else {
        let files = WorkTreeFiles::new(project.root());
        pipeline::params::resolve_overrides(&mut overrides, &pipeline.params_files, &files)?;
        let edits = pipeline::params::apply_overrides(project.root(), &overrides, false)?;
        let edited = WorkTreeFiles::with_edits(project.root(), &edits);
        pipeline = pipeline::spec::load_using(project.root(), &edited)?.ok_or_else(no_stages)?;
        edits
    };
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
    // A dry run plans with the edits laid over the files and writes nothing; a run writes them
    // (and puts the files back afterwards). Either way the params are read with the edits.
    let files = WorkTreeFiles::with_edits(project.root(), &edits);
    let restore = if opts.dry_run {
        ParamsRestore::default()
    } else {
        ParamsRestore::apply(project, &edits)?
    };
    let result = execute(project, &files, &pipeline, &selected, &upstream, &opts, reporter);
    restore.restore(project)?;
    result
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

    /// Write `edits` into the work tree, after saving the originals.
    fn apply(project: &Project, edits: &[ParamsEdit]) -> Result<Self> {
        if edits.is_empty() {
            return Ok(ParamsRestore::default());
        }
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

pub(crate) fn execute(
    project: &Project,
    files: &dyn ParamsFiles,
    pipeline: &Pipeline,
    selected: &[usize],
    upstream: &[Vec<usize>],
    opts: &RunStagesOptions,
    reporter: &dyn Reporter,
) -> Result<RunStagesReport> {
    let mut conn = project.open_db()?;
    crate::tracking::launch::reap(project, &conn)?;
    let git = crate::tracking::launch::git_info(project.root());
    let (host, user) = (crate::tracking::launch::host_name(), crate::tracking::launch::user_name());
    let experiment = super::experiment::begin(&mut conn, opts, &git, &host, &user)?;
    let base = git.commit.clone();
    let who = Who { git, host, user, experiment: experiment.as_ref().map(|e| e.id.clone()) };
    let result = execute_stages(
        project, &mut conn, files, pipeline, selected, upstream, opts, &who, reporter,
    );
    let Some(started) = experiment else { return result };
    if result.as_ref().is_ok_and(|r| r.data_modified) {
        crate::tracking::experiments::mark_dirty(&conn, &started.id)?;
    }
    let keep = opts.name.is_some();
    let kept = super::experiment::conclude(
        project,
        &mut conn,
        &started,
        pipeline,
        result.as_ref().ok(),
        keep,
    );
    let mut report = result?;
    if kept? {
        reporter.note(&format!("mlx: experiment {} ({})", started.name, started.id));
        // Its params files are still as the overrides made them: they are put back after this.
        super::experiment::record_result(
            project,
            &conn,
            &started,
            pipeline,
            &report,
            base.as_deref(),
            &opts.set,
            reporter,
        );
        report.experiment = Some(started);
    }
    Ok(report)
}

/// Who runs the stages: git state, host and user, and the experiment they belong to.
struct Who {
    git: runs::GitInfo,
    host: String,
    user: String,
    experiment: Option<RunId>,
}

#[allow(clippy::too_many_arguments)]
fn execute_stages(
    project: &Project,
    conn: &mut rusqlite::Connection,
    files: &dyn ParamsFiles,
    pipeline: &Pipeline,
    selected: &[usize],
    upstream: &[Vec<usize>],
    opts: &RunStagesOptions,
    who: &Who,
    reporter: &dyn Reporter,
) -> Result<RunStagesReport> {
    let stat = project.stat_cache(conn, Rows::FilesAndObjects)?;
    let lock = LockFile::read(project.root())?;
    let pipeline_run = match &who.experiment {
        Some(id) => id.to_string(),
        None => RunId::generate(u64::try_from(runs::now_millis()).unwrap_or(0)).to_string(),
    };
    let signals = Signals::install()?;
    let Who { host, user, .. } = who;
    let mut git = who.git.clone();
    // Which version of each tracked path the work tree holds, found when the first stage
    // starts (a run that starts nothing needs none): data that differs from its pointer makes
    // the stage runs dirty, and a dep `mlx add` tracks is recorded with its pointer's hash.
    let mut data: Option<Vec<DataVersion>> = None;
    let in_selection: Vec<bool> =
        (0..pipeline.stages.len()).map(|i| selected.contains(&i)).collect();
    let mut states: Vec<State> = (0..pipeline.stages.len()).map(|_| State::Pending).collect();
    let resources =
        super::resources::Resources::new(&project.shared_locks_dir(), &pipeline.resources);
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
        let mut waiting_for_units = false;
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
            if stage.frozen {
                states[i] = State::Done(StageReport {
                    stage: stage.name.to_string(),
                    outcome: Outcome::UpToDate,
                    reasons: Vec::new(),
                    run: None,
                    exit_code: None,
                    message: Some("frozen: not run (`frozen = true` in mlx.toml)".into()),
                });
                continue;
            }
            let inputs = current_inputs(project, files, &stat, stage)?;
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
            // Never run on data that breaks its `[checks]` contract.
            if let Some(problem) =
                failed_checks(project, stage.deps.iter().map(ToString::to_string))
            {
                states[i] = State::Done(StageReport {
                    stage: stage.name.to_string(),
                    outcome: Outcome::Failed,
                    reasons: why,
                    run: None,
                    exit_code: None,
                    message: Some(format!("stage {} not run: dep {problem}", stage.name)),
                });
                continue;
            }
            if running >= jobs {
                continue;
            }
            let Some(held) = resources.take(&stage.resources)? else {
                // Held by a stage here or by another mlx: wait for them.
                waiting_for_units = true;
                continue;
            };
            let (stage_lock, waited) = lock_stage(project, stage.name.as_str(), reporter)?;
            if waited && !opts.force {
                // The other process ran this stage: judge it again against what it recorded.
                let fresh = LockFile::read(project.root())?;
                let now = current_inputs(project, files, &stat, stage)?;
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
            // What the stage reads (and any tracked data) as the work tree holds it, before it
            // runs or is restored: data that differs from its pointer makes it dirty.
            let data = data.get_or_insert_with(|| {
                let found = data_versions(project, &stat).unwrap_or_default();
                git.dirty |= found.iter().any(DataVersion::differs);
                found
            });
            let fp = fingerprint_of(stage, &inputs);
            // The run cache: the same inputs ran before, so the outputs are known.
            if !opts.force
                && !stage.always_changed
                && let Some(fp) = fp
                && let Some((outs_json, run_id)) = run_cache::lookup(conn, &fp.to_hex())?
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
            // The remote's stage cache: another machine ran it with the same inputs.
            if !opts.force
                && !stage.always_changed
                && let Some(remote) = &opts.pull
                && let Some(fp) = fp
                && let Some(report) = restore_from_remote(
                    project, conn, &stat, stage, &inputs, remote, &fp, &why, reporter,
                )?
            {
                states[i] = State::Done(report);
                continue;
            }
            {
                let _lock = project.lock(reporter)?;
                clear_outs(project, &stat, stage, reporter)?;
            }
            let why_text: Vec<String> = why.iter().map(ToString::to_string).collect();
            reporter.note(&format!("mlx: running stage {} ({})", stage.name, why_text.join(", ")));
            let run_inputs = dep_inputs(stage, &inputs, data);
            let record = runs::NewRun {
                name: Some(stage.name.to_string()),
                command: stage.cmd.clone(),
                cwd: wdir_of(stage),
                git: git.clone(),
                host: host.clone(),
                user: user.clone(),
                pid: std::process::id(),
                params: stage_run_params(stage, &inputs.params),
                tags: if opts.set.is_empty() {
                    Vec::new()
                } else {
                    vec![("mlx.set".to_owned(), opts.set.join(" "))]
                },
                experiment: who.experiment.clone(),
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
            let run = TrackedRun::start(project, conn, launch, reporter)?;
            run_cache::set_stage(conn, &run.id, stage.name.as_str(), &pipeline_run)?;
            // The stage runs already: a failure to record what it read must not orphan it.
            if let Err(e) = tracking::inputs::record(conn, &run.id, &run_inputs) {
                reporter.note(&format!(
                    "mlx: warning: run {}: its inputs were not recorded: {e}",
                    run.id
                ));
            }
            states[i] = State::Running(Box::new(Running {
                run,
                fingerprint: fp,
                inputs,
                reasons: why,
                _stage_lock: stage_lock,
                _units: held,
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
            if !r.run.poll(conn, wait)? {
                continue;
            }
            progressed = true;
            let State::Running(r) = std::mem::replace(&mut states[i], State::Pending) else {
                unreachable!("matched above")
            };
            let stage = &pipeline.stages[i];
            let Running { run, fingerprint, inputs, reasons, _stage_lock, _units } = *r;
            drop(_units);
            let ended = run.finish(project, conn, reporter)?;
            let report = finish_stage(
                project,
                conn,
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
        if !any_running && !progressed && !waiting_for_units {
            // Pending stages wait only for running ones; none run, so none can start.
            break;
        }
        if waiting_for_units && !any_running {
            // Only another mlx's stages hold what is wanted.
            std::thread::sleep(Duration::from_millis(50));
        } else if running != 1 && !progressed {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    stat.save(conn)?;
    let stages = selected
        .iter()
        .filter_map(|i| match std::mem::replace(&mut states[*i], State::Pending) {
            State::Done(r) => Some(r),
            _ => None,
        })
        .collect();
    let data_modified = data.is_some_and(|d| d.iter().any(DataVersion::differs));
    Ok(RunStagesReport { pipeline_run, experiment: None, stages, interrupted, data_modified })
}

/// Restore `stage` from the remote's stage cache: the entry for its fingerprint, its objects
/// fetched (each verified on arrival), its outputs checked out, `mlx.lock` and the local run
/// cache updated. `None` when the remote has no usable entry (the stage then runs): entries
/// refused, or objects the remote lacks, are said as warnings.
#[allow(clippy::too_many_arguments)]
fn restore_from_remote(
    project: &Project,
    conn: &mut rusqlite::Connection,
    stat: &StatCache,
    stage: &Stage,
    inputs: &StageInputs,
    remote: &crate::remote::Remote,
    fp: &ObjectId,
    why: &[Reason],
    reporter: &dyn Reporter,
) -> Result<Option<StageReport>> {
    use crate::remote::transfers::{Downloaded, Downloads, Needed};
    use crate::store::manifest::EntryKind;
    let (found, refused) = super::shared_cache::lookup(remote, fp, stage)?;
    for r in &refused {
        reporter.note(&format!(
            "mlx: warning: stage {}: refused an entry of remote {}'s stage cache: {r}",
            stage.name,
            remote.name()
        ));
    }
    let Some(entry) = found else { return Ok(None) };
    let _lock = project.lock(reporter)?;
    let cache = project.cache();
    let downloads = Downloads { cache, remote, stat, jobs: remote.jobs(), reporter };
    let mut done = Downloaded::default();
    // The outputs' objects (a directory's listing first), then the files the listings name.
    let firsts: Vec<Needed> = entry
        .outs
        .iter()
        .filter(|o| !cache.contains(&o.hash))
        .map(|o| Needed { id: o.hash, size: o.files.is_none().then_some(o.size) })
        .collect();
    downloads.run(&firsts, &mut done)?;
    let mut files: Vec<Needed> = Vec::new();
    for o in entry.outs.iter().filter(|o| o.files.is_some() && cache.contains(&o.hash)) {
        let manifest = crate::work_tree::tracked::manifest_of(project, o.hash)?;
        for e in manifest.entries() {
            if let EntryKind::File { hash, size, .. } = e.kind
                && !cache.contains(&hash)
                && !files.iter().any(|n| n.id == hash)
            {
                files.push(Needed { id: hash, size: Some(size) });
            }
        }
    }
    downloads.run(&files, &mut done)?;
    let absent = entry.outs.iter().filter(|o| !cache.contains(&o.hash)).count()
        + files.iter().filter(|n| !cache.contains(&n.id)).count();
    if absent > 0 {
        reporter.note(&format!(
            "mlx: warning: stage {}: remote {} has its stage cache entry but lacks (or holds              damaged) {} of its outputs: running it",
            stage.name,
            remote.name(),
            crate::text::counted(absent, "object")
        ));
        return Ok(None);
    }
    clear_outs(project, stat, stage, reporter)?;
    if !restore_outs(project, stat, &entry.outs)? {
        return Ok(None);
    }
    let json = serde_json::to_string(&entry.outs).unwrap_or_else(|_| "[]".into());
    run_cache::store_restored(
        conn,
        &fp.to_hex(),
        stage.name.as_str(),
        &json,
        entry.run.as_deref(),
        &entry.created,
    )?;
    let lock_entry = lock_entry(stage, inputs, entry.outs);
    LockFile::update_stage(project.root(), stage.name.as_str(), lock_entry)?;
    let run = entry.run.clone().unwrap_or_else(|| "?".into());
    let host = entry.host.clone().unwrap_or_else(|| "?".into());
    reporter.note(&format!(
        "mlx: restored from the remote's stage cache: {} (run {run} by {host})",
        stage.name
    ));
    Ok(Some(StageReport {
        stage: stage.name.to_string(),
        outcome: Outcome::Restored,
        reasons: why.to_vec(),
        run: entry.run.map(RunId::from_db),
        exit_code: None,
        message: Some(format!(
            "restored from remote {}'s stage cache (run {run} by {host})",
            remote.name()
        )),
    }))
}

/// A stage's deps as inputs of its run: with the hashes `mlx.lock` records for them, and the
/// pointer's hash for a dep that `mlx add` tracks.
fn dep_inputs(stage: &Stage, inputs: &StageInputs, data: &[DataVersion]) -> Vec<RunInput> {
    stage
        .deps
        .iter()
        .zip(&inputs.deps)
        .map(|(path, found)| RunInput {
            path: path.to_string(),
            kind: InputKind::Dep,
            hash: found.as_ref().map(|f| f.hash.to_hex()),
            size: found.as_ref().map(|f| f.size),
            files: found.as_ref().and_then(|f| f.files),
            pointer_hash: data.iter().find(|d| d.path == *path).map(|d| d.pointer.to_hex()),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_stage(
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
    // An output that breaks its `[checks]` contract is not recorded: the run fails, saying why.
    if let Some(problem) = failed_checks(project, outs.iter().map(|o| o.path.clone())) {
        let why = format!("output {problem}");
        launch::record_store_failure(conn, &ended.id, Status::Failed, ended.exit_code, &why)?;
        report.message = Some(format!("stage {} ran, but its {why}", stage.name));
        return Ok(report);
    }
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

/// The first of `paths` with a `[checks]` table in `mlx.toml` that its file in the work tree
/// breaks, with the first violations, in words.
fn failed_checks(project: &Project, paths: impl Iterator<Item = String>) -> Option<String> {
    let checks = &project.config().checks;
    if checks.is_empty() {
        return None;
    }
    for key in paths {
        let Some(spec) = checks.get(&key) else { continue };
        match crate::quality::check_path(project.root(), &key, spec) {
            Ok((v, _)) if v.is_empty() => {}
            Ok((v, _)) => {
                let first: Vec<&str> = v.iter().take(3).map(|x| x.message.as_str()).collect();
                return Some(format!(
                    "{key} fails its checks ({}): {}",
                    crate::text::counted(v.len(), "violation"),
                    first.join("; ")
                ));
            }
            Err(e) => return Some(format!("{key} could not be checked: {e}")),
        }
    }
    None
}

/// A stage's command succeeded but what it made could not be stored (an output unreadable or
/// gone, the cache failing, mlx.lock unwritable): the run is recorded `failed` with the
/// command's own exit code and the reason, and the stage counts as failed.
pub(crate) fn store_failed(
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
