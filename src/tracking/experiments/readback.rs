//! What `mlx exp log` and `mlx exp get` read back: the run a text names, or the runs behind an
//! experiment's stages (the runs it made, and for stages that were up to date or restored, the
//! runs whose results it shows), in the pipeline's order, optionally narrowed to one stage.

use rusqlite::{Connection, OptionalExtension};

use super::resolve::{Subject, resolve};
use super::{of_run, stage_run, stages_with_runs};
use crate::tracking::db::Error;
use crate::tracking::run_id::RunId;

/// A run to read back, with the stage it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRun {
    /// The stage it executed; `None` for a command's run.
    pub stage: Option<String>,
    pub run: RunId,
    /// Whether it ran in the experiment named (rather than earlier, its results shown by it).
    /// Always true for a run named directly.
    pub own: bool,
    /// How the stage ended up in the experiment (`ran`, `restored`, `up_to_date`, …); `None`
    /// for a run named directly, and while the experiment runs.
    pub outcome: Option<String>,
}

/// The experiment a text named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub id: RunId,
    pub name: String,
}

/// The runs a text names for reading back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBack {
    /// The experiment named, for a pipeline's experiment; `None` for a run (a command's
    /// experiment is its run, named as a run).
    pub experiment: Option<Named>,
    /// One run for a run; for an experiment, the run behind each stage that has one, in
    /// `order`, then the stages `order` lacks by run id.
    pub runs: Vec<StageRun>,
}

