//! Data registries: tracked data read from another mlx repository (a git URL or a folder) at one
//! commit, downloaded through that repository's default remote, without cloning it into the
//! project. `mlx get`, `mlx add --from` and `mlx update` share it.
//!
//! The other repository is untrusted input. Its pointers, `mlx.lock` and manifests pass the same
//! checks as the project's own; its remote settings give only where the data is (the URL and the
//! storage's addressing): credentials, keys and profiles come from the local user alone (the
//! environment, the standard credential files, or a remote of the local project with the same
//! URL). A remote URL of a kind mlx refuses is refused; a relative folder URL only means
//! something for a registry that is itself a folder on this machine.

pub mod import;
pub mod place;

use std::path::{Path, PathBuf};

use crate::config::{Config, RemoteConfig};
use crate::error::Result;
use crate::git::fetch::{self, GitTree, Trust};
use crate::git::{Repo, Revision};
use crate::progress::Reporter;
use crate::project_path::RelPath;
use crate::remote::Remote;
use crate::remote::transfers::{Downloaded, Downloads, Needed};
use crate::store::manifest::{Entry, EntryKind, Manifest, totals_of};
use crate::store::pointer::{self, Kind, Pointer};
use crate::store::{self, Cache, ObjectId, StatCache};
use crate::work_tree::tracked::{self, Tracked};

