//! The watcher process itself (`mlx watch run`): one thread reads inotify events, one accepts
//! connections on `.mlx/watch/socket`, and one thread per connection answers its questions.
//! See the module above for why the answers can be trusted.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::{CStr, OsStr, OsString};
use std::io::{self, BufRead, BufReader, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::fs::inotify::{self, ReadFlags, WatchFlags};
use rustix::fs::{AtFlags, Mode, OFlags};

use super::{Answers, Error, Info, LOCK, Request, Response, Result, SOCKET, Token, WatchedDir};

/// How the watcher ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// `mlx watch stop`.
    Stopped,
    /// The work tree or its `.mlx/watch` folder was removed, moved or unmounted.
    TreeGone,
}

/// The watcher is listening.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ready {
    pub pid: u32,
    pub root: PathBuf,
}

/// What a change anywhere in a watched tree may be: every event but reads.
fn tree_mask() -> WatchFlags {
    WatchFlags::MODIFY
        | WatchFlags::ATTRIB
        | WatchFlags::CREATE
        | WatchFlags::DELETE
        | WatchFlags::MOVED_FROM
        | WatchFlags::MOVED_TO
        | WatchFlags::DELETE_SELF
        | WatchFlags::MOVE_SELF
        | WatchFlags::ONLYDIR
        | WatchFlags::DONT_FOLLOW
}

/// How long a question waits for the watcher to read its own cookie's event.
const SYNC_LIMIT: Duration = Duration::from_secs(5);

/// One inotify watch (one folder) and what its events mean.
struct Watched {
    path: PathBuf,
    /// Tracked folders this folder is in (or is): any event in it changes them.
    trees: BTreeSet<PathBuf>,
    /// For a folder above tracked ones: the entry name leading to each of them.
    above: BTreeMap<OsString, BTreeSet<PathBuf>>,
    /// The work tree's top folder.
    top: bool,
    /// `.mlx/watch`, where the cookies are made.
    cookies: bool,
}

impl Watched {
    fn new(path: &Path) -> Self {
        Watched {
            path: path.to_path_buf(),
            trees: BTreeSet::new(),
            above: BTreeMap::new(),
            top: false,
            cookies: false,
        }
    }

    fn idle(&self) -> bool {
        self.trees.is_empty() && self.above.is_empty() && !self.top && !self.cookies
    }
}

/// A tracked folder being watched.
struct Root {
    /// The clock when a change in it was last read (or when its watches were set up).
    dirty: u64,
    /// Why it cannot be watched: it is then always answered "changed".
    problem: Option<String>,
}

struct State {
    /// Advanced each time a token is handed out: a change read later is newer than the token.
    clock: u64,
    roots: HashMap<PathBuf, Root>,
    watches: HashMap<i32, Watched>,
    /// Cookies whose creation has been read.
    cookies: HashSet<u64>,
    next_cookie: u64,
    overflows: u64,
    queries: u64,
    unchanged_answers: u64,
    ended: Option<Ended>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled whenever an event has been read.
    read: Condvar,
    inotify: OwnedFd,
    dir: OwnedFd,
    listener: OwnedFd,
    instance: String,
    root: PathBuf,
    root_id: (u64, u64),
    started: u64,
}

