use super::*;
use crate::tracking::query::Key;
use crate::tracking::runs::{self, NewRun};

fn db() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
    (dir, conn)
}

fn new_exp(name: Option<&str>) -> NewExperiment {
    NewExperiment {
        name: name.map(str::to_owned),
        kind: Kind::Pipeline,
        git: GitInfo { commit: Some("c".repeat(40)), ..GitInfo::default() },
        overrides: Vec::new(),
        workspace: None,
        host: "h".into(),
        user: "u".into(),
        pid: Some(1),
        queued: false,
    }
}

fn stage_run(conn: &mut Connection, exp: &RunId, stage: &str) -> RunId {
    let run = NewRun {
        name: Some(stage.into()),
        command: vec!["true".into()],
        cwd: ".".into(),
        git: GitInfo::default(),
        host: "h".into(),
        user: "u".into(),
        pid: 1,
        params: vec![("lr".into(), "0.1".into())],
        tags: vec![],
        experiment: Some(exp.clone()),
    };
    let id = runs::start(conn, &run, now_millis()).unwrap();
    crate::tracking::run_cache::set_stage(conn, &id, stage, exp.as_str()).unwrap();
    runs::finish(conn, &id, runs::Status::Finished, Some(0), now_millis()).unwrap();
    id
}

fn entry(stage: &str, outcome: StageOutcome, run: Option<&RunId>, hash: &str) -> StageEntry {
    StageEntry {
        stage: stage.into(),
        outcome,
        run: run.cloned(),
        entry_hash: Some(hash.into()),
        outs: None,
    }
}

