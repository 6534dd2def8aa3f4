//! `mlx run -- CMD`: run a command as a tracked run.
//!
//! The command runs in its own process group, so Ctrl-C or SIGTERM can stop everything it
//! started and nothing else. On a terminal the group gets the terminal (keys such as Ctrl-C go
//! to it, and it may read input); elsewhere mlx forwards the signals it receives. Its stdout and
//! stderr pass through unchanged and are also saved as the run's `log` artifact. Metric lines
//! appended to `$MLX_METRICS_FILE` are ingested while it runs and completely at the end. The run
//! ends `finished` (exit 0), `failed` (other exit codes) or `killed` (a signal).

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fs_err as fs;
use serde::{Deserialize, Serialize};

use super::Result;
use crate::git::Repo;
use crate::progress::Reporter;
use crate::project::Project;
use crate::tracking::runs::{self, GitInfo, NewRun, Point, Status};
use crate::tracking::{self, RunId};

/// How often metrics are ingested and signals checked while the command runs.
const POLL: Duration = Duration::from_millis(100);
/// After forwarding SIGINT/SIGTERM, how long the command gets before SIGKILL.
const GRACE: Duration = Duration::from_secs(10);
/// After the command exits, how long to wait for output still buffered in the pipes (a
/// background process it left behind may hold them open).
const DRAIN: Duration = Duration::from_secs(2);

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

/// A line of `$MLX_METRICS_FILE` that could not be read.
#[derive(Debug, Serialize)]
pub struct BadMetricLine {
    pub line: u64,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct RunReport {
    pub id: RunId,
    pub status: Status,
    /// What `mlx run` exits with: the command's code, or 128 + the signal that ended it.
    pub exit_code: i32,
    pub duration: f64,
    pub metric_points: u64,
    pub bad_metric_lines: Vec<BadMetricLine>,
    /// Earlier runs whose mlx process had died, now marked failed.
    pub reaped: Vec<RunId>,
}

/// Whether a recorded mlx process is still alive on this host.
pub fn mlx_process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    comm.trim() == "mlx"
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

/// Mark runs whose mlx process died as failed.
pub fn reap(conn: &rusqlite::Connection) -> Result<Vec<RunId>> {
    Ok(runs::reap_dead(conn, &host_name(), mlx_process_alive)?)
}

/// The signal mlx received, if any (0 = none).
struct Signals(Arc<AtomicUsize>);

impl Signals {
    fn install() -> Result<Self> {
        let last = Arc::new(AtomicUsize::new(0));
        for sig in
            [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP]
        {
            let n = usize::try_from(sig).expect("signal numbers are small");
            signal_hook::flag::register_usize(sig, Arc::clone(&last), n)?;
        }
        Ok(Signals(last))
    }

    fn take(&self) -> Option<nix::sys::signal::Signal> {
        match self.0.swap(0, Ordering::SeqCst) {
            0 => None,
            n => i32::try_from(n).ok().and_then(|n| nix::sys::signal::Signal::try_from(n).ok()),
        }
    }
}

/// Gives the terminal to the command's process group, and takes it back when dropped.
struct TerminalHandover {
    ours: nix::unistd::Pid,
}

impl TerminalHandover {
    fn to(child_group: nix::unistd::Pid) -> Option<Self> {
        use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
        let stdin = std::io::stdin();
        if !std::io::IsTerminal::is_terminal(&stdin) {
            return None;
        }
        let ours = nix::unistd::getpgrp();
        if nix::unistd::tcgetpgrp(&stdin).ok()? != ours {
            return None; // mlx itself runs in the background
        }
        // Taking the terminal back from a background group raises SIGTTOU unless blocked.
        let mut set = SigSet::empty();
        set.add(Signal::SIGTTOU);
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).ok()?;
        nix::unistd::tcsetpgrp(&stdin, child_group).ok()?;
        Some(TerminalHandover { ours })
    }
}

impl Drop for TerminalHandover {
    fn drop(&mut self) {
        let _ = nix::unistd::tcsetpgrp(std::io::stdin(), self.ours);
    }
}

