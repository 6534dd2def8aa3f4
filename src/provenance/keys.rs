//! Reading ed25519 keys: PKCS#8 PEM (`openssl genpkey -algorithm ed25519`), SubjectPublicKeyInfo
//! PEM (`openssl pkey -pubout`), and OpenSSH's private and public key files (`ssh-keygen -t
//! ed25519`). A key file's contents are a secret: no error quotes them, nor the messages of
//! the parsers that read them.

use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use ed25519_dalek::{SigningKey, VerifyingKey};
use russh::keys::ssh_key;

use super::Error;

/// What a key file holds, from its first line.
enum Form<'a> {
    Pkcs8(&'a str),
    Spki(&'a str),
    OpenSshPrivate(&'a str),
    OpenSshPublic(&'a str),
    Other(&'static str),
}

fn form(text: &str) -> Form<'_> {
    let t = text.trim_start();
    if t.starts_with("-----BEGIN PRIVATE KEY-----") {
        Form::Pkcs8(t)
    } else if t.starts_with("-----BEGIN PUBLIC KEY-----") {
        Form::Spki(t)
    } else if t.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        Form::OpenSshPrivate(t)
    } else if t.starts_with("ssh-") || t.starts_with("ecdsa-") {
        Form::OpenSshPublic(t)
    } else if t.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        Form::Other("an RSA private key; mlx signs with ed25519 keys")
    } else if t.starts_with("-----BEGIN EC PRIVATE KEY-----") {
        Form::Other("an EC private key; mlx signs with ed25519 keys")
    } else if t.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        Form::Other("an RSA public key; mlx signs with ed25519 keys")
    } else if t.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        Form::Other(
            "an encrypted private key; decrypt it first (openssl pkey -in KEY -out PLAIN), or \
             use a key without a passphrase",
        )
    } else if t.starts_with("-----BEGIN CERTIFICATE-----") {
        Form::Other("a certificate, not a key")
    } else {
        Form::Other(
            "not a key file mlx reads (PKCS#8 PEM as openssl genpkey -algorithm ed25519 writes, \
             a PUBLIC KEY PEM, or an OpenSSH ed25519 key)",
        )
    }
}

fn read(path: &Path) -> Result<String, Error> {
    let shown = path.display().to_string();
    let bytes = fs_err::read(path)
        .map_err(|e| Error::ReadKey { path: shown.clone(), source: strip_io(e) })?;
    String::from_utf8(bytes).map_err(|_| Error::BadKey {
        path: shown,
        why: "not a text key file (PEM or OpenSSH)".into(),
    })
}

/// An IO error without fs-err's decoration (the path is shown once, by the caller).
fn strip_io(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), e.kind().to_string())
}

fn bad(path: &Path, why: impl Into<String>) -> Error {
    Error::BadKey { path: path.display().to_string(), why: why.into() }
}

/// The ed25519 private key in `path`, to sign with.
pub fn signing_key(path: &Path) -> Result<SigningKey, Error> {
    let text = read(path)?;
    match form(&text) {
        Form::Pkcs8(pem) => SigningKey::from_pkcs8_pem(pem).map_err(|_| {
            bad(path, "a PKCS#8 private key, but not an ed25519 one (RSA or EC, say), or damaged")
        }),
        Form::OpenSshPrivate(pem) => openssh_private(path, pem),
        Form::Spki(_) | Form::OpenSshPublic(_) => {
            Err(bad(path, "a public key; signing needs the private key"))
        }
        Form::Other(why) => Err(bad(path, why)),
    }
}

fn openssh_private(path: &Path, pem: &str) -> Result<SigningKey, Error> {
    let key = ssh_key::PrivateKey::from_openssh(pem)
        .map_err(|_| bad(path, "an OpenSSH private key that cannot be read (damaged?)"))?;
    if key.is_encrypted() {
        return Err(bad(
            path,
            "an OpenSSH private key with a passphrase; remove it first (ssh-keygen -p), or use \
             a key without one",
        ));
    }
    match key.key_data().ed25519() {
        Some(pair) => Ok(SigningKey::from_bytes(&pair.private.to_bytes())),
        None => Err(bad(
            path,
            format!("an OpenSSH {} key; mlx signs with ed25519 keys", key.algorithm().as_str()),
        )),
    }
}

/// The ed25519 public key in `path`, to check signatures with: a public key file, or a
/// private one (its public half).
pub fn verifying_key(path: &Path) -> Result<VerifyingKey, Error> {
    let text = read(path)?;
    match form(&text) {
        Form::Spki(pem) => VerifyingKey::from_public_key_pem(pem).map_err(|_| {
            bad(path, "a public key, but not an ed25519 one (RSA or EC, say), or damaged")
        }),
        Form::OpenSshPublic(line) => {
            let key = ssh_key::PublicKey::from_openssh(line.trim())
                .map_err(|_| bad(path, "an OpenSSH public key that cannot be read (damaged?)"))?;
            match key.key_data().ed25519() {
                Some(k) => VerifyingKey::from_bytes(&k.0)
                    .map_err(|_| bad(path, "an ed25519 public key that is not a valid point")),
                None => Err(bad(
                    path,
                    format!(
                        "an OpenSSH {} key; mlx checks ed25519 signatures",
                        key.algorithm().as_str()
                    ),
                )),
            }
        }
        Form::Pkcs8(_) | Form::OpenSshPrivate(_) => Ok(signing_key(path)?.verifying_key()),
        Form::Other(why) => Err(bad(path, why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_kinds_say_what_they_are_and_never_quote_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "TOPSECRETCONTENT";
        for (text, says) in [
            (format!("-----BEGIN RSA PRIVATE KEY-----\n{secret}\n"), "RSA"),
            (format!("-----BEGIN EC PRIVATE KEY-----\n{secret}\n"), "EC"),
            (
                format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n"),
                "not an ed25519",
            ),
            (format!("garbage {secret}"), "not a key file"),
            (format!("-----BEGIN PUBLIC KEY-----\n{secret}\n"), "public key"),
        ] {
            let f = dir.path().join("k");
            std::fs::write(&f, &text).unwrap();
            let e = signing_key(&f).unwrap_err();
            let shown = format!("{e} {:?}", e);
            assert!(shown.contains(says), "{shown}");
            assert!(!shown.contains(secret), "{shown}");
            assert!(e.is_input_error());
        }
    }
}
