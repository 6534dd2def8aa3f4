//! `mlx sql QUERY`: one read-only SQL statement over the project database.

use super::{Error, Result};
use crate::project::Project;
use crate::tracking::sql::{self, QueryResult};

pub fn run(project: &Project, query: &str) -> Result<QueryResult> {
    let path = project.mlx_dir().join(crate::project::DB_FILE);
    // Create or migrate it first, so the query sees the documented schema.
    drop(project.open_db()?);
    let conn = sql::open_read_only(&path)?;
    sql::query(&conn, query).map_err(|e| Error::Sql { message: e.to_string() })
}
