//! Commands that read git, in the unusual places issue 3 names: linked worktrees (sharing the
//! main cache), a detached HEAD, a repository with no commits yet, and a project holding a git
//! submodule (never entered).

use serde_json::json;

use crate::support::content::{A_V1, A_V2, B, C, MODEL};
use crate::support::{History, TestProject, hash_hex, stderr, stdout, tree};

// ---------------------------------------------------------------------------------------------
// Worktrees

#[test]
fn worktree_init_shares_the_main_cache_and_checks_out_from_it() {
    let h = History::new();
    let p = &h.p;
    let wt = p.temp_dir().join("wt");
    p.git(&["worktree", "add", "-q", "--detach", wt.to_str().unwrap(), "v1"]);
    // Pointers came with git; the data did not.
    assert!(wt.join("data.mlx").is_file());
    assert!(!wt.join("data").exists());
    p.mlx_in(&wt, &["init"]).success();
    let local = std::fs::read_to_string(wt.join(".mlx/config.local.toml")).unwrap();
    let cache = p.cache_dir();
    assert!(
        local.contains(&format!("[cache]\ndir = \"{}\"\n", cache.display())),
        "the worktree's local config must point at the main cache:\n{local}"
    );
    let objects = p.objects();
    let a = p.mlx_in(&wt, &["checkout"]).success();
    assert_eq!(stdout(&a), "data       3 restored, 0 removed\nmodel.bin  1 restored, 0 removed\n");
    assert_eq!(std::fs::read_to_string(wt.join("data/a.txt")).unwrap(), A_V1);
    assert_eq!(std::fs::read_to_string(wt.join("data/b.txt")).unwrap(), B);
    assert_eq!(std::fs::read_to_string(wt.join("model.bin")).unwrap(), MODEL);
    p.mlx_in(&wt, &["status", "--check"]).success();
    // Nothing was copied into a second cache.
    assert_eq!(p.objects(), objects);
    let own: Vec<_> = walkdir::WalkDir::new(wt.join(".mlx/cache"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .collect();
    assert!(own.is_empty(), "the worktree filled its own cache: {own:?}");
    // Revisions resolve in the worktree like anywhere else.
    let v = serde_json::from_slice::<serde_json::Value>(
        &p.mlx_in(&wt, &["diff", "--json"]).success().get_output().stdout,
    )
    .unwrap();
    assert_eq!(v["a"]["commit"], h.v1.as_str());
    assert_eq!(v["changes"], json!([]));
    p.mlx_in(&wt, &["checkout", "--rev", "v2"]).success();
    assert_eq!(std::fs::read_to_string(wt.join("data/c.txt")).unwrap(), C);
    // Data added in the worktree lands in the shared cache.
    std::fs::write(wt.join("data/wt.txt"), "from the worktree\n").unwrap();
    p.mlx_in(&wt, &["add", "-q", "data"]).success();
    assert!(p.has_object(&hash_hex(b"from the worktree\n")));
    // The main work tree is untouched by all of this.
    assert_eq!(p.read_string("data/a.txt"), A_V2);
    assert_eq!(p.git_status(), "");
}

#[test]
fn worktree_init_is_idempotent_and_keeps_its_shared_cache() {
    let h = History::new();
    let p = &h.p;
    let wt = p.temp_dir().join("wt");
    p.git(&["worktree", "add", "-q", "-b", "wt-branch", wt.to_str().unwrap(), "v2"]);
    p.mlx_in(&wt, &["init", "-q"]).success();
    let local = std::fs::read(wt.join(".mlx/config.local.toml")).unwrap();
    p.mlx_in(&wt, &["init"]).success();
    assert_eq!(std::fs::read(wt.join(".mlx/config.local.toml")).unwrap(), local);
    // The main work tree's own config is untouched (no [cache] dir of its own).
    assert!(!p.read_string(".mlx/config.local.toml").contains("dir ="));
}

#[test]
fn worktree_add_with_hooks_installed_succeeds_and_hooks_work_there_after_init() {
    let h = History::new();
    let p = &h.p;
    p.mlx(&["install-hooks", "-q"]).success();
    let wt = p.temp_dir().join("wt");
    // git runs post-checkout in the new worktree, which is not an mlx project yet.
    let out = p.git_output(&["worktree", "add", "-q", "--detach", wt.to_str().unwrap(), "v1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "git worktree add failed because of the hook: {err}");
    assert!(err.contains("not an mlx project"), "{err}");
    // Commits there are not blocked either.
    let out = p.git_output_in(&wt, &["commit", "-q", "--allow-empty", "-m", "in wt"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Once initialised, the shared hooks keep its data in step.
    p.mlx_in(&wt, &["init", "-q"]).success();
    p.mlx_in(&wt, &["checkout", "-q"]).success();
    p.git_in(&wt, &["checkout", "-q", "v2"]);
    assert_eq!(std::fs::read_to_string(wt.join("data/a.txt")).unwrap(), A_V2);
    assert!(!wt.join("data/b.txt").exists());
    p.mlx_in(&wt, &["status", "--check"]).success();
}

// ---------------------------------------------------------------------------------------------
// Detached HEAD

#[test]
fn detached_head_diff_ls_and_checkout_rev_work() {
    let h = History::new();
    let p = &h.p;
    p.git(&["checkout", "-q", "--detach", "v1"]);
    assert!(p.git_output(&["symbolic-ref", "-q", "HEAD"]).status.code() == Some(1));
    p.mlx(&["checkout", "-q"]).success();
    assert_eq!(p.read_string("data/a.txt"), A_V1);
    // HEAD is v1 now.
    let v = p.json(&["diff"]);
    assert_eq!(v["a"], json!({"label": "HEAD", "commit": h.v1}));
    assert_eq!(v["changes"], json!([]));
    let v = p.json(&["diff", "HEAD", "main"]);
    assert_eq!(v["totals"]["renamed"], 1);
    assert_eq!(v["b"]["commit"], h.v2.as_str());
    let v = p.json(&["diff", "main"]);
    assert_eq!(v["totals"]["size_delta"], -11);
    let v = p.json(&["ls", "--rev", "HEAD"]);
    assert_eq!(v["commit"], h.v1.as_str());
    let v = p.json(&["ls", "--rev", "main", "data"]);
    assert_eq!(v["entries"].as_array().unwrap().len(), 3);
    assert_eq!(v["entries"][1]["path"], "data/c.txt");
    p.mlx(&["checkout", "--rev", "main"]).success();
    assert_eq!(p.read_string("data/c.txt"), C);
    assert_eq!(p.rev_parse("HEAD"), h.v1, "HEAD stays detached at v1");
    assert_eq!(p.git_status(), "");
    p.mlx(&["status", "--check"]).code(1);
    p.mlx(&["checkout", "-q"]).success();
    assert_eq!(p.read_string("data/a.txt"), A_V1);
}

// ---------------------------------------------------------------------------------------------
// A repository with no commits

#[test]
fn a_repository_without_commits_says_so_for_every_revision() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    p.mlx(&["add", "-q", "data"]).success();
    let message = "this repository has no commits yet, so there is no revision \"HEAD\" to read";
    for args in [
        &["diff"][..],
        &["diff", "--json"],
        &["diff", "HEAD", "HEAD"],
        &["ls", "--rev", "HEAD"],
        &["checkout", "--rev", "HEAD"],
    ] {
        let a = p.mlx(args).code(2);
        assert_eq!(stdout(&a), "", "{args:?}");
        assert!(stderr(&a).contains(message), "{args:?}: {}", stderr(&a));
    }
    let a = p.mlx(&["ls", "--rev", "main"]).code(2);
    assert!(stderr(&a).contains("no commits yet"), "{}", stderr(&a));
    // Commands that need no revision work; history flags of gc find no commit to scan.
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["ls", "data"]).success();
    for flag in ["--all-commits", "--all-branches", "--all-tags"] {
        let v = p.json(&["gc", flag]);
        assert_eq!(v["commits_scanned"], 0, "{flag}");
        assert_eq!(v["removed_objects"], 0, "{flag}");
    }
    assert_eq!(p.read_string("data/a.txt"), "a\n");
}

// ---------------------------------------------------------------------------------------------
// Submodules

/// A second repository that is an mlx project of its own, tracking `s.bin`.
fn sub_project(p: &TestProject) -> std::path::PathBuf {
    let sub = p.temp_dir().join("subproject");
    std::fs::create_dir_all(&sub).unwrap();
    p.git_in(&sub, &["-c", "init.defaultBranch=main", "init", "-q"]);
    p.mlx_in(&sub, &["init", "-q"]).success();
    std::fs::write(sub.join("s.bin"), "sub data\n").unwrap();
    std::fs::create_dir_all(sub.join("sdata")).unwrap();
    std::fs::write(sub.join("sdata/t.bin"), "more sub data\n").unwrap();
    p.mlx_in(&sub, &["add", "-q", "s.bin", "sdata"]).success();
    p.git_in(&sub, &["add", "-A"]);
    p.git_in(&sub, &["commit", "-q", "-m", "sub"]);
    sub
}

#[test]
fn submodules_are_not_entered_by_status_diff_ls_checkout_or_gc() {
    let h = History::new();
    let p = &h.p;
    let sub = sub_project(p);
    p.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.to_str().unwrap(),
        "sub",
    ]);
    p.commit_all("add submodule");
    // The submodule's pointers came along; its data and cache did not.
    assert!(p.path("sub/s.bin.mlx").is_file());
    assert!(!p.exists("sub/s.bin"));
    let st = p.json(&["status"]);
    let paths: Vec<&str> =
        st["paths"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["data", "model.bin"]);
    p.mlx(&["status", "--check"]).success();
    let v = p.json(&["ls"]);
    assert_eq!(v["entries"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(p.json(&["diff"])["changes"], json!([]));
    assert_eq!(p.json(&["diff", "v2", "HEAD"])["changes"], json!([]));
    assert_eq!(p.json(&["ls", "--rev", "HEAD"])["entries"].as_array().unwrap().len(), 2);
    let sub_before = tree(&p.path("sub"));
    let a = p.mlx(&["checkout"]).success();
    assert_eq!(stderr(&a), "workspace already matches the pointers\n");
    p.mlx(&["checkout", "--rev", "v1"]).success();
    p.mlx(&["checkout", "-q"]).success();
    assert_eq!(tree(&p.path("sub")), sub_before);
    let objects = p.objects();
    // v1's manifest and the two files only v1 had are kept by the tag and the history only.
    for (flag, removed) in [("--all-commits", 0), ("--all-tags", 0), ("--all-branches", 3)] {
        let v = p.json(&["gc", flag, "--dry-run"]);
        assert_eq!(v["unknown_manifests"], json!([]), "{flag}");
        assert_eq!(v["removed_objects"], removed, "{flag}");
    }
    let v = p.json(&["gc"]);
    assert_eq!(v["unknown_manifests"], json!([]));
    assert_eq!(v["removed_objects"], 3);
    assert_eq!(p.objects().len(), objects.len() - 3);
    p.mlx(&["status", "--check"]).success();
    // The submodule itself is still a working mlx project of its own.
    let subdir = p.path("sub");
    p.mlx_in(&subdir, &["init", "-q"]).success();
    let st = serde_json::from_slice::<serde_json::Value>(
        &p.mlx_in(&subdir, &["status", "--json"]).success().get_output().stdout,
    )
    .unwrap();
    let paths: Vec<&str> =
        st["paths"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["s.bin", "sdata"]);
}

#[test]
fn a_nested_repository_with_pointers_is_not_entered_either() {
    let h = History::new();
    let p = &h.p;
    // Not registered as a submodule: just a clone inside the work tree (git ignores it too).
    let sub = sub_project(p);
    p.git(&["clone", "-q", sub.to_str().unwrap(), "vendor/nested"]);
    let paths: Vec<String> = p.json(&["status"])["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["data", "model.bin"]);
    p.mlx(&["checkout", "-q"]).success();
    assert!(!p.exists("vendor/nested/s.bin"));
}
