//! Finding a run from what a user typed: a full id, a name that exactly one run has, or a
//! unique prefix of an id; when nothing matches, the closest ids and names, so a typo is one
//! step from the right command. Also the runs that shell completion offers.

use rusqlite::{Connection, params};

use super::db::Error as DbError;
use super::run_id::{self, RunId};
use super::runs;

/// How many close runs an unknown run's message suggests.
const SUGGESTED: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no run has the id or name {text:?}{}", did_you_mean(.closest))]
    NoSuchRun { text: String, closest: Vec<String> },
    #[error("{name:?} is the name of {} runs ({}); give an id instead", .candidates.len(), .candidates.join(", "))]
    AmbiguousName { name: String, candidates: Vec<String> },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl LookupError {
    /// Whether the user's input is at fault (exit 2) rather than the database (exit 3).
    pub fn is_input_error(&self) -> bool {
        match self {
            LookupError::Db(e) => e.is_input_error(),
            LookupError::NoSuchRun { .. } | LookupError::AmbiguousName { .. } => true,
        }
    }
}

fn did_you_mean(closest: &[String]) -> String {
    match closest {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        many => {
            let (last, rest) = many.split_last().expect("two or more");
            format!("; did you mean {} or {last}?", rest.join(", "))
        }
    }
}

/// The run `text` names: its full id; else the one run with that name; else the one run whose
/// id starts with it (`runs::resolve`).
pub fn resolve(conn: &Connection, text: &str) -> Result<RunId, LookupError> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let as_id = RunId::is_valid_prefix(&lower);
    if as_id
        && lower.len() == run_id::LEN
        && runs::status_of(conn, &RunId::from_db(lower.clone()))?.is_some()
    {
        return Ok(RunId::from_db(lower));
    }
    if !trimmed.is_empty() {
        let named = by_name(conn, trimmed)?;
        match named.len() {
            0 => {}
            1 => return Ok(RunId::from_db(named.into_iter().next().expect("one"))),
            _ => {
                return Err(LookupError::AmbiguousName {
                    name: trimmed.to_owned(),
                    candidates: named,
                });
            }
        }
    }
    if as_id {
        match runs::resolve(conn, &lower) {
            Err(DbError::UnknownRun { .. }) => {}
            other => return Ok(other?),
        }
    }
    Err(LookupError::NoSuchRun { text: trimmed.to_owned(), closest: closest(conn, trimmed)? })
}

/// Ids of the runs named `name`, newest first.
fn by_name(conn: &Connection, name: &str) -> Result<Vec<String>, DbError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM runs WHERE name = ?1 ORDER BY id DESC")?;
    let ids = stmt.query_map(params![name], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Runs whose id or name is close to `text`, as `ID (NAME)`, best first.
pub(crate) fn closest(conn: &Connection, text: &str) -> Result<Vec<String>, DbError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let lower = text.to_ascii_lowercase();
    let mut scored: Vec<(usize, String)> = Vec::new();
    for run in candidates(conn)? {
        // An id is compared over as many characters as were typed (a mistyped prefix).
        let prefix: String = run.id.as_str().chars().take(lower.chars().count()).collect();
        let id_distance = crate::text::edit_distance(&lower, &prefix);
        let name_distance =
            run.name.as_deref().map_or(usize::MAX, |n| crate::text::edit_distance(text, n));
        let distance = id_distance.min(name_distance);
        let limit = (text.chars().count() / 3).max(2);
        if distance <= limit && distance < text.chars().count() {
            scored.push((distance, run.label()));
        }
    }
    scored.sort_by_key(|s| s.0);
    let mut out: Vec<String> = Vec::new();
    for (_, label) in scored {
        if !out.contains(&label) {
            out.push(label);
        }
        if out.len() == SUGGESTED {
            break;
        }
    }
    Ok(out)
}

/// A run as completion and suggestions show it.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub id: RunId,
    pub name: Option<String>,
    pub status: String,
    pub start: String,
}

impl RunSummary {
    /// `01jd4k2m9pqr (baseline)`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} ({n})", self.id),
            None => self.id.to_string(),
        }
    }
}

/// Run `id` in brief, if it exists.
pub fn summary(conn: &Connection, id: &RunId) -> Result<Option<RunSummary>, DbError> {
    use rusqlite::OptionalExtension;
    let mut stmt =
        conn.prepare_cached("SELECT id, name, status, start_time FROM runs WHERE id = ?1")?;
    Ok(stmt.query_row([id.as_str()], row_summary).optional()?)
}

fn row_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    Ok(RunSummary {
        id: RunId::from_db(r.get(0)?),
        name: r.get(1)?,
        status: r.get(2)?,
        start: r.get(3)?,
    })
}

/// How many runs completion offers at most: the newest.
const LISTED: usize = 2000;

/// The newest runs, newest first.
pub fn candidates(conn: &Connection) -> Result<Vec<RunSummary>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, status, start_time FROM runs ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([LISTED as i64], row_summary)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::runs::{GitInfo, NewRun};

    fn run(conn: &mut Connection, name: &str, at: i64) -> RunId {
        let new = NewRun {
            name: Some(name.into()),
            command: vec!["true".into()],
            cwd: ".".into(),
            git: GitInfo::default(),
            host: "h".into(),
            user: "u".into(),
            pid: 1,
            params: vec![],
            tags: vec![],
            experiment: None,
        };
        runs::start(conn, &new, at).unwrap()
    }

    #[test]
    fn ids_names_and_prefixes_resolve_and_typos_are_suggested() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let a = run(&mut conn, "baseline", 1_000);
        let b = run(&mut conn, "wide", 2_000_000_000);
        let c = run(&mut conn, "wide", 3_000_000_000);
        assert_eq!(resolve(&conn, a.as_str()).unwrap(), a);
        assert_eq!(resolve(&conn, &a.as_str()[..9].to_uppercase()).unwrap(), a);
        assert_eq!(resolve(&conn, "baseline").unwrap(), a);
        match resolve(&conn, "wide") {
            Err(LookupError::AmbiguousName { candidates, .. }) => {
                assert_eq!(candidates, vec![c.to_string(), b.to_string()]);
            }
            other => panic!("{other:?}"),
        }
        match resolve(&conn, "baselin") {
            Err(e @ LookupError::NoSuchRun { .. }) => {
                assert!(e.to_string().contains(&format!("did you mean {a} (baseline)?")), "{e}");
                assert!(e.is_input_error());
            }
            other => panic!("{other:?}"),
        }
        match resolve(&conn, "zzzzzzzzzzzzzzzzzzzz") {
            Err(LookupError::NoSuchRun { closest, .. }) => assert!(closest.is_empty()),
            other => panic!("{other:?}"),
        }
    }
}
