//! Compiles the syntax tree to a SQL condition over `runs r`. Every piece of user text becomes a
//! `?` parameter; the SQL text itself only ever holds fixed fragments and column names.
//!
//! Every fragment is two-valued (never NULL), so `not` means what it says: a run without the
//! metric, param or tag compared never satisfies a comparison, and satisfies its negation.

use rusqlite::types::Value;

use super::{
    Attr, Comparison, Expr, Field, FilterError, LitValue, Literal, Op, Sort, Target, suggest, time,
};
use crate::tracking::runs::rfc3339;

type Params = Vec<Value>;

pub(super) fn compile(expr: &Expr, target: Target) -> Result<(String, Params), FilterError> {
    let mut params = Vec::new();
    let mut values = 0;
    let sql = expr_sql(expr, target, &mut params, &mut values)?;
    Ok((sql, params))
}

/// The most values one filter may compare (a comparison's literal, each value of an `in` list,
/// each key compared).
pub const MAX_PARAMS: usize = 10_000;

/// The most SQL parameters a filter may take: SQLite takes at most 32766 in a query, and the
/// query around the filter has some of its own. A comparison on experiments takes a few.
const MAX_SQL_PARAMS: usize = 30_000;

fn expr_sql(
    e: &Expr,
    target: Target,
    p: &mut Params,
    values: &mut usize,
) -> Result<String, FilterError> {
    Ok(match e {
        Expr::And(a, b) => {
            let (a, b) = (expr_sql(a, target, p, values)?, expr_sql(b, target, p, values)?);
            format!("({a} AND {b})")
        }
        Expr::Or(a, b) => {
            let (a, b) = (expr_sql(a, target, p, values)?, expr_sql(b, target, p, values)?);
            format!("({a} OR {b})")
        }
        Expr::Not(a) => format!("(NOT {})", expr_sql(a, target, p, values)?),
        Expr::Cmp(c) => {
            let sql = comparison(c, target, p)?;
            *values += c.values.len().max(1);
            if *values > MAX_PARAMS || p.len() > MAX_SQL_PARAMS {
                return Err(FilterError::new(
                    c.field_col,
                    format!(
                        "the filter is too long: it compares more than {MAX_PARAMS} values; \
                         split it into several queries"
                    ),
                ));
            }
            sql
        }
    })
}

pub(super) fn comparison(
    c: &Comparison,
    target: Target,
    p: &mut Params,
) -> Result<String, FilterError> {
    let (stage, field) = match &c.field {
        Field::Staged(stage, inner) => (Some(stage.as_str()), &**inner),
        f => (None, f),
    };
    let owner = Owner { target, stage };
    match field {
        Field::Metric(key) => metric(c, key, owner, p),
        Field::Param(key) => key_value(c, "params", key, true, owner, p),
        Field::Tag(key) => key_value(c, "tags", key, false, owner, p),
        Field::Attr(a) => attribute(c, *a, target, p),
        Field::Staged(..) => Err(FilterError::new(c.field_col, "a stage inside a stage")),
    }
}

/// The runs an experiment shows, as `(experiment_id, stage, run_id)`: those it made and those
/// its stage rows name. Written out rather than through the view `experiment_runs`, whose UNION
/// SQLite would build whole; the rows a filter selects are pushed into each arm, and a run
/// counted twice changes no `IN`.
const SHOWN: &str = "(SELECT experiment_id, stage, id AS run_id FROM runs \
                     UNION ALL SELECT experiment_id, stage, run_id FROM experiment_stages)";

/// Who a run's metric, param or tag row counts for: the run itself (`r`), or the experiments
/// that show it (`e`: the run is its own, or one of its stages names it); with a stage, only
/// the run of that stage.
#[derive(Clone, Copy)]
struct Owner<'a> {
    target: Target,
    stage: Option<&'a str>,
}

