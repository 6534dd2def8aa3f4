//! Experiments as `mlx exp list` and `mlx exp show` read them: the experiment's own fields, its
//! stages, and the params and latest metrics of the runs it shows (its own, and those its stages
//! name), gathered with a fixed number of queries whatever the number of experiments.
//!
//! A key that two stages of one listed experiment hold with different values (`acc` logged by
//! `train` and by `evaluate`, a `foreach` value) is shown per stage, as `STAGE:KEY`, in every
//! listed experiment; other keys appear once.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

use super::StageRow;
use crate::tracking::db::Error;
use crate::tracking::filter::{Attr, Field, Filter, Sort, Target, order_sql_in};
use crate::tracking::query::{FastMap, Interner, Key, MetricValue, text_ref};
use crate::tracking::run_id::RunId;

/// One experiment as `mlx exp list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentRecord {
    pub id: RunId,
    pub name: String,
    /// `pipeline` or `command`.
    pub kind: String,
    /// `queued`, `running`, `finished`, `failed` or `killed`.
    pub status: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
    /// RFC 3339 UTC.
    pub created: String,
    pub started: Option<String>,
    pub ended: Option<String>,
    /// Seconds from start to end.
    pub duration: Option<f64>,
    /// The `--set` overrides; empty for the committed setup.
    pub overrides: Vec<String>,
    /// BLAKE3 of `mlx.lock` right after it.
    pub lock_hash: Option<String>,
    /// Absent for the user's work tree.
    pub workspace: Option<String>,
    pub host: String,
    pub user: String,
    /// Every stage of the pipeline, with the run behind its results (pipelines only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageRow>,
    /// Params of the runs it shows; `STAGE:KEY` where its stages disagree.
    pub params: BTreeMap<Key, String>,
    /// Latest metric values of the runs it shows; `STAGE:KEY` where its stages disagree.
    pub metrics: BTreeMap<Key, MetricValue>,
    /// (stage, key, value) of each run it shows, before [`fold`] (not in JSON).
    #[serde(skip)]
    pub held_params: Vec<(Option<Key>, Key, String)>,
    #[serde(skip)]
    pub held_metrics: Vec<(Option<Key>, Key, MetricValue)>,
}

impl ExperimentRecord {
    /// Whether it stands for a committed setup: no `--set` overrides and a clean work tree.
    pub fn is_committed_setup(&self) -> bool {
        self.overrides.is_empty() && !self.dirty && self.workspace.is_none()
    }
}

/// Which experiments to list, in which order.
pub struct ListQuery<'a> {
    /// Compiled for [`Target::Experiments`].
    pub filter: Option<&'a Filter>,
    /// Commits (full SHAs or leading hex digits); empty for any commit.
    pub commits: &'a [String],
    pub sort: &'a Sort,
    pub limit: Option<usize>,
}

/// The columns of `experiments e` a record reads, and its duration in seconds (in whole
/// milliseconds, as the filter language's `duration` reads it).
const COLUMNS: &str = "e.id, e.name, e.kind, e.status, e.git_commit, e.git_branch, e.git_dirty, \
                       e.created, e.started, e.ended, e.overrides, e.lock_hash, e.workspace, \
                       e.host, e.user, \
                       max(round((julianday(e.ended) - julianday(e.started)) * 86400000.0), 0) \
                       / 1000.0";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExperimentRecord> {
    let started: Option<String> = row.get(8)?;
    let ended: Option<String> = row.get(9)?;
    let overrides = row.get_ref(10)?.as_str()?;
    let overrides = if overrides == "[]" {
        Vec::new()
    } else {
        serde_json::from_str(overrides).unwrap_or_default()
    };
    let duration: Option<f64> = row.get(15)?;
    Ok(ExperimentRecord {
        id: RunId::from_db(row.get(0)?),
        name: row.get(1)?,
        kind: row.get(2)?,
        status: row.get(3)?,
        commit: row.get(4)?,
        branch: row.get(5)?,
        dirty: row.get(6)?,
        created: row.get(7)?,
        started,
        ended,
        duration,
        overrides,
        lock_hash: row.get(11)?,
        workspace: row.get(12)?,
        host: row.get(13)?,
        user: row.get(14)?,
        stages: Vec::new(),
        params: BTreeMap::new(),
        metrics: BTreeMap::new(),
        held_params: Vec::new(),
        held_metrics: Vec::new(),
    })
}

