//! `mlx exp apply` and `mlx exp branch` (issue 13): an experiment's params files, `mlx.lock` and
//! outputs brought into the work tree — for a variant of `mlx exp run --set`, a queued variant
//! and an `mlx run --set` in the work tree — after which `mlx status` is clean and `git diff`
//! shows exactly the experiment's changes; local edits refused unless forced; a branch that
//! holds the result without touching the work tree or index; failed experiments and hostile
//! result commits refused; missing outputs fetched from the remote; stale refs dropped by gc.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::support::{TestProject, hash_hex, stderr, stdout};

/// A project whose `train` stage writes its lr to `model.txt` and `score = lr * 10` to
/// `metrics.json` (and fails when lr > 1); run and committed.
fn project() -> TestProject {
    let p = TestProject::initialized();
    p.write("data/n.txt", "1\n2\n3\n");
    p.mlx(&["add", "-q", "data"]).success();
    p.write("params.yaml", "train:\n  lr: 0.1\n  depth: 3\n");
    p.write(
        "train.py",
        "import json, re, sys\n\
         text = open('params.yaml').read()\n\
         lr = float(re.search(r'lr: *([0-9.]+)', text).group(1))\n\
         if lr > 1:\n    sys.exit('lr too large')\n\
         open('model.txt', 'w').write(f'lr={lr}\\n')\n\
         json.dump({'score': round(lr * 10, 6)}, open('metrics.json', 'w'))\n",
    );
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.train]\ncmd = \"python3 train.py\"\ndeps = [\"train.py\", \"data\"]\nparams = [\"params.yaml:train.lr\"]\nouts = [\"model.txt\"]\nmetrics = [\"metrics.json\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.commit_all("pipeline");
    p.mlx(&["run", "-q"]).success();
    p.commit_all("results");
    p
}

/// `(id, git_commit, result_commit)` of the experiment named `name`.
fn experiment(p: &TestProject, name: &str) -> (String, String, Option<String>) {
    p.db()
        .query_row(
            "SELECT id, git_commit, result_commit FROM experiments WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the experiment")
}

/// Every file of the work tree outside `.mlx` and `.git`: path → content or link target.
fn work_tree(p: &TestProject) -> BTreeMap<PathBuf, Vec<u8>> {
    crate::support::tree(p.root())
        .into_iter()
        .filter(|(path, _)| !path.starts_with(".mlx") && !path.starts_with(".git"))
        .map(|(path, (_, content, _))| (path, content))
        .collect()
}

/// What git's index holds and where HEAD is.
fn git_state(p: &TestProject) -> (String, String, String) {
    (p.git(&["ls-files", "-s"]), p.git(&["status", "--porcelain"]), p.rev_parse("HEAD"))
}

fn diff_names(p: &TestProject) -> String {
    p.git(&["diff", "--name-only"])
}

/// `mlx status --json` says every tracked path is as its pointer says and no stage would run.
fn assert_status_clean(p: &TestProject) {
    let status = p.json(&["status"]);
    assert_eq!(status["stages"], serde_json::json!([]), "{status:#}");
    for path in status["paths"].as_array().expect("paths") {
        assert_eq!(path["state"], "unchanged", "{status:#}");
        assert_eq!(path["missing_objects"], 0, "{status:#}");
    }
    p.mlx(&["status", "--check"]).success();
}

/// The experiment's files, outputs and status as `fast` (lr = 0.5) left them.
fn assert_applied(p: &TestProject, lr: &str) {
    assert_eq!(p.read_string("params.yaml"), format!("train:\n  lr: {lr}\n  depth: 3\n"));
    assert_eq!(p.read_string("model.txt"), format!("lr={lr}\n"));
    let score: f64 = lr.parse::<f64>().unwrap() * 10.0;
    let metrics: serde_json::Value = serde_json::from_str(&p.read_string("metrics.json")).unwrap();
    assert!((metrics["score"].as_f64().unwrap() - score).abs() < 1e-9, "{metrics}");
    assert!(p.read_string("mlx.lock").contains(&hash_hex(format!("lr={lr}\n").as_bytes())));
    assert_status_clean(p);
    assert_eq!(diff_names(p), "mlx.lock\nparams.yaml\n");
}

