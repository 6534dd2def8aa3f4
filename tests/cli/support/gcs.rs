//! A Google Cloud Storage emulator on 127.0.0.1 for the `gs://` remote tests: the PyPI package
//! `gcp-storage-emulator` (pure Python), pinned to [`EMULATOR_VERSION`]. It serves the GCS JSON
//! API that OpenDAL's GCS service speaks: uploads (`uploadType=media`, `multipart`, `resumable`),
//! object metadata and downloads (with `Range`), listings with `prefix` and `delimiter`,
//! deletes, batch deletes, and 404 for a bucket that does not exist.
//!
//! What it does not do, and what the tests therefore cannot cover:
//! - It accepts any token, or none: credentials are never checked.
//! - It lacks the XML API's multipart upload (`POST /BUCKET/KEY?uploads`, answered 501), which
//!   OpenDAL uses for objects mlx uploads in parts (over 16 MiB). Tests put such objects in
//!   with [`GcsServer::put_object`] (one simple upload) and fetch them with mlx.
//!
//! The first test that needs the emulator installs it: `python3 -m venv` in a folder of cargo's
//! per-target temp dir, then `pip install gcp-storage-emulator==VERSION` there, once for all the
//! tests running in parallel; later runs find it there (see the `child` module). Without
//! `python3` (3.10 or newer, with its `venv` module), or when pip cannot install the package,
//! the tests fail and say what to install: they never skip. The emulator runs as a child process
//! (`child::ChildServer`), its output appended to `emulator-output.log` in its data folder (in a
//! temp folder of its own for `start()`).
//!
//! The emulator's HTTP server answers one request at a time, with Python's default listen
//! backlog of 5; it is started with a backlog of 128, so that mlx's parallel requests (32 by
//! default) wait in the queue instead of having their connections dropped and retried.
//!
//! API:
//! - `start() -> Self`: the emulator on a free port of 127.0.0.1, keeping its data in memory.
//!   Returns once the port accepts connections.
//! - `start_on(data: &Path, port: u16) -> Self`: the same with its data in the folder `data`
//!   and on `port` (0: a free one). Stopping and starting again on the same folder and port
//!   keeps the buckets and objects, so clients see the same server come back.
//! - `port`, `endpoint` (`http://127.0.0.1:PORT`, the `endpoint` of an mlx remote), `output`
//!   (what the emulator printed).
//! - `create_bucket(name)`, `objects(bucket, prefix)` ((name, size) of every object under
//!   `prefix`), `put_object(bucket, name, bytes)`: the JSON API, over plain HTTP.
//! - `stop(self)`: the emulator is killed (SIGKILL, no grace period: it writes its data folder
//!   before it answers a request, so nothing it acknowledged is lost) and reaped; returns once
//!   the port can be bound again. Dropping the server does the same.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::child::{ChildServer, Launch, install_pypi, parse_response};
use super::ports::url_encode;

/// The PyPI package version the tests run.
pub const EMULATOR_VERSION: &str = "2026.7.19";

/// Runs the emulator's command line (`ARGS...` after `-c CODE`) with a larger listen backlog.
const LAUNCHER: &str = "import socketserver, sys\n\
    socketserver.TCPServer.request_queue_size = 128\n\
    from gcp_storage_emulator.__main__ import main\n\
    main(sys.argv[1:])\n";

/// A running GCS emulator. See the module doc.
pub struct GcsServer {
    /// Declared first, so the emulator stops before `_temp` is removed.
    server: ChildServer,
    /// The folder of `start()` (its log), removed with the server.
    _temp: Option<tempfile::TempDir>,
}

impl GcsServer {
    /// The emulator on a free port, its data in memory.
    pub fn start() -> GcsServer {
        let temp = tempfile::Builder::new().prefix("mlx-gcs-").tempdir().expect("temp dir");
        let log = temp.path().join("emulator-output.log");
        GcsServer { server: Self::launch(None, &log, 0), _temp: Some(temp) }
    }

    /// The emulator with its data in the folder `data`, on `port` (0: a free one).
    pub fn start_on(data: &Path, port: u16) -> GcsServer {
        std::fs::create_dir_all(data).expect("create the emulator's data folder");
        let data = data.canonicalize().expect("canonical data folder");
        let log = data.join("emulator-output.log");
        GcsServer { server: Self::launch(Some(&data), &log, port), _temp: None }
    }

