//! The drift view's routes: the data files the work tree tracks (with recent revisions to pick
//! from), and the drift between two versions of one of them, as `mlx data drift --json` reports
//! it, with each column's two distributions on common bins for drawing. A version not profiled
//! yet is profiled on the spot (and stored, in `.mlx` only). Paths from the URL are project
//! paths: one that leaves the project, names `.git` or `.mlx`, or is not a tracked file of the
//! work tree (for the work tree's side) is refused.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::State;
use crate::error::Result;
use crate::ops::data_drift::{self, DriftOptions};
use crate::quality::drift::{DriftReport, Overlay};
use crate::store::pointer::Kind;
use crate::work_tree::tracked::{self, Source};

/// Files inside tracked folders listed at most (a folder of a million files is not a menu).
const MAX_FILES: usize = 5_000;
/// Ancestors of HEAD offered as revisions.
const REVISIONS: usize = 20;

/// `GET /api/data/files`.
#[derive(Debug, Serialize)]
pub struct DataFiles {
    /// Tracked files mlx can profile (CSV, TSV, JSON lines, Parquet): tracked files, stage
    /// outputs, and the files inside tracked folders whose listing is in the cache.
    pub files: Vec<DataFile>,
    /// Whether more files were found than listed.
    pub truncated: bool,
    /// `HEAD` and its first-parent ancestors (`HEAD~1`, …), nearest first.
    pub revisions: Vec<Revision>,
}

#[derive(Debug, Serialize)]
pub struct DataFile {
    pub path: String,
    pub format: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Revision {
    pub rev: String,
    pub commit: String,
}

/// The profilable files the work tree tracks, sorted.
fn tracked_files(state: &State) -> Result<(Vec<DataFile>, bool)> {
    let project = &state.project;
    let (all, _) = tracked::load_source(project, &Source::Workspace, project.root(), &[])?;
    let mut files = Vec::new();
    let mut truncated = false;
    let mut add = |path: String| {
        let Some(format) = crate::quality::Format::of(&path) else { return };
        if files.len() >= MAX_FILES {
            truncated = true;
            return;
        }
        files.push(DataFile { path, format: format.name() });
    };
    for t in &all {
        match t.pointer.kind {
            Kind::Directory => {
                // A folder whose listing this cache lacks lists nothing.
                let Ok(manifest) = tracked::manifest_of(project, t.pointer.hash) else { continue };
                for e in manifest.entries() {
                    if matches!(e.kind, crate::store::manifest::EntryKind::File { .. }) {
                        add(format!("{}/{}", t.target, e.path));
                    }
                }
            }
            _ => add(t.target.to_string()),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok((files, truncated))
}

pub fn files(state: &State) -> Result<DataFiles> {
    let (files, truncated) = tracked_files(state)?;
    let mut revisions = Vec::new();
    if let Ok(repo) = crate::git::Repo::open(state.project.root())
        && let Ok(head) = repo.resolve("HEAD")
    {
        revisions.push(Revision { rev: "HEAD".into(), commit: head.short().to_owned() });
        for (i, sha) in repo.first_parent_ancestors(&head, REVISIONS - 1)?.into_iter().enumerate() {
            revisions.push(Revision { rev: format!("HEAD~{}", i + 1), commit: sha[..7].into() });
        }
    }
    Ok(DataFiles { files, truncated, revisions })
}

/// What the drift view asks for.
pub struct DriftQuery {
    pub path: String,
    /// A revision; `None` with `exps`.
    pub from: Option<String>,
    /// A revision, or `None` for the work tree's file.
    pub to: Option<String>,
    pub exps: Vec<String>,
}

/// `GET /api/data/drift`: the report and the overlaid distributions.
#[derive(Debug, Serialize)]
pub struct DriftView {
    pub report: DriftReport,
    pub overlays: Vec<Overlay>,
}

/// Why a drift request is refused before anything is read.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0} is not a tracked data file of the work tree (pick one of /api/data/files)")]
    NotTracked(String),
    #[error("name the version to compare against: from=REV, or exp=A&exp=B")]
    NoFrom,
}

/// A refused request, or an error while reading the project.
pub enum Failed {
    Refused(Refused),
    Error(crate::error::Error),
}

impl From<crate::error::Error> for Failed {
    fn from(e: crate::error::Error) -> Self {
        Failed::Error(e)
    }
}

impl From<crate::project_path::PathError> for Failed {
    fn from(e: crate::project_path::PathError) -> Self {
        Failed::Error(e.into())
    }
}

pub fn drift(state: &State, q: &DriftQuery) -> std::result::Result<DriftView, Failed> {
    let project = &state.project;
    let root = project.root();
    let path = crate::project_path::resolve_user_path(root, root, Path::new(&q.path))?;
    crate::work_tree::check_data_path(&path)?;
    if q.exps.is_empty() && q.from.is_none() {
        return Err(Failed::Refused(Refused::NoFrom));
    }
    // The work tree's side reads a file there: only one mlx tracks, and never through a link.
    if q.exps.is_empty() && q.to.is_none() {
        let shown = path.to_string();
        let (files, _) = tracked_files(state)?;
        let regular = fs_err::symlink_metadata(root.join(path.as_path()))
            .is_ok_and(|m| m.file_type().is_file());
        if !regular || !files.iter().any(|f| f.path == shown) {
            return Err(Failed::Refused(Refused::NotTracked(shown)));
        }
    }
    let opts = DriftOptions {
        path: PathBuf::from(path.to_string()),
        from: q.from.clone(),
        to: q.to.clone(),
        exps: q.exps.clone(),
        cwd: root.to_path_buf(),
        remote: None,
    };
    let compared = data_drift::compare(project, &opts, &crate::progress::NoProgress)?;
    let overlays = crate::quality::drift::overlays(&compared.from, &compared.to);
    Ok(DriftView { report: compared.report, overlays })
}
