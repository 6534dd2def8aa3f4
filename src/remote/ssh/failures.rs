//! How SFTP requests of an SSH remote fail: a broken connection (tried again on a new one) or
//! the server's answer (final), turned into remote errors that name the path and the server.

use std::future::Future;
use std::time::Duration;

use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::StatusCode;

use super::connect::Conn;
use super::{SshDir, dir_path};
use crate::remote::Error;

/// A failed SFTP request: the connection broke (try again on a new one), or the server
/// answered no.
pub(super) enum OpError {
    Lost(String),
    Final(Error),
}

pub(super) type OpResult<T> = Result<T, OpError>;

impl SshDir {
    /// An SFTP error as ours: a broken connection, or the server's answer about `path`.
    pub(super) fn op_err(&self, path: &str, e: SftpError) -> OpError {
        let server = self.target.server();
        let path = dir_path(path);
        match e {
            SftpError::Status(status) => match status.status_code {
                StatusCode::NoSuchFile => {
                    OpError::Final(self.names.missing(format!("{path} does not exist on {server}")))
                }
                StatusCode::PermissionDenied => OpError::Final(
                    self.names
                        .denied(format!("{server} does not let this user write or read {path}")),
                ),
                StatusCode::NoConnection | StatusCode::ConnectionLost => {
                    OpError::Lost(status.error_message)
                }
                code => {
                    let message = if status.error_message.is_empty() {
                        code.to_string()
                    } else {
                        status.error_message
                    };
                    OpError::Final(self.names.unreachable(format!("{server}: {path}: {message}")))
                }
            },
            other => OpError::Lost(other.to_string()),
        }
    }

    /// An error of reading or writing an open remote file.
    pub(super) fn io_err(&self, path: &str, e: &std::io::Error) -> OpError {
        if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<SftpError>()) {
            return self.op_err(path, inner.clone());
        }
        OpError::Lost(e.to_string())
    }
}

/// `op`, or a lost connection as soon as the session ends (the server went away while a
/// request waited for its answer, which would otherwise wait for its timeout).
pub(super) async fn until_closed<T>(
    conn: &Conn,
    op: impl Future<Output = OpResult<T>>,
) -> OpResult<T> {
    let closed = async {
        while !conn.handle.is_closed() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        result = op => result,
        () = closed => Err(OpError::Lost("the server closed the connection".to_owned())),
    }
}

pub(super) fn is_missing(e: &SftpError) -> bool {
    matches!(e, SftpError::Status(s) if s.status_code == StatusCode::NoSuchFile)
}
