//! `mlx add`: objects, pointers, .gitignore lines, no-op re-adds, dedup, .mlxignore, symlinks,
//! empty folders, odd names, and every path it must refuse.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;

use predicates::prelude::*;

use crate::support::{TestProject, hash_file_hex, hash_hex, stderr, stdout, tree};

#[test]
fn add_file_writes_object_pointer_and_gitignore() {
    let p = TestProject::initialized();
    p.write("model.bin", "weights\n");
    let a = p.mlx(&["add", "model.bin"]).success();
    let hash = hash_hex(b"weights\n");
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    added  model.bin  file  1 file  8 B  6068b55f
    --- stderr
    hint: record the change with git: git add model.bin.mlx .gitignore
    ");
    assert!(hash.starts_with("6068b55f"));
    let ptr = p.pointer("model.bin");
    assert_eq!(ptr["kind"].as_str(), Some("file"));
    assert_eq!(ptr["hash"].as_str(), Some(hash.as_str()));
    assert_eq!(ptr["size"].as_integer(), Some(8));
    assert_eq!(ptr["files"].as_integer(), Some(1));
    assert_eq!(ptr["mlx"].as_integer(), Some(1));
    assert!(p.read_string("model.bin.mlx").starts_with("# mlx pointer"));
    assert_eq!(p.read(p.object_path(&hash)), b"weights\n");
    assert!(p.read_string(".gitignore").lines().any(|l| l == "/model.bin"));
    // Default placement is a private copy: the workspace file stays writable.
    assert_eq!(p.read("model.bin"), b"weights\n");
    assert_ne!(p.mode("model.bin") & 0o200, 0);
    // git ignores the data and sees the pointer.
    let status = p.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(status.contains("model.bin.mlx"), "{status}");
    assert!(!status.lines().any(|l| l.ends_with(" model.bin")), "{status}");
}

#[test]
fn add_directory_stores_every_file_and_a_manifest() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "beta\n");
    p.write("data/sub/deeper/c.bin", [0u8, 1, 2, 3]);
    p.mlx(&["add", "data"]).success().stdout(predicate::str::contains("3 files"));
    let ptr = p.pointer("data");
    assert_eq!(ptr["kind"].as_str(), Some("directory"));
    assert_eq!(ptr["size"].as_integer(), Some(6 + 5 + 4));
    assert_eq!(ptr["files"].as_integer(), Some(3));
    let manifest_hash = p.pointer_hash("data");
    let manifest = p.read(p.object_path(&manifest_hash));
    let m: serde_json::Value = serde_json::from_slice(&manifest).expect("manifest is JSON");
    let paths: Vec<&str> =
        m["entries"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["a.txt", "sub/b.txt", "sub/deeper/c.bin"]);
    for content in [&b"alpha\n"[..], b"beta\n", &[0, 1, 2, 3]] {
        assert!(p.has_object(&hash_hex(content)), "{content:?}");
    }
    assert_eq!(p.objects().len(), 4);
    assert_eq!(p.read_string(".gitignore").lines().filter(|l| *l == "/data").count(), 1);
}

#[test]
fn cache_objects_are_read_only_and_named_by_their_hash() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/b/c.txt", "gamma\n");
    p.write("big.bin", vec![7u8; 3 << 20]); // above the 1 MiB streaming threshold
    p.mlx(&["add", "data", "big.bin"]).success();
    let objects = p.objects();
    assert_eq!(objects.len(), 4, "{objects:?}");
    for (hash, path) in objects {
        let rel = path.strip_prefix(p.cache_dir()).unwrap();
        assert_eq!(rel.iter().count(), 2, "{}", rel.display());
        assert_eq!(hash.len(), 64);
        assert_eq!(&rel.iter().next().unwrap().to_string_lossy()[..], &hash[..2]);
        assert_eq!(hash_file_hex(&path), hash, "{}", path.display());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o444, "{}", path.display());
    }
}

