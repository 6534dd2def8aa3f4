//! `mlx doctor`: a checklist of git, config, cache (with link types really tried), database and
//! remotes; `--json`; exit 1 when a check fails; everything else still reported; secrets never
//! printed; `--no-remotes`; a bounded wait for remotes that do not answer.

use std::time::{Duration, Instant};

use assert_cmd::assert::Assert;
use serde_json::Value;

use crate::support::servers::{S3_ACCESS_KEY, S3_SECRET_KEY, S3Server};
use crate::support::{TestProject, stderr, stdout};

const BUCKET: &str = "doctor-bucket";

fn parse(a: &Assert) -> Value {
    let out = &a.get_output().stdout;
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!("doctor printed invalid JSON ({e}): {}", String::from_utf8_lossy(out))
    })
}

/// The check `section`/`name` of a `--json` report.
fn check<'a>(json: &'a Value, section: &str, name: &str) -> &'a Value {
    json["checks"]
        .as_array()
        .expect("checks is a list")
        .iter()
        .find(|c| c["section"] == section && c["name"] == name)
        .unwrap_or_else(|| panic!("no check {section}/{name} in {json:#}"))
}

fn sections(json: &Value) -> Vec<String> {
    let mut out: Vec<String> = json["checks"]
        .as_array()
        .expect("checks is a list")
        .iter()
        .map(|c| c["section"].as_str().expect("section").to_owned())
        .collect();
    out.dedup();
    out
}

