//! A folder the user names for mlx to write files into (`-o DIR` of `mlx exp get`,
//! `mlx report`): anywhere on disk, but when it lies in the work tree every write passes the
//! work tree's gate (never into `.git` or `.mlx`, never through a symlink that leads out), and
//! outside it a gate rooted at the folder itself.

use std::path::{Path, PathBuf};

use super::{WorkTree, check_not_reserved};
use crate::error::Result;
use crate::project_path::RelPath;
use crate::store::manifest::EntryKind;

/// The folder `out` (relative to `cwd`; `.` when absent), absolute with its existing part
/// resolved through symlinks; and, when it lies in the work tree rooted at `root`, its path
/// there (`Some(None)` for the root itself). A reserved folder (`.git`, `.mlx`) is an error.
pub fn destination(
    root: &Path,
    cwd: &Path,
    out: Option<&Path>,
) -> Result<(PathBuf, Option<Option<RelPath>>)> {
    let lexical = crate::project_path::normalize(&cwd.join(out.unwrap_or(Path::new("."))));
    // Resolve the deepest folder that exists; what is below it is made later.
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        let Some(parent) = existing.parent() else { break };
        rest.push(existing.file_name().map(ToOwned::to_owned).unwrap_or_default());
        existing = parent;
    }
    let mut dir = fs_err::canonicalize(existing)?;
    for part in rest.into_iter().rev() {
        dir.push(part);
    }
    let inside = match dir.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => Some(None),
        Ok(rel) => {
            let rel = RelPath::new(rel)?;
            check_not_reserved(&rel)?;
            Some(Some(rel))
        }
        Err(_) => None,
    };
    Ok((dir, inside))
}

/// An output folder, made, with the gate its writes pass.
pub struct OutputDir {
    dir: PathBuf,
    /// Its path in the gate's tree (`None`: the gate's root).
    base: Option<RelPath>,
    gate: WorkTree,
    in_work_tree: bool,
}

impl OutputDir {
    /// The folder `out` (see [`destination`]), made if missing.
    pub fn create(work_tree: &WorkTree, cwd: &Path, out: &Path) -> Result<OutputDir> {
        let (dir, inside) = destination(work_tree.root(), cwd, Some(out))?;
        Ok(match inside {
            Some(base) => {
                if let Some(b) = &base {
                    work_tree.create_dir_all(b)?;
                }
                OutputDir { dir, base, gate: work_tree.clone(), in_work_tree: true }
            }
            None => {
                fs_err::create_dir_all(&dir)?;
                let gate = WorkTree::new(&dir);
                OutputDir { dir, base: None, gate, in_work_tree: false }
            }
        })
    }

    /// The folder's absolute path.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Whether it lies in the project's work tree.
    pub fn in_work_tree(&self) -> bool {
        self.in_work_tree
    }

    /// Write `bytes` to `name` (a path below the folder; missing folders are made), replacing
    /// what is there at once. Returns the file's absolute path.
    pub fn write(&self, name: &RelPath, bytes: &[u8]) -> Result<PathBuf> {
        let rel = self.base.as_ref().map_or_else(|| name.clone(), |b| b.join(name));
        if let Some(parent) = rel.parent() {
            self.gate.create_dir_all(&parent)?;
        }
        let dest = self.gate.writable(&rel)?;
        crate::fs_util::write_atomic(&dest, bytes)?;
        Ok(dest)
    }
}

/// One thing to write out of the cache, relative to the folder written into.
pub struct OutItem {
    pub path: RelPath,
    pub kind: EntryKind,
    /// Which of the caller's artifacts it belongs to (an index).
    pub artifact: usize,
}

/// Something in the way of a write.
#[derive(Debug, serde::Serialize)]
pub struct Conflict {
    /// Relative to the folder written into.
    pub path: String,
    pub reason: &'static str,
}

/// What was written for one artifact.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    /// Files, links and empty folders written.
    pub written: u64,
    /// Of its files, those already there with the same content.
    pub unchanged: u64,
    /// Bytes of the files written.
    pub bytes: u64,
}

/// The outcome of [`write_entries`]: conflicts (then nothing was written), or per artifact
/// what was written.
pub struct WriteOutcome {
    pub conflicts: Vec<Conflict>,
    pub written: Vec<Written>,
}

