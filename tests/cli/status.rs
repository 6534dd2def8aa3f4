//! `mlx status`: unchanged, modified (with the files inside), missing, not in cache; `--check`;
//! `--json`; and the stat cache that keeps unchanged files from being re-hashed.

use predicates::prelude::*;

use crate::support::{TestProject, hash_hex, stderr, stdout};

fn project_with_data() -> TestProject {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "beta\n");
    p.write("data/c.txt", "gamma\n");
    p.write("model.bin", "model\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    p.commit_all("data");
    p
}

#[test]
fn clean_workspace_exits_0_with_and_without_check() {
    let p = project_with_data();
    let a = p.mlx(&["status"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(stderr(&a), "2 tracked: 2 unchanged, 0 modified, 0 missing\n");
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["status", "--check", "data", "model.bin.mlx"]).success();
}

#[test]
fn changes_inside_a_directory_are_listed() {
    let p = project_with_data();
    p.write("data/a.txt", "alpha changed\n");
    p.write("data/new.txt", "new\n");
    p.remove("data/c.txt");
    let a = p.mlx(&["status"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    modified  data  3 changes
      modified: data/a.txt
      deleted: data/c.txt
      added: data/new.txt
    --- stderr
    2 tracked: 1 unchanged, 1 modified, 0 missing
    hint: record changes with `mlx add PATH`, or discard them with `mlx checkout --force PATH`
    ");
    p.mlx(&["status", "--check"]).code(1).stdout(predicate::str::contains("modified: data/a.txt"));
    // Only the named path.
    p.mlx(&["status", "--check", "model.bin"]).success();
}

#[test]
fn modified_and_missing_files_are_reported() {
    let p = project_with_data();
    p.write("model.bin", "other model\n");
    p.mlx(&["status", "--check"])
        .code(1)
        .stdout(predicate::str::starts_with("modified  model.bin"));
    p.remove("model.bin");
    p.remove("data");
    let a = p.mlx(&["status", "--check"]).code(1);
    let out = stdout(&a);
    assert!(out.lines().any(|l| l.split_whitespace().eq(["missing", "data"])), "{out}");
    assert!(out.lines().any(|l| l.split_whitespace().eq(["missing", "model.bin"])), "{out}");
    assert!(stderr(&a).contains("0 unchanged, 0 modified, 2 missing"), "{}", stderr(&a));
    assert!(stderr(&a).contains("hint: restore missing data with `mlx checkout`"));
}

#[test]
fn a_directory_where_a_file_was_tracked_is_modified() {
    let p = project_with_data();
    p.remove("model.bin");
    p.write("model.bin/inner", "x");
    p.mlx(&["status", "--check"]).code(1).stdout(predicate::str::contains("modified  model.bin"));
}

#[test]
fn json_lists_every_path_with_its_state() {
    let p = project_with_data();
    p.write("data/sub/b.txt", "beta 2\n");
    p.write("data/sub/extra", "e");
    let json = p.json(&["status"]);
    assert_eq!(
        json,
        serde_json::json!({
            "paths": [
                {
                    "path": "data",
                    "kind": "directory",
                    "state": "modified",
                    "changes": [
                        {"path": "data/sub/b.txt", "change": "modified"},
                        {"path": "data/sub/extra", "change": "added"},
                    ],
                    "missing_objects": 0,
                    "manifest_in_cache": true,
                },
                {
                    "path": "model.bin",
                    "kind": "file",
                    "state": "unchanged",
                    "changes": [],
                    "missing_objects": 0,
                    "manifest_in_cache": true,
                },
            ],
            "uncommitted": [],
            "stages": [],
        })
    );
    // --json with --check: still valid JSON, still exit 1.
    let a = p.mlx(&["status", "--json", "--check"]).code(1);
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["paths"][0]["state"], "modified");
}

#[test]
fn objects_missing_from_the_cache_are_reported_and_fail_check() {
    let p = project_with_data();
    let obj = p.object_path(&hash_hex(b"beta\n"));
    p.set_mode(&obj, 0o644);
    std::fs::remove_file(&obj).unwrap();
    let a = p.mlx(&["status", "--check"]).code(1);
    assert!(stdout(&a).contains("unchanged  data") && stdout(&a).contains("1 object not in cache"));
    let json = p.json(&["status"]);
    assert_eq!(json["paths"][0]["state"], "unchanged");
    assert_eq!(json["paths"][0]["missing_objects"], 1);
    assert_eq!(json["paths"][0]["manifest_in_cache"], true);
    // Without the manifest, the file list is unknown.
    let manifest = p.object_path(&p.pointer_hash("data"));
    std::fs::remove_file(&manifest).unwrap();
    let json = p.json(&["status"]);
    assert_eq!(json["paths"][0]["manifest_in_cache"], false);
    // The workspace still matches the pointer, so its files tell what else is needed: the
    // manifest and b.txt's content are both missing.
    assert_eq!(json["paths"][0]["missing_objects"], 2);
    p.mlx(&["status", "--check"])
        .code(1)
        .stdout(predicate::str::contains("file list not in cache"));
    // A single file whose object is gone.
    std::fs::remove_file(p.object_path(&hash_hex(b"model\n"))).unwrap();
    let json = p.json(&["status", "model.bin"]);
    assert_eq!(json["paths"][0]["missing_objects"], 1);
}

#[test]
fn status_of_an_untracked_path_is_refused() {
    let p = project_with_data();
    p.write("loose.txt", "l");
    p.mlx(&["status", "loose.txt"])
        .code(2)
        .stderr(predicate::str::contains("loose.txt is not tracked by mlx"));
}

#[test]
fn status_records_hashes_once_files_are_past_the_racy_window() {
    let p = project_with_data();
    // A file modified within the clock granularity of its hashing may change again unseen, so
    // it is not cached yet; once its mtime is old enough, status records it.
    std::thread::sleep(std::time::Duration::from_millis(60));
    p.mlx(&["status", "--check"]).success();
    let rows = p.stat_rows();
    for (path, content) in [
        ("data/a.txt", &b"alpha\n"[..]),
        ("data/sub/b.txt", b"beta\n"),
        ("data/c.txt", b"gamma\n"),
        ("model.bin", b"model\n"),
    ] {
        assert_eq!(rows.get(path.as_bytes()), Some(&hash_hex(content)), "{path}");
    }
}

/// Give `path` an mtime safely in the past, so it is not "racy" and enters the stat cache.
fn age(p: &TestProject, rel: &str, secs_ago: u64) -> std::time::SystemTime {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs_ago);
    let f = std::fs::File::options().write(true).open(p.path(rel)).unwrap();
    f.set_modified(t).unwrap();
    std::fs::metadata(p.path(rel)).unwrap().modified().unwrap()
}

#[test]
fn add_records_files_in_the_stat_cache() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/b.txt", "beta\n");
    age(&p, "data/a.txt", 100);
    age(&p, "data/b.txt", 100);
    p.mlx(&["add", "data"]).success();
    let rows = p.stat_rows();
    assert_eq!(rows.get(&b"data/a.txt"[..]), Some(&hash_hex(b"alpha\n")));
    assert_eq!(rows.get(&b"data/b.txt"[..]), Some(&hash_hex(b"beta\n")));
}

