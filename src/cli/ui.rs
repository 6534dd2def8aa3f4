//! `mlx ui`

use std::net::IpAddr;

use mlx::ui::{Options, Server};

use super::context::Context;
use super::exit::ExitStatus;

/// Browse experiments, metric curves, logs, artifacts and the pipeline in a local web app
///
/// Serves a web page over the project's database and cache until stopped (Ctrl-C), and prints
/// its URL. It listens on 127.0.0.1 (this machine only) on a free port unless told otherwise.
/// The page reads everything; a write (tags, notes, deleting an experiment) needs the token the
/// served page carries, so other sites and other pages cannot write.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx ui\n  mlx ui --port 8080 --open\n  mlx ui --host 0.0.0.0 --port 8080   # other machines can read it too"
)]
pub struct UiArgs {
    /// The port to listen on (default: a free one)
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// The address to listen on; anything but a loopback address lets other machines read it
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Open the page in the default browser
    #[arg(long)]
    open: bool,
}

pub fn run(ctx: &Context, args: &UiArgs) -> anyhow::Result<ExitStatus> {
    let project = ctx.project()?;
    let server = Server::bind(project.root(), &Options { host: args.host, port: args.port })?;
    let out = ctx.output();
    if !server.is_loopback() {
        out.warn(&format!(
            "listening on {}: other machines can read this project's experiments, logs and \
             artifacts (writes still need the page's token)",
            server.addr()
        ));
    }
    let url = server.url();
    out.line(&url)?;
    if args.open {
        open_browser(ctx, &url);
    }
    out.status("serving until stopped (Ctrl-C)");
    server.serve().map_err(mlx::error::Error::from)?;
    Ok(ExitStatus::Success)
}

/// Start the system's opener on `url`; a failure is a warning, the server runs on.
fn open_browser(ctx: &Context, url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let started = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = started {
        ctx.output().warn(&format!("cannot open a browser ({opener}: {e}); open {url}"));
    }
}