    /// The emulator keeping its data in `data` (`None`: in memory), on `port` (0: a free one).
    fn launch(data: Option<&Path>, log: &Path, port: u16) -> ChildServer {
        let python = emulator_python();
        let launch = Launch {
            name: "the GCS emulator",
            program: python,
            needs: "",
            log,
            port,
            // A failed bind ends the server thread, not the process: it is seen in the output.
            port_taken: "Address already in use",
            grace: Duration::ZERO,
        };
        ChildServer::launch(launch, |port| {
            let mut cmd = Command::new(python);
            cmd.args(["-c", LAUNCHER]);
            if let Some(data) = data {
                cmd.arg("--data-dir").arg(data);
            }
            cmd.args(["start", "--host", "127.0.0.1", "--port", &port.to_string()]);
            if data.is_none() {
                cmd.arg("--in-memory");
            }
            cmd
        })
    }

    /// What the emulator printed: one line per request, and any Python traceback (in all its
    /// runs on this data folder).
    pub fn output(&self) -> String {
        self.server.all_output()
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `http://127.0.0.1:PORT`: the `endpoint` of an mlx remote.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Create the bucket `name` (buckets.insert).
    pub fn create_bucket(&self, name: &str) {
        let body = serde_json::json!({ "name": name }).to_string();
        let (status, answer) = self.request(
            "POST",
            "/storage/v1/b?project=mlx-test",
            "application/json",
            body.as_bytes(),
        );
        assert_eq!(status, 200, "create bucket {name}: {}", String::from_utf8_lossy(&answer));
    }

    /// (name, size) of every object of `bucket` whose name starts with `prefix`, sorted.
    pub fn objects(&self, bucket: &str, prefix: &str) -> Vec<(String, u64)> {
        let path = format!("/storage/v1/b/{bucket}/o?prefix={}", url_encode(prefix));
        let (status, body) = self.request("GET", &path, "", b"");
        assert_eq!(status, 200, "list {bucket}: {}", String::from_utf8_lossy(&body));
        let list: serde_json::Value = serde_json::from_slice(&body).expect("a JSON listing");
        assert!(list.get("nextPageToken").is_none(), "listings are expected in one page");
        let mut out: Vec<(String, u64)> = list["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|o| {
                        let name = o["name"].as_str().expect("object name").to_owned();
                        let size = o["size"].as_str().expect("size").parse().expect("a number");
                        (name, size)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Store `bytes` as object `name` of `bucket` in one request (a simple media upload).
    pub fn put_object(&self, bucket: &str, name: &str, bytes: &[u8]) {
        let path =
            format!("/upload/storage/v1/b/{bucket}/o?uploadType=media&name={}", url_encode(name));
        let (status, answer) = self.request("POST", &path, "application/octet-stream", bytes);
        assert_eq!(status, 200, "upload {name}: {}", String::from_utf8_lossy(&answer));
    }

    /// One HTTP request; returns the status and the body. The emulator closes the connection
    /// after each answer.
    fn request(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\
             Connection: close\r\n",
            self.port(),
            body.len()
        );
        if !content_type.is_empty() {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port()))
            .unwrap_or_else(|e| panic!("connect to the GCS emulator on port {}: {e}", self.port()));
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("read timeout");
        stream.write_all(head.as_bytes()).expect("send the request");
        stream.write_all(body).expect("send the body");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read the answer");
        parse_response(&response)
    }

    /// Kill the emulator now; the port is free when this returns.
    pub fn stop(self) {
        self.server.stop();
    }
}

const PYTHON_NEEDED: &str = "The GCS remote tests run the Google Cloud Storage emulator of the \
    PyPI package gcp-storage-emulator, which needs Python 3.10 or newer with its venv module as \
    `python3` on PATH (e.g. `apt-get install python3 python3-venv`); pip must be able to reach \
    its package index the first time.";

/// The Python of the emulator's virtual environment, installed on first use.
fn emulator_python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(install) {
        Ok(python) => python,
        Err(message) => panic!("{message}"),
    }
}

/// Install the emulator into a virtual environment under cargo's per-target temp dir unless it
/// is already there (see `install_once`).
fn install() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("gcp-storage-emulator-{EMULATOR_VERSION}"));
    let packages = [format!("gcp-storage-emulator=={EMULATOR_VERSION}")];
    let checks: &[(&str, &[&str])] = &[("python", &["-c", "import gcp_storage_emulator"])];
    let bin = install_pypi(&dir, &packages, "python", checks, PYTHON_NEEDED)?;
    Ok(bin.join("python"))
}
