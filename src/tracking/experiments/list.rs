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
use crate::tracking::filter::{Filter, Sort, Target, order_sql_in};
use crate::tracking::query::{Interner, Key, MetricValue, text_ref};
use crate::tracking::run_id::RunId;
use crate::tracking::runs::parse_rfc3339_millis;

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

const COLUMNS: &str = "e.id, e.name, e.kind, e.status, e.git_commit, e.git_branch, e.git_dirty, \
                       e.created, e.started, e.ended, e.overrides, e.lock_hash, e.workspace, \
                       e.host, e.user";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExperimentRecord> {
    let started: Option<String> = row.get(8)?;
    let ended: Option<String> = row.get(9)?;
    let overrides: String = row.get(10)?;
    #[allow(clippy::cast_precision_loss)]
    let duration = started
        .as_deref()
        .and_then(parse_rfc3339_millis)
        .zip(ended.as_deref().and_then(parse_rfc3339_millis))
        .map(|(s, e)| (e - s).max(0) as f64 / 1000.0);
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
        overrides: serde_json::from_str(&overrides).unwrap_or_default(),
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
    let mut sql = format!("SELECT {COLUMNS} FROM experiments e WHERE 1");
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
    let (order, order_params) = order_sql_in(q.sort, Target::Experiments);
    sql.push_str(&format!(" ORDER BY {order} LIMIT ?"));
    params.extend(order_params);
    params.push(Value::Integer(q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))));
    let mut stmt = conn.prepare(&sql)?;
    let mut found: Vec<ExperimentRecord> =
        stmt.query_map(params_from_iter(params), from_row)?.collect::<Result<_, _>>()?;
    attach(conn, &mut found)?;
    Ok(found)
}

/// The given experiments, in the given order (unknown ids are left out), with their stages and
/// held values (call [`fold`]).
pub fn records(conn: &Connection, ids: &[RunId]) -> Result<Vec<ExperimentRecord>, Error> {
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
    attach(conn, &mut found)?;
    Ok(found)
}

/// Stages, and the (stage, key, value) of every param and latest metric of the runs each
/// experiment shows. Five queries whatever the number of experiments; rows are matched to
/// experiments and runs by their position in the JSON arrays of ids the queries take, so no
/// id is looked up twice.
fn attach(conn: &Connection, found: &mut [ExperimentRecord]) -> Result<(), Error> {
    if found.is_empty() {
        return Ok(());
    }
    let ids_json = serde_json::to_string(&found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
        .expect("strings serialize");
    let count = found.len();
    let position = move |v: i64| usize::try_from(v).ok().filter(|i| *i < count);
    let mut keys = Interner::default();
    // The runs each experiment made: (experiment, stage, run).
    let mut own: Vec<(usize, Option<Key>, String)> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT j.key, r.stage, r.id FROM json_each(?1) j
             JOIN runs r ON r.experiment_id = j.value",
        )?;
        let mut rows = stmt.query([&ids_json])?;
        while let Some(row) = rows.next()? {
            let Some(i) = position(row.get(0)?) else { continue };
            let stage = row.get::<_, Option<String>>(1)?.map(|s| keys.get(&s));
            own.push((i, stage, row.get(2)?));
        }
    }
    // Each experiment's stage rows, in stage order (the primary key's).
    {
        let mut stmt = conn.prepare_cached(
            "SELECT j.key, s.stage, s.outcome, s.run_id, s.entry_hash
             FROM json_each(?1) j JOIN experiment_stages s ON s.experiment_id = j.value",
        )?;
        let mut rows = stmt.query([&ids_json])?;
        while let Some(row) = rows.next()? {
            let Some(i) = position(row.get(0)?) else { continue };
            found[i].stages.push(StageRow {
                stage: row.get(1)?,
                outcome: row.get(2)?,
                run: row.get::<_, Option<String>>(3)?.map(RunId::from_db),
                own: false,
                entry_hash: row.get(4)?,
            });
        }
    }
    // The runs whose values are shown, each with the (experiment, stage) it counts for: the
    // experiment's own runs, and the runs its stage rows name.
    let mut runs: Vec<String> = Vec::new();
    let mut owners: Vec<Vec<(usize, Option<Key>)>> = Vec::new();
    let mut slot: HashMap<String, usize> = HashMap::new();
    let mut add = |run: &str, exp: usize, stage: Option<Key>| {
        let at = *slot.entry(run.to_owned()).or_insert_with(|| {
            runs.push(run.to_owned());
            owners.push(Vec::new());
            runs.len() - 1
        });
        let list = &mut owners[at];
        if !list.iter().any(|(e, s)| *e == exp && *s == stage) {
            list.push((exp, stage));
        }
    };
    let mut own_of: Vec<Vec<&str>> = vec![Vec::new(); found.len()];
    for (i, stage, run) in &own {
        add(run, *i, stage.clone());
        own_of[*i].push(run);
    }
    for (i, r) in found.iter_mut().enumerate() {
        for s in &mut r.stages {
            let Some(run) = &s.run else { continue };
            s.own = own_of[i].contains(&run.as_str());
            add(run.as_str(), i, Some(keys.get(&s.stage)));
        }
    }
    if runs.is_empty() {
        return Ok(());
    }
    let runs_json = serde_json::to_string(&runs).expect("strings serialize");
    let owner = |i: i64| usize::try_from(i).ok().and_then(|i| owners.get(i));
    let mut stmt = conn.prepare_cached(
        "SELECT j.key, t.key, t.value FROM json_each(?1) j CROSS JOIN params t
         ON t.run_id = j.value",
    )?;
    let mut rows = stmt.query([&runs_json])?;
    while let Some(row) = rows.next()? {
        let Some(list) = owner(row.get(0)?) else { continue };
        let key = keys.get(&text_ref(row.get_ref(1)?));
        let value = text_ref(row.get_ref(2)?).into_owned();
        for (exp, stage) in list {
            found[*exp].held_params.push((stage.clone(), key.clone(), value.clone()));
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT j.key, t.key, t.value FROM json_each(?1) j CROSS JOIN latest_metrics t
         ON t.run_id = j.value",
    )?;
    let mut rows = stmt.query([&runs_json])?;
    while let Some(row) = rows.next()? {
        let Some(list) = owner(row.get(0)?) else { continue };
        let key = keys.get(&text_ref(row.get_ref(1)?));
        let value = MetricValue::from_db(row.get(2)?);
        for (exp, stage) in list {
            found[*exp].held_metrics.push((stage.clone(), key.clone(), value));
        }
    }
    Ok(())
}

/// Keys that two runs of one experiment hold with different values.
fn disagreeing<V>(
    found: &[ExperimentRecord],
    held: impl Fn(&ExperimentRecord) -> &[(Option<Key>, Key, V)],
    same: impl Fn(&V, &V) -> bool,
) -> HashSet<Key> {
    let mut split = HashSet::new();
    for r in found {
        let mut first: HashMap<&Key, &V> = HashMap::new();
        for (_, key, value) in held(r) {
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
        Some(s) if split.contains(key) => {
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
