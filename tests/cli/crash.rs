//! Crash safety by injection: `mlx add`, `checkout`, `pull`, `fetch`, `push`, `run` and `gc`
//! killed (as SIGKILL would) at every named step they reach (`MLX_FAULT=STEP:N`, test-only),
//! and by time with a real SIGKILL. After each kill the same invariants must hold:
//!
//! - the work tree never holds a temp file, not even right after the kill (workspace writes are
//!   staged in `.mlx/tmp/PID/`);
//! - the rerun of the command succeeds, and afterwards no temp file is left anywhere: work tree,
//!   `.mlx/tmp/`, the cache's staging area and shard folders;
//! - `mlx cache verify` finds nothing wrong;
//! - every tracked path's data is restorable: deleted, then brought back byte for byte by
//!   `mlx checkout` (or `mlx pull`, where the cache was emptied).
//!
//! Also here: temp files that an older mlx left beside tracked data (ignored by status and
//! checkout, removed by checkout, reported by doctor).

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::support::{TestProject, stdout};

/// A pid no process can have (above the kernel's largest `pid_max`): a dead writer.
const DEAD_PID: u32 = 2_147_483_646;

/// The part of a workspace temp file's name that marks it (`.NAME.mlx-tmp-PID-N`).
const TEMP_MARK: &str = ".mlx-tmp-";

