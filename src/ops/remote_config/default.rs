//! `mlx remote default`: shows `[core] remote` and where it is set, or sets it in one file.

use serde::Serialize;

use super::config_file::{ConfigFile, read_both};
use super::{RemoteConfigError, Scope, local_default_overrides, resolve, unknown_in};
use crate::ops::Result;
use crate::progress::Reporter;
use crate::project::Project;

#[derive(Debug, Serialize)]
pub struct DefaultReport {
    /// `[core] remote`, if set (the local file wins over mlx.toml).
    pub default: Option<String>,
    /// The file that sets it.
    pub file: Option<String>,
    /// The remote a command uses without `-r NAME`: the default, or the only remote.
    pub resolved: Option<String>,
}

/// The default remote and where it is set.
pub fn show_default(project: &Project) -> Result<DefaultReport> {
    let (shared, local) = read_both(project)?;
    let file = if local.core.remote.is_some() {
        Some(Scope::Local)
    } else {
        shared.core.remote.as_ref().map(|_| Scope::Project)
    };
    let config = project.config();
    Ok(DefaultReport {
        default: config.core.remote.clone(),
        file: file.map(|s| s.label().to_owned()),
        resolved: resolve(config, None).ok().map(|(name, _)| name),
    })
}

pub struct SetDefaultOptions {
    /// The new default; `None` unsets it.
    pub name: Option<String>,
    pub local: bool,
}

#[derive(Debug, Serialize)]
pub struct SetDefaultReport {
    pub default: Option<String>,
    /// What the file said before.
    pub previous: Option<String>,
    pub file: String,
    pub changed: bool,
    pub warnings: Vec<String>,
}

pub fn set_default(
    project: &Project,
    opts: &SetDefaultOptions,
    reporter: &dyn Reporter,
) -> Result<SetDefaultReport> {
    let scope = Scope::from_local(opts.local);
    let _lock = project.lock(reporter)?;
    let mut target = ConfigFile::load(project, scope)?;
    let other = ConfigFile::load(project, scope.other())?;
    let mut warnings = Vec::new();
    if let Some(name) = &opts.name {
        let here = target.remote(name).is_some();
        let there = other.remote(name).is_some();
        if !here && !there {
            return Err(unknown_in(name, &[&target, &other]).into());
        }
        if scope == Scope::Project && !here {
            Err(RemoteConfigError::OnlyLocal {
                name: name.clone(),
                action: "make it the default",
            })?;
        }
        warnings.extend(local_default_overrides(scope, &other, name));
    }
    let previous = target.core_remote().map(str::to_owned);
    let changed = previous != opts.name;
    if changed {
        target.set_core_remote(opts.name.as_deref())?;
        target.save()?;
    }
    Ok(SetDefaultReport {
        default: opts.name.clone(),
        previous,
        file: scope.label().into(),
        changed,
        warnings,
    })
}
