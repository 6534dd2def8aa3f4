//! Fuzz target bodies: one function per file format mlx reads from a repository, each taking raw
//! bytes. They must never panic, overflow the stack, hang or allocate without bound; where a
//! parse succeeds they assert what must hold of the result (encoding round trips, SQL built only
//! from fixed text and `?` parameters, rewritten files that read back).
//!
//! The cargo-fuzz crate in `fuzz/` calls these (the long runs, `scripts/fuzz`), and so do the
//! time-boxed mutation tests below (every `cargo test`). Not a stable API.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::pipeline::{lock, metrics_file, params, spec};
use crate::project_path::RelPath;
use crate::store::manifest::Manifest;
use crate::store::pointer::Pointer;
use crate::tracking::filter;

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target, by name (the names of the cargo-fuzz targets and of the corpus folders).
pub const TARGETS: &[(&str, Target)] = &[
    ("pointer", pointer),
    ("manifest", manifest),
    ("mlx_toml", mlx_toml),
    ("mlx_lock", mlx_lock),
    ("params", params),
    ("params_override", params_override),
    ("metrics_file", metrics_file),
    ("filter", filter),
    ("sort_key", sort_key),
    ("metrics_jsonl", metrics_jsonl),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A pointer file (`PATH.mlx`): whatever decodes encodes back to the same pointer.
pub fn pointer(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(p) = Pointer::decode(Path::new("x.mlx"), text) else { return };
    let target = RelPath::new("data/x").expect("a valid path");
    let encoded = p.encode(&target);
    let again = Pointer::decode(Path::new("x.mlx"), &encoded)
        .unwrap_or_else(|e| panic!("an encoded pointer does not decode: {e}\n{encoded}"));
    assert_eq!(again, p, "pointer round trip");
}

/// A directory manifest object: whatever decodes has safe paths and re-encodes canonically.
pub fn manifest(data: &[u8]) {
    let id = crate::store::hash_bytes(data);
    let Ok(m) = Manifest::decode(id, data) else { return };
    let _ = m.totals();
    for e in m.entries() {
        assert!(
            e.path.as_path().components().all(|c| matches!(c, std::path::Component::Normal(_))),
            "a manifest path that is not plain: {:?}",
            e.path
        );
    }
    let encoded = m.encode();
    let again = Manifest::decode(m.id(), &encoded).expect("an encoded manifest decodes");
    assert_eq!(again, m, "manifest round trip");
    assert_eq!(again.encode(), encoded, "the encoding is canonical");
}

/// `mlx.toml`: the config and the pipeline (expansion, interpolation, paths, graph).
pub fn mlx_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let file = Path::new("mlx.toml");
    let _ = crate::config::Config::parse_shared(file, text);
    if let Ok(Some((pipeline, map))) =
        spec::parse_with_source_map(file, text, &crate::pipeline::params::NoFiles)
    {
        for stage in &pipeline.stages {
            assert!(map.stage(&stage.name).is_some(), "stage {} has no location", stage.name);
        }
        let dag = pipeline.dag().expect("a parsed pipeline's graph was checked");
        assert_eq!(dag.order().len(), pipeline.stages.len());
        let _ = dag.select(&[], false, false);
    }
}

/// `mlx.lock`: whatever parses encodes to text that parses to the same encoding.
pub fn mlx_lock(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(lock) = lock::LockFile::parse(text) else { return };
    let encoded = lock.encode();
    let again = lock::LockFile::parse(&encoded)
        .unwrap_or_else(|e| panic!("an encoded mlx.lock does not parse: {e}\n{encoded}"));
    assert_eq!(again.encode(), encoded, "mlx.lock round trip");
}

const PARAMS_FILES: [&str; 4] = ["params.toml", "params.json", "params.yaml", "params.yml"];

/// A params file (first byte: the format), then every dotted key it holds is looked up.
pub fn params(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Some(text) = text(rest) else { return };
    let file = RelPath::new(PARAMS_FILES[usize::from(pick) % 4]).expect("a valid path");
    let Ok(doc) = params::parse_text(&file, text) else { return };
    let mut keys = Vec::new();
    collect_keys("", &doc, &mut keys, 0);
    for key in keys.iter().take(64) {
        let _ = params::lookup(&doc, key);
    }
    // Keys taken from the text itself, such as mlx.toml's `params` lists name them.
    for word in text.split(|c: char| c.is_whitespace() || ":=,{}[]\"'".contains(c)).take(64) {
        let _ = params::lookup(&doc, word);
    }
}

fn collect_keys(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>, depth: usize) {
    if depth > 16 || out.len() > 64 {
        return;
    }
    if let serde_json::Value::Object(map) = v {
        for (k, child) in map {
            let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            out.push(key.clone());
            collect_keys(&key, child, out, depth + 1);
        }
    }
}

