//! Corrupt or hand-edited pointer files and a malformed `mlx.toml`: exit 2 with FILE:LINE:COLUMN.

use predicates::prelude::*;

use crate::support::{TestProject, stderr};

/// A project tracking `sub/f`, whose pointer text is replaced by what `edit` returns.
fn with_pointer(edit: impl FnOnce(&str) -> String) -> TestProject {
    let p = TestProject::initialized();
    p.write("sub/f", "content\n");
    p.mlx(&["add", "sub/f"]).success();
    let good = p.read_string("sub/f.mlx");
    p.write("sub/f.mlx", edit(&good));
    p
}

fn assert_bad_pointer(p: &TestProject, position: &str, message: &str) {
    for args in [&["status"][..], &["ls"], &["checkout"], &["status", "sub/f"], &["gc", "-n"]] {
        let a = p.mlx(args).code(2);
        let err = stderr(&a);
        assert!(err.starts_with(&format!("error: sub/f.mlx:{position}: ")), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(err.contains("hint: restore the pointer from git"), "{args:?}: {err}");
    }
    assert_eq!(p.read("sub/f"), b"content\n", "the data is left alone");
}

#[test]
fn garbage_toml_pointer_names_file_line_and_column() {
    let p = with_pointer(|_| "this is = = not toml\n".into());
    assert_bad_pointer(&p, "1:6", "expected `=`");
}

#[test]
fn bad_hash_in_pointer_names_its_position() {
    let p = with_pointer(|good| {
        let line = good.lines().find(|l| l.starts_with("hash = ")).unwrap().to_owned();
        good.replace(&line, "hash = \"not-a-hash\"")
    });
    assert_bad_pointer(&p, "4:8", "invalid object hash \"not-a-hash\"");
}

#[test]
fn uppercase_hash_in_pointer_is_rejected() {
    let p = with_pointer(|good| {
        let line = good.lines().find(|l| l.starts_with("hash = ")).unwrap().to_owned();
        good.replace(&line, &line.to_uppercase().replace("HASH", "hash"))
    });
    assert_bad_pointer(&p, "4:8", "expected 64 lowercase hex digits");
}

#[test]
fn missing_key_in_pointer_is_reported() {
    let p = with_pointer(|good| {
        good.lines().filter(|l| !l.starts_with("size")).collect::<Vec<_>>().join("\n")
    });
    assert_bad_pointer(&p, "1:1", "missing field `size`");
}

#[test]
fn unknown_key_in_pointer_is_reported() {
    let p = with_pointer(|good| format!("{good}colour = \"blue\"\n"));
    assert_bad_pointer(&p, "7:1", "unknown field `colour`");
}

#[test]
fn unsupported_pointer_format_is_reported() {
    let p = with_pointer(|good| good.replace("mlx = 1", "mlx = 9"));
    assert_bad_pointer(&p, "1:1", "pointer format 9 is not supported");
}

#[test]
fn wrong_kind_in_pointer_is_reported() {
    let p = with_pointer(|good| good.replace("kind = \"file\"", "kind = \"blob\""));
    assert_bad_pointer(&p, "3:8", "unknown variant `blob`");
}

#[test]
fn non_utf8_pointer_is_reported() {
    let p = TestProject::initialized();
    p.write("f", "x");
    p.mlx(&["add", "f"]).success();
    p.write("f.mlx", b"mlx = 1\n\xff\xfe\n");
    p.mlx(&["status"]).code(2).stderr(predicate::str::contains("f.mlx:1:1: not UTF-8"));
}

#[test]
fn re_adding_repairs_a_corrupt_pointer() {
    let p = with_pointer(|_| "garbage = = =".into());
    p.mlx(&["add", "sub/f"]).success().stdout(predicate::str::starts_with("added"));
    p.mlx(&["status", "--check"]).success();
}

#[test]
fn malformed_mlx_toml_names_line_and_column() {
    let p = TestProject::initialized();
    p.write("mlx.toml", "[cache]\ntype = \"copy\"\n[unclosed\n");
    for args in [&["status"][..], &["add", "x"], &["ls"], &["gc"], &["init"]] {
        let a = p.mlx(args).code(2);
        assert!(stderr(&a).contains("error: mlx.toml:3:10: "), "{args:?}: {}", stderr(&a));
    }
    p.write("mlx.toml", "[core]\nlock_timout = 3\n");
    p.mlx(&["status"])
        .code(2)
        .stderr(predicate::str::contains("mlx.toml:2:1: unknown field `lock_timout`"));
    p.write("mlx.toml", "[cache]\ntype = []\n");
    p.mlx(&["status"]).code(2).stderr(predicate::str::contains("mlx.toml:2:8: "));
}
