//! `mlx run -- CMD`: the run record (git, timing, host, exit code, status), output passed
//! through and saved as the log artifact, the child's environment, `$MLX_METRICS_FILE`
//! ingestion (at the end and while the command runs), concurrent runs, signals and kill -9.

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rusqlite::OptionalExtension;

use crate::support::{TestProject, hash_hex, stderr, stdout};

// ---------------------------------------------------------------------------------------------
// Helpers shared with log.rs.

/// One row of `runs`.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: String,
    pub name: Option<String>,
    pub command: String,
    pub cwd: String,
    pub git_commit: Option<String>,
    pub git_branch: Option<String>,
    pub git_dirty: i64,
    pub git_diff_hash: Option<String>,
    pub status: String,
    pub exit_code: Option<i64>,
    pub start_time: String,
    pub end_time: Option<String>,
    pub duration: Option<f64>,
    pub host: String,
    pub user: String,
    pub pid: Option<i64>,
    pub mlx_version: String,
}

/// Every run, oldest first.
pub fn runs(p: &TestProject) -> Vec<RunRow> {
    let conn = p.db();
    let mut stmt = conn
        .prepare(
            "SELECT id, name, command, cwd, git_commit, git_branch, git_dirty, git_diff_hash,
                    status, exit_code, start_time, end_time, duration, host, user, pid,
                    mlx_version
             FROM runs ORDER BY id",
        )
        .expect("query runs");
    stmt.query_map([], |r| {
        Ok(RunRow {
            id: r.get(0)?,
            name: r.get(1)?,
            command: r.get(2)?,
            cwd: r.get(3)?,
            git_commit: r.get(4)?,
            git_branch: r.get(5)?,
            git_dirty: r.get(6)?,
            git_diff_hash: r.get(7)?,
            status: r.get(8)?,
            exit_code: r.get(9)?,
            start_time: r.get(10)?,
            end_time: r.get(11)?,
            duration: r.get(12)?,
            host: r.get(13)?,
            user: r.get(14)?,
            pid: r.get(15)?,
            mlx_version: r.get(16)?,
        })
    })
    .expect("rows")
    .map(|r| r.expect("run row"))
    .collect()
}

/// The newest run.
pub fn last_run(p: &TestProject) -> RunRow {
    runs(p).pop().expect("a run was recorded")
}

/// `(key, step, value)` of a run's metric points, ordered by key, step, then insertion.
pub fn metrics(p: &TestProject, run: &str) -> Vec<(String, i64, Option<f64>)> {
    let conn = p.db();
    let mut stmt = conn
        .prepare("SELECT key, step, value FROM metrics WHERE run_id = ?1 ORDER BY key, step, rowid")
        .expect("query metrics");
    stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .map(|r| r.expect("metric row"))
        .collect()
}

/// `(key, value, value_num)` of a run's params, by key.
pub fn params(p: &TestProject, run: &str) -> Vec<(String, String, Option<f64>)> {
    let conn = p.db();
    let mut stmt = conn
        .prepare("SELECT key, value, value_num FROM params WHERE run_id = ?1 ORDER BY key")
        .expect("query params");
    stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .map(|r| r.expect("param row"))
        .collect()
}

/// `(key, value)` of a run's tags, by key.
pub fn tags(p: &TestProject, run: &str) -> Vec<(String, String)> {
    let conn = p.db();
    let mut stmt = conn
        .prepare("SELECT key, value FROM tags WHERE run_id = ?1 ORDER BY key")
        .expect("query tags");
    stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .map(|r| r.expect("tag row"))
        .collect()
}

/// `(path, kind, hash, size)` of a run's artifacts, by path.
pub fn artifacts(p: &TestProject, run: &str) -> Vec<(String, String, String, i64)> {
    let conn = p.db();
    let mut stmt = conn
        .prepare("SELECT path, kind, hash, size FROM artifacts WHERE run_id = ?1 ORDER BY path")
        .expect("query artifacts");
    stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .map(|r| r.expect("artifact row"))
        .collect()
}

/// A shell snippet that waits (at most 60 s) until the file `$var` exists.
pub fn sh_wait_for(var: &str) -> String {
    format!("n=0; while [ ! -e \"${var}\" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done")
}

/// Poll `check` until it returns `Some`, for at most `limit`; panics with `what` otherwise.
pub fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait for a child for at most `limit`; `None` if it is still running.
pub fn wait_child(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The id of the run named `name`, once it is recorded as running.
pub fn running_run_named(p: &TestProject, name: &str) -> String {
    wait_for(Duration::from_secs(30), &format!("run {name} to start"), || {
        if !p.exists(".mlx/mlx.db") {
            return None;
        }
        p.db()
            .query_row("SELECT id FROM runs WHERE name = ?1 AND status = 'running'", [name], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .ok()
            .flatten()
    })
}

/// A folder outside the project (created), for files the tests and commands exchange.
pub fn scratch(p: &TestProject) -> PathBuf {
    let dir = p.outside();
    std::fs::create_dir_all(&dir).expect("mkdir outside");
    dir
}

/// Processes of the process group `pgid` that are alive (not zombies): (pid, comm).
pub fn group_members(pgid: i32) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return out };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let comm = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let (Some(state), Some(pgrp)) = (fields.first(), fields.get(2)) else { continue };
        if *state != "Z" && *state != "X" && pgrp.parse::<i32>() == Ok(pgid) {
            out.push((pid, comm));
        }
    }
    out
}

