//! Remote storage for cache objects and run records: a local or mounted folder, S3-compatible
//! stores, WebDAV, plain HTTP (read-only), GCS, Azure and SSH (SFTP). The layout is the cache's
//! (`<prefix>/<2 hex>/<62 hex>`), plus run records under `<prefix>/runs/`.

pub mod chunked;
pub mod dal;
pub mod error;
pub mod local;
pub mod ssh;
pub mod storage;
pub mod transfers;
pub mod url;
pub mod webdav;

pub use error::Error;
pub use storage::Remote;
