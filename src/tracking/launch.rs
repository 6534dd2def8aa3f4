//! One tracked process, driven without blocking: start it (a run row, its own process group,
//! recorded in the row so the next mlx can stop it if this one dies, output tee'd to the
//! terminal and a log, `$MLX_METRICS_FILE` followed), poll it, signal its process group, and
//! finish it (log stored in the cache, status and exit code recorded; when the log cannot be
//! stored the run is `failed` with the command's real exit code and the reason in its
//! `mlx.error` tag). `mlx run -- CMD` drives one; the pipeline executor drives several from one
//! thread.

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fs_err as fs;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::git::Repo;
use crate::progress::Reporter;
use crate::project::Project;
use crate::tracking::RunId;
use crate::tracking::runs::{self, GitInfo, NewRun, Point, Status};

/// After the command exits, how long to wait for output still in the pipes (a background
/// process it left behind may hold them open).
const DRAIN: Duration = Duration::from_secs(2);

/// The signal mlx received, if any. Installed once per process.
pub struct Signals(Arc<AtomicUsize>);

impl Signals {
    pub fn install() -> Result<Self> {
        let last = Arc::new(AtomicUsize::new(0));
        for sig in
            [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP]
        {
            let n = usize::try_from(sig).expect("signal numbers are small");
            signal_hook::flag::register_usize(sig, Arc::clone(&last), n)?;
        }
        Ok(Signals(last))
    }

    /// The last signal received since the previous call.
    pub fn take(&self) -> Option<nix::sys::signal::Signal> {
        match self.0.swap(0, Ordering::SeqCst) {
            0 => None,
            n => i32::try_from(n).ok().and_then(|n| nix::sys::signal::Signal::try_from(n).ok()),
        }
    }
}

/// Gives the terminal to a process group, and takes it back when dropped.
pub struct TerminalHandover {
    ours: nix::unistd::Pid,
}

impl TerminalHandover {
    /// Only when stdin is a terminal and mlx is its foreground process group.
    pub fn to(group: nix::unistd::Pid) -> Option<Self> {
        use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
        let stdin = std::io::stdin();
        if !std::io::IsTerminal::is_terminal(&stdin) {
            return None;
        }
        let ours = nix::unistd::getpgrp();
        if nix::unistd::tcgetpgrp(&stdin).ok()? != ours {
            return None;
        }
        // Taking the terminal back from a background group raises SIGTTOU unless blocked.
        let mut set = SigSet::empty();
        set.add(Signal::SIGTTOU);
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).ok()?;
        nix::unistd::tcsetpgrp(&stdin, group).ok()?;
        Some(TerminalHandover { ours })
    }
}

impl Drop for TerminalHandover {
    fn drop(&mut self) {
        let _ = nix::unistd::tcsetpgrp(std::io::stdin(), self.ours);
    }
}

/// Copy one output stream to `to` (each line prefixed when asked) and, unprefixed, to the log.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: Box<dyn Write + Send>,
    prefix: Option<String>,
    log: Arc<Mutex<fs::File>>,
    done: mpsc::Sender<()>,
) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        let mut at_line_start = true;
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let data = &buf[..n];
                    // A closed terminal or pipe on our side must not stop the command.
                    match &prefix {
                        None => {
                            let _ = to.write_all(data);
                        }
                        Some(p) => {
                            let mut out = Vec::with_capacity(n + 64);
                            for &b in data {
                                if at_line_start {
                                    out.extend_from_slice(p.as_bytes());
                                }
                                out.push(b);
                                at_line_start = b == b'\n';
                            }
                            let _ = to.write_all(&out);
                        }
                    }
                    let _ = to.flush();
                    if let Ok(mut f) = log.lock() {
                        let _ = f.write_all(data);
                    }
                }
            }
        }
        let _ = done.send(());
    });
}

