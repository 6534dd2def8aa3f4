//! The subset of MLflow's REST API that its client's logging calls use, served over the
//! project's database and cache: experiments, runs, params, metrics, tags, metric histories,
//! artifacts through MLflow's artifact proxy routes, logged models (MLflow 3) and registered
//! models with their versions. Anything else answers MLflow's error shape
//! (`{"error_code": "ENDPOINT_NOT_FOUND", "message": …}`).
//!
//! Two ways to reach it: `mlx ui` and `mlx serve` route `/api/2.0/mlflow…` here
//! ([`Context::Serve`]: runs are created keyed to the current commit), and every command
//! `mlx run` starts gets an [`Endpoint`] of its own on 127.0.0.1 ([`Context::Run`]: its
//! `MLFLOW_RUN_ID` is the mlx run, and every experiment the client names is the run's).
//!
//! Requests pass [`check`] instead of the UI's token rule: MLflow's client sends no token, so
//! writes are allowed, but a request must name this server in its Host header (DNS rebinding)
//! and one a browser sends from another page (an `Origin` or `Sec-Fetch-Site` header that is not
//! this server's) is refused.

mod artifacts;
mod logging;
mod models;
mod request;
mod search;
mod tracking;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};

use crate::project::Project;
use crate::tracking::RunId;
use crate::ui::Body;
use crate::ui::accepted_hosts;
use crate::ui::http;

/// The paths this module answers.
pub fn is_route(path: &str) -> bool {
    ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow", "/api/3.0/mlflow", "/ajax-api/3.0/mlflow"]
        .iter()
        .any(|p| path.strip_prefix(p).is_some_and(|rest| rest.starts_with(['/', '-'])))
}

/// Whose runs the endpoint serves.
#[derive(Debug, Clone)]
pub enum Context {
    /// `mlx serve` / `mlx ui`: runs the client creates are new runs of the project.
    Serve,
    /// Inside `mlx run`: the command's run, and the experiment it belongs to. Every experiment
    /// the client names or creates is this one, so `mlflow.set_experiment(...)` followed by
    /// `start_run()` resumes the run.
    Run { run: RunId, experiment: RunId },
}

/// What the handlers share: the project, whose runs they serve, one database connection.
pub struct Api {
    project: Arc<Project>,
    context: Context,
    conn: Mutex<Option<rusqlite::Connection>>,
    hosts: Vec<String>,
}

impl Api {
    pub fn new(project: Arc<Project>, context: Context, addr: SocketAddr) -> Api {
        Api { project, context, conn: Mutex::new(None), hosts: accepted_hosts(addr) }
    }

    /// Run `f` on the connection (opened on first use).
    fn db<T>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut guard = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(self.project.open_db().map_err(|e| ApiError::internal(&e))?);
        }
        f(guard.as_mut().expect("opened above"))
    }
}

/// The project at `root`, opened once per process and kept for its life: a `Project` dropped
/// removes the process's temp folders, which the command's own `Project` still uses.
pub fn shared_project(root: &std::path::Path) -> Result<Arc<Project>, crate::project::Error> {
    static OPEN: Mutex<Vec<Arc<Project>>> = Mutex::new(Vec::new());
    let mut open = OPEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(p) = open.iter().find(|p| p.root() == root) {
        return Ok(Arc::clone(p));
    }
    let p = Arc::new(Project::open(root.to_path_buf())?);
    open.push(Arc::clone(&p));
    Ok(p)
}

/// An error in MLflow's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError { status: 400, code: "INVALID_PARAMETER_VALUE", message: message.into() }
    }
    pub fn missing(message: impl Into<String>) -> ApiError {
        ApiError { status: 404, code: "RESOURCE_DOES_NOT_EXIST", message: message.into() }
    }
    pub fn exists(message: impl Into<String>) -> ApiError {
        ApiError { status: 400, code: "RESOURCE_ALREADY_EXISTS", message: message.into() }
    }
    pub fn refused(status: u16, message: impl Into<String>) -> ApiError {
        ApiError { status, code: "PERMISSION_DENIED", message: message.into() }
    }
    pub fn internal(e: &dyn std::fmt::Display) -> ApiError {
        ApiError { status: 500, code: "INTERNAL_ERROR", message: e.to_string() }
    }
    pub fn not_implemented(method: &str, path: &str) -> ApiError {
        ApiError {
            status: 404,
            code: "ENDPOINT_NOT_FOUND",
            message: format!(
                "mlx does not implement {method} {path} (see the MLflow guide in mlx's docs for \
                 what it serves)"
            ),
        }
    }
}

