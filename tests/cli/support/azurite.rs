//! Azurite, Microsoft's Azure Storage emulator, as a real Azure Blob Storage server on 127.0.0.1
//! for the `azure://` remote tests. It checks SharedKey signatures made with the emulator's
//! well-known development account ([`ACCOUNT`] / [`ACCOUNT_KEY`]), answers in Azure's own XML
//! errors, and stores blobs under its `--location` folder.
//!
//! Azurite is a Node.js program (the npm package `azurite`, pinned to [`AZURITE_VERSION`]). The
//! first test that needs it installs it with npm into a folder of cargo's per-target temp dir,
//! once for all the tests running in parallel; later runs find it there (see the `child`
//! module). Without `node` and `npm` on PATH, or when the install fails, the tests fail and say
//! what to install: they never skip. Azurite runs as a child process (`child::ChildServer`), its
//! output appended to `azurite-output.log` in its location.
//!
//! API:
//! - `start() -> Self`: the blob service on a free port of 127.0.0.1, its data in a fresh temp
//!   folder. Returns once the port accepts connections.
//! - `start_on(location: &Path, port: u16) -> Self`: the same with the data in `location` and on
//!   `port` (0: a free one). Stopping and starting again on the same folder and port keeps the
//!   containers and blobs, so clients see the same server come back.
//! - `port`, `endpoint` (`http://127.0.0.1:PORT/devstoreaccount1`, the `endpoint` of an mlx
//!   remote), `location`.
//! - `create_container(name)`: the Create Container REST call, signed with SharedKey;
//!   `containers()`: the names of the account's containers (List Containers).
//! - `blobs(container, prefix)`: (name, size) of every blob under `prefix` (List Blobs).
//! - `committed_blocks(container, blob)`: the sizes of a block blob's committed blocks (Get Block
//!   List), to see how a big blob was uploaded.
//! - `output`: what Azurite printed, in all its runs on this location.
//! - `stop(self)`: Azurite closes (SIGTERM: it saves its metadata and exits; SIGKILL if it has
//!   not within 10 seconds) and is reaped; returns once the port can be bound again. Dropping
//!   the server does the same.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};

use super::child::{ChildServer, INSTALL_WAIT, Launch, install_once, parse_response, run_logged};
use super::ports::url_encode;

/// The npm package version the tests run.
pub const AZURITE_VERSION: &str = "3.37.0";
/// The emulator's development storage account.
pub const ACCOUNT: &str = "devstoreaccount1";
/// The development account's key, as Microsoft publishes it for the emulator.
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The REST API version of the helper's own requests.
const API_VERSION: &str = "2021-08-06";
/// How long `stop` waits for Azurite to close by itself (saving its metadata) before killing it.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// A running Azurite blob service. See the module doc.
pub struct Azurite {
    /// Declared first, so Azurite stops before `_temp` is removed.
    server: ChildServer,
    location: PathBuf,
    /// The data folder of `start()`, removed with the server.
    _temp: Option<tempfile::TempDir>,
}

impl Azurite {
    /// The blob service on a free port, with its data in a fresh temp folder.
    pub fn start() -> Azurite {
        let temp = tempfile::Builder::new().prefix("mlx-azurite-").tempdir().expect("temp dir");
        let mut server = Self::start_on(temp.path(), 0);
        server._temp = Some(temp);
        server
    }

    /// The blob service with its data in `location`, on `port` (0: a free one).
    pub fn start_on(location: &Path, port: u16) -> Azurite {
        let script = entry_script();
        std::fs::create_dir_all(location).expect("create Azurite location");
        let location = location.canonicalize().expect("canonical Azurite location");
        let launch = Launch {
            name: "Azurite",
            program: script,
            needs: NODE_NEEDED,
            log: &location.join("azurite-output.log"),
            port,
            port_taken: "EADDRINUSE",
            grace: STOP_WAIT,
        };
        let server = ChildServer::launch(launch, |port| {
            let mut cmd = Command::new("node");
            cmd.arg(script)
                .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
                .arg("--location")
                .arg(&location)
                .args(["--silent", "--disableTelemetry"])
                // Only the development account, whatever accounts the environment would add.
                .env_remove("AZURITE_ACCOUNTS");
            cmd
        });
        Azurite { server, location, _temp: None }
    }

    /// What Azurite printed, in all its runs on this location.
    pub fn output(&self) -> String {
        self.server.all_output()
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `http://127.0.0.1:PORT/devstoreaccount1`: the account's blob endpoint (path style).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{ACCOUNT}", self.port())
    }

    /// The folder Azurite keeps its data in (canonical).
    pub fn location(&self) -> &Path {
        &self.location
    }

    /// Create the container `name` (Create Container, signed with the account key).
    pub fn create_container(&self, name: &str) {
        let (status, body) = self.request("PUT", &format!("/{name}"), &[("restype", "container")]);
        assert_eq!(status, 201, "Create Container {name}: {body}");
    }

    /// The names of the account's containers, sorted (List Containers).
    pub fn containers(&self) -> Vec<String> {
        let (status, body) = self.request("GET", "/", &[("comp", "list")]);
        assert_eq!(status, 200, "List Containers: {body}");
        let mut out: Vec<String> = body
            .split("<Container>")
            .skip(1)
            .map(|c| xml_unescape(&xml_tag(c, "Name").expect("container name")))
            .collect();
        out.sort();
        out
    }

