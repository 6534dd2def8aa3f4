//! `mlx ui`: a local web app over the project's database and cache. This module owns the HTTP
//! server (hyper 1 on a tokio runtime of its own), the checks every request passes (`guard`:
//! the Host header against DNS rebinding, the per-process token and same-origin rule for
//! writes), the JSON API (`api`: each handler parses, calls the core or an operation's core
//! function and serializes, like a CLI command) and the browser files embedded in the binary
//! (`assets`). It never prints: the caller shows the URL.

mod api;
mod assets;
mod cache;
mod data;
mod guard;
pub(crate) mod http;

pub(crate) use guard::accepted_hosts;

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::project::Project;

/// Where to listen.
#[derive(Debug, Clone)]
pub struct Options {
    /// The address to bind: 127.0.0.1 unless widened.
    pub host: IpAddr,
    /// `None` or 0: a free port.
    pub port: Option<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Options { host: IpAddr::V4(Ipv4Addr::LOCALHOST), port: None }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the web server failed: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A port in use or an address this machine lacks is the user's to change.
    pub fn is_input_error(&self) -> bool {
        matches!(self, Error::Bind { source, .. }
            if matches!(source.kind(), std::io::ErrorKind::AddrInUse | std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::PermissionDenied))
    }
}

/// What every request handler shares.
pub(crate) struct State {
    pub project: Project,
    /// Required (header `X-Mlx-Token`) for any write; carried by the served page.
    pub token: String,
    pub guard: guard::Guard,
    /// Thinned metric histories, while no point is added.
    pub histories: cache::Histories,
    /// MLflow's API, served beside the page (`mlx serve`).
    pub mlflow: Arc<crate::mlflow::api::Api>,
}

/// A bound server, not yet serving.
pub struct Server {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    state: Arc<State>,
}

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

impl Server {
    /// Bind the address `opts` names (a free port when none is given), to serve the project at
    /// `root`.
    pub fn bind(root: &std::path::Path, opts: &Options) -> Result<Server, crate::error::Error> {
        let project = Project::open(root.to_path_buf())?;
        let wanted = SocketAddr::new(opts.host, opts.port.unwrap_or(0));
        let listener = std::net::TcpListener::bind(wanted)
            .map_err(|source| Error::Bind { addr: wanted, source })?;
        listener.set_nonblocking(true).map_err(Error::Io)?;
        let addr = listener.local_addr().map_err(Error::Io)?;
        let token = guard::new_token().map_err(Error::Io)?;
        let guard = guard::Guard::new(addr);
        let mlflow = Arc::new(crate::mlflow::api::Api::new(
            crate::mlflow::api::shared_project(root)?,
            crate::mlflow::api::Context::Serve,
            addr,
        ));
        Ok(Server {
            listener,
            addr,
            state: Arc::new(State {
                project,
                token,
                guard,
                histories: cache::Histories::default(),
                mlflow,
            }),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether only this machine can reach it.
    pub fn is_loopback(&self) -> bool {
        self.addr.ip().is_loopback()
    }

    /// The page's address: `http://127.0.0.1:PORT/` (a wildcard address shows as loopback).
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}/", SocketAddr::new(ip, self.addr.port()))
    }

    /// Serve until the process is stopped.
    pub fn serve(self) -> Result<(), Error> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(8)
            .enable_io()
            .enable_time()
            .thread_name("mlx-ui")
            .build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            let state = self.state;
            accept_loop(listener, move |req| handle(Arc::clone(&state), req)).await;
            Ok(())
        })
    }
}

/// Accept connections on `listener` forever, answering each request with `answer`.
pub(crate) async fn accept_loop<F, Fut>(listener: tokio::net::TcpListener, answer: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::debug!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // Answers go out whole, without waiting on the client's acknowledgements.
        let _ = stream.set_nodelay(true);
        let answer = answer.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let answer = answer.clone();
                async move { Ok::<_, Infallible>(answer(req).await) }
            });
            if let Err(e) =
                hyper::server::conn::http1::Builder::new().serve_connection(io, service).await
            {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}

/// One request: the guard's checks, then the route.
async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    if crate::mlflow::api::is_route(req.uri().path()) {
        return crate::mlflow::api::handle(Arc::clone(&state.mlflow), req).await;
    }
    if let Err(refused) = state.guard.check(&req, &state.token) {
        return api::refused(refused);
    }
    api::route(state, req).await
}
