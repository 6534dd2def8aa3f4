//! The test harness: a `TestProject` is a temporary `git init` driven by the real `git` binary,
//! with a hermetic environment for every child process (mlx and git): HOME inside the temp dir,
//! system and global git config off, fixed author, committer and dates, no color.
//!
//! Helpers run `mlx` with assert_cmd, read and write workspace files, list cache objects and open
//! the project database, so a test asserts both the output and the effect.

#![allow(dead_code)] // Not every test file uses every helper.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use assert_cmd::assert::Assert;

pub mod azurite;
pub mod browser;
pub mod child;
pub mod dvc;
pub mod gcs;
pub mod gto;
pub mod mlflow;
pub mod mlflow_store;
pub mod ports;
pub mod servers;
pub mod sshd;

/// Environment variables that could leak the developer's setup into a test.
const SCRUBBED_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CEILING_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "XDG_CONFIG_HOME",
    "MLX_LOCK_TIMEOUT",
    "MLX_FAULT",
    "MLX_FAULT_LOG",
    "MLX_LOG",
    "RUST_LOG",
    "CLICOLOR_FORCE",
    // Would make mlx answer as shell completion instead of running the command.
    "COMPLETE",
    // AWS credentials, profiles, regions and endpoints (the S3 remote tests give their own).
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    // Google credentials and the metadata server (the GCS remote tests give their own).
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GCE_METADATA_HOST",
    // The developer's ssh agent (the SSH remote tests start their own).
    "SSH_AUTH_SOCK",
];

