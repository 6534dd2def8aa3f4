//! `mlx status`

use std::path::PathBuf;

use mlx::ops::remote_status::{self, RemoteStatusOptions};
use mlx::ops::status::{self, ChangeKind, State, StatusOptions};
use mlx::work_tree::tracked;

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted};

/// Show tracked data that is modified, missing or not in the cache, and stale stages
///
/// Lists only what is not clean; --json lists every tracked path. Pipeline stages that
/// `mlx run` would run are listed with the reason (a dep or param changed, an out is missing).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx status\n  mlx status --check   # exit 1 unless clean (git hooks, CI)\n  mlx status --remote storage --check   # exit 1 unless everything is pushed"
)]
pub struct StatusArgs {
    /// Only these tracked paths (or their .mlx pointers)
    #[arg(value_name = "PATH", add = super::complete::paths())]
    paths: Vec<PathBuf>,
    /// Exit with 1 when anything is not clean
    #[arg(long)]
    check: bool,
    /// Compare the cache with this remote instead: what is not pushed, or not fetched
    #[arg(short, long, value_name = "NAME", add = super::complete::remotes())]
    remote: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &StatusArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    if let Some(remote) = &args.remote {
        return remote_status(ctx, args, remote);
    }
    let targets = tracked::resolve_args(project, ctx.cwd(), &args.paths)?;
    if project.config().core.watch == Some(true) {
        super::watch::ensure_running(ctx);
    }
    let report =
        status::run(project, &StatusOptions { targets }, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        let unclean: Vec<_> = report.paths.iter().filter(|p| !p.is_clean()).collect();
        let state_of = |p: &status::PathStatus| match p.state {
            State::Unchanged => "unchanged",
            State::Modified => "modified",
            State::Missing => "missing",
        };
        let state_width = unclean.iter().map(|p| state_of(p).len()).max().unwrap_or(0);
        let path_width = unclean.iter().map(|p| p.path.chars().count()).max().unwrap_or(0);
        for p in unclean {
            let mut note = Vec::new();
            if !p.changes.is_empty() {
                let n = p.changes.len();
                note.push(counted(n, "change"));
            }
            if !p.manifest_in_cache {
                note.push("file list not in cache".to_owned());
            } else if p.missing_objects > 0 {
                note.push(format!("{} not in cache", counted(p.missing_objects, "object")));
            }
            let line = format!(
                "{:<state_width$}  {:<path_width$}  {}",
                state_of(p),
                p.path,
                note.join(", ")
            );
            out.line(line.trim_end())?;
            for c in &p.changes {
                let kind = match c.change {
                    ChangeKind::Added => "added:",
                    ChangeKind::Modified => "modified:",
                    ChangeKind::Deleted => "deleted:",
                };
                out.line(&format!("  {kind} {}", c.path))?;
            }
        }
        for st in &report.stages {
            let why: Vec<String> = st.reasons.iter().map(ToString::to_string).collect();
            out.line(&format!("stale     stage {}  {}", st.stage, why.join(", ")))?;
        }
        let count = |s: State| report.paths.iter().filter(|p| p.state == s).count();
        let summary = format!(
            "{} tracked: {} unchanged, {} modified, {} missing",
            report.paths.len(),
            count(State::Unchanged),
            count(State::Modified),
            count(State::Missing)
        );
        out.status(&summary);
        if !report.stages.is_empty() {
            out.status(&format!("{} would run", counted(report.stages.len(), "stage")));
            out.hint("bring them up to date with `mlx run` (`mlx run --dry-run` shows the plan)");
        }
        let damaged: Vec<_> = report.paths.iter().flat_map(|p| &p.damaged_objects).collect();
        for d in &damaged {
            out.warn(&format!(
                "{} was edited in place while hardlinked to the cache: its recorded version \
                 (object {}) is damaged too",
                d.path,
                d.object.short()
            ));
        }
        if !damaged.is_empty() {
            out.hint(
                "run `mlx cache verify` to set the damaged objects aside; then `mlx add PATH` keeps \
                 the edit, or `mlx fetch PATH && mlx checkout --force PATH` brings the recorded \
                 version back from a remote",
            );
        }
        warn_uncommitted(out, &report.uncommitted, false);
        if report.paths.iter().any(|p| p.state == State::Modified) {
            out.hint("record changes with `mlx add PATH`, or discard them with `mlx checkout --force PATH`");
        } else if report.paths.iter().any(|p| p.state == State::Missing) {
            out.hint("restore missing data with `mlx checkout`");
        }
    }
    Ok(if args.check && !report.is_clean() { ExitStatus::CheckFailed } else { ExitStatus::Success })
}

fn remote_status(ctx: &Context, args: &StatusArgs, remote: &str) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = RemoteStatusOptions {
        cwd: ctx.cwd().to_path_buf(),
        paths: args.paths.clone(),
        remote: Some(remote.to_owned()),
    };
    let report = remote_status::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        let rows: Vec<Vec<String>> = report
            .paths
            .iter()
            .filter(|p| p.state != "in sync")
            .map(|p| {
                let mut note = Vec::new();
                if p.local_only > 0 {
                    note.push(format!("{} only local", p.local_only));
                }
                if p.remote_only > 0 {
                    note.push(format!("{} only on the remote", p.remote_only));
                }
                if p.neither > 0 {
                    note.push(format!("{} in neither", p.neither));
                }
                vec![p.state.to_owned(), p.path.clone(), note.join(", ")]
            })
            .collect();
        out.table(&[], &rows)?;
        out.status(&format!(
            "{} ({}): {}, {} only local, {} only on the remote, {} in neither",
            report.remote,
            report.url,
            counted(report.objects, "object"),
            report.local_only,
            report.remote_only,
            report.neither
        ));
        if report.local_only > 0 {
            let r = &report.remote;
            out.hint(&format!(
                "send them with `mlx push -r {r}`; if it finds them already there, the remote's \
                 copies are damaged: `mlx push --repair -r {r}`"
            ));
        } else if report.remote_only > 0 {
            out.hint(&format!("get them with `mlx pull -r {}`", report.remote));
        }
    }
    Ok(if args.check && !report.is_clean() { ExitStatus::CheckFailed } else { ExitStatus::Success })
}

/// Pointers and `mlx.lock` that git does not hold as they are, with the command that commits
/// them: against HEAD for `mlx status`, against the index (`staged`) for the pre-commit hook.
pub fn warn_uncommitted(
    out: &super::output::Output,
    files: &[status::UncommittedFile],
    staged: bool,
) {
    if files.is_empty() {
        return;
    }
    for f in files {
        let what = match (f.state, staged) {
            (mlx::git::Uncommitted::Untracked, _) => "is not in git",
            (mlx::git::Uncommitted::Changed, false) => "has changes that are not committed",
            (mlx::git::Uncommitted::Changed, true) => "has changes that are not staged",
        };
        let effect = if staged { "this commit leaves it out" } else { "clones will not get it" };
        out.advise(&format!("{} {what}: {effect}", f.path));
    }
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let commit = if staged { "" } else { " && git commit" };
    out.hint(&format!("git add {}{commit}", paths.join(" ")));
}
