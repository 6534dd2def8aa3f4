//! `mlx unprotect PATH...`: make tracked files that are links into the cache (read-only
//! hardlinks of big files, or any link that `[cache] type` asked for) private, writable copies,
//! so they can be edited in place. The data and its pointer do not change.

use serde::Serialize;

use super::Result;
use crate::fs_util::FileStamp;
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::StatCache;
use crate::store::stat_cache::Rows;
use crate::work_tree::tracked;

pub struct UnprotectOptions {
    pub cwd: std::path::PathBuf,
    pub paths: Vec<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct UnprotectReport {
    /// Files that were links into the cache and are now private writable copies.
    pub unprotected: Vec<String>,
    /// Tracked files that were already private copies.
    pub already_private: u64,
}

pub fn run(
    project: &Project,
    opts: &UnprotectOptions,
    reporter: &dyn Reporter,
) -> Result<UnprotectReport> {
    let targets = tracked::resolve_args(project, &opts.cwd, &opts.paths)?;
    let _lock = project.lock(reporter)?;
    let mut conn = project.open_db()?;
    let stat = StatCache::load(&conn, Rows::Files)?;
    let mut report = UnprotectReport { unprotected: Vec::new(), already_private: 0 };
    for target in targets {
        let abs = project.work_tree().writable(&target)?;
        let files = walkdir::WalkDir::new(&abs)
            .into_iter()
            .filter_map(std::result::Result::ok)
            .filter(|e| e.file_type().is_file() || e.file_type().is_symlink())
            .count() as u64;
        let detached = crate::work_tree::detach::detach(project, &abs)?;
        report.already_private += files.saturating_sub(detached.len() as u64);
        for (path, id) in detached {
            let Ok(rel) = path.strip_prefix(project.root()) else { continue };
            let Ok(key) = ProjectPath::new(rel) else { continue };
            // Same bytes as before: status need not hash the copy again.
            stat.record(&key, FileStamp::of(&fs_err::symlink_metadata(&path)?), id);
            report.unprotected.push(key.to_string());
        }
    }
    report.unprotected.sort();
    stat.save(&mut conn)?;
    Ok(report)
}
