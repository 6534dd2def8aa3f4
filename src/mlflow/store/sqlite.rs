//! MLflow's SQLite database (`mlflow server --backend-store-uri sqlite:///mlflow.db`, or a
//! client with that tracking URI): tables `experiments`, `runs`, `params`, `tags`, `metrics`
//! and, since MLflow 3, `logged_models`. Opened read-only; only the columns below are read.
//!
//! The schema's version is the Alembic revision in `alembic_version`. The revisions read are
//! those of MLflow's own migration chain from `181f10493468` (MLflow 1.0: metric values may be
//! NaN, with the `is_nan` column) to `dc11669786a5` (MLflow 3.17): across them the columns read
//! here kept their names and meaning. Any other revision is refused (exit 2) rather than
//! misread: a newer MLflow may move what these columns hold, and an older one lacks `is_nan`.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{
    Artifacts, Error, Experiment, LoggedModel, MetricPoint, Result, RunData, RunInfo, Status,
    local_artifacts,
};

/// MLflow's Alembic revisions this reader knows, oldest first (MLflow 1.0 to 3.17).
pub const KNOWN_REVISIONS: &[&str] = &[
    "181f10493468",
    "df50e92ffc5e",
    "7ac759974ad8",
    "89d4b8295536",
    "2b4d017a5e9b",
    "cfd24bdc0731",
    "0a8213491aaa",
    "728d730b5ebd",
    "27a6a02d2cf1",
    "84291f40a231",
    "a8c4a736bde6",
    "39d1c3be5f05",
    "c48cb773bb87",
    "bd07f7e963c5",
    "0c779009ac13",
    "cc1f77228345",
    "97727af70f4d",
    "3500859a5d39",
    "7f2a7d5fae7d",
    "2d6e25af4d3e",
    "acf3f17fdcc7",
    "867495a8f9d4",
    "5b0e9adcef9c",
    "4465047574b1",
    "f5a4f2784254",
    "0584bdc529eb",
    "400f98739977",
    "6953534de441",
    "bda7b8c39065",
    "cbc13b556ace",
    "770bee3ae1dd",
    "a1b2c3d4e5f6",
    "de4033877273",
    "1a0cddfcaa16",
    "534353b11cbc",
    "71994744cf8e",
    "3da73c924c2f",
    "bf29a5ff90ea",
    "1bd49d398cd23",
    "b7c8d9e0f1a2",
    "5d2d30f0abce",
    "c9d4e5f6a7b8",
    "2c33131f4dae",
    "d3e4f5a6b7c8",
    "d0e1f2a3b4c5",
    "c8d9e0f1a2b3",
    "1b5f0d9ad7c1",
    "e1f2a3b4c5d6",
    "76601a5f987d",
    "c3d6457b6d8a",
    "a5b4c3d2e1f0",
    "ae8bbe7743c9",
    "7d34483879f0",
    "da6fb0208061",
    "89d3d66ed43f",
    "b7e4c1a90f23",
    "a8b9c0d1e2f3",
    "c1d2e3f4a5b6",
    "c3d9e7f1a2b4",
    "6f8d9c3b2a1e",
    "1971f2d9a75b",
    "17e22815139b",
    "b7e2c1a4d9f3",
    "75868b020152",
    "dc11669786a5",
];
/// The revision that added `logged_models` (MLflow 3.0).
const LOGGED_MODELS_FROM: &str = "400f98739977";
/// The newest MLflow release whose schema is known.
pub const NEWEST_MLFLOW: &str = "3.17";

