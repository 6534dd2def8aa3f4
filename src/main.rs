//! The `mlx` binary: parse arguments, start logging, run the command, exit with its code.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(args.verbose, args.quiet);
    std::process::ExitCode::from(cli::run(args))
}
