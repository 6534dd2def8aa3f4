//! The stage cache shared through remotes: `mlx push` publishes stage results under
//! `runcache/<fingerprint>/`, and `mlx run --pull` in another clone restores stale stages from
//! them instead of running them. Folder and S3 remotes; two clones publishing at once (S3,
//! WebDAV, SSH, Azure, GCS); a tampered entry is refused; a stage with no entry runs.
//!
//! Stages append their name to `calls.log` beside the repositories (clones sit beside the
//! project, so they share it): a test sees exactly which commands ran anywhere.

use std::path::{Path, PathBuf};

use crate::remote_servers::{BUCKET, PREFIX, mlx_s3};
use crate::remotes::clone_of;
use crate::support::servers::S3Server;
use crate::support::{TestProject, hash_hex, stderr, stdout};

const STAGES: &str = r#"
[stages.prepare]
cmd = "echo prepare >> ../calls.log && tr a-z A-Z < input.txt > prepared.txt"
deps = ["input.txt"]
outs = ["prepared.txt"]

[stages.train]
cmd = "echo train >> ../calls.log && mkdir -p model && cat prepared.txt prepared.txt > model/weights.txt && echo v1 > model/meta.txt"
deps = ["prepared.txt"]
outs = ["model"]

[stages.evaluate]
cmd = "echo evaluate >> ../calls.log && wc -l < model/weights.txt > score.txt"
deps = ["model"]
outs = ["score.txt"]
"#;

/// A committed three-stage pipeline (not run yet).
fn pipeline() -> TestProject {
    let p = TestProject::initialized();
    p.write("mlx.toml", STAGES);
    p.write("input.txt", "some data\nmore data\n");
    p.commit_all("pipeline");
    p
}

/// The stage commands that ran so far (in any clone), in order; the log is emptied.
fn take_calls(p: &TestProject) -> Vec<String> {
    let path = p.temp_dir().join("calls.log");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    text.lines().map(str::to_owned).collect()
}

/// `mlx run ARGS --json` in `dir`: the stages as `name=outcome`, and the whole assert.
fn outcomes(a: &assert_cmd::assert::Assert) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", stdout(a)));
    report["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| format!("{}={}", s["stage"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect()
}

