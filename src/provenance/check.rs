//! Checking a statement again: reading it (bare, or out of a DSSE envelope), then re-hashing
//! each subject and resolved dependency from the copies found here. A subject is checked in the
//! work tree (the file at its path) and in the cache (the object its blake3 digest names), each
//! copy that exists; an input by its content in the cache, else the file at its path; the code
//! by its commit in the repository. Every copy found must match every digest mlx knows
//! (`sha256`, `blake3`; `gitCommit`/`sha1` for a commit).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::dsse::Envelope;
use super::{Digests, Error, PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE};
use crate::project::Project;
use crate::project_path::RelPath;
use crate::store::ObjectId;

/// A statement read from a file, with the envelope it came in.
pub struct Parsed {
    pub statement: Value,
    pub envelope: Option<Envelope>,
}

/// Read `bytes` (named `file` in errors): a DSSE envelope holding an in-toto statement, or a
/// bare statement; either way a Statement v1 with a SLSA Provenance v1 predicate.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Parsed, Error> {
    let bad = |why: String| Error::BadInput { file: file.to_owned(), why };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let (statement, envelope) = if value.get("payloadType").is_some() {
        let env: Envelope =
            serde_json::from_value(value).map_err(|e| bad(format!("not a DSSE envelope: {e}")))?;
        if env.payload_type != PAYLOAD_TYPE {
            return Err(bad(format!(
                "a DSSE envelope of payload type {:?}, not an in-toto statement ({PAYLOAD_TYPE})",
                env.payload_type
            )));
        }
        let payload = env
            .payload_bytes()
            .ok_or_else(|| bad("the envelope's payload is not base64".into()))?;
        let statement: Value = serde_json::from_slice(&payload)
            .map_err(|e| bad(format!("the envelope's payload is not JSON: {e}")))?;
        (statement, Some(env))
    } else {
        (value, None)
    };
    match statement.get("_type").and_then(Value::as_str) {
        Some(STATEMENT_TYPE) => {}
        Some(other) => {
            return Err(bad(format!("a statement of type {other:?}, not {STATEMENT_TYPE}")));
        }
        None => return Err(bad("not an in-toto statement (no _type)".into())),
    }
    match statement.get("predicateType").and_then(Value::as_str) {
        Some(PREDICATE_TYPE) => {}
        other => {
            return Err(bad(format!(
                "unknown predicate {}: mlx verifies SLSA provenance ({PREDICATE_TYPE})",
                other.map_or_else(|| "(none)".to_owned(), |o| format!("{o:?}"))
            )));
        }
    }
    let subjects = statement.get("subject").and_then(Value::as_array);
    if subjects.is_none_or(Vec::is_empty) {
        return Err(bad("the statement has no subject".into()));
    }
    Ok(Parsed { statement, envelope })
}

/// A resource descriptor of the statement.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub digest: BTreeMap<String, String>,
}

