//! `mlx metrics show [REV]` and `mlx metrics diff [REV_A [REV_B]]`: the metrics files stages
//! declare, on one side or compared between two (the reading and comparing is
//! [`crate::compare::metrics`], shared with `mlx report`).

pub use crate::compare::metrics::{
    FileError, MetricDiff, MetricsDiffOptions, MetricsDiffReport, MetricsFile, MetricsShowOptions,
    MetricsShowReport,
};

use super::Result;
use crate::compare;
use crate::project::Project;

pub fn show(project: &Project, opts: &MetricsShowOptions) -> Result<MetricsShowReport> {
    compare::metrics::show(project, opts)
}

pub fn diff(project: &Project, opts: &MetricsDiffOptions) -> Result<MetricsDiffReport> {
    compare::metrics::diff(project, opts)
}
