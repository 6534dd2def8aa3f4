//! The parts of an OpenSSH client config (`~/.ssh/config`) that an SSH remote uses: host aliases
//! (`Host` blocks with `HostName`, `User`, `Port`), `IdentityFile`, `IdentitiesOnly`,
//! `UserKnownHostsFile`, `StrictHostKeyChecking`, and whether the host goes through a proxy
//! (`ProxyJump`, `ProxyCommand`), which mlx's client cannot do.
//!
//! As in OpenSSH: keywords are case-insensitive and take `Key value` or `Key=value`; for each
//! keyword the first value that applies wins, except `IdentityFile`, which adds up; `Host`
//! patterns use `*`, `?` and `!` negation. `Match` blocks and `Include` are skipped. Pure text
//! work: the caller reads the file.

use std::path::{Path, PathBuf};

/// What the config says for one host.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    /// `~` expanded against `home`.
    pub identity_files: Vec<PathBuf>,
    pub identities_only: Option<bool>,
    /// `~` expanded against `home`.
    pub known_hosts_files: Option<Vec<PathBuf>>,
    /// The raw value: `yes`, `no`, `ask`, `accept-new`, `off`.
    pub strict_host_key_checking: Option<String>,
    /// `ProxyJump` or `ProxyCommand`, when set to something other than `none`.
    pub proxy: Option<String>,
}

/// Read `text` (a `~/.ssh/config`) for `host` (as the URL names it).
pub fn for_host(text: &str, host: &str, home: &Path) -> HostConfig {
    let mut out = HostConfig::default();
    // Lines before the first `Host` apply to every host.
    let mut applies = true;
    for line in text.lines() {
        let Some((key, value)) = split_line(line) else { continue };
        let key = key.to_ascii_lowercase();
        match key.as_str() {
            "host" => {
                applies = host_matches(host, &value);
                continue;
            }
            "match" => {
                applies = false;
                continue;
            }
            _ => {}
        }
        if !applies {
            continue;
        }
        let value = unquote(&value);
        match key.as_str() {
            "hostname" => set(&mut out.host_name, value.replace("%h", host)),
            "user" => set(&mut out.user, value.to_owned()),
            "port" => {
                if let Ok(port) = value.parse::<u16>() {
                    set(&mut out.port, port);
                }
            }
            "identityfile" if !value.eq_ignore_ascii_case("none") => {
                out.identity_files.push(expand_home(value, home));
            }
            "identitiesonly" => set(&mut out.identities_only, value.eq_ignore_ascii_case("yes")),
            "userknownhostsfile" => {
                let files = value.split_whitespace().map(|f| expand_home(unquote(f), home));
                set(&mut out.known_hosts_files, files.collect());
            }
            "stricthostkeychecking" => {
                set(&mut out.strict_host_key_checking, value.to_ascii_lowercase());
            }
            // `none` counts as a value: it wins over a later block's proxy.
            "proxyjump" | "proxycommand" => set(&mut out.proxy, format!("{key} {value}")),
            _ => {}
        }
    }
    out.proxy = out.proxy.filter(|p| !p.to_ascii_lowercase().ends_with(" none"));
    out
}

fn set<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

/// `Key value`, `Key=value` or `Key = value`; `None` for blank lines and comments.
fn split_line(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(line.len());
    let (key, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    Some((key.to_owned(), rest.to_owned()))
}

fn unquote(value: &str) -> &str {
    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value)
}

fn expand_home(value: &str, home: &Path) -> PathBuf {
    match value.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None if value == "~" => home.to_path_buf(),
        None => PathBuf::from(value.replace("%d", &home.to_string_lossy())),
    }
}

/// Whether `host` matches the patterns of a `Host` line: one of them matches, and no negated
/// one does.
fn host_matches(host: &str, patterns: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split_whitespace().map(unquote) {
        match pattern.strip_prefix('!') {
            Some(negated) if glob(negated, host) => return false,
            Some(_) => {}
            None => matched |= glob(pattern, host),
        }
    }
    matched
}

/// `*` and `?` globbing, ASCII case-insensitive (host names are).
pub fn glob(pattern: &str, text: &str) -> bool {
    crate::text::glob_match(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "/home/u";

    fn read(text: &str, host: &str) -> HostConfig {
        for_host(text, host, Path::new(HOME))
    }

    #[test]
    fn aliases_resolve_with_the_first_value_winning() {
        let text = "\
# global
IdentityFile ~/.ssh/global_key

Host gpu gpu-*
    HostName gpu01.cluster.example.org
    User=alice
    Port = 2222
    IdentityFile \"~/.ssh/cluster key\"

Host *
    User bob
    Port 22
    StrictHostKeyChecking accept-new
";
        let c = read(text, "gpu");
        assert_eq!(c.host_name.as_deref(), Some("gpu01.cluster.example.org"));
        assert_eq!(c.user.as_deref(), Some("alice"));
        assert_eq!(c.port, Some(2222));
        assert_eq!(
            c.identity_files,
            [PathBuf::from("/home/u/.ssh/global_key"), PathBuf::from("/home/u/.ssh/cluster key")]
        );
        assert_eq!(c.strict_host_key_checking.as_deref(), Some("accept-new"));
        let other = read(text, "example.com");
        assert_eq!(
            (other.host_name, other.user.as_deref(), other.port),
            (None, Some("bob"), Some(22))
        );
        assert_eq!(read(text, "GPU-7").port, Some(2222));
    }

    #[test]
    fn negations_match_blocks_and_proxies() {
        let text = "\
Host *.example.org !bastion.example.org
    ProxyJump bastion.example.org
Match host foo
    User nobody
Host foo
    ProxyCommand none
    UserKnownHostsFile ~/.ssh/kh1 /etc/kh2
Host *
    ProxyJump jump.example.org
";
        assert_eq!(
            read(text, "a.example.org").proxy.as_deref(),
            Some("proxyjump bastion.example.org")
        );
        assert_eq!(
            read(text, "bastion.example.org").proxy.as_deref(),
            Some("proxyjump jump.example.org")
        );
        let foo = read(text, "foo");
        assert_eq!(foo.user, None);
        assert_eq!(foo.proxy, None);
        assert_eq!(
            foo.known_hosts_files,
            Some(vec![PathBuf::from("/home/u/.ssh/kh1"), PathBuf::from("/etc/kh2")])
        );
    }

    #[test]
    fn globs() {
        assert!(glob("*", "anything"));
        assert!(glob("gpu-??", "gpu-01"));
        assert!(!glob("gpu-??", "gpu-1"));
        assert!(glob("*.example.*", "a.EXAMPLE.org"));
        assert!(!glob("a*b", "acbd"));
        assert!(glob("a*b*", "acbd"));
    }
}
