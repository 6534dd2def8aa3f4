//! `mlx metrics show|diff` and `mlx params diff`: real pipelines run with `mlx run`, committed,
//! changed and run again; values at a commit come from git objects and, for cached metrics
//! files (git-ignored), from `mlx.lock` at that commit and the cache.

use serde_json::json;

use crate::support::{TestProject, stderr, stdout};

/// A stage writing one metrics file of each format from `params.toml`.
const PIPELINE: &str = r#"
[stages.train]
cmd = "python3 train.py"
deps = ["train.py"]
params = ["train", "conf/model.yaml:tree.depth"]
metrics = ["eval/metrics.json", "eval/summary.toml", "eval/report.yaml", "eval/history.csv"]
"#;

const TRAIN: &str = r#"
import json, os, tomllib
p = tomllib.load(open("params.toml", "rb"))["train"]
lr = p["lr"]
os.makedirs("eval", exist_ok=True)
metrics = {"acc": round(1 - lr, 6), "loss": {"train": round(lr * 2, 6), "val": float("nan")},
           "epochs": p["epochs"], "model": "rf"}
json.dump(metrics, open("eval/metrics.json", "w"))
open("eval/summary.toml", "w").write(f"[score]\nf1 = {round(0.5 + lr, 6)}\n")
open("eval/report.yaml", "w").write(f"auc: {round(0.7 + lr, 6)}\nnested:\n  deep:\n    x: 1\n")
open("eval/history.csv", "w").write(f"step,loss\n0,1.0\n2,{lr}\n1,0.5\n")
"#;

fn params(lr: &str, epochs: u32) -> String {
    format!("[train]\nlr = {lr}\nepochs = {epochs}\n\n[train.opt]\nname = \"adam\"\n")
}

/// An initialized project with the pipeline run once at lr 0.1 and committed.
fn first_commit() -> (TestProject, String) {
    let p = TestProject::initialized();
    p.write("mlx.toml", PIPELINE);
    p.write("train.py", TRAIN);
    p.write("params.toml", params("0.1", 3));
    p.write("conf/model.yaml", "tree:\n  depth: 5\n  leaves: 8\n");
    p.mlx(&["run"]).success();
    let c1 = p.commit_all("lr 0.1");
    (p, c1)
}

/// `first_commit`, then lr 0.2 run in the workspace (not committed).
fn second_run() -> (TestProject, String) {
    let (p, c1) = first_commit();
    p.write("params.toml", params("0.2", 3));
    p.mlx(&["run"]).success();
    (p, c1)
}

#[test]
fn metrics_files_are_git_ignored_so_commits_hold_only_the_lock() {
    let (p, _) = first_commit();
    let files = p.git(&["ls-files"]);
    for f in ["metrics.json", "summary.toml", "report.yaml", "history.csv"] {
        assert!(!files.contains(&format!("eval/{f}")), "{files}");
    }
    assert!(files.contains("mlx.lock"), "{files}");
}

