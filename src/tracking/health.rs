//! Health of the project database as `mlx doctor` reports it: integrity, schema version and the
//! number of runs, read over a connection from [`sql::open_read_only`](super::sql::open_read_only).
//! Only reads; repairing is not its business.

use rusqlite::Connection;

/// What `PRAGMA quick_check` finds, one problem per line: `["ok"]` when there is none.
pub fn quick_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    stmt.query_map([], |r| r.get::<_, String>(0))?.collect()
}

/// The schema version (`PRAGMA user_version`).
pub fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// How many runs the database holds (schema version 2 and later).
pub fn run_count(conn: &Connection) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}
