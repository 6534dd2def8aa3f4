//! Atomic writes, read-only objects, file stamps and small filesystem helpers.
//!
//! Everything mlx writes for git or into the cache goes through [`write_atomic`] or a
//! temp-file-then-rename sequence built from these helpers, so no reader ever sees a half
//! written file under its final name. This module knows nothing about projects or objects.

use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use fs_err::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
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

/// A name for a temporary file beside `path`, unique within this process.
pub fn temp_sibling(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".mlx-tmp-{}-{n}", std::process::id()));
    path.with_file_name(name)
}

/// Write `data` to `path` atomically: temp file in the same folder, fsync, rename, fsync folder.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    write_atomic_with_mode(path, data, 0o644)
}

/// [`write_atomic`] with the file created as `mode` (`0o600` for a file holding credentials:
/// it is never readable by others, not even between creation and rename).
pub fn write_atomic_with_mode(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        file.write_all(data)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
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
    fn write_atomic_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.toml");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
