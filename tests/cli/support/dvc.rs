//! The real DVC and DVCLive from PyPI, for the tests that check compatibility with DVC projects:
//! fixtures are made by DVC itself (`dvc init`, `dvc add`, `dvc repro`, `dvc push`) and by
//! scripts that log through DVCLive's API, never written by hand.
//!
//! The first test that needs them installs them: `python3 -m venv` in a folder of cargo's
//! per-target temp dir, then `pip install dvc==VERSION dvclive==VERSION` there, once for all the
//! tests running in parallel; later runs find it there (see `child::install_once`). Without
//! `python3` (3.10 or newer, with its `venv` module), or when pip cannot install the packages,
//! the tests fail and say what to install: they never skip.
//!
//! API:
//! - `dvc(dir) -> Command`: the `dvc` program of the virtual environment, run in `dir`, with
//!   DVC's analytics and update checks off and the environment's `bin` first on PATH (so a
//!   stage's `python` is the environment's, which has DVCLive).
//! - `python() -> &Path`: the environment's Python (it can `import dvclive`).
//! - `bin_dir() -> &Path`: the environment's `bin` folder, to put first on PATH of an `mlx run`
//!   whose stages run scripts that import DVCLive.
//! - `run_dvc(dir, args) -> String`: run DVC, panic with its output unless it succeeds; returns
//!   its stdout.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::child::install_pypi;

/// The DVC release the compatibility fixtures are made with.
pub const DVC_VERSION: &str = "3.67.1";
/// The DVCLive release the fixtures' training scripts log with.
pub const DVCLIVE_VERSION: &str = "3.49.1";

const PYTHON_NEEDED: &str = "The DVC compatibility tests run DVC and DVCLive from PyPI, which \
    need Python 3.10 or newer with its venv module as `python3` on PATH (e.g. `apt-get install \
    python3 python3-venv`); pip must be able to reach its package index the first time.";

/// The `bin` folder of the virtual environment holding DVC and DVCLive, installed on first use.
pub fn bin_dir() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(install) {
        Ok(bin) => bin,
        Err(message) => panic!("{message}"),
    }
}

/// The environment's Python, which can import DVCLive.
pub fn python() -> PathBuf {
    bin_dir().join("python")
}

/// PATH with the environment's `bin` first.
pub fn path_with_venv() -> OsString {
    let mut paths = vec![bin_dir().to_path_buf()];
    if let Some(old) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(paths).expect("PATH")
}

/// The `dvc` program, to run in `dir`.
pub fn dvc(dir: &Path) -> Command {
    let mut cmd = Command::new(bin_dir().join("dvc"));
    cmd.current_dir(dir)
        .env("PATH", path_with_venv())
        .env("DVC_NO_ANALYTICS", "1")
        .env("DVC_NO_UPDATER", "1")
        .env("DVC_IGNORE_ISATTY", "1")
        .env_remove("DVC_SITE_CACHE_DIR");
    cmd
}

/// Run DVC in `dir` with `args`; panic with what it printed unless it succeeds. Returns stdout.
pub fn run_dvc(dir: &Path, args: &[&str]) -> String {
    let out = dvc(dir).args(args).output().unwrap_or_else(|e| panic!("run dvc {args:?}: {e}"));
    assert!(
        out.status.success(),
        "dvc {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Install DVC and DVCLive into a virtual environment under cargo's per-target temp dir unless
/// they are already there.
fn install() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("dvc-{DVC_VERSION}-dvclive-{DVCLIVE_VERSION}"));
    let packages = [format!("dvc=={DVC_VERSION}"), format!("dvclive=={DVCLIVE_VERSION}")];
    install_pypi(
        &dir,
        &packages,
        "dvc",
        &[("dvc", &["version"]), ("python", &["-c", "import dvclive"])],
        PYTHON_NEEDED,
    )
}
