//! `mlx exp list|show|diff|rm|check` and `mlx sql` over runs recorded one by one (each a
//! command's experiment): the filter language end to end (every operator, unicode keys, NaN/inf,
//! missing values, bad expressions with a caret), over experiments and over runs (`--stages`),
//! sorting and limits, `--commit` with git revisions, the table/JSON/CSV shapes, comparing and
//! deleting, the CI gate on command experiments, read-only SQL, and the database read by
//! Python's sqlite3 as an outside client would. Pipelines' experiments: `exp_list.rs`,
//! `exp_check.rs`.

use std::collections::BTreeSet;

use mlx::tracking::runs::{self, GitInfo, NewRun, Point, Status};
use serde_json::Value;

use crate::support::{TestProject, mlx_bin, stderr, stdout};

/// 2026-11-01T00:00:00Z in milliseconds.
const NOV_1: i64 = 1_793_491_200_000;
const DAY: i64 = 86_400_000;

/// A run written straight through the library, for control over times and values.
struct Seed<'a> {
    name: &'a str,
    params: &'a [(&'a str, &'a str)],
    metrics: &'a [(&'a str, f64)],
    tags: &'a [(&'a str, &'a str)],
    commit: Option<&'a str>,
    dirty: bool,
    start: i64,
    status: Status,
}

impl Default for Seed<'_> {
    fn default() -> Self {
        Seed {
            name: "run",
            params: &[],
            metrics: &[],
            tags: &[],
            commit: None,
            dirty: false,
            start: NOV_1,
            status: Status::Finished,
        }
    }
}

fn seed(p: &TestProject, s: &Seed<'_>) -> String {
    let mut conn = mlx::tracking::db::open(&p.path(".mlx/mlx.db")).expect("open db");
    let run = NewRun {
        name: Some(s.name.to_owned()),
        command: vec!["python".into(), "train.py".into()],
        cwd: ".".into(),
        git: GitInfo {
            commit: s.commit.map(str::to_owned),
            branch: Some("main".into()),
            dirty: s.dirty,
            diff_hash: None,
        },
        host: "host".into(),
        user: "user".into(),
        pid: 1,
        params: s.params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        tags: s.tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        experiment: None,
    };
    let id = runs::start(&mut conn, &run, s.start).expect("start run");
    let points: Vec<Point<'_>> = s
        .metrics
        .iter()
        .map(|(k, v)| Point { key: k, value: *v, step: 0, timestamp: s.start })
        .collect();
    runs::log_metrics(&mut conn, &id, &points).expect("log metrics");
    if s.status != Status::Running {
        let code = if s.status == Status::Finished { 0 } else { 1 };
        runs::finish(&conn, &id, s.status, Some(code), s.start + 90_000).expect("finish");
    }
    id.to_string()
}

/// Record a run through the CLI: `mlx run --name NAME [--param K=V]... -- sh -c SCRIPT`, where
/// the script may call "$MLX_BIN". Returns the new run's id.
fn cli_run(p: &TestProject, name: &str, params: &[&str], script: &str) -> String {
    let mut args = vec!["run", "-q", "--name", name];
    for kv in params {
        args.extend(["--param", kv]);
    }
    args.extend(["--", "sh", "-c", script]);
    let _ = p.mlx_cmd().env("MLX_BIN", mlx_bin()).args(&args).assert();
    newest_run(p)
}

