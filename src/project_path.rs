//! `ProjectPath`: a checked path relative to the project root that can never point outside it.
//!
//! User input, pointer names and manifest entries all become `ProjectPath`s (or `RelPath`s below a
//! tracked directory) before anything is read or written. Construction rejects absolute paths,
//! `..` and, for paths given on the command line, symlinks that resolve outside the project.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Why a path was refused.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("path {path} is outside the project at {root}")]
    OutsideProject { path: PathBuf, root: PathBuf },
    #[error("path {path:?} is absolute; only paths relative to the project are allowed here")]
    Absolute { path: PathBuf },
    #[error("path {path:?} contains `..`, which could reach outside the project")]
    ParentDir { path: PathBuf },
    #[error("path {path:?} is empty or names the project root itself")]
    Empty { path: PathBuf },
    #[error("{path} is a symlink to {target}, which is outside the project")]
    SymlinkEscapes { path: PathBuf, target: PathBuf },
    #[error("refusing {path}: it is inside git's or mlx's own folder ({folder})")]
    Reserved { path: PathBuf, folder: &'static str },
    #[error(
        "refusing to write through {path}: it is a symlink into git's or mlx's own folder ({folder})"
    )]
    SymlinkIntoReserved { path: PathBuf, folder: &'static str },
    #[error("{path} is {}, not a folder", match target { Some(t) => format!("a symlink to {}", t.display()), None => "a file".to_owned() })]
    NotAFolder { path: PathBuf, target: Option<PathBuf> },
    #[error("{path:?} {what}")]
    BadName { path: PathBuf, what: &'static str },
    #[error("failed to check {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A normalized relative path with only normal components (no `.`, `..`, root or prefix).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(PathBuf);

impl RelPath {
    /// Validate a relative path from an untrusted source (a manifest, a pointer name).
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, PathError> {
        let path: PathBuf = path.into();
        if path.as_os_str().as_bytes().contains(&0) {
            return Err(PathError::BadName { path, what: "contains a NUL byte" });
        }
        let mut out = PathBuf::new();
        for c in path.components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::CurDir => {}
                Component::ParentDir => return Err(PathError::ParentDir { path }),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(PathError::Absolute { path });
                }
            }
        }
        if out.as_os_str().is_empty() {
            return Err(PathError::Empty { path });
        }
        Ok(RelPath(out))
    }

    /// From raw bytes with `/` separators (non-UTF-8 names are kept byte for byte).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PathError> {
        RelPath::new(PathBuf::from(OsStr::from_bytes(bytes)))
    }

    pub fn as_path(&self) -> &Path {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_os_str().as_bytes()
    }

    pub fn join(&self, other: &RelPath) -> RelPath {
        RelPath(self.0.join(&other.0))
    }

    pub fn parent(&self) -> Option<RelPath> {
        self.0.parent().filter(|p| !p.as_os_str().is_empty()).map(|p| RelPath(p.to_path_buf()))
    }

    pub fn file_name(&self) -> &OsStr {
        self.0.file_name().expect("a RelPath is never empty")
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &RelPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The part of `self` below `base`, if `self` lies strictly below it.
    pub fn strip_prefix(&self, base: &RelPath) -> Option<RelPath> {
        self.0
            .strip_prefix(&base.0)
            .ok()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| RelPath(p.to_path_buf()))
    }

    /// Lossy text for messages and tables.
    pub fn display(&self) -> std::path::Display<'_> {
        self.0.display()
    }

    /// The path as UTF-8 if it is valid UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        self.0.to_str()
    }
}

/// Serialized as text with `/` separators (lossy for names that are not UTF-8).
impl serde::Serialize for RelPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string_lossy())
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.display())
    }
}

/// A path relative to the project root, checked to stay inside it.
pub type ProjectPath = RelPath;

/// Lexically normalize an absolute path: drop `.`, resolve `..` against earlier components.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Resolve a path typed by the user (relative to `cwd`) into a `ProjectPath` under `root`.
///
/// `root` and `cwd` must be canonical. The existing part of the path is resolved through
/// symlinks, so `link-to-etc/passwd` is refused even though it looks relative.
pub fn resolve_user_path(root: &Path, cwd: &Path, input: &Path) -> Result<ProjectPath, PathError> {
    let absolute = normalize(&cwd.join(input));
    let outside =
        || PathError::OutsideProject { path: input.to_path_buf(), root: root.to_path_buf() };
    let rel = absolute.strip_prefix(root).map_err(|_| outside())?;
    let project_path = RelPath::new(rel).map_err(|e| match e {
        PathError::Empty { .. } => PathError::Empty { path: input.to_path_buf() },
        other => other,
    })?;
    // Resolve the parent folders through symlinks: they must stay inside the root.
    if let Some(parent) = absolute.parent()
        && let Ok(real) = parent.canonicalize()
        && !real.starts_with(root)
    {
        return Err(PathError::SymlinkEscapes { path: input.to_path_buf(), target: real });
    }
    Ok(project_path)
}

/// Check that a symlink at `link` (relative to the root) with `target` stays inside the project.
pub fn check_symlink_target(link: &RelPath, target: &Path) -> Result<(), PathError> {
    let escapes = || PathError::SymlinkEscapes {
        path: link.as_path().to_path_buf(),
        target: target.to_path_buf(),
    };
    if target.is_absolute() {
        return Err(escapes());
    }
    // Walk the target from the link's folder, never rising above the project root.
    let mut depth: usize = link.as_path().components().count() - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth = depth.checked_sub(1).ok_or_else(escapes)?,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(escapes()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relpath_rejects_escapes() {
        assert!(matches!(RelPath::new("../x"), Err(PathError::ParentDir { .. })));
        assert!(matches!(RelPath::new("a/../../x"), Err(PathError::ParentDir { .. })));
        assert!(matches!(RelPath::new("/etc/passwd"), Err(PathError::Absolute { .. })));
        assert!(matches!(RelPath::new("."), Err(PathError::Empty { .. })));
        assert_eq!(RelPath::new("./a/./b").unwrap().as_path(), Path::new("a/b"));
    }

    #[test]
    fn user_paths_resolve_against_cwd() {
        let root = Path::new("/repo");
        let p = resolve_user_path(root, Path::new("/repo/sub"), Path::new("../data")).unwrap();
        assert_eq!(p.as_path(), Path::new("data"));
        assert!(resolve_user_path(root, Path::new("/repo"), Path::new("../other")).is_err());
        assert!(resolve_user_path(root, Path::new("/repo"), Path::new("/tmp/x")).is_err());
    }

    #[test]
    fn symlink_targets_must_stay_inside() {
        let link = RelPath::new("data/sub/link").unwrap();
        assert!(check_symlink_target(&link, Path::new("../../README.md")).is_ok());
        assert!(check_symlink_target(&link, Path::new("../../../etc/passwd")).is_err());
        assert!(check_symlink_target(&link, Path::new("/etc/passwd")).is_err());
        assert!(check_symlink_target(&link, Path::new("x/../y")).is_ok());
    }
}
