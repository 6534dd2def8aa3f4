//! Reaching an SSH server: where to connect and as whom (the remote's settings, its URL, then
//! `~/.ssh/config`), the server's host key checked against `~/.ssh/known_hosts`, the login
//! (the remote's `key_file`, the agent's keys, the config's `IdentityFile`s and the usual
//! `~/.ssh/id_*` files, then a configured password), and the SFTP channel on top.
//!
//! `~` is the `HOME` of this process. Nothing here prints; failures come back as remote errors
//! that say what was tried, never a secret.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, AuthResult, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;

use super::config::{self, HostConfig};
use super::known_hosts::{self, Verdict};
use crate::config::RemoteConfig;
use crate::remote::Error;
use crate::remote::error::HostKeyError;
use crate::remote::url::Storage;

/// How long the TCP connection and the SSH handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one SFTP request may wait for its answer.
const REQUEST_TIMEOUT_SECS: u64 = 60;
/// Key files tried when neither the remote nor `~/.ssh/config` names one, as `ssh` does.
const DEFAULT_KEYS: &[&str] = &["id_ed25519", "id_ecdsa", "id_rsa"];

/// The remote's name and URL (password-free), for messages.
#[derive(Debug, Clone)]
pub struct Names {
    pub remote: String,
    pub url: String,
}

impl Names {
    pub fn unreachable(&self, detail: impl Into<String>) -> Error {
        Error::Unreachable {
            remote: self.remote.clone(),
            url: self.url.clone(),
            detail: detail.into(),
        }
    }

    pub fn denied(&self, detail: impl Into<String>) -> Error {
        Error::AccessDenied {
            remote: self.remote.clone(),
            url: self.url.clone(),
            storage: Storage::Ssh,
            detail: detail.into(),
        }
    }

    pub fn missing(&self, detail: impl Into<String>) -> Error {
        Error::Missing {
            remote: self.remote.clone(),
            url: self.url.clone(),
            storage: Storage::Ssh,
            detail: detail.into(),
        }
    }

    pub fn config(&self, message: impl Into<String>) -> Error {
        Error::Config {
            remote: self.remote.clone(),
            message: format!("{}: {}", self.url, message.into()),
        }
    }
}

/// What the URL says about the server.
#[derive(Clone, Copy)]
struct UrlParts<'a> {
    host: &'a str,
    port: Option<u16>,
    user: Option<&'a str>,
    path: &'a str,
}

/// Where and how to connect, resolved once per command.
#[derive(Debug, Clone)]
pub struct Target {
    /// The host the URL names (maybe an alias of `~/.ssh/config`).
    pub alias: String,
    /// The host connected to.
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The folder: absolute, or relative to the login's home folder.
    pub path: String,
    /// The remote's `key_file`.
    pub key_file: Option<PathBuf>,
    /// `~/.ssh/config`'s `IdentityFile`s, else the usual `~/.ssh/id_*`.
    pub identity_files: Vec<PathBuf>,
    /// Only the named key files, not the agent's other keys (`IdentitiesOnly`, or a `key_file`).
    pub identities_only: bool,
    /// Where host keys are looked up; new ones go to the first.
    pub known_hosts: Vec<PathBuf>,
    /// System-wide host keys (looked up, never written).
    pub global_known_hosts: Vec<PathBuf>,
    /// Record the key of a server not yet known (`strict_host_key_checking = "accept-new"`).
    pub accept_new: bool,
    pub password: Option<String>,
    pub passphrase: Option<String>,
    /// The agent's socket (`SSH_AUTH_SOCK`).
    pub agent: Option<PathBuf>,
}

/// The home folder: `HOME`, else the user database's.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from).or_else(|| {
        nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.dir)
    })
}

fn login_name() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".to_owned())
}

