//! Data across git history (issue 3): `mlx diff` between commits and the workspace, `mlx ls
//! --rev`, `mlx checkout --rev` and `mlx gc --all-branches|--all-tags|--all-commits`, each run
//! against a scripted history (`support::History`: v1, then a modify/add/delete/move, v2).

use serde_json::json;

use crate::support::content::{A_V1, A_V2, B, C, MODEL, X};
use crate::support::{History, TestProject, hash_hex, stderr, stdout, tree};

/// The hash of `data`'s pointer at `rev`.
fn data_hash_at(p: &TestProject, rev: &str) -> String {
    let text = p.git(&["show", &format!("{rev}:data.mlx")]);
    let table: toml::Table = text.parse().expect("pointer is TOML");
    table["hash"].as_str().expect("hash").to_owned()
}

/// Make an object disappear from the cache, as on a clone that never had it.
fn drop_object(p: &TestProject, hash: &str) {
    let path = p.object_path(hash);
    assert!(path.exists(), "object {hash} should be cached");
    std::fs::remove_file(&path).expect("remove object");
}

/// v3 on top of the history: `model.bin` is no longer tracked and a new directory `extra/` is.
fn add_v3(h: &History) -> String {
    let p = &h.p;
    p.mlx(&["rm", "-q", "model.bin"]).success();
    // Gone from the work tree too, so git does not start tracking it.
    p.remove("model.bin");
    p.write("extra/one.bin", "one\n");
    p.write("extra/sub/two.bin", "two!\n");
    p.mlx(&["add", "-q", "extra"]).success();
    let v3 = p.commit_all("v3");
    p.git(&["tag", "v3"]);
    v3
}

/// The changes `v1 → v2` as `mlx diff --json` reports them.
fn v1_to_v2_changes() -> serde_json::Value {
    json!([
        {
            "path": "data/a.txt",
            "change": "modified",
            "tracked": "data",
            "old_hash": hash_hex(A_V1.as_bytes()),
            "new_hash": hash_hex(A_V2.as_bytes()),
            "old_size": A_V1.len(),
            "new_size": A_V2.len(),
        },
        {
            "path": "data/b.txt",
            "change": "deleted",
            "tracked": "data",
            "old_hash": hash_hex(B.as_bytes()),
            "old_size": B.len(),
        },
        {
            "path": "data/c.txt",
            "change": "added",
            "tracked": "data",
            "new_hash": hash_hex(C.as_bytes()),
            "new_size": C.len(),
        },
        {
            "path": "data/moved/x.bin",
            "change": "renamed",
            "tracked": "data",
            "old_path": "data/raw/x.bin",
            "old_hash": hash_hex(X.as_bytes()),
            "new_hash": hash_hex(X.as_bytes()),
            "old_size": X.len(),
            "new_size": X.len(),
        },
    ])
}

const V1_TO_V2_TOTALS: &str = "1 added, 1 deleted, 1 modified, 1 renamed (+11 B)";

// ---------------------------------------------------------------------------------------------
// mlx diff

