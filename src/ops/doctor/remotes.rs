//! The `remotes` section of `mlx doctor`: the default remote, each remote's settings and where
//! its credentials come from, and whether it answers. The checks run side by side, one thread
//! each, under one deadline; a remote that has not answered by then timed out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use super::{Check, DoctorOptions, DoctorReport, RemoteFacts, Status};
use crate::config::{Config, RemoteConfig};
use crate::remote::Remote;
use crate::remote::url::{self, Location};

/// Check every configured remote (contacting them unless `opts` says not to).
pub(super) fn check(r: &mut DoctorReport, root: &Path, config: &Config, opts: &DoctorOptions) {
    let default = config.core.remote.as_deref();
    if let Some(name) = default
        && !config.remotes.contains_key(name)
    {
        r.push_hinted(
            "remotes",
            "default",
            Status::Fail,
            format!("[core] remote names `{name}`, which is not configured"),
            "choose another default: mlx remote default NAME, or add it: mlx remote add NAME URL",
        );
    }
    if config.remotes.is_empty() {
        r.push(
            "remotes",
            "remotes",
            Status::Ok,
            "none configured (optional: mlx remote add NAME URL)",
        );
        return;
    }
    // Start every check first, so they run side by side under one deadline.
    let (tx, rx) = mpsc::channel();
    let mut pending: BTreeSet<String> = BTreeSet::new();
    let mut facts: Vec<(RemoteFacts, Option<Check>)> = Vec::new();
    for (name, cfg) in &config.remotes {
        let location = cfg.url.as_deref().map(url::parse);
        let mut f = RemoteFacts {
            name: name.clone(),
            url: cfg.url.as_deref().map(url::redact),
            kind: match &location {
                Some(Ok(l)) => Some(l.kind()),
                _ => None,
            },
            default: default == Some(name.as_str()),
            credentials: credentials(cfg, location.as_ref().and_then(|l| l.as_ref().ok())),
            reachable: None,
            error: None,
        };
        let failed = match &location {
            None => {
                Some(("no url".to_owned(), format!("set one: mlx remote modify {name} url URL")))
            }
            Some(Err(e)) => {
                Some((e.to_string(), format!("fix it: mlx remote modify {name} url URL")))
            }
            Some(Ok(_)) => None,
        };
        if let Some((detail, hint)) = failed {
            f.error = Some(detail.clone());
            let check = Check {
                section: "remotes",
                name: name.clone(),
                status: Status::Fail,
                detail: describe(&f, &detail),
                hint: Some(hint),
            };
            facts.push((f, Some(check)));
            continue;
        }
        if let Some(Ok(Location::Local { path })) = &location
            && crate::remote::local::inside_work_tree(root, path)
        {
            // `mlx remote add` refuses these; a hand-edited or cloned mlx.toml may still hold one.
            r.push_hinted(
                "remotes",
                name,
                Status::Warn,
                format!(
                    "{}: the folder is inside the project's work tree (its objects show in git \
                     status and could be committed)",
                    f.url.as_deref().unwrap_or_default()
                ),
                format!("move it outside the project: mlx remote modify {name} url ../FOLDER"),
            );
        }
        if opts.check_remotes {
            let (tx, root, name, cfg) = (tx.clone(), root.to_path_buf(), name.clone(), cfg.clone());
            pending.insert(name.clone());
            std::thread::spawn(move || {
                let result = Remote::open(&root, &name, &cfg).and_then(|remote| remote.check());
                let _ = tx.send((name, result));
            });
        }
        facts.push((f, None));
    }
    drop(tx);
    let deadline = Instant::now() + opts.remote_timeout;
    let mut results = BTreeMap::new();
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((name, result)) => {
                pending.remove(&name);
                results.insert(name, result);
            }
            // Threads still running are left behind: they end with the process.
            Err(_) => break,
        }
    }
    for (mut f, check) in facts {
        if let Some(check) = check {
            r.checks.push(check);
            r.remotes.push(f);
            continue;
        }
        let (status, detail, hint) = if !opts.check_remotes {
            (Status::Ok, describe(&f, "not checked (--no-remotes)"), None)
        } else {
            match results.remove(&f.name) {
                Some(Ok(())) => {
                    f.reachable = Some(true);
                    (Status::Ok, describe(&f, "reachable"), None)
                }
                Some(Err(e)) => {
                    f.reachable = Some(false);
                    f.error = Some(e.to_string());
                    let hint = e.hint().unwrap_or_else(|| {
                        format!(
                            "check its settings: mlx remote list; mlx remote modify {} KEY VALUE",
                            f.name
                        )
                    });
                    (Status::Fail, describe(&f, &short_error(&e)), Some(hint))
                }
                None => {
                    f.reachable = Some(false);
                    let secs = opts.remote_timeout.as_secs_f64();
                    let error = format!("timed out after {secs:.0} s");
                    f.error = Some(error.clone());
                    (
                        Status::Fail,
                        describe(&f, &error),
                        Some(
                            "check the network and the endpoint (mlx push and fetch retry \
                             longer), or skip remotes: mlx doctor --no-remotes"
                                .into(),
                        ),
                    )
                }
            }
        };
        r.checks.push(Check { section: "remotes", name: f.name.clone(), status, detail, hint });
        r.remotes.push(f);
    }
}

