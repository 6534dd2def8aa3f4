//! A cloned repository is untrusted input (issue 12). Each test scripts an attacker's repository
//! (pointers, manifests, `mlx.lock`, `mlx.toml`, symlinks committed to git, objects on a shared
//! folder remote), clones it as a victim would and runs what a victim runs (`mlx pull`,
//! `mlx checkout`, `mlx run`). Then it proves that nothing outside the victim's work tree, inside
//! its `.git`, or its `.mlx/config.local.toml` changed: every file there is compared, content,
//! kind and mode, before and after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{TestProject, hash_hex, stderr, tree};

/// The attacker's repository, with a folder remote outside it that the victim will read.
struct Attacker {
    p: TestProject,
    store: PathBuf,
}

/// What a hook an attacker plants would contain.
const HOOK: &[u8] = b"#!/bin/sh\necho owned > /tmp/owned\n";
/// A victim's own local settings, with a credential: must survive every attack.
const VICTIM_LOCAL: &str = "[remotes.storage]\nsecret_access_key = \"victim-secret\"\n";

impl Attacker {
    fn new() -> Self {
        let p = TestProject::initialized();
        let store = p.temp_dir().join("store");
        std::fs::create_dir_all(&store).unwrap();
        p.mlx(&["remote", "add", "storage", store.to_str().unwrap(), "--default"]).success();
        p.commit_all("project");
        Attacker { p, store }
    }

    /// Put `bytes` on the remote as an object; its hash.
    fn object(&self, bytes: &[u8]) -> String {
        let hash = hash_hex(bytes);
        let path = self.store.join(&hash[..2]).join(&hash[2..]);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        hash
    }

    /// A directory manifest with `entries` (given in sorted order) on the remote; its hash,
    /// total size and file count.
    fn manifest(&self, entries: &[Value]) -> (String, u64, u64) {
        let bytes = serde_json::to_vec(&json!({ "mlx_manifest": 1, "entries": entries })).unwrap();
        let files = entries.iter().filter(|e| e.get("hash").is_some()).count() as u64;
        let size = entries.iter().filter_map(|e| e.get("size")?.as_u64()).sum();
        (self.object(&bytes), size, files)
    }

    /// A file entry of a manifest, its object put on the remote.
    fn file_entry(&self, path: &str, content: &[u8], exec: bool) -> Value {
        let mut e = json!({ "path": path, "hash": self.object(content), "size": content.len() });
        if exec {
            e["exec"] = json!(true);
        }
        e
    }

    /// Write the pointer `pointer` (its file name, e.g. `data.mlx`) by hand.
    fn pointer(&self, pointer: &str, kind: &str, hash: &str, size: u64, files: u64) {
        self.p.write(
            pointer,
            format!(
                "mlx = 1\nkind = \"{kind}\"\nhash = \"{hash}\"\nsize = {size}\nfiles = {files}\n"
            ),
        );
    }

    /// A pointer to a directory holding `entries`.
    fn dir_pointer(&self, pointer: &str, entries: &[Value]) {
        let (hash, size, files) = self.manifest(entries);
        self.pointer(pointer, "directory", &hash, size, files);
    }

    /// Declare `stage` in mlx.toml with `outs`.
    fn declare(&self, stage: &str, outs: &[&str]) {
        let outs: Vec<String> = outs.iter().map(|o| format!("{o:?}")).collect();
        let toml = self.p.read_string("mlx.toml");
        let outs = outs.join(", ");
        self.p.write(
            "mlx.toml",
            format!("{toml}\n[stages.{stage}]\ncmd = \"true\"\nouts = [{outs}]\n"),
        );
    }

    /// Record in mlx.lock that `stage` produced `outs`: (path, object, size, file count of a
    /// directory).
    fn lock(&self, stage: &str, outs: &[(&str, &str, u64, Option<u64>)]) {
        let mut text =
            if self.p.exists("mlx.lock") { self.p.read_string("mlx.lock") } else { String::new() };
        text.push_str(&format!("[stages.{stage}]\ncmd = \"true\"\n\n"));
        for (path, hash, size, files) in outs {
            text.push_str(&format!(
                "[[stages.{stage}.outs]]\npath = {path:?}\nhash = \"{hash}\"\nsize = {size}\n"
            ));
            if let Some(n) = files {
                text.push_str(&format!("files = {n}\n"));
            }
            text.push('\n');
        }
        self.p.write("mlx.lock", text);
    }