/// The experiments a query selects, in its order, with their stages and held values (call
/// [`fold`] to fill `params` and `metrics`).
pub fn list(conn: &Connection, q: &ListQuery<'_>) -> Result<Vec<ExperimentRecord>, Error> {
    // Deleted through MLflow's client (the experiment, or the run a command's experiment is):
    // hidden until restored.
    let mut sql = format!(
        "SELECT {COLUMNS} FROM experiments e WHERE e.deleted_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM runs d WHERE d.id = e.id AND d.deleted_at IS NOT NULL)"
    );
    let mut params: Vec<Value> = Vec::new();
    if let Some(f) = q.filter {
        debug_assert_eq!(f.target, Target::Experiments);
        sql.push_str(&format!(" AND ({})", f.sql));
        params.extend(f.params.iter().cloned());
    }
    if !q.commits.is_empty() {
        let any = vec!["(e.git_commit >= ? AND e.git_commit < ?)"; q.commits.len()].join(" OR ");
        sql.push_str(&format!(" AND ({any})"));
        for c in q.commits {
            let c = c.to_ascii_lowercase();
            params.push(Value::Text(c.clone()));
            params.push(Value::Text(c + "g"));
        }
    }
    // By start time without a limit (the default listing): read in id order, which the primary
    // key gives for free, and sort here, rather than have SQLite sort whole rows.
    let by_start = q.limit.is_none() && q.sort.field == Field::Attr(Attr::Start);
    if by_start {
        sql.push_str(" ORDER BY e.id");
    } else {
        let (order, order_params) = order_sql_in(q.sort, Target::Experiments);
        sql.push_str(&format!(" ORDER BY {order} LIMIT ?"));
        params.extend(order_params);
        params.push(Value::Integer(q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))));
    }
    let mut stmt = conn.prepare(&sql)?;
    let mut found: Vec<ExperimentRecord> =
        stmt.query_map(params_from_iter(params), from_row)?.collect::<Result<_, _>>()?;
    if by_start {
        // As `start` sorts in SQL: `coalesce(started, created)`, ties by id, both one way.
        found.sort_by(|a, b| {
            let order = a
                .started
                .as_ref()
                .unwrap_or(&a.created)
                .cmp(b.started.as_ref().unwrap_or(&b.created))
                .then_with(|| a.id.cmp(&b.id));
            if q.sort.descending { order.reverse() } else { order }
        });
    }
    attach(conn, &mut found, None)?;
    Ok(found)
}

/// The given experiments, in the given order (unknown ids are left out), with their stages and
/// held values (call [`fold`]).
pub fn records(conn: &Connection, ids: &[RunId]) -> Result<Vec<ExperimentRecord>, Error> {
    records_read(conn, ids, None)
}

/// [`records`], reading whole tables (`Some(true)`), looking each up (`Some(false)`), or as
/// [`attach`] chooses.
pub(super) fn records_read(
    conn: &Connection,
    ids: &[RunId],
    scan: Option<bool>,
) -> Result<Vec<ExperimentRecord>, Error> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM experiments e WHERE e.id = ?"))?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(r) =
            rusqlite::OptionalExtension::optional(stmt.query_row([id.as_str()], from_row))?
        {
            found.push(r);
        }
    }
    attach(conn, &mut found, scan)?;
    Ok(found)
}

/// From how many experiments on [`attach`] reads whole tables rather than looking up each
/// experiment and run, when the list holds at least half of all experiments: a scan in key
/// order costs far less than as many index lookups.
const SCAN_FROM: usize = 500;

type IdMap<V> = FastMap<String, V>;

/// (experiment, stage, key, value): one value of a run an experiment shows.
type Held<T> = (usize, Option<Key>, Key, T);

