//! `mlx gc`

use mlx::fs_util::human_size;
use mlx::ops::gc::{self, GcOptions};
use mlx::ops::remote_gc::{self, RemoteGcOptions};
use mlx::ops::transfer::Scope;

use super::context::Context;
use super::exit::{ExitStatus, UsageError};
use super::output::{FormatArgs, counted};

/// Delete cache objects that no pointer references
///
/// Keeps what the workspace's pointers reference, plus, when asked, what the tips of branches,
/// tags or every commit in history reference (remote-tracking branches count as branches).
/// Artifacts of runs are always kept. Everything else is deleted.
///
/// With --remote, the objects are deleted from that remote, which others may share: say what
/// to keep there with --all-commits (the safe choice), --all-branches, --all-tags or
/// --workspace.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx gc --dry-run\n  mlx gc --all-commits   # keep every version ever committed\n  mlx gc --remote storage --all-commits --dry-run"
)]
pub struct GcArgs {
    /// Keep only what the workspace references (the default without --remote)
    #[arg(long, conflicts_with_all = ["all_branches", "all_tags", "all_commits"])]
    workspace: bool,
    /// Also keep data referenced at the tip of every branch, local or remote-tracking
    #[arg(long)]
    all_branches: bool,
    /// Also keep data referenced by every tag
    #[arg(long)]
    all_tags: bool,
    /// Also keep data referenced by any commit in history
    #[arg(long)]
    all_commits: bool,
    /// Delete unreferenced objects on this remote instead of in the cache
    #[arg(short, long, value_name = "NAME", add = super::complete::remotes())]
    remote: Option<String>,
    /// Only report what would be deleted
    #[arg(short = 'n', long)]
    dry_run: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &GcArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let scope = Scope {
        all_branches: args.all_branches,
        all_tags: args.all_tags,
        all_commits: args.all_commits,
        ..Scope::default()
    };
    if let Some(remote) = &args.remote {
        return remote_gc(ctx, args, remote, scope);
    }
    let report = gc::run(
        project,
        &GcOptions { dry_run: args.dry_run, scope },
        ctx.reporter(args.format.json).as_ref(),
    )?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    for t in &report.unknown_manifests {
        out.warn(&format!(
            "{t}: its file list is not in the cache, so its files were not counted as used"
        ));
    }
    let counts = summary(
        report.dry_run,
        report.removed_objects,
        report.removed_bytes,
        report.kept_objects,
        report.kept_bytes,
    );
    // What a dry run would do is the data asked for; what a real run did is hidden by -q.
    if report.dry_run {
        out.line(&counts)?;
    } else {
        out.done_line(&counts)?;
    }
    if report.removed_profiles > 0 {
        out.status(&profiles_line(report.dry_run, report.removed_profiles));
    }
    if report.removed_experiment_refs > 0 {
        let verb = if report.dry_run { "would delete" } else { "deleted" };
        out.status(&format!(
            "{verb} {} of experiments the database no longer has",
            counted(report.removed_experiment_refs, "git ref")
        ));
    }
    Ok(ExitStatus::Success)
}

fn remote_gc(
    ctx: &Context,
    args: &GcArgs,
    remote: &str,
    scope: Scope,
) -> anyhow::Result<ExitStatus> {
    // A remote may hold what other clones and branches need: no default scope there.
    if !(args.workspace || args.all_branches || args.all_tags || args.all_commits) {
        anyhow::bail!(UsageError(
            "gc --remote deletes data that other clones may need; say what to keep: \
             --all-commits (what any commit of any branch or tag references: the safe choice), \
             --all-branches, --all-tags, or --workspace (only what this workspace references)"
                .into()
        ));
    }
    let project = ctx.project()?;
    let opts = RemoteGcOptions { remote: Some(remote.to_owned()), scope, dry_run: args.dry_run };
    let report = remote_gc::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let counts = summary(
        report.dry_run,
        report.removed_objects,
        report.removed_bytes,
        report.kept_objects,
        report.kept_bytes,
    );
    let line = format!("{} ({}): {counts}", report.remote, report.url);
    if report.dry_run {
        out.line(&line)?;
    } else {
        out.done_line(&line)?;
    }
    if report.removed_profiles > 0 {
        out.status(&profiles_line(report.dry_run, report.removed_profiles));
    }
    Ok(ExitStatus::Success)
}

/// "removed 2 data profiles whose data is no longer kept"
fn profiles_line(dry_run: bool, removed: u64) -> String {
    let verb = if dry_run { "would remove" } else { "removed" };
    format!("{verb} {} whose data is no longer kept", counted(removed, "data profile"))
}

/// "removed 3 objects (52 KiB), kept 305 objects (2.4 MiB)"
fn summary(dry_run: bool, removed: u64, removed_bytes: u64, kept: u64, kept_bytes: u64) -> String {
    let verb = if dry_run { "would remove" } else { "removed" };
    format!(
        "{verb} {} ({}), kept {} ({})",
        counted(removed, "object"),
        human_size(removed_bytes),
        counted(kept, "object"),
        human_size(kept_bytes)
    )
}
