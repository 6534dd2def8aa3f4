//! `mlx data profile PATH [--rev REV]`: the profile of one version of a data file, stored by
//! content hash so that a version profiled once answers at once.

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
pub use super::data_versions::Origin;
use super::data_versions::{self, DataVersion};
use crate::progress::Reporter;
use crate::project::Project;
use crate::quality::Profile;

#[derive(Debug, Clone, Default)]
pub struct ProfileOptions {
    pub path: PathBuf,
    pub rev: Option<String>,
    /// Where relative paths start (canonical).
    pub cwd: PathBuf,
    /// The remote to read profiles and data from (default: the default remote).
    pub remote: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProfileReport {
    pub data: DataVersion,
    pub origin: Origin,
    pub profile: Profile,
}

pub fn run(
    project: &Project,
    opts: &ProfileOptions,
    reporter: &dyn Reporter,
) -> Result<ProfileReport> {
    let data = data_versions::resolve(
        project,
        &opts.cwd,
        &opts.path,
        opts.rev.as_deref(),
        opts.remote.as_deref(),
        reporter,
    )?;
    let (profile, origin) =
        data_versions::profile_of(project, &data, opts.remote.as_deref(), reporter)?;
    Ok(ProfileReport { data, origin, profile })
}
