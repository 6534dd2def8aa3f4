//! `mlx data drift PATH --from REV [--to REV]` (or `--exp A --exp B`): per-column drift between
//! two versions of a data file, from their profiles (made and stored when missing).

use std::path::PathBuf;

use super::Result;
use super::data_versions::{self, DataVersion};
use crate::progress::Reporter;
use crate::project::Project;
use crate::quality::Profile;
use crate::quality::drift::{self, DriftReport, Side};

#[derive(Debug, Clone, Default)]
pub struct DriftOptions {
    pub path: PathBuf,
    /// The reference version: a revision; `None` with `exps`.
    pub from: Option<String>,
    /// The version compared: a revision, or the work tree when `None`.
    pub to: Option<String>,
    /// Two experiments (or runs): the versions of `path` they read.
    pub exps: Vec<String>,
    /// Where relative paths start (canonical).
    pub cwd: PathBuf,
    pub remote: Option<String>,
}

/// An experiment that did not read the file.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("{run} recorded no input {path}")]
    NotAnInput { run: String, path: String },
    #[error("--exp takes two experiments (or runs), the reference first")]
    TwoExps,
}

pub fn run(project: &Project, opts: &DriftOptions, reporter: &dyn Reporter) -> Result<DriftReport> {
    Ok(compare(project, opts, reporter)?.report)
}

/// The drift report with the two profiles it was computed from (a drift view draws them).
pub struct Compared {
    pub report: DriftReport,
    pub from: Profile,
    pub to: Profile,
}

pub fn compare(
    project: &Project,
    opts: &DriftOptions,
    reporter: &dyn Reporter,
) -> Result<Compared> {
    let remote = opts.remote.as_deref();
    let (a, b) = if opts.exps.is_empty() {
        let a = data_versions::resolve(
            project,
            &opts.cwd,
            &opts.path,
            opts.from.as_deref(),
            remote,
            reporter,
        )?;
        let b = data_versions::resolve(
            project,
            &opts.cwd,
            &opts.path,
            opts.to.as_deref(),
            remote,
            reporter,
        )?;
        (a, b)
    } else {
        let [x, y] = opts.exps.as_slice() else {
            return Err(crate::quality::Error::Read {
                path: opts.path.display().to_string(),
                message: DriftError::TwoExps.to_string(),
            }
            .into());
        };
        (input_of(project, opts, x)?, input_of(project, opts, y)?)
    };
    let (pa, _) = data_versions::profile_of(project, &a, remote, reporter)?;
    let (pb, _) = data_versions::profile_of(project, &b, remote, reporter)?;
    let side =
        |v: &DataVersion, rows| Side { source: v.source.clone(), hash: v.hash.to_hex(), rows };
    let report = drift::compare(
        &a.path.to_string(),
        (side(&a, pa.rows), &pa),
        (side(&b, pb.rows), &pb),
        &project.config().drift,
    );
    Ok(Compared { report, from: pa, to: pb })
}

/// The version of the file an experiment (or run) read, from its recorded inputs.
fn input_of(project: &Project, opts: &DriftOptions, exp: &str) -> Result<DataVersion> {
    let path = crate::project_path::resolve_user_path(project.root(), &opts.cwd, &opts.path)?;
    let conn = project.open_db()?;
    let inputs = crate::tracking::inputs::of_experiment_or_run(&conn, exp)?;
    let found = inputs.iter().find(|i| i.path == path.to_string()).and_then(|i| {
        Some((crate::store::ObjectId::from_hex(i.hash.as_deref()?).ok()?, i.size.unwrap_or(0)))
    });
    let Some((hash, size)) = found else {
        return Err(crate::quality::Error::Read {
            path: path.to_string(),
            message: DriftError::NotAnInput { run: exp.to_owned(), path: path.to_string() }
                .to_string(),
        }
        .into());
    };
    Ok(DataVersion { path, source: exp.to_owned(), commit: None, hash, size, file: None })
}
