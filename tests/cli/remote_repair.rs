//! Damaged remotes, on a folder remote, the S3 test server and the WebDAV test server: a fetch
//! goes on past corrupt, truncated and missing objects, fetches every good one and reports all
//! the bad ones at the end; `mlx push --repair` from a clone that has the data reads back what
//! the remote has and replaces what is damaged or missing, as the hint says.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::remote_servers::{BUCKET, PREFIX};
use crate::remotes::clone_of;
use crate::support::servers::{DavServer, S3_ACCESS_KEY, S3_SECRET_KEY, S3Server};
use crate::support::{TestProject, many_files, noise, stderr, stdout};

/// Files in the tracked directory: more than one batch of downloads (512).
const FILES: usize = 600;
/// A file over the size that is moved in one request (16 MiB): read back in parts.
const BIG: usize = (16 << 20) + 4096;

/// A project, its remote `origin` (the default) and where that remote keeps its objects as
/// files (`ab/cdef…`), whatever serves them.
struct Damaged {
    p: TestProject,
    objects: PathBuf,
    env: Vec<(&'static str, &'static str)>,
    _s3: Option<S3Server>,
    _dav: Option<DavServer>,
}

enum Kind {
    Folder,
    S3,
    Webdav,
}

impl Damaged {
    fn new(kind: Kind) -> Damaged {
        let p = TestProject::initialized();
        many_files(&p, "many", FILES, 64, 10);
        p.write("big.bin", noise(BIG, 3));
        p.mlx(&["add", "many", "big.bin"]).success();
        let (objects, url, s3, dav) = match kind {
            Kind::Folder => {
                let store = p.temp_dir().join("store");
                (store.clone(), store.display().to_string(), None, None)
            }
            Kind::S3 => {
                let server = S3Server::start(&p.temp_dir().join("s3"));
                server.create_bucket(BUCKET);
                let objects = server.object_path(BUCKET, PREFIX);
                (objects, format!("s3://{BUCKET}/{PREFIX}"), Some(server), None)
            }
            Kind::Webdav => {
                let root = p.temp_dir().join("dav");
                let server = DavServer::start(&root);
                let url = format!("{}store", server.url());
                (root.canonicalize().unwrap().join("store"), url, None, Some(server))
            }
        };
        p.mlx(&["remote", "add", "origin", &url, "--default"]).success();
        if let Some(server) = &s3 {
            p.mlx(&["remote", "modify", "origin", "endpoint", &server.endpoint()]).success();
        }
        p.commit_all("data");
        let env = if s3.is_some() {
            vec![("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)]
        } else {
            Vec::new()
        };
        Damaged { p, objects, env, _s3: s3, _dav: dav }
    }

    fn mlx_in(&self, dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
        self.p.mlx_cmd_in(dir).envs(self.env.iter().copied()).args(args).assert()
    }

    fn json_in(&self, dir: &Path, args: &[&str], code: i32) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let a = self.mlx_in(dir, &all).code(code);
        serde_json::from_slice(&a.get_output().stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&a), stderr(&a)))
    }

    /// The file that holds object `hash` on the remote, writable.
    fn object(&self, hash: &str) -> PathBuf {
        let path = self.objects.join(&hash[..2]).join(&hash[2..]);
        assert!(path.is_file(), "{} is not on the remote", path.display());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        path
    }
}

