//! What the emulator launchers (`azurite`, `gcs`) share: a server run as a child process, the
//! one-time install of its program, and the parsing of its HTTP answers.
//!
//! - [`ChildServer::launch`] runs a program that serves on a port of 127.0.0.1, its stdout and
//!   stderr appended to a log file, and returns once the port accepts connections (within
//!   [`START_WAIT`]). With port 0 it takes a free port; someone else may take that port before
//!   the program binds it, so a start that fails because the port is taken is retried on another
//!   free port, three attempts in all. With a given port (a server restarted where its clients
//!   expect it) it first waits for the port to be free. While it waits for a connection it
//!   checks that the program is still running, since a connection accepted after the program
//!   has exited was accepted by someone else, and it watches the log for the program's "port
//!   taken" message, since some programs print it and keep running without listening. A
//!   program that does not start makes the test panic with what it printed.
//! - [`ChildServer::stop`] ends the program and returns once its port can be bound again;
//!   dropping the server ends it too. With a grace period the program gets SIGTERM first, so it
//!   can save its data, and SIGKILL only if it is still there after the grace period; without
//!   one it gets SIGKILL at once. Either way it is reaped.
//! - [`install_once`]: a program installed into a folder of cargo's per-target temp dir by the
//!   first test that needs it, once for all the tests running in parallel, even in other
//!   processes: a file lock guards the install, and a marker file is written only after a
//!   complete one, so an interrupted install is redone. Later runs find it there.
//! - [`run_logged`]: one install command, its output to a log file, killed after a time limit.
//! - [`parse_response`]: the status and body of an HTTP/1.1 response (plain or chunked).

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::ports::{free_port, wait_port_bindable, wait_port_free};

/// How long a program may take to listen after it is started.
const START_WAIT: Duration = Duration::from_secs(30);
/// How long a one-time install may take.
pub const INSTALL_WAIT: Duration = Duration::from_secs(600);

/// How to run a server: see [`ChildServer::launch`].
pub struct Launch<'a> {
    /// How messages name the server: "Azurite".
    pub name: &'static str,
    /// What the server runs, as messages show it (a script rather than its interpreter).
    pub program: &'a Path,
    /// What to install when the command cannot be run at all, added to that panic; or "".
    pub needs: &'a str,
    /// The file the server's stdout and stderr are appended to.
    pub log: &'a Path,
    /// The port to serve on; 0: a free one.
    pub port: u16,
    /// What the program prints when its port is taken.
    pub port_taken: &'a str,
    /// How long `stop` and drop wait after SIGTERM before SIGKILL; `Duration::ZERO`: SIGKILL at
    /// once.
    pub grace: Duration,
}

/// A running server program. See the module doc.
pub struct ChildServer {
    child: Option<Child>,
    port: u16,
    name: &'static str,
    /// Appended to by every run logged to it.
    log: PathBuf,
    /// The size of the log when this run started.
    printed_before: u64,
    grace: Duration,
}