/// The hermetic environment shared by mlx and git children. `home` is inside the temp dir.
fn hermetic(cmd: &mut StdCommand, home: &Path) {
    for var in SCRUBBED_VARS {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("LC_ALL", "C")
        // Never wait on the EC2 instance metadata service for credentials.
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

pub struct TestProject {
    /// Holds the temp folder alive; `root` is inside it.
    dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
}

impl TestProject {
    /// A fresh git repository (not yet an mlx project).
    pub fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("mlx-test-").tempdir().expect("temp dir");
        let base = dir.path().canonicalize().expect("canonical temp dir");
        let root = base.join("repo");
        let home = base.join("home");
        std::fs::create_dir_all(&root).expect("create repo dir");
        std::fs::create_dir_all(&home).expect("create home dir");
        let p = TestProject { dir, root, home };
        p.git(&["-c", "init.defaultBranch=main", "init", "-q", "."]);
        p
    }

    /// A fresh git repository with `mlx init` done.
    pub fn initialized() -> Self {
        let p = Self::new();
        p.mlx(&["init"]).success();
        p
    }

    /// An initialized project whose `.mlx/config.local.toml` chooses `link_type`.
    pub fn with_link_type(link_type: &str) -> Self {
        let p = Self::initialized();
        p.set_link_type(link_type);
        p
    }

    /// The project root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A folder outside the project but inside the temp dir (for paths that escape it).
    pub fn outside(&self) -> PathBuf {
        self.root.parent().expect("root has a parent").join("outside")
    }

    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    /// `mlx` ready to run in the project root with the hermetic environment.
    pub fn mlx_cmd(&self) -> Command {
        self.mlx_cmd_in(&self.root)
    }

    pub fn mlx_cmd_in(&self, dir: impl AsRef<Path>) -> Command {
        let mut std_cmd = StdCommand::new(env!("CARGO_BIN_EXE_mlx"));
        hermetic(&mut std_cmd, &self.home);
        std_cmd.current_dir(dir.as_ref());
        Command::from_std(std_cmd)
    }

    /// `program` in the project root with the hermetic environment (git's identity and
    /// dates, HOME inside the test), for other tools that write to the repository.
    pub fn tool(&self, program: impl AsRef<std::ffi::OsStr>) -> StdCommand {
        let mut cmd = StdCommand::new(program);
        hermetic(&mut cmd, &self.home);
        cmd.current_dir(&self.root);
        cmd
    }

    /// A plain `std::process::Command` for `mlx` (for spawning and killing).
    pub fn mlx_std(&self) -> StdCommand {
        let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_mlx"));
        hermetic(&mut cmd, &self.home);
        cmd.current_dir(&self.root);
        cmd
    }

    /// Run `mlx ARGS` in the project root.
    pub fn mlx(&self, args: &[&str]) -> Assert {
        self.mlx_cmd().args(args).assert()
    }

    /// Run `mlx ARGS` in `dir` (absolute, or relative to the project root).
    pub fn mlx_in(&self, dir: impl AsRef<Path>, args: &[&str]) -> Assert {
        self.mlx_cmd_in(self.root.join(dir)).args(args).assert()
    }

    /// Run `git ARGS` in the project root; panics unless it succeeds. Returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let mut cmd = StdCommand::new("git");
        hermetic(&mut cmd, &self.home);
        let out = cmd.args(args).current_dir(&self.root).output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stage everything and commit; returns the new commit's id.
    pub fn commit_all(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Write a file (creating parent folders), replacing a read-only one if needed.
    pub fn write(&self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            // Replace rather than write through: never modify a hardlinked cache object.
            std::fs::remove_file(&path).expect("remove old file");
        }
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    pub fn mkdir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(&path).expect("mkdir");
        path
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> Vec<u8> {
        let path = self.root.join(rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn read_string(&self, rel: impl AsRef<Path>) -> String {
        String::from_utf8(self.read(rel)).expect("utf-8 file")
    }

    pub fn exists(&self, rel: impl AsRef<Path>) -> bool {
        std::fs::symlink_metadata(self.root.join(rel)).is_ok()
    }

    pub fn remove(&self, rel: impl AsRef<Path>) {
        let path = self.root.join(rel);
        let meta = std::fs::symlink_metadata(&path).expect("exists");
        if meta.is_dir() {
            std::fs::remove_dir_all(&path).expect("remove dir");
        } else {
            std::fs::remove_file(&path).expect("remove file");
        }
    }

    pub fn set_mode(&self, rel: impl AsRef<Path>, mode: u32) {
        let path = self.root.join(rel);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    pub fn mode(&self, rel: impl AsRef<Path>) -> u32 {
        std::fs::symlink_metadata(self.root.join(rel)).expect("stat").permissions().mode() & 0o7777
    }

    /// Choose `[cache] type` in `.mlx/config.local.toml`.
    pub fn set_link_type(&self, link_type: &str) {
        self.write(".mlx/config.local.toml", format!("[cache]\ntype = \"{link_type}\"\n"));
    }

    /// Open `.mlx/mlx.db` read-write (the tests only read, or tamper on purpose).
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path(".mlx/mlx.db")).expect("open mlx.db")
    }

    /// `stat_cache` rows: path → hash.
    pub fn stat_rows(&self) -> std::collections::BTreeMap<Vec<u8>, String> {
        let conn = self.db();
        let mut stmt = conn.prepare("SELECT path, hash FROM stat_cache").expect("query");
        stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?)))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.path(".mlx/cache")
    }

    /// Where the object `hash` (64 hex digits) lives.
    pub fn object_path(&self, hash: &str) -> PathBuf {
        assert_eq!(hash.len(), 64, "not a full hash: {hash}");
        self.cache_dir().join(&hash[..2]).join(&hash[2..])
    }

    pub fn has_object(&self, hash: &str) -> bool {
        self.object_path(hash).exists()
    }

    /// Every object in the cache: (hash, path). Skips `tmp/` and `quarantine/`.
    pub fn objects(&self) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        let Ok(shards) = std::fs::read_dir(self.cache_dir()) else { return out };
        for shard in shards {
            let shard = shard.expect("shard");
            let name = shard.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !shard.file_type().expect("type").is_dir() {
                continue;
            }
            for obj in std::fs::read_dir(shard.path()).expect("read shard") {
                let obj = obj.expect("object");
                let rest = obj.file_name().to_string_lossy().into_owned();
                // Only names that are hashes are objects (temp files are `.tmp-PID-N`).
                if rest.len() != 62 || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
                    continue;
                }
                out.push((format!("{name}{rest}"), obj.path()));
            }
        }
        out.sort();
        out
    }

    /// Files in `.mlx/cache/quarantine/`.
    pub fn quarantined(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.cache_dir().join("quarantine")) {
            Ok(entries) => entries.map(|e| e.expect("entry").path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Parse a pointer file (`data` → `data.mlx`) as TOML.
    pub fn pointer(&self, target: &str) -> toml::Table {
        let text = self.read_string(format!("{target}.mlx"));
        text.parse::<toml::Table>().unwrap_or_else(|e| panic!("{target}.mlx: {e}\n{text}"))
    }

    /// The `hash` of a pointer.
    pub fn pointer_hash(&self, target: &str) -> String {
        self.pointer(target)["hash"].as_str().expect("hash is a string").to_owned()
    }

    /// Run `mlx ARGS --json` expecting success; parse stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.mlx(&all).success().get_output().stdout.clone();
        serde_json::from_slice(&out).unwrap_or_else(|e| {
            panic!("mlx {all:?} printed invalid JSON ({e}): {}", String::from_utf8_lossy(&out))
        })
    }

    /// Replace the temp root in text with `[ROOT]`, for snapshots.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.root.display().to_string(), "[ROOT]")
    }

    /// Exit code, stdout and stderr of a finished command, temp paths redacted: for snapshots.
    pub fn transcript(&self, assert: &Assert) -> String {
        let out = assert.get_output();
        let mut s = String::new();
        let _ =
            writeln!(s, "exit: {}", out.status.code().map_or("signal".into(), |c| c.to_string()));
        let _ = writeln!(s, "--- stdout");
        s.push_str(&String::from_utf8_lossy(&out.stdout));
        let _ = writeln!(s, "--- stderr");
        s.push_str(&String::from_utf8_lossy(&out.stderr));
        self.redact(&s)
    }

    /// Where the temp dir lives, to keep it alive explicitly in long tests.
    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// BLAKE3 of bytes as 64 hex digits: the name an object with this content must have.
