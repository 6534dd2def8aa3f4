//! The real MLflow from PyPI, for the tests of `mlx import mlflow`: tracking stores (a file
//! store and a SQLite database) are filled by MLflow's own API (`tests/fixtures/mlflow/
//! make_store.py`), never written by hand. The full `mlflow` package, since `mlflow-skinny`
//! lacks SQLAlchemy and Alembic, which the SQLite store needs.
//!
//! The first test that needs it installs it (`python3 -m venv`, then `pip install mlflow==…`,
//! in cargo's per-target temp dir, once for all tests; see `child::install_pypi`). Without
//! Python 3.10 or newer with its venv module, or when pip cannot reach its index, the tests
//! fail and say what to install: they never skip.
//!
//! API:
//! - `make_store(uri, dir, commit)`: run the fixture script with tracking URI `uri` in `dir`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::child::install_pypi;

/// The MLflow release the fixtures are made with.
pub const MLFLOW_VERSION: &str = "3.17.2";

const PYTHON_NEEDED: &str = "The MLflow import tests run MLflow from PyPI, which needs Python \
    3.10 or newer with its venv module as `python3` on PATH (e.g. `apt-get install python3 \
    python3-venv`); pip must be able to reach its package index the first time.";

/// The environment's Python, which can import MLflow; installed on first use.
pub fn python() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(install) {
        Ok(bin) => bin.join("python"),
        Err(message) => panic!("{message}"),
    }
}

fn install() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mlflow-{MLFLOW_VERSION}"));
    let packages = [format!("mlflow=={MLFLOW_VERSION}")];
    install_pypi(
        &dir,
        &packages,
        "mlflow",
        &[("python", &["-c", "import mlflow, sqlalchemy, alembic"])],
        PYTHON_NEEDED,
    )
}

/// Fill the store at tracking URI `uri` with the fixture script, run in `dir` (which it writes
/// scratch files into); `commit` is recorded as the runs' `mlflow.source.git.commit`.
pub fn make_store(uri: &str, dir: &Path, commit: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mlflow/make_store.py");
    std::fs::create_dir_all(dir).expect("create the store's folder");
    let out = std::process::Command::new(python())
        .arg(&script)
        .args([uri, commit])
        .current_dir(dir)
        // MLflow 3.7+ refuses new file stores unless told this.
        .env("MLFLOW_ALLOW_FILE_STORE", "true")
        .env_remove("MLFLOW_TRACKING_URI")
        .env("GIT_PYTHON_REFRESH", "quiet")
        .output()
        .expect("run the MLflow fixture script");
    assert!(
        out.status.success(),
        "make_store.py {uri} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
