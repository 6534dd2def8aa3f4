//! Finding tracked paths: every `*.mlx` pointer in the work tree (git-ignored folders, `.git`
//! and `.mlx` skipped, so data folders are never walked), and turning user arguments into them.

use std::path::{Path, PathBuf};

use super::check_data_path;
use crate::error::Result;
use crate::git::{Repo, Revision};
use crate::pipeline::Pipeline;
use crate::pipeline::lock::LockFile;
use crate::project::{MLX_DIR, Project};
use crate::project_path::{ProjectPath, RelPath, resolve_user_path};
use crate::store::pointer::{self, Pointer};
use crate::store::{self, ObjectId, manifest::Manifest};

/// A tracked path with its pointer.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub target: ProjectPath,
    pub pointer: Pointer,
}

/// The targets of all pointer files in the work tree, sorted. Submodules and other nested git
/// repositories (a folder holding a `.git` file or folder) are not entered: their pointers
/// belong to their own project.
pub fn find_targets(root: &Path) -> Result<Vec<ProjectPath>> {
    let mut walker = ignore::WalkBuilder::new(root);
    walker
        .standard_filters(false)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            if e.depth() == 1 && (e.file_name() == ".git" || e.file_name() == MLX_DIR) {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && std::fs::symlink_metadata(e.path().join(".git")).is_ok())
        });
    let mut out = Vec::new();
    for entry in walker.build() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if !entry.file_name().as_encoded_bytes().ends_with(b".mlx") {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else { continue };
        if let Some(target) = RelPath::new(rel).ok().and_then(|p| pointer::target_of(&p)) {
            out.push(target);
        }
    }
    out.sort();
    Ok(out)
}

/// Turn command-line paths (data paths or their `.mlx` pointers) into tracked targets.
pub fn resolve_args(project: &Project, cwd: &Path, args: &[PathBuf]) -> Result<Vec<ProjectPath>> {
    let mut out = Vec::new();
    for arg in args {
        let p = resolve_user_path(project.root(), cwd, arg)?;
        let target = match pointer::target_of(&p) {
            Some(t) if !project.root().join(p.as_path()).is_dir() => t,
            _ => p,
        };
        if !project.root().join(pointer::pointer_path(&target).as_path()).is_file() {
            return Err(store::Error::NotTracked { path: target.as_path().to_path_buf() }.into());
        }
        if !out.contains(&target) {
            out.push(target);
        }
    }
    Ok(out)
}

/// Load pointers for `targets`, or for every tracked path when `targets` is empty.
pub fn load(project: &Project, targets: Vec<ProjectPath>) -> Result<Vec<Tracked>> {
    let targets = if targets.is_empty() { find_targets(project.root())? } else { targets };
    targets
        .into_iter()
        .map(|target| {
            check_data_path(&target)?;
            let pointer = Pointer::read(project.root(), &target)?;
            Ok(Tracked { target, pointer })
        })
        .collect()
}

/// The stored manifest of a directory pointer.
pub fn manifest_of(project: &Project, id: ObjectId) -> Result<Manifest> {
    let bytes = project.cache().read_verified(&id)?;
    Ok(Manifest::decode(id, &bytes)?)
}

/// Where pointers are read from: the work tree, or a commit's tree (never the work tree).
#[derive(Debug, Clone, Default)]
pub enum Source {
    #[default]
    Workspace,
    Revision(String),
}

/// Every tracked path recorded at `rev`, read from git objects. A pointer whose data would
/// land where git or mlx keep their own files is an error.
pub fn load_at(repo: &Repo, rev: &Revision) -> Result<Vec<Tracked>> {
    load_at_checked(repo, rev, true)
}

/// [`load_at`]; with `strict` false, pointers naming a path mlx never writes are left out
/// instead (scanning history for objects to keep or send never writes their data).
fn load_at_checked(repo: &Repo, rev: &Revision, strict: bool) -> Result<Vec<Tracked>> {
    let mut out = Vec::new();
    for file in repo.files_ending_with(rev, b".mlx")? {
        let Some(target) = pointer::target_of(&file.path) else { continue };
        if let Err(e) = check_data_path(&target) {
            if strict {
                return Err(e.into());
            }
            continue;
        }
        let shown = PathBuf::from(format!("{}:{}", rev.short(), file.path));
        let text = String::from_utf8(file.content).map_err(|_| store::Error::BadPointer {
            file: shown.clone(),
            line: 1,
            column: 1,
            message: "not UTF-8 text".into(),
        })?;
        out.push(Tracked { target, pointer: Pointer::decode(&shown, &text)? });
    }
    out.sort_by(|a, b| a.target.cmp(&b.target));
    Ok(out)
}

/// Tracked paths from `source` — pointers, plus the cached stage outputs `mlx.lock` records —
/// limited to the command-line `args` (data paths or pointers) when there are any. An argument
/// that is not tracked there is an error.
pub fn load_source(
    project: &Project,
    source: &Source,
    cwd: &Path,
    args: &[PathBuf],
) -> Result<(Vec<Tracked>, Option<Revision>)> {
    match source {
        Source::Workspace => {
            let lock = LockFile::read(project.root())?;
            let pipeline = if lock.stages.is_empty() {
                None
            } else {
                crate::pipeline::spec::load(project.root())?
            };
            let all = with_lock_outs(load(project, Vec::new())?, &lock, pipeline.as_ref());
            Ok((pick(project, cwd, all, args)?, None))
        }
        Source::Revision(spec) => {
            let repo = Repo::open(project.root())?;
            let (all, rev) = load_revision(&repo, spec)?;
            Ok((pick(project, cwd, all, args)?, Some(rev)))
        }
    }
}

