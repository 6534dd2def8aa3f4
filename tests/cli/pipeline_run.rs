//! `mlx run [STAGE...]`: the pipeline executor driven on real temp repositories with small shell
//! stages. What runs and why (`--dry-run` reasons), stage selection (`--single`, `--downstream`,
//! `--force`, `--keep-going`, `always_changed`), `mlx.lock` content, outs (cache, `.gitignore`,
//! `cache = false`, `persist`), the run cache, `--set` (and its crash recovery), run records,
//! `--jobs` with resources, concurrent `mlx run` processes, signals and the input errors.
//!
//! Stages append their name to `calls.log` beside the repository (`../calls.log` from the root),
//! so a test sees exactly which commands ran, in which order.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::run::{
    GroupGuard, artifacts, group_members, metrics, params, tags, wait_child, wait_for,
};
use crate::support::{TestProject, hash_file_hex, hash_hex, stderr, stdout};

// ---------------------------------------------------------------------------------------------
// Helpers.

/// An initialized project with `mlx.toml` = `stages` and, when given, `params.toml`.
fn project(stages: &str, params_toml: Option<&str>) -> TestProject {
    let p = TestProject::initialized();
    p.write("mlx.toml", stages);
    if let Some(text) = params_toml {
        p.write("params.toml", text);
    }
    p
}

/// The file stages append their names to (outside the repository).
fn calls_path(p: &TestProject) -> PathBuf {
    p.root().parent().expect("root has a parent").join("calls.log")
}

/// The stage commands that ran so far, in order; the log is emptied.
fn take_calls(p: &TestProject) -> Vec<String> {
    let path = calls_path(p);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    text.lines().map(str::to_owned).collect()
}

/// A file beside the repository (for markers and timestamps the stages write).
fn beside(p: &TestProject, name: &str) -> PathBuf {
    p.root().parent().expect("root has a parent").join(name)
}

fn lock_text(p: &TestProject) -> String {
    if p.exists("mlx.lock") { p.read_string("mlx.lock") } else { String::new() }
}

fn lock(p: &TestProject) -> toml::Table {
    let text = p.read_string("mlx.lock");
    text.parse::<toml::Table>().unwrap_or_else(|e| panic!("mlx.lock is not TOML ({e}):\n{text}"))
}

/// The `mlx.lock` entry of a stage.
fn locked(p: &TestProject, stage: &str) -> toml::Table {
    lock(p)["stages"]
        .get(stage)
        .unwrap_or_else(|| panic!("no {stage} in mlx.lock:\n{}", lock_text(p)))
        .as_table()
        .expect("a stage entry is a table")
        .clone()
}

/// The `hash` of the `n`-th entry of `outs` or `deps` of a locked stage.
fn locked_hash(entry: &toml::Table, list: &str, n: usize) -> String {
    entry[list].as_array().expect("a list")[n]["hash"].as_str().expect("hash").to_owned()
}

/// One stage run as recorded: (id, name, stage, pipeline_run, status, exit_code).
#[derive(Debug, Clone)]
struct StageRun {
    id: String,
    name: Option<String>,
    stage: Option<String>,
    pipeline_run: Option<String>,
    status: String,
    exit_code: Option<i64>,
}

fn stage_runs(p: &TestProject) -> Vec<StageRun> {
    if !p.exists(".mlx/mlx.db") {
        return Vec::new();
    }
    let conn = p.db();
    let mut stmt = conn
        .prepare(
            "SELECT id, name, stage, pipeline_run, status, exit_code FROM runs ORDER BY id, rowid",
        )
        .expect("query runs");
    stmt.query_map([], |r| {
        Ok(StageRun {
            id: r.get(0)?,
            name: r.get(1)?,
            stage: r.get(2)?,
            pipeline_run: r.get(3)?,
            status: r.get(4)?,
            exit_code: r.get(5)?,
        })
    })
    .expect("rows")
    .map(|r| r.expect("run row"))
    .collect()
}

/// `mlx run ARGS --json` expecting exit `code`: the stages as `name=outcome`, and the report.
fn run_json(p: &TestProject, args: &[&str], code: i32) -> (Vec<String>, serde_json::Value) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--json");
    let a = p.mlx(&all).code(code);
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout)
        .unwrap_or_else(|e| panic!("mlx {all:?}: bad JSON ({e}): {}", p.transcript(&a)));
    let outcomes = report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| format!("{}={}", s["stage"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    (outcomes, report)
}

/// `mlx run --dry-run ARGS`, which must succeed: the table rows as `stage | what | why`.
fn dry_run(p: &TestProject, args: &[&str]) -> Vec<String> {
    let mut all = vec!["run", "--dry-run"];
    all.extend_from_slice(args);
    let a = p.mlx(&all).success();
    let err = stderr(&a);
    assert!(!err.contains("running stage"), "a dry run started a stage: {err}");
    stdout(&a)
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|&i| i.to_owned()).collect()
}

/// Kills a child (mlx) when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read_number(path: &Path, what: &str) -> i64 {
    wait_for(Duration::from_secs(30), what, || {
        std::fs::read_to_string(path).ok()?.trim().parse::<i64>().ok()
    })
}

/// Spawn `mlx ARGS` in the background (stdin closed, output captured).
fn spawn_mlx(p: &TestProject, args: &[&str], env: &[(&str, &Path)]) -> Child {
    let mut cmd = p.mlx_std();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mlx")
}

/// Wait (at most 60 s) for a spawned mlx; (exit code, stdout, stderr).
fn finish(mut child: Child) -> (Option<i32>, String, String) {
    let Some(status) = wait_child(&mut child, Duration::from_secs(60)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("mlx did not finish");
    };
    let mut out = String::new();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code(), out, err)
}

/// A shell snippet: wait (at most `tenths` / 10 s) until `../NAME` exists.
fn sh_wait_beside(name: &str, tenths: u32) -> String {
    format!("n=0; while [ ! -e ../{name} ] && [ $n -lt {tenths} ]; do sleep 0.1; n=$((n+1)); done")
}

// ---------------------------------------------------------------------------------------------
// A chain of stages: prepare -> train -> evaluate, and report beside them.

/// `train` reads a file inside `prepare`'s folder out; `report`'s out is not cached.
const CHAIN: &str = r#"
[stages.prepare]
cmd = "echo prepare >> ../calls.log && mkdir -p data/prepared && tr a-z A-Z < data/raw.txt > data/prepared/upper.txt && grep '^seed' params.toml > data/prepared/seed.txt"
deps = ["data/raw.txt"]
params = ["prepare.seed"]
outs = ["data/prepared"]

[stages.train]
cmd = "echo train >> ../calls.log && cat data/prepared/upper.txt > model.txt && grep '^lr' params.toml >> model.txt"
deps = ["data/prepared/upper.txt"]
params = ["train.lr"]
outs = ["model.txt"]

[stages.evaluate]
cmd = '''echo evaluate >> ../calls.log && printf '{"size": %s}\n' "$(wc -c < model.txt)" > metrics.json'''
deps = ["model.txt"]
metrics = ["metrics.json"]

