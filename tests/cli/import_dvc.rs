//! `mlx import dvc` on projects made by the real DVC: data added with `dvc add`, a three-stage
//! pipeline with params run by `dvc repro`, a folder remote filled by `dvc push`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::dvc::run_dvc;
use crate::support::{TestProject, stderr, stdout};

const DVC_YAML: &str = r#"stages:
  prepare:
    cmd: mkdir -p prepared && cp data/raw.txt prepared/raw.txt && echo ${prepare.split} > prepared/split.txt
    deps:
    - data/raw.txt
    outs:
    - prepared
  featurize:
    cmd: cat prepared/raw.txt prepared/split.txt > features.txt
    deps:
    - prepared
    params:
    - featurize.n
    outs:
    - features.txt
  train:
    cmd: cat features.txt data/images/a.txt > model.txt && echo acc = 0.9 > eval.toml
    deps:
    - features.txt
    - data/images
    params:
    - train.lr
    outs:
    - model.txt
    metrics:
    - eval.toml:
        cache: false
"#;

const PARAMS: &str = "prepare:\n  split: 0.2\nfeaturize:\n  n: 3\ntrain:\n  lr: 0.1\n";

/// A DVC project (data added, pipeline reproduced, everything pushed to a folder remote),
/// committed, then `mlx init`. Returns the project and the remote's folder.
fn dvc_project() -> (TestProject, PathBuf) {
    let p = TestProject::new();
    let root = p.root().to_path_buf();
    run_dvc(&root, &["init", "-q"]);
    p.write("data/raw.txt", "hello\n");
    p.write("data/images/a.txt", "image a\n");
    p.write("data/images/b.txt", "image b\n");
    p.write("params.yaml", PARAMS);
    p.write("dvc.yaml", DVC_YAML);
    run_dvc(&root, &["add", "-q", "data/raw.txt", "data/images"]);
    run_dvc(&root, &["repro", "-q"]);
    let store = p.temp_dir().join("dvc-store");
    run_dvc(&root, &["remote", "add", "-d", "store", store.to_str().unwrap()]);
    run_dvc(&root, &["push", "-q"]);
    p.commit_all("a DVC project");
    p.mlx(&["init"]).success();
    (p, store)
}

/// The work tree's files and folders, outside `.git`, `.mlx` and DVC's temp folder.
fn tree(root: &Path) -> std::collections::BTreeMap<PathBuf, (String, Vec<u8>, u32)> {
    let mut all = crate::support::tree(root);
    all.retain(|path, _| {
        !(path.starts_with(".git") || path.starts_with(".mlx") || path.starts_with(".dvc/tmp"))
    });
    all
}

