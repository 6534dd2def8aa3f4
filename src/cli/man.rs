//! `mlx man DIR`: write a man page for mlx and for each visible command into DIR (`mlx.1`,
//! `mlx-exp-list.1`, …). Hidden: the test suite keeps docs/man/ in sync with it.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::CommandFactory;
use clap_mangen::roff::{Roff, roman};

use super::context::Context;
use super::exit::ExitStatus;

/// Write man pages for every command into a folder
#[derive(clap::Args)]
pub struct ManArgs {
    /// The folder to write the pages into (created if missing)
    dir: PathBuf,
}

pub fn run(ctx: &Context, args: &ManArgs) -> anyhow::Result<ExitStatus> {
    let dir = ctx.cwd().join(&args.dir);
    fs_err::create_dir_all(&dir)?;
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let source = format!("mlx {}", cmd.get_version().unwrap_or_default());
    let mut pages = Vec::new();
    collect(&cmd, None, &source, &mut pages)?;
    for (name, page) in pages {
        fs_err::write(dir.join(name), page)?;
    }
    Ok(ExitStatus::Success)
}

/// The page of `cmd`, then those of its visible subcommands, depth first.
fn collect(
    cmd: &clap::Command,
    parent: Option<&str>,
    source: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name()).to_owned();
    pages.push((format!("{name}.1"), page(cmd, parent, source).context("cannot render")?));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, Some(&name), source, pages)?;
    }
    Ok(())
}

/// clap_mangen's page, with the after-help text (notes, then examples) kept line by line
/// instead of filled into one paragraph, and a SEE ALSO naming the parent command's page.
fn page(cmd: &clap::Command, parent: Option<&str>, source: &str) -> std::io::Result<Vec<u8>> {
    let after_help = cmd.get_after_help().map(ToString::to_string);
    let bare = cmd.clone().after_help(None::<&str>).after_long_help(None::<&str>);
    let mut out = Vec::new();
    clap_mangen::Man::new(bare).source(source).render(&mut out)?;

    let mut extra = Roff::new();
    if let Some(text) = after_help {
        let (notes, examples) = split_examples(&text);
        verbatim_section(&mut extra, "NOTES", notes);
        verbatim_section(&mut extra, "EXAMPLES", examples);
    }
    if let Some(parent) = parent {
        extra.control("SH", ["SEE ALSO"]);
        extra.text([roman(format!("{parent}(1)"))]);
    }
    // Each rendering starts with the same preamble; the page already has it.
    let preamble = Roff::new().render();
    let extra = extra.render();
    let extra = extra.strip_prefix(&preamble).unwrap_or(&extra).as_bytes();
    // Before the VERSION section that ends the top-level page.
    let at = find(&out, b"\n.SH VERSION\n").map_or(out.len(), |i| i + 1);
    out.splice(at..at, extra.iter().copied());
    Ok(out)
}

/// Split an after-help text at its `Examples:` (or `Example:`) line.
fn split_examples(text: &str) -> (&str, &str) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if matches!(line.trim_end(), "Examples:" | "Example:") {
            return (&text[..offset], &text[offset + line.len()..]);
        }
        offset += line.len();
    }
    (text, "")
}

/// A section whose lines are kept as written (commands to copy, aligned comments).
fn verbatim_section(roff: &mut Roff, title: &str, text: &str) {
    let text = text.trim_matches('\n');
    if text.trim().is_empty() {
        return;
    }
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    roff.control("SH", [title]);
    roff.control("nf", []);
    for line in text.lines() {
        roff.text([roman(line.get(indent..).unwrap_or_default())]);
    }
    roff.control("fi", []);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
