//! `.dvc/config` and `.dvc/config.local` remotes as mlx remotes: the URL and the settings mlx
//! has a key for. Secrets (passwords, keys, tokens) go to the local part only, which the import
//! writes to `.mlx/config.local.toml`; settings mlx has no key for are named, never their values.

use std::collections::BTreeMap;

use super::files::{self, remote_section_name};
use crate::config::RemoteConfig;

/// One DVC remote as mlx remote settings.
#[derive(Debug, Clone, Default)]
pub struct Converted {
    pub name: String,
    /// What goes in `mlx.toml` (or, for a remote DVC kept in `config.local`, the local file).
    pub shared: RemoteConfig,
    /// Secrets, for `.mlx/config.local.toml`.
    pub local: RemoteConfig,
    /// Whether DVC kept the remote itself in `config.local` (then all of it stays local).
    pub only_local: bool,
    /// Settings not converted, each with why.
    pub skipped: Vec<(String, String)>,
}

/// Every remote of the two config files, and the default remote's name.
pub struct Remotes {
    pub remotes: Vec<Converted>,
    pub default: Option<String>,
}

type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Convert the remotes of `.dvc/config` (`shared`) and `.dvc/config.local` (`local`).
pub fn convert(shared: &str, local: &str) -> Result<Remotes, super::Error> {
    let shared = files::parse_config(".dvc/config", shared)?;
    let local = files::parse_config(".dvc/config.local", local)?;
    let mut names: Vec<(String, bool)> = Vec::new();
    for (sections, is_local) in [(&shared, false), (&local, true)] {
        for section in sections.keys() {
            if let Some(name) = remote_section_name(section)
                && !names.iter().any(|(n, _)| n == name)
            {
                names.push((name.to_owned(), is_local));
            }
        }
    }
    let remotes = names
        .into_iter()
        .map(|(name, in_local_only)| {
            let section = format!("remote \"{name}\"");
            let mut settings = shared.get(&section).cloned().unwrap_or_default();
            settings.extend(local.get(&section).cloned().unwrap_or_default());
            let mut c = one(&name, &settings);
            c.only_local = in_local_only && !shared.contains_key(&section);
            c
        })
        .collect();
    let default = core_remote(&local).or_else(|| core_remote(&shared));
    Ok(Remotes { remotes, default })
}

fn core_remote(sections: &Sections) -> Option<String> {
    sections.get("core")?.get("remote").cloned()
}

fn one(name: &str, settings: &BTreeMap<String, String>) -> Converted {
    let mut c = Converted { name: name.to_owned(), ..Converted::default() };
    let valid_name = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid_name {
        c.skipped.push((
            "name".into(),
            "mlx remote names use letters, digits, `_`, `.` and `-` only".into(),
        ));
        return c;
    }
    for (key, value) in settings {
        let skip = |why: &str| (key.clone(), why.to_owned());
        let kept = match key.as_str() {
            "url" => match url(value) {
                Ok(u) => {
                    c.shared.url = Some(u);
                    None
                }
                Err(why) => Some(skip(&why)),
            },
            "endpointurl" => {
                c.shared.endpoint = Some(value.clone());
                None
            }
            "region" => {
                c.shared.region = Some(value.clone());
                None
            }
            "profile" => {
                c.shared.profile = Some(value.clone());
                None
            }
            "user" | "account_name" => {
                c.shared.user = Some(value.clone());
                None
            }
            "port" => match value.parse() {
                Ok(p) => {
                    c.shared.port = Some(p);
                    None
                }
                Err(_) => Some(skip("not a port number")),
            },
            "keyfile" => {
                c.shared.key_file = Some(value.clone());
                None
            }
            "jobs" => {
                c.shared.jobs = value.parse().ok();
                None
            }
            "access_key_id" => {
                c.local.access_key_id = Some(value.clone());
                None
            }
            "secret_access_key" => {
                c.local.secret_access_key = Some(value.clone());
                None
            }
            "session_token" => {
                c.local.session_token = Some(value.clone());
                None
            }
            "password" | "account_key" => {
                c.local.password = Some(value.clone());
                None
            }
            "passphrase" => {
                c.local.passphrase = Some(value.clone());
                None
            }
            "ask_password" | "ask_passphrase" => Some(skip(
                "mlx does not ask for passwords; put the password in .mlx/config.local.toml or use an SSH key or the agent",
            )),
            "gss_auth" => Some(skip("mlx does not log in with GSSAPI (Kerberos)")),
            "use_ssl" | "ssl_verify" | "verify" | "timeout" | "connect_timeout"
            | "read_timeout" => None,
            _ => Some(skip("mlx has no setting for it")),
        };
        c.skipped.extend(kept);
    }
    if c.shared.url.is_none() && !c.skipped.iter().any(|(k, _)| k == "url") {
        c.skipped.push(("url".into(), "the remote has no url".into()));
    }
    c
}

/// A DVC remote URL as an mlx remote URL. A relative folder path in `.dvc/config` is relative
/// to `.dvc`; mlx's are relative to the project root.
fn url(dvc: &str) -> Result<String, String> {
    let scheme = dvc.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let mlx = match scheme.as_deref() {
        None => {
            let p = std::path::Path::new(dvc);
            if p.is_absolute() {
                dvc.to_owned()
            } else {
                let joined = std::path::Path::new(super::DVC_DIR).join(p);
                let mut out: Vec<String> = Vec::new();
                for c in joined.components() {
                    match c {
                        std::path::Component::ParentDir => {
                            if out.last().is_some_and(|l| l != "..") {
                                out.pop();
                            } else {
                                out.push("..".into());
                            }
                        }
                        std::path::Component::Normal(n) => {
                            out.push(n.to_string_lossy().into_owned());
                        }
                        _ => {}
                    }
                }
                out.join("/")
            }
        }
        Some("azure") => dvc.to_owned(),
        Some("s3" | "gs" | "ssh" | "sftp" | "http" | "https" | "webdav" | "webdavs" | "file") => {
            dvc.to_owned()
        }
        Some(other) => return Err(format!("mlx has no {other}:// remotes")),
    };
    crate::remote::url::parse(&mlx).map_err(|e| e.to_string())?;
    Ok(mlx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_settings_split_by_secrecy() {
        let shared = "[core]\n    remote = box\n['remote \"box\"']\n    url = ssh://h.example/srv/dvc\n    user = ann\n    port = 2222\n    keyfile = ~/.ssh/k\n    ask_password = true\n";
        let local = "['remote \"box\"']\n    password = hunter2\n";
        let r = convert(shared, local).unwrap();
        assert_eq!(r.default.as_deref(), Some("box"));
        let b = &r.remotes[0];
        assert_eq!(b.shared.url.as_deref(), Some("ssh://h.example/srv/dvc"));
        assert_eq!(b.shared.port, Some(2222));
        assert_eq!(b.shared.key_file.as_deref(), Some("~/.ssh/k"));
        assert!(!b.shared.has_secret_key());
        assert_eq!(b.local.password.as_deref(), Some("hunter2"));
        assert_eq!(b.skipped.len(), 1);
        assert_eq!(b.skipped[0].0, "ask_password");
    }

    #[test]
    fn relative_folders_start_at_the_root() {
        assert_eq!(url("../../store").unwrap(), "../store");
        assert_eq!(url("/srv/x").unwrap(), "/srv/x");
        assert!(url("hdfs://x/y").is_err());
    }
}
