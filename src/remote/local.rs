//! A remote in a local or network-mounted folder, with the cache's layout. Written natively
//! (not through the storage library): copies use `copy_file_range`, and an object appears under
//! its name only by a rename, so a reader never sees half of it.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use fs_err as fs;

use crate::fs_util;
use crate::store::{Cache, ObjectId, Staged};

/// Whether a folder remote at `path` (relative to the project root `root`, or absolute) lies in
/// the project's work tree, the root included. `..` is resolved, and so are symlinks in the part
/// of the path that exists. Such a remote is refused: its objects would show as untracked files
/// in `git status`, could be committed with `git add -A`, and go with the work tree.
pub fn inside_work_tree(root: &Path, path: &Path) -> bool {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut resolved = PathBuf::new();
    for c in root.join(path).components() {
        match c {
            std::path::Component::ParentDir => {
                resolved.pop();
            }
            std::path::Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    // The deepest part that exists, with its symlinks resolved, then the rest as written.
    let mut existing = resolved.as_path();
    let mut rest = Vec::new();
    let canonical = loop {
        if let Ok(c) = existing.canonicalize() {
            break c;
        }
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            break existing.to_path_buf();
        };
        rest.push(name);
        existing = parent;
    };
    let full: PathBuf = rest.iter().rev().fold(canonical, |p, name| p.join(name));
    full.starts_with(&root)
}

pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: PathBuf) -> Self {
        LocalDir { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn exists(&self) -> bool {
        self.root.is_dir()
    }

    pub fn object_path(&self, id: &ObjectId) -> PathBuf {
        self.root.join(id.rel_path())
    }

    /// Every object with its size: one directory read per shard.
    pub fn list_objects(&self) -> io::Result<HashMap<ObjectId, u64>> {
        let mut out = HashMap::new();
        for shard in 0..=255u8 {
            self.list_shard(shard, &mut out)?;
        }
        Ok(out)
    }

    fn list_shard(&self, shard: u8, out: &mut HashMap<ObjectId, u64>) -> io::Result<()> {
        let prefix = format!("{shard:02x}");
        let entries = match std::fs::read_dir(self.root.join(&prefix)) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Some(rest) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if let Ok(id) = ObjectId::from_hex(&format!("{prefix}{rest}")) {
                out.insert(id, entry.metadata()?.len());
            }
        }
        Ok(())
    }

    /// Which of `wanted` exist, with their sizes.
    pub fn present(&self, wanted: &[ObjectId]) -> io::Result<HashMap<ObjectId, u64>> {
        let mut out = HashMap::new();
        if wanted.len() < 256 {
            for id in wanted {
                match std::fs::metadata(self.object_path(id)) {
                    Ok(m) => {
                        out.insert(*id, m.len());
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(out);
        }
        let mut shards: Vec<u8> = wanted.iter().map(|id| id.as_bytes()[0]).collect();
        shards.sort_unstable();
        shards.dedup();
        for shard in shards {
            self.list_shard(shard, &mut out)?;
        }
        let wanted: std::collections::HashSet<&ObjectId> = wanted.iter().collect();
        out.retain(|id, _| wanted.contains(id));
        Ok(out)
    }

    /// Copy a cache object in: to a temp name in its shard folder, then renamed. Durability of
    /// a batch comes from [`LocalDir::sync`] at its end.
    pub fn upload(&self, id: &ObjectId, src: &Path) -> io::Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dest = self.object_path(id);
        let shard = dest.parent().unwrap_or(&self.root);
        fs::create_dir_all(shard)?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = shard.join(format!(".tmp-{}-{n}", std::process::id()));
        if let Err(e) = fs_util::copy_new_with_mode(src, &tmp, 0o444) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        fs::rename(&tmp, &dest).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    /// Copy an object into the cache's staging area; the staged copy is hashed, so a damaged
    /// remote object is caught here (the caller compares the ids).
    pub fn download(&self, id: &ObjectId, cache: &Cache) -> io::Result<Staged> {
        cache.stage_copy(&self.object_path(id))
    }

    pub fn delete(&self, id: &ObjectId) -> io::Result<()> {
        fs_util::remove_file_if_exists(&self.object_path(id))
    }

    /// Files under `dir` (relative, '/'-separated names), recursively.
    pub fn list_names(&self, dir: &str) -> io::Result<Vec<String>> {
        let base = self.root.join(dir);
        let mut out = Vec::new();
        if !base.is_dir() {
            return Ok(out);
        }
        for entry in walkdir::WalkDir::new(&base) {
            let entry = entry.map_err(io::Error::other)?;
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&self.root) else { continue };
            let Some(name) = rel.to_str() else { continue };
            if !name.rsplit('/').next().is_some_and(|n| n.starts_with('.')) {
                out.push(name.to_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    pub fn put_named(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.root.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs_util::write_atomic(&path, bytes)
    }

    pub fn delete_named(&self, name: &str) -> io::Result<()> {
        fs_util::remove_file_if_exists(&self.root.join(name))
    }

    pub fn get_named(&self, name: &str) -> io::Result<Vec<u8>> {
        fs::read(self.root.join(name))
    }

    /// Delete temp files that interrupted uploads left in shard folders more than a day ago
    /// (another machine sharing the folder may be writing the recent ones). Returns how many.
    pub fn clean_stale_temp(&self) -> io::Result<u64> {
        let day = std::time::Duration::from_secs(24 * 3600);
        let mut removed = 0;
        for shard in 0..=255u8 {
            let Ok(entries) = std::fs::read_dir(self.root.join(format!("{shard:02x}"))) else {
                continue;
            };
            for entry in entries.flatten() {
                let stale = entry.file_name().to_string_lossy().starts_with(".tmp-")
                    && entry.metadata()?.modified()?.elapsed().is_ok_and(|age| age > day);
                if stale {
                    fs_util::remove_file_if_exists(&entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Make what this process wrote durable: one `syncfs` of the remote's filesystem.
    pub fn sync(&self) -> io::Result<()> {
        rustix::fs::syncfs(fs::File::open(&self.root)?.file())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_in_the_work_tree_are_told_from_folders_outside() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(base.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(base.join("elsewhere"), root.join("out-link")).unwrap();
        std::os::unix::fs::symlink(root.join("sub"), base.join("in-link")).unwrap();
        for inside in ["s3", "sub/store", ".", "./x/../y", ".mlx/remote"] {
            assert!(inside_work_tree(&root, Path::new(inside)), "{inside}");
        }
        assert!(inside_work_tree(&root, &root.join("new/store")));
        assert!(inside_work_tree(&root, &base.join("in-link/store")), "a symlink into the project");
        for outside in ["../shared-cache", "../repo-store", "out-link/store", "/mnt/x"] {
            assert!(!inside_work_tree(&root, Path::new(outside)), "{outside}");
        }
    }
}
