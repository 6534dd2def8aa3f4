//! The plots of several sides of a project (the workspace, git revisions, experiments'
//! results), read for `mlx plots` and `mlx report`: each side's plot definitions (its
//! `mlx.toml`), the data files they name as that side holds them, and the per-step metric
//! histories of its runs, handed to [`crate::plots::resolve`].
//!
//! In the workspace a plots file is read only when it resolves (through symlinks) to a file
//! inside the work tree, outside `.git` and `.mlx`. At a revision a stage's cached plots file
//! is read through that revision's `mlx.lock` and the cache (the caller fetches what the cache
//! lacks first: [`Sides::needed`]). Definitions are the union of the sides' `mlx.toml`, the
//! workspace's winning for a name declared on several sides.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::side::{Side, SideInfo};
use crate::error::Result;
use crate::git::Repo;
use crate::pipeline::Pipeline;
use crate::pipeline::lock::LockFile;
use crate::plots::{self, Plot, PlotDef, Problem, Series, Value};
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::remote::transfers::Needed;
use crate::store::manifest::{EntryKind, Manifest};
use crate::store::pointer::{self, Pointer};
use crate::store::{self, ObjectId};
use crate::tracking::experiments::{self, results};
use crate::tracking::{RunId, history};

/// Plots files larger than this are not read.
const MAX_FILE: u64 = 1 << 30;

/// Why plots cannot be shown as asked (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum PlotsError {
    #[error("unknown plot {name}{}", closest.as_ref().map(|c| format!(" (did you mean {c}?)")).unwrap_or_default())]
    UnknownPlot { name: String, closest: Option<String>, known: Vec<String> },
    #[error("unknown revision {spec}{}", closest.as_ref().map(|c| format!(" (did you mean {c}?)")).unwrap_or_default())]
    UnknownRevision { spec: String, closest: Option<String> },
    #[error("experiment {name} has no commit to read its plots from ({why})")]
    NoCommit { name: String, why: String },
}

impl PlotsError {
    pub fn hint(&self) -> Option<String> {
        match self {
            PlotsError::UnknownPlot { known, .. } if known.is_empty() => Some(
                "declare plots in mlx.toml: a stage's `plots` entries or [plots.NAME] tables"
                    .into(),
            ),
            PlotsError::UnknownPlot { known, .. } => {
                Some(format!("plots here: {}", known.join(", ")))
            }
            PlotsError::UnknownRevision { .. } => {
                Some("name a branch, tag or commit: git log --oneline".into())
            }
            PlotsError::NoCommit { .. } => Some("list the experiments with: mlx exp list".into()),
        }
    }
}

/// Which sides to read, and which plots.
#[derive(Debug, Clone, Default)]
pub struct SidesSpec<'a> {
    /// Only these plots (names, or files they read); all when empty.
    pub names: &'a [String],
    /// Git revisions.
    pub revs: &'a [String],
    /// Experiments (their results, and their runs' metric histories).
    pub exps: &'a [String],
    /// The workspace (and the newest experiment's histories), drawn last.
    pub workspace: bool,
    /// Only the plots files: no per-step metric histories of the sides' runs.
    pub without_histories: bool,
}

/// The sides opened, with the plot definitions chosen and their runs' histories read.
pub struct Sides<'p> {
    sides: Vec<SideSource<'p>>,
    defs: Vec<PlotDef>,
    /// Plot names chosen.
    chosen: Vec<String>,
    /// Metric histories by key, series in side order.
    histories: BTreeMap<String, Vec<Series>>,
}

