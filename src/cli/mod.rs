//! The command line: global flags, the command enum and one dispatch match. Parsing and
//! printing only; the work happens in `mlx::ops`.

mod add;
mod attest;
mod cache;
mod checkout;
mod complete;
mod completions;
mod context;
mod dag;
mod data;
mod diff;
mod doctor;
mod exit;
mod exp;
mod gc;
mod get;
mod habits;
mod hook;
mod import;
mod init;
mod install_hooks;
mod lineage;
mod log;
mod ls;
mod man;
mod metrics;
mod model;
mod output;
mod params;
mod plots;
mod progress;
mod remote;
mod report;
mod rm;
mod run;
mod serve;
mod sql;
mod status;
mod transfer;
mod ui;
mod unprotect;
mod update;
mod verify;
mod watch;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use context::Context;

/// Reproducible ML projects inside git: versioned data, tracked runs and pipelines
#[derive(Parser)]
#[command(name = "mlx", version, max_term_width = 100)]
#[command(
    after_help = "Start with `mlx init` in a git repository, then `mlx add DATA`, `mlx run -- CMD`\nor stages in mlx.toml and `mlx run`. Guides: docs/ in the mlx repository."
)]
pub struct Cli {
    /// Run as if mlx was started in DIR
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
    /// Print only the data asked for and problems: no status, progress or account of success
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log more (-v: info, -vv: debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    Add(add::AddArgs),
    Status(status::StatusArgs),
    Checkout(checkout::CheckoutArgs),
    Dag(dag::DagArgs),
    Lineage(lineage::LineageArgs),
    Attest(attest::AttestArgs),
    Verify(verify::VerifyArgs),
    Diff(diff::DiffArgs),
    Ls(ls::LsArgs),
    Rm(rm::RmArgs),
    Unprotect(unprotect::UnprotectArgs),
    Gc(gc::GcArgs),
    Push(transfer::PushArgs),
    Fetch(transfer::FetchArgs),
    Pull(transfer::PullArgs),
    Get(get::GetArgs),
    Update(update::UpdateArgs),
    #[command(subcommand)]
    Remote(remote::RemoteCommand),
    Run(run::RunArgs),
    #[command(subcommand)]
    Log(log::LogCommand),
    #[command(subcommand)]
    Exp(exp::ExpCommand),
    #[command(subcommand)]
    Data(data::DataCommand),
    #[command(subcommand)]
    Metrics(metrics::MetricsCommand),
    #[command(subcommand)]
    Params(params::ParamsCommand),
    #[command(subcommand)]
    Model(model::ModelCommand),
    Report(report::ReportArgs),
    #[command(subcommand)]
    Plots(plots::PlotsCommand),
    Sql(sql::SqlArgs),
    #[command(subcommand)]
    Cache(cache::CacheCommand),
    InstallHooks(install_hooks::InstallHooksArgs),
    #[command(hide = true)]
    Hook(hook::HookArgs),
    Ui(ui::UiArgs),
    Serve(serve::ServeArgs),
    Doctor(doctor::DoctorArgs),
    #[command(subcommand)]
    Watch(watch::WatchCommand),
    Completions(completions::CompletionsArgs),
    #[command(subcommand)]
    Import(import::ImportCommand),
    #[command(hide = true)]
    Man(man::ManArgs),
}

/// Log lines go to stderr, each with secrets hidden (see `mlx::secrets`). By default only
/// mlx's own warnings show; the storage libraries' lines (a retry, a credential source that
/// failed) only with -v; `MLX_LOG` (e.g. `trace`, `mlx=debug`) chooses freely. Colour only
/// when stderr is a terminal and `NO_COLOR` is unset.
pub fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "mlx=error",
        (_, 0) => "mlx=warn",
        // The storage library logs each retry as a warning, with a backtrace: mlx reports
        // the failure that matters itself, so those show from -vv.
        (_, 1) => "info,opendal=warn",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MLX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(output::LogLine::new)
        .with_ansi(output::color_on_stderr())
        .without_time()
        .init();
}

/// The command line, parsed; on a usage error clap's message (and, for a command or flag typed
/// by habit from DVC, the mlx one to use) is printed and the process exits 2.
pub fn parse() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let usage = !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                && e.exit_code() != 0;
            let _ = e.print();
            if usage {
                let args: Vec<String> = std::env::args().skip(1).collect();
                if let Some(hint) = habits::hint(&args) {
                    output::Output::new(false).hint(&hint);
                }
            }
            std::process::exit(e.exit_code());
        }
    }
}

