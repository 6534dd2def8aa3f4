//! `mlx push`, `mlx fetch` and `mlx pull`

use std::path::PathBuf;

use mlx::fs_util::human_size;
use mlx::ops::checkout::{self, CheckoutOptions};
use mlx::ops::fetch::{self, FetchReport};
use mlx::ops::push;
use mlx::ops::transfer::{Scope, TransferOptions};
use mlx::work_tree::tracked::Source;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, Output, counted, counted_as};

/// Which data to move: paths, remote, commits, parallelism.
#[derive(clap::Args)]
pub struct TransferArgs {
    /// Only these tracked paths (or their .mlx pointers)
    #[arg(value_name = "PATH", add = super::complete::paths())]
    paths: Vec<PathBuf>,
    /// The remote (default: `[core] remote`, or the only one)
    #[arg(short, long, value_name = "NAME", add = super::complete::remotes())]
    remote: Option<String>,
    /// The data of this commit, branch or tag instead of the workspace
    #[arg(long, value_name = "REV", conflicts_with_all = ["all_branches", "all_tags", "all_commits"])]
    rev: Option<String>,
    /// Also the data at the tip of every local branch
    #[arg(long)]
    all_branches: bool,
    /// Also the data of every tag
    #[arg(long)]
    all_tags: bool,
    /// Also the data of every commit in history
    #[arg(long)]
    all_commits: bool,
    /// Parallel transfers (default: the remote's `jobs` setting, else 32)
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Also run records (params, metrics, tags, artifacts) so teammates see them in `mlx exp list`
    #[arg(long)]
    runs: bool,
    #[command(flatten)]
    format: FormatArgs,
}

impl TransferArgs {
    /// What `mlx push` and `mlx fetch` take.
    fn options(&self, ctx: &Context) -> TransferOptions {
        TransferOptions {
            cwd: ctx.cwd().to_path_buf(),
            paths: self.paths.clone(),
            remote: self.remote.clone(),
            scope: self.scope(),
            jobs: self.jobs.map(usize::from),
            runs: self.runs,
            repair: false,
        }
    }

    fn scope(&self) -> Scope {
        Scope {
            rev: self.rev.clone(),
            commits: Vec::new(),
            all_branches: self.all_branches,
            all_tags: self.all_tags,
            all_commits: self.all_commits,
            remote_branches: false,
        }
    }
}

/// Upload the data (and with --runs, run records) the remote lacks
///
/// Sends the cache objects that the workspace's pointers and mlx.lock reference, or those of
/// the commits chosen with --rev / --all-*. Objects already on the remote are skipped
/// (checked by listing), so a rerun after an interruption continues where it stopped.
/// --repair re-reads what the remote has and replaces damaged copies.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx push\n  mlx push -r storage data/images\n  mlx push --all-branches --runs\n  mlx push --repair   # after a fetch reported damaged objects"
)]
pub struct PushArgs {
    #[command(flatten)]
    args: TransferArgs,
    /// Re-read the remote's copy of every object it has (a full download) and replace those
    /// whose bytes are wrong, and any missing from a directory it has
    #[arg(long)]
    repair: bool,
}

/// Download the data (and with --runs, run records) the cache lacks
///
/// Every object is re-hashed on arrival; a corrupt or truncated one never enters the cache.
/// The workspace is not changed: `mlx checkout` (or `mlx pull`) places the data.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx fetch\n  mlx fetch --rev v1.0 data/images\n  mlx fetch --runs   # teammates' experiments into mlx exp list"
)]
pub struct FetchArgs {
    #[command(flatten)]
    args: TransferArgs,
}

/// Fetch, then check out: make the workspace's data match its pointers
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  git clone URL && cd REPO && mlx pull\n  mlx pull data/images --force"
)]
pub struct PullArgs {
    #[command(flatten)]
    args: TransferArgs,
    /// Overwrite or delete workspace changes that are not saved in the cache
    #[arg(short, long)]
    force: bool,
}

pub fn push(ctx: &Context, p: &PushArgs) -> anyhow::Result<ExitStatus> {
    let a = &p.args;
    let project = ctx.project()?;
    let opts = TransferOptions { repair: p.repair, ..a.options(ctx) };
    let report = push::run(project, &opts, ctx.reporter(a.format.json).as_ref())?;
    let out = ctx.output();
    if a.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    for path in &report.missing_locally {
        out.warn(&format!("{path}: not (fully) in this clone's cache, so not pushed"));
    }
    out.done_line(&format!(
        "pushed {} ({}) to {} ({}); {} already there",
        counted(report.uploaded, "object"),
        human_size(report.uploaded_bytes),
        report.remote,
        report.url,
        report.already_there
    ))?;
    if p.repair {
        let damaged = report.damaged.len();
        out.line(&format!(
            "read back {} on the remote: {damaged} damaged{}",
            counted(report.verified, "object"),
            if damaged > 0 { ", replaced" } else { "" }
        ))?;
    }
    if report.profiles_uploaded > 0 {
        out.done_line(&format!("pushed {}", counted(report.profiles_uploaded, "data profile")))?;
    }
    if a.runs {
        out.done_line(&format!(
            "pushed {}; {} already there",
            counted(report.runs_uploaded, "run record"),
            report.runs_already_there
        ))?;
    }
    if report.stage_results_uploaded > 0 {
        out.done_line(&format!(
            "published {} to the remote's stage cache; {} already there",
            counted(report.stage_results_uploaded, "stage result"),
            report.stage_results_already_there
        ))?;
    }
    Ok(ExitStatus::Success)
}

