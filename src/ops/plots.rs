//! `mlx plots show [NAME…]` and `mlx plots diff [REV…] [--exp EXP…]`: the plots `mlx.toml`
//! declares, with their data read on each side (the workspace, git revisions, experiments'
//! results), plus the per-step metric histories of the newest experiment (or of the
//! experiments named), resolved by `plots` and written as one HTML page.
//!
//! The sides are read by [`crate::compare::plots`] (shared with `mlx report`); this operation
//! first fetches the objects revisions and experiments need that the cache lacks, from the
//! default remote when one is set up, then writes the page.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Result;
use super::transfer;
pub use crate::compare::plots::PlotsError;
use crate::compare::plots::{Sides, SidesSpec};
use crate::compare::side::SideInfo;
use crate::plots::{self, Plot, Problem};
use crate::progress::Reporter;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::work_tree::output::OutputDir;

/// Where `mlx plots show` writes its page unless told otherwise (inside `.mlx`, which git
/// ignores).
pub const DEFAULT_OUTPUT: &str = "plots/index.html";

#[derive(Debug, Clone, Default)]
pub struct PlotsOptions {
    /// Only these plots (names, or files they read); all when empty.
    pub names: Vec<String>,
    /// Git revisions to overlay.
    pub revs: Vec<String>,
    /// Experiments to overlay (their results, and their runs' metric histories).
    pub exps: Vec<String>,
    /// Include the workspace (and the newest experiment's histories).
    pub workspace: bool,
    /// Only the plots files, not the per-step metric histories of the sides' runs.
    pub without_histories: bool,
}

#[derive(Debug, Serialize)]
pub struct PlotsReport {
    /// The sides compared, in the order their series are drawn.
    pub sides: Vec<SideInfo>,
    pub plots: Vec<Plot>,
    /// Files that could not be read or used on a side.
    pub problems: Vec<Problem>,
    /// Objects downloaded from the remote first.
    pub fetched: u64,
}

/// Resolve the plots on every side asked for.
pub fn resolve(
    project: &Project,
    opts: &PlotsOptions,
    reporter: &dyn Reporter,
) -> Result<PlotsReport> {
    let spec = SidesSpec {
        names: &opts.names,
        revs: &opts.revs,
        exps: &opts.exps,
        workspace: opts.workspace,
        without_histories: opts.without_histories,
    };
    let sides = Sides::open(project, &spec)?;
    let (fetched, mut problems) = prefetch(project, &sides, reporter)?;
    let (sides, plots, more) = sides.resolve()?;
    problems.extend(more);
    Ok(PlotsReport { sides, plots, problems, fetched })
}

/// Fetch the objects of the plots files that revisions and experiments need and the cache
/// lacks, from the default remote when one is set up. Returns how many were downloaded, and a
/// problem per side whose fetch failed (its files are then reported one by one).
fn prefetch(
    project: &Project,
    sides: &Sides<'_>,
    reporter: &dyn Reporter,
) -> Result<(u64, Vec<Problem>)> {
    let (mut fetched, mut problems) = (0, Vec::new());
    if project.config().remotes.is_empty() {
        return Ok((fetched, problems));
    }
    for (label, needed) in sides.needed()? {
        if project.cache().missing(&needed.iter().map(|n| n.id).collect::<Vec<_>>()).is_empty() {
            continue;
        }
        let what = format!("plots of {label}");
        match transfer::fetch_verified(project, None, &needed, &what, reporter) {
            Ok(n) => fetched += n,
            Err(e) => problems.push(Problem {
                plot: String::new(),
                side: label.clone(),
                file: String::new(),
                error: format!("fetching from the remote failed: {e}"),
            }),
        }
    }
    Ok((fetched, problems))
}

/// Write the page of `report` to `output` (absolute), or to `.mlx/plots/index.html`; returns
/// where it went. `output`'s folder is an [`OutputDir`]: inside the work tree the page passes
/// the work tree's gate, outside it the place is the user's to choose.
pub fn write_page(
    project: &Project,
    report: &PlotsReport,
    title: &str,
    output: Option<&Path>,
) -> Result<PathBuf> {
    let sides: Vec<String> = report.sides.iter().map(|s| s.label.clone()).collect();
    let page = plots::html::page(title, &sides, &report.plots, &report.problems);
    let Some(output) = output else {
        // mlx's own folder, which git ignores.
        let path = project.mlx_dir().join(DEFAULT_OUTPUT);
        fs_err::create_dir_all(project.mlx_dir().join("plots"))?;
        crate::fs_util::write_atomic(&path, page.as_bytes())?;
        return Ok(path);
    };
    let name = output
        .file_name()
        .ok_or_else(|| crate::project_path::PathError::Empty { path: output.to_path_buf() })?;
    let folder = output.parent().unwrap_or(Path::new("."));
    let dir = OutputDir::create(project.work_tree(), project.root(), folder)?;
    dir.write(&RelPath::new(Path::new(name))?, page.as_bytes())
}
