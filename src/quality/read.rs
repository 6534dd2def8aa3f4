//! Reading a data file as a stream of Arrow record batches: CSV, TSV, JSON lines and Parquet,
//! chosen by the file's name. Column types are inferred from the first rows (CSV, JSON lines)
//! or read from the file (Parquet). Columns mlx does not profile (nested lists and structs,
//! binary) are left out of the stream and listed as skipped. Nothing here prints.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use super::Error;

/// Rows per record batch.
pub const BATCH_ROWS: usize = 65_536;

/// The file formats mlx profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Tsv,
    JsonLines,
    Parquet,
}

impl Format {
    /// The format a file's name says: `.csv`, `.tsv`/`.tab`, `.jsonl`/`.ndjson`, `.parquet`/`.pq`.
    pub fn of(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "jsonl" | "ndjson" => Format::JsonLines,
            "parquet" | "pq" => Format::Parquet,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::JsonLines => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

/// How a column is profiled, from its Arrow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Integer,
    Float,
    Boolean,
    String,
    Date,
    Timestamp,
}

impl Kind {
    /// `None` for types mlx does not profile (nested, binary, intervals...).
    pub fn of(t: &DataType) -> Option<Kind> {
        use DataType as D;
        Some(match t {
            D::Int8
            | D::Int16
            | D::Int32
            | D::Int64
            | D::UInt8
            | D::UInt16
            | D::UInt32
            | D::UInt64 => Kind::Integer,
            D::Float16
            | D::Float32
            | D::Float64
            | D::Decimal32(..)
            | D::Decimal64(..)
            | D::Decimal128(..) => Kind::Float,
            D::Boolean => Kind::Boolean,
            D::Utf8 | D::LargeUtf8 | D::Utf8View => Kind::String,
            D::Date32 | D::Date64 => Kind::Date,
            D::Timestamp(..) => Kind::Timestamp,
            D::Dictionary(_, v) if matches!(**v, D::Utf8 | D::LargeUtf8) => Kind::String,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Float => "float",
            Kind::Boolean => "boolean",
            Kind::String => "string",
            Kind::Date => "date",
            Kind::Timestamp => "timestamp",
        }
    }

    /// Whether values are numbers (quantiles, mean, PSI and KS) rather than categories.
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Integer | Kind::Float)
    }
}

/// A column left out of the stream, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub name: String,
    /// Its type as the file has it.
    #[serde(rename = "type")]
    pub data_type: String,
    pub reason: String,
}

/// An open data file: the profiled columns' schema and their batches.
pub struct Table {
    pub format: Format,
    /// The columns the batches hold (those of [`Kind`]), in file order.
    pub schema: SchemaRef,
    pub kinds: Vec<Kind>,
    pub skipped: Vec<Skipped>,
    pub batches: Box<dyn Iterator<Item = Result<RecordBatch, Error>> + Send>,
}

/// Open `path` (its content; `shown` names it in messages) as `format`. CSV and JSON lines
/// infer column types from the first `infer_rows` rows (all of them with `None`).
pub fn open(
    path: &Path,
    shown: &str,
    format: Format,
    infer_rows: Option<usize>,
) -> Result<Table, Error> {
    let file = fs_err::File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Err(Error::Empty { path: shown.to_owned() });
    }
    match format {
        Format::Csv | Format::Tsv => open_csv(file, shown, format, infer_rows),
        Format::JsonLines => open_json(file, path, shown, infer_rows),
        Format::Parquet => open_parquet(file, shown),
    }
}