/// A remote error without the `remote 'NAME' (URL): ` the check line already shows.
fn short_error(e: &crate::remote::Error) -> String {
    use crate::remote::Error as E;
    match e {
        E::AccessDenied { detail, .. } => format!("access denied: {detail}"),
        E::Missing { detail, .. } | E::Unreachable { detail, .. } => detail.clone(),
        E::Config { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// `URL (default); credentials: SOURCE; OUTCOME`.
fn describe(f: &RemoteFacts, outcome: &str) -> String {
    let url = f.url.as_deref().unwrap_or("(no url)");
    let default = if f.default { " (default)" } else { "" };
    format!("{url}{default}; credentials: {}; {outcome}", f.credentials)
}

/// Where a remote's credentials come from, in general terms. Never a value.
fn credentials(cfg: &RemoteConfig, location: Option<&Location>) -> String {
    let env = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    match location {
        None => "unknown".into(),
        Some(Location::Local { .. }) => "none needed".into(),
        Some(Location::S3 { .. }) => {
            if cfg.access_key_id.is_some() || cfg.secret_access_key.is_some() {
                "config.local.toml".into()
            } else if env("AWS_ACCESS_KEY_ID") {
                "environment (AWS_ACCESS_KEY_ID)".into()
            } else if let Some(profile) = &cfg.profile {
                format!("profile {profile}")
            } else if let Some(profile) =
                std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty())
            {
                format!("profile {profile} (AWS_PROFILE)")
            } else {
                "default chain (~/.aws files, web identity, instance metadata)".into()
            }
        }
        Some(Location::Webdav { user, password, .. } | Location::Http { user, password, .. }) => {
            if cfg.password.is_some() {
                "config.local.toml".into()
            } else if password.is_some() {
                "the URL in config.local.toml".into()
            } else if cfg.user.is_some() || user.is_some() {
                "a user name without password".into()
            } else {
                "none (anonymous)".into()
            }
        }
        Some(Location::Gcs { .. }) => {
            if cfg.token.is_some() {
                "config.local.toml".into()
            } else if env("GOOGLE_APPLICATION_CREDENTIALS") {
                "environment (GOOGLE_APPLICATION_CREDENTIALS)".into()
            } else {
                "default chain (application default credentials)".into()
            }
        }
        Some(Location::Azure { .. }) => {
            if cfg.password.is_some() {
                "config.local.toml".into()
            } else {
                "default chain (environment, managed identity)".into()
            }
        }
        Some(Location::Ssh { .. }) => {
            if cfg.key_file.is_some() {
                "key_file, then the ssh agent".into()
            } else if cfg.password.is_some() {
                "ssh keys and agent, then the password in config.local.toml".into()
            } else {
                "ssh keys (agent, ~/.ssh/config, ~/.ssh/id_*)".into()
            }
        }
    }
}
