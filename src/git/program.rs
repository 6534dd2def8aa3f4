//! Running the `git` program itself, for what libgit2 cannot do as git does (linked worktrees,
//! `git add` with git's own ignore rules, filters and stat refresh). Hooks never run from here.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use super::Error;

/// Run `git ARGS` in `dir` with `env` added; its stdout, trimmed. A failure names the command
/// and carries git's own message.
pub(crate) fn run(dir: &Path, args: &[&str], env: &[(&str, &OsStr)]) -> Result<String, Error> {
    let shown = args.join(" ");
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.hooksPath=/dev/null", "-c", "advice.detachedHead=false"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .map_err(|e| Error::Program { args: shown.clone(), message: e.to_string() })?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(Error::Program { args: shown, message });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
