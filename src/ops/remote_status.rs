//! `mlx status --remote NAME`: for each tracked path, which of its objects are only in the
//! local cache (not pushed), only on the remote (not fetched), in both, or in neither.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use super::transfer::{self, Scope};
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::ObjectId;

pub struct RemoteStatusOptions {
    pub cwd: PathBuf,
    pub paths: Vec<PathBuf>,
    pub remote: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RemoteStatusReport {
    pub remote: String,
    pub url: String,
    pub paths: Vec<PathStatus>,
    /// Distinct objects over all paths.
    pub objects: u64,
    pub local_only: u64,
    pub remote_only: u64,
    pub both: u64,
    pub neither: u64,
}

#[derive(Debug, Serialize)]
pub struct PathStatus {
    pub path: String,
    /// "in sync", "not pushed", "not fetched", "missing" (neither has some object), or
    /// "unknown" (a directory whose listing neither has).
    pub state: &'static str,
    pub objects: u64,
    pub local_only: u64,
    pub remote_only: u64,
    pub neither: u64,
}

impl RemoteStatusReport {
    /// Both sides hold everything: nothing to push or fetch.
    pub fn is_clean(&self) -> bool {
        self.paths.iter().all(|p| p.state == "in sync")
    }
}

pub fn run(
    project: &Project,
    opts: &RemoteStatusOptions,
    reporter: &dyn Reporter,
) -> Result<RemoteStatusReport> {
    let remote = transfer::open_remote(project, opts.remote.as_deref())?;
    // A folder remote (local or over SSH) nobody pushed to yet does not exist: it is empty, not
    // an error. Over SSH the check still reaches the server: its host key and the login.
    match remote.check() {
        Err(crate::remote::Error::Missing { .. }) if remote.is_folder() => {}
        checked => checked?,
    }
    let (tracked, _) =
        transfer::tracked_in_scope(project, &opts.cwd, &opts.paths, &Scope::default())?;
    let mut per_path = Vec::new();
    let mut all: HashSet<ObjectId> = HashSet::new();
    // Big files may be on the remote as chunk lists rather than whole objects.
    let mut big: HashSet<ObjectId> = HashSet::new();
    let chunked_from = project.config().cache.big_file_size();
    for t in &tracked {
        let manifest = |id: &ObjectId| transfer::manifest_anywhere(project, &remote, id);
        let (needed, unknown) = transfer::objects_needed(std::slice::from_ref(t), manifest)?;
        big.extend(
            needed.iter().filter(|n| n.size.is_some_and(|s| s >= chunked_from)).map(|n| n.id),
        );
        let ids: Vec<ObjectId> = needed.iter().map(|n| n.id).collect();
        all.extend(ids.iter().copied());
        per_path.push((t.target.to_string(), ids, !unknown.is_empty()));
    }
    let all: Vec<ObjectId> = all.into_iter().collect();
    reporter.start("checking the remote", all.len() as u64);
    let mut on_remote = remote.present(&all)?;
    for id in big {
        if !on_remote.contains_key(&id) && remote.has_list(&id)? {
            on_remote.insert(id, 0);
        }
    }
    reporter.finish();
    let not_local: HashSet<ObjectId> = project.cache().missing(&all).into_iter().collect();
    let place = |id: &ObjectId| (!not_local.contains(id), on_remote.contains_key(id));
    let mut report = RemoteStatusReport {
        remote: remote.name().to_owned(),
        url: remote.url().to_owned(),
        paths: Vec::new(),
        objects: all.len() as u64,
        local_only: 0,
        remote_only: 0,
        both: 0,
        neither: 0,
    };
    for id in &all {
        match place(id) {
            (true, true) => report.both += 1,
            (true, false) => report.local_only += 1,
            (false, true) => report.remote_only += 1,
            (false, false) => report.neither += 1,
        }
    }
    for (path, ids, unknown) in per_path {
        let mut p = PathStatus {
            path,
            state: "in sync",
            objects: ids.len() as u64,
            local_only: 0,
            remote_only: 0,
            neither: 0,
        };
        for id in &ids {
            match place(id) {
                (true, false) => p.local_only += 1,
                (false, true) => p.remote_only += 1,
                (false, false) => p.neither += 1,
                (true, true) => {}
            }
        }
        p.state = if unknown {
            "unknown"
        } else if p.neither > 0 {
            "missing"
        } else if p.local_only > 0 {
            "not pushed"
        } else if p.remote_only > 0 {
            "not fetched"
        } else {
            "in sync"
        };
        report.paths.push(p);
    }
    Ok(report)
}
