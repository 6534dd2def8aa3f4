//! Opens `.mlx/mlx.db` (WAL, busy timeout, foreign keys) and applies forward migrations keyed on
//! `PRAGMA user_version`. The only place that opens SQLite.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "database {path} has schema version {found}, newer than this mlx knows ({known}); upgrade mlx"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("no run matches {prefix:?}")]
    UnknownRun { prefix: String },
    #[error("{prefix:?} matches several runs ({}); type more of the id", candidates.join(", "))]
    AmbiguousRun { prefix: String, candidates: Vec<String> },
    #[error("no run to log to: run this inside `mlx run`, or name one with --run ID")]
    NoCurrentRun,
    #[error("no experiment or run matches {text:?}{}", .closest.as_ref().map(|c| format!("; did you mean {c}?")).unwrap_or_default())]
    UnknownExperiment { text: String, closest: Option<String> },
    #[error("{text:?} matches several experiments and runs ({}); type more of the id", candidates.join(", "))]
    AmbiguousExperiment { text: String, candidates: Vec<String> },
    #[error("an experiment named {name:?} exists already ({id})")]
    NameTaken { name: String, id: String },
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Whether the user's input is at fault (exit 2) rather than the database (exit 3).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Error::UnknownRun { .. }
                | Error::AmbiguousRun { .. }
                | Error::NoCurrentRun
                | Error::UnknownExperiment { .. }
                | Error::AmbiguousExperiment { .. }
                | Error::NameTaken { .. }
                | Error::Invalid(_)
                | Error::TooNew { .. }
        )
    }
}

