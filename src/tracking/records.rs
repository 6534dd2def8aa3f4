//! Run records: one finished run as a self-contained, canonical JSON object, so runs can be
//! shared through a remote (a bucket, a shared folder) as immutable objects and merged into
//! another clone's database by run id. `export` turns runs into records, `merge` folds one record
//! into the database, and `run_records` remembers which records this database has already pushed
//! or merged. The format is described in docs/database.md ("Run records").
//!
//! A record holds every column of `runs` but `pid` (local to the machine that ran it), the run's
//! params, tags, metric points, artifacts and inputs (left out when there are none, so records
//! of runs from before inputs were recorded keep their bytes), each list in a fixed order; `latest_metrics` is
//! derived, so it is not exported but recomputed on merge. Keys are always written in the same
//! order with no whitespace, so the same rows always give the same bytes and therefore the same
//! object name.
//!
//! A record also holds the run's experiment (see `experiment`): its row and its stage rows.
//! Records written before experiments existed lack it (and `run.experiment_id`); both fields
//! are left out when empty, so such a run still gives the same bytes.
//!
//! REAL values (metric values, `duration`) are `null` for NULL (for metric values that is NaN,
//! which SQLite cannot store), the strings `"inf"` and `"-inf"` for the infinities (JSON numbers
//! cannot hold them), and JSON numbers otherwise, written with the fewest digits that read back
//! to the same `f64`.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::iter::Peekable;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::db::Error;
use super::run_id::{self, RunId};
use super::runs::{as_number, now_millis, rfc3339};

mod experiment;
mod mlflow;

/// The `format` field of every record.
pub const FORMAT: &str = "mlx-run-record";
/// The record format version this mlx writes and reads.
pub const VERSION: u64 = 1;

/// One run as a record, with the name it has on a remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub run_id: String,
    /// `runs/<run id>/<first 32 hex digits of the BLAKE3 of bytes>.json`: see [`object_name`].
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What merging one record changed in the database. Counts are of rows inserted; `conflicts`
/// counts params, tags and artifacts the database already had with a different value (the local
/// value is kept). Merging a record a second time adds nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOutcome {
    pub run_id: String,
    pub new_run: bool,
    /// The record's experiment was new here.
    pub new_experiment: bool,
    pub params_added: usize,
    pub tags_added: usize,
    pub metrics_added: usize,
    pub artifacts_added: usize,
    pub inputs_added: usize,
    /// Logged models and model versions (MLflow's).
    pub models_added: usize,
    pub conflicts: usize,
}

impl MergeOutcome {
    /// Whether the merge inserted anything.
    pub fn changed(&self) -> bool {
        self.new_run
            || self.params_added
                + self.tags_added
                + self.metrics_added
                + self.artifacts_added
                + self.inputs_added
                + self.models_added
                > 0
    }
}

/// Hex digits of the content hash in a record's name.
const NAME_HASH_LEN: usize = 32;

/// The remote object name of a record: `runs/<run id>/<first 32 hex digits of BLAKE3>.json`.
/// Content-addressed, so the same bytes always get the same name, and a run whose rows changed
/// later gets a new record next to the old one.
pub fn object_name(run_id: &str, bytes: &[u8]) -> String {
    let hash = crate::store::hash_bytes(bytes).to_hex();
    format!("runs/{run_id}/{}.json", &hash[..NAME_HASH_LEN])
}

// ---------------------------------------------------------------------------------------------
// The record, as serialized. Field order is the key order of the JSON: do not reorder.

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct Record {
    format: String,
    version: u64,
    run: RunRow,
    params: Vec<KeyValue>,
    tags: Vec<KeyValue>,
    metrics: Vec<MetricPoint>,
    artifacts: Vec<Artifact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<Input>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    experiment: Option<experiment::ExperimentRow>,
    /// `run_environment` (left out when empty, so older records keep their bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    environment: Vec<KeyValue>,
    /// The models MLflow's client logged in the run (left out when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    logged_models: Vec<mlflow::LoggedModel>,
    /// The registered models' versions made from the run (left out when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    model_versions: Vec<mlflow::ModelVersion>,
}

/// The columns of `runs` but `pid`, as stored, in table order. Nullable columns may be absent.
#[derive(Serialize, Deserialize)]
struct RunRow {
    id: String,
    name: Option<String>,
    command: String,
    cwd: String,
    git_commit: Option<String>,
    git_branch: Option<String>,
    git_dirty: i64,
    git_diff_hash: Option<String>,
    status: String,
    exit_code: Option<i64>,
    start_time: String,
    end_time: Option<String>,
    #[serde(default)]
    duration: Real,
    host: String,
    user: String,
    mlx_version: String,
    stage: Option<String>,
    pipeline_run: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    experiment_id: Option<String>,
    /// A nested run: the run it was started in (left out when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    /// Deleted through MLflow's client: when (left out when not deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deleted_at: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct KeyValue {
    key: String,
    value: String,
}

#[derive(Serialize, Deserialize)]
struct MetricPoint {
    key: String,
    step: i64,
    value: Real,
    timestamp: i64,
}

#[derive(Serialize, Deserialize)]
struct Artifact {
    path: String,
    kind: String,
    hash: String,
    size: u64,
}

/// A row of `run_inputs`, as stored.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct Input {
    path: String,
    kind: String,
    hash: Option<String>,
    size: Option<u64>,
    files: Option<u64>,
    pointer_hash: Option<String>,
}

/// A REAL column value: NULL (NaN for metric values), an infinity or a finite number.
#[derive(Debug, Clone, Copy, Default)]
struct Real(Option<f64>);

impl Real {
    /// From the database; NaN (never stored by SQLite) becomes NULL and -0 becomes 0, so equal
    /// values always serialize alike.
    fn new(v: Option<f64>) -> Self {
        Real(v.filter(|v| !v.is_nan()).map(|v| v + 0.0))
    }

    /// Equality as SQL's `IS`, usable as a hash key.
    fn key(self) -> Option<u64> {
        self.0.map(f64::to_bits)
    }

    /// NULL first, then numbers from -inf to inf (as SQLite's `ORDER BY`).
    fn cmp(self, other: Self) -> Ordering {
        match (self.0, other.0) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => a.total_cmp(&b),
        }
    }
}

impl Serialize for Real {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => s.serialize_unit(),
            Some(v) if v.is_nan() => s.serialize_unit(),
            Some(v) if v == f64::INFINITY => s.serialize_str("inf"),
            Some(v) if v == f64::NEG_INFINITY => s.serialize_str("-inf"),
            Some(v) => s.serialize_f64(v),
        }
    }
}

