//! `mlx remote list`

use mlx::ops::remote_config;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;

/// List remotes: URL (passwords redacted), where each is defined, and its options
///
/// DEFINED IN says which file has its table: project (mlx.toml), local
/// (.mlx/config.local.toml) or both (local keys win). Secrets show as ***.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx remote list\n  mlx remote list --json | jq -r '.remotes[].name'"
)]
pub struct ListArgs {
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ListArgs) -> anyhow::Result<ExitStatus> {
    let report = remote_config::list(ctx.project()?)?;
    let out = ctx.output();
    for warning in &report.warnings {
        out.warn(warning);
    }
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    if report.remotes.is_empty() {
        out.status("no remotes");
        out.hint("add one: mlx remote add NAME URL --default");
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = report
        .remotes
        .iter()
        .map(|r| {
            let name = if r.default { format!("{} (default)", r.name) } else { r.name.clone() };
            let options: Vec<String> = r
                .options
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect();
            vec![
                name,
                r.url.clone().unwrap_or_else(|| "-".into()),
                r.defined_in.as_str().to_owned(),
                options.join(" "),
            ]
        })
        .collect();
    out.table(&["NAME", "URL", "DEFINED IN", "OPTIONS"], &rows)?;
    Ok(ExitStatus::Success)
}
