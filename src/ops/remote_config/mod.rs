//! `mlx remote add|list|remove|modify|default`: the `[remotes.NAME]` tables and `[core] remote`
//! of `mlx.toml` (committed) and `.mlx/config.local.toml` (per clone, ignored by git).
//!
//! Edits go through `toml_edit`, so the comments and layout of the user's files stay; they are
//! made under the project lock and written atomically (the local file with mode 0600, since it
//! holds credentials). Secrets are only ever written to the local file, and URLs leave this
//! module redacted. [`resolve`] picks the remote a command uses when it names one or none.
//!
//! This module holds the errors, the types the operations share, [`resolve`] and the checks of
//! names; each operation has its own file (`add`, `list`, `remove`, `modify`, `default`), on top
//! of `config_file` (the two files, read or open for editing) and `toml_layout` (toml_edit
//! helpers that keep the user's comments and table order).

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::config::{Config, LOCAL_FILE, PROJECT_FILE, RemoteConfig};
use crate::project::{MLX_DIR, Project};
use crate::remote::url::{self, Location, UrlError};

mod add;
mod config_file;
mod default;
mod list;
mod modify;
mod remove;
mod toml_layout;

pub use add::{AddOptions, AddReport, add};
pub use default::{DefaultReport, SetDefaultOptions, SetDefaultReport, set_default, show_default};
pub use list::{RemoteEntry, RemoteList, list};
pub use modify::{ModifyOptions, ModifyReport, modify};
pub use remove::{RemoveOptions, RemoveReport, remove};

/// The keys of a `[remotes.NAME]` table, in the order the docs list them.
pub const KEYS: &[&str] = &[
    "url",
    "endpoint",
    "region",
    "profile",
    "path_style",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "user",
    "password",
    "port",
    "key_file",
    "passphrase",
    "strict_host_key_checking",
    "token",
    "jobs",
];

/// How a secret value is shown: its presence only.
pub const HIDDEN: &str = "***";

/// Mistakes in remote settings or in naming a remote. All are input errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RemoteConfigError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("invalid remote name `{name}`: use letters, digits, `_`, `.` and `-`")]
    InvalidName { name: String },
    #[error("remote `{name}` already exists (in {file})")]
    Exists { name: String, file: String },
    #[error("unknown remote `{name}`{}", known_list(.known, .suggestion.as_deref()))]
    Unknown { name: String, known: Vec<String>, suggestion: Option<String> },
    #[error("remote `{name}` is defined only in {LOCAL_PATH}: {action} with --local")]
    OnlyLocal { name: String, action: &'static str },
    #[error("remote `{name}` has no settings in {LOCAL_PATH}")]
    NotInLocal { name: String },
    #[error("the URL {url} holds a password, and mlx.toml is committed to git")]
    PasswordInProjectFile { url: String },
    #[error("`{key}` is a secret, and mlx.toml is committed to git")]
    SecretInProjectFile { name: String, key: String },
    #[error("unknown remote option `{key}`: use one of {}", KEYS.join(", "))]
    UnknownKey { key: String },
    #[error("invalid value for `{key}`: {reason}")]
    InvalidValue { key: String, reason: String },
    #[error("remote `{name}` needs a url in mlx.toml")]
    UrlRequired { name: String },
    #[error("remote `{name}` has no url")]
    NoUrl { name: String },
    #[error("no remote given and no default: mlx remote add NAME URL --default")]
    NoDefault { known: Vec<String> },
    #[error(
        "the default remote `{name}` ([core] remote) does not exist{}",
        known_list(.known, .suggestion.as_deref())
    )]
    DefaultMissing { name: String, known: Vec<String>, suggestion: Option<String> },
    #[error("`{key}` in {file} is not a table")]
    NotATable { file: String, key: String },
    #[error(
        "the folder {url} is inside the project's work tree: its objects would show in \
         `git status`, could be committed, and would go with the work tree"
    )]
    InsideProject { url: String },
}

const LOCAL_PATH: &str = ".mlx/config.local.toml";

/// `; did you mean `b`? (remotes: a, b)`, or `: no remotes are configured`.
fn known_list(known: &[String], suggestion: Option<&str>) -> String {
    if known.is_empty() {
        return ": no remotes are configured".into();
    }
    let mean = suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
    format!("{mean} (remotes: {})", known.join(", "))
}

