//! `mlx push`, `fetch`, `pull`, `status --remote` and `gc --remote` against a remote in a local
//! folder: round trips into fresh clones, corrupt and missing remote objects, commits chosen
//! with --rev / --all-commits, the pre-push hook, and run records shared with --runs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{TestProject, hash_hex, mlx_bin, stderr, stdout};

/// A project with a tracked directory and a tracked file, committed, and a folder remote
/// `store` (the default). Returns the project and the remote folder.
pub fn project_with_remote() -> (TestProject, PathBuf) {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "bravo\n");
    p.write("model.bin", "weights v1\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("data v1");
    (p, store)
}

/// `git clone` of the project next to it; mlx sets up its `.mlx/` folder on first use.
pub fn clone_of(p: &TestProject, name: &str) -> PathBuf {
    let dest = p.temp_dir().join(name);
    p.git(&["clone", "-q", p.root().to_str().unwrap(), dest.to_str().unwrap()]);
    dest
}

/// Objects stored in a folder remote (`ab/cdef…` files), as 64-hex names.
pub fn remote_objects(store: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(shards) = std::fs::read_dir(store) else { return out };
    for shard in shards.flatten() {
        let name = shard.file_name().to_string_lossy().into_owned();
        if name.len() != 2 || !shard.path().is_dir() {
            continue;
        }
        for obj in std::fs::read_dir(shard.path()).unwrap().flatten() {
            let rest = obj.file_name().to_string_lossy().into_owned();
            if rest.len() == 62 {
                out.push(format!("{name}{rest}"));
            }
        }
    }
    out.sort();
    out
}

fn remote_path(store: &Path, hash: &str) -> PathBuf {
    store.join(&hash[..2]).join(&hash[2..])
}

#[test]
fn push_then_pull_into_a_fresh_clone_restores_the_data() {
    let (p, store) = project_with_remote();
    let a = p.mlx(&["push"]).success();
    // data/ has a manifest and two files; model.bin one object.
    assert!(stdout(&a).starts_with("pushed 4 objects ("), "{}", stdout(&a));
    let local: Vec<String> = p.objects().into_iter().map(|(h, _)| h).collect();
    assert_eq!(remote_objects(&store), local);
    for h in &local {
        // The remote has the cache's layout and content; objects are read-only.
        let path = remote_path(&store, h);
        assert_eq!(hash_hex(&std::fs::read(&path).unwrap()), *h);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o222, 0);
    }

    let clone = clone_of(&p, "clone");
    assert!(!clone.join("data").exists());
    let a = p.mlx_in(&clone, &["pull"]).success();
    let out = stdout(&a);
    assert!(out.contains("fetched 4 objects"), "{out}");
    assert!(out.contains("checked out: 3 files restored"), "{out}");
    assert_eq!(std::fs::read_to_string(clone.join("data/sub/b.txt")).unwrap(), "bravo\n");
    assert_eq!(std::fs::read_to_string(clone.join("model.bin")).unwrap(), "weights v1\n");
    p.mlx_in(&clone, &["status", "--check"]).success();
    // Pulled files entered the stat cache as verified: nothing is hashed again.
    let db = rusqlite::Connection::open(clone.join(".mlx/mlx.db")).unwrap();
    let rows: i64 = db.query_row("SELECT count(*) FROM stat_cache", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 3);
    // A second pull has nothing to do.
    let a = p.mlx_in(&clone, &["pull"]).success();
    assert!(stdout(&a).contains("fetched 0 objects (0 B)"), "{}", stdout(&a));
}

#[test]
fn a_second_push_uploads_nothing_and_json_counts_it() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "-q"]).success();
    let json = p.json(&["push"]);
    assert_eq!(json["uploaded"], 0);
    assert_eq!(json["already_there"], 4);
    assert_eq!(json["objects"], 4);
    assert_eq!(json["remote"], "store");
    // A new version sends only the changed file.
    p.write("data/a.txt", "alpha, changed\n");
    p.mlx(&["add", "data"]).success();
    let json = p.json(&["push"]);
    assert_eq!(json["uploaded"], 2, "new manifest and new a.txt: {json}");
    // A directory whose listing is on the remote counts as there, files and all: the listing
    // only goes up after them.
    std::fs::remove_file(remote_path(&store, &hash_hex(b"bravo\n"))).unwrap();
    let json = p.json(&["push"]);
    assert_eq!(json["uploaded"], 0);
    assert_eq!(json["already_there"], 4);
}