/// Write `items` (whose objects are in the cache) into `dir`, as [`destination`] gave it with
/// `inside`. Every path is checked before anything is written; what is in the way is a
/// conflict (and nothing is written) unless `force` lets it be replaced; every write passes
/// the work tree's gate, or one rooted at `dir` outside the project. Writes into the work tree
/// hold the project lock. `artifacts` is how many artifacts the items' indexes count.
pub fn write_entries(
    project: &crate::project::Project,
    dir: &Path,
    inside: Option<&Option<RelPath>>,
    mut items: Vec<OutItem>,
    force: bool,
    artifacts: usize,
    reporter: &dyn crate::progress::Reporter,
) -> Result<WriteOutcome> {
    use std::collections::HashSet;

    use crate::project_path::check_symlink_target;
    use crate::store::StatCache;
    use crate::store::stat_cache::Rows;

    let mut outcome =
        WriteOutcome { conflicts: Vec::new(), written: vec![Written::default(); artifacts] };
    // One item per path (overlapping artifacts name some twice): the last one wins.
    let mut seen = HashSet::new();
    items.reverse();
    items.retain(|it| seen.insert(it.path.clone()));
    items.reverse();

    // Writes into the work tree wait for commands that change it (a pipeline writing these
    // very outputs).
    let _lock = match inside {
        Some(_) => Some(project.lock(reporter)?),
        None => None,
    };
    let base = inside.cloned().flatten();
    let gate_path = |rel: &RelPath| base.as_ref().map_or_else(|| rel.clone(), |b| b.join(rel));
    for it in &items {
        let p = gate_path(&it.path);
        check_not_reserved(&p)?;
        if let EntryKind::Symlink { target } = &it.kind {
            check_symlink_target(&p, target)?;
        }
    }
    let plan = plan(dir, &items, force, &mut outcome.conflicts)?;
    if !outcome.conflicts.is_empty() {
        return Ok(outcome);
    }
    // The gate: the work tree's, or one rooted at the folder outside the project.
    let gate = match inside {
        Some(_) => {
            if let Some(b) = &base {
                project.work_tree().create_dir_all(b)?;
            }
            project.work_tree().clone()
        }
        None => {
            fs_err::create_dir_all(dir)?;
            WorkTree::new(dir)
        }
    };
    let conn = project.open_db()?;
    let stat = StatCache::load(&conn, Rows::FilesAndObjects)?;
    for blocker in &plan.blockers {
        crate::fs_util::remove_file_if_exists(&gate.writable(&gate_path(blocker))?)?;
    }
    reporter.start("writing artifacts", items.len() as u64);
    for (it, unchanged) in items.iter().zip(&plan.unchanged) {
        reporter.advance(1);
        let done = &mut outcome.written[it.artifact];
        if *unchanged {
            done.unchanged += 1;
            continue;
        }
        let p = gate_path(&it.path);
        if let Some(parent) = p.parent() {
            gate.create_dir_all(&parent)?;
        }
        match &it.kind {
            EntryKind::File { hash, size, executable } => {
                project.cache().verify_before_use(hash, &stat)?;
                let dest = gate.writable(&p)?;
                let tmp = crate::fs_util::temp_path(&dest);
                crate::fs_util::copy_new(&project.cache().object_path(hash), &tmp, *executable)?;
                if let Err(e) = fs_err::rename(&tmp, &dest) {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
                done.bytes += size;
            }
            EntryKind::Symlink { target } => {
                let dest = gate.writable(&p)?;
                let tmp = crate::fs_util::temp_path(&dest);
                fs_err::os::unix::fs::symlink(target, &tmp)?;
                fs_err::rename(&tmp, &dest)?;
            }
            EntryKind::EmptyDir => {
                gate.create_dir_all(&p)?;
            }
        }
        done.written += 1;
    }
    reporter.finish();
    Ok(outcome)
}

/// What the write must do besides writing: which items are already there as they should be,
/// and files in the way of folders to remove first (forced only).
struct Plan {
    unchanged: Vec<bool>,
    blockers: Vec<RelPath>,
}

/// Compare each item with what is at its place under `dir`; what is in the way becomes a
/// conflict, unless `force` lets it be replaced (a folder is never replaced by a file).
fn plan(dir: &Path, items: &[OutItem], force: bool, conflicts: &mut Vec<Conflict>) -> Result<Plan> {
    use std::collections::HashSet;

    use crate::store;

    let mut unchanged = Vec::with_capacity(items.len());
    let mut blockers: Vec<RelPath> = Vec::new();
    let mut checked_parents: HashSet<RelPath> = HashSet::new();
    let mut conflict = |path: &RelPath, reason| {
        conflicts.push(Conflict { path: path.to_string(), reason });
    };
    for it in items {
        // Folders above: a file (or a link to one) where a folder belongs.
        let mut parent = it.path.parent();
        while let Some(p) = parent {
            if !checked_parents.insert(p.clone()) {
                break;
            }
            if std::fs::metadata(dir.join(p.as_path())).is_ok_and(|m| !m.is_dir()) {
                if force {
                    blockers.push(p.clone());
                } else {
                    conflict(&p, "a file is where a folder belongs");
                }
            }
            parent = p.parent();
        }
        let abs = dir.join(it.path.as_path());
        let Ok(meta) = std::fs::symlink_metadata(&abs) else {
            unchanged.push(false);
            continue;
        };
        let same = match &it.kind {
            EntryKind::File { hash, size, .. } => {
                meta.is_file() && meta.len() == *size && store::hash_file(&abs)? == *hash
            }
            EntryKind::Symlink { target } => {
                meta.file_type().is_symlink()
                    && std::fs::read_link(&abs).is_ok_and(|t| t == *target)
            }
            EntryKind::EmptyDir => meta.is_dir(),
        };
        unchanged.push(same);
        if same {
            continue;
        }
        if meta.is_dir() {
            conflict(&it.path, "a folder is where a file belongs");
        } else if matches!(it.kind, EntryKind::EmptyDir) {
            if force {
                blockers.push(it.path.clone());
            } else {
                conflict(&it.path, "a file is where a folder belongs");
            }
        } else if !force {
            conflict(&it.path, "exists with other content");
        }
    }
    Ok(Plan { unchanged, blockers })
}
