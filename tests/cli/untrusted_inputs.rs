//! Inputs built to exhaust mlx (found by fuzzing or by reading the parsers): each is refused
//! with a clear message and exit 2, quickly, instead of a stack overflow, a hang or gigabytes
//! of memory. The fuzz targets themselves are in src/fuzzing.rs.

use std::time::{Duration, Instant};

use crate::support::{TestProject, stderr};

/// Runs `mlx ARGS`, expects exit 2 within a few seconds and returns stderr.
fn refused(p: &TestProject, args: &[&str]) -> String {
    let start = Instant::now();
    let a = p.mlx(args).code(2);
    assert!(start.elapsed() < Duration::from_secs(20), "{args:?} took {:?}", start.elapsed());
    stderr(&a)
}

/// Issue 12: 10,000 nested parentheses overflowed the stack (exit 134).
#[test]
fn deeply_nested_filters_are_input_errors() {
    let p = TestProject::initialized();
    let deep = format!("{}metrics.acc > 1{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = refused(&p, &["exp", "list", "--filter", &deep]);
    assert!(
        err.starts_with(
            "error: invalid filter at column 65: the filter nests parentheses and 'not' more than 64 levels deep"
        ),
        "{err}"
    );
    let nots = format!("{}metrics.acc > 1", "not ".repeat(10_000));
    let err = refused(&p, &["exp", "check", &nots]);
    assert!(err.contains("more than 64 levels deep"), "{err}");
    // A long flat chain is fine: it is not nesting.
    let chain = vec!["metrics.acc > 1"; 5000].join(" or ");
    p.mlx(&["exp", "list", "--filter", &chain]).success();
}

#[test]
fn a_matrix_of_millions_of_stages_is_an_input_error() {
    let p = TestProject::initialized();
    let axes: Vec<String> =
        (0..8).map(|i| format!("a{i} = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]")).collect();
    p.write(
        "mlx.toml",
        format!("[stages.sweep]\ncmd = \"echo\"\nmatrix = {{ {} }}\n", axes.join(", ")),
    );
    let err = refused(&p, &["dag"]);
    assert!(
        err.contains(
            "mlx.toml:3:10: stage sweep expands to more stages than the 10000 a pipeline may have"
        ),
        "{err}"
    );
}

#[test]
fn deeply_nested_params_files_are_input_errors() {
    let p = TestProject::initialized();
    p.write(
        "mlx.toml",
        "[stages.train]\ncmd = \"echo\"\nparams = [\"params.yaml:lr\", \"params.json:lr\"]\n",
    );
    p.write("params.json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)));
    p.write("params.yaml", format!("{}1{}", "{a: ".repeat(100_000), "}".repeat(100_000)));
    let err = refused(&p, &["run", "--dry-run"]);
    assert!(
        err.contains(
            "params.yaml: 100000 `[` and `{` in 500001 bytes of YAML would take the reader too long"
        ),
        "{err}"
    );
    p.write("params.yaml", "lr: 0.1\n");
    let err = refused(&p, &["run", "--dry-run"]);
    assert!(err.contains("params.json:1:128: recursion limit exceeded"), "{err}");
    let key = vec!["a"; 200].join(".");
    let err = refused(&p, &["run", "--dry-run", "--set", &format!("{key}=1")]);
    assert!(err.contains("the key has more than 32 dotted parts"), "{err}");
}
