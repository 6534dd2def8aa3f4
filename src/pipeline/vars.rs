//! What `${…}` in `mlx.toml` names besides `foreach` and `matrix` values, as in DVC: the values
//! of the default params file and of the `vars` entries (params files, whole or some of their
//! keys, and inline tables), merged (`{a = {x = 1}}` and `{a = {y = 2}}` give `a.x` and `a.y`;
//! one key defined twice is an error), each value knowing the file it came from so the stages
//! that use it can track it as a param. Also how a value reads inside a string, and how a table
//! unpacks into command-line options in `cmd`. Pure: the caller reads the files.

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::Value;

use super::params::lookup;
use crate::project_path::ProjectPath;

/// Where values came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A params file (the default one, or one named in `vars`).
    File(ProjectPath),
    /// An inline table in `vars`.
    Inline,
}

impl Origin {
    fn describe(&self) -> String {
        match self {
            Origin::File(f) => f.to_string(),
            Origin::Inline => "`vars`".into(),
        }
    }
}

/// The values `${…}` can name: layers in the order they were added, no key defined by two.
/// Layers share the parsed files (`Rc`), so a stage's own `vars` on top of the pipeline's cost
/// only what they add.
#[derive(Debug, Clone, Default)]
pub struct Context {
    layers: Vec<(Origin, Rc<Value>)>,
    /// Files added whole: listing one again adds nothing.
    whole: Vec<ProjectPath>,
}

impl Context {
    /// The files whose values are here.
    pub fn files(&self) -> impl Iterator<Item = &ProjectPath> {
        self.layers.iter().filter_map(|(o, _)| match o {
            Origin::File(f) => Some(f),
            Origin::Inline => None,
        })
    }

    /// Add a params file's values: all of them, or only the dotted `keys`. A file already added
    /// whole adds nothing. `doc` must be a table.
    pub fn add_file(
        &mut self,
        file: &ProjectPath,
        doc: &Rc<Value>,
        keys: Option<&[String]>,
    ) -> Result<(), String> {
        if !doc.is_object() {
            return Err(format!("{file} must hold a table of values at the top"));
        }
        if let Some(missing) = keys.into_iter().flatten().find(|k| lookup(doc, k).is_none()) {
            return Err(format!("{file} has no key {missing}"));
        }
        if self.whole.contains(file) {
            return Ok(());
        }
        let value = match keys {
            None => {
                self.whole.push(file.clone());
                Rc::clone(doc)
            }
            Some(keys) => {
                let mut picked = Value::Object(serde_json::Map::new());
                for key in keys {
                    let value =
                        lookup(doc, key).ok_or_else(|| format!("{file} has no key {key}"))?;
                    let parts: Vec<&str> = key.split('.').collect();
                    insert_at(&mut picked, &parts, value.clone())
                        .map_err(|()| format!("{key} is named twice"))?;
                }
                Rc::new(picked)
            }
        };
        self.add(Origin::File(file.clone()), value)
    }

    /// Add an inline table of values.
    pub fn add_inline(&mut self, value: Value) -> Result<(), String> {
        self.add(Origin::Inline, Rc::new(value))
    }

    fn add(&mut self, origin: Origin, value: Rc<Value>) -> Result<(), String> {
        let existing: Vec<&Value> = self.layers.iter().map(|(_, v)| v.as_ref()).collect();
        if let Some(path) = conflict(&value, &existing, "") {
            let first = self
                .layers
                .iter()
                .find(|(_, v)| lookup(v, &path).is_some())
                .map_or_else(|| "`vars`".to_owned(), |(o, _)| o.describe());
            return Err(format!(
                "{path} is defined twice: in {first} and in {}; a key may be defined once",
                origin.describe()
            ));
        }
        self.layers.push((origin, value));
        Ok(())
    }

