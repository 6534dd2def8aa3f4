//! `mlx exp apply`

use mlx::ops::exp_apply::{self, ApplyOptions};

use super::super::complete;
use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted, counted_as};

/// Bring an experiment's params, code and outputs into the work tree
///
/// Writes the files the experiment changed (params files with its --set overrides, mlx.lock,
/// code a variant started from) as it left them, then restores the stage outputs its mlx.lock
/// names from the cache, fetching them from the remote when missing. Afterwards `mlx status` is
/// clean and `git diff` shows the experiment's changes, ready to commit. Files with changes git
/// has not recorded are not overwritten without --force, nor are files HEAD changed since the
/// experiment's commit.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp apply exp-3fa2c1\n  mlx exp apply fast && git commit -am 'lr 0.5'\n  mlx exp apply 01jd4k --force   # overwrite local edits"
)]
pub struct ApplyArgs {
    /// The experiment: its name, its id or a unique prefix of it
    #[arg(value_name = "EXP", add = complete::runs())]
    experiment: String,
    /// Overwrite local changes to the files and outputs it changes
    #[arg(short, long)]
    force: bool,
    /// The remote to fetch missing outputs from (default: `[core] remote`, or the only one)
    #[arg(short, long, value_name = "NAME", add = complete::remotes())]
    remote: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ApplyArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let opts = ApplyOptions {
        experiment: args.experiment.clone(),
        force: args.force,
        remote: args.remote.clone(),
    };
    let report = exp_apply::apply(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    let missing: usize = report.outputs.iter().map(|o| o.missing_objects.len()).sum();
    let status = if missing == 0 { ExitStatus::Success } else { ExitStatus::CheckFailed };
    if args.format.json {
        out.json(&report)?;
        return Ok(status);
    }
    if report.fetched > 0 {
        out.status(&format!("fetched {} from the remote", counted(report.fetched, "object")));
    }
    let mut rows: Vec<Vec<String>> = report
        .files
        .iter()
        .filter(|f| f.written)
        .map(|f| vec![f.change.letter().to_string(), f.path.clone()])
        .collect();
    rows.extend(
        report
            .outputs
            .iter()
            .filter(|o| o.restored + o.removed > 0)
            .map(|o| vec!["restored".into(), o.path.clone()]),
    );
    out.done_table(&[], &rows)?;
    let written = report.files.iter().filter(|f| f.written).count();
    let restored = report.outputs.iter().filter(|o| o.restored + o.removed > 0).count();
    let overrides = if report.overrides.is_empty() {
        String::new()
    } else {
        format!(" ({})", report.overrides.join(" "))
    };
    let on = &report.commit[..report.commit.len().min(8)];
    out.status(&format!(
        "applied experiment {}{overrides}, made on {on}: {} written, {} restored",
        report.name,
        counted(written, "file"),
        counted(restored, "output")
    ));
    if report.status != "finished" {
        out.advise(&format!(
            "experiment {} {}: the stages that did not succeed are stale (see mlx status)",
            report.name, report.status
        ));
    }
    if report.head.as_deref().is_some_and(|h| h != report.commit) {
        out.advise(&format!("HEAD is not {on}, the commit the experiment was made on"));
    }
    if missing > 0 {
        out.problem(&format!(
            "{} not in the cache, so not restored:",
            counted_as(missing, "object is", "objects are")
        ));
        for o in report.outputs.iter().filter(|o| !o.missing_objects.is_empty()) {
            out.detail(&o.path);
        }
        out.hint("fetch them with: mlx pull");
    }
    if !report.left_alone.is_empty() {
        out.advise("tracked data the experiment did not change was left as it is:");
        for c in &report.left_alone {
            out.detail(&format!("{}  {}", c.path, c.reason));
        }
    }
    if written > 0 {
        out.hint(&format!(
            "review with `git diff`, then commit; or keep it on a branch instead: mlx exp branch {} NAME",
            report.name
        ));
    }
    Ok(status)
}
