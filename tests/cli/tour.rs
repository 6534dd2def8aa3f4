//! The README's five-minute tour, run exactly as written: the shell block under "A five-minute
//! tour" is extracted from README.md and run with bash (`set -euo pipefail`), with the mlx under
//! test first on PATH. A README edit that breaks the tour breaks this test.

use crate::support::TestProject;

const README: &str = include_str!("../../README.md");

/// The first ```sh block after the tour's heading.
fn tour_script() -> &'static str {
    let section = &README[README.find("## A five-minute tour").expect("the tour heading")..];
    let start = section.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let end = section[start..].find("\n```").expect("the block's end");
    &section[start..=start + end]
}

#[test]
fn the_readme_tour_runs_as_written() {
    let p = TestProject::new();
    let base = p.temp_dir().join("tour");
    std::fs::create_dir_all(&base).unwrap();
    let script = format!("set -euo pipefail\n{}", tour_script());
    let out = p.command_in("bash", &base).args(["-c", &script]).output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the tour failed:\n{stdout}\n{stderr}");

    let tour = base.join("mlx-tour");
    // The teammate's clone has the data and the stage outputs of lr=0.1, without rerunning.
    let mate = tour.join("teammate");
    assert_eq!(std::fs::read_to_string(mate.join("model.txt")).unwrap(), "weights for lr=0.1\n");
    assert_eq!(
        std::fs::read_to_string(mate.join("data/numbers.txt")).unwrap().lines().count(),
        1000
    );
    // The runs made in demo are listed in the clone: the first run and the lr=0.2 one.
    let db = rusqlite::Connection::open(mate.join(".mlx/mlx.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT p.value FROM runs r JOIN params p ON p.run_id = r.id WHERE p.key = 'train.lr' ORDER BY r.id")
        .unwrap();
    let lrs: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert_eq!(lrs, ["0.1", "0.2"], "{stdout}");
    // The shared folder holds the cache layout.
    let storage = tour.join("storage");
    assert!(std::fs::read_dir(&storage).unwrap().count() > 3);
    assert!(storage.join("runs").is_dir());
    // Nothing ran in the clone: its runs are exactly demo's.
    let ids = |db: &rusqlite::Connection| -> Vec<String> {
        let mut stmt = db.prepare("SELECT id FROM runs ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let demo = rusqlite::Connection::open(tour.join("demo/.mlx/mlx.db")).unwrap();
    assert_eq!(ids(&db), ids(&demo));
}