/// Run the watcher for the work tree at `root` (its `.mlx` at `mlx_dir`) until it is stopped or
/// the tree goes away. `ready` is called once it answers on its socket. With `detach`, the
/// process first leaves its session, so that closing the terminal does not end it.
pub fn serve(
    root: &Path,
    mlx_dir: &Path,
    detach: bool,
    ready: &mut dyn FnMut(&Ready),
) -> Result<Ended> {
    if detach {
        // Fails only when already a session leader, which is as good.
        let _ = nix::unistd::setsid();
    }
    rustix::process::umask(Mode::from_raw_mode(0o077));
    // Every path here is absolute; a working folder inside the tree would keep its removal
    // from being reported.
    std::env::set_current_dir("/").map_err(Error::io("cannot leave the work tree"))?;
    let dir = super::open_dir(mlx_dir, true)?;
    let what = |w: &str| Error::io(format!("{}/{}", mlx_dir.join(super::DIR).display(), w));
    let lock = rustix::fs::openat(
        &dir,
        LOCK,
        OFlags::CREATE | OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| what(LOCK)(e.into()))?;
    if rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
        return Err(Error::AlreadyRunning { pid: super::holder_pid(lock) });
    }
    let pid = std::process::id();
    rustix::fs::ftruncate(&lock, 0).map_err(|e| what(LOCK)(e.into()))?;
    rustix::io::write(&lock, format!("{pid}\n").as_bytes()).map_err(|e| what(LOCK)(e.into()))?;

    let root_id = super::root_id(root).map_err(Error::io(root.display().to_string()))?;
    let ino = inotify::init(inotify::CreateFlags::CLOEXEC)
        .map_err(|e| Error::io("cannot start inotify")(e.into()))?;
    let mut state = State {
        clock: 1,
        roots: HashMap::new(),
        watches: HashMap::new(),
        cookies: HashSet::new(),
        next_cookie: 1,
        overflows: 0,
        queries: 0,
        unchanged_answers: 0,
        ended: None,
    };
    let top = state
        .add_watch(&ino, root)
        .map_err(Error::io(format!("cannot watch {}", root.display())))?;
    state.watches.get_mut(&top).expect("just added").top = true;
    let cookie_dir = super::in_dir(&dir, "");
    let cookies = inotify::add_watch(
        &ino,
        &cookie_dir,
        WatchFlags::CREATE | WatchFlags::DELETE_SELF | WatchFlags::MOVE_SELF,
    )
    .map_err(|e| what("")(e.into()))?;
    state
        .watches
        .entry(cookies)
        .or_insert_with(|| Watched::new(&mlx_dir.join(super::DIR)))
        .cookies = true;

    let _ = rustix::fs::unlinkat(&dir, SOCKET, AtFlags::empty());
    let listener = UnixListener::bind(super::in_dir(&dir, SOCKET)).map_err(what(SOCKET))?;
    let listener_fd = listener.as_fd().try_clone_to_owned().map_err(what(SOCKET))?;
    let instance = instance_id(pid);
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        read: Condvar::new(),
        inotify: ino,
        dir,
        listener: listener_fd,
        instance,
        root: root.to_path_buf(),
        root_id,
        started,
    });
    {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("mlx-watch-events".into())
            .spawn(move || read_events(&shared))
            .map_err(Error::io("cannot start the watcher's thread"))?;
    }
    ready(&Ready { pid, root: root.to_path_buf() });
    tracing::info!("watching {} (pid {pid})", root.display());
    let ended = loop {
        let conn = listener.accept();
        if let Some(ended) = shared.lock().ended {
            break ended;
        }
        if let Ok((stream, _)) = conn {
            let shared = Arc::clone(&shared);
            let _ = std::thread::Builder::new()
                .name("mlx-watch-client".into())
                .spawn(move || serve_client(&shared, stream));
        }
    };
    if ended == Ended::Stopped {
        let _ = rustix::fs::unlinkat(&shared.dir, SOCKET, AtFlags::empty());
    }
    drop(lock);
    Ok(ended)
}

