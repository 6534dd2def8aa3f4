//! MLflow's real client (from PyPI) logging into mlx: inside `mlx run` through the endpoint
//! every command gets, and outside it against `mlx serve`; then the records read back from the
//! database and through `mlx exp show --json`; and the bad inputs MLflow refuses, refused the
//! same way.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::TestProject;
use crate::support::child::parse_response;
use crate::support::mlflow;

/// Everything the issue lists, called from one script inside `mlx run`.
const INSIDE: &str = r#"
import math, os, json
import mlflow, mlflow.pyfunc
from mlflow.entities import Metric, Param, RunTag

class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input

assert os.environ["MLFLOW_RUN_ID"] == os.environ["MLX_RUN_ID"]
mlflow.set_experiment("anything")
client = mlflow.MlflowClient()
with mlflow.start_run() as run:
    rid = run.info.run_id
    assert rid == os.environ["MLX_RUN_ID"]
    mlflow.log_param("lr", 0.1)
    mlflow.log_params({"epochs": 3, "opt": "adam"})
    for step in range(3):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"acc": 0.9, "bad": float("nan"), "big": float("inf")}, step=5)
    client.log_batch(rid, metrics=[Metric("batch", float(i), 1700000000000 + i, i) for i in range(10)],
                     params=[Param("bp", "x")], tags=[RunTag("bt", "y")])
    mlflow.set_tag("team", "vision")
    mlflow.set_tags({"a": "1", "gone": "soon"})
    client.delete_tag(rid, "gone")
    mlflow.log_dict({"k": 1}, "conf/config.json")
    with open("notes.txt", "w") as f:
        f.write("hello")
    mlflow.log_artifact("notes.txt")
    os.makedirs("many", exist_ok=True)
    for n in ("x.txt", "y.txt"):
        with open(os.path.join("many", n), "w") as f:
            f.write(n)
    mlflow.log_artifacts("many", "many")
    with mlflow.start_run(nested=True, run_name="child") as child:
        mlflow.log_metric("child_metric", 7)
        child_id = child.info.run_id
    info = mlflow.pyfunc.log_model(name="model", python_model=Echo(), registered_model_name="echo")
    hist = client.get_metric_history(rid, "loss")
    assert [(m.step, m.value) for m in hist] == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)], hist
    got = client.get_run(rid)
    assert got.data.params["lr"] == "0.1" and got.data.tags["team"] == "vision"
    assert math.isnan(got.data.metrics["bad"]) and got.data.metrics["big"] == math.inf
    assert "gone" not in got.data.tags
    names = sorted(a.path for a in client.list_artifacts(rid))
    assert {"conf", "many", "notes.txt"} <= set(names), names
    local = client.download_artifacts(rid, "conf/config.json", os.path.abspath("dl"))
    assert json.load(open(local)) == {"k": 1}
    model = mlflow.pyfunc.load_model(info.model_uri)
    assert list(model.predict([1, 2])) == [1, 2]
    assert client.get_model_version("echo", "1").run_id == rid
    assert [m.name for m in client.search_registered_models("name='echo'")] == ["echo"]
    found = mlflow.search_runs(output_format="list")
    assert sorted(r.info.run_id for r in found) == sorted([rid, child_id]), found
    assert [r.info.run_id for r in mlflow.search_runs(filter_string="metrics.child_metric > 1", output_format="list")] == [child_id]
    assert [r.info.run_id for r in mlflow.search_runs(filter_string="params.opt = 'adam'", output_format="list")] == [rid]
    print("CHILD", child_id)
    print("MODEL", info.model_id)
"#;

fn python(p: &TestProject) -> std::process::Command {
    let mut cmd = p.tool("python");
    cmd.env("PATH", mlflow::path()).env("MLFLOW_DISABLE_TELEMETRY", "true");
    cmd
}