#[test]
fn push_and_fetch_of_chosen_paths_move_only_those() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "model.bin"]).success();
    assert_eq!(remote_objects(&store), vec![p.pointer_hash("model.bin")]);
    p.mlx(&["push"]).success();
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull", "data"]).success();
    assert!(clone.join("data/a.txt").is_file());
    assert!(!clone.join("model.bin").exists());
}

#[test]
fn a_corrupt_object_on_the_remote_never_enters_the_cache() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "-q"]).success();
    let h = p.pointer_hash("model.bin");
    let path = remote_path(&store, &h);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&path, "weights v2\n").unwrap(); // same size, other bytes
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["fetch"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("1 object on remote 'store' is damaged, so not fetched"), "{err}");
    assert!(err.contains(&format!("{h}  corrupt: its content hashes to ")), "{err}");
    assert!(err.contains("mlx push --repair -r store"), "{err}");
    assert!(!clone.join(".mlx/cache").join(&h[..2]).join(&h[2..]).exists());
    // The other objects arrived and stay: a rerun after repairing the remote fetches one.
    let cached = |c: &Path| {
        walkdir::WalkDir::new(c.join(".mlx/cache"))
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .count()
    };
    assert_eq!(cached(&clone), 3);
    // Once the damaged copy is gone, a push from a clone that has the object restores it.
    std::fs::remove_file(&path).unwrap();
    p.mlx(&["push", "-q"]).success();
    let a = p.mlx_in(&clone, &["fetch", "--json"]).success();
    let json: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(json["downloaded"], 1);
    assert_eq!(json["already_cached"], 3);
}

#[test]
fn a_truncated_object_on_the_remote_is_sent_again() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "-q"]).success();
    let h = p.pointer_hash("model.bin");
    let path = remote_path(&store, &h);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&path, "wei").unwrap();
    let json = p.json(&["push"]);
    assert_eq!(json["uploaded"], 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "weights v1\n");
}

#[test]
fn objects_missing_on_the_remote_are_listed_and_exit_1() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "-q"]).success();
    let h = p.pointer_hash("model.bin");
    std::fs::remove_file(remote_path(&store, &h)).unwrap();
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["pull"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("1 object is not on the remote"), "{err}");
    assert!(err.contains(&h), "{err}");
    assert!(err.contains("mlx push"), "{err}");
    // What the remote had was placed.
    assert!(clone.join("data/a.txt").is_file());
}

#[test]
fn rev_and_all_commits_choose_which_versions_move() {
    let (p, store) = project_with_remote();
    let v1_model = p.pointer_hash("model.bin");
    p.git(&["tag", "v1"]);
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("model v2");
    let v2_model = p.pointer_hash("model.bin");
    // --rev pushes that commit's data only.
    p.mlx(&["push", "--rev", "v1", "model.bin"]).success();
    assert_eq!(remote_objects(&store), vec![v1_model.clone()]);
    // The workspace push adds v2; --all-commits has nothing left to send.
    p.mlx(&["push", "-q"]).success();
    assert!(remote_objects(&store).contains(&v2_model));
    let json = p.json(&["push", "--all-commits"]);
    assert_eq!(json["uploaded"], 0);
    assert_eq!(json["commits_scanned"], 2);

    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["fetch", "--rev", "v1", "model.bin"]).success();
    p.mlx_in(&clone, &["checkout", "--rev", "v1", "model.bin"]).success();
    assert_eq!(std::fs::read_to_string(clone.join("model.bin")).unwrap(), "weights v1\n");
    // The workspace's version is not fetched yet: checkout says how to get it.
    let a = p.mlx_in(&clone, &["checkout", "--rev", "HEAD", "model.bin"]).code(1);
    assert!(stderr(&a).contains("mlx fetch --rev HEAD"), "{}", stderr(&a));
}

