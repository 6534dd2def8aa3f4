//! A folder the user names for mlx to write files into (`-o DIR` of `mlx exp get`,
//! `mlx report`): anywhere on disk, but when it lies in the work tree every write passes the
//! work tree's gate (never into `.git` or `.mlx`, never through a symlink that leads out), and
//! outside it a gate rooted at the folder itself.

use std::path::{Path, PathBuf};

use super::{WorkTree, check_not_reserved};
use crate::error::Result;
use crate::project_path::RelPath;

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
