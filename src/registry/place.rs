//! Writing data read from a registry to the folder the user names: copies of cache objects and
//! of git files, every path through a work tree's gate (the project's when the destination lies
//! in it, else the enclosing git work tree's, else one rooted at the destination's folder).

use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::error::Result;
use crate::fs_util;
use crate::git::fetch::{GitFile, GitTree};
use crate::project_path::{RelPath, check_symlink_target};
use crate::store::Cache;
use crate::store::manifest::{EntryKind, Manifest};
use crate::store::pointer::{Kind, Pointer};
use crate::work_tree::WorkTree;

/// Where data goes: a gate and the path below its root.
pub struct Destination {
    pub gate: WorkTree,
    pub rel: RelPath,
}

impl Destination {
    /// Where `name` goes for `-o out`: `out` itself, or `out/NAME` when `out` is a folder that
    /// exists (the data is put inside it, as `cp` would). `out` is relative to `cwd`.
    pub fn for_name(cwd: &Path, out: Option<&Path>, name: &Path) -> PathBuf {
        match out {
            Some(out) if cwd.join(out).is_dir() => out.join(name),
            Some(out) => out.to_path_buf(),
            None => name.to_path_buf(),
        }
    }

    /// `out` (relative to `cwd`): in `project_root`'s work tree when it lies there, else in the
    /// git work tree enclosing its folder, else below its own folder (made if missing).
    pub fn new(project_root: Option<&Path>, cwd: &Path, out: &Path) -> Result<Destination> {
        let abs = crate::project_path::normalize(&cwd.join(out));
        let parent = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
        let name = abs
            .file_name()
            .map(PathBuf::from)
            .ok_or_else(|| crate::project_path::PathError::Empty { path: out.to_path_buf() })?;
        // The folder above is resolved through symlinks: the gate checks the real place.
        let real_parent = match parent.canonicalize() {
            Ok(p) => p,
            Err(_) => {
                fs::create_dir_all(&parent)?;
                fs::canonicalize(&parent)?
            }
        };
        let abs = real_parent.join(&name);
        let root = project_root
            .filter(|r| abs.starts_with(r))
            .map(Path::to_path_buf)
            .or_else(|| crate::git::discover_workdir(&real_parent).ok())
            .filter(|r| abs.starts_with(r))
            .unwrap_or(real_parent);
        let rel = RelPath::new(abs.strip_prefix(&root).expect("root is above the path"))?;
        crate::work_tree::check_not_reserved(&rel)?;
        Ok(Destination { gate: WorkTree::new(&root), rel })
    }

    pub fn path(&self) -> PathBuf {
        self.gate.root().join(self.rel.as_path())
    }

    /// Whether something is at the destination.
    pub fn exists(&self) -> bool {
        std::fs::symlink_metadata(self.path()).is_ok()
    }

    /// Remove what is at the destination (for `--force`).
    pub fn clear(&self) -> Result<()> {
        let path = self.gate.writable(&self.rel)?;
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&path)?,
            Ok(_) => fs::remove_file(&path)?,
            Err(_) => {}
        }
        Ok(())
    }

    /// Copy the data `pointer` describes (all of it in `cache`) to `below` under the
    /// destination (the destination itself when `None`). Returns the files written.
    pub fn copy_data(
        &self,
        cache: &Cache,
        pointer: &Pointer,
        below: Option<&RelPath>,
    ) -> Result<u64> {
        let at = below.map_or_else(|| self.rel.clone(), |b| self.rel.join(b));
        match pointer.kind {
            Kind::File => {
                self.copy_object(cache, &pointer.hash, &at, false)?;
                Ok(1)
            }
            Kind::Directory => {
                let bytes = cache.read_verified(&pointer.hash)?;
                let manifest = Manifest::decode(pointer.hash, &bytes)?;
                self.gate.create_dir_all(&at)?;
                let mut files = 0;
                for e in manifest.entries() {
                    let path = at.join(&e.path);
                    match &e.kind {
                        EntryKind::File { hash, executable, .. } => {
                            self.copy_object(cache, hash, &path, *executable)?;
                            files += 1;
                        }
                        EntryKind::Symlink { target } => {
                            check_symlink_target(&e.path, target)?;
                            self.symlink(&path, target)?;
                        }
                        EntryKind::EmptyDir => {
                            self.gate.create_dir_all(&path)?;
                        }
                    }
                }
                Ok(files)
            }
        }
    }

    /// Write git's files (a file, or a folder's files) to the destination, leaving out the
    /// paths `skip` returns true for. Returns the files written.
    pub fn copy_git(&self, tree: &GitTree, skip: impl Fn(&RelPath) -> bool) -> Result<u64> {
        match tree {
            GitTree::File(f) => {
                self.git_file(&self.rel, &RelPath::new(self.rel.file_name())?, f)?;
                Ok(1)
            }
            GitTree::Dir(files) => {
                self.gate.create_dir_all(&self.rel)?;
                let mut n = 0;
                for (rel, f) in files {
                    if skip(rel) {
                        continue;
                    }
                    self.git_file(&self.rel.join(rel), rel, f)?;
                    n += 1;
                }
                Ok(n)
            }
        }
    }

    fn git_file(&self, path: &RelPath, inside: &RelPath, f: &GitFile) -> Result<()> {
        if f.symlink {
            use std::os::unix::ffi::OsStrExt;
            let target = Path::new(std::ffi::OsStr::from_bytes(&f.content));
            check_symlink_target(inside, target)?;
            return self.symlink(path, target);
        }
        self.make_parent(path)?;
        let dest = self.gate.writable(path)?;
        fs_util::write_atomic_with_mode(
            &dest,
            &f.content,
            if f.executable { 0o755 } else { 0o644 },
        )?;
        Ok(())
    }

    fn make_parent(&self, path: &RelPath) -> Result<()> {
        if let Some(parent) = path.parent() {
            self.gate.create_dir_all(&parent)?;
        }
        Ok(())
    }

    fn copy_object(
        &self,
        cache: &Cache,
        id: &crate::store::ObjectId,
        path: &RelPath,
        executable: bool,
    ) -> Result<()> {
        self.make_parent(path)?;
        let dest = self.gate.writable(path)?;
        let tmp = fs_util::temp_sibling(&dest);
        fs_util::copy_new(&cache.whole_path(id)?, &tmp, executable)?;
        if let Err(e) = fs::rename(&tmp, &dest) {
            let _ = fs_util::remove_file_if_exists(&tmp);
            return Err(e.into());
        }
        Ok(())
    }

    fn symlink(&self, path: &RelPath, target: &Path) -> Result<()> {
        self.make_parent(path)?;
        let dest = self.gate.writable(path)?;
        fs_util::remove_file_if_exists(&dest)?;
        fs::os::unix::fs::symlink(target, &dest)?;
        Ok(())
    }
}