pub struct SqliteStore {
    path: PathBuf,
    /// The folder holding the database, canonical: relative artifact URIs start here, and local
    /// artifacts are read only inside it.
    root: PathBuf,
    conn: Connection,
    revision: String,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self> {
        let not_store = |why: String| Error::NotAStore { path: path.to_path_buf(), why };
        let meta = std::fs::metadata(path).map_err(|e| not_store(e.to_string()))?;
        if !meta.is_file() {
            return Err(not_store("not a file".into()));
        }
        let mut head = [0u8; 16];
        {
            use std::io::Read;
            let mut f = std::fs::File::open(path)
                .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
            let n = f
                .read(&mut head)
                .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
            if n < 16 || &head != b"SQLite format 3\0" {
                return Err(not_store(
                    "neither a folder (a file store) nor a SQLite database".into(),
                ));
            }
        }
        let sql = |source| Error::Sql { path: path.to_path_buf(), source };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        let has_table = |name: &str| -> Result<bool> {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                [name],
                |r| r.get(0),
            )
            .map_err(sql)
        };
        if !has_table("alembic_version")? || !has_table("runs")? || !has_table("experiments")? {
            return Err(not_store(
                "a SQLite database without MLflow's tables (alembic_version, experiments, runs)"
                    .into(),
            ));
        }
        let revision: Option<String> = conn
            .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
            .optional()
            .map_err(sql)?;
        let Some(revision) = revision else {
            return Err(not_store("its alembic_version table is empty".into()));
        };
        if !KNOWN_REVISIONS.contains(&revision.as_str()) {
            return Err(Error::UnknownVersion {
                path: path.to_path_buf(),
                revision,
                oldest: KNOWN_REVISIONS[0],
                newest: KNOWN_REVISIONS[KNOWN_REVISIONS.len() - 1],
                mlflow: NEWEST_MLFLOW,
            });
        }
        let full = std::fs::canonicalize(path)
            .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let root = full.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        Ok(SqliteStore { path: path.to_path_buf(), root, conn, revision })
    }

    pub fn revision(&self) -> &str {
        &self.revision
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |source| Error::Sql { path: self.path.clone(), source }
    }

    fn has_logged_models(&self) -> bool {
        let pos = |r: &str| KNOWN_REVISIONS.iter().position(|k| *k == r);
        pos(&self.revision) >= pos(LOGGED_MODELS_FROM)
    }

    pub fn experiments(&self) -> Result<Vec<Result<Experiment>>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT CAST(experiment_id AS TEXT), name, lifecycle_stage FROM experiments
                 ORDER BY experiment_id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, stage) = row.map_err(self.sql())?;
            out.push(match name {
                Some(name) => Ok(Experiment {
                    id,
                    name,
                    deleted: stage.as_deref() == Some("deleted"),
                    dir: None,
                }),
                None => Err(Error::bad(format!("experiments row {id}"), "it has no name")),
            });
        }
        Ok(out)
    }

    pub fn runs(&self, experiment: &Experiment) -> Result<Vec<Result<RunInfo>>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_uuid, name, status, start_time, end_time, user_id, lifecycle_stage,
                     artifact_uri
                 FROM runs WHERE CAST(experiment_id AS TEXT) = ?1 ORDER BY start_time, run_uuid",
            )
            .map_err(self.sql())?;
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows = stmt
            .query_map([&experiment.id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let row: Row = match row {
                Ok(row) => row,
                Err(e) => {
                    out.push(Err(Error::bad(
                        format!("runs of experiment {}", experiment.id),
                        format!("a row with values of the wrong type: {e}"),
                    )));
                    continue;
                }
            };
            let (run_id, name, status, start, end, user, stage, uri) = row;
            let place = format!("runs row {run_id}");
            if !super::is_plain_id(&run_id) {
                out.push(Err(Error::bad(place, "run_uuid is not an MLflow run id")));
                continue;
            }
            let status = match status.as_deref() {
                None => Status::Finished,
                Some(s) => match Status::from_name(s) {
                    Some(s) => s,
                    None => {
                        out.push(Err(Error::bad(place, format!("unknown status {s:?}"))));
                        continue;
                    }
                },
            };
            let artifacts = match uri.as_deref() {
                Some(uri) if !uri.is_empty() => local_artifacts(uri, &self.root, &self.root),
                _ => Artifacts::Skipped { uri: String::new(), why: "no artifact location".into() },
            };
            out.push(Ok(RunInfo {
                run_id,
                experiment_id: experiment.id.clone(),
                name: name.filter(|n| !n.is_empty()),
                status,
                start_time: start,
                end_time: end,
                user: user.filter(|u| !u.is_empty()),
                deleted: experiment.deleted || stage.as_deref() == Some("deleted"),
                artifacts,
                place,
                dir: None,
            }));
        }
        Ok(out)
    }

    pub fn run_data(&self, run: &RunInfo) -> Result<RunData> {
        let bad = |what: &str, e: rusqlite::Error| {
            Error::bad(
                format!("{what} of run {}", run.run_id),
                format!("a row with values of the wrong type: {e}"),
            )
        };
        let mut data = RunData::default();
        for (table, list) in [("params", &mut data.params), ("tags", &mut data.tags)] {
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "SELECT key, value FROM {table} WHERE run_uuid = ?1 ORDER BY key"
                ))
                .map_err(self.sql())?;
            let rows = stmt
                .query_map([&run.run_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .map_err(self.sql())?;
            for row in rows {
                let (k, v) = row.map_err(|e| bad(table, e))?;
                list.push((k, v.unwrap_or_default()));
            }
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ?1
                 ORDER BY key, step, timestamp",
            )
            .map_err(self.sql())?;
        let mut rows = stmt.query([&run.run_id]).map_err(self.sql())?;
        while let Some(r) = rows.next().map_err(self.sql())? {
            let point = (|| -> rusqlite::Result<MetricPoint> {
                let is_nan: Option<bool> = r.get(4)?;
                let value: Option<f64> = r.get(1)?;
                Ok(MetricPoint {
                    key: r.get(0)?,
                    value: if is_nan == Some(true) { f64::NAN } else { value.unwrap_or(f64::NAN) },
                    step: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    timestamp: r.get(2)?,
                })
            })()
            .map_err(|e| bad("metrics", e))?;
            data.metrics.push(point);
        }
        Ok(data)
    }

    pub fn logged_models(&self, experiment: &Experiment) -> Result<Vec<Result<LoggedModel>>> {
        if !self.has_logged_models() {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT model_id, name, source_run_id, lifecycle_stage, artifact_location
                 FROM logged_models WHERE CAST(experiment_id AS TEXT) = ?1 ORDER BY model_id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([&experiment.id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (model_id, name, source_run_id, stage, uri) = row.map_err(self.sql())?;
            let artifacts = match uri.as_deref() {
                Some(uri) if !uri.is_empty() => local_artifacts(uri, &self.root, &self.root),
                _ => Artifacts::Skipped { uri: String::new(), why: "no artifact location".into() },
            };
            out.push(Ok(LoggedModel {
                model_id,
                name,
                source_run_id,
                deleted: experiment.deleted || stage.as_deref() == Some("deleted"),
                artifacts,
            }));
        }
        Ok(out)
    }
}
