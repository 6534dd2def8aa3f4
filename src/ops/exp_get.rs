//! `mlx exp get RUN [ARTIFACT...] [-o DIR]`: write a run's artifacts (files and directories it
//! recorded, its log when named) out of the cache into a folder, fetching what the cache lacks
//! from the remote first. Every name in the run's record is checked before anything is written
//! (a record fetched from a remote is untrusted), every write passes the work tree's gate (or,
//! for a folder outside the project, the same gate rooted at that folder), and files already
//! there with other content are left alone unless forced.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{RelPath, check_symlink_target};
use crate::store::manifest::EntryKind;
use crate::store::stat_cache::Rows;
use crate::store::{self, StatCache};
use crate::tracking::artifacts::{self, Artifact, ArtifactError};
use crate::tracking::{RunId, launch, lookup};
use crate::work_tree::{WorkTree, check_not_reserved};

#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// A run id, unique prefix, or the name of one run.
    pub run: String,
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
    pub run: RunId,
    pub name: Option<String>,
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

#[derive(Debug, Serialize)]
pub struct Conflict {
    /// Relative to `dir`.
    pub path: String,
    pub reason: &'static str,
}

/// One thing to write, relative to the folder written into.
struct Item {
    path: RelPath,
    kind: EntryKind,
    /// Index into the report's artifacts.
    artifact: usize,
}

pub fn run(project: &Project, opts: &GetOptions, reporter: &dyn Reporter) -> Result<GetReport> {
    let conn = project.open_db()?;
    launch::reap(project, &conn)?;
    let run = lookup::resolve(&conn, &opts.run)?;
    let name = lookup::summary(&conn, &run)?.and_then(|s| s.name);
    let recorded = artifacts::of_run(&conn, &run)?;
    let chosen = choose(&run, &recorded, &opts.artifacts)?;
    // Every name is checked before anything is fetched or written.
    let mut roots = Vec::new();
    for a in &chosen {
        roots.push((a.checked_path()?, a.object()?));
    }
    let (dir, inside) = destination(project, &opts.cwd, opts.out.as_deref())?;
    let mut report = GetReport {
        run: run.clone(),
        name,
        dir: dir.clone(),
        artifacts: Vec::new(),
        fetched: 0,
        conflicts: Vec::new(),
    };
    // The objects: files, logs and listings first, then the files the listings name.
    let what = format!("artifacts of run {run}");
    let first: Vec<Needed> = chosen
        .iter()
        .zip(&roots)
        .map(|(a, (_, id))| Needed { id: *id, size: (!a.is_directory()).then_some(a.size) })
        .collect();
    report.fetched +=
        transfer::fetch_verified(project, opts.remote.as_deref(), &first, &what, reporter)?;
    let mut items = Vec::new();
    let mut files = Vec::new();
    for (i, (a, (rel, id))) in chosen.iter().zip(&roots).enumerate() {
        report.artifacts.push(WrittenArtifact {
            artifact: a.path.clone(),
            kind: a.kind.clone(),
            hash: a.hash.clone(),
            path: rel.to_string(),
            written: 0,
            unchanged: 0,
            bytes: 0,
        });
        if !a.is_directory() {
            items.push(Item {
                path: rel.clone(),
                kind: EntryKind::File { hash: *id, size: a.size, executable: false },
                artifact: i,
            });
            continue;
        }
        let manifest = transfer::cached_manifest(project, id)?
            .ok_or(store::Error::MissingObject { id: *id })?;
        if manifest.entries().is_empty() {
            items.push(Item { path: rel.clone(), kind: EntryKind::EmptyDir, artifact: i });
        }
        for e in manifest.into_entries() {
            if let EntryKind::File { hash, size, .. } = &e.kind {
                files.push(Needed { id: *hash, size: Some(*size) });
            }
            items.push(Item { path: rel.join(&e.path), kind: e.kind, artifact: i });
        }
    }
    report.fetched +=
        transfer::fetch_verified(project, opts.remote.as_deref(), &files, &what, reporter)?;
    // One item per path (overlapping artifacts name some twice): the last one wins.
    let mut seen = HashSet::new();
    items.reverse();
    items.retain(|it| seen.insert(it.path.clone()));
    items.reverse();

    // Writes into the work tree wait for commands that change it (a pipeline writing these
    // very outputs); the fetches above took the lock themselves.
    let _lock = match &inside {
        Some(_) => Some(project.lock(reporter)?),
        None => None,
    };
    let base = inside.clone().flatten();
    let gate_path = |rel: &RelPath| base.as_ref().map_or_else(|| rel.clone(), |b| b.join(rel));
    for it in &items {
        let p = gate_path(&it.path);
        check_not_reserved(&p)?;
        if let EntryKind::Symlink { target } = &it.kind {
            check_symlink_target(&p, target)?;
        }
    }
    let plan = plan(&dir, &items, opts.force, &mut report.conflicts)?;
    if !report.conflicts.is_empty() {
        return Ok(report);
    }
    // The gate: the work tree's, or one rooted at the folder outside the project.
    let gate = match &inside {
        Some(_) => {
            if let Some(b) = &base {
                project.work_tree().create_dir_all(b)?;
            }
            project.work_tree().clone()
        }
        None => {
            fs_err::create_dir_all(&dir)?;
            WorkTree::new(&dir)
        }
    };
    let stat = StatCache::load(&conn, Rows::FilesAndObjects)?;
    for blocker in &plan.blockers {
        crate::fs_util::remove_file_if_exists(&gate.writable(&gate_path(blocker))?)?;
    }
    reporter.start("writing artifacts", items.len() as u64);
    for (it, unchanged) in items.iter().zip(&plan.unchanged) {
        reporter.advance(1);
        let done = &mut report.artifacts[it.artifact];
        if *unchanged {
            done.unchanged += 1;
            continue;
        }
        let p = gate_path(&it.path);
        if let Some(parent) = p.parent() {
            gate.create_dir_all(&parent)?;
        }
        match &it.kind {
            EntryKind::File { hash, size, executable } => {
                project.cache().verify_before_use(hash, &stat)?;
                let dest = gate.writable(&p)?;
                let tmp = crate::fs_util::temp_path(&dest);
                crate::fs_util::copy_new(&project.cache().object_path(hash), &tmp, *executable)?;
                if let Err(e) = fs_err::rename(&tmp, &dest) {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
                done.bytes += size;
            }
            EntryKind::Symlink { target } => {
                let dest = gate.writable(&p)?;
                let tmp = crate::fs_util::temp_path(&dest);
                fs_err::os::unix::fs::symlink(target, &tmp)?;
                fs_err::rename(&tmp, &dest)?;
            }
            EntryKind::EmptyDir => {
                gate.create_dir_all(&p)?;
            }
        }
        done.written += 1;
    }
    reporter.finish();
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

/// The folder to write into, absolute with its existing part resolved through symlinks; and,
/// when it lies in the work tree, its path there (`None` for the root itself).
fn destination(
    project: &Project,
    cwd: &Path,
    out: Option<&Path>,
) -> Result<(PathBuf, Option<Option<RelPath>>)> {
    let lexical = normalize(&cwd.join(out.unwrap_or(Path::new("."))));
    // Resolve the deepest folder that exists; what is below it is made later.
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        let Some(parent) = existing.parent() else { break };
        rest.push(existing.file_name().map(ToOwned::to_owned).unwrap_or_default());
        existing = parent;
    }
    let mut dir = fs_err::canonicalize(existing)?;
    for part in rest.into_iter().rev() {
        dir.push(part);
    }
    let root = project.work_tree().root();
    let inside = match dir.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => Some(None),
        Ok(rel) => {
            let rel = RelPath::new(rel)?;
            check_not_reserved(&rel)?;
            Some(Some(rel))
        }
        Err(_) => None,
    };
    Ok((dir, inside))
}

