//! The pipeline as mlx runs it: every stage expanded (`foreach`/`matrix` give `train@rf`),
//! every path checked to stay inside the project, stages in a valid order.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::dag::Dag;
use super::error::{Error, Location};
use super::params::{self, NoFiles, ParamsFiles, WorkTreeFiles};
use super::vars::{self, Context};
use crate::plots::definition::{PlotProps, RawEntryProps, RawFields};
use crate::project_path::{ProjectPath, RelPath};

/// A stage's name as users type it: `train`, or `train@rf` for an expanded one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StageName(pub String);

impl StageName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an output is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutKind {
    Out,
    /// A metrics file (JSON/TOML/YAML/CSV): read after the stage and logged on its run.
    Metrics,
    /// A plots file: cached, and drawn by `mlx plots` (see `plots`).
    Plots,
}

/// One output of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Out {
    pub path: ProjectPath,
    pub kind: OutKind,
    /// Stored in the cache (and git-ignored). `cache = false`: only hashed and recorded.
    pub cache: bool,
    /// Kept between runs: not deleted before the stage runs.
    pub persist: bool,
    /// How a `plots` entry is drawn (`x`, `y`, `template`, …), when the entry says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot: Option<Box<PlotProps>>,
    /// For a metrics or plots file that lies inside another output of the same stage (DVC's
    /// `outs: [eval]` with `eval/metrics.json` as metrics): that output, which stores it. Such
    /// a file is read (logged, drawn) but not hashed, cached or recorded on its own. A file
    /// of the top-level `metrics` list that a stage declares as an output names that output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<ProjectPath>,
}

impl Out {
    /// Whether this output is stored on its own (hashed, cached or recorded in `mlx.lock`),
    /// not as part of another output of its stage.
    pub fn is_stored(&self) -> bool {
        self.within.is_none()
    }
}

/// A parameter a stage depends on: a key (dotted path; may name a whole section) in a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ParamRef {
    /// `params.toml` unless the entry said `FILE:key`.
    pub file: ProjectPath,
    pub key: String,
}

impl ParamRef {
    /// How the parameter is named in records: `key` for `params.toml`, `file:key` otherwise.
    pub fn display_name(&self) -> String {
        if self.file.as_path() == std::path::Path::new(DEFAULT_PARAMS_FILE) {
            self.key.clone()
        } else {
            format!("{}:{}", self.file, self.key)
        }
    }
}

pub const DEFAULT_PARAMS_FILE: &str = "params.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub name: StageName,
    /// Shell commands run one after the other with `sh -c` (most stages have one).
    pub cmd: Vec<String>,
    /// Folder the commands run in; `None` is the project root.
    pub wdir: Option<ProjectPath>,
    pub deps: Vec<ProjectPath>,
    pub params: Vec<ParamRef>,
    /// Outputs of every kind (outs, metrics, plots).
    pub outs: Vec<Out>,
    pub env: BTreeMap<String, String>,
    /// Run every time, even when nothing changed.
    pub always_changed: bool,
    /// Scarce resources this stage holds while it runs, e.g. `gpu = 1`.
    pub resources: BTreeMap<String, u32>,
    /// The `foreach`/`matrix` values this stage was expanded with, as `${…}` names them
    /// (`key`, `item`, `item.model`): recorded as params of its runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expansion: Vec<(String, String)>,
    /// Programs whose version the stage depends on (`python`, `nvcc`): what `PROGRAM --version`
    /// prints is recorded in `mlx.lock`, and a change makes the stage stale.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Never run (DVC's `frozen`): its outputs stay as `mlx.lock` records them, whatever changed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub frozen: bool,
}

