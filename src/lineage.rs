//! Lineage: how a file came to be, walked back from it. A stage output leads to the stage that
//! writes it (its command, params and tools as `mlx.lock` records them, and the run that
//! produced the recorded hash, with its commit and environment), then to each dep with the hash
//! the stage read: another stage's output (walked on), data tracked by a pointer, or a plain
//! file. Read at any commit (the workspace's `mlx.toml` and `mlx.lock`, or a revision's).
//!
//! The result is a graph (a stage shared by two branches of the walk appears once), which the
//! CLI prints as a tree, as JSON, or as Mermaid or Graphviz text.

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use serde::Serialize;

use crate::compare::side::Side;
use crate::error::Result;
use crate::pipeline::lock::LockFile;
use crate::pipeline::{Pipeline, Stage};
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::pointer::Pointer;
use crate::tracking::RunId;
use crate::tracking::environment::{self, Facts};

/// What a node of the graph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A stage's output (or a file inside one).
    Output,
    /// Data tracked by a `PATH.mlx` pointer (or a file inside a tracked folder).
    Data,
    /// Any other file (code in git, say).
    File,
    /// A run not of a stage (`mlx run -- CMD`), asked for by id.
    Run,
}

/// A file (or a run) in the lineage.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: usize,
    pub kind: NodeKind,
    /// The project path (for a run: its id).
    pub path: String,
    /// The hash recorded for it where it was read or written (BLAKE3, 64 hex digits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// For data: the hash its pointer names at this commit, when it differs from `hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer_hash: Option<String>,
    /// For an output: the stage that writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageInfo>,
    /// For an output: the run that produced its recorded hash; for a run node, the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunInfo>,
}

/// A stage as `mlx.lock` recorded its last run.
#[derive(Debug, Clone, Serialize)]
pub struct StageInfo {
    pub name: String,
    pub cmd: Vec<String>,
    pub params: BTreeMap<String, toml::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tools: BTreeMap<String, String>,
    /// Whether `mlx.lock` has an entry for it.
    pub locked: bool,
}

/// The run that produced an output.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub id: RunId,
    pub commit: Option<String>,
    pub dirty: bool,
    pub start: String,
    pub status: String,
    pub environment: Facts,
}

/// `from` read `to` (an edge from a file to what it was made from).
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lineage {
    /// The commit read (absent for the workspace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub root: usize,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// Why a lineage cannot be drawn as asked (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LineageError {
    #[error("{target} is a pipeline experiment: name a file it produced, or one of its runs")]
    PipelineExperiment { target: String },
}

