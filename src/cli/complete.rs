//! Completion of names from the project, at completion time: stage names, experiment and run
//! ids and names, remote names and tracked paths. The shell asks the binary itself (`COMPLETE=bash mlx -- mlx
//! exp show 01`; the script that does so comes from `source <(COMPLETE=bash mlx)`), and these
//! functions read the project that the command line names (`-C DIR`, else the current folder).
//! They never write, never print and never fail: an unreadable project offers nothing.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use clap::builder::StyledStr;
use clap_complete::engine::{
    ArgValueCandidates, ArgValueCompleter, CompletionCandidate, PathCompleter, ValueCompleter,
};
use mlx::project::Project;

/// Run ids (with their name and status as help), then the names of runs.
pub fn runs() -> ArgValueCandidates {
    ArgValueCandidates::new(run_candidates)
}

/// Experiment ids (with their name, status and start as help), then run ids that are not an
/// experiment's (stage runs), then the names of experiments and of runs that one run has:
/// what `exp show`, `exp diff`, `exp log` and `exp get` take.
pub fn experiments_and_runs() -> ArgValueCandidates {
    ArgValueCandidates::new(|| experiment_candidates(true))
}

/// Experiment ids, then experiment names: what `exp check --exp` takes.
pub fn experiments() -> ArgValueCandidates {
    ArgValueCandidates::new(|| experiment_candidates(false))
}

/// The pipeline's stage names (and the group names of `foreach` stages).
pub fn stages() -> ArgValueCandidates {
    ArgValueCandidates::new(stage_candidates)
}

/// The remotes of mlx.toml and `.mlx/config.local.toml`.
pub fn remotes() -> ArgValueCandidates {
    ArgValueCandidates::new(remote_candidates)
}

/// Files and folders, and tracked paths (which may be missing from the workspace).
pub fn paths() -> ArgValueCompleter {
    ArgValueCompleter::new(path_candidates)
}

/// The folder the command line runs in: `-C DIR` when it gives one, else the current folder.
fn start_dir() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    // The completion request is `mlx -- mlx WORDS...`: the words the user typed.
    let args: Vec<OsString> = std::env::args_os().collect();
    let words = match args.iter().position(|a| a == "--") {
        Some(i) => &args[i + 1..],
        None => &args[..],
    };
    let mut dir = None;
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        if word == "--" {
            break;
        }
        if word == "-C" {
            dir = iter.next().map(PathBuf::from);
        } else if let Some(rest) = word.to_str().and_then(|w| w.strip_prefix("-C"))
            && !rest.is_empty()
        {
            dir = Some(PathBuf::from(rest));
        }
    }
    Some(match dir {
        Some(d) => cwd.join(d),
        None => cwd,
    })
}

fn project() -> Option<Project> {
    Project::discover(&start_dir()?.canonicalize().ok()?).ok()
}

fn help(text: String) -> Option<StyledStr> {
    Some(StyledStr::from(text))
}

fn run_candidates() -> Vec<CompletionCandidate> {
    let Some(project) = project() else { return Vec::new() };
    let Ok(conn) = project.open_db() else { return Vec::new() };
    let Ok(runs) = mlx::tracking::lookup::candidates(&conn) else { return Vec::new() };
    let mut out = Vec::with_capacity(runs.len() * 2);
    let mut names = std::collections::BTreeSet::new();
    for (order, run) in runs.iter().enumerate() {
        let when = run.start.replacen('T', " ", 1);
        let when = when.get(..16).unwrap_or(&when);
        let text = match &run.name {
            Some(n) => format!("{n}, {}, {when}", run.status),
            None => format!("{}, {when}", run.status),
        };
        out.push(
            CompletionCandidate::new(run.id.as_str()).help(help(text)).display_order(Some(order)),
        );
        if let Some(n) = &run.name {
            names.insert(n.clone());
        }
    }
    for (i, name) in names.into_iter().enumerate() {
        out.push(
            CompletionCandidate::new(name)
                .help(help("run name".into()))
                .display_order(Some(runs.len() + i)),
        );
    }
    out
}

/// `2026-11-01T10:00:03.123Z` → `2026-11-01 10:00`.
fn short_when(rfc3339: &str) -> String {
    let when = rfc3339.replacen('T', " ", 1);
    when.get(..16).map_or(when.clone(), str::to_owned)
}

