//! `mlx remote add|list|remove|modify|default`: the tables they write in mlx.toml and
//! .mlx/config.local.toml, secrets kept out of the committed file, redacted URLs, and every
//! mistake they refuse (exit 2, nothing written).

use std::os::unix::fs::PermissionsExt;

use predicates::prelude::*;

use crate::support::{TestProject, stderr, stdout};

const LOCAL: &str = ".mlx/config.local.toml";

#[test]
fn add_list_and_default() {
    let p = TestProject::initialized();
    let a = p.mlx(&["remote", "add", "storage", "s3://my-bucket/mlx/", "--default"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    --- stderr
    added remote 'storage' (s3://my-bucket/mlx/), the default
    ");
    p.mlx(&["remote", "add", "nas", "/mnt/shared/mlx"]).success();
    p.mlx(&["remote", "modify", "storage", "region", "eu-west-1"]).success();
    p.mlx(&["remote", "modify", "storage", "jobs", "32"]).success();
    let a = p.mlx(&["remote", "list"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    NAME               URL                  DEFINED IN  OPTIONS
    nas                /mnt/shared/mlx      project
    storage (default)  s3://my-bucket/mlx/  project     jobs=32 region=eu-west-1
    --- stderr
    ");
    let json = p.json(&["remote", "list"]);
    assert_eq!(json["default"], "storage");
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(
        json["remotes"][1],
        serde_json::json!({
            "name": "storage",
            "url": "s3://my-bucket/mlx/",
            "kind": "s3",
            "default": true,
            "defined_in": "project",
            "options": { "jobs": 32, "region": "eu-west-1" },
        })
    );
    assert_eq!(json["remotes"][0]["kind"], "local");
    // Plain tables in mlx.toml, readable by anyone.
    let config: toml::Table = p.read_string("mlx.toml").parse().unwrap();
    assert_eq!(config["core"]["remote"].as_str(), Some("storage"));
    assert_eq!(config["remotes"]["storage"]["url"].as_str(), Some("s3://my-bucket/mlx/"));
    assert_eq!(config["remotes"]["storage"]["jobs"].as_integer(), Some(32));
    assert_eq!(config["remotes"]["nas"]["url"].as_str(), Some("/mnt/shared/mlx"));
    assert_eq!(stdout(&p.mlx(&["remote", "default"]).success()), "storage\n");
    let json = p.json(&["remote", "default"]);
    assert_eq!(
        json,
        serde_json::json!({"default": "storage", "file": "mlx.toml", "resolved": "storage"})
    );
}

#[test]
fn no_remotes_lists_nothing_and_says_how_to_add_one() {
    let p = TestProject::initialized();
    let a = p.mlx(&["remote", "list"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    --- stderr
    no remotes
    hint: add one: mlx remote add NAME URL --default
    ");
    assert_eq!(p.json(&["remote", "list"])["remotes"], serde_json::json!([]));
}

#[test]
fn local_secrets_land_only_in_the_ignored_local_file() {
    let p = TestProject::initialized();
    p.commit_all("init");
    p.mlx(&["remote", "add", "storage", "s3://bucket/data", "--default"]).success();
    p.mlx(&["remote", "modify", "storage", "endpoint", "http://127.0.0.1:9000"]).success();
    p.mlx(&["remote", "modify", "storage", "path_style", "true"]).success();
    p.mlx(&["remote", "modify", "storage", "access_key_id", "AKIAEXAMPLE", "--local"]).success();
    let a = p
        .mlx_cmd()
        .args(["remote", "modify", "storage", "secret_access_key", "-", "--local"])
        .write_stdin("wJalrXUtnFEMI\n")
        .assert()
        .success();
    assert!(!stderr(&a).contains("wJalrXUtnFEMI"));
    assert!(stderr(&a).contains("secret_access_key = *** (in .mlx/config.local.toml)"));
    p.mlx(&["remote", "add", "dav", "webdavs://bob:hunter2@dav.example.com/mlx", "--local"])
        .success()
        .stderr(predicate::str::contains("webdavs://bob:***@dav.example.com/mlx"))
        .stderr(predicate::str::contains("hunter2").not());

    let shared = p.read_string("mlx.toml");
    for secret in ["AKIAEXAMPLE", "wJalrXUtnFEMI", "hunter2", "access_key", "dav"] {
        assert!(!shared.contains(secret), "{secret} in mlx.toml:\n{shared}");
    }
    let local: toml::Table = p.read_string(LOCAL).parse().unwrap();
    assert_eq!(local["remotes"]["storage"]["access_key_id"].as_str(), Some("AKIAEXAMPLE"));
    assert_eq!(local["remotes"]["storage"]["secret_access_key"].as_str(), Some("wJalrXUtnFEMI"));
    assert!(local["remotes"]["storage"].get("url").is_none());
    let mode = std::fs::metadata(p.path(LOCAL)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "credentials file readable by others");

    // Listing shows that secrets are set, never what they are.
    let a = p.mlx(&["remote", "list"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    NAME               URL                                    DEFINED IN  OPTIONS
    dav                webdavs://bob:***@dav.example.com/mlx  local
    storage (default)  s3://bucket/data                       both        access_key_id=*** endpoint=http://127.0.0.1:9000 path_style=true secret_access_key=***
    --- stderr
    ");
    let json = stdout(&p.mlx(&["remote", "list", "--json"]).success());
    for secret in ["AKIAEXAMPLE", "wJalrXUtnFEMI", "hunter2"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(json.contains("\"secret_access_key\": \"***\""), "{json}");

    // git sees mlx.toml change and never the local file.
    let status = p.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(status, " M mlx.toml\n");
    let ignored = p.git(&["status", "--porcelain", "--ignored", "--untracked-files=all"]);
    assert!(ignored.contains("!! .mlx/config.local.toml"), "{ignored}");
    p.git(&["check-ignore", "-q", LOCAL]);
}

#[test]
fn secrets_and_passwords_are_refused_for_mlx_toml() {
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "storage", "s3://bucket"]).success();
    let before = p.read_string("mlx.toml");
    let a = p.mlx(&["remote", "modify", "storage", "secret_access_key", "xyz"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: `secret_access_key` is a secret, and mlx.toml is committed to git
    hint: store it in .mlx/config.local.toml, which git ignores: mlx remote modify storage secret_access_key VALUE --local (or use the environment)
    ");
    let a = p.mlx(&["remote", "add", "dav", "webdav://bob:hunter2@host/x"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: the URL webdav://bob:***@host/x holds a password, and mlx.toml is committed to git
    hint: keep it out of git: add the remote with --local, or give the URL without the password and store it with `mlx remote modify NAME password VALUE --local`
    ");
    p.mlx(&["remote", "modify", "storage", "url", "https://u:hunter2@h/x"])
        .code(2)
        .stderr(predicate::str::contains("https://u:***@h/x holds a password"))
        .stderr(predicate::str::contains("hunter2").not());
    p.mlx(&["remote", "modify", "storage", "password", "p"]).code(2);
    assert_eq!(p.read_string("mlx.toml"), before);
    assert!(!p.read_string(LOCAL).contains("remotes"));
}

#[test]
fn a_hand_written_secret_in_mlx_toml_names_its_position() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        "[core]\nremote = \"storage\"\n\n[remotes.storage]\nurl = \"s3://b\"\n  secret_access_key = \"x\"\n",
    );
    for args in [&["remote", "list"][..], &["status"], &["remote", "default"]] {
        let a = p.mlx(args).code(2);
        insta::allow_duplicates! {
            insta::assert_snapshot!(p.transcript(&a), @r"
            exit: 2
            --- stdout
            --- stderr
            error: mlx.toml:6:3: secret_access_key belongs in .mlx/config.local.toml, which git ignores
            hint: move the line under [remotes.storage] in .mlx/config.local.toml, or use the environment; if it was ever committed, rotate the credential
            ");
        }
    }
    // The same key in the local file is where it belongs.
    p.write("mlx.toml", "[remotes.storage]\nurl = \"s3://b\"\n");
    p.write(LOCAL, "[remotes.storage]\nsecret_access_key = \"x\"\n");
    p.mlx(&["remote", "list"]).success().stdout(predicate::str::contains("secret_access_key=***"));
}

#[test]
fn edits_keep_the_comments_and_layout_of_mlx_toml() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        "# Team settings.\n\n[core]\n# Wait up to two minutes.\nlock_timeout = 120 # seconds\n\n\
         # The team bucket.\n[remotes.storage]\nurl = \"s3://bucket/old\" # moved in 2025\n\n\
         # Stages below.\n[stages.train]\ncmd = \"python train.py\"\n",
    );
    p.mlx(&["remote", "modify", "storage", "url", "s3://bucket/new"]).success();
    p.mlx(&["remote", "add", "nas", "/mnt/nas"]).success();
    p.mlx(&["remote", "default", "storage"]).success();
    p.mlx(&["remote", "modify", "nas", "jobs", "4"]).success();
    insta::assert_snapshot!(p.read_string("mlx.toml"), @r#"
    # Team settings.

    [core]
    # Wait up to two minutes.
    lock_timeout = 120 # seconds
    remote = "storage"

    # The team bucket.
    [remotes.storage]
    url = "s3://bucket/new" # moved in 2025

    [remotes.nas]
    url = "/mnt/nas"
    jobs = 4

    # Stages below.
    [stages.train]
    cmd = "python train.py"
    "#);
    p.mlx(&["remote", "remove", "nas"]).success();
    p.mlx(&["remote", "modify", "storage", "url", "s3://bucket/old"]).success();
    p.mlx(&["remote", "default", "--unset"]).success();
    assert_eq!(
        p.read_string("mlx.toml"),
        "# Team settings.\n\n[core]\n# Wait up to two minutes.\nlock_timeout = 120 # seconds\n\n\
         # The team bucket.\n[remotes.storage]\nurl = \"s3://bucket/old\" # moved in 2025\n\n\
         # Stages below.\n[stages.train]\ncmd = \"python train.py\"\n",
    );
}

#[test]
fn bad_urls_and_names_are_refused() {
    let p = TestProject::initialized();
    let before = p.read_string("mlx.toml");
    let a = p.mlx(&["remote", "add", "x", "ftp://bob:hunter2@host/x"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: unsupported URL scheme `ftp` in ftp://bob:***@host/x: did you mean sftp://bob:***@host/x? Or use a directory path or a URL starting with file://, s3://, gs://, azure://, webdav://, webdavs://, http://, https://, ssh:// or sftp://
    ");
    p.mlx(&["remote", "add", "x", "s3://"])
        .code(2)
        .stderr(predicate::str::contains("missing bucket in s3://: expected s3://BUCKET[/PREFIX]"));
    p.mlx(&["remote", "add", "x", "s3://AKIA:topsecret@bucket/p", "--local"])
        .code(2)
        .stderr(predicate::str::contains("s3://AKIA:***@bucket/p"))
        .stderr(predicate::str::contains("credentials do not belong in the URL"))
        .stderr(predicate::str::contains("topsecret").not());
    p.mlx(&["remote", "add", "a/b", "/x"])
        .code(2)
        .stderr(predicate::str::contains("invalid remote name `a/b`"));
    p.mlx(&["remote", "add", "x", "s3:bucket"])
        .code(2)
        .stderr(predicate::str::contains("did you mean s3://bucket?"));
    p.mlx(&["remote", "add", "x", "s3:"])
        .code(2)
        .stderr(predicate::str::contains("expected `s3://` after the scheme"));
    assert_eq!(p.read_string("mlx.toml"), before);
}

#[test]
fn a_url_missing_its_colon_is_refused_with_the_url_meant_not_made_a_folder() {
    let p = TestProject::initialized();
    let before = p.read_string("mlx.toml");
    let a = p.mlx(&["remote", "add", "storage", "s3//bucket/x", "--default"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: invalid remote URL s3//bucket/x: did you mean s3://bucket/x?
    ");
    for (typed, meant) in [
        ("s3:/bucket/x", "s3://bucket/x"),
        ("gs//bucket", "gs://bucket"),
        ("azure:container/p", "azure://container/p"),
        ("webdav//host/dav", "webdav://host/dav"),
        ("webdavs:/host/dav", "webdavs://host/dav"),
        ("http//host/x", "http://host/x"),
        ("https:host/x", "https://host/x"),
        ("file//srv/mlx", "file:///srv/mlx"),
    ] {
        let a = p.mlx(&["remote", "add", "storage", typed]).code(2);
        assert!(stderr(&a).contains(&format!("did you mean {meant}?")), "{typed}: {}", stderr(&a));
        // The same through modify.
        let a = p.mlx(&["remote", "modify", "storage", "url", typed]).code(2);
        assert!(stderr(&a).contains(&format!("did you mean {meant}?")), "{typed}: {}", stderr(&a));
    }
    assert_eq!(p.read_string("mlx.toml"), before);
    // Nothing was created, and a push has no remote to create it in.
    assert!(!p.exists("s3") && !p.exists("gs") && !p.exists("http"));
    // Genuine folders outside the project stay accepted, relative or absolute.
    p.mlx(&["remote", "add", "shared", "../shared-cache"]).success();
    p.mlx(&["remote", "add", "nas", "/mnt/x"]).success();
}

#[test]
fn a_folder_remote_inside_the_work_tree_is_refused() {
    let p = TestProject::initialized();
    let before = p.read_string("mlx.toml");
    p.mkdir("src");
    let inside = p.path("store").to_str().unwrap().to_owned();
    let cases: [(&str, &[&str]); 6] = [
        (".", &["remote", "add", "x", "store"]),
        (".", &["remote", "add", "x", "./cache/../store"]),
        (".", &["remote", "add", "x", "."]),
        (".", &["remote", "add", "x", &inside]),
        ("src", &["remote", "add", "x", "../store"]),
        (".", &["remote", "add", "x", "sub/../../repo/store"]),
    ];
    for (dir, args) in cases {
        let a = p.mlx_in(p.path(dir), args).code(2);
        let err = stderr(&a);
        assert!(err.contains("is inside the project's work tree"), "{args:?}: {err}");
        assert!(err.contains("hint: use a folder outside the project"), "{args:?}: {err}");
    }
    assert_eq!(p.read_string("mlx.toml"), before);
    // modify refuses it too, and the remote keeps its url.
    p.mlx(&["remote", "add", "x", "../outside"]).success();
    p.mlx(&["remote", "modify", "x", "url", "data/store"]).code(2);
    assert!(p.read_string("mlx.toml").contains("url = \"../outside\""));
    // One written by hand (or cloned) is a doctor warning.
    std::fs::write(p.path("mlx.toml"), "[remotes.local]\nurl = \"store\"\n").unwrap();
    let json = p.json(&["doctor", "--no-remotes"]);
    let warned = json["checks"].as_array().unwrap().iter().any(|c| {
        c["name"] == "local"
            && c["status"] == "warn"
            && c["detail"].as_str().unwrap().contains("inside the project's work tree")
    });
    assert!(warned, "{json:#}");
}

#[test]
fn adding_an_existing_name_needs_force() {
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "storage", "s3://one"]).success();
    p.mlx(&["remote", "modify", "storage", "region", "eu"]).success();
    let a = p.mlx(&["remote", "add", "storage", "s3://two"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: remote `storage` already exists (in mlx.toml)
    hint: replace it with --force, or change one setting: mlx remote modify storage KEY VALUE
    ");
    // A name taken in the local file counts too.
    p.mlx(&["remote", "add", "mine", "/tmp/x", "--local"]).success();
    p.mlx(&["remote", "add", "mine", "/tmp/y"])
        .code(2)
        .stderr(predicate::str::contains("already exists (in .mlx/config.local.toml)"));
    let a = p.mlx(&["remote", "add", "storage", "s3://two", "--force"]).success();
    assert_eq!(stderr(&a), "replaced remote 'storage' (s3://two)\n");
    let config: toml::Table = p.read_string("mlx.toml").parse().unwrap();
    let storage = config["remotes"]["storage"].as_table().unwrap();
    assert_eq!(storage.keys().collect::<Vec<_>>(), ["url"]);
    assert_eq!(storage["url"].as_str(), Some("s3://two"));
}

#[test]
fn unknown_remotes_are_named_with_a_suggestion() {
    let p = TestProject::initialized();
    let a = p.mlx(&["remote", "remove", "storage"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: unknown remote `storage`: no remotes are configured
    hint: add it: mlx remote add storage URL
    ");
    p.mlx(&["remote", "add", "storage", "s3://b"]).success();
    p.mlx(&["remote", "add", "backup", "/mnt/backup"]).success();
    let a = p.mlx(&["remote", "modify", "stroage", "region", "eu"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: unknown remote `stroage`; did you mean `storage`? (remotes: backup, storage)
    ");
    p.mlx(&["remote", "remove", "nope"])
        .code(2)
        .stderr(predicate::str::contains("unknown remote `nope` (remotes: backup, storage)"));
    p.mlx(&["remote", "default", "stroage"])
        .code(2)
        .stderr(predicate::str::contains("did you mean `storage`?"));
    p.mlx(&["remote", "modify", "nope", "region", "eu", "--local"]).code(2);
    assert!(!p.read_string(LOCAL).contains("nope"));
}

#[test]
fn local_keys_extend_a_project_remote_and_local_only_remotes_need_local() {
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "storage", "s3://b"]).success();
    p.mlx(&["remote", "modify", "storage", "profile", "ml-team", "--local"]).success();
    p.mlx(&["remote", "add", "scratch", "/tmp/scratch", "--local"]).success();
    let a = p.mlx(&["remote", "modify", "scratch", "jobs", "2"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: remote `scratch` is defined only in .mlx/config.local.toml: modify it with --local
    ");
    p.mlx(&["remote", "default", "scratch"])
        .code(2)
        .stderr(predicate::str::contains("make it the default with --local"));
    p.mlx(&["remote", "default", "scratch", "--local"]).success();
    let json = p.json(&["remote", "list"]);
    assert_eq!(json["default"], "scratch");
    assert_eq!(json["remotes"][0]["name"], "scratch");
    assert_eq!(json["remotes"][0]["defined_in"], "local");
    assert_eq!(json["remotes"][1]["defined_in"], "both");
    assert_eq!(json["remotes"][1]["options"]["profile"], "ml-team");
    // Unsetting the last local key drops the local table.
    p.mlx(&["remote", "modify", "storage", "profile", "--unset", "--local"]).success();
    assert!(!p.read_string(LOCAL).contains("remotes.storage"), "{}", p.read_string(LOCAL));
    assert_eq!(p.json(&["remote", "list"])["remotes"][1]["defined_in"], "project");
}

#[test]
fn modify_checks_keys_and_types() {
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "storage", "s3://b"]).success();
    let a = p.mlx(&["remote", "modify", "storage", "regoin", "eu"]).code(2);
    let err = stderr(&a);
    assert!(err.contains("invalid value 'regoin' for '<KEY>'"), "{err}");
    assert!(err.contains("url, endpoint, region, profile, path_style"), "{err}");
    p.mlx(&["remote", "modify", "storage", "path_style", "yes"])
        .code(2)
        .stderr(predicate::str::contains("invalid value for `path_style`: expected true or false"));
    p.mlx(&["remote", "modify", "storage", "jobs", "0"]).code(2).stderr(predicate::str::contains(
        "invalid value for `jobs`: expected a positive whole number",
    ));
    p.mlx(&["remote", "modify", "storage", "endpoint", "localhost:9000"])
        .code(2)
        .stderr(predicate::str::contains("expected http://HOST[:PORT]"));
    p.mlx(&["remote", "modify", "storage", "url", "gopher://x"])
        .code(2)
        .stderr(predicate::str::contains("unsupported URL scheme `gopher`"));
    p.mlx(&["remote", "modify", "storage", "url", "--unset"])
        .code(2)
        .stderr(predicate::str::contains("remote `storage` needs a url in mlx.toml"));
    p.mlx(&["remote", "modify", "storage"]).code(2);
    p.mlx(&["remote", "modify", "storage", "jobs", "8"]).success();
    p.mlx(&["remote", "modify", "storage", "path_style", "false"]).success();
    let config: toml::Table = p.read_string("mlx.toml").parse().unwrap();
    assert_eq!(config["remotes"]["storage"]["jobs"].as_integer(), Some(8));
    assert_eq!(config["remotes"]["storage"]["path_style"].as_bool(), Some(false));
    let a = p.mlx(&["remote", "modify", "storage", "jobs", "--unset"]).success();
    assert_eq!(stderr(&a), "remote 'storage': jobs unset (in mlx.toml)\n");
    let a = p.mlx(&["remote", "modify", "storage", "jobs", "--unset"]).success();
    assert_eq!(stderr(&a), "remote 'storage': jobs was not set in mlx.toml\n");
    assert!(!p.read_string("mlx.toml").contains("jobs"));
}

#[test]
fn remove_deletes_both_tables_and_clears_the_default() {
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "storage", "s3://b", "--default"]).success();
    p.mlx(&["remote", "modify", "storage", "secret_access_key", "s", "--local"]).success();
    p.mlx(&["remote", "add", "other", "/x"]).success();
    // --local drops only this clone's settings.
    let a = p.mlx(&["remote", "remove", "storage", "--local"]).success();
    assert_eq!(stderr(&a), "removed remote 'storage' from .mlx/config.local.toml\n");
    assert!(p.read_string("mlx.toml").contains("[remotes.storage]"));
    p.mlx(&["remote", "modify", "storage", "secret_access_key", "s", "--local"]).success();
    let a = p.mlx(&["remote", "remove", "storage"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    --- stderr
    removed remote 'storage' from mlx.toml and .mlx/config.local.toml
    'storage' is no longer the default remote ([core] remote cleared in mlx.toml)
    ");
    let shared: toml::Table = p.read_string("mlx.toml").parse().unwrap();
    assert!(shared["core"].get("remote").is_none());
    assert!(shared["remotes"].get("storage").is_none());
    assert!(!p.read_string(LOCAL).contains("storage"));
    let json = p.json(&["remote", "default"]);
    assert_eq!(json, serde_json::json!({"default": null, "file": null, "resolved": "other"}));
    let a = p.mlx(&["remote", "default"]).success();
    assert_eq!(stdout(&a), "");
    assert_eq!(stderr(&a), "no default remote; commands use the only one, 'other'\n");
}

#[test]
fn default_is_shown_set_and_unset() {
    let p = TestProject::initialized();
    let a = p.mlx(&["remote", "default"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    --- stderr
    no default remote
    hint: choose one: mlx remote default NAME
    ");
    p.mlx(&["remote", "add", "a", "/a"]).success();
    p.mlx(&["remote", "add", "b", "/b"]).success();
    let a = p.mlx(&["remote", "default", "b"]).success();
    assert_eq!(stderr(&a), "'b' is now the default remote (in mlx.toml)\n");
    assert_eq!(stdout(&p.mlx(&["remote", "default"]).success()), "b\n");
    // The local file wins over mlx.toml, and setting mlx.toml's then warns.
    p.mlx(&["remote", "default", "a", "--local"]).success();
    assert_eq!(stdout(&p.mlx(&["remote", "default"]).success()), "a\n");
    assert_eq!(p.json(&["remote", "default"])["file"], ".mlx/config.local.toml");
    p.mlx(&["remote", "default", "b"]).success().stderr(predicate::str::contains(
        "warning: [core] remote = \"a\" in .mlx/config.local.toml still overrides the default",
    ));
    p.mlx(&["remote", "default", "--unset", "--local"]).success();
    assert_eq!(stdout(&p.mlx(&["remote", "default"]).success()), "b\n");
    p.mlx(&["remote", "default", "--local"])
        .code(2)
        .stderr(predicate::str::contains("--local goes with a NAME to set, or --unset"));
    p.mlx(&["remote", "default", "a", "--unset"]).code(2);
    p.mlx(&["remote", "default", "--unset"]).success();
    assert!(!p.read_string("mlx.toml").contains("remote ="));
}

#[test]
fn a_default_naming_a_missing_remote_is_reported_by_list_not_at_load() {
    let p = TestProject::initialized();
    p.write("mlx.toml", "[core]\nremote = \"storag\"\n\n[remotes.storage]\nurl = \"s3://b\"\n");
    p.mlx(&["status"]).success();
    let a = p.mlx(&["remote", "list"]).success();
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 0
    --- stdout
    NAME     URL     DEFINED IN  OPTIONS
    storage  s3://b  project
    --- stderr
    warning: the default remote `storag` ([core] remote) does not exist; did you mean `storage`? (remotes: storage)
    ");
}

#[test]
fn a_relative_folder_typed_in_a_subfolder_is_stored_from_the_root() {
    let p = TestProject::initialized();
    p.mkdir("src/train");
    let a = p.mlx_in("src/train", &["remote", "add", "up", "../../../shared"]).success();
    assert_eq!(stderr(&a), "added remote 'up' (../shared)\n");
    p.mlx_in("src", &["remote", "add", "beside", "../../cache"]).success();
    p.mlx_in("src", &["remote", "modify", "up", "url", "../../other"]).success();
    p.mlx_in("src", &["remote", "add", "abs", "/srv/mlx"]).success();
    p.mlx_in("src", &["remote", "add", "s3", "s3://b/p"]).success();
    let config: toml::Table = p.read_string("mlx.toml").parse().unwrap();
    let url = |name: &str| config["remotes"][name]["url"].as_str().unwrap().to_owned();
    assert_eq!(url("up"), "../other");
    assert_eq!(url("beside"), "../cache");
    assert_eq!(url("abs"), "/srv/mlx");
    assert_eq!(url("s3"), "s3://b/p");
    // At the root the path is kept as typed.
    p.mlx(&["remote", "add", "root", "./x/../../y"]).success();
    assert!(p.read_string("mlx.toml").contains("url = \"./x/../../y\""));
}

#[test]
fn a_local_override_of_a_project_remote() {
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "nas", "/mnt/team/mlx", "--default"]).success();
    let a = p.mlx(&["remote", "add", "nas", "/Volumes/team/mlx", "--local", "--force"]).success();
    assert_eq!(stderr(&a), "replaced remote 'nas' (/Volumes/team/mlx) in .mlx/config.local.toml\n");
    assert!(p.read_string("mlx.toml").contains("url = \"/mnt/team/mlx\""));
    let json = p.json(&["remote", "list"]);
    assert_eq!(json["remotes"][0]["url"], "/Volumes/team/mlx");
    assert_eq!(json["remotes"][0]["defined_in"], "both");
    // Replacing the project entry warns that the local url still wins here.
    p.mlx(&["remote", "add", "nas", "/mnt/nas2", "--force"]).success().stderr(
        predicate::str::contains(
            "warning: the url of `nas` in .mlx/config.local.toml still overrides this one",
        ),
    );
    p.mlx(&["remote", "remove", "nas", "--local"]).success();
    let a = p.mlx(&["remote", "remove", "nas", "--local"]).code(2);
    insta::assert_snapshot!(p.transcript(&a), @r"
    exit: 2
    --- stdout
    --- stderr
    error: remote `nas` has no settings in .mlx/config.local.toml
    hint: it is defined in mlx.toml; to remove it everywhere: mlx remote remove nas
    ");
    assert_eq!(p.json(&["remote", "list"])["remotes"][0]["url"], "/mnt/nas2");
}
