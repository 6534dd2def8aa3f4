//! Data quality: profiles of data files (per-column statistics and sketches, stored by content
//! hash), checks of a file against the `[checks."PATH"]` contracts of `mlx.toml`, and drift
//! between two profiles. Reads data through Arrow; never prints, never writes the work tree.

pub mod checks;
pub mod drift;
pub mod profile;
pub mod read;
pub mod stats;
pub mod store;

pub use checks::{CheckSpec, ColumnCheck, Violation};
pub use drift::{DriftConfig, DriftReport};
pub use profile::{ColumnProfile, Profile};
pub use read::{Format, Kind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: empty file")]
    Empty { path: String },
    #[error("{path}: line {line}: expected {expected} fields, found {found}")]
    Ragged { path: String, line: usize, expected: usize, found: usize },
    /// A value that does not parse as the type inferred from the rows before it; the profile
    /// reads the file again with types inferred from every row.
    #[error("{path}: line {line}: column {name} changes type: {value:?} is not {inferred}")]
    TypeChange {
        path: String,
        line: usize,
        column: usize,
        name: String,
        value: String,
        inferred: String,
    },
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error(
        "{path}: not a file mlx can profile (CSV, TSV, JSON lines or Parquet, by its name's ending)"
    )]
    UnknownFormat { path: String },
    #[error("{path} is a tracked folder: name a file inside it")]
    Folder { path: String },
    #[error(
        "{path} is not tracked at {rev} (not a tracked file, a file in a tracked folder, nor a stage output)"
    )]
    NotTracked { path: String, rev: String },
    #[error("profile {hash}: {message}")]
    BadProfile { hash: String, message: String },
    #[error("[checks.{key:?}]: invalid regular expression for column {column}: {message}")]
    BadRegex { key: String, column: String, message: String },
    #[error("no column {column} in {path} (its columns: {})", columns.join(", "))]
    NoColumn { path: String, column: String, columns: Vec<String> },
    #[error("no [checks.{path:?}] table in mlx.toml")]
    NoChecks { path: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Everything but IO is about the input (exit 2).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Io(_))
    }
}

/// Rows CSV and JSON lines types are inferred from at first; a value further down that does
/// not parse as its column's type makes the file be read again with types from every row.
pub const INFER_ROWS: usize = 10_000;

/// Run `work` on `file` (named `shown`) opened as `format`, types inferred from the first
/// [`INFER_ROWS`] rows; on a value that breaks its column's inferred type, again with types
/// inferred from every row. Returns the result and, then, a note saying which column changed.
fn with_types<T>(
    file: &std::path::Path,
    shown: &str,
    format: Format,
    work: impl Fn(read::Table) -> Result<T, Error>,
) -> Result<(T, Option<String>), Error> {
    match read::open(file, shown, format, Some(INFER_ROWS)).and_then(&work) {
        Err(Error::TypeChange { path, line, column, name, value, inferred }) => {
            let table = match read::open(file, shown, format, None) {
                Ok(table) => table,
                // No type holds every value (an object among numbers): the change itself,
                // with its line and column, says the most.
                Err(Error::Read { .. }) => {
                    return Err(Error::TypeChange { path, line, column, name, value, inferred });
                }
                Err(e) => return Err(e),
            };
            // CSV errors name the column by its place, JSON lines errors by its name.
            let place = if name.is_empty() {
                Some(column)
            } else {
                table.schema.fields().iter().position(|f| *f.name() == name)
            };
            let name = match place.and_then(|i| table.schema.fields().get(i)) {
                Some(f) => f.name().clone(),
                None if name.is_empty() => column.to_string(),
                None => name,
            };
            let read_as = match place {
                Some(i) => format!("read as {}", table.kinds.get(i).map_or("string", |k| k.name())),
                // Lists or objects now: skipped, and the profile says why.
                None => "not profiled".to_owned(),
            };
            let note = format!(
                "column {name} changes type at line {line} ({value:?} after {} values): {read_as}, with types inferred from every row",
                inferred.to_lowercase()
            );
            Ok((work(table)?, Some(note)))
        }
        other => other.map(|r| (r, None)),
    }
}

/// Profile the data in `file` (`shown` names it and decides its format by its ending).
pub fn profile_file(
    file: &std::path::Path,
    shown: &str,
    hash: &str,
    bytes: u64,
) -> Result<Profile, Error> {
    let format =
        Format::of(shown).ok_or_else(|| Error::UnknownFormat { path: shown.to_owned() })?;
    // A large CSV is read in parts, one per core, when its types hold all through; anything
    // else (an error, a column that changes type) is left to one pass over the whole file,
    // which names the line.
    let cores = rayon::current_num_threads();
    if matches!(format, Format::Csv | Format::Tsv) && cores > 1 && bytes >= read::PARTS_MIN_BYTES {
        let parts = read::open_csv_parts(file, shown, format, Some(INFER_ROWS), cores);
        if let Ok(p) = parts.and_then(|t| profile::profile_parts(t, hash.to_owned(), bytes)) {
            return Ok(p);
        }
    }
    let (mut p, note) =
        with_types(file, shown, format, |t| profile::profile(t, hash.to_owned(), bytes))?;
    p.notes.extend(note);
    Ok(p)
}

/// Check the data in `file` (named `shown`) against `spec`, the table `[checks.KEY]`. Returns
/// every violation, and a note when a column changed type.
pub fn check_file(
    file: &std::path::Path,
    shown: &str,
    key: &str,
    spec: &CheckSpec,
) -> Result<(Vec<Violation>, Option<String>), Error> {
    let format =
        Format::of(shown).ok_or_else(|| Error::UnknownFormat { path: shown.to_owned() })?;
    with_types(file, shown, format, |t| checks::check(shown, key, spec, t))
}

/// Check the file `key` of the work tree at `root` against `spec`; a missing file is one
/// violation, a key naming a path mlx never reads (`.git`, `..`) an error.
pub fn check_path(
    root: &std::path::Path,
    key: &str,
    spec: &CheckSpec,
) -> Result<(Vec<Violation>, Option<String>), Error> {
    let bad =
        |e: &dyn std::fmt::Display| Error::Read { path: key.to_owned(), message: e.to_string() };
    let rel = crate::project_path::RelPath::new(key).map_err(|e| bad(&e))?;
    crate::work_tree::check_data_path(&rel).map_err(|e| bad(&e))?;
    let file = root.join(rel.as_path());
    if !file.is_file() {
        let missing = Violation {
            path: key.to_owned(),
            column: None,
            check: "file".into(),
            message: format!("{key} is missing"),
            failing: None,
            examples: Vec::new(),
        };
        return Ok((vec![missing], None));
    }
    check_file(&file, key, key, spec)
}
