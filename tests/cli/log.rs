//! `mlx log param|metric|tag|artifact`: inside `mlx run` (through `$MLX_RUN_ID` and
//! `$MLX_PROJECT`) and from outside with `--run PREFIX`; values (nan, inf, negative steps,
//! unicode keys), parse errors, artifacts in the cache and kept by gc, and many concurrent
//! writers.

use std::process::{Child, Stdio};
use std::time::Duration;

use crate::run::{
    artifacts, last_run, metrics, params, running_run_named, runs, scratch, sh_wait_for, tags,
    wait_child,
};
use crate::support::{TestProject, hash_file_hex, hash_hex, mlx_bin, stderr, stdout};

/// A project with one finished run; returns its id.
fn project_with_a_run() -> (TestProject, String) {
    let p = TestProject::initialized();
    p.mlx(&["run", "--", "true"]).success();
    let id = last_run(&p).id;
    (p, id)
}

#[test]
fn log_inside_a_run_attaches_to_that_run() {
    let p = TestProject::initialized();
    p.mkdir("out");
    let script = r#"set -e
        "$MLX_BIN" log param lr=0.1 layers=4
        "$MLX_BIN" log metric loss=0.5 acc=0.75 --step 3
        "$MLX_BIN" log metric loss=0.25 --step 4
        "$MLX_BIN" log tag stage=train
        echo weights > model.bin
        "$MLX_BIN" log artifact model.bin"#;
    let a = p
        .mlx_cmd_in(p.path("out"))
        .env("MLX_BIN", mlx_bin())
        .args(["run", "--", "sh", "-c", script])
        .assert()
        .success();
    let run = last_run(&p);
    assert_eq!(run.status, "finished");
    assert_eq!(
        params(&p, &run.id),
        [("layers".to_owned(), "4".to_owned(), Some(4.0)), ("lr".into(), "0.1".into(), Some(0.1))]
    );
    assert_eq!(
        metrics(&p, &run.id),
        [
            ("acc".to_owned(), 3, Some(0.75)),
            ("loss".to_owned(), 3, Some(0.5)),
            ("loss".to_owned(), 4, Some(0.25))
        ]
    );
    assert_eq!(tags(&p, &run.id), [("stage".to_owned(), "train".to_owned())]);
    let arts = artifacts(&p, &run.id);
    let model = arts.iter().find(|a| a.0 == "out/model.bin").expect("model artifact");
    assert_eq!(model.1, "file");
    assert_eq!(model.2, hash_hex(b"weights\n"));
    // The artifact's line is the command's stdout, so it is in the output too.
    assert!(stdout(&a).contains(&format!("file  {}  out/model.bin", &model.2[..8])), "{a:?}");
}

#[test]
fn log_from_outside_names_the_run_by_a_unique_prefix() {
    let (p, id) = project_with_a_run();
    p.mlx(&["log", "param", "lr=0.01", "--run", &id[..8]]).success();
    p.mlx(&["log", "tag", "best=yes", "--run", &id]).success();
    p.mlx(&["log", "metric", "acc=0.9", "--step", "2", "--run", &id.to_uppercase()]).success();
    // Logging a param or tag again replaces it; metrics keep every point.
    p.mlx(&["log", "param", "lr=0.02", "--run", &id[..8]]).success();
    p.mlx(&["log", "tag", "best=no", "--run", &id[..8]]).success();
    p.mlx(&["log", "metric", "acc=0.8", "--step", "2", "--run", &id[..8]]).success();
    assert_eq!(params(&p, &id), [("lr".to_owned(), "0.02".to_owned(), Some(0.02))]);
    assert_eq!(tags(&p, &id), [("best".to_owned(), "no".to_owned())]);
    assert_eq!(
        metrics(&p, &id),
        [("acc".to_owned(), 2, Some(0.9)), ("acc".to_owned(), 2, Some(0.8))]
    );
    let latest: f64 = p
        .db()
        .query_row("SELECT value FROM latest_metrics WHERE run_id = ?1", [&id], |r| r.get(0))
        .unwrap();
    assert_eq!(latest, 0.8, "the newest point wins at the same step");
    // --run wins over $MLX_RUN_ID.
    p.mlx(&["run", "--", "true"]).success();
    let other = last_run(&p).id;
    p.mlx_cmd()
        .env("MLX_RUN_ID", &other)
        .args(["log", "tag", "where=explicit", "--run", &id])
        .assert()
        .success();
    assert!(tags(&p, &id).contains(&("where".to_owned(), "explicit".to_owned())));
    assert!(tags(&p, &other).is_empty());
    // --json reports what was logged.
    let v = p.json(&["log", "metric", "x=1", "y=2", "--run", &id]);
    assert_eq!(v["run"], id.as_str());
    assert_eq!(v["logged"], 2);
}

