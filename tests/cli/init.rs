//! `mlx init`: the files it creates, idempotence, and keeping an existing mlx.toml.

use std::os::unix::fs::MetadataExt;

use predicates::prelude::*;

use crate::support::{TestProject, stderr, tree};

#[test]
fn init_creates_mlx_dir_config_gitignore_and_database() {
    let p = TestProject::new();
    let a = p.mlx(&["init"]).success();
    assert_eq!(crate::support::stdout(&a), "");
    insta::assert_snapshot!(p.redact(&stderr(&a)), @r"
    initialized mlx project at [ROOT]
    hint: commit the project files: git add mlx.toml .gitignore
    ");
    assert!(p.path(".mlx").is_dir());
    assert!(p.path(".mlx/cache").is_dir());
    assert!(p.path(".mlx/config.local.toml").is_file());
    assert!(p.path("mlx.toml").is_file());
    let gitignore = p.read_string(".gitignore");
    assert!(gitignore.lines().any(|l| l == "/.mlx/"), "{gitignore}");
    // The project file parses and says what wrote it.
    let toml_text = p.read_string("mlx.toml");
    assert!(toml_text.starts_with('#'), "{toml_text}");
    toml_text.parse::<toml::Table>().expect("mlx.toml is TOML");
    let version: i64 =
        p.db().pragma_query_value(None, "user_version", |r| r.get(0)).expect("user_version");
    assert!(version >= 1, "schema version {version}");
    let tables: Vec<String> = p
        .db()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.contains(&"stat_cache".to_owned()), "{tables:?}");
    // git sees the project files but not .mlx/.
    let status = p.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(status.contains("mlx.toml"), "{status}");
    assert!(status.contains(".gitignore"), "{status}");
    assert!(!status.contains(".mlx/"), "{status}");
}

#[test]
fn init_twice_changes_nothing() {
    let p = TestProject::initialized();
    let files = [".gitignore", "mlx.toml", ".mlx/config.local.toml"];
    let before: Vec<(Vec<u8>, i64, i64)> = files
        .iter()
        .map(|f| {
            let m = std::fs::metadata(p.path(f)).unwrap();
            (p.read(f), m.mtime(), m.mtime_nsec())
        })
        .collect();
    let tree_before = tree(&p.path(".mlx/cache"));
    let a = p.mlx(&["init"]).success();
    assert!(stderr(&a).contains("already initialized"), "{}", stderr(&a));
    let after: Vec<(Vec<u8>, i64, i64)> = files
        .iter()
        .map(|f| {
            let m = std::fs::metadata(p.path(f)).unwrap();
            (p.read(f), m.mtime(), m.mtime_nsec())
        })
        .collect();
    assert_eq!(before, after);
    assert_eq!(tree_before, tree(&p.path(".mlx/cache")));
    let json = p.json(&["init"]);
    assert_eq!(json["created"], serde_json::json!([]));
}

#[test]
fn init_keeps_an_existing_mlx_toml_and_gitignore_lines() {
    let p = TestProject::new();
    let mine = "# my settings\n[core]\nlock_timeout = 7\n";
    p.write("mlx.toml", mine);
    p.write(".gitignore", "target/\n*.log");
    let json = p.json(&["init"]);
    let created: Vec<&str> =
        json["created"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(!created.contains(&"mlx.toml"), "{created:?}");
    assert!(created.contains(&".gitignore"), "{created:?}");
    assert_eq!(p.read_string("mlx.toml"), mine);
    let gitignore = p.read_string(".gitignore");
    assert!(gitignore.starts_with("target/\n*.log\n"), "{gitignore}");
    assert_eq!(gitignore.lines().filter(|l| *l == "/.mlx/").count(), 1, "{gitignore}");
}

#[test]
fn init_from_a_subfolder_initializes_the_repository_root() {
    let p = TestProject::new();
    p.mkdir("a/b");
    p.mlx_in("a/b", &["init"]).success();
    assert!(p.path(".mlx/cache").is_dir());
    assert!(!p.path("a/b/.mlx").exists());
}

#[test]
fn init_rejects_a_malformed_mlx_toml_with_its_position() {
    let p = TestProject::new();
    p.write("mlx.toml", "[cache]\ntype = \"teleport\"\n");
    p.mlx(&["init"]).code(2).stderr(predicate::str::contains("mlx.toml:2:8"));
}