pub fn fetch(ctx: &Context, a: &FetchArgs) -> anyhow::Result<ExitStatus> {
    let a = &a.args;
    let project = ctx.project()?;
    let report = fetch::run(project, &a.options(ctx), ctx.reporter(a.format.json).as_ref())?;
    let out = ctx.output();
    if a.format.json {
        out.json(&report)?;
    } else {
        print_fetch(out, &report, a.runs)?;
    }
    Ok(fetch_status(&report))
}

/// 0 when everything arrived; 3 when the remote holds damaged objects; else 1 (objects it
/// lacks).
fn fetch_status(report: &FetchReport) -> ExitStatus {
    if !report.corrupt_on_remote.is_empty() {
        ExitStatus::RemoteFailed
    } else if report.is_complete() {
        ExitStatus::Success
    } else {
        ExitStatus::CheckFailed
    }
}

fn print_fetch(out: &Output, report: &FetchReport, runs: bool) -> anyhow::Result<()> {
    for why in &report.invalid_run_records {
        out.warn(&format!("skipped {why}"));
    }
    if runs {
        out.done_line(&format!(
            "merged {} ({})",
            counted(report.runs_merged, "run record"),
            counted_as(report.runs_new, "new run", "new runs")
        ))?;
    }
    if report.profiles_fetched > 0 {
        out.done_line(&format!("fetched {}", counted(report.profiles_fetched, "data profile")))?;
    }
    if !report.remote.is_empty() {
        out.done_line(&format!(
            "fetched {} ({}) from {} ({}); {} already in the cache",
            counted(report.downloaded - report.from_origins, "object"),
            human_size(report.downloaded_bytes),
            report.remote,
            report.url,
            report.already_cached
        ))?;
    }
    if report.from_origins > 0 || report.remote.is_empty() {
        out.done_line(&format!(
            "fetched {} of imported data from the remotes of the repositories it came from",
            counted(report.from_origins, "object"),
        ))?;
    }
    for f in &report.origin_failures {
        out.warn(&format!("{} (imported from {}): {}", f.path, f.repo, f.error));
    }
    if !report.missing_on_remote.is_empty() {
        let n = report.missing_on_remote.len();
        out.warn(&format!("{} not on the remote:", counted_as(n, "object is", "objects are")));
        for id in report.missing_on_remote.iter().take(10) {
            out.detail(id);
        }
        if report.missing_on_remote.len() > 10 {
            out.detail(&format!("... and {} more", report.missing_on_remote.len() - 10));
        }
    }
    for d in &report.unknown_directories {
        out.warn(&format!("{d}: its file list is neither in the cache nor on the remote"));
    }
    if !report.corrupt_on_remote.is_empty() {
        let n = report.corrupt_on_remote.len() as u64;
        out.error(&format!(
            "{} on remote '{}' {} damaged, so not fetched:",
            counted(n, "object"),
            report.remote,
            if n == 1 { "is" } else { "are" }
        ));
        for d in report.corrupt_on_remote.iter().take(10) {
            let why = match (d.problem, d.expected_size) {
                ("truncated", Some(expected)) => {
                    format!("truncated: {} of {expected} bytes", d.size)
                }
                _ => format!("corrupt: its content hashes to {}", d.actual),
            };
            out.detail(&format!("{}  {why}", d.id));
        }
        if n > 10 {
            out.detail(&format!("... and {} more", n - 10));
        }
    }
    if !report.is_complete() {
        out.hint(&mlx::remote::error::repair_hint(&report.remote));
    }
    Ok(())
}

pub fn pull(ctx: &Context, p: &PullArgs) -> anyhow::Result<ExitStatus> {
    let a = &p.args;
    let project = ctx.project()?;
    let reporter = ctx.reporter(a.format.json);
    let fetched = fetch::run(project, &a.options(ctx), reporter.as_ref())?;
    let opts = CheckoutOptions {
        cwd: ctx.cwd().to_path_buf(),
        paths: a.paths.clone(),
        source: a.rev.clone().map_or(Source::Workspace, Source::Revision),
        force: p.force,
    };
    let checked = checkout::run(project, &opts, reporter.as_ref())?;
    let out = ctx.output();
    let status = match fetch_status(&fetched) {
        ExitStatus::Success if !checked.is_complete() => ExitStatus::CheckFailed,
        status => status,
    };
    if a.format.json {
        out.json(&serde_json::json!({ "fetch": fetched, "checkout": checked }))?;
        return Ok(status);
    }
    print_fetch(out, &fetched, a.runs)?;
    if !checked.conflicts.is_empty() {
        out.error(
            "checkout would lose changes that are not saved in the cache; nothing was changed:",
        );
        for c in &checked.conflicts {
            out.detail(&format!("{}  {}", c.path, c.reason));
        }
        out.hint("save them with `mlx add PATH`, or discard them with `mlx pull --force`");
        return Ok(if status == ExitStatus::RemoteFailed {
            status
        } else {
            ExitStatus::CheckFailed
        });
    }
    let restored: u64 = checked.paths.iter().map(|p| p.restored).sum();
    let removed: u64 = checked.paths.iter().map(|p| p.removed).sum();
    out.done_line(&format!(
        "checked out: {} restored, {removed} removed",
        counted(restored, "file")
    ))?;
    Ok(status)
}
