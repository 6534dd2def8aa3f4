//! Finding the project: outside git, outside an mlx project, `-C`, subfolders, `--version`; and
//! output hygiene (stdout carries only data, `-q` hides hints).

use predicates::prelude::*;

use crate::support::{TestProject, stderr, stdout};

#[test]
fn outside_a_git_repository_exits_2_mentioning_git() {
    let p = TestProject::new();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    let a = p.mlx_in(&outside, &["status"]).code(2);
    let err = stderr(&a);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("not inside a git repository"), "{err}");
    assert!(stdout(&a).is_empty());
    // `init` says the same: it needs git first.
    p.mlx_in(&outside, &["init"])
        .code(2)
        .stderr(predicate::str::contains("git"))
        .stderr(predicate::str::contains("git init"));
    assert!(!outside.join(".mlx").exists());
}

#[test]
fn outside_a_git_repository_hints_at_git_init() {
    let p = TestProject::new();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    p.mlx_in(&outside, &["ls"])
        .code(2)
        .stderr(predicate::str::contains("hint: ").and(predicate::str::contains("git init")));
}

#[test]
fn git_repository_without_init_exits_2_mentioning_mlx_init() {
    let p = TestProject::new();
    for cmd in
        [&["status"][..], &["ls"], &["add", "x"], &["checkout"], &["gc"], &["cache", "verify"]]
    {
        let a = p.mlx(cmd).code(2);
        let err = stderr(&a);
        assert!(err.contains("is not an mlx project"), "{cmd:?}: {err}");
        assert!(err.contains("mlx init"), "{cmd:?}: {err}");
    }
    assert!(!p.exists(".mlx"));
}

#[test]
fn dash_c_runs_as_if_started_in_dir() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    let root = p.root().display().to_string();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    p.mlx_in(&outside, &["-C", &root, "add", "data"]).success();
    assert!(p.exists("data.mlx"));
    // -C with a relative path resolves against the current directory.
    p.mlx_in(&outside, &["-C", "../repo", "ls"]).success().stdout(predicate::str::contains("data"));
    // -C into a subfolder: paths are relative to it.
    p.mlx_in(&outside, &["-C", &format!("{root}/data"), "ls", "a.txt"])
        .success()
        .stdout(predicate::str::contains("data/a.txt"));
}

#[test]
fn dash_c_to_a_missing_dir_is_a_usage_error() {
    let p = TestProject::initialized();
    let a = p.mlx(&["-C", "no/such/dir", "status"]).code(2);
    assert!(stderr(&a).contains("no/such/dir"), "{}", stderr(&a));
}

#[test]
fn relative_paths_from_a_subfolder_resolve_against_it() {
    let p = TestProject::initialized();
    p.write("sub/data/a.txt", "a\n");
    p.write("sub/other/b.txt", "b\n");
    p.mlx_in("sub", &["add", "data", "../sub/other"]).success();
    assert!(p.exists("sub/data.mlx"));
    assert!(p.exists("sub/other.mlx"));
    assert_eq!(p.read_string("sub/.gitignore"), "/data\n/other\n");
    p.mlx_in("sub/data", &["status", "--check", "."]).success();
    p.mlx_in("sub", &["ls", "data"]).success().stdout(predicate::str::contains("sub/data/a.txt"));
    p.remove("sub/other");
    p.mlx_in("sub/data", &["checkout", "../other"]).success();
    assert_eq!(p.read_string("sub/other/b.txt"), "b\n");
    p.mlx_in("sub", &["rm", "other.mlx"]).success();
    assert!(!p.exists("sub/other.mlx"));
}

#[test]
fn version_prints_name_and_version() {
    let p = TestProject::new();
    p.mlx(&["--version"]).success().stdout(format!("mlx {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let p = TestProject::initialized();
    p.mlx(&["frobnicate"]).code(2).stderr(predicate::str::contains("frobnicate"));
}

#[test]
fn json_stdout_stays_valid_when_stderr_has_hints() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    // `add` prints a hint on stderr; its --json stdout is still one JSON document.
    let a = p.mlx(&["add", "data", "--json"]).success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).expect("json");
    assert_eq!(v["added"][0]["path"], "data");
    let a = p.mlx(&["ls", "--json"]).success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).expect("json");
    assert_eq!(v["entries"][0]["path"], "data");
    // A modified workspace makes status print a hint on stderr, never on stdout.
    p.write("data/b.txt", "b\n");
    let a = p.mlx(&["status", "--json"]).success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).expect("json");
    assert_eq!(v["paths"][0]["state"], "modified");
    let a = p.mlx(&["status"]).success();
    assert!(stderr(&a).contains("hint: "), "{}", stderr(&a));
    assert!(!stdout(&a).contains("hint"), "{}", stdout(&a));
}

#[test]
fn quiet_hides_hints_and_status_but_not_data() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    // What add did is an account of success, not data asked for (see quiet.rs).
    let a = p.mlx(&["-q", "add", "data"]).success();
    assert_eq!((stdout(&a), stderr(&a)), (String::new(), String::new()));
    p.write("data/b.txt", "b\n");
    let a = p.mlx(&["status", "-q"]).success();
    assert_eq!(stderr(&a), "");
    assert!(stdout(&a).contains("modified"));
    // Errors still show with -q.
    p.mlx(&["-q", "ls", "nope"]).code(2).stderr(predicate::str::starts_with("error: "));
    p.mlx(&["-q", "ls", "nope"]).stderr(predicate::str::contains("hint").not());
}
