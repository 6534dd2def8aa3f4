//! The example projects under `examples/` run end to end against the built binary, exactly as
//! the README tells a new user to run them.

use std::path::Path;
use std::process::Command;

fn run_example(script: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let home = tempfile::tempdir().expect("temp home");
    let out = Command::new("bash")
        .arg(root.join(script))
        .env("MLX", env!("CARGO_BIN_EXE_mlx"))
        .env("HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("MLX_RUN_ID")
        .env_remove("MLX_PROJECT")
        .env_remove("MLX_METRICS_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(stdout.contains("All steps passed."), "{stdout}");
}

#[test]
fn data_versioning_example_runs_end_to_end() {
    run_example("examples/data-versioning/run.sh");
}

#[test]
fn pipeline_example_runs_end_to_end() {
    run_example("examples/pipeline/run.sh");
}

#[test]
fn makefile_example_runs_end_to_end() {
    run_example("examples/makefile/run.sh");
}

#[test]
fn ci_example_runs_end_to_end() {
    run_example("examples/ci/run.sh");
}

#[test]
fn git_hooks_example_runs_end_to_end() {
    run_example("examples/git-hooks/run.sh");
}
