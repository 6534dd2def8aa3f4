//! Remote URLs: parsing a `[remotes.NAME] url` into a [`Location`], and redacting the password
//! of a URL before it is shown anywhere. Pure string work: no IO, no network, no config lookups;
//! a relative directory path stays relative (the caller resolves it against the project root).
//!
//! Every error message carries the URL already redacted, so it can be printed as it is.
//!
//! A near miss of a URL (`s3//bucket/x`, `s3:/bucket`, `s3:bucket`: a scheme, then anything but
//! `://`) is refused with the URL it most likely meant, rather than read as a folder (which would
//! have created `./s3/` inside the project). So is the scp-like `user@host:path` of ssh and git,
//! which mlx does not read as a folder either: it offers the `ssh://` URL.

use std::ops::Range;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

/// The URL schemes [`parse`] accepts (besides plain directory paths).
const SCHEMES: &[&str] =
    &["file", "s3", "gs", "azure", "webdav", "webdavs", "http", "https", "ssh", "sftp"];

/// Where a remote keeps its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory: `/abs/path`, `file:///abs/path`, or a path relative to the project root
    /// (kept as written).
    Local { path: PathBuf },
    /// `s3://bucket/prefix`: the prefix has no leading or trailing `/` and may be empty.
    S3 { bucket: String, prefix: String },
    /// `webdav://host[:port]/path` (endpoint `http://host:port`) or `webdavs://…` (https);
    /// `root` starts and ends with `/`.
    Webdav { endpoint: String, root: String, user: Option<String>, password: Option<String> },
    /// `http(s)://host[:port]/path`: a read-only plain HTTP remote; `root` as for WebDAV.
    Http { endpoint: String, root: String, user: Option<String>, password: Option<String> },
    /// `gs://bucket/prefix`.
    Gcs { bucket: String, prefix: String },
    /// `azure://[account@]container/prefix`; the account may also come from the `user` key.
    Azure { container: String, prefix: String, account: Option<String> },
    /// `ssh://[user@]host[:port]/path` or `sftp://…`: a folder on a server reached over SFTP.
    /// `path` is absolute (`/srv/mlx`), or relative to the login's home folder when the URL
    /// path starts with `/~/` (`srv/mlx`, or empty for the home folder itself); it has no `.`,
    /// `..` or empty segments and no trailing `/`.
    Ssh { host: String, port: Option<u16>, user: Option<String>, path: String },
}

/// The kind of storage a remote is, as its URL says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Local,
    S3,
    Webdav,
    Http,
    Gcs,
    Azure,
    Ssh,
}

impl Storage {
    /// A short name: `local`, `s3`, `webdav`, `http`, `gcs`, `azure`, `ssh`.
    pub fn as_str(self) -> &'static str {
        match self {
            Storage::Local => "local",
            Storage::S3 => "s3",
            Storage::Webdav => "webdav",
            Storage::Http => "http",
            Storage::Gcs => "gcs",
            Storage::Azure => "azure",
            Storage::Ssh => "ssh",
        }
    }
}

impl Location {
    pub fn storage(&self) -> Storage {
        match self {
            Location::Local { .. } => Storage::Local,
            Location::S3 { .. } => Storage::S3,
            Location::Webdav { .. } => Storage::Webdav,
            Location::Http { .. } => Storage::Http,
            Location::Gcs { .. } => Storage::Gcs,
            Location::Azure { .. } => Storage::Azure,
            Location::Ssh { .. } => Storage::Ssh,
        }
    }

    /// A short name of the storage kind: `local`, `s3`, `webdav`, `http`, `gcs`, `azure`, `ssh`.
    pub fn kind(&self) -> &'static str {
        self.storage().as_str()
    }
}

