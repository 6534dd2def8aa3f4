//! `mlx plots show|diff` (issue 14): stage `plots` entries and top-level `[plots.NAME]` tables
//! over every data format and template, images, metric histories, revisions and experiments
//! overlaid, the page written where asked and opened with `$BROWSER`, user text escaped,
//! hostile paths neither read nor written, bad definitions reported at their position.

use serde_json::Value;

use crate::support::{TestProject, stderr, stdout};

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0, 0x05, 0, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d,
    0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The plot named `name` of a `--json` report.
fn plot<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["plots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no plot {name} in {report:#}"))
}

fn labels(plot: &Value) -> Vec<String> {
    plot["series"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap().into()).collect()
}

/// The page `mlx plots show ARGS` writes (at its default place).
fn page(p: &TestProject, args: &[&str]) -> String {
    let mut all = vec!["plots", "show"];
    all.extend(args);
    let a = p.mlx(&all).success();
    let path = stdout(&a).trim().to_owned();
    assert_eq!(path, p.path(".mlx/plots/index.html").display().to_string());
    std::fs::read_to_string(path).unwrap()
}

/// Data files of every format and top-level plots drawing them with every template.
fn all_formats() -> TestProject {
    let p = TestProject::initialized();
    p.write("eval/a.csv", "step,precision,recall\n0,0.5,0.9\n1,0.6,0.8\n2,0.7,0.6\n");
    p.write("eval/b.tsv", "step\trecall\tf1\n0\t0.4\t0.45\n1\t0.5\t0.55\n");
    p.write(
        "eval/c.json",
        r#"{"note": "x", "rows": [{"cls": "cat", "n": 3}, {"cls": "dog", "n": 5}]}"#,
    );
    p.write("eval/d.jsonl", "{\"t\": 1, \"v\": 2}\n{\"t\": 2, \"v\": 1}\n{\"t\": 3, \"v\": 4}\n");
    p.write("eval/e.yaml", "- {actual: cat, predicted: cat}\n- {actual: cat, predicted: dog}\n- {actual: dog, predicted: dog}\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[plots.pr]\nx = \"step\"\ny = {{ \"eval/a.csv\" = \"precision\", \"eval/b.tsv\" = [\"recall\", \"f1\"] }}\ntitle = \"Precision and recall\"\nx_label = \"epoch\"\n\n[plots.counts]\nx = \"cls\"\ny = {{ \"eval/c.json\" = \"n\" }}\ntemplate = \"bar\"\n\n[plots.\"eval/d.jsonl\"]\nx = \"t\"\ny = \"v\"\ntemplate = \"step\"\n\n[plots.dots]\ny = {{ \"eval/d.jsonl\" = \"v\" }}\ntemplate = \"scatter\"\n\n[plots.confusion]\nx = \"actual\"\ny = {{ \"eval/e.yaml\" = \"predicted\" }}\ntemplate = \"confusion\"\n\n[plots.shares]\nx = \"actual\"\ny = {{ \"eval/e.yaml\" = \"predicted\" }}\ntemplate = \"confusion_normalized\"\n",
            p.read_string("mlx.toml")
        ),
    );
    p
}

