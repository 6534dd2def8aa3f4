//! The routes of `mlx ui`: the page and its files, the JSON API that reads experiments, runs,
//! metric histories, logs, artifacts and the pipeline, and the writes (tags, notes, deleting an
//! experiment) that the guard let through. A handler parses, calls the core and serializes; the
//! database is read on blocking threads.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde::Serialize;

use super::http::{self, query};
use super::{Body, State, assets};
use crate::ops;
use crate::tracking::experiments::{self, Subject};
use crate::tracking::{RunId, artifacts, history, query as runs_query, runs};

pub use super::http::refused;

/// The point budget of a metric history when the request names none, and the most it may ask.
pub const DEFAULT_POINTS: usize = 2_000;
pub const MAX_POINTS: usize = 100_000;
/// The largest request body a write may send.
const MAX_BODY: usize = 1 << 20;
/// The tag a note is kept in.
pub const NOTE_TAG: &str = "mlx.note";

pub async fn route(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let q = query(req.uri().query());
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let get = method == Method::GET || method == Method::HEAD;
    match (segments.as_slice(), get) {
        ([""], true) => http::page(assets::index(&state.token)),
        (["assets", name], true) => match assets::file(name) {
            Some((kind, bytes)) => http::bytes(200, kind, Bytes::from_static(bytes)),
            None => http::message(404, "no such file"),
        },
        (["api", rest @ ..], true) => {
            let rest: Vec<String> = rest.iter().map(|s| (*s).to_owned()).collect();
            blocking(move || read(&state, &rest, &q)).await
        }
        (["api", rest @ ..], false) => {
            let rest: Vec<String> = rest.iter().map(|s| (*s).to_owned()).collect();
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return http::message(400, &format!("cannot read the request: {e}")),
            };
            blocking(move || write(&state, &method, &rest, &body)).await
        }
        (_, false) => http::message(405, "only the API takes writes"),
        _ => http::message(404, "no such page"),
    }
}