#[test]
fn log_with_an_unknown_or_ambiguous_prefix_fails_with_2() {
    let (p, a) = project_with_a_run();
    p.mlx(&["run", "--", "true"]).success();
    let b = last_run(&p).id;
    let common: String =
        a.chars().zip(b.chars()).take_while(|(x, y)| x == y).map(|(x, _)| x).collect();
    assert!(!common.is_empty(), "{a} {b}");
    let out = p.mlx(&["log", "param", "k=v", "--run", &common]).code(2);
    let err = stderr(&out);
    assert!(err.contains("matches several runs"), "{err}");
    assert!(err.contains(&a) && err.contains(&b), "{err}");

    let out = p.mlx(&["log", "metric", "m=1", "--run", "zzzzzz"]).code(2);
    assert!(
        stderr(&out).contains("error: no run has the id or name \"zzzzzz\""),
        "{}",
        stderr(&out)
    );
    let out = p.mlx(&["log", "tag", "k=v", "--run", "not-an-id!"]).code(2);
    assert!(stderr(&out).contains("no run has the id or name"), "{}", stderr(&out));
    p.mlx(&["log", "tag", "k=v", "--run", ""]).code(2);
    for id in [&a, &b] {
        assert!(params(&p, id).is_empty() && tags(&p, id).is_empty());
        assert!(metrics(&p, id).is_empty());
    }
}

#[test]
fn log_outside_a_run_without_run_fails_with_2() {
    let (p, id) = project_with_a_run();
    for args in [
        vec!["log", "param", "lr=0.1"],
        vec!["log", "metric", "loss=1"],
        vec!["log", "tag", "k=v"],
        vec!["log", "artifact", "mlx.toml"],
    ] {
        let a = p
            .mlx_cmd()
            .env_remove("MLX_RUN_ID")
            .env_remove("MLX_PROJECT")
            .args(&args)
            .assert()
            .code(2);
        assert_eq!(
            stderr(&a),
            "error: no run to log to: run this inside `mlx run`, or name one with --run ID\n",
            "{args:?}"
        );
    }
    assert!(params(&p, &id).is_empty() && metrics(&p, &id).is_empty());
    assert!(artifacts(&p, &id).is_empty());
}

#[test]
fn log_from_a_child_that_left_the_project_uses_mlx_project() {
    let p = TestProject::initialized();
    let outside = scratch(&p);
    let script = r#"cd "$OUTSIDE" && "$MLX_BIN" log metric far=1 --step 2 && "$MLX_BIN" log param where=outside"#;
    p.mlx_cmd()
        .env("MLX_BIN", mlx_bin())
        .env("OUTSIDE", &outside)
        .args(["run", "--", "sh", "-c", script])
        .assert()
        .success();
    let run = last_run(&p);
    assert_eq!(run.status, "finished");
    assert_eq!(metrics(&p, &run.id), [("far".to_owned(), 2, Some(1.0))]);
    assert_eq!(params(&p, &run.id), [("where".to_owned(), "outside".to_owned(), None)]);
    // Outside the project and without $MLX_PROJECT there is no project to log to.
    let a = p
        .mlx_cmd_in(&outside)
        .env_remove("MLX_PROJECT")
        .args(["log", "metric", "far=1", "--run", &run.id])
        .assert()
        .code(2);
    assert!(stderr(&a).contains("is not inside a git repository"), "{}", stderr(&a));
    assert_eq!(metrics(&p, &run.id).len(), 1);
}

