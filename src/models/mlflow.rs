//! MLflow's model registry as mlx keeps it: the registered models and versions that MLflow's
//! client created through mlx's endpoint (`registered_model_name=`, `mlflow.register_model`),
//! rows of the project's database beside the run that logged each version. This module reads
//! them for `mlx model list/show`: each version with its run and where its files are among
//! that run's artifacts. The SQL is `tracking::mlflow`'s; nothing here writes.
//!
//! MLflow numbers versions 1, 2, 3…; the git registry's versions are semantic versions with a
//! `v` (`v1.2.3`), so `NAME@3` can only mean MLflow's version 3 and `NAME@v0.0.3` only a tag.

use rusqlite::Connection;
use serde::Serialize;

use crate::tracking::mlflow::{self as records, ModelVersion, RegisteredModel};
use crate::tracking::runs::rfc3339;

/// A model in MLflow's registry, with its versions newest first.
#[derive(Debug, Clone, Serialize)]
pub struct MlflowModel {
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub versions: Vec<MlflowVersion>,
}

/// One version of a model in MLflow's registry.
#[derive(Debug, Clone, Serialize)]
pub struct MlflowVersion {
    /// MLflow's number: 1, 2, …
    pub version: i64,
    /// The run that logged it.
    pub run_id: Option<String>,
    /// The logged model (MLflow 3), when MLflow named one.
    pub model_id: Option<String>,
    /// The URI it was registered from, as MLflow's client gave it.
    pub source: String,
    /// Where its files are among the run's artifacts; absent when no artifact of the run
    /// holds them.
    pub artifact: Option<MlflowArtifact>,
    pub created_at: String,
    pub description: Option<String>,
    /// MLflow's aliases naming it (`set_registered_model_alias`), by name.
    pub aliases: Vec<String>,
}

/// A version's files among its run's artifacts: `models/<model id>` for a logged model.
#[derive(Debug, Clone, Serialize)]
pub struct MlflowArtifact {
    /// The folder (or file) among the run's artifacts, as `mlx exp get RUN PATH` takes it.
    pub path: String,
    pub files: u64,
    pub size: u64,
}

/// Every model of MLflow's registry, by name.
pub fn models(conn: &Connection) -> Result<Vec<MlflowModel>, crate::tracking::Error> {
    let all = records::model_versions(conn, None)?;
    records::registered_models(conn)?
        .into_iter()
        .map(|m| {
            let versions: Vec<ModelVersion> =
                all.iter().filter(|v| v.name == m.name).cloned().collect();
            model_of(conn, m, versions)
        })
        .collect()
}

/// The model named `name` in MLflow's registry, if there is one.
pub fn model(conn: &Connection, name: &str) -> Result<Option<MlflowModel>, crate::tracking::Error> {
    let Some(m) = records::registered_model(conn, name)? else { return Ok(None) };
    let versions = records::model_versions(conn, Some(name))?;
    Ok(Some(model_of(conn, m, versions)?))
}

fn model_of(
    conn: &Connection,
    m: RegisteredModel,
    versions: Vec<ModelVersion>,
) -> Result<MlflowModel, crate::tracking::Error> {
    let aliases = records::aliases(conn, &m.name)?;
    let versions = versions
        .iter()
        .map(|v| {
            let mut out = version_of(conn, v)?;
            out.aliases =
                aliases.iter().filter(|(_, n)| *n == v.version).map(|(a, _)| a.clone()).collect();
            Ok(out)
        })
        .collect::<Result<_, crate::tracking::Error>>()?;
    Ok(MlflowModel {
        name: m.name,
        description: m.description.filter(|d| !d.is_empty()),
        created_at: rfc3339(m.created),
        updated_at: rfc3339(m.updated),
        versions,
    })
}

fn version_of(
    conn: &Connection,
    v: &ModelVersion,
) -> Result<MlflowVersion, crate::tracking::Error> {
    let mut artifact = None;
    if let Some(run) = &v.run_id {
        for path in artifact_paths(v, run) {
            let (files, size) = records::artifacts_under(conn, run, &path)?;
            if files > 0 {
                artifact = Some(MlflowArtifact { path, files, size });
                break;
            }
        }
    }
    Ok(MlflowVersion {
        version: v.version,
        run_id: v.run_id.clone(),
        model_id: v.model_id.clone(),
        source: v.source.clone(),
        artifact,
        created_at: rfc3339(v.created),
        description: v.description.clone().filter(|d| !d.is_empty()),
        aliases: Vec::new(),
    })
}

/// Where a version's files may be among the artifacts of run `run`, most likely first: the
/// logged model's folder (MLflow 3), then the path of a `runs:/RUN/PATH` source.
fn artifact_paths(v: &ModelVersion, run: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = &v.model_id {
        out.push(format!("models/{m}"));
    }
    if let Some(rest) = v.source.strip_prefix("runs:/")
        && let Some((source_run, path)) = rest.split_once('/')
        && source_run == run
        && !path.is_empty()
    {
        out.push(path.trim_end_matches('/').to_owned());
    }
    // `models:/m-…` (MLflow 3's model URI) names the logged model too.
    if let Some(id) = v.source.strip_prefix("models:/")
        && id.starts_with("m-")
        && !id.contains('/')
    {
        out.push(format!("models/{id}"));
    }
    out.dedup();
    out
}

/// `NAME@N` (N MLflow's version number): the name and the number.
pub fn split_reference(text: &str) -> Option<(&str, i64)> {
    let (name, n) = text.rsplit_once('@')?;
    if name.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, n.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(source: &str, model_id: Option<&str>) -> ModelVersion {
        ModelVersion {
            name: "m".into(),
            version: 1,
            source: source.into(),
            run_id: Some("R".into()),
            model_id: model_id.map(str::to_owned),
            description: None,
            created: 0,
            updated: 0,
            tags: "{}".into(),
        }
    }

    #[test]
    fn artifact_paths_follow_the_source() {
        assert_eq!(artifact_paths(&version("models:/m-ab", Some("m-ab")), "R"), ["models/m-ab"]);
        assert_eq!(artifact_paths(&version("runs:/R/model/", None), "R"), ["model"]);
        assert!(artifact_paths(&version("runs:/OTHER/model", None), "R").is_empty());
        assert!(artifact_paths(&version("s3://bucket/x", None), "R").is_empty());
    }

    #[test]
    fn references_with_a_number_name_mlflow_versions() {
        assert_eq!(split_reference("churn@3"), Some(("churn", 3)));
        assert_eq!(split_reference("a@b@12"), Some(("a@b", 12)));
        assert_eq!(split_reference("churn@v0.0.3"), None);
        assert_eq!(split_reference("churn"), None);
        assert_eq!(split_reference("@3"), None);
    }
}
