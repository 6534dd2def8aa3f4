//! MLflow's tracking stores read as plain data, for `mlx import mlflow`: the file store (an
//! `mlruns/` folder, [`file`]) and the SQLite database (`sqlite:///PATH` or a `.db` file,
//! [`sqlite`]). Experiments, runs (with status, times, params, tags and metric histories) and
//! MLflow 3's logged models, with where their artifacts lie.
//!
//! A store is untrusted input: it is only read, never written; names and values from it are
//! data, checked by the caller before anything is written under them. Artifacts are only ever
//! read from local folders inside the store's own folder (the `mlruns/` folder, or the folder
//! holding the database): a remote URI (`s3://`, `mlflow-artifacts:`, …) or a local folder
//! elsewhere is reported as skipped, never fetched. Symlinks are never followed. Never prints.

pub mod file;
pub mod sqlite;

use std::path::{Path, PathBuf};

/// Why a store cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path} is not an MLflow tracking store: {why}")]
    NotAStore { path: PathBuf, why: String },
    #[error(
        "{path} is an MLflow database of schema revision {revision}, which this mlx does not know \
         (it reads revisions {oldest} to {newest}: MLflow 1.0 to {mlflow}); export it with an \
         MLflow of that range, or use a newer mlx"
    )]
    UnknownVersion {
        path: PathBuf,
        revision: String,
        oldest: &'static str,
        newest: &'static str,
        mlflow: &'static str,
    },
    /// A file (or database row) whose content is not what MLflow writes.
    #[error("{place}: {why}")]
    Bad { place: String, why: String },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot read the MLflow database {path}: {source}")]
    Sql { path: PathBuf, source: rusqlite::Error },
}

impl Error {
    /// Whether the store given is at fault (exit 2) rather than reading it (exit 3).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Io { .. })
    }

    pub(crate) fn bad(place: impl Into<String>, why: impl Into<String>) -> Self {
        Error::Bad { place: place.into(), why: why.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a run's MLflow status puts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

impl Status {
    /// From the file store's number (MLflow's `RunStatus` enum).
    fn from_number(n: i64) -> Option<Self> {
        Some(match n {
            1 => Status::Running,
            2 => Status::Scheduled,
            3 => Status::Finished,
            4 => Status::Failed,
            5 => Status::Killed,
            _ => return None,
        })
    }

    /// From the database's name.
    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "RUNNING" => Status::Running,
            "SCHEDULED" => Status::Scheduled,
            "FINISHED" => Status::Finished,
            "FAILED" => Status::Failed,
            "KILLED" => Status::Killed,
            _ => return None,
        })
    }
}

/// An MLflow experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub id: String,
    pub name: String,
    /// `lifecycle_stage: deleted` (in the file store: also anything under `.trash/`).
    pub deleted: bool,
    /// The file store's experiment folder.
    pub(crate) dir: Option<PathBuf>,
}

/// Where a run's (or logged model's) artifacts lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Artifacts {
    /// A local folder inside the store's folder (it may not exist: MLflow makes it on the
    /// first artifact logged).
    Local(PathBuf),
    /// Not read, with why (a remote URI, a folder outside the store, a symlink).
    Skipped { uri: String, why: String },
}

/// An MLflow run, without its values.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub run_id: String,
    pub experiment_id: String,
    /// `run_name` (older stores: the `mlflow.runName` tag, read with the tags).
    pub name: Option<String>,
    pub status: Status,
    /// Milliseconds since the epoch.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub user: Option<String>,
    pub deleted: bool,
    pub artifacts: Artifacts,
    /// Where it is read from, for messages (`mlruns/1/abc/meta.yaml`, `runs row abc`).
    pub place: String,
    /// The file store's run folder.
    pub(crate) dir: Option<PathBuf>,
}

/// One metric point.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub key: String,
    /// NaN and the infinities as MLflow logged them.
    pub value: f64,
    pub step: i64,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
}

/// What a run logged.
#[derive(Debug, Default)]
pub struct RunData {
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub metrics: Vec<MetricPoint>,
}

/// A model logged by a run (MLflow 3's logged models), with its files.
#[derive(Debug, Clone)]
pub struct LoggedModel {
    pub model_id: String,
    pub name: String,
    pub source_run_id: Option<String>,
    pub deleted: bool,
    pub artifacts: Artifacts,
}

/// An opened store.
pub enum Store {
    File(file::FileStore),
    Sqlite(sqlite::SqliteStore),
}

impl Store {
    /// Open what `from` names: `sqlite:///PATH`, a SQLite file, or a file store folder
    /// (`file://PATH` or a plain path).
    pub fn open(from: &str) -> Result<Store> {
        if let Some(rest) = from.strip_prefix("sqlite://") {
            // `sqlite:///abs/path` and `sqlite:///rel/path` as SQLAlchemy reads them: after the
            // third slash comes the path (relative unless a fourth slash follows).
            let path = rest.strip_prefix('/').unwrap_or(rest);
            return Ok(Store::Sqlite(sqlite::SqliteStore::open(Path::new(path))?));
        }
        if let Some((scheme, _)) = from.split_once("://")
            && scheme != "file"
        {
            return Err(Error::NotAStore {
                path: PathBuf::from(from),
                why: format!(
                    "{scheme}:// stores are not read (a file store folder, a SQLite file or \
                     sqlite:///PATH is); nothing is fetched from the network"
                ),
            });
        }
        let path = PathBuf::from(from.strip_prefix("file://").unwrap_or(from));
        let meta = std::fs::metadata(&path)
            .map_err(|e| Error::NotAStore { path: path.clone(), why: e.to_string() })?;
        if meta.is_file() {
            Ok(Store::Sqlite(sqlite::SqliteStore::open(&path)?))
        } else {
            Ok(Store::File(file::FileStore::open(&path)?))
        }
    }

