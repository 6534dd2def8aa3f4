//! `[checks."PATH"]` in `mlx.toml`: what a data file must hold (columns and their types, row
//! count bounds, null rates, ranges, allowed values, uniqueness, regular expressions), and the
//! pass over the file that finds every violation. Uniqueness keeps a 64-bit hash per distinct
//! value (about 16 bytes each), so its memory grows with the column's distinct values.

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use super::Error;
use super::read::{Kind, Table};

/// One `[checks."PATH"]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub min_rows: Option<u64>,
    pub max_rows: Option<u64>,
    /// Columns other than those named under `columns` are violations.
    #[serde(default)]
    pub only_listed_columns: bool,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnCheck>,
}

/// `[checks."PATH".columns.NAME]`: the column must exist, and hold what its keys say.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnCheck {
    /// `integer`, `float`, `number` (integer or float), `boolean`, `string`, `date`, `timestamp`.
    #[serde(rename = "type")]
    pub kind: Option<TypeName>,
    /// Largest fraction of nulls (0 forbids them).
    pub max_null_rate: Option<f64>,
    /// Inclusive bounds of a numeric column's values.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The only values allowed (compared as text).
    pub allowed: Option<Vec<toml::Value>>,
    /// No value appears twice (nulls aside).
    #[serde(default)]
    pub unique: bool,
    /// Every value (as text) matches this regular expression; anchor it with `^…$` to match
    /// whole values.
    pub regex: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeName {
    Integer,
    Float,
    Number,
    Boolean,
    String,
    Date,
    Timestamp,
}

impl TypeName {
    fn accepts(self, k: Kind) -> bool {
        match self {
            TypeName::Number => k.is_numeric(),
            TypeName::Integer => k == Kind::Integer,
            TypeName::Float => k == Kind::Float,
            TypeName::Boolean => k == Kind::Boolean,
            TypeName::String => k == Kind::String,
            TypeName::Date => k == Kind::Date,
            TypeName::Timestamp => k == Kind::Timestamp,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TypeName::Integer => "integer",
            TypeName::Float => "float",
            TypeName::Number => "number",
            TypeName::Boolean => "boolean",
            TypeName::String => "string",
            TypeName::Date => "date",
            TypeName::Timestamp => "timestamp",
        }
    }
}

/// One way the data breaks its contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub path: String,
    /// The column concerned (none for row counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Which key: `min_rows`, `max_rows`, `columns`, `type`, `max_null_rate`, `min`, `max`,
    /// `allowed`, `unique`, `regex`.
    pub check: String,
    pub message: String,
    /// Values that broke it (how many), and a few of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

/// How many failing values a violation shows.
const EXAMPLES: usize = 3;

/// The text form of an allowed value from TOML.
fn allowed_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct ColumnState<'a> {
    name: &'a str,
    index: usize,
    kind: Kind,
    check: &'a ColumnCheck,
    nulls: u64,
    below: (u64, Vec<String>),
    above: (u64, Vec<String>),
    not_allowed: (u64, Vec<String>),
    allowed: Option<HashSet<String>>,
    regex: Option<regex::Regex>,
    no_match: (u64, Vec<String>),
    seen: Option<HashSet<u64>>,
    repeated: (u64, Vec<String>),
}

fn note(slot: &mut (u64, Vec<String>), value: &str) {
    slot.0 += 1;
    if slot.1.len() < EXAMPLES && !slot.1.iter().any(|v| v == value) {
        slot.1.push(value.chars().take(80).collect());
    }
}