#[test]
fn gitignore_line_goes_beside_the_tracked_path() {
    let p = TestProject::initialized();
    p.write("datasets/train/x", "x");
    p.write("datasets/.gitignore", "*.tmp\n");
    p.mlx(&["add", "datasets/train"]).success();
    assert!(p.exists("datasets/train.mlx"));
    assert_eq!(p.read_string("datasets/.gitignore"), "*.tmp\n/train\n");
    assert!(!p.read_string(".gitignore").contains("train"));
}

#[test]
fn add_unchanged_dir_is_noop() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    p.write("data/b.txt", "b\n");
    p.mlx(&["add", "data"]).success();
    let ptr_path = p.path("data.mlx");
    let before = (p.read("data.mlx"), std::fs::metadata(&ptr_path).unwrap().modified().unwrap());
    let gi_before = p.read(".gitignore");
    let objects_before = p.objects();
    let a = p.mlx(&["add", "data"]).success();
    assert!(stdout(&a).starts_with("unchanged  data"), "{}", stdout(&a));
    assert!(!stderr(&a).contains("git add"), "no hint when nothing changed: {}", stderr(&a));
    let after = (p.read("data.mlx"), std::fs::metadata(&ptr_path).unwrap().modified().unwrap());
    assert_eq!(before, after);
    assert_eq!(gi_before, p.read(".gitignore"));
    assert_eq!(objects_before, p.objects());
    let json = p.json(&["add", "data"]);
    assert_eq!(json["added"][0]["changed"], false);
    assert_eq!(json["added"][0]["new_objects"], 0);
    assert_eq!(json["git_paths"], serde_json::json!([]));
}

#[test]
fn add_unchanged_file_is_noop() {
    let p = TestProject::initialized();
    p.write("f.bin", "x");
    p.mlx(&["add", "f.bin"]).success();
    let before = p.read("f.bin.mlx");
    p.mlx(&["add", "f.bin"]).success().stdout(predicate::str::starts_with("unchanged  f.bin"));
    assert_eq!(before, p.read("f.bin.mlx"));
}

#[test]
fn add_after_a_change_updates_the_pointer() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "v1\n");
    p.mlx(&["add", "data"]).success();
    let v1 = p.pointer_hash("data");
    p.write("data/a.txt", "version two\n");
    p.write("data/new.txt", "n\n");
    let json = p.json(&["add", "data"]);
    assert_eq!(json["added"][0]["changed"], true);
    assert_eq!(json["added"][0]["new_objects"], 3); // two files and the new manifest
    let v2 = p.pointer_hash("data");
    assert_ne!(v1, v2);
    assert_eq!(p.pointer("data")["files"].as_integer(), Some(2));
    assert_eq!(p.pointer("data")["size"].as_integer(), Some(12 + 2));
    // The old version stays in the cache (until gc), the new one is there too.
    assert!(p.has_object(&v1));
    assert!(p.has_object(&v2));
    assert!(p.has_object(&hash_hex(b"v1\n")));
    assert!(p.has_object(&hash_hex(b"version two\n")));
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn identical_files_are_stored_once() {
    let p = TestProject::initialized();
    p.write("data/one.txt", "same bytes\n");
    p.write("data/two.txt", "same bytes\n");
    p.write("data/deep/three.txt", "same bytes\n");
    p.write("copy.txt", "same bytes\n");
    p.mlx(&["add", "data", "copy.txt"]).success();
    // One content object plus the manifest.
    assert_eq!(p.objects().len(), 2, "{:?}", p.objects());
    assert!(p.has_object(&hash_hex(b"same bytes\n")));
    assert_eq!(p.pointer("data")["files"].as_integer(), Some(3));
}