impl Owner<'_> {
    /// The condition "a run selected by `inner` (SQL selecting run ids, taking `inner_params`)
    /// counts for this row"; with `negate`, that none does.
    fn holds(self, inner: &str, inner_params: &[Value], negate: bool, p: &mut Params) -> String {
        let not = if negate { "NOT " } else { "" };
        match (self.target, self.stage) {
            (Target::Runs, None) => {
                p.extend_from_slice(inner_params);
                format!("r.id {not}IN ({inner})")
            }
            (Target::Runs, Some(stage)) => {
                p.push(text(stage));
                p.extend_from_slice(inner_params);
                format!("{not}(r.stage IS NOT NULL AND r.stage = ? AND r.id IN ({inner}))")
            }
            (Target::Experiments, stage) => {
                let at = if stage.is_some() { "stage = ? AND " } else { "" };
                if let Some(stage) = stage {
                    p.push(text(stage));
                }
                p.extend_from_slice(inner_params);
                format!(
                    "{not}(e.id IN (SELECT experiment_id FROM {SHOWN} WHERE {at}run_id IN ({inner})))"
                )
            }
        }
    }

    /// SQL for the value column `col` of `table` (alias `t`) with key `?` for this row: the
    /// run's own; over experiments, that of the newest run counting for it.
    fn value(self, col: &str, table: &str, key: &str) -> (String, Params) {
        match (self.target, self.stage) {
            (Target::Runs, None) => (
                format!("(SELECT {col} FROM {table} t WHERE t.run_id = r.id AND t.key = ?)"),
                vec![text(key)],
            ),
            (Target::Runs, Some(stage)) => (
                format!(
                    "(CASE WHEN r.stage = ? THEN (SELECT {col} FROM {table} t \
                     WHERE t.run_id = r.id AND t.key = ?) END)"
                ),
                vec![text(stage), text(key)],
            ),
            (Target::Experiments, stage) => {
                let at = if stage.is_some() { " AND stage = ?" } else { "" };
                let mut params = vec![text(key)];
                if let Some(stage) = stage {
                    params.push(text(stage));
                }
                (
                    format!(
                        "(SELECT {col} FROM {table} t WHERE t.key = ? AND t.run_id IN \
                         (SELECT run_id FROM {SHOWN} WHERE experiment_id = e.id{at}) \
                         ORDER BY t.run_id DESC LIMIT 1)"
                    ),
                    params,
                )
            }
        }
    }
}

fn text(v: impl Into<String>) -> Value {
    Value::Text(v.into())
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The literal as a number, for fields that hold numbers.
fn number(c: &Comparison, lit: &Literal) -> Result<f64, FilterError> {
    match &lit.value {
        LitValue::Number(n) => Ok(*n),
        LitValue::Text(s) => s.trim().parse::<f64>().map_err(|_| {
            FilterError::new(
                lit.col,
                format!("{} is a number: compare it with a number, not {}", c.field, lit.raw),
            )
        }),
        LitValue::Bool(_) => Err(FilterError::new(
            lit.col,
            format!("{} is a number: compare it with a number, not {}", c.field, lit.raw),
        )),
    }
}

/// The literal as text: strings as written inside the quotes, numbers and booleans as typed.
fn as_text(lit: &Literal) -> String {
    match &lit.value {
        LitValue::Text(s) => s.clone(),
        LitValue::Number(_) | LitValue::Bool(_) => lit.raw.clone(),
    }
}

/// A `like` pattern: a quoted string.
fn pattern(c: &Comparison) -> Result<String, FilterError> {
    let lit = &c.values[0];
    match &lit.value {
        LitValue::Text(s) => Ok(s.clone()),
        _ => Err(FilterError::new(
            lit.col,
            format!("'{}' needs a pattern in quotes, such as 'abc%'", c.op.as_str()),
        )),
    }
}

/// A `like` pattern (`%`, `_`, `\` escapes) as a case-sensitive GLOB pattern.
fn like_to_glob(p: &str) -> String {
    fn literal(out: &mut String, c: char) {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => literal(&mut out, chars.next().unwrap_or('\\')),
            '%' => out.push('*'),
            '_' => out.push('?'),
            c => literal(&mut out, c),
        }
    }
    out
}

/// `like`-family condition on a text expression `col` (never NULL there).
fn like(c: &Comparison, col: &str, p: &mut Params) -> Result<String, FilterError> {
    let pat = pattern(c)?;
    Ok(match c.op {
        Op::Like => {
            p.push(text(like_to_glob(&pat)));
            format!("{col} GLOB ?")
        }
        Op::NotLike => {
            p.push(text(like_to_glob(&pat)));
            format!("NOT ({col} GLOB ?)")
        }
        Op::ILike => {
            p.push(text(pat));
            format!("{col} LIKE ? ESCAPE '\\'")
        }
        _ => {
            p.push(text(pat));
            format!("NOT ({col} LIKE ? ESCAPE '\\')")
        }
    })
}

