//! `mlx exp apply EXP` and `mlx exp branch EXP NAME`: an experiment's resulting state (the
//! commit `experiments::result` kept when it concluded) brought into the work tree, or named
//! by a new branch.
//!
//! Apply writes the files the experiment changed (`experiments::apply`: through the work tree's
//! gate, refusing to overwrite changes git has not recorded unless forced, and refusing files
//! HEAD has changed since the experiment's commit), then restores the stage outputs its
//! `mlx.lock` names from the cache, fetching them from the remote first when the cache lacks
//! them. Everything that could refuse is checked before the first write. Branch makes a branch
//! at the result commit and touches neither the work tree nor the index.

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::experiments::apply::{self as applying, ApplyError, Change};
use crate::git::{Repo, trees};
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::pointer::Kind;
use crate::store::stat_cache::Rows;
use crate::tracking::RunId;
use crate::tracking::experiments::{self, results};
use crate::work_tree::compare::{self, State};
use crate::work_tree::restore::{self, Conflict, PathResult};
use crate::work_tree::tracked::{self, Source, Tracked};

#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// The experiment: its name, id or a unique prefix (or one of its runs).
    pub experiment: String,
    /// Overwrite files with changes git has not recorded, and outputs whose content the cache
    /// lacks; apply on a HEAD that changed the same files.
    pub force: bool,
    /// The remote to fetch missing outputs from (default: the default remote).
    pub remote: Option<String>,
}

/// A file the experiment changed.
#[derive(Debug, Serialize)]
pub struct ChangedFile {
    pub path: String,
    pub change: Change,
    /// False when the work tree had it as the experiment left it already.
    pub written: bool,
}

#[derive(Debug, Serialize)]
pub struct ApplyReport {
    pub experiment: RunId,
    pub name: String,
    pub status: String,
    pub overrides: Vec<String>,
    /// The commit the experiment started on.
    pub commit: String,
    /// The commit holding its result (`commit` itself when it changed no file).
    pub result_commit: String,
    /// HEAD when it was applied (not `commit` when HEAD has moved since).
    pub head: Option<String>,
    pub files: Vec<ChangedFile>,
    /// Stage outputs and tracked data restored: those the experiment changed, and others that
    /// were missing or out of date.
    pub outputs: Vec<PathResult>,
    /// Objects downloaded from the remote first.
    pub fetched: u64,
    /// Tracked paths the experiment did not change whose work-tree content differs and is not
    /// in the cache: left as they are.
    pub left_alone: Vec<Conflict>,
}

/// An experiment that has a result: its record, and its start and result commits.
struct Applicable {
    outcome: results::Outcome,
    base: String,
    result: String,
}

/// The experiment `text` names, refused unless it has a result this repository holds.
fn applicable(project: &Project, repo: &Repo, text: &str) -> Result<Applicable> {
    let conn = project.open_db()?;
    let id = experiments::resolve_experiment(&conn, text)?;
    let outcome = results::outcome(&conn, &id)?.ok_or_else(|| {
        crate::tracking::Error::UnknownExperiment { text: text.to_owned(), closest: None }
    })?;
    let no = |why: String| ApplyError::NoResult { name: outcome.name.clone(), why };
    if outcome.kind == experiments::Kind::Command.as_str() {
        return Err(no("it ran one command (`mlx run -- CMD`); only pipeline experiments \
                       keep their resulting state"
            .into())
        .into());
    }
    if matches!(outcome.status.as_str(), "queued" | "running") {
        return Err(no(format!("it is {}", outcome.status)).into());
    }
    let (Some(base), Some(result)) = (outcome.commit.clone(), outcome.result_commit.clone()) else {
        let why = if outcome.stages_ok == 0 {
            format!("it {}, and none of its stages ran and succeeded", outcome.status)
        } else if outcome.commit.is_none() {
            "it ran before the repository's first commit".to_owned()
        } else {
            "no commit of its result is recorded in this clone (it was recorded by an older \
             mlx, or merged from another clone); run it again"
                .to_owned()
        };
        return Err(no(why).into());
    };
    if !repo.has_commit(&result) || !repo.has_commit(&base) {
        return Err(ApplyError::ResultMissing { name: outcome.name, commit: result }.into());
    }
    Ok(Applicable { outcome, base, result })
}

/// Tracked paths (pointers, cached `mlx.lock` outputs) at `commit`.
fn tracked_at(project: &Project, commit: &str) -> Result<Vec<Tracked>> {
    let (all, _) =
        tracked::load_source(project, &Source::Revision(commit.to_owned()), project.root(), &[])?;
    Ok(all)
}

/// Make sure the cache has the objects of `changed` (listings first, then the files they
/// name), fetching what it lacks from `remote`. Returns how many were downloaded.
fn fetch_outputs(
    project: &Project,
    changed: &[Tracked],
    remote: Option<&str>,
    name: &str,
    reporter: &dyn Reporter,
) -> Result<u64> {
    let what = format!("outputs of experiment {name}");
    let roots: Vec<Needed> = changed
        .iter()
        .map(|t| Needed {
            id: t.pointer.hash,
            size: (t.pointer.kind == Kind::File).then_some(t.pointer.size),
        })
        .collect();
    let mut fetched = transfer::fetch_verified(project, remote, &roots, &what, reporter)?;
    let manifest = |id: &crate::store::ObjectId| transfer::cached_manifest(project, id);
    let (files, _) = transfer::objects_needed(changed, manifest)?;
    fetched += transfer::fetch_verified(project, remote, &files, &what, reporter)?;
    Ok(fetched)
}