#[test]
fn show_draws_every_format_and_template() {
    let p = all_formats();
    let report = p.json(&["plots", "show"]);
    assert_eq!(report["sides"], serde_json::json!([{"label": "workspace"}]));
    assert_eq!(report["problems"], serde_json::json!([]));

    // x/y maps over two files: one series per file and field.
    let pr = plot(&report, "pr");
    assert_eq!(pr["template"], "linear");
    assert_eq!(pr["title"], "Precision and recall");
    assert_eq!((pr["x_label"].as_str(), pr["y_label"].as_str()), (Some("epoch"), Some("")));
    assert_eq!(labels(pr), ["eval/a.csv · precision", "eval/b.tsv · recall", "eval/b.tsv · f1"]);
    assert_eq!(pr["series"][0]["points"], serde_json::json!([[0.0, 0.5], [1.0, 0.6], [2.0, 0.7]]));
    assert_eq!(pr["series"][1]["source"], "eval/b.tsv");
    assert_eq!(pr["series"][1]["x_field"], "step");

    // JSON: the first list of records in the object; text x values.
    let counts = plot(&report, "counts");
    assert_eq!(counts["series"][0]["points"], serde_json::json!([["cat", 3.0], ["dog", 5.0]]));
    assert_eq!(plot(&report, "eval/d.jsonl")["template"], "step");
    // No x: the row index.
    let dots = plot(&report, "dots");
    assert_eq!(dots["series"][0]["x_field"], Value::Null);
    assert_eq!(dots["x_label"], "step");
    assert_eq!(
        dots["series"][0]["points"],
        serde_json::json!([[0.0, 2.0], [1.0, 1.0], [2.0, 4.0]])
    );
    assert_eq!(
        plot(&report, "confusion")["series"][0]["points"][1],
        serde_json::json!(["cat", "dog"])
    );
    assert_eq!(plot(&report, "shares")["template"], "confusion_normalized");

    let html = page(&p, &[]);
    for (name, template) in [
        ("pr", "linear"),
        ("counts", "bar"),
        ("eval/d.jsonl", "step"),
        ("dots", "scatter"),
        ("confusion", "confusion"),
        ("shares", "confusion_normalized"),
    ] {
        assert!(
            html.contains(&format!("data-plot=\"{name}\" data-template=\"{template}\"")),
            "{name}"
        );
    }
    assert!(html.contains("data-series=\"eval/b.tsv · f1\" data-points=\"2\""), "{html}");
    assert!(html.contains("<path fill=\"none\""), "lines are drawn");
    assert!(html.contains("<circle"), "points are drawn");
    assert!(html.contains(">0.50</text>"), "a normalized confusion cell");
    assert!(!html.contains("http://") || !html.contains("src=\"http"), "nothing from the network");
    assert!(!html.contains("<script"), "no script needed");

    // Names pick plots; a file picks the plots reading it.
    let only = p.json(&["plots", "show", "counts", "eval/a.csv"]);
    let names: Vec<&str> =
        only["plots"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pr", "counts"]);
}

#[test]
fn stage_entries_take_x_y_template_and_labels() {
    let p = TestProject::initialized();
    p.write(
        "train.py",
        "import os\nos.makedirs('eval', exist_ok=True)\n\
         open('eval/roc.csv', 'w').write('fpr,tpr,thr\\n0,0,1\\n0.2,0.7,0.5\\n1,1,0\\n')\n\
         open('eval/loss.csv', 'w').write('loss\\n3\\n2\\n1.5\\n')\n",
    );
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.train]\ncmd = \"python3 train.py\"\ndeps = [\"train.py\"]\nplots = [\n  {{ path = \"eval/roc.csv\", x = \"fpr\", y = \"tpr\", template = \"scatter\", title = \"ROC\", x_label = \"FPR\", y_label = \"TPR\" }},\n  \"eval/loss.csv\",\n]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.mlx(&["run", "-q"]).success();
    let report = p.json(&["plots", "show"]);
    let roc = plot(&report, "eval/roc.csv");
    assert_eq!(roc["template"], "scatter");
    assert_eq!(
        (roc["title"].as_str(), roc["x_label"].as_str(), roc["y_label"].as_str()),
        (Some("ROC"), Some("FPR"), Some("TPR"))
    );
    assert_eq!(labels(roc), ["tpr"]);
    assert_eq!(roc["series"][0]["points"][1], serde_json::json!([0.2, 0.7]));
    // A bare entry: the last field over the row index.
    let loss = plot(&report, "eval/loss.csv");
    assert_eq!(
        (loss["template"].as_str(), loss["x_label"].as_str()),
        (Some("linear"), Some("step"))
    );
    assert_eq!(
        loss["series"][0]["points"],
        serde_json::json!([[0.0, 3.0], [1.0, 2.0], [2.0, 1.5]])
    );
}

