//! Object storage through Apache OpenDAL: S3-compatible stores, WebDAV, plain HTTP (read-only),
//! Google Cloud Storage and Azure Blob Storage. Builds the operator from a remote's settings
//! (credentials follow each service's own conventions: for S3 the AWS environment variables,
//! `~/.aws/credentials` and `~/.aws/config` with profiles) and adds retries with backoff.

use std::time::Duration;

use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{Operator, services};

use super::Error;
use super::url::Location;
use crate::config::RemoteConfig;

/// Retries of a failed request (temporary errors only: timeouts, resets, 5xx, throttling).
const RETRIES: usize = 4;

pub fn build(
    name: &str,
    shown: &str,
    location: &Location,
    cfg: &RemoteConfig,
) -> Result<Operator, Error> {
    let config_err = |e: opendal::Error| Error::Config {
        remote: name.to_owned(),
        message: format!("{shown}: {}", e.message()),
    };
    let op = match location {
        Location::S3 { bucket, prefix } => {
            let mut b = services::S3::default().bucket(bucket).root(&root_of(prefix));
            if let Some(endpoint) = &cfg.endpoint {
                b = b.endpoint(endpoint);
            }
            b = b.region(&region(cfg));
            if let Some(profile) = &cfg.profile {
                b = b.profile(profile);
            }
            if let Some(v) = &cfg.access_key_id {
                b = b.access_key_id(v);
            }
            if let Some(v) = &cfg.secret_access_key {
                b = b.secret_access_key(v);
            }
            if let Some(v) = &cfg.session_token {
                b = b.session_token(v);
            }
            if cfg.path_style == Some(false) {
                b = b.enable_virtual_host_style();
            }
            Operator::new(b).map_err(config_err)?
        }
        Location::Webdav { endpoint, root, user, password } => {
            let mut b = services::Webdav::default().endpoint(endpoint).root(root);
            if let Some(u) = cfg.user.as_ref().or(user.as_ref()) {
                b = b.username(u);
            }
            if let Some(p) = cfg.password.as_ref().or(password.as_ref()) {
                b = b.password(p);
            }
            Operator::new(b).map_err(config_err)?
        }
        Location::Http { endpoint, root, user, password } => {
            let mut b = services::Http::default().endpoint(endpoint).root(root);
            if let Some(u) = cfg.user.as_ref().or(user.as_ref()) {
                b = b.username(u);
            }
            if let Some(p) = cfg.password.as_ref().or(password.as_ref()) {
                b = b.password(p);
            }
            Operator::new(b).map_err(config_err)?
        }
        Location::Gcs { bucket, prefix } => {
            let mut b = services::Gcs::default().bucket(bucket).root(&root_of(prefix));
            if let Some(endpoint) = &cfg.endpoint {
                b = b.endpoint(endpoint);
            }
            Operator::new(b).map_err(config_err)?
        }
        Location::Azure { container, prefix, account } => {
            let account = cfg.user.as_ref().or(account.as_ref());
            let mut b = services::Azblob::default().container(container).root(&root_of(prefix));
            let endpoint = match (&cfg.endpoint, account) {
                (Some(e), _) => e.clone(),
                (None, Some(a)) => format!("https://{a}.blob.core.windows.net"),
                (None, None) => {
                    return Err(Error::Config {
                        remote: name.to_owned(),
                        message: format!(
                            "{shown}: Azure needs the storage account: azure://ACCOUNT@CONTAINER/PREFIX or `user`"
                        ),
                    });
                }
            };
            b = b.endpoint(&endpoint);
            if let Some(a) = account {
                b = b.account_name(a);
            }
            if let Some(key) = &cfg.password {
                b = b.account_key(key);
            }
            Operator::new(b).map_err(config_err)?
        }
        Location::Local { .. } => unreachable!("local folders do not go through OpenDAL"),
    };
    Ok(op.layer(TimeoutLayer::new().with_timeout(Duration::from_secs(120))).layer(
        RetryLayer::new()
            .with_max_times(RETRIES)
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(5))
            .with_jitter(),
    ))
}

fn root_of(prefix: &str) -> String {
    format!("/{}", prefix.trim_matches('/'))
}

/// The signing region: the setting, else the AWS environment, else us-east-1 (what
/// S3-compatible servers such as MinIO expect, and where AWS redirects from).
fn region(cfg: &RemoteConfig) -> String {
    cfg.region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".to_owned())
}

/// Turn a storage error into ours, by kind: refused credentials, a missing bucket or folder,
/// or a server that cannot be reached or keeps failing.
pub fn classify(remote: &str, shown: &str, e: &opendal::Error) -> Error {
    let detail = describe(e);
    let (remote, url) = (remote.to_owned(), shown.to_owned());
    match e.kind() {
        // No credentials anywhere: the request could not even be signed.
        _ if detail.contains("signing credential") => Error::AccessDenied {
            remote,
            url,
            detail:
                "no credentials found (environment, ~/.aws/credentials, or the remote's settings)"
                    .into(),
        },
        opendal::ErrorKind::PermissionDenied => Error::AccessDenied { remote, url, detail },
        opendal::ErrorKind::NotFound => Error::Missing { remote, url, detail },
        // S3 answers NoSuchBucket as an invalid configuration.
        opendal::ErrorKind::ConfigInvalid if detail.contains("NoSuchBucket") => {
            Error::Missing { remote, url, detail }
        }
        opendal::ErrorKind::ConfigInvalid => Error::Config { remote, message: detail },
        _ => Error::Unreachable { remote, url, detail },
    }
}

/// The message of a storage error with its innermost cause (a refused connection, say), on
/// one line and without the operation context dump.
fn describe(e: &opendal::Error) -> String {
    let mut msg = e.message().trim().to_owned();
    if let Some(code) = s3_error_code(&msg) {
        msg = code;
    }
    let mut source = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    match last {
        Some(cause) if !msg.contains(&cause) => format!("{msg}: {cause}"),
        _ => msg,
    }
    .replace('\n', " ")
}

/// S3 answers errors in XML; its `<Code>` and `<Message>` say it best.
fn s3_error_code(body: &str) -> Option<String> {
    let tag = |t: &str| {
        let start = body.find(&format!("<{t}>"))? + t.len() + 2;
        let end = body[start..].find(&format!("</{t}>"))? + start;
        Some(body[start..end].to_owned())
    };
    let code = tag("Code")?;
    Some(match tag("Message") {
        Some(m) if !m.is_empty() => format!("{code}: {m}"),
        _ => code,
    })
}
