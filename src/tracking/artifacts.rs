//! What a run recorded to read back: its artifacts (files and directories in the cache, and its
//! captured output, the `log`), where a running run's output is being written, and the checks
//! an artifact's name passes before anything is written under it. A run record may come from a
//! remote (`mlx fetch --runs`), so its names are untrusted: `../x`, `/etc/x`, `.git/hooks/x`
//! and the files git and mlx read their settings from are refused.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use serde::Serialize;

use super::RunId;
use super::db::Error as DbError;
use crate::project::Project;
use crate::project_path::{PathError, RelPath};
use crate::store::ObjectId;

/// The kind of the artifact that holds a run's captured output.
pub const LOG_KIND: &str = "log";

/// One artifact of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// Its name in the run: the project-relative path it was recorded from, or `log`.
    pub path: String,
    /// `file`, `directory` or `log`.
    pub kind: String,
    /// The cache object: the file's content, or a directory's listing.
    pub hash: String,
    /// Bytes: the file's, or the directory's files' total.
    pub size: u64,
}

impl Artifact {
    pub fn is_directory(&self) -> bool {
        self.kind == "directory"
    }

    /// The object, when the record names a valid one.
    pub fn object(&self) -> Result<ObjectId, ArtifactError> {
        ObjectId::from_hex(&self.hash).map_err(|_| ArtifactError::BadRecord {
            path: self.path.clone(),
            why: format!("its hash {:?} is not a valid object id", self.hash),
        })
    }

    /// Its name as a relative path to write under: refused when it could reach outside the
    /// folder written to, into `.git` or `.mlx`, or names a file git or mlx read settings from.
    pub fn checked_path(&self) -> Result<RelPath, ArtifactError> {
        let unsafe_path =
            |source: PathError| ArtifactError::UnsafePath { path: self.path.clone(), source };
        let rel = RelPath::new(&self.path).map_err(unsafe_path)?;
        crate::work_tree::check_data_path(&rel).map_err(unsafe_path)?;
        Ok(rel)
    }
}

/// Why an artifact cannot be written out.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("refusing the artifact {path:?} of the run record: {source}")]
    UnsafePath { path: String, source: PathError },
    #[error("the artifact {path:?} of the run record is damaged: {why}")]
    BadRecord { path: String, why: String },
    #[error("run {run} has no artifact {name:?}{}", known_list(.closest.as_deref(), .known))]
    Unknown { run: RunId, name: String, closest: Option<String>, known: Vec<String> },
    #[error("experiment {experiment} has no artifact {name:?}{}", known_list(.closest.as_deref(), .known))]
    UnknownInExperiment {
        experiment: String,
        name: String,
        closest: Option<String>,
        known: Vec<String>,
    },
}

/// `; did you mean out/model.pt?`, or `; it has model.pkl, log`, or `; it has none`.
fn known_list(closest: Option<&str>, known: &[String]) -> String {
    match (closest, known) {
        (Some(c), _) => format!("; did you mean {c}?"),
        (None, []) => "; it has none".to_owned(),
        (None, known) => format!("; it has {}", known.join(", ")),
    }
}

/// The artifacts of run `id`, by name.
pub fn of_run(conn: &Connection, id: &RunId) -> Result<Vec<Artifact>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, kind, hash, size FROM artifacts WHERE run_id = ?1 ORDER BY path",
    )?;
    let rows = stmt.query_map(params![id.as_str()], |r| {
        Ok(Artifact {
            path: r.get(0)?,
            kind: r.get(1)?,
            hash: r.get(2)?,
            size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The stored log of run `id`: `None` while it runs, and for a run that wrote nothing.
pub fn log_of(conn: &Connection, id: &RunId) -> Result<Option<Artifact>, DbError> {
    Ok(of_run(conn, id)?.into_iter().find(|a| a.kind == LOG_KIND))
}

/// The folder a running run keeps its files in until it ends: `.mlx/runs/ID/`.
pub fn run_dir(project: &Project, id: &RunId) -> PathBuf {
    project.mlx_dir().join("runs").join(id.as_str())
}

/// The output a running run has written so far (removed once it is stored in the cache).
pub fn live_log(project: &Project, id: &RunId) -> PathBuf {
    run_dir(project, id).join(LIVE_LOG)
}

/// The name of the live log in the run's folder.
pub const LIVE_LOG: &str = "output.log";

/// Where the last `lines` lines of a file of `len` bytes start: after the `lines`-th line break
/// from the end (a final line break ends the last line, it does not start an empty one).
pub fn tail_start(
    file: &mut (impl std::io::Read + std::io::Seek),
    len: u64,
    lines: usize,
) -> std::io::Result<u64> {
    use std::io::SeekFrom;
    if lines == 0 {
        return Ok(len);
    }
    const BLOCK: u64 = 64 * 1024;
    let mut end = len;
    let mut breaks = 0;
    let mut skip_last = true;
    let mut buf = vec![0u8; BLOCK as usize];
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let n = usize::try_from(end - start).expect("a block fits memory");
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        for i in (0..n).rev() {
            if buf[i] != b'\n' {
                skip_last = false;
                continue;
            }
            if skip_last {
                // The line break that ends the file.
                skip_last = false;
                continue;
            }
            breaks += 1;
            if breaks == lines {
                return Ok(start + i as u64 + 1);
            }
        }
        end = start;
    }
    Ok(0)
}

/// Whether `path` names a file that exists (for a live log that may be removed any moment).
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(text: &str, lines: usize) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, text).unwrap();
        let mut f = std::fs::File::open(&path).unwrap();
        let start = tail_start(&mut f, text.len() as u64, lines).unwrap();
        text[usize::try_from(start).unwrap()..].to_owned()
    }

    #[test]
    fn tails_count_lines_from_the_end() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(tail("a\nb\nc", 2), "b\nc");
        assert_eq!(tail("a\nb\nc\n", 5), "a\nb\nc\n");
        assert_eq!(tail("a\nb\nc\n", 0), "");
        assert_eq!(tail("", 3), "");
        assert_eq!(tail("\n\n\n", 1), "\n");
        let long: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(tail(&long, 3), "line 99997\nline 99998\nline 99999\n");
    }

    #[test]
    fn hostile_names_are_refused() {
        let a = |p: &str| Artifact {
            path: p.into(),
            kind: "file".into(),
            hash: "0".repeat(64),
            size: 1,
        };
        for bad in [
            "../x",
            "/etc/passwd",
            ".git/hooks/pre-commit",
            "a/.git/config",
            ".mlx/cache/x",
            "x/.gitignore",
            "",
            "data.mlx",
        ] {
            assert!(a(bad).checked_path().is_err(), "{bad:?}");
        }
        for good in ["model.pkl", "out/metrics.json", "log", "sub/mlx.toml"] {
            assert!(a(good).checked_path().is_ok(), "{good:?}");
        }
    }
}
