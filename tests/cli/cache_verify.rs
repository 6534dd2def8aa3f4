//! `mlx cache verify`: re-hash every object, quarantine corrupt ones, exit 1 if any.

use crate::support::{TestProject, hash_hex, stderr, stdout};

#[test]
fn verify_of_a_sound_cache_exits_0() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    p.write("data/b.txt", "bb\n");
    p.mlx(&["add", "data"]).success();
    let a = p.mlx(&["cache", "verify"]).success();
    assert_eq!(stdout(&a), "");
    let manifest_size = std::fs::metadata(p.object_path(&p.pointer_hash("data"))).unwrap().len();
    assert_eq!(stderr(&a), format!("checked 3 objects ({} B): 0 corrupt\n", 2 + 3 + manifest_size));
    let json = p.json(&["cache", "verify"]);
    assert_eq!(json["checked_objects"], 3);
    assert_eq!(json["corrupt"], serde_json::json!([]));
    assert!(p.quarantined().is_empty());
}

#[test]
fn verify_of_an_empty_cache_exits_0() {
    let p = TestProject::initialized();
    p.mlx(&["cache", "verify"]).success();
}

#[test]
fn tampered_object_is_reported_quarantined_and_then_missing() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "original\n");
    p.write("data/b.txt", "fine\n");
    p.mlx(&["add", "data"]).success();
    let hash = hash_hex(b"original\n");
    let obj = p.object_path(&hash);
    p.set_mode(&obj, 0o644);
    std::fs::write(&obj, "flipped\n!").unwrap();
    let a = p.mlx(&["cache", "verify"]).code(1);
    let out = stdout(&a);
    let expected_prefix =
        format!("corrupt  {hash}  moved to {}", p.cache_dir().join("quarantine").display());
    assert!(out.starts_with(&expected_prefix), "{out}");
    assert!(stderr(&a).contains("1 corrupt"), "{}", stderr(&a));
    assert!(stderr(&a).contains("hint: re-add the data with `mlx add`"), "{}", stderr(&a));
    assert!(!obj.exists());
    let q = p.quarantined();
    assert_eq!(q.len(), 1);
    assert_eq!(std::fs::read(&q[0]).unwrap(), b"flipped\n!");
    // status now shows the object missing from the cache.
    let json = p.json(&["status"]);
    assert_eq!(json["paths"][0]["missing_objects"], 1);
    p.mlx(&["status", "--check"]).code(1);
    // Re-adding the (intact) workspace data heals it.
    p.mlx(&["add", "data"]).success();
    assert_eq!(p.read(&obj), b"original\n");
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["cache", "verify"]).success();
}

#[test]
fn tampered_object_json_lists_it() {
    let p = TestProject::initialized();
    p.write("f.bin", "bytes");
    p.mlx(&["add", "f.bin"]).success();
    let hash = hash_hex(b"bytes");
    let obj = p.object_path(&hash);
    p.set_mode(&obj, 0o644);
    std::fs::write(&obj, "BYTES").unwrap();
    let a = p.mlx(&["cache", "verify", "--json"]).code(1);
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["checked_objects"], 1);
    assert_eq!(v["corrupt"][0]["hash"], hash);
    assert!(v["corrupt"][0]["quarantined"].as_str().unwrap().contains("/.mlx/cache/quarantine/"));
}

#[test]
fn stray_files_in_the_cache_are_not_objects() {
    let p = TestProject::initialized();
    p.write("f.bin", "bytes");
    p.mlx(&["add", "f.bin"]).success();
    p.write(".mlx/cache/README", "not an object");
    p.write(".mlx/cache/zz/not-hex", "junk");
    let json = p.json(&["cache", "verify"]);
    assert_eq!(json["checked_objects"], 1);
    p.mlx(&["gc"]).success();
    assert!(p.exists(".mlx/cache/README"));
}
