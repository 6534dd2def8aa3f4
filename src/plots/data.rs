//! Plot data files read into tables: CSV, TSV, JSON (an array of objects, or an object whose
//! first array-of-objects value is the data, as DVC reads it), JSON lines and YAML. Cells are
//! numbers, text or empty. Images are recognised by their extension and kept as bytes.

use serde::Serialize;

/// One cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Num(f64),
    Text(String),
    Null,
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(v) => Some(*v),
            _ => None,
        }
    }

    /// How the value reads as a category (bar and confusion axes).
    pub fn label(&self) -> String {
        match self {
            Value::Num(v) => crate::plots::ticks::format_number(*v),
            Value::Text(t) => t.clone(),
            Value::Null => String::new(),
        }
    }

    /// A cell of a text format: a number when it reads as one, empty as null, else text.
    fn from_cell(cell: &str) -> Value {
        let t = cell.trim();
        if t.is_empty() {
            return Value::Null;
        }
        match t.parse::<f64>() {
            Ok(v) if !t.eq_ignore_ascii_case("inf") && !t.eq_ignore_ascii_case("infinity") => {
                Value::Num(v)
            }
            _ => Value::Text(cell.to_owned()),
        }
    }

    fn from_doc(v: &Doc) -> Value {
        match v {
            Doc::Null => Value::Null,
            Doc::Num(n) => Value::Num(*n),
            Doc::Text(s) => Value::Text(s.clone()),
            Doc::Bool(b) => Value::Text(b.to_string()),
            Doc::List(_) | Doc::Map(_) => Value::Text("…".into()),
        }
    }
}

/// A JSON or YAML document with its keys in file order (which decides the default y field and
/// which list of records an object holds first).
#[derive(Debug, Clone, PartialEq)]
enum Doc {
    Null,
    Bool(bool),
    Num(f64),
    Text(String),
    List(Vec<Doc>),
    Map(Vec<(String, Doc)>),
}

