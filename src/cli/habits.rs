//! Commands and flags typed by habit from DVC (`mlx repro`, `mlx exp run -S`): when clap refuses
//! a command line, the mlx command that does the job is named in a hint after clap's error.

/// What to run instead of a DVC command or flag mlx does not have, for the arguments given
/// (without the program name); `None` when the line is not a DVC habit.
pub fn hint(args: &[String]) -> Option<String> {
    // The words of the command line from the first one that is not a global flag (`-C DIR`
    // takes a value).
    let mut rest = args.iter().map(String::as_str).peekable();
    while let Some(a) = rest.peek() {
        match *a {
            "-C" => {
                rest.next();
                rest.next();
            }
            a if a.starts_with('-') => {
                rest.next();
            }
            _ => break,
        }
    }
    let words: Vec<&str> = rest.collect();
    let first = *words.first()?;
    let second = words.get(1).copied().unwrap_or("");
    let has = |flag: &str| args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    Some(match (first, second) {
        ("repro", _) => {
            "mlx has no `repro`: `mlx run [STAGE...]` reruns the stages whose command, \
                         deps or params changed (`--force` reruns them all)"
                .to_owned()
        }
        ("commit", _) => {
            "mlx has no `commit`: `mlx run` records the outputs of the stages it runs, \
                          and `mlx add PATH` tracks data; then commit the pointers with git"
                .to_owned()
        }
        ("queue", _) => "the queue is under `mlx exp`: `mlx exp run --queue --set K=V`, then \
                         `mlx exp queue list | start [-j N] | remove NAME`"
            .to_owned(),
        ("exp", "run") if has("-S") || has("--set-param") => {
            "mlx sets params with `--set`: `mlx exp run --set train.lr=0.1`".to_owned()
        }
        ("exp", "show") => "`mlx exp list` shows experiments (one row each, params and metrics; \
                            `--stages` for stage runs); `mlx exp show EXP` shows one"
            .to_owned(),
        ("exp", "remove") => "`mlx exp rm EXP...` removes experiments".to_owned(),
        ("stage", _) => "mlx has no `stage` command: add a `[stages.NAME]` table with `cmd`, \
                         `deps` and `outs` to mlx.toml"
            .to_owned(),
        ("freeze" | "unfreeze", _) => "mlx has no frozen stages: `mlx run STAGE --single` runs \
                                       one stage; leave a stage out by naming the others"
            .to_owned(),
        ("data", "status") => "`mlx status` shows changed data".to_owned(),
        ("move" | "mv", _) => "move a tracked path with `git mv PATH.mlx NEW.mlx` and the data \
                               itself, then `mlx add NEW`"
            .to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(line: &str) -> Option<String> {
        hint(&line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    }

    #[test]
    fn dvc_habits_name_the_mlx_command() {
        assert!(of("repro train").unwrap().contains("mlx run"));
        assert!(of("-q repro").unwrap().contains("mlx run"));
        assert!(of("-C repro commit").unwrap().contains("mlx add"));
        assert!(of("commit").unwrap().contains("mlx add"));
        assert!(of("queue start").unwrap().contains("mlx exp queue"));
        assert!(of("exp run -S train.lr=0.1").unwrap().contains("--set"));
        assert!(of("exp run --set-param=train.lr=0.1").unwrap().contains("--set"));
        assert!(of("exp show").unwrap().contains("mlx exp list"));
        assert_eq!(of("exp run --set a=1"), None);
        assert_eq!(of("frobnicate"), None);
        assert_eq!(of(""), None);
    }
}
