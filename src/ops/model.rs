//! `mlx model …`: the model registry. Versions are registered, assigned to stages, rolled back
//! and deprecated as annotated git tags in GTO's grammar (`crate::models`); each version
//! resolves to its artifact (the tracked path at the tagged commit and its hash), the run that
//! produced it, the data that run read and its metrics. Tags are made locally and never pushed:
//! publishing them is `git push`'s business.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Result;
use crate::git::{self, Repo};
use crate::models::artifact::{self, Resolved, Trailers};
use crate::models::mlflow::{self, MlflowModel, MlflowVersion};
use crate::models::state::{Pick, Reference};
use crate::models::{self, Action, ArtifactState, Bump, Event, Registry, SemVer, TagName};
use crate::project::Project;
use crate::tracking::inputs::{self, RunInput};
use crate::tracking::query::{self, RunRecord};
use crate::tracking::{RunId, artifacts as run_artifacts, lookup};

/// How to publish a tag: the command to show after making one.
pub fn push_command(tag: &str) -> String {
    if tag.contains('#') || tag.contains('!') {
        format!("git push origin '{tag}'")
    } else {
        format!("git push origin {tag}")
    }
}

/// A tag made by a command.
#[derive(Debug, Serialize)]
pub struct TagReport {
    pub model: String,
    /// The event it records: `registration`, `assignment`, `deregistration`, `deprecation`.
    pub event: &'static str,
    pub version: Option<String>,
    pub stage: Option<String>,
    /// For a rollback: the version that held the stage until now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
    pub tag: String,
    pub commit: String,
    /// What publishes it.
    pub push: String,
    /// For a registration: the artifact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Resolved>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunId>,
    /// `artifacts.yaml` got an entry for the model (commit it).
    pub annotated: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RegisterOptions {
    pub name: String,
    /// The artifact's path (relative to `cwd`).
    pub path: Option<PathBuf>,
    /// A run whose artifact is registered.
    pub run: Option<String>,
    /// Which of the run's artifacts (needed when it has several).
    pub run_artifact: Option<String>,
    pub version: Option<String>,
    pub bump: Option<Bump>,
    pub message: Option<String>,
    /// The commit to tag (default: HEAD, or the run's commit with --run).
    pub rev: Option<String>,
    pub cwd: PathBuf,
}

/// The repository and its registry: git alone, so that commands that only read or make tags
/// work in any git repository, before `mlx init` (as GTO does).
fn open(root: &Path) -> Result<(Repo, Registry)> {
    let repo = Repo::open(root)?;
    let registry = Registry::read(&repo)?;
    Ok((repo, registry))
}

/// `v1.2.3` from `v1.2.3` or `1.2.3`.
fn version_arg(text: &str) -> std::result::Result<SemVer, models::Error> {
    let v = if text.starts_with('v') { text.to_owned() } else { format!("v{text}") };
    SemVer::parse(&v).ok_or_else(|| models::Error::InvalidVersion { version: text.to_owned() })
}

fn make_tag(root: &Path, tag: &TagName, commit: &str, message: &str) -> Result<()> {
    git::tags::create_annotated(root, &tag.format(), commit, message)?;
    Ok(())
}

pub fn register(project: &Project, opts: &RegisterOptions) -> Result<TagReport> {
    models::check_name("model name", &opts.name)?;
    let (repo, reg) = open(project.root())?;
    let empty = ArtifactState::default();
    let state = reg.artifacts.get(&opts.name).unwrap_or(&empty);
    let mut trailers = Trailers::default();
    let mut run_id = None;
    let (rev, resolved, annotated) = if let Some(run) = &opts.run {
        let conn = project.open_db()?;
        let id = lookup::resolve(&conn, run)?;
        let recorded: Vec<_> = run_artifacts::of_run(&conn, &id)?
            .into_iter()
            .filter(|a| a.kind != run_artifacts::LOG_KIND)
            .collect();
        let chosen = match &opts.run_artifact {
            Some(name) => {
                let wanted = name.trim_end_matches('/');
                recorded.iter().find(|a| a.path == wanted).cloned().ok_or_else(|| {
                    run_artifacts::ArtifactError::Unknown {
                        run: id.clone(),
                        name: name.clone(),
                        closest: crate::text::closest(
                            wanted,
                            recorded.iter().map(|a| a.path.as_str()),
                        )
                        .map(str::to_owned),
                        known: recorded.iter().map(|a| a.path.clone()).collect(),
                    }
                })?
            }
            None if recorded.len() == 1 => recorded[0].clone(),
            None => {
                return Err(run_artifacts::ArtifactError::Unknown {
                    run: id.clone(),
                    name: "(name one: mlx model register NAME --run RUN ARTIFACT)".into(),
                    closest: None,
                    known: recorded.iter().map(|a| a.path.clone()).collect(),
                }
                .into());
            }
        };
        chosen.object()?;
        let record = query::records(&conn, std::slice::from_ref(&id))?.into_iter().next();
        let spec = match (&opts.rev, record.and_then(|r| r.commit)) {
            (Some(r), _) => r.clone(),
            (None, Some(c)) => c,
            (None, None) => "HEAD".to_owned(),
        };
        let rev = repo.resolve(&spec)?;
        trailers.path = Some(chosen.path.clone());
        trailers.kind = Some(chosen.kind.clone());
        trailers.hash = Some(chosen.hash.clone());
        trailers.run = Some(id.to_string());
        run_id = Some(id);
        let resolved = Resolved {
            path: chosen.path.clone(),
            kind: chosen.kind.clone(),
            hash: chosen.hash.clone(),
            size: Some(chosen.size),
            files: None,
            source: "run".into(),
            stage: None,
        };
        (rev, resolved, false)
    } else {
        let rev = repo.resolve(opts.rev.as_deref().unwrap_or("HEAD"))?;
        let path = match &opts.path {
            Some(p) => {
                let rel = crate::project_path::resolve_user_path(project.root(), &opts.cwd, p)?;
                rel.to_string()
            }
            None => artifact::path_of(&repo, &rev, &opts.name, &Trailers::default())?
                .ok_or_else(|| models::Error::NoPath { artifact: opts.name.clone() })?,
        };
        let resolved = artifact::resolve_path(&repo, &rev, &path)?.ok_or_else(|| {
            models::Error::NotTracked { path: path.clone(), commit: rev.commit.clone() }
        })?;
        trailers.path = Some(resolved.path.clone());
        let annotated = match &opts.path {
            Some(_) => annotate(project, &opts.name, &resolved.path)?,
            None => false,
        };
        (rev, resolved, annotated)
    };
    if let Some(v) = state.active_at(&rev.commit) {
        return Err(models::Error::VersionAtCommit {
            artifact: opts.name.clone(),
            version: v.version.clone(),
            commit: rev.commit.clone(),
        }
        .into());
    }
    let version = match (&opts.version, opts.bump) {
        (Some(v), _) => {
            let v = version_arg(v)?;
            if state.version(&v.to_string()).is_some() {
                return Err(models::Error::VersionExists {
                    artifact: opts.name.clone(),
                    version: v.to_string(),
                }
                .into());
            }
            v
        }
        (None, bump) => match (state.greatest().and_then(|v| v.semver.clone()), bump) {
            (Some(last), bump) => last.bump(bump.unwrap_or(Bump::Patch)),
            (None, Some(_)) => {
                return Err(models::Error::BumpFirst { artifact: opts.name.clone() }.into());
            }
            (None, None) => SemVer::minimal(),
        },
    };
    let tag = TagName {
        artifact: opts.name.clone(),
        action: Action::Register { version: version.clone() },
        counter: None,
    };
    let first = opts.message.clone().unwrap_or_else(|| tag.default_message(None));
    let message = format!("{first}\n\n{}", trailers.encode());
    make_tag(project.root(), &tag, &rev.commit, &message)?;
    Ok(TagReport {
        model: opts.name.clone(),
        event: "registration",
        version: Some(version.to_string()),
        stage: None,
        replaced: None,
        push: push_command(&tag.format()),
        tag: tag.format(),
        commit: rev.commit,
        artifact: Some(resolved),
        run: run_id,
        annotated,
    })
}

/// Record `path` for `name` in `artifacts.yaml` when the project keeps that file and it has no
/// path for the model yet. Whether it wrote.
fn annotate(project: &Project, name: &str, path: &str) -> Result<bool> {
    let rel = crate::project_path::RelPath::new(artifact::ARTIFACTS_FILE).expect("a plain name");
    let file = project.root().join(artifact::ARTIFACTS_FILE);
    let Ok(text) = fs_err::read_to_string(&file) else { return Ok(false) };
    let mut all = artifact::parse_annotations(&text)?;
    let entry = all.entry(name.to_owned()).or_default();
    if entry.path.is_some() {
        return Ok(false);
    }
    entry.path = Some(path.to_owned());
    if entry.kind.is_none() {
        entry.kind = Some("model".into());
    }
    let dest = project.work_tree().writable(&rel)?;
    crate::fs_util::write_atomic(&dest, artifact::encode_annotations(&all)?.as_bytes())?;
    Ok(true)
}

/// One model in the list.
#[derive(Debug, Serialize)]
pub struct ModelSummary {
    pub name: String,
    /// Which registry holds it: `git` (tags, GTO's grammar) or `mlflow` (MLflow's registry,
    /// in the project's database: versions registered through MLflow's client).
    pub registry: &'static str,
    /// The greatest active version (GTO's "latest").
    pub latest: Option<String>,
    /// Active versions.
    pub versions: usize,
    /// Each stage with the version holding it.
    pub stages: BTreeMap<String, String>,
    pub deprecated: bool,
}

#[derive(Debug, Serialize)]
pub struct ListReport {
    pub models: Vec<ModelSummary>,
}

/// The models of the git registry, then those of MLflow's registry (when there is a project).
pub fn list(root: &Path, project: Option<&Project>) -> Result<ListReport> {
    let (_, reg) = open(root)?;
    let mut models: Vec<ModelSummary> = reg
        .artifacts
        .values()
        .map(|a| ModelSummary {
            name: a.name.clone(),
            registry: "git",
            latest: a.latest().map(|v| v.version.clone()),
            versions: a.versions.iter().filter(|v| v.is_active()).count(),
            stages: a.stage_holders(),
            deprecated: a.deprecated,
        })
        .collect();
    if let Some(conn) = mlflow_db(project)? {
        models.extend(mlflow::models(&conn)?.into_iter().map(|m| ModelSummary {
            registry: "mlflow",
            latest: m.versions.iter().map(|v| v.version).max().map(|v| v.to_string()),
            versions: m.versions.len(),
            stages: BTreeMap::new(),
            deprecated: false,
            name: m.name,
        }));
    }
    Ok(ListReport { models })
}

/// The project's database, to read MLflow's registry from; `None` outside a project.
fn mlflow_db(project: Option<&Project>) -> Result<Option<rusqlite::Connection>> {
    project.map(|p| p.open_db().map_err(Into::into)).transpose()
}

/// A version in `show`'s list.
#[derive(Debug, Serialize)]
pub struct VersionRow {
    pub version: String,
    pub commit: String,
    pub stages: Vec<String>,
    pub registered: bool,
    pub deregistered: bool,
    pub created_at: String,
    pub author: String,
    #[serde(rename = "ref")]
    pub tag: Option<String>,
}

/// The run behind a version.
#[derive(Debug, Serialize)]
pub struct VersionRun {
    #[serde(flatten)]
    pub record: RunRecord,
    /// The data and deps it read.
    pub inputs: Vec<RunInput>,
}

/// One version in full.
#[derive(Debug, Serialize)]
pub struct VersionDetail {
    pub version: String,
    pub commit: String,
    pub stages: Vec<String>,
    pub created_at: String,
    pub author: String,
    #[serde(rename = "ref")]
    pub tag: Option<String>,
    pub message: String,
    /// The artifact: path and hash at the commit; absent when it cannot be resolved.
    pub artifact: Option<Resolved>,
    /// Why the artifact could not be resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
    /// The run that produced it, when one is recorded here.
    pub run: Option<VersionRun>,
}

/// A version of MLflow's registry in full: the run behind it, with its data and metrics.
#[derive(Debug, Serialize)]
pub struct MlflowVersionDetail {
    #[serde(flatten)]
    pub version: MlflowVersion,
    /// The run that logged it, when it is recorded here.
    pub run: Option<VersionRun>,
}

#[derive(Debug, Serialize)]
pub struct ShowReport {
    pub model: String,
    /// Which registry the model was found in: `git`, or `mlflow` when only MLflow's registry
    /// has a model of that name.
    pub registry: &'static str,
    /// The model of that name in MLflow's registry, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mlflow: Option<MlflowModel>,
    /// For `NAME@N`: version N of MLflow's registry, in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mlflow_version: Option<MlflowVersionDetail>,
    pub deprecated: bool,
    pub stages: BTreeMap<String, String>,
    pub versions: Vec<VersionRow>,
    /// The version the reference picks (for a bare name: the latest).
    pub version: Option<VersionDetail>,
    /// Whether the reference named a version or stage (not only the model).
    pub picked: bool,
}

/// A model and the version a reference picks; the run behind it comes from the project's
/// database when there is a project (`None`: a plain git repository).
pub fn show(root: &Path, project: Option<&Project>, reference: &str) -> Result<ShowReport> {
    let (repo, reg) = open(root)?;
    let conn = mlflow_db(project)?;
    if let Some(conn) = &conn {
        // `NAME@N`: MLflow's version N (the git registry's versions are `vX.Y.Z`).
        if let Some((name, n)) = mlflow::split_reference(reference)
            && let Some(m) = mlflow::model(conn, name)?
        {
            let Some(v) = m.versions.iter().find(|v| v.version == n).cloned() else {
                return Err(models::Error::UnknownVersion {
                    artifact: m.name.clone(),
                    version: n.to_string(),
                }
                .into());
            };
            let run = match &v.run_id {
                Some(id) => version_run(conn, id)?,
                None => None,
            };
            return Ok(mlflow_only(m, Some(MlflowVersionDetail { version: v, run }), true));
        }
        // A name only MLflow's registry knows (its names need not follow GTO's rules).
        if !reg.artifacts.contains_key(reference)
            && let Some(m) = mlflow::model(conn, reference)?
        {
            return Ok(mlflow_only(m, None, false));
        }
    }
    let r = Reference::parse(reference)?;
    let picked = reference.contains(['@', '#']);
    let a = reg.artifact(&r.name)?;
    let mlflow = match &conn {
        Some(conn) => mlflow::model(conn, &r.name)?,
        None => None,
    };
    let versions = a
        .versions
        .iter()
        .map(|v| VersionRow {
            version: v.version.clone(),
            commit: v.commit.clone(),
            stages: a.stages_of(&v.version),
            registered: v.registered,
            deregistered: v.deregistered,
            created_at: v.created_at.clone(),
            author: v.author.clone(),
            tag: v.tag.clone(),
        })
        .collect();
    let chosen = match reg.resolve(&r) {
        Ok((_, v)) => Some(v),
        Err(e) if picked || !matches!(r.pick, Pick::Latest) => return Err(e.into()),
        Err(_) => None,
    };
    let version = match chosen {
        Some(v) => Some(detail(project, &repo, a, v)?),
        None => None,
    };
    Ok(ShowReport {
        model: a.name.clone(),
        registry: "git",
        mlflow,
        mlflow_version: None,
        deprecated: a.deprecated,
        stages: a.stage_holders(),
        versions,
        version,
        picked,
    })
}

/// A model only MLflow's registry has.
fn mlflow_only(m: MlflowModel, picked: Option<MlflowVersionDetail>, named: bool) -> ShowReport {
    ShowReport {
        model: m.name.clone(),
        registry: "mlflow",
        mlflow: Some(m),
        mlflow_version: picked,
        deprecated: false,
        stages: BTreeMap::new(),
        versions: Vec::new(),
        version: None,
        picked: named,
    }
}

/// Run `id` as `show` gives it: its record and the data it read.
fn version_run(conn: &rusqlite::Connection, id: &str) -> Result<Option<VersionRun>> {
    let Ok(id) = lookup::resolve(conn, id) else { return Ok(None) };
    let Some(record) = query::records(conn, std::slice::from_ref(&id))?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(VersionRun { record, inputs: inputs::of_run(conn, &id)? }))
}