/// Stages, and the (stage, key, value) of every param and latest metric of the runs each
/// experiment shows: those its stage rows name, and those it made that no stage row names (a
/// command's run). Four queries whatever the number of experiments: for a few experiments,
/// each looks up exactly theirs (the ids passed as one JSON array, rows naming their experiment
/// by its position in it); for many, each reads its whole table once, in key order.
fn attach(
    conn: &Connection,
    found: &mut [ExperimentRecord],
    scan: Option<bool>,
) -> Result<(), Error> {
    if found.is_empty() {
        return Ok(());
    }
    let scan = match scan {
        Some(scan) => scan,
        None => {
            found.len() >= SCAN_FROM && {
                let all: i64 =
                    conn.query_row("SELECT count(*) FROM experiments", [], |r| r.get(0))?;
                found.len() * 2 >= usize::try_from(all).unwrap_or(usize::MAX)
            }
        }
    };
    let ids_json = serde_json::to_string(&found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
        .expect("strings serialize");
    let mut index: IdMap<usize> = IdMap::default();
    if scan {
        index.reserve(found.len());
        for (i, r) in found.iter().enumerate() {
            index.insert(r.id.to_string(), i);
        }
    }
    let at = Locate { scan, index: &index, count: found.len(), ids_json: &ids_json };
    // The runs each experiment made, and its stage rows: at the same time on a second
    // connection when reading whole tables.
    let mut reader = if scan { crate::tracking::db::open_reader(conn) } else { None };
    let (own, stage_rows) = match reader.take() {
        Some(other) => std::thread::scope(|scope| {
            let rows = scope.spawn(move || {
                let rows = at.stage_rows(&other);
                (other, rows)
            });
            let own = at.own_runs(conn);
            let (other, rows) = rows.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            reader = Some(other);
            (own, rows)
        }),
        None => (at.own_runs(conn), at.stage_rows(conn)),
    };
    let (own, stage_rows) = (own?, stage_rows?);
    for (i, row) in stage_rows {
        found[i].stages.push(row);
    }
    // The runs whose values are shown, each with the (experiment, stage) it counts for.
    let mut keys = Interner::default();
    let mut shown = Shown::default();
    let mut own_of: Vec<Vec<&str>> = vec![Vec::new(); found.len()];
    for (i, _, run) in &own {
        own_of[*i].push(run);
    }
    for (i, r) in found.iter_mut().enumerate() {
        for s in &mut r.stages {
            let Some(run) = &s.run else { continue };
            s.own = own_of[i].contains(&run.as_str());
            shown.add(run.as_str(), i, Some(keys.get(&s.stage)));
        }
    }
    for (i, stage, run) in &own {
        // A run its stage rows name counts for that stage already.
        let named =
            found[*i].stages.iter().any(|s| s.run.as_ref().is_some_and(|r| r.as_str() == run));
        if !named {
            shown.add(run, *i, stage.clone());
        }
    }
    if shown.heads.is_empty() {
        return Ok(());
    }
    let runs_json = if scan {
        String::new()
    } else {
        let mut runs = vec![""; shown.heads.len()];
        for (run, &at) in &shown.slot {
            runs[at] = run;
        }
        serde_json::to_string(&runs).expect("strings serialize")
    };
    let read = Values { scan, runs_json: &runs_json, shown: &shown };
    // Metrics on the second connection, at the same time as params.
    let (params, metrics) = match reader {
        Some(other) => std::thread::scope(|scope| {
            let metrics =
                scope.spawn(move || read.rows(&other, "latest_metrics", MetricValue::from_db));
            let params = read.rows(conn, "params", |v: String| v);
            (params, metrics.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        }),
        None => (
            read.rows(conn, "params", |v: String| v),
            read.rows(conn, "latest_metrics", MetricValue::from_db),
        ),
    };
    let (params, metrics) = (params?, metrics?);
    // Each experiment's share, in vectors of the right size.
    let mut sizes = vec![(0, 0); found.len()];
    for p in &params {
        sizes[p.0].0 += 1;
    }
    for m in &metrics {
        sizes[m.0].1 += 1;
    }
    for (r, (p, m)) in found.iter_mut().zip(sizes) {
        r.held_params.reserve_exact(p);
        r.held_metrics.reserve_exact(m);
    }
    for (exp, stage, key, value) in params {
        found[exp].held_params.push((stage, key, value));
    }
    for (exp, stage, key, value) in metrics {
        found[exp].held_metrics.push((stage, key, value));
    }
    Ok(())
}

/// Where [`attach`] reads an experiment's rows: by its position in `ids_json`, or, reading
/// whole tables (`scan`), by its id.
#[derive(Clone, Copy)]
struct Locate<'a> {
    scan: bool,
    index: &'a IdMap<usize>,
    count: usize,
    ids_json: &'a str,
}

impl Locate<'_> {
    /// The experiment a row names in its first column.
    fn position(self, row: &rusqlite::Row<'_>) -> Result<Option<usize>, Error> {
        Ok(if self.scan {
            self.index.get(text_ref(row.get_ref(0)?).as_ref()).copied()
        } else {
            usize::try_from(row.get::<_, i64>(0)?).ok().filter(|i| *i < self.count)
        })
    }

    fn query<'s>(
        self,
        stmt: &'s mut rusqlite::CachedStatement<'_>,
    ) -> Result<rusqlite::Rows<'s>, Error> {
        Ok(if self.scan { stmt.query([])? } else { stmt.query([self.ids_json])? })
    }

    /// The runs each experiment made: (experiment, stage, run).
    fn own_runs(self, conn: &Connection) -> Result<Vec<(usize, Option<Key>, String)>, Error> {
        let mut stmt = conn.prepare_cached(if self.scan {
            "SELECT experiment_id, stage, id FROM runs WHERE experiment_id IS NOT NULL"
        } else {
            "SELECT j.key, r.stage, r.id FROM json_each(?1) j
             JOIN runs r ON r.experiment_id = j.value"
        })?;
        let mut rows = self.query(&mut stmt)?;
        let mut keys = Interner::default();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let Some(i) = self.position(row)? else { continue };
            let stage = stage_text(row.get_ref(1)?).map(|s| keys.get(&s));
            out.push((i, stage, row.get(2)?));
        }
        Ok(out)
    }

    /// Each experiment's stage rows, in stage order (the primary key's).
    fn stage_rows(self, conn: &Connection) -> Result<Vec<(usize, StageRow)>, Error> {
        let mut stmt = conn.prepare_cached(if self.scan {
            "SELECT experiment_id, stage, outcome, run_id, entry_hash FROM experiment_stages"
        } else {
            "SELECT j.key, s.stage, s.outcome, s.run_id, s.entry_hash
             FROM json_each(?1) j JOIN experiment_stages s ON s.experiment_id = j.value"
        })?;
        let mut rows = self.query(&mut stmt)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let Some(i) = self.position(row)? else { continue };
            out.push((
                i,
                StageRow {
                    stage: row.get(1)?,
                    outcome: row.get(2)?,
                    run: row.get::<_, Option<String>>(3)?.map(RunId::from_db),
                    own: false,
                    entry_hash: row.get(4)?,
                },
            ));
        }
        Ok(out)
    }
}

