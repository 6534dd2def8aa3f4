//! `mlx model get NAME[@VERSION|#STAGE] [-o PATH]`: write a model version's artifact out of the
//! cache, fetching what the cache lacks from the remote first. The artifact's path comes from
//! the repository (an untrusted tag message or `artifacts.yaml`) and is checked before anything
//! is written; every write passes the work tree's gate, or one rooted at the folder outside it.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use crate::git::Repo;
use crate::models::artifact::{self, Resolved};
use crate::models::state::Reference;
use crate::models::{self, Registry};
use crate::project::Project;

#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// `NAME`, `NAME@VERSION`, `NAME#STAGE`, `NAME@latest`, `NAME@greatest`.
    pub reference: String,
    /// Where relative paths start (canonical).
    pub cwd: PathBuf,
    /// Where to write the artifact (default: its path under `cwd`).
    pub out: Option<PathBuf>,
    pub force: bool,
    /// The remote to fetch missing objects from (default: the default remote).
    pub remote: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GetReport {
    pub model: String,
    pub version: String,
    pub artifact: Resolved,
    /// The folder written into.
    pub dir: PathBuf,
    /// The artifact's path under `dir`.
    pub path: String,
    /// Files, links and empty folders written.
    pub written: u64,
    /// Files already there with the same content.
    pub unchanged: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Objects downloaded from the remote first.
    pub fetched: u64,
    /// What is in the way; when not empty (and not forced), nothing was written.
    pub conflicts: Vec<crate::work_tree::output::Conflict>,
}

/// Write a version's artifact out of the cache (fetching what it lacks from the remote): to
/// `-o PATH`, or to its own path under the current folder.
pub fn get(
    project: &Project,
    opts: &GetOptions,
    reporter: &dyn crate::progress::Reporter,
) -> Result<GetReport> {
    use crate::project_path::RelPath;
    use crate::store::manifest::EntryKind;
    use crate::work_tree::output::{OutItem, destination, write_entries};

    use super::transfer::{self, Needed};

    let r = Reference::parse(&opts.reference)?;
    let repo = Repo::open(project.root())?;
    let registry = Registry::read(&repo)?;
    let (_, version, found) = artifact::resolve_reference(&repo, &registry, &r)?;
    let version = version.version.clone();
    let id = found.object().ok_or_else(|| models::Error::BadRecord {
        artifact: r.name.clone(),
        what: format!("version {version}"),
        why: format!("its hash {:?} is not a valid object id", found.hash),
    })?;
    // `-o PATH` names the artifact itself: write into its folder under its file name.
    let (parent, name): (Option<PathBuf>, RelPath) = match &opts.out {
        Some(out) => {
            let file = out
                .file_name()
                .map(PathBuf::from)
                .ok_or_else(|| crate::project_path::PathError::Empty { path: out.to_path_buf() })?;
            (Some(out.parent().map(PathBuf::from).unwrap_or_default()), RelPath::new(file)?)
        }
        None => (None, RelPath::new(&found.path)?),
    };
    crate::work_tree::check_data_path(&name)?;
    let parent = parent.filter(|p| !p.as_os_str().is_empty());
    let (dir, inside) = destination(project.work_tree().root(), &opts.cwd, parent.as_deref())?;
    let what = format!("model {}@{version}", r.name);
    let directory = found.kind == "directory";
    let first = [Needed { id, size: (!directory).then_some(found.size).flatten() }];
    let mut fetched =
        transfer::fetch_verified(project, opts.remote.as_deref(), &first, &what, reporter)?;
    let mut items = Vec::new();
    if directory {
        let manifest = transfer::cached_manifest(project, &id)?
            .ok_or(crate::store::Error::MissingObject { id })?;
        let mut files = Vec::new();
        if manifest.entries().is_empty() {
            items.push(OutItem { path: name.clone(), kind: EntryKind::EmptyDir, artifact: 0 });
        }
        for e in manifest.into_entries() {
            if let EntryKind::File { hash, size, .. } = &e.kind {
                files.push(Needed { id: *hash, size: Some(*size) });
            }
            items.push(OutItem { path: name.join(&e.path), kind: e.kind, artifact: 0 });
        }
        fetched +=
            transfer::fetch_verified(project, opts.remote.as_deref(), &files, &what, reporter)?;
    } else {
        let size = match found.size {
            Some(s) => s,
            None => project.cache().object_size(&id)?,
        };
        items.push(OutItem {
            path: name.clone(),
            kind: EntryKind::File { hash: id, size, executable: false },
            artifact: 0,
        });
    }
    let outcome = write_entries(project, &dir, inside.as_ref(), items, opts.force, 1, reporter)?;
    let w = outcome.written[0];
    Ok(GetReport {
        model: r.name,
        version,
        artifact: found,
        dir,
        path: name.to_string(),
        written: w.written,
        unchanged: w.unchanged,
        bytes: w.bytes,
        fetched,
        conflicts: outcome.conflicts,
    })
}