impl<'p> Sides<'p> {
    /// Open the sides `spec` names (an unknown revision, experiment or plot name is an error
    /// naming the closest).
    pub fn open(project: &'p Project, spec: &SidesSpec<'_>) -> Result<Sides<'p>> {
        let conn = project.open_db()?;
        let mut sides: Vec<SideSource<'_>> = Vec::new();
        // Per side: the runs whose histories are drawn.
        let mut runs: Vec<Vec<RunId>> = Vec::new();
        for rev in spec.revs {
            sides.push(source(project, open_rev(project, rev)?, false)?);
            runs.push(Vec::new());
        }
        for text in spec.exps {
            let (side, exp_runs) = open_exp(project, text)?;
            sides.push(side);
            runs.push(exp_runs);
        }
        if spec.workspace {
            sides.push(source(project, Side::open(project, None)?, true)?);
            runs.push(match history::newest_experiment(&conn)? {
                Some(id) => experiments::member_runs(&conn, &id)?,
                None => Vec::new(),
            });
        }
        // Definitions: the workspace's first, then those only other sides declare.
        let mut defs: Vec<PlotDef> = Vec::new();
        for s in sides.iter().rev() {
            for d in plots::definitions(s.pipeline.as_ref(), top_level(project, s)?) {
                if !defs.iter().any(|e| e.name == d.name) {
                    defs.push(d);
                }
            }
        }
        if spec.without_histories {
            runs.iter_mut().for_each(Vec::clear);
        }
        let histories = history_series(&conn, &sides, &runs)?;
        let chosen = choose(&defs, histories.keys(), spec.names)?;
        defs.retain(|d| chosen.contains(&d.name));
        Ok(Sides { sides, defs, chosen, histories })
    }

    /// Per side other than the workspace: its label and the objects its plots files need,
    /// which the cache may lack.
    pub fn needed(&self) -> Result<Vec<(String, Vec<Needed>)>> {
        let files: Vec<&ProjectPath> = self.defs.iter().flat_map(PlotDef::files).collect();
        let mut out = Vec::new();
        for s in self.sides.iter().filter(|s| !s.workspace) {
            out.push((s.side.label().to_owned(), s.needed(&files)?));
        }
        Ok(out)
    }

    /// The sides, the plots with their data from every side, and what could not be read.
    pub fn resolve(self) -> Result<(Vec<SideInfo>, Vec<Plot>, Vec<Problem>)> {
        let sources: Vec<&dyn plots::Source> =
            self.sides.iter().map(|s| s as &dyn plots::Source).collect();
        let (mut found, problems) = plots::resolve(&self.defs, &sources)?;
        for (key, series) in self.histories {
            let name = format!("metrics.{key}");
            if self.chosen.contains(&name) && !found.iter().any(|p| p.name == name) {
                found.push(plots::history_plot(&key, series));
            }
        }
        Ok((self.sides.into_iter().map(|s| s.side.info).collect(), found, problems))
    }
}

/// One side as a [`plots::Source`].
struct SideSource<'p> {
    side: Side<'p>,
    project: &'p Project,
    workspace: bool,
    pipeline: Option<Pipeline>,
    lock: LockFile,
    /// Files found inside cached folder outputs at a revision: their objects.
    in_folders: RefCell<HashMap<ProjectPath, ObjectId>>,
    /// Why this side has no files to read (an experiment that kept no result).
    no_files: Option<String>,
}