/// The runs whose values a listing shows, each with the (experiment, stage) pairs it counts
/// for: most runs count for one, a run named by several experiments' stages for each.
#[derive(Default)]
struct Shown {
    /// Run id → its position.
    slot: IdMap<usize>,
    /// Per position, the first of its pairs in `pairs` (`u32::MAX`: none).
    heads: Vec<u32>,
    /// (experiment, stage, the next pair of the same run).
    pairs: Vec<(usize, Option<Key>, u32)>,
}

impl Shown {
    fn add(&mut self, run: &str, exp: usize, stage: Option<Key>) {
        let at = match self.slot.get(run) {
            Some(&at) => at,
            None => {
                self.slot.insert(run.to_owned(), self.heads.len());
                self.heads.push(u32::MAX);
                self.heads.len() - 1
            }
        };
        let mut next = self.heads[at];
        while let Some((e, s, n)) = self.pairs.get(next as usize) {
            if *e == exp && *s == stage {
                return;
            }
            next = *n;
        }
        let Ok(index) = u32::try_from(self.pairs.len()) else { return };
        self.pairs.push((exp, stage, self.heads[at]));
        self.heads[at] = index;
    }

    /// The pairs of the run at `at`.
    fn pairs(&self, at: usize) -> impl Iterator<Item = &(usize, Option<Key>, u32)> {
        let mut next = self.heads.get(at).copied().unwrap_or(u32::MAX);
        std::iter::from_fn(move || {
            let pair = self.pairs.get(next as usize)?;
            next = pair.2;
            Some(pair)
        })
    }
}

/// Reading the params or latest metrics of the runs a listing shows.
#[derive(Clone, Copy)]
struct Values<'a> {
    /// Read the whole table (else look up the runs of `runs_json`).
    scan: bool,
    runs_json: &'a str,
    shown: &'a Shown,
}