/// Each entry upgrades the schema by one version; index + 1 is the version it produces.
const MIGRATIONS: &[&str] = &[
    // 1: stat cache for workspace files and for cache objects.
    "CREATE TABLE stat_cache (
        path     BLOB PRIMARY KEY,   -- path relative to the project root, raw bytes
        size     INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode    INTEGER NOT NULL,
        hash     TEXT NOT NULL       -- BLAKE3, 64 hex digits
    ) WITHOUT ROWID;
    CREATE TABLE object_stat (
        hash     TEXT PRIMARY KEY,   -- a cache object that was verified when written or read
        size     INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode    INTEGER NOT NULL
    ) WITHOUT ROWID;",
    // 2: experiment tracking.
    "CREATE TABLE runs (
        id            TEXT PRIMARY KEY,  -- sortable run id: 12 base32 characters, time first
        name          TEXT,
        command       TEXT NOT NULL,     -- JSON array of the arguments
        cwd           TEXT NOT NULL,     -- working folder, relative to the project root
        git_commit    TEXT,              -- full SHA of HEAD; NULL before the first commit
        git_branch    TEXT,              -- NULL on a detached HEAD
        git_dirty     INTEGER NOT NULL,  -- 1 when tracked files differed from HEAD
        git_diff_hash TEXT,              -- BLAKE3 of the uncommitted diff, when dirty
        status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
        exit_code     INTEGER,
        start_time    TEXT NOT NULL,     -- RFC 3339 UTC, milliseconds
        end_time      TEXT,
        duration      REAL,              -- seconds
        host          TEXT NOT NULL,
        user          TEXT NOT NULL,
        pid           INTEGER,           -- of the recording mlx process, while running
        mlx_version   TEXT NOT NULL
    );
    CREATE INDEX runs_start ON runs (start_time);
    CREATE INDEX runs_commit ON runs (git_commit);
    CREATE TABLE params (
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        value     TEXT NOT NULL,         -- as given
        value_num REAL,                  -- the value as a number, when it is one
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX params_key ON params (key, value_num);
    CREATE TABLE tags (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE metrics (
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        step      INTEGER NOT NULL,
        value     REAL,                  -- NULL stands for NaN (SQLite has no NaN)
        timestamp INTEGER NOT NULL       -- milliseconds since the Unix epoch
    );
    CREATE INDEX metrics_run_key ON metrics (run_id, key, step);
    CREATE TABLE latest_metrics (        -- per run and key: the point with the highest step
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        step      INTEGER NOT NULL,
        value     REAL,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX latest_metrics_key ON latest_metrics (key, value);
    CREATE TABLE artifacts (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        path   TEXT NOT NULL,            -- name within the run (project-relative for files)
        kind   TEXT NOT NULL CHECK (kind IN ('file', 'directory', 'log')),
        hash   TEXT NOT NULL,            -- cache object (a manifest for directories)
        size   INTEGER NOT NULL,
        PRIMARY KEY (run_id, path)
    ) WITHOUT ROWID;",
    // 3: pipelines.
    "ALTER TABLE runs ADD COLUMN stage TEXT;         -- the pipeline stage this run executed
    ALTER TABLE runs ADD COLUMN pipeline_run TEXT;  -- shared by the stages of one `mlx run`
    CREATE INDEX runs_stage ON runs (stage);
    CREATE TABLE run_cache (
        fingerprint TEXT PRIMARY KEY,  -- BLAKE3 of the stage's cmd, deps, params and out paths
        stage       TEXT NOT NULL,
        outs        TEXT NOT NULL,     -- JSON: the outputs it produced, with their hashes
        run_id      TEXT,              -- the run that produced them
        created     TEXT NOT NULL      -- RFC 3339 UTC
    ) WITHOUT ROWID;",
    // 4: run records shared through remotes (`mlx push --runs`, `mlx fetch --runs`).
    "CREATE TABLE run_records (  -- records pushed from or merged into this database
        name   TEXT PRIMARY KEY,  -- object name on the remote: runs/<run id>/<hash>.json
        run_id TEXT NOT NULL,     -- the run it holds (not a foreign key: runs can be deleted)
        seen   TEXT NOT NULL      -- RFC 3339 UTC, when first pushed or merged
    ) WITHOUT ROWID;",
    // 5: the process group a running run's command leads, to stop it if mlx dies.
    "ALTER TABLE runs ADD COLUMN pgid INTEGER;        -- while running: the command's group
    ALTER TABLE runs ADD COLUMN pgid_start INTEGER;  -- its leader's start time (clock ticks)",
    // 6: experiments: one `mlx run` of the pipeline, or one `mlx run -- CMD`, grouping its runs.
    // Existing runs are grouped by `pipeline_run` (a command run is its own experiment) by
    // `experiments::backfill` right after this.
    "CREATE TABLE experiments (
        id         TEXT PRIMARY KEY,  -- sortable, like run ids; a pipeline's runs share it
        name       TEXT NOT NULL UNIQUE,
        kind       TEXT NOT NULL CHECK (kind IN ('pipeline', 'command')),
        git_commit TEXT,              -- full SHA of HEAD when it started
        git_branch TEXT,
        git_dirty  INTEGER NOT NULL,  -- 1 when tracked files differed from HEAD
        status     TEXT NOT NULL
                   CHECK (status IN ('queued', 'running', 'finished', 'failed', 'killed')),
        created    TEXT NOT NULL,     -- RFC 3339 UTC, milliseconds
        started    TEXT,
        ended      TEXT,
        overrides  TEXT NOT NULL DEFAULT '[]',  -- JSON list of the `--set` overrides
        lock_hash  TEXT,              -- BLAKE3 of the mlx.lock text right after it
        workspace  TEXT,              -- NULL: the user's work tree
        host       TEXT NOT NULL,
        user       TEXT NOT NULL,
        pid        INTEGER            -- of the recording mlx process, while running
    );
    CREATE INDEX experiments_lock ON experiments (lock_hash);
    CREATE INDEX experiments_commit ON experiments (git_commit);
    CREATE TABLE experiment_stages (  -- per stage of the pipeline: the run behind its results
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        stage         TEXT NOT NULL,
        outcome       TEXT NOT NULL,  -- ran, restored, up_to_date, failed, killed, skipped, not_run
        run_id        TEXT,           -- NULL when no run known here made its mlx.lock entry
        entry_hash    TEXT,           -- BLAKE3 of its mlx.lock entry after the experiment
        PRIMARY KEY (experiment_id, stage)
    ) WITHOUT ROWID;
    CREATE INDEX experiment_stages_entry ON experiment_stages (stage, entry_hash);
    CREATE INDEX experiment_stages_run ON experiment_stages (run_id);
    ALTER TABLE runs ADD COLUMN experiment_id TEXT
        REFERENCES experiments (id) ON DELETE SET NULL;
    CREATE INDEX runs_experiment ON runs (experiment_id);
    -- The runs whose params and metrics an experiment shows: its own, and those it names per stage.
    CREATE VIEW experiment_runs (experiment_id, stage, run_id) AS
        SELECT experiment_id, stage, id FROM runs WHERE experiment_id IS NOT NULL
        UNION
        SELECT experiment_id, stage, run_id FROM experiment_stages WHERE run_id IS NOT NULL;",
    // 7: what each run read (provenance): stage deps, or the tracked data at the start of
    // `mlx run -- CMD`, with their hashes.
    "CREATE TABLE run_inputs (
        run_id       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        path         TEXT NOT NULL,   -- relative to the project root
        kind         TEXT NOT NULL CHECK (kind IN ('dep', 'data')),
        hash         TEXT,            -- BLAKE3 of the content read (folders: their manifest); NULL when missing
        size         INTEGER,
        files        INTEGER,         -- folders: how many files
        pointer_hash TEXT,            -- the hash its PATH.mlx names, when mlx add tracks it
        PRIMARY KEY (run_id, path)
    ) WITHOUT ROWID;",
    // 8: the git commit holding an experiment's resulting state (`mlx exp apply`, `exp branch`).
    "ALTER TABLE experiments ADD COLUMN result_commit TEXT;  -- kept alive by refs/mlx/exps/<id>",
    // 9: how many points each history holds, and long histories kept thinned, so a chart of a
    // million points is read in milliseconds.
    "ALTER TABLE latest_metrics ADD COLUMN points INTEGER NOT NULL DEFAULT 0;
    UPDATE latest_metrics SET points = (SELECT count(*) FROM metrics m
        WHERE m.run_id = latest_metrics.run_id AND m.key = latest_metrics.key);
    CREATE TABLE metric_summaries (
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        points    INTEGER NOT NULL,   -- how many points of the history it covers
        last_step INTEGER NOT NULL,   -- the highest step among them
        data      BLOB NOT NULL,      -- the thinned points: (step, timestamp, value) little-endian
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;",
    // 10: what each run ran on: OS, CPU, memory, GPUs, Python, lock files' hashes.
    "CREATE TABLE run_environment (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key    TEXT NOT NULL,         -- os, kernel, cpu.model, gpu.0.name, python, lock.uv.lock, ...
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;",
    // 11: what MLflow's client logs through mlx's endpoint: nested runs, logged models, and
    // registered models with their versions.
    "ALTER TABLE runs ADD COLUMN parent_id TEXT;  -- a nested run: the run it was started in
    CREATE INDEX runs_parent ON runs (parent_id);
    CREATE TABLE logged_models (
        id            TEXT PRIMARY KEY,  -- m- and 32 hex digits, as MLflow names them
        run_id        TEXT REFERENCES runs (id) ON DELETE CASCADE,  -- the run that logged it
        experiment_id TEXT NOT NULL,
        name          TEXT NOT NULL,
        model_type    TEXT,
        status        TEXT NOT NULL,     -- PENDING, READY or FAILED
        created       INTEGER NOT NULL,  -- milliseconds since the Unix epoch
        updated       INTEGER NOT NULL,
        tags          TEXT NOT NULL DEFAULT '{}',  -- JSON object
        params        TEXT NOT NULL DEFAULT '{}'   -- JSON object
    );
    CREATE INDEX logged_models_run ON logged_models (run_id);
    CREATE TABLE registered_models (
        name        TEXT PRIMARY KEY,
        description TEXT,
        created     INTEGER NOT NULL,    -- milliseconds since the Unix epoch
        updated     INTEGER NOT NULL,
        tags        TEXT NOT NULL DEFAULT '{}'
    ) WITHOUT ROWID;
    CREATE TABLE model_versions (
        name        TEXT NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
        version     INTEGER NOT NULL,    -- 1, 2, ... per registered model
        source      TEXT NOT NULL,       -- the artifact URI it was registered from
        run_id      TEXT,                -- the run that logged it (not a foreign key: kept)
        model_id    TEXT,                -- the logged model, when MLflow 3 names one
        description TEXT,
        created     INTEGER NOT NULL,
        updated     INTEGER NOT NULL,
        tags        TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;
    CREATE INDEX model_versions_run ON model_versions (run_id);",
    // 12: profiles of data versions (`mlx data profile`): the profile object in the cache.
    "CREATE TABLE profiles (
        data_hash    TEXT PRIMARY KEY,    -- BLAKE3 of the data profiled
        profile_hash TEXT NOT NULL,       -- BLAKE3 of the profile's JSON, an object in the cache
        created      TEXT NOT NULL        -- RFC 3339 UTC
    ) WITHOUT ROWID;",
    // 13: MLflow's soft delete (`delete_run`, `delete_experiment`): hidden, until restored.
    "ALTER TABLE runs ADD COLUMN deleted_at TEXT;         -- RFC 3339 UTC; NULL: not deleted
    ALTER TABLE experiments ADD COLUMN deleted_at TEXT;  -- RFC 3339 UTC; NULL: not deleted
    -- MLflow's aliases of registered models' versions (`set_registered_model_alias`).
    CREATE TABLE model_aliases (
        name    TEXT NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
        alias   TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias)
    ) WITHOUT ROWID;
    -- MLflow's experiment tags (`set_experiment_tag`).
    CREATE TABLE experiment_tags (
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        key           TEXT NOT NULL,
        value         TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key)
    ) WITHOUT ROWID;
    -- The datasets MLflow's client says a run used (`log_input`).
    CREATE TABLE run_datasets (
        run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        digest      TEXT NOT NULL,
        source_type TEXT NOT NULL,
        source      TEXT NOT NULL,   -- JSON text, as MLflow gives it
        schema      TEXT,            -- JSON text
        profile     TEXT,            -- JSON text
        tags        TEXT NOT NULL DEFAULT '{}',  -- the input's tags (mlflow.data.context, ...)
        PRIMARY KEY (run_id, name, digest)
    ) WITHOUT ROWID;",
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another process's transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub fn open(path: &Path) -> Result<Connection, Error> {
    let open_err = |source| Error::Open { path: path.to_path_buf(), source };
    let mut conn = Connection::open(path).map_err(open_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
    // Short-lived processes (`mlx log` in a loop) must not each checkpoint and delete the WAL on
    // close (four fsyncs); SQLite checkpoints automatically as the WAL grows instead.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .map_err(open_err)?;
    migrate(&mut conn, path)?;
    truncate_large_wal(&conn, path);
    Ok(conn)
}