impl SideSource<'_> {
    /// The stage output `path` is (or lies in), with whether it is cached.
    fn out_of(&self, path: &ProjectPath) -> Option<(&str, &ProjectPath, bool)> {
        let pipeline = self.pipeline.as_ref()?;
        pipeline.stages.iter().find_map(|s| {
            s.stored_outs()
                .find(|o| path == &o.path || path.starts_with(&o.path))
                .map(|o| (s.name.as_str(), &o.path, o.cache))
        })
    }

    /// The folder output's manifest entries at this revision, from the cache.
    fn folder_entries(
        &self,
        stage: &str,
        out: &ProjectPath,
    ) -> Result<Option<Vec<(ProjectPath, ObjectId)>>> {
        let Some(locked) = self.locked(stage, out) else { return Ok(None) };
        if locked.files.is_none() {
            return Ok(None);
        }
        let Some(manifest) = cached_manifest(self.project, &locked.hash)? else {
            return Ok(None);
        };
        Ok(Some(
            manifest
                .entries()
                .iter()
                .filter_map(|e| match e.kind {
                    EntryKind::File { hash, .. } => Some((out.join(&e.path), hash)),
                    _ => None,
                })
                .collect(),
        ))
    }

    fn locked(&self, stage: &str, out: &ProjectPath) -> Option<&crate::pipeline::lock::LockedOut> {
        let text = out.to_string();
        self.lock.stages.get(stage)?.outs.iter().find(|o| o.path == text)
    }

    /// A file tracked with `mlx add` at this revision (its pointer `PATH.mlx`), from the cache.
    fn tracked(&self, path: &ProjectPath) -> Result<Option<Pointer>> {
        let pointer_file = pointer::pointer_path(path);
        let Some(bytes) = self.side.read_file(&pointer_file)? else { return Ok(None) };
        let text = String::from_utf8_lossy(&bytes);
        let shown = self.side.shown(&pointer_file);
        let found = Pointer::decode(Path::new(&shown), &text)?;
        Ok((found.kind == pointer::Kind::File).then_some(found))
    }

    fn read_tracked(&self, path: &ProjectPath) -> Result<std::result::Result<Vec<u8>, String>> {
        let Some(found) = self.tracked(path)? else {
            return Ok(Err("does not exist there".into()));
        };
        if !self.project.cache().contains(&found.hash) {
            return Ok(Err(format!(
                "object {} is not in the cache (fetch it with `mlx fetch --rev {}`)",
                &found.hash.to_string()[..8],
                self.side.label()
            )));
        }
        Ok(Ok(self.project.cache().read_verified(&found.hash)?))
    }

    /// The objects this side needs for `files` that the cache may lack.
    fn needed(&self, files: &[&ProjectPath]) -> Result<Vec<Needed>> {
        let mut out = Vec::new();
        if self.no_files.is_some() {
            return Ok(out);
        }
        for file in files {
            let Some((stage, path, true)) = self.out_of(file) else {
                if let Some(found) = self.tracked(file)? {
                    out.push(Needed { id: found.hash, size: Some(found.size) });
                }
                continue;
            };
            let Some(locked) = self.locked(stage, path) else { continue };
            let size = locked.files.is_none().then_some(locked.size);
            out.push(Needed { id: locked.hash, size });
            if locked.files.is_some()
                && let Some(entries) = self.folder_entries(stage, path)?
            {
                out.extend(
                    entries
                        .into_iter()
                        .filter(|(p, _)| p.starts_with(file))
                        .map(|(_, id)| Needed { id, size: None }),
                );
            }
        }
        Ok(out)
    }
}

impl plots::Source for SideSource<'_> {
    fn label(&self) -> &str {
        self.side.label()
    }

    fn read(&self, path: &ProjectPath) -> Result<std::result::Result<Vec<u8>, String>> {
        if let Some(why) = &self.no_files {
            return Ok(Err(why.clone()));
        }
        if self.workspace {
            return read_in_work_tree(self.project.root(), path);
        }
        if let Some(id) = self.in_folders.borrow().get(path) {
            return Ok(if self.project.cache().contains(id) {
                Ok(self.project.cache().read_verified(id)?)
            } else {
                Err(format!(
                    "is not in the cache (fetch it with `mlx fetch --rev {}`)",
                    self.side.label()
                ))
            });
        }
        match self.out_of(path) {
            Some((stage, out, cached)) if out == path => {
                self.side.read_out(&self.lock, stage, path, cached)
            }
            // A file inside a cached folder output (DVCLive's files inside `eval`, say).
            Some((stage, out, true)) => self.side.read_within(&self.lock, stage, out, path, true),
            _ => match self.side.read_file(path)? {
                Some(bytes) => Ok(Ok(bytes)),
                None => self.read_tracked(path),
            },
        }
    }

    fn list(&self, path: &ProjectPath) -> Result<Option<Vec<ProjectPath>>> {
        if self.no_files.is_some() {
            return Ok(None);
        }
        if self.workspace {
            return list_in_work_tree(self.project.root(), path);
        }
        if let Some((stage, out, true)) = self.out_of(path)
            && let Some(entries) = self.folder_entries(stage, out)?
        {
            let mut found: Vec<ProjectPath> = Vec::new();
            for (p, id) in entries {
                if p.starts_with(path) && &p != path {
                    self.in_folders.borrow_mut().insert(p.clone(), id);
                    found.push(p);
                }
            }
            found.sort();
            return Ok(Some(found));
        }
        // A folder committed to git: its files are read one by one from the tree.
        Ok(None)
    }
}

