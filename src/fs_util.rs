//! Atomic writes, read-only objects, file stamps and small filesystem helpers.
//!
//! Everything mlx writes for git or into the cache goes through [`write_atomic`] or a
//! temp-file-then-rename sequence built from these helpers, so no reader ever sees a half
//! written file under its final name. This module knows nothing about projects or objects.
//!
//! Temp files ([`temp_path`]) are made in a per-process staging folder once a project has
//! registered one ([`stage_in`]: `.mlx/tmp/PID/`), when the destination is on the same mount:
//! a killed process then leaves them there, never in the user's work tree. Elsewhere they sit
//! beside their destination, named `.NAME.mlx-tmp-PID-N` ([`temp_name_pid`] reads them back).

use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use fs_err::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use fs_err as fs;

/// Size, modification time and inode of a file: what the stat cache keys on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl FileStamp {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        FileStamp {
            size: meta.len(),
            mtime_ns: meta.mtime().saturating_mul(1_000_000_000) + meta.mtime_nsec(),
            inode: meta.ino(),
        }
    }

    /// True when the file was modified so close to `hashed_at` that a later change in the same
    /// clock tick could keep the same mtime ("racy" entries are not cached, as in git).
    pub fn is_racy(&self, hashed_at: SystemTime) -> bool {
        const GRANULARITY_NS: i64 = 25_000_000;
        let at = hashed_at
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        self.mtime_ns >= at - GRANULARITY_NS
    }
}

/// Whether any execute bit is set.
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    meta.permissions().mode() & 0o111 != 0
}

/// Unique temp file numbers within this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What marks a temp file beside its destination: `.NAME.mlx-tmp-PID-N`.
const TEMP_MARK: &str = ".mlx-tmp-";

/// The folder under `.mlx/` that holds one staging folder per process (`tmp/PID`).
pub const STAGING_DIR: &str = "tmp";

/// A name for a temporary file beside `path`, unique within this process.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!("{TEMP_MARK}{}-{n}", std::process::id()));
    path.with_file_name(name)
}

/// The pid in a temp file name made by [`temp_sibling`] (`.NAME.mlx-tmp-PID-N`), if it is one.
pub fn temp_name_pid(name: &std::ffi::OsStr) -> Option<u32> {
    let name = name.as_encoded_bytes();
    if name.first() != Some(&b'.') {
        return None;
    }
    let at = name.windows(TEMP_MARK.len()).rposition(|w| w == TEMP_MARK.as_bytes())?;
    let rest = std::str::from_utf8(&name[at + TEMP_MARK.len()..]).ok()?;
    let (pid, n) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then(|| pid.parse().ok()).flatten()
}

/// Whether `name` is a temp file name (any process's): never a user's file.
pub fn is_temp_name(name: &std::ffi::OsStr) -> bool {
    temp_name_pid(name).is_some()
}

/// This process's staging folder for temp files (see the module doc).
struct Staging {
    /// `.mlx/tmp/PID`.
    dir: PathBuf,
    /// The mount the staging folder is on: only destinations on it can be renamed from there.
    mount: Mount,
    created: OnceLock<bool>,
}

/// Where a folder lives: its device and, where the kernel says, its mount (a rename fails
/// across bind mounts of one device).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mount {
    dev: u64,
    mount_id: Option<u64>,
}

impl Mount {
    fn of(dir: &Path) -> Option<Mount> {
        use rustix::fs::{AtFlags, CWD, StatxFlags, statx};
        let x =
            statx(CWD, dir, AtFlags::empty(), StatxFlags::BASIC_STATS | StatxFlags::MNT_ID).ok()?;
        let dev = rustix::fs::makedev(x.stx_dev_major, x.stx_dev_minor);
        let mount_id = (x.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(x.stx_mnt_id);
        Some(Mount { dev, mount_id })
    }
}

static STAGING: OnceLock<Staging> = OnceLock::new();

/// Make temp files in `mlx_dir/tmp/PID/` from now on, for destinations on the same mount.
/// The first project a process opens wins; later calls change nothing.
pub fn stage_in(mlx_dir: &Path) {
    if STAGING.get().is_some() {
        return;
    }
    let Some(mount) = Mount::of(mlx_dir) else { return };
    let dir = mlx_dir.join(STAGING_DIR).join(std::process::id().to_string());
    let _ = STAGING.set(Staging { dir, mount, created: OnceLock::new() });
}

/// Remove this process's staging folder if it is empty (at the end of a command; a killed
/// process leaves it for the next mlx command in the project).
pub fn release_staging() {
    if let Some(s) = STAGING.get()
        && s.created.get() == Some(&true)
    {
        let _ = std::fs::remove_dir(&s.dir);
    }
}

/// The staging folder to use for a temp file of `dest`, when there is one on its mount.
fn staging_for(dest: &Path) -> Option<&'static Path> {
    let s = STAGING.get()?;
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty())?;
    // Files are placed folder by folder: ask the kernel once per folder and thread.
    thread_local! {
        static LAST: std::cell::RefCell<(PathBuf, bool)> =
            std::cell::RefCell::new((PathBuf::new(), false));
    }
    let same = LAST.with_borrow_mut(|(dir, same)| {
        if dir.as_path() != parent {
            *same = Mount::of(parent).is_some_and(|m| m == s.mount);
            parent.clone_into(dir);
        }
        *same
    });
    if !same {
        return None;
    }
    let created = s.created.get_or_init(|| fs::create_dir_all(&s.dir).is_ok());
    created.then_some(s.dir.as_path())
}