impl RemoteConfigError {
    pub fn hint(&self) -> Option<String> {
        match self {
            RemoteConfigError::Exists { name, .. } => Some(format!(
                "replace it with --force, or change one setting: mlx remote modify {name} KEY VALUE"
            )),
            RemoteConfigError::Unknown { name, known, .. } if known.is_empty() => {
                Some(format!("add it: mlx remote add {name} URL"))
            }
            RemoteConfigError::PasswordInProjectFile { .. } => Some(
                "keep it out of git: add the remote with --local, or give the URL without the \
                 password and store it with `mlx remote modify NAME password VALUE --local`"
                    .into(),
            ),
            RemoteConfigError::SecretInProjectFile { name, key } => Some(format!(
                "store it in {LOCAL_PATH}, which git ignores: \
                 mlx remote modify {name} {key} VALUE --local (or use the environment)"
            )),
            RemoteConfigError::NotInLocal { name } => Some(format!(
                "it is defined in mlx.toml; to remove it everywhere: mlx remote remove {name}"
            )),
            RemoteConfigError::UrlRequired { name } => {
                Some(format!("delete the remote instead: mlx remote remove {name}"))
            }
            RemoteConfigError::InsideProject { .. } => Some(
                "use a folder outside the project, e.g. ../shared-mlx-store (or an absolute path)"
                    .into(),
            ),
            RemoteConfigError::NoUrl { name } => {
                Some(format!("set one: mlx remote modify {name} url URL"))
            }
            RemoteConfigError::NoDefault { known } if !known.is_empty() => Some(format!(
                "name one with -r NAME ({}), or choose a default: mlx remote default NAME",
                known.join(", ")
            )),
            RemoteConfigError::DefaultMissing { .. } => Some(
                "choose another default: mlx remote default NAME, or add it: mlx remote add NAME URL"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Which file an edit goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `mlx.toml`, committed.
    Project,
    /// `.mlx/config.local.toml`, this clone only.
    Local,
}

impl Scope {
    pub fn from_local(local: bool) -> Self {
        if local { Scope::Local } else { Scope::Project }
    }

    /// The path relative to the project root, as shown to users.
    pub fn rel_path(self) -> PathBuf {
        match self {
            Scope::Project => PathBuf::from(PROJECT_FILE),
            Scope::Local => PathBuf::from(MLX_DIR).join(LOCAL_FILE),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Project => PROJECT_FILE,
            Scope::Local => LOCAL_PATH,
        }
    }

    fn other(self) -> Self {
        match self {
            Scope::Project => Scope::Local,
            Scope::Local => Scope::Project,
        }
    }
}

/// Where a remote's settings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefinedIn {
    Project,
    Local,
    Both,
}

impl DefinedIn {
    /// Where a remote of the merged settings comes from (`Project` when from neither file, which
    /// the merge cannot produce).
    fn of(project: bool, local: bool) -> Self {
        match (project, local) {
            (true, true) => DefinedIn::Both,
            (false, true) => DefinedIn::Local,
            _ => DefinedIn::Project,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DefinedIn::Project => "project",
            DefinedIn::Local => "local",
            DefinedIn::Both => "both",
        }
    }
}

/// The remote a command uses: `name` if given, else `[core] remote`, else the only remote.
pub fn resolve<'a>(
    config: &'a Config,
    name: Option<&str>,
) -> std::result::Result<(String, &'a RemoteConfig), RemoteConfigError> {
    let known = || config.remotes.keys().cloned().collect::<Vec<_>>();
    let name = match (name, &config.core.remote) {
        (Some(name), _) => name,
        (None, Some(default)) => {
            if let Some(e) = default_missing(config) {
                return Err(e);
            }
            default
        }
        (None, None) => match config.remotes.keys().next() {
            Some(only) if config.remotes.len() == 1 => only,
            _ => return Err(RemoteConfigError::NoDefault { known: known() }),
        },
    };
    let Some(remote) = config.remotes.get(name) else {
        return Err(unknown(name, config.remotes.keys()));
    };
    if remote.url.is_none() {
        return Err(RemoteConfigError::NoUrl { name: name.to_owned() });
    }
    Ok((name.to_owned(), remote))
}

/// `[core] remote` names a remote that is not defined: the error saying so.
fn default_missing(config: &Config) -> Option<RemoteConfigError> {
    let default = config.core.remote.as_ref().filter(|d| !config.remotes.contains_key(*d))?;
    Some(RemoteConfigError::DefaultMissing {
        name: default.clone(),
        suggestion: suggest(default, config.remotes.keys()),
        known: config.remotes.keys().cloned().collect(),
    })
}

fn unknown<'a>(name: &str, known: impl Iterator<Item = &'a String> + Clone) -> RemoteConfigError {
    RemoteConfigError::Unknown {
        name: name.to_owned(),
        suggestion: suggest(name, known.clone()),
        known: known.cloned().collect(),
    }
}

/// `name` is defined in none of `files`: the error, naming those they define.
fn unknown_in(name: &str, files: &[&config_file::ConfigFile]) -> RemoteConfigError {
    let mut known: Vec<String> = files.iter().flat_map(|f| f.names()).collect();
    known.sort();
    known.dedup();
    unknown(name, known.iter())
}

/// After `name` became the default in the project file (`scope`), the warning that the local
/// file (`other`) still names another default for this clone.
fn local_default_overrides(
    scope: Scope,
    other: &config_file::ConfigFile,
    name: &str,
) -> Option<String> {
    let local_default = other.core_remote().filter(|_| scope == Scope::Project)?;
    (local_default != name).then(|| {
        format!(
            "[core] remote = \"{local_default}\" in {LOCAL_PATH} still overrides the default in \
             this clone"
        )
    })
}

/// The known name closest to a mistyped one, if it is close.
fn suggest<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> Option<String> {
    crate::text::closest(name, known.map(String::as_str)).map(str::to_owned)
}