#[test]
fn log_metric_takes_nan_inf_negative_steps_and_unicode_keys() {
    let (p, id) = project_with_a_run();
    p.mlx(&["log", "metric", "précision=0.9", "损失=0.1", "--step", "-3", "--run", &id]).success();
    p.mlx(&["log", "metric", "a=nan", "b=inf", "c=-inf", "d=NaN", "e=-Infinity", "--run", &id])
        .success();
    p.mlx(&["log", "metric", "f=-1.5e-3", "--step=-7", "--run", &id]).success();
    p.mlx(&["log", "param", "größe=groß", "--run", &id]).success();
    p.mlx(&["log", "tag", "emoji=🚀", "--run", &id]).success();
    assert_eq!(
        metrics(&p, &id),
        [
            ("a".to_owned(), 0, None),
            ("b".to_owned(), 0, Some(f64::INFINITY)),
            ("c".to_owned(), 0, Some(f64::NEG_INFINITY)),
            ("d".to_owned(), 0, None),
            ("e".to_owned(), 0, Some(f64::NEG_INFINITY)),
            ("f".to_owned(), -7, Some(-1.5e-3)),
            ("précision".to_owned(), -3, Some(0.9)),
            ("损失".to_owned(), -3, Some(0.1)),
        ]
    );
    assert_eq!(params(&p, &id), [("größe".to_owned(), "groß".to_owned(), None)]);
    assert_eq!(tags(&p, &id), [("emoji".to_owned(), "🚀".to_owned())]);
    // The keys are stored as the UTF-8 text given, as any client reads them back.
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\n\
             con = sqlite3.connect(sys.argv[1])\n\
             rows = con.execute(\"SELECT key, step, value FROM metrics WHERE run_id = ? \
                AND key NOT IN ('a', 'd', 'f') ORDER BY key\", (sys.argv[2],)).fetchall()\n\
             sys.stdout.buffer.write(repr(rows).encode('utf-8'))",
        ])
        .arg(p.path(".mlx/mlx.db"))
        .arg(&id)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[('b', 0, inf), ('c', 0, -inf), ('e', 0, -inf), ('précision', -3, 0.9), ('损失', -3, 0.1)]"
    );
}

#[test]
fn log_rejects_malformed_key_value_pairs_with_2() {
    let (p, id) = project_with_a_run();
    for (args, message) in [
        (vec!["metric", "loss"], "expected KEY=VALUE, got \"loss\""),
        (vec!["metric", "loss=abc"], "\"abc\" is not a number"),
        (vec!["metric", "loss="], "is not a number"),
        (vec!["metric", "=0.5"], "expected KEY=VALUE"),
        (vec!["metric", "ok=1", "bad"], "expected KEY=VALUE"),
        (vec!["metric", "ok=1", "--step", "1.5"], "invalid value '1.5'"),
        (vec!["param", "novalue"], "expected KEY=VALUE"),
        (vec!["tag", "=v"], "expected KEY=VALUE"),
        (vec!["param"], "required arguments were not provided"),
        (vec!["artifact"], "required arguments were not provided"),
    ] {
        let mut all = vec!["log"];
        all.extend(&args);
        all.extend(["--run", id.as_str()]);
        let a = p.mlx(&all).code(2);
        assert!(stderr(&a).contains(message), "{args:?}: {}", stderr(&a));
    }
    assert!(metrics(&p, &id).is_empty(), "a refused call logged something");
    assert!(params(&p, &id).is_empty() && tags(&p, &id).is_empty());
}

