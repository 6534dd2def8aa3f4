//! `mlx report`: the workspace's metrics, params and plots against a base revision, as markdown
//! on stdout or in a folder (plots as SVG files beside it), or as one self-contained HTML page;
//! real pipelines run with `mlx run` and committed.

use serde_json::json;

use crate::support::{TestProject, stdout};

const PIPELINE: &str = r#"
[stages.train]
cmd = "python3 train.py"
deps = ["train.py"]
params = ["train"]
metrics = ["eval/metrics.json"]
"#;

const TRAIN: &str = r#"
import json, os, tomllib
p = tomllib.load(open("params.toml", "rb"))["train"]
os.makedirs("eval", exist_ok=True)
json.dump({"acc": round(1 - p["lr"], 6), "epochs": p["epochs"]}, open("eval/metrics.json", "w"))
"#;

fn params(lr: &str, name: &str) -> String {
    format!("[train]\nlr = {lr}\nepochs = 3\nname = {name:?}\n")
}

/// `pipeline` with `train` run at lr 0.1 and committed, then run with `new_params` in the
/// workspace; the commit.
fn run_twice(pipeline: &str, train: &str, new_params: String) -> (TestProject, String) {
    let p = TestProject::initialized();
    p.write("mlx.toml", pipeline);
    p.write("train.py", train);
    p.write("params.toml", params("0.1", "base"));
    p.mlx(&["run"]).success();
    let c1 = p.commit_all("lr 0.1");
    p.write("params.toml", new_params);
    p.mlx(&["run"]).success();
    (p, c1)
}

/// The pipeline run at lr 0.1 and committed, then run at lr 0.2 in the workspace.
fn changed_project() -> (TestProject, String) {
    run_twice(PIPELINE, TRAIN, params("0.2", "<script>alert(1)</script>|x"))
}

#[test]
fn markdown_on_stdout_compares_the_workspace_with_head() {
    let (p, c1) = changed_project();
    let md = stdout(&p.mlx(&["report"]).success());
    let head = format!("## mlx report: workspace against HEAD ({})", &c1[..7]);
    assert!(md.starts_with(&head), "{md}");
    // The changed metric in the table, the unchanged one folded away.
    assert!(md.contains("1 of 2 metrics changed."), "{md}");
    assert!(md.contains("| eval/metrics.json | acc | 0.9 | 0.8 | -0.1 (-11.11%) |"), "{md}");
    let details = md.find("<details><summary>1 unchanged</summary>").expect(&md);
    assert!(md[details..].contains("| eval/metrics.json | epochs | 3 | 3 |  |"), "{md}");
    // Params: only the changed ones; project text never becomes markup or breaks the table.
    assert!(md.contains("2 of 3 params changed."), "{md}");
    assert!(md.contains("| params.toml | train.lr | 0.1 | 0.2 |"), "{md}");
    assert!(
        md.contains(
            "| params.toml | train.name | base | &lt;script&gt;alert(1)&lt;/script&gt;\\|x |"
        ),
        "{md}"
    );
    assert!(!md.contains("<script>"), "{md}");
}

#[test]
fn a_base_revision_and_json() {
    let (p, c1) = changed_project();
    let c2 = p.commit_all("lr 0.2");
    p.write("params.toml", params("0.5", "base"));
    p.mlx(&["run"]).success();
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&p.mlx(&["report", "--base", &c1, "--json"]).success()))
            .unwrap();
    assert_eq!(report["metrics"]["a"], json!({"label": c1, "commit": c1}));
    assert_eq!(report["metrics"]["b"], json!({"label": "workspace"}));
    let acc = report["metrics"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "acc")
        .cloned()
        .unwrap();
    assert_eq!(acc["old"], json!(0.9));
    assert_eq!(acc["new"], json!(0.5));
    assert_eq!(report["params"]["changed"], json!(1));
    assert_eq!(report["written"], json!([]));
    // Against the default, HEAD (the lr 0.2 commit).
    let md = stdout(&p.mlx(&["report"]).success());
    assert!(md.contains(&format!("against HEAD ({})", &c2[..7])), "{md}");
    assert!(md.contains("| eval/metrics.json | acc | 0.8 | 0.5 |"), "{md}");
    // An unknown base is an input error.
    p.mlx(&["report", "--base", "no-such-branch"]).code(2);
}

#[test]
fn a_folder_gets_the_markdown_or_one_html_page() {
    let (p, _) = changed_project();
    let a = p.mlx(&["report", "-o", "out"]).success();
    let md_path = p.path("out/report.md");
    assert_eq!(stdout(&a).trim(), md_path.display().to_string());
    let md = p.read_string("out/report.md");
    assert!(md.contains("| eval/metrics.json | acc | 0.9 | 0.8 |"), "{md}");

    let a = p.mlx(&["report", "--html", "-o", "out"]).success();
    assert_eq!(stdout(&a).trim(), p.path("out/report.html").display().to_string());
    let html = p.read_string("out/report.html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        html.contains(
            "<td>train.name</td><td>base</td><td>&lt;script&gt;alert(1)&lt;/script&gt;|x</td>"
        ),
        "{html}"
    );
    // Self-contained: nothing to load, no script.
    for needle in ["<script", "src=", "href=", "http://", "https://"] {
        assert!(!html.contains(needle), "{needle} in {html}");
    }
    // Outside the project too, relative to where mlx runs.
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("r");
    p.mlx(&["report", "-o", dir.to_str().unwrap()]).success();
    assert!(dir.join("report.md").is_file());
}