#[test]
fn mlxignore_patterns_exclude_files() {
    let p = TestProject::initialized();
    p.write(".mlxignore", "*.tmp\ncache/\n");
    p.write("data/keep.txt", "k\n");
    p.write("data/skip.tmp", "s\n");
    p.write("data/cache/x.bin", "c\n");
    p.write("data/sub/.mlxignore", "local-*\n");
    p.write("data/sub/local-secret", "secret\n");
    p.write("data/sub/kept", "kept\n");
    p.mlx(&["add", "data"]).success();
    let ls = p.json(&["ls", "data"]);
    let paths: Vec<&str> =
        ls["entries"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["data/keep.txt", "data/sub/.mlxignore", "data/sub/kept"]);
    assert!(!p.has_object(&hash_hex(b"s\n")));
    assert!(!p.has_object(&hash_hex(b"secret\n")));
    assert!(!p.has_object(&hash_hex(b"c\n")));
    // Ignored files are neither a change for status nor removed by checkout.
    p.write("data/more.tmp", "m\n");
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["checkout"]).success();
    assert!(p.exists("data/skip.tmp"));
    assert!(p.exists("data/sub/local-secret"));
}

#[test]
fn symlinks_inside_tracked_dirs_are_recorded_and_restored() {
    let p = TestProject::initialized();
    p.write("data/real.txt", "real\n");
    p.mkdir("data/links");
    symlink("../real.txt", p.path("data/links/rel")).unwrap();
    symlink("nowhere", p.path("data/dangling")).unwrap();
    p.mlx(&["add", "data"]).success();
    let a = p.mlx(&["ls", "data"]).success();
    let out = stdout(&a);
    assert!(out.contains("symlink") && out.contains("data/links/rel -> ../real.txt"), "{out}");
    assert!(out.contains("data/dangling -> nowhere"), "{out}");
    let ls = p.json(&["ls", "data/links"]);
    assert_eq!(ls["entries"][0]["kind"], "symlink");
    assert_eq!(ls["entries"][0]["symlink_target"], "../real.txt");
    assert_eq!(p.pointer("data")["files"].as_integer(), Some(1));
    p.remove("data");
    p.mlx(&["checkout"]).success();
    assert_eq!(std::fs::read_link(p.path("data/links/rel")).unwrap(), OsStr::new("../real.txt"));
    assert_eq!(std::fs::read_link(p.path("data/dangling")).unwrap(), OsStr::new("nowhere"));
    assert_eq!(p.read("data/links/rel"), b"real\n");
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn symlink_escaping_the_project_is_refused_and_nothing_is_written() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    p.mkdir("data/sub");
    symlink("../../../outside", p.path("data/sub/escape")).unwrap();
    let gitignore_before = p.read(".gitignore");
    let a = p.mlx(&["add", "data"]).code(2);
    let err = stderr(&a);
    assert!(err.contains("data/sub/escape is a symlink to ../../../outside"), "{err}");
    assert!(err.contains("outside the project"), "{err}");
    assert!(!p.exists("data.mlx"));
    assert_eq!(p.read(".gitignore"), gitignore_before);
    assert!(p.objects().is_empty(), "{:?}", p.objects());

    // An absolute target is refused too.
    p.remove("data/sub/escape");
    symlink("/etc/passwd", p.path("data/abs")).unwrap();
    p.mlx(&["add", "data"])
        .code(2)
        .stderr(predicate::str::contains("data/abs is a symlink to /etc/passwd"));
    assert!(!p.exists("data.mlx"));
}

#[test]
fn symlink_as_the_added_path_is_refused() {
    let p = TestProject::initialized();
    p.write("real.txt", "r");
    symlink("real.txt", p.path("link.txt")).unwrap();
    p.mlx(&["add", "link.txt"]).code(2).stderr(predicate::str::contains("is a symlink"));
    assert!(!p.exists("link.txt.mlx"));
}

