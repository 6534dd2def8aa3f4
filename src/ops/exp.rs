//! `mlx exp list|show|diff|rm|check`: reading, comparing, deleting and gating on experiments
//! (one `mlx run` each) and the runs they group. Filters and sort keys are compiled by
//! `tracking::filter` once their keys are resolved (`keys`); experiments are read by
//! `tracking::experiments`, runs by `tracking::query`. `list` and `columns` make the rows of
//! `exp list`, `check` picks what the CI gate judges.

mod check;
mod columns;
mod keys;
mod list;

use std::collections::BTreeSet;

use serde::Serialize;

pub use check::{Basis, CheckOptions, CheckReport, check};
pub use columns::{Column, ColumnKind, ColumnOptions, all_columns, glob_match};
pub use list::{ExperimentList, list_experiments};

use super::{Error, Result};
use crate::git::{self, Repo};
use crate::project::Project;
use crate::tracking::experiments::{self, Subject, list::ExperimentRecord};
use crate::tracking::filter::{self, Filter, FilterError, Sort, Target};
use crate::tracking::query::{self, Key, ListQuery, MetricValue, RunDetail, RunRecord};
use crate::tracking::{RunId, environment, runs};

/// The fewest characters of a run id that tables show.
pub const SHORT_ID: usize = 8;

fn filter_error(what: &'static str, text: &str, error: FilterError) -> Error {
    Error::Filter { what, text: text.to_owned(), error }
}

/// Compile a filter expression over runs, with errors that point into `text`.
pub fn compile_filter(text: &str) -> Result<Filter> {
    filter::compile(text).map_err(|e| filter_error("filter", text, e))
}

/// Parse a filter, resolve its keys against what runs have (short names, `STAGE:KEY`; an
/// unknown key is an error), and compile it for `target`.
pub(crate) fn resolved_filter(known: &keys::Known, text: &str, target: Target) -> Result<Filter> {
    let mut expr = filter::parse(text).map_err(|e| filter_error("filter", text, e))?;
    for c in expr.comparisons_mut() {
        let column = Some(c.field_col);
        keys::resolve(known, &mut c.field, text, column)?;
    }
    filter::compile_expr(expr, target).map_err(|e| filter_error("filter", text, e))
}

/// Parse a sort key and resolve its key as [`resolved_filter`] does.
pub(crate) fn resolved_sort(known: &keys::Known, text: &str) -> Result<Sort> {
    let mut sort = filter::parse_sort(text).map_err(|e| filter_error("sort key", text, e))?;
    keys::resolve(known, &mut sort.field, text, None)?;
    Ok(sort)
}

/// How many close keys an unknown key's message suggests, and how many keys it lists otherwise.
const SUGGESTED: usize = 3;
const LISTED: usize = 8;

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
    /// Which params and metrics columns to keep.
    pub columns: ColumnOptions,
}

/// `mlx exp list --stages`: one row per run.
#[derive(Debug, Serialize)]
pub struct ListReport {
    pub runs: Vec<RunRecord>,
    /// The params and metrics columns, short names first.
    pub columns: Vec<Column>,
    /// Columns `--only-changed`, `--columns` or `--drop` left out.
    #[serde(skip)]
    pub hidden_columns: usize,
    /// How many characters of the ids tell the listed runs apart (for tables).
    #[serde(skip)]
    pub short_id_len: usize,
}

impl columns::Values for RunRecord {
    fn params(&self) -> &std::collections::BTreeMap<Key, String> {
        &self.params
    }
    fn metrics(&self) -> &std::collections::BTreeMap<Key, MetricValue> {
        &self.metrics
    }
}