/// Check every row of `table` (`path` names it) against `spec` (`key` names its table).
pub fn check(
    path: &str,
    key: &str,
    spec: &CheckSpec,
    table: Table,
) -> Result<Vec<Violation>, Error> {
    let mut out = Vec::new();
    let violation = |column: Option<&str>, check: &str, message: String| Violation {
        path: path.to_owned(),
        column: column.map(str::to_owned),
        check: check.to_owned(),
        message,
        failing: None,
        examples: Vec::new(),
    };
    let names: Vec<String> = table.schema.fields().iter().map(|f| f.name().clone()).collect();
    let all_names: Vec<String> =
        names.iter().cloned().chain(table.skipped.iter().map(|s| s.name.clone())).collect();
    let mut states = Vec::new();
    for (name, check) in &spec.columns {
        let Some(index) = names.iter().position(|n| n == name) else {
            let message = if all_names.contains(name) {
                format!("column {name} is not checkable (its values are nested or binary)")
            } else {
                format!("no column {name} (columns: {})", all_names.join(", "))
            };
            out.push(violation(Some(name), "columns", message));
            continue;
        };
        let kind = table.kinds[index];
        if let Some(t) = check.kind
            && !t.accepts(kind)
        {
            out.push(violation(
                Some(name),
                "type",
                format!("column {name} holds {} values, not {}", kind.name(), t.name()),
            ));
        }
        let regex = match &check.regex {
            Some(r) => Some(regex::Regex::new(r).map_err(|e| Error::BadRegex {
                key: key.to_owned(),
                column: name.clone(),
                message: e.to_string(),
            })?),
            None => None,
        };
        if (check.min.is_some() || check.max.is_some()) && !kind.is_numeric() {
            out.push(violation(
                Some(name),
                "min",
                format!("column {name} holds {} values: min and max apply to numbers", kind.name()),
            ));
        }
        states.push(ColumnState {
            name,
            index,
            kind,
            check,
            nulls: 0,
            below: (0, Vec::new()),
            above: (0, Vec::new()),
            not_allowed: (0, Vec::new()),
            allowed: check.allowed.as_ref().map(|a| a.iter().map(allowed_text).collect()),
            regex,
            no_match: (0, Vec::new()),
            seen: check.unique.then(HashSet::new),
            repeated: (0, Vec::new()),
        });
    }
    if spec.only_listed_columns {
        for n in &all_names {
            if !spec.columns.contains_key(n) {
                out.push(violation(
                    Some(n),
                    "columns",
                    format!("column {n} is not listed in [checks.{key:?}.columns]"),
                ));
            }
        }
    }
    let mut rows = 0u64;
    for batch in table.batches {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        for s in &mut states {
            scan(s, batch.column(s.index))?;
        }
    }
    if let Some(min) = spec.min_rows
        && rows < min
    {
        out.push(violation(None, "min_rows", format!("{rows} rows, fewer than min_rows = {min}")));
    }
    if let Some(max) = spec.max_rows
        && rows > max
    {
        out.push(violation(None, "max_rows", format!("{rows} rows, more than max_rows = {max}")));
    }
    for s in states {
        let name = s.name;
        let mut push = |check: &str, slot: (u64, Vec<String>), message: String| {
            if slot.0 > 0 {
                out.push(Violation {
                    path: path.to_owned(),
                    column: Some(name.to_owned()),
                    check: check.to_owned(),
                    message,
                    failing: Some(slot.0),
                    examples: slot.1,
                });
            }
        };
        if let Some(max) = s.check.max_null_rate {
            let rate = if rows == 0 { 0.0 } else { s.nulls as f64 / rows as f64 };
            if rate > max {
                push(
                    "max_null_rate",
                    (s.nulls, Vec::new()),
                    format!("column {name}: null rate {rate:.4} above max_null_rate = {max}"),
                );
            }
        }
        if let Some(min) = s.check.min {
            push("min", s.below, format!("column {name}: values below min = {min}"));
        }
        if let Some(max) = s.check.max {
            push("max", s.above, format!("column {name}: values above max = {max}"));
        }
        push("allowed", s.not_allowed, format!("column {name}: values not in allowed"));
        if let Some(r) = &s.check.regex {
            push("regex", s.no_match, format!("column {name}: values not matching {r:?}"));
        }
        push("unique", s.repeated, format!("column {name}: repeated values"));
        let _ = s.kind;
    }
    Ok(out)
}

fn scan(s: &mut ColumnState<'_>, array: &ArrayRef) -> Result<(), Error> {
    let cast_error =
        |e: arrow_schema::ArrowError| Error::Read { path: String::new(), message: e.to_string() };
    s.nulls += array.null_count() as u64;
    if s.kind.is_numeric() && (s.check.min.is_some() || s.check.max.is_some()) {
        let floats = arrow_cast::cast(array, &DataType::Float64).map_err(cast_error)?;
        for v in floats.as_primitive::<Float64Type>().iter().flatten() {
            if s.check.min.is_some_and(|m| v < m) {
                note(&mut s.below, &v.to_string());
            }
            if s.check.max.is_some_and(|m| v > m) {
                note(&mut s.above, &v.to_string());
            }
        }
    }
    if s.allowed.is_none() && s.regex.is_none() && s.seen.is_none() {
        return Ok(());
    }
    let text = arrow_cast::cast(array, &DataType::Utf8).map_err(cast_error)?;
    for v in text.as_string::<i32>().iter().flatten() {
        if let Some(allowed) = &s.allowed
            && !allowed.contains(v)
        {
            note(&mut s.not_allowed, v);
        }
        if let Some(r) = &s.regex
            && !r.is_match(v)
        {
            note(&mut s.no_match, v);
        }
        if let Some(seen) = &mut s.seen {
            let mut h = std::hash::DefaultHasher::new();
            v.hash(&mut h);
            if !seen.insert(h.finish()) {
                note(&mut s.repeated, v);
            }
        }
    }
    Ok(())
}
