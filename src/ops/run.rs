//! `mlx run -- CMD`: run a command as a tracked run (see `tracking::launch` for how a command is
//! started, followed and stopped, and for what every run needs: git state, host and user, and
//! finding runs whose mlx process died).

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::Result;
use crate::progress::Reporter;
use crate::project::Project;
use crate::tracking::launch::{
    Ended, Launch, Signals, StartState, TrackedRun, host_name, reap, start_state, user_name,
};
use crate::tracking::runs::NewRun;
use crate::tracking::{self, RunId, experiments};

/// How long each wait for the command lasts (an exit wakes it at once).
const POLL: Duration = Duration::from_millis(100);
/// After forwarding SIGINT/SIGTERM, how long the command gets before SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

pub use crate::tracking::launch::parse_metric_value;

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

pub fn run(project: &Project, opts: RunOptions, reporter: &dyn Reporter) -> Result<RunReport> {
    let RunOptions { command, cwd, name, params, tags, stdout, stderr } = opts;
    let Some((program, args)) = command.split_first() else {
        return Err(
            tracking::Error::Invalid("no command to run: give one after `--`".into()).into()
        );
    };
    let mut conn = project.open_db()?;
    let reaped = reap(project, &conn)?;
    // Provenance: which version of every tracked path the command starts on.
    let StartState { git, inputs } = start_state(project, &mut conn)?;
    let signals = Signals::install()?;
    let rel_cwd = cwd.strip_prefix(project.root()).map_or_else(
        |_| cwd.display().to_string(),
        |p| if p.as_os_str().is_empty() { ".".to_owned() } else { p.display().to_string() },
    );
    let record = NewRun {
        name,
        command: command.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        cwd: rel_cwd,
        git,
        host: host_name(),
        user: user_name(),
        pid: std::process::id(),
        params,
        tags,
        // A command is an experiment of its own, with the run's id.
        experiment: None,
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
    // DVCLive folders there already, to tell those the command writes.
    let live_cwd = launch.cwd.clone();
    let live_before = tracking::dvclive::Folders::in_folder(&live_cwd);
    let mut run = TrackedRun::start(project, &mut conn, launch, reporter)?;
    // The command runs already: a failure to record what it read must not orphan it.
    if let Err(e) = tracking::inputs::record(&conn, &run.id, &inputs) {
        reporter.note(&format!("mlx: warning: run {}: its inputs were not recorded: {e}", run.id));
    }
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
    // A DVCLive folder the command wrote gives the run its histories, summary and params.
    let live_after = tracking::dvclive::Folders::in_folder(&live_cwd);
    for dir in tracking::dvclive::written(&live_before, &live_after) {
        let shown = dir.strip_prefix(project.root()).unwrap_or(&dir).display().to_string();
        let shown = if shown.is_empty() { ".".to_owned() } else { shown };
        for problem in tracking::dvclive::log(&mut conn, &ended.id, &dir, &shown)? {
            reporter.note(&format!("mlx: warning: {problem}"));
        }
    }
    let conclusion = experiments::Conclusion {
        status: ended.status.into(),
        lock_hash: experiments::lock_hash(project.root()),
        stages: Vec::new(),
        keep: true,
    };
    experiments::conclude(&mut conn, &ended.id, &conclusion)?;
    Ok(RunReport { ended, reaped })
}