/// A remote URL that does not parse. `url` fields hold the URL with its password redacted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("empty remote URL")]
    Empty,
    #[error(
        "unsupported URL scheme `{scheme}` in {url}: {}use a directory path or a URL starting \
         with file://, s3://, gs://, azure://, webdav://, webdavs://, http://, https://, ssh:// \
         or sftp://",
        .suggestion.as_ref().map(|s| format!("did you mean {s}? Or ")).unwrap_or_default()
    )]
    UnsupportedScheme { scheme: String, url: String, suggestion: Option<String> },
    /// A scheme followed by something close to `://`.
    #[error("invalid remote URL {url}: did you mean {suggestion}?")]
    NearMiss { url: String, suggestion: String },
    #[error("missing {what} in {url}: expected {form}")]
    Missing { what: &'static str, form: &'static str, url: String },
    #[error("invalid remote URL {url}: {reason}")]
    Invalid { url: String, reason: String },
}

impl UrlError {
    fn invalid(url: &str, reason: impl Into<String>) -> Self {
        UrlError::Invalid { url: redact(url), reason: reason.into() }
    }
}

/// Parse a remote URL or directory path.
pub fn parse(url: &str) -> Result<Location, UrlError> {
    if url.trim().is_empty() {
        return Err(UrlError::Empty);
    }
    if url.trim() != url {
        return Err(UrlError::invalid(url, "it starts or ends with whitespace"));
    }
    if url.chars().any(char::is_control) {
        return Err(UrlError::invalid(url, "it contains a control character"));
    }
    if let Some(e) = near_miss(url) {
        return Err(e);
    }
    let Some((scheme, rest)) = url.split_once("://").filter(|(s, _)| is_scheme(s)) else {
        return parse_path(url);
    };
    if rest.contains(['?', '#']) {
        return Err(UrlError::invalid(
            url,
            "query strings (`?`) and fragments (`#`) are not supported (percent-encode them: %3F, %23)",
        ));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "file" => parse_file(url, rest),
        "s3" => {
            let (bucket, prefix) = parse_bucket(url, rest, "bucket", "s3://BUCKET[/PREFIX]")?;
            Ok(Location::S3 { bucket, prefix })
        }
        "gs" => {
            let (bucket, prefix) = parse_bucket(url, rest, "bucket", "gs://BUCKET[/PREFIX]")?;
            Ok(Location::Gcs { bucket, prefix })
        }
        "azure" => parse_azure(url, rest),
        "ssh" | "sftp" => parse_ssh(url, rest),
        s @ ("webdav" | "webdavs" | "http" | "https") => {
            let secure = s.ends_with('s');
            let form = match s {
                "webdav" | "webdavs" => "webdav://HOST[:PORT]/PATH",
                _ => "http://HOST[:PORT]/PATH",
            };
            let web = parse_web(url, rest, secure, form)?;
            let Web { endpoint, root, user, password } = web;
            Ok(if s.starts_with("webdav") {
                Location::Webdav { endpoint, root, user, password }
            } else {
                Location::Http { endpoint, root, user, password }
            })
        }
        _ => {
            // One edit from a known scheme: `s4://`, `webdab://`, `htps://`.
            let suggestion = SCHEMES
                .iter()
                .find(|s| crate::text::edit_distance(&scheme.to_ascii_lowercase(), s) == 1)
                .map(|s| redact(&format!("{s}://{rest}")));
            Err(UrlError::UnsupportedScheme {
                scheme: scheme.to_owned(),
                url: redact(url),
                suggestion,
            })
        }
    }
}

/// `s3//bucket/x`, `s3:/bucket/x`, `s3:bucket/x`, `S3:\\bucket`…: a known scheme, then a run of
/// `:`, `/`, `\` and `;` that is not `://` but holds a `:`, a `;`, a `\` or two slashes. The
/// error offers the URL with `://` (`file:///` for file URLs). A lone `/` (`s3/data`) is a
/// folder path, and `s3:` with nothing after it is left to the usual message.
fn near_miss(url: &str) -> Option<UrlError> {
    let lower = url.to_ascii_lowercase();
    // Longest first, so `https//` is not read as `http` + `s//`.
    let mut schemes = SCHEMES.to_vec();
    schemes.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let scheme = schemes.into_iter().find(|s| lower.starts_with(s))?;
    let rest = url.get(scheme.len()..)?;
    let sep_len = rest.find(|c| !matches!(c, ':' | '/' | '\\' | ';')).unwrap_or(rest.len());
    let (sep, tail) = rest.split_at(sep_len);
    let near = sep.contains([':', ';', '\\']) || sep.matches('/').count() >= 2;
    if sep.starts_with("://") || !near || tail.is_empty() {
        return None;
    }
    let suggestion =
        if scheme == "file" { format!("file:///{tail}") } else { format!("{scheme}://{tail}") };
    // Redact the password in both, the way `redact` would in the URL meant.
    let redacted = redact(&suggestion);
    let redacted_tail = &redacted[suggestion.len() - tail.len()..];
    let shown = format!("{}{sep}{redacted_tail}", &url[..scheme.len()]);
    Some(UrlError::NearMiss { url: shown, suggestion: redacted })
}

