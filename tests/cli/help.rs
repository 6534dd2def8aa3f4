//! `--help` quality: every visible command has a one-line summary and examples that parse with
//! the current CLI; unknown subcommands and stages get a "did you mean"; input errors end with a
//! hint naming the next command.

use std::process::Command;

use crate::reference::{mlx_output, subcommands};
use crate::support::{TestProject, stderr};

/// Every visible command path below `mlx` (`["add"]`, `["exp", "list"]`, …), depth first.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(path: &[String], out: &mut Vec<Vec<String>>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        for sub in subcommands(&mlx_output(&args)) {
            let mut next = path.to_vec();
            next.push(sub);
            out.push(next.clone());
            walk(&next, out);
        }
    }
    let mut out = Vec::new();
    walk(&[], &mut out);
    out
}

/// The lines under `Examples:` in a help text, without their indentation.
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// The arguments of each `mlx` command in a shell line: quotes removed, stopping at pipes,
/// `&&`, `||`, `;`, redirections and comments. Enough shell for one-line examples.
fn mlx_invocations(line: &str) -> Vec<Vec<String>> {
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    let mut skip_next_word = false;
    let end_word = |word: &mut Option<String>, commands: &mut Vec<Vec<String>>, skip: &mut bool| {
        if let Some(w) = word.take() {
            if *skip {
                *skip = false;
            } else {
                commands.last_mut().unwrap().push(w);
            }
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            '#' if word.is_none() => break,
            '|' | '&' | ';' => {
                end_word(&mut word, &mut commands, &mut skip_next_word);
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                commands.push(Vec::new());
            }
            '>' | '<' => {
                end_word(&mut word, &mut commands, &mut skip_next_word);
                skip_next_word = true;
            }
            c if c.is_whitespace() => end_word(&mut word, &mut commands, &mut skip_next_word),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    end_word(&mut word, &mut commands, &mut skip_next_word);
    commands
        .into_iter()
        .filter(|words| words.first().is_some_and(|w| w == "mlx"))
        .map(|words| words[1..].to_vec())
        .collect()
}

#[test]
fn mlx_invocations_reads_shell_lines() {
    assert_eq!(
        mlx_invocations(r#"git init && mlx init && git add mlx.toml"#),
        vec![vec!["init".to_owned()]]
    );
    assert_eq!(
        mlx_invocations(r#"mlx sql "SELECT 'a' FROM runs" --csv > out.csv   # save it"#),
        vec![vec!["sql".to_owned(), "SELECT 'a' FROM runs".to_owned(), "--csv".to_owned()]]
    );
    assert_eq!(
        mlx_invocations("mlx dag --format dot | dot -Tsvg > dag.svg"),
        vec![vec!["dag".to_owned(), "--format".to_owned(), "dot".to_owned()]]
    );
    let args = |line: &str| mlx_invocations(line).remove(0);
    assert!(parse_error(&args("mlx exp list --limit 5")).is_none());
    assert!(parse_error(&args("mlx exp list --limt 5")).is_some());
    assert!(parse_error(&args("mlx remote add storage")).is_some());
}

/// Whether `mlx ARGS` gets past argument parsing: with a `-C` folder that does not exist, a
/// command line clap accepts fails right after parsing, before anything runs.
fn parse_error(args: &[String]) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_mlx"))
        .arg("-C")
        .arg("/nonexistent/mlx-help-test")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("mlx runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (!stderr.contains("cannot use directory /nonexistent/mlx-help-test")).then_some(stderr)
}

#[test]
fn every_command_has_a_summary_and_examples() {
    let paths = command_paths();
    assert!(paths.iter().any(|p| p == &["exp", "list"]), "nested commands are walked: {paths:?}");
    let mut problems = Vec::new();
    for path in &paths {
        let name = format!("mlx {}", path.join(" "));
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("-h");
        let short = mlx_output(&args);
        let lines: Vec<&str> = short.lines().collect();
        if lines.first().is_none_or(|l| l.trim().is_empty() || l.starts_with("Usage:"))
            || lines.get(1) != Some(&"")
        {
            problems.push(format!("{name}: no one-line summary (the first doc comment line)"));
        }
        *args.last_mut().unwrap() = "--help";
        let examples = examples(&mlx_output(&args));
        if examples.is_empty() {
            problems.push(format!("{name}: no `Examples:` in after_help"));
        }
        let mut invokes_itself = false;
        for example in &examples {
            let invocations = mlx_invocations(example);
            if invocations.is_empty() {
                problems.push(format!("{name}: example without an mlx command: {example}"));
            }
            for invocation in invocations {
                invokes_itself |= invocation.starts_with(path);
                if let Some(stderr) = parse_error(&invocation) {
                    problems.push(format!("{name}: example `{example}` does not parse:\n{stderr}"));
                }
            }
        }
        if !examples.is_empty() && !invokes_itself {
            problems.push(format!("{name}: no example runs `{name}`"));
        }
    }
    assert!(problems.is_empty(), "--help problems:\n{}", problems.join("\n"));
}

#[test]
fn unknown_subcommands_suggest_the_closest() {
    for (args, suggestion) in [
        (&["stauts"][..], "status"),
        (&["exp", "lst"][..], "list"),
        (&["remote", "ad"][..], "add"),
        (&["cache", "verfy"][..], "verify"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mlx"))
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("mlx runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "mlx {args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("a similar subcommand exists: '{suggestion}'")),
            "mlx {args:?} suggests {suggestion}: {stderr}"
        );
    }
}

#[test]
fn input_errors_end_with_a_hint_naming_the_next_command() {
    let p = TestProject::initialized();
    p.write("data/images/a.txt", "a");
    p.write("data/b.txt", "b");
    p.mlx(&["add", "data/images"]).success();
    p.write(
        "mlx.toml",
        "[stages.train]\ncmd = \"true\"\nparams = [\"train.lr\"]\n\n[stages.evaluate]\ncmd = \"true\"\n",
    );
    p.write("params.toml", "[train]\nlr = 1\n");
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["add", "data/images/a.txt"],
            "error: data/images/a.txt is inside data/images, which mlx already tracks",
            "hint: add the whole directory instead: mlx add data/images",
        ),
        (
            &["add", "data"],
            "error: data contains data/images, which mlx already tracks on its own",
            "hint: stop tracking it on its own first: mlx rm data/images",
        ),
        (
            &["exp", "show", "nope"],
            "error: no experiment or run matches \"nope\"",
            "hint: list the experiments with: mlx exp list (their runs: --stages)",
        ),
        (
            &["sql", "SELECT * FROM nope"],
            "error: sql: no such table: nope",
            "hint: list the tables with: mlx sql 'PRAGMA table_list'",
        ),
        (
            &["run", "--set", "train.lrr=2"],
            "error: params file params.toml has no key train.lrr",
            "hint: add train.lrr to params.toml, or fix the key where a stage or --set names it",
        ),
        (
            &["run", "--set", "lr"],
            "error: --set \"lr\": expected KEY=VALUE",
            "hint: write it as --set train.lr=0.1, or --set FILE:KEY=VALUE for another params file",
        ),
        (
            &["ls", "--rev", "HEAD"],
            "error: this repository has no commits yet, so there is no revision \"HEAD\" to read",
            "hint: make a first commit: git add -A && git commit",
        ),
        (
            &["run", "--single", "evalute"],
            "error: unknown stage evalute (did you mean evaluate?)",
            "hint: list the stages with: mlx dag",
        ),
    ];
    for (args, error, hint) in cases {
        let a = p.mlx(args).code(2);
        assert_eq!(stderr(&a), format!("{error}\n{hint}\n"), "mlx {args:?}");
    }
    p.remove("params.toml");
    let a = p.mlx(&["run"]).code(2);
    assert!(
        stderr(&a).ends_with(
            "hint: create params.toml, or fix the name where a stage or --set gives it\n"
        ),
        "{}",
        stderr(&a)
    );
}

#[test]
fn a_missing_object_hints_at_fetch() {
    let p = TestProject::initialized();
    p.write("data/images/a.txt", "a");
    p.mlx(&["add", "data/images"]).success();
    for (_, path) in p.objects() {
        std::fs::remove_file(path).unwrap();
    }
    let a = p.mlx(&["ls", "data/images"]).failure();
    assert!(
        stderr(&a).ends_with("hint: download it from the remote with: mlx fetch\n"),
        "{}",
        stderr(&a)
    );
}

#[test]
fn dvc_commands_typed_by_habit_name_the_mlx_command() {
    let p = TestProject::initialized();
    for (args, hint) in [
        (&["repro", "train"][..], "hint: mlx has no `repro`: `mlx run [STAGE...]`"),
        (&["-q", "commit"][..], "`mlx add PATH` tracks data"),
        (&["queue", "start"][..], "`mlx exp queue list | start [-j N] | remove NAME`"),
        (&["exp", "run", "-S", "train.lr=0.1"][..], "hint: mlx sets params with `--set`"),
        (&["stage", "add", "-n", "train"][..], "`[stages.NAME]` table"),
    ] {
        let a = p.mlx(args).code(2);
        let err = stderr(&a);
        assert!(err.contains("error:"), "{args:?}: {err}");
        assert!(err.contains(hint), "{args:?}: {err}");
        assert!(crate::support::stdout(&a).is_empty(), "{args:?}");
    }
    // Anything else is a plain usage error.
    let err = stderr(&p.mlx(&["frobnicate"]).code(2));
    assert!(!err.contains("hint:"), "{err}");
    // Nothing ran: no experiment was recorded.
    assert_eq!(p.json(&["exp", "list"])["experiments"], serde_json::json!([]));
}
