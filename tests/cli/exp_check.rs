//! `mlx exp check` on pipelines (issue 13, item 6): it judges the experiment that matches
//! HEAD's committed `mlx.lock` (never a `--set` variant nor a run on uncommitted changes), with
//! the metrics of all its stages; `--exp`, `--run` and `--stage` choose otherwise; it says which
//! experiment and commit it judged; an ancestor's experiment only with `--ancestors`, saying so;
//! exit 0 when the expression holds, 1 when not, 2 when there is nothing to judge. In a fresh
//! clone, the team's runs fetched with `mlx fetch --runs` are judged without rerunning anything.

use serde_json::Value;

use crate::exp_list::pipeline;
use crate::remotes::clone_of;
use crate::support::{TestProject, stderr, stdout};

fn experiment_id(p: &TestProject, name: &str) -> String {
    p.db()
        .query_row("SELECT id FROM experiments WHERE name = ?1", [name], |r| r.get(0))
        .unwrap_or_else(|e| panic!("experiment {name}: {e}"))
}

fn experiment_id_in(clone: &std::path::Path, name: &str) -> String {
    rusqlite::Connection::open(clone.join(".mlx/mlx.db"))
        .unwrap()
        .query_row("SELECT id FROM experiments WHERE name = ?1", [name], |r| r.get(0))
        .unwrap()
}

fn head(p: &TestProject) -> String {
    p.git(&["rev-parse", "HEAD"]).trim().to_owned()
}

