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

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::{self, Config, RemoteConfig};
use crate::fs_util::human_size;
use crate::git::{self, Repo, hooks};
use crate::ops::install_hooks::HOOKS;
use crate::pipeline;
use crate::project::{DB_FILE, MLX_DIR};
use crate::remote::Remote;
use crate::remote::url::{self, Location};
use crate::store::ObjectId;
use crate::store::link::{self, DEFAULT_TYPES, LinkType};
use crate::tracking;
use crate::tracking::sql::Cell;

/// How long remote checks may take together, unless told otherwise.
pub const DEFAULT_REMOTE_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// `mlx`, `git`, `project`, `config`, `cache`, `database` or `remotes`.
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
    if let Some(root) = check_git(&mut r, &opts.start)
        && check_project(&mut r, &root)
    {
        let config = check_config(&mut r, &root);
        check_cache(&mut r, &root, &config);
        check_database(&mut r, &root);
        check_remotes(&mut r, &root, &config, opts);
    }
    r.ok = r.count(Status::Fail) == 0;
    r
}

// ---------------------------------------------------------------------------------------------
// git

/// For git failures other than a missing repository.
const GIT_HINT: &str = "check the repository with git status (and git fsck)";

fn check_git(r: &mut DoctorReport, start: &Path) -> Option<PathBuf> {
    let root = match git::discover_workdir(start) {
        Ok(root) => root,
        Err(git::Error::NotARepository { .. }) => {
            r.push_hinted(
                "git",
                "repository",
                Status::Fail,
                format!("{} is not inside a git repository", start.display()),
                "mlx works inside a git repository: run git init, then mlx init",
            );
            return None;
        }
        Err(e @ git::Error::Bare { .. }) => {
            r.push_hinted(
                "git",
                "repository",
                Status::Fail,
                e.to_string(),
                "run mlx in a clone with a work tree",
            );
            return None;
        }
        Err(e) => {
            r.push_hinted("git", "repository", Status::Fail, e.to_string(), GIT_HINT);
            return None;
        }
    };
    r.root = Some(root.display().to_string());
    r.push("git", "repository", Status::Ok, root.display().to_string());
    let repo = match Repo::open(&root) {
        Ok(repo) => repo,
        Err(e) => {
            r.push_hinted("git", "head", Status::Fail, e.to_string(), GIT_HINT);
            return Some(root);
        }
    };
    let head = match repo.head_state() {
        Ok(head) => head,
        Err(e) => {
            r.push_hinted("git", "head", Status::Fail, e.to_string(), GIT_HINT);
            return Some(root);
        }
    };
    let on = head.branch.as_deref().map_or_else(|| "detached HEAD".to_owned(), str::to_owned);
    let detail = match &head.commit {
        Some(c) => format!(
            "{on} at {}{}",
            &c[..8.min(c.len())],
            if head.dirty { " (uncommitted changes)" } else { "" }
        ),
        None => format!("{on} (no commits yet)"),
    };
    r.push("git", "head", Status::Ok, detail);

    let hooks_dir = repo.hooks_dir(&root).unwrap_or_else(|_| root.join(".git").join("hooks"));
    let installed: Vec<&'static str> =
        HOOKS.iter().copied().filter(|name| is_mlx_hook(&hooks_dir.join(name))).collect();
    let not_executable: Vec<&'static str> = HOOKS
        .iter()
        .copied()
        .filter(|name| {
            let path = hooks_dir.join(name);
            has_marker(&path) && !is_mlx_hook(&path)
        })
        .collect();
    let shown_dir = shown(&root, &hooks_dir);
    if !not_executable.is_empty() {
        r.push_hinted(
            "git",
            "hooks",
            Status::Warn,
            format!("not executable, so git skips them: {}", not_executable.join(", ")),
            "install them again: mlx install-hooks",
        );
    } else if installed.len() == HOOKS.len() {
        r.push("git", "hooks", Status::Ok, format!("installed in {shown_dir}"));
    } else if installed.is_empty() {
        r.push("git", "hooks", Status::Ok, "not installed (optional: mlx install-hooks)");
    } else {
        let missing: Vec<&str> = HOOKS.iter().copied().filter(|h| !installed.contains(h)).collect();
        r.push_hinted(
            "git",
            "hooks",
            Status::Warn,
            format!("some missing from {shown_dir}: {}", missing.join(", ")),
            "install them all: mlx install-hooks",
        );
    }
    r.git = Some(GitFacts {
        unborn: head.commit.is_none(),
        head: head.commit,
        branch: head.branch,
        dirty: head.dirty,
        hooks_dir: hooks_dir.display().to_string(),
        hooks_installed: installed,
        merge_driver: repo.local_config("merge.mlx.driver").is_some(),
    });
    Some(root)
}

