//! `mlx report [--base REV] [--md|--html] [-o DIR]`: the workspace's metrics, params and plots
//! against a base revision, for a pull request: markdown (plots as SVG files beside it) or one
//! self-contained HTML page, written into a folder or returned for stdout.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Result;
use crate::project::Project;
use crate::project_path::RelPath;
use crate::report::{self, Report, ReportOptions};
use crate::work_tree::output::OutputDir;

/// The document's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

pub struct ReportRunOptions {
    /// The base revision (default `HEAD`).
    pub base: Option<String>,
    pub format: Format,
    /// The folder to write into; `None`: the document is returned (without plot files).
    pub out: Option<PathBuf>,
    /// Where a relative `out` starts.
    pub cwd: PathBuf,
}

/// What `mlx report` made.
#[derive(Debug, Serialize)]
pub struct ReportOutcome {
    #[serde(flatten)]
    pub report: Report,
    /// The files written (the document first), absolute.
    pub written: Vec<PathBuf>,
    /// The document, when no folder was given (not in JSON).
    #[serde(skip)]
    pub text: Option<String>,
}

/// The markdown file's name in the output folder.
pub const MARKDOWN_FILE: &str = "report.md";
/// The HTML file's name in the output folder.
pub const HTML_FILE: &str = "report.html";
/// The folder of the plots' SVG files, beside the markdown.
pub const PLOTS_DIR: &str = "plots";

pub fn run(project: &Project, opts: &ReportRunOptions) -> Result<ReportOutcome> {
    let report = report::build(project, &ReportOptions { base: opts.base.clone() })?;
    let Some(out) = &opts.out else {
        let text = match opts.format {
            Format::Markdown => report::markdown(&report, None),
            Format::Html => report::html(&report),
        };
        return Ok(ReportOutcome { report, written: Vec::new(), text: Some(text) });
    };
    let dir = OutputDir::create(project.work_tree(), &opts.cwd, out)?;
    let mut written = Vec::new();
    match opts.format {
        Format::Markdown => {
            let md = report::markdown(&report, Some(PLOTS_DIR));
            written.push(dir.write(&name(MARKDOWN_FILE)?, md.as_bytes())?);
            for p in &report.plots {
                let file = Path::new(PLOTS_DIR).join(&p.file);
                written.push(dir.write(&RelPath::new(&file)?, p.svg.as_bytes())?);
            }
        }
        Format::Html => {
            written.push(dir.write(&name(HTML_FILE)?, report::html(&report).as_bytes())?);
        }
    }
    Ok(ReportOutcome { report, written, text: None })
}

fn name(file: &str) -> Result<RelPath> {
    Ok(RelPath::new(Path::new(file))?)
}
