//! Secret values in play in this process, and the redaction that every line mlx writes passes
//! through before it reaches stdout, stderr or a log.
//!
//! Known secrets: the remote credentials of the config files (the `SECRET_KEYS` of each
//! `[remotes.*]` table, passwords in remote URLs), registered by whoever reads them, and
//! credential environment variables (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, any
//! `*_TOKEN`, `*_PASSWORD`, ...), read once on first use. Each is also known in the forms it
//! travels in: percent-decoded, JSON-escaped, and for a login the `Authorization: Basic` value.
//!
//! [`redact`] hides known values; [`redact_message`] also hides values that look like
//! credentials where a log line or an error names them (`secret_access_key: "…"`,
//! `authorization: …`, `X-Amz-Signature=…`, `<SessionToken>…<`, the password of a URL), so a
//! credential that mlx never saw (one a storage library read from `~/.aws/credentials`, say)
//! is hidden too. Bookkeeping only: nothing here prints.

use std::borrow::Cow;
use std::sync::{LazyLock, PoisonError, RwLock};

/// What a hidden value shows as.
pub const HIDDEN: &str = "***";

/// Values shorter than this are not searched for: they would mask ordinary text.
pub const MIN_LEN: usize = 4;
/// The same for variables taken by their name's ending only (`*_TOKEN`, ...), which may hold
/// settings rather than credentials.
const MIN_LEN_GUESSED: usize = 8;

/// Environment variables that hold credentials, besides the names [`is_secret_env_name`] takes.
const SECRET_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
];

/// Known secrets, longest first (so a secret that contains another is hidden whole).
static KNOWN: LazyLock<RwLock<Vec<String>>> = LazyLock::new(|| {
    let mut known = Vec::new();
    for (name, value) in std::env::vars_os() {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else { continue };
        let listed = SECRET_ENV.contains(&name.to_ascii_uppercase().as_str());
        let guessed = is_secret_env_name(name)
            && value.trim().len() >= MIN_LEN_GUESSED
            && !value.trim().bytes().all(|b| b.is_ascii_digit());
        if listed || guessed {
            add_forms(&mut known, value);
        }
        if is_secret_env_name(name) {
            // A connection string carries its key as one of its `Name=value;` parts.
            for part in value.split(';') {
                if let Some((k, v)) = part.split_once('=')
                    && is_secret_field(k)
                {
                    add_forms(&mut known, v);
                }
            }
        }
    }
    sort(&mut known);
    RwLock::new(known)
});

/// Whether an environment variable of this name holds a credential.
fn is_secret_env_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_ENV.contains(&upper.as_str())
        || ["_SECRET", "_TOKEN", "_PASSWORD", "_SECRET_KEY", "_SECRET_ACCESS_KEY", "_ACCOUNT_KEY"]
            .iter()
            .any(|s| upper.ends_with(s))
}

/// Remember a secret value: from now on it never shows in what mlx writes.
pub fn remember(value: &str) {
    let mut known = KNOWN.write().unwrap_or_else(PoisonError::into_inner);
    let before = known.len();
    add_forms(&mut known, value);
    if known.len() != before {
        sort(&mut known);
    }
}

/// Remember a login's password, and the `Authorization: Basic` value that carries it.
pub fn remember_login(user: Option<&str>, password: &str) {
    remember(password);
    if password.len() >= MIN_LEN {
        remember(&base64(format!("{}:{password}", user.unwrap_or("")).as_bytes()));
    }
}

/// Remember the password of a URL (`scheme://user:password@host/…`), if it has one.
pub fn remember_url(url: &str) {
    if let Some((user, password)) = url_login(url) {
        remember_login(Some(user), password);
        remember_login(Some(&percent_decode(user)), &percent_decode(password));
    }
}

fn add_forms(known: &mut Vec<String>, value: &str) {
    for form in [value, value.trim()] {
        // Never a word that data is made of (`"changed": true` must stay JSON).
        let word = ["true", "false", "null", "none", "yes", "no"]
            .iter()
            .any(|w| form.eq_ignore_ascii_case(w));
        if form.chars().count() < MIN_LEN || word {
            continue;
        }
        let json = serde_json::to_string(form).unwrap_or_default();
        let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_owned();
        for f in [form.to_owned(), json] {
            if f.chars().count() >= MIN_LEN && !known.contains(&f) {
                known.push(f);
            }
        }
    }
}

