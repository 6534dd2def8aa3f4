//! `mlx exp run`: run the pipeline as a variant in an isolated workspace (see
//! `experiments::workspace`), with `--set` overrides applied there only. The user's work tree is
//! never touched; the variant's runs go into the project's database and its outputs into the
//! cache, where `mlx exp list`, `mlx exp apply` and the run cache find them.

use serde::Serialize;

use super::Result;
use crate::experiments::workspace;
use crate::pipeline::execute::{self, RunStagesOptions, RunStagesReport};
use crate::progress::Reporter;
use crate::project::Project;

pub struct ExpRunOptions {
    /// The experiment's name; a fresh `exp-XXXXXX` when `None`.
    pub name: Option<String>,
    /// What to run in the workspace, overrides included.
    pub stages: RunStagesOptions,
}

#[derive(Debug, Serialize)]
pub struct ExpRunReport {
    pub name: String,
    /// The commit the workspace started from (with the work tree's uncommitted changes).
    pub commit: String,
    #[serde(flatten)]
    pub run: RunStagesReport,
}

/// A name for an experiment: `exp-` and six hex digits, unused in `.mlx/exps/`.
fn fresh_name(main: &Project) -> String {
    loop {
        let name = format!("exp-{:06x}", fastrand::u32(..0x0100_0000));
        if !main.mlx_dir().join(workspace::DIR).join(&name).exists() {
            return name;
        }
    }
}

/// A name is a folder name too: letters, digits, `.`, `_` and `-`, not starting with `.`.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        return Ok(());
    }
    Err(crate::tracking::Error::Invalid(format!(
        "experiment name {name:?}: use up to 64 letters, digits, '.', '_' and '-', not starting \
         with '.'"
    ))
    .into())
}

pub fn run(main: &Project, opts: ExpRunOptions, reporter: &dyn Reporter) -> Result<ExpRunReport> {
    workspace::clean_stale(main)?;
    let name = match opts.name {
        Some(n) => {
            check_name(&n)?;
            if main.mlx_dir().join(workspace::DIR).join(&n).exists() {
                return Err(crate::tracking::Error::Invalid(format!(
                    "an experiment named {n} is running"
                ))
                .into());
            }
            n
        }
        None => fresh_name(main),
    };
    let ws = workspace::create(main, &name, reporter)?;
    let commit = crate::tracking::launch::git_info(&ws.path).commit.unwrap_or_default();
    let result = execute::run(&ws.project, opts.stages, reporter);
    let removed = ws.remove(main);
    let run = result?;
    removed?;
    Ok(ExpRunReport { name, commit, run })
}
