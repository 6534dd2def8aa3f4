//! `mlx add`

use std::path::PathBuf;

use mlx::fs_util::human_size;
use mlx::ops::add::{self, AddOptions};
use mlx::ops::add_from::{self, AddFromOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::{FormatArgs, counted};

/// Track files or directories: cache their content, write PATH.mlx pointers
///
/// Adding an unchanged path again does nothing; adding a changed one updates its pointer.
/// Files matching .mlxignore patterns are left out of tracked directories. At a terminal, a
/// folder not tracked yet that holds more than 10,000 files is tracked only once confirmed.
///
/// With --from REPO, PATH is data another mlx repository tracks (a data registry: a git URL or
/// a folder): it is downloaded through that repository's default remote and tracked here, its
/// origin recorded in the pointer; `mlx update` moves it to a newer revision.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx add data/images\n  mlx add model.bin data/labels.csv\n  mlx add --yes data/raw   # a large folder, without asking\n  mlx add --from https://github.com/acme/datasets images/train --rev v2 -o data/train"
)]
pub struct AddArgs {
    /// Files or directories to track (with --from: the one path in REPO)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Do not ask before tracking a folder of more than 10,000 files (only asked at a terminal)
    #[arg(short, long)]
    yes: bool,
    /// Import PATH from this repository (a git URL or a folder), recording where it came from
    #[arg(long, value_name = "REPO")]
    from: Option<String>,
    /// With --from: a branch, tag or commit of REPO (default: its default branch)
    #[arg(long, value_name = "REV", requires = "from")]
    rev: Option<String>,
    /// With --from: where to put the data; an existing folder: inside it (default: PATH's name)
    #[arg(short, long, value_name = "OUT", requires = "from")]
    out: Option<PathBuf>,
    /// With --from: replace what is at OUT
    #[arg(short, long, requires = "from")]
    force: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &AddArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    if let Some(repo) = &args.from {
        return add_from(ctx, project, args, repo);
    }
    let opts = AddOptions { cwd: ctx.cwd().to_path_buf(), paths: args.paths.clone() };
    if !args.yes && !confirm_large_folders(ctx, project, &opts)? {
        ctx.output().problem("nothing added");
        return Ok(ExitStatus::CheckFailed);
    }
    let report = add::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = report
        .added
        .iter()
        .map(|a| {
            vec![
                if a.changed { "added" } else { "unchanged" }.to_owned(),
                a.path.clone(),
                a.kind.as_str().to_owned(),
                counted(a.files, "file"),
                human_size(a.size),
                a.hash.short(),
            ]
        })
        .collect();
    out.done_table(&[], &rows)?;
    if !report.git_paths.is_empty() {
        out.hint(&format!("record the change with git: git add {}", report.git_paths.join(" ")));
    }
    Ok(ExitStatus::Success)
}

/// `mlx add --from REPO PATH`.
fn add_from(
    ctx: &Context,
    project: &mlx::project::Project,
    args: &AddArgs,
    repo: &str,
) -> anyhow::Result<ExitStatus> {
    let [path] = args.paths.as_slice() else {
        anyhow::bail!(super::exit::UsageError(
            "--from takes one PATH (the path in REPO); run it once per path".into()
        ));
    };
    let opts = AddFromOptions {
        repo: repo.to_owned(),
        path: path.to_string_lossy().into_owned(),
        rev: args.rev.clone(),
        out: args.out.clone(),
        cwd: ctx.cwd().to_path_buf(),
        force: args.force,
    };
    let report = add_from::run(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    out.done_table(
        &[],
        &[vec![
            "imported".to_owned(),
            report.path.clone(),
            report.kind.as_str().to_owned(),
            counted(report.files, "file"),
            human_size(report.size),
            format!("{}:{} at {}", report.repo, report.repo_path, &report.commit[..8]),
        ]],
    )?;
    out.hint(&format!("record it with git: git add {}", report.git_paths.join(" ")));
    Ok(ExitStatus::Success)
}

/// Whether to go on: asks, when someone can answer (stdin and stderr are terminals), before a
/// folder of more than [`add::MANY_FILES`] files is first tracked. Scripts are never asked.
fn confirm_large_folders(
    ctx: &Context,
    project: &mlx::project::Project,
    opts: &AddOptions,
) -> anyhow::Result<bool> {
    use std::io::IsTerminal;
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(true);
    }
    let large = add::large_new_folders(project, opts, add::MANY_FILES)?;
    if large.is_empty() {
        return Ok(true);
    }
    let listed: Vec<String> =
        large.iter().map(|f| format!("{} holds {} files", f.path, thousands(f.files))).collect();
    let (each, it) = if large.len() == 1 { ("", "it") } else { (" each", "them") };
    let question = format!(
        "{} (more than {}{each}): track {it}? [y/N] ",
        listed.join(", "),
        thousands(add::MANY_FILES)
    );
    Ok(ctx.output().ask(&question)?)
}

/// `12345` → `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(10_000), "10,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