impl Target {
    /// Settings first, then the URL, then `~/.ssh/config`, then the defaults (this user, port
    /// 22), as `dvc` and `ssh` order them.
    pub fn resolve(
        names: &Names,
        host: &str,
        port: Option<u16>,
        user: Option<&str>,
        path: &str,
        cfg: &RemoteConfig,
    ) -> Result<Target, Error> {
        let home = home_dir().ok_or_else(|| names.config("no home folder (HOME is not set)"))?;
        let agent = std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty()).map(PathBuf::from);
        let url = UrlParts { host, port, user, path };
        Self::resolve_in(names, &url, cfg, &home, agent, login_name)
    }

    /// [`resolve`](Self::resolve) with the home folder, the agent's socket and the login name
    /// given.
    fn resolve_in(
        names: &Names,
        url: &UrlParts<'_>,
        cfg: &RemoteConfig,
        home: &Path,
        agent: Option<PathBuf>,
        login_name: impl FnOnce() -> String,
    ) -> Result<Target, Error> {
        let UrlParts { host, port, user, path } = *url;
        let ssh_dir = home.join(".ssh");
        let host_cfg = match fs_err::read_to_string(ssh_dir.join("config")) {
            Ok(text) => config::for_host(&text, host, home),
            Err(_) => HostConfig::default(),
        };
        if let Some(proxy) = &host_cfg.proxy {
            return Err(names.config(format!(
                "~/.ssh/config reaches {host} through a proxy (`{proxy}`), which mlx's SSH client \
                 does not support: use a remote the machine reaches directly"
            )));
        }
        let strict = cfg
            .strict_host_key_checking
            .clone()
            .or_else(|| host_cfg.strict_host_key_checking.clone())
            .unwrap_or_else(|| "yes".to_owned());
        let accept_new = match strict.to_ascii_lowercase().as_str() {
            "yes" | "ask" | "true" => false,
            "accept-new" | "no" | "off" | "false" => true,
            other => {
                return Err(names.config(format!(
                    "strict_host_key_checking is `{other}`: expected yes or accept-new"
                )));
            }
        };
        let identity_files = if host_cfg.identity_files.is_empty() {
            DEFAULT_KEYS.iter().map(|k| ssh_dir.join(k)).collect()
        } else {
            host_cfg.identity_files.clone()
        };
        let key_file = cfg.key_file.as_deref().map(|k| match k.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => PathBuf::from(k),
        });
        Ok(Target {
            alias: host.to_owned(),
            host: host_cfg.host_name.clone().unwrap_or_else(|| host.to_owned()),
            port: cfg.port.or(port).or(host_cfg.port).unwrap_or(22),
            user: cfg
                .user
                .clone()
                .or_else(|| user.map(str::to_owned))
                .or_else(|| host_cfg.user.clone())
                .unwrap_or_else(login_name),
            path: path.to_owned(),
            identities_only: key_file.is_some() || host_cfg.identities_only == Some(true),
            key_file,
            identity_files,
            known_hosts: host_cfg
                .known_hosts_files
                .clone()
                .unwrap_or_else(|| vec![ssh_dir.join("known_hosts"), ssh_dir.join("known_hosts2")]),
            global_known_hosts: vec![
                PathBuf::from("/etc/ssh/ssh_known_hosts"),
                PathBuf::from("/etc/ssh/ssh_known_hosts2"),
            ],
            accept_new,
            password: cfg.password.clone(),
            passphrase: cfg.passphrase.clone(),
            agent,
        })
    }

    /// `user@host:port`, as messages name the server.
    pub fn server(&self) -> String {
        format!("{}@{}", self.user, known_hosts::host_name(&self.host, self.port))
    }
}

/// What the host key check found, kept for the error message.
#[derive(Debug, Clone)]
enum HostKeyProblem {
    Unknown { fingerprint: String },
    Changed { fingerprint: String, file: PathBuf, line: usize },
    Revoked { file: PathBuf, line: usize },
    NotRecorded { file: PathBuf, error: String },
}

/// The russh client handler: checks the server's host key.
pub struct Client {
    target: Arc<Target>,
    problem: Arc<Mutex<Option<HostKeyProblem>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => {
                PublicKey::new(cert.public_key().clone(), "")
            }
        };
        let t = &self.target;
        let files: Vec<PathBuf> =
            t.known_hosts.iter().chain(&t.global_known_hosts).cloned().collect();
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let problem = match known_hosts::check(&files, &t.host, t.port, &key) {
            Verdict::Known => return Ok(true),
            Verdict::Unknown if t.accept_new => {
                let file = t.known_hosts.first().cloned().unwrap_or_default();
                match known_hosts::learn(&file, &t.host, t.port, &key) {
                    Ok(()) => return Ok(true),
                    Err(e) => HostKeyProblem::NotRecorded { file, error: e.to_string() },
                }
            }
            Verdict::Unknown => HostKeyProblem::Unknown { fingerprint },
            Verdict::Changed { file, line } => HostKeyProblem::Changed { fingerprint, file, line },
            Verdict::Revoked { file, line } => HostKeyProblem::Revoked { file, line },
        };
        *self.problem.lock().expect("host key problem lock") = Some(problem);
        Ok(false)
    }
}