#[test]
fn apply_brings_a_variant_into_the_work_tree() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--name", "fast", "--set", "train.lr=0.5"]).success();
    let (id, base, result) = experiment(&p, "fast");
    let result = result.expect("a result commit");
    assert_eq!(base, p.rev_parse("HEAD"));
    // The result is a commit on top of the experiment's commit, kept by a ref, holding the
    // override and the variant's mlx.lock; the work tree and index were not touched.
    assert_eq!(p.rev_parse(&format!("{result}^")), base);
    assert_eq!(p.rev_parse(&format!("refs/mlx/exps/{id}")), result);
    assert_eq!(
        p.git(&["diff", "--name-only", &base, &result]),
        "mlx.lock\nparams.yaml\n",
        "the result holds the experiment's changes and nothing else"
    );
    assert_eq!(p.git_status(), "");

    // Tracked data the experiment did not change, gone from the work tree, comes back too.
    p.remove("data");
    let a = p.mlx(&["exp", "apply", "fast"]).success();
    assert_eq!(p.read_string("data/n.txt"), "1\n2\n3\n");
    let out = stdout(&a);
    assert!(out.contains("M  params.yaml") || out.contains("M         params.yaml"), "{out}");
    assert!(out.contains("model.txt"), "{out}");
    assert!(stderr(&a).contains("applied experiment fast (train.lr=0.5)"), "{}", stderr(&a));
    assert_applied(&p, "0.5");
    assert_eq!(p.read_string("mlx.lock"), p.git(&["show", &format!("{result}:mlx.lock")]));

    // Applying it again finds everything in place and changes nothing.
    let report = p.json(&["exp", "apply", "fast"]);
    assert_eq!(report["name"], "fast");
    assert_eq!(report["experiment"], id.as_str());
    assert_eq!(report["commit"], base.as_str());
    assert_eq!(report["result_commit"], result.as_str());
    assert_eq!(report["overrides"], serde_json::json!(["train.lr=0.5"]));
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{report:#}");
    assert!(files.iter().all(|f| f["written"] == false && f["change"] == "modified"), "{report:#}");
    assert_eq!(report["fetched"], 0);
    assert_applied(&p, "0.5");
}

#[test]
fn apply_brings_a_queued_variant_into_the_work_tree() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--queue", "--name", "later", "--set", "train.lr=0.7"]).success();
    p.mlx(&["exp", "queue", "start", "-q"]).success();
    let (_, _, result) = experiment(&p, "later");
    assert!(result.is_some(), "the queued variant kept its result");
    p.mlx(&["exp", "apply", "-q", "later"]).success();
    assert_applied(&p, "0.7");
}

#[test]
fn apply_brings_back_a_run_with_set_made_in_the_work_tree() {
    let p = project();
    p.mlx(&["run", "-q", "--name", "inplace", "--set", "params.yaml:train.lr=0.3"]).success();
    // The override was put back after the run; its result kept it.
    assert_eq!(p.read_string("params.yaml"), "train:\n  lr: 0.1\n  depth: 3\n");
    let (_, base, result) = experiment(&p, "inplace");
    let result = result.expect("a result commit");
    assert!(
        p.git(&["show", &format!("{result}:params.yaml")]).contains("lr: 0.3"),
        "the snapshot was taken with the override applied"
    );
    assert_eq!(p.git(&["diff", "--name-only", &base, &result]), "mlx.lock\nparams.yaml\n");
    p.mlx(&["exp", "apply", "inplace"]).success();
    assert_applied(&p, "0.3");
}

#[test]
fn apply_brings_the_code_edits_a_variant_started_from() {
    let p = project();
    // A variant run from an uncommitted edit of the code keeps the edit in its result.
    let edited = format!("{}# tuned\n", p.read_string("train.py"));
    p.write("train.py", &edited);
    p.mlx(&["exp", "run", "-q", "--name", "tuned", "--set", "train.lr=0.6"]).success();
    p.git(&["checkout", "--", "train.py"]);
    p.mlx(&["exp", "apply", "-q", "tuned"]).success();
    assert_eq!(p.read_string("train.py"), edited);
    assert_eq!(diff_names(&p), "mlx.lock\nparams.yaml\ntrain.py\n");
    assert_eq!(p.read_string("model.txt"), "lr=0.6\n");
    assert_status_clean(&p);
}

#[test]
fn apply_refuses_to_overwrite_local_edits_unless_forced() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--name", "fast", "--set", "train.lr=0.5"]).success();
    p.write("params.yaml", "train:\n  lr: 0.9\n  depth: 3\n");
    let before = work_tree(&p);
    let a = p.mlx(&["exp", "apply", "fast"]).code(2);
    let err = stderr(&a);
    assert!(err.contains("would overwrite changes not saved in 1 file"), "{err}");
    assert!(err.contains("params.yaml  has uncommitted changes"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(work_tree(&p), before, "nothing was written");
    p.mlx(&["exp", "apply", "--force", "fast"]).success();
    assert_applied(&p, "0.5");
}

#[test]
fn apply_refuses_when_head_changed_the_same_files_and_says_where_it_was_made() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--name", "fast", "--set", "train.lr=0.5"]).success();
    let (_, base, _) = experiment(&p, "fast");
    // A commit that changes other files: the experiment still applies cleanly.
    p.write("README.md", "notes\n");
    p.commit_all("notes");
    let a = p.mlx(&["exp", "apply", "fast"]).success();
    assert!(stderr(&a).contains(&format!("HEAD is not {}", &base[..8])), "{}", stderr(&a));
    assert_applied(&p, "0.5");
    p.git(&["checkout", "--", "."]);
    p.mlx(&["checkout", "-q"]).success();
    // A commit that changes the params file: refused, naming the file and the commit.
    p.write("params.yaml", "train:\n  lr: 0.2\n  depth: 4\n");
    p.commit_all("deeper");
    let a = p.mlx(&["exp", "apply", "fast"]).code(2);
    let err = stderr(&a);
    assert!(err.contains(&format!("was made on commit {}", &base[..8])), "{err}");
    assert!(err.contains("  params.yaml"), "{err}");
    assert_eq!(p.read_string("params.yaml"), "train:\n  lr: 0.2\n  depth: 4\n");
}

