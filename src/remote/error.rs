//! Errors of remote storage. Every message names the remote and its URL with any password
//! redacted; secrets never appear.

use std::path::PathBuf;

use super::url::Storage;
use crate::store::ObjectId;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The remote's settings cannot work (bad URL, missing bucket name, unknown option value).
    #[error("remote '{remote}': {message}")]
    Config { remote: String, message: String },
    /// The server refused our credentials (HTTP 401/403).
    #[error("remote '{remote}' ({url}): access denied: {detail}")]
    AccessDenied { remote: String, url: String, storage: Storage, detail: String },
    /// The bucket, container or folder the URL names does not exist.
    #[error("remote '{remote}' ({url}): {detail}")]
    Missing { remote: String, url: String, storage: Storage, detail: String },
    /// The server cannot be reached, or failed after retries.
    #[error("remote '{remote}' ({url}): {detail}")]
    Unreachable { remote: String, url: String, detail: String },
    /// An SSH server whose host key is unknown or changed (boxed: its details are long).
    #[error(transparent)]
    HostKey(Box<HostKeyError>),
    /// Writing to a plain HTTP remote.
    #[error("remote '{remote}' ({url}) is read-only (plain HTTP); push to a webdav:// URL instead")]
    ReadOnly { remote: String, url: String },
    /// An object whose bytes do not hash to its name: never enters the cache. `size`: the bytes
    /// the remote gave.
    #[error("object {id} on remote '{remote}' is corrupt: its content hashes to {actual}")]
    CorruptObject { remote: String, id: ObjectId, actual: ObjectId, size: u64 },
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
            Error::AccessDenied { remote, storage, .. } => Some(access_hint(remote, *storage)),
            Error::Missing { storage: Storage::Azure, .. } => {
                Some("create the container first, or fix the URL: mlx remote list".into())
            }
            Error::Missing { .. } => {
                Some("create the bucket or folder first, or fix the URL: mlx remote list".into())
            }
            Error::Unreachable { .. } => {
                Some("check the network and the endpoint, then run the command again: finished transfers are kept".into())
            }
            Error::CorruptObject { remote, .. } => Some(repair_hint(remote)),
            Error::HostKey(e) => Some(e.hint()),
            _ => None,
        }
    }
}

/// An SSH server's host key that does not match `~/.ssh/known_hosts`.
#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    /// No key is recorded for the server.
    #[error(
        "remote '{remote}' ({url}): the host key of {host} is not known (its fingerprint is \
         {fingerprint}); refusing to connect to a server that cannot be told from an impostor"
    )]
    Unknown {
        remote: String,
        url: String,
        /// `host` or `[host]:port`, as known_hosts names it.
        host: String,
        port: u16,
        fingerprint: String,
        /// Where its key would be recorded.
        known_hosts: PathBuf,
    },
    /// Another key of the same type is recorded for the server.
    #[error(
        "remote '{remote}' ({url}): the host key of {host} has CHANGED (it is now \
         {fingerprint}; {file}:{line} records another): someone may be intercepting the \
         connection, or the server was reinstalled; refusing to connect",
        file = .file.display()
    )]
    Changed {
        remote: String,
        url: String,
        host: String,
        fingerprint: String,
        file: PathBuf,
        line: usize,
    },
}

impl HostKeyError {
    fn hint(&self) -> String {
        match self {
            HostKeyError::Unknown { remote, host, port, known_hosts, .. } => {
                let bare = host.trim_start_matches('[').split(']').next().unwrap_or(host);
                format!(
                    "check the fingerprint with the server's administrator, then record the key: \
                     `ssh-keyscan -p {port} {bare} >> {}` (or connect once with `ssh`), or let \
                     mlx record keys of new servers: `mlx remote modify {remote} \
                     strict_host_key_checking accept-new`",
                    known_hosts.display()
                )
            }
            HostKeyError::Changed { host, file, .. } => format!(
                "if the server's key did change, remove the old one with `ssh-keygen -R '{host}' \
                 -f {}` and connect again; otherwise ask its administrator",
                file.display()
            ),
        }
    }
}

/// What repairs objects that a remote lacks or holds damaged: a push that re-reads what the
/// remote has, from a clone that has the data.
pub fn repair_hint(remote: &str) -> String {
    format!(
        "repair the remote from a clone that has the data: `mlx push --repair -r {remote}` \
         re-reads the remote's copies and replaces the damaged or missing ones; then fetch again"
    )
}

/// Where the credentials of a remote come from, by its kind of storage.
fn access_hint(remote: &str, storage: Storage) -> String {
    match storage {
        Storage::Gcs => format!(
            "check the credentials: a key file in GOOGLE_APPLICATION_CREDENTIALS, or an access \
             token (`gcloud auth print-access-token`) given with \
             `mlx remote modify {remote} token VALUE --local`"
        ),
        Storage::Azure => format!(
            "check the storage account and its key: `echo KEY | mlx remote modify {remote} \
             password - --local`"
        ),
        Storage::Webdav | Storage::Http => format!(
            "check the user and password: `mlx remote modify {remote} user NAME`, then \
             `echo PASSWORD | mlx remote modify {remote} password - --local`"
        ),
        Storage::Ssh => format!(
            "check the user and the key: `mlx remote modify {remote} user NAME`, \
             `mlx remote modify {remote} key_file ~/.ssh/KEY`, or add the key to the agent \
             (`ssh-add`); its public half must be in the server's ~/.ssh/authorized_keys"
        ),
        Storage::S3 | Storage::Local => format!(
            "check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the profile in \
             ~/.aws/credentials, or `mlx remote modify {remote} secret_access_key VALUE --local`"
        ),
    }
}

/// `msg` followed by the innermost cause of `e` (a refused connection, say) when `msg` does not
/// already say it, on one line.
pub(super) fn with_innermost_cause(msg: String, e: &dyn std::error::Error) -> String {
    let mut source = e.source();
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    match last {
        Some(cause) if !msg.contains(&cause) => format!("{msg}: {cause}"),
        _ => msg,
    }
    .replace('\n', " ")
}
