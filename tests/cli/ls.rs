//! `mlx ls`: the tracked paths, the files inside a tracked directory or a subfolder of it.

use predicates::prelude::*;

use crate::support::{TestProject, hash_hex, stdout};

fn project() -> TestProject {
    let p = TestProject::initialized();
    p.write("data/images/cat.png", "cat");
    p.write("data/images/dog.png", "dogs");
    p.write("data/labels.csv", "id,label\n");
    p.write("models/best.bin", "model\n");
    p.mlx(&["add", "data", "models/best.bin"]).success();
    p
}

#[test]
fn ls_lists_tracked_paths_as_a_table() {
    let p = project();
    let a = p.mlx(&["ls"]).success();
    insta::with_settings!({filters => vec![(r"\b[0-9a-f]{8}\b", "[HASH]")]}, {
        insta::assert_snapshot!(stdout(&a), @r"
        KIND       SIZE  FILES  HASH      PATH
        directory  16 B  3      [HASH]  data
        file       6 B   1      [HASH]  models/best.bin
        ");
    });
    let short = &p.pointer_hash("data")[..8];
    assert!(stdout(&a).contains(&format!("3      {short}  data")), "{}", stdout(&a));
}

#[test]
fn ls_json_has_full_hashes_and_sizes_in_bytes() {
    let p = project();
    let json = p.json(&["ls"]);
    assert_eq!(
        json,
        serde_json::json!({"entries": [
            {"path": "data", "kind": "directory", "hash": p.pointer_hash("data"), "size": 16, "files": 3},
            {"path": "models/best.bin", "kind": "file", "hash": hash_hex(b"model\n"), "size": 6, "files": 1},
        ]})
    );
}

#[test]
fn ls_inside_a_tracked_dir_lists_its_files() {
    let p = project();
    let json = p.json(&["ls", "data"]);
    let entries = json["entries"].as_array().unwrap();
    let paths: Vec<&str> = entries.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["data/images/cat.png", "data/images/dog.png", "data/labels.csv"]);
    assert_eq!(entries[0]["hash"], hash_hex(b"cat"));
    assert_eq!(entries[0]["size"], 3);
    assert_eq!(entries[0]["kind"], "file");
    // The pointer file names the same thing.
    assert_eq!(p.json(&["ls", "data.mlx"]), json);
}

#[test]
fn ls_of_a_subfolder_inside_a_tracked_dir() {
    let p = project();
    let a = p.mlx(&["ls", "data/images"]).success();
    let out = stdout(&a);
    assert!(out.contains("data/images/cat.png") && out.contains("data/images/dog.png"), "{out}");
    assert!(!out.contains("labels"), "{out}");
    // From inside the folder, relative paths work.
    p.mlx_in("data/images", &["ls", "."]).success().stdout(predicate::str::contains("dog.png"));
    p.mlx_in("data", &["ls", "labels.csv", "--json"])
        .success()
        .stdout(predicate::str::contains("\"data/labels.csv\""));
}

#[test]
fn ls_of_a_folder_holding_tracked_paths() {
    let p = project();
    let json = p.json(&["ls", "models"]);
    assert_eq!(json["entries"].as_array().unwrap().len(), 1);
    assert_eq!(json["entries"][0]["path"], "models/best.bin");
}

#[test]
fn ls_of_an_untracked_path_is_refused() {
    let p = project();
    p.write("loose/file.txt", "x");
    for arg in ["loose", "loose/file.txt", "nowhere", "data/images/nope.png"] {
        p.mlx(&["ls", arg]).code(2).stderr(predicate::str::starts_with("error: "));
    }
    p.mlx(&["ls", "loose"]).code(2).stderr(predicate::str::contains("hint: list tracked data"));
}

#[test]
fn ls_of_an_empty_project_prints_only_the_header() {
    let p = TestProject::initialized();
    p.mlx(&["ls"]).success().stdout("KIND  SIZE  FILES  HASH  PATH\n");
    assert_eq!(p.json(&["ls"]), serde_json::json!({"entries": []}));
}
