//! One side of a comparison (`mlx metrics diff`, `mlx params diff`): the workspace, or a commit
//! whose files are read from git objects, and whose cached stage outputs are read through
//! `mlx.lock` at that commit and the cache. Only reads; never touches the workspace.

use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::git::{Repo, Revision};
use crate::pipeline::lock::{self, LockFile};
use crate::pipeline::params::FnFiles;
use crate::pipeline::spec::{self, Pipeline};
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::ObjectId;
use crate::store::manifest::EntryKind;

/// What one side of a comparison is, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    /// What was asked for: a revision as typed, or `workspace`.
    pub label: String,
    /// The full commit SHA; absent for the workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// The workspace, or a commit.
pub struct Side<'p> {
    project: &'p Project,
    at: Option<(Repo, Revision)>,
    pub info: SideInfo,
}

/// Why a file's content could not be had on a side (shown as a warning; the value counts as
/// missing).
pub type Unreadable = String;

impl<'p> Side<'p> {
    /// The workspace when `spec` is `None`, else the commit it names (an unknown revision is an
    /// input error).
    pub fn open(project: &'p Project, spec: Option<&str>) -> Result<Self> {
        let Some(spec) = spec else {
            return Ok(Side {
                project,
                at: None,
                info: SideInfo { label: "workspace".into(), commit: None },
            });
        };
        let repo = Repo::open(project.root())?;
        let rev = repo.resolve(spec)?;
        let info = SideInfo { label: spec.to_owned(), commit: Some(rev.commit.clone()) };
        Ok(Side { project, at: Some((repo, rev)), info })
    }

    pub fn label(&self) -> &str {
        &self.info.label
    }

    /// How a file on this side is named in messages: `params.toml`, or `HEAD:params.toml`.
    pub fn shown(&self, path: &ProjectPath) -> String {
        match &self.at {
            None => path.to_string(),
            Some((_, rev)) => format!("{}:{path}", rev.spec),
        }
    }

