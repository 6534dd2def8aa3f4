//! A `dvc.lock` stage as the `mlx.lock` entry `mlx run` would have written after the same run:
//! the command as mlx expands it, BLAKE3 hashes of the deps and outs, the values of its params.
//! Each dep and out is checked against the MD5 DVC recorded, and each param against DVC's
//! value, so a stage DVC sees as up to date is up to date in mlx, and one DVC sees as changed
//! is changed in mlx too (a dep whose content differs from DVC's record gets a stand-in hash
//! that matches nothing; a param keeps DVC's recorded value).

use std::collections::{BTreeMap, HashMap};

use super::data::Source;
use super::files::{Entry as DvcEntry, LockStage};
use crate::error::Result;
use crate::pipeline::lock::{LockedOut, LockedPath, StageLock, toml_value};
use crate::pipeline::params::ParamsFiles;
use crate::pipeline::{ParamRef, Stage};
use crate::project_path::RelPath;
use crate::store::pointer::Kind;
use crate::store::{ObjectId, hash_bytes};

/// A converted stage.
pub struct Converted {
    pub entry: StageLock,
    /// Where mlx will see the stage differently from how `dvc.lock` records it (empty: up to
    /// date in both, provided DVC saw it so).
    pub differences: Vec<String>,
    /// Outs that could not be taken into the cache, with why.
    pub problems: Vec<(String, String)>,
    pub new_objects: u64,
    pub new_bytes: u64,
    /// Cached outs, for their `.gitignore` lines.
    pub cached_outs: Vec<RelPath>,
}

/// The hash recorded for content that differs from what DVC recorded: never the hash of any
/// real content, so the stage is stale in mlx as it is in DVC.
fn stand_in(md5: Option<&str>) -> ObjectId {
    hash_bytes(format!("mlx-import-dvc-stand-in:{}", md5.unwrap_or("none")).as_bytes())
}

fn resolve(stage: &Stage, written: &str) -> Option<RelPath> {
    super::project_path(stage.wdir.as_ref(), written).ok()
}

pub fn convert(
    source: &Source<'_>,
    files: &dyn ParamsFiles,
    stage: &Stage,
    dvc: &LockStage,
) -> Result<Converted> {
    let mut differences = Vec::new();
    let mut problems = Vec::new();
    let dvc_cmd = dvc.cmd.to_vec();
    let cmd = if dvc_cmd == stage.cmd {
        stage.cmd.clone()
    } else {
        differences.push(format!(
            "mlx expands the command as {:?}, dvc.lock records {:?}",
            stage.cmd.join(" && "),
            dvc_cmd.join(" && ")
        ));
        dvc_cmd
    };
    let by_path = |entries: &[DvcEntry]| -> HashMap<RelPath, DvcEntry> {
        entries.iter().filter_map(|e| Some((resolve(stage, &e.path)?, e.clone()))).collect()
    };
    let dvc_deps = by_path(&dvc.deps);
    let mut deps = Vec::new();
    for d in &stage.deps {
        let Some(e) = dvc_deps.get(d) else {
            differences.push(format!("dep {d} is not in dvc.lock"));
            continue;
        };
        match source.workspace_listing(d)? {
            Some(w) if e.md5.as_deref() == Some(w.md5.as_str()) => {
                let files = (w.kind == Kind::Directory).then_some(w.files);
                deps.push(LockedPath { path: d.to_string(), hash: w.hash, size: w.size, files });
            }
            Some(_) => {
                differences.push(format!("dep {d} changed since dvc.lock was written"));
                deps.push(LockedPath {
                    path: d.to_string(),
                    hash: stand_in(e.md5.as_deref()),
                    size: e.size.unwrap_or(0),
                    files: e.nfiles,
                });
            }
            None => differences.push(format!("dep {d} is missing")),
        }
    }
    let mut dvc_params: HashMap<(RelPath, String), serde_json::Value> = HashMap::new();
    for (file, values) in &dvc.params {
        let Some(file) = resolve(stage, file) else { continue };
        for (k, v) in values {
            dvc_params.insert((file.clone(), k.clone()), v.clone());
        }
    }
    let mut params = BTreeMap::new();
    let current = crate::pipeline::plan::param_values(files, stage)?;
    for (p, v) in &current {
        let ParamRef { file, key } = p;
        let value = match dvc_params.get(&(file.clone(), key.clone())) {
            Some(recorded) if recorded != v => {
                differences
                    .push(format!("param {} changed since dvc.lock was written", p.display_name()));
                recorded
            }
            _ => v,
        };
        params.insert(p.display_name(), toml_value(value));
    }
    let dvc_outs = by_path(&dvc.outs);
    let mut outs = Vec::new();
    let (mut new_objects, mut new_bytes) = (0, 0);
    let mut cached_outs = Vec::new();
    // Metrics and plots inside a folder the stage writes are stored with it (as DVC does).
    for o in stage.stored_outs() {
        let Some(e) = dvc_outs.get(&o.path) else {
            differences.push(format!("out {} is not in dvc.lock", o.path));
            continue;
        };
        if o.cache {
            match source.import(&o.path, e)? {
                Ok(i) => {
                    new_objects += i.new_objects;
                    new_bytes += i.new_bytes;
                    cached_outs.push(o.path.clone());
                    outs.push(LockedOut {
                        path: o.path.to_string(),
                        hash: i.hash,
                        size: i.size,
                        files: (i.kind == Kind::Directory).then_some(i.files),
                        cache: true,
                        dvc_md5: Some(i.md5),
                    });
                }
                Err(why) => {
                    differences.push(format!("out {} was not imported", o.path));
                    problems.push((o.path.to_string(), why));
                }
            }
        } else {
            let (hash, size, files) = match source.workspace_listing(&o.path)? {
                Some(w) if e.md5.as_deref() == Some(w.md5.as_str()) => {
                    (w.hash, w.size, (w.kind == Kind::Directory).then_some(w.files))
                }
                _ => {
                    differences.push(format!("out {} changed since dvc.lock was written", o.path));
                    (stand_in(e.md5.as_deref()), e.size.unwrap_or(0), e.nfiles)
                }
            };
            outs.push(LockedOut {
                path: o.path.to_string(),
                hash,
                size,
                files,
                cache: false,
                dvc_md5: e.md5.clone(),
            });
        }
    }
    Ok(Converted {
        entry: StageLock { cmd, deps, params, outs, tools: Default::default() },
        differences,
        problems,
        new_objects,
        new_bytes,
        cached_outs,
    })
}
