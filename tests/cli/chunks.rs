//! Big files stored as content-defined chunks (`[cache] chunk_threshold`, set to 1 MiB here so
//! that a few MiB make a big file): what `add` stores, what `push` sends and `fetch` downloads
//! (only the chunks the other side lacks, counted in the remote's listing), a corrupt chunk
//! refused, old caches and remotes with whole objects, gc keeping shared chunks, `cache stats`,
//! `cache verify`, read-only placement of big files and `mlx unprotect`. The other remote kinds
//! (S3, WebDAV, Azure, GCS, SSH) run the same round trip at the end.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::remotes::clone_of;
use crate::support::{TestProject, hash_hex, noise, stderr, stdout};

/// Bytes of the big file of these tests.
const BIG: usize = 3 << 20;

/// Add `line` under `[cache]` in `mlx.toml`.
pub fn set_cache(p: &TestProject, dir: &Path, line: &str) {
    let path = dir.join("mlx.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[cache]\n"), "{text}");
    std::fs::write(&path, text.replacen("[cache]\n", &format!("[cache]\n{line}\n"), 1)).unwrap();
    let _ = p;
}

/// An initialized project whose files of 1 MiB or more are chunked (committed).
pub fn chunked_project() -> TestProject {
    let p = TestProject::initialized();
    set_cache(&p, p.root(), "chunk_threshold = \"1MiB\"");
    p.commit_all("chunk from 1 MiB");
    p
}

/// Chunk lists in a folder (a cache or a folder remote): `ab/cdef….chunks` files, as hashes.
pub fn lists_in(store: &Path) -> Vec<String> {
    files_in(store)
        .into_iter()
        .filter_map(|n| n.strip_suffix(".chunks").map(str::to_owned))
        .collect()
}

/// Objects in a folder (a cache or a folder remote), as hashes.
pub fn objects_in(store: &Path) -> Vec<String> {
    files_in(store).into_iter().filter(|n| n.len() == 64).collect()
}

fn files_in(store: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(shards) = std::fs::read_dir(store) else { return out };
    for shard in shards.flatten() {
        let name = shard.file_name().to_string_lossy().into_owned();
        if name.len() != 2 || !shard.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(shard.path()).unwrap().flatten() {
            let rest = f.file_name().to_string_lossy().into_owned();
            if !rest.starts_with('.') {
                out.push(format!("{name}{rest}"));
            }
        }
    }
    out.sort();
    out
}

/// `bytes` with `len` bytes from `at` replaced by other noise.
pub fn changed(bytes: &[u8], at: usize, len: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + len].copy_from_slice(&noise(len, 99));
    out
}

/// `mlx ARGS --json` in `dir`, expecting success.
pub fn json_in(p: &TestProject, dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let a = p.mlx_in(dir, &all).success();
    serde_json::from_slice(&a.get_output().stdout).unwrap()
}

fn folder_remote(p: &TestProject) -> PathBuf {
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("remote");
    store
}

#[test]
fn add_stores_chunks_not_the_whole_file_and_stats_count_them() {
    let p = chunked_project();
    let big = noise(BIG, 1);
    p.write("big.bin", &big);
    p.write("small.txt", "small\n");
    p.mlx(&["add", "big.bin", "small.txt"]).success();
    let h = p.pointer_hash("big.bin");
    assert_eq!(h, hash_hex(&big), "the whole file's hash stays its identity");
    assert!(!p.has_object(&h), "the file is not stored whole");
    assert_eq!(lists_in(&p.cache_dir()), vec![h.clone()]);
    let stats = p.json(&["cache", "stats"]);
    let chunks = stats["chunks"].as_u64().unwrap();
    // About 64 KiB on average, none over 256 KiB.
    assert!((12..=200).contains(&chunks), "{stats}");
    assert_eq!(stats["chunked_objects"], 1);
    assert_eq!(stats["whole_objects"], 1, "small.txt: {stats}");
    assert_eq!(stats["chunk_bytes"], BIG as u64);
    assert_eq!(stats["logical_bytes"], BIG as u64 + 6);
    // Stored: the chunks, the list (65 bytes and 36 a chunk) and small.txt.
    assert_eq!(stats["stored_bytes"], BIG as u64 + 6 + 17 + 48 + 36 * chunks);
    // The file checks out again from its chunks, verified.
    p.remove("big.bin");
    p.mlx(&["checkout", "big.bin"]).success();
    assert_eq!(p.read("big.bin"), big);
    assert!(p.path("big.bin").metadata().unwrap().permissions().mode() & 0o200 != 0);
    p.mlx(&["status", "--check"]).success();

    // One byte inserted at the start: all but a couple of chunks are reused.
    let mut edited = vec![b'!'];
    edited.extend_from_slice(&big);
    p.write("big.bin", &edited);
    p.mlx(&["add", "big.bin"]).success();
    let after = p.json(&["cache", "stats"]);
    let new_chunks = after["chunks"].as_u64().unwrap() - chunks;
    assert!(new_chunks <= 2, "{new_chunks} new chunks: {after}");
    assert_eq!(after["chunked_objects"], 2);
    assert_eq!(after["logical_bytes"], 2 * BIG as u64 + 7);
    assert!(after["saving"].as_f64().unwrap() > 0.45, "{after}");
    p.mlx(&["cache", "verify"]).success();
}

