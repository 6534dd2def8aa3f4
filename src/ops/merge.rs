//! The git merge driver behind `mlx install-hooks`: three-way merges of the files DVC users
//! fight over. `mlx.lock` is merged stage by stage (two branches that ran different stages merge
//! cleanly); a directory pointer is merged file by file through its manifests (two branches that
//! added different files merge cleanly). Only a real conflict — the same stage or the same file
//! changed differently on both sides — is left to the user.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::Result;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::store::manifest::{Entry, EntryKind, Manifest};
use crate::store::pointer::{Kind, Pointer};
use crate::store::stat_cache::StatCache;
use crate::store::{self, ObjectId};
use crate::work_tree::tracked;

#[derive(Debug, Serialize)]
pub struct MergeReport {
    /// The merged text written over "ours".
    #[serde(skip)]
    pub text: String,
    /// What conflicts (stage names, or file paths inside a tracked directory).
    pub conflicts: Vec<String>,
    /// Why the merge could not be attempted, when it could not.
    pub unmergeable: Option<String>,
}

impl MergeReport {
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty() && self.unmergeable.is_none()
    }
}

/// The three-way rule for one key: take the side that changed; both changed alike is fine.
fn pick<T: PartialEq + Clone>(
    base: Option<&T>,
    ours: Option<&T>,
    theirs: Option<&T>,
) -> Option<Option<T>> {
    if ours == theirs || theirs == base {
        Some(ours.cloned())
    } else if ours == base {
        Some(theirs.cloned())
    } else {
        None
    }
}

fn parse_table(name: &str, text: &str) -> std::result::Result<toml::Table, String> {
    if text.trim().is_empty() {
        return Ok(toml::Table::new());
    }
    toml::from_str(text).map_err(|e| format!("{name} is not valid TOML: {}", e.message()))
}

/// Merge three versions of `mlx.lock`: top-level keys, and `[stages.NAME]` entries one by one.
pub fn merge_lock(base: &str, ours: &str, theirs: &str) -> MergeReport {
    let parsed = (|| {
        Ok::<_, String>((
            parse_table("the common ancestor", base)?,
            parse_table("our version", ours)?,
            parse_table("their version", theirs)?,
        ))
    })();
    let (b, o, t) = match parsed {
        Ok(v) => v,
        Err(why) => {
            return MergeReport {
                text: ours.to_owned(),
                conflicts: Vec::new(),
                unmergeable: Some(why),
            };
        }
    };
    let mut merged = toml::Table::new();
    let mut conflicts = Vec::new();
    let keys: BTreeSet<&String> = b.keys().chain(o.keys()).chain(t.keys()).collect();
    for key in keys {
        let tables = (
            b.get(key).and_then(toml::Value::as_table),
            o.get(key).and_then(toml::Value::as_table),
            t.get(key).and_then(toml::Value::as_table),
        );
        if key == "stages"
            && let (bs, Some(os), Some(ts)) = tables
        {
            let empty = toml::Table::new();
            let bs = bs.unwrap_or(&empty);
            let mut stages = toml::Table::new();
            let names: BTreeSet<&String> = bs.keys().chain(os.keys()).chain(ts.keys()).collect();
            for name in names {
                match pick(bs.get(name), os.get(name), ts.get(name)) {
                    Some(Some(v)) => {
                        stages.insert(name.clone(), v);
                    }
                    Some(None) => {}
                    None => {
                        conflicts.push(name.clone());
                        if let Some(v) = os.get(name) {
                            stages.insert(name.clone(), v.clone());
                        }
                    }
                }
            }
            merged.insert(key.clone(), toml::Value::Table(stages));
            continue;
        }
        match pick(b.get(key), o.get(key), t.get(key)) {
            Some(Some(v)) => {
                merged.insert(key.clone(), v);
            }
            Some(None) => {}
            None => {
                conflicts.push(key.clone());
                if let Some(v) = o.get(key) {
                    merged.insert(key.clone(), v.clone());
                }
            }
        }
    }
    let header: String =
        ours.lines().take_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    let body = toml::to_string(&merged).unwrap_or_default();
    let text = format!("{header}{body}");
    // A well-formed lock is written exactly as `mlx run` writes it.
    let text = match crate::pipeline::lock::LockFile::parse(&text) {
        Ok(lock) => lock.encode(),
        Err(_) => text,
    };
    MergeReport { text, conflicts, unmergeable: None }
}

fn entries_by_path(m: Option<&Manifest>) -> BTreeMap<RelPath, EntryKind> {
    m.map(|m| m.entries().iter().map(|e| (e.path.clone(), e.kind.clone())).collect())
        .unwrap_or_default()
}