fn sql_op(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Ne => "<>",
        _ => "=",
    }
}

fn is_like(op: Op) -> bool {
    matches!(op, Op::Like | Op::NotLike | Op::ILike | Op::NotILike)
}

fn metric(
    c: &Comparison,
    key: &str,
    owner: Owner<'_>,
    p: &mut Params,
) -> Result<String, FilterError> {
    let exists = "SELECT run_id FROM latest_metrics WHERE key = ?";
    let mut q = vec![text(key)];
    let cond = match c.op {
        Op::IsNull => return Ok(owner.holds(exists, &q, true, p)),
        Op::IsNotNull => return Ok(owner.holds(exists, &q, false, p)),
        op if is_like(op) => {
            return Err(FilterError::new(
                c.op_col,
                format!("'{}' compares text, and {} is a number", op.as_str(), c.field),
            ));
        }
        Op::In | Op::NotIn => {
            let nums = c.values.iter().map(|l| number(c, l)).collect::<Result<Vec<_>, _>>()?;
            let mut parts = Vec::new();
            let finite: Vec<f64> = nums.iter().copied().filter(|n| !n.is_nan()).collect();
            if !finite.is_empty() {
                parts.push(format!("IFNULL(value IN ({}), 0)", placeholders(finite.len())));
                q.extend(finite.into_iter().map(Value::Real));
            }
            if nums.iter().any(|n| n.is_nan()) {
                parts.push("value IS NULL".into());
            }
            let any = parts.join(" OR ");
            if c.op == Op::In { format!("({any})") } else { format!("NOT ({any})") }
        }
        op => {
            let lit = &c.values[0];
            let n = number(c, lit)?;
            if n.is_nan() {
                match op {
                    Op::Eq => "value IS NULL".into(),
                    Op::Ne => "value IS NOT NULL".into(),
                    _ => {
                        return Err(FilterError::new(
                            lit.col,
                            "NaN is not ordered: compare it with = or !=",
                        ));
                    }
                }
            } else {
                q.push(Value::Real(n));
                match op {
                    // NaN differs from every number.
                    Op::Ne => "(value IS NULL OR value <> ?)".into(),
                    op => format!("value {} ?", sql_op(op)),
                }
            }
        }
    };
    Ok(owner.holds(&format!("{exists} AND {cond}"), &q, false, p))
}

/// Params (`numeric`: with a `value_num` twin) and tags: key/value tables.
fn key_value(
    c: &Comparison,
    table: &str,
    key: &str,
    numeric: bool,
    owner: Owner<'_>,
    p: &mut Params,
) -> Result<String, FilterError> {
    let exists = format!("SELECT run_id FROM {table} WHERE key = ?");
    match c.op {
        Op::IsNull => return Ok(owner.holds(&exists, &[text(key)], true, p)),
        Op::IsNotNull => return Ok(owner.holds(&exists, &[text(key)], false, p)),
        _ => {}
    }
    // A two-valued "value equals lit" condition.
    let equals = |lit: &Literal, q: &mut Params| -> Result<String, FilterError> {
        match &lit.value {
            LitValue::Number(n) if numeric => {
                if !n.is_finite() {
                    return Err(FilterError::new(
                        lit.col,
                        format!(
                            "{} holds text or a finite number; quote {} to compare text",
                            c.field, lit.raw
                        ),
                    ));
                }
                q.push(Value::Real(*n));
                Ok("(value_num IS NOT NULL AND value_num = ?)".into())
            }
            LitValue::Text(s) if numeric => match crate::tracking::runs::as_number(s) {
                Some(n) => {
                    q.push(text(s.clone()));
                    q.push(Value::Real(n));
                    Ok("(value = ? OR (value_num IS NOT NULL AND value_num = ?))".into())
                }
                None => {
                    q.push(text(s.clone()));
                    Ok("value = ?".into())
                }
            },
            LitValue::Bool(_) => {
                q.push(text(as_text(lit)));
                Ok("value = ? COLLATE NOCASE".into())
            }
            _ => {
                q.push(text(as_text(lit)));
                Ok("value = ?".into())
            }
        }
    };
    let mut q = vec![text(key)];
    let cond = match c.op {
        Op::Eq => equals(&c.values[0], &mut q)?,
        Op::Ne => format!("NOT ({})", equals(&c.values[0], &mut q)?),
        Op::In | Op::NotIn => {
            let any = c
                .values
                .iter()
                .map(|l| equals(l, &mut q))
                .collect::<Result<Vec<_>, _>>()?
                .join(" OR ");
            if c.op == Op::In { format!("({any})") } else { format!("NOT ({any})") }
        }
        op if is_like(op) => like(c, "value", &mut q)?,
        op => {
            let lit = &c.values[0];
            match &lit.value {
                LitValue::Number(n) if numeric => {
                    if n.is_nan() {
                        return Err(FilterError::new(lit.col, "NaN is not ordered"));
                    }
                    q.push(Value::Real(*n));
                    format!("value_num {} ?", sql_op(op))
                }
                LitValue::Bool(_) => {
                    return Err(FilterError::new(
                        lit.col,
                        format!("'{}' does not order true and false", op.as_str()),
                    ));
                }
                _ => {
                    q.push(text(as_text(lit)));
                    format!("value {} ?", sql_op(op))
                }
            }
        }
    };
    Ok(owner.holds(&format!("{exists} AND {cond}"), &q, false, p))
}

