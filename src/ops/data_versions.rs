//! What the `mlx data` operations share: finding one version of a data file (the work tree's
//! file, or the one a commit's pointers or `mlx.lock` name, inside a tracked folder too) and
//! its profile: stored already, else from the remote (a teammate's), else made from the data
//! (fetched from the remote when the cache lacks it) and stored.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, resolve_user_path};
use crate::quality::{self, Profile};
use crate::store::pointer::Kind;
use crate::store::{ObjectId, StatCache, hash};
use crate::work_tree::tracked;

/// One version of a data file.
#[derive(Debug, Clone, Serialize)]
pub struct DataVersion {
    pub path: ProjectPath,
    /// `workspace`, or the revision named.
    pub source: String,
    /// The commit, for a revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub hash: ObjectId,
    pub size: u64,
    /// Where its bytes are: the work tree's file, or `None` for a cache object.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// The version of `arg` (relative to `cwd`) in the work tree, or at `rev`.
pub fn resolve(
    project: &Project,
    cwd: &Path,
    arg: &Path,
    rev: Option<&str>,
    remote: Option<&str>,
    reporter: &dyn Reporter,
) -> Result<DataVersion> {
    let path = resolve_user_path(project.root(), cwd, arg)?;
    let Some(spec) = rev else {
        let file = project.root().join(path.as_path());
        let meta = fs_err::metadata(&file)?;
        if meta.is_dir() {
            return Err(quality::Error::Folder { path: path.to_string() }.into());
        }
        let conn = project.open_db()?;
        let stat = project.stat_cache(&conn, crate::store::stat_cache::Rows::Files)?;
        let stamp = crate::fs_util::FileStamp::of(&meta);
        let id = match stat.lookup(&path, &stamp) {
            Some(id) => id,
            None => {
                let id = hash::hash_file(&file)?;
                stat.record(&path, stamp, id);
                let mut conn = conn;
                let _ = stat.save(&mut conn);
                id
            }
        };
        return Ok(DataVersion {
            path,
            source: "workspace".into(),
            commit: None,
            hash: id,
            size: meta.len(),
            file: Some(file),
        });
    };
    let repo = crate::git::Repo::open(project.root())?;
    let (all, revision) = tracked::load_revision(&repo, spec)?;
    let not_tracked =
        || quality::Error::NotTracked { path: path.to_string(), rev: spec.to_owned() };
    let version = |hash: ObjectId, size: u64| DataVersion {
        path: path.clone(),
        source: spec.to_owned(),
        commit: Some(revision.commit.clone()),
        hash,
        size,
        file: None,
    };
    if let Some(t) = all.iter().find(|t| t.target == path) {
        if t.pointer.kind == Kind::Directory {
            return Err(quality::Error::Folder { path: path.to_string() }.into());
        }
        return Ok(version(t.pointer.hash, t.pointer.size));
    }
    let folder = all
        .iter()
        .find(|t| {
            t.pointer.kind == Kind::Directory && path.as_path().starts_with(t.target.as_path())
        })
        .ok_or_else(not_tracked)?;
    let inner = path.as_path().strip_prefix(folder.target.as_path()).map_err(|_| not_tracked())?;
    let what = format!("{} at {spec}", folder.target);
    transfer::fetch_verified(
        project,
        remote,
        &[Needed { id: folder.pointer.hash, size: None }],
        &what,
        reporter,
    )?;
    let manifest = tracked::manifest_of(project, folder.pointer.hash)?;
    for e in manifest.entries() {
        if e.path.as_path() == inner
            && let crate::store::manifest::EntryKind::File { hash, size, .. } = &e.kind
        {
            return Ok(version(*hash, *size));
        }
    }
    Err(not_tracked().into())
}

/// How a profile was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Stored before.
    Stored,
    /// From the remote, made by another clone.
    Remote,
    /// Made now, from the data.
    Made,
}

/// The profile of `v`: stored, else the remote's, else made (and stored).
pub fn profile_of(
    project: &Project,
    v: &DataVersion,
    remote: Option<&str>,
    reporter: &dyn Reporter,
) -> Result<(Profile, Origin)> {
    let hex = v.hash.to_hex();
    if let Some(p) = quality::store::load(project, &hex)? {
        return Ok((p, Origin::Stored));
    }
    let file = match &v.file {
        Some(f) => f.clone(),
        None => {
            if !project.cache().contains(&v.hash)
                && (remote.is_some() || !project.config().remotes.is_empty())
            {
                let r = transfer::open_remote(project, remote)?;
                if let Ok(bytes) = r.get_named(&quality::store::remote_name(&hex))
                    && let Ok(p) = quality::store::decode(&bytes, Some(&hex))
                {
                    quality::store::save(project, &p)?;
                    return Ok((p, Origin::Remote));
                }
            }
            let what = format!("{} at {}", v.path, v.source);
            transfer::fetch_verified(
                project,
                remote,
                &[Needed { id: v.hash, size: Some(v.size) }],
                &what,
                reporter,
            )?;
            let conn = project.open_db()?;
            let stat = StatCache::load(&conn, crate::store::stat_cache::Rows::FilesAndObjects)?;
            project.cache().verify_before_use(&v.hash, &stat)?;
            project.cache().object_path(&v.hash)
        }
    };
    reporter.start(&format!("profiling {}", v.path), 0);
    let made = quality::profile_file(&file, &v.path.to_string(), &hex, v.size);
    reporter.finish();
    let p = made?;
    quality::store::save(project, &p)?;
    Ok((p, Origin::Made))
}
