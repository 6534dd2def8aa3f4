//! Reading runs back: lists of runs with their params, tags and latest metrics pivoted into maps
//! (a fixed number of queries whatever the number of runs), one run in full with each metric's
//! history summarised, and evaluating a filter against one run for `mlx exp check`.

use std::borrow::{Borrow, Cow};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde::{Serialize, Serializer};

use super::db::Error;
use super::filter::{Comparison, Field, Filter, Sort, Target, order_sql, value_sql_in};
use super::run_id::RunId;

/// A metric value. NaN and infinities are kept; JSON writes them as the strings `"NaN"`,
/// `"Infinity"` and `"-Infinity"` (JSON numbers cannot hold them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricValue(pub f64);

impl MetricValue {
    /// From the database, where NULL stands for NaN.
    pub(crate) fn from_db(v: Option<f64>) -> Self {
        MetricValue(v.unwrap_or(f64::NAN))
    }
}

impl MetricValue {
    /// Six significant digits, for tables: `0.926359`, `1.5e-7`, `NaN`.
    pub fn short(&self) -> String {
        let v = self.0;
        if !v.is_finite() || v == 0.0 {
            return self.to_string();
        }
        fn trim(s: &str) -> &str {
            if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
        }
        #[allow(clippy::cast_possible_truncation)]
        let magnitude = v.abs().log10().floor() as i32;
        if (-4..15).contains(&magnitude) {
            // Most values need six digits or fewer: their shortest form is the answer, and much
            // cheaper than formatting the exact decimal expansion.
            let plain = v.to_string();
            let digits = plain.bytes().filter(u8::is_ascii_digit).skip_while(|b| *b == b'0');
            if digits.count() <= 6 {
                return plain;
            }
            let decimals = usize::try_from(5 - magnitude).unwrap_or(0);
            trim(&format!("{v:.decimals$}")).to_owned()
        } else {
            let s = format!("{v:.5e}");
            let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
            format!("{}e{exp}", trim(mantissa))
        }
    }
}

impl Serialize for MetricValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if v == f64::INFINITY {
            s.serialize_str("Infinity")
        } else if v == f64::NEG_INFINITY {
            s.serialize_str("-Infinity")
        } else {
            s.serialize_f64(v)
        }
    }
}

impl fmt::Display for MetricValue {
    /// Short and exact: `0.87`, `1e-7`, `12345`, `NaN`, `inf`, `-inf`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str("NaN")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { "inf" } else { "-inf" })
        } else if v == 0.0 || (1e-4..1e15).contains(&v.abs()) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

/// A param, metric or tag name, shared by every run of a list: 10,000 runs with the same 40
/// keys hold 40 strings, not 400,000.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(Arc<str>);

