//! `mlx run -- CMD`: run a command as a tracked run (see `tracked_run` for how a command is
//! started, followed and stopped), and what every run needs: git state, host and user, and
//! finding runs whose mlx process died.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::Result;
use super::tracked_run::{Ended, Launch, Signals, TrackedRun};
use crate::git::Repo;
use crate::progress::Reporter;
use crate::project::Project;
use crate::tracking::runs::{self, GitInfo, NewRun};
use crate::tracking::{self, RunId};

/// How long each wait for the command lasts (an exit wakes it at once).
const POLL: Duration = Duration::from_millis(100);
/// After forwarding SIGINT/SIGTERM, how long the command gets before SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

pub use super::tracked_run::parse_metric_value;

pub struct RunOptions {
    /// The command and its arguments.
    pub command: Vec<OsString>,
    /// Folder to run in (canonical, inside the project).
    pub cwd: PathBuf,
    pub name: Option<String>,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    /// Where the command's output is passed through to.
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
}

#[derive(Debug, Serialize)]
pub struct RunReport {
    /// How the command ended; its `exit_code` is what `mlx run` exits with.
    #[serde(flatten)]
    pub ended: Ended,
    /// Earlier runs whose mlx process had died, now marked failed.
    pub reaped: Vec<RunId>,
}

/// Whether a recorded mlx process is still alive on this host: the pid exists and runs this
/// program (by name, or the same executable), so a reused pid does not keep a dead run alive.
pub fn mlx_process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if !proc_dir.exists() {
        return false;
    }
    let same_exe = std::fs::read_link(proc_dir.join("exe"))
        .ok()
        .zip(std::env::current_exe().ok())
        .is_some_and(|(a, b)| a == b);
    let argv0 = std::fs::read(proc_dir.join("cmdline")).unwrap_or_default();
    let argv0 = argv0.split(|&b| b == 0).next().unwrap_or_default();
    let name = Path::new(std::ffi::OsStr::new(&*String::from_utf8_lossy(argv0)))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    same_exe || name.contains("mlx")
}

pub fn host_name() -> String {
    nix::unistd::gethostname()
        .map_or_else(|_| "unknown".into(), |h| h.to_string_lossy().into_owned())
}

pub fn user_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name)
        })
        .unwrap_or_else(|| nix::unistd::getuid().to_string())
}

/// Git state for a run record; a folder outside any commit history gives empty fields.
pub fn git_info(root: &Path) -> GitInfo {
    match Repo::open(root).and_then(|r| r.head_state()) {
        Ok(h) => {
            GitInfo { commit: h.commit, branch: h.branch, dirty: h.dirty, diff_hash: h.diff_hash }
        }
        Err(_) => GitInfo::default(),
    }
}

/// How long the processes of a dead run get to exit after SIGTERM, before SIGKILL.
const REAP_GRACE: Duration = Duration::from_secs(2);

/// Mark runs whose mlx process died as failed, stop what is left of their commands' process
/// groups (only processes shown to be the run's: a reused group id is left alone), and remove
/// what they left in `.mlx/runs/`.
pub fn reap(project: &Project, conn: &rusqlite::Connection) -> Result<Vec<RunId>> {
    let reaped = runs::reap_dead(conn, &host_name(), mlx_process_alive)?;
    for dead in &reaped {
        if let Some((pgid, leader_start)) = dead.group {
            let group = crate::process::Group { pgid, leader_start };
            group.stop_orphans(&format!("MLX_RUN_ID={}", dead.id), REAP_GRACE);
        }
        let _ = fs_err::remove_dir_all(project.mlx_dir().join("runs").join(dead.id.as_str()));
    }
    remove_ended_run_dirs(project, conn);
    Ok(reaped.into_iter().map(|d| d.id).collect())
}

/// Remove the folders in `.mlx/runs/` of runs that are not running (an mlx killed after
/// recording the end of its run, before removing the folder). The folders are listed before
/// the running runs are read: a run is recorded before its folder is made, so a folder listed
/// belongs to a run that the query sees running until it ends.
fn remove_ended_run_dirs(project: &Project, conn: &rusqlite::Connection) {
    let dir = project.mlx_dir().join("runs");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    let listed: Vec<std::ffi::OsString> = entries.flatten().map(|e| e.file_name()).collect();
    for name in listed {
        let Some(id) = name.to_str() else { continue };
        // Kept when in doubt (the database busy or unreadable).
        let ended = match runs::status_of(conn, &RunId::from_db(id.to_owned())) {
            Ok(status) => status.as_deref() != Some("running"),
            Err(_) => false,
        };
        if ended {
            let _ = fs_err::remove_dir_all(dir.join(name));
        }
    }
}

pub fn run(project: &Project, opts: RunOptions, reporter: &dyn Reporter) -> Result<RunReport> {
    let RunOptions { command, cwd, name, params, tags, stdout, stderr } = opts;
    let Some((program, args)) = command.split_first() else {
        return Err(
            tracking::Error::Invalid("no command to run: give one after `--`".into()).into()
        );
    };
    let mut conn = project.open_db()?;
    let reaped = reap(project, &conn)?;
    let signals = Signals::install()?;
    let rel_cwd = cwd.strip_prefix(project.root()).map_or_else(
        |_| cwd.display().to_string(),
        |p| if p.as_os_str().is_empty() { ".".to_owned() } else { p.display().to_string() },
    );
    let record = NewRun {
        name,
        command: command.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        cwd: rel_cwd,
        git: git_info(project.root()),
        host: host_name(),
        user: user_name(),
        pid: std::process::id(),
        params,
        tags,
    };
    let launch = Launch {
        record,
        program: program.clone(),
        args: args.to_vec(),
        cwd,
        env: Vec::new(),
        stdout,
        stderr,
        prefix: None,
        take_terminal: true,
    };
    let mut run = TrackedRun::start(project, &mut conn, launch, reporter)?;
    loop {
        let exited = run.poll(&mut conn, POLL)?;
        // A signal that arrives as the command exits still counts: the run was stopped.
        if let Some(sig) = signals.take() {
            run.signal(sig);
        }
        if exited {
            break;
        }
        run.escalate(GRACE);
    }
    let ended = run.finish(project, &mut conn, reporter)?;
    Ok(RunReport { ended, reaped })
}
