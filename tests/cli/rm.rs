//! `mlx rm`: stop tracking, keep the data as ordinary files.

use std::os::unix::fs::MetadataExt;

use predicates::prelude::*;

use crate::support::{TestProject, hash_hex, inode, stderr, stdout};

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
    p.git(&["add", "sub"]);
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

/// The `git add …` of the hint `mlx rm` printed, run for real; `None` when there was no hint.
fn run_the_hint(p: &TestProject, err: &str) -> Option<std::process::Output> {
    let line = err.lines().find(|l| l.starts_with("hint: "))?;
    let args = line.split_once("git add ").expect("the hint names git add").1;
    let mut argv = vec!["add"];
    argv.extend(args.split(' '));
    Some(p.git_output(&argv))
}

#[test]
fn rm_hints_a_git_add_that_works_whatever_git_knows_of_the_pointer() {
    // Never added to git: nothing to record, so no hint (git add of the deleted files fails).
    let p = TestProject::initialized();
    p.write("sub/never.bin", "n");
    p.mlx(&["add", "sub/never.bin"]).success();
    let a = p.mlx(&["rm", "sub/never.bin"]).success();
    let err = stderr(&a);
    assert!(!err.contains("git add"), "{err}");
    assert!(!p.exists("sub/never.bin.mlx") && !p.exists("sub/.gitignore"));
    // Never added, but the .gitignore stays (another entry): it alone is to record.
    p.write("sub/a.bin", "a");
    p.write("sub/b.bin", "b");
    p.mlx(&["add", "sub/a.bin", "sub/b.bin"]).success();
    let a = p.mlx(&["rm", "sub/a.bin"]).success();
    let err = stderr(&a);
    assert!(err.contains("hint: record the change with git: git add sub/.gitignore\n"), "{err}");
    let out = run_the_hint(&p, &err).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Staged, not committed: the deletion is recorded in the index.
    let p = TestProject::initialized();
    p.write("staged.bin", "s");
    p.mlx(&["add", "staged.bin"]).success();
    p.git(&["add", "staged.bin.mlx", ".gitignore"]);
    let err = stderr(&p.mlx(&["rm", "staged.bin"]).success());
    assert!(err.contains("git add staged.bin.mlx .gitignore"), "{err}");
    let out = run_the_hint(&p, &err).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!p.git(&["ls-files"]).contains("staged.bin.mlx"));

    // Committed.
    let p = TestProject::initialized();
    p.write("kept.bin", "k");
    p.mlx(&["add", "kept.bin"]).success();
    p.commit_all("kept");
    let err = stderr(&p.mlx(&["rm", "kept.bin"]).success());
    let out = run_the_hint(&p, &err).expect("a hint");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = p.git(&["status", "--porcelain"]);
    assert!(st.contains("D  kept.bin.mlx"), "{st}");
}