impl ChildServer {
    /// Run `command(port)` as `launch` says and wait until the port accepts connections (see the
    /// module doc). The command gets stdin closed and stdout and stderr appended to the log.
    pub fn launch(launch: Launch, mut command: impl FnMut(u16) -> Command) -> ChildServer {
        let attempts = if launch.port == 0 { 3 } else { 1 };
        for attempt in 1..=attempts {
            let port = if launch.port == 0 { free_port() } else { wait_port_free(launch.port) };
            let mut server = ChildServer {
                child: None,
                port,
                name: launch.name,
                log: launch.log.to_path_buf(),
                printed_before: 0,
                grace: launch.grace,
            };
            match server.spawn(&mut command(port), &launch) {
                Ok(()) => return server,
                Err(output) if attempt < attempts && output.contains(launch.port_taken) => {}
                Err(output) => panic!(
                    "{} ({}) did not start on 127.0.0.1:{port}; its output:\n{output}",
                    launch.name,
                    launch.program.display()
                ),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// Run `cmd` and wait until the port accepts connections. Err: what it printed.
    fn spawn(&mut self, cmd: &mut Command, launch: &Launch) -> Result<(), String> {
        let log = File::options().create(true).append(true).open(&self.log).expect("log file");
        self.printed_before = log.metadata().expect("log file").len();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                let program = Path::new(cmd.get_program()).display();
                let needs = if launch.needs.is_empty() { "" } else { "\n" };
                panic!("cannot run {program}: {e}{needs}{}", launch.needs)
            });
        self.child = Some(child);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + START_WAIT;
        loop {
            let listening = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok();
            // Checked after connecting: if the program has exited, or failed to bind its port,
            // whoever answered is someone else.
            let child = self.child.as_mut().expect("child");
            if let Some(status) = child.try_wait().expect("child status") {
                self.child = None;
                return Err(format!("(exited: {status})\n{}", self.output()));
            }
            if self.output().contains(launch.port_taken) {
                self.kill_now();
                return Err(format!("(port taken)\n{}", self.output()));
            }
            if listening {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.kill_now();
                return Err(format!("(no connection after {START_WAIT:?})\n{}", self.output()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The program's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What the program printed since this run started.
    pub fn output(&self) -> String {
        let all = std::fs::read(&self.log).unwrap_or_default();
        let printed = all.get(self.printed_before as usize..).unwrap_or_default();
        String::from_utf8_lossy(printed).into_owned()
    }

    /// Everything in the log: what the program printed in every run logged there.
    pub fn all_output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// End the program (see the module doc); panics unless the port is free again.
    pub fn stop(mut self) {
        self.shut_down();
        assert!(
            wait_port_bindable(self.port),
            "port {} still busy after {} stopped",
            self.port,
            self.name
        );
    }

    /// SIGTERM, then SIGKILL if the program is still there after the grace period (at once
    /// without one). Reaps the process.
    fn shut_down(&mut self) {
        let Some(child) = self.child.as_mut() else { return };
        if self.grace.is_zero() {
            return self.kill_now();
        }
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                self.child = None;
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill_now();
    }

    fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Install a program into `dir` unless a complete install is there: `ready` (the file the
/// program is run from) and the marker `dir/installed`. Under the lock `dir/install.lock`, and
/// if no other process has installed it meanwhile, `install` runs; what it returns (what was
/// installed) goes into the marker. Err: why the install failed.
pub fn install_once(
    dir: &Path,
    ready: &Path,
    install: impl FnOnce() -> Result<String, String>,
) -> Result<(), String> {
    let marker = dir.join("installed");
    let installed = || ready.is_file() && marker.is_file();
    if installed() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let lock_path = dir.join("install.lock");
    let lock =
        File::create(&lock_path).map_err(|e| format!("create {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("lock {}: {e}", lock_path.display()))?;
    if installed() {
        return Ok(());
    }
    let what = install()?;
    std::fs::write(&marker, format!("{what}\n"))
        .map_err(|e| format!("write {}: {e}", marker.display()))
}

/// Run `cmd` with stdin closed and its stdout and stderr written to `log`; kill it if it is still
/// running after `limit`. Ok(None): it was killed. Err: it could not be run.
pub fn run_logged(
    cmd: &mut Command,
    log: &File,
    limit: Duration,
) -> io::Result<Option<ExitStatus>> {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log.try_clone()?).spawn()?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
        }
    }
}

/// The status and body of an HTTP/1.1 response read to its end (plain or chunked).
pub fn parse_response(raw: &[u8]) -> (u16, Vec<u8>) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = &raw[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    if !chunked {
        return (status, body.to_vec());
    }
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).expect("hex chunk size");
        body = &body[line_end + 2..];
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
    (status, out)
}

/// Install `packages` from PyPI into a virtual environment at `dir/venv` (made with `python3 -m
/// venv`) unless a complete install is there (see [`install_once`]); `ready` names the program
/// in the environment's `bin` whose presence says so. Then each of `checks` (a program of the
/// environment's `bin` and its arguments) must succeed. Returns the `bin` folder; Err says what
/// failed, with `needed` (what the tests need installed) after it.
pub fn install_pypi(
    dir: &Path,
    packages: &[String],
    ready: &str,
    checks: &[(&str, &[&str])],
    needed: &str,
) -> Result<PathBuf, String> {
    let venv = dir.join("venv");
    let bin = venv.join("bin");
    let python = bin.join("python");
    install_once(dir, &bin.join(ready), || {
        let log_path = dir.join("install.log");
        let log =
            File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
        let run = |what: &str, cmd: &mut Command| -> Result<(), String> {
            let status = run_logged(cmd, &log, INSTALL_WAIT)
                .map_err(|e| format!("cannot run {what}: {e}.\n{needed}"))?;
            let output = std::fs::read_to_string(&log_path).unwrap_or_default();
            match status {
                Some(s) if s.success() => Ok(()),
                Some(s) => Err(format!("{what} failed ({s}):\n{output}\n{needed}")),
                None => Err(format!(
                    "{what} did not finish within {INSTALL_WAIT:?}:\n{output}\n{needed}"
                )),
            }
        };
        // `--clear`: a virtual environment left by an interrupted install is made again.
        run(
            "`python3 -m venv`",
            Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv),
        )?;
        run(
            &format!("`pip install {}`", packages.join(" ")),
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input"])
                .args(packages),
        )?;
        for (program, args) in checks {
            let mut cmd = Command::new(bin.join(program));
            cmd.args(*args).env("DVC_NO_ANALYTICS", "1");
            run(&format!("`{program} {}`", args.join(" ")), &mut cmd)?;
        }
        Ok(packages.join(" "))
    })?;
    Ok(bin)
}
