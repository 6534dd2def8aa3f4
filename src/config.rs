//! `mlx.toml` and `.mlx/config.local.toml`: serde types and loading. Parse errors keep the file,
//! line and column. The local file overrides the project file key by key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fs_err as fs;
use serde::Deserialize;

use crate::secrets;
use crate::store::LinkType;
use crate::store::error::line_column;

pub const PROJECT_FILE: &str = "mlx.toml";
pub const LOCAL_FILE: &str = "config.local.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}:{line}:{column}: {message}")]
    Parse { file: PathBuf, line: usize, column: usize, message: String },
    /// A secret key in a `[remotes.NAME]` table of the committed project file.
    #[error("{file}:{line}:{column}: {key} belongs in .mlx/config.local.toml, which git ignores")]
    SecretInProjectFile { file: PathBuf, line: usize, column: usize, remote: String, key: String },
    /// A per-clone setting in the committed project file: a repository must not choose where
    /// mlx writes on the machines that clone it.
    #[error(
        "{file}:{line}:{column}: [cache] dir is a per-clone setting; it belongs in .mlx/config.local.toml, which git ignores"
    )]
    CacheDirInProjectFile { file: PathBuf, line: usize, column: usize },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A TOML parse error in `file` at byte range `span` of `text`, as file:line:column.
    pub fn parse_at(
        file: &Path,
        text: &str,
        span: Option<std::ops::Range<usize>>,
        message: &str,
    ) -> Self {
        let (line, column) = span.map_or((1, 1), |s| line_column(text, s.start));
        Error::Parse { file: file.to_path_buf(), line, column, message: message.trim().to_owned() }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub core: CoreConfig,
    #[serde(default)]
    pub cache: CacheConfig,
    /// `[remotes.NAME]`: where `mlx push` and `mlx fetch` send and find objects.
    #[serde(default)]
    pub remotes: BTreeMap<String, RemoteConfig>,
    /// `[stages.*]`: read and checked by `pipeline::spec`, with its own error positions.
    #[serde(default, rename = "stages")]
    _stages: serde::de::IgnoredAny,
    /// `[resources]`: limits for the pipeline executor, read by `pipeline::spec`.
    #[serde(default, rename = "resources")]
    _resources: serde::de::IgnoredAny,
    /// `vars`: values for `${…}` in stages, read by `pipeline::spec`.
    #[serde(default, rename = "vars")]
    _vars: serde::de::IgnoredAny,
    /// `metrics`: the top-level list of metrics files, read by `pipeline::spec`.
    #[serde(default, rename = "metrics")]
    _metrics: serde::de::IgnoredAny,
    /// `[checks."PATH"]`: what a data file must hold (`mlx data check`, and `mlx run` for the
    /// deps and outs of stages).
    #[serde(default)]
    pub checks: BTreeMap<String, crate::quality::CheckSpec>,
    /// `[drift]`: thresholds of `mlx data drift`.
    #[serde(default)]
    pub drift: crate::quality::DriftConfig,
    /// `[plots.NAME]`: plot definitions, read by `plots::definition`.
    #[serde(default, rename = "plots")]
    _plots: serde::de::IgnoredAny,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreConfig {
    /// Seconds a mutating command waits for another one's repository lock.
    pub lock_timeout: Option<u64>,
    /// The remote used when a command names none (`mlx remote add --default`).
    pub remote: Option<String>,
    /// `mlx status` starts the file watcher (`mlx watch start`) when none runs.
    pub watch: Option<bool>,
}

/// One `[remotes.NAME]` table. Keys left out are looked up in the environment and the standard
/// credential files of the storage (AWS conventions for S3). Secret keys may only appear in
/// `.mlx/config.local.toml`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteConfig {
    /// `/path`, `file:///path`, `s3://bucket/prefix`, `webdav://host/path`, `http(s)://host/path`,
    /// `gs://bucket/prefix`, `azure://container/prefix`, `ssh://[user@]host[:port]/path`.
    pub url: Option<String>,
    /// S3-compatible endpoint, e.g. `http://127.0.0.1:9000` for MinIO.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Profile of the shared AWS config and credentials files.
    pub profile: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`, the default); `false` for virtual hosts.
    pub path_style: Option<bool>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// WebDAV/HTTP/SSH user name, or Azure storage account name.
    pub user: Option<String>,
    /// WebDAV/HTTP/SSH password, or Azure storage account key.
    pub password: Option<String>,
    /// SSH: the server's port (default: the URL's, then `~/.ssh/config`'s, then 22).
    pub port: Option<u16>,
    /// SSH: the private key to log in with (tried before the agent's keys and the usual
    /// `~/.ssh/id_*` files).
    pub key_file: Option<String>,
    /// SSH: the passphrase of an encrypted `key_file`.
    pub passphrase: Option<String>,
    /// SSH: `yes` (the default: a server whose key is not in `~/.ssh/known_hosts` is refused)
    /// or `accept-new` (an unknown server's key is recorded there; a changed one is refused).
    pub strict_host_key_checking: Option<String>,
    /// Google Cloud Storage: a fixed OAuth2 access token (`gcloud auth print-access-token`).
    pub token: Option<String>,
    /// Parallel transfers for this remote (default 32).
    pub jobs: Option<usize>,
}

/// Keys of a remote that hold secrets: accepted only in `.mlx/config.local.toml`.
pub const SECRET_KEYS: &[&str] =
    &["access_key_id", "secret_access_key", "session_token", "password", "token", "passphrase"];

impl RemoteConfig {
    /// Whether any of the [`SECRET_KEYS`] is set.
    pub fn has_secret_key(&self) -> bool {
        self.access_key_id.is_some()
            || self.secret_access_key.is_some()
            || self.session_token.is_some()
            || self.password.is_some()
            || self.token.is_some()
            || self.passphrase.is_some()
    }

    /// Make the secrets of this table (its [`SECRET_KEYS`], the password of its URL) known to
    /// [`crate::secrets`].
    pub fn remember_secrets(&self) {
        let keys = [
            &self.access_key_id,
            &self.secret_access_key,
            &self.session_token,
            &self.token,
            &self.passphrase,
        ];
        for value in keys.into_iter().flatten() {
            secrets::remember(value);
        }
        if let Some(password) = &self.password {
            secrets::remember_login(self.user.as_deref(), password);
        }
        if let Some(url) = &self.url {
            secrets::remember_url(url);
        }
    }

    /// `other`'s keys win where it has them.
    pub fn merged_with(mut self, other: RemoteConfig) -> RemoteConfig {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(
            url,
            endpoint,
            region,
            profile,
            path_style,
            access_key_id,
            secret_access_key,
            session_token,
            user,
            password,
            port,
            key_file,
            passphrase,
            strict_host_key_checking,
            token,
            jobs
        );
        self
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Link types to try, in order, when placing cache objects in the workspace.
    #[serde(rename = "type", default, deserialize_with = "one_or_many")]
    pub link_types: Option<Vec<LinkType>>,
    /// Where the cache lives (default `.mlx/cache`); relative paths start at the project root.
    pub dir: Option<PathBuf>,
    /// Store big files as content-defined chunks (default true).
    pub chunking: Option<bool>,
    /// Files at or above this size are big: chunked, and placed read-only (default 64 MiB).
    #[serde(default, deserialize_with = "byte_size")]
    pub chunk_threshold: Option<u64>,
    /// Place big files as read-only hardlinks of the cache object where no reflink can be made
    /// and `type` is not set (default true); `mlx unprotect` makes one editable.
    pub protect_big_files: Option<bool>,
}

impl CacheConfig {
    /// The size from which files are chunked, or `None` when chunking is off.
    pub fn chunking_threshold(&self) -> Option<u64> {
        (self.chunking != Some(false))
            .then(|| self.chunk_threshold.unwrap_or(crate::store::chunks::DEFAULT_THRESHOLD))
    }

    /// The size from which files are big (chunked, protected), whether chunking is on or not.
    pub fn big_file_size(&self) -> u64 {
        self.chunk_threshold.unwrap_or(crate::store::chunks::DEFAULT_THRESHOLD)
    }
}

/// A size in bytes: a number, or a string such as "64MiB", "512 KiB", "1GB" or "100".
fn byte_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    let bad = || serde::de::Error::custom("a size must be a number of bytes or like \"64MiB\"");
    match Raw::deserialize(d).map_err(|_| bad())? {
        Raw::Number(n) => Ok(Some(n)),
        Raw::Text(t) => parse_size(&t).map(Some).ok_or_else(bad),
    }
}

/// "64MiB", "64 MiB", "1GB", "100" as bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<LinkType>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(LinkType),
        Many(Vec<LinkType>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(t)) => Ok(Some(vec![t])),
        Ok(OneOrMany::Many(v)) if !v.is_empty() => Ok(Some(v)),
        Ok(OneOrMany::Many(_)) => {
            Err(serde::de::Error::custom("`type` needs at least one link type"))
        }
        Err(_) => Err(serde::de::Error::custom(
            "`type` must be one of \"reflink\", \"hardlink\", \"symlink\", \"copy\", or a list of them",
        )),
    }
}

impl Config {
    /// Parse TOML text; `file` names it in errors.
    /// Every secret it holds becomes known to [`crate::secrets`], so that none is ever printed
    /// (of a file that does not parse, the values given to secret keys, as far as they can be
    /// told).
    pub fn parse(file: &Path, text: &str) -> Result<Self, Error> {
        match toml::from_str::<Config>(text) {
            Ok(config) => {
                config.remotes.values().for_each(RemoteConfig::remember_secrets);
                Ok(config)
            }
            Err(e) => {
                remember_secrets_in(text);
                Err(Error::parse_at(file, text, e.span(), e.message()))
            }
        }
    }

    /// Parse the committed project file: like [`Config::parse`], and a secret key in a
    /// `[remotes.NAME]` table is an error naming its line and column.
    pub fn parse_shared(file: &Path, text: &str) -> Result<Self, Error> {
        let config = Self::parse(file, text)?;
        // Only a file that holds a secret is read a second time, for the place to report.
        if config.remotes.values().any(RemoteConfig::has_secret_key) {
            check_no_secrets(file, text)?;
        }
        if config.cache.dir.is_some() {
            let at = toml_edit::Document::parse(text)
                .ok()
                .and_then(|doc| {
                    let cache = doc.as_item().get("cache")?.as_table_like()?;
                    cache.get_key_value("dir")?.0.span()
                })
                .map_or(0, |s| s.start);
            let (line, column) = line_column(text, at);
            return Err(Error::CacheDirInProjectFile { file: file.to_path_buf(), line, column });
        }
        Ok(config)
    }

    /// Read a file if it exists; a missing file is an empty config.
    pub fn read(path: &Path, shown_as: &Path) -> Result<Self, Error> {
        match read_if_exists(path)? {
            Some(text) => Self::parse(shown_as, &text),
            None => Ok(Config::default()),
        }
    }

    /// Read the committed project file if it exists (see [`Config::parse_shared`]).
    pub fn read_shared(path: &Path, shown_as: &Path) -> Result<Self, Error> {
        match read_if_exists(path)? {
            Some(text) => Self::parse_shared(shown_as, &text),
            None => Ok(Config::default()),
        }
    }

    /// `other`'s settings win where it has them.
    pub fn merged_with(mut self, other: Config) -> Config {
        if other.core.lock_timeout.is_some() {
            self.core.lock_timeout = other.core.lock_timeout;
        }
        if other.core.watch.is_some() {
            self.core.watch = other.core.watch;
        }
        if other.core.remote.is_some() {
            self.core.remote = other.core.remote;
        }
        for (name, remote) in other.remotes {
            let merged = match self.remotes.remove(&name) {
                Some(mine) => mine.merged_with(remote),
                None => remote,
            };
            self.remotes.insert(name, merged);
        }
        if other.cache.link_types.is_some() {
            self.cache.link_types = other.cache.link_types;
        }
        if other.cache.chunking.is_some() {
            self.cache.chunking = other.cache.chunking;
        }
        if other.cache.chunk_threshold.is_some() {
            self.cache.chunk_threshold = other.cache.chunk_threshold;
        }
        if other.cache.protect_big_files.is_some() {
            self.cache.protect_big_files = other.cache.protect_big_files;
        }
        if other.cache.dir.is_some() {
            self.cache.dir = other.cache.dir;
        }
        self
    }
}

/// A file's text, or `None` when it does not exist.
pub(crate) fn read_if_exists(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) => Ok(Some(fs::read_to_string(path)?)),
    }
}

/// For a file that does not parse: remember the value given to any secret key (`key = "v"`,
/// `key = 'v'` or a bare `key = v`) and the password of any URL, line by line.
fn remember_secrets_in(text: &str) {
    for line in text.lines() {
        secrets::remember_url(line.trim());
        for key in SECRET_KEYS {
            let mut rest = line;
            while let Some(at) = rest.find(key) {
                rest = &rest[at + key.len()..];
                let Some(value) = rest.trim_start().strip_prefix('=') else { continue };
                let value = value.trim_start();
                let quoted = value.chars().next().filter(|q| matches!(q, '"' | '\''));
                let end = match quoted {
                    Some(q) => value[1..].find(q).map_or(value.len(), |e| e + 1),
                    None => value.find([' ', '\t', ',', '}', '#']).unwrap_or(value.len()),
                };
                let start = usize::from(quoted.is_some());
                secrets::remember(&value[start.min(end)..end]);
            }
        }
    }
}

/// Refuse secret keys (`SECRET_KEYS`) in the `[remotes.*]` tables of a committed file, naming
/// the position of the first one. Text that does not parse is left to [`Config::parse`].
fn check_no_secrets(file: &Path, text: &str) -> Result<(), Error> {
    let Ok(doc) = toml_edit::Document::parse(text) else { return Ok(()) };
    let Some(remotes) = doc.as_item().get("remotes").and_then(toml_edit::Item::as_table_like)
    else {
        return Ok(());
    };
    let mut first: Option<(usize, String, String)> = None;
    for (name, remote) in remotes.iter() {
        let Some(remote) = remote.as_table_like() else { continue };
        for key in SECRET_KEYS {
            if let Some((k, _)) = remote.get_key_value(key) {
                let at = k.span().map_or(0, |s| s.start);
                if first.as_ref().is_none_or(|(f, _, _)| at < *f) {
                    first = Some((at, name.to_owned(), (*key).to_owned()));
                }
            }
        }
    }
    match first {
        Some((at, remote, key)) => {
            let (line, column) = line_column(text, at);
            Err(Error::SecretInProjectFile { file: file.to_path_buf(), line, column, remote, key })
        }
        None => Ok(()),
    }
}

/// What `mlx init` writes as a fresh `mlx.toml`.
pub const PROJECT_TEMPLATE: &str = r#"# mlx project file: settings shared by everyone who clones this repository.
# Written by `mlx init`; edit freely. Per-clone settings go in .mlx/config.local.toml.

[cache]
# How cache objects are placed in the workspace, first that works wins:
# "reflink" (copy-on-write clone), "hardlink", "symlink" or "copy".
# type = ["reflink", "copy"]

[core]
# Seconds a command waits for another mlx command working on this project.
# lock_timeout = 120
"#;

pub const LOCAL_TEMPLATE: &str = r"# mlx settings for this clone only (never committed): same keys as mlx.toml.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("512 KiB"), Some(512 << 10));
        assert_eq!(parse_size("1GB"), Some(1_000_000_000));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("lots"), None);
        let c = Config::parse(Path::new("c"), "[cache]\nchunk_threshold = \"1MiB\"\n").unwrap();
        assert_eq!(c.cache.chunking_threshold(), Some(1 << 20));
        let c = Config::parse(Path::new("c"), "[cache]\nchunking = false\n").unwrap();
        assert_eq!(c.cache.chunking_threshold(), None);
    }

    #[test]
    fn parses_link_types_one_or_many() {
        let c = Config::parse(Path::new("mlx.toml"), "[cache]\ntype = \"hardlink\"\n").unwrap();
        assert_eq!(c.cache.link_types, Some(vec![LinkType::Hardlink]));
        let c = Config::parse(Path::new("mlx.toml"), "[cache]\ntype = [\"symlink\", \"copy\"]\n")
            .unwrap();
        assert_eq!(c.cache.link_types, Some(vec![LinkType::Symlink, LinkType::Copy]));
        assert!(Config::parse(Path::new("m"), PROJECT_TEMPLATE).is_ok());
    }

    #[test]
    fn errors_name_line_and_column() {
        let err =
            Config::parse(Path::new("mlx.toml"), "[cache]\ntype = \"teleport\"\n").unwrap_err();
        let Error::Parse { line, column, .. } = err else { panic!() };
        assert_eq!((line, column), (2, 8));
        let err = Config::parse(Path::new("mlx.toml"), "[cache\n").unwrap_err();
        assert!(matches!(err, Error::Parse { line: 1, .. }));
    }

    #[test]
    fn a_cache_dir_in_the_project_file_is_refused_where_written() {
        let text = "[core]\nlock_timeout = 5\n[cache]\n  dir = \"/home/victim/.ssh\"\n";
        let err = Config::parse_shared(Path::new("mlx.toml"), text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "mlx.toml:4:3: [cache] dir is a per-clone setting; it belongs in .mlx/config.local.toml, which git ignores"
        );
        // The same key is fine where it belongs.
        assert!(Config::parse(Path::new("c"), "[cache]\ndir = \"/mnt/cache\"\n").is_ok());
    }

    #[test]
    fn secrets_of_a_file_become_known_even_when_it_does_not_parse() {
        let text = "[remotes.s]\nsecret_access_key = \"cfg-secret-91\"\nurl = \"webdav://u:cfg-pw-93@h/x\"\n";
        Config::parse(Path::new("c.toml"), text).unwrap();
        let broken = "[remotes.t]\npassword = 'cfg-pw-92' oops\ntoken = cfg-token-94\n";
        assert!(Config::parse(Path::new("c.toml"), broken).is_err());
        assert_eq!(
            secrets::redact("cfg-secret-91 cfg-pw-92 cfg-pw-93 cfg-token-94"),
            "*** *** *** ***"
        );
    }

    #[test]
    fn secrets_in_the_project_file_name_their_position() {
        let text =
            "[remotes.s3]\nurl = \"s3://b/p\"\nregion = \"eu\"\n  secret_access_key = \"x\"\n";
        assert!(Config::parse(Path::new("mlx.toml"), text).is_ok());
        let err = Config::parse_shared(Path::new("mlx.toml"), text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "mlx.toml:4:3: secret_access_key belongs in .mlx/config.local.toml, which git ignores"
        );
        let text =
            "remotes.a.url = \"/x\"\nremotes.a.password = \"p\"\n[remotes.b]\nurl = \"/y\"\n";
        let Error::SecretInProjectFile { line, column, remote, key, .. } =
            Config::parse_shared(Path::new("mlx.toml"), text).unwrap_err()
        else {
            panic!()
        };
        assert_eq!((line, column, remote.as_str(), key.as_str()), (2, 11, "a", "password"));
        let text = "[remotes]\nb = { url = \"/y\", session_token = \"t\" }\n";
        let err = Config::parse_shared(Path::new("mlx.toml"), text).unwrap_err();
        assert!(err.to_string().starts_with("mlx.toml:2:19: session_token"), "{err}");
        let text = "[remotes.g]\nurl = \"gs://b/p\"\ntoken = \"ya29.x\"\n";
        let err = Config::parse_shared(Path::new("mlx.toml"), text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "mlx.toml:3:1: token belongs in .mlx/config.local.toml, which git ignores"
        );
        let ok = "[remotes.b]\nurl = \"/y\"\nuser = \"bob\"\n";
        assert!(Config::parse_shared(Path::new("mlx.toml"), ok).is_ok());
    }

    #[test]
    fn local_remote_keys_win_and_the_token_is_kept() {
        let shared = Config::parse(
            Path::new("mlx.toml"),
            "[remotes.g]\nurl = \"gs://b/p\"\nendpoint = \"http://127.0.0.1:1\"\n",
        )
        .unwrap();
        let local = Config::parse(
            Path::new(LOCAL_FILE),
            "[remotes.g]\ntoken = \"ya29.x\"\nendpoint = \"http://127.0.0.1:2\"\n",
        )
        .unwrap();
        let merged = shared.merged_with(local);
        let g = &merged.remotes["g"];
        assert_eq!(g.url.as_deref(), Some("gs://b/p"));
        assert_eq!(g.endpoint.as_deref(), Some("http://127.0.0.1:2"));
        assert_eq!(g.token.as_deref(), Some("ya29.x"));
    }

    #[test]
    fn pipeline_tables_are_left_to_the_pipeline_and_other_keys_refused() {
        let text = "[resources]\ngpu = 1\n[stages.a]\ncmd = 1\nanything = [\"x\"]\n[cache]\ntype = \"copy\"\n";
        let c = Config::parse(Path::new("mlx.toml"), text).unwrap();
        assert_eq!(c.cache.link_types, Some(vec![LinkType::Copy]));
        let err = Config::parse(Path::new("mlx.toml"), "[stages.a]\ncmd = \"x\"\n[stagez]\n")
            .unwrap_err();
        let Error::Parse { line, column, message, .. } = err else { panic!() };
        assert_eq!((line, column), (3, 2), "{message}");
        assert!(message.contains("unknown field `stagez`"), "{message}");
    }
}
