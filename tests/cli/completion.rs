//! Shell completion of names from the project, through the binary as a shell asks for it
//! (`COMPLETE=bash mlx -- mlx WORDS...`): stage names, experiment and run ids and names, remote
//! names and tracked paths; `-C DIR` is honoured; outside a project nothing is offered and nothing is
//! written; and the registration script the shell sources.

use std::path::Path;

use crate::support::TestProject;

/// The candidates bash would be offered for the last of `words` (which start with `mlx`).
fn complete_in(p: &TestProject, dir: &Path, words: &[&str]) -> Vec<String> {
    let index = (words.len() - 1).to_string();
    let out = p
        .mlx_std()
        .current_dir(dir)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", index)
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .output()
        .expect("mlx runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn complete(p: &TestProject, words: &[&str]) -> Vec<String> {
    complete_in(p, p.root(), words)
}

/// Candidates that are not flags.
fn values(all: Vec<String>) -> Vec<String> {
    all.into_iter().filter(|c| !c.starts_with('-')).collect()
}

fn project() -> TestProject {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        "[stages.prepare]\ncmd = \"echo prepare\"\n\n\
         [stages.train]\nforeach = [\"small\", \"large\"]\ncmd = \"echo ${item}\"\n",
    );
    p
}

#[test]
fn stage_names_complete_for_run_and_dag() {
    let p = project();
    let got = values(complete(&p, &["mlx", "run", ""]));
    assert_eq!(got, ["prepare", "train@small", "train@large", "train"]);
    assert_eq!(
        values(complete(&p, &["mlx", "dag", "tr"])),
        ["train@small", "train@large", "train"]
    );
    assert_eq!(values(complete(&p, &["mlx", "run", "prepare", "p"])), ["prepare"]);
}

#[test]
fn run_ids_and_names_complete_wherever_a_run_is_named() {
    let p = project();
    p.mlx(&["run", "-q", "--name", "baseline", "--", "true"]).success();
    p.mlx(&["run", "-q", "--", "true"]).success();
    let ids: Vec<String> = {
        let conn = p.db();
        let mut stmt = conn.prepare("SELECT id FROM runs ORDER BY id DESC").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut expected = ids.clone();
    expected.push("baseline".into());
    for words in [
        &["mlx", "exp", "rm", ""][..],
        &["mlx", "exp", "check", "metrics.acc > 1", "--run", ""],
        &["mlx", "log", "tag", "a=b", "--run", ""],
    ] {
        assert_eq!(values(complete(&p, words)), expected, "{words:?}");
    }
    assert_eq!(values(complete(&p, &["mlx", "exp", "rm", "base"])), ["baseline"]);
    assert_eq!(values(complete(&p, &["mlx", "exp", "rm", &ids[0][..11]])), [ids[0].clone()]);
    // Fish shows each with its help: name, status and start.
    let out = p
        .mlx_std()
        .env("COMPLETE", "fish")
        .args(["--", "mlx", "log", "tag", "a=b", "--run", &ids[1][..11]])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("{}\tbaseline, finished, ", ids[1])), "{text}");
}

