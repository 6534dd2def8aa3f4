//! `mlx data drift`

use std::path::PathBuf;

use mlx::ops::data_drift::{self, DriftOptions};
use mlx::quality::DriftReport;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;
use super::num;

/// Measure drift between two versions of a data file; exit 1 when a column is over a threshold
///
/// Compares the two versions' profiles (made and stored when missing), column by column:
/// numbers by the population stability index (PSI, ten bins cut at the --from version's
/// deciles) and the Kolmogorov–Smirnov statistic; categories (text, booleans) by the
/// Jensen–Shannon divergence (base 2) and a chi-squared test. Thresholds: [drift] in mlx.toml
/// (defaults psi 0.2, ks 0.1, js 0.1). `--exp A --exp B` compares the versions two experiments
/// (or runs) read.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx data drift data/train.csv --from main\n  mlx data drift data/train.csv --from v1.0 --to v2.0 --md\n  mlx data drift data/train.csv --exp baseline --exp tuned --json"
)]
pub struct DriftArgs {
    /// The data file
    #[arg(value_name = "PATH")]
    path: PathBuf,
    /// The reference version: a revision (branch, tag or commit)
    #[arg(long, value_name = "REV", required_unless_present = "exp", conflicts_with = "exp")]
    from: Option<String>,
    /// The version compared (default: the work tree's file)
    #[arg(long, value_name = "REV", conflicts_with = "exp")]
    to: Option<String>,
    /// Two experiments or runs (the reference first): the versions they read
    #[arg(long, value_name = "EXP", num_args = 1, action = clap::ArgAction::Append)]
    exp: Vec<String>,
    /// The remote to read profiles and data from (default: the default remote)
    #[arg(long, value_name = "NAME")]
    remote: Option<String>,
    /// Print a Markdown table (for a pull-request comment)
    #[arg(long, conflicts_with = "json")]
    md: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &DriftArgs) -> anyhow::Result<ExitStatus> {
    if !args.exp.is_empty() && args.exp.len() != 2 {
        anyhow::bail!(mlx::ops::data_drift::DriftError::TwoExps);
    }
    let opts = DriftOptions {
        path: args.path.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        exps: args.exp.clone(),
        cwd: ctx.cwd().to_path_buf(),
        remote: args.remote.clone(),
    };
    let reporter = ctx.reporter(args.format.json);
    let report = data_drift::run(ctx.project()?, &opts, reporter.as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
    } else {
        let (headers, rows) = table(&report);
        if args.md {
            out.line(&format!(
                "### Data drift: `{}` ({} → {})\n",
                report.path, report.from.source, report.to.source
            ))?;
            out.markdown(&headers, &rows)?;
        } else {
            out.table(&headers, &rows)?;
        }
        if !report.added.is_empty() {
            out.warn(&format!("columns only in {}: {}", report.to.source, report.added.join(", ")));
        }
        if !report.removed.is_empty() {
            out.warn(&format!(
                "columns only in {}: {}",
                report.from.source,
                report.removed.join(", ")
            ));
        }
        let over = report.columns.iter().filter(|c| !c.over.is_empty()).count();
        out.status(&format!(
            "{} ({} rows) → {} ({} rows): {} of {} over a threshold",
            report.from.source,
            report.from.rows,
            report.to.source,
            report.to.rows,
            mlx::text::counted(over, "column"),
            report.columns.len()
        ));
    }
    Ok(if report.drifted { ExitStatus::CheckFailed } else { ExitStatus::Success })
}

fn table(r: &DriftReport) -> ([&'static str; 8], Vec<Vec<String>>) {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".into(), num);
    let rows = r
        .columns
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.kind.clone(),
                opt(c.psi),
                opt(c.ks),
                opt(c.js),
                opt(c.chi2_pvalue),
                format!("{} → {}", num(c.null_rate_from), num(c.null_rate_to)),
                if c.over.is_empty() {
                    "ok".into()
                } else {
                    format!("drift: {}", c.over.join(", "))
                },
            ]
        })
        .collect();
    (["column", "kind", "psi", "ks", "js", "chi2 p", "null rate", "verdict"], rows)
}
