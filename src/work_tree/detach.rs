//! Making workspace files that share bytes with cache objects (hardlinks, symlinks into the
//! cache) private, writable copies: `mlx unprotect`, and `mlx rm` before it stops tracking.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::error::Result;
use crate::fs_util;
use crate::project::Project;
use crate::store::ObjectId;

/// Replace the files under `abs` (a file or a folder) that share bytes with cache objects by
/// private writable copies (their executable bit kept). Returns each file replaced with the
/// object it held. The caller passed `abs` through the work tree's gate.
pub fn detach(project: &Project, abs: &Path) -> Result<Vec<(PathBuf, ObjectId)>> {
    let cache = project.cache();
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(abs).follow_links(false) {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        let meta = fs::symlink_metadata(path)?;
        let object = if meta.file_type().is_symlink() {
            let to = fs::read_link(path)?;
            cache.id_of_path(&to).map(|id| (to, id, false))
        } else if meta.is_file() && meta.nlink() > 1 && meta.mode() & 0o222 == 0 {
            // Read-only with other links: a hardlink checkout if the cache holds this inode.
            let id = crate::store::hash_file(path)?;
            let obj = cache.object_path(&id);
            fs::metadata(&obj)
                .ok()
                .filter(|o| o.ino() == meta.ino() && o.dev() == meta.dev())
                .map(|_| (obj, id, meta.mode() & 0o111 != 0))
        } else {
            None
        };
        if let Some((object, id, executable)) = object {
            let tmp = fs_util::temp_path(path);
            match fs_util::copy_new(&object, &tmp, executable) {
                Err(e) if fs_util::crosses_devices(&e) => {
                    let tmp = fs_util::temp_sibling(path);
                    fs_util::copy_new(&object, &tmp, executable)?;
                    fs::rename(&tmp, path)?;
                }
                Err(e) => return Err(crate::store::Error::Io(e).into()),
                Ok(_) => {
                    crate::fault::point("unprotect.rename");
                    if let Err(e) = fs::rename(&tmp, path) {
                        let _ = std::fs::remove_file(&tmp);
                        return Err(crate::store::Error::Io(e).into());
                    }
                }
            }
            out.push((path.to_path_buf(), id));
        }
    }
    Ok(out)
}
