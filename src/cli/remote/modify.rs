//! `mlx remote modify`

use std::io::BufRead;

use mlx::ops::remote_config::{self, KEYS, ModifyOptions};

use super::super::context::Context;
use super::super::exit::{ExitStatus, UsageError};
use super::super::output::FormatArgs;

/// Set or unset one option of a remote
///
/// Options: url, endpoint (S3-compatible server, e.g. http://127.0.0.1:9000), region, profile
/// (of ~/.aws/config and ~/.aws/credentials), path_style (true/false), user, jobs (parallel
/// transfers); for SSH remotes port, key_file (a private key) and strict_host_key_checking
/// (yes, or accept-new to record the key of a server not yet in ~/.ssh/known_hosts); and the
/// secrets access_key_id, secret_access_key, session_token, password, token (a GCS access token)
/// and passphrase (of an SSH key_file), which are only accepted with --local. A VALUE of `-` is
/// read from stdin, so that a secret stays out of the shell history.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx remote modify storage endpoint http://127.0.0.1:9000\n  mlx remote modify storage secret_access_key - --local < secret.txt\n  mlx remote modify storage region --unset"
)]
pub struct ModifyArgs {
    /// The remote
    #[arg(add = super::super::complete::remotes())]
    name: String,
    /// The option to change
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(KEYS))]
    key: String,
    /// The new value (`-`: read it from stdin)
    #[arg(required_unless_present = "unset")]
    value: Option<String>,
    /// Edit .mlx/config.local.toml (this clone only, ignored by git) instead of mlx.toml
    #[arg(long)]
    local: bool,
    /// Remove the option instead of setting it
    #[arg(long, conflicts_with = "value")]
    unset: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ModifyArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let value = match args.value.as_deref() {
        Some("-") => Some(read_stdin_line()?),
        other => other.map(str::to_owned),
    };
    let opts = ModifyOptions {
        name: args.name.clone(),
        key: args.key.clone(),
        value,
        local: args.local,
        cwd: ctx.cwd().to_path_buf(),
    };
    let report = remote_config::modify(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let (name, key, file) = (&report.name, &report.key, &report.file);
    out.status(&match (&report.value, report.changed) {
        (Some(v), true) => format!("remote '{name}': {key} = {v} (in {file})"),
        (Some(_), false) => format!("remote '{name}': {key} already has that value (in {file})"),
        (None, true) => format!("remote '{name}': {key} unset (in {file})"),
        (None, false) => format!("remote '{name}': {key} was not set in {file}"),
    });
    Ok(ExitStatus::Success)
}

/// One line of stdin without its line end.
fn read_stdin_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let value = line.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        anyhow::bail!(UsageError("VALUE `-` reads the value from stdin, which was empty".into()));
    }
    Ok(value)
}