/// Copy one output stream of the command to mlx's own and to the log file.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: Box<dyn Write + Send>,
    log: Arc<Mutex<fs::File>>,
    done: mpsc::Sender<()>,
) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    // A closed terminal or pipe on our side must not stop the command.
                    let _ = to.write_all(&buf[..n]);
                    let _ = to.flush();
                    if let Ok(mut f) = log.lock() {
                        let _ = f.write_all(&buf[..n]);
                    }
                }
            }
        }
        let _ = done.send(());
    });
}

/// One line of `$MLX_METRICS_FILE`: `{"key": "loss", "value": 0.3, "step": 5}`. `value` may be
/// a number, or `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON has no literal for them).
#[derive(Deserialize)]
struct MetricLine {
    key: String,
    value: serde_json::Value,
    #[serde(default)]
    step: Option<i64>,
    #[serde(default)]
    timestamp: Option<i64>,
}

/// Parse a metric value as text: numbers, `nan`, `inf`, `-inf`, `infinity` (any case).
pub fn parse_metric_value(text: &str) -> Option<f64> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok(),
    }
}

fn metric_value(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_metric_value(s),
        serde_json::Value::Null => Some(f64::NAN),
        _ => None,
    }
}

/// Follows `$MLX_METRICS_FILE` from where it was last read; only complete lines count.
struct MetricsTail {
    file: fs::File,
    offset: u64,
    partial: Vec<u8>,
    line_no: u64,
    points: u64,
    bad: Vec<BadMetricLine>,
}

impl MetricsTail {
    fn open(path: &Path) -> Result<Self> {
        Ok(MetricsTail {
            file: fs::File::open(path)?,
            offset: 0,
            partial: Vec::new(),
            line_no: 0,
            points: 0,
            bad: Vec::new(),
        })
    }

    /// Read what was appended and store it; `at_end` also takes a last line without newline.
    fn ingest(&mut self, conn: &mut rusqlite::Connection, run: &RunId, at_end: bool) -> Result<()> {
        self.file.seek(SeekFrom::Start(self.offset))?;
        let mut data = std::mem::take(&mut self.partial);
        let read = self.file.read_to_end(&mut data)?;
        self.offset += read as u64;
        let complete = if at_end {
            data.len()
        } else {
            data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
        };
        self.partial = data[complete..].to_vec();
        let now = runs::now_millis();
        let mut lines = Vec::new();
        let chunk = &data[..complete];
        let chunk = chunk.strip_suffix(b"\n").unwrap_or(chunk);
        for raw in chunk.split(|&b| b == b'\n').filter(|_| !chunk.is_empty()) {
            self.line_no += 1;
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<MetricLine>(raw) {
                Ok(m) => match metric_value(&m.value) {
                    Some(value) if !m.key.is_empty() => {
                        lines.push((m.key, value, m.step, m.timestamp));
                    }
                    _ => self.bad.push(BadMetricLine {
                        line: self.line_no,
                        error: "the key is empty or the value is not a number".into(),
                    }),
                },
                Err(e) => self.bad.push(BadMetricLine { line: self.line_no, error: e.to_string() }),
            }
        }
        let points: Vec<Point<'_>> = lines
            .iter()
            .map(|(key, value, step, ts)| Point {
                key,
                value: *value,
                step: step.unwrap_or(0),
                timestamp: ts.unwrap_or(now),
            })
            .collect();
        runs::log_metrics(conn, run, &points)?;
        self.points += points.len() as u64;
        Ok(())
    }
}