#[test]
fn status_remote_shows_what_is_not_pushed_or_not_fetched() {
    let (p, _store) = project_with_remote();
    let a = p.mlx(&["status", "--remote", "store", "--check"]).code(1);
    let out = stdout(&a);
    assert!(out.contains("not pushed  data"), "{out}");
    assert!(out.contains("3 only local"), "{out}");
    assert!(stderr(&a).contains("mlx push -r store"), "{}", stderr(&a));
    p.mlx(&["push", "-q"]).success();
    p.mlx(&["status", "--remote", "store", "--check"]).success();
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["status", "--remote", "store", "--json"]).success();
    let json: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(json["remote_only"], 4);
    assert_eq!(json["local_only"], 0);
    let states: Vec<&str> =
        json["paths"].as_array().unwrap().iter().map(|p| p["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["not fetched", "not fetched"]);
}

#[test]
fn gc_remote_deletes_what_nothing_references() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "-q"]).success();
    let old = p.pointer_hash("model.bin");
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("model v2");
    p.mlx(&["push", "-q"]).success();
    assert_eq!(remote_objects(&store).len(), 5);
    // Every commit still references the old model.
    let json = p.json(&["gc", "--remote", "store", "--all-commits"]);
    assert_eq!(json["removed_objects"], 0);
    // Without a scope it refuses: the remote may be shared.
    let a = p.mlx(&["gc", "--remote", "store"]).code(2);
    assert!(stderr(&a).contains("--all-commits"), "{}", stderr(&a));
    assert_eq!(remote_objects(&store).len(), 5);
    let json = p.json(&["gc", "--remote", "store", "--workspace", "--dry-run"]);
    assert_eq!(json["removed_objects"], 1);
    assert_eq!(remote_objects(&store).len(), 5);
    // Temp files of uploads interrupted long ago go too; a recent one may be another
    // machine's upload in progress and stays.
    let shard = store.join(&old[..2]);
    let stale = shard.join(".tmp-4000000-1");
    let recent = shard.join(".tmp-4000000-2");
    std::fs::write(&stale, "half").unwrap();
    std::fs::write(&recent, "half").unwrap();
    let two_days = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(two_days).unwrap();
    let a = p.mlx(&["gc", "--remote", "store", "--workspace"]).success();
    assert!(stdout(&a).contains("removed 1 object "), "{}", stdout(&a));
    assert!(!stale.exists() && recent.exists());
    assert!(!remote_objects(&store).contains(&old));
    assert_eq!(remote_objects(&store).len(), 4);
}

#[test]
fn gc_remote_keeps_the_data_of_a_teammates_fetched_branch() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "-q"]).success();
    // A teammate commits a new model on a branch of their own and pushes its data.
    let teammate = clone_of(&p, "teammate");
    p.git_in(&teammate, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(teammate.join("model.bin"), "weights from the feature branch\n").unwrap();
    p.mlx_in(&teammate, &["add", "model.bin"]).success();
    p.git_in(&teammate, &["commit", "-q", "-am", "feature model"]);
    p.mlx_in(&teammate, &["push", "-q"]).success();
    let feature = toml::from_str::<toml::Table>(
        &std::fs::read_to_string(teammate.join("model.bin.mlx")).unwrap(),
    )
    .unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(remote_objects(&store).contains(&feature));
    // Here the branch is known only as a remote-tracking branch, never checked out.
    p.git(&["fetch", "-q", teammate.to_str().unwrap(), "feature:refs/remotes/teammate/feature"]);
    for scope in ["--all-commits", "--all-branches"] {
        let json = p.json(&["gc", "--remote", "store", scope]);
        assert_eq!(json["removed_objects"], 0, "{scope}: {json}");
        assert!(remote_objects(&store).contains(&feature), "{scope}");
    }
    // Tags alone, or the workspace alone, do not cover it: asked for, it goes.
    let json = p.json(&["gc", "--remote", "store", "--all-tags", "--dry-run"]);
    assert_eq!(json["removed_objects"], 1, "{json}");
    p.mlx(&["gc", "--remote", "store", "--workspace", "-q"]).success();
    assert!(!remote_objects(&store).contains(&feature));
}

