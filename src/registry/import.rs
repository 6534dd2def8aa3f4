//! Tracking data from a registry in the project (`mlx add --from`, `mlx update`): download it
//! into the cache, put it in the work tree as checkout would, and write its pointer with the
//! origin recorded.

use std::path::{Component, Path, PathBuf};

use super::{Error, Fetcher, Found, Registry};
use crate::error::Result;
use crate::git::fetch::Trust;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath};
use crate::store::StatCache;
use crate::store::pointer::{Origin, Pointer};
use crate::work_tree::compare::{self, State};
use crate::work_tree::restore;
use crate::work_tree::tracked::Tracked;

/// What an import wrote.
pub struct Imported {
    pub pointer: Pointer,
    /// Objects downloaded from the registry's remote.
    pub downloaded: u64,
}

/// What to import: a path of a registry, and the origin to record.
pub struct Wanted<'a> {
    pub registry: &'a Registry,
    /// The repository as it is to be recorded.
    pub repo: &'a str,
    pub path: &'a RelPath,
    /// The revision as the user gave it.
    pub rev: Option<String>,
}

/// Download the path `wanted` names and make `target` that data, tracked with its origin
/// recorded. The caller holds the project lock and checked that `target` may hold it.
pub fn import(
    project: &Project,
    wanted: Wanted<'_>,
    target: &ProjectPath,
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<Imported> {
    let Wanted { registry, repo, path, rev } = wanted;
    let (tracked, sub) = match registry.locate(path)? {
        Found::Tracked { tracked, sub } => (tracked, sub),
        Found::Git { .. } => {
            return Err(Error::NotTrackedData {
                repo: registry.repo().to_owned(),
                path: path.to_string(),
            }
            .into());
        }
    };
    let remote = registry.remote(Some(project.config()))?;
    let fetcher = Fetcher { cache: project.cache(), stat, remote: &remote, reporter };
    let what = format!("{path} from {}", registry.repo());
    let (pointer, downloaded) = fetcher.fetch(&tracked, sub.as_ref(), &what)?;
    let pointer = pointer.with_origin(Some(Origin {
        repo: repo.to_owned(),
        path: path.to_string(),
        rev,
        commit: registry.commit().to_owned(),
    }));
    let t = Tracked { target: target.clone(), pointer };
    restore::restore_one(project, &t, stat)?;
    crate::fault::point("import.pointer");
    t.pointer.write(project.root(), target)?;
    Ok(Imported { pointer: t.pointer, downloaded })
}

/// Refuse to replace `t`'s data when it was changed in the work tree (unless `force`).
pub fn check_unchanged(
    project: &Project,
    t: &Tracked,
    stat: &StatCache,
    force: bool,
    reporter: &dyn Reporter,
) -> Result<()> {
    if force {
        return Ok(());
    }
    let cmp = compare::compare(project, t, stat, reporter)?;
    if cmp.status.state == State::Modified {
        return Err(Error::ChangedLocally { path: t.target.to_string() }.into());
    }
    Ok(())
}

/// How to record the repository `repo` given at `cwd`: a URL as it is; a relative folder
/// relative to the project root (so that clones beside each other find it); an absolute one
/// as it is.
pub fn recorded_repo(repo: &str, root: &Path, cwd: &Path) -> String {
    if crate::git::fetch::is_url(repo)
        || repo.starts_with("file://")
        || Path::new(repo).is_absolute()
    {
        return repo.to_owned();
    }
    let abs = crate::project_path::normalize(&cwd.join(repo));
    relative_to(&abs, root).to_string_lossy().into_owned()
}

/// `path` relative to `base` (both absolute and normalized), with `..` where needed.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_folders_are_recorded_from_the_root() {
        let root = Path::new("/w/project");
        assert_eq!(recorded_repo("../reg", root, Path::new("/w/project")), "../reg");
        assert_eq!(recorded_repo("../../reg", root, Path::new("/w/project/sub")), "../reg");
        assert_eq!(recorded_repo("/abs/reg", root, root), "/abs/reg");
        assert_eq!(recorded_repo("https://h/r.git", root, root), "https://h/r.git");
        assert_eq!(recorded_repo("git@h:r.git", root, root), "git@h:r.git");
        assert_eq!(recorded_repo("sub/reg", root, root), "sub/reg");
    }
}

/// Imported data that could not be fetched from its origin.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OriginFailure {
    pub path: String,
    pub repo: String,
    pub error: String,
}

/// What [`fetch_from_origins`] brought.
#[derive(Debug, Default)]
pub struct FromOrigins {
    pub downloaded: u64,
    pub failures: Vec<OriginFailure>,
}

/// For each imported path among `tracked` whose objects the cache still lacks, download them
/// from the remote of the repository it came from, at the commit its pointer records. The data
/// found there must be what the pointer says. A failure is reported for its path and the others
/// go on.
pub fn fetch_from_origins(
    project: &Project,
    tracked: &[Tracked],
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<FromOrigins> {
    let mut out = FromOrigins::default();
    let mut done = std::collections::HashSet::new();
    for t in tracked {
        let Some(origin) = &t.pointer.origin else { continue };
        if !done.insert(t.pointer.hash) || complete_in_cache(project, &t.pointer)? {
            continue;
        }
        match from_origin(project, t, origin, stat, reporter) {
            Ok(n) => out.downloaded += n,
            Err(e) => out.failures.push(OriginFailure {
                path: t.target.to_string(),
                repo: crate::remote::url::redact(&origin.repo),
                error: e.to_string(),
            }),
        }
    }
    Ok(out)
}

fn from_origin(
    project: &Project,
    t: &Tracked,
    origin: &Origin,
    stat: &StatCache,
    reporter: &dyn Reporter,
) -> Result<u64> {
    let registry =
        Registry::open(&origin.repo, Some(&origin.commit), project.root(), Trust::Committed)?;
    let path = RelPath::new(&origin.path)?;
    let (tracked, sub) = match registry.locate(&path)? {
        Found::Tracked { tracked, sub } => (tracked, sub),
        Found::Git { .. } => {
            return Err(Error::NotTrackedData {
                repo: origin.repo.clone(),
                path: origin.path.clone(),
            }
            .into());
        }
    };
    let remote = registry.remote(Some(project.config()))?;
    let fetcher = Fetcher { cache: project.cache(), stat, remote: &remote, reporter };
    let what = format!("{} from {}", origin.path, origin.repo);
    let (pointer, downloaded) = fetcher.fetch(&tracked, sub.as_ref(), &what)?;
    if pointer.hash != t.pointer.hash {
        return Err(Error::OriginDiffers {
            path: t.target.to_string(),
            commit: origin.commit[..8].to_owned(),
        }
        .into());
    }
    Ok(downloaded)
}

/// Whether the cache holds everything `pointer` needs.
fn complete_in_cache(project: &Project, pointer: &Pointer) -> Result<bool> {
    let cache = project.cache();
    if !cache.contains(&pointer.hash) {
        return Ok(false);
    }
    if pointer.kind == crate::store::pointer::Kind::File {
        return Ok(true);
    }
    let manifest = crate::work_tree::tracked::manifest_of(project, pointer.hash)?;
    let ids: Vec<_> = manifest.file_hashes().collect();
    Ok(cache.count_missing(&ids) == 0)
}