#[test]
fn push_sends_only_missing_chunks_and_a_fresh_clone_pulls_each_byte_once() {
    let p = chunked_project();
    let store = folder_remote(&p);
    let v1 = noise(BIG, 2);
    p.write("big.bin", &v1);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v1");
    let push = p.json(&["push"]);
    let sent_v1 = push["chunks_uploaded"].as_u64().unwrap();
    assert_eq!(objects_in(&store).len() as u64, sent_v1, "{push}");
    assert_eq!(lists_in(&store), vec![p.pointer_hash("big.bin")]);
    // A no-op push sends nothing.
    let again = p.json(&["push"]);
    assert_eq!((again["uploaded"].as_u64(), again["already_there"].as_u64()), (Some(0), Some(1)));
    p.mlx(&["status", "--remote", "store", "--check"]).success();

    // 100 KiB changed in the middle: a few chunks go up, counted on the remote.
    let v2 = changed(&v1, BIG / 2, 100 << 10);
    p.write("big.bin", &v2);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v2");
    let before = objects_in(&store).len();
    let push = p.json(&["push"]);
    let new_on_remote = objects_in(&store).len() - before;
    assert_eq!(push["chunks_uploaded"].as_u64().unwrap(), new_on_remote as u64);
    assert!((1..=5).contains(&new_on_remote), "{new_on_remote} chunks sent: {push}");
    assert!(push["uploaded_bytes"].as_u64().unwrap() < (600 << 10), "{push}");
    assert_eq!(lists_in(&store).len(), 2);

    // A fresh clone: the file is assembled once in the cache and linked read-only.
    let clone = clone_of(&p, "clone");
    let fetch = json_in(&p, &clone, &["pull"]);
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), v2);
    let meta = std::fs::metadata(clone.join("big.bin")).unwrap();
    assert_eq!(meta.nlink(), 2, "a hardlink of the cache object");
    assert_eq!(meta.permissions().mode() & 0o222, 0, "read-only");
    let object = clone.join(".mlx/cache").join(&hash_hex(&v2)[..2]).join(&hash_hex(&v2)[2..]);
    assert_eq!(std::fs::metadata(&object).unwrap().ino(), meta.ino());
    assert_eq!(fetch["fetch"]["downloaded_bytes"], BIG as u64, "{fetch}");
    p.mlx_in(&clone, &["status", "--check"]).success();
    let stats = json_in(&p, &clone, &["cache", "stats"]);
    assert_eq!(
        (stats["chunked_objects"].as_u64(), stats["chunked_also_whole"].as_u64()),
        (Some(1), Some(1))
    );
    // Going back to v1 downloads only the chunks v2 lacks: the others are read from v2.
    p.git_in(&clone, &["checkout", "-q", "HEAD~1"]);
    let back = json_in(&p, &clone, &["pull"]);
    let got = back["fetch"]["downloaded_bytes"].as_u64().unwrap();
    assert!(got < (600 << 10), "{back}");
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), v1);
    p.mlx_in(&clone, &["cache", "verify"]).success();

    // The clone edits v1 after unprotecting it and pushes: only the new chunks go up.
    let a = p.mlx_in(&clone, &["unprotect", "big.bin"]).success();
    assert!(stdout(&a).contains("unprotected  big.bin"), "{}", stdout(&a));
    let meta = std::fs::metadata(clone.join("big.bin")).unwrap();
    assert_eq!(meta.nlink(), 1);
    assert!(meta.permissions().mode() & 0o200 != 0, "writable");
    p.mlx_in(&clone, &["status", "--check"]).success();
    let mut f = std::fs::OpenOptions::new().write(true).open(clone.join("big.bin")).unwrap();
    std::io::Write::write_all(&mut f, b"edited in place").unwrap();
    drop(f);
    p.mlx_in(&clone, &["status", "--check"]).code(1);
    p.mlx_in(&clone, &["add", "big.bin"]).success();
    let before = objects_in(&store).len();
    let push = json_in(&p, &clone, &["push"]);
    assert!((1..=3).contains(&(objects_in(&store).len() - before)), "{push}");
    // The cache's v1 object was never touched by the edit.
    p.mlx_in(&clone, &["cache", "verify"]).success();
}

