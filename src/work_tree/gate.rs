//! The one gate for every write into the work tree.
//!
//! A repository someone else wrote is untrusted input: its pointers, manifests, `mlx.lock`,
//! `mlx.toml` and the symlinks committed to git must never make mlx write outside the work tree,
//! into `.git` or into the project's `.mlx` folder. Every writer (checkout, pull, stage outputs,
//! run-cache restores, `--set`, `mlx add`'s links back into the workspace, `mlx rm`) asks
//! [`WorkTree`] first, at write time, for the path it is about to create, replace or delete:
//!
//! - lexically, no component may be `.git` (at any depth) and the first may not be `.mlx`, under
//!   any spelling that a case-insensitive, Unicode-normalizing (HFS+) or NTFS filesystem would take
//!   for them (`.GIT`, `.g\u{200c}it`, `.git.`, `GIT~1`), as git itself refuses;
//! - every folder above the path that exists is resolved through symlinks on disk, and the real
//!   folder must lie inside the work tree and outside `.git` and `.mlx`. Folders are created one
//!   component at a time through the same check, so a symlink planted earlier cannot redirect
//!   a later `mkdir`.
//!
//! The final component itself is never followed: mlx replaces files by renaming over them and
//! deletes symlinks, never what they point to. This module writes nothing but folders; what the
//! callers write is theirs.

use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::project_path::{PathError, RelPath};

/// The work tree root, with the checks every write into it passes.
#[derive(Debug, Clone)]
pub struct WorkTree {
    /// Canonical.
    root: PathBuf,
}

/// What owns a reserved name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Git,
    Mlx,
}

impl Owner {
    pub fn folder(self) -> &'static str {
        match self {
            Owner::Git => ".git",
            Owner::Mlx => ".mlx",
        }
    }
}

/// Code points HFS+ ignores when it compares names (git's `is_hfs_dotgit` list).
fn hfs_ignorable(c: char) -> bool {
    matches!(c,
        '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}')
}

/// Whether `name` is `.WORD` (or `WORD~1`, its NTFS short name) on some filesystem: case folded,
/// HFS-ignorable code points dropped, trailing dots and spaces and an NTFS stream suffix cut.
fn is_dot_name(name: &OsStr, word: &str) -> bool {
    let Some(text) = name.to_str() else {
        // Not UTF-8: only a plain ASCII spelling could match, and that would be UTF-8.
        return false;
    };
    let cleaned: String = text.chars().filter(|c| !hfs_ignorable(*c)).collect();
    let base = cleaned.split(':').next().unwrap_or_default().trim_end_matches(['.', ' ']);
    let lower = base.to_lowercase();
    lower.strip_prefix('.') == Some(word) || lower.strip_suffix("~1") == Some(word)
}

/// The reserved folder a project-relative path lies in (or is), lexically: `.git` at any depth,
/// `.mlx` at the top.
pub fn reserved_owner(path: &Path) -> Option<Owner> {
    for (i, c) in path.components().enumerate() {
        let Component::Normal(name) = c else { continue };
        if is_dot_name(name, "git") {
            return Some(Owner::Git);
        }
        if i == 0 && is_dot_name(name, "mlx") {
            return Some(Owner::Mlx);
        }
    }
    None
}

/// Refuse a path inside `.git` or `.mlx` (see [`reserved_owner`]).
pub fn check_not_reserved(path: &RelPath) -> Result<(), PathError> {
    match reserved_owner(path.as_path()) {
        Some(owner) => {
            Err(PathError::Reserved { path: path.as_path().to_path_buf(), folder: owner.folder() })
        }
        None => Ok(()),
    }
}

/// Files git or mlx read their settings from, at any depth.
const OWNED_ANYWHERE: [&str; 4] = [".gitignore", ".gitattributes", ".gitmodules", ".mlxignore"];
/// The project's own files at the top of the work tree.
const OWNED_AT_TOP: [&str; 2] = ["mlx.toml", "mlx.lock"];

/// Refuse a path that mlx must never track or produce as data (a pointer's target, a stage
/// output): anything [`check_not_reserved`] refuses, the files git and mlx own (`mlx.toml`,
/// `mlx.lock`, `.gitignore`, pointers named `*.mlx`…), and names with a line break, which a
/// `.gitignore` line cannot hold.
pub fn check_data_path(path: &RelPath) -> Result<(), PathError> {
    use std::os::unix::ffi::OsStrExt;
    check_not_reserved(path)?;
    let bad = |what: &'static str| PathError::BadName { path: path.as_path().to_path_buf(), what };
    if path.as_bytes().iter().any(|b| matches!(b, b'\n' | b'\r')) {
        return Err(bad(
            "has a line break in its name, which a .gitignore line cannot hold; rename it",
        ));
    }
    let name = path.file_name();
    if name.as_bytes().ends_with(b".mlx") {
        return Err(bad("ends in .mlx, the name of mlx's pointer files"));
    }
    let lower = name.to_string_lossy().to_lowercase();
    if OWNED_ANYWHERE.contains(&lower.as_str()) {
        return Err(bad("is a file git or mlx read their settings from"));
    }
    if path.parent().is_none() && OWNED_AT_TOP.contains(&lower.as_str()) {
        return Err(bad("is one of the project's own files"));
    }
    Ok(())
}

