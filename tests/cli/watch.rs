//! `mlx watch`: a real inotify watcher started by mlx, which `mlx status` asks instead of
//! walking a tracked tree. Every change it could miss is made while it runs, and `status` must
//! still report it: edits, new nested folders written into straight after they appear, a
//! replaced tracked folder or folder above it, events lost to a queue overflow, a killed watcher.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{TestProject, stderr, stdout};

/// A watcher started with `mlx watch start`, stopped when dropped.
struct Watcher<'a> {
    p: &'a TestProject,
    pid: u32,
}

impl<'a> Watcher<'a> {
    fn start(p: &'a TestProject) -> Self {
        let report = p.json(&["watch", "start"]);
        assert_eq!(report["already_running"], false, "{report}");
        let pid = u32::try_from(report["pid"].as_u64().expect("a pid")).unwrap();
        assert!(alive(pid));
        Watcher { p, pid }
    }

    fn info(&self) -> serde_json::Value {
        let info = self.p.json(&["watch", "status"]);
        assert_eq!(info["running"], true, "{info}");
        assert_eq!(info["pid"], self.pid);
        info
    }

    fn unchanged_answers(&self) -> u64 {
        self.info()["unchanged_answers"].as_u64().unwrap()
    }
}

impl Drop for Watcher<'_> {
    fn drop(&mut self) {
        let _ = self.p.mlx_cmd().args(["watch", "stop"]).output();
        if alive(self.pid) {
            let _ = std::process::Command::new("kill").args(["-9", &self.pid.to_string()]).status();
        }
    }
}

/// Whether the process runs (a zombie left for a parent that never reaps it does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The changed files `mlx status --json` lists, as `KIND PATH`.
fn changes(p: &TestProject) -> Vec<String> {
    let report = p.json(&["status"]);
    let mut out = Vec::new();
    for path in report["paths"].as_array().unwrap() {
        if path["state"] == "missing" {
            out.push(format!("missing {}", path["path"].as_str().unwrap()));
        }
        for c in path["changes"].as_array().unwrap() {
            out.push(format!("{} {}", c["change"].as_str().unwrap(), c["path"].as_str().unwrap()));
        }
    }
    out.sort();
    out
}

/// Record the tree as it is, then make sure the watcher answers "unchanged" for it: the next
/// change must be found by asking the watcher, not by a walk that would find it anyway.
fn settle(p: &TestProject, w: &Watcher, path: &str) {
    p.mlx(&["add", path]).success();
    assert_eq!(changes(p), Vec::<String>::new());
    let before = w.unchanged_answers();
    assert_eq!(changes(p), Vec::<String>::new());
    assert!(w.unchanged_answers() > before, "the watcher spared no walk: {}", w.info());
}

fn project() -> TestProject {
    let p = TestProject::initialized();
    for i in 0..5 {
        p.write(format!("data/a/{i}.txt"), format!("a{i}\n"));
        p.write(format!("data/b/{i}.txt"), format!("b{i}\n"));
    }
    p.mlx(&["add", "data"]).success();
    p
}

#[test]
fn a_running_watcher_spares_the_walk_and_sees_every_change() {
    let p = project();
    let w = Watcher::start(&p);
    settle(&p, &w, "data");

    // An edit of the same size, asked about at once.
    p.write("data/a/1.txt", "A1\n");
    assert_eq!(changes(&p), ["modified data/a/1.txt"]);
    settle(&p, &w, "data");

    // The execute bit.
    p.set_mode("data/b/2.txt", 0o755);
    assert_eq!(changes(&p), ["modified data/b/2.txt"]);
    settle(&p, &w, "data");

    // A new nested folder: the watcher must watch it from its creation on, so a later edit
    // inside it is seen once the tree is recorded again.
    p.write("data/new/deep/er/n.txt", "n\n");
    assert_eq!(changes(&p), ["added data/new/deep/er/n.txt"]);
    settle(&p, &w, "data");
    p.write("data/new/deep/er/n.txt", "N\n");
    assert_eq!(changes(&p), ["modified data/new/deep/er/n.txt"]);
    settle(&p, &w, "data");

    // A file removed, and one renamed.
    p.remove("data/a/0.txt");
    std::fs::rename(p.path("data/b/3.txt"), p.path("data/b/33.txt")).unwrap();
    assert_eq!(
        changes(&p),
        ["added data/b/33.txt", "deleted data/a/0.txt", "deleted data/b/3.txt"]
    );
    settle(&p, &w, "data");

    // The tracked folder itself replaced by a copy: the copy is watched from then on.
    std::fs::rename(p.path("data"), p.path("old")).unwrap();
    copy_tree(&p.path("old"), &p.path("data"));
    settle(&p, &w, "data");
    p.write("data/b/4.txt", "B4\n");
    assert_eq!(changes(&p), ["modified data/b/4.txt"]);
}

