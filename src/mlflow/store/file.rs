//! MLflow's file store: an `mlruns/` folder with a folder per experiment (`meta.yaml`, and per
//! run a folder named by its id holding `meta.yaml`, `params/`, `tags/`, `metrics/` and
//! `artifacts/`; MLflow 3 adds `models/<model id>/` for logged models), deleted experiments
//! moved under `.trash/`. A param or tag is a file holding its value, named by its key (a key
//! with `/` is a nested file); a metric is a file of lines `timestamp value step`.
//!
//! Only reads; never follows a symlink (a symlinked folder or file is left out, and a symlink in
//! an artifacts folder is reported by the caller).

use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

use super::{
    Artifacts, Error, Experiment, LoggedModel, MetricPoint, Result, RunData, RunInfo, Status,
    is_plain_id, local_artifacts,
};

/// Folders of an experiment that are not runs.
const NOT_RUNS: &[&str] = &["models", "tags", "datasets", "traces"];
/// Where the file store moves deleted experiments.
const TRASH: &str = ".trash";
const META: &str = "meta.yaml";

pub struct FileStore {
    /// The folder as given, for messages.
    shown: PathBuf,
    /// The folder, canonical.
    root: PathBuf,
}

fn is_real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

fn is_real_file(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// The sub-folders of `dir` (no symlinks), sorted by name.
fn sub_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if let Some(name) = entry.file_name().to_str() {
            out.push((name.to_owned(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// A `meta.yaml` read as a mapping; errors name the file and line.
fn read_meta(path: &Path, shown: &str) -> Result<serde_yaml_ng::Mapping> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            Error::bad(shown, "not UTF-8 text")
        } else {
            Error::Io { path: path.to_path_buf(), source: e }
        }
    })?;
    let value: Value = serde_yaml_ng::from_str(&text).map_err(|e| {
        let place = match e.location() {
            Some(l) => format!("{shown}:{}", l.line()),
            None => shown.to_owned(),
        };
        Error::bad(place, format!("not valid YAML: {e}"))
    })?;
    match value {
        Value::Mapping(m) => Ok(m),
        _ => Err(Error::bad(shown, "expected a mapping of MLflow's fields")),
    }
}

/// The line of `key:` in a meta file, for messages about its value.
fn line_of(path: &Path, key: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let prefix = format!("{key}:");
    text.lines().position(|l| l.starts_with(&prefix)).map(|i| i + 1)
}

struct Meta<'a> {
    map: serde_yaml_ng::Mapping,
    path: &'a Path,
    shown: String,
}

impl Meta<'_> {
    fn bad(&self, key: &str, expected: &str) -> Error {
        let place = match line_of(self.path, key) {
            Some(n) => format!("{}:{n}", self.shown),
            None => self.shown.clone(),
        };
        Error::bad(place, format!("{key}: expected {expected}"))
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Text, or a number written as text (`experiment_id: '0'` or `experiment_id: 0`).
    fn text(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.bad(key, "text")),
        }
    }

    fn required_text(&self, key: &str) -> Result<String> {
        self.text(key)?.ok_or_else(|| self.bad(key, "text (it is missing)"))
    }

    fn int(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| self.bad(key, "a whole number"))
            }
            Some(_) => Err(self.bad(key, "a whole number")),
        }
    }

    fn deleted(&self) -> Result<bool> {
        Ok(self.text("lifecycle_stage")?.is_some_and(|s| s == "deleted"))
    }
}

impl FileStore {
    pub fn open(path: &Path) -> Result<Self> {
        let root = std::fs::canonicalize(path).map_err(io_err(path))?;
        let store = FileStore { shown: path.to_path_buf(), root };
        let has_experiment = sub_dirs(&store.root)?
            .iter()
            .any(|(name, dir)| name == TRASH || is_plain_id(name) && is_real_file(&dir.join(META)));
        if !has_experiment {
            let mut why =
                "it has no experiment folder holding a meta.yaml (as 0/meta.yaml)".to_owned();
            if is_real_dir(&path.join("mlruns")) {
                why.push_str(&format!("; did you mean {}?", path.join("mlruns").display()));
            }
            return Err(Error::NotAStore { path: path.to_path_buf(), why });
        }
        Ok(store)
    }

    fn shown(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(rel) => self.shown.join(rel).display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }

    fn meta<'a>(&self, path: &'a Path) -> Result<Meta<'a>> {
        let shown = self.shown(path);
        if !is_real_file(path) {
            return Err(Error::bad(shown, "missing, or not a plain file"));
        }
        Ok(Meta { map: read_meta(path, &shown)?, path, shown })
    }

    /// Experiment folders: `(folder, deleted because under .trash)`.
    fn experiment_dirs(&self) -> Result<Vec<(PathBuf, bool)>> {
        let mut out = Vec::new();
        for (name, dir) in sub_dirs(&self.root)? {
            if name == TRASH {
                for (name, dir) in sub_dirs(&dir)? {
                    if is_plain_id(&name) && dir.join(META).exists() {
                        out.push((dir, true));
                    }
                }
            } else if is_plain_id(&name) && dir.join(META).exists() {
                out.push((dir, false));
            }
        }
        Ok(out)
    }

    pub fn experiments(&self) -> Result<Vec<Result<Experiment>>> {
        let mut out = Vec::new();
        for (dir, trashed) in self.experiment_dirs()? {
            let path = dir.join(META);
            let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            out.push(self.meta(&path).and_then(|meta| {
                let id = meta.text("experiment_id")?.unwrap_or_else(|| folder.clone());
                if id != folder {
                    return Err(
                        meta.bad("experiment_id", &format!("{folder:?}, its folder's name"))
                    );
                }
                Ok(Experiment {
                    id,
                    name: meta.required_text("name")?,
                    deleted: trashed || meta.deleted()?,
                    dir: Some(dir.clone()),
                })
            }));
        }
        Ok(out)
    }

    pub fn runs(&self, experiment: &Experiment) -> Result<Vec<Result<RunInfo>>> {
        let Some(exp_dir) = &experiment.dir else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for (name, dir) in sub_dirs(exp_dir)? {
            if NOT_RUNS.contains(&name.as_str()) || !dir.join(META).exists() {
                continue;
            }
            if !is_plain_id(&name) {
                out.push(Err(Error::bad(self.shown(&dir), "not an MLflow run id")));
                continue;
            }
            out.push(self.run(experiment, &name, &dir));
        }
        Ok(out)
    }

    fn run(&self, experiment: &Experiment, folder: &str, dir: &Path) -> Result<RunInfo> {
        let path = dir.join(META);
        let meta = self.meta(&path)?;
        let run_id = match meta.text("run_id")? {
            Some(id) => id,
            None => meta.text("run_uuid")?.unwrap_or_else(|| folder.to_owned()),
        };
        if run_id != folder {
            return Err(meta.bad("run_id", &format!("{folder:?}, its folder's name")));
        }
        let status = match meta.int("status")? {
            None => Status::Finished,
            Some(n) => Status::from_number(n).ok_or_else(|| meta.bad("status", "1 to 5"))?,
        };
        let own = dir.join("artifacts");
        let artifacts = if is_real_dir(&own) {
            Artifacts::Local(own)
        } else if std::fs::symlink_metadata(&own).is_ok() {
            Artifacts::Skipped {
                uri: self.shown(&own),
                why: "a symlink or not a folder: not followed".to_owned(),
            }
        } else {
            match meta.text("artifact_uri")? {
                Some(uri) => match local_artifacts(&uri, dir, &self.root) {
                    Artifacts::Local(_) => Artifacts::Local(own),
                    skipped => skipped,
                },
                None => Artifacts::Local(own),
            }
        };
        Ok(RunInfo {
            run_id,
            experiment_id: experiment.id.clone(),
            name: meta.text("run_name")?.filter(|n| !n.is_empty()),
            status,
            start_time: meta.int("start_time")?,
            end_time: meta.int("end_time")?,
            user: meta.text("user_id")?.filter(|u| !u.is_empty()),
            deleted: experiment.deleted || meta.deleted()?,
            artifacts,
            place: meta.shown.clone(),
            dir: Some(dir.to_path_buf()),
        })
    }

    pub fn run_data(&self, run: &RunInfo) -> Result<RunData> {
        let Some(dir) = &run.dir else { return Ok(RunData::default()) };
        let mut data = RunData {
            params: self.values(&dir.join("params"))?,
            tags: self.values(&dir.join("tags"))?,
            metrics: Vec::new(),
        };
        for (key, path) in self.files(&dir.join("metrics"))? {
            self.read_metric(&key, &path, &mut data.metrics)?;
        }
        Ok(data)
    }

    /// The plain files under `dir` (no symlinks), with their paths below it as keys, sorted.
    fn files(&self, dir: &Path) -> Result<Vec<(String, PathBuf)>> {
        if !is_real_dir(dir) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
            let entry = entry.map_err(|e| Error::Io {
                path: e.path().unwrap_or(dir).to_path_buf(),
                source: e.into_io_error().unwrap_or_else(|| std::io::Error::other("a loop")),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(dir).expect("walked below dir");
            let Some(key) = rel.to_str() else {
                return Err(Error::bad(self.shown(entry.path()), "a key that is not UTF-8"));
            };
            out.push((key.to_owned(), entry.path().to_path_buf()));
        }
        out.sort();
        Ok(out)
    }

    /// Params or tags: each file's text is its value.
    fn values(&self, dir: &Path) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for (key, path) in self.files(dir)? {
            let bytes = std::fs::read(&path).map_err(io_err(&path))?;
            let value = String::from_utf8(bytes)
                .map_err(|_| Error::bad(self.shown(&path), "a value that is not UTF-8 text"))?;
            out.push((key, value));
        }
        Ok(out)
    }

    /// A metric file: lines `timestamp value step` (stores before steps: `timestamp value`).
    /// A line repeated exactly is one point, as MLflow's database keeps it: MLflow 3's file
    /// store writes the run's metrics again when the run logs a model.
    fn read_metric(&self, key: &str, path: &Path, out: &mut Vec<MetricPoint>) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                Error::bad(self.shown(path), "not UTF-8 text")
            } else {
                Error::Io { path: path.to_path_buf(), source: e }
            }
        })?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |why: String| Error::bad(format!("{}:{}", self.shown(path), i + 1), why);
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (ts, value, step) = match fields.as_slice() {
                [ts, value] => (*ts, *value, "0"),
                [ts, value, step] => (*ts, *value, *step),
                _ => {
                    return Err(bad(format!("expected \"timestamp value step\", found {line:?}")));
                }
            };
            let timestamp = ts
                .parse::<i64>()
                .map_err(|_| bad(format!("timestamp {ts:?} is not a whole number")))?;
            let value = value
                .parse::<f64>()
                .map_err(|_| bad(format!("value {value:?} is not a number")))?;
            let step = step
                .parse::<i64>()
                .map_err(|_| bad(format!("step {step:?} is not a whole number")))?;
            if seen.insert((timestamp, step, value.to_bits())) {
                out.push(MetricPoint { key: key.to_owned(), value, step, timestamp });
            }
        }
        Ok(())
    }

    pub fn logged_models(&self, experiment: &Experiment) -> Result<Vec<Result<LoggedModel>>> {
        let Some(exp_dir) = &experiment.dir else { return Ok(Vec::new()) };
        let models = exp_dir.join("models");
        if !is_real_dir(&models) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (name, dir) in sub_dirs(&models)? {
            let path = dir.join(META);
            if !path.exists() {
                continue;
            }
            if !is_plain_id(&name) {
                out.push(Err(Error::bad(self.shown(&dir), "not an MLflow model id")));
                continue;
            }
            out.push(self.meta(&path).and_then(|meta| {
                let own = dir.join("artifacts");
                let artifacts = if std::fs::symlink_metadata(&own).is_ok_and(|m| !m.is_dir()) {
                    Artifacts::Skipped {
                        uri: self.shown(&own),
                        why: "a symlink or not a folder: not followed".to_owned(),
                    }
                } else {
                    Artifacts::Local(own)
                };
                Ok(LoggedModel {
                    model_id: meta.text("model_id")?.unwrap_or_else(|| name.clone()),
                    name: meta.required_text("name")?,
                    source_run_id: meta.text("source_run_id")?,
                    deleted: experiment.deleted || meta.deleted()?,
                    artifacts,
                })
            }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_lines_old_and_new_repeated_and_not_finite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("0")).unwrap();
        std::fs::write(dir.path().join("0/meta.yaml"), "experiment_id: '0'\nname: Default\n")
            .unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let file = dir.path().join("loss");
        std::fs::write(&file, "10 0.5\n11 nan 1\n11 nan 1\n12 inf 2\n\n13 -inf 3\n").unwrap();
        let mut points = Vec::new();
        store.read_metric("loss", &file, &mut points).unwrap();
        let got: Vec<(i64, i64)> = points.iter().map(|p| (p.timestamp, p.step)).collect();
        assert_eq!(got, [(10, 0), (11, 1), (12, 2), (13, 3)]);
        assert!(points[1].value.is_nan() && points[2].value == f64::INFINITY);
        std::fs::write(&file, "10 0.5 0\n10 0.5 0 extra\n").unwrap();
        let err = store.read_metric("loss", &file, &mut Vec::new()).unwrap_err().to_string();
        assert!(
            err.ends_with("loss:2: expected \"timestamp value step\", found \"10 0.5 0 extra\""),
            "{err}"
        );
        assert!(matches!(FileStore::open(&dir.path().join("0")), Err(Error::NotAStore { .. })));
    }
}