#[test]
fn inside_mlx_run_every_call_lands_in_the_run() {
    let p = TestProject::initialized();
    p.write("train.py", INSIDE);
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "train"]);
    let out = p
        .mlx_cmd()
        .env("PATH", mlflow::path())
        .args(["run", "--", "python", "train.py"])
        .output()
        .expect("mlx run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "mlx run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let child = stdout.lines().find_map(|l| l.strip_prefix("CHILD ")).expect("child id").to_owned();
    let model = stdout.lines().find_map(|l| l.strip_prefix("MODEL ")).expect("model id").to_owned();

    let db = p.db();
    let (run, status, experiment): (String, String, String) = db
        .query_row("SELECT id, status, experiment_id FROM runs WHERE parent_id IS NULL", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("the mlx run");
    assert_eq!(status, "finished", "end_run left the run's status to mlx");
    let (parent, child_experiment, child_name): (String, String, String) = db
        .query_row("SELECT parent_id, experiment_id, name FROM runs WHERE id = ?1", [&child], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("the nested run");
    assert_eq!(
        (parent.as_str(), child_experiment.as_str(), child_name.as_str()),
        (run.as_str(), experiment.as_str(), "child")
    );
    let history: Vec<(i64, f64)> = db
        .prepare("SELECT step, value FROM metrics WHERE run_id = ?1 AND key = 'loss' ORDER BY step")
        .expect("sql")
        .query_map([&run], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(history, vec![(0, 1.0), (1, 0.5), (2, 1.0 / 3.0)]);
    let batch: i64 = db
        .query_row(
            "SELECT count(*) FROM metrics WHERE run_id = ?1 AND key = 'batch'",
            [&run],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(batch, 10);
    let nan: Option<f64> = db
        .query_row("SELECT value FROM metrics WHERE run_id = ?1 AND key = 'bad'", [&run], |r| {
            r.get(0)
        })
        .expect("nan");
    assert_eq!(nan, None, "NaN is kept as NULL");
    let mut artifacts: Vec<String> = db
        .prepare("SELECT path FROM artifacts WHERE run_id = ?1 AND kind = 'file' ORDER BY path")
        .expect("sql")
        .query_map([&run], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    artifacts.retain(|a| !a.starts_with("models/"));
    assert_eq!(artifacts, vec!["conf/config.json", "many/x.txt", "many/y.txt", "notes.txt"]);
    let model_files: i64 = db
        .query_row(
            "SELECT count(*) FROM artifacts WHERE run_id = ?1 AND path LIKE 'models/' || ?2 || '/%'",
            [&run, &model],
            |r| r.get(0),
        )
        .expect("count");
    assert!(model_files >= 2, "the model's files are the run's artifacts ({model_files})");
    let (model_run, model_status): (String, String) = db
        .query_row("SELECT run_id, status FROM logged_models WHERE id = ?1", [&model], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("logged model");
    assert_eq!((model_run.as_str(), model_status.as_str()), (run.as_str(), "LOGGED_MODEL_READY"));
    let version: (i64, String) = db
        .query_row("SELECT version, run_id FROM model_versions WHERE name = 'echo'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("model version");
    assert_eq!(version, (1, run.clone()));

    let show = p.mlx(&["exp", "show", &run, "--json"]).success();
    let show: Value = serde_json::from_slice(&show.get_output().stdout).expect("json");
    assert_eq!(show["params"]["lr"], "0.1");
    assert_eq!(show["params"]["epochs"], "3");
    assert_eq!(show["tags"]["team"], "vision");
    assert_eq!(show["metrics"]["big"]["last"], "Infinity");

    // The model registry shows the model registered through MLflow's client, beside git's.
    let list = p.mlx(&["model", "list", "--json"]).success();
    let list: Value = serde_json::from_slice(&list.get_output().stdout).expect("json");
    let echo = &list["models"][0];
    assert_eq!(
        (&echo["name"], &echo["registry"], &echo["latest"], &echo["versions"]),
        (&Value::from("echo"), &Value::from("mlflow"), &Value::from("1"), &Value::from(1)),
        "{list}"
    );
    let listed = p.mlx(&["model", "list"]).success();
    let listed = String::from_utf8_lossy(&listed.get_output().stdout).into_owned();
    assert!(listed.contains("echo") && listed.contains("mlflow"), "{listed}");
    let shown = p.mlx(&["model", "show", "echo", "--json"]).success();
    let shown: Value = serde_json::from_slice(&shown.get_output().stdout).expect("json");
    assert_eq!(shown["registry"], "mlflow");
    let v = &shown["mlflow"]["versions"][0];
    assert_eq!(v["version"], 1);
    assert_eq!(v["run_id"], run.as_str());
    assert_eq!(v["model_id"], model.as_str());
    assert_eq!(v["artifact"]["path"], format!("models/{model}"));
    assert!(v["artifact"]["files"].as_u64().expect("files") >= 2, "{v}");
    let one = p.mlx(&["model", "show", "echo@1", "--json"]).success();
    let one: Value = serde_json::from_slice(&one.get_output().stdout).expect("json");
    assert_eq!(one["mlflow_version"]["version"], 1);
    assert_eq!(one["mlflow_version"]["run"]["id"], run.as_str());
    assert_eq!(one["mlflow_version"]["run"]["params"]["lr"], "0.1");
    let text = p.mlx(&["model", "show", "echo@1"]).success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(text.contains(&format!("models/{model}")) && text.contains(&run), "{text}");
    p.mlx(&["model", "show", "echo@2"]).code(2);
    // Its files come out of the cache as the run's artifacts.
    p.mlx(&["exp", "get", &run, &format!("models/{model}"), "-o", "served"]).success();
    assert!(
        p.root().join("served").join("models").join(&model).join("MLmodel").is_file()
            || p.root().join("served").join("MLmodel").is_file(),
        "the model's files were written out"
    );
}

/// `mlx serve` on a free port; the URL it printed.
struct Serve {
    child: Child,
    addr: String,
}

impl Serve {
    fn start(p: &TestProject) -> Serve {
        let mut child = p
            .mlx_std()
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mlx serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the URL");
        let addr = line.trim().trim_start_matches("http://").to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "printed {line:?}");
        Serve { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One request; the status and the JSON answer.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Value) {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.push_str(&format!("Host: {}\r\n", self.addr));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
        stream.write_all(req.as_bytes()).expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let (status, body) = parse_response(&raw);
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const OUTSIDE: &str = r#"
import mlflow
mlflow.set_experiment("served")
with mlflow.start_run(run_name="first") as run:
    mlflow.log_param("lr", "0.5")
    mlflow.log_metric("acc", 0.7, step=1)
    with mlflow.start_run(nested=True) as child:
        mlflow.log_metric("x", 1)
own = mlflow.start_run(experiment_id="0")
mlflow.log_metric("acc", 0.8)
with mlflow.start_run(nested=True):
    pass
mlflow.end_run(status="FAILED")
client = mlflow.MlflowClient()
assert client.get_run(run.info.run_id).info.status == "FINISHED"
assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == run.info.run_id
found = mlflow.search_runs(experiment_ids=["0"], output_format="list")
print("RUNS", " ".join(sorted(r.info.run_id for r in found)))
print("EXPS", " ".join(sorted({r.info.experiment_id for r in found})))
print("FIRST", run.info.run_id)
print("OWN", own.info.run_id)
"#;

#[test]
fn outside_against_mlx_serve_runs_are_keyed_to_the_commit() {
    let p = TestProject::initialized();
    p.write("log.py", OUTSIDE);
    p.write("data.csv", "a,b\n1,2\n");
    p.mlx(&["add", "data.csv"]).success();
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "log"]);
    let head = p.git(&["rev-parse", "HEAD"]);
    let head = head.trim();
    let serve = Serve::start(&p);
    let out =
        python(&p).env("MLFLOW_TRACKING_URI", serve.url()).arg("log.py").output().expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let field = |name: &str| -> Vec<String> {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let db = p.db();
    let first = &field("FIRST")[0];
    let (commit, dirty, status, name): (String, bool, String, String) = db
        .query_row(
            "SELECT git_commit, git_dirty, status, name FROM runs WHERE id = ?1",
            [first],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the run");
    assert_eq!(
        (commit.as_str(), dirty, status.as_str(), name.as_str()),
        (head, false, "finished", "first")
    );
    // search_runs over the project lists the runs of what `mlx exp list` lists.
    let list = p.mlx(&["exp", "list", "--json"]).success();
    let list: Value = serde_json::from_slice(&list.get_output().stdout).expect("json");
    let mut listed: Vec<String> = list["experiments"]
        .as_array()
        .expect("experiments")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect();
    listed.sort();
    assert_eq!(field("EXPS"), listed);
    assert_eq!(field("RUNS").len(), 4);
    // A run of experiment 0 is an experiment of its own, which follows it, not its nested run.
    let own = &field("OWN")[0];
    let status: String = db
        .query_row("SELECT status FROM experiments WHERE id = (SELECT experiment_id FROM runs WHERE id = ?1)", [own], |r| r.get(0))
        .expect("its experiment");
    assert_eq!(status, "failed");

    // The tracked data it started on is recorded, as `mlx run -- CMD` records it.
    let input: (String, String) = db
        .query_row("SELECT path, kind FROM run_inputs WHERE run_id = ?1", [first], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("its input");
    assert_eq!(input, ("data.csv".to_owned(), "data".to_owned()));

    // Tracked data that differs from its pointer makes dirty runs, as in `mlx run -- CMD`,
    // though git sees no change.
    p.write("data.csv", "a,b\n1,3\n");
    let out =
        python(&p).env("MLFLOW_TRACKING_URI", serve.url()).arg("log.py").output().expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let first = stdout.lines().find_map(|l| l.strip_prefix("FIRST ")).expect("id");
    let dirty: bool = db
        .query_row("SELECT git_dirty FROM runs WHERE id = ?1", [first], |r| r.get(0))
        .expect("run");
    assert!(dirty, "modified tracked data makes the run dirty");
    p.write("data.csv", "a,b\n1,2\n");

    // A dirty work tree makes dirty runs.
    p.write("log.py", format!("{OUTSIDE}\n# changed\n"));
    let out =
        python(&p).env("MLFLOW_TRACKING_URI", serve.url()).arg("log.py").output().expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let first = stdout.lines().find_map(|l| l.strip_prefix("FIRST ")).expect("id");
    let dirty: bool = db
        .query_row("SELECT git_dirty FROM runs WHERE id = ?1", [first], |r| r.get(0))
        .expect("run");
    assert!(dirty);
}

#[test]
fn bad_input_is_refused_as_mlflow_refuses_it() {
    let p = TestProject::initialized();
    let serve = Serve::start(&p);
    let api = "/api/2.0/mlflow";
    let (status, created) =
        serve.request("POST", &format!("{api}/runs/create"), &[], r#"{"experiment_id": "0"}"#);
    assert_eq!(status, 200, "{created}");
    let run = created["run"]["info"]["run_id"].as_str().expect("run id").to_owned();

    // Over the batch limit: 1,001 metrics.
    let metrics: Vec<String> = (0..1001)
        .map(|i| format!(r#"{{"key":"m","value":{i},"timestamp":1,"step":{i}}}"#))
        .collect();
    let body = format!(r#"{{"run_id":"{run}","metrics":[{}]}}"#, metrics.join(","));
    let (status, e) = serve.request("POST", &format!("{api}/runs/log-batch"), &[], &body);
    assert_eq!((status, e["error_code"].as_str()), (400, Some("INVALID_PARAMETER_VALUE")), "{e}");
    assert!(e["message"].as_str().expect("message").contains("at most 1000 metrics"), "{e}");
    let n: i64 = p.db().query_row("SELECT count(*) FROM metrics", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 0, "nothing of a refused batch is written");
    // A param value over 6,000 characters.
    let long = "x".repeat(6001);
    let (status, e) = serve.request(
        "POST",
        &format!("{api}/runs/log-parameter"),
        &[],
        &format!(r#"{{"run_id":"{run}","key":"p","value":"{long}"}}"#),
    );
    assert_eq!((status, e["error_code"].as_str()), (400, Some("INVALID_PARAMETER_VALUE")));

    // NaN and infinities are accepted, as MLflow 3 accepts them, and read back as such.
    let body = format!(
        r#"{{"run_id":"{run}","metrics":[{{"key":"n","value":NaN,"timestamp":1,"step":0}},{{"key":"i","value":-Infinity,"timestamp":1,"step":0}}]}}"#
    );
    let (status, e) = serve.request("POST", &format!("{api}/runs/log-batch"), &[], &body);
    assert_eq!(status, 200, "{e}");
    let (_, got) = serve.request("GET", &format!("{api}/runs/get?run_id={run}"), &[], "");
    let metrics = got["run"]["data"]["metrics"].as_array().expect("metrics").clone();
    let value = |k: &str| metrics.iter().find(|m| m["key"] == k).map(|m| m["value"].clone());
    assert_eq!(value("n"), Some(Value::from("NaN")));
    assert_eq!(value("i"), Some(Value::from("-Infinity")));

    // A param logged twice: the same value is fine, another one is MLflow's error.
    let param = |v: &str| format!(r#"{{"run_id":"{run}","key":"lr","value":"{v}"}}"#);
    assert_eq!(
        serve.request("POST", &format!("{api}/runs/log-parameter"), &[], &param("0.1")).0,
        200
    );
    assert_eq!(
        serve.request("POST", &format!("{api}/runs/log-parameter"), &[], &param("0.1")).0,
        200
    );
    let (status, e) =
        serve.request("POST", &format!("{api}/runs/log-parameter"), &[], &param("0.2"));
    assert_eq!((status, e["error_code"].as_str()), (400, Some("INVALID_PARAMETER_VALUE")));
    assert!(
        e["message"].as_str().expect("message").contains("Changing param values is not allowed")
    );

    // An unknown run.
    let (status, e) = serve.request("GET", &format!("{api}/runs/get?run_id=nosuchrun"), &[], "");
    assert_eq!((status, e["error_code"].as_str()), (404, Some("RESOURCE_DOES_NOT_EXIST")));
    let (status, _) = serve.request(
        "POST",
        &format!("{api}/runs/log-metric"),
        &[],
        r#"{"run_id":"nosuchrun","key":"m","value":1,"timestamp":1}"#,
    );
    assert_eq!(status, 404);
    // A malformed body.
    let (status, e) = serve.request("POST", &format!("{api}/runs/log-batch"), &[], "{not json");
    assert_eq!((status, e["error_code"].as_str()), (400, Some("INVALID_PARAMETER_VALUE")));
    // What mlx does not implement.
    let (status, e) = serve.request("POST", &format!("{api}/experiments/update"), &[], "{}");
    assert_eq!((status, e["error_code"].as_str()), (404, Some("ENDPOINT_NOT_FOUND")));
    assert!(e["message"].as_str().expect("message").starts_with("mlx does not implement"));
    // Browsers' cross-origin requests and other hosts (DNS rebinding) are refused.
    let (status, _) = serve.request(
        "POST",
        &format!("{api}/runs/set-tag"),
        &[("Origin", "http://evil.example")],
        &format!(r#"{{"run_id":"{run}","key":"t","value":"v"}}"#),
    );
    assert_eq!(status, 403);
    let (status, _) = serve.request(
        "GET",
        &format!("{api}/runs/get?run_id={run}"),
        &[("Host", "evil.example")],
        "",
    );
    assert_eq!(status, 403);
    let tags: i64 = p
        .db()
        .query_row("SELECT count(*) FROM tags WHERE key = 't'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tags, 0);
}

#[test]
fn a_stage_logs_into_its_run() {
    let p = TestProject::initialized();
    p.write(
        "train.py",
        "import mlflow\nwith mlflow.start_run():\n    mlflow.log_param('depth', 4)\n    \
         mlflow.log_metric('auc', 0.75, step=3)\n",
    );
    p.write("mlx.toml", "[stages.train]\ncmd = \"python train.py\"\ndeps = [\"train.py\"]\n");
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "stage"]);
    let out = p
        .mlx_cmd()
        .env("PATH", mlflow::path())
        .env("MLFLOW_DISABLE_TELEMETRY", "true")
        .args(["run"])
        .output()
        .expect("mlx run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (depth, auc, step): (String, f64, i64) = p
        .db()
        .query_row(
            "SELECT p.value, m.value, m.step FROM runs r JOIN params p ON p.run_id = r.id
             JOIN metrics m ON m.run_id = r.id WHERE r.stage = 'train' AND p.key = 'depth'
             AND m.key = 'auc'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the stage's run");
    assert_eq!((depth.as_str(), auc, step), ("4", 0.75, 3));
}

const MODELS: &str = r#"
import mlflow, mlflow.pyfunc

class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input

with mlflow.start_run() as run:
    with mlflow.start_run(nested=True, run_name="child") as child:
        mlflow.log_metric("x", 1)
    info = mlflow.pyfunc.log_model(name="model", python_model=Echo(), registered_model_name="echo")
    mlflow.register_model(info.model_uri, "echo")
print("CHILD", child.info.run_id)
"#;

#[test]
fn nested_runs_and_models_travel_with_the_run_records() {
    let (p, _store) = crate::remotes::project_with_remote();
    p.write("models.py", MODELS);
    p.commit_all("models");
    let out = p
        .mlx_cmd()
        .env("PATH", mlflow::path())
        .args(["run", "--", "python", "models.py"])
        .output()
        .expect("mlx run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let child = stdout.lines().find_map(|l| l.strip_prefix("CHILD ")).expect("child id").to_owned();
    let shown = |dir: &std::path::Path| -> Value {
        let out = p.mlx_in(dir, &["model", "show", "echo", "--json"]).success();
        serde_json::from_slice(&out.get_output().stdout).expect("json")
    };
    let here = shown(p.root());
    assert_eq!(here["mlflow"]["versions"].as_array().map(Vec::len), Some(2), "{here}");
    p.mlx(&["push", "-q", "--runs"]).success();

    let clone = crate::remotes::clone_of(&p, "other");
    p.mlx_in(&clone, &["fetch", "-q", "--runs"]).success();
    let there = shown(&clone);
    assert_eq!(there["mlflow"]["versions"], here["mlflow"]["versions"], "{there}");
    assert_eq!(there["registry"], "mlflow");
    let db = rusqlite::Connection::open(clone.join(".mlx/mlx.db")).expect("the clone's database");
    let (parent, origin_parent): (String, String) = (
        db.query_row("SELECT parent_id FROM runs WHERE id = ?1", [&child], |r| r.get(0))
            .expect("the nested run"),
        p.db()
            .query_row("SELECT parent_id FROM runs WHERE id = ?1", [&child], |r| r.get(0))
            .expect("the nested run"),
    );
    assert_eq!(parent, origin_parent);
    let logged: i64 =
        db.query_row("SELECT count(*) FROM logged_models", [], |r| r.get(0)).expect("count");
    assert_eq!(logged, 1);
    // Fetching again adds nothing.
    p.mlx_in(&clone, &["fetch", "-q", "--runs"]).success();
    assert_eq!(shown(&clone)["mlflow"]["versions"], here["mlflow"]["versions"]);
}

const DELETE: &str = r#"
import sys
import mlflow
from mlflow.entities import ViewType
client = mlflow.MlflowClient()
if sys.argv[1] == "delete":
    with mlflow.start_run(experiment_id="0") as kept:
        mlflow.log_metric("a", 1)
    with mlflow.start_run(experiment_id="0") as gone:
        mlflow.log_metric("a", 2)
    client.delete_run(gone.info.run_id)
    assert client.get_run(gone.info.run_id).info.lifecycle_stage == "deleted"
    ids = lambda **kw: {r.info.run_id for r in client.search_runs(["0"], **kw)}
    assert gone.info.run_id not in ids() and kept.info.run_id in ids()
    assert ids(run_view_type=ViewType.DELETED_ONLY) == {gone.info.run_id}
    assert {kept.info.run_id, gone.info.run_id} <= ids(run_view_type=ViewType.ALL)
    e = client.create_experiment("trash")
    client.delete_experiment(e)
    assert client.get_experiment(e).lifecycle_stage == "deleted"
    assert e not in [x.experiment_id for x in client.search_experiments()]
    assert [x.experiment_id for x in client.search_experiments(view_type=ViewType.DELETED_ONLY)] == [e]
    try:
        client.create_run(e)
        raise SystemExit("a run was created in a deleted experiment")
    except mlflow.exceptions.MlflowException as err:
        assert "active" in str(err), err
    print("KEPT", kept.info.run_id)
    print("GONE", gone.info.run_id)
    print("EXP", e)
else:
    client.restore_run(sys.argv[2])
    client.restore_experiment(sys.argv[3])
    assert client.get_run(sys.argv[2]).info.lifecycle_stage == "active"
    assert client.get_experiment(sys.argv[3]).lifecycle_stage == "active"
"#;

#[test]
fn deleted_runs_and_experiments_are_hidden_until_restored() {
    let p = TestProject::initialized();
    p.write("delete.py", DELETE);
    p.commit_all("delete");
    let serve = Serve::start(&p);
    let out = python(&p)
        .env("MLFLOW_TRACKING_URI", serve.url())
        .args(["delete.py", "delete"])
        .output()
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let field = |name: &str| -> String {
        stdout.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).expect(name).to_owned()
    };
    let (kept, gone, trash) = (field("KEPT"), field("GONE"), field("EXP"));
    let listed = |p: &TestProject| -> Vec<String> {
        let out = p.mlx(&["exp", "list", "--json"]).success();
        let list: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
        list["experiments"]
            .as_array()
            .expect("experiments")
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let shown = listed(&p);
    assert!(shown.contains(&kept), "{shown:?}");
    assert!(!shown.contains(&gone) && !shown.contains(&trash), "{shown:?}");
    let stages = p.mlx(&["exp", "list", "--stages", "--json"]).success();
    let stages = String::from_utf8_lossy(&stages.get_output().stdout).into_owned();
    assert!(stages.contains(&kept) && !stages.contains(&gone), "{stages}");
    // Kept in the database, marked, until restored.
    let deleted: Option<String> = p
        .db()
        .query_row("SELECT deleted_at FROM runs WHERE id = ?1", [&gone], |r| r.get(0))
        .expect("the deleted run is kept");
    assert!(deleted.is_some());

    let out = python(&p)
        .env("MLFLOW_TRACKING_URI", serve.url())
        .args(["delete.py", "restore", &gone, &trash])
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = listed(&p);
    assert!(shown.contains(&gone) && shown.contains(&trash), "{shown:?}");
}

const ALIASES: &str = r#"
import mlflow, mlflow.pyfunc
from mlflow.exceptions import MlflowException

class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input

client = mlflow.MlflowClient()
e = mlflow.set_experiment("tagged")
client.set_experiment_tag(e.experiment_id, "team", "vision")
mlflow.set_experiment_tag("stage", "dev")
assert client.get_experiment(e.experiment_id).tags == {"team": "vision", "stage": "dev"}
if hasattr(client, "delete_experiment_tag"):
    client.delete_experiment_tag(e.experiment_id, "stage")
    assert client.get_experiment(e.experiment_id).tags == {"team": "vision"}
with mlflow.start_run():
    mlflow.pyfunc.log_model(name="m", python_model=Echo(), registered_model_name="echo")
    mlflow.pyfunc.log_model(name="m2", python_model=Echo(), registered_model_name="echo")
client.set_registered_model_alias("echo", "champion", "1")
assert client.get_model_version_by_alias("echo", "champion").version == "1"
client.set_registered_model_alias("echo", "champion", "2")
client.set_registered_model_alias("echo", "shadow", "1")
assert client.get_model_version_by_alias("echo", "champion").version == "2"
assert client.get_registered_model("echo").aliases == {"champion": "2", "shadow": "1"}
assert client.get_model_version("echo", "2").aliases == ["champion"]
model = mlflow.pyfunc.load_model("models:/echo@champion")
assert list(model.predict([3])) == [3]
for bad in ("latest", "v2"):
    try:
        client.set_registered_model_alias("echo", bad, "1")
        raise SystemExit("alias " + bad + " was taken")
    except MlflowException as err:
        assert err.error_code == "INVALID_PARAMETER_VALUE", err
client.delete_registered_model_alias("echo", "shadow")
try:
    client.get_model_version_by_alias("echo", "shadow")
    raise SystemExit("the alias was kept")
except MlflowException as err:
    assert err.error_code == "RESOURCE_DOES_NOT_EXIST", err

import numpy as np
ds = mlflow.data.from_numpy(np.arange(6).reshape(3, 2), source="data/train.npy", name="train")
with mlflow.start_run() as r:
    mlflow.log_input(ds, context="training")
    mlflow.log_input(ds, context="training")
got = client.get_run(r.info.run_id).inputs.dataset_inputs
assert [(d.dataset.name, d.dataset.digest) for d in got] == [("train", ds.digest)], got
assert {t.key: t.value for t in got[0].tags}["mlflow.data.context"] == "training", got
print("DATASET_RUN", r.info.run_id)
"#;

#[test]
fn model_aliases_experiment_tags_and_datasets() {
    let p = TestProject::initialized();
    p.write("aliases.py", ALIASES);
    p.commit_all("aliases");
    let serve = Serve::start(&p);
    let out = python(&p)
        .env("MLFLOW_TRACKING_URI", serve.url())
        .arg("aliases.py")
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tags: Vec<(String, String)> = p
        .db()
        .prepare("SELECT key, value FROM experiment_tags ORDER BY key")
        .expect("sql")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(tags.contains(&("team".to_owned(), "vision".to_owned())), "{tags:?}");
    let shown = p.mlx(&["model", "show", "echo", "--json"]).success();
    let shown: Value = serde_json::from_slice(&shown.get_output().stdout).expect("json");
    assert_eq!(shown["mlflow"]["versions"][0]["version"], 2);
    assert_eq!(shown["mlflow"]["versions"][0]["aliases"], serde_json::json!(["champion"]));
    assert_eq!(shown["mlflow"]["versions"][1]["aliases"], serde_json::json!([]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let run = stdout.lines().find_map(|l| l.strip_prefix("DATASET_RUN ")).expect("run id");
    let (name, source_type): (String, String) = p
        .db()
        .query_row("SELECT name, source_type FROM run_datasets WHERE run_id = ?1", [run], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("one dataset, logged twice");
    assert_eq!(name, "train");
    assert!(!source_type.is_empty());
}
