//! Real storage servers on 127.0.0.1 for the remote tests, started in-process by the test itself.
//!
//! - [`S3Server`]: an S3 API (the `s3s` crate with its `s3s-fs` backend) serving a folder; each
//!   sub-folder of the root is a bucket and each object a file under it (`bucket/key`). Requests
//!   are path-style (`http://127.0.0.1:PORT/bucket/key`) and must carry an AWS SigV4 signature
//!   made with [`S3_ACCESS_KEY`] / [`S3_SECRET_KEY`] (any region): a wrong secret gets 403
//!   `SignatureDoesNotMatch`, an unknown access key 403 `InvalidAccessKeyId`, an unsigned request
//!   403 `AccessDenied`. An object request to a bucket that does not exist gets 404
//!   `NoSuchBucket` (plain s3s-fs would create the bucket on PutObject; these servers refuse, as
//!   real S3 does). Create buckets with [`S3Server::create_bucket`] (a folder) or CreateBucket.
//! - [`DavServer`]: WebDAV (the `dav-server` crate with its local filesystem backend and a fake
//!   lock system) serving a folder, no authentication; [`DavServer::start_with_login`] serves
//!   only requests carrying one user and password (HTTP Basic; anything else gets 401).
//!   [`DavServer::url`] is the mlx remote URL form (`webdav://127.0.0.1:PORT/`),
//!   [`DavServer::http_url`] the plain HTTP one.
//!
//! API (both servers):
//! - `start(root: &Path) -> Self`: serve `root` on a free port of 127.0.0.1. Returns once the
//!   listening socket is bound, so a client may connect right away.
//! - `start_on(root: &Path, port: u16) -> Self`: the same on a given port (to restart a stopped
//!   server where clients expect it); retries the bind for a few seconds if the port is busy.
//! - `port(&self) -> u16`, `S3Server::endpoint(&self) -> String` (`http://127.0.0.1:PORT`),
//!   `DavServer::url` / `DavServer::http_url`.
//! - `stop(self)`: the server dies now: the listener closes and every open connection is dropped,
//!   even mid-request (its tokio runtime is shut down, which drops every task). Returns once the
//!   port can be bound again. Dropping the server does the same.
//!
//! Each server runs on its own OS thread with its own multi-threaded tokio runtime, so the
//! (synchronous) tests can drive `mlx` as a child process meanwhile, and many tests can each run
//! their own servers in parallel.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The access key id the S3 server accepts.
pub const S3_ACCESS_KEY: &str = "mlx-test-access";
/// The secret key the S3 server checks signatures against.
pub const S3_SECRET_KEY: &str = "mlx-test-secret-key";

/// How long `start_on` keeps retrying to bind a busy port, and `stop` waits for it to be free.
const PORT_WAIT: Duration = Duration::from_secs(10);

type ConnFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
/// Serves one accepted connection until it ends.
type ServeConn = Arc<dyn Fn(TcpStream) -> ConnFuture + Send + Sync>;

/// The part both servers share: the thread, its runtime and the way to stop it.
struct Running {
    port: u16,
    stop_tx: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Bind `port` (0: any free one) on 127.0.0.1 and serve each connection with `serve` on a new
    /// thread. Returns once the socket listens.
    fn start(name: &str, port: u16, serve: ServeConn) -> Running {
        let std_listener = bind_port(port);
        let port = std_listener.local_addr().expect("listener address").port();
        std_listener.set_nonblocking(true).expect("non-blocking listener");

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(format!("{name}-{port}"))
            .enable_all()
            .build()
            .expect("server runtime");
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener).expect("tokio listener")
        };

        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{port}"))
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::spawn(accept_loop(listener, serve));
                    // Resolves on `stop` and also if the sender is gone (the server was dropped).
                    let _ = stop_rx.await;
                });
                // Drops every task: the listener and all connections close, mid-request or not.
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .expect("spawn server thread");

        Running { port, stop_tx: Some(stop_tx), thread: Some(thread) }
    }

    /// Stop the server; false if its port is still busy after 10 s (no panic: this also
    /// runs in `Drop`, maybe while a failed test unwinds).
    fn stop(&mut self) -> bool {
        let Some(thread) = self.thread.take() else { return true };
        if let Some(tx) = self.stop_tx.take() {
            let _ = tx.send(());
        }
        let _ = thread.join();
        super::ports::wait_port_bindable(self.port)
    }

    /// `stop`, for the explicit `stop(self)` of the servers: panics if the port stays busy.
    fn stop_checked(&mut self) {
        assert!(self.stop(), "port {} still busy after the server stopped", self.port);
    }
}

async fn accept_loop(listener: TcpListener, serve: ServeConn) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream));
            }
            // E.g. too many open files: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Bind 127.0.0.1:`port`, retrying while it is in use (a server that just stopped, or a client's
/// ephemeral port). std sets SO_REUSEADDR, so connections in TIME_WAIT do not block it.
fn bind_port(port: u16) -> StdTcpListener {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + PORT_WAIT;
    loop {
        match StdTcpListener::bind(addr) {
            Ok(listener) => return listener,
            Err(e)
                if e.kind() == io::ErrorKind::AddrInUse
                    && port != 0
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("cannot listen on {addr}: {e}"),
        }
    }
}

/// An S3 server (s3s + s3s-fs) on 127.0.0.1 that checks SigV4 signatures. See the module doc.
pub struct S3Server {
    root: PathBuf,
    running: Running,
}

