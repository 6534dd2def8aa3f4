//! Health of the project database as `mlx doctor` reports it: integrity, schema version and the
//! number of runs, read over a connection from [`sql::open_read_only`](super::sql::open_read_only).
//! Only reads; repairing is not its business.

use rusqlite::Connection;

use super::sql::{self, Cell, SqlError};

/// Why a health query gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("unexpected user_version: {0}")]
    UserVersion(String),
    #[error("cannot count the runs")]
    RunCount,
}

/// What `PRAGMA quick_check` finds, one problem per line: `["ok"]` when there is none.
pub fn quick_check(conn: &Connection) -> Result<Vec<String>, HealthError> {
    let rows = sql::query(conn, "PRAGMA quick_check")?.rows;
    Ok(rows.iter().filter_map(|row| row.first()).map(Cell::display).collect())
}

/// The schema version (`PRAGMA user_version`).
pub fn schema_version(conn: &Connection) -> Result<i64, HealthError> {
    match first(conn, "PRAGMA user_version")? {
        Some(Cell::Integer(v)) => Ok(v),
        other => Err(HealthError::UserVersion(other.map(|c| c.display()).unwrap_or_default())),
    }
}

/// How many runs the database holds (schema version 2 and later).
pub fn run_count(conn: &Connection) -> Result<u64, HealthError> {
    match first(conn, "SELECT count(*) FROM runs")? {
        Some(Cell::Integer(n)) => Ok(u64::try_from(n).unwrap_or(0)),
        _ => Err(HealthError::RunCount),
    }
}

/// The first cell of the first row.
fn first(conn: &Connection, sql: &str) -> Result<Option<Cell>, SqlError> {
    let rows = sql::query(conn, sql)?.rows;
    Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()))
}
