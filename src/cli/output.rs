//! The only writer to stdout and stderr. stdout carries data (tables, JSON, paths); status,
//! warnings, hints and errors go to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Write};

use serde::Serialize;

/// `--json`, shared by every command that prints data.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct FormatArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
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
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)
    }

    /// One data line on stdout.
    pub fn line(&self, text: &str) -> io::Result<()> {
        writeln!(io::stdout().lock(), "{text}")
    }

    /// Rows as aligned columns on stdout (no header when `headers` is empty).
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        let columns = headers.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut widths = vec![0; columns];
        let all = std::iter::once(headers.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())
            .filter(|h| !h.is_empty())
            .chain(rows.iter().cloned());
        let all: Vec<Vec<String>> = all.collect();
        for row in &all {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = io::stdout().lock();
        for row in &all {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }

    /// A status line on stderr, hidden by `-q`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    pub fn hint(&self, text: &str) {
        if !self.quiet {
            eprintln!("hint: {text}");
        }
    }

    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    pub fn error(&self, text: &str) {
        eprintln!("error: {text}");
    }

    /// A detail line under an error or warning, on stderr.
    pub fn detail(&self, text: &str) {
        eprintln!("  {text}");
    }

    pub fn cause(&self, text: &str) {
        eprintln!("  caused by: {text}");
    }
}
