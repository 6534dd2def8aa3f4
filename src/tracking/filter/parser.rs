//! Recursive descent over the tokens: `or` binds loosest, then `and`, then `not`.
//!
//! ```text
//! expr       := and ('or' and)*
//! and        := unary ('and' unary)*
//! unary      := 'not' unary | '(' expr ')' | comparison
//! comparison := field ( OP value | ['not'] ('like' | 'ilike') value
//!                     | ['not'] 'in' '(' value (',' value)* ')' | 'is' ['not'] 'null' )
//! field      := ATTRIBUTE | PREFIX '.' KEY | PREFIX '.' ("KEY" | `KEY`)
//! ```

use super::lexer::{Tok, Token, tokenize};
use super::{Attr, Comparison, Expr, Field, FilterError, LitValue, Literal, Op, Sort, suggest};

/// How deeply parentheses and `not` may nest. Chains of `and`/`or` do not count: they are
/// built as balanced trees, so their depth grows with the logarithm of their length.
pub const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Parentheses and `not` open around the current token.
    depth: usize,
}

/// Parse a filter expression.
pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let mut p = Parser { src, toks: tokenize(src)?, pos: 0, depth: 0 };
    if p.peek().tok == Tok::Eof {
        return Err(FilterError::new(1, "empty filter expression"));
    }
    let expr = p.or()?;
    p.expect_end()?;
    Ok(expr)
}

/// Parse a sort key: `FIELD`, `-FIELD`, `FIELD asc` or `FIELD desc`.
pub fn parse_sort(src: &str) -> Result<Sort, FilterError> {
    // A leading sign becomes a space, so columns still match what the user typed.
    let trimmed = src.trim_start();
    let lead = src.len() - trimmed.len();
    let (descending, text) = match trimmed.chars().next() {
        Some(sign @ ('-' | '+')) => {
            let mut t = src.to_owned();
            t.replace_range(lead..lead + 1, " ");
            (sign == '-', t)
        }
        _ => (false, src.to_owned()),
    };
    let mut p = Parser { src: &text, toks: tokenize(&text)?, pos: 0, depth: 0 };
    if p.peek().tok == Tok::Eof {
        return Err(FilterError::new(1, "empty sort key"));
    }
    let (field, _) = p.field()?;
    let mut descending = descending;
    if let Tok::Word(w) = &p.peek().tok {
        match w.to_ascii_lowercase().as_str() {
            "asc" => {
                p.pos += 1;
            }
            "desc" => {
                descending = !descending;
                p.pos += 1;
            }
            _ => {}
        }
    }
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(FilterError::new(t.col, "expected 'asc' or 'desc' after the sort field"));
    }
    Ok(Sort { field, descending })
}