/// The bytes of `path` in the work tree, unless it resolves (through symlinks) outside it or
/// into `.git` or `.mlx`.
fn read_in_work_tree(
    root: &Path,
    path: &ProjectPath,
) -> Result<std::result::Result<Vec<u8>, String>> {
    let real = match inside(root, path)? {
        Ok(real) => real,
        Err(why) => return Ok(Err(why)),
    };
    let meta = fs_err::metadata(&real)?;
    if meta.is_dir() {
        return Ok(Err("is a folder".into()));
    }
    if !meta.is_file() {
        return Ok(Err("is not a regular file; not read".into()));
    }
    if meta.len() > MAX_FILE {
        return Ok(Err(format!("is larger than {} MiB; not read", MAX_FILE >> 20)));
    }
    Ok(Ok(fs_err::read(&real)?))
}

/// The canonical path of `path` when it lies in the work tree outside `.git` and `.mlx`.
fn inside(root: &Path, path: &ProjectPath) -> Result<std::result::Result<PathBuf, String>> {
    let root = root.canonicalize()?;
    let real = match root.join(path.as_path()).canonicalize() {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err("does not exist".into()));
        }
        Err(e) => return Ok(Err(e.to_string())),
    };
    let Ok(rel) = real.strip_prefix(&root) else {
        return Ok(Err("resolves outside the project (through a symlink); not read".into()));
    };
    if let Some(owner) = crate::work_tree::reserved_owner(rel) {
        return Ok(Err(format!("resolves into {}; not read", owner.folder())));
    }
    Ok(Ok(real))
}

fn list_in_work_tree(root: &Path, path: &ProjectPath) -> Result<Option<Vec<ProjectPath>>> {
    let Ok(real) = inside(root, path)? else { return Ok(None) };
    if !real.is_dir() {
        return Ok(None);
    }
    // Files in subfolders too; folders are entered only as themselves (never through a
    // symlink), a few levels deep.
    let mut found = Vec::new();
    let mut folders = vec![(real, path.clone(), 0)];
    while let Some((dir, rel_dir, depth)) = folders.pop() {
        for entry in fs_err::read_dir(&dir)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            let Ok(rel) = ProjectPath::new(&name) else { continue };
            let rel = rel_dir.join(&rel);
            if entry.file_type()?.is_dir() {
                if depth < 8 {
                    folders.push((entry.path(), rel, depth + 1));
                }
            } else {
                found.push(rel);
            }
        }
    }
    found.sort();
    Ok(Some(found))
}

/// Open the side a revision names, an unknown one with the closest branch or tag.
fn open_rev<'p>(project: &'p Project, spec: &str) -> Result<Side<'p>> {
    match Side::open(project, Some(spec)) {
        Err(crate::error::Error::Git(crate::git::Error::UnknownRevision { .. })) => {
            let repo = Repo::open(project.root())?;
            let mut names = Vec::new();
            for prefix in ["refs/heads/", "refs/tags/"] {
                for r in repo.refs_under(prefix)? {
                    names.push(r.trim_start_matches(prefix).to_owned());
                }
            }
            let closest =
                crate::text::closest(spec, names.iter().map(String::as_str)).map(str::to_owned);
            Err(PlotsError::UnknownRevision { spec: spec.to_owned(), closest }.into())
        }
        other => other,
    }
}

/// An experiment's side: its result commit and its runs. An experiment that kept no result
/// (a command's, or one whose stages all failed) gives its runs' histories only: its side reads
/// the definitions of the commit it ran on (else the workspace's) and no file.
fn open_exp<'p>(project: &'p Project, text: &str) -> Result<(SideSource<'p>, Vec<RunId>)> {
    let conn = project.open_db()?;
    let id = experiments::resolve_experiment(&conn, text)?;
    let outcome = results::outcome(&conn, &id)?.ok_or_else(|| {
        crate::tracking::Error::UnknownExperiment { text: text.to_owned(), closest: None }
    })?;
    let repo = Repo::open(project.root())?;
    let runs = experiments::member_runs(&conn, &id)?;
    let (side, no_files) = match &outcome.result_commit {
        Some(result) if !repo.has_commit(result) => {
            let why = format!(
                "its result commit {} is not in this repository",
                &result[..result.len().min(8)]
            );
            return Err(PlotsError::NoCommit { name: outcome.name, why }.into());
        }
        Some(result) => (Side::open(project, Some(result))?, None),
        None => {
            let why =
                format!("experiment {} kept no result to read plots files from", outcome.name);
            match outcome.commit.as_deref().filter(|c| repo.has_commit(c)) {
                Some(commit) => (Side::open(project, Some(commit))?, Some(why)),
                None => (Side::open(project, None)?, Some(why)),
            }
        }
    };
    let mut source = source(project, side, false)?;
    source.side.info.label = outcome.name.clone();
    source.no_files = no_files;
    Ok((source, runs))
}