    /// A committed symlink.
    fn symlink(&self, link: &str, target: &str) {
        let path = self.p.path(link);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }

    /// Commit everything (forcing paths in that a `.gitignore` would hide) and clone it the way a
    /// victim would.
    fn publish(&self) -> Victim {
        self.p.git(&["add", "-A", "--force", "."]);
        self.p.git(&["commit", "-q", "--allow-empty", "-m", "innocent"]);
        let n = std::fs::read_dir(self.p.temp_dir()).unwrap().count();
        let root = self.p.temp_dir().join(format!("victim{n}"));
        self.p.git(&["clone", "-q", self.p.root().to_str().unwrap(), root.to_str().unwrap()]);
        let root = root.canonicalize().unwrap();
        // The victim sets the clone up (this may already refuse a hostile mlx.toml) and keeps a
        // credential in its local settings.
        let _ = self.p.mlx_in(&root, &["init"]);
        std::fs::create_dir_all(root.join(".mlx")).unwrap();
        std::fs::write(root.join(".mlx/config.local.toml"), VICTIM_LOCAL).unwrap();
        std::fs::create_dir_all(self.outside()).unwrap();
        std::fs::write(self.outside().join("keep.txt"), "the victim's file\n").unwrap();
        let before = guarded(self.p.temp_dir(), &root);
        Victim { root, before }
    }

    fn outside(&self) -> PathBuf {
        self.p.outside()
    }

    /// `mlx ARGS` in the victim's clone.
    fn mlx(&self, v: &Victim, args: &[&str]) -> assert_cmd::assert::Assert {
        self.p.mlx_in(&v.root, args)
    }
}

struct Victim {
    root: PathBuf,
    before: BTreeMap<PathBuf, (String, Vec<u8>, u32)>,
}

