//! Small text helpers shared by the core: "did you mean" suggestions for mistyped stage,
//! remote and filter names. Pure functions; nothing here knows about those names.

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

#[cfg(test)]
mod tests {
    use super::*;

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
