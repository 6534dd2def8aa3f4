//! Directory manifests: the sorted list of a tracked directory's files, symlinks and empty
//! folders, stored as a JSON object in the cache and named by its hash.
//!
//! The encoding is canonical (entries sorted by path bytes, fixed key order, no whitespace) so
//! the same tree always yields the same hash. Parsing validates every path: a manifest can never
//! name a place outside the directory it describes.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Error, ObjectId, hash_bytes};
use crate::project_path::RelPath;

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File { hash: ObjectId, size: u64, executable: bool },
    Symlink { target: PathBuf },
    EmptyDir,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the tracked directory.
    pub path: RelPath,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    mlx_manifest: u32,
    entries: Vec<WireEntry>,
}

/// One entry as stored. Non-UTF-8 names use the `_hex` fields instead of the plain ones.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WireEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<ObjectId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    exec: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    symlink: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    symlink_hex: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    dir: bool,
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Encode bytes as `(text, None)` when UTF-8, else `(None, hex)`.
fn split_name(bytes: &[u8]) -> (Option<String>, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Some(s.to_owned()), None),
        Err(_) => (None, Some(to_hex(bytes))),
    }
}

/// Files among `entries`: count and total size.
pub fn totals_of(entries: &[Entry]) -> (u64, u64) {
    entries.iter().fold((0, 0), |(n, size), e| match e.kind {
        EntryKind::File { size: s, .. } => (n + 1, size.saturating_add(s)),
        _ => (n, size),
    })
}

