//! Errors of remote storage. Every message names the remote and its URL with any password
//! redacted; secrets never appear.

use std::path::PathBuf;

use crate::store::ObjectId;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The remote's settings cannot work (bad URL, missing bucket name, unknown option value).
    #[error("remote '{remote}': {message}")]
    Config { remote: String, message: String },
    /// The server refused our credentials (HTTP 401/403).
    #[error("remote '{remote}' ({url}): access denied: {detail}")]
    AccessDenied { remote: String, url: String, detail: String },
    /// The bucket, container or folder the URL names does not exist.
    #[error("remote '{remote}' ({url}): {detail}")]
    Missing { remote: String, url: String, detail: String },
    /// The server cannot be reached, or failed after retries.
    #[error("remote '{remote}' ({url}): {detail}")]
    Unreachable { remote: String, url: String, detail: String },
    /// Writing to a plain HTTP remote.
    #[error("remote '{remote}' ({url}) is read-only (plain HTTP); push to a webdav:// URL instead")]
    ReadOnly { remote: String, url: String },
    /// An object whose bytes do not hash to its name: never enters the cache.
    #[error("object {id} on remote '{remote}' is corrupt: its content hashes to {actual}")]
    CorruptObject { remote: String, id: ObjectId, actual: ObjectId },
    #[error("{path}: {source}")]
    LocalIo { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Settings the user must fix (exit 2); everything else is a storage or IO failure (exit 3).
    pub fn is_input_error(&self) -> bool {
        matches!(self, Error::Config { .. } | Error::ReadOnly { .. })
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::AccessDenied { remote, url, .. } => Some(access_hint(remote, url)),
            Error::Missing { url, .. } if url.starts_with("azure://") => {
                Some("create the container first, or fix the URL: mlx remote list".into())
            }
            Error::Missing { .. } => {
                Some("create the bucket or folder first, or fix the URL: mlx remote list".into())
            }
            Error::Unreachable { .. } => {
                Some("check the network and the endpoint, then run the command again: finished transfers are kept".into())
            }
            Error::CorruptObject { .. } => Some(
                "the remote copy is damaged: push it again from a clone that has it (mlx push)"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Where the credentials of a remote come from, by its kind (read off its redacted URL).
fn access_hint(remote: &str, url: &str) -> String {
    if url.starts_with("gs://") {
        format!(
            "check the credentials: a key file in GOOGLE_APPLICATION_CREDENTIALS, or an access \
             token (`gcloud auth print-access-token`) given with \
             `mlx remote modify {remote} token VALUE --local`"
        )
    } else if url.starts_with("azure://") {
        format!(
            "check the storage account and its key: `echo KEY | mlx remote modify {remote} \
             password - --local`"
        )
    } else if url.starts_with("webdav") || url.starts_with("http") {
        format!(
            "check the user and password: `mlx remote modify {remote} user NAME`, then \
             `echo PASSWORD | mlx remote modify {remote} password - --local`"
        )
    } else {
        format!(
            "check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the profile in \
             ~/.aws/credentials, or `mlx remote modify {remote} secret_access_key VALUE --local`"
        )
    }
}
