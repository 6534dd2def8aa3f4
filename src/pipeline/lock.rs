//! `mlx.lock`: per stage, what it last ran and produced — cmd, deps and outs with hashes, the
//! values of its params. Written only for stages that succeeded, one stage at a time under the
//! project lock, so parallel stages and concurrent `mlx run` processes never lose each other's
//! entries. TOML in a stable order, committed with the code.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::fs_util;
use crate::store::ObjectId;
use crate::store::error::line_column;

pub const FILE: &str = "mlx.lock";
const HEADER: &str = "# mlx.lock: written by `mlx run`; commit it with the code. What each stage last \
                      ran and produced.\n";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}:{line}:{column}: {message}")]
    Parse { file: String, line: usize, column: usize, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A file or directory with its content hash (a manifest hash for directories).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedPath {
    pub path: String,
    pub hash: ObjectId,
    pub size: u64,
    /// Present for directories: the number of files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedOut {
    pub path: String,
    pub hash: ObjectId,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// False for `cache = false` outputs: hashed and recorded, not stored.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub cache: bool,
    /// The MD5 DVC named this content by, kept by `mlx import dvc` (see `dvc::index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dvc_md5: Option<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom("`cmd` must be a string or a list of strings")),
    }
}

fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageLock {
    /// The commands; a single string is accepted when reading (one command).
    #[serde(deserialize_with = "one_or_many")]
    pub cmd: Vec<String>,
    #[serde(default)]
    pub deps: Vec<LockedPath>,
    /// Parameter name (`key`, or `file:key` outside params.toml) → value.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub outs: Vec<LockedOut>,
    /// Tool → the first line of its `--version` (stages with `tools`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tools: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    #[serde(default)]
    pub stages: BTreeMap<String, StageLock>,
}

impl LockFile {
    pub fn parse(text: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
            Error::Parse { file: FILE.into(), line, column, message: e.message().trim().to_owned() }
        })
    }

    pub fn encode(&self) -> String {
        let body = toml::to_string(self).expect("a lock file always serializes");
        format!("{HEADER}{body}")
    }

    /// Read `mlx.lock` at `root`; a missing file is an empty lock.
    pub fn read(root: &Path) -> Result<Self, Error> {
        match std::fs::read_to_string(root.join(FILE)) {
            Ok(text) => Self::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LockFile::default()),
            Err(_) => Ok(Self::parse(&fs_err::read_to_string(root.join(FILE))?)?),
        }
    }

    /// Replace one stage's entry, re-reading the file first so entries written meanwhile by
    /// others survive. The caller holds the project lock.
    pub fn update_stage(root: &Path, name: &str, entry: StageLock) -> Result<(), Error> {
        let mut lock = Self::read(root)?;
        lock.stages.insert(name.to_owned(), entry);
        fs_util::write_atomic(&root.join(FILE), lock.encode().as_bytes())?;
        Ok(())
    }
}

/// A parameter value as TOML (for `mlx.lock`), from the JSON value params files give.
pub fn toml_value(v: &serde_json::Value) -> toml::Value {
    match v {
        serde_json::Value::Null => toml::Value::String("null".into()),
        serde_json::Value::Bool(b) => toml::Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => toml::Value::String(s.clone()),
        serde_json::Value::Array(a) => toml::Value::Array(a.iter().map(toml_value).collect()),
        serde_json::Value::Object(o) => {
            toml::Value::Table(o.iter().map(|(k, v)| (k.clone(), toml_value(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_a_stable_order() {
        let mut lock = LockFile::default();
        let hash = crate::store::hash_bytes(b"x");
        lock.stages.insert(
            "train".into(),
            StageLock {
                cmd: vec!["python train.py".into()],
                deps: vec![LockedPath { path: "data".into(), hash, size: 3, files: Some(2) }],
                params: [("train.lr".to_owned(), toml::Value::Float(0.1))].into(),
                outs: vec![LockedOut {
                    path: "model.pkl".into(),
                    hash,
                    size: 1,
                    files: None,
                    cache: true,
                    dvc_md5: None,
                }],
                tools: [("python".to_owned(), "Python 3.11.7".to_owned())].into(),
            },
        );
        lock.stages.insert(
            "prepare".into(),
            StageLock {
                cmd: vec!["p".into()],
                deps: vec![],
                params: BTreeMap::new(),
                outs: vec![],
                tools: BTreeMap::new(),
            },
        );
        let text = lock.encode();
        assert!(text.starts_with("# mlx.lock"));
        assert!(text.find("[stages.prepare]").unwrap() < text.find("[stages.train]").unwrap());
        assert_eq!(LockFile::parse(&text).unwrap(), lock);
        assert_eq!(LockFile::parse(&text).unwrap().encode(), text);
    }

    #[test]
    fn errors_carry_positions() {
        let Err(Error::Parse { line, .. }) = LockFile::parse("[stages.a]\ncmd = 3\n") else {
            panic!("expected a parse error")
        };
        assert_eq!(line, 2);
    }
}
