//! `azure://` remotes against Azurite, Microsoft's Azure Storage emulator, on 127.0.0.1 with
//! SharedKey authentication (the emulator's development account and key): round trips into
//! fresh clones, hundreds of small files and a big blob uploaded in blocks, wrong account keys, a
//! missing container, a server that is down or stops mid-push, gc, and run records.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::remotes::clone_of;
use crate::support::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite};
use crate::support::{TestProject, many_files, mlx_bin, noise, stderr, stdout};

const CONTAINER: &str = "team-data";
const PREFIX: &str = "projects/demo";

/// A valid account key (64 bytes in base64) that is not the account's.
const WRONG_KEY: &str =
    "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmc=";

/// A project with a small tracked directory and file, committed, and an Azure remote `az` (the
/// default) on a fresh Azurite with the container created. The URL and endpoint are in
/// `mlx.toml`; the account key is in this clone's `.mlx/config.local.toml`.
fn azure_project() -> (TestProject, Azurite) {
    let server = Azurite::start();
    (project_on(&server), server)
}

/// The project of [`azure_project`] with its remote on `server`.
fn project_on(server: &Azurite) -> TestProject {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "bravo\n");
    p.write("model.bin", "weights v1\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    server.create_container(CONTAINER);
    let url = format!("azure://{ACCOUNT}@{CONTAINER}/{PREFIX}");
    p.mlx(&["remote", "add", "az", &url, "--default"]).success();
    p.mlx(&["remote", "modify", "az", "endpoint", &server.endpoint()]).success();
    set_key(&p, p.root(), ACCOUNT_KEY);
    p.commit_all("data v1");
    p
}

/// Give the clone in `dir` the account key, as a user does: in its local config only.
fn set_key(p: &TestProject, dir: &Path, key: &str) {
    p.mlx_in(dir, &["remote", "modify", "az", "password", key, "--local"]).success();
}

/// Object names stored in the container under the remote's prefix, as 64-hex names, with their
/// sizes.
fn azure_objects_sized(server: &Azurite) -> Vec<(String, u64)> {
    let prefix = format!("{PREFIX}/");
    let mut out: Vec<(String, u64)> = server
        .blobs(CONTAINER, &prefix)
        .into_iter()
        .filter_map(|(name, size)| {
            let rel = name.strip_prefix(&prefix)?;
            (rel.len() == 65 && rel.as_bytes()[2] == b'/').then(|| (rel.replace('/', ""), size))
        })
        .collect();
    out.sort();
    out
}

/// Object names stored in the container under the remote's prefix, as 64-hex names.
fn azure_objects(server: &Azurite) -> Vec<String> {
    azure_objects_sized(server).into_iter().map(|(h, _)| h).collect()
}

/// The cache's objects with their sizes.
fn local_objects_sized(p: &TestProject) -> Vec<(String, u64)> {
    p.objects().into_iter().map(|(h, path)| (h, std::fs::metadata(path).unwrap().len())).collect()
}

fn push_json(p: &TestProject) -> serde_json::Value {
    p.json(&["push"])
}

#[test]
fn azure_push_and_pull_into_a_fresh_clone() {
    let (p, server) = azure_project();
    assert!(!p.read_string("mlx.toml").contains(ACCOUNT_KEY));
    p.mlx(&["status", "--remote", "az", "--check"]).code(1);
    let a = p.mlx(&["push", "-v"]).success();
    assert!(stdout(&a).starts_with("pushed 4 objects"), "{}", stdout(&a));
    assert!(!stdout(&a).contains(ACCOUNT_KEY) && !stderr(&a).contains(ACCOUNT_KEY));
    // The container holds the cache's layout under the prefix, with the cache's sizes.
    assert_eq!(azure_objects_sized(&server), local_objects_sized(&p));
    p.mlx(&["status", "--remote", "az", "--check"]).success();
    let json = push_json(&p);
    assert_eq!(json["uploaded"], 0, "{json}");
    assert_eq!(json["already_there"], 4, "{json}");

    // A fresh clone has the URL and endpoint from mlx.toml; the key is set again, locally.
    let clone = clone_of(&p, "clone");
    set_key(&p, &clone, ACCOUNT_KEY);
    let a = p.mlx_in(&clone, &["pull"]).success();
    assert!(stdout(&a).contains("fetched 4 objects"), "{}", stdout(&a));
    for file in ["data/a.txt", "data/sub/b.txt", "model.bin"] {
        assert_eq!(std::fs::read(clone.join(file)).unwrap(), p.read(file), "{file}");
    }
    p.mlx_in(&clone, &["status", "--check"]).success();
    p.mlx_in(&clone, &["status", "--remote", "az", "--check"]).success();
}