[stages.report]
cmd = "echo report >> ../calls.log && echo hello > report.txt"
outs = [{ path = "report.txt", cache = false }]
"#;

const CHAIN_PARAMS: &str = "[prepare]\nseed = 1\n\n[train]\nlr = 0.5\nepochs = 3\n";

fn chain() -> TestProject {
    let p = project(CHAIN, Some(CHAIN_PARAMS));
    p.write("data/raw.txt", "abc\n");
    p
}

/// Every stage of the chain ran; nothing was recorded since.
fn chain_ran(p: &TestProject) {
    let (outcomes, _) = run_json(p, &[], 0);
    assert_eq!(outcomes, s(&["prepare=ran", "train=ran", "evaluate=ran", "report=ran"]));
    assert_eq!(take_calls(p), s(&["prepare", "train", "evaluate", "report"]));
}

#[test]
fn first_run_runs_every_stage_in_order_and_a_second_run_nothing() {
    let p = chain();
    let a = p.mlx(&["run"]).success();
    let err = stderr(&a);
    assert_eq!(take_calls(&p), s(&["prepare", "train", "evaluate", "report"]));
    let runs = stage_runs(&p);
    let names: Vec<_> = runs.iter().map(|r| r.stage.clone().unwrap_or_default()).collect();
    assert_eq!(names, s(&["prepare", "train", "evaluate", "report"]));
    for r in &runs {
        assert!(
            err.contains(&format!("{}: ran (run {})", r.stage.as_ref().unwrap(), r.id)),
            "{err}"
        );
        assert!(err.contains(&format!("running stage {} (never run)", r.stage.as_ref().unwrap())));
        assert_eq!(r.status, "finished");
    }
    assert_eq!(p.read_string("model.txt"), "ABC\nlr = 0.5\n");
    assert_eq!(p.read_string("metrics.json"), "{\"size\": 13}\n");
    let before = lock_text(&p);

    let a = p.mlx(&["run"]).success();
    let err = stderr(&a);
    for stage in ["prepare", "train", "evaluate", "report"] {
        assert!(err.contains(&format!("{stage}: up to date")), "{err}");
    }
    assert!(!err.contains("running stage"), "{err}");
    assert_eq!(stdout(&a), "", "nothing ran, so nothing printed");
    assert_eq!(take_calls(&p), Vec::<String>::new());
    assert_eq!(stage_runs(&p).len(), 4, "a no-op run records no runs");
    assert_eq!(lock_text(&p), before, "a no-op run leaves mlx.lock byte-identical");
    assert_eq!(
        dry_run(&p, &[]),
        s(&[
            "prepare | up to date",
            "train | up to date",
            "evaluate | up to date",
            "report | up to date",
        ])
    );
}

#[test]
fn lock_records_cmd_deps_params_and_outs_with_hashes_in_a_stable_order() {
    let p = chain();
    p.mlx(&["run", "-q"]).success();
    let text = lock_text(&p);
    assert!(text.starts_with("# mlx.lock"), "{text}");
    // Stages sorted by name, whatever the run order.
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle}:\n{text}"));
    assert!(at("[stages.evaluate]") < at("[stages.prepare]"));
    assert!(at("[stages.prepare]") < at("[stages.report]"));
    assert!(at("[stages.report]") < at("[stages.train]"));

    let prepare = locked(&p, "prepare");
    let cmd = prepare["cmd"].as_array().expect("cmd is a list");
    assert_eq!(cmd.len(), 1);
    assert!(cmd[0].as_str().unwrap().starts_with("echo prepare >> ../calls.log"), "{cmd:?}");
    let dep = &prepare["deps"].as_array().unwrap()[0];
    assert_eq!(dep["path"].as_str(), Some("data/raw.txt"));
    assert_eq!(dep["hash"].as_str(), Some(hash_hex(b"abc\n").as_str()));
    assert_eq!(dep["size"].as_integer(), Some(4));
    assert_eq!(prepare["params"]["prepare.seed"].as_integer(), Some(1));
    let out = &prepare["outs"].as_array().unwrap()[0];
    assert_eq!(out["path"].as_str(), Some("data/prepared"));
    assert_eq!(out["files"].as_integer(), Some(2), "a folder out records its file count");
    assert_eq!(out["size"].as_integer(), Some(4 + 9));
    assert!(out.get("cache").is_none(), "cache = true is the default and not written");
    // The folder's manifest and both files are cache objects.
    assert!(p.has_object(out["hash"].as_str().unwrap()));
    assert!(p.has_object(&hash_hex(b"ABC\n")));
    assert!(p.has_object(&hash_hex(b"seed = 1\n")));

    let train = locked(&p, "train");
    let dep = &train["deps"].as_array().unwrap()[0];
    assert_eq!(dep["path"].as_str(), Some("data/prepared/upper.txt"));
    assert_eq!(dep["hash"].as_str(), Some(hash_hex(b"ABC\n").as_str()));
    assert_eq!(train["params"]["train.lr"].as_float(), Some(0.5));
    assert_eq!(train["params"].as_table().unwrap().len(), 1, "only the declared key");
    let model_hash = locked_hash(&train, "outs", 0);
    assert_eq!(model_hash, hash_hex(b"ABC\nlr = 0.5\n"));
    assert_eq!(model_hash, hash_file_hex(&p.path("model.txt")));
    assert!(p.has_object(&model_hash));

    let evaluate = locked(&p, "evaluate");
    assert_eq!(evaluate["outs"].as_array().unwrap()[0]["path"].as_str(), Some("metrics.json"));
    assert!(p.has_object(&locked_hash(&evaluate, "outs", 0)), "metrics files are cached too");

    // `cache = false`: hashed in the lock, not stored, not ignored.
    let report = locked(&p, "report");
    let out = &report["outs"].as_array().unwrap()[0];
    assert_eq!(out["cache"].as_bool(), Some(false));
    assert_eq!(out["hash"].as_str(), Some(hash_hex(b"hello\n").as_str()));
    assert!(!p.has_object(&hash_hex(b"hello\n")), "an uncached out is not stored");

    // Cached outs are kept out of git, uncached ones are not.
    let ignored = p.read_string(".gitignore");
    assert!(ignored.lines().any(|l| l == "/model.txt"), "{ignored}");
    assert!(ignored.lines().any(|l| l == "/metrics.json"), "{ignored}");
    assert!(!ignored.contains("report.txt"), "{ignored}");
    assert!(p.read_string("data/.gitignore").lines().any(|l| l == "/prepared"));
    let status = p.git_status();
    assert!(!status.contains("model.txt") && !status.contains("prepared"), "{status}");
    assert!(status.contains("report.txt"), "{status}");

    // The same inputs give the same bytes, even when written from scratch.
    p.remove("mlx.lock");
    p.mlx(&["run", "-q"]).success();
    assert_eq!(lock_text(&p), text);
}

