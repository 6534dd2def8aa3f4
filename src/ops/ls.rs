//! `mlx ls [PATH] [--rev REV]`: tracked paths with their size, file count and hash; with PATH
//! inside a tracked directory, the files its manifest lists there. With `--rev`, pointers are
//! read from that commit.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use crate::git::Repo;
use crate::project::Project;
use crate::project_path::{ProjectPath, resolve_user_path};
use crate::store::manifest::EntryKind;
use crate::store::pointer::{self, Kind};
use crate::store::{self, ObjectId};
use crate::work_tree::tracked::{self, Source, Tracked};

pub struct LsOptions {
    pub cwd: PathBuf,
    pub path: Option<PathBuf>,
    pub source: Source,
}

#[derive(Debug, Serialize)]
pub struct LsEntry {
    pub path: String,
    /// `file`, `directory` (tracked paths and files inside them), `symlink` or `empty_dir`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<ObjectId>,
    pub size: u64,
    pub files: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symlink_target: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LsReport {
    /// The commit the pointers were read from (`--rev`), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub entries: Vec<LsEntry>,
}

pub fn run(project: &Project, opts: &LsOptions) -> Result<LsReport> {
    let (all, commit) = match &opts.source {
        Source::Workspace => (tracked::load(project, Vec::new())?, None),
        Source::Revision(spec) => {
            let repo = Repo::open(project.root())?;
            let rev = repo.resolve(spec)?;
            (tracked::load_at(&repo, &rev)?, Some(rev.commit))
        }
    };
    let Some(arg) = &opts.path else {
        return Ok(LsReport { commit, entries: all.iter().map(entry_of).collect() });
    };
    let wanted = resolve_user_path(project.root(), &opts.cwd, arg)?;
    let wanted = pointer::target_of(&wanted)
        .filter(|t| all.iter().any(|a| &a.target == t))
        .unwrap_or(wanted);
    // The tracked path that is `wanted` or contains it.
    if let Some(t) = all.iter().find(|t| wanted.starts_with(&t.target)) {
        let entries = list_inside(project, t, &wanted)?;
        return Ok(LsReport { commit, entries });
    }
    // A folder holding tracked paths: list those.
    let entries: Vec<LsEntry> =
        all.iter().filter(|t| t.target.starts_with(&wanted)).map(entry_of).collect();
    if entries.is_empty() {
        return Err(store::Error::NotTracked { path: wanted.as_path().to_path_buf() }.into());
    }
    Ok(LsReport { commit, entries })
}

fn entry_of(t: &Tracked) -> LsEntry {
    LsEntry {
        path: t.target.to_string(),
        kind: t.pointer.kind.as_str(),
        hash: Some(t.pointer.hash),
        size: t.pointer.size,
        files: t.pointer.files,
        symlink_target: None,
    }
}

fn list_inside(project: &Project, t: &Tracked, wanted: &ProjectPath) -> Result<Vec<LsEntry>> {
    if t.pointer.kind == Kind::File {
        return Ok(vec![entry_of(t)]);
    }
    let manifest = tracked::manifest_of(project, t.pointer.hash)?;
    let below = wanted.strip_prefix(&t.target);
    let entries = manifest
        .entries()
        .iter()
        .filter(|e| below.as_ref().is_none_or(|b| e.path.starts_with(b)))
        .map(|e| {
            let path = t.target.join(&e.path).to_string();
            let (kind, hash, size, files, symlink_target) = match &e.kind {
                EntryKind::File { hash, size, .. } => ("file", Some(*hash), *size, 1, None),
                EntryKind::Symlink { target } => {
                    ("symlink", None, 0, 0, Some(target.display().to_string()))
                }
                EntryKind::EmptyDir => ("empty_dir", None, 0, 0, None),
            };
            LsEntry { path, kind, hash, size, files, symlink_target }
        })
        .collect::<Vec<_>>();
    if entries.is_empty() {
        return Err(store::Error::NotFound { path: wanted.as_path().to_path_buf() }.into());
    }
    Ok(entries)
}
