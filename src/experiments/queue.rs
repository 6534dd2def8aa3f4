//! Queued variants. `mlx exp run --queue` records what to run (the overrides, the stages, a name)
//! and where to start from (HEAD, and the work tree's uncommitted changes of tracked files as a
//! commit kept alive by the ref `refs/mlx/queue/NAME`) in `.mlx/queue/NAME.toml`, so that later
//! edits do not change a queued variant. `mlx exp queue start` claims entries one at a time by
//! moving them to `.mlx/queue/running/` (a rename: two starters never take the same entry) and
//! runs each in its own workspace; an entry whose runner died is put back in the queue by the
//! next listing.

use std::path::{Path, PathBuf};

use fs_err as fs;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::git;
use crate::project::Project;

/// Under `.mlx/`: the queue.
pub const DIR: &str = "queue";
const RUNNING: &str = "running";

/// One queued variant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub name: String,
    /// `--set` overrides.
    #[serde(default)]
    pub set: Vec<String>,
    /// Stages to run (all when empty).
    #[serde(default)]
    pub stages: Vec<String>,
    #[serde(default)]
    pub force: bool,
    /// HEAD when it was queued.
    pub commit: String,
    /// The uncommitted changes of tracked files then, as a commit (see `git::worktree`).
    pub changes: Option<String>,
    /// When it was queued (RFC 3339, UTC).
    pub queued_at: String,
    /// Its place in the queue: the queue runs in this order.
    #[serde(default)]
    pub seq: u64,
    /// The mlx process running it (pid and start time), once claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
}

fn dir(main: &Project) -> PathBuf {
    main.mlx_dir().join(DIR)
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

fn queue_ref(name: &str) -> String {
    format!("refs/mlx/queue/{name}")
}

fn read(path: &Path) -> Option<Entry> {
    toml::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn write(path: &Path, entry: &Entry) -> Result<()> {
    let text = format!(
        "# mlx: a queued experiment; `mlx exp queue start` runs it\n{}",
        toml::to_string(entry).expect("an entry serializes")
    );
    crate::fs_util::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Whether `name` is queued or being run.
pub fn contains(main: &Project, name: &str) -> bool {
    file(&dir(main), name).exists() || file(&dir(main).join(RUNNING), name).exists()
}

/// Queue a variant: HEAD and the uncommitted changes as they are now.
pub fn add(
    main: &Project,
    name: &str,
    set: &[String],
    stages: &[String],
    force: bool,
) -> Result<Entry> {
    let root = main.root();
    let super::workspace::Start { commit, changes } = super::workspace::Start::current(main)?;
    if let Some(sha) = &changes {
        git::worktree::keep(root, &queue_ref(name), sha)?;
    }
    let seq = entries_in(&dir(main))
        .iter()
        .chain(entries_in(&dir(main).join(RUNNING)).iter())
        .map(|e| e.seq + 1)
        .max()
        .unwrap_or(0);
    let entry = Entry {
        seq,
        name: name.to_owned(),
        set: set.to_vec(),
        stages: stages.to_vec(),
        force,
        commit,
        changes,
        queued_at: crate::tracking::runs::rfc3339(crate::tracking::runs::now_millis()),
        runner: None,
    };
    fs::create_dir_all(dir(main))?;
    write(&file(&dir(main), name), &entry)?;
    Ok(entry)
}

/// The queue in its order, with entries being run (their `runner` set) after the waiting ones.
/// Entries whose runner died go back to waiting.
pub fn list(main: &Project) -> Result<Vec<Entry>> {
    requeue_orphans(main)?;
    let mut waiting = entries_in(&dir(main));
    waiting.sort_by(|a, b| (a.seq, &a.name).cmp(&(b.seq, &b.name)));
    let mut running = entries_in(&dir(main).join(RUNNING));
    running.sort_by(|a, b| (a.seq, &a.name).cmp(&(b.seq, &b.name)));
    waiting.extend(running);
    Ok(waiting)
}

fn entries_in(dir: &Path) -> Vec<Entry> {
    let Ok(files) = std::fs::read_dir(dir) else { return Vec::new() };
    files
        .flatten()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .filter_map(|f| read(&f.path()))
        .collect()
}

/// Put back in the queue what a dead runner had claimed.
fn requeue_orphans(main: &Project) -> Result<()> {
    let running = dir(main).join(RUNNING);
    for entry in entries_in(&running) {
        if entry.runner.as_deref().is_some_and(crate::process::owner_alive) {
            continue;
        }
        let waiting = Entry { runner: None, ..entry.clone() };
        write(&file(&dir(main), &entry.name), &waiting)?;
        crate::fs_util::remove_file_if_exists(&file(&running, &entry.name))?;
    }
    Ok(())
}

/// Claim the oldest waiting entry for this process; `None` when the queue is empty.
pub fn claim_next(main: &Project) -> Result<Option<Entry>> {
    let running = dir(main).join(RUNNING);
    fs::create_dir_all(&running)?;
    for entry in list(main)?.into_iter().filter(|e| e.runner.is_none()) {
        let from = file(&dir(main), &entry.name);
        let to = file(&running, &entry.name);
        // Whoever renames it first runs it.
        if std::fs::rename(&from, &to).is_ok() {
            let claimed = Entry { runner: Some(crate::process::owner_text()), ..entry };
            write(&to, &claimed)?;
            return Ok(Some(claimed));
        }
    }
    Ok(None)
}

/// Hand a claimed entry to another process (the runner of the variant).
pub fn hand_over(main: &Project, name: &str, pid: u32) -> Result<()> {
    let path = file(&dir(main).join(RUNNING), name);
    if let Some(entry) = read(&path) {
        write(&path, &Entry { runner: Some(crate::process::owner_text_of(pid)), ..entry })?;
    }
    Ok(())
}

/// The claimed entry `name`, for the process that runs it.
pub fn claimed(main: &Project, name: &str) -> Option<Entry> {
    read(&file(&dir(main).join(RUNNING), name))
}

/// Forget a finished (or failed) entry: its file and its ref.
pub fn finish(main: &Project, name: &str) -> Result<()> {
    crate::fs_util::remove_file_if_exists(&file(&dir(main).join(RUNNING), name))?;
    git::worktree::forget(main.root(), &queue_ref(name))?;
    Ok(())
}

/// Remove waiting entries by name; the names that were not waiting are returned as errors by
/// the caller. Returns the entries removed.
pub fn remove(main: &Project, names: &[String]) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for name in names {
        let path = file(&dir(main), name);
        if path.exists() {
            crate::fs_util::remove_file_if_exists(&path)?;
            git::worktree::forget(main.root(), &queue_ref(name))?;
            removed.push(name.clone());
        }
    }
    Ok(removed)
}

impl Entry {
    /// Where its workspace starts.
    pub fn start(&self) -> super::workspace::Start {
        super::workspace::Start { commit: self.commit.clone(), changes: self.changes.clone() }
    }
}