const STATUSES: [&str; 5] = ["queued", "running", "finished", "failed", "killed"];

fn attribute(
    c: &Comparison,
    a: Attr,
    target: Target,
    p: &mut Params,
) -> Result<String, FilterError> {
    let Some(col) = a.column_in(target) else {
        return Err(FilterError::new(
            c.field_col,
            format!(
                "{} is a field of stage runs, not of experiments: list stage runs with --stages",
                a.name()
            ),
        ));
    };
    match c.op {
        Op::IsNull => return Ok(format!("{col} IS NULL")),
        Op::IsNotNull => return Ok(format!("{col} IS NOT NULL")),
        _ => {}
    }
    let cond = match a {
        Attr::Name
        | Attr::Branch
        | Attr::User
        | Attr::Host
        | Attr::Status
        | Attr::Stage
        | Attr::PipelineRun => {
            if a == Attr::Status && !is_like(c.op) {
                for lit in &c.values {
                    let s = as_text(lit).to_lowercase();
                    if !STATUSES.contains(&s.as_str()) {
                        let hint = suggest(&s, STATUSES)
                            .map(|s| format!("did you mean '{s}'? "))
                            .unwrap_or_default();
                        return Err(FilterError::new(
                            lit.col,
                            format!(
                                "unknown status {} ({hint}a run is running, finished, failed or killed; an experiment may also be queued)",
                                lit.raw
                            ),
                        ));
                    }
                }
            }
            let norm = |lit: &Literal| {
                let s = as_text(lit);
                text(if a == Attr::Status { s.to_lowercase() } else { s })
            };
            text_condition(c, col, norm, p)?
        }
        Attr::Id => prefixed(c, col, "~", p, |_| Ok(()))?,
        Attr::Commit => {
            if c.op.is_ordering() {
                return Err(FilterError::new(
                    c.op_col,
                    "commit is compared with =, !=, in, like or is null",
                ));
            }
            prefixed(c, col, "g", p, |lit| {
                let s = as_text(lit);
                if s.is_empty() || !s.chars().all(|ch| ch.is_ascii_hexdigit()) {
                    return Err(FilterError::new(
                        lit.col,
                        format!(
                            "commit is compared with a SHA or its first digits, not {}; for a git revision such as HEAD use --commit",
                            lit.raw
                        ),
                    ));
                }
                Ok(())
            })?
        }
        Attr::Start | Attr::End => time_condition(c, col, p)?,
        Attr::Duration | Attr::ExitCode => {
            if is_like(c.op) {
                return Err(FilterError::new(
                    c.op_col,
                    format!("'{}' compares text, and {} is a number", c.op.as_str(), c.field),
                ));
            }
            let value = |lit: &Literal| -> Result<Value, FilterError> {
                if a == Attr::Duration
                    && let LitValue::Text(s) = &lit.value
                    && let Ok(d) = humantime::parse_duration(s.trim())
                {
                    return Ok(Value::Real(d.as_secs_f64()));
                }
                let n = number(c, lit)?;
                if n.is_nan() {
                    return Err(FilterError::new(lit.col, format!("{} is never NaN", c.field)));
                }
                Ok(Value::Real(n))
            };
            match c.op {
                Op::In | Op::NotIn => {
                    let vals = c.values.iter().map(value).collect::<Result<Vec<_>, _>>()?;
                    let n = vals.len();
                    p.extend(vals);
                    let not = if c.op == Op::NotIn { "NOT " } else { "" };
                    format!("{col} {not}IN ({})", placeholders(n))
                }
                op => {
                    p.push(value(&c.values[0])?);
                    format!("{col} {} ?", sql_op(op))
                }
            }
        }
        Attr::Dirty => {
            let b = |lit: &Literal| -> Result<Value, FilterError> {
                let v = match &lit.value {
                    LitValue::Bool(b) => Some(*b),
                    LitValue::Number(n) if *n == 0.0 || *n == 1.0 => Some(*n == 1.0),
                    LitValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                        "true" | "yes" | "1" => Some(true),
                        "false" | "no" | "0" => Some(false),
                        _ => None,
                    },
                    LitValue::Number(_) => None,
                };
                v.map(|b| Value::Integer(i64::from(b))).ok_or_else(|| {
                    FilterError::new(lit.col, format!("dirty is true or false, not {}", lit.raw))
                })
            };
            match c.op {
                Op::Eq | Op::Ne => {
                    p.push(b(&c.values[0])?);
                    format!("{col} {} ?", sql_op(c.op))
                }
                Op::In | Op::NotIn => {
                    let vals = c.values.iter().map(b).collect::<Result<Vec<_>, _>>()?;
                    let n = vals.len();
                    p.extend(vals);
                    let not = if c.op == Op::NotIn { "NOT " } else { "" };
                    format!("{col} {not}IN ({})", placeholders(n))
                }
                _ => {
                    return Err(FilterError::new(
                        c.op_col,
                        "dirty is true or false: compare it with = or !=",
                    ));
                }
            }
        }
    };
    // A run with no value there (no name, no commit, not ended) satisfies no comparison.
    Ok(format!("({col} IS NOT NULL AND {cond})"))
}