#[test]
fn metrics_show_flattens_every_format_in_the_workspace() {
    let (p, _) = second_run();
    let a = p.mlx(&["metrics", "show"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    PATH               METRIC         VALUE
    eval/history.csv   loss           0.2
    eval/metrics.json  acc            0.8
    eval/metrics.json  epochs         3
    eval/metrics.json  loss.train     0.4
    eval/metrics.json  loss.val       NaN
    eval/report.yaml   auc            0.9
    eval/report.yaml   nested.deep.x  1
    eval/summary.toml  score.f1       0.7
    --- stderr
    ");
}

#[test]
fn metrics_diff_compares_head_with_the_workspace() {
    let (p, _) = second_run();
    let a = p.mlx(&["metrics", "diff"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    PATH               METRIC      HEAD  WORKSPACE  CHANGE
    eval/history.csv   loss        0.1   0.2        +0.1 (+100.00%)
    eval/metrics.json  acc         0.9   0.8        -0.1 (-11.11%)
    eval/metrics.json  loss.train  0.2   0.4        +0.2 (+100.00%)
    eval/report.yaml   auc         0.8   0.9        +0.1 (+12.50%)
    eval/summary.toml  score.f1    0.6   0.7        +0.1 (+16.67%)
    --- stderr
    HEAD vs workspace: 5 of 8 metrics changed
    ");
}

#[test]
fn metrics_diff_between_two_commits_reads_the_cache_not_the_workspace() {
    let (p, c1) = second_run();
    let c2 = p.commit_all("lr 0.2");
    // A third value in the workspace, and the files themselves gone: neither may matter.
    p.write("params.toml", params("0.3", 3));
    p.mlx(&["run"]).success();
    p.remove("eval");
    let report = p.json(&["metrics", "diff", &c1, &c2]);
    assert_eq!(report["a"], json!({"label": c1, "commit": c1}));
    assert_eq!(report["b"], json!({"label": c2, "commit": c2}));
    assert_eq!((report["compared"].as_u64(), report["changed"].as_u64()), (Some(8), Some(5)));
    assert_eq!(report["errors"], json!([]));
    let acc = report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "eval/metrics.json" && m["key"] == "acc")
        .expect("acc changed");
    assert_eq!(acc["old"], json!(0.9));
    assert_eq!(acc["new"], json!(0.8));
    assert!((acc["change"].as_f64().unwrap() + 0.1).abs() < 1e-9, "{acc}");
    assert!((acc["change_pct"].as_f64().unwrap() + 11.111_111).abs() < 1e-4, "{acc}");
    assert_eq!(acc["changed"], json!(true));

    // HEAD~1 by name, with --all: unchanged metrics too, NaN as a string.
    let report = p.json(&["metrics", "diff", "HEAD~1", "HEAD", "--all"]);
    let rows = report["metrics"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let val = rows.iter().find(|m| m["key"] == "loss.val").unwrap();
    assert_eq!(
        val,
        &json!({"path": "eval/metrics.json", "key": "loss.val", "old": "NaN", "new": "NaN",
                "change": null, "change_pct": null, "changed": false})
    );

    // show at a revision: the committed values, from the cache.
    let shown = p.json(&["metrics", "show", "HEAD~1"]);
    assert_eq!(shown["rev"]["commit"], json!(c1));
    let files = shown["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    assert_eq!(
        files[1],
        json!({"path": "eval/metrics.json", "stage": "train",
               "metrics": {"acc": 0.9, "epochs": 3.0, "loss.train": 0.2, "loss.val": "NaN"}})
    );
    assert_eq!(files[0]["metrics"], json!({"loss": 0.1}), "the CSV's last step");
}

#[test]
fn markdown_tables_for_ci_comments() {
    let (p, _) = second_run();
    let a = p.mlx(&["metrics", "diff", "--md"]).success();
    insta::assert_snapshot!(stdout(&a), @r"
    | Path | Metric | HEAD | workspace | Change |
    |---|---|---|---|---|
    | eval/history.csv | loss | 0.1 | 0.2 | +0.1 (+100.00%) |
    | eval/metrics.json | acc | 0.9 | 0.8 | -0.1 (-11.11%) |
    | eval/metrics.json | loss.train | 0.2 | 0.4 | +0.2 (+100.00%) |
    | eval/report.yaml | auc | 0.8 | 0.9 | +0.1 (+12.50%) |
    | eval/summary.toml | score.f1 | 0.6 | 0.7 | +0.1 (+16.67%) |
    ");
    let a = p.mlx(&["params", "diff", "--md", "--all"]).success();
    insta::assert_snapshot!(stdout(&a), @r"
    | Path | Param | HEAD | workspace |
    |---|---|---|---|
    | conf/model.yaml | tree.depth | 5 | 5 |
    | params.toml | train.epochs | 3 | 3 |
    | params.toml | train.lr | 0.1 | 0.2 |
    | params.toml | train.opt.name | adam | adam |
    ");
    let a = p.mlx(&["metrics", "show", "HEAD", "--md"]).success();
    assert!(stdout(&a).starts_with("| Path | Metric | Value |\n|---|---|---|\n"), "{}", stdout(&a));
    // Nothing changed: the header alone, still a valid table.
    p.commit_all("lr 0.2");
    let a = p.mlx(&["metrics", "diff", "--md"]).success();
    assert_eq!(
        stdout(&a),
        "| Path | Metric | HEAD | workspace | Change |\n|---|---|---|---|---|\n"
    );
    assert_eq!(stderr(&a), "HEAD vs workspace: 0 of 8 metrics changed\n");
    p.mlx(&["metrics", "diff", "--md", "--json"]).code(2);
}

#[test]
fn params_diff_flattens_sections_and_reads_other_files() {
    let (p, _) = second_run();
    p.write("conf/model.yaml", "tree:\n  depth: 7\n  leaves: 8\n");
    let a = p.mlx(&["params", "diff"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    PATH             PARAM       HEAD  WORKSPACE
    conf/model.yaml  tree.depth  5     7
    params.toml      train.lr    0.1   0.2
    --- stderr
    HEAD vs workspace: 2 of 4 params changed
    ");
    // Between commits, from git objects; the workspace file does not count.
    let c2 = p.commit_all("lr 0.2, depth 7");
    p.write("params.toml", params("0.5", 9));
    let report = p.json(&["params", "diff", "HEAD~1", &c2]);
    assert_eq!(
        report["params"],
        json!([
            {"file": "conf/model.yaml", "key": "tree.depth", "old": 5, "new": 7, "changed": true,
             "stages": ["train"]},
            {"file": "params.toml", "key": "train.lr", "old": 0.1, "new": 0.2, "changed": true,
             "stages": ["train"]},
        ])
    );
    assert_eq!((report["compared"].as_u64(), report["changed"].as_u64()), (Some(4), Some(2)));
    // A key added in the workspace shows `-` on the old side; a removed one on the new side.
    p.write("params.toml", "[train]\nlr = 0.2\nepochs = 3\nseed = 1\n");
    let a = p.mlx(&["params", "diff"]).success();
    insta::assert_snapshot!(stdout(&a), @r"
    PATH         PARAM           HEAD  WORKSPACE
    params.toml  train.opt.name  adam  -
    params.toml  train.seed      -     1
    ");
}

#[test]
fn a_metrics_file_missing_on_one_side_shows_a_dash() {
    let (p, _) = second_run();
    // A second stage, only in the workspace, with its own metrics file.
    let mut toml = PIPELINE.to_owned();
    toml.push_str(
        "\n[stages.score]\ncmd = \"mkdir -p extra && echo '{\\\"f1\\\": 0.5}' > extra/score.json\"\nmetrics = [\"extra/score.json\"]\n",
    );
    p.write("mlx.toml", &toml);
    p.mlx(&["run", "score"]).success();
    let a = p.mlx(&["metrics", "diff"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    PATH               METRIC      HEAD  WORKSPACE  CHANGE
    eval/history.csv   loss        0.1   0.2        +0.1 (+100.00%)
    eval/metrics.json  acc         0.9   0.8        -0.1 (-11.11%)
    eval/metrics.json  loss.train  0.2   0.4        +0.2 (+100.00%)
    eval/report.yaml   auc         0.8   0.9        +0.1 (+12.50%)
    eval/summary.toml  score.f1    0.6   0.7        +0.1 (+16.67%)
    extra/score.json   f1          -     0.5        -
    --- stderr
    HEAD vs workspace: 6 of 9 metrics changed
    ");
    // Declared but not produced in the workspace: a warning, and `-` on that side.
    p.remove("eval/summary.toml");
    let a = p.mlx(&["metrics", "diff"]).success();
    let out = stdout(&a);
    assert!(out.contains("eval/summary.toml  score.f1    0.6   -          -\n"), "{out}");
    assert!(
        stderr(&a).starts_with("warning: eval/summary.toml: does not exist\n"),
        "{}",
        stderr(&a)
    );
    let a = p.mlx(&["metrics", "show"]).success();
    assert!(stdout(&a).contains("eval/summary.toml  -              -\n"), "{}", stdout(&a));
}

#[test]
fn a_cache_object_that_is_gone_is_a_warning_not_a_failure() {
    let (p, _) = second_run();
    let lock: toml::Table = toml::from_str(&p.read_string("mlx.lock")).unwrap();
    let git_lock: toml::Table = toml::from_str(&p.git(&["show", "HEAD:mlx.lock"])).unwrap();
    let outs = git_lock["stages"]["train"]["outs"].as_array().unwrap();
    let old = outs.iter().find(|o| o["path"].as_str() == Some("eval/metrics.json")).unwrap();
    let hash = old["hash"].as_str().unwrap();
    assert_ne!(lock, git_lock);
    std::fs::remove_file(p.object_path(hash)).unwrap();
    let a = p.mlx(&["metrics", "diff", "--json"]).success();
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(
        report["errors"],
        json!([{"rev": "HEAD", "path": "eval/metrics.json", "error": format!(
            "object {} is not in the cache (fetch it with `mlx fetch --rev HEAD`)", &hash[..8])}])
    );
    let acc = report["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "acc").unwrap();
    assert_eq!((&acc["old"], &acc["new"]), (&json!(null), &json!(0.8)));
    let a = p.mlx(&["metrics", "show", "HEAD"]).success();
    assert!(
        stderr(&a).starts_with(&format!("warning: HEAD:eval/metrics.json: object {}", &hash[..8])),
        "{}",
        stderr(&a)
    );
}

#[test]
fn uncached_metrics_files_are_read_from_git() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        "[stages.eval]\ncmd = \"cp score.txt m.yaml\"\ndeps = [\"score.txt\"]\n\
         metrics = [{ path = \"m.yaml\", cache = false }]\n",
    );
    p.write("score.txt", "score: 1\nloss: .nan\n");
    p.mlx(&["run"]).success();
    p.commit_all("score 1");
    assert!(p.git(&["ls-files"]).contains("m.yaml"));
    p.write("score.txt", "score: 3\nloss: 0.5\n");
    p.mlx(&["run"]).success();
    let a = p.mlx(&["metrics", "diff"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    PATH    METRIC  HEAD  WORKSPACE  CHANGE
    m.yaml  loss    NaN   0.5        -
    m.yaml  score   1     3          +2 (+200.00%)
    --- stderr
    HEAD vs workspace: 2 of 2 metrics changed
    ");
    // Commit the change: the old value still comes from the first commit's tree.
    p.commit_all("score 3");
    let report = p.json(&["metrics", "diff", "HEAD~1", "HEAD"]);
    let score = report["metrics"].as_array().unwrap().iter().find(|m| m["key"] == "score").unwrap();
    assert_eq!((&score["old"], &score["new"]), (&json!(1.0), &json!(3.0)));
}

#[test]
fn a_renamed_metrics_file_is_read_under_each_sides_name() {
    let (p, _) = first_commit();
    let renamed = PIPELINE.replace("eval/metrics.json", "eval/scores.json");
    p.write("mlx.toml", renamed);
    p.write("train.py", TRAIN.replace("eval/metrics.json", "eval/scores.json"));
    p.mlx(&["run"]).success();
    let report = p.json(&["metrics", "diff"]);
    let mut rows: Vec<(String, String, serde_json::Value, serde_json::Value)> = report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().to_owned(),
                m["key"].as_str().unwrap().to_owned(),
                m["old"].clone(),
                m["new"].clone(),
            )
        })
        .collect();
    rows.retain(|r| r.1 == "acc");
    assert_eq!(
        rows,
        [
            ("eval/metrics.json".into(), "acc".into(), json!(0.9), json!(null)),
            ("eval/scores.json".into(), "acc".into(), json!(null), json!(0.9)),
        ]
    );
}

#[test]
fn unknown_revisions_are_input_errors() {
    let (p, _) = first_commit();
    for args in [
        &["metrics", "diff", "nope"][..],
        &["metrics", "diff", "HEAD", "nope"],
        &["metrics", "show", "nope"],
        &["params", "diff", "nope"],
    ] {
        let a = p.mlx(args).code(2);
        assert_eq!(
            stderr(&a),
            "error: unknown revision \"nope\": git knows no commit, branch or tag by that name\n\
             hint: list the branches and tags with: git branch --all && git tag\n",
            "{args:?}"
        );
        assert_eq!(stdout(&a), "");
    }
}

#[test]
fn no_commits_yet_is_an_input_error_and_no_pipeline_is_empty() {
    let p = TestProject::initialized();
    let a = p.mlx(&["metrics", "diff"]).code(2);
    assert!(stderr(&a).contains("no commits yet"), "{}", stderr(&a));
    p.commit_all("init");
    let a = p.mlx(&["metrics", "diff"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(stderr(&a), "HEAD vs workspace: 0 of 0 metrics changed\n");
    let a = p.mlx(&["metrics", "show"]).success();
    assert!(stderr(&a).contains("no metrics files"), "{}", stderr(&a));
    assert_eq!(p.json(&["params", "diff"])["params"], json!([]));
}

#[test]
fn a_broken_params_file_at_a_revision_names_it() {
    let (p, c1) = first_commit();
    p.write("params.toml", "[train\n");
    p.commit_all("broken");
    let a = p.mlx(&["params", "diff", &c1, "HEAD"]).code(2);
    assert!(stderr(&a).starts_with("error: HEAD:params.toml:1:"), "{}", stderr(&a));
}