/// The hashes of the tracked directory's files, in the order a fetch downloads them (by hash).
fn file_hashes(p: &TestProject) -> Vec<String> {
    let manifest = std::fs::read(p.object_path(&p.pointer_hash("many"))).unwrap();
    let mut out: Vec<String> = p
        .objects()
        .into_iter()
        .map(|(h, _)| h)
        .filter(|h| {
            let hex = h.as_bytes();
            manifest.windows(hex.len()).any(|w| w == hex)
        })
        .collect();
    out.sort();
    out
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().or_else(|| v["id"].as_str()).unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// Damage six of the first objects a fetch downloads (two corrupt, two truncated, two gone)
/// and the big one; fetch reports them all after fetching every good one; a plain push sees
/// them "already there"; `push --repair` mends them; then the clone fetches everything.
fn damaged_objects_are_all_reported_then_repaired(kind: Kind) {
    let d = Damaged::new(kind);
    let p = &d.p;
    d.mlx_in(p.root(), &["push", "-q"]).success();
    let files = file_hashes(p);
    assert_eq!(files.len(), FILES);
    let total = FILES as u64 + 2; // the files, the directory's listing and big.bin
    let big = p.pointer_hash("big.bin");
    let (corrupt, truncated, gone) = (&files[0..2], &files[2..4], &files[4..6]);
    for h in corrupt {
        let path = d.object(h);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[0] ^= 1; // same size, other bytes
        std::fs::write(&path, bytes).unwrap();
    }
    let path = d.object(&big);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[BIG / 2] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    for h in truncated {
        std::fs::write(d.object(h), "file").unwrap();
    }
    for h in gone {
        std::fs::remove_file(d.object(h)).unwrap();
    }

    let clone = clone_of(p, "clone");
    let json = d.json_in(&clone, &["fetch"], 3);
    assert_eq!(json["downloaded"], total - 7, "every good object arrives: {json}");
    let bad = json["corrupt_on_remote"].as_array().unwrap();
    let problem = |h: &str| {
        bad.iter().find(|b| b["id"] == h).map(|b| b["problem"].as_str().unwrap().to_owned())
    };
    for h in corrupt.iter().chain([&big]) {
        assert_eq!(problem(h).as_deref(), Some("corrupt"), "{h}: {json}");
    }
    for h in truncated {
        assert_eq!(problem(h).as_deref(), Some("truncated"), "{h}: {json}");
    }
    assert_eq!(bad.len(), 5, "{json}");
    assert_eq!(ids(&json["missing_on_remote"]), gone.to_vec(), "{json}");
    for h in corrupt.iter().chain(truncated).chain(gone).chain([&big]) {
        assert!(!clone.join(".mlx/cache").join(&h[..2]).join(&h[2..]).exists(), "{h}");
    }
    // The text names each one and the command that repairs them.
    let a = d.mlx_in(&clone, &["fetch"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("5 objects on remote 'origin' are damaged, so not fetched"), "{err}");
    assert!(err.contains(&format!("{}  truncated: 4 of 64 bytes", truncated[0])), "{err}");
    assert!(err.contains(&format!("{}  corrupt: its content hashes to ", corrupt[0])), "{err}");
    assert!(err.contains("2 objects are not on the remote"), "{err}");
    assert!(err.contains("hint: repair the remote") && err.contains("mlx push --repair -r origin"));

    // `status --remote` sees the two that are gone, and names the push that sends them.
    let a = d.mlx_in(p.root(), &["status", "--remote", "origin"]).success();
    assert!(stderr(&a).contains("2 only local"), "{}", stderr(&a));
    assert!(stderr(&a).contains("mlx push --repair -r origin"), "{}", stderr(&a));
    // A plain push sees the directory's listing on the remote and sends nothing.
    let json = d.json_in(p.root(), &["push"], 0);
    assert_eq!(json["uploaded"], 0, "{json}");
    // The repair reads back every copy and replaces the damaged and missing ones.
    let json = d.json_in(p.root(), &["push", "--repair"], 0);
    let mut damaged: Vec<String> = corrupt.iter().chain(truncated).cloned().collect();
    damaged.push(big.clone());
    damaged.sort();
    // The truncated copies have the wrong size: sent without reading them back.
    let mut read_back: Vec<String> = corrupt.to_vec();
    read_back.push(big.clone());
    read_back.sort();
    assert_eq!(ids(&json["damaged"]), read_back, "{json}");
    assert_eq!(json["verified"], total - 4, "{json}");
    assert_eq!(json["uploaded"], 7, "{json}");
    assert_eq!(json["already_there"], total - 7, "{json}");
    for h in &damaged {
        assert_eq!(crate::support::hash_file_hex(&d.object(h)), *h);
    }
    let a = d.mlx_in(p.root(), &["push", "--repair"]).success();
    assert!(
        stdout(&a).contains(&format!("read back {total} objects on the remote: 0 damaged\n")),
        "{}",
        stdout(&a)
    );

    let json = d.json_in(&clone, &["fetch"], 0);
    assert_eq!(json["downloaded"], 7, "{json}");
    d.mlx_in(&clone, &["checkout", "-q"]).success();
    d.mlx_in(&clone, &["status", "--check"]).success();
    assert!(std::fs::read(clone.join("big.bin")).unwrap() == noise(BIG, 3));
}

#[test]
fn folder_remote_damaged_objects_are_reported_together_and_repaired() {
    damaged_objects_are_all_reported_then_repaired(Kind::Folder);
}

#[test]
fn s3_damaged_objects_are_reported_together_and_repaired() {
    damaged_objects_are_all_reported_then_repaired(Kind::S3);
}

#[test]
fn webdav_damaged_objects_are_reported_together_and_repaired() {
    damaged_objects_are_all_reported_then_repaired(Kind::Webdav);
}

#[test]
fn a_damaged_directory_listing_is_reported_and_repaired() {
    let d = Damaged::new(Kind::Folder);
    let p = &d.p;
    d.mlx_in(p.root(), &["push", "-q"]).success();
    let listing = p.pointer_hash("many");
    let path = d.object(&listing);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let clone = clone_of(p, "clone");
    let a = d.mlx_in(&clone, &["pull"]).code(3);
    let err = stderr(&a);
    assert!(err.contains(&format!("{listing}  corrupt")), "{err}");
    // Not "neither in the cache nor on the remote": it is there, damaged.
    assert!(!err.contains("neither in the cache"), "{err}");
    assert!(clone.join("big.bin").is_file(), "the rest was placed");
    let json = d.json_in(p.root(), &["push", "--repair"], 0);
    assert_eq!(ids(&json["damaged"]), vec![listing], "{json}");
    d.mlx_in(&clone, &["pull", "-q"]).success();
    d.mlx_in(&clone, &["status", "--check"]).success();
}