/// `url` with the password of its user info replaced by `***`: `webdav://bob:***@host/x`.
/// Text without a password comes back unchanged.
pub fn redact(url: &str) -> String {
    match password_range(url) {
        Some(r) => format!("{}***{}", &url[..r.start], &url[r.end..]),
        None => url.to_owned(),
    }
}

/// Whether `url` carries a password in its user info (`scheme://user:password@host/...`).
pub fn has_password(url: &str) -> bool {
    password_range(url).is_some()
}

/// Byte range of the password in `scheme://user:password@host…`, if there is a non-empty one.
///
/// Errs on the side of finding one: a password holding an unencoded `/`, `?` or `#` still counts
/// (so it is redacted), unless the text reads as `host:port/path@…`.
fn password_range(url: &str) -> Option<Range<usize>> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = match rest[..authority_end].rfind('@') {
        Some(at) => at,
        None => {
            let at = rest.rfind('@')?;
            let userinfo = &rest[..at];
            let colon = userinfo.find(':')?;
            let after = &userinfo[colon + 1..];
            let port_then_path = after
                .find(['/', '?', '#'])
                .is_some_and(|i| i > 0 && after[..i].bytes().all(|b| b.is_ascii_digit()));
            if userinfo[..colon].contains(['/', '?', '#']) || port_then_path {
                return None;
            }
            at
        }
    };
    let colon = rest[..at].find(':')?;
    (colon + 1 < at).then(|| start + colon + 1..start + at)
}

/// `[A-Za-z][A-Za-z0-9+.-]*`
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

fn parse_path(url: &str) -> Result<Location, UrlError> {
    if let Some((scheme, _)) = url.split_once(':')
        && SCHEMES.contains(&scheme.to_ascii_lowercase().as_str())
    {
        return Err(UrlError::invalid(url, format!("expected `{scheme}://` after the scheme")));
    }
    if url == "~" || url.starts_with("~/") {
        return Err(UrlError::invalid(url, "`~` is not expanded here: give the full path"));
    }
    if let Some(meant) = scp_like(url) {
        return Err(UrlError::NearMiss { url: url.to_owned(), suggestion: meant });
    }
    Ok(Location::Local { path: PathBuf::from(url) })
}

/// The `ssh://` URL that the scp-like `[user@]host:path` means, when `url` reads as one: a user
/// (`@`) before the first `:`, and no `/` before it (`./a@b:c` and `/srv/a@b:c` stay folders).
/// A relative path there is relative to the home folder, hence `/~/`. (No password can be in
/// it: the user is all that comes before the first `:`.)
fn scp_like(url: &str) -> Option<String> {
    let (authority, path) = url.split_once(':')?;
    let (user, host) = authority.rsplit_once('@')?;
    if user.is_empty() || host.is_empty() || authority.contains(['/', '\\']) {
        return None;
    }
    let path = if path.starts_with('/') { path.to_owned() } else { format!("/~/{path}") };
    Some(format!("ssh://{authority}{path}"))
}

/// `file:///abs/path` or `file://localhost/abs/path`; percent-escapes are decoded.
fn parse_file(url: &str, rest: &str) -> Result<Location, UrlError> {
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return Err(UrlError::invalid(
            url,
            "a file URL names an absolute path on this machine: file:///PATH (three slashes)",
        ));
    }
    Ok(Location::Local { path: PathBuf::from(std::ffi::OsString::from_vec(percent_decode(path))) })
}

