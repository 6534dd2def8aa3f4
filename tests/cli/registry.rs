//! Data registries: `mlx get`, `mlx add --from` and `mlx update` reading another mlx repository
//! (a local git repository, read as a folder or served by `git daemon`, whose data was pushed to
//! a folder remote or to an S3 server) from a consumer project and from outside any project: files, folders, files and folders inside a
//! tracked folder, stage outputs, plain git files, revisions, imports tracked with their origin,
//! fresh clones, updates, and the registry as untrusted input.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::child::{ChildServer, Launch};
use crate::support::servers::{S3_ACCESS_KEY, S3_SECRET_KEY, S3Server};
use crate::support::{TestProject, hash_hex, stderr, stdout};

/// A registry: `data/labels.csv`, the folder `data/images` (with `sub/`), a stage output
/// `features.txt` and a plain git file `README.md`, pushed to the folder remote `store` (its
/// default) and committed, tagged `v1`. Returns it and the store folder.
fn registry() -> (TestProject, PathBuf) {
    let r = TestProject::initialized();
    r.write("data/labels.csv", "id,label\n1,cat\n");
    r.write("data/images/a.png", "image a v1");
    r.write("data/images/sub/b.png", "image b v1");
    r.write("README.md", "the registry\n");
    r.write(
        "mlx.toml",
        "[stages.features]\ncmd = \"cat data/labels.csv | wc -l > features.txt\"\n\
         deps = [\"data/labels.csv\"]\nouts = [\"features.txt\"]\n",
    );
    r.mlx(&["add", "data/labels.csv", "data/images"]).success();
    r.mlx(&["run"]).success();
    let store = r.temp_dir().join("store");
    r.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    r.mlx(&["push"]).success();
    r.commit_all("data v1");
    r.git(&["tag", "v1"]);
    (r, store)
}

/// A new version in the registry: `a.png` changed, `c.png` added, pushed, committed, tagged `v2`.
fn registry_v2(r: &TestProject) {
    r.write("data/images/a.png", "image a v2");
    r.write("data/images/c.png", "image c v2");
    r.mlx(&["add", "data/images"]).success();
    r.mlx(&["push"]).success();
    r.commit_all("data v2");
    r.git(&["tag", "v2"]);
}

fn url(r: &TestProject) -> String {
    r.root().to_str().unwrap().to_owned()
}