/// Resolve `text` (an experiment's name, id or unique prefix; a run's id, prefix or name) into
/// the runs to read back; `stage` narrows an experiment to the run of that stage (or of the
/// stages of that `foreach`/`matrix` group). `order` is
/// the pipeline's stage names in execution order (empty when it cannot be read).
pub fn readback(
    conn: &Connection,
    text: &str,
    stage: Option<&str>,
    order: &[String],
) -> Result<ReadBack, Error> {
    let id = match resolve(conn, text)? {
        Subject::Run(run) => return single(conn, run, stage),
        Subject::Experiment(id) => id,
    };
    let (name, kind): (String, String) = conn
        .query_row("SELECT name, kind FROM experiments WHERE id = ?1", [id.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or_else(|| Error::UnknownExperiment { text: text.to_owned(), closest: None })?;
    if kind == super::Kind::Command.as_str() && super::is_command_run(conn, &id)? {
        // A command's experiment is its run, as it always was.
        return single(conn, id, stage);
    }
    let mut runs = Vec::new();
    for s in stages_with_runs(conn, &id)? {
        if let Some(run) = stage_run(conn, &id, &s)? {
            let own = of_run(conn, &run)?.as_ref() == Some(&id);
            let outcome = conn
                .query_row(
                    "SELECT outcome FROM experiment_stages WHERE experiment_id = ?1 AND stage = ?2",
                    [id.as_str(), s.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            runs.push(StageRun { stage: Some(s), run, own, outcome });
        }
    }
    let position = |r: &StageRun| {
        let s = r.stage.as_deref().unwrap_or("");
        order.iter().position(|o| o == s).unwrap_or(usize::MAX)
    };
    runs.sort_by(|a, b| position(a).cmp(&position(b)).then_with(|| a.run.cmp(&b.run)));
    if let Some(wanted) = stage {
        let known: Vec<String> = runs.iter().filter_map(|r| r.stage.clone()).collect();
        // A `foreach`/`matrix` group's name picks every stage of the group (`train@…`).
        let group = format!("{wanted}@");
        runs.retain(|r| {
            r.stage.as_deref().is_some_and(|s| s == wanted || s.starts_with(group.as_str()))
        });
        if runs.is_empty() {
            let hint = match crate::text::closest(wanted, known.iter().map(String::as_str)) {
                Some(c) => format!(" (did you mean {c}?)"),
                None if known.is_empty() => String::new(),
                None => format!(" (its stages: {})", known.join(", ")),
            };
            return Err(Error::Invalid(format!(
                "experiment {name} has no run of stage {wanted}{hint}"
            )));
        }
    }
    Ok(ReadBack { experiment: Some(Named { id, name }), runs })
}

/// One run, named directly; `stage`, when given, must be the stage it ran.
fn single(conn: &Connection, run: RunId, stage: Option<&str>) -> Result<ReadBack, Error> {
    let ran: Option<String> = conn
        .query_row("SELECT stage FROM runs WHERE id = ?1", [run.as_str()], |r| r.get(0))
        .optional()?
        .flatten();
    if let Some(wanted) = stage
        && ran.as_deref() != Some(wanted)
    {
        let what = match &ran {
            Some(s) => format!("a run of stage {s}"),
            None => "not a stage's run".to_owned(),
        };
        return Err(Error::Invalid(format!(
            "--stage {wanted}: run {run} is {what}; --stage picks a stage of an experiment"
        )));
    }
    Ok(ReadBack {
        experiment: None,
        runs: vec![StageRun { stage: ran, run, own: true, outcome: None }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::experiments::{
        Conclusion, Kind, NewExperiment, StageEntry, StageOutcome, Status, begin, conclude,
    };
    use crate::tracking::runs::{self, GitInfo, NewRun};

    fn stage_run(conn: &mut Connection, exp: &RunId, stage: &str, at: i64) -> RunId {
        let run = NewRun {
            name: Some(stage.into()),
            command: vec!["true".into()],
            cwd: ".".into(),
            git: GitInfo::default(),
            host: "h".into(),
            user: "u".into(),
            pid: 1,
            params: vec![],
            tags: vec![],
            experiment: Some(exp.clone()),
        };
        let id = runs::start(conn, &run, at).unwrap();
        crate::tracking::run_cache::set_stage(conn, &id, stage, exp.as_str()).unwrap();
        runs::finish(conn, &id, runs::Status::Finished, Some(0), at + 1).unwrap();
        id
    }

    fn experiment(conn: &mut Connection, name: &str) -> RunId {
        let new = NewExperiment {
            name: Some(name.into()),
            kind: Kind::Pipeline,
            git: GitInfo::default(),
            overrides: Vec::new(),
            workspace: None,
            host: "h".into(),
            user: "u".into(),
            pid: Some(1),
            queued: false,
        };
        begin(conn, &new).unwrap().id
    }

    #[test]
    fn an_experiments_runs_come_in_pipeline_order_and_stages_pick_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let first = experiment(&mut conn, "first");
        let prep = stage_run(&mut conn, &first, "prep", 1_000);
        let second = experiment(&mut conn, "second");
        let rf = stage_run(&mut conn, &second, "train@rf", 2_000);
        let gbm = stage_run(&mut conn, &second, "train@gbm", 3_000);
        let entry = |stage: &str, outcome, run: &RunId| StageEntry {
            stage: stage.into(),
            outcome,
            run: Some(run.clone()),
            entry_hash: None,
            outs: None,
        };
        let conclusion = Conclusion {
            status: Status::Finished,
            lock_hash: None,
            stages: vec![
                entry("prep", StageOutcome::UpToDate, &prep),
                entry("train@rf", StageOutcome::Ran, &rf),
                entry("train@gbm", StageOutcome::Ran, &gbm),
            ],
            keep: true,
        };
        conclude(&mut conn, &second, &conclusion).unwrap();
        let order: Vec<String> = ["prep", "train@gbm", "train@rf"].map(String::from).to_vec();
        let got = readback(&conn, "second", None, &order).unwrap();
        assert_eq!(got.experiment.as_ref().map(|e| e.name.as_str()), Some("second"));
        let runs: Vec<(&str, &RunId, bool, Option<&str>)> = got
            .runs
            .iter()
            .map(|r| (r.stage.as_deref().unwrap(), &r.run, r.own, r.outcome.as_deref()))
            .collect();
        assert_eq!(
            runs,
            [
                ("prep", &prep, false, Some("up_to_date")),
                ("train@gbm", &gbm, true, Some("ran")),
                ("train@rf", &rf, true, Some("ran"))
            ]
        );
        // Without the pipeline's order: by run id.
        let got = readback(&conn, "second", None, &[]).unwrap();
        let ids: Vec<&RunId> = got.runs.iter().map(|r| &r.run).collect();
        assert_eq!(ids, [&prep, &rf, &gbm]);
        // A group's name picks its stages; a stage no run has is refused with the closest.
        let got = readback(&conn, "second", Some("train"), &order).unwrap();
        assert_eq!(got.runs.len(), 2);
        let got = readback(&conn, "second", Some("train@rf"), &order).unwrap();
        assert_eq!(got.runs.len(), 1);
        let err = readback(&conn, "second", Some("prap"), &order).unwrap_err();
        assert_eq!(
            err.to_string(),
            "experiment second has no run of stage prap (did you mean prep?)"
        );
        // A run named directly is that run; --stage must be its stage.
        let got = readback(&conn, rf.as_str(), None, &order).unwrap();
        assert_eq!(got.experiment, None);
        assert_eq!(
            got.runs,
            [StageRun {
                stage: Some("train@rf".into()),
                run: rf.clone(),
                own: true,
                outcome: None
            }]
        );
        assert!(readback(&conn, rf.as_str(), Some("train@rf"), &order).is_ok());
        let err = readback(&conn, rf.as_str(), Some("prep"), &order).unwrap_err();
        assert!(err.to_string().contains("is a run of stage train@rf"), "{err}");
    }
}