/// Arrow's message about `shown`, with the line it names kept.
fn read_error(shown: &str, e: &ArrowError) -> Error {
    let message = match e {
        ArrowError::CsvError(m) | ArrowError::ParseError(m) | ArrowError::JsonError(m) => m.clone(),
        other => other.to_string(),
    };
    // "incorrect number of fields for line 7, expected 3 got 2"
    if let Some(rest) = message.strip_prefix("incorrect number of fields for line ") {
        let mut words = rest.split([',', ' ']).filter(|w| !w.is_empty());
        let line = words.next().and_then(|w| w.parse().ok());
        let expected = words.nth(1).and_then(|w| w.parse::<usize>().ok());
        let found = words.next_back().and_then(|w| w.parse::<usize>().ok());
        if let (Some(line), Some(expected), Some(found)) = (line, expected, found) {
            return Error::Ragged { path: shown.to_owned(), line, expected, found };
        }
    }
    // "Encountered unequal lengths between records on CSV file. Expected 3 records, found 2
    // records at line 3"
    if let Some(rest) =
        message.strip_prefix("Encountered unequal lengths between records on CSV file. Expected ")
    {
        let numbers: Vec<usize> =
            rest.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
        if let [expected, found, line] = numbers[..] {
            return Error::Ragged { path: shown.to_owned(), line, expected, found };
        }
    }
    // "Error while parsing value 'x' as type 'Int64' for column 1 at line 4. Row data: ..."
    if let Some(rest) = message.strip_prefix("Error while parsing value '")
        && let Some((value, rest)) = rest.split_once("' as type '")
        && let Some((ty, rest)) = rest.split_once("' for column ")
    {
        let mut words = rest.split([' ', '.']).filter(|w| !w.is_empty());
        let column = words.next().and_then(|w| w.parse::<usize>().ok());
        let line = words.nth(2).and_then(|w| w.parse::<usize>().ok());
        if let (Some(column), Some(line)) = (column, line) {
            // Arrow counts data rows from 1; the header is the file's line 1.
            return Error::TypeChange {
                path: shown.to_owned(),
                line: line + 1,
                column,
                name: String::new(),
                value: value.chars().take(60).collect(),
                inferred: ty.to_owned(),
            };
        }
    }
    Error::Read { path: shown.to_owned(), message }
}

/// The schema's profiled fields, their kinds, and those skipped, for `cast`: date and timestamp
/// columns are read as text by the CSV reader (ISO order is time order).
fn split_fields(schema: &Schema) -> (Vec<usize>, Vec<Kind>, Vec<Skipped>) {
    let mut keep = Vec::new();
    let mut kinds = Vec::new();
    let mut skipped = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        match Kind::of(f.data_type()) {
            Some(k) => {
                keep.push(i);
                kinds.push(k);
            }
            None => skipped.push(Skipped {
                name: f.name().clone(),
                data_type: f.data_type().to_string(),
                reason: if f.data_type().is_nested() {
                    "nested values (lists, structs, maps) are not profiled".into()
                } else {
                    "values of this type are not profiled".into()
                },
            }),
        }
    }
    (keep, kinds, skipped)
}

fn open_csv(
    mut file: fs_err::File,
    shown: &str,
    format: Format,
    infer_rows: Option<usize>,
) -> Result<Table, Error> {
    let delimiter = if format == Format::Tsv { b'\t' } else { b',' };
    let csv = arrow_csv::reader::Format::default().with_header(true).with_delimiter(delimiter);
    let (inferred, _) = csv
        .infer_schema((&mut file).take(u64::MAX), infer_rows)
        .map_err(|e| read_error(shown, &e))?;
    if inferred.fields().is_empty() {
        return Err(Error::Empty { path: shown.to_owned() });
    }
    file.seek(SeekFrom::Start(0))?;
    // Dates and times stay text: ISO 8601 sorts as time does, and values keep their form.
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
                Field::new(f.name(), DataType::Utf8, true)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut kinds: Vec<Kind> = Vec::new();
    for f in inferred.fields() {
        kinds.push(Kind::of(f.data_type()).unwrap_or(Kind::String));
    }
    let reader = arrow_csv::ReaderBuilder::new(schema.clone())
        .with_format(csv)
        .with_batch_size(BATCH_ROWS)
        .build(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| read_error(shown, &e))?;
    let shown = shown.to_owned();
    let batches = reader.map(move |b| b.map_err(|e| read_error(&shown, &e)));
    Ok(Table { format, schema, kinds, skipped: Vec::new(), batches: Box::new(batches) })
}

