//! Crash safety (kill -9 in the middle of `mlx add`) and files over 4 GiB.

use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use crate::support::{TestProject, hash_file_hex, inode};

/// Every object in the cache has the content its name says.
fn assert_cache_consistent(p: &TestProject) {
    for (hash, path) in p.objects() {
        assert_eq!(hash_file_hex(&path), hash, "half-written or wrong object {}", path.display());
    }
}

fn tmp_entries(p: &TestProject) -> Vec<String> {
    match std::fs::read_dir(p.cache_dir().join("tmp")) {
        Ok(e) => e.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn kill_9_during_add_leaves_a_consistent_cache_and_a_rerun_finishes() {
    let p = TestProject::initialized();
    // Enough data that add takes a while: large files and many small ones.
    let mut buf = vec![0u8; 40 << 20];
    for i in 0..6u8 {
        blake3::Hasher::new().update(&[i]).finalize_xof().fill(&mut buf);
        p.write(format!("data/big/{i}.bin"), &buf);
    }
    for i in 0..2000 {
        p.write(format!("data/small/{}/{i}.txt", i % 20), format!("small file {i}\n"));
    }
    let mut killed_mid_way = Vec::new();
    let mut saw_leftovers = false;
    for delay_ms in [30u64, 80, 150, 250, 400, 700] {
        let mut child = p
            .mlx_std()
            .args(["add", "data"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed_mid_way.push(child.id());
        }
        let status = child.wait().unwrap();
        if status.success() {
            break; // it finished before the kill: nothing more to interrupt
        }
        // Each new add cleans up after the previous dead one, so look right after the kill.
        saw_leftovers |= tmp_entries(&p).contains(&child.id().to_string());
        assert_cache_consistent(&p);
        assert!(!p.exists("data.mlx"), "a killed add wrote the pointer");
    }
    assert!(!killed_mid_way.is_empty(), "add always finished before it could be killed");
    assert!(saw_leftovers, "no kill landed while add was writing to the cache");
    // A rerun finishes and cleans up after the dead processes.
    p.mlx(&["add", "data"]).success();
    let leftovers = tmp_entries(&p);
    for pid in &killed_mid_way {
        assert!(!leftovers.contains(&pid.to_string()), "tmp/{pid} survived: {leftovers:?}");
    }
    assert_cache_consistent(&p);
    assert_eq!(p.pointer("data")["files"].as_integer(), Some(2006));
    p.mlx(&["cache", "verify"]).success();
    p.mlx(&["status", "--check"]).success();
    // And a checkout from it restores the data exactly.
    p.remove("data/big/3.bin");
    p.mlx(&["checkout"]).success();
    blake3::Hasher::new().update(&[3]).finalize_xof().fill(&mut buf);
    assert!(p.read("data/big/3.bin") == buf);
}

const GIB: u64 = 1024 * 1024 * 1024;

/// BLAKE3 of a sparse file's logical content: zeros with `marks` written over them.
fn sparse_hash(len: u64, marks: &[(u64, &[u8])]) -> String {
    const CHUNK: u64 = 64 << 20;
    let zeros = vec![0u8; CHUNK as usize];
    let mut hasher = blake3::Hasher::new();
    let mut at = 0;
    while at < len {
        let n = CHUNK.min(len - at);
        let hits: Vec<_> =
            marks.iter().filter(|(o, b)| *o < at + n && o + b.len() as u64 > at).collect();
        if hits.is_empty() {
            hasher.update_rayon(&zeros[..n as usize]);
        } else {
            let mut chunk = zeros[..n as usize].to_vec();
            for (o, b) in hits {
                for (i, byte) in b.iter().enumerate() {
                    let pos = o + i as u64;
                    if pos >= at && pos < at + n {
                        chunk[(pos - at) as usize] = *byte;
                    }
                }
            }
            hasher.update_rayon(&chunk);
        }
        at += n;
    }
    hasher.finalize().to_hex().to_string()
}

fn read_at(path: &std::path::Path, offset: u64, n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    let mut buf = vec![0u8; n];
    f.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn file_over_4_gib_round_trips() {
    let p = TestProject::with_link_type("hardlink");
    let len = 4 * GIB + 12345;
    let marks: [(u64, &[u8]); 3] =
        [(0, b"head"), (3 * GIB + 7, b"middle marker"), (len - 4, b"tail")];
    {
        let mut f = std::fs::File::create(p.path("huge.bin")).unwrap();
        f.set_len(len).unwrap();
        for (offset, bytes) in marks {
            f.seek(SeekFrom::Start(offset)).unwrap();
            f.write_all(bytes).unwrap();
        }
    }
    p.mlx(&["add", "huge.bin"]).success();
    let hash = sparse_hash(len, &marks);
    assert_eq!(p.pointer_hash("huge.bin"), hash);
    assert_eq!(p.pointer("huge.bin")["size"].as_integer(), Some(len as i64));
    let obj = p.object_path(&hash);
    assert_eq!(std::fs::metadata(&obj).unwrap().len(), len);
    // Hardlinked in, not copied.
    assert_eq!(inode(&p.path("huge.bin")), inode(&obj));
    p.mlx(&["status", "--check"]).success();
    p.remove("huge.bin");
    p.mlx(&["status", "--check"]).code(1);
    p.mlx(&["checkout"]).success();
    let restored = p.path("huge.bin");
    let meta = std::fs::metadata(&restored).unwrap();
    assert_eq!(meta.len(), len);
    assert_eq!(meta.ino(), inode(&obj));
    for (offset, bytes) in marks {
        assert_eq!(read_at(&restored, offset, bytes.len()), bytes, "at {offset}");
    }
    assert_eq!(read_at(&restored, 2 * GIB, 8), [0u8; 8]);
    p.mlx(&["status", "--check"]).success();
    p.mlx(&["ls", "huge.bin"]).success().stdout(predicates::str::contains("4.0 GiB"));
}

/// Sixteen writers at once on one project (issue 12): four `mlx add` of their own folders, four
/// `mlx run -- CMD` each logging 100 metric points, four `mlx log` loops into a run, two
/// `mlx checkout` restoring deleted data and two `mlx gc` deleting unreferenced objects. Nothing
/// is lost: every command succeeds, every pointer's data is in the cache and checks out, every
/// point is recorded, and `mlx cache verify` is clean.
#[test]
fn sixteen_concurrent_writers_lose_nothing() {
    use std::process::{Child, Stdio};
    let p = TestProject::initialized();
    crate::support::many_files(&p, "base", 300, 512, 6);
    p.mlx(&["add", "-q", "base"]).success();
    p.commit_all("base");
    // A target run for the log loops, waiting until they are done.
    let done = p.temp_dir().join("done");
    let target = p
        .mlx_std()
        .args(["run", "--name", "target", "--"])
        .args(["sh", "-c", &format!("while [ ! -e '{}' ]; do sleep 0.05; done", done.display())])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let target_id = loop {
        let rows: Vec<String> = {
            let db = p.db();
            let mut st = db.prepare("SELECT id FROM runs WHERE name = 'target'").unwrap();
            st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        if let Some(id) = rows.into_iter().next() {
            break id;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for i in 0..4 {
        crate::support::many_files(&p, &format!("new{i}"), 200, 256, 4);
    }
    for f in ["base/00/00000.txt", "base/01/00001.txt", "base/02/00002.txt"] {
        p.remove(f);
    }
    let spawn = |args: Vec<String>| -> Child {
        p.mlx_std()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mlx")
    };
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
    let points = "i=0; while [ $i -lt 100 ]; do printf '{\"key\":\"m\",\"value\":%d,\"step\":%d}\\n' $i $i >> \"$MLX_METRICS_FILE\"; i=$((i+1)); done";
    let mut children: Vec<(String, Child)> = Vec::new();
    for i in 0..4 {
        children.push((format!("add new{i}"), spawn(s(&["add", "-q", &format!("new{i}")]))));
        children.push((
            format!("run r{i}"),
            spawn(s(&["run", "--name", &format!("r{i}"), "--", "sh", "-c", points])),
        ));
    }
    for i in 0..2 {
        children.push((format!("checkout {i}"), spawn(s(&["checkout", "-q", "base"]))));
        children.push((format!("gc {i}"), spawn(s(&["gc", "-q"]))));
    }
    let log_errors: Vec<String> = std::thread::scope(|scope| {
        let loops: Vec<_> = (0..4)
            .map(|w| {
                let (p, id) = (&p, &target_id);
                scope.spawn(move || {
                    let mut errors = Vec::new();
                    for step in 0..20 {
                        let out = p
                            .mlx_std()
                            .args(["log", "metric", &format!("w{w}={step}")])
                            .args(["--step", &step.to_string(), "--run", id])
                            .output()
                            .expect("mlx log");
                        if !out.status.success() {
                            errors.push(String::from_utf8_lossy(&out.stderr).into_owned());
                        }
                    }
                    errors
                })
            })
            .collect();
        let mut failed = Vec::new();
        for (what, child) in children {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() {
                failed.push(format!("{what}: {}", String::from_utf8_lossy(&out.stderr)));
            }
        }
        failed.extend(loops.into_iter().flat_map(|l| l.join().unwrap()));
        failed
    });
    assert!(log_errors.is_empty(), "{log_errors:#?}");
    std::fs::write(&done, "").unwrap();
    let out = target.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Everything tracked is whole and restorable; every point arrived.
    assert_cache_consistent(&p);
    p.mlx(&["cache", "verify"]).success();
    p.mlx(&["status", "--check"]).success();
    for i in 0..4 {
        assert_eq!(p.pointer(&format!("new{i}"))["files"].as_integer(), Some(200));
    }
    p.remove("new2");
    p.remove("base");
    p.mlx(&["checkout", "-q"]).success();
    p.mlx(&["status", "--check"]).success();
    let db = p.db();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name LIKE 'r%'"
        ),
        400
    );
    assert_eq!(count(&format!("SELECT COUNT(*) FROM metrics WHERE run_id = '{target_id}'")), 80);
    assert_eq!(count("SELECT COUNT(*) FROM runs WHERE status = 'finished'"), 5);
}
