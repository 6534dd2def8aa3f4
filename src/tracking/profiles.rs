//! The `profiles` table: which data versions (by content hash) have a profile, and the cache
//! object holding it.

use rusqlite::{Connection, OptionalExtension};

use super::Error;

/// The profile object recorded for `data_hash`.
pub fn lookup(conn: &Connection, data_hash: &str) -> Result<Option<String>, Error> {
    Ok(conn
        .query_row("SELECT profile_hash FROM profiles WHERE data_hash = ?1", [data_hash], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Record (or replace) the profile of `data_hash`.
pub fn record(conn: &Connection, data_hash: &str, profile_hash: &str) -> Result<(), Error> {
    let now = super::runs::rfc3339(super::runs::now_millis());
    conn.execute(
        "INSERT INTO profiles (data_hash, profile_hash, created) VALUES (?1, ?2, ?3)
         ON CONFLICT (data_hash) DO UPDATE SET profile_hash = excluded.profile_hash",
        (data_hash, profile_hash, now),
    )?;
    Ok(())
}

/// Every `(data hash, profile hash)`, by data hash.
pub fn all(conn: &Connection) -> Result<Vec<(String, String)>, Error> {
    let mut stmt =
        conn.prepare("SELECT data_hash, profile_hash FROM profiles ORDER BY data_hash")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Forget the profiles of `data_hashes` (their data is gone); their objects are the caller's.
pub fn forget(conn: &Connection, data_hashes: &[String]) -> Result<(), Error> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare("DELETE FROM profiles WHERE data_hash = ?1")?;
        for h in data_hashes {
            stmt.execute([h])?;
        }
    }
    tx.commit()?;
    Ok(())
}