impl columns::Values for ExperimentRecord {
    fn params(&self) -> &std::collections::BTreeMap<Key, String> {
        &self.params
    }
    fn metrics(&self) -> &std::collections::BTreeMap<Key, MetricValue> {
        &self.metrics
    }
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

/// `mlx exp list --stages`: runs, one row each.
pub fn list_runs(project: &Project, opts: &ListOptions) -> Result<ListReport> {
    let commits = resolve_commits(project, &opts.commits)?;
    let conn = project.open_db()?;
    let known = keys::known(&conn)?;
    let filter = match opts.filter.as_deref() {
        Some(text) if !text.trim().is_empty() => Some(resolved_filter(&known, text, Target::Runs)?),
        _ => None,
    };
    let sort = match opts.sort.as_deref() {
        Some(text) => resolved_sort(&known, text)?,
        None => Sort::newest_first(),
    };
    // Runs whose recording mlx process died are failed, not running forever.
    crate::tracking::launch::reap(project, &conn)?;
    let runs = query::list(
        &conn,
        &ListQuery { filter: filter.as_ref(), commits: &commits, sort: &sort, limit: opts.limit },
    )?;
    let ids: Vec<&RunId> = runs.iter().map(|r| &r.id).collect();
    let short_id_len = query::unique_prefix_len(&conn, &ids, SHORT_ID)?;
    let (columns, hidden_columns) =
        columns::columns(&runs, &experiments::list::Staged::new(), &opts.columns);
    Ok(ListReport { runs, columns, hidden_columns, short_id_len })
}

/// `mlx exp show EXP|RUN`: an experiment with the runs it shows, or one run in full.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Shown {
    Experiment(Box<ExperimentDetail>),
    Run(Box<RunDetail>),
}

/// An experiment with the runs whose params and metrics it shows.
#[derive(Debug, Serialize)]
pub struct ExperimentDetail {
    #[serde(flatten)]
    pub experiment: ExperimentRecord,
    /// Its params and metrics, named short as `exp list` names them.
    pub columns: Vec<Column>,
    /// Its runs and those its stages name, oldest first (each with its `stage`).
    pub runs: Vec<RunRecord>,
    /// What those runs read from outside the experiment: tracked data and deps that none of
    /// them produced, with the hashes read, by stage.
    pub inputs: Vec<crate::tracking::inputs::StageInput>,
    /// What its runs ran on, the first run's value winning for a fact several recorded.
    pub environment: environment::Facts,
}

/// `mlx exp show EXP|RUN`.
pub fn show(project: &Project, what: &str) -> Result<Shown> {
    let conn = project.open_db()?;
    match experiments::resolve(&conn, what)? {
        Subject::Run(id) => Ok(Shown::Run(Box::new(query::show(&conn, &id)?))),
        Subject::Experiment(id) => {
            if experiments::is_command_run(&conn, &id)? {
                // A command's experiment is its run: show the run in full.
                return Ok(Shown::Run(Box::new(query::show(&conn, &id)?)));
            }
            let mut found = experiments::list::records(&conn, std::slice::from_ref(&id))?;
            let staged = experiments::list::fold(&mut found);
            let columns = all_columns(&found, &staged);
            let experiment = found.pop().ok_or_else(|| {
                crate::tracking::Error::UnknownExperiment { text: what.to_owned(), closest: None }
            })?;
            let runs = query::records(&conn, &experiments::member_runs(&conn, &id)?)?;
            let read: Vec<(Option<String>, RunId)> =
                runs.iter().map(|r| (r.stage.clone(), r.id.clone())).collect();
            let inputs = crate::tracking::inputs::from_outside(&conn, &read)?;
            let ids: Vec<RunId> = runs.iter().map(|r| r.id.clone()).collect();
            let environment = environment::of_runs(&conn, &ids)?;
            Ok(Shown::Experiment(Box::new(ExperimentDetail {
                experiment,
                columns,
                runs,
                inputs,
                environment,
            })))
        }
    }
}

/// One row of a comparison: a value of side A and of side B.
#[derive(Debug, Serialize)]
pub struct DiffRow<T> {
    /// The recorded key (`params.yaml:train.lr`), or the field (`commit`).
    pub key: String,
    /// How tables name it: short and unique, as `exp list` names its columns (`train.lr`).
    pub name: String,
    pub a: Option<T>,
    pub b: Option<T>,
    pub changed: bool,
}

/// One side of `mlx exp diff`: an experiment or a run.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Compared {
    Experiment(Box<ExperimentRecord>),
    Run(Box<RunRecord>),
}

impl Compared {
    pub fn id(&self) -> &RunId {
        match self {
            Compared::Experiment(e) => &e.id,
            Compared::Run(r) => &r.id,
        }
    }

    fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        match self {
            Compared::Experiment(e) => vec![
                ("name", Some(e.name.clone())),
                ("status", Some(e.status.clone())),
                ("commit", e.commit.clone()),
                ("branch", e.branch.clone()),
                ("dirty", Some(e.dirty.to_string())),
                ("start", e.started.clone().or_else(|| Some(e.created.clone()))),
                ("duration", e.duration.map(|d| d.to_string())),
                ("overrides", Some(e.overrides.join(" "))),
            ],
            Compared::Run(r) => vec![
                ("name", r.name.clone()),
                ("status", Some(r.status.clone())),
                ("commit", r.commit.clone()),
                ("branch", r.branch.clone()),
                ("dirty", Some(r.dirty.to_string())),
                ("start", Some(r.start.clone())),
                ("duration", r.duration.map(|d| d.to_string())),
                ("exit_code", r.exit_code.map(|c| c.to_string())),
            ],
        }
    }

    fn params(&self) -> &std::collections::BTreeMap<Key, String> {
        match self {
            Compared::Experiment(e) => &e.params,
            Compared::Run(r) => &r.params,
        }
    }

    fn metrics(&self) -> &std::collections::BTreeMap<Key, MetricValue> {
        match self {
            Compared::Experiment(e) => &e.metrics,
            Compared::Run(r) => &r.metrics,
        }
    }

    fn tags(&self) -> std::collections::BTreeMap<Key, String> {
        match self {
            Compared::Experiment(_) => std::collections::BTreeMap::new(),
            Compared::Run(r) => r.tags.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub a: Compared,
    pub b: Compared,
    /// name, status, commit, branch, dirty, start, duration, and exit_code (runs) or overrides
    /// (experiments).
    pub fields: Vec<DiffRow<String>>,
    pub params: Vec<DiffRow<String>>,
    pub metrics: Vec<DiffRow<MetricValue>>,
    pub tags: Vec<DiffRow<String>>,
    /// What the runs ran on (`os`, `cpu.model`, `gpu.0.name`, `python`, `lock.uv.lock`, …); an
    /// experiment's is its runs', the first run's value winning.
    pub environment: Vec<DiffRow<String>>,
}

fn rows<T: Clone + PartialEq>(
    a: &std::collections::BTreeMap<Key, T>,
    b: &std::collections::BTreeMap<Key, T>,
    name: impl Fn(&Key) -> String,
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
            DiffRow { key: k.to_string(), name: name(k), a: x, b: y, changed }
        })
        .collect()
}

impl columns::Values for Compared {
    fn params(&self) -> &std::collections::BTreeMap<Key, String> {
        Compared::params(self)
    }
    fn metrics(&self) -> &std::collections::BTreeMap<Key, MetricValue> {
        Compared::metrics(self)
    }
}

