//! `mlx lineage PATH | RUN [--rev REV]`: how a file (or a run's result) came to be, walked back
//! through the stages that made it (see [`crate::lineage`]).

use std::path::{Path, PathBuf};

use super::Result;
use crate::lineage::{self, Lineage, LineageError, Start};
use crate::models;
use crate::project::Project;
use crate::project_path::resolve_user_path;
use crate::tracking::experiments::{self, Subject};

#[derive(Debug, Clone, Default)]
pub struct LineageOptions {
    /// A path (relative to `cwd`), a run (its id, a unique prefix, its name) or a command's
    /// experiment, or a model version (`NAME@v1.2.3`, `NAME#STAGE`, `NAME@latest`).
    pub target: String,
    /// Read `mlx.toml`, `mlx.lock` and pointers at this revision instead of the work tree.
    pub rev: Option<String>,
    pub cwd: PathBuf,
}

pub fn run(project: &Project, opts: &LineageOptions) -> Result<Lineage> {
    let conn = project.open_db()?;
    // A model version: its artifact's path, at the commit the version was registered on.
    if opts.target.contains(['@', '#'])
        && project.root().join(&opts.target).symlink_metadata().is_err()
        && let Ok(reference) = models::state::Reference::parse(&opts.target)
    {
        let repo = crate::git::Repo::open(project.root())?;
        let registry = models::Registry::read(&repo)?;
        let (_, version, found) =
            models::artifact::resolve_reference(&repo, &registry, &reference)?;
        let path = crate::project_path::ProjectPath::new(std::path::Path::new(&found.path))?;
        return lineage::walk(project, &conn, Some(version.commit.as_str()), Start::Path(&path));
    }
    let path = resolve_user_path(project.root(), &opts.cwd, Path::new(&opts.target));
    // A path that exists (or any path, with --rev) is a path; else a run if one has that name.
    if let Ok(path) = &path
        && (opts.rev.is_some() || project.root().join(path.as_path()).symlink_metadata().is_ok())
    {
        return lineage::walk(project, &conn, opts.rev.as_deref(), Start::Path(path));
    }
    match experiments::resolve(&conn, &opts.target) {
        Ok(Subject::Run(id)) => lineage::walk(project, &conn, opts.rev.as_deref(), Start::Run(&id)),
        Ok(Subject::Experiment(id)) if experiments::is_command_run(&conn, &id)? => {
            lineage::walk(project, &conn, opts.rev.as_deref(), Start::Run(&id))
        }
        Ok(Subject::Experiment(_)) => {
            Err(LineageError::PipelineExperiment { target: opts.target.clone() }.into())
        }
        Err(e) => match path {
            Ok(path) => lineage::walk(project, &conn, opts.rev.as_deref(), Start::Path(&path)),
            Err(_) => Err(e.into()),
        },
    }
}
