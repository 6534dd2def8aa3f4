//! The project lock (`.mlx/lock`): a second mutating command waits with a message, fails after
//! the timeout with a clear error (exit 3), and concurrent commands never interleave.

use std::fs::File;
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::support::{TestProject, stderr};

fn hold_lock(p: &TestProject) -> File {
    let f = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(p.path(".mlx/lock"))
        .unwrap();
    f.lock().unwrap();
    f
}

#[test]
fn add_times_out_on_a_held_lock_then_succeeds_once_released() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    let held = hold_lock(&p);
    let start = Instant::now();
    let a = p.mlx_cmd().env("MLX_LOCK_TIMEOUT", "1").args(["add", "data"]).assert().code(3);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(950), "gave up after {took:?}");
    assert!(took < Duration::from_secs(10), "waited {took:?}");
    let err = stderr(&a);
    let lock_path = p.path(".mlx/lock").display().to_string();
    assert!(err.contains("waiting for another mlx command"), "{err}");
    assert!(
        err.contains(&format!("has held the project lock {lock_path} for more than 1s")),
        "{err}"
    );
    assert!(err.contains("hint: wait for it to finish, or raise the wait with MLX_LOCK_TIMEOUT"));
    assert!(!p.exists("data.mlx"));
    assert!(p.objects().is_empty());
    drop(held);
    p.mlx_cmd().env("MLX_LOCK_TIMEOUT", "1").args(["add", "data"]).assert().success();
    assert!(p.exists("data.mlx"));
}

#[test]
fn lock_timeout_from_config_is_used() {
    let p = TestProject::initialized();
    p.write(".mlx/config.local.toml", "[core]\nlock_timeout = 1\n");
    p.write("f", "f");
    let _held = hold_lock(&p);
    let start = Instant::now();
    p.mlx(&["add", "f"]).code(3).stderr(predicate::str::contains("for more than 1s"));
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_waiting_command_proceeds_when_the_lock_is_released() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "a\n");
    let held = hold_lock(&p);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        drop(held);
    });
    let a = p.mlx_cmd().env("MLX_LOCK_TIMEOUT", "30").args(["add", "data"]).assert().success();
    releaser.join().unwrap();
    assert!(stderr(&a).contains("waiting for another mlx command"), "{}", stderr(&a));
    assert!(p.exists("data.mlx"));
}

#[test]
fn every_mutating_command_takes_the_lock() {
    let p = TestProject::initialized();
    p.write("f", "f");
    p.mlx(&["add", "f"]).success();
    let _held = hold_lock(&p);
    for args in [&["checkout"][..], &["rm", "f"], &["gc"], &["cache", "verify"], &["add", "f"]] {
        p.mlx_cmd()
            .env("MLX_LOCK_TIMEOUT", "0")
            .args(args)
            .assert()
            .code(3)
            .stderr(predicate::str::contains("project lock"));
    }
    // Read-only commands do not wait.
    p.mlx_cmd().env("MLX_LOCK_TIMEOUT", "0").args(["status", "--check"]).assert().success();
    p.mlx_cmd().env("MLX_LOCK_TIMEOUT", "0").args(["ls"]).assert().success();
    assert!(p.exists("f.mlx"));
}

#[test]
fn concurrent_adds_of_different_paths_both_succeed() {
    let p = TestProject::initialized();
    for dir in ["left", "right"] {
        for i in 0..300 {
            p.write(format!("{dir}/{i}.txt"), format!("{dir} {i}\n"));
        }
        // Shared content too, so both may store the same objects.
        p.write(format!("{dir}/shared.bin"), vec![42u8; 2 << 20]);
    }
    let spawn = |dir: &str| {
        p.mlx_std()
            .args(["add", dir])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (left, right) = (spawn("left"), spawn("right"));
    for child in [left, right] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for dir in ["left", "right"] {
        let ptr = p.pointer(dir);
        assert_eq!(ptr["files"].as_integer(), Some(301), "{dir}");
        let ls = p.json(&["ls", dir]);
        let entries = ls["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 301);
        for e in entries {
            let path = e["path"].as_str().unwrap();
            assert_eq!(e["hash"], crate::support::hash_hex(&p.read(path)), "{path}");
        }
    }
    let gi = p.read_string(".gitignore");
    assert!(gi.lines().any(|l| l == "/left") && gi.lines().any(|l| l == "/right"), "{gi}");
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["cache", "verify"]).success();
}