/// Kills a process group when dropped, so a failing test leaves no `sleep 60` behind.
pub struct GroupGuard(pub i32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.0),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

fn read_pid_file(path: &Path) -> i32 {
    wait_for(Duration::from_secs(30), "the command to write its pid", || {
        std::fs::read_to_string(path).ok()?.trim().parse::<i32>().ok()
    })
}

fn parse_time(s: &str) -> std::time::SystemTime {
    humantime::parse_rfc3339(s).unwrap_or_else(|e| panic!("not RFC 3339 UTC: {s:?}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The run record.

#[test]
fn run_records_a_finished_run_with_git_host_and_timing() {
    let p = TestProject::initialized();
    p.write("train.py", "print('hi')\n");
    let head = p.commit_all("code");
    let a = p.mlx(&["run", "--", "sh", "-c", "echo hello; exit 0"]).success();
    assert_eq!(stdout(&a), "hello\n");
    let run = last_run(&p);
    assert_eq!(run.id.len(), 12, "{run:?}");
    assert!(run.id.bytes().all(|b| b"0123456789abcdefghjkmnpqrstvwxyz".contains(&b)), "{run:?}");
    let err = stderr(&a);
    assert!(err.contains(&format!("run {} started", run.id)), "{err}");
    assert!(err.contains(&format!("run {} finished", run.id)), "{err}");
    assert_eq!(run.name, None);
    let command: Vec<String> = serde_json::from_str(&run.command).expect("command is JSON");
    assert_eq!(command, ["sh", "-c", "echo hello; exit 0"]);
    assert_eq!(run.cwd, ".");
    assert_eq!(run.git_commit.as_deref(), Some(head.as_str()));
    assert_eq!(run.git_branch.as_deref(), Some("main"));
    assert_eq!(run.git_dirty, 0);
    assert_eq!(run.git_diff_hash, None);
    assert_eq!(run.status, "finished");
    assert_eq!(run.exit_code, Some(0));
    assert!(run.start_time.ends_with('Z'), "{run:?}");
    let end = run.end_time.as_deref().expect("end time");
    assert!(parse_time(end) >= parse_time(&run.start_time), "{run:?}");
    let duration = run.duration.expect("duration");
    assert!(duration >= 0.0, "{run:?}");
    let host = nix::unistd::gethostname().expect("hostname").to_string_lossy().into_owned();
    assert_eq!(run.host, host);
    assert!(!run.user.is_empty());
    if let Ok(user) = std::env::var("USER") {
        assert_eq!(run.user, user);
    }
    assert_eq!(run.pid, None, "the pid is cleared when the run ends");
    assert_eq!(run.mlx_version, env!("CARGO_PKG_VERSION"));
    // Run ids sort by start time.
    p.mlx(&["run", "--", "true"]).success();
    let all = runs(&p);
    assert_eq!(all.len(), 2);
    assert!(all[0].id < all[1].id && all[0].start_time <= all[1].start_time, "{all:?}");
}

#[test]
fn run_from_a_subfolder_records_the_relative_cwd_and_runs_there() {
    let p = TestProject::initialized();
    p.mkdir("src/models");
    let a = p.mlx_in("src/models", &["run", "--", "pwd"]).success();
    assert_eq!(stdout(&a).trim(), p.path("src/models").display().to_string());
    assert_eq!(last_run(&p).cwd, "src/models");
    // -C counts as starting there.
    let a = p.mlx(&["-C", "src", "run", "--", "pwd"]).success();
    assert_eq!(stdout(&a).trim(), p.path("src").display().to_string());
    assert_eq!(last_run(&p).cwd, "src");
}

#[test]
fn run_is_dirty_only_when_tracked_files_differ_from_head() {
    let p = TestProject::initialized();
    p.write("train.py", "v1\n");
    p.commit_all("code");
    p.write("notes.txt", "untracked\n");
    p.mlx(&["run", "--", "true"]).success();
    let clean = last_run(&p);
    assert_eq!((clean.git_dirty, clean.git_diff_hash.as_deref()), (0, None), "{clean:?}");

    p.write("train.py", "v2\n");
    p.mlx(&["run", "--", "true"]).success();
    let dirty = last_run(&p);
    assert_eq!(dirty.git_dirty, 1, "{dirty:?}");
    let hash = dirty.git_diff_hash.clone().expect("a diff hash when dirty");
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));

    // The same diff hashes the same; another diff differently.
    p.mlx(&["run", "--", "true"]).success();
    assert_eq!(last_run(&p).git_diff_hash.as_deref(), Some(hash.as_str()));
    p.write("train.py", "v3\n");
    p.mlx(&["run", "--", "true"]).success();
    let other = last_run(&p);
    assert_eq!(other.git_dirty, 1);
    assert_ne!(other.git_diff_hash.as_deref(), Some(hash.as_str()));
}

#[test]
fn run_exits_with_the_commands_exit_code() {
    let p = TestProject::initialized();
    for (code, status) in [(0, "finished"), (3, "failed"), (42, "failed")] {
        let script = format!("exit {code}");
        let a = p.mlx(&["run", "--", "sh", "-c", &script]).code(code);
        let run = last_run(&p);
        assert_eq!((run.exit_code, run.status.as_str()), (Some(i64::from(code)), status));
        assert!(stderr(&a).contains(&format!("exit {code}")), "{}", stderr(&a));
    }
    assert_eq!(runs(&p).len(), 3);
}

#[test]
fn run_of_a_command_killed_by_a_signal_exits_128_plus_n_and_is_killed() {
    let p = TestProject::initialized();
    for (sig, code) in [("TERM", 143), ("KILL", 137)] {
        let script = format!("kill -{sig} $$");
        let a = p.mlx(&["run", "--", "sh", "-c", &script]).code(code);
        let run = last_run(&p);
        assert_eq!(run.status, "killed", "{run:?}");
        assert_eq!(run.exit_code, Some(i64::from(code)));
        assert!(stderr(&a).contains("was killed"), "{}", stderr(&a));
    }
}

#[test]
fn run_of_a_missing_command_fails_and_is_recorded_failed() {
    let p = TestProject::initialized();
    let a = p.mlx(&["run", "--", "no-such-command-mlx-test", "arg"]).code(3);
    let run = last_run(&p);
    let err = stderr(&a);
    assert!(err.contains("error: cannot start no-such-command-mlx-test"), "{err}");
    assert!(err.contains(&format!("run {} recorded as failed", run.id)), "{err}");
    assert_eq!(run.status, "failed");
    assert_eq!(run.exit_code, Some(127));
    assert!(run.end_time.is_some() && run.pid.is_none(), "{run:?}");
    // A path that does not exist fails the same way.
    p.mlx(&["run", "--", "./missing.sh"]).code(3);
    assert_eq!(last_run(&p).status, "failed");
    assert_eq!(runs(&p).len(), 2);
}

#[test]
fn run_passes_stdout_and_stderr_through_unchanged_and_saves_the_log() {
    let p = TestProject::initialized();
    // No trailing newline, NUL, invalid UTF-8, CR; each stream in one write.
    let out = b"first line\nbin\x00\xff\xfe\r\nno newline".to_vec();
    let err = b"warn\x01\x80 on stderr".to_vec();
    p.write("out.bin", &out);
    p.write("err.bin", &err);
    let a = p.mlx(&["-q", "run", "--", "sh", "-c", "cat out.bin; cat err.bin >&2"]).success();
    assert_eq!(a.get_output().stdout, out, "stdout changed");
    assert_eq!(a.get_output().stderr, err, "stderr changed (or mlx wrote to it with -q)");

    let run = last_run(&p);
    let arts = artifacts(&p, &run.id);
    assert_eq!(arts.len(), 1, "{arts:?}");
    let (path, kind, hash, size) = &arts[0];
    assert_eq!((path.as_str(), kind.as_str()), ("log", "log"));
    assert_eq!(*size, i64::try_from(out.len() + err.len()).unwrap());
    assert!(p.has_object(hash), "log object {hash} missing");
    let log = std::fs::read(p.object_path(hash)).expect("read log object");
    assert_eq!(&hash_hex(&log), hash);
    let out_then_err = [out.clone(), err.clone()].concat();
    let err_then_out = [err.clone(), out.clone()].concat();
    assert!(log == out_then_err || log == err_then_out, "log: {:?}", String::from_utf8_lossy(&log));

    // Without -q the streams still carry the command's bytes; mlx's own lines go to stderr only.
    let a = p.mlx(&["run", "--", "sh", "-c", "cat out.bin; cat err.bin >&2"]).success();
    assert_eq!(a.get_output().stdout, out);
    assert!(a.get_output().stderr.windows(err.len()).any(|w| w == err.as_slice()));

    // A command without output stores no log.
    p.mlx(&["run", "--", "true"]).success();
    assert!(artifacts(&p, &last_run(&p).id).is_empty());
}

#[test]
fn run_records_params_tags_and_name() {
    let p = TestProject::initialized();
    p.mlx(&[
        "run",
        "--name",
        "baseline",
        "--param",
        "lr=0.01",
        "--param",
        "optimizer=adam",
        "--param",
        "epochs=1e2",
        "--param",
        "note=a=b",
        "--param",
        "empty=",
        "--tag",
        "dataset=v2",
        "--tag",
        "team=vision",
        "--",
        "true",
    ])
    .success();
    let run = last_run(&p);
    assert_eq!(run.name.as_deref(), Some("baseline"));
    assert_eq!(
        params(&p, &run.id),
        [
            ("empty".to_owned(), String::new(), None),
            ("epochs".to_owned(), "1e2".to_owned(), Some(100.0)),
            ("lr".to_owned(), "0.01".to_owned(), Some(0.01)),
            ("note".to_owned(), "a=b".to_owned(), None),
            ("optimizer".to_owned(), "adam".to_owned(), None),
        ]
    );
    assert_eq!(
        tags(&p, &run.id),
        [("dataset".to_owned(), "v2".to_owned()), ("team".to_owned(), "vision".to_owned())]
    );

    // As an outside client would read them: Python's sqlite3 module.
    let script = "import sqlite3, sys\n\
        con = sqlite3.connect(sys.argv[1])\n\
        for row in con.execute(\"SELECT r.name, p.key, p.value, p.value_num FROM runs r \
            JOIN params p ON p.run_id = r.id WHERE p.value_num IS NOT NULL ORDER BY p.key\"):\n\
        \x20   print(repr(row))\n\
        print(con.execute('SELECT value FROM tags WHERE key = ?', ('dataset',)).fetchone()[0])\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(p.path(".mlx/mlx.db"))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "('baseline', 'epochs', '1e2', 100.0)\n('baseline', 'lr', '0.01', 0.01)\nv2\n"
    );
}