/// Plain text columns.
fn text_condition(
    c: &Comparison,
    col: &str,
    norm: impl Fn(&Literal) -> Value,
    p: &mut Params,
) -> Result<String, FilterError> {
    Ok(match c.op {
        op if is_like(op) => like(c, col, p)?,
        Op::In | Op::NotIn => {
            p.extend(c.values.iter().map(&norm));
            let not = if c.op == Op::NotIn { "NOT " } else { "" };
            format!("{col} {not}IN ({})", placeholders(c.values.len()))
        }
        op => {
            p.push(norm(&c.values[0]));
            format!("{col} {} ?", sql_op(op))
        }
    })
}

/// Ids and commits: `=` with fewer digits than the whole matches by prefix. `upper` is a
/// character sorting after every digit of the alphabet, so `[lit, lit + upper)` is the prefix
/// range (and an index can serve it).
fn prefixed(
    c: &Comparison,
    col: &str,
    upper: &str,
    p: &mut Params,
    check: impl Fn(&Literal) -> Result<(), FilterError>,
) -> Result<String, FilterError> {
    if is_like(c.op) {
        return like(c, col, p);
    }
    if c.op.is_ordering() {
        p.push(text(as_text(&c.values[0]).to_lowercase()));
        return Ok(format!("{col} {} ?", sql_op(c.op)));
    }
    let mut any = Vec::new();
    for lit in &c.values {
        check(lit)?;
        let s = as_text(lit).trim().to_lowercase();
        any.push(format!("({col} >= ? AND {col} < ?)"));
        p.push(text(s.clone()));
        p.push(text(s + upper));
    }
    let any = any.join(" OR ");
    Ok(match c.op {
        Op::Ne | Op::NotIn => format!("NOT ({any})"),
        _ => format!("({any})"),
    })
}

