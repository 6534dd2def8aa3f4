//! MLflow's artifact proxy routes (`/api/2.0/mlflow-artifacts/artifacts/...`): files the client
//! uploads go into the cache and become artifacts of the run, under the path the client gave;
//! listing and downloading read them back. A run's artifact URI is
//! `mlflow-artifacts:/EXPERIMENT/RUN/artifacts`; a logged model's is
//! `mlflow-artifacts:/EXPERIMENT/models/MODEL/artifacts`, whose files become artifacts of the
//! run that logged it, under `models/MODEL/`.

use std::io::Write;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

use super::{Api, ApiError};
use crate::project_path::RelPath;
use crate::tracking::mlflow as records;
use crate::tracking::{RunId, artifacts as run_artifacts, runs};
use crate::ui::{Body, http};

const PREFIXES: [&str; 2] =
    ["/api/2.0/mlflow-artifacts/artifacts", "/ajax-api/2.0/mlflow-artifacts/artifacts"];

pub fn is_route(path: &str) -> bool {
    path.starts_with("/api/2.0/mlflow-artifacts")
        || path.starts_with("/ajax-api/2.0/mlflow-artifacts")
}

pub async fn route(api: Arc<Api>, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let Some(rest) = PREFIXES.iter().find_map(|p| path.strip_prefix(p)) else {
        return Err(ApiError::not_implemented(method.as_str(), &path));
    };
    let rel = http::decode(rest.trim_start_matches('/'))
        .ok_or_else(|| ApiError::invalid("the path is not valid percent-encoded UTF-8"))?;
    match method {
        Method::GET if rel.is_empty() => {
            let q = http::query(req.uri().query());
            let under =
                q.iter().find(|(k, _)| k == "path").map(|(_, v)| v.clone()).unwrap_or_default();
            blocking(move || list(&api, &under).map(|v| http::json(200, &v))).await
        }
        Method::GET | Method::HEAD => {
            let api2 = Arc::clone(&api);
            let (file, len) = blocking(move || open(&api2, &rel)).await?;
            Ok(http::stream(file, Some(len), "application/octet-stream"))
        }
        Method::PUT => {
            let (tmp, file) = api.project.cache().temp_file()?;
            let written = receive(req.into_body(), file).await;
            let result = match written {
                Ok(()) => {
                    let tmp2 = tmp.clone();
                    blocking(move || store(&api, &rel, &tmp2).map(|()| http::json(200, &json!({}))))
                        .await
                }
                Err(e) => Err(e),
            };
            let _ = std::fs::remove_file(&tmp);
            result
        }
        _ => Err(ApiError::not_implemented(method.as_str(), &path)),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(&e))?
}

/// Copy the request body into `file`.
async fn receive(mut body: Incoming, file: fs_err::File) -> Result<(), ApiError> {
    let mut file = std::io::BufWriter::new(file);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::invalid(format!("cannot read the upload: {e}")))?;
        if let Ok(data) = frame.into_data() {
            file.write_all(&data)?;
        }
    }
    file.flush()?;
    Ok(())
}

/// Where an artifact path of the proxy points: the run, and the artifact's name in it.
fn resolve(conn: &rusqlite::Connection, rel: &str) -> Result<(String, String), ApiError> {
    let parts: Vec<&str> = rel.trim_matches('/').splitn(4, '/').collect();
    let (run, name) = match parts.as_slice() {
        [_, "models", model, rest @ ..] => {
            let m = records::logged_model(conn, model)?
                .ok_or_else(|| ApiError::missing(format!("Logged model {model} not found")))?;
            let run = m.run_id.ok_or_else(|| {
                ApiError::invalid(format!("logged model {model} belongs to no run"))
            })?;
            let rest = rest.first().and_then(|r| r.strip_prefix("artifacts")).unwrap_or("");
            (run, format!("models/{model}{rest}"))
        }
        [_, run, rest @ ..] => {
            let rest = rest.join("/");
            let name = rest.strip_prefix("artifacts").unwrap_or(&rest);
            ((*run).to_owned(), name.trim_start_matches('/').to_owned())
        }
        _ => return Err(ApiError::invalid(format!("not an artifact path of a run: {rel:?}"))),
    };
    super::tracking::find_run(conn, &run)?;
    Ok((run, name.trim_end_matches('/').to_owned()))
}

/// The files and folders right under `under`.
fn list(api: &Api, under: &str) -> Result<Value, ApiError> {
    api.db(|conn| {
        let (run, prefix) = resolve(conn, under)?;
        let all = run_artifacts::of_run(conn, &RunId::from_db(run))?;
        let mut files: Vec<Value> = Vec::new();
        let mut dirs: Vec<String> = Vec::new();
        for a in all.iter().filter(|a| a.kind == "file") {
            let inside = if prefix.is_empty() {
                Some(a.path.as_str())
            } else {
                a.path.strip_prefix(&prefix).and_then(|r| r.strip_prefix('/'))
            };
            let Some(inside) = inside else { continue };
            match inside.split_once('/') {
                Some((dir, _)) => {
                    if !dirs.iter().any(|d| d == dir) {
                        dirs.push(dir.to_owned());
                    }
                }
                None => files.push(json!({ "path": inside, "is_dir": false, "file_size": a.size })),
            }
        }
        files.extend(dirs.into_iter().map(|d| json!({ "path": d, "is_dir": true })));
        Ok(json!({ "files": files }))
    })
}

fn open(api: &Api, rel: &str) -> Result<(fs_err::File, u64), ApiError> {
    let (run, name) = api.db(|conn| resolve(conn, rel))?;
    let found = api.db(|conn| Ok(run_artifacts::of_run(conn, &RunId::from_db(run.clone()))?))?;
    let a = found
        .into_iter()
        .find(|a| a.path == name && a.kind == "file")
        .ok_or_else(|| ApiError::missing(format!("run {run} has no artifact {name:?}")))?;
    let id = a.object().map_err(|e| ApiError::internal(&e))?;
    let path = api.project.cache().whole_path(&id).map_err(|e| ApiError::internal(&e))?;
    let file = fs_err::File::open(&path).map_err(|e| {
        ApiError::missing(format!("the artifact {name:?} is not in the cache: {e}"))
    })?;
    Ok((file, a.size))
}

/// Put the uploaded file `tmp` in the cache and record it as artifact `rel` of its run.
fn store(api: &Api, rel: &str, tmp: &std::path::Path) -> Result<(), ApiError> {
    let (run, name) = api.db(|conn| resolve(conn, rel))?;
    let checked = RelPath::new(&name)
        .and_then(|p| crate::work_tree::check_data_path(&p).map(|()| p))
        .map_err(|e| ApiError::invalid(format!("refusing the artifact path {name:?}: {e}")))?;
    let size = fs_err::metadata(tmp)?.len();
    let cache = api.project.cache();
    let _lock =
        api.project.lock(&crate::progress::NoProgress).map_err(|e| ApiError::internal(&e))?;
    let staged = cache.stage_copy(tmp)?;
    let hash = staged.id;
    cache.commit(vec![staged], &crate::store::StatCache::default())?;
    api.db(|conn| {
        runs::add_artifact(
            conn,
            &RunId::from_db(run),
            &checked.to_string(),
            "file",
            &hash.to_hex(),
            size,
        )?;
        Ok(())
    })
}
