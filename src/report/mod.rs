//! Reports for pull requests (`mlx report`): the workspace's metrics, params and plots set
//! against a base revision, as markdown (with plots as SVG files beside it) or as one
//! self-contained HTML page. Everything shown comes from [`crate::compare`]; this module only
//! assembles it and writes documents, with every text from the project escaped.

mod html;
mod markdown;

use serde::Serialize;

pub use html::html;
pub use markdown::markdown;

use crate::compare::metrics::{self, MetricsDiffOptions, MetricsDiffReport};
use crate::compare::params::{self, ParamsDiffOptions, ParamsDiffReport};
use crate::compare::plots::{Sides, SidesSpec};
use crate::error::Result;
use crate::project::Project;
use crate::tracking::query::MetricValue;

/// What a report compares.
pub struct ReportOptions {
    /// The base revision (default `HEAD`); the other side is the workspace.
    pub base: Option<String>,
}

/// A plot drawn for the report: its data differs between the sides.
#[derive(Debug, Serialize)]
pub struct ReportPlot {
    /// The plot's name (its file, or its `[plots.NAME]`).
    pub name: String,
    /// A file name for its SVG (`eval-roc.csv.svg`), unique within the report.
    pub file: String,
    /// The drawing (not in JSON).
    #[serde(skip)]
    pub svg: String,
}

/// The metrics, params and plots of the workspace against the base.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Every metric of either side, changed or not (`changed` says which).
    pub metrics: MetricsDiffReport,
    /// The params that changed.
    pub params: ParamsDiffReport,
    /// Plots whose data changed, drawn with both sides.
    pub plots: Vec<ReportPlot>,
    /// The mlx version that made it.
    pub version: String,
}

/// Compare the workspace with `opts.base`.
pub fn build(project: &Project, opts: &ReportOptions) -> Result<Report> {
    let base = Some(opts.base.clone().unwrap_or_else(|| "HEAD".to_owned()));
    let metrics =
        metrics::diff(project, &MetricsDiffOptions { a: base.clone(), b: None, all: true })?;
    let params =
        params::diff(project, &ParamsDiffOptions { a: base.clone(), b: None, all: false })?;
    let plots = changed_plots(project, base.as_deref().unwrap_or("HEAD"))?;
    Ok(Report { metrics, params, plots, version: env!("CARGO_PKG_VERSION").to_owned() })
}

/// The charts whose data differs between `base` and the workspace, drawn with both sides.
/// Plots of metric histories are left out (a revision has none to set against), as are image
/// plots (they are not drawn by mlx). A plots file that cannot be read on the base counts as
/// missing there (`mlx fetch --rev BASE` brings cached ones).
fn changed_plots(project: &Project, base: &str) -> Result<Vec<ReportPlot>> {
    let revs = [base.to_owned()];
    let spec =
        SidesSpec { names: &[], revs: &revs, exps: &[], workspace: true, without_histories: true };
    let (infos, plots, _) = Sides::open(project, &spec)?.resolve()?;
    let (Some(old), Some(new)) = (infos.first(), infos.last()) else { return Ok(Vec::new()) };
    let mut out: Vec<ReportPlot> = Vec::new();
    for plot in plots {
        if plot.kind != crate::plots::Kind::Chart {
            continue;
        }
        let data = |side: &str| {
            plot.series
                .iter()
                .filter(|s| s.side == side)
                .map(|s| (&s.source, &s.x_field, &s.y_field, &s.points))
                .collect::<Vec<_>>()
        };
        if data(&old.label) == data(&new.label) {
            continue;
        }
        let file = svg_name(&plot.name, &out);
        out.push(ReportPlot {
            name: plot.name.clone(),
            file,
            svg: crate::plots::svg::render(&plot),
        });
    }
    Ok(out)
}

/// A file name for a plot's SVG: its name with anything but letters, digits, `.`, `_` and `-`
/// as `-`, made unique among `taken`.
fn svg_name(name: &str, taken: &[ReportPlot]) -> String {
    let stem: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect();
    let stem = stem.trim_start_matches('.');
    let mut file = format!("{stem}.svg");
    let mut n = 2;
    while taken.iter().any(|p| p.file == file) {
        file = format!("{stem}-{n}.svg");
        n += 1;
    }
    file
}

impl Report {
    /// `origin/main (1a2b3c4)`: the base as headings show it.
    fn base_label(&self) -> String {
        let info = &self.metrics.a;
        match &info.commit {
            Some(c) => format!("{} ({})", info.label, &c[..c.len().min(7)]),
            None => info.label.clone(),
        }
    }
}

/// A metric value as tables show it; `-` when missing.
fn metric(v: Option<MetricValue>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.short())
}
