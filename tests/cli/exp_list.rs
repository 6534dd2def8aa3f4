//! Experiments of real pipelines (issue 13, item 1): `mlx exp list` shows one row per `mlx run`
//! with the params of one stage and the metrics of another side by side, short unique names
//! (a file prefix only where two files define a key) that filters and sorts accept, foreach and
//! matrix values as params, `--only-changed`, `--columns`/`--drop` globs, tables cut to the
//! terminal (`--wide` for all), `--md`, `--csv`, `--json`, `--stages`; `exp show` and `exp diff`
//! of experiments; variants of `mlx exp run --name` listed under their names.

use std::io::Read as _;
use std::process::Stdio;

use serde_json::Value;

use crate::support::{TestProject, stderr, stdout};

/// prepare → train → evaluate, params in params.yaml: `train` logs `loss = 1 - lr` and
/// `evaluate` logs `auc = 0.5 + lr`, each in its own metrics file. Committed, not run.
pub(crate) fn pipeline() -> TestProject {
    let p = TestProject::initialized();
    p.write("params.yaml", "prepare:\n  split: 0.2\ntrain:\n  lr: 0.1\n  epochs: 3\n");
    p.write(
        "prepare.py",
        "import re\n\
         s = re.search(r'split: *([0-9.]+)', open('params.yaml').read()).group(1)\n\
         open('data.txt', 'w').write(f'split={s}\\n')\n",
    );
    p.write(
        "train.py",
        "import json, re\n\
         lr = float(re.search(r'lr: *([0-9.]+)', open('params.yaml').read()).group(1))\n\
         open('model.txt', 'w').write(f'lr={lr}\\n')\n\
         json.dump({'loss': round(1 - lr, 4)}, open('train.json', 'w'))\n",
    );
    p.write(
        "evaluate.py",
        "import json\n\
         lr = float(open('model.txt').read().split('=')[1])\n\
         json.dump({'auc': round(0.5 + lr, 4)}, open('eval.json', 'w'))\n",
    );
    p.write(
        "mlx.toml",
        format!(
            "{}\n\
             [stages.prepare]\ncmd = \"python3 prepare.py\"\ndeps = [\"prepare.py\"]\n\
             params = [\"prepare.split\"]\nouts = [\"data.txt\"]\n\n\
             [stages.train]\ncmd = \"python3 train.py\"\ndeps = [\"train.py\", \"data.txt\"]\n\
             params = [\"train.lr\", \"train.epochs\"]\nouts = [\"model.txt\"]\n\
             metrics = [\"train.json\"]\n\n\
             [stages.evaluate]\ncmd = \"python3 evaluate.py\"\n\
             deps = [\"evaluate.py\", \"model.txt\"]\nmetrics = [\"eval.json\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.commit_all("pipeline");
    p
}

/// `mlx exp list --json ARGS`.
pub(crate) fn listed(p: &TestProject, args: &[&str]) -> Value {
    let mut all = vec!["exp", "list"];
    all.extend_from_slice(args);
    p.json(&all)
}

/// The experiments' names, in the order listed.
fn names(p: &TestProject, args: &[&str]) -> Vec<String> {
    listed(p, args)["experiments"]
        .as_array()
        .expect("experiments")
        .iter()
        .map(|e| e["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// Each line of a table split on runs of spaces.
fn cells(table: &str) -> Vec<Vec<String>> {
    table.lines().map(|l| l.split_whitespace().map(str::to_owned).collect()).collect()
}

/// The newest experiment's name.
fn newest(p: &TestProject) -> String {
    p.db()
        .query_row("SELECT name FROM experiments ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .expect("an experiment")
}

/// The run of `stage` that experiment `name` made.
fn run_of(p: &TestProject, name: &str, stage: &str) -> String {
    p.db()
        .query_row(
            "SELECT r.id FROM runs r JOIN experiments e ON e.id = r.experiment_id
             WHERE e.name = ?1 AND r.stage = ?2",
            [name, stage],
            |r| r.get(0),
        )
        .expect("a run")
}

#[test]
fn one_row_per_experiment_holds_the_params_of_train_and_the_metrics_of_evaluate() {
    let p = pipeline();
    p.mlx(&["run", "--name", "base"]).success();
    let a = p.mlx(&["exp", "list"]).success();
    let table = cells(&stdout(&a));
    assert_eq!(
        table[0],
        [
            "ID",
            "NAME",
            "COMMIT",
            "STATUS",
            "TIME",
            "prepare.split",
            "train.epochs",
            "train.lr",
            "auc",
            "loss"
        ]
    );
    assert_eq!(table.len(), 2, "one row for the three stage runs");
    assert_eq!(table[1][1..4], ["base", &p.git(&["rev-parse", "HEAD"])[..8], "finished"]);
    assert_eq!(table[1][6..], ["0.2", "3", "0.1", "0.6", "0.9"]);
    assert_eq!(stderr(&a), "1 experiment\n");

    let json = listed(&p, &[]);
    let e = &json["experiments"][0];
    assert_eq!(e["kind"], "pipeline");
    assert_eq!(e["params"]["params.yaml:train.lr"], "0.1");
    assert_eq!(
        (e["metrics"]["auc"].as_f64(), e["metrics"]["loss"].as_f64()),
        (Some(0.6), Some(0.9))
    );
    let stages: Vec<(&str, &str, bool)> = e["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s["outcome"].as_str().unwrap(), s["own"] == true))
        .collect();
    assert_eq!(
        stages,
        [("evaluate", "ran", true), ("prepare", "ran", true), ("train", "ran", true)]
    );

    // --stages: the stage runs one by one, each with its own values only.
    let a = p.mlx(&["exp", "list", "--stages", "--sort", "start"]).success();
    let table = cells(&stdout(&a));
    assert_eq!(table[0][..6], ["RUN", "NAME", "STATUS", "COMMIT", "START", "DURATION"]);
    let rows: Vec<(&str, &[String])> =
        table[1..].iter().map(|r| (r[1].as_str(), &r[7..])).collect();
    assert_eq!(rows[0], ("prepare", &["0.2", "-", "-", "-", "-"].map(String::from)[..]));
    assert_eq!(rows[1], ("train", &["-", "3", "0.1", "-", "0.9"].map(String::from)[..]));
    assert_eq!(rows[2], ("evaluate", &["-", "-", "-", "0.6", "-"].map(String::from)[..]));
    assert_eq!(stderr(&a), "3 runs\n");

    // Only evaluate changes: train is up to date, and the new experiment still shows its lr
    // and loss (from the run behind train's results) beside the new auc.
    p.write(
        "evaluate.py",
        "import json\n\
         lr = float(open('model.txt').read().split('=')[1])\n\
         json.dump({'auc': round(0.55 + lr, 4)}, open('eval.json', 'w'))\n",
    );
    p.commit_all("evaluate differently");
    p.mlx(&["run", "--name", "re-eval"]).success();
    let json = listed(&p, &["--filter", "name = 're-eval'"]);
    let e = &json["experiments"][0];
    assert_eq!(e["params"]["params.yaml:train.lr"], "0.1");
    assert_eq!(
        (e["metrics"]["auc"].as_f64(), e["metrics"]["loss"].as_f64()),
        (Some(0.65), Some(0.9))
    );
    let train = e["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "train").unwrap();
    assert_eq!(train["outcome"], "up_to_date");
    assert_eq!(train["own"], false);
    assert_eq!(train["run"], run_of(&p, "base", "train").as_str());
    // Rerunning an up-to-date pipeline adds no row.
    p.mlx(&["run"]).success();
    assert_eq!(names(&p, &[]), ["re-eval", "base"]);
}

#[test]
fn names_are_short_and_unique_and_filters_and_sorts_take_them() {
    let p = pipeline();
    p.mlx(&["run", "-q"]).success();
    for lr in ["0.3", "0.2"] {
        p.mlx(&["run", "-q", "--set", &format!("train.lr={lr}")]).success();
    }
    let by_auc = names(&p, &["--sort", "-metrics.auc"]);
    let by_lr = names(&p, &["--sort", "params.train.lr desc"]);
    assert_eq!(by_auc, by_lr);
    let json = listed(&p, &["--filter", "params.train.lr >= 0.2 and metrics.auc < 0.75"]);
    let lrs: Vec<&str> = json["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["params"]["params.yaml:train.lr"].as_str().unwrap())
        .collect();
    assert_eq!(lrs, ["0.2"]);
    // The full key works too.
    assert_eq!(
        listed(&p, &["--filter", "params.`params.yaml:train.lr` = 0.3"])["experiments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // An unknown key is an error naming the close ones, never an empty list.
    let a = p.mlx(&["exp", "list", "--filter", "params.train.l > 0"]).code(2);
    assert!(
        stderr(&a)
            .starts_with("error: no recorded run has params.train.l; did you mean params.train.lr"),
        "{}",
        stderr(&a)
    );
    assert_eq!(stdout(&a), "");
    let a = p.mlx(&["exp", "list", "--sort", "metrics.acu"]).code(2);
    assert!(
        stderr(&a).starts_with("error: no recorded run has metrics.acu; did you mean metrics.auc?"),
        "{}",
        stderr(&a)
    );
    let a = p.mlx(&["exp", "list", "--filter", "params.epoch = 3"]).code(2);
    assert!(stderr(&a).contains("params.train.epochs"), "{}", stderr(&a));

    // A second file defines train.lr: both keys get their file, the others stay short.
    p.write("other.yaml", "train:\n  lr: 7\n");
    let toml = p.read_string("mlx.toml").replace(
        "deps = [\"evaluate.py\", \"model.txt\"]",
        "deps = [\"evaluate.py\", \"model.txt\"]\nparams = [\"other.yaml:train.lr\"]",
    );
    p.write("mlx.toml", toml);
    p.commit_all("evaluate reads other.yaml");
    p.mlx(&["run", "-q", "--name", "two-files"]).success();
    let json = listed(&p, &["--filter", "name = 'two-files'"]);
    let columns: Vec<&str> =
        json["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        columns,
        [
            "other.yaml:train.lr",
            "params.yaml:train.lr",
            "prepare.split",
            "train.epochs",
            "auc",
            "loss"
        ]
    );
    let a = p.mlx(&["exp", "list", "--filter", "params.train.lr = 7"]).code(2);
    assert_eq!(
        stderr(&a).lines().next().unwrap(),
        "error: params.train.lr is ambiguous: runs have params.`other.yaml:train.lr`, \
         params.`params.yaml:train.lr`"
    );
    assert_eq!(names(&p, &["--filter", "params.`other.yaml:train.lr` = 7"]), ["two-files"]);
}

#[test]
fn foreach_and_matrix_values_are_params_of_the_experiment() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        format!(
            "{}\n\
             [stages.fit]\nforeach = [\"rf\", \"gbm\"]\ncmd = \"echo ${{item}} > fit-${{item}}.txt\"\n\
             outs = [\"fit-${{item}}.txt\"]\n\n\
             [stages.sweep]\nmatrix = {{ model = [\"a\"], seed = [1, 2] }}\n\
             cmd = \"echo ${{item.model}} > sweep-${{item.seed}}.txt\"\n\
             outs = [\"sweep-${{item.seed}}.txt\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.commit_all("fan out");
    p.mlx(&["run", "-q", "--name", "fan"]).success();
    let json = listed(&p, &[]);
    let e = &json["experiments"][0];
    assert_eq!(json["experiments"].as_array().unwrap().len(), 1);
    // Each stage's own value, per stage where the stages of the experiment differ.
    assert_eq!(
        e["params"],
        serde_json::json!({
            "fit@gbm:item": "gbm", "fit@rf:item": "rf",
            "sweep@a-1:item.seed": "1", "sweep@a-2:item.seed": "2",
            // The same in both stages of the matrix: shown once.
            "item.model": "a",
        })
    );
    // They filter like any param, per stage or over the experiment.
    assert_eq!(names(&p, &["--filter", "params.`fit@rf:item` = 'rf'"]), ["fan"]);
    assert_eq!(names(&p, &["--filter", "params.item = 'gbm'"]), ["fan"]);
    // And each run carries its own.
    let runs = listed(&p, &["--stages", "--filter", "params.item.seed = 2"]);
    assert_eq!(runs["runs"][0]["name"], "sweep@a-2");
}

#[test]
fn only_changed_columns_and_drop_choose_the_columns() {
    let p = pipeline();
    p.mlx(&["run", "-q"]).success();
    p.mlx(&["run", "-q", "--set", "train.lr=0.3"]).success();
    let header = |args: &[&str]| -> (Vec<String>, String) {
        let mut all = vec!["exp", "list"];
        all.extend_from_slice(args);
        let a = p.mlx(&all).success();
        (cells(&stdout(&a))[0][5..].to_vec(), stderr(&a))
    };
    let (h, err) = header(&["--only-changed"]);
    assert_eq!(h, ["train.lr", "auc", "loss"]);
    assert_eq!(err, "2 experiments; 2 columns with the same value in every row left out\n");
    let (h, err) = header(&["--columns", "train.*"]);
    assert_eq!(h, ["train.epochs", "train.lr"]);
    assert_eq!(err, "2 experiments; 3 columns left out\n");
    // Globs match the name, the recorded key or the filter field; commas or repeats.
    assert_eq!(header(&["--columns", "metrics.*"]).0, ["auc", "loss"]);
    assert_eq!(header(&["--columns", "params.yaml:prepare.*,auc"]).0, ["prepare.split", "auc"]);
    assert_eq!(header(&["--columns", "auc", "--columns", "loss"]).0, ["auc", "loss"]);
    assert_eq!(header(&["--drop", "train.*", "--drop", "?uc"]).0, ["prepare.split", "loss"]);
    assert_eq!(header(&["--only-changed", "--drop", "loss"]).0, ["train.lr", "auc"]);
    // JSON keeps only the chosen columns too.
    let json = listed(&p, &["--columns", "auc"]);
    assert_eq!(json["experiments"][0]["params"], serde_json::json!({}));
    assert_eq!(json["experiments"][0]["metrics"].as_object().unwrap().len(), 1);
    assert_eq!(json["columns"].as_array().unwrap().len(), 1);
}

/// Run `mlx ARGS` with stdout on a pseudo-terminal `cols` wide (and `COLUMNS` as given); returns
/// what it printed there (line ends as the terminal has them, `\r\n` made `\n`) and stderr.
fn on_terminal(
    p: &TestProject,
    cols: u16,
    columns_env: Option<&str>,
    args: &[&str],
) -> (String, String) {
    let size = nix::pty::Winsize { ws_row: 50, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    let pty = nix::pty::openpty(Some(&size), None).expect("a pseudo-terminal");
    let mut cmd = p.mlx_std();
    cmd.args(args).stdout(Stdio::from(pty.slave)).stderr(Stdio::piped());
    match columns_env {
        Some(c) => cmd.env("COLUMNS", c),
        None => cmd.env_remove("COLUMNS"),
    };
    let child = cmd.spawn().expect("mlx starts");
    // The parent's copy of the terminal's other end is closed by now (moved into `cmd`, dropped).
    drop(cmd);
    let mut master = std::fs::File::from(pty.master);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // Linux answers EIO once the last process holding the terminal is gone.
            Err(_) => break,
        }
    }
    let done = child.wait_with_output().expect("mlx ends");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    (
        String::from_utf8_lossy(&out).replace("\r\n", "\n"),
        String::from_utf8_lossy(&done.stderr).into_owned(),
    )
}

#[test]
fn tables_fit_the_terminal_and_wide_shows_every_column() {
    let p = pipeline();
    p.write(
        "params.yaml",
        "prepare:\n  split: 0.2\ntrain:\n  lr: 0.1\n  epochs: 3\n  note: a rather long note about this run\n",
    );
    let toml = p.read_string("mlx.toml").replace(
        "params = [\"train.lr\", \"train.epochs\"]",
        "params = [\"train.lr\", \"train.epochs\", \"train.note\"]",
    );
    p.write("mlx.toml", toml);
    p.commit_all("a note");
    p.mlx(&["run", "-q", "--name", "noted"]).success();
    // Piped (a file, a script): every column in full, whatever COLUMNS says.
    let piped = stdout(&p.mlx(&["exp", "list"]).success());
    assert!(piped.contains("a rather long note about this run"), "{piped}");
    assert_eq!(cells(&piped)[0].len(), 11);

    // On a terminal: columns past the width left out, said so.
    for (cols, env) in [(100, None), (200, Some("100"))] {
        let (out, err) = on_terminal(&p, cols, env, &["exp", "list"]);
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
        let header = &cells(&out)[0];
        assert_eq!(header[..5], ["ID", "NAME", "COMMIT", "STATUS", "TIME"]);
        let shown = header.len() - 5;
        assert!((1..6).contains(&shown), "{out}");
        assert_eq!(
            err,
            format!(
                "1 experiment; {} not shown for the terminal's width (--wide shows them, \
                 --columns picks)\n",
                if 6 - shown == 1 {
                    "1 more column".to_owned()
                } else {
                    format!("{} more columns", 6 - shown)
                }
            )
        );
    }
    // --wide: everything, in full.
    let (out, err) = on_terminal(&p, 100, None, &["exp", "list", "--wide"]);
    assert_eq!(out, piped);
    assert_eq!(err, "1 experiment\n");
    // --columns picks what fits; long cells are cut to 20 characters.
    let (out, err) = on_terminal(&p, 100, None, &["exp", "list", "--columns", "train.note,auc"]);
    assert_eq!(cells(&out)[0][5..], ["train.note", "auc"]);
    assert!(out.lines().nth(1).unwrap().ends_with("  a rather long note …  0.6"), "{out}");
    assert_eq!(err, "1 experiment; 4 columns left out\n");
}

#[test]
fn md_csv_and_json_of_experiments() {
    let p = pipeline();
    p.mlx(&["run", "-q", "--name", "base"]).success();
    p.mlx(&["run", "-q", "--name", "fast", "--set", "train.lr=0.3"]).success();
    let md = stdout(&p.mlx(&["exp", "list", "--md", "--only-changed"]).success());
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "| ID | NAME | COMMIT | STATUS | TIME | train.lr | auc | loss |");
    assert_eq!(lines[1], "|---|---|---|---|---|---|---|---|");
    assert!(lines[2].starts_with("| ") && lines[2].contains(" | fast | "), "{md}");
    assert!(lines[2].ends_with(" | 0.3 | 0.8 | 0.7 |"), "{md}");
    assert!(lines[3].ends_with(" | 0.1 | 0.6 | 0.9 |"), "{md}");
    assert_eq!(lines.len(), 4);

    let csv = stdout(&p.mlx(&["exp", "list", "--csv", "--sort", "name"]).success());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,kind,status,commit,branch,dirty,created,started,ended,duration,overrides,\
         params.prepare.split,params.train.epochs,params.train.lr,metrics.auc,metrics.loss"
    );
    let base: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(base[1..4], ["base", "pipeline", "finished"]);
    assert_eq!(base[11..], ["", "0.2", "3", "0.1", "0.6", "0.9"]);
    let fast: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(fast[6], "true", "a --set run ran on a changed params file");
    assert_eq!(fast[11..], ["train.lr=0.3", "0.2", "3", "0.3", "0.8", "0.7"]);

    let json = listed(&p, &["--filter", "name = 'fast'"]);
    let e = &json["experiments"][0];
    assert_eq!(e["overrides"], serde_json::json!(["train.lr=0.3"]));
    assert_eq!(e["lock_hash"].as_str().map(str::len), Some(64));
    assert_eq!(e["workspace"], Value::Null);
    for s in e["stages"].as_array().unwrap() {
        let keys: std::collections::BTreeSet<&str> =
            s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            std::collections::BTreeSet::from(["stage", "outcome", "run", "own", "entry_hash"]),
            "{s}"
        );
    }
    assert_eq!(
        json["columns"][2],
        serde_json::json!({"name": "train.lr", "kind": "param", "key": "params.yaml:train.lr",
                           "field": "params.train.lr"})
    );
}

#[test]
fn show_and_diff_take_experiments() {
    let p = pipeline();
    p.mlx(&["run", "-q", "--name", "base"]).success();
    p.mlx(&["run", "-q", "--name", "fast", "--set", "train.lr=0.3"]).success();
    let a = p.mlx(&["exp", "show", "base"]).success();
    let out = stdout(&a);
    let id: String = p
        .db()
        .query_row("SELECT id FROM experiments WHERE name = 'base'", [], |r| r.get(0))
        .unwrap();
    assert!(
        out.starts_with(&format!(
            "experiment  {id}\nname        base\nkind        pipeline\nstatus      finished\n"
        )),
        "{out}"
    );
    let section = |title: &str| -> Vec<Vec<String>> {
        let at = out.find(&format!("\n{title}")).unwrap_or_else(|| panic!("{title} in\n{out}"));
        cells(out[at + 1..].split("\n\n").next().unwrap())
    };
    let stages = section("STAGES");
    assert_eq!(stages[0], ["STAGES", "OUTCOME", "RUN", "RESULTS", "FROM"]);
    assert_eq!(stages[3][..2], ["train", "ran"]);
    assert_eq!(stages[3][2], run_of(&p, "base", "train"));
    assert_eq!(stages[3][3..], ["this", "experiment"]);
    assert_eq!(
        section("PARAMS"),
        [["PARAMS", "VALUE"], ["prepare.split", "0.2"], ["train.epochs", "3"], ["train.lr", "0.1"]]
    );
    assert_eq!(section("METRICS"), [["METRICS", "VALUE"], ["auc", "0.6"], ["loss", "0.9"]]);
    let shown = p.json(&["exp", "show", "fast"]);
    assert_eq!(shown["name"], "fast");
    assert_eq!(shown["overrides"], serde_json::json!(["train.lr=0.3"]));
    assert_eq!(shown["params"]["params.yaml:train.lr"], "0.3");
    assert_eq!(shown["columns"][2]["name"], "train.lr");
    let runs: Vec<&str> =
        shown["runs"].as_array().unwrap().iter().map(|r| r["stage"].as_str().unwrap()).collect();
    assert_eq!(runs, ["prepare", "train", "evaluate"], "its runs, oldest first");
    let text = stdout(&p.mlx(&["exp", "show", "fast"]).success());
    assert!(text.contains("\noverrides   --set train.lr=0.3\n"), "{text}");
    // prepare was up to date: its results come from base's run.
    assert!(
        text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == [
                "prepare",
                "up",
                "to",
                "date",
                &run_of(&p, "base", "prepare"),
                "an",
                "earlier",
                "run"
            ]),
        "{text}"
    );
    let a = p.mlx(&["exp", "show", "bsae"]).code(2);
    assert!(stderr(&a).contains("did you mean base?"), "{}", stderr(&a));

    let a = p.mlx(&["exp", "diff", "base", "fast"]).success();
    let rows = cells(&stdout(&a));
    let row = |key: &str| -> Vec<String> {
        rows.iter()
            .find(|r| r.iter().any(|c| c == key))
            .unwrap_or_else(|| panic!("no {key} in {rows:?}"))
            .clone()
    };
    assert_eq!(row("overrides"), ["*", "overrides", "train.lr=0.3"]);
    assert_eq!(row("params.train.lr"), ["*", "params.train.lr", "0.1", "0.3"]);
    assert_eq!(row("params.train.epochs"), ["params.train.epochs", "3", "3"]);
    assert_eq!(row("metrics.auc"), ["*", "metrics.auc", "0.6", "0.8", "+0.2"]);
    assert_eq!(row("metrics.loss"), ["*", "metrics.loss", "0.9", "0.7", "-0.2"]);
    let json = p.json(&["exp", "diff", "base", "fast"]);
    assert_eq!(json["a"]["name"], "base");
    assert_eq!(json["b"]["kind"], "pipeline");
    let lr = json["params"].as_array().unwrap().iter().find(|r| r["name"] == "train.lr").unwrap();
    assert_eq!(
        lr,
        &serde_json::json!({"key": "params.yaml:train.lr", "name": "train.lr", "a": "0.1",
                            "b": "0.3", "changed": true})
    );
    // An experiment against one of its own runs works too.
    let train = run_of(&p, "fast", "train");
    let json = p.json(&["exp", "diff", "base", &train]);
    assert_eq!(json["b"]["id"], train.as_str());
}

#[test]
fn variants_of_exp_run_are_experiments_named_as_given() {
    let p = pipeline();
    p.mlx(&["run", "-q"]).success();
    p.commit_all("results");
    p.mlx(&["exp", "run", "--set", "train.lr=0.3", "--name", "lr3"]).success();
    assert_eq!(newest(&p), "lr3");
    let json = listed(&p, &["--filter", "name = 'lr3'"]);
    let e = &json["experiments"][0];
    assert_eq!(e["status"], "finished");
    assert_eq!(e["overrides"], serde_json::json!(["train.lr=0.3"]));
    assert!(e["workspace"].is_string(), "{e}");
    assert_eq!(e["params"]["params.yaml:train.lr"], "0.3");
    assert_eq!(e["metrics"]["auc"], 0.8);
    let table = cells(&stdout(&p.mlx(&["exp", "list", "--only-changed"]).success()));
    assert_eq!(table[0][5..], ["train.lr", "auc", "loss"]);
    assert_eq!(table[1][1], "lr3");
    assert_eq!(table[1][6..], ["0.3", "0.8", "0.7"]);
    // The name is taken: a second variant may not have it.
    let a = p.mlx(&["exp", "run", "--set", "train.lr=0.4", "--name", "lr3"]).code(2);
    assert!(
        stderr(&a).contains("an experiment named lr3 is queued, running or recorded"),
        "{}",
        stderr(&a)
    );
    assert_eq!(p.git_status(), "", "the work tree is untouched");
}
