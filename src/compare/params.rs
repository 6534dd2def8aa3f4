//! The params that stages declare, with their values read from the params files on each side
//! (the workspace file, or the git blob at a commit), flattened to leaves (`train` →
//! `train.lr`, `train.epochs`) and compared. Each side's own `mlx.toml` says which params exist
//! there. A params file or key missing on a side is a missing value, not an error; a params file
//! that does not parse is an error naming it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::side::{Side, SideInfo};
use crate::error::Result;
use crate::pipeline::params;
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath};

pub struct ParamsDiffOptions {
    /// The old side: a revision (default `HEAD`).
    pub a: Option<String>,
    /// The new side: a revision, or the workspace when absent.
    pub b: Option<String>,
    /// List unchanged params too.
    pub all: bool,
}

/// One param compared between the sides.
#[derive(Debug, Serialize)]
pub struct ParamDiff {
    /// The params file (`params.toml`, `conf/model.yaml`).
    pub file: String,
    /// The flattened key inside it (`train.lr`).
    pub key: String,
    /// `null` when the file or the key is missing on that side.
    pub old: Option<Value>,
    pub new: Option<Value>,
    pub changed: bool,
    /// The stages declaring it, on either side.
    pub stages: Vec<String>,
}

/// A param value as tables show it: strings bare, other values as JSON; `-` when missing.
pub fn value_text(v: &Option<Value>) -> String {
    match v {
        None => "-".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

#[derive(Debug, Serialize)]
pub struct ParamsDiffReport {
    pub a: SideInfo,
    pub b: SideInfo,
    /// Sorted by file, then key; only changed params unless `--all`.
    pub params: Vec<ParamDiff>,
    pub compared: usize,
    pub changed: usize,
}

type Flat = BTreeMap<(ProjectPath, String), (Option<Value>, BTreeSet<String>)>;

/// Every declared param of one side, flattened to leaves. A declared key missing on the side is
/// kept with no value.
fn read_side(side: &Side<'_>) -> Result<Flat> {
    let mut out = Flat::new();
    let Some(pipeline) = side.pipeline()? else { return Ok(out) };
    let mut docs: HashMap<ProjectPath, Option<Value>> = HashMap::new();
    for stage in &pipeline.stages {
        for param in &stage.params {
            if !docs.contains_key(&param.file) {
                let doc = match side.read_file(&param.file)? {
                    Some(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        let shown = RelPath::new(side.shown(&param.file))
                            .unwrap_or_else(|_| param.file.clone());
                        Some(params::parse_text(&shown, &text)?)
                    }
                    None => None,
                };
                docs.insert(param.file.clone(), doc);
            }
            let value = docs[&param.file].as_ref().and_then(|d| params::lookup(d, &param.key));
            let mut leaves = Vec::new();
            match value {
                Some(v) => flatten(&param.key, v, &mut leaves),
                None => leaves.push((param.key.clone(), None)),
            }
            for (key, v) in leaves {
                let entry = out.entry((param.file.clone(), key)).or_default();
                if v.is_some() {
                    entry.0 = v;
                }
                entry.1.insert(stage.name.to_string());
            }
        }
    }
    Ok(out)
}

/// Tables become their leaves (`train.lr`); lists and empty tables are values themselves.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Option<Value>)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        v => out.push((prefix.to_owned(), Some(v.clone()))),
    }
}

pub fn diff(project: &Project, opts: &ParamsDiffOptions) -> Result<ParamsDiffReport> {
    let a = Side::open(project, Some(opts.a.as_deref().unwrap_or("HEAD")))?;
    let b = Side::open(project, opts.b.as_deref())?;
    let mut old = read_side(&a)?;
    let mut new = read_side(&b)?;
    let keys: BTreeSet<(ProjectPath, String)> = old.keys().chain(new.keys()).cloned().collect();
    let mut rows = Vec::new();
    let (mut compared, mut changed) = (0, 0);
    for k in keys {
        let (o, mut stages) = old.remove(&k).unwrap_or_default();
        let (n, s) = new.remove(&k).unwrap_or_default();
        stages.extend(s);
        let is_changed = o != n;
        compared += 1;
        if is_changed {
            changed += 1;
        }
        if is_changed || opts.all {
            rows.push(ParamDiff {
                file: k.0.to_string(),
                key: k.1,
                old: o,
                new: n,
                changed: is_changed,
                stages: stages.into_iter().collect(),
            });
        }
    }
    Ok(ParamsDiffReport { a: a.info, b: b.info, params: rows, compared, changed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_flatten_to_leaves() {
        let mut out = Vec::new();
        flatten(
            "train",
            &json!({"lr": 0.1, "opt": {"name": "adam"}, "layers": [1, 2], "e": {}}),
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                ("train.e".to_owned(), Some(json!({}))),
                ("train.layers".to_owned(), Some(json!([1, 2]))),
                ("train.lr".to_owned(), Some(json!(0.1))),
                ("train.opt.name".to_owned(), Some(json!("adam"))),
            ]
        );
    }
}
