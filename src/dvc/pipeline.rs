//! `dvc.yaml` → the `mlx.toml` keys that say the same: `[stages.NAME]` tables (keeping
//! `foreach`/`do`, `matrix`, `vars` and `${…}` as they are written, since mlx expands them the
//! way DVC does), top-level `vars`, `metrics` and `[plots.*]` tables. What mlx cannot express is
//! returned as a [`Problem`] naming the place; what it expresses slightly differently as a note.

use std::path::Path;

use serde_yaml_ng::Value as Yaml;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

/// Something in `dvc.yaml` that was not converted (or converted with a difference), and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Where: `stages.train.frozen`, `artifacts`, …
    pub place: String,
    pub reason: String,
}

/// The converted pipeline: a TOML document holding only the keys `mlx.toml` needs.
pub struct Converted {
    pub doc: DocumentMut,
    pub problems: Vec<Problem>,
    pub notes: Vec<Problem>,
}

struct Cx<'a> {
    root: &'a Path,
    problems: Vec<Problem>,
    notes: Vec<Problem>,
}

impl Cx<'_> {
    fn problem(&mut self, place: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem { place: place.into(), reason: reason.into() });
    }
    fn note(&mut self, place: impl Into<String>, reason: impl Into<String>) {
        self.notes.push(Problem { place: place.into(), reason: reason.into() });
    }
}

/// Convert the text of `dvc.yaml`. `root` is the project root (params files are looked at for
/// stages that name a whole params file).
pub fn convert(text: &str, root: &Path) -> Result<Converted, super::Error> {
    let yaml: Yaml = serde_yaml_ng::from_str(text)
        .map_err(|e| super::Error::Parse { file: "dvc.yaml".into(), message: e.to_string() })?;
    let mut cx = Cx { root, problems: Vec::new(), notes: Vec::new() };
    let mut doc = DocumentMut::new();
    let Yaml::Mapping(top) = yaml else {
        if !yaml.is_null() {
            cx.problem("dvc.yaml", "is not a mapping of `stages`, `vars`, `metrics`, `plots`");
        }
        return Ok(Converted { doc, problems: cx.problems, notes: cx.notes });
    };
    for (k, v) in &top {
        let key = key_text(k);
        match key.as_str() {
            "vars" => {
                if let Some(value) = value_of(&mut cx, "vars", v) {
                    doc.insert("vars", Item::Value(value));
                }
            }
            "stages" => {
                let mut stages = Table::new();
                stages.set_implicit(true);
                if let Yaml::Mapping(m) = v {
                    for (name, body) in m {
                        let name = key_text(name);
                        if let Some(t) = stage(&mut cx, &name, body) {
                            stages.insert(&name, Item::Table(t));
                        }
                    }
                } else if !v.is_null() {
                    cx.problem("stages", "is not a mapping of stage names to stages");
                }
                doc.insert("stages", Item::Table(stages));
            }
            "metrics" => {
                if let Some(value) = value_of(&mut cx, "metrics", v) {
                    doc.insert("metrics", Item::Value(value));
                }
            }
            "plots" => {
                if let Some(t) = top_plots(&mut cx, v) {
                    doc.insert("plots", Item::Table(t));
                }
            }
            "params" => cx.note(
                "params",
                "top-level params files are not listed in mlx.toml: `mlx params diff` reads the \
                 params files the stages name",
            ),
            "artifacts" => cx.problem(
                "artifacts",
                "mlx has no model registry entries; track the files with `mlx add` or as outs",
            ),
            "datasets" => cx.problem("datasets", "mlx has no dataset entries"),
            other => cx.problem(other, "is not a key of dvc.yaml that mlx knows"),
        }
    }
    Ok(Converted { doc, problems: cx.problems, notes: cx.notes })
}

fn key_text(k: &Yaml) -> String {
    match k {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        _ => serde_yaml_ng::to_string(k).unwrap_or_default().trim().to_owned(),
    }
}

fn is_stage_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A YAML value as a TOML value; `None` (with a problem) where TOML has no equivalent (null).
fn value_of(cx: &mut Cx<'_>, place: &str, v: &Yaml) -> Option<Value> {
    Some(match v {
        Yaml::Null => {
            cx.problem(place, "holds a null, which TOML cannot write");
            return None;
        }
        Yaml::Bool(b) => Value::from(*b),
        Yaml::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(f)) => Value::from(f),
            _ => {
                cx.problem(place, format!("the number {n} does not fit TOML"));
                return None;
            }
        },
        Yaml::String(s) => Value::from(s.as_str()),
        Yaml::Sequence(items) => {
            let mut a = Array::new();
            for (i, item) in items.iter().enumerate() {
                a.push(value_of(cx, &format!("{place}[{i}]"), item)?);
            }
            Value::Array(a)
        }
        Yaml::Mapping(m) => {
            let mut t = InlineTable::new();
            for (k, item) in m {
                let k = key_text(k);
                let value = value_of(cx, &format!("{place}.{k}"), item)?;
                t.insert(&k, value);
            }
            Value::InlineTable(t)
        }
        Yaml::Tagged(t) => return value_of(cx, place, &t.value),
    })
}

