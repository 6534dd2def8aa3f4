//! `mlx ls [PATH]`: tracked paths with their size, file count and hash; with PATH inside a
//! tracked directory, the files its manifest lists there.

use std::path::PathBuf;

use serde::Serialize;

use super::{Result, tracked};
use crate::project::Project;
use crate::project_path::{ProjectPath, resolve_user_path};
use crate::store::manifest::EntryKind;
use crate::store::pointer::{self, Kind};
use crate::store::{self, ObjectId};

pub struct LsOptions {
    pub cwd: PathBuf,
    pub path: Option<PathBuf>,
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
    pub entries: Vec<LsEntry>,
}

pub fn run(project: &Project, opts: &LsOptions) -> Result<LsReport> {
    let Some(arg) = &opts.path else {
        let entries = tracked::load(project, Vec::new())?.into_iter().map(entry_of).collect();
        return Ok(LsReport { entries });
    };
    let wanted = resolve_user_path(project.root(), &opts.cwd, arg)?;
    let wanted = pointer::target_of(&wanted)
        .filter(|t| project.root().join(pointer::pointer_path(t).as_path()).is_file())
        .unwrap_or(wanted);
    // The tracked path that is `wanted` or contains it.
    let mut candidate = Some(wanted.clone());
    while let Some(c) = candidate {
        if project.root().join(pointer::pointer_path(&c).as_path()).is_file() {
            return list_inside(project, c, &wanted);
        }
        candidate = c.parent();
    }
    // A folder holding tracked paths: list those.
    let entries: Vec<LsEntry> = tracked::load(project, Vec::new())?
        .into_iter()
        .filter(|t| t.target.starts_with(&wanted))
        .map(entry_of)
        .collect();
    if entries.is_empty() {
        return Err(store::Error::NotTracked { path: wanted.as_path().to_path_buf() }.into());
    }
    Ok(LsReport { entries })
}

fn entry_of(t: tracked::Tracked) -> LsEntry {
    LsEntry {
        path: t.target.to_string(),
        kind: t.pointer.kind.as_str(),
        hash: Some(t.pointer.hash),
        size: t.pointer.size,
        files: t.pointer.files,
        symlink_target: None,
    }
}

fn list_inside(project: &Project, target: ProjectPath, wanted: &ProjectPath) -> Result<LsReport> {
    let t = tracked::load(project, vec![target.clone()])?.remove(0);
    if t.pointer.kind == Kind::File || &target != wanted && !wanted.starts_with(&target) {
        return Ok(LsReport { entries: vec![entry_of(t)] });
    }
    let manifest = tracked::manifest_of(project, t.pointer.hash)?;
    let below = wanted.strip_prefix(&target);
    let entries = manifest
        .entries()
        .iter()
        .filter(|e| below.as_ref().is_none_or(|b| e.path.starts_with(b)))
        .map(|e| {
            let path = target.join(&e.path).to_string();
            match &e.kind {
                EntryKind::File { hash, size, .. } => LsEntry {
                    path,
                    kind: "file",
                    hash: Some(*hash),
                    size: *size,
                    files: 1,
                    symlink_target: None,
                },
                EntryKind::Symlink { target } => LsEntry {
                    path,
                    kind: "symlink",
                    hash: None,
                    size: 0,
                    files: 0,
                    symlink_target: Some(target.display().to_string()),
                },
                EntryKind::EmptyDir => LsEntry {
                    path,
                    kind: "empty_dir",
                    hash: None,
                    size: 0,
                    files: 0,
                    symlink_target: None,
                },
            }
        })
        .collect::<Vec<_>>();
    if entries.is_empty() {
        return Err(store::Error::NotFound { path: wanted.as_path().to_path_buf() }.into());
    }
    Ok(LsReport { entries })
}
