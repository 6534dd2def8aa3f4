//! The statement mlx writes: an in-toto Statement v1 whose subjects are the attested files
//! (sha256 and blake3 digests), with a SLSA Provenance v1 predicate built from the lineage: the
//! stage's command and params as external parameters, its tools and mlx's version as internal
//! ones, the code commit and every input the lineage found (transitively) as resolved
//! dependencies, and the run that produced the content as run details (its id, times, metrics
//! and environment as byproducts). docs/provenance.md describes each field.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{BUILD_TYPE, BUILDER_ID, PREDICATE_TYPE, STATEMENT_TYPE};
use crate::lineage::{Lineage, NodeKind};
use crate::tracking::query::RunRecord;

/// One attested file.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The project path (for a folder's file: the folder's path, `/`, the file's path in it).
    pub name: String,
    pub sha256: String,
    pub blake3: String,
}

/// The code: the commit the run ran at, and where the repository lives.
#[derive(Debug, Clone)]
pub struct Code {
    pub commit: String,
    /// The URL of the repository's remote (`origin`, or its only one), without credentials.
    pub uri: Option<String>,
    /// Whether the run's work tree had changes the commit does not hold.
    pub dirty: bool,
}

/// What a statement is built from.
pub struct Facts<'a> {
    /// What was asked for: the path, or the model version.
    pub target: String,
    /// The model version attested (`NAME@vX.Y.Z`), when one was named.
    pub model: Option<String>,
    /// The attested content's path and mlx hash (a file's, or a folder's manifest's).
    pub path: String,
    pub hash: String,
    /// `file` or `directory`.
    pub kind: String,
    pub subjects: Vec<Subject>,
    pub lineage: &'a Lineage,
    /// SHA-256 of inputs whose content the cache holds, by their BLAKE3.
    pub input_sha256: HashMap<String, String>,
    pub code: Option<Code>,
    /// The run that produced the content, in full, and the environment it recorded.
    pub run: Option<RunRecord>,
    pub environment: crate::tracking::environment::Facts,
}

/// The statement, as JSON.
pub fn build(f: &Facts<'_>) -> Value {
    let root = &f.lineage.nodes[f.lineage.root];
    let subjects: Vec<Value> = f
        .subjects
        .iter()
        .map(|s| json!({"name": s.name, "digest": {"sha256": s.sha256, "blake3": s.blake3}}))
        .collect();

    let mut external = Map::new();
    external.insert("target".into(), json!(f.target));
    if let Some(m) = &f.model {
        external.insert("model".into(), json!(m));
    }
    external.insert("path".into(), json!(f.path));
    external.insert("kind".into(), json!(f.kind));
    external.insert("hash".into(), json!({"blake3": f.hash}));
    let mut internal = Map::new();
    internal.insert("mlx_version".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Some(c) = &f.lineage.commit {
        internal.insert("read_at_commit".into(), json!(c));
    }
    if let Some(s) = &root.stage {
        external.insert("stage".into(), json!(s.name));
        external.insert("cmd".into(), json!(s.cmd));
        external.insert("params".into(), serde_json::to_value(&s.params).unwrap_or(Value::Null));
        if !s.tools.is_empty() {
            internal.insert("tools".into(), json!(s.tools));
        }
        internal.insert("locked".into(), json!(s.locked));
    }

    let mut deps = Vec::new();
    if let Some(code) = &f.code {
        let mut d = Map::new();
        if let Some(uri) = &code.uri {
            d.insert("uri".into(), json!(format!("git+{uri}")));
        } else {
            d.insert("name".into(), json!("git"));
        }
        d.insert("digest".into(), json!({"gitCommit": code.commit, "sha1": code.commit}));
        d.insert("annotations".into(), json!({"kind": "code", "dirty": code.dirty}));
        deps.push(Value::Object(d));
    }
    for n in &f.lineage.nodes {
        if n.id == root.id || n.kind == NodeKind::Run {
            continue;
        }
        let Some(hash) = &n.hash else { continue };
        let mut digest = Map::new();
        if let Some(sha) = f.input_sha256.get(hash) {
            digest.insert("sha256".into(), json!(sha));
        }
        digest.insert("blake3".into(), json!(hash));
        let mut notes = Map::new();
        notes.insert(
            "kind".into(),
            json!(match n.kind {
                NodeKind::Output => "output",
                NodeKind::Data => "data",
                _ => "file",
            }),
        );
        if let Some(s) = &n.stage {
            notes.insert("stage".into(), json!(s.name));
        }
        if let Some(r) = &n.run {
            notes.insert("run".into(), json!(r.id.to_string()));
        }
        deps.push(json!({"name": n.path, "digest": digest, "annotations": notes}));
    }

    let mut build_def = Map::new();
    build_def.insert("buildType".into(), json!(BUILD_TYPE));
    build_def.insert("externalParameters".into(), Value::Object(external));
    build_def.insert("internalParameters".into(), Value::Object(internal));
    build_def.insert("resolvedDependencies".into(), Value::Array(deps));

    let mut run_details = Map::new();
    run_details.insert(
        "builder".into(),
        json!({"id": BUILDER_ID, "version": {"mlx": env!("CARGO_PKG_VERSION")}}),
    );
    if let Some(r) = &f.run {
        let mut meta = Map::new();
        meta.insert("invocationId".into(), json!(r.id.to_string()));
        meta.insert("startedOn".into(), json!(r.start));
        if let Some(end) = &r.end {
            meta.insert("finishedOn".into(), json!(end));
        }
        run_details.insert("metadata".into(), Value::Object(meta));
        let mut byproducts = Vec::new();
        if !r.metrics.is_empty() {
            let metrics: BTreeMap<&str, Value> = r
                .metrics
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        serde_json::Number::from_f64(v.0).map_or(Value::Null, Value::Number),
                    )
                })
                .collect();
            byproducts.push(byproduct("metrics", &json!(metrics)));
        }
        if !f.environment.is_empty() {
            byproducts.push(byproduct("environment", &json!(f.environment)));
        }
        if !byproducts.is_empty() {
            run_details.insert("byproducts".into(), Value::Array(byproducts));
        }
    }

    json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": Value::Object(build_def),
            "runDetails": Value::Object(run_details),
        },
    })
}

/// A byproduct: the JSON's bytes as content (with their digest), readable in annotations too.
fn byproduct(name: &str, value: &Value) -> Value {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    json!({
        "name": name,
        "mediaType": "application/json",
        "digest": {"sha256": super::sha256_hex(&bytes)},
        "content": base64::engine::general_purpose::STANDARD.encode(&bytes),
        "annotations": value,
    })
}