/// `--set` overrides applied to a params file. First byte: the format and whether new keys may
/// be added; then the file's text and the `KEY=VALUE` arguments, separated by NUL bytes. A file
/// mlx rewrites must read back, with the value set.
pub fn params_override(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Some(all) = text(rest) else { return };
    let file = RelPath::new(PARAMS_FILES[usize::from(pick) % 4]).expect("a valid path");
    let allow_new = pick & 4 != 0;
    let mut pieces = all.split('\0');
    let original = pieces.next().unwrap_or("");
    let overrides: Vec<params::Override> = pieces
        .take(8)
        .filter_map(|arg| params::Override::parse(arg).ok())
        .map(|mut o| {
            o.file = file.clone();
            o
        })
        .collect();
    if overrides.is_empty() {
        return;
    }
    let refs: Vec<&params::Override> = overrides.iter().collect();
    let Ok(new_text) = params::override_text(&file, original, &refs, allow_new) else { return };
    let doc = params::parse_text(&file, &new_text).unwrap_or_else(|e| {
        panic!("a rewritten params file does not read back: {e}\n--- before\n{original}\n--- after\n{new_text}")
    });
    // The last override of each key wins; a later override of a key below it may replace it.
    if let [only] = refs.as_slice() {
        assert_eq!(
            params::lookup(&doc, &only.key),
            Some(&only.json_value()),
            "{} after --set {}={}\n--- before\n{original}\n--- after\n{new_text}",
            only.key,
            only.key,
            only.raw
        );
    }
}

const METRICS_FILES: [&str; 8] =
    ["m.json", "m.toml", "m.yaml", "m.yml", "m.csv", "m.tsv", "m.JSON", "m.txt"];

/// A metrics file a stage declares (first byte: the format).
pub fn metrics_file(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Some(text) = text(rest) else { return };
    let file = METRICS_FILES[usize::from(pick) % METRICS_FILES.len()];
    if let Ok(points) = metrics_file::parse(file, text) {
        for (key, _, _) in &points {
            assert!(!key.is_empty() || file.ends_with("sv"), "an empty metric name from {file}");
        }
    }
}

/// SQL fragments the filter compiler may write that hold a quote: nothing else may.
const FIXED_QUOTED: &[&str] = &["ESCAPE '\\'", "THEN 'NaN'", "THEN 'false'", "ELSE 'true'"];

/// The SQL a filter or sort key compiles to holds only fixed text: one `?` per parameter, no
/// quotes, comments or statement breaks that user text could have brought in.
fn check_sql(sql: &str, params: usize) {
    let mut bare = sql.to_owned();
    for fixed in FIXED_QUOTED {
        bare = bare.replace(fixed, "");
    }
    for bad in ["'", "\"", "`", ";", "--", "/*"] {
        assert!(!bare.contains(bad), "{bad} in the SQL: {sql}");
    }
    assert_eq!(bare.matches('?').count(), params, "placeholders and parameters: {sql}");
    assert!(
        bare.chars().all(|c| c.is_ascii_alphanumeric() || " _.,()?<>=!".contains(c)),
        "unexpected characters in the SQL: {sql}"
    );
}

/// A real (empty) tracking database to prepare and run compiled SQL against.
fn database() -> &'static Mutex<(tempfile::TempDir, rusqlite::Connection)> {
    static DB: OnceLock<Mutex<(tempfile::TempDir, rusqlite::Connection)>> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let conn = crate::tracking::db::open(&dir.path().join("mlx.db")).expect("a database");
        Mutex::new((dir, conn))
    })
}

fn run_sql(sql: &str, params: &[rusqlite::types::Value]) {
    let guard = database().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let conn = &guard.1;
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    for row in rows {
        row.unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
}

/// A filter expression (`--filter`, `exp check`): compiles to SQL that only ever holds user text
/// as parameters, and that SQLite accepts and runs.
pub fn filter(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(f) = filter::compile(text) else { return };
    check_sql(&f.sql, f.params.len());
    run_sql(&format!("SELECT r.id FROM runs r WHERE {}", f.sql), &f.params);
    for c in f.comparisons() {
        let (sql, params) = filter::value_sql(&c.field);
        check_sql(&sql, params.len());
        let (sql, params) = c.to_sql().expect("a compiled comparison compiles alone");
        check_sql(&sql, params.len());
    }
}

/// A sort key (`--sort`).
pub fn sort_key(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(sort) = filter::parse_sort(text) else { return };
    let (sql, params) = filter::order_sql(&sort);
    check_sql(&sql, params.len());
    run_sql(&format!("SELECT r.id FROM runs r ORDER BY {sql}"), &params);
}

/// `$MLX_METRICS_FILE`: JSON lines a command appends while it runs.
pub fn metrics_jsonl(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        if let Ok(point) = crate::tracking::launch::read_metric_line(line) {
            assert!(!point.key.is_empty(), "a metric without a name");
        }
    }
}