/// One stage. `None` (with a problem) when it cannot be converted at all.
fn stage(cx: &mut Cx<'_>, name: &str, body: &Yaml) -> Option<Table> {
    let place = format!("stages.{name}");
    if !is_stage_name(name) {
        cx.problem(&place, "mlx stage names use letters, digits, `_` and `-` only");
        return None;
    }
    let Yaml::Mapping(m) = body else {
        cx.problem(&place, "is not a mapping");
        return None;
    };
    let mut t = Table::new();
    let mut keys: Vec<(String, &Yaml)> = Vec::new();
    for (k, v) in m {
        let k = key_text(k);
        if k == "do" {
            let Yaml::Mapping(inner) = v else {
                cx.problem(format!("{place}.do"), "is not a mapping");
                return None;
            };
            keys.extend(inner.iter().map(|(k, v)| (key_text(k), v)));
        } else {
            keys.push((k, v));
        }
    }
    let wdir = keys.iter().find(|(k, _)| k == "wdir").and_then(|(_, v)| v.as_str());
    for (k, v) in keys {
        let at = format!("{place}.{k}");
        match k.as_str() {
            "cmd" | "wdir" | "deps" | "always_changed" | "desc" | "vars" | "foreach" | "matrix" => {
                let value = value_of(cx, &at, v)?;
                t.insert(&k, Item::Value(value));
            }
            "params" => {
                let value = params(cx, &at, wdir, v)?;
                t.insert("params", Item::Value(value));
            }
            "outs" | "metrics" | "plots" => {
                let value = outs(cx, &at, &k, v)?;
                t.insert(&k, Item::Value(value));
            }
            "frozen" => match v.as_bool() {
                Some(frozen) => {
                    if frozen {
                        t.insert("frozen", toml_edit::value(true));
                    }
                }
                None => cx.problem(&at, "is not true or false"),
            },
            "meta" => cx.note(&at, "not converted: mlx keeps no free-form metadata on stages"),
            _ => cx.problem(&at, "is not a stage key mlx knows"),
        }
    }
    Some(t)
}

/// `params:` entries: `key` stays as it is, `{FILE: [keys]}` becomes `FILE:key`, and a whole
/// file (`{FILE: }`) becomes one entry per top-level key of the file as it is now.
fn params(cx: &mut Cx<'_>, at: &str, wdir: Option<&str>, v: &Yaml) -> Option<Value> {
    let Yaml::Sequence(items) = v else {
        cx.problem(at, "is not a list");
        return None;
    };
    // DVC's default params file is params.yaml; mlx looks for params.toml first.
    let dir = cx.root.join(wdir.unwrap_or("."));
    let explicit = dir.join("params.toml").exists() || dir.join("params.json").exists();
    let mut out = Array::new();
    for item in items {
        match item {
            Yaml::String(key) if explicit => out.push(format!("params.yaml:{key}")),
            Yaml::String(key) => out.push(key.as_str()),
            Yaml::Mapping(m) => {
                for (file, keys) in m {
                    let file = key_text(file);
                    if file.ends_with(".py") {
                        cx.problem(at, format!("{file}: mlx reads params from TOML, YAML and JSON files, not Python"));
                        return None;
                    }
                    let keys: Vec<String> = match keys {
                        Yaml::Sequence(k) if !k.is_empty() => {
                            k.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect()
                        }
                        _ => match top_level_keys(&dir.join(&file)) {
                            Some(keys) => {
                                cx.note(
                                    at,
                                    format!(
                                        "{file} as a whole became its top-level keys ({}); a key \
                                         added to it later is not a param until listed",
                                        keys.join(", ")
                                    ),
                                );
                                keys
                            }
                            None => {
                                cx.problem(at, format!("{file}: the whole file is a param, and it cannot be read to list its keys"));
                                return None;
                            }
                        },
                    };
                    for k in keys {
                        out.push(format!("{file}:{k}"));
                    }
                }
            }
            _ => {
                cx.problem(at, "holds an entry that is neither a key nor a file of keys");
                return None;
            }
        }
    }
    Some(Value::Array(out))
}

fn top_level_keys(file: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(file).ok()?;
    let keys: Vec<String> = if file.extension().is_some_and(|e| e == "toml") {
        toml::from_str::<toml::Table>(&text).ok()?.keys().cloned().collect()
    } else {
        match serde_yaml_ng::from_str::<Yaml>(&text).ok()? {
            Yaml::Mapping(m) => m.keys().map(key_text).collect(),
            _ => return None,
        }
    };
    Some(keys)
}