/// What is wrong with a registry or what was asked of it. All are input errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{repo} is neither a git repository URL nor a folder on this machine")]
    BadRepo { repo: String },
    #[error("the repository URL {repo} holds a password, which would be recorded in the pointer")]
    PasswordInUrl { repo: String },
    #[error("{path} is neither tracked by mlx nor in git at {commit} of {repo}")]
    NotFound { repo: String, path: String, commit: String },
    #[error("{path} in {repo} is not data mlx tracks (it is a plain git file)")]
    NotTrackedData { repo: String, path: String },
    #[error("{repo} at {commit} holds files mlx refuses: {message}")]
    Refused { repo: String, commit: String, message: String },
    #[error("{repo} has no remote to download its data from: {why}")]
    NoRemote { repo: String, why: String },
    #[error("remote `{remote}` of {repo}: {why}")]
    BadRemote { repo: String, remote: String, why: String },
    #[error("{path} is not imported from another repository (its pointer records no origin)")]
    NotImported { path: String },
    #[error("{path} already exists")]
    Exists { path: String },
    #[error("{path}: its origin at {commit} holds other data than its pointer records")]
    OriginDiffers { path: String, commit: String },
    #[error("{path} was changed here since it was imported")]
    ChangedLocally { path: String },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::PasswordInUrl { .. } => Some(
                "give the URL without the password: git's credential helper supplies it".into(),
            ),
            Error::NotTrackedData { .. } => {
                Some("copy it without tracking it: mlx get REPO PATH".into())
            }
            Error::NotFound { .. } => Some(
                "PATH is relative to the repository's root; what mlx tracks there has a PATH.mlx \
                 pointer (or is a stage output in its mlx.lock)"
                    .into(),
            ),
            Error::NoRemote { .. } => Some(
                "the registry needs a default remote holding its data: in it, mlx remote add \
                 NAME URL --default, then mlx push"
                    .into(),
            ),
            Error::NotImported { path } => {
                Some(format!("record a new version of local data with: mlx add {path}"))
            }
            Error::Refused { .. } => Some(
                "nothing was read or written; the registry's maintainers can find the file with \
                 mlx status in a clone of it"
                    .into(),
            ),
            Error::Exists { .. } => Some("replace it with --force, or choose another -o".into()),
            Error::ChangedLocally { .. } => Some(
                "keep the changes with mlx add (it stops being an import), or drop them with \
                 --force"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// One commit of another repository, fetched into a private folder.
/// What `mlx get` and `mlx add --from` are asked for: a path of another repository, and where
/// to put it.
#[derive(Debug, Clone)]
pub struct Request {
    /// A git URL, or a folder (relative to `cwd`).
    pub repo: String,
    /// The path in that repository.
    pub path: String,
    /// A branch, tag or commit of it (its default branch when `None`).
    pub rev: Option<String>,
    /// Where to put it (relative to `cwd`); the path's file name when `None`.
    pub out: Option<PathBuf>,
    pub cwd: PathBuf,
    /// Replace what is at the destination.
    pub force: bool,
}

pub struct Registry {
    /// As given (a URL, or a folder path).
    repo: String,
    /// The registry's folder when it is on this machine.
    local: Option<PathBuf>,
    git: Repo,
    rev: Revision,
    /// The private bare repository; removed when the registry is dropped.
    _dir: tempfile::TempDir,
}

/// What a path of the registry is.
pub enum Found {
    /// Data mlx tracks (a pointer or a stage output in `mlx.lock`), or (`sub`) a file or folder
    /// inside a tracked folder.
    Tracked { tracked: Tracked, sub: Option<RelPath> },
    /// A file or folder git holds; in a folder, the data its pointers track too (relative to it).
    Git { tree: GitTree, inside: Vec<(RelPath, Tracked)> },
}

impl Registry {
    /// Fetch `rev` (the default branch when `None`) of `repo`: a git URL, or a folder (relative
    /// to `base`), into a private folder in the system's temp folder.
    pub fn open(repo: &str, rev: Option<&str>, base: &Path, trust: Trust) -> Result<Registry> {
        if repo.is_empty() || repo.starts_with('-') || repo.chars().any(char::is_control) {
            return Err(Error::BadRepo { repo: repo.to_owned() }.into());
        }
        if crate::remote::url::has_password(repo) {
            crate::secrets::remember_url(repo);
            return Err(Error::PasswordInUrl { repo: crate::remote::url::redact(repo) }.into());
        }
        let local = local_folder(repo, base);
        let fetch_from = match &local {
            Some(dir) => {
                if !dir.is_dir() {
                    return Err(Error::BadRepo { repo: repo.to_owned() }.into());
                }
                dir.to_string_lossy().into_owned()
            }
            None => repo.to_owned(),
        };
        let dir = tempfile::Builder::new().prefix("mlx-registry-").tempdir()?;
        let (git, rev) = fetch::fetch_commit(&dir.path().join("git"), &fetch_from, rev, trust)?;
        Ok(Registry { repo: repo.to_owned(), local, git, rev, _dir: dir })
    }

    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// The commit read.
    pub fn commit(&self) -> &str {
        &self.rev.commit
    }

    /// What `path` is at this commit.
    pub fn locate(&self, path: &RelPath) -> Result<Found> {
        // The registry's own files mlx refuses (a pointer naming `.git/…`, a bad origin) are
        // its problem, not the user's project's: said so, with no hint to repair them here.
        let (all, _) = tracked::load_revision(&self.git, &self.rev.commit).map_err(|e| {
            if e.is_input_error() {
                crate::error::Error::from(Error::Refused {
                    repo: self.repo.clone(),
                    commit: self.rev.short().to_owned(),
                    message: e.to_string(),
                })
            } else {
                e
            }
        })?;
        let wanted = pointer::target_of(path).filter(|t| all.iter().any(|a| a.target == *t));
        let wanted = wanted.as_ref().unwrap_or(path);
        if let Some(t) = all.iter().find(|t| t.target == *wanted) {
            return Ok(Found::Tracked { tracked: t.clone(), sub: None });
        }
        if let Some(t) =
            all.iter().find(|t| t.pointer.kind == Kind::Directory && wanted.starts_with(&t.target))
        {
            let sub = wanted.strip_prefix(&t.target).expect("checked with starts_with");
            return Ok(Found::Tracked { tracked: t.clone(), sub: Some(sub) });
        }
        match self.git.tree_at(&self.rev, wanted)? {
            Some(tree) => {
                let inside = all
                    .iter()
                    .filter_map(|t| Some((t.target.strip_prefix(wanted)?, t.clone())))
                    .collect();
                Ok(Found::Git { tree, inside })
            }
            None => Err(Error::NotFound {
                repo: self.repo.clone(),
                path: path.to_string(),
                commit: self.rev.short().to_owned(),
            }
            .into()),
        }
    }

    /// The registry's default remote at this commit, as far as it says where the data is;
    /// logged into with what `local` (the local project's settings) and the environment give.
    pub fn remote(&self, local: Option<&Config>) -> Result<Remote> {
        let no_remote = |why: String| Error::NoRemote { repo: self.repo.clone(), why };
        let file = RelPath::new(crate::config::PROJECT_FILE)?;
        let Some(bytes) = self.git.read_file(&self.rev, &file)? else {
            return Err(no_remote("it has no mlx.toml".into()).into());
        };
        let shown = PathBuf::from(format!("{}:{}", self.rev.short(), crate::config::PROJECT_FILE));
        let config = Config::parse(&shown, &String::from_utf8_lossy(&bytes))
            .map_err(crate::project::Error::from)?;
        let name = match (&config.core.remote, config.remotes.keys().next()) {
            (Some(name), _) => name.clone(),
            (None, Some(only)) if config.remotes.len() == 1 => only.clone(),
            (None, None) => return Err(no_remote("its mlx.toml defines no remote".into()).into()),
            (None, Some(_)) => {
                return Err(no_remote(
                    "its mlx.toml defines several remotes and no default ([core] remote)".into(),
                )
                .into());
            }
        };
        let Some(theirs) = config.remotes.get(&name).filter(|r| r.url.is_some()) else {
            return Err(no_remote(format!(
                "its default remote `{name}` is not defined with a url in its mlx.toml"
            ))
            .into());
        };
        let bad =
            |why: String| Error::BadRemote { repo: self.repo.clone(), remote: name.clone(), why };
        let mut cfg = where_only(theirs);
        let url = cfg.url.clone().unwrap_or_default();
        let location = crate::remote::url::parse(&url).map_err(|e| bad(e.to_string()))?;
        // The local user's own settings for the same storage: credentials, keys, profile.
        if let Some(mine) =
            local.and_then(|c| c.remotes.values().find(|r| r.url.as_deref() == Some(url.as_str())))
        {
            cfg = cfg.merged_with(mine.clone());
        }
        let root = match (&location, &self.local) {
            (crate::remote::url::Location::Local { path }, None) if path.is_relative() => {
                return Err(bad(format!(
                    "the folder {} is relative to a repository that is not on this machine",
                    path.display()
                ))
                .into());
            }
            (_, Some(dir)) => dir.clone(),
            (_, None) => self._dir.path().to_path_buf(),
        };
        let remote = Remote::open(&root, &name, &cfg).map_err(|e| bad(e.to_string()))?;
        Ok(remote)
    }
}

/// `repo` as a folder on this machine (relative to `base`), or `None` for a URL.
fn local_folder(repo: &str, base: &Path) -> Option<PathBuf> {
    if let Some(path) = repo.strip_prefix("file://") {
        return Some(PathBuf::from(path));
    }
    if fetch::is_url(repo) {
        return None;
    }
    Some(crate::project_path::normalize(&base.join(repo)))
}

/// Of another repository's remote settings, only where the data is and how the storage is
/// addressed: no credentials, key files, profiles or host-key policy.
fn where_only(theirs: &RemoteConfig) -> RemoteConfig {
    RemoteConfig {
        url: theirs.url.clone(),
        endpoint: theirs.endpoint.clone(),
        region: theirs.region.clone(),
        path_style: theirs.path_style,
        user: theirs.user.clone(),
        port: theirs.port,
        jobs: theirs.jobs,
        ..RemoteConfig::default()
    }
}

/// Where downloads go and what they record.
pub struct Fetcher<'a> {
    pub cache: &'a Cache,
    pub stat: &'a StatCache,
    pub remote: &'a Remote,
    pub reporter: &'a dyn Reporter,
}