/// CSV and TSV files at least this large are read in parts, one per thread.
pub const PARTS_MIN_BYTES: u64 = 32 << 20;

/// `path` (CSV or TSV) as `parts` tables over consecutive byte ranges that start and end at
/// record boundaries (a line break outside quotes), the first with the header line, all with
/// the column types inferred from the file's first `infer_rows` rows. Line numbers in the
/// later parts' errors count from the part's start: a caller that meets an error reads the
/// whole file again as one table to name the line.
pub fn open_csv_parts(
    path: &Path,
    shown: &str,
    format: Format,
    infer_rows: Option<usize>,
    parts: usize,
) -> Result<Vec<Table>, Error> {
    let first = open(path, shown, format, infer_rows)?;
    let len = fs_err::metadata(path)?.len();
    let delimiter = if format == Format::Tsv { b'\t' } else { b',' };
    let mut starts = vec![0u64];
    if parts > 1 {
        let mut file = BufReader::with_capacity(1 << 20, fs_err::File::open(path)?);
        let mut pos = 0u64;
        let mut state = Scan::FieldStart;
        for i in 1..parts {
            let wanted = len / parts as u64 * i as u64;
            match next_record(&mut file, &mut pos, &mut state, delimiter, wanted)? {
                Some(at) if at < len && at > *starts.last().expect("one start") => starts.push(at),
                _ => break,
            }
        }
    }
    let (schema, kinds) = (first.schema.clone(), first.kinds.clone());
    let mut tables = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(len);
        let mut file = fs_err::File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        let csv =
            arrow_csv::reader::Format::default().with_header(i == 0).with_delimiter(delimiter);
        let reader = arrow_csv::ReaderBuilder::new(schema.clone())
            .with_format(csv)
            .with_batch_size(BATCH_ROWS)
            .build(BufReader::with_capacity(1 << 20, file.take(end - start)))
            .map_err(|e| read_error(shown, &e))?;
        let shown = shown.to_owned();
        let batches = reader.map(move |b| b.map_err(|e| read_error(&shown, &e)));
        tables.push(Table {
            format,
            schema: schema.clone(),
            kinds: kinds.clone(),
            skipped: Vec::new(),
            batches: Box::new(batches),
        });
    }
    Ok(tables)
}

/// Where a CSV scan is, as the CSV reader sees it: a quote opens a quoted field only at a
/// field's start (elsewhere it is text), `""` inside one is a quote, and a line break ends a
/// record only outside quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote seen in a quoted field: it closes the field unless another follows.
    QuoteInQuoted,
}

/// Read `file` on from `*pos` (in state `*state`) to the first record boundary at or after
/// `wanted`; the offset just after its line break, or `None` at the end of the file. A
/// buffer with no quote outside a quoted field is passed over without looking at each byte.
fn next_record(
    file: &mut impl std::io::BufRead,
    pos: &mut u64,
    state: &mut Scan,
    delimiter: u8,
    wanted: u64,
) -> Result<Option<u64>, Error> {
    loop {
        let buf = file.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        let n = buf.len();
        let before_wanted = wanted.saturating_sub(*pos).min(n as u64) as usize;
        let plain = matches!(*state, Scan::FieldStart | Scan::Unquoted)
            && !buf[..before_wanted].contains(&b'"');
        let mut i = 0;
        if plain && before_wanted > 0 {
            let last = buf[before_wanted - 1];
            *state =
                if last == b'\n' || last == delimiter { Scan::FieldStart } else { Scan::Unquoted };
            i = before_wanted;
        }
        while i < n {
            let b = buf[i];
            let boundary = b == b'\n'
                && matches!(*state, Scan::FieldStart | Scan::Unquoted | Scan::QuoteInQuoted);
            *state = match (*state, b) {
                (Scan::Quoted, b'"') => Scan::QuoteInQuoted,
                (Scan::Quoted, _) => Scan::Quoted,
                (Scan::QuoteInQuoted, b'"') | (Scan::FieldStart, b'"') => Scan::Quoted,
                (_, b'\n') => Scan::FieldStart,
                (_, b) if b == delimiter => Scan::FieldStart,
                _ => Scan::Unquoted,
            };
            if boundary && *pos + i as u64 >= wanted {
                let at = *pos + i as u64 + 1;
                *pos = at;
                file.consume(i + 1);
                return Ok(Some(at));
            }
            i += 1;
        }
        *pos += n as u64;
        file.consume(n);
    }
}