/// One open connection: the SSH session and its SFTP channels, with the folder's absolute path.
/// The server answers each channel's requests in turn (one SFTP process each), so requests
/// spread over a few channels are answered side by side.
pub struct Conn {
    pub handle: Handle<Client>,
    sessions: Vec<SftpSession>,
    next: AtomicUsize,
    /// The remote's folder on the server, absolute, without a trailing `/` (`""` for `/`).
    pub root: String,
}

impl Conn {
    /// The next SFTP channel, in turn.
    pub fn sftp(&self) -> &SftpSession {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.sessions.len();
        &self.sessions[i]
    }
}

/// Whether an error is worth another try on a new connection (the network, not the settings).
pub struct Failed {
    pub error: Error,
    pub transient: bool,
}

impl Failed {
    fn fatal(error: Error) -> Failed {
        Failed { error, transient: false }
    }
}

/// Connect, check the host key, log in, and open `channels` SFTP channels.
pub async fn connect(names: &Names, target: &Arc<Target>, channels: usize) -> Result<Conn, Failed> {
    let t = target.as_ref();
    let server = t.server();
    let config = Arc::new(client::Config {
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        nodelay: true,
        ..client::Config::default()
    });
    let problem = Arc::new(Mutex::new(None));
    let handler = Client { target: target.clone(), problem: problem.clone() };
    let addr = (t.host.trim_start_matches('[').trim_end_matches(']').to_owned(), t.port);
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, client::connect(config, addr, handler));
    let mut handle = match connected.await {
        Ok(Ok(handle)) => handle,
        Ok(Err(e)) => {
            if let Some(p) = problem.lock().expect("host key problem lock").take() {
                return Err(Failed::fatal(host_key_error(names, t, p)));
            }
            return Err(Failed {
                error: names.unreachable(format!("cannot connect to {server}: {}", describe(&e))),
                transient: true,
            });
        }
        Err(_) => {
            return Err(Failed {
                error: names.unreachable(format!(
                    "cannot connect to {server}: no answer within {}s",
                    CONNECT_TIMEOUT.as_secs()
                )),
                transient: true,
            });
        }
    };
    authenticate(names, t, &mut handle).await?;
    let lost = |what: &str, e: &dyn std::fmt::Display| Failed {
        error: names.unreachable(format!("{server}: {what}: {e}")),
        transient: true,
    };
    let mut sessions = Vec::with_capacity(channels);
    for _ in 0..channels.max(1) {
        let channel = handle
            .channel_open_session()
            .await
            .map_err(|e| lost("opening a channel failed", &e))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| lost("the server has no SFTP subsystem", &e))?;
        let sftp_config = russh_sftp::client::Config {
            request_timeout_secs: REQUEST_TIMEOUT_SECS,
            ..russh_sftp::client::Config::default()
        };
        let sftp = SftpSession::new_with_config(channel.into_stream(), sftp_config)
            .await
            .map_err(|e| lost("starting SFTP failed", &e))?;
        sessions.push(sftp);
    }
    let sftp = &sessions[0];
    let root = if t.path.starts_with('/') {
        t.path.trim_end_matches('/').to_owned()
    } else {
        let home = sftp.canonicalize(".").await.map_err(|e| lost("finding the home folder", &e))?;
        let home = home.trim_end_matches('/');
        if t.path.is_empty() { home.to_owned() } else { format!("{home}/{}", t.path) }
    };
    Ok(Conn { handle, sessions, next: AtomicUsize::new(0), root })
}

fn host_key_error(names: &Names, t: &Target, problem: HostKeyProblem) -> Error {
    let name = known_hosts::host_name(&t.host, t.port);
    let (remote, url) = (names.remote.clone(), names.url.clone());
    match problem {
        HostKeyProblem::Unknown { fingerprint } => {
            Error::HostKey(Box::new(HostKeyError::Unknown {
                remote,
                url,
                host: name,
                port: t.port,
                fingerprint,
                known_hosts: t.known_hosts.first().cloned().unwrap_or_default(),
            }))
        }
        HostKeyProblem::Changed { fingerprint, file, line } => {
            Error::HostKey(Box::new(HostKeyError::Changed {
                remote,
                url,
                host: name,
                fingerprint,
                file,
                line,
            }))
        }
        HostKeyProblem::Revoked { file, line } => {
            names.denied(format!("the host key of {name} is revoked ({}:{line})", file.display()))
        }
        HostKeyProblem::NotRecorded { file, error } => names
            .config(format!("cannot record the host key of {name} in {}: {error}", file.display())),
    }
}