/// A version's artifact and the run behind it.
fn detail(
    project: Option<&Project>,
    repo: &Repo,
    a: &ArtifactState,
    v: &models::VersionState,
) -> Result<VersionDetail> {
    let (artifact, unresolved) = artifact::resolve_version(repo, a, v)?;
    let trailers = Trailers::parse(&v.message);
    let mut run = None;
    let conn = project.and_then(|p| p.open_db().ok());
    if let Some(conn) = &conn {
        let mut id = None;
        if let Some(text) = &trailers.run {
            id = lookup::resolve(conn, text).ok();
        }
        if id.is_none()
            && let Some(found) = &artifact
        {
            id = crate::tracking::runs::producer(conn, &found.hash, found.stage.as_deref(), None)?;
        }
        if let Some(id) = id
            && let Some(record) =
                query::records(conn, std::slice::from_ref(&id))?.into_iter().next()
        {
            run = Some(VersionRun { record, inputs: inputs::of_run(conn, &id)? });
        }
    }
    Ok(VersionDetail {
        version: v.version.clone(),
        commit: v.commit.clone(),
        stages: a.stages_of(&v.version),
        created_at: v.created_at.clone(),
        author: v.author.clone(),
        tag: v.tag.clone(),
        message: v.message.lines().next().unwrap_or_default().to_owned(),
        artifact,
        unresolved,
        run,
    })
}