impl Values<'_> {
    /// (experiment, stage, key, value) of every row of `table` for a shown run.
    fn rows<V: rusqlite::types::FromSql, T>(
        self,
        conn: &Connection,
        table: &str,
        convert: impl Fn(V) -> T,
    ) -> Result<Vec<Held<T>>, Error>
    where
        T: Clone,
    {
        let sql = if self.scan {
            format!("SELECT run_id, key, value FROM {table}")
        } else {
            format!(
                "SELECT j.key, t.key, t.value FROM json_each(?1) j CROSS JOIN {table} t
                 ON t.run_id = j.value"
            )
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = if self.scan { stmt.query([])? } else { stmt.query([self.runs_json])? };
        let mut keys = Interner::default();
        let mut out = Vec::new();
        // Scanned rows come in run order: one lookup per run.
        let mut last_run = String::new();
        let mut last_at: Option<usize> = None;
        while let Some(row) = rows.next()? {
            let at = if self.scan {
                let run = text_ref(row.get_ref(0)?);
                if last_run != run.as_ref() {
                    last_run.clear();
                    last_run.push_str(&run);
                    last_at = self.shown.slot.get(run.as_ref()).copied();
                }
                last_at
            } else {
                usize::try_from(row.get::<_, i64>(0)?).ok().filter(|i| *i < self.shown.heads.len())
            };
            let Some(at) = at else { continue };
            let key = keys.get(&text_ref(row.get_ref(1)?));
            let mut value = Some(convert(row.get(2)?));
            let mut pairs = self.shown.pairs(at).peekable();
            while let Some((exp, stage, _)) = pairs.next() {
                // Most runs count for one experiment: the value moves rather than is copied.
                let v = if pairs.peek().is_some() { value.clone() } else { value.take() };
                if let Some(v) = v {
                    out.push((*exp, stage.clone(), key.clone(), v));
                }
            }
        }
        Ok(out)
    }
}

/// A stage column: `None` for NULL.
fn stage_text(v: rusqlite::types::ValueRef<'_>) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        rusqlite::types::ValueRef::Null => None,
        v => Some(text_ref(v)),
    }
}

/// Keys that two runs of one experiment hold with different values.
fn disagreeing<V>(
    found: &[ExperimentRecord],
    held: impl Fn(&ExperimentRecord) -> &[(Option<Key>, Key, V)],
    same: impl Fn(&V, &V) -> bool,
) -> HashSet<Key> {
    let mut split = HashSet::new();
    let mut first: FastMap<&Key, &V> = FastMap::default();
    for r in found {
        let held = held(r);
        // A few values (the usual case): compare each with those before it.
        if held.len() <= 16 {
            for (i, (_, key, value)) in held.iter().enumerate() {
                if held[..i].iter().any(|(_, k, v)| k == key && !same(v, value)) {
                    split.insert(key.clone());
                }
            }
            continue;
        }
        first.clear();
        for (_, key, value) in held {
            match first.get(key) {
                Some(v) if !same(v, value) => {
                    split.insert(key.clone());
                }
                Some(_) => {}
                None => {
                    first.insert(key, value);
                }
            }
        }
    }
    split
}

/// The name of a key held by `stage` where stages disagree: `STAGE:KEY`.
pub fn staged_key(stage: &str, key: &str) -> String {
    format!("{stage}:{key}")
}

/// Keys shown per stage: `STAGE:KEY` → (stage, key).
pub type Staged = HashMap<Key, (Key, Key)>;

/// Fill `params` and `metrics` from the held values (which it takes): one entry per key, or per
/// stage (`STAGE:KEY`) for keys whose stages disagree in any of `found`. Returns the keys shown
/// per stage. Call it once.
pub fn fold(found: &mut [ExperimentRecord]) -> Staged {
    let split_params = disagreeing(found, |r| &r.held_params, |a, b| a == b);
    let split_metrics =
        disagreeing(found, |r| &r.held_metrics, |a, b| a.0.to_bits() == b.0.to_bits());
    let mut keys = Interner::default();
    let mut staged = Staged::new();
    let mut name = |stage: &Option<Key>, key: &Key, split: &HashSet<Key>| match stage {
        Some(s) if !split.is_empty() && split.contains(key) => {
            let name = keys.get(&staged_key(s.as_str(), key.as_str()));
            staged.insert(name.clone(), (s.clone(), key.clone()));
            name
        }
        _ => key.clone(),
    };
    for r in found.iter_mut() {
        r.params.clear();
        r.metrics.clear();
        for (stage, key, value) in std::mem::take(&mut r.held_params) {
            r.params.insert(name(&stage, &key, &split_params), value);
        }
        for (stage, key, value) in std::mem::take(&mut r.held_metrics) {
            r.metrics.insert(name(&stage, &key, &split_metrics), value);
        }
    }
    staged
}