fn json_in(p: &TestProject, dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = p.mlx_in(dir, args).success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("valid JSON")
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

#[test]
fn get_copies_files_folders_and_paths_inside_a_tracked_folder() {
    let (r, _) = registry();
    let p = TestProject::initialized();
    let repo = url(&r);
    let a = p.mlx(&["get", &repo, "data/labels.csv"]).success();
    assert!(stdout(&a).starts_with("file "), "{}", stdout(&a));
    assert_eq!(p.read_string("labels.csv"), "id,label\n1,cat\n");
    p.mlx(&["get", &repo, "data/images", "-o", "imgs"]).success();
    assert_eq!(p.read_string("imgs/a.png"), "image a v1");
    assert_eq!(p.read_string("imgs/sub/b.png"), "image b v1");
    // A file and a folder inside the tracked folder.
    p.mlx(&["get", &repo, "data/images/sub/b.png", "-o", "out/b.png"]).success();
    assert_eq!(p.read_string("out/b.png"), "image b v1");
    p.mlx(&["get", &repo, "data/images/sub", "-o", "only-sub"]).success();
    assert_eq!(p.read_string("only-sub/b.png"), "image b v1");
    assert!(!p.exists("only-sub/a.png"));
    // A stage output mlx.lock records, and a plain git file.
    p.mlx(&["get", &repo, "features.txt"]).success();
    assert_eq!(p.read_string("features.txt").trim(), "2");
    p.mlx(&["get", &repo, "README.md"]).success();
    assert_eq!(p.read_string("README.md"), "the registry\n");
    // The objects are in the project's cache: a second get downloads nothing.
    assert!(p.has_object(&hash_hex(b"image a v1")));
    let again = p.json(&["get", &repo, "data/images", "-o", "imgs2"]);
    assert_eq!(again["downloaded"], 0, "{again}");
    assert_eq!(again["files"], 2, "{again}");
    assert_eq!(again["commit"], r.rev_parse("HEAD"), "{again}");
    // Nothing is tracked: the copies are the user's files.
    assert!(!p.exists("labels.csv.mlx"));
}

#[test]
fn get_works_outside_any_project_and_leaves_no_mlx_folder() {
    let (r, _) = registry();
    let p = TestProject::new();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    p.mlx_cmd_in(&outside).args(["get", &url(&r), "data/images"]).assert().success();
    assert_eq!(read(outside.join("images/a.png")), "image a v1");
    // A folder of git files: data its pointers track comes along, the pointers do not.
    p.mlx_cmd_in(&outside).args(["get", &url(&r), "data", "-o", "all"]).assert().success();
    assert_eq!(read(outside.join("all/labels.csv")), "id,label\n1,cat\n");
    assert_eq!(read(outside.join("all/images/sub/b.png")), "image b v1");
    assert!(!outside.join("all/labels.csv.mlx").exists());
    assert!(!outside.join(".mlx").exists());
    // In a git repository that is not an mlx project, `.git` is out of bounds.
    let a = p.mlx(&["get", &url(&r), "data/labels.csv", "-o", ".git/x"]).code(2);
    assert!(stderr(&a).contains(".git"), "{}", stderr(&a));
    assert!(!p.exists(".mlx"));
}

#[test]
fn get_reads_the_revision_asked_for_tag_branch_or_commit() {
    let (r, _) = registry();
    let v1 = r.rev_parse("HEAD");
    r.git(&["branch", "stable"]);
    registry_v2(&r);
    let p = TestProject::initialized();
    let repo = url(&r);
    p.mlx(&["get", &repo, "data/images/a.png", "-o", "head.png"]).success();
    assert_eq!(p.read_string("head.png"), "image a v2");
    for (rev, name) in [
        ("v1", "tag.png"),
        ("stable", "branch.png"),
        (v1.as_str(), "commit.png"),
        (&v1[..10], "short.png"),
    ] {
        p.mlx(&["get", &repo, "data/images/a.png", "--rev", rev, "-o", name]).success();
        assert_eq!(p.read_string(name), "image a v1", "--rev {rev}");
    }
    let a = p.mlx(&["get", &repo, "data/images/a.png", "--rev", "no-such-rev"]).code(2);
    assert!(stderr(&a).contains("unknown revision \"no-such-rev\""), "{}", stderr(&a));
}

#[test]
fn get_does_not_replace_what_is_there_without_force() {
    let (r, _) = registry();
    let p = TestProject::initialized();
    p.write("labels.csv", "mine\n");
    let a = p.mlx(&["get", &url(&r), "data/labels.csv"]).code(2);
    assert!(stderr(&a).contains("already exists"), "{}", stderr(&a));
    assert_eq!(p.read_string("labels.csv"), "mine\n");
    p.mlx(&["get", &url(&r), "data/labels.csv", "--force"]).success();
    assert_eq!(p.read_string("labels.csv"), "id,label\n1,cat\n");
    // An existing folder as OUT receives the data inside it; `--force` never removes it.
    p.mkdir("inbox");
    p.write("inbox/keep.txt", "keep");
    p.mlx(&["get", &url(&r), "data/images", "-o", "inbox", "--force"]).success();
    assert_eq!(p.read_string("inbox/images/a.png"), "image a v1");
    assert_eq!(p.read_string("inbox/keep.txt"), "keep");
    p.mlx_in("inbox", &["get", &url(&r), "data/labels.csv", "-o", "."]).success();
    assert_eq!(p.read_string("inbox/labels.csv"), "id,label\n1,cat\n");
}

#[test]
fn add_from_tracks_the_data_with_its_origin_and_a_fresh_clone_pulls_it() {
    let (r, _) = registry();
    let p = TestProject::initialized();
    p.commit_all("init");
    let a = p
        .mlx(&["add", "--from", &url(&r), "data/images", "--rev", "v1", "-o", "data/train"])
        .success();
    assert!(stdout(&a).starts_with("imported  data/train  directory  2 files"), "{}", stdout(&a));
    assert_eq!(p.read_string("data/train/sub/b.png"), "image b v1");
    let pointer = p.pointer("data/train");
    let origin = pointer["origin"].as_table().expect("an origin table");
    assert_eq!(origin["repo"].as_str(), Some(url(&r).as_str()));
    assert_eq!(origin["path"].as_str(), Some("data/images"));
    assert_eq!(origin["rev"].as_str(), Some("v1"));
    assert_eq!(origin["commit"].as_str(), Some(r.rev_parse("v1").as_str()));
    assert!(p.read_string("data/.gitignore").contains("/train"));
    // Tracked like any data: status sees a change.
    p.mlx(&["status", "--check"]).success();
    p.write("data/train/a.png", "edited");
    p.mlx(&["status", "--check"]).code(1);
    p.write("data/train/a.png", "image a v1");
    p.commit_all("import");
    // A fresh clone with no remote of its own gets the data from the origin's remote.
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    let a = p.mlx_in(&clone, &["pull"]).success();
    assert!(stdout(&a).contains("of imported data"), "{}", stdout(&a));
    assert_eq!(read(clone.join("data/train/a.png")), "image a v1");
    p.mlx_in(&clone, &["status", "--check"]).success();
}

#[test]
fn imported_data_pushed_to_the_projects_remote_is_pulled_from_there_else_from_its_origin() {
    let (r, registry_store) = registry();
    let p = TestProject::initialized();
    let own = p.temp_dir().join("own-store");
    std::fs::create_dir_all(&own).unwrap();
    p.mlx(&["remote", "add", "own", own.to_str().unwrap(), "--default"]).success();
    p.mlx(&["add", "--from", &url(&r), "data/labels.csv"]).success();
    p.mlx(&["add", "--from", &url(&r), "data/images/sub", "-o", "sub"]).success();
    p.commit_all("imports");
    // Not pushed: the clone's pull finds them on the origin's remote.
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    let pulled = json_in(&p, &clone, &["pull", "--json"]);
    assert_eq!(pulled["fetch"]["from_origins"], 3, "{pulled}");
    assert_eq!(read(clone.join("sub/b.png")), "image b v1");
    // Pushed: the project's own remote serves them, even once the registry's store is gone.
    p.mlx(&["push"]).success();
    std::fs::remove_dir_all(&registry_store).unwrap();
    let clone2 = p.temp_dir().join("clone2");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone2.to_str().unwrap()]);
    let pulled = json_in(&p, &clone2, &["pull", "--json"]);
    assert_eq!(pulled["fetch"]["from_origins"], 0, "{pulled}");
    assert_eq!(read(clone2.join("labels.csv")), "id,label\n1,cat\n");
    assert_eq!(read(clone2.join("sub/b.png")), "image b v1");
}

