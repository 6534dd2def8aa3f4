//! `mlx serve`

use std::net::IpAddr;

use mlx::ui::{Options, Server};

use super::context::Context;
use super::exit::ExitStatus;

/// Serve MLflow's tracking API (and the web app) for code run outside `mlx run`
///
/// MLflow's client logs into this project when `MLFLOW_TRACKING_URI` names the printed address:
/// experiments, runs, params, metrics, tags, artifacts (into the cache), logged and registered
/// models. A run the client creates is recorded like `mlx run -- CMD` records one: keyed to the
/// current commit, with the dirty flag. It is the server of `mlx ui`, on MLflow's port 5000 by
/// default; it listens on 127.0.0.1 (this machine only) unless told otherwise. Inside `mlx run`
/// no server is needed: every command gets an endpoint of its own.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx serve   # then: MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py\n  mlx serve --port 0   # a free port\n  mlx serve --host 0.0.0.0 --port 5000   # other machines can log to it"
)]
pub struct ServeArgs {
    /// The port to listen on (0: a free one)
    #[arg(long, value_name = "N", default_value_t = 5000)]
    port: u16,
    /// The address to listen on; anything but a loopback address lets other machines log to it
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
}

pub fn run(ctx: &Context, args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let server = Server::bind(project.root(), &Options { host: args.host, port: Some(args.port) })?;
    let out = ctx.output();
    if !server.is_loopback() {
        out.warn(&format!(
            "listening on {}: other machines can read this project's runs and log to it through \
             MLflow's API",
            server.addr()
        ));
    }
    let url = server.url();
    out.line(url.trim_end_matches('/'))?;
    out.status(&format!(
        "MLflow's client logs here with MLFLOW_TRACKING_URI={}; the web app is at {url}",
        url.trim_end_matches('/')
    ));
    out.status("serving until stopped (Ctrl-C)");
    server.serve().map_err(mlx::error::Error::from)?;
    Ok(ExitStatus::Success)
}