impl Victim {
    /// Nothing outside the work tree, in `.git` or in `.mlx/config.local.toml` changed.
    fn assert_untouched(&self, base: &Path) {
        let after = guarded(base, &self.root);
        let changed: Vec<&PathBuf> = self
            .before
            .keys()
            .chain(after.keys())
            .filter(|k| self.before.get(*k) != after.get(*k))
            .collect();
        assert!(changed.is_empty(), "the attack changed guarded files: {changed:?}");
        assert!(!Path::new("/tmp/owned").exists() || std::fs::read("/tmp/owned").is_err());
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// Every file mlx must never write for a repository: all of the temp dir except the victim's
/// work tree, plus the work tree's `.git` and `.mlx/config.local.toml`.
fn guarded(base: &Path, victim: &Path) -> BTreeMap<PathBuf, (String, Vec<u8>, u32)> {
    let base = base.canonicalize().unwrap();
    let mut all = tree(&base);
    let rel = victim.strip_prefix(&base).unwrap().to_path_buf();
    all.retain(|path, _| {
        !path.starts_with(&rel)
            || path.starts_with(rel.join(".git"))
            || *path == rel.join(".mlx/config.local.toml")
    });
    all
}

// ---------------------------------------------------------------------------------------------
// mlx.lock: only what mlx.toml declares is restored

#[test]
fn a_lock_entry_of_an_undeclared_stage_restores_nothing() {
    let a = Attacker::new();
    let hooks = json!([a.file_entry("pre-commit", HOOK, true)]);
    let (hash, size, files) = a.manifest(hooks.as_array().unwrap());
    let config = a.object(b"[remotes.storage]\nurl = \"/tmp/attacker\"\n");
    a.lock(
        "pwn",
        &[(".git/hooks", &hash, size, Some(files)), (".mlx/config.local.toml", &config, 35, None)],
    );
    let v = a.publish();
    a.mlx(&v, &["pull"]).success();
    a.mlx(&v, &["checkout", "--force"]).success();
    assert!(!v.path(".git/hooks/pre-commit").exists());
    v.assert_untouched(a.p.temp_dir());
}

#[test]
fn a_declared_stage_may_not_output_into_git_or_mlx() {
    for (out, expected) in [
        (".git/hooks", "git's or mlx's own folder (.git)"),
        (".GIT/hooks", "git's or mlx's own folder (.git)"),
        ("sub/.git/config", "git's or mlx's own folder (.git)"),
        (".mlx/config.local.toml", "git's or mlx's own folder (.mlx)"),
        ("mlx.toml", "is one of the project's own files"),
        ("data.mlx", "ends in .mlx"),
        (".gitignore", "is a file git or mlx read their settings from"),
    ] {
        let a = Attacker::new();
        let hash = a.object(HOOK);
        a.declare("pwn", &[out]);
        a.lock("pwn", &[(out, &hash, HOOK.len() as u64, None)]);
        let v = a.publish();
        for args in [&["pull"][..], &["checkout", "--force"], &["run", "--force"]] {
            let r = a.mlx(&v, args).code(2);
            let err = stderr(&r);
            assert!(err.contains(expected), "{out} with {args:?}: {err}");
            assert!(err.contains("mlx.toml:"), "the error names the line: {err}");
        }
        v.assert_untouched(a.p.temp_dir());
    }
}

#[test]
fn a_declared_output_behind_a_symlink_that_leaves_the_tree_is_refused() {
    let a = Attacker::new();
    let key = b"ssh-ed25519 AAAA attacker\n";
    let hash = a.object(key);
    a.symlink("evil", a.outside().to_str().unwrap());
    a.symlink("d/x", "../evil");
    for (stage, out) in [("a", "evil/authorized_keys"), ("b", "d/x/authorized_keys")] {
        a.declare(stage, &[out]);
        a.lock(stage, &[(out, &hash, key.len() as u64, None)]);
    }
    let v = a.publish();
    let r = a.mlx(&v, &["pull"]).code(2);
    assert!(stderr(&r).contains("which is outside the project"), "{}", stderr(&r));
    a.mlx(&v, &["checkout", "--force"]).code(2);
    // Running the stage is refused before its command runs.
    let r = a.mlx(&v, &["run", "--force"]).code(2);
    assert!(stderr(&r).contains("outside the project"), "{}", stderr(&r));
    assert!(!a.outside().join("authorized_keys").exists());
    v.assert_untouched(a.p.temp_dir());
}

#[test]
fn a_declared_output_that_is_a_symlink_into_git_is_refused() {
    let a = Attacker::new();
    let hooks = json!([a.file_entry("pre-commit", HOOK, true)]);
    let (hash, size, files) = a.manifest(hooks.as_array().unwrap());
    a.symlink("hooks", ".git/hooks");
    a.declare("s", &["hooks"]);
    a.lock("s", &[("hooks", &hash, size, Some(files))]);
    let v = a.publish();
    for args in [&["pull"][..], &["checkout", "--force"]] {
        let r = a.mlx(&v, args).code(2);
        assert!(
            stderr(&r).contains("refusing to write through hooks: it is a symlink into git's or mlx's own folder (.git)"),
            "{}",
            stderr(&r)
        );
    }
    assert!(std::fs::symlink_metadata(v.path("hooks")).unwrap().file_type().is_symlink());
    v.assert_untouched(a.p.temp_dir());
}

// ---------------------------------------------------------------------------------------------
// Pointers

#[test]
fn pointers_naming_git_or_mlx_are_refused_in_every_spelling() {
    for name in [".git", ".mlx", ".GIT", ".Mlx", ".g\u{200c}it", "\u{feff}.git", ".git.", "GIT~1"] {
        let a = Attacker::new();
        let hash = a.object(b"[core]\n\tbare = true\n");
        a.dir_pointer(
            &format!("{name}.mlx"),
            &[json!({ "path": "config", "hash": hash, "size": 21 })],
        );
        let v = a.publish();
        for args in [&["pull"][..], &["checkout", "--force"], &["status"]] {
            let r = a.mlx(&v, args).code(2);
            assert!(
                stderr(&r).contains("git's or mlx's own folder"),
                "{name:?} {args:?}: {}",
                stderr(&r)
            );
        }
        v.assert_untouched(a.p.temp_dir());
        assert!(
            std::process::Command::new("git")
                .args(["-C", v.root.to_str().unwrap(), "status", "--porcelain"])
                .output()
                .unwrap()
                .status
                .success(),
            "{name:?}: the clone is no longer a git repository"
        );
    }
}

#[test]
fn a_pointer_inside_git_committed_under_a_look_alike_name_writes_only_in_the_tree() {
    // Cyrillic і: a different name on every filesystem, so writing it is harmless.
    let a = Attacker::new();
    a.dir_pointer(".gіt.mlx", &[a.file_entry("hooks/pre-commit", HOOK, true)]);
    let v = a.publish();
    a.mlx(&v, &["pull"]).success();
    assert_eq!(std::fs::read(v.path(".gіt/hooks/pre-commit")).unwrap(), HOOK);
    assert!(!v.path(".git/hooks/pre-commit").exists());
    v.assert_untouched(a.p.temp_dir());
}

#[test]
fn manifest_entries_in_git_or_through_their_own_symlinks_are_refused() {
    type Entries = fn(&Attacker) -> Vec<Value>;
    let cases: [(&str, Entries); 5] = [
        ("own folder (.git)", |a| vec![a.file_entry(".git/hooks/pre-commit", HOOK, true)]),
        ("own folder (.git)", |a| vec![a.file_entry("sub/.GIT/config", b"x", false)]),
        ("lies below the entry x", |a| {
            vec![
                json!({ "path": "x", "symlink": "../evil" }),
                a.file_entry("x/.ssh/authorized_keys", b"key", false),
            ]
        }),
        ("lies below the entry f", |a| {
            vec![a.file_entry("f", b"a file", false), a.file_entry("f/g", b"key", false)]
        }),
        ("lies below the entry e", |a| {
            vec![json!({ "path": "e", "dir": true }), a.file_entry("e/k", b"key", false)]
        }),
    ];
    for (expected, entries) in cases {
        let a = Attacker::new();
        a.symlink("evil", a.outside().to_str().unwrap());
        a.dir_pointer("d.mlx", &entries(&a));
        let v = a.publish();
        let r = a.mlx(&v, &["pull"]).code(2);
        assert!(stderr(&r).contains(expected), "{expected}: {}", stderr(&r));
        v.assert_untouched(a.p.temp_dir());
    }
}

#[test]
fn committed_symlinks_cannot_carry_declared_outputs_outside() {
    // evil -> /outside, d -> evil, up -> ..: outputs below them would land outside the tree.
    let a = Attacker::new();
    a.symlink("evil", a.outside().to_str().unwrap());
    a.symlink("d", "evil");
    a.symlink("up", "..");
    let key = b"ssh-ed25519 AAAA attacker\n";
    let hash = a.object(key);
    let n = key.len() as u64;
    a.declare("s", &["d/authorized_keys", "up/victim-file"]);
    a.lock("s", &[("d/authorized_keys", &hash, n, None), ("up/victim-file", &hash, n, None)]);
    let v = a.publish();
    let r = a.mlx(&v, &["pull"]).code(2);
    assert!(stderr(&r).contains("outside the project"), "{}", stderr(&r));
    a.mlx(&v, &["checkout", "--force", "d/authorized_keys"]).code(2);
    a.mlx(&v, &["checkout", "--force", "up/victim-file"]).code(2);
    a.mlx(&v, &["run", "--force"]).code(2);
    assert!(!a.outside().join("authorized_keys").exists());
    v.assert_untouched(a.p.temp_dir());
}

#[test]
fn a_hardlink_in_the_victims_tree_is_replaced_not_written_through() {
    let a = Attacker::new();
    let hash = a.object(b"attacker's bytes\n");
    a.pointer("notes.txt.mlx", "file", &hash, 17, 1);
    let v = a.publish();
    // The victim's notes.txt is a hardlink to a file of theirs outside the project.
    let precious = a.outside().join("keep.txt");
    std::fs::hard_link(&precious, v.path("notes.txt")).unwrap();
    a.mlx(&v, &["pull", "--force"]).success();
    assert_eq!(std::fs::read(v.path("notes.txt")).unwrap(), b"attacker's bytes\n");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "the victim's file\n");
    v.assert_untouched(a.p.temp_dir());
}

#[test]
fn very_long_names_fail_cleanly() {
    let a = Attacker::new();
    let long_name = "n".repeat(300);
    let deep: String = (0..200).map(|i| format!("d{i:03}/")).collect::<String>() + "f";
    a.dir_pointer(
        "d.mlx",
        &[a.file_entry(&deep, b"deep", false), a.file_entry(&long_name, b"long", false)],
    );
    let v = a.publish();
    let r = a.mlx(&v, &["pull"]).failure();
    let err = stderr(&r);
    assert!(err.contains("File name too long") || err.contains("name too long"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    v.assert_untouched(a.p.temp_dir());
}

#[test]
fn a_pointer_whose_size_lies_is_refused() {
    let a = Attacker::new();
    let hash = a.object(b"twelve bytes");
    a.pointer("model.bin.mlx", "file", &hash, 3, 1);
    let (dir, _, _) = a.manifest(&[a.file_entry("a.txt", b"abc", false)]);
    a.pointer("data.mlx", "directory", &dir, 3, 7);
    let v = a.publish();
    let r = a.mlx(&v, &["pull"]).code(2);
    let err = stderr(&r);
    assert!(
        err.contains("data.mlx: it says 3 bytes in 7 files, but its data has 3 bytes in 1 files"),
        "{err}"
    );
    let r = a.mlx(&v, &["checkout", "model.bin"]).code(2);
    assert!(
        stderr(&r).contains("model.bin.mlx: it says 3 bytes in 1 files, but its data has 12 bytes"),
        "{}",
        stderr(&r)
    );
    v.assert_untouched(a.p.temp_dir());
}

// ---------------------------------------------------------------------------------------------
// mlx.toml and params

#[test]
fn a_committed_cache_dir_is_refused() {
    let a = Attacker::new();
    let target = a.outside().join("cache");
    let toml = a.p.read_string("mlx.toml");
    assert!(toml.contains("[cache]\n"));
    a.p.write(
        "mlx.toml",
        toml.replacen("[cache]\n", &format!("[cache]\ndir = \"{}\"\n", target.display()), 1),
    );
    let v = a.publish();
    for args in [&["pull"][..], &["status"], &["add", "mlx.toml"]] {
        let r = a.mlx(&v, args).code(2);
        assert!(stderr(&r).contains("[cache] dir is a per-clone setting"), "{}", stderr(&r));
        assert!(stderr(&r).contains(".mlx/config.local.toml"), "{}", stderr(&r));
    }
    assert!(!target.exists());
    v.assert_untouched(a.p.temp_dir());
}

#[test]
fn set_on_a_params_file_linked_outside_is_refused_and_a_link_inside_is_kept() {
    let a = Attacker::new();
    std::fs::create_dir_all(a.outside()).unwrap();
    a.symlink("params.yaml", &format!("{}/params.yaml", a.outside().display()));
    a.p.write("conf/inner.yaml", "train:\n  lr: 0.1\n");
    a.symlink("inner.yaml", "conf/inner.yaml");
    a.p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.a]\ncmd = \"cat params.yaml > a.txt\"\nparams = [\"params.yaml:train.lr\"]\nouts = [\"a.txt\"]\n\n[stages.b]\ncmd = \"cat inner.yaml > b.txt\"\nparams = [\"inner.yaml:train.lr\"]\nouts = [\"b.txt\"]\n",
            a.p.read_string("mlx.toml")
        ),
    );
    let v = a.publish();
    std::fs::write(a.outside().join("params.yaml"), "train:\n  lr: 0.5\n").unwrap();
    let before = guarded(a.p.temp_dir(), &v.root);
    let r = a.mlx(&v, &["run", "a", "--set", "params.yaml:train.lr=9"]).code(2);
    assert!(stderr(&r).contains("outside the project"), "{}", stderr(&r));
    assert_eq!(guarded(a.p.temp_dir(), &v.root), before);
    // A link that stays inside keeps being a link; the file it names gets the value for the run.
    a.mlx(&v, &["run", "b", "--set", "inner.yaml:train.lr=0.7"]).success();
    assert_eq!(std::fs::read_to_string(v.path("b.txt")).unwrap(), "train:\n  lr: 0.7\n");
    assert!(std::fs::symlink_metadata(v.path("inner.yaml")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(v.path("conf/inner.yaml")).unwrap(), "train:\n  lr: 0.1\n");
}

#[test]
fn stage_outputs_over_tracked_data_or_git_files_are_refused_before_running() {
    let p = TestProject::initialized();
    p.write("data/raw/a.txt", "a\n");
    p.write("src/train.py", "print(1)\n");
    p.mlx(&["add", "data/raw"]).success();
    p.commit_all("data and code");
    let base = p.read_string("mlx.toml");
    for (out, expected) in [
        ("data/raw/extra.txt", "is inside data/raw, which is tracked with mlx add"),
        ("data/raw", "is tracked with mlx add"),
        ("src", "holds src/train.py, which git tracks"),
    ] {
        p.write(
            "mlx.toml",
            format!("{base}\n[stages.s]\ncmd = \"touch ran\"\nouts = [\"{out}\"]\n"),
        );
        let r = p.mlx(&["run"]).code(2);
        assert!(stderr(&r).contains(expected), "{out}: {}", stderr(&r));
        assert!(!p.exists("ran"), "{out}: the stage ran");
    }
    assert_eq!(p.read_string("data/raw/a.txt"), "a\n");
    assert_eq!(p.read_string("src/train.py"), "print(1)\n");
}

#[test]
fn names_with_nul_or_line_breaks_are_refused() {
    let p = TestProject::initialized();
    let base = p.read_string("mlx.toml");
    for (out, expected) in [(r"a\u0000b", "NUL"), (r"a\nb", "line break")] {
        p.write("mlx.toml", format!("{base}\n[stages.s]\ncmd = \"true\"\nouts = [\"{out}\"]\n"));
        let r = p.mlx(&["run"]).code(2);
        assert!(stderr(&r).contains(expected), "{}", stderr(&r));
    }
    // Tracking a file with a line break in its name would split its .gitignore line.
    p.write("line\n.txt", "x\n");
    p.write("line.txt", "an innocent file\n");
    let r = p.mlx(&["add", "line\n.txt"]).code(2);
    assert!(stderr(&r).contains("line break"), "{}", stderr(&r));
    assert!(!p.exists(".gitignore") || !p.read_string(".gitignore").contains("line"));
}

#[test]
fn a_committed_folder_remote_inside_the_tree_is_never_written() {
    for url in [".git/hooks", ".", "data/../.mlx"] {
        let a = Attacker::new();
        let toml = a.p.read_string("mlx.toml");
        let store = a.store.display().to_string();
        assert!(toml.contains(&store), "{toml}");
        a.p.write("mlx.toml", toml.replace(&store, url));
        let v = a.publish();
        // The victim tracks data of their own, and pushes.
        std::fs::create_dir_all(v.path("mine")).unwrap();
        std::fs::write(v.path("mine/a.txt"), "a\n").unwrap();
        a.mlx(&v, &["add", "-q", "mine"]).success();
        for args in [&["push"][..], &["gc", "--remote", "storage", "--workspace"], &["fetch"]] {
            let r = a.mlx(&v, args).code(2);
            assert!(
                stderr(&r).contains("is a folder inside this project's work tree"),
                "{url} {args:?}: {}",
                stderr(&r)
            );
        }
        v.assert_untouched(a.p.temp_dir());
    }
}