/// Merge three versions of a pointer file for `target`. Directory pointers whose manifests are
/// in the cache merge file by file; the merged manifest is stored in the cache.
pub fn merge_pointer(
    project: &Project,
    target: &RelPath,
    base: &str,
    ours: &str,
    theirs: &str,
) -> Result<MergeReport> {
    let parse = |label: &str, text: &str| -> Result<Option<Pointer>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(Pointer::decode(Path::new(label), text)?))
    };
    let (b, o, t) = (parse("base", base)?, parse("ours", ours)?, parse("theirs", theirs)?);
    let keep_ours = |why: String| MergeReport {
        text: ours.to_owned(),
        conflicts: Vec::new(),
        unmergeable: Some(why),
    };
    if let Some(choice) = pick(b.as_ref(), o.as_ref(), t.as_ref()) {
        let text = choice.map(|p| p.encode(target)).unwrap_or_default();
        return Ok(MergeReport { text, conflicts: Vec::new(), unmergeable: None });
    }
    let (Some(o), Some(t)) = (o, t) else {
        return Ok(keep_ours("one side deleted the pointer and the other changed it".into()));
    };
    if o.kind != Kind::Directory || t.kind != Kind::Directory {
        return Ok(keep_ours("both sides changed the same tracked file".into()));
    }
    let load = |id: ObjectId| -> Result<Option<Manifest>> {
        match tracked::manifest_of(project, id) {
            Ok(m) => Ok(Some(m)),
            Err(super::Error::Store(store::Error::MissingObject { .. })) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let base_manifest = match b.as_ref().filter(|p| p.kind == Kind::Directory) {
        Some(p) => match load(p.hash)? {
            Some(m) => Some(m),
            None => {
                return Ok(keep_ours(format!(
                    "the common version's file list {} is not in the cache",
                    p.hash.short()
                )));
            }
        },
        None => None,
    };
    let (Some(om), Some(tm)) = (load(o.hash)?, load(t.hash)?) else {
        return Ok(keep_ours("a side's file list is not in the cache".into()));
    };
    let (be, oe, te) = (
        entries_by_path(base_manifest.as_ref()),
        entries_by_path(Some(&om)),
        entries_by_path(Some(&tm)),
    );
    let paths: BTreeSet<&RelPath> = be.keys().chain(oe.keys()).chain(te.keys()).collect();
    let mut merged = Vec::new();
    let mut conflicts = Vec::new();
    for path in paths {
        match pick(be.get(path), oe.get(path), te.get(path)) {
            Some(Some(kind)) => merged.push(Entry { path: path.clone(), kind }),
            Some(None) => {}
            None => {
                conflicts.push(target.join(path).to_string());
                if let Some(kind) = oe.get(path) {
                    merged.push(Entry { path: path.clone(), kind: kind.clone() });
                }
            }
        }
    }
    if !conflicts.is_empty() {
        return Ok(MergeReport { text: ours.to_owned(), conflicts, unmergeable: None });
    }
    let manifest = Manifest::new(merged);
    let (files, size) = manifest.totals();
    let id = project.cache().put_bytes(&manifest.encode(), &StatCache::default())?;
    let text = Pointer::new(Kind::Directory, id, size, files).encode(target);
    Ok(MergeReport { text, conflicts, unmergeable: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        "# written by mlx run\n[stages.prepare]\ncmd = \"p\"\n[stages.train]\ncmd = \"t\"\n";

    #[test]
    fn different_stages_merge_cleanly() {
        let ours = BASE.replace("cmd = \"p\"", "cmd = \"p2\"");
        let theirs = BASE.replace("cmd = \"t\"", "cmd = \"t2\"");
        let r = merge_lock(BASE, &ours, &theirs);
        assert!(r.is_clean(), "{:?}", r.conflicts);
        let merged: toml::Table = toml::from_str(&r.text).unwrap();
        // A well-formed lock comes out in the canonical form `mlx run` writes.
        assert_eq!(merged["stages"]["prepare"]["cmd"][0].as_str(), Some("p2"));
        assert_eq!(merged["stages"]["train"]["cmd"][0].as_str(), Some("t2"));
        assert!(r.text.starts_with("# mlx.lock"), "{}", r.text);
    }

    #[test]
    fn same_stage_changed_twice_conflicts() {
        let ours = BASE.replace("cmd = \"t\"", "cmd = \"ours\"");
        let theirs = BASE.replace("cmd = \"t\"", "cmd = \"theirs\"");
        let r = merge_lock(BASE, &ours, &theirs);
        assert_eq!(r.conflicts, vec!["train".to_owned()]);
    }

    #[test]
    fn added_and_removed_stages() {
        let ours = format!("{BASE}[stages.eval]\ncmd = \"e\"\n");
        let theirs = "[stages.prepare]\ncmd = \"p\"\n";
        let r = merge_lock(BASE, &ours, theirs);
        assert!(r.is_clean());
        let merged: toml::Table = toml::from_str(&r.text).unwrap();
        let stages = merged["stages"].as_table().unwrap();
        assert!(stages.contains_key("eval") && stages.contains_key("prepare"));
        assert!(!stages.contains_key("train"), "their deletion of an unchanged stage wins");
    }
}
