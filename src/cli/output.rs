//! The only writer to stdout and stderr. stdout carries data (tables, JSON, paths); status,
//! warnings, hints and errors go to stderr. Everything passes `mlx::secrets` first: data
//! with known secret values hidden, messages also with values that look like credentials.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Write};

use mlx::secrets::{knows_any, redact, redact_message};
use serde::Serialize;

/// `--json`, shared by every command that prints data.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct FormatArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

/// `REV_A [REV_B]`: the two sides of a comparison (`diff`, `metrics diff`, `params diff`).
#[derive(clap::Args, Clone, Default)]
pub struct RevPair {
    /// The old side (default HEAD)
    #[arg(value_name = "REV_A")]
    pub a: Option<String>,
    /// The new side (default: the workspace)
    #[arg(value_name = "REV_B")]
    pub b: Option<String>,
}

#[derive(Clone)]
pub struct Output {
    quiet: bool,
}

impl Output {
    pub fn new(quiet: bool) -> Self {
        Output { quiet }
    }

    /// Pretty JSON on stdout.
    pub fn json<T: Serialize>(&self, value: &T) -> io::Result<()> {
        if !knows_any() {
            // Nothing to hide: written as it is made (listings run to megabytes).
            let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, value)?;
            writeln!(out)?;
            return out.flush();
        }
        let text = serde_json::to_string_pretty(value)?;
        let mut out = io::stdout().lock();
        writeln!(out, "{}", redact(&text))?;
        out.flush()
    }

    /// Bytes on stdout exactly as given (a run's captured output): not redacted, since the
    /// command wrote them to the terminal as they are.
    pub fn raw(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()
    }

    /// One data line on stdout.
    pub fn line(&self, text: &str) -> io::Result<()> {
        writeln!(io::stdout().lock(), "{}", redact(text))
    }

    /// Rows as aligned columns on stdout (no header when `headers` is empty).
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        self.table_marked(headers, rows, &[])
    }

    /// A table whose rows flagged in `marked` are highlighted on a color terminal (the flag
    /// must also show in the text itself: color is never load-bearing).
    pub fn table_marked(
        &self,
        headers: &[&str],
        rows: &[Vec<String>],
        marked: &[bool],
    ) -> io::Result<()> {
        let columns = headers.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut widths = vec![0; columns];
        let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let has_header = !header.is_empty();
        let all = std::iter::once(&header).filter(|_| has_header).chain(rows.iter());
        for row in all.clone() {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let color = !marked.is_empty() && color_on_stdout();
        let mut out = Redacted::new();
        let mut line = String::new();
        for (n, row) in all.enumerate() {
            line.clear();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i] - cell.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            let text = line.trim_end();
            let row_index = if has_header { n.checked_sub(1) } else { Some(n) };
            if color && row_index.is_some_and(|i| marked.get(i) == Some(&true)) {
                writeln!(out, "\x1b[33m{text}\x1b[0m")?;
            } else {
                writeln!(out, "{text}")?;
            }
        }
        out.flush()
    }

    /// Whether `-q` was given.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A line on stdout saying what a command did (`untracked  data`, `pushed 3 objects`),
    /// hidden by `-q`: quiet keeps the data asked for and problems, not accounts of success.
    pub fn done_line(&self, text: &str) -> io::Result<()> {
        if self.quiet { Ok(()) } else { self.line(text) }
    }

    /// Rows on stdout saying what a command did (`mlx add`, `mlx checkout`), hidden by `-q`.
    pub fn done_table(&self, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        if self.quiet { Ok(()) } else { self.table(headers, rows) }
    }

    /// Rows as CSV on stdout (RFC 4180 quoting, `\n` line ends), with a header row.
    pub fn csv(&self, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        fn field(out: &mut impl Write, cell: &str) -> io::Result<()> {
            if cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ')
            {
                write!(out, "\"{}\"", cell.replace('"', "\"\""))
            } else {
                out.write_all(cell.as_bytes())
            }
        }
        let mut out = Redacted::new();
        let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(rows.iter()) {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                field(&mut out, cell)?;
            }
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Rows as a GitHub-flavoured markdown table on stdout (for CI comments); `|` in cells is
    /// escaped.
    pub fn markdown(&self, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        fn line(out: &mut impl Write, cells: &[String]) -> io::Result<()> {
            let cells: Vec<String> =
                cells.iter().map(|c| c.replace('|', "\\|").replace('\n', " ")).collect();
            writeln!(out, "| {} |", cells.join(" | "))
        }
        let mut out = Redacted::new();
        let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        line(&mut out, &header)?;
        writeln!(out, "|{}", "---|".repeat(headers.len()))?;
        for row in rows {
            line(&mut out, row)?;
        }
        out.flush()
    }

    /// A status line on stderr, hidden by `-q`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{}", redact_message(text));
        }
    }

    /// A line on stderr about something that went wrong (a failed stage, a failed check), kept
    /// with `-q`.
    pub fn problem(&self, text: &str) {
        eprintln!("{text}");
    }

    /// Ask a yes/no question on stderr and read the answer from stdin: true for `y` or `yes`
    /// (any case), false for anything else or the end of input. The caller checks that stdin
    /// and stderr are terminals; nothing else prompts.
    pub fn ask(&self, question: &str) -> io::Result<bool> {
        let mut err = io::stderr().lock();
        write!(err, "{question}")?;
        err.flush()?;
        drop(err);
        let mut answer = String::new();
        io::stdin().read_line(&mut answer)?;
        Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
    }

    pub fn hint(&self, text: &str) {
        if !self.quiet {
            eprintln!("hint: {}", redact_message(text));
        }
    }

    pub fn warn(&self, text: &str) {
        eprintln!("warning: {}", redact_message(text));
    }

    /// A warning that is advice, not a fault (hidden by `-q`, like hints).
    pub fn advise(&self, text: &str) {
        if !self.quiet {
            self.warn(text);
        }
    }

    pub fn error(&self, text: &str) {
        eprintln!("error: {}", redact_message(text));
    }

    /// A detail line under an error or warning, on stderr.
    pub fn detail(&self, text: &str) {
        eprintln!("  {}", redact_message(text));
    }

    pub fn cause(&self, text: &str) {
        eprintln!("  caused by: {}", redact_message(text));
    }
}

