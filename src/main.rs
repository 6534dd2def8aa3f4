//! The `mlx` binary: parse arguments, start logging, run the command, exit with its code.

mod cli;

use clap::CommandFactory;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // `COMPLETE=bash mlx …`: the shell asking for completions (see cli/complete.rs).
    clap_complete::CompleteEnv::with_factory(cli::Cli::command).complete();
    let args = cli::parse();
    cli::init_logging(args.verbose, args.quiet);
    std::process::ExitCode::from(cli::run(args))
}
