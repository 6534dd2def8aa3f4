//! `mlx ui`: the real binary serving a seeded project on a free port of 127.0.0.1, called with
//! plain HTTP/1.1 requests written by hand (so Host, Origin and paths go out exactly as given).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::TestProject;
use crate::support::child::parse_response;

const SCRIPT_NAME: &str = "<script>alert(1)</script>";

/// A running `mlx ui`, stopped when dropped.
pub(crate) struct Ui {
    child: Child,
    /// `127.0.0.1:PORT`
    pub(crate) addr: String,
    stderr_lines: Vec<String>,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    head: String,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {} {}", self.status, String::from_utf8_lossy(&self.body))
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

impl Ui {
    pub(crate) fn start(p: &TestProject, args: &[&str]) -> Ui {
        let mut cmd = p.mlx_std();
        cmd.arg("ui").args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start mlx ui");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the URL");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut stderr_lines = Vec::new();
        // The warning (if any) comes before the URL; the status line after it.
        let mut err_line = String::new();
        while stderr.read_line(&mut err_line).unwrap_or(0) > 0 {
            let done = err_line.contains("serving until stopped");
            stderr_lines.push(std::mem::take(&mut err_line));
            if done {
                break;
            }
        }
        let url = line.trim().to_owned();
        assert!(url.starts_with("http://") && url.ends_with('/'), "printed {url:?}");
        let addr = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        Ui { child, addr, stderr_lines }
    }

    fn port(&self) -> u16 {
        self.addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port")
    }

