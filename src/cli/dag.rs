//! `mlx dag`

use mlx::ops::dag::{self, DagOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Draw the pipeline: its stages in execution order and which feed which
///
/// A stage feeds another when one of its outs is a dep of the other (or contains one, or lies
/// inside one). The text format lists each stage with the stages it reads from.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx dag\n  mlx dag train --format mermaid\n  mlx dag --format dot | dot -Tsvg > dag.svg"
)]
pub struct DagArgs {
    /// Show only these stages and what they depend on (`train` includes every `train@…`)
    #[arg(value_name = "STAGE", add = super::complete::stages())]
    stages: Vec<String>,
    /// How to draw the graph
    #[arg(long, value_enum, default_value_t = DagFormat::Text, conflicts_with = "json")]
    format: DagFormat,
    #[command(flatten)]
    json: FormatArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DagFormat {
    /// Each stage on a line, with the stages it depends on: `train <- featurize`
    Text,
    /// A Mermaid `flowchart TD` block
    Mermaid,
    /// A Graphviz `digraph`
    Dot,
}

pub fn run(ctx: &Context, args: &DagArgs) -> anyhow::Result<ExitStatus> {
    let report = dag::run(ctx.project()?, &DagOptions { targets: args.stages.clone() })?;
    let out = ctx.output();
    if args.json.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    if report.nodes.is_empty() {
        out.status("no stages: declare them under [stages] in mlx.toml");
        return Ok(ExitStatus::Success);
    }
    let text = match args.format {
        DagFormat::Text => report.to_text(),
        DagFormat::Mermaid => report.to_mermaid(),
        DagFormat::Dot => report.to_dot(),
    };
    out.line(text.trim_end())?;
    Ok(ExitStatus::Success)
}
