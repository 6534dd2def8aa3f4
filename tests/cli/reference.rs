//! Generated files stay in sync with the CLI: shell completions under `completions/` and the
//! command reference `docs/cli-reference.md`. Run with `MLX_UPDATE_REFERENCE=1` to regenerate.

use std::path::{Path, PathBuf};
use std::process::Command;

fn mlx_output(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mlx"))
        .args(args)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .output()
        .expect("mlx runs");
    assert!(out.status.success(), "mlx {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Compare `actual` with the checked-in file, or rewrite it when asked to.
fn check_generated(rel: &str, actual: &str) {
    let path = repo_file(rel);
    if std::env::var_os("MLX_UPDATE_REFERENCE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{rel} is out of date with the CLI; regenerate with: MLX_UPDATE_REFERENCE=1 cargo test reference"
    );
}

#[test]
fn completions_match_the_cli() {
    for (shell, file) in [
        ("bash", "completions/mlx.bash"),
        ("zsh", "completions/_mlx"),
        ("fish", "completions/mlx.fish"),
        ("powershell", "completions/_mlx.ps1"),
    ] {
        let script = mlx_output(&["completions", shell]);
        assert!(script.contains("mlx"), "{shell} completion mentions mlx");
        check_generated(file, &script);
    }
}

/// Subcommand names listed under "Commands:" in a help text.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Wrapped descriptions are indented further than the names.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

fn document(path: &[String], out: &mut String) {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = mlx_output(&args);
    let title = if path.is_empty() { "mlx".to_owned() } else { format!("mlx {}", path.join(" ")) };
    let level = if path.is_empty() { "##" } else { "###" };
    out.push_str(&format!("{level} `{title}`\n\n```text\n{}\n```\n\n", help.trim_end()));
    for sub in subcommands(&help) {
        let mut next = path.to_vec();
        next.push(sub);
        document(&next, out);
    }
}

#[test]
fn cli_reference_matches_the_cli() {
    let mut doc = String::from(
        "# Command reference\n\nGenerated from `mlx --help` by the test suite \
         (`MLX_UPDATE_REFERENCE=1 cargo test reference` rewrites it); do not edit by hand.\n\n",
    );
    document(&[], &mut doc);
    assert!(doc.contains("### `mlx add`"), "every command is documented");
    check_generated("docs/cli-reference.md", &doc);
}
