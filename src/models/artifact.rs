//! What a model version is: the path of its artifact and that path's content at the tagged
//! commit. The path comes from the registration tag's message (mlx writes `mlx-path:` and,
//! for a run's artifact, `mlx-run:`, `mlx-hash:` and `mlx-kind:` lines under GTO's first line)
//! or else from GTO's `artifacts.yaml` at that commit. The content is the hash the path's
//! pointer (`PATH.mlx`) names there, or the hash `mlx.lock` records for a stage output of that
//! path. Both files come from the repository and are untrusted: they are parsed, never run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Error;
use super::state::{ArtifactState, Reference, Registry, VersionState};
use crate::git::{Repo, Revision};
use crate::pipeline::lock::LockFile;
use crate::project_path::RelPath;
use crate::store::ObjectId;
use crate::store::pointer::{self, Kind, Pointer};

/// GTO's artifact annotations file.
pub const ARTIFACTS_FILE: &str = "artifacts.yaml";

/// The `mlx-…:` lines of a registration tag's message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers {
    pub path: Option<String>,
    pub run: Option<String>,
    pub hash: Option<String>,
    pub kind: Option<String>,
}

impl Trailers {
    pub fn parse(message: &str) -> Trailers {
        let mut t = Trailers::default();
        for line in message.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let value = Some(value.trim().to_owned());
            match key.trim() {
                "mlx-path" => t.path = value,
                "mlx-run" => t.run = value,
                "mlx-hash" => t.hash = value,
                "mlx-kind" => t.kind = value,
                _ => {}
            }
        }
        t
    }

    /// The lines, to put under the message's first line (empty when there is nothing).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (key, value) in [
            ("mlx-path", &self.path),
            ("mlx-kind", &self.kind),
            ("mlx-hash", &self.hash),
            ("mlx-run", &self.run),
        ] {
            if let Some(v) = value {
                out.push_str(&format!("{key}: {v}\n"));
            }
        }
        out
    }
}

/// One entry of `artifacts.yaml`, as GTO reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<serde_yaml_ng::Value>,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_yaml_ng::Value>,
}

/// Parse `artifacts.yaml` text (empty text is no annotations).
pub fn parse_annotations(text: &str) -> Result<BTreeMap<String, Annotation>, Error> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    serde_yaml_ng::from_str::<Option<BTreeMap<String, Annotation>>>(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| Error::BadArtifactsFile {
            file: ARTIFACTS_FILE.into(),
            message: e.to_string(),
        })
}

/// `artifacts.yaml` text for these annotations.
pub fn encode_annotations(all: &BTreeMap<String, Annotation>) -> Result<String, Error> {
    serde_yaml_ng::to_string(all).map_err(|e| Error::BadArtifactsFile {
        file: ARTIFACTS_FILE.into(),
        message: e.to_string(),
    })
}

/// A version's artifact, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub path: String,
    /// `file` or `directory`.
    pub kind: String,
    /// BLAKE3 of the file, or of the directory's manifest.
    pub hash: String,
    pub size: Option<u64>,
    pub files: Option<u64>,
    /// `pointer` (tracked with `mlx add`), `stage` (an output in `mlx.lock`) or `run` (a run's
    /// artifact named at registration).
    pub source: String,
    /// For a stage output: the stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

impl Resolved {
    pub fn object(&self) -> Option<ObjectId> {
        ObjectId::from_hex(&self.hash).ok()
    }
}

/// The path a registration names: its `mlx-path:` line, else `artifacts.yaml` at `rev`.
pub fn path_of(
    repo: &Repo,
    rev: &Revision,
    artifact: &str,
    trailers: &Trailers,
) -> Result<Option<String>, Error> {
    if let Some(p) = &trailers.path {
        return Ok(Some(p.clone()));
    }
    let file = RelPath::new(ARTIFACTS_FILE).expect("a plain name");
    let Some(bytes) = repo.read_file(rev, &file)? else { return Ok(None) };
    let text = String::from_utf8_lossy(&bytes);
    Ok(parse_annotations(&text)?.remove(artifact).and_then(|a| a.path))
}

