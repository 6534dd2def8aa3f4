//! `mlx remote remove`: drops `[remotes.NAME]` from both files (or the local one only), and
//! clears `[core] remote` where it names the remote.

use serde::Serialize;

use super::config_file::ConfigFile;
use super::{RemoteConfigError, Scope, unknown_in};
use crate::ops::Result;
use crate::progress::Reporter;
use crate::project::Project;

pub struct RemoveOptions {
    pub name: String,
    /// Only remove it from `.mlx/config.local.toml` (its local settings and credentials).
    pub local: bool,
}

#[derive(Debug, Serialize)]
pub struct RemoveReport {
    pub name: String,
    /// Files the `[remotes.NAME]` table was removed from.
    pub removed_from: Vec<String>,
    /// Files whose `[core] remote` named it and was cleared.
    pub default_cleared_in: Vec<String>,
}

pub fn remove(
    project: &Project,
    opts: &RemoveOptions,
    reporter: &dyn Reporter,
) -> Result<RemoveReport> {
    let _lock = project.lock(reporter)?;
    let scopes: &[Scope] =
        if opts.local { &[Scope::Local] } else { &[Scope::Project, Scope::Local] };
    let mut files = Vec::new();
    for scope in scopes {
        files.push(ConfigFile::load(project, *scope)?);
    }
    let mut report = RemoveReport {
        name: opts.name.clone(),
        removed_from: Vec::new(),
        default_cleared_in: Vec::new(),
    };
    for file in &mut files {
        if file.remove_remote(&opts.name) {
            report.removed_from.push(file.scope.label().into());
        }
        if file.core_remote() == Some(opts.name.as_str()) {
            file.set_core_remote(None)?;
            report.default_cleared_in.push(file.scope.label().into());
        }
    }
    if report.removed_from.is_empty() && report.default_cleared_in.is_empty() {
        if opts.local && ConfigFile::load(project, Scope::Project)?.remote(&opts.name).is_some() {
            return Err(RemoteConfigError::NotInLocal { name: opts.name.clone() }.into());
        }
        let files: Vec<&ConfigFile> = files.iter().collect();
        return Err(unknown_in(&opts.name, &files).into());
    }
    for file in &files {
        file.save()?;
    }
    Ok(report)
}