#[test]
fn checkout_enters_restored_files_as_verified() {
    let p = project_with_data();
    p.remove("data");
    p.remove("model.bin");
    let conn = p.db();
    conn.execute("DELETE FROM stat_cache", []).unwrap();
    drop(conn);
    p.mlx(&["checkout"]).success();
    let rows = p.stat_rows();
    assert_eq!(rows.get(&b"data/a.txt"[..]), Some(&hash_hex(b"alpha\n")));
    assert_eq!(rows.get(&b"data/sub/b.txt"[..]), Some(&hash_hex(b"beta\n")));
    assert_eq!(rows.get(&b"model.bin"[..]), Some(&hash_hex(b"model\n")));
    // The rows carry the restored files' stamps.
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(p.path("model.bin")).unwrap();
    let (size, inode): (i64, i64) = p
        .db()
        .query_row("SELECT size, inode FROM stat_cache WHERE path = ?1", [&b"model.bin"[..]], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(size as u64, meta.len());
    assert_eq!(inode as u64, meta.ino());
}

#[test]
fn unchanged_stamp_is_trusted_without_rehashing() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "AAAA\n");
    p.write("data/b.txt", "BBBB\n");
    let mtime = age(&p, "data/a.txt", 100);
    age(&p, "data/b.txt", 100);
    p.mlx(&["add", "data"]).success();
    assert!(p.stat_rows().contains_key(&b"data/a.txt"[..]));
    // Same length, different bytes, written in place (same inode), old mtime put back.
    let before = crate::support::inode(&p.path("data/a.txt"));
    std::fs::write(p.path("data/a.txt"), "ZZZZ\n").unwrap();
    let f = std::fs::File::options().write(true).open(p.path("data/a.txt")).unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);
    assert_eq!(crate::support::inode(&p.path("data/a.txt")), before);
    // Size, mtime and inode match the stat cache: status trusts it and does not read the file.
    p.mlx(&["status", "--check"]).success();
    // A real change of stamp is noticed.
    age(&p, "data/a.txt", 50);
    p.mlx(&["status", "--check"]).code(1).stdout(predicate::str::contains("modified: data/a.txt"));
}