pub fn hash_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// BLAKE3 of a file's content.
pub fn hash_file_hex(path: &Path) -> String {
    let mut hasher = blake3::Hasher::new();
    let mut file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::copy(&mut file, &mut hasher).expect("hash file");
    hasher.finalize().to_hex().to_string()
}

/// Stdout of a finished command as text.
pub fn stdout(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// Stderr of a finished command as text.
pub fn stderr(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// Inode of a path (not following symlinks).
pub fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).expect("stat").ino()
}

/// A snapshot of every file under `dir`: relative path → (kind, content or link target, mode).
/// Used to prove that a refused command changed nothing.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, (String, Vec<u8>, u32)> {
    let mut out = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(dir).expect("under dir").to_path_buf();
        let meta = std::fs::symlink_metadata(entry.path()).expect("stat");
        let mode = meta.permissions().mode() & 0o7777;
        let (kind, content) = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("readlink");
            ("symlink", target.into_os_string().into_encoded_bytes())
        } else if meta.is_dir() {
            ("dir", Vec::new())
        } else {
            ("file", std::fs::read(entry.path()).expect("read"))
        };
        out.insert(rel, (kind.to_owned(), content, mode));
    }
    out
}

/// The `mlx` binary under test.
pub fn mlx_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mlx")
}

