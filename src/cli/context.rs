//! Applies `-C`, finds the project lazily and owns the output and progress settings.

use std::cell::OnceCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mlx::progress::{NoProgress, Reporter};
use mlx::project::Project;

use super::output::Output;
use super::progress::Bars;

pub struct Context {
    cwd: PathBuf,
    output: Output,
    bars_allowed: bool,
    project: OnceCell<Project>,
}

impl Context {
    pub fn new(directory: Option<&Path>, quiet: bool, verbose: u8) -> anyhow::Result<Self> {
        let start = match directory {
            Some(d) => d.to_path_buf(),
            None => std::env::current_dir().context("cannot read the current directory")?,
        };
        // A `-C` folder that does not exist is a mistake in the command line (exit 2).
        let cwd = start.canonicalize().map_err(|e| {
            super::exit::UsageError(format!("cannot use directory {}: {e}", start.display()))
        })?;
        if !cwd.is_dir() {
            anyhow::bail!(super::exit::UsageError(format!(
                "{} is not a directory",
                start.display()
            )));
        }
        let bars_allowed = !quiet && verbose == 0 && std::io::stderr().is_terminal();
        Ok(Context { cwd, output: Output::new(quiet), bars_allowed, project: OnceCell::new() })
    }

    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    pub fn output(&self) -> &Output {
        &self.output
    }

    /// The project enclosing the working directory; an error outside one.
    pub fn project(&self) -> anyhow::Result<&Project> {
        if let Some(p) = self.project.get() {
            return Ok(p);
        }
        let project = match Project::discover(&self.cwd) {
            // A fresh clone of an mlx project: mlx.toml is committed, the per-clone `.mlx/`
            // folder is not. Set it up, as `mlx init` would, instead of making the user do it.
            Err(mlx::project::Error::NotInitialized { root })
                if root.join(mlx::config::PROJECT_FILE).is_file() =>
            {
                mlx::ops::init::run(&root)?;
                Project::open(root).map_err(mlx::ops::Error::from)?
            }
            other => other.map_err(mlx::ops::Error::from)?,
        };
        Ok(self.project.get_or_init(|| project))
    }

    /// The repository's root, with the project when it is one: for commands that need only
    /// git (the model registry lives in tags), so that they work before `mlx init`.
    pub fn repository(&self) -> anyhow::Result<(PathBuf, Option<&Project>)> {
        match self.project() {
            Ok(p) => Ok((p.root().to_path_buf(), Some(p))),
            Err(e) => match e.downcast_ref::<mlx::ops::Error>() {
                Some(mlx::ops::Error::Project(mlx::project::Error::NotInitialized { root })) => {
                    Ok((root.clone(), None))
                }
                _ => Err(e),
            },
        }
    }

    /// Progress bars on a terminal, nothing with `--json`, `-q` or `-v`.
    pub fn reporter(&self, json: bool) -> Box<dyn Reporter> {
        if self.bars_allowed && !json {
            Box::new(Bars::new(self.output.clone()))
        } else {
            Box::new(Notes(self.output.clone()))
        }
    }
}

/// No bars, but notes (such as waiting for a lock) still reach stderr.
struct Notes(Output);

impl Reporter for Notes {
    fn start(&self, label: &str, total: u64) {
        NoProgress.start(label, total);
    }
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
    fn note(&self, message: &str) {
        self.0.status(message);
    }
}
