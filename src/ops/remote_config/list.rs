//! `mlx remote list`: every remote of the merged config, where it is defined, and its options
//! with secrets hidden and URLs redacted.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config_file::read_both;
use super::{DefinedIn, HIDDEN, default_missing};
use crate::config::{RemoteConfig, SECRET_KEYS};
use crate::ops::Result;
use crate::project::Project;
use crate::remote::url;

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
            DefinedIn::of(shared.remotes.contains_key(name), local.remotes.contains_key(name));
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
    if let Some(error) = default_missing(config) {
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
