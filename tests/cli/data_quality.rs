//! `mlx data profile|check|drift`, and the checks `mlx run` applies to deps and outs. The
//! statistics are compared with pandas and scipy (from PyPI, installed on first use) on the same
//! generated data, within these tolerances:
//!
//! - count, nulls, min, max, top values of columns with few distinct values: exact;
//!   mean and standard deviation (n - 1): relative 1e-9.
//! - quantiles (KLL, k = 400): the fraction of values at or below mlx's quantile lies within
//!   0.01 of the quantile's rank (the sketch's rank error is about 0.007).
//! - distinct counts (HyperLogLog, 2^12 registers, 1.6% standard error): within 5%.
//! - KS statistic from two sketches: within 0.02 of scipy's `ks_2samp` (the sum of both
//!   sketches' rank errors); PSI (bins cut at the reference's deciles, shares floored at 1e-4):
//!   within 0.02 of numpy's over the same cuts of the exact data.
//! - Jensen–Shannon divergence and chi-squared over exact category counts: relative 1e-9 of
//!   scipy's `jensenshannon(base=2)**2` and `chi2_contingency(correction=False)`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::child::install_pypi;
use crate::support::{TestProject, stderr, stdout};

const PYTHON_NEEDED: &str = "The data quality tests compare with pandas and scipy from PyPI, \
    which need Python 3.10 or newer with its venv module as `python3` on PATH (e.g. `apt-get \
    install python3 python3-venv`); pip must be able to reach its package index the first time.";

/// The virtual environment's `python`, with pandas, scipy and pyarrow.
fn python() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-quality");
        let packages = ["pandas", "scipy", "pyarrow"].map(str::to_owned);
        let check: &[&str] = &["-c", "import pandas, scipy, pyarrow"];
        let bin = install_pypi(&dir, &packages, "python", &[("python", check)], PYTHON_NEEDED)?;
        Ok(bin.join("python"))
    });
    match bin {
        Ok(p) => p,
        Err(m) => panic!("{m}"),
    }
}

