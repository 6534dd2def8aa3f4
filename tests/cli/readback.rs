//! `mlx exp log` and `mlx exp get`: a run's output and artifacts read back out of the cache,
//! byte for byte; runs named by id, prefix or name; a running run's output, followed to its
//! end; logs and artifacts fetched from the remote when the cache lacks them, and exit 3 when
//! nothing has them; files in the way; and run records that name paths outside the folder.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::remotes::clone_of;
use crate::support::{TestProject, hash_hex, mlx_bin, stderr, stdout};

/// Record `sh -c SCRIPT` as a run named `name`; returns its id.
fn run_named(p: &TestProject, name: &str, script: &str) -> String {
    p.mlx_cmd()
        .env("MLX_BIN", mlx_bin())
        .args(["run", "-q", "--name", name, "--", "sh", "-c", script])
        .assert()
        .success();
    newest_run(p)
}

fn newest_run(p: &TestProject) -> String {
    p.db()
        .query_row("SELECT id FROM runs ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .expect("a run")
}

/// The hash of a run's artifact.
fn artifact_hash(p: &TestProject, run: &str, path: &str) -> String {
    p.db()
        .query_row("SELECT hash FROM artifacts WHERE run_id = ?1 AND path = ?2", [run, path], |r| {
            r.get(0)
        })
        .expect("the artifact")
}

/// Delete an object from the cache (as a clone that never had it would lack it).
fn drop_object(p: &TestProject, hash: &str) {
    std::fs::remove_file(p.object_path(hash)).expect("remove the object");
}

/// A run that wrote bytes that are not text, then recorded a file and a directory.
fn project_with_artifacts() -> (TestProject, String) {
    let p = TestProject::initialized();
    p.write("job.sh", "printf 'one\\0two\\377\\r\\nthree\\n'; mkdir -p out/deep; echo w > model.pkl; echo a > out/a.txt; echo b > out/deep/b.txt; \"$MLX_BIN\" log artifact model.pkl out > /dev/null");
    let id = run_named(&p, "baseline", "sh job.sh");
    (p, id)
}

#[test]
fn exp_log_prints_the_output_byte_for_byte() {
    let (p, id) = project_with_artifacts();
    let a = p.mlx(&["exp", "log", &id]).success();
    assert_eq!(a.get_output().stdout, b"one\0two\xff\r\nthree\n");
    assert_eq!(stderr(&a), "");
    // By name, by unique prefix, upper case; the last lines only.
    for run in ["baseline", &id[..8], &id.to_uppercase()] {
        let a = p.mlx(&["exp", "log", run]).success();
        assert_eq!(a.get_output().stdout, b"one\0two\xff\r\nthree\n", "{run}");
    }
    let a = p.mlx(&["exp", "log", &id, "--tail", "1"]).success();
    assert_eq!(a.get_output().stdout, b"three\n");
    let a = p.mlx(&["exp", "log", &id, "--tail", "9"]).success();
    assert_eq!(a.get_output().stdout, b"one\0two\xff\r\nthree\n");
    // -q keeps the data.
    let a = p.mlx(&["-q", "exp", "log", "baseline", "--tail", "1"]).success();
    assert_eq!(stdout(&a), "three\n");
}

#[test]
fn stderr_goes_into_the_log_and_a_silent_run_has_none() {
    let p = TestProject::initialized();
    let id = run_named(&p, "noisy", "echo warning >&2");
    let a = p.mlx(&["exp", "log", &id]).success();
    assert_eq!(stdout(&a), "warning\n");
    let quiet = run_named(&p, "silent", "true");
    let a = p.mlx(&["exp", "log", "silent"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(stderr(&a), format!("run {quiet} (finished) recorded no output\n"));
}

#[test]
fn unknown_and_ambiguous_runs_exit_2_with_the_closest_match() {
    let (p, id) = project_with_artifacts();
    // exp log and exp get take experiments and runs, as exp show does.
    let a = p.mlx(&["exp", "log", "baselin"]).code(2);
    assert_eq!(
        stderr(&a),
        "error: no experiment or run matches \"baselin\"; did you mean baseline?\n\
         hint: list the experiments with: mlx exp list (their runs: --stages)\n"
    );
    // A mistyped id prefix.
    let typo: String = id[..6]
        .chars()
        .enumerate()
        .map(|(i, c)| if i == 5 { if c == 'z' { 'y' } else { 'z' } } else { c })
        .collect();
    let a = p.mlx(&["exp", "get", &typo]).code(2);
    assert!(stderr(&a).contains(&format!("did you mean {id} (baseline)?")), "{}", stderr(&a));
    // A second run named baseline is the experiment baseline-2: each name names one.
    let second = run_named(&p, "baseline", "echo second");
    let a = p.mlx(&["exp", "log", "baseline"]).success();
    assert_eq!(a.get_output().stdout, b"one\0two\xff\r\nthree\n");
    assert_eq!(stdout(&p.mlx(&["exp", "log", "baseline-2"]).success()), "second\n");
    // A prefix of both ids is ambiguous.
    let common = id.chars().zip(second.chars()).take_while(|(a, b)| a == b).count();
    let a = p.mlx(&["exp", "log", &id[..common.max(1)]]).code(2);
    assert!(stderr(&a).contains("matches several experiments and runs"), "{}", stderr(&a));
    // Names work wherever a run is named.
    p.mlx(&["exp", "show", &id]).success();
    let a = p.mlx(&["exp", "show", "silent-typo"]).code(2);
    assert!(stderr(&a).contains("no experiment or run matches"), "{}", stderr(&a));
    let a = p.mlx(&["exp", "show", "baselin"]).code(2);
    assert!(stderr(&a).contains("did you mean "), "{}", stderr(&a));
}

/// Wait until `cond` holds (up to 20 s).
fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_running_run_shows_its_output_so_far_and_follow_prints_to_the_end() {
    let p = TestProject::initialized();
    let script = "echo first; while [ ! -f go ]; do sleep 0.02; done; echo second; echo third";
    let mut run = p
        .mlx_std()
        .args(["run", "-q", "--name", "slow", "--", "sh", "-c", script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the run");
    wait_for("the run to start", || {
        p.db().query_row("SELECT count(*) FROM runs", [], |r| r.get::<_, i64>(0)).unwrap_or(0) == 1
    });
    let id = newest_run(&p);
    let live = p.path(format!(".mlx/runs/{id}/output.log"));
    wait_for("the first line", || std::fs::read(&live).is_ok_and(|b| b == b"first\n"));
    let a = p.mlx(&["exp", "log", "slow"]).success();
    assert_eq!(stdout(&a), "first\n");
    assert!(stderr(&a).contains("is still running: its output so far"), "{}", stderr(&a));

    let mut follow = p
        .mlx_std()
        .args(["exp", "log", &id, "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the follower");
    let mut out = follow.stdout.take().expect("piped");
    let mut first = [0u8; 6];
    out.read_exact(&mut first).expect("the follower prints what is there");
    assert_eq!(&first, b"first\n");
    p.write("go", "");
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).expect("read to the end");
    assert!(follow.wait().expect("follower ends").success());
    assert_eq!(rest, b"second\nthird\n");
    assert!(run.wait().expect("run ends").success());
    // Stored now, the same bytes.
    let a = p.mlx(&["exp", "log", &id]).success();
    assert_eq!(stdout(&a), "first\nsecond\nthird\n");
}

#[test]
fn a_log_missing_from_the_cache_is_fetched_from_the_remote_else_exit_3() {
    let (p, id) = project_with_artifacts();
    let log = artifact_hash(&p, &id, "log");
    drop_object(&p, &log);
    let a = p.mlx(&["exp", "log", &id]).code(3);
    assert_eq!(
        stderr(&a),
        format!(
            "error: the log of run {id}: 1 object is not in the cache, and no remote is set up to \
             fetch from\nhint: add the remote the run was pushed to (mlx remote add NAME URL), or \
             push it from the clone that recorded the run: mlx push --runs\n"
        )
    );
    let store = p.temp_dir().join("store");
    std::fs::create_dir_all(&store).unwrap();
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    let a = p.mlx(&["exp", "log", &id]).code(3);
    assert!(
        stderr(&a).contains("1 object is not in the cache, nor on the remote store")
            && stderr(&a).contains(
                "hint: push it from the clone that recorded the run: mlx push --runs -r store"
            ),
        "{}",
        stderr(&a)
    );

    // Pushed from a clone that has it, then read in one that does not.
    let (q, qid) = project_with_artifacts();
    q.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    q.mlx(&["push", "--runs"]).success();
    let qlog = artifact_hash(&q, &qid, "log");
    drop_object(&q, &qlog);
    let a = q.mlx(&["exp", "log", "baseline"]).success();
    assert_eq!(a.get_output().stdout, b"one\0two\xff\r\nthree\n");
    assert_eq!(stderr(&a), format!("fetched the log of run {qid} from the remote\n"));
    assert!(q.has_object(&qlog), "the fetched log is in the cache");
    // Named explicitly, and a remote that does not exist.
    let a = q.mlx(&["exp", "log", "baseline", "-r", "nope"]);
    a.success();
    drop_object(&q, &qlog);
    q.mlx(&["exp", "log", "baseline", "-r", "nope"]).code(2);
    q.mlx(&["exp", "log", "baseline", "-r", "store"]).success();
    // A damaged copy in the cache is quarantined and fetched again.
    drop_object(&q, &qlog);
    std::fs::write(q.object_path(&qlog), b"one\0two\xff\r\nthreX\n").unwrap();
    let a = q.mlx(&["exp", "log", "baseline"]).success();
    assert_eq!(a.get_output().stdout, b"one\0two\xff\r\nthree\n");
    assert!(stderr(&a).contains("fetched the log"), "{}", stderr(&a));
    assert_eq!(q.quarantined().len(), 1);
}

#[test]
fn exp_get_writes_files_and_directories_under_their_names() {
    let (p, id) = project_with_artifacts();
    let dest = p.temp_dir().join("export");
    let a = p.mlx(&["exp", "get", "baseline", "-o", dest.to_str().unwrap()]).success();
    assert_eq!(
        stdout(&a),
        format!("{0}/model.pkl  2 B\n{0}/out        2 entries, 4 B\n", dest.display())
    );
    assert_eq!(std::fs::read(dest.join("model.pkl")).unwrap(), b"w\n");
    assert_eq!(std::fs::read(dest.join("out/a.txt")).unwrap(), b"a\n");
    assert_eq!(std::fs::read(dest.join("out/deep/b.txt")).unwrap(), b"b\n");
    assert!(!dest.join("log").exists(), "the log only when named");
    // Copies, writable, not links into the cache.
    let meta = std::fs::metadata(dest.join("model.pkl")).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o200, 0o200);
    assert_eq!(std::os::unix::fs::MetadataExt::nlink(&meta), 1);

    // Again: unchanged. One artifact, a file inside a directory artifact's folder, the log.
    let json = p.json(&["exp", "get", &id, "-o", dest.to_str().unwrap()]);
    assert_eq!(json["artifacts"][0]["unchanged"], 1);
    assert_eq!(json["artifacts"][0]["written"], 0);
    assert_eq!(json["artifacts"][1]["unchanged"], 2);
    assert_eq!(json["conflicts"], serde_json::json!([]));
    let json = p.json(&["exp", "get", &id, "out/", "log", "-o", dest.to_str().unwrap()]);
    let names: Vec<&str> = json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["out", "log"]);
    assert_eq!(json["artifacts"][1]["kind"], "log");
    assert_eq!(json["artifacts"][1]["written"], 1);
    assert_eq!(std::fs::read(dest.join("log")).unwrap(), b"one\0two\xff\r\nthree\n");
    assert_eq!(json["run"], id.as_str());
    assert_eq!(json["name"], "baseline");
    assert_eq!(json["dir"], dest.to_str().unwrap());
    assert_eq!(json["fetched"], 0);

    let a = p.mlx(&["exp", "get", &id, "modle.pkl"]).code(2);
    assert_eq!(
        stderr(&a),
        format!("error: run {id} has no artifact \"modle.pkl\"; did you mean model.pkl?\n")
    );
}

#[test]
fn exp_get_into_the_work_tree_and_files_in_the_way() {
    let (p, id) = project_with_artifacts();
    // The default folder is the current one: here a folder inside the project.
    p.mkdir("review");
    let a = p.mlx_in("review", &["exp", "get", &id]).success();
    assert!(stdout(&a).contains("review/model.pkl"), "{}", stdout(&a));
    assert_eq!(p.read("review/out/deep/b.txt"), b"b\n");
    // A file with other content is left alone, and nothing else is written.
    p.write("review/model.pkl", "mine\n");
    p.remove("review/out");
    let a = p.mlx_in("review", &["exp", "get", &id]).code(1);
    assert_eq!(
        stderr(&a),
        format!(
            "error: files in {} are in the way; nothing was written:\n  model.pkl  exists with \
             other content\nhint: write somewhere else with -o DIR, or replace them with --force\n",
            p.path("review").display()
        )
    );
    assert_eq!(p.read("review/model.pkl"), b"mine\n");
    assert!(!p.exists("review/out"));
    // A file where a folder belongs, a folder where a file belongs.
    p.write("review/out", "a file\n");
    let a = p.mlx(&["exp", "get", &id, "-o", "review", "--json"]).code(1);
    let json: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let conflicts: Vec<(String, String)> = json["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_owned(), c["reason"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        conflicts,
        [
            ("model.pkl".to_owned(), "exists with other content".to_owned()),
            ("out".to_owned(), "a file is where a folder belongs".to_owned()),
        ]
    );
    // --force replaces files; a folder is never replaced by a file.
    p.mlx(&["exp", "get", &id, "-o", "review", "--force"]).success();
    assert_eq!(p.read("review/model.pkl"), b"w\n");
    assert_eq!(p.read("review/out/a.txt"), b"a\n");
    p.remove("review/model.pkl");
    p.mkdir("review/model.pkl");
    let a = p.mlx(&["exp", "get", &id, "-o", "review", "--force"]).code(1);
    assert!(stderr(&a).contains("model.pkl  a folder is where a file belongs"), "{}", stderr(&a));
    // Into the project's own folders: refused.
    let a = p.mlx(&["exp", "get", &id, "-o", ".git/x"]).code(2);
    assert!(stderr(&a).contains("inside git's or mlx's own folder"), "{}", stderr(&a));
    assert!(!p.exists(".git/x"));
    p.mlx(&["exp", "get", &id, "-o", ".mlx/x"]).code(2);
    assert!(!p.exists(".mlx/x"));
}

#[test]
fn exp_get_writes_through_no_symlink_that_leaves_the_folder() {
    let (p, id) = project_with_artifacts();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    // Inside the project: a folder that is a symlink to outside it.
    std::os::unix::fs::symlink(&outside, p.path("review")).unwrap();
    // The folder named resolves outside the project: written there, as the user asked; but a
    // symlink inside the folder written into is never followed out of it.
    p.mlx(&["exp", "get", &id, "-o", "review/x"]).success();
    assert_eq!(std::fs::read(outside.join("x/model.pkl")).unwrap(), b"w\n");
    let dest = p.temp_dir().join("export");
    std::fs::create_dir_all(&dest).unwrap();
    let elsewhere = p.temp_dir().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dest.join("out")).unwrap();
    let a = p.mlx(&["exp", "get", &id, "out", "-o", dest.to_str().unwrap(), "--force"]).code(2);
    assert!(stderr(&a).contains("is a symlink to"), "{}", stderr(&a));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through it");
}

#[test]
fn artifacts_missing_from_the_cache_are_fetched_first() {
    let (p, id) = project_with_artifacts();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("project");
    p.mlx(&["push", "--runs"]).success();
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("1 new run"), "{}", stdout(&a));
    // The clone has the record; drop what fetch brought, as if it were never fetched.
    for (hash, _) in objects_in(&clone) {
        std::fs::remove_file(object_in(&clone, &hash)).unwrap();
    }
    let json = p.mlx_in(&clone, &["exp", "get", &id, "--json", "-o", "got"]).success();
    let json: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).unwrap();
    assert_eq!(json["fetched"], 4, "{json}");
    assert_eq!(std::fs::read(clone.join("got/out/deep/b.txt")).unwrap(), b"b\n");
    assert_eq!(std::fs::read(clone.join("got/model.pkl")).unwrap(), b"w\n");
    // Gone from the remote too: exit 3, nothing written.
    for (hash, _) in objects_in(&clone) {
        std::fs::remove_file(object_in(&clone, &hash)).unwrap();
    }
    std::fs::remove_dir_all(&store).unwrap();
    std::fs::create_dir_all(&store).unwrap();
    let a = p.mlx_in(&clone, &["exp", "get", &id, "-o", "again"]).code(3);
    assert!(
        stderr(&a).contains(&format!(
            "error: artifacts of run {id}: 2 objects are not in the cache, nor on the remote store"
        )),
        "{}",
        stderr(&a)
    );
    assert!(!clone.join("again").exists());
}