/// `BUCKET[/PREFIX]` of `s3://` and `gs://`. User info is refused: credentials belong in the
/// local config or the environment.
fn parse_bucket(
    url: &str,
    rest: &str,
    what: &'static str,
    form: &'static str,
) -> Result<(String, String), UrlError> {
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(UrlError::invalid(
            url,
            "credentials do not belong in the URL: set access_key_id and secret_access_key \
             with `mlx remote modify NAME KEY VALUE --local`, or use the environment",
        ));
    }
    let bucket = check_bucket(url, authority, what, form)?;
    Ok((bucket, clean_prefix(path)))
}

/// `azure://[ACCOUNT@]CONTAINER[/PREFIX]`.
fn parse_azure(url: &str, rest: &str) -> Result<Location, UrlError> {
    const FORM: &str = "azure://[ACCOUNT@]CONTAINER[/PREFIX]";
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (account, container) = match authority.rsplit_once('@') {
        Some((userinfo, container)) => {
            if userinfo.contains(':') {
                return Err(UrlError::invalid(
                    url,
                    "the account key does not belong in the URL: set it as `password` with \
                     `mlx remote modify NAME password KEY --local`",
                ));
            }
            let account = decode_text(url, userinfo)?;
            if account.is_empty() {
                return Err(UrlError::Missing { what: "account", form: FORM, url: redact(url) });
            }
            (Some(account), container)
        }
        None => (None, authority),
    };
    let container = check_bucket(url, container, "container", FORM)?;
    Ok(Location::Azure { container, prefix: clean_prefix(path), account })
}

fn check_bucket(
    url: &str,
    name: &str,
    what: &'static str,
    form: &'static str,
) -> Result<String, UrlError> {
    if name.is_empty() {
        return Err(UrlError::Missing { what, form, url: redact(url) });
    }
    if name.contains(':') {
        return Err(UrlError::invalid(
            url,
            format!(
                "a {what} name has no port: for an S3-compatible server, put the bucket in the \
                 URL and the server in `endpoint` (e.g. endpoint = \"http://127.0.0.1:9000\")"
            ),
        ));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')) {
        return Err(UrlError::invalid(
            url,
            format!("`{name}` is not a valid {what} name (letters, digits, `.`, `-`, `_`)"),
        ));
    }
    Ok(name.to_owned())
}

/// `ssh://[USER@]HOST[:PORT]/PATH` (and `sftp://`). A password does not belong in the URL: it
/// goes to the local config, where it is kept out of git and out of messages.
fn parse_ssh(url: &str, rest: &str) -> Result<Location, UrlError> {
    const FORM: &str = "ssh://[USER@]HOST[:PORT]/PATH";
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            if userinfo.contains(':') || has_password(url) {
                return Err(UrlError::invalid(
                    url,
                    "the password does not belong in the URL: use a key (or the ssh agent), or \
                     give it with `echo PASSWORD | mlx remote modify NAME password - --local`",
                ));
            }
            let user = decode_text(url, userinfo)?;
            if user.is_empty() {
                return Err(UrlError::invalid(url, "empty user name before `@`"));
            }
            (Some(user), hostport)
        }
        None => (None, authority),
    };
    let (host, port) = split_host_port(url, hostport, FORM)?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    // The path is a folder on the server; object names are added below it. `.` and `..` would
    // name another folder than the one written, so they are refused rather than resolved.
    let decoded = percent_decode(path);
    let Ok(decoded) = String::from_utf8(decoded) else {
        return Err(UrlError::invalid(url, "the path is not UTF-8 once percent-decoded"));
    };
    let mut segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    let home = segments.first() == Some(&"~");
    if home {
        segments.remove(0);
    }
    if segments.iter().any(|s| *s == "." || *s == ".." || *s == "~") {
        return Err(UrlError::invalid(
            url,
            "`.`, `..` and `~` segments are not allowed in the path: give the folder itself \
             (absolute, or `/~/PATH` for a folder under the home folder)",
        ));
    }
    if segments.iter().any(|s| s.contains(['\\', '\0'])) {
        return Err(UrlError::invalid(url, "the path holds a `\\` or a NUL byte"));
    }
    if segments.is_empty() && !home {
        return Err(UrlError::Missing { what: "path", form: FORM, url: redact(url) });
    }
    let joined = segments.join("/");
    let path = if home { joined } else { format!("/{joined}") };
    Ok(Location::Ssh { host, port, user, path })
}

