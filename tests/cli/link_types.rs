//! `[cache] type`: the add → status → checkout flow under copy, hardlink, symlink and the default
//! (reflink, which falls back to a copy on filesystems without it), and how hardlinked
//! checkouts protect the cache from in-place edits.

use std::os::unix::fs::MetadataExt;

use predicates::prelude::*;

use crate::support::{TestProject, hash_hex, inode, stderr, stdout};

/// add, status clean, delete a file, status missing/modified, checkout, status clean again.
fn core_flow(p: &TestProject) {
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "beta\n");
    p.write("data/run.sh", "#!/bin/sh\n");
    p.set_mode("data/run.sh", 0o755);
    p.write("model.bin", "model\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    p.mlx(&["status", "--check"]).success();
    p.remove("data/sub/b.txt");
    p.remove("model.bin");
    let a = p.mlx(&["status", "--check"]).code(1);
    assert!(stdout(&a).contains("deleted: data/sub/b.txt"), "{}", stdout(&a));
    let out = stdout(&a);
    assert!(out.lines().any(|l| l.split_whitespace().eq(["missing", "model.bin"])), "{out}");
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read("data/sub/b.txt"), b"beta\n");
    assert_eq!(p.read("model.bin"), b"model\n");
    p.mlx(&["status", "--check"]).success();
    // Executable files are always private copies with their mode.
    assert_eq!(p.mode("data/run.sh"), 0o755);
    let run = p.path("data/run.sh");
    assert!(std::fs::symlink_metadata(&run).unwrap().is_file());
    assert_ne!(inode(&run), inode(&p.object_path(&hash_hex(b"#!/bin/sh\n"))));
    // Everything in the cache is still sound.
    p.mlx(&["cache", "verify"]).success();
}

fn assert_private_writable_copy(p: &TestProject, rel: &str, content: &[u8]) {
    let path = p.path(rel);
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.is_file(), "{rel} is a regular file");
    assert_eq!(meta.nlink(), 1, "{rel} shares no inode");
    assert_ne!(meta.mode() & 0o200, 0, "{rel} is writable");
    assert_ne!(meta.ino(), inode(&p.object_path(&hash_hex(content))));
}

#[test]
fn copy_mode_places_independent_writable_files() {
    let p = TestProject::with_link_type("copy");
    core_flow(&p);
    assert_private_writable_copy(&p, "data/sub/b.txt", b"beta\n");
    assert_private_writable_copy(&p, "model.bin", b"model\n");
    // Files added (not checked out) stay private copies too.
    assert_private_writable_copy(&p, "data/a.txt", b"alpha\n");
    // Editing a workspace copy in place cannot touch the cache.
    std::fs::write(p.path("model.bin"), "changed").unwrap();
    assert_eq!(p.read(p.object_path(&hash_hex(b"model\n"))), b"model\n");
}

#[test]
fn default_mode_falls_back_to_copies() {
    let p = TestProject::initialized();
    core_flow(&p);
    assert_private_writable_copy(&p, "data/sub/b.txt", b"beta\n");
    assert_private_writable_copy(&p, "model.bin", b"model\n");
}

#[test]
fn hardlink_mode_shares_the_object_inode_read_only() {
    let p = TestProject::with_link_type("hardlink");
    core_flow(&p);
    for (rel, content) in
        [("data/sub/b.txt", &b"beta\n"[..]), ("model.bin", b"model\n"), ("data/a.txt", b"alpha\n")]
    {
        let path = p.path(rel);
        let obj = p.object_path(&hash_hex(content));
        assert_eq!(inode(&path), inode(&obj), "{rel} is the cache object");
        assert_eq!(p.mode(rel) & 0o222, 0, "{rel} is read-only");
    }
    // The add itself linked the workspace files to the objects: no second copy on disk.
    let json = p.json(&["add", "data"]);
    assert_eq!(json["link_type"], "hardlink");
}

#[test]
fn symlink_mode_links_into_the_cache() {
    let p = TestProject::with_link_type("symlink");
    core_flow(&p);
    for (rel, content) in [("data/sub/b.txt", &b"beta\n"[..]), ("model.bin", b"model\n")] {
        let target = std::fs::read_link(p.path(rel)).expect("a symlink");
        assert_eq!(target, p.object_path(&hash_hex(content)), "{rel}");
    }
    // ls and status see through the links to the objects.
    p.mlx(&["ls", "data"]).success().stdout(
        predicate::str::contains("data/sub/b.txt").and(predicate::str::contains("symlink").not()),
    );
}