/// Log in with the first credential the server accepts. Fails with what was tried.
async fn authenticate(
    names: &Names,
    t: &Target,
    handle: &mut Handle<Client>,
) -> Result<(), Failed> {
    let server = t.server();
    let lost = |e: russh::Error| Failed {
        error: names.unreachable(format!(
            "{server}: the connection broke during the login: {}",
            describe(&e)
        )),
        transient: true,
    };
    let rsa_hash = handle.best_supported_rsa_hash().await.map_err(lost)?.flatten();
    let mut tried: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut offered: Vec<PublicKey> = Vec::new();

    // The remote's own key file first: it was named for this server.
    if let Some(path) = &t.key_file {
        let key = load_key(path, t.passphrase.as_deref()).map_err(|why| {
            Failed::fatal(names.config(format!("key_file {}: {why}", path.display())))
        })?;
        offered.push(key.public_key().clone());
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), rsa_hash);
        if handle.authenticate_publickey(&t.user, key).await.map_err(lost)?.success() {
            return Ok(());
        }
        tried.push(format!("the key_file {}", shown_path(path)));
    }

    // The agent's keys, unless only named keys may be offered (then only those it holds).
    if let Some(socket) = &t.agent {
        match AgentClient::connect_uds(socket).await {
            Ok(mut agent) => {
                let identities = agent.request_identities().await.unwrap_or_default();
                let mut refused = 0;
                for identity in identities {
                    let public = identity.public_key().into_owned();
                    let named = offered.iter().any(|k| k.key_data() == public.key_data());
                    if t.identities_only && !named {
                        continue;
                    }
                    let hash = if public.algorithm().is_rsa() { rsa_hash } else { None };
                    match handle
                        .authenticate_publickey_with(&t.user, public, hash, &mut agent)
                        .await
                    {
                        Ok(AuthResult::Success) => return Ok(()),
                        Ok(AuthResult::Failure { .. }) => refused += 1,
                        Err(e) => notes.push(format!("the agent failed to sign: {e}")),
                    }
                }
                if refused > 0 {
                    tried.push(crate::text::counted(refused, "key") + " from the agent");
                }
            }
            Err(e) => notes.push(format!("the agent (SSH_AUTH_SOCK) did not answer: {e}")),
        }
    }

    // `~/.ssh/config`'s IdentityFiles, else the usual files, unless a key_file was given.
    if t.key_file.is_none() {
        for path in &t.identity_files {
            if !path.is_file() {
                continue;
            }
            let key = match load_key(path, t.passphrase.as_deref()) {
                Ok(key) => key,
                Err(why) => {
                    notes.push(format!("{} was not used: {why}", shown_path(path)));
                    continue;
                }
            };
            if offered.iter().any(|k| k.key_data() == key.public_key().key_data()) {
                continue;
            }
            offered.push(key.public_key().clone());
            let key = PrivateKeyWithHashAlg::new(Arc::new(key), rsa_hash);
            if handle.authenticate_publickey(&t.user, key).await.map_err(lost)?.success() {
                return Ok(());
            }
            tried.push(shown_path(path));
        }
    }

    if let Some(password) = &t.password {
        if handle.authenticate_password(&t.user, password).await.map_err(lost)?.success() {
            return Ok(());
        }
        tried.push("the password".to_owned());
    }

    let mut detail = if tried.is_empty() {
        format!(
            "no key to log in to {server} with: no key_file set, no key in the agent, and none \
             of {} exists",
            t.identity_files.iter().map(|p| shown_path(p)).collect::<Vec<_>>().join(", ")
        )
    } else {
        format!("{server} refused the login; tried {}", tried.join(", "))
    };
    for note in notes {
        detail.push_str("; ");
        detail.push_str(&note);
    }
    Err(Failed::fatal(names.denied(detail)))
}

