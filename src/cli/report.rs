//! `mlx report`

use std::path::PathBuf;

use mlx::ops::report::{self, Format, ReportRunOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Report metrics, params and plots against a base revision, for a pull request
///
/// Compares the workspace (after `mlx run`) with the base revision (default HEAD; in CI the
/// branch the pull request targets, e.g. `--base origin/main`): every metric with its change,
/// the params that changed, and the plots whose data changed drawn with both sides. Markdown by
/// default, for a pull-request comment; `--html` for one self-contained page. Without `-o` the
/// document goes to stdout; with `-o DIR`, markdown goes to DIR/report.md with the plots as SVG
/// files in DIR/plots/ beside it (no image host needed), HTML to DIR/report.html with
/// everything inlined. The base's cached metrics and plots files are read from the cache: run
/// `mlx fetch --rev BASE` first on a fresh clone.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx report                              # HEAD vs workspace, markdown on stdout\n  mlx report --base origin/main -o report # report/report.md + report/plots/*.svg\n  mlx report --base main --html -o out    # out/report.html, self-contained"
)]
pub struct ReportArgs {
    /// The revision to compare the workspace with (default HEAD)
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Markdown (the default)
    #[arg(long, conflicts_with = "html")]
    md: bool,
    /// One self-contained HTML page
    #[arg(long)]
    html: bool,
    /// Write the report into this folder (made if missing) instead of stdout
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let opts = ReportRunOptions {
        base: args.base.clone(),
        format: if args.html { Format::Html } else { Format::Markdown },
        out: args.out.clone(),
        cwd: ctx.cwd().to_path_buf(),
    };
    let outcome = report::run(ctx.project()?, &opts)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&outcome)?;
        return Ok(ExitStatus::Success);
    }
    for e in &outcome.report.metrics.errors {
        out.warn(&format!("{}:{}: {}", e.rev, e.path, e.error));
    }
    if let Some(text) = &outcome.text {
        out.raw(text.as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    for path in &outcome.written {
        out.line(&path.display().to_string())?;
    }
    Ok(ExitStatus::Success)
}