impl Fetcher<'_> {
    /// Download what `tracked` (a tracked path of the registry, or with `sub` a file or folder
    /// inside it) needs into the cache; the pointer describing it, and the objects downloaded.
    /// A folder's listing is made here for a folder inside a tracked one (it is the cache's
    /// only). `what` names the data in errors.
    pub fn fetch(
        &self,
        tracked: &Tracked,
        sub: Option<&RelPath>,
        what: &str,
    ) -> Result<(Pointer, u64)> {
        let mut downloaded = 0;
        // A registry imported from DVC may keep its data in DVC's layout of its remote.
        self.remote.use_dvc_index(crate::dvc::index::Md5Index::from_tracked(std::slice::from_ref(
            tracked,
        )));
        let pointer = match (tracked.pointer.kind, sub) {
            (Kind::File, None) => tracked.pointer.clone().with_origin(None),
            (Kind::File, Some(_)) => unreachable!("only folders have paths inside"),
            (Kind::Directory, _) => {
                let id = tracked.pointer.hash;
                downloaded += self.download(&[Needed { id, size: None }], what)?;
                let bytes = self.cache.read_verified(&id)?;
                let manifest = Manifest::decode(id, &bytes)?;
                match sub {
                    None => Pointer::new(
                        Kind::Directory,
                        id,
                        tracked.pointer.size,
                        tracked.pointer.files,
                    ),
                    Some(sub) => self.inside(&manifest, sub, what)?,
                }
            }
        };
        let needed = match pointer.kind {
            Kind::File => vec![Needed { id: pointer.hash, size: Some(pointer.size) }],
            Kind::Directory => {
                let bytes = self.cache.read_verified(&pointer.hash)?;
                let manifest = Manifest::decode(pointer.hash, &bytes)?;
                let mut needed: Vec<Needed> = manifest
                    .entries()
                    .iter()
                    .filter_map(|e| match e.kind {
                        EntryKind::File { hash, size, .. } => {
                            Some(Needed { id: hash, size: Some(size) })
                        }
                        _ => None,
                    })
                    .collect();
                needed.sort_by_key(|n| n.id);
                needed.dedup_by_key(|n| n.id);
                needed
            }
        };
        downloaded += self.download(&needed, what)?;
        Ok((pointer, downloaded))
    }

    /// The pointer of `sub` inside the folder `manifest` lists: a file's, or a listing of the
    /// entries below it, stored in the cache.
    fn inside(&self, manifest: &Manifest, sub: &RelPath, what: &str) -> Result<Pointer> {
        let mut below = Vec::new();
        for e in manifest.entries() {
            if e.path == *sub {
                return match e.kind {
                    EntryKind::File { hash, size, .. } => {
                        Ok(Pointer::new(Kind::File, hash, size, 1))
                    }
                    _ => Err(store::Error::Unsupported {
                        path: PathBuf::from(what),
                        what: "is a symlink or an empty folder, not data to download".into(),
                    }
                    .into()),
                };
            }
            if let Some(rest) = e.path.strip_prefix(sub) {
                below.push(Entry { path: rest, kind: e.kind.clone() });
            }
        }
        if below.is_empty() {
            return Err(store::Error::NotTracked { path: PathBuf::from(what) }.into());
        }
        let listing = Manifest::new(below);
        let (files, size) = totals_of(listing.entries());
        let id = self.cache.put_bytes(&listing.encode(), self.stat)?;
        Ok(Pointer::new(Kind::Directory, id, size, files))
    }

    /// Make sure the cache has `needed`, from the remote; what neither has is an error.
    fn download(&self, needed: &[Needed], what: &str) -> Result<u64> {
        let ids: Vec<ObjectId> = needed.iter().map(|n| n.id).collect();
        let absent: std::collections::HashSet<ObjectId> =
            self.cache.missing(&ids).into_iter().collect();
        if absent.is_empty() {
            return Ok(0);
        }
        self.remote.check()?;
        let to_get: Vec<Needed> =
            needed.iter().filter(|n| absent.contains(&n.id)).copied().collect();
        let mut done = Downloaded::default();
        let downloads = Downloads {
            cache: self.cache,
            remote: self.remote,
            stat: self.stat,
            jobs: self.remote.jobs(),
            reporter: self.reporter,
        };
        downloads.run(&to_get, &mut done)?;
        let left = self.cache.count_missing(&ids);
        if left > 0 {
            return Err(crate::error::Error::Unavailable {
                what: what.to_owned(),
                missing: left,
                remote: Some(format!("{} ({})", self.remote.name(), self.remote.url())),
            });
        }
        Ok(done.objects)
    }
}