fn is_keyword(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn text(&self, t: &Token) -> &str {
        &self.src[t.span.0..t.span.1]
    }

    fn expect_end(&self) -> Result<(), FilterError> {
        let t = self.peek();
        match &t.tok {
            Tok::Eof => Ok(()),
            Tok::RParen => Err(FilterError::new(t.col, "unexpected ')' with no '(' to close")),
            _ => Err(FilterError::new(
                t.col,
                format!("expected 'and' or 'or' before '{}'", self.text(t)),
            )),
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.and()?];
        while is_keyword(&self.peek().tok, "or") {
            self.next();
            terms.push(self.and()?);
        }
        Ok(balanced(terms, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut terms = vec![self.unary()?];
        while is_keyword(&self.peek().tok, "and") {
            self.next();
            terms.push(self.unary()?);
        }
        Ok(balanced(terms, Expr::And))
    }

    /// Enter a parenthesis or a `not` at `col`; refused past [`MAX_DEPTH`].
    fn descend(&mut self, col: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                col,
                format!("the filter nests parentheses and 'not' more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if is_keyword(&self.peek().tok, "not") {
            let not = self.next();
            self.descend(not.col)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek().tok == Tok::LParen {
            let open = self.next();
            self.descend(open.col)?;
            let e = self.or()?;
            let t = self.peek();
            if t.tok != Tok::RParen {
                let what = if t.tok == Tok::Eof {
                    "the end".to_owned()
                } else {
                    format!("'{}'", self.text(t))
                };
                return Err(FilterError::new(
                    t.col,
                    format!("expected ')' to close the '(' at column {}, found {what}", open.col),
                ));
            }
            self.next();
            self.depth -= 1;
            return Ok(e);
        }
        self.comparison().map(Expr::Cmp)
    }

    fn comparison(&mut self) -> Result<Comparison, FilterError> {
        let (field, field_col) = self.field()?;
        let op_tok = self.next();
        let op = match &op_tok.tok {
            Tok::Op(s) => match *s {
                "=" => Op::Eq,
                "!=" => Op::Ne,
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                _ => Op::Ge,
            },
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                "like" => Op::Like,
                "ilike" => Op::ILike,
                "in" => Op::In,
                "not" => {
                    let t = self.next();
                    if is_keyword(&t.tok, "like") {
                        Op::NotLike
                    } else if is_keyword(&t.tok, "ilike") {
                        Op::NotILike
                    } else if is_keyword(&t.tok, "in") {
                        Op::NotIn
                    } else {
                        return Err(FilterError::new(t.col, "expected 'like' or 'in' after 'not'"));
                    }
                }
                "is" => {
                    let mut t = self.next();
                    let negated = is_keyword(&t.tok, "not");
                    if negated {
                        t = self.next();
                    }
                    if !is_keyword(&t.tok, "null") {
                        let after = if negated { "is not" } else { "is" };
                        return Err(FilterError::new(
                            t.col,
                            format!("expected 'null' after '{after}'"),
                        ));
                    }
                    if negated { Op::IsNotNull } else { Op::IsNull }
                }
                _ => return Err(self.no_operator(&field, &op_tok)),
            },
            _ => return Err(self.no_operator(&field, &op_tok)),
        };
        let values = match op {
            Op::IsNull | Op::IsNotNull => Vec::new(),
            Op::In | Op::NotIn => self.list(op)?,
            _ => vec![self.value(op)?],
        };
        let last = &self.toks[self.pos.saturating_sub(1)];
        let rhs_text = self.src[op_tok.span.0..last.span.1].to_owned();
        Ok(Comparison { field, field_col, op, op_col: op_tok.col, values, rhs_text })
    }

    fn no_operator(&self, field: &Field, t: &Token) -> FilterError {
        let found = match &t.tok {
            Tok::Eof => String::new(),
            _ => format!(", found '{}'", self.text(t)),
        };
        FilterError::new(t.col, format!("expected a comparison operator after {field}{found}"))
    }

    fn list(&mut self, op: Op) -> Result<Vec<Literal>, FilterError> {
        let t = self.next();
        if t.tok != Tok::LParen {
            return Err(FilterError::new(t.col, format!("expected '(' after '{}'", op.as_str())));
        }
        let mut values = vec![self.value(op)?];
        loop {
            let t = self.next();
            match t.tok {
                Tok::Comma => values.push(self.value(op)?),
                Tok::RParen => return Ok(values),
                _ => return Err(FilterError::new(t.col, "expected ',' or ')' in the list")),
            }
        }
    }

    fn value(&mut self, op: Op) -> Result<Literal, FilterError> {
        let t = self.next();
        let raw = self.text(&t).to_owned();
        let value =
            match &t.tok {
                Tok::Number(s) => LitValue::Number(s.parse::<f64>().map_err(|_| {
                    FilterError::new(t.col, format!("cannot read '{s}' as a number"))
                })?),
                Tok::Str { text, quote: '\'' | '"' } => LitValue::Text(text.clone()),
                Tok::Str { .. } => {
                    return Err(FilterError::new(
                        t.col,
                        "backticks quote keys; write text in 'single quotes'",
                    ));
                }
                Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                    "inf" | "infinity" => LitValue::Number(f64::INFINITY),
                    "nan" => LitValue::Number(f64::NAN),
                    "true" => LitValue::Bool(true),
                    "false" => LitValue::Bool(false),
                    "null" => {
                        return Err(FilterError::new(
                            t.col,
                            "use 'is null' or 'is not null' to test for a missing value",
                        ));
                    }
                    _ => {
                        return Err(FilterError::new(
                            t.col,
                            format!(
                                "expected a value after '{}'; quote text: '{}'",
                                op.as_str(),
                                w.replace('\'', "''")
                            ),
                        ));
                    }
                },
                _ => {
                    return Err(FilterError::new(
                        t.col,
                        format!("expected a value after '{}'", op.as_str()),
                    ));
                }
            };
        Ok(Literal { value, raw, col: t.col })
    }

    /// A field and its column.
    fn field(&mut self) -> Result<(Field, usize), FilterError> {
        let t = self.next();
        let col = t.col;
        let word = match &t.tok {
            Tok::Word(w) => w.clone(),
            Tok::Str { quote: '"' | '`', text, .. } => {
                return Err(FilterError::new(
                    col,
                    format!(
                        "expected a field; quote only the key, as in metrics.`{}`",
                        text.split_once('.').map_or(text.as_str(), |(_, k)| k)
                    ),
                ));
            }
            _ => {
                let found = match &t.tok {
                    Tok::Eof => String::new(),
                    _ => format!(", found '{}'", self.text(&t)),
                };
                return Err(FilterError::new(
                    col,
                    format!("expected a field such as metrics.acc, params.lr or status{found}"),
                ));
            }
        };
        let Some((prefix, key)) = word.split_once('.') else {
            if ["and", "or", "not", "like", "in", "is"].iter().any(|k| word.eq_ignore_ascii_case(k))
            {
                return Err(FilterError::new(
                    col,
                    format!("expected a field such as metrics.acc before '{word}'"),
                ));
            }
            return Attr::from_name(&word)
                .map(|a| (Field::Attr(a), col))
                .ok_or_else(|| unknown_attribute(&word, col));
        };
        let kind = match prefix.to_lowercase().as_str() {
            "metrics" | "metric" => "metric",
            "params" | "param" => "param",
            "tags" | "tag" => "tag",
            "attributes" | "attribute" | "attr" => "attribute",
            _ => {
                let hint = suggest(prefix, ["metrics", "params", "tags", "attributes"])
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_else(|| {
                        "; fields are metrics.KEY, params.KEY, tags.KEY or a run attribute".into()
                    });
                return Err(FilterError::new(col, format!("unknown field '{prefix}.'{hint}")));
            }
        };
        let key = if key.is_empty() {
            // `metrics."val.acc"` or metrics.`learning rate`, quote right after the dot.
            match &self.peek().tok {
                Tok::Str { text, quote: '"' | '`' } if self.peek().col == t.end => {
                    let text = text.clone();
                    self.next();
                    text
                }
                _ => {
                    return Err(FilterError::new(
                        t.end,
                        format!("expected a {kind} name after '{prefix}.'"),
                    ));
                }
            }
        } else {
            key.to_owned()
        };
        if key.is_empty() {
            return Err(FilterError::new(col, format!("empty {kind} name")));
        }
        let field = match kind {
            "metric" => Field::Metric(key),
            "param" => Field::Param(key),
            "tag" => Field::Tag(key),
            _ => Field::Attr(
                Attr::from_name(&key)
                    .ok_or_else(|| unknown_attribute(&key, col + prefix.chars().count() + 1))?,
            ),
        };
        Ok((field, col))
    }
}

/// `terms` joined by `join` as a balanced tree (left to right, earlier terms to the left), so a
/// long chain of `and` or `or` stays shallow for the walks over it and for SQLite.
fn balanced(mut terms: Vec<Expr>, join: fn(Box<Expr>, Box<Expr>) -> Expr) -> Expr {
    if terms.len() == 1 {
        return terms.pop().expect("one term");
    }
    let right = terms.split_off(terms.len().div_ceil(2));
    join(Box::new(balanced(terms, join)), Box::new(balanced(right, join)))
}

fn unknown_attribute(word: &str, col: usize) -> FilterError {
    let names = Attr::ALL.map(Attr::name);
    let aliases = ["run_id", "run_name", "git_commit", "git_branch", "start_time", "end_time"];
    let hint = match suggest(word, names.iter().copied().chain(aliases)) {
        Some(s) => format!(" (did you mean '{}'?)", Attr::from_name(s).map_or(s, Attr::name)),
        None => format!(
            "; metrics, params and tags are written metrics.{word}, params.{word}, tags.{word}"
        ),
    };
    FilterError::new(col, format!("unknown attribute '{word}'{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> (usize, String) {
        let e = parse(s).unwrap_err();
        (e.column, e.message)
    }

    fn cmp(s: &str) -> Comparison {
        match parse(s).unwrap() {
            Expr::Cmp(c) => c,
            other => panic!("not a comparison: {other:?}"),
        }
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let e = parse("status = 'finished' or NOT name = 'a' AND metrics.x > 1").unwrap();
        let Expr::Or(left, right) = e else { panic!("or at the top") };
        assert!(matches!(*left, Expr::Cmp(_)));
        let Expr::And(l, r) = *right else { panic!("and under or") };
        assert!(matches!(*l, Expr::Not(_)));
        assert!(matches!(*r, Expr::Cmp(_)));
        let e = parse("(status = 'a' or status = 'b') and dirty = false").unwrap();
        assert!(matches!(e, Expr::And(..)));
    }

    #[test]
    fn fields_keys_and_quoting() {
        assert_eq!(cmp("metrics.val.acc > 1").field, Field::Metric("val.acc".into()));
        assert_eq!(cmp("metrics.\"val acc\" > 1").field, Field::Metric("val acc".into()));
        assert_eq!(cmp("params.`learning rate` = 1").field, Field::Param("learning rate".into()));
        assert_eq!(cmp("tags.группа = 'a'").field, Field::Tag("группа".into()));
        assert_eq!(cmp("param.a/b-c = 1").field, Field::Param("a/b-c".into()));
        assert_eq!(cmp("attributes.start_time > '2026-01-01'").field, Field::Attr(Attr::Start));
        assert_eq!(cmp("RUN_NAME = 'x'").field, Field::Attr(Attr::Name));
        assert_eq!(Field::Metric("val acc".into()).to_string(), "metrics.`val acc`");
        assert_eq!(Field::Metric("val.acc".into()).to_string(), "metrics.val.acc");
    }

    #[test]
    fn operators_and_literals() {
        let c = cmp("metrics.loss not in (1, -inf, nan, 'x', true)");
        assert_eq!(c.op, Op::NotIn);
        assert_eq!(c.values.len(), 5);
        assert_eq!(c.values[1].value, LitValue::Number(f64::NEG_INFINITY));
        assert!(matches!(c.values[2].value, LitValue::Number(n) if n.is_nan()));
        assert_eq!(c.values[4].value, LitValue::Bool(true));
        assert_eq!(c.rhs_text, "not in (1, -inf, nan, 'x', true)");
        assert_eq!(cmp("name not like 'a%'").op, Op::NotLike);
        assert_eq!(cmp("name ilike 'a%'").op, Op::ILike);
        assert_eq!(cmp("name is not null").op, Op::IsNotNull);
        assert_eq!(cmp("name IS NULL").op, Op::IsNull);
        assert_eq!(cmp("exit_code <> 0").op, Op::Ne);
        assert_eq!(cmp("exit_code == 0").op, Op::Eq);
        assert_eq!(cmp("name = \"double\"").values[0].value, LitValue::Text("double".into()));
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(
            err("metrics.acc 0.9"),
            (13, "expected a comparison operator after metrics.acc, found '0.9'".into())
        );
        assert_eq!(
            err("stauts = 'x'"),
            (1, "unknown attribute 'stauts' (did you mean 'status'?)".into())
        );
        assert_eq!(err("name = 'x"), (8, "unterminated string".into()));
        assert_eq!(
            err("metrcs.acc > 1"),
            (1, "unknown field 'metrcs.' (did you mean 'metrics'?)".into())
        );
        assert_eq!(err("metrics. > 1"), (9, "expected a metric name after 'metrics.'".into()));
        assert_eq!(err("name = x").0, 8);
        assert!(err("name = adam").1.contains("quote text: 'adam'"));
        assert_eq!(
            err("(name = 'a'"),
            (12, "expected ')' to close the '(' at column 1, found the end".into())
        );
        assert_eq!(err("name = 'a')").0, 11);
        assert_eq!(err("name = 'a' name = 'b'").1, "expected 'and' or 'or' before 'name'");
        assert_eq!(
            err("name = 'a' and"),
            (15, "expected a field such as metrics.acc, params.lr or status".into())
        );
        assert_eq!(
            err("acc > 1").1,
            "unknown attribute 'acc'; metrics, params and tags are written metrics.acc, params.acc, tags.acc"
        );
        assert_eq!(err("").0, 1);
        assert_eq!(err("name in ()").1, "expected a value after 'in'");
        assert_eq!(err("name is nul").1, "expected 'null' after 'is'");
        assert_eq!(err("name = `x`").1, "backticks quote keys; write text in 'single quotes'");
        assert_eq!(
            err("name = null").1,
            "use 'is null' or 'is not null' to test for a missing value"
        );
    }

    /// Issue 12: 10,000 nested parentheses overflowed the stack (exit 134).
    #[test]
    fn nesting_deeper_than_the_limit_is_an_error() {
        let deep = format!("{}name = 'a'{}", "(".repeat(10_000), ")".repeat(10_000));
        let (col, message) = err(&deep);
        assert_eq!(col, MAX_DEPTH + 1);
        assert_eq!(message, "the filter nests parentheses and 'not' more than 64 levels deep");
        let (col, message) = err(&format!("{}name = 'a'", "not ".repeat(10_000)));
        assert_eq!((col, message.contains("64 levels")), (4 * MAX_DEPTH + 1, true));
        let (col, _) = err(&format!("{}name = 'a')", "(not ".repeat(MAX_DEPTH)));
        assert_eq!(col, 5 * (MAX_DEPTH / 2) + 1, "each '(' and 'not' counts");
        let ok = format!("{}name = 'a'{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn long_chains_are_balanced_and_keep_their_order() {
        fn depth(e: &Expr) -> usize {
            match e {
                Expr::And(a, b) | Expr::Or(a, b) => 1 + depth(a).max(depth(b)),
                Expr::Not(a) => 1 + depth(a),
                Expr::Cmp(_) => 0,
            }
        }
        let chain: Vec<String> = (0..100_000).map(|i| format!("exit_code = {i}")).collect();
        let e = parse(&chain.join(" or ")).unwrap();
        assert_eq!(depth(&e), 17);
        let e = parse("name = 'a' and name = 'b' and name = 'c'").unwrap();
        let Expr::And(left, right) = e else { panic!("and at the top") };
        assert!(matches!(*left, Expr::And(..)), "earlier terms to the left");
        assert!(matches!(*right, Expr::Cmp(ref c) if c.values[0].raw == "'c'"));
    }

    #[test]
    fn sort_keys() {
        assert_eq!(
            parse_sort("-metrics.acc").unwrap(),
            Sort { field: Field::Metric("acc".into()), descending: true }
        );
        assert!(parse_sort("metrics.acc DESC").unwrap().descending);
        assert_eq!(
            parse_sort("start").unwrap(),
            Sort { field: Field::Attr(Attr::Start), descending: false }
        );
        assert_eq!(parse_sort("  -stauts").unwrap_err().column, 4);
        assert_eq!(parse_sort("name sideways").unwrap_err().column, 6);
    }
}