/// What `path` holds at `rev`: through its pointer, or as a stage output in `mlx.lock`.
pub fn resolve_path(repo: &Repo, rev: &Revision, path: &str) -> Result<Option<Resolved>, Error> {
    let clean = path.trim_end_matches('/');
    let Ok(rel) = RelPath::new(clean) else { return Ok(None) };
    let damaged = |why: String| Error::BadRecord {
        artifact: clean.to_owned(),
        what: format!("the record of {clean}"),
        why,
    };
    if let Some(bytes) = repo.read_file(rev, &pointer::pointer_path(&rel))? {
        let text = String::from_utf8(bytes).map_err(|e| damaged(e.to_string()))?;
        let file = pointer::pointer_path(&rel);
        let p = Pointer::decode(file.as_path(), &text).map_err(|e| damaged(e.to_string()))?;
        return Ok(Some(Resolved {
            path: clean.to_owned(),
            kind: p.kind.as_str().to_owned(),
            hash: p.hash.to_hex(),
            size: Some(p.size),
            files: (p.kind == Kind::Directory).then_some(p.files),
            source: "pointer".into(),
            stage: None,
        }));
    }
    let lock = RelPath::new(crate::pipeline::lock::FILE).expect("a plain name");
    if let Some(bytes) = repo.read_file(rev, &lock)? {
        let text = String::from_utf8(bytes).map_err(|e| damaged(e.to_string()))?;
        let lock = LockFile::parse(&text).map_err(|e| damaged(e.to_string()))?;
        for (stage, entry) in &lock.stages {
            if let Some(out) = entry.outs.iter().find(|o| o.path.trim_end_matches('/') == clean) {
                return Ok(Some(Resolved {
                    path: clean.to_owned(),
                    kind: if out.files.is_some() { "directory" } else { "file" }.to_owned(),
                    hash: out.hash.to_hex(),
                    size: Some(out.size),
                    files: out.files,
                    source: "stage".into(),
                    stage: Some(stage.clone()),
                }));
            }
        }
    }
    Ok(None)
}

/// The artifact of version `v`: its path (from the tag or `artifacts.yaml`) at its commit.
pub fn resolve_version(
    repo: &Repo,
    a: &ArtifactState,
    v: &VersionState,
) -> Result<(Option<Resolved>, Option<String>), Error> {
    let trailers = Trailers::parse(&v.message);
    let rev = match repo.resolve(&v.commit) {
        Ok(rev) => rev,
        Err(e) => return Ok((None, Some(e.to_string()))),
    };
    let Some(path) = path_of(repo, &rev, &a.name, &trailers)? else {
        return Ok((
            None,
            Some("no path recorded (neither in its tag nor in artifacts.yaml)".into()),
        ));
    };
    if let Some(found) = resolve_path(repo, &rev, &path)? {
        return Ok((Some(found), None));
    }
    if let (Some(hash), Some(kind)) = (&trailers.hash, &trailers.kind)
        && crate::store::ObjectId::from_hex(hash).is_ok()
    {
        let found = Resolved {
            path,
            kind: kind.clone(),
            hash: hash.clone(),
            size: None,
            files: None,
            source: "run".into(),
            stage: None,
        };
        return Ok((Some(found), None));
    }
    let why = Error::NotTracked { path, commit: v.commit.clone() }.to_string();
    Ok((None, Some(why)))
}

/// The version a reference (`NAME`, `NAME@v1.2.3`, `NAME#STAGE`, …) names in `registry`, and
/// its artifact: `(model, version, artifact)`.
pub fn resolve_reference<'r>(
    repo: &Repo,
    registry: &'r Registry,
    reference: &Reference,
) -> Result<(String, &'r VersionState, Resolved), Error> {
    let (a, v) = registry.resolve(reference)?;
    match resolve_version(repo, a, v)? {
        (Some(found), _) => Ok((a.name.clone(), v, found)),
        (None, why) => Err(Error::BadRecord {
            artifact: a.name.clone(),
            what: format!("version {}", v.version),
            why: why.unwrap_or_default(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_round_trip() {
        let t = Trailers {
            path: Some("models/m.pkl".into()),
            run: Some("01abc".into()),
            hash: None,
            kind: Some("file".into()),
        };
        let message = format!("Registering artifact m version v0.0.1\n\n{}", t.encode());
        assert_eq!(Trailers::parse(&message), t);
    }

    #[test]
    fn annotations_keep_what_gto_wrote() {
        let text = "m:\n  type: model\n  path: models/m.pkl\n  description: a model\n  labels: [cv]\n  virtual: false\nother:\n  path: o.bin\n";
        let all = parse_annotations(text).unwrap();
        assert_eq!(all["m"].path.as_deref(), Some("models/m.pkl"));
        assert_eq!(all["m"].kind.as_deref(), Some("model"));
        let again = parse_annotations(&encode_annotations(&all).unwrap()).unwrap();
        assert_eq!(again, all);
        assert!(again["m"].other.contains_key("virtual"));
        assert!(parse_annotations("").unwrap().is_empty());
    }
}