#[test]
fn log_artifact_stores_files_and_directories_in_the_cache() {
    let (p, id) = project_with_a_run();
    p.write("model.pkl", "model weights\n");
    p.write("reports/summary.txt", "accuracy 0.9\n");
    p.write("reports/plots/loss.svg", "<svg/>");
    let a = p.mlx(&["log", "artifact", "model.pkl", "reports", "--run", &id]).success();
    let arts = artifacts(&p, &id);
    assert_eq!(arts.len(), 2, "{arts:?}");
    let (path, kind, hash, size) = &arts[0];
    assert_eq!((path.as_str(), kind.as_str()), ("model.pkl", "file"));
    assert_eq!(hash, &hash_file_hex(&p.path("model.pkl")));
    assert_eq!(*size, 14);
    assert_eq!(std::fs::read(p.object_path(hash)).unwrap(), b"model weights\n");
    let (dpath, dkind, manifest, dsize) = &arts[1];
    assert_eq!((dpath.as_str(), dkind.as_str()), ("reports", "directory"));
    assert_eq!(*dsize, 13 + 6, "a directory's size is its files' bytes");
    assert!(p.has_object(manifest), "manifest {manifest} missing");
    assert_eq!(&hash_file_hex(&p.object_path(manifest)), manifest);
    for file in ["reports/summary.txt", "reports/plots/loss.svg"] {
        assert!(p.has_object(&hash_file_hex(&p.path(file))), "{file} not in the cache");
    }
    assert_eq!(
        stdout(&a),
        format!("file  {}  model.pkl\ndirectory  {}  reports\n", &hash[..8], &manifest[..8])
    );
    // No pointer files: artifacts are not tracked data.
    assert!(!p.exists("model.pkl.mlx") && !p.exists("reports.mlx"));
    // Paths are relative to where mlx log runs.
    p.mlx_in("reports", &["log", "artifact", "summary.txt", "--run", &id]).success();
    let arts = artifacts(&p, &id);
    assert!(arts.iter().any(|a| a.0 == "reports/summary.txt" && a.1 == "file"), "{arts:?}");
    // --json has the full hashes.
    let v = p.json(&["log", "artifact", "model.pkl", "--run", &id]);
    assert_eq!(v["artifacts"][0]["hash"], hash.as_str());
    assert_eq!(v["artifacts"][0]["kind"], "file");
    assert_eq!(v["artifacts"][0]["size"], 14);
}

#[test]
fn log_artifact_outside_the_project_fails_with_2() {
    let (p, id) = project_with_a_run();
    let outside = scratch(&p).join("secret.txt");
    std::fs::write(&outside, "secret\n").unwrap();
    let before = p.objects();
    let abs = outside.display().to_string();
    for path in [abs.as_str(), "../outside/secret.txt"] {
        let a = p.mlx(&["log", "artifact", path, "--run", &id]).code(2);
        assert!(stderr(&a).contains("is outside the project"), "{path}: {}", stderr(&a));
    }
    let a = p.mlx(&["log", "artifact", "missing.bin", "--run", &id]).code(2);
    assert!(stderr(&a).contains("missing.bin"), "{}", stderr(&a));
    assert!(artifacts(&p, &id).is_empty());
    assert_eq!(p.objects(), before, "a refused artifact reached the cache");
}

#[test]
fn gc_keeps_artifact_and_log_objects_while_the_run_exists() {
    let p = TestProject::initialized();
    p.commit_all("init");
    p.write("model.pkl", "model weights\n");
    p.write("reports/summary.txt", "accuracy 0.9\n");
    p.mlx_cmd()
        .env("MLX_BIN", mlx_bin())
        .args([
            "run",
            "--",
            "sh",
            "-c",
            "echo training; \"$MLX_BIN\" log artifact model.pkl reports",
        ])
        .assert()
        .success();
    let run = last_run(&p);
    let arts = artifacts(&p, &run.id);
    assert_eq!(arts.iter().map(|a| a.1.as_str()).collect::<Vec<_>>(), ["log", "file", "directory"]);
    let log_hash = &arts.iter().find(|a| a.1 == "log").unwrap().2;
    let log = std::fs::read(p.object_path(log_hash)).unwrap();
    assert!(log.starts_with(b"training\n"), "{}", String::from_utf8_lossy(&log));
    // The workspace copies go away: only the run references the objects now.
    p.remove("model.pkl");
    p.remove("reports");
    let objects = p.objects();
    assert_eq!(objects.len(), 4, "log, model, manifest, summary: {objects:?}");
    p.mlx(&["gc"]).success();
    assert_eq!(p.objects(), objects, "gc removed objects of a run that exists");
    p.mlx(&["cache", "verify"]).success();

    // Once the run is gone, gc frees them.
    let conn = p.db();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn.execute("DELETE FROM runs WHERE id = ?1", [&run.id]).unwrap();
    drop(conn);
    p.mlx(&["gc"]).success();
    assert!(p.objects().is_empty(), "{:?}", p.objects());
}

