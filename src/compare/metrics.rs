//! The metrics files that stages declare, flattened to `dotted.key → number`, in the workspace
//! or at a commit, and compared between two sides (what `dvc metrics diff` does, for CI
//! comments).
//!
//! Each side's own `mlx.toml` says which files are metrics, so files added or renamed between
//! commits are handled. At a commit a cached metrics file (git-ignored) is read through its hash
//! in that commit's `mlx.lock` and the cache; an uncached one from the commit's tree. A file that
//! cannot be read on a side counts as missing there and is reported in `errors`, never fatal.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::side::{Side, SideInfo};
use crate::error::Result;
use crate::pipeline::OutKind;
use crate::pipeline::metrics_file;
use crate::project::Project;
use crate::tracking::query::MetricValue;

pub struct MetricsShowOptions {
    /// A revision; the workspace when absent.
    pub rev: Option<String>,
}

pub struct MetricsDiffOptions {
    /// The old side: a revision (default `HEAD`).
    pub a: Option<String>,
    /// The new side: a revision, or the workspace when absent.
    pub b: Option<String>,
    /// List unchanged metrics too.
    pub all: bool,
}

/// One declared metrics file on one side.
#[derive(Debug, Serialize)]
pub struct MetricsFile {
    pub path: String,
    /// The stage declaring it (or whose output holds it, for a file of the top-level `metrics`
    /// list); `null` for a top-level metrics file no stage writes.
    pub stage: Option<String>,
    /// Flattened key → value (for a CSV with steps, the value at the last step).
    pub metrics: BTreeMap<String, MetricValue>,
    /// Why the file could not be read (then `metrics` is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MetricsShowReport {
    pub rev: SideInfo,
    /// Sorted by path.
    pub files: Vec<MetricsFile>,
}

/// One metric compared between the sides.
#[derive(Debug, Serialize)]
pub struct MetricDiff {
    pub path: String,
    pub key: String,
    /// `null` when the file or the key is missing on that side.
    pub old: Option<MetricValue>,
    pub new: Option<MetricValue>,
    /// `new - old`, when both are finite numbers.
    pub change: Option<f64>,
    /// The change in percent of `|old|`, when there is a change and `old` is not 0.
    pub change_pct: Option<f64>,
    pub changed: bool,
}

impl MetricDiff {
    /// How the value moved, as tables show it: `+0.02 (+2.20%)`, `-0.1`; `-` when it changed
    /// without a number to tell (a side missing), empty when it did not change.
    pub fn change_text(&self) -> String {
        let signed = |d: f64| {
            let s = MetricValue(d).short();
            if s.starts_with('-') { s } else { format!("+{s}") }
        };
        match (self.change, self.change_pct) {
            (Some(d), Some(p)) => format!("{} ({p:+.2}%)", signed(d)),
            (Some(d), None) => signed(d),
            _ if self.changed => "-".to_owned(),
            _ => String::new(),
        }
    }
}

