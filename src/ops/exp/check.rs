//! `mlx exp check EXPR`: the CI gate. Without a choice, it judges the experiment that stands for
//! HEAD's committed setup: a finished pipeline experiment, with no `--set` overrides, run on a
//! clean work tree, whose `mlx.lock` is the one HEAD commits (the results were committed), or
//! that ran on HEAD's commit itself (a reproduction, such as CI makes); the newest such. Its
//! metrics come from all its stages, including stages that were up to date and did not rerun.
//! Without an `mlx.lock` at HEAD (commands only), an experiment on HEAD's commit. An ancestor's
//! experiment is judged only with `--ancestors`, and the report says so.

use serde::Serialize;

use super::{Error, Result, keys, resolved_filter};
use crate::git::{Repo, Revision};
use crate::project::Project;
use crate::project_path::RelPath;
use crate::tracking::experiments::{self, list::staged_key};
use crate::tracking::filter::{Field, Target};
use crate::tracking::query::{self, Observation};
use crate::tracking::{RunId, runs};

#[derive(Debug, Default)]
pub struct CheckOptions {
    pub expr: String,
    /// A run id or prefix: judge that run alone.
    pub run: Option<String>,
    /// An experiment (name, id or prefix) instead of HEAD's.
    pub exp: Option<String>,
    /// Judge only the run of this stage of the experiment.
    pub stage: Option<String>,
    /// When no experiment stands for HEAD, judge the nearest first-parent ancestor's.
    pub ancestors: bool,
}

/// Why the judged experiment or run was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Named with `--exp` or `--run`.
    Named,
    /// Its `mlx.lock` is the one HEAD commits.
    HeadLock,
    /// It ran on HEAD's commit, on a clean work tree.
    HeadCommit,
    /// It stands for an ancestor of HEAD (`--ancestors`).
    Ancestor,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// The experiment judged (or the one the judged run belongs to).
    pub experiment: Option<RunId>,
    pub experiment_name: Option<String>,
    /// The run judged, when one run was (`--run`, `--stage`).
    pub run: Option<RunId>,
    /// The name of what was judged (the experiment's, or the run's).
    pub name: Option<String>,
    /// The stage of the run judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The commit it ran on.
    pub commit: Option<String>,
    pub basis: Basis,
    /// With `--ancestors`: the ancestor of HEAD it stands for, and how many commits back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestor_distance: Option<usize>,
    /// Stages of the judged experiment with no run recorded here (their params and metrics
    /// are missing): up to date, or not selected, with the runs behind their results in
    /// another clone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages_without_run: Vec<String>,
    pub expression: String,
    pub passed: bool,
    /// Each comparison with the value it had.
    pub comparisons: Vec<Observation>,
}

/// How far back `--ancestors` looks.
const ANCESTORS_SEARCHED: usize = 100;

/// Why no experiment stands for `commit`: the newest that would, but for its state.
fn why_none(conn: &rusqlite::Connection, commit: &str, lock: Option<&str>) -> Result<String> {
    let Some(x) = experiments::excluded_for(conn, commit, lock)? else {
        return Ok(if lock.is_some() {
            "none ran on it or recorded its mlx.lock".into()
        } else {
            "none ran on it".into()
        });
    };
    let name = &x.name;
    Ok(if !x.overrides.is_empty() {
        format!("the newest, {name}, is a variant: --set {}", x.overrides.join(" --set "))
    } else if x.dirty {
        format!("the newest, {name}, ran on a work tree with uncommitted changes")
    } else if x.isolated {
        format!("the newest, {name}, ran in an isolated workspace")
    } else if x.status == "finished" && !x.has_runs {
        format!(
            "the newest, {name}, found every stage up to date, and no run behind their results \
             is recorded here"
        )
    } else {
        format!("the newest, {name}, is {}", x.status)
    })
}

struct Chosen {
    experiment: RunId,
    basis: Basis,
    ancestor: Option<(String, usize)>,
}

/// The experiment standing for HEAD's committed setup (or, with `ancestors`, an ancestor's).
fn head_experiment(
    project: &Project,
    conn: &rusqlite::Connection,
    ancestors: bool,
) -> Result<Chosen> {
    let repo = Repo::open(project.root())?;
    let head = repo.resolve("HEAD")?;
    let lock_file = RelPath::new(crate::pipeline::lock::FILE).expect("a plain file name");
    let lock_at = |rev: &Revision| -> Result<Option<String>> {
        Ok(repo.read_file(rev, &lock_file)?.map(|b| experiments::lock_hash_of(&b)))
    };
    let head_lock = lock_at(&head)?;
    if let Some((id, by_lock)) =
        experiments::standing_for(conn, &head.commit, head_lock.as_deref())?
    {
        let basis = if by_lock { Basis::HeadLock } else { Basis::HeadCommit };
        return Ok(Chosen { experiment: id, basis, ancestor: None });
    }
    if ancestors {
        for (i, commit) in
            repo.first_parent_ancestors(&head, ANCESTORS_SEARCHED)?.into_iter().enumerate()
        {
            let rev = repo.resolve(&commit)?;
            if let Some((id, _)) =
                experiments::standing_for(conn, &commit, lock_at(&rev)?.as_deref())?
            {
                return Ok(Chosen {
                    experiment: id,
                    basis: Basis::Ancestor,
                    ancestor: Some((commit, i + 1)),
                });
            }
        }
    }
    let why = why_none(conn, &head.commit, head_lock.as_deref())?;
    Err(Error::NoExperiment { commit: head.commit, why, ancestors })
}

