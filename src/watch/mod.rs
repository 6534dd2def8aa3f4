//! The file watcher (`mlx watch`): a process that holds inotify watches on the tracked
//! directories, so that a no-op `mlx status` asks it whether anything changed instead of
//! stat-ing every file.
//!
//! How it stays right:
//! - Each answer comes with a token. `status` keeps the token it got *before* walking a tree
//!   with that tree's record (`.mlx/tree-stamps/`); the next `status` asks "did anything under
//!   this folder change since that token?". Only "no", from the same watcher process, lets it
//!   reuse the record without a walk; anything else (another process, a folder not watched yet,
//!   a queue overflow, an error) walks the tree as before.
//! - Before it answers, the watcher creates a cookie file in `.mlx/watch/` and waits for its
//!   own event: inotify queues events in order, so every change made before the question was
//!   asked has been read by then.
//! - New folders get watches as their creation is read; the creation itself marks the tree
//!   changed, and the walk that follows sees whatever was written before the watch existed.
//! - Renaming, removing or replacing a watched folder or any folder above it forgets the tree:
//!   the next question sets its watches up again and answers "changed".
//!
//! What it cannot see (docs/cache.md): writes through a shared `mmap`, changes made on another
//! machine to a network filesystem, and writes through another hardlink of a file outside the
//! watched folders. Those are found by `status` without the watcher, or once anything else in
//! the tree changes.
//!
//! The watcher's files live in `.mlx/watch/` (the socket, a lock held while it runs, its log);
//! the folder must be a real folder owned by the user, never a symlink.

pub mod daemon;

use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The folder in `.mlx/` that holds the watcher's socket, lock and log.
pub const DIR: &str = "watch";
const SOCKET: &str = "socket";
const LOCK: &str = "lock";
/// The watcher's stdout and stderr when it runs in the background.
pub const LOG: &str = "log";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{path} is not a folder of your own (a symlink, or owned by another user): mlx will not put its watcher there"
    )]
    Unsafe { path: PathBuf },
    #[error("a watcher already runs for this work tree (pid {pid})")]
    AlreadyRunning { pid: u32 },
    #[error("the watcher did not start: {why}")]
    NotStarted { why: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

impl Error {
    fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    pub fn is_input_error(&self) -> bool {
        matches!(self, Error::Unsafe { .. })
    }

    pub fn hint(&self) -> Option<String> {
        matches!(self, Error::Unsafe { .. }).then(|| {
            "remove .mlx/watch (mlx makes it itself), then start the watcher again".to_owned()
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A point in one watcher's life: an answer "unchanged since this token" holds only for the
/// process that issued it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub instance: String,
    pub seq: u64,
}

impl Token {
    /// The token as one word (`INSTANCE:SEQ`), as tree-stamp records keep it.
    pub fn to_word(&self) -> String {
        format!("{}:{}", self.instance, self.seq)
    }

    pub fn from_word(word: &str) -> Option<Token> {
        let (instance, seq) = word.split_once(':')?;
        let ok = !instance.is_empty() && instance.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Some(Token { instance: instance.to_owned(), seq: seq.parse().ok()? }))?
    }
}

/// A question to the watcher, one JSON line on its socket.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    /// Whether anything under each folder changed since its token; `root` is the work tree's
    /// device and inode, so a watcher never answers for another tree.
    Query {
        root: (u64, u64),
        dirs: Vec<(PathBuf, Option<Token>)>,
    },
    Info,
    Stop,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Response {
    Answers(Answers),
    Info(Info),
    Stopping { pid: u32 },
    Refused { why: String },
}

/// The watcher's answer to a query: for each folder asked about, whether it may have changed
/// since the token given for it; and a token for the next question (none when the watcher
/// could not make sure it had read every event).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answers {
    pub token: Option<Token>,
    pub changed: Vec<bool>,
}

/// What `mlx watch status` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Info {
    pub pid: u32,
    pub root: PathBuf,
    /// Unix time (seconds) the watcher started.
    pub started: u64,
    pub dirs: Vec<WatchedDir>,
    /// inotify watches held (one per folder, and the folders above each tracked one).
    pub watches: usize,
    pub queries: u64,
    /// Folders answered "unchanged": a walk saved each time.
    pub unchanged_answers: u64,
    /// Times the kernel's event queue overflowed (every tree was then counted changed).
    pub overflows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WatchedDir {
    pub path: PathBuf,
    /// Why the folder cannot be watched (the watch limit reached...): it is then always
    /// answered "changed".
    pub problem: Option<String>,
}

/// `.mlx/watch`, opened without following a symlink, checked to be a folder owned by this
/// user; made first when `create`.
fn open_dir(mlx_dir: &Path, create: bool) -> Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let path = mlx_dir.join(DIR);
    let unsafe_dir = || Error::Unsafe { path: path.clone() };
    let mlx_meta =
        std::fs::symlink_metadata(mlx_dir).map_err(Error::io(mlx_dir.display().to_string()))?;
    if !mlx_meta.is_dir() || mlx_meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(Error::Unsafe { path: mlx_dir.to_path_buf() });
    }
    if create {
        match rustix::fs::mkdir(&path, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(Error::io(path.display().to_string())(e.into())),
        }
    }
    let fd = rustix::fs::open(
        &path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => unsafe_dir(),
        e => Error::io(path.display().to_string())(e.into()),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(|e| Error::io(path.display().to_string())(e.into()))?;
    if st.st_uid != rustix::process::geteuid().as_raw() {
        return Err(unsafe_dir());
    }
    Ok(fd)
}

/// The pid of the watcher running for the project whose `.mlx` is `mlx_dir` (it holds the
/// lock in `.mlx/watch/`), if one runs.
pub fn running_pid(mlx_dir: &Path) -> Result<Option<u32>> {
    use rustix::fs::{FlockOperation, Mode, OFlags};
    let dir = match open_dir(mlx_dir, false) {
        Ok(dir) => dir,
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let lock = match rustix::fs::openat(
        &dir,
        LOCK,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(e) => return Err(Error::io(format!("{}/{DIR}/{LOCK}", mlx_dir.display()))(e.into())),
    };
    if rustix::fs::flock(&lock, FlockOperation::NonBlockingLockShared).is_ok() {
        return Ok(None);
    }
    Ok(Some(holder_pid(lock)))
}

/// The pid the watcher holding `lock` wrote into it (0 when it cannot be read).
fn holder_pid(lock: OwnedFd) -> u32 {
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut std::fs::File::from(lock), &mut text);
    text.trim().parse().unwrap_or(0)
}

/// `.mlx/watch/log`, emptied: the output of a watcher started in the background.
pub fn open_log(mlx_dir: &Path) -> Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let dir = open_dir(mlx_dir, true)?;
    let fd = rustix::fs::openat(
        &dir,
        LOG,
        OFlags::CREATE | OFlags::TRUNC | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| Error::io(format!("{}/{DIR}/{LOG}", mlx_dir.display()))(e.into()))?;
    Ok(std::fs::File::from(fd))
}

