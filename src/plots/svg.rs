//! A resolved plot drawn as SVG text, no script needed to see it: title, axes with round ticks,
//! axis labels, one colour per series and a legend below the chart. Lines and steps are thinned
//! to a few points per pixel column (`downsample::min_max`, spikes kept), scatter plots to a few
//! thousand points; bar charts group series side by side; confusion matrices are labelled
//! heatmaps, one per series. Every drawn series carries `data-series="LABEL"` and
//! `data-points="N"` (its points before thinning); all text is escaped.

use std::fmt::Write;

use super::data::Value;
use super::ticks::{self, Ticks};
use super::{Kind, Plot, Series, Template, escape};

/// Series colours, in order (distinct for the colour-blind as far as ten colours can be).
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const LEGEND_ROW: f64 = 18.0;

/// The colour of series `i`.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The plot as SVG: one `<svg>` for a chart, one per series for confusion matrices; empty for
/// an image plot.
pub fn render(plot: &Plot) -> String {
    render_each(plot).concat()
}

/// The plot's `<svg>` documents, each whole: one for a chart, one per series for confusion
/// matrices, none for an image plot.
pub fn render_each(plot: &Plot) -> Vec<String> {
    match (plot.kind, plot.template) {
        (Kind::Image, _) => Vec::new(),
        (_, t) if t.is_confusion() => {
            plot.series.iter().enumerate().map(|(i, s)| confusion(plot, s, i)).collect()
        }
        (_, Template::Bar) => vec![bars(plot)],
        _ => vec![xy(plot)],
    }
}

/// A number for SVG coordinates, to a tenth (integer arithmetic: float formatting would be most
/// of the drawing's time).
fn n(v: f64) -> String {
    let tenths = (v * 10.0).round();
    if !tenths.is_finite() || tenths.abs() > 1e15 {
        return "0".into();
    }
    let t = tenths as i64;
    let (whole, frac) = (t / 10, (t % 10).abs());
    match (frac, t < 0 && whole == 0) {
        (0, _) => whole.to_string(),
        (_, true) => format!("-0.{frac}"),
        _ => format!("{whole}.{frac}"),
    }
}

fn open(out: &mut String, width: f64, height: f64, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" \
         height=\"{h}\" role=\"img\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\
         <title>{t}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\
         <text x=\"{cx}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\">{t}</text>",
        w = n(width),
        h = n(height),
        cx = n(width / 2.0),
        t = escape(title),
    );
}

/// Axis titles: x below the axis, y turned along the left edge.
fn axis_titles(out: &mut String, x_title: &str, y_title: &str) {
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">{}</text>\
         <text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
        n(LEFT + (WIDTH - LEFT - RIGHT) / 2.0),
        n(HEIGHT - 12.0),
        escape(x_title),
        n(TOP + (HEIGHT - TOP - BOTTOM) / 2.0),
        escape(y_title),
    );
}

/// The legend below the chart: one row per series, when there are several.
fn legend(out: &mut String, labels: &[&str]) {
    if labels.len() < 2 {
        // One series: the title and the y axis name it.
        return;
    }
    for (i, label) in labels.iter().enumerate() {
        let y = HEIGHT + i as f64 * LEGEND_ROW + 4.0;
        let _ = write!(
            out,
            "<g class=\"legend\"><rect x=\"{x}\" y=\"{ry}\" width=\"12\" height=\"12\" fill=\"{c}\"/>\
             <text x=\"{tx}\" y=\"{ty}\">{l}</text></g>",
            x = n(LEFT),
            ry = n(y),
            c = colour(i),
            tx = n(LEFT + 18.0),
            ty = n(y + 10.0),
            l = escape(label),
        );
    }
}

fn total_height(series: usize) -> f64 {
    let rows = if series < 2 { 0 } else { series };
    HEIGHT + rows as f64 * LEGEND_ROW + 8.0
}