#[test]
fn experiment_ids_and_names_complete_wherever_an_experiment_is_named() {
    let p = project();
    p.commit_all("pipeline");
    // A pipeline experiment named `first` (its stage runs are named after their stages), and a
    // command's experiment, which shares its run's id and name.
    p.mlx(&["run", "-q", "--name", "first"]).success();
    p.mlx(&["run", "-q", "--name", "solo", "--", "true"]).success();
    let rows = |sql: &str| -> Vec<String> {
        let conn = p.db();
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let experiments = rows("SELECT id FROM experiments ORDER BY id DESC");
    assert_eq!(experiments.len(), 2);
    let stage_runs = rows("SELECT id FROM runs WHERE stage IS NOT NULL ORDER BY id DESC");
    assert_eq!(stage_runs.len(), 3);
    // Experiments first, then the runs that are not one (stage runs), then names: those of
    // experiments, and of runs that one run has (`prepare`); `train@…` are one run each too.
    let mut both = experiments.clone();
    both.extend(stage_runs.iter().cloned());
    both.extend(["first", "prepare", "solo", "train@large", "train@small"].map(String::from));
    for words in [
        &["mlx", "exp", "show", ""][..],
        &["mlx", "exp", "log", ""],
        &["mlx", "exp", "get", ""],
        &["mlx", "exp", "diff", "first", ""],
    ] {
        assert_eq!(values(complete(&p, words)), both, "{words:?}");
    }
    // exp check --exp takes experiments only.
    let mut only = experiments.clone();
    only.extend(["first", "solo"].map(String::from));
    assert_eq!(
        values(complete(&p, &["mlx", "exp", "check", "status = 'finished'", "--exp", ""])),
        only
    );
    assert_eq!(values(complete(&p, &["mlx", "exp", "log", "fi"])), ["first"]);
    assert_eq!(
        values(complete(&p, &["mlx", "exp", "log", "first", "--stage", "tr"])),
        ["train@small", "train@large", "train"]
    );
    // Fish shows an experiment with its name, status and start.
    let out = p
        .mlx_std()
        .env("COMPLETE", "fish")
        .args(["--", "mlx", "exp", "show", &experiments[1][..11]])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("{}\tfirst, finished, ", experiments[1])), "{text}");
}

#[test]
fn remote_names_complete_for_r_and_remote_commands() {
    let p = project();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.mlx(&["remote", "add", "backup", "s3://bucket/prefix"]).success();
    for words in [
        &["mlx", "push", "-r", ""][..],
        &["mlx", "fetch", "--remote", ""],
        &["mlx", "pull", "-r", ""],
        &["mlx", "status", "-r", ""],
        &["mlx", "gc", "--remote", ""],
        &["mlx", "exp", "log", "x", "-r", ""],
        &["mlx", "exp", "get", "x", "-r", ""],
        &["mlx", "remote", "modify", ""],
        &["mlx", "remote", "remove", ""],
        &["mlx", "remote", "default", ""],
    ] {
        assert_eq!(values(complete(&p, words)), ["backup", "store"], "{words:?}");
    }
    assert_eq!(values(complete(&p, &["mlx", "push", "-r", "st"])), ["store"]);
}

#[test]
fn tracked_paths_complete_even_when_missing_from_the_workspace() {
    let p = project();
    p.write("data/raw/a.csv", "a\n");
    p.write("model.bin", "m\n");
    p.mlx(&["add", "data/raw", "model.bin"]).success();
    p.remove("model.bin");
    let got = values(complete(&p, &["mlx", "checkout", "mo"]));
    assert_eq!(got, ["model.bin.mlx", "model.bin"]);
    let got = values(complete(&p, &["mlx", "push", "data/"]));
    assert!(got.contains(&"data/raw".to_owned()), "{got:?}");
    // Relative to the folder the command runs in.
    let got = values(complete_in(&p, &p.path("data"), &["mlx", "status", "r"]));
    assert!(got.contains(&"raw".to_owned()), "{got:?}");
}

#[test]
fn the_project_is_the_one_dash_c_names_and_outside_one_nothing_is_offered() {
    let p = project();
    let outside = p.temp_dir().join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    let root = p.root().to_str().unwrap();
    assert_eq!(values(complete_in(&p, &outside, &["mlx", "-C", root, "run", "pre"])), ["prepare"]);
    assert!(values(complete_in(&p, &outside, &["mlx", "run", ""])).is_empty());
    assert!(values(complete_in(&p, &outside, &["mlx", "exp", "show", ""])).is_empty());
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "nothing written");
    // A fresh clone's project with no .mlx/ yet is not set up by completion.
    p.remove(".mlx");
    assert!(values(complete(&p, &["mlx", "exp", "show", ""])).is_empty());
    assert!(!p.exists(".mlx"));
}

#[test]
fn the_registration_script_calls_the_binary_back() {
    let p = project();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = p.mlx_std().env("COMPLETE", shell).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("COMPLETE") && script.contains("mlx"), "{shell}: {script}");
    }
    // An empty COMPLETE is a normal run.
    let out = p.mlx_std().env("COMPLETE", "").arg("--version").output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("mlx "));
}
