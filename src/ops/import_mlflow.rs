//! `mlx import mlflow --from PATH`: bring the history of an MLflow tracking store (a file store
//! `mlruns/` folder or a SQLite database) into the project's database: experiments, runs with
//! their status, times, params, tags and full metric histories, the git commit MLflow recorded,
//! and the artifacts (and MLflow 3's logged models) into the cache as the runs' artifacts.
//!
//! Each MLflow run becomes an mlx run tagged `mlflow.run_id` (its id in MLflow) and
//! `mlflow.experiment` (its MLflow experiment's name); importing again skips the runs already
//! imported. A top-level run is an experiment of its own in `mlx exp list`, a nested run joins
//! its parent's. Deleted runs and experiments are left out and counted. Everything is inserted
//! in one transaction; a run whose files cannot be read is left out with why (the others are
//! imported) and the command then exits with 1. With `dry_run` nothing is written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use super::Result;
use crate::mlflow::store::{self, Artifacts, LoggedModel, RunData, RunInfo, Store};
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::store::manifest::{Entry, EntryKind};
use crate::store::stat_cache::Rows;
use crate::store::{Cache, Manifest, Staged, StatCache};
use crate::tracking::artifacts::Artifact;
use crate::tracking::imported::{self, ImportedRun, Known};
use crate::tracking::runs::{GitInfo, Point, Status};

/// The tag holding a run's MLflow run id: the key that makes importing again add nothing.
pub const RUN_ID_TAG: &str = "mlflow.run_id";
/// The tag holding the name of the run's MLflow experiment.
pub const EXPERIMENT_TAG: &str = "mlflow.experiment";
/// MLflow's tags read into the run's own columns (they stay tags too).
const GIT_COMMIT_TAG: &str = "mlflow.source.git.commit";
const GIT_BRANCH_TAG: &str = "mlflow.source.git.branch";
const PARENT_TAG: &str = "mlflow.parentRunId";
const RUN_NAME_TAG: &str = "mlflow.runName";
const USER_TAG: &str = "mlflow.user";
const SOURCE_TAG: &str = "mlflow.source.name";

pub struct ImportMlflowOptions {
    /// The store: a file store folder, a SQLite file, or `sqlite:///PATH`.
    pub from: String,
    /// Report what would be imported; write nothing.
    pub dry_run: bool,
}

/// Something left out or changed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub place: String,
    pub reason: String,
}

/// An MLflow experiment and what came of its runs.
#[derive(Debug, Default, Serialize)]
pub struct ImportedExperiment {
    pub mlflow_id: String,
    pub name: String,
    /// Runs imported now (with `dry_run`: that would be).
    pub imported: u64,
    /// Runs imported by an earlier import, left as they are.
    pub already_imported: u64,
    /// Deleted runs, left out.
    pub deleted: u64,
}

/// One run imported.
#[derive(Debug, Serialize)]
pub struct ImportedRunRow {
    pub mlflow_run_id: String,
    /// Its id in mlx (absent with `dry_run`).
    pub run: Option<String>,
    pub name: Option<String>,
    pub experiment: String,
    pub status: Status,
    pub params: u64,
    pub tags: u64,
    pub metric_points: u64,
    pub artifacts: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct ImportMlflowReport {
    pub dry_run: bool,
    /// `file store` or `SQLite database`.
    pub store: String,
    /// The SQLite database's schema revision (Alembic's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The experiments that are not deleted.
    pub experiments: Vec<ImportedExperiment>,
    pub runs: Vec<ImportedRunRow>,
    pub runs_imported: u64,
    pub runs_already_imported: u64,
    /// Deleted runs (and the runs of deleted experiments), left out.
    pub runs_deleted: u64,
    pub experiments_deleted: u64,
    pub metric_points: u64,
    /// Artifacts recorded on the imported runs, and the files and bytes they hold.
    pub artifacts: u64,
    pub artifact_files: u64,
    pub artifact_bytes: u64,
    /// What was imported with a difference worth knowing (artifacts not read, a status).
    pub notes: Vec<Problem>,
    /// What could not be imported, and why. Not empty: the command exits with 1.
    pub not_imported: Vec<Problem>,
}

impl ImportMlflowReport {
    pub fn is_complete(&self) -> bool {
        self.not_imported.is_empty()
    }