#[test]
fn hardlink_mode_executables_are_copied() {
    let p = TestProject::with_link_type("hardlink");
    p.write("bin/tool", "#!/bin/sh\necho tool\n");
    p.set_mode("bin/tool", 0o755);
    p.mlx(&["add", "bin"]).success();
    let obj = p.object_path(&hash_hex(b"#!/bin/sh\necho tool\n"));
    assert_ne!(inode(&p.path("bin/tool")), inode(&obj));
    assert_eq!(p.mode("bin/tool"), 0o755);
    assert_eq!(p.mode(&obj) & 0o777, 0o444);
    p.remove("bin/tool");
    p.mlx(&["checkout"]).success();
    assert_ne!(inode(&p.path("bin/tool")), inode(&obj));
    assert_eq!(p.mode("bin/tool"), 0o755);
}

/// A user makes a hardlinked file writable and edits it in place: the shared object changes.
fn corrupt_through_hardlink(p: &TestProject) -> String {
    p.write("data/a.txt", "original\n");
    p.write("data/b.txt", "other\n");
    p.mlx(&["add", "data"]).success();
    let hash = hash_hex(b"original\n");
    assert_eq!(inode(&p.path("data/a.txt")), inode(&p.object_path(&hash)));
    p.set_mode("data/a.txt", 0o644);
    std::fs::write(p.path("data/a.txt"), "tampered\n").unwrap();
    assert_eq!(p.read(p.object_path(&hash)), b"tampered\n", "the edit reached the object");
    hash
}

#[test]
fn hardlink_in_place_edit_is_found_and_quarantined_by_cache_verify() {
    let p = TestProject::with_link_type("hardlink");
    let hash = corrupt_through_hardlink(&p);
    let a = p.mlx(&["cache", "verify"]).code(1);
    let out = stdout(&a);
    assert!(out.starts_with(&format!("corrupt  {hash}  moved to ")), "{out}");
    assert!(stderr(&a).contains("1 corrupt"), "{}", stderr(&a));
    assert!(!p.has_object(&hash));
    let q = p.quarantined();
    assert_eq!(q.len(), 1, "{q:?}");
    assert!(q[0].file_name().unwrap().to_string_lossy().starts_with(&hash));
    assert_eq!(std::fs::read(&q[0]).unwrap(), b"tampered\n");
    // status: the file is modified and its recorded content is no longer in the cache.
    let json = p.json(&["status"]);
    assert_eq!(json["paths"][0]["state"], "modified");
    assert_eq!(json["paths"][0]["missing_objects"], 1);
    // A second verify finds nothing left to quarantine.
    p.mlx(&["cache", "verify"]).success();
    // checkout cannot restore it (the object is gone) and leaves the edit alone.
    let a = p.mlx(&["checkout", "--force"]).code(1);
    assert!(stderr(&a).contains("1 object is not in the cache"), "{}", stderr(&a));
    assert_eq!(p.read("data/a.txt"), b"tampered\n");
}

#[test]
fn hardlink_in_place_edit_is_never_placed_by_checkout() {
    let p = TestProject::with_link_type("hardlink");
    let hash = corrupt_through_hardlink(&p);
    // Without running cache verify: the file is deleted and checkout must restore it from the
    // (now corrupt) object. The object's stamp changed, so checkout re-hashes it, finds the
    // mismatch, quarantines it and reports it as not in the cache rather than placing wrong
    // bytes (exit 1, like any object the cache lacks).
    p.remove("data/a.txt");
    let a = p.mlx(&["checkout"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("1 object is not in the cache"), "{err}");
    assert!(err.contains("1 of them was corrupt: moved to the cache's quarantine"), "{err}");
    let out = p.mlx(&["checkout", "--json"]).code(1).get_output().stdout.clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["paths"][0]["missing_objects"][0], hash.as_str());
    assert!(!p.exists("data/a.txt"), "a corrupt object was placed");
    assert!(!p.has_object(&hash));
    assert_eq!(p.quarantined().len(), 1);
    // Restoring the data and re-adding heals the cache.
    p.write("data/a.txt", "original\n");
    p.mlx(&["add", "data"]).success().stdout(predicate::str::starts_with("unchanged"));
    assert!(p.has_object(&hash));
    assert_eq!(p.read(p.object_path(&hash)), b"original\n");
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["cache", "verify"]).success();
}

#[test]
fn bad_link_type_in_config_is_an_input_error_with_position() {
    let p = TestProject::initialized();
    p.write(".mlx/config.local.toml", "[cache]\ntype = \"teleport\"\n");
    p.mlx(&["status"]).code(2).stderr(predicate::str::contains(".mlx/config.local.toml:2:8"));
}