/// What to walk back from.
pub enum Start<'a> {
    Path(&'a ProjectPath),
    Run(&'a RunId),
}

/// The lineage of `start` at `rev` (the workspace's files when `None`).
pub fn walk(
    project: &Project,
    conn: &Connection,
    rev: Option<&str>,
    start: Start<'_>,
) -> Result<Lineage> {
    let side = Side::open(project, rev)?;
    let pipeline = side.pipeline()?;
    let lock = side.lock()?;
    let mut w = Walker {
        side: &side,
        conn,
        pipeline: pipeline.as_ref(),
        lock: &lock,
        nodes: Vec::new(),
        edges: Vec::new(),
        by_path: HashMap::new(),
        stage_nodes: HashMap::new(),
    };
    let root = match start {
        Start::Path(path) => w.file(path, None)?,
        Start::Run(id) => w.run(id)?,
    };
    Ok(Lineage { commit: side.info.commit.clone(), root, nodes: w.nodes, edges: w.edges })
}

struct Walker<'a, 'p> {
    side: &'a Side<'p>,
    conn: &'a Connection,
    pipeline: Option<&'a Pipeline>,
    lock: &'a LockFile,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// (path, hash) → node, so a file read by several stages is one node.
    by_path: HashMap<(String, Option<String>), usize>,
    /// Stage → the node of its output already walked (its deps are linked from there).
    stage_nodes: HashMap<String, usize>,
}

impl Walker<'_, '_> {
    /// The node of `path` (read with `hash`, when a stage recorded one), walked back.
    fn file(&mut self, path: &ProjectPath, hash: Option<String>) -> Result<usize> {
        let key = (path.to_string(), hash.clone());
        if let Some(&id) = self.by_path.get(&key) {
            return Ok(id);
        }
        let writer = self.pipeline.and_then(|p| {
            p.stages.iter().find_map(|s| {
                s.stored_outs()
                    .find(|o| path == &o.path || path.starts_with(&o.path))
                    .map(|o| (s, o.path.clone()))
            })
        });
        let id = match writer {
            Some((stage, out)) => self.output(path, hash, stage, &out)?,
            None => {
                let (kind, pointer_hash, hash) = match self.pointer_of(path)? {
                    Some((tracked, pointer)) => {
                        let named = pointer.hash.to_hex().to_string();
                        // A file inside a tracked folder: the folder's pointer names the
                        // folder's manifest, not the file.
                        let whole = &tracked == path;
                        match hash {
                            Some(h) if whole && h != named => {
                                (NodeKind::Data, Some(named), Some(h))
                            }
                            Some(h) => (NodeKind::Data, None, Some(h)),
                            None if whole => (NodeKind::Data, None, Some(named)),
                            None => (NodeKind::Data, None, None),
                        }
                    }
                    None => (NodeKind::File, None, hash),
                };
                self.push(Node {
                    id: 0,
                    kind,
                    path: path.to_string(),
                    hash,
                    pointer_hash,
                    stage: None,
                    run: None,
                })
            }
        };
        self.by_path.insert(key, id);
        Ok(id)
    }

    /// An output of `stage` (`out`, or a file inside it): the stage, its run, its deps.
    fn output(
        &mut self,
        path: &ProjectPath,
        hash: Option<String>,
        stage: &Stage,
        out: &ProjectPath,
    ) -> Result<usize> {
        let locked = self.lock.stages.get(stage.name.as_str());
        let out_hash = locked
            .and_then(|l| l.outs.iter().find(|o| o.path == out.to_string()))
            .map(|o| o.hash.to_hex().to_string());
        let hash = hash.or_else(|| (path == out).then(|| out_hash.clone()).flatten());
        let run = match &out_hash {
            Some(h) => self.producing_run(stage.name.as_str(), &out.to_string(), h)?,
            None => None,
        };
        let info = StageInfo {
            name: stage.name.to_string(),
            cmd: locked.map_or_else(|| stage.cmd.clone(), |l| l.cmd.clone()),
            params: locked.map(|l| l.params.clone()).unwrap_or_default(),
            tools: locked.map(|l| l.tools.clone()).unwrap_or_default(),
            locked: locked.is_some(),
        };
        let id = self.push(Node {
            id: 0,
            kind: NodeKind::Output,
            path: path.to_string(),
            hash,
            pointer_hash: None,
            stage: Some(info),
            run,
        });
        if let Some(&walked) = self.stage_nodes.get(stage.name.as_str()) {
            // Another output of a stage already walked: the same deps.
            let deps: Vec<usize> =
                self.edges.iter().filter(|e| e.from == walked).map(|e| e.to).collect();
            for to in deps {
                self.edges.push(Edge { from: id, to });
            }
            return Ok(id);
        }
        self.stage_nodes.insert(stage.name.to_string(), id);
        let deps: Vec<(ProjectPath, Option<String>)> = stage
            .deps
            .iter()
            .map(|d| {
                let h = locked
                    .and_then(|l| l.deps.iter().find(|x| x.path == d.to_string()))
                    .map(|x| x.hash.to_hex().to_string());
                (d.clone(), h)
            })
            .collect();
        for (dep, h) in deps {
            let to = self.file(&dep, h)?;
            self.edges.push(Edge { from: id, to });
        }
        Ok(id)
    }

    /// A run asked for by id: a stage's run is walked from its stage's outputs as they were
    /// recorded on it; any other run from what it read.
    fn run(&mut self, id: &RunId) -> Result<usize> {
        let info = run_info(self.conn, id)?
            .ok_or_else(|| crate::tracking::Error::UnknownRun { prefix: id.to_string() })?;
        let node = self.push(Node {
            id: 0,
            kind: NodeKind::Run,
            path: id.to_string(),
            hash: None,
            pointer_hash: None,
            stage: None,
            run: Some(info),
        });
        for input in crate::tracking::inputs::of_run(self.conn, id)? {
            let Ok(path) = ProjectPath::new(std::path::Path::new(&input.path)) else { continue };
            let to = self.file(&path, input.hash.clone())?;
            self.edges.push(Edge { from: node, to });
        }
        Ok(node)
    }

    /// The pointer tracking `path` or a folder above it at this side, with the tracked path.
    fn pointer_of(&self, path: &ProjectPath) -> Result<Option<(ProjectPath, Pointer)>> {
        let mut at = Some(path.clone());
        while let Some(p) = at {
            let file = std::path::PathBuf::from(format!("{p}.mlx"));
            if let Ok(pointer_path) = ProjectPath::new(&file)
                && let Some(bytes) = self.side.read_file(&pointer_path)?
                && let Ok(text) = std::str::from_utf8(&bytes)
                && let Ok(pointer) = Pointer::decode(&file, text)
            {
                return Ok(Some((p, pointer)));
            }
            at = p.parent();
        }
        Ok(None)
    }

    /// The run that produced `out` of `stage` with `hash`, if this database has it.
    fn producing_run(&self, stage: &str, out: &str, hash: &str) -> Result<Option<RunInfo>> {
        match crate::tracking::runs::producer(self.conn, hash, Some(stage), Some(out))? {
            Some(id) => run_info(self.conn, &id),
            None => Ok(None),
        }
    }

    fn push(&mut self, mut node: Node) -> usize {
        node.id = self.nodes.len();
        self.nodes.push(node);
        self.nodes.len() - 1
    }
}

fn run_info(conn: &Connection, id: &RunId) -> Result<Option<RunInfo>> {
    let Some(brief) = crate::tracking::runs::brief(conn, id)? else { return Ok(None) };
    Ok(Some(RunInfo {
        id: id.clone(),
        commit: brief.commit,
        dirty: brief.dirty,
        start: brief.start,
        status: brief.status,
        environment: environment::of_run_id(conn, id)?,
    }))
}

impl Lineage {
    /// The nodes `id` was made from, in the order they were found.
    pub fn children(&self, id: usize) -> impl Iterator<Item = &Node> {
        self.edges.iter().filter(move |e| e.from == id).map(|e| &self.nodes[e.to])
    }

    /// Mermaid flowchart text (`flowchart LR`, an arrow from each input to what it made).
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            out.push_str(&format!("  n{}[\"{}\"]\n", n.id, mermaid_text(&label(n))));
        }
        for e in &self.edges {
            out.push_str(&format!("  n{} --> n{}\n", e.to, e.from));
        }
        out
    }

    /// Graphviz dot text (an arrow from each input to what it made).
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph lineage {\n  rankdir=LR;\n  node [shape=box];\n");
        for n in &self.nodes {
            out.push_str(&format!("  n{} [label=\"{}\"];\n", n.id, dot_text(&label(n))));
        }
        for e in &self.edges {
            out.push_str(&format!("  n{} -> n{};\n", e.to, e.from));
        }
        out.push_str("}\n");
        out
    }
}

/// One line naming a node: its path, the stage writing it, its short hash.
pub fn label(n: &Node) -> String {
    let mut text = n.path.clone();
    if let Some(s) = &n.stage {
        text.push_str(&format!(" (stage {})", s.name));
    }
    if let Some(h) = &n.hash {
        text.push_str(&format!(" {}", &h[..h.len().min(12)]));
    }
    text
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
