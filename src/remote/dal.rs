//! Object storage through Apache OpenDAL: S3-compatible stores, WebDAV, plain HTTP (read-only),
//! Google Cloud Storage and Azure Blob Storage. Builds the operator from a remote's settings
//! (credentials follow each service's own conventions: for S3 the AWS environment variables,
//! `~/.aws/credentials` and `~/.aws/config` with profiles) and adds retries with backoff.

use std::time::Duration;

use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{Operator, services};

use super::Error;
use super::url::{Location, Storage};
use crate::config::RemoteConfig;

/// A WebDAV or HTTP builder with the user and password (each when given) set.
macro_rules! with_login {
    ($builder:expr, $login:expr) => {{
        let (user, password) = $login;
        let mut b = $builder;
        if let Some(u) = user {
            b = b.username(u);
        }
        if let Some(p) = password {
            b = b.password(p);
        }
        b
    }};
}

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
        // Two builder types with the same methods: a macro instead of two copies.
        Location::Webdav { endpoint, root, user, password } => {
            let b = services::Webdav::default().endpoint(endpoint).root(root);
            Operator::new(with_login!(b, user_and_password(cfg, user, password)))
                .map_err(config_err)?
        }
        Location::Http { endpoint, root, user, password } => {
            let b = services::Http::default().endpoint(endpoint).root(root);
            Operator::new(with_login!(b, user_and_password(cfg, user, password)))
                .map_err(config_err)?
        }
        Location::Gcs { bucket, prefix } => {
            let mut b = services::Gcs::default().bucket(bucket).root(&root_of(prefix));
            if let Some(endpoint) = &cfg.endpoint {
                b = b.endpoint(endpoint);
            }
            if let Some(token) = &cfg.token {
                // An explicit token is the only credential: no service-account file from the
                // environment, no request to the metadata server of a Google Cloud VM.
                b = b.token(token.clone()).disable_config_load().disable_vm_metadata();
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
        Location::Local { .. } | Location::Ssh { .. } => {
            unreachable!("folders, local or over SSH, do not go through OpenDAL")
        }
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

/// The user and password of a WebDAV or HTTP remote: the settings win over the URL's user info.
pub fn user_and_password<'a>(
    cfg: &'a RemoteConfig,
    url_user: &'a Option<String>,
    url_password: &'a Option<String>,
) -> (Option<&'a str>, Option<&'a str>) {
    (
        cfg.user.as_deref().or(url_user.as_deref()),
        cfg.password.as_deref().or(url_password.as_deref()),
    )
}

/// Turn a storage error into ours, by kind: refused credentials, a missing bucket or folder,
/// or a server that cannot be reached or keeps failing.
pub fn classify(remote: &str, shown: &str, storage: Storage, e: &opendal::Error) -> Error {
    let detail = describe(e);
    let (remote, url) = (remote.to_owned(), shown.to_owned());
    match e.kind() {
        // No credentials anywhere: the request could not even be signed.
        _ if detail.contains("signing credential") => Error::AccessDenied {
            remote,
            url,
            storage,
            detail: match storage {
                Storage::Gcs => {
                    "no credentials found (the remote's `token`, GOOGLE_APPLICATION_CREDENTIALS, \
                     gcloud's application default credentials, or the VM's service account)"
                }
                Storage::Azure => "no account key found (the remote's `password`)",
                _ => {
                    "no credentials found (environment, ~/.aws/credentials, or the remote's \
                     settings)"
                }
            }
            .into(),
        },
        opendal::ErrorKind::PermissionDenied => {
            Error::AccessDenied { remote, url, storage, detail }
        }
        // WebDAV answers a login it does not accept with 401, which OpenDAL leaves unclassified.
        _ if matches!(http_status(&e.to_string()), Some(401 | 403)) => {
            Error::AccessDenied { remote, url, storage, detail }
        }
        opendal::ErrorKind::NotFound => Error::Missing { remote, url, storage, detail },
        // S3 answers NoSuchBucket as an invalid configuration.
        opendal::ErrorKind::ConfigInvalid if detail.contains("NoSuchBucket") => {
            Error::Missing { remote, url, storage, detail }
        }
        opendal::ErrorKind::ConfigInvalid => Error::Config { remote, message: detail },
        _ => Error::Unreachable { remote, url, detail },
    }
}

/// A listing of a GCS bucket or an Azure container answered "not found": the bucket or
/// container does not exist (both list a prefix with nothing under it as empty).
pub fn no_bucket(remote: &str, shown: &str, storage: Storage, e: &opendal::Error) -> Error {
    let what = if storage == Storage::Azure { "container" } else { "bucket" };
    Error::Missing {
        remote: remote.to_owned(),
        url: shown.to_owned(),
        storage,
        detail: format!("the {what} does not exist ({})", describe(e)),
    }
}

/// The message of a storage error with its innermost cause (a refused connection, say), on
/// one line and without the operation context dump. An answer without a message is named by
/// its HTTP status.
fn describe(e: &opendal::Error) -> String {
    let mut msg = e.message().trim().to_owned();
    if let Some(code) =
        s3_error_code(&msg).or_else(|| gcs_error_message(&msg)).or_else(|| azure_error(&msg))
    {
        msg = code;
    }
    if msg.is_empty() {
        msg = match http_status(&e.to_string()) {
            Some(status) => format!("HTTP {status}, without a message"),
            None => e.kind().to_string(),
        };
    }
    super::error::with_innermost_cause(msg, e)
}

/// GCS answers errors in JSON, which OpenDAL passes on as the debug text of its parse:
/// `GcsErrorResponse { error: GcsError { code: 404, message: "…", errors: […] } }`. Its
/// `message` says it best.
fn gcs_error_message(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("GcsErrorResponse")?;
    let start = rest.find("message: \"")? + "message: \"".len();
    let end = rest[start..].find("\", ")? + start;
    Some(rest[start..end].to_owned()).filter(|m| !m.is_empty())
}

/// Azure answers errors in XML, which OpenDAL passes on as the debug text of its parse:
/// `AzblobError { code: "ContainerNotFound", message: "The specified container does not exist.
/// RequestId:… Time:…" }`. Its code and message say it best, without the request id and time.
fn azure_error(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("AzblobError")?;
    let field = |name: &str| {
        let start = rest.find(&format!("{name}: \""))? + name.len() + 3;
        let len = rest[start..].find("\", ").or_else(|| rest[start..].find("\" }"))?;
        Some(rest[start..start + len].to_owned())
    };
    let code = field("code").filter(|c| !c.is_empty())?;
    let message = field("message").unwrap_or_default();
    let message = message.split(" RequestId:").next().unwrap_or_default().trim();
    Some(if message.is_empty() { code } else { format!("{code}: {message}") })
}

/// The HTTP status of the answer an OpenDAL error came from, read from the response it
/// describes in its context (`response: Parts { status: 404, … }`).
fn http_status(text: &str) -> Option<u16> {
    let at = text.find("response: Parts { status: ")? + "response: Parts { status: ".len();
    let digits = text.get(at..at + 3)?;
    digits.parse().ok().filter(|s| (100..600).contains(s))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gcs(token: Option<&str>) -> (Location, RemoteConfig) {
        let location = Location::Gcs { bucket: "b".into(), prefix: "p".into() };
        let cfg = RemoteConfig {
            endpoint: Some("http://127.0.0.1:1".into()),
            token: token.map(str::to_owned),
            ..RemoteConfig::default()
        };
        (location, cfg)
    }

    #[test]
    fn gcs_builds_with_and_without_a_token() {
        for token in [Some("ya29.test"), None] {
            let (location, cfg) = gcs(token);
            let op = build("g", "gs://b/p", &location, &cfg).unwrap();
            assert_eq!(op.info().scheme(), "gcs");
            assert_eq!(op.info().name(), "b");
        }
    }

    #[test]
    fn answers_without_a_message_are_named_by_their_status() {
        let e = opendal::Error::new(opendal::ErrorKind::Unexpected, "")
            .with_context("service_operation", "CreateMultipartUpload")
            .with_context("response", "Parts { status: 501, version: HTTP/1.1, headers: {} }");
        assert_eq!(describe(&e), "HTTP 501, without a message");
        let e = opendal::Error::new(opendal::ErrorKind::Unexpected, "");
        assert_eq!(describe(&e), "Unexpected");
    }

    #[test]
    fn gcs_errors_show_their_message() {
        let body = "GcsErrorResponse { error: GcsError { code: 404, message: \"The specified \
                    bucket does not exist.\", errors: [GcsErrorDetail { domain: \"global\", \
                    message: \"The specified bucket does not exist.\", reason: \"notFound\" }] } }";
        let e = opendal::Error::new(opendal::ErrorKind::NotFound, body);
        assert_eq!(describe(&e), "The specified bucket does not exist.");
        let Error::Missing { detail, .. } = no_bucket("g", "gs://b/p", Storage::Gcs, &e) else {
            panic!()
        };
        assert_eq!(detail, "the bucket does not exist (The specified bucket does not exist.)");
        let e = opendal::Error::new(opendal::ErrorKind::PermissionDenied, body);
        assert!(matches!(classify("g", "gs://b/p", Storage::Gcs, &e), Error::AccessDenied { .. }));
    }

    #[test]
    fn missing_credentials_name_the_storage_s_own_sources() {
        let e = opendal::Error::new(opendal::ErrorKind::Unexpected, "signing http request")
            .set_source(anyhow::anyhow!("no valid signing credential found"));
        let gcs = classify("g", "gs://b/p", Storage::Gcs, &e);
        assert!(gcs.to_string().contains("GOOGLE_APPLICATION_CREDENTIALS"), "{gcs}");
        assert!(gcs.hint().unwrap().contains("mlx remote modify g token VALUE --local"));
        let s3 = classify("s", "s3://b/p", Storage::S3, &e);
        assert!(s3.to_string().contains("~/.aws/credentials"), "{s3}");
        assert!(s3.hint().unwrap().contains("AWS_ACCESS_KEY_ID"));
    }
}
