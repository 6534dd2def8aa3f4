//! The real GTO from PyPI, for the tests that check the model registry's tags against it: a
//! registry written by mlx is read by `gto show` and `gto history`, and one written by `gto`
//! is read by mlx.
//!
//! The first test that needs it installs it: `python3 -m venv` in a folder of cargo's
//! per-target temp dir, then `pip install gto==VERSION` there, once for all the tests running in
//! parallel; later runs find it there (see `child::install_once`). Without `python3` (with its
//! `venv` module), or when pip cannot install it, the tests fail and say what to install.
//!
//! API:
//! - `gto(project, args) -> serde_json::Value | String`: see [`run_gto`] and [`gto_json`].

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::TestProject;
use super::child::{INSTALL_WAIT, install_once, run_logged};

/// The GTO release the compatibility tests run.
pub const GTO_VERSION: &str = "1.10.*";

const PYTHON_NEEDED: &str = "The model registry's compatibility tests run GTO from PyPI, which \
    needs Python 3.10 or newer with its venv module as `python3` on PATH (e.g. `apt-get install \
    python3 python3-venv`); pip must be able to reach its package index the first time.";

/// The `gto` program of the virtual environment, installed on first use.
pub fn program() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(install) {
        Ok(bin) => bin,
        Err(message) => panic!("{message}"),
    }
}

/// Run `gto ARGS` in the project with its hermetic git environment; panic with its output
/// unless it succeeds. Returns stdout. GTO dates its tags now whatever `GIT_COMMITTER_DATE`
/// says (and fails on the ISO dates the tests give git), so that variable is left out; tags
/// GTO makes in the same second tie, so callers that need an order wait a second between.
pub fn run_gto(p: &TestProject, args: &[&str]) -> String {
    let mut cmd = p.tool(program());
    cmd.env_remove("GIT_COMMITTER_DATE");
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("run gto {args:?}: {e}"));
    assert!(
        out.status.success(),
        "gto {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `gto ARGS --json`, parsed.
pub fn gto_json(p: &TestProject, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let text = run_gto(p, &all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("gto {args:?} --json: {e}:\n{text}"))
}

fn install() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gto-1.10");
    let venv = dir.join("venv");
    let bin = venv.join("bin");
    let python = bin.join("python");
    let gto = bin.join("gto");
    install_once(&dir, &gto, || {
        let log_path = dir.join("install.log");
        let log =
            File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
        let run = |what: &str, cmd: &mut Command| -> Result<(), String> {
            let status = run_logged(cmd, &log, INSTALL_WAIT)
                .map_err(|e| format!("cannot run {what}: {e}.\n{PYTHON_NEEDED}"))?;
            let output = std::fs::read_to_string(&log_path).unwrap_or_default();
            match status {
                Some(s) if s.success() => Ok(()),
                Some(s) => Err(format!("{what} failed ({s}):\n{output}\n{PYTHON_NEEDED}")),
                None => Err(format!(
                    "{what} did not finish within {INSTALL_WAIT:?}:\n{output}\n{PYTHON_NEEDED}"
                )),
            }
        };
        run(
            "`python3 -m venv`",
            Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv),
        )?;
        let package = format!("gto=={GTO_VERSION}");
        run(
            &format!("`pip install {package}`"),
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input"])
                .arg(&package),
        )?;
        run("`gto --version`", Command::new(&gto).arg("--version"))?;
        Ok(package)
    })?;
    Ok(gto)
}
