//! `mlx exp show`

use mlx::fs_util::human_size;
use mlx::ops::exp::{self, ColumnKind, ExperimentDetail, Shown};
use mlx::tracking::inputs::{InputState, RunInput};
use mlx::tracking::query::RunDetail;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};
use super::{NONE, human_duration, short_time};

/// Show an experiment (its stages, params and metrics) or one run in full
///
/// For an experiment: git state, the --set overrides, each stage with the run behind its results
/// (run now, restored, or up to date and recorded earlier), every param and metric, and the
/// inputs its runs read (tracked data and deps no stage of it produced, with their hashes). For
/// a run (or a command's experiment): params, tags, metrics with their history, inputs and
/// artifacts. Both end with the environment the runs ran on (OS, CPU, memory, GPUs, Python,
/// lock files' hashes).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp show exp-3fa2c\n  mlx exp show 01jd4k\n  mlx exp show 01jd4k --json | jq .metrics"
)]
pub struct ShowArgs {
    /// The experiment (name, id or unique prefix) or run (id or unique prefix)
    #[arg(value_name = "EXP|RUN", add = super::super::complete::experiments_and_runs())]
    run: String,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ShowArgs) -> anyhow::Result<ExitStatus> {
    let shown = exp::show(ctx.project()?, &args.run)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&shown)?;
        return Ok(ExitStatus::Success);
    }
    match &shown {
        Shown::Run(run) => render(ctx, run)?,
        Shown::Experiment(e) => render_experiment(ctx, e)?,
    }
    Ok(ExitStatus::Success)
}

fn render_experiment(ctx: &Context, detail: &ExperimentDetail) -> anyhow::Result<()> {
    let out = ctx.output();
    let e = &detail.experiment;
    let commit = match &e.commit {
        Some(c) => {
            let mut s = c.clone();
            if let Some(b) = &e.branch {
                s.push_str(&format!(" on {b}"));
            }
            if e.dirty {
                let changed = detail
                    .inputs
                    .iter()
                    .filter(|i| {
                        matches!(i.input.state(), Some(InputState::Modified | InputState::Missing))
                    })
                    .count();
                if changed > 0 {
                    s.push_str(&format!(
                        " (uncommitted changes, {} modified)",
                        counted(changed, "tracked path")
                    ));
                } else {
                    s.push_str(" (uncommitted changes)");
                }
            }
            s
        }
        None => "none (no commit yet)".into(),
    };
    let when =
        |t: Option<&str>| t.map_or_else(|| NONE.into(), |t| format!("{} UTC", short_time(t)));
    let mut fields = vec![
        ("experiment", e.id.to_string()),
        ("name", e.name.clone()),
        ("kind", e.kind.clone()),
        ("status", e.status.clone()),
        ("commit", commit),
        ("start", when(e.started.as_deref().or(Some(&e.created)))),
        ("end", when(e.ended.as_deref())),
        ("duration", e.duration.map_or_else(|| NONE.into(), human_duration)),
    ];
    if !e.overrides.is_empty() {
        fields.push((
            "overrides",
            e.overrides.iter().map(|o| format!("--set {o}")).collect::<Vec<_>>().join(" "),
        ));
    }
    if let Some(w) = &e.workspace {
        fields.push(("workspace", w.clone()));
    }
    fields.push((
        "mlx.lock",
        e.lock_hash.as_deref().map_or(NONE.into(), |h| h[..h.len().min(12)].to_owned()),
    ));
    fields.push(("host", format!("{} (user {})", e.host, e.user)));
    let rows: Vec<Vec<String>> = fields.into_iter().map(|(k, v)| vec![k.to_owned(), v]).collect();
    out.table(&[], &rows)?;
    if !e.stages.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = e
            .stages
            .iter()
            .map(|s| {
                let run = s.run.as_ref().map_or_else(|| NONE.to_owned(), ToString::to_string);
                let from = match (&s.run, s.own) {
                    (None, _) => "no run known here".to_owned(),
                    (Some(_), true) => "this experiment".to_owned(),
                    (Some(_), false) => "an earlier run".to_owned(),
                };
                vec![s.stage.clone(), s.outcome.replace('_', " "), run, from]
            })
            .collect();
        out.table(&["STAGES", "OUTCOME", "RUN", "RESULTS FROM"], &rows)?;
    }
    // Named short, as `exp list` names its columns.
    let of_kind = |kind: ColumnKind| detail.columns.iter().filter(move |c| c.kind == kind);
    let params: Vec<Vec<String>> = of_kind(ColumnKind::Param)
        .filter_map(|c| e.params.get(c.key.as_str()).map(|v| vec![c.name.clone(), v.clone()]))
        .collect();
    if !params.is_empty() {
        out.line("")?;
        out.table(&["PARAMS", "VALUE"], &params)?;
    }
    let metrics: Vec<Vec<String>> = of_kind(ColumnKind::Metric)
        .filter_map(|c| e.metrics.get(c.key.as_str()).map(|v| vec![c.name.clone(), v.short()]))
        .collect();
    if !metrics.is_empty() {
        out.line("")?;
        out.table(&["METRICS", "VALUE"], &metrics)?;
    }
    if !detail.inputs.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = detail
            .inputs
            .iter()
            .map(|s| {
                let i = &s.input;
                vec![
                    i.path.clone(),
                    s.stage.clone().unwrap_or_else(|| NONE.into()),
                    i.size.map_or_else(|| NONE.into(), human_size),
                    short_hash(i.hash.as_deref()),
                    input_state(i),
                ]
            })
            .collect();
        out.table(&["INPUTS", "STAGE", "SIZE", "HASH", "STATE"], &rows)?;
    }
    environment(out, &detail.environment)?;
    Ok(())
}