impl Manifest {
    /// Build from entries in any order; they are sorted by path bytes.
    pub fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_unstable_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        Manifest { entries }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }

    /// The objects of its files (symlinks and empty folders have none).
    pub fn file_hashes(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.entries.iter().filter_map(|e| match e.kind {
            EntryKind::File { hash, .. } => Some(hash),
            _ => None,
        })
    }

    /// Files only: count and total size (a manifest from elsewhere may claim sizes that add up
    /// past `u64::MAX`: the total then stops there).
    pub fn totals(&self) -> (u64, u64) {
        totals_of(&self.entries)
    }

    /// The canonical bytes stored in the cache.
    pub fn encode(&self) -> Vec<u8> {
        Self::encode_sorted(&self.entries)
    }

    /// The id of a manifest of `entries`, which must already be sorted by path bytes.
    pub fn id_of_sorted(entries: &[Entry]) -> ObjectId {
        debug_assert!(entries.windows(2).all(|w| w[0].path.as_bytes() < w[1].path.as_bytes()));
        hash_bytes(&Self::encode_sorted(entries))
    }

    fn encode_sorted(entries: &[Entry]) -> Vec<u8> {
        let entries = entries
            .iter()
            .map(|e| {
                let (path, path_hex) = split_name(e.path.as_bytes());
                let mut w = WireEntry { path, path_hex, ..WireEntry::default() };
                match &e.kind {
                    EntryKind::File { hash, size, executable } => {
                        w.hash = Some(*hash);
                        w.size = Some(*size);
                        w.exec = *executable;
                    }
                    EntryKind::Symlink { target } => {
                        let (t, t_hex) = split_name(target.as_os_str().as_bytes());
                        w.symlink = t;
                        w.symlink_hex = t_hex;
                    }
                    EntryKind::EmptyDir => w.dir = true,
                }
                w
            })
            .collect();
        serde_json::to_vec(&Wire { mlx_manifest: FORMAT, entries })
            .expect("a manifest always serializes")
    }

    pub fn id(&self) -> ObjectId {
        hash_bytes(&self.encode())
    }

    /// Parse and validate a manifest read from the object `id`.
    pub fn decode(id: ObjectId, bytes: &[u8]) -> Result<Self, Error> {
        let bad = |message: String| Error::BadManifest { id, message };
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if wire.mlx_manifest != FORMAT {
            return Err(bad(format!("unsupported manifest format {}", wire.mlx_manifest)));
        }
        let mut entries = Vec::with_capacity(wire.entries.len());
        for w in wire.entries {
            let raw = match (w.path, w.path_hex) {
                (Some(p), None) => p.into_bytes(),
                (None, Some(h)) => {
                    from_hex(&h).ok_or_else(|| bad(format!("bad path_hex {h:?}")))?
                }
                _ => return Err(bad("an entry needs exactly one of path, path_hex".into())),
            };
            let path = RelPath::from_bytes(&raw).map_err(|e| bad(e.to_string()))?;
            if path.as_bytes() != raw.as_slice() {
                return Err(bad(format!("path {} is not normalized", path.display())));
            }
            let kind = match (w.hash, w.size, w.symlink, w.symlink_hex, w.dir) {
                (Some(hash), Some(size), None, None, false) => {
                    EntryKind::File { hash, size, executable: w.exec }
                }
                (None, None, Some(t), None, false) => EntryKind::Symlink { target: t.into() },
                (None, None, None, Some(h), false) => {
                    let t = from_hex(&h).ok_or_else(|| bad(format!("bad symlink_hex {h:?}")))?;
                    EntryKind::Symlink {
                        target: Path::new(std::ffi::OsStr::from_bytes(&t)).to_path_buf(),
                    }
                }
                (None, None, None, None, true) => EntryKind::EmptyDir,
                _ => return Err(bad(format!("entry {} mixes file, symlink and dir fields", path))),
            };
            entries.push(Entry { path, kind });
        }
        let sorted_unique = entries.windows(2).all(|w| w[0].path.as_bytes() < w[1].path.as_bytes());
        if !sorted_unique {
            return Err(bad("entries are not sorted or contain duplicates".into()));
        }
        // Only folders have something below them: a path under a file, a symlink or an empty
        // folder would be written through what the entry above it makes.
        let leaves: std::collections::HashSet<&[u8]> =
            entries.iter().map(|e| e.path.as_bytes()).collect();
        for e in &entries {
            let mut up = e.path.parent();
            while let Some(p) = up {
                if leaves.contains(p.as_bytes()) {
                    return Err(bad(format!("entry {} lies below the entry {p}", e.path)));
                }
                up = p.parent();
            }
        }
        Ok(Manifest { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, data: &[u8]) -> Entry {
        Entry {
            path: RelPath::new(path).unwrap(),
            kind: EntryKind::File {
                hash: hash_bytes(data),
                size: data.len() as u64,
                executable: false,
            },
        }
    }

    #[test]
    fn encoding_is_canonical_and_pinned() {
        let a = Manifest::new(vec![file("b.txt", b"b"), file("a/x.bin", b"x")]);
        let b = Manifest::new(vec![file("a/x.bin", b"x"), file("b.txt", b"b")]);
        assert_eq!(a.encode(), b.encode());
        // Pinned: a change to the encoding must be deliberate (it changes every directory hash).
        assert_eq!(
            a.id().to_hex(),
            "05227ab6826848441563f85f01e5c290c4933008bce273b26404356ae36a100f",
            "encoding: {}",
            String::from_utf8_lossy(&a.encode())
        );
    }

    #[test]
    fn round_trips_all_kinds_and_non_utf8() {
        use std::ffi::OsStr;
        let odd = RelPath::new(Path::new(OsStr::from_bytes(b"caf\xe9.txt"))).unwrap();
        let m = Manifest::new(vec![
            file("x", b""),
            Entry { path: odd, kind: EntryKind::Symlink { target: "x".into() } },
            Entry { path: RelPath::new("empty").unwrap(), kind: EntryKind::EmptyDir },
        ]);
        let bytes = m.encode();
        assert_eq!(Manifest::decode(m.id(), &bytes).unwrap(), m);
    }

    /// Found by fuzzing: sizes that add up past `u64::MAX` panicked in debug builds.
    #[test]
    fn totals_of_huge_sizes_saturate() {
        let huge = |path: &str| Entry {
            path: RelPath::new(path).unwrap(),
            kind: EntryKind::File { hash: hash_bytes(b""), size: u64::MAX, executable: false },
        };
        assert_eq!(Manifest::new(vec![huge("a"), huge("b")]).totals(), (2, u64::MAX));
    }

    #[test]
    fn rejects_escaping_paths() {
        let id = hash_bytes(b"");
        for bad in [
            r#"{"mlx_manifest":1,"entries":[{"path":"../x","hash":"0000000000000000000000000000000000000000000000000000000000000000","size":1}]}"#,
            r#"{"mlx_manifest":1,"entries":[{"path":"/etc/passwd","dir":true}]}"#,
            r#"{"mlx_manifest":1,"entries":[{"path":"a","dir":true},{"path":"a","dir":true}]}"#,
            r#"{"mlx_manifest":1,"entries":[{"path":"x","symlink":"../evil"},{"path":"x/.ssh/k","hash":"0000000000000000000000000000000000000000000000000000000000000000","size":1}]}"#,
            r#"{"mlx_manifest":1,"entries":[{"path":"a","dir":true},{"path":"a/b","dir":true}]}"#,
            r#"{"mlx_manifest":1,"entries":[{"path":"f","hash":"0000000000000000000000000000000000000000000000000000000000000000","size":1},{"path":"f/g","dir":true}]}"#,
        ] {
            assert!(Manifest::decode(id, bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
