//! `mlx data profile`

use std::path::PathBuf;

use mlx::ops::data_profile::{self, ProfileOptions};
use mlx::quality::ColumnProfile;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::FormatArgs;
use super::num;

/// Profile a data file: per column its type, counts, range, quantiles and top values
///
/// Per column: the type, count, nulls, distinct values, min, max, mean, standard deviation,
/// quantiles, most frequent values and a histogram.
/// Reads CSV, TSV, JSON lines or Parquet (by the file's ending) in one streaming pass. The
/// profile is stored by the content's hash: a version profiled before answers at once, and
/// `mlx push` carries profiles to the remote so that a clone gets them without the data.
/// `--rev` profiles the version a commit records (a tracked file, a file in a tracked folder,
/// or a stage output), reading it from the cache or the remote.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx data profile data/train.csv\n  mlx data profile data/train.csv --rev v1.0 --json\n  mlx data profile images/labels.parquet --rev HEAD~3"
)]
pub struct ProfileArgs {
    /// The data file
    #[arg(value_name = "PATH")]
    path: PathBuf,
    /// The version a revision (branch, tag or commit) records, instead of the work tree's file
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// The remote to read profiles and data from (default: the default remote)
    #[arg(long, value_name = "NAME")]
    remote: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ProfileArgs) -> anyhow::Result<ExitStatus> {
    let opts = ProfileOptions {
        path: args.path.clone(),
        rev: args.rev.clone(),
        cwd: ctx.cwd().to_path_buf(),
        remote: args.remote.clone(),
    };
    let reporter = ctx.reporter(args.format.json);
    let report = data_profile::run(ctx.project()?, &opts, reporter.as_ref())?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let p = &report.profile;
    let rows: Vec<Vec<String>> = p.columns.iter().map(row).collect();
    out.table(
        &[
            "column", "type", "count", "nulls", "distinct", "min", "max", "mean", "std", "p50",
            "top",
        ],
        &rows,
    )?;
    for s in &p.skipped {
        out.warn(&format!("column {} ({}) skipped: {}", s.name, s.data_type, s.reason));
    }
    for n in &p.notes {
        out.warn(n);
    }
    out.status(&format!(
        "{} ({}): {} rows, {} columns, {}",
        report.data.path,
        &report.data.hash.to_hex()[..8],
        p.rows,
        p.columns.len(),
        match report.origin {
            data_profile::Origin::Stored => "profiled before",
            data_profile::Origin::Remote => "profile from the remote",
            data_profile::Origin::Made => "profiled now",
        }
    ));
    Ok(ExitStatus::Success)
}

fn row(c: &ColumnProfile) -> Vec<String> {
    let value = |v: &Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => short(s),
        Some(serde_json::Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), num),
        Some(other) => other.to_string(),
        None => "-".into(),
    };
    let opt = |v: Option<f64>| v.map_or_else(|| "-".into(), num);
    let median = c.quantiles.iter().find(|q| q.q == 0.5).map(|q| q.value);
    let top =
        c.top.first().map_or_else(|| "-".into(), |t| format!("{} ({})", short(&t.value), t.count));
    vec![
        c.name.clone(),
        c.kind.name().into(),
        c.count.to_string(),
        c.nulls.to_string(),
        c.distinct.to_string(),
        value(&c.min),
        value(&c.max),
        opt(c.mean),
        opt(c.std),
        opt(median),
        top,
    ]
}

fn short(s: &str) -> String {
    if s.chars().count() > 24 {
        format!("{}…", s.chars().take(23).collect::<String>())
    } else {
        s.to_owned()
    }
}
