//! What a pipeline run records as its experiment: started before the first stage (none for a
//! dry run), concluded with, for every stage of the pipeline, how it ended up and the run behind
//! its `mlx.lock` entry (the run made now, the one the run cache restored, or for a stage that
//! was up to date or not selected, the one recorded earlier for the same entry). The engine
//! calls [`begin`], [`conclude`] and, for an experiment it keeps, [`record_result`] and nothing
//! else here.

use super::execute::{Outcome, RunStagesOptions, RunStagesReport};
use crate::error::Result;
use crate::pipeline::Pipeline;
use crate::pipeline::lock::{FILE, LockFile};
use crate::progress::Reporter;
use crate::project::Project;
use crate::tracking::experiments::{
    self, Conclusion, Kind, NewExperiment, StageEntry, StageOutcome, Started, Status,
};
use crate::tracking::runs::GitInfo;

/// Record the experiment a pipeline run makes (`None` for a dry run, which records nothing).
pub(crate) fn begin(
    conn: &mut rusqlite::Connection,
    opts: &RunStagesOptions,
    git: &GitInfo,
    host: &str,
    user: &str,
) -> Result<Option<Started>> {
    if opts.dry_run {
        return Ok(None);
    }
    let new = NewExperiment {
        name: opts.name.clone(),
        kind: Kind::Pipeline,
        git: git.clone(),
        overrides: opts.set.clone(),
        workspace: opts.workspace.clone(),
        host: host.to_owned(),
        user: user.to_owned(),
        pid: Some(std::process::id()),
        queued: false,
    };
    Ok(Some(experiments::begin(conn, &new)?))
}

fn outcome_of(o: &Outcome) -> StageOutcome {
    match o {
        Outcome::Ran => StageOutcome::Ran,
        Outcome::Restored => StageOutcome::Restored,
        Outcome::UpToDate | Outcome::WouldRun => StageOutcome::UpToDate,
        Outcome::Failed => StageOutcome::Failed,
        Outcome::Killed => StageOutcome::Killed,
        Outcome::Skipped => StageOutcome::Skipped,
    }
}

/// Record how the experiment ended (`report` is what the engine returned: an error fails it).
/// False when it was dropped: nothing ran and it adds nothing (see
/// [`experiments::conclude`]).
pub(crate) fn conclude(
    project: &Project,
    conn: &mut rusqlite::Connection,
    started: &Started,
    pipeline: &Pipeline,
    report: Option<&RunStagesReport>,
    keep: bool,
) -> Result<bool> {
    let text = std::fs::read(project.root().join(FILE)).ok();
    let lock = match &text {
        Some(bytes) => LockFile::parse(&String::from_utf8_lossy(bytes)).unwrap_or_default(),
        None => LockFile::default(),
    };
    let stages = pipeline
        .stages
        .iter()
        .map(|stage| {
            let name = stage.name.as_str();
            let done = report.and_then(|r| r.stages.iter().find(|s| s.stage == name));
            let outcome = done.map_or(StageOutcome::NotRun, |s| outcome_of(&s.outcome));
            // A stage that failed now left its older entry: that is not this run's.
            let entry = lock
                .stages
                .get(name)
                .filter(|_| !matches!(outcome, StageOutcome::Failed | StageOutcome::Killed));
            let run = match outcome {
                StageOutcome::Ran
                | StageOutcome::Restored
                | StageOutcome::Failed
                | StageOutcome::Killed => done.and_then(|s| s.run.clone()),
                _ => None,
            };
            StageEntry {
                stage: name.to_owned(),
                outcome,
                run,
                entry_hash: entry.map(|e| {
                    experiments::entry_hash(name, &toml::to_string(e).unwrap_or_default())
                }),
                outs: entry
                    .filter(|e| !e.outs.is_empty())
                    .map(|e| serde_json::to_string(&e.outs).unwrap_or_default()),
            }
        })
        .collect();
    let status = match report {
        Some(r) if r.interrupted.is_some() => Status::Killed,
        Some(r) if r.succeeded() => Status::Finished,
        _ => Status::Failed,
    };
    let conclusion = Conclusion {
        status,
        lock_hash: text.as_deref().map(experiments::lock_hash_of),
        stages,
        keep,
    };
    Ok(experiments::conclude(conn, &started.id, &conclusion)?)
}

/// Keep the resulting state of an experiment that ran from `base` (HEAD then) as a git commit
/// (see `experiments::result`), when it succeeded or one of its stages ran or was restored;
/// called while `--set` overrides are still applied. A failure is a warning: the runs are
/// recorded either way.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_result(
    project: &Project,
    conn: &rusqlite::Connection,
    started: &Started,
    pipeline: &Pipeline,
    report: &RunStagesReport,
    base: Option<&str>,
    overrides: &[String],
    reporter: &dyn Reporter,
) {
    let succeeded = report.succeeded()
        || report.stages.iter().any(|s| matches!(s.outcome, Outcome::Ran | Outcome::Restored));
    let Some(base) = base.filter(|_| succeeded) else { return };
    let recorded = crate::experiments::result::record(
        project,
        conn,
        pipeline,
        &started.id,
        &started.name,
        base,
        overrides,
    );
    if let Err(e) = recorded {
        reporter.note(&format!(
            "mlx: warning: experiment {}: its resulting state was not kept for `mlx exp apply`: {e}",
            started.name
        ));
    }
}