#[test]
fn update_moves_an_import_to_the_newer_revision_and_is_a_noop_when_unchanged() {
    let (r, _) = registry();
    let p = TestProject::initialized();
    p.mlx(&["add", "--from", &url(&r), "data/images", "-o", "images"]).success();
    p.commit_all("import");
    let a = p.mlx(&["update", "images"]).success();
    assert!(stdout(&a).starts_with("up to date  images"), "{}", stdout(&a));
    assert!(p.git_status().is_empty(), "{}", p.git_status());
    registry_v2(&r);
    let report = p.json(&["update", "images"]);
    assert_eq!(report["paths"][0]["updated"], true, "{report}");
    assert_eq!(report["paths"][0]["data_changed"], true, "{report}");
    assert_eq!(p.read_string("images/a.png"), "image a v2");
    assert_eq!(p.read_string("images/c.png"), "image c v2");
    assert_eq!(
        p.pointer("images")["origin"]["commit"].as_str(),
        Some(r.rev_parse("HEAD").as_str())
    );
    p.mlx(&["status", "--check"]).success();
    // Pinned to a tag with --rev; a later update stays there.
    p.mlx(&["update", "images", "--rev", "v1"]).success();
    assert_eq!(p.read_string("images/a.png"), "image a v1");
    assert!(!p.exists("images/c.png"));
    assert_eq!(p.pointer("images")["origin"]["rev"].as_str(), Some("v1"));
    p.mlx(&["update", "images"]).success();
    assert_eq!(p.read_string("images/a.png"), "image a v1");
    // Local edits are not lost without --force.
    p.write("images/a.png", "my edit");
    let a = p.mlx(&["update", "images", "--rev", "v2"]).code(2);
    assert!(stderr(&a).contains("changed here since it was imported"), "{}", stderr(&a));
    assert_eq!(p.read_string("images/a.png"), "my edit");
    p.mlx(&["update", "images", "--rev", "v2", "--force"]).success();
    assert_eq!(p.read_string("images/a.png"), "image a v2");
    // Data added here is not an import.
    p.write("mine.txt", "x");
    p.mlx(&["add", "mine.txt"]).success();
    let a = p.mlx(&["update", "mine.txt"]).code(2);
    assert!(stderr(&a).contains("not imported"), "{}", stderr(&a));
}

