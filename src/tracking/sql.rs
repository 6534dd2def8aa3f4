//! `mlx sql`: the user's own SELECT over the documented schema, on a connection that cannot
//! change anything. Four locks, any one of which suffices for writes: the file is opened
//! read-only, `PRAGMA query_only` is on, statements SQLite does not call read-only are refused,
//! and an authorizer denies ATTACH, DETACH and pragmas that set a value.

use std::path::Path;

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde::{Serialize, Serializer};

use super::db::{BUSY_TIMEOUT, Error};
use super::query::MetricValue;

/// A cell of a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    /// As text for tables and CSV: NULL is empty, blobs are UTF-8 when they are, else `x'…'`.
    pub fn display(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Integer(i) => i.to_string(),
            Cell::Real(v) => MetricValue(*v).to_string(),
            Cell::Text(t) => t.clone(),
            Cell::Blob(b) => match std::str::from_utf8(b) {
                Ok(s) => s.to_owned(),
                Err(_) => {
                    format!("x'{}'", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
                }
            },
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Null => s.serialize_none(),
            Cell::Integer(i) => s.serialize_i64(*i),
            Cell::Real(v) => MetricValue(*v).serialize(s),
            Cell::Text(_) | Cell::Blob(_) => s.serialize_str(&self.display()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Why a statement was refused or failed: always the user's SQL at fault.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("mlx sql is read-only: this statement would change the database")]
    NotReadOnly,
    #[error("empty query")]
    Empty,
}

/// Pragmas that take an argument only to name what they describe.
const READ_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
];

fn authorize(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } => Authorization::Deny,
        AuthAction::Pragma { pragma_name, pragma_value: Some(_) }
            if !READ_PRAGMAS.contains(&pragma_name.to_ascii_lowercase().as_str()) =>
        {
            Authorization::Deny
        }
        _ => Authorization::Allow,
    }
}

/// Open the database at `path` so that no statement can change it.
pub fn open_read_only(path: &Path) -> Result<Connection, Error> {
    let open_err = |source| Error::Open { path: path.to_path_buf(), source };
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    conn.pragma_update(None, "query_only", true).map_err(open_err)?;
    conn.authorizer(Some(authorize)).map_err(open_err)?;
    Ok(conn)
}

/// Run one statement and collect its result.
pub fn query(conn: &Connection, sql: &str) -> Result<QueryResult, SqlError> {
    if sql.trim().trim_end_matches(';').trim().is_empty() {
        return Err(SqlError::Empty);
    }
    let mut stmt = conn.prepare(sql)?;
    if !stmt.readonly() {
        return Err(SqlError::NotReadOnly);
    }
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let n = columns.len();
    let mut rows = Vec::new();
    let mut cursor = stmt.query([])?;
    while let Some(row) = cursor.next()? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(match row.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Integer(v),
                ValueRef::Real(v) => Cell::Real(v),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
            });
        }
        rows.push(cells);
    }
    Ok(QueryResult { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_but_never_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mlx.db");
        drop(crate::tracking::db::open(&path).unwrap());
        let conn = open_read_only(&path).unwrap();
        let r = query(&conn, "SELECT 1 AS one, 'x' AS two, NULL, 2.5, x'ff'").unwrap();
        assert_eq!(r.columns, ["one", "two", "NULL", "2.5", "x'ff'"]);
        assert_eq!(r.rows[0][4].display(), "x'ff'");
        let other = dir.path().join("other.db");
        for bad in [
            "DELETE FROM runs",
            "UPDATE runs SET name = 'x'",
            "INSERT INTO tags VALUES ('a', 'b', 'c')",
            "DROP TABLE runs",
            "CREATE TABLE t (x)",
            &format!("ATTACH '{}' AS o", other.display()),
            "PRAGMA writable_schema = ON",
            "PRAGMA query_only = OFF",
            "PRAGMA user_version = 7",
            "VACUUM",
            "SELECT 1; DELETE FROM runs",
        ] {
            assert!(query(&conn, bad).is_err(), "{bad} was allowed");
        }
        assert!(!other.exists());
        assert!(query(&conn, "PRAGMA table_info(runs)").unwrap().rows.len() > 5);
        assert!(query(&conn, "PRAGMA user_version").is_ok());
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, crate::tracking::db::SCHEMA_VERSION);
    }
}