/// Run a Python script in the project's folder; panic unless it succeeds. Returns stdout.
fn py(p: &TestProject, script: &str) -> String {
    let out = p.tool(python()).args(["-c", script]).current_dir(p.root()).output().unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

fn column<'a>(profile: &'a Value, name: &str) -> &'a Value {
    profile["profile"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// 50 000 rows: `x` normal with 1% nulls, `k` integers 0..1000, `cat` five categories, `s`
/// unique strings; as CSV and as Parquet (zstd). Prints pandas' and numpy's figures as JSON.
const MAKE_DATA: &str = r#"
import json, numpy as np, pandas as pd
rng = np.random.default_rng(7)
n = 50_000
x = rng.normal(10.0, 3.0, n)
x[rng.random(n) < 0.01] = np.nan
df = pd.DataFrame({
    "x": x,
    "k": rng.integers(0, 1000, n),
    "cat": rng.choice(["red", "green", "blue", "cyan", "plum"], n, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
    "s": [f"id{i:06d}" for i in range(n)],
})
df.to_csv("data.csv", index=False)
df.to_parquet("data.parquet", compression="zstd")
xs = df["x"].dropna().sort_values().to_numpy()
qs = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]
out = {
    "rows": n,
    "x": {"count": int(df["x"].count()), "nulls": int(df["x"].isna().sum()),
          "mean": float(df["x"].mean()), "std": float(df["x"].std()),
          "min": float(xs[0]), "max": float(xs[-1]), "sorted": xs.tolist(),
          "quantiles": {str(q): float(df["x"].quantile(q)) for q in qs}},
    "k": {"mean": float(df["k"].mean()), "std": float(df["k"].std()), "nunique": int(df["k"].nunique())},
    "cat": {k: int(v) for k, v in df["cat"].value_counts().items()},
    "s": {"nunique": int(df["s"].nunique())},
}
print(json.dumps(out))
"#;

#[test]
fn profile_matches_pandas_on_csv_and_parquet() {
    let p = TestProject::initialized();
    let reference: Value = serde_json::from_str(&py(&p, MAKE_DATA)).unwrap();
    let csv = p.json(&["data", "profile", "data.csv"]);
    assert_eq!(csv["origin"], "made");
    assert_eq!(csv["profile"]["rows"], 50_000);
    let x = column(&csv, "x");
    let rx = &reference["x"];
    assert_eq!(x["type"], "float");
    assert_eq!(x["count"], rx["count"]);
    assert_eq!(x["nulls"], rx["nulls"]);
    assert_eq!(x["min"].as_f64(), rx["min"].as_f64());
    assert_eq!(x["max"].as_f64(), rx["max"].as_f64());
    assert!(close(x["mean"].as_f64().unwrap(), rx["mean"].as_f64().unwrap(), 1e-9), "{x}");
    assert!(close(x["std"].as_f64().unwrap(), rx["std"].as_f64().unwrap(), 1e-9), "{x}");
    let sorted: Vec<f64> =
        rx["sorted"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for q in x["quantiles"].as_array().unwrap() {
        let (rank, value) = (q["q"].as_f64().unwrap(), q["value"].as_f64().unwrap());
        let at_or_below = sorted.partition_point(|v| *v <= value) as f64 / sorted.len() as f64;
        assert!(
            (at_or_below - rank).abs() <= 0.01,
            "quantile {rank}: {value} has rank {at_or_below}"
        );
        let pandas = rx["quantiles"][format!("{rank}")].as_f64().unwrap();
        let lo = sorted[((rank - 0.01) * sorted.len() as f64) as usize];
        let hi = sorted[(((rank + 0.01) * sorted.len() as f64) as usize).min(sorted.len() - 1)];
        assert!(lo <= pandas && pandas <= hi && lo <= value && value <= hi, "quantile {rank}");
    }
    let k = column(&csv, "k");
    assert_eq!(k["type"], "integer");
    assert!(close(k["mean"].as_f64().unwrap(), reference["k"]["mean"].as_f64().unwrap(), 1e-9));
    assert!(close(k["std"].as_f64().unwrap(), reference["k"]["std"].as_f64().unwrap(), 1e-9));
    let nunique = reference["k"]["nunique"].as_f64().unwrap();
    assert!(
        (k["distinct"].as_f64().unwrap() - nunique).abs() <= 0.05 * nunique,
        "{}",
        k["distinct"]
    );
    let s = column(&csv, "s");
    assert!(
        (s["distinct"].as_f64().unwrap() - 50_000.0).abs() <= 0.05 * 50_000.0,
        "{}",
        s["distinct"]
    );
    let cat = column(&csv, "cat");
    assert_eq!(cat["top_exact"], true);
    for t in cat["top"].as_array().unwrap() {
        assert_eq!(t["count"], reference["cat"][t["value"].as_str().unwrap()], "{t}");
    }
    assert_eq!(cat["top"][0]["value"], "red");
    let hist: u64 =
        x["histogram"]["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(hist, rx["count"].as_u64().unwrap());

    // The same data from Parquet gives the same figures.
    let parquet = p.json(&["data", "profile", "data.parquet"]);
    assert_eq!(parquet["profile"]["format"], "parquet");
    for name in ["x", "k", "cat"] {
        let (a, b) = (column(&csv, name), column(&parquet, name));
        for key in ["count", "nulls", "min", "max", "top"] {
            assert_eq!(a[key], b[key], "{name}.{key}");
        }
        for key in ["mean", "std"] {
            if let (Some(a), Some(b)) = (a[key].as_f64(), b[key].as_f64()) {
                assert!(close(a, b, 1e-9), "{name}.{key}");
            }
        }
    }

    // Stored by content hash: asked again, it answers from the store.
    let again = p.json(&["data", "profile", "data.csv"]);
    assert_eq!(again["origin"], "stored");
    let table = p.mlx(&["data", "profile", "data.csv"]).success();
    let text = stdout(&table);
    assert!(text.starts_with("column"), "{text}");
    assert!(text.contains("cat     string"), "{text}");
    assert!(
        stderr(&table).contains("50000 rows, 4 columns, profiled before"),
        "{}",
        stderr(&table)
    );
}

/// Two committed versions of `data.csv` (the second drifted); prints scipy's and numpy's
/// figures.
const MAKE_VERSIONS: &str = r#"
import json, sys, numpy as np, pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon
rng = np.random.default_rng(11)
n = 40_000
cats = ["a", "b", "c", "d"]
a = pd.DataFrame({"v": rng.normal(0, 1, n), "c": rng.choice(cats, n, p=[0.4, 0.3, 0.2, 0.1])})
b = pd.DataFrame({"v": rng.normal(0.3, 1.2, n), "c": rng.choice(cats, n, p=[0.3, 0.3, 0.25, 0.15])})
a.to_csv("v1.csv", index=False)
b.to_csv("v2.csv", index=False)
ks = stats.ks_2samp(a["v"], b["v"]).statistic
cuts = np.unique(np.quantile(a["v"], np.arange(1, 10) / 10, method="inverted_cdf"))
share = lambda x: np.diff(np.concatenate([[0], np.searchsorted(np.sort(x), cuts, side="right"), [len(x)]])) / len(x)
pa, pb = np.maximum(share(a["v"]), 1e-4), np.maximum(share(b["v"]), 1e-4)
psi = float(np.sum((pb - pa) * np.log(pb / pa)))
ca = a["c"].value_counts().reindex(cats).to_numpy()
cb = b["c"].value_counts().reindex(cats).to_numpy()
js = float(jensenshannon(ca, cb, base=2) ** 2)
chi2, pvalue, dof, _ = stats.chi2_contingency([ca, cb], correction=False)
print(json.dumps({"ks": float(ks), "psi": psi, "js": js, "chi2": float(chi2), "pvalue": float(pvalue)}))
"#;

#[test]
fn drift_matches_scipy_and_gates_on_thresholds() {
    let p = TestProject::initialized();
    let reference: Value = serde_json::from_str(&py(&p, MAKE_VERSIONS)).unwrap();
    std::fs::rename(p.path("v1.csv"), p.path("data.csv")).unwrap();
    p.mlx(&["add", "-q", "data.csv"]).success();
    p.commit_all("v1");
    std::fs::rename(p.path("v2.csv"), p.path("data.csv")).unwrap();
    p.mlx(&["add", "-q", "data.csv"]).success();
    p.commit_all("v2");

    let drift = p.mlx(&["data", "drift", "data.csv", "--from", "HEAD~1", "--to", "HEAD", "--json"]);
    let drift = drift.code(1);
    let report: Value = serde_json::from_str(&stdout(&drift)).unwrap();
    assert_eq!(report["drifted"], true);
    let col = |name: &str| {
        report["columns"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
    };
    let v = col("v");
    assert_eq!(v["kind"], "numeric");
    let ks = v["ks"].as_f64().unwrap();
    assert!(
        (ks - reference["ks"].as_f64().unwrap()).abs() <= 0.02,
        "ks {ks} vs {}",
        reference["ks"]
    );
    let psi = v["psi"].as_f64().unwrap();
    assert!(
        (psi - reference["psi"].as_f64().unwrap()).abs() <= 0.02,
        "psi {psi} vs {}",
        reference["psi"]
    );
    assert!(v["over"].as_array().unwrap().contains(&Value::from("ks")), "{v}");
    let c = col("c");
    assert_eq!(c["kind"], "categorical");
    assert!(close(c["js"].as_f64().unwrap(), reference["js"].as_f64().unwrap(), 1e-9), "{c}");
    assert!(close(c["chi2"].as_f64().unwrap(), reference["chi2"].as_f64().unwrap(), 1e-9), "{c}");
    let (ours, theirs) =
        (c["chi2_pvalue"].as_f64().unwrap(), reference["pvalue"].as_f64().unwrap());
    assert!(close(ours, theirs, 1e-6) || (ours - theirs).abs() < 1e-300, "{ours} vs {theirs}");

    // The work tree's version against itself: nothing drifts (the profiles are stored now).
    p.mlx(&["data", "drift", "data.csv", "--from", "HEAD"]).success();
    // Thresholds from mlx.toml, narrowed per path and column.
    p.write(
        "mlx.toml",
        format!(
            "{}\n[drift]\nks = 0.5\npsi = 5.0\n[drift.paths.\"data.csv\".columns.c]\njs = 0.5\n",
            p.read_string("mlx.toml")
        ),
    );
    let md = p.mlx(&["data", "drift", "data.csv", "--from", "HEAD~1", "--md"]).success();
    let text = stdout(&md);
    assert!(text.starts_with("### Data drift: `data.csv` (HEAD~1 → workspace)"), "{text}");
    assert!(text.contains("| column | kind |"), "{text}");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[drift]\nbogus = 1\n",
            p.read_string("mlx.toml").split("\n[drift]").next().unwrap()
        ),
    );
    let bad = p.mlx(&["data", "drift", "data.csv", "--from", "HEAD~1"]).code(2);
    assert!(stderr(&bad).contains("mlx.toml:"), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("unknown field `bogus`"), "{}", stderr(&bad));
}

#[test]
fn bad_input_is_named() {
    let p = TestProject::initialized();
    p.write("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    let out = p.mlx(&["data", "profile", "ragged.csv"]).code(2);
    assert!(
        stderr(&out).contains("ragged.csv: line 3: expected 3 fields, found 2"),
        "{}",
        stderr(&out)
    );
    p.write("empty.csv", "");
    let out = p.mlx(&["data", "profile", "empty.csv"]).code(2);
    assert!(stderr(&out).contains("empty.csv: empty file"), "{}", stderr(&out));
    p.write("notes.txt", "hello\n");
    p.mlx(&["data", "profile", "notes.txt"]).code(2);
    // A column of integers that turns to text after the rows types are inferred from.
    let mut text = String::from("id,n\n");
    for i in 0..12_000 {
        text.push_str(&format!("{i},{}\n", i % 7));
    }
    text.push_str("12000,seven\n");
    p.write("changes.csv", text);
    let out = p.mlx(&["data", "profile", "changes.csv", "--json"]).success();
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(column(&report, "n")["type"], "string");
    assert_eq!(column(&report, "id")["type"], "integer");
    let notes = report["profile"]["notes"].to_string();
    assert!(notes.contains("column n changes type at line 12002"), "{notes}");
    // Nested Parquet columns are skipped, and said so.
    py(
        &p,
        "import pyarrow as pa, pyarrow.parquet as pq\n\
         pq.write_table(pa.table({'id': [1, 2], 'tags': [['a'], ['b', 'c']], 'pos': [{'x': 1}, {'x': 2}]}), 'nested.parquet')",
    );
    let out = p.mlx(&["data", "profile", "nested.parquet"]).success();
    let err = stderr(&out);
    assert!(err.contains("column tags (List("), "{err}");
    assert!(
        err.contains("skipped: nested values (lists, structs, maps) are not profiled"),
        "{err}"
    );
    assert!(err.contains("column pos (Struct("), "{err}");
    assert!(stdout(&out).contains("id "), "{}", stdout(&out));
}

const CHECKS: &str = r#"
[checks."data/people.csv"]
min_rows = 3
max_rows = 100

[checks."data/people.csv".columns.id]
type = "integer"
unique = true

[checks."data/people.csv".columns.age]
type = "number"
min = 0
max = 120
max_null_rate = 0.0

[checks."data/people.csv".columns.pet]
allowed = ["cat", "dog"]

[checks."data/people.csv".columns.email]
regex = '^[^@ ]+@[^@ ]+$'

[checks."data/people.csv".columns.height]
type = "float"
"#;

#[test]
fn check_lists_every_violation() {
    let p = TestProject::initialized();
    p.write("mlx.toml", format!("{}{CHECKS}", p.read_string("mlx.toml")));
    p.write(
        "data/people.csv",
        "id,age,pet,email\n1,34,cat,a@b.org\n2,,dog,c@d.org\n2,130,cow,not-an-email\n3,-1,dog,e@f.org\n",
    );
    let out = p.mlx(&["data", "check", "--json"]).code(1);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<(String, String)> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (v["column"].as_str().unwrap_or("").to_owned(), v["check"].as_str().unwrap().to_owned())
        })
        .collect();
    let expected = [
        ("height", "columns"),
        ("age", "max_null_rate"),
        ("age", "min"),
        ("age", "max"),
        ("email", "regex"),
        ("id", "unique"),
        ("pet", "allowed"),
    ];
    for (column, check) in expected {
        assert!(
            found.contains(&(column.to_owned(), check.to_owned())),
            "{column} {check}: {found:?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:?}");
    let pet =
        report["violations"].as_array().unwrap().iter().find(|v| v["check"] == "allowed").unwrap();
    assert_eq!(pet["examples"], serde_json::json!(["cow"]));
    assert!(
        report["violations"]
            .to_string()
            .contains("no column height (columns: id, age, pet, email)")
    );
    let text = p.mlx(&["data", "check"]).code(1);
    assert!(
        stdout(&text).contains("data/people.csv: column pet: values not in allowed (1): cow"),
        "{}",
        stdout(&text)
    );
    assert!(stderr(&text).contains("1 file checked, 7 violations"), "{}", stderr(&text));

    p.write(
        "mlx.toml",
        p.read_string("mlx.toml")
            .replace("[checks.\"data/people.csv\".columns.height]\ntype = \"float\"\n", ""),
    );
    p.write(
        "data/people.csv",
        "id,age,pet,email\n1,34,cat,a@b.org\n2,3,dog,c@d.org\n3,99,dog,e@f.org\n",
    );
    p.mlx(&["data", "check", "data/people.csv"]).success();
    // A path without a [checks] table, and an unknown key, are input errors.
    p.mlx(&["data", "check", "data/other.csv"]).code(2);
    p.write(
        "mlx.toml",
        format!("{}\n[checks.\"x.csv\"]\nmin_row = 1\n", p.read_string("mlx.toml")),
    );
    let bad = p.mlx(&["data", "check"]).code(2);
    assert!(stderr(&bad).contains("unknown field `min_row`"), "{}", stderr(&bad));
}

#[test]
fn run_refuses_bad_deps_and_does_not_record_bad_outputs() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.clean]\ncmd = \"sh clean.sh\"\ndeps = [\"raw.csv\", \"clean.sh\"]\nouts = [\"clean.csv\"]\n\n\
             [checks.\"raw.csv\".columns.x]\nmin = 0\n\n[checks.\"clean.csv\"]\nmin_rows = 2\n",
            p.read_string("mlx.toml")
        ),
    );
    p.write("clean.sh", "grep -v '^-' raw.csv > clean.csv\n");
    p.write("raw.csv", "x\n-1\n5\n");
    let out = p.mlx(&["run"]).code(1);
    assert!(
        stderr(&out)
            .contains("dep raw.csv fails its checks (1 violation): column x: values below min = 0"),
        "{}",
        stderr(&out)
    );
    assert!(!p.exists("clean.csv"), "the stage ran");
    let runs: i64 = p.db().query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).unwrap();
    assert_eq!(runs, 0);

    // Good input, but the output has one row where two are wanted.
    p.write("raw.csv", "x\n1\n");
    let out = p.mlx(&["run"]).code(1);
    assert!(
        stderr(&out).contains(
            "output clean.csv fails its checks (1 violation): 1 rows, fewer than min_rows = 2"
        ),
        "{}",
        stderr(&out)
    );
    let (status, why): (String, String) = p
        .db()
        .query_row(
            "SELECT r.status, t.value FROM runs r JOIN tags t ON t.run_id = r.id AND t.key = 'mlx.error'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "failed");
    assert!(why.contains("clean.csv fails its checks"), "{why}");
    assert!(!p.exists("mlx.lock") || !p.read_string("mlx.lock").contains("clean.csv"));

    p.write("raw.csv", "x\n1\n2\n");
    p.mlx(&["run"]).success();
    assert!(p.read_string("mlx.lock").contains("clean.csv"));
}

