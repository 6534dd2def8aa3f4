//! DVCLive's output read as run records. A script that logs through DVCLive (`Live(dir)`,
//! `log_param`, `log_metric`, `next_step`) leaves a folder holding `metrics.json` (the summary:
//! the last value of each metric, nested by the `/` in its name, and the last `step`),
//! `params.yaml` (the params it logged) and `plots/metrics/NAME.tsv` per metric (`timestamp`,
//! `step` and the value, one row per step; `train/loss` is `plots/metrics/train/loss.tsv`).
//!
//! A folder counts as DVCLive's only when its `plots/metrics` holds a history in exactly that
//! shape (a tab-separated header of `step`, the file's own name and optionally `timestamp`):
//! an arbitrary folder with a `metrics.json` is not misread (a declared one is then read as a
//! plain metrics file). Reads only, never follows a symlink, and never prints; the caller logs
//! what [`read`] returns.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Error, RunId, runs};
use crate::pipeline::metrics_file;

/// Where DVCLive keeps the per-step histories, inside its folder.
const HISTORIES: &str = "plots/metrics";
/// The most history files read from one folder, and folders looked at under one output.
const MAX_FILES: usize = 10_000;
/// How deep below an output folder a DVCLive folder is looked for (`results/train/` in `out`).
const SEARCH_DEPTH: usize = 2;

/// One reading of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// DVCLive's name: `train/loss`.
    pub key: String,
    pub value: f64,
    pub step: i64,
    /// Milliseconds since the epoch (from the history, or when it was read for the summary).
    pub timestamp: i64,
}

/// What a DVCLive folder holds, as run records.
#[derive(Debug, Default)]
pub struct Logged {
    /// Every row of every history, then each summary value no history has (at the summary's
    /// step): a history's last row already is its summary value, so it is not logged twice.
    pub readings: Vec<Reading>,
    /// `params.yaml`, flattened to dotted keys (`model.depth`).
    pub params: Vec<(String, String)>,
    /// Files that could not be read, with why (shown as warnings).
    pub problems: Vec<String>,
}

fn meta(path: &Path) -> Option<std::fs::Metadata> {
    std::fs::symlink_metadata(path).ok()
}

fn is_dir(path: &Path) -> bool {
    meta(path).is_some_and(|m| m.is_dir())
}

fn is_file(path: &Path) -> bool {
    meta(path).is_some_and(|m| m.is_file())
}

/// The history files under `DIR/plots/metrics` (no symlinks), sorted, at most [`MAX_FILES`].
fn history_files(dir: &Path) -> Vec<PathBuf> {
    let root = dir.join(HISTORIES);
    // Each folder on the way, not through a symlink.
    if !is_dir(dir) || !is_dir(&dir.join("plots")) || !is_dir(&root) {
        return Vec::new();
    }
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .take(MAX_FILES)
        .collect();
    found.sort();
    found
}

/// The columns of a history in DVCLive's shape: `(step, timestamp, value)` positions. The
/// header names `step`, optionally `timestamp`, and one more column named like the file.
fn history_columns(header: &str, stem: &str) -> Option<(usize, Option<usize>, usize)> {
    let cols: Vec<&str> = header.trim_end_matches('\r').split('\t').collect();
    let step = cols.iter().position(|c| *c == "step")?;
    let timestamp = cols.iter().position(|c| *c == "timestamp");
    let others: Vec<usize> =
        (0..cols.len()).filter(|&i| i != step && Some(i) != timestamp).collect();
    match others.as_slice() {
        [value] if cols[*value] == stem => Some((step, timestamp, *value)),
        _ => None,
    }
}

/// The rows of a history named `stem` as `(step, value, timestamp)`; `None` when the text is
/// not in DVCLive's shape. Rows without a whole step or a number are skipped; `now` stands in
/// for a missing timestamp.
fn parse_history(stem: &str, text: &str, now: i64) -> Option<Vec<(i64, f64, i64)>> {
    let mut lines = text.lines();
    let (step_col, time_col, value_col) = lines.next().and_then(|h| history_columns(h, stem))?;
    let mut rows = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        let cell = |i: usize| cells.get(i).map(|c| c.trim());
        let Some(step) = cell(step_col).and_then(|s| s.parse::<i64>().ok()) else { continue };
        let Some(value) = cell(value_col).and_then(crate::tracking::launch::parse_metric_value)
        else {
            continue;
        };
        let timestamp = time_col.and_then(cell).and_then(|t| t.parse::<i64>().ok()).unwrap_or(now);
        rows.push((step, value, timestamp));
    }
    Some(rows)
}