impl<'de> Deserialize<'de> for Real {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RealVisitor;
        impl Visitor<'_> for RealVisitor {
            type Value = Real;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a number, null, "inf" or "-inf""#)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Real, E> {
                Ok(Real(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Real, E> {
                Ok(Real(None))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Real, E> {
                Ok(Real::new(Some(v)))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Real, E> {
                Ok(Real::new(Some(v as f64)))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Real, E> {
                Ok(Real::new(Some(v as f64)))
            }
            /// The infinities, written as strings (JSON has no number for them).
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Real, E> {
                match s {
                    "inf" => return Ok(Real(Some(f64::INFINITY))),
                    "-inf" => return Ok(Real(Some(f64::NEG_INFINITY))),
                    _ => {}
                }
                Err(E::invalid_value(de::Unexpected::Str(s), &self))
            }
        }
        d.deserialize_any(RealVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Export.

/// Rows of one child table, ordered by run id, handed out run by run as the runs are walked in
/// id order (a merge join: a fixed number of queries whatever the number of runs).
struct ByRun<I: Iterator> {
    rows: Peekable<I>,
}

impl<T, I: Iterator<Item = rusqlite::Result<(String, T)>>> ByRun<I> {
    fn new(rows: I) -> Self {
        ByRun { rows: rows.peekable() }
    }

    /// The rows of run `id`, skipping those of runs before it (running or deleted runs).
    fn take(&mut self, id: &str) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while let Some(row) = self
            .rows
            .next_if(|row| row.as_ref().is_err() || row.as_ref().is_ok_and(|r| *r.0 <= *id))
        {
            let (run, value) = row?;
            if run == id {
                out.push(value);
            }
        }
        Ok(out)
    }
}

const RUN_COLUMNS: &str = "id, name, command, cwd, git_commit, git_branch, git_dirty, \
     git_diff_hash, status, exit_code, start_time, end_time, duration, host, user, mlx_version, \
     stage, pipeline_run, experiment_id, parent_id, deleted_at";

/// Every run that is not running, as records, sorted by run id. Reads a consistent snapshot
/// (one read transaction, unless the caller already holds one) with one query per table.
pub fn export(conn: &Connection) -> Result<Vec<RunRecord>, Error> {
    let _snapshot = if conn.is_autocommit() { Some(conn.unchecked_transaction()?) } else { None };
    let mut runs = conn.prepare(&format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE status != 'running' ORDER BY id"
    ))?;
    let mut params = conn.prepare("SELECT run_id, key, value FROM params ORDER BY run_id")?;
    let mut tags = conn.prepare("SELECT run_id, key, value FROM tags ORDER BY run_id")?;
    let mut metrics =
        conn.prepare("SELECT run_id, key, step, value, timestamp FROM metrics ORDER BY run_id")?;
    let mut artifacts =
        conn.prepare("SELECT run_id, path, kind, hash, size FROM artifacts ORDER BY run_id")?;
    let mut inputs = conn.prepare(
        "SELECT run_id, path, kind, hash, size, files, pointer_hash FROM run_inputs ORDER BY run_id",
    )?;
    let mut environment =
        conn.prepare("SELECT run_id, key, value FROM run_environment ORDER BY run_id")?;

    let key_value = |r: &rusqlite::Row<'_>| {
        Ok((r.get::<_, String>(0)?, KeyValue { key: r.get(1)?, value: r.get(2)? }))
    };
    let mut params = ByRun::new(params.query_map([], key_value)?);
    let mut tags = ByRun::new(tags.query_map([], key_value)?);
    let mut environment = ByRun::new(environment.query_map([], key_value)?);
    let mut metrics = ByRun::new(metrics.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            MetricPoint {
                key: r.get(1)?,
                step: r.get(2)?,
                value: Real::new(r.get(3)?),
                timestamp: r.get(4)?,
            },
        ))
    })?);
    let mut artifacts = ByRun::new(artifacts.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Artifact {
                path: r.get(1)?,
                kind: r.get(2)?,
                hash: r.get(3)?,
                size: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
            },
        ))
    })?);

    let mut inputs = ByRun::new(inputs.query_map([], |r| {
        let count = |i| r.get::<_, Option<i64>>(i).map(|v| v.and_then(|v| u64::try_from(v).ok()));
        Ok((
            r.get::<_, String>(0)?,
            Input {
                path: r.get(1)?,
                kind: r.get(2)?,
                hash: r.get(3)?,
                size: count(4)?,
                files: count(5)?,
                pointer_hash: r.get(6)?,
            },
        ))
    })?);

    let rows = runs.query_map([], |r| {
        Ok(RunRow {
            id: r.get(0)?,
            name: r.get(1)?,
            command: r.get(2)?,
            cwd: r.get(3)?,
            git_commit: r.get(4)?,
            git_branch: r.get(5)?,
            git_dirty: r.get(6)?,
            git_diff_hash: r.get(7)?,
            status: r.get(8)?,
            exit_code: r.get(9)?,
            start_time: r.get(10)?,
            end_time: r.get(11)?,
            duration: Real::new(r.get(12)?),
            host: r.get(13)?,
            user: r.get(14)?,
            mlx_version: r.get(15)?,
            stage: r.get(16)?,
            pipeline_run: r.get(17)?,
            experiment_id: r.get(18)?,
            parent_id: r.get(19)?,
            deleted_at: r.get(20)?,
        })
    })?;
    let experiments = experiment::export_all(conn)?;
    let mut logged = mlflow::export_logged(conn)?;
    let mut versions = mlflow::export_versions(conn)?;
    let mut out = Vec::new();
    for run in rows {
        let run = run?;
        let id = run.id.clone();
        let mut record = Record {
            format: FORMAT.to_owned(),
            version: VERSION,
            params: params.take(&id)?,
            tags: tags.take(&id)?,
            metrics: metrics.take(&id)?,
            artifacts: artifacts.take(&id)?,
            inputs: inputs.take(&id)?,
            experiment: run.experiment_id.as_ref().and_then(|e| experiments.get(e)).cloned(),
            environment: environment.take(&id)?,
            logged_models: logged.remove(&id).unwrap_or_default(),
            model_versions: versions.remove(&id).unwrap_or_default(),
            run,
        };
        sort_record(&mut record);
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::Invalid(format!("cannot encode run {id}: {e}")))?;
        out.push(RunRecord { name: object_name(&id, &bytes), run_id: id, bytes });
    }
    Ok(out)
}

/// The canonical order of the lists (byte order of strings, as SQLite's BINARY collation).
fn sort_record(record: &mut Record) {
    record.params.sort_by(|a, b| a.key.cmp(&b.key));
    record.tags.sort_by(|a, b| a.key.cmp(&b.key));
    record.metrics.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(a.step.cmp(&b.step))
            .then(a.timestamp.cmp(&b.timestamp))
            .then(a.value.cmp(b.value))
    });
    record.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    record.inputs.sort_by(|a, b| a.path.cmp(&b.path));
    record.environment.sort_by(|a, b| a.key.cmp(&b.key));
    mlflow::sort(&mut record.logged_models, &mut record.model_versions);
}

// ---------------------------------------------------------------------------------------------
// Merge.

/// Parse and check a record; `Err` holds what is wrong with it.
fn parse(bytes: &[u8]) -> Result<Record, String> {
    // Syntax first, so a broken file says so rather than what field it lacks.
    serde_json::from_slice::<IgnoredAny>(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| format!("not a run record: {e}"))?;
    if header.format != FORMAT {
        return Err(format!("format is {:?}, not {FORMAT:?}", header.format));
    }
    if header.version != VERSION {
        return Err(if header.version > VERSION {
            format!(
                "format version {} is newer than this mlx reads ({VERSION}); upgrade mlx",
                header.version
            )
        } else {
            format!("unknown format version {}", header.version)
        });
    }
    let record: Record = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    validate(&record)?;
    Ok(record)
}