impl Stage {
    /// The outputs stored on their own (see [`Out::within`]): what runs hash, cache, clear
    /// and record in `mlx.lock`.
    pub fn stored_outs(&self) -> impl Iterator<Item = &Out> {
        self.outs.iter().filter(|o| o.is_stored())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pipeline {
    /// In a valid execution order (every stage after the stages producing its deps).
    pub stages: Vec<Stage>,
    /// Limits from `[resources]`, e.g. `gpu = 1`; a resource without a limit is unlimited.
    pub resources: BTreeMap<String, u32>,
    /// Every params file the pipeline reads or would read, sorted: those stages name, the
    /// default params file of the root and of each stage's `wdir` (whether it exists or not),
    /// and the files `vars` load. `--set KEY=VALUE` looks for the key in these.
    #[serde(skip)]
    pub params_files: Vec<ProjectPath>,
    /// The top-level `metrics` list (DVC's top-level `metrics:`): files read as metrics
    /// wherever they lie. Each one inside a stage's output is also among that stage's outs, as
    /// a metrics file [`Out::within`] it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<ProjectPath>,
}

// ---------------------------------------------------------------------------------------------
// Parsing `[stages]`, `[resources]` and `vars` from `mlx.toml`.
//
// The text is deserialized into raw types whose strings keep their spans, so every error (TOML
// syntax, an unknown key, a wrong type, a bad path or interpolation, a graph error) names
// `mlx.toml:LINE:COLUMN`. Then each raw stage is expanded (`foreach`/`matrix`), its strings
// interpolated (`${item}`, and values of params files and `vars`, see `vars`), its paths
// resolved against `wdir` into project paths, and the whole checked as a graph (`dag`) and put
// in execution order. Params files are read through a `ParamsFiles` (the work tree, a commit):
// the default params file of a folder is the first that exists of `params.toml`,
// `params.yaml` and `params.json`, and `${…}` reads values from it and from `vars`.

/// The file stages are declared in, at the project root.
pub const PIPELINE_FILE: &str = crate::config::PROJECT_FILE;

/// Read the pipeline declared in `ROOT/mlx.toml`: expanded, checked and in execution order.
/// `None` when there is no `mlx.toml` or it has no `[stages]` table.
pub fn load(root: &Path) -> Result<Option<Pipeline>, Error> {
    load_using(root, &WorkTreeFiles::new(root))
}

/// The names of the stages of `ROOT/mlx.toml` in execution order; empty when there are none or
/// the file cannot be read (for ordering what was recorded, not for running).
pub fn stage_order(root: &Path) -> Vec<String> {
    match load(root) {
        Ok(Some(p)) => p.stages.iter().map(|s| s.name.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// [`load`], with params files read through `files` (the work tree with `--set` edits laid
/// over it, for one).
pub fn load_using(root: &Path, files: &dyn ParamsFiles) -> Result<Option<Pipeline>, Error> {
    Ok(load_with_source_map_using(root, files)?.map(|(pipeline, _)| pipeline))
}

/// [`load`], plus where each stage, dep and out was declared (to place later errors such as a
/// missing dependency, see [`SourceMap::locate`]).
pub fn load_with_source_map(root: &Path) -> Result<Option<(Pipeline, SourceMap)>, Error> {
    load_with_source_map_using(root, &WorkTreeFiles::new(root))
}

fn load_with_source_map_using(
    root: &Path,
    files: &dyn ParamsFiles,
) -> Result<Option<(Pipeline, SourceMap)>, Error> {
    let text = match std::fs::read_to_string(root.join(PIPELINE_FILE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => fs_err::read_to_string(root.join(PIPELINE_FILE))?,
    };
    parse_with_source_map(Path::new(PIPELINE_FILE), &text, files)
}

/// Parse pipeline text with no params files (`${…}` names only `foreach` values and inline
/// `vars`); `file_name` names it in errors. `None` when it has no `[stages]`.
pub fn parse(file_name: &Path, text: &str) -> Result<Option<Pipeline>, Error> {
    parse_using(file_name, text, &NoFiles)
}

/// [`parse`], with params files read through `files` (a commit's tree, for one).
pub fn parse_using(
    file_name: &Path,
    text: &str,
    files: &dyn ParamsFiles,
) -> Result<Option<Pipeline>, Error> {
    Ok(parse_with_source_map(file_name, text, files)?.map(|(pipeline, _)| pipeline))
}

/// [`parse_using`], plus where each stage, dep and out was declared.
pub fn parse_with_source_map(
    file_name: &Path,
    text: &str,
    files: &dyn ParamsFiles,
) -> Result<Option<(Pipeline, SourceMap)>, Error> {
    let lines = LineIndex::new(text);
    let cx = Cx {
        file: file_name,
        text,
        lines: &lines,
        expanded: std::cell::Cell::new(0),
        files,
        top_vars: None,
        global: RefCell::new(None),
        docs: RefCell::new(HashMap::new()),
        defaults: RefCell::new(HashMap::new()),
        vars_files: RefCell::new(BTreeSet::new()),
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        // serde's name for a TOML array is "sequence".
        cx.error(offset, &e.message().trim().replace("a sequence", "a list"))
    })?;
    let top_metrics = top_level_metrics(&cx, raw.metrics.as_deref().unwrap_or_default())?;
    let Some(raw_stages) = raw.stages else { return Ok(None) };
    let cx = Cx { top_vars: raw.vars.as_ref(), ..cx };
    if cx.top_vars.is_some() {
        // Declared `vars` are read even when no `${…}` uses them: a mistake in them shows.
        cx.global()?;
    }

    let mut resources = BTreeMap::new();
    for (name, limit) in &raw.resources {
        check_resource_name(&cx, name)?;
        resources.insert(name.get_ref().clone(), *limit.get_ref());
    }

    // Declaration order: where each stage's name first appears in the file.
    let mut declared: Vec<(&Spanned<String>, &RawStage)> =
        raw_stages.get_ref().iter().map(|(k, v)| (k, v.get_ref())).collect();
    declared.sort_by_key(|(k, _)| k.span().start);

    let mut stages = Vec::new();
    let mut map = SourceMap { stages: HashMap::new() };
    let mut seen: HashMap<StageName, Range<usize>> = HashMap::new();
    for (name, raw_stage) in declared {
        for (stage, spans) in expand(&cx, name, raw_stage, &resources, MAX_STAGES - stages.len())? {
            if seen.insert(stage.name.clone(), spans.header.clone()).is_some() {
                return Err(
                    cx.error(spans.header.start, &format!("two stages are named {}", stage.name))
                );
            }
            map.stages.insert(stage.name.clone(), spans.locate(&cx));
            stages.push(stage);
        }
    }

    attach_top_metrics(&top_metrics, &mut stages);
    let dag = Dag::build(&stages).map_err(|e| map.locate(e))?;
    let mut params_files = cx.vars_files.take();
    params_files.insert(cx.default_file(None)?);
    for stage in &stages {
        params_files.extend(stage.params.iter().map(|p| p.file.clone()));
        if stage.wdir.is_some() {
            params_files.insert(cx.default_file(stage.wdir.as_ref())?);
        }
    }
    let mut by_name: HashMap<StageName, Stage> =
        stages.into_iter().map(|s| (s.name.clone(), s)).collect();
    let stages = dag
        .order()
        .iter()
        .map(|name| by_name.remove(name).expect("the dag orders exactly the parsed stages"))
        .collect();
    let params_files = params_files.into_iter().collect();
    let metrics = top_metrics.into_iter().map(|(p, _)| p).collect();
    Ok(Some((Pipeline { stages, resources, params_files, metrics }, map)))
}

/// The top-level `metrics` list: project paths (as `[plots.NAME]` files are written: from the
/// root, no `..`), none into `.git` or `.mlx`, none twice.
fn top_level_metrics(
    cx: &Cx<'_>,
    raw: &[Spanned<String>],
) -> Result<Vec<(ProjectPath, Range<usize>)>, Error> {
    let mut out: Vec<(ProjectPath, Range<usize>)> = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::new();
    for entry in raw {
        let span = entry.span();
        let text = entry.get_ref();
        let fail = |m: String| cx.error(span.start, &format!("top-level metrics: {m}"));
        if text.len() > MAX_PATH_BYTES {
            return Err(fail(format!("a path is at most {MAX_PATH_BYTES} bytes long")));
        }
        let path = ProjectPath::new(text.as_str()).map_err(|e| fail(e.to_string()))?;
        crate::work_tree::check_data_path(&path).map_err(|e| fail(e.to_string()))?;
        if !seen.insert(path.clone()) {
            return Err(fail(format!("{path} is listed twice")));
        }
        out.push((path, span));
    }
    Ok(out)
}

/// Each top-level metrics file that a stage's output is or holds becomes a metrics file of
/// that stage, stored by that output (unless the stage already reads it as metrics).
fn attach_top_metrics(metrics: &[(ProjectPath, Range<usize>)], stages: &mut [Stage]) {
    if metrics.is_empty() {
        return;
    }
    let mut stored: HashMap<ProjectPath, (usize, bool, bool)> = HashMap::new();
    for (i, stage) in stages.iter().enumerate() {
        for o in stage.stored_outs() {
            stored.insert(o.path.clone(), (i, o.cache, o.persist));
        }
    }
    for (path, _) in metrics {
        let mut up = Some(path.clone());
        while let Some(p) = up {
            if let Some(&(i, cache, persist)) = stored.get(&p) {
                let stage = &mut stages[i];
                let read = stage.outs.iter().any(|o| o.kind == OutKind::Metrics && o.path == *path);
                if !read {
                    stage.outs.push(Out {
                        path: path.clone(),
                        kind: OutKind::Metrics,
                        cache,
                        persist,
                        plot: None,
                        within: Some(p),
                    });
                }
                break;
            }
            up = p.parent();
        }
    }
}

/// Where stages, deps and outs were declared in `mlx.toml`, to place errors found later.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    stages: HashMap<StageName, StageLocations>,
}

#[derive(Debug, Clone)]
struct StageLocations {
    header: Location,
    deps: Vec<(ProjectPath, Location)>,
    outs: Vec<(ProjectPath, Location)>,
}

impl SourceMap {
    /// Where stage `name` is declared (its name in the table header).
    pub fn stage(&self, name: &StageName) -> Option<&Location> {
        self.stages.get(name).map(|s| &s.header)
    }

    /// Wrap a graph error with the place in `mlx.toml` that causes it, where there is one.
    pub fn locate(&self, err: Error) -> Error {
        let dep = |stage: &StageName, path: &ProjectPath| {
            let s = self.stages.get(stage)?;
            s.deps.iter().find(|(p, _)| p == path).map(|(_, l)| l).or(Some(&s.header))
        };
        let out = |stage: &StageName, path: &ProjectPath| {
            let s = self.stages.get(stage)?;
            s.outs.iter().find(|(p, _)| p == path).map(|(_, l)| l).or(Some(&s.header))
        };
        let location = match &err {
            Error::DuplicateOut { path, second, .. } => out(second, path),
            Error::NestedOut { inner, inner_stage, .. } => out(inner_stage, inner),
            Error::DepIsOwnOut { stage, path } => dep(stage, path),
            Error::MissingDep { stage, path } => dep(stage, path),
            Error::DuplicateStage { name } => self.stage(name),
            Error::Cycle { stages } => stages.first().and_then(|s| self.stage(s)),
            _ => None,
        };
        match location {
            Some(location) => Error::At { location: location.clone(), source: Box::new(err) },
            None => err,
        }
    }
}

/// Spans of one expanded stage's parts, turned into [`StageLocations`] once it is accepted.
struct StageSpans {
    header: Range<usize>,
    deps: Vec<(ProjectPath, Range<usize>)>,
    outs: Vec<(ProjectPath, Range<usize>)>,
}

impl StageSpans {
    fn locate(&self, cx: &Cx<'_>) -> StageLocations {
        StageLocations {
            header: cx.location(self.header.start),
            deps: self.deps.iter().map(|(p, s)| (p.clone(), cx.location(s.start))).collect(),
            outs: self.outs.iter().map(|(p, s)| (p.clone(), cx.location(s.start))).collect(),
        }
    }
}

// --- raw TOML shapes ---------------------------------------------------------------------------

/// The keys of `mlx.toml` this module reads; the others belong to `config`.
#[derive(Deserialize)]
struct RawFile {
    stages: Option<Spanned<BTreeMap<Spanned<String>, Spanned<RawStage>>>>,
    #[serde(default)]
    resources: BTreeMap<Spanned<String>, Spanned<u32>>,
    vars: Option<Spanned<RawVars>>,
    /// The top-level `metrics` list.
    metrics: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a stage table (cmd, deps, outs, …)")]
struct RawStage {
    cmd: Option<Spanned<RawCmd>>,
    wdir: Option<Spanned<String>>,
    #[serde(default)]
    deps: Vec<Spanned<String>>,
    #[serde(default)]
    params: Vec<Spanned<String>>,
    #[serde(default)]
    outs: Vec<Spanned<RawOut>>,
    #[serde(default)]
    metrics: Vec<Spanned<RawOut>>,
    #[serde(default)]
    plots: Vec<Spanned<RawOut>>,
    #[serde(default)]
    env: BTreeMap<Spanned<String>, Spanned<EnvValue>>,
    #[serde(default)]
    always_changed: bool,
    #[serde(default)]
    tools: Vec<Spanned<String>>,
    #[serde(default)]
    frozen: bool,
    #[serde(default)]
    resources: BTreeMap<Spanned<String>, Spanned<u32>>,
    foreach: Option<Spanned<RawForeach>>,
    matrix: Option<Spanned<RawMatrix>>,
    vars: Option<Spanned<RawVars>>,
    /// A description for people reading the file; mlx does not use it.
    #[allow(dead_code)]
    desc: Option<String>,
}

/// `matrix = { axis = [values…], … }`; axes keep their place in the file through the spans.
type RawMatrix = BTreeMap<Spanned<String>, Spanned<Vec<toml::Value>>>;

/// One expansion of a stage: the name suffix, `${key}` (foreach over a table), `${item}`, and the
/// span of the `foreach`/`matrix` value it comes from.
type Variant = (String, Option<String>, toml::Value, Range<usize>);

/// `foreach = [values…]`, `foreach = { name = value, … }` (keys keep their place in the file),
/// or `foreach = "${key}"`: a list or table from a params file or `vars`.
enum RawForeach {
    List(Vec<toml::Value>),
    Table(Vec<(Spanned<String>, toml::Value)>),
    Expr(String),
}

impl<'de> Deserialize<'de> for RawForeach {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawForeach;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of values, a table of named values or \"${key}\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawForeach, E> {
                Ok(RawForeach::Expr(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(v) = seq.next_element()? {
                    all.push(v);
                }
                Ok(RawForeach::List(all))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(k) = map.next_key()? {
                    all.push((k, map.next_value()?));
                }
                Ok(RawForeach::Table(all))
            }
        }
        d.deserialize_any(V)
    }
}

/// `vars = [entry, …]` (as in DVC) or a `[vars]` table (one inline entry).
enum RawVars {
    List(Vec<Spanned<RawVar>>),
    Table(toml::Table),
}

/// One `vars` entry: `"params.json"`, `"params.json:train,model.depth"` (only those keys), or an
/// inline table of values.
enum RawVar {
    File(String),
    Inline(toml::Table),
}

impl<'de> Deserialize<'de> for RawVar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawVar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a params file (\"params.yaml\", \"params.yaml:train,model\") or a table of values")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawVar, E> {
                Ok(RawVar::File(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawVar, A::Error> {
                let t =
                    toml::Table::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawVar::Inline(t))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawVars {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawVars;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of params files and tables, or a table of values")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawVars, A::Error> {
                let mut all = Vec::new();
                while let Some(v) = seq.next_element()? {
                    all.push(v);
                }
                Ok(RawVars::List(all))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawVars, A::Error> {
                let t =
                    toml::Table::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawVars::Table(t))
            }
        }
        d.deserialize_any(V)
    }
}

/// `cmd = "…"` or `cmd = ["…", "…"]`.
enum RawCmd {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawCmd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawCmd;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command string or a list of command strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawCmd, E> {
                Ok(RawCmd::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawCmd, A::Error> {
                let mut all = Vec::new();
                while let Some(cmd) = seq.next_element()? {
                    all.push(cmd);
                }
                Ok(RawCmd::Many(all))
            }
        }
        d.deserialize_any(V)
    }
}

/// An entry of `outs`, `metrics` or `plots`: `"path"` or `{ path = "…", cache = …, persist = … }`;
/// a `plots` entry may add `x`, `y`, `template`, `title`, `x_label` and `y_label`.
struct RawOut {
    path: Spanned<String>,
    cache: Option<bool>,
    persist: Option<bool>,
    plot: RawEntryProps,
    /// The entry was a bare string (its span is then the string's).
    bare: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutTable {
    path: Spanned<String>,
    cache: Option<bool>,
    persist: Option<bool>,
    x: Option<Spanned<RawFields>>,
    y: Option<Spanned<RawFields>>,
    template: Option<Spanned<String>>,
    title: Option<String>,
    x_label: Option<String>,
    y_label: Option<String>,
}

impl<'de> Deserialize<'de> for RawOut {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawOut;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a path or a table like { path = \"…\", cache = false, persist = true }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawOut, E> {
                Ok(RawOut {
                    path: Spanned::new(0..0, v.to_owned()),
                    cache: None,
                    persist: None,
                    plot: RawEntryProps::default(),
                    bare: true,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawOut, A::Error> {
                let t =
                    RawOutTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let plot = RawEntryProps {
                    x: t.x,
                    y: t.y,
                    template: t.template,
                    title: t.title,
                    x_label: t.x_label,
                    y_label: t.y_label,
                };
                Ok(RawOut { path: t.path, cache: t.cache, persist: t.persist, plot, bare: false })
            }
        }
        d.deserialize_any(V)
    }
}

/// An `env` value: a string, or a number or boolean written as one.
struct EnvValue(String);

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue(toml::Value::Float(v).to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

// --- positions -----------------------------------------------------------------------------------

/// Byte offset → line and column, by binary search over line starts.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

/// The most stages a pipeline may have once `foreach` and `matrix` are expanded.
pub const MAX_STAGES: usize = 10_000;

/// The most text (commands, paths, params, env values; in bytes) the expanded stages may hold
/// together: `${…}` and expansion multiply what the file says, and a few kilobytes of `mlx.toml`
/// must not ask for gigabytes.
pub const MAX_EXPANDED_TEXT: usize = 32 << 20;

/// What each expanded string, key or value counts besides its bytes: a bound on their number.
const ITEM_COST: usize = 32;

/// What every error needs to say where it is, the text expanded so far, and the params files
/// read so far.
struct Cx<'a> {
    file: &'a Path,
    text: &'a str,
    lines: &'a LineIndex,
    expanded: std::cell::Cell<usize>,
    files: &'a dyn ParamsFiles,
    /// The top-level `vars`.
    top_vars: Option<&'a Spanned<RawVars>>,
    /// The values `${…}` names in every stage: the root's default params file and the
    /// top-level `vars`. Read when first needed, so a project that interpolates nothing reads
    /// no params file while parsing.
    global: RefCell<Option<Rc<Context>>>,
    /// Params files read for `vars` (`None`: the file does not exist).
    docs: RefCell<HashMap<ProjectPath, Option<Rc<serde_json::Value>>>>,
    /// The default params file of each folder asked about (`None`: the root).
    defaults: RefCell<HashMap<Option<ProjectPath>, ProjectPath>>,
    /// The files `vars` loaded (explicitly or as the default params file).
    vars_files: RefCell<BTreeSet<ProjectPath>>,
}

impl Cx<'_> {
    fn location(&self, offset: usize) -> Location {
        let (line, column) = self.lines.line_column(self.text, offset);
        Location { file: self.file.to_path_buf(), line, column }
    }

    fn error(&self, offset: usize, message: &str) -> Error {
        Error::Spec { location: self.location(offset), message: message.to_owned() }
    }

    /// Count `len` more bytes of expanded text, at `span`; an error past [`MAX_EXPANDED_TEXT`].
    fn expand_text(&self, span: &Range<usize>, len: usize) -> Result<(), Error> {
        let total = self.expanded.get().saturating_add(len);
        self.expanded.set(total);
        if total > MAX_EXPANDED_TEXT {
            return Err(self.error(
                span.start,
                &format!(
                    "the stages expand to more than {} MiB of commands, paths and values; \
                     use fewer `foreach`/`matrix` values or shorter `${{…}}` values",
                    MAX_EXPANDED_TEXT >> 20
                ),
            ));
        }
        Ok(())
    }

    /// An error about `needle` inside the value at `span`: points at `needle` when the source
    /// text holds it verbatim (no escapes in the way), else at the value.
    fn error_in(&self, span: &Range<usize>, needle: &str, message: &str) -> Error {
        self.error(self.offset_in(span, needle), message)
    }

    /// Where `needle` is inside the value at `span` when the source text holds it verbatim,
    /// else where the value starts.
    fn offset_in(&self, span: &Range<usize>, needle: &str) -> usize {
        self.text
            .get(span.clone())
            .and_then(|s| s.find(needle))
            .map_or(span.start, |i| span.start + i)
    }

    /// `err` placed at `offset` in `mlx.toml`.
    fn at(&self, offset: usize, err: Error) -> Error {
        Error::At { location: self.location(offset), source: Box::new(err) }
    }

    /// The default params file of folder `dir` (the root for `None`).
    fn default_file(&self, dir: Option<&ProjectPath>) -> Result<ProjectPath, Error> {
        let key = dir.cloned();
        if let Some(file) = self.defaults.borrow().get(&key) {
            return Ok(file.clone());
        }
        let file = params::default_file(dir, self.files)?;
        self.defaults.borrow_mut().insert(key, file.clone());
        Ok(file)
    }

    /// A params file, parsed (read once); `None` when it does not exist.
    fn doc(&self, file: &ProjectPath) -> Result<Option<Rc<serde_json::Value>>, Error> {
        if let Some(doc) = self.docs.borrow().get(file) {
            return Ok(doc.clone());
        }
        let doc = match self.files.text(file)? {
            Some(text) => Some(Rc::new(params::parse_text(file, &text)?)),
            None => None,
        };
        self.docs.borrow_mut().insert(file.clone(), doc.clone());
        Ok(doc)
    }

    /// The values every stage's `${…}` can name (read on first use).
    fn global(&self) -> Result<Rc<Context>, Error> {
        if let Some(cx) = self.global.borrow().as_ref() {
            return Ok(Rc::clone(cx));
        }
        let mut context = Context::default();
        let default = self.default_file(None)?;
        if let Some(doc) = self.doc(&default)? {
            // Not located: no place in mlx.toml names the default params file.
            context.add_file(&default, &doc, None).map_err(|m| Error::BadParamsFile {
                file: default.clone(),
                line_column: None,
                message: m,
            })?;
            self.vars_files.borrow_mut().insert(default);
        }
        if let Some(vars) = self.top_vars {
            self.add_vars(&mut context, vars, None)?;
        }
        let context = Rc::new(context);
        *self.global.borrow_mut() = Some(Rc::clone(&context));
        Ok(context)
    }

    /// Add the entries of a `vars` (files relative to `wdir`) to `context`.
    fn add_vars(
        &self,
        context: &mut Context,
        vars: &Spanned<RawVars>,
        wdir: Option<&ProjectPath>,
    ) -> Result<(), Error> {
        let entries: Vec<(Range<usize>, &RawVar)> = match vars.get_ref() {
            RawVars::List(list) => list.iter().map(|e| (e.span(), e.get_ref())).collect(),
            RawVars::Table(_) => Vec::new(),
        };
        if let RawVars::Table(table) = vars.get_ref() {
            let value = params::toml_to_json(&toml::Value::Table(table.clone()));
            self.expand_text(&vars.span(), vars::value_size(&value))?;
            context.add_inline(value).map_err(|m| self.error(vars.span().start, &m))?;
        }
        for (span, entry) in entries {
            match entry {
                RawVar::Inline(table) => {
                    let value = params::toml_to_json(&toml::Value::Table(table.clone()));
                    self.expand_text(&span, vars::value_size(&value))?;
                    context.add_inline(value).map_err(|m| self.error(span.start, &m))?;
                }
                RawVar::File(text) => {
                    let (file, keys) = match text.rsplit_once(':') {
                        Some((file, keys)) if params::Format::of_name(file).is_some() => {
                            let keys: Vec<String> =
                                keys.split(',').map(|k| k.trim().to_owned()).collect();
                            if keys.iter().any(|k| k.is_empty() || k.split('.').any(str::is_empty))
                            {
                                return Err(self.error(
                                    span.start,
                                    &format!(
                                        "vars {text:?}: name keys like `params.yaml:train,model.depth`"
                                    ),
                                ));
                            }
                            (file, Some(keys))
                        }
                        _ => (text.as_str(), None),
                    };
                    let file = resolve_path(wdir, file)
                        .map_err(|m| self.error(span.start, &format!("vars: {m}")))?;
                    if params::Format::of(&file).is_none() {
                        return Err(self.error(
                            span.start,
                            &format!(
                                "vars {text:?}: params files must end in .toml, .json, .yaml or .yml"
                            ),
                        ));
                    }
                    let doc =
                        self.doc(&file).map_err(|e| self.at(span.start, e))?.ok_or_else(|| {
                            self.at(span.start, Error::MissingParamsFile { file: file.clone() })
                        })?;
                    if let Some(keys) = &keys {
                        let size: usize = keys
                            .iter()
                            .filter_map(|k| params::lookup(&doc, k))
                            .map(vars::value_size)
                            .sum();
                        self.expand_text(&span, size)?;
                    }
                    context
                        .add_file(&file, &doc, keys.as_deref())
                        .map_err(|m| self.error(span.start, &format!("vars: {m}")))?;
                    self.vars_files.borrow_mut().insert(file);
                }
            }
        }
        Ok(())
    }
}

// --- expansion -------------------------------------------------------------------------------------

/// The `foreach`/`matrix` values `${…}` can name in one expanded stage.
struct Vars<'a> {
    key: Option<&'a str>,
    item: &'a toml::Value,
}

/// What one expanded stage's strings are interpolated with, and the params files' values
/// their `${…}` used (tracked as the stage's params).
struct Scope<'a> {
    stage: &'a str,
    foreach: Option<&'a Vars<'a>>,
    /// The stage's own `vars` over the global values; `None`: the global values alone.
    local: Option<Rc<Context>>,
    used: RefCell<Vec<ParamRef>>,
}

/// A stage's contexts with its own `vars`, by `wdir` (their files are relative to it).
type LocalContexts = RefCell<HashMap<Option<ProjectPath>, Rc<Context>>>;

fn valid_stage_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn valid_name_suffix(suffix: &str) -> bool {
    !suffix.is_empty()
        && suffix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn check_resource_name(cx: &Cx<'_>, name: &Spanned<String>) -> Result<(), Error> {
    if valid_stage_name(name.get_ref()) {
        Ok(())
    } else {
        Err(cx.error(
            name.span().start,
            &format!(
                "resource name {:?} may only contain letters, digits, `_` and `-`",
                name.get_ref()
            ),
        ))
    }
}

/// The `foreach`/`matrix` values of one expansion, flattened as `${…}` names them.
fn expansion_values(vars: Option<&Vars<'_>>) -> Vec<(String, String)> {
    fn walk(name: String, v: &toml::Value, out: &mut Vec<(String, String)>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    walk(format!("{name}.{k}"), v, out);
                }
            }
            toml::Value::Array(_) => out.push((name, v.to_string())),
            other => out.push((name, scalar_text(other).unwrap_or_default())),
        }
    }
    let Some(vars) = vars else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(key) = vars.key {
        out.push(("key".to_owned(), key.to_owned()));
    }
    walk("item".to_owned(), vars.item, &mut out);
    out
}

/// A scalar as it reads in a name or an interpolated string; `None` for tables and arrays.
fn scalar_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Table(_) | toml::Value::Array(_) => None,
        other => Some(other.to_string()),
    }
}