/// The ENVIRONMENT table: every fact recorded, memory sizes human, lock files' hashes short.
fn environment(
    out: &super::super::output::Output,
    facts: &mlx::tracking::environment::Facts,
) -> std::io::Result<()> {
    if facts.is_empty() {
        return Ok(());
    }
    out.line("")?;
    let rows: Vec<Vec<String>> = facts
        .iter()
        .map(|(k, v)| {
            let shown = if k == "memory" || k.ends_with(".memory") {
                v.parse().map_or_else(|_| v.clone(), human_size)
            } else if k.starts_with("lock.") {
                short_hash(Some(v))
            } else {
                v.clone()
            };
            vec![k.clone(), shown]
        })
        .collect();
    out.table(&["ENVIRONMENT", "VALUE"], &rows)
}

/// How an input compared with its pointer: `-` for paths no pointer tracks.
fn input_state(i: &RunInput) -> String {
    match i.state() {
        None => NONE.to_owned(),
        Some(InputState::Unchanged) => "unchanged".to_owned(),
        Some(InputState::Modified) => "modified".to_owned(),
        Some(InputState::Missing) => "missing".to_owned(),
    }
}

/// The first 12 digits of a hash, `-` without one.
fn short_hash(hash: Option<&str>) -> String {
    hash.map_or_else(|| NONE.into(), |h| h[..h.len().min(12)].to_owned())
}

