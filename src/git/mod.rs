//! Everything mlx asks of git, through git2 (the only user of it): finding the enclosing
//! repository, resolving revisions, reading pointer files from commits (never from the work
//! tree), listing refs and history, and the hooks folder and local config. Linked worktrees for
//! experiment workspaces are made by the `git` program itself (`worktree`), which libgit2 cannot
//! make detached, and so is the commit of an experiment's resulting state (`snapshot`); `trees`
//! reads commits path by path for `mlx exp apply` and `mlx exp branch`.

pub mod fetch;
pub mod hooks;
pub(crate) mod program;
pub mod snapshot;
pub mod tags;
pub mod trees;
pub mod worktree;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::project_path::RelPath;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path} is not inside a git repository")]
    NotARepository { path: PathBuf },
    #[error("{path} is a bare git repository; mlx needs a work tree")]
    Bare { path: PathBuf },
    #[error("unknown revision {spec:?}: git knows no commit, branch or tag by that name")]
    UnknownRevision { spec: String },
    #[error("this repository has no commits yet, so there is no revision {spec:?} to read")]
    NoCommits { spec: String },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// The `git` program failed (or could not be started).
    #[error("git {args}: {message}")]
    Program { args: String, message: String },
}

impl Error {
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Git(_) | Error::Program { .. })
    }
}

/// The canonical work-tree root of the git repository enclosing `start`.
pub fn discover_workdir(start: &Path) -> Result<PathBuf, Error> {
    let repo = git2::Repository::discover(start).map_err(|e| match e.code() {
        git2::ErrorCode::NotFound => Error::NotARepository { path: start.to_path_buf() },
        _ => Error::Git(e),
    })?;
    let workdir = repo.workdir().ok_or_else(|| Error::Bare { path: repo.path().to_path_buf() })?;
    Ok(workdir.canonicalize().unwrap_or_else(|_| workdir.to_path_buf()))
}

/// The first path in git's index at or below `rel` (project-relative), if any.
pub fn tracked_under(root: &Path, rel: &Path) -> Result<Option<PathBuf>, Error> {
    Ok(tracked_under_any(root, &[rel])?.map(|(_, file)| file))
}

/// For the first of `rels` that git's index holds a path at or below: that `rel`'s index in
/// `rels` and the path. The index is read once.
pub fn tracked_under_any(root: &Path, rels: &[&Path]) -> Result<Option<(usize, PathBuf)>, Error> {
    if rels.is_empty() {
        return Ok(None);
    }
    let repo = git2::Repository::open(root)?;
    let index = repo.index()?;
    for entry in index.iter() {
        let p = entry.path.as_slice();
        for (i, rel) in rels.iter().enumerate() {
            let want = rel.as_os_str().as_bytes();
            if p == want || (p.starts_with(want) && p.get(want.len()) == Some(&b'/')) {
                return Ok(Some((i, PathBuf::from(std::ffi::OsStr::from_bytes(p)))));
            }
        }
    }
    Ok(None)
}

/// Which of `paths` (project-relative files) are in git's index: only those can be recorded with
/// `git add` once deleted.
pub fn in_index(root: &Path, paths: &[&Path]) -> Result<Vec<bool>, Error> {
    let repo = git2::Repository::open(root)?;
    let index = repo.index()?;
    Ok(paths.iter().map(|p| index.get_path(p, 0).is_some()).collect())
}

/// A resolved commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Revision {
    /// What the user typed (`HEAD`, `main~3`, `v1.0`), or a description for listed commits.
    pub spec: String,
    /// Full commit SHA, 40 hex digits.
    pub commit: String,
    tree: git2::Oid,
}

impl Revision {
    /// The first 8 digits of the commit, for messages.
    pub fn short(&self) -> &str {
        &self.commit[..8.min(self.commit.len())]
    }
}