#[test]
fn missing_objects_counts_each_object_once() {
    let p = TestProject::initialized();
    p.write("data/one.txt", "same\n");
    p.write("data/two.txt", "same\n");
    p.write("data/other.txt", "other\n");
    p.write("single.bin", "single\n");
    p.mlx(&["add", "data", "single.bin"]).success();
    std::fs::remove_file(p.object_path(&hash_hex(b"same\n"))).unwrap();
    std::fs::remove_file(p.object_path(&hash_hex(b"single\n"))).unwrap();
    let json = p.json(&["status"]);
    assert_eq!(json["paths"][0]["missing_objects"], 1, "two files, one object");
    assert_eq!(json["paths"][1]["missing_objects"], 1, "a file pointer needs one object");
    // Also when the directory has changed and the stored manifest is read.
    p.write("data/new.txt", "n\n");
    let json = p.json(&["status"]);
    assert_eq!(json["paths"][0]["state"], "modified");
    assert_eq!(json["paths"][0]["missing_objects"], 1);
}

#[test]
fn pointers_and_the_lock_that_git_lacks_are_warned_about_issue_12() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.mlx(&["add", "-q", "data"]).success();
    p.write(
        "mlx.toml",
        format!("{}\n[stages.s]\ncmd = \"cp data/a.txt out.txt\"\ndeps = [\"data\"]\nouts = [\"out.txt\"]\n", p.read_string("mlx.toml")),
    );
    p.mlx(&["run", "-q"]).success();
    // A clone would lack both: warned, but the data itself is clean, so --check passes.
    let a = p.mlx(&["status", "--check"]).success();
    let err = stderr(&a);
    assert!(err.contains("warning: data.mlx is not in git: clones will not get it\n"), "{err}");
    assert!(err.contains("warning: mlx.lock is not in git: clones will not get it\n"), "{err}");
    assert!(err.contains("hint: git add data.mlx mlx.lock && git commit\n"), "{err}");
    let v = p.json(&["status"]);
    assert_eq!(
        v["uncommitted"],
        serde_json::json!([
            {"path": "data.mlx", "state": "untracked"},
            {"path": "mlx.lock", "state": "untracked"}
        ])
    );
    p.commit_all("data and results");
    let a = p.mlx(&["status"]).success();
    assert!(!stderr(&a).contains("warning"), "{}", stderr(&a));
    assert_eq!(p.json(&["status"])["uncommitted"], serde_json::json!([]));
    // A new version recorded but not committed.
    p.write("data/a.txt", "alpha 2\n");
    p.mlx(&["add", "-q", "data"]).success();
    let a = p.mlx(&["status"]).success();
    assert!(
        stderr(&a).contains(
            "warning: data.mlx has changes that are not committed: clones will not get it\n"
        ),
        "{}",
        stderr(&a)
    );
    // Staged is not committed either.
    p.git(&["add", "data.mlx"]);
    assert_eq!(p.json(&["status"])["uncommitted"][0]["state"], "changed");
}