#[test]
fn a_corrupt_chunk_on_the_remote_is_refused_and_nothing_reaches_the_workspace() {
    let p = chunked_project();
    let store = folder_remote(&p);
    p.write("big.bin", noise(BIG, 3));
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("big");
    p.mlx(&["push"]).success();
    // Damage one chunk on the remote (same length, other bytes).
    let chunk = objects_in(&store)[3].clone();
    let path = store.join(&chunk[..2]).join(&chunk[2..]);
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&path, noise(len, 77)).unwrap();
    let clone = clone_of(&p, "clone");
    // Exit 3, as for any object damaged on the remote.
    let a = p.mlx_in(&clone, &["pull", "--json"]).code(3);
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let damaged = &report["fetch"]["corrupt_on_remote"];
    assert_eq!(damaged[0]["id"], p.pointer_hash("big.bin"), "{report}");
    assert!(!clone.join("big.bin").exists(), "nothing written into the workspace");
    assert!(lists_in(&clone.join(".mlx/cache")).is_empty());
    assert!(objects_in(&clone.join(".mlx/cache")).is_empty(), "nothing kept of it");
    let leftovers: Vec<_> = walkdir::WalkDir::new(clone.join(".mlx/cache"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The damaged chunk is named: its size and the hash of the bytes found.
    assert_eq!(damaged[0]["size"], len, "{report}");
    assert_eq!(damaged[0]["actual"], hash_hex(&noise(len, 77)), "{report}");
    // A repair push sends the chunk again (a plain push trusts the list it finds there).
    std::fs::remove_file(&path).unwrap();
    p.mlx(&["push", "--repair"]).success();
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), p.read("big.bin"));

    // A chunk cut short (or grown) on the remote is refused the same way, in a fresh clone.
    let other = objects_in(&store)[5].clone();
    let path = store.join(&other[..2]).join(&other[2..]);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    for (name, changed) in [
        ("short", bytes[..bytes.len() - 1].to_vec()),
        ("long", {
            let mut b = bytes.clone();
            b.push(0);
            b
        }),
    ] {
        std::fs::write(&path, &changed).unwrap();
        let clone = clone_of(&p, name);
        let a = p.mlx_in(&clone, &["pull", "--json"]).code(3);
        let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
        let damaged = &report["fetch"]["corrupt_on_remote"];
        assert_eq!(damaged[0]["id"], p.pointer_hash("big.bin"), "{name}: {report}");
        assert_eq!(damaged[0]["size"], changed.len(), "{name}: {report}");
        assert!(!clone.join("big.bin").exists(), "{name}");
        assert!(objects_in(&clone.join(".mlx/cache")).is_empty(), "{name}");
    }
}

