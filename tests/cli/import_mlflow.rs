//! `mlx import mlflow --from PATH` on tracking stores filled by the real MLflow (a file store
//! and a SQLite database, `tests/fixtures/mlflow/make_store.py`): what lands in the database
//! and the cache, importing again, and stores that are broken or hostile.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::mlflow_store::make_store;
use crate::support::{TestProject, stderr, stdout};

/// The commit the fixture's runs record as `mlflow.source.git.commit`.
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// The two stores, made once for all tests: the folder holding `mlruns/` and the folder
/// holding `mlflow.db`. Tests that change a store work on a copy.
fn stores() -> (&'static Path, &'static Path) {
    static STORES: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    let (_, file, db) = STORES.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("mlx-mlflow-").tempdir().expect("temp dir");
        let base = dir.path().canonicalize().expect("canonical");
        let file = base.join("file");
        let db = base.join("db");
        std::thread::scope(|s| {
            s.spawn(|| make_store(&format!("file://{}/mlruns", file.display()), &file, COMMIT));
            s.spawn(|| make_store(&format!("sqlite:///{}/mlflow.db", db.display()), &db, COMMIT));
        });
        (dir, file, db)
    });
    (file, db)
}

/// A copy of `dir` under `to` (the stores hold absolute artifact paths only in their metadata;
/// the file store's artifacts are read from each run's folder, the database's are rewritten by
/// the tests that need them).
fn copy_dir(dir: &Path, to: &Path) {
    let status = std::process::Command::new("cp").arg("-a").arg(dir).arg(to).status().unwrap();
    assert!(status.success());
}

fn import(p: &TestProject, from: &str) -> serde_json::Value {
    let a = p.mlx(&["import", "mlflow", "--from", from, "--json"]).success();
    serde_json::from_str(&stdout(&a)).expect("JSON report")
}