#[test]
fn dry_run_says_why_and_changes_nothing_then_run_reruns_exactly_the_stale_stages() {
    let p = chain();
    chain_ran(&p);

    // Each change, what the dry run says, and what really runs.
    let check = |what: &str, dry: &[&str], outcomes: &[&str], calls: &[&str]| {
        let lock_before = lock_text(&p);
        let runs_before = stage_runs(&p).len();
        assert_eq!(dry_run(&p, &[]), s(dry), "dry run after {what}");
        assert_eq!(take_calls(&p), Vec::<String>::new(), "dry run after {what} ran a stage");
        assert_eq!(lock_text(&p), lock_before, "dry run after {what} changed mlx.lock");
        assert_eq!(stage_runs(&p).len(), runs_before, "dry run after {what} recorded a run");
        let (got, _) = run_json(&p, &[], 0);
        assert_eq!(got, s(outcomes), "run after {what}");
        assert_eq!(take_calls(&p), s(calls), "commands run after {what}");
        let (again, _) = run_json(&p, &[], 0);
        assert!(again.iter().all(|o| o.ends_with("=up_to_date")), "after {what}: {again:?}");
        assert_eq!(take_calls(&p), Vec::<String>::new());
    };

    p.write("data/raw.txt", "xyz\n");
    check(
        "a dep's content changed",
        &[
            "prepare | would run | dep data/raw.txt changed",
            "train | would run | upstream stage prepare will run",
            "evaluate | would run | upstream stage train will run",
            "report | up to date",
        ],
        &["prepare=ran", "train=ran", "evaluate=ran", "report=up_to_date"],
        &["prepare", "train", "evaluate"],
    );
    assert_eq!(p.read_string("model.txt"), "XYZ\nlr = 0.5\n");

    // prepare's new seed does not change upper.txt, so train (which reads only that) stays.
    p.write("params.toml", CHAIN_PARAMS.replace("seed = 1", "seed = 2"));
    check(
        "a declared param changed",
        &[
            "prepare | would run | param prepare.seed changed",
            "train | would run | upstream stage prepare will run",
            "evaluate | would run | upstream stage train will run",
            "report | up to date",
        ],
        &["prepare=ran", "train=up_to_date", "evaluate=up_to_date", "report=up_to_date"],
        &["prepare"],
    );
    assert_eq!(p.read_string("data/prepared/seed.txt"), "seed = 2\n");

    p.write("params.toml", CHAIN_PARAMS.replace("seed = 1", "seed = 2").replace("0.5", "0.25"));
    check(
        "train.lr changed",
        &[
            "prepare | up to date",
            "train | would run | param train.lr changed",
            "evaluate | would run | upstream stage train will run",
            "report | up to date",
        ],
        &["prepare=up_to_date", "train=ran", "evaluate=ran", "report=up_to_date"],
        &["train", "evaluate"],
    );
    assert_eq!(p.read_string("model.txt"), "XYZ\nlr = 0.25\n");

    // A key no stage declares does not make anything stale.
    p.write(
        "params.toml",
        CHAIN_PARAMS.replace("seed = 1", "seed = 2").replace("0.5", "0.25").replace("3", "7"),
    );
    check(
        "an undeclared key changed",
        &[
            "prepare | up to date",
            "train | up to date",
            "evaluate | up to date",
            "report | up to date",
        ],
        &["prepare=up_to_date", "train=up_to_date", "evaluate=up_to_date", "report=up_to_date"],
        &[],
    );

    p.write("mlx.toml", CHAIN.replace("echo hello > report.txt", "echo bonjour > report.txt"));
    check(
        "report's command changed",
        &[
            "prepare | up to date",
            "train | up to date",
            "evaluate | up to date",
            "report | would run | command changed",
        ],
        &["prepare=up_to_date", "train=up_to_date", "evaluate=up_to_date", "report=ran"],
        &["report"],
    );
    assert_eq!(p.read_string("report.txt"), "bonjour\n");

    // An uncached out cannot be restored: its stage runs again.
    p.remove("report.txt");
    check(
        "an uncached out was deleted",
        &[
            "prepare | up to date",
            "train | up to date",
            "evaluate | up to date",
            "report | would run | out report.txt is missing",
        ],
        &["prepare=up_to_date", "train=up_to_date", "evaluate=up_to_date", "report=ran"],
        &["report"],
    );

    // A cached out comes back from the run cache: the same inputs made it before.
    p.remove("model.txt");
    check(
        "a cached out was deleted",
        &[
            "prepare | up to date",
            "train | would run | out model.txt is missing",
            "evaluate | would run | dep model.txt is missing, upstream stage train will run",
            "report | up to date",
        ],
        &["prepare=up_to_date", "train=restored", "evaluate=up_to_date", "report=up_to_date"],
        &[],
    );
    assert_eq!(p.read_string("model.txt"), "XYZ\nlr = 0.25\n");

    p.write("model.txt", "tampered\n");
    check(
        "a cached out was modified",
        &[
            "prepare | up to date",
            "train | would run | out model.txt changed",
            "evaluate | would run | dep model.txt changed, upstream stage train will run",
            "report | up to date",
        ],
        &["prepare=up_to_date", "train=restored", "evaluate=up_to_date", "report=up_to_date"],
        &[],
    );
    assert_eq!(p.read_string("model.txt"), "XYZ\nlr = 0.25\n");
    // The tampered content was kept in the cache before the out was replaced.
    assert!(p.has_object(&hash_hex(b"tampered\n")));

    // The dry run's JSON carries the same reasons, machine-readably.
    p.write("data/raw.txt", "new\n");
    let (outcomes, report) = run_json(&p, &["--dry-run"], 0);
    assert_eq!(outcomes[0], "prepare=would_run");
    assert_eq!(
        report["stages"][0]["reasons"],
        serde_json::json!([{"reason": "dep_changed", "path": "data/raw.txt"}])
    );
    assert_eq!(
        report["stages"][1]["reasons"],
        serde_json::json!([{"reason": "upstream_will_run", "stage": "prepare"}])
    );
    assert_eq!(take_calls(&p), Vec::<String>::new());
}

