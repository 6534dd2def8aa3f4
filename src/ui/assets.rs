//! The browser files of `mlx ui`, embedded in the binary: the page, its script and style, and
//! the vendored uPlot (MIT; version and checksums in `assets/vendor/uPlot.VERSION`, refreshed by
//! `scripts/vendor-uplot`). Nothing is loaded from the network.

/// The page; `{{TOKEN}}` is replaced by the per-process write token.
pub const INDEX: &str = include_str!("assets/index.html");

const JS: &str = "text/javascript; charset=utf-8";

/// A static file by its URL path under `/assets/`: (content type, bytes).
pub fn file(name: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match name {
        "util.js" => (JS, include_bytes!("assets/util.js")),
        "curves.js" => (JS, include_bytes!("assets/curves.js")),
        "experiments.js" => (JS, include_bytes!("assets/experiments.js")),
        "experiment.js" => (JS, include_bytes!("assets/experiment.js")),
        "compare.js" => (JS, include_bytes!("assets/compare.js")),
        "dag.js" => (JS, include_bytes!("assets/dag.js")),
        "drift.js" => (JS, include_bytes!("assets/drift.js")),
        "app.js" => (JS, include_bytes!("assets/app.js")),
        "app.css" => ("text/css; charset=utf-8", include_bytes!("assets/app.css")),
        "uPlot.iife.min.js" => (JS, include_bytes!("assets/vendor/uPlot.iife.min.js")),
        "uPlot.min.css" => {
            ("text/css; charset=utf-8", include_bytes!("assets/vendor/uPlot.min.css"))
        }
        "uPlot.LICENSE" => {
            ("text/plain; charset=utf-8", include_bytes!("assets/vendor/uPlot.LICENSE"))
        }
        _ => return None,
    })
}

/// The page with its token.
pub fn index(token: &str) -> String {
    debug_assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "the token needs no escaping");
    INDEX.replace("{{TOKEN}}", token)
}
