//! Putting cache objects into the workspace: reflink, hardlink, symlink or copy, in the order
//! `[cache] type` gives, remembering which kinds this filesystem refuses.
//!
//! Every placement makes a temp file (in the process's staging folder, see
//! [`fs_util::temp_path`], or beside the destination) and renames it over the destination, so a
//! crash never leaves a half-written file under a tracked name, nor a temp file in the work
//! tree (except where the staging folder is on another mount). A copy to a name nothing holds
//! is made as an unnamed file in its folder instead, named once whole: the same guarantee
//! without the temp name and the rename.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use fs_err as fs;
use serde::{Deserialize, Serialize};

use crate::fs_util;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum LinkType {
    Reflink,
    Hardlink,
    Symlink,
    Copy,
}

impl LinkType {
    pub const ALL: [LinkType; 4] =
        [LinkType::Reflink, LinkType::Hardlink, LinkType::Symlink, LinkType::Copy];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkType::Reflink => "reflink",
            LinkType::Hardlink => "hardlink",
            LinkType::Symlink => "symlink",
            LinkType::Copy => "copy",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether the workspace file shares its bytes with the cache object (edits would reach it).
    pub fn shares_object(self) -> bool {
        matches!(self, LinkType::Hardlink | LinkType::Symlink)
    }
}

/// The default: a private copy-on-write clone where the filesystem can, else a plain copy.
const DEFAULT_TYPES: [LinkType; 2] = [LinkType::Reflink, LinkType::Copy];

/// Make a new file `dest` (which must not exist) from `object` with link type `t`: the one
/// attempt [`Linker::place`] makes per type. The OS error survives, so a caller can tell a
/// filesystem that refuses the type from a real failure (`mlx doctor` probes with it).
pub fn link_as(t: LinkType, object: &Path, dest: &Path, executable: bool) -> io::Result<()> {
    match t {
        LinkType::Reflink => reflink_copy::reflink(object, dest).and_then(|()| {
            let mode = if executable { 0o755 } else { 0o644 };
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dest, std::fs::Permissions::from_mode(mode))
        }),
        LinkType::Hardlink => std::fs::hard_link(object, dest),
        LinkType::Symlink => std::os::unix::fs::symlink(object, dest),
        LinkType::Copy => fs_util::copy_new(object, dest, executable).map(|_| ()),
    }
}

/// Set once the kernel or filesystem refuses unnamed files (`O_TMPFILE`) or `/proc` is missing.
static NO_UNNAMED: AtomicBool = AtomicBool::new(false);

/// Copy `object` to `dest`, where nothing is expected, as an unnamed file (`O_TMPFILE`) in
/// `dest`'s folder that is given its name only once whole (`linkat` through `/proc/self/fd`): a
/// kill leaves nothing behind, as the temp file and rename of [`Linker::place`] ensure, for one
/// directory entry made instead of a temp name, a rename and a removal. `Ok(false)` when this
/// cannot be done here (no unnamed files on this filesystem or kernel, no `/proc`, or something
/// at `dest` after all): the caller then places it the usual way.
fn copy_unnamed(object: &Path, dest: &Path, executable: bool) -> io::Result<bool> {
    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;
    use std::os::fd::AsRawFd;
    if NO_UNNAMED.load(Ordering::Relaxed) {
        return Ok(false);
    }
    let Some(folder) = dest.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(false);
    };
    let mode = Mode::from_raw_mode(if executable { 0o755 } else { 0o644 });
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(folder, flags, mode) {
        Ok(fd) => fd,
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOSYS) => {
            NO_UNNAMED.store(true, Ordering::Relaxed);
            return Ok(false);
        }
        // Whatever else is wrong, the usual way says it with the paths involved.
        Err(_) => return Ok(false),
    };
    let mut to = std::fs::File::from(fd);
    let mut from = fs::File::open(object)?;
    io::copy(from.file_mut(), &mut to).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("failed to copy {} to {}: {e}", object.display(), dest.display()),
        )
    })?;
    crate::fault::point("workspace.name");
    let proc = format!("/proc/self/fd/{}", to.as_raw_fd());
    match rustix::fs::linkat(CWD, proc.as_str(), CWD, dest, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => Ok(false),
        // The usual way reports a real failure with the paths involved.
        Err(_) => {
            if !Path::new("/proc/self/fd").is_dir() {
                NO_UNNAMED.store(true, Ordering::Relaxed);
            }
            Ok(false)
        }
    }
}

/// Places objects using the first configured link type that works.
pub struct Linker {
    types: Vec<LinkType>,
    refused: [AtomicBool; 4],
}

/// Errors that mean "this filesystem cannot do that kind of link", not a real failure.
/// (The attempts below use `std::fs` directly so the OS error code survives.)
pub(crate) fn refused_by_filesystem(e: &io::Error) -> bool {
    use rustix::io::Errno;
    match Errno::from_io_error(e) {
        Some(errno) => [
            Errno::XDEV,
            Errno::OPNOTSUPP,
            Errno::PERM,
            Errno::INVAL,
            Errno::NOSYS,
            Errno::MLINK,
            Errno::BADF,
        ]
        .contains(&errno),
        None => e.kind() == io::ErrorKind::Unsupported,
    }
}

