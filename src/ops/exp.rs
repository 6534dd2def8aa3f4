//! `mlx exp list|show|diff|rm|check`: reading, comparing, deleting and gating on recorded runs.
//! Filters and sort keys are compiled by `tracking::filter`; runs are read by
//! `tracking::query`.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Error, Result};
use crate::git::{self, Repo};
use crate::project::Project;
use crate::tracking::filter::{self, Field, Filter, FilterError, Sort};
use crate::tracking::query::{
    self, Key, ListQuery, MetricValue, Observation, RunDetail, RunRecord,
};
use crate::tracking::{RunId, runs};

/// The fewest characters of a run id that tables show.
pub const SHORT_ID: usize = 8;

fn filter_error(what: &'static str, text: &str, error: FilterError) -> Error {
    Error::Filter { what, text: text.to_owned(), error }
}

/// Compile a filter expression, with errors that point into `text`.
pub fn compile_filter(text: &str) -> Result<Filter> {
    filter::compile(text).map_err(|e| filter_error("filter", text, e))
}

/// How many close keys an unknown key's message suggests, and how many keys it lists otherwise.
const SUGGESTED: usize = 3;
const LISTED: usize = 8;

/// Refuse metric and param keys that no recorded run has: a mistyped key (`params.train.lr`
/// where runs have `params.lr`) would otherwise read as "no runs match", or pass a gate through
/// `is null` or `not`. `fields` are the fields an expression (or sort key) `text` names, with
/// their columns. Tags are free labels that may be on no run yet, and with no run recorded at
/// all there is nothing to compare with: neither is checked.
fn check_keys(
    conn: &rusqlite::Connection,
    text: &str,
    fields: &[(&Field, Option<usize>)],
) -> Result<()> {
    if !fields.iter().any(|(f, _)| matches!(f, Field::Metric(_) | Field::Param(_))) {
        return Ok(());
    }
    let known = query::known_keys(conn)?;
    if known.runs == 0 {
        return Ok(());
    }
    for (field, column) in fields {
        let (key, what, same, other): (&str, _, &[String], &[String]) = match field {
            Field::Param(k) => (k, "param", &known.params, &known.metrics),
            Field::Metric(k) => (k, "metric", &known.metrics, &known.params),
            Field::Tag(_) | Field::Attr(_) => continue,
        };
        if same.iter().any(|k| k == key) {
            continue;
        }
        let as_field = |k: &str, same_kind: bool| {
            let param = matches!(field, Field::Param(_)) == same_kind;
            if param { Field::Param(k.to_owned()) } else { Field::Metric(k.to_owned()) }.to_string()
        };
        let mut suggestions: Vec<String> =
            crate::text::similar_keys(key, same.iter().map(String::as_str), SUGGESTED)
                .into_iter()
                .map(|k| as_field(k, true))
                .collect();
        // `metrics.lr` where runs have the param `lr`.
        if other.iter().any(|k| k == key) {
            suggestions.push(as_field(key, false));
        }
        let listed = if suggestions.is_empty() {
            same.iter().take(LISTED).map(|k| as_field(k, true)).collect()
        } else {
            Vec::new()
        };
        return Err(Error::UnknownKey(Box::new(UnknownKey {
            field: field.to_string(),
            what,
            suggestions,
            known: listed,
            text: text.to_owned(),
            column: *column,
        })));
    }
    Ok(())
}

/// A metric or param key that no recorded run has, named in a filter, sort key or check.
#[derive(Debug, thiserror::Error)]
#[error("no recorded run has {field}{}", did_you_mean(.suggestions, .known, .what))]
pub struct UnknownKey {
    /// As written in filters: `params.train.lr`.
    pub field: String,
    /// `param` or `metric`.
    pub what: &'static str,
    /// Closest existing keys, written as fields (`params.lr`).
    pub suggestions: Vec<String>,
    /// Some of the keys runs have, when none is close.
    pub known: Vec<String>,
    /// The expression, and the column of the field in it (for a caret), if there is one.
    pub text: String,
    pub column: Option<usize>,
}