    fn raw(&self, request: &str, body: &[u8]) -> Answer {
        let port = self.port();
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        stream.write_all(request.as_bytes()).expect("send");
        stream.write_all(body).expect("send body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the answer");
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let (status, body) = parse_response(&raw);
        Answer { status, head, body }
    }

    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.push_str(&format!("Host: {}\r\n", self.addr));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        self.raw(&req, body.as_bytes())
    }

    pub(crate) fn get(&self, path: &str) -> Answer {
        self.request("GET", path, &[], "")
    }

    /// The write token the served page carries.
    fn token(&self) -> String {
        let page = self.get("/").text();
        let start = page.find("name=\"mlx-token\" content=\"").expect("the token meta") + 26;
        page[start..start + 32].to_owned()
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mlx ARGS` with the mlx under test first on PATH, for commands that call `mlx log`.
fn mlx_on_path(p: &TestProject, args: &[&str]) -> assert_cmd::assert::Assert {
    let bin_dir = std::path::Path::new(crate::support::mlx_bin()).parent().expect("a folder");
    let mut dirs = vec![bin_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    p.mlx_cmd().env("PATH", std::env::join_paths(dirs).expect("PATH")).args(args).assert()
}

/// A project with a command experiment named with a `<script>`, logging a loss history and an
/// artifact, and a second one with other params.
fn seeded() -> TestProject {
    let p = TestProject::initialized();
    p.commit_all("init");
    mlx_on_path(&p, &[
        "run",
        "--name",
        SCRIPT_NAME,
        "--",
        "sh",
        "-c",
        "mlx log param lr=0.1 && mlx log metric loss=1 --step 0 && mlx log metric loss=0.5 --step 1 \
         && echo hello from the run && echo weights > model.txt && mlx log artifact model.txt \
         && mkdir -p plots/sub && echo inner > plots/sub/f.txt && mlx log artifact plots",
    ])
    .success();
    mlx_on_path(
        &p,
        &[
            "run",
            "--name",
            "second",
            "--",
            "sh",
            "-c",
            "mlx log param lr=0.2 && mlx log metric loss=0.7 --step 0",
        ],
    )
    .success();
    p
}

fn id_of(p: &TestProject, name: &str) -> String {
    let list = p.json(&["exp", "list"]);
    list["experiments"]
        .as_array()
        .expect("experiments")
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["id"].as_str())
        .unwrap_or_else(|| panic!("no experiment {name}"))
        .to_owned()
}

#[test]
fn ui_prints_its_url_and_serves_the_page_and_the_experiments() {
    let p = seeded();
    let ui = Ui::start(&p, &[]);
    assert!(ui.addr.starts_with("127.0.0.1:"), "{}", ui.addr);
    assert!(ui.stderr_lines.iter().all(|l| !l.contains("warning")), "{:?}", ui.stderr_lines);

    let page = ui.get("/");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    let csp = page.header("content-security-policy").expect("a policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text();
    assert!(!html.contains("{{TOKEN}}"));
    assert!(!html.contains("alert(1)"), "the page never carries run names");
    for script in ["util", "curves", "experiments", "experiment", "compare", "dag", "app"] {
        let asset = format!("/assets/{script}.js");
        assert!(html.contains(&asset), "{asset}");
        let text = ui.get(&asset).text();
        assert!(text.contains("\"use strict\""), "{asset}");
        assert!(!text.contains("innerHTML"), "{asset}: project text goes in as text only");
    }
    for asset in ["/assets/app.css", "/assets/uPlot.iife.min.js", "/assets/uPlot.min.css"] {
        assert!(html.contains(asset), "{asset}");
        assert_eq!(ui.get(asset).status, 200, "{asset}");
    }
    assert_eq!(ui.get("/assets/nope.js").status, 404);

    let list = ui.get("/api/experiments");
    assert_eq!(list.status, 200);
    assert!(list.header("content-type").is_some_and(|t| t == "application/json"));
    let list = list.json();
    let exps = list["experiments"].as_array().expect("experiments");
    assert_eq!(exps.len(), 2);
    // The name comes back as data, exactly as given.
    assert!(exps.iter().any(|e| e["name"] == SCRIPT_NAME));
    let cols: Vec<&str> = list["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(cols.contains(&"params.lr") && cols.contains(&"metrics.loss"), "{cols:?}");

    let filtered = ui.get("/api/experiments?filter=params.lr+%3D+0.2").json();
    let names: Vec<&str> = filtered["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["second"]);
    let limited = ui.get("/api/experiments?limit=1").json();
    assert_eq!(limited["experiments"].as_array().unwrap().len(), 1);
    assert_eq!(ui.get("/api/experiments?limit=x").status, 400);
}

#[test]
fn ui_filter_errors_name_the_column_for_a_caret() {
    let p = seeded();
    let ui = Ui::start(&p, &[]);
    let bad = ui.get("/api/experiments?filter=metrics.loss+%3E");
    assert_eq!(bad.status, 400);
    let body = bad.json();
    assert_eq!(body["text"], "metrics.loss >");
    assert_eq!(body["column"], 15);
    assert!(body["error"].as_str().unwrap().contains("expected a value"), "{body}");
    assert!(body["hint"].is_string());

    // The check the page makes first answers 200 either way.
    let check = ui.get("/api/filter?filter=metrics.loss+%3E");
    assert_eq!(check.status, 200);
    let check = check.json();
    assert_eq!(check["valid"], false);
    assert_eq!(check["column"], 15);
    assert_eq!(check["text"], "metrics.loss >");
    assert_eq!(ui.get("/api/filter?filter=metrics.loss+%3E+0").json()["valid"], true);

    let unknown = ui.get("/api/experiments?filter=metrics.los+%3C+1");
    assert_eq!(unknown.status, 400);
    let body = unknown.json();
    assert!(body["error"].as_str().unwrap().contains("did you mean metrics.loss"), "{body}");
    assert_eq!(body["column"], 1);
}

#[test]
fn ui_experiment_page_data_has_params_metrics_artifacts_and_the_log() {
    let p = seeded();
    let id = id_of(&p, SCRIPT_NAME);
    let ui = Ui::start(&p, &[]);
    let d = ui.get(&format!("/api/experiments/{id}"));
    assert_eq!(d.status, 200);
    let d = d.json();
    assert_eq!(d["subject"], "run");
    assert_eq!(d["detail"]["name"], SCRIPT_NAME);
    assert_eq!(d["detail"]["params"]["lr"], "0.1");
    assert_eq!(d["detail"]["metrics"]["loss"]["steps"], 2);
    assert_eq!(d["runs"][0]["metrics"], serde_json::json!(["loss"]));
    let paths: Vec<&str> =
        d["artifacts"].as_array().unwrap().iter().map(|a| a["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["log", "model.txt", "plots"]);
    // By name too.
    assert_eq!(ui.get("/api/experiments/second").json()["detail"]["name"], "second");
    assert_eq!(ui.get("/api/experiments/nothing-like-it").status, 404);

    let log = ui.get(&format!("/api/runs/{id}/log"));
    assert_eq!(log.status, 200);
    assert!(log.header("content-type").is_some_and(|t| t.starts_with("text/plain")));
    assert!(log.text().contains("hello from the run"), "{}", log.text());
}

#[test]
fn ui_artifacts_come_from_the_cache_and_only_the_recorded_ones() {
    let p = seeded();
    let id = id_of(&p, SCRIPT_NAME);
    p.write("secret.txt", "not an artifact\n");
    let ui = Ui::start(&p, &[]);
    let a = ui.get(&format!("/api/runs/{id}/artifacts/model.txt"));
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "weights\n");
    assert!(a.header("content-disposition").is_some_and(|d| d.starts_with("attachment")));
    assert_eq!(a.header("content-security-policy").as_deref(), Some("sandbox"));
    assert_eq!(a.header("x-content-type-options").as_deref(), Some("nosniff"));

    for path in [
        "secret.txt",
        "../secret.txt",
        "..%2Fsecret.txt",
        "%2E%2E/%2E%2E/mlx.toml",
        "../../../../../etc/passwd",
        "%2Fetc%2Fpasswd",
        "model.txt/",
        ".mlx/mlx.db",
    ] {
        let r = ui.get(&format!("/api/runs/{id}/artifacts/{path}"));
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert!(!r.text().contains("not an artifact"), "{path}");
    }
    // A directory artifact: its files are listed, and only those are served.
    let listed = ui.get(&format!("/api/runs/{id}/files/plots"));
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    assert_eq!(listed["files"][0]["path"], "sub/f.txt");
    assert_eq!(listed["files"][0]["size"], 6);
    let inner = ui.get(&format!("/api/runs/{id}/artifacts/plots/sub/f.txt"));
    assert_eq!(inner.status, 200);
    assert_eq!(inner.text(), "inner\n");
    for path in [
        "plots",
        "plots/sub",
        "plots/nope.txt",
        "plots/../secret.txt",
        "plots/sub/../../secret.txt",
    ] {
        let r = ui.get(&format!("/api/runs/{id}/artifacts/{path}"));
        assert_eq!(r.status, 404, "{path}: {}", r.text());
    }
    assert_eq!(ui.get(&format!("/api/runs/{id}/files/model.txt")).status, 404);
    // Another run's artifact is not this one's.
    let other = id_of(&p, "second");
    assert_eq!(ui.get(&format!("/api/runs/{other}/artifacts/model.txt")).status, 404);
}

#[test]
fn ui_metric_history_is_thinned_to_the_budget_and_keeps_spikes() {
    let p = seeded();
    let id = id_of(&p, "second");
    let n: i64 = 200_000;
    {
        let mut conn = p.db();
        let tx = conn.transaction().unwrap();
        {
            let mut put = tx
                .prepare("INSERT INTO metrics (run_id, key, step, value, timestamp) VALUES (?1, 'curve', ?2, ?3, ?4)")
                .unwrap();
            for step in 0..n {
                let value = match step {
                    77_777 => 1000.0,
                    150_001 => -1000.0,
                    _ => (step as f64 / 1000.0).sin(),
                };
                put.execute(rusqlite::params![id, step, value, 1_700_000_000_000i64 + step])
                    .unwrap();
            }
        }
        tx.execute(
            "INSERT INTO latest_metrics (run_id, key, step, value, timestamp) VALUES (?1, 'curve', ?2, 0, 0)",
            rusqlite::params![id, n - 1],
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let ui = Ui::start(&p, &[]);
    let h = ui.get(&format!("/api/experiments/{id}/history?key=curve&points=2000"));
    assert_eq!(h.status, 200);
    let h = h.json();
    assert_eq!(h["total"], n);
    assert_eq!(h["downsampled"], true);
    let points = h["points"].as_array().unwrap();
    assert!(points.len() <= 2000 && points.len() > 500, "{} points", points.len());
    assert_eq!(points[0]["step"], 0);
    assert_eq!(points[points.len() - 1]["step"], n - 1);
    assert!(points.iter().any(|p| p["step"] == 77_777 && p["value"] == 1000.0), "the high spike");
    assert!(points.iter().any(|p| p["step"] == 150_001 && p["value"] == -1000.0), "the low spike");
    let steps: Vec<i64> = points.iter().map(|p| p["step"].as_i64().unwrap()).collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "in step order");
    assert!(points[0]["time"].as_i64().unwrap() >= 1_700_000_000_000);

    let small = ui.get(&format!("/api/runs/{id}/history?key=curve&points=50")).json();
    assert!(small["points"].as_array().unwrap().len() <= 50);
    let whole = ui.get(&format!("/api/runs/{id}/history?key=loss")).json();
    assert_eq!(whole["downsampled"], false);
    assert_eq!(whole["points"].as_array().unwrap().len(), 1);
    assert_eq!(ui.get(&format!("/api/runs/{id}/history?key=curve&points=0")).status, 400);
    assert_eq!(ui.get(&format!("/api/runs/{id}/history")).status, 400);
}

#[test]
fn ui_writes_need_the_page_token_and_its_origin() {
    let p = seeded();
    let id = id_of(&p, "second");
    let ui = Ui::start(&p, &[]);
    let token = ui.token();
    let json = ("Content-Type", "application/json");
    let tags = format!("/api/experiments/{id}/tags");
    let body = r#"{"set": {"reviewed": "yes"}}"#;

    assert_eq!(ui.request("POST", &tags, &[json], body).status, 403);
    assert_eq!(ui.request("POST", &tags, &[json, ("X-Mlx-Token", "0123")], body).status, 403);
    let origin = ("Origin", "http://evil.example");
    assert_eq!(
        ui.request("POST", &tags, &[json, origin, ("X-Mlx-Token", &token)], body).status,
        403
    );
    let site = ("Sec-Fetch-Site", "cross-site");
    assert_eq!(ui.request("POST", &tags, &[json, site, ("X-Mlx-Token", &token)], body).status, 403);
    let tag_rows = |p: &TestProject| -> i64 {
        p.db()
            .query_row("SELECT count(*) FROM tags WHERE key = 'reviewed'", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(tag_rows(&p), 0, "nothing written without the token");

    let own = format!("http://{}", ui.addr);
    let ok = ui.request("POST", &tags, &[json, ("Origin", &own), ("X-Mlx-Token", &token)], body);
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["runs"], serde_json::json!([id]));
    let detail = ui.get(&format!("/api/experiments/{id}")).json();
    assert_eq!(detail["detail"]["tags"]["reviewed"], "yes");

    let note = ui.request(
        "POST",
        &format!("/api/experiments/{id}/note"),
        &[json, ("X-Mlx-Token", &token)],
        r#"{"text": "<b>looks</b> good"}"#,
    );
    assert_eq!(note.status, 200, "{}", note.text());
    let detail = ui.get(&format!("/api/experiments/{id}")).json();
    assert_eq!(detail["detail"]["tags"]["mlx.note"], "<b>looks</b> good");

    let removed =
        ui.request("POST", &tags, &[json, ("X-Mlx-Token", &token)], r#"{"remove": ["reviewed"]}"#);
    assert_eq!(removed.json()["removed"], 1);
    assert_eq!(tag_rows(&p), 0);
    assert_eq!(ui.request("POST", &tags, &[json, ("X-Mlx-Token", &token)], "{nope").status, 400);

    let exp = format!("/api/experiments/{id}");
    assert_eq!(ui.request("DELETE", &exp, &[], "").status, 403);
    assert_eq!(ui.get(&exp).status, 200, "still there");
    let gone = ui.request("DELETE", &exp, &[("X-Mlx-Token", &token)], "");
    assert_eq!(gone.status, 200, "{}", gone.text());
    assert_eq!(ui.get(&exp).status, 404);
    // Reads never need the token; writes through GET do not exist.
    assert_eq!(ui.request("PUT", "/", &[("X-Mlx-Token", &token)], "").status, 405);
}

#[test]
fn ui_refuses_requests_for_other_hosts() {
    let p = seeded();
    let ui = Ui::start(&p, &[]);
    let port = ui.port();
    let evil = format!("evil.example:{port}");
    let r = ui.request("GET", "/api/experiments", &[("Host", &evil)], "");
    assert_eq!(r.status, 403);
    assert!(!r.text().contains("second"));
    assert_eq!(ui.request("GET", "/", &[("Host", "127.0.0.1:1")], "").status, 403);
    let local = format!("localhost:{port}");
    assert_eq!(ui.request("GET", "/api/experiments", &[("Host", &local)], "").status, 200);
}

#[test]
fn ui_serves_the_pipeline_and_what_changed() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        "[stages.prepare]\ncmd = \"sh -c 'echo d > data.txt'\"\nouts = [\"data.txt\"]\n\n\
         [stages.train]\ncmd = \"sh -c 'cat data.txt > model.txt'\"\ndeps = [\"data.txt\"]\nouts = [\"model.txt\"]\n",
    );
    p.commit_all("pipeline");
    p.mlx(&["run"]).success();
    let ui = Ui::start(&p, &[]);
    let dag = ui.get("/api/dag").json();
    let names: Vec<&str> =
        dag["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["prepare", "train"]);
    assert_eq!(dag["edges"][0]["from"], "prepare");
    assert_eq!(dag["edges"][0]["to"], "train");

    let exp = p.json(&["exp", "list"])["experiments"][0]["id"].as_str().unwrap().to_owned();
    let d = ui.get(&format!("/api/experiments/{exp}")).json();
    assert_eq!(d["subject"], "experiment");
    let stages: Vec<&str> = d["detail"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["prepare", "train"]);

    let first = ui.get("/api/changes").json();
    let cursor = first["cursor"].as_str().unwrap().to_owned();
    let same = ui.get(&format!("/api/changes?since={cursor}")).json();
    assert_eq!(same["changed"], false);
    mlx_on_path(
        &p,
        &["run", "--name", "later", "--", "sh", "-c", "mlx log metric acc=0.5 --step 1"],
    )
    .success();
    let later = ui.get(&format!("/api/changes?since={cursor}")).json();
    assert_eq!(later["changed"], true);
    let id = id_of(&p, "later");
    assert_eq!(later["experiments"], serde_json::json!([id]));
    assert_eq!(ui.get("/api/changes?since=garbage").status, 400);
}

#[test]
fn ui_on_another_address_warns_and_a_taken_port_is_an_input_error() {
    let p = seeded();
    let wide = Ui::start(&p, &["--host", "0.0.0.0"]);
    assert!(
        wide.stderr_lines.iter().any(|l| l.starts_with("warning: listening on 0.0.0.0:")),
        "{:?}",
        wide.stderr_lines
    );
    let taken = wide.port().to_string();
    let out = p.mlx(&["ui", "--port", &taken]).code(2);
    let err = crate::support::stderr(&out);
    assert!(err.contains("cannot listen on"), "{err}");
    assert!(err.contains("--port"), "{err}");
}

/// The pages in headless Chromium against the seeded project: the experiments table lists both
/// experiments with the `<script>` name as text (no dialog opens), a bad filter shows its error
/// with the caret's column and a good one narrows the rows, two selected experiments compare
/// with both loss curves drawn on the canvas in their colours, and the experiment page shows
/// the captured log. No console error on any page; screenshots of each are kept.
#[test]
fn ui_pages_work_in_a_real_browser() {
    let p = seeded();
    let ui = Ui::start(&p, &[]);
    let url = format!("http://{}/", ui.addr);
    let script = format!(
        r#"export default async (page, t) => {{
  const dialogs = [];
  page.on('dialog', (d) => {{ dialogs.push(d.message()); d.dismiss(); }});
  await page.goto({url:?});
  await page.waitForSelector('main[data-ready=experiments] [data-row-id]');
  await t.shot('experiments');
  const names = await page.$$eval('[data-row-id] a', (as) => as.map((a) => a.textContent).sort());
  const rows = await page.$$eval('[data-row-id]', (rs) => rs.length);

  await page.fill('#filter', 'params.lr >');
  await page.press('#filter', 'Enter');
  await page.waitForSelector('#filter-error:not([hidden])');
  const caret = await page.getAttribute('#filter-error', 'data-column');
  const message = await page.textContent('#filter-error .message');
  await t.shot('filter-error');

  await page.fill('#filter', 'params.lr = 0.2');
  await page.press('#filter', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-row-id]').length === 1);
  const filtered = await page.$$eval('[data-row-id] a', (as) => as.map((a) => a.textContent));
  await page.fill('#filter', '');
  await page.press('#filter', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-row-id]').length === 2);

  // Located afresh each time: the rows are redrawn when the full list arrives.
  for (let i = 0; i < 2; i++) await page.locator('[data-row-id] input[type=checkbox]').nth(i).check();
  await page.waitForFunction(() => document.querySelectorAll('[data-row-id].selected').length === 2);
  await page.click('#compare-selected');
  await page.waitForSelector('#overlay li[data-series]');
  await page.waitForSelector('#overlay canvas');
  await page.waitForTimeout(300);
  await t.shot('compare');
  const series = await page.$$eval('#overlay li[data-series]', (ls) => ls.map((l) => ({{
    points: Number(l.dataset.points), label: l.textContent }})));
  // Pixels of each series' colour on the chart's canvas.
  const pixels = await page.$eval('#overlay canvas', (c) => {{
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = [[0x2f, 0x6f, 0xdf], [0xe4, 0x57, 0x2e]];
    const counts = colours.map(() => 0);
    for (let i = 0; i < d.length; i += 4) {{
      colours.forEach((k, j) => {{
        if (Math.abs(d[i] - k[0]) < 40 && Math.abs(d[i + 1] - k[1]) < 40 && Math.abs(d[i + 2] - k[2]) < 40 && d[i + 3] > 100) counts[j]++;
      }});
    }}
    return counts;
  }});
  const diff = await page.$$eval('#params-diff tr[data-param]', (rs) => rs.map((r) => r.dataset.param));

  await page.goto({url:?});
  await page.waitForSelector('main[data-ready=experiments] [data-row-id]');
  const link = page.locator('[data-row-id] a', {{ hasText: '<script>' }});
  await link.click();
  await page.waitForFunction(() => {{
    const log = document.querySelector('[data-log]');
    return log && log.textContent.includes('hello from the run');
  }});
  await t.shot('experiment');
  const title = await page.textContent('h1');
  return {{ names, rows, caret, message, filtered, series, pixels, diff, title, dialogs,
           scripts: await page.$$eval('main script', (s) => s.length) }};
}};"#
    );
    let got = crate::support::browser::run(
        "ui",
        crate::support::browser::Scenario {
            script: &script,
            allow: vec![ui.addr.clone()],
            ..Default::default()
        },
    );
    let mut names = vec!["second".to_owned(), SCRIPT_NAME.to_owned()];
    names.sort();
    assert_eq!(got["names"], serde_json::json!(names), "{got:#}");
    assert_eq!(got["rows"], 2, "{got:#}");
    assert_eq!(got["dialogs"], serde_json::json!([]), "{got:#}");
    assert_eq!(got["scripts"], 0, "{got:#}");
    // The caret sits at the end of `params.lr >`, where a value is missing.
    assert_eq!(got["caret"], "12", "{got:#}");
    assert!(got["message"].as_str().is_some_and(|m| !m.is_empty()), "{got:#}");
    assert_eq!(got["filtered"], serde_json::json!(["second"]), "{got:#}");
    let series = got["series"].as_array().unwrap();
    let points: Vec<u64> = series.iter().map(|s| s["points"].as_u64().unwrap()).collect();
    assert_eq!(points.len(), 2, "{got:#}");
    assert!(points.contains(&2) && points.contains(&1), "{got:#}");
    let pixels = got["pixels"].as_array().unwrap();
    assert!(pixels.iter().all(|n| n.as_u64().unwrap() > 0), "a curve was not drawn: {got:#}");
    assert_eq!(got["diff"], serde_json::json!(["lr"]), "{got:#}");
    assert!(got["title"].as_str().unwrap().contains(SCRIPT_NAME), "{got:#}");
}

/// A pipeline whose stage writes `eval/curve.csv` from `params.yaml`'s lr (the plots tests'
/// project), and two experiments of it at other lr values (`slow`, `quick`), each keeping its
/// result.
fn pipeline_with_experiments() -> TestProject {
    let (p, _) = crate::plots::two_revisions();
    p.mlx(&["exp", "run", "-q", "--name", "slow", "--set", "lr=0.01"]).success();
    p.mlx(&["exp", "run", "-q", "--name", "quick", "--set", "lr=0.5"]).success();
    p
}

/// The compare page's plots: the project's plots files as each experiment's result holds them,
/// overlaid by the server's renderer, from the API and drawn in the browser.
#[test]
fn ui_compare_overlays_the_plots_files_of_experiments() {
    let p = pipeline_with_experiments();
    let (slow, quick) = (id_of(&p, "slow"), id_of(&p, "quick"));
    let ui = Ui::start(&p, &[]);
    let got = ui.get(&format!("/api/plots?exp={slow}&exp={quick}"));
    assert_eq!(got.status, 200);
    let got = got.json();
    let sides: Vec<&str> =
        got["sides"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(sides, ["slow", "quick"], "{got:#}");
    let plots = got["plots"].as_array().unwrap();
    let names: Vec<&str> = plots.iter().map(|p| p["name"].as_str().unwrap()).collect();
    // The files only: the metric curves have their own chart on the page.
    assert_eq!(names, ["eval/curve.csv"], "{got:#}");
    let series: Vec<String> = plots[0]["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}:{}", s["label"].as_str().unwrap(), s["points"]))
        .collect();
    assert_eq!(series, ["slow:5", "quick:5"], "{got:#}");
    let charts = plots[0]["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 1, "{got:#}");
    let chart = charts[0].as_str().unwrap().strip_prefix("data:image/svg+xml;base64,").unwrap();
    let svg = {
        use base64::Engine as _;
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(chart).unwrap()).unwrap()
    };
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("data-series=\"slow\" data-points=\"5\""), "{svg}");
    assert!(svg.contains("data-series=\"quick\" data-points=\"5\""), "{svg}");
    assert_eq!(got["problems"], serde_json::json!([]));

    let none = ui.get("/api/plots").json();
    assert_eq!(none["plots"], serde_json::json!([]));
    let unknown = ui.get("/api/plots?exp=no-such-experiment");
    assert!((400..500).contains(&unknown.status), "{}", unknown.status);
    assert!(unknown.json()["error"].as_str().unwrap().contains("no-such-experiment"));

    let url = format!("http://{}/#/compare?ids={slow},{quick}", ui.addr);
    let script = format!(
        r#"export default async (page, t) => {{
  await page.goto({url:?});
  await page.waitForSelector('#compare-plots[data-state=done]');
  await t.shot('compare-plots');
  const series = await page.$$eval('#compare-plots [data-plot="eval/curve.csv"] [data-series]',
    (ss) => ss.map((s) => s.dataset.series + ":" + s.dataset.points));
  // The chart image decoded, and drawn in more than one colour.
  const img = await page.$eval('#compare-plots [data-plot="eval/curve.csv"] img.chart-img', (i) => {{
    const c = document.createElement('canvas');
    c.width = i.naturalWidth; c.height = i.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(i, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let k = 0; k < d.length; k += 4) {{
      const [r, gr, b, a] = [d[k], d[k + 1], d[k + 2], d[k + 3]];
      if (a > 200 && Math.max(r, gr, b) - Math.min(r, gr, b) > 80) colours.add((r >> 5) + ',' + (gr >> 5) + ',' + (b >> 5));
    }}
    return {{ width: i.naturalWidth, colours: colours.size }};
  }});
  return {{ series, img }};
}};"#
    );
    let drawn = crate::support::browser::run(
        "ui-plots",
        crate::support::browser::Scenario {
            script: &script,
            allow: vec![ui.addr.clone()],
            ..Default::default()
        },
    );
    assert_eq!(drawn["series"], serde_json::json!(["slow:5", "quick:5"]), "{drawn:#}");
    assert!(drawn["img"]["width"].as_u64().unwrap() > 100, "{drawn:#}");
    assert!(drawn["img"]["colours"].as_u64().unwrap() >= 2, "two series in colour: {drawn:#}");
}

/// A history logged through a run keeps a summary in the database once it is long, and the
/// thinned curve served from it and the points logged after it keeps the spikes and counts
/// every point.
#[test]
fn ui_long_histories_are_served_from_their_summary() {
    let p = TestProject::initialized();
    p.commit_all("init");
    p.write(
        "log.py",
        "import json, os\nwith open(os.environ['MLX_METRICS_FILE'], 'a') as f:\n    for s in range(60000):\n        v = 99.0 if s == 31337 else -99.0 if s == 59000 else (s % 100) / 100\n        f.write(json.dumps({'key': 'curve', 'value': v, 'step': s}) + '\\n')\n",
    );
    p.mlx(&["run", "-q", "--name", "long", "--", "python3", "log.py"]).success();
    let id = id_of(&p, "long");
    let conn = p.db();
    let (covered, last_step, bytes): (i64, i64, i64) = conn
        .query_row(
            "SELECT points, last_step, length(data) FROM metric_summaries WHERE key = 'curve'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("a summary of the long history");
    // The run's points are read in batches while it runs: the summary covers the history up to
    // where logging last moved it on (at most 10,000 points short), in step order.
    assert!((50_000..=60_000).contains(&covered), "{covered}");
    assert_eq!(last_step, covered - 1);
    assert!(bytes > 0 && bytes <= 24 * 4 * 4096, "{bytes} bytes");
    let counted: i64 = conn
        .query_row("SELECT points FROM latest_metrics WHERE key = 'curve'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(counted, 60_000);
    drop(conn);

    let ui = Ui::start(&p, &[]);
    let h = ui.get(&format!("/api/experiments/{id}/history?key=curve&points=1000")).json();
    assert_eq!(h["total"], 60_000);
    assert_eq!(h["downsampled"], true);
    let points = h["points"].as_array().unwrap();
    assert!(points.len() <= 1000 && points.len() > 500, "{} points", points.len());
    assert!(points.iter().any(|p| p["step"] == 31_337 && p["value"] == 99.0), "the high spike");
    assert!(points.iter().any(|p| p["step"] == 59_000 && p["value"] == -99.0), "the low spike");
    assert_eq!(points[0]["step"], 0);
    assert_eq!(points[points.len() - 1]["step"], 59_999);
}
