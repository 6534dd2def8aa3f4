//! `gs://` remotes against a Google Cloud Storage emulator on 127.0.0.1 (the PyPI package
//! gcp-storage-emulator, see `support::gcs`), the remote's `endpoint` pointing at it and a fixed
//! access token in `.mlx/config.local.toml`: round trips into fresh clones, hundreds of small
//! files and a big object fetched in ranged parts, a missing bucket, a server that is down and
//! comes back, gc, run records, and the token kept out of `mlx.toml` and used instead of any
//! other Google credential. The emulator checks no credentials, so no test here sends a wrong
//! token.

use std::io::Read as _;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::remotes::clone_of;
use crate::support::gcs::GcsServer;
use crate::support::{TestProject, many_files, mlx_bin, noise, stderr, stdout};

const BUCKET: &str = "team-bucket";
const PREFIX: &str = "projects/demo";
/// What the tests give as the remote's `token`; the emulator accepts any.
const TOKEN: &str = "ya29.mlx-test-token";

/// A project with a small tracked directory and file, committed, and a GCS remote `gcs` (the
/// default) on `server`, whose bucket is created. The URL and endpoint are in `mlx.toml`, the
/// token in this clone's `.mlx/config.local.toml`.
fn project_on(server: &GcsServer) -> TestProject {
    server.create_bucket(BUCKET);
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "bravo\n");
    p.write("model.bin", "weights v1\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    p.mlx(&["remote", "add", "gcs", &format!("gs://{BUCKET}/{PREFIX}"), "--default"]).success();
    p.mlx(&["remote", "modify", "gcs", "endpoint", &server.endpoint()]).success();
    p.mlx(&["remote", "modify", "gcs", "token", TOKEN, "--local"]).success();
    p.commit_all("data v1");
    p
}

fn gcs_project() -> (TestProject, GcsServer) {
    let server = GcsServer::start();
    (project_on(&server), server)
}

/// `git clone` of the project with the token in the clone's local config (which git does not
/// carry).
fn clone_with_token(p: &TestProject, name: &str) -> PathBuf {
    let clone = clone_of(p, name);
    p.mlx_in(&clone, &["remote", "modify", "gcs", "token", TOKEN, "--local"]).success();
    clone
}

/// The objects stored under the remote's prefix, as 64-hex names, sorted.
fn remote_objects(server: &GcsServer) -> Vec<String> {
    let base = format!("{PREFIX}/");
    server
        .objects(BUCKET, &base)
        .into_iter()
        .filter_map(|(name, _)| {
            let rel = name.strip_prefix(&base)?.to_owned();
            (rel.len() == 65 && rel.as_bytes()[2] == b'/').then(|| rel.replace('/', ""))
        })
        .collect()
}

/// The object name of `hash` under the remote's prefix.
fn key(hash: &str) -> String {
    format!("{PREFIX}/{}/{}", &hash[..2], &hash[2..])
}

fn json(a: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&a.get_output().stdout).expect("JSON output")
}

#[test]
fn gcs_push_and_pull_into_a_fresh_clone() {
    let (p, server) = gcs_project();
    // Nothing is on the remote yet.
    let a = p.mlx(&["status", "--remote", "gcs", "--check"]).code(1);
    assert!(stdout(&a).contains("not pushed"), "{}", stdout(&a));
    let a = p.mlx(&["push"]).success();
    assert!(stdout(&a).starts_with("pushed 4 objects"), "{}", stdout(&a));
    // The bucket holds the cache layout under the prefix, with the cache's sizes.
    let local: Vec<String> = p.objects().into_iter().map(|(h, _)| h).collect();
    assert_eq!(remote_objects(&server), local);
    let h = p.pointer_hash("model.bin");
    assert!(server.objects(BUCKET, &key(&h)).contains(&(key(&h), 11)));
    p.mlx(&["status", "--remote", "gcs", "--check"]).success();
    // A second push finds everything there and sends nothing.
    let again = json(&p.mlx(&["push", "--json"]).success());
    assert_eq!(again["uploaded"], 0, "{again}");
    assert_eq!(again["already_there"], 4, "{again}");

    let clone = clone_with_token(&p, "clone");
    let a = p.mlx_in(&clone, &["pull"]).success();
    assert!(stdout(&a).contains("fetched 4 objects"), "{}", stdout(&a));
    for file in ["data/a.txt", "data/sub/b.txt", "model.bin"] {
        assert_eq!(std::fs::read(clone.join(file)).unwrap(), p.read(file), "{file}");
    }
    p.mlx_in(&clone, &["status", "--check"]).success();
    p.mlx_in(&clone, &["status", "--remote", "gcs", "--check"]).success();
    // mlx doctor reaches the remote and says where its credentials come from.
    let a = p.mlx(&["doctor"]).success();
    let report = stdout(&a);
    let line = report.lines().find(|l| l.contains("gs://team-bucket")).unwrap_or_default();
    assert!(line.contains("credentials: config.local.toml; reachable"), "{report}");
}

