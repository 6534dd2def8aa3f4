//! A stage's outputs in the work tree: checked before anything runs (the work tree's gate, no
//! output over tracked data), cleared before the stage runs (stored first when the cache lacks
//! them), restored from the run cache, and stored after it succeeds, with its metrics files read.

use fs_err as fs;

use super::plan::hash_path;
use crate::error::Result;
use crate::pipeline::lock::LockedOut;
use crate::pipeline::{self, OutKind, Stage};
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::pointer::Kind;
use crate::store::{self, StatCache};
use crate::tracking::runs::{self, Point};
use crate::tracking::{RunId, dvclive};
use crate::work_tree::gitignore;

/// Make the outputs recorded in the run cache appear in the workspace. False when an object
/// is missing (then the stage runs).
pub(crate) fn restore_outs(
    project: &Project,
    stat: &StatCache,
    outs: &[LockedOut],
) -> Result<bool> {
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
pub(crate) fn collect_outs(
    project: &Project,
    stat: &StatCache,
    stage: &Stage,
    reporter: &dyn Reporter,
) -> Result<std::result::Result<Vec<LockedOut>, String>> {
    let mut outs = Vec::new();
    for out in stage.stored_outs() {
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
                dvc_md5: None,
            });
        } else {
            let h = hash_path(project, stat, &out.path)?.expect("checked above");
            outs.push(LockedOut {
                path,
                hash: h.hash,
                size: h.size,
                files: h.files,
                cache: false,
                dvc_md5: None,
            });
        }
    }
    Ok(Ok(outs))
}

/// Before a stage runs: its non-persistent outputs go, so a stale file cannot pass for a new
/// one. Content not in the cache is stored first, so nothing is lost.
pub(crate) fn clear_outs(
    project: &Project,
    stat: &StatCache,
    stage: &Stage,
    reporter: &dyn Reporter,
) -> Result<()> {
    for out in stage.stored_outs().filter(|o| !o.persist) {
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
    for out in stage.stored_outs().filter(|o| o.persist) {
        unprotect(project, &project.work_tree().writable(&out.path)?)?;
    }
    // A metrics or plots file that does not persist, inside a folder that does.
    for out in stage.outs.iter().filter(|o| !o.is_stored() && !o.persist) {
        let abs = project.work_tree().writable(&out.path)?;
        match std::fs::symlink_metadata(&abs) {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(&abs)?,
            Ok(_) => fs::remove_file(&abs)?,
            Err(_) => {}
        }
    }
    Ok(())
}

/// A persistent output stays for the stage to update, so it must be the stage's own file: one
/// linked to a cache object (a hardlink, a symlink into the cache, a read-only copy) is replaced
/// by a writable copy first, or the stage would write into the object.
pub(crate) fn unprotect(project: &Project, abs: &std::path::Path) -> Result<()> {
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

/// Log a stage's declared metrics files on its run, and what the DVCLive folders among its
/// outputs hold (histories, summary, params; see [`dvclive`]).
pub(crate) fn log_metric_files(
    project: &Project,
    conn: &mut rusqlite::Connection,
    stage: &Stage,
    run: &RunId,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let now = runs::now_millis();
    let live = live_folders(project, stage);
    let summaries: Vec<ProjectPath> = live
        .iter()
        .map(|d| d.join(&ProjectPath::new("metrics.json").expect("a valid name")))
        .collect();
    for out in stage.outs.iter().filter(|o| o.kind == OutKind::Metrics) {
        if summaries.contains(&out.path) {
            continue;
        }
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
    for dir in &live {
        let abs = project.root().join(dir.as_path());
        problems.extend(dvclive::log(conn, run, &abs, &dir.to_string())?);
    }
    Ok(problems)
}

/// The DVCLive folders a stage wrote: in its folder outputs (or a little below), and the
/// folders of its declared metrics files that are DVCLive summaries.
fn live_folders(project: &Project, stage: &Stage) -> Vec<ProjectPath> {
    let root = project.root();
    let mut found = std::collections::BTreeSet::new();
    let as_project = |abs: &std::path::Path| {
        abs.strip_prefix(root).ok().and_then(|rel| ProjectPath::new(rel).ok())
    };
    for out in stage.stored_outs() {
        let abs = root.join(out.path.as_path());
        if std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_dir()) {
            found.extend(dvclive::find_in(&abs).iter().filter_map(|d| as_project(d)));
        }
    }
    // DVCLive writes into a folder of its own, never the project's top.
    for out in stage.outs.iter().filter(|o| o.kind == OutKind::Metrics) {
        if let Some(dir) = out.path.parent()
            && dvclive::is_summary(&root.join(out.path.as_path()))
        {
            found.insert(dir);
        }
    }
    found.into_iter().collect()
}

/// Before anything runs: every output of the selected stages passes the work tree's gate, and
/// none lies over data that `mlx add` tracks (a pointer at or above it) or, for cached outputs,
/// files that git tracks (running the stage would delete them and keep its own in the cache).
pub(crate) fn check_outs_free<'a>(
    project: &Project,
    stages: impl Iterator<Item = &'a Stage>,
) -> Result<()> {
    let mut cached: Vec<(&Stage, &ProjectPath)> = Vec::new();
    for stage in stages {
        for out in stage.stored_outs() {
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

fn over_tracked(stage: &Stage, path: &ProjectPath, reason: String) -> crate::error::Error {
    pipeline::Error::OutOverTracked { stage: stage.name.clone(), path: path.clone(), reason }.into()
}