fn has_marker(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(hooks::MARKER))
}

/// An mlx hook git will run: our marker and an execute bit.
fn is_mlx_hook(path: &Path) -> bool {
    has_marker(path) && std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

// ---------------------------------------------------------------------------------------------
// project and config

fn check_project(r: &mut DoctorReport, root: &Path) -> bool {
    if root.join(MLX_DIR).is_dir() {
        r.push("project", "mlx folder", Status::Ok, format!("{MLX_DIR}/ found"));
        return true;
    }
    let (detail, hint) = if root.join(config::PROJECT_FILE).is_file() {
        (
            format!("{} has mlx.toml but no {MLX_DIR}/ folder (a fresh clone)", root.display()),
            "set up this clone: mlx init (any mlx command also does it)",
        )
    } else {
        (
            format!("{} is not an mlx project (no {MLX_DIR}/ folder at the root)", root.display()),
            "start one with: mlx init",
        )
    };
    r.push_hinted("project", "mlx folder", Status::Fail, detail, hint);
    false
}

/// Read both config files, each on its own: the merged config holds what parsed.
fn check_config(r: &mut DoctorReport, root: &Path) -> Config {
    let project_rel = PathBuf::from(config::PROJECT_FILE);
    let local_rel = Path::new(MLX_DIR).join(config::LOCAL_FILE);
    let mut files = Vec::new();
    let mut read = |r: &mut DoctorReport, rel: &Path, shared: bool| -> Option<Config> {
        let path = root.join(rel);
        let exists = path.is_file();
        let result =
            if shared { Config::read_shared(&path, rel) } else { Config::read(&path, rel) };
        let name = rel.display().to_string();
        let (config, error) = match result {
            Ok(config) => {
                let detail = if exists { "parses" } else { "absent (defaults apply)" };
                r.push("config", &name, Status::Ok, detail);
                (Some(config), None)
            }
            Err(e) => {
                let hint = match &e {
                    config::Error::SecretInProjectFile { remote, key, .. } => format!(
                        "move it under [remotes.{remote}] in .mlx/config.local.toml \
                         (mlx remote modify {remote} {key} VALUE --local), or use the \
                         environment; if it was ever committed, rotate the credential"
                    ),
                    _ => format!("fix {name} at the line and column shown"),
                };
                r.push_hinted("config", &name, Status::Fail, e.to_string(), hint);
                (None, Some(e.to_string()))
            }
        };
        files.push(ConfigFileFacts { path: name, exists, ok: error.is_none(), error });
        config
    };
    let shared = read(r, &project_rel, true);
    let local = read(r, &local_rel, false);
    if let Ok(meta) = std::fs::metadata(root.join(&local_rel))
        && meta.permissions().mode() & 0o077 != 0
        && local.as_ref().is_some_and(has_secrets)
    {
        r.push_hinted(
            "config",
            "permissions",
            Status::Warn,
            format!(
                "{} holds credentials and other users can read it (mode {:o})",
                local_rel.display(),
                meta.permissions().mode() & 0o777
            ),
            format!("chmod 600 {}", local_rel.display()),
        );
    }
    let mut stages = None;
    if shared.is_some() {
        match pipeline::spec::load(root) {
            Ok(Some(p)) => {
                let n = p.stages.len();
                stages = Some(n);
                let detail = format!("{n} stage{} declared, all parse", plural(n as u64));
                r.push("config", "stages", Status::Ok, detail);
            }
            Ok(None) => {
                stages = Some(0);
                r.push("config", "stages", Status::Ok, "no stages declared");
            }
            Err(e) => {
                let hint = e.hint().unwrap_or_else(|| {
                    "fix the stage at the line and column shown (mlx dag checks it again)".into()
                });
                r.push_hinted("config", "stages", Status::Fail, e.to_string(), hint);
            }
        }
    }
    let config = shared.unwrap_or_default().merged_with(local.unwrap_or_default());
    r.config = Some(ConfigFacts { files, stages, default_remote: config.core.remote.clone() });
    config
}

fn has_secrets(config: &Config) -> bool {
    config.remotes.values().any(|rc| {
        rc.access_key_id.is_some()
            || rc.secret_access_key.is_some()
            || rc.session_token.is_some()
            || rc.password.is_some()
            || rc.url.as_deref().is_some_and(url::has_password)
    })
}

// ---------------------------------------------------------------------------------------------
// cache

fn check_cache(r: &mut DoctorReport, root: &Path, config: &Config) {
    let default_dir = root.join(MLX_DIR).join("cache");
    let dir = config.cache.dir.as_ref().map_or_else(|| default_dir.clone(), |d| root.join(d));
    let shared = config.cache.dir.is_some() && !same_path(&dir, &default_dir);
    let configured: Vec<LinkType> = match &config.cache.link_types {
        Some(types) if !types.is_empty() => types.clone(),
        _ => DEFAULT_TYPES.to_vec(),
    };
    let explicit = config.cache.link_types.is_some();
    let mut facts = CacheFacts {
        dir: dir.display().to_string(),
        shared,
        exists: dir.is_dir(),
        same_filesystem: true,
        objects: 0,
        bytes: 0,
        stray_temp: 0,
        quarantined: 0,
        configured_types: configured.clone(),
        link_types: Vec::new(),
        picked: None,
    };
    let location = if shared {
        format!("{} (shared, set by [cache] dir)", dir.display())
    } else {
        shown(root, &dir)
    };
    if !facts.exists && (shared || dir.exists()) {
        let detail = if dir.exists() {
            format!("{} is not a folder", dir.display())
        } else {
            format!("{} does not exist", dir.display())
        };
        r.push_hinted(
            "cache",
            "location",
            Status::Fail,
            detail,
            "create it, or fix [cache] dir in .mlx/config.local.toml",
        );
        r.cache = Some(facts);
        return;
    }
    r.push("cache", "location", Status::Ok, location);

    // Objects and leftovers: one directory listing, one stat per object.
    let listing = list_cache(&dir);
    facts.objects = listing.objects;
    facts.bytes = listing.bytes;
    facts.stray_temp = listing.stray_temp;
    facts.quarantined = listing.quarantined;
    match &listing.error {
        Some(e) => r.push_hinted(
            "cache",
            "objects",
            Status::Fail,
            format!("cannot list the cache: {e}"),
            "check the folder's permissions",
        ),
        None => r.push(
            "cache",
            "objects",
            Status::Ok,
            format!(
                "{} object{}, {}",
                listing.objects,
                plural(listing.objects),
                human_size(listing.bytes)
            ),
        ),
    }
    if listing.stray_temp == 0 {
        r.push("cache", "temp files", Status::Ok, "none left behind");
    } else {
        r.push_hinted(
            "cache",
            "temp files",
            Status::Warn,
            format!(
                "{} left by processes that no longer run",
                count(listing.stray_temp, "temp file or folder", "temp files or folders")
            ),
            "they are removed by the next mlx gc or mlx cache verify",
        );
    }
    if listing.quarantined == 0 {
        r.push("cache", "quarantine", Status::Ok, "empty");
    } else {
        r.push_hinted(
            "cache",
            "quarantine",
            Status::Warn,
            format!(
                "{} found corrupt, kept in quarantine/ for inspection",
                count(listing.quarantined, "object", "objects")
            ),
            "mlx status lists the data they belonged to; delete quarantine/ once done",
        );
    }

    // Placing objects in the workspace needs the same filesystem for reflinks and hardlinks.
    let same_fs = match (std::fs::metadata(&dir), std::fs::metadata(root)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => true,
    };
    facts.same_filesystem = same_fs;
    let mut probes = probe_link_types(&dir);
    if !same_fs {
        for p in &mut probes {
            if matches!(p.link_type, LinkType::Reflink | LinkType::Hardlink) && p.works {
                p.works = false;
                p.error = Some("the cache is on another filesystem than the workspace".into());
            }
        }
        r.push_hinted(
            "cache",
            "filesystem",
            Status::Warn,
            "the cache is on another filesystem than the workspace: no hardlinks or reflinks",
            "objects are copied into the workspace; a cache on the same filesystem ([cache] dir) \
             can link them instead",
        );
    }
    for p in &probes {
        let name = p.link_type.as_str();
        if p.works {
            r.push("cache", name, Status::Ok, "works");
            continue;
        }
        let error = p.error.clone().unwrap_or_default();
        if p.link_type == LinkType::Copy {
            r.push_hinted(
                "cache",
                name,
                Status::Fail,
                format!("fails: {error}"),
                "mlx cannot write in the cache: check the folder's permissions and free space",
            );
        } else if explicit && configured.contains(&p.link_type) {
            r.push_hinted(
                "cache",
                name,
                Status::Warn,
                format!("fails: {error} (listed in [cache] type)"),
                "mlx falls back to the next type; list only types this filesystem supports",
            );
        } else {
            r.push("cache", name, Status::Ok, format!("fails: {error}"));
        }
    }
    let works = |t: LinkType| probes.iter().any(|p| p.link_type == t && p.works);
    // The linker falls back to a copy when no listed type works.
    let picked = configured.iter().copied().find(|t| works(*t)).unwrap_or(LinkType::Copy);
    facts.picked = works(picked).then_some(picked);
    let list = configured.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
    let source = if explicit { "[cache] type" } else { "the default" };
    if !works(picked) {
        r.push_hinted(
            "cache",
            "link type",
            Status::Fail,
            format!("none of {list} ({source}) works here"),
            "mlx cannot place data in the workspace: check the cache folder",
        );
    } else if picked == LinkType::Copy && works(LinkType::Hardlink) {
        r.push_hinted(
            "cache",
            "link type",
            Status::Warn,
            format!(
                "copy, from {list} ({source}): every file is stored twice, while hardlinks work here"
            ),
            "to save the space, set type = [\"hardlink\", \"copy\"] under [cache] in mlx.toml \
             (docs/cache.md explains how hardlinked data is protected)",
        );
    } else {
        r.push(
            "cache",
            "link type",
            Status::Ok,
            format!("{}, from {list} ({source})", picked.as_str()),
        );
    }
    facts.link_types = probes;
    r.cache = Some(facts);
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[derive(Default)]
struct CacheListing {
    objects: u64,
    bytes: u64,
    stray_temp: u64,
    quarantined: u64,
    error: Option<String>,
}

/// Count objects and leftovers without touching them (unlike `Cache::list`, which removes dead
/// processes' temp files as it goes).
fn list_cache(dir: &Path) -> CacheListing {
    let mut out = CacheListing::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.error = Some(format!("{}: {e}", dir.display()));
            return out;
        }
    };
    for shard in entries.flatten() {
        let name = shard.file_name();
        let Some(name) = name.to_str() else { continue };
        if !shard.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        match name {
            "tmp" => {
                for entry in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
                    let pid = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok());
                    if !pid.is_some_and(process_alive) {
                        out.stray_temp += 1;
                    }
                }
            }
            "quarantine" => {
                out.quarantined =
                    std::fs::read_dir(shard.path()).map_or(0, |d| d.flatten().count() as u64);
            }
            prefix if prefix.len() == 2 => {
                let objects = match std::fs::read_dir(shard.path()) {
                    Ok(d) => d,
                    Err(e) => {
                        out.error = Some(format!("{}: {e}", shard.path().display()));
                        continue;
                    }
                };
                for obj in objects.flatten() {
                    let Some(rest) = obj.file_name().to_str().map(str::to_owned) else { continue };
                    if ObjectId::from_hex(&format!("{prefix}{rest}")).is_ok() {
                        out.objects += 1;
                        out.bytes += obj.metadata().map_or(0, |m| m.len());
                    } else if let Some(pid) = rest
                        .strip_prefix(".tmp-")
                        .and_then(|r| r.split('-').next())
                        .and_then(|p| p.parse::<i32>().ok())
                        && !process_alive(pid)
                    {
                        out.stray_temp += 1;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn process_alive(pid: i32) -> bool {
    pid == i32::try_from(std::process::id()).unwrap_or(-1)
        || Path::new("/proc").join(pid.to_string()).exists()
}

/// Try each link type in `<cache>/tmp/<pid>/doctor/` (the temp area of this process, which
/// other mlx processes leave alone), then remove everything made.
fn probe_link_types(cache: &Path) -> Vec<LinkProbe> {
    let tmp_root = cache.join("tmp");
    let had_tmp_root = tmp_root.exists();
    let own = tmp_root.join(std::process::id().to_string());
    let had_own = own.exists();
    let dir = own.join("doctor");
    let setup = (|| -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&dir)?;
        let object = dir.join("object");
        let data = b"mlx doctor link probe\n";
        // Read-only, like a real object.
        std::fs::write(&object, data)?;
        std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o444))?;
        Ok(object)
    })();
    let probes = LinkType::ALL
        .iter()
        .map(|&t| match &setup {
            Err(e) => LinkProbe { link_type: t, works: false, error: Some(e.to_string()) },
            Ok(object) => {
                let dest = dir.join(t.as_str());
                let result = link::link_as(t, object, &dest, false);
                let _ = std::fs::remove_file(&dest);
                LinkProbe {
                    link_type: t,
                    works: result.is_ok(),
                    error: result.err().map(|e| e.to_string()),
                }
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    if !had_own {
        let _ = std::fs::remove_dir(&own);
    }
    if !had_tmp_root {
        let _ = std::fs::remove_dir(&tmp_root);
    }
    probes
}

// ---------------------------------------------------------------------------------------------
// database

fn check_database(r: &mut DoctorReport, root: &Path) {
    let path = root.join(MLX_DIR).join(DB_FILE);
    let rel = Path::new(MLX_DIR).join(DB_FILE).display().to_string();
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let mut facts = DatabaseFacts {
        path: path.display().to_string(),
        exists: path.is_file(),
        size_bytes: std::fs::metadata(&path).map_or(0, |m| m.len()),
        wal_bytes: std::fs::metadata(&wal).map_or(0, |m| m.len()),
        integrity: None,
        schema_version: None,
        known_schema_version: tracking::db::SCHEMA_VERSION,
        journal_mode: None,
        runs: None,
    };
    const REBUILD: &str = "move .mlx/mlx.db (with mlx.db-wal and mlx.db-shm) aside and run \
                           mlx init for a new one; runs pushed with mlx push --runs come back \
                           with mlx fetch --runs";
    if !facts.exists {
        r.push_hinted(
            "database",
            "file",
            Status::Fail,
            format!("{rel} does not exist"),
            "create it: mlx init",
        );
        r.database = Some(facts);
        return;
    }
    r.push(
        "database",
        "file",
        Status::Ok,
        format!(
            "{rel}, {} (write-ahead log {})",
            human_size(facts.size_bytes),
            human_size(facts.wal_bytes)
        ),
    );
    // The file header: SQLite's magic string, and the journal mode (bytes 18 and 19 are 2 in
    // WAL mode; `PRAGMA journal_mode` would count as a write on a read-only connection). A
    // damaged header can go unnoticed by SQLite while the write-ahead log still holds page 1.
    let mut header = Vec::with_capacity(100);
    let read = std::fs::File::open(&path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 100), &mut header));
    let header = match read {
        Ok(_) => header,
        Err(e) => {
            r.push_hinted("database", "integrity", Status::Fail, format!("{rel}: {e}"), REBUILD);
            r.database = Some(facts);
            return;
        }
    };
    if !header.is_empty() && !header.starts_with(b"SQLite format 3\0") {
        r.push_hinted(
            "database",
            "integrity",
            Status::Fail,
            format!("{rel} is not an SQLite database: its header is damaged"),
            REBUILD,
        );
        r.database = Some(facts);
        return;
    }
    let conn = match tracking::sql::open_read_only(&path) {
        Ok(conn) => conn,
        Err(e) => {
            r.push_hinted("database", "integrity", Status::Fail, e.to_string(), REBUILD);
            r.database = Some(facts);
            return;
        }
    };
    let rows = |sql: &str| -> Result<Vec<Vec<Cell>>, String> {
        tracking::sql::query(&conn, sql).map(|q| q.rows).map_err(|e| e.to_string())
    };
    let first = |rows: Vec<Vec<Cell>>| rows.into_iter().next().and_then(|r| r.into_iter().next());
    match rows("PRAGMA quick_check") {
        Err(e) => {
            r.push_hinted("database", "integrity", Status::Fail, e, REBUILD);
            r.database = Some(facts);
            return;
        }
        Ok(found) => {
            let lines: Vec<String> =
                found.iter().filter_map(|row| row.first()).map(Cell::display).collect();
            if lines == ["ok"] {
                facts.integrity = Some("ok".into());
                r.push("database", "integrity", Status::Ok, "ok (PRAGMA quick_check)");
            } else {
                let shown: Vec<&str> = lines.iter().take(3).map(String::as_str).collect();
                let more = if lines.len() > 3 {
                    format!(" (and {} more)", lines.len() - 3)
                } else {
                    String::new()
                };
                facts.integrity = Some(lines.join("\n"));
                r.push_hinted(
                    "database",
                    "integrity",
                    Status::Fail,
                    format!("{}{more}", shown.join("; ")),
                    REBUILD,
                );
            }
        }
    }
    let known = tracking::db::SCHEMA_VERSION;
    match rows("PRAGMA user_version").map(first) {
        Ok(Some(Cell::Integer(v))) => {
            facts.schema_version = Some(v);
            if v == known {
                r.push(
                    "database",
                    "schema",
                    Status::Ok,
                    format!("version {v}, as this mlx writes"),
                );
            } else if v < known {
                r.push(
                    "database",
                    "schema",
                    Status::Ok,
                    format!("version {v}; the next mlx command upgrades it to {known}"),
                );
            } else {
                r.push_hinted(
                    "database",
                    "schema",
                    Status::Fail,
                    format!("version {v}, newer than this mlx knows ({known})"),
                    "upgrade mlx",
                );
            }
        }
        Ok(other) => r.push_hinted(
            "database",
            "schema",
            Status::Fail,
            format!("unexpected user_version: {}", other.map(|c| c.display()).unwrap_or_default()),
            REBUILD,
        ),
        Err(e) => r.push_hinted("database", "schema", Status::Fail, e, REBUILD),
    }
    if header.len() >= 20 && header[18] == 2 && header[19] == 2 {
        facts.journal_mode = Some("wal".into());
        r.push("database", "journal", Status::Ok, "wal (concurrent writers are safe)");
    } else if header.len() >= 20 {
        facts.journal_mode = Some("rollback".into());
        r.push_hinted(
            "database",
            "journal",
            Status::Warn,
            "rollback journal, not wal",
            "the next mlx command that opens the database switches it to wal",
        );
    }
    if facts.schema_version.is_some_and(|v| v >= 2) {
        match rows("SELECT count(*) FROM runs").map(first) {
            Ok(Some(Cell::Integer(n))) => {
                let n = u64::try_from(n).unwrap_or(0);
                facts.runs = Some(n);
                r.push("database", "runs", Status::Ok, count(n, "run", "runs"));
            }
            Ok(_) => {
                r.push_hinted("database", "runs", Status::Fail, "cannot count the runs", REBUILD);
            }
            Err(e) => r.push_hinted("database", "runs", Status::Fail, e, REBUILD),
        }
    }
    r.database = Some(facts);
}

// ---------------------------------------------------------------------------------------------
// remotes

fn check_remotes(r: &mut DoctorReport, root: &Path, config: &Config, opts: &DoctorOptions) {
    let default = config.core.remote.as_deref();
    if let Some(name) = default
        && !config.remotes.contains_key(name)
    {
        r.push_hinted(
            "remotes",
            "default",
            Status::Fail,
            format!("[core] remote names `{name}`, which is not configured"),
            "choose another default: mlx remote default NAME, or add it: mlx remote add NAME URL",
        );
    }
    if config.remotes.is_empty() {
        r.push(
            "remotes",
            "remotes",
            Status::Ok,
            "none configured (optional: mlx remote add NAME URL)",
        );
        return;
    }
    // Start every check first, so they run side by side under one deadline.
    let (tx, rx) = mpsc::channel();
    let mut pending: BTreeSet<String> = BTreeSet::new();
    let mut facts: Vec<(RemoteFacts, Option<Check>)> = Vec::new();
    for (name, cfg) in &config.remotes {
        let location = cfg.url.as_deref().map(url::parse);
        let mut f = RemoteFacts {
            name: name.clone(),
            url: cfg.url.as_deref().map(url::redact),
            kind: match &location {
                Some(Ok(l)) => Some(l.kind()),
                _ => None,
            },
            default: default == Some(name.as_str()),
            credentials: credentials(cfg, location.as_ref().and_then(|l| l.as_ref().ok())),
            reachable: None,
            error: None,
        };
        let failed = match &location {
            None => {
                Some(("no url".to_owned(), format!("set one: mlx remote modify {name} url URL")))
            }
            Some(Err(e)) => {
                Some((e.to_string(), format!("fix it: mlx remote modify {name} url URL")))
            }
            Some(Ok(_)) => None,
        };
        if let Some((detail, hint)) = failed {
            f.error = Some(detail.clone());
            let check = Check {
                section: "remotes",
                name: name.clone(),
                status: Status::Fail,
                detail: describe(&f, &detail),
                hint: Some(hint),
            };
            facts.push((f, Some(check)));
            continue;
        }
        if opts.check_remotes {
            let (tx, root, name, cfg) = (tx.clone(), root.to_path_buf(), name.clone(), cfg.clone());
            pending.insert(name.clone());
            std::thread::spawn(move || {
                let result = Remote::open(&root, &name, &cfg).and_then(|remote| remote.check());
                let _ = tx.send((name, result));
            });
        }
        facts.push((f, None));
    }
    drop(tx);
    let deadline = Instant::now() + opts.remote_timeout;
    let mut results = BTreeMap::new();
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((name, result)) => {
                pending.remove(&name);
                results.insert(name, result);
            }
            // Threads still running are left behind: they end with the process.
            Err(_) => break,
        }
    }
    for (mut f, check) in facts {
        if let Some(check) = check {
            r.checks.push(check);
            r.remotes.push(f);
            continue;
        }
        let (status, detail, hint) = if !opts.check_remotes {
            (Status::Ok, describe(&f, "not checked (--no-remotes)"), None)
        } else {
            match results.remove(&f.name) {
                Some(Ok(())) => {
                    f.reachable = Some(true);
                    (Status::Ok, describe(&f, "reachable"), None)
                }
                Some(Err(e)) => {
                    f.reachable = Some(false);
                    f.error = Some(e.to_string());
                    let hint = e.hint().unwrap_or_else(|| {
                        format!(
                            "check its settings: mlx remote list; mlx remote modify {} KEY VALUE",
                            f.name
                        )
                    });
                    (Status::Fail, describe(&f, &short_error(&e)), Some(hint))
                }
                None => {
                    f.reachable = Some(false);
                    let secs = opts.remote_timeout.as_secs_f64();
                    let error = format!("timed out after {secs:.0} s");
                    f.error = Some(error.clone());
                    (
                        Status::Fail,
                        describe(&f, &error),
                        Some(
                            "check the network and the endpoint (mlx push and fetch retry \
                             longer), or skip remotes: mlx doctor --no-remotes"
                                .into(),
                        ),
                    )
                }
            }
        };
        r.checks.push(Check { section: "remotes", name: f.name.clone(), status, detail, hint });
        r.remotes.push(f);
    }
}

