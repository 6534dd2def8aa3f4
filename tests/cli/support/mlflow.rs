//! MLflow's real client from PyPI (`mlflow-skinny`, with numpy and pandas for
//! `mlflow.pyfunc`), for the tests that log into mlx's MLflow endpoint. The first test that needs
//! it installs it into a virtual environment in cargo's per-target temp dir (see
//! `child::install_pypi`); later runs find it there.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::child::install_pypi;

/// The MLflow release the tests run.
pub const MLFLOW_VERSION: &str = "3.18.0";

const PYTHON_NEEDED: &str = "The MLflow tests run MLflow's client from PyPI, which needs Python \
    3.10 or newer with its venv module as `python3` on PATH (e.g. `apt-get install python3 \
    python3-venv`); pip must be able to reach its package index the first time.";

/// The `bin` folder of the virtual environment, installed on first use.
pub fn bin() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(install) {
        Ok(bin) => bin,
        Err(message) => panic!("{message}"),
    }
}

/// PATH with the environment's `bin` first.
pub fn path() -> std::ffi::OsString {
    let mut dirs = vec![bin().to_path_buf()];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).expect("PATH")
}

fn install() -> Result<PathBuf, String> {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mlflow-skinny-{MLFLOW_VERSION}"));
    let packages = [
        format!("mlflow-skinny=={MLFLOW_VERSION}"),
        "numpy==2.4.6".to_owned(),
        "pandas==3.1.1".to_owned(),
    ];
    let checks: &[(&str, &[&str])] = &[("python", &["-c", "import mlflow, mlflow.pyfunc"])];
    install_pypi(&dir, &packages, "python", checks, PYTHON_NEEDED)
}
