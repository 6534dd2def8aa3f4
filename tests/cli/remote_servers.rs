//! Remotes on real servers on 127.0.0.1, started by the tests: an S3 API that checks request
//! signatures (s3s-fs) and a WebDAV server (dav-server). Round trips into fresh clones, wrong
//! credentials, a missing bucket, a server that dies mid-push, a corrupted remote object,
//! 10,000 small objects, and a read-only plain-HTTP remote.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::remotes::clone_of;
use crate::support::servers::{DavServer, S3_ACCESS_KEY, S3_SECRET_KEY, S3Server};
use crate::support::{TestProject, many_files, mlx_bin, noise, stderr, stdout};

pub const BUCKET: &str = "team-bucket";
pub const PREFIX: &str = "projects/demo";

/// A project with a small tracked directory and file, committed, and an S3 remote `s3` (the
/// default) on a fresh server whose keys are in the environment of `mlx_s3`.
pub fn s3_project() -> (TestProject, S3Server) {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "bravo\n");
    p.write("model.bin", "weights v1\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    let server = S3Server::start(&p.temp_dir().join("s3"));
    server.create_bucket(BUCKET);
    p.mlx(&["remote", "add", "s3", &format!("s3://{BUCKET}/{PREFIX}"), "--default"]).success();
    p.mlx(&["remote", "modify", "s3", "endpoint", &server.endpoint()]).success();
    p.commit_all("data v1");
    (p, server)
}

/// `mlx ARGS` in `dir` with the S3 keys in the environment, as AWS tools take them.
pub fn mlx_s3(p: &TestProject, dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    p.mlx_cmd_in(dir)
        .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        .args(args)
        .assert()
}

/// Object keys stored on the S3 server under the remote's prefix (`ab/cdef…`).
pub fn s3_objects(server: &S3Server) -> Vec<String> {
    let base = server.object_path(BUCKET, PREFIX);
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&base).into_iter().flatten() {
        let rel = entry.path().strip_prefix(&base).unwrap().to_string_lossy().into_owned();
        if entry.file_type().is_file() && rel.len() == 65 && rel.as_bytes()[2] == b'/' {
            out.push(rel.replace('/', ""));
        }
    }
    out.sort();
    out
}

#[test]
fn s3_push_and_pull_into_a_fresh_clone() {
    let (p, server) = s3_project();
    let a = mlx_s3(&p, p.root(), &["push"]).success();
    assert!(stdout(&a).starts_with("pushed 4 objects"), "{}", stdout(&a));
    // The bucket holds the cache layout under the prefix, byte for byte.
    let local: Vec<String> = p.objects().into_iter().map(|(h, _)| h).collect();
    assert_eq!(s3_objects(&server), local);
    let h = p.pointer_hash("model.bin");
    let stored = server.object_path(BUCKET, &format!("{PREFIX}/{}/{}", &h[..2], &h[2..]));
    assert_eq!(std::fs::read_to_string(stored).unwrap(), "weights v1\n");
    // A no-op push lists the remote and sends nothing.
    let json: serde_json::Value = serde_json::from_slice(
        &mlx_s3(&p, p.root(), &["push", "--json"]).success().get_output().stdout,
    )
    .unwrap();
    assert_eq!(json["uploaded"], 0);
    assert_eq!(json["already_there"], 4);

    let clone = clone_of(&p, "clone");
    let a = mlx_s3(&p, &clone, &["pull"]).success();
    assert!(stdout(&a).contains("fetched 4 objects"), "{}", stdout(&a));
    assert_eq!(std::fs::read_to_string(clone.join("data/sub/b.txt")).unwrap(), "bravo\n");
    mlx_s3(&p, &clone, &["status", "--check"]).success();
    mlx_s3(&p, &clone, &["status", "--remote", "s3", "--check"]).success();
}

#[test]
fn s3_keys_in_the_local_config_work_and_are_never_printed() {
    let (p, _server) = s3_project();
    p.mlx(&["remote", "modify", "s3", "access_key_id", S3_ACCESS_KEY, "--local"]).success();
    p.mlx(&["remote", "modify", "s3", "secret_access_key", S3_SECRET_KEY, "--local"]).success();
    let a = p.mlx(&["push", "-v"]).success();
    assert!(!stdout(&a).contains(S3_SECRET_KEY) && !stderr(&a).contains(S3_SECRET_KEY));
    assert!(!p.read_string("mlx.toml").contains(S3_SECRET_KEY));
}

