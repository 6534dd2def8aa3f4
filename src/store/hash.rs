//! Hashing bytes and files with BLAKE3: small files in one read, large ones memory-mapped and
//! hashed on all cores.

use std::io::{self, Read};
use std::path::Path;

use fs_err as fs;

use super::ObjectId;

/// Files at or above this size are memory-mapped and hashed in parallel.
pub const LARGE_FILE: u64 = 1 << 20;

pub fn hash_bytes(data: &[u8]) -> ObjectId {
    ObjectId::from(blake3::hash(data))
}

/// Hash a file's content, streaming: one read for small files, mmap + rayon for large ones.
pub fn hash_file(path: &Path) -> io::Result<ObjectId> {
    let mut file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len >= LARGE_FILE {
        let mut hasher = blake3::Hasher::new();
        hasher.update_mmap_rayon(path).map_err(|e| {
            io::Error::new(e.kind(), format!("failed to hash {}: {e}", path.display()))
        })?;
        return Ok(ObjectId::from(hasher.finalize()));
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
    file.read_to_end(&mut buf)?;
    Ok(hash_bytes(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_bytes_agree_small_and_large() {
        let dir = tempfile::tempdir().unwrap();
        for size in [0usize, 10, usize::try_from(LARGE_FILE).unwrap() + 7] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let p = dir.path().join(format!("f{size}"));
            std::fs::write(&p, &data).unwrap();
            assert_eq!(hash_file(&p).unwrap(), hash_bytes(&data));
        }
    }
}
