//! `[stages]` in mlx.toml as the binary sees it, observed through `mlx dag`: parsing, foreach and
//! matrix expansion, path rules, graph checks and the errors for each mistake (exit 2, with
//! `mlx.toml:LINE:COLUMN`). Also runs every fixture under tests/fixtures/pipelines/: each
//! `valid/NAME.toml` against `NAME.dag` (the `mlx dag` output), each `invalid/NAME.toml` against
//! `NAME.err` (the exact stderr). Regenerate the expected files with `MLX_UPDATE_FIXTURES=1`.

use std::path::{Path, PathBuf};

use crate::support::{TestProject, stderr, stdout};

/// An initialized project whose mlx.toml is `stages` (after the template's settings).
fn project(stages: &str) -> TestProject {
    let p = TestProject::initialized();
    p.write("mlx.toml", stages);
    p
}

fn dag_ok(p: &TestProject, args: &[&str]) -> String {
    let mut all = vec!["dag"];
    all.extend_from_slice(args);
    stdout(&p.mlx(&all).success())
}

/// `mlx dag ARGS` must fail with exit 2; returns stderr.
fn dag_err(p: &TestProject, args: &[&str]) -> String {
    let mut all = vec!["dag"];
    all.extend_from_slice(args);
    let a = p.mlx(&all).code(2);
    assert_eq!(stdout(&a), "", "nothing on stdout when it fails");
    stderr(&a)
}

const CHAIN: &str = r#"
[stages.prepare]
cmd = "python src/prepare.py"
deps = ["data/data.xml"]
outs = ["data/prepared"]

[stages.featurize]
cmd = "python src/featurize.py"
deps = ["data/prepared"]
outs = ["data/features"]

[stages.train]
foreach = ["rf", "gbm"]
cmd = "python src/train.py --model ${item}"
deps = ["data/features/train.csv"]
outs = ["models/${item}.pkl"]

[stages.evaluate]
cmd = "python src/evaluate.py"
deps = ["models", "data/features"]
metrics = ["eval/metrics.json"]
"#;

fn chain() -> TestProject {
    let p = project(CHAIN);
    p.write("data/data.xml", "<xml/>");
    p
}