#[test]
fn azure_many_small_files_and_a_big_blob_uploaded_in_blocks() {
    let (p, server) = azure_project();
    many_files(&p, "many", 300, 1024, 20);
    // Over the 16 MiB that goes in one request: three blocks of 16, 16 and 4 MiB.
    let big = noise(36 << 20, 11);
    p.write("big.bin", &big);
    p.mlx(&["add", "many", "big.bin"]).success();
    p.commit_all("many and big");
    let a = p.mlx(&["push"]).success();
    // 4 objects of the first commit, 300 files and the listing of many/, big.bin.
    assert!(stdout(&a).starts_with("pushed 306 objects"), "{}", stdout(&a));
    assert_eq!(azure_objects_sized(&server), local_objects_sized(&p));
    let h = p.pointer_hash("big.bin");
    let blob = format!("{PREFIX}/{}/{}", &h[..2], &h[2..]);
    assert_eq!(server.committed_blocks(CONTAINER, &blob), [16 << 20, 16 << 20, 4 << 20]);

    let clone = clone_of(&p, "clone");
    set_key(&p, &clone, ACCOUNT_KEY);
    let a = p.mlx_in(&clone, &["pull"]).success();
    assert!(stdout(&a).contains("fetched 306 objects"), "{}", stdout(&a));
    assert!(std::fs::read(clone.join("big.bin")).unwrap() == big, "big.bin came back different");
    assert_eq!(
        std::fs::read(clone.join("many/07/00287.txt")).unwrap(),
        p.read("many/07/00287.txt")
    );
    p.mlx_in(&clone, &["status", "--check"]).success();
}