#[derive(Debug, Serialize)]
pub struct HistoryReport {
    pub model: String,
    /// Newest first.
    pub events: Vec<Event>,
}

pub fn history(root: &Path, name: &str) -> Result<HistoryReport> {
    let (_, reg) = open(root)?;
    let a = reg.artifact(name)?;
    Ok(HistoryReport { model: a.name.clone(), events: a.events.iter().rev().cloned().collect() })
}

pub fn assign(root: &Path, name: &str, version: &str, stage: &str) -> Result<TagReport> {
    models::check_name("stage", stage)?;
    let (_, reg) = open(root)?;
    let a = reg.artifact(name)?;
    let wanted = version_arg(version)?.to_string();
    let (_, v) = reg.resolve(&Reference { name: name.to_owned(), pick: Pick::Version(wanted) })?;
    if a.holder(stage).is_some_and(|h| h.version == v.version) {
        return Err(models::Error::AlreadyInStage {
            artifact: name.to_owned(),
            version: v.version.clone(),
            stage: stage.to_owned(),
        }
        .into());
    }
    let replaced = a.holder(stage).map(|h| h.version.clone());
    assign_tag(root, a, &v.version, &v.commit, stage, replaced)
}

fn assign_tag(
    root: &Path,
    a: &ArtifactState,
    version: &str,
    commit: &str,
    stage: &str,
    replaced: Option<String>,
) -> Result<TagReport> {
    let tag = TagName {
        artifact: a.name.clone(),
        action: Action::Assign { stage: stage.to_owned() },
        counter: Some(a.max_counter + 1),
    };
    make_tag(root, &tag, commit, &tag.default_message(Some(version)))?;
    Ok(TagReport {
        model: a.name.clone(),
        event: "assignment",
        version: Some(version.to_owned()),
        stage: Some(stage.to_owned()),
        replaced,
        push: push_command(&tag.format()),
        tag: tag.format(),
        commit: commit.to_owned(),
        artifact: None,
        run: None,
        annotated: false,
    })
}