/// The tracked data the experiment did not change, made what the applied pointers and
/// `mlx.lock` say where that loses nothing (missing paths, content the cache keeps); the paths
/// that would lose something are listed in `left_alone`.
fn restore_others(
    project: &Project,
    changed: &[Tracked],
    stat: &crate::store::StatCache,
    outputs: &mut Vec<PathResult>,
    left_alone: &mut Vec<Conflict>,
    reporter: &dyn Reporter,
) -> Result<()> {
    let (all, _) = tracked::load_source(project, &Source::Workspace, project.root(), &[])?;
    for t in all.iter().filter(|t| !changed.iter().any(|c| c.target == t.target)) {
        project.work_tree().writable(&t.target)?;
        let cmp = compare::compare(project, t, stat, reporter)?;
        if cmp.status.state == State::Unchanged {
            continue;
        }
        let mut blocked = Vec::new();
        let p = restore::plan(project, t, cmp, false, &mut blocked)?;
        if blocked.is_empty() {
            outputs.push(restore::apply(project, p, stat, reporter)?);
        } else {
            left_alone.extend(blocked);
        }
    }
    Ok(())
}

pub fn apply(
    project: &Project,
    opts: &ApplyOptions,
    reporter: &dyn Reporter,
) -> Result<ApplyReport> {
    let repo = Repo::open(project.root())?;
    let Applicable { outcome, base, result } = applicable(project, &repo, &opts.experiment)?;
    let name = outcome.name.clone();
    // It changes params files and mlx.lock: no `mlx run` of this work tree may be under way.
    let _run_lock = project.run_lock(true, reporter)?;
    let head = repo.head_commit();
    let plan = applying::plan(project, &repo, &name, &base, &result, head.as_deref())?;
    if !opts.force && !plan.changed_since.is_empty() {
        let files = plan.changed_since.clone();
        let head = head.clone().unwrap_or_default();
        return Err(ApplyError::HeadMoved { name, base, head, files }.into());
    }
    if !opts.force && !plan.local_changes.is_empty() {
        return Err(ApplyError::LocalChanges { name, files: plan.local_changes }.into());
    }

    // The outputs and data the experiment changed: a hostile pointer or mlx.lock in the result
    // is refused here, before anything is written.
    let changed: Vec<Tracked> = {
        let before = tracked_at(project, &base).unwrap_or_default();
        tracked_at(project, &result)?
            .into_iter()
            .filter(|t| !before.iter().any(|b| b.target == t.target && b.pointer == t.pointer))
            .collect()
    };
    let fetched = fetch_outputs(project, &changed, opts.remote.as_deref(), &name, reporter)?;

    let _lock = project.lock(reporter)?;
    let mut conn = project.open_db()?;
    let stat = project.stat_cache(&conn, Rows::FilesAndObjects)?;
    let mut conflicts = Vec::new();
    let mut plans = Vec::new();
    for t in &changed {
        project.work_tree().writable(&t.target)?;
        let cmp = compare::compare(project, t, &stat, reporter)?;
        plans.push(restore::plan(project, t, cmp, opts.force, &mut conflicts)?);
    }
    if !conflicts.is_empty() {
        return Err(ApplyError::LocalChanges { name, files: conflicts }.into());
    }

    applying::write(project, &repo, &plan)?;
    let mut outputs = Vec::new();
    let restored = plans.into_iter().try_for_each(|p| {
        outputs.push(restore::apply(project, p, &stat, reporter)?);
        Ok::<_, super::Error>(())
    });
    let mut left_alone = Vec::new();
    let others = restored.and_then(|()| {
        restore_others(project, &changed, &stat, &mut outputs, &mut left_alone, reporter)
    });
    stat.save(&mut conn)?;
    others?;
    Ok(ApplyReport {
        experiment: outcome.id,
        name,
        status: outcome.status,
        overrides: outcome.overrides,
        commit: base,
        result_commit: result,
        head,
        files: plan
            .files
            .into_iter()
            .map(|f| ChangedFile { path: f.path.to_string(), change: f.change, written: f.write })
            .collect(),
        outputs,
        fetched,
        left_alone,
    })
}

/// A file a branch's commit changes.
#[derive(Debug, Serialize)]
pub struct BranchFile {
    pub path: String,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub struct BranchOptions {
    /// The experiment: its name, id or a unique prefix (or one of its runs).
    pub experiment: String,
    /// The branch to create.
    pub branch: String,
}

#[derive(Debug, Serialize)]
pub struct BranchReport {
    pub experiment: RunId,
    pub name: String,
    pub branch: String,
    /// The commit the branch points at: the experiment's result.
    pub commit: String,
    /// The commit the experiment started on (the branch's parent, unless it changed nothing).
    pub base: String,
    /// The files the branch's commit changes from `base`.
    pub files: Vec<BranchFile>,
}

pub fn branch(project: &Project, opts: &BranchOptions) -> Result<BranchReport> {
    if !trees::is_valid_branch_name(&opts.branch) {
        return Err(ApplyError::BadBranchName { branch: opts.branch.clone() }.into());
    }
    let repo = Repo::open(project.root())?;
    let Applicable { outcome, base, result } = applicable(project, &repo, &opts.experiment)?;
    if let Some(commit) = repo.branch_commit(&opts.branch) {
        return Err(ApplyError::BranchExists { branch: opts.branch.clone(), commit }.into());
    }
    repo.create_branch(&opts.branch, &result)?;
    let files = repo
        .changes_between(&base, &result)?
        .into_iter()
        .map(|c| BranchFile { path: c.path.to_string(), change: Change::of(&c) })
        .collect();
    Ok(BranchReport {
        experiment: outcome.id,
        name: outcome.name,
        branch: opts.branch.clone(),
        commit: result,
        base,
        files,
    })
}
