//! The report as one self-contained HTML page: the same tables as the markdown, the plots'
//! SVG inline, the style inline; nothing loaded from anywhere, no script.

use std::fmt::Write as _;

use super::{Report, metric};
use crate::compare::params::value_text as param;
use crate::plots::escape as esc;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;\
color:#1f2328;padding:0 1em}table{border-collapse:collapse;margin:.5em 0 1.5em}\
th,td{border:1px solid #d0d7de;padding:.3em .7em;text-align:left}td.n{text-align:right;\
font-variant-numeric:tabular-nums}tr.same{color:#656d76}h1{font-size:1.5em}h2{font-size:1.2em;\
margin-top:1.5em}figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}\
.note{color:#9a6700}footer{color:#656d76;font-size:.85em;margin-top:2em}";

/// The HTML page.
pub fn html(report: &Report) -> String {
    let mut h = String::new();
    let base = report.base_label();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>mlx report: workspace against {}</title><style>{STYLE}</style></head><body>\n\
         <h1>mlx report: workspace against {}</h1>\n",
        esc(&base),
        esc(&base)
    );
    metrics(&mut h, report);
    params(&mut h, report);
    if !report.plots.is_empty() {
        h.push_str("<h2>Plots</h2>\n");
        for p in &report.plots {
            // The SVG is mlx's own drawing, its texts already escaped when it was made.
            let _ = writeln!(
                h,
                "<figure data-plot=\"{}\"><figcaption>{}</figcaption>{}</figure>",
                esc(&p.name),
                esc(&p.name),
                p.svg
            );
        }
    }
    let _ = writeln!(h, "<footer>mlx {}</footer>\n</body></html>", esc(&report.version));
    h
}

fn metrics(h: &mut String, report: &Report) {
    let m = &report.metrics;
    h.push_str("<h2>Metrics</h2>\n");
    if m.compared == 0 {
        h.push_str("<p>No metrics files on either side.</p>\n");
    } else {
        let _ = writeln!(h, "<p>{} of {} metrics changed.</p>", m.changed, m.compared);
        let _ = writeln!(
            h,
            "<table id=\"metrics\"><tr><th>Path</th><th>Metric</th><th>{}</th><th>{}</th>\
             <th>Change</th></tr>",
            esc(&m.a.label),
            esc(&m.b.label)
        );
        // Changed metrics first, then the rest, greyed.
        for d in
            m.metrics.iter().filter(|d| d.changed).chain(m.metrics.iter().filter(|d| !d.changed))
        {
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                if d.changed { "changed" } else { "same" },
                esc(&d.path),
                esc(&d.key),
                esc(&metric(d.old)),
                esc(&metric(d.new)),
                esc(&d.change_text())
            );
        }
        h.push_str("</table>\n");
    }
    for e in &m.errors {
        let _ = writeln!(
            h,
            "<p class=\"note\">could not read {} on {}: {}</p>",
            esc(&e.path),
            esc(&e.rev),
            esc(&e.error)
        );
    }
}

fn params(h: &mut String, report: &Report) {
    let p = &report.params;
    h.push_str("<h2>Params</h2>\n");
    if p.params.is_empty() {
        let _ = writeln!(h, "<p>No param changed ({} compared).</p>", p.compared);
        return;
    }
    let _ = writeln!(h, "<p>{} of {} params changed.</p>", p.changed, p.compared);
    let _ = writeln!(
        h,
        "<table id=\"params\"><tr><th>File</th><th>Param</th><th>{}</th><th>{}</th></tr>",
        esc(&p.a.label),
        esc(&p.b.label)
    );
    for d in &p.params {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.file),
            esc(&d.key),
            esc(&param(&d.old)),
            esc(&param(&d.new))
        );
    }
    h.push_str("</table>\n");
}