    /// A file's bytes: from the workspace, or from the commit's tree. `None` when it is not
    /// there (or is a folder).
    pub fn read_file(&self, path: &ProjectPath) -> Result<Option<Vec<u8>>> {
        match &self.at {
            Some((repo, rev)) => Ok(repo.read_file(rev, path)?),
            None => {
                let abs = self.project.root().join(path.as_path());
                match std::fs::read(&abs) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(_) if abs.is_dir() => Ok(None),
                    Err(_) => Ok(Some(fs_err::read(&abs)?)),
                }
            }
        }
    }

    /// The pipeline declared in `mlx.toml` on this side; `None` without one or without stages.
    pub fn pipeline(&self) -> Result<Option<Pipeline>> {
        if self.at.is_none() {
            return Ok(spec::load(self.project.root())?);
        }
        let file = ProjectPath::new(spec::PIPELINE_FILE)?;
        let Some(bytes) = self.read_file(&file)? else { return Ok(None) };
        let text = String::from_utf8_lossy(&bytes);
        // Params files (the default one, `vars`) come from the same commit.
        let files = FnFiles(|path: &ProjectPath| {
            self.read_file(path)
                .map(|bytes| bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
                .map_err(|e| crate::pipeline::Error::Io(std::io::Error::other(e.to_string())))
        });
        Ok(spec::parse_using(Path::new(&self.shown(&file)), &text, &files)?)
    }

    /// `mlx.lock` on this side (empty when there is none).
    pub fn lock(&self) -> Result<LockFile> {
        if self.at.is_none() {
            return Ok(LockFile::read(self.project.root())?);
        }
        let file = ProjectPath::new(lock::FILE)?;
        match self.read_file(&file)? {
            Some(bytes) => Ok(LockFile::parse(&String::from_utf8_lossy(&bytes))?),
            None => Ok(LockFile::default()),
        }
    }

    /// The content of a stage output on this side. In the workspace: the file itself. At a
    /// commit: a cached output (git-ignored) through its hash in `mlx.lock` and the cache; an
    /// uncached one from the commit's tree (each falls back to the other way).
    pub fn read_out(
        &self,
        lock: &LockFile,
        stage: &str,
        path: &ProjectPath,
        cached: bool,
    ) -> Result<std::result::Result<Vec<u8>, Unreadable>> {
        if self.at.is_none() {
            return Ok(self.read_file(path)?.ok_or_else(|| "does not exist".to_owned()));
        }
        if !cached && let Some(bytes) = self.read_file(path)? {
            return Ok(Ok(bytes));
        }
        let locked = lock
            .stages
            .get(stage)
            .and_then(|s| s.outs.iter().find(|o| o.path == path.to_string()))
            .map(|o| (o.hash, o.files.is_some()));
        if let Some((_, true)) = locked {
            return Ok(Err("is a folder in mlx.lock, not a file".into()));
        }
        if let Some((hash, _)) = locked
            && let Some(bytes) = self.read_object(hash)?
        {
            return Ok(Ok(bytes));
        }
        if cached && let Some(bytes) = self.read_file(path)? {
            return Ok(Ok(bytes));
        }
        Ok(Err(match locked {
            Some((hash, _)) if cached => format!(
                "object {} is not in the cache (fetch it with `mlx fetch --rev {}`)",
                &hash.to_string()[..8],
                self.label()
            ),
            None if cached => format!("stage {stage} has no entry for it in mlx.lock"),
            _ => "is not committed to git".to_owned(),
        }))
    }

    /// The content of `path`, a file inside the folder output `folder` of `stage` (a metrics or
    /// plots file the folder stores, see [`crate::pipeline::Out::within`]), or the output
    /// itself when `path` is `folder`. At a commit a cached folder is read through its manifest
    /// (found by the folder's hash in `mlx.lock`) and the cache; an uncached one from the tree.
    pub fn read_within(
        &self,
        lock: &LockFile,
        stage: &str,
        folder: &ProjectPath,
        path: &ProjectPath,
        cached: bool,
    ) -> Result<std::result::Result<Vec<u8>, Unreadable>> {
        if path == folder || self.at.is_none() {
            return self.read_out(lock, stage, path, cached);
        }
        if !cached && let Some(bytes) = self.read_file(path)? {
            return Ok(Ok(bytes));
        }
        let locked = lock
            .stages
            .get(stage)
            .and_then(|s| s.outs.iter().find(|o| o.path == folder.to_string()))
            .map(|o| (o.hash, o.files.is_some()));
        let Some((hash, is_folder)) = locked else {
            if let Some(bytes) = self.read_file(path)? {
                return Ok(Ok(bytes));
            }
            return Ok(Err(format!("stage {stage} has no entry for {folder} in mlx.lock")));
        };
        if !is_folder {
            return Ok(Err(format!("{folder} is a file in mlx.lock, not a folder")));
        }
        let missing = |id: ObjectId| {
            format!(
                "object {} is not in the cache (fetch it with `mlx fetch --rev {}`)",
                &id.to_string()[..8],
                self.label()
            )
        };
        if !self.project.cache().contains(&hash) {
            return Ok(Err(missing(hash)));
        }
        let manifest = crate::work_tree::tracked::manifest_of(self.project, hash)?;
        let inner = path.as_path().strip_prefix(folder.as_path()).expect("path lies in folder");
        let entry = manifest.entries().iter().find(|e| e.path.as_path() == inner);
        match entry.map(|e| &e.kind) {
            Some(EntryKind::File { hash, .. }) => match self.read_object(*hash)? {
                Some(bytes) => Ok(Ok(bytes)),
                None => Ok(Err(missing(*hash))),
            },
            Some(_) => Ok(Err("is not a file there".into())),
            None => Ok(Err(format!("is not in output {folder} there"))),
        }
    }

    /// A cached object's bytes, verified; `None` when the cache does not have it.
    fn read_object(&self, id: ObjectId) -> Result<Option<Vec<u8>>> {
        if !self.project.cache().contains(&id) {
            return Ok(None);
        }
        Ok(Some(self.project.cache().read_verified(&id)?))
    }
}
