//! `mlx get REPO PATH`: copy data from another mlx repository (a data registry) without
//! tracking it: a tracked file or folder, a file or folder inside a tracked folder, a stage
//! output its `mlx.lock` records, or plain git files. Data is downloaded through the registry's
//! default remote; inside a project the objects go into the project's cache (a second get is
//! then local), outside one into a temporary cache. Works outside any project too.

use std::path::Path;

use serde::Serialize;

use super::Result;
use crate::git::fetch::Trust;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::registry::place::Destination;
use crate::registry::{self, Fetcher, Found, Registry};
use crate::store::pointer::{self, Kind};
use crate::store::{Cache, StatCache};

pub type GetOptions = crate::registry::Request;

#[derive(Debug, Serialize)]
pub struct GetReport {
    pub repo: String,
    pub path: String,
    pub rev: Option<String>,
    /// The commit read.
    pub commit: String,
    /// Where the data was written.
    pub out: String,
    /// `file` or `directory`.
    pub kind: &'static str,
    /// Files written.
    pub files: u64,
    /// Objects downloaded from the registry's remote (0 when the cache had them all).
    pub downloaded: u64,
    /// The registry's remote used, when its tracked data was read (URL redacted).
    pub remote: Option<String>,
}

/// Get data; `project` is the project enclosing `cwd`, if any.
pub fn run(
    project: Option<&Project>,
    opts: &GetOptions,
    reporter: &dyn Reporter,
) -> Result<GetReport> {
    let path = RelPath::new(&opts.path)?;
    let registry = Registry::open(&opts.repo, opts.rev.as_deref(), &opts.cwd, Trust::User)?;
    let found = registry.locate(&path)?;
    let name = pointer::target_of(&path).filter(|_| matches!(found, Found::Tracked { .. }));
    let name = Path::new(name.as_ref().unwrap_or(&path).file_name());
    let out = Destination::for_name(&opts.cwd, opts.out.as_deref(), name);
    let dest = Destination::new(project.map(Project::root), &opts.cwd, &out)?;
    if dest.exists() && !opts.force {
        return Err(registry::Error::Exists { path: dest.path().display().to_string() }.into());
    }
    let _lock = project.map(|p| p.lock(reporter)).transpose()?;
    let own_cache;
    let temp_cache;
    let cache: &Cache = match project {
        Some(p) => p.cache(),
        None => {
            temp_cache = tempfile::Builder::new().prefix("mlx-get-").tempdir()?;
            own_cache = Cache::new(temp_cache.path().join("cache"));
            &own_cache
        }
    };
    let mut conn = project.map(Project::open_db).transpose()?;
    let stat = match (&conn, project) {
        (Some(c), Some(p)) => p.stat_cache(c, crate::store::stat_cache::Rows::FilesAndObjects)?,
        _ => StatCache::default(),
    };
    let what = format!("{} from {}", opts.path, registry.repo());
    let mut report = GetReport {
        repo: registry.repo().to_owned(),
        path: opts.path.clone(),
        rev: opts.rev.clone(),
        commit: registry.commit().to_owned(),
        out: dest.path().display().to_string(),
        kind: "file",
        files: 0,
        downloaded: 0,
        remote: None,
    };
    // Everything is downloaded before anything is written.
    let mut to_copy = Vec::new();
    let mut git_tree = None;
    match found {
        Found::Tracked { tracked, sub } => to_copy.push((tracked, sub, None)),
        Found::Git { tree, inside } => {
            for (below, t) in inside {
                to_copy.push((t, None, Some(below)));
            }
            git_tree = Some(tree);
        }
    }
    let mut pointers = Vec::new();
    if !to_copy.is_empty() {
        let remote = registry.remote(project.map(Project::config))?;
        report.remote = Some(format!("{} ({})", remote.name(), remote.url()));
        let fetcher = Fetcher { cache, stat: &stat, remote: &remote, reporter };
        for (t, sub, below) in &to_copy {
            let (p, n) = fetcher.fetch(t, sub.as_ref(), &what)?;
            report.downloaded += n;
            pointers.push((p, below.clone()));
        }
    }
    if let (Some(c), Some(_)) = (conn.as_mut(), project) {
        stat.save(c)?;
    }
    if opts.force {
        dest.clear()?;
    }
    if let Some(tree) = &git_tree {
        let skip = |rel: &RelPath| {
            pointer::target_of(rel)
                .is_some_and(|t| pointers.iter().any(|(_, b)| b.as_ref() == Some(&t)))
        };
        report.files += dest.copy_git(tree, skip)?;
        if matches!(tree, crate::git::fetch::GitTree::Dir(_)) {
            report.kind = "directory";
        }
    }
    for (p, below) in &pointers {
        report.files += dest.copy_data(cache, p, below.as_ref())?;
        if p.kind == Kind::Directory || below.is_some() {
            report.kind = "directory";
        }
    }
    Ok(report)
}