/// One raw stage → its expanded stages (one unless `foreach` or `matrix`).
/// `room`: how many more stages the pipeline may have.
fn expand(
    cx: &Cx<'_>,
    name: &Spanned<String>,
    raw: &RawStage,
    limits: &BTreeMap<String, u32>,
    room: usize,
) -> Result<Vec<(Stage, StageSpans)>, Error> {
    let base = name.get_ref();
    let name_span = name.span();
    if !valid_stage_name(base) {
        return Err(cx.error(
            name_span.start,
            &format!("stage name {base:?} may only contain letters, digits, `_` and `-`"),
        ));
    }
    let too_many = |span: &Range<usize>| {
        cx.error(
            span.start,
            &format!(
                "stage {base} expands to more stages than the {MAX_STAGES} a pipeline may have"
            ),
        )
    };
    if room == 0 {
        return Err(too_many(&name_span));
    }
    // (name suffix, key, item, span of the value it comes from)
    let mut variants: Vec<Variant> = Vec::new();
    match (&raw.foreach, &raw.matrix) {
        (Some(_), Some(matrix)) => {
            return Err(cx.error(
                matrix.span().start,
                &format!("stage {base} has both `foreach` and `matrix`; use one"),
            ));
        }
        (Some(foreach), None) => {
            let span = foreach.span();
            let owned;
            let foreach_value = match foreach.get_ref() {
                RawForeach::Expr(text) => {
                    owned = foreach_from_expr(cx, text, &span)?;
                    &owned
                }
                other => other,
            };
            let count = match foreach_value {
                RawForeach::List(items) => items.len(),
                RawForeach::Table(entries) => entries.len(),
                RawForeach::Expr(_) => unreachable!("resolved above"),
            };
            if count > room {
                return Err(too_many(&span));
            }
            match foreach_value {
                RawForeach::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let suffix = scalar_text(item).unwrap_or_else(|| i.to_string());
                        variants.push((suffix, None, item.clone(), span.clone()));
                    }
                }
                RawForeach::Table(entries) => {
                    let mut entries: Vec<_> = entries.iter().collect();
                    entries.sort_by_key(|(k, _)| k.span().start);
                    for (key, item) in entries {
                        let key = key.get_ref().clone();
                        variants.push((key.clone(), Some(key), item.clone(), span.clone()));
                    }
                }
                RawForeach::Expr(_) => unreachable!("resolved above"),
            }
            if variants.is_empty() {
                return Err(cx.error(span.start, &format!("`foreach` of stage {base} is empty")));
            }
        }
        (None, Some(matrix)) => {
            variants = matrix_variants(cx, base, matrix, room)
                .ok_or_else(|| too_many(&matrix.span()))??;
        }
        (None, None) => {}
    }

    let locals = LocalContexts::default();
    if variants.is_empty() {
        let no_vars = None;
        return Ok(vec![build_stage(
            cx,
            StageName(base.clone()),
            &name_span,
            raw,
            no_vars,
            limits,
            &locals,
        )?]);
    }
    let mut out = Vec::with_capacity(variants.len());
    for (suffix, key, item, span) in &variants {
        if !valid_name_suffix(suffix) {
            return Err(cx.error_in(
                span,
                suffix,
                &format!(
                    "{suffix:?} cannot be part of a stage name (letters, digits, `_`, `-` and `.` only); \
                     use a table `foreach = {{ name = … }}` to name the variants"
                ),
            ));
        }
        let stage_name = StageName(format!("{base}@{suffix}"));
        let vars = Vars { key: key.as_deref(), item };
        out.push(build_stage(cx, stage_name, &name_span, raw, Some(&vars), limits, &locals)?);
    }
    Ok(out)
}