#[test]
fn branch_commits_the_result_on_a_new_branch_and_touches_nothing() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--name", "fast", "--set", "train.lr=0.5"]).success();
    let (_, base, result) = experiment(&p, "fast");
    let files = work_tree(&p);
    let state = git_state(&p);
    let a = p.mlx(&["exp", "branch", "fast", "try/fast"]).success();
    assert_eq!(stdout(&a), format!("try/fast {}\n", &result.as_deref().unwrap()[..8]));
    assert!(stderr(&a).contains("2 files changed: mlx.lock, params.yaml"), "{}", stderr(&a));
    assert_eq!(work_tree(&p), files, "the work tree changed");
    assert_eq!(git_state(&p), state, "the index or HEAD changed");
    // The branch holds the override, on top of the experiment's commit.
    assert!(p.git(&["show", "try/fast:params.yaml"]).contains("lr: 0.5"));
    let log = p.git(&["log", "--format=%s", "try/fast"]);
    assert!(log.starts_with("mlx experiment fast: train.lr=0.5\nresults\n"), "{log}");
    assert_eq!(p.rev_parse("try/fast^"), base);
    // An existing name, or one git refuses, is refused.
    let a = p.mlx(&["exp", "branch", "fast", "try/fast"]).code(2);
    assert!(stderr(&a).contains("a branch named try/fast exists already"), "{}", stderr(&a));
    for bad in ["bad..name", "-x", "with space", "end.lock"] {
        let a = p.mlx(&["exp", "branch", "fast", "--", bad]).code(2);
        assert!(stderr(&a).contains("is not a valid branch name"), "{bad}: {}", stderr(&a));
    }
    let report = p.json(&["exp", "branch", "fast", "other"]);
    assert_eq!(report["branch"], "other");
    assert_eq!(report["commit"], result.as_deref().unwrap());
    assert_eq!(report["base"], base.as_str());
    assert_eq!(
        report["files"][1],
        serde_json::json!({"path": "params.yaml", "change": "modified"})
    );
    // Checked out, it gives the experiment's outputs.
    p.git(&["checkout", "-q", "try/fast"]);
    p.mlx(&["checkout", "-q"]).success();
    assert_eq!(p.read_string("model.txt"), "lr=0.5\n");
    assert_status_clean(&p);
}

#[test]
fn an_experiment_that_failed_entirely_cannot_be_applied() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--name", "bad", "--set", "train.lr=9"]).code(1);
    let (_, _, result) = experiment(&p, "bad");
    assert_eq!(result, None);
    let files = work_tree(&p);
    for args in [&["exp", "apply", "bad"][..], &["exp", "branch", "bad", "b"]] {
        let a = p.mlx(args).code(2);
        let err = stderr(&a);
        assert!(err.contains("experiment bad has no result to apply"), "{err}");
        assert!(err.contains("it failed, and none of its stages ran and succeeded"), "{err}");
    }
    assert_eq!(work_tree(&p), files);
    // An unknown one says what is close.
    let a = p.mlx(&["exp", "apply", "bat"]).code(2);
    assert!(stderr(&a).contains("did you mean bad?"), "{}", stderr(&a));
}

/// Make the result of experiment `name` a commit on top of its commit whose tree also holds
/// `entries` (`mode type sha\tpath` lines of `git mktree` for the top folder).
fn forge_result(p: &TestProject, name: &str, entries: &[String]) -> String {
    let (id, base, _) = experiment(p, name);
    let mut listing = p.git(&["ls-tree", &base]);
    for e in entries {
        listing.push_str(e);
        listing.push('\n');
    }
    let tree = mktree(p, &listing);
    let commit = p.git(&["commit-tree", &tree, "-p", &base, "-m", "forged"]).trim().to_owned();
    p.db()
        .execute("UPDATE experiments SET result_commit = ?1 WHERE id = ?2", [&commit, &id])
        .unwrap();
    commit
}

