//! `mlx remote default`

use mlx::ops::remote_config::{self, SetDefaultOptions};

use super::super::context::Context;
use super::super::exit::{ExitStatus, UsageError};
use super::super::output::FormatArgs;

/// Show the default remote, or set it
///
/// Commands that take `-r NAME` use the default remote when no name is given, or the only
/// remote when there is just one.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx remote default             # print it\n  mlx remote default storage\n  mlx remote default --unset"
)]
pub struct DefaultArgs {
    /// The remote to make the default
    #[arg(add = super::super::complete::remotes())]
    name: Option<String>,
    /// Set it in .mlx/config.local.toml (this clone only) instead of mlx.toml
    #[arg(long)]
    local: bool,
    /// Clear the default
    #[arg(long, conflicts_with = "name")]
    unset: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &DefaultArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let out = ctx.output();
    if args.name.is_none() && !args.unset {
        if args.local {
            anyhow::bail!(UsageError("--local goes with a NAME to set, or --unset".into()));
        }
        let report = remote_config::show_default(project)?;
        if args.format.json {
            out.json(&report)?;
            return Ok(ExitStatus::Success);
        }
        match (&report.default, &report.resolved) {
            (Some(name), _) => out.line(name)?,
            (None, Some(only)) => {
                out.status(&format!("no default remote; commands use the only one, '{only}'"));
            }
            (None, None) => {
                out.status("no default remote");
                out.hint("choose one: mlx remote default NAME");
            }
        }
        return Ok(ExitStatus::Success);
    }
    let opts = SetDefaultOptions { name: args.name.clone(), local: args.local };
    let report =
        remote_config::set_default(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    for warning in &report.warnings {
        out.warn(warning);
    }
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    out.status(&match (&report.default, report.changed) {
        (Some(name), true) => format!("'{name}' is now the default remote (in {})", report.file),
        (Some(name), false) => format!("'{name}' is already the default remote"),
        (None, true) => format!("no default remote any more (cleared in {})", report.file),
        (None, false) => format!("no default remote was set in {}", report.file),
    });
    Ok(ExitStatus::Success)
}