#[test]
fn run_gives_the_child_its_run_id_project_and_metrics_file() {
    let p = TestProject::initialized();
    p.mkdir("sub");
    let script = "printf '%s\\n' \"$MLX_RUN_ID\" \"$MLX_PROJECT\" \"$MLX_METRICS_FILE\" \
                  \"${PYTHONUNBUFFERED-unset}\"; test -f \"$MLX_METRICS_FILE\" && echo exists";
    // Started from a subfolder, with a stale MLX_RUN_ID of an outer run in the environment.
    let a = p
        .mlx_cmd_in(p.path("sub"))
        .env("MLX_RUN_ID", "zzzzzzzzzzzz")
        .env_remove("PYTHONUNBUFFERED")
        .args(["run", "--", "sh", "-c", script])
        .assert()
        .success();
    let run = last_run(&p);
    let out = stdout(&a);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_eq!(lines[0], run.id);
    assert_eq!(lines[1], p.root().display().to_string());
    assert!(Path::new(lines[2]).is_absolute(), "{out}");
    assert_eq!(lines[3], "1", "PYTHONUNBUFFERED=1 by default");
    assert_eq!(lines[4], "exists", "the metrics file exists when the command starts");

    // A PYTHONUNBUFFERED the user set is left alone.
    let a = p
        .mlx_cmd()
        .env("PYTHONUNBUFFERED", "")
        .args(["run", "--", "sh", "-c", "echo \"[${PYTHONUNBUFFERED-unset}]\""])
        .assert()
        .success();
    assert_eq!(stdout(&a), "[]\n");
    let a = p
        .mlx_cmd()
        .env("PYTHONUNBUFFERED", "0")
        .args(["run", "--", "python3", "-c", "import os; print(os.environ['PYTHONUNBUFFERED'])"])
        .assert()
        .success();
    assert_eq!(stdout(&a), "0\n");
}

