//! `mlx exp get EXP|RUN [ARTIFACT...] [-o DIR]`: write a run's artifacts (files and directories
//! it recorded, its log when named), or those of the runs behind an experiment's stages, out of
//! the cache into a folder, fetching what the cache lacks from the remote first. Every name in
//! the runs' records is checked before anything is written (a record fetched from a remote is
//! untrusted), every write passes the work tree's gate (or, for a folder outside the project,
//! the same gate rooted at that folder), and files already there with other content are left
//! alone unless forced.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::progress::Reporter;
use crate::project::Project;
use crate::store;
use crate::store::manifest::EntryKind;
use crate::tracking::artifacts::{self, Artifact, ArtifactError};
use crate::tracking::experiments::{self, Named, StageRun};
use crate::tracking::{RunId, launch, lookup};
use crate::work_tree::output::OutItem;

#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// An experiment's name, id or unique prefix; a run's id, unique prefix or name.
    pub run: String,
    /// Of an experiment, only the run of this stage.
    pub stage: Option<String>,
    /// Artifact names (or folders holding some); all but the log when empty.
    pub artifacts: Vec<String>,
    /// Where relative paths start (canonical).
    pub cwd: PathBuf,
    /// The folder to write into (default: `cwd`).
    pub out: Option<PathBuf>,
    /// Replace files (and links) that are there with other content.
    pub force: bool,
    /// The remote to fetch missing objects from (default: the default remote).
    pub remote: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GetReport {
    /// The run written from; for an experiment, `None` unless `--stage` picked one.
    pub run: Option<RunId>,
    /// The run's name; for an experiment, the experiment's.
    pub name: Option<String>,
    /// The experiment named (absent for a run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<RunId>,
    /// The folder written into.
    pub dir: PathBuf,
    pub artifacts: Vec<WrittenArtifact>,
    /// Objects downloaded from the remote first.
    pub fetched: u64,
    /// What is in the way; when not empty (and not forced), nothing was written.
    pub conflicts: Vec<Conflict>,
}

impl GetReport {
    pub fn is_complete(&self) -> bool {
        self.conflicts.is_empty()
    }
}

#[derive(Debug, Serialize)]
pub struct WrittenArtifact {
    /// Its name in the run.
    pub artifact: String,
    /// For an experiment: the run it comes from, and that run's stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// `file`, `directory` or `log`.
    pub kind: String,
    pub hash: String,
    /// Where it went, relative to `dir`.
    pub path: String,
    /// Files, links and empty folders written.
    pub written: u64,
    /// Of its files, those already there with the same content.
    pub unchanged: u64,
    /// Bytes of the files written.
    pub bytes: u64,
}

pub use crate::work_tree::output::Conflict;

pub fn run(project: &Project, opts: &GetOptions, reporter: &dyn Reporter) -> Result<GetReport> {
    let conn = project.open_db()?;
    launch::reap(project, &conn)?;
    let order = crate::pipeline::spec::stage_order(project.root());
    let found = experiments::readback(&conn, &opts.run, opts.stage.as_deref(), &order)?;
    let (chosen, from): (Vec<Artifact>, Vec<Option<&StageRun>>) = match &found.experiment {
        None => {
            let run = &found.runs[0].run;
            let recorded = artifacts::of_run(&conn, run)?;
            choose(run, &recorded, &opts.artifacts)?.into_iter().map(|a| (a, None)).unzip()
        }
        Some(e) => choose_in_experiment(&conn, e, &found.runs, &opts.artifacts)?
            .into_iter()
            .map(|(a, r)| (a, Some(r)))
            .unzip(),
    };
    let (run, name) = match (&found.experiment, found.runs.as_slice()) {
        (None, [one]) => {
            (Some(one.run.clone()), lookup::summary(&conn, &one.run)?.and_then(|s| s.name))
        }
        (Some(e), [one]) if opts.stage.is_some() => (Some(one.run.clone()), Some(e.name.clone())),
        (Some(e), _) => (None, Some(e.name.clone())),
        (None, _) => unreachable!("a run named directly is one run"),
    };
    let what = match (&found.experiment, &run) {
        (Some(e), None) => format!("artifacts of experiment {}", e.name),
        (_, Some(r)) => format!("artifacts of run {r}"),
        (None, None) => unreachable!("a run named directly is one run"),
    };
    // Every name is checked before anything is fetched or written.
    let mut roots = Vec::new();
    for a in &chosen {
        roots.push((a.checked_path()?, a.object()?));
    }
    let (dir, inside) = crate::work_tree::output::destination(
        project.work_tree().root(),
        &opts.cwd,
        opts.out.as_deref(),
    )?;
    let mut report = GetReport {
        run,
        name,
        experiment: found.experiment.as_ref().map(|e| e.id.clone()),
        dir: dir.clone(),
        artifacts: Vec::new(),
        fetched: 0,
        conflicts: Vec::new(),
    };
    // The objects: files, logs and listings first, then the files the listings name.
    let first: Vec<Needed> = chosen
        .iter()
        .zip(&roots)
        .map(|(a, (_, id))| Needed { id: *id, size: (!a.is_directory()).then_some(a.size) })
        .collect();
    report.fetched +=
        transfer::fetch_verified(project, opts.remote.as_deref(), &first, &what, reporter)?;
    let mut items = Vec::new();
    let mut files = Vec::new();
    for (i, ((a, (rel, id)), from)) in chosen.iter().zip(&roots).zip(&from).enumerate() {
        report.artifacts.push(WrittenArtifact {
            artifact: a.path.clone(),
            run: from.map(|f| f.run.clone()),
            stage: from.and_then(|f| f.stage.clone()),
            kind: a.kind.clone(),
            hash: a.hash.clone(),
            path: rel.to_string(),
            written: 0,
            unchanged: 0,
            bytes: 0,
        });
        if !a.is_directory() {
            items.push(OutItem {
                path: rel.clone(),
                kind: EntryKind::File { hash: *id, size: a.size, executable: false },
                artifact: i,
            });
            continue;
        }
        let manifest = transfer::cached_manifest(project, id)?
            .ok_or(store::Error::MissingObject { id: *id })?;
        if manifest.entries().is_empty() {
            items.push(OutItem { path: rel.clone(), kind: EntryKind::EmptyDir, artifact: i });
        }
        for e in manifest.into_entries() {
            if let EntryKind::File { hash, size, .. } = &e.kind {
                files.push(Needed { id: *hash, size: Some(*size) });
            }
            items.push(OutItem { path: rel.join(&e.path), kind: e.kind, artifact: i });
        }
    }
    report.fetched +=
        transfer::fetch_verified(project, opts.remote.as_deref(), &files, &what, reporter)?;
    let outcome = crate::work_tree::output::write_entries(
        project,
        &dir,
        inside.as_ref(),
        items,
        opts.force,
        report.artifacts.len(),
        reporter,
    )?;
    report.conflicts = outcome.conflicts;
    for (done, w) in report.artifacts.iter_mut().zip(outcome.written) {
        done.written = w.written;
        done.unchanged = w.unchanged;
        done.bytes = w.bytes;
    }
    Ok(report)
}