#[test]
fn diff_between_two_commits_lists_changes_with_sizes_and_totals() {
    let h = History::new();
    let a = h.p.mlx(&["diff", "v1", "v2"]).success();
    insta::assert_snapshot!(h.p.transcript(&a), @r"
    exit: 0
    --- stdout
    data
      modified  a.txt                     6 B -> 15 B
      deleted   b.txt                     6 B
      added     c.txt                     8 B
      renamed   raw/x.bin -> moved/x.bin  8 B
    --- stderr
    v1 vs v2: 1 added, 1 deleted, 1 modified, 1 renamed (+11 B)
    ");
}

#[test]
fn diff_json_between_two_commits_has_every_field() {
    let h = History::new();
    let v = h.p.json(&["diff", "v1", "v2"]);
    assert_eq!(
        v,
        json!({
            "a": {"label": "v1", "commit": h.v1},
            "b": {"label": "v2", "commit": h.v2},
            "changes": v1_to_v2_changes(),
            "totals": {"added": 1, "deleted": 1, "modified": 1, "renamed": 1, "size_delta": 11},
            "unknown_manifests": [],
        })
    );
    // Reversed: the same files, the other way round.
    let back = h.p.json(&["diff", "v2", "v1"]);
    assert_eq!(
        back["totals"],
        json!({"added": 1, "deleted": 1, "modified": 1, "renamed": 1, "size_delta": -11})
    );
    assert_eq!(back["changes"][3]["path"], "data/raw/x.bin");
    assert_eq!(back["changes"][3]["old_path"], "data/moved/x.bin");
    assert_eq!(back["changes"][1]["change"], "added");
    assert_eq!(back["changes"][1]["path"], "data/b.txt");
}

#[test]
fn diff_takes_any_revision_syntax() {
    let h = History::new();
    for (a, b) in
        [("v1", "main"), ("main~1", "HEAD"), (h.v1.as_str(), "feature"), (&h.v1[..10], "v2")]
    {
        let v = h.p.json(&["diff", a, b]);
        assert_eq!(v["changes"], v1_to_v2_changes(), "diff {a} {b}");
        assert_eq!(v["a"]["commit"], h.v1.as_str());
        assert_eq!(v["a"]["label"], a);
        assert_eq!(v["b"]["commit"], h.v2.as_str());
    }
}

#[test]
fn diff_of_a_clean_workspace_against_head_is_empty() {
    let h = History::new();
    let a = h.p.mlx(&["diff"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(stderr(&a), "HEAD vs workspace: 0 added, 0 deleted, 0 modified, 0 renamed (+0 B)\n");
    let v = h.p.json(&["diff"]);
    assert_eq!(
        v,
        json!({
            "a": {"label": "HEAD", "commit": h.v2},
            "b": {"label": "workspace"},
            "changes": [],
            "totals": {"added": 0, "deleted": 0, "modified": 0, "renamed": 0, "size_delta": 0},
            "unknown_manifests": [],
        })
    );
}

#[test]
fn diff_of_head_against_unsaved_workspace_edits() {
    let h = History::new();
    let p = &h.p;
    // Unsaved edits, never `mlx add`ed: the diff reads the files themselves.
    p.write("data/c.txt", "charlie, edited\n");
    p.write("data/new/d.txt", "delta\n");
    p.remove("data/a.txt");
    std::fs::rename(p.path("data/moved/x.bin"), p.path("data/x-again.bin")).unwrap();
    p.write("model.bin", "model v2, bigger\n");
    let v = p.json(&["diff"]);
    assert_eq!(v["a"], json!({"label": "HEAD", "commit": h.v2}));
    assert_eq!(v["b"], json!({"label": "workspace"}));
    assert_eq!(
        v["changes"],
        json!([
            {"path": "data/a.txt", "change": "deleted", "tracked": "data",
             "old_hash": hash_hex(A_V2.as_bytes()), "old_size": 15},
            {"path": "data/c.txt", "change": "modified", "tracked": "data",
             "old_hash": hash_hex(C.as_bytes()), "new_hash": hash_hex(b"charlie, edited\n"),
             "old_size": 8, "new_size": 16},
            {"path": "data/new/d.txt", "change": "added", "tracked": "data",
             "new_hash": hash_hex(b"delta\n"), "new_size": 6},
            {"path": "data/x-again.bin", "change": "renamed", "tracked": "data",
             "old_path": "data/moved/x.bin", "old_hash": hash_hex(X.as_bytes()),
             "new_hash": hash_hex(X.as_bytes()), "old_size": 8, "new_size": 8},
            {"path": "model.bin", "change": "modified", "tracked": "model.bin",
             "old_hash": hash_hex(MODEL.as_bytes()), "new_hash": hash_hex(b"model v2, bigger\n"),
             "old_size": 9, "new_size": 17},
        ])
    );
    assert_eq!(
        v["totals"],
        json!({"added": 1, "deleted": 1, "modified": 2, "renamed": 1, "size_delta": -15 + 8 + 6 + 8})
    );
    let a = p.mlx(&["diff"]).success();
    let out = stdout(&a);
    assert!(out.contains("model.bin\n  modified  (the file itself)"), "{out}");
    assert!(out.contains("  renamed   moved/x.bin -> x-again.bin"), "{out}");
    assert!(stderr(&a).starts_with("HEAD vs workspace: 1 added, 1 deleted, 2 modified, 1 renamed"));
    // Nothing was written: the pointers and the cache are as they were.
    assert_eq!(p.git_status(), "");
    assert!(!p.has_object(&hash_hex(b"delta\n")));
}

#[test]
fn diff_of_a_revision_against_the_workspace() {
    let h = History::new();
    let a = h.p.mlx(&["diff", "v1"]).success();
    assert_eq!(stderr(&a), format!("v1 vs workspace: {V1_TO_V2_TOTALS}\n"));
    let v = h.p.json(&["diff", "v1"]);
    assert_eq!(v["a"], json!({"label": "v1", "commit": h.v1}));
    assert_eq!(v["b"], json!({"label": "workspace"}));
    assert_eq!(v["changes"], v1_to_v2_changes());
    // The workspace side is the files, not the pointers: an unsaved edit shows up.
    h.p.write("data/c.txt", "c\n");
    let v = h.p.json(&["diff", "v1"]);
    assert_eq!(v["changes"][2]["new_hash"], hash_hex(b"c\n"));
    assert_eq!(v["totals"]["size_delta"], 11 - 8 + 2);
}

#[test]
fn diff_of_identical_commits_reports_no_changes() {
    let h = History::new();
    for (a, b) in [("v2", "feature"), ("v1", "v1"), ("HEAD", "main")] {
        let out = h.p.mlx(&["diff", a, b]).success();
        assert_eq!(stdout(&out), "", "diff {a} {b}");
        assert_eq!(
            stderr(&out),
            format!("{a} vs {b}: 0 added, 0 deleted, 0 modified, 0 renamed (+0 B)\n")
        );
        let v = h.p.json(&["diff", a, b]);
        assert_eq!(v["changes"], json!([]));
        assert_eq!(v["totals"]["size_delta"], 0);
    }
    // A commit that changed no pointer: the diff reads no manifest at all, so it works even
    // with the cache emptied.
    h.p.write("README.md", "code only\n");
    h.p.commit_all("docs");
    for (hash, _) in h.p.objects() {
        drop_object(&h.p, &hash);
    }
    let v = h.p.json(&["diff", "v2", "HEAD"]);
    assert_eq!(v["changes"], json!([]));
    assert_eq!(v["unknown_manifests"], json!([]));
}

#[test]
fn diff_reports_tracked_paths_added_and_removed_between_commits() {
    let h = History::new();
    let v3 = add_v3(&h);
    let v = h.p.json(&["diff", "v2", "v3"]);
    assert_eq!(v["b"], json!({"label": "v3", "commit": v3}));
    assert_eq!(
        v["changes"],
        json!([
            {"path": "extra/one.bin", "change": "added", "tracked": "extra",
             "new_hash": hash_hex(b"one\n"), "new_size": 4},
            {"path": "extra/sub/two.bin", "change": "added", "tracked": "extra",
             "new_hash": hash_hex(b"two!\n"), "new_size": 5},
            {"path": "model.bin", "change": "deleted", "tracked": "model.bin",
             "old_hash": hash_hex(MODEL.as_bytes()), "old_size": 9},
        ])
    );
    assert_eq!(
        v["totals"],
        json!({"added": 2, "deleted": 1, "modified": 0, "renamed": 0, "size_delta": 0})
    );
    let a = h.p.mlx(&["diff", "v2", "v3"]).success();
    insta::assert_snapshot!(h.p.transcript(&a), @r"
    exit: 0
    --- stdout
    extra
      added    one.bin            4 B
      added    sub/two.bin        5 B
    model.bin
      deleted  (the file itself)  9 B
    --- stderr
    v2 vs v3: 2 added, 1 deleted, 0 modified, 0 renamed (+0 B)
    ");
    // Back to v1: all of v1's data reappears, extra's files go.
    let v = h.p.json(&["diff", "v3", "v1"]);
    let t = &v["totals"];
    assert_eq!((t["added"].as_u64(), t["deleted"].as_u64()), (Some(2), Some(3)), "{v}");
    assert_eq!(t["modified"], 1);
    assert_eq!(t["renamed"], 1);
}

#[test]
fn diff_with_a_manifest_missing_from_the_cache_compares_the_directory_whole() {
    let h = History::new();
    let p = &h.p;
    let v1_data = data_hash_at(p, "v1");
    let v2_data = data_hash_at(p, "v2");
    drop_object(p, &v1_data);
    let a = p.mlx(&["diff", "v1", "v2"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    data
      modified  (the whole directory)  20 B -> 31 B
    --- stderr
    warning: data: its file list is not in the cache, so it is compared as a whole
    v1 vs v2: 0 added, 0 deleted, 1 modified, 0 renamed (+11 B)
    ");
    let v = p.json(&["diff", "v1", "v2"]);
    assert_eq!(
        v["changes"],
        json!([{"path": "data", "change": "modified", "tracked": "data",
                "old_hash": v1_data, "new_hash": v2_data, "old_size": 20, "new_size": 31}])
    );
    assert_eq!(v["unknown_manifests"], json!(["data"]));
    // Against the workspace too: the workspace's files are summed up the way `mlx add` would.
    let v = p.json(&["diff", "v1"]);
    assert_eq!(v["changes"][0]["new_hash"], v2_data.as_str());
    assert_eq!(v["unknown_manifests"], json!(["data"]));
    // The side that lost its manifest is v1 only: v2 against the workspace is still per file.
    p.write("data/c.txt", "c\n");
    let v = p.json(&["diff", "v2"]);
    assert_eq!(v["unknown_manifests"], json!([]));
    assert_eq!(v["changes"][0]["path"], "data/c.txt");
}

#[test]
fn diff_of_an_unknown_revision_is_an_input_error() {
    let h = History::new();
    for args in [&["diff", "nope"][..], &["diff", "v1", "nope"], &["diff", "nope", "--json"]] {
        let a = h.p.mlx(args).code(2);
        assert_eq!(stdout(&a), "", "{args:?}");
        assert!(
            stderr(&a).contains(
                "unknown revision \"nope\": git knows no commit, branch or tag by that name"
            ),
            "{args:?}: {}",
            stderr(&a)
        );
    }
    // A blob is not a commit either.
    h.p.mlx(&["diff", "v1:data.mlx"]).code(2);
}

// ---------------------------------------------------------------------------------------------
// mlx ls --rev

#[test]
fn ls_rev_lists_what_was_tracked_at_that_commit() {
    let h = History::new();
    let p = &h.p;
    let v = p.json(&["ls", "--rev", "v1"]);
    assert_eq!(
        v,
        json!({
            "commit": h.v1,
            "entries": [
                {"path": "data", "kind": "directory", "hash": data_hash_at(p, "v1"),
                 "size": 20, "files": 3},
                {"path": "model.bin", "kind": "file", "hash": hash_hex(MODEL.as_bytes()),
                 "size": 9, "files": 1},
            ]
        })
    );
    let a = p.mlx(&["ls", "--rev", "v1", "data"]).success();
    let out = stdout(&a);
    assert_eq!(
        out.lines().map(|l| l.split_whitespace().last().unwrap()).collect::<Vec<_>>(),
        ["PATH", "data/a.txt", "data/b.txt", "data/raw/x.bin"],
        "{out}"
    );
    // A folder inside the tracked directory that only v1 had.
    let v = p.json(&["ls", "--rev", "v1", "data/raw"]);
    assert_eq!(
        v["entries"],
        json!([{"path": "data/raw/x.bin", "kind": "file", "hash": hash_hex(X.as_bytes()),
                "size": 8, "files": 1}])
    );
    p.mlx(&["ls", "data/raw"]).code(2);
    // Without --rev: the work tree (v2); no commit key.
    let v = p.json(&["ls", "data"]);
    assert!(v.get("commit").is_none(), "{v}");
    assert_eq!(v["entries"].as_array().unwrap().len(), 3);
    assert_eq!(v["entries"][2]["path"], "data/moved/x.bin");
}

#[test]
fn ls_rev_reads_a_path_tracked_only_in_an_old_commit() {
    let h = History::new();
    let v3 = add_v3(&h);
    let p = &h.p;
    // model.bin is not tracked any more: only --rev sees it, by data path or pointer path.
    p.mlx(&["ls", "model.bin"]).code(2);
    for arg in ["model.bin", "model.bin.mlx"] {
        let v = p.json(&["ls", "--rev", "v2", arg]);
        assert_eq!(v["commit"], h.v2.as_str());
        assert_eq!(
            v["entries"],
            json!([{"path": "model.bin", "kind": "file", "hash": hash_hex(MODEL.as_bytes()),
                    "size": 9, "files": 1}]),
            "{arg}"
        );
    }
    // And the reverse: extra is tracked now but was not at v2.
    let a = p.mlx(&["ls", "--rev", "v2", "extra"]).code(2);
    assert!(stderr(&a).contains("extra"), "{}", stderr(&a));
    let v = p.json(&["ls", "--rev", "HEAD"]);
    assert_eq!(v["commit"], v3.as_str());
    let paths: Vec<&str> =
        v["entries"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["data", "extra"]);
}

#[test]
fn ls_rev_with_a_pointer_path_lists_the_directory_at_that_commit() {
    let h = History::new();
    let v = h.p.json(&["ls", "--rev", "v1", "data.mlx"]);
    let paths: Vec<&str> =
        v["entries"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["data/a.txt", "data/b.txt", "data/raw/x.bin"]);
    assert_eq!(v["entries"][1]["hash"], hash_hex(B.as_bytes()));
    // From a subfolder, paths are relative to it.
    let a = h.p.mlx_in("data", &["ls", "--rev", "v1", "../data.mlx", "--json"]).success();
    let sub: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(sub, v);
}

#[test]
fn ls_rev_errors() {
    let h = History::new();
    let a = h.p.mlx(&["ls", "--rev", "nope"]).code(2);
    assert!(stderr(&a).contains("unknown revision \"nope\""), "{}", stderr(&a));
    h.p.mlx(&["ls", "--rev", "v1", "not-tracked"]).code(2);
}

// ---------------------------------------------------------------------------------------------
// mlx checkout --rev

#[test]
fn checkout_rev_materialises_old_data_without_moving_head_or_pointers() {
    let h = History::new();
    let p = &h.p;
    let pointers_before = (p.read("data.mlx"), p.read("model.bin.mlx"));
    let a = p.mlx(&["checkout", "--rev", "v1"]).success();
    // a.txt replaced, b.txt and raw/x.bin restored; c.txt, moved/x.bin and moved/ removed.
    assert_eq!(stdout(&a), "data  3 restored, 3 removed\n");
    assert_eq!(p.read_string("data/a.txt"), A_V1);
    assert_eq!(p.read_string("data/b.txt"), B);
    assert_eq!(p.read_string("data/raw/x.bin"), X);
    assert!(!p.exists("data/c.txt"));
    assert!(!p.exists("data/moved"));
    assert_eq!(p.read_string("model.bin"), MODEL);
    // HEAD, the branch and the pointer files stay where they were.
    assert_eq!(p.rev_parse("HEAD"), h.v2);
    assert_eq!(p.git(&["symbolic-ref", "HEAD"]).trim(), "refs/heads/main");
    assert_eq!(p.git_status(), "");
    assert_eq!((p.read("data.mlx"), p.read("model.bin.mlx")), pointers_before);
    // So status sees the workspace as modified against the (v2) pointers ...
    let st = p.json(&["status"]);
    assert_eq!(st["paths"][0]["path"], "data");
    assert_eq!(st["paths"][0]["state"], "modified");
    assert_eq!(st["paths"][1]["state"], "unchanged");
    p.mlx(&["status", "--check"]).code(1);
    // ... and a diff against v1 is empty.
    assert_eq!(p.json(&["diff", "v1"])["changes"], json!([]));
    // A plain checkout returns to the work tree's pointers.
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read_string("data/a.txt"), A_V2);
    assert_eq!(p.read_string("data/moved/x.bin"), X);
    assert!(!p.exists("data/b.txt"));
    assert!(!p.exists("data/raw"));
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn checkout_rev_json_names_the_commit() {
    let h = History::new();
    let v = h.p.json(&["checkout", "--rev", "v1"]);
    assert_eq!(v["commit"], h.v1.as_str());
    let paths = &v["paths"];
    assert_eq!(paths.as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(
        (&paths[0]["path"], &paths[0]["restored"], &paths[0]["removed"]),
        (&json!("data"), &json!(3), &json!(3))
    );
    assert_eq!(paths[0]["missing_objects"], json!([]));
    assert_eq!((&paths[1]["path"], &paths[1]["restored"]), (&json!("model.bin"), &json!(0)));
    assert_eq!(v["conflicts"], json!([]));
    let v = h.p.json(&["checkout"]);
    assert!(v.get("commit").is_none(), "{v}");
}

#[test]
fn checkout_rev_of_some_paths_only_touches_those() {
    let h = History::new();
    add_v3(&h);
    let p = &h.p;
    // model.bin is not tracked at v3 but was at v1: --rev reads it from there.
    assert!(!p.exists("model.bin"));
    let extra_before = tree(&p.path("extra"));
    p.mlx(&["checkout", "--rev", "v1", "data.mlx", "model.bin"]).success();
    assert_eq!(p.read_string("model.bin"), MODEL);
    assert_eq!(p.read_string("data/b.txt"), B);
    assert_eq!(tree(&p.path("extra")), extra_before);
    // A path tracked at HEAD but not at the revision is an error, and nothing changes.
    let before = tree(&p.path("data"));
    let a = p.mlx(&["checkout", "--rev", "v1", "extra"]).code(2);
    assert!(stderr(&a).contains("extra"), "{}", stderr(&a));
    assert_eq!(tree(&p.path("data")), before);
}

#[test]
fn checkout_rev_with_objects_missing_from_the_cache_lists_them_and_exits_1() {
    let h = History::new();
    let p = &h.p;
    let b = hash_hex(B.as_bytes());
    drop_object(p, &b);
    let a = p.mlx(&["checkout", "--rev", "v1"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("warning: data: 1 object is not in the cache"), "{err}");
    // What could be restored was.
    assert_eq!(p.read_string("data/a.txt"), A_V1);
    assert!(!p.exists("data/b.txt"));
    let v = serde_json::from_slice::<serde_json::Value>(
        &p.mlx(&["checkout", "--rev", "v1", "--json"]).code(1).get_output().stdout,
    )
    .unwrap();
    assert_eq!(v["paths"][0]["missing_objects"], json!([b]));
    assert_eq!(p.rev_parse("HEAD"), h.v2);
}

#[test]
fn checkout_rev_names_the_missing_objects_in_its_message() {
    let h = History::new();
    let b = hash_hex(B.as_bytes());
    drop_object(&h.p, &b);
    let a = h.p.mlx(&["checkout", "--rev", "v1"]).code(1);
    let err = stderr(&a);
    // Issue 3: "Objects missing from the cache are listed".
    assert!(err.contains(&b[..8]), "the missing object is not named: {err}");
}

#[test]
fn checkout_rev_after_gc_removed_the_old_manifest_exits_1() {
    let h = History::new();
    let p = &h.p;
    p.mlx(&["gc", "-q"]).success();
    let v1_data = data_hash_at(p, "v1");
    assert!(!p.has_object(&v1_data));
    let before = tree(&p.path("data"));
    let a = p.mlx(&["checkout", "--rev", "v1"]).code(1);
    assert!(stderr(&a).contains("data: 1 object is not in the cache"), "{}", stderr(&a));
    let v = serde_json::from_slice::<serde_json::Value>(
        &p.mlx(&["checkout", "--rev", "v1", "--json"]).code(1).get_output().stdout,
    )
    .unwrap();
    assert_eq!(v["paths"][0]["missing_objects"], json!([v1_data]));
    assert_eq!(tree(&p.path("data")), before, "without the file list nothing is touched");
}

#[test]
fn checkout_rev_refuses_to_lose_unsaved_edits_without_force() {
    let h = History::new();
    let p = &h.p;
    p.write("data/c.txt", "unsaved work\n");
    let before = tree(p.root());
    let a = p.mlx(&["checkout", "--rev", "v1"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(err.contains("data/c.txt"), "{err}");
    let mut after = tree(p.root());
    let workspace_only = |t: &mut std::collections::BTreeMap<std::path::PathBuf, _>| {
        t.retain(|k, _| !k.starts_with(".mlx") && !k.starts_with(".git"));
    };
    let mut before = before;
    workspace_only(&mut before);
    workspace_only(&mut after);
    assert_eq!(before, after);
    // --force goes ahead.
    p.mlx(&["checkout", "--rev", "v1", "--force"]).success();
    assert!(!p.exists("data/c.txt"));
    assert_eq!(p.read_string("data/b.txt"), B);
    assert_eq!(p.git_status(), "");
}

#[test]
fn checkout_rev_of_an_unknown_revision_is_an_input_error() {
    let h = History::new();
    let before = tree(&h.p.path("data"));
    let a = h.p.mlx(&["checkout", "--rev", "nope"]).code(2);
    assert!(stderr(&a).contains("unknown revision \"nope\""), "{}", stderr(&a));
    assert_eq!(tree(&h.p.path("data")), before);
}

// ---------------------------------------------------------------------------------------------
// mlx gc --all-branches | --all-tags | --all-commits

/// One tracked file `w.bin` whose versions are each referenced from one place only:
/// `tagged` (tag t1, first commit), `old` (a commit in main's history, no ref), `head` (main's
/// tip and the workspace), `branch` (tip of branch `side`), `garbage` (added, never committed).
fn gc_history() -> TestProject {
    let p = TestProject::initialized();
    let add = |text: &str| {
        p.write("w.bin", text);
        p.mlx(&["add", "-q", "w.bin"]).success();
    };
    add("tagged\n");
    p.commit_all("tagged");
    p.git(&["tag", "t1"]);
    add("old\n");
    p.commit_all("old");
    add("garbage\n");
    add("head\n");
    p.commit_all("head");
    p.git(&["switch", "-q", "-c", "side"]);
    add("branch\n");
    p.commit_all("branch");
    p.git(&["switch", "-q", "main"]);
    p.mlx(&["checkout", "-q"]).success();
    assert_eq!(p.read_string("w.bin"), "head\n");
    assert_eq!(p.objects().len(), 5);
    p
}

/// Which of the five versions are still in the cache.
fn surviving(p: &TestProject) -> Vec<&'static str> {
    ["tagged", "old", "garbage", "head", "branch"]
        .into_iter()
        .filter(|v| p.has_object(&hash_hex(format!("{v}\n").as_bytes())))
        .collect()
}

#[test]
fn gc_without_history_flags_keeps_only_the_workspace() {
    let p = gc_history();
    let v = p.json(&["gc"]);
    assert_eq!(v["commits_scanned"], 0);
    assert_eq!(v["removed_objects"], 4);
    assert_eq!(v["kept_objects"], 1);
    assert_eq!(surviving(&p), ["head"]);
}

#[test]
fn gc_all_branches_keeps_branch_tips() {
    let p = gc_history();
    let v = p.json(&["gc", "--all-branches"]);
    // main and side.
    assert_eq!(v["commits_scanned"], 2);
    assert_eq!(v["removed_objects"], 3);
    assert_eq!(v["removed_bytes"], "tagged\n".len() + "old\n".len() + "garbage\n".len());
    assert_eq!(v["kept_objects"], 2);
    assert_eq!(surviving(&p), ["head", "branch"]);
    let a = p.mlx(&["gc", "--all-branches"]).success();
    assert_eq!(stdout(&a), "removed 0 objects (0 B), kept 2 objects (12 B)\n");
}

#[test]
fn gc_all_branches_and_all_commits_count_remote_tracking_branches() {
    let p = gc_history();
    // `side` known only as a remote-tracking branch (as after `git fetch`), not as a branch.
    let side = p.rev_parse("side");
    p.git(&["update-ref", "refs/remotes/origin/side", &side]);
    p.git(&["branch", "-q", "-D", "side"]);
    let v = p.json(&["gc", "--all-branches", "--dry-run"]);
    assert_eq!(v["commits_scanned"], 2, "{v}");
    assert_eq!(v["removed_objects"], 3, "{v}");
    p.mlx(&["gc", "--all-commits", "-q"]).success();
    assert_eq!(surviving(&p), ["tagged", "old", "head", "branch"]);
    // --workspace says the default out loud, and cannot be mixed with what contradicts it.
    p.mlx(&["gc", "--workspace", "--all-tags"]).code(2);
    p.mlx(&["gc", "--workspace", "-q"]).success();
    assert_eq!(surviving(&p), ["head"]);
}

#[test]
fn gc_all_tags_keeps_tagged_commits() {
    let p = gc_history();
    let v = p.json(&["gc", "--all-tags"]);
    assert_eq!(v["commits_scanned"], 1);
    assert_eq!(v["removed_objects"], 3);
    assert_eq!(surviving(&p), ["tagged", "head"]);
}

#[test]
fn gc_all_commits_keeps_everything_ever_committed() {
    let p = gc_history();
    let v = p.json(&["gc", "--all-commits"]);
    // tagged, old, head, branch.
    assert_eq!(v["commits_scanned"], 4);
    assert_eq!(v["removed_objects"], 1);
    assert_eq!(v["removed_bytes"], "garbage\n".len());
    assert_eq!(surviving(&p), ["tagged", "old", "head", "branch"]);
}

#[test]
fn gc_branches_and_tags_together() {
    let p = gc_history();
    let v = p.json(&["gc", "--all-branches", "--all-tags"]);
    assert_eq!(v["commits_scanned"], 3);
    assert_eq!(surviving(&p), ["tagged", "head", "branch"]);
}

#[test]
fn gc_history_flags_with_dry_run_count_and_delete_nothing() {
    let p = gc_history();
    let before = p.objects();
    for (flag, removed, scanned) in
        [("--all-branches", 3, 2), ("--all-tags", 3, 1), ("--all-commits", 1, 4)]
    {
        let v = p.json(&["gc", flag, "--dry-run"]);
        assert_eq!(v["dry_run"], true, "{flag}");
        assert_eq!(v["removed_objects"], removed, "{flag}");
        assert_eq!(v["kept_objects"], 5 - removed, "{flag}");
        assert_eq!(v["commits_scanned"], scanned, "{flag}");
        assert_eq!(p.objects(), before, "{flag}");
    }
    let a = p.mlx(&["gc", "--all-commits", "-n"]).success();
    assert_eq!(stdout(&a), "would remove 1 object (8 B), kept 4 objects (23 B)\n");
}

#[test]
fn gc_all_tags_keeps_the_files_inside_an_old_directory_version() {
    let h = History::new();
    let p = &h.p;
    let v1_only = [data_hash_at(p, "v1"), hash_hex(A_V1.as_bytes()), hash_hex(B.as_bytes())];
    let v = p.json(&["gc", "--all-tags", "--dry-run"]);
    assert_eq!(v["removed_objects"], 0);
    assert_eq!(v["commits_scanned"], 2);
    p.mlx(&["gc", "--all-tags"]).success();
    assert!(v1_only.iter().all(|o| p.has_object(o)));
    // Plain gc drops v1's manifest and the files only v1 had, not the moved x.bin.
    let v = p.json(&["gc"]);
    assert_eq!(v["removed_objects"], 3);
    assert!(v1_only.iter().all(|o| !p.has_object(o)));
    assert!(p.has_object(&hash_hex(X.as_bytes())));
    p.mlx(&["status", "--check"]).success();
}