impl Key {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether both are the very same shared name (a cheap test before comparing text: keys
    /// of one listing come from one interner).
    pub fn is(&self, other: &Key) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A fast hash for maps keyed by names and ids a listing reads from the database (short
/// strings; a listing's maps live for one command, so hash flooding is not a concern).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }

    fn finish(&self) -> u64 {
        // Mix every bit into the low ones (bucket) and the high ones (tag) alike.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// Hands out one shared [`Key`] per distinct name.
#[derive(Default)]
pub(crate) struct Interner(FastMap<Box<str>, Key>);

impl Interner {
    pub(crate) fn get(&mut self, name: &str) -> Key {
        if let Some(k) = self.0.get(name) {
            return k.clone();
        }
        let k = Key(Arc::from(name));
        self.0.insert(name.into(), k.clone());
        k
    }
}

/// A text column without copying it (lossy for invalid UTF-8).
pub(crate) fn text_ref(v: ValueRef<'_>) -> Cow<'_, str> {
    match v {
        // Checked the fast way first: nearly every value is valid.
        ValueRef::Text(t) | ValueRef::Blob(t) => match std::str::from_utf8(t) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(t),
        },
        ValueRef::Integer(i) => Cow::Owned(i.to_string()),
        ValueRef::Real(f) => Cow::Owned(f.to_string()),
        ValueRef::Null => Cow::Borrowed(""),
    }
}

/// One run as `mlx exp list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: RunId,
    pub name: Option<String>,
    pub status: String,
    /// Full SHA; absent when the run started before the repository's first commit.
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
    /// RFC 3339 UTC.
    pub start: String,
    pub end: Option<String>,
    /// Seconds.
    pub duration: Option<f64>,
    pub exit_code: Option<i64>,
    /// The pipeline stage this run executed; absent for `mlx run -- CMD` runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    pub params: BTreeMap<Key, String>,
    /// The latest value (highest step) of each metric.
    pub metrics: BTreeMap<Key, MetricValue>,
    pub tags: BTreeMap<Key, String>,
}

/// Which runs to list, in which order.
pub struct ListQuery<'a> {
    pub filter: Option<&'a Filter>,
    /// Commits (full SHAs or leading hex digits); empty for any commit.
    pub commits: &'a [String],
    pub sort: &'a Sort,
    pub limit: Option<usize>,
}

const RUN_COLUMNS: &str = "r.id, r.name, r.status, r.git_commit, r.git_branch, r.git_dirty, \
                           r.start_time, r.end_time, r.duration, r.exit_code, r.stage";

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: RunId::from_db(row.get(0)?),
        name: row.get(1)?,
        status: row.get(2)?,
        commit: row.get(3)?,
        branch: row.get(4)?,
        dirty: row.get(5)?,
        start: row.get(6)?,
        end: row.get(7)?,
        duration: row.get(8)?,
        exit_code: row.get(9)?,
        stage: row.get(10)?,
        params: BTreeMap::new(),
        metrics: BTreeMap::new(),
        tags: BTreeMap::new(),
    })
}

/// The runs a query selects, in its order, with params, tags and latest metrics.
pub fn list(conn: &Connection, q: &ListQuery<'_>) -> Result<Vec<RunRecord>, Error> {
    // Runs deleted through MLflow's client are hidden until restored.
    let mut sql = format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.deleted_at IS NULL");
    let mut params: Vec<Value> = Vec::new();
    if let Some(f) = q.filter {
        sql.push_str(&format!(" AND ({})", f.sql));
        params.extend(f.params.iter().cloned());
    }
    if !q.commits.is_empty() {
        let any = vec!["(r.git_commit >= ? AND r.git_commit < ?)"; q.commits.len()].join(" OR ");
        sql.push_str(&format!(" AND ({any})"));
        for c in q.commits {
            let c = c.to_ascii_lowercase();
            params.push(Value::Text(c.clone()));
            params.push(Value::Text(c + "g"));
        }
    }
    let (order, order_params) = order_sql(q.sort);
    sql.push_str(&format!(" ORDER BY {order} LIMIT ?"));
    params.extend(order_params);
    params.push(Value::Integer(q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))));
    let mut stmt = conn.prepare(&sql)?;
    let mut runs: Vec<RunRecord> =
        stmt.query_map(params_from_iter(params), record_from_row)?.collect::<Result<_, _>>()?;
    attach_details(conn, &mut runs)?;
    Ok(runs)
}

/// The given runs, in the given order (unknown ids are left out).
pub fn records(conn: &Connection, ids: &[RunId]) -> Result<Vec<RunRecord>, Error> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.id = ?"))?;
    let mut runs = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(r) = stmt.query_row([id.as_str()], record_from_row).optional()? {
            runs.push(r);
        }
    }
    attach_details(conn, &mut runs)?;
    Ok(runs)
}