/// Objects in a clone's cache: (hash, path).
fn objects_in(root: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    let cache = root.join(".mlx/cache");
    for shard in std::fs::read_dir(&cache).unwrap().flatten() {
        let name = shard.file_name().to_string_lossy().into_owned();
        if name.len() != 2 {
            continue;
        }
        for obj in std::fs::read_dir(shard.path()).unwrap().flatten() {
            out.push((format!("{name}{}", obj.file_name().to_string_lossy()), obj.path()));
        }
    }
    out
}

fn object_in(root: &Path, hash: &str) -> std::path::PathBuf {
    root.join(".mlx/cache").join(&hash[..2]).join(&hash[2..])
}

#[test]
fn a_run_record_from_a_remote_cannot_name_paths_outside_the_folder() {
    let (p, id) = project_with_artifacts();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.mlx(&["push", "--runs"]).success();
    // Someone with write access to the bucket rewrites the record.
    let dir = store.join("runs").join(&id);
    let record = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(&record).unwrap();
    // Forged ids end in a letter the real one does not end in.
    let last = id.chars().last().unwrap();
    let ends: Vec<char> = ['w', 'x', 'y', 'z'].into_iter().filter(|c| *c != last).collect();
    for (i, hostile) in
        ["../../escape.txt", ".git/hooks/pre-commit", "/tmp/absolute.txt"].iter().enumerate()
    {
        let forged = text.replace("\"path\":\"model.pkl\"", &format!("\"path\":\"{hostile}\""));
        assert_ne!(forged, text);
        let forged = forged.replace(&id, &format!("{}{}", &id[..11], ends[i]));
        let forged_id = format!("{}{}", &id[..11], ends[i]);
        let name = format!("{}.json", &hash_hex(forged.as_bytes())[..32]);
        std::fs::create_dir_all(store.join("runs").join(&forged_id)).unwrap();
        std::fs::write(store.join("runs").join(&forged_id).join(name), &forged).unwrap();
    }
    let q = TestProject::initialized();
    q.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    let a = q.mlx(&["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("4 new runs"), "{}", stdout(&a));
    q.mkdir("work");
    for (suffix, shown) in [
        (ends[0], "../../escape.txt"),
        (ends[1], ".git/hooks/pre-commit"),
        (ends[2], "/tmp/absolute.txt"),
    ] {
        let forged_id = format!("{}{suffix}", &id[..11]);
        for args in [
            vec!["exp", "get", forged_id.as_str()],
            vec!["exp", "get", forged_id.as_str(), "-o", "work"],
        ] {
            let a = q.mlx_in("work", &args).code(2);
            assert!(
                stderr(&a).starts_with(&format!(
                    "error: refusing the artifact \"{shown}\" of the run record"
                )),
                "{}",
                stderr(&a)
            );
        }
    }
    assert!(!q.temp_dir().join("escape.txt").exists());
    assert!(!q.path(".git/hooks/pre-commit").exists());
    assert!(!Path::new("/tmp/absolute.txt").exists());
    assert_eq!(std::fs::read_dir(q.path("work")).unwrap().count(), 0, "nothing written");
}

/// A pipeline whose stages are declared in an order that is not their names' (prepare, train,
/// evaluate), with output, one without a final line break, and one silent.
/// Each stage also logs `notes.txt` as an artifact of its run.
const PIPELINE: &str = r#"
[stages.prepare]
cmd = "echo prepared; printf no-line-break; mkdir -p data; echo d > data/clean.csv; echo p > notes.txt; \"$MLX_BIN\" log artifact notes.txt > /dev/null"
outs = ["data/clean.csv"]

[stages.train]
cmd = "echo training; echo epoch 1; cat data/clean.csv lr.txt > model.pkl"
deps = ["data/clean.csv", "lr.txt"]
outs = ["model.pkl"]

[stages.evaluate]
cmd = "cat model.pkl eval.txt > score.txt; echo e > notes.txt; \"$MLX_BIN\" log artifact notes.txt > /dev/null"
deps = ["model.pkl", "eval.txt"]
outs = ["score.txt"]
"#;

fn pipeline_project() -> TestProject {
    let p = TestProject::initialized();
    p.write("mlx.toml", format!("{}{PIPELINE}", p.read_string("mlx.toml")));
    p.write("lr.txt", "0.1\n");
    p.write("eval.txt", "v1\n");
    p.write(".gitignore", format!("{}notes.txt\n", p.read_string(".gitignore")));
    p.commit_all("pipeline");
    p
}

/// `mlx run` of the pipeline; returns the experiment's name.
fn run_pipeline(p: &TestProject) -> String {
    p.mlx_cmd().env("MLX_BIN", mlx_bin()).args(["run", "-q"]).assert().success();
    p.db()
        .query_row("SELECT name FROM experiments ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
        .expect("an experiment")
}

fn stage_run(p: &TestProject, stage: &str) -> String {
    p.db()
        .query_row("SELECT id FROM runs WHERE stage = ?1 ORDER BY id DESC LIMIT 1", [stage], |r| {
            r.get(0)
        })
        .expect("a stage run")
}

#[test]
fn exp_log_of_an_experiment_prints_each_stage_in_pipeline_order_under_a_header() {
    let p = pipeline_project();
    let exp = run_pipeline(&p);
    let (prepare, train, evaluate) =
        (stage_run(&p, "prepare"), stage_run(&p, "train"), stage_run(&p, "evaluate"));
    let a = p.mlx(&["exp", "log", &exp]).success();
    assert_eq!(
        stdout(&a),
        format!(
            "==> prepare: run {prepare} <==\nprepared\nno-line-break\n\
             ==> train: run {train} <==\ntraining\nepoch 1\n\
             ==> evaluate: run {evaluate} <==\n"
        )
    );
    assert_eq!(stderr(&a), format!("run {evaluate} (finished) recorded no output\n"));
    // One stage: its bytes alone, as for its run; stderr says whose they are.
    let a = p.mlx(&["exp", "log", &exp, "--stage", "prepare"]).success();
    assert_eq!(stdout(&a), "prepared\nno-line-break");
    assert_eq!(stderr(&a), format!("experiment {exp}: stage prepare, run {prepare}\n"));
    let a = p.mlx(&["exp", "log", &exp, "--stage", "train", "--tail", "1"]).success();
    assert_eq!(stdout(&a), "epoch 1\n");
    // A stage run's id works as it always did.
    assert_eq!(stdout(&p.mlx(&["exp", "log", &train]).success()), "training\nepoch 1\n");

    // Only evaluate runs again: the others' output comes from the runs behind their results.
    p.write("eval.txt", "v2\n");
    let second = run_pipeline(&p);
    let evaluate2 = stage_run(&p, "evaluate");
    let a = p.mlx(&["exp", "log", &second]).success();
    assert_eq!(
        stdout(&a),
        format!(
            "==> prepare: run {prepare} (up to date: an earlier run) <==\nprepared\nno-line-break\n\
             ==> train: run {train} (up to date: an earlier run) <==\ntraining\nepoch 1\n\
             ==> evaluate: run {evaluate2} <==\n"
        )
    );

    // Back to the first eval.txt: evaluate's outputs come from the run cache, made by its first
    // run.
    p.write("eval.txt", "v1\n");
    let third = run_pipeline(&p);
    let a = p.mlx(&["exp", "log", &third, "--stage", "evaluate"]).success();
    assert!(stderr(&a).contains(&format!("stage evaluate, run {evaluate} (an earlier run")));
    let a = p.mlx(&["exp", "log", &third]).success();
    assert!(
        stdout(&a).ends_with(&format!(
            "==> evaluate: run {evaluate} (restored from the run cache: an earlier run) <==\n"
        )),
        "{}",
        stdout(&a)
    );

    // Mistakes are input errors.
    let a = p.mlx(&["exp", "log", &exp, "--stage", "trian"]).code(2);
    assert_eq!(
        stderr(&a),
        format!("error: experiment {exp} has no run of stage trian (did you mean train?)\n")
    );
    let a = p.mlx(&["exp", "log", &exp, "--follow"]).code(2);
    assert!(stderr(&a).contains("--follow reads one run"), "{}", stderr(&a));
    let a = p.mlx(&["exp", "log", &train, "--stage", "prepare"]).code(2);
    assert!(stderr(&a).contains(&format!("run {train} is a run of stage train")), "{}", stderr(&a));
}

#[test]
fn exp_get_of_an_experiment_writes_the_artifacts_of_every_stage() {
    let p = pipeline_project();
    let exp = run_pipeline(&p);
    let (prepare, train) = (stage_run(&p, "prepare"), stage_run(&p, "train"));
    let id: String = p
        .db()
        .query_row("SELECT id FROM experiments WHERE name = ?1", [&exp], |r| r.get(0))
        .unwrap();
    let dest = p.temp_dir().join("all");
    let d = dest.to_str().unwrap();
    // Two stages logged notes.txt with other content: refused, nothing written.
    let a = p.mlx(&["exp", "get", &exp, "-o", d]).code(2);
    assert_eq!(
        stderr(&a),
        format!(
            "error: stages prepare and evaluate of experiment {exp} both recorded \"notes.txt\", \
             with other content; pick one with --stage STAGE\n"
        )
    );
    assert!(!dest.exists());
    // The stages' outputs, in pipeline order, each with its run and stage.
    let json = p.json(&["exp", "get", &exp, "data/", "model.pkl", "score.txt", "-o", d]);
    assert_eq!(json["run"], serde_json::Value::Null);
    assert_eq!(json["name"], exp.as_str());
    assert_eq!(json["experiment"], id.as_str());
    let got: Vec<(String, String, String)> = json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_owned();
            (s("artifact"), s("stage"), s("run"))
        })
        .collect();
    assert_eq!(got[0], ("data/clean.csv".into(), "prepare".into(), prepare.clone()));
    assert_eq!(got[1], ("model.pkl".into(), "train".into(), train.clone()));
    assert_eq!(got[2].0, "score.txt");
    assert_eq!(std::fs::read_to_string(dest.join("data/clean.csv")).unwrap(), "d\n");
    assert_eq!(std::fs::read_to_string(dest.join("model.pkl")).unwrap(), "d\n0.1\n");
    assert_eq!(std::fs::read_to_string(dest.join("score.txt")).unwrap(), "d\n0.1\nv1\n");

    // One stage: its artifacts only, its log when named.
    let one = p.temp_dir().join("one");
    let json = p.json(&["exp", "get", &exp, "--stage", "prepare", "-o", one.to_str().unwrap()]);
    assert_eq!(json["run"], prepare.as_str());
    let names: Vec<&str> = json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["data/clean.csv", "notes.txt"]);
    assert_eq!(std::fs::read_to_string(one.join("notes.txt")).unwrap(), "p\n");
    let o = one.to_str().unwrap();
    p.mlx(&["exp", "get", &exp, "--stage", "train", "log", "-o", o]).success();
    assert_eq!(std::fs::read_to_string(one.join("log")).unwrap(), "training\nepoch 1\n");
    // Every stage run has its own log: naming `log` needs a stage.
    let a = p.mlx(&["exp", "get", &exp, "log", "-o", o]).code(2);
    assert!(stderr(&a).contains("has its own log; pick one with --stage STAGE"), "{}", stderr(&a));
    let a = p.mlx(&["exp", "get", &exp, "modle.pkl"]).code(2);
    assert!(
        stderr(&a).starts_with(&format!(
            "error: experiment {exp} has no artifact \"modle.pkl\"; did you mean model.pkl?"
        )),
        "{}",
        stderr(&a)
    );
    // A stage run's id works as it always did.
    let json = p.json(&["exp", "get", &train, "-o", o]);
    assert_eq!(json["run"], train.as_str());
    assert!(json.get("experiment").is_none(), "{json}");
    assert!(json["artifacts"][0].get("stage").is_none(), "{json}");
}