// ---------------------------------------------------------------------------------------------
// Git states.

#[test]
fn run_before_the_first_commit_has_no_commit_and_the_unborn_branch() {
    let p = TestProject::initialized();
    p.git(&["symbolic-ref", "HEAD", "refs/heads/trunk"]);
    p.write("train.py", "x\n");
    p.git(&["add", "train.py"]);
    p.mlx(&["run", "--", "true"]).success();
    let run = last_run(&p);
    assert_eq!(run.git_commit, None, "{run:?}");
    assert_eq!(run.git_branch.as_deref(), Some("trunk"), "{run:?}");
    assert_eq!(run.status, "finished");
}

#[test]
fn run_on_a_detached_head_has_no_branch() {
    let p = TestProject::initialized();
    let first = p.commit_all("one");
    p.write("a.txt", "a\n");
    p.commit_all("two");
    p.git(&["checkout", "-q", "--detach", &first]);
    p.mlx(&["run", "--", "true"]).success();
    let run = last_run(&p);
    assert_eq!(run.git_commit.as_deref(), Some(first.as_str()));
    assert_eq!(run.git_branch, None, "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// $MLX_METRICS_FILE.

#[test]
fn run_ingests_the_metrics_file_with_nan_infinity_and_bad_lines() {
    let p = TestProject::initialized();
    let lines = [
        r#"{"key": "loss", "value": 0.5, "step": 1}"#,
        r#"{"key": "loss", "value": 0.25, "step": 3}"#,
        r#"{"key": "loss", "value": 0.4, "step": 2}"#, // out of order: not the latest
        "this is not json",
        r#"{"key": "acc", "value": "NaN", "step": 1}"#,
        r#"{"key": "acc", "value": null, "step": 2}"#,
        "",
        r#"{"key": "grad", "value": "Infinity"}"#,
        r#"{"key": "grad", "value": "-Infinity", "step": 1}"#,
        r#"{"key": "loss", "value": "high", "step": 4}"#,
        r#"{"value": 1, "step": 5}"#,
        r#"{"key": "epoch", "value": 7, "step": -2, "timestamp": 1700000000000}"#,
        r#"{"key": "last", "value": 9, "step": 9}"#, // no newline after it
    ];
    p.write("metrics.jsonl", lines.join("\n"));
    let a = p.mlx(&["run", "--", "sh", "-c", "cat metrics.jsonl >> \"$MLX_METRICS_FILE\""]);
    let a = a.success();
    let run = last_run(&p);
    assert_eq!(run.status, "finished");
    let err = stderr(&a);
    for bad in [4, 10, 11] {
        assert!(err.contains(&format!("$MLX_METRICS_FILE line {bad}:")), "line {bad}: {err}");
    }
    assert_eq!(err.matches("$MLX_METRICS_FILE line").count(), 3, "{err}");
    assert!(err.contains("(exit 0, 9 metric points)"), "{err}");

    let nan = None;
    assert_eq!(
        metrics(&p, &run.id),
        [
            ("acc".to_owned(), 1, nan),
            ("acc".to_owned(), 2, nan),
            ("epoch".to_owned(), -2, Some(7.0)),
            ("grad".to_owned(), 0, Some(f64::INFINITY)),
            ("grad".to_owned(), 1, Some(f64::NEG_INFINITY)),
            ("last".to_owned(), 9, Some(9.0)),
            ("loss".to_owned(), 1, Some(0.5)),
            ("loss".to_owned(), 2, Some(0.4)),
            ("loss".to_owned(), 3, Some(0.25)),
        ]
    );
    let conn = p.db();
    let ts: i64 = conn
        .query_row("SELECT timestamp FROM metrics WHERE key = 'epoch'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ts, 1_700_000_000_000);

    // latest_metrics: the highest step per key.
    let mut stmt = conn
        .prepare("SELECT key, step, value FROM latest_metrics WHERE run_id = ?1 ORDER BY key")
        .unwrap();
    let latest: Vec<(String, i64, Option<f64>)> = stmt
        .query_map([&run.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        latest,
        [
            ("acc".to_owned(), 2, nan),
            ("epoch".to_owned(), -2, Some(7.0)),
            ("grad".to_owned(), 1, Some(f64::NEG_INFINITY)),
            ("last".to_owned(), 9, Some(9.0)),
            ("loss".to_owned(), 3, Some(0.25)),
        ]
    );

    // As the sqlite3 shell shows them: NULL for NaN, Inf for infinity.
    let out = std::process::Command::new("sqlite3")
        .args(["-readonly", "-nullvalue", "NULL", "-separator", " "])
        .arg(p.path(".mlx/mlx.db"))
        .arg(format!(
            "SELECT key, step, value FROM metrics WHERE run_id = '{}' AND key IN ('acc', 'grad') \
             ORDER BY key, step",
            run.id
        ))
        .output()
        .expect("sqlite3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "acc 1 NULL\nacc 2 NULL\ngrad 0 Inf\ngrad 1 -Inf\n"
    );
}

#[test]
fn run_ingests_metric_lines_while_the_command_is_running() {
    let p = TestProject::initialized();
    let dir = scratch(&p);
    let go = dir.join("go");
    let script = format!(
        "echo '{{\"key\": \"live\", \"value\": 1.5, \"step\": 1}}' >> \"$MLX_METRICS_FILE\"; \
         printf '{{\"key\": \"partial\"' >> \"$MLX_METRICS_FILE\"; {}; \
         echo ', \"value\": 2}}' >> \"$MLX_METRICS_FILE\"",
        sh_wait_for("GO")
    );
    let mut child = p
        .mlx_std()
        .env("GO", &go)
        .args(["run", "--name", "live", "--", "sh", "-c", &script])
        .stdin(Stdio::null()) // never the terminal: mlx would hand it over
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mlx run");
    let id = running_run_named(&p, "live");
    // Another process, read-only, as `mlx exp show` or a notebook would watch it.
    let seen = wait_for(Duration::from_secs(30), "the live metric point", || {
        let conn = rusqlite::Connection::open_with_flags(
            p.path(".mlx/mlx.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .ok()?;
        conn.busy_timeout(Duration::from_secs(10)).ok()?;
        let rows: Vec<(String, i64, f64)> = conn
            .prepare("SELECT key, step, value FROM metrics WHERE run_id = ?1 ORDER BY key")
            .ok()?
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ok()?
            .collect::<Result<_, _>>()
            .ok()?;
        let status: String =
            conn.query_row("SELECT status FROM runs WHERE id = ?1", [&id], |r| r.get(0)).ok()?;
        (!rows.is_empty()).then_some((rows, status))
    });
    std::fs::write(&go, "").expect("write go");
    let status = wait_child(&mut child, Duration::from_secs(60)).expect("mlx run ends");
    assert!(status.success(), "{status:?}");
    // Only complete lines were taken while it ran.
    assert_eq!(seen, (vec![("live".to_owned(), 1, 1.5)], "running".to_owned()));
    assert_eq!(
        metrics(&p, &id),
        [("live".to_owned(), 1, Some(1.5)), ("partial".to_owned(), 0, Some(2.0))]
    );
    assert_eq!(last_run(&p).status, "finished");
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

#[test]
fn concurrent_runs_each_record_all_their_metric_points() {
    let p = TestProject::initialized();
    let dir = scratch(&p);
    let go = dir.join("go");
    let script = format!(
        "{}; i=0; while [ $i -lt 150 ]; do \
           printf '{{\"key\":\"m\",\"value\":%d,\"step\":%d}}\\n' $i $i >> \"$MLX_METRICS_FILE\"; \
           i=$((i+1)); done; echo done-$RUN_NO",
        sh_wait_for("GO")
    );
    let children: Vec<Child> = (0..4)
        .map(|i| {
            p.mlx_std()
                .env("GO", &go)
                .env("RUN_NO", i.to_string())
                .args(["run", "--name", &format!("r{i}"), "--param", &format!("i={i}")])
                .args(["--", "sh", "-c", &script])
                .stdin(Stdio::null()) // never the terminal: mlx would hand it over
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn mlx run")
        })
        .collect();
    let ids: Vec<String> = (0..4).map(|i| running_run_named(&p, &format!("r{i}"))).collect();
    std::fs::write(&go, "").expect("write go");
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("mlx run ends");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "run {i}: {err}");
        assert!(!err.contains("locked"), "run {i}: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("done-{i}\n"));
    }
    assert_eq!(runs(&p).len(), 4);
    for (i, id) in ids.iter().enumerate() {
        let points = metrics(&p, id);
        let expected: Vec<(String, i64, Option<f64>)> =
            (0..150).map(|s| ("m".to_owned(), s, Some(s as f64))).collect();
        assert_eq!(points, expected, "run r{i}");
        let run = runs(&p).into_iter().find(|r| &r.id == id).unwrap();
        assert_eq!(run.status, "finished");
        assert_eq!(params(&p, id), [("i".to_owned(), i.to_string(), Some(i as f64))]);
    }
}

// ---------------------------------------------------------------------------------------------
// Signals and dead recorders.

/// Start `mlx run` on a command that leaves a background `sleep 60` and waits on another, send
/// `signal` to mlx (only to mlx), and check the exit code, the record and that nothing of the
/// command's process group survives.
fn interrupt_a_run(signal: nix::sys::signal::Signal, expected_code: i32) {
    let p = TestProject::initialized();
    let pid_file = scratch(&p).join("pgid");
    let mut child = p
        .mlx_std()
        .env("PID_FILE", &pid_file)
        .args(["run", "--", "sh", "-c", "echo $$ > \"$PID_FILE\"; sleep 60 & sleep 60"])
        .stdin(Stdio::null()) // never the terminal: mlx would hand it over
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mlx run");
    let pgid = read_pid_file(&pid_file);
    let _guard = GroupGuard(pgid);
    wait_for(Duration::from_secs(30), "both sleeps to start", || {
        let sleeps = group_members(pgid).iter().filter(|(_, c)| c == "sleep").count();
        (sleeps == 2).then_some(())
    });
    assert!(!group_members(pgid).iter().any(|(pid, _)| *pid == i32::try_from(child.id()).unwrap()));
    let mlx_pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(mlx_pid, signal).expect("signal mlx");
    let status = wait_child(&mut child, Duration::from_secs(30));
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("mlx did not exit after {signal:?}");
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(expected_code), "{err}");
    let run = last_run(&p);
    assert_eq!(run.status, "killed", "{run:?}");
    assert_eq!(run.exit_code, Some(i64::from(expected_code)));
    assert!(err.contains("was killed"), "{err}");
    // Nothing of the command's process group is left (give the kernel a moment).
    let left = wait_for(Duration::from_secs(10), "the process group to be gone", || {
        let members = group_members(pgid);
        members.is_empty().then_some(members)
    });
    assert!(left.is_empty());
}

#[test]
fn sigterm_stops_the_whole_process_group_and_marks_the_run_killed() {
    interrupt_a_run(nix::sys::signal::Signal::SIGTERM, 143);
}

#[test]
fn sigint_stops_the_whole_process_group_and_marks_the_run_killed() {
    // A non-interactive shell's background jobs ignore SIGINT: mlx must stop them anyway.
    interrupt_a_run(nix::sys::signal::Signal::SIGINT, 130);
}

#[test]
fn kill_9_of_mlx_leaves_the_run_running_until_the_next_run_marks_it_failed_and_stops_its_group() {
    let p = TestProject::initialized();
    let pid_file = scratch(&p).join("child-pid");
    let mut child = p
        .mlx_std()
        .env("PID_FILE", &pid_file)
        .args([
            "run",
            "--name",
            "doomed",
            "--",
            "sh",
            "-c",
            // A background child too, which must not outlive the run either.
            "echo $$ > \"$PID_FILE\"; sleep 61 & exec sleep 60",
        ])
        .stdin(Stdio::null()) // never the terminal: mlx would hand it over
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mlx run");
    let orphan = read_pid_file(&pid_file);
    let _guard = GroupGuard(orphan); // the command leads its own group
    let id = running_run_named(&p, "doomed");
    wait_for(Duration::from_secs(30), "both sleeps to start", || {
        (group_members(orphan).len() == 2).then_some(())
    });
    child.kill().expect("kill -9 mlx");
    let status = child.wait().expect("wait mlx");
    assert_eq!(status.code(), None, "mlx died of SIGKILL");

    let run = last_run(&p);
    assert_eq!(run.id, id);
    assert_eq!(run.status, "running");
    assert_eq!(run.pid, Some(i64::from(child.id())));
    assert_eq!(run.end_time, None);
    let pgid: Option<i64> =
        p.db().query_row("SELECT pgid FROM runs WHERE id = ?1", [&id], |r| r.get(0)).expect("pgid");
    assert_eq!(pgid, Some(i64::from(orphan)), "the run records its command's process group");
    // The command outlived mlx.
    assert_eq!(group_members(orphan).len(), 2);

    let a = p.mlx(&["run", "--", "true"]).success();
    let err = stderr(&a);
    assert!(err.contains(&format!("warning: run {id} was still marked running")), "{err}");
    let all = runs(&p);
    assert_eq!(all.len(), 2);
    let dead = &all[0];
    assert_eq!(dead.id, id);
    assert_eq!(dead.status, "failed", "{dead:?}");
    assert!(dead.end_time.is_some() && dead.pid.is_none(), "{dead:?}");
    assert_eq!(all[1].status, "finished");

    // The reaping stopped the orphaned command and its background child.
    assert_eq!(group_members(orphan), Vec::<(i32, String)>::new());

    // A second run reaps nothing more.
    let a = p.mlx(&["run", "--", "true"]).success();
    assert!(!stderr(&a).contains("warning"), "{}", stderr(&a));
}

/// A process group that mlx did not start: `sleep 60` leading its own group, with `env`.
fn foreign_group(env: &[(&str, &str)]) -> (Child, i32) {
    let mut cmd = std::process::Command::new("sleep");
    cmd.arg("60").stdin(Stdio::null()).envs(env.iter().copied());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn().expect("spawn sleep");
    let pgid = i32::try_from(child.id()).expect("pid");
    (child, pgid)
}

/// A run recorded as running by a dead mlx on this host, its command's group `pgid` with
/// leader start time `start`.
fn dead_run_with_group(p: &TestProject, id: &str, pgid: i32, start: i64) {
    p.mlx(&["exp", "list"]).success(); // creates the database
    let host = nix::unistd::gethostname().expect("hostname").to_string_lossy().into_owned();
    p.db()
        .execute(
            "INSERT INTO runs (id, command, cwd, git_dirty, status, start_time, host, user, pid,
                 mlx_version, pgid, pgid_start)
             VALUES (?1, '[\"sleep\"]', '.', 0, 'running', '2024-01-01T00:00:00.000Z', ?2, 'u',
                 2147483646, '0.1.0', ?3, ?4)",
            rusqlite::params![id, host, pgid, start],
        )
        .expect("insert run");
}

/// The start time (clock ticks since boot) of a process.
fn start_ticks(pid: i32) -> i64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let rest = &stat[stat.rfind(')').expect("comm") + 1..];
    rest.split_whitespace().nth(19).expect("starttime").parse().expect("number")
}

#[test]
fn reaping_never_signals_a_group_that_only_reuses_the_recorded_id() {
    let p = TestProject::initialized();
    // Same group id, another leader (its start time differs) and no MLX_RUN_ID of the run:
    // what a recycled id looks like.
    let (mut stranger, pgid) = foreign_group(&[]);
    let _guard = GroupGuard(pgid);
    dead_run_with_group(&p, "0000000000aa", pgid, start_ticks(pgid) + 1);
    p.mlx(&["exp", "list"]).success();
    let status: String = p
        .db()
        .query_row("SELECT status FROM runs WHERE id = '0000000000aa'", [], |r| r.get(0))
        .expect("status");
    assert_eq!(status, "failed");
    assert!(stranger.try_wait().expect("try_wait").is_none(), "a stranger's process was killed");
    let _ = stranger.kill();
    let _ = stranger.wait();

    // The same with the run's own leader (start time matches): stopped.
    let (mut ours, pgid) = foreign_group(&[]);
    let _guard = GroupGuard(pgid);
    dead_run_with_group(&p, "0000000000bb", pgid, start_ticks(pgid));
    p.mlx(&["exp", "list"]).success();
    let status = wait_child(&mut ours, Duration::from_secs(10)).expect("the leader was stopped");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(15), "by SIGTERM");

    // A member whose environment names the run counts even when the leader is gone.
    let (mut marked, pgid) = foreign_group(&[("MLX_RUN_ID", "0000000000cc")]);
    let _guard = GroupGuard(pgid);
    dead_run_with_group(&p, "0000000000cc", pgid, start_ticks(pgid) + 1);
    p.mlx(&["exp", "list"]).success();
    assert!(wait_child(&mut marked, Duration::from_secs(10)).is_some(), "still running");
}

// ---------------------------------------------------------------------------------------------
// A run whose log cannot be stored.

/// `mlx run -- sh -c SCRIPT` where the script replaces the run's log file by a folder, so mlx
/// cannot store it, and exits with `code`.
fn run_losing_its_log(p: &TestProject, code: i32) -> assert_cmd::assert::Assert {
    let script = format!(
        "echo some output; log=\"$(dirname \"$MLX_METRICS_FILE\")/output.log\"; \
         rm -f \"$log\"; mkdir \"$log\"; exit {code}"
    );
    p.mlx(&["run", "--name", "lossy", "--", "sh", "-c", &script])
}

#[test]
fn run_whose_log_cannot_be_stored_keeps_the_commands_exit_code_and_says_why() {
    let p = TestProject::initialized();
    // The command failed: mlx exits as it did, and says what it could not store.
    let a = run_losing_its_log(&p, 7).code(7);
    let err = stderr(&a);
    assert!(err.contains("error: run "), "{err}");
    assert!(err.contains("the run's log could not be stored"), "{err}");
    let run = last_run(&p);
    assert_eq!((run.status.as_str(), run.exit_code), ("failed", Some(7)), "{run:?}");
    assert!(run.end_time.is_some() && run.pid.is_none(), "{run:?}");
    let why = tags(&p, &run.id);
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0].0, "mlx.error");
    assert!(why[0].1.contains("the run's log could not be stored"), "{why:?}");

    // The command succeeded but mlx could not record it: exit 3, the record keeps exit 0.
    let a = run_losing_its_log(&p, 0).code(3);
    assert!(stderr(&a).contains("the run's log could not be stored"), "{}", stderr(&a));
    let run = last_run(&p);
    assert_eq!((run.status.as_str(), run.exit_code), ("failed", Some(0)), "{run:?}");
    assert_eq!(tags(&p, &run.id)[0].0, "mlx.error");
    // Nothing stays behind, and the next run is not "reaping" these.
    let a = p.mlx(&["run", "--", "true"]).success();
    assert!(!stderr(&a).contains("warning"), "{}", stderr(&a));
    assert!(!p.exists(format!(".mlx/runs/{}", run.id)));
}

