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
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use super::ObjectId;
use super::workspace::IGNORE_FILE;
use crate::fs_util::{self, FileStamp};
use crate::watch::Token;

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
    /// The watcher's token taken before the walk that gave `digest` (see [`crate::watch`]):
    /// while the watcher says nothing changed since, the tree still has this digest.
    pub watch: Option<Token>,
}

/// Walk `dir` and return its stamp; `None` when a `.mlxignore` applies to it or the walk meets
/// something the full comparison must explain (an unreadable folder, a socket...).
pub fn take(dir: &Path, root: &Path) -> Option<TreeStamp> {
    if ignored_above(dir, root) {
        return None;
    }
    let started = SystemTime::now();
    let walked = walk(dir).ok()??;
    let newest = FileStamp { size: 0, mtime_ns: walked.newest, inode: 0 };
    Some(TreeStamp { digest: walked.digest, racy: newest.is_racy(started) })
}

/// Whether a `.mlxignore` in a folder above `dir` (up to the work tree's `root`) applies to it:
/// such a tree is never stamped (the walk reads every parent's).
pub fn ignored_above(dir: &Path, root: &Path) -> bool {
    let mut up = dir.parent();
    while let Some(d) = up {
        if std::fs::symlink_metadata(d.join(IGNORE_FILE)).is_ok() {
            return true;
        }
        if d == root {
            break;
        }
        up = d.parent();
    }
    false
}

struct Walked {
    digest: [u8; 32],
    newest: i64,
}

/// The stat fields of a file or symlink that go into the digest.
struct Leaf {
    kind: u8,
    executable: bool,
    size: u64,
    mtime_ns: i64,
    inode: u64,
    dev: u64,
}