/// A second connection to the database `conn` has open, read-only, for reading in parallel on
/// another thread (the database is already migrated). `None` when there is none to be had (an
/// in-memory database, a failure to open): the caller reads on `conn` alone then.
pub(crate) fn open_reader(conn: &Connection) -> Option<Connection> {
    let path = conn.path().filter(|p| !p.is_empty())?;
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let reader = Connection::open_with_flags(path, flags).ok()?;
    reader.busy_timeout(BUSY_TIMEOUT).ok()?;
    Some(reader)
}

/// The write-ahead log beside the database at `path` (`mlx.db-wal`).
pub fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// Past this size the write-ahead log is checkpointed and truncated when a database is opened.
const WAL_TRUNCATE_BYTES: u64 = 1 << 20;

/// Without a checkpoint on close (see `open`), every new process would rebuild the WAL index by
/// reading the whole WAL, and the WAL would never be rewound: each `mlx log` call would get
/// slower as it grows. So a process that finds it large truncates it, waiting briefly at most
/// (a busy database just means another process will do it).
fn truncate_large_wal(conn: &Connection, path: &Path) {
    let wal = wal_path(path);
    if std::fs::metadata(wal).map_or(0, |m| m.len()) <= WAL_TRUNCATE_BYTES {
        return;
    }
    let _ = conn.busy_timeout(Duration::from_millis(100));
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Re-read inside the write lock: another process may have migrated meanwhile.
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        tx.execute_batch(sql)?;
        if i + 1 == 6 {
            super::experiments::backfill(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mlx.db");
        drop(open(&p).unwrap());
        let conn = open(&p).unwrap();
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mlx.db");
        let conn = Connection::open(&p).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(open(&p), Err(Error::TooNew { found: 99, .. })));
    }
}