/// `mlx exp check ARGS --json` (exit 0 or 1) as JSON.
fn judged(p: &TestProject, args: &[&str]) -> Value {
    let mut all = vec!["exp", "check"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = p.mlx_cmd().args(&all).output().expect("mlx runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The pipeline run as `base` and committed with its results (code, params and mlx.lock).
fn committed() -> TestProject {
    let p = pipeline();
    p.mlx(&["run", "-q", "--name", "base"]).success();
    p.commit_all("results");
    p
}

#[test]
fn check_judges_the_experiment_of_heads_committed_lock_not_a_variant_nor_a_dirty_run() {
    let p = committed();
    let base = experiment_id(&p, "base");
    let results = head(&p);
    let a = p.mlx(&["exp", "check", "metrics.auc > 0.5 and metrics.loss < 1"]).success();
    assert_eq!(stdout(&a), "");
    // The results commit has no experiment of its own: base recorded the mlx.lock it commits.
    assert_eq!(
        stderr(&a),
        format!(
            "ok    metrics.auc = 0.6 (needs > 0.5)\n\
             ok    metrics.loss = 0.9 (needs < 1)\n\
             check passed for experiment base ({base}) on commit {}: it recorded the mlx.lock \
             HEAD commits\n",
            &p.git(&["rev-parse", "HEAD~1"])[..8]
        )
    );
    // A --set variant, newer and better, is not HEAD's committed setup.
    p.mlx(&["run", "-q", "--name", "variant", "--set", "train.lr=0.9"]).success();
    p.git(&["checkout", "-q", "--", "."]);
    let a = p.mlx(&["exp", "check", "metrics.auc > 1"]).code(1);
    assert!(stderr(&a).contains("FAIL  metrics.auc = 0.6 (needs > 1)\n"), "{}", stderr(&a));
    assert!(stderr(&a).contains(&format!("check failed for experiment base ({base})")));
    // Nor a run on uncommitted changes.
    p.write("params.yaml", "prepare:\n  split: 0.2\ntrain:\n  lr: 0.7\n  epochs: 3\n");
    p.mlx(&["run", "-q", "--name", "dirty"]).success();
    let json = judged(&p, &["metrics.auc > 1"]);
    assert_eq!(json["experiment"], base.as_str());
    assert_eq!(json["experiment_name"], "base");
    assert_eq!(json["basis"], "head_lock");
    assert_eq!(json["passed"], false);
    // Asked by name, each is judged.
    for (name, auc) in [("variant", 1.4), ("dirty", 1.2)] {
        let json = judged(&p, &["metrics.auc > 1", "--exp", name]);
        assert_eq!(json["experiment_name"], name);
        assert_eq!(json["basis"], "named");
        assert_eq!(json["comparisons"][0]["actual"], auc);
        assert_eq!(json["passed"], true);
    }
    assert_eq!(head(&p), results);
}

#[test]
fn check_reads_the_metrics_of_every_stage_also_those_up_to_date() {
    let p = committed();
    // Only evaluate changes; a clean `mlx run` on the new commit reruns it alone.
    p.write(
        "evaluate.py",
        "import json\n\
         lr = float(open('model.txt').read().split('=')[1])\n\
         json.dump({'auc': round(0.45 + lr, 4)}, open('eval.json', 'w'))\n",
    );
    let commit = p.commit_all("evaluate differently");
    p.mlx(&["run", "-q", "--name", "re-eval"]).success();
    let id = experiment_id(&p, "re-eval");
    let a = p.mlx(&["exp", "check", "metrics.loss = 0.9 and metrics.auc = 0.55"]).success();
    assert!(
        stderr(&a).ends_with(&format!(
            "check passed for experiment re-eval ({id}) on commit {}: it ran on HEAD's commit\n",
            &commit[..8]
        )),
        "{}",
        stderr(&a)
    );
    // Its params too, by their short names.
    p.mlx(&["exp", "check", "params.train.lr = 0.1 and params.prepare.split = 0.2"]).success();
    // A key two stages log with different values must be named per stage.
    p.write(
        "evaluate.py",
        "import json\n\
         json.dump({'auc': 0.5, 'loss': 0.25}, open('eval.json', 'w'))\n",
    );
    p.commit_all("evaluate logs a loss too");
    p.mlx(&["run", "-q", "--name", "two-losses"]).success();
    let a = p.mlx(&["exp", "check", "metrics.loss < 0.5"]).code(2);
    assert_eq!(
        stderr(&a),
        "error: metrics.loss differs between the stages of experiment two-losses: 0.25 \
         (evaluate), 0.9 (train)\n\
         hint: name the stage's value, e.g. metrics.`train:loss`, or choose a stage with --stage\n"
    );
    p.mlx(&["exp", "check", "metrics.`evaluate:loss` < 0.5"]).success();
    p.mlx(&["exp", "check", "metrics.`train:loss` < 0.5"]).code(1);
    p.mlx(&["exp", "check", "metrics.loss < 0.5", "--stage", "evaluate"]).success();
}

#[test]
fn exp_run_and_stage_choose_what_is_judged() {
    let p = committed();
    p.mlx(&["run", "-q", "--name", "fast", "--set", "train.lr=0.3"]).success();
    let fast = experiment_id(&p, "fast");
    let a = p.mlx(&["exp", "check", "metrics.auc >= 0.8", "--exp", "fast"]).success();
    assert!(
        stderr(&a).ends_with(&format!(
            "check passed for experiment fast ({fast}) on commit {}\n",
            &head(&p)[..8]
        )),
        "{}",
        stderr(&a)
    );
    // By id prefix too.
    p.mlx(&["exp", "check", "metrics.auc >= 0.8", "--exp", &fast[..9]]).success();
    // --stage: the run of that stage alone.
    let train: String = p
        .db()
        .query_row(
            "SELECT id FROM runs WHERE experiment_id = ?1 AND stage = 'train'",
            [&fast],
            |r| r.get(0),
        )
        .unwrap();
    let a = p
        .mlx(&["exp", "check", "metrics.loss < 0.8", "--exp", "fast", "--stage", "train"])
        .success();
    assert!(
        stderr(&a).ends_with(&format!(
            "check passed for run {train} (stage train) of experiment fast ({fast}) on commit {}\n",
            &head(&p)[..8]
        )),
        "{}",
        stderr(&a)
    );
    // evaluate's metric is not train's: missing, so the gate fails.
    let a =
        p.mlx(&["exp", "check", "metrics.auc > 0", "--exp", "fast", "--stage", "train"]).code(1);
    assert!(stderr(&a).starts_with("FAIL  metrics.auc = missing (needs > 0)\n"), "{}", stderr(&a));
    // Without --exp, --stage picks the stage of HEAD's experiment.
    let json = judged(&p, &["metrics.loss = 0.9", "--stage", "train"]);
    assert_eq!(json["experiment_name"], "base");
    assert_eq!(json["stage"], "train");
    assert_eq!(json["passed"], true);
    // --run: one run, by id.
    let json = judged(&p, &["metrics.loss < 0.8", "--run", &train]);
    assert_eq!(json["run"], train.as_str());
    assert_eq!(json["experiment"], fast.as_str());
    assert_eq!(json["passed"], true);
    // Nothing to judge: exit 2, with the way out.
    let a = p.mlx(&["exp", "check", "metrics.auc > 0", "--stage", "evalute"]).code(2);
    assert_eq!(
        stderr(&a),
        "error: experiment base has no run of stage evalute (its stages: evaluate, prepare, train)\n\
         hint: list its stages and their runs with: mlx exp show EXP\n"
    );
    let a = p.mlx(&["exp", "check", "metrics.auc > 0", "--exp", "fsat"]).code(2);
    assert!(
        stderr(&a)
            .starts_with("error: no experiment or run matches \"fsat\"; did you mean fast?\n"),
        "{}",
        stderr(&a)
    );
    p.mlx(&["exp", "check", "metrics.auc > 0", "--run", "zzzzzz"]).code(2);
    // --ancestors cannot be combined with a choice.
    p.mlx(&["exp", "check", "metrics.auc > 0", "--exp", "fast", "--ancestors"]).code(2);
}

#[test]
fn an_ancestors_experiment_is_judged_only_with_ancestors_and_says_so() {
    let p = committed();
    let base = experiment_id(&p, "base");
    let results = head(&p);
    // Edit, run, commit: that experiment ran on uncommitted changes, so nothing stands for the
    // new commit yet.
    p.write("params.yaml", "prepare:\n  split: 0.2\ntrain:\n  lr: 0.2\n  epochs: 3\n");
    p.mlx(&["run", "-q", "--name", "edited"]).success();
    let tuned = p.commit_all("tune lr");
    let a = p.mlx(&["exp", "check", "metrics.auc > 0.5"]).code(2);
    assert_eq!(
        stderr(&a),
        format!(
            "error: no finished experiment matches HEAD's commit {} (the newest, edited, ran on \
             a work tree with uncommitted changes)\n\
             hint: record HEAD's committed setup with `mlx run` on a clean work tree (stages \
             whose mlx.lock entries are current do not rerun), judge an ancestor's experiment \
             with --ancestors, or name one with --exp EXP\n",
            &tuned[..8]
        )
    );
    let a = p.mlx(&["exp", "check", "metrics.auc > 0.5", "--ancestors"]).success();
    assert_eq!(
        stderr(&a),
        format!(
            "ok    metrics.auc = 0.6 (needs > 0.5)\n\
             check passed for experiment base ({base}) on commit {}: no experiment stands for \
             HEAD; this one stands for its ancestor {} (HEAD~1)\n\
             warning: judged an ancestor's experiment: HEAD's own changes were not measured\n",
            &p.git(&["rev-parse", "HEAD~2"])[..8],
            &results[..8]
        )
    );
    // The way out: `mlx run` on the clean commit reruns nothing and records its experiment.
    let a = p.mlx(&["run"]).success();
    assert!(!stderr(&a).contains(": ran"), "{}", stderr(&a));
    let recorded =
        p.db().query_row("SELECT name FROM experiments ORDER BY id DESC LIMIT 1", [], |r| {
            r.get::<_, String>(0)
        });
    let recorded = recorded.unwrap();
    assert_ne!(recorded, "edited");
    let json = judged(&p, &["metrics.auc > 0.65"]);
    assert_eq!(json["experiment_name"], recorded.as_str());
    assert_eq!(json["commit"], tuned.as_str());
    assert_eq!(json["basis"], "head_lock");
    assert_eq!(json["comparisons"][0]["actual"], 0.7, "the values of the runs of `edited`");
    assert_eq!(json["passed"], true);
    assert!(json.get("ancestor").is_none());
}

#[test]
fn a_fresh_clone_judges_the_teams_runs_or_says_nothing_was_measured() {
    let p = committed();
    let store = p.temp_dir().join("storage");
    p.mlx(&["remote", "add", "storage", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("remote");
    p.mlx(&["push", "-q", "--runs"]).success();
    let base = experiment_id(&p, "base");

    // CI without the team's runs: everything is up to date, so nothing was measured here.
    let clone = clone_of(&p, "ci");
    p.mlx_in(&clone, &["pull", "-q"]).success();
    let a = p.mlx_in(&clone, &["run"]).success();
    assert!(!stderr(&a).contains(": ran"), "{}", stderr(&a));
    let a = p.mlx_in(&clone, &["exp", "check", "metrics.auc > 0.5"]).code(2);
    assert!(
        stderr(&a).contains(
            "found every stage up to date, and no run behind their results is recorded here)"
        ),
        "{}",
        stderr(&a)
    );
    // Evaluating once more (nothing is retrained) gives a measurement; train's values are not
    // known here, and the gate says why a comparison on them fails.
    p.mlx_in(&clone, &["run", "-q", "evaluate", "--single", "--force"]).success();
    p.mlx_in(&clone, &["exp", "check", "metrics.auc > 0.5"]).success();
    let forced: String = rusqlite::Connection::open(clone.join(".mlx/mlx.db"))
        .unwrap()
        .query_row("SELECT name FROM experiments ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let a = p.mlx_in(&clone, &["exp", "check", "metrics.loss < 1"]).code(2);
    assert_eq!(
        stderr(&a),
        format!(
            "error: no recorded run has metrics.loss, and no run of stages prepare, train of \
             experiment {forced} is recorded here\n\
             hint: fetch the team's runs with `mlx fetch --runs`, or rerun those stages with \
             `mlx run STAGE --force`\n"
        )
    );
    // A key some run has, missing from the judged experiment: false, and the gate says why.
    p.mlx_in(&clone, &["run", "-q", "--param", "train.epochs=3", "--", "true"]).success();
    let a = p.mlx_in(&clone, &["exp", "check", "params.train.epochs = 3"]).code(1);
    assert_eq!(
        stderr(&a),
        format!(
            "FAIL  params.train.epochs = missing (needs = 3)\n\
             check failed for experiment {forced} ({}) on commit {}: it recorded the mlx.lock \
             HEAD commits\n\
             warning: no run of stages prepare, train is recorded here, so their params and \
             metrics are missing (fetch the team's runs with `mlx fetch --runs`, or rerun with \
             `mlx run STAGE --force`)\n",
            experiment_id_in(&clone, &forced),
            &head(&p)[..8]
        )
    );
    let out = p.mlx_in(&clone, &["exp", "check", "params.train.epochs = 3", "--json"]).code(1);
    let json: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["stages_without_run"], serde_json::json!(["prepare", "train"]));

    // CI with the team's runs: base, which recorded the committed mlx.lock, is judged.
    let clone = clone_of(&p, "ci-with-runs");
    p.mlx_in(&clone, &["pull", "-q"]).success();
    p.mlx_in(&clone, &["fetch", "-q", "--runs"]).success();
    let a = p.mlx_in(&clone, &["exp", "check", "metrics.auc > 0.5 and metrics.loss < 1"]).success();
    assert!(
        stderr(&a).contains(&format!(
            "check passed for experiment base ({base}) on commit {}: it recorded the mlx.lock \
             HEAD commits\n",
            &p.git(&["rev-parse", "HEAD~2"])[..8]
        )),
        "{}",
        stderr(&a)
    );
}