#[test]
fn empty_directories_are_recorded_and_restored() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a");
    p.mkdir("data/empty");
    p.mkdir("data/nested/also_empty");
    p.mlx(&["add", "data"]).success();
    let ls = p.json(&["ls", "data"]);
    let kinds: Vec<(&str, &str)> = ls["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("data/a.txt", "file"),
            ("data/empty", "empty_dir"),
            ("data/nested/also_empty", "empty_dir")
        ]
    );
    p.remove("data");
    p.mlx(&["checkout"]).success();
    assert!(p.path("data/empty").is_dir());
    assert!(p.path("data/nested/also_empty").is_dir());
    assert_eq!(std::fs::read_dir(p.path("data/empty")).unwrap().count(), 0);
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn non_utf8_file_names_round_trip() {
    let p = TestProject::initialized();
    let name = OsStr::from_bytes(b"caf\xe9-\xff.bin");
    p.mkdir("data/sub");
    std::fs::write(p.path("data/sub").join(name), b"latin-1 name\n").unwrap();
    p.write("data/plain.txt", "plain\n");
    p.mlx(&["add", "data"]).success();
    p.mlx(&["status", "--check"]).success();
    let before = tree(&p.path("data"));
    std::fs::remove_dir_all(p.path("data")).unwrap();
    p.mlx(&["checkout"]).success();
    assert_eq!(tree(&p.path("data")), before);
    assert_eq!(std::fs::read(p.path("data/sub").join(name)).unwrap(), b"latin-1 name\n");
    p.mlx(&["status", "--check"]).success();
    // The manifest keeps the raw bytes (hex-encoded), not a lossy conversion.
    let manifest = p.read_string(p.object_path(&p.pointer_hash("data")));
    assert!(manifest.contains(r#""path_hex":"7375622f636166e92dff2e62696e""#), "{manifest}");
}

#[test]
fn non_utf8_tracked_path_name_round_trips() {
    let p = TestProject::initialized();
    let name = OsStr::from_bytes(b"d\xe9j\xe0");
    std::fs::create_dir(p.path(name)).unwrap();
    std::fs::write(p.path(name).join("f"), b"x").unwrap();
    let mut cmd = p.mlx_cmd();
    cmd.arg("add").arg(name).assert().success();
    let mut pointer_name = name.to_os_string();
    pointer_name.push(".mlx");
    assert!(p.path(&pointer_name).is_file());
    std::fs::remove_dir_all(p.path(name)).unwrap();
    p.mlx(&["checkout"]).success();
    assert_eq!(std::fs::read(p.path(name).join("f")).unwrap(), b"x");
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn zero_byte_files_are_tracked() {
    let p = TestProject::initialized();
    p.write("empty.bin", "");
    p.write("data/zero", "");
    p.write("data/one", "1");
    p.mlx(&["add", "empty.bin", "data"]).success();
    assert_eq!(p.pointer("empty.bin")["size"].as_integer(), Some(0));
    assert_eq!(p.pointer_hash("empty.bin"), hash_hex(b""));
    assert!(p.has_object(&hash_hex(b"")));
    assert_eq!(p.pointer("data")["files"].as_integer(), Some(2));
    p.remove("empty.bin");
    p.remove("data/zero");
    p.mlx(&["checkout"]).success();
    assert_eq!(std::fs::metadata(p.path("empty.bin")).unwrap().len(), 0);
    assert_eq!(std::fs::metadata(p.path("data/zero")).unwrap().len(), 0);
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn executable_bit_is_preserved_through_checkout() {
    let p = TestProject::initialized();
    p.write("tools/run.sh", "#!/bin/sh\necho hi\n");
    p.set_mode("tools/run.sh", 0o755);
    p.write("tools/data.txt", "d\n");
    p.mlx(&["add", "tools"]).success();
    let manifest = p.read_string(p.object_path(&p.pointer_hash("tools")));
    assert!(manifest.contains(r#""exec":true"#), "{manifest}");
    p.remove("tools");
    p.mlx(&["checkout"]).success();
    assert_eq!(p.mode("tools/run.sh") & 0o111, 0o111);
    assert_eq!(p.mode("tools/data.txt") & 0o111, 0);
    // Losing the bit is a change.
    p.set_mode("tools/run.sh", 0o644);
    p.mlx(&["status", "--check"])
        .code(1)
        .stdout(predicate::str::contains("modified: tools/run.sh"));
}

#[test]
fn adding_a_path_tracked_by_git_is_refused_with_a_hint() {
    let p = TestProject::initialized();
    p.write("src/code.py", "print(1)\n");
    p.git(&["add", "src/code.py"]);
    for path in ["src/code.py", "src"] {
        let a = p.mlx(&["add", path]).code(2);
        let err = stderr(&a);
        assert!(err.contains("is tracked by git"), "{err}");
        assert!(err.contains("hint: stop tracking it with git first: git rm -r --cached"), "{err}");
    }
    assert!(!p.exists("src/code.py.mlx"));
    assert!(!p.exists("src.mlx"));
    assert!(p.objects().is_empty());
}

#[test]
fn adding_a_path_inside_a_tracked_dir_is_refused() {
    let p = TestProject::initialized();
    p.write("data/sub/a.txt", "a");
    p.mlx(&["add", "data"]).success();
    let before = p.read("data.mlx");
    p.mlx(&["add", "data/sub/a.txt"]).code(2).stderr(predicate::str::contains(
        "data/sub/a.txt is inside data, which mlx already tracks",
    ));
    p.mlx(&["add", "data/sub"]).code(2);
    assert!(!p.exists("data/sub/a.txt.mlx"));
    assert!(!p.exists("data/sub.mlx"));
    assert_eq!(p.read("data.mlx"), before);
}

#[test]
fn adding_a_dir_containing_a_tracked_path_is_refused() {
    let p = TestProject::initialized();
    p.write("data/inner/a.txt", "a");
    p.write("data/other.txt", "o");
    p.mlx(&["add", "data/inner"]).success();
    p.mlx(&["add", "data"])
        .code(2)
        .stderr(predicate::str::contains("data contains data/inner, which mlx already tracks"));
    assert!(!p.exists("data.mlx"));
    assert!(!p.read_string(".gitignore").contains("/data\n"));
}

#[test]
fn adding_a_missing_path_is_refused() {
    let p = TestProject::initialized();
    p.write("real", "r");
    let a = p.mlx(&["add", "real", "nope"]).code(2);
    assert!(stderr(&a).contains("error: nope does not exist"), "{}", stderr(&a));
    // Checked before anything is written.
    assert!(!p.exists("real.mlx"));
    assert!(p.objects().is_empty());
}

#[test]
fn paths_escaping_the_project_are_refused() {
    let p = TestProject::initialized();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("x"), "x").unwrap();
    let abs = outside.join("x").display().to_string();
    for arg in ["../outside/x", abs.as_str(), "/etc/hostname"] {
        let a = p.mlx(&["add", arg]).code(2);
        assert!(stderr(&a).contains("is outside the project"), "{arg}: {}", stderr(&a));
    }
    // Through a symlinked folder inside the project.
    symlink(&outside, p.path("link-out")).unwrap();
    p.mlx(&["add", "link-out/x"]).code(2).stderr(predicate::str::contains("outside the project"));
    p.mlx(&["add", "."]).code(2).stderr(predicate::str::contains("project root"));
    assert!(p.objects().is_empty());
    assert!(!outside.join("x.mlx").exists());
}

#[test]
fn adding_mlx_or_git_folders_is_refused() {
    let p = TestProject::initialized();
    for arg in [".mlx", ".mlx/cache", ".git"] {
        p.mlx(&["add", arg])
            .code(2)
            .stderr(predicate::str::contains("is inside git's or mlx's own folder"));
    }
    assert!(!p.exists(".mlx.mlx"));
    assert!(p.objects().is_empty());
}

#[test]
fn add_several_paths_at_once() {
    let p = TestProject::initialized();
    p.write("a.bin", "a");
    p.write("b/c.bin", "c");
    let json = p.json(&["add", "a.bin", "b"]);
    let added = json["added"].as_array().unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0]["kind"], "file");
    assert_eq!(added[1]["kind"], "directory");
    assert_eq!(json["git_paths"], serde_json::json!(["a.bin.mlx", ".gitignore", "b.mlx"]));
}

#[test]
fn adding_a_pointer_file_is_refused() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a");
    p.mlx(&["add", "data"]).success();
    let before = p.read("data.mlx");
    p.mlx(&["add", "data.mlx"])
        .code(2)
        .stderr(predicate::str::contains("data.mlx: is an mlx pointer"))
        .stderr(predicate::str::contains("mlx add data"));
    assert!(!p.exists("data.mlx.mlx"));
    assert_eq!(p.read("data.mlx"), before);
}

#[test]
fn add_refuses_a_stage_output_and_writes_nothing() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        "[stages.make]\ncmd = \"mkdir -p out && echo x > out/a.txt\"\nouts = [\"out\"]\n",
    );
    p.mlx(&["run"]).success();
    for path in ["out", "out/a.txt"] {
        let a = p.mlx(&["add", path]).code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(err.contains("an output of stage make"), "{err}");
    }
    assert!(!p.exists("out.mlx"));
    assert!(!p.exists("out/a.txt.mlx"));
}