impl From<crate::tracking::Error> for ApiError {
    fn from(e: crate::tracking::Error) -> Self {
        use crate::tracking::Error as E;
        match &e {
            E::NameTaken { .. } => ApiError::exists(e.to_string()),
            E::Invalid(_) => ApiError::invalid(e.to_string()),
            _ => ApiError::internal(&e),
        }
    }
}

impl From<crate::error::Error> for ApiError {
    fn from(e: crate::error::Error) -> Self {
        if e.is_input_error() { ApiError::invalid(e.to_string()) } else { ApiError::internal(&e) }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::internal(&e)
    }
}

pub(crate) fn error_response(e: &ApiError) -> Response<Body> {
    http::json(e.status, &json!({ "error_code": e.code, "message": e.message }))
}

fn header<'a, B>(req: &'a Request<B>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The checks a request passes before its route (see the module doc).
pub fn check<B>(req: &Request<B>, hosts: &[String]) -> Result<(), ApiError> {
    let host = header(req, "host")
        .ok_or_else(|| ApiError::refused(400, "the request has no Host header"))?
        .to_ascii_lowercase();
    if !hosts.is_empty() && !hosts.contains(&host) {
        return Err(ApiError::refused(
            403,
            format!("this server does not answer for host {host:?}"),
        ));
    }
    if let Some(origin) = header(req, "origin")
        && !origin.eq_ignore_ascii_case(&format!("http://{host}"))
    {
        return Err(ApiError::refused(
            403,
            format!("requests from another origin ({origin}) are refused"),
        ));
    }
    if let Some(site) = header(req, "sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Err(ApiError::refused(403, format!("requests from a {site} page are refused")));
    }
    Ok(())
}

/// One request: the checks, then the route.
pub async fn handle(api: Arc<Api>, req: Request<Incoming>) -> Response<Body> {
    if let Err(e) = check(&req, &api.hosts) {
        return error_response(&e);
    }
    let result = if artifacts::is_route(req.uri().path()) {
        artifacts::route(api, req).await
    } else {
        route(api, req).await
    };
    match result {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    }
}

/// The largest JSON body taken (MLflow's own limit on a batch is 1 MB of JSON).
const MAX_JSON: usize = 16 << 20;

async fn route(api: Arc<Api>, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    use http_body_util::{BodyExt, Limited};
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let body: Bytes = match Limited::new(req.into_body(), MAX_JSON).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Err(ApiError::invalid(format!("cannot read the request: {e}"))),
    };
    let task = tokio::task::spawn_blocking(move || {
        let args = request::Args::parse(&method, query.as_deref(), &body)?;
        dispatch(&api, &method, &path, &args)
    });
    let value = task.await.map_err(|e| ApiError::internal(&e))??;
    Ok(http::json(200, &value))
}

/// The path after the API's prefix: `runs/get`, `logged-models/m-…`.
fn endpoint_of(path: &str) -> &str {
    for p in
        ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/"]
    {
        if let Some(rest) = path.strip_prefix(p) {
            return rest.trim_end_matches('/');
        }
    }
    path
}

