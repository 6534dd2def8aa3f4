//! `mlx lineage`

use std::collections::HashSet;

use mlx::lineage::{Lineage, Node, NodeKind};
use mlx::ops::lineage::{self, LineageOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Show how a file was made: the stages, runs, data and code behind it
///
/// Walks back from a file (a stage output, tracked data, any file), a run or a model version
/// (read at the commit it was registered on): the stage that
/// writes it with its command, params and tools as mlx.lock records them, the run that produced
/// the recorded content (its commit and environment), then each dep with the hash the stage
/// read, on through the stages that made those, down to tracked data and code. `--rev` reads
/// the pipeline, mlx.lock and pointers of another commit.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx lineage models/model.pkl\n  mlx lineage churn@v1.2.0\n  mlx lineage eval/metrics.json --rev v1.0\n  mlx lineage models/model.pkl --format mermaid\n  mlx lineage 01jd4k --json"
)]
pub struct LineageArgs {
    /// A file (path), a run (id, unique prefix or name), or a model version (NAME@v1.2.3,
    /// NAME#STAGE, NAME@latest)
    #[arg(value_name = "PATH|RUN|MODEL@VERSION")]
    target: String,
    /// Read mlx.toml, mlx.lock and pointers at this revision (branch, tag or commit)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// How to draw it
    #[arg(long, value_enum, default_value_t = LineageFormat::Tree, conflicts_with = "json")]
    format: LineageFormat,
    #[command(flatten)]
    json: FormatArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LineageFormat {
    /// An indented tree, the file first and what it was made from below it
    Tree,
    /// A Mermaid `flowchart LR` block
    Mermaid,
    /// A Graphviz `digraph`
    Dot,
}

pub fn run(ctx: &Context, args: &LineageArgs) -> anyhow::Result<ExitStatus> {
    let opts = LineageOptions {
        target: args.target.clone(),
        rev: args.rev.clone(),
        cwd: ctx.cwd().to_path_buf(),
    };
    let lineage = lineage::run(ctx.project()?, &opts)?;
    let out = ctx.output();
    if args.json.json {
        out.json(&lineage)?;
        return Ok(ExitStatus::Success);
    }
    let text = match args.format {
        LineageFormat::Tree => tree(&lineage),
        LineageFormat::Mermaid => lineage.mermaid(),
        LineageFormat::Dot => lineage.dot(),
    };
    out.line(text.trim_end())?;
    Ok(ExitStatus::Success)
}

/// The tree: each node on a line, its details indented under it, what it was made from below;
/// a stage met again is named, not walked again.
fn tree(l: &Lineage) -> String {
    let mut out = String::new();
    let mut seen = HashSet::new();
    walk(l, &l.nodes[l.root], "", "", &mut seen, &mut out);
    out
}

fn walk(
    l: &Lineage,
    n: &Node,
    first: &str,
    rest: &str,
    seen: &mut HashSet<usize>,
    out: &mut String,
) {
    out.push_str(first);
    out.push_str(&headline(n));
    let again = !seen.insert(n.id) && l.children(n.id).next().is_some();
    if again {
        out.push_str("  (shown above)\n");
        return;
    }
    out.push('\n');
    let children: Vec<&Node> = l.children(n.id).collect();
    let detail_prefix =
        if children.is_empty() { format!("{rest}    ") } else { format!("{rest}│   ") };
    for line in details(n) {
        out.push_str(&detail_prefix);
        out.push_str(&line);
        out.push('\n');
    }
    for (i, c) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        let (f, r) = if last { ("└── ", "    ") } else { ("├── ", "│   ") };
        walk(l, c, &format!("{rest}{f}"), &format!("{rest}{r}"), seen, out);
    }
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

fn headline(n: &Node) -> String {
    let hash = n.hash.as_deref().map(short).unwrap_or("-");
    match n.kind {
        NodeKind::Output => {
            let stage = n.stage.as_ref().map_or("?", |s| s.name.as_str());
            format!("{}  {hash}  ← stage {stage}", n.path)
        }
        NodeKind::Data => match &n.pointer_hash {
            Some(p) => format!("{}  {hash}  data (its pointer now names {})", n.path, short(p)),
            None => format!("{}  {hash}  data", n.path),
        },
        NodeKind::File => format!("{}  {hash}", n.path),
        NodeKind::Run => format!("run {}", n.path),
    }
}

fn details(n: &Node) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(s) = &n.stage {
        if !s.locked {
            lines.push("not run yet (no entry in mlx.lock)".into());
        }
        lines.push(format!("cmd: {}", s.cmd.join(" && ")));
        if !s.params.is_empty() {
            let params: Vec<String> = s.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            lines.push(format!("params: {}", params.join(" ")));
        }
        if !s.tools.is_empty() {
            let tools: Vec<String> = s.tools.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            lines.push(format!("tools: {}", tools.join(", ")));
        }
    }
    if let Some(r) = &n.run {
        let commit = r.commit.as_deref().map_or("no commit", |c| &c[..c.len().min(8)]);
        let dirty = if r.dirty { " (dirty)" } else { "" };
        lines.push(format!("run {} {}, commit {commit}{dirty}, {}", r.id, r.status, r.start));
        let env: Vec<String> = ["python", "gpu.0.name", "cuda", "os.release"]
            .iter()
            .filter_map(|k| r.environment.get(*k).map(|v| format!("{k} {v}")))
            .collect();
        if !env.is_empty() {
            lines.push(format!("ran on: {}", env.join(", ")));
        }
    } else if n.kind == NodeKind::Output && n.stage.as_ref().is_some_and(|s| s.locked) {
        lines.push("no run recorded here for this content (mlx fetch --runs)".into());
    }
    lines
}