#[test]
fn images_are_shown_as_they_are_and_svg_scripts_never_run() {
    let p = TestProject::initialized();
    p.write("eval/one.png", PNG);
    p.write("eval/shots/a.png", PNG);
    p.write("eval/shots/b.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script><rect width=\"5\" height=\"5\"/></svg>");
    p.write("eval/shots/notes.txt", "not an image");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[plots.\"eval/one.png\"]\n\n[plots.\"eval/shots\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    let report = p.json(&["plots", "show"]);
    let one = plot(&report, "eval/one.png");
    assert_eq!(one["kind"], "image");
    assert_eq!(one["images"][0]["mime"], "image/png");
    assert_eq!(one["images"][0]["size"], PNG.len());
    let shots = plot(&report, "eval/shots");
    let files: Vec<&str> =
        shots["images"].as_array().unwrap().iter().map(|i| i["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["eval/shots/a.png", "eval/shots/b.svg"]);

    let html = page(&p, &[]);
    assert!(html.contains("src=\"data:image/png;base64,iVBORw0KGgo"), "{html}");
    assert!(html.contains("<img data-series=\"eval/shots/b.svg\" data-points=\"1\" alt=\"eval/shots/b.svg\" src=\"data:image/svg+xml;base64,"));
    assert!(
        !html.contains("<script") && !html.contains("alert(1)"),
        "the SVG stays inside its data URI"
    );
}

#[test]
fn metric_histories_are_plots() {
    let p = TestProject::initialized();
    p.write(
        "log.py",
        "import json, os\nwith open(os.environ['MLX_METRICS_FILE'], 'a') as f:\n    for s in range(4):\n        f.write(json.dumps({'key': 'loss', 'value': 8 - s, 'step': s}) + '\\n')\n    f.write(json.dumps({'key': 'acc', 'value': 0.9}) + '\\n')\n",
    );
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.train]\ncmd = \"python3 log.py\"\ndeps = [\"log.py\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.mlx(&["run", "-q"]).success();
    let report = p.json(&["plots", "show"]);
    let names: Vec<&str> =
        report["plots"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["metrics.loss"], "acc has one step only: {report:#}");
    let loss = plot(&report, "metrics.loss");
    assert_eq!(loss["x_label"], "step");
    assert_eq!(labels(loss), ["train"]);
    assert_eq!(
        loss["series"][0]["points"],
        serde_json::json!([[0.0, 8.0], [1.0, 7.0], [2.0, 6.0], [3.0, 5.0]])
    );
    let html = page(&p, &["metrics.loss"]);
    assert!(html.contains("data-plot=\"metrics.loss\""));
    assert!(html.contains("data-series=\"train\" data-points=\"4\""));

    // The newest experiment's: here a command run, named by its run's name (escaped).
    p.mlx(&["run", "-q", "--name", "<script>run</script>", "--", "python3", "log.py"]).success();
    let html = page(&p, &[]);
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains("data-series=\"&lt;script&gt;run&lt;/script&gt;\" data-points=\"4\""),
        "{html}"
    );

    // An experiment that kept no result (a command's) gives its histories only.
    p.write(
        "mlx.toml",
        format!("{}\n[plots.curve]\ny = {{ \"log.py\" = \"x\" }}\n", p.read_string("mlx.toml")),
    );
    let report = p.json(&["plots", "diff", "--exp", "<script>run</script>", "--no-workspace"]);
    assert_eq!(plot(&report, "metrics.loss")["series"][0]["points"].as_array().unwrap().len(), 4);
    assert_eq!(plot(&report, "curve")["series"], Value::Null);
    assert_eq!(
        report["problems"][0]["error"],
        "experiment <script>run</script> kept no result to read plots files from"
    );
}

/// A pipeline whose stage writes `eval/curve.csv` (cached) from `params.yaml`'s lr, run and
/// committed at lr 0.1, then at lr 0.2; returns the first commit.
pub(crate) fn two_revisions() -> (TestProject, String) {
    let p = TestProject::initialized();
    p.write("params.yaml", "lr: 0.1\n");
    p.write(
        "train.py",
        "import os, re\nlr = float(re.search(r'lr: *([0-9.]+)', open('params.yaml').read()).group(1))\n\
         os.makedirs('eval', exist_ok=True)\n\
         open('eval/curve.csv', 'w').write('loss\\n' + ''.join(f'{lr * (5 - i)}\\n' for i in range(5)))\n",
    );
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.train]\ncmd = \"python3 train.py\"\ndeps = [\"train.py\"]\nparams = [\"params.yaml:lr\"]\nplots = [\"eval/curve.csv\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.mlx(&["run", "-q"]).success();
    let first = p.commit_all("lr 0.1");
    p.write("params.yaml", "lr: 0.2\n");
    p.mlx(&["run", "-q"]).success();
    p.commit_all("lr 0.2");
    (p, first)
}

