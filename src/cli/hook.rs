//! `mlx hook NAME [ARGS]...`: what the installed git hooks and the merge driver call. Hidden:
//! users run `mlx install-hooks`, git runs these.

use std::path::PathBuf;

use mlx::ops::checkout::{self, CheckoutOptions};
use mlx::ops::merge;
use mlx::ops::status::{self, State, StatusOptions};
use mlx::project_path::RelPath;
use mlx::work_tree::tracked::{self, Source};

use super::context::Context;
use super::exit::{ExitStatus, UsageError};
use super::output::{counted, noun_for};

/// Run the mlx step of a git hook (called by the scripts `mlx install-hooks` installs)
#[derive(clap::Args)]
pub struct HookArgs {
    /// post-checkout, post-merge, pre-commit, pre-push or merge
    name: String,
    /// The arguments git passed to the hook
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(ctx: &Context, args: &HookArgs) -> anyhow::Result<ExitStatus> {
    // Hooks are shared by every worktree of a repository; one where `mlx init` has not run yet
    // (such as a worktree `git worktree add` is creating) has no data to keep in step, and git
    // must not fail because of it.
    let git_hook =
        matches!(args.name.as_str(), "post-checkout" | "post-merge" | "pre-commit" | "pre-push");
    if git_hook && !is_mlx_work_tree(ctx) {
        ctx.output().status(&format!(
            "mlx: skipping the {} hook: this work tree is not an mlx project (run `mlx init`)",
            args.name
        ));
        return Ok(ExitStatus::Success);
    }
    match args.name.as_str() {
        "post-checkout" | "post-merge" => sync_data(ctx),
        "pre-commit" => pre_commit(ctx),
        "pre-push" => pre_push(ctx, &args.args),
        "merge" => merge_driver(ctx, &args.args),
        other => Err(UsageError(format!("unknown hook {other:?}")).into()),
    }
}

/// Before `git push`: push the data of the commits being pushed to the default mlx remote, so
/// that nobody receives commits whose data they cannot pull. Git passes the remote's name and
/// gives one line per ref on stdin: `<local ref> <local sha> <remote ref> <remote sha>`; the
/// commits sent are those reachable from the local sha but not from the remote sha or the
/// remote's tracking branches.
fn pre_push(ctx: &Context, args: &[String]) -> anyhow::Result<ExitStatus> {
    use std::io::BufRead;
    let project = ctx.project()?;
    let out = ctx.output();
    // A project without remotes keeps its data local: nothing to do, nothing to say.
    if project.config().remotes.is_empty() {
        return Ok(ExitStatus::Success);
    }
    let repo = mlx::git::Repo::open(project.root())?;
    let git_remote = args.first().map(String::as_str);
    let mut commits: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, local, _, remote] = fields[..] else { continue };
        // A deleted ref has an all-zero sha: nothing to push for it.
        if local.bytes().all(|b| b == b'0') {
            continue;
        }
        for c in repo.commits_to_push(local, &[remote.to_owned()], git_remote)? {
            if seen.insert(c.clone()) {
                commits.push(c);
            }
        }
    }
    if commits.is_empty() {
        return Ok(ExitStatus::Success);
    }
    let pushed_commits = commits.len() as u64;
    let opts = mlx::ops::push::PushOptions {
        cwd: project.root().to_path_buf(),
        paths: Vec::new(),
        remote: None,
        scope: mlx::ops::transfer::Scope { commits, ..Default::default() },
        jobs: None,
        runs: false,
        repair: false,
    };
    let report = mlx::ops::push::run(project, &opts, ctx.reporter(false).as_ref()).map_err(|e| {
        anyhow::Error::new(e)
            .context("mlx: could not push the data of the pushed commits (skip with git push --no-verify)")
    })?;
    for path in &report.missing_locally {
        out.warn(&format!("mlx: {path}: not in this clone's cache, so not pushed"));
    }
    if report.uploaded > 0 {
        out.status(&format!(
            "mlx: pushed {} of {} to {}",
            counted(report.uploaded, "object"),
            counted(pushed_commits, "commit"),
            report.remote
        ));
    }
    Ok(ExitStatus::Success)
}