fn too_many_links(e: &io::Error) -> bool {
    rustix::io::Errno::from_io_error(e) == Some(rustix::io::Errno::MLINK)
}

impl Linker {
    pub fn new(types: &[LinkType]) -> Self {
        let mut types = types.to_vec();
        if types.is_empty() {
            types = DEFAULT_TYPES.to_vec();
        }
        Linker { types, refused: Default::default() }
    }

    pub fn types(&self) -> &[LinkType] {
        &self.types
    }

    /// The first configured type not yet refused by the filesystem.
    pub fn preferred(&self) -> LinkType {
        self.types.iter().copied().find(|t| !self.is_refused(*t)).unwrap_or(LinkType::Copy)
    }

    pub fn is_refused(&self, t: LinkType) -> bool {
        self.refused[t.index()].load(Ordering::Relaxed)
    }

    pub fn refuse(&self, t: LinkType) {
        self.refused[t.index()].store(true, Ordering::Relaxed);
    }

    /// The first configured type not refused here that can place this file (an executable file
    /// cannot share the object).
    fn first_usable(&self, executable: bool) -> Option<LinkType> {
        self.types
            .iter()
            .copied()
            .find(|t| !(self.is_refused(*t) || executable && t.shares_object()))
    }

    /// Replace whatever is at `dest` with the object at `object` (an absolute path).
    /// Hardlinks and symlinks are skipped for executable files: an object is shared read-only
    /// and cannot carry a per-file mode. Returns the type used.
    pub fn place(&self, object: &Path, dest: &Path, executable: bool) -> io::Result<LinkType> {
        // Where nothing is in the way, a hard or symbolic link is made at its name directly: it
        // appears whole or not at all, so the temp file and rename below are not needed.
        if let Some(t @ (LinkType::Hardlink | LinkType::Symlink)) = self.first_usable(executable) {
            match link_as(t, object, dest, executable) {
                Ok(()) => {
                    crate::fault::point("workspace.place");
                    return Ok(t);
                }
                // Something is there (replaced atomically below), or the filesystem refuses
                // this link type (noted below).
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists || refused_by_filesystem(&e) => {
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("failed to place {} ({}): {e}", dest.display(), t.as_str()),
                    ));
                }
            }
        }
        match self.place_via(&fs_util::temp_path(dest), object, dest, executable) {
            // The staging folder turned out to be on another mount: make the temp file beside.
            Err(e) if fs_util::crosses_devices(&e) => {
                self.place_via(&fs_util::temp_sibling(dest), object, dest, executable)
            }
            other => other,
        }
    }

    /// [`Linker::place`] where nothing is believed to be at `dest`: a copy is then made as an
    /// unnamed file in `dest`'s folder and named once whole (see [`copy_unnamed`]), with no
    /// temp name and no rename. Anything found at `dest` after all is replaced as `place` does.
    pub fn place_new(&self, object: &Path, dest: &Path, executable: bool) -> io::Result<LinkType> {
        if matches!(self.first_usable(executable), Some(LinkType::Copy) | None)
            && copy_unnamed(object, dest, executable)?
        {
            return Ok(LinkType::Copy);
        }
        self.place(object, dest, executable)
    }

    /// [`Linker::place`] through the temp file `tmp`. A rename that crosses mounts fails with
    /// the bare OS error, so the caller can try again beside the destination.
    fn place_via(
        &self,
        tmp: &Path,
        object: &Path,
        dest: &Path,
        executable: bool,
    ) -> io::Result<LinkType> {
        let mut last_err = None;
        let candidates = self.types.iter().copied().chain(std::iter::once(LinkType::Copy));
        for t in candidates {
            if self.is_refused(t) || (executable && t.shares_object()) {
                continue;
            }
            match link_as(t, object, tmp, executable) {
                Ok(()) => {
                    crate::fault::point("workspace.place");
                    if let Err(e) = std::fs::rename(tmp, dest) {
                        let _ = std::fs::remove_file(tmp);
                        if fs_util::crosses_devices(&e) {
                            return Err(e);
                        }
                        return Err(io::Error::new(
                            e.kind(),
                            format!("failed to place {}: {e}", dest.display()),
                        ));
                    }
                    return Ok(t);
                }
                Err(e) => {
                    let _ = std::fs::remove_file(tmp);
                    if t == LinkType::Copy || !refused_by_filesystem(&e) {
                        return Err(io::Error::new(
                            e.kind(),
                            format!("failed to place {} ({}): {e}", dest.display(), t.as_str()),
                        ));
                    }
                    if !too_many_links(&e) {
                        self.refuse(t);
                    }
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("no link type available")))
    }
}