/// [`load_source`] for several commits at once (one repository opened for all of them): the
/// tracked paths of each, in order, limited to `args` when given.
pub fn load_revisions(
    project: &Project,
    specs: &[String],
    cwd: &Path,
    args: &[PathBuf],
) -> Result<Vec<Tracked>> {
    let repo = Repo::open(project.root())?;
    let mut out = Vec::new();
    for spec in specs {
        out.extend(pick(project, cwd, load_revision(&repo, spec)?.0, args)?);
    }
    Ok(out)
}

/// Pointers and cached `mlx.lock` outputs of one commit (an unreadable `mlx.lock`, or an
/// `mlx.toml` that does not parse beside a lock with stages, is an error).
pub fn load_revision(repo: &Repo, spec: &str) -> Result<(Vec<Tracked>, Revision)> {
    let rev = repo.resolve(spec)?;
    let (lock, pipeline) = lock_at(repo, &rev)?;
    Ok((with_lock_outs(load_at(repo, &rev)?, &lock, pipeline.as_ref()), rev))
}

/// The `mlx.lock` of a commit and the pipeline its `mlx.toml` declares (read only when the lock
/// has stages).
fn lock_at(repo: &Repo, rev: &Revision) -> Result<(LockFile, Option<Pipeline>)> {
    let lock = match repo.read_file(rev, &RelPath::new(crate::pipeline::lock::FILE)?)? {
        Some(bytes) => LockFile::parse(&String::from_utf8_lossy(&bytes))?,
        None => LockFile::default(),
    };
    if lock.stages.is_empty() {
        return Ok((lock, None));
    }
    let pipeline = match repo.read_file(rev, &RelPath::new(crate::config::PROJECT_FILE)?)? {
        Some(bytes) => {
            let shown = PathBuf::from(format!("{}:{}", rev.short(), crate::config::PROJECT_FILE));
            // Params files (the default one, `vars`) come from the same commit.
            let files = crate::pipeline::params::FnFiles(|path: &ProjectPath| {
                repo.read_file(rev, path)
                    .map(|bytes| bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
                    .map_err(|e| crate::pipeline::Error::Io(std::io::Error::other(e.to_string())))
            });
            crate::pipeline::spec::parse_using(&shown, &String::from_utf8_lossy(&bytes), &files)?
        }
        None => None,
    };
    Ok((lock, pipeline))
}

/// Pointers and `mlx.lock` outputs of a commit met while scanning history: pointers naming a
/// path mlx never writes, and a lock or `mlx.toml` that does not parse, are left out.
pub fn load_history_commit(repo: &Repo, rev: &Revision) -> Result<Vec<Tracked>> {
    let mut out = load_at_checked(repo, rev, false)?;
    if let Ok((lock, pipeline)) = lock_at(repo, rev) {
        out.extend(lock_outs(&lock, pipeline.as_ref()));
    }
    Ok(out)
}

/// `all` plus the lock file's cached outputs that no pointer already tracks.
fn with_lock_outs(
    mut all: Vec<Tracked>,
    lock: &LockFile,
    pipeline: Option<&Pipeline>,
) -> Vec<Tracked> {
    for t in lock_outs(lock, pipeline) {
        if !all.iter().any(|a| a.target == t.target) {
            all.push(t);
        }
    }
    all
}

/// The tracked paths the user named (`args`, relative to `cwd`), each once; all when none.
fn pick(
    project: &Project,
    cwd: &Path,
    all: Vec<Tracked>,
    args: &[PathBuf],
) -> Result<Vec<Tracked>> {
    if args.is_empty() {
        return Ok(all);
    }
    let mut picked: Vec<Tracked> = Vec::new();
    for arg in args {
        let p = resolve_user_path(project.root(), cwd, arg)?;
        let found = all
            .iter()
            .find(|t| t.target == p || pointer::target_of(&p).as_ref() == Some(&t.target))
            .ok_or_else(|| store::Error::NotTracked { path: p.as_path().to_path_buf() })?;
        if !picked.iter().any(|t| t.target == found.target) {
            picked.push(found.clone());
        }
    }
    Ok(picked)
}

/// The cached stage outputs a lock file records, as tracked paths (directories expand through
/// their manifests like pointers do). Only what `pipeline` (the `mlx.toml` beside the lock)
/// declares counts: a lock entry of a stage it does not declare, or an output its stage does not
/// list as cached, is never restored. Declared outputs passed `mlx.toml`'s checks, so none names a
/// path git or mlx own.
fn lock_outs(lock: &LockFile, pipeline: Option<&Pipeline>) -> Vec<Tracked> {
    let Some(pipeline) = pipeline else { return Vec::new() };
    lock.stages
        .iter()
        .filter_map(|(name, s)| {
            let stage = pipeline.stages.iter().find(|st| st.name.as_str() == name.as_str())?;
            Some(s.outs.iter().map(move |o| (stage, o)))
        })
        .flatten()
        .filter(|(_, o)| o.cache)
        .filter_map(|(stage, o)| {
            let target = RelPath::new(&o.path).ok()?;
            stage.stored_outs().find(|d| d.path == target && d.cache)?;
            let kind =
                if o.files.is_some() { pointer::Kind::Directory } else { pointer::Kind::File };
            let mut pointer = Pointer::new(kind, o.hash, o.size, o.files.unwrap_or(1));
            pointer.dvc_md5.clone_from(&o.dvc_md5);
            Some(Tracked { target, pointer })
        })
        .collect()
}
