//! `mlx gc`: delete objects no pointer in the workspace references; `--dry-run`; `--json`.

use crate::support::{TestProject, hash_hex, stdout};

/// v1 of `data` added, then v2 added over it: v1's file and manifest are garbage.
fn project_with_two_versions() -> (TestProject, String, String) {
    let p = TestProject::initialized();
    p.write("data/keep.txt", "kept in both\n");
    p.write("data/v.txt", "version one\n");
    p.mlx(&["add", "data"]).success();
    let v1 = p.pointer_hash("data");
    p.write("data/v.txt", "version two!\n");
    p.mlx(&["add", "data"]).success();
    let v2 = p.pointer_hash("data");
    (p, v1, v2)
}

#[test]
fn gc_dry_run_reports_and_deletes_nothing() {
    let (p, v1, _) = project_with_two_versions();
    let before = p.objects();
    assert_eq!(before.len(), 5);
    let a = p.mlx(&["gc", "--dry-run"]).success();
    let garbage = 12 + std::fs::metadata(p.object_path(&v1)).unwrap().len();
    let kept = 5 - 2;
    let out = stdout(&a);
    assert!(out.starts_with("would remove 2 objects ("), "{out}");
    assert!(out.contains(&format!("kept {kept} objects")), "{out}");
    let json = p.json(&["gc", "-n"]);
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["removed_objects"], 2);
    assert_eq!(json["removed_bytes"], garbage);
    assert_eq!(json["kept_objects"], 3);
    assert_eq!(p.objects(), before);
}

#[test]
fn gc_deletes_old_versions_and_keeps_current_ones() {
    let (p, v1, v2) = project_with_two_versions();
    let garbage = 12 + std::fs::metadata(p.object_path(&v1)).unwrap().len();
    let json = p.json(&["gc"]);
    assert_eq!(json["dry_run"], false);
    assert_eq!(json["removed_objects"], 2);
    assert_eq!(json["removed_bytes"], garbage);
    assert_eq!(json["kept_objects"], 3);
    assert_eq!(json["unknown_manifests"], serde_json::json!([]));
    assert!(!p.has_object(&v1));
    assert!(!p.has_object(&hash_hex(b"version one\n")));
    assert!(p.has_object(&v2));
    assert!(p.has_object(&hash_hex(b"version two!\n")));
    assert!(p.has_object(&hash_hex(b"kept in both\n")));
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["cache", "verify"]).success();
    // Nothing left to collect.
    p.mlx(&["gc"]).success().stdout(predicates::str::starts_with("removed 0 objects (0 B)"));
    // The workspace still checks out from what is left.
    p.remove("data");
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read("data/v.txt"), b"version two!\n");
}

#[test]
fn gc_after_rm_deletes_everything_the_pointer_held() {
    let p = TestProject::initialized();
    p.write("f.bin", "f");
    p.mlx(&["add", "f.bin"]).success();
    p.mlx(&["rm", "f.bin"]).success();
    let json = p.json(&["gc"]);
    assert_eq!(json["removed_objects"], 1);
    assert_eq!(json["removed_bytes"], 1);
    assert!(p.objects().is_empty());
    assert_eq!(p.read("f.bin"), b"f");
}

#[test]
fn gc_keeps_objects_of_pointers_in_subfolders() {
    let p = TestProject::initialized();
    p.write("a/b/c/deep.bin", "deep");
    p.mlx(&["add", "a/b/c/deep.bin"]).success();
    let json = p.json(&["gc"]);
    assert_eq!(json["removed_objects"], 0);
    assert_eq!(json["kept_objects"], 1);
}

#[test]
fn gc_warns_when_a_manifest_is_missing_and_keeps_what_it_can() {
    let (p, _, v2) = project_with_two_versions();
    std::fs::remove_file(p.object_path(&v2)).unwrap();
    let a = p.mlx(&["gc", "-n"]).success();
    assert!(
        crate::support::stderr(&a).contains("data: its file list is not in the cache"),
        "{}",
        crate::support::stderr(&a)
    );
    let json = p.json(&["gc", "-n"]);
    assert_eq!(json["unknown_manifests"], serde_json::json!(["data"]));
}