    /// `file store` or `SQLite database`.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::File(_) => "file store",
            Store::Sqlite(_) => "SQLite database",
        }
    }

    /// The database's schema revision (Alembic's), for a SQLite store.
    pub fn revision(&self) -> Option<&str> {
        match self {
            Store::File(_) => None,
            Store::Sqlite(s) => Some(s.revision()),
        }
    }

    /// The experiments; one whose description cannot be read is an `Err` in the list.
    pub fn experiments(&self) -> Result<Vec<Result<Experiment>>> {
        match self {
            Store::File(s) => s.experiments(),
            Store::Sqlite(s) => s.experiments(),
        }
    }

    /// The runs of experiment `experiment` (all of them: active and deleted). A run whose own
    /// description cannot be read is an `Err` in the list, named by its place.
    pub fn runs(&self, experiment: &Experiment) -> Result<Vec<Result<RunInfo>>> {
        match self {
            Store::File(s) => s.runs(experiment),
            Store::Sqlite(s) => s.runs(experiment),
        }
    }

    /// The params, tags and metric histories of `run`.
    pub fn run_data(&self, run: &RunInfo) -> Result<RunData> {
        match self {
            Store::File(s) => s.run_data(run),
            Store::Sqlite(s) => s.run_data(run),
        }
    }

    /// The logged models of experiment `experiment` (MLflow 3); none in older stores.
    pub fn logged_models(&self, experiment: &Experiment) -> Result<Vec<Result<LoggedModel>>> {
        match self {
            Store::File(s) => s.logged_models(experiment),
            Store::Sqlite(s) => s.logged_models(experiment),
        }
    }
}

/// Whether `s` looks like an MLflow id (run ids are 32 hex digits, experiment ids numbers,
/// logged model ids `m-` and hex): letters, digits, `-` and `_`, at most 64. Anything else is
/// refused before it is used in a message or a path.
pub(crate) fn is_plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A local artifact location from an MLflow URI, confined to `root` (the store's folder,
/// canonical): `file:///abs`, `/abs`, or a path relative to `base`. Remote URIs and folders
/// outside `root` are skipped.
pub(crate) fn local_artifacts(uri: &str, base: &Path, root: &Path) -> Artifacts {
    let skipped = |why: &str| Artifacts::Skipped { uri: uri.to_owned(), why: why.to_owned() };
    let path = if let Some(rest) = uri.strip_prefix("file://") {
        // `file:///abs` (an empty host) or `file://localhost/abs`.
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        match percent_decode(rest) {
            Some(p) => PathBuf::from(p),
            None => return skipped("its path is not valid text"),
        }
    } else if let Some(rest) = uri.strip_prefix("file:") {
        PathBuf::from(rest)
    } else if uri.contains("://")
        || uri.split_once(':').is_some_and(|(s, _)| s.len() > 1 && !s.contains('/'))
    {
        return skipped(
            "a remote artifact store: mlx reads local artifacts only, and fetches nothing",
        );
    } else {
        PathBuf::from(uri)
    };
    let path = if path.is_absolute() { path } else { base.join(path) };
    match std::fs::canonicalize(&path) {
        // No folder: no artifact was logged.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
                skipped("outside the store's folder")
            } else if path.starts_with(root) {
                Artifacts::Local(path)
            } else {
                skipped("outside the store's folder")
            }
        }
        Err(e) => skipped(&format!("cannot be read: {e}")),
        Ok(real) if real.starts_with(root) => Artifacts::Local(real),
        Ok(_) => skipped("outside the store's folder"),
    }
}

/// `%XX` sequences decoded; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_stay_inside_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("mlruns/1/abc/artifacts")).unwrap();
        let inside = root.join("mlruns/1/abc/artifacts");
        assert_eq!(
            local_artifacts(&format!("file://{}", inside.display()), &root, &root),
            Artifacts::Local(inside.clone())
        );
        assert_eq!(
            local_artifacts("mlruns/1/abc/artifacts", &root, &root),
            Artifacts::Local(inside)
        );
        for outside in ["/etc", "file:///etc", "../x", "mlruns/../../x"] {
            assert!(
                matches!(local_artifacts(outside, &root, &root), Artifacts::Skipped { .. }),
                "{outside}"
            );
        }
        for remote in ["s3://bucket/x", "mlflow-artifacts:/1/abc", "dbfs:/x", "gs://b/x"] {
            let Artifacts::Skipped { why, .. } = local_artifacts(remote, &root, &root) else {
                panic!("{remote}")
            };
            assert!(why.contains("remote"), "{remote}: {why}");
        }
        std::os::unix::fs::symlink("/etc", root.join("mlruns/link")).unwrap();
        assert!(matches!(local_artifacts("mlruns/link", &root, &root), Artifacts::Skipped { .. }));
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert!(is_plain_id("0a1b2c") && !is_plain_id("../x") && !is_plain_id(""));
    }
}
