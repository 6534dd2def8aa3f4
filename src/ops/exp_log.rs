//! `mlx exp log EXP|RUN`: a run's captured output (stdout and stderr as the command wrote
//! them), byte for byte; for an experiment, the output of the run behind each of its stages, in
//! pipeline order. A finished run's log is an object in the cache, fetched from the remote when
//! the cache lacks it; a running run's is the file it is writing in `.mlx/runs/ID/`, which can
//! be followed until the run ends. The caller writes the chunks out: nothing here prints.

use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::progress::Reporter;
use crate::project::Project;
use crate::tracking::artifacts;
use crate::tracking::experiments::{self, ReadBack};
use crate::tracking::launch;
use crate::tracking::lookup;
use crate::tracking::{RunId, runs};

#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// An experiment's name, id or unique prefix; a run's id, unique prefix or name.
    pub run: String,
    /// Of an experiment, only the run of this stage.
    pub stage: Option<String>,
    /// The remote to fetch a log the cache lacks from (default: the default remote).
    pub remote: Option<String>,
    /// Only the last N lines.
    pub tail: Option<usize>,
    /// For a running run: keep reading until it ends.
    pub follow: bool,
}

/// Where the log is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogSource {
    /// The cache's copy of a finished run's log.
    Stored,
    /// The file a running run is writing.
    Live,
    /// The run wrote nothing (or its log could not be stored).
    None,
}

/// A piece of the log, as [`RunLog::next`] reads it.
#[derive(Debug)]
pub enum Chunk {
    Data(Vec<u8>),
    /// Nothing new yet; the run is still writing (following only). Ask again shortly.
    Wait,
    End,
}

/// How often a follower asks whether the run has ended, when no output comes.
const STATUS_EVERY: Duration = Duration::from_millis(500);
/// How much one chunk reads at most.
const CHUNK: usize = 256 * 1024;

/// An open log: read it with [`RunLog::next`] until [`Chunk::End`].
pub struct RunLog {
    pub run: RunId,
    pub name: Option<String>,
    /// The run's status when the log was opened.
    pub status: String,
    pub source: LogSource,
    /// Objects downloaded from the remote to read it.
    pub fetched: u64,
    file: Option<fs_err::File>,
    follow: bool,
    ended: bool,
    checked: Instant,
    conn: rusqlite::Connection,
}

/// The runs whose logs `opts` asks for: one run, or the runs behind an experiment's stages in
/// pipeline order (see [`experiments::readback`]). Following reads one run only.
pub fn runs(project: &Project, opts: &LogOptions) -> Result<ReadBack> {
    let conn = project.open_db()?;
    // A run whose mlx process died is not running any more: its output is gone with it.
    launch::reap(project, &conn)?;
    let order = crate::pipeline::spec::stage_order(project.root());
    let found = experiments::readback(&conn, &opts.run, opts.stage.as_deref(), &order)?;
    if opts.follow
        && let Some(e) = &found.experiment
        && found.runs.len() > 1
    {
        return Err(crate::tracking::Error::Invalid(format!(
            "--follow reads one run, and experiment {} has {}: pick one with --stage STAGE",
            e.name,
            found.runs.len()
        ))
        .into());
    }
    Ok(found)
}

/// Open the log of `run` (one of those [`runs`] gave).
pub fn open(
    project: &Project,
    run: &RunId,
    opts: &LogOptions,
    reporter: &dyn Reporter,
) -> Result<RunLog> {
    let conn = project.open_db()?;
    let run = run.clone();
    let summary = lookup::summary(&conn, &run)?
        .ok_or_else(|| crate::tracking::Error::UnknownRun { prefix: run.to_string() })?;
    let mut log = RunLog {
        run: run.clone(),
        name: summary.name,
        status: summary.status,
        source: LogSource::None,
        fetched: 0,
        file: None,
        follow: opts.follow,
        ended: false,
        checked: Instant::now(),
        conn,
    };
    if log.status == runs::Status::Running.as_str() {
        match fs_err::File::open(artifacts::live_log(project, &run)) {
            Ok(f) => {
                log.file = Some(f);
                log.source = LogSource::Live;
            }
            // It ended meanwhile: its log is stored now.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                log.status = runs::status_of(&log.conn, &run)?.unwrap_or_default();
            }
            Err(e) => return Err(e.into()),
        }
    }
    if log.source == LogSource::None
        && let Some(stored) = artifacts::log_of(&log.conn, &run)?
    {
        let id = stored.object()?;
        let needed = [Needed { id, size: Some(stored.size) }];
        let what = format!("the log of run {run}");
        log.fetched =
            transfer::fetch_verified(project, opts.remote.as_deref(), &needed, &what, reporter)?;
        log.file = Some(fs_err::File::open(project.cache().whole_path(&id)?)?);
        log.source = LogSource::Stored;
    }
    if let (Some(lines), Some(file)) = (opts.tail, log.file.as_mut()) {
        let len = file.metadata()?.len();
        let start = artifacts::tail_start(file, len, lines)?;
        file.seek(SeekFrom::Start(start))?;
    }
    Ok(log)
}

impl RunLog {
    /// The next piece of the log. A stored log, or a live one not followed, ends where its
    /// file ends; a followed one waits for more until the run has ended and all it wrote is
    /// read.
    pub fn next(&mut self, project: &Project) -> Result<Chunk> {
        let Some(file) = self.file.as_mut() else { return Ok(Chunk::End) };
        let mut buf = vec![0u8; CHUNK];
        let n = file.read(&mut buf)?;
        if n > 0 {
            buf.truncate(n);
            return Ok(Chunk::Data(buf));
        }
        if self.source != LogSource::Live || !self.follow || self.ended {
            return Ok(Chunk::End);
        }
        if self.checked.elapsed() < STATUS_EVERY {
            return Ok(Chunk::Wait);
        }
        self.checked = Instant::now();
        launch::reap(project, &self.conn)?;
        let status = runs::status_of(&self.conn, &self.run)?;
        if status.as_deref() != Some(runs::Status::Running.as_str()) {
            // Its output is complete once the run is recorded as ended: read the rest (the
            // open file stays readable after its folder is removed), then stop.
            self.status = status.unwrap_or_default();
            self.ended = true;
        }
        Ok(Chunk::Wait)
    }
}