#[test]
fn gcs_hundreds_of_files_and_a_big_object_come_back_byte_identical() {
    let (p, server) = gcs_project();
    many_files(&p, "many", 300, 1024, 20);
    let big = noise(20 << 20, 5);
    p.write("big.bin", &big);
    p.mlx(&["add", "many", "big.bin"]).success();
    p.commit_all("many and big");
    let a = p.mlx(&["push", "many", "data", "model.bin"]).success();
    assert!(stdout(&a).starts_with("pushed 305 objects"), "{}", stdout(&a));
    // mlx uploads an object over 16 MiB in parts with the XML API, which the emulator lacks:
    // the big object goes in as one simple upload, and mlx has to find it and fetch it.
    let h = p.pointer_hash("big.bin");
    server.put_object(BUCKET, &key(&h), &big);
    p.mlx(&["status", "--remote", "gcs", "--check"]).success();
    let local: Vec<String> = p.objects().into_iter().map(|(h, _)| h).collect();
    assert_eq!(remote_objects(&server), local);

    let clone = clone_with_token(&p, "clone");
    let a = p.mlx_in(&clone, &["pull"]).success();
    assert!(stdout(&a).contains("fetched 306 objects"), "{}", stdout(&a));
    // Over 16 MiB, fetch reads the object in ranged parts and hashes it as it streams in.
    assert!(std::fs::read(clone.join("big.bin")).unwrap() == big, "big.bin differs");
    for i in [0, 7, 150, 299] {
        let file = format!("many/{:02}/{i:05}.txt", i % 20);
        assert_eq!(std::fs::read(clone.join(&file)).unwrap(), p.read(&file), "{file}");
    }
    p.mlx_in(&clone, &["status", "--check"]).success();
    let again = json(&p.mlx_in(&clone, &["push", "--json"]).success());
    assert_eq!(again["uploaded"], 0, "{again}");
    assert_eq!(again["already_there"], 306, "{again}");
}