fn count(p: &TestProject, sql: &str) -> i64 {
    p.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The mlx run imported from the MLflow run named `name`.
fn run_named(p: &TestProject, name: &str) -> String {
    p.db()
        .query_row("SELECT id FROM runs WHERE name = ?1", [name], |r| r.get(0))
        .unwrap_or_else(|e| panic!("no run named {name}: {e}"))
}

/// What every store made by the fixture script gives.
fn assert_imported(p: &TestProject, from: &str) {
    let report = import(p, from);
    assert_eq!(report["runs_imported"], 4, "{report:#}");
    assert_eq!(report["runs_deleted"], 2, "{report:#}");
    assert_eq!(report["experiments_deleted"], 1, "{report:#}");
    assert_eq!(report["not_imported"], serde_json::json!([]), "{report:#}");
    let names: Vec<&str> = report["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"train") && names.contains(&"eval"), "{names:?}");

    let base = run_named(p, "base");
    let show = p.json(&["exp", "show", &base]);
    assert_eq!(show["commit"], COMMIT);
    assert_eq!(show["status"], "finished");
    assert_eq!(show["params"]["lr"], "0.1");
    assert_eq!(show["params"]["optimizer"], "adam");
    assert_eq!(show["tags"]["team"], "vision");
    assert_eq!(show["tags"]["mlflow.experiment"], "train");
    assert_eq!(show["tags"]["mlflow.source.git.commit"], COMMIT);
    assert_eq!(show["tags"]["mlflow.run_id"].as_str().unwrap().len(), 32);
    assert!(show["end"].is_string() && show["start"].is_string());
    // Full histories, with steps and timestamps.
    let db = p.db();
    let loss: Vec<(i64, f64, i64)> = db
        .prepare("SELECT step, value, timestamp FROM metrics WHERE run_id = ?1 AND key = 'loss' ORDER BY step")
        .unwrap()
        .query_map([&base], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<(i64, f64, i64)> =
        (0..5).map(|s| (s, 1.0 / (s as f64 + 1.0), 1_700_000_000_000 + s)).collect();
    assert_eq!(loss, expected);
    let (acc, points): (f64, i64) = db
        .query_row(
            "SELECT value, points FROM latest_metrics WHERE run_id = ?1 AND key = 'acc'",
            [&base],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((acc, points), (0.7, 3));
    // Artifacts in the cache: a file, a folder, and the logged model.
    let artifacts: Vec<(String, String, String)> = db
        .prepare("SELECT path, kind, hash FROM artifacts WHERE run_id = ?1 ORDER BY path")
        .unwrap()
        .query_map([&base], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let kinds: Vec<(&str, &str)> =
        artifacts.iter().map(|(p, k, _)| (p.as_str(), k.as_str())).collect();
    assert_eq!(
        kinds,
        [("models/echo", "directory"), ("plots", "directory"), ("weights.txt", "file")]
    );
    assert_eq!(artifacts[2].2, crate::support::hash_hex(b"weights\n"));
    for (_, _, hash) in &artifacts {
        assert!(p.has_object(hash), "{hash} is in the cache");
    }
    p.mlx(&["exp", "get", &base, "weights.txt", "-o", "got"]).success();
    assert_eq!(p.read_string("got/weights.txt"), "weights\n");

    // The nested run joins its parent's experiment; the failed one is its own.
    let child = run_named(p, "child");
    let experiment_of = |id: &str| -> String {
        db.query_row("SELECT experiment_id FROM runs WHERE id = ?1", [id], |r| r.get(0)).unwrap()
    };
    assert_eq!(experiment_of(&child), experiment_of(&base));
    let broken = run_named(p, "broken");
    assert_eq!(p.json(&["exp", "show", &broken])["status"], "failed");
    let list = p.json(&["exp", "list"]);
    let listed: Vec<&str> = list["experiments"]
        .as_array()
        .or_else(|| list.as_array())
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["base", "broken", "score"], "{list:#}");
    let filtered =
        stdout(&p.mlx(&["exp", "list", "--filter", "tags.mlflow.experiment = 'eval'"]).success());
    assert!(filtered.contains("score") && !filtered.contains("base"), "{filtered}");

    // Again: nothing added.
    let rows = |p: &TestProject| {
        ["runs", "experiments", "metrics", "params", "tags", "artifacts"]
            .map(|t| count(p, &format!("SELECT count(*) FROM {t}")))
    };
    let before = rows(p);
    let again = import(p, from);
    assert_eq!(again["runs_imported"], 0);
    assert_eq!(again["runs_already_imported"], 4);
    assert_eq!(rows(p), before);
}

#[test]
fn file_store_made_by_mlflow_is_imported_once() {
    let (file, _) = stores();
    let p = TestProject::initialized();
    assert_imported(&p, file.join("mlruns").to_str().unwrap());
}

#[test]
fn sqlite_store_made_by_mlflow_is_imported_once() {
    let (_, db) = stores();
    let p = TestProject::initialized();
    let a = p.mlx(&["import", "mlflow", "--from", db.join("mlflow.db").to_str().unwrap(), "-n"]);
    let a = a.success();
    assert!(
        stderr(&a).contains("would import 4 runs from the MLflow SQLite database"),
        "{}",
        stderr(&a)
    );
    assert_eq!(count(&p, "SELECT count(*) FROM runs"), 0, "a dry run writes nothing");
    assert_imported(&p, &format!("sqlite:///{}", db.join("mlflow.db").display()));
}

#[test]
fn a_database_of_an_unknown_mlflow_schema_is_refused() {
    let (_, db) = stores();
    let p = TestProject::initialized();
    let copy = p.outside().join("db");
    std::fs::create_dir_all(p.outside()).unwrap();
    copy_dir(db, &copy);
    let conn = rusqlite::Connection::open(copy.join("mlflow.db")).unwrap();
    conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'", []).unwrap();
    drop(conn);
    let a = p.mlx(&["import", "mlflow", "--from", copy.join("mlflow.db").to_str().unwrap()]);
    let err = stderr(&a.code(2));
    assert!(err.contains("schema revision ffffffffffff"), "{err}");
    assert!(err.contains("dc11669786a5"), "names the newest it reads: {err}");
    assert_eq!(count(&p, "SELECT count(*) FROM runs"), 0);
}

#[test]
fn a_path_that_is_not_a_store_is_refused() {
    let p = TestProject::initialized();
    std::fs::create_dir_all(p.outside().join("empty")).unwrap();
    std::fs::write(p.outside().join("notes.txt"), "hello").unwrap();
    let plain = rusqlite::Connection::open(p.outside().join("other.db")).unwrap();
    plain.execute("CREATE TABLE t (x)", []).unwrap();
    drop(plain);
    for (what, expect) in [
        ("empty", "no experiment folder"),
        ("notes.txt", "neither a folder"),
        ("other.db", "without MLflow's tables"),
        ("missing", "not an MLflow tracking store"),
    ] {
        let from = p.outside().join(what);
        let a = p.mlx(&["import", "mlflow", "--from", from.to_str().unwrap()]);
        let err = stderr(&a.code(2));
        assert!(err.contains(expect), "{what}: {err}");
    }
    let a = p.mlx(&["import", "mlflow", "--from", "http://127.0.0.1:5000"]);
    assert!(stderr(&a.code(2)).contains("nothing is fetched"));
}

#[test]
fn corrupt_files_name_the_file_and_line_and_the_rest_is_imported() {
    let (file, _) = stores();
    let p = TestProject::initialized();
    std::fs::create_dir_all(p.outside()).unwrap();
    let copy = p.outside().join("file");
    copy_dir(file, &copy);
    let mlruns = copy.join("mlruns");
    // The runs of experiment "train": break base's meta.yaml and broken's metric history.
    let run_dirs = |name: &str| -> PathBuf {
        for exp in std::fs::read_dir(&mlruns).unwrap() {
            let exp = exp.unwrap().path();
            let Ok(runs) = std::fs::read_dir(&exp) else { continue };
            for run in runs {
                let run = run.unwrap().path();
                if std::fs::read_to_string(run.join("meta.yaml"))
                    .is_ok_and(|m| m.contains(&format!("run_name: {name}\n")))
                {
                    return run;
                }
            }
        }
        panic!("no run {name}")
    };
    let score = run_dirs("score");
    let base = run_dirs("base");
    let meta = std::fs::read_to_string(base.join("meta.yaml")).unwrap();
    std::fs::write(base.join("meta.yaml"), meta.replace("status: 3", "status: [oops")).unwrap();
    std::fs::write(score.join("metrics/f1"), "1700000000000 0.8 0\n1700000000001 high 1\n")
        .unwrap();
    let a = p.mlx(&["import", "mlflow", "--from", mlruns.to_str().unwrap()]);
    let err = stderr(&a.code(1));
    assert!(err.contains("meta.yaml:"), "names the file and line: {err}");
    assert!(err.contains("metrics/f1:2: value \"high\" is not a number"), "{err}");
    // The nested run and the failed one are imported; the broken two are not.
    let names: Vec<String> = p
        .db()
        .prepare("SELECT name FROM runs ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["broken", "child"]);
    // Mended, the rest comes in and nothing twice.
    std::fs::write(base.join("meta.yaml"), meta).unwrap();
    std::fs::write(score.join("metrics/f1"), "1700000000000 0.8 0\n").unwrap();
    let report = import(&p, mlruns.to_str().unwrap());
    assert_eq!(report["runs_imported"], 2);
    assert_eq!(report["runs_already_imported"], 2);
    assert_eq!(count(&p, "SELECT count(*) FROM runs"), 4);
}

#[test]
fn hostile_stores_write_nothing_outside_the_cache_and_read_nothing_outside_the_store() {
    let (file, db) = stores();
    let p = TestProject::initialized();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret\n").unwrap();
    std::fs::create_dir_all(outside.join("secrets")).unwrap();
    std::fs::write(outside.join("secrets/key"), "key\n").unwrap();

    // File store: symlinks in an artifacts folder to files and folders outside it, a name git
    // reads settings from, and a run whose meta.yaml names another run id.
    let copy = outside.join("file");
    copy_dir(file, &copy);
    let mlruns = copy.join("mlruns");
    let mut base = None;
    for exp in std::fs::read_dir(&mlruns).unwrap() {
        let Ok(runs) = std::fs::read_dir(exp.unwrap().path()) else { continue };
        for run in runs {
            let run = run.unwrap().path();
            let meta = std::fs::read_to_string(run.join("meta.yaml")).unwrap_or_default();
            if meta.contains("run_name: base\n") {
                base = Some(run);
            } else if meta.contains("run_name: score\n") {
                let id = run.file_name().unwrap().to_str().unwrap().to_owned();
                std::fs::write(run.join("meta.yaml"), meta.replace(&id, "../../escaped")).unwrap();
            }
        }
    }
    let artifacts = base.unwrap().join("artifacts");
    std::os::unix::fs::symlink(outside.join("secret.txt"), artifacts.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.join("secrets"), artifacts.join("plots/linked")).unwrap();
    std::fs::write(artifacts.join(".gitignore"), "*\n").unwrap();
    let a = p.mlx(&["import", "mlflow", "--from", mlruns.to_str().unwrap()]).code(1);
    let err = stderr(&a);
    assert!(err.contains("link.txt: a symlink or special file, not followed"), "{err}");
    assert!(err.contains("plots/linked: a symlink or special file, not followed"), "{err}");
    assert!(err.contains(".gitignore"), "{err}");
    assert!(err.contains("run_id: expected"), "{err}");
    for secret in [&b"secret\n"[..], b"key\n"] {
        assert!(!p.has_object(&crate::support::hash_hex(secret)), "nothing read from outside");
    }
    let paths: Vec<String> = p
        .db()
        .prepare("SELECT path FROM artifacts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!paths.iter().any(|p| p.contains("link") || p.contains("gitignore")), "{paths:?}");

    // SQLite: artifact locations outside the store's folder, with `..`, and remote ones.
    let copy = outside.join("db");
    copy_dir(db, &copy);
    let conn = rusqlite::Connection::open(copy.join("mlflow.db")).unwrap();
    conn.execute(
        "UPDATE runs SET artifact_uri = ?1 WHERE name = 'base'",
        [format!("file://{}", outside.join("secrets").display())],
    )
    .unwrap();
    conn.execute("UPDATE runs SET artifact_uri = '../secrets' WHERE name = 'child'", []).unwrap();
    conn.execute("UPDATE runs SET artifact_uri = 's3://bucket/x' WHERE name = 'score'", [])
        .unwrap();
    conn.execute("UPDATE logged_models SET artifact_location = '/etc'", []).unwrap();
    drop(conn);
    let p2 = TestProject::initialized();
    let a = p2.mlx(&["import", "mlflow", "--from", copy.join("mlflow.db").to_str().unwrap()]);
    let err = stderr(&a.success());
    assert!(err.contains("outside the store's folder"), "{err}");
    assert!(err.contains("a remote artifact store"), "{err}");
    assert!(!p2.has_object(&crate::support::hash_hex(b"key\n")), "nothing read from outside");
    assert_eq!(count(&p2, "SELECT count(*) FROM artifacts"), 0);
    assert_eq!(count(&p2, "SELECT count(*) FROM runs"), 4);
}
