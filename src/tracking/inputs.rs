//! A run's inputs (provenance): the tracked data and stage deps it read, each with the hash of
//! its content when the run started and, for data `mlx add` tracks, the hash its pointer names.
//! `mlx exp show` answers "which data version did this run (or experiment) use" from them; run
//! records carry them to remotes. All SQL about the `run_inputs` table lives here.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::db::Error;
use super::run_id::RunId;

/// Why a path is among a run's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// A dependency of the stage the run executed (as `mlx.lock` records it).
    Dep,
    /// Data tracked by a pointer when `mlx run -- CMD` started.
    Data,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Dep => "dep",
            InputKind::Data => "data",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "dep" => Some(InputKind::Dep),
            "data" => Some(InputKind::Data),
            _ => None,
        }
    }
}

/// How an input compared with its pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputState {
    Unchanged,
    /// The content differed from what the pointer names: the run is dirty.
    Modified,
    Missing,
}

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunInput {
    /// Project-relative path.
    pub path: String,
    pub kind: InputKind,
    /// BLAKE3 of the content read (a manifest for a folder); absent when it was missing.
    pub hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The number of files of a folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// The hash its `PATH.mlx` pointer names, when `mlx add` tracks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer_hash: Option<String>,
}

impl RunInput {
    /// Compared with its pointer; `None` for paths no pointer tracks.
    pub fn state(&self) -> Option<InputState> {
        let pointer = self.pointer_hash.as_ref()?;
        Some(match &self.hash {
            None => InputState::Missing,
            Some(h) if h == pointer => InputState::Unchanged,
            Some(_) => InputState::Modified,
        })
    }
}

/// Record the inputs of run `id` (an input already recorded keeps its row).
pub fn record(conn: &Connection, id: &RunId, inputs: &[RunInput]) -> Result<(), Error> {
    if inputs.is_empty() {
        return Ok(());
    }
    let tx = if conn.is_autocommit() { Some(conn.unchecked_transaction()?) } else { None };
    {
        let mut insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO run_inputs (run_id, path, kind, hash, size, files, pointer_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for i in inputs {
            insert.execute(params![
                id.as_str(),
                i.path,
                i.kind.as_str(),
                i.hash,
                i.size.and_then(|s| i64::try_from(s).ok()),
                i.files.and_then(|f| i64::try_from(f).ok()),
                i.pointer_hash,
            ])?;
        }
    }
    if let Some(tx) = tx {
        tx.commit()?;
    }
    Ok(())
}

/// The inputs of run `id`, by path.
pub fn of_run(conn: &Connection, id: &RunId) -> Result<Vec<RunInput>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, kind, hash, size, files, pointer_hash FROM run_inputs WHERE run_id = ?1
         ORDER BY path",
    )?;
    let rows = stmt.query_map([id.as_str()], row_to_input)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A `run_inputs` row from `path, kind, hash, size, files, pointer_hash` at column `0..6`.
pub(crate) fn row_to_input(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunInput> {
    let kind: String = r.get(1)?;
    Ok(RunInput {
        path: r.get(0)?,
        kind: InputKind::parse(&kind).unwrap_or(InputKind::Data),
        hash: r.get(2)?,
        size: r.get::<_, Option<i64>>(3)?.and_then(|s| u64::try_from(s).ok()),
        files: r.get::<_, Option<i64>>(4)?.and_then(|f| u64::try_from(f).ok()),
        pointer_hash: r.get(5)?,
    })
}

/// An input of an experiment: what one of its stage runs read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageInput {
    /// The stage whose run read it.
    pub stage: Option<String>,
    pub run: RunId,
    #[serde(flatten)]
    pub input: RunInput,
}

/// What `runs` (the runs behind an experiment's stages, in order) read from outside them: their
/// inputs but the deps another of them produced (at, inside or holding one of its artifacts),
/// each path once (as the first run that read it found it).
pub fn from_outside(
    conn: &Connection,
    runs: &[(Option<String>, RunId)],
) -> Result<Vec<StageInput>, Error> {
    let mut produced: Vec<(RunId, String)> = Vec::new();
    for (_, run) in runs {
        for a in super::artifacts::of_run(conn, run)? {
            if a.kind != super::artifacts::LOG_KIND {
                produced.push((run.clone(), a.path));
            }
        }
    }
    let related = |a: &str, b: &str| {
        a == b
            || a.strip_prefix(b).is_some_and(|r| r.starts_with('/'))
            || b.strip_prefix(a).is_some_and(|r| r.starts_with('/'))
    };
    let mut out: Vec<StageInput> = Vec::new();
    for (stage, run) in runs {
        for input in of_run(conn, run)? {
            let inside = input.kind == InputKind::Dep
                && produced.iter().any(|(by, path)| by != run && related(&input.path, path));
            if inside || out.iter().any(|o| o.input.path == input.path) {
                continue;
            }
            out.push(StageInput { stage: stage.clone(), run: run.clone(), input });
        }
    }
    Ok(out)
}

/// The inputs of an experiment's runs (its stages', by stage) or of one run, named as
/// `mlx exp show` takes them (name, id or unique prefix).
pub fn of_experiment_or_run(conn: &Connection, text: &str) -> Result<Vec<RunInput>, Error> {
    use super::experiments::{Subject, resolve};
    let runs: Vec<RunId> = match resolve(conn, text)? {
        Subject::Run(id) => vec![id],
        Subject::Experiment(id) => conn
            .prepare_cached(
                "SELECT run_id FROM experiment_runs WHERE experiment_id = ?1 ORDER BY stage, run_id",
            )?
            .query_map([id.as_str()], |r| r.get::<_, String>(0))?
            .map(|r| r.map(RunId::from_db))
            .collect::<Result<_, _>>()?,
    };
    let mut out = Vec::new();
    for id in runs {
        out.extend(of_run(conn, &id)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::runs::{self, NewRun};

    #[test]
    fn inputs_round_trip_and_compare_with_their_pointers() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let run = NewRun {
            name: None,
            command: vec!["true".into()],
            cwd: ".".into(),
            git: runs::GitInfo::default(),
            host: "h".into(),
            user: "u".into(),
            pid: 1,
            params: Vec::new(),
            tags: Vec::new(),
            experiment: None,
        };
        let id = runs::start(&mut conn, &run, 1_700_000_000_000).unwrap();
        let h = |c: char| Some(c.to_string().repeat(64));
        let input = |path: &str, hash, pointer_hash| RunInput {
            path: path.into(),
            kind: InputKind::Data,
            hash,
            size: Some(3),
            files: None,
            pointer_hash,
        };
        let all = vec![
            input("b.csv", h('b'), h('c')),
            input("a.csv", h('a'), h('a')),
            input("gone", None, h('d')),
            RunInput {
                kind: InputKind::Dep,
                pointer_hash: None,
                ..input("train.py", h('e'), None)
            },
        ];
        record(&conn, &id, &all).unwrap();
        record(&conn, &id, &all[..1]).unwrap();
        let back = of_run(&conn, &id).unwrap();
        let paths: Vec<&str> = back.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["a.csv", "b.csv", "gone", "train.py"]);
        let states: Vec<Option<InputState>> = back.iter().map(RunInput::state).collect();
        assert_eq!(
            states,
            [
                Some(InputState::Unchanged),
                Some(InputState::Modified),
                Some(InputState::Missing),
                None
            ]
        );
        assert_eq!(back[3], all[3]);
    }
}