#[test]
fn errors_name_what_is_wrong_with_the_path_the_revision_or_the_registry() {
    let (r, store) = registry();
    let p = TestProject::initialized();
    let repo = url(&r);
    let a = p.mlx(&["get", &repo, "data/nothing.csv"]).code(2);
    assert!(
        stderr(&a).contains("data/nothing.csv is neither tracked by mlx nor in git"),
        "{}",
        stderr(&a)
    );
    let a = p.mlx(&["get", &repo, "../etc/passwd"]).code(2);
    assert!(stderr(&a).contains(".."), "{}", stderr(&a));
    let a = p.mlx(&["get", &p.temp_dir().join("no-such-repo").to_string_lossy(), "x"]).code(2);
    assert!(stderr(&a).contains("neither a git repository URL nor a folder"), "{}", stderr(&a));
    // A plain git file is copied, but not imported.
    let a = p.mlx(&["add", "--from", &repo, "README.md"]).code(2);
    assert!(stderr(&a).contains("plain git file"), "{}", stderr(&a));
    // An object missing on the registry's remote: exit 3, nothing written.
    let id = hash_hex(b"id,label\n1,cat\n");
    std::fs::remove_file(store.join(&id[..2]).join(&id[2..])).unwrap();
    let a = p.mlx(&["get", &repo, "data/labels.csv"]).code(3);
    assert!(stderr(&a).contains("data/labels.csv from"), "{}", stderr(&a));
    assert!(!p.exists("labels.csv"));
    // A registry without a remote.
    let bare = TestProject::initialized();
    bare.write("x.txt", "x");
    bare.mlx(&["add", "x.txt"]).success();
    bare.commit_all("x");
    let a = p.mlx(&["get", &url(&bare), "x.txt"]).code(2);
    assert!(stderr(&a).contains("has no remote to download its data from"), "{}", stderr(&a));
    // A password in the URL is refused and never shown.
    let a = p.mlx(&["get", "https://user:hunter2@example.invalid/r.git", "x"]).code(2);
    assert!(!stderr(&a).contains("hunter2"), "{}", stderr(&a));
}

#[test]
fn a_hostile_registry_cannot_write_outside_the_destination_nor_lend_its_credentials() {
    let (r, store) = registry();
    // A listing naming `../escape`, stored on the registry's remote under its true hash.
    let manifest = br#"{"mlx_manifest":1,"entries":[{"path":"../escape","hash":"0000000000000000000000000000000000000000000000000000000000000000","size":1}]}"#;
    let id = hash_hex(manifest);
    std::fs::create_dir_all(store.join(&id[..2])).unwrap();
    std::fs::write(store.join(&id[..2]).join(&id[2..]), manifest).unwrap();
    r.write(
        "evil.mlx",
        format!("mlx = 1\nkind = \"directory\"\nhash = \"{id}\"\nsize = 1\nfiles = 1\n"),
    );
    r.commit_all("hostile");
    let p = TestProject::initialized();
    let a = p.mlx(&["get", &url(&r), "evil", "-o", "out/evil"]).code(2);
    assert!(stderr(&a).contains("manifest"), "{}", stderr(&a));
    assert!(!p.temp_dir().join("escape").exists());
    assert!(!p.path("out/escape").exists());
    // A pointer whose origin names a path with `..`.
    r.write(
        "bad-origin.mlx",
        format!(
            "mlx = 1\nkind = \"file\"\nhash = \"{}\"\nsize = 1\nfiles = 1\n\n[origin]\nrepo = \"x\"\npath = \"../../etc\"\ncommit = \"{}\"\n",
            hash_hex(b"x"),
            "a".repeat(40)
        ),
    );
    r.commit_all("hostile origin");
    let a = p.mlx(&["get", &url(&r), "data/labels.csv"]).code(2);
    assert!(stderr(&a).contains("bad-origin.mlx"), "{}", stderr(&a));

    // Credentials committed in the registry's mlx.toml are never used; the local user's are.
    let s3_root = p.temp_dir().join("s3");
    std::fs::create_dir_all(&s3_root).unwrap();
    let server = S3Server::start(&s3_root);
    server.create_bucket("registry");
    let r2 = TestProject::initialized();
    r2.write("blob.bin", "registry blob");
    r2.mlx(&["add", "blob.bin"]).success();
    r2.mlx(&["remote", "add", "s3", "s3://registry/data", "--default"]).success();
    r2.mlx(&["remote", "modify", "s3", "endpoint", &server.endpoint()]).success();
    r2.mlx_cmd()
        .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        .args(["push"])
        .assert()
        .success();
    let toml = r2.read_string("mlx.toml");
    r2.write(
        "mlx.toml",
        format!(
            "{toml}access_key_id = \"{S3_ACCESS_KEY}\"\nsecret_access_key = \"{S3_SECRET_KEY}\"\n"
        ),
    );
    r2.git(&["add", "-A"]);
    r2.git(&["commit", "-q", "-m", "secrets committed by mistake"]);
    let a = p.mlx_cmd().args(["get", &url(&r2), "blob.bin"]).assert().code(3);
    assert!(!stderr(&a).contains(S3_SECRET_KEY), "{}", stderr(&a));
    assert!(!p.exists("blob.bin"));
    p.mlx_cmd()
        .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        .args(["get", &url(&r2), "blob.bin"])
        .assert()
        .success();
    assert_eq!(p.read_string("blob.bin"), "registry blob");
    // A remote of a kind mlx refuses.
    let r3 = TestProject::initialized();
    r3.write("mlx.toml", "[core]\nremote = \"x\"\n\n[remotes.x]\nurl = \"ftp://host/data\"\n");
    r3.write(
        "f.mlx",
        format!("mlx = 1\nkind = \"file\"\nhash = \"{}\"\nsize = 1\nfiles = 1\n", hash_hex(b"f")),
    );
    r3.commit_all("ftp");
    let a = p.mlx(&["get", &url(&r3), "f"]).code(2);
    assert!(stderr(&a).contains("ftp"), "{}", stderr(&a));
}