// ---------------------------------------------------------------------------------------------
// Bad input.

#[test]
fn run_without_a_command_or_with_bad_key_values_is_a_usage_error() {
    let p = TestProject::initialized();
    // Without a command, `mlx run` runs the pipeline; a project without stages says so.
    let a = p.mlx(&["run"]).code(2);
    assert!(stderr(&a).contains("declares no stages"), "{}", stderr(&a));
    assert!(stderr(&a).contains("mlx run -- CMD"), "{}", stderr(&a));
    let a = p.mlx(&["run", "--"]).code(2);
    assert!(stderr(&a).contains("declares no stages"), "{}", stderr(&a));
    // --name names the pipeline's experiment; --tag and --param go with a command.
    let a = p.mlx(&["run", "--name", "x"]).code(2);
    assert!(stderr(&a).contains("declares no stages"), "{}", stderr(&a));
    let a = p.mlx(&["run", "--tag", "a=b"]).code(2);
    assert!(stderr(&a).contains("go with a command"), "{}", stderr(&a));
    let a = p.mlx(&["run", "--param", "novalue", "--", "true"]).code(2);
    assert!(stderr(&a).contains("expected KEY=VALUE"), "{}", stderr(&a));
    let a = p.mlx(&["run", "--tag", "=v", "--", "true"]).code(2);
    assert!(stderr(&a).contains("expected KEY=VALUE"), "{}", stderr(&a));
    assert!(runs(&p).is_empty(), "a refused run was recorded");
    assert!(!p.exists("novalue"));
}