#[test]
fn gcs_missing_bucket_is_a_clear_error() {
    let (p, server) = gcs_project();
    p.mlx(&["remote", "modify", "gcs", "url", "gs://no-such-bucket/x"]).success();
    for args in [&["push"][..], &["fetch"], &["status", "--remote", "gcs"]] {
        let a = p.mlx(args).code(3);
        let err = stderr(&a);
        assert!(
            err.contains("error: remote 'gcs' (gs://no-such-bucket/x): the bucket does not exist"),
            "{args:?}: {err}"
        );
        assert!(err.contains("hint: create the bucket"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let a = p.mlx(&["doctor"]).code(1);
    let line =
        stdout(&a).lines().find(|l| l.contains("no-such-bucket")).unwrap_or_default().to_owned();
    assert!(
        line.starts_with("FAIL") && line.contains("the bucket does not exist"),
        "{}",
        stdout(&a)
    );
    assert!(server.objects(BUCKET, "").is_empty());
}

#[test]
fn gcs_server_down_is_exit_3_and_a_restart_keeps_the_data() {
    let data = tempfile::tempdir().unwrap();
    let server = GcsServer::start_on(data.path(), 0);
    let p = project_on(&server);
    p.mlx(&["push", "-q"]).success();
    let port = server.port();
    server.stop();

    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    let a = p.mlx(&["push"]).code(3);
    let err = stderr(&a);
    assert!(err.contains(&format!("remote 'gcs' (gs://{BUCKET}/{PREFIX})")), "{err}");
    assert!(err.contains("run the command again"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    p.mlx(&["fetch"]).code(3);

    // The same folder and port: the bucket and the first push are still there.
    let server = GcsServer::start_on(data.path(), port);
    assert_eq!(remote_objects(&server).len(), 4);
    let again = json(&p.mlx(&["push", "--json"]).success());
    assert_eq!(again["uploaded"], 1, "only the new model: {again}");
    assert_eq!(again["already_there"], 3, "{again}");
    p.mlx(&["status", "--remote", "gcs", "--check"]).success();
}

#[test]
fn gcs_gc_deletes_an_unreferenced_old_version_and_keeps_the_current_one() {
    let (p, server) = gcs_project();
    p.mlx(&["push", "-q"]).success();
    let old = p.pointer_hash("model.bin");
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("v2");
    p.mlx(&["push", "-q"]).success();
    let new = p.pointer_hash("model.bin");
    assert_eq!(remote_objects(&server).len(), 5);
    // gc --remote wants to be told what to keep.
    p.mlx(&["gc", "--remote", "gcs"]).code(2);
    let dry =
        json(&p.mlx(&["gc", "--remote", "gcs", "--workspace", "--dry-run", "--json"]).success());
    assert_eq!(dry["removed_objects"], 1, "{dry}");
    assert_eq!(remote_objects(&server).len(), 5, "a dry run deletes nothing");
    let a = p.mlx(&["gc", "--remote", "gcs", "--workspace"]).success();
    assert!(stdout(&a).contains("removed 1 object "), "{}", stdout(&a));
    let left = remote_objects(&server);
    assert_eq!(left.len(), 4);
    assert!(!left.contains(&old) && left.contains(&new), "{left:?}");
    p.mlx(&["status", "--remote", "gcs", "--check"]).success();
}

#[test]
fn gcs_runs_are_shared_through_the_remote() {
    let (p, server) = gcs_project();
    let script = format!("{0} log param lr=0.01 && {0} log metric acc=0.91", mlx_bin());
    p.mlx(&["run", "--name", "baseline", "--", "sh", "-c", &script]).success();
    let a = p.mlx(&["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 1 run record;"), "{}", stdout(&a));
    let records = server.objects(BUCKET, &format!("{PREFIX}/runs/"));
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(records[0].0.ends_with(".json"), "{records:?}");

    let clone = clone_with_token(&p, "clone");
    let a = p.mlx_in(&clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("merged 1 run record (1 new run)"), "{}", stdout(&a));
    let runs = json(&p.mlx_in(&clone, &["exp", "list", "--stages", "--json"]).success());
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["name"], "baseline");
    assert_eq!(runs[0]["params"]["lr"], "0.01");
    assert_eq!(runs[0]["metrics"]["acc"], 0.91);
    let a = p.mlx_in(&clone, &["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 0 run records; 1 already there"), "{}", stdout(&a));
}

#[test]
fn gcs_token_is_a_secret_kept_out_of_mlx_toml() {
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "gcs", "gs://bucket/prefix"]).success();
    let a = p.mlx(&["remote", "modify", "gcs", "token", TOKEN]).code(2);
    let err = stderr(&a);
    assert!(err.contains("error: `token` is a secret, and mlx.toml is committed to git"), "{err}");
    assert!(err.contains("mlx remote modify gcs token VALUE --local"), "{err}");
    assert!(!p.read_string("mlx.toml").contains(TOKEN));

    let a = p.mlx(&["remote", "modify", "gcs", "token", TOKEN, "--local"]).success();
    assert!(!stderr(&a).contains(TOKEN) && !stdout(&a).contains(TOKEN));
    assert!(p.read_string(".mlx/config.local.toml").contains(TOKEN));
    for args in [&["remote", "list"][..], &["remote", "list", "--json"]] {
        let a = p.mlx(args).success();
        assert!(stdout(&a).contains("token") && !stdout(&a).contains(TOKEN), "{}", stdout(&a));
    }

    // Typed into mlx.toml by hand: every command stops at its position.
    p.write("mlx.toml", "[remotes.gcs]\nurl = \"gs://bucket/prefix\"\n  token = \"ya29.x\"\n");
    let a = p.mlx(&["status"]).code(2);
    let err = stderr(&a);
    assert!(
        err.contains(
            "error: mlx.toml:3:3: token belongs in .mlx/config.local.toml, which git ignores"
        ),
        "{err}"
    );
    assert!(!err.contains("ya29.x"), "{err}");
}

/// A listener on 127.0.0.1 that counts the connections made to it and closes each at once:
/// given as the metadata server of a Google Cloud VM (`GCE_METADATA_HOST`), it shows whether
/// mlx looked for credentials there.
struct MetadataTrap {
    addr: String,
    connections: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MetadataTrap {
    fn start() -> MetadataTrap {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (count, stop) = (connections.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(50)));
                        let _ = stream.read(&mut [0u8; 1024]);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        MetadataTrap { addr, connections, done, thread: Some(thread) }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for MetadataTrap {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `mlx ARGS` in `dir` where every other source of Google credentials would be found: a
/// metadata server and a `GOOGLE_APPLICATION_CREDENTIALS` file (which does not exist).
fn mlx_on_a_google_vm(
    p: &TestProject,
    dir: &Path,
    trap: &MetadataTrap,
    args: &[&str],
) -> assert_cmd::assert::Assert {
    p.mlx_cmd_in(dir)
        .env("GCE_METADATA_HOST", &trap.addr)
        .env("GOOGLE_APPLICATION_CREDENTIALS", p.temp_dir().join("no-such-key.json"))
        .args(args)
        .assert()
}

#[test]
fn gcs_token_is_the_only_credential_used() {
    let (p, server) = gcs_project();
    let trap = MetadataTrap::start();
    let a = mlx_on_a_google_vm(&p, p.root(), &trap, &["push"]).success();
    assert!(stdout(&a).starts_with("pushed 4 objects"), "{}", stdout(&a));
    // No credential was looked for: no request to the metadata server, no key file read.
    assert_eq!(trap.connections(), 0);
    assert!(!stderr(&a).contains("credential"), "{}", stderr(&a));
    assert_eq!(remote_objects(&server).len(), 4);

    // Without the token, mlx asks the metadata server, finds nothing, and says what to set.
    p.mlx(&["remote", "modify", "gcs", "token", "--unset", "--local"]).success();
    let a = p.mlx_cmd().env("GCE_METADATA_HOST", &trap.addr).args(["fetch"]).assert().code(3);
    let err = stderr(&a);
    assert!(trap.connections() > 0, "the metadata server was not asked: {err}");
    assert!(
        err.contains("remote 'gcs'") && err.contains("access denied: no credentials found"),
        "{err}"
    );
    assert!(err.contains("mlx remote modify gcs token VALUE --local"), "{err}");
}