fn open_json(
    mut file: fs_err::File,
    path: &Path,
    shown: &str,
    infer_rows: Option<usize>,
) -> Result<Table, Error> {
    let (inferred, _) = arrow_json::reader::infer_json_schema(
        BufReader::new((&mut file).take(u64::MAX)),
        infer_rows,
    )
    .map_err(|e| read_error(shown, &e))?;
    file.seek(SeekFrom::Start(0))?;
    let (keep, kinds, skipped) = split_fields(&inferred);
    if keep.is_empty() && skipped.is_empty() {
        return Err(Error::Empty { path: shown.to_owned() });
    }
    let schema = Arc::new(inferred.project(&keep).map_err(|e| read_error(shown, &e))?);
    // Integer columns are read as their text and parsed here: Arrow's reader would cut a
    // later 1.5 down to 1 without a word. Numbers and booleans in a text column read as text.
    let as_read: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Int64 => Field::new(f.name(), DataType::Utf8, true),
            _ => f.as_ref().clone(),
        })
        .collect();
    let reader = arrow_json::ReaderBuilder::new(Arc::new(Schema::new(as_read)))
        .with_batch_size(BATCH_ROWS)
        .with_coerce_primitive(true)
        .build(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| read_error(shown, &e))?;
    let (path, shown, out) = (path.to_owned(), shown.to_owned(), schema.clone());
    let batches = reader.map(move |b| {
        let b = b.map_err(|e| {
            let field = match &e {
                ArrowError::JsonError(m) => m
                    .strip_prefix("whilst decoding field '")
                    .and_then(|r| r.split_once('\''))
                    .map(|(name, _)| name.to_owned()),
                _ => None,
            };
            field
                .and_then(|name| json_type_change(&path, &shown, &out, &name))
                .unwrap_or_else(|| read_error(&shown, &e))
        })?;
        json_integers(b, &out).map_err(|name| {
            json_type_change(&path, &shown, &out, &name).unwrap_or_else(|| Error::Read {
                path: shown.clone(),
                message: format!("column {name}: a value that is not an integer"),
            })
        })
    });
    Ok(Table { format: Format::JsonLines, schema, kinds, skipped, batches: Box::new(batches) })
}