#[test]
fn azure_wrong_account_key_is_access_denied_with_exit_3() {
    let (p, server) = azure_project();
    set_key(&p, p.root(), WRONG_KEY);
    let a = p.mlx(&["push"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("remote 'az'") && err.contains("access denied"), "{err}");
    // Azure's error code and message, without the request id of one attempt.
    assert!(err.contains("AuthorizationFailure: Server failed to authenticate"), "{err}");
    assert!(!err.contains("RequestId") && !err.contains(WRONG_KEY), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The hint is Azure's own (the account key as `password`), not the AWS one.
    assert!(err.contains("mlx remote modify az password - --local"), "{err}");
    assert!(!err.contains("AWS_"), "{err}");
    assert!(server.blobs(CONTAINER, "").is_empty(), "nothing may be written");

    // A clone with the wrong key fetches nothing and checks nothing out.
    set_key(&p, p.root(), ACCOUNT_KEY);
    p.mlx(&["push", "-q"]).success();
    let clone = clone_of(&p, "clone");
    set_key(&p, &clone, WRONG_KEY);
    let a = p.mlx_in(&clone, &["pull"]).code(3);
    assert!(stderr(&a).contains("access denied"), "{}", stderr(&a));
    assert!(!clone.join("model.bin").exists() && !clone.join("data").exists());
    let cached = walkdir::WalkDir::new(clone.join(".mlx/cache"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(cached, 0);

    // A key that is not base64 at all is bad settings (exit 2), and is not printed either.
    set_key(&p, &clone, "not a key!");
    let a = p.mlx_in(&clone, &["pull"]).code(2);
    let err = stderr(&a);
    assert!(err.contains("remote 'az'") && err.contains("account_key"), "{err}");
    assert!(!err.contains("not a key!"), "{err}");
}

#[test]
fn azure_missing_container_is_a_clear_error() {
    let (p, server) = azure_project();
    let url = format!("azure://{ACCOUNT}@no-such-container/{PREFIX}");
    p.mlx(&["remote", "modify", "az", "url", &url]).success();
    let a = p.mlx(&["push"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("remote 'az'") && err.contains("no-such-container"), "{err}");
    assert!(err.contains("ContainerNotFound: The specified container does not exist"), "{err}");
    assert!(err.contains("hint:") && err.contains("create the container"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Reading commands see it too (Azure lists a missing prefix as empty, so only the
    // container's absence answers 404): no "nothing pushed yet" and exit 0 or 1.
    let a = p.mlx(&["status", "--remote", "az"]).code(3);
    assert!(stderr(&a).contains("the container does not exist"), "{}", stderr(&a));
    let a = p.mlx(&["fetch"]).code(3);
    assert!(stderr(&a).contains("the container does not exist"), "{}", stderr(&a));
    // mlx never creates a container.
    assert_eq!(server.containers(), [CONTAINER]);
}

#[test]
fn azure_server_down_is_exit_3_and_a_rerun_after_restart_works() {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("azurite");
    let server = Azurite::start_on(&location, 0);
    let port = server.port();
    let p = project_on(&server);
    p.mlx(&["push", "-q"]).success();
    server.stop();

    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("v2");
    let started = Instant::now();
    let a = p.mlx(&["push"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("remote 'az'") && err.contains("Connection refused"), "{err}");
    assert!(err.contains("run the command again"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30), "retries took {:?}", started.elapsed());

    // The same folder on the same port: the blobs pushed before are still there.
    let server = Azurite::start_on(&location, port);
    let json = push_json(&p);
    assert_eq!(json["uploaded"], 1, "{json}");
    assert_eq!(json["already_there"], 3, "the workspace's other objects: {json}");
    let clone = clone_of(&p, "clone");
    set_key(&p, &clone, ACCOUNT_KEY);
    p.mlx_in(&clone, &["pull", "-q"]).success();
    assert_eq!(std::fs::read_to_string(clone.join("model.bin")).unwrap(), "weights v2\n");
    assert_eq!(azure_objects(&server).len(), 5);
}

#[test]
fn azure_server_stopped_mid_push_then_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().join("azurite");
    let server = Azurite::start_on(&location, 0);
    let port = server.port();
    let p = project_on(&server);
    many_files(&p, "many", 1000, 1024, 20);
    p.mlx(&["add", "many"]).success();
    let total = p.objects().len();
    let child = p
        .mlx_std()
        .args(["push", "--jobs", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while azure_objects(&server).len() < 50 {
        assert!(Instant::now() < deadline, "push made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.stop();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("remote 'az'") && err.contains("run the command again"), "{err}");

    let server = Azurite::start_on(&location, port);
    let done_before = azure_objects(&server);
    assert!(done_before.len() >= 50 && done_before.len() < total, "{}", done_before.len());
    // A directory's listing goes up only after all its files: it is not there yet.
    assert!(!done_before.contains(&p.pointer_hash("many")));
    let json = push_json(&p);
    let (uploaded, there) =
        (json["uploaded"].as_u64().unwrap(), json["already_there"].as_u64().unwrap());
    assert!(there >= done_before.len() as u64, "{json}");
    assert_eq!(uploaded + there, total as u64, "{json}");
    assert_eq!(azure_objects_sized(&server), local_objects_sized(&p));
}

#[test]
fn azure_gc_deletes_an_unreferenced_old_version_and_keeps_the_current_one() {
    let (p, server) = azure_project();
    p.mlx(&["push", "-q"]).success();
    let old = p.pointer_hash("model.bin");
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("v2");
    p.mlx(&["push", "-q"]).success();
    let new = p.pointer_hash("model.bin");
    assert_eq!(azure_objects(&server).len(), 5);

    let a = p.mlx(&["gc", "--remote", "az"]).code(2);
    assert!(stderr(&a).contains("--workspace"), "{}", stderr(&a));
    let json = p.json(&["gc", "--remote", "az", "--workspace", "--dry-run"]);
    assert_eq!(json["removed_objects"], 1, "{json}");
    assert_eq!(azure_objects(&server).len(), 5, "a dry run deletes nothing");
    let json = p.json(&["gc", "--remote", "az", "--workspace"]);
    assert_eq!(json["removed_objects"], 1, "{json}");
    assert_eq!(json["kept_objects"], 4, "{json}");
    let left = azure_objects(&server);
    assert!(!left.contains(&old) && left.contains(&new), "{left:?}");
    assert_eq!(
        left,
        p.objects().into_iter().map(|(h, _)| h).filter(|h| *h != old).collect::<Vec<_>>()
    );
    p.mlx(&["status", "--remote", "az", "--check"]).success();
}

#[test]
fn azure_runs_are_shared_through_the_remote() {
    let (p, server) = azure_project();
    let script = format!("{0} log param lr=0.01 && {0} log metric acc=0.91", mlx_bin());
    p.mlx(&["run", "--name", "baseline", "--", "sh", "-c", &script]).success();
    let a = p.mlx(&["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 1 run record;"), "{}", stdout(&a));
    let records = server.blobs(CONTAINER, &format!("{PREFIX}/runs/"));
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(records[0].0.ends_with(".json"), "{records:?}");

    let clone = clone_of(&p, "clone");
    set_key(&p, &clone, ACCOUNT_KEY);
    let a = p.mlx_in(&clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("merged 1 run record (1 new run)"), "{}", stdout(&a));
    let a = p.mlx_in(&clone, &["exp", "list", "--stages", "--json"]).success();
    let runs: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["name"], "baseline");
    assert_eq!(runs[0]["params"]["lr"], "0.01");
    assert_eq!(runs[0]["metrics"]["acc"], 0.91);
    let a = p.mlx_in(&clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("merged 0 run records (0 new runs)"), "{}", stdout(&a));
    let a = p.mlx_in(&clone, &["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 0 run records; 1 already there"), "{}", stdout(&a));
}