    /// The value at a dotted `key` (tables defined in several layers merged), and the files it
    /// comes from; `None` when nothing defines it.
    pub fn get(&self, key: &str) -> Option<(Cow<'_, Value>, Vec<&ProjectPath>)> {
        let mut hits: Vec<(&Origin, &Value)> = Vec::new();
        for (origin, layer) in &self.layers {
            if let Some(v) = lookup(layer, key) {
                hits.push((origin, v));
            }
        }
        let files: Vec<&ProjectPath> = hits
            .iter()
            .filter_map(|(o, _)| match o {
                Origin::File(f) => Some(f),
                Origin::Inline => None,
            })
            .collect();
        match hits.as_slice() {
            [] => None,
            [(_, one)] => Some((Cow::Borrowed(*one), files)),
            [(_, first), rest @ ..] => {
                let mut merged = (*first).clone();
                for (_, v) in rest {
                    merge_into(&mut merged, v);
                }
                Some((Cow::Owned(merged), files))
            }
        }
    }
}

/// The first dotted path where `new` defines a key that one of `existing` defines too, other
/// than tables both define (those merge).
fn conflict(new: &Value, existing: &[&Value], path: &str) -> Option<String> {
    let Value::Object(map) = new else { return None };
    for (k, v) in map {
        let here: Vec<&Value> = existing.iter().filter_map(|e| e.get(k)).collect();
        if here.is_empty() {
            continue;
        }
        let path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        if v.is_object() && here.iter().all(|h| h.is_object()) {
            if let Some(p) = conflict(v, &here, &path) {
                return Some(p);
            }
        } else {
            return Some(path);
        }
    }
    None
}

/// `from`'s keys added to `into` (tables merged; the invariant of [`Context`] means no other key
/// is in both).
fn merge_into(into: &mut Value, from: &Value) {
    let (Value::Object(into), Value::Object(from)) = (into, from) else { return };
    for (k, v) in from {
        match into.get_mut(k) {
            Some(existing) => merge_into(existing, v),
            None => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Put `value` at `parts` inside table `into`, making tables on the way; `Err` when something
/// else is there.
fn insert_at(into: &mut Value, parts: &[&str], value: Value) -> Result<(), ()> {
    let Value::Object(map) = into else { return Err(()) };
    let (first, rest) = parts.split_first().ok_or(())?;
    if rest.is_empty() {
        if map.contains_key(*first) {
            return Err(());
        }
        map.insert((*first).to_owned(), value);
        return Ok(());
    }
    let child =
        map.entry((*first).to_owned()).or_insert_with(|| Value::Object(serde_json::Map::new()));
    insert_at(child, rest, value)
}

/// `a.b[0].c` → the dotted key `a.b.0.c`; `Err` with the reason for anything else.
pub fn parse_expr(expr: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for piece in expr.split('.') {
        let (name, mut rest) = piece.find('[').map_or((piece, ""), |i| (&piece[..i], &piece[i..]));
        if name.is_empty() && (parts.is_empty() || rest.is_empty()) {
            return Err("expected names like `train.lr` or `layers[0]`".into());
        }
        if !name.is_empty() {
            if name.chars().any(|c| c.is_whitespace() || "${}[]\"'".contains(c)) {
                return Err(format!("{name:?} is not a name"));
            }
            parts.push(name);
        }
        while !rest.is_empty() {
            let Some(end) = rest.find(']') else { return Err("unclosed `[`".into()) };
            let index = &rest[1..end];
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`[{index}]`: an index is a number, like `[0]`"));
            }
            parts.push(index);
            rest = &rest[end + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("unexpected {rest:?} after `]`"));
            }
        }
    }
    Ok(parts.join("."))
}

/// How a scalar reads in a string: text as it is, numbers and booleans as written; `None` for
/// tables, lists and null.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A table as command-line options, as DVC unpacks a dictionary in `cmd`: `--name value` for
/// each key (in key order), `--name` alone for `true` (nothing for `false` and null), `--name v1
/// v2` for a list, `--outer.inner value` for nested tables. Text is single-quoted for the shell.
pub fn unpack(table: &serde_json::Map<String, Value>) -> String {
    let mut out: Vec<String> = Vec::new();
    unpack_into("", table, &mut out);
    out.join(" ")
}

fn unpack_into(prefix: &str, table: &serde_json::Map<String, Value>, out: &mut Vec<String>) {
    for (k, v) in table {
        let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            Value::Bool(false) | Value::Null => {}
            Value::Bool(true) => out.push(format!("--{name}")),
            Value::Object(inner) => unpack_into(&name, inner, out),
            Value::Array(items) => {
                out.push(format!("--{name}"));
                out.extend(items.iter().map(shell_word));
            }
            other => out.push(format!("--{name} {}", shell_word(other))),
        }
    }
}

