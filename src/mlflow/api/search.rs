//! `runs/search`: MLflow's search filter (`metrics.acc > 0.9 and params.lr = '0.1'`), its
//! comparisons and ordering, over the runs the tracking routes describe.

use serde_json::{Value, json};

use super::request::Args;
use super::tracking::{DEFAULT_EXPERIMENT, View, run_json};
use super::{Api, ApiError};
use crate::tracking::mlflow as records;

/// One condition of a search filter: `metrics.acc > 0.9`, `params.lr = '0.1'`, `status = 'X'`.
#[derive(Debug, Clone)]
pub(super) struct Condition {
    pub kind: String,
    pub key: String,
    pub op: String,
    pub value: FilterValue,
}

#[derive(Debug, Clone)]
pub(super) enum FilterValue {
    Text(String),
    Number(f64),
}

pub(super) fn parse_filter(text: &str) -> Result<Vec<Condition>, ApiError> {
    let bad = |why: &str| ApiError::invalid(format!("Invalid filter {text:?}: {why}"));
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        // The identifier: `kind.key`, `kind.\`key with spaces\``, or an attribute alone.
        let (ident, after) = match rest.find(|c: char| c.is_whitespace() || "=!<>".contains(c)) {
            Some(i) => rest.split_at(i),
            None => return Err(bad("a condition lacks its comparison")),
        };
        let (kind, key) = match ident.split_once('.') {
            Some((k, key)) => (k.to_ascii_lowercase(), key.trim_matches(['`', '"']).to_owned()),
            None => ("attributes".to_owned(), ident.to_owned()),
        };
        let kind = match kind.as_str() {
            "metric" | "metrics" => "metrics",
            "param" | "params" | "parameter" | "parameters" => "params",
            "tag" | "tags" => "tags",
            "attribute" | "attributes" | "attr" | "run" => "attributes",
            other => return Err(bad(&format!("unknown entity {other:?}"))),
        };
        let after = after.trim_start();
        let op_len = ["!=", ">=", "<=", "=", ">", "<"]
            .iter()
            .find(|op| after.starts_with(**op))
            .map(|op| op.len())
            .or_else(|| {
                let upper = after.get(..5).unwrap_or("").to_ascii_uppercase();
                if upper.starts_with("ILIKE") {
                    Some(5)
                } else if upper.starts_with("LIKE") {
                    Some(4)
                } else {
                    None
                }
            })
            .ok_or_else(|| bad("expected a comparison (=, !=, >, >=, <, <=, LIKE)"))?;
        let op = after[..op_len].to_ascii_uppercase();
        let after = after[op_len..].trim_start();
        let (value, after) =
            if let Some(q) = after.chars().next().filter(|c| *c == '\'' || *c == '"') {
                let end = after[1..].find(q).ok_or_else(|| bad("a quoted value is not closed"))?;
                (FilterValue::Text(after[1..1 + end].to_owned()), &after[end + 2..])
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                let n = after[..end]
                    .parse::<f64>()
                    .map_err(|_| bad("expected a number or a quoted value"))?;
                (FilterValue::Number(n), &after[end..])
            };
        out.push(Condition { kind: kind.to_owned(), key, op, value });
        rest = after.trim_start();
        if rest.is_empty() {
            break;
        }
        match rest.get(..3) {
            Some(and) if and.eq_ignore_ascii_case("and") => rest = rest[3..].trim_start(),
            _ => return Err(bad("conditions are joined by AND")),
        }
    }
    Ok(out)
}