#[test]
fn old_caches_and_remotes_with_whole_objects_keep_working() {
    // Pushed by a clone that stores big files whole (an older mlx, or chunking off).
    let p = chunked_project();
    let store = folder_remote(&p);
    p.write(".mlx/config.local.toml", "[cache]\nchunking = false\n");
    let v1 = noise(BIG, 4);
    p.write("big.bin", &v1);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v1");
    assert!(p.has_object(&p.pointer_hash("big.bin")), "stored whole");
    p.mlx(&["push"]).success();
    assert_eq!(objects_in(&store), vec![hash_hex(&v1)]);
    assert!(lists_in(&store).is_empty());
    // Chunking on again: the whole object still checks out and pushes as it is.
    std::fs::remove_file(p.path(".mlx/config.local.toml")).unwrap();
    p.remove("big.bin");
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read("big.bin"), v1);
    p.mlx(&["push"]).success();

    // A clone that chunks pulls the whole object, then pushes a new version as chunks.
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), v1);
    p.mlx_in(&clone, &["unprotect", "big.bin"]).success();
    let v2 = changed(&v1, 1000, 10);
    std::fs::write(clone.join("big.bin"), &v2).unwrap();
    p.mlx_in(&clone, &["add", "big.bin"]).success();
    p.mlx_in(&clone, &["push"]).success();
    assert_eq!(lists_in(&store), vec![hash_hex(&v2)]);
    // Mixed on the remote: the whole v1 and the chunked v2 both come back.
    let other = clone_of(&p, "other");
    p.mlx_in(&other, &["pull"]).success();
    assert_eq!(std::fs::read(other.join("big.bin")).unwrap(), v1);
    p.git_in(&clone, &["commit", "-qam", "v2"]);
    p.git_in(&other, &["pull", "-q", clone.to_str().unwrap(), "main"]);
    p.mlx_in(&other, &["pull"]).success();
    assert_eq!(std::fs::read(other.join("big.bin")).unwrap(), v2);
    p.mlx_in(&other, &["cache", "verify"]).success();
}

#[test]
fn many_big_files_pull_at_once_each_whole_and_checked() {
    // Many big files fetched at once (each assembled by its own threads, while the transfer
    // threads take other downloads): every one arrives, none is mixed up.
    let p = chunked_project();
    folder_remote(&p);
    let files: Vec<Vec<u8>> = (0..16).map(|i| noise(BIG + i * 4099, 100 + 2 * i as u64)).collect();
    for (i, body) in files.iter().enumerate() {
        p.write(format!("big/{i}.bin"), body);
    }
    p.mlx(&["add", "big"]).success();
    p.commit_all("big files");
    p.mlx(&["push"]).success();
    let clone = clone_of(&p, "clone");
    let pull = json_in(&p, &clone, &["pull"]);
    let total: usize = files.iter().map(Vec::len).sum();
    assert_eq!(pull["fetch"]["downloaded_bytes"], total as u64, "{pull}");
    for (i, body) in files.iter().enumerate() {
        assert!(std::fs::read(clone.join(format!("big/{i}.bin"))).unwrap() == *body, "{i}");
    }
    p.mlx_in(&clone, &["cache", "verify"]).success();
}

#[test]
fn a_directory_listing_above_the_threshold_travels_whole() {
    // 12,000 files make a listing (manifest) of more than 1 MiB, the threshold here: it is
    // read from remotes as one object, so it is never split, whatever the cache type.
    let p = chunked_project();
    let store = folder_remote(&p);
    p.write(".mlx/config.local.toml", "[cache]\ntype = [\"hardlink\"]\n");
    for i in 0..12_000 {
        p.write(format!("many/f{:03}/{i:05}.txt", i % 100), format!("file {i}\n"));
    }
    p.mlx(&["add", "many"]).success();
    p.commit_all("many files");
    let listing = p.pointer_hash("many");
    p.mlx(&["push"]).success();
    assert!(objects_in(&store).contains(&listing), "the listing is on the remote whole");
    assert!(lists_in(&store).is_empty(), "{:?}", lists_in(&store));
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(std::fs::read_to_string(clone.join("many/f007/00007.txt")).unwrap(), "file 7\n");
    p.mlx_in(&clone, &["status", "--check"]).success();
}

