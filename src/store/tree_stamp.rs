//! Tree stamps: one digest of the names, kinds, sizes, mtimes, inodes and execute bits of
//! everything under a tracked directory, taken by a parallel walk that reads no file and no
//! stat cache. A record (`.mlx/tree-stamps/<key>`) remembers that the tree with that digest
//! listed exactly a given manifest, and the shard folders' mtimes at a moment when the cache held
//! every object of that manifest. While the digest and the shard mtimes are unchanged, the
//! directory is unchanged and complete without a look at any file's hash or any object: a
//! no-op `mlx status` of a million files stats each file once and reads nothing else.
//!
//! What keeps it right: an edit in place changes the file's mtime, size or inode (the same test
//! the stat cache makes); a file added, removed or renamed changes a listing; a cache object
//! removed (gc, quarantine, by hand) changes its shard folder's mtime. A tree holding a
//! `.mlxignore` (or below a folder holding one) is not stamped: the full comparison handles it.
//! Files modified within the clock's granularity of the walk make no record (racy, as in git).

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use super::ObjectId;
use super::workspace::IGNORE_FILE;
use crate::fs_util::{self, FileStamp};

/// The digest of a walked tree, and whether any entry was modified too recently to trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeStamp {
    digest: [u8; 32],
    racy: bool,
}

/// What a record says: the tree with `digest` listed `manifest` (`files` files, `size` bytes),
/// and the cache held all of its objects when its shard folders had `shards` as mtimes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub digest: [u8; 32],
    pub manifest: ObjectId,
    pub files: u64,
    pub size: u64,
    pub shards: Vec<i64>,
}

/// Walk `dir` and return its stamp; `None` when a `.mlxignore` applies to it or the walk meets
/// something the full comparison must explain (an unreadable folder, a socket...).
pub fn take(dir: &Path, root: &Path) -> Option<TreeStamp> {
    // `.mlxignore` files above the tree apply to it too (the walk reads every parent's).
    let mut up = dir.parent();
    while let Some(d) = up {
        if std::fs::symlink_metadata(d.join(IGNORE_FILE)).is_ok() {
            return None;
        }
        if d == root {
            break;
        }
        up = d.parent();
    }
    let started = SystemTime::now();
    let walked = walk(dir).ok()??;
    let newest = FileStamp { size: 0, mtime_ns: walked.newest, inode: 0 };
    Some(TreeStamp { digest: walked.digest, racy: newest.is_racy(started) })
}

struct Walked {
    digest: [u8; 32],
    newest: i64,
}

/// One folder: its entries sorted by name, each with its kind and stat fields; sub-folders by
/// their own digest (walked in parallel). `Ok(None)` when a `.mlxignore` is found.
fn walk(dir: &Path) -> io::Result<Option<Walked>> {
    let mut files: Vec<(Vec<u8>, u8, std::fs::Metadata)> = Vec::new();
    let mut dirs: Vec<(Vec<u8>, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" || fs_util::is_temp_name(&name) {
            continue;
        }
        if name == IGNORE_FILE {
            return Ok(None);
        }
        let ft = entry.file_type()?;
        if ft.is_dir() {
            dirs.push((name.into_encoded_bytes(), entry.path()));
            continue;
        }
        let kind = if ft.is_file() {
            b'f'
        } else if ft.is_symlink() {
            b'l'
        } else {
            return Ok(None);
        };
        // Relative to the open folder: no path lookup from the root per file.
        let meta = entry.metadata()?;
        files.push((name.into_encoded_bytes(), kind, meta));
    }
    let subs =
        dirs.par_iter().map(|(_, path)| walk(path)).collect::<io::Result<Option<Vec<Walked>>>>()?;
    let Some(subs) = subs else { return Ok(None) };
    let mut entries: Vec<(&[u8], Entry)> = files
        .iter()
        .map(|(name, kind, meta)| (name.as_slice(), Entry::Leaf(*kind, meta)))
        .chain(dirs.iter().zip(&subs).map(|((name, _), w)| (name.as_slice(), Entry::Dir(w))))
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut h = blake3::Hasher::new();
    let mut newest = i64::MIN;
    for (name, entry) in &entries {
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name);
        match entry {
            Entry::Leaf(kind, meta) => {
                let stamp = FileStamp::of(meta);
                newest = newest.max(stamp.mtime_ns);
                h.update(&[*kind, u8::from(fs_util::is_executable(meta))]);
                h.update(&stamp.size.to_le_bytes());
                h.update(&stamp.mtime_ns.to_le_bytes());
                h.update(&stamp.inode.to_le_bytes());
                h.update(&meta.dev().to_le_bytes());
            }
            Entry::Dir(w) => {
                newest = newest.max(w.newest);
                h.update(b"d");
                h.update(&w.digest);
            }
        }
    }
    Ok(Some(Walked { digest: *h.finalize().as_bytes(), newest }))
}