/// Whether the git work tree around the working directory has a `.mlx/` folder.
fn is_mlx_work_tree(ctx: &Context) -> bool {
    mlx::git::discover_workdir(ctx.cwd())
        .is_ok_and(|root| root.join(mlx::project::MLX_DIR).is_dir())
}

fn sync_data(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = CheckoutOptions {
        cwd: project.root().to_path_buf(),
        paths: Vec::new(),
        source: Source::Workspace,
        force: false,
    };
    let report = checkout::run(project, &opts, ctx.reporter(false).as_ref())?;
    let out = ctx.output();
    if !report.conflicts.is_empty() {
        out.warn("mlx left some tracked data as it was: it has changes that are not in the cache");
        for c in &report.conflicts {
            out.detail(&format!("{}  {}", c.path, c.reason));
        }
        out.hint("record them with `mlx add`, or discard them with `mlx checkout --force`");
        return Ok(ExitStatus::CheckFailed);
    }
    let changed: u64 = report.paths.iter().map(|p| p.restored + p.removed).sum();
    if changed > 0 {
        out.status(&format!(
            "mlx: updated tracked data ({}) to match the checkout",
            counted(changed, "file")
        ));
    }
    let missing: usize = report.paths.iter().map(|p| p.missing_objects.len()).sum();
    if missing > 0 {
        out.warn(&format!(
            "mlx: {} this commit needs {} not in the cache",
            counted(missing, "object"),
            noun_for(missing, "is", "are")
        ));
        return Ok(ExitStatus::CheckFailed);
    }
    Ok(ExitStatus::Success)
}

fn pre_commit(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let report =
        status::run(project, &StatusOptions { targets: Vec::new() }, ctx.reporter(false).as_ref())?;
    let modified: Vec<_> = report.paths.iter().filter(|p| p.state == State::Modified).collect();
    let out = ctx.output();
    if modified.is_empty() {
        // What this commit leaves out: a teammate's clone would miss the data or the results.
        let all = tracked::load(project, Vec::new())?;
        let unstaged = status::uncommitted_files(project, &all, true)?;
        super::status::warn_uncommitted(out, &unstaged, true);
        return Ok(ExitStatus::Success);
    }
    out.error("tracked data changed but its pointer was not updated:");
    for p in &modified {
        out.detail(&p.path);
    }
    out.hint(&format!(
        "record it with `mlx add {}` and stage the pointer, or commit with --no-verify",
        modified.iter().map(|p| p.path.as_str()).collect::<Vec<_>>().join(" ")
    ));
    Ok(ExitStatus::CheckFailed)
}

/// `merge BASE OURS THEIRS PATH`: git's merge-driver protocol. The result replaces OURS; exit 0
/// for a clean merge, 1 for a conflict.
fn merge_driver(ctx: &Context, args: &[String]) -> anyhow::Result<ExitStatus> {
    let [base, ours, theirs, path] = args else {
        return Err(UsageError("the merge driver takes BASE OURS THEIRS PATH".into()).into());
    };
    let read = |p: &str| fs_err::read_to_string(p);
    let (base_text, ours_text, theirs_text) = (read(base)?, read(ours)?, read(theirs)?);
    let rel = RelPath::new(PathBuf::from(path))?;
    let report = if rel.file_name() == "mlx.lock" {
        merge::merge_lock(&base_text, &ours_text, &theirs_text)
    } else {
        let target = mlx::store::pointer::target_of(&rel)
            .ok_or_else(|| UsageError(format!("{path} is neither mlx.lock nor a pointer")))?;
        merge::merge_pointer(ctx.project()?, &target, &base_text, &ours_text, &theirs_text)?
    };
    mlx::fs_util::write_atomic(std::path::Path::new(ours), report.text.as_bytes())?;
    let out = ctx.output();
    if let Some(why) = &report.unmergeable {
        out.warn(&format!("mlx: cannot merge {path}: {why}; keeping our version"));
        return Ok(ExitStatus::CheckFailed);
    }
    if !report.conflicts.is_empty() {
        out.warn(&format!("mlx: {path}: changed differently on both sides:"));
        for c in &report.conflicts {
            out.detail(c);
        }
        out.hint("our version is kept for those; pick one and rerun what produced it");
        return Ok(ExitStatus::CheckFailed);
    }
    Ok(ExitStatus::Success)
}
