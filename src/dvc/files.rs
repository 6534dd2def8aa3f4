//! DVC's own files, parsed: `.dvc` files (data added with `dvc add`), `dvc.lock` (what each stage
//! last ran and produced) and `.dvc/config`. Keys mlx does not use are kept by name so the
//! import can report them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Error;

/// One `outs` or `deps` entry of a `.dvc` file or `dvc.lock`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Entry {
    pub path: String,
    pub md5: Option<String>,
    pub size: Option<u64>,
    pub nfiles: Option<u64>,
    /// `md5` for DVC 3 hashes; absent for DVC 2's (text files hashed with CRLF read as LF).
    pub hash: Option<String>,
    #[serde(default = "yes")]
    pub cache: bool,
    #[serde(default)]
    pub persist: bool,
    /// Other keys (`remote`, `push`, `desc`, `isexec`, …).
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_yaml_ng::Value>,
}

fn yes() -> bool {
    true
}

impl Entry {
    /// Whether DVC 2 named this content (its MD5 reads CRLF as LF in text files, and its cache
    /// objects sit in the 2.x layout).
    pub fn legacy(&self) -> bool {
        self.hash.as_deref() != Some("md5")
    }

    /// Keys of this entry that change what DVC does and that mlx cannot keep.
    pub fn unsupported_keys(&self) -> Vec<String> {
        self.other
            .iter()
            .filter(|(k, v)| match k.as_str() {
                "desc" | "isexec" | "type" | "labels" | "meta" | "etag" | "checksum" | "mtime"
                | "version_id" | "cloud" => false,
                "push" => v.as_bool() != Some(true),
                _ => true,
            })
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// A `.dvc` file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DvcFile {
    #[serde(default)]
    pub outs: Vec<Entry>,
    /// Present for `dvc import`/`import-url` files: where the data came from.
    #[serde(default)]
    pub deps: Vec<Entry>,
    pub wdir: Option<String>,
    #[serde(default)]
    pub frozen: bool,
    /// A stage written as a `.dvc` file by old DVC (`cmd` present).
    pub cmd: Option<serde_yaml_ng::Value>,
}

impl DvcFile {
    pub fn parse(file: &str, text: &str) -> Result<Self, Error> {
        serde_yaml_ng::from_str(text)
            .map_err(|e| Error::Parse { file: file.to_owned(), message: e.to_string() })
    }
}

/// One stage of `dvc.lock`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LockStage {
    #[serde(default)]
    pub cmd: Cmd,
    #[serde(default)]
    pub deps: Vec<Entry>,
    /// File → key → value.
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub outs: Vec<Entry>,
}

/// A command as `dvc.lock` records it: one string or a list.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Cmd {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Cmd {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Cmd::None => Vec::new(),
            Cmd::One(s) => vec![s.clone()],
            Cmd::Many(v) => v.clone(),
        }
    }
}

/// `dvc.lock`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DvcLock {
    pub schema: Option<String>,
    #[serde(default)]
    pub stages: BTreeMap<String, LockStage>,
}

impl DvcLock {
    pub fn parse(text: &str) -> Result<Self, Error> {
        let lock: DvcLock = serde_yaml_ng::from_str(text)
            .map_err(|e| Error::Parse { file: "dvc.lock".into(), message: e.to_string() })?;
        if lock.schema.as_deref().is_some_and(|s| s != "2.0") {
            return Err(Error::Parse {
                file: "dvc.lock".into(),
                message: format!(
                    "schema {} is not known (DVC 2 and 3 write 2.0)",
                    lock.schema.as_deref().unwrap_or_default()
                ),
            });
        }
        Ok(lock)
    }
}

/// `.dvc/config` (and `config.local`): INI as DVC's configobj writes it, sections
/// (`[core]`, `['remote "NAME"']`) of `key = value` lines.
pub fn parse_config(
    file: &str,
    text: &str,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, Error> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = unquote(inner.trim());
            out.entry(name.clone()).or_default();
            section = Some(name);
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Error::Parse {
                file: file.to_owned(),
                message: format!("line {}: expected `key = value`", n + 1),
            });
        };
        let Some(section) = &section else {
            return Err(Error::Parse {
                file: file.to_owned(),
                message: format!("line {}: a setting outside any [section]", n + 1),
            });
        };
        out.entry(section.clone())
            .or_default()
            .insert(key.trim().to_owned(), unquote(value.trim()));
    }
    Ok(out)
}

fn unquote(s: &str) -> String {
    for q in ['\'', '"'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_owned();
        }
    }
    s.to_owned()
}

/// `remote "NAME"` → `NAME`.
pub fn remote_section_name(section: &str) -> Option<&str> {
    section.strip_prefix("remote \"")?.strip_suffix('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dvc_config() {
        let text = "[core]\n    remote = store\n['remote \"store\"']\n    url = /tmp/r\n";
        let c = parse_config("config", text).unwrap();
        assert_eq!(c["core"]["remote"], "store");
        assert_eq!(c["remote \"store\""]["url"], "/tmp/r");
        assert_eq!(remote_section_name("remote \"store\""), Some("store"));
    }

    #[test]
    fn reads_lock_entries() {
        let text = "schema: '2.0'\nstages:\n  a:\n    cmd: echo 1\n    deps:\n    - path: x\n      hash: md5\n      md5: b1946ac92492d2347c6235b4d2611184\n      size: 6\n    params:\n      params.yaml:\n        lr: 0.1\n";
        let lock = DvcLock::parse(text).unwrap();
        let a = &lock.stages["a"];
        assert_eq!(a.cmd.to_vec(), ["echo 1"]);
        assert!(!a.deps[0].legacy());
        assert_eq!(a.params["params.yaml"]["lr"], serde_json::json!(0.1));
    }
}
