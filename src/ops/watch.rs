//! `mlx watch`: start, run, stop and ask after the file watcher that lets a no-op `mlx status`
//! skip walking the tracked folders (see [`crate::watch`]).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Result;
use crate::project::Project;
use crate::watch::{self, Info, daemon};

pub use crate::watch::daemon::{Ended, Ready};

/// How long `start` waits for the new watcher to answer.
const START_LIMIT: Duration = Duration::from_secs(20);
/// How long `stop` waits for the watcher to be gone.
const STOP_LIMIT: Duration = Duration::from_secs(10);

pub struct StartOptions {
    /// The mlx program, run as `mlx -C ROOT watch run --detach`.
    pub program: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct StartReport {
    pub pid: u32,
    /// A watcher was running already: nothing was started.
    pub already_running: bool,
    pub log: PathBuf,
}

/// Start the watcher in the background and wait until it answers; nothing happens when one
/// runs already.
pub fn start(project: &Project, opts: &StartOptions) -> Result<StartReport> {
    let mlx_dir = project.mlx_dir();
    let log = mlx_dir.join(watch::DIR).join(watch::LOG);
    if let Some(pid) = watch::running_pid(&mlx_dir)? {
        return Ok(StartReport { pid, already_running: true, log });
    }
    let log_file = watch::open_log(&mlx_dir)?;
    let err_file = log_file.try_clone()?;
    let mut child = Command::new(&opts.program)
        .arg("-C")
        .arg(project.root())
        .args(["watch", "run", "--detach"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(log_file))
        .stderr(Stdio::from(err_file))
        .spawn()
        .map_err(|e| watch::Error::NotStarted {
            why: format!("cannot run {}: {e}", opts.program.display()),
        })?;
    let deadline = Instant::now() + START_LIMIT;
    loop {
        if let Some(status) = child.try_wait()? {
            // Another start may have won the race: then its watcher is the one.
            if let Some(pid) = watch::running_pid(&mlx_dir)? {
                return Ok(StartReport { pid, already_running: true, log });
            }
            let tail = watch::read_log(&mlx_dir);
            let last = tail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
            return Err(
                watch::Error::NotStarted { why: format!("it exited ({status}): {last}") }.into()
            );
        }
        if let Some(info) = watch::connect(&mlx_dir).and_then(|mut c| c.info().ok()) {
            return Ok(StartReport { pid: info.pid, already_running: info.pid != child.id(), log });
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            return Err(watch::Error::NotStarted {
                why: format!(
                    "it did not answer within {} s (see {})",
                    START_LIMIT.as_secs(),
                    log.display()
                ),
            }
            .into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Run the watcher in this process until it is stopped or the work tree goes away; `ready` is
/// called once it answers.
pub fn run(project: &Project, detach: bool, ready: &mut dyn FnMut(&Ready)) -> Result<Ended> {
    Ok(daemon::serve(project.root(), &project.mlx_dir(), detach, ready)?)
}

#[derive(Debug, Serialize)]
pub struct StopReport {
    /// The watcher stopped; none when none was running.
    pub pid: Option<u32>,
}

/// Stop the watcher and wait until it is gone.
pub fn stop(project: &Project) -> Result<StopReport> {
    let mlx_dir = project.mlx_dir();
    let Some(mut client) = watch::connect(&mlx_dir) else {
        return Ok(StopReport { pid: None });
    };
    let pid = client
        .stop()
        .map_err(|source| watch::Error::Io { what: "cannot stop the watcher".into(), source })?;
    let deadline = Instant::now() + STOP_LIMIT;
    while watch::running_pid(&mlx_dir)?.is_some() {
        if Instant::now() >= deadline {
            return Err(watch::Error::Io {
                what: format!("the watcher (pid {pid}) was asked to stop"),
                source: std::io::Error::other(format!(
                    "still running after {} s",
                    STOP_LIMIT.as_secs()
                )),
            }
            .into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(StopReport { pid: Some(pid) })
}

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub running: bool,
    #[serde(flatten)]
    pub info: Option<Info>,
}

/// Whether a watcher runs, what it watches and how often it saved a walk.
pub fn status(project: &Project) -> Result<StatusReport> {
    let info = watch::connect(&project.mlx_dir()).and_then(|mut c| c.info().ok());
    Ok(StatusReport { running: info.is_some(), info })
}
