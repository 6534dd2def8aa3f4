//! DVC's layouts and DVCLive's output read natively: a stage whose output folder holds its
//! metrics and plots files (DVC's get-started `evaluate`), the top-level `metrics` list, and the
//! per-step histories, summary and params a script logs through DVCLive's real API (from PyPI,
//! see `support::dvc`).

use serde_json::{Value, json};

use crate::support::{TestProject, dvc, stderr, stdout};

/// `mlx ARGS` with DVCLive's Python first on PATH.
fn mlx_live(p: &TestProject, args: &[&str]) -> assert_cmd::assert::Assert {
    p.mlx_cmd().env("PATH", dvc::path_with_venv()).args(args).assert()
}

fn sql(p: &TestProject, query: &str) -> Value {
    p.json(&["sql", query])["rows"].clone()
}

/// A training script logging through DVCLive: a param, two params nested, `train/loss` and
/// `acc` for three steps, and a value in the summary only. (mlx records the run, so DVCLive
/// need not save a DVC experiment: that would commit to git.)
const TRAIN: &str = "\
from dvclive import Live

with Live(save_dvc_exp=False) as live:
    live.log_param('lr', 0.1)
    live.log_params({'model': {'depth': 3, 'kind': 'rf'}})
    for step in range(3):
        live.log_metric('train/loss', 1.0 / (step + 1))
        live.log_metric('acc', step / 10, timestamp=True)
        live.next_step()
    live.summary['best'] = 7
";

fn append_toml(p: &TestProject, text: &str) {
    p.write("mlx.toml", format!("{}\n{text}", p.read_string("mlx.toml")));
}