#[test]
fn s3_wrong_credentials_are_a_clear_error_with_exit_3() {
    let (p, server) = s3_project();
    let a = p
        .mlx_cmd()
        .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .args(["push"])
        .assert()
        .code(3);
    let err = stderr(&a);
    assert!(err.contains("remote 's3'") && err.contains("access denied"), "{err}");
    assert!(err.contains("SignatureDoesNotMatch"), "{err}");
    assert!(err.contains("hint:") && err.contains("credentials"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
    assert!(s3_objects(&server).is_empty());
    // No credentials at all: refused the same way, quickly (no metadata-service wait).
    let started = Instant::now();
    let a = p.mlx(&["fetch"]).code(3);
    assert!(stderr(&a).contains("access denied"), "{}", stderr(&a));
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn s3_missing_bucket_is_a_clear_error() {
    let (p, server) = s3_project();
    p.mlx(&["remote", "modify", "s3", "url", "s3://no-such-bucket/x"]).success();
    let a = mlx_s3(&p, p.root(), &["push"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("NoSuchBucket"), "{err}");
    assert!(err.contains("create the bucket"), "{err}");
    assert!(!server.root().join("no-such-bucket").exists());
}

#[test]
fn s3_corrupted_object_on_the_remote_is_rejected() {
    let (p, server) = s3_project();
    mlx_s3(&p, p.root(), &["push", "-q"]).success();
    let h = p.pointer_hash("model.bin");
    let stored = server.object_path(BUCKET, &format!("{PREFIX}/{}/{}", &h[..2], &h[2..]));
    std::fs::write(&stored, "weights v9\n").unwrap();
    let clone = clone_of(&p, "clone");
    let a = mlx_s3(&p, &clone, &["pull"]).code(3);
    assert!(
        stderr(&a).contains(&format!("{h}  corrupt: its content hashes to ")),
        "{}",
        stderr(&a)
    );
    assert!(!clone.join(".mlx/cache").join(&h[..2]).join(&h[2..]).exists());
    assert!(!clone.join("model.bin").exists());
}

#[test]
fn s3_server_stopped_mid_push_then_a_rerun_finishes() {
    let (p, server) = s3_project();
    many_files(&p, "many", 1500, 4096, 50);
    p.mlx(&["add", "many"]).success();
    let port = server.port();
    let child = p
        .mlx_std()
        .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        .args(["push", "--jobs", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while s3_objects(&server).len() < 100 {
        assert!(Instant::now() < deadline, "push made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    let root = server.root().to_path_buf();
    server.stop();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("remote 's3'"), "{err}");
    assert!(err.contains("run the command again"), "{err}");

    let server = S3Server::start_on(&root, port);
    let done_before = s3_objects(&server);
    assert!(done_before.len() < 1505, "the push was not interrupted");
    // A directory's listing goes up only after all its files: it is not there yet.
    assert!(!done_before.contains(&p.pointer_hash("many")));
    let json: serde_json::Value = serde_json::from_slice(
        &mlx_s3(&p, p.root(), &["push", "--json"]).success().get_output().stdout,
    )
    .unwrap();
    assert!(json["already_there"].as_u64().unwrap() >= 100, "{json}");
    assert_eq!(json["uploaded"].as_u64().unwrap() + json["already_there"].as_u64().unwrap(), 1505);
    let local: Vec<String> = p.objects().into_iter().map(|(h, _)| h).collect();
    assert_eq!(s3_objects(&server), local);
}

#[test]
fn s3_ten_thousand_small_objects_round_trip() {
    let (p, server) = s3_project();
    many_files(&p, "many", 10_000, 4096, 50);
    p.mlx(&["add", "many"]).success();
    p.commit_all("many");
    let a = mlx_s3(&p, p.root(), &["push"]).success();
    assert!(stdout(&a).starts_with("pushed 10005 objects"), "{}", stdout(&a));
    assert_eq!(s3_objects(&server).len(), 10_005);
    let clone = clone_of(&p, "clone");
    let a = mlx_s3(&p, &clone, &["pull", "many"]).success();
    assert!(stdout(&a).contains("fetched 10001 objects"), "{}", stdout(&a));
    assert_eq!(
        std::fs::read(clone.join("many/07/09957.txt")).unwrap(),
        p.read("many/07/09957.txt")
    );
    mlx_s3(&p, &clone, &["status", "--check", "many"]).success();
}

#[test]
fn s3_gc_remote_and_runs() {
    let (p, server) = s3_project();
    let script = format!("echo epoch 1; {} log metric loss=0.25", mlx_bin());
    p.mlx(&["run", "--name", "exp1", "--", "sh", "-c", &script]).success();
    mlx_s3(&p, p.root(), &["push", "--runs"]).success();
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("v2");
    mlx_s3(&p, p.root(), &["push", "-q"]).success();
    assert_eq!(s3_objects(&server).len(), 6, "4 objects, the new model and the run's log");
    let a = mlx_s3(&p, p.root(), &["gc", "--remote", "s3", "--workspace"]).success();
    assert!(stdout(&a).contains("removed 1 object "), "{}", stdout(&a));
    assert_eq!(s3_objects(&server).len(), 5);

    let clone = clone_of(&p, "clone");
    let a = mlx_s3(&p, &clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("(1 new run)"), "{}", stdout(&a));
    let a = mlx_s3(&p, &clone, &["exp", "list", "--stages", "--json"]).success();
    let runs: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(runs["runs"][0]["name"], "exp1");
    assert_eq!(runs["runs"][0]["metrics"]["loss"], 0.25);
}

/// A project with data and a WebDAV remote `dav` (the default) on a fresh server.
pub fn dav_project() -> (TestProject, DavServer, PathBuf) {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "bravo\n");
    // Enough objects that push lists the (not yet existing) folder instead of asking for each.
    for i in 0..100 {
        p.write(format!("data/many/{i:03}.txt"), format!("file {i}\n"));
    }
    p.mlx(&["add", "data"]).success();
    let root = p.temp_dir().join("dav");
    let server = DavServer::start(&root);
    p.mlx(&["remote", "add", "dav", &format!("{}store", server.url()), "--default"]).success();
    p.commit_all("data");
    (p, server, root)
}

#[test]
fn webdav_push_and_pull_into_a_fresh_clone() {
    let (p, _server, root) = dav_project();
    let a = p.mlx(&["push"]).success();
    assert!(stdout(&a).starts_with("pushed 103 objects"), "{}", stdout(&a));
    let h = p.pointer_hash("data");
    assert!(root.join("store").join(&h[..2]).join(&h[2..]).is_file());
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(std::fs::read_to_string(clone.join("data/a.txt")).unwrap(), "alpha\n");
    let json = p.json(&["push"]);
    assert_eq!(json["uploaded"], 0);
    // WebDAV lists folder by folder: status and gc work on it like on S3.
    p.write("data/a.txt", "alpha, changed\n");
    p.mlx(&["add", "data"]).success();
    p.mlx(&["status", "--remote", "dav", "--check"]).code(1);
    p.mlx(&["push", "-q"]).success();
    p.mlx(&["status", "--remote", "dav", "--check"]).success();
    let json = p.json(&["gc", "--remote", "dav", "--workspace"]);
    assert_eq!(json["removed_objects"], 2, "the old manifest and the old a.txt: {json}");
    assert_eq!(json["kept_objects"], 103);
}

#[test]
fn webdav_server_down_is_exit_3_and_a_rerun_after_restart_works() {
    let (p, server, root) = dav_project();
    let port = server.port();
    server.stop();
    let a = p.mlx(&["push"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("remote 'dav'") && err.contains("127.0.0.1"), "{err}");
    let _server = DavServer::start_on(&root, port);
    p.mlx(&["push"]).success();
    assert!(root.join("store").is_dir());
}

#[test]
fn plain_http_remotes_are_read_only_but_serve_pulls() {
    let (p, server, _root) = dav_project();
    p.mlx(&["push", "-q"]).success();
    p.mlx(&["remote", "add", "web", &format!("{}store", server.http_url())]).success();
    p.commit_all("a read-only mirror");
    let a = p.mlx(&["push", "-r", "web"]).code(2);
    assert!(stderr(&a).contains("read-only"), "{}", stderr(&a));
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull", "-r", "web"]).success();
    assert_eq!(std::fs::read_to_string(clone.join("data/sub/b.txt")).unwrap(), "bravo\n");
    // It cannot list a stage's folder of results: `run --pull` from it is refused, and the
    // stage does not run.
    p.mlx_in(&clone, &["remote", "default", "web"]).success();
    let toml = std::fs::read_to_string(clone.join("mlx.toml")).unwrap();
    std::fs::write(
        clone.join("mlx.toml"),
        format!("{toml}\n[stages.count]\ncmd = \"ls data > count.txt\"\ndeps = [\"data\"]\nouts = [\"count.txt\"]\n"),
    )
    .unwrap();
    let a = p.mlx_in(&clone, &["run", "--pull"]).code(2);
    assert!(stderr(&a).contains("cannot list"), "{}", stderr(&a));
    assert!(!clone.join("count.txt").exists());
}

#[test]
fn s3_credentials_come_from_a_profile_of_the_shared_credentials_file() {
    let (p, server) = s3_project();
    std::fs::create_dir_all(p.home().join(".aws")).unwrap();
    std::fs::write(
        p.home().join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n\
             [team]\naws_access_key_id = {S3_ACCESS_KEY}\naws_secret_access_key = {S3_SECRET_KEY}\n"
        ),
    )
    .unwrap();
    // The default profile holds wrong keys: refused.
    let a = p.mlx(&["push"]).code(3);
    assert!(stderr(&a).contains("access denied"), "{}", stderr(&a));
    // The remote's `profile` picks the right ones; so does AWS_PROFILE.
    p.mlx(&["remote", "modify", "s3", "profile", "team"]).success();
    p.mlx(&["push", "-q"]).success();
    assert_eq!(s3_objects(&server).len(), 4);
    p.mlx(&["remote", "modify", "s3", "profile", "--unset"]).success();
    p.mlx_cmd().env("AWS_PROFILE", "team").args(["push", "-q"]).assert().success();
}

#[test]
fn s3_big_objects_go_up_in_parts_and_come_back_streamed() {
    let (p, server) = s3_project();
    let body = noise(40 << 20, 7);
    p.write("big.bin", &body);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("big");
    mlx_s3(&p, p.root(), &["push", "-q"]).success();
    let h = p.pointer_hash("big.bin");
    // A multipart upload leaves an ETag of the form "<md5 of part md5s>-<parts>".
    let key = format!("{PREFIX}/{}/{}", &h[..2], &h[2..]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    opendal::install_default();
    let op = opendal::Operator::new(
        opendal::services::S3::default()
            .bucket(BUCKET)
            .endpoint(&server.endpoint())
            .region("us-east-1")
            .access_key_id(S3_ACCESS_KEY)
            .secret_access_key(S3_SECRET_KEY)
            .disable_config_load(),
    )
    .unwrap();
    let meta = rt.block_on(op.stat(&key)).unwrap();
    assert_eq!(meta.content_length(), 40 << 20);
    let etag = meta.etag().unwrap_or_default().trim_matches('"').to_owned();
    assert!(etag.ends_with("-3"), "16 MiB parts: {etag}");

    let clone = clone_of(&p, "clone");
    mlx_s3(&p, &clone, &["pull"]).success();
    assert!(std::fs::read(clone.join("big.bin")).unwrap() == body);
}

#[test]
fn s3_server_stopped_mid_fetch_then_a_rerun_finishes() {
    let (p, server) = s3_project();
    many_files(&p, "many", 1500, 4096, 50);
    p.mlx(&["add", "many"]).success();
    p.commit_all("many");
    mlx_s3(&p, p.root(), &["push", "-q"]).success();
    let clone = clone_of(&p, "clone");
    let port = server.port();
    let cache = clone.join(".mlx/cache");
    let child = p
        .mlx_std()
        .current_dir(&clone)
        .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        .args(["fetch", "--jobs", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let count = |dir: &Path| {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file() && e.path().parent() != Some(&dir.join("tmp")))
            .count()
    };
    // Past the first committed batch of 512.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&cache) < 600 {
        assert!(Instant::now() < deadline, "fetch made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    let root = server.root().to_path_buf();
    server.stop();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let _server = S3Server::start_on(&root, port);
    let a = mlx_s3(&p, &clone, &["fetch", "--json"]).success();
    let json: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let cached = json["already_cached"].as_u64().unwrap();
    assert!(cached >= 512, "{json}");
    assert_eq!(cached + json["downloaded"].as_u64().unwrap(), 1505);
    mlx_s3(&p, &clone, &["checkout", "-q"]).success();
    mlx_s3(&p, &clone, &["status", "--check"]).success();
}

#[test]
fn webdav_big_objects_are_streamed_not_held_in_memory() {
    let (p, _server, root) = dav_project();
    // Stored whole (not as chunks): this is about streaming one big object.
    p.write(".mlx/config.local.toml", "[cache]\nchunking = false\n");
    let body = noise(96 << 20, 11);
    p.write("big.bin", &body);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("big");
    // With its private writable memory capped below the file's size, mlx can only push the
    // file by streaming it (reading it whole into memory would fail).
    let out = p
        .command_in("prlimit", p.root())
        .args([&format!("--data={}", 64 << 20), "--", mlx_bin(), "push", "-q", "--jobs", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let h = p.pointer_hash("big.bin");
    let stored = root.join("store").join(&h[..2]).join(&h[2..]);
    assert!(std::fs::read(&stored).unwrap() == body, "the object on the server differs");
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull", "-q", "big.bin"]).success();
    assert!(std::fs::read(clone.join("big.bin")).unwrap() == body);
}