/// Runs `mlx ARGS` in the project with stdin, stdout and stderr on a pseudo-terminal (through
/// Python's `pty` module), typing `answer` and Enter when the `[y/N]` question shows (if it
/// does). Returns everything the terminal showed and the exit code.
fn mlx_at_a_terminal(p: &TestProject, answer: &str, args: &[&str]) -> (String, i32) {
    const DRIVER: &str = r#"
import os, pty, select, subprocess, sys, time
answer, cmd = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
child = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
os.close(slave)
out, sent, deadline = b"", False, time.time() + 120
while time.time() < deadline:
    ready, _, _ = select.select([master], [], [], 0.1)
    if ready:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            break
        out += chunk
    if not sent and b"[y/N]" in out:
        os.write(master, answer.encode() + b"\n")
        sent = True
    if not ready and child.poll() is not None:
        break
else:
    child.kill()
sys.stdout.buffer.write(out)
sys.exit(child.wait())
"#;
    let mut cmd = p.command_in("python3", ".");
    cmd.arg("-c").arg(DRIVER).arg(answer).arg(crate::support::mlx_bin()).args(args);
    let out = cmd.output().expect("python3 runs");
    let shown = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    (shown, out.status.code().unwrap_or(-1))
}

#[test]
fn add_of_a_folder_of_more_than_10000_files_asks_at_a_terminal_only() {
    let p = TestProject::initialized();
    crate::support::many_files(&p, "big", 10_001, 8, 10);
    p.write("small/a.txt", "a\n");
    // No: nothing tracked, not even the other path; exit 1.
    let (shown, code) = mlx_at_a_terminal(&p, "n", &["add", "small", "big"]);
    assert!(
        shown.contains("big holds 10,001 files (more than 10,000): track it? [y/N] "),
        "{shown}"
    );
    assert!(shown.contains("nothing added"), "{shown}");
    assert_eq!(code, 1, "{shown}");
    assert!(!p.exists("big.mlx") && !p.exists("small.mlx"));
    assert!(p.objects().is_empty(), "objects were stored");
    // Yes: both tracked.
    let (shown, code) = mlx_at_a_terminal(&p, "y", &["add", "small", "big"]);
    assert_eq!(code, 0, "{shown}");
    assert_eq!(p.pointer("big")["files"].as_integer(), Some(10_001));
    assert!(p.exists("small.mlx"));
    // Adding it again changes nothing and asks nothing.
    let (shown, code) = mlx_at_a_terminal(&p, "n", &["add", "big"]);
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
    // --yes skips the question.
    p.mlx(&["rm", "big"]).success();
    let (shown, code) = mlx_at_a_terminal(&p, "n", &["add", "--yes", "big"]);
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("[y/N]") && p.exists("big.mlx"), "{shown}");
    // Without a terminal (scripts, CI), add proceeds as always.
    p.mlx(&["rm", "big"]).success();
    let a = p.mlx(&["add", "big"]).success();
    assert!(!stderr(&a).contains("[y/N]"), "{}", stderr(&a));
    assert!(p.exists("big.mlx"));
}