#[test]
fn dag_text_lists_stages_in_order_with_their_inputs() {
    let p = chain();
    insta::assert_snapshot!(dag_ok(&p, &[]), @r"
    prepare
    featurize <- prepare
    train@rf <- featurize
    train@gbm <- featurize
    evaluate <- featurize, train@rf, train@gbm
    ");
}

#[test]
fn dag_mermaid_and_dot() {
    let p = chain();
    insta::assert_snapshot!(dag_ok(&p, &["--format", "mermaid", "train@gbm"]), @r#"
    flowchart TD
        stage_0["prepare"]
        stage_1["featurize"]
        stage_2["train@gbm"]
        stage_0 --> stage_1
        stage_1 --> stage_2
    "#);
    insta::assert_snapshot!(dag_ok(&p, &["--format", "dot", "featurize"]), @r#"
    digraph pipeline {
        rankdir=TB;
        node [shape=box];
        "prepare";
        "featurize";
        "prepare" -> "featurize";
    }
    "#);
}

#[test]
fn dag_json_has_nodes_and_edges() {
    let p = chain();
    let json = p.json(&["dag", "featurize"]);
    assert_eq!(
        json,
        serde_json::json!({
            "nodes": [
                {"name": "prepare", "cmd": ["python src/prepare.py"], "deps": ["data/data.xml"],
                 "outs": ["data/prepared"], "upstream": []},
                {"name": "featurize", "cmd": ["python src/featurize.py"], "deps": ["data/prepared"],
                 "outs": ["data/features"], "upstream": ["prepare"]},
            ],
            "edges": [{"from": "prepare", "to": "featurize", "paths": ["data/prepared"]}],
        })
    );
    let all = p.json(&["dag"]);
    assert_eq!(all["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(all["edges"].as_array().unwrap().len(), 6);
}

#[test]
fn a_base_name_shows_every_expansion() {
    let p = chain();
    insta::assert_snapshot!(dag_ok(&p, &["train"]), @r"
    prepare
    featurize <- prepare
    train@rf <- featurize
    train@gbm <- featurize
    ");
}

#[test]
fn foreach_list_table_and_matrix_names() {
    let p = project(
        r#"
[stages.list]
foreach = ["a", "b", 3]
cmd = "echo ${item}"

[stages.table]
foreach = { small = { n = 1 }, big = { n = 100 } }
cmd = "echo ${key} ${item.n}"

[stages.grid]
matrix = { model = ["rf", "gbm"], seed = [1, 2] }
cmd = "echo ${item.model} ${item.seed}"
"#,
    );
    let json = p.json(&["dag"]);
    let names: Vec<&str> =
        json["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "list@a",
            "list@b",
            "list@3",
            "table@small",
            "table@big",
            "grid@rf-1",
            "grid@rf-2",
            "grid@gbm-1",
            "grid@gbm-2"
        ]
    );
    let cmds: Vec<&str> =
        json["nodes"].as_array().unwrap().iter().map(|n| n["cmd"][0].as_str().unwrap()).collect();
    assert_eq!(cmds[4], "echo big 100");
    assert_eq!(cmds[7], "echo gbm 1");
}

#[test]
fn deps_and_outs_are_relative_to_wdir() {
    let p = project(
        r#"
[stages.clean]
wdir = "pipeline"
cmd = "python clean.py"
deps = ["../data/raw.csv", "clean.py"]
outs = ["out"]
"#,
    );
    p.write("data/raw.csv", "a,b\n");
    p.write("pipeline/clean.py", "");
    let json = p.json(&["dag"]);
    assert_eq!(json["nodes"][0]["deps"], serde_json::json!(["data/raw.csv", "pipeline/clean.py"]));
    assert_eq!(json["nodes"][0]["outs"], serde_json::json!(["pipeline/out"]));
}

#[test]
fn no_stages_prints_nothing_and_says_so() {
    let p = TestProject::initialized();
    let a = p.mlx(&["dag"]).success();
    assert_eq!(stdout(&a), "");
    assert!(stderr(&a).contains("no stages"), "{}", stderr(&a));
    assert_eq!(p.json(&["dag"]), serde_json::json!({"nodes": [], "edges": []}));
    let err = dag_err(&p, &["train"]);
    assert_eq!(err.lines().next(), Some("error: unknown stage train"));
}

#[test]
fn unknown_stage_suggests_the_closest_name() {
    let p = chain();
    insta::assert_snapshot!(dag_err(&p, &["trian"]), @r"
    error: unknown stage trian (did you mean train?)
    hint: list the stages with: mlx dag
    ");
    let err = dag_err(&p, &["evalute"]);
    assert!(err.starts_with("error: unknown stage evalute (did you mean evaluate?)"), "{err}");
    let err = dag_err(&p, &["something"]);
    assert!(err.starts_with("error: unknown stage something\n"), "{err}");
}

#[test]
fn missing_dep_names_stage_and_path() {
    let p = project(CHAIN);
    insta::assert_snapshot!(dag_err(&p, &[]), @r"
    error: mlx.toml:4:9: stage prepare: dependency data/data.xml does not exist and no stage produces it
    hint: create data/data.xml, track it with `mlx add data/data.xml`, or add a stage whose outs include it
    ");
}

#[test]
fn a_dep_tracked_but_not_checked_out_is_not_missing() {
    let p = project(CHAIN);
    p.write("data/data.xml", "<xml/>");
    p.mlx(&["add", "-q", "data/data.xml"]).success();
    p.remove("data/data.xml");
    dag_ok(&p, &[]);
}

#[test]
fn missing_deps_of_stages_not_shown_do_not_matter() {
    let p = project(
        r#"
[stages.a]
cmd = "true"
deps = ["here.txt"]

[stages.b]
cmd = "true"
deps = ["gone.txt"]
"#,
    );
    p.write("here.txt", "");
    assert_eq!(dag_ok(&p, &["a"]), "a\n");
    let err = dag_err(&p, &["b"]);
    assert!(err.starts_with("error: mlx.toml:8:9: stage b: dependency gone.txt"), "{err}");
}

#[test]
fn syntax_errors_in_mlx_toml_fail_every_command_with_a_position() {
    let p = project("[stages.a]\ncmd = \"x\"\nouts = [\"a\",\n");
    let a = p.mlx(&["status"]).code(2);
    assert!(stderr(&a).starts_with("error: mlx.toml:3:13: unclosed array"), "{}", stderr(&a));
}

#[test]
fn settings_and_stages_live_side_by_side() {
    let p = project(
        "[cache]\ntype = \"copy\"\n\n[core]\nlock_timeout = 5\n\n[resources]\ngpu = 1\n\n\
         [stages.a]\ncmd = \"true\"\nresources = { gpu = 1 }\n",
    );
    assert_eq!(dag_ok(&p, &[]), "a\n");
    p.write("f.txt", "x");
    p.mlx(&["add", "-q", "f.txt"]).success();
}

// --- fixtures ----------------------------------------------------------------------------------

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pipelines").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// Files a fixture needs, from its `# files: a b c` line (created empty).
fn needed_files(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# files:"))
        .flat_map(str::split_whitespace)
        .collect()
}

/// Compare with the expected file next to the fixture, or write it with MLX_UPDATE_FIXTURES=1.
fn check_expected(fixture: &Path, ext: &str, actual: &str, failures: &mut Vec<String>) {
    let path = fixture.with_extension(ext);
    if std::env::var_os("MLX_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, actual).expect("write expected output");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (each fixture needs one)", path.display()));
    if expected != actual {
        failures.push(format!(
            "{}:\n--- expected\n{expected}--- actual\n{actual}",
            fixture.file_name().unwrap().to_string_lossy()
        ));
    }
}

#[test]
fn every_pipeline_fixture_gives_its_expected_output() {
    let mut failures = Vec::new();
    for fixture in fixtures("valid") {
        let text = std::fs::read_to_string(&fixture).unwrap();
        let p = project(&text);
        for file in needed_files(&text) {
            p.write(file, "");
        }
        let a = p.mlx(&["dag"]);
        let out = a.get_output();
        if !out.status.success() {
            failures.push(format!("{}: failed:\n{}", fixture.display(), stderr(&a)));
            continue;
        }
        check_expected(&fixture, "dag", &stdout(&a), &mut failures);
    }
    for fixture in fixtures("invalid") {
        let text = std::fs::read_to_string(&fixture).unwrap();
        let p = project(&text);
        for file in needed_files(&text) {
            p.write(file, "");
        }
        let a = p.mlx(&["dag"]);
        let code = a.get_output().status.code();
        if code != Some(2) {
            failures.push(format!("{}: exit {code:?}, expected 2", fixture.display()));
            continue;
        }
        check_expected(&fixture, "err", &stderr(&a), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