#[test]
fn profiles_at_revisions_and_through_the_remote() {
    let p = TestProject::initialized();
    p.write("data/parts/a.csv", "x,y\n1,u\n2,v\n3,u\n");
    p.write("data/parts/b.jsonl", "{\"x\": 1.5, \"y\": \"w\"}\n{\"x\": null, \"y\": \"w\"}\n");
    p.mlx(&["add", "-q", "data/parts"]).success();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "storage", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("data");
    // A file inside a tracked folder, at a revision, read from the cache.
    let a = p.json(&["data", "profile", "data/parts/a.csv", "--rev", "HEAD"]);
    assert_eq!(a["data"]["source"], "HEAD");
    assert_eq!(a["profile"]["rows"], 3);
    assert_eq!(column(&a, "y")["top"][0], serde_json::json!({"value": "u", "count": 2}));
    let b = p.json(&["data", "profile", "data/parts/b.jsonl", "--rev", "HEAD"]);
    assert_eq!(column(&b, "x")["nulls"], 1);
    assert_eq!(b["profile"]["format"], "json_lines");
    let folder = p.mlx(&["data", "profile", "data/parts", "--rev", "HEAD"]).code(2);
    assert!(
        stderr(&folder).contains("data/parts is a tracked folder: name a file inside it"),
        "{}",
        stderr(&folder)
    );
    p.mlx(&["data", "profile", "data/nope.csv", "--rev", "HEAD"]).code(2);

    let push = p.json(&["push"]);
    assert_eq!(push["profiles_uploaded"], 2);
    assert!(
        store
            .join("profiles")
            .join(format!("{}.json", a["data"]["hash"].as_str().unwrap()))
            .is_file()
    );

    // A clone gets the profiles without the data.
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    let fetched = p.mlx_in(&clone, &["fetch", "--json"]).success();
    let fetched: Value = serde_json::from_str(&stdout(&fetched)).unwrap();
    assert_eq!(fetched["profiles_fetched"], 2);
    let out = p
        .mlx_in(&clone, &["data", "profile", "data/parts/a.csv", "--rev", "HEAD", "--json"])
        .success();
    let again: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(again["origin"], "stored");
    assert_eq!(again["profile"]["columns"], a["profile"]["columns"]);

    // Another clone that never fetched reads the profile from the remote, not the data.
    let other = p.temp_dir().join("other");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), other.to_str().unwrap()]);
    let out = p
        .mlx_in(&other, &["data", "profile", "data/parts/a.csv", "--rev", "HEAD", "--json"])
        .success();
    let remote: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(remote["origin"], "remote");
}