/// A word that differs between watcher processes: a token from an earlier one never counts.
fn instance_id(pid: u32) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut h = blake3::Hasher::new();
    h.update(&pid.to_le_bytes());
    h.update(&now.to_le_bytes());
    h.finalize().to_hex()[..16].to_owned()
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// End the watcher: wake the accepting thread, which returns.
    fn end(&self, why: Ended) {
        self.lock().ended.get_or_insert(why);
        self.read.notify_all();
        let _ = rustix::net::shutdown(&self.listener, rustix::net::Shutdown::Both);
    }

    fn query(&self, root: (u64, u64), dirs: &[(PathBuf, Option<Token>)]) -> Response {
        if root != self.root_id {
            return Response::Refused { why: "this watcher watches another work tree".into() };
        }
        let (cookie, overflows) = {
            let mut st = self.lock();
            for (dir, _) in dirs {
                if !st.roots.contains_key(dir) {
                    st.register(&self.inotify, &self.root, dir);
                }
            }
            st.next_cookie += 1;
            (st.next_cookie - 1, st.overflows)
        };
        // Every change made before this question was asked is queued before the cookie's
        // creation: once that event is read, so are they.
        let name = format!("cookie-{cookie}");
        let made = rustix::fs::openat(
            &self.dir,
            &name,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map(drop)
        .is_ok();
        let _ = rustix::fs::unlinkat(&self.dir, &name, AtFlags::empty());
        let deadline = Instant::now() + SYNC_LIMIT;
        let mut st = self.lock();
        let synced = made
            && loop {
                if st.cookies.remove(&cookie) || st.overflows != overflows {
                    break true;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if st.ended.is_some() || left.is_zero() {
                    break false;
                }
                st = self
                    .read
                    .wait_timeout(st, left)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            };
        st.queries += 1;
        let token = synced.then(|| {
            st.clock += 1;
            Token { instance: self.instance.clone(), seq: st.clock - 1 }
        });
        let changed: Vec<bool> = dirs
            .iter()
            .map(|(dir, since)| {
                let unchanged = synced
                    && since.as_ref().is_some_and(|s| {
                        s.instance == self.instance
                            && st
                                .roots
                                .get(dir)
                                .is_some_and(|r| r.problem.is_none() && r.dirty <= s.seq)
                    });
                !unchanged
            })
            .collect();
        st.unchanged_answers += changed.iter().filter(|c| !**c).count() as u64;
        Response::Answers(Answers { token, changed })
    }

    fn info(&self) -> Info {
        let st = self.lock();
        let mut dirs: Vec<WatchedDir> = st
            .roots
            .iter()
            .map(|(path, r)| WatchedDir { path: path.clone(), problem: r.problem.clone() })
            .collect();
        dirs.sort_by(|a, b| a.path.cmp(&b.path));
        Info {
            pid: std::process::id(),
            root: self.root.clone(),
            started: self.started,
            dirs,
            watches: st.watches.len(),
            queries: st.queries,
            unchanged_answers: st.unchanged_answers,
            overflows: st.overflows,
        }
    }
}

/// Answer one connection's questions, one JSON line each, until it closes.
fn serve_client(shared: &Shared, stream: UnixStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok(mut writer) = stream.try_clone() else { return };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let (response, stop) = match serde_json::from_str::<Request>(&line) {
            Ok(Request::Query { root, dirs }) => (shared.query(root, &dirs), false),
            Ok(Request::Info) => (Response::Info(shared.info()), false),
            Ok(Request::Stop) => (Response::Stopping { pid: std::process::id() }, true),
            Err(e) => (Response::Refused { why: format!("not a question: {e}") }, false),
        };
        let mut out = serde_json::to_vec(&response).unwrap_or_default();
        out.push(b'\n');
        let sent = writer.write_all(&out).is_ok();
        if stop {
            shared.end(Ended::Stopped);
            return;
        }
        if !sent {
            return;
        }
    }
}

/// The event thread: read events for ever, or until the tree goes away.
fn read_events(shared: &Shared) {
    let mut buf = vec![MaybeUninit::<u8>::uninit(); 64 * 1024];
    let mut reader = inotify::Reader::new(&shared.inotify, &mut buf);
    loop {
        let ended = match reader.next() {
            Ok(ev) => {
                let name = ev.file_name().map(CStr::to_bytes).filter(|n| !n.is_empty());
                let mut st = shared.lock();
                st.on_event(&shared.inotify, ev.wd(), ev.events(), name.map(OsStr::from_bytes))
            }
            Err(rustix::io::Errno::INTR) => None,
            Err(e) => {
                tracing::error!("cannot read inotify events: {e}");
                Some(Ended::TreeGone)
            }
        };
        shared.read.notify_all();
        if let Some(ended) = ended {
            shared.end(ended);
            return;
        }
    }
}

