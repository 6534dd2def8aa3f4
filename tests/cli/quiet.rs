//! `-q` on every command: it hides status, progress and accounts of what went well, never the
//! data asked for (tables, paths, JSON, a dry run's plan) and never problems (failed checks,
//! failed stages, warnings).

use crate::remotes::{clone_of, project_with_remote};
use crate::support::{TestProject, mlx_bin, stderr, stdout};

/// `mlx -q ARGS` succeeds and prints nothing at all.
fn silent(p: &TestProject, args: &[&str]) {
    let mut all = vec!["-q"];
    all.extend_from_slice(args);
    let a = p.mlx(&all).success();
    assert_eq!((stdout(&a), stderr(&a)), (String::new(), String::new()), "mlx {all:?}");
}

#[test]
fn checkout_with_q_prints_nothing_on_success() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("model.bin", "weights\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    p.remove("data");
    p.remove("model.bin");
    // Without -q, the restored paths are listed.
    let a = p.mlx(&["checkout", "data"]).success();
    assert!(stdout(&a).contains("data  1 restored, 0 removed"), "{}", stdout(&a));
    silent(&p, &["checkout"]);
    assert_eq!(p.read("model.bin"), b"weights\n");
    // Nothing to do: no "already matches" either.
    silent(&p, &["checkout"]);
}

#[test]
fn doctor_with_q_prints_only_the_problems() {
    let p = TestProject::initialized();
    p.write("data.csv", "a,b\n");
    p.mlx(&["add", "data.csv"]).success();
    p.commit_all("data");
    let full = stdout(&p.mlx(&["doctor", "--no-remotes"]).success());
    assert!(full.lines().any(|l| l.starts_with("ok ")), "{full}");
    // A healthy project: nothing at all.
    let a = p.mlx(&["-q", "doctor", "--no-remotes"]).success();
    assert!(
        stdout(&a).lines().all(|l| !l.starts_with("ok ")),
        "ok checks printed with -q:\n{}",
        stdout(&a)
    );
    assert_eq!(stderr(&a), "", "the summary is status");
    // A failing check is printed, with its hint, and the exit code says it.
    let missing = p.outside().join("no-such-store");
    p.mlx(&["remote", "add", "backup", missing.to_str().unwrap()]).success();
    let a = p.mlx(&["-q", "doctor"]).code(1);
    let out = stdout(&a);
    assert!(out.lines().any(|l| l.starts_with("FAIL") && l.contains("backup")), "{out}");
    assert!(out.contains("hint: "), "{out}");
    assert!(out.lines().all(|l| !l.starts_with("ok ")), "{out}");
}

#[test]
fn commands_that_change_things_are_silent_with_q() {
    let (p, _store) = project_with_remote();
    p.write("extra.bin", "extra\n");
    silent(&p, &["add", "extra.bin"]);
    silent(&p, &["push"]);
    silent(&p, &["rm", "extra.bin"]);
    silent(&p, &["gc"]);
    silent(&p, &["install-hooks"]);
    silent(&p, &["run", "--name", "r1", "--", "true"]);
    let id = p.json(&["exp", "list"])["experiments"][0]["id"].as_str().unwrap().to_owned();
    silent(&p, &["log", "artifact", "model.bin", "--run", &id]);
    silent(&p, &["exp", "rm", &id]);
    let clone = clone_of(&p, "clone");
    for args in [&["fetch"][..], &["pull"]] {
        let mut all = vec!["-q"];
        all.extend_from_slice(args);
        let a = p.mlx_in(&clone, &all).success();
        assert_eq!((stdout(&a), stderr(&a)), (String::new(), String::new()), "mlx {all:?}");
    }
    assert_eq!(std::fs::read(clone.join("model.bin")).unwrap(), b"weights v1\n");
}

#[test]
fn q_keeps_the_data_asked_for_and_the_problems() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.mlx(&["add", "data"]).success();
    p.commit_all("data");
    // Listings are data.
    assert!(stdout(&p.mlx(&["-q", "ls"]).success()).contains("data"));
    p.write("data/a.txt", "changed\n");
    let a = p.mlx(&["-q", "status"]).success();
    assert!(stdout(&a).contains("modified"), "{}", stdout(&a));
    assert_eq!(stderr(&a), "", "the summary and hints are status");
    // A dry run's plan is what was asked for.
    p.mlx(&["add", "data"]).success();
    let a = p.mlx(&["-q", "gc", "--dry-run"]).success();
    assert!(stdout(&a).starts_with("would remove 2 objects"), "{}", stdout(&a));
    // JSON is always printed.
    assert!(p.json(&["-q", "add", "data"])["added"].is_array());
    // A failed stage and a failed check are problems.
    p.write("mlx.toml", "[stages.broken]\ncmd = \"exit 3\"\n");
    let a = p.mlx(&["-q", "run"]).code(1);
    assert!(stderr(&a).contains("broken: FAILED"), "{}", stderr(&a));
    p.mlx(&["run", "--name", "r", "--", mlx_bin(), "log", "metric", "acc=0.5"]).success();
    let id = p.json(&["exp", "list", "--filter", "name = 'r'"])["experiments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = p.mlx(&["-q", "exp", "check", "metrics.acc > 0.9", "--run", &id]).code(1);
    assert!(stderr(&a).contains("FAIL  metrics.acc = 0.5 (needs > 0.9)"), "{}", stderr(&a));
    assert!(!stderr(&a).contains("check failed for run"), "{}", stderr(&a));
}