/// The entries under `runcache/` of a folder: (name relative to `base`, parsed JSON).
fn entries(base: &Path) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(base.join("runcache")).into_iter().flatten() {
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e.path().strip_prefix(base).unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(e.path()).unwrap();
        // Write-once names: the file is named by its bytes' hash.
        assert!(rel.ends_with(&format!("/{}.json", hash_hex(&bytes))), "{rel}");
        out.push((rel, serde_json::from_slice(&bytes).unwrap()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn the_entry<'a>(
    all: &'a [(String, serde_json::Value)],
    stage: &str,
) -> &'a (String, serde_json::Value) {
    let found: Vec<_> = all.iter().filter(|(_, e)| e["stage"] == stage).collect();
    assert_eq!(found.len(), 1, "{stage}: {all:?}");
    found[0]
}

#[test]
fn a_fresh_clone_restores_three_stages_from_a_folder_remote_and_runs_none() {
    let p = pipeline();
    p.mlx(&["run"]).success();
    assert_eq!(take_calls(&p), ["prepare", "train", "evaluate"]);
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("ran");
    let json = p.json(&["push"]);
    assert_eq!(json["stage_results_uploaded"], 3, "{json}");
    let all = entries(&store);
    assert_eq!(all.len(), 3);
    let (_, train) = the_entry(&all, "train");
    assert_eq!(train["format"], "mlx-stage-cache/1");
    assert_eq!(train["outs"][0]["path"], "model");
    assert_eq!(train["outs"][0]["files"], 2);
    // Pushing again publishes nothing new.
    let json = p.json(&["push"]);
    assert_eq!(
        (json["stage_results_uploaded"].clone(), json["stage_results_already_there"].clone()),
        (0.into(), 3.into())
    );

    // A fresh clone with no data at all: every stage comes from the remote.
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["run", "--pull", "--json"]).success();
    assert_eq!(outcomes(&a), ["prepare=restored", "train=restored", "evaluate=restored"]);
    assert_eq!(take_calls(&p), Vec::<String>::new(), "nothing ran");
    let said = stderr(&a);
    let run_of_train = train["run"].as_str().unwrap();
    assert!(
        said.contains(&format!(
            "restored from the remote's stage cache: train (run {run_of_train} by "
        )),
        "{said}"
    );
    for f in ["prepared.txt", "model/weights.txt", "model/meta.txt", "score.txt"] {
        assert_eq!(std::fs::read_to_string(clone.join(f)).unwrap(), p.read_string(f), "{f}");
    }
    assert_eq!(std::fs::read_to_string(clone.join("mlx.lock")).unwrap(), p.read_string("mlx.lock"));
    // Recorded: the runs named are the ones that made the outputs, and the stages are now up
    // to date (and restore from the local run cache after this).
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(report["stages"][1]["run"], run_of_train);
    let a = p.mlx_in(&clone, &["run", "--json"]).success();
    assert_eq!(outcomes(&a), ["prepare=up_to_date", "train=up_to_date", "evaluate=up_to_date"]);
    std::fs::remove_file(clone.join("score.txt")).unwrap();
    let a = p.mlx_in(&clone, &["run", "--json"]).success();
    assert_eq!(outcomes(&a)[2], "evaluate=restored");
    // The text output says where it came from.
    std::fs::remove_file(clone.join("score.txt")).unwrap();
    std::fs::remove_dir_all(clone.join(".mlx/cache")).ok();
    let a = p.mlx_in(&clone, &["run", "--pull"]).success();
    let text = format!("{}{}", stdout(&a), stderr(&a));
    assert!(text.contains("evaluate: restored from remote store's stage cache (run "), "{text}");
    assert_eq!(take_calls(&p), Vec::<String>::new());

    // A stale stage that no machine published runs as usual, and what follows it too.
    std::fs::write(clone.join("input.txt"), "other data\n").unwrap();
    let a = p.mlx_in(&clone, &["run", "--pull", "--json"]).success();
    assert_eq!(outcomes(&a), ["prepare=ran", "train=ran", "evaluate=ran"]);
    assert_eq!(take_calls(&p), ["prepare", "train", "evaluate"]);
    assert_eq!(std::fs::read_to_string(clone.join("prepared.txt")).unwrap(), "OTHER DATA\n");

    // A pipeline variant ran in an experiment takes --pull too.
    let other = clone_of(&p, "other");
    let a = p.mlx_in(&other, &["exp", "run", "--pull", "--json"]).success();
    assert!(stdout(&a).contains("\"restored\""), "{}", stdout(&a));
    assert_eq!(take_calls(&p), Vec::<String>::new());
}

#[test]
fn pull_without_a_remote_is_a_usage_error() {
    let p = pipeline();
    let a = p.mlx(&["run", "--pull"]).code(2);
    assert!(stderr(&a).contains("remote"), "{}", stderr(&a));
    assert_eq!(take_calls(&p), Vec::<String>::new());
}

#[test]
fn tampered_or_foreign_entries_are_refused_and_the_stage_runs() {
    let p = pipeline();
    p.mlx(&["run"]).success();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("ran");
    p.mlx(&["push"]).success();
    take_calls(&p);
    let all = entries(&store);
    // prepare's entry rewritten to write outside the work tree, under a name that matches
    // its new bytes; train's entry altered in place.
    let (name, prepare) = the_entry(&all, "prepare").clone();
    let mut evil = prepare.clone();
    evil["outs"][0]["path"] = "../outside.txt".into();
    let bytes = serde_json::to_vec_pretty(&evil).unwrap();
    let dir = store.join(&name).parent().unwrap().to_path_buf();
    std::fs::remove_file(store.join(&name)).unwrap();
    std::fs::write(dir.join(format!("{}.json", hash_hex(&bytes))), &bytes).unwrap();
    let (name, train) = the_entry(&all, "train").clone();
    let mut altered = train.clone();
    altered["host"] = "someone-else".into();
    std::fs::write(store.join(&name), serde_json::to_vec_pretty(&altered).unwrap()).unwrap();

    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["run", "--pull", "--json"]).success();
    assert_eq!(outcomes(&a), ["prepare=ran", "train=ran", "evaluate=restored"]);
    assert_eq!(take_calls(&p), ["prepare", "train"]);
    let said = stderr(&a);
    assert!(
        said.contains("stage prepare: refused an entry of remote store's stage cache"),
        "{said}"
    );
    assert!(said.contains("are not the stage's"), "{said}");
    assert!(said.contains("stage train: refused"), "{said}");
    assert!(said.contains("do not hash to its name"), "{said}");
    assert!(!p.temp_dir().join("outside.txt").exists());
    assert!(!clone.parent().unwrap().join("outside.txt").exists());
}

