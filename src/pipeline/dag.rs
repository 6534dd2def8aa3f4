//! The graph between stages: a stage that writes an out feeds every stage with a dep equal to it,
//! inside it (a dep inside a directory out) or containing it (a directory dep). Checks the graph
//! (duplicate names, outs written twice or nested, cycles), gives a stable execution order and
//! selects the stages a command works on. Pure: the only disk access is through the `exists`
//! callback of [`Dag::check_deps`].

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::path::Path;

use serde::Serialize;

use super::error::Error;
use super::spec::{Pipeline, Stage, StageName};
use crate::project_path::ProjectPath;

/// `from` writes outputs that `to` depends on (`paths`: the deps of `to` that link them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: StageName,
    pub to: StageName,
    pub paths: Vec<ProjectPath>,
}

/// The checked graph of a list of stages. Indices are positions in that list.
#[derive(Debug, Clone)]
pub struct Dag {
    names: Vec<StageName>,
    index: HashMap<StageName, usize>,
    /// Per stage, the stages producing its deps (sorted, no repeats).
    upstream: Vec<Vec<usize>>,
    /// Per stage, the stages depending on its outs (sorted, no repeats).
    downstream: Vec<Vec<usize>>,
    edges: Vec<Edge>,
    /// Every out of every stage → the stage writing it.
    outs: BTreeMap<ProjectPath, usize>,
    /// Execution order: producers first; among independent stages, the order given.
    order: Vec<usize>,
}

impl Dag {
    /// Build and check the graph of `stages` (in declaration order).
    pub fn build(stages: &[Stage]) -> Result<Dag, Error> {
        let mut index = HashMap::with_capacity(stages.len());
        for (i, stage) in stages.iter().enumerate() {
            if index.insert(stage.name.clone(), i).is_some() {
                return Err(Error::DuplicateStage { name: stage.name.clone() });
            }
        }
        let outs = check_outs(stages)?;

        let n = stages.len();
        let mut links: BTreeMap<(usize, usize), Vec<ProjectPath>> = BTreeMap::new();
        for (consumer, stage) in stages.iter().enumerate() {
            for dep in &stage.deps {
                for producer in producers(&outs, dep) {
                    if producer == consumer {
                        return Err(Error::DepIsOwnOut {
                            stage: stage.name.clone(),
                            path: dep.clone(),
                        });
                    }
                    let paths = links.entry((producer, consumer)).or_default();
                    if !paths.contains(dep) {
                        paths.push(dep.clone());
                    }
                }
            }
        }
        let mut upstream = vec![Vec::new(); n];
        let mut downstream = vec![Vec::new(); n];
        let mut edges = Vec::with_capacity(links.len());
        for ((from, to), paths) in links {
            upstream[to].push(from);
            downstream[from].push(to);
            edges.push(Edge {
                from: stages[from].name.clone(),
                to: stages[to].name.clone(),
                paths,
            });
        }
        for list in upstream.iter_mut().chain(downstream.iter_mut()) {
            list.sort_unstable();
        }
        // Edges in execution order of their consumer, then producer, once the order is known.
        let names: Vec<StageName> = stages.iter().map(|s| s.name.clone()).collect();
        let order = topological_order(&upstream, &downstream).map_err(|cycle| Error::Cycle {
            stages: cycle.into_iter().map(|i| names[i].clone()).collect(),
        })?;
        let mut position = vec![0; n];
        for (pos, &i) in order.iter().enumerate() {
            position[i] = pos;
        }
        edges.sort_by_key(|e| (position[index[&e.to]], position[index[&e.from]]));
        Ok(Dag { names, index, upstream, downstream, edges, outs, order })
    }

    /// Stage names in execution order.
    pub fn order(&self) -> Vec<StageName> {
        self.order.iter().map(|&i| self.names[i].clone()).collect()
    }