/// `; did you mean params.lr or params.seed?`, or `; runs have params.a, params.b, …`, or `; no
/// run has any param`.
fn did_you_mean(suggestions: &[String], known: &[String], what: &str) -> String {
    match (suggestions, known) {
        ([], []) => format!("; no run has any {what}"),
        ([], known) => {
            let more = if known.len() >= LISTED { ", …" } else { "" };
            format!("; runs have {}{more}", known.join(", "))
        }
        ([one], _) => format!("; did you mean {one}?"),
        (many, _) => {
            let (last, rest) = many.split_last().expect("two or more");
            format!("; did you mean {} or {last}?", rest.join(", "))
        }
    }
}

#[derive(Debug, Default)]
pub struct ListOptions {
    pub filter: Option<String>,
    /// `metrics.acc` ascending, `-metrics.acc` or `metrics.acc desc` descending; default newest
    /// first.
    pub sort: Option<String>,
    /// Git revisions (anything git accepts) or SHA prefixes of commits the runs were on.
    pub commits: Vec<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct ListReport {
    pub runs: Vec<RunRecord>,
    /// How many characters of the ids tell the listed runs apart (for tables).
    #[serde(skip)]
    pub short_id_len: usize,
}

/// Columns for a table of runs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Columns {
    pub params: Vec<String>,
    pub metrics: Vec<String>,
    /// Columns left out because every run has the same value there.
    pub hidden: usize,
}

impl ListReport {
    /// The params and metrics keys to show: all of them, or only those whose values differ
    /// between the runs (a missing value differs from any value). With one run, all.
    pub fn columns(&self, all: bool) -> Columns {
        let all = all || self.runs.len() < 2;
        let (params, hidden_params) =
            differing(&self.runs, all, |r| &r.params, |a: &String, b: &String| a == b);
        // Compare bit patterns, so NaN equals NaN here.
        let (metrics, hidden_metrics) = differing(
            &self.runs,
            all,
            |r| &r.metrics,
            |a: &MetricValue, b: &MetricValue| a.0.to_bits() == b.0.to_bits(),
        );
        Columns { params, metrics, hidden: hidden_params + hidden_metrics }
    }
}

/// Keys of the maps `get` picks from each run, sorted: all of them, or those whose value is
/// not the same in every run; and how many were left out. One pass, one hash lookup per value.
fn differing<V>(
    runs: &[RunRecord],
    all: bool,
    get: impl Fn(&RunRecord) -> &std::collections::BTreeMap<Key, V>,
    same: impl Fn(&V, &V) -> bool,
) -> (Vec<String>, usize) {
    // key → (first value seen, runs having it, values differ)
    let mut seen: std::collections::HashMap<&str, (&V, usize, bool)> =
        std::collections::HashMap::new();
    for r in runs {
        for (k, v) in get(r) {
            let e = seen.entry(k.as_str()).or_insert((v, 0, false));
            e.1 += 1;
            if !e.2 && !same(e.0, v) {
                e.2 = true;
            }
        }
    }
    let total = seen.len();
    let mut keys: Vec<String> = seen
        .into_iter()
        .filter(|(_, (_, n, differ))| all || *differ || *n < runs.len())
        .map(|(k, _)| k.to_owned())
        .collect();
    keys.sort_unstable();
    let hidden = total - keys.len();
    (keys, hidden)
}

/// Turn `--commit` arguments into SHAs (or SHA prefixes for commits git does not have, such as
/// runs recorded before a rebase or in another clone).
fn resolve_commits(project: &Project, specs: &[String]) -> Result<Vec<String>> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let repo = Repo::open(project.root())?;
    specs
        .iter()
        .map(|spec| match repo.resolve(spec) {
            Ok(rev) => Ok(rev.commit),
            Err(git::Error::UnknownRevision { .. } | git::Error::NoCommits { .. })
                if (4..=40).contains(&spec.len())
                    && spec.chars().all(|c| c.is_ascii_hexdigit()) =>
            {
                Ok(spec.to_ascii_lowercase())
            }
            Err(e) => Err(e.into()),
        })
        .collect()
}

