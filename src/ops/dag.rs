//! `mlx dag`: the pipeline's stages and the links between them, for drawing. Reads `mlx.toml`,
//! checks the graph and that the shown stages' deps exist or come from a stage.

use serde::Serialize;

use crate::pipeline::{self, Edge, StageName};
use crate::project::Project;
use crate::project_path::ProjectPath;

#[derive(Debug, Default, Clone)]
pub struct DagOptions {
    /// Show these stages and everything upstream of them; all stages when empty.
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DagReport {
    /// Stages in execution order.
    pub nodes: Vec<DagNode>,
    /// Producer → consumer, with the consumer's deps that link them.
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DagNode {
    pub name: StageName,
    pub cmd: Vec<String>,
    pub deps: Vec<ProjectPath>,
    pub outs: Vec<ProjectPath>,
    /// The stages this one depends on directly.
    pub upstream: Vec<StageName>,
}

pub fn run(project: &Project, opts: &DagOptions) -> crate::ops::Result<DagReport> {
    let Some((pipeline, map)) = pipeline::spec::load_with_source_map(project.root())? else {
        if let Some(target) = opts.targets.first() {
            return Err(
                pipeline::Error::UnknownStage { name: target.clone(), suggestion: None }.into()
            );
        }
        return Ok(DagReport { nodes: Vec::new(), edges: Vec::new() });
    };
    let dag = pipeline.dag()?;
    let selected = dag.select(&opts.targets, false, false)?;
    pipeline.check_deps_exist(project.root(), &selected).map_err(|e| map.locate(e))?;
    let nodes = selected
        .iter()
        .filter_map(|name| pipeline.stage(name))
        .map(|stage| DagNode {
            name: stage.name.clone(),
            cmd: stage.cmd.clone(),
            deps: stage.deps.clone(),
            outs: stage.stored_outs().map(|o| o.path.clone()).collect(),
            upstream: dag.upstream_of(&stage.name),
        })
        .collect();
    let edges = dag
        .edges()
        .iter()
        .filter(|e| selected.contains(&e.from) && selected.contains(&e.to))
        .cloned()
        .collect();
    Ok(DagReport { nodes, edges })
}

impl DagReport {
    /// One line per stage in execution order: `train <- featurize, prepare` names the stages
    /// whose outputs it reads.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            out.push_str(node.name.as_str());
            if !node.upstream.is_empty() {
                let up: Vec<&str> = node.upstream.iter().map(StageName::as_str).collect();
                out.push_str(" <- ");
                out.push_str(&up.join(", "));
            }
            out.push('\n');
        }
        out
    }

    /// A Mermaid `flowchart TD` block.
    pub fn to_mermaid(&self) -> String {
        let ids = self.ids();
        let mut out = String::from("flowchart TD\n");
        for (node, id) in self.nodes.iter().zip(&ids) {
            out.push_str(&format!("    {id}[\"{}\"]\n", node.name.as_str().replace('"', "#quot;")));
        }
        for e in &self.edges {
            out.push_str(&format!(
                "    {} --> {}\n",
                self.id_of(&ids, &e.from),
                self.id_of(&ids, &e.to)
            ));
        }
        out
    }

    /// A Graphviz `digraph`.
    pub fn to_dot(&self) -> String {
        let quote = |name: &StageName| {
            format!("\"{}\"", name.as_str().replace('\\', "\\\\").replace('"', "\\\""))
        };
        let mut out = String::from("digraph pipeline {\n    rankdir=TB;\n    node [shape=box];\n");
        for node in &self.nodes {
            out.push_str(&format!("    {};\n", quote(&node.name)));
        }
        for e in &self.edges {
            out.push_str(&format!("    {} -> {};\n", quote(&e.from), quote(&e.to)));
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid ids: `stage_N` by position (names may hold `@` and `-`).
    fn ids(&self) -> Vec<String> {
        (0..self.nodes.len()).map(|i| format!("stage_{i}")).collect()
    }

    fn id_of<'a>(&self, ids: &'a [String], name: &StageName) -> &'a str {
        let i = self.nodes.iter().position(|n| &n.name == name).expect("edges join shown stages");
        &ids[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> DagReport {
        let text = "[stages.prepare]\ncmd = \"p\"\nouts = [\"data\"]\n\
                    [stages.train]\nforeach = [\"rf\", \"gbm\"]\ncmd = \"t\"\ndeps = [\"data\"]\nouts = [\"${item}.pkl\"]\n\
                    [stages.report]\ncmd = \"r\"\ndeps = [\"rf.pkl\", \"gbm.pkl\", \"data\"]\n";
        let p = pipeline::spec::parse(std::path::Path::new("mlx.toml"), text).unwrap().unwrap();
        let dag = p.dag().unwrap();
        DagReport {
            nodes: p
                .stages
                .iter()
                .map(|s| DagNode {
                    name: s.name.clone(),
                    cmd: s.cmd.clone(),
                    deps: s.deps.clone(),
                    outs: s.stored_outs().map(|o| o.path.clone()).collect(),
                    upstream: dag.upstream_of(&s.name),
                })
                .collect(),
            edges: dag.edges().to_vec(),
        }
    }

    #[test]
    fn renders_text_mermaid_and_dot() {
        let r = report();
        assert_eq!(
            r.to_text(),
            "prepare\ntrain@rf <- prepare\ntrain@gbm <- prepare\nreport <- prepare, train@rf, train@gbm\n"
        );
        assert_eq!(
            r.to_mermaid(),
            "flowchart TD\n    stage_0[\"prepare\"]\n    stage_1[\"train@rf\"]\n    stage_2[\"train@gbm\"]\n    stage_3[\"report\"]\n\
             \x20   stage_0 --> stage_1\n    stage_0 --> stage_2\n    stage_0 --> stage_3\n    stage_1 --> stage_3\n    stage_2 --> stage_3\n"
        );
        assert_eq!(
            r.to_dot(),
            "digraph pipeline {\n    rankdir=TB;\n    node [shape=box];\n    \"prepare\";\n    \"train@rf\";\n    \"train@gbm\";\n    \"report\";\n\
             \x20   \"prepare\" -> \"train@rf\";\n    \"prepare\" -> \"train@gbm\";\n    \"prepare\" -> \"report\";\n    \"train@rf\" -> \"report\";\n    \"train@gbm\" -> \"report\";\n}\n"
        );
    }
}
