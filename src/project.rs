//! Finding a project: the enclosing git work tree and its `.mlx/` folder, with `mlx.toml` and
//! `.mlx/config.local.toml` loaded. Owns the paths of everything mlx keeps per clone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{self, Config};
use crate::git;
use crate::lock::{self, RepoLock, RunLock};
use crate::progress::Reporter;
use crate::store::{Cache, Linker};
use crate::tracking;
use crate::work_tree::WorkTree;

pub const MLX_DIR: &str = ".mlx";
pub const DB_FILE: &str = "mlx.db";
pub const LOCK_FILE: &str = "lock";
/// The run lock (see `lock::acquire_run`).
pub const RUN_LOCK_FILE: &str = "run.lock";
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Git(#[from] git::Error),
    #[error("{root} is not an mlx project (no .mlx/ folder at the repository root)")]
    NotInitialized { root: PathBuf },
    #[error(transparent)]
    Config(#[from] config::Error),
}

pub struct Project {
    root: PathBuf,
    config: Config,
    cache: Cache,
    linker: Linker,
    /// How big files are placed, when `[cache] protect_big_files` applies.
    big_linker: Option<Linker>,
    work_tree: WorkTree,
    /// `.mlx/mlx.db`, or the main project's for an experiment's isolated workspace.
    db_path: PathBuf,
    /// `.mlx/lock`, or the main project's for an experiment's isolated workspace.
    lock_path: PathBuf,
    /// Where this work tree's stat-cache rows live in the database (see `StatCache`).
    stat_scope: Vec<u8>,
}

impl Project {
    /// Find the project enclosing `start` (a canonical folder).
    pub fn discover(start: &Path) -> Result<Self, Error> {
        let root = git::discover_workdir(start)?;
        if !root.join(MLX_DIR).is_dir() {
            return Err(Error::NotInitialized { root });
        }
        Self::open(root)
    }

    /// Open the project at a known root.
    pub fn open(root: PathBuf) -> Result<Self, Error> {
        let shared =
            Config::read_shared(&root.join(config::PROJECT_FILE), Path::new(config::PROJECT_FILE))?;
        let local_rel = Path::new(MLX_DIR).join(config::LOCAL_FILE);
        let local = Config::read(&root.join(&local_rel), &local_rel)?;
        let config = shared.merged_with(local);
        let cache_dir = cache_dir(&root, &config);
        let linker = Linker::new(config.cache.link_types.as_deref().unwrap_or(&[]));
        // Temp files for the work tree go to `.mlx/tmp/PID/`, out of the user's way.
        crate::fs_util::stage_in(&root.join(MLX_DIR));
        let work_tree = WorkTree::new(&root);
        let db_path = root.join(MLX_DIR).join(DB_FILE);
        let lock_path = root.join(MLX_DIR).join(LOCK_FILE);
        let mut cache = Cache::new(cache_dir);
        cache.set_chunking(config.cache.chunking_threshold());
        let big_linker = big_file_linker(&config);
        let project = Project {
            cache,
            linker,
            big_linker,
            config,
            root,
            work_tree,
            db_path,
            lock_path,
            stat_scope: Vec::new(),
        };
        project.clean_leftovers();
        Ok(project)
    }

    /// Open an experiment's isolated workspace at `root` (a linked git worktree) as a project
    /// that shares `main`'s cache, database and lock: its runs, outputs and run cache are the
    /// main project's, and storing its outputs never interleaves with `main`'s gc or checkout.
    pub fn open_variant(root: PathBuf, main: &Project, name: &str) -> Result<Self, Error> {
        let mut project = Self::open(root)?;
        project.stat_scope = Self::variant_stat_scope(name);
        project.cache = Cache::new(main.cache.dir().to_path_buf());
        project.cache.set_chunking(main.cache.chunk_threshold());
        project.db_path.clone_from(&main.db_path);
        project.lock_path.clone_from(&main.lock_path);
        Ok(project)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn mlx_dir(&self) -> PathBuf {
        self.root.join(MLX_DIR)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn linker(&self) -> &Linker {
        &self.linker
    }

    /// How a file of `size` bytes is placed in the workspace: big files (see
    /// `[cache] protect_big_files`) as read-only hardlinks where no reflink can be made.
    pub fn linker_for(&self, size: u64) -> &Linker {
        match &self.big_linker {
            Some(big) if size >= self.config.cache.big_file_size() => big,
            _ => &self.linker,
        }
    }

    /// The gate every write into the work tree passes.
    pub fn work_tree(&self) -> &WorkTree {
        &self.work_tree
    }

    /// The folder of locks every work tree of the project shares (the main project's
    /// `.mlx/locks`, also for an experiment's isolated workspace).
    pub fn shared_locks_dir(&self) -> PathBuf {
        self.lock_path.parent().map_or_else(|| self.mlx_dir(), Path::to_path_buf).join("locks")
    }

    /// The stat-cache scope of the isolated workspace of experiment `name`.
    pub fn variant_stat_scope(name: &str) -> Vec<u8> {
        let mut scope = vec![0];
        scope.extend_from_slice(b"exp/");
        scope.extend_from_slice(name.as_bytes());
        scope.push(b'/');
        scope
    }

    /// This work tree's stat cache (its own rows of the database's).
    pub fn stat_cache(
        &self,
        conn: &rusqlite::Connection,
        rows: crate::store::stat_cache::Rows,
    ) -> Result<crate::store::StatCache, tracking::Error> {
        crate::store::StatCache::load_scoped(conn, rows, &self.stat_scope)
    }

    pub fn open_db(&self) -> Result<rusqlite::Connection, tracking::Error> {
        tracking::db::open(&self.db_path)
    }

    /// Take the project lock for a mutating command. `MLX_LOCK_TIMEOUT` (seconds) overrides
    /// `[core] lock_timeout`.
    pub fn lock(&self, reporter: &dyn Reporter) -> Result<RepoLock, lock::Error> {
        let timeout = std::env::var("MLX_LOCK_TIMEOUT")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .or(self.config.core.lock_timeout)
            .map_or(DEFAULT_LOCK_TIMEOUT, Duration::from_secs);
        let lock = lock::acquire(&self.lock_path, timeout, reporter)?;
        // A command may have died since this one opened the project.
        self.clean_leftovers();
        Ok(lock)
    }

    /// Take the run lock for a whole `mlx run`: alone when the run changes params files
    /// (`--set`), else shared with other runs. Waits without a timeout.
    pub fn run_lock(
        &self,
        exclusive: bool,
        reporter: &dyn Reporter,
    ) -> Result<RunLock, lock::Error> {
        lock::acquire_run(&self.mlx_dir().join(RUN_LOCK_FILE), exclusive, reporter)
    }

    /// Remove what killed mlx processes left in the cache's and the work tree's staging folders.
    /// Only folders of processes that no longer run are touched, so this needs no lock: every
    /// command does it when it opens the project (a few directory reads).
    fn clean_leftovers(&self) {
        let _ = self.cache.clean_stale_tmp();
        let _ = crate::leftovers::clean_staging(&self.mlx_dir());
        // Experiment workspaces of killed `mlx exp run`s (a directory read when there are none).
        let _ = crate::experiments::workspace::clean_stale(self);
    }
}

impl Drop for Project {
    /// This process's staging folder goes when it is empty (a finished command leaves nothing).
    fn drop(&mut self) {
        crate::fs_util::release_staging();
    }
}

/// The cache folder of the project at `root` when nothing else is configured: `.mlx/cache`.
pub fn default_cache_dir(root: &Path) -> PathBuf {
    root.join(MLX_DIR).join("cache")
}

/// The cache folder `config` gives the project at `root`: `[cache] dir` (relative to the root),
/// else [`default_cache_dir`].
/// Big files are placed as reflinks, else read-only hardlinks (one write of their bytes, in
/// the cache), else copies; unless `[cache] type` is set or `protect_big_files = false`.
fn big_file_linker(config: &Config) -> Option<Linker> {
    use crate::store::LinkType;
    (config.cache.link_types.is_none() && config.cache.protect_big_files != Some(false))
        .then(|| Linker::new(&[LinkType::Reflink, LinkType::Hardlink, LinkType::Copy]))
}

pub fn cache_dir(root: &Path, config: &Config) -> PathBuf {
    config.cache.dir.as_ref().map_or_else(|| default_cache_dir(root), |d| root.join(d))
}