fn source<'p>(project: &'p Project, side: Side<'p>, workspace: bool) -> Result<SideSource<'p>> {
    let pipeline = side.pipeline()?;
    let lock = side.lock()?;
    Ok(SideSource {
        side,
        project,
        workspace,
        pipeline,
        lock,
        in_folders: RefCell::default(),
        no_files: None,
    })
}

/// The top-level plot definitions of a side's `mlx.toml`.
fn top_level(project: &Project, s: &SideSource<'_>) -> Result<Vec<PlotDef>> {
    let file = ProjectPath::new(crate::config::PROJECT_FILE)?;
    let bytes = if s.workspace {
        match fs_err::read(project.root().join(crate::config::PROJECT_FILE)) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        s.side.read_file(&file)?
    };
    let Some(bytes) = bytes else { return Ok(Vec::new()) };
    let shown = s.side.shown(&file);
    Ok(plots::definition::parse_top_level(Path::new(&shown), &String::from_utf8_lossy(&bytes))?)
}

/// Every metric history of each side's runs, by key; series in side order.
fn history_series(
    conn: &rusqlite::Connection,
    sides: &[SideSource<'_>],
    runs: &[Vec<RunId>],
) -> Result<BTreeMap<String, Vec<Series>>> {
    let mut by_key: BTreeMap<String, Vec<Series>> = BTreeMap::new();
    for (s, side_runs) in sides.iter().zip(runs) {
        for h in history::of_runs(conn, side_runs)? {
            let mut label = h.run_label.clone();
            if sides.len() > 1 {
                label = format!("{} · {label}", s.side.label());
            }
            by_key.entry(h.key.clone()).or_default().push(Series {
                label,
                side: s.side.label().to_owned(),
                source: h.run_label,
                x_field: Some("step".into()),
                y_field: h.key,
                points: h
                    .points
                    .into_iter()
                    .map(|(step, v)| (Value::Num(step as f64), v.map_or(Value::Null, Value::Num)))
                    .collect(),
            });
        }
    }
    Ok(by_key)
}

/// The names of the plots to show: all, or those `names` pick (by name or by a file they
/// read); an unknown name is an error naming the closest.
fn choose<'a>(
    defs: &[PlotDef],
    history_keys: impl Iterator<Item = &'a String>,
    names: &[String],
) -> Result<Vec<String>> {
    let mut all: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
    all.extend(history_keys.map(|k| format!("metrics.{k}")));
    if names.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for name in names {
        let by_file = defs.iter().filter(|d| d.files().any(|f| f.to_string() == *name));
        let mut hit = false;
        for d in by_file {
            chosen.push(d.name.clone());
            hit = true;
        }
        if all.contains(name) {
            chosen.push(name.clone());
            hit = true;
        }
        if !hit {
            let closest =
                crate::text::closest(name, all.iter().map(String::as_str)).map(str::to_owned);
            return Err(PlotsError::UnknownPlot { name: name.clone(), closest, known: all }.into());
        }
    }
    Ok(chosen)
}

/// A directory manifest from the local cache, `None` when the cache lacks it.
fn cached_manifest(project: &Project, id: &ObjectId) -> Result<Option<Manifest>> {
    match crate::work_tree::tracked::manifest_of(project, *id) {
        Ok(m) => Ok(Some(m)),
        Err(crate::error::Error::Store(store::Error::MissingObject { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}
