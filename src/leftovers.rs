//! What killed mlx processes leave behind in the project, and removing it.
//!
//! mlx writes every file as a temp file renamed into place. Temp files for the work tree are
//! made in a per-process staging folder, `.mlx/tmp/PID/` (see [`fs_util::temp_path`]), so a
//! killed process leaves them there, out of the user's way, and the next mlx command in the
//! project removes the folders of processes that no longer run ([`clean_staging`]).
//!
//! Where the staging folder is on another filesystem than the destination (a mount inside the
//! work tree), and with mlx versions before it, a temp file sits beside its destination as
//! `.NAME.mlx-tmp-PID-N`. Those are never taken for the user's files (workspace walks skip
//! them), `mlx checkout` removes the ones of dead processes inside and beside tracked data
//! ([`sweep`]), and `mlx doctor` finds them anywhere in the work tree ([`find_in_work_tree`]).
//!
//! [`fs_util::temp_path`]: crate::fs_util::temp_path

use std::io;
use std::path::{Path, PathBuf};

use crate::fs_util;
use crate::process::pid_in_use;

/// The staging folders (`.mlx/tmp/PID`) of processes that no longer run.
pub fn dead_staging(mlx_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(mlx_dir.join(fs_util::STAGING_DIR)) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            !e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()).is_some_and(pid_in_use)
        })
        .map(|e| e.path())
        .collect()
}

/// Remove the staging folders of processes that no longer run (no lock needed: only dead
/// processes' folders are touched). Returns how many.
pub fn clean_staging(mlx_dir: &Path) -> io::Result<usize> {
    let dead = dead_staging(mlx_dir);
    for dir in &dead {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(dead.len())
}

/// Whether `name` is a temp file of a process that no longer runs.
fn dead_temp(name: &std::ffi::OsStr) -> bool {
    fs_util::temp_name_pid(name).is_some_and(|pid| !pid_in_use(pid))
}

/// Remove temp files of dead processes from the folders `dirs` and, recursively, from the
/// folders `trees` (symlinks are not followed, `.git` folders are skipped). Missing folders
/// are fine. The caller holds the project lock. Returns how many files were removed.
pub fn sweep(dirs: &[PathBuf], trees: &[PathBuf]) -> io::Result<u64> {
    let mut removed = 0;
    let mut pending: Vec<(PathBuf, bool)> = dirs.iter().map(|d| (d.clone(), false)).collect();
    pending.extend(trees.iter().map(|d| (d.clone(), true)));
    while let Some((dir, recursive)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if recursive && name != ".git" {
                    pending.push((entry.path(), true));
                }
            } else if dead_temp(&name) {
                fs_util::remove_file_if_exists(&entry.path())?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Temp files of dead processes anywhere in the work tree at `root` (not in `.git` or
/// `.mlx`, symlinks not followed), relative to the root, sorted.
pub fn find_in_work_tree(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || (e.file_name() != ".git" && e.file_name() != ".mlx"));
    for entry in walker.flatten() {
        if !entry.file_type().is_dir()
            && dead_temp(entry.file_name())
            && let Ok(rel) = entry.path().strip_prefix(root)
        {
            found.push(rel.to_path_buf());
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEAD: u32 = 2_147_483_646;

    #[test]
    fn sweep_removes_dead_temps_only_and_recurses_only_into_trees() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let me = std::process::id();
        for rel in [
            format!("top/.a.mlx-tmp-{DEAD}-0"),
            format!("top/.b.mlx-tmp-{me}-0"),
            format!("top/inner/.c.mlx-tmp-{DEAD}-1"),
            format!("tree/x/.d.mlx-tmp-{DEAD}-2"),
            format!("tree/.git/.e.mlx-tmp-{DEAD}-3"),
            "tree/x/plain.txt".to_owned(),
        ] {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"x").unwrap();
        }
        let found = find_in_work_tree(root);
        assert_eq!(found.len(), 3, "{found:?}");
        let removed =
            sweep(&[root.join("top"), root.join("absent")], &[root.join("tree")]).unwrap();
        assert_eq!(removed, 2);
        assert!(!root.join(format!("top/.a.mlx-tmp-{DEAD}-0")).exists());
        assert!(root.join(format!("top/.b.mlx-tmp-{me}-0")).exists());
        assert!(root.join(format!("top/inner/.c.mlx-tmp-{DEAD}-1")).exists());
        assert!(!root.join(format!("tree/x/.d.mlx-tmp-{DEAD}-2")).exists());
        assert!(root.join(format!("tree/.git/.e.mlx-tmp-{DEAD}-3")).exists());
        assert!(root.join("tree/x/plain.txt").exists());
    }

    #[test]
    fn dead_staging_folders_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join(fs_util::STAGING_DIR);
        std::fs::create_dir_all(staging.join(DEAD.to_string()).join("sub")).unwrap();
        std::fs::create_dir_all(staging.join(std::process::id().to_string())).unwrap();
        std::fs::create_dir_all(staging.join("not-a-pid")).unwrap();
        assert_eq!(clean_staging(dir.path()).unwrap(), 2);
        let left: Vec<_> = std::fs::read_dir(&staging).unwrap().flatten().collect();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].file_name(), std::ffi::OsString::from(std::process::id().to_string()));
    }
}