    /// (name, size) of every blob in `container` whose name starts with `prefix`, sorted.
    pub fn blobs(&self, container: &str, prefix: &str) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let mut marker = String::new();
        loop {
            let mut query = vec![("restype", "container"), ("comp", "list"), ("prefix", prefix)];
            if !marker.is_empty() {
                query.push(("marker", &marker));
            }
            let (status, body) = self.request("GET", &format!("/{container}"), &query);
            assert_eq!(status, 200, "List Blobs {container}: {body}");
            for blob in body.split("<Blob>").skip(1) {
                let name = xml_tag(blob, "Name").expect("blob name");
                let size = xml_tag(blob, "Content-Length").expect("blob size");
                out.push((xml_unescape(&name), size.parse().expect("blob size is a number")));
            }
            marker = xml_tag(&body, "NextMarker").unwrap_or_default();
            if marker.is_empty() {
                break;
            }
        }
        out.sort();
        out
    }

    /// The sizes of the committed blocks of block blob `blob` in `container`, in order (Get
    /// Block List); empty for a blob uploaded in one request.
    pub fn committed_blocks(&self, container: &str, blob: &str) -> Vec<u64> {
        let (status, body) = self.request(
            "GET",
            &format!("/{container}/{blob}"),
            &[("comp", "blocklist"), ("blocklisttype", "committed")],
        );
        assert_eq!(status, 200, "Get Block List {container}/{blob}: {body}");
        body.split("<Block>")
            .skip(1)
            .map(|b| xml_tag(b, "Size").expect("block size").parse().expect("a number"))
            .collect()
    }

    /// One REST call on `path` (under the account) with `query`, no body, signed with SharedKey.
    /// Returns the status and the body.
    fn request(&self, method: &str, path: &str, query: &[(&str, &str)]) -> (u16, String) {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let resource_path = format!("/{ACCOUNT}{path}");
        // The canonicalized resource: account, then the URL path (itself starting with the
        // account for a path-style URL), then each query parameter, sorted by name.
        let mut sorted: Vec<_> = query.to_vec();
        sorted.sort();
        let mut resource = format!("/{ACCOUNT}{resource_path}");
        for (k, v) in &sorted {
            resource.push_str(&format!("\n{k}:{v}"));
        }
        // VERB, then the eleven standard headers Content-Encoding … Range, one per line (all
        // empty here: a zero Content-Length is signed as empty), then the x-ms- headers sorted,
        // then the resource.
        let to_sign = format!(
            "{method}\n{}x-ms-date:{date}\nx-ms-version:{API_VERSION}\n{resource}",
            "\n".repeat(11)
        );
        let key = base64::engine::general_purpose::STANDARD.decode(ACCOUNT_KEY).expect("key");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC key");
        mac.update(to_sign.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());

        let query: Vec<String> =
            query.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
        let request = format!(
            "{method} {resource_path}?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             x-ms-date: {date}\r\nx-ms-version: {API_VERSION}\r\n\
             Authorization: SharedKey {ACCOUNT}:{signature}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n",
            query = query.join("&"),
            port = self.port(),
        );
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port()))
            .unwrap_or_else(|e| panic!("connect to Azurite on port {}: {e}", self.port()));
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("read timeout");
        stream.write_all(request.as_bytes()).expect("send request to Azurite");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read Azurite's response");
        let (status, body) = parse_response(&response);
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Stop Azurite now (see the module doc); the port is free when this returns.
    pub fn stop(self) {
        self.server.stop();
    }
}

const NODE_NEEDED: &str = "The Azure remote tests run Azurite (the npm package azurite), which \
    needs Node.js 20 or newer and npm on PATH: install them (from https://nodejs.org or the \
    system's package manager, e.g. `apt-get install nodejs npm`) and run the tests again; npm \
    must be able to reach its registry the first time.";

/// The blob service's entry script, installed by npm on first use.
fn entry_script() -> &'static Path {
    static SCRIPT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match SCRIPT.get_or_init(install) {
        Ok(script) => script,
        Err(message) => panic!("{message}"),
    }
}

/// Install Azurite with npm under cargo's per-target temp dir unless it is already there (see
/// `install_once`).
fn install() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("azurite-{AZURITE_VERSION}"));
    let script = dir.join("node_modules/azurite/dist/src/blob/main.js");
    install_once(&dir, &script, || {
        match Command::new("node").arg("--version").output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                return Err(format!("`node --version` failed ({}).\n{NODE_NEEDED}", out.status));
            }
            Err(e) => return Err(format!("cannot run `node`: {e}.\n{NODE_NEEDED}")),
        }
        let log_path = dir.join("npm-install.log");
        let log =
            File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
        let package = format!("azurite@{AZURITE_VERSION}");
        let status = run_logged(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg(&package),
            &log,
            INSTALL_WAIT,
        )
        .map_err(|e| format!("cannot run `npm`: {e}.\n{NODE_NEEDED}"))?;
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        match status {
            Some(s) if s.success() && script.is_file() => Ok(package),
            Some(s) => Err(format!(
                "`npm install {package}` into {} failed ({s}):\n{output}\n{NODE_NEEDED}",
                dir.display()
            )),
            None => Err(format!(
                "`npm install {package}` did not finish within {INSTALL_WAIT:?}:\n{output}\n\
                 {NODE_NEEDED}"
            )),
        }
    })?;
    Ok(script)
}

/// The text of the first `<tag>…</tag>` in `xml`.
fn xml_tag(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_owned())
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
