//! `mlx add --from REPO PATH`: track data of another mlx repository (a data registry) in this
//! project, with its origin (the repository, the path, the revision as given and the commit it
//! resolved to) recorded in the pointer; `mlx update` later moves it to a newer revision.

use std::path::Path;

use serde::Serialize;

use super::Result;
use crate::git::fetch::Trust;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{RelPath, resolve_user_path};
use crate::registry::import::{self, recorded_repo};
use crate::registry::place::Destination;
use crate::registry::{self, Registry};
use crate::store::pointer::{self, Kind, Pointer};
use crate::store::{self, ObjectId};
use crate::work_tree::gitignore;

pub type AddFromOptions = crate::registry::Request;

#[derive(Debug, Serialize)]
pub struct AddFromReport {
    pub path: String,
    pub kind: Kind,
    pub hash: ObjectId,
    pub size: u64,
    pub files: u64,
    pub pointer: String,
    /// The origin, as recorded.
    pub repo: String,
    pub repo_path: String,
    pub rev: Option<String>,
    pub commit: String,
    /// Objects downloaded from the registry's remote.
    pub downloaded: u64,
    /// Files git should now track (the pointer, and a `.gitignore` that changed).
    pub git_paths: Vec<String>,
}

pub fn run(
    project: &Project,
    opts: &AddFromOptions,
    reporter: &dyn Reporter,
) -> Result<AddFromReport> {
    let path = RelPath::new(&opts.path)?;
    let name = pointer::target_of(&path).unwrap_or_else(|| path.clone());
    let out = Destination::for_name(&opts.cwd, opts.out.as_deref(), Path::new(name.file_name()));
    let target = resolve_user_path(project.root(), &opts.cwd, &out)?;
    check_target(project, &target, opts.force)?;
    let repo = recorded_repo(&opts.repo, project.root(), &opts.cwd);
    let registry = Registry::open(&opts.repo, opts.rev.as_deref(), &opts.cwd, Trust::User)?;
    let _lock = project.lock(reporter)?;
    let mut conn = project.open_db()?;
    let stat = project.stat_cache(&conn, store::stat_cache::Rows::FilesAndObjects)?;
    let wanted =
        import::Wanted { registry: &registry, repo: &repo, path: &path, rev: opts.rev.clone() };
    let outcome = import::import(project, wanted, &target, &stat, reporter);
    stat.save(&mut conn)?;
    let imported = outcome?;
    let pointer_file = pointer::pointer_path(&target).to_string();
    let mut git_paths = vec![pointer_file.clone()];
    if let Some(g) = gitignore::add_entry(project.work_tree(), &target)? {
        git_paths.push(g.to_string());
    }
    let p = imported.pointer;
    let origin = p.origin.clone().expect("an import records its origin");
    Ok(AddFromReport {
        path: target.to_string(),
        kind: p.kind,
        hash: p.hash,
        size: p.size,
        files: p.files,
        pointer: pointer_file,
        repo: origin.repo,
        repo_path: origin.path,
        rev: origin.rev,
        commit: origin.commit,
        downloaded: imported.downloaded,
        git_paths,
    })
}

/// Refuse a destination mlx must not track, or one already holding something (unless `force`).
fn check_target(project: &Project, target: &RelPath, force: bool) -> Result<()> {
    crate::work_tree::check_data_path(target)?;
    let abs = project.work_tree().writable(target)?;
    if Pointer::read(project.root(), target).is_ok() {
        return Err(store::Error::Unsupported {
            path: target.as_path().to_path_buf(),
            what: format!(
                "is tracked already; move it to a newer revision with: mlx update {target}"
            ),
        }
        .into());
    }
    if std::fs::symlink_metadata(&abs).is_ok() && !force {
        return Err(registry::Error::Exists { path: target.to_string() }.into());
    }
    let mut ancestor = target.parent();
    while let Some(a) = ancestor {
        if project.root().join(pointer::pointer_path(&a).as_path()).is_file() {
            return Err(store::Error::InsideTracked {
                path: target.as_path().to_path_buf(),
                parent: a.as_path().to_path_buf(),
            }
            .into());
        }
        ancestor = a.parent();
    }
    if crate::git::tracked_under(project.root(), target.as_path())?.is_some() {
        return Err(store::Error::TrackedByGit { path: target.as_path().to_path_buf() }.into());
    }
    Ok(())
}