fn time_condition(c: &Comparison, col: &str, p: &mut Params) -> Result<String, FilterError> {
    if is_like(c.op) {
        return like(c, col, p);
    }
    let span = |lit: &Literal| -> Result<(String, String), FilterError> {
        let parsed = match &lit.value {
            LitValue::Text(s) => time::parse(s),
            _ => None,
        };
        let (from, len) = parsed.ok_or_else(|| {
            FilterError::new(
                lit.col,
                format!(
                    "cannot read {} as a date or time; write '2026-11-01', '2026-11-01 14:30' or RFC 3339 such as '2026-11-01T14:30:00Z'",
                    lit.raw
                ),
            )
        })?;
        Ok((rfc3339(from), rfc3339(from + len)))
    };
    let within = "({col} >= ? AND {col} < ?)".replace("{col}", col);
    Ok(match c.op {
        Op::In | Op::NotIn | Op::Eq | Op::Ne => {
            let mut any = Vec::new();
            for lit in &c.values {
                let (from, to) = span(lit)?;
                p.push(text(from));
                p.push(text(to));
                any.push(within.clone());
            }
            let any = any.join(" OR ");
            if matches!(c.op, Op::Ne | Op::NotIn) {
                format!("NOT ({any})")
            } else {
                format!("({any})")
            }
        }
        op => {
            let (from, to) = span(&c.values[0])?;
            let (sql, bound) = match op {
                Op::Lt => ("<", from),
                Op::Le => ("<", to),
                Op::Gt => (">=", to),
                _ => (">=", from),
            };
            p.push(text(bound));
            format!("{col} {sql} ?")
        }
    })
}

/// The value a field reads, as SQL over `runs r` or `experiments e`.
pub(super) fn value(field: &Field, target: Target) -> (String, Params) {
    let (stage, field) = match field {
        Field::Staged(stage, inner) => (Some(stage.as_str()), &**inner),
        f => (None, f),
    };
    let owner = Owner { target, stage };
    match field {
        Field::Metric(k) => owner.value(
            "CASE WHEN t.value IS NULL THEN 'NaN' ELSE t.value END",
            "latest_metrics",
            k,
        ),
        Field::Param(k) => owner.value("t.value", "params", k),
        Field::Tag(k) => owner.value("t.value", "tags", k),
        Field::Attr(Attr::Dirty) => {
            let col = Attr::Dirty.column_in(target).unwrap_or("NULL");
            (format!("(CASE {col} WHEN 0 THEN 'false' ELSE 'true' END)"), Vec::new())
        }
        Field::Attr(a) => (a.column_in(target).unwrap_or("NULL").into(), Vec::new()),
        Field::Staged(..) => ("NULL".into(), Vec::new()),
    }
}

pub(super) fn order(sort: &Sort, target: Target) -> (String, Params) {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let (stage, field) = match &sort.field {
        Field::Staged(stage, inner) => (Some(stage.as_str()), &**inner),
        f => (None, f),
    };
    let owner = Owner { target, stage };
    let (sql, params) = match field {
        Field::Metric(k) => {
            let (v, p) = owner.value("t.value", "latest_metrics", k);
            (format!("{v} {dir} NULLS LAST"), p)
        }
        // Numbers in numeric order, then text.
        Field::Param(k) => {
            let (num, mut p) = owner.value("t.value_num", "params", k);
            let (txt, p2) = owner.value("t.value", "params", k);
            p.extend(p2);
            (format!("{num} {dir} NULLS LAST, {txt} {dir} NULLS LAST"), p)
        }
        Field::Tag(k) => {
            let (v, p) = owner.value("t.value", "tags", k);
            (format!("{v} {dir} NULLS LAST"), p)
        }
        Field::Attr(Attr::Id) | Field::Staged(..) => (String::new(), Vec::new()),
        Field::Attr(a) => match a.column_in(target) {
            Some(col) => (format!("{col} {dir} NULLS LAST"), Vec::new()),
            None => (String::new(), Vec::new()),
        },
    };
    let id = if target == Target::Experiments { "e.id" } else { "r.id" };
    let tie = format!("{id} {dir}");
    (if sql.is_empty() { tie } else { format!("{sql}, {tie}") }, params)
}

#[cfg(test)]
mod tests {
    use rusqlite::params_from_iter;

    use super::super::{compile as compile_filter, parse};
    use crate::tracking::runs::{self, GitInfo, NewRun, Point};

    fn sql(s: &str) -> (String, Vec<rusqlite::types::Value>) {
        let f = compile_filter(s).unwrap();
        (f.sql, f.params)
    }

    #[test]
    fn user_text_only_reaches_sql_as_parameters() {
        let (text, params) =
            sql("params.x = 'a'' OR 1=1 --' and metrics.`k'; DROP TABLE runs; --` > 1");
        assert!(!text.contains("OR 1=1"), "{text}");
        assert!(!text.contains("DROP"), "{text}");
        assert!(!text.contains('\''), "no quotes from user text: {text}");
        assert!(params.contains(&rusqlite::types::Value::Text("a' OR 1=1 --".into())));
        assert!(params.contains(&rusqlite::types::Value::Text("k'; DROP TABLE runs; --".into())));
    }

