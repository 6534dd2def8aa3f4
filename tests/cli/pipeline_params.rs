//! Params as DVC users write them: `params.yaml` (then `params.json`) as the default params file,
//! `--set KEY=VALUE` finding the file that defines the key, `${…}` and `vars` interpolating
//! params into commands and paths (a changed value makes the stage stale), `--dry-run --set`
//! planning with the overrides, and two `mlx run --set` started at once (issue 13) taking turns.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::run::{metrics, params, wait_child, wait_for};
use crate::support::{TestProject, stderr, stdout};

const YAML: &str = "# learning settings\ntrain:\n  lr: 0.1   # the rate\n  epochs: 3\nmodel: rf\n";

/// A stage that reads `train.lr` from params.yaml (after `$SLEEP` seconds), writes it to
/// `lr.txt` and logs it as the metric `score`.
const TRAIN: &str = r#"
[stages.train]
cmd = '''echo start >> ../started.log && sleep \${SLEEP:-0} && sed -n 's/^  lr: *\([0-9.]*\).*/\1/p' params.yaml > lr.txt && printf '{"score": %s}' "$(cat lr.txt)" > metrics.json'''
params = ["train.lr"]
outs = ["lr.txt"]
metrics = ["metrics.json"]
"#;

fn yaml_project(stages: &str) -> TestProject {
    let p = TestProject::initialized();
    p.write("params.yaml", YAML);
    p.write("mlx.toml", stages);
    p
}