/// Fill params, tags and latest metrics of `runs` with one query per table: the ids go in as
/// one JSON array parameter, and each row comes back with the index of its run.
fn attach_details(conn: &Connection, runs: &mut [RunRecord]) -> Result<(), Error> {
    if runs.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(&runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
        .expect("a list of strings serializes");
    let n = runs.len();
    let index = |i: i64| usize::try_from(i).ok().filter(|&i| i < n);
    let mut keys = Interner::default();
    for table in ["params", "tags"] {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT j.key, t.key, t.value FROM json_each(?1) j CROSS JOIN {table} t \
             ON t.run_id = j.value"
        ))?;
        let mut rows = stmt.query([&ids])?;
        while let Some(row) = rows.next()? {
            let Some(i) = index(row.get(0)?) else { continue };
            let k = keys.get(&text_ref(row.get_ref(1)?));
            let v = text_ref(row.get_ref(2)?).into_owned();
            let run = &mut runs[i];
            if table == "params" {
                run.params.insert(k, v)
            } else {
                run.tags.insert(k, v)
            };
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT j.key, m.key, m.value FROM json_each(?1) j CROSS JOIN latest_metrics m \
         ON m.run_id = j.value",
    )?;
    let mut rows = stmt.query([&ids])?;
    while let Some(row) = rows.next()? {
        let Some(i) = index(row.get(0)?) else { continue };
        let k = keys.get(&text_ref(row.get_ref(1)?));
        runs[i].metrics.insert(k, MetricValue::from_db(row.get(2)?));
    }
    Ok(())
}

/// The param and metric keys that recorded runs have, sorted, and how many runs there are.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KnownKeys {
    pub runs: u64,
    pub params: Vec<String>,
    pub metrics: Vec<String>,
}

/// Every param and metric key any run has (for telling a mistyped key from a missing value).
pub fn known_keys(conn: &Connection) -> Result<KnownKeys, Error> {
    let keys = |sql: &str| -> Result<Vec<String>, Error> {
        let mut stmt = conn.prepare(sql)?;
        let keys = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(keys)
    };
    let runs: i64 = conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))?;
    Ok(KnownKeys {
        runs: u64::try_from(runs).unwrap_or(0),
        params: keys("SELECT DISTINCT key FROM params ORDER BY key")?,
        metrics: keys("SELECT DISTINCT key FROM latest_metrics ORDER BY key")?,
    })
}

/// How many leading characters tell each of `ids` apart from every run in the database (at
/// least `min`), so short ids in a table can be typed back as prefixes.
pub fn unique_prefix_len(conn: &Connection, ids: &[&RunId], min: usize) -> Result<usize, Error> {
    unique_prefix_len_in(conn, "runs", ids, min)
}

/// [`unique_prefix_len_in`] worked out on another thread, on a connection of its own, while
/// the caller goes on (for many ids: it reads every id of the tables). `None` when no second
/// connection can be had.
pub fn unique_prefix_len_later(
    conn: &Connection,
    table: &'static str,
    ids: Vec<RunId>,
    min: usize,
) -> Option<std::thread::JoinHandle<Result<usize, Error>>> {
    let reader = super::db::open_reader(conn)?;
    Some(std::thread::spawn(move || {
        let ids: Vec<&RunId> = ids.iter().collect();
        unique_prefix_len_in(&reader, table, &ids, min)
    }))
}

