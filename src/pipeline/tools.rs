//! The versions of the programs a stage names in `tools` (`python`, `nvcc`): what
//! `PROGRAM --version` prints, first line, recorded in `mlx.lock` so that a new version makes the
//! stage stale.
//!
//! `mlx.toml` is untrusted input and `mlx status` reads these versions, so a tool is only ever a
//! bare program name, found on PATH, never a program inside the work tree, run with nothing but
//! `--version`, no shell, stdin closed and a time limit. Each program is asked once per process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// What a version query answers when the program is not on PATH.
pub const NOT_FOUND: &str = "(not found)";

/// How long `PROGRAM --version` may take.
const WAIT: Duration = Duration::from_secs(10);

/// Whether `name` may name a tool: letters, digits, `.`, `_`, `+` and `-`, starting with a
/// letter or digit (no path, no space, nothing a shell would read).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
        && name.len() <= 64
}

/// Why a tool's version cannot be asked.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("tool {tool} is {path}, inside the work tree: tools must be installed programs")]
    InsideWorkTree { tool: String, path: PathBuf },
    #[error("`{tool} --version` failed: {why}")]
    Failed { tool: String, why: String },
}

/// The version of `tool` ([`NOT_FOUND`] when it is not on PATH), asked once per process.
/// `root` is the work tree, where a tool may never be.
pub fn version(tool: &str, root: &Path) -> Result<String, ToolError> {
    static ASKED: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let asked = ASKED.get_or_init(Mutex::default);
    if let Some(v) = asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(tool) {
        return Ok(v.clone());
    }
    let v = ask(tool, root)?;
    asked
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(tool.to_owned(), v.clone());
    Ok(v)
}

fn ask(tool: &str, root: &Path) -> Result<String, ToolError> {
    debug_assert!(valid_name(tool));
    let Some(program) = find(tool) else { return Ok(NOT_FOUND.to_owned()) };
    let resolved = program.canonicalize().unwrap_or_else(|_| program.clone());
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if program.starts_with(&root) || resolved.starts_with(&root) {
        return Err(ToolError::InsideWorkTree { tool: tool.to_owned(), path: program });
    }
    let text = crate::process::ask(Command::new(&program).arg("--version"), WAIT)
        .map_err(|why| ToolError::Failed { tool: tool.to_owned(), why })?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    Ok(line.chars().take(200).collect())
}

/// `tool` on PATH: the first folder holding an executable file of that name. Relative PATH
/// entries (`.`, empty) are skipped: they name the current folder, which may be the work tree.
fn find(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).filter(|d| d.is_absolute()).map(|d| d.join(tool)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| {
            m.is_file() && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bare_program_names() {
        for ok in ["python", "python3.11", "nvcc", "g++", "x86_64-linux-gnu-gcc"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "../evil", "/bin/sh", "a b", "-rf", "$(x)", "a;b", ".hidden"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn versions_come_from_path_and_missing_programs_say_so() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(version("no-such-program-here-at-all", dir.path()).unwrap(), NOT_FOUND);
        let sh = version("sh", dir.path());
        assert!(sh.is_ok() || matches!(sh, Err(ToolError::Failed { .. })), "{sh:?}");
    }
}
