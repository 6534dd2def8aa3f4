//! Provenance (issue 13): every run records the tracked data and deps it read with their
//! hashes (`mlx exp show` answers "which data version"), run records carry them to remotes, and
//! a run on tracked data that was modified but not re-added is dirty.

use crate::remotes::{clone_of, project_with_remote};
use crate::support::{TestProject, hash_hex, stdout};

/// `mlx exp show RUN --json`.
fn show(p: &TestProject, run: &str) -> serde_json::Value {
    p.json(&["exp", "show", run])
}

/// The newest run's id.
fn newest_run(p: &TestProject) -> String {
    p.db()
        .query_row("SELECT id FROM runs ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .expect("a run")
}

/// The inputs of a shown run as `(path, kind, hash, pointer_hash)`.
fn inputs(shown: &serde_json::Value) -> Vec<(String, String, Option<String>, Option<String>)> {
    shown["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().map(str::to_owned);
            (text("path").unwrap(), text("kind").unwrap(), text("hash"), text("pointer_hash"))
        })
        .collect()
}

#[test]
fn a_command_run_records_every_tracked_paths_version_and_is_dirty_on_modified_data() {
    let (p, _store) = project_with_remote();
    let data = p.pointer_hash("data");
    let model = p.pointer_hash("model.bin");
    p.mlx(&["run", "--", "true"]).success();
    let run = newest_run(&p);
    let shown = show(&p, &run);
    assert_eq!(shown["dirty"], false, "{shown}");
    assert_eq!(
        inputs(&shown),
        [
            ("data".into(), "data".into(), Some(data.clone()), Some(data.clone())),
            ("model.bin".into(), "data".into(), Some(model.clone()), Some(model.clone())),
        ]
    );
    assert_eq!(shown["inputs"][0]["files"], 2);
    assert_eq!(shown["inputs"][1]["size"], 11);

    // Modified but not re-added: git sees nothing (the data is git-ignored), the run is dirty
    // and records the version it really read.
    p.write("model.bin", "weights v2\n");
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    p.mlx(&["run", "--", "true"]).success();
    let run = newest_run(&p);
    let shown = show(&p, &run);
    assert_eq!(shown["dirty"], true, "{shown}");
    assert_eq!(shown["diff_hash"], serde_json::Value::Null, "nothing differs in git");
    assert_eq!(
        inputs(&shown)[1],
        ("model.bin".into(), "data".into(), Some(hash_hex(b"weights v2\n")), Some(model.clone()))
    );
    let text = stdout(&p.mlx(&["exp", "show", &run]).success());
    assert!(text.contains("(dirty, 1 tracked path modified)"), "{text}");
    let row = text.lines().find(|l| l.starts_with("model.bin")).unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("modified") && row.contains(&hash_hex(b"weights v2\n")[..12]), "{row}");
    // Filters see it.
    let listed = p.json(&["exp", "list", "--filter", "dirty = true"]);
    let listed = listed.to_string();
    assert!(listed.contains(&run), "{listed}");

    // A missing tracked path is recorded without a hash, and dirties the run too.
    p.remove("model.bin");
    p.mlx(&["run", "--", "true"]).success();
    let shown = show(&p, &newest_run(&p));
    assert_eq!(shown["dirty"], true);
    assert_eq!(inputs(&shown)[1], ("model.bin".into(), "data".into(), None, Some(model)));
}

const STAGE: &str = r#"
[stages.train]
cmd = "cat data/a.txt train.sh > out.txt"
deps = ["data", "train.sh"]
outs = ["out.txt"]
"#;

#[test]
fn a_stage_run_records_its_deps_as_the_lock_does_and_is_dirty_on_modified_data() {
    let (p, _store) = project_with_remote();
    p.write("train.sh", "echo train\n");
    p.write("mlx.toml", format!("{}{STAGE}", p.read_string("mlx.toml")));
    p.commit_all("stage");
    p.mlx(&["run", "-q"]).success();
    let run = newest_run(&p);
    let shown = show(&p, &run);
    assert_eq!(shown["dirty"], false, "{shown}");
    let lock: toml::Table = p.read_string("mlx.lock").parse().unwrap();
    let dep_hash =
        |n: usize| lock["stages"]["train"]["deps"][n]["hash"].as_str().unwrap().to_owned();
    let data = p.pointer_hash("data");
    assert_eq!(dep_hash(0), data);
    assert_eq!(
        inputs(&shown),
        [
            ("data".into(), "dep".into(), Some(data.clone()), Some(data.clone())),
            ("train.sh".into(), "dep".into(), Some(dep_hash(1)), None),
        ],
        "deps with the hashes mlx.lock records; a tracked one with its pointer's too"
    );

    // The tracked folder changes without `mlx add`: the stage runs again on it, dirty.
    p.write("data/a.txt", "alpha v2\n");
    p.mlx(&["run", "-q"]).success();
    let run = newest_run(&p);
    let shown = show(&p, &run);
    assert_eq!(shown["dirty"], true, "{shown}");
    let lock: toml::Table = p.read_string("mlx.lock").parse().unwrap();
    let new_hash = lock["stages"]["train"]["deps"][0]["hash"].as_str().unwrap().to_owned();
    assert_ne!(new_hash, data);
    assert_eq!(inputs(&shown)[0], ("data".into(), "dep".into(), Some(new_hash), Some(data)));
}