/// [`unique_prefix_len`] among the ids of `table` (`runs` or `experiments`) and of runs: a
/// prefix typed back must name one experiment or run.
pub fn unique_prefix_len_in(
    conn: &Connection,
    table: &str,
    ids: &[&RunId],
    min: usize,
) -> Result<usize, Error> {
    if ids.is_empty() {
        return Ok(min);
    }
    let tables: &[&str] = if table == "experiments" { &["experiments", "runs"] } else { &["runs"] };
    let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let mut need = min;
    // A few ids: their neighbours, one index lookup each; many: every id, in index order.
    if ids.len() <= 64 {
        for t in tables {
            let mut below = conn.prepare_cached(&format!(
                "SELECT id FROM {t} WHERE id < ?1 ORDER BY id DESC LIMIT 1"
            ))?;
            let mut above = conn
                .prepare_cached(&format!("SELECT id FROM {t} WHERE id > ?1 ORDER BY id LIMIT 1"))?;
            for id in ids {
                let id = id.as_str();
                for stmt in [&mut below, &mut above] {
                    let next: Option<String> = stmt.query_row([id], |r| r.get(0)).optional()?;
                    if let Some(n) = next {
                        need = need.max(common(&n, id) + 1);
                    }
                }
            }
        }
        return Ok(need.min(super::run_id::LEN));
    }
    // Every id of the tables in one sorted sequence (each table's in index order, merged, read
    // row by row into two reused buffers), each compared with the one before it: a pair sharing
    // N characters needs N + 1 where either is listed.
    let listed: std::collections::HashSet<&str, std::hash::BuildHasherDefault<FastHasher>> =
        ids.iter().map(|i| i.as_str()).collect();
    let mut stmts = Vec::with_capacity(tables.len());
    for t in tables {
        stmts.push(conn.prepare_cached(&format!("SELECT id FROM {t} ORDER BY id"))?);
    }
    let mut cursors = Vec::with_capacity(stmts.len());
    for stmt in &mut stmts {
        cursors.push((stmt.query([])?, String::new(), false));
    }
    let advance = |c: &mut (rusqlite::Rows<'_>, String, bool)| -> Result<(), Error> {
        c.1.clear();
        c.2 = match c.0.next()? {
            Some(row) => {
                c.1.push_str(&text_ref(row.get_ref(0)?));
                true
            }
            None => false,
        };
        Ok(())
    };
    for c in &mut cursors {
        advance(c)?;
    }
    let (mut prev, mut prev_listed) = (String::new(), false);
    // Each turn takes the cursor holding the smallest id.
    while let Some(k) = (0..cursors.len())
        .filter(|&k| cursors[k].2)
        .min_by(|&x, &y| cursors[x].1.cmp(&cursors[y].1))
    {
        let next = cursors[k].1.as_str();
        if next != prev {
            let next_listed = listed.contains(next);
            if !prev.is_empty() && (prev_listed || next_listed) {
                need = need.max(common(&prev, next) + 1);
            }
            prev.clear();
            prev.push_str(next);
            prev_listed = next_listed;
        }
        advance(&mut cursors[k])?;
    }
    Ok(need.min(super::run_id::LEN))
}

/// Everything about one metric of a run.
#[derive(Debug, Clone, Serialize)]
pub struct MetricSummary {
    /// The value at the highest step (as listed by `mlx exp list`).
    pub last: MetricValue,
    pub min: MetricValue,
    pub max: MetricValue,
    /// Number of recorded points.
    pub steps: u64,
    pub first_step: i64,
    pub last_step: i64,
    /// Up to [`SERIES_POINTS`] values in step order (bucket means for longer histories), for a
    /// sparkline. Not part of the JSON output.
    #[serde(skip)]
    pub series: Vec<f64>,
}

/// The most values kept in [`MetricSummary::series`].
pub const SERIES_POINTS: usize = 40;

#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    pub path: String,
    pub kind: String,
    pub hash: String,
    pub size: u64,
}

/// One run in full.
#[derive(Debug, Clone, Serialize)]
pub struct RunDetail {
    pub id: RunId,
    pub name: Option<String>,
    pub status: String,
    pub command: Vec<String>,
    pub cwd: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
    pub diff_hash: Option<String>,
    pub start: String,
    pub end: Option<String>,
    pub duration: Option<f64>,
    pub exit_code: Option<i64>,
    pub host: String,
    pub user: String,
    pub mlx_version: String,
    pub params: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub metrics: BTreeMap<String, MetricSummary>,
    pub artifacts: Vec<Artifact>,
    /// What the run read: its stage's deps, or the tracked data when `mlx run -- CMD` started.
    pub inputs: Vec<super::inputs::RunInput>,
    /// What it ran on (`os`, `cpu.model`, `gpu.0.name`, `python`, `lock.uv.lock`, …).
    pub environment: super::environment::Facts,
}