#[test]
fn a_big_file_added_by_hardlink_is_pushed_as_chunks() {
    // Added as a hardlink (no bytes copied, so no chunks stored): the first push splits the
    // cache object, stores its list beside it and sends chunks; the next version sends only
    // the chunks that changed.
    let p = chunked_project();
    let store = folder_remote(&p);
    p.write(".mlx/config.local.toml", "[cache]\ntype = [\"hardlink\"]\n");
    let v1 = noise(BIG, 6);
    p.write("big.bin", &v1);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v1");
    let id = p.pointer_hash("big.bin");
    assert!(lists_in(&p.path(".mlx/cache")).is_empty(), "stored whole, by a link");
    let push = p.json(&["push"]);
    assert_eq!(lists_in(&store), vec![id.clone()], "{push}");
    assert!(!objects_in(&store).contains(&id), "not sent whole");
    assert_eq!(lists_in(&p.path(".mlx/cache")), vec![id.clone()], "its list kept");
    assert_eq!(push["chunks_uploaded"].as_u64().unwrap(), objects_in(&store).len() as u64);
    // A no-op push finds the list there.
    let again = p.json(&["push"]);
    assert_eq!((again["uploaded"].as_u64(), again["already_there"].as_u64()), (Some(0), Some(1)));

    let v2 = changed(&v1, BIG / 3, 50 << 10);
    p.remove("big.bin");
    p.write("big.bin", &v2);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v2");
    let before = objects_in(&store).len();
    let push = p.json(&["push"]);
    let sent = objects_in(&store).len() - before;
    assert!((1..=4).contains(&sent), "{sent} chunks sent: {push}");
    assert!(push["uploaded_bytes"].as_u64().unwrap() < (600 << 10), "{push}");
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), v2);
    p.mlx(&["cache", "verify"]).success();

    // An object damaged in the cache is refused, not split and sent.
    let v3 = noise(BIG, 40);
    p.remove("big.bin");
    p.write("big.bin", &v3);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v3");
    std::fs::set_permissions(p.path("big.bin"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut f = std::fs::OpenOptions::new().write(true).open(p.path("big.bin")).unwrap();
    std::io::Write::write_all(&mut f, b"damage").unwrap();
    drop(f);
    let a = p.mlx(&["push"]).code(3);
    assert!(stderr(&a).contains(&p.pointer_hash("big.bin")), "{}", stderr(&a));
    assert!(!lists_in(&store).contains(&p.pointer_hash("big.bin")));
}

#[test]
fn gc_keeps_chunks_that_kept_lists_share_and_removes_the_rest() {
    let p = chunked_project();
    let store = folder_remote(&p);
    let v1 = noise(BIG, 5);
    p.write("big.bin", &v1);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v1");
    p.mlx(&["push"]).success();
    let v1_chunks = p.json(&["cache", "stats"])["chunks"].as_u64().unwrap();
    let v2 = changed(&v1, BIG / 3, 200 << 10);
    p.write("big.bin", &v2);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("v2");
    p.mlx(&["push"]).success();
    let both = p.json(&["cache", "stats"])["chunks"].as_u64().unwrap();
    assert!(both > v1_chunks);
    // gc of what the workspace references: v1's list and its own chunks go, shared ones stay.
    let gc = p.json(&["gc"]);
    let after = p.json(&["cache", "stats"]);
    assert_eq!(after["chunked_objects"], 1, "{gc} {after}");
    let v2_chunks = after["chunks"].as_u64().unwrap();
    let removed = gc["removed_objects"].as_u64().unwrap();
    // v1's chunk list, and the chunks only v1 has (as many as v2 has of its own).
    assert_eq!(removed, 1 + (both - v2_chunks), "{gc}");
    assert!(both - v2_chunks >= 1 && both - v2_chunks <= 8, "{gc}");
    p.mlx(&["cache", "verify"]).success();
    p.remove("big.bin");
    p.mlx(&["checkout"]).success();
    assert_eq!(p.read("big.bin"), v2);

    // The same on the remote.
    let remote_before = objects_in(&store).len() as u64;
    let gc = p.json(&["gc", "--remote", "store", "--workspace"]);
    assert_eq!(lists_in(&store), vec![hash_hex(&v2)], "{gc}");
    assert_eq!(remote_before - objects_in(&store).len() as u64, both - v2_chunks, "{gc}");
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), v2);
}

#[test]
fn cache_verify_finds_a_damaged_chunk_and_checkout_refuses_the_file() {
    let p = chunked_project();
    let big = noise(BIG, 6);
    p.write("big.bin", &big);
    p.mlx(&["add", "big.bin"]).success();
    let chunk = objects_in(&p.cache_dir())[0].clone();
    let path = p.object_path(&chunk);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let a = p.mlx(&["cache", "verify", "--json"]).code(1);
    let report: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(report["corrupt"][0]["hash"], chunk, "{report}");
    assert_eq!(report["incomplete"][0], p.pointer_hash("big.bin"), "{report}");
    assert_eq!(p.quarantined().len(), 1);
    // The same damage found by checkout: the chunk is set aside, the file never placed.
    let chunk = objects_in(&p.cache_dir())[0].clone();
    let path = p.object_path(&chunk);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&path, b"other bytes").unwrap();
    p.remove("big.bin");
    let a = p.mlx(&["checkout"]).code(1);
    assert!(!p.exists("big.bin"), "a damaged file is never placed: {}", stderr(&a));
    assert_eq!(p.quarantined().len(), 2);
}