#[test]
fn diff_overlays_revisions_read_from_the_cache() {
    let (p, first) = two_revisions();
    p.git(&["tag", "v1", &first]);
    let report = p.json(&["plots", "diff", "v1", "HEAD", "--no-workspace"]);
    let labels_of: Vec<&str> =
        report["sides"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(labels_of, ["v1", "HEAD"]);
    assert_eq!(report["sides"][0]["commit"], first.as_str());
    let curve = plot(&report, "eval/curve.csv");
    assert_eq!(labels(curve), ["v1", "HEAD"]);
    assert_eq!(curve["series"][0]["points"][0], serde_json::json!([0.0, 0.5]));
    assert_eq!(curve["series"][1]["points"][0], serde_json::json!([0.0, 1.0]));

    // Default: HEAD against the workspace.
    p.write("params.yaml", "lr: 0.3\n");
    p.mlx(&["run", "-q"]).success();
    let report = p.json(&["plots", "diff"]);
    let curve = plot(&report, "eval/curve.csv");
    assert_eq!(labels(curve), ["HEAD", "workspace"]);
    let a = p.mlx(&["plots", "diff", "v1", "-o", "diff.html"]).success();
    let html = p.read_string("diff.html");
    assert_eq!(stdout(&a).trim(), p.path("diff.html").display().to_string());
    assert!(html.contains("data-series=\"v1\" data-points=\"5\""), "{html}");
    assert!(html.contains("data-series=\"workspace\" data-points=\"5\""), "{html}");

    // An object the cache lacks is reported with the way to get it; the rest is drawn.
    let lock = p.git(&["show", &format!("{first}:mlx.lock")]);
    let hash = lock
        .lines()
        .skip_while(|l| !l.contains("eval/curve.csv"))
        .find_map(|l| l.trim().strip_prefix("hash = \""))
        .map(|h| h.trim_end_matches('"').to_owned())
        .expect("the hash of the curve in mlx.lock");
    let kept = p.outside().join("kept");
    std::fs::create_dir_all(p.outside()).unwrap();
    std::fs::copy(p.object_path(&hash), &kept).unwrap();
    std::fs::remove_file(p.object_path(&hash)).unwrap();
    let a = p.mlx(&["plots", "diff", "v1"]).success();
    assert!(
        stderr(&a).contains("eval/curve.csv (v1): eval/curve.csv: object ")
            && stderr(&a).contains("is not in the cache (fetch it with `mlx fetch --rev v1`)"),
        "{}",
        stderr(&a)
    );

    // With a remote holding it, it is fetched first.
    let store = p.outside().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default", "--local"]).success();
    std::fs::copy(&kept, p.object_path(&hash)).unwrap();
    p.mlx(&["push", "-q", "--all-commits"]).success();
    std::fs::remove_file(p.object_path(&hash)).unwrap();
    let report = p.json(&["plots", "diff", "v1", "--no-workspace"]);
    assert_eq!(report["fetched"], 1, "{report:#}");
    assert_eq!(
        plot(&report, "eval/curve.csv")["series"][0]["points"][0],
        serde_json::json!([0.0, 0.5])
    );
}

#[test]
fn diff_overlays_experiments_and_their_histories() {
    let (p, _) = two_revisions();
    p.write(
        "train.py",
        format!(
            "{}import json\nwith open(os.environ['MLX_METRICS_FILE'], 'a') as f:\n    for s in range(3):\n        f.write(json.dumps({{'key': 'loss', 'value': lr * (3 - s), 'step': s}}) + '\\n')\n",
            p.read_string("train.py")
        ),
    );
    p.commit_all("log a history");
    p.mlx(&["exp", "run", "-q", "--name", "slow", "--set", "lr=0.01"]).success();
    p.mlx(&["exp", "run", "-q", "--name", "quick", "--set", "lr=0.5"]).success();
    let report = p.json(&["plots", "diff", "--exp", "slow", "--exp", "quick", "--no-workspace"]);
    let curve = plot(&report, "eval/curve.csv");
    assert_eq!(labels(curve), ["slow", "quick"]);
    assert_eq!(curve["series"][0]["points"][0], serde_json::json!([0.0, 0.05]));
    assert_eq!(curve["series"][1]["points"][0], serde_json::json!([0.0, 2.5]));
    let loss = plot(&report, "metrics.loss");
    assert_eq!(labels(loss), ["slow · train", "quick · train"]);
    assert_eq!(loss["series"][1]["points"][2], serde_json::json!([2.0, 0.5]));

    let a = p.mlx(&["plots", "diff", "--exp", "slow", "--exp", "quick"]).success();
    let html = std::fs::read_to_string(stdout(&a).trim()).unwrap();
    assert!(html.contains("data-series=\"quick · train\" data-points=\"3\""), "{html}");

    let a = p.mlx(&["plots", "diff", "--exp", "slwo"]).code(2);
    assert!(stderr(&a).contains("slow"), "{}", stderr(&a));
}

#[test]
fn out_writes_where_asked_and_open_uses_browser() {
    let p = all_formats();
    p.mkdir("sub");
    let a = p.mlx_in("sub", &["plots", "show", "-o", "page.html"]).success();
    assert_eq!(stdout(&a).trim(), p.path("sub/page.html").display().to_string());
    assert!(p.read_string("sub/page.html").starts_with("<!DOCTYPE html>"));
    // Outside the project: the user's choice.
    let outside = p.outside().join("elsewhere/page.html");
    p.mlx(&["plots", "show", "-o", outside.to_str().unwrap()]).success();
    assert!(outside.exists());

    let log = p.outside().join("opened.txt");
    let script = p.outside().join("browser.sh");
    std::fs::create_dir_all(p.outside()).unwrap();
    std::fs::write(&script, format!("#!/bin/sh\necho \"$1\" > {}\n", log.display())).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&script).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p.mlx_cmd().args(["plots", "show", "--open"]).env("BROWSER", &script).assert().success();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        p.path(".mlx/plots/index.html").display().to_string()
    );
}