fn resources(list: Option<&Value>) -> Vec<Resource> {
    let Some(items) = list.and_then(Value::as_array) else { return Vec::new() };
    items
        .iter()
        .map(|v| Resource {
            name: v.get("name").and_then(Value::as_str).map(ToOwned::to_owned),
            uri: v.get("uri").and_then(Value::as_str).map(ToOwned::to_owned),
            digest: v
                .get("digest")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            v.as_str().map(|s| (k.clone(), s.to_ascii_lowercase()))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

pub fn subjects(statement: &Value) -> Vec<Resource> {
    resources(statement.get("subject"))
}

pub fn dependencies(statement: &Value) -> Vec<Resource> {
    resources(statement.pointer("/predicate/buildDefinition/resolvedDependencies"))
}

/// How a resource came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every copy found matched every digest mlx knows.
    Matched,
    /// A copy found differs.
    Differs,
    /// No copy was found here (nor on the remote).
    NotFound,
    /// Its digests are of no algorithm mlx knows.
    Unchecked,
}

/// One resource checked.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    #[serde(flatten)]
    pub resource: Resource,
    pub status: Status,
    /// The copies that matched (`work tree`, `cache`, `git`).
    pub matched_in: Vec<&'static str>,
    /// The copies that differ.
    pub differs_in: Vec<&'static str>,
}

impl Checked {
    pub fn label(&self) -> String {
        match (&self.resource.name, &self.resource.uri) {
            (Some(n), _) => n.clone(),
            (None, Some(u)) => u.clone(),
            (None, None) => "(unnamed)".into(),
        }
    }
}

/// Whether `got` agrees with `digest`: `None` when it names neither sha256 nor blake3.
pub fn agrees(digest: &BTreeMap<String, String>, got: &Digests) -> Option<bool> {
    let mut known = false;
    for (alg, want) in digest {
        let have = match alg.as_str() {
            "sha256" => &got.sha256,
            "blake3" => &got.blake3,
            _ => continue,
        };
        known = true;
        if have != want {
            return Some(false);
        }
    }
    known.then_some(true)
}

/// The cache object a resource's blake3 digest names.
pub fn object_of(r: &Resource) -> Option<ObjectId> {
    r.digest.get("blake3").and_then(|h| ObjectId::from_hex(h).ok())
}

/// The git commit a resource names (`gitCommit`, else a 40-digit `sha1`).
fn commit_of(r: &Resource) -> Option<&str> {
    r.digest
        .get("gitCommit")
        .or_else(|| r.digest.get("sha1"))
        .map(String::as_str)
        .filter(|c| c.len() >= 40 && c.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `path` resolves (through any symlinks) into the work tree or the cache: a name from
/// an untrusted statement, in an untrusted repository, never leads mlx to read a file elsewhere.
fn stays_inside(project: &Project, path: &Path) -> bool {
    let Ok(real) = std::fs::canonicalize(path) else { return false };
    let cache = std::fs::canonicalize(project.cache().dir()).unwrap_or_default();
    real.starts_with(project.root()) || (!cache.as_os_str().is_empty() && real.starts_with(cache))
}

/// Where to look for a resource's copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The attested file: its work tree copy and its cache copy.
    Subject,
    /// An input: its content in the cache, else the file at its path.
    Dependency,
}

/// Check one resource against the copies here.
pub fn check(project: &Project, r: &Resource, role: Role) -> Result<Checked, crate::error::Error> {
    let mut out = Checked {
        resource: r.clone(),
        status: Status::NotFound,
        matched_in: Vec::new(),
        differs_in: Vec::new(),
    };
    let has_file_digest = r.digest.contains_key("sha256") || r.digest.contains_key("blake3");
    if !has_file_digest {
        if let Some(commit) = commit_of(r) {
            let repo = crate::git::Repo::open(project.root())?;
            if repo.has_commit(commit) {
                out.matched_in.push("git");
            }
        } else {
            out.status = Status::Unchecked;
            return Ok(out);
        }
    } else {
        let mut look = |where_: &'static str, path: &Path| -> std::io::Result<bool> {
            if !path.is_file() {
                return Ok(false);
            }
            let got = super::digests_of_file(path)?;
            match agrees(&r.digest, &got) {
                Some(true) => out.matched_in.push(where_),
                Some(false) => out.differs_in.push(where_),
                None => {}
            }
            Ok(true)
        };
        let work_file = r
            .name
            .as_deref()
            .and_then(|n| RelPath::new(n).ok())
            .filter(|p| crate::work_tree::check_not_reserved(p).is_ok())
            .map(|p| project.root().join(p.as_path()))
            .filter(|p| stays_inside(project, p));
        // An object stored as chunks is put together; damaged chunks make it absent here.
        let cached = object_of(r).and_then(|id| project.cache().whole_path(&id).ok());
        match role {
            Role::Subject => {
                if let Some(p) = &work_file {
                    look("work tree", p)?;
                }
                if let Some(p) = &cached {
                    look("cache", p)?;
                }
            }
            Role::Dependency => {
                let in_cache = match &cached {
                    Some(p) => look("cache", p)?,
                    None => false,
                };
                if !in_cache && let Some(p) = &work_file {
                    look("work tree", p)?;
                }
            }
        }
    }
    out.status = if !out.differs_in.is_empty() {
        Status::Differs
    } else if !out.matched_in.is_empty() {
        Status::Matched
    } else {
        Status::NotFound
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_refuses_what_is_not_a_slsa_statement() {
        let e = |text: &str| parse("f", text.as_bytes()).err().unwrap().to_string();
        assert!(e("nope").contains("not JSON"));
        assert!(e("{}").contains("not an in-toto statement"));
        assert!(e(r#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://example.com/x","subject":[{}]}"#).contains("unknown predicate"));
        assert!(
            e(r#"{"payloadType":"text/plain","payload":"","signatures":[]}"#)
                .contains("payload type")
        );
        let ok = r#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"a","digest":{"sha256":"AB"}}]}"#;
        let p = parse("f", ok.as_bytes()).unwrap();
        assert_eq!(subjects(&p.statement)[0].digest["sha256"], "ab");
    }

    #[test]
    fn agreement_needs_every_known_digest() {
        let got = Digests { sha256: "a".into(), blake3: "b".into() };
        let d = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        assert_eq!(agrees(&d(&[("sha256", "a"), ("blake3", "b")]), &got), Some(true));
        assert_eq!(agrees(&d(&[("sha256", "a"), ("blake3", "x")]), &got), Some(false));
        assert_eq!(agrees(&d(&[("md5", "a")]), &got), None);
    }
}