fn validate(record: &Record) -> Result<(), String> {
    let run = &record.run;
    if run.id.len() != run_id::LEN || !RunId::is_valid_prefix(&run.id) {
        return Err(format!("invalid run id {:?}", run.id));
    }
    if !matches!(run.status.as_str(), "finished" | "failed" | "killed") {
        return Err(format!("status {:?} is not finished, failed or killed", run.status));
    }
    if !matches!(run.git_dirty, 0 | 1) {
        return Err(format!("git_dirty is {}, not 0 or 1", run.git_dirty));
    }
    for (field, time) in [
        ("start_time", Some(&run.start_time)),
        ("end_time", run.end_time.as_ref()),
        ("deleted_at", run.deleted_at.as_ref()),
    ] {
        if let Some(t) = time
            && humantime::parse_rfc3339_weak(t).is_err()
        {
            return Err(format!("{field} {t:?} is not an RFC 3339 time"));
        }
    }
    if let Some(e) = &record.experiment {
        experiment::validate(e, run.experiment_id.as_deref())?;
    }
    unique("param", record.params.iter().map(|p| p.key.as_str()))?;
    unique("tag", record.tags.iter().map(|t| t.key.as_str()))?;
    unique("artifact", record.artifacts.iter().map(|a| a.path.as_str()))?;
    for a in &record.artifacts {
        if !matches!(a.kind.as_str(), "file" | "directory" | "log") {
            return Err(format!("artifact {:?} has invalid kind {:?}", a.path, a.kind));
        }
        if crate::store::ObjectId::from_hex(&a.hash).is_err() {
            return Err(format!(
                "artifact {:?} has invalid hash {:?} (expected 64 lowercase hex digits)",
                a.path, a.hash
            ));
        }
        if i64::try_from(a.size).is_err() {
            return Err(format!("artifact {:?} has invalid size {}", a.path, a.size));
        }
    }
    unique("input", record.inputs.iter().map(|i| i.path.as_str()))?;
    unique("environment fact", record.environment.iter().map(|f| f.key.as_str()))?;
    if let Some(parent) = &run.parent_id
        && (parent.is_empty() || parent.len() > 64 || *parent == run.id)
    {
        return Err(format!("invalid parent run {parent:?}"));
    }
    mlflow::validate(&record.logged_models, &record.model_versions)?;
    for i in &record.inputs {
        if super::inputs::InputKind::parse(&i.kind).is_none() {
            return Err(format!("input {:?} has invalid kind {:?}", i.path, i.kind));
        }
        for hash in [&i.hash, &i.pointer_hash].into_iter().flatten() {
            if crate::store::ObjectId::from_hex(hash).is_err() {
                return Err(format!(
                    "input {:?} has invalid hash {hash:?} (expected 64 lowercase hex digits)",
                    i.path
                ));
            }
        }
        if [i.size, i.files].into_iter().flatten().any(|n| i64::try_from(n).is_err()) {
            return Err(format!("input {:?} has an invalid size or file count", i.path));
        }
    }
    Ok(())
}

fn unique<'a>(what: &str, keys: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let mut seen = HashSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(format!("{what} {k:?} appears twice"));
        }
    }
    Ok(())
}

/// When `name` ends in `runs/<id>/<hex>.json` (a remote object name), whether it names this
/// content: catches records that were corrupted or renamed on the way.
fn check_name(name: &str, run_id: &str, bytes: &[u8]) -> Result<(), String> {
    let mut parts = name.rsplit('/');
    let (Some(file), Some(id), Some("runs")) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(());
    };
    let Some(digest) = file.strip_suffix(".json") else { return Ok(()) };
    if digest.len() != NAME_HASH_LEN || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    if id != run_id {
        return Err(format!("holds run {run_id}, not {id}"));
    }
    let hash = crate::store::hash_bytes(bytes).to_hex();
    if !hash[..NAME_HASH_LEN].eq_ignore_ascii_case(digest) {
        return Err(format!(
            "content does not match its name (its BLAKE3 starts {}): corrupt or altered",
            &hash[..NAME_HASH_LEN]
        ));
    }
    Ok(())
}

/// The artifacts (and logs) a record names, as `(hash, kind, size)` like
/// [`crate::tracking::runs::artifact_objects`]; `Invalid` when the record cannot be read.
pub fn artifacts_of(name: &str, bytes: &[u8]) -> Result<Vec<(String, String, u64)>, Error> {
    let record = parse(bytes).map_err(|msg| Error::Invalid(format!("run record {name}: {msg}")))?;
    Ok(record.artifacts.into_iter().map(|a| (a.hash, a.kind, a.size)).collect())
}

