//! `mlx data check [PATH...]`: check data files in the work tree against their
//! `[checks."PATH"]` tables in `mlx.toml` (every table when no path is named).

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use crate::project::Project;
use crate::project_path::resolve_user_path;
use crate::quality::{self, Violation};

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Files to check (each must have a `[checks]` table); all tables when empty.
    pub paths: Vec<PathBuf>,
    /// Where relative paths start (canonical).
    pub cwd: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// The files checked, in order.
    pub checked: Vec<String>,
    pub violations: Vec<Violation>,
    /// How the files were read (a column that changed type).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

pub fn run(project: &Project, opts: &CheckOptions) -> Result<CheckReport> {
    let checks = &project.config().checks;
    let mut keys = Vec::new();
    for arg in &opts.paths {
        let p = resolve_user_path(project.root(), &opts.cwd, arg)?.to_string();
        if !checks.contains_key(&p) {
            return Err(quality::Error::NoChecks { path: p }.into());
        }
        if !keys.contains(&p) {
            keys.push(p);
        }
    }
    if opts.paths.is_empty() {
        keys = checks.keys().cloned().collect();
    }
    let mut report = CheckReport { checked: Vec::new(), violations: Vec::new(), notes: Vec::new() };
    for key in keys {
        let spec = &checks[&key];
        let (violations, note) = quality::check_path(project.root(), &key, spec)?;
        report.checked.push(key);
        report.violations.extend(violations);
        report.notes.extend(note);
    }
    Ok(report)
}
