//! What a plot is, as `mlx.toml` declares it: a stage's `plots` entry (`"eval/roc.csv"` or
//! `{ path, x, y, template, title, x_label, y_label }`) or a top-level `[plots.NAME]` table whose
//! `x` and `y` map fields across files (DVC's top-level plots). Parsing keeps every error at its
//! `mlx.toml:LINE:COLUMN`; nothing here reads data files.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::pipeline::{Error, Location};
use crate::project_path::ProjectPath;

/// How a plot is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Lines through the points in file order.
    #[default]
    Linear,
    /// Points only.
    Scatter,
    /// One bar per x value (categories), bars of several series side by side.
    Bar,
    /// A staircase: each value holds until the next x.
    Step,
    /// Counts of (actual = x, predicted = y) pairs as a labelled heatmap.
    Confusion,
    /// A confusion matrix whose rows are divided by their totals.
    ConfusionNormalized,
}

impl Template {
    pub const ALL: [Template; 6] = [
        Template::Linear,
        Template::Scatter,
        Template::Bar,
        Template::Step,
        Template::Confusion,
        Template::ConfusionNormalized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Template::Linear => "linear",
            Template::Scatter => "scatter",
            Template::Bar => "bar",
            Template::Step => "step",
            Template::Confusion => "confusion",
            Template::ConfusionNormalized => "confusion_normalized",
        }
    }

    /// The template named `name`; DVC's `simple` and `smooth` draw as `linear`.
    pub fn parse(name: &str) -> Option<Template> {
        match name {
            "simple" | "smooth" => Some(Template::Linear),
            _ => Template::ALL.into_iter().find(|t| t.as_str() == name),
        }
    }

    pub fn is_confusion(self) -> bool {
        matches!(self, Template::Confusion | Template::ConfusionNormalized)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The drawing properties a stage's `plots` entry may give (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlotProps {
    /// The field on the x axis; `None`: the row index (`step`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// The fields on the y axis; empty: the last field that is not `x`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub y: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y_label: Option<String>,
}

/// Where a plot was declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Origin {
    /// A `plots` entry of this stage.
    Stage(String),
    /// A top-level `[plots.NAME]` table.
    TopLevel,
}

/// The x field of a plot: none (the row index), one for every file, or one per file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(untagged)]
pub enum XField {
    #[default]
    Index,
    Field(String),
    PerFile(BTreeMap<ProjectPath, String>),
}

impl XField {
    /// The x field for `file`; `None` means the row index.
    pub fn for_file(&self, file: &ProjectPath) -> Option<&str> {
        match self {
            XField::Index => None,
            XField::Field(f) => Some(f),
            XField::PerFile(m) => m.get(file).map(String::as_str),
        }
    }
}

/// One plot as declared, before any data is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlotDef {
    /// The `[plots.NAME]` name, or the path of a stage's entry.
    pub name: String,
    pub origin: Origin,
    pub template: Template,
    pub title: Option<String>,
    pub x_label: Option<String>,
    pub y_label: Option<String>,
    pub x: XField,
    /// Files and their y fields (empty: the last field that is not x), in declaration order.
    pub y: Vec<(ProjectPath, Vec<String>)>,
}

impl PlotDef {
    /// A plot of a stage's `plots` entry `path`.
    pub fn of_stage_entry(stage: &str, path: &ProjectPath, props: Option<&PlotProps>) -> PlotDef {
        let props = props.cloned().unwrap_or_default();
        PlotDef {
            name: path.to_string(),
            origin: Origin::Stage(stage.to_owned()),
            template: props.template.unwrap_or_default(),
            title: props.title,
            x_label: props.x_label,
            y_label: props.y_label,
            x: props.x.map_or(XField::Index, XField::Field),
            y: vec![(path.clone(), props.y)],
        }
    }

    /// The files this plot reads, in order.
    pub fn files(&self) -> impl Iterator<Item = &ProjectPath> {
        self.y.iter().map(|(f, _)| f)
    }
}