    /// Producer → consumer links, in execution order of the consumer.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    pub fn contains(&self, name: &StageName) -> bool {
        self.index.contains_key(name)
    }

    /// The stages whose outputs `name` depends on directly (declaration order).
    pub fn upstream_of(&self, name: &StageName) -> Vec<StageName> {
        self.neighbours(name, &self.upstream)
    }

    /// The stages that depend directly on outputs of `name` (declaration order).
    pub fn downstream_of(&self, name: &StageName) -> Vec<StageName> {
        self.neighbours(name, &self.downstream)
    }

    fn neighbours(&self, name: &StageName, lists: &[Vec<usize>]) -> Vec<StageName> {
        self.index
            .get(name)
            .map(|&i| lists[i].iter().map(|&j| self.names[j].clone()).collect())
            .unwrap_or_default()
    }

    /// The stages writing `path`, an output containing it or an output inside it.
    pub fn producers_of(&self, path: &ProjectPath) -> Vec<StageName> {
        producers(&self.outs, path).into_iter().map(|i| self.names[i].clone()).collect()
    }

    /// The stages a command works on, in execution order. No targets: every stage. Otherwise the
    /// targets (a name without `@` also means all its `name@…` expansions) and: everything
    /// upstream of them (default), nothing else (`single`), or everything downstream of them
    /// (`downstream`). `single` wins over `downstream`.
    pub fn select(
        &self,
        targets: &[String],
        single: bool,
        downstream: bool,
    ) -> Result<Vec<StageName>, Error> {
        if targets.is_empty() {
            return Ok(self.order());
        }
        let mut chosen = vec![false; self.names.len()];
        let mut queue = Vec::new();
        for target in targets {
            for i in self.resolve(target)? {
                if !chosen[i] {
                    chosen[i] = true;
                    queue.push(i);
                }
            }
        }
        if !single {
            let next = if downstream { &self.downstream } else { &self.upstream };
            while let Some(i) = queue.pop() {
                for &j in &next[i] {
                    if !chosen[j] {
                        chosen[j] = true;
                        queue.push(j);
                    }
                }
            }
        }
        Ok(self.order.iter().filter(|&&i| chosen[i]).map(|&i| self.names[i].clone()).collect())
    }

    /// The stages a target names: exactly one, or every `target@…` expansion.
    fn resolve(&self, target: &str) -> Result<Vec<usize>, Error> {
        if let Some(&i) = self.index.get(&StageName(target.to_owned())) {
            return Ok(vec![i]);
        }
        let prefix = format!("{target}@");
        let expanded: Vec<usize> = (0..self.names.len())
            .filter(|&i| self.names[i].as_str().starts_with(&prefix))
            .collect();
        if !expanded.is_empty() {
            return Ok(expanded);
        }
        Err(Error::UnknownStage { name: target.to_owned(), suggestion: self.suggest(target) })
    }

    /// The closest stage name (or base name of expanded stages) to a mistyped one.
    fn suggest(&self, target: &str) -> Option<StageName> {
        let mut candidates: Vec<&str> = Vec::new();
        for name in &self.names {
            candidates.push(name.as_str());
            if let Some((base, _)) = name.as_str().split_once('@') {
                candidates.push(base);
            }
        }
        crate::text::closest(target, candidates).map(|c| StageName(c.to_owned()))
    }

    /// Check that every dep of the `selected` stages either comes from a stage or exists
    /// (`exists` is asked for project paths, e.g. `|p| root.join(p).exists()`).
    pub fn check_deps(
        &self,
        stages: &[Stage],
        selected: &[StageName],
        exists: impl Fn(&ProjectPath) -> bool,
    ) -> Result<(), Error> {
        for name in selected {
            let Some(stage) = self.index.get(name).and_then(|&i| stages.get(i)) else {
                continue;
            };
            for dep in &stage.deps {
                if producers(&self.outs, dep).is_empty() && !exists(dep) {
                    return Err(Error::MissingDep { stage: name.clone(), path: dep.clone() });
                }
            }
        }
        Ok(())
    }
}

impl Pipeline {
    /// The graph of this pipeline's stages.
    pub fn dag(&self) -> Result<Dag, Error> {
        Dag::build(&self.stages)
    }

    pub fn stage(&self, name: &StageName) -> Option<&Stage> {
        self.stages.iter().find(|s| &s.name == name)
    }