/// A private key file, decrypted with `passphrase` when it is encrypted.
fn load_key(path: &Path, passphrase: Option<&str>) -> Result<russh::keys::PrivateKey, String> {
    match russh::keys::load_secret_key(path, passphrase) {
        Ok(key) => Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => {
            Err("it is encrypted: add it to the agent (`ssh-add`), or give its passphrase with \
             `echo PASSPHRASE | mlx remote modify NAME passphrase - --local`"
                .to_owned())
        }
        Err(russh::keys::Error::IO(e)) => Err(e.to_string()),
        Err(e) => Err(format!("not a private key this client can read ({e})")),
    }
}

/// `~/…` for paths under the home folder.
fn shown_path(path: &Path) -> String {
    match home_dir().and_then(|h| path.strip_prefix(h).ok().map(Path::to_path_buf)) {
        Some(rel) => format!("~/{}", rel.display()),
        None => path.display().to_string(),
    }
}

/// A russh error on one line, with its innermost cause.
pub fn describe(e: &russh::Error) -> String {
    crate::remote::error::with_innermost_cause(e.to_string(), e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(home: &Path, url: UrlParts<'_>, cfg: &RemoteConfig) -> Result<Target, Error> {
        let names = Names { remote: "r".into(), url: "ssh://…".into() };
        Target::resolve_in(&names, &url, cfg, home, None, || "me".to_owned())
    }

    fn url(host: &'static str, port: Option<u16>, user: Option<&'static str>) -> UrlParts<'static> {
        UrlParts { host, port, user, path: "/srv/mlx" }
    }

    #[test]
    fn settings_win_over_the_url_which_wins_over_the_ssh_config() {
        let home = tempfile::tempdir().unwrap();
        let ssh = home.path().join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::write(
            ssh.join("config"),
            "Host box\n  HostName 10.0.0.7\n  User alice\n  Port 2200\n  \
             IdentityFile ~/.ssh/box_key\n  StrictHostKeyChecking accept-new\n",
        )
        .unwrap();
        let none = RemoteConfig::default();
        let t = resolve(home.path(), url("box", None, None), &none).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.user.as_str()), ("10.0.0.7", 2200, "alice"));
        assert_eq!(t.identity_files, [ssh.join("box_key")]);
        assert!(t.accept_new && !t.identities_only && t.key_file.is_none());
        assert_eq!(t.known_hosts[0], ssh.join("known_hosts"));
        let t = resolve(home.path(), url("box", Some(2222), Some("bob")), &none).unwrap();
        assert_eq!((t.port, t.user.as_str()), (2222, "bob"));
        let cfg = RemoteConfig {
            user: Some("carol".into()),
            port: Some(22),
            key_file: Some("~/keys/k".into()),
            strict_host_key_checking: Some("yes".into()),
            ..RemoteConfig::default()
        };
        let t = resolve(home.path(), url("box", Some(2222), Some("bob")), &cfg).unwrap();
        assert_eq!((t.port, t.user.as_str()), (22, "carol"));
        assert_eq!(t.key_file, Some(home.path().join("keys/k")));
        assert!(!t.accept_new && t.identities_only);
        // Nothing anywhere: this login, port 22, the usual key files.
        let t = resolve(home.path(), url("other", None, None), &none).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.user.as_str()), ("other", 22, "me"));
        assert_eq!(
            t.identity_files,
            [ssh.join("id_ed25519"), ssh.join("id_ecdsa"), ssh.join("id_rsa")]
        );
        assert!(!t.accept_new);
    }

    #[test]
    fn hosts_behind_a_proxy_and_bad_settings_are_refused() {
        let home = tempfile::tempdir().unwrap();
        let ssh = home.path().join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::write(ssh.join("config"), "Host inner\n  ProxyJump bastion\n").unwrap();
        let none = RemoteConfig::default();
        let e = resolve(home.path(), url("inner", None, None), &none).unwrap_err().to_string();
        assert!(e.contains("through a proxy (`proxyjump bastion`)"), "{e}");
        assert!(resolve(home.path(), url("outer", None, None), &none).is_ok());
        let cfg = RemoteConfig {
            strict_host_key_checking: Some("maybe".into()),
            ..RemoteConfig::default()
        };
        let e = resolve(home.path(), url("outer", None, None), &cfg).unwrap_err();
        assert!(e.is_input_error() && e.to_string().contains("`maybe`"), "{e}");
    }
}
