//! `mlx params diff [REV_A [REV_B]]`: the params stages declare, compared between two sides (the
//! reading and comparing is [`crate::compare::params`], shared with `mlx report`).

pub use crate::compare::params::{ParamDiff, ParamsDiffOptions, ParamsDiffReport};

use super::Result;
use crate::compare;
use crate::project::Project;

pub fn diff(project: &Project, opts: &ParamsDiffOptions) -> Result<ParamsDiffReport> {
    compare::params::diff(project, opts)
}
