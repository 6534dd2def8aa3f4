//! An experiment's resulting state, kept as a git commit: the tree of the commit it started on
//! plus every change in the work tree where it ran — files git tracks as they were then (params
//! files with the `--set` overrides applied, `mlx.lock`, the code edits a variant started from)
//! and the pipeline's own files that git would track but does not yet (`mlx.lock`, params
//! files, outputs with `cache = false`, the `.gitignore` files beside outputs). Made without
//! touching the user's index, HEAD or branches (see `git::snapshot`), kept alive by the ref
//! `refs/mlx/exps/<experiment id>`, and recorded on the experiment (`result_commit`). When
//! nothing changed, the starting commit itself is the result and no commit is made.
//!
//! `mlx exp apply` brings a result into the work tree, `mlx exp branch` names it with a branch;
//! `mlx gc` drops the refs of experiments the database no longer has.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::git::{self, Repo};
use crate::pipeline::Pipeline;
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath};
use crate::tracking::RunId;
use crate::tracking::experiments::results;

/// Where the refs that keep results alive live.
pub const REF_PREFIX: &str = "refs/mlx/exps/";

/// The ref keeping experiment `id`'s result.
pub fn ref_name(id: &RunId) -> String {
    format!("{REF_PREFIX}{id}")
}

/// The files a pipeline run may leave for git besides those git tracks already.
fn pipeline_files(pipeline: &Pipeline) -> Vec<RelPath> {
    let mut out: BTreeSet<ProjectPath> = BTreeSet::new();
    for name in [crate::config::PROJECT_FILE, crate::pipeline::lock::FILE, ".gitignore"] {
        out.insert(RelPath::new(name).expect("a valid name"));
    }
    out.extend(pipeline.params_files.iter().cloned());
    for stage in &pipeline.stages {
        for o in stage.stored_outs() {
            if !o.cache {
                out.insert(o.path.clone());
            } else if let Some(parent) = o.path.parent() {
                out.insert(parent.join(&RelPath::new(".gitignore").expect("a valid name")));
            }
        }
        for p in &stage.params {
            out.insert(p.file.clone());
        }
    }
    out.into_iter().collect()
}

/// The commit message of experiment `name`'s result.
fn message(name: &str, id: &RunId, base: &str, overrides: &[String]) -> String {
    let short = &base[..base.len().min(8)];
    let title = if overrides.is_empty() {
        format!("mlx experiment {name}")
    } else {
        format!("mlx experiment {name}: {}", overrides.join(" "))
    };
    format!(
        "{title}\n\nThe work tree as experiment {name} ({id}) left it, on top of {short}: params \
         files, mlx.lock and code as it ran them.\n\nMlx-Experiment: {id}\n"
    )
}

/// Record the resulting state of the experiment `id` (named `name`) that ran in `project`'s
/// work tree, started on `base` with `overrides`: returns the commit, also stored on the
/// experiment and kept by its ref.
pub fn record(
    project: &Project,
    conn: &rusqlite::Connection,
    pipeline: &Pipeline,
    id: &RunId,
    name: &str,
    base: &str,
    overrides: &[String],
) -> Result<String> {
    let clock = std::time::Instant::now();
    let root = project.root();
    let temp_index = crate::fs_util::temp_path(&project.mlx_dir().join("index"));
    let sha = git::snapshot::commit_work_tree(
        root,
        base,
        &pipeline_files(pipeline),
        &message(name, id, base, overrides),
        &temp_index,
    )?;
    Repo::open(root)?.set_ref(&ref_name(id), &sha, "mlx: an experiment's result")?;
    results::set_result_commit(conn, id, &sha)?;
    let ms = clock.elapsed().as_secs_f64() * 1000.0;
    tracing::info!("experiment {name}: result {sha} kept in {ms:.1} ms");
    Ok(sha)
}

/// Delete the refs under [`REF_PREFIX`] of experiments that have no result in the database
/// (deleted, or a database started afresh); with `dry_run`, only list them. Returns their names.
pub fn prune_refs(
    project: &Project,
    conn: &rusqlite::Connection,
    dry_run: bool,
) -> Result<Vec<String>> {
    let repo = Repo::open(project.root())?;
    let refs = repo.refs_under(REF_PREFIX)?;
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let keep = results::with_result(conn)?;
    let mut dropped = Vec::new();
    for name in refs {
        let id = name.strip_prefix(REF_PREFIX).unwrap_or_default();
        if keep.contains(id) {
            continue;
        }
        if !dry_run {
            repo.delete_ref(&name)?;
        }
        dropped.push(name);
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_experiment_and_its_overrides() {
        let id = RunId::from_db("01abcdefghjk".to_owned());
        let m = message("exp-1", &id, "0123456789abcdef", &["train.lr=0.5".into()]);
        assert!(m.starts_with("mlx experiment exp-1: train.lr=0.5\n\n"), "{m}");
        assert!(m.contains("on top of 01234567"), "{m}");
        assert!(m.ends_with("Mlx-Experiment: 01abcdefghjk\n"), "{m}");
        let plain = message("base", &id, "0123", &[]);
        assert!(plain.starts_with("mlx experiment base\n"), "{plain}");
    }
}