#[test]
fn user_text_is_escaped() {
    let p = TestProject::initialized();
    p.write("eval/x.csv", "<script>col</script>,v\n\"<script>cell</script>\",1\nb,2\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[plots.\"<script>name</script>\"]\ny = {{ \"eval/x.csv\" = \"v\" }}\nx = \"<script>col</script>\"\ntemplate = \"bar\"\ntitle = \"<script>title</script>\"\ny_label = \"<img src=x onerror=alert(1)>\"\n",
            p.read_string("mlx.toml")
        ),
    );
    let html = page(&p, &[]);
    assert!(!html.contains("<script") && !html.contains("<img src=x"), "{html}");
    for text in [
        "&lt;script&gt;name&lt;/script&gt;",
        "&lt;script&gt;title&lt;/script&gt;",
        "&lt;script&gt;cell&lt;/scr",
        "&lt;img src=x onerror=alert(1)&gt;",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
}

#[test]
fn hostile_paths_are_neither_read_nor_written() {
    let p = TestProject::initialized();
    std::fs::create_dir_all(p.outside()).unwrap();
    std::fs::write(p.outside().join("secret.csv"), "a,b\n1,2\n").unwrap();
    std::os::unix::fs::symlink(p.outside().join("secret.csv"), p.path("link.csv")).unwrap();
    std::os::unix::fs::symlink(p.path(".git/config"), p.path("gitlink.csv")).unwrap();
    let base = p.read_string("mlx.toml");
    p.write(
        "mlx.toml",
        format!("{base}\n[plots.out]\ny = {{ \"link.csv\" = \"b\", \"gitlink.csv\" = \"b\" }}\n"),
    );
    let report = p.json(&["plots", "show"]);
    assert_eq!(plot(&report, "out")["series"], Value::Null, "nothing read: {report:#}");
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{report:#}");
    assert!(problems[0]["error"].as_str().unwrap().contains("resolves outside the project"));
    assert!(problems[1]["error"].as_str().unwrap().contains("resolves into .git"));

    for (y, message) in [
        ("{ \"../secret.csv\" = \"b\" }", "contains `..`"),
        ("{ \".git/config\" = \"b\" }", "refusing .git/config"),
        ("{ \"/etc/passwd\" = \"b\" }", "is absolute"),
    ] {
        p.write("mlx.toml", format!("{base}\n[plots.bad]\ny = {y}\n"));
        let a = p.mlx(&["plots", "show"]).code(2);
        let err = stderr(&a);
        assert!(err.contains("mlx.toml:") && err.contains(message), "{y}: {err}");
    }

    p.write("mlx.toml", &base);
    let a = p.mlx(&["plots", "show", "-o", ".git/page.html"]).code(2);
    assert!(stderr(&a).contains("refusing"), "{}", stderr(&a));
    assert!(!p.exists(".git/page.html"));
}

#[test]
fn bad_definitions_name_their_position_and_unknown_names_the_closest() {
    let p = TestProject::initialized();
    let base = p.read_string("mlx.toml");
    let lines = base.lines().count();
    for (text, at, message) in [
        (
            "[stages.s]\ncmd = \"true\"\nplots = [{ path = \"p.csv\", template = \"lnear\" }]\n",
            (3, 39),
            "unknown template \"lnear\" (did you mean linear?)",
        ),
        (
            "[stages.s]\ncmd = \"true\"\nouts = [{ path = \"o.csv\", x = \"a\" }]\n",
            (3, 31),
            "x, y, template, title, x_label and y_label are keys of `plots` entries only",
        ),
        ("[plots.p]\ny = \"v\"\ncolour = \"red\"\n", (3, 1), "unknown field `colour`"),
        ("[plots.p]\ny = { \"a.csv\" = [] }\n", (2, 7), "the list of fields is empty"),
    ] {
        p.write("mlx.toml", format!("{base}\n{text}"));
        let a = p.mlx(&["plots", "show"]).code(2);
        let expected = format!("error: mlx.toml:{}:{}: {message}", lines + 1 + at.0, at.1);
        assert!(stderr(&a).starts_with(&expected), "{expected}\n{}", stderr(&a));
    }
    p.write("mlx.toml", format!("{base}\n[plots.loss]\ny = {{ \"a.csv\" = \"v\" }}\n"));
    let a = p.mlx(&["plots", "show", "los"]).code(2);
    assert!(stderr(&a).contains("unknown plot los (did you mean loss?)"), "{}", stderr(&a));
    p.commit_all("plots");
    p.git(&["branch", "feature"]);
    let a = p.mlx(&["plots", "diff", "featur"]).code(2);
    assert!(
        stderr(&a).contains("unknown revision featur (did you mean feature?)"),
        "{}",
        stderr(&a)
    );
}

#[test]
fn diff_reads_data_tracked_with_add_at_a_revision() {
    let p = TestProject::initialized();
    p.write("data/scores.csv", "epoch,score\n0,1\n1,2\n");
    p.mlx(&["add", "-q", "data/scores.csv"]).success();
    p.write(
        "mlx.toml",
        format!(
            "{}\n[plots.scores]\ny = {{ \"data/scores.csv\" = \"score\" }}\nx = \"epoch\"\n",
            p.read_string("mlx.toml")
        ),
    );
    p.commit_all("scores");
    p.write("data/scores.csv", "epoch,score\n0,3\n1,4\n2,5\n");
    let report = p.json(&["plots", "diff"]);
    let scores = plot(&report, "scores");
    assert_eq!(labels(scores), ["HEAD", "workspace"]);
    assert_eq!(scores["series"][0]["points"], serde_json::json!([[0.0, 1.0], [1.0, 2.0]]));
    assert_eq!(scores["series"][1]["points"].as_array().unwrap().len(), 3);
}

/// The page opened in headless Chromium with the network off: every chart is drawn (each
/// series with its points), every image decodes, the SVG image's script never runs, and
/// nothing is requested from anywhere.
#[test]
fn the_page_draws_every_chart_in_a_browser_with_the_network_off() {
    let p = all_formats();
    p.write("eval/one.png", PNG);
    p.write(
        "eval/shots/b.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"5\" height=\"5\"><script>alert(1)</script><rect width=\"5\" height=\"5\"/></svg>",
    );
    p.write("eval/evil.csv", "x,y\n0,1\n1,2\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[plots.\"eval/one.png\"]\n\n[plots.\"eval/shots\"]\n\n[plots.\"<img src=x onerror=alert(2)>\"]\ny = {{ \"eval/evil.csv\" = \"y\" }}\n",
            p.read_string("mlx.toml")
        ),
    );
    let report = p.json(&["plots", "show"]);
    let expected: Vec<(String, usize)> = report["plots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|plot| {
            let drawn = plot["series"].as_array().map_or(0, Vec::len)
                + plot["images"].as_array().map_or(0, Vec::len);
            (plot["name"].as_str().unwrap().to_owned(), drawn)
        })
        .collect();
    assert_eq!(expected.len(), 9, "{report:#}");
    page(&p, &[]);
    let url = format!("file://{}", p.path(".mlx/plots/index.html").display());
    let script = format!(
        r#"export default async (page, t) => {{
  const dialogs = [];
  page.on('dialog', (d) => {{ dialogs.push(d.message()); d.dismiss(); }});
  await page.goto({url:?});
  await page.waitForLoadState('load');
  await t.shot('plots');
  const plots = await page.$$eval('[data-plot]', (sections) => sections.map((s) => ({{
    name: s.dataset.plot,
    series: Array.from(s.querySelectorAll('[data-series]')).map((g) => ({{
      label: g.dataset.series,
      points: Number(g.dataset.points),
      // Something visible was drawn: a path, points, bars or cells with a size on screen.
      drawn: g.tagName === 'IMG'
        ? g.complete && g.naturalWidth > 0
        : Array.from(g.querySelectorAll('path, polyline, circle, rect'))
            .some((e) => {{ const b = e.getBoundingClientRect(); return b.width > 0 || b.height > 0; }}),
    }})),
  }})));
  return {{ plots, dialogs, scripts: await page.$$eval('script', (s) => s.length) }};
}};"#
    );
    let got = crate::support::browser::run(
        "plots-offline",
        crate::support::browser::Scenario { script: &script, offline: true, ..Default::default() },
    );
    assert_eq!(got["dialogs"], serde_json::json!([]), "{got:#}");
    assert_eq!(got["scripts"], 0, "{got:#}");
    let plots = got["plots"].as_array().unwrap();
    let names: Vec<(String, usize)> = plots
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["series"].as_array().unwrap().len()))
        .collect();
    assert_eq!(names, expected, "{got:#}");
    for plot in plots {
        for s in plot["series"].as_array().unwrap() {
            assert!(s["points"].as_u64().unwrap() > 0, "{}: {s}", plot["name"]);
            assert_eq!(s["drawn"], true, "{}: {s} was not drawn", plot["name"]);
        }
    }
}

