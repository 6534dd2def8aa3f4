//! `mlx install-hooks [--uninstall]`: git hooks that keep data in step with commits, and the
//! merge driver for `mlx.lock` and pointer files (a `.gitattributes` line plus local git config).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Result;
use crate::fs_util;
use crate::git::Repo;
use crate::git::hooks::{self, HookChange};
use crate::project::Project;

/// Hooks mlx installs: data follows checkouts and merges; commits with unrecorded data changes
/// are refused; pushes upload data once a remote is configured.
pub const HOOKS: &[&str] = &["post-checkout", "post-merge", "pre-commit", "pre-push"];

const DRIVER: &str = "mlx";
const ATTRIBUTE_LINES: &[&str] = &["mlx.lock merge=mlx", "*.mlx merge=mlx"];

pub struct InstallHooksOptions {
    pub uninstall: bool,
    /// The mlx binary the hooks fall back to when `mlx` is not on PATH.
    pub executable: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct HookResult {
    pub name: &'static str,
    pub change: HookChange,
}

#[derive(Debug, Serialize)]
pub struct InstallHooksReport {
    pub hooks_dir: String,
    pub hooks: Vec<HookResult>,
    /// Whether `.gitattributes` changed (commit it so every clone uses the merge driver).
    pub gitattributes_changed: bool,
}

pub fn run(project: &Project, opts: &InstallHooksOptions) -> Result<InstallHooksReport> {
    let repo = Repo::open(project.root())?;
    let dir = repo.hooks_dir(project.root())?;
    let mut results = Vec::new();
    for &name in HOOKS {
        let change = if opts.uninstall {
            hooks::uninstall(&dir, name)?
        } else {
            hooks::install(&dir, name, &hooks::script(name, &opts.executable))?
        };
        results.push(HookResult { name, change });
    }
    let gitattributes_changed = if opts.uninstall {
        repo.remove_local_config(&format!("merge.{DRIVER}.name"))?;
        repo.remove_local_config(&format!("merge.{DRIVER}.driver"))?;
        edit_attributes(project.root(), false)?
    } else {
        let exe = opts.executable.display().to_string().replace('\'', "'\\''");
        repo.set_local_config(
            &format!("merge.{DRIVER}.name"),
            "mlx: mlx.lock stage by stage, pointers file by file",
        )?;
        repo.set_local_config(
            &format!("merge.{DRIVER}.driver"),
            &format!("'{exe}' hook merge %O %A %B %P"),
        )?;
        edit_attributes(project.root(), true)?
    };
    Ok(InstallHooksReport {
        hooks_dir: dir.display().to_string(),
        hooks: results,
        gitattributes_changed,
    })
}

/// Add or remove our lines in the root `.gitattributes`; true when it changed.
fn edit_attributes(root: &Path, add: bool) -> Result<bool> {
    let path = root.join(".gitattributes");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(_) => fs_err::read_to_string(&path)?,
    };
    let mut lines: Vec<&str> = text.lines().collect();
    let before = lines.len();
    if add {
        for line in ATTRIBUTE_LINES {
            if !lines.contains(line) {
                lines.push(line);
            }
        }
    } else {
        lines.retain(|l| !ATTRIBUTE_LINES.contains(l));
    }
    if lines.len() == before {
        return Ok(false);
    }
    if lines.iter().all(|l| l.trim().is_empty()) {
        fs_util::remove_file_if_exists(&path)?;
    } else {
        fs_util::write_atomic(&path, format!("{}\n", lines.join("\n")).as_bytes())?;
    }
    Ok(true)
}
