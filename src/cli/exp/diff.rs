//! `mlx exp diff`

use mlx::ops::exp::{self, DiffRow};
use mlx::tracking::query::MetricValue;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted, noun_for};
use super::{NONE, human_duration, short_commit, short_time};

/// Compare two experiments (or runs): git state, params, latest metrics, tags and environment
///
/// Each side is an experiment (name, id or unique prefix) or a run (id or unique prefix). Rows
/// that differ are marked with `*` (and colored on a terminal). The environment (OS, CPU,
/// memory, GPUs, Python, lock files' hashes) is shown where it differs.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp diff exp-3fa2c exp-9d01e\n  mlx exp diff 01jd4k 01jd5m --json"
)]
pub struct DiffArgs {
    /// The first experiment or run
    #[arg(value_name = "A", add = super::super::complete::experiments_and_runs())]
    run_a: String,
    /// The second experiment or run
    #[arg(value_name = "B", add = super::super::complete::experiments_and_runs())]
    run_b: String,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let report = exp::diff(ctx.project()?, &args.run_a, &args.run_b)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut marked = Vec::new();
    let mut push = |changed: bool, key: String, a: String, b: String, delta: String| {
        rows.push(vec![if changed { "*".into() } else { String::new() }, key, a, b, delta]);
        marked.push(changed);
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| NONE.into());
    for f in &report.fields {
        let show = |v: &Option<String>| match (f.key.as_str(), v) {
            (_, None) => NONE.into(),
            ("commit", Some(c)) => short_commit(Some(c), false),
            ("start", Some(t)) => short_time(t),
            ("duration", Some(d)) => d.parse().map_or_else(|_| d.clone(), human_duration),
            (_, Some(v)) => v.clone(),
        };
        push(f.changed, f.key.clone(), show(&f.a), show(&f.b), String::new());
    }
    let kv = |prefix: &str,
              rows: &[DiffRow<String>],
              push: &mut dyn FnMut(bool, String, String, String, String)| {
        for r in rows {
            push(r.changed, format!("{prefix}.{}", r.name), opt(&r.a), opt(&r.b), String::new());
        }
    };
    kv("params", &report.params, &mut push);
    for m in &report.metrics {
        let show = |v: &Option<MetricValue>| v.map_or_else(|| NONE.into(), |v| v.short());
        let delta = match (m.a, m.b) {
            (Some(a), Some(b)) if m.changed && a.0.is_finite() && b.0.is_finite() => {
                let d = MetricValue(b.0 - a.0).short();
                if d.starts_with('-') { d } else { format!("+{d}") }
            }
            _ => String::new(),
        };
        push(m.changed, format!("metrics.{}", m.name), show(&m.a), show(&m.b), delta);
    }
    kv("tags", &report.tags, &mut push);
    // The environment only where it changed: the rest is the same machine, said once below.
    let same_env = report.environment.iter().filter(|r| !r.changed).count();
    let changed_env: Vec<DiffRow<String>> = report
        .environment
        .iter()
        .filter(|r| r.changed)
        .map(|r| DiffRow {
            key: r.key.clone(),
            name: r.name.clone(),
            a: r.a.as_deref().map(short_env_value),
            b: r.b.as_deref().map(short_env_value),
            changed: true,
        })
        .collect();
    kv("env", &changed_env, &mut push);
    let a = report.a.id().as_str();
    let b = report.b.id().as_str();
    let changed = marked.iter().filter(|c| **c).count();
    out.table_marked(&["", "", a, b, ""], &rows, &marked)?;
    if same_env > 0 {
        out.status(&format!(
            "{} of the environment the same, not listed (mlx exp diff --json lists them)",
            counted(same_env, "fact")
        ));
    }
    out.status(&format!(
        "{changed} of {} {}",
        counted(marked.len(), "value"),
        noun_for(changed, "differs", "differ")
    ));
    Ok(ExitStatus::Success)
}

/// A lock file's hash as its first 12 digits; other facts as they are.
fn short_env_value(v: &str) -> String {
    if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        v[..12].to_owned()
    } else {
        v.to_owned()
    }
}