/// `outs:`, `metrics:` or `plots:` entries: a path, or `{PATH: {options}}`.
fn outs(cx: &mut Cx<'_>, at: &str, kind: &str, v: &Yaml) -> Option<Value> {
    let Yaml::Sequence(items) = v else {
        cx.problem(at, "is not a list");
        return None;
    };
    let mut out = Array::new();
    for item in items {
        match item {
            Yaml::String(p) => out.push(p.as_str()),
            Yaml::Mapping(m) if m.len() == 1 => {
                let (path, opts) = m.iter().next().expect("one entry");
                let path = key_text(path);
                let mut t = InlineTable::new();
                t.insert("path", Value::from(path.as_str()));
                if let Yaml::Mapping(opts) = opts {
                    for (k, v) in opts {
                        let k = key_text(k);
                        let place = format!("{at}.{path}.{k}");
                        match k.as_str() {
                            "cache" | "persist" => {
                                t.insert(&k, value_of(cx, &place, v)?);
                            }
                            "x" | "y" | "template" | "title" | "x_label" | "y_label"
                                if kind == "plots" =>
                            {
                                t.insert(&k, value_of(cx, &place, v)?);
                            }
                            "desc" | "type" | "labels" | "meta" => {}
                            "push" if v.as_bool() == Some(true) => {}
                            "push" => cx.problem(
                                &place,
                                "mlx pushes every cached out; `push: false` is not kept",
                            ),
                            "remote" => cx.problem(
                                &place,
                                "mlx pushes all data to one remote; a per-out remote is not kept",
                            ),
                            _ => cx.problem(&place, "is not an out option mlx knows"),
                        }
                    }
                }
                if t.len() == 1 {
                    out.push(path.as_str());
                } else {
                    out.push(Value::InlineTable(t));
                }
            }
            _ => {
                cx.problem(at, "holds an entry that is neither a path nor `PATH: {options}`");
                return None;
            }
        }
    }
    Some(Value::Array(out))
}

/// Top-level `plots:`: each entry becomes a `[plots.NAME]` table (a path alone: the table named
/// after it, drawing its fields).
fn top_plots(cx: &mut Cx<'_>, v: &Yaml) -> Option<Table> {
    let Yaml::Sequence(items) = v else {
        cx.problem("plots", "is not a list");
        return None;
    };
    let mut t = Table::new();
    t.set_implicit(true);
    for item in items {
        let (name, opts) = match item {
            Yaml::String(p) => (p.clone(), None),
            Yaml::Mapping(m) if m.len() == 1 => {
                let (k, v) = m.iter().next().expect("one entry");
                (key_text(k), Some(v))
            }
            _ => {
                cx.problem("plots", "holds an entry that is neither a path nor `NAME: {options}`");
                continue;
            }
        };
        let mut plot = Table::new();
        if let Some(Yaml::Mapping(opts)) = opts {
            for (k, v) in opts {
                let k = key_text(k);
                let place = format!("plots.{name}.{k}");
                match k.as_str() {
                    "x" | "y" | "template" | "title" | "x_label" | "y_label" => {
                        if let Some(value) = value_of(cx, &place, v) {
                            plot.insert(&k, Item::Value(value));
                        }
                    }
                    _ => cx.problem(&place, "is not a plot option mlx knows"),
                }
            }
        }
        t.insert(&name, Item::Table(plot));
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(text: &str) -> Converted {
        convert(text, Path::new("/nonexistent")).unwrap()
    }

    #[test]
    fn stages_keep_templating() {
        let c = conv(
            "vars:\n- conf.yaml\nstages:\n  train:\n    foreach: ${models}\n    do:\n      cmd: python train.py ${item}\n      deps: [data]\n      params: [train.lr, {conf.yaml: [a, b]}]\n      outs:\n      - models/${item}.pkl\n      - ckpt:\n          persist: true\n          cache: false\n      metrics:\n      - eval/m.json:\n          cache: false\n      plots:\n      - eval/roc.csv:\n          x: fpr\n          y: tpr\n    frozen: true\nmetrics:\n- eval/m.json\nplots:\n- eval/roc.csv\n- pr:\n    x: recall\n    y: {eval/a.csv: precision}\n",
        );
        let text = c.doc.to_string();
        assert!(text.contains("foreach = \"${models}\""), "{text}");
        assert!(text.contains("cmd = \"python train.py ${item}\""), "{text}");
        assert!(text.contains("\"conf.yaml:a\""), "{text}");
        assert!(text.contains("{ path = \"ckpt\", persist = true, cache = false }"), "{text}");
        assert!(text.contains("metrics = [\"eval/m.json\"]"), "{text}");
        assert!(text.contains("[plots.pr]"), "{text}");
        assert!(text.contains("frozen = true"), "{text}");
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        toml::from_str::<toml::Table>(&text).unwrap();
    }

    #[test]
    fn inexpressible_parts_are_named() {
        let c = conv(
            "stages:\n  a b:\n    cmd: x\n  ok:\n    cmd: y\n    outs:\n    - m:\n        remote: other\nartifacts:\n  m:\n    path: m\n",
        );
        let places: Vec<&str> = c.problems.iter().map(|p| p.place.as_str()).collect();
        assert_eq!(places, ["stages.a b", "stages.ok.outs.m.remote", "artifacts"]);
    }
}
