//! `mlx status`: compare every tracked path with its pointer (unchanged, modified with the files
//! changed inside a directory, or missing; whether the cache holds its objects), the stages
//! `mlx run` would run, and the pointers and `mlx.lock` git does not have.

use serde::Serialize;

use super::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath};
use crate::store::stat_cache::Rows;
use crate::store::{self, StatCache};
pub use crate::work_tree::compare::{ChangeKind, DamagedObject, FileChange, PathStatus, State};
use crate::work_tree::{compare, tracked};

pub struct StatusOptions {
    /// Only these tracked paths; all when empty.
    pub targets: Vec<ProjectPath>,
}

/// A pointer or `mlx.lock` that is not committed as it is: a clone would not get it.
#[derive(Debug, Clone, Serialize)]
pub struct UncommittedFile {
    pub path: String,
    pub state: crate::git::Uncommitted,
}

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub paths: Vec<PathStatus>,
    /// Pointers and `mlx.lock` whose current text HEAD's commit lacks (never makes the status
    /// unclean: it is about git, not data).
    pub uncommitted: Vec<UncommittedFile>,
    /// Pipeline stages `mlx run` would run, and why (absent without stages in mlx.toml).
    pub stages: Vec<crate::pipeline::plan::StaleStage>,
}

impl StatusReport {
    pub fn is_clean(&self) -> bool {
        self.paths.iter().all(PathStatus::is_clean) && self.stages.is_empty()
    }
}

pub fn run(
    project: &Project,
    opts: &StatusOptions,
    reporter: &dyn Reporter,
) -> Result<StatusReport> {
    let all = tracked::load(project, opts.targets.clone())?;
    let mut conn = project.open_db()?;
    // The stat cache is read only when a tree stamp does not settle a path on its own (or
    // stages need it): on a large unchanged tree that read is most of the cost.
    let mut stat: Option<StatCache> = None;
    let mut paths = Vec::with_capacity(all.len());
    // A running watcher (`mlx watch`) can say a tree is unchanged without a walk.
    let watched = compare::ask_watcher(project, &all);
    for t in &all {
        match compare::quick(project, t, watched.as_ref()) {
            compare::Quick::Clean(status) => paths.push(status),
            compare::Quick::Unknown(taken) => {
                let stat = match &mut stat {
                    Some(s) => s,
                    None => stat.insert(StatCache::load(&conn, Rows::Files)?),
                };
                let status = compare::compare(project, t, stat, reporter)?.status;
                compare::remember(project, t, taken, &status)?;
                paths.push(status);
            }
        }
    }
    // Stages matter only when the whole project is asked about.
    let stages = if opts.targets.is_empty() {
        // Without stages no input is hashed: an empty stat cache does (a broken definition is
        // reported either way).
        let has_stages = match crate::pipeline::spec::load(project.root()) {
            Ok(Some(p)) => !p.stages.is_empty(),
            Ok(None) => false,
            Err(_) => true,
        };
        let stat = match &mut stat {
            Some(s) => &*s,
            None if has_stages => &*stat.insert(StatCache::load(&conn, Rows::Files)?),
            None => &StatCache::default(),
        };
        crate::pipeline::plan::stale_stages(project, stat)?
    } else {
        Vec::new()
    };
    // Status only reads the workspace; saving what it hashed makes the next one instant.
    if let Some(stat) = &stat {
        stat.save(&mut conn)?;
    }
    let uncommitted =
        if opts.targets.is_empty() { uncommitted_files(project, &all, false)? } else { Vec::new() };
    Ok(StatusReport { paths, uncommitted, stages })
}

/// The pointers of `tracked` and `mlx.lock` that git does not hold as they are: compared with
/// HEAD's commit, or with the index when `against_index` (what the commit being made takes).
pub fn uncommitted_files(
    project: &Project,
    tracked: &[tracked::Tracked],
    against_index: bool,
) -> Result<Vec<UncommittedFile>> {
    let mut files: Vec<RelPath> =
        tracked.iter().map(|t| store::pointer::pointer_path(&t.target)).collect();
    files.push(RelPath::new(crate::pipeline::lock::FILE)?);
    let repo = crate::git::Repo::open(project.root())?;
    Ok(repo
        .uncommitted(project.root(), &files, against_index)?
        .into_iter()
        .map(|(path, state)| UncommittedFile { path: path.to_string(), state })
        .collect())
}
