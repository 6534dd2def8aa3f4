//! What each run ran on: the machine, the Python it ran and the project's lock files, recorded
//! on every run (commands and stages), shown by `exp show` and compared by `exp diff` (run
//! records carry it through a remote: `provenance.rs`).

use crate::support::{TestProject, stdout};

/// The version `python3 --version` prints here ("3.11.7").
fn python_version() -> String {
    let out = std::process::Command::new("python3").arg("--version").output().unwrap();
    let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
    String::from_utf8(text).unwrap().trim().trim_start_matches("Python").trim().to_owned()
}

fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[test]
fn runs_record_the_machine_python_and_lock_files_and_diff_shows_what_changed() {
    let p = TestProject::initialized();
    p.write("uv.lock", "version = 1\n");
    p.write("requirements-dev.txt", "pytest\n");
    p.write("src/uv.lock", "not at the root\n");
    p.commit_all("project");
    p.mlx(&["run", "-q", "--name", "before", "--", "python3", "-c", "pass"]).success();
    p.write("uv.lock", "version = 2\n");
    p.mlx(&["run", "-q", "--name", "after", "--", "sh", "-c", "true"]).success();

    let shown = p.json(&["exp", "show", "before"]);
    let env = &shown["environment"];
    assert_eq!(env["os"], std::env::consts::OS, "{env:#}");
    assert_eq!(env["arch"], std::env::consts::ARCH, "{env:#}");
    assert!(env["cpu.count"].as_str().unwrap().parse::<usize>().unwrap() >= 1, "{env:#}");
    assert!(env["memory"].as_str().unwrap().parse::<u64>().unwrap() > 1 << 20, "{env:#}");
    assert!(!env["kernel"].as_str().unwrap().is_empty(), "{env:#}");
    assert_eq!(env["python"], python_version().as_str(), "{env:#}");
    assert_eq!(env["lock.uv.lock"], hash(b"version = 1\n").as_str(), "{env:#}");
    assert_eq!(env["lock.requirements-dev.txt"], hash(b"pytest\n").as_str(), "{env:#}");
    let keys: Vec<&String> = env.as_object().unwrap().keys().collect();
    assert!(!keys.iter().any(|k| k.starts_with("gpu.")) || which("nvidia-smi"), "{keys:?}");
    // A command that runs no Python records no Python version.
    let after = p.json(&["exp", "show", "after"]);
    assert!(after["environment"].get("python").is_none(), "{after:#}");

    // Read with SQLite itself.
    let conn = p.db();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM run_environment e JOIN runs r ON r.id = e.run_id
             WHERE r.name = 'before' AND e.key LIKE 'lock.%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2);
    drop(conn);

    let diff = p.json(&["exp", "diff", "before", "after"]);
    let rows = diff["environment"].as_array().unwrap();
    let row = |key: &str| rows.iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("{key}"));
    assert_eq!(row("lock.uv.lock")["changed"], true);
    assert_eq!(row("lock.uv.lock")["b"], hash(b"version = 2\n").as_str());
    assert_eq!(row("os")["changed"], false);
    assert_eq!(row("python")["changed"], true);
    assert!(row("python")["b"].is_null());
    let human = stdout(&p.mlx(&["exp", "diff", "before", "after"]).success());
    let line = human.lines().find(|l| l.contains("env.lock.uv.lock")).expect("the lock file row");
    assert!(line.starts_with('*'), "{human}");
    assert!(line.contains(&hash(b"version = 1\n")[..12]), "{human}");
    assert!(!human.contains("env.os "), "unchanged facts are not listed: {human}");
    let show = stdout(&p.mlx(&["exp", "show", "before"]).success());
    assert!(show.contains("ENVIRONMENT"), "{show}");
    assert!(
        show.lines().any(|l| l.starts_with("python ") && l.ends_with(&python_version())),
        "{show}"
    );
}

#[test]
fn stage_runs_record_their_environment() {
    let p = TestProject::initialized();
    p.write("poetry.lock", "[[package]]\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.train]\ncmd = \"python3 -c 'open(\\\"out.txt\\\", \\\"w\\\").write(\\\"x\\\")'\"\nouts = [\"out.txt\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.commit_all("pipeline");
    p.mlx(&["run", "-q"]).success();
    let runs = p.json(&["exp", "show", &latest_experiment(&p)]);
    assert_eq!(runs["environment"]["python"], python_version().as_str(), "{runs:#}");
    assert_eq!(runs["environment"]["lock.poetry.lock"], hash(b"[[package]]\n").as_str());
}

fn latest_experiment(p: &TestProject) -> String {
    let list = p.json(&["exp", "list"]);
    list["experiments"][0]["id"].as_str().unwrap().to_owned()
}

fn which(program: &str) -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join(program).is_file())
}