/// Run a parsed command line and return the process exit code.
pub fn run(cli: Cli) -> u8 {
    let ctx = match Context::new(cli.directory.as_deref(), cli.quiet, cli.verbose) {
        Ok(ctx) => ctx,
        Err(e) => return exit::report(&e, &output::Output::new(cli.quiet)),
    };
    let result = match &cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Add(args) => add::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::Checkout(args) => checkout::run(&ctx, args),
        Command::Dag(args) => dag::run(&ctx, args),
        Command::Lineage(args) => lineage::run(&ctx, args),
        Command::Attest(args) => attest::run(&ctx, args),
        Command::Verify(args) => verify::run(&ctx, args),
        Command::Diff(args) => diff::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::Rm(args) => rm::run(&ctx, args),
        Command::Unprotect(args) => unprotect::run(&ctx, args),
        Command::Gc(args) => gc::run(&ctx, args),
        Command::Push(args) => transfer::push(&ctx, args),
        Command::Fetch(args) => transfer::fetch(&ctx, args),
        Command::Pull(args) => transfer::pull(&ctx, args),
        Command::Get(args) => get::run(&ctx, args),
        Command::Update(args) => update::run(&ctx, args),
        Command::Remote(cmd) => remote::run(&ctx, cmd),
        Command::Run(args) => run::run(&ctx, args),
        Command::Log(cmd) => log::run(&ctx, cmd),
        Command::Exp(cmd) => exp::run(&ctx, cmd),
        Command::Data(cmd) => data::run(&ctx, cmd),
        Command::Metrics(cmd) => metrics::run(&ctx, cmd),
        Command::Params(cmd) => params::run(&ctx, cmd),
        Command::Model(cmd) => model::run(&ctx, cmd),
        Command::Report(args) => report::run(&ctx, args),
        Command::Plots(cmd) => plots::run(&ctx, cmd),
        Command::Sql(args) => sql::run(&ctx, args),
        Command::Cache(cmd) => cache::run(&ctx, cmd),
        Command::InstallHooks(args) => install_hooks::run(&ctx, args),
        Command::Hook(args) => hook::run(&ctx, args),
        Command::Ui(args) => ui::run(&ctx, args),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Watch(cmd) => watch::run(&ctx, cmd),
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Import(cmd) => import::run(&ctx, cmd),
        Command::Man(args) => man::run(&ctx, args),
    };
    match result {
        Ok(status) => status.code(),
        Err(e) => exit::report(&e, ctx.output()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use clap::CommandFactory;

    /// A short flag means one thing in every command: `-n` is `--dry-run` wherever it exists,
    /// never `--limit` in one command and `--dry-run` in another.
    #[test]
    fn each_short_flag_has_one_meaning_across_commands() {
        fn walk(cmd: &clap::Command, path: &str, seen: &mut BTreeMap<char, Vec<(String, String)>>) {
            for arg in cmd.get_arguments() {
                let long = arg
                    .get_long()
                    .map_or_else(|| format!("<{}>", arg.get_id()), |l| format!("--{l}"));
                let shorts = arg
                    .get_short()
                    .into_iter()
                    .chain(arg.get_all_short_aliases().into_iter().flatten());
                for short in shorts {
                    seen.entry(short).or_default().push((path.to_owned(), long.clone()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), seen);
            }
        }
        let mut cli = super::Cli::command();
        cli.build();
        let mut seen = BTreeMap::new();
        walk(&cli, "mlx", &mut seen);
        assert!(seen.contains_key(&'n') && seen.contains_key(&'f'), "the walk found the flags");
        let clashes: Vec<String> = seen
            .iter()
            .filter(|(_, uses)| {
                uses.iter().map(|(_, long)| long).collect::<BTreeSet<_>>().len() > 1
            })
            .map(|(short, uses)| {
                let uses: Vec<String> =
                    uses.iter().map(|(cmd, long)| format!("{cmd}: {long}")).collect();
                format!("-{short} means different flags: {}", uses.join(", "))
            })
            .collect();
        assert!(clashes.is_empty(), "{}", clashes.join("\n"));
    }
}
