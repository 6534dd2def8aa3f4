//! DVC's cache and remotes share one layout of objects named by MD5: DVC 3 keeps them under
//! `files/md5/AB/CDEF…`, DVC 2 (and DVC 3 for data DVC 2 added) under `AB/CDEF…`. A folder's
//! listing is an object too, named `HASH.dir`: a JSON list of `{"md5", "relpath"}`.

use std::path::{Path, PathBuf};

use super::md5::{self, DirEntry};
use crate::project_path::RelPath;

/// Where an object named `md5` may be, relative to a cache or remote root: the DVC 3 layout
/// first unless the entry was written by DVC 2. `None` for a name that is not an MD5.
pub fn object_keys(md5_name: &str, legacy: bool) -> Option<[String; 2]> {
    if !md5::is_md5(md5_name) {
        return None;
    }
    let (a, b) = md5_name.split_at(2);
    let v3 = format!("files/md5/{a}/{b}");
    let v2 = format!("{a}/{b}");
    Some(if legacy { [v2, v3] } else { [v3, v2] })
}

/// Why a folder listing cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error("the folder listing {md5} is corrupt: its content hashes to {actual}")]
    Corrupt { md5: String, actual: String },
    #[error("the folder listing {md5} does not parse: {message}")]
    Invalid { md5: String, message: String },
}

/// Parse a folder listing read from a cache or remote, checking it against its name and every
/// path in it (a listing naming `..` or an absolute path is refused).
pub fn parse_listing(md5_name: &str, bytes: &[u8]) -> Result<Vec<DirEntry>, ListingError> {
    let actual = format!("{}{}", md5::hex(&md5::md5_bytes(bytes)), md5::DIR_SUFFIX);
    if actual != md5_name {
        return Err(ListingError::Corrupt { md5: md5_name.to_owned(), actual });
    }
    let invalid = |message: String| ListingError::Invalid { md5: md5_name.to_owned(), message };
    let entries: Vec<DirEntry> =
        serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    for e in &entries {
        if !md5::is_md5(&e.md5) || e.md5.ends_with(md5::DIR_SUFFIX) {
            return Err(invalid(format!("{:?} is not an MD5", e.md5)));
        }
        let rel = RelPath::new(&e.relpath).map_err(|err| invalid(err.to_string()))?;
        if rel.as_path() != Path::new(&e.relpath) {
            return Err(invalid(format!("{:?} is not a plain relative path", e.relpath)));
        }
    }
    Ok(entries)
}

/// A local DVC cache folder (`.dvc/cache`).
pub struct DvcCache {
    dir: PathBuf,
}

impl DvcCache {
    pub fn new(dir: PathBuf) -> Self {
        DvcCache { dir }
    }

    /// The file holding the object `md5`, when the cache has it (a regular file, not a link).
    pub fn object_path(&self, md5_name: &str, legacy: bool) -> Option<PathBuf> {
        object_keys(md5_name, legacy)?
            .into_iter()
            .map(|k| self.dir.join(k))
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
    }

    /// A folder listing from the cache: `Ok(None)` when the cache lacks it.
    pub fn listing(
        &self,
        md5_name: &str,
        legacy: bool,
    ) -> Result<Option<Vec<DirEntry>>, ListingError> {
        let Some(path) = self.object_path(md5_name, legacy) else { return Ok(None) };
        let Ok(bytes) = std::fs::read(&path) else { return Ok(None) };
        parse_listing(md5_name, &bytes).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_for_both_layouts() {
        let [a, b] = object_keys("60b725f10c9c85c70d97880dfe8191b3", false).unwrap();
        assert_eq!(a, "files/md5/60/b725f10c9c85c70d97880dfe8191b3");
        assert_eq!(b, "60/b725f10c9c85c70d97880dfe8191b3");
        assert!(object_keys("../x", false).is_none());
    }

    #[test]
    fn listings_are_checked() {
        let bytes = br#"[{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "a.txt"}, {"md5": "3b5d5c3712955042212316173ccf37be", "relpath": "b.txt"}]"#;
        assert_eq!(parse_listing("6ea46d53348e675e87743182f72de908.dir", bytes).unwrap().len(), 2);
        assert!(parse_listing("6ea46d53348e675e87743182f72de909.dir", bytes).is_err());
        let evil = br#"[{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "../a"}]"#;
        let name = format!("{}.dir", md5::hex(&md5::md5_bytes(evil)));
        assert!(parse_listing(&name, evil).is_err());
    }
}
