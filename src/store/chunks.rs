//! Content-defined chunks of big files: FastCDC 2020 cut points, and the chunk list that says
//! which chunks (by their own BLAKE3) make up a file (by its whole BLAKE3, which stays its
//! identity). The chunk list of object `H` is stored beside where `H` itself would be
//! (`ab/cdef….chunks`), in the cache and on remotes; each chunk is an ordinary object.
//!
//! The chunk list format (version 1), all integers little-endian:
//!
//! ```text
//! "mlx-chunk-list 1\n"        17 bytes: the format and its version
//! file hash                   32 bytes: BLAKE3 of the whole file
//! file size                   u64
//! chunk count                 u64
//! per chunk: hash, length     32 bytes + u32
//! ```

use std::io::{self, Read};

use super::ObjectId;

/// Smallest, average and largest chunk (FastCDC 2020, normalization level 1).
pub const MIN_CHUNK: u32 = 16 << 10;
pub const AVG_CHUNK: u32 = 64 << 10;
pub const MAX_CHUNK: u32 = 256 << 10;

/// Files at or above this size are chunked unless configured otherwise.
pub const DEFAULT_THRESHOLD: u64 = 64 << 20;

const MAGIC: &[u8] = b"mlx-chunk-list 1\n";
const HEADER: usize = 17 + 32 + 8 + 8;
const ENTRY: usize = 32 + 4;

/// The name suffix of a chunk list, beside the object it describes.
pub const LIST_SUFFIX: &str = ".chunks";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkList {
    /// The whole file's hash.
    pub file: ObjectId,
    pub size: u64,
    /// Each chunk's hash and length, in file order.
    pub chunks: Vec<(ObjectId, u32)>,
}

