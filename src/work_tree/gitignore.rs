//! Keeping `.gitignore` beside each tracked path: one anchored line (`/name`) per tracked path,
//! added by `mlx add`, removed by `mlx rm`. Other lines are never touched.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::fs_util;
use crate::project_path::{PathError, RelPath};
use crate::store::Error;
use crate::work_tree::WorkTree;

/// The anchored, escaped gitignore pattern for a file name.
pub fn pattern_for(name: &[u8]) -> Vec<u8> {
    let mut out = b"/".to_vec();
    for (i, &b) in name.iter().enumerate() {
        let trailing_space = b == b' ' && i == name.len() - 1;
        if matches!(b, b'*' | b'?' | b'[' | b'\\' | b'!' | b'#') || trailing_space {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// The `.gitignore` beside `target`, checked by the work tree's gate.
fn gitignore_of(work_tree: &WorkTree, target: &RelPath) -> Result<(RelPath, PathBuf), PathError> {
    let rel = match target.parent() {
        Some(parent) => parent.join(&RelPath::new(".gitignore").expect("a valid name")),
        None => RelPath::new(".gitignore").expect("a valid name"),
    };
    let abs = work_tree.writable(&rel)?;
    Ok((rel, abs))
}

fn read_lines(path: &Path) -> io::Result<Vec<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(_) => fs::read(path).map(|_| Vec::new()),
    }
}

/// Make sure git ignores `target`. Returns the .gitignore's project path when it changed.
pub fn add_entry(work_tree: &WorkTree, target: &RelPath) -> Result<Option<RelPath>, Error> {
    let (rel, file) = gitignore_of(work_tree, target)?;
    let line = pattern_for(target.file_name().as_bytes());
    let mut lines = read_lines(&file)?;
    if lines.contains(&line) {
        return Ok(None);
    }
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    lines.push(line);
    lines.push(Vec::new());
    fs_util::write_atomic(&file, &lines.join(&b'\n'))?;
    Ok(Some(rel))
}

/// Remove the line `add_entry` wrote; delete the file if nothing else is left in it.
pub fn remove_entry(work_tree: &WorkTree, target: &RelPath) -> Result<Option<RelPath>, Error> {
    let (rel, file) = gitignore_of(work_tree, target)?;
    let line = pattern_for(target.file_name().as_bytes());
    let lines = read_lines(&file)?;
    if !lines.contains(&line) {
        return Ok(None);
    }
    let kept: Vec<Vec<u8>> = lines.into_iter().filter(|l| *l != line).collect();
    if kept.iter().all(|l| l.iter().all(u8::is_ascii_whitespace)) {
        fs::remove_file(&file)?;
    } else {
        fs_util::write_atomic(&file, &kept.join(&b'\n'))?;
    }
    Ok(Some(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_special_characters() {
        assert_eq!(pattern_for(b"data"), b"/data");
        assert_eq!(pattern_for(b"a*b"), b"/a\\*b");
        assert_eq!(pattern_for(b"#x"), b"/\\#x");
    }

    #[test]
    fn add_then_remove_restores_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "keep\n").unwrap();
        let t = RelPath::new("data").unwrap();
        let wt = WorkTree::new(dir.path());
        assert!(add_entry(&wt, &t).unwrap().is_some());
        assert!(add_entry(&wt, &t).unwrap().is_none());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
            "keep\n/data\n"
        );
        remove_entry(&wt, &t).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(".gitignore")).unwrap(), "keep\n");
    }
}
