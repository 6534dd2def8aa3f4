//! `mlx remote add|list|remove|modify|default`: the `[remotes.NAME]` tables and `[core] remote`
//! of `mlx.toml` (committed) and `.mlx/config.local.toml` (per clone, ignored by git).
//!
//! Edits go through `toml_edit`, so the comments and layout of the user's files stay; they are
//! made under the project lock and written atomically (the local file with mode 0600, since it
//! holds credentials). Secrets are only ever written to the local file, and URLs leave this
//! module redacted. [`resolve`] picks the remote a command uses when it names one or none.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use fs_err as fs;
use serde::Serialize;
use toml_edit::{DocumentMut, Item, Table, TableLike};

use super::Result;
use crate::config::{
    self, Config, LOCAL_FILE, LOCAL_TEMPLATE, PROJECT_FILE, RemoteConfig, SECRET_KEYS,
};
use crate::fs_util;
use crate::progress::Reporter;
use crate::project::{MLX_DIR, Project};
use crate::remote::url::{self, Location, UrlError};
use crate::store::error::line_column;

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
    fn of(project: bool, local: bool) -> Option<Self> {
        match (project, local) {
            (true, true) => Some(DefinedIn::Both),
            (true, false) => Some(DefinedIn::Project),
            (false, true) => Some(DefinedIn::Local),
            (false, false) => None,
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
            if !config.remotes.contains_key(default) {
                return Err(RemoteConfigError::DefaultMissing {
                    name: default.clone(),
                    suggestion: suggest(default, config.remotes.keys()),
                    known: known(),
                });
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

fn unknown<'a>(name: &str, known: impl Iterator<Item = &'a String> + Clone) -> RemoteConfigError {
    RemoteConfigError::Unknown {
        name: name.to_owned(),
        suggestion: suggest(name, known.clone()),
        known: known.cloned().collect(),
    }
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

// ---------------------------------------------------------------------------------------------
// add

pub struct AddOptions {
    pub name: String,
    pub url: String,
    /// Also make it the default (`[core] remote`).
    pub default: bool,
    /// Write to `.mlx/config.local.toml` instead of `mlx.toml`.
    pub local: bool,
    /// Replace a remote of that name.
    pub force: bool,
    /// Where the command runs: a relative folder URL starts here.
    pub cwd: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct AddReport {
    pub name: String,
    /// The URL, password redacted.
    pub url: String,
    /// The file written, relative to the project root.
    pub file: String,
    /// Whether it is now the default remote.
    pub default: bool,
    /// Whether a remote of that name was replaced (`--force`).
    pub replaced: bool,
    pub warnings: Vec<String>,
}

pub fn add(project: &Project, opts: &AddOptions, reporter: &dyn Reporter) -> Result<AddReport> {
    check_name(&opts.name)?;
    url::parse(&opts.url).map_err(RemoteConfigError::from)?;
    let scope = Scope::from_local(opts.local);
    if scope == Scope::Project && url::has_password(&opts.url) {
        Err(RemoteConfigError::PasswordInProjectFile { url: url::redact(&opts.url) })?;
    }
    let new_url = from_root(project, &opts.cwd, &opts.url);
    let _lock = project.lock(reporter)?;
    let mut target = ConfigFile::load(project, scope)?;
    let other = ConfigFile::load(project, scope.other())?;
    let existing = [&target, &other].into_iter().find(|f| f.remote(&opts.name).is_some());
    if let Some(file) = existing
        && !opts.force
    {
        Err(RemoteConfigError::Exists {
            name: opts.name.clone(),
            file: file.scope.label().into(),
        })?;
    }
    let replaced = existing.is_some();
    let mut warnings = Vec::new();
    let table = target.remote_entry(&opts.name)?;
    table.clear();
    table.insert("url", toml_edit::value(new_url.as_str()));
    if scope == Scope::Project && other.remote(&opts.name).is_some_and(|t| t.contains_key("url")) {
        warnings.push(format!(
            "the url of `{}` in {LOCAL_PATH} still overrides this one in this clone",
            opts.name
        ));
    }
    if opts.default {
        target.set_core_remote(Some(&opts.name))?;
        if let Some(local_default) = other.core_remote().filter(|_| scope == Scope::Project)
            && local_default != opts.name
        {
            warnings.push(format!(
                "[core] remote = \"{local_default}\" in {LOCAL_PATH} still overrides the default \
                 in this clone"
            ));
        }
    }
    target.save()?;
    Ok(AddReport {
        name: opts.name.clone(),
        url: url::redact(&new_url),
        file: scope.label().into(),
        default: opts.default,
        replaced,
        warnings,
    })
}

// ---------------------------------------------------------------------------------------------
// list

#[derive(Debug, Serialize)]
pub struct RemoteList {
    /// `[core] remote`, if set.
    pub default: Option<String>,
    pub remotes: Vec<RemoteEntry>,
    /// Settings that will fail when a remote is used (a default that does not exist, a bad URL).
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RemoteEntry {
    pub name: String,
    /// The URL with any password redacted; `None` when no file sets one.
    pub url: Option<String>,
    /// `local`, `s3`, `webdav`, `http`, `gcs` or `azure`; `None` when the URL does not parse.
    pub kind: Option<&'static str>,
    pub default: bool,
    pub defined_in: DefinedIn,
    /// The other keys set (merged, local over project); secrets show as `***`.
    pub options: BTreeMap<String, serde_json::Value>,
}

pub fn list(project: &Project) -> Result<RemoteList> {
    let (shared, local) = read_both(project)?;
    let config = project.config();
    let mut warnings = Vec::new();
    let mut remotes = Vec::new();
    for (name, remote) in &config.remotes {
        let defined_in =
            DefinedIn::of(shared.remotes.contains_key(name), local.remotes.contains_key(name))
                .unwrap_or(DefinedIn::Project);
        let kind = match remote.url.as_deref().map(url::parse) {
            Some(Ok(location)) => Some(location.kind()),
            Some(Err(e)) => {
                warnings.push(format!("remote `{name}`: {e}"));
                None
            }
            None => {
                warnings
                    .push(format!("remote `{name}` has no url: mlx remote modify {name} url URL"));
                None
            }
        };
        remotes.push(RemoteEntry {
            name: name.clone(),
            url: remote.url.as_deref().map(url::redact),
            kind,
            default: config.core.remote.as_deref() == Some(name.as_str()),
            defined_in,
            options: shown_options(remote),
        });
    }
    if let Some(default) = &config.core.remote
        && !config.remotes.contains_key(default)
    {
        let error = RemoteConfigError::DefaultMissing {
            name: default.clone(),
            suggestion: suggest(default, config.remotes.keys()),
            known: config.remotes.keys().cloned().collect(),
        };
        warnings.push(error.to_string());
    }
    Ok(RemoteList { default: config.core.remote.clone(), remotes, warnings })
}

/// Every key but `url` that is set, secrets as `***`, endpoints redacted.
fn shown_options(remote: &RemoteConfig) -> BTreeMap<String, serde_json::Value> {
    let Ok(serde_json::Value::Object(all)) = serde_json::to_value(remote) else {
        return BTreeMap::new();
    };
    all.into_iter()
        .filter(|(k, v)| k != "url" && !v.is_null())
        .map(|(k, v)| {
            let v = if SECRET_KEYS.contains(&k.as_str()) {
                serde_json::Value::from(HIDDEN)
            } else if let serde_json::Value::String(s) = &v {
                serde_json::Value::from(url::redact(s))
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// remove

pub struct RemoveOptions {
    pub name: String,
    /// Only remove it from `.mlx/config.local.toml` (its local settings and credentials).
    pub local: bool,
}

#[derive(Debug, Serialize)]
pub struct RemoveReport {
    pub name: String,
    /// Files the `[remotes.NAME]` table was removed from.
    pub removed_from: Vec<String>,
    /// Files whose `[core] remote` named it and was cleared.
    pub default_cleared_in: Vec<String>,
}

pub fn remove(
    project: &Project,
    opts: &RemoveOptions,
    reporter: &dyn Reporter,
) -> Result<RemoveReport> {
    let _lock = project.lock(reporter)?;
    let scopes: &[Scope] =
        if opts.local { &[Scope::Local] } else { &[Scope::Project, Scope::Local] };
    let mut files = Vec::new();
    for scope in scopes {
        files.push(ConfigFile::load(project, *scope)?);
    }
    let mut report = RemoveReport {
        name: opts.name.clone(),
        removed_from: Vec::new(),
        default_cleared_in: Vec::new(),
    };
    for file in &mut files {
        if file.remove_remote(&opts.name) {
            report.removed_from.push(file.scope.label().into());
        }
        if file.core_remote() == Some(opts.name.as_str()) {
            file.set_core_remote(None)?;
            report.default_cleared_in.push(file.scope.label().into());
        }
    }
    if report.removed_from.is_empty() && report.default_cleared_in.is_empty() {
        if opts.local && ConfigFile::load(project, Scope::Project)?.remote(&opts.name).is_some() {
            return Err(RemoteConfigError::NotInLocal { name: opts.name.clone() }.into());
        }
        let mut known: Vec<String> = files.iter().flat_map(ConfigFile::names).collect();
        known.sort();
        known.dedup();
        return Err(unknown(&opts.name, known.iter()).into());
    }
    for file in &files {
        file.save()?;
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// modify

pub struct ModifyOptions {
    pub name: String,
    pub key: String,
    /// The new value as typed; `None` removes the key (`--unset`).
    pub value: Option<String>,
    /// Edit `.mlx/config.local.toml`; a remote of `mlx.toml` may get local keys there.
    pub local: bool,
    /// Where the command runs: a relative folder URL starts here.
    pub cwd: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct ModifyReport {
    pub name: String,
    pub key: String,
    /// The value set, as shown: secrets as `***`, URLs redacted; `None` after `--unset`.
    pub value: Option<String>,
    /// The file written (or that would have been), relative to the project root.
    pub file: String,
    /// False when nothing changed (the same value, or unsetting a key that was not set).
    pub changed: bool,
}

pub fn modify(
    project: &Project,
    opts: &ModifyOptions,
    reporter: &dyn Reporter,
) -> Result<ModifyReport> {
    let key = opts.key.as_str();
    if !KEYS.contains(&key) {
        Err(RemoteConfigError::UnknownKey { key: key.to_owned() })?;
    }
    let scope = Scope::from_local(opts.local);
    let secret = SECRET_KEYS.contains(&key);
    if secret && scope == Scope::Project && opts.value.is_some() {
        Err(RemoteConfigError::SecretInProjectFile {
            name: opts.name.clone(),
            key: key.to_owned(),
        })?;
    }
    if key == "url" && opts.value.is_none() && scope == Scope::Project {
        Err(RemoteConfigError::UrlRequired { name: opts.name.clone() })?;
    }
    let text = match (&opts.value, key) {
        (Some(v), "url") => Some(from_root(project, &opts.cwd, v)),
        (v, _) => v.clone(),
    };
    let value = text.as_deref().map(|v| typed_value(key, v, scope)).transpose()?;
    let _lock = project.lock(reporter)?;
    let mut target = ConfigFile::load(project, scope)?;
    let other = ConfigFile::load(project, scope.other())?;
    let shown = match (&text, secret) {
        (None, _) => None,
        (Some(_), true) => Some(HIDDEN.to_owned()),
        (Some(v), false) => Some(url::redact(v)),
    };
    let mut report = ModifyReport {
        name: opts.name.clone(),
        key: key.to_owned(),
        value: shown,
        file: scope.label().into(),
        changed: false,
    };
    if target.remote(&opts.name).is_none() {
        let in_other = other.remote(&opts.name).is_some();
        match scope {
            Scope::Local if in_other => {}
            Scope::Project if in_other => {
                let name = opts.name.clone();
                return Err(RemoteConfigError::OnlyLocal { name, action: "modify it" }.into());
            }
            _ => {
                let mut known = target.names();
                known.extend(other.names());
                known.sort();
                known.dedup();
                return Err(unknown(&opts.name, known.iter()).into());
            }
        }
        if value.is_none() {
            // Nothing local to unset.
            return Ok(report);
        }
    }
    let table = target.remote_entry(&opts.name)?;
    match value {
        Some(value) => {
            report.changed = set_value(table, key, value);
        }
        None => {
            report.changed = table.remove(key).is_some();
            if table.is_empty() && scope == Scope::Local {
                target.remove_remote(&opts.name);
            }
        }
    }
    if report.changed {
        target.save()?;
    }
    Ok(report)
}

/// A value typed on the command line as the TOML value of `key`.
fn typed_value(
    key: &str,
    text: &str,
    scope: Scope,
) -> std::result::Result<toml_edit::Value, RemoteConfigError> {
    let invalid =
        |reason: &str| RemoteConfigError::InvalidValue { key: key.into(), reason: reason.into() };
    if text.is_empty() {
        return Err(invalid("empty (to remove the key, use --unset)"));
    }
    match key {
        "path_style" => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(true.into()),
            "false" => Ok(false.into()),
            _ => Err(invalid("expected true or false")),
        },
        "jobs" => match text.parse::<i64>() {
            Ok(n) if n > 0 => Ok(n.into()),
            _ => Err(invalid("expected a positive whole number")),
        },
        "url" | "endpoint" => {
            if key == "url" {
                url::parse(text)?;
            } else if !(text.starts_with("http://") || text.starts_with("https://")) {
                return Err(invalid("expected http://HOST[:PORT] or https://HOST[:PORT]"));
            }
            if scope == Scope::Project && url::has_password(text) {
                return Err(RemoteConfigError::PasswordInProjectFile { url: url::redact(text) });
            }
            Ok(text.into())
        }
        _ => Ok(text.into()),
    }
}

/// Set `key`, keeping the comments around an existing value. True if the value changed.
fn set_value(table: &mut dyn TableLike, key: &str, value: toml_edit::Value) -> bool {
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            let mut bare = old.clone();
            bare.decor_mut().clear();
            if bare.to_string() == value.to_string() {
                return false;
            }
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        None => {
            table.insert(key, Item::Value(value));
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// default

#[derive(Debug, Serialize)]
pub struct DefaultReport {
    /// `[core] remote`, if set (the local file wins over mlx.toml).
    pub default: Option<String>,
    /// The file that sets it.
    pub file: Option<String>,
    /// The remote a command uses without `-r NAME`: the default, or the only remote.
    pub resolved: Option<String>,
}

/// The default remote and where it is set.
pub fn show_default(project: &Project) -> Result<DefaultReport> {
    let (shared, local) = read_both(project)?;
    let file = if local.core.remote.is_some() {
        Some(Scope::Local)
    } else {
        shared.core.remote.as_ref().map(|_| Scope::Project)
    };
    let config = project.config();
    Ok(DefaultReport {
        default: config.core.remote.clone(),
        file: file.map(|s| s.label().to_owned()),
        resolved: resolve(config, None).ok().map(|(name, _)| name),
    })
}

pub struct SetDefaultOptions {
    /// The new default; `None` unsets it.
    pub name: Option<String>,
    pub local: bool,
}

#[derive(Debug, Serialize)]
pub struct SetDefaultReport {
    pub default: Option<String>,
    /// What the file said before.
    pub previous: Option<String>,
    pub file: String,
    pub changed: bool,
    pub warnings: Vec<String>,
}

pub fn set_default(
    project: &Project,
    opts: &SetDefaultOptions,
    reporter: &dyn Reporter,
) -> Result<SetDefaultReport> {
    let scope = Scope::from_local(opts.local);
    let _lock = project.lock(reporter)?;
    let mut target = ConfigFile::load(project, scope)?;
    let other = ConfigFile::load(project, scope.other())?;
    let mut warnings = Vec::new();
    if let Some(name) = &opts.name {
        let here = target.remote(name).is_some();
        let there = other.remote(name).is_some();
        if !here && !there {
            let mut known = target.names();
            known.extend(other.names());
            known.sort();
            known.dedup();
            return Err(unknown(name, known.iter()).into());
        }
        if scope == Scope::Project && !here {
            Err(RemoteConfigError::OnlyLocal {
                name: name.clone(),
                action: "make it the default",
            })?;
        }
        if scope == Scope::Project
            && let Some(local_default) = other.core_remote()
            && local_default != name
        {
            warnings.push(format!(
                "[core] remote = \"{local_default}\" in {LOCAL_PATH} still overrides the default \
                 in this clone"
            ));
        }
    }
    let previous = target.core_remote().map(str::to_owned);
    let changed = previous != opts.name;
    if changed {
        target.set_core_remote(opts.name.as_deref())?;
        target.save()?;
    }
    Ok(SetDefaultReport {
        default: opts.name.clone(),
        previous,
        file: scope.label().into(),
        changed,
        warnings,
    })
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

// ---------------------------------------------------------------------------------------------
// the files

/// `mlx.toml` and `.mlx/config.local.toml` as parsed, each on its own.
fn read_both(project: &Project) -> Result<(Config, Config)> {
    let read = |scope: Scope| -> Result<Config> {
        Config::read(&project.root().join(scope.rel_path()), &scope.rel_path())
            .map_err(|e| crate::project::Error::Config(e).into())
    };
    Ok((read(Scope::Project)?, read(Scope::Local)?))
}

/// One config file open for editing.
struct ConfigFile {
    scope: Scope,
    path: PathBuf,
    doc: DocumentMut,
    changed: bool,
}

impl ConfigFile {
    fn load(project: &Project, scope: Scope) -> Result<Self> {
        let path = project.root().join(scope.rel_path());
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match scope {
                Scope::Project => String::new(),
                Scope::Local => LOCAL_TEMPLATE.to_owned(),
            },
            Err(_) => fs::read_to_string(&path)?,
        };
        let doc = text.parse::<DocumentMut>().map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(&text, s.start));
            let message = e.message().trim().to_owned();
            crate::project::Error::Config(config::Error::Parse {
                file: scope.rel_path(),
                line,
                column,
                message,
            })
        })?;
        Ok(ConfigFile { scope, path, doc, changed: false })
    }

    fn remotes(&self) -> Option<&dyn TableLike> {
        self.doc.get("remotes").and_then(Item::as_table_like)
    }

    fn names(&self) -> Vec<String> {
        self.remotes().map(|r| r.iter().map(|(k, _)| k.to_owned()).collect()).unwrap_or_default()
    }

    fn remote(&self, name: &str) -> Option<&dyn TableLike> {
        self.remotes()?.get(name)?.as_table_like()
    }

    fn not_a_table(&self, key: &str) -> RemoteConfigError {
        RemoteConfigError::NotATable { file: self.scope.label().into(), key: key.into() }
    }

    /// `[remotes.NAME]`, created (as a `[remotes.NAME]` header) when missing.
    fn remote_entry(
        &mut self,
        name: &str,
    ) -> std::result::Result<&mut dyn TableLike, RemoteConfigError> {
        self.changed = true;
        let mut created = false;
        if self.doc.get("remotes").is_none() {
            let mut remotes = Table::new();
            remotes.set_implicit(true);
            self.doc.insert("remotes", Item::Table(remotes));
        }
        let not_a_table = self.not_a_table("remotes");
        let remotes = self.doc.get_mut("remotes").and_then(Item::as_table_like_mut);
        let remotes = remotes.ok_or(not_a_table)?;
        if remotes.get(name).is_none() {
            remotes.insert(name, Item::Table(Table::new()));
            created = true;
        }
        if created {
            adopt_trailing(&mut self.doc, &["remotes", name]);
        }
        let not_a_table = self.not_a_table(&format!("remotes.{name}"));
        self.doc
            .get_mut("remotes")
            .and_then(|r| r.get_mut(name))
            .and_then(Item::as_table_like_mut)
            .ok_or(not_a_table)
    }

    /// Drop `[remotes.NAME]`; true if it was there. Comments above its header that a blank
    /// line separates from it belong to the table before, so they stay. A `[remotes]` left
    /// empty and implicit goes too.
    fn remove_remote(&mut self, name: &str) -> bool {
        let path = vec!["remotes".to_owned(), name.to_owned()];
        let order = header_order(&self.doc);
        let kept = self
            .doc
            .get("remotes")
            .and_then(|r| r.get(name))
            .and_then(Item::as_table)
            .and_then(|t| t.decor().prefix())
            .and_then(|p| p.as_str())
            .map(comments_of_the_table_above)
            .unwrap_or_default();
        let Some(remotes) = self.doc.get_mut("remotes").and_then(Item::as_table_like_mut) else {
            return false;
        };
        if remotes.remove(name).is_none() {
            return false;
        }
        self.changed = true;
        let implicit =
            self.doc.get("remotes").and_then(Item::as_table).is_none_or(Table::is_implicit);
        if remotes_is_empty(&self.doc) && implicit {
            self.doc.remove("remotes");
        }
        if !kept.is_empty() {
            let next = order.iter().skip_while(|p| **p != path).nth(1);
            match next.and_then(|p| table_at(&mut self.doc, p)) {
                Some(next) => {
                    let below = next.decor().prefix().and_then(|p| p.as_str()).unwrap_or("\n");
                    let prefix = format!("{}\n{below}", kept.trim_end());
                    next.decor_mut().set_prefix(prefix);
                }
                None => {
                    let trailing = self.doc.trailing().as_str().unwrap_or("").to_owned();
                    self.doc.set_trailing(format!("{}\n{trailing}", kept.trim_end()));
                }
            }
        }
        true
    }

    fn core_remote(&self) -> Option<&str> {
        self.doc.get("core")?.as_table_like()?.get("remote")?.as_str()
    }

    fn set_core_remote(
        &mut self,
        name: Option<&str>,
    ) -> std::result::Result<(), RemoteConfigError> {
        let not_a_table = self.not_a_table("core");
        match name {
            None => {
                if let Some(core) = self.doc.get_mut("core").and_then(Item::as_table_like_mut)
                    && core.remove("remote").is_some()
                {
                    self.changed = true;
                }
            }
            Some(name) => {
                if self.doc.get("core").is_none() {
                    self.doc.insert("core", Item::Table(Table::new()));
                    adopt_trailing(&mut self.doc, &["core"]);
                }
                let core = self.doc.get_mut("core").and_then(Item::as_table_like_mut);
                let core = core.ok_or(not_a_table)?;
                if set_value(core, "remote", name.into()) {
                    self.changed = true;
                }
            }
        }
        Ok(())
    }

    /// Write the file if it changed; the result must still load as a config.
    fn save(&self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let text = self.doc.to_string();
        let rel = self.scope.rel_path();
        match self.scope {
            Scope::Project => {
                Config::parse_shared(&rel, &text).map_err(crate::project::Error::Config)?;
                fs_util::write_atomic(&self.path, text.as_bytes())?;
            }
            Scope::Local => {
                Config::parse(&rel, &text).map_err(crate::project::Error::Config)?;
                fs_util::write_atomic_with_mode(&self.path, text.as_bytes(), 0o600)?;
            }
        }
        Ok(())
    }
}

fn remotes_is_empty(doc: &DocumentMut) -> bool {
    doc.get("remotes").and_then(Item::as_table_like).is_none_or(TableLike::is_empty)
}

/// Comments at the very end of a file belong to the table above them. When a new table becomes
/// the last one written, put them back above its header instead of under it.
fn adopt_trailing(doc: &mut DocumentMut, path: &[&str]) {
    let trailing = doc.trailing().as_str().unwrap_or("").to_owned();
    let last = header_order(doc).pop();
    if trailing.trim().is_empty() || last.is_none_or(|last| last != path) {
        return;
    }
    let path: Vec<String> = path.iter().map(|k| (*k).to_owned()).collect();
    if let Some(table) = table_at(doc, &path) {
        table.decor_mut().set_prefix(format!("{}\n\n", trailing.trim_end()));
        doc.set_trailing("");
    }
}

/// The lines of a header's prefix up to its last blank line: comments about the table above.
fn comments_of_the_table_above(prefix: &str) -> String {
    let lines: Vec<&str> = prefix.split_inclusive('\n').collect();
    let Some(blank) = lines.iter().rposition(|l| l.trim().is_empty()) else {
        return String::new();
    };
    let above = lines[..=blank].concat();
    if above.trim().is_empty() { String::new() } else { above }
}

fn table_at<'a>(doc: &'a mut DocumentMut, path: &[String]) -> Option<&'a mut Table> {
    let mut item = doc.as_item_mut();
    for key in path {
        item = item.get_mut(key)?;
    }
    item.as_table_mut()
}

/// The paths of the tables toml_edit writes with a header, in the order it writes them (the
/// order of its `Display`: document position, new tables after the one before them).
fn header_order(doc: &DocumentMut) -> Vec<Vec<String>> {
    fn visit(
        table: &Table,
        path: &mut Vec<String>,
        last: &mut isize,
        out: &mut Vec<(isize, Vec<String>)>,
    ) {
        if !table.is_dotted() {
            if let Some(pos) = table.position() {
                *last = pos;
            }
            let visible = !(table.is_implicit() && table.get_values().is_empty());
            if !path.is_empty() && visible {
                out.push((*last, path.clone()));
            }
        }
        for (key, item) in table {
            let tables: Vec<&Table> = match item {
                Item::Table(t) => vec![t],
                Item::ArrayOfTables(a) => a.iter().collect(),
                _ => continue,
            };
            for t in tables {
                path.push(key.to_owned());
                visit(t, path, last, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    visit(doc.as_table(), &mut Vec::new(), &mut 0, &mut out);
    out.sort_by_key(|(pos, _)| *pos);
    out.into_iter().map(|(_, path)| path).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn names_and_values_are_checked() {
        assert!(check_name("my-remote_1.0").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("a/b").is_err());
        assert_eq!(typed_value("jobs", "8", Scope::Project).unwrap().as_integer(), Some(8));
        assert!(typed_value("jobs", "0", Scope::Project).is_err());
        assert!(typed_value("jobs", "-1", Scope::Project).is_err());
        assert_eq!(
            typed_value("path_style", "False", Scope::Project).unwrap().as_bool(),
            Some(false)
        );
        assert!(typed_value("path_style", "maybe", Scope::Project).is_err());
        assert!(typed_value("endpoint", "127.0.0.1:9000", Scope::Project).is_err());
        assert!(typed_value("url", "ftp://x", Scope::Local).is_err());
        let err = typed_value("url", "webdav://u:p@h/x", Scope::Project).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the URL webdav://u:***@h/x holds a password, and mlx.toml is committed to git"
        );
        assert!(typed_value("url", "webdav://u:p@h/x", Scope::Local).is_ok());
    }

    fn edit(text: &str, f: impl FnOnce(&mut ConfigFile)) -> String {
        let mut file = ConfigFile {
            scope: Scope::Project,
            path: PathBuf::new(),
            doc: text.parse().unwrap(),
            changed: false,
        };
        f(&mut file);
        file.doc.to_string()
    }

    #[test]
    fn edits_keep_comments_and_put_new_tables_after_trailing_comments() {
        let text = "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\n# lock_timeout = 120\n";
        let out = edit(text, |f| {
            f.remote_entry("my.store").unwrap().insert("url", toml_edit::value("s3://b/p"));
        });
        assert_eq!(
            out,
            "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\n# lock_timeout = 120\n\n\
             [remotes.\"my.store\"]\nurl = \"s3://b/p\"\n"
        );
        let out = edit(&out, |f| {
            f.set_core_remote(Some("my.store")).unwrap();
            f.remote_entry("b").unwrap().insert("url", toml_edit::value("/b"));
        });
        assert_eq!(
            out,
            "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\nremote = \"my.store\"\n\
             # lock_timeout = 120\n\n[remotes.\"my.store\"]\nurl = \"s3://b/p\"\n\n\
             [remotes.b]\nurl = \"/b\"\n"
        );
        let out = edit(&out, |f| {
            assert!(f.remove_remote("my.store"));
            assert!(f.remove_remote("b"));
            assert!(!f.remove_remote("b"));
            f.set_core_remote(None).unwrap();
        });
        assert_eq!(out, "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\n# lock_timeout = 120\n");
    }

    #[test]
    fn new_remotes_go_after_the_existing_ones_and_values_keep_their_comments() {
        let text = "[remotes.a]\nurl = \"/a\" # the NAS\n\n# pipeline\n[stages.t]\ncmd = \"x\"\n";
        let out = edit(text, |f| {
            let a = f.remote_entry("a").unwrap();
            assert!(set_value(a, "url", "/nas".into()));
            assert!(!set_value(a, "url", "/nas".into()));
            f.remote_entry("b").unwrap().insert("url", toml_edit::value("/b"));
        });
        assert_eq!(
            out,
            "[remotes.a]\nurl = \"/nas\" # the NAS\n\n[remotes.b]\nurl = \"/b\"\n\n# pipeline\n\
             [stages.t]\ncmd = \"x\"\n"
        );
        // No file yet: the tables alone.
        let out = edit("", |f| {
            f.set_core_remote(Some("a")).unwrap();
            f.remote_entry("a").unwrap().insert("url", toml_edit::value("/a"));
        });
        assert_eq!(out, "[core]\nremote = \"a\"\n\n[remotes.a]\nurl = \"/a\"\n");
    }
}