#[test]
fn a_folder_above_the_tracked_one_replaced_is_watched_again() {
    let p = TestProject::initialized();
    p.write("sets/train/x.txt", "x\n");
    p.write("sets/notes.txt", "notes\n");
    let w = Watcher::start(&p);
    settle(&p, &w, "sets/train");
    // Edits beside the tracked folder are no change to it.
    p.write("sets/notes.txt", "more notes\n");
    let before = w.unchanged_answers();
    assert_eq!(changes(&p), Vec::<String>::new());
    assert!(w.unchanged_answers() > before);

    std::fs::rename(p.path("sets"), p.path("sets-old")).unwrap();
    copy_tree(&p.path("sets-old"), &p.path("sets"));
    p.write("sets/train/x.txt", "X\n");
    assert_eq!(changes(&p), ["modified sets/train/x.txt"]);
    settle(&p, &w, "sets/train");
    p.write("sets/train/y.txt", "y\n");
    assert_eq!(changes(&p), ["added sets/train/y.txt"]);
}

#[test]
fn changes_lost_to_a_queue_overflow_are_not_missed() {
    let p = TestProject::initialized();
    p.write("one/x.txt", "x\n");
    p.write("two/y.txt", "y\n");
    let w = Watcher::start(&p);
    settle(&p, &w, "one");
    settle(&p, &w, "two");
    // Stop the watcher reading while more events than its queue holds happen in `one`, then
    // change `two`: that event is lost, and only the overflow says so.
    let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill(w.pid, "-STOP");
    for i in 0..=limit {
        std::fs::File::create(p.path(format!("one/t{i}"))).unwrap();
    }
    for i in 0..=limit {
        std::fs::remove_file(p.path(format!("one/t{i}"))).unwrap();
    }
    p.write("two/y.txt", "Y\n");
    kill(w.pid, "-CONT");
    assert_eq!(changes(&p), ["modified two/y.txt"]);
    assert!(w.info()["overflows"].as_u64().unwrap() >= 1, "no overflow happened: {}", w.info());
}

#[test]
fn a_killed_watcher_leaves_status_right_and_a_new_one_starts() {
    let p = project();
    let w = Watcher::start(&p);
    settle(&p, &w, "data");
    kill(w.pid, "-KILL");
    wait_until("the watcher is dead", || !alive(w.pid));
    p.write("data/a/1.txt", "A1\n");
    assert_eq!(changes(&p), ["modified data/a/1.txt"]);
    let status = p.json(&["watch", "status"]);
    assert_eq!(status["running"], false, "{status}");

    // The socket it left behind is no obstacle.
    let w2 = Watcher::start(&p);
    assert_ne!(w2.pid, w.pid);
    settle(&p, &w2, "data");
    p.write("data/a/2.txt", "A2\n");
    assert_eq!(changes(&p), ["modified data/a/2.txt"]);
}

#[test]
fn start_and_stop_are_idempotent_and_status_tells_the_truth() {
    let p = project();
    let a = p.mlx(&["watch", "status"]).success();
    assert_eq!(stdout(&a), "no watcher runs here\n");
    let w = Watcher::start(&p);
    let again = p.json(&["watch", "start"]);
    assert_eq!(again["already_running"], true);
    assert_eq!(again["pid"], w.pid);
    let a = p.mlx(&["watch", "start"]).success();
    assert_eq!(stdout(&a), format!("a watcher already runs (pid {})\n", w.pid));

    p.mlx(&["status"]).success();
    let a = p.mlx(&["watch", "status"]).success();
    let text = stdout(&a);
    assert!(text.contains(&format!("pid {}", w.pid)), "{text}");
    assert!(text.contains("data            watched"), "{text}");

    let a = p.mlx(&["watch", "stop"]).success();
    assert_eq!(stdout(&a), format!("stopped the watcher (pid {})\n", w.pid));
    assert!(!alive(w.pid));
    assert!(!p.exists(".mlx/watch/socket"));
    let a = p.mlx(&["watch", "stop"]).success();
    assert_eq!(stdout(&a), "no watcher runs here\n");
    assert_eq!(p.json(&["watch", "stop"])["pid"], serde_json::Value::Null);
}

#[test]
fn the_watcher_ends_when_its_work_tree_is_removed() {
    let p = project();
    let w = Watcher::start(&p);
    let pid = w.pid;
    std::mem::forget(w);
    std::fs::remove_dir_all(p.root()).unwrap();
    wait_until("the watcher has ended", || !alive(pid));
}

#[test]
fn a_watch_folder_that_is_a_symlink_is_refused_and_nothing_is_written_through_it() {
    let p = project();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, p.path(".mlx/watch")).unwrap();
    let a = p.mlx(&["watch", "start"]).code(2);
    assert!(stderr(&a).contains(".mlx/watch is not a folder of your own"), "{}", stderr(&a));
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    // Status ignores it and walks.
    p.write("data/a/1.txt", "A1\n");
    assert_eq!(changes(&p), ["modified data/a/1.txt"]);
    let a = p.mlx(&["watch", "status"]).success();
    assert_eq!(stdout(&a), "no watcher runs here\n");
}