/// A remote error without the `remote 'NAME' (URL): ` the check line already shows.
fn short_error(e: &crate::remote::Error) -> String {
    use crate::remote::Error as E;
    match e {
        E::AccessDenied { detail, .. } => format!("access denied: {detail}"),
        E::Missing { detail, .. } | E::Unreachable { detail, .. } => detail.clone(),
        E::Config { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// `URL (default); credentials: SOURCE; OUTCOME`.
fn describe(f: &RemoteFacts, outcome: &str) -> String {
    let url = f.url.as_deref().unwrap_or("(no url)");
    let default = if f.default { " (default)" } else { "" };
    format!("{url}{default}; credentials: {}; {outcome}", f.credentials)
}

/// Where a remote's credentials come from, in general terms. Never a value.
fn credentials(cfg: &RemoteConfig, location: Option<&Location>) -> String {
    let env = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    match location {
        None => "unknown".into(),
        Some(Location::Local { .. }) => "none needed".into(),
        Some(Location::S3 { .. }) => {
            if cfg.access_key_id.is_some() || cfg.secret_access_key.is_some() {
                "config.local.toml".into()
            } else if env("AWS_ACCESS_KEY_ID") {
                "environment (AWS_ACCESS_KEY_ID)".into()
            } else if let Some(profile) = &cfg.profile {
                format!("profile {profile}")
            } else if let Some(profile) =
                std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty())
            {
                format!("profile {profile} (AWS_PROFILE)")
            } else {
                "default chain (~/.aws files, web identity, instance metadata)".into()
            }
        }
        Some(Location::Webdav { user, password, .. } | Location::Http { user, password, .. }) => {
            if cfg.password.is_some() {
                "config.local.toml".into()
            } else if password.is_some() {
                "the URL in config.local.toml".into()
            } else if cfg.user.is_some() || user.is_some() {
                "a user name without password".into()
            } else {
                "none (anonymous)".into()
            }
        }
        Some(Location::Gcs { .. }) => {
            if env("GOOGLE_APPLICATION_CREDENTIALS") {
                "environment (GOOGLE_APPLICATION_CREDENTIALS)".into()
            } else {
                "default chain (application default credentials)".into()
            }
        }
        Some(Location::Azure { .. }) => {
            if cfg.password.is_some() {
                "config.local.toml".into()
            } else {
                "default chain (environment, managed identity)".into()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// A path for messages: relative to the root when inside it.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