/// Whether `file` starts like a DVCLive history.
fn is_history(file: &Path) -> bool {
    let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else { return false };
    let Ok(text) = read_head(file) else { return false };
    text.lines().next().is_some_and(|h| history_columns(h, stem).is_some())
}

/// The first kilobyte of a file, as text.
fn read_head(file: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(1024);
    std::fs::File::open(file)?.take(1024).read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Whether `dir` is a DVCLive folder by its histories.
pub fn has_histories(dir: &Path) -> bool {
    history_files(dir).iter().any(|f| is_history(f))
}

/// Whether `metrics_json` (a declared metrics file named `metrics.json`) is DVCLive's summary:
/// its folder has DVCLive's histories.
pub fn is_summary(metrics_json: &Path) -> bool {
    if metrics_json.file_name().is_none_or(|n| n != "metrics.json") || !is_file(metrics_json) {
        return false;
    }
    metrics_json.parent().is_some_and(has_histories)
}

/// The DVCLive folders in `out` (a stage's output folder) and up to [`SEARCH_DEPTH`] levels
/// below it, sorted; a DVCLive folder's own subfolders are not searched.
pub fn find_in(out: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut looked = 0;
    let mut level = vec![out.to_path_buf()];
    for depth in 0..=SEARCH_DEPTH {
        let mut next = Vec::new();
        for dir in level {
            looked += 1;
            if looked > MAX_FILES || !is_dir(&dir) {
                continue;
            }
            if has_histories(&dir) {
                found.push(dir);
                continue;
            }
            if depth == SEARCH_DEPTH {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut subdirs: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect();
            subdirs.sort();
            next.extend(subdirs);
        }
        level = next;
    }
    found.sort();
    found
}

/// Read the DVCLive folder `dir`; `shown` names it in problems (a project path). `now` stamps
/// summary values that no history has.
pub fn read(dir: &Path, shown: &str, now: i64) -> Logged {
    let mut logged = Logged::default();
    let root = dir.join(HISTORIES);
    let mut with_history: BTreeSet<String> = BTreeSet::new();
    let mut last_step: Option<i64> = None;
    for file in history_files(dir) {
        let Ok(rel) = file.strip_prefix(&root) else { continue };
        let Some(name) = rel.with_extension("").to_str().map(str::to_owned) else { continue };
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                logged.problems.push(format!("{shown}/{HISTORIES}/{}: {e}", rel.display()));
                continue;
            }
        };
        let Some(rows) = parse_history(stem, &text, now) else { continue };
        for (step, value, timestamp) in rows {
            last_step = Some(last_step.map_or(step, |s| s.max(step)));
            logged.readings.push(Reading { key: name.clone(), value, step, timestamp });
        }
        with_history.insert(name);
    }

    let summary = dir.join("metrics.json");
    if is_file(&summary) {
        let shown_file = format!("{shown}/metrics.json");
        match read_document(&summary, &shown_file) {
            Ok(doc) => {
                let step = doc.get("step").and_then(serde_json::Value::as_i64);
                let mut flat = BTreeMap::new();
                if let serde_json::Value::Object(map) = &doc {
                    for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "step") {
                        metrics_file::flatten_with(k, '/', v, &mut flat);
                    }
                }
                let step = step.or(last_step).unwrap_or(0);
                for (key, value) in flat {
                    if !with_history.contains(&key) {
                        logged.readings.push(Reading { key, value, step, timestamp: now });
                    }
                }
            }
            Err(e) => logged.problems.push(e),
        }
    }

    let params = dir.join("params.yaml");
    if is_file(&params) {
        match read_document(&params, &format!("{shown}/params.yaml")) {
            Ok(doc) => flatten_params("", &doc, &mut logged.params),
            Err(e) => logged.problems.push(e),
        }
    }
    logged
}