/// Run `mlx ARGS` with extra environment variables; wait for it.
fn mlx_env(p: &TestProject, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = p.mlx_std();
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("mlx runs")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` (not `.git`, not `.mlx`): relative path → content (symlinks: target).
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    if std::fs::symlink_metadata(dir).is_err() {
        return out;
    }
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != ".mlx");
    for entry in walker {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(dir).expect("under dir").to_path_buf();
        if entry.file_type().is_symlink() {
            let to = std::fs::read_link(entry.path()).expect("readlink");
            out.insert(rel, to.into_os_string().into_encoded_bytes());
        } else if entry.file_type().is_file() {
            out.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    out
}

/// Workspace temp files anywhere in the work tree (`.git` and `.mlx` aside).
fn work_tree_temps(p: &TestProject) -> Vec<PathBuf> {
    files_under(p.root())
        .into_keys()
        .filter(|rel| rel.file_name().is_some_and(|n| n.to_string_lossy().contains(TEMP_MARK)))
        .collect()
}

/// Every temp file or folder left anywhere mlx writes: the work tree, `.mlx/tmp/`, the cache's
/// staging area and its shard folders.
fn leftovers(p: &TestProject) -> Vec<PathBuf> {
    let mut out = work_tree_temps(p);
    for dir in [p.path(".mlx/tmp"), p.cache_dir().join("tmp")] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            out.extend(entries.map(|e| e.expect("entry").path()));
        }
    }
    if let Ok(shards) = std::fs::read_dir(p.cache_dir()) {
        for shard in shards.flatten() {
            if shard.file_name().len() != 2 || !shard.path().is_dir() {
                continue;
            }
            for obj in std::fs::read_dir(shard.path()).expect("shard").flatten() {
                if obj.file_name().to_string_lossy().starts_with('.') {
                    out.push(obj.path());
                }
            }
        }
    }
    out
}

/// Named steps in the order first reached, with how many times each was reached.
fn trace(p: &TestProject, args: &[&str]) -> Vec<(String, u64)> {
    let log = p.temp_dir().join("fault-trace.log");
    let _ = std::fs::remove_file(&log);
    let out = mlx_env(p, args, &[("MLX_FAULT_LOG", log.to_str().expect("utf-8 path"))]);
    assert!(out.status.success(), "traced mlx {args:?}: {}", text(&out));
    let mut steps: Vec<(String, u64)> = Vec::new();
    for line in std::fs::read_to_string(&log).unwrap_or_default().lines() {
        match steps.iter_mut().find(|(name, _)| name == line) {
            Some((_, n)) => *n += 1,
            None => steps.push((line.to_owned(), 1)),
        }
    }
    steps
}

/// One command under test: how to give it work again, and what must hold after a rerun.
struct Scenario<'a> {
    name: &'a str,
    p: &'a TestProject,
    args: &'a [&'a str],
    /// Give the command work to do (called before every run of it, with a fresh number).
    prepare: &'a dyn Fn(&TestProject, u64),
    /// After a successful rerun: the data is restorable and what the command made is right.
    check: &'a dyn Fn(&TestProject),
}

/// What a scenario injected.
#[derive(Debug, Default)]
struct Tally {
    /// Kills at a named step (`MLX_FAULT`).
    at_steps: u64,
    /// Distinct named steps reached.
    steps: u64,
    /// Kills by time (SIGKILL from outside while it ran).
    by_time: u64,
}

impl Scenario<'_> {
    /// Kill at every named step (the first, second, middle and last time each is reached) and by
    /// time; check the invariants after each kill.
    fn run(&self, delays_ms: &[u64]) -> Tally {
        let mut tally = Tally::default();
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        (self.prepare)(self.p, next());
        let steps = trace(self.p, self.args);
        self.after_rerun("the traced run");
        assert!(!steps.is_empty(), "{}: no named step reached", self.name);
        tally.steps = steps.len() as u64;
        for (step, count) in &steps {
            let mut ks = vec![1, 2.min(*count), count.div_ceil(2), *count];
            ks.sort_unstable();
            ks.dedup();
            for k in ks {
                (self.prepare)(self.p, next());
                let fault = format!("{step}:{k}");
                let out = mlx_env(self.p, self.args, &[("MLX_FAULT", &fault)]);
                if out.status.signal() != Some(9) {
                    // Reached fewer times with this work: nothing was injected.
                    assert!(out.status.success(), "{} {fault}: {}", self.name, text(&out));
                    self.after_rerun(&fault);
                    continue;
                }
                tally.at_steps += 1;
                self.after_kill(&fault);
            }
        }
        for &delay in delays_ms {
            (self.prepare)(self.p, next());
            let mut child = self
                .p
                .mlx_std()
                .args(self.args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn mlx");
            std::thread::sleep(Duration::from_millis(delay));
            let killed = child.try_wait().expect("try_wait").is_none();
            if killed {
                child.kill().expect("SIGKILL");
            }
            let status = child.wait().expect("wait");
            if killed && status.signal() == Some(9) {
                tally.by_time += 1;
                self.after_kill(&format!("SIGKILL after {delay} ms"));
            } else {
                assert!(status.success(), "{} finished badly: {status:?}", self.name);
                self.after_rerun(&format!("finished within {delay} ms"));
            }
        }
        // The figures for the record (`cargo test crash -- --nocapture`).
        #[allow(clippy::print_stderr)]
        {
            let names: Vec<&str> = steps.iter().map(|(name, _)| name.as_str()).collect();
            eprintln!(
                "crash {}: {} kills at {} named steps ({}), {} by time",
                self.name,
                tally.at_steps,
                tally.steps,
                names.join(" "),
                tally.by_time
            );
        }
        tally
    }

    fn after_kill(&self, what: &str) {
        let temps = work_tree_temps(self.p);
        assert!(
            temps.is_empty(),
            "{} killed at {what}: temp files in the work tree: {temps:?}",
            self.name
        );
        let out = mlx_env(self.p, self.args, &[]);
        assert!(out.status.success(), "{} rerun after {what}: {}", self.name, text(&out));
        self.after_rerun(what);
    }

    /// The invariants once the command has run to its end.
    fn after_rerun(&self, what: &str) {
        let left = leftovers(self.p);
        assert!(left.is_empty(), "{} after {what}: left behind: {left:?}", self.name);
        let out = mlx_env(self.p, &["cache", "verify"], &[]);
        assert!(out.status.success(), "{} after {what}: cache verify: {}", self.name, text(&out));
        (self.check)(self.p);
    }
}

/// Files `data/` and `model.bin` with content numbered `n`.
fn write_data(p: &TestProject, n: u64) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (i, rel) in ["data/a.txt", "data/b.txt", "data/sub/c.txt", "data/sub/d.txt", "model.bin"]
        .iter()
        .enumerate()
    {
        let body = format!("{rel} version {n}\n").repeat(i + 1).into_bytes();
        p.write(rel, &body);
        files.insert(PathBuf::from(rel), body);
    }
    files
}

/// The tracked data as the test expects it; `None` for paths that must be absent.
fn tracked_data(p: &TestProject) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = files_under(&p.path("data"))
        .into_iter()
        .map(|(rel, body)| (Path::new("data").join(rel), body))
        .collect::<BTreeMap<_, _>>();
    if p.exists("model.bin") {
        all.insert(PathBuf::from("model.bin"), p.read("model.bin"));
    }
    all
}

fn remove_data(p: &TestProject) {
    for rel in ["data", "model.bin"] {
        if p.exists(rel) {
            p.remove(rel);
        }
    }
}

/// Delete the tracked data and bring it back with `restore` (`checkout` or `pull`): it must be
/// what `expected` says, byte for byte.
fn assert_restorable(p: &TestProject, expected: &BTreeMap<PathBuf, Vec<u8>>, restore: &[&str]) {
    assert_eq!(&tracked_data(p), expected, "the workspace before the restore");
    remove_data(p);
    let out = mlx_env(p, restore, &[]);
    assert!(out.status.success(), "mlx {restore:?}: {}", text(&out));
    assert_eq!(&tracked_data(p), expected, "restored by mlx {restore:?}");
}

fn empty_dir(path: &Path) {
    if path.exists() {
        std::fs::remove_dir_all(path).expect("remove");
    }
}

/// A project with `data/` and `model.bin` tracked (content 0) and committed, and a folder
/// remote `store` (the default) beside it.
fn tracked_project() -> (TestProject, PathBuf) {
    let p = TestProject::initialized();
    write_data(&p, 0);
    p.mlx(&["add", "-q", "data", "model.bin"]).success();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().expect("utf-8"), "--default"]).success();
    p.commit_all("data");
    (p, store)
}

/// Delays for the kills by time: most land while mlx starts, some while it works.
const DELAYS_MS: &[u64] = &[2, 5, 10, 20, 35, 60];

#[test]
fn add_killed_at_any_step_keeps_the_cache_sound_and_a_rerun_finishes() {
    let p = TestProject::initialized();
    let expected = std::cell::RefCell::new(BTreeMap::new());
    let prepare = |p: &TestProject, n: u64| {
        *expected.borrow_mut() = write_data(p, n);
    };
    let check = |p: &TestProject| assert_restorable(p, &expected.borrow(), &["checkout"]);
    let tally = Scenario {
        name: "add",
        p: &p,
        args: &["add", "data", "model.bin"],
        prepare: &prepare,
        check: &check,
    }
    .run(DELAYS_MS);
    assert!(tally.at_steps >= 8, "{tally:?}");
}

#[test]
fn add_with_hardlinks_killed_at_any_step_keeps_the_cache_sound() {
    let p = TestProject::with_link_type("hardlink");
    let expected = std::cell::RefCell::new(BTreeMap::new());
    let prepare = |p: &TestProject, n: u64| {
        *expected.borrow_mut() = write_data(p, n);
    };
    let check = |p: &TestProject| assert_restorable(p, &expected.borrow(), &["checkout"]);
    let tally = Scenario {
        name: "add (hardlink)",
        p: &p,
        args: &["add", "data", "model.bin"],
        prepare: &prepare,
        check: &check,
    }
    .run(&[]);
    assert!(tally.at_steps >= 8, "{tally:?}");
}

#[test]
fn checkout_killed_at_any_step_leaves_no_temp_file_and_a_rerun_needs_no_force() {
    let (p, _) = tracked_project();
    let expected = tracked_data(&p);
    let prepare = |p: &TestProject, n: u64| {
        // Something to place, something to replace and something to remove (its content is
        // in the cache, so checkout may delete it without --force).
        if n.is_multiple_of(2) {
            remove_data(p);
        } else {
            p.remove("data/sub");
            p.write("data/a.txt", &expected[Path::new("data/b.txt")]);
            p.write("data/extra.txt", &expected[Path::new("data/b.txt")]);
            p.remove("model.bin");
        }
    };
    let check = |p: &TestProject| assert_restorable(p, &expected, &["checkout"]);
    let tally =
        Scenario { name: "checkout", p: &p, args: &["checkout"], prepare: &prepare, check: &check }
            .run(DELAYS_MS);
    assert!(tally.at_steps >= 3, "{tally:?}");
}

#[test]
fn pull_killed_at_any_step_keeps_the_cache_sound_and_a_rerun_finishes() {
    let (p, _) = tracked_project();
    p.mlx(&["push", "-q"]).success();
    let expected = tracked_data(&p);
    let prepare = |p: &TestProject, _: u64| {
        remove_data(p);
        empty_dir(&p.cache_dir());
    };
    let check = |p: &TestProject| assert_restorable(p, &expected, &["checkout"]);
    let tally = Scenario { name: "pull", p: &p, args: &["pull"], prepare: &prepare, check: &check }
        .run(DELAYS_MS);
    assert!(tally.at_steps >= 6, "{tally:?}");
}

#[test]
fn fetch_killed_at_any_step_keeps_the_cache_sound_and_a_rerun_finishes() {
    let (p, _) = tracked_project();
    p.mlx(&["push", "-q"]).success();
    let expected = tracked_data(&p);
    let prepare = |p: &TestProject, _: u64| empty_dir(&p.cache_dir());
    let check = |p: &TestProject| assert_restorable(p, &expected, &["checkout"]);
    let tally =
        Scenario { name: "fetch", p: &p, args: &["fetch"], prepare: &prepare, check: &check }
            .run(DELAYS_MS);
    assert!(tally.at_steps >= 4, "{tally:?}");
}

#[test]
fn push_killed_at_any_step_leaves_a_remote_that_a_rerun_completes() {
    let (p, store) = tracked_project();
    let expected = tracked_data(&p);
    let prepare = |_: &TestProject, _: u64| empty_dir(&store);
    // What was pushed is complete: a clone with an empty cache pulls everything back.
    let check = |p: &TestProject| {
        empty_dir(&p.cache_dir());
        assert_restorable(p, &expected, &["pull"]);
    };
    let tally = Scenario { name: "push", p: &p, args: &["push"], prepare: &prepare, check: &check }
        .run(DELAYS_MS);
    assert!(tally.at_steps >= 3, "{tally:?}");
}

#[test]
fn gc_killed_at_any_step_keeps_what_is_referenced() {
    let (p, _) = tracked_project();
    let expected = tracked_data(&p);
    let prepare = |p: &TestProject, n: u64| {
        // Unreferenced objects for gc to delete: data added, then its pointer dropped.
        for i in 0..4 {
            p.write(format!("junk/{i}.txt"), format!("junk {n} {i}\n"));
        }
        p.mlx(&["add", "-q", "junk"]).success();
        p.remove("junk.mlx");
        p.remove("junk");
    };
    let check = |p: &TestProject| assert_restorable(p, &expected, &["checkout"]);
    let tally = Scenario { name: "gc", p: &p, args: &["gc"], prepare: &prepare, check: &check }
        .run(DELAYS_MS);
    assert!(tally.at_steps >= 3, "{tally:?}");
}

/// A stage that turns `input.txt` into a folder and a file, both cached outputs.
const PIPELINE: &str = r#"
[stages.gen]
cmd = "mkdir -p out/sub && cp input.txt out/copy.txt && tr a-z A-Z < input.txt > out/sub/upper.txt && wc -c < input.txt > summary.txt"
deps = ["input.txt"]
outs = ["out", "summary.txt"]
"#;

fn stage_outputs(p: &TestProject) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all: BTreeMap<PathBuf, Vec<u8>> = files_under(&p.path("out"))
        .into_iter()
        .map(|(rel, body)| (Path::new("out").join(rel), body))
        .collect();
    if p.exists("summary.txt") {
        all.insert(PathBuf::from("summary.txt"), p.read("summary.txt"));
    }
    all
}

fn expected_outputs(input: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    BTreeMap::from([
        (PathBuf::from("out/copy.txt"), input.as_bytes().to_vec()),
        (PathBuf::from("out/sub/upper.txt"), input.to_uppercase().into_bytes()),
        (PathBuf::from("summary.txt"), format!("{}\n", input.len()).into_bytes()),
    ])
}

#[test]
fn run_killed_at_any_step_keeps_the_cache_sound_and_a_rerun_finishes() {
    let p = TestProject::initialized();
    p.write("mlx.toml", PIPELINE);
    p.write("input.txt", "first input\n");
    p.mlx(&["run", "-q"]).success();
    let input = std::cell::RefCell::new(String::new());
    let prepare = |p: &TestProject, n: u64| {
        // Every third input was seen before: its outputs come back from the run cache.
        let text = format!("input number {}\n", if n.is_multiple_of(3) { n % 2 } else { n });
        p.write("input.txt", &text);
        *input.borrow_mut() = text;
    };
    let check = |p: &TestProject| {
        let expected = expected_outputs(&input.borrow());
        assert_eq!(stage_outputs(p), expected, "the stage's outputs after the rerun");
        for rel in ["out", "summary.txt"] {
            p.remove(rel);
        }
        let out = mlx_env(p, &["checkout"], &[]);
        assert!(out.status.success(), "checkout: {}", text(&out));
        assert_eq!(stage_outputs(p), expected, "outputs restored by mlx checkout");
        // No run stays "running" once the next command has looked.
        let running: i64 = p
            .db()
            .query_row("SELECT count(*) FROM runs WHERE status = 'running'", [], |r| r.get(0))
            .expect("count");
        assert_eq!(running, 0);
    };
    let tally = Scenario { name: "run", p: &p, args: &["run"], prepare: &prepare, check: &check }
        .run(DELAYS_MS);
    assert!(tally.at_steps >= 6, "{tally:?}");
}

#[test]
fn tracked_command_killed_at_any_step_is_reaped_and_leaves_nothing_behind() {
    let p = TestProject::initialized();
    let prepare = |_: &TestProject, _: u64| {};
    let check = |p: &TestProject| {
        let running: i64 = p
            .db()
            .query_row("SELECT count(*) FROM runs WHERE status = 'running'", [], |r| r.get(0))
            .expect("count");
        assert_eq!(running, 0);
        let runs_dir = p.path(".mlx/runs");
        let left = std::fs::read_dir(&runs_dir).map_or(0, Iterator::count);
        assert_eq!(left, 0, "a dead run's folder stayed in .mlx/runs");
    };
    let args = [
        "run",
        "--",
        "sh",
        "-c",
        r#"echo some output; echo '{"key": "m", "value": 1}' >> "$MLX_METRICS_FILE""#,
    ];
    let tally =
        Scenario { name: "run -- CMD", p: &p, args: &args, prepare: &prepare, check: &check }
            .run(DELAYS_MS);
    assert!(tally.at_steps >= 3, "{tally:?}");
}

// ---------------------------------------------------------------------------------------------
// Workspace temp files: staged under .mlx/tmp, and old ones cleaned up.

#[test]
fn killed_checkout_leaves_its_temp_file_under_mlx_tmp_and_the_next_command_removes_it() {
    // A large file, so the kill lands with most of it copied.
    let p = TestProject::initialized();
    let big = crate::support::noise(3 << 20, 7);
    p.write("big.bin", &big);
    p.write("data/a.txt", "a\n");
    p.mlx(&["add", "-q", "big.bin", "data"]).success();
    p.remove("big.bin");
    p.remove("data");
    let out = mlx_env(&p, &["checkout"], &[("MLX_FAULT", "workspace.place:1")]);
    assert_eq!(out.status.signal(), Some(9), "{}", text(&out));
    assert_eq!(work_tree_temps(&p), Vec::<PathBuf>::new());
    let staged: Vec<_> = std::fs::read_dir(p.path(".mlx/tmp")).expect("staging area").collect();
    assert_eq!(staged.len(), 1, "the dead process's folder");
    // The rerun needs no --force, restores everything and clears the dead process's folder.
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read("big.bin"), big);
    assert_eq!(p.read("data/a.txt"), b"a\n");
    assert_eq!(leftovers(&p), Vec::<PathBuf>::new());
}

/// A copy to a name nothing holds is made as an unnamed file and named once whole: a kill just
/// before it is named leaves neither a temp file nor a part of a file anywhere (where the
/// filesystem has no unnamed files, the checkout never reaches that step and just succeeds).
#[test]
fn killed_checkout_into_an_empty_tree_leaves_only_whole_files_issue_19() {
    let p = TestProject::initialized();
    let files: Vec<(String, Vec<u8>)> = (0..24)
        .map(|i| (format!("data/f{i:02}.bin"), crate::support::noise(20_000 + i * 1000, i as u64)))
        .collect();
    for (rel, bytes) in &files {
        p.write(rel, bytes);
    }
    p.mlx(&["add", "-q", "data"]).success();
    p.remove("data");
    let out = mlx_env(&p, &["checkout"], &[("MLX_FAULT", "workspace.name:6")]);
    if out.status.success() {
        assert_eq!(files_under(&p.path("data")).len(), files.len());
    } else {
        assert_eq!(out.status.signal(), Some(9), "{}", text(&out));
        let there = files_under(&p.path("data"));
        assert!(there.len() < files.len(), "killed before the last file: {}", there.len());
        for (rel, bytes) in &files {
            if let Some(found) = there.get(Path::new(rel.strip_prefix("data/").unwrap())) {
                assert_eq!(found, bytes, "{rel} is whole or absent");
            }
        }
        assert_eq!(work_tree_temps(&p), Vec::<PathBuf>::new());
    }
    p.mlx(&["checkout"]).success();
    for (rel, bytes) in &files {
        assert_eq!(&p.read(rel), bytes, "{rel}");
    }
    assert_eq!(leftovers(&p), Vec::<PathBuf>::new());
}

#[test]
fn temp_files_of_dead_processes_are_not_user_files_checkout_removes_them_and_doctor_reports_them() {
    let (p, _) = tracked_project();
    let expected = tracked_data(&p);
    // What an older mlx, killed while writing, left inside and beside tracked data...
    let inside = format!("data/sub/.c.txt{TEMP_MARK}{DEAD_PID}-3");
    let beside = format!(".model.bin{TEMP_MARK}{DEAD_PID}-0");
    let pointer = format!(".data.mlx{TEMP_MARK}{DEAD_PID}-1");
    // ...and elsewhere (a params file's folder, say), where only doctor looks.
    let elsewhere = format!("conf/.params.toml{TEMP_MARK}{DEAD_PID}-2");
    // One of a process that still runs (this test): not ours to delete or report.
    let live = format!("data/.a.txt{TEMP_MARK}{}-0", std::process::id());
    for rel in [&inside, &beside, &pointer, &elsewhere, &live] {
        p.write(rel, "half a file");
    }
    // Status does not count them as changes.
    let a = p.mlx(&["status", "--check"]).success();
    assert!(!stdout(&a).contains("modified"), "{}", stdout(&a));

    // Doctor finds the dead ones and says how to remove them.
    let doctor_paths = |p: &TestProject| -> (Vec<String>, serde_json::Value) {
        let report = p.json(&["doctor", "--no-remotes"]);
        let mut found: Vec<String> = report["leftover_temp_files"]
            .as_array()
            .expect("leftover_temp_files")
            .iter()
            .map(|v| v.as_str().expect("path").to_owned())
            .collect();
        found.sort();
        let check = report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["section"] == "project" && c["name"] == "temp files")
            .expect("a project temp files check")
            .clone();
        (found, check)
    };
    let (found, check) = doctor_paths(&p);
    let mut want = vec![beside.clone(), pointer.clone(), elsewhere.clone(), inside.clone()];
    want.sort();
    assert_eq!(found, want);
    assert_eq!(check["status"], "warn", "{check}");
    let a = p.mlx(&["doctor", "--no-remotes"]);
    assert!(stdout(&a).contains("4 temp files left by mlx processes"), "{}", stdout(&a));

    // Checkout (no --force) succeeds and removes those of dead processes inside and beside
    // tracked data.
    p.remove("data/a.txt");
    p.mlx(&["checkout"]).success();
    for rel in [&inside, &beside, &pointer] {
        assert!(!p.exists(rel), "{rel} is still there");
    }
    assert!(p.exists(&live), "a live process's temp file was removed");
    p.remove(&live);
    assert_eq!(tracked_data(&p), expected);

    // The one elsewhere is still reported, with a command that removes it.
    let (found, check) = doctor_paths(&p);
    assert_eq!(found, std::slice::from_ref(&elsewhere));
    let hint = check["hint"].as_str().expect("hint").to_owned();
    let (_, command) = hint.split_once("runs: ").expect("a command in the hint");
    let out = p.command_in("sh", ".").args(["-c", command]).output().expect("sh");
    assert!(out.status.success(), "{command}: {out:?}");
    assert!(!p.exists(&elsewhere));
    let (found, check) = doctor_paths(&p);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(check["status"], "ok", "{check}");
}

#[test]
fn fault_hook_is_inert_when_unset_or_unknown() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    // A step that is never reached, and a malformed value, change nothing.
    for fault in ["no.such.step:1", "garbage"] {
        let out = mlx_env(&p, &["add", "data"], &[("MLX_FAULT", fault)]);
        assert!(out.status.success(), "{fault}: {}", text(&out));
    }
    assert!(p.exists("data.mlx"));
    let steps = trace(&p, &["checkout"]);
    assert!(steps.is_empty(), "an up-to-date checkout reaches no step: {steps:?}");
}

/// A project that stores files of 128 KiB or more as chunks, with `big.bin` (content 0)
/// tracked and committed, and a folder remote `store` (the default) beside it.
fn chunked_project() -> (TestProject, PathBuf) {
    let p = TestProject::initialized();
    crate::chunks::set_cache(&p, p.root(), "chunk_threshold = \"128KiB\"");
    write_big(&p, 0);
    p.mlx(&["add", "-q", "big.bin"]).success();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().expect("utf-8"), "--default"]).success();
    p.commit_all("big");
    (p, store)
}

/// `big.bin`: 400 KiB numbered `n`, sharing most chunks with every other number.
fn write_big(p: &TestProject, n: u64) -> Vec<u8> {
    let mut body = crate::support::noise(400 << 10, 1);
    body[200_000..200_008].copy_from_slice(&n.to_le_bytes());
    p.write("big.bin", &body);
    body
}

/// `big.bin` deleted and brought back by `restore` is `expected`.
fn assert_big_restorable(p: &TestProject, expected: &[u8], restore: &[&str]) {
    assert_eq!(p.read("big.bin"), expected, "big.bin before the restore");
    p.remove("big.bin");
    let out = mlx_env(p, restore, &[]);
    assert!(out.status.success(), "mlx {restore:?}: {}", text(&out));
    assert_eq!(p.read("big.bin"), expected, "big.bin restored by mlx {restore:?}");
}

#[test]
fn chunked_add_killed_at_any_step_keeps_the_cache_sound() {
    let (p, _) = chunked_project();
    let expected = std::cell::RefCell::new(Vec::new());
    let prepare = |p: &TestProject, n: u64| *expected.borrow_mut() = write_big(p, n);
    let check = |p: &TestProject| assert_big_restorable(p, &expected.borrow(), &["checkout"]);
    let tally = Scenario {
        name: "add (chunks)",
        p: &p,
        args: &["add", "big.bin"],
        prepare: &prepare,
        check: &check,
    }
    .run(DELAYS_MS);
    assert!(tally.at_steps >= 4, "{tally:?}");
}

#[test]
fn chunked_pull_and_push_killed_at_any_step_leave_what_a_rerun_completes() {
    let (p, store) = chunked_project();
    p.mlx(&["push", "-q"]).success();
    let expected = p.read("big.bin");
    let prepare = |p: &TestProject, _: u64| {
        p.remove("big.bin");
        empty_dir(&p.cache_dir());
    };
    let check = |p: &TestProject| assert_big_restorable(p, &expected, &["checkout"]);
    let tally = Scenario {
        name: "pull (chunks)",
        p: &p,
        args: &["pull"],
        prepare: &prepare,
        check: &check,
    }
    .run(DELAYS_MS);
    assert!(tally.at_steps >= 4, "{tally:?}");

    let prepare = |_: &TestProject, _: u64| empty_dir(&store);
    let check = |p: &TestProject| {
        empty_dir(&p.cache_dir());
        assert_big_restorable(p, &expected, &["pull"]);
    };
    let tally = Scenario {
        name: "push (chunks)",
        p: &p,
        args: &["push"],
        prepare: &prepare,
        check: &check,
    }
    .run(&[]);
    assert!(tally.at_steps >= 2, "{tally:?}");
}

#[test]
fn chunked_gc_killed_at_any_step_keeps_the_chunks_of_what_is_referenced() {
    let (p, _) = chunked_project();
    let expected = p.read("big.bin");
    let prepare = |p: &TestProject, n: u64| {
        // Another version of the file, added then dropped: its list and own chunks are junk.
        let mut junk = expected.clone();
        junk[300_000..300_008].copy_from_slice(&(n + 1000).to_le_bytes());
        p.write("junk.bin", &junk);
        p.mlx(&["add", "-q", "junk.bin"]).success();
        p.remove("junk.bin.mlx");
        p.remove("junk.bin");
    };
    let check = |p: &TestProject| assert_big_restorable(p, &expected, &["checkout"]);
    let tally =
        Scenario { name: "gc (chunks)", p: &p, args: &["gc"], prepare: &prepare, check: &check }
            .run(&[]);
    assert!(tally.at_steps >= 2, "{tally:?}");
}
