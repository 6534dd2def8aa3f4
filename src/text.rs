//! Small text helpers shared by the core and the CLI: counts with their nouns ("1 file",
//! "2 files") and "did you mean" suggestions for mistyped stage, remote and filter names. Pure
//! functions; nothing here knows about those names.

/// "1 object", "2 objects", "0 objects": a count with its noun, plural unless it is one. For
/// nouns whose plural is not NOUN + "s", use [`counted_as`].
pub fn counted(n: impl TryInto<u64>, noun: &str) -> String {
    let n = as_count(n);
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// "1 entry", "2 entries": a count with the singular or the plural given.
pub fn counted_as(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n = as_count(n);
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// The singular or the plural of a noun for a count (for phrases where the count is written
/// elsewhere, such as "3 of 5 params").
pub fn noun_for<'a>(n: impl TryInto<u64>, one: &'a str, many: &'a str) -> &'a str {
    if as_count(n) == 1 { one } else { many }
}

/// Any unsigned count (`usize`, `u32`, `u64`) as a `u64`; a negative one reads as 0.
fn as_count(n: impl TryInto<u64>) -> u64 {
    n.try_into().unwrap_or(0)
}

/// Whether `text` matches `pattern`: `*` any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a likely typo: at most a third
/// of `word`'s characters (and at least 2) edits away, and not a complete rewrite of the
/// candidate. The first of equally close candidates wins.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= limit && *d < c.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Keys among `candidates` that look like what `word` meant, best first, at most `max`. Keys are
/// made of parts separated by `.`, `:` or `/` (`params.yaml:train.lr`): a likely typo of the
/// whole key ([`closest`]) comes first, then keys that end with `word` or that `word` ends with
/// (`params.yaml:train.lr` and `lr` for `train.lr`), then keys sharing fewer trailing parts
/// (`model.lr`), then keys that start the other (`acc` for `accuracy`); longer shared tails,
/// then fewer edits, first.
pub fn similar_keys<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Vec<&'a str> {
    fn parts(key: &str) -> Vec<&str> {
        key.split(['.', ':', '/']).filter(|p| !p.is_empty()).collect()
    }
    fn common_tail(a: &[&str], b: &[&str]) -> usize {
        a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x.eq_ignore_ascii_case(y)).count()
    }
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let typo = closest(word, candidates.iter().copied());
    let wanted = parts(word);
    let lower = word.to_lowercase();
    let starts = |c: &str| {
        let c = c.to_lowercase();
        c.len().min(lower.len()) >= 3 && (c.starts_with(&lower) || lower.starts_with(&c))
    };
    // (typo, one ends with the other, shared tail, one starts the other, edits, key)
    let mut scored: Vec<(bool, bool, usize, bool, usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            let theirs = parts(c);
            let tail = common_tail(&wanted, &theirs);
            let whole = tail > 0 && (tail == wanted.len() || tail == theirs.len());
            (typo == Some(c), whole, tail, starts(c), edit_distance(word, c), c)
        })
        .filter(|(typo, _, tail, starts, _, _)| *typo || *tail > 0 || *starts)
        .collect();
    scored.sort_by(|a, b| {
        (b.0, b.1, b.2, b.3).cmp(&(a.0, a.1, a.2, a.3)).then(a.4.cmp(&b.4)).then(a.5.cmp(b.5))
    });
    scored.into_iter().take(max).map(|(.., c)| c).collect()
}

/// JSON text with bare `NaN`, `Infinity` and `-Infinity` (outside strings) quoted; `None` when
/// there are none. Python's `json.dump` writes them, and they are not JSON.
pub fn quote_non_finite(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut changed = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) =
            ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t))
        {
            out.push('"');
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            changed = true;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_singular_for_one_only() {
        assert_eq!(counted(1u64, "stage"), "1 stage");
        assert_eq!(counted(0u64, "stage"), "0 stages");
        assert_eq!(counted(2u64, "stage"), "2 stages");
        assert_eq!(counted(1u32, "run record"), "1 run record");
        assert_eq!(counted(5usize, "file"), "5 files");
        assert_eq!(counted_as(1u64, "entry", "entries"), "1 entry");
        assert_eq!(counted_as(3u64, "entry", "entries"), "3 entries");
        assert_eq!(noun_for(1u64, "param", "params"), "param");
        assert_eq!(noun_for(7u64, "param", "params"), "params");
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("train", "train"), 0);
        assert_eq!(edit_distance("trian", "train"), 2);
        assert_eq!(edit_distance("prepare", "prepar"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("métrics", "metrics"), 1);
    }

    #[test]
    fn similar_keys_match_typos_and_shared_tails() {
        let keys = ["lr", "params.yaml:train.lr", "train.epochs", "model.lr", "seed"];
        assert_eq!(similar_keys("train.lr", keys, 3), ["params.yaml:train.lr", "lr", "model.lr"]);
        assert_eq!(similar_keys("sed", keys, 3), ["seed"]);
        assert_eq!(similar_keys("train.lrr", ["train.lr", "lr"], 3), ["train.lr"]);
        assert_eq!(similar_keys("LR", keys, 1), ["lr"]);
        assert!(similar_keys("batch", keys, 3).is_empty());
        assert_eq!(similar_keys("accuracy", ["acc", "loss"], 3), ["acc"]);
    }

    #[test]
    fn closest_suggests_only_likely_typos() {
        let names = ["prepare", "train", "evaluate"];
        assert_eq!(closest("trian", names), Some("train"));
        assert_eq!(closest("evalute", names), Some("evaluate"));
        assert_eq!(closest("zzzzzz", names), None);
        // Two edits turn "ab" into anything of length two: not a suggestion.
        assert_eq!(closest("zz", ["ab"]), None);
        assert_eq!(closest("stroage", ["backup", "storage"]), Some("storage"));
    }
}
