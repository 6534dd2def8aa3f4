//! `mlx checkout`: restoring, removing unlisted files, refusing to lose unsaved work, `--force`,
//! moving between git commits, single paths, missing objects and hostile manifests.

use predicates::prelude::*;

use crate::support::{TestProject, hash_hex, stderr, stdout, tree};

fn project_with_data() -> TestProject {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "beta\n");
    p.write("model.bin", "model\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    p
}

#[test]
fn checkout_restores_missing_files_and_paths() {
    let p = project_with_data();
    p.remove("data/sub/b.txt");
    p.remove("model.bin");
    let a = p.mlx(&["checkout"]).success();
    assert_eq!(stdout(&a), "data       1 restored, 0 removed\nmodel.bin  1 restored, 0 removed\n");
    assert_eq!(p.read("data/sub/b.txt"), b"beta\n");
    assert_eq!(p.read("model.bin"), b"model\n");
    p.remove("data");
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read("data/a.txt"), b"alpha\n");
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn checkout_of_a_clean_workspace_changes_nothing() {
    let p = project_with_data();
    let before = tree(p.root());
    let a = p.mlx(&["checkout"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(stderr(&a), "workspace already matches the pointers\n");
    let mut after = tree(p.root());
    // The lock file and database may be touched; compare the workspace only.
    after.retain(|k, _| !k.starts_with(".mlx") && !k.starts_with(".git"));
    let mut before = before;
    before.retain(|k, _| !k.starts_with(".mlx") && !k.starts_with(".git"));
    assert_eq!(before, after);
}

#[test]
fn checkout_removes_unlisted_files_whose_content_is_cached() {
    let p = project_with_data();
    // Content mlx already stored (a copy of a tracked file) may be removed safely.
    p.write("data/copy-of-a.txt", "alpha\n");
    p.write("data/deep/er/also.txt", "model\n");
    let a = p.mlx(&["checkout"]).success();
    // Two files and the two folders they leave empty.
    assert!(stdout(&a).contains("data  0 restored, 4 removed"), "{}", stdout(&a));
    assert!(!p.exists("data/copy-of-a.txt"));
    assert!(!p.exists("data/deep"), "emptied folders are removed too");
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn checkout_refuses_to_lose_unsaved_changes_and_changes_nothing() {
    let p = project_with_data();
    p.remove("model.bin"); // something checkout would restore
    p.write("data/a.txt", "edited, not saved\n");
    p.write("data/sub/new.txt", "new, not saved\n");
    let before = tree(p.root());
    let a = p.mlx(&["checkout"]).code(1);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 1
    --- stdout
    --- stderr
    error: checkout would lose changes that are not saved in the cache; nothing was changed:
      data/a.txt        modified, and not in the cache
      data/sub/new.txt  not in the pointer, and not in the cache
    hint: save them with `mlx add PATH`, or discard them with `mlx checkout --force`
    ");
    let mut after = tree(p.root());
    after.retain(|k, _| !k.starts_with(".mlx"));
    let mut before = before;
    before.retain(|k, _| !k.starts_with(".mlx"));
    assert_eq!(before, after, "a refused checkout changed the workspace");
    assert!(!p.exists("model.bin"), "not even the missing file was restored");
    // --json reports the conflicts and exits 1 too.
    let a = p.mlx(&["checkout", "--json"]).code(1);
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["conflicts"].as_array().unwrap().len(), 2);
}

#[test]
fn checkout_force_discards_unsaved_changes() {
    let p = project_with_data();
    p.write("data/a.txt", "edited, not saved\n");
    p.write("data/sub/new.txt", "new, not saved\n");
    p.write("model.bin", "other model\n");
    p.mlx(&["checkout", "--force"]).success();
    assert_eq!(p.read("data/a.txt"), b"alpha\n");
    assert!(!p.exists("data/sub/new.txt"));
    assert_eq!(p.read("model.bin"), b"model\n");
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn checkout_follows_git_to_an_older_version_without_force() {
    let p = project_with_data();
    p.commit_all("v1");
    p.write("data/a.txt", "alpha v2\n");
    p.write("data/added-in-v2.txt", "v2 only\n");
    p.remove("data/sub/b.txt");
    p.mlx(&["add", "data"]).success();
    p.commit_all("v2");
    let v2 = tree(&p.path("data"));
    p.git(&["checkout", "-q", "HEAD~1", "--", "data.mlx"]);
    p.mlx(&["status", "--check"]).code(1);
    // v2's content is in the cache, so replacing it needs no --force.
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read("data/a.txt"), b"alpha\n");
    assert_eq!(p.read("data/sub/b.txt"), b"beta\n");
    assert!(!p.exists("data/added-in-v2.txt"));
    p.mlx(&["status", "--check"]).success();
    // And forward again, by checking out the commit.
    p.git(&["checkout", "-q", "main", "--", "data.mlx"]);
    p.mlx(&["checkout"]).success();
    assert_eq!(tree(&p.path("data")), v2);
    // A whole-commit checkout works the same way.
    p.git(&["checkout", "-q", "HEAD~1"]);
    p.mlx(&["checkout", "data"]).success();
    assert_eq!(p.read("data/a.txt"), b"alpha\n");
}

#[test]
fn checkout_path_only_touches_that_path() {
    let p = project_with_data();
    p.remove("data/a.txt");
    p.remove("model.bin");
    let json = p.json(&["checkout", "model.bin"]);
    assert_eq!(json["paths"].as_array().unwrap().len(), 1);
    assert_eq!(json["paths"][0]["path"], "model.bin");
    assert!(p.exists("model.bin"));
    assert!(!p.exists("data/a.txt"));
    p.mlx(&["checkout", "data.mlx"]).success();
    assert!(p.exists("data/a.txt"));
}

#[test]
fn checkout_of_an_untracked_path_is_refused() {
    let p = project_with_data();
    p.mlx(&["checkout", "nothing-here"])
        .code(2)
        .stderr(predicate::str::contains("nothing-here is not tracked by mlx"));
}

#[test]
fn checkout_with_a_missing_object_reports_it_and_exits_1() {
    let p = project_with_data();
    let hash = hash_hex(b"beta\n");
    std::fs::remove_file(p.object_path(&hash)).unwrap();
    p.remove("data");
    let a = p.mlx(&["checkout"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("warning: data: 1 object is not in the cache"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    // What could be restored was.
    assert_eq!(p.read("data/a.txt"), b"alpha\n");
    assert!(!p.exists("data/sub/b.txt"));
    let a = p.mlx(&["checkout", "--json"]).code(1);
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["paths"][0]["missing_objects"], serde_json::json!([hash]));
}

#[test]
fn checkout_with_a_missing_manifest_reports_it() {
    let p = project_with_data();
    std::fs::remove_file(p.object_path(&p.pointer_hash("data"))).unwrap();
    p.remove("data");
    p.mlx(&["checkout"]).code(1).stderr(predicate::str::contains("1 object is not in the cache"));
    assert!(!p.exists("data"));
}

/// Store `bytes` in the cache under their real hash, as mlx would (read-only).
fn put_object(p: &TestProject, bytes: &[u8]) -> String {
    let hash = hash_hex(bytes);
    let path = p.object_path(&hash);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    p.set_mode(&path, 0o444);
    hash
}

fn write_dir_pointer(p: &TestProject, target: &str, hash: &str) {
    p.write(
        format!("{target}.mlx"),
        format!("mlx = 1\nkind = \"directory\"\nhash = \"{hash}\"\nsize = 5\nfiles = 1\n"),
    );
}

#[test]
fn manifest_with_parent_dir_entries_is_rejected_and_writes_nothing() {
    let p = TestProject::initialized();
    let payload = put_object(&p, b"pwned");
    for bad_path in ["../escaped.txt", "a/../../escaped.txt", "/tmp/escaped.txt"] {
        let manifest = format!(
            r#"{{"mlx_manifest":1,"entries":[{{"path":"{bad_path}","hash":"{payload}","size":5}}]}}"#
        );
        let hash = put_object(&p, manifest.as_bytes());
        write_dir_pointer(&p, "evil", &hash);
        let a = p.mlx(&["checkout"]).code(2);
        let err = stderr(&a);
        assert!(err.contains(&format!("manifest {hash} is not valid")), "{bad_path}: {err}");
        assert!(!p.exists("escaped.txt"));
        assert!(!p.outside().exists());
        assert!(!p.root().parent().unwrap().join("escaped.txt").exists());
        assert!(!p.exists("evil"));
        p.mlx(&["status"]).code(2);
    }
}

#[test]
fn manifest_with_escaping_symlink_is_rejected_and_writes_nothing() {
    let p = TestProject::initialized();
    let manifest = r#"{"mlx_manifest":1,"entries":[{"path":"link","symlink":"../../etc"}]}"#;
    let hash = put_object(&p, manifest.as_bytes());
    // No files: the pointer's totals agree with the manifest, only the symlink is wrong.
    p.write(
        "evil.mlx",
        format!("mlx = 1\nkind = \"directory\"\nhash = \"{hash}\"\nsize = 0\nfiles = 0\n"),
    );
    let a = p.mlx(&["checkout"]).code(2);
    assert!(stderr(&a).contains("evil/link is a symlink to ../../etc"), "{}", stderr(&a));
    assert!(!p.exists("evil/link"));
}

#[test]
fn checkout_does_not_write_through_a_symlinked_parent_folder() {
    let p = TestProject::initialized();
    p.write("nested/inner/file.bin", "inner\n");
    p.mlx(&["add", "nested/inner"]).success();
    // Replace the folder holding the pointer by a symlink that leaves the project, with the
    // pointer (but not the data) on the other side.
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(p.path("nested/inner.mlx"), outside.join("inner.mlx")).unwrap();
    p.remove("nested");
    std::os::unix::fs::symlink(&outside, p.path("nested")).unwrap();
    for args in [&["checkout", "nested/inner"][..], &["checkout", "--force", "nested/inner.mlx"]] {
        let a = p.mlx(args).code(2);
        assert!(stderr(&a).contains("outside the project"), "{}", stderr(&a));
    }
    // A plain checkout does not follow the symlink to find pointers.
    p.mlx(&["checkout", "--force"]).success();
    assert!(!outside.join("inner").exists(), "checkout wrote outside the project");
}
