//! Generated files stay in sync with the CLI: shell completions under `completions/`, the
//! command reference `docs/cli-reference.md` and the man pages under `docs/man/`. Run with
//! `MLX_UPDATE_REFERENCE=1` to regenerate.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The stdout of a successful `mlx ARGS`, at a fixed width and without color.
pub(crate) fn mlx_output(args: &[&str]) -> String {
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
    if updating() {
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

fn updating() -> bool {
    std::env::var_os("MLX_UPDATE_REFERENCE").is_some()
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
pub(crate) fn subcommands(help: &str) -> Vec<String> {
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

#[test]
fn man_pages_match_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("man");
    mlx_output(&["man", generated.to_str().unwrap()]);
    let pages = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|name| name.ends_with(".1"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let names = pages(&generated);
    for expected in ["mlx.1", "mlx-add.1", "mlx-exp.1", "mlx-exp-list.1", "mlx-remote-add.1"] {
        assert!(names.iter().any(|n| n == expected), "{expected} is generated: {names:?}");
    }
    for hidden in ["mlx-hook.1", "mlx-man.1", "mlx-help.1", "mlx-exp-help.1"] {
        assert!(!names.iter().any(|n| n == hidden), "no page for {hidden}");
    }
    let checked_in = repo_file("docs/man");
    let stale: Vec<String> =
        pages(&checked_in).into_iter().filter(|name| !names.contains(name)).collect();
    if updating() {
        for name in &stale {
            std::fs::remove_file(checked_in.join(name)).unwrap();
        }
    } else {
        assert!(
            stale.is_empty(),
            "docs/man/ has pages for commands that no longer exist: {stale:?}; regenerate with: \
             MLX_UPDATE_REFERENCE=1 cargo test reference"
        );
    }
    for name in &names {
        let page = std::fs::read_to_string(generated.join(name)).unwrap();
        check_generated(&format!("docs/man/{name}"), &page);
    }
}