#[test]
fn a_stage_logging_with_dvclive_gets_its_histories_summary_and_params() {
    let p = TestProject::initialized();
    p.write("train.py", TRAIN);
    append_toml(
        &p,
        "[stages.train]\ncmd = \"python train.py\"\ndeps = [\"train.py\"]\nouts = [\"dvclive\"]\n",
    );
    p.commit_all("train with DVCLive");
    mlx_live(&p, &["run", "-q"]).success();
    assert!(p.exists("dvclive/plots/metrics/train/loss.tsv"), "DVCLive wrote its folder");

    // Every step of each history, with DVCLive's names; the summary adds only what no history
    // has (`best`, at the last step); `acc` kept DVCLive's timestamps.
    let rows = sql(&p, "SELECT key, step, value FROM metrics ORDER BY key, step");
    assert_eq!(
        rows,
        json!([
            ["acc", 0, 0.0],
            ["acc", 1, 0.1],
            ["acc", 2, 0.2],
            ["best", 2, 7.0],
            ["train/loss", 0, 1.0],
            ["train/loss", 1, 0.5],
            ["train/loss", 2, 1.0 / 3.0],
        ])
    );
    let tsv = p.read_string("dvclive/plots/metrics/acc.tsv");
    let stamps: Vec<Value> = tsv
        .lines()
        .skip(1)
        .map(|l| json!([l.split('\t').next().unwrap().parse::<i64>().unwrap()]))
        .collect();
    let logged = sql(&p, "SELECT timestamp FROM metrics WHERE key = 'acc' ORDER BY step");
    assert_eq!(logged, json!(stamps));
    let latest = sql(&p, "SELECT key, step, value FROM latest_metrics ORDER BY key");
    assert_eq!(latest, json!([["acc", 2, 0.2], ["best", 2, 7.0], ["train/loss", 2, 1.0 / 3.0]]));
    let params = sql(&p, "SELECT key, value FROM params ORDER BY key");
    assert_eq!(params, json!([["lr", "0.1"], ["model.depth", "3"], ["model.kind", "rf"]]));

    // The run as `exp show` has it, and the plots page draws the histories.
    let run = sql(&p, "SELECT id FROM runs")[0][0].as_str().unwrap().to_owned();
    let shown = p.json(&["exp", "show", &run]);
    let text = shown.to_string();
    assert!(text.contains("train/loss") && text.contains("model.depth"), "{shown:#}");
    let found =
        p.json(&["exp", "list", "--filter", "metrics.train/loss < 0.5 and params.lr = 0.1"]);
    assert_eq!(found["experiments"].as_array().unwrap().len(), 1, "{found:#}");
    assert_eq!(found["experiments"][0]["metrics"]["train/loss"], json!(1.0 / 3.0));
    let none = p.json(&["exp", "list", "--filter", "metrics.train/loss > 0.5"]);
    assert_eq!(none["experiments"], json!([]));
    let report = p.json(&["plots", "show"]);
    let loss = report["plots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "metrics.train/loss")
        .unwrap_or_else(|| panic!("no history plot: {report:#}"));
    assert_eq!(loss["series"][0]["points"], json!([[0.0, 1.0], [1.0, 0.5], [2.0, 1.0 / 3.0]]));

    // Nothing changed: nothing runs, nothing more is logged.
    let a = mlx_live(&p, &["run"]).success();
    assert!(stderr(&a).contains("train: up to date"), "{}", stderr(&a));
    assert_eq!(sql(&p, "SELECT count(*) FROM runs"), json!([[1]]));
}

/// DVC's get-started layout: `evaluate` writes the folder `eval` (DVCLive's folder) holding
/// its metrics and plots; the top-level `metrics` list and a `[plots.NAME]` table read them.
fn get_started() -> TestProject {
    let p = TestProject::initialized();
    p.write("data/data.txt", "1\n2\n3\n4\n");
    p.write(
        "src/train.py",
        "import os\nos.makedirs('model', exist_ok=True)\n\
         total = sum(int(l) for l in open('data/data.txt'))\n\
         open('model/model.txt', 'w').write(str(total))\n",
    );
    p.write(
        "src/evaluate.py",
        "import json, os\nfrom dvclive import Live\n\
         total = int(open('model/model.txt').read())\n\
         with Live('eval', dvcyaml=None, save_dvc_exp=False) as live:\n\
         \x20   for step in range(2):\n\
         \x20       live.log_metric('loss', total / (step + 1))\n\
         \x20       live.next_step()\n\
         \x20   live.summary['avg_prec'] = total / 100\n\
         os.makedirs('eval/plots/sklearn', exist_ok=True)\n\
         json.dump([{'fpr': 0, 'tpr': 0}, {'fpr': 1, 'tpr': total / 10}], \
         open('eval/plots/sklearn/roc.json', 'w'))\n\
         json.dump([{'recall': 0, 'precision': 1}, {'recall': 1, 'precision': total / 100}], \
         open('eval/plots/sklearn/prc.json', 'w'))\n",
    );
    append_toml(
        &p,
        r#"metrics = ["eval/metrics.json"]

[stages.train]
cmd = "python src/train.py"
deps = ["data/data.txt", "src/train.py"]
outs = ["model"]

[stages.evaluate]
cmd = "python src/evaluate.py"
deps = ["model", "src/evaluate.py"]
outs = ["eval"]
plots = [{ path = "eval/plots/sklearn/prc.json", x = "recall", y = "precision" }]

[plots.roc]
x = "fpr"
y = { "eval/plots/sklearn/roc.json" = "tpr" }
"#,
    );
    // DVC's top-level keys come first in mlx.toml: move `metrics` above every table.
    let text = p.read_string("mlx.toml");
    let (before, after) = text.split_once("metrics = [\"eval/metrics.json\"]\n").unwrap();
    p.write("mlx.toml", format!("metrics = [\"eval/metrics.json\"]\n{before}{after}"));
    p.commit_all("get-started");
    p
}

#[test]
fn the_get_started_layout_runs_and_shows_its_metrics_and_plots() {
    let p = get_started();
    mlx_live(&p, &["run", "-q"]).success();

    // The folder is the output: stored once, its files not on their own.
    let lock = p.read_string("mlx.lock");
    assert!(lock.contains("path = \"eval\""), "{lock}");
    assert!(!lock.contains("eval/metrics.json"), "{lock}");

    // The top-level metrics file is read from inside the folder.
    let shown = p.json(&["metrics", "show"]);
    let file = &shown["files"][0];
    assert_eq!(file["path"], "eval/metrics.json");
    assert_eq!(file["stage"], "evaluate");
    assert_eq!(file["metrics"]["avg_prec"], json!(0.1));
    assert_eq!(file["metrics"]["loss"], json!(5.0));

    // The evaluate run has the history and the summary.
    let rows = sql(
        &p,
        "SELECT m.key, m.step, m.value FROM metrics m JOIN runs r ON r.id = m.run_id \
         WHERE r.stage = 'evaluate' ORDER BY m.key, m.step",
    );
    assert_eq!(rows, json!([["avg_prec", 1, 0.1], ["loss", 0, 10.0], ["loss", 1, 5.0]]));

    // The stage's plots folder and the top-level table draw from inside `eval`.
    let report = p.json(&["plots", "show"]);
    let names: Vec<&str> =
        report["plots"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["eval/plots/sklearn/prc.json", "roc", "metrics.loss"], "{report:#}");
    let points = |name: &str| {
        let plot = report["plots"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap();
        plot["series"][0]["points"].clone()
    };
    assert_eq!(points("roc"), json!([[0.0, 0.0], [1.0, 1.0]]));
    assert_eq!(points("eval/plots/sklearn/prc.json"), json!([[0.0, 1.0], [1.0, 0.1]]));
    assert_eq!(points("metrics.loss"), json!([[0.0, 10.0], [1.0, 5.0]]));

    // Re-running runs nothing.
    let a = mlx_live(&p, &["run"]).success();
    let err = stderr(&a);
    assert!(err.contains("train: up to date") && err.contains("evaluate: up to date"), "{err}");
    assert_eq!(stdout(&a), "");
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn metrics_and_plots_inside_a_folder_are_read_at_other_revisions() {
    let p = get_started();
    mlx_live(&p, &["run", "-q"]).success();
    p.commit_all("first results");
    let first = p.rev_parse("HEAD");
    p.write("data/data.txt", "10\n20\n");
    mlx_live(&p, &["run", "-q"]).success();

    // The old side reads `eval/metrics.json` through the folder's manifest in the cache.
    let diff = p.json(&["metrics", "diff", &first]);
    assert_eq!(diff["errors"], json!([]), "{diff:#}");
    let row = diff["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "avg_prec")
        .unwrap_or_else(|| panic!("{diff:#}"));
    assert_eq!((row["old"].clone(), row["new"].clone()), (json!(0.1), json!(0.3)));
    let shown = p.json(&["metrics", "show", &first]);
    assert_eq!(shown["files"][0]["metrics"]["avg_prec"], json!(0.1));

    // The top-level plot, at both revisions.
    let report = p.json(&["plots", "diff", &first]);
    assert_eq!(report["problems"], json!([]), "{report:#}");
    for (name, old, new) in [("roc", 1.0, 3.0), ("eval/plots/sklearn/prc.json", 0.1, 0.3)] {
        let plot = report["plots"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap();
        let points: Vec<&Value> =
            plot["series"].as_array().unwrap().iter().map(|s| &s["points"][1][1]).collect();
        assert_eq!(points, [&json!(old), &json!(new)], "{plot:#}");
    }
}

#[test]
fn a_folder_that_is_not_dvclives_is_not_read_as_one() {
    let p = TestProject::initialized();
    // A metrics.json and a plots/metrics folder whose tables are not DVCLive's histories.
    p.write(
        "make.py",
        "import os\nos.makedirs('out/plots/metrics', exist_ok=True)\n\
         open('out/metrics.json', 'w').write('{\"a\": {\"b\": 1}, \"step\": 4}')\n\
         open('out/params.yaml', 'w').write('lr: 9\\n')\n\
         open('out/plots/metrics/loss.tsv', 'w').write('epoch\\tloss\\n0\\t1\\n')\n",
    );
    append_toml(
        &p,
        "[stages.make]\ncmd = \"python3 make.py\"\nouts = [\"out\"]\nmetrics = [\"out/metrics.json\"]\n",
    );
    p.mlx(&["run", "-q"]).success();
    // Read as a plain metrics file: dotted keys, `step` a value like any other, no params.
    let rows = sql(&p, "SELECT key, step, value FROM metrics ORDER BY key");
    assert_eq!(rows, json!([["a.b", 0, 1.0], ["step", 0, 4.0]]));
    assert_eq!(sql(&p, "SELECT count(*) FROM params"), json!([[0]]));
}

#[test]
fn a_command_run_picks_up_the_dvclive_folder_it_wrote() {
    let p = TestProject::initialized();
    p.write("train.py", TRAIN);
    p.commit_all("train");
    mlx_live(&p, &["run", "-q", "--name", "first", "--", "python", "train.py"]).success();
    let rows = sql(&p, "SELECT key, count(*), max(step) FROM metrics GROUP BY key ORDER BY key");
    assert_eq!(rows, json!([["acc", 3, 2], ["best", 1, 2], ["train/loss", 3, 2]]));
    let params = sql(&p, "SELECT key, value FROM params ORDER BY key");
    assert_eq!(params, json!([["lr", "0.1"], ["model.depth", "3"], ["model.kind", "rf"]]));

    // A command that writes no DVCLive output gets nothing from the folder the first left.
    p.mlx(&["run", "-q", "--name", "second", "--", "true"]).success();
    let second = sql(
        &p,
        "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name = 'second'",
    );
    assert_eq!(second, json!([[0]]));
}

#[test]
fn a_declared_dvclive_summary_is_read_with_its_folder() {
    // The DVCLive folder is not an output; its summary is a declared metrics file.
    let p = TestProject::initialized();
    p.write("train.py", TRAIN);
    append_toml(
        &p,
        "[stages.train]\ncmd = \"python train.py\"\ndeps = [\"train.py\"]\n\
         metrics = [{ path = \"dvclive/metrics.json\", cache = false }]\n",
    );
    p.commit_all("train");
    mlx_live(&p, &["run", "-q"]).success();
    // DVCLive's names, no `step` metric, no double reading of the summary.
    let rows = sql(&p, "SELECT key, count(*) FROM metrics GROUP BY key ORDER BY key");
    assert_eq!(rows, json!([["acc", 3], ["best", 1], ["train/loss", 3]]));
    assert_eq!(sql(&p, "SELECT count(*) FROM params"), json!([[3]]));
}

#[test]
fn top_level_metrics_files_no_stage_writes_are_shown_where_they_lie() {
    let p = TestProject::initialized();
    p.write("notes/score.json", "{\"f1\": 0.5}");
    let text = p.read_string("mlx.toml");
    p.write(
        "mlx.toml",
        format!(
            "metrics = [\"notes/score.json\", \"gone.json\"]\n{text}\n\
             [stages.a]\ncmd = \"true\"\n"
        ),
    );
    p.commit_all("score");
    p.write("notes/score.json", "{\"f1\": 0.75}");
    let shown = p.json(&["metrics", "show"]);
    assert_eq!(
        shown["files"],
        json!([
            { "path": "gone.json", "stage": null, "metrics": {}, "error": "does not exist" },
            { "path": "notes/score.json", "stage": null, "metrics": { "f1": 0.75 } },
        ])
    );
    let diff = p.json(&["metrics", "diff"]);
    assert_eq!(diff["metrics"][0]["key"], "f1");
    assert_eq!(
        (diff["metrics"][0]["old"].clone(), diff["metrics"][0]["new"].clone()),
        (json!(0.5), json!(0.75))
    );

    // Mistakes point at the entry.
    p.write("mlx.toml", format!("metrics = [\"ok.json\", \".git/config\"]\n{text}"));
    let a = p.mlx(&["metrics", "show"]).code(2);
    assert!(stderr(&a).starts_with("error: mlx.toml:1:23: top-level metrics:"), "{}", stderr(&a));
}

#[test]
fn an_isolated_variant_reads_dvclive_in_its_own_workspace() {
    let p = TestProject::initialized();
    p.write("params.yaml", "lr: 0.1\n");
    p.write(
        "train.py",
        "import yaml\nfrom dvclive import Live\nlr = yaml.safe_load(open('params.yaml'))['lr']\n\
         with Live(save_dvc_exp=False, dvcyaml=None) as live:\n\
         \x20   for step in range(2):\n\
         \x20       live.log_metric('loss', lr * (2 - step))\n\
         \x20       live.next_step()\n",
    );
    append_toml(
        &p,
        "[stages.train]\ncmd = \"python train.py\"\ndeps = [\"train.py\"]\nparams = [\"lr\"]\n\
         outs = [\"dvclive\"]\n",
    );
    p.commit_all("train");
    mlx_live(&p, &["exp", "run", "--name", "fast", "--set", "lr=0.5"]).success();
    let rows = sql(&p, "SELECT key, step, value FROM metrics ORDER BY step");
    assert_eq!(rows, json!([["loss", 0, 1.0], ["loss", 1, 0.5]]));
    assert!(!p.exists("dvclive"), "the variant ran in its own workspace");
}