/// `dvc` run in `dir`; its stdout and stderr together, whatever its exit status.
fn dvc_output(dir: &Path, args: &[&str]) -> String {
    let out = crate::support::dvc::dvc(dir).args(args).output().expect("dvc runs");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn import_json(p: &TestProject) -> serde_json::Value {
    let a = p.mlx(&["import", "dvc", "--json"]).success();
    serde_json::from_str(&stdout(&a)).expect("JSON report")
}

/// The stages `mlx status` says `mlx run` would run.
fn mlx_stale(p: &TestProject) -> BTreeSet<String> {
    let v = p.json(&["status"]);
    v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn import_converts_pipeline_data_lock_and_remote() {
    let (p, store) = dvc_project();
    let report = import_json(&p);
    assert_eq!(report["not_converted"], serde_json::json!([]), "{report:#}");
    let data: Vec<&str> =
        report["data"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(data, ["data/images", "data/raw.txt"]);
    assert_eq!(report["stages"], serde_json::json!(["prepare", "featurize", "train"]));
    for s in report["locked_stages"].as_array().unwrap() {
        assert_eq!(s["differences"], serde_json::json!([]), "{s}");
    }
    assert_eq!(report["remotes"][0]["name"], "store");
    assert_eq!(report["remotes"][0]["default"], true);

    // mlx.toml says what dvc.yaml says, templating kept.
    let toml = p.read_string("mlx.toml");
    assert!(toml.contains("echo ${prepare.split} > prepared/split.txt"), "{toml}");
    assert!(toml.contains(r#"metrics = [{ path = "eval.toml", cache = false }]"#), "{toml}");
    assert!(toml.contains("[remotes.store]"), "{toml}");
    // What `mlx init` wrote under [core] stays there.
    assert!(toml.contains("[core]\n# Seconds a command waits"), "{toml}");
    assert!(!toml.trim_end().ends_with("# lock_timeout = 120"), "{toml}");
    assert!(toml.contains(&format!("url = {:?}", store.to_str().unwrap())), "{toml}");
    // The pointers keep DVC's MD5 for fetching from the DVC remote.
    let pointer = p.pointer("data/images");
    assert!(pointer["dvc_md5"].as_str().unwrap().ends_with(".dir"), "{pointer:?}");
    assert_eq!(p.pointer_hash("data/raw.txt"), crate::support::hash_hex(b"hello\n"));
    assert!(p.has_object(&crate::support::hash_hex(b"hello\n")));
    // DVC's files stay.
    for f in ["dvc.yaml", "dvc.lock", "data/raw.txt.dvc", "data/images.dvc", ".dvc/config"] {
        assert!(p.exists(f), "{f}");
    }

    // Clean for mlx as for DVC; `mlx run` runs nothing.
    assert!(dvc_output(p.root(), &["status"]).contains("up to date"));
    p.mlx(&["status", "--check"]).success();
    let run = p.mlx(&["run"]).success();
    let out = format!("{}{}", stdout(&run), stderr(&run));
    for stage in ["prepare", "featurize", "train"] {
        assert!(out.contains(&format!("{stage}: up to date")), "{out}");
    }

    // Twice changes nothing.
    p.commit_all("imported");
    let before = tree(p.root());
    let again = p.mlx(&["import", "dvc"]).success();
    assert!(stderr(&again).contains("nothing to write"), "{}", stderr(&again));
    assert_eq!(tree(p.root()), before);
    assert_eq!(p.git_status(), "");
}

#[test]
fn dry_run_writes_nothing() {
    let (p, _) = dvc_project();
    let before = tree(p.root());
    let cache_before = p.objects();
    let a = p.mlx(&["import", "dvc", "--dry-run"]).success();
    assert!(stderr(&a).contains("would write"), "{}", stderr(&a));
    assert!(stdout(&a).contains("data/raw.txt"), "{}", stdout(&a));
    assert_eq!(tree(p.root()), before);
    assert_eq!(p.objects(), cache_before);
}

#[test]
fn fresh_clone_fetches_from_the_dvc_remote_through_the_md5_index() {
    let (p, store) = dvc_project();
    import_json(&p);
    p.commit_all("imported");
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    p.mlx_in(&clone, &["fetch"]).success();
    p.mlx_in(&clone, &["checkout"]).success();
    for f in [
        "data/raw.txt",
        "data/images/a.txt",
        "data/images/b.txt",
        "prepared/split.txt",
        "model.txt",
        "features.txt",
    ] {
        assert_eq!(std::fs::read(clone.join(f)).unwrap(), p.read(f), "{f}");
    }
    p.mlx_in(&clone, &["status", "--check"]).success();
    // Nothing was uploaded in mlx's layout: the DVC remote served it as it is.
    let shards: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(shards, ["files"], "{shards:?}");
}

#[test]
fn changed_param_reruns_what_dvc_repro_would() {
    let (p, _) = dvc_project();
    import_json(&p);
    p.commit_all("imported");
    assert!(mlx_stale(&p).is_empty());
    let scenarios = [
        ("n: 3", "n: 4", vec!["featurize"]),
        ("split: 0.2", "split: 0.3", vec!["prepare", "featurize", "train"]),
    ];
    for (i, (from, to, expected)) in scenarios.into_iter().enumerate() {
        // Two copies of the imported project: DVC reproduces one, mlx runs the other.
        let copy = |who: &str| {
            let dir = p.temp_dir().join(format!("{who}-{i}"));
            let ok = std::process::Command::new("cp")
                .args(["-a", p.root().to_str().unwrap(), dir.to_str().unwrap()])
                .status()
                .unwrap()
                .success();
            assert!(ok);
            std::fs::write(dir.join("params.yaml"), PARAMS.replace(from, to)).unwrap();
            dir
        };
        let (dvc_dir, mlx_dir) = (copy("dvc"), copy("mlx"));
        let dvc_ran: BTreeSet<String> = dvc_output(&dvc_dir, &["repro"])
            .lines()
            .filter_map(|l| {
                l.strip_prefix("Running stage '")?.strip_suffix("':").map(str::to_owned)
            })
            .collect();
        let run = p.mlx_in(&mlx_dir, &["run", "--json"]).success();
        let v: serde_json::Value = serde_json::from_str(&stdout(&run)).unwrap();
        let mlx_ran: BTreeSet<String> = v["stages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["outcome"] == "ran")
            .map(|s| s["stage"].as_str().unwrap().to_owned())
            .collect();
        let expected: BTreeSet<String> = expected.into_iter().map(str::to_owned).collect();
        assert_eq!(dvc_ran, expected, "{from} -> {to}");
        assert_eq!(mlx_ran, dvc_ran, "{from} -> {to}");
        for f in ["prepared/split.txt", "features.txt", "model.txt"] {
            assert_eq!(
                std::fs::read(dvc_dir.join(f)).unwrap(),
                std::fs::read(mlx_dir.join(f)).unwrap(),
                "{f}"
            );
        }
    }
}

#[test]
fn inexpressible_dvc_yaml_is_named_in_the_report() {
    let (p, _) = dvc_project();
    let yaml = DVC_YAML.replace("  featurize:\n", "  featurize:\n    frozen: true\n")
        + "artifacts:\n  model:\n    path: model.txt\n    type: model\n";
    p.write("dvc.yaml", yaml);
    let a = p.mlx(&["import", "dvc"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("not converted: artifacts:"), "{err}");
    // A frozen stage stays frozen.
    assert!(!err.contains("frozen"), "{err}");
    let toml = p.read_string("mlx.toml");
    let featurize = &toml[toml.find("[stages.featurize]").unwrap()..];
    let featurize = &featurize[..featurize[1..].find("\n[").map_or(featurize.len(), |i| i + 1)];
    assert!(featurize.contains("frozen = true"), "{toml}");
    // The rest is converted.
    assert!(p.read_string("mlx.toml").contains("[stages.featurize]"));
    assert!(p.exists("data/raw.txt.mlx"));
}

#[test]
fn corrupt_dvc_cache_object_is_reported_not_imported() {
    let (p, _) = dvc_project();
    let md5 = "b1946ac92492d2347c6235b4d2611184"; // "hello\n"
    let object = p.path(format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..]));
    p.set_mode(&object, 0o644);
    std::fs::write(&object, "jello\n").unwrap();
    let a = p.mlx(&["import", "dvc"]).code(1);
    let err = stderr(&a);
    assert!(err.contains(&format!("DVC cache object {md5} is corrupt")), "{err}");
    assert!(!p.exists("data/raw.txt.mlx"));
    assert!(!p.has_object(&crate::support::hash_hex(b"jello\n")));
    // The other data still came over.
    assert!(p.exists("data/images.mlx"));
}

#[test]
fn object_missing_locally_and_on_the_remote_is_reported() {
    let (p, store) = dvc_project();
    let md5 = "b1946ac92492d2347c6235b4d2611184"; // data/raw.txt, also prepared/raw.txt
    for base in [p.path(".dvc/cache"), store.clone()] {
        let object = base.join(format!("files/md5/{}/{}", &md5[..2], &md5[2..]));
        std::fs::remove_file(object).unwrap();
    }
    std::fs::remove_file(p.path("data/raw.txt")).unwrap();
    let a = p.mlx(&["import", "dvc"]).code(1);
    let err = stderr(&a);
    assert!(
        err.contains(&format!("object {md5} is neither in the DVC cache nor in the work tree")),
        "{err}"
    );
    assert!(!p.exists("data/raw.txt.mlx"));
}

#[test]
fn object_missing_on_the_dvc_remote_is_reported_by_fetch() {
    let (p, store) = dvc_project();
    import_json(&p);
    p.commit_all("imported");
    let md5 = "b1946ac92492d2347c6235b4d2611184";
    std::fs::remove_file(store.join(format!("files/md5/{}/{}", &md5[..2], &md5[2..]))).unwrap();
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    let a = p.mlx_in(&clone, &["fetch", "--json"]);
    let out = a.get_output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // The file, and the folder `prepared` holding the same content.
    let missing = v["missing_on_remote"].as_array().unwrap();
    assert!(missing.contains(&serde_json::json!(crate::support::hash_hex(b"hello\n"))), "{v:#}");
    assert_eq!(missing.len(), 2, "{v:#}");
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn unreachable_dvc_remote_fails_fetch_with_an_io_error() {
    let (p, store) = dvc_project();
    import_json(&p);
    p.commit_all("imported");
    std::fs::rename(&store, p.temp_dir().join("moved")).unwrap();
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    let a = p.mlx_in(&clone, &["fetch"]).code(3);
    assert!(stderr(&a).contains("store"), "{}", stderr(&a));
}

#[test]
fn paths_leaving_the_project_are_refused() {
    let (p, _) = dvc_project();
    // Hostile files a repository may hold (no real DVC would write them).
    p.write("sub/evil.dvc", "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: ../../outside\n");
    p.write("sub/git.dvc", "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: ../.git/config\n");
    let a = p.mlx(&["import", "dvc"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("sub/evil.dvc: ../../outside"), "{err}");
    assert!(err.contains("sub/git.dvc: ../.git/config"), "{err}");
    assert!(!p.temp_dir().join("outside.mlx").exists());
    assert!(!p.exists(".git/config.mlx"));
}

#[test]
fn ssh_remote_settings_and_secrets_are_split() {
    let (p, _) = dvc_project();
    let root = p.root().to_path_buf();
    run_dvc(&root, &["remote", "add", "box", "ssh://host.example/srv/dvc"]);
    run_dvc(&root, &["remote", "modify", "box", "user", "ann"]);
    run_dvc(&root, &["remote", "modify", "box", "port", "2222"]);
    run_dvc(&root, &["remote", "modify", "box", "keyfile", "/keys/id"]);
    run_dvc(&root, &["remote", "modify", "box", "ask_password", "true"]);
    run_dvc(&root, &["remote", "modify", "--local", "box", "password", "hunter2"]);
    let a = p.mlx(&["import", "dvc"]).code(1);
    let err = stderr(&a);
    assert!(err.contains("not converted: remote box: ask_password"), "{err}");
    assert!(!err.contains("hunter2") && !stdout(&a).contains("hunter2"));
    let toml = p.read_string("mlx.toml");
    assert!(toml.contains("[remotes.box]") && toml.contains("key_file = \"/keys/id\""), "{toml}");
    assert!(toml.contains("port = 2222") && !toml.contains("hunter2"), "{toml}");
    let local = p.read_string(".mlx/config.local.toml");
    assert!(local.contains("password = \"hunter2\""), "{local}");
}

/// DVC's get-started layout: `foreach` over models, an `evaluate` stage writing the folder
/// `eval` through DVCLive, top-level `metrics` and `plots` pointing into it.
#[test]
fn get_started_layout_with_dvclive_and_foreach_imports_clean() {
    let p = TestProject::new();
    let root = p.root().to_path_buf();
    run_dvc(&root, &["init", "-q"]);
    p.write("params.yaml", "train:\n  lr: 0.1\nmodels:\n- rf\n- gbm\n");
    p.write(
        "train.py",
        "import sys, os\nos.makedirs('models', exist_ok=True)\nopen(f'models/{sys.argv[1]}.txt', 'w').write(sys.argv[1] + ' ' + sys.argv[2])\n",
    );
    p.write(
        "evaluate.py",
        "from dvclive import Live\nwith Live(dir='eval', dvcyaml=None, save_dvc_exp=False) as live:\n    for step in range(3):\n        live.log_metric('acc', 0.5 + step / 10)\n        live.next_step()\n",
    );
    p.write(
        "dvc.yaml",
        r#"stages:
  train:
    foreach: ${models}
    do:
      cmd: python train.py ${item} ${train.lr}
      deps:
      - train.py
      outs:
      - models/${item}.txt
  evaluate:
    cmd: python evaluate.py
    deps:
    - models
    - evaluate.py
    outs:
    - eval
metrics:
- eval/metrics.json
plots:
- eval/plots/metrics:
    x: step
"#,
    );
    // DVCLive reads the commit it runs at.
    p.commit_all("get-started layout");
    run_dvc(&root, &["repro", "-q"]);
    p.commit_all("reproduced");
    p.mlx(&["init"]).success();
    let report = import_json(&p);
    assert_eq!(report["not_converted"], serde_json::json!([]), "{report:#}");
    let locked: Vec<&str> = report["locked_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(locked, ["train@rf", "train@gbm", "evaluate"]);
    let toml = p.read_string("mlx.toml");
    assert!(toml.contains(r#"foreach = "${models}""#), "{toml}");
    assert!(toml.contains(r#"metrics = ["eval/metrics.json"]"#), "{toml}");
    assert!(toml.contains(r#"[plots."eval/plots/metrics"]"#), "{toml}");
    p.mlx(&["status", "--check"]).success();
    let run = p.mlx(&["run", "--json"]).success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&run)).unwrap();
    for s in v["stages"].as_array().unwrap() {
        assert_eq!(s["outcome"], "up_to_date", "{s}");
    }
}

/// Data DVC 2 added: no `hash: md5` in its entry, its object in the 2.x layout of the cache
/// (`.dvc/cache/AB/CDEF…`), as DVC 3 keeps it for such data. (DVC 3 writes only its own layout,
/// so the fixture moves the object and drops the key, as a DVC 2 project has them.)
#[test]
fn dvc2_cache_layout_is_read() {
    let (p, _) = dvc_project();
    let md5 = "b1946ac92492d2347c6235b4d2611184"; // "hello\n"
    let v3 = p.path(format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..]));
    let v2 = p.path(format!(".dvc/cache/{}/{}", &md5[..2], &md5[2..]));
    std::fs::create_dir_all(v2.parent().unwrap()).unwrap();
    std::fs::rename(&v3, &v2).unwrap();
    let dvc_file = p.read_string("data/raw.txt.dvc").replace("  hash: md5\n", "");
    p.write("data/raw.txt.dvc", dvc_file);
    std::fs::remove_file(p.path("data/raw.txt")).unwrap();
    let report = import_json(&p);
    let raw = report["data"].as_array().unwrap().iter().find(|d| d["path"] == "data/raw.txt");
    assert_eq!(raw.unwrap()["hash"], crate::support::hash_hex(b"hello\n"), "{report:#}");
    assert!(p.has_object(&crate::support::hash_hex(b"hello\n")));
}

/// A stage with `wdir`: its paths in `dvc.yaml` and `dvc.lock` are relative to that folder, and
/// its default params file is the one there.
#[test]
fn wdir_stage_paths_are_read_from_its_folder() {
    let p = TestProject::new();
    let root = p.root().to_path_buf();
    run_dvc(&root, &["init", "-q"]);
    p.write("data/in.txt", "input\n");
    p.write("src/params.yaml", "scale: 2\n");
    p.write(
        "dvc.yaml",
        "stages:\n  build:\n    wdir: src\n    cmd: cat ../data/in.txt > out.txt\n    deps:\n    - ../data/in.txt\n    params:\n    - scale\n    outs:\n    - out.txt\n",
    );
    run_dvc(&root, &["repro", "-q"]);
    p.commit_all("wdir stage");
    p.mlx(&["init"]).success();
    let report = import_json(&p);
    assert_eq!(report["not_converted"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["locked_stages"][0]["differences"], serde_json::json!([]), "{report:#}");
    let lock = p.read_string("mlx.lock");
    assert!(
        lock.contains("path = \"src/out.txt\"") && lock.contains("path = \"data/in.txt\""),
        "{lock}"
    );
    p.mlx(&["status", "--check"]).success();
    p.write("src/params.yaml", "scale: 3\n");
    let v = p.json(&["status"]);
    assert_eq!(v["stages"][0]["stage"], "build", "{v:#}");
}

/// An imported DVC project serves as a data registry: `mlx get` and `mlx add --from` read its
/// data from the DVC remote as it is, through the MD5s its pointers and lock keep.
#[test]
fn an_imported_dvc_project_is_a_registry_for_get_and_add_from() {
    let (p, store) = dvc_project();
    import_json(&p);
    p.commit_all("imported");
    let user = TestProject::initialized();
    user.commit_all("init");
    let registry = p.root().to_str().unwrap();
    user.mlx(&["get", registry, "data/images", "-o", "images"]).success();
    assert_eq!(user.read("images/a.txt"), p.read("data/images/a.txt"));
    assert_eq!(user.read("images/b.txt"), p.read("data/images/b.txt"));
    user.mlx(&["get", registry, "model.txt"]).success();
    assert_eq!(user.read("model.txt"), p.read("model.txt"));
    user.mlx(&["add", "--from", registry, "data/raw.txt", "-o", "raw.txt"]).success();
    assert_eq!(user.read("raw.txt"), p.read("data/raw.txt"));
    user.mlx(&["status", "--check"]).success();
    // Nothing was uploaded in mlx's layout: the DVC remote served it as it is.
    let shards: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(shards, ["files"], "{shards:?}");
}