    fn note(&mut self, place: impl Into<String>, reason: impl Into<String>) {
        self.notes.push(Problem { place: place.into(), reason: reason.into() });
    }

    fn problem(&mut self, place: impl Into<String>, reason: impl Into<String>) {
        self.not_imported.push(Problem { place: place.into(), reason: reason.into() });
    }
}

/// A run to import, with what it logged.
struct Pending {
    info: RunInfo,
    data: RunData,
    experiment: usize,
}

pub fn run(
    project: &Project,
    opts: &ImportMlflowOptions,
    reporter: &dyn Reporter,
) -> Result<ImportMlflowReport> {
    let store = Store::open(&opts.from)?;
    let _lock = if opts.dry_run { None } else { Some(project.lock(reporter)?) };
    let mut conn = project.open_db()?;
    let mut known = imported::known(&conn, RUN_ID_TAG)?;
    let mut report = ImportMlflowReport {
        dry_run: opts.dry_run,
        store: store.kind().to_owned(),
        revision: store.revision().map(str::to_owned),
        ..ImportMlflowReport::default()
    };

    let (mut infos, models) = collect(&store, &known, &mut report)?;
    let mut skipped_artifacts: BTreeMap<String, (u64, String)> = BTreeMap::new();
    // Parents start before the runs nested under them: importing in start order finds each
    // parent imported already (those that are not wait for a second pass).
    infos.sort_by(|a, b| (a.0.start_time, &a.0.run_id).cmp(&(b.0.start_time, &b.0.run_id)));
    let in_store: HashMap<String, ()> = infos.iter().map(|(i, _)| (i.run_id.clone(), ())).collect();

    reporter.start("importing runs", infos.len() as u64);
    let cache = project.cache();
    let stat = StatCache::load(&conn, Rows::Files)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(crate::tracking::Error::from)?;
    let mut waiting: Vec<Pending> = Vec::new();
    let mut still_running = 0u64;
    let mut importer = Importer {
        tx: &tx,
        cache,
        stat: &stat,
        dry_run: opts.dry_run,
        models: &models,
        skipped_artifacts: &mut skipped_artifacts,
        still_running: &mut still_running,
    };
    for (info, experiment) in infos {
        let data = match store.run_data(&info) {
            Ok(d) => d,
            Err(e) => {
                report.problem(place_of(&e), reason_of(&e));
                reporter.advance(1);
                continue;
            }
        };
        let pending = Pending { info, data, experiment };
        let parent = tag(&pending.data, PARENT_TAG).map(str::to_owned);
        match parent {
            Some(p) if !known.contains_key(&p) && in_store.contains_key(&p) => {
                waiting.push(pending);
            }
            _ => {
                importer.import(pending, &mut known, &mut report)?;
                reporter.advance(1);
            }
        }
    }
    // Runs whose parent came later in start order; a parent that never got imported (it could
    // not be read) leaves its runs experiments of their own.
    while !waiting.is_empty() {
        let before = waiting.len();
        let (ready, rest): (Vec<Pending>, Vec<Pending>) = waiting.into_iter().partition(|p| {
            tag(&p.data, PARENT_TAG).is_none_or(|parent| known.contains_key(parent))
        });
        waiting = rest;
        let stuck = ready.is_empty() && waiting.len() == before;
        for pending in ready {
            importer.import(pending, &mut known, &mut report)?;
            reporter.advance(1);
        }
        if stuck {
            for pending in std::mem::take(&mut waiting) {
                importer.import(pending, &mut known, &mut report)?;
                reporter.advance(1);
            }
        }
    }
    if opts.dry_run {
        drop(tx);
    } else {
        tx.commit().map_err(crate::tracking::Error::from)?;
        stat.save(&mut conn)?;
    }
    reporter.finish();
    if still_running > 0 {
        report.note(
            "status",
            format!(
                "{} MLflow still called running or scheduled imported as failed (no process \
                 records into them any more)",
                crate::text::counted(still_running, "run")
            ),
        );
    }
    for (why, (n, example)) in skipped_artifacts {
        report.note(
            "artifacts",
            format!("not read for {}: {why} (such as {example})", crate::text::counted(n, "run")),
        );
    }
    Ok(report)
}

/// Logged models by the MLflow run that logged them.
type ModelsByRun = HashMap<String, Vec<LoggedModel>>;

/// The runs to import (with their experiment's index in the report) and the logged models by
/// the run that logged them; counts deleted and already imported runs, and lists what cannot be
/// read, in the report.
fn collect(
    store: &Store,
    known: &HashMap<String, Known>,
    report: &mut ImportMlflowReport,
) -> Result<(Vec<(RunInfo, usize)>, ModelsByRun)> {
    let mut infos: Vec<(RunInfo, usize)> = Vec::new();
    let mut models: HashMap<String, Vec<LoggedModel>> = HashMap::new();
    for experiment in store.experiments()? {
        let experiment = match experiment {
            Ok(e) => e,
            Err(e) => {
                report.problem(place_of(&e), reason_of(&e));
                continue;
            }
        };
        let runs = store.runs(&experiment)?;
        if experiment.deleted {
            report.experiments_deleted += 1;
            report.runs_deleted += runs.len() as u64;
            continue;
        }
        let index = report.experiments.len();
        report.experiments.push(ImportedExperiment {
            mlflow_id: experiment.id.clone(),
            name: experiment.name.clone(),
            ..ImportedExperiment::default()
        });
        for run in runs {
            match run {
                Ok(info) if info.deleted => {
                    report.runs_deleted += 1;
                    report.experiments[index].deleted += 1;
                }
                Ok(info) if known.contains_key(&info.run_id) => {
                    report.runs_already_imported += 1;
                    report.experiments[index].already_imported += 1;
                }
                Ok(info) => infos.push((info, index)),
                Err(e) => report.problem(place_of(&e), reason_of(&e)),
            }
        }
        for model in store.logged_models(&experiment)? {
            match model {
                Ok(m) if m.deleted => {}
                Ok(m) => {
                    if let Some(run) = m.source_run_id.clone() {
                        models.entry(run).or_default().push(m);
                    }
                }
                Err(e) => report.problem(place_of(&e), reason_of(&e)),
            }
        }
    }
    Ok((infos, models))
}

fn place_of(e: &store::Error) -> String {
    match e {
        store::Error::Bad { place, .. } => place.clone(),
        store::Error::Io { path, .. } => path.display().to_string(),
        store::Error::NotAStore { path, .. }
        | store::Error::UnknownVersion { path, .. }
        | store::Error::Sql { path, .. } => path.display().to_string(),
    }
}

fn reason_of(e: &store::Error) -> String {
    match e {
        store::Error::Bad { why, .. } => why.clone(),
        store::Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

fn tag<'a>(data: &'a RunData, key: &str) -> Option<&'a str> {
    data.tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// A commit id as git writes it (hex, 4 to 64 digits), lowercased.
fn commit_of(text: &str) -> Option<String> {
    let t = text.trim();
    (4..=64).contains(&t.len()).then_some(())?;
    t.bytes().all(|b| b.is_ascii_hexdigit()).then(|| t.to_ascii_lowercase())
}

struct Importer<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    cache: &'a Cache,
    stat: &'a StatCache,
    dry_run: bool,
    models: &'a HashMap<String, Vec<LoggedModel>>,
    skipped_artifacts: &'a mut BTreeMap<String, (u64, String)>,
    still_running: &'a mut u64,
}

/// An artifact stored in the cache.
struct Stored {
    name: String,
    kind: &'static str,
    hash: String,
    size: u64,
    files: u64,
}

impl Importer<'_> {
    fn import(
        &mut self,
        pending: Pending,
        known: &mut HashMap<String, Known>,
        report: &mut ImportMlflowReport,
    ) -> Result<()> {
        let Pending { info, data, experiment } = pending;
        let exp_name = report.experiments[experiment].name.clone();
        let status = match info.status {
            store::Status::Finished => Status::Finished,
            store::Status::Failed => Status::Failed,
            store::Status::Killed => Status::Killed,
            store::Status::Running | store::Status::Scheduled => {
                *self.still_running += 1;
                Status::Failed
            }
        };
        let name = info.name.clone().or_else(|| tag(&data, RUN_NAME_TAG).map(str::to_owned));
        let git = GitInfo {
            commit: tag(&data, GIT_COMMIT_TAG).and_then(commit_of),
            branch: tag(&data, GIT_BRANCH_TAG).map(str::to_owned),
            dirty: false,
            diff_hash: None,
        };
        let user = info.user.clone().or_else(|| tag(&data, USER_TAG).map(str::to_owned));
        let start = info
            .start_time
            .or_else(|| data.metrics.iter().map(|m| m.timestamp).min())
            .or(info.end_time)
            .unwrap_or(0);
        let mut tags = data.tags.clone();
        tags.retain(|(k, _)| k != RUN_ID_TAG && k != EXPERIMENT_TAG);
        tags.push((RUN_ID_TAG.to_owned(), info.run_id.clone()));
        tags.push((EXPERIMENT_TAG.to_owned(), exp_name.clone()));
        let points: Vec<Point<'_>> = data
            .metrics
            .iter()
            .map(|m| Point { key: &m.key, value: m.value, step: m.step, timestamp: m.timestamp })
            .collect();
        let parent = tag(&data, PARENT_TAG).and_then(|p| known.get(p));
        let joins = parent.map(|k| k.experiment.clone().unwrap_or_else(|| k.id.clone()));
        // Artifacts first: objects in the cache before the rows that name them.
        let mut stored = Vec::new();
        self.artifacts(&info.artifacts, "", &info.place, &mut stored, report)?;
        for model in self.models.get(&info.run_id).into_iter().flatten() {
            self.model(model, &info.place, &mut stored, report)?;
        }
        let run = ImportedRun {
            name: name.clone(),
            command: tag(&data, SOURCE_TAG).map(|s| vec![s.to_owned()]).unwrap_or_default(),
            git,
            status,
            start_millis: start,
            end_millis: info.end_time,
            host: String::new(),
            user: user.unwrap_or_default(),
            params: &data.params,
            tags: &tags,
            metrics: &points,
            experiment: joins,
        };
        let id = if self.dry_run {
            None
        } else {
            let id = imported::insert(self.tx, &run)?;
            for s in &stored {
                crate::tracking::runs::add_artifact(
                    self.tx, &id, &s.name, s.kind, &s.hash, s.size,
                )?;
            }
            let experiment = run.experiment.clone().unwrap_or_else(|| id.clone());
            known.insert(
                info.run_id.clone(),
                Known { id: id.clone(), experiment: Some(experiment) },
            );
            Some(id)
        };
        if self.dry_run {
            // Later runs nested under this one find it.
            known.entry(info.run_id.clone()).or_insert_with(|| Known {
                id: crate::tracking::RunId::from_db(info.run_id.clone()),
                experiment: None,
            });
        }
        report.runs_imported += 1;
        report.experiments[experiment].imported += 1;
        report.metric_points += points.len() as u64;
        report.artifacts += stored.len() as u64;
        report.artifact_files += stored.iter().map(|s| s.files).sum::<u64>();
        report.artifact_bytes += stored.iter().map(|s| s.size).sum::<u64>();
        report.runs.push(ImportedRunRow {
            mlflow_run_id: info.run_id.clone(),
            run: id.map(|i| i.as_str().to_owned()),
            name,
            experiment: exp_name,
            status,
            params: data.params.len() as u64,
            tags: tags.len() as u64,
            metric_points: points.len() as u64,
            artifacts: stored.len() as u64,
        });
        Ok(())
    }