/// The time-boxed run of every `cargo test`: each target over its committed seeds, then over
/// mutations of them from a small deterministic mutator. The long runs use cargo-fuzz.
#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::time::{Duration, Instant};

    use super::TARGETS;

    /// Pieces that reach the interesting branches of these formats sooner than random bytes.
    const TOKENS: &[&[u8]] = &[
        b"(",
        b")",
        b"[",
        b"]",
        b"{",
        b"}",
        b"\"",
        b"'",
        b"`",
        b"\n",
        b"\0",
        b"=",
        b".",
        b",",
        b":",
        b" and ",
        b" or ",
        b"not ",
        b" in (",
        b" like ",
        b" is null",
        b"${item}",
        b"${key}",
        b"${item.a}",
        b"\\${",
        b"0",
        b"-1",
        b"1e309",
        b"nan",
        b"-inf",
        b"NaN",
        b"Infinity",
        b"18446744073709551615",
        b"9223372036854775808",
        b"2026-11-01T10:00:00Z",
        b"../",
        b"/",
        b".git/",
        b"&a ",
        b"*a",
        b"!tag ",
        b"[[stages.a.outs]]\n",
        b"[stages.a]\n",
        b"foreach = [1, 2]\n",
        b"matrix = { a = [1, 2], b = [3, 4] }\n",
        b"cmd = \"x\"\n",
        b"metrics.",
        b"params.",
        b"tags.",
        b"status",
        b"start",
        b"\"path\":",
        b"\"hash\":",
        b"\"size\":",
        b"\"dir\":true",
        b"\"symlink\":",
        b"_hex\":\"ff\"",
    ];

    fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, other: &[u8]) {
        for _ in 0..rng.usize(1..=4) {
            let at = rng.usize(..=input.len());
            match rng.u8(..7) {
                0 if !input.is_empty() => {
                    let i = rng.usize(..input.len());
                    input[i] ^= 1 << rng.u8(..8);
                }
                1 => input.insert(at, rng.u8(..)),
                2 if !input.is_empty() => {
                    let end = (at + rng.usize(1..=8)).min(input.len());
                    input.drain(at.min(end)..end);
                }
                3 => {
                    let token = TOKENS[rng.usize(..TOKENS.len())];
                    input.splice(at..at, token.iter().copied());
                }
                4 if !input.is_empty() => {
                    // Repeat a piece: deep nesting, long lists.
                    let start = rng.usize(..input.len());
                    let end = (start + rng.usize(1..=16)).min(input.len());
                    let piece = input[start..end].to_vec();
                    for _ in 0..rng.usize(1..=64) {
                        input.splice(start..start, piece.iter().copied());
                    }
                }
                5 if !other.is_empty() => {
                    // Splice in a piece of another seed.
                    let start = rng.usize(..other.len());
                    let end = (start + rng.usize(1..=64)).min(other.len());
                    input.splice(at..at, other[start..end].iter().copied());
                }
                _ if !input.is_empty() => {
                    let i = rng.usize(..input.len());
                    input[i] = TOKENS[rng.usize(..TOKENS.len())][0];
                }
                _ => input.push(rng.u8(..)),
            }
        }
        input.truncate(16 * 1024);
    }

    fn seeds(target: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a corpus entry").path())
            .collect();
        files.sort();
        files.iter().map(|f| std::fs::read(f).expect("a seed")).collect()
    }

    fn run(target: &str, body: fn(&[u8]), input: &[u8]) {
        if catch_unwind(AssertUnwindSafe(|| body(input))).is_err() {
            panic!(
                "fuzz target {target} failed on this input (add it to fuzz/corpus/{target}/):\n{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// Seconds per target: `MLX_FUZZ_SECONDS` (default 2).
    fn budget() -> Duration {
        let secs = std::env::var("MLX_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
        Duration::from_secs_f64(secs.unwrap_or(2.0))
    }

    /// Every seed, then mutations of them until the time is up.
    #[allow(clippy::print_stderr)]
    fn smoke(target: &str) {
        let (index, body) = TARGETS
            .iter()
            .enumerate()
            .find_map(|(i, (name, body))| (*name == target).then_some((i, *body)))
            .expect("a known target");
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for seed in &seeds {
            run(target, body, seed);
        }
        let mut rng = fastrand::Rng::with_seed(0x6d6c_7800 + index as u64);
        let budget = budget();
        let start = Instant::now();
        let mut execs = 0_u64;
        while start.elapsed() < budget {
            let mut input = seeds[rng.usize(..seeds.len())].clone();
            let other = &seeds[rng.usize(..seeds.len())];
            for _ in 0..rng.usize(1..=8) {
                mutate(&mut rng, &mut input, other);
                run(target, body, &input);
                execs += 1;
            }
        }
        eprintln!("fuzz smoke {target}: {execs} executions in {:.1?}", start.elapsed());
    }

    macro_rules! smoke_tests {
        ($($name:ident),* $(,)?) => {
            $( #[test] fn $name() { smoke(stringify!($name)); } )*

            #[test]
            fn every_target_has_a_smoke_test() {
                let tested = [$(stringify!($name)),*];
                for (name, _) in TARGETS {
                    assert!(tested.contains(name), "{name} has no smoke test");
                }
            }
        };
    }

    smoke_tests!(
        pointer,
        manifest,
        mlx_toml,
        mlx_lock,
        params,
        params_override,
        metrics_file,
        filter,
        sort_key,
        metrics_jsonl,
    );
}
