//! Installing and removing git hook scripts. A hook that was already there is kept under
//! `NAME.pre-mlx` and run first, so mlx chains to it rather than replacing it; uninstalling puts
//! it back. Our scripts carry a marker line, which makes installing again a no-op.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::fs_util;

pub const MARKER: &str = "# mlx-hook: installed by `mlx install-hooks`";
pub const CHAINED_SUFFIX: &str = ".pre-mlx";

/// Hooks that receive data on stdin, which both the chained hook and mlx must see.
const STDIN_HOOKS: &[&str] = &["pre-push"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookChange {
    Installed,
    /// Installed, with the hook that was there kept and run first.
    Chained,
    Unchanged,
    Removed,
    /// Removed, and the hook that was there before restored.
    Restored,
    Absent,
}

/// The script for hook `name`, calling `mlx hook NAME` (found on PATH, else at `fallback`).
pub fn script(name: &str, fallback: &Path) -> String {
    let fallback = fallback.display().to_string().replace('\'', "'\\''");
    let chained = format!("\"$(dirname \"$0\")/{name}{CHAINED_SUFFIX}\"");
    let (read_input, feed) = if STDIN_HOOKS.contains(&name) {
        // `$(...)` strips trailing newlines: the `x` keeps them, so the input is passed on
        // byte for byte (and empty input stays empty).
        ("input=$(cat; echo x)\ninput=${input%x}\n", "printf '%s' \"$input\" | ")
    } else {
        ("", "")
    };
    format!(
        "#!/bin/sh\n\
         {MARKER}\n\
         # Runs the hook that was here before (kept as {name}{CHAINED_SUFFIX}), then mlx.\n\
         # Remove with `mlx install-hooks --uninstall`.\n\
         {read_input}\
         if [ -x {chained} ]; then\n    \
             {feed}{chained} \"$@\" || exit $?\n\
         fi\n\
         mlx=\"${{MLX_BIN:-mlx}}\"\n\
         if ! command -v \"$mlx\" >/dev/null 2>&1; then\n    \
             mlx='{fallback}'\n\
         fi\n\
         if [ ! -x \"$mlx\" ] && ! command -v \"$mlx\" >/dev/null 2>&1; then\n    \
             echo \"mlx: not found, skipping the {name} hook (set MLX_BIN or put mlx on PATH)\" >&2\n    \
             exit 0\n\
         fi\n\
         {feed}\"$mlx\" hook {name} \"$@\"\n"
    )
}

/// Whether the hook file at `path` was written by mlx (it carries [`MARKER`]).
pub fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

fn chained_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{CHAINED_SUFFIX}"))
}

/// Install (or refresh) one hook in `dir`.
pub fn install(dir: &Path, name: &str, text: &str) -> io::Result<HookChange> {
    fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let mut change = HookChange::Installed;
    if std::fs::symlink_metadata(&path).is_ok() {
        if is_ours(&path) {
            if fs::read_to_string(&path)? == text {
                return Ok(HookChange::Unchanged);
            }
        } else {
            let chained = chained_path(dir, name);
            if std::fs::symlink_metadata(&chained).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} exists and so does {}; move one of them away first",
                        path.display(),
                        chained.display()
                    ),
                ));
            }
            fs::rename(&path, &chained)?;
            change = HookChange::Chained;
        }
    }
    fs_util::write_atomic(&path, text.as_bytes())?;
    fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(change)
}

/// Remove our hook from `dir`, restoring a chained one.
pub fn uninstall(dir: &Path, name: &str) -> io::Result<HookChange> {
    let path = dir.join(name);
    if !is_ours(&path) {
        return Ok(HookChange::Absent);
    }
    fs::remove_file(&path)?;
    let chained = chained_path(dir, name);
    if std::fs::symlink_metadata(&chained).is_ok() {
        fs::rename(&chained, &path)?;
        return Ok(HookChange::Restored);
    }
    Ok(HookChange::Removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_chains_and_uninstall_restores() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pre-commit"), "#!/bin/sh\necho theirs\n").unwrap();
        let text = script("pre-commit", Path::new("/usr/bin/mlx"));
        assert_eq!(install(dir.path(), "pre-commit", &text).unwrap(), HookChange::Chained);
        assert_eq!(install(dir.path(), "pre-commit", &text).unwrap(), HookChange::Unchanged);
        assert!(dir.path().join("pre-commit.pre-mlx").exists());
        assert_eq!(uninstall(dir.path(), "pre-commit").unwrap(), HookChange::Restored);
        let back = std::fs::read_to_string(dir.path().join("pre-commit")).unwrap();
        assert_eq!(back, "#!/bin/sh\necho theirs\n");
        assert_eq!(uninstall(dir.path(), "pre-commit").unwrap(), HookChange::Absent);
    }

    #[test]
    fn stdin_hooks_feed_input_to_both() {
        let text = script("pre-push", Path::new("/x/mlx"));
        assert!(text.contains("input=$(cat; echo x)"));
        assert!(text.contains("hook pre-push"));
    }
}