/// Threads for the walk: more than cores, since a `statx` of an inode not in memory waits for
/// the disk and the others can go on meanwhile.
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        rayon::ThreadPoolBuilder::new()
            .num_threads((cores * 4).clamp(8, 32))
            .thread_name(|i| format!("mlx-walk-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Walk the tree at `dir` (see [`walk_at`]).
fn walk(dir: &Path) -> io::Result<Option<Walked>> {
    use rustix::fs::{Mode, OFlags};
    let fd =
        rustix::fs::open(dir, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
    match pool() {
        Some(pool) => pool.install(|| walk_at(&fd)),
        None => walk_at(&fd),
    }
}

/// One open folder: its entries sorted by name, each with its kind and stat fields; sub-folders
/// by their own digest (walked in parallel, each opened relative to this one). Names are read
/// with `getdents64` into one buffer and every file is `statx`-ed relative to the folder: no
/// path is looked up from the root and nothing is allocated per entry. `Ok(None)` when a
/// `.mlxignore` is found or an entry is neither a file, a symlink nor a folder.
fn walk_at(fd: &OwnedFd) -> io::Result<Option<Walked>> {
    use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir, StatxFlags};
    let mask = StatxFlags::TYPE
        | StatxFlags::MODE
        | StatxFlags::INO
        | StatxFlags::SIZE
        | StatxFlags::MTIME;
    // Names, each followed by a NUL (sub-folders are opened by them); entries point into it.
    let mut names: Vec<u8> = Vec::with_capacity(32 * 1024);
    let mut leaves: Vec<(usize, usize, Leaf)> = Vec::new();
    let mut dirs: Vec<(usize, usize)> = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut entries = RawDir::new(fd, buf.spare_capacity_mut());
    while let Some(entry) = entries.next() {
        let entry = entry?;
        let cname = entry.file_name();
        let name = cname.to_bytes();
        if name == b"." || name == b".." || name == b".git" {
            continue;
        }
        if fs_util::is_temp_name(std::ffi::OsStr::from_bytes(name)) {
            continue;
        }
        if name == IGNORE_FILE.as_bytes() {
            return Ok(None);
        }
        let mut file_type = entry.file_type();
        let mut leaf = None;
        if file_type != FileType::Directory {
            let st = rustix::fs::statx(fd, cname, AtFlags::SYMLINK_NOFOLLOW, mask)?;
            let mode = u32::from(st.stx_mode);
            file_type = FileType::from_raw_mode(mode);
            leaf = Some(Leaf {
                kind: match file_type {
                    FileType::RegularFile => b'f',
                    FileType::Symlink => b'l',
                    FileType::Directory => b'd',
                    _ => return Ok(None),
                },
                executable: mode & 0o111 != 0,
                size: st.stx_size,
                mtime_ns: st.stx_mtime.tv_sec.saturating_mul(1_000_000_000)
                    + i64::from(st.stx_mtime.tv_nsec),
                inode: st.stx_ino,
                dev: rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor),
            });
        }
        let at = names.len();
        names.extend_from_slice(cname.to_bytes_with_nul());
        match leaf {
            Some(leaf) if leaf.kind != b'd' => leaves.push((at, name.len(), leaf)),
            _ => dirs.push((at, name.len())),
        }
    }
    drop(buf);
    let subs = dirs
        .par_iter()
        .map(|&(at, len)| {
            let name = std::ffi::CStr::from_bytes_with_nul(&names[at..=at + len])
                .expect("one NUL, at the end");
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let sub = rustix::fs::openat(fd, name, flags, Mode::empty())?;
            walk_at(&sub)
        })
        .collect::<io::Result<Option<Vec<Walked>>>>()?;
    let Some(subs) = subs else { return Ok(None) };
    let name_of = |at: usize, len: usize| &names[at..at + len];
    let mut sorted: Vec<(&[u8], Entry)> = leaves
        .iter()
        .map(|(at, len, leaf)| (name_of(*at, *len), Entry::Leaf(leaf)))
        .chain(dirs.iter().zip(&subs).map(|(&(at, len), w)| (name_of(at, len), Entry::Dir(w))))
        .collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    // The bytes hashed: per entry its name's length and name, then its kind, execute bit and
    // stat fields, or `d` and the sub-folder's digest.
    let mut bytes = Vec::with_capacity(sorted.len() * 64 + names.len());
    let mut newest = i64::MIN;
    for (name, entry) in &sorted {
        bytes.extend_from_slice(&(name.len() as u64).to_le_bytes());
        bytes.extend_from_slice(name);
        match entry {
            Entry::Leaf(leaf) => {
                newest = newest.max(leaf.mtime_ns);
                bytes.extend_from_slice(&[leaf.kind, u8::from(leaf.executable)]);
                bytes.extend_from_slice(&leaf.size.to_le_bytes());
                bytes.extend_from_slice(&leaf.mtime_ns.to_le_bytes());
                bytes.extend_from_slice(&leaf.inode.to_le_bytes());
                bytes.extend_from_slice(&leaf.dev.to_le_bytes());
            }
            Entry::Dir(w) => {
                newest = newest.max(w.newest);
                bytes.push(b'd');
                bytes.extend_from_slice(&w.digest);
            }
        }
    }
    Ok(Some(Walked { digest: *blake3::hash(&bytes).as_bytes(), newest }))
}

enum Entry<'a> {
    Leaf(&'a Leaf),
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
    let watch = lines.next().and_then(|l| Token::from_word(l.strip_prefix("watch ")?));
    (shards.len() == 256).then_some(Record { digest, manifest, files, size, shards, watch })
}

/// Keep a record for the tree at `dir`, with the watcher's token taken before the walk that
/// gave `stamp` if one answered; a racy stamp keeps none (and removes an older one).
pub fn save(
    mlx_dir: &Path,
    dir: &Path,
    stamp: TreeStamp,
    manifest: ObjectId,
    totals: (u64, u64),
    shards: &[i64],
    watch: Option<&Token>,
) -> io::Result<()> {
    let path = record_path(mlx_dir, dir);
    let Some(dir_text) = dir.to_str().filter(|_| !stamp.racy) else {
        return fs_util::remove_file_if_exists(&path);
    };
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    let shards: Vec<String> = shards.iter().map(ToString::to_string).collect();
    let mut text = format!(
        "{MAGIC}\n{dir_text}\n{}\n{}\n{} {}\n{}\n",
        blake3::Hash::from(stamp.digest).to_hex(),
        manifest.to_hex(),
        totals.0,
        totals.1,
        shards.join(" ")
    );
    if let Some(token) = watch {
        text.push_str(&format!("watch {}\n", token.to_word()));
    }
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
    !stamp.racy && record.digest == stamp.digest && still_holds(record, manifest, totals, shards)
}

/// Whether `record` proves a tree with its digest is the manifest `manifest` with these totals,
/// every object of it in a cache whose shard folders have `shards` as mtimes: what [`proves`]
/// asks once the tree is known to have the record's digest (the watcher saw no change).
pub fn still_holds(
    record: &Record,
    manifest: ObjectId,
    totals: (u64, u64),
    shards: &[i64],
) -> bool {
    record.manifest == manifest && (record.files, record.size) == totals && record.shards == shards
}

/// The record at `dir` made to carry the watcher's `token` (taken before a walk that found the
/// record's digest), so that the next question can spare the walk.
pub fn renew(mlx_dir: &Path, dir: &Path, record: &Record, token: &Token) -> io::Result<()> {
    let stamp = TreeStamp { digest: record.digest, racy: false };
    let totals = (record.files, record.size);
    save(mlx_dir, dir, stamp, record.manifest, totals, &record.shards, Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(dir: &Path) -> [u8; 32] {
        walk(dir).unwrap().unwrap().digest
    }

    /// The digest as a plain walk with `std::fs` computes it (sorted names, each entry's
    /// length-prefixed name, kind, execute bit and stat fields, or a folder's own digest).
    fn plain(dir: &Path) -> [u8; 32] {
        use std::os::unix::fs::MetadataExt;
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(Result::unwrap).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let mut h = blake3::Hasher::new();
        for e in entries {
            let name = e.file_name().into_encoded_bytes();
            h.update(&(name.len() as u64).to_le_bytes());
            h.update(&name);
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                h.update(b"d");
                h.update(&plain(&e.path()));
                continue;
            }
            let stamp = FileStamp::of(&meta);
            let kind = if meta.is_file() { b'f' } else { b'l' };
            h.update(&[kind, u8::from(fs_util::is_executable(&meta))]);
            h.update(&stamp.size.to_le_bytes());
            h.update(&stamp.mtime_ns.to_le_bytes());
            h.update(&stamp.inode.to_le_bytes());
            h.update(&meta.dev().to_le_bytes());
        }
        *h.finalize().as_bytes()
    }

    #[test]
    fn the_walk_digests_what_a_plain_walk_does() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        for d in ["a/b/c", "a/e", "empty", "z"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        for (i, f) in ["x", "a/y", "a/b/c/z", "a/e/w", "z/0", "z/1", "z/10"].iter().enumerate() {
            std::fs::write(tmp.path().join(f), vec![b'x'; i * 100]).unwrap();
        }
        let run = tmp.path().join("z/1");
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("../x", tmp.path().join("a/link")).unwrap();
        std::os::unix::fs::symlink("a", tmp.path().join("dirlink")).unwrap();
        assert_eq!(stamp(tmp.path()), plain(tmp.path()));
        // A folder of many entries takes several reads of the folder.
        let many = tmp.path().join("many");
        std::fs::create_dir(&many).unwrap();
        for i in 0..3000 {
            std::fs::write(many.join(format!("file-with-a-long-name-{i:05}")), b"").unwrap();
        }
        assert_eq!(stamp(tmp.path()), plain(tmp.path()));
    }

    #[test]
    fn a_socket_or_fifo_gives_no_stamp() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            tmp.path().join("d/fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        assert!(walk(tmp.path()).unwrap().is_none());
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
        save(tmp.path(), &dir, s, id, (3, 12), &shards, None).unwrap();
        let r = load(tmp.path(), &dir).unwrap();
        assert!(proves(&r, &s, id, (3, 12), &shards));
        let mut other = shards.clone();
        other[9] += 1;
        assert!(!proves(&r, &s, id, (3, 12), &other));
        assert!(!proves(&r, &s, id, (3, 13), &shards));
        assert_eq!(r.watch, None);
        let token = Token { instance: "ab12".into(), seq: 9 };
        renew(tmp.path(), &dir, &r, &token).unwrap();
        let renewed = load(tmp.path(), &dir).unwrap();
        assert_eq!(renewed.watch, Some(token));
        assert!(proves(&renewed, &s, id, (3, 12), &shards));
        save(tmp.path(), &dir, TreeStamp { racy: true, ..s }, id, (3, 12), &shards, None).unwrap();
        assert!(load(tmp.path(), &dir).is_none());
    }
}