fn render(ctx: &Context, run: &RunDetail) -> anyhow::Result<()> {
    let out = ctx.output();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| NONE.into());
    let status = match run.exit_code {
        Some(code) => format!("{} (exit code {code})", run.status),
        None => run.status.clone(),
    };
    let commit = match &run.commit {
        Some(c) => {
            let mut s = c.clone();
            if let Some(b) = &run.branch {
                s.push_str(&format!(" on {b}"));
            }
            if run.dirty {
                s.push_str(" (dirty");
                if let Some(h) = &run.diff_hash {
                    s.push_str(&format!(", diff {}", &h[..h.len().min(12)]));
                }
                let changed = run
                    .inputs
                    .iter()
                    .filter(|i| {
                        matches!(i.state(), Some(InputState::Modified | InputState::Missing))
                    })
                    .count();
                if changed > 0 {
                    s.push_str(&format!(", {} modified", counted(changed, "tracked path")));
                }
                s.push(')');
            }
            s
        }
        None => "none (no commit yet)".into(),
    };
    let fields = vec![
        ("run", run.id.to_string()),
        ("name", opt(&run.name)),
        ("status", status),
        ("command", shell_words(&run.command)),
        ("cwd", run.cwd.clone()),
        ("commit", commit),
        ("start", format!("{} UTC", short_time(&run.start))),
        (
            "end",
            run.end.as_deref().map_or_else(|| NONE.into(), |e| format!("{} UTC", short_time(e))),
        ),
        ("duration", run.duration.map_or_else(|| NONE.into(), human_duration)),
        ("host", format!("{} (user {})", run.host, run.user)),
        ("mlx", run.mlx_version.clone()),
    ];
    let rows: Vec<Vec<String>> = fields.into_iter().map(|(k, v)| vec![k.to_owned(), v]).collect();
    out.table(&[], &rows)?;
    for (title, map) in [("params", &run.params), ("tags", &run.tags)] {
        if map.is_empty() {
            continue;
        }
        out.line("")?;
        let rows: Vec<Vec<String>> = map.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect();
        out.table(&[title.to_uppercase().as_str(), "VALUE"], &rows)?;
    }
    if !run.metrics.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = run
            .metrics
            .iter()
            .map(|(k, m)| {
                let steps = if m.first_step == m.last_step {
                    format!("{} (step {})", m.steps, m.last_step)
                } else {
                    format!("{} ({}..{})", m.steps, m.first_step, m.last_step)
                };
                vec![
                    k.clone(),
                    m.last.short(),
                    m.min.short(),
                    m.max.short(),
                    steps,
                    sparkline(&m.series),
                ]
            })
            .collect();
        out.table(&["METRICS", "LAST", "MIN", "MAX", "STEPS", "HISTORY"], &rows)?;
    }
    if !run.inputs.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = run
            .inputs
            .iter()
            .map(|i| {
                vec![
                    i.path.clone(),
                    i.kind.as_str().to_owned(),
                    i.size.map_or_else(|| NONE.into(), human_size),
                    short_hash(i.hash.as_deref()),
                    input_state(i),
                ]
            })
            .collect();
        out.table(&["INPUTS", "KIND", "SIZE", "HASH", "STATE"], &rows)?;
    }
    if !run.artifacts.is_empty() {
        out.line("")?;
        let rows: Vec<Vec<String>> = run
            .artifacts
            .iter()
            .map(|a| {
                vec![
                    a.path.clone(),
                    a.kind.clone(),
                    human_size(a.size),
                    a.hash[..a.hash.len().min(12)].to_owned(),
                ]
            })
            .collect();
        out.table(&["ARTIFACTS", "KIND", "SIZE", "HASH"], &rows)?;
    }
    environment(out, &run.environment)?;
    Ok(())
}

/// The command as a shell would read it back.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            let plain =
                !a.is_empty() && a.chars().all(|c| c.is_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain { a.clone() } else { format!("'{}'", a.replace('\'', r"'\''")) }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `▁▂▃▅▇█` over the finite values; NaN is a gap, ±inf the bottom or top.
fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.len() < 2 {
        return String::new();
    }
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) =
        finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                ' '
            } else if v == f64::INFINITY {
                BARS[7]
            } else if v == f64::NEG_INFINITY || hi <= lo {
                BARS[0]
            } else {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let i = ((v - lo) / (hi - lo) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_and_commands() {
        assert_eq!(sparkline(&[0.0, 0.5, 1.0, f64::NAN, f64::INFINITY]), "▁▅█ █");
        assert_eq!(sparkline(&[2.0, 2.0]), "▁▁");
        assert_eq!(sparkline(&[1.0]), "");
        assert_eq!(
            shell_words(&["python".into(), "a b".into(), "it's".into()]),
            r"python 'a b' 'it'\''s'"
        );
    }
}