    /// The stages to work on, in execution order (see [`Dag::select`]).
    pub fn select(
        &self,
        targets: &[String],
        single: bool,
        downstream: bool,
    ) -> Result<Vec<&Stage>, Error> {
        let names = self.dag()?.select(targets, single, downstream)?;
        Ok(names.iter().filter_map(|n| self.stage(n)).collect())
    }

    /// [`Dag::check_deps`] against the project under `root`: a dep exists when it is in the
    /// workspace or tracked with `mlx add` (it or a folder above it has a pointer file), even if
    /// not checked out yet.
    pub fn check_deps_exist(&self, root: &Path, selected: &[StageName]) -> Result<(), Error> {
        self.dag()?.check_deps(&self.stages, selected, |p| dep_exists(root, p))
    }
}

fn dep_exists(root: &Path, dep: &ProjectPath) -> bool {
    if std::fs::symlink_metadata(root.join(dep.as_path())).is_ok() {
        return true;
    }
    let mut path = Some(dep.clone());
    while let Some(p) = path {
        if root.join(crate::store::pointer::pointer_path(&p).as_path()).is_file() {
            return true;
        }
        path = p.parent();
    }
    false
}

/// Every stored out path → its stage; refuses an out written twice or nested in another out (a
/// metrics or plots file inside an output of its own stage is stored by it, see
/// [`super::spec::Out::within`]).
fn check_outs(stages: &[Stage]) -> Result<BTreeMap<ProjectPath, usize>, Error> {
    let mut all: Vec<(&ProjectPath, usize)> = stages
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.stored_outs().map(move |o| (&o.path, i)))
        .collect();
    // Component-wise order puts every path right after its ancestors and their other descendants.
    all.sort();
    let mut map = BTreeMap::new();
    let mut top: Option<(&ProjectPath, usize)> = None;
    for (path, stage) in all {
        if let Some((outer, outer_stage)) = top {
            if path == outer {
                return Err(Error::DuplicateOut {
                    path: path.clone(),
                    first: stages[outer_stage].name.clone(),
                    second: stages[stage].name.clone(),
                });
            }
            if path.starts_with(outer) {
                return Err(Error::NestedOut {
                    inner: path.clone(),
                    inner_stage: stages[stage].name.clone(),
                    outer: outer.clone(),
                    outer_stage: stages[outer_stage].name.clone(),
                });
            }
        }
        top = Some((path, stage));
        map.insert(path.clone(), stage);
    }
    Ok(map)
}