/// The artifacts `names` choose: each an artifact's name, or a folder holding some; all but
/// the log when none is named.
fn choose(run: &RunId, recorded: &[Artifact], names: &[String]) -> Result<Vec<Artifact>> {
    if names.is_empty() {
        return Ok(recorded.iter().filter(|a| a.kind != artifacts::LOG_KIND).cloned().collect());
    }
    let mut out: Vec<Artifact> = Vec::new();
    for name in names {
        let wanted = name.trim_end_matches('/');
        let wanted = wanted.strip_prefix("./").unwrap_or(wanted);
        let folder = format!("{wanted}/");
        let matching: Vec<&Artifact> =
            recorded.iter().filter(|a| a.path == wanted || a.path.starts_with(&folder)).collect();
        if matching.is_empty() {
            let known: Vec<String> = recorded.iter().map(|a| a.path.clone()).collect();
            let closest =
                crate::text::closest(wanted, known.iter().map(String::as_str)).map(str::to_owned);
            return Err(ArtifactError::Unknown {
                run: run.clone(),
                name: name.clone(),
                closest,
                known,
            }
            .into());
        }
        for a in matching {
            if !out.iter().any(|o| o.path == a.path) {
                out.push(a.clone());
            }
        }
    }
    Ok(out)
}

/// The artifacts `names` choose among those of an experiment's `runs` (see [`choose`]), each
/// with the run it comes from. Every run has its own log, so `log` needs one stage picked; an
/// artifact two runs recorded with different content is refused rather than written twice.
fn choose_in_experiment<'r>(
    conn: &rusqlite::Connection,
    experiment: &Named,
    runs: &'r [StageRun],
    names: &[String],
) -> Result<Vec<(Artifact, &'r StageRun)>> {
    let mut recorded: Vec<(Artifact, &StageRun)> = Vec::new();
    for r in runs {
        for a in artifacts::of_run(conn, &r.run)? {
            recorded.push((a, r));
        }
    }
    let stage_of = |r: &StageRun| r.stage.clone().unwrap_or_else(|| r.run.to_string());
    let logs: Vec<&(Artifact, &StageRun)> =
        recorded.iter().filter(|(a, _)| a.kind == artifacts::LOG_KIND).collect();
    if runs.len() > 1 && logs.len() > 1 && names.iter().any(|n| n.trim_end_matches('/') == "log") {
        return Err(crate::tracking::Error::Invalid(format!(
            "every stage run of experiment {} has its own log; pick one with --stage STAGE, or \
             read them all with: mlx exp log {}",
            experiment.name, experiment.name
        ))
        .into());
    }
    let all: Vec<Artifact> = recorded.iter().map(|(a, _)| a.clone()).collect();
    let chosen = choose(&experiment.id, &all, names).map_err(|e| match e {
        crate::error::Error::Artifact(ArtifactError::Unknown { name, closest, known, .. }) => {
            ArtifactError::UnknownInExperiment {
                experiment: experiment.name.clone(),
                name,
                closest,
                known,
            }
            .into()
        }
        other => other,
    })?;
    let mut out: Vec<(Artifact, &StageRun)> = Vec::new();
    for a in chosen {
        for (b, r) in recorded.iter().filter(|(b, _)| b.path == a.path) {
            match out.iter().find(|(o, _)| o.path == b.path) {
                None => out.push((b.clone(), r)),
                Some((o, _)) if o.hash == b.hash && o.kind == b.kind => {}
                Some((_, first)) => {
                    return Err(crate::tracking::Error::Invalid(format!(
                        "stages {} and {} of experiment {} both recorded {:?}, with other \
                         content; pick one with --stage STAGE",
                        stage_of(first),
                        stage_of(r),
                        experiment.name,
                        b.path
                    ))
                    .into());
                }
            }
        }
    }
    Ok(out)
}