fn dispatch(api: &Api, method: &str, path: &str, args: &request::Args) -> Result<Value, ApiError> {
    let endpoint = endpoint_of(path);
    let segments: Vec<&str> = endpoint.split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["experiments", "get-by-name"]) => tracking::experiment_by_name(api, args),
        ("GET", ["experiments", "get"]) => tracking::get_experiment(api, args),
        ("POST", ["experiments", "create"]) => tracking::create_experiment(api, args),
        ("POST" | "GET", ["experiments", "search"]) => tracking::search_experiments(api, args),
        ("POST", ["runs", "create"]) => tracking::create_run(api, args),
        ("POST", ["runs", "update"]) => tracking::update_run(api, args),
        ("GET", ["runs", "get"]) => tracking::get_run(api, args),
        ("POST", ["runs", "search"]) => search::search_runs(api, args),
        ("POST", ["runs", "delete"]) => tracking::mark_run(api, args, true),
        ("POST", ["runs", "restore"]) => tracking::mark_run(api, args, false),
        ("POST", ["experiments", "delete"]) => tracking::mark_experiment(api, args, true),
        ("POST", ["experiments", "restore"]) => tracking::mark_experiment(api, args, false),
        ("POST", ["runs", "log-batch"]) => logging::log_batch(api, args),
        ("POST", ["runs", "log-metric"]) => logging::log_metric(api, args),
        ("POST", ["runs", "log-parameter"]) => logging::log_param(api, args),
        ("POST", ["runs", "set-tag"]) => logging::set_tag(api, args),
        ("POST", ["runs", "delete-tag"]) => logging::delete_tag(api, args),
        ("GET", ["metrics", "get-history"]) => logging::metric_history(api, args),
        ("POST", ["runs", "outputs"]) => models::log_outputs(api, args),
        ("POST", ["runs", "log-inputs"]) => tracking::log_inputs(api, args),
        ("POST", ["logged-models"]) => models::create_logged_model(api, args),
        ("POST", ["logged-models", "search"]) => models::search_logged_models(api, args),
        ("GET", ["logged-models", id]) => models::get_logged_model(api, id),
        ("PATCH", ["logged-models", id]) => models::finalize_logged_model(api, id, args),
        ("PATCH", ["logged-models", id, "tags"]) => models::set_logged_model_tags(api, id, args),
        ("POST", ["logged-models", id, "params"]) => models::log_logged_model_params(api, id, args),
        ("POST", ["registered-models", "create"]) => models::create_registered_model(api, args),
        ("GET", ["registered-models", "get"]) => models::get_registered_model(api, args),
        ("GET", ["registered-models", "search"]) => models::search_registered_models(api, args),
        ("POST", ["registered-models", "alias"]) => models::set_alias(api, args),
        ("DELETE", ["registered-models", "alias"]) => models::delete_alias(api, args),
        ("GET", ["registered-models", "alias"]) => models::version_by_alias(api, args),
        ("POST", ["experiments", "set-experiment-tag"]) => {
            tracking::experiment_tag(api, args, false)
        }
        ("POST", ["experiments", "delete-experiment-tag"]) => {
            tracking::experiment_tag(api, args, true)
        }
        ("POST", ["model-versions", "create"]) => models::create_model_version(api, args),
        ("GET", ["model-versions", "get"]) => models::get_model_version(api, args),
        ("GET", ["model-versions", "get-download-uri"]) => models::version_download_uri(api, args),
        ("GET", ["model-versions", "search"]) => models::search_model_versions(api, args),
        _ => Err(ApiError::not_implemented(method, path)),
    }
}

// ---------------------------------------------------------------------------------------------
// The endpoint of `mlx run`.

/// The runtime that serves every [`Endpoint`] of this process, started on first use.
fn runtime() -> std::io::Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RT.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(4)
        .enable_io()
        .enable_time()
        .thread_name("mlx-mlflow")
        .build()?;
    Ok(RT.get_or_init(|| rt))
}

/// MLflow's endpoint for one command `mlx run` starts, on a free port of 127.0.0.1, served for
/// as long as this value lives.
pub struct Endpoint {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Endpoint {
    /// Bind a free port and serve the run's API there (on a thread of this process: the
    /// command starts at once, and one that never calls MLflow pays only for the bind).
    pub fn start(project: &Project, run: RunId, experiment: RunId) -> std::io::Result<Endpoint> {
        let listener =
            std::net::TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let root = project.root().to_path_buf();
        let rt = runtime()?;
        let task = rt.spawn(async move {
            // Opened here, off the command's start: connections wait in the backlog meanwhile.
            let project = match shared_project(&root) {
                Ok(p) => p,
                Err(e) => {
                    tracing::debug!("the MLflow endpoint cannot open the project: {e}");
                    return;
                }
            };
            let api = Arc::new(Api::new(project, Context::Run { run, experiment }, addr));
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            crate::ui::accept_loop(listener, move |req| handle(Arc::clone(&api), req)).await;
        });
        Ok(Endpoint { addr, task })
    }

    /// `http://127.0.0.1:PORT`, for `MLFLOW_TRACKING_URI`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}