/// Horizontal grid lines and labels of a numeric y axis.
fn y_axis(out: &mut String, t: &Ticks, y: &dyn Fn(f64) -> f64) {
    for v in &t.values {
        let py = y(*v);
        let _ = write!(
            out,
            "<line x1=\"{l}\" x2=\"{r}\" y1=\"{py}\" y2=\"{py}\" stroke=\"#e5e5e5\"/>\
             <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"#555\">{label}</text>",
            l = n(LEFT),
            r = n(WIDTH - RIGHT),
            py = n(py),
            tx = n(LEFT - 6.0),
            ty = n(py + 4.0),
            label = ticks::label(*v, t.step),
        );
    }
}

fn frame(out: &mut String) {
    let _ = write!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        n(LEFT),
        n(TOP),
        n(WIDTH - LEFT - RIGHT),
        n(HEIGHT - TOP - BOTTOM)
    );
}

/// Categories of the x values of `series`, in order of appearance.
fn categories<'a>(series: impl Iterator<Item = &'a Series>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for s in series {
        for (x, _) in &s.points {
            let l = x.label();
            if !matches!(x, Value::Null) && seen.insert(l.clone()) {
                out.push(l);
            }
        }
    }
    out
}

/// Category labels along the x axis (every k-th when they would overlap).
fn x_categories(out: &mut String, cats: &[String], x: &dyn Fn(usize) -> f64) {
    let width = (WIDTH - LEFT - RIGHT) / cats.len().max(1) as f64;
    let every = (60.0 / width).ceil().max(1.0) as usize;
    for (i, c) in cats.iter().enumerate().step_by(every) {
        let shown: String = c.chars().take(14).collect();
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            n(x(i)),
            n(HEIGHT - BOTTOM + 16.0),
            escape(&shown)
        );
    }
}