fn like(pattern: &str, text: &str, fold: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if fold {
        (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect())
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(&p, &t)
}

pub(super) fn compare_text(op: &str, have: &str, want: &str) -> bool {
    match op {
        "=" => have == want,
        "!=" => have != want,
        "LIKE" => like(want, have, false),
        "ILIKE" => like(want, have, true),
        ">" => have > want,
        ">=" => have >= want,
        "<" => have < want,
        "<=" => have <= want,
        _ => false,
    }
}

fn compare_number(op: &str, have: f64, want: f64) -> bool {
    match op {
        "=" => have == want,
        "!=" => have != want,
        ">" => have > want,
        ">=" => have >= want,
        "<" => have < want,
        "<=" => have <= want,
        _ => false,
    }
}

fn matches(run: &Value, c: &Condition) -> bool {
    let find = |list: &str| -> Option<Value> {
        run["data"][list]
            .as_array()?
            .iter()
            .find(|e| e["key"] == c.key.as_str())
            .map(|e| e["value"].clone())
    };
    let have = match c.kind.as_str() {
        "metrics" => find("metrics"),
        "params" => find("params"),
        "tags" => find("tags"),
        _ => {
            let field = match c.key.as_str() {
                "run_name" | "name" => "run_name",
                "run_id" | "id" => "run_id",
                "user_id" | "user" => "user_id",
                k => k,
            };
            run["info"].get(field).cloned()
        }
    };
    let Some(have) = have else { return false };
    match (&c.value, &have) {
        (FilterValue::Number(w), Value::Number(h)) => {
            h.as_f64().is_some_and(|h| compare_number(&c.op, h, *w))
        }
        (FilterValue::Number(w), Value::String(h)) => {
            h.parse::<f64>().is_ok_and(|h| compare_number(&c.op, h, *w))
        }
        (FilterValue::Text(w), Value::String(h)) => compare_text(&c.op, h, w),
        (FilterValue::Text(w), Value::Number(h)) => compare_text(&c.op, &h.to_string(), w),
        _ => false,
    }
}

fn sort_value(run: &Value, key: &str) -> Value {
    let (kind, name) = match key.split_once('.') {
        Some((k, n)) => (k.to_ascii_lowercase(), n.trim_matches('`').to_owned()),
        None => ("attributes".to_owned(), key.to_owned()),
    };
    let list = match kind.as_str() {
        "metric" | "metrics" => "metrics",
        "param" | "params" => "params",
        "tag" | "tags" => "tags",
        _ => return run["info"].get(name.as_str()).cloned().unwrap_or(Value::Null),
    };
    run["data"][list]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["key"] == name.as_str()))
        .map_or(Value::Null, |e| e["value"].clone())
}

fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        // Runs without the value come last either way.
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0))
        }
        _ => a.to_string().cmp(&b.to_string()),
    }
}

pub fn search_runs(api: &Api, args: &Args) -> Result<Value, ApiError> {
    let ids = args.strings("experiment_ids");
    let filter = args.str("filter").unwrap_or_default();
    let conditions = parse_filter(&filter)?;
    let max = args.int("max_results")?.unwrap_or(1000);
    if !(1..=50_000).contains(&max) {
        return Err(ApiError::invalid(format!(
            "Invalid value {max} for parameter 'max_results' supplied. It must be at most 50000."
        )));
    }
    let offset = match args.str("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| ApiError::invalid("Invalid page token"))?,
    };
    let order = args.strings("order_by");
    let view = View::of(args, "run_view_type")?;
    let scope: Option<Vec<String>> = match &api.context {
        _ if ids.is_empty() || ids.iter().any(|i| i == DEFAULT_EXPERIMENT) => None,
        _ => Some(ids),
    };
    api.db(|conn| {
        let mut found = Vec::new();
        for r in records::runs_of(conn, scope.as_deref())? {
            if !view.keeps(r.deleted) {
                continue;
            }
            let run = run_json(conn, &r)?;
            if conditions.iter().all(|c| matches(&run, c)) {
                found.push(run);
            }
        }
        for clause in order.iter().rev() {
            let mut words = clause.split_whitespace();
            let key = words.next().unwrap_or("start_time").to_owned();
            let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
            found.sort_by(|a, b| {
                let (x, y) = (sort_value(a, &key), sort_value(b, &key));
                match (&x, &y, desc) {
                    (Value::Null, _, _) | (_, Value::Null, _) | (_, _, false) => cmp_values(&x, &y),
                    (_, _, true) => cmp_values(&y, &x),
                }
            });
        }
        let max = usize::try_from(max).unwrap_or(1000);
        let total = found.len();
        let page: Vec<Value> = found.into_iter().skip(offset).take(max).collect();
        let mut out = json!({ "runs": page });
        if offset + max < total {
            out["next_page_token"] = json!((offset + max).to_string());
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_as_the_client_writes_them() {
        let c = parse_filter("metrics.acc > 0.9 and params.lr = '0.1' AND status = 'FINISHED'")
            .expect("parses");
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].kind.as_str(), c[0].key.as_str(), c[0].op.as_str()),
            ("metrics", "acc", ">")
        );
        assert!(matches!(c[1].value, FilterValue::Text(ref v) if v == "0.1"));
        assert_eq!(c[2].kind, "attributes");
        assert!(parse_filter("metrics.acc >").is_err());
        assert!(parse_filter("bogus.x = 1").is_err());
        assert!(parse_filter("").expect("empty").is_empty());
        assert!(like("tr%n", "train", false));
        assert!(like("TR_IN", "train", true));
    }
}