impl State {
    fn add_watch(&mut self, ino: &OwnedFd, path: &Path) -> io::Result<i32> {
        let wd = inotify::add_watch(ino, path, tree_mask())?;
        self.watches.entry(wd).or_insert_with(|| Watched::new(path)).path = path.to_path_buf();
        Ok(wd)
    }

    /// Start watching the tracked folder `dir`: the folders from the work tree's top down to
    /// it, and every folder inside it. A folder that cannot be watched is kept with its
    /// problem (always "changed"); one that does not exist is not kept (asked again next time).
    fn register(&mut self, ino: &OwnedFd, top: &Path, dir: &Path) {
        let result = self.set_up(ino, top, dir);
        if let Err(e) = result {
            self.unregister(ino, dir);
            // Not there (or not a folder) yet: asked again next time.
            if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(20) {
                return;
            }
            let problem = describe(&e);
            tracing::warn!("cannot watch {}: {problem}", dir.display());
            self.roots
                .insert(dir.to_path_buf(), Root { dirty: self.clock, problem: Some(problem) });
            return;
        }
        self.roots.insert(dir.to_path_buf(), Root { dirty: self.clock, problem: None });
    }

    fn set_up(&mut self, ino: &OwnedFd, top: &Path, dir: &Path) -> io::Result<()> {
        let rel = dir
            .strip_prefix(top)
            .map_err(|_| io::Error::other("the folder is outside the work tree"))?;
        let mut at = top.to_path_buf();
        for c in rel.components() {
            let Component::Normal(name) = c else {
                return Err(io::Error::other("the folder's path is not a plain one"));
            };
            let wd = self.add_watch(ino, &at)?;
            let w = self.watches.get_mut(&wd).expect("just added");
            w.above.entry(name.to_owned()).or_default().insert(dir.to_path_buf());
            at.push(name);
        }
        self.watch_tree(ino, dir, dir)
    }

