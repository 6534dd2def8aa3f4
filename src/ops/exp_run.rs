//! `mlx exp run`: run the pipeline as a variant in an isolated workspace (see
//! `experiments::workspace`), with `--set` overrides applied there only, now or later from the
//! queue (`experiments::queue`). The user's work tree is never touched; the variant's runs go
//! into the project's database and its outputs into the cache, where `mlx exp list`, `mlx exp
//! apply` and the run cache find them.

use serde::Serialize;

use super::Result;
use crate::experiments::queue;
use crate::experiments::workspace::{self, Start};
use crate::pipeline::execute::{self, RunStagesOptions, RunStagesReport};
use crate::progress::Reporter;
use crate::project::Project;
use crate::tracking::experiments;

pub enum What {
    /// Run now, from the work tree as it is.
    Now,
    /// Record it in the queue, from the work tree as it is.
    Queue,
    /// Run the queue entry of this name, claimed for this process by `mlx exp queue start`.
    Queued(String),
}

pub struct ExpRunOptions {
    /// The experiment's name; a fresh `exp-XXXXXX` when `None`.
    pub name: Option<String>,
    /// What to run in the workspace, overrides included (a queued entry's replace them).
    pub stages: RunStagesOptions,
    pub what: What,
}

#[derive(Debug, Serialize)]
pub struct ExpRunReport {
    pub name: String,
    /// The commit the workspace started from (with the work tree's uncommitted changes).
    pub commit: String,
    /// False when the variant was only queued.
    pub ran: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunStagesReport>,
}

/// A name for an experiment: `exp-` and six hex digits, unused.
fn fresh_name(main: &Project) -> String {
    loop {
        let name = format!("exp-{:06x}", fastrand::u32(..0x0100_0000));
        if !in_use(main, &name) {
            return name;
        }
    }
}

/// Queued, running, or the name of a recorded experiment.
fn in_use(main: &Project, name: &str) -> bool {
    main.mlx_dir().join(workspace::DIR).join(name).exists()
        || queue::contains(main, name)
        || main
            .open_db()
            .ok()
            .is_some_and(|conn| matches!(experiments::taken_by(&conn, name), Ok(Some(_))))
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
    Err(invalid(format!(
        "experiment name {name:?}: use up to 64 letters, digits, '.', '_' and '-', not starting \
         with '.'"
    )))
}

fn invalid(message: String) -> super::Error {
    crate::tracking::Error::Invalid(message).into()
}

pub fn run(main: &Project, opts: ExpRunOptions, reporter: &dyn Reporter) -> Result<ExpRunReport> {
    let ExpRunOptions { name, mut stages, what } = opts;
    let (name, start) = match what {
        What::Queued(name) => {
            let entry = queue::claimed(main, &name)
                .ok_or_else(|| invalid(format!("no queued experiment {name} is claimed to run")))?;
            stages.set.clone_from(&entry.set);
            stages.targets.clone_from(&entry.stages);
            stages.force = entry.force;
            let start = entry.start();
            // An earlier attempt whose runner was killed recorded an experiment of this name.
            if let Some(renamed) = experiments::release_name(&main.open_db()?, &name)? {
                reporter.note(&format!(
                    "mlx: the earlier, unfinished attempt at {name} is now named {renamed}"
                ));
            }
            (name, start)
        }
        What::Now | What::Queue => {
            let name = match name {
                Some(n) => {
                    check_name(&n)?;
                    if in_use(main, &n) {
                        return Err(invalid(format!(
                            "an experiment named {n} is queued, running or recorded"
                        )));
                    }
                    n
                }
                None => fresh_name(main),
            };
            if matches!(what, What::Queue) {
                let entry = queue::add(main, &name, &stages.set, &stages.targets, stages.force)?;
                return Ok(ExpRunReport { name, commit: entry.commit, ran: false, run: None });
            }
            (name, Start::current(main)?)
        }
    };
    let result = run_in_workspace(main, &name, &start, stages, reporter);
    if queue::claimed(main, &name).is_some() {
        queue::finish(main, &name)?;
    }
    let run = result?;
    Ok(ExpRunReport { name, commit: start.commit, ran: true, run: Some(run) })
}

fn run_in_workspace(
    main: &Project,
    name: &str,
    start: &Start,
    mut stages: RunStagesOptions,
    reporter: &dyn Reporter,
) -> Result<RunStagesReport> {
    let ws = workspace::create(main, name, start, reporter)?;
    stages.name = Some(name.to_owned());
    stages.workspace = Some(name.to_owned());
    let result = execute::run(&ws.project, stages, reporter);
    let removed = ws.remove(main);
    let run = result?;
    removed?;
    Ok(run)
}