/// `/a//b/` → `a/b`.
fn clean_prefix(path: &str) -> String {
    path.split('/').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("/")
}

struct Web {
    endpoint: String,
    root: String,
    user: Option<String>,
    password: Option<String>,
}

/// `[USER[:PASSWORD]@]HOST[:PORT][/PATH]` of WebDAV and HTTP URLs.
fn parse_web(url: &str, rest: &str, secure: bool, form: &'static str) -> Result<Web, UrlError> {
    // The user info ends at the last `@` before the path; a password with an unencoded `/`
    // would split wrongly, so look for an `@` after the first `/` as well.
    let at = match rest.find('/') {
        Some(slash) => rest[..slash].rfind('@').or_else(|| {
            let at = rest.rfind('@')?;
            has_password(url).then_some(at)
        }),
        None => rest.rfind('@'),
    };
    let (userinfo, hostpath) = match at {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => {
            let (user, password) = match info.split_once(':') {
                Some((u, p)) => (u, Some(decode_text(url, p)?)),
                None => (info, None),
            };
            let user = decode_text(url, user)?;
            ((!user.is_empty()).then_some(user), password.filter(|p| !p.is_empty()))
        }
    };
    let (hostport, path) = match hostpath.find('/') {
        Some(i) => (&hostpath[..i], &hostpath[i..]),
        None => (hostpath, ""),
    };
    let (host, port) = split_host_port(url, hostport, form)?;
    let scheme = if secure { "https" } else { "http" };
    let endpoint = match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let root =
        if segments.is_empty() { "/".to_owned() } else { format!("/{}/", segments.join("/")) };
    Ok(Web { endpoint, root, user, password })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port<'a>(
    url: &str,
    hostport: &'a str,
    form: &'static str,
) -> Result<(&'a str, Option<u16>), UrlError> {
    let (host, port) = if hostport.starts_with('[') {
        let end = hostport.find(']').ok_or_else(|| UrlError::invalid(url, "unclosed `[`"))?;
        let (host, after) = hostport.split_at(end + 1);
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(UrlError::invalid(url, format!("unexpected `{after}`"))),
            },
        }
    } else {
        match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::Missing { what: "host", form, url: redact(url) });
    }
    let valid_host = if host.starts_with('[') {
        host[1..host.len() - 1].bytes().all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
    } else {
        host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    };
    if !valid_host {
        return Err(UrlError::invalid(url, format!("`{host}` is not a valid host name")));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(UrlError::invalid(url, format!("`{p}` is not a valid port"))),
        },
    };
    Ok((host, port))
}

