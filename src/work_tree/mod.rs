//! The work tree: what is tracked in it (pointers and `mlx.lock` outputs), how each tracked
//! path compares with its pointer (and which version a run found), how the cache's content is put back (restore) and taken in
//! (snapshot), the `.gitignore` lines beside tracked paths, and the one gate every write into
//! it passes. Operations and the pipeline engine share these pieces; nothing here prints.

pub mod compare;
pub mod detach;
mod gate;
pub mod gitignore;
pub mod output;
pub mod restore;
pub mod snapshot;
pub mod tracked;
pub mod versions;

pub use gate::{Owner, WorkTree, check_data_path, check_not_reserved, reserved_owner};
