//! `mlx init`: create `.mlx/` (cache, local config, database), `mlx.toml` and the root
//! `.gitignore` line. Running it again changes nothing.

use std::path::Path;

use fs_err as fs;
use serde::Serialize;

use super::Result;
use crate::config::{LOCAL_FILE, LOCAL_TEMPLATE, PROJECT_FILE, PROJECT_TEMPLATE};
use crate::fs_util;
use crate::git;
use crate::project::{MLX_DIR, Project};

pub const GITIGNORE_LINE: &str = "/.mlx/";

#[derive(Debug, Serialize)]
pub struct InitReport {
    pub root: String,
    /// Files and folders this run created or changed, relative to the root.
    pub created: Vec<String>,
}

pub fn run(start: &Path) -> Result<InitReport> {
    let root = git::discover_workdir(start)?;
    let mut created = Vec::new();
    for dir in [root.join(MLX_DIR), crate::project::default_cache_dir(&root)] {
        if !dir.is_dir() {
            fs::create_dir_all(&dir)?;
            created.push(format!("{}/", dir.strip_prefix(&root).unwrap_or(&dir).display()));
        }
    }
    let local = local_template(&root)?;
    let files = [
        (root.join(MLX_DIR).join(LOCAL_FILE), local.as_str()),
        (root.join(PROJECT_FILE), PROJECT_TEMPLATE),
    ];
    for (path, text) in files {
        if !path.exists() {
            fs_util::write_atomic(&path, text.as_bytes())?;
            created.push(path.strip_prefix(&root).unwrap_or(&path).display().to_string());
        }
    }
    let gitignore = root.join(".gitignore");
    let current = match std::fs::read_to_string(&gitignore) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(_) => fs::read_to_string(&gitignore)?,
    };
    if !current.lines().any(|l| l.trim() == GITIGNORE_LINE || l.trim() == ".mlx/") {
        let mut text = current;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# mlx: per-clone cache, database and local settings\n");
        text.push_str(GITIGNORE_LINE);
        text.push('\n');
        fs_util::write_atomic(&gitignore, text.as_bytes())?;
        created.push(".gitignore".into());
    }
    // Opening the project validates mlx.toml; opening the database creates its schema.
    let project = Project::open(root.clone())?;
    project.open_db()?;
    Ok(InitReport { root: root.display().to_string(), created })
}

/// The local settings file. A linked worktree (`git worktree add`) shares the main work tree's
/// cache instead of filling a cache of its own.
fn local_template(root: &Path) -> Result<String> {
    let shared = git::Repo::open(root)?
        .main_worktree()
        .map(|main| crate::project::default_cache_dir(&main))
        .filter(|cache| cache.is_dir());
    let Some(cache) = shared else { return Ok(LOCAL_TEMPLATE.to_owned()) };
    let quoted = toml::Value::String(cache.display().to_string()).to_string();
    Ok(format!(
        "{LOCAL_TEMPLATE}\n# This is a linked git worktree: share the main work tree's cache.\n\
         [cache]\ndir = {quoted}\n"
    ))
}
