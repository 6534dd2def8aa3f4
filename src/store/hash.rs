//! Hashing bytes and files with BLAKE3: small files in one read, large ones in pieces on all
//! cores.
//!
//! A large file is cut into pieces of [`PIECE`] bytes, each a complete subtree of the BLAKE3
//! tree. Every worker reads a piece into its own buffer (small enough to stay in the core's L2
//! cache) and hashes it there; the pieces' chaining values are then merged into the root hash.
//! This is faster than memory-mapping the file: mapping a file costs a page fault or a page-table
//! entry per few pages of page cache, which is more work than copying the bytes, and a file
//! truncated by another process while mapped would kill the process (SIGBUS) where a read only
//! fails.

use std::cell::RefCell;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use blake3::hazmat::{
    ChainingValue, HasherExt, Mode, left_subtree_len, merge_subtrees_non_root, merge_subtrees_root,
};
use fs_err as fs;
use rayon::prelude::*;

use super::ObjectId;

/// Files at or above this size are hashed in pieces on all cores.
pub const LARGE_FILE: u64 = 1 << 20;

/// Bytes a worker reads and hashes at a time: a power of two (so each piece is a whole BLAKE3
/// subtree) that fits in a core's L2 cache with room to spare.
const PIECE: usize = 512 << 10;

thread_local! {
    /// Each thread's read buffer, kept between files so that hashing many large files does not
    /// allocate (and fault in) fresh buffers for each.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub fn hash_bytes(data: &[u8]) -> ObjectId {
    ObjectId::from(blake3::hash(data))
}

/// Hash a file's content: one read for small files, pieces on all cores for large ones.
pub fn hash_file(path: &Path) -> io::Result<ObjectId> {
    let mut file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len >= LARGE_FILE {
        return hash_large(file.file(), len).map_err(|e| {
            io::Error::new(e.kind(), format!("failed to hash {}: {e}", path.display()))
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
    file.read_to_end(&mut buf)?;
    Ok(hash_bytes(&buf))
}

/// Hash the first `len` bytes of `file` (`len` > [`PIECE`]) in parallel, piece by piece.
fn hash_large(file: &std::fs::File, len: u64) -> io::Result<ObjectId> {
    let piece = PIECE as u64;
    // Pieces are handed out in file order (`par_bridge`), so the workers read the file front to
    // back together (splitting it into halves, one per worker, measured a few percent slower).
    let mut chaining_values = (0..len.div_ceil(piece))
        .par_bridge()
        .map(|index| {
            let offset = index * piece;
            let size = usize::try_from((len - offset).min(piece)).unwrap_or(PIECE);
            with_buffer(|buf| {
                let bytes = &mut buf[..size];
                read_piece(file, bytes, offset)?;
                let mut hasher = blake3::Hasher::new();
                hasher.set_input_offset(offset);
                hasher.update(bytes);
                Ok((index, hasher.finalize_non_root()))
            })
        })
        .collect::<io::Result<Vec<(u64, ChainingValue)>>>()?;
    chaining_values.sort_unstable_by_key(|(index, _)| *index);
    let chaining_values: Vec<ChainingValue> =
        chaining_values.into_iter().map(|(_, cv)| cv).collect();
    Ok(ObjectId::from(root(&chaining_values, len)))
}

fn read_piece(file: &std::fs::File, bytes: &mut [u8], offset: u64) -> io::Result<()> {
    file.read_exact_at(bytes, offset).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(e.kind(), "the file shrank while it was being hashed")
        } else {
            e
        }
    })
}

/// Run `f` with this thread's read buffer, [`PIECE`] bytes long.
fn with_buffer<T>(f: impl FnOnce(&mut [u8]) -> T) -> T {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < PIECE {
                buf.resize(PIECE, 0);
            }
            f(&mut buf[..PIECE])
        }
        // Only if a hash ran inside another on this thread: use a buffer of its own.
        Err(_) => f(&mut vec![0; PIECE]),
    })
}

/// The root hash of an input of `len` bytes (more than one piece) from the chaining values of
/// its pieces, merged in the shape of the BLAKE3 tree.
fn root(pieces: &[ChainingValue], len: u64) -> blake3::Hash {
    let (left, right) = split(pieces, len);
    merge_subtrees_root(&subtree(left.0, left.1), &subtree(right.0, right.1), Mode::Hash)
}

/// The chaining value of a subtree of `len` bytes made of `pieces`.
fn subtree(pieces: &[ChainingValue], len: u64) -> ChainingValue {
    if let [only] = pieces {
        return *only;
    }
    let (left, right) = split(pieces, len);
    merge_subtrees_non_root(&subtree(left.0, left.1), &subtree(right.0, right.1), Mode::Hash)
}

type Part<'a> = (&'a [ChainingValue], u64);

/// Split a subtree into its left and right children, as BLAKE3 does: the left one holds the
/// largest power of two of chunks that leaves at least one byte to the right. Pieces are whole
/// powers of two of chunks, so the split falls on a piece boundary.
fn split(pieces: &[ChainingValue], len: u64) -> (Part<'_>, Part<'_>) {
    let left_len = left_subtree_len(len);
    let left_pieces = usize::try_from(left_len / PIECE as u64).unwrap_or(usize::MAX);
    let (left, right) = pieces.split_at(left_pieces.min(pieces.len()));
    ((left, left_len), (right, len - left_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(size: usize) -> Vec<u8> {
        (0..size).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect()
    }

    #[test]
    fn file_and_bytes_agree_small_and_large() {
        let dir = tempfile::tempdir().unwrap();
        let large = usize::try_from(LARGE_FILE).unwrap();
        // Around the threshold, around whole pieces, a last piece of one byte and of one
        // partial chunk, and piece counts that are and are not powers of two.
        for size in [
            0,
            10,
            large - 1,
            large,
            large + 7,
            3 * PIECE,
            3 * PIECE + 1,
            4 * PIECE,
            4 * PIECE + 1024,
            5 * PIECE - 1,
            7 * PIECE + 3000,
            9 * PIECE,
        ] {
            let bytes = data(size);
            let p = dir.path().join(format!("f{size}"));
            std::fs::write(&p, &bytes).unwrap();
            assert_eq!(hash_file(&p).unwrap(), hash_bytes(&bytes), "size {size}");
        }
    }

    #[test]
    fn hashing_inside_a_parallel_loop_agrees() {
        use rayon::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<_> = (0..6)
            .map(|i| {
                let bytes = data(3 * PIECE + i * 1000);
                let p = dir.path().join(format!("f{i}"));
                std::fs::write(&p, &bytes).unwrap();
                (p, hash_bytes(&bytes))
            })
            .collect();
        files.par_iter().for_each(|(p, want)| assert_eq!(hash_file(p).unwrap(), *want));
    }

    #[test]
    fn a_file_that_shrinks_while_hashed_is_an_error_not_a_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, data(3 * PIECE)).unwrap();
        let file = std::fs::File::open(&p).unwrap();
        // The length taken before hashing says 5 pieces; only 3 are there when they are read.
        let err = hash_large(&file, 5 * PIECE as u64).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("shrank"), "{err}");
    }
}
