//! `mlx attest PATH | NAME@VERSION [-o FILE] [--key KEY] [--rev REV]`: an in-toto statement
//! with a SLSA provenance predicate for a stage output, tracked data or a model version, built
//! from its lineage (see [`crate::provenance`]); signed into a DSSE envelope with `--key`. The
//! subjects' digests are of the bytes in the cache (fetched from the remote when it lacks them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::lineage::{self, Start};
use crate::models::{self, artifact};
use crate::project::Project;
use crate::project_path::{ProjectPath, RelPath, resolve_user_path};
use crate::provenance::statement::{self, Code, Facts, Subject};
use crate::provenance::{self, Error as ProvenanceError, dsse, keys};
use crate::store::ObjectId;
use crate::store::manifest::EntryKind;

#[derive(Debug, Clone, Default)]
pub struct AttestOptions {
    /// A path (relative to `cwd`) or a model version (`NAME@v1.2.3`, `NAME#STAGE`, …).
    pub target: String,
    /// Read `mlx.toml`, `mlx.lock` and pointers at this revision (a path only).
    pub rev: Option<String>,
    /// Where relative paths start (canonical).
    pub cwd: PathBuf,
    /// Write the statement (or envelope) here instead of returning it only.
    pub out: Option<PathBuf>,
    /// Sign with the ed25519 private key in this file.
    pub key: Option<PathBuf>,
    /// The remote to fetch missing objects from (default: the default remote).
    pub remote: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SubjectRow {
    pub name: String,
    pub sha256: String,
    pub blake3: String,
}

#[derive(Debug, Serialize)]
pub struct AttestReport {
    /// The statement (or the signed envelope), as written.
    #[serde(skip)]
    pub document: Vec<u8>,
    /// Where it was written (`-o`).
    pub written: Option<PathBuf>,
    pub signed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub subjects: Vec<SubjectRow>,
    /// Resolved dependencies: the code and every input the lineage found.
    pub dependencies: usize,
    /// The run that produced the content, when recorded here.
    pub run: Option<String>,
    /// Objects downloaded from the remote first.
    pub fetched: u64,
}

/// What the target names: its path, the commit to read it at, and (for a model version) the
/// version and its artifact.
struct Target {
    path: ProjectPath,
    rev: Option<String>,
    /// For a model version: `NAME@VERSION`, its artifact, and the run it was registered from.
    model: Option<(String, artifact::Resolved, Option<String>)>,
}

fn target(project: &Project, opts: &AttestOptions) -> Result<Target> {
    if opts.target.contains(['@', '#'])
        && project.root().join(&opts.target).symlink_metadata().is_err()
        && let Ok(reference) = models::state::Reference::parse(&opts.target)
    {
        if opts.rev.is_some() {
            return Err(ProvenanceError::RevWithModel { target: opts.target.clone() }.into());
        }
        let repo = crate::git::Repo::open(project.root())?;
        let registry = models::Registry::read(&repo)?;
        let (name, version, found) = artifact::resolve_reference(&repo, &registry, &reference)?;
        let path = ProjectPath::new(Path::new(&found.path))?;
        return Ok(Target {
            path,
            rev: Some(version.commit.clone()),
            model: Some((
                format!("{name}@{}", version.version),
                found,
                artifact::Trailers::parse(&version.message).run,
            )),
        });
    }
    let path = resolve_user_path(project.root(), &opts.cwd, Path::new(&opts.target))?;
    Ok(Target { path, rev: opts.rev.clone(), model: None })
}

pub fn attest(
    project: &Project,
    opts: &AttestOptions,
    reporter: &dyn crate::progress::Reporter,
) -> Result<AttestReport> {
    // The key first: a wrong one fails before any work.
    let key = match &opts.key {
        Some(k) => Some(keys::signing_key(&opts.cwd.join(k))?),
        None => None,
    };
    let t = target(project, opts)?;
    let conn = project.open_db()?;
    let lineage = lineage::walk(project, &conn, t.rev.as_deref(), Start::Path(&t.path))?;
    let root = &lineage.nodes[lineage.root];
    let path = t.path.to_string();
    let nothing =
        |why: &str| ProvenanceError::NothingToAttest { path: path.clone(), why: why.into() };
    let hash = match (&t.model, &root.hash) {
        (Some((_, found, _)), _) => found.hash.clone(),
        (None, Some(h)) => h.clone(),
        (None, None) if root.kind == lineage::NodeKind::File => {
            return Err(nothing("it is neither a stage output in mlx.lock nor tracked data").into());
        }
        (None, None) => {
            return Err(nothing(
                "it lies inside a tracked folder or a stage's output folder; attest the folder",
            )
            .into());
        }
    };
    let id = ObjectId::from_hex(&hash)
        .map_err(|_| nothing(&format!("its recorded hash {hash:?} is not a valid object id")))?;

    // What kind of content it is: the model's record, the revision's, or the work tree's.
    let known_kind = match (&t.model, &t.rev) {
        (Some((_, found, _)), _) => Some(found.kind == "directory"),
        (None, Some(rev)) => {
            let repo = crate::git::Repo::open(project.root())?;
            let rev = repo.resolve(rev)?;
            artifact::resolve_path(&repo, &rev, &path)?.map(|r| r.kind == "directory")
        }
        (None, None) => {
            let on_disk = project.root().join(t.path.as_path());
            on_disk.symlink_metadata().ok().map(|m| m.is_dir())
        }
    };
    let what = format!("the content of {path}");
    let mut fetched = transfer::fetch_verified(
        project,
        opts.remote.as_deref(),
        &[Needed { id, size: None }],
        &what,
        reporter,
    )?;
    let manifest = match known_kind {
        Some(false) => None,
        Some(true) => Some(
            transfer::cached_manifest(project, &id)?
                .ok_or(crate::store::Error::MissingObject { id })?,
        ),
        // Not in the work tree: a folder's manifest decodes as one (a big object is a file).
        None => {
            let size = project.cache().object_size(&id)?;
            if size <= 256 << 20 {
                let bytes = project.cache().read_verified(&id)?;
                crate::store::manifest::Manifest::decode(id, &bytes).ok()
            } else {
                None
            }
        }
    };
    let mut subjects = Vec::new();
    let kind = if let Some(m) = &manifest {
        let files: Vec<(RelPath, ObjectId, u64)> = m
            .entries()
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::File { hash, size, .. } => Some((e.path.clone(), *hash, *size)),
                _ => None,
            })
            .collect();
        let needed: Vec<Needed> =
            files.iter().map(|(_, id, size)| Needed { id: *id, size: Some(*size) }).collect();
        fetched +=
            transfer::fetch_verified(project, opts.remote.as_deref(), &needed, &what, reporter)?;
        for (file, id, _) in files {
            let d = provenance::digests_of_file(&project.cache().whole_path(&id)?)?;
            subjects.push(Subject {
                name: format!("{path}/{file}"),
                sha256: d.sha256,
                blake3: d.blake3,
            });
        }
        if subjects.is_empty() {
            return Err(nothing("it is an empty folder").into());
        }
        "directory"
    } else {
        let d = provenance::digests_of_file(&project.cache().whole_path(&id)?)?;
        subjects.push(Subject { name: path.clone(), sha256: d.sha256, blake3: d.blake3 });
        "file"
    };

    // The inputs' sha256 where the cache holds their content (and it is what was recorded).
    let mut input_sha256 = HashMap::new();
    for n in &lineage.nodes {
        let Some(h) = &n.hash else { continue };
        let Ok(oid) = ObjectId::from_hex(h) else { continue };
        let file = project.cache().whole_path(&oid)?;
        if n.id != lineage.root && file.is_file() {
            let d = provenance::digests_of_file(&file)?;
            if &d.blake3 == h {
                input_sha256.insert(h.clone(), d.sha256);
            }
        }
    }

    // The run: the one that produced the recorded content, else the run a model version was
    // registered from (`mlx model register --run`).
    let run_id = match (&root.run, &t.model) {
        (Some(r), _) => Some(r.id.clone()),
        (None, Some((_, _, Some(text)))) => crate::tracking::lookup::resolve(&conn, text).ok(),
        _ => None,
    };
    let run = match &run_id {
        Some(id) => {
            crate::tracking::query::records(&conn, std::slice::from_ref(id))?.into_iter().next()
        }
        None => None,
    };
    let environment = match &run_id {
        Some(id) => crate::tracking::environment::of_run_id(&conn, id)?,
        None => Default::default(),
    };
    let repo = crate::git::Repo::open(project.root())?;
    let commit = run
        .as_ref()
        .and_then(|r| r.commit.clone())
        .or_else(|| lineage.commit.clone())
        .or_else(|| repo.head_commit());
    let code = commit.map(|commit| Code {
        commit,
        uri: repo.remote_url(),
        dirty: run.as_ref().is_some_and(|r| r.dirty),
    });
    let model = t.model.as_ref().map(|(m, ..)| m.clone());
    let facts = Facts {
        target: opts.target.clone(),
        model: model.clone(),
        path: path.clone(),
        hash,
        kind: kind.into(),
        subjects: subjects.clone(),
        lineage: &lineage,
        input_sha256,
        code,
        run,
        environment,
    };
    let value = statement::build(&facts);
    let dependencies = value
        .pointer("/predicate/buildDefinition/resolvedDependencies")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    let (mut document, keyid) = match &key {
        Some(key) => {
            let payload = serde_json::to_vec(&value).expect("JSON values serialize");
            let envelope = dsse::sign(provenance::PAYLOAD_TYPE, &payload, key);
            let keyid = envelope.signatures[0].keyid.clone();
            (serde_json::to_vec_pretty(&envelope).expect("an envelope serializes"), Some(keyid))
        }
        None => (serde_json::to_vec_pretty(&value).expect("JSON values serialize"), None),
    };
    document.push(b'\n');
    let written = match &opts.out {
        Some(out) => Some(write_out(project, &opts.cwd, out, &document)?),
        None => None,
    };
    Ok(AttestReport {
        document,
        written,
        signed: key.is_some(),
        keyid,
        path,
        model,
        subjects: subjects
            .into_iter()
            .map(|s| SubjectRow { name: s.name, sha256: s.sha256, blake3: s.blake3 })
            .collect(),
        dependencies,
        run: run_id.map(|r| r.to_string()),
        fetched,
    })
}

/// Write `bytes` to the file `out` names (relative to `cwd`), through the work tree's gate
/// when it lies in the work tree, else one rooted at its folder.
fn write_out(project: &Project, cwd: &Path, out: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let name = out
        .file_name()
        .map(PathBuf::from)
        .ok_or_else(|| crate::project_path::PathError::Empty { path: out.to_path_buf() })?;
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = crate::work_tree::output::OutputDir::create(project.work_tree(), cwd, parent)?;
    dir.write(&RelPath::new(name)?, bytes)
}