/// `[A-Za-z0-9_.-]+`
pub fn check_name(name: &str) -> std::result::Result<(), RemoteConfigError> {
    let ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok { Ok(()) } else { Err(RemoteConfigError::InvalidName { name: name.to_owned() }) }
}

/// Refuse a folder remote inside the project's work tree (`raw` as stored: relative paths start
/// at the root).
fn check_outside_project(
    project: &Project,
    raw: &str,
) -> std::result::Result<(), RemoteConfigError> {
    if let Ok(Location::Local { path }) = url::parse(raw)
        && crate::remote::local::inside_work_tree(project.root(), &path)
    {
        return Err(RemoteConfigError::InsideProject { url: url::redact(raw) });
    }
    Ok(())
}

/// A relative folder URL typed in a subfolder, rewritten to start at the project root (where
/// the paths of `[remotes.*] url` start). Other URLs come back as they are.
fn from_root(project: &Project, cwd: &Path, raw: &str) -> String {
    let Ok(Location::Local { path }) = url::parse(raw) else { return raw.to_owned() };
    let sub = match cwd.strip_prefix(project.root()) {
        Ok(sub) if !sub.as_os_str().is_empty() => sub,
        _ => return raw.to_owned(),
    };
    if path.is_absolute() || raw.contains("://") {
        return raw.to_owned();
    }
    let mut parts: Vec<Component> = Vec::new();
    let joined = sub.join(&path);
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let rebased: PathBuf = parts.iter().collect();
    if rebased.as_os_str().is_empty() { ".".into() } else { rebased.to_string_lossy().into_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SECRET_KEYS;

    #[test]
    fn keys_are_the_remote_config_fields() {
        let all = RemoteConfig {
            url: Some(String::new()),
            endpoint: Some(String::new()),
            region: Some(String::new()),
            profile: Some(String::new()),
            path_style: Some(true),
            access_key_id: Some(String::new()),
            secret_access_key: Some(String::new()),
            session_token: Some(String::new()),
            user: Some(String::new()),
            password: Some(String::new()),
            port: Some(22),
            key_file: Some(String::new()),
            passphrase: Some(String::new()),
            strict_host_key_checking: Some(String::new()),
            token: Some(String::new()),
            jobs: Some(1),
        };
        let serde_json::Value::Object(map) = serde_json::to_value(all).unwrap() else { panic!() };
        let mut fields: Vec<&str> = map.keys().map(String::as_str).collect();
        let mut keys = KEYS.to_vec();
        fields.sort_unstable();
        keys.sort_unstable();
        assert_eq!(fields, keys);
        assert!(SECRET_KEYS.iter().all(|s| KEYS.contains(s)));
    }

    fn config(text: &str) -> Config {
        Config::parse(std::path::Path::new("mlx.toml"), text).unwrap()
    }

    #[test]
    fn resolve_prefers_the_named_then_the_default_then_the_only_remote() {
        let c = config(
            "[core]\nremote = \"b\"\n[remotes.a]\nurl = \"/a\"\n[remotes.b]\nurl = \"/b\"\n",
        );
        assert_eq!(resolve(&c, Some("a")).unwrap().0, "a");
        assert_eq!(resolve(&c, None).unwrap().0, "b");
        let only = config("[remotes.storage]\nurl = \"s3://b\"\n");
        let (name, remote) = resolve(&only, None).unwrap();
        assert_eq!((name.as_str(), remote.url.as_deref()), ("storage", Some("s3://b")));
        let two = config("[remotes.a]\nurl = \"/a\"\n[remotes.b]\nurl = \"/b\"\n");
        let err = resolve(&two, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no remote given and no default: mlx remote add NAME URL --default"
        );
        assert!(err.hint().unwrap().contains("-r NAME (a, b)"));
        let none = config("");
        assert!(matches!(resolve(&none, None), Err(RemoteConfigError::NoDefault { .. })));
    }

    #[test]
    fn unknown_names_list_the_known_and_suggest_a_close_one() {
        let c = config("[remotes.storage]\nurl = \"/a\"\n[remotes.backup]\nurl = \"/b\"\n");
        let err = resolve(&c, Some("stroage")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown remote `stroage`; did you mean `storage`? (remotes: backup, storage)"
        );
        let err = resolve(&c, Some("zzz")).unwrap_err();
        assert_eq!(err.to_string(), "unknown remote `zzz` (remotes: backup, storage)");
        let err = resolve(&config(""), Some("x")).unwrap_err();
        assert_eq!(err.to_string(), "unknown remote `x`: no remotes are configured");
        let dangling = config("[core]\nremote = \"storag\"\n[remotes.storage]\nurl = \"/a\"\n");
        let err = resolve(&dangling, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the default remote `storag` ([core] remote) does not exist; did you mean `storage`? \
             (remotes: storage)"
        );
        let no_url = config("[remotes.a]\nregion = \"eu\"\n");
        assert!(matches!(resolve(&no_url, None), Err(RemoteConfigError::NoUrl { .. })));
    }
}