    /// Watch `start` and every folder below it as part of the tracked folder `root`. A watch
    /// is added before its folder is listed, so a sub-folder made meanwhile is either listed
    /// or seen as an event.
    fn watch_tree(&mut self, ino: &OwnedFd, start: &Path, root: &Path) -> io::Result<()> {
        let mut stack = vec![start.to_path_buf()];
        while let Some(d) = stack.pop() {
            let below = d != start;
            // A sub-folder removed (or replaced by a file) meanwhile is an event already read
            // or to be read.
            let vanished = |e: &io::Error| {
                below && (e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(20))
            };
            let wd = match self.add_watch(ino, &d) {
                Ok(wd) => wd,
                Err(e) if vanished(&e) => continue,
                Err(e) => return Err(e),
            };
            self.watches.get_mut(&wd).expect("just added").trees.insert(root.to_path_buf());
            let entries = match std::fs::read_dir(&d) {
                Ok(entries) => entries,
                Err(e) if vanished(&e) => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    stack.push(entry.path());
                }
            }
        }
        Ok(())
    }

    /// Forget the tracked folder `dir` and drop the watches it alone needed.
    fn unregister(&mut self, ino: &OwnedFd, dir: &Path) {
        self.roots.remove(dir);
        let mut idle = Vec::new();
        for (wd, w) in &mut self.watches {
            w.trees.remove(dir);
            for set in w.above.values_mut() {
                set.remove(dir);
            }
            w.above.retain(|_, set| !set.is_empty());
            if w.idle() {
                idle.push(*wd);
            }
        }
        for wd in idle {
            self.watches.remove(&wd);
            let _ = inotify::remove_watch(ino, wd);
        }
    }

    /// Take in one event; `Some` when the watcher must end.
    fn on_event(
        &mut self,
        ino: &OwnedFd,
        wd: i32,
        mask: ReadFlags,
        name: Option<&OsStr>,
    ) -> Option<Ended> {
        if mask.contains(ReadFlags::QUEUE_OVERFLOW) {
            // Events were lost: every tree may have changed.
            tracing::warn!("the inotify queue overflowed: every tracked folder counts as changed");
            self.overflows += 1;
            let clock = self.clock;
            for r in self.roots.values_mut() {
                r.dirty = clock;
            }
            return None;
        }
        let w = self.watches.get(&wd)?;
        let gone = mask.intersects(
            ReadFlags::DELETE_SELF | ReadFlags::MOVE_SELF | ReadFlags::UNMOUNT | ReadFlags::IGNORED,
        );
        if w.cookies {
            if gone {
                return Some(Ended::TreeGone);
            }
            if let Some(n) = name.and_then(|n| n.to_str()?.strip_prefix("cookie-")?.parse().ok()) {
                self.cookies.insert(n);
            }
            return None;
        }
        // The work tree gone, or its `.mlx` (which holds the cookie folder, kept alive by
        // this process's handle on it, so its own removal is never reported).
        let mlx_gone = name == Some(OsStr::new(crate::project::MLX_DIR))
            && mask.intersects(ReadFlags::DELETE | ReadFlags::MOVED_FROM);
        if w.top && (gone || mlx_gone) {
            return Some(Ended::TreeGone);
        }
        let new_dir = mask.contains(ReadFlags::ISDIR)
            && mask.intersects(ReadFlags::CREATE | ReadFlags::MOVED_TO);
        let above = name.is_some_and(|n| w.above.contains_key(n));
        if !gone && !new_dir && !above {
            // The common case (a file written, made or removed): mark its trees, nothing more.
            let clock = self.clock;
            for t in &w.trees {
                if let Some(r) = self.roots.get_mut(t) {
                    r.dirty = clock;
                }
            }
            return None;
        }
        let path = w.path.clone();
        let trees: Vec<PathBuf> = w.trees.iter().cloned().collect();
        // Above tracked folders, only an entry on the way to one matters: one renamed, removed
        // or made forgets the trees below (set up again when next asked about); a changed
        // mode is a change.
        let structural = mask.intersects(
            ReadFlags::CREATE | ReadFlags::DELETE | ReadFlags::MOVED_FROM | ReadFlags::MOVED_TO,
        );
        let mut forget: Vec<PathBuf> = Vec::new();
        let mut touched: Vec<PathBuf> = trees.clone();
        if let Some(set) = name.and_then(|n| w.above.get(n)) {
            if structural {
                forget.extend(set.iter().cloned());
            } else {
                touched.extend(set.iter().cloned());
            }
        }
        if gone {
            forget.extend(w.above.values().flatten().cloned());
            forget.extend(trees.iter().filter(|t| **t == path).cloned());
        }
        let clock = self.clock;
        for t in &touched {
            if let Some(r) = self.roots.get_mut(t) {
                r.dirty = clock;
            }
        }
        if let (Some(n), true) = (name, new_dir) {
            for t in &trees {
                if self.roots.get(t).is_none_or(|r| r.problem.is_some()) {
                    continue;
                }
                if let Err(e) = self.watch_tree(ino, &path.join(n), t) {
                    self.unregister(ino, t);
                    let problem = describe(&e);
                    tracing::warn!("cannot watch {}: {problem}", t.display());
                    self.roots
                        .insert(t.clone(), Root { dirty: self.clock, problem: Some(problem) });
                }
            }
        }
        for t in &forget {
            self.unregister(ino, t);
        }
        if mask.contains(ReadFlags::IGNORED) {
            self.watches.remove(&wd);
        }
        None
    }
}

/// A watch problem in words, naming the limit to raise when that is the cause.
fn describe(e: &io::Error) -> String {
    if e.raw_os_error() == Some(28) {
        "the limit of inotify watches is reached (raise fs.inotify.max_user_watches)".to_owned()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_limit_is_named_in_the_problem() {
        assert!(describe(&io::Error::from_raw_os_error(28)).contains("max_user_watches"));
        assert!(!describe(&io::Error::from_raw_os_error(2)).contains("max_user_watches"));
    }
}