fn newest_run(p: &TestProject) -> String {
    p.db()
        .query_row("SELECT id FROM runs ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .expect("a run")
}

/// `mlx exp list --json ARGS` → the experiments' names, in order.
fn names(p: &TestProject, args: &[&str]) -> Vec<String> {
    names_of(p, "experiments", args)
}

/// `mlx exp list --json ARGS` → the names of the objects under `what`, in order.
fn names_of(p: &TestProject, what: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["exp", "list"];
    all.extend(args);
    let json = p.json(&all);
    json[what]
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

fn filtered(p: &TestProject, expr: &str) -> Vec<String> {
    let mut got = names(p, &["--filter", expr]);
    got.sort();
    got
}

/// Five runs with one of everything.
fn lab() -> (TestProject, Vec<String>) {
    let p = TestProject::initialized();
    let sha_a = "a".repeat(40);
    let sha_b = format!("b{}", "0".repeat(39));
    let ids = vec![
        seed(
            &p,
            &Seed {
                name: "alpha",
                params: &[("lr", "1e-2"), ("optimizer", "adam"), ("learning rate", "fast")],
                metrics: &[("acc", 0.87), ("loss", f64::NAN), ("val.acc", 0.8), ("точность", 0.5)],
                tags: &[("team", "vision"), ("группа", "один")],
                commit: Some(&sha_a),
                start: NOV_1,
                ..Seed::default()
            },
        ),
        seed(
            &p,
            &Seed {
                name: "beta",
                params: &[("lr", "0.1"), ("optimizer", "sgd")],
                metrics: &[("acc", 0.93), ("loss", f64::INFINITY), ("val.acc", 0.9)],
                tags: &[("team", "nlp")],
                commit: Some(&sha_a),
                dirty: true,
                start: NOV_1 + DAY,
                ..Seed::default()
            },
        ),
        seed(
            &p,
            &Seed {
                name: "gamma",
                params: &[("lr", "0.001"), ("optimizer", "Adam")],
                metrics: &[("acc", 0.5), ("loss", 0.25)],
                commit: Some(&sha_b),
                start: NOV_1 + 2 * DAY,
                status: Status::Failed,
                ..Seed::default()
            },
        ),
        seed(
            &p,
            &Seed {
                name: "delta",
                params: &[("optimizer", "adamw")],
                metrics: &[("loss", f64::NEG_INFINITY)],
                start: NOV_1 + 3 * DAY,
                status: Status::Running,
                ..Seed::default()
            },
        ),
        seed(
            &p,
            &Seed {
                name: "it's",
                params: &[("optimizer", "a' OR 1=1 --")],
                start: NOV_1 + 4 * DAY,
                ..Seed::default()
            },
        ),
    ];
    (p, ids)
}

#[test]
fn filters_cover_every_operator_and_value_kind() {
    let (p, ids) = lab();
    let cases: &[(&str, &[&str])] = &[
        // Metrics: the latest value; a run without the metric never matches.
        ("metrics.acc > 0.8", &["alpha", "beta"]),
        ("metrics.acc >= 0.87", &["alpha", "beta"]),
        ("metrics.acc < 0.87", &["gamma"]),
        ("metrics.acc <= 0.87", &["alpha", "gamma"]),
        ("metrics.acc = 0.93", &["beta"]),
        ("metrics.acc != 0.93", &["alpha", "gamma"]),
        ("metrics.acc in (0.5, 0.93)", &["beta", "gamma"]),
        ("metrics.acc not in (0.5, 0.93)", &["alpha"]),
        ("metrics.acc is null", &["delta", "it's"]),
        ("metrics.acc is not null", &["alpha", "beta", "gamma"]),
        ("not metrics.acc > 0.8", &["delta", "gamma", "it's"]),
        // NaN and infinities.
        ("metrics.loss = nan", &["alpha"]),
        ("metrics.loss != nan", &["beta", "delta", "gamma"]),
        ("metrics.loss = inf", &["beta"]),
        ("metrics.loss = -inf", &["delta"]),
        ("metrics.loss > 1e300", &["beta"]),
        ("metrics.loss < 0", &["delta"]),
        ("metrics.loss != 0.25", &["alpha", "beta", "delta"]),
        // Quoted and unicode keys.
        ("metrics.\"val.acc\" > 0.85", &["beta"]),
        ("metrics.val.acc > 0.85", &["beta"]),
        ("metrics.точность = 0.5", &["alpha"]),
        ("params.`learning rate` = 'fast'", &["alpha"]),
        ("tags.группа = 'один'", &["alpha"]),
        // Params: numbers compare numerically, text as text.
        ("params.lr = 0.01", &["alpha"]),
        ("params.lr = '0.01'", &["alpha"]),
        ("params.lr > 0.005", &["alpha", "beta"]),
        ("params.lr != 0.1", &["alpha", "gamma"]),
        ("params.lr in (0.1, '1e-3')", &["beta", "gamma"]),
        ("params.lr is null", &["delta", "it's"]),
        ("params.optimizer = 'adam'", &["alpha"]),
        ("params.optimizer like 'adam%'", &["alpha", "delta"]),
        ("params.optimizer ilike 'adam%'", &["alpha", "delta", "gamma"]),
        ("params.optimizer not like 'adam%'", &["beta", "gamma", "it's"]),
        ("params.optimizer not in ('adam', 'sgd')", &["delta", "gamma", "it's"]),
        ("params.optimizer = 'a'' OR 1=1 --'", &["it's"]),
        // Tags and attributes.
        ("tags.team = 'vision' or tags.team = 'nlp'", &["alpha", "beta"]),
        ("tags.team != 'nlp'", &["alpha"]),
        ("name = 'it''s'", &["it's"]),
        ("name like '%a'", &["alpha", "beta", "delta", "gamma"]),
        ("status = 'finished'", &["alpha", "beta", "it's"]),
        ("status in ('failed', 'running')", &["delta", "gamma"]),
        ("commit = 'aaaaaaa'", &["alpha", "beta"]),
        ("commit = 'B0'", &["gamma"]),
        ("commit is null", &["delta", "it's"]),
        ("branch = 'main'", &["alpha", "beta", "delta", "gamma", "it's"]),
        ("dirty = true", &["beta"]),
        ("dirty = 'no' and commit is not null", &["alpha", "gamma"]),
        ("start = '2026-11-02'", &["beta"]),
        ("start >= '2026-11-03'", &["delta", "gamma", "it's"]),
        ("start < '2026-11-02T00:00:00Z'", &["alpha"]),
        ("start > '2026-11-05T01:00:00+02:00'", &["it's"]),
        ("end is null", &["delta"]),
        ("duration = 90 and duration >= '1m'", &["alpha", "beta", "gamma", "it's"]),
        ("exit_code = 1", &["gamma"]),
        ("user = 'user' and host = 'host' and status = 'running'", &["delta"]),
        // and / or / not / parentheses, keywords in any case.
        ("(metrics.acc > 0.9 OR params.optimizer = 'adamw') And NOT dirty = true", &["delta"]),
        ("metrics.acc > 0.9 or metrics.acc < 0.6 and status = 'failed'", &["beta", "gamma"]),
        ("(metrics.acc > 0.9 or metrics.acc < 0.6) and status = 'finished'", &["beta"]),
    ];
    for (expr, want) in cases {
        assert_eq!(filtered(&p, expr), *want, "filter: {expr}");
    }
    let expr = format!("id = '{}' or run = '{}'", &ids[0][..10], ids[2].to_uppercase());
    assert_eq!(filtered(&p, &expr), ["alpha", "gamma"]);
    // The same language over runs (--stages), where run attributes such as `stage` exist.
    for (expr, want) in [
        ("metrics.acc > 0.8 and exit_code = 0", &["alpha", "beta"][..]),
        ("stage is null and status = 'failed'", &["gamma"]),
        ("tags.team = 'nlp'", &["beta"]),
    ] {
        let mut got = names_of(&p, "runs", &["--stages", "--filter", expr]);
        got.sort();
        assert_eq!(got, want, "--stages filter: {expr}");
    }
    let a = p.mlx(&["exp", "list", "--filter", "stage = 'train'"]).code(2);
    assert!(stderr(&a).contains("stage"), "{}", stderr(&a));
    let n: i64 = p.db().query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 5, "no filter changed the database");
}

#[test]
fn bad_filters_exit_2_with_a_caret_under_the_column() {
    let (p, _) = lab();
    let a = p.mlx(&["exp", "list", "--filter", "metrics.acc 0.9"]).code(2);
    assert_eq!(stdout(&a), "");
    assert_eq!(
        stderr(&a),
        "error: invalid filter at column 13: expected a comparison operator after metrics.acc, found '0.9'\n\
         \x20 metrics.acc 0.9\n\
         \x20             ^\n\
         hint: filters read like: metrics.acc > 0.9 and params.opt = 'adam' (see mlx exp list --help)\n"
    );
    for (expr, column, message) in [
        ("stauts = 'finished'", 1, "unknown attribute 'stauts' (did you mean 'status'?)"),
        ("name = 'abc", 8, "unterminated string"),
        ("metrics.acc > 'high'", 15, "metrics.acc is a number"),
        ("status = 'done'", 10, "unknown status 'done'"),
        ("(metrics.acc > 1", 17, "expected ')' to close the '(' at column 1"),
        ("metrics.acc > 1 && name = 'x'", 17, "unexpected character '&' (write 'and')"),
        ("params.opt = adam", 14, "expected a value after '='; quote text: 'adam'"),
        ("start > 'last tuesday'", 9, "cannot read 'last tuesday' as a date"),
        ("metrics.точность >", 19, "expected a value after '>'"),
    ] {
        let a = p.mlx(&["exp", "list", "--filter", expr]).code(2);
        let err = stderr(&a);
        assert!(err.contains(&format!("at column {column}: {message}")), "{expr}: {err}");
        let caret_line = err.lines().nth(2).expect("caret line");
        assert_eq!(caret_line, format!("  {}^", " ".repeat(column - 1)), "{expr}: {err}");
    }
    // The same errors from the CI gate.
    let a = p.mlx(&["exp", "check", "metrics.acc >> 1", "--run", "0"]).code(2);
    assert!(stderr(&a).contains("column 14"), "{}", stderr(&a));
}

#[test]
fn sort_and_limit() {
    let (p, _) = lab();
    assert_eq!(names(&p, &[]), ["it's", "delta", "gamma", "beta", "alpha"], "newest first");
    assert_eq!(names(&p, &["--sort", "-metrics.acc"]), ["beta", "alpha", "gamma", "it's", "delta"]);
    assert_eq!(names(&p, &["--sort", "metrics.acc", "--limit", "2"]), ["gamma", "alpha"]);
    assert_eq!(
        names(&p, &["--sort", "params.lr desc", "--limit", "3"]),
        ["beta", "alpha", "gamma"]
    );
    assert_eq!(names(&p, &["--sort", "start"]), ["alpha", "beta", "gamma", "delta", "it's"]);
    assert_eq!(
        names(&p, &["--sort", "name", "--filter", "status = 'finished'"]),
        ["alpha", "beta", "it's"]
    );
    let a = p.mlx(&["exp", "list", "--sort", "metrics."]).code(2);
    assert!(stderr(&a).starts_with("error: invalid sort key at column 9: expected a metric name"));
}

#[test]
fn table_shows_every_column_and_only_changed_leaves_out_the_same() {
    let p = TestProject::initialized();
    for (i, (name, lr, acc)) in
        [("a", "0.1", 0.5), ("b", "0.2", 0.5), ("c", "0.3", 0.75)].into_iter().enumerate()
    {
        seed(
            &p,
            &Seed {
                name,
                start: NOV_1 + i as i64 * 1000,
                params: &[("lr", lr), ("seed", "7")],
                metrics: &[("acc", acc), ("loss", 1.0)],
                ..Seed::default()
            },
        );
    }
    let a = p.mlx(&["exp", "list"]).success();
    let out = stdout(&a);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["ID", "NAME", "COMMIT", "STATUS", "TIME", "lr", "seed", "acc", "loss"]);
    assert_eq!(out.lines().count(), 4);
    let row: Vec<&str> = out.lines().nth(1).unwrap().split_whitespace().collect();
    assert!((8..12).contains(&row[0].len()), "short ids: {out}");
    assert_eq!(
        &row[1..],
        ["c", "-", "finished", "2026-11-01", "00:00:02", "0.3", "7", "0.75", "1"]
    );
    assert_eq!(stderr(&a), "3 experiments\n");
    let a = p.mlx(&["exp", "list", "--only-changed"]).success();
    let header = stdout(&a).lines().next().unwrap().to_owned();
    assert!(header.ends_with("TIME                 lr   acc"), "{header}");
    assert_eq!(stderr(&a), "3 experiments; 2 columns with the same value in every row left out\n");
    // The flag of old scripts still works: every column is shown anyway.
    let all = p.mlx(&["exp", "list", "--all-columns"]).success();
    assert_eq!(stdout(&all), out);
    // The short ids are prefixes that resolve back to the experiment (a command's is its run).
    let short = out.lines().nth(3).unwrap().split_whitespace().next().unwrap().to_owned();
    let shown = p.json(&["exp", "show", &short]);
    assert_eq!(shown["name"], "a");
}