/// `foreach = "${key}"`: the list or table that `key` names among the params files' values and
/// `vars` (not tracked as params: each stage's commands and paths change with its value).
fn foreach_from_expr(cx: &Cx<'_>, text: &str, span: &Range<usize>) -> Result<RawForeach, Error> {
    let expr = text
        .trim()
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .filter(|e| !e.contains("${"))
        .map(str::trim)
        .ok_or_else(|| {
            cx.error(
                span.start,
                "a `foreach` written as text must be one `${key}` naming a list or table of \
                 values from a params file or `vars`",
            )
        })?;
    let key =
        vars::parse_expr(expr).map_err(|m| cx.error(span.start, &format!("`${{{expr}}}`: {m}")))?;
    let context = cx.global().map_err(|e| cx.at(span.start, e))?;
    let Some((value, _)) = context.get(&key) else {
        return Err(cx.error(span.start, &unknown_in_context(expr, &key, &context)));
    };
    cx.expand_text(span, vars::value_size(&value))?;
    let convert = |v: &serde_json::Value| {
        json_to_toml(v).ok_or_else(|| {
            cx.error(
                span.start,
                &format!("`${{{expr}}}` holds a null; `foreach` values cannot be null"),
            )
        })
    };
    match &*value {
        serde_json::Value::Array(items) => {
            Ok(RawForeach::List(items.iter().map(convert).collect::<Result<_, _>>()?))
        }
        serde_json::Value::Object(map) => Ok(RawForeach::Table(
            map.iter()
                .map(|(k, v)| Ok((Spanned::new(span.clone(), k.clone()), convert(v)?)))
                .collect::<Result<_, Error>>()?,
        )),
        other => Err(cx.error(
            span.start,
            &format!("`${{{expr}}}` is {}; `foreach` needs a list or a table", json_type(other)),
        )),
    }
}

/// A JSON value as TOML; `None` when it holds a null (TOML has none).
fn json_to_toml(value: &serde_json::Value) -> Option<toml::Value> {
    use serde_json::Value as J;
    Some(match value {
        J::Null => return None,
        J::Bool(b) => toml::Value::Boolean(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        J::String(s) => toml::Value::String(s.clone()),
        J::Array(items) => {
            toml::Value::Array(items.iter().map(json_to_toml).collect::<Option<_>>()?)
        }
        J::Object(map) => toml::Value::Table(
            map.iter().map(|(k, v)| Some((k.clone(), json_to_toml(v)?))).collect::<Option<_>>()?,
        ),
    })
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a table",
    }
}

/// Why `${expr}` names nothing among the params files' values and `vars`.
fn unknown_in_context(expr: &str, key: &str, context: &Context) -> String {
    let files: Vec<String> = context.files().map(ToString::to_string).collect();
    let sources = match files.as_slice() {
        [] => format!("no params file or `vars` defines {key}"),
        [one] => format!("{one} and `vars` do not define {key}"),
        [init @ .., last] => format!("{}, {last} and `vars` do not define {key}", init.join(", ")),
    };
    format!("unknown variable `${{{expr}}}`: {sources}")
}

