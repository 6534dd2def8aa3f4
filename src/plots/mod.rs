//! Plots: what `mlx.toml` declares (`definition`: stage `plots` entries and top-level
//! `[plots.NAME]` tables), the data files read into tables (`data`), the series a definition
//! resolves to on one or more sides (the workspace, a revision, an experiment), and their
//! drawing: SVG charts rendered here (`svg`, with `ticks` and `downsample`) and one
//! self-contained HTML page (`html`).
//!
//! This module reads through a [`Source`] the caller gives (it knows how to read a file of the
//! workspace or of a revision safely) and never writes; `mlx plots`, the web UI and reports
//! call it and decide where the output goes.

pub mod data;
pub mod definition;
pub mod downsample;
pub mod html;
pub mod svg;
pub mod ticks;

use serde::Serialize;

pub use data::Value;
pub use definition::{Origin, PlotDef, PlotProps, Template, XField};

use crate::error::Result;
use crate::pipeline::{OutKind, Pipeline};
use crate::project_path::ProjectPath;

/// Whether a plot draws data or shows images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Chart,
    Image,
}

/// One line, set of points, bars or confusion matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// How the legend names it: the side, file and field, as far as they tell series apart.
    pub label: String,
    /// The workspace, a revision or an experiment.
    pub side: String,
    /// The data file, or for a metric history the run (`stage` or the run's name).
    pub source: String,
    /// `None`: the row index (the step of a metric history).
    pub x_field: Option<String>,
    pub y_field: String,
    /// `[x, y]` pairs in file order.
    pub points: Vec<(Value, Value)>,
}

/// An image shown as it is.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub label: String,
    pub side: String,
    pub file: String,
    pub mime: &'static str,
    pub size: u64,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// A plot with its data resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Plot {
    pub name: String,
    pub kind: Kind,
    pub template: Template,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<Series>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
}

/// A file that could not be read or used on one side; the rest of the plot is still drawn.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub plot: String,
    pub side: String,
    pub file: String,
    pub error: String,
}

/// Where plot files are read from: one side of a comparison.
pub trait Source {
    /// How series from here are labelled (`workspace`, `HEAD`, an experiment's name).
    fn label(&self) -> &str;
    /// The bytes of a file, or why there are none (missing, not fetched, refused).
    fn read(&self, path: &ProjectPath) -> Result<std::result::Result<Vec<u8>, String>>;
    /// The files under folder `path` (in its subfolders too), sorted, when it is a folder.
    fn list(&self, path: &ProjectPath) -> Result<Option<Vec<ProjectPath>>>;
}

/// Every plot of a project: each stage's `plots` entries (in stage order), then the top-level
/// `[plots.NAME]` tables; a top-level table named like a stage's entry replaces it.
pub fn definitions(pipeline: Option<&Pipeline>, top_level: Vec<PlotDef>) -> Vec<PlotDef> {
    let mut out: Vec<PlotDef> = Vec::new();
    for stage in pipeline.map(|p| p.stages.as_slice()).unwrap_or_default() {
        for o in stage.outs.iter().filter(|o| o.kind == OutKind::Plots) {
            if top_level.iter().any(|d| d.name == o.path.to_string()) {
                continue;
            }
            out.push(PlotDef::of_stage_entry(stage.name.as_str(), &o.path, o.plot.as_deref()));
        }
    }
    out.extend(top_level);
    out
}

/// The plots `defs` resolve to, with series from every source in order.
pub fn resolve(defs: &[PlotDef], sources: &[&dyn Source]) -> Result<(Vec<Plot>, Vec<Problem>)> {
    let mut plots = Vec::with_capacity(defs.len());
    let mut problems = Vec::new();
    for def in defs {
        for def in expand_folder(def, defs, sources)? {
            plots.push(resolve_one(&def, sources, &mut problems)?);
        }
    }
    Ok((plots, problems))
}

/// A plot of a folder holding data files (DVC's `eval/plots/metrics: {x: step}`, DVCLive's
/// histories as TSV files): one plot per data file under it on any side, named by the file and
/// drawn with the folder's properties, as DVC draws them; the folder's images stay one plot
/// under its name. Any other plot as it is. A file another definition names is left to it.
fn expand_folder(def: &PlotDef, all: &[PlotDef], sources: &[&dyn Source]) -> Result<Vec<PlotDef>> {
    let [(folder, fields)] = def.y.as_slice() else { return Ok(vec![def.clone()]) };
    if data::format_of(&folder.to_string()).is_some() {
        return Ok(vec![def.clone()]);
    }
    let mut files: Vec<ProjectPath> = Vec::new();
    let mut images = false;
    for source in sources {
        for file in source.list(folder)?.unwrap_or_default() {
            match data::format_of(&file.to_string()) {
                Some(data::Format::Image(_)) => images = true,
                Some(_) if !files.contains(&file) => files.push(file),
                _ => {}
            }
        }
    }
    if files.is_empty() {
        return Ok(vec![def.clone()]);
    }
    files.sort();
    let x = match &def.x {
        XField::PerFile(m) => m.get(folder).map_or(XField::Index, |f| XField::Field(f.clone())),
        other => other.clone(),
    };
    let mut out: Vec<PlotDef> = files
        .into_iter()
        .filter(|f| !all.iter().any(|d| d.name == f.to_string()))
        .map(|f| PlotDef {
            name: f.to_string(),
            x: x.clone(),
            y: vec![(f, fields.clone())],
            ..def.clone()
        })
        .collect();
    if images {
        out.push(def.clone());
    }
    Ok(out)
}

