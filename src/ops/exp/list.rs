//! `mlx exp list`: one row per experiment, with every param its stages declared and every metric
//! they logged.

use serde::Serialize;

use super::columns::{self, Column};
use super::{ListOptions, Result, SHORT_ID, keys, resolve_commits, resolved_filter, resolved_sort};
use crate::project::Project;
use crate::tracking::RunId;
use crate::tracking::experiments::list::{self, ExperimentRecord};
use crate::tracking::filter::{Sort, Target};
use crate::tracking::query;

/// `mlx exp list`: experiments, newest first unless sorted.
#[derive(Debug, Serialize)]
pub struct ExperimentList {
    pub experiments: Vec<ExperimentRecord>,
    /// The params and metrics columns, in table order.
    pub columns: Vec<Column>,
    /// Columns `--only-changed`, `--columns` or `--drop` left out.
    #[serde(skip)]
    pub hidden_columns: usize,
    /// How many characters of the ids tell the listed experiments apart (for tables).
    #[serde(skip)]
    pub short_id_len: usize,
}

pub fn list_experiments(project: &Project, opts: &ListOptions) -> Result<ExperimentList> {
    let commits = resolve_commits(project, &opts.commits)?;
    let conn = project.open_db()?;
    let filter_text = opts.filter.as_deref().filter(|t| !t.trim().is_empty());
    // The keys runs have, to resolve short names: only when a filter or sort names some.
    let known = match (filter_text, &opts.sort) {
        (None, None) => None,
        _ => Some(keys::known(&conn)?),
    };
    let filter = match (filter_text, &known) {
        (Some(text), Some(known)) => Some(resolved_filter(known, text, Target::Experiments)?),
        _ => None,
    };
    let sort = match (opts.sort.as_deref(), &known) {
        (Some(text), Some(known)) => resolved_sort(known, text)?,
        _ => Sort::newest_first(),
    };
    // Experiments whose recording mlx died are failed, not running forever.
    crate::tracking::launch::reap(project, &conn)?;
    let mut experiments = list::list(
        &conn,
        &list::ListQuery {
            filter: filter.as_ref(),
            commits: &commits,
            sort: &sort,
            limit: opts.limit,
        },
    )?;
    // Many experiments: their short ids are worked out meanwhile, on another connection.
    let later = if experiments.len() > 1_000 {
        let ids: Vec<RunId> = experiments.iter().map(|e| e.id.clone()).collect();
        query::unique_prefix_len_later(&conn, "experiments", ids, SHORT_ID)
    } else {
        None
    };
    let staged = list::fold(&mut experiments);
    let (columns, hidden_columns) = columns::columns(&experiments, &staged, &opts.columns);
    // Only the columns kept travel in JSON too.
    let kept: std::collections::HashSet<&str> = columns.iter().map(|c| c.key.as_str()).collect();
    for e in &mut experiments {
        e.params.retain(|k, _| kept.contains(k.as_str()));
        e.metrics.retain(|k, _| kept.contains(k.as_str()));
    }
    let short_id_len = match later.map(std::thread::JoinHandle::join) {
        Some(Ok(found)) => found?,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => {
            let ids: Vec<&RunId> = experiments.iter().map(|e| &e.id).collect();
            query::unique_prefix_len_in(&conn, "experiments", &ids, SHORT_ID)?
        }
    };
    Ok(ExperimentList { experiments, columns, hidden_columns, short_id_len })
}