#[test]
fn run_json_with_a_command_is_refused_and_runs_nothing() {
    let p = TestProject::initialized();
    for args in [
        &["run", "--json", "--", "touch", "ran"][..],
        // An explicit `--jobs 1` is a pipeline option too, not silently accepted.
        &["run", "--jobs", "1", "--", "touch", "ran"],
    ] {
        let a = p.mlx(args).code(2);
        let err = stderr(&a);
        assert!(err.starts_with("error: "), "{err}");
        assert!(
            err.contains("do not go with `-- CMD`") || err.contains("does not go with `-- CMD`"),
            "{err}"
        );
        assert!(!p.exists("ran"), "{args:?} ran the command");
    }
    assert!(runs(&p).is_empty());
}

#[test]
fn options_that_would_be_ignored_elsewhere_are_refused() {
    let p = TestProject::initialized();
    for (args, expected) in [
        (&["doctor", "--no-remotes", "--timeout", "3"][..], "'--no-remotes' cannot be used with"),
        (&["dag", "--format", "dot", "--json"], "cannot be used with '--json'"),
    ] {
        let a = p.mlx(args).code(2);
        assert!(stderr(&a).contains(expected), "{args:?}: {}", stderr(&a));
    }
    // Their defaults do not conflict.
    p.mlx(&["dag", "--json"]).success();
    p.mlx(&["doctor", "--no-remotes"]).success();
}