/// Stages whose outs equal `dep`, contain it, or lie inside it (sorted, no repeats).
fn producers(outs: &BTreeMap<ProjectPath, usize>, dep: &ProjectPath) -> Vec<usize> {
    let mut found = Vec::new();
    // The dep itself or a folder out containing it.
    let mut ancestor = Some(dep.clone());
    while let Some(path) = ancestor {
        if let Some(&i) = outs.get(&path) {
            found.push(i);
        }
        ancestor = path.parent();
    }
    // Outs inside a folder dep: they sort right after it.
    for (path, &i) in outs.range(dep.clone()..) {
        if !path.starts_with(dep) {
            break;
        }
        found.push(i);
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// Kahn's algorithm, always taking the earliest-declared ready stage. On a cycle, the stages in
/// it, producer before consumer, starting from the earliest declared.
fn topological_order(
    upstream: &[Vec<usize>],
    downstream: &[Vec<usize>],
) -> Result<Vec<usize>, Vec<usize>> {
    let n = upstream.len();
    let mut waiting: Vec<usize> = upstream.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &j in &downstream[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push(Reverse(j));
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every stage left waits on another one left: walk upstream until a stage repeats.
    let left: Vec<bool> = waiting.iter().map(|&w| w > 0).collect();
    let start = (0..n).find(|&i| left[i]).expect("some stage is left when the order is short");
    let mut seen_at = vec![usize::MAX; n];
    let mut walk = Vec::new();
    let mut current = start;
    while seen_at[current] == usize::MAX {
        seen_at[current] = walk.len();
        walk.push(current);
        current = *upstream[current]
            .iter()
            .find(|&&u| left[u])
            .expect("a stage left in a cycle has an upstream stage left");
    }
    let mut cycle: Vec<usize> = walk[seen_at[current]..].to_vec();
    cycle.reverse(); // producer → consumer
    let first = cycle.iter().enumerate().min_by_key(|(_, i)| **i).map_or(0, |(pos, _)| pos);
    cycle.rotate_left(first);
    Err(cycle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::spec::{Out, OutKind};
    use crate::project_path::RelPath;

    fn p(s: &str) -> ProjectPath {
        RelPath::new(s).unwrap()
    }

    fn stage(name: &str, deps: &[&str], outs: &[&str]) -> Stage {
        Stage {
            name: StageName(name.into()),
            cmd: vec![format!("echo {name}")],
            wdir: None,
            deps: deps.iter().map(|d| p(d)).collect(),
            params: Vec::new(),
            outs: outs
                .iter()
                .map(|o| Out {
                    path: p(o),
                    kind: OutKind::Out,
                    cache: true,
                    persist: false,
                    plot: None,
                    within: None,
                })
                .collect(),
            env: BTreeMap::new(),
            always_changed: false,
            resources: BTreeMap::new(),
            expansion: Vec::new(),
            tools: Vec::new(),
            frozen: false,
        }
    }

    fn names(list: &[StageName]) -> Vec<&str> {
        list.iter().map(StageName::as_str).collect()
    }

    fn chain() -> Vec<Stage> {
        vec![
            stage("evaluate", &["model.pkl", "data/features"], &["eval/metrics.json"]),
            stage("train", &["data/features/train.csv"], &["model.pkl"]),
            stage("featurize", &["data/prepared"], &["data/features"]),
            stage("prepare", &["data/raw"], &["data/prepared/a.csv", "data/prepared/b.csv"]),
            stage("lint", &["src"], &[]),
        ]
    }

    #[test]
    fn order_puts_producers_first_and_keeps_declaration_order_otherwise() {
        let dag = Dag::build(&chain()).unwrap();
        assert_eq!(names(&dag.order()), ["prepare", "featurize", "train", "evaluate", "lint"]);
        let independent = vec![stage("b", &[], &[]), stage("a", &[], &[]), stage("c", &[], &[])];
        assert_eq!(names(&Dag::build(&independent).unwrap().order()), ["b", "a", "c"]);
    }

    #[test]
    fn deps_link_equal_inside_and_containing_outs() {
        let dag = Dag::build(&chain()).unwrap();
        // dep inside a directory out
        assert_eq!(names(&dag.upstream_of(&StageName("train".into()))), ["featurize"]);
        // directory dep containing outs
        assert_eq!(names(&dag.upstream_of(&StageName("featurize".into()))), ["prepare"]);
        // equal paths, and two producers
        assert_eq!(names(&dag.upstream_of(&StageName("evaluate".into()))), ["train", "featurize"]);
        assert_eq!(
            names(&dag.downstream_of(&StageName("featurize".into()))),
            ["evaluate", "train"]
        );
        let edge = &dag.edges()[0];
        assert_eq!((edge.from.as_str(), edge.to.as_str()), ("prepare", "featurize"));
        assert_eq!(edge.paths, [p("data/prepared")]);
        assert_eq!(names(&dag.producers_of(&p("data"))), ["featurize", "prepare"]);
        assert!(dag.producers_of(&p("src/x.py")).is_empty());
    }

    #[test]
    fn cycles_are_named_in_order() {
        let stages = vec![
            stage("prepare", &["model.pkl"], &["data/prepared"]),
            stage("train", &["data/prepared"], &["model.pkl"]),
        ];
        let err = Dag::build(&stages).unwrap_err();
        assert_eq!(err.to_string(), "cycle between stages: prepare -> train -> prepare");
        let stages = vec![
            stage("free", &[], &["x"]),
            stage("c", &["b.out"], &["c.out"]),
            stage("a", &["c.out", "x"], &["a.out"]),
            stage("b", &["a.out"], &["b.out"]),
            stage("after", &["c.out"], &[]),
        ];
        let err = Dag::build(&stages).unwrap_err();
        assert_eq!(err.to_string(), "cycle between stages: c -> a -> b -> c");
    }

    #[test]
    fn outs_written_twice_or_nested_are_refused() {
        let err = Dag::build(&[stage("a", &[], &["out"]), stage("b", &[], &["out"])]).unwrap_err();
        assert_eq!(err.to_string(), "stages a and b both write out");
        let err = Dag::build(&[stage("a", &[], &["data"]), stage("b", &[], &["data/sub/x"])])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "output data/sub/x of stage b is inside output data of stage a"
        );
        // Siblings that share a name prefix are fine.
        assert!(
            Dag::build(&[stage("a", &[], &["data"]), stage("b", &[], &["data-2", "data.x"])])
                .is_ok()
        );
        let err = Dag::build(&[stage("a", &["out/x"], &["out"])]).unwrap_err();
        assert!(matches!(err, Error::DepIsOwnOut { .. }), "{err}");
    }

    #[test]
    fn duplicate_names_are_refused() {
        let err = Dag::build(&[stage("a", &[], &[]), stage("a", &[], &[])]).unwrap_err();
        assert_eq!(err.to_string(), "two stages are named a");
    }

    #[test]
    fn missing_deps_are_found_for_selected_stages_only() {
        let stages = chain();
        let dag = Dag::build(&stages).unwrap();
        let exists = |path: &ProjectPath| path.as_path() == Path::new("data/raw");
        let all = dag.order();
        let err = dag.check_deps(&stages, &all, exists).unwrap_err();
        assert_eq!(
            err.to_string(),
            "stage lint: dependency src does not exist and no stage produces it"
        );
        let some = dag.select(&["evaluate".into()], false, false).unwrap();
        dag.check_deps(&stages, &some, exists).unwrap();
    }

    #[test]
    fn selection_upstream_single_downstream() {
        let dag = Dag::build(&chain()).unwrap();
        let sel = |t: &[&str], single, down| {
            let t: Vec<String> = t.iter().map(|s| (*s).to_owned()).collect();
            names(&dag.select(&t, single, down).unwrap()).join(" ")
        };
        assert_eq!(sel(&[], false, false), "prepare featurize train evaluate lint");
        assert_eq!(sel(&["train"], false, false), "prepare featurize train");
        assert_eq!(sel(&["train"], true, false), "train");
        assert_eq!(sel(&["featurize"], false, true), "featurize train evaluate");
        assert_eq!(sel(&["evaluate", "prepare"], true, false), "prepare evaluate");
        assert_eq!(sel(&["featurize"], true, true), "featurize");
    }

    #[test]
    fn a_base_name_selects_its_expansions() {
        let stages = vec![
            stage("prepare", &[], &["data"]),
            stage("train@rf", &["data"], &["rf.pkl"]),
            stage("train@gbm", &["data"], &["gbm.pkl"]),
            stage("report", &["rf.pkl", "gbm.pkl"], &[]),
        ];
        let dag = Dag::build(&stages).unwrap();
        let t = |s: &str| vec![s.to_owned()];
        assert_eq!(
            names(&dag.select(&t("train"), true, false).unwrap()),
            ["train@rf", "train@gbm"]
        );
        assert_eq!(
            names(&dag.select(&t("train@gbm"), false, false).unwrap()),
            ["prepare", "train@gbm"]
        );
        assert_eq!(
            names(&dag.select(&t("train@rf"), false, true).unwrap()),
            ["train@rf", "report"]
        );
    }

    #[test]
    fn unknown_targets_suggest_the_closest_name() {
        let dag = Dag::build(&chain()).unwrap();
        let err = dag.select(&["trian".into()], false, false).unwrap_err();
        assert_eq!(err.to_string(), "unknown stage trian (did you mean train?)");
        let err = dag.select(&["zzzzzz".into()], false, false).unwrap_err();
        assert_eq!(err.to_string(), "unknown stage zzzzzz");
        let expanded = Dag::build(&[stage("train@rf", &[], &[])]).unwrap();
        let err = expanded.select(&["tran".into()], false, false).unwrap_err();
        assert_eq!(err.to_string(), "unknown stage tran (did you mean train?)");
    }
}