/// The run of `stage` in experiment `id`.
fn stage_run(conn: &rusqlite::Connection, id: &RunId, name: &str, stage: &str) -> Result<RunId> {
    if let Some(run) = experiments::stage_run(conn, id, stage)? {
        return Ok(run);
    }
    let stages = experiments::stages_with_runs(conn, id)?;
    Err(Error::NoStageRun { experiment: name.to_owned(), stage: stage.to_owned(), stages })
}

/// Refuse a key whose stages hold different values in the experiment: `metrics.acc` of train
/// and of evaluate would make the gate pass on whichever is better.
fn refuse_split_keys(
    conn: &rusqlite::Connection,
    id: &RunId,
    name: &str,
    fields: &[&Field],
) -> Result<()> {
    let mut found = experiments::list::records(conn, std::slice::from_ref(id))?;
    let staged = experiments::list::fold(&mut found);
    let Some(e) = found.pop() else { return Ok(()) };
    for field in fields {
        let (param, key) = match field {
            Field::Param(k) => (true, k),
            Field::Metric(k) => (false, k),
            _ => continue,
        };
        let mut values: Vec<(String, String)> = staged
            .iter()
            .filter(|(_, (_, k))| k.as_str() == key.as_str())
            .filter_map(|(full, (stage, _))| {
                let value = if param {
                    e.params.get(full.as_str()).cloned()
                } else {
                    e.metrics.get(full.as_str()).map(crate::tracking::query::MetricValue::short)
                };
                value.map(|v| (stage.to_string(), v))
            })
            .collect();
        if values.len() < 2 {
            continue;
        }
        values.sort();
        let (first_stage, _) = values.last().expect("two or more");
        let example = if param {
            Field::Param(staged_key(first_stage, key))
        } else {
            Field::Metric(staged_key(first_stage, key))
        };
        return Err(Error::KeyDiffersByStage {
            field: field.to_string(),
            experiment: name.to_owned(),
            values: values.into_iter().map(|(s, v)| format!("{v} ({s})")).collect(),
            example: example.to_string(),
        });
    }
    Ok(())
}

/// `mlx exp check EXPR [--exp EXP | --run RUN] [--stage STAGE] [--ancestors]`.
pub fn check(project: &Project, opts: &CheckOptions) -> Result<CheckReport> {
    // A bad expression is reported before anything is looked up.
    crate::tracking::filter::parse(&opts.expr)
        .map_err(|e| super::filter_error("filter", &opts.expr, e))?;
    let conn = project.open_db()?;
    crate::tracking::launch::reap(project, &conn)?;
    let known = keys::known(&conn)?;
    let (experiment, mut run, basis, ancestor) = match (&opts.run, &opts.exp) {
        (Some(run), _) => {
            let id = runs::resolve(&conn, run)?;
            (experiments::of_run(&conn, &id)?, Some(id), Basis::Named, None)
        }
        (None, Some(exp)) => {
            (Some(experiments::resolve_experiment(&conn, exp)?), None, Basis::Named, None)
        }
        (None, None) => {
            let chosen = head_experiment(project, &conn, opts.ancestors)?;
            (Some(chosen.experiment), None, chosen.basis, chosen.ancestor)
        }
    };
    let exp_record = match &experiment {
        Some(id) => experiments::list::records(&conn, std::slice::from_ref(id))?.pop(),
        None => None,
    };
    let exp_name = exp_record.as_ref().map(|e| e.name.clone());
    if let (Some(stage), Some(id), None) = (&opts.stage, &experiment, &run) {
        run = Some(stage_run(&conn, id, exp_name.as_deref().unwrap_or(id.as_str()), stage)?);
    }
    let stages_without_run = match (&run, &experiment) {
        (None, Some(id)) => experiments::stages_without_run(&conn, id)?,
        _ => Vec::new(),
    };
    let target = if run.is_some() { Target::Runs } else { Target::Experiments };
    let filter = resolved_filter(&known, &opts.expr, target).map_err(|e| match e {
        // Not a typo when the runs that would have the key are simply not here.
        Error::UnknownKey(u) if !stages_without_run.is_empty() => Error::NoStageValues {
            field: u.field,
            experiment: exp_name.clone().unwrap_or_default(),
            stages: stages_without_run.clone(),
        },
        e => e,
    })?;
    let (judged, name, commit, stage) = match &run {
        Some(id) => {
            let r = query::records(&conn, std::slice::from_ref(id))?.pop();
            let stage = r.as_ref().and_then(|r| r.stage.clone());
            (id.clone(), r.as_ref().and_then(|r| r.name.clone()), r.and_then(|r| r.commit), stage)
        }
        None => {
            let id = experiment.clone().expect("an experiment when no run");
            let fields: Vec<&Field> = filter.comparisons().iter().map(|c| &c.field).collect();
            refuse_split_keys(&conn, &id, exp_name.as_deref().unwrap_or(id.as_str()), &fields)?;
            (id, exp_name.clone(), exp_record.as_ref().and_then(|e| e.commit.clone()), None)
        }
    };
    let (passed, comparisons) = query::evaluate(&conn, &judged, &filter)?;
    Ok(CheckReport {
        experiment,
        experiment_name: exp_name,
        run,
        name,
        stage,
        commit,
        basis,
        ancestor_distance: ancestor.as_ref().map(|a| a.1),
        ancestor: ancestor.map(|a| a.0),
        stages_without_run,
        expression: opts.expr.clone(),
        passed,
        comparisons,
    })
}