#[test]
fn json_and_csv_shapes() {
    let (p, ids) = lab();
    let json = p.json(&["exp", "list", "--filter", "name in ('alpha', 'delta')"]);
    let top: BTreeSet<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, BTreeSet::from(["experiments", "columns"]));
    let exps = json["experiments"].as_array().unwrap();
    assert_eq!(exps.len(), 2);
    let delta = &exps[0];
    let keys: BTreeSet<&str> = delta.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "id",
            "name",
            "kind",
            "status",
            "commit",
            "branch",
            "dirty",
            "created",
            "started",
            "ended",
            "duration",
            "overrides",
            "lock_hash",
            "workspace",
            "host",
            "user",
            "params",
            "metrics",
        ])
    );
    assert_eq!(delta["kind"], "command");
    assert_eq!(delta["status"], "running");
    assert_eq!(delta["metrics"]["loss"], "-Infinity");
    assert_eq!(delta["ended"], Value::Null);
    assert_eq!(delta["duration"], Value::Null);
    let alpha = &exps[1];
    assert_eq!(alpha["id"], ids[0].as_str(), "a command's experiment has its run's id");
    assert_eq!(alpha["commit"], "a".repeat(40));
    assert_eq!(alpha["started"], "2026-11-01T00:00:00.000Z");
    assert_eq!(alpha["ended"], "2026-11-01T00:01:30.000Z");
    assert_eq!(alpha["duration"], 90.0);
    assert_eq!(alpha["dirty"], false);
    assert_eq!(alpha["overrides"], serde_json::json!([]));
    assert_eq!(alpha["workspace"], Value::Null);
    assert_eq!(alpha["params"]["lr"], "1e-2", "params keep their text");
    assert_eq!(alpha["params"]["learning rate"], "fast");
    assert_eq!(alpha["metrics"]["acc"], 0.87);
    assert_eq!(alpha["metrics"]["loss"], "NaN");
    assert_eq!(alpha["metrics"]["точность"], 0.5);
    // The columns: what tables show, the key in `params`/`metrics`, and the filter field.
    let columns = json["columns"].as_array().unwrap();
    assert_eq!(
        columns[0],
        serde_json::json!({"name": "learning rate", "kind": "param", "key": "learning rate",
                           "field": "params.`learning rate`"})
    );
    assert!(columns.contains(
        &serde_json::json!({"name": "acc", "kind": "metric", "key": "acc", "field": "metrics.acc"})
    ));
    let beta = p.json(&["exp", "list", "--filter", "name = 'beta'"]);
    assert_eq!(beta["experiments"][0]["metrics"]["loss"], "Infinity");

    // --stages: one object per run, with tags and exit codes.
    let json = p.json(&["exp", "list", "--stages", "--filter", "name in ('alpha', 'delta')"]);
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let keys: BTreeSet<&str> = runs[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "id",
            "name",
            "status",
            "commit",
            "branch",
            "dirty",
            "start",
            "end",
            "duration",
            "exit_code",
            "params",
            "metrics",
            "tags"
        ])
    );
    let alpha = &runs[1];
    assert_eq!(alpha["start"], "2026-11-01T00:00:00.000Z");
    assert_eq!(alpha["exit_code"], 0);
    assert_eq!(alpha["tags"]["team"], "vision");

    let a =
        p.mlx(&["exp", "list", "--csv", "--sort", "name", "--filter", "name != 'gamma'"]).success();
    let out = stdout(&a);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert_eq!(
        lines[0],
        "id,name,kind,status,commit,branch,dirty,created,started,ended,duration,overrides,\
         params.learning rate,params.lr,params.optimizer,\
         metrics.acc,metrics.loss,metrics.val.acc,metrics.точность"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{},alpha,command,finished,{},main,false,2026-11-01T00:00:00.000Z,\
             2026-11-01T00:00:00.000Z,2026-11-01T00:01:30.000Z,90,,fast,1e-2,adam,0.87,NaN,0.8,0.5",
            ids[0],
            "a".repeat(40)
        )),
        "{}",
        lines[1]
    );
    assert!(
        lines[4].starts_with(&format!("{},it's,command,finished,,main,", ids[4])),
        "{}",
        lines[4]
    );
    assert!(lines[4].contains(",a' OR 1=1 --,"), "{}", lines[4]);
    // --stages --csv: the runs, with their stage and tags.
    let a = p
        .mlx(&["exp", "list", "--stages", "--csv", "--sort", "name", "--filter", "name = 'alpha'"])
        .success();
    let out = stdout(&a);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with(
        "id,name,status,commit,branch,dirty,start,end,duration,exit_code,stage,params.learning rate,params.lr,params.optimizer,metrics.acc,metrics.loss"
    ), "{}", lines[0]);
    assert!(lines[0].ends_with(",tags.team,tags.группа"), "{}", lines[0]);
    assert!(lines[1].contains(",0.87,NaN,"), "{}", lines[1]);
    // Empty results: nothing on stdout, a note on stderr (JSON stays JSON).
    let a = p.mlx(&["exp", "list", "--filter", "metrics.acc > 5"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(stderr(&a), "no experiments match\n");
    let a = p.mlx(&["exp", "list", "--filter", "metrics.acc > 5", "--csv"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(
        p.json(&["exp", "list", "--filter", "metrics.acc > 5"])["experiments"],
        Value::Array(vec![])
    );
    assert_eq!(
        p.json(&["exp", "list", "--stages", "--filter", "metrics.acc > 5"])["runs"],
        Value::Array(vec![])
    );
    p.mlx(&["exp", "list", "--csv", "--json"]).code(2);
    p.mlx(&["exp", "list", "--md", "--csv"]).code(2);
}

#[test]
fn commit_takes_any_git_revision() {
    let p = TestProject::initialized();
    p.write("train.py", "v1\n");
    let v1 = p.commit_all("v1");
    p.git(&["tag", "v1"]);
    let first = cli_run(&p, "on-v1", &[], "true");
    p.write("train.py", "v2\n");
    let v2 = p.commit_all("v2");
    let second = cli_run(&p, "on-v2", &[], "true");
    seed(
        &p,
        &Seed {
            name: "rebased-away",
            commit: Some("cafe0123cafe0123cafe0123cafe0123cafe0123"),
            ..Seed::default()
        },
    );
    assert_eq!(names(&p, &["--commit", "v1"]), ["on-v1"]);
    assert_eq!(names(&p, &["--commit", "HEAD"]), ["on-v2"]);
    assert_eq!(names(&p, &["--commit", "main~1"]), ["on-v1"]);
    assert_eq!(names(&p, &["--commit", &v2[..7], "--commit", "v1"]), ["on-v2", "on-v1"]);
    assert_eq!(names(&p, &["--commit", "cafe0123"]), ["rebased-away"], "SHAs git does not know");
    assert_eq!(names(&p, &["--filter", &format!("commit = '{}'", &v1[..12])]), ["on-v1"]);
    let json = p.json(&["exp", "list", "--commit", "v1"]);
    assert_eq!(json["experiments"][0]["id"], first.as_str());
    assert_eq!(json["experiments"][0]["commit"], v1.as_str());
    assert_eq!(json["experiments"][0]["branch"], "main");
    let json = p.json(&["exp", "list", "--stages", "--commit", "v1"]);
    assert_eq!(json["runs"][0]["id"], first.as_str());
    assert_ne!(first, second);
    let a = p.mlx(&["exp", "list", "--commit", "no-such-branch"]).code(2);
    assert!(stderr(&a).contains("unknown revision \"no-such-branch\""), "{}", stderr(&a));
}

#[test]
fn show_summarises_each_metric_with_a_sparkline() {
    let p = TestProject::initialized();
    p.commit_all("init");
    let script = r#"set -e
        for s in 0 1 2 3 4 5 6 7; do
          echo "{\"key\":\"loss\",\"value\":$(( 8 - s )),\"step\":$s}" >> "$MLX_METRICS_FILE"
        done
        "$MLX_BIN" log metric acc=0.5 --step 0
        "$MLX_BIN" log metric acc=nan --step 1
        "$MLX_BIN" log metric 'val acc=0.25'
        "$MLX_BIN" log tag team=vision"#;
    let id = cli_run(&p, "train", &["lr=0.01"], script);
    let a = p.mlx(&["exp", "show", &id[..9]]).success();
    let out = stdout(&a);
    assert!(
        out.starts_with(&format!(
            "run       {id}\nname      train\nstatus    finished (exit code 0)\n"
        )),
        "{out}"
    );
    assert!(out.contains("\nPARAMS  VALUE\nlr      0.01\n"), "{out}");
    assert!(out.contains("\nTAGS  VALUE\nteam  vision\n"), "{out}");
    let metrics: Vec<&str> = out.lines().skip_while(|l| !l.starts_with("METRICS")).collect();
    assert_eq!(
        metrics[0].split_whitespace().collect::<Vec<_>>(),
        ["METRICS", "LAST", "MIN", "MAX", "STEPS", "HISTORY"]
    );
    assert_eq!(
        metrics[1].split_whitespace().collect::<Vec<_>>(),
        ["acc", "NaN", "0.5", "0.5", "2", "(0..1)", "▁"]
    );
    assert_eq!(
        metrics[2].split_whitespace().collect::<Vec<_>>(),
        ["loss", "1", "1", "8", "8", "(0..7)", "█▇▆▅▄▃▂▁"]
    );
    assert!(metrics[3].starts_with("val acc"), "{out}");

    let json = p.json(&["exp", "show", &id]);
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["command"], serde_json::json!(["sh", "-c", script]));
    let loss = &json["metrics"]["loss"];
    assert_eq!(loss["last"], 1.0);
    assert_eq!((loss["min"].as_f64(), loss["max"].as_f64()), (Some(1.0), Some(8.0)));
    assert_eq!(loss["steps"], 8);
    assert_eq!((loss["first_step"].as_i64(), loss["last_step"].as_i64()), (Some(0), Some(7)));
    assert!(loss.get("series").is_none(), "the sparkline is for terminals only");
    assert_eq!(json["metrics"]["acc"]["last"], "NaN");
    assert_eq!(json["params"]["lr"], "0.01");
    assert!(json["artifacts"].as_array().is_some());
    p.mlx(&["exp", "show", "zzzz"]).code(2);
}

#[test]
fn diff_puts_two_runs_side_by_side() {
    let p = TestProject::initialized();
    p.commit_all("init");
    let a =
        cli_run(&p, "base", &["lr=0.1", "seed=1"], r#""$MLX_BIN" log metric acc=0.5 loss=0.25"#);
    let b = cli_run(
        &p,
        "big",
        &["lr=0.2", "seed=1", "layers=4"],
        r#""$MLX_BIN" log metric acc=0.75 loss=0.25"#,
    );
    let out = p.mlx(&["exp", "diff", &a[..10], &b[..10]]).success();
    let text = stdout(&out);
    let row = |key: &str| -> Vec<String> {
        text.lines()
            .find(|l| l.trim_start_matches('*').split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} row in\n{text}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        text.lines().next().unwrap().split_whitespace().collect::<Vec<_>>(),
        [a.as_str(), b.as_str()]
    );
    assert_eq!(row("name"), ["*", "name", "base", "big"]);
    assert_eq!(row("status"), ["status", "finished", "finished"]);
    assert_eq!(row("commit")[0], "commit", "same commit is not marked");
    assert_eq!(row("params.lr"), ["*", "params.lr", "0.1", "0.2"]);
    assert_eq!(row("params.seed"), ["params.seed", "1", "1"]);
    assert_eq!(row("params.layers"), ["*", "params.layers", "-", "4"]);
    assert_eq!(row("metrics.acc"), ["*", "metrics.acc", "0.5", "0.75", "+0.25"]);
    assert_eq!(row("metrics.loss"), ["metrics.loss", "0.25", "0.25"]);
    assert!(!text.contains('\x1b'), "no color when not on a terminal");
    assert!(stderr(&out).ends_with("values differ\n"), "{}", stderr(&out));

    let json = p.json(&["exp", "diff", &a, &b]);
    assert_eq!(json["a"]["id"], a.as_str());
    assert_eq!(json["b"]["name"], "big");
    let lr = json["params"].as_array().unwrap().iter().find(|r| r["key"] == "lr").unwrap();
    assert_eq!(
        lr,
        &serde_json::json!({"key": "lr", "name": "lr", "a": "0.1", "b": "0.2", "changed": true})
    );
    let acc = json["metrics"].as_array().unwrap().iter().find(|r| r["key"] == "acc").unwrap();
    assert_eq!(
        acc,
        &serde_json::json!({"key": "acc", "name": "acc", "a": 0.5, "b": 0.75, "changed": true})
    );
    let commit = json["fields"].as_array().unwrap().iter().find(|r| r["key"] == "commit").unwrap();
    assert_eq!(commit["changed"], false);
}

#[test]
fn rm_deletes_runs_by_unique_prefix_with_their_experiments() {
    let (p, ids) = lab();
    let a = p.mlx(&["exp", "rm", &ids[0][..10], &ids[1], &ids[0]]).success();
    assert_eq!(stdout(&a), format!("deleted  {}  alpha\ndeleted  {}  beta\n", ids[0], ids[1]));
    assert_eq!(stderr(&a), "deleted 2 runs\n");
    // A command's experiment is its run: it goes too, rather than stay as an empty row.
    assert_eq!(names(&p, &["--sort", "name"]), ["delta", "gamma", "it's"]);
    let rows: i64 = p
        .db()
        .query_row(
            "SELECT (SELECT count(*) FROM params WHERE run_id IN (?1, ?2))
                  + (SELECT count(*) FROM metrics WHERE run_id IN (?1, ?2))
                  + (SELECT count(*) FROM tags WHERE run_id IN (?1, ?2))
                  + (SELECT count(*) FROM experiments WHERE id IN (?1, ?2))",
            [&ids[0], &ids[1]],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 0, "params, metrics, tags and experiments went with the runs");
    // One bad name: nothing is deleted.
    let a = p.mlx(&["exp", "rm", &ids[2], "zzzzzz"]).code(2);
    assert!(stderr(&a).contains("no experiment or run matches \"zzzzzz\""), "{}", stderr(&a));
    assert_eq!(names(&p, &[]).len(), 3);
    // A running run needs --force.
    let a = p.mlx(&["exp", "rm", &ids[3]]).code(2);
    assert!(stderr(&a).contains("is still running"), "{}", stderr(&a));
    let json = p.json(&["exp", "rm", &ids[3], "--force"]);
    assert_eq!(json["deleted"][0]["id"], ids[3].as_str());
    assert_eq!(json["deleted"][0]["status"], "running");
    assert_eq!(json["experiments"][0]["id"], ids[3].as_str());
    assert_eq!(json["experiments"][0]["name"], "delta");
    assert_eq!(names(&p, &[]), ["it's", "gamma"]);
    // By the experiment's name.
    let a = p.mlx(&["exp", "rm", "gamma"]).success();
    assert_eq!(stdout(&a), format!("deleted  {}  gamma\n", ids[2]));
    assert_eq!(names(&p, &[]), ["it's"]);
}

#[test]
fn check_gates_on_the_newest_finished_command_experiment_of_head() {
    let p = TestProject::initialized();
    p.write("train.py", "v1\n");
    let v1 = p.commit_all("v1");
    // Nothing recorded yet: nothing to judge (exit 2), with the way out.
    let a = p.mlx(&["exp", "check", "metrics.acc > 0.9"]).code(2);
    assert_eq!(
        stderr(&a),
        format!(
            "error: no finished experiment matches HEAD's commit {} (none ran on it)\n\
             hint: record HEAD's committed setup with `mlx run` on a clean work tree (stages \
             whose mlx.lock entries are current do not rerun), judge an ancestor's experiment \
             with --ancestors, or name one with --exp EXP\n",
            &v1[..8]
        )
    );

    let good = cli_run(&p, "good", &[], r#""$MLX_BIN" log metric acc=0.87 loss=0.2"#);
    // A later failed one does not count.
    cli_run(&p, "crashed", &[], r#""$MLX_BIN" log metric acc=0.1 f1=0.3; exit 3"#);
    let a = p.mlx(&["exp", "check", "metrics.acc > 0.9 and metrics.loss < 0.3"]).code(1);
    assert_eq!(stdout(&a), "");
    assert_eq!(
        stderr(&a),
        format!(
            "FAIL  metrics.acc = 0.87 (needs > 0.9)\n\
             ok    metrics.loss = 0.2 (needs < 0.3)\n\
             check failed for experiment good ({good}) on commit {}: it ran on HEAD's commit\n",
            &v1[..8]
        )
    );
    // f1 is a metric some run has: this one lacking it is a value, not a typo.
    let a = p.mlx(&["exp", "check", "metrics.acc > 0.8 and metrics.f1 is null"]).success();
    assert!(stderr(&a).contains("ok    metrics.f1 = missing (needs is null)"), "{}", stderr(&a));
    assert!(stderr(&a).contains(&format!("check passed for experiment good ({good})")));
    // A key no run has never passes the gate, however the expression is written.
    for expr in
        ["metrics.f2 is null", "not metrics.f2 > 0.5", "metrics.acc > 0.8 or params.x = 'y'"]
    {
        let a = p.mlx(&["exp", "check", expr]).code(2);
        assert!(stderr(&a).starts_with("error: no recorded run has "), "{expr}: {}", stderr(&a));
    }

    let out = p.mlx(&["exp", "check", "metrics.acc >= 0.9 or metrics.f1 > 0.5", "--json"]).code(1);
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["experiment"], good.as_str());
    assert_eq!(json["experiment_name"], "good");
    assert_eq!(json["run"], Value::Null);
    assert_eq!(json["commit"], v1.as_str());
    assert_eq!(json["basis"], "head_commit");
    assert_eq!(json["passed"], false);
    assert_eq!(
        json["comparisons"],
        serde_json::json!([
            {"field": "metrics.acc", "expected": ">= 0.9", "actual": 0.87, "passed": false},
            {"field": "metrics.f1", "expected": "> 0.5", "actual": null, "passed": false},
        ])
    );
    // --run picks any run, finished or not.
    let crashed = newest_run(&p);
    p.mlx(&["exp", "check", "status = 'failed' and exit_code = 3", "--run", &crashed[..10]])
        .success();
    p.mlx(&["exp", "check", "metrics.acc > 0", "--run", "zzzz"]).code(2);
    // A commit with no experiment of its own is not judged by its parent's, unless asked.
    p.write("results.txt", "recorded\n");
    let v2 = p.commit_all("record the results");
    let a = p.mlx(&["exp", "check", "metrics.acc > 0.8"]).code(2);
    assert!(
        stderr(&a).starts_with(&format!(
            "error: no finished experiment matches HEAD's commit {} (none ran on it)\n",
            &v2[..8]
        )),
        "{}",
        stderr(&a)
    );
    let a = p.mlx(&["exp", "check", "metrics.acc > 0.8", "--ancestors"]).success();
    assert_eq!(
        stderr(&a),
        format!(
            "ok    metrics.acc = 0.87 (needs > 0.8)\n\
             check passed for experiment good ({good}) on commit {}: no experiment stands for \
             HEAD; this one stands for its ancestor {} (HEAD~1)\n\
             warning: judged an ancestor's experiment: HEAD's own changes were not measured\n",
            &v1[..8],
            &v1[..8]
        )
    );
    let json = p.json(&["exp", "check", "metrics.acc > 0.8", "--ancestors"]);
    assert_eq!(json["basis"], "ancestor");
    assert_eq!(json["ancestor"], v1.as_str());
    assert_eq!(json["ancestor_distance"], 1);
    // An experiment on HEAD wins over its ancestors', with or without the flag.
    let newer = cli_run(&p, "newer", &[], r#""$MLX_BIN" log metric acc=0.5"#);
    for extra in [&[][..], &["--ancestors"]] {
        let mut args = vec!["exp", "check", "metrics.acc > 0.8"];
        args.extend_from_slice(extra);
        let a = p.mlx(&args).code(1);
        assert!(
            stderr(&a).ends_with(&format!(
                "check failed for experiment newer ({newer}) on commit {}: it ran on HEAD's \
                 commit\n",
                &v2[..8]
            )),
            "{}",
            stderr(&a)
        );
    }
}

#[test]
fn check_without_any_experiment_in_history_is_an_input_error() {
    let p = TestProject::initialized();
    p.write("train.py", "v1\n");
    p.commit_all("v1");
    p.write("train.py", "v2\n");
    p.commit_all("v2");
    let a = p.mlx(&["exp", "check", "metrics.acc > 0", "--ancestors"]).code(2);
    assert!(
        stderr(&a)
            .contains("nor any of its nearest first-parent ancestors (at HEAD: none ran on it)"),
        "{}",
        stderr(&a)
    );
    assert!(
        stderr(&a).ends_with(
            "hint: record HEAD's committed setup with `mlx run` on a clean work tree, or name an \
             experiment with --exp EXP\n"
        ),
        "{}",
        stderr(&a)
    );
    // Not even a commit: nothing to judge either.
    let p = TestProject::initialized();
    let a = p.mlx(&["exp", "check", "metrics.acc > 0"]).code(2);
    assert!(stderr(&a).starts_with("error: "), "{}", stderr(&a));
}

#[test]
fn sql_reads_and_never_writes() {
    let (p, ids) = lab();
    let a = p
        .mlx(&["sql", "SELECT name, status FROM runs WHERE status != 'finished' ORDER BY name"])
        .success();
    assert_eq!(stdout(&a), "name   status\ndelta  running\ngamma  failed\n");
    assert_eq!(stderr(&a), "2 rows\n");
    let json = p.json(&["sql", "SELECT key, value FROM latest_metrics WHERE run_id = (SELECT id FROM runs WHERE name = 'alpha') ORDER BY key"]);
    assert_eq!(json["columns"], serde_json::json!(["key", "value"]));
    assert_eq!(json["rows"][0], serde_json::json!(["acc", 0.87]));
    assert_eq!(json["rows"][1], serde_json::json!(["loss", null]), "NaN is stored as NULL");
    let a = p.mlx(&["sql", "SELECT 'a,b' AS x, 1 AS y", "--csv"]).success();
    assert_eq!(stdout(&a), "x,y\n\"a,b\",1\n");

    let before = p
        .mlx(&["sql", "SELECT * FROM runs ORDER BY id", "--json"])
        .success()
        .get_output()
        .stdout
        .clone();
    let attached = p.path("other.db");
    for bad in [
        "UPDATE runs SET name = 'hacked'".to_owned(),
        "DELETE FROM runs".to_owned(),
        format!("DELETE FROM params WHERE run_id = '{}'", ids[0]),
        "DROP TABLE tags".to_owned(),
        format!("ATTACH '{}' AS o", attached.display()),
        "PRAGMA writable_schema = ON".to_owned(),
        "PRAGMA query_only = OFF".to_owned(),
        "SELECT 1; DELETE FROM runs".to_owned(),
        "SELEKT 1".to_owned(),
    ] {
        let a = p.mlx(&["sql", &bad]).code(2);
        assert!(stderr(&a).starts_with("error: sql: "), "{bad}: {}", stderr(&a));
        assert_eq!(stdout(&a), "", "{bad}");
    }
    let after = p
        .mlx(&["sql", "SELECT * FROM runs ORDER BY id", "--json"])
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(before, after, "nothing changed");
    assert!(!attached.exists());
    let n: i64 = p.db().query_row("SELECT count(*) FROM params", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 9);
}

#[test]
fn python_sqlite3_reads_the_database_as_any_client_would() {
    let p = TestProject::initialized();
    p.commit_all("init");
    cli_run(
        &p,
        "py",
        &["lr=0.01", "optimizer=adam"],
        r#""$MLX_BIN" log metric acc=0.5 --step 1 && "$MLX_BIN" log metric acc=0.75 --step 2 && "$MLX_BIN" log metric loss=nan"#,
    );
    let script = r#"
import json, sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
run = con.execute("SELECT id, name, status, git_commit FROM runs").fetchone()
params = dict(con.execute("SELECT key, value FROM params WHERE run_id = ?", (run[0],)))
latest = dict(con.execute("SELECT key, value FROM latest_metrics WHERE run_id = ?", (run[0],)))
history = con.execute("SELECT step, value FROM metrics WHERE key = 'acc' ORDER BY step").fetchall()
print(json.dumps({"name": run[1], "status": run[2], "commit": len(run[3]), "params": params,
                  "latest": latest, "history": history}, sort_keys=True))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(p.path(".mlx/mlx.db"))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got,
        serde_json::json!({
            "name": "py", "status": "finished", "commit": 40,
            "params": {"lr": "0.01", "optimizer": "adam"},
            "latest": {"acc": 0.75, "loss": null},
            "history": [[1, 0.5], [2, 0.75]],
        })
    );
}

#[test]
fn a_key_no_run_has_is_named_with_the_closest_keys_instead_of_no_runs_match() {
    let p = TestProject::initialized();
    let id = seed(
        &p,
        &Seed {
            name: "a",
            params: &[("lr", "0.1"), ("params.yaml:train.lr", "0.2"), ("seed", "1")],
            metrics: &[("acc", 0.9)],
            ..Seed::default()
        },
    );
    // The short name of a param stands for the one recorded key that ends with it.
    assert_eq!(names(&p, &["--filter", "params.train.lr > 0.1"]), ["a"]);
    assert_eq!(names(&p, &["--filter", "params.`params.yaml:train.lr` > 0.1"]), ["a"]);
    let a = p.mlx(&["exp", "list", "--filter", "params.train.lrr > 0.1"]).code(2);
    insta::assert_snapshot!(stderr(&a), @r#"
    error: no recorded run has params.train.lrr; did you mean params.train.lr?
      params.train.lrr > 0.1
      ^
    hint: list every param key runs have: mlx sql "SELECT DISTINCT key FROM params"
    "#);
    assert_eq!(stdout(&a), "");
    // In --sort, and in exp check (which must not pass: exit 2, not 0 or 1).
    let a = p.mlx(&["exp", "list", "--sort", "-metrics.accuracy"]).code(2);
    assert!(
        stderr(&a).starts_with(
            "error: no recorded run has metrics.accuracy; did you mean metrics.acc?\n"
        ),
        "{}",
        stderr(&a)
    );
    let a = p
        .mlx(&["exp", "check", "metrics.acc > 0.5 and metrics.loss is null", "--run", &id])
        .code(2);
    assert!(
        stderr(&a).starts_with("error: no recorded run has metrics.loss; runs have metrics.acc\n"),
        "{}",
        stderr(&a)
    );
    // The other kind: a metric named like a param.
    let a = p.mlx(&["exp", "list", "--filter", "metrics.seed = 1"]).code(2);
    assert!(stderr(&a).contains("did you mean params.seed?"), "{}", stderr(&a));
    // Known keys and tags still filter as before.
    let a = p.mlx(&["exp", "list", "--filter", "params.lr > 5"]).success();
    assert_eq!(stderr(&a), "no experiments match\n");
    let a = p.mlx(&["exp", "list", "--stages", "--filter", "params.lr > 5"]).success();
    assert_eq!(stderr(&a), "no runs match\n");
    p.mlx(&["exp", "list", "--stages", "--filter", "params.nope > 5"]).code(2);
    p.mlx(&["exp", "list", "--filter", "tags.reviewed = 'yes'"]).success();
}