/// One line of `$MLX_METRICS_FILE`: `{"key": "loss", "value": 0.3, "step": 5}`.
#[derive(Deserialize)]
struct MetricLine {
    key: String,
    value: serde_json::Value,
    #[serde(default)]
    step: Option<i64>,
    /// Milliseconds since the epoch; decimals (`time.time() * 1000`) are rounded.
    #[serde(default)]
    timestamp: Option<f64>,
}

/// Parse a metric line; Python's `json.dumps` writes bare `NaN`, `Infinity` and `-Infinity`,
/// which are not JSON, so a line that fails is retried with them quoted.
fn parse_metric_line(raw: &[u8]) -> serde_json::Result<MetricLine> {
    serde_json::from_slice(raw).or_else(|e| {
        let text = String::from_utf8_lossy(raw);
        if !(text.contains("NaN") || text.contains("Infinity")) {
            return Err(e);
        }
        let quoted = text
            .replace("-Infinity", "\u{1}")
            .replace("Infinity", "\"Infinity\"")
            .replace('\u{1}', "\"-Infinity\"")
            .replace("NaN", "\"NaN\"")
            .replace("\"\"NaN\"\"", "\"NaN\"")
            .replace("\"\"Infinity\"\"", "\"Infinity\"")
            .replace("\"\"-Infinity\"\"", "\"-Infinity\"");
        serde_json::from_str(&quoted).map_err(|_| e)
    })
}

/// One point read from a line of `$MLX_METRICS_FILE`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRecord {
    pub key: String,
    pub value: f64,
    pub step: Option<i64>,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
}

/// Read one line of `$MLX_METRICS_FILE` (without its newline); the error says what is wrong.
pub fn read_metric_line(raw: &[u8]) -> std::result::Result<MetricRecord, String> {
    let m = parse_metric_line(raw).map_err(|e| e.to_string())?;
    match json_metric_value(&m.value) {
        Some(value) if !m.key.is_empty() => {
            #[allow(clippy::cast_possible_truncation)]
            let timestamp = m.timestamp.filter(|t| t.is_finite()).map(|t| t.round() as i64);
            Ok(MetricRecord { key: m.key, value, step: m.step, timestamp })
        }
        _ => Err("the key is empty or the value is not a number".into()),
    }
}

/// A metric value written as text: numbers, `nan`, `inf`, `-inf`, `infinity` (any case).
pub fn parse_metric_value(text: &str) -> Option<f64> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok(),
    }
}

/// A metric value in JSON: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`, or null (NaN).
pub fn json_metric_value(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_metric_value(s),
        serde_json::Value::Null => Some(f64::NAN),
        _ => None,
    }
}