/// A file read from a commit: its path, bytes and blob id (equal ids mean equal content).
pub struct BlobFile {
    pub path: RelPath,
    pub content: Vec<u8>,
    pub blob: String,
}

pub struct Repo {
    inner: git2::Repository,
}

/// How a work-tree file differs from what git has (see [`Repo::uncommitted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Uncommitted {
    /// Git does not know the file at all.
    Untracked,
    /// Git has another version of it.
    Changed,
}

/// Where the work tree stands, for run records.
#[derive(Debug, Clone, Default)]
pub struct HeadState {
    /// `None` before the first commit.
    pub commit: Option<String>,
    /// `None` on a detached HEAD.
    pub branch: Option<String>,
    pub dirty: bool,
    pub diff_hash: Option<String>,
}

impl Repo {
    pub fn open(root: &Path) -> Result<Self, Error> {
        Ok(Repo { inner: git2::Repository::open(root)? })
    }

    /// Resolve anything git accepts as a commit-ish.
    pub fn resolve(&self, spec: &str) -> Result<Revision, Error> {
        let object = self.inner.revparse_single(spec).map_err(|e| {
            if self.has_no_commits() {
                Error::NoCommits { spec: spec.to_owned() }
            } else if matches!(e.code(), git2::ErrorCode::NotFound | git2::ErrorCode::Ambiguous)
                || e.class() == git2::ErrorClass::Reference
            {
                Error::UnknownRevision { spec: spec.to_owned() }
            } else {
                Error::Git(e)
            }
        })?;
        let commit = object
            .peel_to_commit()
            .map_err(|_| Error::UnknownRevision { spec: spec.to_owned() })?;
        Ok(Revision {
            spec: spec.to_owned(),
            commit: commit.id().to_string(),
            tree: commit.tree_id(),
        })
    }

    /// True in a fresh repository: HEAD names a branch with no commit yet and no other
    /// reference exists. (`git2::Repository::is_empty` only recognises the unborn default
    /// branch, so `git init -b main` with `init.defaultBranch` unset would not count.)
    fn has_no_commits(&self) -> bool {
        let unborn =
            matches!(self.inner.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch);
        unborn && self.inner.references().is_ok_and(|mut refs| refs.next().is_none())
    }

    fn revision_of(&self, spec: String, oid: git2::Oid) -> Result<Revision, Error> {
        let commit = self.inner.find_commit(oid)?;
        Ok(Revision { spec, commit: oid.to_string(), tree: commit.tree_id() })
    }

