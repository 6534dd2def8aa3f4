//! `mlx add PATH...`: hash files and directories, store their content in the cache once, write
//! `PATH.mlx` pointers and `.gitignore` lines. Unchanged paths are a no-op.
//!
//! Content enters the cache without doubling disk use where the filesystem allows: a reflink
//! clone, or a hardlink of the workspace file itself (which then becomes the read-only object).
//! With `copy` the bytes are copied; small files are read once, hashed from memory and written
//! from the same buffer, large ones are copied first and the copy is hashed, so every object is
//! verified by construction.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use crate::git;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, resolve_user_path};
use crate::store::link::LinkType;
use crate::store::pointer::{self, Kind, Pointer};
use crate::store::stat_cache::Rows;
use crate::store::tree_stamp;
use crate::store::workspace::{self};
use crate::store::{Error, ObjectId, StatCache};
use crate::work_tree::gitignore;
use crate::work_tree::snapshot::snapshot;

pub struct AddOptions {
    /// Folder the paths are relative to (canonical).
    pub cwd: PathBuf,
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct AddedPath {
    pub path: String,
    pub kind: Kind,
    pub hash: ObjectId,
    pub size: u64,
    pub files: u64,
    /// False when the pointer already matched (nothing written).
    pub changed: bool,
    /// Objects this add put into the cache.
    pub new_objects: u64,
    pub pointer: String,
}

#[derive(Debug, Serialize)]
pub struct AddReport {
    pub added: Vec<AddedPath>,
    /// How the workspace copies relate to the cache after this add.
    pub link_type: LinkType,
    /// Files git should now track (pointers and .gitignore files that changed).
    pub git_paths: Vec<String>,
}

/// A folder holding more files than this is worth a question before `mlx add` starts tracking it
/// (when someone at a terminal can answer).
pub const MANY_FILES: u64 = 10_000;

/// A folder `add` would start tracking, and how many files it holds.
#[derive(Debug, Serialize)]
pub struct NewFolder {
    pub path: String,
    pub files: u64,
}

/// The targets of `opts` that are folders not tracked yet holding more than `limit` files
/// (`.mlxignore` applied). Reads nothing but the directory listings; changes nothing.
pub fn large_new_folders(
    project: &Project,
    opts: &AddOptions,
    limit: u64,
) -> Result<Vec<NewFolder>> {
    let mut out = Vec::new();
    for p in &opts.paths {
        let target = resolve_user_path(project.root(), &opts.cwd, p)?;
        let abs = project.root().join(target.as_path());
        let is_dir = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_dir());
        let tracked = project.root().join(pointer::pointer_path(&target).as_path()).is_file();
        if !is_dir || tracked {
            continue;
        }
        let files = workspace::count_files(project.root(), &target)?;
        if files > limit {
            out.push(NewFolder { path: target.to_string(), files });
        }
    }
    Ok(out)
}