/// The newest experiment's id.
fn newest_experiment(p: &TestProject) -> String {
    p.db()
        .query_row("SELECT id FROM experiments ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .expect("an experiment")
}

#[test]
fn a_pipeline_experiment_on_modified_data_is_dirty_even_when_restored_from_the_run_cache() {
    let (p, _store) = project_with_remote();
    p.write("train.sh", "echo train\n");
    p.write("mlx.toml", format!("{}{STAGE}", p.read_string("mlx.toml")));
    p.commit_all("stage");
    p.mlx(&["run", "-q"]).success();
    let clean = newest_experiment(&p);
    assert_eq!(show(&p, &clean)["dirty"], false);
    p.commit_all("lock");

    // Modified, not re-added: the stage runs on it, and its experiment is dirty like its run.
    p.write("data/a.txt", "alpha v2\n");
    p.mlx(&["run", "-q"]).success();
    let ran = newest_experiment(&p);
    assert_ne!(ran, clean);
    assert_eq!(show(&p, &ran)["dirty"], true, "{}", show(&p, &ran));
    assert_eq!(show(&p, &newest_run(&p))["dirty"], true);

    // Back to the committed data, then modified again: the second time the stage's outputs
    // come from the run cache, and nothing runs; the experiment is dirty all the same.
    p.mlx(&["checkout", "--force", "data"]).success();
    p.mlx(&["run", "-q"]).success();
    p.write("data/a.txt", "alpha v2\n");
    let runs_before = p.db().query_row("SELECT count(*) FROM runs", [], |r| r.get::<_, i64>(0));
    let out = p.mlx(&["run"]).success();
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("restored"));
    let runs_after = p.db().query_row("SELECT count(*) FROM runs", [], |r| r.get::<_, i64>(0));
    assert_eq!(runs_before.unwrap(), runs_after.unwrap(), "restored, not run");
    let restored = newest_experiment(&p);
    assert_eq!(show(&p, &restored)["dirty"], true, "{}", show(&p, &restored));

    // So the CI gate never takes one of them for HEAD's committed setup.
    let gate = p.mlx(&["exp", "check", "status = 'finished'"]);
    let said = String::from_utf8_lossy(&gate.get_output().stderr).into_owned();
    for dirty in [&ran, &restored] {
        assert!(!said.contains(dirty.as_str()), "{said}");
    }
}

#[test]
fn run_records_carry_the_inputs_and_environment_to_other_clones() {
    let (p, _store) = project_with_remote();
    p.mlx(&["run", "--", "true"]).success();
    let run = newest_run(&p);
    let here = show(&p, &run);
    p.mlx(&["push", "--runs"]).success();
    let clone = clone_of(&p, "other");
    p.mlx_in(&clone, &["fetch", "--runs"]).success();
    let a = p.mlx_in(&clone, &["exp", "show", &run, "--json"]).success();
    let there: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(there["inputs"], here["inputs"]);
    assert_eq!(inputs(&there).len(), 2);
    // And what the run ran on.
    assert!(here["environment"]["os"].is_string(), "{here:#}");
    assert_eq!(there["environment"], here["environment"]);
}

#[test]
fn an_experiment_shows_what_its_stages_read_from_outside_it() {
    let (p, _store) = project_with_remote();
    p.write("train.sh", "echo train\n");
    let stages = r#"
[stages.prepare]
cmd = "cat data/a.txt > prepared.txt"
deps = ["data"]
outs = ["prepared.txt"]

[stages.train]
cmd = "cat prepared.txt train.sh > model.txt"
deps = ["prepared.txt", "train.sh"]
outs = ["model.txt"]
"#;
    p.write("mlx.toml", format!("{}{stages}", p.read_string("mlx.toml")));
    p.commit_all("stages");
    p.mlx(&["run", "-q", "--name", "first"]).success();
    let data = p.pointer_hash("data");
    let shown = show(&p, "first");
    let read: Vec<(String, String, String, Option<String>)> = shown["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (
                text("path"),
                text("stage"),
                text("kind"),
                i["pointer_hash"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("data".into(), "prepare".into(), "dep".into(), Some(data.clone())),
            ("train.sh".into(), "train".into(), "dep".into(), None),
        ],
        "prepared.txt comes from a stage of the experiment: {shown}"
    );
    assert_eq!(shown["inputs"][0]["hash"], data.as_str());
    assert_eq!(shown["inputs"][0]["run"], shown["stages"][0]["run"]);
    let text = stdout(&p.mlx(&["exp", "show", "first"]).success());
    let row = text.lines().find(|l| l.starts_with("data ")).unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("prepare") && row.contains(&data[..12]) && row.ends_with("unchanged"));

    // Modified data: the experiment says which version it read, and that it was modified.
    p.write("data/a.txt", "alpha v2\n");
    p.mlx(&["run", "-q", "--name", "second"]).success();
    let text = stdout(&p.mlx(&["exp", "show", "second"]).success());
    assert!(text.contains("(uncommitted changes, 1 tracked path modified)"), "{text}");
    let row = text.lines().find(|l| l.starts_with("data ")).unwrap_or_else(|| panic!("{text}"));
    assert!(row.ends_with("modified"), "{row}");
}
