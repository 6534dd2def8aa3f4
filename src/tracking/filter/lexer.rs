//! Splits a filter expression into tokens, each with the 1-based character column it starts at.
//! Knows nothing about fields or SQL.

use super::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare word: a keyword, an attribute, or `prefix.key` (letters, digits, `_ - / .`).
    Word(String),
    /// A quoted string; `quote` is `'`, `"` or `` ` ``.
    Str {
        text: String,
        quote: char,
    },
    /// A number as written (`3`, `-0.5`, `1e-3`, `-inf`).
    Number(String),
    /// `=`, `!=`, `<`, `<=`, `>`, `>=` (`==` and `<>` are read as `=` and `!=`).
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based column of the first character.
    pub col: usize,
    /// 1-based column just after the last character.
    pub end: usize,
    /// Byte range in the source.
    pub span: (usize, usize),
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Characters a bare key may hold after its first one.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.')
}

pub(super) fn tokenize(src: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(src.len(), |(b, _)| *b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let start = i;
        let push = |out: &mut Vec<Token>, tok: Tok, end: usize| {
            out.push(Token {
                tok,
                col: start + 1,
                end: end + 1,
                span: (byte_at(start), byte_at(end)),
            });
        };
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).map(|(_, c)| *c);
        match c {
            '(' => {
                i += 1;
                push(&mut out, Tok::LParen, i);
            }
            ')' => {
                i += 1;
                push(&mut out, Tok::RParen, i);
            }
            ',' => {
                i += 1;
                push(&mut out, Tok::Comma, i);
            }
            '=' => {
                i += if next == Some('=') { 2 } else { 1 };
                push(&mut out, Tok::Op("="), i);
            }
            '!' if next == Some('=') => {
                i += 2;
                push(&mut out, Tok::Op("!="), i);
            }
            '<' => {
                let (op, n) = match next {
                    Some('=') => ("<=", 2),
                    Some('>') => ("!=", 2),
                    _ => ("<", 1),
                };
                i += n;
                push(&mut out, Tok::Op(op), i);
            }
            '>' => {
                let (op, n) = if next == Some('=') { (">=", 2) } else { (">", 1) };
                i += n;
                push(&mut out, Tok::Op(op), i);
            }
            '\'' | '"' | '`' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i).map(|(_, c)| *c) {
                        None => {
                            return Err(FilterError::new(start + 1, "unterminated string"));
                        }
                        Some(q) if q == c => {
                            // A doubled quote stands for one quote character.
                            if chars.get(i + 1).map(|(_, c)| *c) == Some(c) {
                                text.push(c);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(other) => {
                            text.push(other);
                            i += 1;
                        }
                    }
                }
                push(&mut out, Tok::Str { text, quote: c }, i);
            }
            c if c.is_ascii_digit()
                || (c == '.' && next.is_some_and(|n| n.is_ascii_digit()))
                || (matches!(c, '-' | '+')
                    && next.is_some_and(|n| n.is_ascii_digit() || n == '.')) =>
            {
                i = number_end(&chars, i);
                let text: String = chars[start..i].iter().map(|(_, c)| *c).collect();
                push(&mut out, Tok::Number(text), i);
            }
            '-' | '+' if next.is_some_and(is_word_start) => {
                // `-inf`, `+inf`: the only words a sign may precede.
                let mut j = i + 1;
                while j < chars.len() && is_word_char(chars[j].1) {
                    j += 1;
                }
                let word: String = chars[i + 1..j].iter().map(|(_, c)| *c).collect();
                if !matches!(word.to_ascii_lowercase().as_str(), "inf" | "infinity") {
                    return Err(FilterError::new(
                        start + 1,
                        format!("unexpected '{c}' before '{word}'"),
                    ));
                }
                i = j;
                push(&mut out, Tok::Number(format!("{c}{word}")), i);
            }
            c if is_word_start(c) => {
                while i < chars.len() && is_word_char(chars[i].1) {
                    i += 1;
                }
                let text: String = chars[start..i].iter().map(|(_, c)| *c).collect();
                push(&mut out, Tok::Word(text), i);
            }
            other => {
                let hint = match other {
                    '&' => " (write 'and')",
                    '|' => " (write 'or')",
                    '!' => " (write 'not', or '!=' to compare)",
                    _ => "",
                };
                return Err(FilterError::new(
                    start + 1,
                    format!("unexpected character '{other}'{hint}"),
                ));
            }
        }
    }
    let n = chars.len();
    out.push(Token { tok: Tok::Eof, col: n + 1, end: n + 1, span: (src.len(), src.len()) });
    Ok(out)
}

/// Index just after a number starting at `i`: sign, digits, fraction, exponent.
fn number_end(chars: &[(usize, char)], mut i: usize) -> usize {
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    if matches!(at(i), Some('-' | '+')) {
        i += 1;
    }
    while at(i).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
    }
    if at(i) == Some('.') {
        i += 1;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
    }
    if matches!(at(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(at(j), Some('-' | '+')) {
            j += 1;
        }
        if at(j).is_some_and(|c| c.is_ascii_digit()) {
            while at(j).is_some_and(|c| c.is_ascii_digit()) {
                j += 1;
            }
            i = j;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_numbers_strings_and_operators() {
        assert_eq!(
            toks("metrics.val-loss<=-1.5e-3 AND name=='it''s'"),
            vec![
                Tok::Word("metrics.val-loss".into()),
                Tok::Op("<="),
                Tok::Number("-1.5e-3".into()),
                Tok::Word("AND".into()),
                Tok::Word("name".into()),
                Tok::Op("="),
                Tok::Str { text: "it's".into(), quote: '\'' },
                Tok::Eof,
            ]
        );
        assert_eq!(
            toks("params.`learning rate` <> -inf"),
            vec![
                Tok::Word("params.".into()),
                Tok::Str { text: "learning rate".into(), quote: '`' },
                Tok::Op("!="),
                Tok::Number("-inf".into()),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let t = tokenize("metrics.точность > 1").unwrap();
        assert_eq!((t[0].col, t[0].end), (1, 17));
        assert_eq!(t[1].col, 18);
        assert_eq!(t[2].col, 20);
    }

    #[test]
    fn unterminated_string_points_at_its_quote() {
        let e = tokenize("name = 'abc").unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (8, "unterminated string"));
        let e = tokenize("a & b").unwrap_err();
        assert_eq!(e.column, 3);
        assert!(e.message.contains("write 'and'"), "{e}");
    }
}
