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

/// `mlx run --json` → (stage, outcome) pairs.
fn outcomes(p: &TestProject, path: &std::ffi::OsStr) -> Vec<(String, String)> {
    let a = p.mlx_cmd().env("PATH", path).args(["run", "--json"]).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["stage"].as_str().unwrap().to_owned(), s["outcome"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn path_with(dir: &std::path::Path) -> std::ffi::OsString {
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).unwrap()
}

/// A lock file named in `deps` and a program named in `tools`: changing either makes exactly
/// the stages that declared it stale, with the reason; `mlx.lock` records the tool's version.
#[test]
fn stages_that_declare_a_lock_file_or_a_tool_rerun_when_it_changes() {
    let p = TestProject::initialized();
    let tools = p.outside().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let version_file = p.outside().join("mytool-version");
    std::fs::write(&version_file, "mytool 1.0\nbuilt somewhere\n").unwrap();
    let tool = tools.join("mytool");
    std::fs::write(&tool, format!("#!/bin/sh\ncat '{}'\n", version_file.display())).unwrap();
    std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = path_with(&tools);

    p.write("uv.lock", "v1\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.locked]\ncmd = \"echo a > a.txt\"\ndeps = [\"uv.lock\"]\nouts = [\"a.txt\"]\n\n\
             [stages.tooled]\ncmd = \"echo b > b.txt\"\ntools = [\"mytool\", \"python3\"]\nouts = [\"b.txt\"]\n\n\
             [stages.plain]\ncmd = \"echo c > c.txt\"\nouts = [\"c.txt\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.commit_all("pipeline");
    let ran = outcomes(&p, &path);
    assert!(ran.iter().all(|(_, o)| o == "ran"), "{ran:?}");
    let lock = p.read_string("mlx.lock");
    assert!(lock.contains("mytool = \"mytool 1.0\""), "{lock}");
    assert!(lock.contains(&format!("python3 = \"Python {}\"", python_version())), "{lock}");
    assert_eq!(outcomes(&p, &path).iter().filter(|(_, o)| o == "ran").count(), 0);

    // A package bump: only the stage that named the lock file.
    p.write("uv.lock", "v2\n");
    let status = p.mlx_cmd().env("PATH", &path).args(["status", "--json"]).assert().success();
    let status: serde_json::Value = serde_json::from_slice(&status.get_output().stdout).unwrap();
    let stale: Vec<&str> =
        status["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    assert_eq!(stale, ["locked"], "{status:#}");
    let ran = outcomes(&p, &path);
    assert!(ran.contains(&("locked".into(), "ran".into())), "{ran:?}");
    assert_eq!(ran.iter().filter(|(_, o)| o == "ran").count(), 1, "{ran:?}");

    // A new version of the tool: only the stage that named it, with the reason.
    std::fs::write(&version_file, "mytool 2.0\n").unwrap();
    let status = p.mlx_cmd().env("PATH", &path).args(["status"]).assert().success();
    let said = stdout(&status);
    assert!(said.contains("tool mytool changed"), "{said}");
    let ran = outcomes(&p, &path);
    assert_eq!(
        ran.iter().filter(|(_, o)| o == "ran").map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["tooled"]
    );
    assert!(p.read_string("mlx.lock").contains("mytool = \"mytool 2.0\""));

    // Not on PATH at all: stale, and recorded as not found.
    let status = p.mlx(&["status"]).success();
    assert!(stdout(&status).contains("tool mytool changed"), "{}", stdout(&status));
}

/// `tools` names programs, never paths; a program found inside the work tree is never run.
#[test]
fn tools_are_bare_program_names_found_outside_the_work_tree() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.s]\ncmd = \"true\"\ntools = [\"../bin/evil\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    let a = p.mlx(&["status"]).code(2);
    let err = crate::support::stderr(&a);
    assert!(err.contains("mlx.toml:") && err.contains("is not a program name"), "{err}");

    p.write(
        "mlx.toml",
        format!("{}\n[stages.s]\ncmd = \"true\"\ntools = [\"evil\"]\n", {
            let t = p.read_string("mlx.toml");
            t[..t.find("\n[stages.s]").unwrap()].to_owned()
        }),
    );
    let marker = p.outside().join("ran");
    std::fs::create_dir_all(p.outside()).unwrap();
    p.write("bin/evil", format!("#!/bin/sh\ntouch '{}'\necho evil 1\n", marker.display()));
    p.set_mode("bin/evil", 0o755);
    let path = path_with(&p.path("bin"));
    let a = p.mlx_cmd().env("PATH", &path).args(["status"]).assert().code(2);
    let err = crate::support::stderr(&a);
    assert!(err.contains("inside the work tree"), "{err}");
    let a = p.mlx_cmd().env("PATH", &path).args(["run"]).assert().code(2);
    assert!(crate::support::stderr(&a).contains("inside the work tree"));
    assert!(!marker.exists(), "the program in the work tree was run");
}
