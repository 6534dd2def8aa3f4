//! `mlx plots show|diff`

use std::path::{Path, PathBuf};

use mlx::ops::plots::{self, PlotsOptions};

use super::complete;
use super::context::Context;
use super::exit::ExitStatus;
use super::output::counted;

/// Draw the plots that mlx.toml declares, and metric histories, as one HTML page
#[derive(clap::Subcommand)]
#[command(
    after_help = "Examples:\n  mlx plots show --open\n  mlx plots diff main --exp exp-3 -o pr.html"
)]
pub enum PlotsCommand {
    Show(ShowArgs),
    Diff(DiffArgs),
}

/// Flags shared by `show` and `diff`.
#[derive(clap::Args)]
pub struct PageArgs {
    /// Write the page here (default: .mlx/plots/index.html)
    #[arg(short, long, value_name = "FILE", conflicts_with = "json")]
    out: Option<PathBuf>,
    /// Open the page in a browser ($BROWSER, else xdg-open or open)
    #[arg(long, conflicts_with = "json")]
    open: bool,
    /// Print the resolved data as JSON instead of writing a page
    #[arg(long)]
    json: bool,
}

/// Draw the workspace's plots into one self-contained HTML file and print its path
///
/// Plots are the `plots` entries of stages and the `[plots.NAME]` tables of mlx.toml (data
/// files: CSV, TSV, JSON, JSON lines, YAML; images: PNG, JPEG, SVG, or a folder of them), and
/// the per-step histories of the newest experiment's metrics (`metrics.KEY`). The page needs
/// no network and no script. NAME picks plots by name or by a file they read.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx plots show\n  mlx plots show eval/roc.csv --open\n  mlx plots show -o plots.html\n  mlx plots show metrics.loss --json"
)]
pub struct ShowArgs {
    /// Plots to draw (default: all)
    #[arg(value_name = "NAME")]
    names: Vec<String>,
    #[command(flatten)]
    page: PageArgs,
}

/// Overlay the plots of git revisions and experiments with the workspace's
///
/// Each revision's plots files are read as its `mlx.lock` recorded them (from the cache,
/// fetched from the default remote when missing); an experiment's from the commit holding its
/// result, with its runs' metric histories. Series are labelled by revision or experiment.
/// With no revision and no experiment, compares HEAD with the workspace.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx plots diff                     # HEAD vs workspace\n  mlx plots diff main v1.0 --open\n  mlx plots diff --exp exp-1 --exp exp-2 --no-workspace"
)]
pub struct DiffArgs {
    /// Revisions to overlay (default: HEAD, unless --exp is given)
    #[arg(value_name = "REV")]
    revs: Vec<String>,
    /// Experiments to overlay (name, id or unique prefix)
    #[arg(long = "exp", value_name = "EXP", add = complete::experiments())]
    exps: Vec<String>,
    /// Leave the workspace out
    #[arg(long)]
    no_workspace: bool,
    /// Only these plots (default: all)
    #[arg(long = "plot", value_name = "NAME")]
    names: Vec<String>,
    #[command(flatten)]
    page: PageArgs,
}

pub fn run(ctx: &Context, cmd: &PlotsCommand) -> anyhow::Result<ExitStatus> {
    let (opts, page, title) = match cmd {
        PlotsCommand::Show(args) => (
            PlotsOptions { names: args.names.clone(), workspace: true, ..Default::default() },
            &args.page,
            "mlx plots".to_owned(),
        ),
        PlotsCommand::Diff(args) => {
            let mut revs = args.revs.clone();
            if revs.is_empty() && args.exps.is_empty() {
                revs.push("HEAD".into());
            }
            let opts = PlotsOptions {
                names: args.names.clone(),
                revs,
                exps: args.exps.clone(),
                workspace: !args.no_workspace,
                without_histories: false,
            };
            (opts, &args.page, "mlx plots diff".to_owned())
        }
    };
    let project = ctx.project()?;
    let report = plots::resolve(project, &opts, ctx.reporter(page.json).as_ref())?;
    let out = ctx.output();
    if page.json {
        out.json(&report)?;
        return Ok(ExitStatus::Success);
    }
    for p in &report.problems {
        let what = if p.file.is_empty() { String::new() } else { format!("{}: ", p.file) };
        out.warn(&format!("{} ({}): {what}{}", p.plot, p.side, p.error));
    }
    let target = page.out.as_ref().map(|o| ctx.cwd().join(o));
    let path = plots::write_page(project, &report, &title, target.as_deref())?;
    out.line(&path.display().to_string())?;
    out.status(&format!(
        "{} from {}",
        counted(report.plots.len(), "plot"),
        counted(report.sides.len(), "side")
    ));
    if page.open {
        open_in_browser(&path, out);
    }
    Ok(ExitStatus::Success)
}

/// Open `path` with `$BROWSER` (a `:`-separated list; `%s` stands for the file), else the
/// system's opener. Waits a moment for the opener, never for the browser; failures warn.
fn open_in_browser(path: &Path, out: &super::output::Output) {
    let file = path.display().to_string();
    let mut commands: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(browser) = std::env::var_os("BROWSER").and_then(|b| b.into_string().ok()) {
        for cmd in browser.split(':').filter(|c| !c.trim().is_empty()) {
            let mut words: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|w| w.contains("%s")) {
                for w in &mut words {
                    *w = w.replace("%s", &file);
                }
            } else {
                words.push(file.clone());
            }
            let program = words.remove(0);
            commands.push((program, words));
        }
    }
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    commands.push((opener.to_owned(), vec![file.clone()]));
    for (program, args) in commands {
        let child = std::process::Command::new(&program)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(mut child) = child else { continue };
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(3) {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return,
                Ok(Some(_)) | Err(_) => break,
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        if start.elapsed() >= std::time::Duration::from_secs(3) {
            // Still running: a browser that stays in the foreground.
            return;
        }
    }
    out.warn(&format!("could not open a browser; open {file} yourself (or set $BROWSER)"));
}