/// `git daemon` serving the folder above `r`'s root on 127.0.0.1: `r` is `git://…/repo`.
fn git_daemon(r: &TestProject) -> (ChildServer, String) {
    let base = r.temp_dir().to_path_buf();
    let log = base.join("git-daemon.log");
    let launch = Launch {
        name: "git daemon",
        program: Path::new("git"),
        needs: "",
        log: &log,
        port: 0,
        port_taken: "Address already in use",
        // `git daemon` runs `git-daemon` as its child and stops it on SIGTERM, not on SIGKILL.
        grace: Duration::from_secs(5),
    };
    let daemon = ChildServer::launch(launch, |port| {
        let mut cmd = Command::new("git");
        cmd.args(["daemon", "--export-all", "--reuseaddr", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(&base);
        cmd
    });
    let url = format!("git://127.0.0.1:{}/repo", daemon.port());
    (daemon, url)
}

#[test]
fn a_registry_served_by_a_git_server_is_read_and_imported_like_a_folder() {
    let (r, _) = registry();
    let (_daemon, repo) = git_daemon(&r);
    let p = TestProject::initialized();
    p.mlx(&["get", &repo, "data/images/sub/b.png"]).success();
    assert_eq!(p.read_string("b.png"), "image b v1");
    let v1 = r.rev_parse("v1");
    registry_v2(&r);
    p.mlx(&["get", &repo, "data/images/a.png", "--rev", &v1, "-o", "old.png"]).success();
    assert_eq!(p.read_string("old.png"), "image a v1");
    p.mlx(&["add", "--from", &repo, "data/images", "--rev", "v1", "-o", "images"]).success();
    assert_eq!(p.pointer("images")["origin"]["repo"].as_str(), Some(repo.as_str()));
    p.commit_all("import");
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(read(clone.join("images/a.png")), "image a v1");
    p.mlx(&["update", "images", "--rev", "v2"]).success();
    assert_eq!(p.read_string("images/c.png"), "image c v2");
    // A folder remote given relative to the registry only works where the registry is a folder.
    r.write("mlx.toml", "[core]\nremote = \"store\"\n\n[remotes.store]\nurl = \"../store\"\n");
    r.commit_all("relative remote");
    let a = p.mlx(&["get", &repo, "data/labels.csv", "-o", "x.csv"]).code(2);
    assert!(stderr(&a).contains("not on this machine"), "{}", stderr(&a));
    p.mlx(&["get", &url(&r), "data/labels.csv", "-o", "x.csv"]).success();
}