impl WorkTree {
    /// The work tree at `root` (canonicalized here when it can be).
    pub fn new(root: &Path) -> Self {
        WorkTree { root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `rel` when mlx may create, replace or delete it: not reserved, and
    /// every existing folder above it resolves to a real folder inside the work tree (outside
    /// `.git` and `.mlx`). Folders that do not exist yet are fine: [`WorkTree::create_dir_all`]
    /// makes them through the same check.
    pub fn writable(&self, rel: &RelPath) -> Result<PathBuf, PathError> {
        check_not_reserved(rel)?;
        if let Some(parent) = rel.parent() {
            self.resolve_folder(&parent, false)?;
        }
        Ok(self.root.join(rel.as_path()))
    }

    /// Create the folder `rel` and any missing folders above it, one at a time, each through the
    /// checks of [`WorkTree::writable`]. A file or a symlink to a file in the way is an error
    /// (callers remove what they may replace first). Returns the folder's path.
    pub fn create_dir_all(&self, rel: &RelPath) -> Result<PathBuf, PathError> {
        check_not_reserved(rel)?;
        self.resolve_folder(rel, true)?;
        Ok(self.root.join(rel.as_path()))
    }

    /// Like [`WorkTree::writable`], but a final symlink is followed (to an existing file inside
    /// the work tree): the path to write so that a symlinked file keeps its link (`--set` on a
    /// params file that is a symlink edits the file it points to).
    pub fn writable_through_link(&self, rel: &RelPath) -> Result<PathBuf, PathError> {
        let abs = self.writable(rel)?;
        let is_link = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return Ok(abs);
        }
        let real = abs.canonicalize().map_err(|_| PathError::SymlinkEscapes {
            path: rel.as_path().to_path_buf(),
            target: std::fs::read_link(&abs).unwrap_or_default(),
        })?;
        let inside = self.inside(&real).ok_or_else(|| PathError::SymlinkEscapes {
            path: rel.as_path().to_path_buf(),
            target: real.clone(),
        })?;
        check_not_reserved(&inside)?;
        Ok(real)
    }

    /// The project-relative path of an absolute, resolved `real` path inside the root.
    fn inside(&self, real: &Path) -> Option<RelPath> {
        let rest = real.strip_prefix(&self.root).ok()?;
        RelPath::new(rest).ok()
    }

    /// Walk `folder` from the root: each existing component must be a folder or a symlink that
    /// resolves to a folder inside the work tree and outside the reserved folders. With
    /// `create`, missing folders are made; without, the walk stops at the first missing one.
    fn resolve_folder(&self, folder: &RelPath, create: bool) -> Result<(), PathError> {
        let mut real = self.root.clone();
        let mut shown = PathBuf::new();
        for c in folder.as_path().components() {
            let Component::Normal(name) = c else { continue };
            shown.push(name);
            let next = real.join(name);
            match std::fs::symlink_metadata(&next) {
                Ok(meta) if meta.is_dir() => real = next,
                Ok(meta) if meta.file_type().is_symlink() => {
                    let resolved = next.canonicalize().ok().filter(|r| r.is_dir());
                    let escapes =
                        |target: PathBuf| PathError::SymlinkEscapes { path: shown.clone(), target };
                    let Some(resolved) = resolved else {
                        let target = std::fs::read_link(&next).unwrap_or_default();
                        return Err(PathError::NotAFolder { path: shown, target: Some(target) });
                    };
                    let Some(inside) = self.inside(&resolved) else {
                        if resolved == self.root {
                            real = resolved;
                            continue;
                        }
                        return Err(escapes(resolved));
                    };
                    if let Some(owner) = reserved_owner(inside.as_path()) {
                        return Err(PathError::SymlinkIntoReserved {
                            path: shown,
                            folder: owner.folder(),
                        });
                    }
                    real = resolved;
                }
                Ok(_) => return Err(PathError::NotAFolder { path: shown, target: None }),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if !create {
                        return Ok(());
                    }
                    match std::fs::create_dir(&next) {
                        Ok(()) => real = next,
                        // Made meanwhile by another thread of this process: check it again.
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                            if !std::fs::symlink_metadata(&next).is_ok_and(|m| m.is_dir()) {
                                return Err(PathError::NotAFolder { path: shown, target: None });
                            }
                            real = next;
                        }
                        Err(e) => return Err(PathError::Io { path: shown, source: e }),
                    }
                }
                Err(e) => return Err(PathError::Io { path: shown, source: e }),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(p: &str) -> RelPath {
        RelPath::new(p).unwrap()
    }

    #[test]
    fn reserved_names_in_every_spelling() {
        for p in [
            ".git",
            ".git/hooks/pre-commit",
            "data/.git/config",
            ".GIT/hooks",
            ".Git",
            ".g\u{200c}it/hooks",
            "\u{feff}.git",
            ".git.",
            ".git ",
            ".git::$INDEX_ALLOCATION",
            "GIT~1/hooks",
            "a/git~1",
        ] {
            assert_eq!(reserved_owner(Path::new(p)), Some(Owner::Git), "{p:?}");
        }
        for p in [".mlx", ".mlx/config.local.toml", ".MLX/cache", "MLX~1"] {
            assert_eq!(reserved_owner(Path::new(p)), Some(Owner::Mlx), "{p:?}");
        }
        for p in [
            "data/.mlx",
            "git",
            ".gitignore",
            ".github/workflows/x.yml",
            ".gitx",
            "x.git",
            "data.mlx",
            ".mlxignore",
            "g~1",
            ".gіt", // Cyrillic і: a different name on every filesystem
        ] {
            assert_eq!(reserved_owner(Path::new(p)), None, "{p:?}");
        }
    }

    #[test]
    fn data_paths_never_name_what_git_or_mlx_own() {
        for p in [
            "mlx.toml",
            "mlx.lock",
            "data.mlx",
            "a/b/.gitignore",
            ".GITIGNORE",
            "d/.mlxignore",
            ".gitmodules",
            "line\nbreak.txt",
            ".git",
            ".mlx",
        ] {
            assert!(check_data_path(&rel(p)).is_err(), "{p:?}");
        }
        for p in ["data", "sub/mlx.toml", "model.pkl", "data/raw", "mlx.toml.bak"] {
            assert!(check_data_path(&rel(p)).is_ok(), "{p:?}");
        }
    }

    #[test]
    fn folders_resolve_inside_or_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("repo");
        let outside = base.join("outside");
        std::fs::create_dir_all(root.join(".git/hooks")).unwrap();
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("evil")).unwrap();
        std::os::unix::fs::symlink("../evil", root.join("real/x")).unwrap();
        std::os::unix::fs::symlink("real", root.join("inside")).unwrap();
        std::os::unix::fs::symlink(".git/hooks", root.join("hooks")).unwrap();
        std::fs::write(root.join("file"), "x").unwrap();
        let wt = WorkTree::new(&root);

        assert!(matches!(wt.writable(&rel("evil/a")), Err(PathError::SymlinkEscapes { .. })));
        assert!(matches!(
            wt.create_dir_all(&rel("real/x/.ssh")),
            Err(PathError::SymlinkEscapes { .. })
        ));
        assert!(!outside.join(".ssh").exists());
        assert!(matches!(
            wt.writable(&rel("hooks/pre-commit")),
            Err(PathError::SymlinkIntoReserved { .. })
        ));
        assert!(matches!(wt.writable(&rel(".git/x")), Err(PathError::Reserved { .. })));
        assert!(matches!(wt.writable(&rel("file/x")), Err(PathError::NotAFolder { .. })));
        // A symlink that stays inside is followed; the final component never is.
        assert_eq!(wt.writable(&rel("inside/a")).unwrap(), root.join("inside/a"));
        assert_eq!(wt.writable(&rel("evil")).unwrap(), root.join("evil"));
        wt.create_dir_all(&rel("inside/new/deeper")).unwrap();
        assert!(root.join("real/new/deeper").is_dir());
        assert!(wt.writable(&rel("missing/a/b")).is_ok());
    }

    #[test]
    fn a_link_to_a_file_is_followed_only_inside() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(root.join("conf")).unwrap();
        std::fs::write(root.join("conf/params.yaml"), "a: 1\n").unwrap();
        std::fs::write(base.join("secret"), "x").unwrap();
        std::os::unix::fs::symlink("conf/params.yaml", root.join("params.yaml")).unwrap();
        std::os::unix::fs::symlink("../secret", root.join("out.yaml")).unwrap();
        let wt = WorkTree::new(&root);
        assert_eq!(
            wt.writable_through_link(&rel("params.yaml")).unwrap(),
            root.join("conf/params.yaml")
        );
        assert!(matches!(
            wt.writable_through_link(&rel("out.yaml")),
            Err(PathError::SymlinkEscapes { .. })
        ));
    }
}