fn y_range<'a>(series: impl Iterator<Item = &'a Series>, with_zero: bool) -> Ticks {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in series {
        for v in s.points.iter().filter_map(|(_, y)| y.as_f64()).filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if with_zero && lo <= hi {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    ticks::nice(lo, hi, 6)
}

/// The range of the numeric x values of every series.
fn x_range(plot: &Plot) -> Ticks {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &plot.series {
        for v in s.points.iter().filter_map(|(x, _)| x.as_f64()).filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    ticks::nice(lo, hi, 8)
}

/// Vertical grid lines and labels of a numeric x axis.
fn x_axis(out: &mut String, t: &Ticks, x: &dyn Fn(f64) -> f64) {
    for v in &t.values {
        let _ = write!(
            out,
            "<line x1=\"{px}\" x2=\"{px}\" y1=\"{t}\" y2=\"{b}\" stroke=\"#f0f0f0\"/>\
             <text x=\"{px}\" y=\"{ty}\" text-anchor=\"middle\" fill=\"#555\">{l}</text>",
            px = n(x(*v)),
            t = n(TOP),
            b = n(HEIGHT - BOTTOM),
            ty = n(HEIGHT - BOTTOM + 16.0),
            l = ticks::label(*v, t.step),
        );
    }
}

/// One series' marks from its points in pixels: points for scatter plots (every n-th of long
/// ones), else a line or a staircase through the points thinned per pixel column.
fn marks(out: &mut String, template: Template, c: &str, pixels: &[(f64, f64)]) {
    if template == Template::Scatter {
        let thin = super::downsample::stride(pixels, 4000);
        let _ = write!(out, " data-drawn=\"{}\" fill=\"{c}\" fill-opacity=\"0.75\">", thin.len());
        for (a, b) in thin {
            let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\"/>", n(a), n(b));
        }
        return;
    }
    let thin = super::downsample::min_max(pixels, (WIDTH - LEFT - RIGHT) as usize);
    let _ = write!(
        out,
        " data-drawn=\"{}\"><path fill=\"none\" stroke=\"{c}\" stroke-width=\"1.8\" \
         stroke-linejoin=\"round\" d=\"",
        thin.len()
    );
    for (j, (a, b)) in thin.iter().enumerate() {
        let (sx, sy) = (n(*a), n(*b));
        if j == 0 {
            let _ = write!(out, "M{sx} {sy}");
        } else if template == Template::Step {
            let _ = write!(out, "H{sx}V{sy}");
        } else {
            let _ = write!(out, "L{sx} {sy}");
        }
    }
    out.push_str("\"/>");
    if let [(a, b)] = thin.as_slice() {
        let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{c}\"/>", n(*a), n(*b));
    }
}

/// Lines, steps or points over a numeric x axis (a categorical one when some x is text).
fn xy(plot: &Plot) -> String {
    let mut out = String::new();
    open(&mut out, WIDTH, total_height(plot.series.len()), &plot.title);
    let numeric_x =
        plot.series.iter().flat_map(|s| &s.points).all(|(x, _)| !matches!(x, Value::Text(_)));
    let yt = y_range(plot.series.iter(), false);
    let (pt, pb, pl, pr) = (TOP, HEIGHT - BOTTOM, LEFT, WIDTH - RIGHT);
    let y = |v: f64| pb - (v - yt.lo) / (yt.hi - yt.lo) * (pb - pt);
    y_axis(&mut out, &yt, &y);
    let cats = if numeric_x { Vec::new() } else { categories(plot.series.iter()) };
    let xt = x_range(plot);
    let x_num = |v: f64| pl + (v - xt.lo) / (xt.hi - xt.lo) * (pr - pl);
    let band = (pr - pl) / cats.len().max(1) as f64;
    let x_cat = |i: usize| pl + band * (i as f64 + 0.5);
    if numeric_x {
        x_axis(&mut out, &xt, &x_num);
    } else {
        x_categories(&mut out, &cats, &x_cat);
    }
    frame(&mut out);
    let index: std::collections::HashMap<&str, usize> =
        cats.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    for (i, s) in plot.series.iter().enumerate() {
        let pixels: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|(x, yv)| {
                let px = if numeric_x {
                    x_num(x.as_f64().filter(|v| v.is_finite())?)
                } else {
                    x_cat(*index.get(x.label().as_str())?)
                };
                Some((px, y(yv.as_f64().filter(|v| v.is_finite())?)))
            })
            .collect();
        let _ = write!(
            out,
            "<g data-series=\"{}\" data-points=\"{}\"",
            escape(&s.label),
            s.points.len()
        );
        marks(&mut out, plot.template, colour(i), &pixels);
        out.push_str("</g>");
    }
    axis_titles(&mut out, &plot.x_label, &plot.y_label);
    let labels: Vec<&str> = plot.series.iter().map(|s| s.label.as_str()).collect();
    legend(&mut out, &labels);
    out.push_str("</svg>");
    out
}

/// One bar per category and series, series side by side, from zero.
fn bars(plot: &Plot) -> String {
    let mut out = String::new();
    open(&mut out, WIDTH, total_height(plot.series.len()), &plot.title);
    let cats = categories(plot.series.iter());
    let yt = y_range(plot.series.iter(), true);
    let (pt, pb, pl, pr) = (TOP, HEIGHT - BOTTOM, LEFT, WIDTH - RIGHT);
    let y = |v: f64| pb - (v - yt.lo) / (yt.hi - yt.lo) * (pb - pt);
    y_axis(&mut out, &yt, &y);
    let band = (pr - pl) / cats.len().max(1) as f64;
    x_categories(&mut out, &cats, &|i| pl + band * (i as f64 + 0.5));
    frame(&mut out);
    let index: std::collections::HashMap<&str, usize> =
        cats.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    let count = plot.series.len().max(1) as f64;
    let bar = band * 0.8 / count;
    for (i, s) in plot.series.iter().enumerate() {
        let _ = write!(
            out,
            "<g data-series=\"{}\" data-points=\"{}\" fill=\"{}\">",
            escape(&s.label),
            s.points.len(),
            colour(i)
        );
        for (x, v) in &s.points {
            let (Some(ci), Some(v)) = (index.get(x.label().as_str()), v.as_f64()) else {
                continue;
            };
            if !v.is_finite() {
                continue;
            }
            let left = pl + band * *ci as f64 + band * 0.1 + bar * i as f64;
            let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}: {}</title></rect>",
                n(left),
                n(top),
                n(bar.max(1.0)),
                n((bottom - top).max(0.5)),
                escape(&x.label()),
                ticks::format_number(v)
            );
        }
        out.push_str("</g>");
    }
    axis_titles(&mut out, &plot.x_label, &plot.y_label);
    let labels: Vec<&str> = plot.series.iter().map(|s| s.label.as_str()).collect();
    legend(&mut out, &labels);
    out.push_str("</svg>");
    out
}

