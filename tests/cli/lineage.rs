//! `mlx lineage`: walking back from a file through the stages, runs, data and code that made
//! it, at the workspace or at an older commit.

use crate::support::{TestProject, stdout};

/// Tracked data `data/raw.csv` → prepare → featurize → train (with a param and a tool),
/// committed, then run again at another lr and committed; returns the first commit.
fn three_stages() -> (TestProject, String) {
    let p = TestProject::initialized();
    p.write("data/raw.csv", "x\n1\n2\n");
    p.mlx(&["add", "-q", "data/raw.csv"]).success();
    p.write("params.toml", "lr = 0.1\n");
    p.write("train.sh", "cat features.csv > model.txt && echo lr >> model.txt\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.prepare]\ncmd = \"cp data/raw.csv prepared.csv\"\ndeps = [\"data/raw.csv\"]\nouts = [\"prepared.csv\"]\n\n\
             [stages.featurize]\ncmd = \"sort prepared.csv > features.csv\"\ndeps = [\"prepared.csv\"]\nouts = [\"features.csv\"]\n\n\
             [stages.train]\ncmd = \"sh train.sh && echo ${{lr}} >> model.txt\"\ndeps = [\"features.csv\", \"train.sh\"]\nparams = [\"lr\"]\ntools = [\"python3\"]\nouts = [\"model.txt\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.mlx(&["run", "-q"]).success();
    let first = p.commit_all("lr 0.1");
    p.write("params.toml", "lr = 0.2\n");
    p.mlx(&["run", "-q"]).success();
    p.commit_all("lr 0.2");
    (p, first)
}

fn node<'a>(l: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    l["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["path"] == path)
        .unwrap_or_else(|| panic!("{path}: {l:#}"))
}