    /// Store the artifacts under `from` (its top-level files and folders, each one artifact
    /// named `prefix/NAME`) into the cache.
    fn artifacts(
        &mut self,
        from: &Artifacts,
        prefix: &str,
        place: &str,
        out: &mut Vec<Stored>,
        report: &mut ImportMlflowReport,
    ) -> Result<()> {
        let dir = match from {
            Artifacts::Local(dir) => dir,
            Artifacts::Skipped { uri, why } => {
                let entry = self.skipped_artifacts.entry(why.clone()).or_insert((0, uri.clone()));
                entry.0 += 1;
                return Ok(());
            }
        };
        let Ok(meta) = std::fs::symlink_metadata(dir) else { return Ok(()) };
        if !meta.is_dir() {
            report.note(place, format!("artifacts {}: not a folder, not read", dir.display()));
            return Ok(());
        }
        let mut entries: Vec<_> = fs_err::read_dir(dir)?.collect::<std::io::Result<Vec<_>>>()?;
        entries.sort_by_key(fs_err::DirEntry::file_name);
        for entry in entries {
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                report.note(
                    place,
                    format!("artifact {:?}: a name that is not UTF-8, left out", entry.file_name()),
                );
                continue;
            };
            let name = if prefix.is_empty() {
                file_name.to_owned()
            } else {
                format!("{prefix}/{file_name}")
            };
            let check =
                Artifact { path: name.clone(), kind: "file".into(), hash: String::new(), size: 0 };
            if let Err(e) = check.checked_path() {
                report.note(place, format!("{e}; left out"));
                continue;
            }
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_file() {
                let (hash, size) = self.put_file(&path)?;
                out.push(Stored { name, kind: "file", hash, size, files: 1 });
            } else if kind.is_dir() {
                if let Some(s) = self.put_dir(&path, &name, place, report)? {
                    out.push(s);
                }
            } else {
                report.note(
                    place,
                    format!("artifact {name}: a symlink or special file, not followed"),
                );
            }
        }
        Ok(())
    }

    /// A logged model's folder as one artifact, `models/NAME` (`models/NAME-MODEL_ID` when
    /// the run logged two models of that name).
    fn model(
        &mut self,
        model: &LoggedModel,
        place: &str,
        out: &mut Vec<Stored>,
        report: &mut ImportMlflowReport,
    ) -> Result<()> {
        let dir = match &model.artifacts {
            Artifacts::Local(dir) => dir,
            skipped @ Artifacts::Skipped { .. } => {
                return self.artifacts(skipped, "", place, out, report);
            }
        };
        if !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        let mut name = format!("models/{}", model.name);
        if out.iter().any(|s| s.name == name) {
            name = format!("{name}-{}", model.model_id);
        }
        let check =
            Artifact { path: name.clone(), kind: "directory".into(), hash: String::new(), size: 0 };
        if let Err(e) = check.checked_path() {
            report.note(place, format!("logged model {}: {e}; left out", model.model_id));
            return Ok(());
        }
        if let Some(s) = self.put_dir(dir, &name, place, report)? {
            out.push(s);
        }
        Ok(())
    }

    /// A file into the cache: its hash and size.
    fn put_file(&self, path: &Path) -> Result<(String, u64)> {
        let size = fs_err::symlink_metadata(path)?.len();
        if self.dry_run {
            return Ok((String::new(), size));
        }
        let staged = self.cache.stage_copy(path).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot copy {} into the cache: {e}", path.display()),
            )
        })?;
        let hash = staged.id.to_hex();
        self.commit(vec![staged])?;
        Ok((hash, size))
    }

    fn commit(&self, staged: Vec<Staged>) -> Result<()> {
        self.cache.commit(staged, self.stat)?;
        Ok(())
    }

    /// A folder into the cache: its files, then its manifest.
    fn put_dir(
        &self,
        dir: &Path,
        name: &str,
        place: &str,
        report: &mut ImportMlflowReport,
    ) -> Result<Option<Stored>> {
        let mut entries = Vec::new();
        let mut staged = Vec::new();
        let mut size = 0u64;
        for entry in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
            let entry = entry.map_err(|e| {
                std::io::Error::other(format!("cannot read {}: {e}", dir.display()))
            })?;
            let rel = entry.path().strip_prefix(dir).expect("walked below dir");
            let kind = entry.file_type();
            if kind.is_dir() {
                continue;
            }
            if !kind.is_file() {
                report.note(
                    place,
                    format!(
                        "artifact {name}/{}: a symlink or special file, not followed",
                        rel.display()
                    ),
                );
                continue;
            }
            let len = entry.metadata().map_err(std::io::Error::other)?.len();
            size += len;
            let hash = if self.dry_run {
                crate::store::hash_file(entry.path())?
            } else {
                let s = self.cache.stage_copy(entry.path())?;
                let id = s.id;
                staged.push(s);
                id
            };
            let Ok(path) = RelPath::new(rel) else { continue };
            entries
                .push(Entry { path, kind: EntryKind::File { hash, size: len, executable: false } });
        }
        let files = entries.len() as u64;
        if entries.is_empty() {
            return Ok(None);
        }
        let manifest = Manifest::new(entries);
        let hash = if self.dry_run {
            String::new()
        } else {
            self.commit(staged)?;
            self.cache.put_bytes(&manifest.encode(), self.stat)?.to_hex()
        };
        Ok(Some(Stored { name: name.to_owned(), kind: "directory", hash, size, files }))
    }
}
