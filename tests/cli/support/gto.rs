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

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::TestProject;
use super::child::install_pypi;

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
    let packages = [format!("gto=={GTO_VERSION}")];
    let bin = install_pypi(&dir, &packages, "gto", &[("gto", &["--version"])], PYTHON_NEEDED)?;
    Ok(bin.join("gto"))
}