    #[test]
    fn shapes_of_the_sql() {
        assert_eq!(
            sql("metrics.acc > 0.9").0,
            "r.id IN (SELECT run_id FROM latest_metrics WHERE key = ? AND value > ?)"
        );
        assert_eq!(
            sql("params.lr = '0.01'").0,
            "r.id IN (SELECT run_id FROM params WHERE key = ? AND (value = ? OR (value_num IS NOT NULL AND value_num = ?)))"
        );
        assert_eq!(
            sql("status = 'FINISHED'").1,
            vec![rusqlite::types::Value::Text("finished".into())]
        );
        assert_eq!(
            sql("commit = 'ABC'").0,
            "(r.git_commit IS NOT NULL AND ((r.git_commit >= ? AND r.git_commit < ?)))"
        );
        assert_eq!(sql("name like 'a*%'").1, vec![rusqlite::types::Value::Text("a[*]*".into())]);
        assert_eq!(super::like_to_glob(r"50\% of_[x]\\"), r"50% of?[[]x]\");
    }

    #[test]
    fn too_many_values_is_an_error() {
        let list: Vec<String> = (0..=super::MAX_PARAMS).map(|i| i.to_string()).collect();
        let err = compile_filter(&format!("exit_code in ({})", list.join(","))).unwrap_err();
        assert_eq!(err.column, 1);
        assert!(err.message.contains("more than 10000 values"), "{}", err.message);
        let list = &list[..super::MAX_PARAMS];
        assert!(compile_filter(&format!("exit_code in ({})", list.join(","))).is_ok());
    }

    /// SQLite refuses expressions more than 1000 levels deep: long chains must stay shallow.
    #[test]
    fn long_chains_and_deep_nesting_run_in_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let chain: Vec<&str> = vec!["(metrics.a is null or params.b = 1)"; 3000];
        let deep = format!(
            "{}metrics.a > 1{}",
            "(not ".repeat(super::super::parser::MAX_DEPTH / 2),
            ")".repeat(super::super::parser::MAX_DEPTH / 2)
        );
        for text in [chain.join(" and "), deep] {
            let f = compile_filter(&text).unwrap();
            let mut stmt = conn.prepare(&format!("SELECT id FROM runs r WHERE {}", f.sql)).unwrap();
            let n =
                stmt.query(params_from_iter(f.params.iter())).unwrap().mapped(|_| Ok(())).count();
            assert_eq!(n, 0);
        }
    }

    #[test]
    fn semantic_errors_have_columns() {
        let e = |s: &str| {
            let err = compile_filter(s).unwrap_err();
            (err.column, err.message)
        };
        assert_eq!(e("metrics.acc > 'high'").0, 15);
        assert!(e("metrics.acc > 'high'").1.contains("is a number"));
        assert_eq!(e("metrics.acc like 'x'").0, 13);
        assert_eq!(e("metrics.acc < nan").1, "NaN is not ordered: compare it with = or !=");
        assert_eq!(
            e("status = 'finised'"),
            (10, "unknown status 'finised' (did you mean 'finished'? a run is running, finished, failed or killed; an experiment may also be queued)".into())
        );
        assert!(e("start > 'yesterday'").1.starts_with("cannot read 'yesterday' as a date"));
        assert!(e("commit = 'HEAD'").1.contains("--commit"));
        assert_eq!(e("dirty > 1").0, 7);
        assert_eq!(e("dirty = 'maybe'").0, 9);
        assert!(parse("metrics.acc > 'high'").is_ok(), "types are checked when compiling");
    }