#[test]
fn the_output_folder_never_reaches_into_git_or_mlx_even_through_a_symlink() {
    let (p, _) = changed_project();
    for bad in [".git", ".git/hooks", ".mlx", ".mlx/cache"] {
        let a = p.mlx(&["report", "-o", bad]).code(2);
        let err = crate::support::stderr(&a);
        assert!(err.contains("error:"), "{bad}: {err}");
    }
    assert!(!p.path(".git/report.md").exists());
    assert!(!p.path(".git/hooks/report.md").exists());
    assert!(!p.path(".mlx/report.md").exists());
    // A folder the repository holds as a symlink into `.git` (or `.mlx`) is refused too.
    std::os::unix::fs::symlink(".git", p.path("gitlink")).unwrap();
    std::os::unix::fs::symlink(".mlx/cache", p.path("cachelink")).unwrap();
    for bad in ["gitlink", "gitlink/hooks", "cachelink"] {
        p.mlx(&["report", "-o", bad]).code(2);
    }
    assert!(!p.path(".git/report.md").exists());
    assert!(!p.path(".git/hooks/report.md").exists());
    assert!(!p.path(".mlx/cache/report.md").exists());
}

/// A stage writing a metrics file and two plots files, one of which depends on the param.
const PLOTTING: &str = r#"
[stages.train]
cmd = "python3 train.py"
deps = ["train.py"]
params = ["train"]
metrics = ["eval/metrics.json"]
plots = [
  { path = "eval/loss.csv", x = "step", y = "loss", title = "Loss <b>curve</b>" },
  "eval/fixed.csv",
]
"#;

const PLOTTING_TRAIN: &str = r#"
import json, os, tomllib
p = tomllib.load(open("params.toml", "rb"))["train"]
os.makedirs("eval", exist_ok=True)
json.dump({"acc": round(1 - p["lr"], 6)}, open("eval/metrics.json", "w"))
with open("eval/loss.csv", "w") as f:
    f.write("step,loss\n")
    for s in range(5):
        f.write(f"{s},{round(1 / (1 + s * p['lr']), 4)}\n")
open("eval/fixed.csv", "w").write("x,y\n0,1\n1,2\n")
"#;

#[test]
fn changed_plots_are_drawn_with_both_sides() {
    let (p, c1) = run_twice(PLOTTING, PLOTTING_TRAIN, params("0.5", "base"));

    let a = p.mlx(&["report", "--base", &c1, "-o", "out"]).success();
    // The markdown, then the one changed plot's SVG; the unchanged plot is left out.
    assert_eq!(
        stdout(&a),
        format!(
            "{}\n{}\n",
            p.path("out/report.md").display(),
            p.path("out/plots/eval-loss.csv.svg").display()
        )
    );
    let md = p.read_string("out/report.md");
    assert!(md.contains("### Plots\n\n![eval/loss.csv](plots/eval-loss.csv.svg)"), "{md}");
    assert!(!md.contains("fixed"), "{md}");
    let svg = p.read_string("out/plots/eval-loss.csv.svg");
    assert!(svg.starts_with("<svg"), "{svg}");
    // Both sides drawn, five points each; the title is text, not markup.
    assert_eq!(svg.matches("data-points=\"5\"").count(), 2, "{svg}");
    assert!(
        svg.contains(&format!("data-series=\"{}", &c1)) || svg.contains("data-series=\""),
        "{svg}"
    );
    assert!(svg.contains("Loss &lt;b&gt;curve&lt;/b&gt;"), "{svg}");
    assert!(!svg.contains("<b>"), "{svg}");

    let report: serde_json::Value =
        serde_json::from_str(&stdout(&p.mlx(&["report", "--base", &c1, "--json"]).success()))
            .unwrap();
    assert_eq!(report["plots"], json!([{"name": "eval/loss.csv", "file": "eval-loss.csv.svg"}]));

    // The HTML page carries the drawing inline.
    p.mlx(&["report", "--base", &c1, "--html", "-o", "out"]).success();
    let html = p.read_string("out/report.html");
    assert!(
        html.contains(
            "<figure data-plot=\"eval/loss.csv\"><figcaption>eval/loss.csv</figcaption><svg"
        ),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");

    // Nothing changed against the workspace's own commit: no plots part.
    p.commit_all("lr 0.5");
    let md = stdout(&p.mlx(&["report"]).success());
    assert!(!md.contains("### Plots"), "{md}");
}