impl ChunkList {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + ENTRY * self.chunks.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(self.file.as_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&(self.chunks.len() as u64).to_le_bytes());
        for (id, len) in &self.chunks {
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&len.to_le_bytes());
        }
        out
    }

    /// Parse a chunk list; `expected` is the object it must describe. Lengths must add up to
    /// the size, and no chunk may be empty or larger than [`MAX_CHUNK`].
    pub fn decode(data: &[u8], expected: &ObjectId) -> Result<Self, String> {
        let rest = data.strip_prefix(MAGIC).ok_or("not an mlx chunk list (version 1)")?;
        if rest.len() < HEADER - MAGIC.len() {
            return Err("truncated header".into());
        }
        let file = ObjectId::from_bytes(rest[..32].try_into().expect("32 bytes"));
        if file != *expected {
            return Err(format!("describes {file}, not {expected}"));
        }
        let size = u64::from_le_bytes(rest[32..40].try_into().expect("8 bytes"));
        let count = u64::from_le_bytes(rest[40..48].try_into().expect("8 bytes"));
        let body = &rest[48..];
        if u64::try_from(body.len()).ok() != count.checked_mul(ENTRY as u64) {
            return Err(format!("{count} chunks announced, {} bytes of entries", body.len()));
        }
        let mut chunks = Vec::with_capacity(body.len() / ENTRY);
        let mut total = 0u64;
        for e in body.chunks_exact(ENTRY) {
            let id = ObjectId::from_bytes(e[..32].try_into().expect("32 bytes"));
            let len = u32::from_le_bytes(e[32..].try_into().expect("4 bytes"));
            if len == 0 || len > MAX_CHUNK {
                return Err(format!("chunk {id} has length {len}"));
            }
            total += u64::from(len);
            chunks.push((id, len));
        }
        if total != size {
            return Err(format!("chunks add up to {total} bytes, the file has {size}"));
        }
        Ok(ChunkList { file, size, chunks })
    }

    /// The distinct chunk ids, sorted.
    pub fn distinct(&self) -> Vec<ObjectId> {
        let mut ids: Vec<ObjectId> = self.chunks.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Bytes read from the file at a time; chunk cut points need [`MAX_CHUNK`] bytes of look-ahead.
const WINDOW: usize = 16 << 20;

/// Split what `source` yields into chunks, calling `each` with every chunk's bytes in order
/// (in batches, so the caller may hash them in parallel). Returns the whole content's hash
/// and size.
pub fn split(
    mut source: impl Read,
    mut each: impl FnMut(&[&[u8]]) -> io::Result<()>,
) -> io::Result<(ObjectId, u64)> {
    let mut buf: Vec<u8> = Vec::with_capacity(WINDOW + MAX_CHUNK as usize);
    let mut whole = blake3::Hasher::new();
    let mut size = 0u64;
    let mut eof = false;
    while !eof || !buf.is_empty() {
        // Fill the window.
        let start = buf.len();
        buf.resize(WINDOW + MAX_CHUNK as usize, 0);
        let mut filled = start;
        while filled < buf.len() {
            let n = source.read(&mut buf[filled..])?;
            if n == 0 {
                eof = true;
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        whole.update_rayon(&buf[start..]);
        size += (filled - start) as u64;
        if buf.is_empty() {
            break;
        }
        let cdc = fastcdc::v2020::FastCDC::new(
            &buf,
            MIN_CHUNK as usize,
            AVG_CHUNK as usize,
            MAX_CHUNK as usize,
        );
        let mut cuts: Vec<(usize, usize)> = cdc.map(|c| (c.offset, c.length)).collect();
        // The last chunk of a window may end early only because the window does: it starts
        // the next one, unless the file ended.
        let keep_from = if eof {
            buf.len()
        } else {
            let last = cuts.pop().expect("a non-empty window has a chunk");
            last.0
        };
        let slices: Vec<&[u8]> = cuts.iter().map(|&(o, l)| &buf[o..o + l]).collect();
        each(&slices)?;
        buf.drain(..keep_from);
    }
    Ok((ObjectId::from_bytes(*whole.finalize().as_bytes()), size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::hash_bytes;

    fn data(n: usize, seed: u64) -> Vec<u8> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..n).map(|_| rng.u8(..)).collect()
    }

    fn chunk_ids(bytes: &[u8]) -> (Vec<(ObjectId, u32)>, ObjectId, u64) {
        let mut out = Vec::new();
        let (id, size) = split(bytes, |cs| {
            out.extend(cs.iter().map(|c| (hash_bytes(c), c.len() as u32)));
            Ok(())
        })
        .unwrap();
        (out, id, size)
    }

    #[test]
    fn chunks_cover_the_file_and_lists_round_trip() {
        let bytes = data(3 * WINDOW + 12345, 1);
        let (chunks, id, size) = chunk_ids(&bytes);
        assert_eq!(id, hash_bytes(&bytes));
        assert_eq!(size, bytes.len() as u64);
        let total: u64 = chunks.iter().map(|(_, l)| u64::from(*l)).sum();
        assert_eq!(total, size);
        assert!(chunks.iter().all(|(_, l)| *l <= MAX_CHUNK));
        // Cut points do not depend on where reads or windows end.
        let whole: Vec<usize> = fastcdc::v2020::FastCDC::new(
            &bytes,
            MIN_CHUNK as usize,
            AVG_CHUNK as usize,
            MAX_CHUNK as usize,
        )
        .map(|c| c.length)
        .collect();
        assert_eq!(whole, chunks.iter().map(|(_, l)| *l as usize).collect::<Vec<_>>());
        let list = ChunkList { file: id, size, chunks };
        let encoded = list.encode();
        assert_eq!(ChunkList::decode(&encoded, &id).unwrap(), list);
        assert!(ChunkList::decode(&encoded, &hash_bytes(b"other")).is_err());
        assert!(ChunkList::decode(&encoded[..encoded.len() - 1], &id).is_err());
    }

    #[test]
    fn an_insert_at_the_start_changes_few_chunks() {
        let bytes = data(8 << 20, 2);
        let (before, _, _) = chunk_ids(&bytes);
        let mut edited = vec![7u8];
        edited.extend_from_slice(&bytes);
        let (after, _, _) = chunk_ids(&edited);
        let old: std::collections::HashSet<_> = before.iter().map(|c| c.0).collect();
        let new = after.iter().filter(|c| !old.contains(&c.0)).count();
        assert!(new <= 2, "{new} new chunks of {}", after.len());
    }
}