/// A plot naming a folder of data files (DVC's `eval/plots/metrics: {x: step}`, where DVCLive
/// writes a TSV per metric, in subfolders too) is one plot per file, with the folder's
/// properties; the folder's images stay one image plot under its name.
#[test]
fn a_folder_of_data_files_is_a_plot_per_file() {
    let p = TestProject::initialized();
    p.write("eval/metrics/acc.tsv", "step\tacc\n0\t0.5\n1\t0.75\n");
    p.write("eval/metrics/train/loss.tsv", "step\tloss\n0\t1.0\n1\t0.5\n2\t0.25\n");
    p.write("eval/metrics/picture.png", b"\x89PNG\r\n\x1a\n".as_slice());
    p.write(
        "mlx.toml",
        format!(
            "{}\n[plots.\"eval/metrics\"]\nx = \"step\"\ntemplate = \"step\"\n",
            p.read_string("mlx.toml")
        ),
    );
    let report = p.json(&["plots", "show"]);
    let names: Vec<&str> =
        report["plots"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["eval/metrics/acc.tsv", "eval/metrics/train/loss.tsv", "eval/metrics"]);
    let loss = plot(&report, "eval/metrics/train/loss.tsv");
    assert_eq!(loss["template"], "step");
    assert_eq!(loss["series"][0]["x_field"], "step");
    assert_eq!(loss["series"][0]["y_field"], "loss");
    assert_eq!(loss["series"][0]["points"].as_array().unwrap().len(), 3);
    assert_eq!(plot(&report, "eval/metrics")["kind"], "image");
}