pub fn list(project: &Project, opts: &ListOptions) -> Result<ListReport> {
    let filter = match opts.filter.as_deref() {
        Some(text) if !text.trim().is_empty() => Some(compile_filter(text)?),
        _ => None,
    };
    let sort = match opts.sort.as_deref() {
        Some(text) => filter::parse_sort(text).map_err(|e| filter_error("sort key", text, e))?,
        None => Sort::newest_first(),
    };
    let commits = resolve_commits(project, &opts.commits)?;
    let conn = project.open_db()?;
    if let Some(filter) = &filter {
        let fields: Vec<(&Field, Option<usize>)> =
            filter.comparisons().into_iter().map(|c| (&c.field, Some(c.field_col))).collect();
        check_keys(&conn, opts.filter.as_deref().unwrap_or_default(), &fields)?;
    }
    if let Some(text) = opts.sort.as_deref() {
        check_keys(&conn, text, &[(&sort.field, None)])?;
    }
    // Runs whose recording mlx process died are failed, not running forever.
    crate::tracking::launch::reap(project, &conn)?;
    let runs = query::list(
        &conn,
        &ListQuery { filter: filter.as_ref(), commits: &commits, sort: &sort, limit: opts.limit },
    )?;
    let ids: Vec<&RunId> = runs.iter().map(|r| &r.id).collect();
    let short_id_len = query::unique_prefix_len(&conn, &ids, SHORT_ID)?;
    Ok(ListReport { runs, short_id_len })
}

/// `mlx exp show RUN`.
pub fn show(project: &Project, run: &str) -> Result<RunDetail> {
    let conn = project.open_db()?;
    let id = crate::tracking::lookup::resolve(&conn, run)?;
    Ok(query::show(&conn, &id)?)
}

/// One row of a comparison: a value of run A and of run B.
#[derive(Debug, Serialize)]
pub struct DiffRow<T> {
    pub key: String,
    pub a: Option<T>,
    pub b: Option<T>,
    pub changed: bool,
}

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub a: RunRecord,
    pub b: RunRecord,
    /// name, status, commit, branch, dirty, start, duration, exit_code.
    pub fields: Vec<DiffRow<String>>,
    pub params: Vec<DiffRow<String>>,
    pub metrics: Vec<DiffRow<MetricValue>>,
    pub tags: Vec<DiffRow<String>>,
}