fn resolve_one(
    def: &PlotDef,
    sources: &[&dyn Source],
    problems: &mut Vec<Problem>,
) -> Result<Plot> {
    let mut plot = Plot {
        name: def.name.clone(),
        kind: Kind::Chart,
        template: def.template,
        title: def.title.clone().unwrap_or_else(|| def.name.clone()),
        x_label: def.x_label.clone().unwrap_or_default(),
        y_label: def.y_label.clone().unwrap_or_default(),
        series: Vec::new(),
        images: Vec::new(),
    };
    let many_sides = sources.len() > 1;
    for source in sources {
        let side = source.label();
        let problem = |file: &ProjectPath, error: String| Problem {
            plot: def.name.clone(),
            side: side.to_owned(),
            file: file.to_string(),
            error,
        };
        for (file, fields) in &def.y {
            let images = match data::format_of(&file.to_string()) {
                Some(data::Format::Image(_)) => Some(vec![file.clone()]),
                Some(_) => None,
                None => source.list(file)?,
            };
            if let Some(images) = images {
                plot.kind = Kind::Image;
                for image in images {
                    match read_image(*source, &image, many_sides)? {
                        Some(Ok(found)) => plot.images.push(found),
                        Some(Err(e)) => problems.push(problem(&image, e)),
                        None => {}
                    }
                }
                continue;
            }
            let found = source.read(file)?.and_then(|bytes| {
                let table = data::parse(&file.to_string(), &bytes)?;
                table_series(def, side, many_sides, file, fields, &table)
            });
            match found {
                Ok(series) => plot.series.extend(series),
                Err(e) => problems.push(problem(file, e)),
            }
        }
    }
    let mut x_fields: Vec<Option<&String>> = Vec::new();
    let mut y_fields: Vec<&String> = Vec::new();
    for s in &plot.series {
        if !x_fields.contains(&s.x_field.as_ref()) {
            x_fields.push(s.x_field.as_ref());
        }
        if !y_fields.contains(&&s.y_field) {
            y_fields.push(&s.y_field);
        }
    }
    if plot.x_label.is_empty() {
        plot.x_label = match x_fields.as_slice() {
            [Some(f)] => (*f).clone(),
            [None] => "step".into(),
            _ => String::new(),
        };
    }
    if plot.y_label.is_empty() && y_fields.len() == 1 {
        plot.y_label = y_fields[0].clone();
    }
    Ok(plot)
}

/// The image `path` of a source; `None` when its name is not an image's.
fn read_image(
    source: &dyn Source,
    path: &ProjectPath,
    many_sides: bool,
) -> Result<Option<std::result::Result<Image, String>>> {
    let name = path.to_string();
    let Some(data::Format::Image(mime)) = data::format_of(&name) else { return Ok(None) };
    let side = source.label();
    Ok(Some(source.read(path)?.map(|bytes| Image {
        label: if many_sides { format!("{side}: {name}") } else { name.clone() },
        side: side.to_owned(),
        file: name,
        mime,
        size: bytes.len() as u64,
        bytes,
    })))
}

/// The series a table gives a plot: one per y field, labelled by as much of side, file and
/// field as tells them apart.
fn table_series(
    def: &PlotDef,
    side: &str,
    many_sides: bool,
    file: &ProjectPath,
    fields: &[String],
    table: &data::Table,
) -> std::result::Result<Vec<Series>, String> {
    let many_files = def.y.len() > 1;
    let many_fields = def.y.iter().map(|(_, f)| f.len().max(1)).sum::<usize>() > 1;
    let (x, ys) = columns(table, def.template, def.x.for_file(file), fields)?;
    let name = file.to_string();
    Ok(ys
        .into_iter()
        .map(|y| {
            let mut parts = Vec::new();
            if many_sides {
                parts.push(side.to_owned());
            }
            if many_files {
                parts.push(name.clone());
            }
            if many_fields || parts.is_empty() {
                parts.push(table.columns[y].clone());
            }
            let xs: Vec<Value> = match x {
                Some(i) => table.values(i).cloned().collect(),
                None => (0..table.rows.len()).map(|i| Value::Num(i as f64)).collect(),
            };
            Series {
                label: parts.join(" · "),
                side: side.to_owned(),
                source: name.clone(),
                x_field: x.map(|i| table.columns[i].clone()),
                y_field: table.columns[y].clone(),
                points: xs.into_iter().zip(table.values(y).cloned()).collect(),
            }
        })
        .collect())
}

/// The x column (`None`: the row index) and the y columns of `table` for a plot.
fn columns(
    table: &data::Table,
    template: Template,
    x_field: Option<&str>,
    y_fields: &[String],
) -> std::result::Result<(Option<usize>, Vec<usize>), String> {
    let find = |f: &str| {
        table
            .column(f)
            .ok_or_else(|| format!("has no field {f:?} (its fields: {})", table.columns.join(", ")))
    };
    if table.columns.is_empty() {
        return Err("holds no data".into());
    }
    let mut x = x_field.map(find).transpose()?;
    if x.is_none() && template.is_confusion() {
        // A confusion matrix pairs two fields: by default the first and the last.
        x = Some(0);
    }
    let ys = if y_fields.is_empty() {
        let last = (0..table.columns.len()).rev().find(|i| Some(*i) != x);
        vec![last.ok_or("has no field to plot besides x")?]
    } else {
        y_fields.iter().map(|f| find(f)).collect::<std::result::Result<_, _>>()?
    };
    Ok((x, ys))
}

/// The histories of one metric key as a plot: x the step, one series per run and side.
pub fn history_plot(key: &str, series: Vec<Series>) -> Plot {
    Plot {
        name: format!("metrics.{key}"),
        kind: Kind::Chart,
        template: Template::Linear,
        title: key.to_owned(),
        x_label: "step".into(),
        y_label: key.to_owned(),
        series,
        images: Vec::new(),
    }
}

/// Escape text for HTML and SVG (content and attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