/// Lexically normalize an absolute path: drop `.`, resolve `..` against earlier components.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What the write must do besides writing: which items are already there as they should be,
/// and files in the way of folders to remove first (forced only).
struct Plan {
    unchanged: Vec<bool>,
    blockers: Vec<RelPath>,
}

/// Compare each item with what is at its place under `dir`; what is in the way becomes a
/// conflict, unless `force` lets it be replaced (a folder is never replaced by a file).
fn plan(dir: &Path, items: &[Item], force: bool, conflicts: &mut Vec<Conflict>) -> Result<Plan> {
    let mut unchanged = Vec::with_capacity(items.len());
    let mut blockers: Vec<RelPath> = Vec::new();
    let mut checked_parents: HashSet<RelPath> = HashSet::new();
    let mut conflict = |path: &RelPath, reason| {
        conflicts.push(Conflict { path: path.to_string(), reason });
    };
    for it in items {
        // Folders above: a file (or a link to one) where a folder belongs.
        let mut parent = it.path.parent();
        while let Some(p) = parent {
            if !checked_parents.insert(p.clone()) {
                break;
            }
            if std::fs::metadata(dir.join(p.as_path())).is_ok_and(|m| !m.is_dir()) {
                if force {
                    blockers.push(p.clone());
                } else {
                    conflict(&p, "a file is where a folder belongs");
                }
            }
            parent = p.parent();
        }
        let abs = dir.join(it.path.as_path());
        let Ok(meta) = std::fs::symlink_metadata(&abs) else {
            unchanged.push(false);
            continue;
        };
        let same = match &it.kind {
            EntryKind::File { hash, size, .. } => {
                meta.is_file() && meta.len() == *size && store::hash_file(&abs)? == *hash
            }
            EntryKind::Symlink { target } => {
                meta.file_type().is_symlink()
                    && std::fs::read_link(&abs).is_ok_and(|t| t == *target)
            }
            EntryKind::EmptyDir => meta.is_dir(),
        };
        unchanged.push(same);
        if same {
            continue;
        }
        if meta.is_dir() {
            conflict(&it.path, "a folder is where a file belongs");
        } else if matches!(it.kind, EntryKind::EmptyDir) {
            if force {
                blockers.push(it.path.clone());
            } else {
                conflict(&it.path, "a file is where a folder belongs");
            }
        } else if !force {
            conflict(&it.path, "exists with other content");
        }
    }
    Ok(Plan { unchanged, blockers })
}