#[test]
fn the_pre_push_hook_pushes_the_data_of_pushed_commits() {
    let (p, store) = project_with_remote();
    p.mlx(&["install-hooks", "-q"]).success();
    let bare = p.temp_dir().join("origin.git");
    p.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    p.git(&["remote", "add", "origin", bare.to_str().unwrap()]);
    assert!(remote_objects(&store).is_empty());
    p.git_hooked(&["push", "-q", "origin", "main"]);
    let local: Vec<String> = p.objects().into_iter().map(|(h, _)| h).collect();
    assert_eq!(remote_objects(&store), local);
    // Two new commits pushed at once: the data of both goes, not only the tip's.
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("model v2");
    let v2 = p.pointer_hash("model.bin");
    p.write("model.bin", "weights v3\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("model v3");
    let v3 = p.pointer_hash("model.bin");
    p.git_hooked(&["push", "-q", "origin", "main"]);
    let pushed = remote_objects(&store);
    assert!(pushed.contains(&v2) && pushed.contains(&v3), "{pushed:?}");
    assert_eq!(pushed.len(), local.len() + 2);
    // A push of nothing new sends nothing and says nothing.
    let out = p.git_output(&["push", "-q", "origin", "main"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn runs_are_shared_through_the_remote() {
    let (p, store) = project_with_remote();
    let script = format!("{0} log param lr=0.01 && {0} log metric acc=0.91", mlx_bin());
    p.mlx(&["run", "--name", "baseline", "--", "sh", "-c", &script]).success();
    let a = p.mlx(&["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 1 run record;"), "{}", stdout(&a));

    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("merged 1 run record (1 new run)"), "{}", stdout(&a));
    let a = p.mlx_in(&clone, &["exp", "list", "--stages", "--json"]).success();
    let runs: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["name"], "baseline");
    assert_eq!(runs[0]["params"]["lr"], "0.01");
    assert_eq!(runs[0]["metrics"]["acc"], 0.91);
    // Its experiment came along.
    let a = p.mlx_in(&clone, &["exp", "list", "--json"]).success();
    let exps: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(exps["experiments"][0]["name"], "baseline");
    assert_eq!(exps["experiments"][0]["metrics"]["acc"], 0.91);
    // Merging twice changes nothing; a push from the clone sends nothing new.
    let a = p.mlx_in(&clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("merged 0 run records (0 new runs)"), "{}", stdout(&a));
    let a = p.mlx_in(&clone, &["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 0 run records; 1 already there"), "{}", stdout(&a));
    // A damaged record on the remote is skipped with a warning; the others still merge.
    let bad = store.join("runs/0000000000zz/00000000000000000000000000000000.json");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, "{ not json").unwrap();
    let other = clone_of(&p, "other");
    let a = p.mlx_in(&other, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("merged 1 run record (1 new run)"), "{}", stdout(&a));
    assert!(stderr(&a).contains("skipped run record runs/0000000000zz/"), "{}", stderr(&a));
}

#[test]
fn one_fetch_runs_brings_every_file_of_a_directory_artifact() {
    let (p, _store) = project_with_remote();
    p.write("reports/summary.txt", "accuracy 0.9\n");
    p.write("reports/plots/loss.svg", "<svg/>");
    let script = format!("{} log artifact reports", mlx_bin());
    p.mlx(&["run", "--name", "with-reports", "--", "sh", "-c", &script]).success();
    p.mlx(&["push", "--runs", "-q"]).success();
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["fetch", "--runs", "-q"]).success();
    for content in ["accuracy 0.9\n", "<svg/>"] {
        let h = hash_hex(content.as_bytes());
        let object = clone.join(".mlx/cache").join(&h[..2]).join(&h[2..]);
        assert!(object.is_file(), "{content:?} not fetched by the first fetch --runs");
    }
}

#[test]
fn unknown_or_missing_remotes_are_clear_errors() {
    let p = TestProject::initialized();
    p.write("x.txt", "x\n");
    p.mlx(&["add", "x.txt"]).success();
    let a = p.mlx(&["push"]).code(2);
    assert!(stderr(&a).contains("mlx remote add"), "{}", stderr(&a));
    let gone = p.temp_dir().join("nowhere");
    p.mlx(&["remote", "add", "store", gone.to_str().unwrap(), "--default"]).success();
    let a = p.mlx(&["push", "-r", "stroe"]).code(2);
    assert!(stderr(&a).contains("store"), "{}", stderr(&a));
    // Fetching from a folder that does not exist is a remote error (3) naming it.
    let a = p.mlx(&["fetch"]).code(3);
    assert!(stderr(&a).contains("nowhere"), "{}", stderr(&a));
}