impl<'de> serde::Deserialize<'de> for Doc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Doc;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON or YAML value")
            }
            fn visit_unit<E>(self) -> Result<Doc, E> {
                Ok(Doc::Null)
            }
            fn visit_none<E>(self) -> Result<Doc, E> {
                Ok(Doc::Null)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Doc, E> {
                Ok(Doc::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Doc, E> {
                Ok(Doc::Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Doc, E> {
                Ok(Doc::Num(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Doc, E> {
                Ok(Doc::Num(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Doc, E> {
                Ok(Doc::Text(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Doc, E> {
                Ok(Doc::Text(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
                let mut all = Vec::new();
                while let Some(v) = seq.next_element()? {
                    all.push(v);
                }
                Ok(Doc::List(all))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
                let mut all = Vec::new();
                while let Some((k, v)) = map.next_entry::<Key, Doc>()? {
                    all.push((k.0, v));
                }
                Ok(Doc::Map(all))
            }
        }
        d.deserialize_any(V)
    }
}

/// A map key: YAML allows numbers and booleans as keys too.
struct Key(String);

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Key(match Doc::deserialize(d)? {
            Doc::Text(s) => s,
            Doc::Num(n) => crate::plots::ticks::format_number(n),
            Doc::Bool(b) => b.to_string(),
            _ => String::new(),
        }))
    }
}

/// Rows of named columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The values of column `i` (null where a row is short).
    pub fn values(&self, i: usize) -> impl Iterator<Item = &Value> {
        self.rows.iter().map(move |r| r.get(i).unwrap_or(&Value::Null))
    }
}

/// What a plots file holds, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Tsv,
    Json,
    Jsonl,
    Yaml,
    /// An image with this MIME type.
    Image(&'static str),
}

/// The format of `path` by its extension (case-insensitive); `None` for an unknown one.
pub fn format_of(path: &str) -> Option<Format> {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    Some(match ext.as_str() {
        "csv" => Format::Csv,
        "tsv" => Format::Tsv,
        "json" => Format::Json,
        "jsonl" | "ndjson" => Format::Jsonl,
        "yaml" | "yml" => Format::Yaml,
        "png" => Format::Image("image/png"),
        "jpg" | "jpeg" => Format::Image("image/jpeg"),
        "svg" => Format::Image("image/svg+xml"),
        "gif" => Format::Image("image/gif"),
        "webp" => Format::Image("image/webp"),
        _ => return None,
    })
}

/// Read the data file `path` (its name decides the format; CSV when it says nothing).
pub fn parse(path: &str, bytes: &[u8]) -> Result<Table, String> {
    let text = || std::str::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_owned());
    match format_of(path).unwrap_or(Format::Csv) {
        Format::Csv => Ok(delimited(text()?, b',')),
        Format::Tsv => Ok(delimited(text()?, b'\t')),
        Format::Json => {
            let v: Doc =
                serde_json::from_str(text()?).map_err(|e| format!("is not valid JSON: {e}"))?;
            from_records(&v)
        }
        Format::Jsonl => {
            let mut records = Vec::new();
            for (i, line) in text()?.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: Doc = serde_json::from_str(line)
                    .map_err(|e| format!("line {}: is not valid JSON: {e}", i + 1))?;
                records.push(v);
            }
            from_records(&Doc::List(records))
        }
        Format::Yaml => {
            let v: Doc =
                serde_yaml_ng::from_str(text()?).map_err(|e| format!("is not valid YAML: {e}"))?;
            from_records(&v)
        }
        Format::Image(_) => Err("is an image, not data".into()),
    }
}

/// A list of objects, or the first such list among an object's values.
fn from_records(v: &Doc) -> Result<Table, String> {
    let is_records = |a: &Vec<Doc>| a.iter().all(|d| matches!(d, Doc::Map(_)));
    let list = match v {
        Doc::List(a) if is_records(a) => a,
        Doc::Map(m) => m
            .iter()
            .find_map(|(_, v)| match v {
                Doc::List(a) if !a.is_empty() && is_records(a) => Some(a),
                _ => None,
            })
            .ok_or("holds no list of records (objects with the same fields)")?,
        _ => return Err("is not a list of records (objects with the same fields)".into()),
    };
    let mut table = Table::default();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for record in list {
        let Doc::Map(m) = record else { continue };
        let mut row = vec![Value::Null; table.columns.len()];
        for (k, v) in m {
            let i = *index.entry(k.clone()).or_insert_with(|| {
                table.columns.push(k.clone());
                table.columns.len() - 1
            });
            if row.len() <= i {
                row.resize(i + 1, Value::Null);
            }
            row[i] = Value::from_doc(v);
        }
        table.rows.push(row);
    }
    Ok(table)
}

/// CSV or TSV with a header line; `"…"` quotes a cell (`""` is a quote inside one).
fn delimited(text: &str, sep: u8) -> Table {
    let mut rows = split_records(text.strip_prefix('\u{feff}').unwrap_or(text), sep);
    if rows.is_empty() {
        return Table::default();
    }
    let columns: Vec<String> = rows.remove(0).into_iter().map(|c| c.trim().to_owned()).collect();
    let rows = rows
        .into_iter()
        .filter(|r| !(r.len() == 1 && r[0].trim().is_empty()))
        .map(|r| r.iter().map(|c| Value::from_cell(c)).collect())
        .collect();
    Table { columns, rows }
}

fn split_records(text: &str, sep: u8) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell: Vec<u8> = Vec::new();
    let mut i = 0;
    let mut quoted = false;
    let finish = |cell: &mut Vec<u8>| String::from_utf8_lossy(&std::mem::take(cell)).into_owned();
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    cell.push(b'"');
                    i += 1;
                } else {
                    quoted = false;
                }
            } else {
                cell.push(b);
            }
        } else if b == b'"' && cell.iter().all(u8::is_ascii_whitespace) {
            cell.clear();
            quoted = true;
        } else if b == sep {
            record.push(finish(&mut cell));
        } else if b == b'\n' || b == b'\r' {
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            record.push(finish(&mut cell));
            records.push(std::mem::take(&mut record));
        } else {
            cell.push(b);
        }
        i += 1;
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(finish(&mut cell));
        records.push(record);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_numbers_and_blanks() {
        let t = parse("a.csv", b"x,y,name\n1,2.5,\"a, \"\"b\"\"\"\n2,,c\r\n").unwrap();
        assert_eq!(t.columns, ["x", "y", "name"]);
        assert_eq!(t.rows[0], [Value::Num(1.0), Value::Num(2.5), Value::Text("a, \"b\"".into())]);
        assert_eq!(t.rows[1], [Value::Num(2.0), Value::Null, Value::Text("c".into())]);
    }

    #[test]
    fn json_shapes_as_dvc_reads_them() {
        let t =
            parse("a.json", br#"{"meta": 1, "train": [{"s": 1, "l": 0.5}, {"s": 2, "l": 0.4}]}"#)
                .unwrap();
        assert_eq!(t.columns, ["s", "l"]);
        assert_eq!(t.rows.len(), 2);
        let t = parse("a.jsonl", b"{\"a\": 1}\n\n{\"a\": 2, \"b\": \"x\"}\n").unwrap();
        assert_eq!(t.columns, ["a", "b"]);
        assert_eq!(t.rows[1], [Value::Num(2.0), Value::Text("x".into())]);
        let t = parse("a.yaml", b"- {a: 1}\n- {a: 3}\n").unwrap();
        assert_eq!(t.rows[1], [Value::Num(3.0)]);
        assert!(parse("a.json", b"[1, 2]").is_err());
        let t = parse("a.tsv", b"a\tb\n1\t2\n").unwrap();
        assert_eq!(t.rows[0], [Value::Num(1.0), Value::Num(2.0)]);
    }
}
