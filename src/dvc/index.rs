//! Reading objects from a DVC remote by the MD5 that `mlx import dvc` kept beside the BLAKE3 hash
//! (`dvc_md5` in a pointer or an `mlx.lock` out): a repository imported from DVC needs no
//! re-upload. When an object is missing from the mlx side of the remote, the fetch looks for
//! the DVC object (`files/md5/AB/CDEF…`, or DVC 2's `AB/CDEF…`), checks its MD5 and BLAKE3,
//! and for a folder reads the DVC listing, fetches each file and rebuilds the mlx manifest,
//! which must hash to the recorded one.