#[test]
fn gc_keeps_the_profiles_of_the_data_it_keeps() {
    let p = TestProject::initialized();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "storage", store.to_str().unwrap(), "--default"]).success();
    p.write("data.csv", "x\n1\n2\n");
    p.mlx(&["add", "-q", "data.csv"]).success();
    p.commit_all("v1");
    let old = p.json(&["data", "profile", "data.csv"]);
    p.write("data.csv", "x\n3\n4\n5\n");
    p.mlx(&["add", "-q", "data.csv"]).success();
    p.commit_all("v2");
    let new = p.json(&["data", "profile", "data.csv"]);
    let (old_hash, new_hash) =
        (old["data"]["hash"].as_str().unwrap(), new["data"]["hash"].as_str().unwrap());
    assert_eq!(p.json(&["push", "--all-commits"])["profiles_uploaded"], 2);
    let on_remote = |h: &str| store.join("profiles").join(format!("{h}.json")).is_file();
    assert!(on_remote(old_hash) && on_remote(new_hash));

    // Every version kept: both profiles kept.
    let all = p.json(&["gc", "--all-commits"]);
    assert_eq!(
        (all["kept_profiles"].as_u64(), all["removed_profiles"].as_u64()),
        (Some(2), Some(0))
    );
    let dry = p.json(&["gc", "--dry-run"]);
    assert_eq!(
        (dry["kept_profiles"].as_u64(), dry["removed_profiles"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(p.json(&["data", "profile", "data.csv", "--rev", "HEAD~1"])["origin"], "stored");

    // Only the work tree's version kept: the old version's profile goes with its data, the
    // current one's stays (answered from the cache, not made again).
    let out = p.mlx(&["gc"]).success();
    assert!(
        stderr(&out).contains("removed 1 data profile whose data is no longer kept"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.json(&["data", "profile", "data.csv"])["origin"], "stored");
    // The old version's data and profile are gone here; the remote still has its profile.
    assert_eq!(p.json(&["data", "profile", "data.csv", "--rev", "HEAD~1"])["origin"], "remote");
    p.mlx(&["gc"]).success();

    // On the remote, the same rule.
    let dry = p.json(&["gc", "--remote", "storage", "--workspace", "--dry-run"]);
    assert_eq!(
        (dry["kept_profiles"].as_u64(), dry["removed_profiles"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(on_remote(old_hash));
    let all = p.json(&["gc", "--remote", "storage", "--all-commits"]);
    assert_eq!(all["removed_profiles"], 0);
    let gc = p.json(&["gc", "--remote", "storage", "--workspace"]);
    assert_eq!((gc["kept_profiles"].as_u64(), gc["removed_profiles"].as_u64()), (Some(1), Some(1)));
    assert!(!on_remote(old_hash));
    assert!(on_remote(new_hash));
}

/// Two committed versions of `data.csv`: `x` moves up by 30 (PSI and KS over their
/// thresholds), `same` does not move, `cat` gains a third category (JS over its threshold).
fn two_versions_for_drift(p: &TestProject) {
    let version = |shift: usize, cats: usize| {
        let mut text = String::from("x,same,cat\n");
        for i in 0..2000 {
            text.push_str(&format!(
                "{}.5,{},{}\n",
                i % 100 + shift,
                i % 7,
                ["a", "b", "c"][i % cats]
            ));
        }
        text
    };
    p.write("data.csv", version(0, 2));
    p.mlx(&["add", "-q", "data.csv"]).success();
    p.commit_all("v1");
    p.write("data.csv", version(30, 3));
    p.mlx(&["add", "-q", "data.csv"]).success();
    p.commit_all("v2");
}

/// The web app's drift view: the same figures as `mlx data drift --json`, the measures over
/// their thresholds highlighted, both distributions drawn per column; a version not profiled
/// yet is profiled when asked for; paths from the URL stay inside the tracked data.
#[test]
fn ui_drift_view_shows_what_data_drift_reports() {
    let p = TestProject::initialized();
    two_versions_for_drift(&p);
    p.write("fresh.csv", "n\n1\n2\n3\n");
    p.mlx(&["add", "-q", "fresh.csv"]).success();
    p.commit_all("fresh");
    p.write("untracked.csv", "n\n1\n");
    let out =
        p.mlx(&["data", "drift", "data.csv", "--from", "HEAD~2", "--to", "HEAD", "--json"]).code(1);
    let cli: Value = serde_json::from_str(&stdout(&out)).unwrap();

    let ui = crate::ui::Ui::start(&p, &[]);
    let api = ui.get("/api/data/drift?path=data.csv&from=HEAD~2&to=HEAD");
    assert_eq!(api.status, 200);
    let api = api.json();
    assert_eq!(api["report"], cli);
    let names: Vec<&str> =
        api["overlays"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["x", "same", "cat"]);

    // Not profiled yet: profiled now, and kept.
    let profiles = |p: &TestProject| -> i64 {
        p.db().query_row("SELECT count(*) FROM profiles", [], |r| r.get(0)).unwrap()
    };
    let before = profiles(&p);
    let fresh = ui.get("/api/data/drift?path=fresh.csv&from=HEAD");
    assert_eq!(fresh.status, 200, "{}", String::from_utf8_lossy(&fresh.body));
    assert_eq!(fresh.json()["report"]["drifted"], false);
    assert_eq!(profiles(&p), before + 1, "the work tree's version equals HEAD's: one profile");

    // Paths that leave the tracked data are refused.
    for bad in [
        "/api/data/drift?path=../outside.csv&from=HEAD",
        "/api/data/drift?path=%2Fetc%2Fpasswd&from=HEAD",
        "/api/data/drift?path=.mlx%2Fmlx.db&from=HEAD",
        "/api/data/drift?path=untracked.csv&from=HEAD",
        "/api/data/drift?path=data.csv",
        "/api/data/drift?from=HEAD",
    ] {
        let got = ui.get(bad);
        assert_eq!(got.status, 400, "{bad}: {}", String::from_utf8_lossy(&got.body));
    }
    let files = ui.get("/api/data/files").json();
    let listed: Vec<&str> =
        files["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(listed, ["data.csv", "fresh.csv"]);
    assert_eq!(files["revisions"][2]["rev"], "HEAD~2");

    // In the browser: pick the file and the versions, compare.
    let url = format!("http://{}/#/drift", ui.addr);
    let script = format!(
        r#"export default async (page, t) => {{
  await page.goto({url:?});
  await page.waitForSelector('#drift-path option[value="data.csv"]', {{ state: 'attached' }});
  await page.selectOption('#drift-path', 'data.csv');
  await page.fill('#drift-from', 'HEAD~2');
  await page.fill('#drift-to', 'HEAD');
  await page.click('#drift-go');
  await page.waitForSelector('#drift[data-state=done]');
  await t.shot('drift');
  const rows = await page.$$eval('#drift-table tbody tr', (trs) => trs.map((tr) => ({{
    column: tr.dataset.column,
    drifted: tr.classList.contains('drifted'),
    over: Array.from(tr.querySelectorAll('td.over')).map((td) => td.dataset.measure),
    values: Object.fromEntries(Array.from(tr.querySelectorAll('td[data-measure]'))
      .filter((td) => td.dataset.value !== undefined).map((td) => [td.dataset.measure, Number(td.dataset.value)])),
  }})));
  const hists = await page.$$eval('#drift-hists figure', (fs) => fs.map((f) => ({{
    column: f.dataset.hist,
    bars: f.querySelectorAll('rect[data-side=from]').length + f.querySelectorAll('rect[data-side=to]').length,
  }})));
  const summary = await page.$eval('#drift-summary', (s) => s.dataset.drifted);
  const hash = await page.evaluate(() => location.hash);
  return {{ rows, hists, summary, hash }};
}};"#
    );
    let got = crate::support::browser::run(
        "ui-drift",
        crate::support::browser::Scenario {
            script: &script,
            allow: vec![ui.addr.clone()],
            ..Default::default()
        },
    );
    assert_eq!(got["summary"], "true", "{got:#}");
    assert_eq!(got["hash"], "#/drift?path=data.csv&from=HEAD%7E2&to=HEAD", "{got:#}");
    let rows = got["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{got:#}");
    for (row, want) in rows.iter().zip(cli["columns"].as_array().unwrap()) {
        assert_eq!(row["column"], want["name"], "{got:#}");
        for m in ["psi", "ks", "js", "chi2", "chi2_pvalue"] {
            let (shown, reported) =
                (row["values"].get(m).and_then(Value::as_f64), want.get(m).and_then(Value::as_f64));
            assert_eq!(shown, reported, "{m} of {}: {got:#}", want["name"]);
        }
        assert_eq!(row["over"], want["over"], "{got:#}");
        assert_eq!(row["drifted"], !want["over"].as_array().unwrap().is_empty(), "{got:#}");
    }
    assert_eq!(rows[0]["over"], serde_json::json!(["psi", "ks"]), "{got:#}");
    assert_eq!(rows[1]["over"], serde_json::json!([]), "{got:#}");
    assert_eq!(rows[2]["over"], serde_json::json!(["js"]), "{got:#}");
    let hists = got["hists"].as_array().unwrap();
    assert_eq!(hists.len(), 3, "{got:#}");
    assert_eq!(hists[0]["bars"], 40, "20 bins a side: {got:#}");
    assert_eq!(hists[2]["bars"], 6, "three categories a side: {got:#}");
}

/// JSON lines columns whose values change type after the rows types are inferred from are read
/// again with the widened type (integer, then float, then text), and the profile says where.
#[test]
fn json_lines_columns_that_change_type_are_widened() {
    let p = TestProject::initialized();
    let mut text = String::new();
    for i in 0..12_000 {
        text.push_str(&format!("{{\"n\": {i}, \"s\": {}, \"ok\": true}}\n", i % 5));
    }
    // Line 12001: a fraction in a column of integers (once cut to 12000 without a word).
    text.push_str("{\"n\": 12000.5, \"s\": 1, \"ok\": false}\n");
    // Line 12002: text in a column of integers.
    text.push_str("{\"n\": 3, \"s\": \"five\", \"ok\": null}\n");
    p.write("rows.jsonl", &text);
    let report = p.json(&["data", "profile", "rows.jsonl"]);
    let n = column(&report, "n");
    assert_eq!(n["type"], "float");
    assert_eq!(n["max"], 12000.5);
    assert_eq!(n["count"], 12_002);
    let s = column(&report, "s");
    assert_eq!(s["type"], "string");
    assert_eq!(s["count"], 12_002);
    let tops: Vec<(String, u64)> = s["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["value"].as_str().unwrap().to_owned(), t["count"].as_u64().unwrap()))
        .collect();
    assert!(tops.contains(&("five".into(), 1)), "{tops:?}");
    assert!(tops.contains(&("1".into(), 2401)), "{tops:?}");
    assert_eq!(column(&report, "ok")["type"], "boolean");
    let notes = report["profile"]["notes"].to_string();
    assert!(notes.contains("column n changes type at line 12001 (\\\"12000.5\\\" after int64 values): read as float"), "{notes}");

    // A value no scalar type holds (an object among numbers) is named by line and column.
    let mut text = String::new();
    for i in 0..12_000 {
        text.push_str(&format!("{{\"id\": {i}, \"v\": {i}}}\n"));
    }
    text.push_str("{\"id\": 12000, \"v\": {\"a\": 1}}\n");
    p.write("nested.jsonl", &text);
    let out = p.mlx(&["data", "profile", "nested.jsonl"]).code(2);
    assert!(stderr(&out).contains("nested.jsonl: line 12001: column v"), "{}", stderr(&out));
}
