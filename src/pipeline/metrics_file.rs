//! Reading the metrics files stages declare: JSON, TOML, YAML or CSV, flattened to
//! `dotted.key → number` (booleans count as 0/1; text is skipped). A CSV gives one point per row
//! when it has a `step` column, else its last row.

use std::collections::BTreeMap;
use std::path::Path;

/// Flattened numeric values, each with a step (0 unless the file says otherwise).
pub type Points = Vec<(String, f64, i64)>;

#[derive(Debug, thiserror::Error)]
#[error("metrics file {path}: {message}")]
pub struct Error {
    pub path: String,
    pub message: String,
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, f64>) {
    flatten_with(prefix, '.', v, out);
}

/// Numeric values of a document under their keys joined with `sep` (`.` for metrics files,
/// `/` for DVCLive's names).
pub(crate) fn flatten_with(
    prefix: &str,
    sep: char,
    v: &serde_json::Value,
    out: &mut BTreeMap<String, f64>,
) {
    let key = |k: &str| if prefix.is_empty() { k.to_owned() } else { format!("{prefix}{sep}{k}") };
    match v {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                out.insert(prefix.to_owned(), f);
            }
        }
        serde_json::Value::Bool(b) => {
            out.insert(prefix.to_owned(), if *b { 1.0 } else { 0.0 });
        }
        serde_json::Value::String(s) => {
            // JSON cannot say NaN or infinity; writers use these strings.
            if let Some(f) = crate::tracking::launch::parse_metric_value(s)
                && !f.is_finite()
            {
                out.insert(prefix.to_owned(), f);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                flatten_with(&key(k), sep, v, out);
            }
        }
        serde_json::Value::Array(_) | serde_json::Value::Null => {}
    }
}

/// Read a parsed document (JSON/TOML/YAML already turned into JSON values).
pub fn from_value(v: &serde_json::Value) -> Points {
    let mut flat = BTreeMap::new();
    flatten("", v, &mut flat);
    flat.into_iter().filter(|(k, _)| !k.is_empty()).map(|(k, v)| (k, v, 0)).collect()
}

fn from_csv(text: &str) -> Points {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else { return Vec::new() };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let step_col = cols.iter().position(|c| c.eq_ignore_ascii_case("step"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').map(str::trim).collect()).collect();
    let chosen: Vec<&Vec<&str>> = match step_col {
        Some(_) => rows.iter().collect(),
        None => rows.last().into_iter().collect(),
    };
    let mut out = Vec::new();
    for row in chosen {
        let step =
            step_col.and_then(|i| row.get(i)).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        for (i, col) in cols.iter().enumerate() {
            if Some(i) == step_col {
                continue;
            }
            if let Some(v) = row.get(i).and_then(|s| crate::tracking::launch::parse_metric_value(s))
            {
                out.push(((*col).to_owned(), v, step));
            }
        }
    }
    out
}

/// Read a metrics file by its extension.
pub fn read(path: &Path, shown: &str) -> Result<Points, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error { path: shown.to_owned(), message: e.to_string() })?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    parse_as(ext, shown, &text)
}

/// Parse a metrics file's text (from the workspace, a git object or the cache); `file` is its
/// project path, whose extension picks the format.
pub fn parse(file: &str, text: &str) -> Result<Points, Error> {
    let ext = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("");
    parse_as(ext, file, text)
}

/// A JSON, TOML or YAML document's text as JSON values; `shown` (its path) picks the format
/// and names it in errors.
pub fn parse_document(shown: &str, text: &str) -> Result<serde_json::Value, Error> {
    let err = |message: String| Error { path: shown.to_owned(), message };
    let ext = Path::new(shown).extension().and_then(|e| e.to_str()).unwrap_or("");
    let file = crate::project_path::RelPath::new(shown).map_err(|e| err(e.to_string()))?;
    crate::pipeline::params::parse_text(&file, text).or_else(|e| {
        // Python's `json.dump` writes bare NaN and Infinity, which are not JSON.
        crate::text::quote_non_finite(text)
            .filter(|_| ext.eq_ignore_ascii_case("json"))
            .and_then(|quoted| serde_json::from_str(&quoted).ok())
            .ok_or_else(|| err(e.to_string()))
    })
}

fn parse_as(ext: &str, shown: &str, text: &str) -> Result<Points, Error> {
    let err = |message: String| Error { path: shown.to_owned(), message };
    let value: serde_json::Value = match ext.to_ascii_lowercase().as_str() {
        "json" | "toml" | "yaml" | "yml" => parse_document(shown, text)?,
        "csv" | "tsv" => return Ok(from_csv(&text.replace('\t', ","))),
        other => {
            return Err(err(format!(
                "unknown metrics format {other:?} (use .json, .toml, .yaml or .csv)"
            )));
        }
    };
    Ok(from_value(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_nested_json() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"acc": 0.9, "eval": {"auc": 0.8, "name": "x"}, "ok": true}"#)
                .unwrap();
        let p = from_value(&v);
        assert_eq!(
            p,
            vec![("acc".into(), 0.9, 0), ("eval.auc".into(), 0.8, 0), ("ok".into(), 1.0, 0)]
        );
    }

    #[test]
    fn csv_with_and_without_steps() {
        let with = from_csv("step,loss\n0,1.0\n1,0.5\n");
        assert_eq!(with, vec![("loss".into(), 1.0, 0), ("loss".into(), 0.5, 1)]);
        let without = from_csv("loss,acc\n1.0,0.1\n0.5,0.9\n");
        assert_eq!(without, vec![("loss".into(), 0.5, 0), ("acc".into(), 0.9, 0)]);
    }

    #[test]
    fn bare_nan_and_infinity_in_json_are_read() {
        let p =
            parse("m.json", r#"{"a": NaN, "b": -Infinity, "c": Infinity, "d": "NaN x", "e": 1}"#)
                .unwrap();
        let keys: Vec<&str> = p.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "e"]);
        assert!(p[0].1.is_nan());
        assert_eq!(p[1].1, f64::NEG_INFINITY);
        assert_eq!(p[2].1, f64::INFINITY);
        assert!(parse("m.json", "{\"a\": Nope}").is_err());
        assert!(parse("m.toml", "a = nan\n").unwrap()[0].1.is_nan());
        assert!(parse("m.yaml", "a: .nan\n").unwrap()[0].1.is_nan());
    }
}
