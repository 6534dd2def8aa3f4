//! `mlx rm`: stop tracking, keep the data as ordinary files.

use std::os::unix::fs::MetadataExt;

use predicates::prelude::*;

use crate::support::{TestProject, hash_hex, inode, stdout};

#[test]
fn rm_drops_pointer_and_gitignore_line_and_keeps_data() {
    let p = TestProject::initialized();
    p.write(".gitignore", "*.log\n");
    p.mlx(&["init"]).success();
    p.write("data/a.txt", "a\n");
    p.write("model.bin", "m\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    let a = p.mlx(&["rm", "data"]).success();
    assert_eq!(stdout(&a), "untracked  data\n");
    assert!(!p.exists("data.mlx"));
    assert_eq!(p.read("data/a.txt"), b"a\n");
    let gi = p.read_string(".gitignore");
    assert!(!gi.lines().any(|l| l == "/data"), "{gi}");
    assert!(gi.lines().any(|l| l == "/model.bin") && gi.contains("*.log"), "{gi}");
    // The content stays in the cache until gc.
    assert!(p.has_object(&hash_hex(b"a\n")));
    // git now sees the data as ordinary untracked files.
    let st = p.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(st.contains("data/a.txt"), "{st}");
    p.mlx(&["ls"]).success().stdout(predicate::str::contains("data").not());
}

#[test]
fn rm_deletes_a_gitignore_left_empty() {
    let p = TestProject::initialized();
    p.write("sub/f.bin", "f");
    p.mlx(&["add", "sub/f.bin"]).success();
    assert_eq!(p.read_string("sub/.gitignore"), "/f.bin\n");
    let json = p.json(&["rm", "sub/f.bin.mlx"]);
    assert_eq!(json["removed"], serde_json::json!(["sub/f.bin"]));
    assert_eq!(json["git_paths"], serde_json::json!(["sub/f.bin.mlx", "sub/.gitignore"]));
    assert!(!p.exists("sub/.gitignore"));
    assert!(!p.exists("sub/f.bin.mlx"));
    assert_eq!(p.read("sub/f.bin"), b"f");
}

#[test]
fn rm_in_hardlink_mode_leaves_private_writable_copies() {
    let p = TestProject::with_link_type("hardlink");
    p.write("data/a.txt", "shared\n");
    p.write("data/b.txt", "other\n");
    p.mlx(&["add", "data"]).success();
    let obj = p.object_path(&hash_hex(b"shared\n"));
    assert_eq!(inode(&p.path("data/a.txt")), inode(&obj));
    let json = p.json(&["rm", "data"]);
    assert_eq!(json["unlinked_files"], 2);
    let meta = std::fs::metadata(p.path("data/a.txt")).unwrap();
    assert_ne!(meta.ino(), inode(&obj), "still hardlinked to the cache");
    assert_eq!(meta.nlink(), 1);
    assert_ne!(meta.mode() & 0o200, 0, "not writable");
    // Editing the data now cannot reach the cache.
    std::fs::write(p.path("data/a.txt"), "edited\n").unwrap();
    assert_eq!(p.read(&obj), b"shared\n");
    assert_eq!(std::fs::metadata(&obj).unwrap().nlink(), 1);
    p.mlx(&["cache", "verify"]).success();
}

#[test]
fn rm_in_symlink_mode_replaces_links_by_files() {
    let p = TestProject::with_link_type("symlink");
    p.write("data/a.txt", "linked\n");
    p.mlx(&["add", "data"]).success();
    p.remove("data");
    p.mlx(&["checkout"]).success();
    assert!(std::fs::symlink_metadata(p.path("data/a.txt")).unwrap().is_symlink());
    p.mlx(&["rm", "data"]).success();
    let meta = std::fs::symlink_metadata(p.path("data/a.txt")).unwrap();
    assert!(meta.is_file());
    assert_eq!(p.read("data/a.txt"), b"linked\n");
    // gc may now delete the object without breaking the data.
    p.mlx(&["gc"]).success();
    assert_eq!(p.read("data/a.txt"), b"linked\n");
}

#[test]
fn rm_of_an_untracked_path_is_refused() {
    let p = TestProject::initialized();
    p.write("loose.txt", "l");
    p.write("tracked.bin", "t");
    p.mlx(&["add", "tracked.bin"]).success();
    p.mlx(&["rm", "tracked.bin", "loose.txt"])
        .code(2)
        .stderr(predicate::str::contains("loose.txt is not tracked by mlx"));
    // Arguments are checked before anything changes.
    assert!(p.exists("tracked.bin.mlx"));
    p.mlx(&["rm", "../elsewhere"]).code(2).stderr(predicate::str::contains("outside the project"));
}