/// A push with nothing new settles a directory by its listing on the remote before looking for
/// its objects here: objects this cache lost but the remote holds are no loss; an object the
/// remote lost behind its listing comes back with `--repair`.
#[test]
fn a_noop_push_trusts_the_remote_listing_and_repair_restores_what_it_lost_issue_19() {
    let (p, store) = project_with_remote();
    p.mlx(&["push", "-q"]).success();
    std::fs::remove_file(p.object_path(&hash_hex(b"alpha\n"))).unwrap();
    let json = p.json(&["push"]);
    assert_eq!(json["uploaded"], 0);
    assert_eq!(json["missing_objects"], 0, "the remote has it: {json}");
    assert_eq!(json["missing_locally"].as_array().unwrap().len(), 0);
    p.mlx(&["pull", "-q"]).success();
    assert!(p.path("data/a.txt").is_file());
    // The remote loses a file behind its listing: a plain push cannot know, a repair can.
    std::fs::remove_file(remote_path(&store, &hash_hex(b"bravo\n"))).unwrap();
    assert_eq!(p.json(&["push"])["uploaded"], 0);
    let json = p.json(&["push", "--repair"]);
    assert_eq!(json["uploaded"], 1, "{json}");
    assert!(remote_path(&store, &hash_hex(b"bravo\n")).is_file());
}

/// A no-op push reads the files of a directory whose listing the remote has from the listing's
/// index, not from the listing itself: the counts stay exact (files shared between directories
/// and with a file pointer count once), a damaged or deleted index is made again, a listing the
/// remote lost is sent again, and gc drops the index of a listing it removes.
#[test]
fn a_noop_push_counts_a_directory_from_its_listing_index_issue_19() {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/a-again.txt", "alpha\n");
    p.write("data/sub/b.txt", "bravo\n");
    p.write("more/a.txt", "alpha\n");
    p.write("more/c.txt", "charlie\n");
    p.write("model.bin", "bravo\n");
    p.mlx(&["add", "data", "more", "model.bin"]).success();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("data");
    // alpha, bravo, charlie and the two listings.
    let json = p.json(&["push"]);
    assert_eq!((json["objects"].as_u64(), json["uploaded"].as_u64()), (Some(5), Some(5)));
    let index = |dir: &str| p.path(format!(".mlx/listing-index/{}", p.pointer_hash(dir)));
    assert!(index("data").is_file() && index("more").is_file());
    let noop = |why: &str| {
        let json = p.json(&["push"]);
        assert_eq!(json["uploaded"], 0, "{why}: {json}");
        assert_eq!(json["objects"], 5, "{why}: {json}");
        assert_eq!(json["already_there"], 5, "{why}: {json}");
    };
    noop("from the indexes");
    // A damaged index is not trusted: the listing is read and the index made again.
    let good = std::fs::read(index("data")).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 40;
    bad[last] ^= 0xff;
    std::fs::write(index("data"), &bad).unwrap();
    std::fs::remove_file(index("more")).unwrap();
    noop("indexes damaged or gone");
    assert_eq!(std::fs::read(index("data")).unwrap(), good);
    assert!(index("more").is_file());
    // The remote loses a listing: the next plain push sends it again (its files were there).
    std::fs::remove_file(remote_path(&store, &p.pointer_hash("more"))).unwrap();
    let json = p.json(&["push"]);
    assert_eq!((json["uploaded"].as_u64(), json["already_there"].as_u64()), (Some(1), Some(4)));
    assert!(remote_path(&store, &p.pointer_hash("more")).is_file());
    noop("the listing is back");
    // gc removes an old listing and its index with it.
    let old = index("more");
    p.write("more/c.txt", "charlie v2\n");
    p.mlx(&["add", "more"]).success();
    p.commit_all("more v2");
    p.mlx(&["gc", "-q"]).success();
    assert!(!old.exists());
    assert!(index("data").is_file());
}
