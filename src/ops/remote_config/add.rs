//! `mlx remote add`: a new `[remotes.NAME]` table (or a replaced one, with `--force`), and
//! optionally `[core] remote`.

use std::path::PathBuf;

use serde::Serialize;

use super::config_file::ConfigFile;
use super::{
    LOCAL_PATH, RemoteConfigError, Scope, check_name, check_outside_project, from_root,
    local_default_overrides,
};
use crate::ops::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::remote::url;

pub struct AddOptions {
    pub name: String,
    pub url: String,
    /// Also make it the default (`[core] remote`).
    pub default: bool,
    /// Write to `.mlx/config.local.toml` instead of `mlx.toml`.
    pub local: bool,
    /// Replace a remote of that name.
    pub force: bool,
    /// Where the command runs: a relative folder URL starts here.
    pub cwd: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct AddReport {
    pub name: String,
    /// The URL, password redacted.
    pub url: String,
    /// The file written, relative to the project root.
    pub file: String,
    /// Whether it is now the default remote.
    pub default: bool,
    /// Whether a remote of that name was replaced (`--force`).
    pub replaced: bool,
    pub warnings: Vec<String>,
}

pub fn add(project: &Project, opts: &AddOptions, reporter: &dyn Reporter) -> Result<AddReport> {
    check_name(&opts.name)?;
    url::parse(&opts.url).map_err(RemoteConfigError::from)?;
    let scope = Scope::from_local(opts.local);
    if scope == Scope::Project && url::has_password(&opts.url) {
        Err(RemoteConfigError::PasswordInProjectFile { url: url::redact(&opts.url) })?;
    }
    let new_url = from_root(project, &opts.cwd, &opts.url);
    check_outside_project(project, &new_url)?;
    let _lock = project.lock(reporter)?;
    let mut target = ConfigFile::load(project, scope)?;
    let other = ConfigFile::load(project, scope.other())?;
    let existing = [&target, &other].into_iter().find(|f| f.remote(&opts.name).is_some());
    if let Some(file) = existing
        && !opts.force
    {
        Err(RemoteConfigError::Exists {
            name: opts.name.clone(),
            file: file.scope.label().into(),
        })?;
    }
    let replaced = existing.is_some();
    let mut warnings = Vec::new();
    let table = target.remote_entry(&opts.name)?;
    table.clear();
    table.insert("url", toml_edit::value(new_url.as_str()));
    if scope == Scope::Project && other.remote(&opts.name).is_some_and(|t| t.contains_key("url")) {
        warnings.push(format!(
            "the url of `{}` in {LOCAL_PATH} still overrides this one in this clone",
            opts.name
        ));
    }
    if opts.default {
        target.set_core_remote(Some(&opts.name))?;
        warnings.extend(local_default_overrides(scope, &other, &opts.name));
    }
    target.save()?;
    Ok(AddReport {
        name: opts.name.clone(),
        url: url::redact(&new_url),
        file: scope.label().into(),
        default: opts.default,
        replaced,
        warnings,
    })
}
