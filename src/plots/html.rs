//! One self-contained HTML page of plots: the SVG charts inline, images as `data:` URIs (an SVG
//! image goes through `<img>`, where its scripts never run), styles inline; no script and
//! nothing loaded from the network. Each plot's container carries `data-plot="NAME"`.

use std::fmt::Write;

use super::{Kind, Plot, Problem, escape, svg};

/// The page: a heading naming the sides compared, then every plot in order, then the files that
/// could not be read.
pub fn page(title: &str, sides: &[String], plots: &[Plot], problems: &[Problem]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\
         <title>{t}</title><style>{STYLE}</style></head><body><header><h1>{t}</h1>",
        t = escape(title),
    );
    if !sides.is_empty() {
        out.push_str("<p class=\"sides\">");
        out.push_str(if sides.len() > 1 { "Comparing " } else { "From " });
        for s in sides {
            let _ = write!(out, "<span class=\"side\">{}</span>", escape(s));
        }
        out.push_str("</p>");
    }
    if plots.len() > 1 {
        out.push_str("<nav>");
        for (i, p) in plots.iter().enumerate() {
            let _ = write!(out, "<a href=\"#plot-{i}\">{}</a>", escape(&p.name));
        }
        out.push_str("</nav>");
    }
    out.push_str("</header><main>");
    if plots.is_empty() {
        out.push_str("<p class=\"empty\">No plots: declare some in mlx.toml (stage <code>plots</code> entries or <code>[plots.NAME]</code> tables), or log metrics at several steps.</p>");
    }
    for (i, p) in plots.iter().enumerate() {
        section(i, p, &mut out);
    }
    if !problems.is_empty() {
        out.push_str("<section class=\"problems\"><h2>Not shown</h2><ul>");
        for p in problems {
            let _ = write!(
                out,
                "<li><b>{}</b> ({}): {} {}</li>",
                escape(&p.plot),
                escape(&p.side),
                escape(&p.file),
                escape(&p.error)
            );
        }
        out.push_str("</ul></section>");
    }
    out.push_str("</main></body></html>\n");
    out
}

/// One plot as a `<section class="plot" data-plot="NAME" data-template="…">` (the `i`th of the
/// page, its anchor `plot-i`): its name, then the SVG chart or the images as `data:` URIs.
pub fn section(i: usize, p: &Plot, out: &mut String) {
    let _ = write!(
        out,
        "<section class=\"plot\" id=\"plot-{i}\" data-plot=\"{}\" data-template=\"{}\"><h2>{}</h2>",
        escape(&p.name),
        p.template,
        escape(&p.name)
    );
    match p.kind {
        Kind::Image => {
            out.push_str("<div class=\"images\">");
            for image in &p.images {
                let _ = write!(
                    out,
                    "<figure><img data-series=\"{l}\" data-points=\"1\" alt=\"{l}\" src=\"data:{};base64,",
                    image.mime,
                    l = escape(&image.label),
                );
                base64(&image.bytes, out);
                let _ =
                    write!(out, "\"><figcaption>{}</figcaption></figure>", escape(&image.label));
            }
            out.push_str("</div>");
        }
        Kind::Chart if p.series.is_empty() => {
            out.push_str("<p class=\"empty\">No data on any side.</p>");
        }
        Kind::Chart => out.push_str(&svg::render(p)),
    }
    out.push_str("</section>");
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}\
header{padding:16px 24px;background:#fff;border-bottom:1px solid #ddd}h1{font-size:20px;margin:0 0 8px}\
.sides{margin:4px 0;color:#555}.side{margin-right:12px;font-family:monospace;color:#222}nav a{margin-right:12px;font-size:13px;color:#2a5db0}\
main{display:flex;flex-wrap:wrap;gap:16px;padding:16px 24px}\
.plot{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px;max-width:100%}\
.plot h2{font-size:13px;font-weight:500;color:#666;margin:0 0 4px;font-family:monospace}\
.plot svg{max-width:100%;height:auto;display:block}.images{display:flex;flex-wrap:wrap;gap:12px}\
figure{margin:0}figure img{max-width:480px;max-height:480px;display:block}\
figcaption{font-size:12px;color:#555}.problems{width:100%}.empty{color:#777}";

/// Standard base64 (with padding) of `bytes`, appended to `out`.
pub fn base64(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((v >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        for (input, expected) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg==")]
        {
            let mut s = String::new();
            base64(input.as_bytes(), &mut s);
            assert_eq!(s, expected);
        }
    }
}