/// What `.mlx/watch/log` holds (empty when it cannot be read, or is not a plain file).
pub fn read_log(mlx_dir: &Path) -> String {
    use rustix::fs::{Mode, OFlags};
    let Ok(dir) = open_dir(mlx_dir, false) else { return String::new() };
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let Ok(fd) = rustix::fs::openat(&dir, LOG, flags, Mode::empty()) else { return String::new() };
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut text);
    text
}

/// A path naming `name` in the folder open at `dir` that stays short whatever the folder's own
/// path (a socket's path is limited to 108 bytes).
fn in_dir(dir: &OwnedFd, name: &str) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}/{name}", dir.as_raw_fd()))
}

/// The work tree's device and inode, which a query carries.
pub fn root_id(root: &Path) -> io::Result<(u64, u64)> {
    let m = std::fs::metadata(root)?;
    Ok((m.dev(), m.ino()))
}

/// A connection to the watcher of the project whose `.mlx` is `mlx_dir`.
pub struct Client {
    reader: BufReader<UnixStream>,
}

/// Connect to the project's watcher; `None` when none runs (or its socket is not a socket of
/// this user's in a folder of this user's).
pub fn connect(mlx_dir: &Path) -> Option<Client> {
    let dir = open_dir(mlx_dir, false).ok()?;
    let st = rustix::fs::statat(&dir, SOCKET, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).ok()?;
    let is_socket = rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Socket;
    if !is_socket || st.st_uid != rustix::process::geteuid().as_raw() {
        return None;
    }
    let stream = UnixStream::connect(in_dir(&dir, SOCKET)).ok()?;
    // Setting up the watches of a big tree for the first time takes a while.
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    stream.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    Some(Client { reader: BufReader::new(stream) })
}

impl Client {
    fn ask(&mut self, request: &Request) -> io::Result<Response> {
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        self.reader.get_mut().write_all(&line)?;
        let mut answer = String::new();
        self.reader.read_line(&mut answer)?;
        serde_json::from_str(&answer).map_err(io::Error::other)
    }

    /// Whether each of `dirs` (absolute) may have changed since its token; `root` is the work
    /// tree. Errors mean "ask the disk".
    pub fn query(
        &mut self,
        root: &Path,
        dirs: Vec<(PathBuf, Option<Token>)>,
    ) -> io::Result<Answers> {
        let n = dirs.len();
        match self.ask(&Request::Query { root: root_id(root)?, dirs })? {
            Response::Answers(a) if a.changed.len() == n => Ok(a),
            Response::Refused { why } => Err(io::Error::other(why)),
            _ => Err(io::Error::other("the watcher gave an answer of the wrong shape")),
        }
    }

    pub fn info(&mut self) -> io::Result<Info> {
        match self.ask(&Request::Info)? {
            Response::Info(info) => Ok(info),
            _ => Err(io::Error::other("the watcher gave an answer of the wrong shape")),
        }
    }

    /// Ask the watcher to stop; its pid.
    pub fn stop(&mut self) -> io::Result<u32> {
        match self.ask(&Request::Stop)? {
            Response::Stopping { pid } => Ok(pid),
            _ => Err(io::Error::other("the watcher gave an answer of the wrong shape")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_and_odd_words_are_refused() {
        let t = Token { instance: "a1b2".into(), seq: 42 };
        assert_eq!(Token::from_word(&t.to_word()), Some(t));
        for bad in ["", ":1", "a1", "a1:", "a1:x", "a/b:1", "a 1:2"] {
            assert_eq!(Token::from_word(bad), None, "{bad}");
        }
    }
}