fn failed(json: &Value) -> Vec<String> {
    json["checks"]
        .as_array()
        .expect("checks is a list")
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| format!("{}/{}", c["section"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect()
}

/// A committed project with one tracked file.
fn healthy() -> TestProject {
    let p = TestProject::initialized();
    p.write("data.csv", "a,b\n1,2\n");
    p.mlx(&["add", "data.csv"]).success();
    p.commit_all("data");
    p
}

/// `healthy()` plus an S3 remote `s3` (the default) on a fresh server with its bucket.
fn with_s3() -> (TestProject, S3Server) {
    let p = healthy();
    let server = S3Server::start(&p.temp_dir().join("s3"));
    server.create_bucket(BUCKET);
    p.mlx(&["remote", "add", "s3", &format!("s3://{BUCKET}/team"), "--default"]).success();
    p.mlx(&["remote", "modify", "s3", "endpoint", &server.endpoint()]).success();
    (p, server)
}

/// `mlx doctor ARGS` with the given S3 secret in the environment.
fn doctor_s3(p: &TestProject, secret: &str, args: &[&str]) -> Assert {
    p.mlx_cmd()
        .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .arg("doctor")
        .args(args)
        .assert()
}

#[test]
fn doctor_healthy_project_exits_0_and_reports_every_section() {
    let p = healthy();
    p.mlx(&["install-hooks"]).success();
    let a = p.mlx(&["doctor", "--json"]).success();
    let json = parse(&a);
    assert_eq!(json["ok"], true);
    assert!(failed(&json).is_empty(), "{json:#}");
    assert_eq!(
        sections(&json),
        ["mlx", "git", "project", "config", "cache", "database", "remotes"],
        "{json:#}"
    );
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["root"], p.root().display().to_string());
    assert_eq!(json["git"]["branch"], "main");
    assert_eq!(json["git"]["unborn"], false);
    assert_eq!(json["git"]["hooks_installed"].as_array().unwrap().len(), 4);
    assert_eq!(check(&json, "config", "mlx.toml")["status"], "ok");
    assert_eq!(json["config"]["stages"], 0);

    let cache = &json["cache"];
    assert_eq!(cache["dir"], p.cache_dir().display().to_string());
    assert_eq!(cache["shared"], false);
    assert_eq!(cache["objects"], 1);
    assert_eq!(cache["bytes"], 8);
    assert_eq!(cache["stray_temp"], 0);
    let probes: Vec<(&str, bool)> = cache["link_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["type"].as_str().unwrap(), l["works"].as_bool().unwrap()))
        .collect();
    let types: Vec<&str> = probes.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, ["reflink", "hardlink", "symlink", "copy"]);
    // Reflinks depend on the filesystem (not on ext4); the others work in any temp folder.
    assert!(probes.contains(&("hardlink", true)) && probes.contains(&("copy", true)), "{probes:?}");
    // The default list is reflink, then copy: copy where reflinks fail, which doubles the disk
    // used while hardlinks would work.
    let link_type = check(&json, "cache", "link type");
    if cache["picked"] == "copy" {
        assert_eq!(link_type["status"], "warn", "{link_type}");
        assert!(link_type["hint"].as_str().unwrap().contains("hardlink"), "{link_type}");
    } else {
        assert_eq!(cache["picked"], "reflink");
        assert_eq!(link_type["status"], "ok");
    }
    // The probe folder is gone.
    let tmp = std::fs::read_dir(p.cache_dir().join("tmp")).map_or(0, Iterator::count);
    assert_eq!(tmp, 0);

    let db = &json["database"];
    assert_eq!(db["integrity"], "ok");
    assert_eq!(db["schema_version"], db["known_schema_version"]);
    assert_eq!(db["journal_mode"], "wal");
    assert_eq!(db["runs"], 0);
    assert_eq!(check(&json, "remotes", "remotes")["status"], "ok");

    // The checklist: one line per check, a summary on stderr.
    let a = p.mlx(&["doctor"]).success();
    let out = stdout(&a);
    assert!(out.starts_with("ok    mlx       version"), "{out}");
    assert!(out.contains("\nok    database  integrity"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("ok    cache     hardlink") && l.ends_with("works")));
    assert!(stderr(&a).contains(" checks: "), "{}", stderr(&a));
}

#[test]
fn doctor_picks_the_configured_link_type_that_works() {
    let p = TestProject::with_link_type("hardlink");
    let json = parse(&p.mlx(&["doctor", "--json", "--no-remotes"]).success());
    assert_eq!(json["cache"]["configured_types"], serde_json::json!(["hardlink"]));
    assert_eq!(json["cache"]["picked"], "hardlink");
    assert_eq!(check(&json, "cache", "link type")["status"], "ok");
}

#[test]
fn doctor_reports_a_corrupt_database_and_everything_else() {
    let p = healthy();
    p.write(".mlx/mlx.db", "this is not a database, just garbage bytes\n".repeat(100));
    let a = p.mlx(&["doctor", "--json"]).code(1);
    let json = parse(&a);
    assert_eq!(json["ok"], false);
    assert_eq!(failed(&json), ["database/integrity"], "{json:#}");
    let integrity = check(&json, "database", "integrity");
    assert!(integrity["detail"].as_str().unwrap().contains("not an SQLite database"));
    assert!(integrity["hint"].as_str().unwrap().contains("mlx init"));
    // The other sections are still there.
    assert_eq!(json["cache"]["objects"], 1);
    assert_eq!(check(&json, "cache", "copy")["status"], "ok");
    assert_eq!(check(&json, "remotes", "remotes")["status"], "ok");

    let a = p.mlx(&["doctor"]).code(1);
    let out = stdout(&a);
    assert!(out.contains("FAIL  database  integrity"), "{out}");
    assert!(out.contains("hint: move .mlx/mlx.db"), "{out}");
    assert!(out.contains("ok    cache     objects"), "{out}");
}

#[test]
fn doctor_names_the_position_of_a_malformed_mlx_toml() {
    let p = healthy();
    p.write("mlx.toml", "[core]\nlock_timeout = 5\n[cache\ntype = \"copy\"\n");
    let a = p.mlx(&["doctor"]).code(1);
    let out = stdout(&a);
    let line = out.lines().find(|l| l.starts_with("FAIL  config    mlx.toml")).expect(&out);
    assert!(line.contains("mlx.toml:3:7:"), "{line}");
    assert!(out.contains("ok    database  integrity"), "{out}");
    assert!(!stderr(&a).contains("error:"), "{}", stderr(&a));
    let json = parse(&p.mlx(&["doctor", "--json"]).code(1));
    assert_eq!(failed(&json), ["config/mlx.toml"], "{json:#}");
    assert_eq!(json["config"]["files"][0]["ok"], false);
    assert!(json["config"]["files"][0]["error"].as_str().unwrap().starts_with("mlx.toml:3:7:"));
    assert_eq!(json["cache"]["objects"], 1);

    // A broken stage is reported on its own.
    p.write("mlx.toml", "[stages.train]\ncmd = \"python train.py\"\ndeps = 3\n");
    let json = parse(&p.mlx(&["doctor", "--json"]).code(1));
    assert_eq!(failed(&json), ["config/stages"], "{json:#}");
    assert!(
        check(&json, "config", "stages")["detail"].as_str().unwrap().starts_with("mlx.toml:3:")
    );
    p.write("mlx.toml", "[stages.train]\ncmd = \"python train.py\"\n");
    let json = parse(&p.mlx(&["doctor", "--json", "--no-remotes"]).success());
    assert_eq!(json["config"]["stages"], 1);
}

#[test]
fn doctor_checks_each_remote_a_missing_folder_fails_a_working_s3_is_ok() {
    let (p, _server) = with_s3();
    let missing = p.outside().join("no-such-store");
    p.mlx(&["remote", "add", "backup", missing.to_str().unwrap()]).success();
    let a = doctor_s3(&p, S3_SECRET_KEY, &["--json"]).code(1);
    let json = parse(&a);
    assert_eq!(failed(&json), ["remotes/backup"], "{json:#}");
    let backup = check(&json, "remotes", "backup");
    assert!(backup["detail"].as_str().unwrap().contains("does not exist"), "{backup}");
    assert!(backup["hint"].is_string());
    let s3 = check(&json, "remotes", "s3");
    assert_eq!(s3["status"], "ok", "{s3}");
    let remotes = json["remotes"].as_array().unwrap();
    assert_eq!(remotes.len(), 2);
    assert_eq!(remotes[0]["name"], "backup");
    assert_eq!(remotes[0]["reachable"], false);
    assert_eq!(remotes[0]["default"], false);
    assert_eq!(remotes[0]["credentials"], "none needed");
    assert_eq!(remotes[1]["name"], "s3");
    assert_eq!(remotes[1]["reachable"], true);
    assert_eq!(remotes[1]["default"], true);
    assert_eq!(remotes[1]["kind"], "s3");
    assert_eq!(remotes[1]["url"], format!("s3://{BUCKET}/team"));
    assert_eq!(remotes[1]["credentials"], "environment (AWS_ACCESS_KEY_ID)");

    // --no-remotes: nothing contacted, nothing failed.
    let json = parse(&p.mlx(&["doctor", "--json", "--no-remotes"]).success());
    assert!(failed(&json).is_empty(), "{json:#}");
    assert!(json["remotes"].as_array().unwrap().iter().all(|r| r["reachable"].is_null()));
    assert!(check(&json, "remotes", "backup")["detail"].as_str().unwrap().contains("not checked"));
    let out = stdout(&p.mlx(&["doctor", "--no-remotes"]).success());
    assert!(out.contains("ok    remotes   s3"), "{out}");
}

#[test]
fn doctor_wrong_s3_secret_is_access_denied_and_never_printed() {
    let (p, _server) = with_s3();
    const WRONG: &str = "wrong-secret-5f2a9c";
    for args in [&["--json"][..], &[][..], &["-v"][..]] {
        let a = doctor_s3(&p, WRONG, args).code(1);
        let (out, err) = (stdout(&a), stderr(&a));
        assert!(out.contains("access denied"), "{out}");
        assert!(!out.contains(WRONG) && !err.contains(WRONG), "{out}{err}");
    }
    let json = parse(&doctor_s3(&p, WRONG, &["--json"]).code(1));
    assert_eq!(failed(&json), ["remotes/s3"], "{json:#}");
    assert!(check(&json, "remotes", "s3")["hint"].as_str().unwrap().contains("credentials"));

    // The same secret in the local settings: named as the source, never shown.
    p.mlx(&["remote", "modify", "s3", "access_key_id", S3_ACCESS_KEY, "--local"]).success();
    p.mlx(&["remote", "modify", "s3", "secret_access_key", WRONG, "--local"]).success();
    let a = p.mlx(&["doctor", "--json"]).code(1);
    let (out, err) = (stdout(&a), stderr(&a));
    assert!(!out.contains(WRONG) && !err.contains(WRONG), "{out}{err}");
    assert_eq!(parse(&a)["remotes"][0]["credentials"], "config.local.toml");
    p.mlx(&["remote", "modify", "s3", "secret_access_key", S3_SECRET_KEY, "--local"]).success();
    let json = parse(&p.mlx(&["doctor", "--json"]).success());
    assert_eq!(json["remotes"][0]["reachable"], true);
    assert!(!json.to_string().contains(S3_SECRET_KEY));
}

#[test]
fn doctor_gives_up_on_a_remote_that_does_not_answer() {
    let p = healthy();
    // Accepts connections (the kernel does) but never answers a request.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    p.mlx(&["remote", "add", "slow", "s3://bucket/x"]).success();
    p.mlx(&["remote", "modify", "slow", "endpoint", &endpoint]).success();
    let started = Instant::now();
    let a = doctor_s3(&p, S3_SECRET_KEY, &["--timeout", "1"]).code(1);
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let out = stdout(&a);
    let line = out.lines().find(|l| l.starts_with("FAIL  remotes   slow")).expect(&out);
    assert!(line.ends_with("timed out after 1 s"), "{line}");
    drop(silent);
}

#[test]
fn doctor_outside_a_project_reports_what_it_can_and_exits_1() {
    let p = TestProject::new();
    // A git repository without `mlx init`.
    let a = p.mlx(&["doctor"]).code(1);
    let out = stdout(&a);
    assert!(out.starts_with("ok    mlx"), "{out}");
    assert!(out.contains("ok    git       repository"), "{out}");
    assert!(out.contains("FAIL  project   mlx folder"), "{out}");
    assert!(out.contains("hint: start one with: mlx init"), "{out}");

    // No git repository at all.
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    let a = p.mlx_cmd_in(&outside).args(["doctor", "--json"]).assert().code(1);
    let json = parse(&a);
    assert_eq!(json["ok"], false);
    assert!(json["root"].is_null());
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(failed(&json), ["git/repository"]);
    let repo = check(&json, "git", "repository");
    assert!(repo["hint"].as_str().unwrap().contains("git init"), "{repo}");
    let a = p.mlx_cmd_in(&outside).arg("doctor").assert().code(1);
    assert!(stdout(&a).contains("hint: mlx works inside a git repository"), "{}", stdout(&a));
}