/// The classes of a series' (x, y) pairs, and the count of each pair: `counts[y][x]`.
fn confusion_counts(s: &Series) -> (Vec<String>, Vec<Vec<u64>>) {
    let pairs: Vec<(String, String)> = s
        .points
        .iter()
        .filter(|(a, b)| !matches!(a, Value::Null) && !matches!(b, Value::Null))
        .map(|(a, b)| (a.label(), b.label()))
        .collect();
    let labels = classes(pairs.iter().flat_map(|(a, b)| [a.clone(), b.clone()]));
    let k = labels.len().max(1);
    let index: std::collections::HashMap<&str, usize> =
        labels.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    let mut counts = vec![vec![0u64; k]; k];
    for (a, b) in &pairs {
        counts[index[b.as_str()]][index[a.as_str()]] += 1;
    }
    (labels, counts)
}

/// The classes along both edges of a confusion matrix (every k-th when they would overlap).
fn class_labels(out: &mut String, labels: &[String], left: f64, top: f64, size: f64) {
    let cell = size / labels.len().max(1) as f64;
    let every = (24.0 / cell).ceil().max(1.0) as usize;
    for (j, l) in labels.iter().enumerate().step_by(every) {
        let shown: String = l.chars().take(12).collect();
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{e}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{e}</text>",
            n(left + (j as f64 + 0.5) * cell),
            n(top + size + 16.0),
            n(left - 6.0),
            n(top + (j as f64 + 0.5) * cell + 4.0),
            e = escape(&shown),
        );
    }
}

/// Class labels sorted as numbers when all are numbers, else as text.
fn classes(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut all: Vec<String> =
        values.collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if all.iter().all(|c| c.parse::<f64>().is_ok()) {
        all.sort_by(|a, b| {
            let (a, b) = (a.parse::<f64>().unwrap_or(0.0), b.parse::<f64>().unwrap_or(0.0));
            a.total_cmp(&b)
        });
    }
    all
}

