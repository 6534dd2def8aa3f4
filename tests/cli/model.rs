//! `mlx model …`: the model registry in git tags, in GTO's grammar, checked against the real
//! `gto` both ways; rollback; a version's artifact, run, data and metrics; bad input.

use serde_json::Value;

use crate::support::TestProject;
use crate::support::gto::{gto_json, run_gto};

/// `mlx ARGS` with the tags it makes dated `date` (git's format), so that tools ordering tags
/// by date (GTO) see them in the order they were made.
fn mlx_at(p: &TestProject, date: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    p.mlx_cmd().env("GIT_COMMITTER_DATE", date).args(args).assert()
}

/// `gto ARGS`, then a second's wait so that GTO's next tag has a later date.
fn gto_step(p: &TestProject, args: &[&str]) {
    run_gto(p, args);
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

fn json(assert: assert_cmd::assert::Assert) -> Value {
    let out = assert.get_output().stdout.clone();
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// A project with `models/churn.pkl` tracked by `mlx add`, in two commits (two contents).
fn two_versions() -> TestProject {
    let p = TestProject::initialized();
    p.write("models/churn.pkl", "weights one");
    p.mlx(&["add", "models/churn.pkl"]).success();
    p.commit_all("first model");
    mlx_at(&p, "2024-02-01T00:00:01Z", &["model", "register", "churn", "models/churn.pkl"])
        .success();
    p.write("models/churn.pkl", "weights two");
    p.mlx(&["add", "models/churn.pkl"]).success();
    p.commit_all("second model");
    mlx_at(
        &p,
        "2024-02-01T00:00:02Z",
        &["model", "register", "churn", "models/churn.pkl", "--bump", "minor"],
    )
    .success();
    p
}

#[test]
fn registry_written_by_mlx_reads_the_same_in_gto_and_rollback_after_two_promotions() {
    let p = two_versions();
    mlx_at(&p, "2024-02-01T00:00:03Z", &["model", "assign", "churn", "v0.0.1", "production"])
        .success();
    let a = mlx_at(
        &p,
        "2024-02-01T00:00:04Z",
        &["model", "assign", "churn", "v0.1.0", "production", "--json"],
    )
    .success();
    let report = json(a);
    assert_eq!(report["tag"], "churn#production#2");
    assert_eq!(report["replaced"], "v0.0.1");
    assert_eq!(report["push"], "git push origin 'churn#production#2'");

    // GTO sees the same registry.
    let shown = gto_json(&p, &["show"]);
    assert_eq!(shown["churn"]["version"], "v0.1.0", "{shown}");
    assert_eq!(shown["churn"]["stage"]["production"], "v0.1.0", "{shown}");

    // Roll back: production goes back to v0.0.1, with a new assignment tag.
    let back =
        mlx_at(&p, "2024-02-01T00:00:05Z", &["model", "rollback", "churn", "production", "--json"])
            .success();
    let back = json(back);
    assert_eq!(back["version"], "v0.0.1");
    assert_eq!(back["replaced"], "v0.1.0");
    assert_eq!(back["tag"], "churn#production#3");
    let msg = p.git(&["tag", "-l", "--format=%(contents:subject)", "churn#production#3"]);
    assert_eq!(msg.trim(), "Assigning stage production to artifact churn version v0.0.1");

    let shown = gto_json(&p, &["show"]);
    assert_eq!(shown["churn"]["stage"]["production"], "v0.0.1", "{shown}");
    let listed = json(p.mlx(&["model", "list", "--json"]).success());
    assert_eq!(listed["models"][0]["stages"]["production"], "v0.0.1");
    assert_eq!(listed["models"][0]["latest"], "v0.1.0");

    // Both histories: five events with who and when, newest first.
    let gto_history = gto_json(&p, &["history", "churn"]);
    let events = gto_history.as_array().expect("a list");
    assert_eq!(events.len(), 5, "{gto_history}");
    let ours = json(p.mlx(&["model", "history", "churn", "--json"]).success());
    let ours = ours["events"].as_array().expect("events");
    assert_eq!(ours.len(), 5);
    let kinds: Vec<&str> = ours.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assignment", "assignment", "assignment", "registration", "registration"]);
    assert_eq!(ours[0]["author"], "Test Committer");
    assert_eq!(ours[0]["author_email"], "committer@example.com");
    assert_eq!(ours[0]["timestamp"], "2024-02-01T00:00:05Z");
    for (g, m) in events.iter().zip(ours) {
        assert_eq!(g["ref"], m["ref"]);
        assert_eq!(g["event"], m["event"]);
        assert_eq!(g["version"], m["version"]);
    }

    // The resolved version: its artifact at the tagged commit.
    let shown = json(p.mlx(&["model", "show", "churn#production", "--json"]).success());
    assert_eq!(shown["version"]["version"], "v0.0.1");
    assert_eq!(shown["version"]["artifact"]["path"], "models/churn.pkl");
    assert_eq!(shown["version"]["artifact"]["source"], "pointer");
    assert_eq!(
        shown["version"]["artifact"]["hash"],
        blake3::hash(b"weights one").to_hex().as_str()
    );

    // Rolling back again returns to v0.1.0; a stage held by one version has nothing before.
    mlx_at(&p, "2024-02-01T00:00:06Z", &["model", "assign", "churn", "v0.1.0", "staging"])
        .success();
    let none = p.mlx(&["model", "rollback", "churn", "staging"]).code(2);
    assert!(stderr(&none).contains("no version before v0.1.0"), "{}", stderr(&none));
}

#[test]
fn registry_written_by_gto_is_read_by_mlx() {
    let p = TestProject::initialized();
    p.write("models/net.bin", "net weights");
    p.mlx(&["add", "models/net.bin"]).success();
    p.write("artifacts.yaml", "net:\n  type: model\n  path: models/net.bin\n");
    p.commit_all("net");
    gto_step(&p, &["register", "net"]);
    p.write("models/net.bin", "net weights 2");
    p.mlx(&["add", "models/net.bin"]).success();
    p.commit_all("net 2");
    gto_step(&p, &["register", "net", "--bump-major"]);
    gto_step(&p, &["assign", "net", "--version", "v0.0.1", "--stage", "prod"]);
    gto_step(&p, &["assign", "net", "--version", "v1.0.0", "--stage", "prod"]);
    gto_step(&p, &["deprecate", "net", "v0.0.1"]);

    let listed = json(p.mlx(&["model", "list", "--json"]).success());
    let net = &listed["models"][0];
    assert_eq!(net["name"], "net");
    assert_eq!(net["latest"], "v1.0.0");
    assert_eq!(net["versions"], 1, "v0.0.1 was deregistered: {listed}");
    assert_eq!(net["stages"]["prod"], "v1.0.0");

    let history = json(p.mlx(&["model", "history", "net", "--json"]).success());
    let events: Vec<(&str, &str)> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["ref"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [
            ("deregistration", "net@v0.0.1!"),
            ("assignment", "net#prod#2"),
            ("assignment", "net#prod#1"),
            ("registration", "net@v1.0.0"),
            ("registration", "net@v0.0.1"),
        ]
    );
    // The path comes from artifacts.yaml at the tagged commit.
    let shown = json(p.mlx(&["model", "show", "net#prod", "--json"]).success());
    assert_eq!(shown["version"]["artifact"]["path"], "models/net.bin");
    assert_eq!(
        shown["version"]["artifact"]["hash"],
        blake3::hash(b"net weights 2").to_hex().as_str()
    );
    // A deregistered version is not there to pick; there is nothing to roll back to.
    p.mlx(&["model", "show", "net@v0.0.1"]).code(2);
    p.mlx(&["model", "rollback", "net", "prod"]).code(2);
}

#[test]
fn a_stage_output_resolves_to_its_run_data_and_metrics_and_get_writes_it() {
    let p = TestProject::initialized();
    p.write("data/train.csv", "a,b\n1,2\n");
    p.mlx(&["add", "data/train.csv"]).success();
    p.write(
        "mlx.toml",
        r#"
[stages.train]
cmd = '''cat data/train.csv > /dev/null && printf '{"acc": 0.93}' > metrics.json && echo trained > model.bin'''
deps = ["data/train.csv"]
outs = ["model.bin"]
metrics = ["metrics.json"]
"#,
    );
    p.mlx(&["run"]).success();
    p.commit_all("trained");
    let made = json(p.mlx(&["model", "register", "clf", "model.bin", "--json"]).success());
    assert_eq!(made["tag"], "clf@v0.0.1");
    assert_eq!(made["artifact"]["source"], "stage");
    assert_eq!(made["artifact"]["stage"], "train");

    let shown = json(p.mlx(&["model", "show", "clf@v0.0.1", "--json"]).success());
    let v = &shown["version"];
    assert_eq!(v["artifact"]["hash"], blake3::hash(b"trained\n").to_hex().as_str());
    assert_eq!(v["run"]["stage"], "train");
    assert_eq!(v["run"]["metrics"]["acc"], 0.93, "{v}");
    let inputs: Vec<&str> = v["run"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(inputs.contains(&"data/train.csv"), "{inputs:?}");
    let text = p.mlx(&["model", "show", "clf@v0.0.1"]).success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(text.contains("output of stage train"), "{text}");

    // A second version from the same run's artifact, tagged at a later commit.
    let run_id = v["run"]["id"].as_str().unwrap().to_owned();
    p.commit_all("later");
    let by_run = json(
        p.mlx(&[
            "model",
            "register",
            "clf",
            "--run",
            &run_id,
            "model.bin",
            "--rev",
            "HEAD",
            "--json",
        ])
        .success(),
    );
    assert_eq!(by_run["version"], "v0.0.2");
    assert_eq!(by_run["run"], run_id.as_str());

    // get: out of the cache, to -o PATH; what is in the way is left alone.
    p.mlx(&["model", "get", "clf@v0.0.1", "-o", "export/model.bin"]).success();
    assert_eq!(p.read_string("export/model.bin"), "trained\n");
    p.write("export/other.bin", "something else");
    p.mlx(&["model", "get", "clf", "-o", "export/other.bin"]).code(1);
    assert_eq!(p.read_string("export/other.bin"), "something else");
    p.mlx(&["model", "get", "clf", "-o", "export/other.bin", "--force"]).success();
    assert_eq!(p.read_string("export/other.bin"), "trained\n");
}

#[test]
fn get_fetches_from_the_default_remote_when_the_cache_lacks_it() {
    let p = TestProject::initialized();
    let store = p.outside().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.write("m.bin", "remote weights");
    p.mlx(&["add", "m.bin"]).success();
    p.commit_all("m");
    p.mlx(&["model", "register", "m", "m.bin"]).success();
    p.mlx(&["push"]).success();
    std::fs::remove_dir_all(p.cache_dir()).expect("empty the cache");
    let got = json(p.mlx(&["model", "get", "m", "-o", "out/m.bin", "--json"]).success());
    assert!(got["fetched"].as_u64().unwrap() >= 1, "{got}");
    assert_eq!(p.read_string("out/m.bin"), "remote weights");
}

#[test]
fn bad_input_is_refused_with_exit_2() {
    let p = two_versions();
    // A version that exists.
    let out =
        p.mlx(&["model", "register", "churn", "models/churn.pkl", "--version", "v0.1.0"]).code(2);
    assert!(stderr(&out).contains("already has version v0.1.0"), "{}", stderr(&out));
    p.commit_all("empty");
    let out =
        p.mlx(&["model", "register", "churn", "models/churn.pkl", "--version", "0.0.1"]).code(2);
    assert!(stderr(&out).contains("already has version v0.0.1"), "{}", stderr(&out));
    // A path mlx does not track.
    p.write("notes.txt", "x");
    p.commit_all("notes");
    let out = p.mlx(&["model", "register", "churn", "notes.txt"]).code(2);
    let err = stderr(&out);
    assert!(err.contains("notes.txt is not tracked by mlx"), "{err}");
    assert!(err.contains("hint: track it with `mlx add notes.txt`"), "{err}");
    // A stage name with spaces.
    let out = p.mlx(&["model", "assign", "churn", "v0.1.0", "my stage"]).code(2);
    let err = stderr(&out);
    assert!(err.contains("invalid stage \"my stage\""), "{err}");
    assert!(err.contains("e.g. my-stage"), "{err}");
    // Names GTO refuses, versions that are not semantic, models that do not exist.
    p.mlx(&["model", "register", "bad name", "models/churn.pkl"]).code(2);
    p.mlx(&["model", "register", "churn", "models/churn.pkl", "--version", "1.0"]).code(2);
    p.mlx(&["model", "show", "nosuch"]).code(2);
    p.mlx(&["model", "assign", "churn", "v9.9.9", "prod"]).code(2);
    // Nothing was tagged by any of it.
    let tags = p.git(&["tag", "-l"]);
    assert_eq!(tags.lines().count(), 2, "{tags}");
    // Deprecation, once.
    p.mlx(&["model", "deprecate", "churn"]).success();
    p.mlx(&["model", "deprecate", "churn"]).code(2);
    let listed = json(p.mlx(&["model", "list", "--json"]).success());
    assert_eq!(listed["models"][0]["deprecated"], true);
}

#[test]
fn reading_and_tagging_work_in_a_plain_git_repository_before_init() {
    // A repository with GTO's tags and no mlx project: list, show, history, assign, rollback
    // and deprecate need only git, as GTO does.
    let p = TestProject::new();
    p.write("model.bin", "weights");
    p.commit_all("a model");
    let tag = |name: &str, message: &str, date: &str| {
        p.git_cmd_in(p.root())
            .env("GIT_COMMITTER_DATE", date)
            .args(["tag", "-a", name, "-m", message])
            .status()
            .unwrap()
            .success()
            .then_some(())
            .expect("git tag");
    };
    tag("clf@v0.0.1", "Registering artifact clf version v0.0.1", "2024-02-01T00:00:01Z");
    let list = json(p.mlx(&["model", "list", "--json"]).success());
    assert_eq!(list["models"][0]["name"], "clf");
    assert_eq!(list["models"][0]["latest"], "v0.0.1");
    let shown = json(p.mlx(&["model", "show", "clf@v0.0.1", "--json"]).success());
    assert_eq!(shown["version"]["version"], "v0.0.1");
    assert_eq!(shown["version"]["run"], Value::Null);
    mlx_at(&p, "2024-02-01T00:00:02Z", &["model", "assign", "clf", "v0.0.1", "production"])
        .success();
    let history = json(p.mlx(&["model", "history", "clf", "--json"]).success());
    assert_eq!(history["events"][0]["event"], "assignment", "{history:#}");
    mlx_at(&p, "2024-02-01T00:00:03Z", &["model", "deprecate", "clf"]).success();
    assert!(!p.exists(".mlx"), "no mlx project was set up");
    // Registering resolves the artifact through mlx's pointers: that needs a project.
    let failed = p.mlx(&["model", "register", "clf", "model.bin"]).code(2);
    assert!(stderr(&failed).contains("not an mlx project"), "{}", stderr(&failed));
}