    /// Runs the compiled SQL against a real database.
    #[test]
    fn filters_select_the_right_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let mut add = |name: &str, params: &[(&str, &str)], metrics: &[(&str, f64)], start: i64| {
            let run = NewRun {
                name: Some(name.into()),
                command: vec!["true".into()],
                cwd: ".".into(),
                git: GitInfo {
                    commit: Some(format!("{:0<40}", name.len())),
                    branch: None,
                    dirty: name.contains('d'),
                    diff_hash: None,
                },
                host: "h".into(),
                user: "u".into(),
                pid: 1,
                params: params.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
                tags: vec![("team".into(), "vision".into())],
                experiment: None,
            };
            let id = runs::start(&mut conn, &run, start).unwrap();
            let pts: Vec<Point<'_>> = metrics
                .iter()
                .map(|(k, v)| Point { key: k, value: *v, step: 0, timestamp: 0 })
                .collect();
            runs::log_metrics(&mut conn, &id, &pts).unwrap();
            runs::finish(&conn, &id, runs::Status::Finished, Some(0), start + 1500).unwrap();
        };
        let day = 1_793_491_200_000; // 2026-11-01
        add("a", &[("lr", "1e-2"), ("opt", "adam")], &[("acc", 0.5), ("loss", f64::NAN)], day);
        add(
            "bd",
            &[("lr", "0.1"), ("opt", "sgd")],
            &[("acc", 0.9), ("loss", f64::INFINITY)],
            day + 86_400_000,
        );
        add("ccc", &[("opt", "Adam")], &[("точность", 1.0)], day + 2 * 86_400_000);
        let names = |f: &str| -> Vec<String> {
            let f = compile_filter(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            let mut stmt = conn
                .prepare(&format!("SELECT name FROM runs r WHERE {} ORDER BY name", f.sql))
                .unwrap();
            stmt.query_map(params_from_iter(f.params.iter()), |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(names("params.lr = '0.01'"), ["a"]);
        assert_eq!(names("params.lr = 0.01"), ["a"]);
        assert_eq!(names("params.lr != 0.01"), ["bd"], "a run without the param is not !=");
        assert_eq!(names("not params.lr = 0.01"), ["bd", "ccc"]);
        assert_eq!(names("params.lr >= 0.05"), ["bd"]);
        assert_eq!(names("params.opt like 'a%'"), ["a"]);
        assert_eq!(names("params.opt ilike 'a%'"), ["a", "ccc"]);
        assert_eq!(names("params.opt not in ('adam', 'sgd')"), ["ccc"]);
        assert_eq!(names("params.lr is null"), ["ccc"]);
        assert_eq!(names("metrics.acc > 0.4 and metrics.acc < 0.95"), ["a", "bd"]);
        assert_eq!(names("metrics.loss = nan"), ["a"]);
        assert_eq!(names("metrics.loss != nan"), ["bd"]);
        assert_eq!(names("metrics.loss = inf"), ["bd"]);
        assert_eq!(names("metrics.loss > 1e308"), ["bd"]);
        assert_eq!(names("metrics.loss != 3"), ["a", "bd"], "NaN differs from 3");
        assert_eq!(names("metrics.loss in (nan, 3)"), ["a"]);
        assert_eq!(names("metrics.loss not in (inf)"), ["a"]);
        assert_eq!(names("metrics.точность >= 1"), ["ccc"]);
        assert_eq!(names("metrics.acc is null"), ["ccc"]);
        assert_eq!(names("start = '2026-11-02'"), ["bd"]);
        assert_eq!(names("start >= '2026-11-02'"), ["bd", "ccc"]);
        assert_eq!(names("start > '2026-11-02'"), ["ccc"]);
        assert_eq!(names("start <= '2026-11-02T00:00:00+01:00'"), ["a"]);
        assert_eq!(
            names("end > '2026-11-01T00:00:01Z'"),
            ["bd", "ccc"],
            "a ended within that second"
        );
        assert_eq!(names("end >= '2026-11-01T00:00:01Z'"), ["a", "bd", "ccc"]);
        assert_eq!(names("end = '2026-11-01T00:00:01.5Z'"), ["a"]);
        assert_eq!(names("duration = 1.5 and duration < '2s'"), ["a", "bd", "ccc"]);
        assert_eq!(names("dirty = true"), ["bd"]);
        assert_eq!(names("commit = '2'"), ["bd"]);
        assert_eq!(names("commit != '2' and commit in ('1', '3000')"), ["a", "ccc"]);
        assert_eq!(names("tags.team = 'vision' and (name = 'a' or name = 'ccc')"), ["a", "ccc"]);
        assert_eq!(names("tags.missing != 'x'"), Vec::<String>::new());
        assert_eq!(
            names("status in ('finished') and exit_code = 0 and user = 'u'"),
            ["a", "bd", "ccc"]
        );
        assert_eq!(names("params.x = 'a'' OR 1=1 --'"), Vec::<String>::new());
        assert_eq!(names("name = 'a'' OR 1=1 --'"), Vec::<String>::new());
        let n: i64 = conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 3, "nothing was dropped");
    }
}
