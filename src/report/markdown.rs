//! The report as GitHub-flavoured markdown, for a pull-request comment: tables of the metrics
//! and params that changed, the unchanged metrics folded away, and the changed plots as images
//! (SVG files beside the markdown, named by `ReportPlot::file` under `plots_dir`).

use std::fmt::Write as _;

use super::{Report, metric};
use crate::compare::params::value_text as param;

/// The markdown text. `plots_dir`: the folder of the SVG files as the markdown links them
/// (`plots`); `None` when they are not written (the images are then only listed).
pub fn markdown(report: &Report, plots_dir: Option<&str>) -> String {
    let mut md = String::new();
    let base = report.base_label();
    let _ = writeln!(md, "## mlx report: workspace against {}\n", cell(&base));
    metrics(&mut md, report);
    params(&mut md, report);
    plots(&mut md, report, plots_dir);
    let _ = writeln!(md, "<sub>mlx {}</sub>", cell(&report.version));
    md
}

fn metrics(md: &mut String, report: &Report) {
    let m = &report.metrics;
    let _ = writeln!(md, "### Metrics\n");
    if m.compared == 0 {
        let _ = writeln!(md, "No metrics files on either side.\n");
    } else {
        let changed: Vec<_> = m.metrics.iter().filter(|d| d.changed).collect();
        let same: Vec<_> = m.metrics.iter().filter(|d| !d.changed).collect();
        if changed.is_empty() {
            let _ = writeln!(md, "No metric changed ({} compared).\n", m.compared);
        } else {
            let _ = writeln!(md, "{} of {} metrics changed.\n", m.changed, m.compared);
            table(md, &m.a.label, &m.b.label, &changed);
        }
        if !same.is_empty() {
            let _ = writeln!(md, "<details><summary>{} unchanged</summary>\n", same.len());
            table(md, &m.a.label, &m.b.label, &same);
            let _ = writeln!(md, "</details>\n");
        }
    }
    for e in &m.errors {
        let _ = writeln!(
            md,
            "> could not read `{}` on {}: {}\n",
            code(&e.path),
            cell(&e.rev),
            cell(&e.error)
        );
    }
}

fn table(md: &mut String, a: &str, b: &str, rows: &[&crate::compare::metrics::MetricDiff]) {
    let _ = writeln!(md, "| Path | Metric | {} | {} | Change |", cell(a), cell(b));
    let _ = writeln!(md, "|---|---|--:|--:|--:|");
    for d in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell(&d.path),
            cell(&d.key),
            cell(&metric(d.old)),
            cell(&metric(d.new)),
            cell(&d.change_text())
        );
    }
    md.push('\n');
}

fn params(md: &mut String, report: &Report) {
    let p = &report.params;
    let _ = writeln!(md, "### Params\n");
    if p.params.is_empty() {
        let _ = writeln!(md, "No param changed ({} compared).\n", p.compared);
        return;
    }
    let _ = writeln!(md, "{} of {} params changed.\n", p.changed, p.compared);
    let _ = writeln!(md, "| File | Param | {} | {} |", cell(&p.a.label), cell(&p.b.label));
    let _ = writeln!(md, "|---|---|---|---|");
    for d in &p.params {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            cell(&d.file),
            cell(&d.key),
            cell(&param(&d.old)),
            cell(&param(&d.new))
        );
    }
    md.push('\n');
}

fn plots(md: &mut String, report: &Report, dir: Option<&str>) {
    if report.plots.is_empty() {
        return;
    }
    let _ = writeln!(md, "### Plots\n");
    for p in &report.plots {
        match dir {
            Some(dir) => {
                let _ = writeln!(md, "![{}]({}/{})\n", cell(&p.name), dir, link(&p.file));
            }
            None => {
                let _ = writeln!(md, "- {} changed\n", cell(&p.name));
            }
        }
    }
}

/// Text for a table cell or a line: `|` escaped, newlines flattened, and `<`, `>`, `&` as
/// entities so that nothing from the project becomes markup where the comment is shown.
pub(super) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside backticks: backticks themselves dropped (they would end the span).
fn code(text: &str) -> String {
    cell(&text.replace('`', "'"))
}

/// A file name as a link target: characters that would end or break it percent-encoded.
fn link(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_become_markup_or_break_the_table() {
        assert_eq!(cell("a|b\n<script>&"), "a\\|b &lt;script&gt;&amp;");
        assert_eq!(link("eval roc(1).svg"), "eval%20roc%281%29.svg");
        assert_eq!(code("a`b"), "a'b");
    }
}