fn exit_code_of(status: std::process::ExitStatus) -> (i32, Option<i32>) {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => (code, None),
        (None, Some(sig)) => (128 + sig, Some(sig)),
        _ => (1, None),
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
    let reaped = reap(&conn)?;
    let signals = Signals::install()?;
    let rel_cwd = cwd.strip_prefix(project.root()).map_or_else(
        |_| cwd.display().to_string(),
        |p| {
            if p.as_os_str().is_empty() { ".".to_owned() } else { p.display().to_string() }
        },
    );
    let new = NewRun {
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
    let started = Instant::now();
    let id = runs::start(&mut conn, &new, runs::now_millis())?;
    let run_dir = project.mlx_dir().join("runs").join(id.as_str());
    fs::create_dir_all(&run_dir)?;
    let metrics_path = run_dir.join("metrics.jsonl");
    let log_path = run_dir.join("output.log");
    fs::File::create(&metrics_path)?;
    let log = Arc::new(Mutex::new(fs::File::create(&log_path)?));
    let mut tail = MetricsTail::open(&metrics_path)?;

    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&cwd)
        .env("MLX_RUN_ID", id.as_str())
        .env("MLX_PROJECT", project.root())
        .env("MLX_METRICS_FILE", &metrics_path)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if std::env::var_os("PYTHONUNBUFFERED").is_none() {
        // Output goes through a pipe; keep Python printing as it would on a terminal.
        cmd.env("PYTHONUNBUFFERED", "1");
    }
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            runs::finish(&conn, &id, Status::Failed, Some(127), runs::now_millis())?;
            let _ = fs::remove_dir_all(&run_dir);
            return Err(std::io::Error::new(
                e.kind(),
                format!(
                    "cannot start {}: {e} (run {id} recorded as failed)",
                    program.to_string_lossy()
                ),
            )
            .into());
        }
    };
    reporter.note(&format!("mlx: run {id} started"));
    let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pids fit in i32"));
    let handover = TerminalHandover::to(group);
    let (done_tx, done_rx) = mpsc::channel();
    pump(child.stdout.take().expect("piped"), stdout, Arc::clone(&log), done_tx.clone());
    pump(child.stderr.take().expect("piped"), stderr, Arc::clone(&log), done_tx);
    let (exit_tx, exit_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = exit_tx.send(child.wait());
    });

    let mut interrupted: Option<Instant> = None;
    let waited: std::io::Result<std::process::ExitStatus> = loop {
        match exit_rx.recv_timeout(POLL) {
            Ok(status) => break status,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(std::io::Error::other("lost track of the command"));
            }
        }
        if let Some(sig) = signals.take() {
            use nix::sys::signal::{Signal, killpg};
            if interrupted.is_some() {
                let _ = killpg(group, Signal::SIGKILL);
            } else {
                let _ = killpg(group, if sig == Signal::SIGHUP { Signal::SIGTERM } else { sig });
                interrupted = Some(Instant::now());
            }
        }
        if interrupted.is_some_and(|t| t.elapsed() > GRACE) {
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        }
        tail.ingest(&mut conn, &id, false)?;
    };
    let exit_status = match waited {
        Ok(s) => s,
        Err(e) => {
            runs::finish(&conn, &id, Status::Failed, None, runs::now_millis())?;
            return Err(e.into());
        }
    };
    drop(handover);
    let stopped = interrupted.is_some() || signals.take().is_some();
    if stopped {
        // What the command started in the background may outlive it (a non-interactive shell
        // makes its background jobs ignore SIGINT): stop the rest of the group too.
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGTERM);
    }
    // Let the pipes drain (both pumps report), but not forever.
    let deadline = Instant::now() + DRAIN;
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    if stopped {
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    }
    tail.ingest(&mut conn, &id, true)?;
    let (exit_code, signal) = exit_code_of(exit_status);
    let status = match (exit_code, signal, stopped) {
        (_, Some(_), _) | (_, _, true) => Status::Killed,
        (0, None, false) => Status::Finished,
        _ => Status::Failed,
    };
    {
        // Store the log under the project lock, so a concurrent gc cannot take it first.
        let _lock = project.lock(reporter)?;
        let log_len = fs::metadata(&log_path)?.len();
        if log_len > 0 {
            let cache = project.cache();
            let staged = cache.stage_copy(&log_path)?;
            let hash = staged.id;
            cache.commit(vec![staged], &crate::store::StatCache::default())?;
            runs::add_artifact(&conn, &id, "log", "log", &hash.to_hex(), log_len)?;
        }
        runs::finish(&conn, &id, status, Some(exit_code), runs::now_millis())?;
    }
    let _ = fs::remove_dir_all(&run_dir);
    Ok(RunReport {
        id,
        status,
        exit_code,
        duration: started.elapsed().as_secs_f64(),
        metric_points: tail.points,
        bad_metric_lines: tail.bad,
        reaped,
    })
}
