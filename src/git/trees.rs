//! Reading commits file by file, for `mlx exp apply` and `mlx exp branch`: what changed between
//! two commits, one path's entry in a commit or in the work tree, blobs, and the branches and
//! refs that keep commits alive. Nothing here writes the work tree or the index.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;

use super::{Error, Repo};
use crate::project_path::RelPath;

/// What a tree entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    File,
    Executable,
    Symlink,
    /// A submodule's commit (mode 160000).
    Submodule,
}

impl Mode {
    fn of(filemode: i32) -> Option<Mode> {
        match filemode {
            0o100_644 | 0o100_664 => Some(Mode::File),
            0o100_755 => Some(Mode::Executable),
            0o120_000 => Some(Mode::Symlink),
            0o160_000 => Some(Mode::Submodule),
            _ => None,
        }
    }
}

/// A file (or link, or submodule) as git stores it: its blob and mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub blob: git2::Oid,
    pub mode: Mode,
}

/// One path that differs between two commits: `None` where a side lacks it.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: RelPath,
    pub old: Option<Entry>,
    pub new: Option<Entry>,
}

/// What the work tree has at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkEntry {
    Absent,
    /// A folder (git would see the files in it, not the folder).
    Folder,
    Entry(Entry),
}

impl Repo {
    fn commit_of(&self, sha: &str) -> Result<git2::Commit<'_>, Error> {
        let oid = git2::Oid::from_str(sha)
            .map_err(|_| Error::UnknownRevision { spec: sha.to_owned() })?;
        self.inner.find_commit(oid).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => Error::UnknownRevision { spec: sha.to_owned() },
            _ => Error::Git(e),
        })
    }

    /// Whether the repository has the commit `sha`.
    pub fn has_commit(&self, sha: &str) -> bool {
        self.commit_of(sha).is_ok()
    }

    /// The URL of the remote `origin`, else of the only remote, without the user and password
    /// of an `https://user:password@host/…` URL; `None` when there is no such remote.
    pub fn remote_url(&self) -> Option<String> {
        let names = self.inner.remotes().ok()?;
        let names: Vec<&str> = names.iter().flatten().flatten().collect();
        let name = match names.as_slice() {
            n if n.contains(&"origin") => "origin",
            [only] => only,
            _ => return None,
        };
        let url = self.inner.find_remote(name).ok()?.url().ok()?.to_owned();
        Some(match url.find("://") {
            Some(i) => {
                let rest = &url[i + 3..];
                let authority = rest.split('/').next().unwrap_or_default();
                match authority.rfind('@') {
                    Some(at) => format!("{}{}", &url[..i + 3], &rest[at + 1..]),
                    None => url,
                }
            }
            None => url,
        })
    }

    /// HEAD's commit, `None` before the first commit.
    pub fn head_commit(&self) -> Option<String> {
        let head = self.inner.head().ok()?;
        Some(head.peel_to_commit().ok()?.id().to_string())
    }

    /// Every path whose entry differs between the commits `from` and `to`, sorted by path. A
    /// path whose name git could not have written (not a relative path) is an error.
    pub fn changes_between(&self, from: &str, to: &str) -> Result<Vec<Change>, Error> {
        let old = self.commit_of(from)?.tree()?;
        let new = self.commit_of(to)?.tree()?;
        let diff = self.inner.diff_tree_to_tree(Some(&old), Some(&new), None)?;
        let mut out: Vec<Change> = Vec::new();
        for delta in diff.deltas() {
            let side = |f: git2::DiffFile<'_>| {
                if f.id().is_zero() {
                    return Ok(None);
                }
                let mode = Mode::of(i32::from(f.mode())).ok_or_else(|| {
                    Error::Git(git2::Error::from_str(&format!(
                        "unsupported entry mode {:o}",
                        i32::from(f.mode())
                    )))
                })?;
                Ok::<_, Error>(Some(Entry { blob: f.id(), mode }))
            };
            let file = delta.new_file().path_bytes().or_else(|| delta.old_file().path_bytes());
            let Some(bytes) = file else { continue };
            let path = RelPath::from_bytes(bytes).map_err(|e| {
                Error::Git(git2::Error::from_str(&format!("a path in commit {to}: {e}")))
            })?;
            let (o, n) = (side(delta.old_file())?, side(delta.new_file())?);
            // A type change comes as a deletion and an addition of the same path: one change.
            match out.iter_mut().find(|c| c.path == path) {
                Some(c) => {
                    c.old = c.old.take().or(o);
                    c.new = c.new.take().or(n);
                }
                None => out.push(Change { path, old: o, new: n }),
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The entry at `path` in commit `sha` (`None` when it has none there, or a folder).
    pub fn entry_in(&self, sha: &str, path: &RelPath) -> Result<Option<Entry>, Error> {
        let tree = self.commit_of(sha)?.tree()?;
        let entry = match tree.get_path(path.as_path()) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Mode::of(entry.filemode()).map(|mode| Entry { blob: entry.id(), mode }))
    }

    /// A blob's bytes.
    pub fn blob(&self, id: git2::Oid) -> Result<Vec<u8>, Error> {
        Ok(self.inner.find_blob(id)?.content().to_vec())
    }

    /// Whether git's object store has the blob `id` (a file's content recorded in some commit,
    /// or added and never committed).
    pub fn has_blob(&self, id: git2::Oid) -> bool {
        self.inner.odb().is_ok_and(|odb| odb.exists(id))
    }

    /// The commit the local branch `name` points at, if there is such a branch.
    pub fn branch_commit(&self, name: &str) -> Option<String> {
        let branch = self.inner.find_branch(name, git2::BranchType::Local).ok()?;
        Some(branch.get().peel_to_commit().ok()?.id().to_string())
    }

    /// Create the local branch `name` at commit `sha` (an existing one is an error). HEAD, the
    /// index and the work tree are left alone.
    pub fn create_branch(&self, name: &str, sha: &str) -> Result<(), Error> {
        let commit = self.commit_of(sha)?;
        self.inner.branch(name, &commit, false)?;
        Ok(())
    }

    /// Point the ref `name` at `sha` (created or moved), so git keeps the commit.
    pub fn set_ref(&self, name: &str, sha: &str, message: &str) -> Result<(), Error> {
        let oid = git2::Oid::from_str(sha)?;
        self.inner.reference(name, oid, true, message)?;
        Ok(())
    }

    /// The names of the refs that start with `prefix` (`refs/mlx/exps/`).
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for r in self.inner.references_glob(&format!("{prefix}*"))? {
            if let Ok(name) = r?.name() {
                out.push(name.to_owned());
            }
        }
        Ok(out)
    }

    /// Delete the ref `name`; one that does not exist is fine.
    pub fn delete_ref(&self, name: &str) -> Result<(), Error> {
        match self.inner.find_reference(name) {
            Ok(mut r) => Ok(r.delete()?),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Whether `name` can name a branch (`git check-ref-format --branch` rules, and no leading
/// `-`, which git's own commands would take for an option).
pub fn is_valid_branch_name(name: &str) -> bool {
    !name.starts_with('-') && git2::Branch::name_is_valid(name).unwrap_or(false)
}

/// What the work tree at `root` has at `path`, hashed as git would store it (no filters). The
/// path itself is not followed: a symlink is a link.
pub fn work_entry(root: &Path, path: &RelPath) -> std::io::Result<WorkEntry> {
    let abs = root.join(path.as_path());
    let meta = match std::fs::symlink_metadata(&abs) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(WorkEntry::Absent),
        // A file in the way of a folder above it: nothing is at the path itself.
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(WorkEntry::Absent),
        Err(e) => return Err(e),
    };
    let hash = |bytes: &[u8]| {
        git2::Oid::hash_object(git2::ObjectType::Blob, bytes).map_err(std::io::Error::other)
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&abs)?;
        let blob = hash(target.as_os_str().as_bytes())?;
        return Ok(WorkEntry::Entry(Entry { blob, mode: Mode::Symlink }));
    }
    if meta.is_dir() {
        return Ok(WorkEntry::Folder);
    }
    let blob = git2::Oid::hash_file(git2::ObjectType::Blob, &abs).map_err(std::io::Error::other)?;
    let mode = if meta.permissions().mode() & 0o111 != 0 { Mode::Executable } else { Mode::File };
    Ok(WorkEntry::Entry(Entry { blob, mode }))
}