/// Merge one record into the database, by run id, in one transaction. `name` is the record's
/// object name (used in messages; when it has the shape of [`object_name`] it must match the
/// content). A run unknown here is inserted (with no pid); a known run keeps its row, and gains
/// the params, tags and artifacts it lacks (local values win: differing ones count as conflicts)
/// and the metric points it lacks (a point is its key, step, timestamp and value; a point the
/// record holds n times is present n times after the merge). A run still running here is left
/// alone entirely. An invalid record is `Error::Invalid` and changes nothing.
pub fn merge(conn: &mut Connection, name: &str, bytes: &[u8]) -> Result<MergeOutcome, Error> {
    let invalid = |msg: String| Error::Invalid(format!("run record {name}: {msg}"));
    let record = parse(bytes).map_err(invalid)?;
    check_name(name, &record.run.id, bytes).map_err(invalid)?;
    let run = &record.run;
    let mut outcome = MergeOutcome { run_id: run.id.clone(), ..MergeOutcome::default() };

    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let local_status: Option<String> = tx
        .query_row("SELECT status FROM runs WHERE id = ?1", [&run.id], |r| r.get(0))
        .optional()?;
    if local_status.as_deref() == Some("running") {
        return Ok(outcome);
    }
    if let Some(e) = &record.experiment {
        outcome.new_experiment = experiment::merge(&tx, e)?;
    }
    // A run of a record without its experiment joins the one grouping it (as the migration).
    let experiment_id = record.experiment.as_ref().map(|e| e.id().to_owned());
    match local_status.as_deref() {
        // A nested run recorded here before its parent was known keeps learning it.
        Some(_) => {
            if let Some(parent) = &run.parent_id {
                tx.execute(
                    "UPDATE runs SET parent_id = ?2 WHERE id = ?1 AND parent_id IS NULL",
                    params![run.id, parent],
                )?;
            }
        }
        None => {
            tx.execute(
                &format!(
                    "INSERT INTO runs ({RUN_COLUMNS}, pid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
                     ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, NULL)"
                ),
                params![
                    run.id,
                    run.name,
                    run.command,
                    run.cwd,
                    run.git_commit,
                    run.git_branch,
                    run.git_dirty,
                    run.git_diff_hash,
                    run.status,
                    run.exit_code,
                    run.start_time,
                    run.end_time,
                    run.duration.0,
                    run.host,
                    run.user,
                    run.mlx_version,
                    run.stage,
                    run.pipeline_run,
                    experiment_id,
                    run.parent_id,
                    run.deleted_at,
                ],
            )?;
            outcome.new_run = true;
            if experiment_id.is_none() {
                super::experiments::adopt_run(&tx, &run.id)?;
            }
        }
    }
    let new_run = outcome.new_run;

    // Params and tags: insert the keys missing here.
    let (added, conflicts) = merge_key_values(&tx, "params", &run.id, &record.params, new_run)?;
    outcome.params_added = added;
    outcome.conflicts += conflicts;
    let (added, conflicts) = merge_key_values(&tx, "tags", &run.id, &record.tags, new_run)?;
    outcome.tags_added = added;
    outcome.conflicts += conflicts;
    // The environment: facts missing here are added (they never change once recorded).
    let (_, conflicts) =
        merge_key_values(&tx, "run_environment", &run.id, &record.environment, new_run)?;
    outcome.conflicts += conflicts;

    // Metrics: insert the points missing here (as a multiset), then recompute the latest point
    // of every key that gained one.
    let mut local: HashMap<(&str, i64, i64, Option<u64>), usize> = HashMap::new();
    let local_keys: Vec<(String, i64, i64, Real)> = if new_run {
        Vec::new()
    } else {
        let mut stmt =
            tx.prepare_cached("SELECT key, step, timestamp, value FROM metrics WHERE run_id = ?1")?;
        stmt.query_map([&run.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, Real::new(r.get(3)?))))?
            .collect::<Result<_, _>>()?
    };
    for (key, step, timestamp, value) in &local_keys {
        *local.entry((key.as_str(), *step, *timestamp, value.key())).or_default() += 1;
    }
    let mut touched: Vec<&str> = Vec::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO metrics (run_id, key, step, value, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for p in &record.metrics {
            match local.get_mut(&(p.key.as_str(), p.step, p.timestamp, p.value.key())) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    insert.execute(params![run.id, p.key, p.step, p.value.0, p.timestamp])?;
                    outcome.metrics_added += 1;
                    if touched.last() != Some(&p.key.as_str()) {
                        touched.push(&p.key);
                    }
                }
            }
        }
    }
    touched.sort_unstable();
    touched.dedup();
    {
        // As `runs::log_metrics` keeps it: the highest step, then the latest timestamp, then
        // the point inserted last.
        let mut latest = tx.prepare_cached(
            "INSERT OR REPLACE INTO latest_metrics (run_id, key, step, value, timestamp, points)
             SELECT run_id, key, step, value, timestamp,
                    (SELECT count(*) FROM metrics WHERE run_id = ?1 AND key = ?2)
             FROM metrics
             WHERE run_id = ?1 AND key = ?2
             ORDER BY step DESC, timestamp DESC, rowid DESC LIMIT 1",
        )?;
        // Points merged in anywhere among the steps: a summary is made again when next read.
        let mut stale =
            tx.prepare_cached("DELETE FROM metric_summaries WHERE run_id = ?1 AND key = ?2")?;
        for key in touched {
            latest.execute(params![run.id, key])?;
            stale.execute(params![run.id, key])?;
        }
    }

    // Artifacts: insert the paths missing here.
    {
        let local: HashMap<String, (String, String, i64)> = if new_run {
            HashMap::new()
        } else {
            let mut stmt = tx
                .prepare_cached("SELECT path, kind, hash, size FROM artifacts WHERE run_id = ?1")?;
            stmt.query_map([&run.id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
                .collect::<Result<_, _>>()?
        };
        let mut insert = tx.prepare_cached(
            "INSERT INTO artifacts (run_id, path, kind, hash, size) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for a in &record.artifacts {
            let size = i64::try_from(a.size).unwrap_or(i64::MAX);
            match local.get(&a.path) {
                Some((kind, hash, s)) if *kind == a.kind && *hash == a.hash && *s == size => {}
                Some(_) => outcome.conflicts += 1,
                None => {
                    insert.execute(params![run.id, a.path, a.kind, a.hash, size])?;
                    outcome.artifacts_added += 1;
                }
            }
        }
    }
    // Inputs: insert the paths missing here.
    {
        let local: HashMap<String, Input> = if new_run {
            HashMap::new()
        } else {
            let mut stmt = tx.prepare_cached(
                "SELECT path, kind, hash, size, files, pointer_hash FROM run_inputs
                 WHERE run_id = ?1",
            )?;
            stmt.query_map([&run.id], |r| {
                let count =
                    |i| r.get::<_, Option<i64>>(i).map(|v| v.and_then(|v| u64::try_from(v).ok()));
                let input = Input {
                    path: r.get(0)?,
                    kind: r.get(1)?,
                    hash: r.get(2)?,
                    size: count(3)?,
                    files: count(4)?,
                    pointer_hash: r.get(5)?,
                };
                Ok((input.path.clone(), input))
            })?
            .collect::<Result<_, _>>()?
        };
        let mut insert = tx.prepare_cached(
            "INSERT INTO run_inputs (run_id, path, kind, hash, size, files, pointer_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for i in &record.inputs {
            match local.get(&i.path) {
                Some(l) if l == i => {}
                Some(_) => outcome.conflicts += 1,
                None => {
                    let count = |n: Option<u64>| n.and_then(|n| i64::try_from(n).ok());
                    insert.execute(params![
                        run.id,
                        i.path,
                        i.kind,
                        i.hash,
                        count(i.size),
                        count(i.files),
                        i.pointer_hash
                    ])?;
                    outcome.inputs_added += 1;
                }
            }
        }
    }
    outcome.models_added =
        mlflow::merge(&tx, &run.id, &record.logged_models, &record.model_versions)?;
    tx.commit()?;
    Ok(outcome)
}

/// Insert the params or tags (`table`) of a record that run `id` lacks; returns how many were
/// added and how many keys it has with another value.
fn merge_key_values(
    conn: &Connection,
    table: &str,
    id: &str,
    rows: &[KeyValue],
    new_run: bool,
) -> Result<(usize, usize), Error> {
    let local: HashMap<String, String> = if new_run {
        HashMap::new()
    } else {
        let mut stmt =
            conn.prepare_cached(&format!("SELECT key, value FROM {table} WHERE run_id = ?1"))?;
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    let mut insert = conn.prepare_cached(match table {
        "params" => "INSERT INTO params (run_id, key, value, value_num) VALUES (?1, ?2, ?3, ?4)",
        "tags" => "INSERT INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)",
        _ => "INSERT INTO run_environment (run_id, key, value) VALUES (?1, ?2, ?3)",
    })?;
    let (mut added, mut conflicts) = (0, 0);
    for kv in rows {
        match local.get(&kv.key) {
            Some(v) if *v == kv.value => {}
            Some(_) => conflicts += 1,
            None => {
                if table == "params" {
                    insert.execute(params![id, kv.key, kv.value, as_number(&kv.value)])?;
                } else {
                    insert.execute(params![id, kv.key, kv.value])?;
                }
                added += 1;
            }
        }
    }
    Ok((added, conflicts))
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping: records this database pushed or merged.

/// The names of the records this database has pushed or merged (see [`mark_known`]).
pub fn known_names(conn: &Connection) -> Result<HashSet<String>, Error> {
    let mut stmt = conn.prepare("SELECT name FROM run_records")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Remember records as pushed from or merged into this database: `(name, run id)` pairs, in one
/// transaction (the caller's, if it holds one). Names already known keep the time they were
/// first seen.
pub fn mark_known(conn: &Connection, records: &[(String, String)]) -> Result<(), Error> {
    let seen = rfc3339(now_millis());
    let tx = if conn.is_autocommit() { Some(conn.unchecked_transaction()?) } else { None };
    {
        let mut insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO run_records (name, run_id, seen) VALUES (?1, ?2, ?3)",
        )?;
        for (name, run_id) in records {
            insert.execute(params![name, run_id, seen])?;
        }
    }
    if let Some(tx) = tx {
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::runs::{self, GitInfo, NewRun, Point, Status};

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        (dir, conn)
    }

    const HASH: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    /// Two finished runs (one with NaN, infinities and awkward floats), a failed one, and one
    /// still running.
    fn seeded() -> (tempfile::TempDir, Connection, Vec<RunId>) {
        let (dir, mut conn) = db();
        let mut ids = Vec::new();
        for i in 0..4_i64 {
            let run = NewRun {
                name: (i != 1).then(|| format!("r{i}")),
                command: vec!["python".into(), "train.py".into(), format!("--seed={i}")],
                cwd: ".".into(),
                git: GitInfo {
                    commit: Some(format!("{i}{:0<39}", "")),
                    branch: Some("main".into()),
                    dirty: i == 2,
                    diff_hash: (i == 2).then(|| HASH.to_owned()),
                },
                host: "h".into(),
                user: "u".into(),
                pid: 42,
                params: vec![("lr".into(), format!("0.{i}")), ("opt".into(), "adam".into())],
                tags: vec![("team".into(), "vision".into())],
                experiment: None,
            };
            let id = runs::start(&mut conn, &run, 1_700_000_000_000 + i * 1000).unwrap();
            let mut pts: Vec<Point<'_>> = (0..20)
                .map(|s| Point {
                    key: "loss",
                    value: 1.0 / (s as f64 + 3.0),
                    step: s,
                    timestamp: 1_700_000_000_000 + s,
                })
                .collect();
            pts.extend([
                Point { key: "acc", value: 0.1 + 0.2, step: 1, timestamp: 5 },
                Point { key: "acc", value: f64::NAN, step: 2, timestamp: 6 },
                Point { key: "grad", value: f64::INFINITY, step: 0, timestamp: 7 },
                Point { key: "grad", value: f64::NEG_INFINITY, step: 1, timestamp: 7 },
                Point { key: "tiny", value: 1e-300, step: 0, timestamp: 8 },
                Point { key: "tiny", value: -2.5e20, step: 1, timestamp: 8 },
                // A point logged twice, and two latest points that tie on step and time.
                Point { key: "dup", value: 1.5, step: 3, timestamp: 9 },
                Point { key: "dup", value: 1.5, step: 3, timestamp: 9 },
                Point { key: "dup", value: 2.5, step: 4, timestamp: 9 },
                Point { key: "tie", value: 2.5, step: 0, timestamp: 9 },
                Point { key: "tie", value: -1.0, step: 0, timestamp: 9 },
            ]);
            runs::log_metrics(&mut conn, &id, &pts).unwrap();
            runs::add_artifact(&conn, &id, "model.pt", "file", HASH, 1234).unwrap();
            runs::add_artifact(&conn, &id, "log", "log", HASH, 99).unwrap();
            let end = match i {
                0 | 1 => Some((Status::Finished, 0)),
                2 => Some((Status::Failed, 1)),
                _ => None,
            };
            if let Some((status, code)) = end {
                runs::finish(&conn, &id, status, Some(code), 1_700_000_100_000 + i).unwrap();
            }
            if i == 1 {
                crate::tracking::run_cache::set_stage(&conn, &id, "train", "pipe1").unwrap();
            }
            if i == 0 {
                use crate::tracking::inputs::{InputKind, RunInput};
                let input = |path: &str, kind, pointer_hash: Option<&str>| RunInput {
                    path: path.into(),
                    kind,
                    hash: Some(HASH.to_owned()),
                    size: Some(10),
                    files: (path == "data").then_some(2),
                    pointer_hash: pointer_hash.map(str::to_owned),
                };
                let inputs = [
                    input("train.py", InputKind::Dep, None),
                    input("data", InputKind::Dep, Some(&"0".repeat(64))),
                ];
                crate::tracking::inputs::record(&conn, &id, &inputs).unwrap();
                let facts = [("os", "linux"), ("lock.uv.lock", HASH)]
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .into_iter()
                    .collect();
                crate::tracking::environment::record(&conn, &id, &facts).unwrap();
            }
            ids.push(id);
        }
        (dir, conn, ids)
    }

    fn merge_all(conn: &mut Connection, records: &[RunRecord]) -> Vec<MergeOutcome> {
        records.iter().map(|r| merge(conn, &r.name, &r.bytes).unwrap()).collect()
    }

    /// Every row of every run table, as text, to check that nothing changed.
    fn dump(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for table in [
            "runs",
            "params",
            "tags",
            "metrics",
            "latest_metrics",
            "artifacts",
            "run_inputs",
            "run_environment",
        ] {
            let cols: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let expr =
                cols.iter().map(|c| format!("quote({c})")).collect::<Vec<_>>().join(" || '|' || ");
            let rows: Vec<String> = conn
                .prepare(&format!("SELECT {expr} FROM {table} ORDER BY 1"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            out.push(format!("{table}: {}", rows.len()));
            out.extend(rows);
        }
        out
    }

    fn latest(conn: &Connection, id: &str) -> Vec<(String, i64, Option<f64>, i64)> {
        conn.prepare(
            "SELECT key, step, value, timestamp FROM latest_metrics WHERE run_id = ?1 ORDER BY key",
        )
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    #[test]
    fn export_then_merge_reproduces_the_runs() {
        let (_a, src, ids) = seeded();
        let records = export(&src).unwrap();
        // The running run is not exported; the rest come sorted by id.
        assert_eq!(
            records.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(),
            ids[..3].iter().map(RunId::as_str).collect::<Vec<_>>()
        );
        for r in &records {
            assert_eq!(r.name, object_name(&r.run_id, &r.bytes));
            assert!(r.name.starts_with(&format!("runs/{}/", r.run_id)) && r.name.len() == 55);
        }

        let (_b, mut dst) = db();
        let outcomes = merge_all(&mut dst, &records);
        assert!(outcomes[0].new_run && outcomes[0].changed());
        assert_eq!(
            (outcomes[0].params_added, outcomes[0].tags_added, outcomes[0].artifacts_added),
            (2, 1, 2)
        );
        assert_eq!(outcomes[0].metrics_added, 31);
        assert_eq!((outcomes[0].inputs_added, outcomes[1].inputs_added), (2, 0));
        assert_eq!(outcomes[0].conflicts, 0);
        let inputs = crate::tracking::inputs::of_run(&dst, &ids[0]).unwrap();
        assert_eq!(inputs, crate::tracking::inputs::of_run(&src, &ids[0]).unwrap());
        let facts = crate::tracking::environment::of_run_id(&dst, &ids[0]).unwrap();
        assert_eq!(facts.len(), 2);
        assert_eq!(facts, crate::tracking::environment::of_run_id(&src, &ids[0]).unwrap());

        // Same bytes, same names.
        assert_eq!(export(&dst).unwrap(), records);
        for id in &ids[..3] {
            // Points tied on step and time: the latest is the one inserted last, here (a record
            // does not keep the order they were logged in) the last in the record's order.
            let (mut got, mut want) = (latest(&dst, id.as_str()), latest(&src, id.as_str()));
            let tie = |l: &mut Vec<(String, i64, Option<f64>, i64)>| {
                let i = l.iter().position(|p| p.0 == "tie").unwrap();
                l.remove(i)
            };
            assert_eq!(tie(&mut got), ("tie".to_owned(), 0, Some(2.5), 9));
            assert_eq!(tie(&mut want), ("tie".to_owned(), 0, Some(-1.0), 9));
            assert_eq!(got, want);
        }
        let pid: Option<i64> = dst
            .query_row("SELECT pid FROM runs WHERE id = ?1", [ids[0].as_str()], |r| r.get(0))
            .unwrap();
        assert_eq!(pid, None);
        let lr: Option<f64> = dst
            .query_row(
                "SELECT value_num FROM params WHERE run_id = ?1 AND key = 'lr'",
                [ids[1].as_str()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(lr, Some(0.1));
        // Merged runs show up in listings like local ones.
        let sort = crate::tracking::filter::Sort::newest_first();
        let listed = crate::tracking::query::list(
            &dst,
            &crate::tracking::query::ListQuery {
                filter: None,
                commits: &[],
                sort: &sort,
                limit: None,
            },
        )
        .unwrap();
        assert_eq!(listed.len(), 3);
    }

    #[test]
    fn merging_twice_changes_nothing() {
        let (_a, src, _ids) = seeded();
        let records = export(&src).unwrap();
        let (_b, mut dst) = db();
        merge_all(&mut dst, &records);
        let before = dump(&dst);
        for o in merge_all(&mut dst, &records) {
            assert_eq!(o, MergeOutcome { run_id: o.run_id.clone(), ..MergeOutcome::default() });
            assert!(!o.changed());
        }
        assert_eq!(dump(&dst), before);
        // Merging a database's own records back into it changes nothing either.
        let mut src = src;
        let before = dump(&src);
        for o in merge_all(&mut src, &records) {
            assert!(!o.changed() && o.conflicts == 0, "{o:?}");
        }
        assert_eq!(dump(&src), before);
    }

    #[test]
    fn local_values_win_and_missing_rows_are_added() {
        let (_a, src, ids) = seeded();
        let records = export(&src).unwrap();
        let (_b, mut dst) = db();
        merge_all(&mut dst, &records);
        let id = ids[0].as_str();
        let merged_latest = latest(&dst, id);
        dst.execute("UPDATE params SET value = '0.5' WHERE run_id = ?1 AND key = 'lr'", [id])
            .unwrap();
        dst.execute("DELETE FROM tags WHERE run_id = ?1", [id]).unwrap();
        dst.execute("UPDATE artifacts SET size = 1 WHERE run_id = ?1 AND path = 'log'", [id])
            .unwrap();
        dst.execute("DELETE FROM run_inputs WHERE run_id = ?1 AND path = 'data'", [id]).unwrap();
        dst.execute("UPDATE run_inputs SET size = 11 WHERE run_id = ?1", [id]).unwrap();
        // The newest loss point and one of the two identical dup points go missing.
        dst.execute(
            "DELETE FROM metrics WHERE run_id = ?1 AND ((key = 'loss' AND step = 19)
             OR rowid = (SELECT max(rowid) FROM metrics WHERE run_id = ?1 AND value = 1.5))",
            [id],
        )
        .unwrap();
        dst.execute(
            "UPDATE latest_metrics SET step = 18, value = 0.0 WHERE run_id = ?1 AND key = 'loss'",
            [id],
        )
        .unwrap();

        let o = merge(&mut dst, &records[0].name, &records[0].bytes).unwrap();
        assert_eq!(
            o,
            MergeOutcome {
                run_id: id.to_owned(),
                new_run: false,
                new_experiment: false,
                params_added: 0,
                tags_added: 1,
                metrics_added: 2,
                artifacts_added: 0,
                inputs_added: 1,
                models_added: 0,
                conflicts: 3,
            }
        );
        let lr: String = dst
            .query_row("SELECT value FROM params WHERE run_id = ?1 AND key = 'lr'", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(lr, "0.5");
        assert_eq!(latest(&dst, id), merged_latest);
        // Still conflicting, but nothing more to add.
        let again = merge(&mut dst, &records[0].name, &records[0].bytes).unwrap();
        assert!(!again.changed());
        assert_eq!(again.conflicts, 3);
    }

    #[test]
    fn newer_points_from_a_record_update_the_latest_metric() {
        let (_a, src, ids) = seeded();
        let records = export(&src).unwrap();
        let (_b, mut dst) = db();
        merge_all(&mut dst, &records);
        let id = ids[0].as_str();
        dst.execute("DELETE FROM metrics WHERE run_id = ?1 AND key = 'loss' AND step > 4", [id])
            .unwrap();
        dst.execute(
            "UPDATE latest_metrics SET step = 4, value = 0.0 WHERE run_id = ?1 AND key = 'loss'",
            [id],
        )
        .unwrap();
        let o = merge(&mut dst, &records[0].name, &records[0].bytes).unwrap();
        assert_eq!(o.metrics_added, 15);
        let loss = latest(&dst, id).into_iter().find(|l| l.0 == "loss").unwrap();
        assert_eq!(loss, ("loss".to_owned(), 19, Some(1.0 / 22.0), 1_700_000_000_019));
    }

    #[test]
    fn special_and_awkward_floats_round_trip() {
        let (_a, src, ids) = seeded();
        let records = export(&src).unwrap();
        let text = String::from_utf8(records[0].bytes.clone()).unwrap();
        assert!(text.contains(r#"{"key":"acc","step":2,"value":null,"timestamp":6}"#), "{text}");
        assert!(text.contains(r#"{"key":"grad","step":0,"value":"inf","timestamp":7}"#));
        assert!(text.contains(r#"{"key":"grad","step":1,"value":"-inf","timestamp":7}"#));
        assert!(text.contains(r#""value":0.30000000000000004,"#));

        let (_b, mut dst) = db();
        merge_all(&mut dst, &records);
        let values = |conn: &Connection| -> Vec<(String, Option<f64>)> {
            conn.prepare(
                "SELECT key, value FROM metrics WHERE run_id = ?1 ORDER BY key, step, value",
            )
            .unwrap()
            .query_map([ids[0].as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let got = values(&dst);
        assert_eq!(
            got.iter().map(|(k, v)| (k, v.map(f64::to_bits))).collect::<Vec<_>>(),
            values(&src).iter().map(|(k, v)| (k, v.map(f64::to_bits))).collect::<Vec<_>>()
        );
        assert!(got.contains(&("acc".into(), None)));
        assert!(got.contains(&("grad".into(), Some(f64::INFINITY))));
        assert!(got.contains(&("grad".into(), Some(f64::NEG_INFINITY))));

        // Many random values: every one reads back to the same bits (serde_json alone loses an
        // ULP on about one in ten).
        let (_c, mut many) = db();
        let run = NewRun {
            name: None,
            command: vec![],
            cwd: ".".into(),
            git: GitInfo::default(),
            host: "h".into(),
            user: "u".into(),
            pid: 1,
            params: vec![],
            tags: vec![],
            experiment: None,
        };
        let id = runs::start(&mut many, &run, 1_000).unwrap();
        let mut rng = fastrand::Rng::with_seed(7);
        let pts: Vec<Point<'_>> = (0..2000)
            .map(|s| {
                let value = match s % 3 {
                    0 => rng.f64(),
                    1 => f64::from_bits(rng.u64(..)),
                    _ => rng.f64() * 1e6,
                };
                Point { key: "x", value, step: s, timestamp: 0 }
            })
            .collect();
        runs::log_metrics(&mut many, &id, &pts).unwrap();
        runs::finish(&many, &id, Status::Finished, Some(0), 2_000).unwrap();
        many.execute("UPDATE runs SET duration = ?1", [0.1_f64 + 0.2]).unwrap();
        let recs = export(&many).unwrap();
        let (_d, mut back) = db();
        merge_all(&mut back, &recs);
        assert_eq!(export(&back).unwrap(), recs);
        let dur: f64 = back.query_row("SELECT duration FROM runs", [], |r| r.get(0)).unwrap();
        assert_eq!(dur.to_bits(), (0.1_f64 + 0.2).to_bits());
    }

    #[test]
    fn invalid_records_are_rejected_and_change_nothing() {
        let (_a, src, _ids) = seeded();
        let records = export(&src).unwrap();
        let good = String::from_utf8(records[0].bytes.clone()).unwrap();
        let id = records[0].run_id.clone();
        let (_b, mut dst) = db();
        merge(&mut dst, &records[1].name, &records[1].bytes).unwrap();
        let before = dump(&dst);

        let cases: Vec<(String, &str)> = vec![
            (good[..good.len() - 1].to_owned(), "not valid JSON"),
            ("[1,2]".to_owned(), "not a run record"),
            (good.replace(FORMAT, "mlx-other"), "format is"),
            (good.replace(r#""version":1"#, r#""version":2"#), "newer than this mlx"),
            (good.replace(&id, "ILLEGAL00000"), "invalid run id"),
            (good.replace(&id, &id[..11]), "invalid run id"),
            (good.replace(r#""status":"finished""#, r#""status":"running""#), "status"),
            (good.replace(r#""host":"h","#, ""), "missing field `host`"),
            (
                good.replace(r#""tags":[{"key":"team","value":"vision"}],"#, ""),
                "missing field `tags`",
            ),
            (good.replace(r#""kind":"file""#, r#""kind":"blob""#), "invalid kind"),
            (
                good.replace(r#""kind":"dep""#, r#""kind":"code""#),
                "input \"data\" has invalid kind",
            ),
            (good.replace(&"0".repeat(64), "0"), "input \"data\" has invalid hash"),
            (
                good.replace(r#""path":"train.py""#, r#""path":"data""#),
                "input \"data\" appears twice",
            ),
            (good.replacen(HASH, "abc", 2), "invalid hash"),
            (good.replacen(HASH, &HASH.to_uppercase(), 2), "invalid hash"),
            (good.replace(r#""value":"inf""#, r#""value":"NaN""#), "invalid value"),
            (good.replace(r#""step":0,"#, r#""step":0.5,"#), "invalid type"),
            (good.replace(r#""git_dirty":0"#, r#""git_dirty":7"#), "git_dirty"),
            (good.replace("2023-11-14T22:13:20.000Z", "yesterday"), "start_time"),
            (
                good.replace(
                    r#"{"key":"lr","value":"0.0"}"#,
                    r#"{"key":"lr","value":"0.0"},{"key":"lr","value":"1"}"#,
                ),
                "param \"lr\" appears twice",
            ),
        ];
        for (bytes, expected) in &cases {
            assert_ne!(bytes, &good, "case {expected:?} did not change the record");
            let err = merge(&mut dst, "x.json", bytes.as_bytes()).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, Error::Invalid(_)), "{msg}");
            assert!(msg.starts_with("run record x.json: "), "{msg}");
            assert!(msg.contains(expected), "expected {expected:?} in {msg}");
        }
        // A name that does not match the content.
        let other = &records[1].name;
        let err = merge(&mut dst, other, &records[0].bytes).unwrap_err().to_string();
        assert!(err.contains(&format!("holds run {id}")), "{err}");
        let forged = format!("runs/{id}/{}.json", "0".repeat(32));
        let err = merge(&mut dst, &forged, &records[0].bytes).unwrap_err().to_string();
        assert!(err.contains("does not match its name"), "{err}");
        assert_eq!(dump(&dst), before);
        // Whereas the record as exported, under any name, merges.
        assert!(merge(&mut dst, "incoming/record.json", good.as_bytes()).unwrap().new_run);
    }

    #[test]
    fn a_run_still_running_here_is_left_alone() {
        let (_a, src, ids) = seeded();
        let records = export(&src).unwrap();
        let (_b, mut dst) = db();
        merge_all(&mut dst, &records);
        dst.execute("UPDATE runs SET status = 'running' WHERE id = ?1", [ids[0].as_str()]).unwrap();
        dst.execute("DELETE FROM params WHERE run_id = ?1", [ids[0].as_str()]).unwrap();
        let before = dump(&dst);
        let o = merge(&mut dst, &records[0].name, &records[0].bytes).unwrap();
        assert!(!o.changed() && o.conflicts == 0);
        assert_eq!(dump(&dst), before);
        assert_eq!(export(&dst).unwrap().len(), 2);
    }

    /// The exact bytes of a small record: the format must not drift silently (a change would
    /// rename every record on every remote, and old mlx versions must read new records).
    #[test]
    fn record_bytes_are_pinned() {
        let (_d, conn) = db();
        conn.execute_batch(&format!(
            "INSERT INTO runs (id, name, command, cwd, git_commit, git_branch, git_dirty,
                 git_diff_hash, status, exit_code, start_time, end_time, duration, host, user,
                 pid, mlx_version, stage, pipeline_run)
             VALUES ('01hq5v3k9m2p', 'baseline', '[\"python\",\"train.py\"]', 'src',
                 '0123456789abcdef0123456789abcdef01234567', NULL, 1, '{HASH}', 'finished', 0,
                 '2024-02-20T10:00:00.000Z', '2024-02-20T10:05:00.250Z', 300.25, 'gpu1',
                 'ada', 777, '0.1.0', NULL, NULL);
             INSERT INTO params VALUES ('01hq5v3k9m2p', 'lr', '1e-3', 0.001),
                 ('01hq5v3k9m2p', 'batch', '32', 32);
             INSERT INTO tags VALUES ('01hq5v3k9m2p', 'note', 'quote \" and é');
             INSERT INTO metrics VALUES ('01hq5v3k9m2p', 'loss', 1, 0.5, 1708423300000),
                 ('01hq5v3k9m2p', 'loss', 0, 1e-7, 1708423200000),
                 ('01hq5v3k9m2p', 'acc', 0, NULL, 1708423200000),
                 ('01hq5v3k9m2p', 'acc', 1, 1e300 * 1e300, 1708423300000),
                 ('01hq5v3k9m2p', 'acc', 2, 3, 1708423300001);
             INSERT INTO artifacts VALUES ('01hq5v3k9m2p', 'out/model.pt', 'file', '{HASH}', 5);"
        ))
        .unwrap();
        let records = export(&conn).unwrap();
        let expected = concat!(
            r#"{"format":"mlx-run-record","version":1,"run":{"id":"01hq5v3k9m2p","#,
            r#""name":"baseline","command":"[\"python\",\"train.py\"]","cwd":"src","#,
            r#""git_commit":"0123456789abcdef0123456789abcdef01234567","git_branch":null,"#,
            r#""git_dirty":1,"#,
            r#""git_diff_hash":"af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262","#,
            r#""status":"finished","exit_code":0,"start_time":"2024-02-20T10:00:00.000Z","#,
            r#""end_time":"2024-02-20T10:05:00.250Z","duration":300.25,"host":"gpu1","#,
            r#""user":"ada","mlx_version":"0.1.0","stage":null,"pipeline_run":null},"#,
            r#""params":[{"key":"batch","value":"32"},{"key":"lr","value":"1e-3"}],"#,
            r#""tags":[{"key":"note","value":"quote \" and é"}],"#,
            r#""metrics":[{"key":"acc","step":0,"value":null,"timestamp":1708423200000},"#,
            r#"{"key":"acc","step":1,"value":"inf","timestamp":1708423300000},"#,
            r#"{"key":"acc","step":2,"value":3.0,"timestamp":1708423300001},"#,
            r#"{"key":"loss","step":0,"value":1e-7,"timestamp":1708423200000},"#,
            r#"{"key":"loss","step":1,"value":0.5,"timestamp":1708423300000}],"#,
            r#""artifacts":[{"path":"out/model.pt","kind":"file","#,
            r#""hash":"af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262","#,
            r#""size":5}]}"#,
        );
        assert_eq!(records.len(), 1);
        assert_eq!(String::from_utf8(records[0].bytes.clone()).unwrap(), expected);
        assert_eq!(records[0].name, "runs/01hq5v3k9m2p/783675f4cb26f28625c9c78f8e39958c.json");
        // Inputs, when the run has some, come last.
        conn.execute_batch(&format!(
            "INSERT INTO run_inputs VALUES ('01hq5v3k9m2p', 'data', 'data', '{HASH}', 7, 2,
                 '{HASH}'), ('01hq5v3k9m2p', 'gone', 'dep', NULL, NULL, NULL, NULL);"
        ))
        .unwrap();
        let with_inputs = String::from_utf8(export(&conn).unwrap()[0].bytes.clone()).unwrap();
        let inputs = concat!(
            r#","inputs":[{"path":"data","kind":"data","#,
            r#""hash":"af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262","#,
            r#""size":7,"files":2,"#,
            r#""pointer_hash":"af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},"#,
            r#"{"path":"gone","kind":"dep","hash":null,"size":null,"files":null,"#,
            r#""pointer_hash":null}]}"#,
        );
        assert_eq!(with_inputs, format!("{}{inputs}", &expected[..expected.len() - 1]));
    }

    #[test]
    fn known_names_are_remembered_once() {
        let (_d, conn) = db();
        assert!(known_names(&conn).unwrap().is_empty());
        let recs = vec![("runs/a/1.json".to_owned(), "a".to_owned())];
        mark_known(&conn, &recs).unwrap();
        let seen: String =
            conn.query_row("SELECT seen FROM run_records", [], |r| r.get(0)).unwrap();
        conn.execute("UPDATE run_records SET seen = 'then'", []).unwrap();
        mark_known(&conn, &[recs[0].clone(), ("runs/b/2.json".to_owned(), "b".to_owned())])
            .unwrap();
        let names = known_names(&conn).unwrap();
        assert_eq!(names, HashSet::from(["runs/a/1.json".to_owned(), "runs/b/2.json".to_owned()]));
        let kept: String = conn
            .query_row("SELECT seen FROM run_records WHERE run_id = 'a'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "then");
        assert!(seen.ends_with('Z'));
    }

    /// What MLflow's client logged travels: the nested run's parent, logged models, and model
    /// versions with their registered model; merging twice adds nothing, and a version number
    /// taken here by another version gets the next one.
    #[test]
    fn mlflow_models_and_nested_runs_travel() {
        use crate::tracking::mlflow as m;
        let (_a, mut origin, ids) = seeded();
        m::set_parent(&origin, &ids[1], ids[0].as_str()).unwrap();
        let logged = m::LoggedModel {
            id: "m-0123abcd".into(),
            run_id: Some(ids[0].to_string()),
            experiment_id: "0".into(),
            name: "model".into(),
            model_type: None,
            status: "LOGGED_MODEL_READY".into(),
            created: 5,
            updated: 6,
            tags: r#"{"a":"b"}"#.into(),
            params: "{}".into(),
        };
        m::add_logged_model(&origin, &logged).unwrap();
        let registered = |name: &str| m::RegisteredModel {
            name: name.into(),
            description: Some("d".into()),
            created: 1,
            updated: 1,
            tags: "{}".into(),
        };
        m::add_registered_model(&origin, &registered("echo")).unwrap();
        let version = |run: &RunId, source: &str| m::ModelVersion {
            name: "echo".into(),
            version: 0,
            source: source.into(),
            run_id: Some(run.to_string()),
            model_id: Some("m-0123abcd".into()),
            description: None,
            created: 7,
            updated: 7,
            tags: "{}".into(),
        };
        m::add_model_version(&mut origin, &version(&ids[0], "models:/m-0123abcd")).unwrap();
        let records = export(&origin).unwrap();
        let text = String::from_utf8(records[0].bytes.clone()).unwrap();
        assert!(text.contains(r#""logged_models":[{"id":"m-0123abcd""#), "{text}");
        assert!(text.contains(r#""model_versions":[{"name":"echo","version":1"#), "{text}");
        assert!(!String::from_utf8_lossy(&records[2].bytes).contains("logged_models"));

        // The clone registered a version 1 of its own already.
        let (_b, mut clone) = db();
        m::add_registered_model(&clone, &registered("echo")).unwrap();
        let own = NewRun {
            name: None,
            command: vec![],
            cwd: ".".into(),
            git: GitInfo::default(),
            host: "h".into(),
            user: "u".into(),
            pid: 1,
            params: vec![],
            tags: vec![],
            experiment: None,
        };
        let own = runs::start(&mut clone, &own, 1).unwrap();
        m::add_model_version(&mut clone, &version(&own, "runs:/x/model")).unwrap();
        let first = merge_all(&mut clone, &records);
        assert_eq!(first[0].models_added, 2, "{first:?}");
        let again = merge_all(&mut clone, &records);
        assert!(again.iter().all(|o| !o.changed()), "{again:?}");
        let parent: Option<String> = clone
            .query_row("SELECT parent_id FROM runs WHERE id = ?1", [ids[1].as_str()], |r| r.get(0))
            .unwrap();
        assert_eq!(parent.as_deref(), Some(ids[0].as_str()));
        let got = m::logged_model(&clone, "m-0123abcd").unwrap().expect("the logged model");
        assert_eq!(got.run_id.as_deref(), Some(ids[0].as_str()));
        assert_eq!(got.tags, r#"{"a":"b"}"#);
        let versions = m::model_versions(&clone, Some("echo")).unwrap();
        let numbers: Vec<(i64, Option<String>)> =
            versions.iter().map(|v| (v.version, v.run_id.clone())).collect();
        assert_eq!(
            numbers,
            vec![(2, Some(ids[0].to_string())), (1, Some(own.to_string()))],
            "the fetched version takes the next number"
        );
        // A fresh clone sees the origin's numbers, and exports the same bytes.
        let (_d, mut fresh) = db();
        merge_all(&mut fresh, &records);
        let again = export(&fresh).unwrap();
        assert_eq!(again[0].bytes, records[0].bytes);
        assert_eq!(again[1].bytes, records[1].bytes);
    }

    #[test]
    fn a_record_with_a_bad_model_is_refused() {
        let (_a, origin, _) = seeded();
        let records = export(&origin).unwrap();
        let text = String::from_utf8(records[0].bytes.clone()).unwrap();
        let bad = text.replacen(
            r#""run":{"#,
            r#""logged_models":[{"id":"../x","experiment_id":"0","name":"m","model_type":null,"status":"READY","created":1,"updated":1,"tags":"{}","params":"{}"}],"run":{"#,
            1,
        );
        let (_b, mut clone) = db();
        let err = merge(&mut clone, "x.json", bad.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("invalid logged model id"), "{err}");
    }
}
