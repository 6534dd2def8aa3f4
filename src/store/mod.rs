//! The data store: object ids, hashing, the content-addressed cache, directory manifests,
//! pointer files, link strategies, the stat cache and workspace scanning.

pub mod cache;
pub mod chunks;
pub mod error;
pub mod hash;
pub mod link;
pub mod listing_index;
pub mod manifest;
pub mod object_id;
pub mod pointer;
pub mod stat_cache;
pub mod tree_stamp;
pub mod workspace;

pub use cache::{Cache, Staged};
pub use error::Error;
pub use hash::{hash_bytes, hash_file};
pub use link::{LinkType, Linker};
pub use manifest::Manifest;
pub use object_id::ObjectId;
pub use pointer::Pointer;
pub use stat_cache::StatCache;
