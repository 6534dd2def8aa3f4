//! A real OpenSSH server on 127.0.0.1 for the SSH remote tests: Debian's `openssh-server`, run
//! as `sshd -D -e -f CONFIG` by the current user on a free port, with a temp host key, a temp
//! `authorized_keys`, `StrictModes no`, no PAM, SFTP served in-process (`internal-sftp`), and
//! the remote folders in a temp dir.
//!
//! The package is installed by the first test that needs it, once for all tests running in
//! parallel: `apt-get install openssh-server` when `/usr/sbin/sshd` is missing (as root, or
//! through `sudo -n`). When it cannot be installed the test fails and says what to install: it
//! never skips. As root, sshd needs its privilege separation folder (`/run/sshd`), which the
//! package's service would make: the helper makes it when missing.
//!
//! API:
//! - [`Sshd::start`]: a server on a free port; `port`, `data` (the folder remotes live under),
//!   `url(SUB)` (`ssh://USER@127.0.0.1:PORT/DATA/SUB`), `host_key` (its public key),
//!   `known_hosts_line`, `authorize(PUBLIC_KEY_FILE)`, `output` (what it logged).
//! - [`Sshd::kill`]: the server and every session it started, at once (a server going away);
//!   [`Sshd::restart`] starts it again on the same port with the same keys.
//! - [`keygen`]: a new ed25519 key pair made by `ssh-keygen`; [`trust`]: a test HOME set up as
//!   a user's would be, with `~/.ssh/id_ed25519` (authorized on the server) and the server's key
//!   in `~/.ssh/known_hosts`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::TestProject;
use super::child::{ChildServer, INSTALL_WAIT, Launch, install_once, run_logged};

const SSHD: &str = "/usr/sbin/sshd";

const SSHD_NEEDED: &str = "The SSH remote tests run Debian's OpenSSH server: install it with \
    `apt-get install openssh-server` (as root; the tests do so themselves when they run as root \
    or may use `sudo -n`) and run the tests again.";

/// A running sshd. See the module doc.
pub struct Sshd {
    /// Declared first, so the server stops before `dir` is removed.
    server: Option<ChildServer>,
    port: u16,
    dir: tempfile::TempDir,
    user: String,
}

impl Sshd {
    /// A server on a free port, with fresh keys and an empty data folder.
    pub fn start() -> Sshd {
        sshd_binary();
        let dir = tempfile::Builder::new().prefix("mlx-sshd-").tempdir().expect("temp dir");
        let base = dir.path().canonicalize().expect("canonical sshd dir");
        std::fs::create_dir_all(base.join("data")).expect("data folder");
        keygen(&base.join("host_ed25519"));
        std::fs::write(base.join("authorized_keys"), "").expect("authorized_keys");
        let user = current_user();
        let mut sshd = Sshd { server: None, port: 0, dir, user };
        sshd.launch(0);
        sshd
    }

    fn base(&self) -> PathBuf {
        self.dir.path().canonicalize().expect("canonical sshd dir")
    }

