//! Turning the metric, param and tag keys a filter, sort key or check names into recorded keys:
//! a key runs have is taken as it is; `STAGE:KEY` names the run of one stage; a short param name
//! (`train.lr`) stands for the one recorded key that ends with it after a file prefix
//! (`params.yaml:train.lr`). A key nothing matches is refused with the closest keys, so a typo
//! never reads as "no runs match" or passes a gate.

use std::collections::BTreeSet;

use super::{Error, LISTED, Result, SUGGESTED, UnknownKey};
use crate::tracking::filter::Field;
use crate::tracking::query;

/// The keys recorded runs have, and the stage names they ran.
pub(crate) struct Known {
    pub runs: u64,
    pub params: Vec<String>,
    pub metrics: Vec<String>,
    pub stages: BTreeSet<String>,
}

pub(crate) fn known(conn: &rusqlite::Connection) -> Result<Known> {
    let keys = query::known_keys(conn)?;
    let stages = crate::tracking::experiments::stage_names(conn)?;
    Ok(Known { runs: keys.runs, params: keys.params, metrics: keys.metrics, stages })
}

/// The file-less tail of a param key: `train.lr` for `params.yaml:train.lr`.
pub(crate) fn short_param(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, tail)| tail)
}

/// How a param key is written for the user: its short name (`train.lr`) when no other recorded
/// key has the same one, else in full (`params.yaml:train.lr`).
pub(crate) fn display_param<'a>(params: &[String], key: &'a str) -> &'a str {
    let tail = short_param(key);
    if tail != key && params.iter().filter(|k| short_param(k) == tail).count() == 1 {
        tail
    } else {
        key
    }
}

fn param_or_metric(param: bool, key: &str) -> Field {
    if param { Field::Param(key.to_owned()) } else { Field::Metric(key.to_owned()) }
}

/// Resolve one field in place; `text` and `column` place errors.
pub(crate) fn resolve(
    known: &Known,
    field: &mut Field,
    text: &str,
    column: Option<usize>,
) -> Result<()> {
    let (param, key) = match &*field {
        Field::Param(k) => (true, k.clone()),
        Field::Metric(k) => (false, k.clone()),
        Field::Tag(k) => {
            if let Some((stage, tail)) = k.split_once(':')
                && known.stages.contains(stage)
            {
                *field = Field::Staged(stage.to_owned(), Box::new(Field::Tag(tail.to_owned())));
            }
            return Ok(());
        }
        Field::Attr(_) | Field::Staged(..) => return Ok(()),
    };
    let same = if param { &known.params } else { &known.metrics };
    if known.runs == 0 || same.contains(&key) {
        return Ok(());
    }
    if let Some((stage, tail)) = key.split_once(':')
        && known.stages.contains(stage)
    {
        let mut inner = param_or_metric(param, tail);
        resolve(known, &mut inner, text, column)?;
        *field = Field::Staged(stage.to_owned(), Box::new(inner));
        return Ok(());
    }
    if param {
        let ends: Vec<&String> = same.iter().filter(|k| short_param(k) == key).collect();
        match ends.as_slice() {
            [one] => {
                *field = Field::Param((*one).clone());
                return Ok(());
            }
            [] => {}
            many => {
                return Err(Error::AmbiguousKey {
                    field: field.to_string(),
                    candidates: many
                        .iter()
                        .map(|k| Field::Param((*k).clone()).to_string())
                        .collect(),
                });
            }
        }
    }
    Err(unknown(known, field, param, &key, text, column))
}

fn unknown(
    known: &Known,
    field: &Field,
    param: bool,
    key: &str,
    text: &str,
    column: Option<usize>,
) -> Error {
    let (what, same, other) = if param {
        ("param", &known.params, &known.metrics)
    } else {
        ("metric", &known.metrics, &known.params)
    };
    // Params by their short name where it names one key, as tables and filters do.
    let as_field = |k: &str, same_kind: bool| {
        let is_param = param == same_kind;
        let k = if is_param { display_param(&known.params, k) } else { k };
        param_or_metric(is_param, k).to_string()
    };
    let shorts: Vec<&str> =
        if param { same.iter().map(|k| short_param(k)).collect() } else { Vec::new() };
    let mut suggestions: Vec<String> =
        crate::text::similar_keys(key, same.iter().map(String::as_str), SUGGESTED)
            .into_iter()
            .map(|k| as_field(k, true))
            .collect();
    if suggestions.is_empty() && param {
        suggestions = crate::text::similar_keys(key, shorts.iter().copied(), SUGGESTED)
            .into_iter()
            .map(|k| as_field(k, true))
            .collect();
    }
    // `metrics.lr` where runs have the param `lr`.
    if other.iter().any(|k| k == key) {
        suggestions.push(as_field(key, false));
    }
    let mut seen = std::collections::HashSet::new();
    suggestions.retain(|s| seen.insert(s.clone()));
    let listed = if suggestions.is_empty() {
        same.iter().take(LISTED).map(|k| as_field(k, true)).collect()
    } else {
        Vec::new()
    };
    Error::UnknownKey(Box::new(UnknownKey {
        field: field.to_string(),
        what,
        suggestions,
        known: listed,
        text: text.to_owned(),
        column,
    }))
}
