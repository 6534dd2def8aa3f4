//! The `database` section of `mlx doctor`: `.mlx/mlx.db`, its header, integrity, schema version,
//! journal mode and runs. Opened read-only; the queries are `tracking::health`'s.

use std::path::Path;

use super::{DatabaseFacts, DoctorReport, Status, count};
use crate::fs_util::human_size;
use crate::project::{DB_FILE, MLX_DIR};
use crate::tracking::{self, health};

/// Check the database; a damaged one stops at the first check it fails that the rest need.
pub(super) fn check(r: &mut DoctorReport, root: &Path) {
    let path = root.join(MLX_DIR).join(DB_FILE);
    let rel = Path::new(MLX_DIR).join(DB_FILE).display().to_string();
    let wal = crate::tracking::db::wal_path(&path);
    let mut facts = DatabaseFacts {
        path: path.display().to_string(),
        exists: path.is_file(),
        size_bytes: std::fs::metadata(&path).map_or(0, |m| m.len()),
        wal_bytes: std::fs::metadata(&wal).map_or(0, |m| m.len()),
        integrity: None,
        schema_version: None,
        known_schema_version: tracking::db::SCHEMA_VERSION,
        journal_mode: None,
        runs: None,
    };
    checks(r, &path, &rel, &mut facts);
    r.database = Some(facts);
}

const REBUILD: &str = "move .mlx/mlx.db (with mlx.db-wal and mlx.db-shm) aside and run mlx \
                       init for a new one; runs pushed with mlx push --runs come back with mlx \
                       fetch --runs";

/// The checks, in order, filling `facts`; returns at the first failure the rest depend on.
fn checks(r: &mut DoctorReport, path: &Path, rel: &str, facts: &mut DatabaseFacts) {
    if !facts.exists {
        r.push_hinted(
            "database",
            "file",
            Status::Fail,
            format!("{rel} does not exist"),
            "create it: mlx init",
        );
        return;
    }
    r.push(
        "database",
        "file",
        Status::Ok,
        format!(
            "{rel}, {} (write-ahead log {})",
            human_size(facts.size_bytes),
            human_size(facts.wal_bytes)
        ),
    );
    // The file header: SQLite's magic string, and the journal mode (bytes 18 and 19 are 2 in
    // WAL mode; `PRAGMA journal_mode` would count as a write on a read-only connection). A
    // damaged header can go unnoticed by SQLite while the write-ahead log still holds page 1.
    let mut header = Vec::with_capacity(100);
    let read = std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 100), &mut header));
    let header = match read {
        Ok(_) => header,
        Err(e) => {
            r.push_hinted("database", "integrity", Status::Fail, format!("{rel}: {e}"), REBUILD);
            return;
        }
    };
    if !header.is_empty() && !header.starts_with(b"SQLite format 3\0") {
        r.push_hinted(
            "database",
            "integrity",
            Status::Fail,
            format!("{rel} is not an SQLite database: its header is damaged"),
            REBUILD,
        );
        return;
    }
    let conn = match tracking::sql::open_read_only(path) {
        Ok(conn) => conn,
        Err(e) => {
            r.push_hinted("database", "integrity", Status::Fail, e.to_string(), REBUILD);
            return;
        }
    };
    match health::quick_check(&conn) {
        Err(e) => {
            r.push_hinted("database", "integrity", Status::Fail, e.to_string(), REBUILD);
            return;
        }
        Ok(lines) => {
            if lines == ["ok"] {
                facts.integrity = Some("ok".into());
                r.push("database", "integrity", Status::Ok, "ok (PRAGMA quick_check)");
            } else {
                let shown: Vec<&str> = lines.iter().take(3).map(String::as_str).collect();
                let more = if lines.len() > 3 {
                    format!(" (and {} more)", lines.len() - 3)
                } else {
                    String::new()
                };
                facts.integrity = Some(lines.join("\n"));
                r.push_hinted(
                    "database",
                    "integrity",
                    Status::Fail,
                    format!("{}{more}", shown.join("; ")),
                    REBUILD,
                );
            }
        }
    }
    let known = tracking::db::SCHEMA_VERSION;
    match health::schema_version(&conn) {
        Ok(v) => {
            facts.schema_version = Some(v);
            if v == known {
                r.push(
                    "database",
                    "schema",
                    Status::Ok,
                    format!("version {v}, as this mlx writes"),
                );
            } else if v < known {
                r.push(
                    "database",
                    "schema",
                    Status::Ok,
                    format!("version {v}; the next mlx command upgrades it to {known}"),
                );
            } else {
                r.push_hinted(
                    "database",
                    "schema",
                    Status::Fail,
                    format!("version {v}, newer than this mlx knows ({known})"),
                    "upgrade mlx",
                );
            }
        }
        Err(e) => r.push_hinted("database", "schema", Status::Fail, e.to_string(), REBUILD),
    }
    if header.len() >= 20 && header[18] == 2 && header[19] == 2 {
        facts.journal_mode = Some("wal".into());
        r.push("database", "journal", Status::Ok, "wal (concurrent writers are safe)");
    } else if header.len() >= 20 {
        facts.journal_mode = Some("rollback".into());
        r.push_hinted(
            "database",
            "journal",
            Status::Warn,
            "rollback journal, not wal",
            "the next mlx command that opens the database switches it to wal",
        );
    }
    if facts.schema_version.is_some_and(|v| v >= 2) {
        match health::run_count(&conn) {
            Ok(n) => {
                facts.runs = Some(n);
                r.push("database", "runs", Status::Ok, count(n, "run", "runs"));
            }
            Err(e) => r.push_hinted("database", "runs", Status::Fail, e.to_string(), REBUILD),
        }
    }
}