/// Data for stdout, gathered whole and written with known secrets hidden on `flush`.
struct Redacted(Vec<u8>);

impl Redacted {
    fn new() -> Self {
        Redacted(Vec::new())
    }
}

impl Write for Redacted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let text = match std::str::from_utf8(&self.0) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&self.0),
        };
        let mut out = io::stdout().lock();
        out.write_all(redact(&text).as_bytes())?;
        self.0.clear();
        out.flush()
    }
}

/// The writer of log lines: each event is gathered whole, then written to stderr with secrets
/// hidden (known values, and values that look like credentials).
pub struct LogLine(Vec<u8>);

impl LogLine {
    pub fn new() -> Self {
        LogLine(Vec::new())
    }
}

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.0);
        let result = io::stderr().lock().write_all(redact_message(&text).as_bytes());
        self.0.clear();
        result
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Counts printed with a noun: "1 object", "2 objects" (one helper for the whole CLI).
pub use mlx::text::{counted, counted_as, noun_for};

/// Color only on a terminal, and never with `NO_COLOR` set.
pub fn color_on_stdout() -> bool {
    use std::io::IsTerminal;
    no_color_unset() && io::stdout().is_terminal()
}

/// Color on stderr (log lines): only on a terminal, and never with `NO_COLOR` set.
pub fn color_on_stderr() -> bool {
    use std::io::IsTerminal;
    no_color_unset() && io::stderr().is_terminal()
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
