//! The params and metrics columns of `mlx exp list`: one per key, named short and unique
//! (`train.lr`, not `params.yaml:train.lr`, unless two files define `train.lr`), chosen with
//! `--only-changed`, `--columns` and `--drop`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::keys::short_param;
use crate::tracking::filter::Field;
use crate::tracking::query::{Key, MetricValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Param,
    Metric,
}

/// One params or metrics column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// What tables show: short and unique among the columns (`train.lr`, `acc`,
    /// `evaluate:acc` where stages disagree).
    pub name: String,
    pub kind: ColumnKind,
    /// The key in each row's `params` or `metrics`.
    pub key: String,
    /// How filters and sort keys name it (`params.train.lr`).
    pub field: String,
}

/// Which columns to keep.
#[derive(Debug, Clone, Default)]
pub struct ColumnOptions {
    /// Only columns whose value differs between the rows (a missing value differs from any).
    pub only_changed: bool,
    /// Globs (`*`, `?`) a column's name, key or field must match; empty for all.
    pub columns: Vec<String>,
    /// Globs of columns to leave out.
    pub drop: Vec<String>,
}

pub use crate::text::glob_match;

/// Split `a,b` arguments and drop empty ones.
fn patterns(args: &[String]) -> Vec<&str> {
    args.iter().flat_map(|a| a.split(',')).map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// A row's values, as the columns read them.
pub trait Values {
    fn params(&self) -> &BTreeMap<Key, String>;
    fn metrics(&self) -> &BTreeMap<Key, MetricValue>;
}

/// The columns of `rows`, and how many `opts` left out. `staged` maps a key shown per stage
/// (`evaluate:acc`) to its stage and the key itself.
pub fn columns<R: Values>(
    rows: &[R],
    staged: &HashMap<Key, (Key, Key)>,
    opts: &ColumnOptions,
) -> (Vec<Column>, usize) {
    let mut out = all_columns(rows, staged);
    let total = out.len();
    let keep = patterns(&opts.columns);
    let drop = patterns(&opts.drop);
    let matches = |c: &Column, globs: &[&str]| {
        globs
            .iter()
            .any(|g| glob_match(g, &c.name) || glob_match(g, &c.key) || glob_match(g, &c.field))
    };
    out.retain(|c| (keep.is_empty() || matches(c, &keep)) && !matches(c, &drop));
    if opts.only_changed && rows.len() > 1 {
        out.retain(|c| match c.kind {
            ColumnKind::Param => differs(rows, |r| r.params().get(c.key.as_str()), |a, b| a == b),
            ColumnKind::Metric => differs(
                rows,
                |r| r.metrics().get(c.key.as_str()),
                |a, b| a.0.to_bits() == b.0.to_bits(),
            ),
        });
    }
    let hidden = total - out.len();
    (out, hidden)
}

/// Every params and metrics column of `rows`, params first, each named short and unique.
pub fn all_columns<R: Values>(rows: &[R], staged: &HashMap<Key, (Key, Key)>) -> Vec<Column> {
    let params = distinct_keys(rows.iter().map(Values::params));
    let metrics = distinct_keys(rows.iter().map(Values::metrics));
    // Short param names: the tail after the file, where no other key has the same tail.
    let base = |k: &Key| -> String {
        staged.get(k).map_or_else(|| k.to_string(), |(_, key)| key.to_string())
    };
    let mut tails: HashMap<String, BTreeSet<String>> = HashMap::new();
    for k in &params {
        let b = base(k);
        tails.entry(short_param(&b).to_owned()).or_default().insert(b);
    }
    let short = |b: &str| -> String {
        let tail = short_param(b);
        if tails.get(tail).is_some_and(|all| all.len() == 1) {
            tail.to_owned()
        } else {
            b.to_owned()
        }
    };
    let name_of = |k: &Key, param: bool| -> String {
        let key = base(k);
        let key = if param { short(&key) } else { key };
        match staged.get(k) {
            Some((stage, _)) => {
                crate::tracking::experiments::list::staged_key(stage.as_str(), &key)
            }
            None => key,
        }
    };
    let mut out: Vec<Column> = params
        .iter()
        .map(|k| (k, name_of(k, true), ColumnKind::Param))
        .chain(metrics.iter().map(|k| (k, name_of(k, false), ColumnKind::Metric)))
        .map(|(k, name, kind)| Column {
            field: match kind {
                ColumnKind::Param => Field::Param(name.clone()),
                ColumnKind::Metric => Field::Metric(name.clone()),
            }
            .to_string(),
            name,
            kind,
            key: k.to_string(),
        })
        .collect();
    // A param and a metric with one name: say which is which.
    let mut kinds: HashMap<String, BTreeSet<u8>> = HashMap::new();
    for c in &out {
        kinds.entry(c.name.clone()).or_default().insert(c.kind as u8);
    }
    for c in &mut out {
        if kinds[&c.name].len() > 1 {
            let prefix = if c.kind == ColumnKind::Param { "params" } else { "metrics" };
            c.name = format!("{prefix}.{}", c.name);
        }
    }
    // In the order of the names shown: params, then metrics.
    out.sort_by(|a, b| (a.kind as u8, &a.name).cmp(&(b.kind as u8, &b.name)));
    out
}

/// Every key of the maps, once. Rows mostly hold the same keys as the row before (shared names
/// from one listing): those are skipped without comparing text.
fn distinct_keys<'a, V: 'a>(maps: impl Iterator<Item = &'a BTreeMap<Key, V>>) -> BTreeSet<&'a Key> {
    let mut all = BTreeSet::new();
    let mut before: Option<&BTreeMap<Key, V>> = None;
    for map in maps {
        let same = before.is_some_and(|b| {
            b.len() == map.len() && b.keys().zip(map.keys()).all(|(x, y)| x.is(y))
        });
        if !same {
            all.extend(map.keys());
        }
        before = Some(map);
    }
    all
}

fn differs<'a, R, V: 'a>(
    rows: &'a [R],
    get: impl Fn(&'a R) -> Option<&'a V>,
    same: impl Fn(&V, &V) -> bool,
) -> bool {
    let mut values = rows.iter().map(get);
    let Some(first) = values.next() else { return false };
    values.any(|v| match (first, v) {
        (Some(a), Some(b)) => !same(a, b),
        (None, None) => false,
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("train.*", "train.lr"));
        assert!(glob_match("*acc", "evaluate:acc"));
        assert!(glob_match("?cc", "acc"));
        assert!(!glob_match("train.*", "prepare.split"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b", "aXbY"));
    }
}