impl S3Server {
    /// Serve `root` (a folder; each sub-folder is a bucket) on a free port of 127.0.0.1.
    pub fn start(root: &Path) -> S3Server {
        Self::start_on(root, 0)
    }

    /// Serve `root` on `port` (0: a free one), e.g. to restart a stopped server on its old port.
    pub fn start_on(root: &Path, port: u16) -> S3Server {
        std::fs::create_dir_all(root).expect("create S3 server root");
        let root = root.canonicalize().expect("canonical S3 server root");

        let fs = s3s_fs::FileSystem::new(&root).expect("s3s-fs backend");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(S3_ACCESS_KEY, S3_SECRET_KEY));
        builder.set_access(BucketMustExist { root: root.clone() });
        // No `set_host`: every request is path-style, whatever the Host header (127.0.0.1:PORT).
        let service = builder.build();

        let serve: ServeConn = Arc::new(move |stream| {
            let service = service.clone();
            Box::pin(async move {
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            })
        });
        S3Server { running: Running::start("s3-server", port, serve), root }
    }

    pub fn port(&self) -> u16 {
        self.running.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// The served folder (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Create the bucket `name` (for s3s-fs, a folder under the root). Idempotent.
    pub fn create_bucket(&self, name: &str) {
        std::fs::create_dir_all(self.root.join(name)).expect("create bucket folder");
    }

    /// The file holding object `key` of `bucket` (to look at or damage what a client stored).
    pub fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }

    /// Stop now: the listener closes and open connections are dropped; the port is free after.
    pub fn stop(mut self) {
        self.running.stop_checked();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.running.stop();
    }
}

/// The access policy: signed requests only (s3s's default check) and, for object operations, a
/// bucket that exists. s3s-fs alone would create a missing bucket's folder on PutObject and answer
/// NoSuchKey for a GetObject in one; real S3 answers NoSuchBucket.
struct BucketMustExist {
    root: PathBuf,
}

// `S3Access` is an `#[async_trait]` trait; this is the expansion of an `async fn check` (so the
// tests need no `async-trait` dependency).
impl s3s::access::S3Access for BucketMustExist {
    fn check<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        cx: &'life1 mut s3s::access::S3AccessContext<'life2>,
    ) -> Pin<Box<dyn Future<Output = s3s::S3Result<()>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        let result = if cx.credentials().is_none() {
            Err(s3s::S3Error::with_message(s3s::S3ErrorCode::AccessDenied, "Signature is required"))
        } else if let s3s::path::S3Path::Object { bucket, .. } = cx.s3_path()
            && !self.root.join(&**bucket).is_dir()
        {
            Err(s3s::S3Error::new(s3s::S3ErrorCode::NoSuchBucket))
        } else {
            Ok(())
        };
        Box::pin(std::future::ready(result))
    }
}

/// A WebDAV server (dav-server, local filesystem backend) on 127.0.0.1. See the module doc.
pub struct DavServer {
    root: PathBuf,
    running: Running,
}

impl DavServer {
    /// Serve `root` over WebDAV on a free port of 127.0.0.1.
    pub fn start(root: &Path) -> DavServer {
        Self::start_on(root, 0)
    }

    /// Serve `root` on `port` (0: a free one), e.g. to restart a stopped server on its old port.
    pub fn start_on(root: &Path, port: u16) -> DavServer {
        Self::serve(root, port, None)
    }

    /// Serve `root` on a free port, only to requests that log in as `user` with `password`
    /// (HTTP Basic); others get 401.
    pub fn start_with_login(root: &Path, user: &str, password: &str) -> DavServer {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Self::serve(root, 0, Some(format!("Basic {token}")))
    }

    fn serve(root: &Path, port: u16, login: Option<String>) -> DavServer {
        std::fs::create_dir_all(root).expect("create WebDAV server root");
        let root = root.canonicalize().expect("canonical WebDAV server root");

        let handler = dav_server::DavHandler::builder()
            .filesystem(dav_server::localfs::LocalFs::new(&root, false, false, false))
            .locksystem(dav_server::fakels::FakeLs::new())
            .build_handler();

        let login = Arc::new(login);
        let serve: ServeConn = Arc::new(move |stream| {
            let handler = handler.clone();
            let login = login.clone();
            Box::pin(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    let handler = handler.clone();
                    let login = login.clone();
                    async move {
                        let given = req.headers().get(hyper::header::AUTHORIZATION);
                        if let Some(want) = login.as_deref()
                            && given.is_none_or(|g| g.as_bytes() != want.as_bytes())
                        {
                            let refused = hyper::Response::builder()
                                .status(401)
                                .header("WWW-Authenticate", "Basic realm=\"mlx-test\"")
                                .body(dav_server::body::Body::from("login required"))
                                .expect("a 401 response");
                            return Ok::<_, std::convert::Infallible>(refused);
                        }
                        Ok(handler.handle(req).await)
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            })
        });
        DavServer { running: Running::start("dav-server", port, serve), root }
    }

    pub fn port(&self) -> u16 {
        self.running.port
    }

    /// The mlx remote URL: `webdav://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("webdav://127.0.0.1:{}/", self.port())
    }

    /// `http://127.0.0.1:PORT/`
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port())
    }

    /// The served folder (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stop now: the listener closes and open connections are dropped; the port is free after.
    pub fn stop(mut self) {
        self.running.stop_checked();
    }
}

impl Drop for DavServer {
    fn drop(&mut self) {
        let _ = self.running.stop();
    }
}
