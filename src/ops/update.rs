//! `mlx update PATH...`: move data imported with `mlx add --from` to its origin's newer
//! revision: the revision recorded (or `--rev`) is resolved again; when it names another commit
//! the data is downloaded, put in the work tree and the pointer rewritten. Nothing changes when
//! the commit is the same.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use crate::git::fetch::Trust;
use crate::progress::Reporter;
use crate::project::Project;
use crate::registry::import::{self, check_unchanged};
use crate::registry::{self, Registry};
use crate::store::pointer::{self, Pointer};
use crate::store::{self, ObjectId};
use crate::work_tree::tracked::{self, Tracked};

pub struct UpdateOptions {
    pub cwd: PathBuf,
    /// Imported paths (or their pointers).
    pub paths: Vec<PathBuf>,
    /// A new revision to follow (recorded in place of the old one).
    pub rev: Option<String>,
    /// Replace data changed in the work tree since it was imported.
    pub force: bool,
}

#[derive(Debug, Serialize)]
pub struct UpdatedPath {
    pub path: String,
    pub repo: String,
    pub rev: Option<String>,
    pub old_commit: String,
    pub new_commit: String,
    /// The commit changed, so the pointer was rewritten.
    pub updated: bool,
    /// The data itself changed.
    pub data_changed: bool,
    pub hash: ObjectId,
    pub downloaded: u64,
}

#[derive(Debug, Serialize)]
pub struct UpdateReport {
    pub paths: Vec<UpdatedPath>,
    /// Pointers git should now record.
    pub git_paths: Vec<String>,
}

pub fn run(
    project: &Project,
    opts: &UpdateOptions,
    reporter: &dyn Reporter,
) -> Result<UpdateReport> {
    let targets = tracked::resolve_args(project, &opts.cwd, &opts.paths)?;
    let mut imports = Vec::new();
    for target in targets {
        let pointer = Pointer::read(project.root(), &target)?;
        if pointer.origin.is_none() {
            return Err(registry::Error::NotImported { path: target.to_string() }.into());
        }
        imports.push(Tracked { target, pointer });
    }
    let _lock = project.lock(reporter)?;
    let mut conn = project.open_db()?;
    let stat = project.stat_cache(&conn, store::stat_cache::Rows::FilesAndObjects)?;
    let mut report = UpdateReport { paths: Vec::new(), git_paths: Vec::new() };
    let mut outcome = Ok(());
    for t in &imports {
        match update_one(project, t, opts, &stat, reporter) {
            Ok(u) => {
                if u.updated {
                    report.git_paths.push(pointer::pointer_path(&t.target).to_string());
                }
                report.paths.push(u);
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    stat.save(&mut conn)?;
    outcome?;
    Ok(report)
}

fn update_one(
    project: &Project,
    t: &Tracked,
    opts: &UpdateOptions,
    stat: &store::StatCache,
    reporter: &dyn Reporter,
) -> Result<UpdatedPath> {
    let origin = t.pointer.origin.clone().expect("imports have an origin");
    let rev = opts.rev.clone().or_else(|| origin.rev.clone());
    // The origin comes from a committed file: only git's safe transports.
    let registry = Registry::open(&origin.repo, rev.as_deref(), project.root(), Trust::Committed)?;
    let mut out = UpdatedPath {
        path: t.target.to_string(),
        repo: origin.repo.clone(),
        rev: rev.clone(),
        old_commit: origin.commit.clone(),
        new_commit: registry.commit().to_owned(),
        updated: false,
        data_changed: false,
        hash: t.pointer.hash,
        downloaded: 0,
    };
    if registry.commit() == origin.commit && rev == origin.rev {
        return Ok(out);
    }
    check_unchanged(project, t, stat, opts.force, reporter)?;
    let path = crate::project_path::RelPath::new(&origin.path)?;
    let wanted = import::Wanted { registry: &registry, repo: &origin.repo, path: &path, rev };
    let imported = import::import(project, wanted, &t.target, stat, reporter)?;
    out.updated = true;
    out.data_changed = imported.pointer.hash != t.pointer.hash;
    out.hash = imported.pointer.hash;
    out.downloaded = imported.downloaded;
    Ok(out)
}