async fn blocking(f: impl FnOnce() -> Response<Body> + Send + 'static) -> Response<Body> {
    match tokio::task::spawn_blocking(f).await {
        Ok(resp) => resp,
        Err(e) => http::message(500, &format!("the request failed: {e}")),
    }
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Comma-separated values of a parameter, or its repeats (`columns=a,b` or `columns=a&columns=b`).
fn list(q: &[(String, String)], name: &str) -> Vec<String> {
    q.iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn answer<T: Serialize>(r: crate::error::Result<T>) -> Response<Body> {
    match r {
        Ok(v) => http::json(200, &v),
        Err(e) => http::error(&e),
    }
}

fn read(state: &State, rest: &[String], q: &[(String, String)]) -> Response<Body> {
    let Some(rest) = rest.iter().map(|s| http::decode(s)).collect::<Option<Vec<String>>>() else {
        return http::message(400, "the path is not valid percent-encoded UTF-8");
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let project = &state.project;
    match rest.as_slice() {
        ["experiments"] => {
            let limit = match param(q, "limit") {
                None | Some("") => None,
                Some(n) => match n.parse::<usize>() {
                    Ok(n) => Some(n),
                    Err(_) => return http::message(400, "limit is a whole number"),
                },
            };
            answer(experiments_list(state, q, limit))
        }
        ["filter"] => {
            // A filter checked without listing: 200 either way, so a page that checks as the
            // user types logs no failed request.
            let opts = ops::exp::ListOptions {
                filter: param(q, "filter").map(str::to_owned),
                sort: param(q, "sort").filter(|s| !s.trim().is_empty()).map(str::to_owned),
                limit: Some(0),
                ..Default::default()
            };
            match ops::exp::list_experiments(project, &opts) {
                Ok(_) => http::json(200, &serde_json::json!({ "valid": true })),
                Err(e) if e.is_input_error() => http::invalid(&e),
                Err(e) => http::error(&e),
            }
        }
        ["experiments", id] => answer(detail(state, id)),
        ["experiments", id, "history"] | ["runs", id, "history"] => {
            let Some(key) = param(q, "key") else {
                return http::message(400, "name the metric: ?key=KEY");
            };
            let points = match param(q, "points").map(str::parse::<usize>) {
                None => DEFAULT_POINTS,
                Some(Ok(n)) if (1..=MAX_POINTS).contains(&n) => n,
                Some(_) => {
                    return http::message(
                        400,
                        &format!("points is a whole number from 1 to {MAX_POINTS}"),
                    );
                }
            };
            match metric_history(state, id, key, points) {
                Ok(h) => http::json(200, &*h),
                Err(e) => http::error(&e),
            }
        }
        ["runs", id, "log"] => log(state, id),
        ["runs", id, "artifacts", path @ ..] if !path.is_empty() => {
            artifact(state, id, &path.join("/"))
        }
        ["runs", id, "files", path @ ..] if !path.is_empty() => {
            answer(files(state, id, &path.join("/")))
        }
        ["dag"] => answer(ops::dag::run(project, &ops::dag::DagOptions::default())),
        ["data", "files"] => answer(super::data::files(state)),
        ["data", "drift"] => data_drift(state, q),
        ["plots"] => answer(compare_plots(state, &list(q, "exp"))),
        ["changes"] => {
            let since = match param(q, "since") {
                None | Some("") => None,
                Some(text) => match history::Cursor::parse(text) {
                    Some(c) => Some(c),
                    None => return http::message(400, "since is a cursor an earlier answer gave"),
                },
            };
            answer(changes(state, since))
        }
        ["session"] => http::json(
            200,
            &serde_json::json!({
                "project": project.root().file_name().map(|n| n.to_string_lossy().into_owned()),
                "mlx_version": env!("CARGO_PKG_VERSION"),
                "read_only": false,
            }),
        ),
        _ => http::message(404, "no such endpoint"),
    }
}

/// `GET /api/data/drift?path=P&from=REV[&to=REV]` or `?path=P&exp=A&exp=B`.
fn data_drift(state: &State, q: &[(String, String)]) -> Response<Body> {
    let given = |name| param(q, name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let Some(path) = given("path") else {
        return http::message(400, "name the data file: ?path=PATH");
    };
    let query = super::data::DriftQuery {
        path,
        from: given("from"),
        to: given("to"),
        exps: q.iter().filter(|(k, _)| k == "exp").map(|(_, v)| v.trim().to_owned()).collect(),
    };
    match super::data::drift(state, &query) {
        Ok(view) => http::json(200, &view),
        Err(super::data::Failed::Refused(r)) => http::message(400, &r.to_string()),
        Err(super::data::Failed::Error(e)) => http::error(&e),
    }
}

fn experiments_list(
    state: &State,
    q: &[(String, String)],
    limit: Option<usize>,
) -> crate::error::Result<ops::exp::ExperimentList> {
    let opts = ops::exp::ListOptions {
        filter: param(q, "filter").map(str::to_owned),
        sort: param(q, "sort").filter(|s| !s.trim().is_empty()).map(str::to_owned),
        commits: list(q, "commit"),
        limit,
        columns: ops::exp::ColumnOptions {
            only_changed: param(q, "only_changed").is_some_and(|v| v == "1" || v == "true"),
            columns: list(q, "columns"),
            drop: list(q, "drop"),
        },
    };
    ops::exp::list_experiments(&state.project, &opts)
}

/// One artifact of a run shown on an experiment's page.
#[derive(Debug, Serialize)]
pub struct ShownArtifact {
    pub run: RunId,
    pub stage: Option<String>,
    #[serde(flatten)]
    pub artifact: artifacts::Artifact,
}

/// `GET /api/experiments/ID`: what `mlx exp show --json` shows, the artifacts of its runs, and
/// the metric keys each run logged.
#[derive(Debug, Serialize)]
pub struct Detail {
    /// `experiment` (a pipeline's) or `run` (a command's experiment, or a run named directly).
    pub subject: &'static str,
    pub detail: ops::exp::Shown,
    pub artifacts: Vec<ShownArtifact>,
    /// The runs shown, each with its stage and its metric keys (for plotting histories).
    pub runs: Vec<RunMetrics>,
}

#[derive(Debug, Serialize)]
pub struct RunMetrics {
    pub run: RunId,
    pub stage: Option<String>,
    pub status: String,
    pub metrics: Vec<String>,
}

fn detail(state: &State, id: &str) -> crate::error::Result<Detail> {
    let shown = ops::exp::show(&state.project, id)?;
    let conn = state.project.open_db()?;
    let runs: Vec<(RunId, Option<String>, String)> = match &shown {
        ops::exp::Shown::Run(r) => vec![(r.id.clone(), None, r.status.clone())],
        ops::exp::Shown::Experiment(e) => {
            e.runs.iter().map(|r| (r.id.clone(), r.stage.clone(), r.status.clone())).collect()
        }
    };
    let mut shown_artifacts = Vec::new();
    let mut metrics = Vec::new();
    for (run, stage, status) in runs {
        for artifact in artifacts::of_run(&conn, &run)? {
            shown_artifacts.push(ShownArtifact {
                run: run.clone(),
                stage: stage.clone(),
                artifact,
            });
        }
        let keys = history::metric_keys(&conn, &run)?;
        metrics.push(RunMetrics { run, stage, status, metrics: keys });
    }
    let subject = match shown {
        ops::exp::Shown::Run(_) => "run",
        ops::exp::Shown::Experiment(_) => "experiment",
    };
    Ok(Detail { subject, detail: shown, artifacts: shown_artifacts, runs: metrics })
}

/// The runs an experiment (or a run named directly) shows.
fn shown_runs(conn: &rusqlite::Connection, text: &str) -> crate::error::Result<Vec<RunId>> {
    Ok(match experiments::resolve(conn, text)? {
        Subject::Run(id) => vec![id],
        Subject::Experiment(id) => experiments::member_runs(conn, &id)?,
    })
}

/// The history of `key` (`KEY`, or `STAGE:KEY` as experiment columns name a key its stages
/// disagree on) in the first shown run that logged it.
fn metric_history(
    state: &State,
    id: &str,
    key: &str,
    points: usize,
) -> crate::error::Result<Arc<history::History>> {
    let conn = state.project.open_db()?;
    let runs = runs_query::records(&conn, &shown_runs(&conn, id)?)?;
    let (stage, bare) = match key.split_once(':') {
        Some((stage, bare)) if runs.iter().any(|r| r.stage.as_deref() == Some(stage)) => {
            (Some(stage), bare)
        }
        _ => (None, key),
    };
    let run = runs
        .iter()
        .filter(|r| stage.is_none() || r.stage.as_deref() == stage)
        .find(|r| r.metrics.keys().any(|k| k.as_str() == bare))
        .or_else(|| runs.first());
    let Some(run) = run else {
        return Err(crate::tracking::Error::UnknownRun { prefix: id.to_owned() }.into());
    };
    let version = history::last_point(&conn)?;
    if let Some(cached) = state.histories.get(&run.id, bare, points, version) {
        return Ok(cached);
    }
    let read = Arc::new(history::history(&conn, &run.id, bare, points)?);
    state.histories.put(points, version, Arc::clone(&read));
    Ok(read)
}

/// `GET /api/plots?exp=ID&exp=ID…`: the project's plots files as each experiment's result
/// holds them, overlaid (what `mlx plots diff --exp …` draws). A chart comes as the SVG
/// `mlx plots` renders, and images as they are, each as a `data:` URI for an `<img>` (where no
/// script ever runs); the series drawn are listed beside.
#[derive(Debug, Serialize)]
struct ComparedPlots {
    sides: Vec<crate::compare::side::SideInfo>,
    plots: Vec<ShownPlot>,
    problems: Vec<crate::plots::Problem>,
}

#[derive(Debug, Serialize)]
struct ShownPlot {
    name: String,
    kind: crate::plots::Kind,
    template: crate::plots::Template,
    title: String,
    /// The chart as `data:image/svg+xml;base64,…` (a confusion matrix per series); none for
    /// images and plots with no data.
    charts: Vec<String>,
    series: Vec<ShownSeries>,
    images: Vec<ShownImage>,
}

#[derive(Debug, Serialize)]
struct ShownSeries {
    label: String,
    side: String,
    points: usize,
}

#[derive(Debug, Serialize)]
struct ShownImage {
    label: String,
    side: String,
    /// `data:MIME;base64,…`
    src: String,
}

fn data_uri(mime: &str, bytes: &[u8]) -> String {
    let mut out = format!("data:{mime};base64,");
    crate::plots::html::base64(bytes, &mut out);
    out
}

fn compare_plots(state: &State, exps: &[String]) -> crate::error::Result<ComparedPlots> {
    if exps.is_empty() {
        return Ok(ComparedPlots { sides: Vec::new(), plots: Vec::new(), problems: Vec::new() });
    }
    let opts = ops::plots::PlotsOptions {
        exps: exps.to_vec(),
        without_histories: true,
        ..Default::default()
    };
    let report = ops::plots::resolve(&state.project, &opts, &crate::progress::NoProgress)?;
    let plots = report
        .plots
        .iter()
        .map(|p| ShownPlot {
            name: p.name.clone(),
            kind: p.kind,
            template: p.template,
            title: p.title.clone(),
            charts: if p.series.is_empty() {
                Vec::new()
            } else {
                crate::plots::svg::render_each(p)
                    .iter()
                    .map(|svg| data_uri("image/svg+xml", svg.as_bytes()))
                    .collect()
            },
            series: p
                .series
                .iter()
                .map(|s| ShownSeries {
                    label: s.label.clone(),
                    side: s.side.clone(),
                    points: s.points.len(),
                })
                .collect(),
            images: p
                .images
                .iter()
                .map(|i| ShownImage {
                    label: i.label.clone(),
                    side: i.side.clone(),
                    src: data_uri(i.mime, &i.bytes),
                })
                .collect(),
        })
        .collect();
    Ok(ComparedPlots { sides: report.sides, plots, problems: report.problems })
}

#[derive(Debug, Serialize)]
struct Changed {
    #[serde(flatten)]
    changes: history::Changes,
}

fn changes(state: &State, since: Option<history::Cursor>) -> crate::error::Result<Changed> {
    let conn = state.project.open_db()?;
    // Experiments whose recording mlx died show as failed, not running forever.
    crate::tracking::launch::reap(&state.project, &conn)?;
    Ok(Changed { changes: history::changes(&conn, since)? })
}

fn object_response(state: &State, hash: &str, content_type: &str) -> Response<Body> {
    let Ok(id) = crate::store::ObjectId::from_hex(hash) else {
        return http::message(500, "the recorded hash is not a valid object id");
    };
    // The path is made from a checked hash only: it can never leave the cache.
    let path = match state.project.cache().whole_path(&id) {
        Ok(path) => path,
        Err(e) => return http::message(500, &e.to_string()),
    };
    match fs_err::File::open(&path) {
        Ok(file) => {
            let len = file.metadata().ok().map(|m| m.len());
            http::stream(file, len, content_type)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => http::message(
            404,
            "the object is not in this clone's cache (fetch it with: mlx fetch --runs)",
        ),
        Err(e) => http::message(500, &e.to_string()),
    }
}

/// `GET /api/runs/RUN/log`: the stored log, or the output a running run has written so far.
fn log(state: &State, id: &str) -> Response<Body> {
    let run = match state.project.open_db().map_err(crate::error::Error::from).and_then(|conn| {
        let runs = shown_runs(&conn, id)?;
        let run = runs.into_iter().next();
        let stored = match &run {
            Some(r) => artifacts::log_of(&conn, r)?,
            None => None,
        };
        Ok((run, stored))
    }) {
        Ok(found) => found,
        Err(e) => return http::error(&e),
    };
    let text = "text/plain; charset=utf-8";
    match run {
        (Some(_), Some(stored)) => object_response(state, &stored.hash, text),
        (Some(run), None) => {
            let live = artifacts::live_log(&state.project, &run);
            match fs_err::File::open(&live) {
                Ok(file) => http::stream(file, None, text),
                Err(_) => http::bytes(200, text, Bytes::new()),
            }
        }
        (None, _) => http::message(404, "the experiment has no run"),
    }
}

/// The recorded artifacts of the runs `id` shows.
fn artifacts_of(state: &State, id: &str) -> crate::error::Result<Vec<artifacts::Artifact>> {
    let conn = state.project.open_db()?;
    let mut all = Vec::new();
    for run in shown_runs(&conn, id)? {
        all.extend(artifacts::of_run(&conn, &run)?);
    }
    Ok(all)
}

/// The manifest of a directory artifact, read from the cache and checked against its hash.
fn manifest_of(
    state: &State,
    dir: &artifacts::Artifact,
) -> crate::error::Result<crate::store::manifest::Manifest> {
    let id = dir.object()?;
    let bytes = state.project.cache().read_verified(&id)?;
    Ok(crate::store::manifest::Manifest::decode(id, &bytes)?)
}

/// One file of a directory artifact.
#[derive(Debug, Serialize)]
pub struct ArtifactFile {
    /// Relative to the directory.
    pub path: String,
    pub size: u64,
    pub hash: String,
}

/// `GET /api/runs/RUN/files/DIR`: the files of a directory artifact.
#[derive(Debug, Serialize)]
pub struct ArtifactFiles {
    pub path: String,
    pub files: Vec<ArtifactFile>,
}

fn files(state: &State, id: &str, path: &str) -> crate::error::Result<ArtifactFiles> {
    let all = artifacts_of(state, id)?;
    let Some(dir) = all.iter().find(|a| a.path == path && a.is_directory()) else {
        let known = all.iter().filter(|a| a.is_directory()).map(|a| a.path.clone()).collect();
        return Err(crate::tracking::artifacts::ArtifactError::Unknown {
            run: RunId::from_db(id.to_owned()),
            name: path.to_owned(),
            closest: None,
            known,
        }
        .into());
    };
    let files = manifest_of(state, dir)?
        .entries()
        .iter()
        .filter_map(|e| match &e.kind {
            crate::store::manifest::EntryKind::File { hash, size, .. } => Some(ArtifactFile {
                path: e.path.as_path().to_string_lossy().into_owned(),
                size: *size,
                hash: hash.to_string(),
            }),
            _ => None,
        })
        .collect();
    Ok(ArtifactFiles { path: dir.path.clone(), files })
}

/// `GET /api/runs/RUN/artifacts/PATH`: the content of one of the run's recorded artifacts (a
/// file, the log, or a file of a recorded directory as its manifest lists it), from the cache by
/// its hash. Any other path is 404.
fn artifact(state: &State, id: &str, path: &str) -> Response<Body> {
    let all = match artifacts_of(state, id) {
        Ok(all) => all,
        Err(e) => return http::error(&e),
    };
    let missing = || http::message(404, &format!("no artifact {path:?} is recorded for {id}"));
    let name = path.rsplit('/').next().unwrap_or("artifact").to_owned();
    if let Some(a) = all.iter().find(|a| a.path == path) {
        if a.is_directory() {
            return http::message(
                404,
                &format!(
                    "{path:?} is a directory: its files are listed at /api/runs/{id}/files/{path}"
                ),
            );
        }
        let name = if a.kind == artifacts::LOG_KIND { format!("{id}.log") } else { name };
        return http::attachment(
            object_response(state, &a.hash, "application/octet-stream"),
            &name,
        );
    }
    // A file inside a recorded directory: only a name its manifest lists.
    let Some((dir, inner)) = all.iter().filter(|a| a.is_directory()).find_map(|a| {
        path.strip_prefix(a.path.as_str()).and_then(|r| r.strip_prefix('/')).map(|r| (a, r))
    }) else {
        return missing();
    };
    let manifest = match manifest_of(state, dir) {
        Ok(m) => m,
        Err(e) => return http::error(&e),
    };
    let hash = manifest.entries().iter().find_map(|e| match &e.kind {
        crate::store::manifest::EntryKind::File { hash, .. }
            if e.path.as_path() == std::path::Path::new(inner) =>
        {
            Some(hash.to_string())
        }
        _ => None,
    });
    match hash {
        Some(hash) => {
            http::attachment(object_response(state, &hash, "application/octet-stream"), &name)
        }
        None => missing(),
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TagEdit {
    #[serde(default)]
    set: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteEdit {
    text: String,
}

/// What a tag or note write changed.
#[derive(Debug, Serialize)]
pub struct Tagged {
    /// The runs written to: the run named, or the runs the experiment made.
    pub runs: Vec<RunId>,
    pub set: usize,
    pub removed: usize,
}

fn write(state: &State, method: &Method, rest: &[String], body: &[u8]) -> Response<Body> {
    let Some(rest) = rest.iter().map(|s| http::decode(s)).collect::<Option<Vec<String>>>() else {
        return http::message(400, "the path is not valid percent-encoded UTF-8");
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match (method, rest.as_slice()) {
        (&Method::POST, ["experiments", id, "tags"]) => {
            match serde_json::from_slice::<TagEdit>(body) {
                Ok(edit) if edit.set.keys().chain(&edit.remove).any(|k| k.trim().is_empty()) => {
                    http::message(400, "a tag needs a name")
                }
                Ok(edit) => answer(tag(state, id, &edit)),
                Err(e) => http::message(
                    400,
                    &format!("a tag edit reads {{\"set\": {{…}}, \"remove\": […]}}: {e}"),
                ),
            }
        }
        (&Method::POST, ["experiments", id, "note"]) => {
            match serde_json::from_slice::<NoteEdit>(body) {
                Ok(note) => {
                    let edit = if note.text.trim().is_empty() {
                        TagEdit { set: Default::default(), remove: vec![NOTE_TAG.to_owned()] }
                    } else {
                        TagEdit {
                            set: [(NOTE_TAG.to_owned(), note.text)].into_iter().collect(),
                            remove: Vec::new(),
                        }
                    };
                    answer(tag(state, id, &edit))
                }
                Err(e) => http::message(400, &format!("a note reads {{\"text\": \"…\"}}: {e}")),
            }
        }
        (&Method::DELETE, ["experiments", id]) => answer(ops::exp::rm(
            &state.project,
            &ops::exp::RmOptions { runs: vec![(*id).to_owned()], force: false },
        )),
        _ => http::message(404, "no such endpoint"),
    }
}

fn tag(state: &State, id: &str, edit: &TagEdit) -> crate::error::Result<Tagged> {
    let mut conn = state.project.open_db()?;
    let targets = match experiments::resolve(&conn, id)? {
        Subject::Run(run) => vec![run],
        Subject::Experiment(exp) => experiments::own_runs(&conn, &exp)?,
    };
    let kv: Vec<(String, String)> = edit.set.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut removed = 0;
    for run in &targets {
        if !kv.is_empty() {
            runs::set_tags(&mut conn, run, &kv)?;
        }
        if !edit.remove.is_empty() {
            removed += runs::remove_tags(&mut conn, run, &edit.remove)?;
        }
    }
    Ok(Tagged { set: kv.len() * targets.len(), removed, runs: targets })
}