fn rows<T: Clone + PartialEq>(
    a: &std::collections::BTreeMap<Key, T>,
    b: &std::collections::BTreeMap<Key, T>,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<DiffRow<T>> {
    let keys: BTreeSet<&Key> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .map(|k| {
            let (x, y) = (a.get(k).cloned(), b.get(k).cloned());
            let changed = match (&x, &y) {
                (Some(x), Some(y)) => !same(x, y),
                _ => true,
            };
            DiffRow { key: k.to_string(), a: x, b: y, changed }
        })
        .collect()
}

/// `mlx exp diff RUN_A RUN_B`.
pub fn diff(project: &Project, run_a: &str, run_b: &str) -> Result<DiffReport> {
    let conn = project.open_db()?;
    let ids = [
        crate::tracking::lookup::resolve(&conn, run_a)?,
        crate::tracking::lookup::resolve(&conn, run_b)?,
    ];
    let mut records = query::records(&conn, &ids)?;
    let (Some(b), Some(a)) = (records.pop(), records.pop()) else {
        return Err(crate::tracking::Error::UnknownRun { prefix: run_a.to_owned() }.into());
    };
    let field = |key: &str, f: &dyn Fn(&RunRecord) -> Option<String>| {
        let (x, y) = (f(&a), f(&b));
        DiffRow { key: key.to_owned(), changed: x != y, a: x, b: y }
    };
    let fields = vec![
        field("name", &|r| r.name.clone()),
        field("status", &|r| Some(r.status.clone())),
        field("commit", &|r| r.commit.clone()),
        field("branch", &|r| r.branch.clone()),
        field("dirty", &|r| Some(r.dirty.to_string())),
        field("start", &|r| Some(r.start.clone())),
        field("duration", &|r| r.duration.map(|d| d.to_string())),
        field("exit_code", &|r| r.exit_code.map(|c| c.to_string())),
    ];
    let params = rows(&a.params, &b.params, |x, y| {
        x == y || runs::as_number(x).is_some_and(|n| runs::as_number(y) == Some(n))
    });
    let metrics = rows(&a.metrics, &b.metrics, |x, y| x.0.to_bits() == y.0.to_bits() || x.0 == y.0);
    let tags = rows(&a.tags, &b.tags, |x, y| x == y);
    Ok(DiffReport { a, b, fields, params, metrics, tags })
}

#[derive(Debug)]
pub struct RmOptions {
    pub runs: Vec<String>,
    /// Also delete runs still marked running.
    pub force: bool,
}

#[derive(Debug, Serialize)]
pub struct RemovedRun {
    pub id: RunId,
    pub name: Option<String>,
    pub status: String,
}

#[derive(Debug, Serialize)]
pub struct RmReport {
    pub deleted: Vec<RemovedRun>,
}

/// `mlx exp rm RUN...`: every prefix is resolved before anything is deleted.
pub fn rm(project: &Project, opts: &RmOptions) -> Result<RmReport> {
    let mut conn = project.open_db()?;
    let mut ids: Vec<RunId> = Vec::new();
    for prefix in &opts.runs {
        let id = crate::tracking::lookup::resolve(&conn, prefix)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let records = query::records(&conn, &ids)?;
    if !opts.force
        && let Some(r) = records.iter().find(|r| r.status == runs::Status::Running.as_str())
    {
        return Err(Error::RunStillRunning { id: r.id.clone() });
    }
    runs::delete(&mut conn, &ids)?;
    Ok(RmReport {
        deleted: records
            .into_iter()
            .map(|r| RemovedRun { id: r.id, name: r.name, status: r.status })
            .collect(),
    })
}

#[derive(Debug)]
pub struct CheckOptions {
    pub expr: String,
    /// A run id or prefix; `None` for the latest finished run on HEAD's commit.
    pub run: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub run: RunId,
    pub name: Option<String>,
    pub commit: Option<String>,
    pub expression: String,
    pub passed: bool,
    /// Each comparison with the value the run had.
    pub comparisons: Vec<Observation>,
}

/// How far back `exp check` looks for the runs behind HEAD.
const ANCESTORS_SEARCHED: usize = 100;

/// The run `exp check` judges when none is named: the latest finished run on HEAD's commit;
/// else on its nearest first-parent ancestor that has one. Runs are recorded on the commit they
/// started from, so the runs that produced a committed `mlx.lock` belong to the commit before
/// it; when `mlx run` on HEAD has nothing to do (a fresh CI clone after `mlx pull --runs`),
/// those are the runs whose results HEAD holds.
fn latest_run_for_head(project: &Project, conn: &rusqlite::Connection) -> Result<RunId> {
    let repo = Repo::open(project.root())?;
    let head = repo.resolve("HEAD")?;
    if let Some(id) = runs::latest(conn, Some(&head.commit), true)? {
        return Ok(id);
    }
    for commit in repo.first_parent_ancestors(&head, ANCESTORS_SEARCHED)? {
        if let Some(id) = runs::latest(conn, Some(&commit), true)? {
            return Ok(id);
        }
    }
    Err(Error::NoFinishedRun { commit: head.commit })
}

/// `mlx exp check EXPR [--run RUN]`: evaluate the expression for one run.
pub fn check(project: &Project, opts: &CheckOptions) -> Result<CheckReport> {
    let filter = compile_filter(&opts.expr)?;
    let conn = project.open_db()?;
    let fields: Vec<(&Field, Option<usize>)> =
        filter.comparisons().into_iter().map(|c| (&c.field, Some(c.field_col))).collect();
    check_keys(&conn, &opts.expr, &fields)?;
    let id = match &opts.run {
        Some(prefix) => crate::tracking::lookup::resolve(&conn, prefix)?,
        None => latest_run_for_head(project, &conn)?,
    };
    let (passed, comparisons) = query::evaluate(&conn, &id, &filter)?;
    let record = query::records(&conn, std::slice::from_ref(&id))?.pop();
    Ok(CheckReport {
        run: id,
        name: record.as_ref().and_then(|r| r.name.clone()),
        commit: record.and_then(|r| r.commit),
        expression: opts.expr.clone(),
        passed,
        comparisons,
    })
}
