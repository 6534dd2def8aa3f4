//! `mlx install-hooks` and the hooks it installs, driven by real `git checkout`, `git switch`,
//! `git merge`, `git commit` and `git push` (to a local bare remote); and the merge driver for
//! pointers and `mlx.lock`. Every git command that runs a hook gets `MLX_BIN` set to the mlx
//! under test (`TestProject::git_hooked`), so the hooks never depend on what is on PATH.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::content::{A_V1, A_V2, B, C, MODEL};
use crate::support::{History, TestProject, mlx_bin, stderr, tree};

const HOOKS: [&str; 4] = ["post-checkout", "post-merge", "pre-commit", "pre-push"];
const MARKER: &str = "# mlx-hook: installed by `mlx install-hooks`";

fn write_hook(dir: &Path, name: &str, body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// `mlx install-hooks --json` (or `--uninstall`): hook name → change.
fn hook_changes(p: &TestProject, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["install-hooks"];
    all.extend_from_slice(args);
    let v = p.json(&all);
    let mut changes = serde_json::Map::new();
    for h in v["hooks"].as_array().unwrap() {
        changes.insert(h["name"].as_str().unwrap().to_owned(), h["change"].clone());
    }
    serde_json::Value::Object(changes)
}

/// `commit_all`, with the hooks calling the mlx under test.
fn commit_hooked(p: &TestProject, msg: &str) {
    p.git(&["add", "-A"]);
    p.git_hooked(&["commit", "-q", "-m", msg]);
}

/// The history, with hooks installed and `.gitattributes` committed.
fn hooked_history() -> History {
    let h = History::new();
    h.p.mlx(&["install-hooks", "-q"]).success();
    h.p.git_hooked(&["add", ".gitattributes"]);
    h.p.git_hooked(&["commit", "-q", "-m", "merge driver"]);
    h
}

// ---------------------------------------------------------------------------------------------
// install-hooks

#[test]
fn install_hooks_writes_four_hooks_and_the_merge_driver() {
    let h = History::new();
    let p = &h.p;
    let a = p.mlx(&["install-hooks"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    post-checkout  installed
    post-merge     installed
    pre-commit     installed
    pre-push       installed
    --- stderr
    hooks folder: [ROOT]/.git/hooks
    hint: commit the merge driver's attributes: git add .gitattributes
    ");
    for name in HOOKS {
        let path = p.path(".git/hooks").join(name);
        let script = std::fs::read_to_string(&path).unwrap();
        assert!(script.starts_with("#!/bin/sh\n"), "{name}");
        assert!(script.contains(MARKER), "{name}");
        assert!(script.contains(&format!("hook {name} \"$@\"")), "{name}");
        // The fallback is the binary that installed the hooks.
        assert!(script.contains(&format!("mlx='{}'", mlx_bin())), "{name}: {script}");
        assert_eq!(p.mode(&path) & 0o111, 0o111, "{name} is executable");
    }
    assert_eq!(p.read_string(".gitattributes"), "mlx.lock merge=mlx\n*.mlx merge=mlx\n");
    assert_eq!(
        p.git(&["config", "--local", "merge.mlx.driver"]).trim(),
        format!("'{}' hook merge %O %A %B %P", mlx_bin())
    );
    assert!(!p.git(&["config", "--local", "merge.mlx.name"]).trim().is_empty());
    // git sees the attribute.
    assert_eq!(p.git(&["check-attr", "merge", "data.mlx"]).trim(), "data.mlx: merge: mlx");
    assert_eq!(p.git(&["check-attr", "merge", "mlx.lock"]).trim(), "mlx.lock: merge: mlx");
}

#[test]
fn install_hooks_twice_changes_nothing() {
    let h = History::new();
    let p = &h.p;
    p.write(".gitattributes", "*.bin binary\n");
    p.mlx(&["install-hooks"]).success();
    let hooks_before = tree(&p.path(".git/hooks"));
    let attributes = p.read(".gitattributes");
    let config = p.read(".git/config");
    let v = p.json(&["install-hooks"]);
    assert_eq!(v["gitattributes_changed"], false);
    assert_eq!(v["hooks_dir"], p.path(".git/hooks").display().to_string());
    let changes: Vec<&str> =
        v["hooks"].as_array().unwrap().iter().map(|h| h["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["unchanged"; 4]);
    let a = p.mlx(&["install-hooks"]).success();
    assert!(!stderr(&a).contains("hint"), "{}", stderr(&a));
    assert_eq!(tree(&p.path(".git/hooks")), hooks_before);
    assert_eq!(p.read(".gitattributes"), attributes);
    assert_eq!(text(&attributes), "*.bin binary\nmlx.lock merge=mlx\n*.mlx merge=mlx\n");
    assert_eq!(p.read(".git/config"), config);
    assert!(!p.exists(".git/hooks/pre-commit.pre-mlx"), "our own hook is never chained");
}

#[test]
fn install_hooks_chains_an_existing_hook_which_runs_first_with_the_same_args() {
    let h = History::new();
    let p = &h.p;
    let log = p.temp_dir().join("post-checkout.log");
    let original = write_hook(
        &p.path(".git/hooks"),
        "post-checkout",
        &format!(
            "echo \"$@\" > {log}\nif [ -e data/b.txt ]; then echo b-present; else echo b-absent; fi >> {log}",
            log = log.display()
        ),
    );
    let original_text = std::fs::read(&original).unwrap();
    let changes = hook_changes(p, &[]);
    assert_eq!(
        changes,
        json!({"post-checkout": "chained", "post-merge": "installed", "pre-commit": "installed",
               "pre-push": "installed"})
    );
    assert_eq!(std::fs::read(p.path(".git/hooks/post-checkout.pre-mlx")).unwrap(), original_text);
    p.git_hooked(&["checkout", "-q", "v1"]);
    // The old hook got git's arguments and ran before mlx changed the data ...
    assert_eq!(std::fs::read_to_string(&log).unwrap(), format!("{} {} 1\nb-absent\n", h.v2, h.v1));
    // ... and mlx then did.
    assert_eq!(p.read_string("data/b.txt"), B);
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn a_failing_chained_hook_blocks_the_git_operation() {
    let h = History::new();
    let p = &h.p;
    let flag = p.temp_dir().join("refuse");
    write_hook(
        &p.path(".git/hooks"),
        "pre-commit",
        &format!("if [ -e {} ]; then echo 'their hook says no' >&2; exit 7; fi", flag.display()),
    );
    p.mlx(&["install-hooks", "-q"]).success();
    std::fs::write(&flag, "").unwrap();
    let head = p.rev_parse("HEAD");
    let out = p.git_output(&["commit", "-q", "--allow-empty", "-m", "refused"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("their hook says no"), "{}", text(&out.stderr));
    assert_eq!(p.rev_parse("HEAD"), head);
    std::fs::remove_file(&flag).unwrap();
    p.git_hooked(&["commit", "-q", "--allow-empty", "-m", "allowed"]);
    assert_ne!(p.rev_parse("HEAD"), head);
}

#[test]
fn install_hooks_refuses_when_both_a_hook_and_a_chained_copy_exist() {
    let h = History::new();
    let p = &h.p;
    let hooks = p.path(".git/hooks");
    write_hook(&hooks, "pre-commit", "exit 0");
    write_hook(&hooks, "pre-commit.pre-mlx", "exit 0");
    let a = p.mlx(&["install-hooks"]).failure();
    assert!(stderr(&a).contains("pre-commit.pre-mlx"), "{}", stderr(&a));
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit")).unwrap(), "#!/bin/sh\nexit 0\n");
}

#[test]
fn install_hooks_respects_a_relative_core_hooks_path() {
    let h = History::new();
    let p = &h.p;
    p.git(&["config", "core.hooksPath", ".githooks"]);
    let v = p.json(&["install-hooks"]);
    assert_eq!(v["hooks_dir"], p.path(".githooks").display().to_string());
    for name in HOOKS {
        assert!(p.path(".githooks").join(name).is_file(), "{name}");
        assert!(!p.path(".git/hooks").join(name).exists(), "{name}");
    }
    // git runs them from there.
    p.git_hooked(&["checkout", "-q", "v1"]);
    assert_eq!(p.read_string("data/a.txt"), A_V1);
    // A hook already in core.hooksPath is chained there.
    p.mlx(&["install-hooks", "--uninstall", "-q"]).success();
    write_hook(&p.path(".githooks"), "post-merge", "exit 0");
    assert_eq!(hook_changes(p, &[])["post-merge"], "chained");
    assert!(p.path(".githooks/post-merge.pre-mlx").is_file());
}

#[test]
fn install_hooks_respects_an_absolute_core_hooks_path() {
    let h = History::new();
    let p = &h.p;
    let dir = p.temp_dir().join("shared-hooks");
    p.git(&["config", "core.hooksPath", dir.to_str().unwrap()]);
    let v = p.json(&["install-hooks"]);
    assert_eq!(v["hooks_dir"], dir.display().to_string());
    for name in HOOKS {
        assert!(dir.join(name).is_file(), "{name}");
    }
    assert!(!p.path(".git/hooks/post-checkout").exists());
    p.git_hooked(&["switch", "-q", "--detach", "v1"]);
    assert_eq!(p.read_string("data/b.txt"), B);
    let v = p.json(&["install-hooks", "--uninstall"]);
    assert_eq!(v["hooks_dir"], dir.display().to_string());
    assert!(HOOKS.iter().all(|n| !dir.join(n).exists()));
}

#[test]
fn uninstall_restores_previous_hooks_and_removes_the_merge_driver() {
    let h = History::new();
    let p = &h.p;
    let hooks = p.path(".git/hooks");
    let theirs = write_hook(&hooks, "pre-commit", "echo theirs");
    let theirs_text = std::fs::read(&theirs).unwrap();
    p.write(".gitattributes", "*.bin binary\n");
    p.mlx(&["install-hooks", "-q"]).success();
    let v = p.json(&["install-hooks", "--uninstall"]);
    assert_eq!(v["gitattributes_changed"], true);
    let changes = hook_changes(p, &["--uninstall"]);
    assert_eq!(
        changes,
        json!({"post-checkout": "absent", "post-merge": "absent",
                               "pre-commit": "absent", "pre-push": "absent"})
    );
    let changes: Vec<(&str, &str)> = v["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["name"].as_str().unwrap(), h["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [
            ("post-checkout", "removed"),
            ("post-merge", "removed"),
            ("pre-commit", "restored"),
            ("pre-push", "removed")
        ]
    );
    assert_eq!(std::fs::read(&theirs).unwrap(), theirs_text);
    assert_eq!(p.mode(&theirs) & 0o111, 0o111);
    assert!(!hooks.join("pre-commit.pre-mlx").exists());
    for name in ["post-checkout", "post-merge", "pre-push"] {
        assert!(!hooks.join(name).exists(), "{name}");
    }
    // Only our attribute lines go; the file stays for the user's own line.
    assert_eq!(p.read_string(".gitattributes"), "*.bin binary\n");
    for key in ["merge.mlx.driver", "merge.mlx.name"] {
        let out = p.git_output(&["config", "--local", "--get", key]);
        assert_eq!(out.status.code(), Some(1), "{key} is still set: {}", text(&out.stdout));
    }
    // After uninstalling, git checkout no longer moves the data.
    p.git(&["checkout", "-q", "v1"]);
    assert_eq!(p.read_string("data/a.txt"), A_V2);
}

#[test]
fn uninstall_removes_a_gitattributes_file_that_only_had_our_lines() {
    let h = History::new();
    let p = &h.p;
    p.mlx(&["install-hooks", "-q"]).success();
    assert!(p.exists(".gitattributes"));
    p.mlx(&["install-hooks", "--uninstall"]).success();
    assert!(!p.exists(".gitattributes"));
    assert_eq!(p.git_status(), "");
}

// ---------------------------------------------------------------------------------------------
// The hooks, run by git

#[test]
fn post_checkout_makes_the_data_follow_git_checkout_and_switch() {
    let h = hooked_history();
    let p = &h.p;
    let out = p.git_output(&["checkout", "-q", "v1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("mlx: updated tracked data (6 files) to match the checkout"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(p.rev_parse("HEAD"), h.v1);
    assert_eq!(p.read_string("data/a.txt"), A_V1);
    assert_eq!(p.read_string("data/b.txt"), B);
    assert!(!p.exists("data/c.txt"));
    p.mlx(&["status", "--check"]).success();
    p.git_hooked(&["switch", "-q", "main"]);
    assert_eq!(p.read_string("data/a.txt"), A_V2);
    assert_eq!(p.read_string("data/c.txt"), C);
    assert!(!p.exists("data/b.txt"));
    p.mlx(&["status", "--check"]).success();
    // Checking out just the pointer file (git passes flag 0) moves the data too.
    p.git_hooked(&["checkout", "v1", "--", "data.mlx"]);
    assert_eq!(p.read_string("data/a.txt"), A_V1);
    p.git_hooked(&["checkout", "HEAD", "--", "data.mlx"]);
    assert_eq!(p.read_string("data/a.txt"), A_V2);
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn post_checkout_keeps_unsaved_edits_and_warns() {
    let h = hooked_history();
    let p = &h.p;
    p.write("data/c.txt", "unsaved\n");
    let out = p.git_output(&["checkout", "-q", "v1"]);
    // git has moved; the hook's failure is its exit status, the data is left alone.
    assert_eq!(p.rev_parse("HEAD"), h.v1);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("mlx left some tracked data as it was"), "{err}");
    assert!(err.contains("data/c.txt"), "{err}");
    assert_eq!(p.read_string("data/c.txt"), "unsaved\n");
    assert_eq!(p.read_string("data/a.txt"), A_V2);
}

#[test]
fn post_merge_makes_the_data_follow_a_merge() {
    let h = hooked_history();
    let p = &h.p;
    p.git_hooked(&["switch", "-q", "-c", "more"]);
    p.write("data/d.txt", "delta\n");
    p.write("model.bin", "model v2\n");
    p.mlx(&["add", "-q", "data", "model.bin"]).success();
    commit_hooked(p, "more data");
    p.git_hooked(&["switch", "-q", "main"]);
    assert!(!p.exists("data/d.txt"));
    assert_eq!(p.read_string("model.bin"), MODEL);
    // A fast-forward merge runs post-merge, not post-checkout.
    let out = p.git_output(&["merge", "-q", "--ff-only", "more"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("mlx: updated tracked data"), "{}", text(&out.stderr));
    assert_eq!(p.read_string("data/d.txt"), "delta\n");
    assert_eq!(p.read_string("model.bin"), "model v2\n");
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn pre_commit_refuses_modified_data_and_allows_missing_data() {
    let h = hooked_history();
    let p = &h.p;
    let head = p.rev_parse("HEAD");
    p.write("data/a.txt", "edited, not added\n");
    p.write("notes.txt", "code change\n");
    p.git(&["add", "notes.txt"]);
    let out = p.git_output(&["commit", "-q", "-m", "refused"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error: tracked data changed but its pointer was not updated:"), "{err}");
    assert!(err.contains("  data\n"), "{err}");
    assert!(err.contains("mlx add data"), "{err}");
    assert_eq!(p.rev_parse("HEAD"), head);
    // --no-verify skips hooks, as git always allows.
    let out = p.git_output(&["commit", "-q", "--no-verify", "--dry-run", "-m", "x"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Recorded: allowed.
    p.mlx(&["add", "-q", "data"]).success();
    p.git(&["add", "data.mlx"]);
    p.git_hooked(&["commit", "-q", "-m", "allowed"]);
    assert_ne!(p.rev_parse("HEAD"), head);
    // Missing data (never checked out, or deleted whole) does not block a commit.
    p.remove("model.bin");
    p.remove("data");
    assert_eq!(p.json(&["status"])["paths"][0]["state"], "missing");
    p.write("notes.txt", "more code\n");
    p.git(&["add", "notes.txt"]);
    let out = p.git_output(&["commit", "-q", "-m", "missing is fine"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn pre_commit_warns_about_pointers_the_commit_leaves_out_issue_12() {
    let h = hooked_history();
    let p = &h.p;
    p.write("extra/e.txt", "e\n");
    p.mlx(&["add", "-q", "extra"]).success();
    p.write("notes.txt", "code\n");
    p.git(&["add", "notes.txt"]);
    let out = p.git_output(&["commit", "-q", "-m", "code only"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("warning: extra.mlx is not in git: this commit leaves it out\n"), "{err}");
    assert!(err.contains("hint: git add extra.mlx\n"), "{err}");
    // Staged: nothing to say.
    p.git(&["add", "extra.mlx", ".gitignore"]);
    let out = p.git_output(&["commit", "-q", "-m", "data"]);
    assert!(out.status.success());
    assert!(!text(&out.stderr).contains("warning"), "{}", text(&out.stderr));
}

#[test]
fn pre_push_to_a_bare_remote_succeeds_and_changes_nothing() {
    let h = hooked_history();
    let p = &h.p;
    let remote = p.temp_dir().join("remote.git");
    p.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    p.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let before = (tree(&p.path("data")), p.objects());
    let out = p.git_output(&["push", "-q", "origin", "main", "v1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert_eq!((tree(&p.path("data")), p.objects()), before);
    let remote_main = p.git(&["ls-remote", "origin", "refs/heads/main"]);
    assert!(remote_main.starts_with(&p.rev_parse("HEAD")), "{remote_main}");
}

#[test]
fn pre_push_chains_with_the_same_arguments_and_stdin_and_its_failure_blocks() {
    let h = History::new();
    let p = &h.p;
    let remote = p.temp_dir().join("remote.git");
    let url = remote.to_str().unwrap();
    p.git(&["init", "-q", "--bare", url]);
    p.git(&["remote", "add", "origin", url]);
    let log = p.temp_dir().join("pre-push.log");
    let flag = p.temp_dir().join("refuse");
    write_hook(
        &p.path(".git/hooks"),
        "pre-push",
        &format!(
            "echo \"args: $*\" > {log}\ncat >> {log}\nif [ -e {flag} ]; then echo 'no pushing' >&2; exit 3; fi",
            log = log.display(),
            flag = flag.display()
        ),
    );
    assert_eq!(hook_changes(p, &[])["pre-push"], "chained");
    p.git_hooked(&["push", "-q", "origin", "main"]);
    let zero = "0".repeat(40);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("args: origin {url}\nrefs/heads/main {} refs/heads/main {zero}\n", h.v2)
    );
    // Nothing to push: git runs the hook with empty input, and the chained hook gets exactly
    // that (not a blank line).
    p.git_hooked(&["push", "-q", "origin", "main"]);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), format!("args: origin {url}\n"));
    // Refused by the chained hook: git does not push.
    std::fs::write(&flag, "").unwrap();
    let out = p.git_output(&["push", "-q", "origin", "feature"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no pushing"), "{}", text(&out.stderr));
    assert_eq!(p.git(&["ls-remote", "origin", "refs/heads/feature"]), "");
}

#[test]
fn hooks_fall_back_to_the_installing_binary_when_mlx_bin_names_nothing() {
    let h = hooked_history();
    let p = &h.p;
    let out = p
        .git_cmd_in(p.root())
        .env("MLX_BIN", "mlx-that-is-not-installed-anywhere")
        .args(["checkout", "-q", "v1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(p.read_string("data/b.txt"), B);
}

// ---------------------------------------------------------------------------------------------
// The merge driver

/// A history with hooks installed and a branch point `base`; `ours` is main, `theirs` is a
/// branch. Each closure changes the workspace (the tests `mlx add` / write as needed).
fn diverge(h: &History, theirs: impl FnOnce(&TestProject), ours: impl FnOnce(&TestProject)) {
    let p = &h.p;
    p.git_hooked(&["switch", "-q", "-c", "theirs"]);
    theirs(p);
    commit_hooked(p, "theirs");
    p.git_hooked(&["switch", "-q", "main"]);
    ours(p);
    commit_hooked(p, "ours");
}

#[test]
fn merge_of_different_files_added_to_one_directory_is_clean() {
    let h = hooked_history();
    diverge(
        &h,
        |p| {
            p.write("data/theirs.txt", "from the branch\n");
            p.mlx(&["add", "-q", "data"]).success();
        },
        |p| {
            p.write("data/ours.txt", "from main\n");
            p.write("data/a.txt", "alpha, ours\n");
            p.mlx(&["add", "-q", "data"]).success();
        },
    );
    let p = &h.p;
    assert!(!p.exists("data/theirs.txt"));
    let out = p.git_output(&["merge", "--no-edit", "theirs"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(p.git_status(), "");
    // The merged pointer lists both sides' files ...
    let v = p.json(&["ls", "data"]);
    let paths: Vec<&str> =
        v["entries"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["data/a.txt", "data/c.txt", "data/moved/x.bin", "data/ours.txt", "data/theirs.txt"]
    );
    assert_eq!(p.pointer("data")["files"].as_integer(), Some(5));
    // ... and post-merge checked it out.
    assert_eq!(p.read_string("data/theirs.txt"), "from the branch\n");
    assert_eq!(p.read_string("data/ours.txt"), "from main\n");
    assert_eq!(p.read_string("data/a.txt"), "alpha, ours\n");
    p.mlx(&["status", "--check"]).success();
    // The merged manifest is in the cache.
    assert!(p.has_object(&p.pointer_hash("data")));
}

#[test]
fn merge_of_one_file_changed_differently_on_both_sides_conflicts() {
    let h = hooked_history();
    diverge(
        &h,
        |p| {
            p.write("data/a.txt", "theirs\n");
            p.mlx(&["add", "-q", "data"]).success();
        },
        |p| {
            p.write("data/a.txt", "ours\n");
            p.write("data/new.txt", "fine on its own\n");
            p.mlx(&["add", "-q", "data"]).success();
        },
    );
    let p = &h.p;
    let ours = p.read("data.mlx");
    let out = p.git_output(&["merge", "--no-edit", "theirs"]);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("CONFLICT (content): Merge conflict in data.mlx"), "{all}");
    let err = text(&out.stderr);
    assert!(err.contains("mlx: data.mlx: changed differently on both sides:"), "{err}");
    assert!(err.contains("  data/a.txt\n"), "{err}");
    assert!(!err.contains("data/new.txt"), "{err}");
    assert_eq!(p.git_status(), "UU data.mlx\n");
    // Our version is kept, as valid TOML (no conflict markers).
    assert_eq!(p.read("data.mlx"), ours);
    assert_eq!(p.read_string("data/a.txt"), "ours\n");
}

#[test]
fn merge_of_a_tracked_file_changed_on_both_sides_conflicts() {
    let h = hooked_history();
    diverge(
        &h,
        |p| {
            p.write("model.bin", "model, theirs\n");
            p.mlx(&["add", "-q", "model.bin"]).success();
        },
        |p| {
            p.write("model.bin", "model, ours\n");
            p.mlx(&["add", "-q", "model.bin"]).success();
        },
    );
    let p = &h.p;
    let out = p.git_output(&["merge", "--no-edit", "theirs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("model.bin.mlx"), "{err}");
    assert!(err.contains("both sides changed the same tracked file"), "{err}");
    assert_eq!(p.git_status(), "UU model.bin.mlx\n");
    // Picking a side the documented way works.
    p.git_hooked(&["checkout", "--theirs", "model.bin.mlx"]);
    p.mlx(&["checkout", "model.bin"]).success();
    assert_eq!(p.read_string("model.bin"), "model, theirs\n");
}

/// A real `mlx.lock` (outputs not cached, so the hooks have nothing to check out). `PREP` and
/// `TRAIN` stand for each stage's output hash; tests put 64-hex-digit values in their place.
const LOCK_BASE: &str = "# mlx.lock: written by `mlx run`; commit it with the code.\n\
[stages.prepare]\ncmd = [\"python prepare.py\"]\n\n\
[[stages.prepare.outs]]\npath = \"data/clean\"\nhash = \"PREP\"\nsize = 1\ncache = false\n\n\
[stages.train]\ncmd = [\"python train.py\"]\n\n\
[[stages.train.outs]]\npath = \"model.bin\"\nhash = \"TRAIN\"\nsize = 1\ncache = false\n";

fn hex(digit: char) -> String {
    digit.to_string().repeat(64)
}

fn lock_with(prep: char, train: char) -> String {
    LOCK_BASE.replace("PREP", &hex(prep)).replace("TRAIN", &hex(train))
}

fn lock_history() -> History {
    let h = hooked_history();
    h.p.write("mlx.lock", lock_with('1', '3'));
    commit_hooked(&h.p, "lock");
    h
}

fn lock(p: &TestProject) -> toml::Table {
    p.read_string("mlx.lock").parse().expect("merged mlx.lock is TOML")
}

fn out_hash<'t>(lock: &'t toml::Table, stage: &str) -> &'t str {
    lock["stages"][stage]["outs"][0]["hash"].as_str().expect("an out hash")
}

#[test]
fn merge_of_mlx_lock_with_different_stages_changed_is_clean() {
    let h = lock_history();
    diverge(
        &h,
        |p| {
            p.write("mlx.lock", lock_with('1', '4'));
        },
        |p| {
            let text = lock_with('2', '3');
            p.write("mlx.lock", format!("{text}\n[stages.eval]\ncmd = [\"python eval.py\"]\n"));
        },
    );
    let p = &h.p;
    let out = p.git_output(&["merge", "--no-edit", "theirs"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(p.git_status(), "");
    let merged = lock(p);
    assert_eq!(out_hash(&merged, "prepare"), hex('2'), "ours changed prepare");
    assert_eq!(out_hash(&merged, "train"), hex('4'), "theirs changed train");
    assert_eq!(merged["stages"]["eval"]["cmd"][0].as_str(), Some("python eval.py"));
    assert!(p.read_string("mlx.lock").starts_with("# mlx.lock: written by `mlx run`"));
}

#[test]
fn merge_of_mlx_lock_with_one_stage_changed_differently_conflicts_naming_it() {
    let h = lock_history();
    diverge(
        &h,
        |p| {
            p.write("mlx.lock", lock_with('5', '4'));
        },
        |p| {
            p.write("mlx.lock", lock_with('5', '6'));
        },
    );
    let p = &h.p;
    let out = p.git_output(&["merge", "--no-edit", "theirs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("mlx: mlx.lock: changed differently on both sides:\n  train\n"), "{err}");
    assert!(!err.contains("  prepare\n"), "changed alike on both sides is no conflict: {err}");
    assert_eq!(p.git_status(), "UU mlx.lock\n");
    // Our version of the stage is kept; the file stays TOML.
    let merged = lock(p);
    assert_eq!(out_hash(&merged, "train"), hex('6'));
    assert_eq!(out_hash(&merged, "prepare"), hex('5'));
}

#[test]
fn merge_driver_keeps_ours_when_a_manifest_is_not_in_the_cache() {
    let h = hooked_history();
    diverge(
        &h,
        |p| {
            p.write("data/theirs.txt", "t\n");
            p.mlx(&["add", "-q", "data"]).success();
        },
        |p| {
            p.write("data/ours.txt", "o\n");
            p.mlx(&["add", "-q", "data"]).success();
        },
    );
    let p = &h.p;
    // As on a clone that never fetched the branch's data.
    let theirs = p.git(&["show", "theirs:data.mlx"]);
    let theirs: toml::Table = theirs.parse().unwrap();
    std::fs::remove_file(p.object_path(theirs["hash"].as_str().unwrap())).unwrap();
    let out = p.git_output(&["merge", "--no-edit", "theirs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("mlx: cannot merge data.mlx: a side's file list is not in the cache"),
        "{err}"
    );
    assert_eq!(p.git_status(), "UU data.mlx\n");
    let stdout_text = text(&out.stdout);
    assert!(stdout_text.contains("CONFLICT"), "{stdout_text}");
}
