//! `mlx exp show`

use mlx::fs_util::human_size;
use mlx::ops::exp;
use mlx::tracking::inputs::InputState;
use mlx::tracking::query::RunDetail;

use super::super::context::Context;
use super::super::exit::ExitStatus;
use super::super::output::{FormatArgs, counted};
use super::{NONE, human_duration, short_time};

/// Show everything about one run: git state, params, tags, metrics with their history, artifacts
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx exp show 01jd4k\n  mlx exp show 01jd4k --json | jq .metrics"
)]
pub struct ShowArgs {
    /// The run: its id, a unique prefix of it, or its name
    #[arg(value_name = "RUN", add = super::super::complete::runs())]
    run: String,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &ShowArgs) -> anyhow::Result<ExitStatus> {
    let run = exp::show(ctx.project()?, &args.run)?;
    let out = ctx.output();
    if args.format.json {
        out.json(&run)?;
        return Ok(ExitStatus::Success);
    }
    render(ctx, &run)?;
    Ok(ExitStatus::Success)
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
                let state = match i.state() {
                    None => NONE.to_owned(),
                    Some(InputState::Unchanged) => "unchanged".to_owned(),
                    Some(InputState::Modified) => "modified".to_owned(),
                    Some(InputState::Missing) => "missing".to_owned(),
                };
                vec![
                    i.path.clone(),
                    i.kind.as_str().to_owned(),
                    i.size.map_or_else(|| NONE.into(), human_size),
                    i.hash
                        .as_deref()
                        .map_or_else(|| NONE.into(), |h| h[..h.len().min(12)].to_owned()),
                    state,
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