#[test]
fn files_in_the_watch_folder_that_are_symlinks_are_never_written_through() {
    let p = project();
    let outside = p.outside();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), "keep\n").unwrap();
    std::fs::create_dir(p.path(".mlx/watch")).unwrap();
    std::os::unix::fs::symlink(outside.join("victim"), p.path(".mlx/watch/log")).unwrap();
    let a = p.mlx(&["watch", "start"]).code(3);
    assert!(stderr(&a).contains(".mlx/watch/log"), "{}", stderr(&a));
    assert_eq!(std::fs::read_to_string(outside.join("victim")).unwrap(), "keep\n");

    std::fs::remove_file(p.path(".mlx/watch/log")).unwrap();
    std::os::unix::fs::symlink(outside.join("victim"), p.path(".mlx/watch/lock")).unwrap();
    p.mlx_cmd().args(["watch", "run"]).timeout(Duration::from_secs(20)).assert().code(3);
    assert_eq!(std::fs::read_to_string(outside.join("victim")).unwrap(), "keep\n");
}

fn kill(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill").args([signal, &pid.to_string()]).status().unwrap();
    assert!(ok.success());
}

/// `cp -a`: the same names, bytes, modes and mtimes, in new inodes.
fn copy_tree(from: &Path, to: &Path) {
    let ok = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(ok.success());
}

#[test]
fn checkout_asks_the_watcher_and_restores_what_changed() {
    let p = project();
    p.write("other/z.txt", "z\n");
    let w = Watcher::start(&p);
    settle(&p, &w, "other");
    settle(&p, &w, "data");
    p.write("data/a/1.txt", "edited\n");
    let before = w.unchanged_answers();
    p.mlx(&["checkout", "--force"]).success();
    // `other` was answered unchanged (no walk); `data` was found changed and restored.
    assert_eq!(w.unchanged_answers(), before + 1);
    assert_eq!(p.read_string("data/a/1.txt"), "a1\n");
    assert_eq!(changes(&p), Vec::<String>::new());
}

#[test]
fn core_watch_makes_status_start_the_watcher_once() {
    let p = project();
    std::fs::write(p.path(".mlx/config.local.toml"), "[core]\nwatch = true\n").unwrap();
    let a = p.mlx(&["status"]).success();
    assert!(stderr(&a).contains("started the watcher ([core] watch = true; pid"), "{}", stderr(&a));
    let info = p.json(&["watch", "status"]);
    assert_eq!(info["running"], true, "{info}");
    let w = Watcher { p: &p, pid: u32::try_from(info["pid"].as_u64().unwrap()).unwrap() };
    // Running already: nothing said, and the next status is answered by it.
    let a = p.mlx(&["status"]).success();
    assert!(!stderr(&a).contains("started the watcher"), "{}", stderr(&a));
    assert!(w.unchanged_answers() >= 1, "{}", w.info());
    p.write("data/b/1.txt", "edited\n");
    assert_eq!(changes(&p), ["modified data/b/1.txt"]);
}

#[test]
fn a_tracked_folder_missing_when_first_asked_about_is_watched_once_back() {
    let p = project();
    std::fs::rename(p.path("data"), p.path("aside")).unwrap();
    let w = Watcher::start(&p);
    assert_eq!(changes(&p), ["missing data"]);
    std::fs::write(p.path("data"), "a file where the folder was\n").unwrap();
    p.mlx(&["status"]).success();
    p.remove("data");
    std::fs::rename(p.path("aside"), p.path("data")).unwrap();
    assert_eq!(changes(&p), Vec::<String>::new());
    let before = w.unchanged_answers();
    assert_eq!(changes(&p), Vec::<String>::new());
    assert!(w.unchanged_answers() > before, "{}", w.info());
    p.write("data/a/3.txt", "A3\n");
    assert_eq!(changes(&p), ["modified data/a/3.txt"]);
}

#[test]
fn doctor_reports_the_watcher_only_where_it_is_used() {
    let p = project();
    let watcher_checks = |json: &serde_json::Value| -> Vec<serde_json::Value> {
        let checks = json["checks"].as_array().unwrap();
        checks.iter().filter(|c| c["section"] == "watcher").cloned().collect()
    };
    let doctor = || -> serde_json::Value {
        let out = p.mlx_cmd().args(["doctor", "--json", "--no-remotes"]).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(watcher_checks(&doctor()), Vec::<serde_json::Value>::new());

    let w = Watcher::start(&p);
    settle(&p, &w, "data");
    let checks = watcher_checks(&doctor());
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0]["status"], "ok");
    let detail = checks[0]["detail"].as_str().unwrap();
    assert!(detail.starts_with(&format!("pid {}, ", w.pid)), "{detail}");
    let info = w.info();
    let saved = info["unchanged_answers"].as_u64().unwrap();
    assert!(saved >= 1);
    let walks = if saved == 1 { "walk" } else { "walks" };
    assert!(detail.ends_with(&format!(", {saved} {walks} saved")), "{detail}");
    drop(w);

    std::fs::remove_dir_all(p.path(".mlx/watch")).unwrap();
    std::os::unix::fs::symlink(p.outside(), p.path(".mlx/watch")).unwrap();
    let checks = watcher_checks(&doctor());
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0]["status"], "fail");
    assert!(checks[0]["hint"].as_str().unwrap().contains("remove .mlx/watch"));
}