impl TestProject {
    /// `program` in `dir` with the hermetic environment and the mlx under test first on PATH:
    /// for scripts that call `mlx` by name.
    pub fn command_in(&self, program: &str, dir: impl AsRef<Path>) -> StdCommand {
        let mut cmd = StdCommand::new(program);
        hermetic(&mut cmd, &self.home);
        let bin_dir = Path::new(mlx_bin()).parent().expect("mlx has a folder");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin_dir.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).expect("PATH")).current_dir(self.root.join(dir));
        cmd
    }

    /// The temp HOME shared by every child process.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// `git` in `dir` with the hermetic environment and `MLX_BIN` set to the mlx under test, so
    /// installed hooks always call this build (whatever `mlx` is on PATH).
    pub fn git_cmd_in(&self, dir: impl AsRef<Path>) -> StdCommand {
        let mut cmd = StdCommand::new("git");
        hermetic(&mut cmd, &self.home);
        cmd.env("MLX_BIN", mlx_bin()).current_dir(self.root.join(dir));
        cmd
    }

    /// Run `git ARGS` in `dir` (absolute, or relative to the root) with `MLX_BIN` set, whatever
    /// its exit code.
    pub fn git_output_in(&self, dir: impl AsRef<Path>, args: &[&str]) -> std::process::Output {
        self.git_cmd_in(dir).args(args).output().expect("git runs")
    }

    /// Run `git ARGS` in the root with `MLX_BIN` set, whatever its exit code.
    pub fn git_output(&self, args: &[&str]) -> std::process::Output {
        self.git_output_in(&self.root, args)
    }

    /// Run `git ARGS` in `dir` with `MLX_BIN` set; panics unless it succeeds. Returns stdout.
    pub fn git_in(&self, dir: impl AsRef<Path>, args: &[&str]) -> String {
        let out = self.git_output_in(dir, args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `git ARGS` in the root with `MLX_BIN` set (for commands that run hooks); panics unless
    /// it succeeds. Returns stdout.
    pub fn git_hooked(&self, args: &[&str]) -> String {
        self.git_in(&self.root, args)
    }

    /// The full commit id `rev` names.
    pub fn rev_parse(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", &format!("{rev}^{{commit}}")]).trim().to_owned()
    }

    /// `git status --porcelain` of the work tree.
    pub fn git_status(&self) -> String {
        self.git(&["status", "--porcelain"])
    }
}

/// Contents of the scripted history built by [`History::new`].
pub mod content {
    pub const A_V1: &str = "alpha\n";
    pub const A_V2: &str = "alpha, changed\n";
    pub const B: &str = "bravo\n";
    pub const C: &str = "charlie\n";
    /// Moved from `data/raw/x.bin` (v1) to `data/moved/x.bin` (v2), content unchanged.
    pub const X: &str = "x-bytes\n";
    pub const MODEL: &str = "model v1\n";
}

/// A scripted history: `v1` (tag) tracks `data/` (a.txt, b.txt, raw/x.bin) and `model.bin`;
/// `v2` (tag, and the `main` tip, and branch `feature`) modifies a.txt, adds c.txt, deletes
/// b.txt and moves raw/x.bin to moved/x.bin (same content); model.bin is unchanged. The
/// workspace is at v2, clean; every object of both commits is in the cache.
pub struct History {
    pub p: TestProject,
    pub v1: String,
    pub v2: String,
}

impl History {
    pub fn new() -> Self {
        use content::*;
        let p = TestProject::initialized();
        p.write("data/a.txt", A_V1);
        p.write("data/b.txt", B);
        p.write("data/raw/x.bin", X);
        p.write("model.bin", MODEL);
        p.mlx(&["add", "-q", "data", "model.bin"]).success();
        let v1 = p.commit_all("v1");
        p.git(&["tag", "v1"]);
        p.write("data/a.txt", A_V2);
        p.write("data/c.txt", C);
        p.remove("data/b.txt");
        std::fs::create_dir_all(p.path("data/moved")).expect("mkdir");
        std::fs::rename(p.path("data/raw/x.bin"), p.path("data/moved/x.bin")).expect("move");
        p.remove("data/raw");
        p.mlx(&["add", "-q", "data"]).success();
        let v2 = p.commit_all("v2");
        p.git(&["tag", "v2"]);
        p.git(&["branch", "feature"]);
        History { p, v1, v2 }
    }
}

/// Deterministic bytes that do not compress or repeat.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `n` small files of `size` bytes under `dir`, spread over `folders` sub-folders
/// (`dir/07/00042.txt`), each with its own first line.
pub fn many_files(p: &TestProject, dir: &str, n: usize, size: usize, folders: usize) {
    for i in 0..n {
        let mut body = format!("file {i}\n").into_bytes();
        body.resize(size, b'.');
        p.write(format!("{dir}/{:02}/{i:05}.txt", i % folders), body);
    }
}