#[test]
fn names_are_unique_and_chosen_names_refused_when_taken() {
    let (_d, mut conn) = db();
    let a = begin(&mut conn, &new_exp(Some("baseline"))).unwrap();
    assert_eq!(a.name, "baseline");
    let err = begin(&mut conn, &new_exp(Some("baseline"))).unwrap_err();
    assert!(matches!(err, Error::NameTaken { .. }), "{err}");
    let b = begin(&mut conn, &new_exp(None)).unwrap();
    assert!(b.name.starts_with("exp-") && b.name.len() == 9, "{}", b.name);
    // A command run's experiment takes the run's name, numbered when taken.
    let run = NewRun {
        name: Some("baseline".into()),
        command: vec![],
        cwd: ".".into(),
        git: GitInfo::default(),
        host: "h".into(),
        user: "u".into(),
        pid: 1,
        params: vec![],
        tags: vec![],
        experiment: None,
    };
    let id = runs::start(&mut conn, &run, 5).unwrap();
    let (name, kind): (String, String) = conn
        .query_row("SELECT name, kind FROM experiments WHERE id = ?1", [id.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((name.as_str(), kind.as_str()), ("baseline-2", "command"));
    runs::finish(&conn, &id, runs::Status::Failed, Some(1), 9).unwrap();
    let status: String = conn
        .query_row("SELECT status FROM experiments WHERE id = ?1", [id.as_str()], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "failed");
}

#[test]
fn up_to_date_stages_point_at_the_run_an_earlier_experiment_recorded() {
    let (_d, mut conn) = db();
    let first = begin(&mut conn, &new_exp(None)).unwrap();
    let train = stage_run(&mut conn, &first.id, "train");
    let conclusion = Conclusion {
        status: Status::Finished,
        lock_hash: Some("L1".into()),
        stages: vec![entry("train", StageOutcome::Ran, Some(&train), "E1")],
        keep: false,
    };
    assert!(conclude(&mut conn, &first.id, &conclusion).unwrap());
    // The same pipeline again, on another commit: nothing runs, the stage points at the run.
    let mut other = new_exp(None);
    other.git.commit = Some("d".repeat(40));
    let second = begin(&mut conn, &other).unwrap();
    let conclusion = Conclusion {
        status: Status::Finished,
        lock_hash: Some("L1".into()),
        stages: vec![entry("train", StageOutcome::UpToDate, None, "E1")],
        keep: false,
    };
    assert!(conclude(&mut conn, &second.id, &conclusion).unwrap());
    let stages = stages_of(&conn, &[&second.id]).unwrap();
    let row = &stages[second.id.as_str()][0];
    assert_eq!(
        (row.run.as_ref(), row.own, row.outcome.as_str()),
        (Some(&train), false, "up_to_date")
    );
    let mut listed = list::records(&conn, std::slice::from_ref(&second.id)).unwrap();
    list::fold(&mut listed);
    assert_eq!(listed[0].params["lr"], "0.1");
    // Once more on that commit: nothing new to say, so nothing is recorded.
    let third = begin(&mut conn, &other).unwrap();
    assert!(!conclude(&mut conn, &third.id, &conclusion).unwrap());
    assert!(list::records(&conn, &[third.id]).unwrap().is_empty());
}

#[test]
fn keys_stages_disagree_on_are_shown_per_stage() {
    let (_d, mut conn) = db();
    let e = begin(&mut conn, &new_exp(None)).unwrap();
    let train = stage_run(&mut conn, &e.id, "train");
    let eval = stage_run(&mut conn, &e.id, "evaluate");
    let point = |key, value| runs::Point { key, value, step: 0, timestamp: 0 };
    runs::log_metrics(&mut conn, &train, &[point("acc", 0.99), point("loss", 0.1)]).unwrap();
    runs::log_metrics(&mut conn, &eval, &[point("acc", 0.7)]).unwrap();
    let mut listed = list::records(&conn, std::slice::from_ref(&e.id)).unwrap();
    let staged = list::fold(&mut listed);
    assert_eq!(staged.len(), 2);
    let metrics: Vec<&str> = listed[0].metrics.keys().map(Key::as_str).collect();
    assert_eq!(metrics, ["evaluate:acc", "loss", "train:acc"]);
    assert_eq!(listed[0].params.keys().map(Key::as_str).collect::<Vec<_>>(), ["lr"]);
}

#[test]
fn dead_experiments_are_reaped_and_ids_resolve() {
    let (_d, mut conn) = db();
    let e = begin(&mut conn, &new_exp(Some("sweep"))).unwrap();
    let run = stage_run(&mut conn, &e.id, "train");
    assert!(reap_dead(&conn, "h", |_| true).unwrap().is_empty());
    assert_eq!(reap_dead(&conn, "h", |_| false).unwrap(), vec![e.id.clone()]);
    assert_eq!(resolve(&conn, "sweep").unwrap(), Subject::Experiment(e.id.clone()));
    assert_eq!(resolve(&conn, e.id.as_str()).unwrap(), Subject::Experiment(e.id.clone()));
    assert_eq!(resolve(&conn, run.as_str()).unwrap(), Subject::Run(run.clone()));
    assert_eq!(resolve_experiment(&conn, run.as_str()).unwrap(), e.id);
    let Err(Error::UnknownExperiment { closest, .. }) = resolve(&conn, "swep") else {
        panic!("expected an unknown experiment")
    };
    assert_eq!(closest.as_deref(), Some("sweep"));
}

#[test]
fn runs_from_before_experiments_are_grouped_by_pipeline_run() {
    let (_d, conn) = db();
    conn.execute_batch(
        "INSERT INTO experiments (id, name, kind, git_dirty, status, created, host, user)
             VALUES ('zzzzzzzzzzzz', 'x', 'command', 0, 'finished', 't', 'h', 'u');
         INSERT INTO runs (id, name, command, cwd, git_dirty, status, start_time, end_time,
             host, user, mlx_version, stage, pipeline_run)
         VALUES ('000000000001', 'prepare', '[]', '.', 0, 'finished', '2026-01-01T00:00:00.000Z',
                 '2026-01-01T00:00:01.000Z', 'h', 'u', '0', 'prepare', 'p00000000001'),
                ('000000000002', 'train', '[]', '.', 0, 'failed', '2026-01-01T00:00:02.000Z',
                 '2026-01-01T00:00:03.000Z', 'h', 'u', '0', 'train', 'p00000000001'),
                ('000000000003', 'adhoc', '[]', '.', 1, 'finished', '2026-01-01T00:00:04.000Z',
                 '2026-01-01T00:00:05.000Z', 'h', 'u', '0', NULL, NULL);",
    )
    .unwrap();
    backfill(&conn).unwrap();
    let rows: Vec<(String, String, String, String)> = conn
        .prepare(
            "SELECT id, name, kind, status FROM experiments WHERE id != 'zzzzzzzzzzzz' ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("000000000003", "adhoc"));
    assert_eq!(rows[0].2, "command");
    assert_eq!(
        (rows[1].0.as_str(), rows[1].2.as_str(), rows[1].3.as_str()),
        ("p00000000001", "pipeline", "failed")
    );
    assert!(rows[1].1.starts_with("exp-"));
    let stages = stages_of(&conn, &[&RunId::from_db("p00000000001".into())]).unwrap();
    let got: Vec<(String, String)> =
        stages["p00000000001"].iter().map(|s| (s.stage.clone(), s.outcome.clone())).collect();
    assert_eq!(got, [("prepare".into(), "ran".into()), ("train".into(), "failed".into())]);
}

#[test]
fn reading_whole_tables_finds_what_looking_up_each_experiment_finds() {
    let (_d, mut conn) = db();
    let point = |key, value| runs::Point { key, value, step: 0, timestamp: 0 };
    // A pipeline whose stages both ran.
    let first = begin(&mut conn, &new_exp(Some("first"))).unwrap();
    let train = stage_run(&mut conn, &first.id, "train");
    let eval = stage_run(&mut conn, &first.id, "evaluate");
    runs::log_metrics(&mut conn, &train, &[point("loss", 0.5)]).unwrap();
    runs::log_metrics(&mut conn, &eval, &[point("acc", 0.7), point("loss", 0.25)]).unwrap();
    let ran = |stage, run| entry(stage, StageOutcome::Ran, Some(run), stage);
    let conclusion = Conclusion {
        status: Status::Finished,
        lock_hash: Some("L1".into()),
        stages: vec![ran("train", &train), ran("evaluate", &eval)],
        keep: false,
    };
    assert!(conclude(&mut conn, &first.id, &conclusion).unwrap());
    // One whose train was up to date (its run is first's), and whose evaluate ran.
    let second = begin(&mut conn, &new_exp(Some("second"))).unwrap();
    let eval2 = stage_run(&mut conn, &second.id, "evaluate");
    runs::log_metrics(&mut conn, &eval2, &[point("acc", 0.9)]).unwrap();
    let conclusion = Conclusion {
        status: Status::Finished,
        lock_hash: Some("L2".into()),
        stages: vec![
            entry("train", StageOutcome::UpToDate, Some(&train), "train"),
            ran("evaluate", &eval2),
            entry(
                "prepare",
                StageOutcome::NotRun,
                Some(&RunId::from_db("gone0000000x".into())),
                "p",
            ),
        ],
        keep: false,
    };
    assert!(conclude(&mut conn, &second.id, &conclusion).unwrap());
    // A command's experiment, and one that is only begun.
    let run = NewRun {
        name: Some("adhoc".into()),
        command: vec![],
        cwd: ".".into(),
        git: GitInfo::default(),
        host: "h".into(),
        user: "u".into(),
        pid: 1,
        params: vec![("seed".into(), "3".into())],
        tags: vec![],
        experiment: None,
    };
    let adhoc = runs::start(&mut conn, &run, now_millis()).unwrap();
    runs::log_metrics(&mut conn, &adhoc, &[point("acc", 0.1)]).unwrap();
    let begun = begin(&mut conn, &new_exp(Some("begun"))).unwrap();
    let ids = [first.id, second.id, adhoc, begun.id];
    let read = |scan| {
        let mut found = list::records_read(&conn, &ids, Some(scan)).unwrap();
        list::fold(&mut found);
        found
            .into_iter()
            .map(|e| {
                let mut stages = e.stages.clone();
                stages.sort_by(|a, b| a.stage.cmp(&b.stage));
                (e.name, stages, e.params, e.metrics)
            })
            .collect::<Vec<_>>()
    };
    let looked_up = read(false);
    assert_eq!(read(true), looked_up);
    let second = &looked_up[1];
    assert_eq!(second.2["lr"], "0.1");
    let metrics: Vec<(&str, f64)> = second.3.iter().map(|(k, v)| (k.as_str(), v.0)).collect();
    // `first`'s stages disagree on loss: it is per stage in every experiment listed with it.
    assert_eq!(metrics, [("acc", 0.9), ("train:loss", 0.5)]);
    let own: Vec<(&str, bool)> = second.1.iter().map(|s| (s.stage.as_str(), s.own)).collect();
    assert_eq!(own, [("evaluate", true), ("prepare", false), ("train", false)]);
    assert_eq!(looked_up[2].2["seed"], "3");
    assert!(looked_up[3].1.is_empty() && looked_up[3].3.is_empty());
}
