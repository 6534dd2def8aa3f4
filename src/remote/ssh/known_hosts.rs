//! OpenSSH `known_hosts` files: whether a server's host key is the one recorded for its name,
//! and recording the key of a new server. The format is OpenSSH's (sshd(8), "SSH_KNOWN_HOSTS
//! FILE FORMAT"): `[host]:port` for a port other than 22, comma-separated patterns with `*`, `?`
//! and `!`, hashed names (`|1|salt|hash`, HMAC-SHA1), and the `@revoked` marker. Lines that do
//! not parse (a key type this client does not know, say) are skipped, not fatal.

use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use russh::keys::PublicKey;
use russh::keys::ssh_key::known_hosts::{Entry, HostPatterns, Marker};

use super::config::glob;

/// What the known_hosts files say about a server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A line holds this very key for the name.
    Known,
    /// No line holds a key of this type for the name.
    Unknown,
    /// A line holds another key of the same type for the name: the server's key changed, or
    /// someone is in the middle.
    Changed { file: PathBuf, line: usize },
    /// A `@revoked` line holds this key.
    Revoked { file: PathBuf, line: usize },
}

/// The name a server is recorded under: `host`, or `[host]:port` for a port other than 22.
pub fn host_name(host: &str, port: u16) -> String {
    if port == 22 { host.to_owned() } else { format!("[{host}]:{port}") }
}

/// Look `key` up for `host`:`port` in `files` (missing or unreadable files hold nothing).
pub fn check(files: &[PathBuf], host: &str, port: u16, key: &PublicKey) -> Verdict {
    let name = host_name(host, port);
    let mut changed = None;
    let mut known = false;
    for file in files {
        let Ok(text) = fs_err::read_to_string(file) else { continue };
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Ok(entry) = trimmed.parse::<Entry>() else { continue };
            if !names_match(entry.host_patterns(), &name) {
                continue;
            }
            let same = entry.public_key().key_data() == key.key_data();
            match entry.marker() {
                Some(Marker::Revoked) if same => {
                    return Verdict::Revoked { file: file.clone(), line: line_no };
                }
                Some(_) => {}
                None if same => known = true,
                None if entry.public_key().algorithm() == key.algorithm() => {
                    changed.get_or_insert((file.clone(), line_no));
                }
                None => {}
            }
        }
    }
    match (known, changed) {
        (true, _) => Verdict::Known,
        (false, Some((file, line))) => Verdict::Changed { file, line },
        (false, None) => Verdict::Unknown,
    }
}

/// Append `key` for `host`:`port` to `file` (and create its folder, private to the user, when
/// missing), as `ssh` does with `StrictHostKeyChecking accept-new`.
pub fn learn(file: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    if let Some(dir) = file.parent()
        && !dir.exists()
    {
        fs_err::create_dir_all(dir)?;
        use std::os::unix::fs::PermissionsExt;
        fs_err::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let bare = PublicKey::new(key.key_data().clone(), "");
    let encoded = bare.to_openssh().map_err(std::io::Error::other)?;
    let mut f = fs_err::OpenOptions::new().create(true).append(true).read(true).open(file)?;
    let ends_in_newline = {
        let text = fs_err::read(file)?;
        text.last().is_none_or(|b| *b == b'\n')
    };
    let sep = if ends_in_newline { "" } else { "\n" };
    writeln!(f, "{sep}{} {encoded}", host_name(host, port))?;
    f.sync_all()
}

/// Whether an entry's host patterns name `name` (`host` or `[host]:port`).
fn names_match(patterns: &HostPatterns, name: &str) -> bool {
    match patterns {
        HostPatterns::HashedName { salt, hash } => {
            let Ok(mac) = Hmac::<sha1::Sha1>::new_from_slice(salt) else { return false };
            mac.chain_update(name.as_bytes()).verify_slice(hash).is_ok()
        }
        HostPatterns::Patterns(list) => {
            let mut matched = false;
            for pattern in list {
                match pattern.strip_prefix('!') {
                    Some(negated) if glob(negated, name) => return false,
                    Some(_) => {}
                    None => matched |= glob(pattern, name),
                }
            }
            matched
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFcEYPYa7NZrxhk+5GKxQLfzWeTmEzxyOAEtuYcJHtvM";
    const ED_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGj0YImOcMuwhdSbN2PZuCjNyDLyaAzaN/ipW4ATCGIJ";

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).unwrap()
    }

    fn file(dir: &Path, text: &str) -> Vec<PathBuf> {
        let path = dir.join("known_hosts");
        std::fs::write(&path, text).unwrap();
        vec![path]
    }

    #[test]
    fn known_unknown_changed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let files = file(
            dir.path(),
            &format!(
                "# comment\nbad line\nother.example {ED_B}\n[127.0.0.1]:2222 {ED_A}\n\
                 h1,h2 {ED_A}\n*.example.org,!x.example.org {ED_B}\n@revoked revoked.example {ED_A}\n"
            ),
        );
        let (a, b) = (key(ED_A), key(ED_B));
        assert_eq!(check(&files, "127.0.0.1", 2222, &a), Verdict::Known);
        assert_eq!(check(&files, "127.0.0.1", 22, &a), Verdict::Unknown);
        assert_eq!(check(&files, "h2", 22, &a), Verdict::Known);
        assert_eq!(
            check(&files, "127.0.0.1", 2222, &b),
            Verdict::Changed { file: files[0].clone(), line: 4 }
        );
        assert_eq!(check(&files, "y.example.org", 22, &b), Verdict::Known);
        assert_eq!(check(&files, "x.example.org", 22, &b), Verdict::Unknown);
        assert!(matches!(
            check(&files, "revoked.example", 22, &a),
            Verdict::Revoked { line: 7, .. }
        ));
        assert_eq!(check(&[dir.path().join("missing")], "h1", 22, &a), Verdict::Unknown);
    }

    #[test]
    fn learned_keys_are_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/.ssh/known_hosts");
        let a = key(ED_A);
        learn(&path, "127.0.0.1", 2200, &a).unwrap();
        learn(&path, "host", 22, &a).unwrap();
        let files = vec![path.clone()];
        assert_eq!(check(&files, "127.0.0.1", 2200, &a), Verdict::Known);
        assert_eq!(check(&files, "host", 22, &a), Verdict::Known);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&format!("[127.0.0.1]:2200 {ED_A}\n")), "{text}");
    }

    #[test]
    fn hashed_names_match() {
        // `ssh-keygen -H` of "[127.0.0.1]:2222": salt and HMAC-SHA1 of the name.
        let salt = [7u8; 20];
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"[127.0.0.1]:2222");
        let hash: [u8; 20] = mac.finalize().into_bytes().into();
        let patterns = HostPatterns::HashedName { salt: salt.to_vec(), hash };
        assert!(names_match(&patterns, "[127.0.0.1]:2222"));
        assert!(!names_match(&patterns, "127.0.0.1"));
    }
}
