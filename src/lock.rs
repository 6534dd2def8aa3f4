//! The repository lock (`.mlx/lock`): stops two mutating commands from interleaving. A second
//! command waits, saying who holds the lock, and gives up after a timeout with a clear error.
//! And the run lock (`.mlx/run.lock`), held for a whole `mlx run`: shared by plain runs, alone
//! by a run that changes params files (`--set`), so such a run never interleaves with another.
//! The OS releases both when their holder exits, even on kill -9.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs_err as fs;

use crate::progress::Reporter;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "another mlx command ({holder}) has held the project lock {path} for more than {waited}s"
    )]
    Timeout { path: PathBuf, holder: String, waited: u64 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Held for as long as this value lives.
#[derive(Debug)]
pub struct RepoLock {
    _file: fs::File,
}

fn holder_of(file: &mut fs::File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() { "unknown process".to_owned() } else { text.to_owned() }
}

pub fn acquire(path: &Path, timeout: Duration, reporter: &dyn Reporter) -> Result<RepoLock, Error> {
    let mut file =
        fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    let start = Instant::now();
    let mut told = false;
    loop {
        match file.file().try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = holder_of(&mut file);
                if start.elapsed() >= timeout {
                    return Err(Error::Timeout {
                        path: path.to_path_buf(),
                        holder,
                        waited: timeout.as_secs(),
                    });
                }
                if !told {
                    reporter.note(&format!(
                        "waiting for another mlx command ({holder}) to finish (up to {}s)",
                        timeout.as_secs()
                    ));
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("failed to lock {}: {e}", path.display()),
                )
                .into());
            }
        }
    }
    // `args_os`: a path argument need not be UTF-8 (`std::env::args` would panic on it).
    let args: Vec<String> =
        std::env::args_os().skip(1).take(6).map(|a| a.to_string_lossy().into_owned()).collect();
    file.set_len(0)?;
    file.rewind()?;
    let _ = write!(file, "pid {}: mlx {}", std::process::id(), args.join(" "));
    Ok(RepoLock { _file: file })
}

/// The run lock, held for as long as this value lives.
#[derive(Debug)]
pub struct RunLock {
    _file: fs::File,
}

/// Take the run lock at `path`: alone (`exclusive`, for a run that changes params files) or
/// shared with other runs. Waits as long as it takes (a run may take hours), saying so once.
pub fn acquire_run(
    path: &Path,
    exclusive: bool,
    reporter: &dyn Reporter,
) -> Result<RunLock, Error> {
    let mut file =
        fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    let attempt = |f: &fs::File| {
        if exclusive { f.file().try_lock() } else { f.file().try_lock_shared() }
    };
    match attempt(&file) {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            // Only a run holding the lock alone writes who it is: name it when one does (a
            // shared lock would be granted otherwise).
            let alone = !exclusive
                || match file.file().try_lock_shared() {
                    Ok(()) => {
                        let _ = file.file().unlock();
                        false
                    }
                    Err(_) => true,
                };
            let holder = if alone { format!(" ({})", holder_of(&mut file)) } else { String::new() };
            reporter.note(&format!(
                "waiting for another mlx run{holder} to finish: a run with --set changes params \
                 files, so it does not run beside another"
            ));
            if exclusive { file.file().lock()? } else { file.file().lock_shared()? }
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("failed to lock {}: {e}", path.display()),
            )
            .into());
        }
    }
    if exclusive {
        let args: Vec<String> =
            std::env::args_os().skip(1).take(6).map(|a| a.to_string_lossy().into_owned()).collect();
        file.set_len(0)?;
        file.rewind()?;
        let _ = write!(file, "pid {}: mlx {}", std::process::id(), args.join(" "));
    }
    Ok(RunLock { _file: file })
}