/// A name for a temporary file that will be renamed to `dest`, unique within this process: in
/// the staging folder when one is registered on `dest`'s mount, else beside `dest`.
pub fn temp_path(dest: &Path) -> PathBuf {
    match staging_for(dest) {
        Some(dir) => dir.join(TEMP_COUNTER.fetch_add(1, Ordering::Relaxed).to_string()),
        None => temp_sibling(dest),
    }
}

/// Whether an error is "not on the same filesystem" (a rename or link across mounts).
pub fn crosses_devices(e: &io::Error) -> bool {
    rustix::io::Errno::from_io_error(e) == Some(rustix::io::Errno::XDEV)
}

/// Write `data` to `path` atomically: temp file, fsync, rename, fsync folder.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    write_atomic_with_mode(path, data, 0o644)
}

/// [`write_atomic`] with the file created as `mode` (`0o600` for a file holding credentials:
/// it is never readable by others, not even between creation and rename).
pub fn write_atomic_with_mode(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    match write_atomic_via(&temp_path(path), path, data, mode) {
        // A staging folder the kernel would not rename from after all: write beside it.
        Err(e) if crosses_devices(&e) => write_atomic_via(&temp_sibling(path), path, data, mode),
        other => other,
    }
}

fn write_atomic_via(tmp: &Path, path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let result = (|| {
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(tmp)?;
        file.write_all(data)?;
        file.sync_all()?;
        drop(file);
        crate::fault::point("file.write");
        match std::fs::rename(tmp, path) {
            Err(e) if crosses_devices(&e) => return Err(e),
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("failed to rename {} to {}: {e}", tmp.display(), path.display()),
                ));
            }
            Ok(()) => {}
        }
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// Fsync the folder holding `path`, so a rename into it survives a crash.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => fs::File::open(parent)?.sync_all(),
        _ => Ok(()),
    }
}

/// Make a file read-only for everyone (cache objects are never written after creation).
pub fn set_readonly(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, std::fs::Permissions::from_mode(0o444))
}

/// Copy `src` to a new file `dst` (which must not exist) with a normal writable mode.
/// Uses the kernel's copy path (`copy_file_range`) where available.
pub fn copy_new(src: &Path, dst: &Path, executable: bool) -> io::Result<u64> {
    copy_new_with_mode(src, dst, if executable { 0o755 } else { 0o644 })
}

/// Copy `src` to a new file `dst` created with `mode` (the open descriptor writes it even when
/// the mode is read-only).
pub fn copy_new_with_mode(src: &Path, dst: &Path, mode: u32) -> io::Result<u64> {
    let mut from = fs::File::open(src)?;
    let mut to = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(dst)?;
    // std's own `File`s, so `io::copy` can use `copy_file_range` (the kernel copies, no 8 KiB
    // read/write loop through user space).
    let n = io::copy(from.file_mut(), to.file_mut()).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("failed to copy {} to {}: {e}", src.display(), dst.display()),
        )
    })?;
    Ok(n)
}

/// Remove a file or symlink, ignoring "not found".
pub fn remove_file_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(fs_err_wrap(e, path, "remove")),
        _ => Ok(()),
    }
}

fn fs_err_wrap(e: io::Error, path: &Path, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("failed to {what} {}: {e}", path.display()))
}

/// Read until `buf` is full or the end of the file: the number of bytes read (less than
/// `buf.len()` only at the end).
pub fn read_up_to(reader: &mut impl io::Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Human-readable size: `1.4 GiB`, `512 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn temp_names_are_recognised_with_their_pid() {
        let tmp = temp_sibling(Path::new("data/model.bin"));
        let name = tmp.file_name().unwrap();
        assert_eq!(temp_name_pid(name), Some(std::process::id()));
        assert_eq!(temp_name_pid(std::ffi::OsStr::new(".a.b.mlx-tmp-12-3")), Some(12));
        for other in ["a.mlx-tmp-12-3", ".a.mlx-tmp-12", ".a.mlx-tmp-x-3", ".a.mlx-tmp--3", ".a"] {
            assert_eq!(temp_name_pid(std::ffi::OsStr::new(other)), None, "{other}");
        }
    }

    #[test]
    fn write_atomic_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.toml");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