pub fn rollback(root: &Path, name: &str, stage: &str) -> Result<TagReport> {
    models::check_name("stage", stage)?;
    let (_, reg) = open(root)?;
    let a = reg.artifact(name)?;
    let (current, previous) = a.rollback_target(stage)?;
    assign_tag(root, a, &previous.version, &previous.commit, stage, Some(current.version.clone()))
}

pub fn deprecate(root: &Path, name: &str, version: Option<&str>) -> Result<TagReport> {
    let (_, reg) = open(root)?;
    let a = reg.artifact(name)?;
    let (tag, commit, version, event) = match version {
        Some(text) => {
            let wanted = version_arg(text)?;
            let (_, v) = reg.resolve(&Reference {
                name: name.to_owned(),
                pick: Pick::Version(wanted.to_string()),
            })?;
            let tag = TagName {
                artifact: a.name.clone(),
                action: Action::Deregister { version: wanted },
                counter: None,
            };
            (tag, v.commit.clone(), Some(v.version.clone()), "deregistration")
        }
        None => {
            if a.deprecated {
                return Err(models::Error::AlreadyDeprecated { artifact: a.name.clone() }.into());
            }
            let tag =
                TagName { artifact: a.name.clone(), action: Action::Deprecate, counter: None };
            let commit = a.events.last().map(|e| e.commit.clone()).unwrap_or_default();
            (tag, commit, None, "deprecation")
        }
    };
    make_tag(root, &tag, &commit, &tag.default_message(None))?;
    Ok(TagReport {
        model: a.name.clone(),
        event,
        version,
        stage: None,
        replaced: None,
        push: push_command(&tag.format()),
        tag: tag.format(),
        commit,
        artifact: None,
        run: None,
        annotated: false,
    })
}