    fn launch(&mut self, port: u16) {
        let base = self.base();
        let log = base.join("sshd.log");
        let launch = Launch {
            name: "sshd",
            program: Path::new(SSHD),
            needs: SSHD_NEEDED,
            log: &log,
            port,
            port_taken: "Address already in use",
            grace: std::time::Duration::ZERO,
        };
        let server = ChildServer::launch(launch, |port| {
            let config = base.join(format!("sshd_config.{port}"));
            std::fs::write(&config, sshd_config(&base, port)).expect("write sshd_config");
            let mut cmd = Command::new(SSHD);
            cmd.args(["-D", "-e", "-f"]).arg(&config);
            cmd
        });
        self.port = server.port();
        self.server = Some(server);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder remote folders are made under.
    pub fn data(&self) -> PathBuf {
        self.base().join("data")
    }

    /// `ssh://USER@127.0.0.1:PORT/DATA/SUB`.
    pub fn url(&self, sub: &str) -> String {
        format!("ssh://{}@127.0.0.1:{}{}/{sub}", self.user, self.port, self.data().display())
    }

    /// The user the server runs as, and lets log in.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The server's public host key, `ssh-ed25519 AAAA…`.
    pub fn host_key(&self) -> String {
        let text = std::fs::read_to_string(self.base().join("host_ed25519.pub")).expect("host key");
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    }

    /// The server's line for a known_hosts file.
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}\n", self.port, self.host_key())
    }

    /// Let the key whose public half is in `public_key_file` log in.
    pub fn authorize(&self, public_key_file: &Path) {
        let key = std::fs::read_to_string(public_key_file).expect("public key");
        let path = self.base().join("authorized_keys");
        let mut all = std::fs::read_to_string(&path).expect("authorized_keys");
        all.push_str(key.trim());
        all.push('\n');
        std::fs::write(path, all).expect("authorized_keys");
    }

    /// What the server logged, in all its runs.
    pub fn output(&self) -> String {
        self.server.as_ref().map(ChildServer::all_output).unwrap_or_default()
    }

    /// The server and every session it started, killed at once.
    pub fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            if let Some(pid) = server.pid() {
                for child in descendants(pid) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(child),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
            server.stop();
        }
    }

    /// Start it again after [`kill`](Self::kill), on the same port with the same keys.
    pub fn restart(&mut self) {
        assert!(self.server.is_none(), "restart after kill");
        self.launch(self.port);
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

fn sshd_config(base: &Path, port: u16) -> String {
    format!(
        "Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {base}/host_ed25519\n\
         PidFile none\n\
         AuthorizedKeysFile {base}/authorized_keys\n\
         StrictModes no\n\
         UsePAM no\n\
         PermitRootLogin prohibit-password\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication yes\n\
         KbdInteractiveAuthentication no\n\
         Subsystem sftp internal-sftp\n\
         MaxStartups 100\n\
         MaxSessions 100\n\
         LogLevel VERBOSE\n",
        base = base.display()
    )
}

/// Every process below `pid`, children before their parents' siblings.
fn descendants(pid: u32) -> Vec<i32> {
    let mut parents = std::collections::HashMap::<u32, Vec<u32>>::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // `pid (comm) state ppid …`: the name may hold spaces, so read after its last `)`.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        parents.entry(ppid).or_default().push(child);
    }
    let mut out = Vec::new();
    let mut pending = vec![pid];
    while let Some(p) = pending.pop() {
        for child in parents.get(&p).into_iter().flatten() {
            out.extend(i32::try_from(*child).ok());
            pending.push(*child);
        }
    }
    out
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("run id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A new ed25519 key pair without passphrase: `path` and `path.pub`.
pub fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "mlx-test", "-f"])
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("cannot run ssh-keygen: {e}.\n{SSHD_NEEDED}"));
    assert!(status.success(), "ssh-keygen failed: {status}");
}

/// Set `project`'s HOME up as a user's: `~/.ssh/id_ed25519`, authorized on `sshd`, and the
/// server's host key in `~/.ssh/known_hosts`.
pub fn trust(project: &TestProject, sshd: &Sshd) {
    let ssh = project.home().join(".ssh");
    std::fs::create_dir_all(&ssh).expect("~/.ssh");
    let key = ssh.join("id_ed25519");
    if !key.exists() {
        keygen(&key);
    }
    sshd.authorize(&ssh.join("id_ed25519.pub"));
    let known = ssh.join("known_hosts");
    let mut text = std::fs::read_to_string(&known).unwrap_or_default();
    text.push_str(&sshd.known_hosts_line());
    std::fs::write(known, text).expect("known_hosts");
}

/// The sshd binary, installed on first use.
fn sshd_binary() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(install_sshd) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn install_sshd() -> Result<PathBuf, String> {
    let binary = PathBuf::from(SSHD);
    let root = is_root();
    if !binary.is_file() {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sshd-install");
        install_once(&dir, &binary, || {
            let sudo = !root
                && Command::new("sudo").args(["-n", "true"]).status().is_ok_and(|s| s.success());
            if !root && !sudo {
                return Err(format!("{SSHD} is missing.\n{SSHD_NEEDED}"));
            }
            let log_path = dir.join("apt-get.log");
            let log = File::create(&log_path)
                .map_err(|e| format!("create {}: {e}", log_path.display()))?;
            let apt = |args: &[&str]| {
                let mut cmd = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
                if sudo {
                    cmd.args(["-n", "apt-get"]);
                }
                // No service started by the package: the tests run their own servers.
                cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive").env("RUNLEVEL", "1");
                run_logged(&mut cmd, &log, INSTALL_WAIT)
            };
            // The package lists may be missing on a fresh machine; a failed update still leaves
            // whatever lists there are to install from.
            let _ = apt(&["update", "-q"]);
            let status = apt(&["install", "-y", "-q", "--no-install-recommends", "openssh-server"])
                .map_err(|e| format!("cannot run `apt-get`: {e}.\n{SSHD_NEEDED}"))?;
            let output = std::fs::read_to_string(&log_path).unwrap_or_default();
            match status {
                Some(s) if s.success() && binary.is_file() => Ok("openssh-server (apt-get)".into()),
                Some(s) => Err(format!(
                    "`apt-get install openssh-server` failed ({s}):\n{output}\n{SSHD_NEEDED}"
                )),
                None => Err(format!(
                    "`apt-get install openssh-server` did not finish within {INSTALL_WAIT:?}:\n\
                     {output}\n{SSHD_NEEDED}"
                )),
            }
        })?;
    }
    if root && !Path::new("/run/sshd").is_dir() {
        std::fs::create_dir_all("/run/sshd").map_err(|e| format!("create /run/sshd: {e}"))?;
    }
    Ok(binary)
}