/// Percent-decoded text (user names, passwords, account names) that must be UTF-8.
fn decode_text(url: &str, s: &str) -> Result<String, UrlError> {
    String::from_utf8(percent_decode(s))
        .map_err(|_| UrlError::invalid(url, "the user info is not UTF-8 once percent-decoded"))
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
            && hex.bytes().all(|c| c.is_ascii_hexdigit())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(p: &str) -> Location {
        Location::Local { path: PathBuf::from(p) }
    }

    fn s(v: &str) -> String {
        v.to_owned()
    }

    #[test]
    fn directory_paths_and_file_urls() {
        assert_eq!(parse("/mnt/nfs/cache").unwrap(), local("/mnt/nfs/cache"));
        assert_eq!(parse("../shared-remote").unwrap(), local("../shared-remote"));
        assert_eq!(parse("remote dir").unwrap(), local("remote dir"));
        assert_eq!(parse("file:///srv/mlx").unwrap(), local("/srv/mlx"));
        assert_eq!(parse("FILE:///srv/my%20data").unwrap(), local("/srv/my data"));
        assert_eq!(parse("file://localhost/srv").unwrap(), local("/srv"));
        assert_eq!(parse("/srv/x").unwrap().kind(), "local");
    }

    #[test]
    fn s3_and_gcs_urls() {
        assert_eq!(
            parse("s3://bucket/data/mlx/").unwrap(),
            Location::S3 { bucket: s("bucket"), prefix: s("data/mlx") }
        );
        assert_eq!(
            parse("s3://bucket").unwrap(),
            Location::S3 { bucket: s("bucket"), prefix: s("") }
        );
        assert_eq!(
            parse("s3://my.bucket-1//a//b").unwrap(),
            Location::S3 { bucket: s("my.bucket-1"), prefix: s("a/b") }
        );
        assert_eq!(
            parse("gs://ml-data/cache").unwrap(),
            Location::Gcs { bucket: s("ml-data"), prefix: s("cache") }
        );
        assert_eq!(parse("gs://b").unwrap().kind(), "gcs");
    }

    #[test]
    fn webdav_and_http_urls() {
        assert_eq!(
            parse("webdav://dav.example.com:8080/remote.php/dav").unwrap(),
            Location::Webdav {
                endpoint: s("http://dav.example.com:8080"),
                root: s("/remote.php/dav/"),
                user: None,
                password: None,
            }
        );
        assert_eq!(
            parse("webdavs://bob:s%40cret@dav.example.com/x/").unwrap(),
            Location::Webdav {
                endpoint: s("https://dav.example.com"),
                root: s("/x/"),
                user: Some(s("bob")),
                password: Some(s("s@cret")),
            }
        );
        assert_eq!(
            parse("https://alice@files.example.com").unwrap(),
            Location::Http {
                endpoint: s("https://files.example.com"),
                root: s("/"),
                user: Some(s("alice")),
                password: None,
            }
        );
        assert_eq!(
            parse("http://[::1]:9000/cache").unwrap(),
            Location::Http {
                endpoint: s("http://[::1]:9000"),
                root: s("/cache/"),
                user: None,
                password: None,
            }
        );
        // A password with an unencoded `/` still ends at the `@`.
        let Location::Webdav { password, endpoint, .. } =
            parse("webdav://bob:pa/ss@host/x").unwrap()
        else {
            panic!()
        };
        assert_eq!((password.as_deref(), endpoint.as_str()), (Some("pa/ss"), "http://host"));
        // `@` in the path of a URL without user info is part of the path.
        let Location::Webdav { root, user, .. } = parse("webdav://host:8080/a@b").unwrap() else {
            panic!()
        };
        assert_eq!((root.as_str(), user), ("/a@b/", None));
    }

    #[test]
    fn ssh_urls() {
        let ssh = |host: &str, port: Option<u16>, user: Option<&str>, path: &str| Location::Ssh {
            host: s(host),
            port,
            user: user.map(s),
            path: s(path),
        };
        assert_eq!(
            parse("ssh://user@example.com:2222/path/to/dir/").unwrap(),
            ssh("example.com", Some(2222), Some("user"), "/path/to/dir")
        );
        assert_eq!(parse("sftp://cluster/data").unwrap(), ssh("cluster", None, None, "/data"));
        assert_eq!(parse("SSH://h//a//b").unwrap(), ssh("h", None, None, "/a/b"));
        assert_eq!(parse("ssh://h/~/mlx").unwrap(), ssh("h", None, None, "mlx"));
        assert_eq!(parse("ssh://h/~").unwrap(), ssh("h", None, None, ""));
        assert_eq!(parse("ssh://[::1]:22/x").unwrap(), ssh("::1", Some(22), None, "/x"));
        assert_eq!(
            parse("ssh://a%40b@h/my%20data").unwrap(),
            ssh("h", None, Some("a@b"), "/my data")
        );
        assert_eq!(parse("ssh://h/x").unwrap().kind(), "ssh");
    }

    #[test]
    fn ssh_urls_stay_inside_the_folder_they_name() {
        let msg = |u: &str| parse(u).unwrap_err().to_string();
        for bad in [
            "ssh://h/srv/../etc",
            "ssh://h/srv/%2e%2e/etc",
            "ssh://h/srv/./x",
            "ssh://h/..",
            "ssh://h/~/../x",
            "ssh://h/srv/~/x",
        ] {
            assert!(msg(bad).contains("segments are not allowed"), "{bad}: {}", msg(bad));
        }
        assert!(msg("ssh://h").contains("missing path"));
        assert!(msg("ssh://h/").contains("missing path"));
        assert!(msg("ssh:///x").contains("missing host"));
        assert!(msg("ssh://h:0/x").contains("not a valid port"));
        let password = msg("ssh://bob:hunter2@h/x");
        assert!(password.contains("ssh://bob:***@h/x"), "{password}");
        assert!(password.contains("does not belong in the URL"), "{password}");
        assert!(!password.contains("hunter2"), "{password}");
    }

    #[test]
    fn scp_like_paths_are_refused_with_the_ssh_url_meant() {
        let meant = |u: &str| match parse(u) {
            Err(UrlError::NearMiss { suggestion, .. }) => suggestion,
            other => panic!("{u}: {other:?}"),
        };
        assert_eq!(meant("user@host:data/mlx"), "ssh://user@host/~/data/mlx");
        assert_eq!(meant("user@host:/srv/mlx"), "ssh://user@host/srv/mlx");
        assert_eq!(meant("git@10.0.0.1:x"), "ssh://git@10.0.0.1/~/x");
        assert_eq!(
            parse("bob@host:/x").unwrap_err().to_string(),
            "invalid remote URL bob@host:/x: did you mean ssh://bob@host/x?"
        );
        for folder in ["./a@b:c", "/srv/a@b:c", "a:b", "@h:x", "a@:x", "dir/u@h:x"] {
            assert_eq!(parse(folder).unwrap(), local(folder), "{folder}");
        }
    }

    #[test]
    fn azure_urls() {
        assert_eq!(
            parse("azure://models/runs").unwrap(),
            Location::Azure { container: s("models"), prefix: s("runs"), account: None }
        );
        assert_eq!(
            parse("azure://acct@models").unwrap(),
            Location::Azure { container: s("models"), prefix: s(""), account: Some(s("acct")) }
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let msg = |u: &str| parse(u).unwrap_err().to_string();
        assert_eq!(parse("").unwrap_err(), UrlError::Empty);
        assert_eq!(
            msg("gopher://host/x"),
            "unsupported URL scheme `gopher` in gopher://host/x: use a directory path or a URL starting \
             with file://, s3://, gs://, azure://, webdav://, webdavs://, http://, https://, \
             ssh:// or sftp://"
        );
        assert_eq!(msg("s3://"), "missing bucket in s3://: expected s3://BUCKET[/PREFIX]");
        assert_eq!(
            msg("s3:///prefix"),
            "missing bucket in s3:///prefix: expected s3://BUCKET[/PREFIX]"
        );
        assert!(msg("s3://localhost:9000/b").contains("put the bucket in the URL"));
        assert!(msg("s3://bad bucket/x").contains("`bad bucket` is not a valid bucket name"));
        assert!(msg("gs://").contains("missing bucket"));
        assert!(msg("azure:///x").contains("missing container"));
        assert!(msg("webdav:///x").contains("missing host in webdav:///x"));
        assert!(msg("https://:8080/x").contains("missing host"));
        assert!(msg("webdav://host:99999/x").contains("`99999` is not a valid port"));
        assert!(msg("webdav://host:abc/x").contains("`abc` is not a valid port"));
        assert!(msg("http://bad host/x").contains("not a valid host name"));
        assert!(msg("s3:").contains("expected `s3://` after the scheme"));
        assert!(msg("~/remote").contains("`~` is not expanded"));
        assert!(msg("file://host/x").contains("three slashes"));
        assert!(msg("https://host/x?sig=1").contains("query strings"));
        assert!(msg(" /x").contains("whitespace"));
        assert!(msg("/x\n").contains("whitespace"));
    }

    #[test]
    fn near_misses_are_refused_with_the_url_meant() {
        let meant = |u: &str| match parse(u) {
            Err(UrlError::NearMiss { suggestion, .. }) => suggestion,
            other => panic!("{u}: {other:?}"),
        };
        for (typed, expected) in [
            ("s3//bucket/x", "s3://bucket/x"),
            ("s3:/bucket/x", "s3://bucket/x"),
            ("s3:bucket/x", "s3://bucket/x"),
            ("S3//bucket", "s3://bucket"),
            ("s3;//bucket", "s3://bucket"),
            ("s3:\\\\bucket", "s3://bucket"),
            ("gs//b/p", "gs://b/p"),
            ("azure:/c/p", "azure://c/p"),
            ("webdav//host/x", "webdav://host/x"),
            ("webdavs:host/x", "webdavs://host/x"),
            ("http//host/x", "http://host/x"),
            ("https//host/x", "https://host/x"),
            ("https:/host/x", "https://host/x"),
            ("file//srv/mlx", "file:///srv/mlx"),
            ("file:/srv/mlx", "file:///srv/mlx"),
        ] {
            assert_eq!(meant(typed), expected, "{typed}");
        }
        assert_eq!(
            parse("s3//bucket/x").unwrap_err().to_string(),
            "invalid remote URL s3//bucket/x: did you mean s3://bucket/x?"
        );
        // The password is redacted in both forms.
        let msg = parse("webdav//bob:hunter2@host/x").unwrap_err().to_string();
        assert_eq!(
            msg,
            "invalid remote URL webdav//bob:***@host/x: did you mean webdav://bob:***@host/x?"
        );
        // Genuine folders stay folders.
        for folder in ["s3/data", "../shared-cache", "/mnt/x", "./s3", "https_cache", "gs-data//x"]
        {
            assert_eq!(parse(folder).unwrap(), local(folder), "{folder}");
        }
        // One edit away from a scheme.
        let msg = parse("s4://bucket/x").unwrap_err().to_string();
        assert!(msg.contains("did you mean s3://bucket/x?"), "{msg}");
        assert!(parse("webdab://h/x").unwrap_err().to_string().contains("webdav://h/x"));
        assert!(parse("ftp://h/x").unwrap_err().to_string().contains("did you mean sftp://h/x?"));
        assert!(!parse("gopher://h/x").unwrap_err().to_string().contains("did you mean"));
    }

    #[test]
    fn credentials_in_bucket_urls_are_refused_and_redacted() {
        let msg = parse("s3://AKIA:secret@bucket/p").unwrap_err().to_string();
        assert!(msg.contains("s3://AKIA:***@bucket/p"), "{msg}");
        assert!(msg.contains("credentials do not belong in the URL"), "{msg}");
        assert!(!msg.contains("secret@"), "{msg}");
        let msg = parse("azure://acct:key@c/p").unwrap_err().to_string();
        assert!(msg.contains("azure://acct:***@c/p") && !msg.contains("key@"), "{msg}");
        // Every error redacts.
        let msg = parse("ftp://bob:hunter2@host/x").unwrap_err().to_string();
        assert!(msg.contains("ftp://bob:***@host/x") && !msg.contains("hunter2"), "{msg}");
        let msg = parse("webdav://bob:hunter2@host:x/y").unwrap_err().to_string();
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("webdav://bob:s3cret@host/x"), "webdav://bob:***@host/x");
        assert_eq!(redact("s3://AKIA:secret@b/p"), "s3://AKIA:***@b/p");
        assert_eq!(redact("https://u:p@h"), "https://u:***@h");
        assert_eq!(redact("webdav://bob:p@ss@host/x"), "webdav://bob:***@host/x");
        assert_eq!(redact("webdav://bob:pa/ss@host/x"), "webdav://bob:***@host/x");
        assert_eq!(redact("webdav://bob:pa?ss@host/x"), "webdav://bob:***@host/x");
        for unchanged in [
            "webdav://bob@host/x",
            "webdav://host:8080/a@b",
            "http://host/a:b@c",
            "s3://bucket/prefix",
            "/srv/mlx",
            "webdav://bob:@host/x",
            "",
        ] {
            assert_eq!(redact(unchanged), unchanged);
            assert!(!has_password(unchanged), "{unchanged}");
        }
        assert!(has_password("webdav://bob:s3cret@host/x"));
        assert!(has_password("s3://AKIA:secret@b/p"));
    }

    #[test]
    fn percent_decoding_leaves_bad_escapes() {
        assert_eq!(percent_decode("a%20b%2"), b"a b%2");
        assert_eq!(percent_decode("%zz%41"), b"%zzA");
        assert_eq!(percent_decode("%+1"), b"%+1");
    }
}