#[test]
fn targets_single_downstream_and_force_choose_the_stages() {
    let p = chain();
    // A named stage runs with what it depends on (through the file inside prepare's folder).
    let (outcomes, _) = run_json(&p, &["train"], 0);
    assert_eq!(outcomes, s(&["prepare=ran", "train=ran"]));
    assert_eq!(take_calls(&p), s(&["prepare", "train"]));
    assert!(!p.exists("metrics.json") && !p.exists("report.txt"));
    let (outcomes, _) = run_json(&p, &[], 0);
    assert_eq!(
        outcomes,
        s(&["prepare=up_to_date", "train=up_to_date", "evaluate=ran", "report=ran"])
    );
    take_calls(&p);

    // --single: just the named stage; prepare stays stale.
    p.write("data/raw.txt", "xyz\n");
    p.write("params.toml", CHAIN_PARAMS.replace("0.5", "0.75"));
    let (outcomes, _) = run_json(&p, &["train", "--single"], 0);
    assert_eq!(outcomes, s(&["train=ran"]));
    assert_eq!(take_calls(&p), s(&["train"]));
    assert_eq!(p.read_string("model.txt"), "ABC\nlr = 0.75\n", "prepare did not run");
    assert_eq!(
        dry_run(&p, &[]),
        s(&[
            "prepare | would run | dep data/raw.txt changed",
            "train | would run | upstream stage prepare will run",
            "evaluate | would run | dep model.txt changed, upstream stage train will run",
            "report | up to date",
        ])
    );

    // --downstream: the named stage and what depends on it, not what it depends on.
    let (outcomes, _) = run_json(&p, &["prepare", "--downstream"], 0);
    assert_eq!(outcomes, s(&["prepare=ran", "train=ran", "evaluate=ran"]));
    assert_eq!(take_calls(&p), s(&["prepare", "train", "evaluate"]));

    // --force: the named stage and its upstream run although nothing changed; no run cache.
    let a = p.mlx(&["run", "train", "--force"]).success();
    assert!(stderr(&a).contains("running stage train (forced)"), "{}", stderr(&a));
    assert!(!stderr(&a).contains("run cache"), "{}", stderr(&a));
    assert_eq!(take_calls(&p), s(&["prepare", "train"]));
    assert_eq!(dry_run(&p, &["--force", "report"]), s(&["report | would run | forced"]));
    assert_eq!(take_calls(&p), Vec::<String>::new());

    // A base name selects every foreach expansion.
    p.write(
        "mlx.toml",
        format!(
            "{CHAIN}\n[stages.fan]\nforeach = [\"x\", \"y\"]\ncmd = \"echo fan-${{item}} >> ../calls.log && echo ${{item}} > fan-${{item}}.txt\"\nouts = [\"fan-${{item}}.txt\"]\n"
        ),
    );
    let (outcomes, _) = run_json(&p, &["fan"], 0);
    assert_eq!(outcomes, s(&["fan@x=ran", "fan@y=ran"]));
    assert_eq!(take_calls(&p), s(&["fan-x", "fan-y"]));
}

#[test]
fn always_changed_runs_every_time_and_downstream_only_when_its_out_changes() {
    let p = project(
        r#"
[stages.clock]
cmd = "echo clock >> ../calls.log && cat ../tick > tick.txt"
outs = ["tick.txt"]
always_changed = true

[stages.use]
cmd = "echo use >> ../calls.log && cp tick.txt used.txt"
deps = ["tick.txt"]
outs = ["used.txt"]
"#,
        None,
    );
    std::fs::write(beside(&p, "tick"), "1\n").unwrap();
    assert_eq!(run_json(&p, &[], 0).0, s(&["clock=ran", "use=ran"]));
    assert_eq!(take_calls(&p), s(&["clock", "use"]));
    assert_eq!(
        dry_run(&p, &[]),
        s(&[
            "clock | would run | always_changed",
            "use | would run | upstream stage clock will run"
        ])
    );
    // Same output: the downstream stage is up to date; the run cache is not used.
    assert_eq!(run_json(&p, &[], 0).0, s(&["clock=ran", "use=up_to_date"]));
    assert_eq!(take_calls(&p), s(&["clock"]));
    std::fs::write(beside(&p, "tick"), "2\n").unwrap();
    assert_eq!(run_json(&p, &[], 0).0, s(&["clock=ran", "use=ran"]));
    assert_eq!(take_calls(&p), s(&["clock", "use"]));
    assert_eq!(p.read_string("used.txt"), "2\n");
}

// ---------------------------------------------------------------------------------------------
// Failures.

const ABCD: &str = r#"
[stages.a]
cmd = "echo a >> ../calls.log && cp in.txt a.txt"
deps = ["in.txt"]
outs = ["a.txt"]

[stages.b]
cmd = "echo b >> ../calls.log && cp a.txt b.txt"
deps = ["a.txt"]
outs = ["b.txt"]

[stages.c]
cmd = "echo c >> ../calls.log && cp b.txt c.txt"
deps = ["b.txt"]
outs = ["c.txt"]

[stages.d]
cmd = "echo d >> ../calls.log && cp in.txt d.txt"
deps = ["in.txt"]
outs = ["d.txt"]
"#;

