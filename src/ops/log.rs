//! `mlx log param|metric|tag|artifact`: attach values to a run: the one named by `--run`, else
//! the one `mlx run` is recording (`$MLX_RUN_ID`). Artifacts go into the cache like `mlx add`
//! content (a directory through its manifest) and are referenced by hash.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::resolve_user_path;
use crate::store::StatCache;
use crate::store::stat_cache::Rows;
use crate::tracking::runs::{self, Point};
use crate::tracking::{self, RunId};

pub enum What {
    Params(Vec<(String, String)>),
    Tags(Vec<(String, String)>),
    Metrics { values: Vec<(String, f64)>, step: Option<i64> },
    Artifacts { cwd: PathBuf, paths: Vec<PathBuf> },
}

pub struct LogOptions {
    /// A run id or unique prefix; `None` means `$MLX_RUN_ID`.
    pub run: Option<String>,
    pub what: What,
}

#[derive(Debug, Serialize)]
pub struct LoggedArtifact {
    pub path: String,
    pub kind: &'static str,
    pub hash: String,
    pub size: u64,
}

#[derive(Debug, Serialize)]
pub struct LogReport {
    pub run: RunId,
    /// Params, tags or metric points written.
    pub logged: u64,
    pub artifacts: Vec<LoggedArtifact>,
}

/// The run to log to.
pub fn target_run(conn: &rusqlite::Connection, explicit: Option<&str>) -> Result<RunId> {
    let prefix = match explicit {
        Some(p) => p.to_owned(),
        None => std::env::var("MLX_RUN_ID").map_err(|_| tracking::Error::NoCurrentRun)?,
    };
    Ok(crate::tracking::lookup::resolve(conn, &prefix)?)
}

pub fn run(project: &Project, opts: LogOptions, reporter: &dyn Reporter) -> Result<LogReport> {
    let mut conn = project.open_db()?;
    let id = target_run(&conn, opts.run.as_deref())?;
    let mut report = LogReport { run: id.clone(), logged: 0, artifacts: Vec::new() };
    match opts.what {
        What::Params(kv) => {
            runs::set_params(&mut conn, &id, &kv)?;
            report.logged = kv.len() as u64;
        }
        What::Tags(kv) => {
            runs::set_tags(&mut conn, &id, &kv)?;
            report.logged = kv.len() as u64;
        }
        What::Metrics { values, step } => {
            let now = runs::now_millis();
            let points: Vec<Point<'_>> = values
                .iter()
                .map(|(k, v)| Point { key: k, value: *v, step: step.unwrap_or(0), timestamp: now })
                .collect();
            runs::log_metrics(&mut conn, &id, &points)?;
            report.logged = points.len() as u64;
        }
        What::Artifacts { cwd, paths } => {
            let targets = paths
                .iter()
                .map(|p| resolve_user_path(project.root(), &cwd, p))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let _lock = project.lock(reporter)?;
            let stat = StatCache::load(&conn, Rows::Files)?;
            for target in targets {
                let (pointer, _) =
                    crate::work_tree::snapshot::snapshot(project, &target, &stat, reporter)?;
                let kind = pointer.kind.as_str();
                let hash = pointer.hash.to_hex();
                runs::add_artifact(&conn, &id, &target.to_string(), kind, &hash, pointer.size)?;
                report.artifacts.push(LoggedArtifact {
                    path: target.to_string(),
                    kind,
                    hash,
                    size: pointer.size,
                });
            }
            stat.save(&mut conn)?;
            report.logged = report.artifacts.len() as u64;
        }
    }
    Ok(report)
}