/// Two clones of the S3 project at `name`, each having run the pipeline itself.
fn ran_clone(p: &TestProject, name: &str) -> PathBuf {
    let dir = clone_of(p, name);
    mlx_s3(p, &dir, &["run"]).success();
    dir
}

#[test]
fn two_clones_publishing_at_once_to_s3_keep_both_results() {
    let p = pipeline();
    let server = S3Server::start(&p.temp_dir().join("s3"));
    server.create_bucket(BUCKET);
    p.mlx(&["remote", "add", "s3", &format!("s3://{BUCKET}/{PREFIX}"), "--default"]).success();
    p.mlx(&["remote", "modify", "s3", "endpoint", &server.endpoint()]).success();
    p.commit_all("remote");
    let (a, b) = (ran_clone(&p, "a"), ran_clone(&p, "b"));
    assert_eq!(take_calls(&p).len(), 6);
    // Both push at the same time: each publishes its own three results.
    std::thread::scope(|s| {
        let pushes: Vec<_> = [&a, &b]
            .into_iter()
            .map(|dir| {
                let p = &p;
                s.spawn(move || {
                    let out = mlx_s3(p, dir, &["push", "--json"]).success();
                    let json: serde_json::Value =
                        serde_json::from_slice(&out.get_output().stdout).unwrap();
                    json["stage_results_uploaded"].as_u64().unwrap()
                })
            })
            .collect();
        for h in pushes {
            assert_eq!(h.join().unwrap(), 3);
        }
    });
    let base = server.object_path(BUCKET, PREFIX);
    let all = entries(&base);
    assert_eq!(all.len(), 6, "{all:?}");
    for stage in ["prepare", "train", "evaluate"] {
        let two: Vec<_> = all.iter().filter(|(_, e)| e["stage"] == stage).collect();
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].1["fingerprint"], two[1].1["fingerprint"], "same inputs, same place");
        assert_ne!(two[0].1["run"], two[1].1["run"]);
        assert_eq!(two[0].1["outs"], two[1].1["outs"]);
    }

    // A third clone restores everything from S3, and picks the same entry every time.
    let c = clone_of(&p, "c");
    let out = mlx_s3(&p, &c, &["run", "--pull", "--json"]).success();
    assert_eq!(outcomes(&out), ["prepare=restored", "train=restored", "evaluate=restored"]);
    assert_eq!(take_calls(&p), Vec::<String>::new());
    let first: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let d = clone_of(&p, "d");
    let out = mlx_s3(&p, &d, &["run", "--pull", "--json"]).success();
    let second: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for i in 0..3 {
        assert_eq!(first["stages"][i]["run"], second["stages"][i]["run"]);
    }
    // The earliest of the two.
    let earliest = all
        .iter()
        .filter(|(_, e)| e["stage"] == "train")
        .min_by_key(|(n, e)| (e["created"].as_str().unwrap().to_owned(), n.clone()))
        .unwrap();
    assert_eq!(first["stages"][1]["run"], earliest.1["run"]);
    assert_eq!(std::fs::read_to_string(c.join("score.txt")).unwrap(), p_score(&a));
}

fn p_score(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("score.txt")).unwrap()
}