#[test]
fn eight_log_loops_and_a_metrics_file_writer_lose_nothing() {
    const LOOPS: usize = 8;
    const CALLS: usize = 25;
    const FILE_POINTS: usize = 300;
    let p = TestProject::initialized();
    let dir = scratch(&p);
    let go = dir.join("go");
    let done = dir.join("done");
    // The run the loops log to: it also writes its own metrics file meanwhile, and waits.
    let writer = format!(
        "{}; i=0; while [ $i -lt {FILE_POINTS} ]; do \
           printf '{{\"key\":\"file\",\"value\":%d,\"step\":%d}}\\n' $i $i >> \"$MLX_METRICS_FILE\"; \
           i=$((i+1)); done",
        sh_wait_for("GO")
    );
    let target_script = format!("{writer}; {}", sh_wait_for("DONE"));
    let spawn = |name: &str, script: &str| -> Child {
        p.mlx_std()
            .env("GO", &go)
            .env("DONE", &done)
            .args(["run", "--name", name, "--", "sh", "-c", script])
            .stdin(Stdio::null()) // never the terminal: mlx would hand it over
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mlx run")
    };
    let mut target = spawn("target", &target_script);
    let mut other = spawn("other", &writer);
    let target_id = running_run_named(&p, "target");
    let other_id = running_run_named(&p, "other");
    std::fs::write(&go, "").unwrap();

    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..LOOPS)
            .map(|w| {
                let p = &p;
                let target_id = &target_id;
                s.spawn(move || {
                    let mut errors = Vec::new();
                    for step in 0..CALLS {
                        let out = p
                            .mlx_std()
                            .args(["log", "metric", &format!("w{w}={}", w * 100 + step)])
                            .args(["--step", &step.to_string(), "--run", target_id])
                            .output()
                            .expect("mlx log runs");
                        if !out.status.success() || !out.stderr.is_empty() {
                            errors.push(format!(
                                "w{w} step {step}: {:?} {}",
                                out.status,
                                String::from_utf8_lossy(&out.stderr)
                            ));
                        }
                    }
                    errors
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("logger thread")).collect()
    });
    std::fs::write(&done, "").unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
    for (name, child) in [("target", &mut target), ("other", &mut other)] {
        let status = wait_child(child, Duration::from_secs(60)).expect("mlx run ends");
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(status.success(), "{name}: {err}");
        assert!(!err.contains("locked"), "{name}: {err}");
        assert!(err.contains(&format!("{FILE_POINTS} metric points")), "{name}: {err}");
    }

    let file_points: Vec<(String, i64, Option<f64>)> =
        (0..FILE_POINTS).map(|i| ("file".to_owned(), i as i64, Some(i as f64))).collect();
    let mut expected = file_points.clone();
    for w in 0..LOOPS {
        expected
            .extend((0..CALLS).map(|s| (format!("w{w}"), s as i64, Some((w * 100 + s) as f64))));
    }
    assert_eq!(metrics(&p, &target_id), expected);
    assert_eq!(metrics(&p, &other_id), file_points);
    // latest_metrics agrees: the highest step of every key.
    let conn = p.db();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM latest_metrics WHERE run_id = ?1 AND step = ?2 AND key LIKE 'w%'",
            rusqlite::params![target_id, (CALLS - 1) as i64],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, LOOPS as i64);
    assert!(runs(&p).iter().all(|r| r.status == "finished"), "{:?}", runs(&p));
}
