//! Reading objects from a DVC remote by the MD5 that `mlx import dvc` kept beside the BLAKE3 hash
//! (`dvc_md5` in a pointer or an `mlx.lock` out): a repository imported from DVC needs no
//! re-upload. When an object is missing from the mlx side of the remote, the fetch looks for
//! the DVC object (`files/md5/AB/CDEF…`, or DVC 2's `AB/CDEF…`), checks its MD5 and BLAKE3,
//! and for a folder reads the DVC listing, fetches each file and rebuilds the mlx manifest,
//! which must hash to the recorded one.

use std::collections::HashMap;

use super::cache::{object_keys, parse_listing};
use super::md5;
use crate::project_path::RelPath;
use crate::remote::{Error, Remote};
use crate::store::cache::Staged;
use crate::store::manifest::{Entry, EntryKind, Manifest};
use crate::store::{Cache, ObjectId, hash_bytes};
use crate::work_tree::tracked::Tracked;

/// BLAKE3 id → the MD5 DVC named the same content by, from pointers and `mlx.lock` outs.
#[derive(Debug, Clone, Default)]
pub struct Md5Index {
    by_id: HashMap<ObjectId, String>,
}

impl Md5Index {
    /// The MD5s the tracked paths recorded.
    pub fn from_tracked(tracked: &[Tracked]) -> Self {
        let by_id = tracked
            .iter()
            .filter_map(|t| {
                let md5 = t.pointer.dvc_md5.as_ref().filter(|m| md5::is_md5(m))?;
                Some((t.pointer.hash, md5.clone()))
            })
            .collect();
        Md5Index { by_id }
    }

    pub fn get(&self, id: &ObjectId) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// What a DVC remote had for an object.
pub enum Found {
    /// Staged objects: the one asked for, and for a folder the files of its rebuilt manifest.
    Staged(Vec<Staged>),
    Missing,
    /// The DVC object (or a file of a folder) does not hash to its name, or a rebuilt manifest
    /// does not hash to the id asked for.
    Corrupt {
        actual: ObjectId,
        size: u64,
    },
}

/// Read the DVC object of key `md5` from the remote, in either layout; `None` when the remote
/// has neither.
fn read_dvc(remote: &Remote, md5_name: &str) -> Result<Option<Vec<u8>>, Error> {
    let Some(keys) = object_keys(md5_name, false) else { return Ok(None) };
    for key in keys {
        match remote.get_named(&key) {
            Ok(bytes) => return Ok(Some(bytes)),
            Err(Error::Missing { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The object `id` from the DVC layout of `remote`, checked by MD5 and BLAKE3 (for a folder:
/// the listing by its MD5, each file by both, and the rebuilt manifest by `id`).
pub fn fetch(
    remote: &Remote,
    cache: &Cache,
    id: &ObjectId,
    md5_name: &str,
) -> Result<Found, Error> {
    let Some(bytes) = read_dvc(remote, md5_name)? else { return Ok(Found::Missing) };
    if !md5_name.ends_with(md5::DIR_SUFFIX) {
        let actual = hash_bytes(&bytes);
        if md5::hex(&md5::md5_bytes(&bytes)) != md5_name || actual != *id {
            return Ok(Found::Corrupt { actual, size: bytes.len() as u64 });
        }
        return Ok(Found::Staged(vec![cache.stage_bytes(*id, &bytes)?]));
    }
    let Ok(listing) = parse_listing(md5_name, &bytes) else {
        return Ok(Found::Corrupt { actual: hash_bytes(&bytes), size: bytes.len() as u64 });
    };
    let mut staged = Vec::new();
    let mut entries = Vec::new();
    let discard =
        |cache: &Cache, staged: Vec<Staged>| staged.into_iter().for_each(|s| cache.discard(s));
    for e in &listing {
        let Some(data) = read_dvc(remote, &e.md5)? else {
            discard(cache, staged);
            return Ok(Found::Missing);
        };
        let file_id = hash_bytes(&data);
        if md5::hex(&md5::md5_bytes(&data)) != e.md5 {
            discard(cache, staged);
            return Ok(Found::Corrupt { actual: file_id, size: data.len() as u64 });
        }
        let rel = RelPath::new(&e.relpath).expect("listings are checked when parsed");
        entries.push(Entry {
            path: rel,
            kind: EntryKind::File { hash: file_id, size: data.len() as u64, executable: false },
        });
        if !cache.contains(&file_id) {
            staged.push(cache.stage_bytes(file_id, &data)?);
        }
    }
    let manifest = Manifest::new(entries);
    let encoded = manifest.encode();
    let actual = hash_bytes(&encoded);
    if actual != *id {
        discard(cache, staged);
        return Ok(Found::Corrupt { actual, size: encoded.len() as u64 });
    }
    staged.push(cache.stage_bytes(*id, &encoded)?);
    Ok(Found::Staged(staged))
}
