//! `mlx install-hooks`

use mlx::ops::install_hooks::{self, InstallHooksOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Install git hooks that keep data in step with commits, and the merge driver
///
/// post-checkout and post-merge run `mlx checkout` for the new commit; pre-commit refuses a
/// commit while tracked data has changes not recorded with `mlx add`; pre-push pushes the data
/// of the commits being pushed to the default mlx remote (when the project has remotes). Hooks
/// already present are kept and run first.
/// The merge driver merges mlx.lock stage by stage and directory pointers file by file; it is
/// registered in .gitattributes (commit it) and in this clone's git config.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx install-hooks && git add .gitattributes\n  mlx install-hooks --uninstall"
)]
pub struct InstallHooksArgs {
    /// Remove mlx's hooks (restoring the ones they chained to) and the merge driver
    #[arg(long)]
    uninstall: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &InstallHooksArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let executable = std::env::current_exe()?;
    let report = install_hooks::run(
        project,
        &InstallHooksOptions { uninstall: args.uninstall, executable },
    )?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = report
        .hooks
        .iter()
        .map(|h| {
            let change =
                serde_json::to_value(h.change).ok().and_then(|v| v.as_str().map(str::to_owned));
            vec![h.name.to_owned(), change.unwrap_or_default().replace('_', " ")]
        })
        .collect();
    out.done_table(&[], &rows)?;
    out.status(&format!("hooks folder: {}", report.hooks_dir));
    if report.gitattributes_changed {
        out.hint("commit the merge driver's attributes: git add .gitattributes");
    }
    Ok(ExitStatus::Success)
}