#[test]
fn a_hardlinked_file_edited_in_place_reports_the_damaged_object_issue_12() {
    use std::io::Write;
    let p = TestProject::with_link_type("hardlink");
    p.write("data/a.txt", "alpha\n");
    p.write("model.bin", "model\n");
    p.mlx(&["add", "-q", "data", "model.bin"]).success();
    let a_hash = hash_hex(b"alpha\n");
    let m_hash = hash_hex(b"model\n");
    // What root can do despite the read-only mode: write into the shared inode.
    for (rel, text) in [("data/a.txt", "edited\n"), ("model.bin", "edited model\n")] {
        p.set_mode(rel, 0o644);
        let mut f =
            std::fs::OpenOptions::new().write(true).truncate(true).open(p.path(rel)).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }
    let a = p.mlx(&["status"]).success();
    let err = stderr(&a);
    for (path, hash) in [("data/a.txt", &a_hash), ("model.bin", &m_hash)] {
        assert!(
            err.contains(&format!(
                "warning: {path} was edited in place while hardlinked to the cache: its recorded version (object {}) is damaged too",
                &hash[..8]
            )),
            "{err}"
        );
    }
    assert!(err.contains("mlx cache verify"), "{err}");
    let v = p.json(&["status"]);
    assert_eq!(v["paths"][0]["damaged_objects"][0]["object"], a_hash.as_str());
    // The hint's first step works: verify sets the damaged objects aside.
    p.mlx(&["cache", "verify"]).code(1);
    assert!(!p.has_object(&a_hash) && !p.has_object(&m_hash));
}

#[test]
fn counts_of_one_are_singular() {
    let p = project_with_data();
    p.write("mlx.toml", "[stages.copy]\ncmd = \"cp model.bin out.bin\"\ndeps = [\"model.bin\"]\nouts = [\"out.bin\"]\n");
    p.write("data/a.txt", "changed\n");
    let a = p.mlx(&["status"]).success();
    assert!(stdout(&a).contains("modified  data  1 change\n"), "{}", stdout(&a));
    let err = stderr(&a);
    assert!(err.contains("1 stage would run\n"), "{err}");
    assert!(!err.contains("1 stages") && !err.contains("1 changes"), "{err}");
}

/// A directory found clean leaves a tree stamp record; the next status settles it from that
/// record (one stat per file, no stat cache) and still sees every change.
#[test]
fn a_recorded_tree_still_sees_each_change_issue_19() {
    let p = TestProject::initialized();
    for (rel, text) in
        [("data/d0/a.txt", "AAAA\n"), ("data/d1/b.txt", "BBBB\n"), ("data/c.txt", "C\n")]
    {
        p.write(rel, text);
        age(&p, rel, 100);
    }
    p.mlx(&["add", "data"]).success();
    p.mlx(&["status", "--check"]).success();
    let records = || std::fs::read_dir(p.path(".mlx/tree-stamps")).map_or(0, Iterator::count);
    assert_eq!(records(), 1, "a clean directory is recorded");
    // The record alone settles it: the stat cache is neither read nor written.
    p.db().execute("DELETE FROM stat_cache", []).unwrap();
    p.mlx(&["status", "--check"]).success();
    assert!(p.stat_rows().is_empty(), "the stat cache was not needed");
    // An edit in place with the same size: only the mtime tells.
    let inode = crate::support::inode(&p.path("data/d0/a.txt"));
    std::fs::write(p.path("data/d0/a.txt"), "ZZZZ\n").unwrap();
    age(&p, "data/d0/a.txt", 50);
    assert_eq!(crate::support::inode(&p.path("data/d0/a.txt")), inode);
    p.mlx(&["status", "--check"])
        .code(1)
        .stdout(predicate::str::contains("modified: data/d0/a.txt"));
    // Put back: clean again, and recorded again.
    std::fs::write(p.path("data/d0/a.txt"), "AAAA\n").unwrap();
    age(&p, "data/d0/a.txt", 40);
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["status", "--check"]).success();
    // A new empty folder, then a lost cache object: both seen despite the record.
    std::fs::create_dir(p.path("data/e")).unwrap();
    p.mlx(&["status", "--check"]).code(1).stdout(predicate::str::contains("added: data/e/"));
    std::fs::remove_dir(p.path("data/e")).unwrap();
    p.mlx(&["status", "--check"]).success();
    std::fs::remove_file(p.object_path(&hash_hex(b"BBBB\n"))).unwrap();
    let json = p.json(&["status"]);
    assert_eq!(json["paths"][0]["state"], "unchanged");
    assert_eq!(json["paths"][0]["missing_objects"], 1);
    p.mlx(&["status", "--check"]).code(1);
}