    /// Every blob at `rev` whose file name ends with `suffix` (submodules are not entered).
    pub fn files_ending_with(&self, rev: &Revision, suffix: &[u8]) -> Result<Vec<BlobFile>, Error> {
        let tree = self.inner.find_tree(rev.tree)?;
        let mut found = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) && entry.name_bytes().ends_with(suffix)
            {
                let mut path = dir.as_bytes().to_vec();
                path.extend_from_slice(entry.name_bytes());
                found.push((path, entry.id()));
            }
            git2::TreeWalkResult::Ok
        })?;
        let mut out = Vec::with_capacity(found.len());
        for (path, oid) in found {
            let Ok(path) = RelPath::from_bytes(&path) else { continue };
            let blob = self.inner.find_blob(oid)?;
            out.push(BlobFile { path, content: blob.content().to_vec(), blob: oid.to_string() });
        }
        Ok(out)
    }

    /// Which of the work-tree files `paths` git would not hand to a clone as they are: compared
    /// with HEAD's commit, or with the index when `against_index` (what a commit being made now
    /// takes). Files that do not exist are left out.
    pub fn uncommitted(
        &self,
        root: &Path,
        paths: &[RelPath],
        against_index: bool,
    ) -> Result<Vec<(RelPath, Uncommitted)>, Error> {
        let index = self.inner.index()?;
        let head_tree = match self.inner.head().and_then(|h| h.peel_to_tree()) {
            Ok(tree) => Some(tree),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                None
            }
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for path in paths {
            let Ok(file) = git2::Oid::hash_file(git2::ObjectType::Blob, root.join(path.as_path()))
            else {
                continue;
            };
            let in_index = index.get_path(path.as_path(), 0).map(|e| e.id);
            let in_head =
                head_tree.as_ref().and_then(|t| t.get_path(path.as_path()).ok()).map(|e| e.id());
            let known = if against_index { in_index } else { in_head };
            let state = match known {
                Some(id) if id == file => continue,
                Some(_) => Uncommitted::Changed,
                None if in_index.is_none() && in_head.is_none() => Uncommitted::Untracked,
                None => Uncommitted::Changed,
            };
            out.push((path.clone(), state));
        }
        Ok(out)
    }

    /// One file's bytes at `rev`, or `None` when the commit has no such file.
    pub fn read_file(&self, rev: &Revision, path: &RelPath) -> Result<Option<Vec<u8>>, Error> {
        let tree = self.inner.find_tree(rev.tree)?;
        let entry = match tree.get_path(path.as_path()) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match entry.to_object(&self.inner)?.into_blob() {
            Ok(blob) => Ok(Some(blob.content().to_vec())),
            Err(_) => Ok(None),
        }
    }

    /// The commits at the tips of local branches and/or tags; with `remote_branches`, of
    /// remote-tracking branches (`refs/remotes/*`) too when branches are asked for.
    pub fn ref_tips(
        &self,
        branches: bool,
        tags: bool,
        remote_branches: bool,
    ) -> Result<Vec<Revision>, Error> {
        let mut out = Vec::new();
        for reference in self.inner.references()? {
            let reference = reference?;
            let wanted = (branches && reference.is_branch())
                || (branches && remote_branches && reference.is_remote())
                || (tags && reference.is_tag());
            if !wanted {
                continue;
            }
            let name = reference.shorthand().unwrap_or("?").to_owned();
            if let Ok(commit) = reference.peel_to_commit() {
                out.push(self.revision_of(name, commit.id())?);
            }
        }
        Ok(out)
    }

    /// Every commit reachable from any branch, tag or HEAD; with `remote_branches`, from
    /// remote-tracking branches (`refs/remotes/*`) too.
    pub fn all_commits(&self, remote_branches: bool) -> Result<Vec<Revision>, Error> {
        if self.has_no_commits() {
            return Ok(Vec::new());
        }
        let mut walk = self.inner.revwalk()?;
        walk.push_glob("refs/heads/*")?;
        walk.push_glob("refs/tags/*")?;
        if remote_branches {
            walk.push_glob("refs/remotes/*")?;
        }
        if let Ok(head) = self.inner.head()
            && let Some(oid) = head.target()
        {
            walk.push(oid)?;
        }
        let mut out = Vec::new();
        for oid in walk {
            let oid = oid?;
            out.push(self.revision_of(oid.to_string(), oid)?);
        }
        Ok(out)
    }

    /// Up to `limit` first-parent ancestors of `rev`, nearest first (not `rev` itself): full
    /// SHAs.
    pub fn first_parent_ancestors(
        &self,
        rev: &Revision,
        limit: usize,
    ) -> Result<Vec<String>, Error> {
        let mut walk = self.inner.revwalk()?;
        walk.push(git2::Oid::from_str(&rev.commit)?)?;
        walk.simplify_first_parent()?;
        let mut out = Vec::new();
        for oid in walk.skip(1).take(limit) {
            out.push(oid?.to_string());
        }
        Ok(out)
    }

    /// Commits reachable from `tip` but not from `exclude` (SHAs this repository may not have:
    /// those are skipped) nor from the remote-tracking branches of `remote`: what a `git push`
    /// of `tip` sends. Newest first.
    pub fn commits_to_push(
        &self,
        tip: &str,
        exclude: &[String],
        remote: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        let mut walk = self.inner.revwalk()?;
        walk.push(git2::Oid::from_str(tip)?)?;
        for sha in exclude {
            if let Ok(oid) = git2::Oid::from_str(sha)
                && self.inner.find_commit(oid).is_ok()
            {
                walk.hide(oid)?;
            }
        }
        if let Some(remote) = remote {
            // A remote named by URL has no tracking branches: nothing to hide.
            let _ = walk.hide_glob(&format!("refs/remotes/{remote}/*"));
        }
        let mut out = Vec::new();
        for oid in walk {
            out.push(oid?.to_string());
        }
        Ok(out)
    }

    /// The folder git runs hooks from: `core.hooksPath` if set, else `.git/hooks` (shared by
    /// all worktrees).
    pub fn hooks_dir(&self, root: &Path) -> Result<PathBuf, Error> {
        let config = self.inner.config()?;
        match config.get_path("core.hooksPath") {
            Ok(p) if p.is_absolute() => Ok(p),
            Ok(p) => Ok(root.join(p)),
            Err(_) => Ok(self.inner.commondir().join("hooks")),
        }
    }

    /// For a linked worktree (`git worktree add`), the main work tree's root.
    pub fn main_worktree(&self) -> Option<PathBuf> {
        if !self.inner.is_worktree() {
            return None;
        }
        let common = self.inner.commondir();
        let common = common.canonicalize().unwrap_or_else(|_| common.to_path_buf());
        (common.file_name()? == ".git").then(|| common.parent().map(Path::to_path_buf)).flatten()
    }

    /// HEAD's commit and branch, and whether tracked files differ from it (untracked files do
    /// not count), with a BLAKE3 hash of the uncommitted diff when they do.
    pub fn head_state(&self) -> Result<HeadState, Error> {
        let head = self.inner.head().ok();
        let commit = head.as_ref().and_then(|h| h.peel_to_commit().ok());
        let branch = match &head {
            Some(h) if h.is_branch() => h.shorthand().ok().map(str::to_owned),
            Some(_) => None,
            // No commits yet: HEAD names the branch that will be born.
            None => self
                .inner
                .find_reference("HEAD")
                .ok()
                .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_owned))
                .map(|t| t.trim_start_matches("refs/heads/").to_owned()),
        };
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(false).include_ignored(false).exclude_submodules(true);
        let dirty = !self.inner.statuses(Some(&mut opts))?.is_empty();
        let diff_hash = if dirty {
            let tree = commit.as_ref().and_then(|c| c.tree().ok());
            let diff = self.inner.diff_tree_to_workdir_with_index(tree.as_ref(), None)?;
            let mut hasher = blake3::Hasher::new();
            diff.print(git2::DiffFormat::Patch, |_, _, line| {
                hasher.update(&[line.origin() as u8]);
                hasher.update(line.content());
                true
            })?;
            Some(hasher.finalize().to_hex().to_string())
        } else {
            None
        };
        Ok(HeadState { commit: commit.map(|c| c.id().to_string()), branch, dirty, diff_hash })
    }

    /// Set a key in the repository's local config (`.git/config`).
    pub fn set_local_config(&self, key: &str, value: &str) -> Result<(), Error> {
        let mut config = self.inner.config()?.open_level(git2::ConfigLevel::Local)?;
        config.set_str(key, value)?;
        Ok(())
    }

    /// Remove a key from the local config; absent keys are fine.
    pub fn remove_local_config(&self, key: &str) -> Result<(), Error> {
        let mut config = self.inner.config()?.open_level(git2::ConfigLevel::Local)?;
        match config.remove(key) {
            Err(e) if e.code() != git2::ErrorCode::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    pub fn local_config(&self, key: &str) -> Option<String> {
        self.inner.config().ok()?.open_level(git2::ConfigLevel::Local).ok()?.get_string(key).ok()
    }
}