/// Log what the DVCLive folder `abs` (shown as `shown`) holds on `run`: its histories and
/// summary as metrics, its params as params the run does not have already. Returns the
/// problems met (files that could not be read).
pub fn log(
    conn: &mut rusqlite::Connection,
    run: &RunId,
    abs: &Path,
    shown: &str,
) -> Result<Vec<String>, Error> {
    let logged = read(abs, shown, runs::now_millis());
    let points: Vec<runs::Point<'_>> = logged
        .readings
        .iter()
        .map(|r| runs::Point { key: &r.key, value: r.value, step: r.step, timestamp: r.timestamp })
        .collect();
    runs::log_metrics(conn, run, &points)?;
    runs::add_missing_params(conn, run, &logged.params)?;
    Ok(logged.problems)
}

/// The DVCLive folders in `cwd` or right inside it (DVCLive's default is `dvclive`), each with
/// the newest modification time of its histories and summary: taken before a command runs and
/// after, to tell which folders the command wrote (see [`written`]).
#[derive(Debug, Default)]
pub struct Folders(BTreeMap<PathBuf, Option<std::time::SystemTime>>);

impl Folders {
    pub fn in_folder(cwd: &Path) -> Folders {
        let stamp = |dir: &Path| {
            let mut files = history_files(dir);
            if !files.iter().any(|f| is_history(f)) {
                return None;
            }
            files.push(dir.join("metrics.json"));
            Some(files.iter().filter_map(|f| meta(f)?.modified().ok()).max())
        };
        let mut found = BTreeMap::new();
        if let Some(s) = stamp(cwd) {
            found.insert(cwd.to_path_buf(), s);
            return Folders(found);
        }
        let Ok(entries) = std::fs::read_dir(cwd) else { return Folders(found) };
        for entry in entries.filter_map(Result::ok).take(MAX_FILES) {
            let name = entry.file_name();
            if name == ".git" || name == ".mlx" || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if let Some(s) = stamp(&entry.path()) {
                found.insert(entry.path(), s);
            }
        }
        Folders(found)
    }
}

/// The DVCLive folders of `after` that are new or changed since `before`, sorted.
pub fn written(before: &Folders, after: &Folders) -> Vec<PathBuf> {
    after
        .0
        .iter()
        .filter(|(dir, s)| before.0.get(*dir) != Some(s))
        .map(|(d, _)| d.clone())
        .collect()
}

fn read_document(file: &Path, shown: &str) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{shown}: {e}"))?;
    metrics_file::parse_document(shown, &text).map_err(|e| e.to_string())
}

/// Params as runs record them: dotted keys, text values (lists and null as JSON).
fn flatten_params(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten_params(&key, v, out);
            }
        }
        _ if prefix.is_empty() => {}
        serde_json::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_shape_is_dvclives_own() {
        assert_eq!(history_columns("timestamp\tstep\tloss", "loss"), Some((1, Some(0), 2)));
        assert_eq!(history_columns("step\tloss", "loss"), Some((0, None, 1)));
        // Another column, another name, no step: not DVCLive's.
        assert_eq!(history_columns("timestamp\tstep\tloss\tacc", "loss"), None);
        assert_eq!(history_columns("timestamp\tstep\tacc", "loss"), None);
        assert_eq!(history_columns("timestamp\tepoch\tloss", "loss"), None);
        assert_eq!(history_columns("step,loss", "loss"), None);
    }

    #[test]
    fn histories_keep_steps_values_and_timestamps() {
        let text = "timestamp\tstep\tloss\r\n17\t0\t1.5\r\n18\t1\tnan\n\n\
                    19\tx\t2\n20\t3\tbad\n\t4\t0.5\n";
        let rows = parse_history("loss", text, 99).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], (0, 1.5, 17));
        assert!(rows[1].0 == 1 && rows[1].1.is_nan() && rows[1].2 == 18);
        assert_eq!(rows[2], (4, 0.5, 99), "a missing timestamp is when it was read");
        assert_eq!(parse_history("loss", "step\tloss\n2\t0.25\n", 5), Some(vec![(2, 0.25, 5)]));
        assert_eq!(parse_history("acc", "step\tloss\n2\t0.25\n", 5), None);
        assert_eq!(parse_history("loss", "", 5), None);
    }

    #[test]
    fn params_flatten_to_dotted_keys() {
        let doc = serde_json::json!({"lr": 0.1, "model": {"depth": 3, "kind": "rf"}, "l": [1, 2]});
        let mut out = Vec::new();
        flatten_params("", &doc, &mut out);
        out.sort();
        let want = [("l", "[1,2]"), ("lr", "0.1"), ("model.depth", "3"), ("model.kind", "rf")];
        assert_eq!(out, want.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }
}
