//! `mlx remote modify`: sets or unsets one key of `[remotes.NAME]`, checking the value typed and
//! keeping secrets out of `mlx.toml`.

use std::path::PathBuf;

use serde::Serialize;

use super::config_file::ConfigFile;
use super::toml_layout::set_value;
use super::{HIDDEN, KEYS, RemoteConfigError, Scope, check_outside_project, from_root, unknown_in};
use crate::config::SECRET_KEYS;
use crate::ops::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::remote::url;

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
    if secret && let Some(v) = &opts.value {
        crate::secrets::remember(v);
    }
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
    if let (Some(url), "url") = (&text, key) {
        check_outside_project(project, url)?;
    }
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
            _ => return Err(unknown_in(&opts.name, &[&target, &other]).into()),
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
        "port" => match text.parse::<u16>() {
            Ok(n) if n > 0 => Ok(i64::from(n).into()),
            _ => Err(invalid("expected a port number, 1 to 65535")),
        },
        "strict_host_key_checking" => match text.to_ascii_lowercase().as_str() {
            v @ ("yes" | "accept-new") => Ok(v.into()),
            _ => Err(invalid(
                "expected yes (refuse servers whose key is not in ~/.ssh/known_hosts) or \
                 accept-new (record the key of a new server there)",
            )),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::remote_config::check_name;

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
        assert_eq!(typed_value("port", "2222", Scope::Project).unwrap().as_integer(), Some(2222));
        assert!(typed_value("port", "0", Scope::Project).is_err());
        assert!(typed_value("port", "70000", Scope::Project).is_err());
        assert_eq!(
            typed_value("strict_host_key_checking", "Accept-New", Scope::Project).unwrap().as_str(),
            Some("accept-new")
        );
        assert!(typed_value("strict_host_key_checking", "no", Scope::Project).is_err());
        assert!(typed_value("endpoint", "127.0.0.1:9000", Scope::Project).is_err());
        assert!(typed_value("url", "ftp://x", Scope::Local).is_err());
        let err = typed_value("url", "webdav://u:p@h/x", Scope::Project).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the URL webdav://u:***@h/x holds a password, and mlx.toml is committed to git"
        );
        assert!(typed_value("url", "webdav://u:p@h/x", Scope::Local).is_ok());
    }
}
