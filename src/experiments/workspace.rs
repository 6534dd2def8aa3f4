//! An experiment's isolated workspace: a linked git worktree under `.mlx/exps/NAME/`, detached at
//! HEAD with the user's uncommitted changes of tracked files carried over, its tracked data
//! linked from the cache (reflink or hardlink, copied only where links fail), and opened as a
//! project that shares the main project's cache, database and lock. A variant's stages run
//! there, so the user's work tree is never touched and any number of variants run side by side.
//!
//! Each workspace has an owner file (`NAME.owner`: pid and start time of the mlx process that
//! made it). A workspace whose owner no longer runs is removed by the next [`clean_stale`].

use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::error::Result;
use crate::git;
use crate::progress::Reporter;
use crate::project::Project;
use crate::store::stat_cache::Rows;
use crate::store::{LinkType, StatCache};
use crate::work_tree::compare;
use crate::work_tree::restore;
use crate::work_tree::tracked::{self, Source};

/// Under `.mlx/`: the workspaces.
pub const DIR: &str = "exps";

/// Link types for a workspace's data when the user set none: the workspace's stages read their
/// inputs and replace their outputs, so sharing the read-only cache objects is safe and fast.
const VARIANT_LINKS: [LinkType; 3] = [LinkType::Reflink, LinkType::Hardlink, LinkType::Copy];

/// A workspace made for one experiment, removed by [`Workspace::remove`].
pub struct Workspace {
    pub name: String,
    pub path: PathBuf,
    pub project: Project,
}

fn owner_file(main: &Project, name: &str) -> PathBuf {
    main.mlx_dir().join(DIR).join(format!("{name}.owner"))
}

/// Where a workspace starts: a commit, and the uncommitted changes of tracked files on top of it
/// (a commit made by `git::worktree::snapshot_changes`).
pub struct Start {
    pub commit: String,
    pub changes: Option<String>,
}

impl Start {
    /// The user's work tree as it is now: HEAD and its uncommitted changes.
    pub fn current(main: &Project) -> Result<Start> {
        let root = main.root();
        let commit = git::Repo::open(root)?
            .head_state()?
            .commit
            .ok_or_else(|| git::Error::NoCommits { spec: "HEAD".into() })?;
        Ok(Start { commit, changes: git::worktree::snapshot_changes(root)? })
    }
}

/// Make the workspace of experiment `name` (a name unique among the project's experiments).
pub fn create(
    main: &Project,
    name: &str,
    start: &Start,
    reporter: &dyn Reporter,
) -> Result<Workspace> {
    let root = main.root();
    let dir = main.mlx_dir().join(DIR);
    fs::create_dir_all(&dir)?;
    crate::fs_util::write_atomic(&owner_file(main, name), crate::process::owner_text().as_bytes())?;
    let path = dir.join(name);
    let clock = std::time::Instant::now();
    {
        let _one_at_a_time = worktree_lock(main)?;
        git::worktree::add_detached(root, &path, &start.commit, start.changes.as_deref())?;
    }
    let workspace = open(main, name, &path).and_then(|project| {
        link_data(&project, reporter)?;
        Ok(project)
    });
    match workspace {
        Ok(project) => {
            let ms = clock.elapsed().as_secs_f64() * 1000.0;
            tracing::info!("experiment {name}: workspace ready in {ms:.1} ms");
            Ok(Workspace { name: name.to_owned(), path, project })
        }
        Err(e) => {
            let _ = remove_at(main, name, &path);
            Err(e)
        }
    }
}

/// Open the worktree at `path` as the project of experiment `name`'s workspace.
fn open(main: &Project, name: &str, path: &Path) -> Result<Project> {
    let mlx = path.join(crate::project::MLX_DIR);
    fs::create_dir_all(&mlx)?;
    let links = main.config().cache.link_types.clone().unwrap_or_else(|| VARIANT_LINKS.to_vec());
    let links: Vec<String> = links.iter().map(|t| format!("{:?}", t.as_str())).collect();
    let cache = toml::Value::String(main.cache().dir().display().to_string());
    let local = format!(
        "# mlx: an experiment's isolated workspace; it shares the main project's cache.\n\
         [cache]\ndir = {cache}\ntype = [{}]\n",
        links.join(", ")
    );
    crate::fs_util::write_atomic(&mlx.join(crate::config::LOCAL_FILE), local.as_bytes())?;
    Ok(Project::open_variant(path.to_path_buf(), main, name)?)
}

/// Put every tracked path's data (pointers and `mlx.lock` outputs) in place from the cache.
/// What the cache lacks stays missing: a stage that needs it fails as it would in the main
/// work tree.
fn link_data(project: &Project, reporter: &dyn Reporter) -> Result<()> {
    let (all, _) = tracked::load_source(project, &Source::Workspace, project.root(), &[])?;
    let mut conn = project.open_db()?;
    let stat = project.stat_cache(&conn, Rows::FilesAndObjects)?;
    let mut conflicts = Vec::new();
    let result = all.iter().try_for_each(|t| {
        project.work_tree().writable(&t.target)?;
        let cmp = compare::compare(project, t, &stat, reporter)?;
        let plan = restore::plan(project, t, cmp, true, &mut conflicts)?;
        restore::apply(project, plan, &stat, reporter).map(|_| ())
    });
    stat.save(&mut conn)?;
    result
}

impl Workspace {
    /// Remove the worktree, its owner file and its stat-cache rows.
    pub fn remove(self, main: &Project) -> Result<()> {
        let Workspace { name, path, project } = self;
        drop(project);
        remove_at(main, &name, &path)
    }
}

/// Held while git adds or removes a linked worktree: git reads every other worktree's files
/// while it adds one, and fails on one that another process is still making.
fn worktree_lock(main: &Project) -> Result<fs::File> {
    let dir = main.shared_locks_dir();
    fs::create_dir_all(&dir)?;
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("worktrees.lock"))?;
    file.lock()?;
    Ok(file)
}

fn remove_at(main: &Project, name: &str, path: &Path) -> Result<()> {
    {
        let _one_at_a_time = worktree_lock(main)?;
        git::worktree::remove(main.root(), path)?;
    }
    let conn = main.open_db()?;
    StatCache::forget_scope(&conn, &Project::variant_stat_scope(name))?;
    crate::fs_util::remove_file_if_exists(&owner_file(main, name))?;
    Ok(())
}

/// Remove the workspaces whose owner process no longer runs (a killed `mlx exp run`); their
/// names.
pub fn clean_stale(main: &Project) -> Result<Vec<String>> {
    let dir = main.mlx_dir().join(DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Vec::new()) };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".owner")) else { continue };
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if crate::process::owner_alive(&text) {
            continue;
        }
        remove_at(main, name, &dir.join(name))?;
        removed.push(name.to_owned());
    }
    // A worktree folder without an owner file: made by a process killed before it wrote one
    // cannot exist (the owner file comes first), so one is a leftover of a removal cut short.
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && !owner_file(main, &name).exists() {
            remove_at(main, &name, &entry.path())?;
            removed.push(name);
        }
    }
    Ok(removed)
}