/// `batch` (integer columns as text) with the integer columns of `schema` parsed; the name of
/// a column holding a value that is not a whole number fitting 64 bits.
fn json_integers(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, String> {
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (f, a) in schema.fields().iter().zip(batch.columns()) {
        if f.data_type() != &DataType::Int64 {
            columns.push(a.clone());
            continue;
        }
        let ints = arrow_cast::cast(a, &DataType::Int64).map_err(|_| f.name().clone())?;
        if ints.null_count() != a.null_count() {
            return Err(f.name().clone());
        }
        columns.push(ints);
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
}

/// The first line of the JSON lines file at `path` whose value of column `name` does not fit
/// the type `schema` gives it, as a [`Error::TypeChange`]. Read line by line (bounded memory),
/// only once a batch failed.
fn json_type_change(path: &Path, shown: &str, schema: &Schema, name: &str) -> Option<Error> {
    use std::io::BufRead;
    let (column, field) = schema.fields().iter().enumerate().find(|(_, f)| f.name() == name)?;
    let t = field.data_type();
    let fits = |v: &serde_json::Value| {
        use serde_json::Value as V;
        match (t, v) {
            (_, V::Null) => true,
            (DataType::Int64, V::Number(n)) => n.as_i64().is_some(),
            (DataType::Int64, V::String(s)) => s.trim().parse::<i64>().is_ok(),
            (DataType::Float64, V::Number(_)) => true,
            (DataType::Float64, V::String(s)) => s.trim().parse::<f64>().is_ok(),
            (DataType::Boolean, V::Bool(_)) => true,
            (DataType::Utf8, V::String(_) | V::Number(_) | V::Bool(_)) => true,
            _ => false,
        }
    };
    let file = BufReader::new(fs_err::File::open(path).ok()?);
    for (i, line) in file.split(b'\n').enumerate() {
        let line = line.ok()?;
        let Ok(serde_json::Value::Object(row)) = serde_json::from_slice(&line) else { continue };
        let Some(v) = row.get(name) else { continue };
        if !fits(v) {
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return Some(Error::TypeChange {
                path: shown.to_owned(),
                line: i + 1,
                column,
                name: name.to_owned(),
                value: value.chars().take(60).collect(),
                inferred: t.to_string(),
            });
        }
    }
    None
}

fn open_parquet(file: fs_err::File, shown: &str) -> Result<Table, Error> {
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let parquet_error = |e: parquet::errors::ParquetError| Error::Read {
        path: shown.to_owned(),
        message: e.to_string(),
    };
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file.into_parts().0).map_err(parquet_error)?;
    let full = builder.schema().clone();
    let (keep, kinds, skipped) = split_fields(&full);
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep.iter().copied());
    let reader =
        builder.with_projection(mask).with_batch_size(BATCH_ROWS).build().map_err(parquet_error)?;
    let schema = Arc::new(full.project(&keep).map_err(|e| read_error(shown, &e))?);
    let shown = shown.to_owned();
    let batches = reader.map(move |b| b.map_err(|e| read_error(&shown, &e)));
    Ok(Table { format: Format::Parquet, schema, kinds, skipped, batches: Box::new(batches) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_names() {
        assert_eq!(Format::of("data/train.CSV"), Some(Format::Csv));
        assert_eq!(Format::of("a.tsv"), Some(Format::Tsv));
        assert_eq!(Format::of("a.ndjson"), Some(Format::JsonLines));
        assert_eq!(Format::of("a.parquet"), Some(Format::Parquet));
        assert_eq!(Format::of("a.txt"), None);
        assert_eq!(Format::of("csv"), None);
    }

    #[test]
    fn arrow_messages_keep_the_line() {
        let e = read_error(
            "d.csv",
            &ArrowError::CsvError("incorrect number of fields for line 7, expected 3 got 2".into()),
        );
        assert_eq!(e.to_string(), "d.csv: line 7: expected 3 fields, found 2");
        let e = read_error(
            "d.csv",
            &ArrowError::CsvError(
                "Encountered unequal lengths between records on CSV file. Expected 3 records, found 2 records at line 3".into(),
            ),
        );
        assert_eq!(e.to_string(), "d.csv: line 3: expected 3 fields, found 2");
        let e = read_error(
            "d.csv",
            &ArrowError::ParseError(
                "Error while parsing value 'abc' as type 'Int64' for column 1 at line 4. Row data: '[1,abc]'".into(),
            ),
        );
        assert!(matches!(e, Error::TypeChange { line: 5, column: 1, .. }), "{e:?}");
    }

    #[test]
    fn parts_start_at_record_boundaries_outside_quotes() {
        let text = b"a,b\n1,\"x\ny\"\n2,\"\"\"q\"\n3,z\n";
        let find = |wanted| {
            let (mut pos, mut state) = (0, Scan::FieldStart);
            next_record(&mut &text[..], &mut pos, &mut state, b',', wanted).unwrap()
        };
        // The break inside "x\ny" is no boundary: the record ends after `y"`.
        assert_eq!(find(5), Some(12));
        assert_eq!(find(8), Some(12));
        // After an escaped quote the count is even again.
        assert_eq!(find(13), Some(20));
        assert_eq!(find(0), Some(4));
        assert_eq!(find(24), None);
        // A quote inside an unquoted field is text: it opens nothing.
        let text = b"a,b\n5\" x,1\n6,2\n";
        let (mut pos, mut state) = (0, Scan::FieldStart);
        assert_eq!(next_record(&mut &text[..], &mut pos, &mut state, b',', 5).unwrap(), Some(11));
    }
}