// --- raw TOML shapes -----------------------------------------------------------------------------

/// `"field"` or `["field", …]`.
#[derive(Debug, Clone)]
pub enum RawFields {
    One(String),
    Many(Vec<String>),
}

/// `x` or `y`: a field, a list of fields, or a table of file → field(s).
#[derive(Debug, Clone)]
pub enum RawAxis {
    Fields(RawFields),
    PerFile(Vec<(Spanned<String>, RawFields)>),
}

impl<'de> Deserialize<'de> for RawFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name or a list of field names")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawFields, E> {
                Ok(RawFields::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawFields, A::Error> {
                let mut all = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    all.push(v);
                }
                Ok(RawFields::Many(all))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawAxis {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawAxis;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name, a list of field names, or a table of file = field(s)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawAxis, E> {
                Ok(RawAxis::Fields(RawFields::One(v.to_owned())))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawAxis, A::Error> {
                let mut all = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    all.push(v);
                }
                Ok(RawAxis::Fields(RawFields::Many(all)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawAxis, A::Error> {
                let mut all = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    all.push((k, map.next_value::<RawFields>()?));
                }
                Ok(RawAxis::PerFile(all))
            }
        }
        d.deserialize_any(V)
    }
}

/// The plot keys of a stage's `plots` entry, as `pipeline::spec` reads them.
#[derive(Debug, Default, Clone)]
pub struct RawEntryProps {
    pub x: Option<Spanned<RawFields>>,
    pub y: Option<Spanned<RawFields>>,
    pub template: Option<Spanned<String>>,
    pub title: Option<String>,
    pub x_label: Option<String>,
    pub y_label: Option<String>,
}

impl RawEntryProps {
    pub fn is_empty(&self) -> bool {
        self.x.is_none()
            && self.y.is_none()
            && self.template.is_none()
            && self.title.is_none()
            && self.x_label.is_none()
            && self.y_label.is_none()
    }

    /// Where the first plot key is (for "only `plots` entries take these").
    pub fn first_span(&self) -> Option<Range<usize>> {
        [self.x.as_ref().map(Spanned::span), self.y.as_ref().map(Spanned::span)]
            .into_iter()
            .chain([self.template.as_ref().map(Spanned::span)])
            .flatten()
            .min_by_key(|s| s.start)
    }

    /// Checked: a known template, one x field, non-empty field names. Errors are a span of the
    /// file and a message.
    pub fn check(self) -> Result<Option<PlotProps>, (Range<usize>, String)> {
        if self.is_empty() {
            return Ok(None);
        }
        let x = match self.x {
            None => None,
            Some(x) => {
                let span = x.span();
                match x.into_inner() {
                    RawFields::One(f) => Some(checked_field(f, &span)?),
                    RawFields::Many(_) => {
                        return Err((span, "`x` names one field".into()));
                    }
                }
            }
        };
        let y = match self.y {
            None => Vec::new(),
            Some(y) => {
                let span = y.span();
                fields(y.into_inner(), &span)?
            }
        };
        let template = match self.template {
            None => None,
            Some(t) => Some(template(&t)?),
        };
        Ok(Some(PlotProps {
            x,
            y,
            template,
            title: self.title,
            x_label: self.x_label,
            y_label: self.y_label,
        }))
    }
}

fn checked_field(f: String, span: &Range<usize>) -> Result<String, (Range<usize>, String)> {
    if f.trim().is_empty() {
        return Err((span.clone(), "a field name is empty".into()));
    }
    Ok(f)
}

fn fields(raw: RawFields, span: &Range<usize>) -> Result<Vec<String>, (Range<usize>, String)> {
    let all = match raw {
        RawFields::One(f) => vec![f],
        RawFields::Many(all) if all.is_empty() => {
            return Err((span.clone(), "the list of fields is empty".into()));
        }
        RawFields::Many(all) => all,
    };
    all.into_iter().map(|f| checked_field(f, span)).collect()
}

fn template(t: &Spanned<String>) -> Result<Template, (Range<usize>, String)> {
    Template::parse(t.get_ref()).ok_or_else(|| {
        let names: Vec<&str> = Template::ALL.iter().map(|t| t.as_str()).collect();
        let close = crate::text::closest(t.get_ref(), names.iter().copied())
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        (
            t.span(),
            format!("unknown template {:?}{close}; templates: {}", t.get_ref(), names.join(", ")),
        )
    })
}

/// A top-level `[plots.NAME]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a plot table (x, y, template, title, …)")]
struct RawPlot {
    x: Option<Spanned<RawAxis>>,
    y: Option<Spanned<RawAxis>>,
    template: Option<Spanned<String>>,
    title: Option<String>,
    x_label: Option<String>,
    y_label: Option<String>,
}

#[derive(Deserialize)]
struct RawTop {
    plots: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
struct RawPlots(BTreeMap<Spanned<String>, Spanned<RawPlot>>);

/// The top-level `[plots.NAME]` definitions of `mlx.toml` (its text, shown as `file_name` in
/// errors), in declaration order.
pub fn parse_top_level(file_name: &Path, text: &str) -> Result<Vec<PlotDef>, Error> {
    let err = |offset: usize, message: String| {
        let (line, column) = crate::store::error::line_column(text, offset);
        Error::Spec { location: Location { file: file_name.to_path_buf(), line, column }, message }
    };
    let syntax = |e: toml::de::Error| {
        let offset = e.span().map_or(0, |s| s.start);
        err(offset, e.message().trim().replace("a sequence", "a list"))
    };
    // Parsed twice: once to find the table, once with spans inside it (a `toml::Table` keeps
    // none); both are cheap next to reading the data.
    let top: RawTop = toml::from_str(text).map_err(syntax)?;
    if top.plots.is_none() {
        return Ok(Vec::new());
    }
    #[derive(Deserialize)]
    struct Again {
        plots: Spanned<RawPlots>,
    }
    let again: Again = toml::from_str(text).map_err(syntax)?;
    let mut declared: Vec<_> = again.plots.into_inner().0.into_iter().collect();
    declared.sort_by_key(|(k, _)| k.span().start);
    let mut out = Vec::with_capacity(declared.len());
    for (name, raw) in declared {
        let name_span = name.span();
        let name = name.into_inner();
        if name.trim().is_empty() {
            return Err(err(name_span.start, "a plot name is empty".into()));
        }
        let raw = raw.into_inner();
        out.push(top_level(&name, &name_span, raw).map_err(|(span, m)| err(span.start, m))?);
    }
    Ok(out)
}

fn data_path(text: &str, span: &Range<usize>) -> Result<ProjectPath, (Range<usize>, String)> {
    let path = ProjectPath::new(text).map_err(|e| (span.clone(), e.to_string()))?;
    crate::work_tree::check_not_reserved(&path).map_err(|e| (span.clone(), e.to_string()))?;
    Ok(path)
}

fn top_level(
    name: &str,
    name_span: &Range<usize>,
    raw: RawPlot,
) -> Result<PlotDef, (Range<usize>, String)> {
    let template = match &raw.template {
        None => Template::default(),
        Some(t) => template(t)?,
    };
    // y: a table of file → field(s), or field(s) of the file the plot is named after.
    let mut y: Vec<(ProjectPath, Vec<String>)> = Vec::new();
    match raw.y {
        Some(spanned) => {
            let span = spanned.span();
            match spanned.into_inner() {
                RawAxis::PerFile(mut files) => {
                    files.sort_by_key(|(f, _)| f.span().start);
                    if files.is_empty() {
                        return Err((span, "`y` names no file".into()));
                    }
                    for (file, f) in files {
                        let path = data_path(file.get_ref(), &file.span())?;
                        let fs = fields(f, &file.span())?;
                        match y.iter_mut().find(|(p, _)| *p == path) {
                            Some((_, existing)) => existing.extend(fs),
                            None => y.push((path, fs)),
                        }
                    }
                }
                RawAxis::Fields(f) => {
                    y.push((data_path(name, name_span)?, fields(f, &span)?));
                }
            }
        }
        None => y.push((data_path(name, name_span)?, Vec::new())),
    }
    let x = match raw.x {
        None => XField::Index,
        Some(spanned) => {
            let span = spanned.span();
            match spanned.into_inner() {
                RawAxis::Fields(RawFields::One(f)) => XField::Field(checked_field(f, &span)?),
                RawAxis::Fields(RawFields::Many(_)) => {
                    return Err((span, "`x` names one field (or one per file)".into()));
                }
                RawAxis::PerFile(files) => {
                    let mut m = BTreeMap::new();
                    for (file, f) in files {
                        let path = data_path(file.get_ref(), &file.span())?;
                        let RawFields::One(field) = f else {
                            return Err((file.span(), "`x` names one field per file".into()));
                        };
                        if !y.iter().any(|(p, _)| *p == path) {
                            return Err((
                                file.span(),
                                format!("`x` names {path}, which `y` does not plot"),
                            ));
                        }
                        m.insert(path, checked_field(field, &file.span())?);
                    }
                    XField::PerFile(m)
                }
            }
        }
    };
    Ok(PlotDef {
        name: name.to_owned(),
        origin: Origin::TopLevel,
        template,
        title: raw.title,
        x_label: raw.x_label,
        y_label: raw.y_label,
        x,
        y,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<PlotDef>, String> {
        parse_top_level(Path::new("mlx.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn top_level_maps_fields_across_files() {
        let defs = parse(
            "[plots.pr]\nx = \"recall\"\ny = { \"eval/a.csv\" = \"precision\", \"eval/b.csv\" = [\"p\", \"q\"] }\ntemplate = \"scatter\"\ntitle = \"PR\"\n\n[plots.\"eval/loss.csv\"]\ny = \"loss\"\n",
        )
        .unwrap();
        assert_eq!(defs.len(), 2);
        assert_eq!(defs[0].name, "pr");
        assert_eq!(defs[0].template, Template::Scatter);
        assert_eq!(defs[0].x, XField::Field("recall".into()));
        assert_eq!(defs[0].y.len(), 2);
        assert_eq!(defs[0].y[1].1, vec!["p".to_owned(), "q".to_owned()]);
        assert_eq!(defs[1].y[0].0.to_string(), "eval/loss.csv");
        assert_eq!(defs[1].x, XField::Index);
    }

    #[test]
    fn bad_definitions_name_their_position() {
        let e = parse("[plots.a]\ny = \"v\"\ntemplate = \"lnear\"\n").unwrap_err();
        assert!(
            e.starts_with("mlx.toml:3:12: unknown template \"lnear\" (did you mean linear?)"),
            "{e}"
        );
        let e = parse("[plots.a]\ncolour = 1\n").unwrap_err();
        assert!(e.starts_with("mlx.toml:2:1: unknown field `colour`"), "{e}");
        let e = parse("[plots.a]\ny = { \"../x.csv\" = \"v\" }\n").unwrap_err();
        assert!(e.starts_with("mlx.toml:2:7:"), "{e}");
        let e = parse("[plots.a]\ny = { \".git/config\" = \"v\" }\n").unwrap_err();
        assert!(e.contains("refusing"), "{e}");
        let e =
            parse("[plots.a]\nx = { \"b.csv\" = \"t\" }\ny = { \"a.csv\" = \"v\" }\n").unwrap_err();
        assert!(e.starts_with("mlx.toml:2:7: `x` names b.csv, which `y` does not plot"), "{e}");
    }
}