#[test]
fn a_failing_stage_exits_1_keeps_earlier_successes_and_stops_later_stages() {
    let p = project(ABCD, None);
    p.write("in.txt", "v1\n");
    assert_eq!(run_json(&p, &[], 0).0, s(&["a=ran", "b=ran", "c=ran", "d=ran"]));
    take_calls(&p);
    let before = lock(&p);

    p.write("in.txt", "v2\n");
    p.write("mlx.toml", ABCD.replace("cp a.txt b.txt", "echo oops >&2 && exit 3"));
    let a = p.mlx(&["run"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("b: FAILED: stage b failed with exit code 3"), "{err}");
    assert!(err.contains("oops"), "the stage's stderr is passed through: {err}");
    assert!(err.contains("c: not run: upstream stage b did not succeed"), "{err}");
    assert!(err.contains("d: not run"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(take_calls(&p), s(&["a", "b"]), "nothing runs after the failure");
    let after = lock(&p);
    assert_ne!(after["stages"]["a"], before["stages"]["a"], "a succeeded: its entry is new");
    assert_eq!(locked_hash(&locked(&p, "a"), "deps", 0), hash_hex(b"v2\n"));
    for stage in ["b", "c", "d"] {
        assert_eq!(after["stages"][stage], before["stages"][stage], "{stage}'s entry is as before");
    }
    let b = stage_runs(&p).into_iter().rfind(|r| r.stage.as_deref() == Some("b")).unwrap();
    assert_eq!((b.status.as_str(), b.exit_code), ("failed", Some(3)), "{b:?}");
    // a is not rerun next time.
    assert_eq!(dry_run(&p, &["a"]), s(&["a | up to date"]));

    // --keep-going: the independent branch still runs; what depends on b does not.
    let (outcomes, report) = run_json(&p, &["--keep-going"], 1);
    assert_eq!(outcomes, s(&["a=up_to_date", "b=failed", "c=skipped", "d=ran"]));
    assert_eq!(report["stages"][1]["exit_code"], 3);
    assert_eq!(take_calls(&p), s(&["b", "d"]));
    assert_eq!(p.read_string("d.txt"), "v2\n");
    assert_eq!(locked_hash(&locked(&p, "d"), "deps", 0), hash_hex(b"v2\n"));
    assert_eq!(lock(&p)["stages"]["c"], before["stages"]["c"]);
}

#[test]
fn a_stage_that_does_not_produce_a_declared_out_fails() {
    let p = project(
        r#"
[stages.lazy]
cmd = "echo lazy >> ../calls.log && touch made.txt"
outs = ["made.txt", "never.txt"]

[stages.after]
cmd = "echo after >> ../calls.log"
deps = ["never.txt"]
"#,
        None,
    );
    let a = p.mlx(&["run"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("stage lazy did not produce its output never.txt"), "{err}");
    assert!(err.contains("after: not run"), "{err}");
    assert_eq!(take_calls(&p), s(&["lazy"]));
    assert!(!p.exists("mlx.lock"), "{}", lock_text(&p));
    let runs = stage_runs(&p);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "failed", "{runs:?}");
}

// ---------------------------------------------------------------------------------------------
// Outs.

/// `persist` outs are kept (and the stage may update them, whatever the link type); other outs
/// are removed before the stage runs.
fn persist_and_fresh_outs(link_type: Option<&str>) {
    let p = project(
        r#"
[stages.grow]
cmd = "echo run >> ckpt.txt && echo run >> fresh.txt && mkdir -p state && echo run >> state/log.txt"
outs = [{ path = "ckpt.txt", persist = true }, "fresh.txt", { path = "state", persist = true }]
"#,
        None,
    );
    if let Some(t) = link_type {
        p.set_link_type(t);
    }
    p.mlx(&["run", "-q"]).success();
    let first = hash_hex(b"run\n");
    assert!(p.has_object(&first));
    p.mlx(&["run", "-q", "--force"]).success();
    p.mlx(&["run", "-q", "--force"]).success();
    assert_eq!(p.read_string("ckpt.txt"), "run\nrun\nrun\n", "a persist out is kept");
    assert_eq!(p.read_string("state/log.txt"), "run\nrun\nrun\n", "a persist folder is kept");
    assert_eq!(p.read_string("fresh.txt"), "run\n", "other outs are removed before the run");
    // Updating a persist out never wrote into a cache object.
    assert_eq!(hash_file_hex(&p.object_path(&first)), first, "the first object was modified");
    p.mlx(&["cache", "verify"]).success();
    let entry = locked(&p, "grow");
    assert_eq!(locked_hash(&entry, "outs", 0), hash_hex(b"run\nrun\nrun\n"));
    assert!(p.has_object(&locked_hash(&entry, "outs", 0)));
}

#[test]
fn persist_outs_are_kept_and_other_outs_removed_before_the_stage_runs() {
    persist_and_fresh_outs(None);
}

#[test]
fn persist_outs_linked_into_the_cache_are_copied_before_the_stage_writes_them() {
    persist_and_fresh_outs(Some("hardlink"));
    persist_and_fresh_outs(Some("symlink"));
}

// ---------------------------------------------------------------------------------------------
// The run cache.

const TRAIN: &str = r#"
[stages.train]
cmd = "echo train >> ../calls.log && grep '^lr' params.toml > model.txt"
params = ["train.lr"]
outs = ["model.txt"]
"#;

#[test]
fn run_cache_restores_outs_for_inputs_seen_before_unless_the_object_is_gone() {
    let p = project(TRAIN, Some("[train]\nlr = 0.5\n"));
    p.mlx(&["run", "-q"]).success();
    p.write("params.toml", "[train]\nlr = 0.4\n");
    p.mlx(&["run", "-q"]).success();
    assert_eq!(take_calls(&p), s(&["train", "train"]));
    assert_eq!(stage_runs(&p).len(), 2);

    p.write("params.toml", "[train]\nlr = 0.5\n");
    let a = p.mlx(&["run"]).success();
    let err = stderr(&a);
    assert!(err.contains("train: restored from the run cache"), "{err}");
    assert!(err.contains("mlx: stage train restored from the run cache"), "{err}");
    assert_eq!(take_calls(&p), Vec::<String>::new(), "the command did not run");
    assert_eq!(stage_runs(&p).len(), 2, "a restore records no new run");
    assert_eq!(p.read_string("model.txt"), "lr = 0.5\n");
    let entry = locked(&p, "train");
    assert_eq!(entry["params"]["train.lr"].as_float(), Some(0.5));
    assert_eq!(locked_hash(&entry, "outs", 0), hash_hex(b"lr = 0.5\n"));
    assert_eq!(dry_run(&p, &[]), s(&["train | up to date"]));

    // The object the run cache names is gone: the stage runs.
    p.write("params.toml", "[train]\nlr = 0.4\n");
    p.mlx(&["run", "-q"]).success();
    assert_eq!(take_calls(&p), Vec::<String>::new(), "0.4 restored too");
    assert_eq!(p.read_string("model.txt"), "lr = 0.4\n");
    std::fs::remove_file(p.object_path(&hash_hex(b"lr = 0.5\n"))).unwrap();
    p.write("params.toml", "[train]\nlr = 0.5\n");
    let a = p.mlx(&["run"]).success();
    assert!(stderr(&a).contains("train: ran"), "{}", stderr(&a));
    assert_eq!(take_calls(&p), s(&["train"]));
    assert_eq!(p.read_string("model.txt"), "lr = 0.5\n");
    assert!(p.has_object(&hash_hex(b"lr = 0.5\n")));
}

// ---------------------------------------------------------------------------------------------
// --set.

const SET_TRAIN: &str = r#"
[stages.train]
cmd = '''echo train >> ../calls.log && grep '^lr' params.toml > seen.txt && if [ -n "$SLOW_PID" ]; then echo $$ > "$SLOW_PID"; sleep 60; fi'''
params = ["train.lr"]
outs = ["seen.txt"]
"#;

const SET_PARAMS: &str = "# learning settings\n[train]\nlr = 0.5   # the rate\nepochs = 3\n";

#[test]
fn set_overrides_a_param_for_one_run_records_it_and_restores_the_file() {
    let p = project(SET_TRAIN, Some(SET_PARAMS));
    let (outcomes, report) = run_json(&p, &["--set", "train.lr=0.1"], 0);
    assert_eq!(outcomes, s(&["train=ran"]));
    assert!(p.read_string("seen.txt").starts_with("lr = 0.1"), "{}", p.read_string("seen.txt"));
    assert_eq!(p.read_string("params.toml"), SET_PARAMS, "params.toml is byte-identical");
    assert!(!p.exists(".mlx/params-backup.json"));
    let run = report["stages"][0]["run"].as_str().expect("run id").to_owned();
    let recorded = params(&p, &run);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!((recorded[0].0.as_str(), recorded[0].1.as_str()), ("train.lr", "0.1"));
    assert_eq!(tags(&p, &run), [("mlx.set".to_owned(), "train.lr=0.1".to_owned())]);
    // The file says 0.5, so without the override train is stale again.
    assert_eq!(dry_run(&p, &[]), s(&["train | would run | param train.lr changed"]));
    let a = p.mlx(&["run", "-q"]).success();
    assert_eq!(stdout(&a), "");
    assert!(p.read_string("seen.txt").starts_with("lr = 0.5"));
    let run = stage_runs(&p).pop().unwrap();
    assert!(tags(&p, &run.id).is_empty(), "no mlx.set tag without --set");
}

#[test]
fn kill_9_during_set_leaves_a_backup_that_the_next_run_restores_first() {
    let p = project(SET_TRAIN, Some(SET_PARAMS));
    let pid_file = beside(&p, "stage.pid");
    let child = spawn_mlx(&p, &["run", "--set", "train.lr=0.1"], &[("SLOW_PID", &pid_file)]);
    let mut child = ChildGuard(child);
    let pgid = i32::try_from(read_number(&pid_file, "the stage to start")).unwrap();
    let _group = GroupGuard(pgid);
    // While the stage runs, the file holds the override and the backup the original.
    assert!(p.read_string("params.toml").contains("lr = 0.1"), "{}", p.read_string("params.toml"));
    assert!(p.exists(".mlx/params-backup.json"));
    child.0.kill().expect("kill -9 mlx");
    child.0.wait().expect("wait mlx");
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(p.exists(".mlx/params-backup.json"), "the backup survives the crash");
    assert!(p.read_string("params.toml").contains("lr = 0.1"));
    take_calls(&p);

    // Even a dry run restores the file before it looks at anything.
    assert_eq!(dry_run(&p, &[]), s(&["train | would run | never run"]));
    assert_eq!(p.read_string("params.toml"), SET_PARAMS);
    assert!(!p.exists(".mlx/params-backup.json"));

    // And a real run after a crash too (crash again, then run).
    std::fs::remove_file(&pid_file).unwrap();
    let child2 = spawn_mlx(&p, &["run", "--set", "train.lr=0.2"], &[("SLOW_PID", &pid_file)]);
    let mut child2 = ChildGuard(child2);
    let pgid = i32::try_from(read_number(&pid_file, "the stage to start again")).unwrap();
    let _group2 = GroupGuard(pgid);
    child2.0.kill().expect("kill -9 mlx");
    child2.0.wait().expect("wait mlx");
    assert!(p.read_string("params.toml").contains("lr = 0.2"));
    p.mlx(&["run", "-q"]).success();
    assert_eq!(p.read_string("params.toml"), SET_PARAMS);
    assert!(!p.exists(".mlx/params-backup.json"));
    assert!(p.read_string("seen.txt").starts_with("lr = 0.5"), "the stage saw the restored file");
    let runs = stage_runs(&p);
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert_eq!(runs[0].status, "failed", "the first killed run was reaped: {runs:?}");
    assert_eq!(runs[2].status, "finished");
}

// ---------------------------------------------------------------------------------------------
// Run records.

#[test]
fn each_stage_run_is_a_run_with_its_stage_params_metrics_and_outs() {
    let p = project(
        r#"
[stages.train]
cmd = '''echo training && echo '{"key": "loss", "value": 0.25, "step": 1}' >> "$MLX_METRICS_FILE" && printf '{"acc": 0.9, "eval": {"auc": 0.8, "name": "x"}}' > metrics.json && echo m > model.bin'''
params = ["train.lr", "train.layers"]
outs = ["model.bin"]
metrics = ["metrics.json"]

[stages.curve]
cmd = '''cat model.bin > /dev/null && printf 'step,loss\n0,1.0\n1,0.5\n' > curve.csv'''
deps = ["model.bin"]
metrics = ["curve.csv"]
"#,
        Some("[train]\nlr = 0.5\nlayers = [1, 2]\nunused = true\n"),
    );
    let (_, report) = run_json(&p, &[], 0);
    let pipeline_run = report["pipeline_run"].as_str().expect("pipeline run id").to_owned();
    let runs = stage_runs(&p);
    assert_eq!(runs.len(), 2, "{runs:?}");
    for (r, stage) in runs.iter().zip(["train", "curve"]) {
        assert_eq!(r.stage.as_deref(), Some(stage), "{r:?}");
        assert_eq!(r.name.as_deref(), Some(stage), "{r:?}");
        assert_eq!(r.pipeline_run.as_deref(), Some(pipeline_run.as_str()), "{r:?}");
        assert_eq!(r.status, "finished");
    }
    let (train, curve) = (&runs[0].id, &runs[1].id);
    let recorded: Vec<(String, String)> =
        params(&p, train).into_iter().map(|(k, v, _)| (k, v)).collect();
    assert_eq!(
        recorded,
        [
            ("train.layers".to_owned(), "[1,2]".to_owned()),
            ("train.lr".to_owned(), "0.5".to_owned())
        ]
    );
    assert!(params(&p, curve).is_empty());
    assert_eq!(
        metrics(&p, train),
        [
            ("acc".to_owned(), 0, Some(0.9)),
            ("eval.auc".to_owned(), 0, Some(0.8)),
            ("loss".to_owned(), 1, Some(0.25)),
        ]
    );
    assert_eq!(
        metrics(&p, curve),
        [("loss".to_owned(), 0, Some(1.0)), ("loss".to_owned(), 1, Some(0.5))]
    );
    let arts = artifacts(&p, train);
    let paths: Vec<&str> = arts.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(paths, ["log", "metrics.json", "model.bin"], "{arts:?}");
    let model = arts.iter().find(|a| a.0 == "model.bin").unwrap();
    assert_eq!(
        (model.1.as_str(), model.2.as_str(), model.3),
        ("file", hash_hex(b"m\n").as_str(), 2)
    );
    assert!(artifacts(&p, curve).iter().any(|a| a.0 == "curve.csv"));

    // Another `mlx run` is another pipeline run.
    p.mlx(&["run", "-q", "--force"]).success();
    let runs = stage_runs(&p);
    assert_eq!(runs.len(), 4);
    assert_eq!(runs[2].pipeline_run, runs[3].pipeline_run);
    assert_ne!(runs[2].pipeline_run.as_deref(), Some(pipeline_run.as_str()));
}

// ---------------------------------------------------------------------------------------------
// Parallel stages and resources.

/// A stage that writes its start and end times (ns) beside the repo, waiting (at most
/// `wait_tenths` / 10 s) for `other` to start in between.
fn timed_stage(name: &str, other: &str, wait_tenths: u32, extra: &str) -> String {
    format!(
        "[stages.{name}]\ncmd = '''date +%s%N > ../{name}.start && echo hello from {name} && {{ {}; }} && sleep 0.2 && date +%s%N > ../{name}.end && echo {name} > {name}.txt'''\nouts = [\"{name}.txt\"]\n{extra}\n",
        sh_wait_beside(&format!("{other}.start"), wait_tenths)
    )
}

fn interval(p: &TestProject, name: &str) -> (i64, i64) {
    let read = |ext: &str| {
        let path = beside(p, &format!("{name}.{ext}"));
        std::fs::read_to_string(&path).unwrap().trim().parse::<i64>().unwrap()
    };
    let (start, end) = (read("start"), read("end"));
    assert!(start <= end);
    (start, end)
}

#[test]
fn jobs_2_runs_independent_stages_at_once_with_prefixed_output() {
    let p = project(
        &format!("{}{}", timed_stage("a", "b", 100, ""), timed_stage("b", "a", 100, "")),
        None,
    );
    let a = p.mlx(&["run", "--jobs", "2"]).success();
    let (a_start, a_end) = interval(&p, "a");
    let (b_start, b_end) = interval(&p, "b");
    assert!(a_start < b_end && b_start < a_end, "a {a_start}..{a_end}, b {b_start}..{b_end}");
    let out = stdout(&a);
    assert!(out.lines().any(|l| l == "[a] hello from a"), "{out}");
    assert!(out.lines().any(|l| l == "[b] hello from b"), "{out}");
    assert!(out.lines().all(|l| l.starts_with("[a] ") || l.starts_with("[b] ")), "{out}");
    assert!(lock(&p)["stages"].get("a").is_some() && lock(&p)["stages"].get("b").is_some());

    // One job: no prefix.
    let a = p.mlx(&["run", "--force", "a"]).success();
    assert_eq!(stdout(&a), "hello from a\n");
}

#[test]
fn resources_keep_stages_apart_even_with_jobs_2() {
    let extra = "resources = { gpu = 1 }";
    let p = project(
        &format!(
            "[resources]\ngpu = 1\n\n{}{}",
            timed_stage("g1", "g2", 5, extra),
            timed_stage("g2", "g1", 5, extra)
        ),
        None,
    );
    p.mlx(&["run", "-q", "--jobs", "2"]).success();
    let (s1, e1) = interval(&p, "g1");
    let (s2, e2) = interval(&p, "g2");
    assert!(e1 <= s2 || e2 <= s1, "the gpu stages overlapped: g1 {s1}..{e1}, g2 {s2}..{e2}");
}

// ---------------------------------------------------------------------------------------------
// Concurrent `mlx run` processes.

#[test]
fn two_mlx_runs_of_different_stages_run_at_once_and_both_land_in_the_lock() {
    let p = project(
        &format!("{}{}", timed_stage("a", "b", 100, ""), timed_stage("b", "a", 100, "")),
        None,
    );
    let one = spawn_mlx(&p, &["run", "a"], &[]);
    let two = spawn_mlx(&p, &["run", "b"], &[]);
    let (code1, _, err1) = finish(one);
    let (code2, _, err2) = finish(two);
    assert_eq!((code1, code2), (Some(0), Some(0)), "{err1}\n{err2}");
    let (a_start, a_end) = interval(&p, "a");
    let (b_start, b_end) = interval(&p, "b");
    assert!(a_start < b_end && b_start < a_end, "the two processes did not run at once");
    let stages = lock(&p)["stages"].as_table().unwrap().clone();
    assert_eq!(stages.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(locked_hash(&locked(&p, "a"), "outs", 0), hash_hex(b"a\n"));
    assert_eq!(locked_hash(&locked(&p, "b"), "outs", 0), hash_hex(b"b\n"));
    assert_eq!(dry_run(&p, &[]), s(&["a | up to date", "b | up to date"]));
}

#[test]
fn two_mlx_runs_of_the_same_stage_never_run_it_at_once() {
    let p = project(
        r#"
[stages.one]
cmd = "if ! mkdir ../one.busy; then echo overlap >> ../overlap.log; fi; echo one >> ../calls.log; sleep 0.3; rmdir ../one.busy; echo one > one.txt"
outs = ["one.txt"]
"#,
        None,
    );
    let first = spawn_mlx(&p, &["run"], &[]);
    let second = spawn_mlx(&p, &["run"], &[]);
    let (code1, _, err1) = finish(first);
    let (code2, _, err2) = finish(second);
    assert_eq!((code1, code2), (Some(0), Some(0)), "{err1}\n{err2}");
    assert!(!beside(&p, "overlap.log").exists(), "the stage ran twice at once");
    // Whichever waited for the other finds the stage up to date instead of running it again.
    assert_eq!(take_calls(&p), s(&["one"]));
    let both = format!("{err1}{err2}");
    assert_eq!(both.matches("one: ran").count(), 1, "{both}");
    assert_eq!(both.matches("one: up to date").count(), 1, "{both}");
    assert_eq!(locked_hash(&locked(&p, "one"), "outs", 0), hash_hex(b"one\n"));
    assert_eq!(dry_run(&p, &[]), s(&["one | up to date"]));
    assert!(stage_runs(&p).iter().all(|r| r.status == "finished"));
}

// ---------------------------------------------------------------------------------------------
// A stage whose outputs cannot be stored.

#[test]
fn stage_whose_output_cannot_be_stored_fails_with_the_commands_exit_code_recorded() {
    // The output is a fifo: the command succeeded, but there is nothing mlx can store.
    let p = project(
        r#"
[stages.odd]
cmd = "echo odd >> ../calls.log && mkfifo out.pipe"
outs = ["out.pipe"]

[stages.after]
cmd = "echo after >> ../calls.log"
deps = ["out.pipe"]
"#,
        None,
    );
    let (outcomes, report) = run_json(&p, &[], 1);
    assert_eq!(outcomes, s(&["odd=failed", "after=skipped"]));
    let odd = &report["stages"][0];
    let message = odd["message"].as_str().expect("message");
    assert!(message.contains("stage odd ran, but its outputs could not be stored"), "{message}");
    assert!(message.contains("out.pipe"), "{message}");
    assert_eq!(odd["exit_code"], 0);
    let run = stage_runs(&p).pop().expect("the stage's run");
    assert_eq!((run.status.as_str(), run.exit_code), ("failed", Some(0)), "{run:?}");
    let why = tags(&p, &run.id);
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0].0, "mlx.error");
    assert!(why[0].1.contains("its outputs could not be stored"), "{why:?}");
    assert!(!p.exists("mlx.lock"), "a stage that could not be stored is not recorded");
    assert_eq!(take_calls(&p), s(&["odd"]));
}

// ---------------------------------------------------------------------------------------------
// Signals.

fn interrupt_a_pipeline(signal: nix::sys::signal::Signal, codes: &[i32]) {
    let p = project(
        r#"
[stages.slow]
cmd = '''echo slow >> ../calls.log && if [ -n "$SLOW_PID" ]; then echo $$ > "$SLOW_PID"; sleep 60 & sleep 60; fi; echo done > slow.txt'''
outs = ["slow.txt"]

[stages.after]
cmd = "echo after >> ../calls.log && cp slow.txt after.txt"
deps = ["slow.txt"]
outs = ["after.txt"]
"#,
        None,
    );
    p.mlx(&["run", "-q"]).success();
    take_calls(&p);
    let before = lock_text(&p);
    let pid_file = beside(&p, "stage.pid");
    let child = spawn_mlx(&p, &["run", "--force"], &[("SLOW_PID", &pid_file)]);
    let mut child = ChildGuard(child);
    let pgid = i32::try_from(read_number(&pid_file, "the stage to start")).unwrap();
    let _group = GroupGuard(pgid);
    wait_for(Duration::from_secs(30), "both sleeps to start", || {
        (group_members(pgid).len() >= 3).then_some(())
    });
    let mlx_pid = nix::unistd::Pid::from_raw(i32::try_from(child.0.id()).unwrap());
    nix::sys::signal::kill(mlx_pid, signal).expect("signal mlx");
    let Some(status) = wait_child(&mut child.0, Duration::from_secs(30)) else {
        panic!("mlx did not exit after {signal:?}");
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut err).unwrap();
    assert!(codes.contains(&status.code().unwrap_or(-1)), "exit {status:?}: {err}");
    assert!(err.contains("slow: killed"), "{err}");
    assert!(!err.contains("after: ran"), "{err}");
    assert_eq!(take_calls(&p), s(&["slow"]), "the downstream stage did not start");
    let run = stage_runs(&p).pop().unwrap();
    assert_eq!((run.stage.as_deref(), run.status.as_str()), (Some("slow"), "killed"), "{run:?}");
    assert_eq!(lock_text(&p), before, "mlx.lock is unchanged for a killed stage");
    let left = wait_for(Duration::from_secs(10), "the stage's process group to be gone", || {
        let members = group_members(pgid);
        members.is_empty().then_some(members)
    });
    assert!(left.is_empty());
}

#[test]
fn sigint_stops_the_running_stage_group_marks_it_killed_and_leaves_the_lock() {
    interrupt_a_pipeline(nix::sys::signal::Signal::SIGINT, &[130]);
}

#[test]
fn sigterm_stops_the_running_stage_group_marks_it_killed_and_leaves_the_lock() {
    // 128 + 15, as the docs say (it used to be documented as 130).
    interrupt_a_pipeline(nix::sys::signal::Signal::SIGTERM, &[143]);
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn input_errors_exit_2_with_a_clear_message_and_run_nothing() {
    let two_stages =
        "[stages.train]\ncmd = \"echo train >> ../calls.log\"\n\n[stages.test]\ncmd = \"true\"\n";
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "unknown stage",
            two_stages,
            &["run", "trian"],
            &["unknown stage trian (did you mean train?)"],
        ),
        (
            "cycle",
            "[stages.a]\ncmd = \"true\"\ndeps = [\"b.txt\"]\nouts = [\"a.txt\"]\n\n[stages.b]\ncmd = \"true\"\ndeps = [\"a.txt\"]\nouts = [\"b.txt\"]\n",
            &["run"],
            &["cycle between stages: a -> b -> a"],
        ),
        (
            "same out twice",
            "[stages.a]\ncmd = \"true\"\nouts = [\"m.pkl\"]\n\n[stages.b]\ncmd = \"true\"\nouts = [\"m.pkl\"]\n",
            &["run"],
            &["mlx.toml:", "stages a and b both write m.pkl"],
        ),
        (
            "nested out",
            "[stages.a]\ncmd = \"true\"\nouts = [\"data\"]\n\n[stages.b]\ncmd = \"true\"\nouts = [\"data/x.csv\"]\n",
            &["run"],
            &["mlx.toml:", "output data/x.csv of stage b is inside output data of stage a"],
        ),
        (
            "missing dep",
            "[stages.a]\ncmd = \"true\"\ndeps = [\"nowhere.csv\"]\n",
            &["run"],
            &["stage a: dependency nowhere.csv does not exist and no stage produces it"],
        ),
        (
            "malformed toml",
            "[stages.a]\ncmd = \"true\"\ndeps = [\"x\"\n",
            &["run"],
            &["mlx.toml:3:"],
        ),
        (
            "unknown key",
            "[stages.a]\ncmd = \"true\"\noutz = [\"x\"]\n",
            &["run"],
            &["mlx.toml:3:1:", "outz"],
        ),
        (
            "--set of a missing key",
            "[stages.a]\ncmd = \"echo a >> ../calls.log\"\nparams = [\"train.lr\"]\n",
            &["run", "--set", "train.nope=1"],
            &["params file params.toml has no key train.nope"],
        ),
        (
            "--set without =",
            two_stages,
            &["run", "--set", "lr"],
            &["--set \"lr\": expected KEY=VALUE"],
        ),
        ("no stages", "", &["run"], &["mlx.toml declares no stages"]),
        (
            "--tag without --",
            two_stages,
            &["run", "--tag", "a=b"],
            &["--tag and --param go with a command"],
        ),
        ("--param without --", two_stages, &["run", "--param", "a=b"], &["go with a command"]),
        // Flags that would have no effect are refused rather than ignored.
        ("--single without stages", two_stages, &["run", "--single"], &["<STAGE>"]),
        ("--downstream without stages", two_stages, &["run", "--downstream"], &["<STAGE>"]),
        ("--dry-run with --jobs", two_stages, &["run", "-n", "-j", "2"], &["'--jobs <N>'"]),
        ("--dry-run with --keep-going", two_stages, &["run", "-n", "-k"], &["'--keep-going'"]),
        ("--jobs 0", two_stages, &["run", "--jobs", "0"], &["0"]),
    ];
    for (what, toml_text, args, expected) in cases {
        let p = project(toml_text, Some("[train]\nlr = 0.5\n"));
        let a = p.mlx(args).code(2);
        let err = stderr(&a);
        assert!(err.starts_with("error: "), "{what}: {err}");
        for e in *expected {
            assert!(err.contains(e), "{what}: expected {e:?} in:\n{err}");
        }
        assert_eq!(stdout(&a), "", "{what}");
        assert!(!p.exists("mlx.lock"), "{what}");
        assert_eq!(take_calls(&p), Vec::<String>::new(), "{what}");
        assert!(stage_runs(&p).is_empty(), "{what}");
        assert_eq!(p.read_string("params.toml"), "[train]\nlr = 0.5\n", "{what}");
        assert!(!p.exists(".mlx/params-backup.json"), "{what}");
    }
}

/// `frozen = true` (DVC's `frozen`): the stage never runs, whatever changed, and status never
/// reports it; a stage downstream still runs on what it left.
#[test]
fn a_frozen_stage_never_runs() {
    let p = TestProject::initialized();
    p.write("in.txt", "a\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.first]\ncmd = \"cp in.txt mid.txt\"\ndeps = [\"in.txt\"]\nouts = [\"mid.txt\"]\n\n\
             [stages.second]\ncmd = \"cp mid.txt out.txt\"\ndeps = [\"mid.txt\"]\nouts = [\"out.txt\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.mlx(&["run", "-q"]).success();
    let toml =
        p.read_string("mlx.toml").replace("[stages.first]\n", "[stages.first]\nfrozen = true\n");
    p.write("mlx.toml", toml);
    p.write("in.txt", "b\n");
    let status = p.json(&["status"]);
    assert_eq!(status["stages"], serde_json::json!([]), "{status:#}");
    let report = p.json(&["run"]);
    let first = &report["stages"][0];
    assert_eq!(first["stage"], "first");
    assert_eq!(first["outcome"], "up_to_date");
    assert!(first["message"].as_str().unwrap().contains("frozen"), "{report:#}");
    assert_eq!(p.read_string("mid.txt"), "a\n", "the frozen stage did not run");
    // Downstream runs on what it left, when its own inputs change.
    p.write("mid.txt", "by hand\n");
    p.mlx(&["run", "-q"]).success();
    assert_eq!(p.read_string("out.txt"), "by hand\n");
    assert_eq!(p.read_string("mid.txt"), "by hand\n");
}