/// Everything recorded about run `id`.
pub fn show(conn: &Connection, id: &RunId) -> Result<RunDetail, Error> {
    let mut detail = conn
        .query_row(
            "SELECT id, name, status, command, cwd, git_commit, git_branch, git_dirty,
                    git_diff_hash, start_time, end_time, duration, exit_code, host, user,
                    mlx_version
             FROM runs WHERE id = ?1",
            [id.as_str()],
            |r| {
                let command: String = r.get(3)?;
                Ok(RunDetail {
                    id: RunId::from_db(r.get(0)?),
                    name: r.get(1)?,
                    status: r.get(2)?,
                    command: serde_json::from_str(&command).unwrap_or_else(|_| vec![command]),
                    cwd: r.get(4)?,
                    commit: r.get(5)?,
                    branch: r.get(6)?,
                    dirty: r.get(7)?,
                    diff_hash: r.get(8)?,
                    start: r.get(9)?,
                    end: r.get(10)?,
                    duration: r.get(11)?,
                    exit_code: r.get(12)?,
                    host: r.get(13)?,
                    user: r.get(14)?,
                    mlx_version: r.get(15)?,
                    params: BTreeMap::new(),
                    tags: BTreeMap::new(),
                    metrics: BTreeMap::new(),
                    artifacts: Vec::new(),
                    inputs: Vec::new(),
                    environment: Default::default(),
                })
            },
        )
        .optional()?
        .ok_or_else(|| Error::UnknownRun { prefix: id.to_string() })?;
    for (table, map) in [("params", &mut detail.params), ("tags", &mut detail.tags)] {
        let mut stmt =
            conn.prepare_cached(&format!("SELECT key, value FROM {table} WHERE run_id = ?1"))?;
        for kv in stmt.query_map([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let (k, v) = kv?;
            map.insert(k, v);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT path, kind, hash, size FROM artifacts WHERE run_id = ?1 ORDER BY path",
    )?;
    detail.artifacts = stmt
        .query_map([id.as_str()], |r| {
            Ok(Artifact {
                path: r.get(0)?,
                kind: r.get(1)?,
                hash: r.get(2)?,
                size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })?
        .collect::<Result<_, _>>()?;
    detail.metrics = metric_summaries(conn, id)?;
    detail.inputs = super::inputs::of_run(conn, id)?;
    detail.environment = super::environment::of_run_id(conn, id)?;
    Ok(detail)
}

fn metric_summaries(
    conn: &Connection,
    id: &RunId,
) -> Result<BTreeMap<String, MetricSummary>, Error> {
    let mut latest: BTreeMap<String, (Option<f64>, i64)> = BTreeMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT key, value, step FROM latest_metrics WHERE run_id = ?1")?;
    for row in stmt.query_map([id.as_str()], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))? {
        let (k, v) = row?;
        latest.insert(k, v);
    }
    let mut out = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT step, value FROM metrics WHERE run_id = ?1 AND key = ?2 ORDER BY step",
    )?;
    for (key, (last, last_step)) in latest {
        let points: Vec<(i64, f64)> = stmt
            .query_map(rusqlite::params![id.as_str(), key], |r| {
                Ok((r.get(0)?, r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN)))
            })?
            .collect::<Result<_, _>>()?;
        let finite = || points.iter().map(|p| p.1).filter(|v| !v.is_nan());
        let min = finite().fold(f64::NAN, f64::min);
        let max = finite().fold(f64::NAN, f64::max);
        let values: Vec<f64> = points.iter().map(|p| p.1).collect();
        out.insert(
            key,
            MetricSummary {
                last: MetricValue::from_db(last),
                min: MetricValue(min),
                max: MetricValue(max),
                steps: points.len() as u64,
                first_step: points.first().map_or(last_step, |p| p.0),
                last_step,
                series: downsample(&values, SERIES_POINTS),
            },
        );
    }
    Ok(out)
}

/// At most `n` values: the means of equal runs of consecutive values (NaN ignored).
fn downsample(values: &[f64], n: usize) -> Vec<f64> {
    if values.len() <= n {
        return values.to_vec();
    }
    (0..n)
        .map(|i| {
            let bucket = &values[i * values.len() / n..(i + 1) * values.len() / n];
            let finite: Vec<f64> = bucket.iter().copied().filter(|v| !v.is_nan()).collect();
            #[allow(clippy::cast_precision_loss)]
            let mean = finite.iter().sum::<f64>() / finite.len() as f64;
            if finite.is_empty() { f64::NAN } else { mean }
        })
        .collect()
}

/// What one comparison saw in a run.
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    /// The field compared, e.g. `metrics.acc`.
    pub field: String,
    /// The operator and values as written, e.g. `> 0.9`.
    pub expected: String,
    /// The run's value; absent when the run has no such metric, param or tag.
    pub actual: Option<Observed>,
    pub passed: bool,
}

