//! Signed provenance: an artifact's lineage as an in-toto Statement (v1) with a SLSA Provenance
//! (v1) predicate (`statement`), wrapped in a DSSE envelope signed with an ed25519 key (`dsse`,
//! `keys`), and checked again: the signature, then each subject and input re-hashed wherever a
//! copy is found (`check`). This module never prints and never writes files; the operations
//! `attest` and `verify` do.

pub mod check;
pub mod dsse;
pub mod keys;
pub mod statement;

use std::io::Read;
use std::path::Path;

/// in-toto's Statement type, v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA's Provenance predicate, v1.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// The payload type of a DSSE envelope holding an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The build type of a statement mlx writes: what `buildDefinition` holds (docs/provenance.md).
pub const BUILD_TYPE: &str = "https://mlx.dev/provenance/stage/v1";
/// The builder: mlx, running the stage's command on the machine that recorded the run.
pub const BUILDER_ID: &str = "https://mlx.dev/builder/local/v1";

/// Why a statement, an envelope or a key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key file that is not an ed25519 key of the kind needed. The file's contents are a
    /// secret: `why` never quotes them.
    #[error("key file {path}: {why}")]
    BadKey { path: String, why: String },
    #[error("cannot read key file {path}: {source}")]
    ReadKey { path: String, source: std::io::Error },
    /// What `mlx verify` was given is not an in-toto statement or envelope it can check.
    #[error("{file}: {why}")]
    BadInput { file: String, why: String },
    /// `--rev` with a model version, which is read at its own commit.
    #[error(
        "{target} is a model version, read at the commit it was registered on: --rev does not apply"
    )]
    RevWithModel { target: String },
    /// `mlx attest` on something without recorded content.
    #[error("{path} has no recorded content to attest: {why}")]
    NothingToAttest { path: String, why: String },
}

impl Error {
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::ReadKey { .. })
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::BadKey { .. } => Some(
                "make an ed25519 key with: openssl genpkey -algorithm ed25519 -out key.pem \
                 (its public half: openssl pkey -in key.pem -pubout -out key.pub.pem)"
                    .into(),
            ),
            Error::NothingToAttest { .. } => Some(
                "attest a stage output (declared in mlx.toml, recorded in mlx.lock), data \
                 tracked with mlx add, or a model version (NAME@VERSION)"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// SHA-256 and BLAKE3 of a file's bytes, as lowercase hex, read once.
pub fn digests_of_file(path: &Path) -> std::io::Result<Digests> {
    use sha2::Digest as _;
    let mut file = fs_err::File::open(path)?;
    let mut sha = sha2::Sha256::new();
    let mut b3 = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        b3.update(&buf[..n]);
    }
    Ok(Digests { sha256: hex(&sha.finalize()), blake3: b3.finalize().to_hex().to_string() })
}

/// SHA-256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(bytes))
}

/// The two digests mlx gives a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub sha256: String,
    pub blake3: String,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"abc").unwrap();
        let d = digests_of_file(&f).unwrap();
        assert_eq!(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(d.blake3, blake3::hash(b"abc").to_hex().to_string());
        assert_eq!(sha256_hex(b"abc"), d.sha256);
    }
}