pub fn run(project: &Project, opts: &AddOptions, reporter: &dyn Reporter) -> Result<AddReport> {
    let targets = opts
        .paths
        .iter()
        .map(|p| resolve_user_path(project.root(), &opts.cwd, p))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    // Stage outputs are tracked by `mlx run` through mlx.lock; a pointer would fight it. (A
    // broken pipeline definition is reported by the commands that use it, not here.)
    let pipeline = crate::pipeline::spec::load(project.root()).ok().flatten();
    for t in &targets {
        check_target(project, pipeline.as_ref(), t)?;
    }
    let _lock = project.lock(reporter)?;
    let mut conn = project.open_db()?;
    let stat = StatCache::load(&conn, Rows::Files)?;
    let mut added = Vec::new();
    let mut git_paths = Vec::new();
    let mut result = Ok(());
    for target in &targets {
        match add_one(project, target, &stat, reporter) {
            Ok(item) => {
                if item.changed {
                    git_paths.push(item.pointer.clone());
                }
                if let Some(g) = gitignore::add_entry(project.work_tree(), target)?
                    && !git_paths.contains(&g.to_string())
                {
                    git_paths.push(g.to_string());
                }
                added.push(item);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    // Hashes learned so far are worth keeping even if a later path failed.
    stat.save(&mut conn)?;
    result?;
    Ok(AddReport { added, link_type: project.linker().preferred(), git_paths })
}

/// Refuse targets mlx must not track, before touching anything.
fn check_target(
    project: &Project,
    pipeline: Option<&crate::pipeline::spec::Pipeline>,
    target: &ProjectPath,
) -> Result<()> {
    crate::work_tree::check_not_reserved(target)?;
    let abs = project.work_tree().writable(target)?;
    if std::fs::symlink_metadata(&abs).is_err() {
        return Err(Error::NotFound { path: target.as_path().to_path_buf() }.into());
    }
    if let Some(data) = pointer::target_of(target)
        && Pointer::read(project.root(), &data).is_ok()
    {
        return Err(Error::Unsupported {
            path: target.as_path().to_path_buf(),
            what: format!("is an mlx pointer; to record a new version run: mlx add {data}"),
        }
        .into());
    }
    crate::work_tree::check_data_path(target)?;
    let mut ancestor = target.parent();
    while let Some(a) = ancestor {
        if project.root().join(pointer::pointer_path(&a).as_path()).is_file() {
            return Err(Error::InsideTracked {
                path: target.as_path().to_path_buf(),
                parent: a.as_path().to_path_buf(),
            }
            .into());
        }
        ancestor = a.parent();
    }
    if let Some(pipeline) = pipeline {
        for stage in &pipeline.stages {
            if let Some(out) = stage.outs.iter().find(|o| {
                o.path == *target || target.starts_with(&o.path) || o.path.starts_with(target)
            }) {
                return Err(Error::Unsupported {
                    path: target.as_path().to_path_buf(),
                    what: format!(
                        "overlaps {}, an output of stage {}: `mlx run` tracks it in mlx.lock",
                        out.path, stage.name
                    ),
                }
                .into());
            }
        }
    }
    if git::tracked_under(project.root(), target.as_path())?.is_some() {
        return Err(Error::TrackedByGit { path: target.as_path().to_path_buf() }.into());
    }
    Ok(())
}

fn add_one(
    project: &Project,
    target: &ProjectPath,
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<AddedPath> {
    let root = project.root();
    // The tree as it was before it was read: what the stamp record will say it listed.
    let dir = root.join(target.as_path());
    let stamp = std::fs::symlink_metadata(&dir)
        .is_ok_and(|m| m.is_dir())
        .then(|| tree_stamp::take(&dir, root))
        .flatten();
    let (mut pointer, new_objects) = snapshot(project, target, stat, reporter)?;
    if let Some(stamp) = stamp
        && pointer.kind == Kind::Directory
    {
        // Every object is in the cache now, and nothing removes objects while we hold the
        // lock: the shard folders' mtimes from here on vouch for that.
        let shards = tree_stamp::shard_stamps(project.cache().dir());
        let totals = (pointer.files, pointer.size);
        tree_stamp::save(&project.mlx_dir(), &dir, stamp, pointer.hash, totals, &shards, None)?;
    }
    let previous = pointer::Pointer::read(root, target).ok();
    // The same content keeps the MD5 an import from DVC recorded (fetch reads DVC remotes by it).
    if let Some(prev) = &previous
        && prev.kind == pointer.kind
        && prev.hash == pointer.hash
    {
        pointer.dvc_md5.clone_from(&prev.dvc_md5);
    }
    let changed = previous.as_ref() != Some(&pointer);
    if changed {
        crate::fault::point("add.pointer");
        pointer.write(root, target)?;
    }
    Ok(AddedPath {
        path: target.to_string(),
        kind: pointer.kind,
        hash: pointer.hash,
        size: pointer.size,
        files: pointer.files,
        changed,
        new_objects,
        pointer: pointer::pointer_path(target).to_string(),
    })
}
