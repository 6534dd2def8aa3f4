//! `mlx exp check`

use mlx::ops::exp::{self, Basis, CheckOptions};

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, noun_for};

/// Check an experiment against an expression; exit 1 when it does not hold (a CI gate)
///
/// Without --exp or --run, judges the experiment that stands for HEAD's committed setup: the
/// newest finished pipeline experiment whose mlx.lock is the one HEAD commits, or that ran on
/// HEAD's commit; never a --set variant, nor one run on a work tree with uncommitted changes.
/// Its metrics come from all its stages, also those that were up to date and did not rerun.
/// Without an mlx.lock at HEAD, an experiment that ran on HEAD's commit. An ancestor's
/// experiment is judged only with --ancestors. Prints which experiment and commit it judged, and
/// each comparison with the value it had, on stderr; --json prints them on stdout.
///
/// Exit 0 when the expression holds, 1 when it does not, 2 when there is nothing to judge: no
/// experiment stands for HEAD (none recorded on a clean work tree, or none with a run recorded
/// here), no such experiment, run or stage, or a key no recorded run has.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  mlx run && mlx exp check 'metrics.acc >= 0.9 and metrics.loss < 0.3'
  mlx exp check 'metrics.auc > 0.8' --stage evaluate
  mlx exp check \"status = 'finished' and metrics.f1 > 0.8\" --exp exp-3fa2c
  mlx exp check 'metrics.acc >= 0.9' --ancestors   # results committed on an earlier commit")]
pub struct CheckArgs {
    /// The condition, in the filter language of `mlx exp list --filter`
    #[arg(value_name = "EXPR")]
    expr: String,
    /// The experiment to check (name, id or unique prefix) [default: HEAD's]
    #[arg(
        long,
        value_name = "EXP",
        conflicts_with = "run",
        add = super::super::complete::experiments()
    )]
    exp: Option<String>,
    /// Check one run instead (id, unique prefix or name)
    #[arg(long, value_name = "RUN", add = super::super::complete::runs())]
    run: Option<String>,
    /// Check only this stage's run of the experiment
    #[arg(long, value_name = "STAGE", conflicts_with = "run")]
    stage: Option<String>,
    /// When no experiment stands for HEAD, check the nearest first-parent ancestor's (up to 100
    /// commits back); the output says which
    #[arg(long, conflicts_with_all = ["run", "exp"])]
    ancestors: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let report = exp::check(
        ctx.project()?,
        &CheckOptions {
            expr: args.expr.clone(),
            run: args.run.clone(),
            exp: args.exp.clone(),
            stage: args.stage.clone(),
            ancestors: args.ancestors,
        },
    )?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        for c in &report.comparisons {
            let actual =
                c.actual.as_ref().map_or_else(|| "missing".to_owned(), ToString::to_string);
            let verdict = if c.passed { "ok  " } else { "FAIL" };
            let line = format!("{verdict}  {} = {actual} (needs {})", c.field, c.expected);
            if c.passed { out.status(&line) } else { out.problem(&line) }
        }
        let verdict = if report.passed { "passed" } else { "failed" };
        let experiment = match (&report.experiment_name, &report.experiment) {
            (Some(name), Some(id)) => format!("experiment {name} ({id})"),
            (None, Some(id)) => format!("experiment {id}"),
            _ => String::new(),
        };
        let what = match (&report.run, &report.stage) {
            (Some(run), Some(stage)) if !experiment.is_empty() => {
                format!("run {run} (stage {stage}) of {experiment}")
            }
            (Some(run), _) => {
                let name = report.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                format!("run {run}{name}")
            }
            (None, _) => experiment,
        };
        let commit = report
            .commit
            .as_deref()
            .map_or_else(|| "no commit".to_owned(), |c| format!("commit {}", &c[..c.len().min(8)]));
        let why = match report.basis {
            Basis::Named => String::new(),
            Basis::HeadLock => ": it recorded the mlx.lock HEAD commits".into(),
            Basis::HeadCommit => ": it ran on HEAD's commit".into(),
            Basis::Ancestor => format!(
                ": no experiment stands for HEAD; this one stands for its ancestor {} (HEAD~{})",
                report.ancestor.as_deref().map_or("", |a| &a[..a.len().min(8)]),
                report.ancestor_distance.unwrap_or(0)
            ),
        };
        out.status(&format!("check {verdict} for {what} on {commit}{why}"));
        let missing = report.comparisons.iter().any(|c| c.actual.is_none());
        if missing && !report.stages_without_run.is_empty() {
            out.warn(&format!(
                "no run of {} {} is recorded here, so {} params and metrics are missing \
                 (fetch the team's runs with `mlx fetch --runs`, or rerun with `mlx run STAGE \
                 --force`)",
                noun_for(report.stages_without_run.len(), "stage", "stages"),
                report.stages_without_run.join(", "),
                noun_for(report.stages_without_run.len(), "its", "their"),
            ));
        }
        if report.basis == Basis::Ancestor {
            out.warn("judged an ancestor's experiment: HEAD's own changes were not measured");
        }
    }
    Ok(if report.passed { ExitStatus::Success } else { ExitStatus::CheckFailed })
}