#[test]
fn small_files_and_chunking_off_stay_as_they_were() {
    let p = TestProject::initialized();
    // Under the default threshold (64 MiB): stored whole, placed as copies.
    p.write("data.bin", noise(2 << 20, 7));
    p.mlx(&["add", "data.bin"]).success();
    assert!(p.has_object(&p.pointer_hash("data.bin")));
    assert!(lists_in(&p.cache_dir()).is_empty());
    p.remove("data.bin");
    p.mlx(&["checkout"]).success();
    assert_eq!(std::fs::metadata(p.path("data.bin")).unwrap().nlink(), 1);
    let a = p.mlx(&["cache", "stats"]).success();
    assert!(stdout(&a).contains("1 whole, 0 chunked"), "{}", stdout(&a));
    // protect_big_files = false: a big pulled file is a private copy.
    let p = chunked_project();
    set_cache(&p, p.root(), "protect_big_files = false");
    p.write("big.bin", noise(BIG, 8));
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("big");
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("remote");
    p.mlx(&["push"]).success();
    let clone = clone_of(&p, "clone");
    p.mlx_in(&clone, &["pull"]).success();
    assert_eq!(std::fs::metadata(clone.join("big.bin")).unwrap().nlink(), 1);
    // A size that is not one is refused with its place.
    let p = TestProject::initialized();
    set_cache(&p, p.root(), "chunk_threshold = \"lots\"");
    let a = p.mlx(&["status"]).code(2);
    assert!(stderr(&a).contains("mlx.toml"), "{}", stderr(&a));
}

/// The chunked round trip on any remote kind, in a project (chunking from 1 MiB) whose default
/// remote is set up: v1 pushed; 100 KiB changed in the middle and pushed again, sending a few
/// chunks (`stored` counts the objects the remote holds, from its own listing); a fresh clone
/// (made ready by `prepare`) pulls v2 byte for byte, then v1 downloading only what v2 lacks;
/// `status --remote` sees the chunked file; a no-op push sends nothing.
fn round_trip(
    p: &TestProject,
    remote: &str,
    run: &dyn Fn(&Path, &[&str]) -> assert_cmd::assert::Assert,
    stored: &dyn Fn() -> usize,
    prepare: &dyn Fn(&Path),
) {
    let json = |dir: &Path, args: &[&str]| -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_slice(&run(dir, &all).success().get_output().stdout).unwrap()
    };
    let root = p.root();
    set_cache(p, root, "chunk_threshold = \"1MiB\"");
    let v1 = noise(BIG, 11);
    p.write("big.bin", &v1);
    run(root, &["add", "big.bin"]).success();
    p.commit_all("v1");
    let before = stored();
    let push = json(root, &["push"]);
    let sent_v1 = stored() - before;
    assert!(sent_v1 >= 12, "{push}");
    run(root, &["status", "--remote", remote, "--check"]).success();
    let v2 = changed(&v1, BIG / 2, 100 << 10);
    p.write("big.bin", &v2);
    run(root, &["add", "big.bin"]).success();
    p.commit_all("v2");
    let before = stored();
    let push = json(root, &["push"]);
    let sent = stored() - before;
    assert!((1..=5).contains(&sent), "{sent} chunks sent: {push}");
    assert_eq!(push["chunks_uploaded"], sent as u64, "{push}");
    let again = json(root, &["push"]);
    assert_eq!(again["uploaded"], 0, "{again}");

    let clone = clone_of(p, "chunked-clone");
    prepare(&clone);
    let pulled = json(&clone, &["pull"]);
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), v2, "{pulled}");
    // The big file's bytes once (and the project's few small files).
    let got = pulled["fetch"]["downloaded_bytes"].as_u64().unwrap();
    assert!((BIG as u64..BIG as u64 + (16 << 10)).contains(&got), "{pulled}");
    run(&clone, &["status", "--check"]).success();
    run(&clone, &["status", "--remote", remote, "--check"]).success();
    p.git_in(&clone, &["checkout", "-q", "HEAD~1"]);
    let back = json(&clone, &["pull"]);
    assert!(back["fetch"]["downloaded_bytes"].as_u64().unwrap() < (600 << 10), "{back}");
    assert_eq!(std::fs::read(clone.join("big.bin")).unwrap(), v1);
    run(&clone, &["cache", "verify"]).success();
}

