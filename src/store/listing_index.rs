//! Listing indexes: the distinct file objects of a directory manifest, sorted, kept beside the
//! project's own state (`.mlx/listing-index/<manifest hash>`). A manifest never changes under
//! its hash, so neither does its index: a push whose remote already holds a directory's listing
//! counts and matches that directory's files from the index (32 bytes a file) instead of
//! decoding the manifest (a JSON entry a file, most of a no-op push of a million files).
//!
//! An index is a cache: one that is missing, unreadable, for another manifest or damaged (its
//! checksum, a BLAKE3 of everything before it, does not match) is ignored and made again from
//! the manifest.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::ObjectId;
use super::manifest::Manifest;
use crate::fs_util;

const MAGIC: &[u8; 20] = b"mlx listing index 1\n";
const DIR: &str = "listing-index";
/// Ids read (and checksummed) per block.
const BLOCK: usize = 2048;

/// Where the index of the manifest `id` lives.
fn path_of(mlx_dir: &Path, id: &ObjectId) -> PathBuf {
    mlx_dir.join(DIR).join(id.to_hex())
}

/// The distinct file objects of `manifest`, sorted.
pub fn files_of(manifest: &Manifest) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = manifest.file_hashes().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The kept index of the manifest `id`: its distinct file objects, sorted. `None` when none was
/// kept or the one kept cannot be trusted.
pub fn load(mlx_dir: &Path, id: &ObjectId) -> Option<Vec<ObjectId>> {
    let file = std::fs::File::open(path_of(mlx_dir, id)).ok()?;
    let len = file.metadata().ok()?.len();
    let mut r = io::BufReader::with_capacity(BLOCK * 32, file);
    let mut head = [0u8; 20 + 32 + 8];
    r.read_exact(&mut head).ok()?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(&head);
    if &head[..20] != MAGIC || head[20..52] != id.as_bytes()[..] {
        return None;
    }
    let count = u64::from_le_bytes(head[52..60].try_into().expect("8 bytes"));
    // The length must agree before anything is allocated for `count` ids.
    if count.checked_mul(32)?.checked_add(head.len() as u64 + 32)? != len {
        return None;
    }
    let count = usize::try_from(count).ok()?;
    let mut ids: Vec<ObjectId> = Vec::with_capacity(count);
    let mut block = vec![0u8; BLOCK * 32];
    while ids.len() < count {
        let n = (count - ids.len()).min(BLOCK) * 32;
        r.read_exact(&mut block[..n]).ok()?;
        hasher.update(&block[..n]);
        for raw in block[..n].chunks_exact(32) {
            let next = ObjectId::from_bytes(raw.try_into().expect("32 bytes"));
            // Strictly increasing: sorted and distinct, as written.
            if ids.last().is_some_and(|last| *last >= next) {
                return None;
            }
            ids.push(next);
        }
    }
    let mut sum = [0u8; 32];
    r.read_exact(&mut sum).ok()?;
    (hasher.finalize().as_bytes() == &sum).then_some(ids)
}

/// Whether an index of the manifest `id` is kept (not whether it can be trusted).
pub fn is_kept(mlx_dir: &Path, id: &ObjectId) -> bool {
    path_of(mlx_dir, id).is_file()
}

/// Keep the index of the manifest `id`, whose distinct file objects (sorted) are `files`.
pub fn save(mlx_dir: &Path, id: &ObjectId, files: &[ObjectId]) -> io::Result<()> {
    debug_assert!(files.windows(2).all(|w| w[0] < w[1]));
    let mut bytes = Vec::with_capacity(20 + 32 + 8 + files.len() * 32 + 32);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(id.as_bytes());
    bytes.extend_from_slice(&(files.len() as u64).to_le_bytes());
    for f in files {
        bytes.extend_from_slice(f.as_bytes());
    }
    let sum = blake3::hash(&bytes);
    bytes.extend_from_slice(sum.as_bytes());
    let path = path_of(mlx_dir, id);
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    fs_util::write_atomic(&path, &bytes)
}

/// Remove the indexes of manifests `keep` says are gone; returns how many were removed.
pub fn prune(mlx_dir: &Path, keep: impl Fn(&ObjectId) -> bool) -> io::Result<usize> {
    let entries = match std::fs::read_dir(mlx_dir.join(DIR)) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let gone = match name.to_str().map(ObjectId::from_hex) {
            Some(Ok(id)) => !keep(&id),
            // Not an index (a temp file left by a kill): nothing needs it.
            _ => true,
        };
        if gone {
            fs_util::remove_file_if_exists(&entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::super::hash_bytes;
    use super::*;

    fn ids(n: u8) -> Vec<ObjectId> {
        let mut v: Vec<ObjectId> = (0..n).map(|i| hash_bytes(&[i])).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let tmp = tempfile::tempdir().unwrap();
        let id = hash_bytes(b"manifest");
        let files = ids(200);
        save(tmp.path(), &id, &files).unwrap();
        assert_eq!(load(tmp.path(), &id), Some(files.clone()));
        // Another manifest's name finds nothing.
        assert_eq!(load(tmp.path(), &hash_bytes(b"other")), None);
        // One flipped bit anywhere is refused.
        let path = path_of(tmp.path(), &id);
        let good = std::fs::read(&path).unwrap();
        for at in [3, 30, 55, 100, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 1;
            std::fs::write(&path, &bad).unwrap();
            assert_eq!(load(tmp.path(), &id), None, "byte {at}");
        }
        // A file cut short, or one claiming more ids than it holds.
        std::fs::write(&path, &good[..good.len() - 33]).unwrap();
        assert_eq!(load(tmp.path(), &id), None);
        let mut huge = good.clone();
        huge[52..60].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&path, &huge).unwrap();
        assert_eq!(load(tmp.path(), &id), None);
        // An empty directory has an empty index.
        save(tmp.path(), &id, &[]).unwrap();
        assert_eq!(load(tmp.path(), &id), Some(Vec::new()));
    }

    #[test]
    fn prune_keeps_what_is_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (hash_bytes(b"a"), hash_bytes(b"b"));
        save(tmp.path(), &a, &ids(3)).unwrap();
        save(tmp.path(), &b, &ids(4)).unwrap();
        assert_eq!(prune(tmp.path(), |id| *id == a).unwrap(), 1);
        assert!(load(tmp.path(), &a).is_some());
        assert!(load(tmp.path(), &b).is_none());
    }
}