fn children(l: &serde_json::Value, id: u64) -> Vec<String> {
    let mut out: Vec<String> = l["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["from"] == id)
        .map(|e| {
            let to = e["to"].as_u64().unwrap() as usize;
            l["nodes"][to]["path"].as_str().unwrap().to_owned()
        })
        .collect();
    out.sort();
    out
}

fn locked_hash(lock: &str, stage: &str, path: &str) -> String {
    let lock: toml::Table = toml::from_str(lock).unwrap();
    let stage = &lock["stages"][stage];
    for kind in ["outs", "deps"] {
        for e in stage.get(kind).and_then(|v| v.as_array()).into_iter().flatten() {
            if e["path"].as_str() == Some(path) {
                return e["hash"].as_str().unwrap().to_owned();
            }
        }
    }
    panic!("{path} not in {stage:?}")
}

#[test]
fn a_model_is_walked_back_to_its_data_and_code_at_any_commit() {
    let (p, first) = three_stages();
    let l = p.json(&["lineage", "model.txt"]);
    let root = &l["nodes"][l["root"].as_u64().unwrap() as usize];
    assert_eq!(root["path"], "model.txt");
    assert_eq!(root["kind"], "output");
    assert_eq!(root["stage"]["name"], "train");
    assert_eq!(root["stage"]["params"]["lr"], 0.2);
    assert!(root["stage"]["tools"]["python3"].as_str().unwrap().starts_with("Python 3"));
    let lock = p.read_string("mlx.lock");
    assert_eq!(root["hash"], locked_hash(&lock, "train", "model.txt").as_str());
    // The run that produced this content, with where it ran.
    let run = &root["run"];
    assert_eq!(run["status"], "finished");
    assert_eq!(run["commit"].as_str().unwrap(), first.as_str(), "ran on the first commit's tree");
    assert!(run["environment"]["os"].is_string(), "{run:#}");
    let shown = p.json(&["exp", "show", run["id"].as_str().unwrap()]);
    let made: Vec<&serde_json::Value> = shown["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["path"] == "model.txt")
        .collect();
    assert_eq!(made.len(), 1, "{shown:#}");
    assert_eq!(made[0]["hash"], root["hash"], "{shown:#}");

    assert_eq!(children(&l, root["id"].as_u64().unwrap()), ["features.csv", "train.sh"]);
    let features = node(&l, "features.csv");
    assert_eq!(features["stage"]["name"], "featurize");
    assert_eq!(children(&l, features["id"].as_u64().unwrap()), ["prepared.csv"]);
    let prepared = node(&l, "prepared.csv");
    assert_eq!(children(&l, prepared["id"].as_u64().unwrap()), ["data/raw.csv"]);
    let raw = node(&l, "data/raw.csv");
    assert_eq!(raw["kind"], "data");
    assert_eq!(raw["hash"], p.pointer_hash("data/raw.csv").as_str());
    assert_eq!(node(&l, "train.sh")["kind"], "file");
    assert_eq!(node(&l, "train.sh")["hash"], locked_hash(&lock, "train", "train.sh").as_str());

    // At the first commit: its lock's param and the run that made that model.
    let old = p.json(&["lineage", "model.txt", "--rev", &first]);
    assert_eq!(old["commit"], first.as_str());
    let old_root = &old["nodes"][old["root"].as_u64().unwrap() as usize];
    assert_eq!(old_root["stage"]["params"]["lr"], 0.1);
    assert_ne!(old_root["hash"], root["hash"]);
    assert_ne!(old_root["run"]["id"], root["run"]["id"]);

    // As a tree, and as graphs.
    let tree = stdout(&p.mlx(&["lineage", "model.txt"]).success());
    assert!(tree.starts_with("model.txt  "), "{tree}");
    assert!(tree.contains("← stage train") && tree.contains("params: lr=0.2"), "{tree}");
    assert!(tree.contains("└── data/raw.csv") && tree.contains("data"), "{tree}");
    let mermaid = stdout(&p.mlx(&["lineage", "model.txt", "--format", "mermaid"]).success());
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    assert_eq!(mermaid.matches(" --> ").count(), 4, "{mermaid}");
    let dot = stdout(&p.mlx(&["lineage", "model.txt", "--format", "dot"]).success());
    assert!(dot.starts_with("digraph lineage {") && dot.matches(" -> ").count() == 4, "{dot}");
}

#[test]
fn a_command_run_is_walked_back_from_what_it_read() {
    let p = TestProject::initialized();
    p.write("data/raw.csv", "x\n");
    p.mlx(&["add", "-q", "data/raw.csv"]).success();
    p.commit_all("data");
    p.mlx(&["run", "-q", "--name", "look", "--", "cat", "data/raw.csv"]).success();
    let l = p.json(&["lineage", "look"]);
    let root = &l["nodes"][l["root"].as_u64().unwrap() as usize];
    assert_eq!(root["kind"], "run");
    assert_eq!(root["run"]["status"], "finished");
    assert_eq!(children(&l, root["id"].as_u64().unwrap()), ["data/raw.csv"]);
    assert_eq!(node(&l, "data/raw.csv")["kind"], "data");

    // A pipeline experiment is not one thing to walk back from.
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.s]\ncmd = \"echo > o.txt\"\nouts = [\"o.txt\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.commit_all("pipeline");
    p.mlx(&["exp", "run", "-q", "--name", "piped"]).success();
    let a = p.mlx(&["lineage", "piped"]).code(2);
    assert!(
        crate::support::stderr(&a).contains("pipeline experiment"),
        "{}",
        crate::support::stderr(&a)
    );
}

/// A model version is walked back at the commit it was registered on.
#[test]
fn a_model_version_is_walked_back_at_its_commit() {
    let (p, first) = three_stages();
    p.mlx(&["model", "register", "churn", "model.txt", "--version", "1.0.0", "--rev", &first])
        .success();
    let l = p.json(&["lineage", "churn@v1.0.0"]);
    assert_eq!(l["commit"], first.as_str());
    let root = &l["nodes"][l["root"].as_u64().unwrap() as usize];
    assert_eq!(root["path"], "model.txt");
    assert_eq!(root["stage"]["params"]["lr"], 0.1, "the version's own lock, not HEAD's");
    assert_eq!(node(&l, "data/raw.csv")["kind"], "data");
}

#[test]
fn lineage_model_show_and_attest_name_the_same_run_the_newest_that_made_the_content() {
    let (p, _) = three_stages();
    // Forced to run again, the stage makes the same bytes: two finished runs hold that hash.
    let before = p.read("model.txt");
    p.mlx(&["run", "-q", "--force", "train"]).success();
    assert_eq!(p.read("model.txt"), before);
    let newest: String = p
        .db()
        .query_row(
            "SELECT id FROM runs WHERE stage = 'train' AND status = 'finished'
             ORDER BY start_time DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let runs: i64 = p
        .db()
        .query_row(
            "SELECT count(*) FROM runs r JOIN artifacts a ON a.run_id = r.id
             WHERE r.stage = 'train' AND a.path = 'model.txt' AND a.hash = ?1",
            [locked_hash(&p.read_string("mlx.lock"), "train", "model.txt")],
            |r| r.get(0),
        )
        .unwrap();
    assert!(runs >= 2, "{runs}");
    let l = p.json(&["lineage", "model.txt"]);
    assert_eq!(node(&l, "model.txt")["run"]["id"], newest.as_str());
    p.commit_all("ran again");
    p.mlx(&["model", "register", "m", "model.txt"]).success();
    let shown = p.json(&["model", "show", "m@v0.0.1"]);
    assert_eq!(shown["version"]["run"]["id"], newest.as_str(), "{shown:#}");
    let attested = p.json(&["attest", "model.txt", "-o", "m.json"]);
    assert_eq!(attested["run"], newest.as_str());
}