/// A confusion matrix of one series: columns are the x field's classes (actual), rows the y
/// field's (predicted); each cell shows its count, or its share of the column's total when
/// normalized.
fn confusion(plot: &Plot, s: &Series, i: usize) -> String {
    let (labels, counts) = confusion_counts(s);
    let k = labels.len().max(1);
    let column_totals: Vec<u64> = (0..k).map(|c| counts.iter().map(|r| r[c]).sum()).collect();
    let normalized = plot.template == Template::ConfusionNormalized;
    let value = |r: usize, c: usize| {
        if normalized {
            if column_totals[c] == 0 { 0.0 } else { counts[r][c] as f64 / column_totals[c] as f64 }
        } else {
            counts[r][c] as f64
        }
    };
    let max = (0..k)
        .flat_map(|r| (0..k).map(move |c| (r, c)))
        .map(|(r, c)| value(r, c))
        .fold(0.0, f64::max);
    let size = 460.0;
    let (left, top) = (LEFT + 40.0, TOP + 10.0);
    let cell = size / k as f64;
    let width = left + size + RIGHT;
    let height = top + size + 60.0;
    let mut out = String::new();
    let title = if plot.series.len() > 1 {
        format!("{} ({})", plot.title, s.label)
    } else {
        plot.title.clone()
    };
    open(&mut out, width, height, &title);
    let _ =
        write!(out, "<g data-series=\"{}\" data-points=\"{}\">", escape(&s.label), s.points.len());
    for r in 0..k {
        for c in 0..k {
            let v = value(r, c);
            let shade = if max > 0.0 { v / max } else { 0.0 };
            let text = if normalized { format!("{v:.2}") } else { counts[r][c].to_string() };
            let ink = if shade > 0.55 { "#fff" } else { "#222" };
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{w}\" fill=\"{col}\" \
                 fill-opacity=\"{o:.3}\" stroke=\"#fff\"><title>{a} → {p}: {text}</title></rect>",
                x = n(left + c as f64 * cell),
                y = n(top + r as f64 * cell),
                w = n(cell),
                col = colour(i),
                o = 0.08 + 0.92 * shade,
                a = escape(&labels[c]),
                p = escape(&labels[r]),
            );
            if k <= 30 {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\">{text}</text>",
                    n(left + (c as f64 + 0.5) * cell),
                    n(top + (r as f64 + 0.5) * cell + 4.0),
                );
            }
        }
    }
    out.push_str("</g>");
    class_labels(&mut out, &labels, left, top, size);
    let x_title = if plot.x_label.is_empty() {
        s.x_field.clone().unwrap_or_default()
    } else {
        plot.x_label.clone()
    };
    let y_title = if plot.y_label.is_empty() { s.y_field.clone() } else { plot.y_label.clone() };
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">{}</text>\
         <text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">{}</text></svg>",
        n(left + size / 2.0),
        n(top + size + 40.0),
        escape(&x_title),
        n(top + size / 2.0),
        escape(&y_title),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot(template: Template, series: Vec<Series>) -> Plot {
        Plot {
            name: "p".into(),
            kind: Kind::Chart,
            template,
            title: "<script>t</script>".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series,
            images: Vec::new(),
        }
    }

    fn series(label: &str, points: Vec<(Value, Value)>) -> Series {
        Series {
            label: label.into(),
            side: "workspace".into(),
            source: "a.csv".into(),
            x_field: Some("x".into()),
            y_field: "y".into(),
            points,
        }
    }

    #[test]
    fn every_template_draws_its_series_with_text_escaped() {
        let pts: Vec<(Value, Value)> =
            (0..50).map(|i| (Value::Num(i as f64), Value::Num((i * i) as f64))).collect();
        let cats = vec![
            (Value::Text("cat".into()), Value::Text("cat".into())),
            (Value::Text("cat".into()), Value::Text("dog".into())),
            (Value::Text("dog".into()), Value::Text("dog".into())),
        ];
        for t in Template::ALL {
            let p = if t.is_confusion() || t == Template::Bar {
                series("<b>a</b>", cats.clone())
            } else {
                series("<b>a</b>", pts.clone())
            };
            let svg = render(&plot(t, vec![p]));
            assert!(svg.contains("data-series=\"&lt;b&gt;a&lt;/b&gt;\""), "{t}: {svg}");
            assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{t}");
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{t}");
        }
    }

    #[test]
    fn coordinates_keep_a_tenth() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(12.34), "12.3");
        assert_eq!(n(-0.26), "-0.3");
        assert_eq!(n(-3.05), "-3.1");
        assert_eq!(n(f64::NAN), "0");
    }

    #[test]
    fn long_lines_are_thinned_but_counted() {
        let pts =
            (0..100_000).map(|i| (Value::Num(i as f64), Value::Num((i % 13) as f64))).collect();
        let svg = render(&plot(Template::Linear, vec![series("s", pts)]));
        assert!(svg.contains("data-points=\"100000\""));
        assert!(svg.len() < 200_000, "{}", svg.len());
    }
}