fn sort(known: &mut [String]) {
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Whether any secret is known yet: with none, data can be written out as it is made, without
/// being gathered for [`redact`] first.
pub fn knows_any() -> bool {
    !KNOWN.read().unwrap_or_else(PoisonError::into_inner).is_empty()
}

/// `text` with every known secret replaced by `***`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let known = KNOWN.read().unwrap_or_else(PoisonError::into_inner);
    let mut out = Cow::Borrowed(text);
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), HIDDEN));
        }
    }
    out
}

/// [`redact`], and values that look like credentials where the text names them: for log lines
/// and messages, never for data.
pub fn redact_message(text: &str) -> Cow<'_, str> {
    let known = redact(text);
    let fields = match redact_fields(&known) {
        Cow::Borrowed(_) => None,
        Cow::Owned(s) => Some(s),
    };
    let text = fields.map_or(known, Cow::Owned);
    match redact_url_passwords(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// Names of fields whose value is a credential, by how they end (case-insensitive, `-` read as
/// `_`): `secret_access_key`, `SessionToken`, `x-amz-security-token`, `password`, ...
const FIELD_ENDINGS: &[&str] = &[
    "secret",
    "secret_key",
    "secretaccesskey",
    "secret_access_key",
    "token",
    "password",
    "passwd",
    "account_key",
    "accountkey",
    "access_key_id",
    "accesskeyid",
    "authorization",
    "signature",
    "credential",
    "sig",
];

fn is_secret_field(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase().replace('-', "_");
    FIELD_ENDINGS.iter().any(|e| name.ends_with(e))
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Hide the values of credential fields: `name: "value"`, `name: Some("value")`,
/// `name=value`, `"name": "value"`, `<Name>value<`.
fn redact_fields(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut hide: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && is_ident(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let name = &text[start..i];
        if !is_secret_field(name) {
            continue;
        }
        if let Some(range) = field_value(bytes, start, i, name) {
            i = range.1;
            hide.push(range);
        }
    }
    if hide.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in hide {
        out.push_str(&text[at..s]);
        out.push_str(HIDDEN);
        at = e;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// The byte range of the value after a credential field's name (which spans `start..end`), if
/// one follows.
fn field_value(bytes: &[u8], start: usize, end: usize, name: &str) -> Option<(usize, usize)> {
    let mut j = end;
    let skip_spaces = |mut j: usize| {
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        j
    };
    // `<Name>value</Name>`
    if start > 0 && bytes[start - 1] == b'<' && bytes.get(end) == Some(&b'>') {
        let from = end + 1;
        let to = from + bytes[from..].iter().position(|&b| b == b'<')?;
        return (to > from).then_some((from, to));
    }
    if matches!(bytes.get(j), Some(b'"' | b'\'')) {
        j += 1;
    }
    j = skip_spaces(j);
    // `name: value` or `name=value`, but not a path (`provide_credential::load`) or `==`.
    if !matches!(bytes.get(j), Some(b':' | b'=')) || bytes.get(j + 1) == bytes.get(j) {
        return None;
    }
    j = skip_spaces(j + 1);
    if bytes[j..].starts_with(b"Some(") {
        j += "Some(".len();
    }
    if bytes[j..].starts_with(b"None") {
        return None;
    }
    let (from, to) = match bytes.get(j) {
        Some(&q @ (b'"' | b'\'')) => {
            let from = j + 1;
            let mut k = from;
            while k < bytes.len() && bytes[k] != q {
                k += if bytes[k] == b'\\' { 2 } else { 1 };
            }
            (from, k.min(bytes.len()))
        }
        Some(_) => {
            // An `Authorization` value is a scheme and its credentials: hide all of it.
            let whole = name.to_ascii_lowercase().ends_with("authorization");
            let stop = |b: u8| {
                b == b'\n'
                    || (!whole && (b.is_ascii_whitespace() || b",;&)}]>\"'".contains(&b)))
                    || (whole && b == b'"')
            };
            let to = j + bytes[j..].iter().position(|&b| stop(b)).unwrap_or(bytes.len() - j);
            (j, to)
        }
        None => return None,
    };
    (to > from).then_some((from, to))
}

/// Hide the password of every `scheme://user:password@host` in `text`.
fn redact_url_passwords(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || "/\"'<>()[]{},`".contains(c))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@').and_then(|a| authority[..a].find(':').map(|c| (c, a))) {
            Some((colon, a)) if a > colon + 1 => {
                out.push_str(&authority[..=colon]);
                out.push_str(HIDDEN);
                out.push_str(&authority[a..]);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    if changed { Cow::Owned(out) } else { Cow::Borrowed(text) }
}

/// The user and password of `scheme://user:password@host…`, when it has a password.
fn url_login(url: &str) -> Option<(&str, &str)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let at = rest.rfind('@')?;
    let userinfo = &rest[..at];
    let (user, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some((user, password))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with padding (the `Authorization: Basic` encoding).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_are_hidden_in_every_form() {
        remember("unit-test-secret/with\"quote");
        let text = "key unit-test-secret/with\"quote and json unit-test-secret/with\\\"quote";
        assert_eq!(redact(text), "key *** and json ***");
        remember("abc");
        remember("true");
        assert_eq!(redact("{\"changed\": true}"), "{\"changed\": true}");
        assert_eq!(
            redact("abc stays: too short to search for"),
            "abc stays: too short to search for"
        );
        remember_url("webdav://bob:p%40ss-unit@host/x");
        assert_eq!(redact("p%40ss-unit or p@ss-unit"), "*** or ***");
        assert_eq!(redact(&format!("Basic {}", base64(b"bob:p@ss-unit"))), "Basic ***");
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
    }

    #[test]
    fn credential_fields_are_hidden_whatever_their_value() {
        let cases = [
            (
                "StaticCredentialProvider { access_key_id: \"AKIA1\", secret_access_key: \"s/e+c\" }",
                "StaticCredentialProvider { access_key_id: \"***\", secret_access_key: \"***\" }",
            ),
            (
                "Credential { session_token: Some(\"tok\"), expires_in: None }",
                "Credential { session_token: Some(\"***\"), expires_in: None }",
            ),
            ("session_token: None", "session_token: None"),
            (
                "{\"authorization\": \"Basic dXNlcjpwYXNz\", \"host\": \"h\"}",
                "{\"authorization\": \"***\", \"host\": \"h\"}",
            ),
            (
                "authorization: AWS4-HMAC-SHA256 Credential=AK/x, Signature=ab12\nnext",
                "authorization: ***\nnext",
            ),
            (
                "GET /o?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff00 HTTP/1.1",
                "GET /o?X-Amz-Credential=***&X-Amz-Signature=*** HTTP/1.1",
            ),
            ("<SessionToken>FQoG+x</SessionToken>", "<SessionToken>***</SessionToken>"),
            ("password=hunter22 user=bob", "password=*** user=bob"),
            ("tokenizer: bpe, max_tokens=5", "tokenizer: bpe, max_tokens=5"),
            ("no valid signing credential found", "no valid signing credential found"),
            (
                "at reqsign::provide_credential::{{closure}}",
                "at reqsign::provide_credential::{{closure}}",
            ),
            (
                "check the credentials: AWS_ACCESS_KEY_ID",
                "check the credentials: AWS_ACCESS_KEY_ID",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(redact_fields(text), want, "{text}");
        }
    }

    #[test]
    fn url_passwords_are_hidden() {
        assert_eq!(
            redact_url_passwords("GET webdav://bob:pw1@h:8/x and https://u:p@h/y, s3://b/p"),
            "GET webdav://bob:***@h:8/x and https://u:***@h/y, s3://b/p"
        );
        assert_eq!(redact_url_passwords("http://h:8080/a@b"), "http://h:8080/a@b");
        assert!(matches!(redact_url_passwords("http://bob@h/x"), Cow::Borrowed(_)));
    }

    #[test]
    fn secret_environment_names() {
        for name in ["AWS_SECRET_ACCESS_KEY", "aws_session_token", "GITHUB_TOKEN", "DB_PASSWORD"] {
            assert!(is_secret_env_name(name), "{name}");
        }
        for name in ["HOME", "PATH", "AWS_REGION", "AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS"]
        {
            assert!(!is_secret_env_name(name), "{name}");
        }
    }
}
