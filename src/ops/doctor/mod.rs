//! `mlx doctor`: checks the project enclosing a folder and reports what it finds, section by
//! section: git, project files, the cache (and which link types this filesystem supports, by
//! trying them), the database and the remotes.
//!
//! Unlike other operations, doctor does not open a [`Project`](crate::project::Project): a
//! broken config file is a failed check here, not an error, so it discovers the root and reads
//! each file itself and reports everything it still can. It changes nothing in the project but
//! a short-lived probe folder inside the cache's temp area; the database is opened read-only.
//! Remote checks run in parallel, each on its own thread, and are abandoned at a deadline, so
//! doctor never hangs on the network. Secrets are never part of the report: URLs are redacted
//! and credentials are described by where they come from.
//!
//! This module holds the report and the checklist plumbing; each section is checked by its own
//! submodule, which adds its checks and facts to the report: `git`, `project`, `config`, `cache`
//! (with `link_types`), `database`, `watcher` and `remotes`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::store::link::LinkType;
/// `1 object`, `2 objects`, for the sections.
use crate::text::counted_as as count;

mod cache;
mod config;
mod database;
mod git;
mod link_types;
mod project;
mod remotes;
mod watcher;

pub struct DoctorOptions {
    /// Where doctor starts looking for the project (canonical).
    pub start: PathBuf,
    /// Try to reach every configured remote (`--no-remotes` turns this off).
    pub check_remotes: bool,
    /// Deadline for all remote checks together; a remote not answered by then "timed out".
    pub remote_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    /// As shown in the checklist: `ok`, `warn`, `FAIL`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `mlx`, `git`, `project`, `config`, `cache`, `database`, `watcher` or `remotes`.
    pub section: &'static str,
    /// What was checked (for remotes, the remote's name).
    pub name: String,
    pub status: Status,
    /// What was found, in a few words.
    pub detail: String,
    /// What to do about it (failures, and some warnings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct DoctorReport {
    /// The version of this mlx.
    pub version: &'static str,
    /// True when no check failed (warnings allowed).
    pub ok: bool,
    /// The project root (the git work tree), when inside a git repository.
    pub root: Option<String>,
    pub git: Option<GitFacts>,
    pub config: Option<ConfigFacts>,
    pub cache: Option<CacheFacts>,
    pub database: Option<DatabaseFacts>,
    /// Every configured remote, by name.
    pub remotes: Vec<RemoteFacts>,
    /// Temp files that killed mlx processes left in the work tree, relative to the root.
    pub leftover_temp_files: Vec<String>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Serialize)]
pub struct GitFacts {
    /// Full SHA of HEAD; `None` before the first commit.
    pub head: Option<String>,
    /// The branch HEAD is on (or will be born on); `None` when detached.
    pub branch: Option<String>,
    /// No commit yet.
    pub unborn: bool,
    /// Tracked files differ from HEAD.
    pub dirty: bool,
    pub hooks_dir: String,
    /// mlx's hooks found in `hooks_dir` (executable, with mlx's marker line).
    pub hooks_installed: Vec<&'static str>,
    /// Whether this clone's git config registers the mlx merge driver.
    pub merge_driver: bool,
}

#[derive(Debug, Serialize)]
pub struct ConfigFacts {
    pub files: Vec<ConfigFileFacts>,
    /// Stages declared in mlx.toml (after `foreach`/`matrix` expansion); `None` when they do
    /// not parse.
    pub stages: Option<usize>,
    /// `[core] remote`.
    pub default_remote: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ConfigFileFacts {
    /// Relative to the project root.
    pub path: String,
    pub exists: bool,
    /// Parses (a missing file counts as empty, so it parses).
    pub ok: bool,
    /// `FILE:LINE:COLUMN: message` when it does not parse.
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CacheFacts {
    pub dir: String,
    /// Set by `[cache] dir` to a folder outside this clone's `.mlx/` (a worktree sharing
    /// another's cache).
    pub shared: bool,
    pub exists: bool,
    /// On the same filesystem as the workspace (needed for hardlinks and reflinks).
    pub same_filesystem: bool,
    pub objects: u64,
    pub bytes: u64,
    /// Temp files and folders left by processes that no longer run.
    pub stray_temp: u64,
    /// Objects moved to `quarantine/` after they were found corrupt.
    pub quarantined: u64,
    /// `[cache] type`, or the default when unset.
    pub configured_types: Vec<LinkType>,
    /// Each link type, tried in a temp folder inside the cache.
    pub link_types: Vec<LinkProbe>,
    /// The type the configured list picks on this filesystem.
    pub picked: Option<LinkType>,
}

#[derive(Debug, Serialize)]
pub struct LinkProbe {
    #[serde(rename = "type")]
    pub link_type: LinkType,
    pub works: bool,
    /// The OS error when it does not.
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DatabaseFacts {
    pub path: String,
    pub exists: bool,
    pub size_bytes: u64,
    /// Size of the write-ahead log (`mlx.db-wal`), 0 when there is none.
    pub wal_bytes: u64,
    /// `ok`, or what `PRAGMA quick_check` found; `None` when the file cannot be read at all.
    pub integrity: Option<String>,
    pub schema_version: Option<i64>,
    /// The schema version this mlx writes.
    pub known_schema_version: i64,
    /// `wal`, or `rollback` (a journal file beside the database).
    pub journal_mode: Option<String>,
    pub runs: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct RemoteFacts {
    pub name: String,
    /// Password redacted.
    pub url: Option<String>,
    /// `local`, `s3`, `webdav`, `http`, `gcs` or `azure`.
    pub kind: Option<&'static str>,
    pub default: bool,
    /// Where credentials come from, in general terms (never a value).
    pub credentials: String,
    /// `None` when not checked (`--no-remotes`, or the settings cannot work).
    pub reachable: Option<bool>,
    /// Why it is not reachable (redacted, like every remote error).
    pub error: Option<String>,
}

impl DoctorReport {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    fn push(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
    ) {
        self.checks.push(Check {
            section,
            name: name.into(),
            status,
            detail: detail.into(),
            hint: None,
        });
    }

    fn push_hinted(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.checks.push(Check {
            section,
            name: name.into(),
            status,
            detail: detail.into(),
            hint: Some(hint.into()),
        });
    }
}

/// Check everything that can be checked from `opts.start`. Never fails: problems are checks.
pub fn run(opts: &DoctorOptions) -> DoctorReport {
    let mut r = DoctorReport { version: env!("CARGO_PKG_VERSION"), ..DoctorReport::default() };
    r.push("mlx", "version", Status::Ok, format!("mlx {}", r.version));
    if let Some(root) = git::check(&mut r, &opts.start)
        && project::check(&mut r, &root)
    {
        project::check_leftovers(&mut r, &root);
        let config = config::check(&mut r, &root);
        cache::check(&mut r, &root, &config);
        database::check(&mut r, &root);
        watcher::check(&mut r, &root, &config);
        remotes::check(&mut r, &root, &config, opts);
    }
    r.ok = r.count(Status::Fail) == 0;
    r
}

// ---------------------------------------------------------------------------------------------
// helpers shared by the sections

/// A path for messages: relative to the root when inside it.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}
