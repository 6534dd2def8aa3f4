//! `mlx exp run`: variants in isolated workspaces (issue 13). The user's work tree stays
//! byte-identical while variants run, each variant records its own params and metrics, the run
//! cache stays right when variants run at once, uncommitted changes are carried over, and a
//! killed variant's workspace is cleaned up by the next command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::support::{TestProject, stderr};

/// A project whose `train` stage writes its lr to `model.txt` and `score = lr * 10` to
/// `metrics.json`, after `SLEEP` seconds (so that variants overlap); run and committed.
fn project() -> TestProject {
    let p = TestProject::initialized();
    p.write("data/n.txt", "1\n2\n3\n");
    p.mlx(&["add", "-q", "data"]).success();
    p.write("params.yaml", "train:\n  lr: 0.1\n  depth: 3\n");
    p.write(
        "train.py",
        "import json, os, re, time\n\
         time.sleep(float(os.environ.get('SLEEP', '0')))\n\
         text = open('params.yaml').read()\n\
         lr = float(re.search(r'lr: *([0-9.]+)', text).group(1))\n\
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

/// Every file of the work tree outside `.mlx` and `.git`: path → (content or link target, mode).
fn work_tree(p: &TestProject) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    crate::support::tree(p.root())
        .into_iter()
        .filter(|(path, _)| !path.starts_with(".mlx") && !path.starts_with(".git"))
        .map(|(path, (_, content, mode))| (path, (content, mode)))
        .collect()
}

/// (name, lr param, score metric) of every run of stage `train`, oldest first.
fn train_runs(p: &TestProject) -> Vec<(String, String, f64)> {
    let db = p.db();
    let mut st = db
        .prepare(
            "SELECT r.id, p.value, m.value FROM runs r
             JOIN params p ON p.run_id = r.id AND p.key = 'params.yaml:train.lr'
             JOIN latest_metrics m ON m.run_id = r.id AND m.key = 'score'
             WHERE r.name = 'train' ORDER BY r.id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn worktrees(p: &TestProject) -> usize {
    p.git(&["worktree", "list", "--porcelain"]).matches("worktree ").count()
}

fn exps_dir(p: &TestProject) -> Vec<String> {
    std::fs::read_dir(p.path(".mlx/exps"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn a_variant_runs_in_its_own_workspace_and_leaves_the_work_tree_untouched() {
    let p = project();
    let before = work_tree(&p);
    let a = p.mlx(&["exp", "run", "--name", "fast", "--set", "params.yaml:train.lr=0.5"]).success();
    let err = stderr(&a);
    assert!(err.contains("train: ran"), "{err}");
    assert!(err.contains("experiment fast (finished on "), "{err}");
    assert_eq!(work_tree(&p), before, "the work tree changed");
    assert_eq!(p.git_status(), "");
    // The variant's run: its own param and metric, its outputs in the cache.
    let runs = train_runs(&p);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!((runs[1].1.as_str(), runs[1].2), ("0.5", 5.0));
    assert!(p.has_object(&crate::support::hash_hex(b"lr=0.5\n")));
    // Nothing left behind: no worktree, no workspace folder, no stat rows of it.
    assert_eq!(worktrees(&p), 1);
    assert!(exps_dir(&p).is_empty(), "{:?}", exps_dir(&p));
    let scoped: i64 = p
        .db()
        .query_row("SELECT COUNT(*) FROM stat_cache WHERE substr(path, 1, 1) = x'00'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(scoped, 0);
    // The run cache is shared: the same override in the work tree restores, without running.
    let a = p.mlx(&["run", "--set", "params.yaml:train.lr=0.5"]).success();
    assert!(stderr(&a).contains("restored from the run cache"), "{}", stderr(&a));
    assert_eq!(p.read_string("model.txt"), "lr=0.5\n");
}

#[test]
fn uncommitted_changes_of_tracked_files_go_into_the_variant() {
    let p = project();
    // An edit not committed: the variant runs it, the work tree keeps it.
    p.write("params.yaml", "train:\n  lr: 0.3\n  depth: 3\n");
    p.mlx(&["exp", "run"]).success();
    let runs = train_runs(&p);
    assert_eq!((runs.last().unwrap().1.as_str(), runs.last().unwrap().2), ("0.3", 3.0));
    assert_eq!(p.read_string("params.yaml"), "train:\n  lr: 0.3\n  depth: 3\n");
    assert_eq!(p.read_string("model.txt"), "lr=0.1\n");
}

fn spawn_variant(p: &TestProject, lr: &str) -> Child {
    p.mlx_std()
        .env("SLEEP", "1")
        .args(["exp", "run", "--set", &format!("params.yaml:train.lr={lr}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mlx exp run")
}

#[test]
fn variants_at_once_record_their_own_params_and_metrics_and_the_run_cache_stays_right() {
    let p = project();
    let before = work_tree(&p);
    let children: Vec<(&str, Child)> =
        ["0.4", "0.5", "0.7"].into_iter().map(|lr| (lr, spawn_variant(&p, lr))).collect();
    // While they run the work tree stays what it was.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(work_tree(&p), before);
    for (lr, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{lr}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut got: Vec<(String, f64)> =
        train_runs(&p).into_iter().map(|(_, lr, score)| (lr, score)).skip(1).collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![("0.4".to_owned(), 4.0), ("0.5".to_owned(), 5.0), ("0.7".to_owned(), 7.0)]
    );
    assert_eq!(work_tree(&p), before);
    // Each fingerprint restores its own outputs.
    for lr in ["0.7", "0.4"] {
        let a = p.mlx(&["run", "--set", &format!("params.yaml:train.lr={lr}")]).success();
        assert!(stderr(&a).contains("restored from the run cache"), "{}", stderr(&a));
        assert_eq!(p.read_string("model.txt"), format!("lr={lr}\n"));
    }
    assert_eq!(worktrees(&p), 1);
}

#[test]
fn a_killed_variant_leaves_nothing_the_next_command_does_not_clean() {
    let p = project();
    let mut child = p
        .mlx_std()
        .env("SLEEP", "30")
        .args(["exp", "run", "--name", "doomed", "--set", "params.yaml:train.lr=0.9"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the stage runs in its workspace, then kill mlx.
    let model_dir = p.path(".mlx/exps/doomed");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !model_dir.join(".mlx/runs").is_dir() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(model_dir.is_dir(), "the workspace was never made");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(worktrees(&p), 2);
    // Any command cleans it up.
    p.mlx(&["status"]).success();
    assert_eq!(worktrees(&p), 1);
    assert!(exps_dir(&p).is_empty(), "{:?}", exps_dir(&p));
    assert!(!Path::new(&model_dir).exists());
}

#[test]
fn bad_names_and_names_in_use_are_refused() {
    let p = project();
    for name in ["../x", ".hidden", "a/b", ""] {
        let a = p.mlx(&["exp", "run", "--name", name]).code(2);
        assert!(stderr(&a).contains("experiment name"), "{name:?}: {}", stderr(&a));
    }
    assert_eq!(worktrees(&p), 1);
}

// ---------------------------------------------------------------------------------------------
// The queue

fn queued(p: &TestProject) -> Vec<(String, String)> {
    let v = p.json(&["exp", "queue", "list"]);
    v["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["name"].as_str().unwrap().to_owned(), e["set"][0].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

#[test]
fn eight_queued_variants_run_two_at_a_time_and_a_failing_one_does_not_stop_the_queue() {
    let p = project();
    let before = work_tree(&p);
    for i in 1..=8 {
        let lr = if i == 5 { "oops".to_owned() } else { format!("0.{}", i + 1) };
        p.mlx(&[
            "exp",
            "run",
            "--queue",
            "--name",
            &format!("v{i}"),
            "--set",
            &format!("params.yaml:train.lr={lr}"),
        ])
        .success();
    }
    // Queued from the work tree as it was: a later edit does not change them.
    p.write("params.yaml", "train:\n  lr: 0.99\n  depth: 3\n");
    let names: Vec<String> = queued(&p).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, (1..=8).map(|i| format!("v{i}")).collect::<Vec<_>>());
    p.write("params.yaml", "train:\n  lr: 0.1\n  depth: 3\n");
    let a =
        p.mlx_cmd().env("SLEEP", "0.3").args(["exp", "queue", "start", "-j", "2"]).assert().code(1);
    let err = stderr(&a);
    assert!(err.contains("8 variants run, 1 failed, 0 left in the queue"), "{err}");
    assert!(err.contains("v5: exit code 1"), "{err}");
    let mut got: Vec<(String, f64)> =
        train_runs(&p).into_iter().skip(1).map(|(_, lr, score)| (lr, score)).collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<(String, f64)> =
        [2, 3, 4, 5, 7, 8, 9].iter().map(|i| (format!("0.{i}"), f64::from(*i))).collect();
    assert_eq!(got, want);
    assert!(queued(&p).is_empty());
    assert_eq!(work_tree(&p), before);
    assert_eq!(worktrees(&p), 1);
    // The queue's refs are gone; the result of each variant that succeeded is kept (and that
    // of the project's first run), not that of the failed one.
    assert_eq!(p.git(&["for-each-ref", "refs/mlx/queue"]), "");
    assert_eq!(p.git(&["for-each-ref", "refs/mlx/exps"]).lines().count(), 8);
    let failed: Option<String> = p
        .db()
        .query_row("SELECT result_commit FROM experiments WHERE name = 'v5'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(failed, None);
}

#[test]
fn ctrl_c_stops_the_running_variants_and_keeps_the_rest_queued() {
    let p = project();
    for i in 1..=3 {
        p.mlx(&[
            "exp",
            "run",
            "--queue",
            "--name",
            &format!("q{i}"),
            "--set",
            &format!("params.yaml:train.lr=0.{}", i + 1),
        ])
        .success();
    }
    let mut child = p
        .mlx_std()
        .env("SLEEP", "30")
        .args(["exp", "queue", "start"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !p.path(".mlx/exps/q1/.mlx/runs").is_dir() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = crate::run::wait_child(&mut child, Duration::from_secs(60)).expect("queue stops");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    // q1 was stopped and recorded killed; q2 and q3 wait.
    let names: Vec<String> = queued(&p).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["q2", "q3"], "{err}");
    let status: String = p
        .db()
        .query_row(
            "SELECT status FROM runs WHERE name = 'train' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "killed");
    assert_eq!(worktrees(&p), 1);
}

#[test]
fn removing_from_the_queue_and_unknown_names() {
    let p = project();
    p.mlx(&["exp", "run", "--queue", "--name", "keep-me", "--set", "params.yaml:train.lr=0.2"])
        .success();
    p.mlx(&["exp", "run", "--queue", "--name", "drop-me", "--set", "params.yaml:train.lr=0.3"])
        .success();
    let a = p.mlx(&["exp", "queue", "remove", "drop-mee"]).code(2);
    assert!(
        stderr(&a).contains("no queued experiment is named drop-mee (did you mean drop-me?)"),
        "{}",
        stderr(&a)
    );
    assert_eq!(queued(&p).len(), 2);
    p.mlx(&["exp", "queue", "remove", "drop-me"]).success();
    assert_eq!(queued(&p), vec![("keep-me".to_owned(), "params.yaml:train.lr=0.2".to_owned())]);
    // A name in the queue cannot be used twice.
    let a = p.mlx(&["exp", "run", "--queue", "--name", "keep-me"]).code(2);
    assert!(stderr(&a).contains("queued, running or recorded"), "{}", stderr(&a));
}

#[test]
fn an_entry_whose_runner_was_killed_goes_back_to_the_queue() {
    let p = project();
    p.mlx(&["exp", "run", "--queue", "--name", "again", "--set", "params.yaml:train.lr=0.6"])
        .success();
    let mut child = p
        .mlx_std()
        .env("SLEEP", "30")
        .args(["exp", "queue", "start"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !p.path(".mlx/exps/again/.mlx/runs").is_dir() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // A crash: the queue and the runner of the variant both die by SIGKILL.
    child.kill().unwrap();
    let runner = std::fs::read_to_string(p.path(".mlx/queue/running/again.toml")).unwrap();
    let pid: i32 = runner
        .lines()
        .find_map(|l| l.strip_prefix("runner = \""))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("a runner pid");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL)
        .unwrap();
    let _ = crate::run::wait_child(&mut child, Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(100));
    // The next look puts it back, and a start runs it to the end.
    assert_eq!(queued(&p), vec![("again".to_owned(), "params.yaml:train.lr=0.6".to_owned())]);
    p.mlx(&["exp", "queue", "start"]).success();
    assert!(queued(&p).is_empty());
    assert_eq!(train_runs(&p).last().unwrap().1, "0.6");
    assert_eq!(worktrees(&p), 1);
}

#[test]
fn resource_limits_hold_across_variants_run_at_once() {
    let p = TestProject::initialized();
    let log = p.temp_dir().join("intervals");
    p.write("params.yaml", "train:\n  lr: 0.1\n");
    // Each run appends "start" and "end" lines around a sleep: with one gpu they never nest.
    p.write(
        "mlx.toml",
        format!(
            "{}\n[resources]\ngpu = 1\n\n[stages.train]\ncmd = \"echo start >> '{log}'; sleep 0.4; echo end >> '{log}'; cp params.yaml out.txt\"\nparams = [\"params.yaml:train.lr\"]\nouts = [\"out.txt\"]\nresources = {{ gpu = 1 }}\n",
            p.read_string("mlx.toml"),
            log = log.display()
        ),
    );
    p.commit_all("pipeline");
    for lr in ["0.2", "0.3", "0.4"] {
        p.mlx(&["exp", "run", "--queue", "--set", &format!("params.yaml:train.lr={lr}")]).success();
    }
    p.mlx(&["exp", "queue", "start", "-j", "3"]).success();
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines, "start\nend\n".repeat(3), "runs overlapped on the one gpu");
}

/// A repository copied with its files (`cp -a`, a restored backup) has an index whose stat data
/// is stale: git finds no change, yet fails to make a snapshot of none. A variant starts anyway.
#[test]
fn a_copied_repository_with_a_stale_index_runs_variants() {
    let p = project();
    let copy = p.root().parent().unwrap().join("copy");
    let ok = std::process::Command::new("cp").arg("-a").arg(p.root()).arg(&copy).status().unwrap();
    assert!(ok.success());
    p.mlx_in(&copy, &["exp", "run", "-q", "--name", "copied", "--set", "params.yaml:train.lr=0.3"])
        .success();
    let model = std::fs::read_to_string(copy.join("model.txt")).unwrap();
    assert_eq!(model, "lr=0.1\n", "the copy's work tree is untouched");
    let conn = rusqlite::Connection::open(copy.join(".mlx/mlx.db")).unwrap();
    let score: f64 = conn
        .query_row(
            "SELECT m.value FROM runs r JOIN latest_metrics m ON m.run_id = r.id AND m.key = 'score'
             JOIN experiments e ON e.id = r.experiment_id WHERE e.name = 'copied'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((score - 3.0).abs() < 1e-9, "{score}");
}
