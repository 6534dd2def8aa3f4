//! `mlx remote add`

use mlx::ops::remote_config::{self, AddOptions};

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;

/// Add a remote to mlx.toml (or, with --local, to this clone only)
///
/// URL forms: a directory (`/mnt/nas/mlx`, `../shared`, `file:///srv/mlx`), `s3://BUCKET/PREFIX`,
/// `gs://BUCKET/PREFIX`, `azure://[ACCOUNT@]CONTAINER/PREFIX`, `webdav://HOST/PATH` (`webdavs://`
/// for https), `http(s)://HOST/PATH` (read-only) and `ssh://[USER@]HOST[:PORT]/PATH` (or
/// `sftp://`; `/~/PATH` for a folder under the home folder). A URL with a password only goes to
/// .mlx/config.local.toml (--local), which git ignores.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx remote add storage s3://my-bucket/mlx --default\n  mlx remote add nas /mnt/shared/mlx-cache\n  mlx remote add dav webdavs://bob:PASSWORD@dav.example.com/mlx --local"
)]
pub struct AddArgs {
    /// Name of the remote: letters, digits, `_`, `.` and `-`
    name: String,
    /// Where the remote keeps its data
    url: String,
    /// Make it the default remote ([core] remote)
    #[arg(long)]
    default: bool,
    /// Write to .mlx/config.local.toml (this clone only, ignored by git) instead of mlx.toml
    #[arg(long)]
    local: bool,
    /// Replace a remote of the same name
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &AddArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = AddOptions {
        name: args.name.clone(),
        url: args.url.clone(),
        default: args.default,
        local: args.local,
        force: args.force,
        cwd: ctx.cwd().to_path_buf(),
    };
    let report = remote_config::add(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    for warning in &report.warnings {
        out.warn(warning);
    }
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let verb = if report.replaced { "replaced" } else { "added" };
    let place = if args.local { format!(" in {}", report.file) } else { String::new() };
    let default = if report.default { ", the default" } else { "" };
    out.status(&format!("{verb} remote '{}' ({}){place}{default}", report.name, report.url));
    Ok(ExitStatus::Success)
}
