//! `mlx exp queue list | start | remove`: the variants `mlx exp run --queue` recorded, and
//! running them, `jobs` at a time, each by a `mlx exp run` process of its own (a failing or
//! killed variant never stops the others). Ctrl-C stops the variants that run (each stops its
//! stages' process groups and is recorded killed) and leaves the rest queued.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Serialize;

use super::Result;
use crate::experiments::queue::{self, Entry};
use crate::project::Project;
use crate::tracking::launch::Signals;

pub fn list(main: &Project) -> Result<Vec<Entry>> {
    queue::list(main)
}

/// Remove waiting entries; a name that is not waiting in the queue is an input error (exit 2)
/// and nothing is removed.
pub fn remove(main: &Project, names: &[String]) -> Result<Vec<String>> {
    let waiting: Vec<String> =
        queue::list(main)?.into_iter().filter(|e| e.runner.is_none()).map(|e| e.name).collect();
    if let Some(unknown) = names.iter().find(|n| !waiting.contains(n)) {
        let hint = crate::text::closest(unknown, waiting.iter().map(String::as_str))
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        return Err(crate::tracking::Error::Invalid(format!(
            "no queued experiment is named {unknown}{hint}"
        ))
        .into());
    }
    queue::remove(main, names)
}

pub struct StartOptions {
    /// How many variants run at once.
    pub jobs: usize,
    /// The mlx program that runs one variant (`PROGRAM -C ROOT exp run --queued NAME`).
    pub program: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct Started {
    pub name: String,
    /// The variant's exit code (0: every stage succeeded; 1: a stage failed; 128 + signal).
    pub exit_code: i32,
}

#[derive(Debug, Serialize)]
pub struct StartReport {
    pub ran: Vec<Started>,
    /// Entries still waiting (after Ctrl-C, or queued meanwhile by name collision).
    pub left: usize,
    /// The signal that stopped the queue, if one did.
    pub interrupted: Option<i32>,
}

pub fn start(main: &Project, opts: &StartOptions) -> Result<StartReport> {
    let signals = Signals::install()?;
    let jobs = opts.jobs.max(1);
    let mut running: Vec<(String, Child)> = Vec::new();
    let mut ran = Vec::new();
    let mut interrupted = None;
    loop {
        if let Some(sig) = signals.take() {
            interrupted.get_or_insert(sig as i32);
            // Children started from a terminal got the signal too; others are told here.
            for (_, child) in &running {
                if let Ok(pid) = i32::try_from(child.id()) {
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
                }
            }
        }
        while interrupted.is_none() && running.len() < jobs {
            let Some(entry) = queue::claim_next(main)? else { break };
            // A group of its own: Ctrl-C reaches this process only, which passes it on once.
            let child = Command::new(&opts.program)
                .process_group(0)
                .arg("-C")
                .arg(main.root())
                .args(["exp", "run", "--queued", &entry.name])
                .stdin(Stdio::null())
                .spawn()?;
            queue::hand_over(main, &entry.name, child.id())?;
            running.push((entry.name, child));
        }
        if running.is_empty() {
            break;
        }
        let mut i = 0;
        while i < running.len() {
            if let Some(status) = running[i].1.try_wait()? {
                let (name, _) = running.swap_remove(i);
                let exit_code = status.code().unwrap_or_else(|| {
                    use std::os::unix::process::ExitStatusExt;
                    128 + status.signal().unwrap_or(9)
                });
                // A runner killed before it could say so: its run is reaped as killed, and the
                // entry is done (it is not run again).
                queue::finish(main, &name)?;
                ran.push(Started { name, exit_code });
            } else {
                i += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = queue::list(main)?.len();
    Ok(StartReport { ran, left, interrupted })
}