/// Point 3 on one remote kind: two clones that ran the pipeline push at the same time, each
/// publishing its three results (`published` counts the entries the remote holds, from its own
/// listing: six); a no-op push publishes nothing; a fresh clone (made ready by `prepare`)
/// restores the three stages and runs none.
fn shared_stage_cache_on(
    p: &TestProject,
    run: &(dyn Fn(&Path, &[&str]) -> assert_cmd::assert::Assert + Sync),
    published: &dyn Fn() -> usize,
    prepare: &(dyn Fn(&Path) + Sync),
) {
    let json = |dir: &Path, args: &[&str]| -> serde_json::Value {
        let out = run(dir, args).success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let (a, b) = (clone_of(p, "a"), clone_of(p, "b"));
    for dir in [&a, &b] {
        prepare(dir);
        run(dir, &["run"]).success();
    }
    assert_eq!(take_calls(p).len(), 6);
    std::thread::scope(|s| {
        let pushes: Vec<_> = [&a, &b]
            .into_iter()
            .map(|dir| {
                s.spawn(move || {
                    let out = run(dir, &["push", "--json"]).success();
                    let json: serde_json::Value =
                        serde_json::from_slice(&out.get_output().stdout).unwrap();
                    json["stage_results_uploaded"].as_u64().unwrap()
                })
            })
            .collect();
        for h in pushes {
            assert_eq!(h.join().unwrap(), 3);
        }
    });
    assert_eq!(published(), 6, "both machines' results are kept");
    let again = json(&a, &["push", "--json"]);
    assert_eq!(again["stage_results_already_there"], 3, "{again}");
    assert_eq!(again["stage_results_uploaded"], 0, "{again}");

    let c = clone_of(p, "c");
    prepare(&c);
    let out = run(&c, &["run", "--pull", "--json"]).success();
    assert_eq!(outcomes(&out), ["prepare=restored", "train=restored", "evaluate=restored"]);
    assert_eq!(take_calls(p), Vec::<String>::new(), "nothing ran");
    for f in ["prepared.txt", "model/weights.txt", "model/meta.txt", "score.txt"] {
        let want = std::fs::read_to_string(a.join(f)).unwrap();
        assert_eq!(std::fs::read_to_string(c.join(f)).unwrap(), want, "{f}");
    }
}

/// Entries under `runcache/` among blob names listed under `prefix` (Azure, GCS).
fn runcache_names(names: Vec<(String, u64)>, prefix: &str) -> usize {
    names
        .iter()
        .filter(|(n, _)| n.strip_prefix(prefix).is_some_and(|r| r.starts_with("runcache/")))
        .count()
}

#[test]
fn webdav_remotes_share_stage_results() {
    use crate::support::servers::DavServer;
    let p = pipeline();
    let root = p.temp_dir().join("dav");
    let server = DavServer::start(&root);
    p.mlx(&["remote", "add", "dav", &format!("{}store", server.url()), "--default"]).success();
    p.commit_all("remote");
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    shared_stage_cache_on(&p, &run, &|| entries(&root.join("store")).len(), &|_| {});
}

#[test]
fn ssh_remotes_share_stage_results() {
    use crate::support::sshd::{Sshd, trust};
    let sshd = Sshd::start();
    let p = pipeline();
    p.mlx(&["remote", "add", "box", &sshd.url("team/cache"), "--default"]).success();
    p.commit_all("remote");
    trust(&p, &sshd);
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    let store = sshd.data().join("team/cache");
    shared_stage_cache_on(&p, &run, &|| entries(&store).len(), &|_| {});
}

#[test]
fn azure_remotes_share_stage_results() {
    use crate::support::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite};
    let server = Azurite::start();
    server.create_container("team-data");
    let p = pipeline();
    p.mlx(&["remote", "add", "az", &format!("azure://{ACCOUNT}@team-data/demo"), "--default"])
        .success();
    p.mlx(&["remote", "modify", "az", "endpoint", &server.endpoint()]).success();
    p.commit_all("remote");
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    let published = || runcache_names(server.blobs("team-data", "demo/"), "demo/");
    let prepare = |dir: &Path| {
        p.mlx_in(dir, &["remote", "modify", "az", "password", ACCOUNT_KEY, "--local"]).success();
    };
    shared_stage_cache_on(&p, &run, &published, &prepare);
}

#[test]
fn gcs_remotes_share_stage_results() {
    use crate::support::gcs::GcsServer;
    let server = GcsServer::start();
    server.create_bucket("team-bucket");
    let p = pipeline();
    p.mlx(&["remote", "add", "gcs", "gs://team-bucket/demo", "--default"]).success();
    p.mlx(&["remote", "modify", "gcs", "endpoint", &server.endpoint()]).success();
    p.commit_all("remote");
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    let published = || runcache_names(server.objects("team-bucket", "demo/"), "demo/");
    let prepare = |dir: &Path| {
        p.mlx_in(dir, &["remote", "modify", "gcs", "token", "ya29.test", "--local"]).success();
    };
    shared_stage_cache_on(&p, &run, &published, &prepare);
}