/// A declared metrics file that could not be read on one side.
#[derive(Debug, Serialize)]
pub struct FileError {
    /// The side's label (`HEAD`, `workspace`, …).
    pub rev: String,
    pub path: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct MetricsDiffReport {
    pub a: SideInfo,
    pub b: SideInfo,
    /// Sorted by path, then key; only changed metrics unless `--all`.
    pub metrics: Vec<MetricDiff>,
    /// How many metrics were compared, and how many of them changed.
    pub compared: usize,
    pub changed: usize,
    pub errors: Vec<FileError>,
}

/// Every declared metrics file of one side, read and flattened.
fn read_side(side: &Side<'_>) -> Result<Vec<MetricsFile>> {
    let Some(pipeline) = side.pipeline()? else { return Ok(Vec::new()) };
    let lock = side.lock()?;
    let mut files = Vec::new();
    for stage in &pipeline.stages {
        for out in stage.outs.iter().filter(|o| o.kind == OutKind::Metrics) {
            let path = out.path.to_string();
            let mut file = MetricsFile {
                path: path.clone(),
                stage: Some(stage.name.to_string()),
                metrics: BTreeMap::new(),
                error: None,
            };
            let folder = out.within.as_ref().unwrap_or(&out.path);
            let parsed = side
                .read_within(&lock, stage.name.as_str(), folder, &out.path, out.cache)?
                .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".into()))
                .and_then(|text| metrics_file::parse(&path, &text).map_err(|e| e.message));
            match parsed {
                Ok(points) => file.metrics = last_values(points),
                Err(e) => file.error = Some(e),
            }
            files.push(file);
        }
    }
    // Top-level metrics files no stage writes: committed to git, or plain files here.
    for path in &pipeline.metrics {
        if files.iter().any(|f| f.path == path.to_string()) {
            continue;
        }
        let shown = path.to_string();
        let parsed = side
            .read_file(path)?
            .ok_or_else(|| "does not exist".to_owned())
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".into()))
            .and_then(|text| metrics_file::parse(&shown, &text).map_err(|e| e.message));
        let (metrics, error) = match parsed {
            Ok(points) => (last_values(points), None),
            Err(e) => (BTreeMap::new(), Some(e)),
        };
        files.push(MetricsFile { path: shown, stage: None, metrics, error });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// One value per key: the one at the highest step (the last written among equals).
fn last_values(points: metrics_file::Points) -> BTreeMap<String, MetricValue> {
    let mut out: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    for (key, value, step) in points {
        match out.get(&key) {
            Some((s, _)) if *s > step => {}
            _ => {
                out.insert(key, (step, value));
            }
        }
    }
    out.into_iter().map(|(k, (_, v))| (k, MetricValue(v))).collect()
}

pub fn show(project: &Project, opts: &MetricsShowOptions) -> Result<MetricsShowReport> {
    let side = Side::open(project, opts.rev.as_deref())?;
    let files = read_side(&side)?;
    Ok(MetricsShowReport { rev: side.info, files })
}

pub fn diff(project: &Project, opts: &MetricsDiffOptions) -> Result<MetricsDiffReport> {
    let a = Side::open(project, Some(opts.a.as_deref().unwrap_or("HEAD")))?;
    let b = Side::open(project, opts.b.as_deref())?;
    let old = read_side(&a)?;
    let new = read_side(&b)?;
    let mut errors = Vec::new();
    let mut by_path: BTreeMap<&str, [Option<&MetricsFile>; 2]> = BTreeMap::new();
    for (i, (side, files)) in [(&a, &old), (&b, &new)].into_iter().enumerate() {
        for f in files {
            by_path.entry(&f.path).or_default()[i] = Some(f);
            if let Some(e) = &f.error {
                errors.push(FileError {
                    rev: side.label().to_owned(),
                    path: f.path.clone(),
                    error: e.clone(),
                });
            }
        }
    }
    let mut metrics = Vec::new();
    let (mut compared, mut changed) = (0, 0);
    for (path, [o, n]) in by_path {
        let (o, n) = (o.map(|f| &f.metrics), n.map(|f| &f.metrics));
        let keys: BTreeSet<&String> = o.into_iter().chain(n).flat_map(BTreeMap::keys).collect();
        for key in keys {
            let old = o.and_then(|m| m.get(key)).copied();
            let new = n.and_then(|m| m.get(key)).copied();
            let row = compare(path, key, old, new);
            compared += 1;
            if row.changed {
                changed += 1;
            }
            if row.changed || opts.all {
                metrics.push(row);
            }
        }
    }
    Ok(MetricsDiffReport { a: a.info, b: b.info, metrics, compared, changed, errors })
}

fn compare(
    path: &str,
    key: &str,
    old: Option<MetricValue>,
    new: Option<MetricValue>,
) -> MetricDiff {
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    let changed = match (old, new) {
        (Some(a), Some(b)) => !same(a.0, b.0),
        (None, None) => false,
        _ => true,
    };
    let change = match (old, new) {
        (Some(a), Some(b)) if changed => Some(b.0 - a.0).filter(|d| d.is_finite()),
        _ => None,
    };
    let change_pct = match (old, change) {
        (Some(a), Some(d)) if a.0 != 0.0 => Some(d / a.0.abs() * 100.0).filter(|p| p.is_finite()),
        _ => None,
    };
    MetricDiff { path: path.to_owned(), key: key.to_owned(), old, new, change, change_pct, changed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_absolute_and_relative() {
        let r = compare("m.json", "acc", Some(MetricValue(0.5)), Some(MetricValue(0.75)));
        assert!(r.changed);
        assert_eq!(r.change, Some(0.25));
        assert_eq!(r.change_pct, Some(50.0));
        let r = compare("m.json", "loss", Some(MetricValue(-2.0)), Some(MetricValue(-1.0)));
        assert_eq!((r.change, r.change_pct), (Some(1.0), Some(50.0)));
        let r = compare("m.json", "n", Some(MetricValue(0.0)), Some(MetricValue(3.0)));
        assert_eq!((r.change, r.change_pct), (Some(3.0), None));
        let r = compare("m.json", "n", Some(MetricValue(3.0)), Some(MetricValue(3.0)));
        assert!(!r.changed);
        assert_eq!(r.change, None);
    }

    #[test]
    fn nan_equals_nan_and_missing_sides_change() {
        let nan = Some(MetricValue(f64::NAN));
        assert!(!compare("m", "k", nan, nan).changed);
        let r = compare("m", "k", nan, Some(MetricValue(1.0)));
        assert!(r.changed);
        assert_eq!(r.change, None);
        let r = compare("m", "k", None, Some(MetricValue(1.0)));
        assert!(r.changed);
        assert_eq!((r.change, r.change_pct), (None, None));
    }

    #[test]
    fn the_last_step_wins() {
        let v = last_values(vec![("a".into(), 1.0, 0), ("a".into(), 3.0, 2), ("a".into(), 2.0, 1)]);
        assert_eq!(v["a"], MetricValue(3.0));
    }
}