fn toml_type(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

/// `matrix = { model = ["rf", "gbm"], seed = [1, 2] }` → rf-1, rf-2, gbm-1, gbm-2 (first key
/// outermost), each item a table `{ model = …, seed = … }`. `None` when there would be more
/// than `room` combinations.
fn matrix_variants(
    cx: &Cx<'_>,
    base: &str,
    matrix: &Spanned<RawMatrix>,
    room: usize,
) -> Option<Result<Vec<Variant>, Error>> {
    let mut axes: Vec<(&Spanned<String>, &Spanned<Vec<toml::Value>>)> =
        matrix.get_ref().iter().collect();
    axes.sort_by_key(|(k, _)| k.span().start);
    if axes.is_empty() {
        return Some(Err(
            cx.error(matrix.span().start, &format!("`matrix` of stage {base} is empty"))
        ));
    }
    if let Some((key, values)) = axes.iter().find(|(_, values)| values.get_ref().is_empty()) {
        return Some(Err(cx.error(
            values.span().start,
            &format!("`matrix.{}` of stage {base} has no values", key.get_ref()),
        )));
    }
    let count = axes
        .iter()
        .try_fold(1_usize, |n, (_, values)| n.checked_mul(values.get_ref().len()))
        .filter(|&n| n <= room)?;
    // Each combination as one index per axis, the last axis changing fastest.
    let sizes: Vec<Vec<usize>> =
        axes.iter().map(|(_, values)| values.get_ref().iter().map(value_size).collect()).collect();
    let mut variants = Vec::with_capacity(count);
    let mut at = vec![0_usize; axes.len()];
    for _ in 0..count {
        let size = sizes.iter().zip(&at).map(|(s, &i)| 2 * s[i] + ITEM_COST).sum();
        if let Err(e) = cx.expand_text(&matrix.span(), size) {
            return Some(Err(e));
        }
        let mut parts = Vec::with_capacity(axes.len());
        let mut table = toml::Table::new();
        for ((key, values), &i) in axes.iter().zip(&at) {
            let value = &values.get_ref()[i];
            parts.push(scalar_text(value).unwrap_or_else(|| format!("{}{i}", key.get_ref())));
            table.insert(key.get_ref().clone(), value.clone());
        }
        let span = axes.last().map_or_else(|| matrix.span(), |(_, values)| values.span());
        variants.push((parts.join("-"), None, toml::Value::Table(table), span));
        for (axis, i) in at.iter_mut().enumerate().rev() {
            *i += 1;
            if *i < axes[axis].1.get_ref().len() {
                break;
            }
            *i = 0;
        }
    }
    Some(Ok(variants))
}

/// About how many bytes a value takes (its text, a few bytes per number), without recursion.
fn value_size(value: &toml::Value) -> usize {
    let mut size = 0;
    let mut todo = vec![value];
    while let Some(v) = todo.pop() {
        size += 8;
        match v {
            toml::Value::String(s) => size += s.len(),
            toml::Value::Array(items) => todo.extend(items),
            toml::Value::Table(t) => {
                size += t.keys().map(String::len).sum::<usize>();
                todo.extend(t.values());
            }
            _ => {}
        }
    }
    size
}

/// Replace every `${…}` in `s` (see [`resolve_var`]); `\${` stays a literal `${`. `in_cmd`: a
/// table unpacks into command-line options (only commands take them).
fn interpolate(
    cx: &Cx<'_>,
    s: &Spanned<String>,
    scope: &Scope<'_>,
    in_cmd: bool,
) -> Result<String, Error> {
    let text = s.get_ref();
    let span = s.span();
    cx.expand_text(&span, ITEM_COST)?;
    if !text.contains("${") {
        cx.expand_text(&span, text.len())?;
        return Ok(text.clone());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("${") {
        if rest[..i].ends_with('\\') {
            cx.expand_text(&span, i + 1)?;
            out.push_str(&rest[..i - 1]);
            out.push_str("${");
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            let snippet: String = rest[i..].chars().take(20).collect();
            return Err(cx.error_in(
                &span,
                &snippet,
                "unclosed `${`; write `\\${` for a literal `${`",
            ));
        };
        let expr = after[..end].trim();
        let whole = &rest[i..i + 2 + end + 1];
        let value = resolve_var(cx, expr, scope, in_cmd, cx.offset_in(&span, whole))?;
        cx.expand_text(&span, i + value.len())?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    cx.expand_text(&span, rest.len())?;
    out.push_str(rest);
    Ok(out)
}

/// The text of `${expr}` (at `offset` in `mlx.toml`): `${item}`, `${item.a.b}` and `${key}` in
/// a `foreach`/`matrix` stage; otherwise a value of the params files and `vars` (`${train.lr}`,
/// `${layers[0]}`), whose file and key the stage then tracks as a param.
fn resolve_var(
    cx: &Cx<'_>,
    expr: &str,
    scope: &Scope<'_>,
    in_cmd: bool,
    offset: usize,
) -> Result<String, Error> {
    let fail = |m: String| cx.error(offset, &m);
    let key = vars::parse_expr(expr).map_err(|m| fail(format!("`${{{expr}}}`: {m}")))?;
    let head = key.split('.').next().unwrap_or("");
    let stage = scope.stage;
    if matches!(head, "item" | "key") {
        return match scope.foreach {
            Some(foreach) => resolve_foreach_var(expr, &key, stage, foreach).map_err(fail),
            None => Err(fail(format!(
                "unknown variable `${{{expr}}}`: stage {stage} has no `foreach` or `matrix` \
                 (write `\\${{` for a literal `${{`)"
            ))),
        };
    }
    let context = match &scope.local {
        Some(local) => Rc::clone(local),
        None => cx.global().map_err(|e| cx.at(offset, e))?,
    };
    let Some((value, files)) = context.get(&key) else {
        let mut message = unknown_in_context(expr, &key, &context);
        match scope.foreach {
            Some(foreach) => {
                let known =
                    if foreach.key.is_some() { "`${key}` and `${item}`" } else { "`${item}`" };
                message.push_str(&format!("; stage {stage} defines {known}"));
            }
            None => message.push_str(" (write `\\${` for a literal `${`)"),
        }
        return Err(fail(message));
    };
    let text = match &*value {
        serde_json::Value::Object(table) if in_cmd => vars::unpack(table),
        serde_json::Value::Object(_) => {
            return Err(fail(format!(
                "`${{{expr}}}` is a table; name one of its keys (`${{{expr}.KEY}}`): a table \
                 unpacks into options only in `cmd`"
            )));
        }
        serde_json::Value::Array(_) => {
            return Err(fail(format!(
                "`${{{expr}}}` is a list; name one of its items, e.g. `${{{expr}[0]}}`"
            )));
        }
        other => vars::scalar_text(other)
            .ok_or_else(|| fail(format!("`${{{expr}}}` is null; give it a value")))?,
    };
    let mut used = scope.used.borrow_mut();
    for file in files {
        used.push(ParamRef { file: file.clone(), key: key.clone() });
    }
    Ok(text)
}

/// `${item}`, `${item.a.b}` (a number indexes a list) or `${key}`.
fn resolve_foreach_var(
    expr: &str,
    key: &str,
    stage: &str,
    vars: &Vars<'_>,
) -> Result<String, String> {
    let mut parts = key.split('.');
    let head = parts.next().unwrap_or("");
    if head == "key" {
        return match (vars.key, parts.next()) {
            (Some(k), None) => Ok(k.to_owned()),
            (None, _) => Err(format!(
                "unknown variable `${{{expr}}}`: `${{key}}` needs `foreach` over a table \
                 (stage {stage})"
            )),
            (Some(_), Some(_)) => Err(format!("unknown variable `${{{expr}}}`")),
        };
    }
    let mut value = vars.item;
    let mut path = head.to_owned();
    for part in parts {
        match value {
            toml::Value::Table(t) => match t.get(part) {
                Some(v) => value = v,
                None => {
                    let fields: Vec<&str> = t.keys().map(String::as_str).collect();
                    return Err(format!(
                        "unknown variable `${{{expr}}}`: {path} has no field {part:?} (it has {})",
                        fields.join(", ")
                    ));
                }
            },
            toml::Value::Array(items) => {
                match part.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(v) => value = v,
                    None => {
                        return Err(format!(
                            "unknown variable `${{{expr}}}`: {path} is a list of {} items; \
                         {part:?} is not one of its indexes",
                            items.len()
                        ));
                    }
                }
            }
            other => {
                return Err(format!(
                    "unknown variable `${{{expr}}}`: {path} is {}, not a table",
                    toml_type(other)
                ));
            }
        }
        path = format!("{path}.{part}");
    }
    scalar_text(value).ok_or_else(|| {
        format!(
            "`${{{expr}}}` is {}; name one of its fields, e.g. `${{{path}.name}}`",
            toml_type(value)
        )
    })
}

/// The longest path a stage may name (Linux's `PATH_MAX`).
pub const MAX_PATH_BYTES: usize = 4096;

/// Resolve a path written in a stage (relative to its `wdir`) into a project path.
fn resolve_path(wdir: Option<&ProjectPath>, raw: &str) -> Result<ProjectPath, String> {
    if raw.trim().is_empty() {
        return Err("empty path".into());
    }
    // No file system opens longer paths; longer ones would make finding the stages that write
    // a path slow (its every ancestor is looked up).
    let too_long = || format!("a path is at most {MAX_PATH_BYTES} bytes long; this one has more");
    if raw.len() > MAX_PATH_BYTES {
        return Err(too_long());
    }
    let path = Path::new(raw);
    if path.is_absolute() {
        return Err(format!(
            "{raw:?} is absolute; paths in mlx.toml are relative to the stage's wdir and must stay inside the project"
        ));
    }
    let mut out: Vec<&std::ffi::OsStr> =
        wdir.map(|w| w.as_path().iter().collect()).unwrap_or_default();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if out.pop().is_none() {
                    return Err(format!("{raw:?} leads outside the project"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("{raw:?} is absolute"));
            }
        }
    }
    let joined: PathBuf = out.iter().collect();
    if joined.as_os_str().len() > MAX_PATH_BYTES {
        return Err(too_long());
    }
    RelPath::new(joined).map_err(|e| match e {
        crate::project_path::PathError::Empty { .. } => {
            format!("{raw:?} names the project root itself")
        }
        other => other.to_string(),
    })
}

#[allow(clippy::too_many_lines)]
fn build_stage(
    cx: &Cx<'_>,
    name: StageName,
    name_span: &Range<usize>,
    raw: &RawStage,
    vars: Option<&Vars<'_>>,
    limits: &BTreeMap<String, u32>,
    locals: &LocalContexts,
) -> Result<(Stage, StageSpans), Error> {
    let stage = name.as_str();
    let mut scope = Scope { stage, foreach: vars, local: None, used: RefCell::new(Vec::new()) };
    let path_error = |span: &Range<usize>, m: String| cx.error(span.start, &m);

    let Some(raw_cmd) = &raw.cmd else {
        return Err(cx.error(name_span.start, &format!("stage {stage} has no `cmd`")));
    };

    // `wdir` first: the stage's own `vars` files are relative to it (so it cannot use them).
    let wdir = match &raw.wdir {
        None => None,
        Some(w) => {
            let text = interpolate(cx, w, &scope, false)?;
            if Path::new(&text).components().all(|c| c == Component::CurDir) {
                None
            } else {
                Some(
                    resolve_path(None, &text)
                        .map_err(|m| path_error(&w.span(), format!("wdir: {m}")))?,
                )
            }
        }
    };
    if let Some(stage_vars) = &raw.vars {
        let cached = locals.borrow().get(&wdir).cloned();
        let local = match cached {
            Some(local) => local,
            None => {
                let mut local =
                    Context::clone(&*cx.global().map_err(|e| cx.at(stage_vars.span().start, e))?);
                cx.add_vars(&mut local, stage_vars, wdir.as_ref())?;
                let local = Rc::new(local);
                locals.borrow_mut().insert(wdir.clone(), Rc::clone(&local));
                local
            }
        };
        scope.local = Some(local);
    }
    let interp = |s: &Spanned<String>| interpolate(cx, s, &scope, false);

    let cmd = {
        let list: Vec<Spanned<String>> = match raw_cmd.get_ref() {
            RawCmd::One(s) => vec![Spanned::new(raw_cmd.span(), s.clone())],
            RawCmd::Many(all) => all.clone(),
        };
        if list.is_empty() {
            return Err(cx.error(raw_cmd.span().start, &format!("`cmd` of stage {stage} is empty")));
        }
        let mut out = Vec::with_capacity(list.len());
        for c in &list {
            let text = interpolate(cx, c, &scope, true)?;
            if text.trim().is_empty() {
                return Err(cx.error(c.span().start, "empty command"));
            }
            out.push(text);
        }
        out
    };

    let mut spans = StageSpans { header: name_span.clone(), deps: Vec::new(), outs: Vec::new() };

    // Sets beside the lists keep long lists linear.
    let mut deps = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in &raw.deps {
        let path =
            resolve_path(wdir.as_ref(), &interp(d)?).map_err(|m| path_error(&d.span(), m))?;
        if seen.insert(path.clone()) {
            spans.deps.push((path.clone(), d.span()));
            deps.push(path);
        }
    }

    let mut params: Vec<ParamRef> = Vec::new();
    let mut seen_params = std::collections::HashSet::new();
    for p in &raw.params {
        let text = interp(p)?;
        let param =
            parse_param_ref(cx, wdir.as_ref(), &text).map_err(|m| path_error(&p.span(), m))?;
        if seen_params.insert(param.clone()) {
            params.push(param);
        }
    }

    let mut outs: Vec<Out> = Vec::new();
    // Per out: `cache` and `persist` as written, and where.
    let mut explicit: Vec<(Option<bool>, Option<bool>, Range<usize>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let groups =
        [(&raw.outs, OutKind::Out), (&raw.metrics, OutKind::Metrics), (&raw.plots, OutKind::Plots)];
    for (entries, kind) in groups {
        for entry in entries {
            let raw_out = entry.get_ref();
            let path_span = if raw_out.bare { entry.span() } else { raw_out.path.span() };
            let text = interp(&Spanned::new(path_span.clone(), raw_out.path.get_ref().clone()))?;
            let path = resolve_path(wdir.as_ref(), &text).map_err(|m| path_error(&path_span, m))?;
            crate::work_tree::check_data_path(&path)
                .map_err(|e| path_error(&path_span, format!("output of stage {stage}: {e}")))?;
            if !seen.insert(path.clone()) {
                return Err(cx.error(
                    path_span.start,
                    &format!("{path} is listed twice in the outputs of stage {stage}"),
                ));
            }
            if kind != OutKind::Plots && !raw_out.plot.is_empty() {
                let at = raw_out.plot.first_span().unwrap_or(path_span);
                return Err(cx.error(
                    at.start,
                    "x, y, template, title, x_label and y_label are keys of `plots` entries only",
                ));
            }
            let plot =
                raw_out.plot.clone().check().map_err(|(span, m)| cx.error(span.start, &m))?;
            spans.outs.push((path.clone(), path_span.clone()));
            explicit.push((raw_out.cache, raw_out.persist, path_span));
            outs.push(Out {
                path,
                kind,
                cache: raw_out.cache.unwrap_or(true),
                persist: raw_out.persist.unwrap_or(false),
                plot: plot.map(Box::new),
                within: None,
            });
        }
    }
    place_within(cx, stage, &mut outs, &explicit)?;

    let mut env = BTreeMap::new();
    for (key, value) in &raw.env {
        let k = key.get_ref();
        if k.is_empty() || k.contains('=') || k.contains('\0') {
            return Err(cx.error(
                key.span().start,
                &format!("{k:?} is not a valid environment variable name"),
            ));
        }
        cx.expand_text(&key.span(), k.len())?;
        let value = interp(&Spanned::new(value.span(), value.get_ref().0.clone()))?;
        env.insert(k.clone(), value);
    }

    let mut resources = BTreeMap::new();
    for (key, amount) in &raw.resources {
        check_resource_name(cx, key)?;
        if let Some(limit) = limits.get(key.get_ref())
            && amount.get_ref() > limit
        {
            return Err(cx.error(
                amount.span().start,
                &format!(
                    "stage {stage} needs {} {} but [resources] allows only {limit}",
                    amount.get_ref(),
                    key.get_ref()
                ),
            ));
        }
        cx.expand_text(&key.span(), ITEM_COST + key.get_ref().len())?;
        resources.insert(key.get_ref().clone(), *amount.get_ref());
    }

    // Values of params files that `${…}` used are params of the stage too (unless a declared
    // param already covers them): a change to one makes the stage stale and is recorded.
    for used in scope.used.take() {
        let covered = params.iter().any(|p| {
            p.file == used.file
                && (p.key == used.key
                    || used.key.strip_prefix(&p.key).is_some_and(|r| r.starts_with('.')))
        });
        if !covered && seen_params.insert(used.clone()) {
            params.push(used);
        }
    }

    let mut tools: Vec<String> = Vec::new();
    for t in &raw.tools {
        let tool = interp(t)?;
        if !crate::pipeline::tools::valid_name(&tool) {
            return Err(cx.error(
                t.span().start,
                &format!(
                    "tool {tool:?} is not a program name: `tools` lists programs found on PATH \
                     (like \"python\" or \"nvcc\"), whose `--version` the stage depends on"
                ),
            ));
        }
        if !tools.contains(&tool) {
            tools.push(tool);
        }
    }

    let stage = Stage {
        name,
        cmd,
        wdir,
        deps,
        params,
        outs,
        env,
        always_changed: raw.always_changed,
        resources,
        expansion: expansion_values(vars),
        tools,
        frozen: raw.frozen,
    };
    Ok((stage, spans))
}

/// Metrics and plots entries inside another output of the same stage (a folder) are stored by
/// it: they take its `cache` and `persist` unless they say otherwise, and say otherwise only
/// where that can be honoured. A folder that is cached or recorded holds the file's bytes, so
/// the entry's `cache` must agree; a folder cleared before the stage runs takes the file with
/// it, so the entry cannot persist; a file that does not persist inside a persistent folder is
/// removed before the stage runs. The outermost output containing it stores it.
fn place_within(
    cx: &Cx<'_>,
    stage: &str,
    outs: &mut [Out],
    explicit: &[(Option<bool>, Option<bool>, Range<usize>)],
) -> Result<(), Error> {
    if outs.len() < 2 {
        return Ok(());
    }
    // Component-wise order puts every path right after the outputs containing it.
    let mut order: Vec<usize> = (0..outs.len()).collect();
    order.sort_by(|&a, &b| outs[a].path.cmp(&outs[b].path));
    let mut top: Option<usize> = None;
    for i in order {
        let Some(t) = top.filter(|&t| outs[i].path.starts_with(&outs[t].path)) else {
            top = Some(i);
            continue;
        };
        if outs[i].kind == OutKind::Out {
            // An output inside another stays an error (see `dag`); a metrics or plots folder
            // holding an output is one too.
            continue;
        }
        let (cache, persist, span) = &explicit[i];
        let (folder, folder_cache, folder_persist) =
            (outs[t].path.clone(), outs[t].cache, outs[t].persist);
        let path = &outs[i].path;
        if cache.is_some_and(|c| c != folder_cache) {
            let how = if folder_cache { "caches" } else { "records without caching" };
            return Err(cx.error(
                span.start,
                &format!(
                    "{path} lies inside output {folder} of stage {stage}, which {how} it: \
                     `cache` cannot differ here; drop it or set `cache` on {folder}"
                ),
            ));
        }
        if persist == &Some(true) && !folder_persist {
            return Err(cx.error(
                span.start,
                &format!(
                    "{path} lies inside output {folder} of stage {stage}, which is removed \
                     before the stage runs: it cannot persist unless {folder} does \
                     (`persist = true` on {folder})"
                ),
            ));
        }
        let out = &mut outs[i];
        out.cache = folder_cache;
        out.persist = persist.unwrap_or(folder_persist);
        out.within = Some(folder);
    }
    Ok(())
}

/// `"train.lr"` (in the default params file of the stage's `wdir`) or `"other.yaml:train.lr"`.
fn parse_param_ref(
    cx: &Cx<'_>,
    wdir: Option<&ProjectPath>,
    text: &str,
) -> Result<ParamRef, String> {
    let (file, key) = match text.rsplit_once(':') {
        Some((file, key)) => (Some(file), key),
        None => (None, text),
    };
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(format!("param {text:?}: the key must be dotted names like `train.lr`"));
    }
    let file = match file {
        Some(file) => resolve_path(wdir, file).map_err(|m| format!("param {text:?}: {m}"))?,
        None => cx.default_file(wdir).map_err(|e| format!("param {text:?}: {e}"))?,
    };
    if super::params::Format::of(&file).is_none() {
        return Err(format!(
            "param {text:?}: params files must end in .toml, .json, .yaml or .yml"
        ));
    }
    Ok(ParamRef { file, key: key.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Pipeline {
        parse(Path::new("mlx.toml"), text).unwrap().expect("has stages")
    }

    fn parse_err(text: &str) -> String {
        parse(Path::new("mlx.toml"), text).unwrap_err().to_string()
    }

    fn names(p: &Pipeline) -> Vec<&str> {
        p.stages.iter().map(|s| s.name.as_str()).collect()
    }

    fn paths(list: &[ProjectPath]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    const FULL: &str = r#"
[core]
lock_timeout = 5

[resources]
gpu = 1

[stages.train]
cmd = ["python train.py", "python report.py"]
deps = ["data/prepared", "train.py"]
params = ["train", "conf/model.yaml:model.depth"]
outs = ["model.pkl", { path = "ckpt", persist = true }]
metrics = [{ path = "eval/metrics.json", cache = false }]
plots = ["eval/plots/roc.csv"]
env = { OMP_NUM_THREADS = 1, MODE = "fast" }
always_changed = true
resources = { gpu = 1 }
desc = "fits the model"

[stages.prepare]
cmd = "python src/prepare.py data/data.xml"
wdir = "."
deps = ["data/data.xml", "src/prepare.py"]
params = ["prepare.seed", "prepare.split"]
outs = ["data/prepared", { path = "cache/tmp", cache = false }]
"#;

    /// A few lines of `foreach`/`matrix` must not ask for millions of stages or gigabytes.
    #[test]
    fn expansion_is_bounded() {
        let start = std::time::Instant::now();
        let axes: Vec<String> =
            (0..8).map(|i| format!("a{i} = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]")).collect();
        let err =
            parse_err(&format!("[stages.s]\ncmd = \"x\"\nmatrix = {{ {} }}\n", axes.join(", ")));
        assert_eq!(
            err,
            "mlx.toml:3:10: stage s expands to more stages than the 10000 a pipeline may have"
        );
        let items: Vec<String> = (0..=MAX_STAGES).map(|i| i.to_string()).collect();
        let err =
            parse_err(&format!("[stages.s]\ncmd = \"x\"\nforeach = [{}]\n", items.join(", ")));
        assert!(err.contains("more stages than the 10000"), "{err}");
        // 9,000 stages, and 2,000 more from a second stage: the limit is for the pipeline.
        let err = parse_err(&format!(
            "[stages.s]\ncmd = \"x\"\nforeach = [{}]\n[stages.t]\ncmd = \"x\"\nforeach = [{}]\n",
            items[..9000].join(", "),
            items[..2000].join(", ")
        ));
        assert!(err.starts_with("mlx.toml:6:11: stage t expands"), "{err}");
        // One item of a megabyte named 40 times in one command.
        let err = parse_err(&format!(
            "[stages.s]\ncmd = \"{}\"\nforeach = [\"{}\"]\n",
            "${item}".repeat(40),
            "x".repeat(1 << 20)
        ));
        assert!(err.starts_with("mlx.toml:2:7: the stages expand to more than 32 MiB"), "{err}");
        // A matrix value of a megabyte in each of 40 combinations.
        let err = parse_err(&format!(
            "[stages.s]\ncmd = \"x\"\nmatrix = {{ a = [\"{}\"], b = [{}] }}\n",
            "x".repeat(1 << 20),
            items[..40].join(", ")
        ));
        assert!(err.contains("more than 32 MiB"), "{err}");
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "{:?}", start.elapsed());
    }

    /// Found by reading the graph code: a dependency of 50,000 components took a minute (every
    /// ancestor of a dep is looked up among the outputs).
    #[test]
    fn paths_longer_than_path_max_are_errors() {
        let long = vec!["a"; 50_000].join("/");
        let err = parse_err(&format!("[stages.s]\ncmd = \"x\"\ndeps = [\"{long}\"]\n"));
        assert_eq!(err, "mlx.toml:3:9: a path is at most 4096 bytes long; this one has more");
        let wdir = "w/".repeat(1000);
        let dep = "d/".repeat(1100);
        let err =
            parse_err(&format!("[stages.s]\ncmd = \"x\"\nwdir = \"{wdir}\"\ndeps = [\"{dep}\"]\n"));
        assert!(err.ends_with("at most 4096 bytes long; this one has more"), "{err}");
        let ok = "a/".repeat(2000);
        assert_eq!(
            parse_ok(&format!("[stages.s]\ncmd = \"x\"\nouts = [\"{ok}\"]\n")).stages.len(),
            1
        );
    }

    /// Repeated entries are dropped in linear time: 50,000 deps and params parse at once.
    #[test]
    fn long_lists_parse_in_linear_time() {
        let start = std::time::Instant::now();
        let deps: Vec<String> = (0..50_000).map(|i| format!("\"d/{}\"", i % 25_000)).collect();
        let params: Vec<String> = (0..50_000).map(|i| format!("\"k{i}\"")).collect();
        let outs: Vec<String> = (0..50_000).map(|i| format!("\"o/{i}\"")).collect();
        let p = parse_ok(&format!(
            "[stages.s]\ncmd = \"x\"\ndeps = [{}]\nparams = [{}]\nouts = [{}]\n",
            deps.join(","),
            params.join(","),
            outs.join(",")
        ));
        assert_eq!(
            (p.stages[0].deps.len(), p.stages[0].params.len(), p.stages[0].outs.len()),
            (25_000, 50_000, 50_000)
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "{:?}", start.elapsed());
    }

    #[test]
    fn parses_every_key_and_orders_producers_first() {
        let p = parse_ok(FULL);
        assert_eq!(names(&p), ["prepare", "train"]);
        assert_eq!(p.resources, BTreeMap::from([("gpu".to_owned(), 1)]));
        let prepare = &p.stages[0];
        assert_eq!(prepare.cmd, ["python src/prepare.py data/data.xml"]);
        assert_eq!(prepare.wdir, None);
        assert_eq!(prepare.params[1].file.to_string(), "params.toml");
        assert_eq!(prepare.params[1].key, "prepare.split");
        assert!(!prepare.outs[1].cache);
        let train = &p.stages[1];
        assert_eq!(train.cmd.len(), 2);
        assert_eq!(paths(&train.deps), ["data/prepared", "train.py"]);
        assert_eq!(train.params[0].key, "train");
        assert_eq!(train.params[1].display_name(), "conf/model.yaml:model.depth");
        let kinds: Vec<(String, OutKind, bool, bool)> =
            train.outs.iter().map(|o| (o.path.to_string(), o.kind, o.cache, o.persist)).collect();
        assert_eq!(
            kinds,
            [
                ("model.pkl".into(), OutKind::Out, true, false),
                ("ckpt".into(), OutKind::Out, true, true),
                ("eval/metrics.json".into(), OutKind::Metrics, false, false),
                ("eval/plots/roc.csv".into(), OutKind::Plots, true, false),
            ]
        );
        assert_eq!(train.env["OMP_NUM_THREADS"], "1");
        assert_eq!(train.env["MODE"], "fast");
        assert!(train.always_changed);
        assert_eq!(train.resources["gpu"], 1);
    }

    #[test]
    fn no_stages_table_is_none() {
        assert!(parse(Path::new("mlx.toml"), "[cache]\ntype = \"copy\"\n").unwrap().is_none());
        assert!(parse(Path::new("mlx.toml"), "").unwrap().is_none());
        assert_eq!(parse_ok("[stages]\n").stages.len(), 0);
    }

    #[test]
    fn independent_stages_keep_declaration_order() {
        let p = parse_ok(
            "[stages.zeta]\ncmd = \"z\"\n[stages.alpha]\ncmd = \"a\"\n[stages.mid]\ncmd = \"m\"\n",
        );
        assert_eq!(names(&p), ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn paths_are_relative_to_wdir() {
        let p = parse_ok(
            "[stages.s]\ncmd = \"make\"\nwdir = \"src/app\"\ndeps = [\"../../data/x\", \"main.c\"]\n\
             params = [\"lr\", \"../conf.json:a.b\"]\nouts = [\"./build/out\"]\n",
        );
        let s = &p.stages[0];
        assert_eq!(s.wdir.as_ref().map(ToString::to_string).as_deref(), Some("src/app"));
        assert_eq!(paths(&s.deps), ["data/x", "src/app/main.c"]);
        assert_eq!(s.params[0].file.to_string(), "src/app/params.toml");
        assert_eq!(s.params[1].file.to_string(), "src/conf.json");
        assert_eq!(s.outs[0].path.to_string(), "src/app/build/out");
    }

    #[test]
    fn paths_outside_the_project_are_refused_where_written() {
        let err = parse_err("[stages.s]\ncmd = \"x\"\ndeps = [\"ok\", \"../etc/passwd\"]\n");
        assert_eq!(err, "mlx.toml:3:15: \"../etc/passwd\" leads outside the project");
        let err = parse_err("[stages.s]\ncmd = \"x\"\nwdir = \"sub\"\nouts = [\"../../x\"]\n");
        assert_eq!(err, "mlx.toml:4:9: \"../../x\" leads outside the project");
        let err = parse_err("[stages.s]\ncmd = \"x\"\nouts = [{ path = \"/tmp/x\" }]\n");
        assert!(err.starts_with("mlx.toml:3:18: \"/tmp/x\" is absolute"), "{err}");
        let err = parse_err("[stages.s]\ncmd = \"x\"\nwdir = \"..\"\n");
        assert_eq!(err, "mlx.toml:3:8: wdir: \"..\" leads outside the project");
        let err = parse_err("[stages.s]\ncmd = \"x\"\nparams = [\"/etc/p.toml:a\"]\n");
        assert!(err.starts_with("mlx.toml:3:11: param \"/etc/p.toml:a\": "), "{err}");
        let err = parse_err("[stages.s]\ncmd = \"x\"\nparams = [\"p.ini:a\"]\n");
        assert!(err.contains("params files must end in .toml"), "{err}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_point_at_them() {
        let err = parse_err("[stages.s]\ncmd = \"x\"\ndep = [\"a\"]\n");
        assert!(err.starts_with("mlx.toml:3:1: unknown field `dep`, expected one of"), "{err}");
        let err = parse_err("[stages.s]\ncmd = 5\n");
        assert!(err.starts_with("mlx.toml:2:7: invalid type: integer `5`"), "{err}");
        let err = parse_err("[stages.s]\ncmd = \"x\"\nouts = [{ path = \"a\", cahce = false }]\n");
        assert!(err.starts_with("mlx.toml:3:23: unknown field `cahce`"), "{err}");
        let err = parse_err("[stages.s]\ncmd = \"x\"\nalways_changed = \"yes\"\n");
        assert!(err.starts_with("mlx.toml:3:18: invalid type: string"), "{err}");
        let err = parse_err("[stages]\ns = \"echo\"\n");
        assert!(
            err.starts_with("mlx.toml:2:5: invalid type: string \"echo\", expected a stage table"),
            "{err}"
        );
        let err = parse_err("[stages.s]\ncmd = \"x\"\n\n[stages.t\n");
        assert!(err.starts_with("mlx.toml:4:"), "{err}");
        let err = parse_err("[stages.s]\nouts = [\"a\"]\n");
        assert_eq!(err, "mlx.toml:1:9: stage s has no `cmd`");
        let err = parse_err("[stages.s]\ncmd = []\n");
        assert_eq!(err, "mlx.toml:2:7: `cmd` of stage s is empty");
    }

    #[test]
    fn bad_stage_names_are_refused() {
        let err = parse_err("[stages.\"a b\"]\ncmd = \"x\"\n");
        assert_eq!(
            err,
            "mlx.toml:1:9: stage name \"a b\" may only contain letters, digits, `_` and `-`"
        );
        let err = parse_err("[stages.\"train@rf\"]\ncmd = \"x\"\n");
        assert!(err.starts_with("mlx.toml:1:9: stage name \"train@rf\""), "{err}");
    }

    #[test]
    fn foreach_list_expands_with_item() {
        let p = parse_ok(
            "[stages.train]\nforeach = [\"rf\", \"gbm\", 3]\ncmd = \"python train.py --model ${item}\"\n\
             outs = [\"models/${item}.pkl\"]\nenv = { MODEL = \"${ item }\" }\n",
        );
        assert_eq!(names(&p), ["train@rf", "train@gbm", "train@3"]);
        assert_eq!(p.stages[1].cmd, ["python train.py --model gbm"]);
        assert_eq!(p.stages[1].outs[0].path.to_string(), "models/gbm.pkl");
        assert_eq!(p.stages[2].env["MODEL"], "3");
    }

    #[test]
    fn foreach_table_expands_with_key_and_fields_in_file_order() {
        let p = parse_ok(
            "[stages.train]\nforeach = { rf = { depth = 5 }, gbm = { depth = 3, lr = 0.1 } }\n\
             cmd = \"train ${key} --depth ${item.depth}\"\n",
        );
        assert_eq!(names(&p), ["train@rf", "train@gbm"]);
        assert_eq!(p.stages[0].cmd, ["train rf --depth 5"]);
        assert_eq!(p.stages[1].cmd, ["train gbm --depth 3"]);
        // The sub-table form, and list items that are tables (named by index).
        let p = parse_ok(
            "[stages.t]\ncmd = \"run ${item.x}\"\n[stages.t.foreach.b]\nx = 1\n[stages.t.foreach.a]\nx = 2\n\
             [stages.u]\nforeach = [{ x = 1.5 }, { x = true }]\ncmd = \"u ${item.x}\"\n",
        );
        assert_eq!(names(&p), ["t@b", "t@a", "u@0", "u@1"]);
        assert_eq!(p.stages[3].cmd, ["u true"]);
        assert_eq!(p.stages[2].cmd, ["u 1.5"]);
    }

    #[test]
    fn matrix_expands_the_product_first_key_outermost() {
        let p = parse_ok(
            "[stages.train]\nmatrix = { model = [\"rf\", \"gbm\"], seed = [1, 2] }\n\
             cmd = \"train --model ${item.model} --seed ${item.seed}\"\nouts = [\"m/${item.model}-${item.seed}\"]\n",
        );
        assert_eq!(names(&p), ["train@rf-1", "train@rf-2", "train@gbm-1", "train@gbm-2"]);
        assert_eq!(p.stages[2].cmd, ["train --model gbm --seed 1"]);
        assert_eq!(p.stages[3].outs[0].path.to_string(), "m/gbm-2");
        let p = parse_ok("[stages.s]\nmatrix = { b = [1], a = [\"x\"] }\ncmd = \"${item.a}\"\n");
        assert_eq!(names(&p), ["s@1-x"]);
    }

    #[test]
    fn interpolation_errors_point_at_the_variable() {
        let err = parse_err("[stages.t]\nforeach = [\"a\"]\ncmd = \"run ${nope} now\"\n");
        assert_eq!(
            err,
            "mlx.toml:3:12: unknown variable `${nope}`: no params file or `vars` defines nope; \
             stage t@a defines `${item}`"
        );
        let err = parse_err("[stages.t]\ncmd = \"run ${item}\"\n");
        assert!(
            err.starts_with("mlx.toml:2:12: unknown variable `${item}`: stage t has no `foreach`"),
            "{err}"
        );
        let err = parse_err(
            "[stages.t]\nforeach = { a = { x = 1 } }\ncmd = \"run\"\ndeps = [\"${item.y}\"]\n",
        );
        assert!(
            err.starts_with("mlx.toml:4:10: unknown variable `${item.y}`: item has no field \"y\""),
            "{err}"
        );
        let err = parse_err("[stages.t]\nforeach = { a = { x = 1 } }\ncmd = \"run ${item}\"\n");
        assert!(err.starts_with("mlx.toml:3:12: `${item}` is a table"), "{err}");
        let err = parse_err("[stages.t]\nforeach = [1]\ncmd = \"run ${key}\"\n");
        assert!(err.contains("`${key}` needs `foreach` over a table"), "{err}");
        let err = parse_err("[stages.t]\nforeach = [1]\ncmd = \"run ${item\"\n");
        assert!(err.starts_with("mlx.toml:3:12: unclosed `${`"), "{err}");
        // An escaped `${` stays literal, for the shell.
        let p = parse_ok("[stages.t]\ncmd = 'echo \\${HOME} $HOME'\n");
        assert_eq!(p.stages[0].cmd, ["echo ${HOME} $HOME"]);
    }

    #[test]
    fn foreach_mistakes_are_refused() {
        let err = parse_err("[stages.t]\nforeach = [\"a\", \"a\"]\ncmd = \"x ${item}\"\n");
        assert_eq!(err, "mlx.toml:1:9: two stages are named t@a");
        let err = parse_err("[stages.t]\nforeach = [\"a b\"]\ncmd = \"x\"\n");
        assert!(err.starts_with("mlx.toml:2:13: \"a b\" cannot be part of a stage name"), "{err}");
        let err = parse_err("[stages.t]\nforeach = []\ncmd = \"x\"\n");
        assert_eq!(err, "mlx.toml:2:11: `foreach` of stage t is empty");
        let err = parse_err("[stages.t]\nforeach = \"a\"\ncmd = \"x\"\n");
        assert!(
            err.starts_with("mlx.toml:2:11: a `foreach` written as text must be one `${key}`"),
            "{err}"
        );
        let err = parse_err("[stages.t]\nforeach = [1]\nmatrix = { a = [1] }\ncmd = \"x\"\n");
        assert_eq!(err, "mlx.toml:3:10: stage t has both `foreach` and `matrix`; use one");
        let err = parse_err("[stages.t]\nmatrix = { a = [] }\ncmd = \"x\"\n");
        assert_eq!(err, "mlx.toml:2:16: `matrix.a` of stage t has no values");
    }

    #[test]
    fn resources_over_the_limit_are_refused() {
        let err =
            parse_err("[resources]\ngpu = 1\n[stages.t]\ncmd = \"x\"\nresources = { gpu = 2 }\n");
        assert_eq!(err, "mlx.toml:5:21: stage t needs 2 gpu but [resources] allows only 1");
        let err = parse_err("[resources]\ngpu = -1\n[stages]\n");
        assert!(err.starts_with("mlx.toml:2:7: invalid value"), "{err}");
    }

    #[test]
    fn graph_errors_point_at_the_declaration() {
        let err = parse_err(
            "[stages.a]\ncmd = \"x\"\nouts = [\"out\"]\n[stages.b]\ncmd = \"y\"\nouts = [\"out\"]\n",
        );
        assert_eq!(err, "mlx.toml:6:9: stages a and b both write out");
        let err = parse_err(
            "[stages.a]\ncmd = \"x\"\nouts = [\"data\"]\n[stages.b]\ncmd = \"y\"\nouts = [\"data/sub\"]\n",
        );
        assert_eq!(
            err,
            "mlx.toml:6:9: output data/sub of stage b is inside output data of stage a"
        );
        let err = parse_err(
            "[stages.prepare]\ncmd = \"x\"\ndeps = [\"model.pkl\"]\nouts = [\"data\"]\n\
             [stages.train]\ncmd = \"y\"\ndeps = [\"data\"]\nouts = [\"model.pkl\"]\n",
        );
        assert_eq!(err, "mlx.toml:1:9: cycle between stages: prepare -> train -> prepare");
        let err = parse_err("[stages.a]\ncmd = \"x\"\nouts = [\"o\", { path = \"o\" }]\n");
        assert_eq!(err, "mlx.toml:3:23: o is listed twice in the outputs of stage a");
    }

    fn outs_of(p: &Pipeline, stage: &str) -> Vec<(String, OutKind, bool, bool, Option<String>)> {
        let stage = p.stages.iter().find(|s| s.name.as_str() == stage).expect("the stage");
        stage
            .outs
            .iter()
            .map(|o| {
                let within = o.within.as_ref().map(ToString::to_string);
                (o.path.to_string(), o.kind, o.cache, o.persist, within)
            })
            .collect()
    }

    #[test]
    fn metrics_and_plots_inside_an_output_of_their_stage_are_stored_by_it() {
        // DVC's get-started `evaluate`: `outs: [eval]`, metrics and plots written inside it.
        let p = parse_ok(
            r#"
[stages.evaluate]
cmd = "python evaluate.py"
outs = [{ path = "eval", cache = false }]
metrics = ["eval/metrics.json"]
plots = [{ path = "eval/plots/metrics", x = "step" }, { path = "eval/live/p.csv", cache = false }]
"#,
        );
        assert_eq!(
            outs_of(&p, "evaluate"),
            vec![
                ("eval".into(), OutKind::Out, false, false, None),
                ("eval/metrics.json".into(), OutKind::Metrics, false, false, Some("eval".into())),
                ("eval/plots/metrics".into(), OutKind::Plots, false, false, Some("eval".into())),
                ("eval/live/p.csv".into(), OutKind::Plots, false, false, Some("eval".into())),
            ]
        );
        let stage = &p.stages[0];
        assert_eq!(stage.stored_outs().count(), 1);
        // A persistent folder: its files persist too, unless they say not to.
        let p = parse_ok(
            "[stages.a]\ncmd = \"x\"\nouts = [{ path = \"o\", persist = true }]\n\
             metrics = [\"o/m.json\", { path = \"o/n.json\", persist = false }]\n",
        );
        assert_eq!(
            outs_of(&p, "a")[1..],
            [
                ("o/m.json".into(), OutKind::Metrics, true, true, Some("o".into())),
                ("o/n.json".into(), OutKind::Metrics, true, false, Some("o".into())),
            ]
        );
        // Inside a plots folder of the same stage: the outermost output stores it.
        let p = parse_ok(
            "[stages.a]\ncmd = \"x\"\nouts = [\"o\"]\nplots = [\"o/p\"]\nmetrics = [\"o/p/m.json\"]\n",
        );
        assert_eq!(outs_of(&p, "a")[2].4.as_deref(), Some("o"));
    }

    #[test]
    fn overlaps_that_cannot_be_honoured_stay_errors() {
        let err = parse_err(
            "[stages.a]\ncmd = \"x\"\nouts = [\"eval\"]\nmetrics = [{ path = \"eval/m.json\", cache = false }]\n",
        );
        assert_eq!(
            err,
            "mlx.toml:4:21: eval/m.json lies inside output eval of stage a, which caches it: \
             `cache` cannot differ here; drop it or set `cache` on eval"
        );
        let err = parse_err(
            "[stages.a]\ncmd = \"x\"\nouts = [\"eval\"]\nplots = [{ path = \"eval/p.csv\", persist = true }]\n",
        );
        assert_eq!(
            err,
            "mlx.toml:4:19: eval/p.csv lies inside output eval of stage a, which is removed \
             before the stage runs: it cannot persist unless eval does (`persist = true` on eval)"
        );
        // An output inside another output, even of its own stage.
        let err = parse_err("[stages.a]\ncmd = \"x\"\nouts = [\"o\", \"o/p\"]\n");
        assert_eq!(err, "mlx.toml:3:14: output o/p of stage a is inside output o of stage a");
        // A metrics file inside another stage's output.
        let err = parse_err(
            "[stages.a]\ncmd = \"x\"\nouts = [\"eval\"]\n[stages.b]\ncmd = \"y\"\nmetrics = [\"eval/m.json\"]\n",
        );
        assert_eq!(
            err,
            "mlx.toml:6:12: output eval/m.json of stage b is inside output eval of stage a"
        );
        // A metrics folder holding an output of its stage.
        let err = parse_err("[stages.a]\ncmd = \"x\"\nouts = [\"m/o\"]\nmetrics = [\"m\"]\n");
        assert_eq!(err, "mlx.toml:3:9: output m/o of stage a is inside output m of stage a");
    }

    #[test]
    fn top_level_metrics_are_read_from_the_stage_output_holding_them() {
        let p = parse_ok(
            r#"
metrics = ["eval/metrics.json", "summary.json", "elsewhere.json", "own.json"]

[stages.train]
cmd = "python train.py"
outs = ["model.pkl", { path = "summary.json", cache = false }]

[stages.evaluate]
cmd = "python evaluate.py"
deps = ["model.pkl"]
outs = ["eval"]
metrics = ["own.json"]
"#,
        );
        assert_eq!(
            paths(&p.metrics),
            ["eval/metrics.json", "summary.json", "elsewhere.json", "own.json"]
        );
        assert_eq!(
            outs_of(&p, "train")[2..],
            [("summary.json".into(), OutKind::Metrics, false, false, Some("summary.json".into()))]
        );
        assert_eq!(
            outs_of(&p, "evaluate")[2..],
            [("eval/metrics.json".into(), OutKind::Metrics, true, false, Some("eval".into()))]
        );
    }

    #[test]
    fn top_level_metrics_mistakes_point_at_the_entry() {
        let cases = [
            ("metrics = [\"../x.json\"]\n", "mlx.toml:1:12: top-level metrics:"),
            ("metrics = [\"/x.json\"]\n", "mlx.toml:1:12: top-level metrics:"),
            ("metrics = [\".git/x.json\"]\n", "mlx.toml:1:12: top-level metrics:"),
            ("metrics = [\".mlx/x\"]\n", "mlx.toml:1:12: top-level metrics:"),
            ("metrics = [\"\"]\n", "mlx.toml:1:12: top-level metrics:"),
            (
                "metrics = [\"m.json\",\n  \"m.json\"]\n",
                "mlx.toml:2:3: top-level metrics: m.json is listed twice",
            ),
            (
                "metrics = \"m.json\"\n",
                "mlx.toml:1:11: invalid type: string \"m.json\", expected a list",
            ),
        ];
        for (text, want) in cases {
            let text = format!("{text}[stages.a]\ncmd = \"x\"\n");
            let err = parse_err(&text);
            assert!(err.starts_with(want), "{text}: {err}");
        }
    }

    #[test]
    fn missing_deps_are_located_through_the_source_map() {
        let (p, map) = parse_with_source_map(
            Path::new("mlx.toml"),
            "[stages.a]\ncmd = \"x\"\ndeps = [\"here\", \"gone\"]\n",
            &NoFiles,
        )
        .unwrap()
        .unwrap();
        let names: Vec<StageName> = p.stages.iter().map(|s| s.name.clone()).collect();
        let dag = p.dag().unwrap();
        let err = dag
            .check_deps(&p.stages, &names, |path| path.as_path() == Path::new("here"))
            .unwrap_err();
        assert_eq!(
            map.locate(err).to_string(),
            "mlx.toml:3:17: stage a: dependency gone does not exist and no stage produces it"
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let err = parse_err("# é\n[stages.s]\ncmd = \"é ${x}\"\n");
        assert!(err.starts_with("mlx.toml:3:10: "), "{err}");
    }

    // --- params files and `vars` ---------------------------------------------------------------

    /// Params files given by name and text.
    fn with_files(
        files: &[(&str, &str)],
    ) -> params::FnFiles<impl Fn(&ProjectPath) -> Result<Option<String>, Error>> {
        let map: HashMap<String, String> =
            files.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        params::FnFiles(move |p: &ProjectPath| Ok(map.get(&p.to_string()).cloned()))
    }

    fn parse_files(text: &str, files: &[(&str, &str)]) -> Result<Pipeline, String> {
        parse_using(Path::new("mlx.toml"), text, &with_files(files))
            .map(|p| p.expect("has stages"))
            .map_err(|e| e.to_string())
    }

    fn refs(stage: &Stage) -> Vec<String> {
        stage.params.iter().map(|p| format!("{}:{}", p.file, p.key)).collect()
    }

    const YAML: &str = "train:\n  lr: 0.01\n  layers: [64, 32]\n  opt:\n    name: adam\n    nesterov: true\nmodel: rf\n";

    #[test]
    fn default_params_file_is_toml_then_yaml_then_json_per_wdir() {
        let text = "[stages.a]\ncmd = \"x\"\nparams = [\"train.lr\"]\n\
                    [stages.b]\ncmd = \"x\"\nwdir = \"sub\"\nparams = [\"lr\", \"../params.yaml:model\"]\n";
        let p = parse_files(text, &[("params.yaml", YAML), ("sub/params.json", "{}")]).unwrap();
        assert_eq!(refs(&p.stages[0]), ["params.yaml:train.lr"]);
        assert_eq!(refs(&p.stages[1]), ["sub/params.json:lr", "params.yaml:model"]);
        assert_eq!(paths(&p.params_files), ["params.yaml", "sub/params.json"]);
        let p = parse_files(text, &[("params.yaml", YAML), ("params.toml", "")]).unwrap();
        assert_eq!(refs(&p.stages[0]), ["params.toml:train.lr"]);
        assert_eq!(refs(&p.stages[1])[0], "sub/params.toml:lr", "none exists there");
        assert_eq!(
            paths(&p.params_files),
            ["params.toml", "params.yaml", "sub/params.toml"],
            "every file a --set may edit"
        );
    }

    #[test]
    fn params_interpolate_everywhere_and_are_tracked() {
        let p = parse_files(
            "[stages.train]\ncmd = \"python train.py --lr ${train.lr} --first ${train.layers[0]} ${ train.opt }\"\n\
             wdir = \"${model}\"\ndeps = [\"../data/${model}.csv\"]\nouts = [\"${model}.pkl\"]\n\
             params = [\"../params.yaml:train.opt\"]\nenv = { LR = \"${train.lr}\" }\n",
            &[("params.yaml", YAML)],
        )
        .unwrap();
        let s = &p.stages[0];
        assert_eq!(
            s.cmd,
            ["python train.py --lr 0.01 --first 64 --name 'adam' --nesterov"],
            "a table unpacks into options in `cmd`"
        );
        assert_eq!(s.wdir.as_ref().map(ToString::to_string).as_deref(), Some("rf"));
        assert_eq!(paths(&s.deps), ["data/rf.csv"]);
        assert_eq!(s.outs[0].path.to_string(), "rf/rf.pkl");
        assert_eq!(s.env["LR"], "0.01");
        // Declared first, then each value used (a key inside a declared section adds nothing).
        assert_eq!(
            refs(s),
            [
                "params.yaml:train.opt",
                "params.yaml:model",
                "params.yaml:train.lr",
                "params.yaml:train.layers.0"
            ]
        );
        // Escaped `${` stays, and foreach values still come first.
        let p = parse_files(
            "[stages.t]\nforeach = [\"a\"]\ncmd = 'echo \\${HOME} ${item} ${model}'\n",
            &[("params.yaml", YAML)],
        )
        .unwrap();
        assert_eq!(p.stages[0].cmd, ["echo ${HOME} a rf"]);
    }

    #[test]
    fn values_of_the_wrong_shape_are_refused_where_used() {
        let files = [("params.yaml", YAML)];
        let err =
            parse_files("[stages.t]\ncmd = \"x\"\nouts = [\"${train}\"]\n", &files).unwrap_err();
        assert!(
            err.starts_with("mlx.toml:3:10: `${train}` is a table; name one of its keys"),
            "{err}"
        );
        let err = parse_files("[stages.t]\ncmd = \"x ${train.layers}\"\n", &files).unwrap_err();
        assert!(err.starts_with("mlx.toml:2:10: `${train.layers}` is a list"), "{err}");
        let err = parse_files("[stages.t]\ncmd = \"x ${train.nope}\"\n", &files).unwrap_err();
        assert_eq!(
            err,
            "mlx.toml:2:10: unknown variable `${train.nope}`: params.yaml and `vars` do not \
             define train.nope (write `\\${` for a literal `${`)"
        );
        let err = parse_files("[stages.t]\ncmd = \"x ${train..lr}\"\n", &files).unwrap_err();
        assert!(err.starts_with("mlx.toml:2:10: `${train..lr}`: expected names"), "{err}");
        // A params file that does not read is an error where a value was wanted from it...
        let bad = [("params.yaml", "a: [1\n")];
        let err = parse_files("[stages.t]\ncmd = \"x ${a}\"\n", &bad).unwrap_err();
        assert!(err.starts_with("mlx.toml:2:10: params.yaml:"), "{err}");
        // ... and not read at all by a pipeline that takes no value from it.
        assert!(parse_files("[stages.t]\ncmd = \"x\"\n", &bad).is_ok());
    }

    #[test]
    fn vars_load_files_keys_and_tables_as_dvc_does() {
        let files = [
            ("params.yaml", YAML),
            (
                "conf/data.json",
                r#"{"clean": {"file": "c.csv"}, "feats": {"dir": "f"}, "other": 1}"#,
            ),
            ("sub/local.toml", "[build]\nepochs = 3\n"),
        ];
        let text = "vars = [\"conf/data.json:clean,feats.dir\", { tag = \"v1\", train = { extra = 2 } }, \"params.yaml\"]\n\
                    [stages.a]\ncmd = \"run ${clean.file} ${feats.dir} ${tag} ${train.extra} ${train.lr}\"\n\
                    [stages.b]\nwdir = \"sub\"\nvars = [\"local.toml\", { out = \"m.pkl\" }]\n\
                    cmd = \"b ${build.epochs} ${model}\"\nouts = [\"${out}\"]\n";
        let p = parse_files(text, &files).unwrap();
        assert_eq!(p.stages[0].cmd, ["run c.csv f v1 2 0.01"]);
        assert_eq!(
            refs(&p.stages[0]),
            ["conf/data.json:clean.file", "conf/data.json:feats.dir", "params.yaml:train.lr"],
            "inline values are not params"
        );
        assert_eq!(p.stages[1].cmd, ["b 3 rf"]);
        assert_eq!(p.stages[1].outs[0].path.to_string(), "sub/m.pkl");
        assert_eq!(refs(&p.stages[1]), ["sub/local.toml:build.epochs", "params.yaml:model"]);
        assert_eq!(
            paths(&p.params_files),
            ["conf/data.json", "params.yaml", "sub/local.toml", "sub/params.toml"]
        );
        assert!(parse_files(&text.replace("${feats.dir}", "${other}"), &files).is_err());
        // A `[vars]` table is one inline entry.
        let p =
            parse_files("[vars]\nname = \"x\"\n[stages.a]\ncmd = \"echo ${name}\"\n", &[]).unwrap();
        assert_eq!(p.stages[0].cmd, ["echo x"]);
    }

    #[test]
    fn vars_mistakes_point_at_the_entry() {
        let files = [("params.yaml", YAML)];
        let stage = "[stages.a]\ncmd = \"x\"\n";
        let err =
            parse_files(&format!("vars = [{{ model = \"gbm\" }}]\n{stage}"), &files).unwrap_err();
        assert_eq!(
            err,
            "mlx.toml:1:9: model is defined twice: in params.yaml and in `vars`; a key may be defined once"
        );
        let err = parse_files(&format!("vars = [\"nope.yaml\"]\n{stage}"), &files).unwrap_err();
        assert_eq!(err, "mlx.toml:1:9: params file nope.yaml does not exist");
        let err =
            parse_files(&format!("vars = [\"params.yaml:nope\"]\n{stage}"), &files).unwrap_err();
        assert_eq!(err, "mlx.toml:1:9: vars: params.yaml has no key nope");
        let err = parse_files(&format!("vars = [\"../x.yaml\"]\n{stage}"), &files).unwrap_err();
        assert!(err.starts_with("mlx.toml:1:9: vars: \"../x.yaml\" leads outside"), "{err}");
        let err = parse_files(&format!("vars = [\"a.txt\"]\n{stage}"), &files).unwrap_err();
        assert!(err.contains("params files must end in"), "{err}");
        let err = parse_files(&format!("vars = [3]\n{stage}"), &files).unwrap_err();
        assert!(
            err.starts_with("mlx.toml:1:9: invalid type: integer `3`, expected a params file"),
            "{err}"
        );
        let err = parse_files(&format!("vars = [\"l.json\"]\n{stage}"), &[("l.json", "[1]")])
            .unwrap_err();
        assert_eq!(err, "mlx.toml:1:9: vars: l.json must hold a table of values at the top");
    }

    #[test]
    fn foreach_takes_a_list_or_table_from_params() {
        let files = [(
            "params.yaml",
            "models: [rf, gbm]\ngrid:\n  small: {depth: 3}\n  big: {depth: 9}\nlr: 0.1\n",
        )];
        let p = parse_files(
            "[stages.t]\nforeach = \"${models}\"\ncmd = \"train ${item}\"\n\
             [stages.g]\nforeach = \"${ grid }\"\ncmd = \"grid ${key} ${item.depth}\"\n",
            &files,
        )
        .unwrap();
        assert_eq!(names(&p), ["t@rf", "t@gbm", "g@big", "g@small"]);
        assert_eq!(p.stages[0].cmd, ["train rf"]);
        assert_eq!(p.stages[2].cmd, ["grid big 9"]);
        assert!(p.stages[0].params.is_empty(), "each stage tracks its own value through its cmd");
        let err =
            parse_files("[stages.t]\nforeach = \"${lr}\"\ncmd = \"x\"\n", &files).unwrap_err();
        assert_eq!(err, "mlx.toml:2:11: `${lr}` is a number; `foreach` needs a list or a table");
        let err =
            parse_files("[stages.t]\nforeach = \"a${lr}\"\ncmd = \"x\"\n", &files).unwrap_err();
        assert!(err.contains("must be one `${key}`"), "{err}");
    }
}