enum Entry<'a> {
    Leaf(u8, &'a std::fs::Metadata),
    Dir(&'a Walked),
}

/// The mtimes of the cache's 256 shard folders (0 for one that does not exist).
pub fn shard_stamps(cache_dir: &Path) -> Vec<i64> {
    (0..=255u8)
        .into_par_iter()
        .map(|s| {
            std::fs::symlink_metadata(cache_dir.join(format!("{s:02x}")))
                .map_or(0, |m| FileStamp::of(&m).mtime_ns)
        })
        .collect()
}

/// Where the record of the tree at `dir` (absolute) lives.
fn record_path(mlx_dir: &Path, dir: &Path) -> PathBuf {
    let key = blake3::hash(dir.as_os_str().as_encoded_bytes());
    mlx_dir.join("tree-stamps").join(&key.to_hex()[..32])
}

const MAGIC: &str = "mlx tree stamp 1";

/// The record of the tree at `dir`, if one was kept and can be read.
pub fn load(mlx_dir: &Path, dir: &Path) -> Option<Record> {
    let text = std::fs::read_to_string(record_path(mlx_dir, dir)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != MAGIC || lines.next()? != dir.to_str()? {
        return None;
    }
    let digest: [u8; 32] = blake3::Hash::from_hex(lines.next()?).ok()?.into();
    let manifest = ObjectId::from_hex(lines.next()?).ok()?;
    let mut totals = lines.next()?.split(' ');
    let files = totals.next()?.parse().ok()?;
    let size = totals.next()?.parse().ok()?;
    let shards = lines.next()?.split(' ').map(str::parse).collect::<Result<Vec<i64>, _>>().ok()?;
    (shards.len() == 256).then_some(Record { digest, manifest, files, size, shards })
}

/// Keep a record for the tree at `dir`; a racy stamp keeps none (and removes an older one).
pub fn save(
    mlx_dir: &Path,
    dir: &Path,
    stamp: TreeStamp,
    manifest: ObjectId,
    totals: (u64, u64),
    shards: &[i64],
) -> io::Result<()> {
    let path = record_path(mlx_dir, dir);
    let Some(dir_text) = dir.to_str().filter(|_| !stamp.racy) else {
        return fs_util::remove_file_if_exists(&path);
    };
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    let shards: Vec<String> = shards.iter().map(ToString::to_string).collect();
    let text = format!(
        "{MAGIC}\n{dir_text}\n{}\n{}\n{} {}\n{}\n",
        blake3::Hash::from(stamp.digest).to_hex(),
        manifest.to_hex(),
        totals.0,
        totals.1,
        shards.join(" ")
    );
    fs_util::write_atomic(&path, text.as_bytes())
}

/// Whether `record` proves the tree stamped `stamp` is the manifest `manifest` with these
/// totals, every object of it in a cache whose shard folders have `shards` as mtimes.
pub fn proves(
    record: &Record,
    stamp: &TreeStamp,
    manifest: ObjectId,
    totals: (u64, u64),
    shards: &[i64],
) -> bool {
    !stamp.racy
        && record.digest == stamp.digest
        && record.manifest == manifest
        && (record.files, record.size) == totals
        && record.shards == shards
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(dir: &Path) -> [u8; 32] {
        walk(dir).unwrap().unwrap().digest
    }

    #[test]
    fn an_edit_in_place_with_the_same_size_changes_the_stamp() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("a/b");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("x"), b"1234").unwrap();
        std::fs::write(tmp.path().join("y"), b"5678").unwrap();
        let before = stamp(tmp.path());
        assert_eq!(before, stamp(tmp.path()));
        let f = std::fs::OpenOptions::new().write(true).open(d.join("x")).unwrap();
        let t = std::fs::metadata(d.join("x")).unwrap().modified().unwrap();
        f.set_modified(t + std::time::Duration::from_nanos(1)).unwrap();
        assert_ne!(before, stamp(tmp.path()));
    }

    #[test]
    fn an_empty_folder_and_a_new_name_change_the_stamp() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("x"), b"1").unwrap();
        let before = stamp(tmp.path());
        std::fs::create_dir(tmp.path().join("e")).unwrap();
        let with_dir = stamp(tmp.path());
        assert_ne!(before, with_dir);
        std::fs::rename(tmp.path().join("x"), tmp.path().join("z")).unwrap();
        assert_ne!(with_dir, stamp(tmp.path()));
    }

    #[test]
    fn an_ignore_file_anywhere_gives_no_stamp() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        std::fs::write(tmp.path().join("a/b").join(IGNORE_FILE), b"*.tmp\n").unwrap();
        assert!(walk(tmp.path()).unwrap().is_none());
    }

    #[test]
    fn records_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        let s = TreeStamp { digest: [7; 32], racy: false };
        let id = super::super::hash_bytes(b"m");
        let shards: Vec<i64> = (0..256).collect();
        save(tmp.path(), &dir, s, id, (3, 12), &shards).unwrap();
        let r = load(tmp.path(), &dir).unwrap();
        assert!(proves(&r, &s, id, (3, 12), &shards));
        let mut other = shards.clone();
        other[9] += 1;
        assert!(!proves(&r, &s, id, (3, 12), &other));
        assert!(!proves(&r, &s, id, (3, 13), &shards));
        save(tmp.path(), &dir, TreeStamp { racy: true, ..s }, id, (3, 12), &shards).unwrap();
        assert!(load(tmp.path(), &dir).is_none());
    }
}