/// A value read from a run: a number or text.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Observed {
    Number(MetricValue),
    Text(String),
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observed::Number(n) => n.fmt(f),
            Observed::Text(t) => f.write_str(t),
        }
    }
}

/// The table a filter's target reads, with its alias.
fn from_clause(target: Target) -> &'static str {
    match target {
        Target::Runs => "runs r WHERE r.id = ?",
        Target::Experiments => "experiments e WHERE e.id = ?",
    }
}

/// Whether run `id` (or experiment `id`, for a filter compiled for experiments) satisfies
/// `filter`, and what each of its comparisons saw.
pub fn evaluate(
    conn: &Connection,
    id: &RunId,
    filter: &Filter,
) -> Result<(bool, Vec<Observation>), Error> {
    let mut params = filter.params.clone();
    params.push(Value::Text(id.to_string()));
    let passed: bool = conn.query_row(
        &format!("SELECT ({}) FROM {}", filter.sql, from_clause(filter.target)),
        params_from_iter(params),
        |r| r.get(0),
    )?;
    let observations = filter
        .comparisons()
        .into_iter()
        .map(|c| observe(conn, id, c, filter.target))
        .collect::<Result<_, _>>()?;
    Ok((passed, observations))
}

fn observe(
    conn: &Connection,
    id: &RunId,
    c: &Comparison,
    target: Target,
) -> Result<Observation, Error> {
    let (cond, mut params) = c.to_sql_in(target).map_err(|e| Error::Invalid(e.message))?;
    let (value, value_params) = value_sql_in(&c.field, target);
    params.extend(value_params);
    params.push(Value::Text(id.to_string()));
    let (passed, actual): (bool, Value) = conn.query_row(
        &format!("SELECT ({cond}), {value} FROM {}", from_clause(target)),
        params_from_iter(params),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let actual = match actual {
        Value::Null => None,
        #[allow(clippy::cast_precision_loss)]
        Value::Integer(i) => Some(Observed::Number(MetricValue(i as f64))),
        Value::Real(v) => Some(Observed::Number(MetricValue(v))),
        Value::Text(t) if t == "NaN" && is_metric(&c.field) => {
            Some(Observed::Number(MetricValue(f64::NAN)))
        }
        Value::Text(t) => Some(Observed::Text(t)),
        Value::Blob(b) => Some(Observed::Text(String::from_utf8_lossy(&b).into_owned())),
    };
    Ok(Observation { field: c.field.to_string(), expected: c.rhs_text.clone(), actual, passed })
}

fn is_metric(field: &Field) -> bool {
    match field {
        Field::Metric(_) => true,
        Field::Staged(_, inner) => is_metric(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::filter;
    use crate::tracking::runs::{self, GitInfo, NewRun, Point};

    fn seeded() -> (tempfile::TempDir, Connection, Vec<RunId>) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let mut ids = Vec::new();
        for (i, acc) in [0.5, 0.9, f64::NAN].into_iter().enumerate() {
            let run = NewRun {
                name: Some(format!("r{i}")),
                command: vec!["train".into(), "--fast".into()],
                cwd: ".".into(),
                git: GitInfo { commit: Some(format!("{i}{:0<39}", "")), ..GitInfo::default() },
                host: "h".into(),
                user: "u".into(),
                pid: 1,
                params: vec![("lr".into(), format!("0.{i}")), ("seed".into(), "1".into())],
                tags: vec![("t".into(), i.to_string())],
                experiment: None,
            };
            let id = runs::start(&mut conn, &run, 1_000_000 + i as i64 * 1000).unwrap();
            let pts: Vec<Point<'_>> = (0..100)
                .map(|s| Point { key: "loss", value: 1.0 / (s + 1) as f64, step: s, timestamp: 0 })
                .chain([Point { key: "acc", value: acc, step: 7, timestamp: 0 }])
                .collect();
            runs::log_metrics(&mut conn, &id, &pts).unwrap();
            ids.push(id);
        }
        (dir, conn, ids)
    }

    #[test]
    fn list_pivots_and_orders() {
        let (_d, conn, ids) = seeded();
        let sort = Sort::newest_first();
        let all = list(&conn, &ListQuery { filter: None, commits: &[], sort: &sort, limit: None })
            .unwrap();
        assert_eq!(
            all.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]
        );
        assert_eq!(all[2].params["lr"], "0.0");
        assert_eq!(all[2].tags["t"], "0");
        assert_eq!(all[1].metrics["acc"], MetricValue(0.9));
        assert!(all[0].metrics["acc"].0.is_nan());
        assert_eq!(all[0].metrics["loss"], MetricValue(0.01));
        let f = filter::compile("metrics.acc >= 0.5").unwrap();
        let sort = filter::parse_sort("-metrics.acc").unwrap();
        let got =
            list(&conn, &ListQuery { filter: Some(&f), commits: &[], sort: &sort, limit: Some(1) })
                .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, ids[1]);
        let commits = vec!["1".to_owned()];
        let got =
            list(&conn, &ListQuery { filter: None, commits: &commits, sort: &sort, limit: None })
                .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, ids[1]);
        let json = serde_json::to_value(&all[0].metrics).unwrap();
        assert_eq!(json["acc"], "NaN");
    }

    #[test]
    fn known_keys_lists_each_key_once() {
        let (_d, conn, _ids) = seeded();
        let known = known_keys(&conn).unwrap();
        assert_eq!(known.runs, 3);
        assert_eq!(known.params, ["lr", "seed"]);
        assert_eq!(known.metrics, ["acc", "loss"]);
    }

    #[test]
    fn show_summarises_history() {
        let (_d, conn, ids) = seeded();
        let d = show(&conn, &ids[0]).unwrap();
        assert_eq!(d.command, ["train", "--fast"]);
        let loss = &d.metrics["loss"];
        assert_eq!((loss.steps, loss.first_step, loss.last_step), (100, 0, 99));
        assert_eq!(
            (loss.min, loss.max, loss.last),
            (MetricValue(0.01), MetricValue(1.0), MetricValue(0.01))
        );
        assert_eq!(loss.series.len(), SERIES_POINTS);
        assert!(loss.series[0] > loss.series[39]);
    }

    #[test]
    fn evaluate_reports_each_comparison() {
        let (_d, conn, ids) = seeded();
        let f =
            filter::compile("metrics.acc > 0.8 or params.seed = 1 and tags.nope = 'x'").unwrap();
        let (passed, obs) = evaluate(&conn, &ids[0], &f).unwrap();
        assert!(!passed);
        assert_eq!(obs.len(), 3);
        assert_eq!(
            (obs[0].field.as_str(), obs[0].expected.as_str(), obs[0].passed),
            ("metrics.acc", "> 0.8", false)
        );
        assert_eq!(obs[0].actual.as_ref().unwrap().to_string(), "0.5");
        assert!(obs[1].passed);
        assert!(obs[2].actual.is_none());
        let (passed, _) = evaluate(&conn, &ids[1], &f).unwrap();
        assert!(passed);
    }

    #[test]
    fn short_ids_stay_unique() {
        let (_d, conn, ids) = seeded();
        let n = unique_prefix_len(&conn, &ids.iter().collect::<Vec<_>>(), 8).unwrap();
        assert!((8..=12).contains(&n));
        let mut prefixes: Vec<&str> = ids.iter().map(|i| &i.as_str()[..n]).collect();
        prefixes.dedup();
        assert_eq!(prefixes.len(), 3);
    }

    #[test]
    fn unique_prefixes_agree_for_few_and_many_ids() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let mut ids = Vec::new();
        for i in 0..100_u32 {
            // Pairs that share 9, then 10 characters, among others sharing 8.
            let id = match i {
                0 => "d0000000ab00".to_owned(),
                1 => "d0000000ab01".to_owned(),
                2 => "d0000000a000".to_owned(),
                _ => format!("d{i:03}0000{i:04}"),
            };
            let table = if i % 2 == 0 { "runs" } else { "experiments" };
            if table == "runs" {
                conn.execute(
                    "INSERT INTO runs (id, command, cwd, git_dirty, status, start_time, host,
                         user, mlx_version) VALUES (?1, '[]', '.', 0, 'finished', 't', 'h', 'u', '0')",
                    [&id],
                )
                .unwrap();
            } else {
                conn.execute(
                    "INSERT INTO experiments (id, name, kind, git_dirty, status, created, host,
                         user) VALUES (?1, ?1, 'command', 0, 'finished', 't', 'h', 'u')",
                    [&id],
                )
                .unwrap();
            }
            ids.push(RunId::from_db(id));
        }
        let all: Vec<&RunId> = ids.iter().collect();
        assert_eq!(unique_prefix_len_in(&conn, "experiments", &all, 8).unwrap(), 12);
        assert_eq!(unique_prefix_len_in(&conn, "experiments", &all[..1], 8).unwrap(), 12);
        assert_eq!(unique_prefix_len_in(&conn, "experiments", &all[2..3], 8).unwrap(), 10);
        assert_eq!(unique_prefix_len_in(&conn, "experiments", &all[50..], 8).unwrap(), 8);
        assert_eq!(unique_prefix_len_in(&conn, "experiments", &all[50..60], 8).unwrap(), 8);
        // Only the runs table: the experiments' ids do not count.
        assert_eq!(unique_prefix_len_in(&conn, "runs", &all[2..3], 8).unwrap(), 10);
    }

    #[test]
    fn values_display_compactly() {
        let s = |v: f64| MetricValue(v).to_string();
        assert_eq!(s(0.87), "0.87");
        assert_eq!(s(1e-7), "1e-7");
        assert_eq!(s(123456.0), "123456");
        assert_eq!(s(f64::NEG_INFINITY), "-inf");
        let short = |v: f64| MetricValue(v).short();
        assert_eq!(short(0.926_359_113_193_346_9), "0.926359");
        assert_eq!(short(0.1 + 0.2), "0.3");
        assert_eq!(short(123_456_789.0), "123456789");
        assert_eq!(short(-1.234_567_8e-7), "-1.23457e-7");
        assert_eq!(short(2.0), "2");
        assert_eq!(short(f64::NAN), "NaN");
        // The shortest form, when it has six digits or fewer, is what six significant digits
        // give: compare with the exact expansion over many values.
        let exact = |v: f64| {
            #[allow(clippy::cast_possible_truncation)]
            let magnitude = v.abs().log10().floor() as i32;
            let decimals = usize::try_from(5 - magnitude).unwrap_or(0);
            let s = format!("{v:.decimals$}");
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                s
            }
        };
        for i in 1..20_000_u32 {
            for v in
                [f64::from(i) / 7.0, f64::from(i) / 1000.0, f64::from(i) * 0.1, 1.0 / f64::from(i)]
            {
                for v in [v, -v] {
                    let m = v.abs().log10().floor();
                    if (-4.0..15.0).contains(&m) {
                        assert_eq!(short(v), exact(v), "{v:?}");
                    }
                }
            }
        }
    }
}