/// `mlx run --dry-run ARGS`, which must succeed: the table rows as `stage | what | why`.
fn dry_run(p: &TestProject, args: &[&str]) -> Vec<String> {
    let mut all = vec!["run", "--dry-run"];
    all.extend_from_slice(args);
    let a = p.mlx(&all).success();
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

/// `mlx run ARGS --json` (exit 0): the stages as `name=outcome`, and the report.
fn run_json(p: &TestProject, args: &[&str]) -> (Vec<String>, serde_json::Value) {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("--json");
    let a = p.mlx(&all).success();
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", p.transcript(&a)));
    let outcomes = report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| format!("{}={}", s["stage"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    (outcomes, report)
}

/// The `[stages.NAME]` entry of `mlx.lock`.
fn locked(p: &TestProject, stage: &str) -> toml::Table {
    let lock: toml::Table = p.read_string("mlx.lock").parse().expect("mlx.lock is TOML");
    lock["stages"][stage].as_table().expect("a stage entry").clone()
}

/// Ids of the runs of `stage`, oldest first.
fn stage_run_ids(p: &TestProject, stage: &str) -> Vec<String> {
    let conn = p.db();
    let mut stmt = conn.prepare("SELECT id FROM runs WHERE stage = ?1 ORDER BY id").unwrap();
    stmt.query_map([stage], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn param_of(p: &TestProject, run: &str, key: &str) -> Option<String> {
    params(p, run).into_iter().find(|(k, _, _)| k == key).map(|(_, v, _)| v)
}

#[test]
fn params_yaml_is_the_default_params_file_and_set_finds_the_file_of_its_key() {
    let p = yaml_project(TRAIN);
    p.mlx(&["run", "-q"]).success();
    assert_eq!(p.read_string("lr.txt"), "0.1\n");
    let entry = locked(&p, "train");
    assert_eq!(entry["params"]["params.yaml:train.lr"].as_float(), Some(0.1), "{entry:?}");

    let (outcomes, report) = run_json(&p, &["--set", "train.lr=0.5"]);
    assert_eq!(outcomes, ["train=ran"]);
    assert_eq!(p.read_string("lr.txt"), "0.5\n");
    assert_eq!(p.read_string("params.yaml"), YAML, "the YAML file, comments and all, is back");
    assert!(!p.exists(".mlx/params-backup.json"));
    let run = report["stages"][0]["run"].as_str().unwrap();
    assert_eq!(param_of(&p, run, "params.yaml:train.lr").as_deref(), Some("0.5"));
    assert_eq!(metrics(&p, run), [("score".to_owned(), 0, Some(0.5))]);
    assert_eq!(dry_run(&p, &[]), ["train | would run | param params.yaml:train.lr changed"]);

    // A key that no params file defines: exit 2, naming the files searched.
    let a = p.mlx(&["run", "--set", "nope=1"]).code(2);
    assert_eq!(
        stderr(&a),
        "error: --set nope: no params file defines nope (searched params.yaml)\n\
         hint: name the file: --set FILE:nope=VALUE, or declare the param in a stage's `params`\n"
    );
    // A key two files define: exit 2, asking for FILE:KEY.
    p.write("other.json", r#"{"train": {"lr": 1}}"#);
    p.write(
        "mlx.toml",
        format!("{TRAIN}\n[stages.other]\ncmd = \"true\"\nparams = [\"other.json:train.lr\"]\n"),
    );
    let a = p.mlx(&["run", "--set", "train.lr=0.2"]).code(2);
    assert_eq!(
        stderr(&a),
        "error: --set train.lr: train.lr is defined in other.json and params.yaml\n\
         hint: name the file: --set other.json:train.lr=VALUE\n"
    );
    let before = stage_run_ids(&p, "train").len();
    p.mlx(&["run", "-q", "--set", "params.yaml:train.lr=0.2"]).success();
    assert_eq!(p.read_string("lr.txt"), "0.2\n");
    assert_eq!(stage_run_ids(&p, "train").len(), before + 1);
    assert_eq!(p.read_string("params.yaml"), YAML);
    assert_eq!(p.read_string("other.json"), r#"{"train": {"lr": 1}}"#);
}

#[test]
fn params_json_is_the_default_when_there_is_no_toml_or_yaml() {
    let p = TestProject::initialized();
    p.write("params.json", r#"{"train": {"lr": 0.3}}"#);
    p.write("mlx.toml", "[stages.t]\ncmd = \"echo ${train.lr} > out.txt\"\nouts = [\"out.txt\"]\n");
    p.mlx(&["run", "-q"]).success();
    assert_eq!(p.read_string("out.txt"), "0.3\n");
    p.mlx(&["run", "-q", "--set", "train.lr=0.4"]).success();
    assert_eq!(p.read_string("out.txt"), "0.4\n");
    assert_eq!(p.read_string("params.json"), r#"{"train": {"lr": 0.3}}"#);
}

#[test]
fn dry_run_with_set_plans_with_the_overrides_and_writes_nothing() {
    let p = yaml_project(TRAIN);
    p.mlx(&["run", "-q"]).success();
    let lock = p.read_string("mlx.lock");
    let runs = stage_run_ids(&p, "train");
    assert_eq!(
        dry_run(&p, &["--set", "train.lr=0.5"]),
        ["train | would run | param params.yaml:train.lr changed"]
    );
    assert_eq!(dry_run(&p, &["--set", "train.lr=0.1"]), ["train | up to date"]);
    assert_eq!(dry_run(&p, &["--set", "params.yaml:train.lr=0.1"]), ["train | up to date"]);
    let a = p.mlx(&["run", "--dry-run", "--set", "train.nope=1"]).code(2);
    assert!(stderr(&a).contains("params file params.yaml has no key train.nope"), "{}", stderr(&a));
    assert_eq!(p.read_string("params.yaml"), YAML);
    assert_eq!(p.read_string("mlx.lock"), lock);
    assert!(!p.exists(".mlx/params-backup.json"));
    assert_eq!(stage_run_ids(&p, "train"), runs);
}

const INTERPOLATED: &str = r#"
vars = [{ out = "model.txt" }]

[stages.train]
cmd = "echo lr=${train.lr} model=${model} > ${out}"
outs = ["${out}"]
"#;

#[test]
fn interpolated_params_are_tracked_and_a_changed_value_makes_the_stage_stale() {
    let p = yaml_project(INTERPOLATED);
    let (outcomes, report) = run_json(&p, &[]);
    assert_eq!(outcomes, ["train=ran"]);
    assert_eq!(p.read_string("model.txt"), "lr=0.1 model=rf\n");
    let entry = locked(&p, "train");
    assert_eq!(
        entry["cmd"].as_array().unwrap()[0].as_str(),
        Some("echo lr=0.1 model=rf > model.txt")
    );
    let mut params_locked: Vec<&String> = entry["params"].as_table().unwrap().keys().collect();
    params_locked.sort();
    assert_eq!(params_locked, ["params.yaml:model", "params.yaml:train.lr"]);
    let run = report["stages"][0]["run"].as_str().unwrap();
    assert_eq!(param_of(&p, run, "params.yaml:train.lr").as_deref(), Some("0.1"));
    assert_eq!(param_of(&p, run, "params.yaml:model").as_deref(), Some("rf"));
    assert_eq!(dry_run(&p, &[]), ["train | up to date"]);

    // A value used only through `${…}` changes: the stage is stale, and says why.
    p.write("params.yaml", YAML.replace("lr: 0.1", "lr: 0.2"));
    assert_eq!(
        dry_run(&p, &[]),
        ["train | would run | command changed, param params.yaml:train.lr changed"]
    );
    let status = p.json(&["status"]);
    assert_eq!(status["stages"][0]["stage"], "train", "{status}");
    p.mlx(&["run", "-q"]).success();
    assert_eq!(p.read_string("model.txt"), "lr=0.2 model=rf\n");
    // A value no stage uses changes nothing.
    p.write("params.yaml", YAML.replace("lr: 0.1", "lr: 0.2").replace("epochs: 3", "epochs: 4"));
    assert_eq!(dry_run(&p, &[]), ["train | up to date"]);
    // Back to the first value: the run cache has its outputs.
    p.write("params.yaml", YAML);
    let (outcomes, _) = run_json(&p, &[]);
    assert_eq!(outcomes, ["train=restored"]);
    assert_eq!(p.read_string("model.txt"), "lr=0.1 model=rf\n");
    // --set reaches `${…}` too, for the run only.
    p.mlx(&["run", "-q", "--set", "train.lr=0.3"]).success();
    assert_eq!(p.read_string("model.txt"), "lr=0.3 model=rf\n");
    assert_eq!(p.read_string("params.yaml"), YAML);
    assert_eq!(
        dry_run(&p, &["--set", "model=gbm"]),
        [
            "train | would run | command changed, param params.yaml:train.lr changed, param params.yaml:model changed"
        ]
    );
}

#[test]
fn params_diff_reads_a_commits_default_yaml_file_and_its_interpolated_stages() {
    let p = yaml_project(INTERPOLATED);
    p.commit_all("v1");
    p.write("params.yaml", YAML.replace("lr: 0.1", "lr: 0.2"));
    let a = p.mlx(&["params", "diff"]).success();
    let out = stdout(&a);
    let row = out.lines().find(|l| l.contains("train.lr")).unwrap_or_else(|| panic!("{out}"));
    assert!(row.starts_with("params.yaml") && row.contains("0.1") && row.contains("0.2"), "{out}");
}

/// Spawn `mlx ARGS` in the background with `SLEEP` set for the stages.
fn spawn_mlx(p: &TestProject, args: &[&str], sleep: &str) -> Child {
    let mut cmd = p.mlx_std();
    cmd.env("SLEEP", sleep)
        .args(args)
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

fn started(p: &TestProject) -> usize {
    let log = p.root().parent().unwrap().join("started.log");
    std::fs::read_to_string(log).map_or(0, |t| t.lines().count())
}

/// Issue 13: two `mlx run --force --set train.lr=…` started together recorded the wrong
/// metrics for both and poisoned the run cache, because the second rewrote the params file
/// while the first ran. Now the second waits before it touches any file.
#[test]
fn two_runs_with_set_at_once_take_turns_and_each_records_its_own_params_and_metrics() {
    let p = yaml_project(TRAIN);
    let first = spawn_mlx(&p, &["run", "--force", "--set", "train.lr=0.4", "--json"], "1");
    // The first run's stage has read nothing yet (it sleeps first) when the second starts.
    wait_for(Duration::from_secs(30), "the first stage to start", || {
        (started(&p) == 1).then_some(())
    });
    let second = spawn_mlx(&p, &["run", "--force", "--set", "train.lr=0.5", "--json"], "0");
    let (code_a, out_a, err_a) = finish(first);
    let (code_b, out_b, err_b) = finish(second);
    assert_eq!((code_a, code_b), (Some(0), Some(0)), "{err_a}\n{err_b}");
    assert!(
        err_b.contains("waiting for another mlx run (pid "),
        "the second says why it waits: {err_b}"
    );
    let run_of = |out: &str| -> String {
        let report: serde_json::Value = serde_json::from_str(out).unwrap();
        report["stages"][0]["run"].as_str().unwrap().to_owned()
    };
    for (out, lr) in [(&out_a, "0.4"), (&out_b, "0.5")] {
        let run = run_of(out);
        assert_eq!(param_of(&p, &run, "params.yaml:train.lr").as_deref(), Some(lr));
        let score: f64 = lr.parse().unwrap();
        assert_eq!(metrics(&p, &run), [("score".to_owned(), 0, Some(score))], "run {run}");
    }
    assert_eq!(p.read_string("params.yaml"), YAML);
    assert!(!p.exists(".mlx/params-backup.json"));
    // The run cache holds each variant's own outputs.
    let runs = stage_run_ids(&p, "train");
    assert_eq!(runs.len(), 2);
    for lr in ["0.4", "0.5", "0.4"] {
        let (outcomes, _) = run_json(&p, &["--set", &format!("train.lr={lr}")]);
        assert!(outcomes == ["train=restored"] || outcomes == ["train=up_to_date"], "{outcomes:?}");
        assert_eq!(p.read_string("lr.txt"), format!("{lr}\n"));
    }
    assert_eq!(stage_run_ids(&p, "train"), runs, "nothing ran again");
    assert!(!Path::new(&p.path(".mlx/params-backup.json")).exists());
}