/// `mlx exp diff A B`: two experiments, two runs, or one of each.
pub fn diff(project: &Project, a: &str, b: &str) -> Result<DiffReport> {
    let conn = project.open_db()?;
    let subjects = [experiments::resolve(&conn, a)?, experiments::resolve(&conn, b)?];
    let exp_ids: Vec<RunId> = subjects
        .iter()
        .filter_map(|s| match s {
            Subject::Experiment(id) => Some(id.clone()),
            Subject::Run(_) => None,
        })
        .collect();
    let mut exps = experiments::list::records(&conn, &exp_ids)?;
    // Folded together, so keys split per stage are split on both sides.
    let staged = experiments::list::fold(&mut exps);
    let mut sides = Vec::with_capacity(2);
    for (subject, text) in subjects.iter().zip([a, b]) {
        let side = match subject {
            Subject::Experiment(id) => {
                let e = exps.iter().find(|e| e.id == *id).cloned();
                e.map(|e| Compared::Experiment(Box::new(e)))
            }
            Subject::Run(id) => query::records(&conn, std::slice::from_ref(id))?
                .pop()
                .map(|r| Compared::Run(Box::new(r))),
        };
        sides.push(side.ok_or_else(|| crate::tracking::Error::UnknownExperiment {
            text: text.to_owned(),
            closest: None,
        })?);
    }
    let (Some(b), Some(a)) = (sides.pop(), sides.pop()) else {
        unreachable!("two sides were pushed")
    };
    let (fa, fb) = (a.fields(), b.fields());
    let mut fields: Vec<DiffRow<String>> = Vec::new();
    for (key, x) in &fa {
        let y = fb.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.clone());
        fields.push(DiffRow {
            key: (*key).to_owned(),
            name: (*key).to_owned(),
            changed: *x != y,
            a: x.clone(),
            b: y,
        });
    }
    for (key, y) in &fb {
        if !fa.iter().any(|(k, _)| k == key) {
            fields.push(DiffRow {
                key: (*key).to_owned(),
                name: (*key).to_owned(),
                changed: y.is_some(),
                a: None,
                b: y.clone(),
            });
        }
    }
    // Short names over both sides, as `exp list` would name the columns of the two rows.
    let sides = [a, b];
    let names = all_columns(&sides, &staged);
    let name_of = |kind: ColumnKind| {
        let names = &names;
        move |k: &Key| {
            names
                .iter()
                .find(|c| c.kind == kind && c.key == k.as_str())
                .map_or_else(|| k.to_string(), |c| c.name.clone())
        }
    };
    let (a, b) = (&sides[0], &sides[1]);
    let params = rows(a.params(), b.params(), name_of(ColumnKind::Param), |x, y| {
        x == y || runs::as_number(x).is_some_and(|n| runs::as_number(y) == Some(n))
    });
    let metrics = rows(a.metrics(), b.metrics(), name_of(ColumnKind::Metric), |x, y| {
        x.0.to_bits() == y.0.to_bits() || x.0 == y.0
    });
    let tags = rows(&a.tags(), &b.tags(), |k: &Key| k.to_string(), |x, y| x == y);
    let environment = {
        let facts = |side: &Compared| -> Result<environment::Facts> {
            Ok(match side {
                Compared::Run(r) => environment::of_run_id(&conn, &r.id)?,
                Compared::Experiment(e) => {
                    environment::of_runs(&conn, &experiments::member_runs(&conn, &e.id)?)?
                }
            })
        };
        let (x, y) = (facts(a)?, facts(b)?);
        let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        keys.into_iter()
            .map(|k| {
                let (va, vb) = (x.get(k).cloned(), y.get(k).cloned());
                DiffRow { key: k.clone(), name: k.clone(), changed: va != vb, a: va, b: vb }
            })
            .collect()
    };
    let [a, b] = sides;
    Ok(DiffReport { a, b, fields, params, metrics, tags, environment })
}

#[derive(Debug)]
pub struct RmOptions {
    /// Experiments (names, ids, prefixes) and runs (ids, prefixes, names).
    pub runs: Vec<String>,
    /// Also delete experiments and runs still marked running (or queued).
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
    /// The runs deleted: those named, and those the experiments named made.
    pub deleted: Vec<RemovedRun>,
    /// The experiments deleted: those named, and those left with no run to show.
    pub experiments: Vec<experiments::Deleted>,
}

/// `mlx exp rm EXP|RUN...`: everything named is resolved before anything is deleted. An
/// experiment goes with the runs it made; a run alone takes its experiment along when that has
/// no other run to show (a command's).
pub fn rm(project: &Project, opts: &RmOptions) -> Result<RmReport> {
    let mut conn = project.open_db()?;
    let mut exps: Vec<RunId> = Vec::new();
    let mut ids: Vec<RunId> = Vec::new();
    for text in &opts.runs {
        match experiments::resolve(&conn, text)? {
            Subject::Experiment(id) => {
                if !exps.contains(&id) {
                    exps.push(id);
                }
            }
            Subject::Run(id) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    if !opts.force {
        let unfinished = experiments::list::records(&conn, &exps)?
            .into_iter()
            .find(|e| matches!(e.status.as_str(), "running" | "queued"));
        if let Some(e) = unfinished {
            return Err(Error::ExperimentStillRunning { name: e.name, status: e.status });
        }
    }
    let mut all = ids.clone();
    for e in &exps {
        for run in experiments::own_runs(&conn, e)? {
            if !all.contains(&run) {
                all.push(run);
            }
        }
    }
    let records = query::records(&conn, &all)?;
    if !opts.force
        && let Some(r) = records.iter().find(|r| r.status == runs::Status::Running.as_str())
    {
        return Err(Error::RunStillRunning { id: r.id.clone() });
    }
    let gone = experiments::delete(&mut conn, &exps, &ids)?;
    Ok(RmReport {
        deleted: records
            .into_iter()
            .map(|r| RemovedRun { id: r.id, name: r.name, status: r.status })
            .collect(),
        experiments: gone,
    })
}