/// One value as one shell word: numbers and booleans bare, anything else single-quoted.
fn shell_word(value: &Value) -> String {
    match value {
        Value::Number(_) | Value::Bool(_) => value.to_string(),
        Value::String(s) => quote(s),
        other => quote(&other.to_string()),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// About how many bytes a value takes (its text, a few bytes per number), without recursion.
pub fn value_size(value: &Value) -> usize {
    let mut size = 0;
    let mut todo = vec![value];
    while let Some(v) = todo.pop() {
        size += 8;
        match v {
            Value::String(s) => size += s.len(),
            Value::Array(items) => todo.extend(items),
            Value::Object(t) => {
                size += t.keys().map(String::len).sum::<usize>();
                todo.extend(t.values());
            }
            _ => {}
        }
    }
    size
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::project_path::RelPath;

    fn f(name: &str) -> ProjectPath {
        RelPath::new(name).unwrap()
    }

    #[test]
    fn tables_merge_and_keys_defined_twice_are_refused() {
        let mut cx = Context::default();
        cx.add_file(&f("params.yaml"), &Rc::new(json!({"grp": {"a": 1}, "lr": 0.1})), None)
            .unwrap();
        cx.add_inline(json!({"grp": {"b": 2}})).unwrap();
        let (v, files) = cx.get("grp").unwrap();
        assert_eq!(*v, json!({"a": 1, "b": 2}));
        assert_eq!(files, [&f("params.yaml")]);
        let (v, files) = cx.get("grp.b").unwrap();
        assert_eq!((&*v, files.len()), (&json!(2), 0), "inline values come from no file");
        let err = cx.add_inline(json!({"grp": {"a": 7}})).unwrap_err();
        assert_eq!(
            err,
            "grp.a is defined twice: in params.yaml and in `vars`; a key may be defined once"
        );
        let err = cx.add_inline(json!({"lr": {"x": 1}})).unwrap_err();
        assert!(err.starts_with("lr is defined twice"), "{err}");
        // The same file again adds nothing; some keys of another file add those keys only.
        cx.add_file(&f("params.yaml"), &Rc::new(json!({"grp": {"a": 1}})), None).unwrap();
        let other = Rc::new(json!({"x": {"y": 1, "z": 2}, "w": 3}));
        cx.add_file(&f("o.json"), &other, Some(&["x.y".to_owned()])).unwrap();
        assert_eq!(cx.get("x").unwrap().0.into_owned(), json!({"y": 1}));
        assert!(cx.get("w").is_none());
        let err = cx.add_file(&f("o.json"), &other, Some(&["nope".to_owned()])).unwrap_err();
        assert_eq!(err, "o.json has no key nope");
        let err = cx.add_file(&f("l.json"), &Rc::new(json!([1])), None).unwrap_err();
        assert_eq!(err, "l.json must hold a table of values at the top");
        assert_eq!(cx.files().count(), 2);
    }

    #[test]
    fn expressions_take_dots_and_indexes() {
        assert_eq!(parse_expr("a").unwrap(), "a");
        assert_eq!(parse_expr("a.b[0].c").unwrap(), "a.b.0.c");
        assert_eq!(parse_expr("m[1][2]").unwrap(), "m.1.2");
        assert_eq!(parse_expr("a.0").unwrap(), "a.0");
        for bad in ["", "a..b", ".a", "a.", "a[x]", "a[", "a[0]b", "[0]", "a b"] {
            assert!(parse_expr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tables_unpack_into_options() {
        let v = json!({"foo": "foo", "bar": 1, "bool": true, "off": false,
                       "nested": {"baz": "it's"}, "list": [2, 3, "qux"]});
        assert_eq!(
            unpack(v.as_object().unwrap()),
            "--bar 1 --bool --foo 'foo' --list 2 3 'qux' --nested.baz 'it'\\''s'"
        );
        assert_eq!(scalar_text(&json!(0.001)).as_deref(), Some("0.001"));
        assert_eq!(scalar_text(&json!(false)).as_deref(), Some("false"));
        assert_eq!(scalar_text(&json!(null)), None);
    }
}