fn experiment_candidates(with_runs: bool) -> Vec<CompletionCandidate> {
    let Some(project) = project() else { return Vec::new() };
    let Ok(conn) = project.open_db() else { return Vec::new() };
    let Ok(exps) = mlx::tracking::experiments::candidates(&conn) else { return Vec::new() };
    let runs = if with_runs {
        mlx::tracking::lookup::candidates(&conn).unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(exps.len() * 2 + runs.len());
    let mut order = 0;
    let mut next = || {
        order += 1;
        Some(order)
    };
    let exp_ids: std::collections::HashSet<&str> = exps.iter().map(|e| e.id.as_str()).collect();
    let mut names = std::collections::BTreeSet::new();
    for e in &exps {
        let text = format!("{}, {}, {}", e.name, e.status, short_when(&e.when));
        out.push(CompletionCandidate::new(e.id.as_str()).help(help(text)).display_order(next()));
        names.insert(e.name.clone());
    }
    // A run name that several runs share names none of them (stage runs bear their stage's).
    let mut run_names: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for run in &runs {
        if let Some(n) = &run.name {
            *run_names.entry(n.as_str()).or_default() += 1;
        }
    }
    for run in runs.iter().filter(|r| !exp_ids.contains(r.id.as_str())) {
        let text = match &run.name {
            Some(n) => format!("{n}, {}, {}", run.status, short_when(&run.start)),
            None => format!("{}, {}", run.status, short_when(&run.start)),
        };
        out.push(CompletionCandidate::new(run.id.as_str()).help(help(text)).display_order(next()));
    }
    let unique_run_names =
        run_names.into_iter().filter(|(_, n)| *n == 1).map(|(name, _)| name.to_owned());
    let experiment_names = names.clone();
    names.extend(unique_run_names);
    for name in names {
        let what = if experiment_names.contains(&name) { "experiment name" } else { "run name" };
        out.push(CompletionCandidate::new(name).help(help(what.into())).display_order(next()));
    }
    out
}

fn stage_candidates() -> Vec<CompletionCandidate> {
    let Some(project) = project() else { return Vec::new() };
    let Ok(Some(pipeline)) = mlx::pipeline::load(project.root()) else { return Vec::new() };
    let mut out = Vec::new();
    let mut groups = std::collections::BTreeSet::new();
    for stage in &pipeline.stages {
        let name = stage.name.to_string();
        if let Some((group, _)) = name.split_once('@') {
            groups.insert(group.to_owned());
        }
        let cmd = stage.cmd.first().cloned().unwrap_or_default();
        out.push(CompletionCandidate::new(name).help(help(cmd)));
    }
    for g in groups {
        out.push(CompletionCandidate::new(g).help(help("every stage of the group".into())));
    }
    out
}

fn remote_candidates() -> Vec<CompletionCandidate> {
    let Some(project) = project() else { return Vec::new() };
    let config = project.config();
    config
        .remotes
        .iter()
        .map(|(name, remote)| {
            let url = remote.url.as_deref().map(mlx::remote::url::redact).unwrap_or_default();
            let default = config.core.remote.as_deref() == Some(name.as_str());
            let text = if default { format!("{url} (default)") } else { url };
            CompletionCandidate::new(name).help(help(text))
        })
        .collect()
}

fn path_candidates(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(dir) = start_dir() else { return Vec::new() };
    let mut out = PathCompleter::any().current_dir(dir.clone()).complete(current);
    let Some(project) = project() else { return out };
    let Ok(targets) = mlx::work_tree::tracked::find_targets(project.root()) else { return out };
    let Ok(dir) = dir.canonicalize() else { return out };
    let typed = current.to_string_lossy();
    for target in targets {
        let abs = project.root().join(target.as_path());
        let Some(shown) = relative_to(&abs, &dir) else { continue };
        let shown = shown.to_string_lossy().into_owned();
        if !shown.starts_with(typed.as_ref()) || out.iter().any(|c| c.get_value() == shown.as_str())
        {
            continue;
        }
        out.push(CompletionCandidate::new(shown).help(help("tracked".into())));
    }
    out
}

/// `path` relative to `dir` when it lies below it.
fn relative_to(path: &Path, dir: &Path) -> Option<PathBuf> {
    path.strip_prefix(dir).ok().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf)
}