fn mktree(p: &TestProject, listing: &str) -> String {
    use std::io::Write;
    let mut child = p
        .git_cmd_in(p.root())
        .arg("mktree")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(listing.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn blob(p: &TestProject, bytes: &str) -> String {
    use std::io::Write;
    let mut child = p
        .git_cmd_in(p.root())
        .args(["hash-object", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn hostile_result_commits_are_refused_by_the_gate() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--name", "fast", "--set", "train.lr=0.5"]).success();
    let hook = blob(&p, "#!/bin/sh\ntouch pwned\n");
    let in_folder = |names: &[&str], leaf: &str| {
        // A tree `names[0]/names[1]/…/leaf` holding the hook's blob, as a top-level entry.
        let mut entry = format!("100755 blob {hook}\t{leaf}\n");
        for name in names.iter().rev().take(names.len() - 1) {
            entry = format!("040000 tree {}\t{name}\n", mktree(&p, &entry));
        }
        format!("040000 tree {}\t{}", mktree(&p, &entry), names[0])
    };
    let outside = p.outside();
    let cases = [
        ("into .git", in_folder(&[".git", "hooks"], "post-checkout"), "own folder (.git)"),
        ("into .GIT", in_folder(&[".GIT", "hooks"], "post-checkout"), "own folder (.git)"),
        ("into .mlx", in_folder(&[".mlx"], "config.local.toml"), "own folder (.mlx)"),
        (
            "a symlink out of the work tree",
            format!("120000 blob {}\tescape", blob(&p, "../../outside")),
            "escape",
        ),
        (
            "an absolute symlink",
            format!("120000 blob {}\tescape", blob(&p, outside.to_str().unwrap())),
            "escape",
        ),
        (
            "a symlink into .git",
            format!("120000 blob {}\tsneaky", blob(&p, ".git/hooks")),
            "sneaky: it is a symlink into git's or mlx's own folder (.git)",
        ),
    ];
    let config = p.read(".mlx/config.local.toml");
    for (what, entry, says) in cases {
        forge_result(&p, "fast", &[entry]);
        let files = work_tree(&p);
        let a = p.mlx(&["exp", "apply", "--force", "fast"]).code(2);
        let err = stderr(&a);
        assert!(err.contains(says), "{what}: {err}");
        assert_eq!(work_tree(&p), files, "{what}: the work tree changed");
        assert!(!p.path(".git/hooks/post-checkout").exists(), "{what}");
        assert_eq!(p.read(".mlx/config.local.toml"), config, "{what}");
        assert!(!p.exists("escape") && !p.exists("sneaky"), "{what}");
    }
}

#[test]
fn apply_fetches_outputs_the_cache_lacks_from_the_remote() {
    let p = project();
    let store = p.outside().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("remote");
    p.mlx(&["exp", "run", "-q", "--name", "fast", "--set", "train.lr=0.5"]).success();
    p.mlx(&["push", "-q", "--runs"]).success();
    let model = hash_hex(b"lr=0.5\n");
    std::fs::remove_file(p.object_path(&model)).unwrap();
    let report = p.json(&["exp", "apply", "fast"]);
    assert_eq!(report["fetched"], 1, "{report:#}");
    assert!(p.has_object(&model));
    assert_applied(&p, "0.5");
}

#[test]
fn gc_drops_refs_of_experiments_the_database_no_longer_has() {
    let p = project();
    p.mlx(&["exp", "run", "-q", "--name", "fast", "--set", "train.lr=0.5"]).success();
    p.mlx(&["exp", "run", "-q", "--name", "slow", "--set", "train.lr=0.2"]).success();
    // An up-to-date run that is kept (it is named) changed nothing: its result is its commit.
    p.mlx(&["run", "-q", "--name", "again"]).success();
    let (_, base, result) = experiment(&p, "again");
    assert_eq!(result.as_deref(), Some(base.as_str()));
    let (fast, _, _) = experiment(&p, "fast");
    let (slow, _, _) = experiment(&p, "slow");
    p.db().execute("DELETE FROM experiments WHERE id = ?1", [&fast]).unwrap();
    let refs = || p.git(&["for-each-ref", "--format=%(refname)", "refs/mlx/exps/"]);
    assert!(refs().contains(&fast));
    let report = p.json(&["gc", "--dry-run"]);
    assert_eq!(report["removed_experiment_refs"], 1);
    assert!(refs().contains(&fast));
    let report = p.json(&["gc"]);
    assert_eq!(report["removed_experiment_refs"], 1);
    assert!(!refs().contains(&fast), "{}", refs());
    assert!(refs().contains(&slow), "{}", refs());
    p.mlx(&["exp", "apply", "-q", "slow"]).success();
    assert_applied(&p, "0.2");
}
