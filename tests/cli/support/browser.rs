//! A real headless browser for the tests of the pages mlx writes (`mlx plots show`) and serves
//! (`mlx ui`): Debian's Chromium, driven by playwright-core from npm (pinned to
//! [`PLAYWRIGHT_VERSION`]) through the scenario runner `browser.mjs` beside this file.
//!
//! Both are installed by the first test that needs them, once for all tests running in
//! parallel: Chromium with `apt-get install chromium` when `/usr/bin/chromium` is missing (as
//! root, or through `sudo -n`), playwright-core with npm into a folder of cargo's per-target
//! temp dir (as the Azurite helper does). When either cannot be installed the test fails and
//! says what to install: it never skips.
//!
//! API:
//! - `run(name, scenario)`: runs `scenario` (the text of an ES module whose default export is
//!   `async (page, t) => result`) in a fresh browser context and returns what it returned, once
//!   it ran without an uncaught error, without a console error and without a request to a host
//!   it was not given; otherwise panics with all of them. Screenshots (`t.shot("name")`, and
//!   `failure.png` when the scenario throws) are kept under `screenshots/NAME/` in cargo's
//!   per-target temp dir, as test artifacts.
//! - `Scenario` for the options: `offline` (no network at all: what a file written by
//!   `mlx plots show` must render with), `allow` (`127.0.0.1:PORT` hosts the page may reach).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::child::{INSTALL_WAIT, install_once, run_logged};

/// The npm package version the tests drive Chromium with.
pub const PLAYWRIGHT_VERSION: &str = "1.65.2";
/// Where Debian's package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

const CHROMIUM_NEEDED: &str = "The browser tests run Debian's Chromium: install it with \
    `apt-get install chromium` (as root; the tests do so themselves when they run as root or \
    may use `sudo -n`) and run the tests again.";
const NODE_NEEDED: &str = "The browser tests drive Chromium with playwright-core (an npm \
    package), which needs Node.js 20 or newer and npm on PATH: install them (e.g. `apt-get \
    install nodejs npm`) and run the tests again; npm must be able to reach its registry the \
    first time.";

/// How a scenario runs.
#[derive(Default)]
pub struct Scenario<'a> {
    /// The text of the ES module to run.
    pub script: &'a str,
    /// No network at all.
    pub offline: bool,
    /// Hosts (`127.0.0.1:PORT`) the page may reach.
    pub allow: Vec<String>,
}

/// Run `scenario` as the module doc says; `name` names its screenshots folder.
pub fn run(name: &str, scenario: Scenario<'_>) -> serde_json::Value {
    let chromium = chromium();
    let playwright = playwright();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join(name);
    let _ = std::fs::remove_dir_all(&shots);
    let work = tempfile::Builder::new().prefix("mlx-browser-").tempdir().expect("temp dir");
    let script = work.path().join("scenario.mjs");
    std::fs::write(&script, scenario.script).expect("write scenario");
    let config = work.path().join("config.json");
    let cfg = serde_json::json!({
        "playwright": playwright,
        "chromium": chromium,
        "scenario": script,
        "screenshots": shots,
        "offline": scenario.offline,
        "allow": scenario.allow,
    });
    std::fs::write(&config, cfg.to_string()).expect("write config");
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/support/browser.mjs");
    let out = Command::new("node")
        .arg(&runner)
        .arg(&config)
        .env("HOME", work.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `node`: {e}.\n{NODE_NEEDED}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser runner failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("the browser runner printed no report ({e}):\n{stdout}\n{stderr}")
    });
    let failure = report["failure"].as_str();
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    let blocked = report["blocked"].as_array().cloned().unwrap_or_default();
    assert!(
        failure.is_none() && errors.is_empty() && blocked.is_empty(),
        "browser scenario `{name}` (screenshots in {}):\nfailure: {}\nerrors: {errors:#?}\n\
         requests refused: {blocked:#?}",
        shots.display(),
        failure.unwrap_or("none"),
    );
    report["result"].clone()
}

/// The Chromium binary, installed on first use.
fn chromium() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(install_chromium) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn install_chromium() -> Result<PathBuf, String> {
    let binary = PathBuf::from(CHROMIUM);
    if binary.is_file() {
        return Ok(binary);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("chromium-install");
    install_once(&dir, &binary, || {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let sudo =
            !root && Command::new("sudo").args(["-n", "true"]).status().is_ok_and(|s| s.success());
        if !root && !sudo {
            return Err(format!("{CHROMIUM} is missing.\n{CHROMIUM_NEEDED}"));
        }
        let log_path = dir.join("apt-get.log");
        let log =
            File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
        let apt = |args: &[&str]| {
            let mut cmd = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
            if sudo {
                cmd.args(["-n", "apt-get"]);
            }
            cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            run_logged(&mut cmd, &log, INSTALL_WAIT)
        };
        // The package lists may be missing on a fresh machine; a failed update still leaves
        // whatever lists there are to install from.
        let _ = apt(&["update", "-q"]);
        let status = apt(&["install", "-y", "-q", "--no-install-recommends", "chromium"])
            .map_err(|e| format!("cannot run `apt-get`: {e}.\n{CHROMIUM_NEEDED}"))?;
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        match status {
            Some(s) if s.success() && binary.is_file() => Ok("chromium (apt-get)".to_owned()),
            Some(s) => Err(format!(
                "`apt-get install chromium` failed ({s}):\n{output}\n{CHROMIUM_NEEDED}"
            )),
            None => Err(format!(
                "`apt-get install chromium` did not finish within {INSTALL_WAIT:?}:\n{output}\n\
                 {CHROMIUM_NEEDED}"
            )),
        }
    })?;
    Ok(binary)
}

/// The installed playwright-core package folder, installed on first use.
fn playwright() -> &'static Path {
    static PACKAGE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PACKAGE.get_or_init(install_playwright) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn install_playwright() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("playwright-core-{PLAYWRIGHT_VERSION}"));
    let package = dir.join("node_modules/playwright-core");
    install_once(&dir, &package.join("package.json"), || {
        let log_path = dir.join("npm-install.log");
        let log =
            File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
        let spec = format!("playwright-core@{PLAYWRIGHT_VERSION}");
        let status = run_logged(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg(&spec)
                // Only the driver: the browser is Debian's.
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
            &log,
            INSTALL_WAIT,
        )
        .map_err(|e| format!("cannot run `npm`: {e}.\n{NODE_NEEDED}"))?;
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        match status {
            Some(s) if s.success() && package.join("package.json").is_file() => Ok(spec),
            Some(s) => Err(format!(
                "`npm install {spec}` into {} failed ({s}):\n{output}\n{NODE_NEEDED}",
                dir.display()
            )),
            None => Err(format!(
                "`npm install {spec}` did not finish within {INSTALL_WAIT:?}:\n{output}\n\
                 {NODE_NEEDED}"
            )),
        }
    })?;
    Ok(package)
}