/// A line of `$MLX_METRICS_FILE` that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct BadMetricLine {
    pub line: u64,
    pub error: String,
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

    /// Store what was appended; `at_end` also takes a last line without a newline.
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
        let chunk = &data[..complete];
        let chunk = chunk.strip_suffix(b"\n").unwrap_or(chunk);
        let now = runs::now_millis();
        let mut lines = Vec::new();
        for raw in chunk.split(|&b| b == b'\n').filter(|_| !chunk.is_empty()) {
            self.line_no += 1;
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match read_metric_line(raw) {
                Ok(m) => lines.push((m.key, m.value, m.step, m.timestamp)),
                Err(error) => self.bad.push(BadMetricLine { line: self.line_no, error }),
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

/// What to start.
pub struct Launch {
    pub record: NewRun,
    /// The program and its arguments.
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
    /// Put before every output line on the terminal (parallel stages): `[train] `.
    pub prefix: Option<String>,
    /// Give it the terminal when mlx has it (one foreground command at a time).
    pub take_terminal: bool,
}

/// How a finished process ended.
#[derive(Debug, Clone, Serialize)]
pub struct Ended {
    pub id: RunId,
    pub status: Status,
    /// The command's exit code, or 128 + the signal that ended it.
    pub exit_code: i32,
    pub duration: f64,
    pub metric_points: u64,
    pub bad_metric_lines: Vec<BadMetricLine>,
    /// Why what the run made (its log) could not be stored; the run is then `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_error: Option<String>,
}

/// The tag that says why mlx marked a run failed although its command may have succeeded
/// (what it made could not be stored).
pub const ERROR_TAG: &str = "mlx.error";

/// Record that a run's results could not be stored: `failed` (or `killed`, when it was), with
/// the command's own exit code kept and the reason in its [`ERROR_TAG`] tag. Returns the status.
pub fn record_store_failure(
    conn: &mut rusqlite::Connection,
    id: &RunId,
    status: Status,
    exit_code: i32,
    why: &str,
) -> Result<Status> {
    let status = if status == Status::Killed { Status::Killed } else { Status::Failed };
    runs::set_tags(conn, id, &[(ERROR_TAG.to_owned(), why.to_owned())])?;
    runs::finish(conn, id, status, Some(exit_code), runs::now_millis())?;
    Ok(status)
}

pub struct TrackedRun {
    pub id: RunId,
    group: nix::unistd::Pid,
    started: Instant,
    run_dir: PathBuf,
    log_path: PathBuf,
    tail: MetricsTail,
    exit_rx: mpsc::Receiver<std::io::Result<ExitStatus>>,
    done_rx: mpsc::Receiver<()>,
    exited: Option<std::io::Result<ExitStatus>>,
    interrupted: Option<Instant>,
    _handover: Option<TerminalHandover>,
    /// The machine, Python and lock files, gathered while the command runs.
    environment: Option<std::thread::JoinHandle<crate::tracking::environment::Facts>>,
    /// MLflow's endpoint for the command, served until the run ends.
    mlflow: Option<crate::mlflow::api::Endpoint>,
}

impl TrackedRun {
    /// Record the run and start the command in its own process group.
    pub fn start(
        project: &Project,
        conn: &mut rusqlite::Connection,
        launch: Launch,
        reporter: &dyn Reporter,
    ) -> Result<Self> {
        let Launch { record, program, args, cwd, env, stdout, stderr, prefix, take_terminal } =
            launch;
        let id = runs::start(conn, &record, runs::now_millis())?;
        let experiment = record.experiment.clone().unwrap_or_else(|| id.clone());
        // MLflow's client logs into this run through an endpoint of its own (a bind; served on
        // a thread of this process). Without one the command still runs.
        let mlflow =
            match crate::mlflow::api::Endpoint::start(project, id.clone(), experiment.clone()) {
                Ok(e) => Some(e),
                Err(e) => {
                    reporter.note(&format!("mlx: warning: run {id}: no MLflow endpoint: {e}"));
                    None
                }
            };
        let mut command = vec![program.to_string_lossy().into_owned()];
        command.extend(args.iter().map(|a| a.to_string_lossy().into_owned()));
        let environment =
            Some(crate::tracking::environment::gather(project.root(), &cwd, &command, &env));
        let run_dir = crate::tracking::artifacts::run_dir(project, &id);
        fs::create_dir_all(&run_dir)?;
        let metrics_path = run_dir.join("metrics.jsonl");
        let log_path = run_dir.join(crate::tracking::artifacts::LIVE_LOG);
        fs::File::create(&metrics_path)?;
        let log = Arc::new(Mutex::new(fs::File::create(&log_path)?));
        let tail = MetricsTail::open(&metrics_path)?;
        let mut cmd = Command::new(&program);
        cmd.args(&args)
            .current_dir(&cwd)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("MLX_RUN_ID", id.as_str())
            .env("MLX_PROJECT", project.root())
            .env("MLX_METRICS_FILE", &metrics_path)
            .stdin(if take_terminal { Stdio::inherit() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(endpoint) = &mlflow
            && !env.iter().any(|(k, _)| k == "MLFLOW_TRACKING_URI")
        {
            cmd.env("MLFLOW_TRACKING_URI", endpoint.url())
                .env("MLFLOW_RUN_ID", id.as_str())
                .env("MLFLOW_EXPERIMENT_ID", experiment.as_str())
                .env_remove("MLFLOW_EXPERIMENT_NAME");
        }
        if std::env::var_os("PYTHONUNBUFFERED").is_none() {
            // Output goes through a pipe; keep Python printing as it would on a terminal.
            cmd.env("PYTHONUNBUFFERED", "1");
        }
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                runs::finish(conn, &id, Status::Failed, Some(127), runs::now_millis())?;
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
        let leader = i32::try_from(child.id()).expect("pids fit i32");
        // If this mlx dies, the next one stops the group; without the record it could not (a
        // database error here must not stop the command that already runs).
        let recorded = crate::process::Group::of_leader(leader);
        let _ = runs::set_group(conn, &id, recorded.pgid, recorded.leader_start);
        crate::fault::point("run.started");
        let group = nix::unistd::Pid::from_raw(leader);
        let handover = if take_terminal { TerminalHandover::to(group) } else { None };
        let (done_tx, done_rx) = mpsc::channel();
        let out = child.stdout.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        pump(out, stdout, prefix.clone(), Arc::clone(&log), done_tx.clone());
        pump(err, stderr, prefix, log, done_tx);
        let (exit_tx, exit_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = exit_tx.send(child.wait());
        });
        Ok(TrackedRun {
            id,
            group,
            started: Instant::now(),
            run_dir,
            log_path,
            tail,
            exit_rx,
            done_rx,
            exited: None,
            interrupted: None,
            _handover: handover,
            environment,
            mlflow,
        })
    }

    /// Ingest new metric lines; wait up to `wait` for the command to exit. True once it has.
    pub fn poll(&mut self, conn: &mut rusqlite::Connection, wait: Duration) -> Result<bool> {
        if self.exited.is_none() {
            match self.exit_rx.recv_timeout(wait) {
                Ok(status) => self.exited = Some(status),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    self.exited = Some(Err(std::io::Error::other("lost track of the command")));
                }
            }
        }
        self.tail.ingest(conn, &self.id, false)?;
        Ok(self.exited.is_some())
    }

    /// Forward a signal to the whole process group (the first one; later ones, or a grace
    /// period without exiting, escalate to SIGKILL via `escalate`).
    pub fn signal(&mut self, sig: nix::sys::signal::Signal) {
        use nix::sys::signal::{Signal, killpg};
        if self.interrupted.is_some() {
            let _ = killpg(self.group, Signal::SIGKILL);
        } else {
            let _ = killpg(self.group, if sig == Signal::SIGHUP { Signal::SIGTERM } else { sig });
            self.interrupted = Some(Instant::now());
        }
    }

    /// SIGKILL the group if it ignored a signal for longer than `grace`.
    pub fn escalate(&self, grace: Duration) {
        if self.interrupted.is_some_and(|t| t.elapsed() > grace) {
            let _ = nix::sys::signal::killpg(self.group, nix::sys::signal::Signal::SIGKILL);
        }
    }

    /// After `poll` said it exited: drain output, ingest the rest, store the log, record the end.
    pub fn finish(
        mut self,
        project: &Project,
        conn: &mut rusqlite::Connection,
        reporter: &dyn Reporter,
    ) -> Result<Ended> {
        drop(self._handover.take());
        let stopped = self.interrupted.is_some();
        if stopped {
            // What the command started in the background may outlive it (a non-interactive
            // shell makes its background jobs ignore SIGINT): stop the rest of the group too.
            let _ = nix::sys::signal::killpg(self.group, nix::sys::signal::Signal::SIGTERM);
        }
        let deadline = Instant::now() + DRAIN;
        for _ in 0..2 {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.done_rx.recv_timeout(left).is_err() {
                break;
            }
        }
        if stopped {
            let _ = nix::sys::signal::killpg(self.group, nix::sys::signal::Signal::SIGKILL);
        }
        self.tail.ingest(conn, &self.id, true)?;
        // The command is gone: so is its MLflow client.
        drop(self.mlflow.take());
        let exited = match self.exited.take() {
            Some(Ok(status)) => status,
            other => {
                let e = match other {
                    Some(Err(e)) => e,
                    _ => std::io::Error::other("the command was not waited for"),
                };
                runs::finish(conn, &self.id, Status::Failed, None, runs::now_millis())?;
                return Err(e.into());
            }
        };
        let (exit_code, by_signal) = exit_code_of(exited);
        let status = if by_signal || self.interrupted.is_some() {
            Status::Killed
        } else if exit_code == 0 {
            Status::Finished
        } else {
            Status::Failed
        };
        crate::fault::point("run.log");
        // Nested MLflow runs its client left running end as the run did.
        let _ =
            crate::tracking::mlflow::finish_children(conn, &self.id, status, runs::now_millis());
        let (status, store_error) = match self.store_log(project, conn, reporter) {
            Ok(()) => {
                runs::finish(conn, &self.id, status, Some(exit_code), runs::now_millis())?;
                (status, None)
            }
            Err(e) => {
                let why = format!("the run's log could not be stored: {e}");
                (record_store_failure(conn, &self.id, status, exit_code, &why)?, Some(why))
            }
        };
        let _ = fs::remove_dir_all(&self.run_dir);
        // Recorded after the end, so a slow probe never lengthens the run's duration; a fact
        // that cannot be recorded never fails the run.
        if let Some(facts) = self.environment.take().and_then(|h| h.join().ok()) {
            let _ = crate::tracking::environment::record(conn, &self.id, &facts);
        }
        Ok(Ended {
            id: self.id,
            status,
            exit_code,
            duration: self.started.elapsed().as_secs_f64(),
            metric_points: self.tail.points,
            bad_metric_lines: self.tail.bad,
            store_error,
        })
    }

    /// Store the log in the cache and record it as the run's artifact, under the project lock
    /// (so a concurrent gc cannot take the object before the record names it).
    fn store_log(
        &self,
        project: &Project,
        conn: &mut rusqlite::Connection,
        reporter: &dyn Reporter,
    ) -> Result<()> {
        let _lock = project.lock(reporter)?;
        let log_len = fs::metadata(&self.log_path)?.len();
        if log_len > 0 {
            let cache = project.cache();
            let staged = cache.stage_copy(&self.log_path)?;
            let hash = staged.id;
            cache.commit(vec![staged], &crate::store::StatCache::default())?;
            let log = crate::tracking::artifacts::LOG_KIND;
            runs::add_artifact(conn, &self.id, log, log, &hash.to_hex(), log_len)?;
        }
        Ok(())
    }
}

/// The exit code and whether a signal ended the process.
fn exit_code_of(status: ExitStatus) -> (i32, bool) {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => (code, false),
        (None, Some(sig)) => (128 + sig, true),
        _ => (1, false),
    }
}

// ---------------------------------------------------------------------------------------------
// What every run needs: where it runs, and finding runs whose mlx process died.

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

/// What a command run as a tracked run starts on: git's state, and which version of every
/// tracked path the work tree holds. Data that differs from its pointer makes the run dirty, as
/// uncommitted changes to git files do. `mlx run -- CMD` and the runs MLflow's client creates
/// through `mlx serve` record both alike.
#[derive(Debug, Clone, Default)]
pub struct StartState {
    pub git: GitInfo,
    /// The tracked data, as the run's inputs.
    pub inputs: Vec<crate::tracking::inputs::RunInput>,
}

/// The state a tracked command starts on (see [`StartState`]). Tracked data that cannot be
/// read is left out of the inputs rather than failing the run.
pub fn start_state(project: &Project, conn: &mut rusqlite::Connection) -> Result<StartState> {
    use crate::store::StatCache;
    use crate::store::stat_cache::Rows;
    use crate::work_tree::versions::{DataVersion, data_versions};
    let stat = StatCache::load(conn, Rows::Files)?;
    let data = data_versions(project, &stat).unwrap_or_default();
    stat.save(conn)?;
    let mut git = git_info(project.root());
    git.dirty |= data.iter().any(DataVersion::differs);
    Ok(StartState { git, inputs: data.iter().map(DataVersion::as_input).collect() })
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
    crate::tracking::experiments::reap_dead(conn, &host_name(), mlx_process_alive)?;
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