#[test]
fn s3_chunked_round_trip() {
    use crate::remote_servers::{mlx_s3, s3_objects, s3_project};
    let (p, server) = s3_project();
    let run = |dir: &Path, args: &[&str]| mlx_s3(&p, dir, args);
    round_trip(&p, "s3", &run, &|| s3_objects(&server).len(), &|_| {});
}

#[test]
fn webdav_chunked_round_trip() {
    let (p, _server, root) = crate::remote_servers::dav_project();
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    round_trip(&p, "dav", &run, &|| objects_in(&root.join("store")).len(), &|_| {});
}

#[test]
fn azure_chunked_round_trip() {
    use crate::support::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite};
    let server = Azurite::start();
    server.create_container("team-data");
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "az", &format!("azure://{ACCOUNT}@team-data/demo"), "--default"])
        .success();
    p.mlx(&["remote", "modify", "az", "endpoint", &server.endpoint()]).success();
    p.mlx(&["remote", "modify", "az", "password", ACCOUNT_KEY, "--local"]).success();
    p.commit_all("remote");
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    let stored =
        || server.blobs("team-data", "demo/").iter().filter(|(n, _)| n.len() == 70).count();
    let prepare = |clone: &Path| {
        p.mlx_in(clone, &["remote", "modify", "az", "password", ACCOUNT_KEY, "--local"]).success();
    };
    round_trip(&p, "az", &run, &stored, &prepare);
}

#[test]
fn gcs_chunked_round_trip() {
    use crate::support::gcs::GcsServer;
    let server = GcsServer::start();
    server.create_bucket("team-bucket");
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "gcs", "gs://team-bucket/demo", "--default"]).success();
    p.mlx(&["remote", "modify", "gcs", "endpoint", &server.endpoint()]).success();
    p.mlx(&["remote", "modify", "gcs", "token", "ya29.test", "--local"]).success();
    p.commit_all("remote");
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    let stored =
        || server.objects("team-bucket", "demo/").iter().filter(|(n, _)| n.len() == 70).count();
    let prepare = |clone: &Path| {
        p.mlx_in(clone, &["remote", "modify", "gcs", "token", "ya29.test", "--local"]).success();
    };
    round_trip(&p, "gcs", &run, &stored, &prepare);
}

#[test]
fn ssh_chunked_round_trip() {
    use crate::support::sshd::{Sshd, trust};
    let sshd = Sshd::start();
    let p = TestProject::initialized();
    p.mlx(&["remote", "add", "box", &sshd.url("team/cache"), "--default"]).success();
    p.commit_all("remote");
    trust(&p, &sshd);
    let run = |dir: &Path, args: &[&str]| p.mlx_in(dir, args);
    let store = sshd.data().join("team/cache");
    round_trip(&p, "box", &run, &|| objects_in(&store).len(), &|_| {});
}

#[test]
fn readers_of_a_file_stored_only_as_chunks_get_it_whole() {
    use sha2::Digest;
    let p = chunked_project();
    let big = noise(BIG, 5);
    p.write("big.bin", &big);
    p.mlx(&["add", "big.bin"]).success();
    let h = p.pointer_hash("big.bin");
    assert!(!p.has_object(&h), "stored as chunks only");
    // attest hashes the cache's object (sha256 beside blake3), and verify checks it again.
    p.mlx(&["attest", "big.bin", "-o", "big.intoto.json"]).success();
    let statement: serde_json::Value =
        serde_json::from_str(&p.read_string("big.intoto.json")).unwrap();
    let sha: String = sha2::Sha256::digest(&big).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(statement["subject"][0]["digest"]["sha256"], sha, "{statement}");
    assert_eq!(statement["subject"][0]["digest"]["blake3"], h);
    p.mlx(&["verify", "big.intoto.json"]).success();
    // The object put together for them is kept whole beside its list, and checks.
    assert!(p.has_object(&h));
    p.mlx(&["cache", "verify"]).success();
}
